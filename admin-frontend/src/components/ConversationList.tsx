// The live list of conversations; each row is a link named by contact and last message, with a checkbox
// for bulk actions (shift-click selects a range; "Select all shown" the whole list).
import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { inboxPath } from '../lib/inboxUrl';
import { contactName, formatTime, teammateName } from '../lib/format';
import { useInbox } from '../state/InboxContext';
import type { Conversation } from '../types';
import { ChannelBadge, EscalatedBadge } from './Badges';
import { BulkBar } from './BulkBar';

function preview(c: Conversation): string {
  const m = c.last_message;
  if (!m) return 'No messages yet';
  const prefix = m.sender === 'staff' ? 'You: ' : '';
  const text = m.text || (m.attachments?.length ? '[attachment]' : '');
  return prefix + text;
}

interface RowProps {
  c: Conversation;
  active: boolean;
  href: string;
  selected: boolean;
  onSelect: (e: MouseEvent<HTMLInputElement>) => void;
}

function Row({ c, active, href, selected, onSelect }: RowProps) {
  const name = contactName(c.contact);
  const last = preview(c);
  return (
    <li className={`convo-row${selected ? ' selected' : ''}`}>
      <input
        type="checkbox"
        className="convo-check"
        aria-label={`Select conversation with ${name}`}
        checked={selected}
        onClick={onSelect}
        onChange={() => {
          /* handled on click, which knows about the Shift key */
        }}
      />
      <a
        href={href}
        className={`convo${active ? ' active' : ''}${c.unread_count > 0 ? ' unread' : ''}`}
        aria-current={active ? 'page' : undefined}
        data-testid={`convo-${c.id}`}
      >
        <span className="convo-top">
          <span className="convo-name">{name}</span>
          <span className="convo-time">{formatTime(c.last_message_at ?? c.created_at)}</span>
        </span>
        <span className="convo-last">{last}</span>
        <span className="convo-meta">
          <ChannelBadge channel={c.channel} />
          {c.escalated ? <EscalatedBadge /> : null}
          {c.status === 'snoozed' ? <span className="badge badge-snoozed">Snoozed</span> : null}
          {c.assignee ? (
            <span className="assignee">{teammateName(c.assignee)}</span>
          ) : (
            <span className="assignee muted">Unassigned</span>
          )}
          {c.unread_count > 0 ? (
            <span className="unread-count" data-testid="unread-count" aria-label={`${c.unread_count} unread`}>
              {c.unread_count}
            </span>
          ) : null}
        </span>
      </a>
    </li>
  );
}

export function ConversationList() {
  const { state, loading, error, loadMore, openId, filter } = useInbox();
  const [picked, setPicked] = useState<Set<number>>(new Set());
  const [notice, setNotice] = useState('');
  const anchor = useRef<number | null>(null);
  const items = state.items;
  // Only what is shown can be selected: a conversation that leaves the list leaves the selection.
  const selected = items.filter((c) => picked.has(c.id)).map((c) => c.id);
  const allShown = items.length > 0 && selected.length === items.length;

  const filterKey = JSON.stringify(filter);
  useEffect(() => {
    setPicked(new Set());
    anchor.current = null;
  }, [filterKey]);

  const select = (index: number, e: MouseEvent<HTMLInputElement>) => {
    const id = items[index]!.id;
    const on = !picked.has(id);
    const from = anchor.current !== null && e.shiftKey ? items.findIndex((c) => c.id === anchor.current) : -1;
    const range = from === -1 ? [index] : Array.from({ length: Math.abs(index - from) + 1 }, (_, i) => Math.min(from, index) + i);
    setPicked((prev) => {
      const next = new Set(prev);
      for (const i of range) {
        const rowId = items[i]!.id;
        if (on) next.add(rowId);
        else next.delete(rowId);
      }
      return next;
    });
    anchor.current = id;
    setNotice('');
  };

  return (
    <div className="convo-list-wrap">
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {items.length > 0 ? (
        <div className="select-all">
          <label>
            <input
              type="checkbox"
              checked={allShown}
              onChange={() => {
                setPicked(allShown ? new Set() : new Set(items.map((c) => c.id)));
                setNotice('');
              }}
            />{' '}
            Select all shown
          </label>
        </div>
      ) : null}
      {selected.length > 0 ? (
        <BulkBar
          ids={selected}
          reopen={filter.view === 'closed'}
          onDone={(summary) => {
            setPicked(new Set());
            setNotice(summary);
          }}
        />
      ) : null}
      {notice ? (
        <p className="bulk-notice" role="status">
          {notice}
        </p>
      ) : null}
      <ul className="convo-list" aria-label="Conversations" aria-busy={loading}>
        {items.map((c, index) => (
          <Row
            key={c.id}
            c={c}
            active={c.id === openId}
            href={`#${inboxPath(c.id, filter)}`}
            selected={picked.has(c.id)}
            onSelect={(e) => select(index, e)}
          />
        ))}
      </ul>
      {!loading && items.length === 0 && !error ? <p className="empty">No conversations here.</p> : null}
      {state.nextBefore ? (
        <button type="button" className="btn btn-quiet load-more" onClick={() => void loadMore()}>
          Load more
        </button>
      ) : null}
    </div>
  );
}
