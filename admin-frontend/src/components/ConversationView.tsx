// One conversation: header actions, transcript, reply box and the side panel.
import { useRef, useState } from 'react';
import { errorMessage } from '../api/client';
import { contactName } from '../lib/format';
import { useShortcuts } from '../lib/shortcuts';
import { useConversation } from '../state/useConversation';
import { CsatRating } from './CsatRating';
import { AssignControl } from './AssignControl';
import { ChannelBadge, EscalatedBadge } from './Badges';
import { Composer } from './Composer';
import { ContactPanel } from './ContactPanel';
import { SnoozeControl } from './SnoozeControl';
import { EmailTranscript } from './EmailTranscript';
import { TagsEditor } from './TagsEditor';
import { Transcript } from './Transcript';

const STATUS_LABEL = { open: 'Open', snoozed: 'Snoozed', closed: 'Closed' } as const;

interface Props {
  id: number;
  onBack: () => void;
}

export function ConversationView({ id, onBack }: Props) {
  const convo = useConversation(id);
  const { conversation } = convo;
  const [actionError, setActionError] = useState<string | null>(null);
  const replyRef = useRef<HTMLTextAreaElement>(null);

  const act = async (fn: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await fn();
    } catch (err) {
      setActionError(errorMessage(err));
    }
  };

  const toggleStatus = () =>
    conversation &&
    void act(() => convo.update({ status: conversation.status === 'closed' ? 'open' : 'closed' }));

  useShortcuts({
    r: () => replyRef.current?.focus(),
    e: toggleStatus,
  });

  if (!conversation) {
    return (
      <section className="conversation">
        {convo.error ? (
          <p className="error" role="alert">
            {convo.error}
          </p>
        ) : (
          <p className="muted pad">Loading…</p>
        )}
      </section>
    );
  }

  const optedOut = conversation.channel === 'sms' && conversation.contact?.opted_out;
  const closed = conversation.status === 'closed';

  return (
    <section className="conversation" aria-label={`Conversation with ${contactName(conversation.contact)}`}>
      <header className="convo-header">
        <button type="button" className="btn btn-quiet back" onClick={onBack} aria-label="Back to list">
          ←
        </button>
        <div className="convo-title">
          <h2>{contactName(conversation.contact)}</h2>
          <div className="convo-badges">
            <ChannelBadge channel={conversation.channel} />
            {conversation.escalated ? <EscalatedBadge /> : null}
            <span className={`badge badge-${conversation.status}`}>{STATUS_LABEL[conversation.status]}</span>
          </div>
        </div>
        <div className="convo-actions">
          <AssignControl
            conversation={conversation}
            onAssign={(assigneeId) => act(() => convo.update({ assignee_id: assigneeId }))}
          />
          <SnoozeControl conversation={conversation} onUpdate={(patch) => act(() => convo.update(patch))} />
          <EmailTranscript conversationId={conversation.id} contactEmail={conversation.contact?.email} />
          <button type="button" className="btn" onClick={toggleStatus}>
            {closed ? 'Reopen' : 'Close'}
          </button>
        </div>
      </header>
      {actionError ? (
        <p className="error" role="alert">
          {actionError}
        </p>
      ) : null}
      {closed ? <CsatRating conversationId={conversation.id} refresh={conversation.last_message_at} /> : null}
      <div className="convo-body">
        <div className="convo-main">
          {convo.hasEarlier ? (
            <button type="button" className="btn btn-quiet load-earlier" onClick={() => void convo.loadEarlier()}>
              Load earlier messages
            </button>
          ) : null}
          {convo.error ? (
            <p className="error" role="alert">
              {convo.error}
            </p>
          ) : null}
          <Transcript
            messages={convo.messages}
            visitorReadId={conversation.visitor_read_message_id}
            onRetry={convo.retry}
            typing={convo.typing?.who ?? null}
          />
          <Composer
            ref={replyRef}
            conversationId={id}
            onSend={convo.sendText}
            onTyping={convo.sendTyping}
            canAttach={conversation.channel === 'webchat'}
            disabled={!!optedOut}
            note={
              optedOut
                ? 'This contact replied STOP: SMS cannot be sent until they reply START.'
                : closed
                  ? 'This conversation is closed.'
                  : undefined
            }
          />
        </div>
        <aside className="convo-side">
          <ContactPanel conversation={conversation} />
          <section className="panel" aria-label="Tags">
            <h3>Tags</h3>
            <TagsEditor tags={conversation.tags ?? []} onChange={(tags) => act(() => convo.update({ tags }))} />
          </section>
        </aside>
      </div>
    </section>
  );
}
