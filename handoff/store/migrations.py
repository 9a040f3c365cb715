"""The schema, as ordered named migrations. Append new steps; never edit one that has shipped."""

from __future__ import annotations

from handoff.store.migrations_wave2 import (
    ANALYTICS_PRIVATE,
    CSAT_IMPORT,
    EMAIL,
    JOBS,
    MEDIA,
    PUSH,
    ROUTING,
    TRUST,
    WEBHOOKS_TOKENS,
)

INITIAL = """
CREATE TABLE tenants (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  widget_key TEXT NOT NULL UNIQUE,
  settings TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL
);

-- Per-tenant SMS/Messenger credentials. `address` (Twilio number, Facebook page id) routes inbound webhooks.
CREATE TABLE channel_accounts (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel TEXT NOT NULL CHECK (channel IN ('sms', 'messenger')),
  address TEXT NOT NULL,
  config TEXT NOT NULL DEFAULT '{}',
  updated_at TEXT NOT NULL,
  UNIQUE (tenant_id, channel),
  UNIQUE (channel, address)
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'staff')),
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  last_login_at TEXT
);
CREATE INDEX users_tenant ON users (tenant_id, id);

-- One row per login: both tokens carry its id, so logout or refresh-token reuse revokes the pair.
CREATE TABLE auth_sessions (
  id TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  refresh_jti TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT,
  revoked_reason TEXT
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);

-- A person a tenant talks to: a web visitor, a phone number or a Messenger user (PSID).
CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel TEXT NOT NULL CHECK (channel IN ('webchat', 'sms', 'messenger')),
  external_id TEXT NOT NULL,
  name TEXT,
  email TEXT,
  phone TEXT,
  opted_out INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  UNIQUE (tenant_id, channel, external_id)
);

CREATE TABLE conversations (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  channel TEXT NOT NULL CHECK (channel IN ('webchat', 'sms', 'messenger')),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  assignee_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  escalated INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  last_message_at TEXT NOT NULL,
  last_message_id INTEGER,
  last_customer_message_at TEXT,
  awaiting_since TEXT,
  staff_read_message_id INTEGER NOT NULL DEFAULT 0,
  visitor_read_message_id INTEGER NOT NULL DEFAULT 0,
  closed_at TEXT
);
CREATE UNIQUE INDEX conversations_one_open_per_contact ON conversations (contact_id) WHERE status = 'open';
CREATE INDEX conversations_inbox ON conversations (tenant_id, status, last_message_at DESC, id DESC);
CREATE INDEX conversations_recent ON conversations (tenant_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations (tenant_id, assignee_id, status, last_message_at DESC);
CREATE INDEX conversations_channel ON conversations (tenant_id, channel, status, last_message_at DESC);
CREATE INDEX conversations_awaiting ON conversations (awaiting_since)
  WHERE status = 'open' AND escalated = 0 AND awaiting_since IS NOT NULL;
CREATE INDEX conversations_idle ON conversations (last_message_at) WHERE status = 'open';
CREATE INDEX conversations_closed ON conversations (tenant_id, closed_at) WHERE status = 'closed';

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  sender TEXT NOT NULL CHECK (sender IN ('visitor', 'staff', 'system')),
  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  text TEXT NOT NULL,
  attachments TEXT,
  -- Idempotency key: Twilio MessageSid, Messenger mid, or the sender's client_id (prefixed by who sent it).
  external_id TEXT,
  client_id TEXT,
  -- Outbound: the platform's id for this message, which delivery-status callbacks refer to.
  provider_id TEXT,
  status TEXT CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed', 'received')),
  error TEXT,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX messages_external ON messages (tenant_id, channel, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX messages_provider ON messages (channel, provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_author ON messages (tenant_id, author_id, created_at) WHERE author_id IS NOT NULL;

CREATE TABLE followups (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
  conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
  name TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  message TEXT NOT NULL,
  created_at TEXT NOT NULL,
  viewed_at TEXT,
  viewed_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX followups_tenant ON followups (tenant_id, id DESC);

-- Past transcripts imported from an older system; searchable beside closed conversations.
CREATE TABLE history (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel TEXT NOT NULL DEFAULT 'webchat',
  contact_name TEXT,
  contact_handle TEXT,
  transcript TEXT NOT NULL,
  source TEXT,
  started_at TEXT,
  ended_at TEXT,
  imported_at TEXT NOT NULL
);
CREATE INDEX history_tenant ON history (tenant_id, ended_at DESC);

-- Full-text index over closed conversations (written at close) and imported history (by trigger).
-- rowid = 2 * conversation id, or 2 * history id + 1, so one row is replaced or removed by rowid, not a scan.
CREATE VIRTUAL TABLE search_index USING fts5 (
  body, kind UNINDEXED, ref_id UNINDEXED, tenant_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER history_indexed AFTER INSERT ON history BEGIN
  INSERT INTO search_index (rowid, body, kind, ref_id, tenant_id)
  VALUES (2 * new.id + 1, coalesce(new.contact_name, '') || ' ' || new.transcript, 'imported', new.id, new.tenant_id);
END;
CREATE TRIGGER history_unindexed AFTER DELETE ON history BEGIN
  DELETE FROM search_index WHERE rowid = 2 * old.id + 1;
END;

-- Audit log: who did what to which object, when.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
  actor_type TEXT NOT NULL,
  actor_id TEXT,
  action TEXT NOT NULL,
  target_type TEXT,
  target_id TEXT,
  detail TEXT,
  request_id TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX events_tenant ON events (tenant_id, id DESC);

CREATE TABLE conversation_metrics (
  conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  started_at TEXT NOT NULL,
  first_response_at TEXT,
  first_response_seconds REAL,
  first_responder_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  resolved_at TEXT,
  resolution_seconds REAL,
  customer_messages INTEGER NOT NULL DEFAULT 0,
  staff_messages INTEGER NOT NULL DEFAULT 0,
  escalated INTEGER NOT NULL DEFAULT 0,
  missed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conversation_metrics_tenant ON conversation_metrics (tenant_id, started_at);

-- Durable outbound delivery (SMS, Messenger): committed with the message, retried with backoff.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error TEXT,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  created_at TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
"""

