// Auto-assignment on or off: new conversations go to the available agent with the fewest open ones below
// their cap (caps are set per agent on the Team page).
import { useState } from 'react';
import { errorMessage } from '../api/client';
import type { TenantPatch } from '../types';

export function AutoAssignSettings({ current, onPatch }: { current: boolean; onPatch: (p: TenantPatch) => Promise<void> }) {
  const [on, setOn] = useState(current);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const change = async (next: boolean) => {
    setBusy(true);
    setMessage(null);
    setOn(next); // at once, so the box follows the click; put back if the server refuses
    try {
      await onPatch({ settings: { auto_assign: next } });
      setMessage({ ok: true, text: next ? 'Auto-assignment is on.' : 'Auto-assignment is off.' });
    } catch (err) {
      setOn(!next);
      setMessage({ ok: false, text: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card form-grid" aria-labelledby="routing-title" aria-busy={busy}>
      <h2 id="routing-title">Routing</h2>
      <label className="check">
        <input type="checkbox" checked={on} aria-busy={busy} onChange={(e) => void change(e.target.checked)} />
        Assign new conversations automatically
      </label>
      <p className="muted small">
        Each new conversation goes to the available agent (online, not away) with the fewest open conversations,
        below their cap (Team page). With nobody available it waits, oldest first, for the next agent with room.
      </p>
      {message ? (
        <p className={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
    </section>
  );
}
