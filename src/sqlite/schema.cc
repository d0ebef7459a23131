#include "sqlite/schema.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include <array>
#include <string>

#include "internal/macros.h"
#include "omni/normalize.h"

namespace omni::sqlite {
namespace {

struct Migration {
  const char* description;
  const char* sql;
  // What SQL cannot do (a value computed in C++, e.g. with ICU): run right after `sql`, in the
  // same transaction. Optional.
  Status (*after)(Connection& connection) = nullptr;
};

// Schema version 2 keeps customer_name_key(display_name) beside each customer; fills it in for
// the customers written before. Customers whose key is empty keep the column's default.
Status backfill_customer_name_keys(Connection& connection) {
  OMNI_ASSIGN_OR_RETURN(Statement customers,
                        connection.prepare("SELECT id, display_name FROM customers ORDER BY id"));
  for (;;) {
    OMNI_ASSIGN_OR_RETURN(bool row, customers.step("reading customer names"));
    if (!row) return Status::ok_status();
    const std::string name_key = customer_name_key(customers.column_text(1));
    if (name_key.empty()) continue;
    // Updating a column that is not the rowid leaves the scan above undisturbed. A fresh borrow
    // per row: the statement resets when it goes out of scope, ready for the next bindings.
    OMNI_ASSIGN_OR_RETURN(Statement update,
                          connection.prepare("UPDATE customers SET name_key = ? WHERE id = ?"));
    update.bind_text(1, name_key).bind_int64(2, customers.column_int64(0));
    OMNI_RETURN_IF_ERROR(update.run("storing a customer's name key"));
  }
}

// Forward migrations, applied in order; migration i brings user_version from i to i + 1. Never
// edit a released step: append a new one.
//
// Conventions: every record carries tenant_id, and references between records are composite
// (tenant_id, x_id) foreign keys onto UNIQUE (tenant_id, id), so a record can never point into
// another tenant. Timestamps are INTEGER unix microseconds, optional values NULL, enums their
// stable names (src/names.cc), lists and maps JSON text.
constexpr std::array kMigrations{
    Migration{"initial schema", R"sql(
CREATE TABLE tenants (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL UNIQUE,
  default_region TEXT NOT NULL,
  created_at     INTEGER NOT NULL
);

CREATE TABLE channels (
  id                          INTEGER PRIMARY KEY,
  tenant_id                   INTEGER NOT NULL REFERENCES tenants (id),
  kind                        TEXT NOT NULL,
  name                        TEXT NOT NULL,
  synchronous                 INTEGER NOT NULL,
  expected_first_response_s   INTEGER NOT NULL,
  length_rule                 TEXT NOT NULL,
  max_length                  INTEGER NOT NULL,
  max_parts                   INTEGER NOT NULL,
  formality                   TEXT NOT NULL,
  supports_attachments        INTEGER NOT NULL,
  secure                      INTEGER NOT NULL,
  created_at                  INTEGER NOT NULL,
  UNIQUE (tenant_id, name),
  UNIQUE (tenant_id, id)
);

CREATE TABLE agents (
  id          INTEGER PRIMARY KEY,
  tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL,
  presence    TEXT NOT NULL,
  teams       TEXT NOT NULL,  -- JSON array of strings
  skills      TEXT NOT NULL,  -- JSON array of strings
  languages   TEXT NOT NULL,  -- JSON array of strings
  created_at  INTEGER NOT NULL,
  UNIQUE (tenant_id, name),
  UNIQUE (tenant_id, id)
);

CREATE TABLE customers (
  id            INTEGER PRIMARY KEY,
  tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
  display_name  TEXT NOT NULL,
  attributes    TEXT NOT NULL,  -- JSON object of strings
  merged_into   INTEGER,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, merged_into) REFERENCES customers (tenant_id, id)
);

CREATE TABLE identities (
  id           INTEGER PRIMARY KEY,
  tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
  customer_id  INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  scope        TEXT NOT NULL,
  value        TEXT NOT NULL,
  verified     INTEGER NOT NULL,
  source       TEXT NOT NULL,
  first_seen   INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL,
  UNIQUE (tenant_id, kind, scope, value),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE INDEX identities_by_customer ON identities (tenant_id, customer_id);

CREATE TABLE conversations (
  id                  INTEGER PRIMARY KEY,
  tenant_id           INTEGER NOT NULL REFERENCES tenants (id),
  customer_id         INTEGER NOT NULL,
  status              TEXT NOT NULL,
  priority            TEXT NOT NULL,
  assignee_id         INTEGER,
  team                TEXT NOT NULL,
  subject             TEXT NOT NULL,
  origin_channel_id   INTEGER,
  current_channel_id  INTEGER,
  opened_at           INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  first_response_at   INTEGER,
  last_inbound_at     INTEGER,
  last_outbound_at    INTEGER,
  resolved_at         INTEGER,
  closed_at           INTEGER,
  reopen_count        INTEGER NOT NULL,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
  FOREIGN KEY (tenant_id, assignee_id) REFERENCES agents (tenant_id, id),
  FOREIGN KEY (tenant_id, origin_channel_id) REFERENCES channels (tenant_id, id),
  FOREIGN KEY (tenant_id, current_channel_id) REFERENCES channels (tenant_id, id)
);
-- At most one active conversation per customer; a second one is a UNIQUE violation.
CREATE UNIQUE INDEX conversations_one_active ON conversations (tenant_id, customer_id)
  WHERE status IN ('open', 'pending');
CREATE INDEX conversations_by_customer ON conversations (tenant_id, customer_id, opened_at, id);
CREATE INDEX conversations_last_resolved ON conversations (tenant_id, customer_id, resolved_at, id)
  WHERE status = 'resolved';

CREATE TABLE handoffs (
  id               INTEGER PRIMARY KEY,
  tenant_id        INTEGER NOT NULL REFERENCES tenants (id),
  conversation_id  INTEGER NOT NULL,
  kind             TEXT NOT NULL,
  mode             TEXT NOT NULL,
  from_channel_id  INTEGER,
  to_channel_id    INTEGER,
  from_agent_id    INTEGER,
  to_agent_id      INTEGER,
  from_team        TEXT NOT NULL,
  to_team          TEXT NOT NULL,
  reason           TEXT NOT NULL,
  context          TEXT NOT NULL,  -- encode_context_packet()
  created_at       INTEGER NOT NULL,
  acknowledged_at  INTEGER,
  acknowledged_by  INTEGER,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),
  FOREIGN KEY (tenant_id, from_channel_id) REFERENCES channels (tenant_id, id),
  FOREIGN KEY (tenant_id, to_channel_id) REFERENCES channels (tenant_id, id),
  FOREIGN KEY (tenant_id, from_agent_id) REFERENCES agents (tenant_id, id),
  FOREIGN KEY (tenant_id, to_agent_id) REFERENCES agents (tenant_id, id),
  FOREIGN KEY (tenant_id, acknowledged_by) REFERENCES agents (tenant_id, id)
);
CREATE INDEX handoffs_by_conversation ON handoffs (tenant_id, conversation_id);

CREATE TABLE touchpoints (
  id                   INTEGER PRIMARY KEY,
  tenant_id            INTEGER NOT NULL REFERENCES tenants (id),
  customer_id          INTEGER NOT NULL,
  conversation_id      INTEGER,
  channel_id           INTEGER,
  channel_kind         TEXT NOT NULL,
  kind                 TEXT NOT NULL,
  agent_id             INTEGER,
  handoff_id           INTEGER,
  subject              TEXT NOT NULL,
  body                 TEXT NOT NULL,
  attachments          TEXT NOT NULL,  -- JSON array of objects
  metadata             TEXT NOT NULL,  -- JSON object of strings
  provider_message_id  TEXT NOT NULL,
  delivery             TEXT NOT NULL,
  occurred_at          INTEGER NOT NULL,
  recorded_at          INTEGER NOT NULL,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
  FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),
  FOREIGN KEY (tenant_id, channel_id) REFERENCES channels (tenant_id, id),
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id),
  FOREIGN KEY (tenant_id, handoff_id) REFERENCES handoffs (tenant_id, id)
);
-- The idempotency key of inbound messages: a webhook retried twice is stored once.
CREATE UNIQUE INDEX touchpoints_provider_message
  ON touchpoints (tenant_id, channel_id, provider_message_id)
  WHERE provider_message_id <> '' AND channel_id IS NOT NULL;
-- Timeline pages are range scans on (occurred_at, id) within a customer or a conversation.
CREATE INDEX touchpoints_customer_timeline
  ON touchpoints (tenant_id, customer_id, occurred_at, id);
CREATE INDEX touchpoints_conversation_timeline
  ON touchpoints (tenant_id, conversation_id, occurred_at, id);

-- The outbox: one B-tree ordered by (tenant, sequence), so appending an event writes one page and
-- a consumer's read is a range scan. Sequences are per tenant: max + 1 at insert, and
-- BEGIN IMMEDIATE serializes writers, so they increase in commit order. Whatever prunes the
-- outbox must keep each tenant's newest event, or its sequence would be handed out again.
CREATE TABLE events (
  tenant_id        INTEGER NOT NULL REFERENCES tenants (id),
  sequence         INTEGER NOT NULL,
  customer_id      INTEGER,
  conversation_id  INTEGER,
  type             TEXT NOT NULL,
  payload          TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, sequence)
) WITHOUT ROWID;
)sql"},
    Migration{"customer merges", R"sql(
-- customer_name_key(display_name) (omni/normalize.h), written by the store and filled in for
-- existing customers after this script; empty when the name says too little to compare.
ALTER TABLE customers ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
CREATE INDEX customers_by_name_key ON customers (tenant_id, name_key) WHERE name_key <> '';

-- A customer may have several active conversations now (those that came with a merged
-- customer), but at most one joinable one: new contact has exactly one place to go.
ALTER TABLE conversations ADD COLUMN joinable INTEGER NOT NULL DEFAULT 1;
ALTER TABLE conversations ADD COLUMN merged_into INTEGER;  -- a conversation id of the tenant
DROP INDEX conversations_one_active;
CREATE UNIQUE INDEX conversations_one_joinable ON conversations (tenant_id, customer_id)
  WHERE status IN ('open', 'pending') AND joinable = 1;
CREATE INDEX conversations_active ON conversations (tenant_id, customer_id, opened_at, id)
  WHERE status IN ('open', 'pending');

-- Every inbound message looks its sender up by (tenant, kind, scope, value). Keeping the rows in
-- that key's B-tree (WITHOUT ROWID) makes the lookup one descent instead of an index and then
-- the table, which is what keeps it flat at millions of identities. The id stays unique and is
-- assigned by the store as one past the largest.
CREATE TABLE identities_v2 (
  tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
  kind         TEXT NOT NULL,
  scope        TEXT NOT NULL,
  value        TEXT NOT NULL,
  id           INTEGER NOT NULL,
  customer_id  INTEGER NOT NULL,
  verified     INTEGER NOT NULL,
  source       TEXT NOT NULL,
  first_seen   INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, kind, scope, value),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
) WITHOUT ROWID;
INSERT INTO identities_v2 (tenant_id, kind, scope, value, id, customer_id, verified, source,
                           first_seen, last_seen)
  SELECT tenant_id, kind, scope, value, id, customer_id, verified, source, first_seen, last_seen
  FROM identities;
