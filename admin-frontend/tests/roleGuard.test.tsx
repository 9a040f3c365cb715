import { act, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import { FakeWebSocket, mockApi, signIn } from './helpers';

function setup(role: 'admin' | 'staff') {
  const user = signIn({ role });
  mockApi({
    'GET /api/v1/auth/me': user,
    'GET /admin/api/convos': { conversations: [], next_before: null },
    'GET /api/v1/users': [],
    'GET /api/v1/tenant': { id: 1, name: 'Acme', widget_key: 'wk_1', settings: {}, channels: {} },
  });
  render(<App WebSocketImpl={FakeWebSocket} />);
}

describe('role guard', () => {
  it('hides Team and Settings from staff, and refuses the routes', async () => {
    setup('staff');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Inbox' })).toBeInTheDocument();
    expect(within(nav).queryByRole('link', { name: 'Team' })).toBeNull();
    expect(within(nav).queryByRole('link', { name: 'Settings' })).toBeNull();

    act(() => {
      window.location.hash = '/settings';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    expect(await screen.findByRole('heading', { name: 'Not available' })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Settings' })).toBeNull();
  });

  it('shows Team and Settings to admins', async () => {
    setup('admin');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Team' })).toBeInTheDocument();
    expect(within(nav).getByRole('link', { name: 'Settings' })).toBeInTheDocument();
    act(() => {
      window.location.hash = '/team';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    expect(await screen.findByRole('heading', { name: 'Team' })).toBeInTheDocument();
  });
});
