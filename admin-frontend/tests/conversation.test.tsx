import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import type { Message } from '../src/types';
import { conversation, FakeWebSocket, json, message, mockApi, signIn } from './helpers';

const convo = conversation({ id: 5, unread_count: 2, contact: { id: 50, channel: 'sms', name: 'Zoe', email: 'zoe@example.com', phone: '+15550001', opted_out: false, external_id: '+15550001', verified: false } });
const history = [message({ id: 10, conversation_id: 5, text: 'first' }), message({ id: 11, conversation_id: 5, text: 'second' })];

async function open(routes: Parameters<typeof mockApi>[0] = {}) {
  FakeWebSocket.instances = [];
  const me = signIn({ id: 9, name: 'Ann', role: 'staff' });
  window.location.hash = '/inbox/5';
  let nextId = 500;
  const api = mockApi({
    'GET /api/v1/auth/me': me,
    'GET /admin/api/convos': { conversations: [convo], next_before: null },
    'GET /admin/api/conversations/5': convo,
    'GET /admin/api/conversations/5/messages': (c) =>
      c.query.get('after') ? { messages: [message({ id: 12, conversation_id: 5, text: 'missed while away' })] } : { messages: history },
    'POST /admin/api/send': (c) => {
      const body = c.body as { text: string; client_id: string };
      nextId += 1;
      const m: Message = { ...message({ id: nextId, conversation_id: 5, sender: 'staff', text: body.text, status: 'sent' }), client_id: body.client_id };
      return { message_id: nextId, message: m };
    },
    'PATCH /admin/api/conversations/5': (c) => ({ ...convo, ...(c.body as object) }),
    ...routes,
  });
  render(<App WebSocketImpl={FakeWebSocket} />);
  await screen.findByText('second');
  act(() => FakeWebSocket.last.open());
  return { api, ws: FakeWebSocket.last };
}

const log = () => screen.getByRole('log');
const reply = () => screen.getByRole('textbox', { name: 'Reply' });

