// PostgresStore's internals shared by its source files: parameters and rows in SqliteStore's
// shape, the row readers, and the transaction class. Each group of Store operations is defined in
// its own file (postgres_store.cc: plumbing, tenants to events and conversations;
// pg_routing.cc: queues, timers and pending deliveries; pg_records.cc: touchpoints, handoffs,
// merges; pg_insight.cc: knowledge base, CSAT, metrics). Internal; not installed.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "internal/macros.h"
#include "omni/normalize.h"
#include "omni/sys/store.h"
#include "postgres/pg_db.h"
#include "sqlite/json_columns.h"

namespace omni::pgstore {

using pg::QueryResult;

// --- binding parameters and reading columns in order (the shape of SqliteStore's)

class Params {
 public:
  Params& int64(std::int64_t value) {
    params_.int64(value);
    return *this;
  }
  Params& text(std::string_view value) {
    params_.text(value);
    return *this;
  }
  Params& boolean(bool value) {
    params_.boolean(value);
    return *this;
  }
  Params& real(double value) {
    params_.real(value);
    return *this;
  }
  Params& timestamp(Timestamp value) { return int64(to_unix_micros(value)); }
  Params& optional_timestamp(const std::optional<Timestamp>& value) {
    params_.optional_int64(value ? std::optional(to_unix_micros(*value)) : std::nullopt);
    return *this;
  }
  template <typename Tag>
  Params& id(Id<Tag> value) {
    return int64(value.value());
  }
  template <typename Tag>
  Params& optional_id(const std::optional<Id<Tag>>& value) {
    params_.optional_int64(value ? std::optional(value->value()) : std::nullopt);
    return *this;
  }
  template <typename Tag>
  Params& id_or_null(Id<Tag> value) {
    params_.optional_int64(value.valid() ? std::optional(value.value()) : std::nullopt);
    return *this;
  }
  template <typename E>
  Params& name(E value) {
    return text(to_string(value));
  }

  const pg::Params& get() const { return params_; }

 private:
  pg::Params params_;
};

class Row {
 public:
  Row(const QueryResult& result, int row, std::string_view table)
      : result_(result), row_(row), table_(table) {}

  Result<std::int64_t> int64() { return result_.int64(row_, next_++); }
  std::string text() { return std::string(result_.text(row_, next_++)); }
  bool boolean() { return result_.boolean(row_, next_++); }
  Result<double> real() { return result_.real(row_, next_++); }
  Result<Timestamp> timestamp() {
    OMNI_ASSIGN_OR_RETURN(std::int64_t v, int64());
    return from_unix_micros(v);
  }
  Result<std::optional<Timestamp>> optional_timestamp() {
    if (result_.is_null(row_, next_)) {
      ++next_;
      return std::optional<Timestamp>();
    }
    OMNI_ASSIGN_OR_RETURN(Timestamp t, timestamp());
    return std::optional<Timestamp>(t);
  }
  template <typename IdType>
  Result<IdType> id() {
    OMNI_ASSIGN_OR_RETURN(std::int64_t v, int64());
    return IdType(v);
  }
  template <typename IdType>
  Result<std::optional<IdType>> optional_id() {
    if (result_.is_null(row_, next_)) {
      ++next_;
      return std::optional<IdType>();
    }
    OMNI_ASSIGN_OR_RETURN(std::int64_t v, int64());
    return std::optional<IdType>(IdType(v));
  }
  // A reference stored as NULL when unset, read back as the invalid id.
  template <typename IdType>
  Result<IdType> id_or_null() {
    OMNI_ASSIGN_OR_RETURN(std::int64_t v, int64());  // NULL reads as 0
    return IdType(v);
  }
  template <typename E>
  Result<E> name(std::optional<E> (*parse)(std::string_view)) {
    std::string value = text();
    std::optional<E> parsed = parse(value);
    if (!parsed) return unknown(value);
    return *parsed;
  }
  Result<std::uint32_t> uint32() {
    OMNI_ASSIGN_OR_RETURN(std::int64_t value, int64());
    if (value < 0 || value > std::numeric_limits<std::uint32_t>::max()) {
      return unknown(std::to_string(value));
    }
    return static_cast<std::uint32_t>(value);
  }
  Result<int> int32() {
    OMNI_ASSIGN_OR_RETURN(std::int64_t value, int64());
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
      return unknown(std::to_string(value));
    }
    return static_cast<int>(value);
  }

 private:
  Status unknown(std::string_view value) const {
    return Status::corruption(
        fmt::format("postgres: unexpected value '{}' in {} (column {})", value, table_, next_ - 1));
  }

  const QueryResult& result_;
  int row_;
  std::string_view table_;
  int next_ = 0;
};

// --- enums without a parse_* function in the public headers

template <typename E, std::size_t N>
inline std::optional<E> parse_among(const std::array<E, N>& values, std::string_view name) {
  for (E value : values) {
    if (to_string(value) == name) return value;
  }
  return std::nullopt;
}

constexpr std::array kLengthRules{LengthRule::kUnlimited, LengthRule::kUnicodeCharacters,
                                  LengthRule::kSmsSegments, LengthRule::kTwitterWeighted};
constexpr std::array kFormalities{Formality::kFormal, Formality::kNeutral, Formality::kInformal};

inline std::optional<LengthRule> parse_length_rule(std::string_view name) {
  return parse_among(kLengthRules, name);
}
inline std::optional<Formality> parse_formality(std::string_view name) {
  return parse_among(kFormalities, name);
}

// --- row readers; the column lists and the readers must agree

constexpr std::string_view kTenantColumns = "id, name, default_region, created_at";

inline Result<Tenant> read_tenant(Row& row) {
  Tenant tenant;
  OMNI_ASSIGN_OR_RETURN(tenant.id, row.id<TenantId>());
  tenant.name = row.text();
  tenant.default_region = row.text();
  OMNI_ASSIGN_OR_RETURN(tenant.created_at, row.timestamp());
  return tenant;
}

constexpr std::string_view kProfileColumns =
    "synchronous, expected_first_response_s, length_rule, max_length, max_parts, formality, "
    "supports_attachments, secure, requires_consent, cost_per_unit";

inline Status read_profile(Row& row, ChannelProfile& profile) {
  profile.synchronous = row.boolean();
  OMNI_ASSIGN_OR_RETURN(std::int64_t first_response, row.int64());
  profile.expected_first_response = std::chrono::seconds(first_response);
  OMNI_ASSIGN_OR_RETURN(profile.length_rule, row.name(parse_length_rule));
  OMNI_ASSIGN_OR_RETURN(profile.max_length, row.uint32());
  OMNI_ASSIGN_OR_RETURN(profile.max_parts, row.uint32());
  OMNI_ASSIGN_OR_RETURN(profile.formality, row.name(parse_formality));
  profile.supports_attachments = row.boolean();
  profile.secure = row.boolean();
  profile.requires_consent = row.boolean();
  OMNI_ASSIGN_OR_RETURN(profile.cost_per_unit, row.real());
  return Status::ok_status();
}

inline void bind_profile(Params& params, const ChannelProfile& profile) {
  params.boolean(profile.synchronous)
      .int64(profile.expected_first_response.count())
      .name(profile.length_rule)
      .int64(profile.max_length)
      .int64(profile.max_parts)
      .name(profile.formality)
      .boolean(profile.supports_attachments)
      .boolean(profile.secure)
      .boolean(profile.requires_consent)
      .real(profile.cost_per_unit);
}

