import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { App } from '../src/App';
import { SnoozeControl } from '../src/components/SnoozeControl';
import { TagsSettings } from '../src/components/TagsSettings';
import { conversation, FakeWebSocket, json, mockApi, signIn } from './helpers';

function rows() {
  return within(screen.getByRole('list', { name: 'Conversations' })).getAllByRole('link');
}

async function setup(convos = [conversation({ id: 1 }), conversation({ id: 2 }), conversation({ id: 3 })], extra = {}) {
  FakeWebSocket.instances = [];
  signIn({ id: 9, name: 'Ann', role: 'staff' });
  const api = mockApi({
    'GET /api/v1/auth/me': { id: 9, name: 'Ann', role: 'staff' },
    'GET /admin/api/convos': { conversations: convos, next_before: null },
    'GET /api/v1/tags': { tags: ['billing', 'vip'] },
    'GET /api/v1/team': [{ id: 4, name: 'Bo', role: 'staff', online: true }],
    'POST /admin/api/conversations/bulk': (call) => ({ updated: (call.body as { ids: number[] }).ids.length }),
    ...extra,
  });
  render(<App WebSocketImpl={FakeWebSocket} />);
  await screen.findByRole('link', { name: /Contact 1/ });
  act(() => FakeWebSocket.last.open());
  return { api, ws: FakeWebSocket.last };
}

const lastQuery = (api: ReturnType<typeof mockApi>) =>
  Object.fromEntries(api.find('GET', '/admin/api/convos').at(-1)!.query);

