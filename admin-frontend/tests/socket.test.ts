import { describe, expect, it, vi } from 'vitest';
import { AUTH_GRACE_MS, backoffDelay, ReconnectingSocket } from '../src/socket/ReconnectingSocket';
import { FakeWebSocket } from './helpers';

function make(overrides: Partial<ConstructorParameters<typeof ReconnectingSocket>[0]> = {}) {
  FakeWebSocket.instances = [];
  const events: unknown[] = [];
  const statuses: Array<[string, boolean]> = [];
  const socket = new ReconnectingSocket({
    url: 'ws://test/admin-ws',
    WebSocketImpl: FakeWebSocket,
    getToken: () => 'tok',
    onAuthRejected: async () => true,
    onEvent: (e) => events.push(e),
    onStatus: (s, r) => statuses.push([s, r]),
    random: () => 0.5,
    ...overrides,
  });
  return { socket, events, statuses };
}

describe('ReconnectingSocket', () => {
  it('authenticates with a first frame and parses events', () => {
    const { socket, events, statuses } = make();
    socket.start();
    const ws = FakeWebSocket.last;
    expect(ws.url).toBe('ws://test/admin-ws');
    ws.open({ accept: false });
    expect(ws.sent[0]).toEqual({ type: 'auth', token: 'tok' });
    // Open is not connected: the server has not accepted the token yet, and frames wait.
    expect(statuses.at(-1)).toEqual(['connecting', false]);
    expect(socket.send({ type: 'typing', conversation_id: 1 })).toBe(false);
    ws.receive({ type: 'presence', staff_online: true });
    expect(socket.send({ type: 'typing', conversation_id: 1 })).toBe(true);
    ws.onmessage?.({ data: 'not json' });
    expect(events).toEqual([{ type: 'presence', staff_online: true }]);
    expect(statuses.at(-1)).toEqual(['connected', false]);
    socket.stop();
  });

  it('reconnects with growing jittered delays and reports the comeback', () => {
    vi.useFakeTimers();
    const { socket, statuses } = make();
    socket.start();
    FakeWebSocket.last.open();
    FakeWebSocket.last.drop();
    expect(statuses.at(-1)).toEqual(['reconnecting', false]);
    expect(FakeWebSocket.instances).toHaveLength(1);

    vi.advanceTimersByTime(374); // attempt 0: 250..500 ms, 375 with random 0.5
    expect(FakeWebSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(2);

    FakeWebSocket.last.drop(); // failed before opening: attempt 1 waits 500..1000 ms
    vi.advanceTimersByTime(749);
    expect(FakeWebSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(3);

    FakeWebSocket.last.open();
    expect(statuses.at(-1)).toEqual(['connected', true]);
    socket.stop();
  });

  it('refreshes the token when the server refuses it, and stops when refresh fails', async () => {
    vi.useFakeTimers();
    const onAuthRejected = vi.fn(async () => false);
    const { socket, statuses } = make({ onAuthRejected });
    socket.start();
    FakeWebSocket.last.open({ accept: false }); // the server reads the auth frame, then refuses it
    FakeWebSocket.last.drop(4401);
    await vi.runAllTimersAsync();
    expect(onAuthRejected).toHaveBeenCalledTimes(1);
    expect(statuses.at(-1)).toEqual(['stopped', false]);
    expect(statuses.map(([s]) => s)).not.toContain('connected');
    expect(FakeWebSocket.instances).toHaveLength(1);
    socket.stop();
  });

  it('reports a refused reconnect as reconnecting, never connected, until the refreshed token is accepted', async () => {
    vi.useFakeTimers();
    const onAuthRejected = vi.fn(async () => true);
    const { socket, statuses } = make({ onAuthRejected });
    socket.start();
    FakeWebSocket.last.open();
    FakeWebSocket.last.drop(1012); // server restart
    await vi.advanceTimersByTimeAsync(375);
    statuses.length = 0;
    FakeWebSocket.last.open({ accept: false });
    FakeWebSocket.last.drop(4401);
    await vi.advanceTimersByTimeAsync(1000);
    expect(onAuthRejected).toHaveBeenCalledTimes(1);
    FakeWebSocket.last.open();
    expect(statuses.filter(([s]) => s === 'connected')).toEqual([['connected', true]]);
    socket.stop();
  });

  it('retries promptly after a refreshed token, whatever backoff the outage built up', async () => {
    vi.useFakeTimers();
    const { socket } = make({ random: () => 1 });
    socket.start();
    FakeWebSocket.last.open();
    FakeWebSocket.last.drop(1012);
    for (let i = 0; i < 5; i += 1) {
      await vi.advanceTimersByTimeAsync(30_000);
      FakeWebSocket.last.drop(1006); // the server is still down
    }
    await vi.advanceTimersByTimeAsync(30_000);
    const before = FakeWebSocket.instances.length;
    FakeWebSocket.last.open({ accept: false });
    FakeWebSocket.last.drop(4401);
    await vi.advanceTimersByTimeAsync(500);
    expect(FakeWebSocket.instances).toHaveLength(before + 1);
    socket.stop();
  });

  it('takes a socket that stays open without a frame as accepted after a grace period', () => {
    vi.useFakeTimers();
    const { socket, statuses } = make();
    socket.start();
    FakeWebSocket.last.open({ accept: false });
    vi.advanceTimersByTime(AUTH_GRACE_MS - 1);
    expect(statuses.at(-1)).toEqual(['connecting', false]);
    vi.advanceTimersByTime(1);
    expect(statuses.at(-1)).toEqual(['connected', false]);
    socket.stop();
  });

  it('caps the backoff', () => {
    expect(backoffDelay(20, 500, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelay(20, 500, 30_000, () => 0)).toBe(15_000);
  });
});

describe('ReconnectingSocket defaults', () => {
  it("uses the browser's WebSocket when none is injected (even if the option is undefined)", () => {
    FakeWebSocket.instances = [];
    vi.stubGlobal('WebSocket', FakeWebSocket);
    const socket = new ReconnectingSocket({
      url: 'ws://x/admin-ws',
      WebSocketImpl: undefined,
      getToken: () => 't',
      onAuthRejected: async () => false,
      onEvent: () => {},
      onStatus: () => {},
    });
    socket.start();
    expect(FakeWebSocket.instances).toHaveLength(1);
    socket.stop();
  });
});
