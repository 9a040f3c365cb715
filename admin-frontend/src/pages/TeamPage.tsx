// Admins: list teammates, invite one, change a role, cap an agent's auto-assigned conversations, disable or
// enable an account, reset a lost 2FA.
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { useAuth } from '../auth/AuthContext';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { formatDateTime } from '../lib/format';
import { useLive } from '../socket/LiveSocket';
import type { Role, TeamUser } from '../types';

/** An agent's cap on open conversations auto-assigned to them; empty: no cap. Saved when it loses focus. */
function CapInput({ user, onSave }: { user: TeamUser; onSave: (cap: number | null) => void }) {
  const stored = user.max_open == null ? '' : String(user.max_open);
  const [text, setText] = useState(stored);
  useEffect(() => setText(stored), [stored]);
  const commit = () => {
    const cap = text.trim() === '' ? null : Number(text);
    if (text !== stored && (cap === null || (Number.isInteger(cap) && cap >= 0))) onSave(cap);
  };
  return (
    <input
      type="number"
      min={0}
      className="cap-input"
      aria-label={`Most open conversations for ${user.name}`}
      placeholder="No cap"
      value={text}
      onChange={(e) => setText(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
      }}
    />
  );
}

const EMPTY_INVITE = { email: '', name: '', password: '', role: 'staff' as Role };

function InviteForm({ onCreated }: { onCreated: (u: TeamUser) => void }) {
  const [form, setForm] = useState(EMPTY_INVITE);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await api.createUser({ ...form, email: form.email.trim(), name: form.name.trim() }));
      setForm(EMPTY_INVITE);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a teammate</h2>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <label className="field">
        <span className="field-label">Name</span>
        <input required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
      </label>
      <label className="field">
        <span className="field-label">Email</span>
        <input
          type="email"
          required
          value={form.email}
          onChange={(e) => setForm({ ...form, email: e.target.value })}
        />
      </label>
      <label className="field">
        <span className="field-label">Initial password</span>
        <input
          type="password"
          role="textbox"
          required
          minLength={8}
          autoComplete="new-password"
          value={form.password}
          onChange={(e) => setForm({ ...form, password: e.target.value })}
        />
      </label>
      <label className="field">
        <span className="field-label">Role</span>
        <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
          <option value="staff">Staff</option>
          <option value="admin">Admin</option>
        </select>
      </label>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Invite
        </button>
      </div>
    </form>
  );
}

export function TeamPage() {
  const { user } = useAuth();
  const { onlineUserIds } = useLive();
  const [users, setUsers] = useState<TeamUser[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [resetting, setResetting] = useState<TeamUser | null>(null);

  const resetMfa = async (target: TeamUser) => {
    setError(null);
    try {
      await api.resetUserMfa(target.id);
      setUsers((list) => list?.map((u) => (u.id === target.id ? { ...u, mfa_enabled: false } : u)) ?? null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setResetting(null);
    }
  };

  useEffect(() => {
    api
      .listUsers()
      .then(setUsers)
      .catch((err: unknown) => setError(errorMessage(err)));
  }, []);

  const patch = async (id: number, body: Parameters<typeof api.patchUser>[1]) => {
    setError(null);
    try {
      const updated = await api.patchUser(id, body);
      setUsers((list) => list?.map((u) => (u.id === id ? { ...u, ...updated } : u)) ?? null);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <div className="page">
      <h1>Team</h1>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            <th>Status</th>
            <th>Max open</th>
            <th>Two-factor</th>
            <th>Added</th>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users?.map((u) => {
            const self = u.id === user?.id;
            return (
              <tr key={u.id} className={u.disabled ? 'disabled' : undefined}>
                <td>
                  {onlineUserIds.includes(u.id) ? <span className="online-dot" title="Online" /> : null}
                  {u.name}
                  {self ? <span className="muted"> (you)</span> : null}
                </td>
                <td>{u.email}</td>
                <td>
                  <select
                    aria-label={`Role for ${u.name}`}
                    value={u.role}
                    disabled={self}
                    onChange={(e) => void patch(u.id, { role: e.target.value as Role })}
                  >
                    <option value="staff">Staff</option>
                    <option value="admin">Admin</option>
                  </select>
                </td>
                <td>
                  {u.disabled ? 'Disabled' : 'Active'}
                  {!u.disabled && u.availability === 'away' ? <span className="muted"> · away</span> : null}
                </td>
                <td>
                  <CapInput user={u} onSave={(max_open) => void patch(u.id, { max_open })} />
                </td>
                <td>
                  {u.mfa_enabled ? 'On' : 'Off'}
                  {u.mfa_enabled && !self ? (
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-label={`Reset two-factor sign-in of ${u.name}`}
                      onClick={() => setResetting(u)}
                    >
                      Reset
                    </button>
                  ) : null}
                </td>
                <td>{formatDateTime(u.created_at)}</td>
                <td>
                  {self ? null : (
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.name}`}
                      onClick={() => void patch(u.id, { disabled: !u.disabled })}
                    >
                      {u.disabled ? 'Enable' : 'Disable'}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <InviteForm onCreated={(u) => setUsers((list) => [...(list ?? []), u])} />
      {resetting ? (
        <ConfirmDialog
          title={`Reset two-factor sign-in of ${resetting.name}?`}
          confirmLabel="Reset"
          onConfirm={() => void resetMfa(resetting)}
          onCancel={() => setResetting(null)}
        >
          <p>They sign in with their password alone until they set it up again (at once, if the team requires it).</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
