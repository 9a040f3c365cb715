import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { AuthProvider } from '../src/auth/AuthContext';
import { TeamPage } from '../src/pages/TeamPage';
import type { TeamUser } from '../src/types';
import { mockApi, signIn } from './helpers';

const users: TeamUser[] = [
  { id: 1, tenant_id: 1, email: 'ann@example.com', name: 'Ann', role: 'admin', disabled: false, created_at: '2026-11-01T00:00:00Z', last_login_at: null, availability: 'online', mfa_enabled: false },
  { id: 2, tenant_id: 1, email: 'bo@example.com', name: 'Bo', role: 'staff', disabled: false, created_at: '2026-11-02T00:00:00Z', last_login_at: null, availability: 'online', mfa_enabled: false },
];

describe('team page', () => {
  it('lists, invites, changes role and disables', async () => {
    const me = signIn({ id: 1 });
    const api = mockApi({
      'GET /api/v1/auth/me': me,
      'GET /api/v1/users': users,
      'POST /api/v1/users': (c) => ({ id: 3, tenant_id: 1, disabled: false, created_at: '2026-11-22T00:00:00Z', last_login_at: null, mfa_enabled: false, ...(c.body as object) }),
      'PATCH /api/v1/users/2': (c) => ({ ...users[1], ...(c.body as object) }),
    });
    render(
      <AuthProvider>
        <TeamPage />
      </AuthProvider>,
    );
    expect(await screen.findByText('bo@example.com')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Disable Ann' })).toBeNull(); // not yourself

    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Role for Bo' }), 'admin');
    await userEvent.click(screen.getByRole('button', { name: 'Disable Bo' }));
    await waitFor(() =>
      expect(api.find('PATCH', '/api/v1/users/2').map((c) => c.body)).toEqual([{ role: 'admin' }, { disabled: true }]),
    );
    expect(await screen.findByRole('button', { name: 'Enable Bo' })).toBeInTheDocument();

    await userEvent.type(screen.getByRole('textbox', { name: 'Name' }), 'Cy');
    await userEvent.type(screen.getByRole('textbox', { name: 'Email' }), 'cy@example.com');
    await userEvent.type(screen.getByRole('textbox', { name: 'Initial password' }), 'longenough1');
    await userEvent.click(screen.getByRole('button', { name: 'Invite' }));
    await waitFor(() => expect(api.find('POST', '/api/v1/users')).toHaveLength(1));
    expect(api.find('POST', '/api/v1/users')[0]!.body).toEqual({
      email: 'cy@example.com',
      name: 'Cy',
      password: 'longenough1',
      role: 'staff',
    });
    expect(await screen.findByText('cy@example.com')).toBeInTheDocument();
  });
});
