// Bulk actions on the selected conversations: close, assign, add a tag. The server announces each change, so
// the list updates from the socket like any other change.
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { useAuth } from '../auth/AuthContext';
import type { BulkBody, Teammate } from '../types';

interface Props {
  ids: number[];
  /** In the Closed view the status action reopens instead of closing. */
  reopen?: boolean;
  /** Called after a bulk action succeeded (the selection is cleared). */
  onDone: (summary: string) => void;
}

const plural = (n: number) => `${n} conversation${n === 1 ? '' : 's'}`;

export function BulkBar({ ids, reopen = false, onDone }: Props) {
  const { user } = useAuth();
  const [team, setTeam] = useState<Teammate[]>([]);
  const [assignee, setAssignee] = useState('');
  const [tag, setTag] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    api
      .listTeam()
      .then((list) => {
        if (!cancelled && Array.isArray(list)) setTeam(list);
      })
      .catch(() => {
        /* "Me" and "Nobody" are still offered */
      });
    return () => {
      cancelled = true;
    };
  }, []);

  const run = async (change: Partial<Omit<BulkBody, 'ids'>>, done: (n: number) => string) => {
    setBusy(true);
    setError(null);
    try {
      const result = await api.bulkUpdate({ add_tags: [], remove_tags: [], ...change, ids });
      onDone(done(result.updated));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const assign = (e: FormEvent) => {
    e.preventDefault();
    if (!assignee) return;
    const id = assignee === 'none' ? null : Number(assignee);
    void run({ assignee_id: id }, (n) => `${plural(n)} ${id === null ? 'unassigned' : 'assigned'}.`);
  };
  const addTag = (e: FormEvent) => {
    e.preventDefault();
    const name = tag.trim();
    if (!name) return;
    void run({ add_tags: [name] }, (n) => `Tag “${name}” added to ${plural(n)}.`).then(() => setTag(''));
  };

  const people = new Map<number, string>();
  if (user) people.set(user.id, `Me (${user.name})`);
  for (const t of team) if (!people.has(t.id)) people.set(t.id, t.name);

  return (
    <div className="bulk-bar" role="group" aria-label="Bulk actions">
      <p className="bulk-count">{ids.length} selected</p>
      <button
        type="button"
        className="btn"
        disabled={busy}
        onClick={() =>
          void run({ status: reopen ? 'open' : 'closed' }, (n) => `${plural(n)} ${reopen ? 'reopened' : 'closed'}.`)
        }
      >
        {reopen ? 'Reopen selected' : 'Close selected'}
      </button>
      <form className="bulk-form" onSubmit={assign}>
        <select aria-label="Assign selected to" value={assignee} onChange={(e) => setAssignee(e.target.value)}>
          <option value="">Assign to…</option>
          {[...people].map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
          <option value="none">Nobody (unassign)</option>
        </select>
        <button type="submit" className="btn" disabled={busy || !assignee}>
          Assign
        </button>
      </form>
      <form className="bulk-form" onSubmit={addTag}>
        <input
          type="text"
          aria-label="Tag to add to selected"
          placeholder="Tag"
          maxLength={32}
          value={tag}
          onChange={(e) => setTag(e.target.value)}
        />
        <button type="submit" className="btn" disabled={busy || !tag.trim()}>
          Add tag
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
