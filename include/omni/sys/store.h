// omni/sys/store.h — the persistence interface, for people who write storage backends.
//
// omni ships MemoryStore (omni/memory_store.h) and SqliteStore (omni/sqlite_store.h); a host may
// implement its own and check it with the conformance suite (omni/testing/conformance.h).
//
// Model: the engine opens one StoreTransaction per operation, does all reads and writes of that
// operation through it, and commits. A transaction that is destroyed without a successful
// commit() is rolled back: none of its writes become visible. Several host processes may share
// one database (PostgreSQL), so every uniqueness rule below is a rule of the store (a unique
// constraint), not of the caller; the engine reacts to kAlreadyExists and kConflict by rolling
// back and retrying the whole operation.
//
// Thread-safety: Store::begin() must be callable from many threads at once. One transaction is
// used by one thread at a time and must not outlive its store. A thread holds at most one open
// transaction (the engine never nests them), so a store may block begin() until others finish.
//
// Tenancy: every read takes the tenant and must never return a record of another tenant; a
// record of another tenant is kNotFound.
//
// Errors: return kNotFound for a missing record (also when a write refers to a record that does
// not exist in the tenant, e.g. a touchpoint of an unknown customer), kAlreadyExists for a violated
// uniqueness rule, kConflict when a concurrent transaction forced this one to abort (busy,
// serialization failure, deadlock), kIoError / kCorruption / kUnavailable for storage failures.
// Methods must not throw; the engine nevertheless converts an escaping exception into kInternal.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "omni/agent.h"
#include "omni/channel.h"
#include "omni/clock.h"
#include "omni/contact.h"
#include "omni/conversation.h"
#include "omni/csat.h"
#include "omni/customer.h"
#include "omni/event.h"
#include "omni/export.h"
#include "omni/handoff.h"
#include "omni/ids.h"
#include "omni/knowledge.h"
#include "omni/merge.h"
#include "omni/metrics.h"
#include "omni/routing.h"
#include "omni/status.h"
#include "omni/touchpoint.h"

namespace omni {

enum class TransactionMode {
  kRead,   // reads only; may run beside other readers and one writer
  kWrite,  // reads and writes; writers are serialized or conflict-checked by the store
};

enum class TimelineDirection {
  kOlder,  // from the cursor (exclusive) towards the past; newest first
  kNewer,  // from the cursor (exclusive) towards the present; oldest first
};

// A position in a timeline: touchpoints are ordered by (occurred_at, id).
struct TimelineCursor {
  Timestamp occurred_at;
  TouchpointId touchpoint;
};

struct TouchpointQuery {
  TenantId tenant;
  CustomerId customer;                         // required
  std::optional<ConversationId> conversation;  // only this conversation's touchpoints
  std::optional<TouchpointKind> kind;          // only this kind (e.g. kNote)
  std::optional<TimelineCursor> after;         // exclusive; absent = from the newest (kOlder)
                                               // or the oldest (kNewer) end
  TimelineDirection direction = TimelineDirection::kOlder;
  std::size_t limit = 50;
};

// An outbound message still to be handed to its channel's adapter: the transactional outbox of
// deliveries. Written in the transaction that records the reply; removed in the one that records
// the provider's acceptance or the final failure.
struct PendingDelivery {
  TenantId tenant;
  TouchpointId touchpoint;  // the outbound touchpoint (its id is the delivery's key)
  ChannelId channel;
  int attempts = 0;  // attempts started so far
  // When the next attempt is due. While an engine is sending it is the end of that engine's
  // lease: if the engine dies mid-send, the delivery is due again then.
  Timestamp next_attempt_at;
  std::string last_error;  // the adapter's last transient error, for people
};

// A knowledge-base search as the engine hands it to the store.
struct ArticleSearch {
  TenantId tenant;
  // Folded words from search_terms() (omni/knowledge.h): never empty, only letters and digits.
  // A store must still treat them as data (SQLite: quote each one), never as query syntax.
  std::vector<std::string> terms;
  bool match_all = true;                // every term (true) or any term (false)
  std::optional<std::string> language;  // only articles of exactly this language
  std::size_t limit = 10;
};

class OMNI_EXPORT StoreTransaction {
 public:
  StoreTransaction() = default;
  StoreTransaction(const StoreTransaction&) = delete;
  StoreTransaction& operator=(const StoreTransaction&) = delete;
  // Must provide: rolls back unless commit() succeeded.
  virtual ~StoreTransaction();

