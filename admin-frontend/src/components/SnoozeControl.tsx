// Snooze a conversation: a disclosure with presets (1 hour, tomorrow 9:00 and next Monday 9:00 in the
// tenant's time zone) and a custom date and time; a snoozed conversation shows until when, and can be woken.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import * as api from '../api/endpoints';
import { browserTimeZone } from '../lib/format';
import { formatInZone, fromLocalInput, presetTime, type Preset } from '../lib/snooze';
import type { Conversation, ConversationPatch } from '../types';

interface Props {
  conversation: Conversation;
  onUpdate: (patch: ConversationPatch) => Promise<unknown>;
  /** For tests: the current time. */
  now?: () => Date;
}

const PRESETS: Array<[Preset, string]> = [
  ['hour', '1 hour'],
  ['tomorrow', 'Tomorrow 9:00'],
  ['nextweek', 'Next week (Mon 9:00)'],
];

let zonePromise: Promise<string> | null = null;
/** The tenant's time zone (settings.timezone), fetched once; the browser's while unknown. */
function useTenantZone(): string {
  const [zone, setZone] = useState(browserTimeZone);
  useEffect(() => {
    let cancelled = false;
    zonePromise ??= api
      .getTenant()
      .then((t) => (typeof t?.settings?.timezone === 'string' && t.settings.timezone ? t.settings.timezone : browserTimeZone()))
      .catch(() => {
        zonePromise = null;
        return browserTimeZone();
      });
    void zonePromise.then((z) => {
      if (!cancelled) setZone(z);
    });
    return () => {
      cancelled = true;
    };
  }, []);
  return zone;
}

export function SnoozeControl({ conversation, onUpdate, now = () => new Date() }: Props) {
  const zone = useTenantZone();
  const [open, setOpen] = useState(false);
  const [custom, setCustom] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const panelId = useId();

  if (conversation.status === 'closed') return null;

  const snooze = async (until: Date) => {
    setBusy(true);
    setProblem(null);
    try {
      await onUpdate({ status: 'snoozed', snoozed_until: until.toISOString() });
      setOpen(false);
      toggleRef.current?.focus();
    } catch {
      /* the conversation view shows the server's answer */
    } finally {
      setBusy(false);
    }
  };

  const submitCustom = (e: FormEvent) => {
    e.preventDefault();
    const until = fromLocalInput(custom, zone);
    if (!until || until.getTime() <= now().getTime()) {
      setProblem('Choose a date and time in the future.');
      return;
    }
    void snooze(until);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      setOpen(false);
      toggleRef.current?.focus();
    }
  };

  if (conversation.status === 'snoozed') {
    const until = conversation.snoozed_until ? formatInZone(new Date(conversation.snoozed_until), zone) : '';
    return (
      <div className="snooze">
        <span className="badge badge-snoozed" data-testid="snoozed-until">
          Snoozed until {until}
        </span>
        <button type="button" className="btn" disabled={busy} onClick={() => void onUpdate({ status: 'open' })}>
          Unsnooze
        </button>
      </div>
    );
  }

  return (
    <div className="snooze" onKeyDown={onKeyDown}>
      <button
        ref={toggleRef}
        type="button"
        className="btn"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
      >
        Snooze
      </button>
      {open ? (
        <div id={panelId} className="snooze-panel" role="group" aria-label="Snooze until">
          <ul className="snooze-presets">
            {PRESETS.map(([preset, label]) => {
              const at = presetTime(preset, now(), zone);
              return (
                <li key={preset}>
                  <button
                    type="button"
                    className="btn btn-quiet"
                    disabled={busy}
                    aria-label={`${label}: ${formatInZone(at, zone)}`}
                    onClick={() => void snooze(at)}
                  >
                    {label}
                    <span className="muted small" aria-hidden="true">
                      {' '}
                      {formatInZone(at, zone)}
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
          <form className="snooze-custom" onSubmit={submitCustom}>
            <label>
              Custom ({zone})
              <input
                type="datetime-local"
                value={custom}
                onChange={(e) => setCustom(e.target.value)}
                aria-describedby={problem ? `${panelId}-problem` : undefined}
              />
            </label>
            <button type="submit" className="btn" disabled={busy || !custom}>
              Snooze until then
            </button>
            {problem ? (
              <p id={`${panelId}-problem`} className="error" role="alert">
                {problem}
              </p>
            ) : null}
          </form>
        </div>
      ) : null}
    </div>
  );
}
