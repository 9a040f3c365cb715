// App-wide inbox: the filtered conversation list, kept live from /admin-ws, plus tab title and alerts.
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { useAuth } from '../auth/AuthContext';
import { contactName } from '../lib/format';
import { alertIfHidden } from '../lib/notify';
import { currentSearch, filterFromSearch, searchFromFilter } from '../lib/inboxUrl';
import { navigate } from '../lib/router';
import { useLive, useLiveEvent } from '../socket/LiveSocket';
import type { Conversation } from '../types';
import {
  emptyInbox,
  inboxReducer,
  totalUnread,
  type InboxAction,
  type InboxContext as ReducerContext,
  type InboxFilter,
  type InboxState,
} from './inboxReducer';

interface InboxValue {
  state: InboxState;
  filter: InboxFilter;
  setFilter: (patch: Partial<InboxFilter>) => void;
  loading: boolean;
  error: string | null;
  loadMore: () => Promise<void>;
  openId: number | null;
  setOpenId: (id: number | null) => void;
  /** Apply a conversation the server returned (after a PATCH, say). */
  applyConversation: (c: Conversation) => void;
  markRead: (conversationId: number) => void;
}

const Ctx = createContext<InboxValue | null>(null);

type Envelope = { action: InboxAction; ctx: ReducerContext };
const reduce = (s: InboxState, e: Envelope) => inboxReducer(s, e.action, e.ctx);

function toQuery(filter: InboxFilter): api.ConvoQuery {
  const status = filter.view === 'closed' ? 'closed' : filter.view === 'snoozed' ? 'snoozed' : 'open';
  const assignee = filter.view === 'mine' ? 'me' : filter.view === 'unassigned' ? 'none' : undefined;
  return { status, assignee, channel: filter.channel, tag: filter.tag, q: filter.q.trim() };
}

export function InboxProvider({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const { epoch } = useLive();
  const [state, rawDispatch] = useReducer(reduce, emptyInbox);
  const [filter, setFilterState] = useState<InboxFilter>(() => filterFromSearch(currentSearch()));
  // The URL is the filter's home: Back, a bookmark or a shared link restores it.
  useEffect(() => {
    const follow = () =>
      setFilterState((f) => {
        const next = filterFromSearch(currentSearch());
        return JSON.stringify(next) === JSON.stringify(f) ? f : next;
      });
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  const [openId, setOpenId] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Highest message id seen per conversation, so a status update never counts as a new message.
  const lastSeen = useRef(new Map<number, number>());

  const ctx = useRef<ReducerContext>({ filter, meId: user?.id ?? null, openId });
  ctx.current = { filter, meId: user?.id ?? null, openId };
  // While the tab is hidden nobody is reading the open conversation, so its messages count as unread.
  const dispatch = useCallback(
    (action: InboxAction) =>
      rawDispatch({ action, ctx: { ...ctx.current, openId: document.hidden ? null : ctx.current.openId } }),
    [],
  );

  const remember = useCallback((list: Conversation[]) => {
    for (const c of list) {
      const id = c.last_message?.id ?? 0;
      if (id > (lastSeen.current.get(c.id) ?? 0)) lastSeen.current.set(c.id, id);
    }
  }, []);

  // Debounce typing in the search box; other filter changes apply at once. The key is a string so an
  // unchanged filter never refetches.
  const [queryKey, setQueryKey] = useState(() => JSON.stringify(toQuery(filter)));
  useEffect(() => {
    const next = JSON.stringify(toQuery(filter));
    if (next === queryKey) return;
    const typing = (JSON.parse(queryKey) as api.ConvoQuery).q !== filter.q.trim();
    const t = setTimeout(() => setQueryKey(next), typing ? 300 : 0);
    return () => clearTimeout(t);
  }, [filter, queryKey]);
  const query = useMemo(() => JSON.parse(queryKey) as api.ConvoQuery, [queryKey]);

  const signedIn = user !== null;
  useEffect(() => {
    if (!signedIn) return;
    const abort = new AbortController();
    setLoading(true);
    api
      .listConversations(query, abort.signal)
      .then((page) => {
        remember(page.conversations);
        dispatch({ type: 'loaded', page: page.conversations, nextBefore: page.next_before });
        setError(null);
      })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(errorMessage(err));
      })
      .finally(() => {
        if (!abort.signal.aborted) setLoading(false);
      });
    return () => abort.abort();
  }, [signedIn, query, epoch, dispatch, remember]);

  const loadMore = useCallback(async () => {
    if (!state.nextBefore) return;
    try {
      const page = await api.listConversations({ ...query, before: state.nextBefore });
      remember(page.conversations);
      dispatch({ type: 'loaded', page: page.conversations, nextBefore: page.next_before, append: true });
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [state.nextBefore, query, dispatch, remember]);

  useLiveEvent((event) => {
    if (event.type === 'message' && event.message.private) {
      // A note changes nothing the list shows (not even the last message): the conversation as it is.
      if (event.conversation) dispatch({ type: 'conversation', conversation: event.conversation });
    } else if (event.type === 'message') {
      const { message } = event;
      const cid = message.conversation_id;
      const seen = lastSeen.current.get(cid);
      const fresh = seen === undefined || message.id > seen;
      if (fresh) lastSeen.current.set(cid, message.id);
      dispatch({ type: 'message', message, conversation: event.conversation });
      if (fresh && message.sender === 'visitor') {
        const who = contactName(event.conversation?.contact);
        const isFirst = event.conversation?.created_at
          ? Date.parse(message.created_at) - Date.parse(event.conversation.created_at) < 5000
          : false;
        alertIfHidden(isFirst ? `New conversation: ${who}` : who, message.text, () =>
          navigate(`/inbox/${cid}`),
        );
      }
    } else if (event.type === 'conversation_updated' || event.type === 'escalation') {
      remember([event.conversation]);
      dispatch({ type: 'conversation', conversation: event.conversation });
      if (event.type === 'escalation') {
        alertIfHidden('Conversation escalated', contactName(event.conversation.contact), () =>
          navigate(`/inbox/${event.conversation.id}`),
        );
      }
    } else if (event.type === 'followup') {
      alertIfHidden('New follow-up request', event.followup.name, () => navigate('/followups'));
    }
  });

  // "(3) Handoff" while anything is unread.
  const unread = totalUnread(state);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Handoff` : 'Handoff';
  }, [unread]);

  const setFilter = useCallback((patch: Partial<InboxFilter>) => {
    setFilterState((f) => {
      const next = { ...f, ...patch };
      const path = window.location.hash.replace(/^#/, '').split('?')[0] || '/inbox';
      window.history.replaceState(null, '', `#${path}${searchFromFilter(next)}`);
      return next;
    });
  }, []);
  const applyConversation = useCallback(
    (c: Conversation) => dispatch({ type: 'conversation', conversation: c }),
    [dispatch],
  );
  const markRead = useCallback(
    (conversationId: number) => dispatch({ type: 'read', conversationId }),
    [dispatch],
  );

  const value = useMemo<InboxValue>(
    () => ({
      state,
      filter,
      setFilter,
      loading,
      error,
      loadMore,
      openId,
      setOpenId,
      applyConversation,
      markRead,
    }),
    [state, filter, setFilter, loading, error, loadMore, openId, applyConversation, markRead],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useInbox(): InboxValue {
  const v = useContext(Ctx);
  if (!v) throw new Error('useInbox outside InboxProvider');
  return v;
}
