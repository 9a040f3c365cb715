// Settings › API tokens (admins): bearer tokens for scripts and integrations. A new token is shown once, with
// Copy; the list shows role, last use and expiry; revoking asks first and takes effect at once.
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/integrations';
import { useAction } from '../lib/useAction';
import type { ApiToken, NewApiToken } from '../api/integrations';
import { formatDateTime } from '../lib/format';
import { ConfirmDialog } from './ConfirmDialog';
import { CopyButton } from './CopyButton';

/** The end of the chosen day in the admin's own time zone, as the server wants it (ISO 8601 with a zone). */
export function endOfDay(date: string): string {
  return new Date(`${date}T23:59:59`).toISOString();
}

function expiry(token: ApiToken): string {
  if (!token.expires_at) return 'Never';
  const when = formatDateTime(token.expires_at);
  return new Date(token.expires_at).getTime() <= Date.now() ? `Expired ${when}` : when;
}

export function ApiTokensSettings() {
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<'staff' | 'admin'>('staff');
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<NewApiToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const { busy, error, setError, notice, setNotice, act } = useAction();

  const reload = () =>
    api
      .listApiTokens()
      .then((r) => setTokens(r.api_tokens))
      .catch((err: unknown) => setError(errorMessage(err)));

  useEffect(() => {
    void reload();
  }, []);

  const create = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      setCreated(await api.createApiToken({ name: name.trim(), role, expires_at: expires ? endOfDay(expires) : null }));
      setName('');
      setExpires('');
      await reload();
    });
  };

  const revoke = () =>
    void act(async () => {
      if (!revoking) return;
      await api.revokeApiToken(revoking.id);
      setNotice(`Token “${revoking.name}” revoked: it no longer works.`);
      setRevoking(null);
      await reload();
    });

  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted small">
        A token works as <code>Authorization: Bearer &lt;token&gt;</code> on the staff API, acting for you with its
        role (never more than yours).
      </p>
      {created ? (
        <div className="secret-once" role="status">
          <p>Token “{created.name}” created. It is shown only now: copy it somewhere safe.</p>
          <span className="field-label">New token</span>
          <div className="copy-row">
            <code>{created.token}</code>
            <CopyButton text={created.token} label="Copy token" />
          </div>
          <button type="button" className="btn btn-small" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}
      {tokens && tokens.length === 0 ? <p className="muted">No API tokens yet.</p> : null}
      {tokens && tokens.length > 0 ? (
        <table className="table">
          <caption className="visually-hidden">API tokens</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>
                  {t.name} <code className="small">{t.prefix}…</code>
                </td>
                <td>{t.role === 'admin' ? 'Admin' : 'Staff'}</td>
                <td>
                  {formatDateTime(t.created_at)}
                  {t.created_by.name ? ` by ${t.created_by.name}` : ''}
                </td>
                <td>{t.last_used_at ? formatDateTime(t.last_used_at) : 'Never'}</td>
                <td>{expiry(t)}</td>
                <td>
                  <button
                    type="button"
                    className="btn btn-small btn-danger"
                    aria-label={`Revoke token ${t.name}`}
                    onClick={() => setRevoking(t)}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form className="form-grid" onSubmit={create} aria-label="Create an API token">
        <div className="field-row">
          <div className="field">
            <label className="field-label" htmlFor="token-name">
              Token name
            </label>
            <input
              id="token-name"
              required
              maxLength={100}
              placeholder="e.g. CRM sync"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </div>
          <div className="field">
            <label className="field-label" htmlFor="token-role">
              Role
            </label>
            <select id="token-role" value={role} onChange={(e) => setRole(e.target.value as 'staff' | 'admin')}>
              <option value="staff">Staff</option>
              <option value="admin">Admin</option>
            </select>
          </div>
          <div className="field">
            <label className="field-label" htmlFor="token-expires">
              Expires (optional)
            </label>
            <input id="token-expires" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
          </div>
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || !name.trim()}>
            Create token
          </button>
        </div>
      </form>
      {error && !revoking ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {notice ? (
        <p role="status" className="small">
          {notice}
        </p>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke token “${revoking.name}”?`}
          confirmLabel="Revoke token"
          busy={busy}
          error={error}
          onConfirm={revoke}
          onCancel={() => setRevoking(null)}
        >
          <p>Everything using it is refused from its next request on. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
