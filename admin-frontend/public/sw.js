// The admin app's service worker, for Web Push only (no caching, no fetch handler): shows each alert the
// server pushes and opens its conversation when clicked. Served as /admin-app/sw.js, so its scope is the
// app; the server sends it with the app's Content-Security-Policy and `Cache-Control: no-cache`.

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

// Only paths inside the app: a pushed URL can never send the browser elsewhere.
function appUrl(url) {
  const scope = self.registration.scope;
  try {
    const target = new URL(typeof url === 'string' ? url : '', scope);
    if (target.origin === self.location.origin && target.href.startsWith(scope)) return target.href;
  } catch {
    /* not a URL: the inbox below */
  }
  return scope;
}

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : '' };
  }
  const title = typeof data.title === 'string' && data.title ? data.title : 'Handoff';
  const url = appUrl(data.url);
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof data.body === 'string' ? data.body : '',
      tag: url, // a newer alert about the same conversation replaces the older one
      data: { url },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = appUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => w.url.startsWith(self.registration.scope));
      if (open) {
        await open.focus();
        try {
          await open.navigate(url);
        } catch {
          /* not controlled by this worker yet: focused is enough */
        }
        return;
      }
      await self.clients.openWindow(url);
    })(),
  );
});
