// Outgoing webhooks and API tokens (docs/integrations.md): types generated from /openapi.json, one typed
// function per endpoint, kept apart from endpoints.ts so the integrations settings stay in one place.
import type { components } from './schema';
import { apiFetch } from './client';

type Schemas = components['schemas'];
export type Webhook = Schemas['Endpoint'];
export type NewWebhook = Schemas['NewEndpoint'];
export type WebhookBody = Schemas['EndpointBody'];
export type WebhookPatch = Schemas['EndpointPatch'];
export type WebhookEvent = WebhookBody['events'][number];
export type Delivery = Schemas['Delivery'];
export type DeliveryPage = Schemas['DeliveryPage'];
export type ApiToken = Schemas['ApiToken'];
export type NewApiToken = Schemas['NewApiToken'];
export type ApiTokenBody = Schemas['ApiTokenBody'];

export const WEBHOOK_EVENTS: { event: WebhookEvent; label: string }[] = [
  { event: 'conversation.created', label: 'Conversation started' },
  { event: 'message.created', label: 'Message (never private notes)' },
  { event: 'conversation.updated', label: 'Conversation changed (assignee, tags, snooze, escalation)' },
  { event: 'conversation.closed', label: 'Conversation closed' },
  { event: 'followup.created', label: 'Follow-up request left' },
  { event: 'csat.submitted', label: 'Satisfaction rating given' },
];

// --- webhooks (admins)
export const listWebhooks = () => apiFetch<{ webhooks: Webhook[] }>('/api/v1/webhooks');
export const createWebhook = (body: WebhookBody) =>
  apiFetch<NewWebhook>('/api/v1/webhooks', { method: 'POST', body });
export const patchWebhook = (id: number, body: WebhookPatch) =>
  apiFetch<Webhook>(`/api/v1/webhooks/${id}`, { method: 'PATCH', body });
export const deleteWebhook = (id: number) => apiFetch<void>(`/api/v1/webhooks/${id}`, { method: 'DELETE' });
export const listDeliveries = (id: number) => apiFetch<DeliveryPage>(`/api/v1/webhooks/${id}/deliveries`);
export const redeliver = (id: number, deliveryId: number) =>
  apiFetch<Delivery>(`/api/v1/webhooks/${id}/deliveries/${deliveryId}/redeliver`, { method: 'POST' });

// --- API tokens (admins signed in with a password)
export const listApiTokens = () => apiFetch<{ api_tokens: ApiToken[] }>('/api/v1/api-tokens');
export const createApiToken = (body: ApiTokenBody) =>
  apiFetch<NewApiToken>('/api/v1/api-tokens', { method: 'POST', body });
export const revokeApiToken = (id: number) => apiFetch<void>(`/api/v1/api-tokens/${id}`, { method: 'DELETE' });
