// Sign-in form, then the second step when two-factor sign-in is on (a code) or required by the team (set it
// up now). Drafts and the page you were on survive an expired session.
import { useState, type FormEvent, type ReactNode } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { useAuth } from '../auth/AuthContext';
import { RecoveryCodes, TwoFactorSetup } from '../components/TwoFactorSetup';
import type { MfaChallenge, MfaEnabled } from '../types';

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="login">
      <section className="login-card" aria-labelledby="login-title">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">H</span> Handoff
        </div>
        <h1 id="login-title">{title}</h1>
        {children}
      </section>
    </main>
  );
}

function SecondStep({ challenge }: { challenge: MfaChallenge }) {
  const { finishSignIn } = useAuth();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [enabled, setEnabled] = useState<MfaEnabled | null>(null);

  if (challenge.mfa_setup_required) {
    if (enabled?.tokens) {
      const tokens = enabled.tokens;
      return (
        <Card title="Save your recovery codes">
          <RecoveryCodes codes={enabled.recovery_codes} doneLabel="Continue" onDone={() => void finishSignIn(tokens)} />
        </Card>
      );
    }
    return (
      <Card title="Set up two-factor sign-in">
        <p className="notice">Your team requires two-factor sign-in. Set it up to continue.</p>
        <TwoFactorSetup mfaToken={challenge.mfa_token} onEnabled={setEnabled} />
      </Card>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await finishSignIn(await api.mfaVerify(challenge.mfa_token, code.trim()));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  return (
    <Card title="Two-factor sign-in">
      <form onSubmit={submit} aria-label="Authentication code">
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <label className="field">
          <span className="field-label">Authentication code</span>
          <input
            name="code"
            autoComplete="one-time-code"
            aria-describedby="code-hint"
            required
            autoFocus
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        </label>
        <p id="code-hint" className="muted small">
          The 6-digit code from your authenticator app, or one of your recovery codes.
        </p>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Checking…' : 'Verify'}
        </button>
      </form>
    </Card>
  );
}
import { ForgotPassword } from '../components/ForgotPassword';

export function LoginPage() {
  const { signIn, notice } = useAuth();
  const [challenge, setChallenge] = useState<MfaChallenge | null>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [forgot, setForgot] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const next = await signIn(email.trim(), password);
      if (next) {
        setChallenge(next);
        setBusy(false);
      }
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  if (challenge) return <SecondStep challenge={challenge} />;
  if (forgot) {
    return (
      <main className="login">
        <ForgotPassword onBack={() => setForgot(false)} />
      </main>
    );
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">H</span> Handoff
        </div>
        <h1 id="login-title">Sign in</h1>
        {notice && !error ? <p className="notice">{notice}</p> : null}
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <label className="field">
          <span className="field-label">Email</span>
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="field">
          <span className="field-label">Password</span>
          {/* Password inputs have no implicit ARIA role; the contract names this field a textbox. */}
          <input
            type="password"
            role="textbox"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <button type="button" className="btn btn-quiet btn-block" onClick={() => setForgot(true)}>
          Forgot password?
        </button>
      </form>
    </main>
  );
}
