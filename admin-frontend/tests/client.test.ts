import { describe, expect, it, vi } from 'vitest';
import { apiFetch, ApiError, onAuthLost } from '../src/api/client';
import { saveDraft, loadDraft } from '../src/lib/drafts';
import { json, mockApi, signIn } from './helpers';

describe('api client', () => {
  it('sends the bearer token', async () => {
    signIn();
    const api = mockApi({ 'GET /api/v1/auth/me': { id: 1 } });
    await apiFetch('/api/v1/auth/me');
    expect(api.calls[0]!.headers.Authorization).toBe('Bearer access-1');
  });

  it('on 401 refreshes once, then retries the request with the new token', async () => {
    signIn();
    const api = mockApi({
      'GET /admin/api/convos': (call) =>
        call.headers.Authorization === 'Bearer access-2'
          ? { conversations: [], next_before: null }
          : json({ detail: 'expired' }, 401),
      'POST /api/v1/auth/refresh': { access_token: 'access-2', refresh_token: 'refresh-2', token_type: 'bearer' },
    });

    const page = await apiFetch<{ conversations: unknown[] }>('/admin/api/convos');

    expect(page.conversations).toEqual([]);
    expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /admin/api/convos',
      'POST /api/v1/auth/refresh',
      'GET /admin/api/convos',
    ]);
    expect(api.find('POST', '/api/v1/auth/refresh')[0]!.body).toEqual({ refresh_token: 'refresh-1' });
    expect(localStorage.getItem('handoff.access_token')).toBe('access-2');
    expect(localStorage.getItem('handoff.refresh_token')).toBe('refresh-2');
  });

  it('shares one refresh between concurrent 401s', async () => {
    signIn();
    const api = mockApi({
      'GET /a': (c) => (c.headers.Authorization === 'Bearer access-2' ? { ok: 1 } : json({ detail: 'x' }, 401)),
      'GET /b': (c) => (c.headers.Authorization === 'Bearer access-2' ? { ok: 2 } : json({ detail: 'x' }, 401)),
      'POST /api/v1/auth/refresh': { access_token: 'access-2', refresh_token: 'refresh-2' },
    });
    await Promise.all([apiFetch('/a'), apiFetch('/b')]);
    expect(api.find('POST', '/api/v1/auth/refresh')).toHaveLength(1);
  });

  it('when refresh fails: no second retry, session ends, drafts survive', async () => {
    signIn();
    saveDraft(7, 'half-written reply');
    const lost = vi.fn();
    const off = onAuthLost(lost);
    const api = mockApi({
      'GET /admin/api/convos': json({ detail: 'expired' }, 401),
      'POST /api/v1/auth/refresh': json({ detail: 'revoked' }, 401),
    });

    await expect(apiFetch('/admin/api/convos')).rejects.toBeInstanceOf(ApiError);

    expect(api.find('GET', '/admin/api/convos')).toHaveLength(1);
    expect(lost).toHaveBeenCalledTimes(1);
    expect(localStorage.getItem('handoff.access_token')).toBeNull();
    expect(loadDraft(7)).toBe('half-written reply');
    off();
  });

  it('surfaces the server detail on other errors', async () => {
    signIn();
    mockApi({ 'POST /admin/api/send': json({ detail: 'Contact opted out' }, 409) });
    await expect(apiFetch('/admin/api/send', { method: 'POST', body: {} })).rejects.toMatchObject({
      status: 409,
      detail: 'Contact opted out',
    });
  });
});
