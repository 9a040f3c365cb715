// Small labelled pills: channel, delivery status, escalation.
import { channelLabel } from '../lib/format';
import type { ChatMessage } from '../state/messagesReducer';

export function ChannelBadge({ channel }: { channel: string }) {
  return <span className={`badge badge-channel badge-${channel}`}>{channelLabel(channel)}</span>;
}

export function EscalatedBadge() {
  return <span className="badge badge-escalated">Escalated</span>;
}

export type ShownStatus = 'sending' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

const STATUS_TEXT: Record<ShownStatus, string> = {
  sending: 'Sending…',
  queued: 'Queued',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Failed',
};

/** What to show for a staff message: local state first, then the server's, upgraded by the read marker. */
export function shownStatus(message: ChatMessage, visitorReadId?: number | null): ShownStatus | null {
  if (message.local === 'sending') return 'sending';
  if (message.local === 'failed') return 'failed';
  if (message.sender !== 'staff' || message.private) return null; // a note is never delivered
  if (message.status === 'failed') return 'failed';
  if (visitorReadId && message.id <= visitorReadId) return 'read';
  return message.status ?? null;
}

export function StatusBadge({ status, error }: { status: ShownStatus; error?: string | null }) {
  return (
    <span
      className={`status status-${status}`}
      data-testid="delivery-status"
      title={error ?? undefined}
    >
      {STATUS_TEXT[status]}
      {status === 'failed' && error ? <span className="status-error">: {error}</span> : null}
    </span>
  );
}
