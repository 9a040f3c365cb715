/* Plain HTTP in place of the socket, for pages where WebSockets are blocked (a proxy, a CSP) or missing:
 * poll GET /api/v1/widget/messages and send with POST /webchat (outbox.js). Mode false: sockets are in use;
 * true: they keep failing, and the next socket open switches back; 2: no WebSocket at all, for good. */

export function createPoller(w) {
  let mode = false, timer = 0;

  function set(on) {
    if (mode === on) return;
    mode = on;
    clearTimeout(timer);
    if (on) poll();
  }

  async function poll() {
    clearTimeout(timer);
    try {
      const r = await w.api('/api/v1/widget/messages?after=' + w.transcript.lastId());
      for (const x of r.messages || []) w.upsert(x);
    } catch (e) {
      if (e.status === 401 || e.status === 403) await w.startSession();
      else if (!e.status && mode < 2) { w.transport.unblock(); return set(false); } // server down, not blocked
    }
    if (!mode || w.shut) return;
    w.outbox.flush();
    timer = setTimeout(poll, w.isOpen ? 5000 : 30000);
  }

  return { set, poll, mode: () => mode, stop: () => clearTimeout(timer) };
}
