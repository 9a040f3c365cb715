// Your own two-factor sign-in on the Account page: turn it on or off, how many recovery codes are left.
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { RecoveryCodes, TwoFactorSetup } from './TwoFactorSetup';
import type { MfaStatus } from '../types';

export function TwoFactorAccount() {
  const [status, setStatus] = useState<MfaStatus | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);

  const load = () =>
    api
      .mfaStatus()
      .then(setStatus)
      .catch((err: unknown) => setError(errorMessage(err)));
  useEffect(() => void load(), []);

  const disable = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      setStatus(await api.mfaDisable(code.trim()));
      setCode('');
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const failure = error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
  let body;
  if (!status) body = failure ?? <p className="muted">Loading…</p>;
  else if (codes) body = <RecoveryCodes codes={codes} doneLabel="Done" onDone={() => setCodes(null)} />;
  else if (!status.enabled)
    body = (
      <>
        <p>Two-factor sign-in is off. With it on, signing in also asks for a code from your phone.</p>
        {status.required ? <p className="notice">Your team requires two-factor sign-in.</p> : null}
        <TwoFactorSetup
          onEnabled={(r) => {
            setCodes(r.recovery_codes);
            void load();
          }}
        />
      </>
    );
  else
    body = (
      <>
        <p role="status">
          Two-factor sign-in is on. {status.recovery_codes_left} recovery codes left.
        </p>
        {status.required ? (
          <p className="muted small">Your team requires it, so it cannot be turned off.</p>
        ) : (
          <form className="form-grid" onSubmit={disable} aria-label="Turn off two-factor sign-in">
            {failure}
            <label className="field">
              <span className="field-label">Current code (or a recovery code)</span>
              <input autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
            </label>
            <div className="form-actions">
              <button type="submit" className="btn">
                Turn off two-factor sign-in
              </button>
            </div>
          </form>
        )}
      </>
    );
  return (
    <section className="card" aria-labelledby="mfa-title">
      <h2 id="mfa-title">Two-factor sign-in</h2>
      {body}
    </section>
  );
}
