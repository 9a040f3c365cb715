// Weekly opening hours as a simple table (one range per day); null means no hours set.
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

export function defaultHours(): BusinessHours {
  return { days: { mon: [NINE_TO_FIVE], tue: [NINE_TO_FIVE], wed: [NINE_TO_FIVE], thu: [NINE_TO_FIVE], fri: [NINE_TO_FIVE], sat: [], sun: [] } };
}

/** Accept what the server stored even if a day is missing or malformed. */
export function normaliseHours(value: unknown): BusinessHours | null {
  if (!value || typeof value !== 'object') return null;
  const raw = (value as { days?: Record<string, unknown> }).days ?? {};
  const days: BusinessHours['days'] = {};
  for (const d of WEEKDAYS) {
    const ranges = Array.isArray(raw[d]) ? (raw[d] as unknown[]) : [];
    days[d] = ranges.filter(
      (r): r is TimeRange => Array.isArray(r) && r.length === 2 && r.every((t) => typeof t === 'string'),
    );
  }
  return { days };
}

interface Props {
  value: BusinessHours | null;
  timezone: string;
  onChange: (value: BusinessHours | null) => void;
  onTimezone: (tz: string) => void;
}

export function BusinessHoursEditor({ value, timezone, onChange, onTimezone }: Props) {
  const setDay = (day: Weekday, ranges: TimeRange[]) => {
    if (!value) return;
    onChange({ days: { ...value.days, [day]: ranges } });
  };

  return (
    <fieldset className="hours">
      <legend>Business hours</legend>
      <label className="check">
        <input
          type="checkbox"
          checked={value !== null}
          onChange={(e) => onChange(e.target.checked ? defaultHours() : null)}
        />
        Set opening hours (outside them the widget offers the follow-up form)
      </label>
      {value ? (
        <>
          <label className="field inline">
            <span className="field-label">Time zone</span>
            <input value={timezone} onChange={(e) => onTimezone(e.target.value)} placeholder="Europe/Paris" />
          </label>
          <table className="table hours-table">
            <thead>
              <tr>
                <th>Day</th>
                <th>Open</th>
                <th>From</th>
                <th>To</th>
              </tr>
            </thead>
            <tbody>
              {WEEKDAYS.map((day) => {
                const ranges = value.days[day] ?? [];
                const first = ranges[0];
                const edit = (i: 0 | 1, t: string) => {
                  if (!first) return;
                  const next: TimeRange = i === 0 ? [t, first[1]] : [first[0], t];
                  setDay(day, [next, ...ranges.slice(1)]);
                };
                return (
                  <tr key={day}>
                    <td>{DAY_LABEL[day]}</td>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Open on ${DAY_LABEL[day]}`}
                        checked={!!first}
                        onChange={(e) => setDay(day, e.target.checked ? [NINE_TO_FIVE] : [])}
                      />
                    </td>
                    <td>
                      <input
                        type="time"
                        aria-label={`${DAY_LABEL[day]} opens`}
                        disabled={!first}
                        value={first?.[0] ?? ''}
                        onChange={(e) => edit(0, e.target.value)}
                      />
                    </td>
                    <td>
                      <input
                        type="time"
                        aria-label={`${DAY_LABEL[day]} closes`}
                        disabled={!first}
                        value={first?.[1] ?? ''}
                        onChange={(e) => edit(1, e.target.value)}
                      />
                      {ranges.length > 1 ? <span className="muted small"> +{ranges.length - 1} more</span> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      ) : null}
    </fieldset>
  );
}