DROP TABLE identities;
ALTER TABLE identities_v2 RENAME TO identities;
-- A customer's identities in id order (list_identities) straight from the index.
CREATE INDEX identities_by_customer ON identities (tenant_id, customer_id, id);

-- The identity an inbound touchpoint came from (an identity id of the tenant).
ALTER TABLE touchpoints ADD COLUMN identity_id INTEGER;

CREATE TABLE merges (
  id                 INTEGER PRIMARY KEY,
  tenant_id          INTEGER NOT NULL REFERENCES tenants (id),
  survivor_id        INTEGER NOT NULL,
  merged_id          INTEGER NOT NULL,
  actor              TEXT NOT NULL,
  reason             TEXT NOT NULL,
  merged_at          INTEGER NOT NULL,
  conflicts          TEXT NOT NULL,  -- JSON array of {key, survivor_value, merged_value}
  copied_attributes  TEXT NOT NULL,  -- JSON array of strings
  unmerged_at        INTEGER,
  unmerged_by        TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, survivor_id) REFERENCES customers (tenant_id, id),
  FOREIGN KEY (tenant_id, merged_id) REFERENCES customers (tenant_id, id)
);
CREATE INDEX merges_by_survivor ON merges (tenant_id, survivor_id);
CREATE INDEX merges_by_merged ON merges (tenant_id, merged_id);