  // Must provide. Makes every write durable (per the store's durability option) and visible.
  // After a failed commit nothing of the transaction is visible. Not allowed on a kRead
  // transaction (kFailedPrecondition); at most once.
  virtual Status commit() = 0;

  // All methods below must be provided. Inserting methods ignore the id in their argument and
  // return the id they assigned (positive, unique per store). Writes on a kRead transaction fail
  // with kFailedPrecondition.

  // --- tenants: name unique
  virtual Result<TenantId> insert_tenant(const Tenant& tenant) = 0;
  virtual Result<Tenant> get_tenant(TenantId id) = 0;
  virtual Result<Tenant> find_tenant(std::string_view name) = 0;

  // --- channels: (tenant, name) unique
  virtual Result<ChannelId> insert_channel(const Channel& channel) = 0;
  virtual Result<Channel> get_channel(TenantId tenant, ChannelId id) = 0;
  virtual Result<Channel> find_channel(TenantId tenant, std::string_view name) = 0;
  virtual Result<std::vector<Channel>> list_channels(TenantId tenant) = 0;
  // Writes name, profile and own_profile by (tenant, id); kAlreadyExists for a taken name.
  virtual Status update_channel(const Channel& channel) = 0;

  // --- a tenant's profile per channel kind: (tenant, kind) unique
  virtual Status put_tenant_profile(TenantId tenant, ChannelKind kind,
                                    const ChannelProfile& profile) = 0;  // insert or replace
  virtual Result<ChannelProfile> find_tenant_profile(TenantId tenant, ChannelKind kind) = 0;
  virtual Status delete_tenant_profile(TenantId tenant, ChannelKind kind) = 0;  // kNotFound if none

  // --- settings: small documents (JSON) the engine keeps per tenant, such as routing and SLA
  // policies: (tenant, key) unique.
  virtual Status put_setting(TenantId tenant, std::string_view key,
                             std::string_view value) = 0;  // insert or replace
  virtual Result<std::string> get_setting(TenantId tenant, std::string_view key) = 0;
  virtual Status delete_setting(TenantId tenant, std::string_view key) = 0;  // kNotFound if none
  // Settings whose key starts with `prefix`, ascending by key.
  virtual Result<std::vector<std::pair<std::string, std::string>>> list_settings(
      TenantId tenant, std::string_view prefix) = 0;

  // --- agents: (tenant, name) unique. Agent::load is the store's to maintain: for each agent and
  // routing class, the number of active (open or pending) conversations of that class whose
  // assignee is the agent, plus those offered to the agent (Conversation::offered_to).
  // It must follow every insert and update of a conversation in the same transaction (SQLite
  // does it with triggers), so routing reads it without counting. insert_agent and
  // update_agent ignore Agent::load.
  virtual Result<AgentId> insert_agent(const Agent& agent) = 0;
  virtual Result<Agent> get_agent(TenantId tenant, AgentId id) = 0;
  virtual Status update_agent(const Agent& agent) = 0;  // by (tenant, id)
  // Appends an entry to the agent's activity log (omni/agent.h), kept for compute_metrics'
  // occupancy. Entries of one agent with the same `at` apply in the order appended.
  virtual Status append_agent_activity(const AgentActivity& activity) = 0;
  virtual Result<std::vector<Agent>> list_agents(TenantId tenant) = 0;
  // Agents that can take a conversation of `routing_class` now: presence kAvailable and
  // load.of(c) < capacity.of(c). Ordered for `strategy`: kLeastLoaded by (load.of(c),
  // last_routed_at with "never" first, id); kRoundRobin by (last_routed_at, id). The page starts
  // after `after` (the last agent of the previous page as returned, nullptr: from the start) and
  // holds at most limit. Must be an indexed range scan: routing calls it with every decision.
  virtual Result<std::vector<Agent>> list_routable_agents(TenantId tenant,
                                                          RoutingClass routing_class,
                                                          RoutingStrategy strategy,
                                                          const Agent* after,
                                                          std::size_t limit) = 0;

