// Fetch wrapper: bearer token, JSON in/out, one transparent refresh on 401, then one retry.
import type { TokenPair } from '../types';
import { clearTokens, getAccessToken, getRefreshToken, storeTokens } from './tokens';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

type Listener = () => void;
const authLostListeners = new Set<Listener>();

/** Called when the session cannot be refreshed; the app then shows the login page. */
export function onAuthLost(listener: Listener): () => void {
  authLostListeners.add(listener);
  return () => authLostListeners.delete(listener);
}

/** End the session locally (tokens gone, listeners told). Drafts are kept. */
export function expireSession(): void {
  clearTokens();
  authLostListeners.forEach((l) => l());
}

let refreshing: Promise<boolean> | null = null;

/** Exchange the refresh token for a new pair. Concurrent callers share one request. */
export function refreshTokens(): Promise<boolean> {
  if (!refreshing) {
    refreshing = doRefresh().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function doRefresh(): Promise<boolean> {
  const refresh_token = getRefreshToken();
  if (!refresh_token) return false;
  try {
    const res = await fetch('/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token }),
    });
    if (!res.ok) return false;
    storeTokens((await res.json()) as TokenPair);
    return true;
  } catch {
    return false;
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | null | undefined>;
  /** Skip the bearer header and the refresh dance (login, refresh). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

function send(url: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  // A FormData body (an upload) sets its own multipart Content-Type, boundary included.
  const form = opts.body instanceof FormData;
  if (opts.body !== undefined && !form) headers['Content-Type'] = 'application/json';
  const token = opts.anonymous ? null : getAccessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch(url, {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : form ? (opts.body as FormData) : JSON.stringify(opts.body),
    signal: opts.signal,
  });
}

/** Raw response, after the refresh-and-retry-once dance. Used for blobs (CSV export). */
export async function apiFetchRaw(path: string, opts: RequestOptions = {}): Promise<Response> {
  const url = buildUrl(path, opts.query);
  let res = await send(url, opts);
  if (res.status === 401 && !opts.anonymous) {
    if (await refreshTokens()) res = await send(url, opts);
    if (res.status === 401) {
      expireSession();
      throw new ApiError(401, 'Your session has expired. Please sign in again.');
    }
  }
  if (!res.ok) throw new ApiError(res.status, await readDetail(res));
  return res;
}

async function readDetail(res: Response): Promise<string> {
  try {
    const data = (await res.json()) as { detail?: unknown };
    if (typeof data.detail === 'string') return data.detail;
    // FastAPI's default validation error: a list of {loc, msg}.
    if (Array.isArray(data.detail)) {
      return data.detail
        .map((d: { msg?: unknown }) => (typeof d?.msg === 'string' ? d.msg : JSON.stringify(d)))
        .join('; ');
    }
    if (data.detail !== undefined) return JSON.stringify(data.detail);
  } catch {
    /* not JSON */
  }
  return `Request failed (${res.status})`;
}

export async function apiFetch<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await apiFetchRaw(path, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return String(err);
}
