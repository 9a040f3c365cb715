// Web Push for this browser: what it does, the browser's permission prompt behind one clear button, and
// turning it off again. Alerts then reach this device when no Handoff tab is open.
import { useEffect, useState } from 'react';
import { errorMessage } from '../api/client';
import { currentState, disablePush, enablePush, type PushState } from '../lib/push';

const STATUS: Record<PushState, string> = {
  unsupported: 'This browser cannot receive push notifications.',
  denied:
    'Notifications are blocked for this site. To get push notifications, allow notifications for this site in your browser’s settings, then reload this page.',
  off: 'Push notifications are off for this browser.',
  on: 'Push notifications are on for this browser.',
};

export function PushSettings() {
  const [state, setState] = useState<PushState | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    currentState()
      .then((s) => live && setState(s))
      .catch((err: unknown) => {
        if (!live) return;
        setState('off');
        setError(errorMessage(err));
      });
    return () => {
      live = false;
    };
  }, []);

  const run = async (action: () => Promise<PushState>) => {
    setBusy(true);
    setError(null);
    try {
      setState(await action());
    } catch (err) {
      setError(`Could not change push notifications: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="push-title">
      <h2 id="push-title">Push notifications</h2>
      <p className="muted small">
        Get an alert on this device when a teammate mentions you, even when no Handoff tab is open. When you turn
        them on, your browser asks for permission to show notifications from this site. You can turn them off here at
        any time.
      </p>
      <p role="status" data-testid="push-status">
        {state === null ? 'Checking this browser…' : STATUS[state]}
      </p>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {state === 'off' ? (
        <button type="button" className="btn" disabled={busy} onClick={() => void run(enablePush)}>
          Turn on push notifications
        </button>
      ) : null}
      {state === 'on' ? (
        <button type="button" className="btn" disabled={busy} onClick={() => void run(disablePush)}>
          Turn off push notifications
        </button>
      ) : null}
    </section>
  );
}