-- The records a merge moved from the merged customer to the survivor, so an unmerge can give
-- them back. kind: 'identity', 'conversation' or 'touchpoint'; record_id: that record's id.
CREATE TABLE merge_moves (
  tenant_id  INTEGER NOT NULL,
  merge_id   INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  record_id  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, merge_id, kind, record_id),
  FOREIGN KEY (tenant_id, merge_id) REFERENCES merges (tenant_id, id)
) WITHOUT ROWID;

-- The transactional outbox of outbound messages: a row from the transaction that records a reply
-- until the one that records the provider's acceptance or the final failure. next_attempt_at is
-- the retry time, or the end of the sending engine's lease.
CREATE TABLE pending_deliveries (
  tenant_id        INTEGER NOT NULL REFERENCES tenants (id),
  touchpoint_id    INTEGER NOT NULL,  -- the outbound touchpoint of the tenant
  channel_id       INTEGER NOT NULL,
  attempts         INTEGER NOT NULL,
  next_attempt_at  INTEGER NOT NULL,
  last_error       TEXT NOT NULL,
  PRIMARY KEY (tenant_id, touchpoint_id),
  FOREIGN KEY (tenant_id, channel_id) REFERENCES channels (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX pending_deliveries_due ON pending_deliveries (tenant_id, next_attempt_at);

-- A channel follows its tenant's profile for its kind (or the default) unless it has its own.
ALTER TABLE channels ADD COLUMN own_profile INTEGER NOT NULL DEFAULT 0;
CREATE TABLE tenant_profiles (
  tenant_id                  INTEGER NOT NULL REFERENCES tenants (id),
  kind                       TEXT NOT NULL,
  synchronous                INTEGER NOT NULL,
  expected_first_response_s  INTEGER NOT NULL,
  length_rule                TEXT NOT NULL,
  max_length                 INTEGER NOT NULL,
  max_parts                  INTEGER NOT NULL,
  formality                  TEXT NOT NULL,
  supports_attachments       INTEGER NOT NULL,
  secure                     INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, kind)
) WITHOUT ROWID;
)sql",
              &backfill_customer_name_keys},
    Migration{"routing", R"sql(
-- Agents' capacity per routing class ('sync', 'async'), their load and when routing last picked
-- them. load_* is never written by the store's code: the triggers on conversations below keep it
-- equal to the number of active ('open', 'pending') conversations of the class that the agent is
-- the assignee of, plus those offered to the agent. last_routed_at 0: never.
ALTER TABLE agents ADD COLUMN capacity_sync INTEGER NOT NULL DEFAULT 1;
ALTER TABLE agents ADD COLUMN capacity_async INTEGER NOT NULL DEFAULT 5;
ALTER TABLE agents ADD COLUMN load_sync INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN load_async INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN last_routed_at INTEGER NOT NULL DEFAULT 0;

-- list_routable_agents: per class and strategy, the agents with a free slot in the strategy's
-- order, one range of one partial index.
CREATE INDEX agents_least_loaded_sync ON agents (tenant_id, load_sync, last_routed_at, id)
  WHERE presence = 'available' AND load_sync < capacity_sync;
CREATE INDEX agents_least_loaded_async ON agents (tenant_id, load_async, last_routed_at, id)
  WHERE presence = 'available' AND load_async < capacity_async;
CREATE INDEX agents_round_robin_sync ON agents (tenant_id, last_routed_at, id)
  WHERE presence = 'available' AND load_sync < capacity_sync;
CREATE INDEX agents_round_robin_async ON agents (tenant_id, last_routed_at, id)
  WHERE presence = 'available' AND load_async < capacity_async;

-- Conversations gain their routing state. ALTER TABLE cannot add the composite foreign keys of
-- offered_to and preferred_agent, so the table is rebuilt (foreign keys are off while migrating).
CREATE TABLE conversations_v3 (
  id                  INTEGER PRIMARY KEY,
  tenant_id           INTEGER NOT NULL REFERENCES tenants (id),
  customer_id         INTEGER NOT NULL,
  status              TEXT NOT NULL,
  priority            TEXT NOT NULL,
  -- The queue's order: urgent first.
  priority_rank       INTEGER NOT NULL GENERATED ALWAYS AS (
                        CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1
                                      WHEN 'normal' THEN 2 ELSE 3 END) VIRTUAL,
  assignee_id         INTEGER,
  team                TEXT NOT NULL,
  subject             TEXT NOT NULL,
  origin_channel_id   INTEGER,
  current_channel_id  INTEGER,
  opened_at           INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  first_response_at   INTEGER,
  last_inbound_at     INTEGER,
  last_outbound_at    INTEGER,
  resolved_at         INTEGER,
  closed_at           INTEGER,
  reopen_count        INTEGER NOT NULL,
  joinable            INTEGER NOT NULL DEFAULT 1,
  merged_into         INTEGER,  -- a conversation id of the tenant
  routing_class       TEXT NOT NULL,  -- 'sync' or 'async'
  skills              TEXT NOT NULL,  -- JSON array of strings
  language            TEXT NOT NULL,
  queued_at           INTEGER,
  offered_to          INTEGER,
  offer_expires_at    INTEGER,
  passed_over         TEXT NOT NULL,  -- JSON array of agent ids
  preferred_agent     INTEGER,
  sticky_until        INTEGER,
  sla                 TEXT NOT NULL,  -- encode_sla_state()
  next_timer_at       INTEGER,
  handoff_count       INTEGER NOT NULL,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
  FOREIGN KEY (tenant_id, assignee_id) REFERENCES agents (tenant_id, id),
  FOREIGN KEY (tenant_id, origin_channel_id) REFERENCES channels (tenant_id, id),
  FOREIGN KEY (tenant_id, current_channel_id) REFERENCES channels (tenant_id, id),
  FOREIGN KEY (tenant_id, offered_to) REFERENCES agents (tenant_id, id),
  FOREIGN KEY (tenant_id, preferred_agent) REFERENCES agents (tenant_id, id)
);
-- Existing conversations: the class of their current channel, in the queue since they opened
-- when open without an assignee, their handoffs counted, no SLA state.
INSERT INTO conversations_v3 (
  id, tenant_id, customer_id, status, priority, assignee_id, team, subject, origin_channel_id,
  current_channel_id, opened_at, updated_at, first_response_at, last_inbound_at,
  last_outbound_at, resolved_at, closed_at, reopen_count, joinable, merged_into, routing_class,
  skills, language, queued_at, passed_over, sla, handoff_count)
SELECT
  c.id, c.tenant_id, c.customer_id, c.status, c.priority, c.assignee_id, c.team, c.subject,
  c.origin_channel_id, c.current_channel_id, c.opened_at, c.updated_at, c.first_response_at,
  c.last_inbound_at, c.last_outbound_at, c.resolved_at, c.closed_at, c.reopen_count, c.joinable,
  c.merged_into,
  CASE WHEN (SELECT ch.synchronous FROM channels AS ch
             WHERE ch.tenant_id = c.tenant_id AND ch.id = c.current_channel_id) = 1
       THEN 'sync' ELSE 'async' END,
  '[]', '',
  CASE WHEN c.status = 'open' AND c.assignee_id IS NULL THEN c.opened_at END,
  '[]', '{}',
  (SELECT count(*) FROM handoffs AS h WHERE h.tenant_id = c.tenant_id AND h.conversation_id = c.id)
FROM conversations AS c;
DROP TABLE conversations;
ALTER TABLE conversations_v3 RENAME TO conversations;
CREATE UNIQUE INDEX conversations_one_joinable ON conversations (tenant_id, customer_id)
  WHERE status IN ('open', 'pending') AND joinable = 1;
CREATE INDEX conversations_active ON conversations (tenant_id, customer_id, opened_at, id)
  WHERE status IN ('open', 'pending');
CREATE INDEX conversations_by_customer ON conversations (tenant_id, customer_id, opened_at, id);
CREATE INDEX conversations_last_resolved ON conversations (tenant_id, customer_id, resolved_at, id)
  WHERE status = 'resolved';
-- The queue (list_waiting_conversations): waiting conversations, i.e. open, without an assignee
-- and not offered, per class by (priority, queued_at, id).
CREATE INDEX conversations_queue
  ON conversations (tenant_id, routing_class, priority_rank, queued_at, id)
  WHERE status = 'open' AND assignee_id IS NULL AND offered_to IS NULL;
-- Waiting conversations reserved for their preferred agent (list_reserved_conversations), in the
-- queue's order; sticky_until is filtered in the index.
CREATE INDEX conversations_reserved
  ON conversations (tenant_id, preferred_agent, priority_rank, queued_at, id, sticky_until)
  WHERE status = 'open' AND assignee_id IS NULL AND offered_to IS NULL
    AND preferred_agent IS NOT NULL;
-- Outstanding offers per agent (list_offered_conversations).
CREATE INDEX conversations_offered ON conversations (tenant_id, offered_to, id)
  WHERE offered_to IS NOT NULL;
-- Timers (list_due_conversations, next_timer).
CREATE INDEX conversations_timers ON conversations (tenant_id, next_timer_at, id)
  WHERE next_timer_at IS NOT NULL;

-- The loads of the conversations already there (none is offered yet).
UPDATE agents SET load_sync = held.sync, load_async = held.async
FROM (SELECT tenant_id, assignee_id, sum(routing_class = 'sync') AS sync,
             sum(routing_class = 'async') AS async
      FROM conversations
      WHERE status IN ('open', 'pending') AND assignee_id IS NOT NULL
      GROUP BY tenant_id, assignee_id) AS held
WHERE agents.tenant_id = held.tenant_id AND agents.id = held.assignee_id;

-- From now on the loads follow the conversations. A conversation holds one slot of its class for
-- its assignee and one for the agent it is offered to while it is active. The update trigger
-- fires only for updates that set one of the columns the slots depend on and change whether or
-- whose slots the conversation holds; the updates of an incoming message or a reply do not.
CREATE TRIGGER conversations_load_insert AFTER INSERT ON conversations
WHEN NEW.status IN ('open', 'pending')
  AND (NEW.assignee_id IS NOT NULL OR NEW.offered_to IS NOT NULL)
BEGIN
  UPDATE agents SET
    load_sync = load_sync
      + (NEW.routing_class = 'sync') * ((id IS NEW.assignee_id) + (id IS NEW.offered_to)),
    load_async = load_async
      + (NEW.routing_class = 'async') * ((id IS NEW.assignee_id) + (id IS NEW.offered_to))
  WHERE tenant_id = NEW.tenant_id AND id IN (NEW.assignee_id, NEW.offered_to);
END;
CREATE TRIGGER conversations_load_update
AFTER UPDATE OF status, assignee_id, offered_to, routing_class ON conversations
WHEN (OLD.status IN ('open', 'pending')) <> (NEW.status IN ('open', 'pending'))
  OR OLD.assignee_id IS NOT NEW.assignee_id OR OLD.offered_to IS NOT NEW.offered_to
  OR OLD.routing_class <> NEW.routing_class
BEGIN
  UPDATE agents SET
    load_sync = load_sync
      - (OLD.routing_class = 'sync') * ((id IS OLD.assignee_id) + (id IS OLD.offered_to)),
    load_async = load_async
      - (OLD.routing_class = 'async') * ((id IS OLD.assignee_id) + (id IS OLD.offered_to))
  WHERE OLD.status IN ('open', 'pending') AND tenant_id = OLD.tenant_id
    AND id IN (OLD.assignee_id, OLD.offered_to);
  UPDATE agents SET
    load_sync = load_sync
      + (NEW.routing_class = 'sync') * ((id IS NEW.assignee_id) + (id IS NEW.offered_to)),
    load_async = load_async
      + (NEW.routing_class = 'async') * ((id IS NEW.assignee_id) + (id IS NEW.offered_to))
  WHERE NEW.status IN ('open', 'pending') AND tenant_id = NEW.tenant_id
    AND id IN (NEW.assignee_id, NEW.offered_to);
END;
-- The store never deletes a conversation; should anything else, the loads stay right.
CREATE TRIGGER conversations_load_delete AFTER DELETE ON conversations
WHEN OLD.status IN ('open', 'pending')
  AND (OLD.assignee_id IS NOT NULL OR OLD.offered_to IS NOT NULL)
BEGIN
  UPDATE agents SET
    load_sync = load_sync
      - (OLD.routing_class = 'sync') * ((id IS OLD.assignee_id) + (id IS OLD.offered_to)),
    load_async = load_async
      - (OLD.routing_class = 'async') * ((id IS OLD.assignee_id) + (id IS OLD.offered_to))
  WHERE tenant_id = OLD.tenant_id AND id IN (OLD.assignee_id, OLD.offered_to);
END;

-- Small per-tenant documents of the engine (routing and SLA policies), by key.
CREATE TABLE settings (
  tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;
)sql"},
    Migration{"customer context", R"sql(
-- How the customer wants to be contacted (ContactPreferences as JSON; '{}' = nothing said).
ALTER TABLE customers ADD COLUMN preferences TEXT NOT NULL DEFAULT '{}';

-- Two new channel traits; existing rows get the defaults of their kind.
ALTER TABLE channels ADD COLUMN requires_consent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN cost_per_unit REAL NOT NULL DEFAULT 0;
ALTER TABLE tenant_profiles ADD COLUMN requires_consent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenant_profiles ADD COLUMN cost_per_unit REAL NOT NULL DEFAULT 0;
UPDATE channels SET requires_consent = 1, cost_per_unit = 1 WHERE kind IN ('sms', 'whatsapp');
UPDATE channels SET cost_per_unit = 20 WHERE kind = 'letter';
UPDATE tenant_profiles SET requires_consent = 1, cost_per_unit = 1
  WHERE kind IN ('sms', 'whatsapp');
UPDATE tenant_profiles SET cost_per_unit = 20 WHERE kind = 'letter';

-- Consent per address and channel kind. It belongs to the identity, so it follows the identity
-- through merges. put_consent inserts only for an identity of the same tenant.
CREATE TABLE consents (
  tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
  identity_id  INTEGER NOT NULL REFERENCES identities (id),
  channel_kind TEXT NOT NULL,
  state        TEXT NOT NULL,
  source       TEXT NOT NULL,
  evidence     TEXT NOT NULL,
  changed_at   INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, identity_id, channel_kind)
) WITHOUT ROWID;
)sql"},
    Migration{"knowledge base", R"sql(
-- Knowledge-base articles; the slug is the host's key, unique per tenant. title_alt and
-- body_alt hold search_alternates(title) and search_alternates(body) (omni/knowledge.h: other
-- spellings of words with umlauts or ß), computed by the store when it writes the row.
-- AUTOINCREMENT: a removed article's id is never handed out again (touchpoints name it).
CREATE TABLE articles (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
  slug        TEXT NOT NULL,
  language    TEXT NOT NULL,
  title       TEXT NOT NULL,
  body        TEXT NOT NULL,
  tags        TEXT NOT NULL,  -- JSON array of strings
  published   INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  title_alt   TEXT NOT NULL,
  body_alt    TEXT NOT NULL,
  UNIQUE (tenant_id, slug),
  UNIQUE (tenant_id, id)
);
-- The full-text index over the articles (external content: the text lives once, in articles).
-- unicode61 with remove_diacritics 2 folds case and diacritics ("Rückerstattung" ->
-- "ruckerstattung"); the *_alt columns add the spellings it cannot ("strasse", "rueck...").
-- The triggers keep it in step with every write of articles.
CREATE VIRTUAL TABLE articles_fts USING fts5(
  title, body, title_alt, body_alt,
  content = 'articles', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts (rowid, title, body, title_alt, body_alt)
    VALUES (new.id, new.title, new.body, new.title_alt, new.body_alt);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body, title_alt, body_alt)
    VALUES ('delete', old.id, old.title, old.body, old.title_alt, old.body_alt);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body, title_alt, body_alt ON articles
BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body, title_alt, body_alt)
    VALUES ('delete', old.id, old.title, old.body, old.title_alt, old.body_alt);
  INSERT INTO articles_fts (rowid, title, body, title_alt, body_alt)
    VALUES (new.id, new.title, new.body, new.title_alt, new.body_alt);
