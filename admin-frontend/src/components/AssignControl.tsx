// Assign to me, to a teammate (GET /api/v1/team, open to every staff member), or unassign.
import { useEffect, useState } from 'react';
import * as api from '../api/endpoints';
import { useAuth } from '../auth/AuthContext';
import { teammateName } from '../lib/format';
import type { Conversation, Teammate } from '../types';

interface Props {
  conversation: Conversation;
  onAssign: (assigneeId: number | null) => Promise<unknown>;
}

export function AssignControl({ conversation, onAssign }: Props) {
  const { user } = useAuth();
  const [team, setTeam] = useState<Teammate[]>([]);
  const [busy, setBusy] = useState(false);
  const signedIn = user !== null;

  useEffect(() => {
    if (!signedIn) return;
    let cancelled = false;
    api
      .listTeam()
      .then((list) => {
        if (!cancelled && Array.isArray(list)) setTeam(list);
      })
      .catch(() => {
        /* without the list, "Me" and the current assignee are still offered */
      });
    return () => {
      cancelled = true;
    };
  }, [signedIn]);

  const current = conversation.assignee?.id ?? null;
  const options = new Map<number, string>();
  if (user) options.set(user.id, `Me (${user.name})`);
  for (const u of team) {
    if (!options.has(u.id)) options.set(u.id, u.online ? `${u.name} (online)` : u.name);
  }
  if (conversation.assignee && !options.has(conversation.assignee.id)) {
    options.set(conversation.assignee.id, teammateName(conversation.assignee));
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
