// "Forgot password?": asks for a reset link by email. The answer never says whether the address has an account.
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as email from '../api/email';

export function ForgotPassword({ onBack }: { onBack: () => void }) {
  const [address, setAddress] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await email.forgotPassword(address.trim());
      setSent(true);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <form className="login-card" onSubmit={submit} aria-labelledby="forgot-title">
      <h1 id="forgot-title">Reset your password</h1>
      {sent ? (
        <p className="success" role="status">
          If that address has an account, a reset link is on its way. It works once, for 30 minutes.
        </p>
      ) : (
        <>
          {error ? (
            <p className="error" role="alert">
              {error}
            </p>
          ) : null}
          <label className="field">
            <span className="field-label">Email</span>
            <input type="email" autoComplete="username" required value={address} onChange={(e) => setAddress(e.target.value)} />
          </label>
          <button type="submit" className="btn btn-primary btn-block">
            Email me a reset link
          </button>
        </>
      )}
      <button type="button" className="btn btn-quiet btn-block" onClick={onBack}>
        Back to sign in
      </button>
    </form>
  );
}
