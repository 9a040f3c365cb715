import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { SettingsPage } from '../src/pages/SettingsPage';
import type { Tenant } from '../src/types';
import { json, mockApi, signIn } from './helpers';

const tenant: Tenant = {
  id: 1,
  name: 'Acme',
  widget_key: 'wk_abc123',
  created_at: '2026-11-01T09:00:00.000Z',
  settings: {
    greeting: 'Hi there!',
    color: '#ff0000',
    position: 'left',
    language: 'fr',
    prechat_form: false,
    business_hours: null,
    timezone: null,
    allowed_origins: [],
    csat: false,
    require_identity: false,
    require_mfa: false,
  },
  channels: {
    sms: {
      configured: true,
      number: '+15550100',
      account_sid: 'AC123',
      auth_token_set: true,
      webhook_urls: { sms: 'https://h.example/webhooks/twilio/sms', status: 'https://h.example/webhooks/twilio/status' },
    },
    messenger: {
      configured: false,
      page_id: null,
      page_access_token_set: false,
      app_secret_set: false,
      verify_token_set: false,
      webhook_url: 'https://h.example/webhooks/messenger',
    },
  },
};

function setup() {
  signIn();
  return mockApi({
    'GET /api/v1/tenant': tenant,
    'PATCH /api/v1/tenant': (c) => ({ ...tenant, ...(c.body as object) }),
  });
}

