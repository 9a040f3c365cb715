// Read-only transcript of a history result: a stored conversation or an imported one.
import { useEffect, useState } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { formatDateTime } from '../lib/format';
import { linkify } from '../lib/linkify';
import type { ChatMessage } from '../state/messagesReducer';
import type { ImportedTranscript, Message } from '../types';
import { CsatRating } from './CsatRating';
import { Transcript } from './Transcript';

interface Line {
  who: string;
  text: string;
  at?: string;
}

/** Imported transcripts come from other tools: accept plain text or a list of message-like objects. */
export function importedLines(transcript: unknown): Line[] | string {
  if (typeof transcript === 'string') return transcript;
  const list = Array.isArray(transcript)
    ? transcript
    : transcript && typeof transcript === 'object' && Array.isArray((transcript as { messages?: unknown }).messages)
      ? (transcript as { messages: unknown[] }).messages
      : null;
  if (!list) return JSON.stringify(transcript, null, 2);
  return list.map((item) => {
    if (typeof item === 'string') return { who: '', text: item };
    const o = (item ?? {}) as Record<string, unknown>;
    const str = (...keys: string[]) => {
      for (const k of keys) if (typeof o[k] === 'string') return o[k] as string;
      return '';
    };
    return {
      who: str('sender', 'author', 'from', 'role', 'name'),
      text: str('text', 'body', 'message', 'content'),
      at: str('created_at', 'time', 'timestamp', 'at') || undefined,
    };
  });
}

async function allMessages(id: number): Promise<Message[]> {
  const out: Message[] = [];
  let after: number | undefined;
  // Page through with `after` so very long conversations still load whole (bounded to 50 pages).
  for (let i = 0; i < 50; i += 1) {
    const page = await api.listMessages(id, after === undefined ? { limit: 100 } : { after, limit: 100 });
    out.push(...page.messages);
    if (page.messages.length < 100) break;
    after = page.messages[page.messages.length - 1]!.id;
  }
  return out;
}

export function HistoryTranscript({ kind, id }: { kind: 'conversation' | 'imported'; id: number }) {
  const [messages, setMessages] = useState<ChatMessage[] | null>(null);
  const [imported, setImported] = useState<ImportedTranscript | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    const load =
      kind === 'conversation'
        ? allMessages(id).then((m) => !cancelled && setMessages(m))
        : api.getImported(id).then((t) => !cancelled && setImported(t));
    load.catch((err: unknown) => !cancelled && setError(errorMessage(err)));
    return () => {
      cancelled = true;
    };
  }, [kind, id]);

  if (error) {
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  }
  if (kind === 'conversation') {
    if (!messages) return <p className="muted pad">Loading…</p>;
    return (
      <div className="history-transcript">
        <div className="detail-head">
          <a href={`#/inbox/${id}`}>Open in inbox</a>
          <CsatRating conversationId={id} />
        </div>
        <Transcript messages={messages} label="History transcript" />
      </div>
    );
  }
  if (!imported) return <p className="muted pad">Loading…</p>;
  const lines = importedLines(imported.transcript);
  return (
    <div className="history-transcript">
      <div className="detail-head">
        <strong>{imported.contact_name || 'Visitor'}</strong>
        <span className="muted small">
          {formatDateTime(imported.started_at)}
          {imported.ended_at ? ` – ${formatDateTime(imported.ended_at)}` : ''}
        </span>
      </div>
      {typeof lines === 'string' ? (
        <pre className="imported-text" role="log" aria-label="History transcript" tabIndex={0}>
          {linkify(lines)}
        </pre>
      ) : (
        <div className="transcript" role="log" aria-label="History transcript" tabIndex={0}>
          <ol className="transcript-list">
            {lines.map((line, i) => (
              <li key={i} className="msg">
                <div className="msg-head">
                  <span className="msg-author">{line.who}</span>
                  {line.at ? <time>{formatDateTime(line.at)}</time> : null}
                </div>
                <div className="msg-body">{linkify(line.text)}</div>
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}
