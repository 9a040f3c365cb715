// Assign to me, to a teammate (admins can list users), or unassign.
import { useEffect, useState } from 'react';
import * as api from '../api/endpoints';
import { useAuth } from '../auth/AuthContext';
import type { Conversation, TeamUser } from '../types';

interface Props {
  conversation: Conversation;
  onAssign: (assigneeId: number | null) => Promise<unknown>;
}

export function AssignControl({ conversation, onAssign }: Props) {
  const { user, isAdmin } = useAuth();
  const [team, setTeam] = useState<TeamUser[]>([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    // GET /api/v1/users is admin-only; staff can still take a conversation or release it.
    if (!isAdmin) return;
    let cancelled = false;
    api
      .listUsers()
      .then((users) => {
        if (!cancelled) setTeam(users.filter((u) => !u.disabled));
      })
      .catch(() => {});
    return () => {
      cancelled = true;
    };
  }, [isAdmin]);

  const current = conversation.assignee?.id ?? null;
  const options = new Map<number, string>();
  if (user) options.set(user.id, `Me (${user.name})`);
  for (const u of team) if (!options.has(u.id)) options.set(u.id, u.name || u.email);
  if (conversation.assignee && !options.has(conversation.assignee.id)) {
    options.set(conversation.assignee.id, conversation.assignee.name);
  }

  const assign = async (value: number | null) => {
    setBusy(true);
    try {
      await onAssign(value);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="assign">
      <label>
        <span className="field-label">Assignee</span>
        <select
          value={current === null ? '' : String(current)}
          disabled={busy}
          onChange={(e) => void assign(e.target.value === '' ? null : Number(e.target.value))}
        >
          <option value="">Unassigned</option>
          {[...options].map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </select>
      </label>
      {user && current !== user.id ? (
        <button type="button" className="btn btn-small" disabled={busy} onClick={() => void assign(user.id)}>
          Assign to me
        </button>
      ) : null}
    </div>
  );
}
