// Inbox: the live list beside the open conversation (stacked on narrow screens).
import { ConversationFilters } from '../components/ConversationFilters';
import { ConversationList } from '../components/ConversationList';
import { ConversationView } from '../components/ConversationView';
import { inboxPath } from '../lib/inboxUrl';
import { navigate } from '../lib/router';
import { useShortcuts } from '../lib/shortcuts';
import { useInbox } from '../state/InboxContext';

export function InboxPage({ openId }: { openId: number | null }) {
  const { state } = useInbox();

  const step = (delta: number) => {
    const items = state.items;
    if (items.length === 0) return;
    const index = items.findIndex((c) => c.id === openId);
    const next = index === -1 ? (delta > 0 ? 0 : items.length - 1) : index + delta;
    const target = items[Math.max(0, Math.min(items.length - 1, next))];
    if (target && target.id !== openId) navigate(inboxPath(target.id));
  };

  useShortcuts({
    j: () => step(1),
    k: () => step(-1),
    '/': () => document.getElementById('inbox-search')?.focus(),
  });

  return (
    <div className={`inbox${openId ? ' has-open' : ''}`}>
      <section className="inbox-list" aria-labelledby="inbox-title">
        {/* The page's one h1; the list and the open conversation (its h2) say visually where we are. */}
        <h1 id="inbox-title" className="visually-hidden">
          Inbox
        </h1>
        <ConversationFilters />
        <ConversationList />
      </section>
      <div className="inbox-detail">
        {openId ? (
          <ConversationView key={openId} id={openId} onBack={() => navigate(inboxPath())} />
        ) : (
          <div className="placeholder">
            <p>Select a conversation.</p>
            <p className="muted small">
              Press <kbd>j</kbd>/<kbd>k</kbd> to move through the list, <kbd>?</kbd> for all shortcuts.
            </p>
          </div>
        )}
      </div>
    </div>
  );
}
