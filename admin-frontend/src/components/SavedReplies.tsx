// Settings (admins): the saved replies staff insert with / in the composer. The server checks each
// template when it is saved; its 422 (template) and 409 (shortcut taken) messages are shown as they come.
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import type { CannedResponse } from '../types';

interface Draft {
  shortcut: string;
  title: string;
  text: string;
}

const EMPTY: Draft = { shortcut: '', title: '', text: '' };

function ReplyForm({
  initial,
  submitLabel,
  idPrefix,
  onSubmit,
  onCancel,
}: {
  initial: Draft;
  submitLabel: string;
  idPrefix: string;
  onSubmit: (draft: Draft) => Promise<void>;
  onCancel?: () => void;
}) {
  const [draft, setDraft] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit(draft);
      setDraft(initial);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form-grid saved-reply-form" onSubmit={submit} aria-label={submitLabel}>
      <div className="field">
        <label className="field-label" htmlFor={`${idPrefix}-shortcut`}>
          Shortcut
        </label>
        <input
          id={`${idPrefix}-shortcut`}
          value={draft.shortcut}
          required
          maxLength={33}
          aria-describedby={`${idPrefix}-shortcut-help`}
          onChange={(e) => setDraft({ ...draft, shortcut: e.target.value })}
        />
        <span id={`${idPrefix}-shortcut-help`} className="muted small">
          Typed after / in the reply box: letters, digits, - and _.
        </span>
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${idPrefix}-title`}>
          Title (optional)
        </label>
        <input
          id={`${idPrefix}-title`}
          value={draft.title}
          maxLength={120}
          onChange={(e) => setDraft({ ...draft, title: e.target.value })}
        />
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${idPrefix}-text`}>
          Text
        </label>
        <textarea
          id={`${idPrefix}-text`}
          value={draft.text}
          required
          rows={3}
          maxLength={4000}
          aria-describedby={`${idPrefix}-text-help`}
          onChange={(e) => setDraft({ ...draft, text: e.target.value })}
        />
        <span id={`${idPrefix}-text-help`} className="muted small">
          {'Fill-ins: {{ contact.name }}, {{ contact.email }}, {{ agent.name }}, {{ tenant.name }}.'}
        </span>
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="form-actions">
        {onCancel ? (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}

export function SavedReplies() {
  const [replies, setReplies] = useState<CannedResponse[] | null>(null);
  const [editing, setEditing] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const reload = () =>
    api
      .listCannedResponses()
      .then((page) => setReplies(page.canned_responses))
      .catch((err: unknown) => setError(errorMessage(err)));

  useEffect(() => {
    void reload();
  }, []);

  const create = async (draft: Draft) => {
    const created = await api.createCannedResponse({
      shortcut: draft.shortcut,
      title: draft.title.trim() || null,
      text: draft.text,
    });
    setDone(`Saved reply /${created.shortcut} added.`);
    await reload();
  };

  const save = async (id: number, draft: Draft) => {
    const updated = await api.patchCannedResponse(id, {
      shortcut: draft.shortcut,
      title: draft.title.trim() || null,
      text: draft.text,
    });
    setEditing(null);
    setDone(`Saved reply /${updated.shortcut} updated.`);
    await reload();
  };

  const remove = async (reply: CannedResponse) => {
    setError(null);
    try {
      await api.deleteCannedResponse(reply.id);
      setDone(`Saved reply /${reply.shortcut} deleted.`);
      await reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <section className="card saved-replies" aria-labelledby="saved-replies-title">
      <h2 id="saved-replies-title">Saved replies</h2>
      <p className="muted small">Your team inserts these by typing / in the reply box.</p>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {done ? (
        <p className="success" role="status">
          {done}
        </p>
      ) : null}
      {replies === null ? (
        <p className="muted">Loading…</p>
      ) : replies.length === 0 ? (
        <p className="muted">No saved replies yet.</p>
      ) : (
        <ul className="saved-reply-list" aria-label="Saved replies">
          {replies.map((reply) => (
            <li key={reply.id}>
              {editing === reply.id ? (
                <ReplyForm
                  idPrefix={`edit-${reply.id}`}
                  initial={{ shortcut: reply.shortcut, title: reply.title ?? '', text: reply.text }}
                  submitLabel={`Save /${reply.shortcut}`}
                  onSubmit={(draft) => save(reply.id, draft)}
                  onCancel={() => setEditing(null)}
                />
              ) : (
                <div className="saved-reply">
                  <div>
                    <strong>/{reply.shortcut}</strong>
                    {reply.title ? <span className="muted"> · {reply.title}</span> : null}
                    <p className="saved-reply-text">{reply.text}</p>
                  </div>
                  <div className="saved-reply-actions">
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-label={`Edit /${reply.shortcut}`}
                      onClick={() => setEditing(reply.id)}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className="btn btn-small btn-danger"
                      aria-label={`Delete /${reply.shortcut}`}
                      onClick={() => void remove(reply)}
                    >
                      Delete
                    </button>
                  </div>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <h3>Add a saved reply</h3>
      <ReplyForm idPrefix="new-reply" initial={EMPTY} submitLabel="Add saved reply" onSubmit={create} />
    </section>
  );
}
