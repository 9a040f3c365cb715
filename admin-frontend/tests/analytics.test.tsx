import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { AnalyticsPage } from '../src/pages/AnalyticsPage';
import type { AnalyticsSummary } from '../src/types';
import { csv, mockApi, signIn } from './helpers';

const summary: AnalyticsSummary = {
  from: '2026-10-24',
  to: '2026-11-22',
  timezone: 'Europe/Paris',
  totals: { conversations: 42, messages: 318, closed: 37, missed: 3, escalated: 5, followups: 4 },
  by_channel: { webchat: 30, sms: 9, messenger: 3 },
  by_day: [
    { date: '2026-11-21', webchat: 2, sms: 1, messenger: 0, total: 3 },
    { date: '2026-11-22', webchat: 4, sms: 0, messenger: 1, total: 5 },
  ],
  by_hour: [{ hour: 9, count: 12 }, { hour: 14, count: 7 }],
  first_response_seconds: { median: 95, p90: 600, count: 40 },
  resolution_seconds: { median: 3720, p90: null, count: 37 },
  followups: { count: 4, viewed: 3, median_seconds_to_viewed: 1800 },
  agents: [{ user_id: 1, name: 'Ann', conversations: 25, messages: 140, median_first_response_seconds: 80 }],
  csat: {
    responses: 0,
    average: null,
    by_agent: [],
    by_channel: {
      webchat: { responses: 0, average: null },
      sms: { responses: 0, average: null },
      messenger: { responses: 0, average: null },
    },
  },
};

describe('analytics page', () => {
  it('asks for the last 30 days in the browser time zone and shows the KPI figures', async () => {
    signIn();
    const api = mockApi({ 'GET /api/v1/analytics/summary': summary });
    render(<AnalyticsPage />);

    expect(await screen.findByTestId('kpi-conversations')).toHaveTextContent('42');
    expect(screen.getByTestId('kpi-messages')).toHaveTextContent('318');
    expect(screen.getByTestId('kpi-missed')).toHaveTextContent('3');
    expect(screen.getByTestId('kpi-escalated')).toHaveTextContent('5');
    expect(screen.getByTestId('kpi-first-response-median')).toHaveTextContent('1m 35s');
    expect(screen.getByTestId('kpi-first-response-median')).toHaveAttribute('data-value', '95');
    expect(screen.getByTestId('kpi-resolution-median')).toHaveTextContent('1h 2m');
    expect(screen.getByTestId('channel-sms')).toHaveTextContent('9');
    const agents = screen.getByRole('table', { name: 'Agents' });
    expect(within(agents).getByRole('row', { name: /Ann/ })).toHaveTextContent('25');

    const q = api.find('GET', '/api/v1/analytics/summary')[0]!.query;
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(q.get('tz')).toBe(tz);
    const days = (Date.parse(q.get('to')!) - Date.parse(q.get('from')!)) / 86_400_000;
    expect(days).toBe(29);
    expect(q.get('to')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('downloads the CSV with the bearer token', async () => {
    signIn();
    const api = mockApi({
      'GET /api/v1/analytics/summary': summary,
      'GET /api/v1/analytics/export.csv': csv('date,total\n2026-11-22,5\n'),
    });
    const createObjectURL = vi.fn((_blob: Blob) => 'blob:fake');
    const saved = { create: URL.createObjectURL, revoke: URL.revokeObjectURL };
    URL.createObjectURL = createObjectURL;
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    render(<AnalyticsPage />);
    await screen.findByTestId('kpi-conversations');

    const link = screen.getByRole('link', { name: 'Download CSV' });
    expect(link.getAttribute('href')).toMatch(/^\/api\/v1\/analytics\/export\.csv\?from=.+&to=.+&tz=/);
    await userEvent.click(link);

    await waitFor(() => expect(click).toHaveBeenCalled());
    const call = api.find('GET', '/api/v1/analytics/export.csv')[0]!;
    expect(call.headers.Authorization).toBe('Bearer access-1');
    expect(createObjectURL).toHaveBeenCalledTimes(1);
    expect(await createObjectURL.mock.calls[0]![0].text()).toBe('date,total\n2026-11-22,5\n');
    URL.createObjectURL = saved.create;
    URL.revokeObjectURL = saved.revoke;
  });
});
