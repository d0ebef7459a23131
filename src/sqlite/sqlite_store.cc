// SqliteStore: the default embedded Store. One SQLite file in WAL mode; each transaction borrows
// a connection from a small pool; write transactions take SQLite's write lock up front
// (BEGIN IMMEDIATE). The schema lives in sqlite/schema.cc, the SQLite plumbing in
// sqlite/sqlite_db.h.
#include "omni/sqlite_store.h"

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
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "internal/macros.h"
#include "omni/normalize.h"
#include "sqlite/json_columns.h"
#include "sqlite/schema.h"
#include "sqlite/sqlite_db.h"

namespace omni {
namespace {

using sqlite::Statement;

// --- binding parameters and reading columns in order

class Params {
 public:
  explicit Params(Statement& statement) : statement_(statement) {}

  Params& int64(std::int64_t value) {
    statement_.bind_int64(++index_, value);
    return *this;
  }
  Params& text(std::string_view value) {
    statement_.bind_text(++index_, value);
    return *this;
  }
  Params& boolean(bool value) {
    statement_.bind_bool(++index_, value);
    return *this;
  }
  Params& real(double value) {
    statement_.bind_double(++index_, value);
    return *this;
  }
  Params& timestamp(Timestamp value) { return int64(to_unix_micros(value)); }
  Params& optional_timestamp(const std::optional<Timestamp>& value) {
    statement_.bind_optional_int64(++index_,
                                   value ? std::optional(to_unix_micros(*value)) : std::nullopt);
    return *this;
  }
  template <typename Tag>
  Params& id(Id<Tag> value) {
    return int64(value.value());
  }
  template <typename Tag>
  Params& optional_id(const std::optional<Id<Tag>>& value) {
    statement_.bind_optional_int64(++index_, value ? std::optional(value->value()) : std::nullopt);
    return *this;
  }
  // For reference fields that are not optional in the model but may be unset (an invalid id):
  // stored as NULL so the foreign key does not apply, read back as the invalid id.
  template <typename Tag>
  Params& id_or_null(Id<Tag> value) {
    statement_.bind_optional_int64(++index_,
                                   value.valid() ? std::optional(value.value()) : std::nullopt);
    return *this;
  }
  template <typename E>
  Params& name(E value) {
    return text(to_string(value));
  }

 private:
  Statement& statement_;
  int index_ = 0;
};

class Row {
 public:
  Row(const Statement& statement, std::string_view table) : statement_(statement), table_(table) {}

  std::int64_t int64() { return statement_.column_int64(next_++); }
  std::string text() { return statement_.column_text(next_++); }
  bool boolean() { return int64() != 0; }
  double real() { return statement_.column_double(next_++); }
  Timestamp timestamp() { return from_unix_micros(int64()); }
  std::optional<Timestamp> optional_timestamp() {
    auto value = statement_.column_optional_int64(next_++);
    if (!value) return std::nullopt;
    return from_unix_micros(*value);
  }
  template <typename IdType>
  IdType id() {
    return IdType(int64());
  }
  template <typename IdType>
  std::optional<IdType> optional_id() {
    auto value = statement_.column_optional_int64(next_++);
    if (!value) return std::nullopt;
    return IdType(*value);
  }
  template <typename IdType>
  IdType id_or_null() {
    return IdType(statement_.column_optional_int64(next_++).value_or(0));
  }
  // An enum stored by its stable name; an unknown name is corruption.
  template <typename E>
  Result<E> name(std::optional<E> (*parse)(std::string_view)) {
    std::string value = text();
    std::optional<E> parsed = parse(value);
    if (!parsed) return unknown(value);
    return *parsed;
  }
  Result<std::uint32_t> uint32() {
    const std::int64_t value = int64();
    if (value < 0 || value > std::numeric_limits<std::uint32_t>::max()) {
      return unknown(std::to_string(value));
    }
    return static_cast<std::uint32_t>(value);
  }
  Result<int> int32() {
    const std::int64_t value = int64();
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
      return unknown(std::to_string(value));
    }
    return static_cast<int>(value);
  }
  // Names the column just read, for decoding errors.
  std::string where() const {
    return fmt::format("{}.{}", table_, statement_.column_name(std::max(0, next_ - 1)));
  }

 private:
  Status unknown(std::string_view value) const {
    return Status::corruption(fmt::format("sqlite: unexpected value '{}' in {}", value, where()));
  }

