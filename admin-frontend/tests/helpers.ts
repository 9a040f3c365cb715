// Test doubles at the edges: a routed fetch stub and a controllable WebSocket class.
import { vi } from 'vitest';
import type { WebSocketLike } from '../src/socket/ReconnectingSocket';
import type { Conversation, Message, User } from '../src/types';

export interface Call {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

const REPLY = Symbol('reply');
interface Envelope {
  [REPLY]: true;
  status: number;
  body?: unknown;
  text?: string;
}
type Reply = Envelope | unknown;
type Handler = (call: Call) => Reply | Promise<Reply>;

/** A reply with an explicit status; handlers may also return a bare body (200). */
export function json(body: unknown, status = 200): Envelope {
  return { [REPLY]: true, status, body };
}

export function csv(text: string): Envelope {
  return { [REPLY]: true, status: 200, text };
}

/** Stub fetch with "METHOD /path" handlers (path without query); unmatched requests get 404. */
export function mockApi(routes: Record<string, Handler | Envelope | object>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const u = new URL(url, 'http://localhost');
    const method = (init.method ?? 'GET').toUpperCase();
    const call: Call = {
      method,
      url,
      path: u.pathname,
      query: u.searchParams,
      headers: { ...(init.headers as Record<string, string>) },
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    const route = routes[`${method} ${u.pathname}`];
    let reply: Reply = json({ detail: `No route for ${method} ${u.pathname}` }, 404);
    if (route !== undefined) reply = typeof route === 'function' ? await (route as Handler)(call) : route;
    const r: Envelope =
      reply && typeof reply === 'object' && REPLY in reply ? (reply as Envelope) : json(reply);
    const text = r.text ?? (r.body === undefined ? '' : JSON.stringify(r.body));
    return new Response(r.status === 204 ? null : text, {
      status: r.status,
      headers: { 'Content-Type': r.text ? 'text/csv' : 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetchMock);
  vi.stubGlobal('XMLHttpRequest', FetchBackedXhr);
  return { calls, fetchMock, find: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path) };
}

/** XMLHttpRequest (uploads with progress) answered by the mocked fetch: half-way progress when sent, then the
 * route's reply. */
export class FetchBackedXhr {
  status = 0;
  responseText = '';
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  private method = 'GET';
  private url = '';
  private headers: Record<string, string> = {};
  private aborted = false;

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }

  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }

  abort() {
    this.aborted = true;
    this.onabort?.();
  }

  send(body: unknown) {
    this.upload.onprogress?.({ lengthComputable: true, loaded: 1, total: 2 });
    void fetch(this.url, { method: this.method, headers: this.headers, body: body as BodyInit }).then(async (res) => {
      if (this.aborted) return;
      this.status = res.status;
      this.responseText = await res.text();
      this.onload?.();
    }, () => this.onerror?.());
  }
}

export class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];
  static get last(): FakeWebSocket {
    const ws = FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
    if (!ws) throw new Error('no socket opened');
    return ws;
  }
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  // --- driven by tests
  /** The socket opens; by default the server then accepts the auth frame (its first frame is presence). */
  open({ accept = true }: { accept?: boolean } = {}) {
    this.readyState = 1;
    this.onopen?.({});
    if (accept) this.receive({ type: 'presence', staff_online: true, online_user_ids: [] });
  }
  receive(event: object) {
    this.onmessage?.({ data: JSON.stringify(event) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  framesOf(type: string) {
    return this.sent.filter((f) => (f as { type?: string }).type === type) as Array<Record<string, unknown>>;
  }
}

export function signIn(user: Partial<User> = {}) {
  const u: User = { id: 1, email: 'ann@example.com', name: 'Ann', role: 'admin', tenant_id: 1, ...user };
  localStorage.setItem('handoff.access_token', 'access-1');
  localStorage.setItem('handoff.refresh_token', 'refresh-1');
  localStorage.setItem('handoff.user', JSON.stringify(u));
  return u;
}

export function message(over: Partial<Message> = {}): Message {
  return {
    id: 1,
    conversation_id: 1,
    channel: 'webchat',
    sender: 'visitor',
    text: 'hello',
    created_at: '2026-11-22T10:00:00Z',
    client_id: null,
    ...over,
  };
}

export function conversation(over: Partial<Conversation> = {}): Conversation {
  const id = over.id ?? 1;
  return {
    id,
    tenant_id: 1,
    channel: 'webchat',
    status: 'open',
    escalated: false,
    tags: [],
    contact: {
      id: id * 10,
      channel: 'webchat',
      name: `Contact ${id}`,
      email: null,
      phone: null,
      opted_out: false,
      external_id: `visitor-${id}`,
      verified: false,
    },
    assignee: null,
    last_message: message({ id: id * 100, conversation_id: id, text: `last message ${id}` }),
    unread_count: 0,
    visitor_read_message_id: 0,
    staff_read_message_id: 0,
    created_at: '2026-11-22T09:00:00Z',
    last_message_at: '2026-11-22T10:00:00Z',
    closed_at: null,
    ...over,
  };
}