describe('settings page', () => {
  it('shows the embed snippet and the webhook URLs', async () => {
    setup();
    render(<SettingsPage />);
    expect(await screen.findByTestId('embed-snippet')).toHaveTextContent(
      `<script src="${window.location.origin}/widget/handoff.js" data-key="wk_abc123" async></script>`,
    );
    expect(screen.getByText('https://h.example/webhooks/twilio/sms')).toBeInTheDocument();
    expect(screen.getByText('https://h.example/webhooks/messenger')).toBeInTheDocument();
    const sms = screen.getByRole('form', { name: 'Twilio SMS' });
    expect(within(sms).getByText('Configured')).toBeInTheDocument();
  });

  it('updates the preview live and saves widget settings', async () => {
    const api = setup();
    render(<SettingsPage />);
    const greeting = await screen.findByRole('textbox', { name: 'Greeting' });
    await userEvent.clear(greeting);
    await userEvent.type(greeting, 'Bonjour <b>!</b>');
    expect(within(screen.getByLabelText('Widget preview')).getByText('Bonjour <b>!</b>')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('checkbox', { name: /Set opening hours/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Save widget settings' }));
    await waitFor(() => expect(api.find('PATCH', '/api/v1/tenant')).toHaveLength(1));
    const body = api.find('PATCH', '/api/v1/tenant')[0]!.body as { settings: Record<string, unknown> };
    expect(body.settings).toMatchObject({ greeting: 'Bonjour <b>!</b>', color: '#ff0000', position: 'left', language: 'fr' });
    expect(body.settings.business_hours).toEqual({
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      week: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']], sat: [], sun: [] },
    });
    expect(body.settings.timezone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('checks the brand colour contrast live and says which text colour the widget will use', async () => {
    setup();
    render(<SettingsPage />);
    const hex = await screen.findByRole('textbox', { name: 'Colour hex' });
    const status = screen.getByRole('status');
    expect(hex).toHaveAccessibleDescription(status.textContent!);
    // #ff0000 (stored): white reaches 4.0:1 only, #111111 4.72:1.
    expect(status).toHaveTextContent(
      'Low contrast: white text on #ff0000 reaches only 4:1 (WCAG AA needs 4.5:1). The widget will use dark text (#111111, 4.72:1) instead.',
    );
    const head = () => screen.getByLabelText('Widget preview').querySelector<HTMLElement>('.preview-head')!;
    expect(head()).toHaveStyle({ color: '#111111', background: '#ff0000' });

    await userEvent.clear(hex);
    await userEvent.type(hex, '#2563eb');
    expect(status).toHaveTextContent('White text on #2563eb: 5.17:1 (WCAG AA needs 4.5:1). The widget uses white text.');
    expect(head()).toHaveStyle({ color: '#ffffff', background: '#2563eb' });

    await userEvent.clear(hex);
    await userEvent.type(hex, '#ffff00');
    expect(status).toHaveTextContent('white text on #ffff00 reaches only 1.07:1');
    expect(status).toHaveTextContent('The widget will use dark text (#111111, 17.58:1) instead.');

    // Neither reaches 4.5:1: the widget darkens the colour one step and uses white.
    await userEvent.clear(hex);
    await userEvent.type(hex, '#777777');
    expect(status).toHaveTextContent(
      'Low contrast: neither white text (4.48:1) nor dark text (4.22:1) reaches 4.5:1 on #777777. The widget will use white text (#ffffff) on #767676 (4.54:1) instead.',
    );
    expect(head()).toHaveStyle({ color: '#ffffff', background: '#767676' });

    await userEvent.clear(hex);
    await userEvent.type(hex, '#77');
    expect(status).toHaveTextContent('Enter the colour as #rrggbb to check its contrast.');
    expect(screen.getAllByRole('status')).toHaveLength(1);
  });

  it('saves the sites allowed to use the widget, and shows the server\'s refusal of a bad entry', async () => {
    signIn();
    const api = mockApi({
      'GET /api/v1/tenant': tenant,
      'PATCH /api/v1/tenant': (c) => {
        const sites = (c.body as { settings: { allowed_origins: string[] } }).settings.allowed_origins;
        if (sites.some((s) => !s.startsWith('http'))) return json({ detail: "settings.allowed_origins: not an origin (scheme://host[:port]): 'shop'" }, 422);
        return { ...tenant, settings: { ...tenant.settings, allowed_origins: sites } };
      },
    });
    render(<SettingsPage />);
    const form = await screen.findByRole('form', { name: 'Sites allowed to use the widget' });
    const sites = within(form).getByRole('textbox', { name: 'Allowed sites' });
    expect(sites).toHaveValue('');
    await userEvent.type(sites, 'shop');
    await userEvent.click(within(form).getByRole('button', { name: 'Save allowed sites' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent('not an origin');

    await userEvent.clear(sites);
    await userEvent.type(sites, 'https://shop.example.com{enter}https://www.example.com');
    await userEvent.click(within(form).getByRole('button', { name: 'Save allowed sites' }));
    expect(await within(form).findByRole('status')).toHaveTextContent('the widget works on these 2 sites only');
    expect(api.find('PATCH', '/api/v1/tenant')[1]!.body).toEqual({
      settings: { allowed_origins: ['https://shop.example.com', 'https://www.example.com'] },
    });
  });

  it('sends only the credential fields the user typed', async () => {
    const api = setup();
    render(<SettingsPage />);
    const sms = await screen.findByRole('form', { name: 'Twilio SMS' });
    await userEvent.type(within(sms).getByLabelText('Auth token'), 'new-secret');
    await userEvent.click(within(sms).getByRole('button', { name: 'Save Twilio SMS' }));
    await waitFor(() => expect(api.find('PATCH', '/api/v1/tenant')).toHaveLength(1));
    expect(api.find('PATCH', '/api/v1/tenant')[0]!.body).toEqual({ channels: { sms: { auth_token: 'new-secret' } } });
  });

  it('shows "Verifying with Twilio…" while the server checks the number, then the outcome', async () => {
    signIn();
    let answer: (value: unknown) => void = () => {};
    mockApi({
      'GET /api/v1/tenant': tenant,
      'PATCH /api/v1/tenant': () => new Promise((resolve) => (answer = resolve)),
    });
    render(<SettingsPage />);
    const sms = await screen.findByRole('form', { name: 'Twilio SMS' });
    await userEvent.type(within(sms).getByLabelText('Auth token'), 'new-secret');
    await userEvent.click(within(sms).getByRole('button', { name: 'Save Twilio SMS' }));
    expect(within(sms).getByRole('button', { name: 'Verifying with Twilio…' })).toBeDisabled();
    expect(within(sms).getByRole('status')).toHaveTextContent('Verifying with Twilio…');
    answer(tenant);
    expect(await within(sms).findByText('Saved: Twilio confirmed these credentials.')).toBeInTheDocument();
    expect(within(sms).getByRole('button', { name: 'Save Twilio SMS' })).toBeEnabled();
  });

  it('shows the refusal next to the form and keeps what was typed', async () => {
    signIn();
    const detail = '+15550199 is not a phone number of the Twilio account AC123';
    mockApi({ 'GET /api/v1/tenant': tenant, 'PATCH /api/v1/tenant': json({ detail }, 422) });
    render(<SettingsPage />);
    const messenger = await screen.findByRole('form', { name: 'Facebook Messenger' });
    const sms = screen.getByRole('form', { name: 'Twilio SMS' });
    const number = within(sms).getByLabelText('Twilio number');
    await userEvent.clear(number);
    await userEvent.type(number, '+15550199');
    await userEvent.click(within(sms).getByRole('button', { name: 'Save Twilio SMS' }));
    expect(await within(sms).findByRole('alert')).toHaveTextContent(`Not saved. ${detail}`);
    expect(number).toHaveValue('+15550199');
    expect(within(messenger).queryByRole('alert')).toBeNull(); // next to the form it concerns only
    expect(within(sms).getByText('Configured')).toBeInTheDocument();
  });
});
