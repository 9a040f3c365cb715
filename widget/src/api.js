/* The widget's HTTP calls: JSON in and out (or a FormData upload), the visitor token as a bearer, no cookies. */

export function createApi(base, ident) {
  return async function api(path, body, noAuth) {
    const form = body instanceof FormData; // a file upload: multipart, its own content type
    const headers = body && !form ? { 'Content-Type': 'application/json' } : {};
    if (!noAuth && ident.token) headers.Authorization = 'Bearer ' + ident.token;
    const res = await fetch(base + path, { method: body ? 'POST' : 'GET', headers, credentials: 'omit',
      body: form ? body : body && JSON.stringify(body) });
    const data = await res.json().catch(() => null);
    if (res.ok) return data || {};
    const err = new Error((data && typeof data.detail === 'string' && data.detail) || 'HTTP ' + res.status);
    err.status = res.status;
    throw err;
  };
}