describe('inbox filter bar', () => {
  it('filters by tag, snoozed view and search, keeping the state in the URL', async () => {
    const { api } = await setup();
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Tag' }), 'vip');
    await waitFor(() => expect(lastQuery(api)).toMatchObject({ status: 'open', tag: 'vip' }));
    expect(window.location.hash).toBe('#/inbox?tag=vip');
    await userEvent.click(screen.getByRole('button', { name: 'Snoozed' }));
    await waitFor(() => expect(lastQuery(api)).toMatchObject({ status: 'snoozed', tag: 'vip' }));
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search conversations' }), 'refund');
    await waitFor(() => expect(lastQuery(api)).toMatchObject({ status: 'snoozed', tag: 'vip', q: 'refund' }));
    expect(window.location.hash).toBe('#/inbox?view=snoozed&tag=vip&q=refund');
    // Opening a conversation keeps the filter.
    expect(rows()[1]).toHaveAttribute('href', '#/inbox/2?view=snoozed&tag=vip&q=refund');
  });

  it('starts from the filter in the URL and follows Back', async () => {
    window.location.hash = '#/inbox?view=mine&channel=sms&tag=billing';
    const { api } = await setup();
    await waitFor(() => expect(lastQuery(api)).toMatchObject({ status: 'open', assignee: 'me', channel: 'sms', tag: 'billing' }));
    expect(screen.getByRole('button', { name: 'Mine' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByRole('combobox', { name: 'Tag' })).toHaveValue('billing');
    act(() => {
      window.location.hash = '#/inbox?view=closed';
    });
    await waitFor(() => expect(lastQuery(api)).toMatchObject({ status: 'closed' }));
    expect(lastQuery(api)).not.toHaveProperty('tag');
  });
});

describe('selection and bulk actions', () => {
  const five = [1, 2, 3, 4, 5].map((id) => conversation({ id }));

  it('selects a range with shift-click and closes the selection in one request', async () => {
    const { api } = await setup(five);
    const user = userEvent.setup();
    await user.click(screen.getByRole('checkbox', { name: 'Select conversation with Contact 2' }));
    await user.keyboard('{Shift>}');
    await user.click(screen.getByRole('checkbox', { name: 'Select conversation with Contact 4' }));
    await user.keyboard('{/Shift}');
    const bar = screen.getByRole('group', { name: 'Bulk actions' });
    expect(within(bar).getByText('3 selected')).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'Select conversation with Contact 3' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Select conversation with Contact 5' })).not.toBeChecked();
    await user.click(within(bar).getByRole('button', { name: 'Close selected' }));
    await waitFor(() => expect(api.find('POST', '/admin/api/conversations/bulk')).toHaveLength(1));
    expect(api.find('POST', '/admin/api/conversations/bulk')[0]!.body).toMatchObject({ ids: [2, 3, 4], status: 'closed' });
    expect(await screen.findByText('3 conversations closed.')).toHaveAttribute('role', 'status');
    expect(screen.queryByRole('group', { name: 'Bulk actions' })).toBeNull();
  });

  it('selects all shown, then assigns and tags them', async () => {
    const { api } = await setup(five);
    const user = userEvent.setup();
    await user.click(screen.getByRole('checkbox', { name: 'Select all shown' }));
    const bar = screen.getByRole('group', { name: 'Bulk actions' });
    expect(within(bar).getByText('5 selected')).toBeInTheDocument();
    await user.selectOptions(within(bar).getByRole('combobox', { name: 'Assign selected to' }), 'Bo');
    await user.click(within(bar).getByRole('button', { name: 'Assign' }));
    await waitFor(() => expect(api.find('POST', '/admin/api/conversations/bulk')).toHaveLength(1));
    expect(api.find('POST', '/admin/api/conversations/bulk')[0]!.body).toMatchObject({ ids: [1, 2, 3, 4, 5], assignee_id: 4 });
    await user.click(screen.getByRole('checkbox', { name: 'Select conversation with Contact 1' }));
    const again = screen.getByRole('group', { name: 'Bulk actions' });
    await user.type(within(again).getByRole('textbox', { name: 'Tag to add to selected' }), 'vip');
    await user.click(within(again).getByRole('button', { name: 'Add tag' }));
    await waitFor(() => expect(api.find('POST', '/admin/api/conversations/bulk')).toHaveLength(2));
    expect(api.find('POST', '/admin/api/conversations/bulk')[1]!.body).toMatchObject({ ids: [1], add_tags: ['vip'] });
  });

  it('reopens the selection in the Closed view', async () => {
    window.location.hash = '#/inbox?view=closed';
    const { api } = await setup([conversation({ id: 1, status: 'closed' }), conversation({ id: 2, status: 'closed' })]);
    const user = userEvent.setup();
    await user.click(screen.getByRole('checkbox', { name: 'Select all shown' }));
    await user.click(screen.getByRole('button', { name: 'Reopen selected' }));
    await waitFor(() => expect(api.find('POST', '/admin/api/conversations/bulk')).toHaveLength(1));
    expect(api.find('POST', '/admin/api/conversations/bulk')[0]!.body).toMatchObject({ ids: [1, 2], status: 'open' });
    expect(await screen.findByText('2 conversations reopened.')).toBeInTheDocument();
  });

  it('shows the server refusal and keeps the selection', async () => {
    await setup(five, {
      'POST /admin/api/conversations/bulk': json({ detail: 'assignee must be an active user of this tenant' }, 422),
    });
    const user = userEvent.setup();
    await user.click(screen.getByRole('checkbox', { name: 'Select conversation with Contact 1' }));
    await user.click(screen.getByRole('button', { name: 'Close selected' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('assignee must be an active user');
    expect(screen.getByRole('checkbox', { name: 'Select conversation with Contact 1' })).toBeChecked();
  });
});

describe('snooze control', () => {
  const now = () => new Date('2026-12-01T15:30:00Z'); // a Tuesday

  it('offers presets in the tenant time zone and a custom time', async () => {
    mockApi({ 'GET /api/v1/tenant': { settings: { timezone: 'America/New_York' } } });
    const onUpdate = vi.fn(async () => undefined);
    render(<SnoozeControl conversation={conversation({ id: 1 })} onUpdate={onUpdate} now={now} />);
    const toggle = screen.getByRole('button', { name: 'Snooze' });
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    // Tomorrow 9:00 in New York (UTC-5 in December) is 14:00 UTC.
    const tomorrow = await screen.findByRole('button', { name: /^Tomorrow 9:00: Wed 2 Dec, 09:00/ });
    await userEvent.click(tomorrow);
    expect(onUpdate).toHaveBeenLastCalledWith({ status: 'snoozed', snoozed_until: '2026-12-02T14:00:00.000Z' });
    await userEvent.click(toggle);
    await userEvent.click(screen.getByRole('button', { name: /^Next week/ }));
    expect(onUpdate).toHaveBeenLastCalledWith({ status: 'snoozed', snoozed_until: '2026-12-07T14:00:00.000Z' });
    await userEvent.click(toggle);
    await userEvent.click(screen.getByRole('button', { name: /^1 hour/ }));
    expect(onUpdate).toHaveBeenLastCalledWith({ status: 'snoozed', snoozed_until: '2026-12-01T16:30:00.000Z' });
    await userEvent.click(toggle);
    const custom = screen.getByLabelText(/Custom \(America\/New_York\)/);
    await userEvent.type(custom, '2026-11-30T10:00');
    await userEvent.click(screen.getByRole('button', { name: 'Snooze until then' }));
    expect(screen.getByRole('alert')).toHaveTextContent('in the future');
    await userEvent.clear(custom);
    await userEvent.type(custom, '2026-12-24T08:15');
    await userEvent.click(screen.getByRole('button', { name: 'Snooze until then' }));
    expect(onUpdate).toHaveBeenLastCalledWith({ status: 'snoozed', snoozed_until: '2026-12-24T13:15:00.000Z' });
  });

  it('closes on Escape with the focus back on its button', async () => {
    mockApi({});
    render(<SnoozeControl conversation={conversation({ id: 1 })} onUpdate={async () => undefined} now={now} />);
    const toggle = screen.getByRole('button', { name: 'Snooze' });
    await userEvent.click(toggle);
    await userEvent.tab();
    await userEvent.keyboard('{Escape}');
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(toggle).toHaveFocus();
  });

  it('shows until when a conversation sleeps and wakes it', async () => {
    mockApi({});
    const onUpdate = vi.fn(async () => undefined);
    const snoozed = conversation({ id: 1, status: 'snoozed', snoozed_until: '2026-12-02T14:00:00Z' });
    render(<SnoozeControl conversation={snoozed} onUpdate={onUpdate} now={now} />);
    expect(screen.getByTestId('snoozed-until')).toHaveTextContent(/^Snoozed until /);
    await userEvent.click(screen.getByRole('button', { name: 'Unsnooze' }));
    expect(onUpdate).toHaveBeenCalledWith({ status: 'open' });
  });
});

describe('settings: tags', () => {
  it('lists, adds and deletes tags', async () => {
    const api = mockApi({
      'GET /api/v1/tags': { tags: ['billing'] },
      'POST /api/v1/tags': (call) => json({ tags: ['billing', (call.body as { name: string }).name] }, 201),
      'DELETE /api/v1/tags/billing': json(undefined, 204),
    });
    render(<TagsSettings />);
    const list = await screen.findByRole('list', { name: 'Tags' });
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['billing×']);
    await userEvent.type(screen.getByRole('textbox', { name: 'New tag' }), 'refunds');
    await userEvent.click(screen.getByRole('button', { name: 'Add tag' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Tag “refunds” added.');
    expect(api.find('POST', '/api/v1/tags')[0]!.body).toEqual({ name: 'refunds' });
    await userEvent.click(screen.getByRole('button', { name: 'Delete tag billing' }));
    await waitFor(() => expect(api.find('DELETE', '/api/v1/tags/billing')).toHaveLength(1));
    expect(within(screen.getByRole('list', { name: 'Tags' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'refunds×',
    ]);
  });
});

describe('conversation tags', () => {
  it('suggests the tenant tags the conversation does not have yet', async () => {
    const { TagsEditor } = await import('../src/components/TagsEditor');
    mockApi({ 'GET /api/v1/tags': { tags: ['billing', 'vip', 'urgent'] } });
    const { container } = render(<TagsEditor tags={['vip']} onChange={async () => undefined} />);
    const input = screen.getByRole('combobox', { name: 'Add tag' });
    const list = container.querySelector(`datalist#${CSS.escape(input.getAttribute('list')!)}`)!;
    await waitFor(() => expect([...list.querySelectorAll('option')].map((o) => o.value)).toEqual(['billing', 'urgent']));
  });
});