inline const std::string kChannelColumns =
    fmt::format("id, tenant_id, kind, name, {}, own_profile, created_at", kProfileColumns);

inline Result<Channel> read_channel(Row& row) {
  Channel channel;
  OMNI_ASSIGN_OR_RETURN(channel.id, row.id<ChannelId>());
  OMNI_ASSIGN_OR_RETURN(channel.tenant, row.id<TenantId>());
  OMNI_ASSIGN_OR_RETURN(channel.kind, row.name(parse_channel_kind));
  channel.name = row.text();
  OMNI_RETURN_IF_ERROR(read_profile(row, channel.profile));
  channel.own_profile = row.boolean();
  OMNI_ASSIGN_OR_RETURN(channel.created_at, row.timestamp());
  return channel;
}

inline Result<ChannelProfile> read_tenant_profile(Row& row) {
  ChannelProfile profile;
  OMNI_RETURN_IF_ERROR(read_profile(row, profile));
  return profile;
}

constexpr std::string_view kAgentColumns =
    "id, tenant_id, name, kind, presence, teams, skills, languages, created_at, capacity_sync, "
    "capacity_async, load_sync, load_async, last_routed_at";

// agents.last_routed_at: 0 stands for "never".
inline std::int64_t last_routed_column(const std::optional<Timestamp>& at) {
  return at ? to_unix_micros(*at) : 0;
}

inline Result<Agent> read_agent(Row& row) {
  Agent agent;
  OMNI_ASSIGN_OR_RETURN(agent.id, row.id<AgentId>());
  OMNI_ASSIGN_OR_RETURN(agent.tenant, row.id<TenantId>());
  agent.name = row.text();
  OMNI_ASSIGN_OR_RETURN(agent.kind, row.name(parse_agent_kind));
  OMNI_ASSIGN_OR_RETURN(agent.presence, row.name(parse_presence));
  OMNI_ASSIGN_OR_RETURN(agent.teams, sqlite::decode_string_list(row.text(), "agents.teams"));
  OMNI_ASSIGN_OR_RETURN(agent.skills, sqlite::decode_string_list(row.text(), "agents.skills"));
  OMNI_ASSIGN_OR_RETURN(agent.languages,
                        sqlite::decode_string_list(row.text(), "agents.languages"));
  OMNI_ASSIGN_OR_RETURN(agent.created_at, row.timestamp());
  OMNI_ASSIGN_OR_RETURN(agent.capacity.synchronous, row.int32());
  OMNI_ASSIGN_OR_RETURN(agent.capacity.asynchronous, row.int32());
  OMNI_ASSIGN_OR_RETURN(agent.load.synchronous, row.int32());
  OMNI_ASSIGN_OR_RETURN(agent.load.asynchronous, row.int32());
  OMNI_ASSIGN_OR_RETURN(std::int64_t routed, row.int64());
  if (routed != 0) agent.last_routed_at = from_unix_micros(routed);
  return agent;
}

constexpr std::string_view kCustomerColumns =
    "id, tenant_id, display_name, attributes, merged_into, created_at, updated_at, preferences";

inline Result<Customer> read_customer(Row& row) {
  Customer customer;
  OMNI_ASSIGN_OR_RETURN(customer.id, row.id<CustomerId>());
  OMNI_ASSIGN_OR_RETURN(customer.tenant, row.id<TenantId>());
  customer.display_name = row.text();
  OMNI_ASSIGN_OR_RETURN(customer.attributes,
                        sqlite::decode_string_map(row.text(), "customers.attributes"));
  OMNI_ASSIGN_OR_RETURN(customer.merged_into, row.optional_id<CustomerId>());
  OMNI_ASSIGN_OR_RETURN(customer.created_at, row.timestamp());
  OMNI_ASSIGN_OR_RETURN(customer.updated_at, row.timestamp());
  OMNI_ASSIGN_OR_RETURN(customer.preferences,
                        sqlite::decode_preferences(row.text(), "customers.preferences"));
  return customer;
}

constexpr std::string_view kIdentityColumns =
    "id, tenant_id, customer_id, kind, scope, value, verified, source, first_seen, last_seen";

inline Result<Identity> read_identity(Row& row) {
  Identity identity;
  OMNI_ASSIGN_OR_RETURN(identity.id, row.id<IdentityId>());
  OMNI_ASSIGN_OR_RETURN(identity.tenant, row.id<TenantId>());
  OMNI_ASSIGN_OR_RETURN(identity.customer, row.id<CustomerId>());
  OMNI_ASSIGN_OR_RETURN(identity.kind, row.name(parse_identity_kind));
  identity.scope = row.text();
  identity.value = row.text();
  identity.verified = row.boolean();
  identity.source = row.text();
  OMNI_ASSIGN_OR_RETURN(identity.first_seen, row.timestamp());
  OMNI_ASSIGN_OR_RETURN(identity.last_seen, row.timestamp());
  return identity;
}

constexpr std::string_view kConsentColumns =
    "tenant_id, identity_id, channel_kind, state, source, evidence, changed_at";

inline Result<Consent> read_consent(Row& row) {
  Consent consent;
  OMNI_ASSIGN_OR_RETURN(consent.tenant, row.id<TenantId>());
  OMNI_ASSIGN_OR_RETURN(consent.identity, row.id<IdentityId>());
  OMNI_ASSIGN_OR_RETURN(consent.channel_kind, row.name(parse_channel_kind));
  OMNI_ASSIGN_OR_RETURN(consent.state, row.name(parse_consent_state));
  consent.source = row.text();
  consent.evidence = row.text();
  OMNI_ASSIGN_OR_RETURN(consent.changed_at, row.timestamp());
  return consent;
}

constexpr std::string_view kConversationColumns =
    "id, tenant_id, customer_id, status, priority, assignee_id, team, subject, origin_channel_id, "
    "current_channel_id, opened_at, updated_at, first_response_at, last_inbound_at, "
    "last_outbound_at, resolved_at, closed_at, reopen_count, joinable, merged_into, "
    "routing_class, skills, language, queued_at, offered_to, offer_expires_at, passed_over, "
    "preferred_agent, sticky_until, sla, next_timer_at, handoff_count";

