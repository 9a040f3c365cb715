// Follow-up requests left by visitors when nobody answered; new ones arrive live.
import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { FollowupReply } from '../components/FollowupReply';
import { formatDateTime } from '../lib/format';
import { useLive, useLiveEvent } from '../socket/LiveSocket';
import type { Followup } from '../types';

type Tab = 'new' | 'viewed';

export function FollowupsPage() {
  const [tab, setTab] = useState<Tab>('new');
  const [items, setItems] = useState<Followup[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const { epoch } = useLive();

  const load = useCallback(async (which: Tab) => {
    setLoading(true);
    try {
      const res = await api.listFollowups(which);
      setItems(res.followups);
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(tab);
  }, [tab, epoch, load]);

  useLiveEvent((event) => {
    if (event.type !== 'followup') return;
    const f = event.followup;
    const belongs = tab === 'new' ? !f.viewed_at : !!f.viewed_at;
    setItems((list) => {
      const rest = list.filter((x) => x.id !== f.id);
      return belongs ? [f, ...rest] : rest;
    });
  });

  const markViewed = async (id: number) => {
    try {
      const updated = await api.markFollowupViewed(id);
      setItems((list) =>
        tab === 'new' ? list.filter((x) => x.id !== id) : list.map((x) => (x.id === id ? updated : x)),
      );
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Follow-ups</h1>
        <div className="tabs" role="group" aria-label="Follow-up filter">
          {(['new', 'viewed'] as const).map((t) => (
            <button
              key={t}
              type="button"
              className={`tab${tab === t ? ' active' : ''}`}
              aria-pressed={tab === t}
              onClick={() => setTab(t)}
            >
              {t === 'new' ? 'New' : 'Viewed'}
            </button>
          ))}
        </div>
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {!loading && items.length === 0 ? <p className="empty">Nothing here.</p> : null}
      <ul className="cards">
        {items.map((f) => (
          <li key={f.id} className="card followup">
            <div className="card-head">
              <strong>{f.name}</strong>
              <time dateTime={f.created_at}>{formatDateTime(f.created_at)}</time>
            </div>
            <div className="followup-contact">
              {f.email ? <a href={`mailto:${f.email}`}>{f.email}</a> : null}
              {f.phone ? <span>{f.phone}</span> : null}
            </div>
            <p className="followup-message">{f.message}</p>
            <FollowupReply
              followup={f}
              onReplied={(updated) => setItems((list) => list.map((x) => (x.id === updated.id ? updated : x)))}
            />
            <div className="card-actions">
              {f.conversation_id ? <a href={`#/inbox/${f.conversation_id}`}>Open conversation</a> : null}
              {f.viewed_at ? (
                <span className="muted small">Viewed {formatDateTime(f.viewed_at)}</span>
              ) : (
                <button type="button" className="btn btn-small" onClick={() => void markViewed(f.id)}>
                  Mark viewed
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