END;

-- Deflection (count_deflection) needs no index of its own: self-service touchpoints are those
-- outside any conversation, a range of touchpoints_conversation_timeline (tenant_id,
-- conversation_id IS NULL, occurred_at); the follow-up check is a range of
-- conversations_by_customer (tenant_id, customer_id, opened_at).
)sql"},
    Migration{"csat", R"sql(
-- Customer satisfaction: one current survey answer per conversation (a later one replaces it).
-- customer_id is the conversation's customer when it was answered (a merge does not rewrite it);
-- agent_id the agent rated. Summaries (summarize_csat) are a range of csat_by_time.
CREATE TABLE csat_responses (
  tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
  conversation_id INTEGER NOT NULL,
  customer_id     INTEGER NOT NULL,
  agent_id        INTEGER,
  score           INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment         TEXT NOT NULL,
  channel_kind    TEXT NOT NULL,
  responded_at    INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id),
  FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX csat_by_time ON csat_responses (tenant_id, responded_at);
)sql"},
    Migration{"metrics", R"sql(
-- Metrics (compute_metrics) scan one range per report bucket: touchpoints by time, covering what
-- the inbound volume counts, and conversations by opened_at. The first-contact check of a
-- resolved conversation is a range of conversations_by_customer (tenant_id, customer_id,
-- opened_at); its channel switches a range of handoffs_by_conversation.
CREATE INDEX touchpoints_by_time
  ON touchpoints (tenant_id, occurred_at, kind, channel_kind, conversation_id);
CREATE INDEX conversations_by_opened ON conversations (tenant_id, opened_at);
)sql"},
    Migration{"agent activity", R"sql(
-- The agents' activity log (AgentActivity): presence and load from `at` until the agent's next
-- entry, appended by the engine; occupancy (compute_metrics) reads, per agent, the entry in force
-- at a bucket's start and the entries inside it, a range of agent_activity_by_agent. Entries of
-- one agent with the same `at` apply in id order.
CREATE TABLE agent_activity (
  id          INTEGER PRIMARY KEY,
  tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
  agent_id    INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  presence    TEXT NOT NULL,
  load_sync   INTEGER NOT NULL,
  load_async  INTEGER NOT NULL,
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id)
);
CREATE INDEX agent_activity_by_agent ON agent_activity (tenant_id, agent_id, at, id);
-- The agents of an older database start their log at the upgrade (wall clock).
INSERT INTO agent_activity (tenant_id, agent_id, at, presence, load_sync, load_async)
  SELECT tenant_id, id, CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER),
         presence, load_sync, load_async FROM agents;
)sql"},
};

