// Web Push in this browser: the service worker (/admin-app/sw.js), the browser's push subscription, and the
// server's copy of it (POST/DELETE /api/v1/push/subscriptions). Alerts come through it when no tab is open.
import { apiFetch } from '../api/client';
import type { components } from '../api/schema';

type Schemas = components['schemas'];

export const WORKER_URL = '/admin-app/sw.js';
export const WORKER_SCOPE = '/admin-app/';

export type PushState = 'unsupported' | 'denied' | 'off' | 'on';

export function pushSupported(): boolean {
  return (
    typeof window !== 'undefined' &&
    'serviceWorker' in navigator &&
    'PushManager' in window &&
    'Notification' in window
  );
}

/** The VAPID public key (base64url) as the bytes `pushManager.subscribe` takes. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4);
  const raw = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

export async function registerWorker(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register(WORKER_URL, { scope: WORKER_SCOPE });
  return navigator.serviceWorker.ready;
}

async function existing(): Promise<PushSubscription | null> {
  const registration = await navigator.serviceWorker.getRegistration(WORKER_SCOPE);
  return registration ? registration.pushManager.getSubscription() : null;
}

function saveOnServer(subscription: PushSubscription): Promise<unknown> {
  const json = subscription.toJSON();
  const body: Schemas['NewSubscription'] = {
    endpoint: json.endpoint ?? subscription.endpoint,
    keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' },
  };
  return apiFetch<Schemas['SubscriptionOut']>('/api/v1/push/subscriptions', { method: 'POST', body });
}

/** Where this browser stands. When it is subscribed, the server is told again (it may have dropped the
 * subscription, or someone else may have signed in here since). */
export async function currentState(): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const subscription = Notification.permission === 'granted' ? await existing() : null;
  if (!subscription) return 'off';
  await saveOnServer(subscription);
  return 'on';
}

/** Must run from a click: asks the browser for permission, then subscribes and tells the server. */
export async function enablePush(): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission === 'denied') return 'denied';
  if (permission !== 'granted') return 'off';
  const registration = await registerWorker();
  const { public_key } = await apiFetch<Schemas['PublicKey']>('/api/v1/push/key');
  let subscription = await registration.pushManager.getSubscription();
  const key = keyBytes(public_key);
  const options = subscription?.options.applicationServerKey;
  if (subscription && options && !sameBytes(new Uint8Array(options), key)) {
    // Made with another server key (the server's was replaced): it can never be pushed to again.
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await saveOnServer(subscription);
  return 'on';
}

export async function disablePush(): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const subscription = await existing();
  if (subscription) {
    const { endpoint } = subscription;
    await subscription.unsubscribe();
    await apiFetch('/api/v1/push/subscriptions', { method: 'DELETE', body: { endpoint } }).catch(() => undefined);
  }
  return 'off';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