  const Statement& statement_;
  std::string_view table_;
  int next_ = 0;
};

// --- enums without a parse_* function in the public headers

template <typename E, std::size_t N>
std::optional<E> parse_among(const std::array<E, N>& values, std::string_view name) {
  for (E value : values) {
    if (to_string(value) == name) return value;
  }
  return std::nullopt;
}

constexpr std::array kLengthRules{LengthRule::kUnlimited, LengthRule::kUnicodeCharacters,
                                  LengthRule::kSmsSegments, LengthRule::kTwitterWeighted};
constexpr std::array kFormalities{Formality::kFormal, Formality::kNeutral, Formality::kInformal};

std::optional<LengthRule> parse_length_rule(std::string_view name) {
  return parse_among(kLengthRules, name);
}
std::optional<Formality> parse_formality(std::string_view name) {
  return parse_among(kFormalities, name);
}

// --- row readers; the column lists and the readers must agree

constexpr std::string_view kTenantColumns = "id, name, default_region, created_at";

Result<Tenant> read_tenant(const Statement& statement) {
  Row row(statement, "tenants");
  Tenant tenant;
  tenant.id = row.id<TenantId>();
  tenant.name = row.text();
  tenant.default_region = row.text();
  tenant.created_at = row.timestamp();
  return tenant;
}

constexpr std::string_view kArticleColumns =
    "id, tenant_id, slug, language, title, body, tags, published, created_at, updated_at";

Result<Article> read_article(const Statement& statement) {
  Row row(statement, "articles");
  Article a;
  a.id = row.id<ArticleId>();
  a.tenant = row.id<TenantId>();
  a.slug = row.text();
  a.language = row.text();
  a.title = row.text();
  a.body = row.text();
  OMNI_ASSIGN_OR_RETURN(a.tags, sqlite::decode_string_list(row.text(), "article tags"));
  a.published = row.boolean();
  a.created_at = row.timestamp();
  a.updated_at = row.timestamp();
  return a;
}

// An FTS5 string: the term in double quotes, quotes doubled. Whatever it holds is a phrase to
// look for, never query syntax (no column filter, operator, prefix or NEAR).
std::string fts5_string(std::string_view term) {
  std::string out = "\"";
  for (char c : term) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// The profile columns, in the order read_profile reads and bind_profile binds them.
constexpr std::string_view kProfileColumns =
    "synchronous, expected_first_response_s, length_rule, max_length, max_parts, formality, "
    "supports_attachments, secure, requires_consent, cost_per_unit";

Status read_profile(Row& row, ChannelProfile& profile) {
  profile.synchronous = row.boolean();
  profile.expected_first_response = std::chrono::seconds(row.int64());
  OMNI_ASSIGN_OR_RETURN(profile.length_rule, row.name(parse_length_rule));
  OMNI_ASSIGN_OR_RETURN(profile.max_length, row.uint32());
  OMNI_ASSIGN_OR_RETURN(profile.max_parts, row.uint32());
  OMNI_ASSIGN_OR_RETURN(profile.formality, row.name(parse_formality));
  profile.supports_attachments = row.boolean();
  profile.secure = row.boolean();
  profile.requires_consent = row.boolean();
  profile.cost_per_unit = row.real();
  return Status::ok_status();
}

void bind_profile(Params& params, const ChannelProfile& profile) {
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

const std::string kChannelColumns =
    fmt::format("id, tenant_id, kind, name, {}, own_profile, created_at", kProfileColumns);

Result<Channel> read_channel(const Statement& statement) {
  Row row(statement, "channels");
  Channel channel;
  channel.id = row.id<ChannelId>();
  channel.tenant = row.id<TenantId>();
  OMNI_ASSIGN_OR_RETURN(channel.kind, row.name(parse_channel_kind));
  channel.name = row.text();
  OMNI_RETURN_IF_ERROR(read_profile(row, channel.profile));
  channel.own_profile = row.boolean();
  channel.created_at = row.timestamp();
  return channel;
}

Result<ChannelProfile> read_tenant_profile(const Statement& statement) {
  Row row(statement, "tenant_profiles");
  ChannelProfile profile;
  OMNI_RETURN_IF_ERROR(read_profile(row, profile));
  return profile;
}

constexpr std::string_view kAgentColumns =
    "id, tenant_id, name, kind, presence, teams, skills, languages, created_at, capacity_sync, "
    "capacity_async, load_sync, load_async, last_routed_at";

// agents.last_routed_at: 0 stands for "never".
std::int64_t last_routed_column(const std::optional<Timestamp>& at) {
  return at ? to_unix_micros(*at) : 0;
}

Result<Agent> read_agent(const Statement& statement) {
  Row row(statement, "agents");
  Agent agent;
  agent.id = row.id<AgentId>();
  agent.tenant = row.id<TenantId>();
  agent.name = row.text();
  OMNI_ASSIGN_OR_RETURN(agent.kind, row.name(parse_agent_kind));
  OMNI_ASSIGN_OR_RETURN(agent.presence, row.name(parse_presence));
  OMNI_ASSIGN_OR_RETURN(agent.teams, sqlite::decode_string_list(row.text(), "agents.teams"));
  OMNI_ASSIGN_OR_RETURN(agent.skills, sqlite::decode_string_list(row.text(), "agents.skills"));
  OMNI_ASSIGN_OR_RETURN(agent.languages,
                        sqlite::decode_string_list(row.text(), "agents.languages"));
  agent.created_at = row.timestamp();
  OMNI_ASSIGN_OR_RETURN(agent.capacity.synchronous, row.int32());
  OMNI_ASSIGN_OR_RETURN(agent.capacity.asynchronous, row.int32());
  OMNI_ASSIGN_OR_RETURN(agent.load.synchronous, row.int32());
  OMNI_ASSIGN_OR_RETURN(agent.load.asynchronous, row.int32());
  if (const std::int64_t routed = row.int64(); routed != 0) {
    agent.last_routed_at = from_unix_micros(routed);
  }
  return agent;
}

constexpr std::string_view kCustomerColumns =
    "id, tenant_id, display_name, attributes, merged_into, created_at, updated_at, preferences";

Result<Customer> read_customer(const Statement& statement) {
  Row row(statement, "customers");
  Customer customer;
  customer.id = row.id<CustomerId>();
  customer.tenant = row.id<TenantId>();
  customer.display_name = row.text();
  OMNI_ASSIGN_OR_RETURN(customer.attributes,
                        sqlite::decode_string_map(row.text(), "customers.attributes"));
  customer.merged_into = row.optional_id<CustomerId>();
  customer.created_at = row.timestamp();
  customer.updated_at = row.timestamp();
  OMNI_ASSIGN_OR_RETURN(customer.preferences,
                        sqlite::decode_preferences(row.text(), "customers.preferences"));
  return customer;
}

constexpr std::string_view kConsentColumns =
    "tenant_id, identity_id, channel_kind, state, source, evidence, changed_at";

Result<Consent> read_consent(const Statement& statement) {
  Row row(statement, "consents");
  Consent consent;
  consent.tenant = row.id<TenantId>();
  consent.identity = row.id<IdentityId>();
  OMNI_ASSIGN_OR_RETURN(consent.channel_kind, row.name(parse_channel_kind));
  OMNI_ASSIGN_OR_RETURN(consent.state, row.name(parse_consent_state));
  consent.source = row.text();
  consent.evidence = row.text();
  consent.changed_at = row.timestamp();
  return consent;
}

constexpr std::string_view kCsatColumns =
    "tenant_id, conversation_id, customer_id, agent_id, score, comment, channel_kind, responded_at";

Result<CsatResponse> read_csat(const Statement& statement) {
  Row row(statement, "csat_responses");
  CsatResponse r;
  r.tenant = row.id<TenantId>();
  r.conversation = row.id<ConversationId>();
  r.customer = row.id<CustomerId>();
  r.agent = row.optional_id<AgentId>();
  OMNI_ASSIGN_OR_RETURN(r.score, row.int32());
  r.comment = row.text();
  OMNI_ASSIGN_OR_RETURN(r.channel_kind, row.name(parse_channel_kind));
  r.responded_at = row.timestamp();
  return r;
}

constexpr std::string_view kIdentityColumns =
    "id, tenant_id, customer_id, kind, scope, value, verified, source, first_seen, last_seen";

Result<Identity> read_identity(const Statement& statement) {
  Row row(statement, "identities");
  Identity identity;
  identity.id = row.id<IdentityId>();
  identity.tenant = row.id<TenantId>();
  identity.customer = row.id<CustomerId>();
  OMNI_ASSIGN_OR_RETURN(identity.kind, row.name(parse_identity_kind));
  identity.scope = row.text();
  identity.value = row.text();
  identity.verified = row.boolean();
  identity.source = row.text();
  identity.first_seen = row.timestamp();
  identity.last_seen = row.timestamp();
  return identity;
}

constexpr std::string_view kConversationColumns =
    "id, tenant_id, customer_id, status, priority, assignee_id, team, subject, origin_channel_id, "
    "current_channel_id, opened_at, updated_at, first_response_at, last_inbound_at, "
    "last_outbound_at, resolved_at, closed_at, reopen_count, joinable, merged_into, "
    "routing_class, skills, language, queued_at, offered_to, offer_expires_at, passed_over, "
    "preferred_agent, sticky_until, sla, next_timer_at, handoff_count";

// conversations.priority_rank (a generated column, see schema.cc): the queue's order.
std::int64_t priority_rank(Priority priority) {
  switch (priority) {
    case Priority::kUrgent:
      return 0;
    case Priority::kHigh:
      return 1;
    case Priority::kNormal:
      return 2;
    case Priority::kLow:
      break;
  }
  return 3;
}

Result<Conversation> read_conversation(const Statement& statement) {
  Row row(statement, "conversations");
  Conversation conversation;
  conversation.id = row.id<ConversationId>();
  conversation.tenant = row.id<TenantId>();
  conversation.customer = row.id<CustomerId>();
  OMNI_ASSIGN_OR_RETURN(conversation.status, row.name(parse_conversation_status));
  OMNI_ASSIGN_OR_RETURN(conversation.priority, row.name(parse_priority));
  conversation.assignee = row.optional_id<AgentId>();
  conversation.team = row.text();
  conversation.subject = row.text();
  conversation.origin_channel = row.id_or_null<ChannelId>();
  conversation.current_channel = row.id_or_null<ChannelId>();
  conversation.opened_at = row.timestamp();
  conversation.updated_at = row.timestamp();
  conversation.first_response_at = row.optional_timestamp();
  conversation.last_inbound_at = row.optional_timestamp();
  conversation.last_outbound_at = row.optional_timestamp();
  conversation.resolved_at = row.optional_timestamp();
  conversation.closed_at = row.optional_timestamp();
  OMNI_ASSIGN_OR_RETURN(conversation.reopen_count, row.int32());
  conversation.joinable = row.boolean();
  conversation.merged_into = row.optional_id<ConversationId>();
  OMNI_ASSIGN_OR_RETURN(conversation.routing_class, row.name(parse_routing_class));
  OMNI_ASSIGN_OR_RETURN(conversation.skills,
                        sqlite::decode_string_list(row.text(), "conversations.skills"));
  conversation.language = row.text();
  conversation.queued_at = row.optional_timestamp();
  conversation.offered_to = row.optional_id<AgentId>();
  conversation.offer_expires_at = row.optional_timestamp();
  OMNI_ASSIGN_OR_RETURN(std::vector<std::int64_t> passed_over,
                        sqlite::decode_id_list(row.text(), "conversations.passed_over"));
  for (std::int64_t id : passed_over)
    conversation.passed_over.emplace_back(id);
  conversation.preferred_agent = row.optional_id<AgentId>();
  conversation.sticky_until = row.optional_timestamp();
  OMNI_ASSIGN_OR_RETURN(conversation.sla,
                        sqlite::decode_sla_state(row.text(), "conversations.sla"));
  conversation.next_timer_at = row.optional_timestamp();
  OMNI_ASSIGN_OR_RETURN(conversation.handoff_count, row.int32());
  return conversation;
}

constexpr std::string_view kTouchpointColumns =
    "id, tenant_id, customer_id, conversation_id, channel_id, channel_kind, kind, agent_id, "
    "handoff_id, subject, body, attachments, metadata, provider_message_id, delivery, "
    "occurred_at, recorded_at, identity_id";

Result<Touchpoint> read_touchpoint(const Statement& statement) {
  Row row(statement, "touchpoints");
  Touchpoint touchpoint;
  touchpoint.id = row.id<TouchpointId>();
  touchpoint.tenant = row.id<TenantId>();
  touchpoint.customer = row.id<CustomerId>();
  touchpoint.conversation = row.optional_id<ConversationId>();
  touchpoint.channel = row.optional_id<ChannelId>();
  OMNI_ASSIGN_OR_RETURN(touchpoint.channel_kind, row.name(parse_channel_kind));
  OMNI_ASSIGN_OR_RETURN(touchpoint.kind, row.name(parse_touchpoint_kind));
  touchpoint.agent = row.optional_id<AgentId>();
  touchpoint.handoff = row.optional_id<HandoffId>();
  touchpoint.subject = row.text();
  touchpoint.body = row.text();
  OMNI_ASSIGN_OR_RETURN(touchpoint.attachments,
                        sqlite::decode_attachments(row.text(), "touchpoints.attachments"));
  OMNI_ASSIGN_OR_RETURN(touchpoint.metadata,
                        sqlite::decode_string_map(row.text(), "touchpoints.metadata"));
  touchpoint.provider_message_id = row.text();
  OMNI_ASSIGN_OR_RETURN(touchpoint.delivery, row.name(parse_delivery_status));
  touchpoint.occurred_at = row.timestamp();
  touchpoint.recorded_at = row.timestamp();
  touchpoint.identity = row.optional_id<IdentityId>();
  return touchpoint;
}

constexpr std::string_view kHandoffColumns =
    "id, tenant_id, conversation_id, kind, mode, from_channel_id, to_channel_id, from_agent_id, "
    "to_agent_id, from_team, to_team, reason, context, created_at, acknowledged_at, "
    "acknowledged_by";

Result<Handoff> read_handoff(const Statement& statement) {
  Row row(statement, "handoffs");
  Handoff handoff;
  handoff.id = row.id<HandoffId>();
  handoff.tenant = row.id<TenantId>();
  handoff.conversation = row.id<ConversationId>();
  OMNI_ASSIGN_OR_RETURN(handoff.kind, row.name(parse_handoff_kind));
  OMNI_ASSIGN_OR_RETURN(handoff.mode, row.name(parse_handoff_mode));
  handoff.from_channel = row.optional_id<ChannelId>();
  handoff.to_channel = row.optional_id<ChannelId>();
  handoff.from_agent = row.optional_id<AgentId>();
  handoff.to_agent = row.optional_id<AgentId>();
  handoff.from_team = row.text();
  handoff.to_team = row.text();
  handoff.reason = row.text();
  auto context = decode_context_packet(row.text());
  if (!context.ok()) {
    return Status::corruption(
        fmt::format("sqlite: handoff {}: {}", handoff.id.value(), context.status().to_string()));
  }
  handoff.context = std::move(context).value();
  handoff.created_at = row.timestamp();
  handoff.acknowledged_at = row.optional_timestamp();
  handoff.acknowledged_by = row.optional_id<AgentId>();
  return handoff;
}

constexpr std::string_view kMergeColumns =
    "id, tenant_id, survivor_id, merged_id, actor, reason, merged_at, conflicts, "
    "copied_attributes, unmerged_at, unmerged_by";

Result<MergeRecord> read_merge(const Statement& statement) {
  Row row(statement, "merges");
  MergeRecord merge;
  merge.id = row.id<MergeId>();
  merge.tenant = row.id<TenantId>();
  merge.survivor = row.id<CustomerId>();
  merge.merged = row.id<CustomerId>();
  merge.actor = row.text();
  merge.reason = row.text();
  merge.merged_at = row.timestamp();
  OMNI_ASSIGN_OR_RETURN(merge.conflicts,
                        sqlite::decode_attribute_conflicts(row.text(), "merges.conflicts"));
  OMNI_ASSIGN_OR_RETURN(merge.copied_attributes,
                        sqlite::decode_string_list(row.text(), "merges.copied_attributes"));
  merge.unmerged_at = row.optional_timestamp();
  merge.unmerged_by = row.text();
  return merge;
}

constexpr std::string_view kEventColumns =
    "sequence, tenant_id, customer_id, conversation_id, type, payload, created_at";

Result<Event> read_event(const Statement& statement) {
  Row row(statement, "events");
  Event event;
  event.sequence = row.int64();
  event.tenant = row.id<TenantId>();
  event.customer = row.optional_id<CustomerId>();
  event.conversation = row.optional_id<ConversationId>();
  event.type = row.text();
  event.payload = row.text();
  event.created_at = row.timestamp();
  return event;
}

constexpr std::string_view kPendingDeliveryColumns =
    "tenant_id, touchpoint_id, channel_id, attempts, next_attempt_at, last_error";

Result<PendingDelivery> read_pending_delivery(const Statement& statement) {
  Row row(statement, "pending_deliveries");
  PendingDelivery delivery;
  delivery.tenant = row.id<TenantId>();
  delivery.touchpoint = row.id<TouchpointId>();
  delivery.channel = row.id<ChannelId>();
  OMNI_ASSIGN_OR_RETURN(delivery.attempts, row.int32());
  delivery.next_attempt_at = row.timestamp();
  delivery.last_error = row.text();
  return delivery;
}

// "SELECT <columns> FROM <rest>", built once per call site.
std::string select(std::string_view columns, std::string_view rest) {
  return fmt::format("SELECT {} FROM {}", columns, rest);
}

std::int64_t sql_limit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

// The least string greater than every string that starts with `prefix` (bytewise, as SQLite's
// BINARY collation compares): the prefix without its trailing 0xFF bytes, last byte plus one.
// None when every byte is 0xFF (or the prefix is empty): no upper bound.
std::optional<std::string> prefix_upper_bound(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xFF)
    bound.pop_back();
  if (bound.empty()) return std::nullopt;
  bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
  return bound;
}

// --- running statements

Result<std::int64_t> insert(Statement& statement, std::string_view what) {
  OMNI_RETURN_IF_ERROR(statement.run(what));
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(statement.db()));
}

Status update(Statement& statement, std::string_view what, std::string_view missing) {
  OMNI_RETURN_IF_ERROR(statement.run(what));
  if (sqlite3_changes(statement.db()) == 0) {
    return Status::not_found(fmt::format("sqlite: {}: {} not found", what, missing));
  }
  return Status::ok_status();
}

template <typename Reader>
auto query_one(Statement& statement, std::string_view what, std::string_view missing, Reader read)
    -> decltype(read(statement)) {
  OMNI_ASSIGN_OR_RETURN(bool row, statement.step(what));
  if (!row) return Status::not_found(fmt::format("sqlite: {}: {} not found", what, missing));
  return read(statement);
}

template <typename Reader>
auto query_all(Statement& statement, std::string_view what, Reader read)
    -> Result<std::vector<std::remove_reference_t<decltype(*read(statement))>>> {
  using Value = std::remove_reference_t<decltype(*read(statement))>;
  std::vector<Value> values;
  for (;;) {
    OMNI_ASSIGN_OR_RETURN(bool row, statement.step(what));
    if (!row) return values;
    OMNI_ASSIGN_OR_RETURN(Value value, read(statement));
    values.push_back(std::move(value));
  }
}

const Status& status_of(const Status& status) {
  return status;
}
template <typename T>
const Status& status_of(const Result<T>& result) {
  return result.status();
}

// --- the set-based moves of merges and unmerges; each runs inside the database

// move_customer_records, in two steps. Each statement binds every parameter of its list, so
// the lists are split by the parameters they use.
// 1. Remember what moves; ?1 tenant, ?2 merge, ?3 from. Moving a record twice under one merge is
//    a primary key violation; the foreign key makes an unknown merge kNotFound.
constexpr std::array<std::string_view, 3> kRememberCustomerRecords{
    "INSERT INTO merge_moves (tenant_id, merge_id, kind, record_id) "
    "SELECT ?1, ?2, 'identity', id FROM identities "
    "WHERE tenant_id = ?1 AND customer_id = ?3",
    "INSERT INTO merge_moves (tenant_id, merge_id, kind, record_id) "
    "SELECT ?1, ?2, 'conversation', id FROM conversations "
    "WHERE tenant_id = ?1 AND customer_id = ?3",
    "INSERT INTO merge_moves (tenant_id, merge_id, kind, record_id) "
    "SELECT ?1, ?2, 'touchpoint', id FROM touchpoints "
    "WHERE tenant_id = ?1 AND customer_id = ?3",
};
// 2. Move it; ?1 tenant, ?2 from, ?3 to. The foreign keys make an unknown target kNotFound.
//    Moved conversations stop being joinable, so the target's joinable one stays the only one.
constexpr std::array<std::string_view, 3> kMoveCustomerRecords{
    "UPDATE identities SET customer_id = ?3 "
    "WHERE tenant_id = ?1 AND customer_id = ?2",
    "UPDATE conversations SET customer_id = ?3, joinable = 0 "
    "WHERE tenant_id = ?1 AND customer_id = ?2",
    "UPDATE touchpoints SET customer_id = ?3 "
    "WHERE tenant_id = ?1 AND customer_id = ?2",
};

// restore_customer_records: ?1 tenant, ?2 merge, ?3 survivor, ?4 merged. Only records still with
// the survivor move. The three steps of the interface, in order: each reads what the earlier
// ones moved.
constexpr std::array<std::string_view, 3> kRestoreCustomerRecords{
    // 1. The identities the merge moved.
    "UPDATE identities SET customer_id = ?4 "
    "WHERE tenant_id = ?1 AND customer_id = ?3 "
    "AND id IN (SELECT record_id FROM merge_moves "
    "           WHERE tenant_id = ?1 AND merge_id = ?2 AND kind = 'identity')",
    // 2. The conversations the merge moved, and those whose earliest touchpoint (a seek on the
    //    conversation timeline index) came from one of its identities and that hold nothing from
    //    any other identity. None of them is joinable afterwards.
    "UPDATE conversations SET customer_id = ?4, joinable = 0 "
    "WHERE tenant_id = ?1 AND customer_id = ?3 "
    "AND (id IN (SELECT record_id FROM merge_moves "
    "            WHERE tenant_id = ?1 AND merge_id = ?2 AND kind = 'conversation') "
    "     OR ((SELECT earliest.identity_id FROM touchpoints AS earliest "
    "          WHERE earliest.tenant_id = ?1 AND earliest.conversation_id = conversations.id "
    "          ORDER BY earliest.occurred_at, earliest.id LIMIT 1) "
    "         IN (SELECT record_id FROM merge_moves "
    "             WHERE tenant_id = ?1 AND merge_id = ?2 AND kind = 'identity') "
    "         AND NOT EXISTS ("
    "             SELECT 1 FROM touchpoints AS other "
    "             WHERE other.tenant_id = ?1 AND other.conversation_id = conversations.id "
    "             AND other.identity_id IS NOT NULL "
    "             AND other.identity_id NOT IN ("
    "                 SELECT record_id FROM merge_moves "
    "                 WHERE tenant_id = ?1 AND merge_id = ?2 AND kind = 'identity'))))",
    // 3. The touchpoints the merge moved, those from its identities, and those without an
    //    identity in a conversation that went back.
    "UPDATE touchpoints SET customer_id = ?4 "
    "WHERE tenant_id = ?1 AND customer_id = ?3 "
    "AND (id IN (SELECT record_id FROM merge_moves "
    "            WHERE tenant_id = ?1 AND merge_id = ?2 AND kind = 'touchpoint') "
    "     OR identity_id IN (SELECT record_id FROM merge_moves "
    "                        WHERE tenant_id = ?1 AND merge_id = ?2 AND kind = 'identity') "
    "     OR (identity_id IS NULL "
    "         AND conversation_id IN (SELECT id FROM conversations "
    "                                 WHERE tenant_id = ?1 AND customer_id = ?4)))",
};

// move_conversation_contents: ?1 tenant, ?2 from, ?3 to. The foreign keys make an unknown `to`
// kNotFound (when there is anything to move).
constexpr std::array<std::string_view, 2> kMoveConversationContents{
    "UPDATE touchpoints SET conversation_id = ?3 "
    "WHERE tenant_id = ?1 AND conversation_id = ?2",
    "UPDATE handoffs SET conversation_id = ?3 "
    "WHERE tenant_id = ?1 AND conversation_id = ?2",
};

// --- the transaction

class SqliteTransaction final : public StoreTransaction {
 public:
  SqliteTransaction(sqlite::PooledConnection connection, sqlite::Transaction transaction,
                    TransactionMode mode)
      : connection_(std::move(connection)), transaction_(std::move(transaction)), mode_(mode) {}
  // Members are destroyed in reverse order: the transaction rolls back (unless committed), then
  // the connection goes back to the pool.
  ~SqliteTransaction() override = default;

