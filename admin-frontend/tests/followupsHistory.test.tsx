import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { HistoryPage } from '../src/pages/HistoryPage';
import { FollowupsPage } from '../src/pages/FollowupsPage';
import { LiveSocketProvider } from '../src/socket/LiveSocket';
import type { Followup } from '../src/types';
import { FakeWebSocket, message, mockApi, signIn } from './helpers';

const followup = (over: Partial<Followup> = {}): Followup => ({
  id: 1,
  name: 'Dana',
  email: 'dana@example.com',
  phone: null,
  message: 'Call me back <script>x</script>',
  conversation_id: 4,
  created_at: '2026-11-22T08:00:00Z',
  viewed_at: null,
  viewed_by: null,
  ...over,
});

describe('follow-ups', () => {
  it('lists new follow-ups, adds live ones and marks them viewed', async () => {
    signIn();
    FakeWebSocket.instances = [];
    const api = mockApi({
      'GET /admin/api/followups': { followups: [followup()] },
      'POST /admin/api/mark-followup-viewed': followup({ viewed_at: '2026-11-22T09:00:00Z', viewed_by: 1 }),
    });
    render(
      <LiveSocketProvider enabled WebSocketImpl={FakeWebSocket}>
        <FollowupsPage />
      </LiveSocketProvider>,
    );
    expect(await screen.findByText('Call me back <script>x</script>')).toBeInTheDocument();
    expect(api.find('GET', '/admin/api/followups')[0]!.query.get('status')).toBe('new');

    act(() => FakeWebSocket.last.open());
    act(() => FakeWebSocket.last.receive({ type: 'followup', followup: followup({ id: 2, name: 'Eli' }) }));
    expect(screen.getByText('Eli')).toBeInTheDocument();

    const dana = screen.getByText('Dana').closest('li')!;
    await userEvent.click(within(dana).getByRole('button', { name: 'Mark viewed' }));
    await waitFor(() => expect(screen.queryByText('Dana')).toBeNull());
    expect(api.find('POST', '/admin/api/mark-followup-viewed')[0]!.body).toEqual({ id: 1 });
  });
});

describe('history', () => {
  it('searches and opens conversation and imported transcripts', async () => {
    signIn();
    const api = mockApi({
      'GET /admin/api/history': {
        results: [
          { kind: 'conversation', id: 7, channel: 'sms', contact_name: 'Finn', started_at: '2026-11-01T10:00:00Z', ended_at: '2026-11-01T10:30:00Z', snippet: 'refund please' },
          { kind: 'imported', id: 3, channel: 'webchat', contact_name: 'Gus', started_at: null, ended_at: null, snippet: 'old chat' },
        ],
      },
      'GET /admin/api/conversations/7/messages': { messages: [message({ id: 70, conversation_id: 7, text: 'I want a refund' })] },
      'GET /admin/api/history/imported/3': { id: 3, channel: 'webchat', contact_name: 'Gus', transcript: 'Gus: hello\nAgent: hi', started_at: null, ended_at: null },
    });
    const { rerender } = render(<HistoryPage id={null} />);
    await screen.findByText('Finn');
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search history' }), 'refund');
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Channel' }), 'sms');
    await userEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => {
      const q = api.find('GET', '/admin/api/history').at(-1)!.query;
      expect([q.get('q'), q.get('channel')]).toEqual(['refund', 'sms']);
    });
    expect(screen.getByRole('link', { name: /Finn/ })).toHaveAttribute('href', '#/history/conversation/7');

    rerender(<HistoryPage kind="conversation" id={7} />);
    expect(await within(await screen.findByRole('log')).findByText('I want a refund')).toBeInTheDocument();

    rerender(<HistoryPage kind="imported" id={3} />);
    expect(await screen.findByRole('log')).toHaveTextContent('Gus: hello Agent: hi');
  });
});
