// A reply box on a follow-up: sent by email (or SMS to its phone) and recorded on it.
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as email from '../api/email';
import { formatDateTime } from '../lib/format';
import type { Followup } from '../types';

export function FollowupReply({ followup, onReplied }: { followup: Followup; onReplied: (f: Followup) => void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = `followup-reply-${followup.id}`;

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      onReplied(await email.replyToFollowup(followup.id, text.trim()));
      setText('');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="followup-reply">
      {followup.reply_text ? (
        <p className="muted small" role="status">
          Replied by {followup.reply_via === 'sms' ? 'SMS' : 'email'}
          {followup.replied_at ? ` ${formatDateTime(followup.replied_at)}` : ''}: “{followup.reply_text}”
        </p>
      ) : null}
      <form className="inline-form" onSubmit={send}>
        <label htmlFor={id}>Reply to {followup.name}</label>
        <textarea id={id} rows={2} maxLength={4000} value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" className="btn btn-small" disabled={busy || !text.trim()}>
          Send reply
        </button>
      </form>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
