// "Email transcript": the conversation as the customer saw it (never a private note), to the contact's
// address or another one.
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as email from '../api/email';

export function EmailTranscript({ conversationId, contactEmail }: { conversationId: number; contactEmail?: string | null }) {
  const [open, setOpen] = useState(false);
  const [to, setTo] = useState(contactEmail ?? '');
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | null>(null);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setStatus('');
    try {
      const queued = await email.emailTranscript(conversationId, to.trim() || undefined);
      setStatus(`Transcript emailed to ${queued.to}.`);
      setOpen(false);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <div className="email-transcript">
      <button type="button" className="btn" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        Email transcript
      </button>
      {open ? (
        <form className="popover inline-form" onSubmit={send}>
          <label>
            Send to
            <input type="email" required value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <button type="submit" className="btn btn-small btn-primary">
            Send transcript
          </button>
        </form>
      ) : null}
      {status ? (
        <span className="muted small" role="status">
          {status}
        </span>
      ) : null}
      {error ? (
        <span className="error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}
