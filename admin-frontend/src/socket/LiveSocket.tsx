// React side of the staff socket: one connection per signed-in tab, events fanned out to subscribers.
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { expireSession, refreshTokens } from '../api/client';
import { getAccessToken } from '../api/tokens';
import type { ServerEvent } from '../types';
import { adminSocketUrl, ReconnectingSocket, type SocketStatus, type WebSocketCtor } from './ReconnectingSocket';

type Handler = (event: ServerEvent) => void;

export interface LiveValue {
  status: SocketStatus;
  /** Increments each time the socket comes back after a drop: data views refetch on change. */
  epoch: number;
  onlineUserIds: number[];
  send: (frame: object) => boolean;
  subscribe: (handler: Handler) => () => void;
}

const noop = () => () => {};
const LiveContext = createContext<LiveValue>({
  status: 'stopped',
  epoch: 0,
  onlineUserIds: [],
  send: () => false,
  subscribe: noop,
});

interface Props {
  /** Off while signed out. */
  enabled: boolean;
  WebSocketImpl?: WebSocketCtor;
  url?: string;
  children: ReactNode;
}

export function LiveSocketProvider({ enabled, WebSocketImpl, url, children }: Props) {
  const [status, setStatus] = useState<SocketStatus>('stopped');
  const [epoch, setEpoch] = useState(0);
  const [onlineUserIds, setOnline] = useState<number[]>([]);
  const handlers = useRef(new Set<Handler>());
  const socket = useRef<ReconnectingSocket | null>(null);

  useEffect(() => {
    if (!enabled) return;
    const s = new ReconnectingSocket({
      url: url ?? adminSocketUrl(),
      WebSocketImpl,
      getToken: getAccessToken,
      onAuthRejected: async (used) => {
        // Another request may already have refreshed the pair: then just reconnect with it.
        if (getAccessToken() !== used) return true;
        const ok = await refreshTokens();
        if (!ok) expireSession();
        return ok;
      },
      onStatus: (next, reconnected) => {
        setStatus(next);
        if (reconnected) setEpoch((e) => e + 1);
      },
      onEvent: (event) => {
        if (event.type === 'presence') setOnline(event.online_user_ids ?? []);
        handlers.current.forEach((h) => h(event));
      },
    });
    socket.current = s;
    s.start();
    const online = () => s.reconnectNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      socket.current = null;
      s.stop();
    };
  }, [enabled, WebSocketImpl, url]);

  const send = useCallback((frame: object) => socket.current?.send(frame) ?? false, []);
  const subscribe = useCallback((handler: Handler) => {
    handlers.current.add(handler);
    return () => {
      handlers.current.delete(handler);
    };
  }, []);

  const value = useMemo(
    () => ({ status, epoch, onlineUserIds, send, subscribe }),
    [status, epoch, onlineUserIds, send, subscribe],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveValue {
  return useContext(LiveContext);
}

/** Run `handler` for every server event; the latest handler is always used without resubscribing. */
export function useLiveEvent(handler: Handler): void {
  const { subscribe } = useLive();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => subscribe((e) => ref.current(e)), [subscribe]);
}
