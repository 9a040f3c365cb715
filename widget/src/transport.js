/* The visitor's WebSocket: authenticate with the first frame, ask to resume after the last message seen,
 * reconnect with capped, jittered backoff, and report when sockets look blocked so HTTP can take over.
 *
 * createTransport(o) takes everything it touches from `o`, so tests drive it with a fake socket and clock:
 *   url(), token(), lastId()   where to connect, the visitor token, the newest message id held
 *   onOpen(), onFrame(f)       a socket opened (auth and resume already sent); a parsed frame arrived
 *   onClose()                  the socket is gone (before any reconnect is planned)
 *   renew() -> Promise         get a fresh token: the server refused this one
 *   fallback(mode)             true: opens keep failing, poll over HTTP; 2: no WebSocket at all, for good
 *   WebSocket, clock           defaults: the browser's WebSocket, real timers */
import { CLOCK } from './clock.js';
import { parse } from './storage.js';

const REFUSED = [1008, 4401, 4403]; // close codes for a bad or expired token
const MAX_BACKOFF = 15000; // ms

export function createTransport(o) {
  const clock = o.clock || CLOCK;
  let ws = null, wsOpen = false, everOpened = false, attempts = 0, failedOpens = 0, timer = 0, stopped = false;

  function send(frame) {
    if (!wsOpen) return false;
    try { ws.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
  }

  function connect() {
    if (stopped || ws || !o.token()) return;
    clock.cancel(timer);
    let sock, opened = false;
    try {
      sock = ws = new (o.WebSocket || globalThis.WebSocket)(o.url());
    } catch (e) {
      return o.fallback(2); // no WebSocket, or CSP: HTTP for good
    }
    sock.onopen = () => {
      opened = wsOpen = true; attempts = failedOpens = 0;
      send({ type: 'auth', token: o.token() });
      send({ type: 'resume', after: o.lastId() });
      everOpened = true;
      o.onOpen();
    };
    sock.onmessage = (ev) => { const f = parse(ev.data); if (f) o.onFrame(f); };
    sock.onclose = (ev) => gone(sock, opened, ev.code);
  }

  /** Close the current socket as if it had died (no ack came back: it likely has) and plan a reconnect. */
  function drop() {
    const s = ws;
    if (!s) return;
    s.onopen = s.onmessage = s.onclose = null;
    s.close();
    gone(s, true);
  }

  function gone(sock, opened, code) {
    if (ws !== sock) return;
    ws = null; wsOpen = false;
    if (stopped) return;
    o.onClose();
    if (!opened && ++failedOpens >= 3) o.fallback(true); // sockets look blocked: use HTTP
    // refused: the token may be stale, so renew the session first
    if (REFUSED.includes(code)) o.renew().then(schedule);
    else schedule();
  }

  function schedule() {
    if (stopped || ws) return;
    clock.cancel(timer);
    const cap = Math.min(MAX_BACKOFF, 500 * 2 ** attempts++);
    timer = clock.later(connect, cap / 2 + (clock.random() * cap) / 2);
  }

  return {
    connect, send, drop,
    isOpen: () => wsOpen,
    everOpened: () => everOpened,
    socket: () => ws,
    /** The network is back: try again now, with a fresh backoff. */
    online() { attempts = 0; if (!ws && everOpened) connect(); },
    /** HTTP failed as well: the server is down rather than sockets blocked, so sockets get a fresh chance. */
    unblock() { failedOpens = 0; },
    stop() {
      stopped = true;
      clock.cancel(timer);
      if (ws) { ws.onclose = null; ws.close(1000); ws = null; wsOpen = false; }
    },
  };
}
