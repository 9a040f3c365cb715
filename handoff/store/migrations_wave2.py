"""The schema steps of the second wave (0013 on: jobs, CSAT and import, webhooks and API tokens, email,
routing, push, media, trust), kept apart so each module stays readable; `migrations.MIGRATIONS` lists them
in order. Append new steps; never edit one that has shipped."""

from __future__ import annotations

# Durable background work besides SMS/Messenger sends: email, outgoing webhooks, push, media fetches
# (handoff.store.jobs). `order_key` orders the jobs that share it; the partial indexes cover unfinished jobs only.
JOBS = """
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  order_key TEXT,
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  leased_until TEXT,
  give_up_at TEXT NOT NULL,
  last_error TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX jobs_due ON jobs (next_attempt_at) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_order ON jobs (order_key, id) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status IN ('done', 'dead');
"""

# Customer satisfaction: one survey per conversation a staff member closed (asked_at), rated at most once
# (rating stays NULL until then; the UPDATE ... WHERE rating IS NULL is what makes a second rating a 409).
# agent_id is the assignee at close, so figures by agent survive reassignment. Imported history gets the
# source system's conversation id, unique per tenant, so a re-run of an import adds nothing.
CSAT_IMPORT = """
CREATE TABLE csat_surveys (
  conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  agent_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  asked_at TEXT NOT NULL,
  rating INTEGER CHECK (rating BETWEEN 1 AND 5),
  comment TEXT,
  rated_at TEXT
);
CREATE INDEX csat_rated ON csat_surveys (tenant_id, rated_at) WHERE rating IS NOT NULL;
CREATE INDEX csat_pending ON csat_surveys (contact_id, asked_at) WHERE rating IS NULL;
ALTER TABLE history ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX history_external ON history (tenant_id, external_id) WHERE external_id IS NOT NULL;
"""

# Outgoing webhooks and API tokens. An endpoint's secret is sealed like channel secrets (it signs every
# delivery, so it must be readable); a delivery is one event for one endpoint (its uid goes out as
# X-Handoff-Delivery on every attempt), its attempts are the log; the retrying is the jobs table's.
# API tokens are kept as SHA-256 hashes only; a revoked one keeps its row so it answers 401 "revoked".
WEBHOOKS_TOKENS = """
CREATE TABLE webhook_endpoints (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, id);

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  uid TEXT NOT NULL UNIQUE,
  event TEXT NOT NULL,
  conversation_id INTEGER,
  body TEXT NOT NULL,
  job_id INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status_code INTEGER,
  last_error TEXT,
  failed_at TEXT,
  delivered_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);

CREATE TABLE webhook_attempts (
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  status_code INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  created_by INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'staff')),
  token_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  last_used_at TEXT,
  revoked_at TEXT
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id, id DESC);
"""

# Email (issue 14): per-user notification preferences (JSON; NULL: everything on), the alert throttle (one
# alert per conversation per member per channel in 10 minutes), one-time password-reset links (the link is an
# HMAC of the row and its nonce: the table alone cannot reset anyone), and the reply recorded on a follow-up.
EMAIL = """
ALTER TABLE users ADD COLUMN notify_prefs TEXT;
CREATE TABLE alert_throttle (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  conversation_id INTEGER NOT NULL,
  channel TEXT NOT NULL,
  sent_at TEXT NOT NULL,
  PRIMARY KEY (user_id, conversation_id, channel)
);
CREATE TABLE password_resets (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  nonce TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
);
CREATE INDEX password_resets_user ON password_resets (user_id);
ALTER TABLE followups ADD COLUMN reply_text TEXT;
ALTER TABLE followups ADD COLUMN reply_via TEXT;
ALTER TABLE followups ADD COLUMN replied_at TEXT;
ALTER TABLE followups ADD COLUMN replied_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
"""

# Routing (handoff/routing/): each agent's availability ('online' or 'away', kept across sign-ins), their cap
# on open assigned conversations (NULL: none) and when auto-assignment last gave them one (the tie-break);
# away_sent marks the conversation whose customer got the away message (once per conversation). The partial
# index is the queue: open conversations waiting for an assignee, oldest first.
ROUTING = """
ALTER TABLE users ADD COLUMN availability TEXT NOT NULL DEFAULT 'online';
ALTER TABLE users ADD COLUMN max_open INTEGER;
ALTER TABLE users ADD COLUMN last_assigned_at TEXT;
ALTER TABLE conversations ADD COLUMN away_sent INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_unassigned ON conversations (tenant_id, created_at, id)
  WHERE status = 'open' AND assignee_id IS NULL;
"""

# Web Push (issue 14): the deployment's one VAPID key pair (id 1; the private key sealed with the channel
# secrets' key) and the browsers staff subscribed, one row per push endpoint.
PUSH = """
CREATE TABLE push_vapid (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  public_key TEXT NOT NULL,
  private_key TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE push_subscriptions (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  endpoint TEXT NOT NULL UNIQUE,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_success_at TEXT
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (tenant_id, user_id);
"""

# Which message an upload is attached to (NULL: not yet, and swept after a day). Uploads already attached
# before this step are found in their messages' attachments JSON.
MEDIA = """
ALTER TABLE uploads ADD COLUMN message_id INTEGER;
UPDATE uploads SET message_id = (
  SELECT m.id FROM messages m, json_each(m.attachments) j
  WHERE m.tenant_id = uploads.tenant_id AND m.attachments IS NOT NULL AND json_extract(j.value, '$.id') = uploads.id
  LIMIT 1
);
CREATE INDEX uploads_unattached ON uploads (created_at) WHERE message_id IS NULL;
"""

# Trust: two-factor sign-in (a TOTP secret sealed like channel secrets, pending until enabled; the last time
# step used, so a code works once; recovery codes stored hashed) and verified visitor identity (the tenant's
# sealed HMAC key; a contact's verified user id, unique per tenant).
TRUST = """
ALTER TABLE users ADD COLUMN mfa_secret TEXT;
ALTER TABLE users ADD COLUMN mfa_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mfa_last_step INTEGER NOT NULL DEFAULT 0;
CREATE TABLE mfa_recovery_codes (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  used_at TEXT,
  UNIQUE (user_id, code_hash)
);
ALTER TABLE tenants ADD COLUMN identity_secret TEXT;
ALTER TABLE contacts ADD COLUMN verified_user_id TEXT;
CREATE UNIQUE INDEX contacts_verified_user ON contacts (tenant_id, verified_user_id) WHERE verified_user_id IS NOT NULL;
"""

# The analytics summary counts only what customers saw (`private = 0`, since private notes): without `private`
# in these indexes every counted message was also read from the table (90 days over 1M messages: 250 ms
# became about 600 ms). With it the counts are read from the indexes alone again.
ANALYTICS_PRIVATE = """
DROP INDEX messages_tenant_sender_created;
CREATE INDEX messages_tenant_sender_created ON messages (tenant_id, sender, created_at, private);
DROP INDEX messages_author;
CREATE INDEX messages_author ON messages (tenant_id, author_id, created_at, sender, conversation_id, private)
  WHERE author_id IS NOT NULL;
"""