inline Result<Conversation> read_conversation(Row& row) {
  Conversation c;
  OMNI_ASSIGN_OR_RETURN(c.id, row.id<ConversationId>());
  OMNI_ASSIGN_OR_RETURN(c.tenant, row.id<TenantId>());
  OMNI_ASSIGN_OR_RETURN(c.customer, row.id<CustomerId>());
  OMNI_ASSIGN_OR_RETURN(c.status, row.name(parse_conversation_status));
  OMNI_ASSIGN_OR_RETURN(c.priority, row.name(parse_priority));
  OMNI_ASSIGN_OR_RETURN(c.assignee, row.optional_id<AgentId>());
  c.team = row.text();
  c.subject = row.text();
  OMNI_ASSIGN_OR_RETURN(c.origin_channel, row.id_or_null<ChannelId>());
  OMNI_ASSIGN_OR_RETURN(c.current_channel, row.id_or_null<ChannelId>());
  OMNI_ASSIGN_OR_RETURN(c.opened_at, row.timestamp());
  OMNI_ASSIGN_OR_RETURN(c.updated_at, row.timestamp());
  OMNI_ASSIGN_OR_RETURN(c.first_response_at, row.optional_timestamp());
  OMNI_ASSIGN_OR_RETURN(c.last_inbound_at, row.optional_timestamp());
  OMNI_ASSIGN_OR_RETURN(c.last_outbound_at, row.optional_timestamp());
  OMNI_ASSIGN_OR_RETURN(c.resolved_at, row.optional_timestamp());
  OMNI_ASSIGN_OR_RETURN(c.closed_at, row.optional_timestamp());
  OMNI_ASSIGN_OR_RETURN(c.reopen_count, row.int32());
  c.joinable = row.boolean();
  OMNI_ASSIGN_OR_RETURN(c.merged_into, row.optional_id<ConversationId>());
  OMNI_ASSIGN_OR_RETURN(c.routing_class, row.name(parse_routing_class));
  OMNI_ASSIGN_OR_RETURN(c.skills, sqlite::decode_string_list(row.text(), "conversations.skills"));
  c.language = row.text();
  OMNI_ASSIGN_OR_RETURN(c.queued_at, row.optional_timestamp());
  OMNI_ASSIGN_OR_RETURN(c.offered_to, row.optional_id<AgentId>());
  OMNI_ASSIGN_OR_RETURN(c.offer_expires_at, row.optional_timestamp());
  OMNI_ASSIGN_OR_RETURN(std::vector<std::int64_t> passed_over,
                        sqlite::decode_id_list(row.text(), "conversations.passed_over"));
  for (std::int64_t id : passed_over)
    c.passed_over.emplace_back(id);
  OMNI_ASSIGN_OR_RETURN(c.preferred_agent, row.optional_id<AgentId>());
  OMNI_ASSIGN_OR_RETURN(c.sticky_until, row.optional_timestamp());
  OMNI_ASSIGN_OR_RETURN(c.sla, sqlite::decode_sla_state(row.text(), "conversations.sla"));
  OMNI_ASSIGN_OR_RETURN(c.next_timer_at, row.optional_timestamp());
  OMNI_ASSIGN_OR_RETURN(c.handoff_count, row.int32());
  return c;
}

inline std::string encode_agent_ids(const std::vector<AgentId>& agents) {
  std::vector<std::int64_t> ids;
  ids.reserve(agents.size());
  for (AgentId agent : agents)
    ids.push_back(agent.value());
  return sqlite::encode_id_list(ids);
}

// The columns after tenant_id, in kConversationColumns' order from customer_id on.
inline void bind_conversation_fields(Params& params, const Conversation& c) {
  params.id(c.customer)
      .name(c.status)
      .name(c.priority)
      .optional_id(c.assignee)
      .text(c.team)
      .text(c.subject)
      .id_or_null(c.origin_channel)
      .id_or_null(c.current_channel)
      .timestamp(c.opened_at)
      .timestamp(c.updated_at)
      .optional_timestamp(c.first_response_at)
      .optional_timestamp(c.last_inbound_at)
      .optional_timestamp(c.last_outbound_at)
      .optional_timestamp(c.resolved_at)
      .optional_timestamp(c.closed_at)
      .int64(c.reopen_count)
      .boolean(c.joinable)
      .optional_id(c.merged_into)
      .name(c.routing_class)
      .text(sqlite::encode_string_list(c.skills))
      .text(c.language)
      .optional_timestamp(c.queued_at)
      .optional_id(c.offered_to)
      .optional_timestamp(c.offer_expires_at)
      .text(encode_agent_ids(c.passed_over))
      .optional_id(c.preferred_agent)
      .optional_timestamp(c.sticky_until)
      .text(sqlite::encode_sla_state(c.sla))
      .optional_timestamp(c.next_timer_at)
      .int64(c.handoff_count);
}

constexpr std::string_view kEventColumns =
    "sequence, tenant_id, customer_id, conversation_id, type, payload, created_at";

inline Result<Event> read_event(Row& row) {
  Event event;
  OMNI_ASSIGN_OR_RETURN(event.sequence, row.int64());
  OMNI_ASSIGN_OR_RETURN(event.tenant, row.id<TenantId>());
  OMNI_ASSIGN_OR_RETURN(event.customer, row.optional_id<CustomerId>());
  OMNI_ASSIGN_OR_RETURN(event.conversation, row.optional_id<ConversationId>());
  event.type = row.text();
  event.payload = row.text();
  OMNI_ASSIGN_OR_RETURN(event.created_at, row.timestamp());
  return event;
}

inline std::int64_t sql_limit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

inline const Status& status_of(const Status& status) {
  return status;
}
template <typename T>
inline const Status& status_of(const Result<T>& result) {
  return result.status();
}

inline Status not_implemented(std::string_view operation) {
  return Status::internal(
      fmt::format("postgres: {} is not implemented in PostgresStore yet (issue 7)", operation));
}

// --- the transaction

enum Access { kReads, kWrites };

class PostgresTransaction final : public StoreTransaction {
 public:
  PostgresTransaction(std::shared_ptr<pg::ConnectionPool> pool,
                      std::unique_ptr<pg::Connection> connection, TransactionMode mode)
      : pool_(std::move(pool)), connection_(std::move(connection)), mode_(mode) {}

  // `unlock` is the statement that gives back the writers' lock begin() took (empty: none).
  PostgresTransaction(std::shared_ptr<pg::ConnectionPool> pool,
                      std::unique_ptr<pg::Connection> connection, TransactionMode mode,
                      std::string unlock)
      : PostgresTransaction(std::move(pool), std::move(connection), mode) {
    unlock_ = std::move(unlock);
  }

  ~PostgresTransaction() override {
    if (open_) {
      // Rolls back; a connection that cannot is not reused (closing it releases its locks).
      if (!connection_->exec("ROLLBACK", "rolling back").ok()) return;
    }
    if (broken_ && broken_->is(StatusCode::kConflict)) ++conflict_streak();
    if (!unlock_.empty() && !connection_->exec(unlock_, "releasing the writers' lock").ok()) {
      return;
    }
    pool_->release(std::move(connection_));
  }

  Status commit() override {
    if (mode_ == TransactionMode::kRead) {
      return Status::failed_precondition("postgres: commit() on a read transaction");
    }
    if (broken_) return *broken_;
    if (!open_) return Status::failed_precondition("postgres: the transaction has already ended");
    Status committed = connection_->exec("COMMIT", "committing");
    open_ = false;
    if (committed.ok()) {
      conflict_streak() = 0;
    } else if (committed.is(StatusCode::kConflict)) {
      ++conflict_streak();
    }
    return committed;
  }

  // How many write transactions in a row this thread lost to a conflict (the engine retries on
  // the thread that failed); PostgresStore::begin escalates after a few.
  static int& conflict_streak() {
    thread_local int streak = 0;
    return streak;
  }

  // --- tenants

  Result<TenantId> insert_tenant(const Tenant& tenant) override {
    return guarded(kWrites, "inserting a tenant", [&]() -> Result<TenantId> {
      Params params;
      params.text(tenant.name).text(tenant.default_region).timestamp(tenant.created_at);
      return insert<TenantId>(
          "INSERT INTO tenants (name, default_region, created_at) VALUES ($1, $2, $3) "
          "RETURNING id",
          params, "inserting a tenant");
    });
  }