  // --- customers (with their ContactPreferences). A store keeps customer_name_key(display_name)
  // (omni/normalize.h) beside each customer, indexed, for find_customers_by_name_key.
  virtual Result<CustomerId> insert_customer(const Customer& customer) = 0;
  virtual Result<Customer> get_customer(TenantId tenant, CustomerId id) = 0;
  virtual Status update_customer(const Customer& customer) = 0;  // by (tenant, id)
  // Customers with id > after, ascending by id, at most limit.
  virtual Result<std::vector<Customer>> list_customers(TenantId tenant, CustomerId after,
                                                       std::size_t limit) = 0;

  // Customers whose customer_name_key(display_name) is `name_key` (never empty), ascending by id,
  // at most limit. Redirects (merged customers) are included; the caller skips them.
  virtual Result<std::vector<Customer>> find_customers_by_name_key(TenantId tenant,
                                                                   std::string_view name_key,
                                                                   std::size_t limit) = 0;

  // --- identities: (tenant, kind, scope, value) unique
  virtual Result<IdentityId> insert_identity(const Identity& identity) = 0;
  virtual Result<Identity> find_identity(TenantId tenant, IdentityKind kind, std::string_view scope,
                                         std::string_view value) = 0;
  // Ascending by id.
  virtual Result<std::vector<Identity>> list_identities(TenantId tenant, CustomerId customer) = 0;
  // Identities of one kind and scope whose value starts with `prefix` (a range scan of the unique
  // key, e.g. "anna.schmidt@"), ascending by value, at most limit.
  virtual Result<std::vector<Identity>> list_identities_by_prefix(TenantId tenant,
                                                                  IdentityKind kind,
                                                                  std::string_view scope,
                                                                  std::string_view prefix,
                                                                  std::size_t limit) = 0;
  // Sets last_seen to the given value (the engine only ever moves it forward).
  virtual Status touch_identity(TenantId tenant, IdentityId id, Timestamp last_seen) = 0;

  // --- consents: (tenant, identity, channel_kind) unique. They belong to the identity, so they
  // follow it when customers are merged or unmerged.
  // Inserts or replaces; kNotFound when the identity does not exist in the tenant.
  virtual Status put_consent(const Consent& consent) = 0;
  virtual Result<Consent> get_consent(TenantId tenant, IdentityId identity, ChannelKind kind) = 0;
  // The consents of every identity of the customer, ascending by (identity, channel kind name).
  virtual Result<std::vector<Consent>> list_consents(TenantId tenant, CustomerId customer) = 0;

  // --- conversations: at most one joinable active (open or pending, joinable = true)
  // conversation per customer; an insert or update that would make a second one fails with
  // kAlreadyExists. Active conversations that are not joinable are not limited.
  virtual Result<ConversationId> insert_conversation(const Conversation& conversation) = 0;
  virtual Result<Conversation> get_conversation(TenantId tenant, ConversationId id) = 0;
  virtual Status update_conversation(const Conversation& conversation) = 0;  // by (tenant, id)
  // The customer's joinable active conversation; kNotFound when there is none.
  virtual Result<Conversation> find_active_conversation(TenantId tenant, CustomerId customer) = 0;
  // Every active conversation of the customer, joinable or not, newest first (by opened_at,
  // then id).
  virtual Result<std::vector<Conversation>> list_active_conversations(TenantId tenant,
                                                                      CustomerId customer) = 0;
  // Of the customer's conversations whose status is kResolved, the one with the latest
  // resolved_at; kNotFound when there is none.
  virtual Result<Conversation> find_last_resolved_conversation(TenantId tenant,
                                                               CustomerId customer) = 0;
  // Newest first (by opened_at, then id), at most limit.
  virtual Result<std::vector<Conversation>> list_conversations(TenantId tenant, CustomerId customer,
                                                               std::size_t limit) = 0;

  // Waiting conversations (Conversation::waiting(): open, no assignee, no offer) of
  // `routing_class`, by priority (urgent first), then queued_at, then id; starting after `after`
  // (the last of the previous page, nullptr: from the start), at most limit. Indexed.
  virtual Result<std::vector<Conversation>> list_waiting_conversations(TenantId tenant,
                                                                       RoutingClass routing_class,
                                                                       const Conversation* after,
                                                                       std::size_t limit) = 0;
  // Waiting conversations whose preferred_agent is `agent` and sticky_until is later than `now`,
  // in the same order, at most limit. Indexed.
  virtual Result<std::vector<Conversation>> list_reserved_conversations(TenantId tenant,
                                                                        AgentId agent,
                                                                        Timestamp now,
                                                                        std::size_t limit) = 0;
  // Open conversations offered to `agent`, ascending by id, at most limit. Indexed.
  virtual Result<std::vector<Conversation>> list_offered_conversations(TenantId tenant,
                                                                       AgentId agent,
                                                                       std::size_t limit) = 0;
  // Conversations whose next_timer_at is at or before `now`, soonest first (then id), at most
  // limit. Indexed.
  virtual Result<std::vector<Conversation>> list_due_conversations(TenantId tenant, Timestamp now,
                                                                   std::size_t limit) = 0;
  // The earliest next_timer_at of the tenant's conversations; kNotFound when none is set.
  virtual Result<Timestamp> next_timer(TenantId tenant) = 0;

