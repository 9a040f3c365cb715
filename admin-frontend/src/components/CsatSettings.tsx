// Settings: the customer satisfaction survey on or off. When on, a conversation closed by staff asks the
// customer for a 1-5 rating (the widget's prompt, or a question by SMS or Messenger).
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import type { TenantPatch } from '../types';

export function CsatSettings({ enabled, onPatch }: { enabled: boolean; onPatch: (p: TenantPatch) => Promise<void> }) {
  const [on, setOn] = useState(enabled);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      await onPatch({ settings: { csat: on } });
      setMessage({ ok: true, text: on ? 'Saved: customers are asked for a rating.' : 'Saved: no survey is sent.' });
    } catch (err) {
      setMessage({ ok: false, text: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby="csat-title" aria-busy={busy}>
      <h2 id="csat-title">Customer satisfaction survey</h2>
      <p className="muted small" id="csat-help">
        When a teammate closes a conversation, the customer is asked to rate the help from 1 to 5: in the chat
        widget, or by a text or Messenger message they can answer within 24 hours. Conversations closed for
        inactivity are not surveyed.
      </p>
      <label className="check">
        <input type="checkbox" checked={on} aria-describedby="csat-help" onChange={(e) => setOn(e.target.checked)} />
        Ask customers for a rating when a conversation is closed
      </label>
      {message ? (
        <p className={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Save survey setting
        </button>
      </div>
    </form>
  );
}
