// A staff socket that authenticates with a first frame and reconnects with jittered exponential backoff.
import type { ServerEvent } from '../types';

/** The slice of the browser WebSocket this module uses; tests inject a fake class. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

export type SocketStatus = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export interface SocketOptions {
  url: string;
  getToken: () => string | null;
  /** The server refused `token`: try to refresh it. Resolve false to give up (signed out). */
  onAuthRejected: (token: string) => Promise<boolean>;
  onEvent: (event: ServerEvent) => void;
  /** `reconnected` is true when a connection comes back after a drop (callers resync then). */
  onStatus: (status: SocketStatus, reconnected: boolean) => void;
  WebSocketImpl?: WebSocketCtor;
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

const OPEN = 1;
// 1008 policy violation and 4401/4403 are the close codes the server refuses credentials with.
const AUTH_CLOSE_CODES = new Set([1008, 4401, 4403]);
/** A connection that stays up this long resets the backoff. */
const STABLE_MS = 5000;
/**
 * The socket opens before the server has checked the auth frame; a refusal closes it right after. The
 * server's first frame (presence) says the credentials were accepted; a socket that stays open this long
 * without one is taken as accepted too.
 */
export const AUTH_GRACE_MS = 1500;

export function backoffDelay(attempt: number, base: number, max: number, random: () => number): number {
  const ceiling = Math.min(max, base * 2 ** attempt);
  // "Equal jitter": never less than half the ceiling, so a fleet of tabs spreads out but still waits.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export class ReconnectingSocket {
  private ws: WebSocketLike | null = null;
  private attempt = 0;
  private everConnected = false;
  /** The current socket's credentials were accepted (it is live, not just open). */
  private accepted = false;
  private stopped = false;
  private authFailures = 0;
  private tokenUsed = '';
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stableTimer: ReturnType<typeof setTimeout> | null = null;
  private acceptTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly opts: Required<SocketOptions>;

  constructor(options: SocketOptions) {
    // `??`, not spread defaults: callers pass `WebSocketImpl: undefined` to mean "the browser's".
    this.opts = {
      ...options,
      WebSocketImpl: options.WebSocketImpl ?? (globalThis.WebSocket as unknown as WebSocketCtor),
      baseDelayMs: options.baseDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      random: options.random ?? Math.random,
    };
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.accepted = false;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close(1000, 'bye');
    }
    this.opts.onStatus('stopped', false);
  }

  /**
   * Send a frame when connected (open and accepted); ephemeral frames (typing, read) are dropped while
   * offline, and the `false` tells callers to send them again once connected.
   */
  send(frame: object): boolean {
    if (!this.ws || this.ws.readyState !== OPEN || !this.accepted) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Skip the remaining backoff (the browser came back online, say). */
  reconnectNow(): void {
    if (this.stopped || !this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  private connect(): void {
    const token = this.opts.getToken();
    if (!token) {
      this.stop();
      return;
    }
    this.opts.onStatus(this.everConnected ? 'reconnecting' : 'connecting', false);
    this.tokenUsed = token;
    this.accepted = false;
    const ws = new this.opts.WebSocketImpl(this.opts.url);
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'auth', token }));
      // Not "connected" yet: a refused token gets this socket closed (4401) in a moment.
      this.acceptTimer = setTimeout(() => this.accept(ws), AUTH_GRACE_MS);
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.accept(ws);
      if (typeof ev.data !== 'string') return;
      let event: ServerEvent;
      try {
        event = JSON.parse(ev.data) as ServerEvent;
      } catch {
        return;
      }
      if (event && typeof event === 'object' && typeof event.type === 'string') this.opts.onEvent(event);
    };
    ws.onerror = () => {
      /* a close event always follows */
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.accepted = false;
      this.clearTimers();
      if (this.stopped) return;
      this.opts.onStatus('reconnecting', false);
      if (AUTH_CLOSE_CODES.has(ev.code)) {
        void this.handleAuthRejected();
      } else {
        this.scheduleRetry();
      }
    };
  }

  /** The server took our credentials: report the (re)connection, so views resync from here on. */
  private accept(ws: WebSocketLike): void {
    if (this.ws !== ws || this.accepted || this.stopped) return;
    this.accepted = true;
    if (this.acceptTimer) clearTimeout(this.acceptTimer);
    this.acceptTimer = null;
    const reconnected = this.everConnected;
    this.everConnected = true;
    this.opts.onStatus('connected', reconnected);
    this.stableTimer = setTimeout(() => {
      this.attempt = 0;
      this.authFailures = 0;
    }, STABLE_MS);
  }

  private async handleAuthRejected(): Promise<void> {
    this.authFailures += 1;
    const refreshed = this.authFailures <= 2 && (await this.opts.onAuthRejected(this.tokenUsed));
    if (this.stopped) return;
    if (!refreshed) {
      this.stop();
      return;
    }
    // The server is up and answered: only the token was stale. Come back at once rather than after the
    // backoff grown while the server was down (at most two refusals in a row, so this cannot spin).
    this.attempt = 0;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const { baseDelayMs, maxDelayMs, random } = this.opts;
    const delay = backoffDelay(this.attempt, baseDelayMs, maxDelayMs, random);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    if (this.acceptTimer) clearTimeout(this.acceptTimer);
    this.retryTimer = null;
    this.stableTimer = null;
    this.acceptTimer = null;
  }
}

export function adminSocketUrl(loc: Location = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/admin-ws`;
}
