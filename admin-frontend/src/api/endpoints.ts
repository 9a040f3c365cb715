// One typed function per backend endpoint the SPA uses (docs/api.md). Nothing else calls fetch.
import type {
  AnalyticsSummary,
  AuditPage,
  CannedResponse,
  CannedResponseList,
  CannedResponsePatch,
  BulkBody,
  BulkResult,
  Channel,
  Conversation,
  ConversationPage,
  ConversationPatch,
  Followup,
  HistoryPage,
  ImportedTranscript,
  MessagePage,
  NewCannedResponse,
  NewUser,
  PersonDetail,
  PersonPage,
  PersonPatch,
  SentMessage,
  Survey,
  Upload,
  TagList,
  TeamUser,
  Teammate,
  MyAvailability,
  Tenant,
  TenantPatch,
  TokenPair,
  MfaChallenge,
  MfaStatus,
  MfaSetup,
  MfaEnabled,
  IdentitySecret,
  User,
  UserPatch,
} from '../types';
import { ApiError, apiFetch, apiFetchRaw } from './client';

// --- auth
export const login = (email: string, password: string) =>
  apiFetch<TokenPair | MfaChallenge>('/api/v1/auth/login', {
    method: 'POST',
    body: { email, password },
    anonymous: true,
  });
export const logout = () => apiFetch<unknown>('/api/v1/auth/logout', { method: 'POST' });
export const me = () => apiFetch<User>('/api/v1/auth/me');

// --- two-factor sign-in (an mfa_token stands in for the access token while a login awaits its setup)
export const mfaStatus = () => apiFetch<MfaStatus>('/api/v1/auth/mfa');
export const mfaSetup = (mfa_token?: string) =>
  apiFetch<MfaSetup>('/api/v1/auth/mfa/setup', { method: 'POST', body: { mfa_token }, anonymous: !!mfa_token });
export const mfaEnable = (code: string, mfa_token?: string) =>
  apiFetch<MfaEnabled>('/api/v1/auth/mfa/enable', { method: 'POST', body: { code, mfa_token }, anonymous: !!mfa_token });
export const mfaVerify = (mfa_token: string, code: string) =>
  apiFetch<TokenPair>('/api/v1/auth/mfa/verify', { method: 'POST', body: { mfa_token, code }, anonymous: true });
export const mfaDisable = (code: string) =>
  apiFetch<MfaStatus>('/api/v1/auth/mfa/disable', { method: 'POST', body: { code } });

// --- verified visitor identity (admins)
export const getIdentitySecret = () => apiFetch<IdentitySecret>('/api/v1/tenant/identity-secret');
export const rotateIdentitySecret = () =>
  apiFetch<IdentitySecret>('/api/v1/tenant/identity-secret', { method: 'POST' });

// --- inbox
export interface ConvoQuery {
  status: 'open' | 'snoozed' | 'closed' | 'all';
  assignee?: 'me' | 'none' | number;
  channel?: Channel | '';
  tag?: string;
  q?: string;
  limit?: number;
  before?: string | null;
}
export const listConversations = (query: ConvoQuery, signal?: AbortSignal) =>
  apiFetch<ConversationPage>('/admin/api/convos', {
    query: { limit: 50, ...query },
    signal,
  });
export const getConversation = (id: number) =>
  apiFetch<Conversation>(`/admin/api/conversations/${id}`);
export const listMessages = (
  id: number,
  query: { after?: number; before?: number; limit?: number } = {},
) =>
  apiFetch<MessagePage>(`/admin/api/conversations/${id}/messages`, {
    query: { limit: 100, ...query },
  });
export interface NoteOptions {
  /** A private note: only the team sees it. */
  private?: boolean;
  /** Teammates a note mentions (user ids). */
  mentions?: number[];
  /** Uploads sent with the reply or the note. */
  attachment_ids?: number[];
}
export const sendMessage = (conversation_id: number, text: string, client_id: string, note: NoteOptions = {}) =>
  apiFetch<SentMessage>('/admin/api/send', {
    method: 'POST',
    body: note.private
      ? {
          conversation_id,
          text,
          client_id,
          private: true,
          ...(note.mentions?.length ? { mentions: note.mentions } : {}),
          ...(note.attachment_ids?.length ? { attachment_ids: note.attachment_ids } : {}),
        }
      : { conversation_id, text, client_id, ...(note.attachment_ids?.length ? { attachment_ids: note.attachment_ids } : {}) },
  });
export const uploadFile = (file: File) => {
  const body = new FormData();
  body.append('file', file);
  return apiFetch<Upload>('/api/v1/uploads', { method: 'POST', body });
};
export const patchConversation = (id: number, patch: ConversationPatch) =>
  apiFetch<Conversation>(`/admin/api/conversations/${id}`, { method: 'PATCH', body: patch });
export const bulkUpdate = (body: BulkBody) =>
  apiFetch<BulkResult>('/admin/api/conversations/bulk', { method: 'POST', body });