# Issue 4 (SMS and Messenger): what outbound delivery needs beyond 0001's outbox.
OUTBOUND_DELIVERY = """
-- When the accepted attempt started: Messenger read/delivery watermarks are compared with it.
ALTER TABLE outbox ADD COLUMN sent_at TEXT;
-- An adapter's resume point for a send made of several platform calls (Messenger splits long texts).
ALTER TABLE outbox ADD COLUMN progress TEXT;

-- Status reports (Twilio callbacks, Messenger delivery mids) that arrived before the send recorded its
-- provider id; applied when it is recorded, forgotten after a day.
CREATE TABLE provider_status (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX provider_status_lookup ON provider_status (channel, provider_id);
CREATE INDEX provider_status_age ON provider_status (created_at);

-- A contact's conversations (Messenger windows and receipts look across all of them).
CREATE INDEX conversations_contact ON conversations (contact_id, id);
"""

# Issue 6 (analytics): covering indexes so the summary over 1M messages stays under 500 ms.
ANALYTICS_INDEXES = """
CREATE INDEX messages_tenant_sender_created ON messages (tenant_id, sender, created_at);
DROP INDEX messages_author;
CREATE INDEX messages_author ON messages (tenant_id, author_id, created_at, sender, conversation_id)
  WHERE author_id IS NOT NULL;
DROP INDEX conversation_metrics_tenant;
CREATE INDEX conversation_metrics_tenant ON conversation_metrics (tenant_id, started_at, channel, first_responder_id,
  first_response_seconds, resolution_seconds, missed, escalated);
"""

# Unread counts kept on the conversation: counting unread messages on every new message grew with the
# conversation (quadratic over a long chat); the count is now maintained where messages are stored.
UNREAD_COUNT = """
ALTER TABLE conversations ADD COLUMN unread_count INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET unread_count = (
  SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id AND m.sender = 'visitor'
    AND m.id > conversations.staff_read_message_id);
"""

# Every indexed column a message moves (last_message_at) costs a B-tree delete and insert per index on every
# message: six such indexes were a third of the writer's time. Open conversations (the live, bounded set)
# now have ONE ordering index; closed ones keep their filter indexes, which are partial on status =
# 'closed', so a message in an open conversation never touches them. (From here on too,
# conversation_metrics.customer_messages / staff_messages are recorded at close, not bumped per message.)
LEAN_CONVERSATION_INDEXES = """
DROP INDEX conversations_inbox;
DROP INDEX conversations_recent;
DROP INDEX conversations_assignee;
DROP INDEX conversations_channel;
DROP INDEX conversations_idle;
CREATE INDEX conversations_open ON conversations (tenant_id, last_message_at DESC, id DESC) WHERE status = 'open';
CREATE INDEX conversations_closed_recent ON conversations (tenant_id, last_message_at DESC, id DESC)
  WHERE status = 'closed';
CREATE INDEX conversations_closed_assignee ON conversations (tenant_id, assignee_id, last_message_at DESC, id DESC)
  WHERE status = 'closed';
CREATE INDEX conversations_closed_channel ON conversations (tenant_id, channel, last_message_at DESC, id DESC)
  WHERE status = 'closed';
"""

