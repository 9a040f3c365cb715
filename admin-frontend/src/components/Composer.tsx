// Reply box: Enter sends, Shift+Enter adds a line; the draft is saved per conversation as you type.
// `/` opens the saved replies (Enter inserts one, filled in for this conversation); the Note toggle writes a
// private note instead of a reply, where `@` completes teammates to mention. Files (the Attach button, drag and
// drop, or paste) upload at once with progress and go with the reply or the note (PendingFiles.tsx).
import { forwardRef, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { replaceToken, mentionedIds, tokenAt, type Token } from '../lib/composerTokens';
import { loadDraft, saveDraft } from '../lib/drafts';
import type { CannedResponse, Teammate, Upload } from '../types';
import { ACCEPTED, PendingFiles, usePendingFiles } from './PendingFiles';
import { optionId, Suggestions, type Suggestion } from './Suggestions';

const TYPING_EVERY_MS = 2000;
const SHOWN = 8;

export interface SendOptions {
  private: boolean;
  mentions: number[];
  /** Files uploaded for this reply or note. */
  attachments?: Upload[];
}

interface Props {
  conversationId: number;
  /** Replies cannot be sent (a note still can). */
  disabled?: boolean;
  /** Shown beside the Send button (why it is disabled, or that the conversation is closed). */
  note?: string;
  onSend: (text: string, options: SendOptions) => void;
  onTyping: () => void;
  /** Files can be attached (every channel: MMS on SMS, attachments on Messenger). */
  canAttach?: boolean;
}

function replyItems(replies: CannedResponse[], query: string): Suggestion[] {
  const q = query.toLowerCase();
  return replies
    .filter((r) => r.shortcut.startsWith(q) || (r.title ?? '').toLowerCase().includes(q))
    .slice(0, SHOWN)
    .map((r) => ({ key: String(r.id), label: `/${r.shortcut}`, detail: r.title ?? r.text.slice(0, 60) }));
}

function teamItems(team: Teammate[], query: string): Suggestion[] {
  const q = query.toLowerCase();
  return team
    .filter((m) => m.name.toLowerCase().split(/\s+/).some((word) => word.startsWith(q)))
    .slice(0, SHOWN)
    .map((m) => ({ key: String(m.id), label: m.name, detail: m.online ? 'online' : undefined }));
}

export const Composer = forwardRef<HTMLTextAreaElement | null, Props>(function Composer(
  { conversationId, disabled, note, onSend, onTyping, canAttach = true },
  ref,
) {
  const [text, setText] = useState(() => loadDraft(conversationId));
  const [caret, setCaret] = useState(0);
  const [noteMode, setNoteMode] = useState(false);
  const [replies, setReplies] = useState<CannedResponse[] | null>(null);
  const [team, setTeam] = useState<Teammate[] | null>(null);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const pending = usePendingFiles(setProblem);
  const { clear: clearFiles } = pending;
  const named = useRef(new Map<number, string>());
  const lastTyping = useRef(0);
  const box = useRef<HTMLTextAreaElement>(null);
  useImperativeHandle(ref, () => box.current as HTMLTextAreaElement);

  useEffect(() => {
    setText(loadDraft(conversationId));
    named.current = new Map();
    setProblem(null);
    clearFiles();
  }, [conversationId, clearFiles]);

  const found = tokenAt(text, caret);
  const token: Token | null =
    found && found.start !== dismissed && (found.kind === '/' || noteMode) ? found : null;
  const items = !token ? [] : token.kind === '/' ? replyItems(replies ?? [], token.query) : teamItems(team ?? [], token.query);
  const listId = `suggest-${conversationId}`;
  const loadingList = token?.kind === '/' ? replies === null : token?.kind === '@' ? team === null : false;

  // Fetched the first time they are wanted, then filtered here as the user types.
  useEffect(() => {
    if (token?.kind === '/' && replies === null) {
      api
        .listCannedResponses()
        .then((page) => setReplies(page.canned_responses))
        .catch((err: unknown) => {
          setReplies([]);
          setProblem(errorMessage(err));
        });
    } else if (token?.kind === '@' && team === null) {
      api
        .listTeam()
        .then(setTeam)
        .catch((err: unknown) => {
          setTeam([]);
          setProblem(errorMessage(err));
        });
    }
  }, [token?.kind, replies, team]);

  useEffect(() => setActive(0), [token?.kind, token?.query]);

  const setAt = (value: string, at: number) => {
    setText(value);
    setCaret(at);
    saveDraft(conversationId, value);
  };

  const change = (value: string, at: number) => {
    setAt(value, at);
    setProblem(null);
    const now = Date.now();
    // A note is the team talking among itself: the customer is not told that anyone is typing.
    if (value && !noteMode && now - lastTyping.current >= TYPING_EVERY_MS) {
      lastTyping.current = now;
      onTyping();
    }
  };

  // Put the caret after an inserted reply or mention as soon as React has written the new text, before the
  // next keystroke can land (a frame later, a fast typist's next letter would go in at the old position).
  const pendingCaret = useRef<number | null>(null);
  useLayoutEffect(() => {
    const at = pendingCaret.current;
    if (at === null) return;
    pendingCaret.current = null;
    box.current?.focus();
    box.current?.setSelectionRange(at, at);
  });
  const placeCaret = (at: number) => {
    pendingCaret.current = at;
  };

  const choose = async (index: number) => {
    if (!token) return;
    if (token.kind === '@') {
      const member = (team ?? []).find((m) => String(m.id) === items[index]?.key);
      if (!member) return;
      named.current.set(member.id, member.name);
      const next = replaceToken(text, token, `@${member.name} `);
      setAt(next.text, next.caret);
      placeCaret(next.caret);
      return;
    }
    const reply = (replies ?? []).find((r) => String(r.id) === items[index]?.key);
    if (!reply) return;
    try {
      const rendered = await api.renderCannedResponse(reply.id, conversationId);
      const next = replaceToken(text, token, rendered.text);
      setAt(next.text, next.caret);
      placeCaret(next.caret);
    } catch (err) {
      setProblem(errorMessage(err));
    }
  };

  // Each file uploads as soon as it is picked, dropped or pasted; the message carries the uploads' ids.
  const attach = (files: File[]) => {
    if (!canAttach || !files.length) return;
    setProblem(null);
    pending.add(files);
  };

  const withFiles = pending.uploads.length > 0;
  const uploading = pending.busy;
  const submit = () => {
    const trimmed = text.trim();
    if ((!trimmed && !withFiles) || uploading || (disabled && !noteMode)) return;
    onSend(trimmed, {
      private: noteMode,
      mentions: noteMode ? mentionedIds(trimmed, named.current) : [],
      ...(withFiles ? { attachments: pending.uploads } : {}),
    });
    if (pending.files.length) clearFiles();
    setAt('', 0);
    named.current = new Map();
    lastTyping.current = 0;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (token && !e.nativeEvent.isComposing) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        if (items.length) setActive((i) => (i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        setDismissed(token.start);
        return;
      }
      if (e.key === 'Enter' && items.length) {
        e.preventDefault();
        void choose(active);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  const hintId = `reply-note-${conversationId}`;
  const modeId = `note-mode-${conversationId}`;
  const helpId = `reply-help-${conversationId}`;
  const shownNote = noteMode ? undefined : note;
  const describedBy = [noteMode ? modeId : null, shownNote ? hintId : null, helpId].filter(Boolean).join(' ');
  const open = token !== null && !loadingList;

  return (
    <form
      className={`composer${noteMode ? ' composer-note' : ''}${dragging ? ' composer-drop' : ''}`}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onDragOver={(e) => {
        if (!canAttach || !e.dataTransfer.types.includes('Files')) return;
        e.preventDefault(); // lets the drop happen here rather than the browser opening the file
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        if (!canAttach) return;
        e.preventDefault();
        setDragging(false);
        attach(Array.from(e.dataTransfer.files));
      }}
    >
      <label htmlFor={`reply-${conversationId}`} className="visually-hidden">
        {noteMode ? 'Private note' : 'Reply'}
      </label>
      {noteMode ? (
        <p id={modeId} className="note-banner">
          Private note: only your team sees this. Type @ to mention a teammate.
        </p>
      ) : null}
      {open ? (
        <Suggestions
          id={listId}
          label={token.kind === '/' ? 'Saved replies' : 'Team members'}
          items={items}
          active={active}
          empty={token.kind === '/' ? 'No saved reply matches.' : 'No teammate matches.'}
          onChoose={(i) => void choose(i)}
        />
      ) : null}
      <textarea
        ref={box}
        id={`reply-${conversationId}`}
        value={text}
        rows={3}
        placeholder={
          noteMode
            ? 'Write a private note… (@ mentions a teammate)'
            : 'Type a reply… (Enter to send, Shift+Enter for a new line, / for saved replies)'
        }
        onChange={(e) => change(e.target.value, e.target.selectionStart)}
        onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
        onKeyDown={onKeyDown}
        onPaste={(e) => {
          const files = Array.from(e.clipboardData.files);
          if (!files.length || !canAttach) return;
          e.preventDefault(); // a pasted screenshot becomes a file, not text
          attach(files);
        }}
        aria-describedby={describedBy}
        aria-controls={open && items.length ? listId : undefined}
        aria-activedescendant={open && items.length ? optionId(listId, active) : undefined}
      />
      <span id={helpId} className="visually-hidden">
        Type / for saved replies; arrow keys choose, Enter inserts, Escape closes the list.
      </span>
      {problem ? (
        <p className="error small" role="alert">
          {problem}
        </p>
      ) : null}
      <PendingFiles files={pending.files} onRemove={pending.remove} />
      <div className="composer-actions">
        {!canAttach ? null : (
          <label className="btn btn-small attach-button">
            {uploading ? 'Uploading…' : 'Attach'}
            <input
              type="file"
              className="visually-hidden"
              aria-label="Attach a file"
              accept={ACCEPTED}
              multiple
              disabled={disabled && !noteMode}
              onChange={(e) => {
                const files = Array.from(e.currentTarget.files ?? []);
                e.currentTarget.value = ''; // the same file can be chosen again
                attach(files);
              }}
            />
          </label>
        )}
        <button
          type="button"
          className={`btn btn-small note-toggle${noteMode ? ' on' : ''}`}
          aria-pressed={noteMode}
          onClick={() => {
            setNoteMode(!noteMode);
            box.current?.focus();
          }}
        >
          Note
        </button>
        {shownNote ? (
          <span id={hintId} className="muted small">
            {shownNote}
          </span>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={(disabled && !noteMode) || uploading || (!text.trim() && !withFiles)}
        >
          {noteMode ? 'Add note' : 'Send'}
        </button>
      </div>
    </form>
  );
});
