import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import { AuthProvider } from '../src/auth/AuthContext';
import { actionLabel, targetLabel } from '../src/lib/audit';
import { AuditLogPage } from '../src/pages/AuditLogPage';
import type { AuditEvent, TeamUser } from '../src/types';
import { FakeWebSocket, json, mockApi, signIn } from './helpers';

const users: TeamUser[] = [
  { id: 1, tenant_id: 1, email: 'ann@example.com', name: 'Ann', role: 'admin', disabled: false, created_at: '2026-11-01T00:00:00Z', last_login_at: null, availability: 'online', mfa_enabled: false },
  { id: 2, tenant_id: 1, email: 'bo@example.com', name: 'Bo', role: 'staff', disabled: false, created_at: '2026-11-02T00:00:00Z', last_login_at: null, availability: 'online', mfa_enabled: false },
];

function event(over: Partial<AuditEvent> & { id: number }): AuditEvent {
  return {
    tenant_id: 1,
    actor: { type: 'user', id: '1' },
    action: 'tenant.updated',
    target: { type: 'tenant', id: '1' },
    detail: { changed: ['greeting'] },
    request_id: `req-${over.id}`,
    client_address: '203.0.113.7',
    created_at: '2026-11-20T10:00:00.000Z',
    ...over,
  };
}

function renderPage() {
  render(
    <AuthProvider>
      <AuditLogPage />
    </AuthProvider>,
  );
}

describe('audit log page', () => {
  it('lists events with readable names, expands a detail, pages with the cursor and filters', async () => {
    signIn();
    const api = mockApi({
      'GET /api/v1/users': users,
      'GET /api/v1/events': (c) => {
        if (c.query.get('action') === 'user') {
          return { events: [event({ id: 7, action: 'user.created', target: { type: 'user', id: '2' }, detail: { role: 'staff' } })], next_before: null };
        }
        if (c.query.get('before') === '9') {
          return { events: [event({ id: 8, action: 'auth.login', actor: { type: 'user', id: '2' }, target: { type: 'user', id: '2' }, detail: null })], next_before: null };
        }
        return {
          events: [
            event({ id: 10, action: 'conversation.closed', actor: { type: 'visitor', id: 'v1' }, target: { type: 'conversation', id: '12' }, detail: null, client_address: null }),
            event({ id: 9 }),
          ],
          next_before: 9,
        };
      },
    });
    renderPage();
    const table = await screen.findByRole('table');
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3); // header + 2, newest first
    expect(within(rows[1]!).getByText('Closed conversation')).toBeInTheDocument();
    expect(within(rows[1]!).getByText('Visitor')).toBeInTheDocument();
    expect(within(rows[1]!).getByRole('link', { name: 'Conversation #12' })).toHaveAttribute('href', '#/inbox/12');
    expect(within(rows[2]!).getByText('Changed settings')).toBeInTheDocument();
    expect(within(rows[2]!).getByText('Ann')).toBeInTheDocument();
    expect(within(rows[2]!).getByText('203.0.113.7')).toBeInTheDocument();
    expect(within(rows[2]!).getByText('req-9')).toBeInTheDocument();
    const when = rows[2]!.querySelector('time')!;
    expect(when).toHaveAttribute('datetime', '2026-11-20T10:00:00.000Z');
    expect(when.getAttribute('title')).toMatch(/2026/);
    expect(when).toHaveAttribute('tabindex', '0');

    const details = within(rows[2]!).getByRole('button', { name: /^Details: Changed settings/ });
    expect(details).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(details);
    expect(details).toHaveAttribute('aria-expanded', 'true');
    const region = document.getElementById(details.getAttribute('aria-controls')!)!;
    expect(within(region).getByText('changed')).toBeInTheDocument();
    expect(within(region).getByText('["greeting"]')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Older' }));
    expect(await within(screen.getByRole('table')).findByText('Signed in')).toBeInTheDocument();
    expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(5); // + the open detail
    expect(screen.queryByRole('button', { name: 'Older' })).toBeNull();
    expect(api.find('GET', '/api/v1/events').at(-1)!.query.get('before')).toBe('9');

    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Action' }), 'user');
    const filteredTable = await screen.findByRole('table');
    expect(await within(filteredTable).findByText('Added user')).toBeInTheDocument();
    expect(within(filteredTable).getByText('User Bo')).toBeInTheDocument();
    expect(within(screen.getByRole('table')).queryByText('Closed conversation')).toBeNull();

    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Teammate' }), 'Bo');
    await waitFor(() => expect(api.find('GET', '/api/v1/events').at(-1)!.query.get('actor')).toBe('2'));
    expect(api.find('GET', '/api/v1/events').at(-1)!.query.get('action')).toBe('user');
  });

  it('shows the empty and error states, and tries again', async () => {
    signIn();
    let fail = true;
    mockApi({
      'GET /api/v1/users': users,
      'GET /api/v1/events': (c) => {
        if (fail) return json({ detail: 'database is busy' }, 503);
        if (c.query.get('action')) return { events: [], next_before: null };
        return { events: [], next_before: null };
      },
    });
    renderPage();
    expect(await screen.findByRole('alert')).toHaveTextContent('database is busy');
    fail = false;
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No events yet.')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Action' }), 'auth.login');
    expect(await screen.findByText('No events match these filters.')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(await screen.findByText('No events yet.')).toBeInTheDocument();
  });

  it('names unknown actions and targets readably', () => {
    expect(actionLabel('widget.moved_around')).toBe('Widget moved around');
    expect(targetLabel({ type: 'canned_response', id: '3' }, new Map())).toBe('Saved reply #3');
    expect(targetLabel(null, new Map())).toBe('');
  });

  it('is linked for admins only; staff get the not-allowed view', async () => {
    signIn({ role: 'staff' });
    mockApi({
      'GET /api/v1/auth/me': { id: 1, role: 'staff' },
      'GET /admin/api/convos': { conversations: [], next_before: null },
    });
    render(<App WebSocketImpl={FakeWebSocket} />);
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(within(nav).queryByRole('link', { name: 'Audit log' })).toBeNull();
    act(() => {
      window.location.hash = '/audit';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    expect(await screen.findByRole('heading', { name: 'Not available' })).toBeInTheDocument();
    act(() => {
      window.location.hash = '';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
  });

  it('is in the main navigation for admins', async () => {
    signIn({ role: 'admin' });
    mockApi({
      'GET /api/v1/auth/me': { id: 1, role: 'admin' },
      'GET /admin/api/convos': { conversations: [], next_before: null },
    });
    render(<App WebSocketImpl={FakeWebSocket} />);
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Audit log' })).toHaveAttribute('href', '#/audit');
  });
});
