// Contacts: people across channels. Search and page the list; the profile (edit, merge, past conversations)
// opens beside it at #/contacts/<id>.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { ContactProfile } from '../components/ContactProfile';
import { channelLabel } from '../lib/format';
import type { Person } from '../types';

export function personName(person: Pick<Person, 'name' | 'email' | 'phone' | 'external_id'>): string {
  return person.name || person.email || person.phone || person.external_id;
}

export function ContactsPage({ openId }: { openId: number | null }) {
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [people, setPeople] = useState<Person[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  const load = useCallback(async (query: string, before: number | null) => {
    setLoading(true);
    try {
      const page = await api.listContacts(query, before);
      setPeople((list) => (before ? [...list, ...page.contacts] : page.contacts));
      setNext(page.next_before);
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(search, null);
  }, [search, load]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSearch(q.trim());
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Contacts</h1>
      </div>
      <form className="toolbar" role="search" onSubmit={submit}>
        <label className="visually-hidden" htmlFor="contact-search">
          Search contacts
        </label>
        <input
          id="contact-search"
          type="search"
          value={q}
          placeholder="Name, email, phone or visitor id"
          onChange={(e) => setQ(e.target.value)}
        />
        <button type="submit" className="btn">
          Search
        </button>
      </form>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="split">
        <div>
          {!loading && people.length === 0 ? <p className="empty">No contacts found.</p> : null}
          <ul className="results" aria-label="Contacts">
            {people.map((p) => (
              <li key={p.id}>
                <a
                  className="result"
                  href={`#/contacts/${p.id}`}
                  aria-current={openId === p.id ? 'page' : undefined}
                >
                  <strong>{personName(p)}</strong>
                  <span className="muted small">
                    {channelLabel(p.channel)}
                    {p.email && p.email !== personName(p) ? ` · ${p.email}` : ''}
                  </span>
                </a>
              </li>
            ))}
          </ul>
          {next ? (
            <button type="button" className="btn load-more" disabled={loading} onClick={() => void load(search, next)}>
              Load more
            </button>
          ) : null}
        </div>
        {openId ? (
          <ContactProfile
            key={openId}
            id={openId}
            onChanged={(person) => setPeople((list) => list.map((p) => (p.id === person.id ? person : p)))}
            onMerged={(otherId) => setPeople((list) => list.filter((p) => p.id !== otherId))}
          />
        ) : (
          <p className="placeholder muted">Choose a contact to see their profile.</p>
        )}
      </div>
    </div>
  );
}