struct FileState {
  std::int64_t application_id = 0;
  std::int64_t user_version = 0;
  std::int64_t schema_objects = 0;
};

Result<FileState> read_file_state(Connection& connection) {
  FileState state;
  // The first read of the header is where a file that is not SQLite fails (SQLITE_NOTADB).
  OMNI_ASSIGN_OR_RETURN(state.application_id,
                        connection.query_int64("PRAGMA application_id", "reading application_id"));
  OMNI_ASSIGN_OR_RETURN(state.user_version,
                        connection.query_int64("PRAGMA user_version", "reading user_version"));
  OMNI_ASSIGN_OR_RETURN(
      state.schema_objects,
      connection.query_int64("SELECT count(*) FROM sqlite_master", "reading the schema"));
  return state;
}

// Fails unless the file is empty or an omni database this library can use.
Status check_file_state(const FileState& state) {
  if (state.application_id == 0 && state.user_version == 0 && state.schema_objects == 0) {
    return Status::ok_status();  // a new, empty database
  }
  if (state.application_id != kApplicationId) {
    return Status::corruption(fmt::format(
        "sqlite: not an omni database (application_id {:#x}, user_version {}, {} schema objects)",
        state.application_id, state.user_version, state.schema_objects));
  }
  if (state.user_version > schema_version()) {
    return Status::failed_precondition(
        fmt::format("sqlite: the database has schema version {}, newer than this library's {}",
                    state.user_version, schema_version()));
  }
  if (state.user_version < 0) {
    return Status::corruption(
        fmt::format("sqlite: invalid schema version {} in an omni database", state.user_version));
  }
  return Status::ok_status();
}

}  // namespace

