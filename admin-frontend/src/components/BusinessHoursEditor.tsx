// Weekly opening hours: several ranges a day, the zone they are in, the away message customers get outside
// them, and a live "open now" preview; null means no hours set (always open).
import { useEffect, useState } from 'react';
import { isOpenAt, timeZones } from '../lib/hours';
import { WEEKDAYS, type BusinessHours, type TimeRange, type Weekday } from '../types';

const DAY_LABEL: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

const NINE_TO_FIVE: TimeRange = ['09:00', '17:00'];

export function defaultHours(timezone?: string): BusinessHours {
  const day = () => [NINE_TO_FIVE];
  return {
    timezone: timezone ?? null,
    week: { mon: day(), tue: day(), wed: day(), thu: day(), fri: day(), sat: [], sun: [] },
  };
}

/** Accept what the server stored even if a day is missing or malformed (`days`: the older spelling). */
export function normaliseHours(value: unknown): BusinessHours | null {
  if (!value || typeof value !== 'object') return null;
  const stored = value as { week?: Record<string, unknown>; days?: Record<string, unknown>; timezone?: unknown };
  const raw = stored.week ?? stored.days ?? {};
  const week: BusinessHours['week'] = {};
  for (const d of WEEKDAYS) {
    const ranges = Array.isArray(raw[d]) ? (raw[d] as unknown[]) : [];
    week[d] = ranges.filter(
      (r): r is TimeRange => Array.isArray(r) && r.length === 2 && r.every((t) => typeof t === 'string'),
    );
  }
  return { timezone: typeof stored.timezone === 'string' ? stored.timezone : null, week };
}

/** "Open now" or "Closed now", refreshed every half minute. */
function OpenNow({ hours, timezone }: { hours: BusinessHours; timezone: string }) {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(new Date()), 30_000);
    return () => window.clearInterval(timer);
  }, []);
  const open = isOpenAt(hours, timezone, now);
  return (
    <p className={open ? 'success' : 'muted'} aria-live="polite" data-testid="open-now">
      {open ? 'Open now' : 'Closed now'}: the widget {open ? 'offers the chat' : 'shows the away message and the follow-up form'}.
    </p>
  );
}

interface Props {
  value: BusinessHours | null;
  timezone: string;
  onChange: (value: BusinessHours | null) => void;
  onTimezone: (tz: string) => void;
  awayMessage?: string;
  onAwayMessage?: (text: string) => void;
}

export function BusinessHoursEditor({ value, timezone, onChange, onTimezone, awayMessage, onAwayMessage }: Props) {
  const zone = value?.timezone || timezone;
  const setDay = (day: Weekday, ranges: TimeRange[]) => {
    if (!value) return;
    onChange({ ...value, week: { ...value.week, [day]: ranges } });
  };
  const setZone = (tz: string) => {
    onTimezone(tz);
    if (value) onChange({ ...value, timezone: tz });
  };

  return (
    <fieldset className="hours">
      <legend>Business hours</legend>
      <label className="check">
        <input
          type="checkbox"
          checked={value !== null}
          onChange={(e) => onChange(e.target.checked ? defaultHours(timezone || undefined) : null)}
        />
        Set opening hours (outside them the widget offers the follow-up form)
      </label>
      {value ? (
        <>
          <label className="field inline">
            <span className="field-label">Time zone</span>
            <select value={zone} onChange={(e) => setZone(e.target.value)}>
              {timeZones(zone).map((tz) => (
                <option key={tz} value={tz}>
                  {tz}
                </option>
              ))}
            </select>
          </label>
          <table className="table hours-table">
            <thead>
              <tr>
                <th>Day</th>
                <th>Hours</th>
                <th>
                  <span className="visually-hidden">Add</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {WEEKDAYS.map((day) => {
                const ranges = value.week[day] ?? [];
                const label = DAY_LABEL[day];
                const edit = (index: number, side: 0 | 1, t: string) =>
                  setDay(
                    day,
                    ranges.map((r, i): TimeRange => (i !== index ? r : side === 0 ? [t, r[1]] : [r[0], t])),
                  );
                return (
                  <tr key={day}>
                    <td>{label}</td>
                    <td>
                      {ranges.length === 0 ? <span className="muted">Closed</span> : null}
                      {ranges.map((range, i) => {
                        const which = ranges.length > 1 ? ` (${i + 1})` : '';
                        return (
                          <span className="hours-range" key={i}>
                            <input
                              type="time"
                              aria-label={`${label} opens${which}`}
                              value={range[0]}
                              onChange={(e) => edit(i, 0, e.target.value)}
                            />
                            –
                            <input
                              type="time"
                              aria-label={`${label} closes${which}`}
                              value={range[1] === '24:00' ? '23:59' : range[1]}
                              onChange={(e) => edit(i, 1, e.target.value)}
                            />
                            <button
                              type="button"
                              className="btn btn-small btn-quiet"
                              aria-label={`Remove ${label} hours${which}`}
                              onClick={() => setDay(day, ranges.filter((_, j) => j !== i))}
                            >
                              ×
                            </button>
                          </span>
                        );
                      })}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-label={`Add hours on ${label}`}
                        onClick={() => setDay(day, [...ranges, ranges.length ? ['13:00', '17:00'] : NINE_TO_FIVE])}
                      >
                        Add
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <OpenNow hours={value} timezone={zone} />
        </>
      ) : null}
      {onAwayMessage ? (
        <>
          <label className="field">
            <span className="field-label">Away message</span>
            <textarea
              rows={2}
              maxLength={1000}
              aria-describedby="away-help"
              value={awayMessage ?? ''}
              placeholder="Empty: a default text in the widget's language"
              onChange={(e) => onAwayMessage(e.target.value)}
            />
          </label>
          <p className="muted small" id="away-help">
            Shown in the widget outside hours, and sent once to SMS and Messenger customers.
          </p>
        </>
      ) : null}
    </fieldset>
  );
}
