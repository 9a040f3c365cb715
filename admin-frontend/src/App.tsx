// Providers and routes. Team, Settings and the audit log exist only for admins.
import { lazy, Suspense, type ReactNode } from 'react';
import { AuthProvider, useAuth } from './auth/AuthContext';
import { AuditLogPage } from './pages/AuditLogPage';
import { Layout } from './components/Layout';
import { segments, useRoute } from './lib/router';
import { ContactsPage } from './pages/ContactsPage';
import { FollowupsPage } from './pages/FollowupsPage';
import { HistoryPage } from './pages/HistoryPage';
import { InboxPage } from './pages/InboxPage';
import { LoginPage } from './pages/LoginPage';
import { ResetPasswordPage } from './pages/ResetPasswordPage';
import { AccountPage } from './pages/AccountPage';
import { TeamPage } from './pages/TeamPage';
import { SettingsPage } from './pages/SettingsPage';
import type { WebSocketCtor } from './socket/ReconnectingSocket';
import { LiveSocketProvider } from './socket/LiveSocket';
import { InboxProvider } from './state/InboxContext';

// Charts are the heaviest dependency: load them only when the page is opened.
const AnalyticsPage = lazy(() => import('./pages/AnalyticsPage').then((m) => ({ default: m.AnalyticsPage })));

const ADMIN_ONLY = new Set(['team', 'settings', 'audit']);

function NotAllowed() {
  return (
    <div className="page">
      <h1>Not available</h1>
      <p>This page is for administrators.</p>
      <a href="#/inbox">Back to the inbox</a>
    </div>
  );
}

function Routes() {
  const path = useRoute();
  const { isAdmin } = useAuth();
  const [section = 'inbox', ...rest] = segments(path);

  let page: ReactNode;
  if (ADMIN_ONLY.has(section) && !isAdmin) {
    page = <NotAllowed />;
  } else {
    switch (section) {
      case 'followups':
        page = <FollowupsPage />;
        break;
      case 'contacts': {
        const contactId = rest[0] ? Number(rest[0]) : null;
        page = <ContactsPage openId={contactId && Number.isFinite(contactId) ? contactId : null} />;
        break;
      }
      case 'history':
        page = <HistoryPage kind={rest[0]} id={rest[1] ? Number(rest[1]) : null} />;
        break;
      case 'analytics':
        page = (
          <Suspense
            fallback={
              <div className="page">
                <h1>Analytics</h1>
                <p className="muted">Loading…</p>
              </div>
            }
          >
            <AnalyticsPage />
          </Suspense>
        );
        break;
      case 'account': // the header's own-name link
      case 'notifications': // an older link to the same settings
        page = <AccountPage />;
        break;
      case 'team':
        page = <TeamPage />;
        break;
      case 'settings':
        page = <SettingsPage />;
        break;
      case 'audit':
        page = <AuditLogPage />;
        break;
      default: {
        const id = section === 'inbox' && rest[0] ? Number(rest[0]) : null;
        page = <InboxPage openId={id && Number.isFinite(id) ? id : null} />;
      }
    }
  }
  return <Layout section={section}>{page}</Layout>;
}

function Shell({ WebSocketImpl }: { WebSocketImpl?: WebSocketCtor }) {
  const { user } = useAuth();
  const [section, token] = segments(useRoute());
  if (section === 'reset' && token) return <ResetPasswordPage token={token} />;
  if (!user) return <LoginPage />;
  return (
    <LiveSocketProvider enabled WebSocketImpl={WebSocketImpl}>
      <InboxProvider>
        <Routes />
      </InboxProvider>
    </LiveSocketProvider>
  );
}

export function App({ WebSocketImpl }: { WebSocketImpl?: WebSocketCtor }) {
  return (
    <AuthProvider>
      <Shell WebSocketImpl={WebSocketImpl} />
    </AuthProvider>
  );
}
