import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import type { CannedResponse, Message } from '../src/types';
import { conversation, FakeWebSocket, message, mockApi, signIn } from './helpers';

const convo = conversation({
  id: 5,
  last_message: message({ id: 9, conversation_id: 5, text: 'earlier question' }),
  unread_count: 0,
});
const reply = (over: Partial<CannedResponse>): CannedResponse => ({
  id: 1,
  shortcut: 'hello',
  title: 'Greeting',
  text: 'Hi {{ contact.name }}',
  created_at: '2026-11-01T09:00:00.000Z',
  updated_at: '2026-11-01T09:00:00.000Z',
  ...over,
});
const replies = [
  reply({ id: 1, shortcut: 'hello', title: 'Greeting' }),
  reply({ id: 2, shortcut: 'help', title: 'Help centre' }),
  reply({ id: 3, shortcut: 'refund', title: 'Refunds' }),
];

async function open() {
  FakeWebSocket.instances = [];
  const me = signIn({ id: 9, name: 'Ann', role: 'staff' });
  window.location.hash = '/inbox/5';
  let nextId = 500;
  const api = mockApi({
    'GET /api/v1/auth/me': me,
    'GET /admin/api/convos': { conversations: [convo], next_before: null },
    'GET /admin/api/conversations/5': convo,
    'GET /admin/api/conversations/5/messages': {
      messages: [message({ id: 10, conversation_id: 5, text: 'first' })],
    },
    'GET /api/v1/canned-responses': { canned_responses: replies },
    'POST /api/v1/canned-responses/2/render': { text: 'See help.example.com, Kim' },
    'GET /api/v1/team': [
      { id: 9, name: 'Ann', role: 'staff', online: true },
      { id: 12, name: 'Cleo Park', role: 'staff', online: false },
    ],
    'POST /admin/api/send': (c) => {
      const body = c.body as { text: string; client_id: string; private?: boolean };
      nextId += 1;
      const m: Message = {
        ...message({ id: nextId, conversation_id: 5, sender: 'staff', text: body.text }),
        client_id: body.client_id,
        ...(body.private ? { private: true } : { status: 'sent' as const }),
      };
      return { message_id: nextId, message: m };
    },
  });
  render(<App WebSocketImpl={FakeWebSocket} />);
  await screen.findByText('first');
  act(() => FakeWebSocket.last.open());
  return { api, ws: FakeWebSocket.last };
}

const box = (name = 'Reply') => screen.getByRole('textbox', { name });

