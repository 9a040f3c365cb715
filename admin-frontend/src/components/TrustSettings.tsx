// Admins: require two-factor sign-in for the team, and verified visitor identity (the secret the site signs
// its user ids with, rotating it, code samples, and whether unverified names and emails count).
import { useEffect, useState } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import type { Tenant, TenantPatch } from '../types';
import { ConfirmDialog } from './ConfirmDialog';
import { CopyButton } from './CopyButton';

const SAMPLES: [string, (s: string) => string][] = [
  [
    'Node',
    (s) => `const crypto = require('crypto');
const userHash = crypto.createHmac('sha256', '${s}').update(String(user.id)).digest('hex');`,
  ],
  [
    'Python',
    (s) => `import hashlib, hmac
user_hash = hmac.new(b"${s}", str(user.id).encode(), hashlib.sha256).hexdigest()`,
  ],
  ['PHP', (s) => `$userHash = hash_hmac('sha256', (string) $user->id, '${s}');`],
];

const IDENTIFY = `Handoff('identify', { user_id: '42', user_hash: '<user_hash from your server>', name: 'Ada', email: 'ada@example.com' });`;

function Toggle({ label, checked, onPatch }: { label: string; checked: boolean; onPatch: (on: boolean) => Promise<void> }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <label className="check">
        <input
          type="checkbox"
          checked={checked}
          onChange={(e) => void onPatch(e.target.checked).catch((err: unknown) => setError(errorMessage(err)))}
        />
        {label}
      </label>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </>
  );
}

export function TrustSettings({ tenant, onPatch }: { tenant: Tenant; onPatch: (p: TenantPatch) => Promise<void> }) {
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .getIdentitySecret()
      .then((r) => setSecret(r.identity_secret))
      .catch((err: unknown) => setError(errorMessage(err)));
  }, []);

  const rotate = async () => {
    setBusy(true);
    try {
      setSecret((await api.rotateIdentitySecret()).identity_secret);
      setConfirming(false);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <section className="card form-grid" aria-labelledby="team-security-title">
        <h2 id="team-security-title">Team sign-in</h2>
        <Toggle
          label="Require two-factor sign-in"
          checked={!!tenant.settings.require_mfa}
          onPatch={(on) => onPatch({ settings: { require_mfa: on } })}
        />
        <p className="muted small">
          Teammates without it are asked to set it up at their next sign-in, and cannot turn it off.
        </p>
      </section>
      <section className="card form-grid" aria-labelledby="identity-title">
        <h2 id="identity-title">Identity verification</h2>
        <p className="muted small">
          Sign your user's id on your server with this secret and pass both to the widget; the visitor then is the same
          verified contact on every device. Keep the secret on your server, never in a page.
        </p>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        {secret ? (
          <div className="copy-row">
            <code className="secret-value" data-testid="identity-secret">{secret}</code>
            <CopyButton text={secret} label="Copy identity secret" />
            <button type="button" className="btn btn-small" onClick={() => setConfirming(true)}>
              Rotate secret
            </button>
          </div>
        ) : null}
        <Toggle
          label="Ignore names and emails from visitors who are not verified"
          checked={!!tenant.settings.require_identity}
          onPatch={(on) => onPatch({ settings: { require_identity: on } })}
        />
        {SAMPLES.map(([language, sample]) => {
          const text = sample(secret ?? '<identity secret>');
          return (
            <div className="copy-field" key={language}>
              <span className="field-label">{language}</span>
              <div className="copy-row">
                <pre className="code-sample">{text}</pre>
                <CopyButton text={text} label={`Copy ${language} sample`} />
              </div>
            </div>
          );
        })}
        <div className="copy-field">
          <span className="field-label">In the page</span>
          <div className="copy-row">
            <pre className="code-sample">{IDENTIFY}</pre>
            <CopyButton text={IDENTIFY} label="Copy widget sample" />
          </div>
        </div>
      </section>
      {confirming ? (
        <ConfirmDialog
          title="Rotate the identity secret?"
          confirmLabel="Rotate"
          busy={busy}
          onConfirm={() => void rotate()}
          onCancel={() => setConfirming(false)}
        >
          <p>Hashes made with the current secret stop working at once: update your server first.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
