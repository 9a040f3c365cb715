import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../src/App';
import { conversation, FakeWebSocket, message, mockApi, signIn } from './helpers';

function setHidden(hidden: boolean) {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
}

afterEach(() => setHidden(false));

describe('notifications', () => {
  it('beeps and shows a browser notification for a new message while the tab is hidden', async () => {
    const shown: Array<{ title: string; body?: string }> = [];
    class FakeNotification {
      static permission = 'granted';
      static requestPermission = vi.fn(async () => 'granted');
      onclick: (() => void) | null = null;
      constructor(title: string, opts?: { body?: string }) {
        shown.push({ title, body: opts?.body });
      }
      close() {}
    }
    const started = vi.fn();
    class FakeAudioContext {
      currentTime = 0;
      destination = {};
      createOscillator() {
        return { type: '', frequency: { value: 0 }, connect: (n: unknown) => n, start: started, stop: () => {} };
      }
      createGain() {
        return {
          gain: { setValueAtTime: () => {}, exponentialRampToValueAtTime: () => {} },
          connect: (n: unknown) => n,
        };
      }
    }
    vi.stubGlobal('Notification', FakeNotification);
    vi.stubGlobal('AudioContext', FakeAudioContext);

    FakeWebSocket.instances = [];
    const me = signIn({ role: 'staff' });
    mockApi({
      'GET /api/v1/auth/me': me,
      'GET /admin/api/convos': { conversations: [conversation({ id: 1 })], next_before: null },
    });
    render(<App WebSocketImpl={FakeWebSocket} />);
    await screen.findByRole('link', { name: /Contact 1/ });
    act(() => FakeWebSocket.last.open());

    // Visible tab: no sound, no notification.
    const first = message({ id: 101, conversation_id: 1, text: 'while you look' });
    act(() => FakeWebSocket.last.receive({ type: 'message', message: first, conversation: conversation({ id: 1, last_message: first, unread_count: 1 }) }));
    expect(shown).toHaveLength(0);

    setHidden(true);
    const second = message({ id: 102, conversation_id: 1, text: 'are you there?' });
    act(() => FakeWebSocket.last.receive({ type: 'message', message: second, conversation: conversation({ id: 1, last_message: second, unread_count: 2 }) }));
    expect(shown).toEqual([{ title: 'Contact 1', body: 'are you there?' }]);
    expect(started).toHaveBeenCalledTimes(1);
    expect(document.title).toBe('(2) Handoff');
  });
});
