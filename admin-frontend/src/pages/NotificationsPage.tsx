// Every staff member's own notification settings for this browser.
import { PushSettings } from '../components/PushSettings';

export function NotificationsPage() {
  return (
    <div className="page">
      <h1>Notifications</h1>
      <PushSettings />
    </div>
  );
}