# The client address (after PROXY_HOPS) of the request that caused each audited change.
EVENT_CLIENT_ADDRESS = """
ALTER TABLE events ADD COLUMN client_address TEXT;
"""

# Issue 19: the StatusCallback base learned from a tenant's own signed Twilio webhook (without PUBLIC_BASE_URL)
# belongs to that tenant; one process-wide value let any tenant's webhook redirect every tenant's reports.
CHANNEL_CALLBACK_BASE = """
-- Without PUBLIC_BASE_URL: scheme://host of this tenant's last correctly signed Twilio webhook; used only for
-- the StatusCallback of this tenant's own outbound SMS.
ALTER TABLE channel_accounts ADD COLUMN callback_base TEXT;
"""

# Background work exactly once across processes: a claimed outbox row is leased (next_attempt_at moved to
# the lease's end, so no other process claims it meanwhile); leased_until marks that, so a single SQLite
# process can release its previous run's leases at startup without touching retry backoffs.
OUTBOX_LEASE = """
-- Equal to next_attempt_at while an attempt holds the row; NULL once its outcome is recorded.
ALTER TABLE outbox ADD COLUMN leased_until TEXT;
"""

# The agent workspace: private notes (staff-only messages) and per-tenant saved replies.
AGENT_WORKSPACE = """
-- 1: a note only the team sees; never sent to the customer on any channel, never in their transcript.
ALTER TABLE messages ADD COLUMN private INTEGER NOT NULL DEFAULT 0;

CREATE TABLE canned_responses (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  shortcut TEXT NOT NULL,
  title TEXT,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (tenant_id, shortcut)
);
"""

# The agent workspace: a tenant's list of tags (conversations keep theirs as a JSON list) and snooze. A
# snoozed conversation stays status 'open' (one open conversation per contact, the customer's next message
# lands in it) with snoozed_until set; the partial index holds only snoozed rows, and no message write
# touches that column, so the message path pays nothing for it.
INBOX_TOOLS = """
CREATE TABLE tags (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
ALTER TABLE conversations ADD COLUMN snoozed_until TEXT;
CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE snoozed_until IS NOT NULL;
"""

# Contacts as people: a contact row stays one channel identity (its conversations keep routing replies to
# that address), and merged identities share a person_id, the id of the contact that stands for the person.
# NULL (every unmerged contact) keeps the inbound path exactly as before: no extra lookup per message.
CONTACTS = """
ALTER TABLE contacts ADD COLUMN person_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL;
ALTER TABLE contacts ADD COLUMN note TEXT;
CREATE INDEX contacts_person ON contacts (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX contacts_tenant ON contacts (tenant_id, id DESC);
"""

# Uploaded files with their bytes: in the database, so every process of a deployment serves every file and
# the backup and --copy-to carry them. `owner` is who may attach it ("staff:<user id>" or "visitor:<id>").
UPLOADS = """
CREATE TABLE uploads (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  data BLOB NOT NULL,
  created_at TEXT NOT NULL
);
"""


MIGRATIONS: list[tuple[str, str]] = [
    ("0001_initial", INITIAL),
    ("0002_outbound_delivery", OUTBOUND_DELIVERY),
    ("0003_analytics_indexes", ANALYTICS_INDEXES),
    ("0004_unread_count", UNREAD_COUNT),
    ("0005_lean_conversation_indexes", LEAN_CONVERSATION_INDEXES),
    ("0006_event_client_address", EVENT_CLIENT_ADDRESS),
    ("0007_channel_callback_base", CHANNEL_CALLBACK_BASE),
    ("0008_outbox_lease", OUTBOX_LEASE),
    ("0009_agent_workspace", AGENT_WORKSPACE),
    ("0010_inbox_tools", INBOX_TOOLS),
    ("0011_contacts", CONTACTS),
    ("0012_uploads", UPLOADS),
    ("0013_jobs", JOBS),
    ("0014_csat_import", CSAT_IMPORT),
    ("0015_webhooks_tokens", WEBHOOKS_TOKENS),
    ("0016_email", EMAIL),
    ("0017_routing", ROUTING),
    ("0018_push", PUSH),
    ("0019_media", MEDIA),
    ("0020_trust", TRUST),
    ("0021_analytics_private", ANALYTICS_PRIVATE),
]
