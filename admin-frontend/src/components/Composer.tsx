// Reply box: Enter sends, Shift+Enter adds a line; the draft is saved per conversation as you type.
import { forwardRef, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { loadDraft, saveDraft } from '../lib/drafts';

const TYPING_EVERY_MS = 2000;

interface Props {
  conversationId: number;
  disabled?: boolean;
  /** Shown beside the Send button (why it is disabled, or that the conversation is closed). */
  note?: string;
  onSend: (text: string) => void;
  onTyping: () => void;
}

export const Composer = forwardRef<HTMLTextAreaElement, Props>(function Composer(
  { conversationId, disabled, note, onSend, onTyping },
  ref,
) {
  const [text, setText] = useState(() => loadDraft(conversationId));
  const lastTyping = useRef(0);

  useEffect(() => {
    setText(loadDraft(conversationId));
  }, [conversationId]);

  const change = (value: string) => {
    setText(value);
    saveDraft(conversationId, value);
    const now = Date.now();
    if (value && now - lastTyping.current >= TYPING_EVERY_MS) {
      lastTyping.current = now;
      onTyping();
    }
  };

  const submit = () => {
    const trimmed = text.trim();
    if (!trimmed || disabled) return;
    onSend(trimmed);
    setText('');
    saveDraft(conversationId, '');
    lastTyping.current = 0;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor={`reply-${conversationId}`} className="visually-hidden">
        Reply
      </label>
      <textarea
        ref={ref}
        id={`reply-${conversationId}`}
        value={text}
        rows={3}
        placeholder="Type a reply… (Enter to send, Shift+Enter for a new line)"
        onChange={(e) => change(e.target.value)}
        onKeyDown={onKeyDown}
        aria-describedby={note ? `reply-note-${conversationId}` : undefined}
      />
      <div className="composer-actions">
        {note ? (
          <span id={`reply-note-${conversationId}`} className="muted small">
            {note}
          </span>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={disabled || !text.trim()}>
          Send
        </button>
      </div>
    </form>
  );
});
