// JSON shapes the backend sends and accepts.
//
// Where the server's /openapi.json describes a shape, the type here is an alias of the one generated from it
// (src/api/schema.d.ts, written by `npm run gen:api`; never edit that file by hand). When the backend declares
// a model for another response, replace its hand-written interface below with a one-line alias.
import type { components } from './api/schema';

type Schemas = components['schemas'];

// --- Generated from /openapi.json

// conversations and messages
export type Message = Schemas['Message'];
export type Attachment = Schemas['Attachment'];
export type Author = Schemas['Author'];
export type Conversation = Schemas['Conversation'];
export type Contact = Schemas['Contact'];
export type Assignee = Schemas['Assignee'];
export type ConversationPage = Schemas['ConversationPage'];
export type MessagePage = Schemas['MessagePage'];
export type SentMessage = Schemas['SentMessage'];
export type Upload = Schemas['Upload'];
export type ConversationPatch = Schemas['ConversationPatch'];
export type BulkBody = Schemas['BulkBody'];
export type BulkResult = Schemas['BulkResult'];
export type TagList = Schemas['TagList'];

export type Channel = Message['channel'];
export type DeliveryStatus = NonNullable<Message['status']>;

// history
export type HistoryPage = Schemas['HistoryPage'];
export type HistoryResult = Schemas['HistoryResult'];
export type ImportedTranscript = Schemas['ImportedTranscript'];
export type ImportedIds = Schemas['ImportedIds'];

// team (TeamUser: an account as admins manage it, GET /api/v1/users)
export type TeamUser = Schemas['User'];
export type NewUser = Schemas['NewUser'];
export type UserPatch = Schemas['UserPatch'];
/** A teammate as any staff member sees them (GET /api/v1/team), e.g. to assign a conversation. */
export type Teammate = Schemas['Teammate'];
export type Role = TeamUser['role'];
export type MyAvailability = Schemas['MyAvailability'];

// settings (the request only: GET /api/v1/tenant is not described yet)
export type TenantPatch = Schemas['TenantPatch'];

// analytics
export type AnalyticsSummary = Schemas['AnalyticsSummary'];
export type AnalyticsTotals = Schemas['Totals'];
export type ChannelCounts = Schemas['ByChannel'];
export type DayCounts = Schemas['Day'];
export type HourCount = Schemas['Hour'];
export type Percentiles = Schemas['Distribution'];
export type FollowupFigures = Schemas['FollowupFigures'];
export type AgentFigures = Schemas['AgentFigures'];
export type CsatFigures = Schemas['CsatFigures'];
export type Survey = Schemas['Survey'];

// saved replies
export type CannedResponse = Schemas['CannedResponse'];
export type CannedResponseList = Schemas['CannedResponseList'];
export type NewCannedResponse = Schemas['NewCannedResponse'];
export type CannedResponsePatch = Schemas['CannedResponsePatch'];
export type Person = Schemas['Person'];
export type PersonPage = Schemas['PersonPage'];
export type PersonDetail = Schemas['PersonDetail'];
export type PersonPatch = Schemas['PersonPatch'];

// audit log
export type AuditEvent = Schemas['AuditEvent'];
export type AuditPage = Schemas['AuditPage'];

// --- Written by hand

export const CHANNELS: readonly Channel[] = ['webchat', 'sms', 'messenger'];

/** The signed-in account, as the auth endpoints return it. */
export type User = Schemas['SignedInUser'];
export type TokenPair = Schemas['TokenPair'];
export type MfaChallenge = Schemas['MfaChallenge'];
export type MfaStatus = Schemas['MfaStatus'];
export type MfaSetup = Schemas['MfaSetup'];
export type MfaEnabled = Schemas['MfaEnabled'];
export type IdentitySecret = Schemas['IdentitySecret'];
export type Followup = Schemas['Followup'];

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** ["09:00", "17:00"] */
export type TimeRange = [string, string];

// Narrower than the generated BusinessHours, which keys the days by any string: the editor works by weekday.
/** Weekly opening hours, as the backend stores them: each day a list of ranges; missing or [] is closed. The
 * times are wall-clock times in `timezone`. */
export interface BusinessHours {
  timezone?: string | null;
  week: Partial<Record<Weekday, TimeRange[]>>;
}

export type TenantSettings = Schemas['TenantSettings'];
/** The settings the widget shows (the Widget form edits these; allowed sites have a form of their own). */
export type WidgetLook = Omit<TenantSettings, 'allowed_origins' | 'csat' | 'require_identity' | 'require_mfa'>;
export type Tenant = Schemas['TenantView'];

// not in the OpenAPI yet: OpenAPI describes HTTP only, and these come over the /admin-ws socket
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
  | {
      type: 'presence';
      staff_online: boolean;
      online_user_ids?: number[];
      /** Connected agents' availability by user id. */
      availability?: Record<string, 'online' | 'away'>;
    }
  | { type: 'escalation'; conversation: Conversation }
  | { type: 'mention'; message: Message; conversation: Conversation; by: { id: number; name: string } }
  | { type: 'error'; detail: string };