// Typing whole sentences key by key is slow on a busy machine: more than the default 5 s per test.
describe('composer: saved replies, notes and mentions', { timeout: 20_000 }, () => {
  it('opens the saved replies on /, filters as you type, moves with arrows and inserts the rendered text on Enter', async () => {
    const { api } = await open();
    await userEvent.type(box(), 'Sure. /');
    const list = await screen.findByRole('listbox', { name: 'Saved replies' });
    expect(within(list).getAllByRole('option').map((o) => o.textContent)).toEqual([
      '/helloGreeting',
      '/helpHelp centre',
      '/refundRefunds',
    ]);
    await userEvent.type(box(), 'he');
    expect(within(list).getAllByRole('option')).toHaveLength(2);
    expect(within(list).getAllByRole('option')[0]).toHaveAttribute('aria-selected', 'true');
    await userEvent.keyboard('{ArrowDown}');
    const help = within(list).getByRole('option', { name: /help centre/i });
    expect(help).toHaveAttribute('aria-selected', 'true');
    expect(box()).toHaveAttribute('aria-activedescendant', help.id);
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(box()).toHaveValue('Sure. See help.example.com, Kim'));
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(api.find('POST', '/api/v1/canned-responses/2/render')[0]!.body).toEqual({ conversation_id: 5 });
    expect(api.find('POST', '/admin/api/send')).toHaveLength(0); // Enter inserted, it did not send
  });

  it('closes the list on Escape and keeps the text', async () => {
    await open();
    await userEvent.type(box(), '/ref');
    await screen.findByRole('listbox', { name: 'Saved replies' });
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(box()).toHaveValue('/ref');
  });

  it('sends a private note with the teammates mentioned by @, in the note colour, without typing frames', async () => {
    const { api, ws } = await open();
    await userEvent.click(screen.getByRole('button', { name: 'Note' }));
    expect(screen.getByRole('button', { name: 'Note' })).toHaveAttribute('aria-pressed', 'true');
    const note = box('Private note');
    expect(note).toHaveAccessibleDescription(/only your team sees this/i);
    expect(note.closest('form')).toHaveClass('composer-note');
    await userEvent.type(note, 'Ask @cl');
    const team = await screen.findByRole('listbox', { name: 'Team members' });
    expect(within(team).getAllByRole('option').map((o) => o.textContent)).toEqual(['Cleo Park']);
    await userEvent.keyboard('{Enter}');
    expect(note).toHaveValue('Ask @Cleo Park ');
    await userEvent.type(note, 'about the refund{Enter}');
    await waitFor(() => expect(api.find('POST', '/admin/api/send')).toHaveLength(1));
    expect(api.find('POST', '/admin/api/send')[0]!.body).toMatchObject({
      conversation_id: 5,
      text: 'Ask @Cleo Park about the refund',
      private: true,
      mentions: [12],
    });
    expect(ws.framesOf('typing')).toEqual([]);
    const sent = await within(screen.getByRole('log')).findByText('Ask @Cleo Park about the refund');
    const item = sent.closest('li')!;
    expect(item).toHaveClass('msg-note');
    expect(item).toHaveTextContent('Private note, only your team sees this');
    expect(within(item).queryByTestId('delivery-status')).toBeNull();
  });

  it('a reply carries no private flag, and @ completes nothing outside note mode', async () => {
    const { api } = await open();
    await userEvent.type(box(), 'hi @cl');
    expect(screen.queryByRole('listbox')).toBeNull();
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(api.find('POST', '/admin/api/send')).toHaveLength(1));
    expect(api.find('POST', '/admin/api/send')[0]!.body).not.toHaveProperty('private');
  });

  it('shows a teammate\'s note apart, and a mention of me as a notice', async () => {
    const { ws } = await open();
    const note = { ...message({ id: 20, conversation_id: 5, sender: 'staff', text: 'VIP customer' }), private: true };
    act(() => ws.receive({ type: 'message', message: note, conversation: convo }));
    const item = (await within(screen.getByRole('log')).findByText('VIP customer')).closest('li')!;
    expect(item).toHaveTextContent('Private note');
    act(() => ws.receive({ type: 'mention', message: note, conversation: convo, by: { id: 12, name: 'Cleo Park' } }));
    const notice = await screen.findByText('Cleo Park mentioned you');
    const region = notice.closest('[role="status"]') as HTMLElement;
    expect(region).toHaveTextContent('VIP customer');
    await userEvent.click(within(region).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByText('Cleo Park mentioned you')).toBeNull();
  });

  it('a teammate\'s note leaves the inbox list row as it was', async () => {
    const { ws } = await open();
    const row = screen.getByRole('list', { name: 'Conversations' }).querySelector('a')!;
    expect(row).toHaveTextContent('earlier question');
    const note = { ...message({ id: 21, conversation_id: 5, sender: 'staff', text: 'internal only' }), private: true };
    act(() => ws.receive({ type: 'message', message: note, conversation: convo }));
    await within(screen.getByRole('log')).findByText('internal only');
    expect(row).toHaveTextContent('earlier question');
    expect(row).not.toHaveTextContent('internal only');
  });

  it('lets a note be written where replies cannot be sent (an opted-out SMS contact)', async () => {
    const optedOut = conversation({
      id: 5,
      channel: 'sms',
      contact: { id: 50, channel: 'sms', name: 'Zoe', email: null, phone: '+15550001', opted_out: true, external_id: '+15550001', verified: false },
    });
    FakeWebSocket.instances = [];
    signIn({ id: 9, name: 'Ann', role: 'staff' });
    window.location.hash = '/inbox/5';
    const api = mockApi({
      'GET /admin/api/convos': { conversations: [optedOut], next_before: null },
      'GET /admin/api/conversations/5': optedOut,
      'GET /admin/api/conversations/5/messages': { messages: [] },
      'POST /admin/api/send': (c) => ({
        message_id: 30,
        message: { ...message({ id: 30, conversation_id: 5, sender: 'staff', text: 'x' }), ...(c.body as object) },
      }),
    });
    render(<App WebSocketImpl={FakeWebSocket} />);
    await userEvent.type(await screen.findByRole('textbox', { name: 'Reply' }), 'noted');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    await userEvent.click(screen.getByRole('button', { name: 'Note' }));
    await userEvent.click(screen.getByRole('button', { name: 'Add note' }));
    await waitFor(() => expect(api.find('POST', '/admin/api/send')).toHaveLength(1));
    expect(api.find('POST', '/admin/api/send')[0]!.body).toMatchObject({ text: 'noted', private: true });
  });
});