  // --- touchpoints: (tenant, channel, provider_message_id) unique when provider_message_id is
  // non-empty and channel is set.
  virtual Result<TouchpointId> insert_touchpoint(const Touchpoint& touchpoint) = 0;
  virtual Result<Touchpoint> get_touchpoint(TenantId tenant, TouchpointId id) = 0;
  virtual Result<Touchpoint> find_touchpoint(TenantId tenant, ChannelId channel,
                                             std::string_view provider_message_id) = 0;
  // Sets delivery status and, when non-empty, the provider message id of an outbound touchpoint.
  virtual Status update_delivery(TenantId tenant, TouchpointId id, DeliveryStatus status,
                                 std::string_view provider_message_id) = 0;
  // A page ordered as TouchpointQuery::direction says. Must run in the store (indexed), not by
  // loading the customer's history.
  virtual Result<std::vector<Touchpoint>> list_touchpoints(const TouchpointQuery& query) = 0;

  // --- handoffs (the context packet is persisted whole, e.g. with encode_context_packet)
  virtual Result<HandoffId> insert_handoff(const Handoff& handoff) = 0;
  virtual Result<Handoff> get_handoff(TenantId tenant, HandoffId id) = 0;
  virtual Status update_handoff(const Handoff& handoff) = 0;  // by (tenant, id)
  // Ascending by id (the order they were recorded).
  virtual Result<std::vector<Handoff>> list_handoffs(TenantId tenant,
                                                     ConversationId conversation) = 0;

  // --- merges (the audit records of Engine::merge_customers) and the set-based moves they make.
  // Each move runs inside the store (a merged customer's history is never loaded).
  virtual Result<MergeId> insert_merge(const MergeRecord& merge) = 0;
  virtual Result<MergeRecord> get_merge(TenantId tenant, MergeId id) = 0;
  virtual Status update_merge(const MergeRecord& merge) = 0;  // by (tenant, id)
  // Merges in which `customer` is the survivor or the merged customer, ascending by id.
  virtual Result<std::vector<MergeRecord>> list_merges(TenantId tenant, CustomerId customer) = 0;
  // Moves every identity, conversation and touchpoint of `from` to `to`, and remembers each
  // moved record under `merge`. Moved conversations become not joinable (the engine picks the
  // joinable one afterwards).
  virtual Status move_customer_records(TenantId tenant, MergeId merge, CustomerId from,
                                       CustomerId to) = 0;
  // Undoes move_customer_records(tenant, merge, merged, survivor) as far as the records are
  // still with `survivor`:
  //  1. identities remembered under `merge` go back to `merged`;
  //  2. conversations remembered under `merge` go back, and so do conversations of the survivor
  //     that were opened by a message from one of those identities and hold no message from any
  //     other identity; all of them become not joinable;
  //  3. touchpoints of the survivor go back when they were remembered under `merge`, came from
  //     one of those identities, or carry no identity and sit in a conversation that went back.
  // Returns the touchpoints of `survivor` and `merged` whose conversation now belongs to the
  // other customer, ascending by id, for the engine to settle with move_touchpoint.
  virtual Result<std::vector<Touchpoint>> restore_customer_records(TenantId tenant, MergeId merge,
                                                                   CustomerId survivor,
                                                                   CustomerId merged) = 0;
  // Moves one touchpoint to `customer` and `conversation` (absent: none).
  virtual Status move_touchpoint(TenantId tenant, TouchpointId touchpoint, CustomerId customer,
                                 std::optional<ConversationId> conversation) = 0;
  // Moves every touchpoint and handoff of conversation `from` into conversation `to`.
  virtual Status move_conversation_contents(TenantId tenant, ConversationId from,
                                            ConversationId to) = 0;

