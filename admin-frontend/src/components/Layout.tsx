// App shell: navigation (admin-only entries hidden for staff), connection state, alerts toggle, sign out.
import { useCallback, useState, type ReactNode } from 'react';
import { useAuth } from '../auth/AuthContext';
import { notificationPermission, requestNotificationPermission, useSoundPreference } from '../lib/notify';
import { useShortcuts } from '../lib/shortcuts';
import { useInbox } from '../state/InboxContext';
import { totalUnread } from '../state/inboxReducer';
import { AvailabilitySwitch } from './AvailabilitySwitch';
import { ConnectionIndicator } from './ConnectionIndicator';
import { HelpDialog } from './HelpDialog';
import { MentionNotices } from './MentionNotices';

interface NavItem {
  path: string;
  label: string;
  adminOnly?: boolean;
}

export const NAV: NavItem[] = [
  { path: '/inbox', label: 'Inbox' },
  { path: '/followups', label: 'Follow-ups' },
  { path: '/contacts', label: 'Contacts' },
  { path: '/history', label: 'History' },
  { path: '/analytics', label: 'Analytics' },
  { path: '/team', label: 'Team', adminOnly: true },
  { path: '/settings', label: 'Settings', adminOnly: true },
  { path: '/audit', label: 'Audit log', adminOnly: true },
];

function NotificationToggle() {
  const [permission, setPermission] = useState(notificationPermission);
  if (permission !== 'default') return null;
  return (
    <button
      type="button"
      className="btn btn-small btn-quiet"
      onClick={() => void requestNotificationPermission().then(setPermission)}
    >
      Enable notifications
    </button>
  );
}

export function Layout({ section, children }: { section: string; children: ReactNode }) {
  const { user, isAdmin, signOut } = useAuth();
  const { state } = useInbox();
  const [help, setHelp] = useState(false);
  const closeHelp = useCallback(() => setHelp(false), []);
  useShortcuts({ '?': () => setHelp(true) });
  const unread = totalUnread(state);
  useSoundPreference();

  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/inbox">
          <span className="brand-mark" aria-hidden="true">
            H
          </span>
          Handoff
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => !item.adminOnly || isAdmin).map((item) => (
              <li key={item.path}>
                <a
                  href={`#${item.path}`}
                  className={section === item.path.slice(1) ? 'active' : undefined}
                  aria-current={section === item.path.slice(1) ? 'page' : undefined}
                >
                  {item.label}
                  {item.path === '/inbox' && unread > 0 ? (
                    <span className="nav-count" aria-label={`${unread} unread`}>
                      {unread}
                    </span>
                  ) : null}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-right">
          <ConnectionIndicator />
          <AvailabilitySwitch />
          <NotificationToggle />
          <button type="button" className="btn btn-small btn-quiet" onClick={() => setHelp(true)} aria-label="Keyboard shortcuts">
            ?
          </button>
          <a className="me" href="#/account" title={`${user?.email ?? ''}: your account (alerts, push, two-factor sign-in)`}>
            {user?.name}
          </a>
          <button type="button" className="btn btn-small" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <MentionNotices />
      <main className="content">{children}</main>
      {help ? <HelpDialog onClose={closeHelp} /> : null}
    </div>
  );
}
