// The audit log's words: human-readable action names, kinds, actors and targets (GET /api/v1/events).
import type { AuditEvent } from '../types';

/** Every action the server records (docs/api.md), by kind: the part before the dot. */
export const ACTION_KINDS: ReadonlyArray<{ kind: string; label: string; actions: Record<string, string> }> = [
  {
    kind: 'auth',
    label: 'Sign-ins',
    actions: {
      'auth.login': 'Signed in',
      'auth.logout': 'Signed out',
      'auth.password_changed': 'Changed password',
      'auth.refresh_reuse': 'Reused an old session token',
      'auth.mfa_enabled': 'Turned on two-factor sign-in',
      'auth.mfa_disabled': 'Turned off two-factor sign-in',
      'auth.mfa_recovery_used': 'Used a recovery code',
      'auth.mfa_reset': 'Reset two-factor sign-in',
    },
  },
  {
    kind: 'user',
    label: 'Team',
    actions: { 'user.created': 'Added user', 'user.updated': 'Changed user', 'user.availability': 'Changed availability' },
  },
  {
    kind: 'tenant',
    label: 'Settings',
    actions: {
      'tenant.created': 'Created business',
      'tenant.updated': 'Changed settings',
      'tenant.identity_secret_rotated': 'Rotated identity secret',
    },
  },
  {
    kind: 'channel',
    label: 'Channels',
    actions: { 'channel.claimed': 'Claimed channel', 'channel.claimed_by_other': 'Channel claimed by another business' },
  },
  {
    kind: 'conversation',
    label: 'Conversations',
    actions: {
      'conversation.updated': 'Changed conversation',
      'conversation.closed': 'Closed conversation',
      'conversation.escalated': 'Escalated conversation',
      'conversation.assigned': 'Auto-assigned conversation',
    },
  },
  {
    kind: 'followup',
    label: 'Follow-ups',
    actions: { 'followup.created': 'Follow-up requested', 'followup.viewed': 'Marked follow-up viewed' },
  },
  { kind: 'history', label: 'History', actions: { 'history.imported': 'Imported transcripts' } },
  {
    kind: 'canned_response',
    label: 'Saved replies',
    actions: {
      'canned_response.created': 'Added saved reply',
      'canned_response.updated': 'Changed saved reply',
      'canned_response.deleted': 'Deleted saved reply',
    },
  },
  {
    kind: 'webhook',
    label: 'Webhooks',
    actions: {
      'webhook.created': 'Added webhook',
      'webhook.updated': 'Changed webhook',
      'webhook.deleted': 'Deleted webhook',
      'webhook.redelivered': 'Redelivered webhook event',
    },
  },
  {
    kind: 'api_token',
    label: 'API tokens',
    actions: { 'api_token.created': 'Created API token', 'api_token.revoked': 'Revoked API token' },
  },
];

const ACTION_LABEL: Record<string, string> = Object.assign({}, ...ACTION_KINDS.map((k) => k.actions));

/** "tenant.updated" -> "Changed settings"; an action this app does not know yet -> "Some thing" from its name. */
export function actionLabel(action: string): string {
  const known = ACTION_LABEL[action];
  if (known) return known;
  const words = action.replace(/[._]+/g, ' ').trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : action;
}

const TARGET_LABEL: Record<string, string> = {
  user: 'User',
  tenant: 'Business',
  channel: 'Channel',
  conversation: 'Conversation',
  followup: 'Follow-up',
  history: 'Imported transcript',
  canned_response: 'Saved reply',
  webhook: 'Webhook',
  api_token: 'API token',
};

/** Who did it: a teammate's name (from the team list), "Visitor", or "System". */
export function actorLabel(actor: AuditEvent['actor'], names: ReadonlyMap<string, string>): string {
  if (actor.type === 'user') return actor.id ? (names.get(actor.id) ?? `Teammate #${actor.id}`) : 'Teammate';
  if (actor.type === 'visitor') return 'Visitor';
  return 'System';
}

/** What it was done to: "Conversation #12", "User Bo", "Channel sms". */
export function targetLabel(target: AuditEvent['target'], names: ReadonlyMap<string, string>): string {
  if (!target?.type) return '';
  const kind = TARGET_LABEL[target.type] ?? target.type;
  if (!target.id) return kind;
  if (target.type === 'user' && names.has(target.id)) return `${kind} ${names.get(target.id)}`;
  if (target.type === 'channel') return `${kind} ${target.id}`;
  return `${kind} #${target.id}`;
}

/** A detail value as text: strings as they are, anything else as JSON. */
export function detailText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Short local time for the table: the time today, else the date and time. */
export function shortWhen(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  const sameYear = d.getFullYear() === now.getFullYear();
  const date = d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: sameYear ? undefined : 'numeric' });
  return `${date}, ${time}`;
}

/** The full local timestamp, with seconds and the time zone. */
export function fullWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    weekday: 'short',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  });
}
