// Snooze presets, computed as wall-clock times in the tenant's time zone (settings.timezone), whatever the
// browser's own zone: "tomorrow 9:00" is 9:00 where the business is.

const HOUR = 3600_000;

interface Parts {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  weekday: number; // 0 = Sunday
}

const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall-clock date and time at `at` in `timeZone`. */
export function zonedParts(at: Date, timeZone: string): Parts {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
  });
  const get = (type: string) => fmt.formatToParts(at).find((p) => p.type === type)?.value ?? '0';
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')),
    minute: Number(get('minute')),
    weekday: WEEKDAY[get('weekday')] ?? 0,
  };
}

/** The instant when the wall clock in `timeZone` shows this date and time (the day may overflow: 32 -> next month). */
export function zonedTime(timeZone: string, year: number, month: number, day: number, hour: number, minute = 0): Date {
  const wanted = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wanted;
  // Two rounds settle the zone's offset, also across a DST change between the guess and the answer.
  for (let i = 0; i < 2; i++) {
    const p = zonedParts(new Date(guess), timeZone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    guess += wanted - shown;
  }
  return new Date(guess);
}

export type Preset = 'hour' | 'tomorrow' | 'nextweek';

export function presetTime(preset: Preset, now: Date, timeZone: string): Date {
  if (preset === 'hour') return new Date(now.getTime() + HOUR);
  const today = zonedParts(now, timeZone);
  // Next week: the coming Monday (a week on, when today is Monday) at 9:00.
  const days = preset === 'tomorrow' ? 1 : ((8 - today.weekday) % 7 || 7);
  return zonedTime(timeZone, today.year, today.month, today.day + days, 9);
}

/** A datetime-local value ("2026-12-02T14:30") read as wall-clock time in `timeZone`; null when malformed. */
export function fromLocalInput(value: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  return zonedTime(timeZone, y, mo, d, h, mi);
}

/** A time as the tenant reads it, e.g. "Wed 2 Dec, 09:00". */
export function formatInZone(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
}
