// Settings › Email: whether the server can send email (SMTP_URL) and a test send to yourself.
import { useEffect, useState } from 'react';
import { errorMessage } from '../api/client';
import * as email from '../api/email';

export function EmailSettings() {
  const [status, setStatus] = useState<email.EmailStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    email
      .emailStatus()
      .then(setStatus)
      .catch((err: unknown) => setError(errorMessage(err)));
  }, []);

  const test = async () => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const queued = await email.sendTestEmail();
      setNotice(`Test email queued to ${queued.to}.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="email-title">
      <h2 id="email-title">Email</h2>
      {status ? (
        <p>
          Email configured: <strong>{status.configured ? 'yes' : 'no'}</strong>
          {status.configured ? <span className="muted small"> (from {status.sender})</span> : null}
        </p>
      ) : null}
      {status && !status.configured ? (
        <p className="muted small">Set SMTP_URL on the server to send alerts, transcripts and password resets.</p>
      ) : null}
      {status?.configured && status.reset_links_to ? (
        <p className="muted small">Password reset links point to {status.reset_links_to}.</p>
      ) : null}
      {status?.configured && !status.reset_links_to ? (
        <p className="muted small">
          Set PUBLIC_BASE_URL on the server: without it, password reset links are emailed only when the request
          reaches this server at its Render address or at localhost, since an address taken from a request could
          be forged to send someone&apos;s link elsewhere.
        </p>
      ) : null}
      {status?.configured ? (
        <button type="button" className="btn" disabled={busy} onClick={() => void test()}>
          Send test email
        </button>
      ) : null}
      {notice ? (
        <p className="success" role="status">
          {notice}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
