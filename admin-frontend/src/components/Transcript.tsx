// The message log. All user text is rendered as React text; links are split into nodes, never HTML.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { formatDateTime, formatTime } from '../lib/format';
import { isSafeHttpUrl, linkify } from '../lib/linkify';
import type { ChatMessage } from '../state/messagesReducer';
import type { Message } from '../types';
import { shownStatus, StatusBadge } from './Badges';
import { ImageDialog } from './ImageDialog';

interface Props {
  messages: ChatMessage[];
  visitorReadId?: number | null;
  onRetry?: (message: ChatMessage) => void;
  typing?: string | null;
  label?: string;
}

// Our uploads come as same-origin signed links (`/files/...`); platform media (MMS, Messenger) as http(s).
function usableUrl(url: string): boolean {
  return /^\/files\/\d+\//.test(url) || isSafeHttpUrl(url);
}

function Attachments({ message }: { message: Message }) {
  const [enlarged, setEnlarged] = useState<{ src: string; name: string } | null>(null);
  if (!message.attachments?.length) return null;
  return (
    <>
    <ul className="attachments">
      {message.attachments.map((a, i) => {
        if (!usableUrl(a.url)) return null;
        const name = a.name ?? `Attachment ${i + 1}`;
        // Only our own images are shown in place: the server sniffed them; a platform's link stays a link.
        const inline = a.content_type?.startsWith('image/') && a.url.startsWith('/files/');
        return (
          <li key={a.id ?? i}>
            {inline ? (
              <button
                type="button"
                className="attachment-image"
                aria-label={`Enlarge ${name}`}
                onClick={() => setEnlarged({ src: a.url, name })}
              >
                <img src={a.url} alt="" loading="lazy" />
              </button>
            ) : (
              <a href={a.url} target="_blank" rel="noopener noreferrer" download={a.name ?? undefined}>
                {a.name ?? `${a.content_type?.startsWith('image/') ? 'Image' : 'Attachment'} ${i + 1}`}
              </a>
            )}
          </li>
        );
      })}
    </ul>
    {enlarged ? <ImageDialog src={enlarged.src} name={enlarged.name} onClose={() => setEnlarged(null)} /> : null}
    </>
  );
}

function MessageItem({
  message,
  visitorReadId,
  onRetry,
}: {
  message: ChatMessage;
  visitorReadId?: number | null;
  onRetry?: (m: ChatMessage) => void;
}) {
  const status = shownStatus(message, visitorReadId);
  const who =
    message.sender === 'visitor' ? 'Visitor' : message.sender === 'system' ? 'System' : (message.author?.name ?? 'Staff');
  const note = message.private ? ' msg-note' : '';
  return (
    <li className={`msg msg-${message.sender}${note}${message.local ? ` msg-${message.local}` : ''}`} data-testid="message">
      <div className="msg-head">
        <span className="msg-author">{who}</span>
        {message.private ? (
          <span className="note-tag">
            Private note<span className="visually-hidden">, only your team sees this</span>
          </span>
        ) : null}
        <time dateTime={message.created_at} title={formatDateTime(message.created_at)}>
          {formatTime(message.created_at)}
        </time>
      </div>
      {message.text ? <div className="msg-body">{linkify(message.text)}</div> : null}
      <Attachments message={message} />
      {status ? (
        <div className="msg-status">
          <StatusBadge status={status} error={message.localError ?? message.error} />
          {message.local === 'failed' && onRetry ? (
            <button type="button" className="btn btn-link" onClick={() => onRetry(message)}>
              Retry
            </button>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

export function Transcript({ messages, visitorReadId, onRetry, typing, label = 'Conversation transcript' }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onScroll = () => {
      stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    };
    el.addEventListener('scroll', onScroll);
    return () => el.removeEventListener('scroll', onScroll);
  }, []);

  // Follow new messages, unless the user scrolled up to read history.
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [messages.length, typing]);

  return (
    <div className="transcript-wrap">
      {/* The log is the scrolling box around the list (a role on the <ol> itself would hide its items' list
          semantics); it is focusable so the keyboard can scroll it. */}
      <div className="transcript" role="log" aria-live="polite" aria-label={label} tabIndex={0} ref={ref}>
        <ol className="transcript-list">
          {messages.map((m) => (
            <MessageItem key={m.client_id ?? `id-${m.id}`} message={m} visitorReadId={visitorReadId} onRetry={onRetry} />
          ))}
        </ol>
      </div>
      <div className="typing" aria-live="polite">
        {typing ? `${typing} is typing…` : ''}
      </div>
    </div>
  );
}