  // --- knowledge base: articles, (tenant, slug) unique. A store indexes each article's title
  // and body for search_articles as omni/knowledge.h says: the words of the text and of
  // search_alternates(text), folded like search_terms().
  virtual Result<ArticleId> insert_article(const Article& article) = 0;
  virtual Status update_article(const Article& article) = 0;  // by (tenant, id); re-indexes
  virtual Result<Article> get_article(TenantId tenant, ArticleId id) = 0;
  virtual Result<Article> find_article(TenantId tenant, std::string_view slug) = 0;
  virtual Status delete_article(TenantId tenant, ArticleId id) = 0;  // kNotFound if none
  // Published articles of the tenant that contain the terms (all or any), best first: more
  // matched terms and matches in the title rank higher; ties by id. At most limit. Runs in the
  // store (SQLite: FTS5 with bm25), never by loading every article.
  virtual Result<std::vector<ArticleHit>> search_articles(const ArticleSearch& search) = 0;
  // The deflection counts of omni/knowledge.h (DeflectionReport) for attempts with occurred_at
  // in [from, to); `rate` may be left 0 (the engine computes it). Indexed.
  virtual Result<DeflectionReport> count_deflection(TenantId tenant, Timestamp from, Timestamp to,
                                                    std::chrono::microseconds window) = 0;

  // --- CSAT survey answers (omni/csat.h): (tenant, conversation) unique
  // Inserts the conversation's answer or replaces the one it has; returns true when it replaced
  // one. kNotFound when the conversation does not exist in the tenant.
  virtual Result<bool> put_csat(const CsatResponse& response) = 0;
  virtual Result<CsatResponse> get_csat(TenantId tenant, ConversationId conversation) = 0;
  // Count, average and distribution of the answers the query selects (csat_percent may be left
  // 0: the engine computes it). Runs in the store over an index of (tenant, responded_at).
  virtual Result<CsatSummary> summarize_csat(const CsatQuery& query) = 0;

  // --- metrics (omni/metrics.h; docs/metrics.md defines each number). Both run inside the
  // store, indexed; neither may load the tenant's history into memory.
  // One row per bucket of `buckets` (contiguous, ascending, within [query.from, query.to)), in
  // that order, with start and end copied from the bucket and every count, duration and list
  // filled; the channel lists may come in any order, and the rates and labels may be left
  // unset (the engine sorts and computes them). Conversations fall in the bucket of their
  // opened_at, touchpoints in that of their occurred_at.
  virtual Result<std::vector<MetricsRow>> compute_metrics(
      const MetricsQuery& query, const std::vector<MetricsBucket>& buckets) = 0;
  // The timestamps of the conversations compute_metrics counts in `bucket`, in any order: the
  // business-hours pass of Engine::metrics (MetricsQuery::business_hours), one bucket at a time.
  virtual Result<std::vector<ConversationTimes>> list_conversation_times(
      const MetricsQuery& query, const MetricsBucket& bucket) = 0;
  // Inbound touchpoints per customer and channel kind (CustomerChannels): the one customer of
  // the query, or the query.limit customers with the most, most first (ties by id). Channel
  // lists in any order.
  virtual Result<std::vector<CustomerChannels>> count_preferred_channels(
      const PreferredChannelsQuery& query) = 0;

  // --- pending deliveries: (tenant, touchpoint) unique
  virtual Status insert_pending_delivery(const PendingDelivery& delivery) = 0;
  virtual Result<PendingDelivery> get_pending_delivery(TenantId tenant,
                                                       TouchpointId touchpoint) = 0;
  virtual Status update_pending_delivery(const PendingDelivery& delivery) = 0;  // by key
  virtual Status delete_pending_delivery(TenantId tenant, TouchpointId touchpoint) = 0;
  // Deliveries of the tenant with next_attempt_at <= now, soonest first, at most limit. In a
  // write transaction of a store shared by several processes, rows another transaction is
  // claiming may be skipped (FOR UPDATE SKIP LOCKED); they must never be returned to both.
  virtual Result<std::vector<PendingDelivery>> list_due_deliveries(TenantId tenant, Timestamp now,
                                                                   std::size_t limit) = 0;

