import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import { EmailSettings } from '../src/components/EmailSettings';
import { EmailTranscript } from '../src/components/EmailTranscript';
import { NotificationPrefs } from '../src/components/NotificationPrefs';
import { FollowupsPage } from '../src/pages/FollowupsPage';
import { LiveSocketProvider } from '../src/socket/LiveSocket';
import type { Followup } from '../src/types';
import { FakeWebSocket, json, mockApi, signIn } from './helpers';

const followup: Followup = {
  id: 7,
  name: 'Dana',
  email: 'dana@example.com',
  phone: null,
  message: 'Call me',
  conversation_id: null,
  created_at: '2026-11-22T08:00:00Z',
  viewed_at: null,
  viewed_by: null,
};

describe('email', () => {
  it('asks for a reset link without saying whether the account exists', async () => {
    const api = mockApi({ 'POST /api/v1/auth/forgot': json({ detail: 'queued' }, 202) });
    render(<App WebSocketImpl={FakeWebSocket} />);
    await userEvent.click(screen.getByRole('button', { name: 'Forgot password?' }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Email' }), 'bo@example.com');
    await userEvent.click(screen.getByRole('button', { name: 'Email me a reset link' }));
    expect(await screen.findByRole('status')).toHaveTextContent('If that address has an account');
    expect(api.find('POST', '/api/v1/auth/forgot')[0]!.body).toEqual({ email: 'bo@example.com' });
  });

  it('sets a new password from the link', async () => {
    window.location.hash = '#/reset/12.abc';
    const api = mockApi({ 'POST /api/v1/auth/reset': json(undefined, 204) });
    render(<App WebSocketImpl={FakeWebSocket} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'New password' }), 'a-long-password');
    await userEvent.click(screen.getByRole('button', { name: 'Set password' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Your password is changed');
    expect(api.find('POST', '/api/v1/auth/reset')[0]!.body).toEqual({ token: '12.abc', password: 'a-long-password' });
    window.location.hash = '';
  });

  it('replies to a follow-up and shows the reply recorded', async () => {
    signIn();
    const api = mockApi({
      'GET /admin/api/followups': { followups: [followup] },
      'POST /admin/api/followups/7/reply': {
        ...followup,
        reply_text: 'We will call',
        reply_via: 'email',
        replied_at: '2026-11-22T09:00:00Z',
        replied_by: 1,
      },
    });
    render(
      <LiveSocketProvider enabled WebSocketImpl={FakeWebSocket}>
        <FollowupsPage />
      </LiveSocketProvider>,
    );
    const card = (await screen.findByText('Dana')).closest('li')!;
    await userEvent.type(within(card).getByRole('textbox', { name: 'Reply to Dana' }), 'We will call');
    await userEvent.click(within(card).getByRole('button', { name: 'Send reply' }));
    expect(await within(card).findByRole('status')).toHaveTextContent('Replied by email');
    expect(api.find('POST', '/admin/api/followups/7/reply')[0]!.body).toEqual({ text: 'We will call' });
  });

  it('shows whether email is configured and sends a test', async () => {
    signIn();
    const api = mockApi({
      'GET /admin/api/email': { configured: true, sender: 'Handoff <a@b.test>', reset_links_to: '' },
      'POST /admin/api/email/test': json({ detail: 'queued', to: 'ann@example.com' }, 202),
    });
    render(<EmailSettings />);
    expect(await screen.findByText('yes')).toBeInTheDocument();
    expect(screen.getByText(/Set PUBLIC_BASE_URL on the server/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Send test email' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Test email queued to ann@example.com.');
    expect(api.find('POST', '/admin/api/email/test')).toHaveLength(1);
  });

  it('says where password reset links point once PUBLIC_BASE_URL is set', async () => {
    signIn();
    mockApi({
      'GET /admin/api/email': {
        configured: true,
        sender: 'Handoff <a@b.test>',
        reset_links_to: 'https://chat.example.com',
      },
    });
    render(<EmailSettings />);
    expect(await screen.findByText('Password reset links point to https://chat.example.com.')).toBeInTheDocument();
    expect(screen.queryByText(/Set PUBLIC_BASE_URL/)).toBeNull();
  });

  it('emails a transcript and changes notification preferences', async () => {
    signIn();
    const api = mockApi({
      'POST /admin/api/conversations/3/transcript': json({ detail: 'queued', to: 'vic@example.com' }, 202),
      'GET /api/v1/me/notifications': { email: true, push: true, sound: true },
      'PATCH /api/v1/me/notifications': { email: false, push: true, sound: true },
    });
    render(
      <>
        <EmailTranscript conversationId={3} contactEmail="vic@example.com" />
        <NotificationPrefs />
      </>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Email transcript' }));
    await userEvent.click(screen.getByRole('button', { name: 'Send transcript' }));
    await waitFor(() => expect(screen.getByText('Transcript emailed to vic@example.com.')).toBeInTheDocument());
    expect(api.find('POST', '/admin/api/conversations/3/transcript')[0]!.body).toEqual({ email: 'vic@example.com' });
    const emailBox = await screen.findByRole('checkbox', { name: /Email me when I am not signed in/ });
    await userEvent.click(emailBox);
    await waitFor(() => expect(emailBox).not.toBeChecked());
    expect(api.find('PATCH', '/api/v1/me/notifications')[0]!.body).toEqual({ email: false });
  });
});
