import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ContactsPage } from '../src/pages/ContactsPage';
import type { Person, PersonDetail } from '../src/types';
import { json, mockApi, signIn } from './helpers';

const person = (over: Partial<Person>): Person => ({
  id: 1,
  channel: 'webchat',
  external_id: 'v-1',
  name: 'Vera',
  email: 'vera@example.com',
  phone: null,
  note: null,
  opted_out: false,
  created_at: '2026-11-01T09:00:00.000Z',
  last_seen_at: '2026-11-01T09:00:00.000Z',
  verified: false,
  verified_user_id: null,
  ...over,
});

const detail = (p: Person, over: Partial<PersonDetail> = {}): PersonDetail => ({
  ...p,
  identities: [{ id: p.id, channel: p.channel, external_id: p.external_id, opted_out: false }],
  conversations: [
    {
      id: 7,
      channel: p.channel,
      status: 'open',
      created_at: p.created_at,
      last_message_at: p.last_seen_at,
      contact_id: p.id,
      last_text: 'hello',
    },
  ],
  ...over,
});

function server() {
  signIn({ role: 'staff' });
  const vera = person({});
  const texter = person({ id: 2, channel: 'sms', external_id: '+15550100', name: null, email: null, phone: '+15550100' });
  let current = detail(vera);
  return mockApi({
    'GET /admin/api/contacts': (c) => ({
      contacts: c.query.get('q') === '555' ? [texter] : [vera, texter],
      next_before: null,
    }),
    'GET /admin/api/contacts/1': () => current,
    'PATCH /admin/api/contacts/1': (c) => {
      const body = c.body as Record<string, string>;
      if (body.email === 'bad') return json({ detail: 'email: not an email address' }, 422);
      current = { ...current, ...body };
      return current;
    },
    'POST /admin/api/contacts/1/merge': () => {
      current = {
        ...current,
        identities: [...current.identities, { id: 2, channel: 'sms', external_id: '+15550100', opted_out: false }],
      };
      return current;
    },
  });
}

describe('contacts page', () => {
  it('searches, edits with the server\'s errors shown, and merges after a confirmation', async () => {
    const api = server();
    render(<ContactsPage openId={1} />);
    const list = await screen.findByRole('list', { name: 'Contacts' });
    expect(within(list).getAllByRole('link')).toHaveLength(2);
    expect(await screen.findByRole('heading', { level: 2, name: 'Vera' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Web chat conversation #7/ })).toHaveAttribute('href', '#/inbox/7');

    const email = screen.getByRole('textbox', { name: 'Email' });
    await userEvent.clear(email);
    await userEvent.type(email, 'bad');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('not an email address');
    await userEvent.clear(email);
    await userEvent.type(email, 'v@example.com');
    await userEvent.type(screen.getByRole('textbox', { name: 'Note' }), 'VIP');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Saved');
    expect(api.find('PATCH', '/admin/api/contacts/1').at(-1)?.body).toMatchObject({ email: 'v@example.com', note: 'VIP' });

    await userEvent.type(screen.getByRole('searchbox', { name: 'Contact to merge' }), '555');
    await userEvent.click(screen.getByRole('button', { name: 'Find' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Merge +15550100 (SMS)' }));
    const dialog = screen.getByRole('dialog', { name: 'Merge contacts?' });
    expect(dialog).toHaveTextContent('+15550100 (SMS) will be merged into Vera');
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(api.find('POST', '/admin/api/contacts/1/merge')).toHaveLength(0);

    await userEvent.click(screen.getByRole('button', { name: 'Merge +15550100 (SMS)' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Merge' }));
    expect(await screen.findByText('SMS: +15550100')).toBeInTheDocument();
    expect(api.find('POST', '/admin/api/contacts/1/merge')[0]?.body).toEqual({ other_id: 2 });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(within(list).getAllByRole('link')).toHaveLength(1);
  });

  it('marks a contact whose identity the site verified', async () => {
    signIn({ role: 'staff' });
    const ada = person({ id: 3, name: 'Ada', verified: true, verified_user_id: 'cust-42' });
    mockApi({
      'GET /admin/api/contacts': { contacts: [ada], next_before: null },
      'GET /admin/api/contacts/3': detail(ada),
    });
    render(<ContactsPage openId={3} />);
    const badge = await screen.findByText('Verified');
    expect(badge).toHaveAttribute('title', 'Verified as user cust-42');
    expect(badge.closest('h2')).toHaveTextContent('Ada');
  });
});
