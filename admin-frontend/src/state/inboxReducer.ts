// The conversation list as a pure reducer: server pages in, socket events applied on top.
import type { Channel, Conversation, Message } from '../types';

export type InboxView = 'open' | 'mine' | 'unassigned' | 'snoozed' | 'closed';

export interface InboxFilter {
  view: InboxView;
  channel: Channel | '';
  tag: string;
  q: string;
}

export interface InboxState {
  items: Conversation[];
  nextBefore: string | null;
  /** Unread counts of every conversation seen, in or out of the current filter (tab title). */
  unread: Record<number, number>;
}

export type InboxAction =
  | { type: 'loaded'; page: Conversation[]; nextBefore: string | null; append?: boolean }
  | { type: 'message'; message: Message; conversation?: Conversation }
  | { type: 'conversation'; conversation: Conversation }
  | { type: 'read'; conversationId: number; messageId?: number };

export interface InboxContext {
  filter: InboxFilter;
  meId: number | null;
  /** The conversation on screen: its new messages are read as they arrive. */
  openId: number | null;
}

export const emptyInbox: InboxState = { items: [], nextBefore: null, unread: {} };

/** Whether a conversation belongs in the filtered list. `listed`: the server put it there, which for a search
 * stands (it may have matched an older message); one not listed joins when its contact or last message matches. */
export function matchesFilter(c: Conversation, filter: InboxFilter, meId: number | null, listed = false): boolean {
  if (filter.channel && c.channel !== filter.channel) return false;
  if (filter.tag && !(c.tags ?? []).includes(filter.tag)) return false;
  switch (filter.view) {
    case 'closed':
      if (c.status !== 'closed') return false;
      break;
    case 'snoozed':
      if (c.status !== 'snoozed') return false;
      break;
    case 'mine':
      if (c.status !== 'open' || !c.assignee || c.assignee.id !== meId) return false;
      break;
    case 'unassigned':
      if (c.status !== 'open' || c.assignee) return false;
      break;
    default:
      if (c.status !== 'open') return false;
  }
  const q = filter.q.trim().toLowerCase();
  if (!q || listed) return true;
  const contact = c.contact;
  if ([contact?.name, contact?.email, contact?.phone].some((v) => v?.toLowerCase().includes(q))) return true;
  const text = c.status === 'open' ? (c.last_message?.text ?? '').toLowerCase() : '';
  const words = q.split(/\W+/).filter(Boolean);
  return words.length > 0 && words.every((w) => text.includes(w));
}

function withUnread(unread: Record<number, number>, list: Conversation[]): Record<number, number> {
  const next = { ...unread };
  for (const c of list) next[c.id] = c.unread_count;
  return next;
}

/** Is `message` newer than anything we knew of its conversation (as opposed to a status update)? */
function isNewMessage(message: Message, prev: Conversation | undefined): boolean {
  const last = prev?.last_message;
  return !last || message.id > last.id;
}

function place(
  items: Conversation[],
  updated: Conversation,
  toTop: boolean,
  ctx: InboxContext,
): Conversation[] {
  const index = items.findIndex((c) => c.id === updated.id);
  if (!matchesFilter(updated, ctx.filter, ctx.meId, index !== -1)) {
    return index === -1 ? items : items.filter((c) => c.id !== updated.id);
  }
  if (index === -1 || toTop) return [updated, ...items.filter((c) => c.id !== updated.id)];
  const next = items.slice();
  next[index] = updated;
  return next;
}

export function inboxReducer(state: InboxState, action: InboxAction, ctx: InboxContext): InboxState {
  switch (action.type) {
    case 'loaded': {
      const items = action.append
        ? [...state.items, ...action.page.filter((c) => !state.items.some((o) => o.id === c.id))]
        : action.page;
      const page = action.page.map((c) => (c.id === ctx.openId ? { ...c, unread_count: 0 } : c));
      return {
        items: items.map((c) => (c.id === ctx.openId ? { ...c, unread_count: 0 } : c)),
        nextBefore: action.nextBefore,
        unread: withUnread(state.unread, page),
      };
    }
    case 'message': {
      const { message } = action;
      const id = message.conversation_id;
      const prev = state.items.find((c) => c.id === id);
      const fresh = isNewMessage(message, prev);
      const base = action.conversation ?? prev;
      if (!base) return state; // unknown conversation without details: the next refetch shows it
      const known = prev?.unread_count ?? state.unread[id] ?? 0;
      const serverCount = action.conversation?.unread_count ?? known;
      let unread = serverCount;
      if (id === ctx.openId) unread = 0;
      else if (fresh && message.sender === 'visitor') unread = Math.max(serverCount, known + 1);
      const lastMessage =
        fresh || base.last_message?.id === message.id ? message : base.last_message;
      const updated: Conversation = {
        ...base,
        last_message: lastMessage,
        last_message_at: fresh ? (action.conversation?.last_message_at ?? message.created_at) : base.last_message_at,
        unread_count: unread,
      };
      return {
        ...state,
        items: place(state.items, updated, fresh, ctx),
        unread: { ...state.unread, [id]: unread },
      };
    }
    case 'conversation': {
      const c = action.conversation;
      const prev = state.items.find((o) => o.id === c.id);
      const unread = c.id === ctx.openId ? 0 : c.unread_count;
      const updated = { ...c, unread_count: unread };
      const fresh = !prev || (c.last_message?.id ?? 0) > (prev.last_message?.id ?? 0);
      return {
        ...state,
        items: place(state.items, updated, fresh && !!prev, ctx),
        unread: { ...state.unread, [c.id]: unread },
      };
    }
    case 'read': {
      const id = action.conversationId;
      return {
        ...state,
        items: state.items.map((c) => (c.id === id ? { ...c, unread_count: 0 } : c)),
        unread: { ...state.unread, [id]: 0 },
      };
    }
  }
}

export function totalUnread(state: InboxState): number {
  return Object.values(state.unread).reduce((sum, n) => sum + (n > 0 ? n : 0), 0);
}
