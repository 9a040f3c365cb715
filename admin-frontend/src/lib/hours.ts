// Business hours in the browser: the same rule as the server (handoff/routing/hours.py) for the Settings
// preview. Ranges are wall-clock times in the hours' zone; an end of "24:00" is midnight.
import { WEEKDAYS, type BusinessHours, type Weekday } from '../types';

/** The weekday and "HH:MM" that `now` is in `timeZone` (UTC when the zone is unknown). */
export function localClock(now: Date, timeZone: string): { day: Weekday; time: string } {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  } catch {
    format = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }
  const parts = Object.fromEntries(format.formatToParts(now).map((p) => [p.type, p.value]));
  const day = (parts.weekday ?? 'Mon').slice(0, 3).toLowerCase() as Weekday;
  return { day: WEEKDAYS.includes(day) ? day : 'mon', time: `${parts.hour}:${parts.minute}` };
}

/** Whether the business is open at `now`; no hours set means always open. */
export function isOpenAt(hours: BusinessHours | null, timeZone: string, now: Date): boolean {
  if (!hours) return true;
  const { day, time } = localClock(now, hours.timezone || timeZone || 'UTC');
  return (hours.week[day] ?? []).some(([start, end]) => start <= time && time < end);
}

/** Every IANA zone the browser knows (for the picker), with `current` kept even if it is not among them. */
export function timeZones(current: string): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf;
  const zones = supported ? supported('timeZone') : ['UTC'];
  return current && !zones.includes(current) ? [current, ...zones] : zones;
}
