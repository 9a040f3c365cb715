// One person: their channel addresses, editable details, conversations on every channel (linking to the
// inbox), and "Merge with…", which asks for confirmation saying what the merge does before it is made.
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { channelLabel, formatDateTime } from '../lib/format';
import { personName } from '../pages/ContactsPage';
import type { Person, PersonDetail } from '../types';
import { ConfirmDialog } from './ConfirmDialog';

const FIELDS = [
  ['name', 'Name'],
  ['email', 'Email'],
  ['phone', 'Phone'],
] as const;

type Draft = Record<'name' | 'email' | 'phone' | 'note', string>;

function draftOf(person: PersonDetail): Draft {
  return { name: person.name ?? '', email: person.email ?? '', phone: person.phone ?? '', note: person.note ?? '' };
}

function MergePicker({ person, onMerged }: { person: PersonDetail; onMerged: (p: PersonDetail, otherId: number) => void }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Person[] | null>(null);
  const [other, setOther] = useState<Person | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const find = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const page = await api.listContacts(q.trim(), null, 10);
      setFound(page.contacts.filter((c) => c.id !== person.id));
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const merge = async () => {
    if (!other) return;
    setBusy(true);
    try {
      const merged = await api.mergeContact(person.id, other.id);
      setOther(null);
      setFound(null);
      onMerged(merged, other.id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="merge-title">
      <h3 id="merge-title">Merge with…</h3>
      <form className="toolbar" role="search" aria-label="Find a contact to merge" onSubmit={find}>
        <label className="visually-hidden" htmlFor="merge-search">
          Contact to merge
        </label>
        <input id="merge-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        <button type="submit" className="btn">
          Find
        </button>
      </form>
      {error && !other ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {found && found.length === 0 ? <p className="empty">No other contact found.</p> : null}
      <ul className="tag-list">
        {(found ?? []).map((c) => (
          <li key={c.id}>
            <button type="button" className="btn btn-small" onClick={() => setOther(c)}>
              Merge {personName(c)} ({channelLabel(c.channel)})
            </button>
          </li>
        ))}
      </ul>
      {other ? (
        <ConfirmDialog
          title="Merge contacts?"
          confirmLabel="Merge"
          busy={busy}
          error={error}
          onConfirm={() => void merge()}
          onCancel={() => {
            setOther(null);
            setError(null);
          }}
        >
          <p>
            {personName(other)} ({channelLabel(other.channel)}) will be merged into {personName(person)}. Their
            conversations and channel addresses move to {personName(person)}, and their next messages arrive in{' '}
            {personName(person)}&apos;s open conversation.
          </p>
          <p>If both have an open conversation, {personName(other)}&apos;s is closed. A merge cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

export function ContactProfile({
  id,
  onChanged,
  onMerged,
}: {
  id: number;
  onChanged: (p: PersonDetail) => void;
  onMerged: (otherId: number) => void;
}) {
  const [person, setPerson] = useState<PersonDetail | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    api
      .getContact(id)
      .then((p) => {
        setPerson(p);
        setDraft(draftOf(p));
      })
      .catch((err: unknown) => setError(errorMessage(err)));
  }, [id]);

  if (!person || !draft) {
    return error ? (
      <p className="error" role="alert">
        {error}
      </p>
    ) : (
      <p className="muted">Loading…</p>
    );
  }

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    try {
      const updated = await api.patchContact(person.id, draft);
      setPerson(updated);
      setDraft(draftOf(updated));
      setError(null);
      setSaved(true);
      onChanged(updated);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <article className="panel pad" aria-labelledby="contact-title">
      <h2 id="contact-title">
        {personName(person)}{' '}
        {person.verified ? (
          <span className="badge badge-verified" title={`Verified as user ${person.verified_user_id ?? ''}`}>
            Verified
          </span>
        ) : null}
      </h2>
      <ul className="tag-list" aria-label="Channel addresses">
        {person.identities.map((i) => (
          <li key={i.id} className="tag">
            {channelLabel(i.channel)}: {i.external_id}
          </li>
        ))}
      </ul>
      <form className="form-grid" aria-label="Edit contact" noValidate onSubmit={save}>
        {FIELDS.map(([key, label]) => (
          <div className="field" key={key}>
            <label className="field-label" htmlFor={`contact-${key}`}>
              {label}
            </label>
            <input
              id={`contact-${key}`}
              type={key === 'email' ? 'email' : key === 'phone' ? 'tel' : 'text'}
              value={draft[key]}
              onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
            />
          </div>
        ))}
        <div className="field">
          <label className="field-label" htmlFor="contact-note">
            Note
          </label>
          <textarea id="contact-note" value={draft.note} onChange={(e) => setDraft({ ...draft, note: e.target.value })} />
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary">
            Save
          </button>
          {saved ? <span role="status">Saved</span> : null}
        </div>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
      <section aria-labelledby="contact-conversations">
        <h3 id="contact-conversations">Conversations</h3>
        {person.conversations.length === 0 ? <p className="empty">No conversations yet.</p> : null}
        <ul className="cards">
          {person.conversations.map((c) => (
            <li key={c.id}>
              <a href={`#/inbox/${c.id}`}>
                {channelLabel(c.channel)} conversation #{c.id} ({c.status}), {formatDateTime(c.last_message_at)}
              </a>
              {c.last_text ? <span className="muted small"> {c.last_text}</span> : null}
            </li>
          ))}
        </ul>
      </section>
      <MergePicker
        person={person}
        onMerged={(merged, otherId) => {
          setPerson(merged);
          setDraft(draftOf(merged));
          onChanged(merged);
          onMerged(otherId);
        }}
      />
    </article>
  );
}
