import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { CsatAnalytics } from '../src/components/CsatAnalytics';
import { CsatRating } from '../src/components/CsatRating';
import { CsatSettings } from '../src/components/CsatSettings';
import type { CsatFigures } from '../src/types';
import { json, mockApi, signIn } from './helpers';

const figures: CsatFigures = {
  responses: 3,
  average: 3.67,
  by_agent: [{ user_id: 4, name: 'Bo', responses: 3, average: 3.67 }],
  by_channel: {
    webchat: { responses: 2, average: 3.5 },
    sms: { responses: 1, average: 4 },
    messenger: { responses: 0, average: null },
  },
};

describe('customer satisfaction', () => {
  it('turns the survey on in Settings', async () => {
    const onPatch = vi.fn(async () => undefined);
    render(<CsatSettings enabled={false} onPatch={onPatch} />);
    const form = screen.getByRole('form', { name: 'Customer satisfaction survey' });
    await userEvent.click(within(form).getByRole('checkbox', { name: /Ask customers for a rating/ }));
    await userEvent.click(within(form).getByRole('button', { name: 'Save survey setting' }));
    expect(onPatch).toHaveBeenCalledWith({ settings: { csat: true } });
    expect(await within(form).findByRole('status')).toHaveTextContent('customers are asked for a rating');
  });

  it('shows the average, responses, by channel and by agent on Analytics', () => {
    render(<CsatAnalytics figures={figures} />);
    expect(screen.getByRole('heading', { name: 'Customer satisfaction' })).toBeInTheDocument();
    expect(screen.getByTestId('kpi-csat-average')).toHaveTextContent('3.67 / 5');
    expect(screen.getByTestId('kpi-csat-responses')).toHaveTextContent('3');
    const channels = screen.getByRole('table', { name: 'Satisfaction by channel' });
    expect(within(channels).getByRole('row', { name: /SMS/ })).toHaveTextContent('4.00 / 5');
    expect(within(channels).getByRole('row', { name: /Messenger/ })).toHaveTextContent('–');
    const agents = screen.getByRole('table', { name: 'Satisfaction by agent' });
    expect(within(agents).getByRole('row', { name: /Bo/ })).toHaveTextContent('3');
  });

  it('shows a conversation rating, and nothing when it was not surveyed', async () => {
    signIn();
    const api = mockApi({
      'GET /admin/api/conversations/7/csat': {
        conversation_id: 7, channel: 'sms', asked_at: '2026-11-01T10:00:00.000Z', rating: 4, comment: 'Fast',
        rated_at: '2026-11-01T10:05:00.000Z',
      },
      'GET /admin/api/conversations/8/csat': json({ detail: 'this conversation has no satisfaction survey' }, 404),
    });
    const { unmount } = render(<CsatRating conversationId={7} />);
    expect(await screen.findByTestId('csat-rating')).toHaveTextContent('Customer rating: 4 / 5Fast');
    unmount();
    render(<CsatRating conversationId={8} />);
    await waitFor(() => expect(api.find('GET', '/admin/api/conversations/8/csat')).toHaveLength(1));
    expect(screen.queryByTestId('csat-rating')).toBeNull();
  });
});
