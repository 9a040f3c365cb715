import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import { conversation, FakeWebSocket, message, mockApi, signIn } from './helpers';

function rows() {
  return within(screen.getByRole('list', { name: 'Conversations' })).getAllByRole('link');
}

async function setup(convos = [conversation({ id: 1 }), conversation({ id: 2 }), conversation({ id: 3 })]) {
  FakeWebSocket.instances = [];
  const me = signIn({ id: 9, name: 'Ann', role: 'staff' });
  const api = mockApi({
    'GET /api/v1/auth/me': me,
    'GET /admin/api/convos': { conversations: convos, next_before: null },
  });
  render(<App WebSocketImpl={FakeWebSocket} />);
  await screen.findByRole('link', { name: /Contact 1/ });
  act(() => FakeWebSocket.last.open());
  return { api, ws: FakeWebSocket.last };
}

describe('inbox list', () => {
  it('names each row by contact and last message', async () => {
    await setup();
    expect(rows().map((r) => r.textContent)).toEqual([
      expect.stringContaining('Contact 1'),
      expect.stringContaining('Contact 2'),
      expect.stringContaining('Contact 3'),
    ]);
    expect(screen.getByRole('link', { name: /last message 2/ })).toHaveAttribute('href', '#/inbox/2');
  });

  it('names the assignee, or the account id when the server has no name for it', async () => {
    await setup([
      conversation({ id: 1, assignee: { id: 4, name: 'Bo' } }),
      conversation({ id: 2, assignee: { id: 7, name: null } }),
      conversation({ id: 3 }),
    ]);
    expect(rows().map((r) => r.querySelector('.assignee')?.textContent)).toEqual(['Bo', 'Teammate #7', 'Unassigned']);
  });

  it('has one h1 naming the page', async () => {
    await setup();
    expect(screen.getAllByRole('heading', { level: 1 }).map((h) => h.textContent)).toEqual(['Inbox']);
    expect(screen.getByRole('region', { name: 'Inbox' })).toContainElement(screen.getByRole('list', { name: 'Conversations' }));
  });

  it('moves a conversation to the top and bumps its unread count on a socket message', async () => {
    const { ws } = await setup();
    expect(screen.getByTestId('connection')).toHaveTextContent('Connected');
    const incoming = message({ id: 301, conversation_id: 3, text: 'Is anyone there?' });

    act(() =>
      ws.receive({
        type: 'message',
        message: incoming,
        conversation: conversation({ id: 3, last_message: incoming, unread_count: 1 }),
      }),
    );

    expect(rows()[0]).toHaveTextContent('Contact 3');
    expect(rows()[0]).toHaveTextContent('Is anyone there?');
    expect(within(rows()[0]!).getByTestId('unread-count')).toHaveTextContent('1');
    expect(document.title).toBe('(1) Handoff');

    // A second message where the event carries a stale count still bumps locally.
    const again = message({ id: 302, conversation_id: 3, text: 'Hello?' });
    act(() =>
      ws.receive({
        type: 'message',
        message: again,
        conversation: conversation({ id: 3, last_message: again, unread_count: 1 }),
      }),
    );
    expect(within(rows()[0]!).getByTestId('unread-count')).toHaveTextContent('2');
    expect(document.title).toBe('(2) Handoff');
  });

  it('treats a repeat of a known message id as a status update, not new activity', async () => {
    const { ws } = await setup();
    const sent = message({ id: 100, conversation_id: 2, sender: 'staff', text: 'last message 2', status: 'delivered' });
    act(() => ws.receive({ type: 'message', message: sent }));
    expect(rows().map((r) => r.getAttribute('href'))).toEqual(['#/inbox/1', '#/inbox/2', '#/inbox/3']);
    expect(screen.queryByTestId('unread-count')).toBeNull();
  });

  it('drops a conversation closed elsewhere from the open view and shows the escalated flag', async () => {
    const { ws } = await setup();
    act(() => ws.receive({ type: 'conversation_updated', conversation: conversation({ id: 2, status: 'closed' }) }));
    expect(rows()).toHaveLength(2);
    act(() => ws.receive({ type: 'escalation', conversation: conversation({ id: 1, escalated: true }) }));
    expect(within(rows()[0]!).getByText('Escalated')).toBeInTheDocument();
  });

  it('filters by view and channel through the API query', async () => {
    const { api } = await setup();
    await userEvent.click(screen.getByRole('button', { name: 'Unassigned' }));
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Channel' }), 'sms');
    await waitFor(() => {
      const last = api.find('GET', '/admin/api/convos').at(-1)!;
      expect(Object.fromEntries(last.query)).toMatchObject({ status: 'open', assignee: 'none', channel: 'sms' });
    });
  });

  it('refetches the list after the socket reconnects', async () => {
    const { api, ws } = await setup();
    const before = api.find('GET', '/admin/api/convos').length;
    act(() => ws.drop());
    expect(screen.getByTestId('connection')).toHaveTextContent('Reconnecting');
    await waitFor(() => expect(FakeWebSocket.instances.length).toBe(2), { timeout: 2000 });
    act(() => FakeWebSocket.last.open());
    await waitFor(() => expect(api.find('GET', '/admin/api/convos').length).toBe(before + 1));
    expect(screen.getByTestId('connection')).toHaveTextContent('Connected');
  });

  it('moves through conversations with j/k and opens help with ?', async () => {
    await setup();
    await userEvent.keyboard('j');
    expect(window.location.hash).toBe('#/inbox/1');
    await userEvent.keyboard('?');
    expect(await screen.findByRole('dialog', { name: 'Keyboard shortcuts' })).toBeInTheDocument();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();

    // The dialog holds the focus while open and gives it back when it closes.
    const opener = screen.getByRole('button', { name: 'Keyboard shortcuts' });
    opener.focus();
    await userEvent.keyboard('{Enter}');
    const dialog = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    const close = within(dialog).getByRole('button', { name: 'Close' });
    expect(close).toHaveFocus();
    await userEvent.tab();
    expect(close).toHaveFocus();
    await userEvent.tab({ shift: true });
    expect(close).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(opener).toHaveFocus();

    // Typing in the search box never triggers shortcuts.
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search conversations' }), 'jk?');
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
