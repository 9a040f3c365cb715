// Your notification preferences: email alerts when you are not signed in, browser push, and the sound.
import { useEffect, useState } from 'react';
import { errorMessage } from '../api/client';
import * as email from '../api/email';
import { setSoundEnabled } from '../lib/notify';

const CHOICES: { key: keyof email.Preferences; label: string }[] = [
  { key: 'email', label: 'Email me when I am not signed in (assigned, mentioned, escalated, follow-ups)' },
  { key: 'push', label: 'Browser push notifications' },
  { key: 'sound', label: 'Play a sound for new messages' },
];

export function NotificationPrefs() {
  const [prefs, setPrefs] = useState<email.Preferences | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState('');

  useEffect(() => {
    email
      .getPreferences()
      .then(setPrefs)
      .catch((err: unknown) => setError(errorMessage(err)));
  }, []);

  const change = async (key: keyof email.Preferences, on: boolean) => {
    setError(null);
    setNotice('');
    const before = prefs;
    setPrefs((p) => (p ? { ...p, [key]: on } : p)); // the box follows the click; undone if the save fails
    try {
      const saved = await email.setPreferences({ [key]: on });
      setPrefs(saved);
      setSoundEnabled(saved.sound);
      setNotice('Preferences saved.');
    } catch (err) {
      setPrefs(before);
      setError(errorMessage(err));
    }
  };

  return (
    <section className="card" aria-labelledby="prefs-title">
      <h2 id="prefs-title">Notifications</h2>
      {prefs ? (
        <fieldset className="checks">
          <legend className="muted small">Your own preferences</legend>
          {CHOICES.map(({ key, label }) => (
            <label key={key} className="check">
              <input type="checkbox" checked={prefs[key]} onChange={(e) => void change(key, e.target.checked)} />
              {label}
            </label>
          ))}
        </fieldset>
      ) : null}
      {notice ? (
        <p className="success" role="status">
          {notice}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