  Status commit() override {
    if (mode_ == TransactionMode::kRead) {
      return Status::failed_precondition("sqlite: commit() on a read transaction");
    }
    if (broken_) return *broken_;
    if (!transaction_.is_open()) {
      return Status::failed_precondition("sqlite: the transaction has already ended");
    }
    try {
      return transaction_.commit();
    } catch (...) {
      transaction_.rollback();
      return exception_status("committing");
    }
  }

  // --- tenants

  Result<TenantId> insert_tenant(const Tenant& tenant) override {
    return guarded(kWrites, "inserting a tenant", [&]() -> Result<TenantId> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT INTO tenants (name, default_region, created_at) VALUES (?, ?, ?)"));
      Params(statement).text(tenant.name).text(tenant.default_region).timestamp(tenant.created_at);
      OMNI_ASSIGN_OR_RETURN(std::int64_t id, insert(statement, "inserting a tenant"));
      return TenantId(id);
    });
  }

  Result<Tenant> get_tenant(TenantId id) override {
    return guarded(kReads, "reading a tenant", [&]() -> Result<Tenant> {
      static const std::string sql = select(kTenantColumns, "tenants WHERE id = ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(id);
      return query_one(statement, "reading a tenant", fmt::format("tenant {}", id.value()),
                       read_tenant);
    });
  }

  Result<Tenant> find_tenant(std::string_view name) override {
    return guarded(kReads, "finding a tenant", [&]() -> Result<Tenant> {
      static const std::string sql = select(kTenantColumns, "tenants WHERE name = ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).text(name);
      return query_one(statement, "finding a tenant", fmt::format("tenant '{}'", name),
                       read_tenant);
    });
  }

  // --- channels

  Result<ChannelId> insert_channel(const Channel& channel) override {
    return guarded(kWrites, "inserting a channel", [&]() -> Result<ChannelId> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare(fmt::format("INSERT INTO channels (tenant_id, kind, name, {}, own_profile, "
                              "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              kProfileColumns)));
      Params params(statement);
      params.id(channel.tenant).name(channel.kind).text(channel.name);
      bind_profile(params, channel.profile);
      params.boolean(channel.own_profile).timestamp(channel.created_at);
      OMNI_ASSIGN_OR_RETURN(std::int64_t id, insert(statement, "inserting a channel"));
      return ChannelId(id);
    });
  }

  Result<Channel> get_channel(TenantId tenant, ChannelId id) override {
    static const std::string sql =
        select(kChannelColumns, "channels WHERE tenant_id = ? AND id = ?");
    return get_by_id(sql, "reading a channel", "channel", tenant, id.value(), read_channel);
  }

  Result<Channel> find_channel(TenantId tenant, std::string_view name) override {
    return guarded(kReads, "finding a channel", [&]() -> Result<Channel> {
      static const std::string sql =
          select(kChannelColumns, "channels WHERE tenant_id = ? AND name = ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).text(name);
      return query_one(statement, "finding a channel", fmt::format("channel '{}'", name),
                       read_channel);
    });
  }

  Result<std::vector<Channel>> list_channels(TenantId tenant) override {
    return guarded(kReads, "listing channels", [&]() -> Result<std::vector<Channel>> {
      static const std::string sql =
          select(kChannelColumns, "channels WHERE tenant_id = ? ORDER BY id");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant);
      return query_all(statement, "listing channels", read_channel);
    });
  }

  Status update_channel(const Channel& channel) override {
    return guarded(kWrites, "updating a channel", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("UPDATE channels SET name = ?, synchronous = ?, expected_first_response_s = ?, "
                  "length_rule = ?, max_length = ?, max_parts = ?, formality = ?, "
                  "supports_attachments = ?, secure = ?, requires_consent = ?, cost_per_unit = ?, "
                  "own_profile = ? "
                  "WHERE tenant_id = ? AND id = ?"));
      Params params(statement);
      params.text(channel.name);
      bind_profile(params, channel.profile);
      params.boolean(channel.own_profile).id(channel.tenant).id(channel.id);
      return update(statement, "updating a channel", fmt::format("channel {}", channel.id.value()));
    });
  }

  // --- a tenant's profile per channel kind

  Status put_tenant_profile(TenantId tenant, ChannelKind kind,
                            const ChannelProfile& profile) override {
    return guarded(kWrites, "writing a tenant profile", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare(fmt::format("INSERT OR REPLACE INTO tenant_profiles (tenant_id, kind, {}) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              kProfileColumns)));
      Params params(statement);
      params.id(tenant).name(kind);
      bind_profile(params, profile);
      return statement.run("writing a tenant profile");
    });
  }

  Result<ChannelProfile> find_tenant_profile(TenantId tenant, ChannelKind kind) override {
    return guarded(kReads, "reading a tenant profile", [&]() -> Result<ChannelProfile> {
      static const std::string sql =
          select(kProfileColumns, "tenant_profiles WHERE tenant_id = ? AND kind = ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).name(kind);
      return query_one(statement, "reading a tenant profile",
                       fmt::format("{} profile of tenant {}", to_string(kind), tenant.value()),
                       read_tenant_profile);
    });
  }

  Status delete_tenant_profile(TenantId tenant, ChannelKind kind) override {
    return guarded(kWrites, "deleting a tenant profile", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("DELETE FROM tenant_profiles WHERE tenant_id = ? AND kind = ?"));
      Params(statement).id(tenant).name(kind);
      return update(statement, "deleting a tenant profile",
                    fmt::format("{} profile of tenant {}", to_string(kind), tenant.value()));
    });
  }

  // --- settings

  Status put_setting(TenantId tenant, std::string_view key, std::string_view value) override {
    return guarded(kWrites, "writing a setting", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT OR REPLACE INTO settings (tenant_id, key, value) VALUES (?, ?, ?)"));
      Params(statement).id(tenant).text(key).text(value);
      return statement.run("writing a setting");
    });
  }

  Result<std::string> get_setting(TenantId tenant, std::string_view key) override {
    return guarded(kReads, "reading a setting", [&]() -> Result<std::string> {
      OMNI_ASSIGN_OR_RETURN(Statement statement,
                            prepare("SELECT value FROM settings WHERE tenant_id = ? AND key = ?"));
      Params(statement).id(tenant).text(key);
      return query_one(
          statement, "reading a setting", fmt::format("setting '{}'", key),
          [](const Statement& row) -> Result<std::string> { return row.column_text(0); });
    });
  }