// --- tags (any staff lists and adds; admins delete)
export const listTags = () => apiFetch<TagList>('/api/v1/tags');
export const addTag = (name: string) => apiFetch<TagList>('/api/v1/tags', { method: 'POST', body: { name } });
export const deleteTag = (name: string) =>
  apiFetch<unknown>(`/api/v1/tags/${encodeURIComponent(name)}`, { method: 'DELETE' });

// --- follow-ups and history
export const listFollowups = (status: 'new' | 'viewed' | 'all') =>
  apiFetch<{ followups: Followup[] }>('/admin/api/followups', { query: { status } });
export const markFollowupViewed = (id: number) =>
  apiFetch<Followup>('/admin/api/mark-followup-viewed', { method: 'POST', body: { id } });
export const searchHistory = (query: { q?: string; channel?: string; from?: string; to?: string }) =>
  apiFetch<HistoryPage>('/admin/api/history', { query: { ...query, limit: 100 } });
export const getImported = (id: number) =>
  apiFetch<ImportedTranscript>(`/admin/api/history/imported/${id}`);

// --- saved replies (any staff lists and renders; admins manage)
export const listCannedResponses = (q?: string) =>
  apiFetch<CannedResponseList>('/api/v1/canned-responses', { query: q ? { q } : {} });
export const createCannedResponse = (body: NewCannedResponse) =>
  apiFetch<CannedResponse>('/api/v1/canned-responses', { method: 'POST', body });
export const patchCannedResponse = (id: number, body: CannedResponsePatch) =>
  apiFetch<CannedResponse>(`/api/v1/canned-responses/${id}`, { method: 'PATCH', body });
export const deleteCannedResponse = (id: number) =>
  apiFetch<void>(`/api/v1/canned-responses/${id}`, { method: 'DELETE' });
export const renderCannedResponse = (id: number, conversation_id: number) =>
  apiFetch<{ text: string }>(`/api/v1/canned-responses/${id}/render`, { method: 'POST', body: { conversation_id } });

// --- availability and routing
/** The signed-in agent goes away (no new conversations) or comes back online. */
export const setMyAvailability = (availability: 'online' | 'away') =>
  apiFetch<MyAvailability>('/api/v1/auth/me', { method: 'PATCH', body: { availability } });

// --- team
/** Active teammates, for any staff member (assignment). */
export const listTeam = () => apiFetch<Teammate[]>('/api/v1/team');
// Management: admin only.
export const listUsers = () => apiFetch<TeamUser[]>('/api/v1/users');
export const createUser = (body: NewUser) =>
  apiFetch<TeamUser>('/api/v1/users', { method: 'POST', body });
export const patchUser = (id: number, body: UserPatch) =>
  apiFetch<TeamUser>(`/api/v1/users/${id}`, { method: 'PATCH', body });
export const resetUserMfa = (id: number) => apiFetch<unknown>(`/api/v1/users/${id}/mfa/reset`, { method: 'POST' });

// --- tenant settings (admin to change)
export const getTenant = () => apiFetch<Tenant>('/api/v1/tenant');
export const patchTenant = (patch: TenantPatch) =>
  apiFetch<Tenant>('/api/v1/tenant', { method: 'PATCH', body: patch });

// --- analytics
export interface RangeQuery {
  from: string;
  to: string;
  tz: string;
}
export const analyticsSummary = (q: RangeQuery) =>
  apiFetch<AnalyticsSummary>('/api/v1/analytics/summary', { query: { ...q } });
export const analyticsCsv = async (q: RangeQuery): Promise<Blob> =>
  (await apiFetchRaw('/api/v1/analytics/export.csv', { query: { ...q } })).blob();

// --- audit log (admins)
export interface EventQuery {
  /** One action (`user.created`) or a kind (`user`: every `user.*`). */
  action?: string;
  /** A user id: what that teammate did. */
  actor?: number;
  before?: number | null;
  limit?: number;
}
export const listEvents = (query: EventQuery = {}, signal?: AbortSignal) =>
  apiFetch<AuditPage>('/api/v1/events', { query: { limit: 50, ...query }, signal });
// --- contacts (people across channels)
export const listContacts = (q?: string, before?: number | null, limit = 25) =>
  apiFetch<PersonPage>('/admin/api/contacts', { query: { q: q || undefined, before: before ?? undefined, limit } });
export const getContact = (id: number) => apiFetch<PersonDetail>(`/admin/api/contacts/${id}`);
export const patchContact = (id: number, body: PersonPatch) =>
  apiFetch<PersonDetail>(`/admin/api/contacts/${id}`, { method: 'PATCH', body });
export const mergeContact = (id: number, otherId: number) =>
  apiFetch<PersonDetail>(`/admin/api/contacts/${id}/merge`, { method: 'POST', body: { other_id: otherId } });

// --- customer satisfaction
/** The conversation's satisfaction survey, or null when it was not surveyed (404). */
export const getSurvey = (conversationId: number): Promise<Survey | null> =>
  apiFetch<Survey>(`/admin/api/conversations/${conversationId}/csat`).catch((err: unknown) => {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  });
