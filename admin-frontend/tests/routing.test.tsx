import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { AuthProvider } from '../src/auth/AuthContext';
import { AvailabilitySwitch } from '../src/components/AvailabilitySwitch';
import { BusinessHoursEditor } from '../src/components/BusinessHoursEditor';
import { isOpenAt } from '../src/lib/hours';
import { TeamPage } from '../src/pages/TeamPage';
import { LiveSocketProvider } from '../src/socket/LiveSocket';
import type { BusinessHours, TeamUser } from '../src/types';
import { FakeWebSocket, mockApi, signIn } from './helpers';

const NY: BusinessHours = { timezone: 'America/New_York', week: { sun: [['09:00', '12:00'], ['14:00', '17:00']] } };

describe('business hours', () => {
  it('reads the wall clock in the hours zone, across the DST change', () => {
    // Sunday 8 March 2026: New York moves to UTC-4 at 02:00.
    expect(isOpenAt(NY, 'UTC', new Date('2026-03-08T13:00:00Z'))).toBe(true); // 09:00 EDT
    expect(isOpenAt(NY, 'UTC', new Date('2026-03-08T12:59:00Z'))).toBe(false);
    expect(isOpenAt(NY, 'UTC', new Date('2026-03-08T16:30:00Z'))).toBe(false); // 12:30: lunch
    expect(isOpenAt(NY, 'UTC', new Date('2026-03-08T18:00:00Z'))).toBe(true); // 14:00
    expect(isOpenAt(null, 'UTC', new Date())).toBe(true);
  });

  it('edits several ranges a day, the zone and the away message, with an open-now preview', async () => {
    let latest: BusinessHours | null = null;
    let away = '';
    function Harness() {
      const [hours, setHours] = useState<BusinessHours | null>(null);
      const [text, setText] = useState('');
      latest = hours;
      away = text;
      return (
        <BusinessHoursEditor
          value={hours}
          timezone="Europe/Paris"
          onChange={setHours}
          onTimezone={() => undefined}
          awayMessage={text}
          onAwayMessage={setText}
        />
      );
    }
    render(<Harness />);
    await userEvent.click(screen.getByRole('checkbox', { name: /Set opening hours/ }));
    expect(latest!.timezone).toBe('Europe/Paris');
    await userEvent.click(screen.getByRole('button', { name: 'Add hours on Monday' }));
    expect(latest!.week.mon).toEqual([
      ['09:00', '17:00'],
      ['13:00', '17:00'],
    ]);
    expect(screen.getByLabelText('Monday opens (2)')).toHaveValue('13:00');
    await userEvent.click(screen.getByRole('button', { name: 'Remove Monday hours (1)' }));
    expect(latest!.week.mon).toEqual([['13:00', '17:00']]);
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Time zone' }), 'Asia/Tokyo');
    expect(latest!.timezone).toBe('Asia/Tokyo');
    expect(screen.getByTestId('open-now')).toHaveTextContent(/^(Open|Closed) now/);
    await userEvent.click(screen.getByRole('textbox', { name: 'Away message' }));
    await userEvent.paste('Back soon');
    expect(away).toBe('Back soon');
  });
});

describe('availability switch', () => {
  it('shows the stored choice, switches to away and follows presence events', async () => {
    signIn({ id: 1 });
    const api = mockApi({
      'GET /api/v1/team': [{ id: 1, name: 'Ann', role: 'admin', online: true, available: true, availability: 'online', max_open: null }],
      'PATCH /api/v1/auth/me': (c) => ({ id: 1, available: false, ...(c.body as object) }),
    });
    render(
      <AuthProvider>
        <LiveSocketProvider enabled WebSocketImpl={FakeWebSocket}>
          <AvailabilitySwitch />
        </LiveSocketProvider>
      </AuthProvider>,
    );
    const toggle = await screen.findByRole('switch', { name: 'Available for new chats' });
    await waitFor(() => expect(toggle).toHaveAttribute('aria-checked', 'true'));
    await userEvent.click(toggle);
    await waitFor(() => expect(toggle).toHaveAttribute('aria-checked', 'false'));
    expect(api.find('PATCH', '/api/v1/auth/me')[0]!.body).toEqual({ availability: 'away' });
    expect(toggle).toHaveTextContent('Away');
    act(() => {
      FakeWebSocket.last.open();
      FakeWebSocket.last.receive({ type: 'presence', staff_online: true, online_user_ids: [1], availability: { '1': 'online' } });
    });
    await waitFor(() => expect(toggle).toHaveAttribute('aria-checked', 'true')); // back online in another tab
  });
});

describe('team page caps', () => {
  it("sets and lifts an agent's cap", async () => {
    signIn({ id: 1 });
    const bo: TeamUser = {
      id: 2,
      tenant_id: 1,
      email: 'bo@example.com',
      name: 'Bo',
      role: 'staff',
      disabled: false,
      created_at: '2026-11-02T00:00:00Z',
      last_login_at: null,
      availability: 'away',
      max_open: null,
      mfa_enabled: false,
    };
    const api = mockApi({
      'GET /api/v1/users': [bo],
      'PATCH /api/v1/users/2': (c) => ({ ...bo, ...(c.body as object) }),
    });
    render(
      <AuthProvider>
        <TeamPage />
      </AuthProvider>,
    );
    const cap = await screen.findByRole('spinbutton', { name: 'Most open conversations for Bo' });
    expect(screen.getByText(/away/)).toBeInTheDocument();
    await userEvent.type(cap, '3{Enter}');
    await waitFor(() => expect(api.find('PATCH', '/api/v1/users/2').map((c) => c.body)).toEqual([{ max_open: 3 }]));
    await userEvent.clear(cap);
    cap.blur();
    await waitFor(() => expect(api.find('PATCH', '/api/v1/users/2').map((c) => c.body)).toEqual([{ max_open: 3 }, { max_open: null }]));
  });
});
