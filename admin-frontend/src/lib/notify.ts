// Attention when the tab is hidden: a short WebAudio beep and a browser Notification.
import { useEffect } from 'react';
import { getPreferences } from '../api/email';

let audio: AudioContext | null = null;
let soundOn = true;

/** The member's "sound" preference (Your account page); the beep stays quiet when it is off. */
export function setSoundEnabled(on: boolean): void {
  soundOn = on;
}

/** Load the signed-in member's sound preference once. */
export function useSoundPreference(): void {
  useEffect(() => {
    getPreferences()
      .then((p) => setSoundEnabled(p.sound))
      .catch(() => undefined); // keep the default (on)
  }, []);
}

export function beep(): void {
  if (!soundOn) return;
  const Ctor =
    window.AudioContext ??
    (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctor) return;
  try {
    audio ??= new Ctor();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'sine';
    osc.frequency.value = 880;
    const t = audio.currentTime;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + 0.3);
  } catch {
    /* audio blocked until a user gesture: the notification still shows */
  }
}

export function notificationsSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

export function notificationPermission(): NotificationPermission | 'unsupported' {
  return notificationsSupported() ? Notification.permission : 'unsupported';
}

/** Must be called from a user gesture (a click), as browsers require. */
export async function requestNotificationPermission(): Promise<NotificationPermission | 'unsupported'> {
  if (!notificationsSupported()) return 'unsupported';
  return Notification.requestPermission();
}

export function showNotification(title: string, body: string, onClick?: () => void): void {
  if (!notificationsSupported() || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(title, { body, tag: 'handoff' });
    n.onclick = () => {
      window.focus();
      onClick?.();
      n.close();
    };
  } catch {
    /* some mobile browsers only allow notifications from a service worker */
  }
}

/** Beep and notify, but only when nobody is looking at the tab. */
export function alertIfHidden(title: string, body: string, onClick?: () => void): void {
  if (!document.hidden) return;
  beep();
  showNotification(title, body, onClick);
}
