import { describe, expect, it, vi } from 'vitest';
import { createTransport } from '../src/transport.js';
import { fakeClock, fakeSockets, settle } from './fakes.js';

function setup(over = {}) {
  const clock = fakeClock(), ws = fakeSockets(), frames = [];
  const state = { lastId: 0, token: 'tok-1' };
  const hooks = {
    onOpen: vi.fn(), onClose: vi.fn(), fallback: vi.fn(), renew: vi.fn(() => Promise.resolve()),
  };
  const transport = createTransport({
    url: () => 'ws://chat.test/ws/v1',
    token: () => state.token,
    lastId: () => state.lastId,
    onFrame: (f) => frames.push(f),
    WebSocket: ws.WebSocket,
    clock,
    ...hooks,
    ...over,
  });
  return { clock, ws, frames, state, hooks, transport };
}

describe('transport', () => {
  it('authenticates with the first frame, then asks to resume after the last message held', () => {
    const { ws, state, hooks, transport } = setup();
    state.lastId = 41;
    transport.connect();
    expect(ws.sockets).toHaveLength(1);
    expect(ws.last().url).toBe('ws://chat.test/ws/v1');
    expect(transport.isOpen()).toBe(false);
    ws.last().accept();
    expect(ws.last().sent).toEqual([{ type: 'auth', token: 'tok-1' }, { type: 'resume', after: 41 }]);
    expect(transport.isOpen()).toBe(true);
    expect(hooks.onOpen).toHaveBeenCalledOnce();
  });

  it('does not connect without a token, nor twice', () => {
    const { ws, state, transport } = setup();
    state.token = null;
    transport.connect();
    expect(ws.sockets).toHaveLength(0);
    state.token = 'tok-1';
    transport.connect();
    transport.connect();
    expect(ws.sockets).toHaveLength(1);
  });

  it('reconnects after the socket dies and resumes from the newest message seen since', () => {
    const { clock, ws, state, hooks, transport } = setup();
    transport.connect();
    ws.last().accept();
    state.lastId = 7; // messages arrived meanwhile
    ws.last().die();
    expect(hooks.onClose).toHaveBeenCalledOnce();
    expect(transport.isOpen()).toBe(false);
    expect(transport.send({ type: 'typing' })).toBe(false);
    clock.advance(374); // first backoff: 500 ms capped, half fixed and half random (0.5 here) = 375 ms
    expect(ws.sockets).toHaveLength(1);
    clock.advance(1);
    expect(ws.sockets).toHaveLength(2);
    ws.last().accept();
    expect(ws.last().sent).toEqual([{ type: 'auth', token: 'tok-1' }, { type: 'resume', after: 7 }]);
  });

  it('backs off longer after each failed attempt, up to 15 s, and starts over once a socket opens', () => {
    const { clock, ws, transport } = setup();
    transport.connect();
    const delays = [];
    for (let i = 0; i < 7; i++) {
      ws.last().die();
      const before = ws.sockets.length;
      let waited = 0;
      while (ws.sockets.length === before) { clock.advance(5); waited += 5; }
      delays.push(waited);
    }
    expect(delays).toEqual([375, 750, 1500, 3000, 6000, 11250, 11250]);
    ws.last().accept();
    ws.last().die();
    const before = ws.sockets.length;
    clock.advance(375);
    expect(ws.sockets.length).toBe(before + 1);
  });

  it('renews the session before reconnecting when the server refuses the token', async () => {
    let renewed;
    const renew = vi.fn(() => new Promise((r) => { renewed = r; }));
    const { clock, ws, transport } = setup({ renew });
    transport.connect();
    ws.last().accept();
    ws.last().die(4401);
    expect(renew).toHaveBeenCalledOnce();
    clock.advance(60_000);
    expect(ws.sockets).toHaveLength(1); // no reconnect until the session is renewed
    renewed();
    await settle();
    clock.advance(375);
    expect(ws.sockets).toHaveLength(2);
  });

  it('hands parsed frames over and ignores what is not JSON', () => {
    const { ws, frames, transport } = setup();
    transport.connect();
    ws.last().accept();
    ws.last().deliver({ type: 'message', message: { id: 1 } });
    ws.last().deliver('not json');
    expect(frames).toEqual([{ type: 'message', message: { id: 1 } }]);
  });

  it('falls back to HTTP after three sockets fail to open, and for good without WebSocket', () => {
    const { clock, ws, hooks, transport } = setup();
    transport.connect();
    for (let i = 0; i < 3; i++) { ws.last().die(); clock.advance(20_000); }
    expect(hooks.fallback.mock.calls).toEqual([[true]]);
    const none = setup({ WebSocket: function () { throw new Error('blocked by CSP'); } });
    none.transport.connect();
    expect(none.hooks.fallback.mock.calls).toEqual([[2]]);
  });

  it('drop() closes a silent socket and reconnects; stop() closes for good', () => {
    const { clock, ws, transport } = setup();
    transport.connect();
    ws.last().accept();
    const first = ws.last();
    transport.drop();
    expect(first.closedWith).toBe('closed');
    clock.advance(375);
    expect(ws.sockets).toHaveLength(2);
    ws.last().accept();
    transport.stop();
    expect(ws.last().closedWith).toBe(1000);
    transport.connect();
    clock.advance(60_000);
    expect(ws.sockets).toHaveLength(2);
  });

  it('reconnects at once when the browser comes back online', () => {
    const { ws, transport } = setup();
    transport.online();
    expect(ws.sockets).toHaveLength(0); // never opened: the session decides when to connect
    transport.connect();
    ws.last().accept();
    ws.last().die();
    transport.online();
    expect(ws.sockets).toHaveLength(2);
  });
});
