import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { PushSettings } from '../src/components/PushSettings';
import { keyBytes } from '../src/lib/push';
import { json, mockApi, signIn } from './helpers';

const KEY = 'BOI-MIADsJ_97Fra72M7xWY6LJiIwWCg-O8w3vd4bWhY89cYdfj21eHQA2OsqfFCJRkkUMaYQIfFS_Xs3JSVC0Y';

class FakeSubscription {
  unsubscribed = false;
  options: { applicationServerKey: ArrayBuffer };
  constructor(
    readonly endpoint: string,
    key: Uint8Array,
  ) {
    this.options = { applicationServerKey: key.slice().buffer };
  }
  toJSON() {
    return { endpoint: this.endpoint, expirationTime: null, keys: { p256dh: 'BPp256', auth: 'YXV0aA' } };
  }
  async unsubscribe() {
    this.unsubscribed = true;
    return true;
  }
}

/** A browser with a service worker container, a push manager and a Notification permission. */
function fakeBrowser(permission: NotificationPermission, answer: NotificationPermission = 'granted') {
  let subscription: FakeSubscription | null = null;
  const pushManager = {
    getSubscription: vi.fn(async () => subscription),
    subscribe: vi.fn(async (opts: { applicationServerKey: Uint8Array; userVisibleOnly: boolean }) => {
      subscription = new FakeSubscription('https://push.example/abc', opts.applicationServerKey);
      return subscription;
    }),
  };
  const registration = { pushManager };
  const register = vi.fn(async () => registration);
  class FakeNotification {
    static permission = permission;
    static requestPermission = vi.fn(async () => {
      FakeNotification.permission = answer;
      return answer;
    });
  }
  vi.stubGlobal('Notification', FakeNotification);
  vi.stubGlobal('PushManager', class {});
  Object.defineProperty(navigator, 'serviceWorker', {
    configurable: true,
    value: {
      register,
      ready: Promise.resolve(registration),
      getRegistration: vi.fn(async () => (register.mock.calls.length ? registration : undefined)),
    },
  });
  return { pushManager, register, FakeNotification, current: () => subscription };
}

describe('push settings', () => {
  it('explains, asks the browser only on the click, subscribes with the server key and tells the server', async () => {
    signIn({ role: 'staff' });
    const browser = fakeBrowser('default');
    const api = mockApi({
      'GET /api/v1/push/key': { public_key: KEY },
      'POST /api/v1/push/subscriptions': { id: 1, endpoint: 'https://push.example/abc', created_at: 'x', last_success_at: null },
      'DELETE /api/v1/push/subscriptions': json(undefined, 204),
    });
    render(<PushSettings />);
    expect(await screen.findByRole('status')).toHaveTextContent('Push notifications are off for this browser.');
    expect(screen.getByText(/your browser asks for permission/)).toBeInTheDocument();
    expect(browser.FakeNotification.requestPermission).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('button', { name: 'Turn on push notifications' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Push notifications are on for this browser.'));
    expect(browser.FakeNotification.requestPermission).toHaveBeenCalledTimes(1);
    expect(browser.register).toHaveBeenCalledWith('/admin-app/sw.js', { scope: '/admin-app/' });
    const [options] = browser.pushManager.subscribe.mock.calls[0]!;
    expect(options.userVisibleOnly).toBe(true);
    expect(Array.from(options.applicationServerKey)).toEqual(Array.from(keyBytes(KEY)));
    expect(api.find('POST', '/api/v1/push/subscriptions')[0]?.body).toEqual({
      endpoint: 'https://push.example/abc',
      keys: { p256dh: 'BPp256', auth: 'YXV0aA' },
    });

    await userEvent.click(screen.getByRole('button', { name: 'Turn off push notifications' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('off for this browser'));
    expect(browser.current()?.unsubscribed).toBe(true);
    expect(api.find('DELETE', '/api/v1/push/subscriptions')[0]?.body).toEqual({ endpoint: 'https://push.example/abc' });
  });

  it('says how to unblock when notifications are blocked, and offers nothing it cannot do', async () => {
    signIn({ role: 'staff' });
    fakeBrowser('denied');
    mockApi({});
    render(<PushSettings />);
    expect(await screen.findByRole('status')).toHaveTextContent(/blocked for this site.*browser’s settings/);
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('stays off when the permission prompt is dismissed', async () => {
    signIn({ role: 'staff' });
    const browser = fakeBrowser('default', 'default');
    const api = mockApi({});
    render(<PushSettings />);
    await userEvent.click(await screen.findByRole('button', { name: 'Turn on push notifications' }));
    await waitFor(() => expect(browser.FakeNotification.requestPermission).toHaveBeenCalled());
    expect(screen.getByRole('status')).toHaveTextContent('off for this browser');
    expect(browser.pushManager.subscribe).not.toHaveBeenCalled();
    expect(api.calls).toHaveLength(0);
  });
});
