/* Telling a visitor who is not looking that staff answered: one beep per message and a flashing tab title.
 * (The unread badge is drawn by views.js.) */
import { get, put } from './storage.js';

export function createNotifier(w) {
  let audio = null, flashTimer = 0, savedTitle = '';

  function notify(id) {
    if (w.isOpen && !document.hidden) return;
    // one beep per message, across tabs and reloads
    if ((+get(w.NS + ':beep') || 0) < id) { put(w.NS + ':beep', String(id)); beep(); }
    if (document.hidden || !document.hasFocus()) startFlash();
  }

  function unlockAudio() {
    // an AudioContext may only start after a user gesture
    const AC = window.AudioContext || window.webkitAudioContext;
    try { audio = audio || (AC && new AC()); if (audio.state === 'suspended') audio.resume(); } catch (e) { /* no audio */ }
  }

  function beep() {
    try {
      const o = audio.createOscillator(), g = audio.createGain(), t0 = audio.currentTime;
      o.frequency.setValueAtTime(880, t0);
      o.frequency.setValueAtTime(1320, t0 + 0.09);
      g.gain.setValueAtTime(0.0001, t0);
      g.gain.exponentialRampToValueAtTime(0.12, t0 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.28);
      o.connect(g).connect(audio.destination);
      o.start(t0); o.stop(t0 + 0.3);
    } catch (e) { /* no audio yet: the visitor has not interacted with the widget */ }
  }

  function startFlash() {
    if (flashTimer) return;
    savedTitle = document.title;
    let on = false;
    flashTimer = setInterval(() => { document.title = (on = !on) ? '💬 ' + w.t('newMsg') : savedTitle; }, 1000);
  }

  function stopFlash() {
    if (!flashTimer) return;
    clearInterval(flashTimer);
    flashTimer = 0;
    document.title = savedTitle;
  }

  return {
    notify, unlockAudio, stopFlash,
    close() { stopFlash(); if (audio) audio.close(); },
  };
}
