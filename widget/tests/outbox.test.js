import { describe, expect, it, vi } from 'vitest';
import { createOutbox } from '../src/outbox.js';
import { createTransport } from '../src/transport.js';
import { fakeClock, fakeSockets, settle } from './fakes.js';

// the outbox wired to a real transport over fake sockets, as widget.js wires them
function setup({ polling = false, post } = {}) {
  const clock = fakeClock(), ws = fakeSockets(), acked = [], failed = [];
  let outbox = null;
  const transport = createTransport({
    url: () => 'ws://chat.test/ws/v1', token: () => 'tok', lastId: () => 0,
    onOpen: () => outbox.flush(), onClose: () => outbox.disconnected(),
    onFrame: (f) => { if (f.type === 'ack') outbox.ack(f.client_id, f.message_id); },
    renew: () => Promise.resolve(), fallback: () => {}, WebSocket: ws.WebSocket, clock,
  });
  outbox = createOutbox({
    transport, clock, polling: () => polling, renew: vi.fn(),
    post: post || vi.fn(),
    onAck: (m, id) => { m.id = id; acked.push([m.text, id]); },
    onFail: (m) => failed.push([m.text, m._err]),
  });
  return { clock, ws, transport, outbox, acked, failed };
}

let n = 0;
const message = (text) => ({ client_id: `cid-${++n}`, sender: 'visitor', text, _state: 'sending' });
const sentMessages = (sock) => sock.sent.filter((f) => f.type === 'message');

describe('outbox', () => {
  it('sends a message with its client_id and forgets it once acknowledged', () => {
    const { ws, transport, outbox, acked } = setup();
    transport.connect();
    ws.last().accept();
    const m = message('hello');
    outbox.add(m);
    expect(sentMessages(ws.last())).toEqual([{ type: 'message', text: 'hello', client_id: m.client_id }]);
    ws.last().deliver({ type: 'ack', client_id: m.client_id, message_id: 12 });
    expect(acked).toEqual([['hello', 12]]);
    expect(outbox.size()).toBe(0);
  });

  it('resends unacknowledged messages with the same client_id after a reconnect, and only those', () => {
    const { clock, ws, transport, outbox, acked } = setup();
    transport.connect();
    ws.last().accept();
    const a = message('a'), b = message('b'), c = message('c');
    outbox.add(a); outbox.add(b); outbox.add(c);
    ws.last().deliver({ type: 'ack', client_id: b.client_id, message_id: 5 });
    ws.last().die(); // a and c were sent, but their acks were lost with the socket
    clock.advance(375);
    ws.last().accept();
    expect(ws.sockets).toHaveLength(2);
    expect(sentMessages(ws.last())).toEqual([
      { type: 'message', text: 'a', client_id: a.client_id },
      { type: 'message', text: 'c', client_id: c.client_id },
    ]);
    // the server stored them once and acknowledges each resend with the same id
    ws.last().deliver({ type: 'ack', client_id: a.client_id, message_id: 4 });
    ws.last().deliver({ type: 'ack', client_id: c.client_id, message_id: 6 });
    expect(acked).toEqual([['b', 5], ['a', 4], ['c', 6]]);
    expect(outbox.size()).toBe(0);
  });

  it('ignores duplicate acks and acks for messages it does not hold', () => {
    const { ws, transport, outbox, acked } = setup();
    transport.connect();
    ws.last().accept();
    const m = message('once');
    outbox.add(m);
    ws.last().deliver({ type: 'ack', client_id: m.client_id, message_id: 3 });
    ws.last().deliver({ type: 'ack', client_id: m.client_id, message_id: 3 });
    ws.last().deliver({ type: 'ack', client_id: 'someone-else', message_id: 9 });
    ws.last().deliver({ type: 'ack', client_id: m.client_id }); // no id: nothing to record
    expect(acked).toEqual([['once', 3]]);
  });

  it('does not resend a message whose echo arrived before its ack', () => {
    const { clock, ws, transport, outbox, acked } = setup();
    transport.connect();
    ws.last().accept();
    const m = message('echoed');
    outbox.add(m);
    m.id = 8; // what the transcript does with the echo
    outbox.settle(m);
    ws.last().die();
    clock.advance(375);
    ws.last().accept();
    expect(sentMessages(ws.last())).toEqual([]);
    ws.last().deliver({ type: 'ack', client_id: m.client_id, message_id: 8 });
    expect(acked).toEqual([]);
  });

  it('queues what is written while offline and sends it when the socket opens', () => {
    const { ws, transport, outbox } = setup();
    const m = message('offline');
    outbox.add(m); // no socket yet: asks the transport to connect
    expect(ws.sockets).toHaveLength(1);
    ws.last().accept();
    expect(sentMessages(ws.last())).toEqual([{ type: 'message', text: 'offline', client_id: m.client_id }]);
  });

  it('drops a socket that gives no ack within 10 s and resends on the next one', () => {
    const { clock, ws, transport, outbox } = setup();
    transport.connect();
    ws.last().accept();
    const m = message('silence');
    outbox.add(m);
    clock.advance(9_999);
    expect(ws.last().closedWith).toBe(null);
    clock.advance(1);
    expect(ws.sockets[0].closedWith).toBe('closed');
    clock.advance(375);
    ws.last().accept();
    expect(sentMessages(ws.last())).toEqual([{ type: 'message', text: 'silence', client_id: m.client_id }]);
  });

  it('fails a message too long for one frame without sending it, and goes on with the rest', () => {
    const { ws, transport, outbox, failed } = setup();
    transport.connect();
    ws.last().accept();
    outbox.add(message('x'.repeat(70_000)));
    const ok = message('fine');
    outbox.add(ok);
    expect(failed).toEqual([['x'.repeat(70_000), 'too long']]);
    expect(sentMessages(ws.last())).toEqual([{ type: 'message', text: 'fine', client_id: ok.client_id }]);
  });

  it('posts over HTTP while polling, and a retry keeps the client_id', async () => {
    const post = vi.fn()
      .mockRejectedValueOnce(Object.assign(new Error('too long for us'), { status: 422 }))
      .mockResolvedValueOnce(21);
    const { outbox, acked, failed } = setup({ polling: true, post });
    const m = message('over http');
    outbox.add(m);
    await settle();
    expect(failed).toEqual([['over http', 'too long for us']]);
    m._state = 'sending'; // the visitor pressed Retry
    outbox.deliver(m);
    await settle();
    expect(post.mock.calls.map(([x]) => x.client_id)).toEqual([m.client_id, m.client_id]);
    expect(acked).toEqual([['over http', 21]]);
  });
});
