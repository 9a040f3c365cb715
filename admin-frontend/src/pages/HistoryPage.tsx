// Searchable archive of closed and imported conversations; a result opens its transcript.
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { ChannelBadge } from '../components/Badges';
import { HistoryTranscript } from '../components/HistoryTranscript';
import { CHANNEL_LABEL, formatDateTime } from '../lib/format';
import { CHANNELS, type HistoryResult } from '../types';

interface Props {
  kind?: string;
  id: number | null;
}

interface Query {
  q: string;
  channel: string;
  from: string;
  to: string;
}

export function HistoryPage({ kind, id }: Props) {
  const [form, setForm] = useState<Query>({ q: '', channel: '', from: '', to: '' });
  const [query, setQuery] = useState<Query>(form);
  const [results, setResults] = useState<HistoryResult[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    api
      .searchHistory(query)
      .then((res) => {
        if (cancelled) return;
        setResults(res.results);
        setError(null);
      })
      .catch((err: unknown) => {
        if (!cancelled) setError(errorMessage(err));
      });
    return () => {
      cancelled = true;
    };
  }, [query]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQuery({ ...form });
  };

  const set = (patch: Partial<Query>) => setForm((f) => ({ ...f, ...patch }));
  const openKind = kind === 'conversation' || kind === 'imported' ? kind : null;
  const open = id !== null && openKind !== null;

  return (
    <div className={`page history${open ? ' has-open' : ''}`}>
      <h1>History</h1>
      <form className="toolbar" onSubmit={submit} role="search">
        <input
          type="search"
          aria-label="Search history"
          placeholder="Search transcripts"
          value={form.q}
          onChange={(e) => set({ q: e.target.value })}
        />
        <select aria-label="Channel" value={form.channel} onChange={(e) => set({ channel: e.target.value })}>
          <option value="">All channels</option>
          {CHANNELS.map((c) => (
            <option key={c} value={c}>
              {CHANNEL_LABEL[c]}
            </option>
          ))}
        </select>
        <label className="inline">
          From <input type="date" value={form.from} onChange={(e) => set({ from: e.target.value })} />
        </label>
        <label className="inline">
          To <input type="date" value={form.to} onChange={(e) => set({ to: e.target.value })} />
        </label>
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="split">
        <ul className="results" aria-label="Results">
          {results?.length === 0 ? <li className="empty">No matches.</li> : null}
          {results?.map((r) => (
            <li key={`${r.kind}-${r.id}`}>
              <a
                href={`#/history/${r.kind}/${r.id}`}
                className={`result${open && kind === r.kind && id === r.id ? ' active' : ''}`}
              >
                <span className="result-top">
                  <strong>{r.contact_name || 'Visitor'}</strong>
                  <ChannelBadge channel={r.channel} />
                  {r.kind === 'imported' ? <span className="badge">Imported</span> : null}
                </span>
                <span className="muted small">
                  {formatDateTime(r.started_at)}
                  {r.ended_at ? ` – ${formatDateTime(r.ended_at)}` : ''}
                </span>
                {r.snippet ? <span className="snippet">{r.snippet}</span> : null}
              </a>
            </li>
          ))}
        </ul>
        <div className="result-detail">
          {id !== null && openKind ? (
            <HistoryTranscript key={`${openKind}-${id}`} kind={openKind} id={id} />
          ) : (
            <p className="muted pad">Open a result to read its transcript.</p>
          )}
        </div>
      </div>
    </div>
  );
}
