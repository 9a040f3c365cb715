import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { ApiToken, Delivery, Webhook } from '../src/api/integrations';
import { ApiTokensSettings, endOfDay } from '../src/components/ApiTokensSettings';
import { WebhooksSettings } from '../src/components/WebhooksSettings';
import { json, mockApi, signIn } from './helpers';

const hook: Webhook = {
  id: 4,
  url: 'https://example.com/hook',
  events: ['message.created'],
  active: true,
  created_at: '2026-11-01T09:00:00.000Z',
  updated_at: '2026-11-01T09:00:00.000Z',
};

const failed: Delivery = {
  id: 9,
  delivery_id: 'd-9',
  event: 'message.created',
  conversation_id: 3,
  state: 'failed',
  attempts: 7,
  last_status_code: 500,
  last_error: 'the receiver answered 500 (gave up after 7 attempts)',
  created_at: '2026-11-01T09:00:00.000Z',
  delivered_at: null,
  attempt_log: [],
};

const token: ApiToken = {
  id: 2,
  name: 'CRM sync',
  role: 'staff',
  prefix: 'hnd_abcd',
  created_at: '2026-11-01T09:00:00.000Z',
  expires_at: null,
  last_used_at: '2026-11-02T10:00:00.000Z',
  created_by: { id: 1, name: 'Ann' },
};

describe('webhooks settings', () => {
  it('adds a webhook with the chosen events and shows its secret once', async () => {
    signIn({ role: 'admin' });
    let list: Webhook[] = [];
    const api = mockApi({
      'GET /api/v1/webhooks': () => ({ webhooks: list }),
      'POST /api/v1/webhooks': (c) => {
        list = [{ ...hook, ...(c.body as object) }];
        return json({ ...list[0], secret: 'whsec_shown_once' }, 201);
      },
    });
    render(<WebhooksSettings />);
    expect(await screen.findByText('No webhooks yet.')).toBeInTheDocument();
    const form = screen.getByRole('form', { name: 'Add a webhook' });
    await userEvent.type(within(form).getByRole('textbox', { name: 'Endpoint URL' }), 'https://example.com/hook');
    await userEvent.click(within(form).getByRole('checkbox', { name: /Conversation closed/ }));
    await userEvent.click(within(form).getByRole('checkbox', { name: /Conversation started/ }));
    await userEvent.click(within(form).getByRole('button', { name: 'Add webhook' }));
    expect(await screen.findByText('whsec_shown_once')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Copy webhook secret' })).toBeInTheDocument();
    expect(api.find('POST', '/api/v1/webhooks')[0]?.body).toEqual({
      url: 'https://example.com/hook',
      events: ['message.created', 'conversation.closed'],
    });
    await userEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByText('whsec_shown_once')).not.toBeInTheDocument();
    expect(within(screen.getByRole('list', { name: 'Webhooks' })).getByText('https://example.com/hook')).toBeVisible();
  });

  it('shows the delivery log with status codes and redelivers', async () => {
    signIn({ role: 'admin' });
    let deliveries = [failed];
    const api = mockApi({
      'GET /api/v1/webhooks': () => ({ webhooks: [hook] }),
      'GET /api/v1/webhooks/4/deliveries': () => ({ deliveries, next_before: null }),
      'POST /api/v1/webhooks/4/deliveries/9/redeliver': () => {
        deliveries = [{ ...failed, state: 'pending' }];
        return json(deliveries[0], 202);
      },
    });
    render(<WebhooksSettings />);
    await userEvent.click(await screen.findByRole('button', { name: 'Delivery log' }));
    const table = await screen.findByRole('table');
    expect(table).toHaveTextContent('HTTP 500');
    expect(table).toHaveTextContent('gave up after 7 attempts');
    await userEvent.click(within(table).getByRole('button', { name: /Redeliver message.created/ }));
    expect(await screen.findByText('Delivery d-9 queued again.')).toBeInTheDocument();
    expect(api.find('POST', '/api/v1/webhooks/4/deliveries/9/redeliver')).toHaveLength(1);
    await waitFor(() => expect(within(table).getByRole('button', { name: /Redeliver/ })).toBeDisabled());
  });
});

describe('API tokens settings', () => {
  it('creates a token, shows it once, and revokes after confirmation', async () => {
    signIn({ role: 'admin' });
    let list: ApiToken[] = [token];
    const api = mockApi({
      'GET /api/v1/api-tokens': () => ({ api_tokens: list }),
      'POST /api/v1/api-tokens': (c) => {
        const made = { ...token, id: 3, ...(c.body as object) } as ApiToken;
        list = [made, ...list];
        return json({ ...made, token: 'hnd_secret_value' }, 201);
      },
      'DELETE /api/v1/api-tokens/2': () => {
        list = list.filter((t) => t.id !== 2);
        return json(undefined, 204);
      },
    });
    render(<ApiTokensSettings />);
    const table = await screen.findByRole('table', { name: 'API tokens' });
    expect(table).toHaveTextContent('CRM sync');
    expect(table).toHaveTextContent('Never'); // expiry

    const form = screen.getByRole('form', { name: 'Create an API token' });
    await userEvent.type(within(form).getByRole('textbox', { name: 'Token name' }), 'Reports');
    await userEvent.selectOptions(within(form).getByRole('combobox', { name: 'Role' }), 'admin');
    await userEvent.click(within(form).getByRole('button', { name: 'Create token' }));
    expect(await screen.findByText('hnd_secret_value')).toBeInTheDocument();
    expect(api.find('POST', '/api/v1/api-tokens')[0]?.body).toEqual({ name: 'Reports', role: 'admin', expires_at: null });

    await userEvent.click(screen.getByRole('button', { name: 'Revoke token CRM sync' }));
    const dialog = screen.getByRole('dialog', { name: 'Revoke token “CRM sync”?' });
    expect(api.find('DELETE', '/api/v1/api-tokens/2')).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Revoke token' }));
    expect(await screen.findByText('Token “CRM sync” revoked: it no longer works.')).toBeInTheDocument();
    expect(api.find('DELETE', '/api/v1/api-tokens/2')).toHaveLength(1);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('sends an expiry date as the end of that day with a zone', () => {
    expect(endOfDay('2030-05-04')).toMatch(/^2030-05-0[45]T\d\d:59:59\.000Z$/);
  });
});
