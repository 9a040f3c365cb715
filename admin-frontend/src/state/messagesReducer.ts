// A conversation's transcript: server messages upserted by id, optimistic sends matched by client_id.
import type { Message } from '../types';

export interface ChatMessage extends Message {
  /** Only on optimistic messages not yet confirmed by the server. */
  local?: 'sending' | 'failed';
  localError?: string;
}

export type MessagesAction =
  | { type: 'reset'; messages: Message[] }
  | { type: 'merge'; messages: Message[] }
  | { type: 'upsert'; message: Message }
  | { type: 'pending'; message: ChatMessage }
  | { type: 'confirmed'; clientId: string; id: number }
  | { type: 'failed'; clientId: string; error: string }
  | { type: 'retrying'; clientId: string };

function order(list: ChatMessage[]): ChatMessage[] {
  const confirmed = list.filter((m) => !m.local).sort((a, b) => a.id - b.id);
  const pending = list.filter((m) => m.local);
  return [...confirmed, ...pending];
}

function upsertOne(list: ChatMessage[], message: Message): ChatMessage[] {
  const byClient = message.client_id
    ? list.findIndex((m) => m.local && m.client_id === message.client_id)
    : -1;
  if (byClient !== -1) {
    const next = list.filter((m) => m.id !== message.id);
    const index = next.findIndex((m) => m.local && m.client_id === message.client_id);
    next[index] = { ...message };
    return next;
  }
  const index = list.findIndex((m) => !m.local && m.id === message.id);
  if (index === -1) return [...list, { ...message }];
  const next = list.slice();
  // A repeat of a known id is a status update: keep fields the update leaves out.
  next[index] = { ...next[index]!, ...stripUndefined(message) };
  return next;
}

function stripUndefined(message: Message): Partial<Message> {
  return Object.fromEntries(Object.entries(message).filter(([, v]) => v !== undefined));
}

export function messagesReducer(state: ChatMessage[], action: MessagesAction): ChatMessage[] {
  switch (action.type) {
    case 'reset':
      return order(action.messages.reduce(upsertOne, state.filter((m) => m.local)));
    case 'merge':
      return order(action.messages.reduce(upsertOne, state));
    case 'upsert':
      return order(upsertOne(state, action.message));
    case 'pending':
      return order([...state, action.message]);
    case 'confirmed': {
      // The server answered with only an id: the optimistic copy becomes the stored message.
      if (state.some((m) => !m.local && m.id === action.id)) {
        return state.filter((m) => !(m.local && m.client_id === action.clientId));
      }
      return order(
        state.map((m) =>
          m.local && m.client_id === action.clientId ? { ...m, id: action.id, local: undefined, localError: undefined } : m,
        ),
      );
    }
    case 'failed':
      return state.map((m) =>
        m.local && m.client_id === action.clientId ? { ...m, local: 'failed', localError: action.error } : m,
      );
    case 'retrying':
      return state.map((m) =>
        m.local && m.client_id === action.clientId ? { ...m, local: 'sending', localError: undefined } : m,
      );
  }
}

export function lastServerId(list: ChatMessage[]): number | undefined {
  let max: number | undefined;
  for (const m of list) if (!m.local && (max === undefined || m.id > max)) max = m.id;
  return max;
}
