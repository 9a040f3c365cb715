// Your account: notification preferences and two-factor sign-in (every member, admin or not).
import { NotificationPrefs } from '../components/NotificationPrefs';
import { TwoFactorAccount } from '../components/TwoFactorAccount';

export function AccountPage() {
  return (
    <div className="page">
      <h1>Your account</h1>
      <NotificationPrefs />
      <TwoFactorAccount />
    </div>
  );
}