  Result<Tenant> get_tenant(TenantId id) override {
    return guarded(kReads, "reading a tenant", [&]() -> Result<Tenant> {
      static const std::string sql =
          fmt::format("SELECT {} FROM tenants WHERE id = $1", kTenantColumns);
      Params params;
      params.id(id);
      return query_one(sql, params, "reading a tenant", fmt::format("tenant {}", id.value()),
                       "tenants", read_tenant);
    });
  }

  Result<Tenant> find_tenant(std::string_view name) override {
    return guarded(kReads, "finding a tenant", [&]() -> Result<Tenant> {
      static const std::string sql =
          fmt::format("SELECT {} FROM tenants WHERE name = $1", kTenantColumns);
      Params params;
      params.text(name);
      return query_one(sql, params, "finding a tenant", fmt::format("tenant '{}'", name), "tenants",
                       read_tenant);
    });
  }

  // --- channels

  Result<ChannelId> insert_channel(const Channel& channel) override {
    return guarded(kWrites, "inserting a channel", [&]() -> Result<ChannelId> {
      Params params;
      params.id(channel.tenant).name(channel.kind).text(channel.name);
      bind_profile(params, channel.profile);
      params.boolean(channel.own_profile).timestamp(channel.created_at);
      return insert<ChannelId>(
          fmt::format("INSERT INTO channels (tenant_id, kind, name, {}, own_profile, created_at) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
                      "RETURNING id",
                      kProfileColumns),
          params, "inserting a channel");
    });
  }

  Result<Channel> get_channel(TenantId tenant, ChannelId id) override {
    return guarded(kReads, "reading a channel", [&]() -> Result<Channel> {
      static const std::string sql =
          fmt::format("SELECT {} FROM channels WHERE tenant_id = $1 AND id = $2", kChannelColumns);
      Params params;
      params.id(tenant).id(id);
      return query_one(sql, params, "reading a channel", fmt::format("channel {}", id.value()),
                       "channels", read_channel);
    });
  }

