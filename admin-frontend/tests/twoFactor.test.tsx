import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import { AuthProvider } from '../src/auth/AuthContext';
import { ContactPanel } from '../src/components/ContactPanel';
import { TeamPage } from '../src/pages/TeamPage';
import { conversation, FakeWebSocket, mockApi, signIn } from './helpers';

const user = { id: 3, email: 'bo@example.com', name: 'Bo', role: 'staff', tenant_id: 1 };
const pair = { access_token: 'acc', refresh_token: 'ref', token_type: 'bearer', expires_in: 900, user };
const inbox = { 'GET /api/v1/auth/me': user, 'GET /admin/api/convos': { conversations: [], next_before: null } };

async function passwordStep() {
  render(<App WebSocketImpl={FakeWebSocket} />);
  await userEvent.type(screen.getByRole('textbox', { name: 'Email' }), 'bo@example.com');
  await userEvent.type(screen.getByRole('textbox', { name: 'Password' }), 'secret-pass');
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('two-factor sign-in', () => {
  it('asks for the code after the password, then signs in', async () => {
    const api = mockApi({
      ...inbox,
      'POST /api/v1/auth/login': { mfa_required: true, mfa_setup_required: false, mfa_token: 'mfa-1' },
      'POST /api/v1/auth/mfa/verify': pair,
    });
    await passwordStep();
    expect(await screen.findByRole('heading', { name: 'Two-factor sign-in' })).toBeInTheDocument();
    expect(localStorage.getItem('handoff.access_token')).toBeNull();
    await userEvent.type(screen.getByRole('textbox', { name: 'Authentication code' }), '123456');
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    await screen.findByRole('navigation', { name: 'Main' });
    expect(api.find('POST', '/api/v1/auth/mfa/verify')[0]!.body).toEqual({ mfa_token: 'mfa-1', code: '123456' });
    expect(localStorage.getItem('handoff.access_token')).toBe('acc');
  });

  it('sets 2FA up at sign-in when the team requires it, showing the recovery codes once', async () => {
    const api = mockApi({
      ...inbox,
      'POST /api/v1/auth/login': { mfa_required: false, mfa_setup_required: true, mfa_token: 'setup-1' },
      'POST /api/v1/auth/mfa/setup': { secret: 'ABCDEFGH', otpauth_url: 'otpauth://totp/x', qr_svg: 'data:image/svg+xml,x' },
      'POST /api/v1/auth/mfa/enable': { recovery_codes: ['aaaaa-bbbbb', 'ccccc-ddddd'], tokens: pair },
    });
    await passwordStep();
    expect(await screen.findByRole('heading', { name: 'Set up two-factor sign-in' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Set up two-factor sign-in' }));
    expect(await screen.findByRole('img', { name: 'QR code for your authenticator app' })).toBeInTheDocument();
    await userEvent.type(screen.getByRole('textbox', { name: 'Code from the app' }), '654321');
    await userEvent.click(screen.getByRole('button', { name: 'Turn on' }));
    const codes = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(codes).toHaveTextContent('aaaaa-bbbbb');
    expect(localStorage.getItem('handoff.access_token')).toBeNull(); // not before the codes are seen
    await userEvent.click(screen.getByRole('button', { name: 'Continue' }));
    await screen.findByRole('navigation', { name: 'Main' });
    expect(api.find('POST', '/api/v1/auth/mfa/setup')[0]!.body).toEqual({ mfa_token: 'setup-1' });
    expect(api.find('POST', '/api/v1/auth/mfa/enable')[0]!.body).toEqual({ code: '654321', mfa_token: 'setup-1' });
  });

  it("lets an admin reset a teammate's 2FA after a confirmation", async () => {
    const me = signIn({ id: 1 });
    const base = { tenant_id: 1, disabled: false, created_at: '2026-11-01T00:00:00Z', last_login_at: null };
    const api = mockApi({
      'GET /api/v1/auth/me': me,
      'GET /api/v1/users': [
        { ...base, id: 1, email: 'ann@example.com', name: 'Ann', role: 'admin', mfa_enabled: true },
        { ...base, id: 2, email: 'bo@example.com', name: 'Bo', role: 'staff', mfa_enabled: true },
      ],
      'POST /api/v1/users/2/mfa/reset': { status: 204 },
    });
    render(
      <AuthProvider>
        <TeamPage />
      </AuthProvider>,
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Reset two-factor sign-in of Bo' }));
    expect(screen.queryByRole('button', { name: 'Reset two-factor sign-in of Ann' })).toBeNull(); // not yourself
    await userEvent.click(screen.getByRole('button', { name: 'Reset' }));
    await waitFor(() => expect(api.find('POST', '/api/v1/users/2/mfa/reset')).toHaveLength(1));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Reset two-factor sign-in of Bo' })).toBeNull());
  });

  it('marks a verified visitor in the conversation\'s contact panel', () => {
    const convo = conversation({ id: 4 });
    render(<ContactPanel conversation={{ ...convo, contact: { ...convo.contact!, verified: true } }} />);
    expect(screen.getByRole('region', { name: 'Contact' })).toHaveTextContent('Verified');
  });
});