  // --- the outbox. Sequences are positive and increase within a tenant in commit order: a
  // reader of list_events never sees a sequence appear below one it has already read.
  virtual Result<std::int64_t> append_event(const Event& event) = 0;
  // Events of the tenant with sequence > after, ascending, at most limit.
  virtual Result<std::vector<Event>> list_events(TenantId tenant, std::int64_t after,
                                                 std::size_t limit) = 0;
};

class OMNI_EXPORT Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store();

  // Must provide. Starts a transaction. May block while other writers finish; returns kConflict
  // (or kUnavailable) when it cannot start one in reasonable time.
  virtual Result<std::unique_ptr<StoreTransaction>> begin(TransactionMode mode) = 0;

  // May provide: a short name for logs and the CLI ("memory", "sqlite", ...).
  virtual std::string_view name() const { return "store"; }
};

// Forwards every call to a borrowed store so a test or host can override one method (fault
// injection, tracing). Transactions are forwarded by ForwardingTransaction.
class OMNI_EXPORT ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store* target) : target_(target) {}
  Result<std::unique_ptr<StoreTransaction>> begin(TransactionMode mode) override {
    return target_->begin(mode);
  }
  std::string_view name() const override { return target_->name(); }
  Store* target() const { return target_; }

 private:
  Store* target_;  // borrowed; must outlive this wrapper
};