  Result<Channel> find_channel(TenantId tenant, std::string_view name) override {
    return guarded(kReads, "finding a channel", [&]() -> Result<Channel> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM channels WHERE tenant_id = $1 AND name = $2", kChannelColumns);
      Params params;
      params.id(tenant).text(name);
      return query_one(sql, params, "finding a channel", fmt::format("channel '{}'", name),
                       "channels", read_channel);
    });
  }

  Result<std::vector<Channel>> list_channels(TenantId tenant) override {
    return guarded(kReads, "listing channels", [&]() -> Result<std::vector<Channel>> {
      static const std::string sql =
          fmt::format("SELECT {} FROM channels WHERE tenant_id = $1 ORDER BY id", kChannelColumns);
      Params params;
      params.id(tenant);
      return query_all(sql, params, "listing channels", "channels", read_channel);
    });
  }

  Status update_channel(const Channel& channel) override {
    return guarded(kWrites, "updating a channel", [&]() -> Status {
      Params params;
      params.name(channel.kind).text(channel.name);
      bind_profile(params, channel.profile);
      params.boolean(channel.own_profile).id(channel.tenant).id(channel.id);
      return update(
          "UPDATE channels SET kind = $1, name = $2, synchronous = $3, "
          "expected_first_response_s = $4, length_rule = $5, max_length = $6, max_parts = $7, "
          "formality = $8, supports_attachments = $9, secure = $10, requires_consent = $11, "
          "cost_per_unit = $12, own_profile = $13 WHERE tenant_id = $14 AND id = $15",
          params, "updating a channel", fmt::format("channel {}", channel.id.value()));
    });
  }

  Status put_tenant_profile(TenantId tenant, ChannelKind kind,
                            const ChannelProfile& profile) override {
    return guarded(kWrites, "storing a tenant profile", [&]() -> Status {
      Params params;
      params.id(tenant).name(kind);
      bind_profile(params, profile);
      return run(fmt::format("INSERT INTO tenant_profiles (tenant_id, kind, {}) VALUES ($1, $2, "
                             "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                             "ON CONFLICT (tenant_id, kind) DO UPDATE SET "
                             "synchronous = EXCLUDED.synchronous, "
                             "expected_first_response_s = EXCLUDED.expected_first_response_s, "
                             "length_rule = EXCLUDED.length_rule, "
                             "max_length = EXCLUDED.max_length, max_parts = EXCLUDED.max_parts, "
                             "formality = EXCLUDED.formality, "
                             "supports_attachments = EXCLUDED.supports_attachments, "
                             "secure = EXCLUDED.secure, "
                             "requires_consent = EXCLUDED.requires_consent, "
                             "cost_per_unit = EXCLUDED.cost_per_unit",
                             kProfileColumns),
                 params, "storing a tenant profile");
    });
  }

  Result<ChannelProfile> find_tenant_profile(TenantId tenant, ChannelKind kind) override {
    return guarded(kReads, "reading a tenant profile", [&]() -> Result<ChannelProfile> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM tenant_profiles WHERE tenant_id = $1 AND kind = $2", kProfileColumns);
      Params params;
      params.id(tenant).name(kind);
      return query_one(sql, params, "reading a tenant profile",
                       fmt::format("tenant profile for {}", to_string(kind)), "tenant_profiles",
                       read_tenant_profile);
    });
  }

  Status delete_tenant_profile(TenantId tenant, ChannelKind kind) override {
    return guarded(kWrites, "deleting a tenant profile", [&]() -> Status {
      Params params;
      params.id(tenant).name(kind);
      return update("DELETE FROM tenant_profiles WHERE tenant_id = $1 AND kind = $2", params,
                    "deleting a tenant profile",
                    fmt::format("tenant profile for {}", to_string(kind)));
    });
  }

  // --- settings

  Status put_setting(TenantId tenant, std::string_view key, std::string_view value) override {
    return guarded(kWrites, "storing a setting", [&]() -> Status {
      Params params;
      params.id(tenant).text(key).text(value);
      return run(
          "INSERT INTO settings (tenant_id, key, value) VALUES ($1, $2, $3) "
          "ON CONFLICT (tenant_id, key) DO UPDATE SET value = EXCLUDED.value",
          params, "storing a setting");
    });
  }

  Result<std::string> get_setting(TenantId tenant, std::string_view key) override {
    return guarded(kReads, "reading a setting", [&]() -> Result<std::string> {
      Params params;
      params.id(tenant).text(key);
      return query_one("SELECT value FROM settings WHERE tenant_id = $1 AND key = $2", params,
                       "reading a setting", fmt::format("setting '{}'", key), "settings",
                       [](Row& row) -> Result<std::string> { return row.text(); });
    });
  }

  Status delete_setting(TenantId tenant, std::string_view key) override {
    return guarded(kWrites, "deleting a setting", [&]() -> Status {
      Params params;
      params.id(tenant).text(key);
      return update("DELETE FROM settings WHERE tenant_id = $1 AND key = $2", params,
                    "deleting a setting", fmt::format("setting '{}'", key));
    });
  }

  Result<std::vector<std::pair<std::string, std::string>>> list_settings(
      TenantId tenant, std::string_view prefix) override {
    using Pair = std::pair<std::string, std::string>;
    return guarded(kReads, "listing settings", [&]() -> Result<std::vector<Pair>> {
      // The keys from `prefix` up to the first key that does not start with it, in byte order.
      Params params;
      params.id(tenant).text(prefix);
      return query_all(
          "SELECT key, value FROM settings WHERE tenant_id = $1 "
          "AND left(key, length($2)) = $2 ORDER BY key COLLATE \"C\"",
          params, "listing settings", "settings", [](Row& row) -> Result<Pair> {
            std::string key = row.text();
            return Pair(std::move(key), row.text());
          });
    });
  }

  // --- agents

  Result<AgentId> insert_agent(const Agent& agent) override {
    return guarded(kWrites, "inserting an agent", [&]() -> Result<AgentId> {
      Params params;
      params.id(agent.tenant)
          .text(agent.name)
          .name(agent.kind)
          .name(agent.presence)
          .text(sqlite::encode_string_list(agent.teams))
          .text(sqlite::encode_string_list(agent.skills))
          .text(sqlite::encode_string_list(agent.languages))
          .timestamp(agent.created_at)
          .int64(agent.capacity.synchronous)
          .int64(agent.capacity.asynchronous)
          .int64(last_routed_column(agent.last_routed_at));
      return insert<AgentId>(
          "INSERT INTO agents (tenant_id, name, kind, presence, teams, skills, languages, "
          "created_at, capacity_sync, capacity_async, last_routed_at) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
          params, "inserting an agent");
    });
  }

  Result<Agent> get_agent(TenantId tenant, AgentId id) override {
    return guarded(kReads, "reading an agent", [&]() -> Result<Agent> {
      static const std::string sql =
          fmt::format("SELECT {} FROM agents WHERE tenant_id = $1 AND id = $2", kAgentColumns);
      Params params;
      params.id(tenant).id(id);
      return query_one(sql, params, "reading an agent", fmt::format("agent {}", id.value()),
                       "agents", read_agent);
    });
  }

  Status update_agent(const Agent& agent) override {
    return guarded(kWrites, "updating an agent", [&]() -> Status {
      Params params;
      params.text(agent.name)
          .name(agent.kind)
          .name(agent.presence)
          .text(sqlite::encode_string_list(agent.teams))
          .text(sqlite::encode_string_list(agent.skills))
          .text(sqlite::encode_string_list(agent.languages))
          .timestamp(agent.created_at)
          .int64(agent.capacity.synchronous)
          .int64(agent.capacity.asynchronous)
          .int64(last_routed_column(agent.last_routed_at))
          .id(agent.tenant)
          .id(agent.id);
      return update(
          "UPDATE agents SET name = $1, kind = $2, presence = $3, teams = $4, skills = $5, "
          "languages = $6, created_at = $7, capacity_sync = $8, capacity_async = $9, "
          "last_routed_at = $10 WHERE tenant_id = $11 AND id = $12",
          params, "updating an agent", fmt::format("agent {}", agent.id.value()));
    });
  }

  Status append_agent_activity(const AgentActivity& a) override {
    return guarded(kWrites, "logging agent activity", [&]() -> Status {
      Params params;
      params.timestamp(a.at)
          .name(a.presence)
          .int64(a.load.synchronous)
          .int64(a.load.asynchronous)
          .id(a.tenant)
          .id(a.agent);
      // Only for an agent of the tenant: the SELECT yields no row otherwise.
      return update(
          "INSERT INTO agent_activity (tenant_id, agent_id, at, presence, load_sync, load_async) "
          "SELECT tenant_id, id, $1, $2, $3, $4 FROM agents WHERE tenant_id = $5 AND id = $6",
          params, "logging agent activity", fmt::format("agent {}", a.agent.value()));
    });
  }

  Result<std::vector<Agent>> list_agents(TenantId tenant) override {
    return guarded(kReads, "listing agents", [&]() -> Result<std::vector<Agent>> {
      static const std::string sql =
          fmt::format("SELECT {} FROM agents WHERE tenant_id = $1 ORDER BY id", kAgentColumns);
      Params params;
      params.id(tenant);
      return query_all(sql, params, "listing agents", "agents", read_agent);
    });
  }

  Result<std::vector<Agent>> list_routable_agents(TenantId, RoutingClass, RoutingStrategy,
                                                  const Agent*, std::size_t) override;

  // --- customers

  Result<CustomerId> insert_customer(const Customer& customer) override {
    return guarded(kWrites, "inserting a customer", [&]() -> Result<CustomerId> {
      Params params;
      params.id(customer.tenant)
          .text(customer.display_name)
          .text(sqlite::encode_string_map(customer.attributes))
          .optional_id(customer.merged_into)
          .timestamp(customer.created_at)
          .timestamp(customer.updated_at)
          .text(customer_name_key(customer.display_name))
          .text(sqlite::encode_preferences(customer.preferences));
      return insert<CustomerId>(
          "INSERT INTO customers (tenant_id, display_name, attributes, merged_into, created_at, "
          "updated_at, name_key, preferences) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
          "RETURNING id",
          params, "inserting a customer");
    });
  }

  Result<Customer> get_customer(TenantId tenant, CustomerId id) override {
    return guarded(kReads, "reading a customer", [&]() -> Result<Customer> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM customers WHERE tenant_id = $1 AND id = $2", kCustomerColumns);
      Params params;
      params.id(tenant).id(id);
      return query_one(sql, params, "reading a customer", fmt::format("customer {}", id.value()),
                       "customers", read_customer);
    });
  }

  Status update_customer(const Customer& customer) override {
    return guarded(kWrites, "updating a customer", [&]() -> Status {
      Params params;
      params.text(customer.display_name)
          .text(sqlite::encode_string_map(customer.attributes))
          .optional_id(customer.merged_into)
          .timestamp(customer.created_at)
          .timestamp(customer.updated_at)
          .text(customer_name_key(customer.display_name))
          .text(sqlite::encode_preferences(customer.preferences))
          .id(customer.tenant)
          .id(customer.id);
      return update(
          "UPDATE customers SET display_name = $1, attributes = $2, merged_into = $3, "
          "created_at = $4, updated_at = $5, name_key = $6, preferences = $7 "
          "WHERE tenant_id = $8 AND id = $9",
          params, "updating a customer", fmt::format("customer {}", customer.id.value()));
    });
  }

  Result<std::vector<Customer>> list_customers(TenantId tenant, CustomerId after,
                                               std::size_t limit) override {
    return guarded(kReads, "listing customers", [&]() -> Result<std::vector<Customer>> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM customers WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
          kCustomerColumns);
      Params params;
      params.id(tenant).id(after).int64(sql_limit(limit));
      return query_all(sql, params, "listing customers", "customers", read_customer);
    });
  }

  Result<std::vector<Customer>> find_customers_by_name_key(TenantId tenant,
                                                           std::string_view name_key,
                                                           std::size_t limit) override {
    return guarded(kReads, "finding customers by name", [&]() -> Result<std::vector<Customer>> {
      if (name_key.empty()) return std::vector<Customer>();  // an empty key matches no one
      static const std::string sql = fmt::format(
          "SELECT {} FROM customers WHERE tenant_id = $1 AND name_key = $2 AND name_key <> '' "
          "ORDER BY id LIMIT $3",
          kCustomerColumns);
      Params params;
      params.id(tenant).text(name_key).int64(sql_limit(limit));
      return query_all(sql, params, "finding customers by name", "customers", read_customer);
    });
  }

  // --- identities

  Result<IdentityId> insert_identity(const Identity& identity) override {
    return guarded(kWrites, "inserting an identity", [&]() -> Result<IdentityId> {
      Params params;
      params.id(identity.tenant)
          .id(identity.customer)
          .name(identity.kind)
          .text(identity.scope)
          .text(identity.value)
          .boolean(identity.verified)
          .text(identity.source)
          .timestamp(identity.first_seen)
          .timestamp(identity.last_seen);
      return insert<IdentityId>(
          "INSERT INTO identities (tenant_id, customer_id, kind, scope, value, verified, source, "
          "first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
          params, "inserting an identity");
    });
  }

  Result<Identity> find_identity(TenantId tenant, IdentityKind kind, std::string_view scope,
                                 std::string_view value) override {
    return guarded(kReads, "finding an identity", [&]() -> Result<Identity> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM identities WHERE tenant_id = $1 AND kind = $2 AND scope = $3 "
          "AND value = $4",
          kIdentityColumns);
      Params params;
      params.id(tenant).name(kind).text(scope).text(value);
      return query_one(sql, params, "finding an identity",
                       fmt::format("identity {}:{}:{}", to_string(kind), scope, value),
                       "identities", read_identity);
    });
  }

  Result<std::vector<Identity>> list_identities(TenantId tenant, CustomerId customer) override {
    return guarded(kReads, "listing identities", [&]() -> Result<std::vector<Identity>> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM identities WHERE tenant_id = $1 AND customer_id = $2 ORDER BY id",
          kIdentityColumns);
      Params params;
      params.id(tenant).id(customer);
      return query_all(sql, params, "listing identities", "identities", read_identity);
    });
  }

  Result<std::vector<Identity>> list_identities_by_prefix(TenantId tenant, IdentityKind kind,
                                                          std::string_view scope,
                                                          std::string_view prefix,
                                                          std::size_t limit) override {
    return guarded(kReads, "listing identities by prefix", [&]() -> Result<std::vector<Identity>> {
      // A range of identities_by_value in byte order: [prefix, prefix || U+10FFFF), the largest
      // code point, so the bound is valid UTF-8 (which PostgreSQL text requires); the repeat of
      // the prefix test keeps the answer exact.
      static const std::string sql = fmt::format(
          "SELECT {} FROM identities WHERE tenant_id = $1 AND kind = $2 AND scope = $3 "
          "AND value COLLATE \"C\" >= $4 AND value COLLATE \"C\" <= $4 || chr(1114111) "
          "AND left(value, length($4)) = $4 ORDER BY value COLLATE \"C\" LIMIT $5",
          kIdentityColumns);
      Params params;
      params.id(tenant).name(kind).text(scope).text(prefix).int64(sql_limit(limit));
      return query_all(sql, params, "listing identities by prefix", "identities", read_identity);
    });
  }

  Status touch_identity(TenantId tenant, IdentityId id, Timestamp last_seen) override {
    return guarded(kWrites, "touching an identity", [&]() -> Status {
      Params params;
      params.timestamp(last_seen).id(tenant).id(id);
      return update("UPDATE identities SET last_seen = $1 WHERE tenant_id = $2 AND id = $3", params,
                    "touching an identity", fmt::format("identity {}", id.value()));
    });
  }

  // --- consents

  Status put_consent(const Consent& consent) override {
    return guarded(kWrites, "writing a consent", [&]() -> Status {
      Params params;
      params.id(consent.tenant)
          .name(consent.channel_kind)
          .name(consent.state)
          .text(consent.source)
          .text(consent.evidence)
          .timestamp(consent.changed_at)
          .id(consent.identity);
      // Only onto an identity of the same tenant: the SELECT yields no row otherwise.
      return update(
          "INSERT INTO consents (tenant_id, identity_id, channel_kind, state, source, evidence, "
          "changed_at) SELECT $1, id, $2, $3, $4, $5, $6 FROM identities "
          "WHERE tenant_id = $1 AND id = $7 "
          "ON CONFLICT (tenant_id, identity_id, channel_kind) DO UPDATE SET "
          "state = EXCLUDED.state, source = EXCLUDED.source, evidence = EXCLUDED.evidence, "
          "changed_at = EXCLUDED.changed_at",
          params, "writing a consent", fmt::format("identity {}", consent.identity.value()));
    });
  }

  Result<Consent> get_consent(TenantId tenant, IdentityId identity, ChannelKind kind) override {
    return guarded(kReads, "reading a consent", [&]() -> Result<Consent> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM consents WHERE tenant_id = $1 AND identity_id = $2 "
          "AND channel_kind = $3",
          kConsentColumns);
      Params params;
      params.id(tenant).id(identity).name(kind);
      return query_one(sql, params, "reading a consent",
                       fmt::format("consent of identity {}", identity.value()), "consents",
                       read_consent);
    });
  }

  Result<std::vector<Consent>> list_consents(TenantId tenant, CustomerId customer) override {
    return guarded(kReads, "listing consents", [&]() -> Result<std::vector<Consent>> {
      Params params;
      params.id(tenant).id(customer);
      return query_all(
          "SELECT c.tenant_id, c.identity_id, c.channel_kind, c.state, c.source, c.evidence, "
          "c.changed_at FROM identities i JOIN consents c "
          "ON c.tenant_id = i.tenant_id AND c.identity_id = i.id "
          "WHERE i.tenant_id = $1 AND i.customer_id = $2 "
          "ORDER BY c.identity_id, c.channel_kind COLLATE \"C\"",
          params, "listing consents", "consents", read_consent);
    });
  }

  // --- conversations

  Result<ConversationId> insert_conversation(const Conversation& conversation) override {
    return guarded(kWrites, "inserting a conversation", [&]() -> Result<ConversationId> {
      Params params;
      params.id(conversation.tenant);
      bind_conversation_fields(params, conversation);
      return insert<ConversationId>(
          "INSERT INTO conversations (tenant_id, customer_id, status, priority, assignee_id, "
          "team, subject, origin_channel_id, current_channel_id, opened_at, updated_at, "
          "first_response_at, last_inbound_at, last_outbound_at, resolved_at, closed_at, "
          "reopen_count, joinable, merged_into, routing_class, skills, language, queued_at, "
          "offered_to, offer_expires_at, passed_over, preferred_agent, sticky_until, sla, "
          "next_timer_at, handoff_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
          "$12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, "
          "$29, $30, $31) RETURNING id",
          params, "inserting a conversation");
    });
  }

  Result<Conversation> get_conversation(TenantId tenant, ConversationId id) override {
    return guarded(kReads, "reading a conversation", [&]() -> Result<Conversation> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM conversations WHERE tenant_id = $1 AND id = $2", kConversationColumns);
      Params params;
      params.id(tenant).id(id);
      return query_one(sql, params, "reading a conversation",
                       fmt::format("conversation {}", id.value()), "conversations",
                       read_conversation);
    });
  }

  Status update_conversation(const Conversation& conversation) override {
    return guarded(kWrites, "updating a conversation", [&]() -> Status {
      Params params;
      bind_conversation_fields(params, conversation);
      params.id(conversation.tenant).id(conversation.id);
      return update(
          "UPDATE conversations SET customer_id = $1, status = $2, priority = $3, "
          "assignee_id = $4, team = $5, subject = $6, origin_channel_id = $7, "
          "current_channel_id = $8, opened_at = $9, updated_at = $10, first_response_at = $11, "
          "last_inbound_at = $12, last_outbound_at = $13, resolved_at = $14, closed_at = $15, "
          "reopen_count = $16, joinable = $17, merged_into = $18, routing_class = $19, "
          "skills = $20, language = $21, queued_at = $22, offered_to = $23, "
          "offer_expires_at = $24, passed_over = $25, preferred_agent = $26, "
          "sticky_until = $27, sla = $28, next_timer_at = $29, handoff_count = $30 "
          "WHERE tenant_id = $31 AND id = $32",
          params, "updating a conversation",
          fmt::format("conversation {}", conversation.id.value()));
    });
  }

  Result<Conversation> find_active_conversation(TenantId tenant, CustomerId customer) override {
    return guarded(kReads, "finding the active conversation", [&]() -> Result<Conversation> {
      // The condition repeats the partial unique index's WHERE so the planner can use it.
      static const std::string sql = fmt::format(
          "SELECT {} FROM conversations WHERE tenant_id = $1 AND customer_id = $2 "
          "AND status IN ('open', 'pending') AND joinable",
          kConversationColumns);
      Params params;
      params.id(tenant).id(customer);
      return query_one(
          sql, params, "finding the active conversation",
          fmt::format("a joinable active conversation of customer {}", customer.value()),
          "conversations", read_conversation);
    });
  }

  Result<std::vector<Conversation>> list_active_conversations(TenantId tenant,
                                                              CustomerId customer) override {
    using Conversations = std::vector<Conversation>;
    return guarded(kReads, "listing active conversations", [&]() -> Result<Conversations> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM conversations WHERE tenant_id = $1 AND customer_id = $2 "
          "AND status IN ('open', 'pending') ORDER BY opened_at DESC, id DESC",
          kConversationColumns);
      Params params;
      params.id(tenant).id(customer);
      return query_all(sql, params, "listing active conversations", "conversations",
                       read_conversation);
    });
  }

  Result<Conversation> find_last_resolved_conversation(TenantId tenant,
                                                       CustomerId customer) override {
    return guarded(kReads, "finding the last resolved conversation", [&]() -> Result<Conversation> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM conversations WHERE tenant_id = $1 AND customer_id = $2 "
          "AND status = 'resolved' ORDER BY resolved_at DESC, id DESC LIMIT 1",
          kConversationColumns);
      Params params;
      params.id(tenant).id(customer);
      return query_one(sql, params, "finding the last resolved conversation",
                       fmt::format("a resolved conversation of customer {}", customer.value()),
                       "conversations", read_conversation);
    });
  }

  Result<std::vector<Conversation>> list_conversations(TenantId tenant, CustomerId customer,
                                                       std::size_t limit) override {
    return guarded(kReads, "listing conversations", [&]() -> Result<std::vector<Conversation>> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM conversations WHERE tenant_id = $1 AND customer_id = $2 "
          "ORDER BY opened_at DESC, id DESC LIMIT $3",
          kConversationColumns);
      Params params;
      params.id(tenant).id(customer).int64(sql_limit(limit));
      return query_all(sql, params, "listing conversations", "conversations", read_conversation);
    });
  }

  Result<std::vector<Conversation>> list_waiting_conversations(TenantId, RoutingClass,
                                                               const Conversation*,
                                                               std::size_t) override;
  Result<std::vector<Conversation>> list_reserved_conversations(TenantId, AgentId, Timestamp,
                                                                std::size_t) override;
  Result<std::vector<Conversation>> list_offered_conversations(TenantId, AgentId,
                                                               std::size_t) override;
  Result<std::vector<Conversation>> list_due_conversations(TenantId, Timestamp,
                                                           std::size_t) override;
  Result<Timestamp> next_timer(TenantId) override;
  Result<TouchpointId> insert_touchpoint(const Touchpoint&) override;
  Result<Touchpoint> get_touchpoint(TenantId, TouchpointId) override;
  Result<Touchpoint> find_touchpoint(TenantId, ChannelId, std::string_view) override;
  Status update_delivery(TenantId, TouchpointId, DeliveryStatus, std::string_view) override;
  Result<std::vector<Touchpoint>> list_touchpoints(const TouchpointQuery&) override;
  Result<HandoffId> insert_handoff(const Handoff&) override;
  Result<Handoff> get_handoff(TenantId, HandoffId) override;
  Status update_handoff(const Handoff&) override;
  Result<std::vector<Handoff>> list_handoffs(TenantId, ConversationId) override;
  Result<MergeId> insert_merge(const MergeRecord&) override;
  Result<MergeRecord> get_merge(TenantId, MergeId) override;
  Status update_merge(const MergeRecord&) override;
  Result<std::vector<MergeRecord>> list_merges(TenantId, CustomerId) override;
  Status move_customer_records(TenantId, MergeId, CustomerId, CustomerId) override;
  Result<std::vector<Touchpoint>> restore_customer_records(TenantId, MergeId, CustomerId,
                                                           CustomerId) override;
  Status move_touchpoint(TenantId, TouchpointId, CustomerId,
                         std::optional<ConversationId>) override;
  Status move_conversation_contents(TenantId, ConversationId, ConversationId) override;
  Result<ArticleId> insert_article(const Article&) override;
  Status update_article(const Article&) override;
  Result<Article> get_article(TenantId, ArticleId) override;
  Result<Article> find_article(TenantId, std::string_view) override;
  Status delete_article(TenantId, ArticleId) override;
  Result<std::vector<ArticleHit>> search_articles(const ArticleSearch&) override;
  Result<DeflectionReport> count_deflection(TenantId, Timestamp, Timestamp,
                                            std::chrono::microseconds) override;
  Result<bool> put_csat(const CsatResponse&) override;
  Result<CsatResponse> get_csat(TenantId, ConversationId) override;
  Result<CsatSummary> summarize_csat(const CsatQuery&) override;
  Result<std::vector<MetricsRow>> compute_metrics(const MetricsQuery&,
                                                  const std::vector<MetricsBucket>&) override;
  Result<std::vector<ConversationTimes>> list_conversation_times(const MetricsQuery&,
                                                                 const MetricsBucket&) override;
  Result<std::vector<CustomerChannels>> count_preferred_channels(
      const PreferredChannelsQuery&) override;
  Status insert_pending_delivery(const PendingDelivery&) override;
  Result<PendingDelivery> get_pending_delivery(TenantId, TouchpointId) override;
  Status update_pending_delivery(const PendingDelivery&) override;
  Status delete_pending_delivery(TenantId, TouchpointId) override;
  Result<std::vector<PendingDelivery>> list_due_deliveries(TenantId, Timestamp,
                                                           std::size_t) override;
  // --- events

  Result<std::int64_t> append_event(const Event& event) override {
    return guarded(kWrites, "appending an event", [&]() -> Result<std::int64_t> {
      // Sequences come from one PostgreSQL sequence (never a conflict, gaps after rollbacks),
      // taken under the tenant's event lock, a transaction-level advisory lock held to commit:
      // the next appender of the tenant waits for this commit before it draws its number, so
      // sequences become visible in commit order and a consumer that has read n never finds a
      // smaller one later. Reading MAX(sequence) + 1 instead made every two writers of a tenant
      // a serialization failure at SERIALIZABLE.
      if (!event_locks_.count(event.tenant.value())) {
        Params lock;
        lock.id(event.tenant);
        OMNI_RETURN_IF_ERROR(
            run("SELECT pg_advisory_xact_lock(1869442665, ($1::bigint % "
                "2147483647)::integer)",
                lock, "taking the tenant's event lock"));
      }
      Params params;
      params.id(event.tenant)
          .optional_id(event.customer)
          .optional_id(event.conversation)
          .text(event.type)
          .text(event.payload)
          .timestamp(event.created_at);
      auto sequence = insert<std::int64_t>(
          "INSERT INTO events (tenant_id, sequence, customer_id, conversation_id, type, payload, "
          "created_at) VALUES ($1, nextval('events_sequence'), $2, $3, $4, $5, $6) "
          "RETURNING sequence",
          params, "appending an event");
      // On failure the savepoint's rollback also gives the lock back.
      if (sequence.ok()) event_locks_.insert(event.tenant.value());
      return sequence;
    });
  }

  Result<std::vector<Event>> list_events(TenantId tenant, std::int64_t after,
                                         std::size_t limit) override {
    return guarded(kReads, "listing events", [&]() -> Result<std::vector<Event>> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM events WHERE tenant_id = $1 AND sequence > $2 ORDER BY sequence "
          "LIMIT $3",
          kEventColumns);
      Params params;
      params.id(tenant).int64(after).int64(sql_limit(limit));
      return query_all(sql, params, "listing events", "events", read_event);
    });
  }

 private:
  // --- running statements

  Result<QueryResult> query(const std::string& sql, const Params& params, std::string_view what) {
    return connection_->query(sql, params.get(), what);
  }

  Status run(const std::string& sql, const Params& params, std::string_view what) {
    OMNI_ASSIGN_OR_RETURN(QueryResult result, query(sql, params, what));
    return Status::ok_status();
  }

  // An INSERT ... RETURNING id.
  template <typename IdType>
  Result<IdType> insert(const std::string& sql, const Params& params, std::string_view what) {
    OMNI_ASSIGN_OR_RETURN(QueryResult result, query(sql, params, what));
    if (result.rows() != 1) {
      return Status::internal(fmt::format("postgres: {}: no id returned", what));
    }
    OMNI_ASSIGN_OR_RETURN(std::int64_t id, result.int64(0, 0));
    return IdType(id);
  }

  // An UPDATE or DELETE (or INSERT ... SELECT) that must change a row: kNotFound otherwise.
  Status update(const std::string& sql, const Params& params, std::string_view what,
                std::string_view missing) {
    OMNI_ASSIGN_OR_RETURN(QueryResult result, query(sql, params, what));
    if (result.affected() == 0) {
      return Status::not_found(fmt::format("postgres: {}: {} not found", what, missing));
    }
    return Status::ok_status();
  }

  template <typename Reader>
  auto query_one(const std::string& sql, const Params& params, std::string_view what,
                 std::string_view missing, std::string_view table, Reader read)
      -> decltype(read(std::declval<Row&>())) {
    OMNI_ASSIGN_OR_RETURN(QueryResult result, query(sql, params, what));
    if (result.rows() == 0) {
      return Status::not_found(fmt::format("postgres: {}: {} not found", what, missing));
    }
    Row row(result, 0, table);
    return read(row);
  }

  template <typename Reader>
  auto query_all(const std::string& sql, const Params& params, std::string_view what,
                 std::string_view table, Reader read)
      -> Result<std::vector<std::remove_reference_t<decltype(*read(std::declval<Row&>()))>>> {
    using Value = std::remove_reference_t<decltype(*read(std::declval<Row&>()))>;
    OMNI_ASSIGN_OR_RETURN(QueryResult result, query(sql, params, what));
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(result.rows()));
    for (int i = 0; i < result.rows(); ++i) {
      Row row(result, i, table);
      OMNI_ASSIGN_OR_RETURN(Value value, read(row));
      values.push_back(std::move(value));
    }
    return values;
  }

  // --- the transaction's state

  Status check_usable(Access access, std::string_view what) const {
    if (broken_) return *broken_;
    if (!open_) {
      return Status::failed_precondition(
          fmt::format("postgres: {}: the transaction has already ended", what));
    }
    if (access == kWrites && mode_ == TransactionMode::kRead) {
      return Status::failed_precondition(
          fmt::format("postgres: {}: not allowed in a read transaction", what));
    }
    return Status::ok_status();
  }

  // Runs one operation. A failed statement aborts a PostgreSQL transaction, while the Store
  // contract lets a caller go on after an expected failure (kAlreadyExists from an insert,
  // kNotFound from an update). Writes therefore run inside a savepoint that a failure rolls back
  // to; a serialization failure (kConflict) or a lost connection ends the transaction instead:
  // every later call returns it, and the engine starts over.
  template <typename Body>
  auto guarded(Access access, std::string_view what, Body&& body) -> decltype(body()) {
    try {
      Status usable = check_usable(access, what);
      if (!usable.ok()) return usable;
      const bool savepoint = access == kWrites;
      if (savepoint) {
        Status set = connection_->exec("SAVEPOINT omni_op", what);
        if (!set.ok()) return fail(set);
      }
      auto result = body();
      const Status& status = status_of(result);
      if (status.ok()) {
        if (savepoint) {
          Status released = connection_->exec("RELEASE SAVEPOINT omni_op", what);
          if (!released.ok()) return fail(released);
        }
        return result;
      }
      if (status.is(StatusCode::kConflict) || status.is(StatusCode::kUnavailable) || !savepoint) {
        // Reads: the statement failed outside a savepoint; the transaction is over.
        if (!status.is(StatusCode::kNotFound)) (void)fail(status);
        return result;
      }
      Status back = connection_->exec("ROLLBACK TO SAVEPOINT omni_op", what);
      if (!back.ok()) (void)fail(back);
      return result;
    } catch (...) {
      return fail(exception_status(what));
    }
  }

  Status fail(const Status& status) {
    if (!broken_) {
      broken_ = Status(status.code(), "the transaction was aborted after: " + status.message());
    }
    return status;
  }

  static Status exception_status(std::string_view what) {
    try {
      throw;
    } catch (const std::bad_alloc&) {
      return Status::internal(fmt::format("postgres: {}: out of memory", what));
    } catch (const std::exception& e) {
      return Status::internal(fmt::format("postgres: {}: exception: {}", what, e.what()));
    } catch (...) {
      return Status::internal(fmt::format("postgres: {}: unknown exception", what));
    }
  }

  std::shared_ptr<pg::ConnectionPool> pool_;
  std::unique_ptr<pg::Connection> connection_;
  TransactionMode mode_;
  bool open_ = true;
  std::optional<Status> broken_;
  std::string unlock_;
  // Tenants whose event lock this transaction holds (append_event).
  std::set<std::int64_t> event_locks_;
};

}  // namespace omni::pgstore