  Status delete_setting(TenantId tenant, std::string_view key) override {
    return guarded(kWrites, "deleting a setting", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(Statement statement,
                            prepare("DELETE FROM settings WHERE tenant_id = ? AND key = ?"));
      Params(statement).id(tenant).text(key);
      return update(statement, "deleting a setting", fmt::format("setting '{}'", key));
    });
  }

  Result<std::vector<std::pair<std::string, std::string>>> list_settings(
      TenantId tenant, std::string_view prefix) override {
    using Settings = std::vector<std::pair<std::string, std::string>>;
    return guarded(kReads, "listing settings", [&]() -> Result<Settings> {
      // A range of the primary key: [prefix, upper bound).
      constexpr std::string_view bounded_sql =
          "SELECT key, value FROM settings WHERE tenant_id = ? AND key >= ? AND key < ? "
          "ORDER BY key";
      constexpr std::string_view open_sql =
          "SELECT key, value FROM settings WHERE tenant_id = ? AND key >= ? ORDER BY key";
      const std::optional<std::string> upper = prefix_upper_bound(prefix);
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(upper ? bounded_sql : open_sql));
      Params params(statement);
      params.id(tenant).text(prefix);
      if (upper) params.text(*upper);
      return query_all(statement, "listing settings",
                       [](const Statement& row) -> Result<std::pair<std::string, std::string>> {
                         return std::pair(row.column_text(0), row.column_text(1));
                       });
    });
  }

  // --- agents

  Result<AgentId> insert_agent(const Agent& agent) override {
    return guarded(kWrites, "inserting an agent", [&]() -> Result<AgentId> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT INTO agents (tenant_id, name, kind, presence, teams, skills, languages, "
                  "created_at, capacity_sync, capacity_async, last_routed_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      Params(statement)
          .id(agent.tenant)
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
      OMNI_ASSIGN_OR_RETURN(std::int64_t id, insert(statement, "inserting an agent"));
      return AgentId(id);
    });
  }

  Result<Agent> get_agent(TenantId tenant, AgentId id) override {
    static const std::string sql = select(kAgentColumns, "agents WHERE tenant_id = ? AND id = ?");
    return get_by_id(sql, "reading an agent", "agent", tenant, id.value(), read_agent);
  }

  Status update_agent(const Agent& agent) override {
    return guarded(kWrites, "updating an agent", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("UPDATE agents SET name = ?, kind = ?, presence = ?, teams = ?, skills = ?, "
                  "languages = ?, created_at = ?, capacity_sync = ?, capacity_async = ?, "
                  "last_routed_at = ? WHERE tenant_id = ? AND id = ?"));
      Params(statement)
          .text(agent.name)
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
      return update(statement, "updating an agent", fmt::format("agent {}", agent.id.value()));
    });
  }

  Status append_agent_activity(const AgentActivity& a) override {
    return guarded(kWrites, "logging agent activity", [&]() -> Status {
      // Only for an agent of the tenant: the SELECT yields no row otherwise.
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT INTO agent_activity (tenant_id, agent_id, at, presence, load_sync, "
                  "load_async) SELECT tenant_id, id, ?, ?, ?, ? FROM agents "
                  "WHERE tenant_id = ? AND id = ?"));
      Params(statement)
          .timestamp(a.at)
          .name(a.presence)
          .int64(a.load.synchronous)
          .int64(a.load.asynchronous)
          .id(a.tenant)
          .id(a.agent);
      return update(statement, "logging agent activity", fmt::format("agent {}", a.agent.value()));
    });
  }

  Result<std::vector<Agent>> list_agents(TenantId tenant) override {
    return guarded(kReads, "listing agents", [&]() -> Result<std::vector<Agent>> {
      static const std::string sql =
          select(kAgentColumns, "agents WHERE tenant_id = ? ORDER BY id");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant);
      return query_all(statement, "listing agents", read_agent);
    });
  }

  Result<std::vector<Agent>> list_routable_agents(TenantId tenant, RoutingClass routing_class,
                                                  RoutingStrategy strategy, const Agent* after,
                                                  std::size_t limit) override {
    return guarded(kReads, "listing routable agents", [&]() -> Result<std::vector<Agent>> {
      // One range of one partial index per class and strategy (agents_least_loaded_*,
      // agents_round_robin_*, see schema.cc): the condition repeats the index's WHERE, the
      // cursor is a row value on the whole sort key. Without a cursor it starts below every
      // row (loads are never negative, ids positive).
      static const std::array<std::string, 4> sqls = [] {
        std::array<std::string, 4> out;
        for (const char* c : {"sync", "async"}) {
          const std::string where = fmt::format(
              "agents WHERE tenant_id = ? AND presence = 'available' AND load_{0} < "
              "capacity_{0} AND ",
              c);
          const bool sync = std::string_view(c) == "sync";
          out[sync ? 0 : 2] = select(
              kAgentColumns, where + fmt::format("(load_{0}, last_routed_at, id) > (?, ?, ?) "
                                                 "ORDER BY load_{0}, last_routed_at, id LIMIT ?",
                                                 c));
          out[sync ? 1 : 3] = select(kAgentColumns, where +
                                                        "(last_routed_at, id) > (?, ?) "
                                                        "ORDER BY last_routed_at, id LIMIT ?");
        }
        return out;
      }();
      const bool least_loaded = strategy == RoutingStrategy::kLeastLoaded;
      const std::size_t which =
          (routing_class == RoutingClass::kSynchronous ? 0 : 2) + (least_loaded ? 0 : 1);
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sqls[which]));
      Params params(statement);
      params.id(tenant);
      constexpr std::int64_t kBelowAll = std::numeric_limits<std::int64_t>::min();
      if (least_loaded) params.int64(after ? after->load.of(routing_class) : kBelowAll);
      params.int64(after ? last_routed_column(after->last_routed_at) : kBelowAll)
          .int64(after ? after->id.value() : kBelowAll)
          .int64(sql_limit(limit));
      return query_all(statement, "listing routable agents", read_agent);
    });
  }

  // --- customers

  Result<CustomerId> insert_customer(const Customer& customer) override {
    return guarded(kWrites, "inserting a customer", [&]() -> Result<CustomerId> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare(
              "INSERT INTO customers (tenant_id, display_name, attributes, merged_into, "
              "created_at, updated_at, name_key, preferences) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
      Params(statement)
          .id(customer.tenant)
          .text(customer.display_name)
          .text(sqlite::encode_string_map(customer.attributes))
          .optional_id(customer.merged_into)
          .timestamp(customer.created_at)
          .timestamp(customer.updated_at)
          .text(customer_name_key(customer.display_name))
          .text(sqlite::encode_preferences(customer.preferences));
      OMNI_ASSIGN_OR_RETURN(std::int64_t id, insert(statement, "inserting a customer"));
      return CustomerId(id);
    });
  }

  Result<Customer> get_customer(TenantId tenant, CustomerId id) override {
    static const std::string sql =
        select(kCustomerColumns, "customers WHERE tenant_id = ? AND id = ?");
    return get_by_id(sql, "reading a customer", "customer", tenant, id.value(), read_customer);
  }

  Status update_customer(const Customer& customer) override {
    return guarded(kWrites, "updating a customer", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("UPDATE customers SET display_name = ?, attributes = ?, merged_into = ?, "
                  "created_at = ?, updated_at = ?, name_key = ?, preferences = ? "
                  "WHERE tenant_id = ? AND id = ?"));
      Params(statement)
          .text(customer.display_name)
          .text(sqlite::encode_string_map(customer.attributes))
          .optional_id(customer.merged_into)
          .timestamp(customer.created_at)
          .timestamp(customer.updated_at)
          .text(customer_name_key(customer.display_name))
          .text(sqlite::encode_preferences(customer.preferences))
          .id(customer.tenant)
          .id(customer.id);
      return update(statement, "updating a customer",
                    fmt::format("customer {}", customer.id.value()));
    });
  }

  Result<std::vector<Customer>> list_customers(TenantId tenant, CustomerId after,
                                               std::size_t limit) override {
    return guarded(kReads, "listing customers", [&]() -> Result<std::vector<Customer>> {
      static const std::string sql =
          select(kCustomerColumns, "customers WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(after).int64(sql_limit(limit));
      return query_all(statement, "listing customers", read_customer);
    });
  }

  Result<std::vector<Customer>> find_customers_by_name_key(TenantId tenant,
                                                           std::string_view name_key,
                                                           std::size_t limit) override {
    return guarded(kReads, "finding customers by name", [&]() -> Result<std::vector<Customer>> {
      if (name_key.empty()) return std::vector<Customer>();  // an empty key matches no one
      // The last condition repeats the partial index's WHERE so it is used; the index holds the
      // rowid after the key, so its order is already ascending by id.
      static const std::string sql =
          select(kCustomerColumns,
                 "customers WHERE tenant_id = ? AND name_key = ? AND name_key <> '' "
                 "ORDER BY id LIMIT ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).text(name_key).int64(sql_limit(limit));
      return query_all(statement, "finding customers by name", read_customer);
    });
  }

  // --- identities

  Result<IdentityId> insert_identity(const Identity& identity) override {
    return guarded(kWrites, "inserting an identity", [&]() -> Result<IdentityId> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT INTO identities (id, tenant_id, customer_id, kind, scope, value, "
                  "verified, source, first_seen, last_seen) VALUES ((SELECT IFNULL(MAX(id), 0) + "
                  "1 FROM identities), ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
      // identities is a WITHOUT ROWID table (see schema.cc): the id is one past the largest, a
      // seek at the end of its unique index; BEGIN IMMEDIATE serializes writers.
      Params(statement)
          .id(identity.tenant)
          .id(identity.customer)
          .name(identity.kind)
          .text(identity.scope)
          .text(identity.value)
          .boolean(identity.verified)
          .text(identity.source)
          .timestamp(identity.first_seen)
          .timestamp(identity.last_seen);
      OMNI_ASSIGN_OR_RETURN(bool row, statement.step("inserting an identity"));
      if (!row) return Status::internal("sqlite: inserting an identity returned no id");
      const std::int64_t id = statement.column_int64(0);
      OMNI_RETURN_IF_ERROR(statement.run("inserting an identity"));
      return IdentityId(id);
    });
  }

  Result<Identity> find_identity(TenantId tenant, IdentityKind kind, std::string_view scope,
                                 std::string_view value) override {
    return guarded(kReads, "finding an identity", [&]() -> Result<Identity> {
      static const std::string sql =
          select(kIdentityColumns,
                 "identities WHERE tenant_id = ? AND kind = ? AND scope = ? AND value = ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).name(kind).text(scope).text(value);
      return query_one(statement, "finding an identity",
                       fmt::format("identity {}:{}:{}", to_string(kind), scope, value),
                       read_identity);
    });
  }

  Result<std::vector<Identity>> list_identities(TenantId tenant, CustomerId customer) override {
    return guarded(kReads, "listing identities", [&]() -> Result<std::vector<Identity>> {
      static const std::string sql = select(
          kIdentityColumns, "identities WHERE tenant_id = ? AND customer_id = ? ORDER BY id");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(customer);
      return query_all(statement, "listing identities", read_identity);
    });
  }

  Result<std::vector<Identity>> list_identities_by_prefix(TenantId tenant, IdentityKind kind,
                                                          std::string_view scope,
                                                          std::string_view prefix,
                                                          std::size_t limit) override {
    return guarded(kReads, "listing identities by prefix", [&]() -> Result<std::vector<Identity>> {
      // A range of the unique (tenant_id, kind, scope, value) index: [prefix, upper bound).
      static const std::string bounded_sql =
          select(kIdentityColumns,
                 "identities WHERE tenant_id = ? AND kind = ? AND scope = ? AND value >= ? "
                 "AND value < ? ORDER BY value LIMIT ?");
      static const std::string open_sql =
          select(kIdentityColumns,
                 "identities WHERE tenant_id = ? AND kind = ? AND scope = ? AND value >= ? "
                 "ORDER BY value LIMIT ?");
      const std::optional<std::string> upper = prefix_upper_bound(prefix);
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(upper ? bounded_sql : open_sql));
      Params params(statement);
      params.id(tenant).name(kind).text(scope).text(prefix);
      if (upper) params.text(*upper);
      params.int64(sql_limit(limit));
      return query_all(statement, "listing identities by prefix", read_identity);
    });
  }

  Status touch_identity(TenantId tenant, IdentityId id, Timestamp last_seen) override {
    return guarded(kWrites, "touching an identity", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("UPDATE identities SET last_seen = ? WHERE tenant_id = ? AND id = ?"));
      Params(statement).timestamp(last_seen).id(tenant).id(id);
      return update(statement, "touching an identity", fmt::format("identity {}", id.value()));
    });
  }

  // --- consents

  Status put_consent(const Consent& consent) override {
    return guarded(kWrites, "writing a consent", [&]() -> Status {
      // Only onto an identity of the same tenant: the SELECT yields no row otherwise.
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT OR REPLACE INTO consents (tenant_id, identity_id, channel_kind, state, "
                  "source, evidence, changed_at) SELECT ?, id, ?, ?, ?, ?, ? FROM identities "
                  "WHERE tenant_id = ? AND id = ?"));
      Params(statement)
          .id(consent.tenant)
          .name(consent.channel_kind)
          .name(consent.state)
          .text(consent.source)
          .text(consent.evidence)
          .timestamp(consent.changed_at)
          .id(consent.tenant)
          .id(consent.identity);
      return update(statement, "writing a consent",
                    fmt::format("identity {}", consent.identity.value()));
    });
  }

  Result<Consent> get_consent(TenantId tenant, IdentityId identity, ChannelKind kind) override {
    return guarded(kReads, "reading a consent", [&]() -> Result<Consent> {
      static const std::string sql = select(
          kConsentColumns, "consents WHERE tenant_id = ? AND identity_id = ? AND channel_kind = ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(identity).name(kind);
      return query_one(statement, "reading a consent",
                       fmt::format("consent of identity {}", identity.value()), read_consent);
    });
  }

  Result<std::vector<Consent>> list_consents(TenantId tenant, CustomerId customer) override {
    return guarded(kReads, "listing consents", [&]() -> Result<std::vector<Consent>> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("SELECT c.tenant_id, c.identity_id, c.channel_kind, c.state, c.source, "
                  "c.evidence, c.changed_at FROM identities i JOIN consents c "
                  "ON c.tenant_id = i.tenant_id AND c.identity_id = i.id "
                  "WHERE i.tenant_id = ? AND i.customer_id = ? "
                  "ORDER BY c.identity_id, c.channel_kind"));
      Params(statement).id(tenant).id(customer);
      return query_all(statement, "listing consents", read_consent);
    });
  }

  // --- conversations

  Result<ConversationId> insert_conversation(const Conversation& conversation) override {
    return guarded(kWrites, "inserting a conversation", [&]() -> Result<ConversationId> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT INTO conversations (tenant_id, customer_id, status, priority, "
                  "assignee_id, team, subject, origin_channel_id, current_channel_id, opened_at, "
                  "updated_at, first_response_at, last_inbound_at, last_outbound_at, resolved_at, "
                  "closed_at, reopen_count, joinable, merged_into, routing_class, skills, "
                  "language, queued_at, offered_to, offer_expires_at, passed_over, "
                  "preferred_agent, sticky_until, sla, next_timer_at, handoff_count) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                  "?, ?, ?, ?, ?, ?, ?, ?)"));
      Params params(statement);
      params.id(conversation.tenant);
      bind_conversation_fields(params, conversation);
      OMNI_ASSIGN_OR_RETURN(std::int64_t id, insert(statement, "inserting a conversation"));
      return ConversationId(id);
    });
  }

  Result<Conversation> get_conversation(TenantId tenant, ConversationId id) override {
    static const std::string sql =
        select(kConversationColumns, "conversations WHERE tenant_id = ? AND id = ?");
    return get_by_id(sql, "reading a conversation", "conversation", tenant, id.value(),
                     read_conversation);
  }

  Status update_conversation(const Conversation& conversation) override {
    return guarded(kWrites, "updating a conversation", [&]() -> Status {
      // Most updates (a message arrives, a reply goes out) change neither an indexed column
      // (customer, status, priority, joinable, opened_at, resolved_at, the routing columns of the
      // queue and timer indexes) nor a reference (assignee, offered_to, preferred_agent, origin
      // and current channel). The first statement updates only the other columns, and only when
      // those already hold the new values: it then touches none of the conversation indexes
      // (SQLite maintains an index only when the UPDATE sets one of its columns, including those
      // of a partial index's WHERE and the priority behind priority_rank), checks no foreign key
      // and fires no trigger (the agents' loads stay as they are). When it changes no row, the
      // full update runs.
      {
        OMNI_ASSIGN_OR_RETURN(
            Statement narrow,
            prepare("UPDATE conversations SET team = ?, subject = ?, "
                    "updated_at = ?, first_response_at = ?, last_inbound_at = ?, "
                    "last_outbound_at = ?, closed_at = ?, reopen_count = ?, merged_into = ?, "
                    "skills = ?, language = ?, offer_expires_at = ?, passed_over = ?, sla = ?, "
                    "handoff_count = ? "
                    "WHERE tenant_id = ? AND id = ? AND customer_id = ? AND status = ? AND "
                    "priority = ? AND joinable = ? AND opened_at = ? AND resolved_at IS ? AND "
                    "assignee_id IS ? AND origin_channel_id IS ? AND current_channel_id IS ? AND "
                    "routing_class = ? AND queued_at IS ? AND offered_to IS ? AND "
                    "preferred_agent IS ? AND sticky_until IS ? AND next_timer_at IS ?"));
        Params(narrow)
            .text(conversation.team)
            .text(conversation.subject)
            .timestamp(conversation.updated_at)
            .optional_timestamp(conversation.first_response_at)
            .optional_timestamp(conversation.last_inbound_at)
            .optional_timestamp(conversation.last_outbound_at)
            .optional_timestamp(conversation.closed_at)
            .int64(conversation.reopen_count)
            .optional_id(conversation.merged_into)
            .text(sqlite::encode_string_list(conversation.skills))
            .text(conversation.language)
            .optional_timestamp(conversation.offer_expires_at)
            .text(encode_agent_ids(conversation.passed_over))
            .text(sqlite::encode_sla_state(conversation.sla))
            .int64(conversation.handoff_count)
            .id(conversation.tenant)
            .id(conversation.id)
            .id(conversation.customer)
            .name(conversation.status)
            .name(conversation.priority)
            .boolean(conversation.joinable)
            .timestamp(conversation.opened_at)
            .optional_timestamp(conversation.resolved_at)
            .optional_id(conversation.assignee)
            .id_or_null(conversation.origin_channel)
            .id_or_null(conversation.current_channel)
            .name(conversation.routing_class)
            .optional_timestamp(conversation.queued_at)
            .optional_id(conversation.offered_to)
            .optional_id(conversation.preferred_agent)
            .optional_timestamp(conversation.sticky_until)
            .optional_timestamp(conversation.next_timer_at);
        OMNI_RETURN_IF_ERROR(narrow.run("updating a conversation"));
        if (sqlite3_changes(narrow.db()) == 1) return Status::ok_status();
      }
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("UPDATE conversations SET customer_id = ?, status = ?, priority = ?, "
                  "assignee_id = ?, team = ?, subject = ?, origin_channel_id = ?, "
                  "current_channel_id = ?, opened_at = ?, updated_at = ?, first_response_at = ?, "
                  "last_inbound_at = ?, last_outbound_at = ?, resolved_at = ?, closed_at = ?, "
                  "reopen_count = ?, joinable = ?, merged_into = ?, routing_class = ?, skills = ?, "
                  "language = ?, queued_at = ?, offered_to = ?, offer_expires_at = ?, "
                  "passed_over = ?, preferred_agent = ?, sticky_until = ?, sla = ?, "
                  "next_timer_at = ?, handoff_count = ? WHERE tenant_id = ? AND id = ?"));
      Params params(statement);
      bind_conversation_fields(params, conversation);
      params.id(conversation.tenant).id(conversation.id);
      return update(statement, "updating a conversation",
                    fmt::format("conversation {}", conversation.id.value()));
    });
  }

  Result<Conversation> find_active_conversation(TenantId tenant, CustomerId customer) override {
    return guarded(kReads, "finding the active conversation", [&]() -> Result<Conversation> {
      // The condition repeats the partial unique index's WHERE so the planner can use it.
      static const std::string sql = select(kConversationColumns,
                                            "conversations WHERE tenant_id = ? AND customer_id = ? "
                                            "AND status IN ('open', 'pending') AND joinable = 1");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(customer);
      return query_one(
          statement, "finding the active conversation",
          fmt::format("a joinable active conversation of customer {}", customer.value()),
          read_conversation);
    });
  }

  Result<std::vector<Conversation>> list_active_conversations(TenantId tenant,
                                                              CustomerId customer) override {
    using Conversations = std::vector<Conversation>;
    return guarded(kReads, "listing active conversations", [&]() -> Result<Conversations> {
      // The condition repeats the partial index's WHERE so the planner can use it; the index is
      // ordered by (opened_at, id) within the customer.
      static const std::string sql = select(kConversationColumns,
                                            "conversations WHERE tenant_id = ? AND customer_id = ? "
                                            "AND status IN ('open', 'pending') "
                                            "ORDER BY opened_at DESC, id DESC");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(customer);
      return query_all(statement, "listing active conversations", read_conversation);
    });
  }

  Result<Conversation> find_last_resolved_conversation(TenantId tenant,
                                                       CustomerId customer) override {
    return guarded(kReads, "finding the last resolved conversation", [&]() -> Result<Conversation> {
      static const std::string sql =
          select(kConversationColumns,
                 "conversations WHERE tenant_id = ? AND customer_id = ? AND status = 'resolved' "
                 "ORDER BY resolved_at DESC, id DESC LIMIT 1");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(customer);
      return query_one(statement, "finding the last resolved conversation",
                       fmt::format("a resolved conversation of customer {}", customer.value()),
                       read_conversation);
    });
  }

  Result<std::vector<Conversation>> list_conversations(TenantId tenant, CustomerId customer,
                                                       std::size_t limit) override {
    return guarded(kReads, "listing conversations", [&]() -> Result<std::vector<Conversation>> {
      static const std::string sql = select(kConversationColumns,
                                            "conversations WHERE tenant_id = ? AND customer_id = ? "
                                            "ORDER BY opened_at DESC, id DESC LIMIT ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(customer).int64(sql_limit(limit));
      return query_all(statement, "listing conversations", read_conversation);
    });
  }

  Result<std::vector<Conversation>> list_waiting_conversations(TenantId tenant,
                                                               RoutingClass routing_class,
                                                               const Conversation* after,
                                                               std::size_t limit) override {
    using Conversations = std::vector<Conversation>;
    return guarded(kReads, "listing waiting conversations", [&]() -> Result<Conversations> {
      // A range of conversations_queue: the condition repeats its WHERE, the cursor is a row
      // value on its sort key; without a cursor it starts below the most urgent rank. The engine
      // sets queued_at on every waiting conversation (a NULL would stop a cursor at it).
      static const std::string sql =
          select(kConversationColumns,
                 "conversations WHERE tenant_id = ? AND routing_class = ? AND status = 'open' "
                 "AND assignee_id IS NULL AND offered_to IS NULL "
                 "AND (priority_rank, queued_at, id) > (?, ?, ?) "
                 "ORDER BY priority_rank, queued_at, id LIMIT ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params params(statement);
      params.id(tenant).name(routing_class);
      if (after) {
        params.int64(priority_rank(after->priority))
            .optional_timestamp(after->queued_at)
            .id(after->id);
      } else {
        params.int64(-1).int64(0).int64(0);
      }
      params.int64(sql_limit(limit));
      return query_all(statement, "listing waiting conversations", read_conversation);
    });
  }

  Result<std::vector<Conversation>> list_reserved_conversations(TenantId tenant, AgentId agent,
                                                                Timestamp now,
                                                                std::size_t limit) override {
    using Conversations = std::vector<Conversation>;
    return guarded(kReads, "listing reserved conversations", [&]() -> Result<Conversations> {
      // A range of conversations_reserved (its WHERE repeated), in the queue's order.
      static const std::string sql =
          select(kConversationColumns,
                 "conversations WHERE tenant_id = ? AND preferred_agent = ? "
                 "AND preferred_agent IS NOT NULL AND status = 'open' AND assignee_id IS NULL "
                 "AND offered_to IS NULL AND sticky_until > ? "
                 "ORDER BY priority_rank, queued_at, id LIMIT ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(agent).timestamp(now).int64(sql_limit(limit));
      return query_all(statement, "listing reserved conversations", read_conversation);
    });
  }

  Result<std::vector<Conversation>> list_offered_conversations(TenantId tenant, AgentId agent,
                                                               std::size_t limit) override {
    using Conversations = std::vector<Conversation>;
    return guarded(kReads, "listing offered conversations", [&]() -> Result<Conversations> {
      // A range of conversations_offered (its WHERE repeated).
      static const std::string sql =
          select(kConversationColumns,
                 "conversations WHERE tenant_id = ? AND offered_to = ? AND offered_to IS NOT NULL "
                 "AND status = 'open' ORDER BY id LIMIT ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(agent).int64(sql_limit(limit));
      return query_all(statement, "listing offered conversations", read_conversation);
    });
  }

  Result<std::vector<Conversation>> list_due_conversations(TenantId tenant, Timestamp now,
                                                           std::size_t limit) override {
    using Conversations = std::vector<Conversation>;
    return guarded(kReads, "listing due conversations", [&]() -> Result<Conversations> {
      static const std::string sql =
          select(kConversationColumns,
                 "conversations WHERE tenant_id = ? AND next_timer_at IS NOT NULL "
                 "AND next_timer_at <= ? ORDER BY next_timer_at, id LIMIT ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).timestamp(now).int64(sql_limit(limit));
      return query_all(statement, "listing due conversations", read_conversation);
    });
  }

  Result<Timestamp> next_timer(TenantId tenant) override {
    return guarded(kReads, "reading the next timer", [&]() -> Result<Timestamp> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("SELECT next_timer_at FROM conversations WHERE tenant_id = ? AND "
                  "next_timer_at IS NOT NULL ORDER BY next_timer_at LIMIT 1"));
      Params(statement).id(tenant);
      return query_one(statement, "reading the next timer",
                       fmt::format("a timer of tenant {}", tenant.value()),
                       [](const Statement& row) -> Result<Timestamp> {
                         return from_unix_micros(row.column_int64(0));
                       });
    });
  }

  // --- touchpoints

  Result<TouchpointId> insert_touchpoint(const Touchpoint& touchpoint) override {
    return guarded(kWrites, "inserting a touchpoint", [&]() -> Result<TouchpointId> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT INTO touchpoints (tenant_id, customer_id, conversation_id, channel_id, "
                  "channel_kind, kind, agent_id, handoff_id, subject, body, attachments, "
                  "metadata, provider_message_id, delivery, occurred_at, recorded_at, "
                  "identity_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      Params(statement)
          .id(touchpoint.tenant)
          .id(touchpoint.customer)
          .optional_id(touchpoint.conversation)
          .optional_id(touchpoint.channel)
          .name(touchpoint.channel_kind)
          .name(touchpoint.kind)
          .optional_id(touchpoint.agent)
          .optional_id(touchpoint.handoff)
          .text(touchpoint.subject)
          .text(touchpoint.body)
          .text(sqlite::encode_attachments(touchpoint.attachments))
          .text(sqlite::encode_string_map(touchpoint.metadata))
          .text(touchpoint.provider_message_id)
          .name(touchpoint.delivery)
          .timestamp(touchpoint.occurred_at)
          .timestamp(touchpoint.recorded_at)
          .optional_id(touchpoint.identity);
      OMNI_ASSIGN_OR_RETURN(std::int64_t id, insert(statement, "inserting a touchpoint"));
      return TouchpointId(id);
    });
  }

  Result<Touchpoint> get_touchpoint(TenantId tenant, TouchpointId id) override {
    static const std::string sql =
        select(kTouchpointColumns, "touchpoints WHERE tenant_id = ? AND id = ?");
    return get_by_id(sql, "reading a touchpoint", "touchpoint", tenant, id.value(),
                     read_touchpoint);
  }

  Result<Touchpoint> find_touchpoint(TenantId tenant, ChannelId channel,
                                     std::string_view provider_message_id) override {
    return guarded(kReads, "finding a touchpoint", [&]() -> Result<Touchpoint> {
      if (provider_message_id.empty()) {
        return Status::not_found("sqlite: finding a touchpoint: empty provider message id");
      }
      // The last two conditions repeat the partial unique index's WHERE so it is used.
      static const std::string sql =
          select(kTouchpointColumns,
                 "touchpoints WHERE tenant_id = ? AND channel_id = ? AND provider_message_id = ? "
                 "AND provider_message_id <> '' AND channel_id IS NOT NULL");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(channel).text(provider_message_id);
      return query_one(
          statement, "finding a touchpoint",
          fmt::format("message '{}' on channel {}", provider_message_id, channel.value()),
          read_touchpoint);
    });
  }

  Status update_delivery(TenantId tenant, TouchpointId id, DeliveryStatus status,
                         std::string_view provider_message_id) override {
    return guarded(kWrites, "updating a delivery status", [&]() -> Status {
      const bool with_message_id = !provider_message_id.empty();
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare(with_message_id ? "UPDATE touchpoints SET delivery = ?, provider_message_id = ? "
                                    "WHERE tenant_id = ? AND id = ?"
                                  : "UPDATE touchpoints SET delivery = ? "
                                    "WHERE tenant_id = ? AND id = ?"));
      Params params(statement);
      params.name(status);
      if (with_message_id) params.text(provider_message_id);
      params.id(tenant).id(id);
      return update(statement, "updating a delivery status",
                    fmt::format("touchpoint {}", id.value()));
    });
  }

  Result<std::vector<Touchpoint>> list_touchpoints(const TouchpointQuery& query) override {
    return guarded(kReads, "listing touchpoints", [&]() -> Result<std::vector<Touchpoint>> {
      // One statement text per combination of filters (at most 16), each cached. INDEXED BY makes
      // a missing index an error instead of a silent full scan.
      const bool older = query.direction == TimelineDirection::kOlder;
      std::string sql =
          select(kTouchpointColumns, query.conversation ? "touchpoints INDEXED BY "
                                                          "touchpoints_conversation_timeline"
                                                        : "touchpoints INDEXED BY "
                                                          "touchpoints_customer_timeline");
      sql += " WHERE tenant_id = ? AND customer_id = ?";
      if (query.conversation) sql += " AND conversation_id = ?";
      if (query.kind) sql += " AND kind = ?";
      if (query.after)
        sql += older ? " AND (occurred_at, id) < (?, ?)" : " AND (occurred_at, id) > (?, ?)";
      sql += older ? " ORDER BY occurred_at DESC, id DESC LIMIT ?"
                   : " ORDER BY occurred_at ASC, id ASC LIMIT ?";

      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params params(statement);
      params.id(query.tenant).id(query.customer);
      if (query.conversation) params.id(*query.conversation);
      if (query.kind) params.name(*query.kind);
      if (query.after) params.timestamp(query.after->occurred_at).id(query.after->touchpoint);
      params.int64(sql_limit(query.limit));
      return query_all(statement, "listing touchpoints", read_touchpoint);
    });
  }

  // --- handoffs

  Result<HandoffId> insert_handoff(const Handoff& handoff) override {
    return guarded(kWrites, "inserting a handoff", [&]() -> Result<HandoffId> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT INTO handoffs (tenant_id, conversation_id, kind, mode, from_channel_id, "
                  "to_channel_id, from_agent_id, to_agent_id, from_team, to_team, reason, "
                  "context, created_at, acknowledged_at, acknowledged_by) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      Params params(statement);
      params.id(handoff.tenant);
      bind_handoff_fields(params, handoff);
      OMNI_ASSIGN_OR_RETURN(std::int64_t id, insert(statement, "inserting a handoff"));
      return HandoffId(id);
    });
  }

  Result<Handoff> get_handoff(TenantId tenant, HandoffId id) override {
    static const std::string sql =
        select(kHandoffColumns, "handoffs WHERE tenant_id = ? AND id = ?");
    return get_by_id(sql, "reading a handoff", "handoff", tenant, id.value(), read_handoff);
  }

  Status update_handoff(const Handoff& handoff) override {
    return guarded(kWrites, "updating a handoff", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("UPDATE handoffs SET conversation_id = ?, kind = ?, mode = ?, "
                  "from_channel_id = ?, to_channel_id = ?, from_agent_id = ?, to_agent_id = ?, "
                  "from_team = ?, to_team = ?, reason = ?, context = ?, created_at = ?, "
                  "acknowledged_at = ?, acknowledged_by = ? WHERE tenant_id = ? AND id = ?"));
      Params params(statement);
      bind_handoff_fields(params, handoff);
      params.id(handoff.tenant).id(handoff.id);
      return update(statement, "updating a handoff", fmt::format("handoff {}", handoff.id.value()));
    });
  }

  Result<std::vector<Handoff>> list_handoffs(TenantId tenant,
                                             ConversationId conversation) override {
    return guarded(kReads, "listing handoffs", [&]() -> Result<std::vector<Handoff>> {
      static const std::string sql = select(
          kHandoffColumns, "handoffs WHERE tenant_id = ? AND conversation_id = ? ORDER BY id");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(conversation);
      return query_all(statement, "listing handoffs", read_handoff);
    });
  }

  // --- merges

  Result<MergeId> insert_merge(const MergeRecord& merge) override {
    return guarded(kWrites, "inserting a merge", [&]() -> Result<MergeId> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT INTO merges (tenant_id, survivor_id, merged_id, actor, reason, "
                  "merged_at, conflicts, copied_attributes, unmerged_at, unmerged_by) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      Params params(statement);
      params.id(merge.tenant);
      bind_merge_fields(params, merge);
      OMNI_ASSIGN_OR_RETURN(std::int64_t id, insert(statement, "inserting a merge"));
      return MergeId(id);
    });
  }

  Result<MergeRecord> get_merge(TenantId tenant, MergeId id) override {
    static const std::string sql = select(kMergeColumns, "merges WHERE tenant_id = ? AND id = ?");
    return get_by_id(sql, "reading a merge", "merge", tenant, id.value(), read_merge);
  }

  Status update_merge(const MergeRecord& merge) override {
    return guarded(kWrites, "updating a merge", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("UPDATE merges SET survivor_id = ?, merged_id = ?, actor = ?, reason = ?, "
                  "merged_at = ?, conflicts = ?, copied_attributes = ?, unmerged_at = ?, "
                  "unmerged_by = ? WHERE tenant_id = ? AND id = ?"));
      Params params(statement);
      bind_merge_fields(params, merge);
      params.id(merge.tenant).id(merge.id);
      return update(statement, "updating a merge", fmt::format("merge {}", merge.id.value()));
    });
  }

  Result<std::vector<MergeRecord>> list_merges(TenantId tenant, CustomerId customer) override {
    return guarded(kReads, "listing merges", [&]() -> Result<std::vector<MergeRecord>> {
      // Two index range scans (merges_by_survivor, merges_by_merged), each in id order, merged.
      // An OR of the two conditions would scan all of the tenant's merges instead.
      static const std::string sql =
          select(kMergeColumns, "merges WHERE tenant_id = ?1 AND survivor_id = ?2 UNION ") +
          select(kMergeColumns, "merges WHERE tenant_id = ?1 AND merged_id = ?2 ORDER BY id");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(customer);
      return query_all(statement, "listing merges", read_merge);
    });
  }

  Status move_customer_records(TenantId tenant, MergeId merge, CustomerId from,
                               CustomerId to) override {
    return guarded(kWrites, "moving a customer's records", [&]() -> Status {
      OMNI_RETURN_IF_ERROR(run_all(kRememberCustomerRecords, "remembering a customer's records",
                                   [&](Params& params) { params.id(tenant).id(merge).id(from); }));
      return run_all(kMoveCustomerRecords, "moving a customer's records",
                     [&](Params& params) { params.id(tenant).id(from).id(to); });
    });
  }

  Result<std::vector<Touchpoint>> restore_customer_records(TenantId tenant, MergeId merge,
                                                           CustomerId survivor,
                                                           CustomerId merged) override {
    using Touchpoints = std::vector<Touchpoint>;
    return guarded(kWrites, "restoring a customer's records", [&]() -> Result<Touchpoints> {
      OMNI_RETURN_IF_ERROR(
          run_all(kRestoreCustomerRecords, "restoring a customer's records",
                  [&](Params& params) { params.id(tenant).id(merge).id(survivor).id(merged); }));
      // What is left crossing over: touchpoints of either customer in a conversation of the
      // other.
      static const std::string sql =
          select(kTouchpointColumns,
                 "touchpoints WHERE tenant_id = ?1 AND customer_id IN (?2, ?3) "
                 "AND EXISTS (SELECT 1 FROM conversations AS c "
                 "WHERE c.tenant_id = touchpoints.tenant_id "
                 "AND c.id = touchpoints.conversation_id "
                 "AND c.customer_id <> touchpoints.customer_id) "
                 "ORDER BY id");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(survivor).id(merged);
      return query_all(statement, "listing touchpoints left in the other customer's conversations",
                       read_touchpoint);
    });
  }

  Status move_touchpoint(TenantId tenant, TouchpointId touchpoint, CustomerId customer,
                         std::optional<ConversationId> conversation) override {
    return guarded(kWrites, "moving a touchpoint", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(Statement statement,
                            prepare("UPDATE touchpoints SET customer_id = ?, conversation_id = ? "
                                    "WHERE tenant_id = ? AND id = ?"));
      Params(statement).id(customer).optional_id(conversation).id(tenant).id(touchpoint);
      return update(statement, "moving a touchpoint",
                    fmt::format("touchpoint {}", touchpoint.value()));
    });
  }

  Status move_conversation_contents(TenantId tenant, ConversationId from,
                                    ConversationId to) override {
    return guarded(kWrites, "moving a conversation's contents", [&]() -> Status {
      return run_all(kMoveConversationContents, "moving a conversation's contents",
                     [&](Params& params) { params.id(tenant).id(from).id(to); });
    });
  }

  // --- knowledge base
  Result<ArticleId> insert_article(const Article& a) override {
    return guarded(kWrites, "inserting an article", [&]() -> Result<ArticleId> {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT INTO articles (tenant_id, slug, language, title, body, tags, published, "
                  "created_at, updated_at, title_alt, body_alt) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      Params(statement)
          .id(a.tenant)
          .text(a.slug)
          .text(a.language)
          .text(a.title)
          .text(a.body)
          .text(sqlite::encode_string_list(a.tags))
          .boolean(a.published)
          .timestamp(a.created_at)
          .timestamp(a.updated_at)
          .text(search_alternates(a.title))
          .text(search_alternates(a.body));
      OMNI_ASSIGN_OR_RETURN(std::int64_t id, insert(statement, "inserting an article"));
      return ArticleId(id);
    });
  }

  Status update_article(const Article& a) override {
    return guarded(kWrites, "updating an article", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("UPDATE articles SET slug = ?, language = ?, title = ?, body = ?, tags = ?, "
                  "published = ?, created_at = ?, updated_at = ?, title_alt = ?, body_alt = ? "
                  "WHERE tenant_id = ? AND id = ?"));
      Params(statement)
          .text(a.slug)
          .text(a.language)
          .text(a.title)
          .text(a.body)
          .text(sqlite::encode_string_list(a.tags))
          .boolean(a.published)
          .timestamp(a.created_at)
          .timestamp(a.updated_at)
          .text(search_alternates(a.title))
          .text(search_alternates(a.body))
          .id(a.tenant)
          .id(a.id);
      return update(statement, "updating an article", fmt::format("article {}", a.id.value()));
    });
  }

  Result<Article> get_article(TenantId tenant, ArticleId id) override {
    static const std::string sql =
        select(kArticleColumns, "articles WHERE tenant_id = ? AND id = ?");
    return get_by_id(sql, "reading an article", "article", tenant, id.value(), read_article);
  }

  Result<Article> find_article(TenantId tenant, std::string_view slug) override {
    return guarded(kReads, "finding an article", [&]() -> Result<Article> {
      static const std::string sql =
          select(kArticleColumns, "articles WHERE tenant_id = ? AND slug = ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).text(slug);
      return query_one(statement, "finding an article", fmt::format("article '{}'", slug),
                       read_article);
    });
  }

  Status delete_article(TenantId tenant, ArticleId id) override {
    return guarded(kWrites, "deleting an article", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(Statement statement,
                            prepare("DELETE FROM articles WHERE tenant_id = ? AND id = ?"));
      Params(statement).id(tenant).id(id);
      return update(statement, "deleting an article", fmt::format("article {}", id.value()));
    });
  }

  // bm25 with the title (and its alternates) weighing 10, the body 1; bm25 is lower for better
  // matches, the hit's score is its negation.
  Result<std::vector<ArticleHit>> search_articles(const ArticleSearch& q) override {
    return guarded(kReads, "searching articles", [&]() -> Result<std::vector<ArticleHit>> {
      std::vector<ArticleHit> none;
      if (q.terms.empty()) return none;
      std::string match;
      for (const auto& term : q.terms) {
        if (!match.empty()) match += q.match_all ? " AND " : " OR ";
        match += fts5_string(term);
      }
      constexpr std::string_view all_languages =
          "SELECT a.id, a.slug, a.title, a.language, -bm25(articles_fts, 10.0, 1.0, 10.0, 1.0), "
          "snippet(articles_fts, 1, '', '', '…', 24) "
          "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
          "WHERE articles_fts MATCH ? AND a.tenant_id = ? AND a.published = 1 "
          "ORDER BY bm25(articles_fts, 10.0, 1.0, 10.0, 1.0), a.id LIMIT ?";
      constexpr std::string_view one_language =
          "SELECT a.id, a.slug, a.title, a.language, -bm25(articles_fts, 10.0, 1.0, 10.0, 1.0), "
          "snippet(articles_fts, 1, '', '', '…', 24) "
          "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
          "WHERE articles_fts MATCH ? AND a.tenant_id = ? AND a.published = 1 "
          "AND a.language = ? "
          "ORDER BY bm25(articles_fts, 10.0, 1.0, 10.0, 1.0), a.id LIMIT ?";
      OMNI_ASSIGN_OR_RETURN(Statement statement,
                            prepare(q.language ? one_language : all_languages));
      Params params(statement);
      params.text(match).id(q.tenant);
      if (q.language) params.text(*q.language);
      params.int64(sql_limit(q.limit));
      return query_all(statement, "searching articles",
                       [](const Statement& row) -> Result<ArticleHit> {
                         ArticleHit hit;
                         hit.article = ArticleId(row.column_int64(0));
                         hit.slug = row.column_text(1);
                         hit.title = row.column_text(2);
                         hit.language = row.column_text(3);
                         hit.score = row.column_double(4);
                         hit.snippet = row.column_text(5);
                         return hit;
                       });
    });
  }

  Result<DeflectionReport> count_deflection(TenantId tenant, Timestamp from, Timestamp to,
                                            std::chrono::microseconds window) override {
    return guarded(kReads, "counting deflection", [&]() -> Result<DeflectionReport> {
      // An index range of touchpoints_conversation_timeline (conversation_id NULL, occurred_at)
      // and, per attempt, of conversations_by_customer.
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("SELECT COUNT(*), COALESCE(SUM(EXISTS ("
                  "SELECT 1 FROM conversations c WHERE c.tenant_id = t.tenant_id "
                  "AND c.customer_id = t.customer_id AND c.opened_at >= t.occurred_at "
                  "AND c.opened_at <= t.occurred_at + ?)), 0) "
                  "FROM touchpoints t WHERE t.tenant_id = ? AND t.kind = 'kb_view' "
                  "AND t.conversation_id IS NULL AND t.occurred_at >= ? AND t.occurred_at < ?"));
      Params(statement).int64(window.count()).id(tenant).timestamp(from).timestamp(to);
      return query_one(statement, "counting deflection", "deflection",
                       [](const Statement& row) -> Result<DeflectionReport> {
                         DeflectionReport report;
                         report.attempts = row.column_int64(0);
                         report.followed_by_conversation = row.column_int64(1);
                         report.deflected = report.attempts - report.followed_by_conversation;
                         return report;
                       });
    });
  }

  // --- CSAT

  Result<bool> put_csat(const CsatResponse& r) override {
    return guarded(kWrites, "writing a csat response", [&]() -> Result<bool> {
      OMNI_ASSIGN_OR_RETURN(Statement existing,
                            prepare("SELECT 1 FROM csat_responses WHERE tenant_id = ? "
                                    "AND conversation_id = ?"));
      Params(existing).id(r.tenant).id(r.conversation);
      OMNI_ASSIGN_OR_RETURN(bool replaced, existing.step("reading a csat response"));
      // Only onto a conversation of the same tenant: the SELECT yields no row otherwise.
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT OR REPLACE INTO csat_responses (tenant_id, conversation_id, "
                  "customer_id, agent_id, score, comment, channel_kind, responded_at) "
                  "SELECT ?, id, ?, ?, ?, ?, ?, ? FROM conversations WHERE tenant_id = ? "
                  "AND id = ?"));
      Params(statement)
          .id(r.tenant)
          .id(r.customer)
          .optional_id(r.agent)
          .int64(r.score)
          .text(r.comment)
          .name(r.channel_kind)
          .timestamp(r.responded_at)
          .id(r.tenant)
          .id(r.conversation);
      OMNI_RETURN_IF_ERROR(update(statement, "writing a csat response",
                                  fmt::format("conversation {}", r.conversation.value())));
      return replaced;
    });
  }

  Result<CsatResponse> get_csat(TenantId tenant, ConversationId conversation) override {
    return guarded(kReads, "reading a csat response", [&]() -> Result<CsatResponse> {
      static const std::string sql =
          select(kCsatColumns, "csat_responses WHERE tenant_id = ? AND conversation_id = ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).id(conversation);
      return query_one(statement, "reading a csat response",
                       fmt::format("csat response of conversation {}", conversation.value()),
                       read_csat);
    });
  }

  Result<CsatSummary> summarize_csat(const CsatQuery& q) override {
    return guarded(kReads, "summarizing csat", [&]() -> Result<CsatSummary> {
      // A range of csat_by_time (tenant_id, responded_at); agent and kind filter that range.
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("SELECT COUNT(*), COALESCE(AVG(score), 0), "
                  "COALESCE(SUM(score = 1), 0), COALESCE(SUM(score = 2), 0), "
                  "COALESCE(SUM(score = 3), 0), COALESCE(SUM(score = 4), 0), "
                  "COALESCE(SUM(score = 5), 0) FROM csat_responses "
                  "WHERE tenant_id = ? AND responded_at >= ? AND responded_at < ? "
                  "AND (? IS NULL OR agent_id = ?) AND (? IS NULL OR channel_kind = ?)"));
      Params params(statement);
      params.id(q.tenant).timestamp(q.from).timestamp(q.to).optional_id(q.agent).optional_id(
          q.agent);
      if (q.channel_kind) {
        params.name(*q.channel_kind).name(*q.channel_kind);
      } else {
        params.optional_id(std::optional<AgentId>()).optional_id(std::optional<AgentId>());
      }
      return query_one(statement, "summarizing csat", "csat summary",
                       [](const Statement& row) -> Result<CsatSummary> {
                         CsatSummary summary;
                         summary.count = row.column_int64(0);
                         summary.average = row.column_double(1);
                         for (int i = 0; i < 5; ++i) {
                           summary.distribution[static_cast<std::size_t>(i)] =
                               row.column_int64(2 + i);
                         }
                         return summary;
                       });
    });
  }

  // --- metrics. Every statement takes ?1 tenant, ?2 the buckets as a JSON array of
  // [start, end) pairs in unix micros, ?3 channel kind ('' any), ?4 team ('' any), ?5 agent
  // (0 any); the conversation statements also ?6 the query's `to` and ?7 the FCR window. The
  // buckets drive the join: per bucket one range of touchpoints_by_time or
  // conversations_by_opened (schema v6). CROSS JOIN keeps the buckets outside: SQLite never
  // reorders it, and the planner would otherwise walk the tenant's whole index with the
  // buckets inside.

  static constexpr std::string_view kMetricsBuckets =
      "WITH b AS (SELECT CAST(key AS INTEGER) AS idx, json_extract(value, '$[0]') AS lo, "
      "json_extract(value, '$[1]') AS hi FROM json_each(?2)) ";

  // The conversations of the query with what the metrics need of each, as the CTE `m`.
  static constexpr std::string_view kMetricsConversations =
      ", m AS (SELECT b.idx AS idx, c.id AS id, ch.kind AS origin_kind, "
      "c.first_response_at - c.opened_at AS frt, "
      "CASE WHEN c.resolved_at < ?6 THEN c.resolved_at - c.opened_at END AS rt, "
      "CASE WHEN c.resolved_at < ?6 AND c.reopen_count = 0 AND c.handoff_count = 0 "
      "AND NOT EXISTS (SELECT 1 FROM conversations n WHERE n.tenant_id = c.tenant_id "
      "AND n.customer_id = c.customer_id AND n.opened_at > c.resolved_at "
      "AND n.opened_at <= c.resolved_at + ?7 AND n.id <> c.id) THEN 1 ELSE 0 END AS fcr, "
      "c.handoff_count AS handoffs, "
      "CASE WHEN c.handoff_count = 0 THEN 0 ELSE (SELECT count(*) FROM handoffs h "
      "WHERE h.tenant_id = c.tenant_id AND h.conversation_id = c.id "
      "AND h.kind = 'channel_switch') END AS switches, "
      "json_extract(c.sla, '$.first_response.due_at') AS fr_due, "
      "json_extract(c.sla, '$.first_response.stopped_at') AS fr_stop, "
      "json_extract(c.sla, '$.first_response.breached') AS fr_flag, "
      "json_extract(c.sla, '$.resolution.due_at') AS rs_due, "
      "json_extract(c.sla, '$.resolution.stopped_at') AS rs_stop, "
      "json_extract(c.sla, '$.resolution.breached') AS rs_flag "
      "FROM b CROSS JOIN conversations c ON c.tenant_id = ?1 AND c.opened_at >= b.lo "
      "AND c.opened_at < b.hi "
      "LEFT JOIN channels ch ON ch.tenant_id = c.tenant_id AND ch.id = c.origin_channel_id "
      "WHERE c.merged_into IS NULL AND (?3 = '' OR ch.kind = ?3) "
      "AND (?4 = '' OR c.team = ?4) AND (?5 = 0 OR c.assignee_id = ?5)) ";

  // ", sum(<column> in bin 0), ..." for the bins of kDurationBinBounds, the column in micros.
  static std::string histogram_columns(std::string_view column) {
    std::string out;
    std::optional<std::int64_t> lower;
    for (std::size_t bin = 0; bin < kDurationBins; ++bin) {
      std::string condition;
      if (lower) condition = fmt::format("{} >= {}", column, *lower * 1'000'000);
      if (bin < kDurationBinBounds.size()) {
        const std::int64_t upper = kDurationBinBounds[bin];
        condition +=
            fmt::format("{}{} < {}", condition.empty() ? "" : " AND ", column, upper * 1'000'000);
        lower = upper;
      }
      out += fmt::format(", sum({})", condition);
    }
    return out;
  }

  Result<std::vector<MetricsRow>> compute_metrics(
      const MetricsQuery& query, const std::vector<MetricsBucket>& buckets) override {
    return guarded(kReads, "computing metrics", [&]() -> Result<std::vector<MetricsRow>> {
      std::vector<MetricsRow> rows(buckets.size());
      std::string bucket_json = "[";
      for (std::size_t i = 0; i < buckets.size(); ++i) {
        rows[i].start = buckets[i].start;
        rows[i].end = buckets[i].end;
        bucket_json += fmt::format("{}[{},{}]", i == 0 ? "" : ",", to_unix_micros(buckets[i].start),
                                   to_unix_micros(buckets[i].end));
      }
      bucket_json += "]";
      const std::string kind =
          query.channel_kind ? std::string(to_string(*query.channel_kind)) : std::string();
      const std::int64_t agent = query.agent ? query.agent->value() : 0;
      auto bind = [&](Statement& statement, bool conversations) {
        Params params(statement);
        params.id(query.tenant).text(bucket_json).text(kind).text(query.team).int64(agent);
        if (conversations) {
          params.timestamp(query.to).int64(
              std::chrono::duration_cast<std::chrono::microseconds>(query.fcr_window).count());
        }
      };
      auto row_at = [&](std::int64_t index) -> Result<MetricsRow*> {
        if (index < 0 || static_cast<std::size_t>(index) >= rows.size()) {
          return Status::internal(fmt::format("sqlite: metrics bucket {} out of range", index));
        }
        return &rows[static_cast<std::size_t>(index)];
      };
      auto channel_kind_of = [](const std::string& name) -> Result<ChannelKind> {
        auto parsed = parse_channel_kind(name);
        if (!parsed)
          return Status::corruption(fmt::format("sqlite: unknown channel kind '{}'", name));
        return *parsed;
      };

      // Rows of (bucket index, channel kind, count) into one of a row's channel lists.
      auto read_counts = [&](Statement& statement, const char* what,
                             std::vector<ChannelCount> MetricsRow::*list) -> Status {
        for (;;) {
          OMNI_ASSIGN_OR_RETURN(bool more, statement.step(what));
          if (!more) return Status::ok_status();
          OMNI_ASSIGN_OR_RETURN(MetricsRow * row, row_at(statement.column_int64(0)));
          OMNI_ASSIGN_OR_RETURN(ChannelKind k, channel_kind_of(statement.column_text(1)));
          (row->*list).push_back(ChannelCount{k, statement.column_int64(2)});
        }
      };
      // Inbound volume: per bucket a range of touchpoints_by_time, which covers the columns.
      {
        OMNI_ASSIGN_OR_RETURN(
            Statement statement,
            prepare(std::string(kMetricsBuckets) +
                    "SELECT b.idx, t.channel_kind, count(*) FROM b CROSS JOIN touchpoints t "
                    "ON t.tenant_id = ?1 AND t.occurred_at >= b.lo AND t.occurred_at < b.hi "
                    "WHERE t.kind IN ('message_in', 'call', 'video_session') "
                    "AND (?3 = '' OR t.channel_kind = ?3) "
                    "AND ((?4 = '' AND ?5 = 0) OR EXISTS (SELECT 1 FROM conversations c "
                    "WHERE c.tenant_id = t.tenant_id AND c.id = t.conversation_id "
                    "AND (?4 = '' OR c.team = ?4) AND (?5 = 0 OR c.assignee_id = ?5))) "
                    "GROUP BY b.idx, t.channel_kind"));
        bind(statement, false);
        OMNI_RETURN_IF_ERROR(
            read_counts(statement, "counting inbound volume", &MetricsRow::inbound_volume));
      }
      // Conversations opened per origin channel kind.
      {
        OMNI_ASSIGN_OR_RETURN(
            Statement statement,
            prepare(std::string(kMetricsBuckets) + std::string(kMetricsConversations) +
                    "SELECT idx, origin_kind, count(*) FROM m "
                    "WHERE origin_kind IS NOT NULL GROUP BY idx, origin_kind"));
        bind(statement, true);
        OMNI_RETURN_IF_ERROR(
            read_counts(statement, "counting conversations", &MetricsRow::conversations_opened));
      }
      // Everything else per bucket, the percentiles by rank within the bucket (nearest rank:
      // ceil(n / 2) and ceil(9 n / 10) in integer arithmetic).
      {
        OMNI_ASSIGN_OR_RETURN(
            Statement statement,
            prepare(
                std::string(kMetricsBuckets) + std::string(kMetricsConversations) +
                ", r AS (SELECT *, "
                "ROW_NUMBER() OVER (PARTITION BY idx, frt IS NULL ORDER BY frt) AS frt_rank, "
                "count(frt) OVER (PARTITION BY idx) AS frt_n, "
                "ROW_NUMBER() OVER (PARTITION BY idx, rt IS NULL ORDER BY rt) AS rt_rank, "
                "count(rt) OVER (PARTITION BY idx) AS rt_n FROM m) "
                "SELECT idx, count(*), count(frt), "
                "max(CASE WHEN frt IS NOT NULL AND frt_rank = (frt_n + 1) / 2 THEN frt END), "
                "max(CASE WHEN frt IS NOT NULL AND frt_rank = (9 * frt_n + 9) / 10 THEN frt END), "
                "count(rt), "
                "max(CASE WHEN rt IS NOT NULL AND rt_rank = (rt_n + 1) / 2 THEN rt END), "
                "max(CASE WHEN rt IS NOT NULL AND rt_rank = (9 * rt_n + 9) / 10 THEN rt END), "
                "sum(fcr), sum(handoffs), sum(switches), "
                "sum(fr_due IS NOT NULL AND fr_stop IS NOT NULL AND fr_stop <= fr_due), "
                "sum(fr_due IS NOT NULL AND ((fr_stop IS NOT NULL AND fr_stop > fr_due) "
                "OR (fr_stop IS NULL AND fr_flag = 1))), "
                "sum(rs_due IS NOT NULL AND rs_stop IS NOT NULL AND rs_stop <= rs_due), "
                "sum(rs_due IS NOT NULL AND ((rs_stop IS NOT NULL AND rs_stop > rs_due) "
                "OR (rs_stop IS NULL AND rs_flag = 1)))" +
                histogram_columns("frt") + histogram_columns("rt") + " FROM r GROUP BY idx"));
        bind(statement, true);
        auto seconds = [](std::int64_t micros) { return std::chrono::seconds(micros / 1'000'000); };
        for (;;) {
          OMNI_ASSIGN_OR_RETURN(bool more, statement.step("computing conversation metrics"));
          if (!more) break;
          OMNI_ASSIGN_OR_RETURN(MetricsRow * row, row_at(statement.column_int64(0)));
          row->conversations = statement.column_int64(1);
          row->first_response.count = statement.column_int64(2);
          row->first_response.median = seconds(statement.column_int64(3));
          row->first_response.p90 = seconds(statement.column_int64(4));
          row->resolution.count = statement.column_int64(5);
          row->resolution.median = seconds(statement.column_int64(6));
          row->resolution.p90 = seconds(statement.column_int64(7));
          row->resolved = row->resolution.count;
          row->first_contact_resolved = statement.column_int64(8);
          row->handoffs = statement.column_int64(9);
          row->channel_switches = statement.column_int64(10);
          row->first_response_sla_met = statement.column_int64(11);
          row->first_response_sla_breached = statement.column_int64(12);
          row->resolution_sla_met = statement.column_int64(13);
          row->resolution_sla_breached = statement.column_int64(14);
          for (std::size_t bin = 0; bin < kDurationBins; ++bin) {
            const int column = 15 + static_cast<int>(bin);
            row->first_response.histogram[bin] = statement.column_int64(column);
            row->resolution.histogram[bin] =
                statement.column_int64(column + static_cast<int>(kDurationBins));
          }
        }
      }
      // The channel switches by the kinds of their channels: the handoffs of the conversations
      // that have any, a range of handoffs_by_conversation each.
      {
        OMNI_ASSIGN_OR_RETURN(
            Statement statement,
            prepare(std::string(kMetricsBuckets) + std::string(kMetricsConversations) +
                    "SELECT m.idx, fc.kind, tc.kind, count(*) FROM m "
                    "JOIN handoffs h ON h.tenant_id = ?1 AND h.conversation_id = m.id "
                    "AND h.kind = 'channel_switch' "
                    "JOIN channels fc ON fc.tenant_id = ?1 AND fc.id = h.from_channel_id "
                    "JOIN channels tc ON tc.tenant_id = ?1 AND tc.id = h.to_channel_id "
                    "WHERE m.handoffs > 0 GROUP BY m.idx, fc.kind, tc.kind"));
        bind(statement, true);
        for (;;) {
          OMNI_ASSIGN_OR_RETURN(bool more, statement.step("counting channel switches"));
          if (!more) break;
          OMNI_ASSIGN_OR_RETURN(MetricsRow * row, row_at(statement.column_int64(0)));
          OMNI_ASSIGN_OR_RETURN(ChannelKind from, channel_kind_of(statement.column_text(1)));
          OMNI_ASSIGN_OR_RETURN(ChannelKind to, channel_kind_of(statement.column_text(2)));
          row->channel_switch_flow.push_back(ChannelFlow{from, to, statement.column_int64(3)});
        }
      }
      // CSAT: per bucket a range of csat_by_time.
      {
        OMNI_ASSIGN_OR_RETURN(
            Statement statement,
            prepare(std::string(kMetricsBuckets) +
                    "SELECT b.idx, count(*), sum(r.score >= 4), avg(r.score) "
                    "FROM b CROSS JOIN csat_responses r ON r.tenant_id = ?1 "
                    "AND r.responded_at >= b.lo AND r.responded_at < b.hi "
                    "WHERE (?3 = '' OR r.channel_kind = ?3) AND (?5 = 0 OR r.agent_id = ?5) "
                    "AND (?4 = '' OR EXISTS (SELECT 1 FROM conversations c "
                    "WHERE c.tenant_id = r.tenant_id AND c.id = r.conversation_id "
                    "AND c.team = ?4)) GROUP BY b.idx"));
        bind(statement, false);
        for (;;) {
          OMNI_ASSIGN_OR_RETURN(bool more, statement.step("summarizing csat per bucket"));
          if (!more) break;
          OMNI_ASSIGN_OR_RETURN(MetricsRow * row, row_at(statement.column_int64(0)));
          row->csat_responses = statement.column_int64(1);
          row->csat_satisfied = statement.column_int64(2);
          row->csat_average = statement.column_double(3);
        }
      }
      // Occupancy: per bucket and human agent of the query, the activity entry in force at the
      // bucket's start (one probe of agent_activity_by_agent) and the entries inside the bucket
      // (one range of it), each lasting until the agent's next within the bucket or the bucket's
      // end.
      {
        OMNI_ASSIGN_OR_RETURN(
            Statement statement,
            prepare(
                std::string(kMetricsBuckets) +
                ", g AS (SELECT id FROM agents WHERE tenant_id = ?1 AND kind = 'human' "
                "AND (?5 = 0 OR id = ?5) AND (?4 = '' OR EXISTS (SELECT 1 FROM "
                "json_each(agents.teams) WHERE value = ?4))), "
                "s AS (SELECT b.idx AS idx, b.lo AS lo, b.hi AS hi, a.at AS at, "
                "a.presence IN ('available', 'busy') AS staffed, "
                "a.load_sync + a.load_async > 0 AS holds, "
                "LEAD(a.at) OVER (PARTITION BY b.idx, a.agent_id ORDER BY a.at, a.id) AS next_at "
                "FROM b CROSS JOIN g CROSS JOIN agent_activity a ON a.tenant_id = ?1 "
                "AND a.agent_id = g.id AND a.at >= IFNULL((SELECT max(x.at) FROM agent_activity x "
                "WHERE x.tenant_id = ?1 AND x.agent_id = g.id AND x.at <= b.lo), b.lo) "
                "AND a.at < b.hi) "
                "SELECT idx, sum(IFNULL(next_at, hi) - max(at, lo)), "
                "sum(CASE WHEN holds THEN IFNULL(next_at, hi) - max(at, lo) ELSE 0 END) "
                "FROM s WHERE staffed GROUP BY idx"));
        bind(statement, false);
        for (;;) {
          OMNI_ASSIGN_OR_RETURN(bool more, statement.step("computing occupancy"));
          if (!more) break;
          OMNI_ASSIGN_OR_RETURN(MetricsRow * row, row_at(statement.column_int64(0)));
          row->agent_staffed = std::chrono::seconds(statement.column_int64(1) / 1'000'000);
          row->agent_occupied = std::chrono::seconds(statement.column_int64(2) / 1'000'000);
        }
      }
      return rows;
    });
  }

  Result<std::vector<ConversationTimes>> list_conversation_times(
      const MetricsQuery& query, const MetricsBucket& bucket) override {
    return guarded(
        kReads, "listing conversation times", [&]() -> Result<std::vector<ConversationTimes>> {
          // One range of conversations_by_opened, filtered as compute_metrics filters.
          OMNI_ASSIGN_OR_RETURN(
              Statement statement,
              prepare("SELECT c.opened_at, c.first_response_at, "
                      "CASE WHEN c.resolved_at < ?4 THEN c.resolved_at END "
                      "FROM conversations c LEFT JOIN channels ch ON ch.tenant_id = c.tenant_id "
                      "AND ch.id = c.origin_channel_id "
                      "WHERE c.tenant_id = ?1 AND c.opened_at >= ?2 AND c.opened_at < ?3 "
                      "AND c.merged_into IS NULL AND (?5 = '' OR ch.kind = ?5) "
                      "AND (?6 = '' OR c.team = ?6) AND (?7 = 0 OR c.assignee_id = ?7)"));
          Params(statement)
              .id(query.tenant)
              .timestamp(bucket.start)
              .timestamp(bucket.end)
              .timestamp(query.to)
              .text(query.channel_kind ? to_string(*query.channel_kind) : std::string_view(""))
              .text(query.team)
              .int64(query.agent ? query.agent->value() : 0);
          return query_all(statement, "listing conversation times",
                           [](const Statement& row) -> Result<ConversationTimes> {
                             ConversationTimes times;
                             times.opened_at = from_unix_micros(row.column_int64(0));
                             if (auto v = row.column_optional_int64(1)) {
                               times.first_response_at = from_unix_micros(*v);
                             }
                             if (auto v = row.column_optional_int64(2)) {
                               times.resolved_at = from_unix_micros(*v);
                             }
                             return times;
                           });
        });
  }

  Result<std::vector<CustomerChannels>> count_preferred_channels(
      const PreferredChannelsQuery& query) override {
    return guarded(
        kReads, "counting preferred channels", [&]() -> Result<std::vector<CustomerChannels>> {
          // One customer: a range of touchpoints_customer_timeline; the top customers: a range of
          // touchpoints_by_time, grouped.
          OMNI_ASSIGN_OR_RETURN(
              Statement statement,
              prepare(
                  "WITH per AS (SELECT customer_id, channel_kind, count(*) AS n FROM touchpoints "
                  "WHERE tenant_id = ?1 AND (?2 = 0 OR customer_id = ?2) AND occurred_at >= ?3 "
                  "AND occurred_at < ?4 AND kind IN ('message_in', 'call', 'video_session') "
                  "GROUP BY customer_id, channel_kind), "
                  "top AS (SELECT customer_id, sum(n) AS total FROM per GROUP BY customer_id "
                  "ORDER BY total DESC, customer_id LIMIT ?5) "
                  "SELECT top.customer_id, top.total, per.channel_kind, per.n FROM top "
                  "JOIN per ON per.customer_id = top.customer_id "
                  "ORDER BY top.total DESC, top.customer_id"));
          Params(statement)
              .id(query.tenant)
              .int64(query.customer ? query.customer->value() : 0)
              .timestamp(query.from)
              .timestamp(query.to)
              .int64(static_cast<std::int64_t>(query.limit));
          std::vector<CustomerChannels> out;
          for (;;) {
            OMNI_ASSIGN_OR_RETURN(bool more, statement.step("counting preferred channels"));
            if (!more) break;
            const CustomerId customer(statement.column_int64(0));
            if (out.empty() || out.back().customer != customer) {
              out.push_back(CustomerChannels{customer, statement.column_int64(1), {}});
            }
            auto kind = parse_channel_kind(statement.column_text(2));
            if (!kind) return Status::corruption("sqlite: unknown channel kind in touchpoints");
            out.back().channels.push_back(ChannelCount{*kind, statement.column_int64(3)});
          }
          return out;
        });
  }

  // --- pending deliveries

  Status insert_pending_delivery(const PendingDelivery& delivery) override {
    return guarded(kWrites, "inserting a pending delivery", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT INTO pending_deliveries (tenant_id, touchpoint_id, channel_id, attempts, "
                  "next_attempt_at, last_error) VALUES (?, ?, ?, ?, ?, ?)"));
      Params(statement)
          .id(delivery.tenant)
          .id(delivery.touchpoint)
          .id(delivery.channel)
          .int64(delivery.attempts)
          .timestamp(delivery.next_attempt_at)
          .text(delivery.last_error);
      return statement.run("inserting a pending delivery");
    });
  }

  Result<PendingDelivery> get_pending_delivery(TenantId tenant, TouchpointId touchpoint) override {
    static const std::string sql = select(
        kPendingDeliveryColumns, "pending_deliveries WHERE tenant_id = ? AND touchpoint_id = ?");
    return get_by_id(sql, "reading a pending delivery", "pending delivery of touchpoint", tenant,
                     touchpoint.value(), read_pending_delivery);
  }

  Status update_pending_delivery(const PendingDelivery& delivery) override {
    return guarded(kWrites, "updating a pending delivery", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare(
              "UPDATE pending_deliveries SET channel_id = ?, attempts = ?, next_attempt_at = ?, "
              "last_error = ? WHERE tenant_id = ? AND touchpoint_id = ?"));
      Params(statement)
          .id(delivery.channel)
          .int64(delivery.attempts)
          .timestamp(delivery.next_attempt_at)
          .text(delivery.last_error)
          .id(delivery.tenant)
          .id(delivery.touchpoint);
      return update(statement, "updating a pending delivery",
                    fmt::format("pending delivery of touchpoint {}", delivery.touchpoint.value()));
    });
  }

  Status delete_pending_delivery(TenantId tenant, TouchpointId touchpoint) override {
    return guarded(kWrites, "deleting a pending delivery", [&]() -> Status {
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("DELETE FROM pending_deliveries WHERE tenant_id = ? AND touchpoint_id = ?"));
      Params(statement).id(tenant).id(touchpoint);
      return update(statement, "deleting a pending delivery",
                    fmt::format("pending delivery of touchpoint {}", touchpoint.value()));
    });
  }

  Result<std::vector<PendingDelivery>> list_due_deliveries(TenantId tenant, Timestamp now,
                                                           std::size_t limit) override {
    return guarded(kReads, "listing due deliveries", [&]() -> Result<std::vector<PendingDelivery>> {
      static const std::string sql =
          select(kPendingDeliveryColumns,
                 "pending_deliveries WHERE tenant_id = ? AND next_attempt_at <= ? "
                 "ORDER BY next_attempt_at, touchpoint_id LIMIT ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).timestamp(now).int64(sql_limit(limit));
      return query_all(statement, "listing due deliveries", read_pending_delivery);
    });
  }

  // --- events

  Result<std::int64_t> append_event(const Event& event) override {
    return guarded(kWrites, "appending an event", [&]() -> Result<std::int64_t> {
      // The tenant's next sequence is one past its newest event: a seek at the end of the
      // primary key. Writers are serialized by BEGIN IMMEDIATE, so sequences increase in commit
      // order within the tenant.
      OMNI_ASSIGN_OR_RETURN(
          Statement statement,
          prepare("INSERT INTO events (tenant_id, sequence, customer_id, conversation_id, type, "
                  "payload, created_at) VALUES (?1, (SELECT IFNULL(MAX(sequence), 0) + 1 FROM "
                  "events WHERE tenant_id = ?1), ?2, ?3, ?4, ?5, ?6) RETURNING sequence"));
      Params(statement)
          .id(event.tenant)
          .optional_id(event.customer)
          .optional_id(event.conversation)
          .text(event.type)
          .text(event.payload)
          .timestamp(event.created_at);
      OMNI_ASSIGN_OR_RETURN(bool row, statement.step("appending an event"));
      if (!row) return Status::internal("sqlite: appending an event returned no sequence");
      const std::int64_t sequence = statement.column_int64(0);
      OMNI_RETURN_IF_ERROR(statement.run("appending an event"));
      return sequence;
    });
  }

  Result<std::vector<Event>> list_events(TenantId tenant, std::int64_t after,
                                         std::size_t limit) override {
    return guarded(kReads, "listing events", [&]() -> Result<std::vector<Event>> {
      static const std::string sql = select(
          kEventColumns, "events WHERE tenant_id = ? AND sequence > ? ORDER BY sequence LIMIT ?");
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).int64(after).int64(sql_limit(limit));
      return query_all(statement, "listing events", read_event);
    });
  }

 private:
  enum Access { kReads, kWrites };

  Result<Statement> prepare(std::string_view sql) { return connection_->prepare(sql); }

  static void bind_conversation_fields(Params& params, const Conversation& conversation) {
    params.id(conversation.customer)
        .name(conversation.status)
        .name(conversation.priority)
        .optional_id(conversation.assignee)
        .text(conversation.team)
        .text(conversation.subject)
        .id_or_null(conversation.origin_channel)
        .id_or_null(conversation.current_channel)
        .timestamp(conversation.opened_at)
        .timestamp(conversation.updated_at)
        .optional_timestamp(conversation.first_response_at)
        .optional_timestamp(conversation.last_inbound_at)
        .optional_timestamp(conversation.last_outbound_at)
        .optional_timestamp(conversation.resolved_at)
        .optional_timestamp(conversation.closed_at)
        .int64(conversation.reopen_count)
        .boolean(conversation.joinable)
        .optional_id(conversation.merged_into)
        .name(conversation.routing_class)
        .text(sqlite::encode_string_list(conversation.skills))
        .text(conversation.language)
        .optional_timestamp(conversation.queued_at)
        .optional_id(conversation.offered_to)
        .optional_timestamp(conversation.offer_expires_at)
        .text(encode_agent_ids(conversation.passed_over))
        .optional_id(conversation.preferred_agent)
        .optional_timestamp(conversation.sticky_until)
        .text(sqlite::encode_sla_state(conversation.sla))
        .optional_timestamp(conversation.next_timer_at)
        .int64(conversation.handoff_count);
  }

  static std::string encode_agent_ids(const std::vector<AgentId>& agents) {
    std::vector<std::int64_t> ids;
    ids.reserve(agents.size());
    for (AgentId agent : agents)
      ids.push_back(agent.value());
    return sqlite::encode_id_list(ids);
  }

  static void bind_merge_fields(Params& params, const MergeRecord& merge) {
    params.id(merge.survivor)
        .id(merge.merged)
        .text(merge.actor)
        .text(merge.reason)
        .timestamp(merge.merged_at)
        .text(sqlite::encode_attribute_conflicts(merge.conflicts))
        .text(sqlite::encode_string_list(merge.copied_attributes))
        .optional_timestamp(merge.unmerged_at)
        .text(merge.unmerged_by);
  }

  // Runs one statement per SQL text, in order, each bound by `bind` (which must bind exactly the
  // parameters every one of them has).
  template <std::size_t N, typename Bind>
  Status run_all(const std::array<std::string_view, N>& statements, std::string_view what,
                 Bind bind) {
    for (std::string_view sql : statements) {
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params params(statement);
      bind(params);
      OMNI_RETURN_IF_ERROR(statement.run(what));
    }
    return Status::ok_status();
  }

  static void bind_handoff_fields(Params& params, const Handoff& handoff) {
    params.id(handoff.conversation)
        .name(handoff.kind)
        .name(handoff.mode)
        .optional_id(handoff.from_channel)
        .optional_id(handoff.to_channel)
        .optional_id(handoff.from_agent)
        .optional_id(handoff.to_agent)
        .text(handoff.from_team)
        .text(handoff.to_team)
        .text(handoff.reason)
        .text(encode_context_packet(handoff.context))
        .timestamp(handoff.created_at)
        .optional_timestamp(handoff.acknowledged_at)
        .optional_id(handoff.acknowledged_by);
  }

  // Whether the transaction can run an operation of this kind.
  Status check_usable(Access access, std::string_view what) const {
    if (broken_) return *broken_;
    if (!transaction_.is_open()) {
      return Status::failed_precondition(
          fmt::format("sqlite: {}: the transaction has already ended", what));
    }
    if (access == kWrites && mode_ == TransactionMode::kRead) {
      return Status::failed_precondition(
          fmt::format("sqlite: {}: not allowed in a read transaction", what));
    }
    return Status::ok_status();
  }

  // After a failed statement: some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, some
  // SQLITE_BUSY) make SQLite roll the whole transaction back by itself. Later statements would
  // then run in autocommit mode, each committing on its own; refuse them instead.
  void note_failure(const Status& status) {
    if (broken_ || !transaction_.is_open() || !connection_->in_autocommit()) return;
    transaction_.rollback();  // only records that the transaction is over
    broken_ = Status(status.code(), "the transaction was rolled back after: " + status.message());
  }

  static Status exception_status(std::string_view what) {
    try {
      throw;
    } catch (const std::bad_alloc&) {
      return Status::internal(fmt::format("sqlite: {}: out of memory", what));
    } catch (const std::exception& e) {
      return Status::internal(fmt::format("sqlite: {}: exception: {}", what, e.what()));
    } catch (...) {
      return Status::internal(fmt::format("sqlite: {}: unknown exception", what));
    }
  }

  // Runs one operation: checks the transaction's state, converts exceptions to Status, and
  // notices when SQLite aborted the transaction underneath.
  // One row by (tenant, id): the shape of every get_* method.
  template <typename Reader>
  auto get_by_id(const std::string& sql, std::string_view what, std::string_view noun,
                 TenantId tenant, std::int64_t id, Reader read)
      -> decltype(read(std::declval<const Statement&>())) {
    return guarded(kReads, what, [&]() -> decltype(read(std::declval<const Statement&>())) {
      OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
      Params(statement).id(tenant).int64(id);
      return query_one(statement, what, fmt::format("{} {}", noun, id), read);
    });
  }

  template <typename Body>
  auto guarded(Access access, std::string_view what, Body&& body) -> decltype(body()) {
    try {
      Status usable = check_usable(access, what);
      if (!usable.ok()) return usable;
      auto result = body();
      if (!status_of(result).ok()) note_failure(status_of(result));
      return result;
    } catch (...) {
      return exception_status(what);
    }
  }

  sqlite::PooledConnection connection_;
  sqlite::Transaction transaction_;  // declared after connection_: ends before it is returned
  TransactionMode mode_;
  std::optional<Status> broken_;
};