int schema_version() {
  return static_cast<int>(kMigrations.size());
}

Status prepare_database(Connection& connection, std::chrono::milliseconds busy_timeout) {
  // Check before anything writes: a foreign or newer file must stay exactly as it was. The three
  // reads share one read transaction, so another process's migration is seen whole or not at all.
  {
    OMNI_ASSIGN_OR_RETURN(Transaction snapshot, Transaction::begin(connection, false));
    OMNI_ASSIGN_OR_RETURN(FileState state, read_file_state(connection));
    OMNI_RETURN_IF_ERROR(check_file_state(state));
  }
  // journal_mode is persistent in the file and cannot change inside a transaction. The switch
  // needs every other connection's lock released and fails at once with SQLITE_BUSY otherwise
  // (SQLite does not call the busy handler here), so it is retried with a short back-off.
  const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
  std::string journal_mode;
  for (auto pause = std::chrono::milliseconds(1);;
       pause = std::min(pause * 2, std::chrono::milliseconds(50))) {
    auto switched = connection.query_text("PRAGMA journal_mode = WAL", "enabling WAL");
    if (switched.ok()) {
      journal_mode = *switched;
      break;
    }
    if (!switched.status().is(StatusCode::kConflict) ||
        std::chrono::steady_clock::now() + pause > deadline) {
      return switched.status();
    }
    std::this_thread::sleep_for(pause);
  }
  if (journal_mode != "wal") {
    return Status::io_error(fmt::format(
        "sqlite: could not switch the database to WAL (journal_mode is {})", journal_mode));
  }

  // Another process may be migrating the same file: take the write lock, then look again.
  OMNI_ASSIGN_OR_RETURN(Transaction transaction, Transaction::begin(connection, true));
  OMNI_ASSIGN_OR_RETURN(FileState state, read_file_state(connection));
  OMNI_RETURN_IF_ERROR(check_file_state(state));
  if (state.user_version == schema_version()) return Status::ok_status();  // rolls back: no-op

  for (auto version = state.user_version; version < schema_version(); ++version) {
    const Migration& migration = kMigrations[static_cast<std::size_t>(version)];
    OMNI_RETURN_IF_ERROR(connection.execute_script(
        migration.sql,
        fmt::format("migrating to schema version {} ({})", version + 1, migration.description)));
    if (migration.after != nullptr) OMNI_RETURN_IF_ERROR(migration.after(connection));
  }
  {
    // Migrations run with foreign keys off (the pragma is a no-op inside a transaction), so check
    // them explicitly before committing.
    OMNI_ASSIGN_OR_RETURN(Statement check, connection.prepare("PRAGMA foreign_key_check"));
    OMNI_ASSIGN_OR_RETURN(bool violation, check.step("checking foreign keys after migrating"));
    if (violation) {
      return Status::corruption(fmt::format(
          "sqlite: foreign key violation in table {} after migrating", check.column_text(0)));
    }
  }
  OMNI_RETURN_IF_ERROR(
      connection.execute_script(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};",
                                            kApplicationId, schema_version()),
                                "recording the schema version"));
  return transaction.commit();
}

}  // namespace omni::sqlite
