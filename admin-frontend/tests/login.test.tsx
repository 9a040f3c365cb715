import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import { FakeWebSocket, json, mockApi } from './helpers';

const user = { id: 3, email: 'bo@example.com', name: 'Bo', role: 'staff', tenant_id: 1 };

describe('login', () => {
  it('submits the form, stores the tokens and opens the inbox', async () => {
    const api = mockApi({
      'POST /api/v1/auth/login': {
        access_token: 'acc',
        refresh_token: 'ref',
        token_type: 'bearer',
        user,
      },
      'GET /api/v1/auth/me': user,
      'GET /admin/api/convos': { conversations: [], next_before: null },
    });
    render(<App WebSocketImpl={FakeWebSocket} />);

    await userEvent.type(screen.getByRole('textbox', { name: 'Email' }), 'bo@example.com');
    await userEvent.type(screen.getByRole('textbox', { name: 'Password' }), 'secret-pass');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    await screen.findByRole('navigation', { name: 'Main' });
    expect(api.find('POST', '/api/v1/auth/login')[0]!.body).toEqual({
      email: 'bo@example.com',
      password: 'secret-pass',
    });
    expect(localStorage.getItem('handoff.access_token')).toBe('acc');
    expect(localStorage.getItem('handoff.refresh_token')).toBe('ref');
    // The socket authenticates with the new token in its first frame.
    act(() => FakeWebSocket.last.open());
    expect(FakeWebSocket.last.sent[0]).toEqual({ type: 'auth', token: 'acc' });
  });

  it('shows the server message on bad credentials', async () => {
    mockApi({ 'POST /api/v1/auth/login': json({ detail: 'Invalid email or password' }, 401) });
    render(<App WebSocketImpl={FakeWebSocket} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Email' }), 'x@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'nope');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Invalid email or password');
    expect(localStorage.getItem('handoff.access_token')).toBeNull();
  });

  it('signs out through the API and returns to the login form', async () => {
    localStorage.setItem('handoff.access_token', 'acc');
    localStorage.setItem('handoff.refresh_token', 'ref');
    localStorage.setItem('handoff.user', JSON.stringify(user));
    const api = mockApi({
      'GET /api/v1/auth/me': user,
      'GET /admin/api/convos': { conversations: [], next_before: null },
      'POST /api/v1/auth/logout': json(undefined, 204),
    });
    render(<App WebSocketImpl={FakeWebSocket} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Sign out' }));
    await screen.findByRole('button', { name: 'Sign in' });
    expect(api.find('POST', '/api/v1/auth/logout')).toHaveLength(1);
    await waitFor(() => expect(localStorage.getItem('handoff.access_token')).toBeNull());
  });
});
