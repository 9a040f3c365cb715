import { describe, expect, it } from 'vitest';
import { emptyInbox, inboxReducer, matchesFilter, type InboxContext } from '../src/state/inboxReducer';
import { messagesReducer, type ChatMessage } from '../src/state/messagesReducer';
import { conversation, message } from './helpers';

const ctx: InboxContext = { filter: { view: 'open', channel: '', tag: '', q: '' }, meId: 9, openId: null };

describe('inboxReducer', () => {
  it('keeps the open conversation read and counts unread for the title', () => {
    let s = inboxReducer(emptyInbox, { type: 'loaded', page: [conversation({ id: 1 }), conversation({ id: 2, unread_count: 4 })], nextBefore: null }, ctx);
    const m = message({ id: 150, conversation_id: 1 });
    s = inboxReducer(s, { type: 'message', message: m, conversation: conversation({ id: 1, last_message: m, unread_count: 1 }) }, { ...ctx, openId: 1 });
    expect(s.items[0]!.id).toBe(1);
    expect(s.items[0]!.unread_count).toBe(0);
    expect(s.unread).toEqual({ 1: 0, 2: 4 });
  });

  it('inserts a new conversation that matches the filter and ignores one that does not', () => {
    const mine = { ...ctx, filter: { ...ctx.filter, view: 'mine' as const } };
    let s = inboxReducer(emptyInbox, { type: 'conversation', conversation: conversation({ id: 3, assignee: { id: 9, name: 'Ann' } }) }, mine);
    s = inboxReducer(s, { type: 'conversation', conversation: conversation({ id: 4, assignee: null }) }, mine);
    expect(s.items.map((c) => c.id)).toEqual([3]);
  });

  it('matches search on contact fields', () => {
    const c = conversation({ channel: 'sms', contact: { id: 1, channel: 'sms', name: null, email: null, phone: '+33 6 12', opted_out: false, external_id: '+33 6 12', verified: false } });
    expect(matchesFilter(c, { view: 'open', channel: '', tag: '', q: '+33' }, null)).toBe(true);
    expect(matchesFilter(c, { view: 'open', channel: 'webchat', tag: '', q: '' }, null)).toBe(false);
  });
});

describe('messagesReducer', () => {
  it('replaces an optimistic message by client_id and keeps server order', () => {
    const local: ChatMessage = { ...message({ id: -1, sender: 'staff', text: 'hi', client_id: 'c1' }), local: 'sending' };
    let s = messagesReducer([], { type: 'reset', messages: [message({ id: 5 })] });
    s = messagesReducer(s, { type: 'pending', message: local });
    s = messagesReducer(s, { type: 'upsert', message: message({ id: 7, text: 'visitor again' }) });
    expect(s.map((m) => m.id)).toEqual([5, 7, -1]);
    const author = { id: 9, name: 'Ann' };
    s = messagesReducer(s, { type: 'upsert', message: message({ id: 6, sender: 'staff', text: 'hi', client_id: 'c1', status: 'sent', author }) });
    expect(s.map((m) => m.id)).toEqual([5, 6, 7]);
    expect(s.some((m) => m.local)).toBe(false);
    // A status update is the message again; the fields it leaves out (author is optional) are kept.
    s = messagesReducer(s, { type: 'upsert', message: message({ id: 6, sender: 'staff', text: 'hi', client_id: 'c1', status: 'read' }) });
    expect(s.find((m) => m.id === 6)).toMatchObject({ status: 'read', client_id: 'c1', author });
  });
});
