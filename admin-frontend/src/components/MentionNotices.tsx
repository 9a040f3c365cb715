// A teammate mentioned you in a private note: a notice in the app (and a beep and a browser notification
// when the tab is hidden), until you open the conversation or dismiss it.
import { useState } from 'react';
import { contactName } from '../lib/format';
import { alertIfHidden } from '../lib/notify';
import { navigate } from '../lib/router';
import { useLiveEvent } from '../socket/LiveSocket';
import type { ServerEvent } from '../types';

type Mention = Extract<ServerEvent, { type: 'mention' }>;

export function MentionNotices() {
  const [mentions, setMentions] = useState<Mention[]>([]);

  useLiveEvent((event) => {
    if (event.type !== 'mention') return;
    setMentions((list) => [...list.filter((m) => m.message.id !== event.message.id), event].slice(-5));
    const where = contactName(event.conversation.contact);
    alertIfHidden(`${event.by.name} mentioned you`, `${where}: ${event.message.text}`, () =>
      navigate(`/inbox/${event.conversation.id}`),
    );
  });

  const dismiss = (id: number) => setMentions((list) => list.filter((m) => m.message.id !== id));

  return (
    <div className="mention-notices" role="status" aria-live="polite">
      {mentions.map((m) => (
        <div key={m.message.id} className="mention-notice">
          <p>
            <strong>{m.by.name} mentioned you</strong> in the conversation with {contactName(m.conversation.contact)}:{' '}
            <q>{m.message.text}</q>
          </p>
          <div className="mention-actions">
            <a
              className="btn btn-small"
              href={`#/inbox/${m.conversation.id}`}
              onClick={() => dismiss(m.message.id)}
            >
              Open conversation
            </a>
            <button type="button" className="btn btn-small btn-quiet" onClick={() => dismiss(m.message.id)}>
              Dismiss
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
