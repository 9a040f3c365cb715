// Who is signed in. Sign-in stores the token pair; a failed refresh anywhere signs out here.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { onAuthLost } from '../api/client';
import * as api from '../api/endpoints';
import { clearTokens, getAccessToken, getStoredUser, storeTokens, storeUser } from '../api/tokens';
import { disablePush } from '../lib/push';
import type { MfaChallenge, TokenPair, User } from '../types';

interface AuthValue {
  user: User | null;
  isAdmin: boolean;
  /** Set when the session ended on its own (expired), to explain the login page. */
  notice: string | null;
  /** Null once signed in; the second step to take when the account (or the team) uses two-factor sign-in. */
  signIn: (email: string, password: string) => Promise<MfaChallenge | null>;
  /** Store the token pair a second step answered. */
  finishSignIn: (pair: TokenPair) => Promise<void>;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

function initialUser(): User | null {
  return getAccessToken() ? getStoredUser() : null;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(initialUser);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(
    () =>
      onAuthLost(() => {
        setUser(null);
        setNotice('Your session has expired. Please sign in again.');
      }),
    [],
  );

  // Refresh the stored profile (role or name may have changed since the last visit).
  const signedIn = user !== null;
  useEffect(() => {
    if (!signedIn) return;
    let cancelled = false;
    api
      .me()
      .then((fresh) => {
        if (cancelled || !fresh) return;
        storeUser(fresh);
        setUser(fresh);
      })
      .catch(() => {
        /* a 401 already signed us out through onAuthLost; other errors keep the stored user */
      });
    return () => {
      cancelled = true;
    };
  }, [signedIn]);

  const finishSignIn = useCallback(async (pair: TokenPair) => {
    storeTokens(pair);
    setNotice(null);
    setUser(pair.user ?? (await api.me()));
  }, []);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const answer = await api.login(email, password);
      if ('mfa_token' in answer) return answer;
      await finishSignIn(answer);
      return null;
    },
    [finishSignIn],
  );

  const signOut = useCallback(async () => {
    // Signed out, this browser must not keep receiving this member's alerts (a shared computer).
    await disablePush().catch(() => undefined);
    try {
      await api.logout();
    } catch {
      /* signing out locally is what matters */
    }
    clearTokens();
    setNotice(null);
    setUser(null);
  }, []);

  const value = useMemo<AuthValue>(
    () => ({ user, isAdmin: user?.role === 'admin', notice, signIn, finishSignIn, signOut }),
    [user, notice, signIn, finishSignIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}
