/* The resend queue: the visitor's messages the server has not acknowledged yet, in the order they were
 * written. A message keeps its client_id for good, so a resend after a reconnect is stored once by the server
 * and acknowledged with the same id.
 *
 * createOutbox(o):
 *   transport       send(frame), isOpen(), socket(), connect(), drop() (see transport.js)
 *   polling()       true while HTTP stands in for the socket
 *   post(m)         send over HTTP, resolves to the message id
 *   renew()         the server refused the visitor token (HTTP 401)
 *   onAck(m, id)    the server stored m as message `id`
 *   onFail(m)       m was refused (m._err says why); a retry sets m._state = 'sending' and calls deliver(m)
 *   clock           defaults to real timers */
import { CLOCK } from './clock.js';

const MAX_TEXT_BYTES = 65e3; // a frame over 64 KiB closes the socket, and each reconnect would resend it
const ACK_TIMEOUT = 10000; // ms without an ack: the socket is likely dead

export function createOutbox(o) {
  const clock = o.clock || CLOCK, pending = new Map(); // client_id -> message

  function add(m) {
    pending.set(m.client_id, m);
    deliver(m);
  }

  function deliver(m) {
    if (m.id != null || m._state !== 'sending' || m._inflight) return;
    const t = o.transport;
    if (new Blob([JSON.stringify(m.text)]).size > MAX_TEXT_BYTES) return fail(m, 'too long');
    if (o.polling() && !t.isOpen()) return post(m);
    if (!t.send({ type: 'message', text: m.text, client_id: m.client_id, attachment_ids: m.attachment_ids })) return t.connect();
    m._inflight = true;
    const sock = t.socket();
    // reconnecting resends the same client_id
    m._timer = clock.later(() => { if (m.id == null && t.socket() === sock) t.drop(); }, ACK_TIMEOUT);
  }

  async function post(m) {
    m._inflight = true;
    try {
      ack(m.client_id, await o.post(m));
    } catch (e) {
      m._inflight = false;
      if (e.status === 401) o.renew();
      else if (e.status >= 400 && e.status < 500) fail(m, e.message);
    }
  }

  function ack(cid, id) {
    const m = pending.get(cid);
    if (!m || id == null) return; // not ours, or acknowledged already (a resend is acknowledged again)
    settle(m);
    o.onAck(m, id);
  }

  /** m reached the server some other way (its echo came first): stop tracking it. */
  function settle(m) {
    pending.delete(m.client_id);
    clock.cancel(m._timer);
    m._inflight = false;
  }

  function fail(m, detail) {
    clock.cancel(m._timer);
    Object.assign(m, { _state: 'failed', _inflight: false, _err: detail });
    o.onFail(m);
  }

  /** The socket is gone: nothing is in flight any more; flush() after the next open sends it all again. */
  function disconnected() {
    for (const m of pending.values()) { m._inflight = false; clock.cancel(m._timer); }
  }

  return {
    add, deliver, ack, settle, fail, disconnected,
    flush() { for (const m of pending.values()) deliver(m); },
    /** The oldest message in flight: the one a server error without a client_id is about. */
    inflight() { for (const m of pending.values()) if (m._inflight) return m; },
    clear() { disconnected(); pending.clear(); },
    size: () => pending.size,
  };
}

/** A fresh client_id. randomUUID needs a secure context; plain http pages still have getRandomValues. */
export function clientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
}
