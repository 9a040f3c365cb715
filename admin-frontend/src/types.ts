// JSON shapes returned by the backend, as pinned in docs/api.md.

export type Channel = 'webchat' | 'sms' | 'messenger';
export const CHANNELS: readonly Channel[] = ['webchat', 'sms', 'messenger'];

export type Role = 'admin' | 'staff';

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  tenant_id?: number;
}

export interface TeamUser {
  id: number;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  created_at: string;
}

/** A teammate as any staff member sees them (GET /api/v1/team), e.g. to assign a conversation. */
export interface Teammate {
  id: number;
  name: string;
  role: Role;
  online: boolean;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type?: string;
  user?: User;
}

export type DeliveryStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export interface Attachment {
  url: string;
  content_type?: string;
}

export interface Message {
  id: number;
  conversation_id: number;
  channel: Channel;
  sender: 'visitor' | 'staff' | 'system';
  text: string;
  created_at: string;
  client_id?: string | null;
  author?: { id: number; name: string } | null;
  status?: DeliveryStatus | null;
  error?: string | null;
  attachments?: Attachment[];
}

export interface Contact {
  id: number;
  channel: Channel;
  name: string | null;
  email: string | null;
  phone: string | null;
  opted_out: boolean;
  external_id?: string | null;
}

export interface Conversation {
  id: number;
  channel: Channel;
  status: 'open' | 'closed';
  escalated: boolean;
  tags: string[];
  contact: Contact | null;
  assignee: { id: number; name: string } | null;
  last_message: Message | null;
  unread_count: number;
  visitor_read_message_id?: number | null;
  staff_read_message_id?: number | null;
  created_at: string;
  last_message_at: string | null;
  closed_at: string | null;
}

export interface ConversationPage {
  conversations: Conversation[];
  next_before: string | null;
}

export interface Followup {
  id: number;
  name: string;
  email: string | null;
  phone: string | null;
  message: string;
  conversation_id: number | null;
  created_at: string;
  viewed_at: string | null;
  viewed_by: number | { id: number; name: string } | null;
}

export interface HistoryResult {
  kind: 'conversation' | 'imported';
  id: number;
  channel: Channel | string;
  contact_name: string | null;
  started_at: string | null;
  ended_at: string | null;
  snippet: string | null;
}

export interface ImportedTranscript {
  id: number;
  channel: string;
  contact_name: string | null;
  transcript: unknown;
  started_at: string | null;
  ended_at: string | null;
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** ["09:00", "17:00"] */
export type TimeRange = [string, string];

/** Weekly opening hours, as the backend stores them: each day a list of ranges; missing or [] is closed. */
export interface BusinessHours {
  days: Partial<Record<Weekday, TimeRange[]>>;
}

export interface TenantSettings {
  business_name?: string;
  greeting?: string;
  color?: string;
  position?: 'right' | 'left';
  language?: 'en' | 'fr' | 'es' | 'de';
  prechat_form?: boolean;
  business_hours?: BusinessHours | null;
  /** IANA zone the business hours are in. */
  timezone?: string;
}

export interface Tenant {
  id: number;
  name: string;
  widget_key: string;
  settings: TenantSettings;
  channels: {
    // `<secret>_set` flags say whether a secret is stored; the secret itself is never returned.
    sms?: {
      configured: boolean;
      number?: string | null;
      account_sid?: string | null;
      auth_token_set?: boolean;
      webhook_urls?: { sms?: string; status?: string };
    };
    messenger?: {
      configured: boolean;
      page_id?: string | null;
      page_access_token_set?: boolean;
      app_secret_set?: boolean;
      verify_token_set?: boolean;
      webhook_url?: string;
    };
  };
}

export interface TenantPatch {
  name?: string;
  settings?: TenantSettings;
  channels?: {
    sms?: Partial<Record<'account_sid' | 'auth_token' | 'number', string>>;
    messenger?: Partial<Record<'page_id' | 'page_access_token' | 'app_secret' | 'verify_token', string>>;
  };
}

export interface Percentiles {
  median: number | null;
  p90: number | null;
  count: number;
}

export interface AnalyticsSummary {
  from: string;
  to: string;
  timezone: string;
  totals: {
    conversations: number;
    messages: number;
    closed: number;
    missed: number;
    escalated: number;
    followups: number;
  };
  by_channel: Record<Channel, number>;
  by_day: Array<{ date: string; webchat: number; sms: number; messenger: number; total: number }>;
  by_hour: Array<{ hour: number; count: number }>;
  first_response_seconds: Percentiles;
  resolution_seconds: Percentiles;
  followups: { count: number; viewed: number; median_seconds_to_viewed: number | null };
  agents: Array<{
    user_id: number;
    name: string;
    conversations: number;
    messages: number;
    median_first_response_seconds: number | null;
  }>;
}

/** Events the server pushes on /admin-ws. */
export type ServerEvent =
  | { type: 'message'; message: Message; conversation?: Conversation }
  | { type: 'conversation_updated'; conversation: Conversation }
  | { type: 'followup'; followup: Followup }
  | {
      type: 'typing';
      conversation_id: number;
      sender: 'visitor' | 'staff';
      user?: { id: number; name: string };
    }
  | { type: 'presence'; staff_online: boolean; online_user_ids?: number[] }
  | { type: 'escalation'; conversation: Conversation }
  | { type: 'error'; detail: string };
