import { describe, expect, it } from 'vitest';
import { fromLocalInput, presetTime, zonedTime } from '../src/lib/snooze';

describe('snooze times in the tenant time zone', () => {
  it('puts tomorrow 9:00 at 9:00 on the tenant wall clock, not the browser one', () => {
    const now = new Date('2026-12-01T22:30:00Z'); // already Wednesday in Tokyo, still Tuesday in Paris
    expect(presetTime('tomorrow', now, 'Asia/Tokyo').toISOString()).toBe('2026-12-03T00:00:00.000Z');
    expect(presetTime('tomorrow', now, 'Europe/Paris').toISOString()).toBe('2026-12-02T08:00:00.000Z');
  });

  it('takes next week as the coming Monday, a full week on from a Monday', () => {
    const sunday = new Date('2026-12-06T12:00:00Z');
    const monday = new Date('2026-12-07T12:00:00Z');
    expect(presetTime('nextweek', sunday, 'UTC').toISOString()).toBe('2026-12-07T09:00:00.000Z');
    expect(presetTime('nextweek', monday, 'UTC').toISOString()).toBe('2026-12-14T09:00:00.000Z');
  });

  it('crosses month ends and daylight saving changes', () => {
    // 31 March + 1 day in Paris, after the switch to summer time (UTC+2).
    expect(zonedTime('Europe/Paris', 2026, 3, 32, 9).toISOString()).toBe('2026-04-01T07:00:00.000Z');
    // The night the clocks go back in New York: 9:00 that Sunday is already standard time (UTC-5).
    expect(zonedTime('America/New_York', 2026, 11, 1, 9).toISOString()).toBe('2026-11-01T14:00:00.000Z');
  });

  it('reads a datetime-local value in the zone, and refuses a malformed one', () => {
    expect(fromLocalInput('2026-07-04T18:45', 'America/Los_Angeles')?.toISOString()).toBe('2026-07-05T01:45:00.000Z');
    expect(fromLocalInput('tomorrow', 'UTC')).toBeNull();
  });
});
