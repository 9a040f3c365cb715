// Test doubles for the transport and the resend queue: a clock that only moves when told, and a WebSocket
// class whose instances the test opens, feeds and closes by hand.

export function fakeClock() {
  let now = 0, nextId = 1;
  const timers = new Map();
  return {
    later(fn, ms) { timers.set(nextId, { at: now + ms, fn }); return nextId++; },
    cancel(id) { timers.delete(id); },
    random: () => 0.5,
    /** Run every timer due within `ms`, in time order. */
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let due = null;
        for (const [id, t] of timers) if (t.at <= end && (!due || t.at < due[1].at)) due = [id, t];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
    pending: () => timers.size,
  };
}

export function fakeSockets() {
  const sockets = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.closedWith = null;
      sockets.push(this);
    }
    send(data) { this.sent.push(JSON.parse(data)); }
    close(code) { this.closedWith = code ?? 'closed'; }
    // the server's side
    accept() { this.onopen?.(); }
    deliver(frame) { this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) }); }
    die(code = 1006) { this.onclose?.({ code }); }
  }
  return { WebSocket: FakeWebSocket, sockets, last: () => sockets[sockets.length - 1] };
}

/** Let pending promise callbacks run. */
export const settle = () => new Promise((r) => setTimeout(r, 0));