// Owns a transaction and forwards every call to it; override the methods to decorate.
class OMNI_EXPORT ForwardingTransaction : public StoreTransaction {
 public:
  explicit ForwardingTransaction(std::unique_ptr<StoreTransaction> target)
      : target_(std::move(target)) {}
  Status commit() override { return target_->commit(); }
  Result<TenantId> insert_tenant(const Tenant& v) override { return target_->insert_tenant(v); }
  Result<Tenant> get_tenant(TenantId id) override { return target_->get_tenant(id); }
  Result<Tenant> find_tenant(std::string_view n) override { return target_->find_tenant(n); }
  Result<ChannelId> insert_channel(const Channel& v) override { return target_->insert_channel(v); }
  Result<Channel> get_channel(TenantId t, ChannelId id) override {
    return target_->get_channel(t, id);
  }
  Result<Channel> find_channel(TenantId t, std::string_view n) override {
    return target_->find_channel(t, n);
  }
  Result<std::vector<Channel>> list_channels(TenantId t) override {
    return target_->list_channels(t);
  }
  Status update_channel(const Channel& v) override { return target_->update_channel(v); }
  Status put_tenant_profile(TenantId t, ChannelKind k, const ChannelProfile& p) override {
    return target_->put_tenant_profile(t, k, p);
  }
  Result<ChannelProfile> find_tenant_profile(TenantId t, ChannelKind k) override {
    return target_->find_tenant_profile(t, k);
  }
  Status delete_tenant_profile(TenantId t, ChannelKind k) override {
    return target_->delete_tenant_profile(t, k);
  }
  Result<AgentId> insert_agent(const Agent& v) override { return target_->insert_agent(v); }
  Result<Agent> get_agent(TenantId t, AgentId id) override { return target_->get_agent(t, id); }
  Status update_agent(const Agent& v) override { return target_->update_agent(v); }
  Status append_agent_activity(const AgentActivity& v) override {
    return target_->append_agent_activity(v);
  }
  Result<std::vector<Agent>> list_agents(TenantId t) override { return target_->list_agents(t); }
  Result<std::vector<Agent>> list_routable_agents(TenantId t, RoutingClass c, RoutingStrategy s,
                                                  const Agent* after, std::size_t limit) override {
    return target_->list_routable_agents(t, c, s, after, limit);
  }
  Status put_setting(TenantId t, std::string_view k, std::string_view v) override {
    return target_->put_setting(t, k, v);
  }
  Result<std::string> get_setting(TenantId t, std::string_view k) override {
    return target_->get_setting(t, k);
  }
  Status delete_setting(TenantId t, std::string_view k) override {
    return target_->delete_setting(t, k);
  }
  Result<std::vector<std::pair<std::string, std::string>>> list_settings(
      TenantId t, std::string_view prefix) override {
    return target_->list_settings(t, prefix);
  }
  Result<CustomerId> insert_customer(const Customer& v) override {
    return target_->insert_customer(v);
  }
  Result<Customer> get_customer(TenantId t, CustomerId id) override {
    return target_->get_customer(t, id);
  }
  Status update_customer(const Customer& v) override { return target_->update_customer(v); }
  Result<std::vector<Customer>> list_customers(TenantId t, CustomerId after,
                                               std::size_t limit) override {
    return target_->list_customers(t, after, limit);
  }
  Result<std::vector<Customer>> find_customers_by_name_key(TenantId t, std::string_view key,
                                                           std::size_t limit) override {
    return target_->find_customers_by_name_key(t, key, limit);
  }
  Result<IdentityId> insert_identity(const Identity& v) override {
    return target_->insert_identity(v);
  }
  Result<Identity> find_identity(TenantId t, IdentityKind k, std::string_view s,
                                 std::string_view v) override {
    return target_->find_identity(t, k, s, v);
  }
  Result<std::vector<Identity>> list_identities(TenantId t, CustomerId c) override {
    return target_->list_identities(t, c);
  }
  Result<std::vector<Identity>> list_identities_by_prefix(TenantId t, IdentityKind k,
                                                          std::string_view s, std::string_view p,
                                                          std::size_t limit) override {
    return target_->list_identities_by_prefix(t, k, s, p, limit);
  }
  Status touch_identity(TenantId t, IdentityId id, Timestamp last_seen) override {
    return target_->touch_identity(t, id, last_seen);
  }
  Status put_consent(const Consent& v) override { return target_->put_consent(v); }
  Result<Consent> get_consent(TenantId t, IdentityId id, ChannelKind k) override {
    return target_->get_consent(t, id, k);
  }
  Result<std::vector<Consent>> list_consents(TenantId t, CustomerId c) override {
    return target_->list_consents(t, c);
  }
  Result<ConversationId> insert_conversation(const Conversation& v) override {
    return target_->insert_conversation(v);
  }
  Result<Conversation> get_conversation(TenantId t, ConversationId id) override {
    return target_->get_conversation(t, id);
  }
  Status update_conversation(const Conversation& v) override {
    return target_->update_conversation(v);
  }
  Result<Conversation> find_active_conversation(TenantId t, CustomerId c) override {
    return target_->find_active_conversation(t, c);
  }
  Result<std::vector<Conversation>> list_active_conversations(TenantId t, CustomerId c) override {
    return target_->list_active_conversations(t, c);
  }
  Result<Conversation> find_last_resolved_conversation(TenantId t, CustomerId c) override {
    return target_->find_last_resolved_conversation(t, c);
  }
  Result<std::vector<Conversation>> list_conversations(TenantId t, CustomerId c,
                                                       std::size_t limit) override {
    return target_->list_conversations(t, c, limit);
  }
  Result<std::vector<Conversation>> list_waiting_conversations(TenantId t, RoutingClass c,
                                                               const Conversation* after,
                                                               std::size_t limit) override {
    return target_->list_waiting_conversations(t, c, after, limit);
  }
  Result<std::vector<Conversation>> list_reserved_conversations(TenantId t, AgentId a,
                                                                Timestamp now,
                                                                std::size_t limit) override {
    return target_->list_reserved_conversations(t, a, now, limit);
  }
  Result<std::vector<Conversation>> list_offered_conversations(TenantId t, AgentId a,
                                                               std::size_t limit) override {
    return target_->list_offered_conversations(t, a, limit);
  }
  Result<std::vector<Conversation>> list_due_conversations(TenantId t, Timestamp now,
                                                           std::size_t limit) override {
    return target_->list_due_conversations(t, now, limit);
  }
  Result<Timestamp> next_timer(TenantId t) override { return target_->next_timer(t); }
  Result<TouchpointId> insert_touchpoint(const Touchpoint& v) override {
    return target_->insert_touchpoint(v);
  }
  Result<Touchpoint> get_touchpoint(TenantId t, TouchpointId id) override {
    return target_->get_touchpoint(t, id);
  }
  Result<Touchpoint> find_touchpoint(TenantId t, ChannelId c, std::string_view p) override {
    return target_->find_touchpoint(t, c, p);
  }
  Status update_delivery(TenantId t, TouchpointId id, DeliveryStatus s,
                         std::string_view p) override {
    return target_->update_delivery(t, id, s, p);
  }
  Result<std::vector<Touchpoint>> list_touchpoints(const TouchpointQuery& q) override {
    return target_->list_touchpoints(q);
  }
  Result<HandoffId> insert_handoff(const Handoff& v) override { return target_->insert_handoff(v); }
  Result<Handoff> get_handoff(TenantId t, HandoffId id) override {
    return target_->get_handoff(t, id);
  }
  Status update_handoff(const Handoff& v) override { return target_->update_handoff(v); }
  Result<std::vector<Handoff>> list_handoffs(TenantId t, ConversationId c) override {
    return target_->list_handoffs(t, c);
  }
  Result<MergeId> insert_merge(const MergeRecord& v) override { return target_->insert_merge(v); }
  Result<MergeRecord> get_merge(TenantId t, MergeId id) override {
    return target_->get_merge(t, id);
  }
  Status update_merge(const MergeRecord& v) override { return target_->update_merge(v); }
  Result<std::vector<MergeRecord>> list_merges(TenantId t, CustomerId c) override {
    return target_->list_merges(t, c);
  }
  Status move_customer_records(TenantId t, MergeId m, CustomerId from, CustomerId to) override {
    return target_->move_customer_records(t, m, from, to);
  }
  Result<std::vector<Touchpoint>> restore_customer_records(TenantId t, MergeId m,
                                                           CustomerId survivor,
                                                           CustomerId merged) override {
    return target_->restore_customer_records(t, m, survivor, merged);
  }
  Status move_touchpoint(TenantId t, TouchpointId id, CustomerId c,
                         std::optional<ConversationId> conversation) override {
    return target_->move_touchpoint(t, id, c, conversation);
  }
  Status move_conversation_contents(TenantId t, ConversationId from, ConversationId to) override {
    return target_->move_conversation_contents(t, from, to);
  }
  Result<ArticleId> insert_article(const Article& v) override { return target_->insert_article(v); }
  Status update_article(const Article& v) override { return target_->update_article(v); }
  Result<Article> get_article(TenantId t, ArticleId id) override {
    return target_->get_article(t, id);
  }
  Result<Article> find_article(TenantId t, std::string_view slug) override {
    return target_->find_article(t, slug);
  }
  Status delete_article(TenantId t, ArticleId id) override {
    return target_->delete_article(t, id);
  }
  Result<std::vector<ArticleHit>> search_articles(const ArticleSearch& q) override {
    return target_->search_articles(q);
  }
  Result<DeflectionReport> count_deflection(TenantId t, Timestamp from, Timestamp to,
                                            std::chrono::microseconds window) override {
    return target_->count_deflection(t, from, to, window);
  }
  Result<bool> put_csat(const CsatResponse& v) override { return target_->put_csat(v); }
  Result<CsatResponse> get_csat(TenantId t, ConversationId c) override {
    return target_->get_csat(t, c);
  }
  Result<CsatSummary> summarize_csat(const CsatQuery& q) override {
    return target_->summarize_csat(q);
  }

