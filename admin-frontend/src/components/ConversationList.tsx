// The live list of conversations; each row is a link named by contact and last message.
import { contactName, formatTime, teammateName } from '../lib/format';
import { useInbox } from '../state/InboxContext';
import type { Conversation } from '../types';
import { ChannelBadge, EscalatedBadge } from './Badges';

function preview(c: Conversation): string {
  const m = c.last_message;
  if (!m) return 'No messages yet';
  const prefix = m.sender === 'staff' ? 'You: ' : '';
  const text = m.text || (m.attachments?.length ? '[attachment]' : '');
  return prefix + text;
}

function Row({ c, active }: { c: Conversation; active: boolean }) {
  const name = contactName(c.contact);
  const last = preview(c);
  return (
    <li>
      <a
        href={`#/inbox/${c.id}`}
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
  const { state, loading, error, loadMore, openId } = useInbox();
  return (
    <div className="convo-list-wrap">
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <ul className="convo-list" aria-label="Conversations" aria-busy={loading}>
        {state.items.map((c) => (
          <Row key={c.id} c={c} active={c.id === openId} />
        ))}
      </ul>
      {!loading && state.items.length === 0 && !error ? (
        <p className="empty">No conversations here.</p>
      ) : null}
      {state.nextBefore ? (
        <button type="button" className="btn btn-quiet load-more" onClick={() => void loadMore()}>
          Load more
        </button>
      ) : null}
    </div>
  );
}