describe('conversation view', () => {
  it('shows the transcript and contact, and sends a read receipt', async () => {
    const { ws } = await open();
    expect(within(log()).getByText('first')).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Contact' })).toHaveTextContent('zoe@example.com');
    await waitFor(() => expect(ws.framesOf('read')).toEqual([{ type: 'read', conversation_id: 5, message_id: 11 }]));
    expect(screen.queryByTestId('unread-count')).toBeNull();
  });

  it('sends on Enter with a client_id, keeps Shift+Enter as a newline, and upserts status updates', async () => {
    const { api, ws } = await open();
    await userEvent.type(reply(), 'line one{Shift>}{Enter}{/Shift}line two');
    expect(reply()).toHaveValue('line one\nline two');
    await userEvent.keyboard('{Enter}');

    await waitFor(() => expect(api.find('POST', '/admin/api/send')).toHaveLength(1));
    const body = api.find('POST', '/admin/api/send')[0]!.body as { conversation_id: number; text: string; client_id: string };
    expect(body).toMatchObject({ conversation_id: 5, text: 'line one\nline two' });
    expect(body.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply()).toHaveValue('');
    await waitFor(() => expect(within(log()).getAllByTestId('delivery-status').at(-1)).toHaveTextContent('Sent'));

    // The socket echo of the same message, then a status update for its id: still one message.
    const echoed = { ...message({ id: 501, conversation_id: 5, sender: 'staff', text: 'line one\nline two', status: 'delivered' }), client_id: body.client_id };
    act(() => ws.receive({ type: 'message', message: echoed }));
    act(() => ws.receive({ type: 'message', message: { ...echoed, status: 'failed', error: '30003: unreachable' } }));
    const items = within(log()).getAllByTestId('message');
    expect(items).toHaveLength(3);
    expect(within(items[2]!).getByTestId('delivery-status')).toHaveTextContent('Failed: 30003: unreachable');
  });

  it('keeps a failed send with a retry', async () => {
    let fail = true;
    const { api } = await open({
      'POST /admin/api/send': () =>
        fail ? json({ detail: 'Contact opted out' }, 409) : { message_id: 77, message: message({ id: 77, conversation_id: 5, sender: 'staff', text: 'hi', status: 'queued' }) },
    });
    await userEvent.type(reply(), 'hi{Enter}');
    expect(await within(log()).findByText(/Contact opted out/)).toBeInTheDocument();
    fail = false;
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(within(log()).getAllByTestId('delivery-status').at(-1)).toHaveTextContent('Queued'));
    const sends = api.find('POST', '/admin/api/send').map((c) => (c.body as { client_id: string }).client_id);
    expect(sends).toHaveLength(2);
    expect(sends[0]).toBe(sends[1]); // the retry reuses the client_id, so the server stores it once
  });

  it('shows visitor typing and throttles our own typing frames', async () => {
    const { ws } = await open();
    act(() => ws.receive({ type: 'typing', conversation_id: 5, sender: 'visitor' }));
    expect(screen.getByText('Visitor is typing…')).toBeInTheDocument();
    await userEvent.type(reply(), 'abcdef');
    expect(ws.framesOf('typing')).toEqual([{ type: 'typing', conversation_id: 5 }]);
  });

  it('focuses the reply box with r and closes with e, but not while typing', async () => {
    const { api } = await open();
    (document.activeElement as HTMLElement | null)?.blur();
    await userEvent.keyboard('r');
    expect(reply()).toHaveFocus();
    await userEvent.keyboard('e'); // typed into the reply box, not a shortcut
    expect(reply()).toHaveValue('e');
    expect(api.find('PATCH', '/admin/api/conversations/5')).toHaveLength(0);
    reply().blur();
    await userEvent.keyboard('e');
    await waitFor(() => expect(api.find('PATCH', '/admin/api/conversations/5').map((c) => c.body)).toEqual([{ status: 'closed' }]));
  });

  it('assigns to me and closes', async () => {
    const { api } = await open();
    await userEvent.click(screen.getByRole('button', { name: 'Assign to me' }));
    await userEvent.click(screen.getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(api.find('PATCH', '/admin/api/conversations/5').map((c) => c.body)).toEqual([{ assignee_id: 9 }, { status: 'closed' }]));
    expect(await screen.findByRole('button', { name: 'Reopen' })).toBeInTheDocument();
  });

  it('lists teammates from /api/v1/team for a staff member and assigns to one', async () => {
    const { api } = await open({
      'GET /api/v1/team': [
        { id: 9, name: 'Ann', role: 'staff', online: true },
        { id: 12, name: 'Bo', role: 'admin', online: false },
        { id: 13, name: 'Cy', role: 'staff', online: true },
      ],
      'GET /api/v1/users': json({ detail: 'admin only' }, 403),
    });
    const select = screen.getByRole('combobox', { name: 'Assignee' });
    await within(select).findByRole('option', { name: 'Bo' });
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Unassigned',
      'Me (Ann)',
      'Bo',
      'Cy (online)',
    ]);
    await userEvent.selectOptions(select, '13');
    await waitFor(() => expect(api.find('PATCH', '/admin/api/conversations/5').map((c) => c.body)).toEqual([{ assignee_id: 13 }]));
    expect(api.find('GET', '/api/v1/users')).toHaveLength(0); // admin-only: never asked by the assign control
  });

  it('fetches only newer messages after a reconnect', async () => {
    const { api, ws } = await open();
    act(() => ws.drop());
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(2), { timeout: 2000 });
    act(() => FakeWebSocket.last.open());
    expect(await within(log()).findByText('missed while away')).toBeInTheDocument();
    const calls = api.find('GET', '/admin/api/conversations/5/messages');
    expect(calls.at(-1)!.query.get('after')).toBe('11');
  });

  it('keeps a typed draft through an expired session', async () => {
    await open({
      'PATCH /admin/api/conversations/5': json({ detail: 'expired' }, 401),
      'POST /api/v1/auth/refresh': json({ detail: 'expired' }, 401),
    });
    await userEvent.type(reply(), 'do not lose me');
    await userEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByText(/session has expired/)).toBeInTheDocument();

    mockApi({
      'POST /api/v1/auth/login': { access_token: 'a2', refresh_token: 'r2', user: { id: 9, email: 'ann@example.com', name: 'Ann', role: 'staff' } },
      'GET /api/v1/auth/me': { id: 9, email: 'ann@example.com', name: 'Ann', role: 'staff' },
      'GET /admin/api/convos': { conversations: [convo], next_before: null },
      'GET /admin/api/conversations/5': convo,
      'GET /admin/api/conversations/5/messages': { messages: history },
    });
    await userEvent.type(screen.getByRole('textbox', { name: 'Email' }), 'ann@example.com');
    await userEvent.type(screen.getByRole('textbox', { name: 'Password' }), 'pw');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('textbox', { name: 'Reply' })).toHaveValue('do not lose me');
  });
});
