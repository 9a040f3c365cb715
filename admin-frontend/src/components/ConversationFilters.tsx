// The inbox filter bar: views (open / mine / unassigned / snoozed / closed), tag, channel and search. The
// state lives in the URL (lib/inboxUrl.ts).
import { useEffect, useMemo, useState } from 'react';
import * as api from '../api/endpoints';
import { CHANNELS } from '../types';
import { CHANNEL_LABEL } from '../lib/format';
import { useInbox } from '../state/InboxContext';
import type { InboxView } from '../state/inboxReducer';

const VIEWS: Array<[InboxView, string]> = [
  ['open', 'Open'],
  ['mine', 'Mine'],
  ['unassigned', 'Unassigned'],
  ['snoozed', 'Snoozed'],
  ['closed', 'Closed'],
];

/** The tenant's tags, plus any the listed conversations carry that the list has not caught up with. */
function useTagOptions(): string[] {
  const { state, filter } = useInbox();
  const [listed, setListed] = useState<string[]>([]);
  useEffect(() => {
    let cancelled = false;
    api
      .listTags()
      .then((r) => {
        if (!cancelled && Array.isArray(r?.tags)) setListed(r.tags);
      })
      .catch(() => {
        /* without the list, the tags of the listed conversations are still offered */
      });
    return () => {
      cancelled = true;
    };
  }, []);
  return useMemo(() => {
    const all = new Set(listed);
    for (const c of state.items) for (const t of c.tags ?? []) all.add(t);
    if (filter.tag) all.add(filter.tag);
    return [...all].sort((a, b) => a.localeCompare(b));
  }, [listed, state.items, filter.tag]);
}

export function ConversationFilters() {
  const { filter, setFilter } = useInbox();
  const tags = useTagOptions();
  return (
    <div className="filters" role="search" aria-label="Filter conversations">
      <div className="tabs" role="group" aria-label="Conversation filter">
        {VIEWS.map(([view, label]) => (
          <button
            key={view}
            type="button"
            className={`tab${filter.view === view ? ' active' : ''}`}
            aria-pressed={filter.view === view}
            onClick={() => setFilter({ view })}
          >
            {label}
          </button>
        ))}
      </div>
      <div className="filter-row">
        <input
          type="search"
          id="inbox-search"
          aria-label="Search conversations"
          placeholder="Search messages, name, email, phone"
          value={filter.q}
          onChange={(e) => setFilter({ q: e.target.value })}
        />
      </div>
      <div className="filter-row">
        <select aria-label="Tag" value={filter.tag} onChange={(e) => setFilter({ tag: e.target.value })}>
          <option value="">All tags</option>
          {tags.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <select
          aria-label="Channel"
          value={filter.channel}
          onChange={(e) => setFilter({ channel: e.target.value as (typeof filter)['channel'] })}
        >
          <option value="">All channels</option>
          {CHANNELS.map((c) => (
            <option key={c} value={c}>
              {CHANNEL_LABEL[c]}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
