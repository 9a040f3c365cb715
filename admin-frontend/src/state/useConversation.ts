// Everything one open conversation needs: details, transcript, live updates, read receipts, sending.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { useLive, useLiveEvent } from '../socket/LiveSocket';
import type { Conversation, Upload } from '../types';
import { useInbox } from './InboxContext';
import { lastServerId, messagesReducer, type ChatMessage } from './messagesReducer';

const TYPING_SHOWN_MS = 5000;

export interface Typing {
  who: string;
}

function newClientId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `c-${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

let localSeq = 0;

export function useConversation(id: number) {
  const live = useLive();
  const inbox = useInbox();
  const fromList = inbox.state.items.find((c) => c.id === id) ?? null;
  const [conversation, setConversation] = useState<Conversation | null>(fromList);
  const [messages, dispatch] = useReducer(messagesReducer, []);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [typing, setTyping] = useState<Typing | null>(null);
  const [hasEarlier, setHasEarlier] = useState(false);
  const typingTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const messagesRef = useRef<ChatMessage[]>(messages);
  messagesRef.current = messages;
  const { applyConversation, markRead, setOpenId } = inbox;

  useEffect(() => {
    setOpenId(id);
    return () => setOpenId(null);
  }, [id, setOpenId]);

  // First load.
  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    setError(null);
    dispatch({ type: 'reset', messages: [] });
    Promise.all([api.getConversation(id), api.listMessages(id)])
      .then(([conv, page]) => {
        if (cancelled) return;
        setConversation(conv);
        dispatch({ type: 'reset', messages: page.messages });
        setHasEarlier(page.messages.length >= 100);
      })
      .catch((err: unknown) => {
        if (!cancelled) setError(errorMessage(err));
      })
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [id]);

  // After a reconnect: only what we missed, no reload.
  const firstEpoch = useRef(live.epoch);
  useEffect(() => {
    if (live.epoch === firstEpoch.current) return;
    const after = lastServerId(messagesRef.current);
    api
      .listMessages(id, after === undefined ? {} : { after })
      .then((page) => dispatch({ type: 'merge', messages: page.messages }))
      .catch(() => {});
    api
      .getConversation(id)
      .then(setConversation)
      .catch(() => {});
  }, [live.epoch, id]);

  useLiveEvent((event) => {
    if (event.type === 'message' && event.message.conversation_id === id) {
      dispatch({ type: 'upsert', message: event.message });
      if (event.conversation) setConversation(event.conversation);
      if (event.message.sender === 'visitor') setTyping(null);
    } else if (
      (event.type === 'conversation_updated' || event.type === 'escalation') &&
      event.conversation.id === id
    ) {
      setConversation(event.conversation);
    } else if (event.type === 'typing' && event.conversation_id === id && event.sender === 'visitor') {
      setTyping({ who: 'Visitor' });
      if (typingTimer.current) clearTimeout(typingTimer.current);
      typingTimer.current = setTimeout(() => setTyping(null), TYPING_SHOWN_MS);
    }
  });
  useEffect(
    () => () => {
      if (typingTimer.current) clearTimeout(typingTimer.current);
    },
    [],
  );

  // Read receipts: tell the server (and our list) whenever a newer message is on screen.
  const latestId = lastServerId(messages);
  const readSent = useRef<{ id: number; msg: number } | null>(null);
  const { send, status } = live;
  useEffect(() => {
    if (latestId === undefined) return;
    const sendRead = () => {
      if (document.hidden) return;
      const prev = readSent.current;
      if (prev && prev.id === id && prev.msg >= latestId) return;
      markRead(id);
      if (send({ type: 'read', conversation_id: id, message_id: latestId })) {
        readSent.current = { id, msg: latestId };
      }
    };
    sendRead();
    document.addEventListener('visibilitychange', sendRead);
    return () => document.removeEventListener('visibilitychange', sendRead);
  }, [id, latestId, send, status, markRead]);

  // A message's options by client id, so a retry sends a note as a note again, with its mentions, and a
  // reply with its attachments.
  const noteOptions = useRef(new Map<string, api.NoteOptions>());
  const deliver = useCallback(
    async (text: string, clientId: string) => {
      try {
        const res = await api.sendMessage(id, text, clientId, noteOptions.current.get(clientId));
        if (res.message) dispatch({ type: 'upsert', message: { ...res.message, client_id: res.message.client_id ?? clientId } });
        else dispatch({ type: 'confirmed', clientId, id: res.message_id });
      } catch (err) {
        dispatch({ type: 'failed', clientId, error: errorMessage(err) });
      }
    },
    [id],
  );

  const sendText = useCallback(
    (
      text: string,
      options: { private: boolean; mentions: number[]; attachments?: Upload[] } = { private: false, mentions: [] },
    ) => {
      const clientId = newClientId();
      const attachments = options.attachments ?? [];
      const attachment_ids = attachments.map((a) => a.id);
      if (options.private) noteOptions.current.set(clientId, { private: true, mentions: options.mentions, attachment_ids });
      else if (attachments.length) noteOptions.current.set(clientId, { attachment_ids });
      localSeq += 1;
      dispatch({
        type: 'pending',
        message: {
          id: -localSeq,
          conversation_id: id,
          channel: conversation?.channel ?? 'webchat',
          sender: 'staff',
          text,
          created_at: new Date().toISOString(),
          client_id: clientId,
          ...(options.private ? { private: true } : {}),
          ...(attachments.length ? { attachments } : {}),
          local: 'sending',
        },
      });
      void deliver(text, clientId);
    },
    [id, conversation?.channel, deliver],
  );

  const retry = useCallback(
    (message: ChatMessage) => {
      if (!message.client_id) return;
      dispatch({ type: 'retrying', clientId: message.client_id });
      void deliver(message.text, message.client_id);
    },
    [deliver],
  );

  const update = useCallback(
    async (patch: Parameters<typeof api.patchConversation>[1]) => {
      const updated = await api.patchConversation(id, patch);
      setConversation(updated);
      applyConversation(updated);
      return updated;
    },
    [id, applyConversation],
  );

  const loadEarlier = useCallback(async () => {
    const first = messagesRef.current.find((m) => !m.local);
    if (!first) return;
    const page = await api.listMessages(id, { before: first.id });
    dispatch({ type: 'merge', messages: page.messages });
    setHasEarlier(page.messages.length >= 100);
  }, [id]);

  const sendTyping = useCallback(() => {
    send({ type: 'typing', conversation_id: id });
  }, [id, send]);

  return {
    conversation: conversation ?? fromList,
    messages,
    loading,
    error,
    typing,
    hasEarlier,
    sendText,
    retry,
    update,
    loadEarlier,
    sendTyping,
  };
}
