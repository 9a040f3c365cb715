// Every staff member's own notifications: which alerts reach them when they are not signed in (email, push,
// sound), and push on this browser.
import { NotificationPrefs } from '../components/NotificationPrefs';
import { PushSettings } from '../components/PushSettings';

export function NotificationsPage() {
  return (
    <div className="page">
      <h1>Notifications</h1>
      <NotificationPrefs />
      <PushSettings />
    </div>
  );
}
