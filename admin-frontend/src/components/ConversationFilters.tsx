// View tabs (open / mine / unassigned / closed), channel filter and search.
import { CHANNELS } from '../types';
import { CHANNEL_LABEL } from '../lib/format';
import { useInbox } from '../state/InboxContext';
import type { InboxView } from '../state/inboxReducer';

const VIEWS: Array<[InboxView, string]> = [
  ['open', 'Open'],
  ['mine', 'Mine'],
  ['unassigned', 'Unassigned'],
  ['closed', 'Closed'],
];

export function ConversationFilters() {
  const { filter, setFilter } = useInbox();
  return (
    <div className="filters">
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
          placeholder="Search name, email, phone"
          value={filter.q}
          onChange={(e) => setFilter({ q: e.target.value })}
        />
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
