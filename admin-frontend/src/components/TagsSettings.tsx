// Settings › Tags: the tenant's tag list, add and delete (Settings is the admins' page; the server allows
// deleting, which takes the tag off every conversation, to admins only). The inbox also adds a tag the first
// time it is set on a conversation.
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { useAction } from '../lib/useAction';

export function TagsSettings() {
  const [tags, setTags] = useState<string[] | null>(null);
  const [draft, setDraft] = useState('');
  const { busy, error, setError, notice, setNotice, act } = useAction();

  useEffect(() => {
    api
      .listTags()
      .then((r) => setTags(r.tags))
      .catch((err: unknown) => setError(errorMessage(err)));
  }, []);

  const add = (e: FormEvent) => {
    e.preventDefault();
    const name = draft.trim();
    if (!name) return;
    void act(async () => {
      setTags((await api.addTag(name)).tags);
      setDraft('');
      setNotice(`Tag “${name}” added.`);
    });
  };

  const remove = (name: string) =>
    void act(async () => {
      await api.deleteTag(name);
      setTags((list) => (list ?? []).filter((t) => t !== name));
      setNotice(`Tag “${name}” deleted from the list and from every conversation.`);
    });

  return (
    <section className="card" aria-labelledby="tags-title">
      <h2 id="tags-title">Tags</h2>
      <p className="muted small">Tags label conversations; the inbox filters by them.</p>
      {tags === null && !error ? <p className="muted">Loading…</p> : null}
      {tags && tags.length === 0 ? <p className="muted">No tags yet.</p> : null}
      {tags && tags.length > 0 ? (
        <ul className="tag-list tag-settings" aria-label="Tags">
          {tags.map((t) => (
            <li key={t} className="tag">
              {t}
              <button
                type="button"
                className="tag-remove"
                aria-label={`Delete tag ${t}`}
                disabled={busy}
                onClick={() => remove(t)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <form className="inline-form" onSubmit={add}>
        <label>
          New tag
          <input type="text" maxLength={32} value={draft} onChange={(e) => setDraft(e.target.value)} />
        </label>
        <button type="submit" className="btn" disabled={busy || !draft.trim()}>
          Add tag
        </button>
      </form>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {notice ? (
        <p role="status" className="small">
          {notice}
        </p>
      ) : null}
    </section>
  );
}
