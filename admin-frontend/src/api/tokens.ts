// Access/refresh tokens and the signed-in user, kept in localStorage so a reload stays signed in.
import type { TokenPair, User } from '../types';

const ACCESS = 'handoff.access_token';
const REFRESH = 'handoff.refresh_token';
const USER = 'handoff.user';

export function getAccessToken(): string | null {
  return localStorage.getItem(ACCESS);
}

export function getRefreshToken(): string | null {
  return localStorage.getItem(REFRESH);
}

export function getStoredUser(): User | null {
  const raw = localStorage.getItem(USER);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as User;
  } catch {
    return null;
  }
}

export function storeTokens(pair: TokenPair): void {
  localStorage.setItem(ACCESS, pair.access_token);
  localStorage.setItem(REFRESH, pair.refresh_token);
  if (pair.user) storeUser(pair.user);
}

export function storeUser(user: User): void {
  localStorage.setItem(USER, JSON.stringify(user));
}

/** Forget the session. Reply drafts live under other keys and survive this on purpose. */
export function clearTokens(): void {
  localStorage.removeItem(ACCESS);
  localStorage.removeItem(REFRESH);
  localStorage.removeItem(USER);
}
