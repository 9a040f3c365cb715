// Your account (every member, admin or not): which alerts reach you when you are not signed in (email, push,
// sound), push on this browser, and two-factor sign-in. Reached by your name in the top bar.
import { NotificationPrefs } from '../components/NotificationPrefs';
import { PushSettings } from '../components/PushSettings';
import { TwoFactorAccount } from '../components/TwoFactorAccount';

export function AccountPage() {
  return (
    <div className="page">
      <h1>Your account</h1>
      <NotificationPrefs />
      <PushSettings />
      <TwoFactorAccount />
    </div>
  );
}
