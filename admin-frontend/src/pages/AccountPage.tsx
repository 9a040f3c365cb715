// Your account: notification preferences (every member, admin or not).
import { NotificationPrefs } from '../components/NotificationPrefs';

export function AccountPage() {
  return (
    <div className="page">
      <h1>Your account</h1>
      <NotificationPrefs />
    </div>
  );
}
