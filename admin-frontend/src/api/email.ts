// Email endpoints (docs/api.md, "Email"): status and test, notification preferences, follow-up replies,
// transcripts, and the forgotten-password pair. Kept apart from endpoints.ts, like the feature.
import type { components } from './schema';
import type { Followup } from '../types';
import { apiFetch } from './client';

type Schemas = components['schemas'];
export type EmailStatus = Schemas['EmailStatus'];
export type Preferences = Schemas['Preferences'];
export type Queued = Schemas['Queued'];

export const emailStatus = () => apiFetch<EmailStatus>('/admin/api/email');
export const sendTestEmail = () => apiFetch<Queued>('/admin/api/email/test', { method: 'POST', body: {} });
export const getPreferences = () => apiFetch<Preferences>('/api/v1/me/notifications');
export const setPreferences = (changes: Partial<Preferences>) =>
  apiFetch<Preferences>('/api/v1/me/notifications', { method: 'PATCH', body: changes });
export const replyToFollowup = (id: number, text: string) =>
  apiFetch<Followup>(`/admin/api/followups/${id}/reply`, { method: 'POST', body: { text } });
export const emailTranscript = (conversationId: number, email?: string) =>
  apiFetch<Queued>(`/admin/api/conversations/${conversationId}/transcript`, {
    method: 'POST',
    body: email ? { email } : {},
  });
export const forgotPassword = (email: string) =>
  apiFetch<{ detail: string }>('/api/v1/auth/forgot', { method: 'POST', body: { email }, anonymous: true });
export const resetPassword = (token: string, password: string) =>
  apiFetch<unknown>('/api/v1/auth/reset', { method: 'POST', body: { token, password }, anonymous: true });
