// Turning two-factor sign-in on: the QR code (drawn by the server), the key to type instead, a code from
// the app; then the recovery codes, shown this once. Used by the Account page and, when the team requires
// 2FA, by the login (with the login's mfa_token in place of an access token).
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import type { MfaEnabled, MfaSetup } from '../types';
import { CopyButton } from './CopyButton';

export function RecoveryCodes({ codes, onDone, doneLabel }: { codes: string[]; onDone: () => void; doneLabel: string }) {
  const text = codes.join('\n') + '\n';
  const download = () => {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    link.download = 'handoff-recovery-codes.txt';
    link.click();
    URL.revokeObjectURL(link.href);
  };
  return (
    <section aria-labelledby="recovery-title">
      <h3 id="recovery-title">Recovery codes</h3>
      <p className="muted small">
        Each code signs you in once if you lose your phone. They are shown only now: keep them somewhere safe.
      </p>
      <ul className="recovery-codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div className="form-actions">
        <CopyButton text={text} label="Copy codes" />
        <button type="button" className="btn btn-small" onClick={download}>
          Download codes
        </button>
        <button type="button" className="btn btn-primary" onClick={onDone}>
          {doneLabel}
        </button>
      </div>
    </section>
  );
}

export function TwoFactorSetup({ mfaToken, onEnabled }: { mfaToken?: string; onEnabled: (r: MfaEnabled) => void }) {
  const [setup, setSetup] = useState<MfaSetup | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const start = async () => {
    setError(null);
    try {
      setSetup(await api.mfaSetup(mfaToken));
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const enable = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onEnabled(await api.mfaEnable(code.trim(), mfaToken));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  const failure = error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
  if (!setup) {
    return (
      <div>
        {failure}
        <button type="button" className="btn btn-primary" onClick={() => void start()}>
          Set up two-factor sign-in
        </button>
      </div>
    );
  }
  return (
    <form className="form-grid" onSubmit={enable} aria-label="Turn on two-factor sign-in">
      <p className="small">Scan this code with an authenticator app (1Password, Google Authenticator, Authy…).</p>
      <img className="qr-code" src={setup.qr_svg} alt="QR code for your authenticator app" width={200} height={200} />
      <p className="small">
        Or type this key: <code className="secret-value" data-testid="mfa-secret">{setup.secret}</code>
      </p>
      {failure}
      <label className="field">
        <span className="field-label">Code from the app</span>
        <input
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
      </label>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Turn on
        </button>
      </div>
    </form>
  );
}
