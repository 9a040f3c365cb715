// The page a password-reset email links to (#/reset/<token>): choose a new password, then sign in.
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as email from '../api/email';

export function ResetPasswordPage({ token }: { token: string }) {
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await email.resetPassword(token, password);
      setDone(true);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="reset-title">
        <h1 id="reset-title">Choose a new password</h1>
        {done ? (
          <p className="success" role="status">
            Your password is changed and every session signed out. <a href="#/inbox">Sign in</a>
          </p>
        ) : (
          <>
            {error ? (
              <p className="error" role="alert">
                {error}
              </p>
            ) : null}
            <label className="field">
              <span className="field-label">New password</span>
              <input
                type="password"
                role="textbox"
                autoComplete="new-password"
                minLength={8}
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              Set password
            </button>
          </>
        )}
      </form>
    </main>
  );
}