// --- the store

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::shared_ptr<sqlite::ConnectionPool> pool) : pool_(std::move(pool)) {}

  Result<std::unique_ptr<StoreTransaction>> begin(TransactionMode mode) override {
    try {
      OMNI_ASSIGN_OR_RETURN(sqlite::PooledConnection connection, pool_->acquire());
      OMNI_ASSIGN_OR_RETURN(
          sqlite::Transaction transaction,
          sqlite::Transaction::begin(*connection, mode == TransactionMode::kWrite));
      return std::unique_ptr<StoreTransaction>(
          std::make_unique<SqliteTransaction>(std::move(connection), std::move(transaction), mode));
    } catch (const std::bad_alloc&) {
      return Status::internal("sqlite: starting a transaction: out of memory");
    } catch (const std::exception& e) {
      return Status::internal(std::string("sqlite: starting a transaction: ") + e.what());
    } catch (...) {
      return Status::internal("sqlite: starting a transaction: unknown exception");
    }
  }

  std::string_view name() const override { return "sqlite"; }

 private:
  std::shared_ptr<sqlite::ConnectionPool> pool_;
};

Result<std::unique_ptr<Store>> open_store(const SqliteStoreOptions& options) {
  if (options.path.empty()) {
    return Status::invalid_argument("sqlite: the database path is empty");
  }
  if (options.path == ":memory:") {
    return Status::invalid_argument(
        "sqlite: an in-memory database is not supported; use make_memory_store()");
  }
  if (sqlite3_threadsafe() == 0) {
    return Status::failed_precondition("sqlite: SQLite was built without thread safety");
  }
  if (sqlite3_libversion_number() < 3015000) {
    return Status::failed_precondition(fmt::format(
        "sqlite: SQLite {} is too old; 3.15 or newer is required", sqlite3_libversion()));
  }

  sqlite::ConnectionSettings settings;
  settings.path = options.path;
  settings.busy_timeout = options.busy_timeout;
  settings.synchronous_full = options.durability == Durability::kFull;
  settings.max_idle = options.max_pooled_connections;

  OMNI_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Connection> connection,
                        sqlite::Connection::open(settings.path, settings.busy_timeout));
  // A "file:" URI can still name an in-memory or temporary database; they have no file name.
  const char* filename = sqlite3_db_filename(connection->handle(), "main");
  if (filename == nullptr || *filename == '\0') {
    return Status::invalid_argument(
        fmt::format("sqlite: '{}' is not a database file (in-memory or temporary)", options.path));
  }
  OMNI_RETURN_IF_ERROR(sqlite::prepare_database(*connection, options.busy_timeout));
  OMNI_RETURN_IF_ERROR(sqlite::configure_connection(*connection, settings));

  auto pool = std::make_shared<sqlite::ConnectionPool>(std::move(settings));
  pool->release(std::move(connection));
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(pool)));
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteStoreOptions& options) {
  try {
    return open_store(options);
  } catch (const std::bad_alloc&) {
    return Status::internal("sqlite: opening the store: out of memory");
  } catch (const std::exception& e) {
    return Status::internal(std::string("sqlite: opening the store: ") + e.what());
  } catch (...) {
    return Status::internal("sqlite: opening the store: unknown exception");
  }
}

int sqlite_schema_version() {
  return sqlite::schema_version();
}

}  // namespace omni