  Result<std::vector<MetricsRow>> compute_metrics(
      const MetricsQuery& q, const std::vector<MetricsBucket>& buckets) override {
    return target_->compute_metrics(q, buckets);
  }
  Result<std::vector<ConversationTimes>> list_conversation_times(
      const MetricsQuery& q, const MetricsBucket& bucket) override {
    return target_->list_conversation_times(q, bucket);
  }
  Result<std::vector<CustomerChannels>> count_preferred_channels(
      const PreferredChannelsQuery& q) override {
    return target_->count_preferred_channels(q);
  }
  Status insert_pending_delivery(const PendingDelivery& v) override {
    return target_->insert_pending_delivery(v);
  }
  Result<PendingDelivery> get_pending_delivery(TenantId t, TouchpointId id) override {
    return target_->get_pending_delivery(t, id);
  }
  Status update_pending_delivery(const PendingDelivery& v) override {
    return target_->update_pending_delivery(v);
  }
  Status delete_pending_delivery(TenantId t, TouchpointId id) override {
    return target_->delete_pending_delivery(t, id);
  }
  Result<std::vector<PendingDelivery>> list_due_deliveries(TenantId t, Timestamp now,
                                                           std::size_t limit) override {
    return target_->list_due_deliveries(t, now, limit);
  }
  Result<std::int64_t> append_event(const Event& v) override { return target_->append_event(v); }
  Result<std::vector<Event>> list_events(TenantId t, std::int64_t after,
                                         std::size_t limit) override {
    return target_->list_events(t, after, limit);
  }

 protected:
  StoreTransaction& target() { return *target_; }

 private:
  std::unique_ptr<StoreTransaction> target_;
};

}  // namespace omni
