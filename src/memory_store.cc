// MemoryStore: every table is an ordered map guarded by one shared mutex. A write transaction
// holds the mutex exclusively for its lifetime and keeps an undo log; destroying it without a
// commit replays the log backwards, so a failed operation leaves nothing behind.
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <tuple>
#include <utility>
#include <vector>

#include "omni/memory_store.h"
#include "omni/normalize.h"
#include "utf8.h"

#include <algorithm>
#include <cctype>

namespace omni {
namespace {

#define OMNI_WRITABLE()                    \
  do {                                     \
    Status writable_ = check_writable();   \
    if (!writable_.ok()) return writable_; \
  } while (false)
#define OMNI_REQUIRE_TENANT(tenant_id)                                           \
  do {                                                                           \
    if (!t_.tenants.count((tenant_id).value())) {                                \
      return Status::not_found("tenant " + std::to_string((tenant_id).value())); \
    }                                                                            \
  } while (false)

using Key = std::int64_t;

// An article with its folded words (omni/knowledge.h), computed when it is written.
struct IndexedArticle {
  Article article;
  std::set<std::string> title_terms;
  std::set<std::string> body_terms;
};

std::set<std::string> indexed_terms(std::string_view text) {
  std::set<std::string> out;
  constexpr std::size_t kAll = static_cast<std::size_t>(-1);
  for (auto& term : search_terms(text, kAll))
    out.insert(std::move(term));
  for (auto& term : search_terms(search_alternates(text), kAll))
    out.insert(std::move(term));
  return out;
}

IndexedArticle index_article(const Article& article) {
  return IndexedArticle{article, indexed_terms(article.title), indexed_terms(article.body)};
}

// About 160 bytes of `body` from a little before the first word that matches one of `terms`
// (the start when none does), cut at word and code point boundaries, "…" where it was cut.
std::string snippet_of(std::string_view body, const std::vector<std::string>& terms) {
  auto word_byte = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || std::isalnum(u) != 0;
  };
  std::size_t match = 0;
  for (std::size_t i = 0; i < body.size();) {
    if (!word_byte(body[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < body.size() && word_byte(body[end]))
      ++end;
    const std::string_view word = body.substr(i, end - i);
    bool found = false;
    for (const auto& folded : {search_terms(word), search_terms(search_alternates(word))}) {
      for (const auto& term : folded) {
        if (std::find(terms.begin(), terms.end(), term) != terms.end()) found = true;
      }
    }
    if (found) {
      match = i;
      break;
    }
    i = end;
  }
  std::size_t start = match > 60 ? match - 60 : 0;
  if (start > 0) {
    // Forward to the next word's start.
    while (start < match && word_byte(body[start - 1]))
      ++start;
  }
  std::string_view excerpt = detail::utf8_prefix(body.substr(start), 160);
  std::string out = start > 0 ? "…" : "";
  out += excerpt;
  if (start + excerpt.size() < body.size()) out += "…";
  return out;
}

void add_flow(std::vector<ChannelFlow>& flows, ChannelKind from, ChannelKind to) {
  for (ChannelFlow& f : flows) {
    if (f.from == from && f.to == to) {
      ++f.count;
      return;
    }
  }
  flows.push_back(ChannelFlow{from, to, 1});
}

void add_count(std::vector<ChannelCount>& counts, ChannelKind kind) {
  for (ChannelCount& c : counts) {
    if (c.kind == kind) {
      ++c.count;
      return;
    }
  }
  counts.push_back(ChannelCount{kind, 1});
}

bool counts_as_inbound_volume(TouchpointKind kind) {
  return kind == TouchpointKind::kMessageIn || kind == TouchpointKind::kCall ||
         kind == TouchpointKind::kVideoSession;
}

struct Tables {
  Key next_id = 1;
  std::int64_t next_sequence = 1;
  std::map<Key, Tenant> tenants;
  std::map<std::string, Key> tenant_names;
  std::map<Key, Channel> channels;
  std::map<std::pair<Key, std::string>, Key> channel_names;
  std::map<std::pair<Key, int>, ChannelProfile> tenant_profiles;  // (tenant, kind)
  std::map<std::pair<Key, std::string>, std::string> settings;    // (tenant, key) -> value
  std::map<Key, Agent> agents;
  std::map<std::pair<Key, std::string>, Key> agent_names;
  std::map<Key, Customer> customers;
  std::set<std::tuple<Key, std::string, Key>> name_keys;  // (tenant, name key, customer)
  std::map<Key, Identity> identities;
  std::map<std::tuple<Key, int, std::string, std::string>, Key> identity_keys;
  std::map<std::tuple<Key, Key, std::string>, Consent> consents;  // (tenant, identity, kind name)
  std::map<Key, Conversation> conversations;
  std::map<Key, Key> active_conversation;  // customer -> its joinable active conversation
  std::map<Key, Touchpoint> touchpoints;
  std::map<std::tuple<Key, Key, std::string>, Key> provider_keys;  // (tenant, channel, id)
  std::set<std::tuple<Key, std::int64_t, Key>> timeline;           // (customer, occurred_us, id)
  std::map<Key, Handoff> handoffs;
  std::vector<Event> events;
  std::map<Key, MergeRecord> merges;
  std::map<Key, PendingDelivery> deliveries;        // by touchpoint
  std::set<std::tuple<Key, int, Key>> merge_moves;  // (merge, record kind, record id)
  std::map<Key, IndexedArticle> articles;
  std::map<std::pair<Key, std::string>, Key> article_slugs;  // (tenant, slug)
  std::map<std::pair<Key, Key>, CsatResponse> csat;          // (tenant, conversation)
  std::vector<AgentActivity> agent_activity;                 // in the order appended
};

enum MovedKind { kMovedIdentity, kMovedConversation, kMovedTouchpoint };

bool takes_joinable_slot(const Conversation& c) {
  return is_active(c.status) && c.joinable;
}

// The queue's order: urgent first.
int priority_rank(Priority priority) {
  return static_cast<int>(Priority::kUrgent) - static_cast<int>(priority);
}

// The sort keys of the routing queries. "Never routed" is 0, as SqliteStore stores it; an unset
// queued_at sorts first, as NULL does in SQLite.
std::int64_t routed_key(const Agent& a) {
  return a.last_routed_at ? to_unix_micros(*a.last_routed_at) : 0;
}
std::tuple<int, std::int64_t, Key> agent_key(const Agent& a, RoutingClass c, RoutingStrategy s) {
  return {s == RoutingStrategy::kLeastLoaded ? a.load.of(c) : 0, routed_key(a), a.id.value()};
}
std::tuple<int, std::optional<Timestamp>, Key> queue_key(const Conversation& c) {
  return {priority_rank(c.priority), c.queued_at, c.id.value()};
}

// Whether the conversation holds slots of agents (Agent::load).
bool holds_slots(const Conversation& c) {
  return is_active(c.status) && (c.assignee || c.offered_to);
}

class MemoryStore;

class MemoryTransaction final : public StoreTransaction {
 public:
  MemoryTransaction(Tables& t, std::shared_mutex& mutex, TransactionMode mode)
      : t_(t), mode_(mode) {
    if (mode == TransactionMode::kWrite) {
      write_lock_ = std::unique_lock<std::shared_mutex>(mutex);
    } else {
      read_lock_ = std::shared_lock<std::shared_mutex>(mutex);
    }
  }

  ~MemoryTransaction() override {
    if (!committed_) {
      for (auto it = undo_.rbegin(); it != undo_.rend(); ++it)
        (*it)();
    }
  }

  Status commit() override {
    if (mode_ != TransactionMode::kWrite) {
      return Status::failed_precondition("commit on a read transaction");
    }
    if (committed_) return Status::failed_precondition("transaction already committed");
    committed_ = true;
    undo_.clear();
    write_lock_.unlock();  // the writes are visible from now on; let others in
    return Status();
  }

  // --- tenants
  Result<TenantId> insert_tenant(const Tenant& v) override {
    OMNI_WRITABLE();
    if (t_.tenant_names.count(v.name)) {
      return Status::already_exists("tenant '" + v.name + "' exists");
    }
    Tenant row = v;
    row.id = TenantId(t_.next_id++);
    put(t_.tenants, row.id.value(), row);
    put(t_.tenant_names, row.name, row.id.value());
    return row.id;
  }
  Result<Tenant> get_tenant(TenantId id) override {
    auto it = t_.tenants.find(id.value());
    if (it == t_.tenants.end()) return Status::not_found("tenant " + std::to_string(id.value()));
    return it->second;
  }
  Result<Tenant> find_tenant(std::string_view name) override {
    auto it = t_.tenant_names.find(std::string(name));
    if (it == t_.tenant_names.end()) {
      return Status::not_found("tenant '" + std::string(name) + "'");
    }
    return t_.tenants.at(it->second);
  }

  // --- channels
  Result<ChannelId> insert_channel(const Channel& v) override {
    OMNI_WRITABLE();
    auto key = std::make_pair(v.tenant.value(), v.name);
    if (t_.channel_names.count(key)) {
      return Status::already_exists("channel '" + v.name + "' exists");
    }
    Channel row = v;
    row.id = ChannelId(t_.next_id++);
    put(t_.channels, row.id.value(), row);
    put(t_.channel_names, key, row.id.value());
    return row.id;
  }
  Result<Channel> get_channel(TenantId tenant, ChannelId id) override {
    return get_scoped(t_.channels, tenant, id.value(), "channel");
  }
  Result<Channel> find_channel(TenantId tenant, std::string_view name) override {
    auto it = t_.channel_names.find({tenant.value(), std::string(name)});
    if (it == t_.channel_names.end()) {
      return Status::not_found("channel '" + std::string(name) + "'");
    }
    return t_.channels.at(it->second);
  }
  Result<std::vector<Channel>> list_channels(TenantId tenant) override {
    return list_scoped(t_.channels, tenant);
  }

  Status update_channel(const Channel& v) override {
    OMNI_WRITABLE();
    auto old = get_scoped(t_.channels, v.tenant, v.id.value(), "channel");
    if (!old.ok()) return old.status();
    if (old->name != v.name) {
      auto key = std::make_pair(v.tenant.value(), v.name);
      if (t_.channel_names.count(key)) {
        return Status::already_exists("channel '" + v.name + "' exists");
      }
      erase(t_.channel_names, std::make_pair(v.tenant.value(), old->name));
      put(t_.channel_names, key, v.id.value());
    }
    Channel row = v;
    row.kind = old->kind;
    row.created_at = old->created_at;
    put(t_.channels, v.id.value(), row);
    return Status();
  }
  Status put_tenant_profile(TenantId tenant, ChannelKind kind,
                            const ChannelProfile& profile) override {
    OMNI_WRITABLE();
    OMNI_REQUIRE_TENANT(tenant);
    put(t_.tenant_profiles, std::make_pair(tenant.value(), static_cast<int>(kind)), profile);
    return Status();
  }
  Result<ChannelProfile> find_tenant_profile(TenantId tenant, ChannelKind kind) override {
    auto it = t_.tenant_profiles.find({tenant.value(), static_cast<int>(kind)});
    if (it == t_.tenant_profiles.end()) return Status::not_found("tenant profile");
    return it->second;
  }
  Status delete_tenant_profile(TenantId tenant, ChannelKind kind) override {
    OMNI_WRITABLE();
    auto key = std::make_pair(tenant.value(), static_cast<int>(kind));
    if (!t_.tenant_profiles.count(key)) return Status::not_found("tenant profile");
    erase(t_.tenant_profiles, key);
    return Status();
  }

  // --- settings
  Status put_setting(TenantId tenant, std::string_view key, std::string_view value) override {
    OMNI_WRITABLE();
    OMNI_REQUIRE_TENANT(tenant);
    put(t_.settings, std::make_pair(tenant.value(), std::string(key)), std::string(value));
    return Status();
  }
  Result<std::string> get_setting(TenantId tenant, std::string_view key) override {
    auto it = t_.settings.find({tenant.value(), std::string(key)});
    if (it == t_.settings.end()) return Status::not_found("setting '" + std::string(key) + "'");
    return it->second;
  }
  Status delete_setting(TenantId tenant, std::string_view key) override {
    OMNI_WRITABLE();
    auto k = std::make_pair(tenant.value(), std::string(key));
    if (!t_.settings.count(k)) return Status::not_found("setting '" + std::string(key) + "'");
    erase(t_.settings, k);
    return Status();
  }
  Result<std::vector<std::pair<std::string, std::string>>> list_settings(
      TenantId tenant, std::string_view prefix) override {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto it = t_.settings.lower_bound({tenant.value(), std::string(prefix)});
         it != t_.settings.end() && it->first.first == tenant.value() &&
         it->first.second.compare(0, prefix.size(), prefix) == 0;
         ++it) {
      out.emplace_back(it->first.second, it->second);
    }
    return out;
  }

  // --- agents
  Result<AgentId> insert_agent(const Agent& v) override {
    OMNI_WRITABLE();
    auto key = std::make_pair(v.tenant.value(), v.name);
    if (t_.agent_names.count(key)) return Status::already_exists("agent '" + v.name + "' exists");
    Agent row = v;
    row.id = AgentId(t_.next_id++);
    row.load = AgentLoad();  // the store's to keep; no conversation holds a slot of a new agent
    put(t_.agents, row.id.value(), row);
    put(t_.agent_names, key, row.id.value());
    return row.id;
  }
  Result<Agent> get_agent(TenantId tenant, AgentId id) override {
    return get_scoped(t_.agents, tenant, id.value(), "agent");
  }
  Status update_agent(const Agent& v) override {
    OMNI_WRITABLE();
    auto old = get_scoped(t_.agents, v.tenant, v.id.value(), "agent");
    if (!old.ok()) return old.status();
    if (old->name != v.name) {
      auto key = std::make_pair(v.tenant.value(), v.name);
      if (t_.agent_names.count(key)) return Status::already_exists("agent '" + v.name + "' exists");
      erase(t_.agent_names, std::make_pair(v.tenant.value(), old->name));
      put(t_.agent_names, key, v.id.value());
    }
    Agent row = v;
    row.load = old->load;
    put(t_.agents, v.id.value(), row);
    return Status();
  }
  Status append_agent_activity(const AgentActivity& v) override {
    OMNI_WRITABLE();
    auto agent = get_scoped(t_.agents, v.tenant, v.agent.value(), "agent");
    if (!agent.ok()) return agent.status();
    t_.agent_activity.push_back(v);
    undo_.push_back([this] { t_.agent_activity.pop_back(); });
    return Status();
  }
  Result<std::vector<Agent>> list_agents(TenantId tenant) override {
    return list_scoped(t_.agents, tenant);
  }
  Result<std::vector<Agent>> list_routable_agents(TenantId tenant, RoutingClass routing_class,
                                                  RoutingStrategy strategy, const Agent* after,
                                                  std::size_t limit) override {
    std::vector<Agent> out;
    for (const auto& [id, row] : t_.agents) {
      if (row.tenant != tenant || row.presence != Presence::kAvailable) continue;
      if (row.load.of(routing_class) >= row.capacity.of(routing_class)) continue;
      if (after &&
          !(agent_key(*after, routing_class, strategy) < agent_key(row, routing_class, strategy))) {
        continue;
      }
      out.push_back(row);
    }
    std::sort(out.begin(), out.end(), [&](const Agent& a, const Agent& b) {
      return agent_key(a, routing_class, strategy) < agent_key(b, routing_class, strategy);
    });
    if (out.size() > limit) out.resize(limit);
    return out;
  }

  // --- customers
  Result<CustomerId> insert_customer(const Customer& v) override {
    OMNI_WRITABLE();
    OMNI_REQUIRE_TENANT(v.tenant);
    Customer row = v;
    row.id = CustomerId(t_.next_id++);
    put(t_.customers, row.id.value(), row);
    std::string key = customer_name_key(row.display_name);
    if (!key.empty())
      insert_into(t_.name_keys, std::make_tuple(row.tenant.value(), key, row.id.value()));
    return row.id;
  }
  Result<Customer> get_customer(TenantId tenant, CustomerId id) override {
    return get_scoped(t_.customers, tenant, id.value(), "customer");
  }
  Status update_customer(const Customer& v) override {
    OMNI_WRITABLE();
    auto old = get_scoped(t_.customers, v.tenant, v.id.value(), "customer");
    if (!old.ok()) return old.status();
    if (old->display_name != v.display_name) {
      std::string old_key = customer_name_key(old->display_name);
      if (!old_key.empty()) {
        erase_from(t_.name_keys, std::make_tuple(v.tenant.value(), old_key, v.id.value()));
      }
      std::string key = customer_name_key(v.display_name);
      if (!key.empty())
        insert_into(t_.name_keys, std::make_tuple(v.tenant.value(), key, v.id.value()));
    }
    put(t_.customers, v.id.value(), v);
    return Status();
  }
  Result<std::vector<Customer>> find_customers_by_name_key(TenantId tenant,
                                                           std::string_view name_key,
                                                           std::size_t limit) override {
    std::vector<Customer> out;
    if (name_key.empty()) return out;
    const std::string key(name_key);
    for (auto it = t_.name_keys.lower_bound({tenant.value(), key, 0});
         it != t_.name_keys.end() && std::get<0>(*it) == tenant.value() &&
         std::get<1>(*it) == key && out.size() < limit;
         ++it) {
      out.push_back(t_.customers.at(std::get<2>(*it)));
    }
    return out;
  }
  Result<std::vector<Customer>> list_customers(TenantId tenant, CustomerId after,
                                               std::size_t limit) override {
    std::vector<Customer> out;
    for (auto it = t_.customers.upper_bound(after.value());
         it != t_.customers.end() && out.size() < limit; ++it) {
      if (it->second.tenant == tenant) out.push_back(it->second);
    }
    return out;
  }

  // --- identities
  Result<IdentityId> insert_identity(const Identity& v) override {
    OMNI_WRITABLE();
    auto key = std::make_tuple(v.tenant.value(), static_cast<int>(v.kind), v.scope, v.value);
    if (t_.identity_keys.count(key)) return Status::already_exists("identity exists");
    auto customer = get_scoped(t_.customers, v.tenant, v.customer.value(), "customer");
    if (!customer.ok()) return customer.status();
    Identity row = v;
    row.id = IdentityId(t_.next_id++);
    put(t_.identities, row.id.value(), row);
    put(t_.identity_keys, key, row.id.value());
    return row.id;
  }
  Result<Identity> find_identity(TenantId tenant, IdentityKind kind, std::string_view scope,
                                 std::string_view value) override {
    auto it = t_.identity_keys.find(
        {tenant.value(), static_cast<int>(kind), std::string(scope), std::string(value)});
    if (it == t_.identity_keys.end()) return Status::not_found("identity");
    return t_.identities.at(it->second);
  }
  Result<std::vector<Identity>> list_identities(TenantId tenant, CustomerId customer) override {
    std::vector<Identity> out;
    for (const auto& [id, row] : t_.identities) {
      if (row.tenant == tenant && row.customer == customer) out.push_back(row);
    }
    return out;
  }
  Result<std::vector<Identity>> list_identities_by_prefix(TenantId tenant, IdentityKind kind,
                                                          std::string_view scope,
                                                          std::string_view prefix,
                                                          std::size_t limit) override {
    std::vector<Identity> out;
    const auto k = static_cast<int>(kind);
    for (auto it = t_.identity_keys.lower_bound(
             {tenant.value(), k, std::string(scope), std::string(prefix)});
         it != t_.identity_keys.end() && out.size() < limit; ++it) {
      const auto& [t, kk, s, value] = it->first;
      if (t != tenant.value() || kk != k || s != scope) break;
      if (value.compare(0, prefix.size(), prefix) != 0) break;
      out.push_back(t_.identities.at(it->second));
    }
    return out;
  }
  Status touch_identity(TenantId tenant, IdentityId id, Timestamp last_seen) override {
    OMNI_WRITABLE();
    auto row = get_scoped(t_.identities, tenant, id.value(), "identity");
    if (!row.ok()) return row.status();
    row->last_seen = last_seen;
    put(t_.identities, id.value(), *row);
    return Status();
  }

  // --- consents
  Status put_consent(const Consent& v) override {
    OMNI_WRITABLE();
    auto identity = get_scoped(t_.identities, v.tenant, v.identity.value(), "identity");
    if (!identity.ok()) return identity.status();
    put(t_.consents,
        std::make_tuple(v.tenant.value(), v.identity.value(),
                        std::string(to_string(v.channel_kind))),
        v);
    return Status();
  }
  Result<Consent> get_consent(TenantId tenant, IdentityId identity, ChannelKind kind) override {
    auto it = t_.consents.find({tenant.value(), identity.value(), std::string(to_string(kind))});
    if (it == t_.consents.end()) return Status::not_found("consent");
    return it->second;
  }
  Result<std::vector<Consent>> list_consents(TenantId tenant, CustomerId customer) override {
    std::vector<Consent> out;
    for (const auto& [key, consent] : t_.consents) {
      if (std::get<0>(key) != tenant.value()) continue;
      auto identity = t_.identities.find(std::get<1>(key));
      if (identity != t_.identities.end() && identity->second.customer == customer) {
        out.push_back(consent);
      }
    }
    return out;
  }

  // --- conversations
  Result<ConversationId> insert_conversation(const Conversation& v) override {
    OMNI_WRITABLE();
    auto customer = get_scoped(t_.customers, v.tenant, v.customer.value(), "customer");
    if (!customer.ok()) return customer.status();
    if (takes_joinable_slot(v) && t_.active_conversation.count(v.customer.value())) {
      return Status::already_exists("customer already has a joinable active conversation");
    }
    Conversation row = v;
    row.id = ConversationId(t_.next_id++);
    put(t_.conversations, row.id.value(), row);
    if (takes_joinable_slot(row)) {
      put(t_.active_conversation, row.customer.value(), row.id.value());
    }
    count_slots(row, +1);
    return row.id;
  }
  Result<Conversation> get_conversation(TenantId tenant, ConversationId id) override {
    return get_scoped(t_.conversations, tenant, id.value(), "conversation");
  }
  Status update_conversation(const Conversation& v) override {
    OMNI_WRITABLE();
    auto old = get_scoped(t_.conversations, v.tenant, v.id.value(), "conversation");
    if (!old.ok()) return old.status();
    if (takes_joinable_slot(v)) {
      auto slot = t_.active_conversation.find(v.customer.value());
      if (slot != t_.active_conversation.end() && slot->second != v.id.value()) {
        return Status::already_exists("customer already has a joinable active conversation");
      }
    }
    release_slot(*old);
    if (takes_joinable_slot(v)) put(t_.active_conversation, v.customer.value(), v.id.value());
    put(t_.conversations, v.id.value(), v);
    if (holds_slots(*old) != holds_slots(v) || old->status != v.status ||
        old->assignee != v.assignee || old->offered_to != v.offered_to ||
        old->routing_class != v.routing_class) {
      count_slots(*old, -1);
      count_slots(v, +1);
    }
    return Status();
  }
  Result<Conversation> find_active_conversation(TenantId tenant, CustomerId customer) override {
    auto it = t_.active_conversation.find(customer.value());
    if (it == t_.active_conversation.end()) return Status::not_found("active conversation");
    return get_scoped(t_.conversations, tenant, it->second, "conversation");
  }
  Result<std::vector<Conversation>> list_active_conversations(TenantId tenant,
                                                              CustomerId customer) override {
    std::vector<Conversation> out;
    for (const auto& [id, row] : t_.conversations) {
      if (row.tenant == tenant && row.customer == customer && is_active(row.status)) {
        out.push_back(row);
      }
    }
    sort_newest_first(out);
    return out;
  }
  Result<Conversation> find_last_resolved_conversation(TenantId tenant,
                                                       CustomerId customer) override {
    const Conversation* best = nullptr;
    for (const auto& [id, row] : t_.conversations) {
      if (row.tenant != tenant || row.customer != customer || !row.resolved_at) continue;
      if (row.status != ConversationStatus::kResolved) continue;
      if (!best || *row.resolved_at > *best->resolved_at) best = &row;
    }
    if (!best) return Status::not_found("resolved conversation");
    return *best;
  }
  Result<std::vector<Conversation>> list_conversations(TenantId tenant, CustomerId customer,
                                                       std::size_t limit) override {
    std::vector<Conversation> out;
    for (const auto& [id, row] : t_.conversations) {
      if (row.tenant == tenant && row.customer == customer) out.push_back(row);
    }
    sort_newest_first(out);
    if (out.size() > limit) out.resize(limit);
    return out;
  }

  Result<std::vector<Conversation>> list_waiting_conversations(TenantId tenant,
                                                               RoutingClass routing_class,
                                                               const Conversation* after,
                                                               std::size_t limit) override {
    return queue(limit, [&](const Conversation& row) {
      return row.tenant == tenant && row.routing_class == routing_class &&
             (!after || queue_key(*after) < queue_key(row));
    });
  }
  Result<std::vector<Conversation>> list_reserved_conversations(TenantId tenant, AgentId agent,
                                                                Timestamp now,
                                                                std::size_t limit) override {
    return queue(limit, [&](const Conversation& row) {
      return row.tenant == tenant && row.preferred_agent == agent && row.sticky_until &&
             *row.sticky_until > now;
    });
  }
  Result<std::vector<Conversation>> list_offered_conversations(TenantId tenant, AgentId agent,
                                                               std::size_t limit) override {
    std::vector<Conversation> out;
    for (const auto& [id, row] : t_.conversations) {  // ascending by id
      if (out.size() >= limit) break;
      if (row.tenant == tenant && row.offered_to == agent &&
          row.status == ConversationStatus::kOpen) {
        out.push_back(row);
      }
    }
    return out;
  }
  Result<std::vector<Conversation>> list_due_conversations(TenantId tenant, Timestamp now,
                                                           std::size_t limit) override {
    std::vector<Conversation> out;
    for (const auto& [id, row] : t_.conversations) {
      if (row.tenant == tenant && row.next_timer_at && *row.next_timer_at <= now) {
        out.push_back(row);
      }
    }
    std::sort(out.begin(), out.end(), [](const Conversation& a, const Conversation& b) {
      return std::tie(*a.next_timer_at, a.id) < std::tie(*b.next_timer_at, b.id);
    });
    if (out.size() > limit) out.resize(limit);
    return out;
  }
  Result<Timestamp> next_timer(TenantId tenant) override {
    std::optional<Timestamp> earliest;
    for (const auto& [id, row] : t_.conversations) {
      if (row.tenant == tenant && row.next_timer_at &&
          (!earliest || *row.next_timer_at < *earliest))
        earliest = row.next_timer_at;
    }
    if (!earliest) return Status::not_found("no conversation has a timer");
    return *earliest;
  }

  // --- touchpoints
  Result<TouchpointId> insert_touchpoint(const Touchpoint& v) override {
    OMNI_WRITABLE();
    auto customer = get_scoped(t_.customers, v.tenant, v.customer.value(), "customer");
    if (!customer.ok()) return customer.status();
    bool keyed = v.channel.has_value() && !v.provider_message_id.empty();
    auto key =
        std::make_tuple(v.tenant.value(), keyed ? v.channel->value() : 0, v.provider_message_id);
    if (keyed && t_.provider_keys.count(key)) {
      return Status::already_exists("touchpoint with provider message id '" +
                                    v.provider_message_id + "' exists");
    }
    Touchpoint row = v;
    row.id = TouchpointId(t_.next_id++);
    put(t_.touchpoints, row.id.value(), row);
    if (keyed) put(t_.provider_keys, key, row.id.value());
    insert_into(t_.timeline, std::make_tuple(row.customer.value(), to_unix_micros(row.occurred_at),
                                             row.id.value()));
    return row.id;
  }
  Result<Touchpoint> get_touchpoint(TenantId tenant, TouchpointId id) override {
    return get_scoped(t_.touchpoints, tenant, id.value(), "touchpoint");
  }
  Result<Touchpoint> find_touchpoint(TenantId tenant, ChannelId channel,
                                     std::string_view provider_message_id) override {
    auto it =
        t_.provider_keys.find({tenant.value(), channel.value(), std::string(provider_message_id)});
    if (it == t_.provider_keys.end()) return Status::not_found("touchpoint");
    return t_.touchpoints.at(it->second);
  }
  Status update_delivery(TenantId tenant, TouchpointId id, DeliveryStatus status,
                         std::string_view provider_message_id) override {
    OMNI_WRITABLE();
    auto row = get_scoped(t_.touchpoints, tenant, id.value(), "touchpoint");
    if (!row.ok()) return row.status();
    if (!provider_message_id.empty() && row->provider_message_id != provider_message_id) {
      bool keyed = row->channel.has_value();
      auto new_key = std::make_tuple(tenant.value(), keyed ? row->channel->value() : 0,
                                     std::string(provider_message_id));
      if (keyed && t_.provider_keys.count(new_key)) {
        return Status::already_exists("provider message id in use");
      }
      if (keyed && !row->provider_message_id.empty()) {
        erase(t_.provider_keys,
              std::make_tuple(tenant.value(), row->channel->value(), row->provider_message_id));
      }
      if (keyed) put(t_.provider_keys, new_key, id.value());
      row->provider_message_id = std::string(provider_message_id);
    }
    row->delivery = status;
    put(t_.touchpoints, id.value(), *row);
    return Status();
  }
  Result<std::vector<Touchpoint>> list_touchpoints(const TouchpointQuery& q) override {
    std::vector<Touchpoint> out;
    auto matches = [&](const Touchpoint& tp) {
      if (tp.tenant != q.tenant) return false;
      if (q.conversation && tp.conversation != q.conversation) return false;
      if (q.kind && tp.kind != *q.kind) return false;
      return true;
    };
    const Key c = q.customer.value();
    if (q.direction == TimelineDirection::kOlder) {
      auto end = q.after ? t_.timeline.lower_bound({c, to_unix_micros(q.after->occurred_at),
                                                    q.after->touchpoint.value()})
                         : t_.timeline.lower_bound({c + 1, INT64_MIN, 0});
      auto begin = t_.timeline.lower_bound({c, INT64_MIN, 0});
      while (end != begin && out.size() < q.limit) {
        --end;
        const auto& tp = t_.touchpoints.at(std::get<2>(*end));
        if (matches(tp)) out.push_back(tp);
      }
    } else {
      auto it = q.after ? t_.timeline.upper_bound({c, to_unix_micros(q.after->occurred_at),
                                                   q.after->touchpoint.value()})
                        : t_.timeline.lower_bound({c, INT64_MIN, 0});
      for (; it != t_.timeline.end() && std::get<0>(*it) == c && out.size() < q.limit; ++it) {
        const auto& tp = t_.touchpoints.at(std::get<2>(*it));
        if (matches(tp)) out.push_back(tp);
      }
    }
    return out;
  }

  // --- knowledge base
  Result<ArticleId> insert_article(const Article& v) override {
    OMNI_WRITABLE();
    OMNI_REQUIRE_TENANT(v.tenant);
    auto key = std::make_pair(v.tenant.value(), v.slug);
    if (t_.article_slugs.count(key)) {
      return Status::already_exists("article '" + v.slug + "' exists");
    }
    Article row = v;
    row.id = ArticleId(t_.next_id++);
    put(t_.articles, row.id.value(), index_article(row));
    put(t_.article_slugs, key, row.id.value());
    return row.id;
  }
  Status update_article(const Article& v) override {
    OMNI_WRITABLE();
    auto it = t_.articles.find(v.id.value());
    if (it == t_.articles.end() || it->second.article.tenant != v.tenant) {
      return Status::not_found("article " + std::to_string(v.id.value()));
    }
    const Article old = it->second.article;
    if (old.slug != v.slug) {
      auto key = std::make_pair(v.tenant.value(), v.slug);
      if (t_.article_slugs.count(key)) {
        return Status::already_exists("article '" + v.slug + "' exists");
      }
      erase(t_.article_slugs, std::make_pair(v.tenant.value(), old.slug));
      put(t_.article_slugs, key, v.id.value());
    }
    put(t_.articles, v.id.value(), index_article(v));
    return Status();
  }
  Result<Article> get_article(TenantId tenant, ArticleId id) override {
    auto it = t_.articles.find(id.value());
    if (it == t_.articles.end() || it->second.article.tenant != tenant) {
      return Status::not_found("article " + std::to_string(id.value()));
    }
    return it->second.article;
  }
  Result<Article> find_article(TenantId tenant, std::string_view slug) override {
    auto it = t_.article_slugs.find({tenant.value(), std::string(slug)});
    if (it == t_.article_slugs.end()) {
      return Status::not_found("article '" + std::string(slug) + "'");
    }
    return t_.articles.at(it->second).article;
  }
  Status delete_article(TenantId tenant, ArticleId id) override {
    OMNI_WRITABLE();
    auto it = t_.articles.find(id.value());
    if (it == t_.articles.end() || it->second.article.tenant != tenant) {
      return Status::not_found("article " + std::to_string(id.value()));
    }
    const std::string slug = it->second.article.slug;
    erase(t_.articles, id.value());
    erase(t_.article_slugs, std::make_pair(tenant.value(), slug));
    return Status();
  }
  // A title match weighs 10, a body match 1, per term.
  Result<std::vector<ArticleHit>> search_articles(const ArticleSearch& q) override {
    std::vector<ArticleHit> out;
    if (q.terms.empty()) return out;
    for (const auto& [id, row] : t_.articles) {
      const Article& a = row.article;
      if (a.tenant != q.tenant || !a.published) continue;
      if (q.language && a.language != *q.language) continue;
      double score = 0;
      std::size_t matched = 0;
      for (const auto& term : q.terms) {
        const bool in_title = row.title_terms.count(term) > 0;
        const bool in_body = row.body_terms.count(term) > 0;
        if (in_title || in_body) ++matched;
        score += (in_title ? 10.0 : 0.0) + (in_body ? 1.0 : 0.0);
      }
      if (matched == 0 || (q.match_all && matched < q.terms.size())) continue;
      ArticleHit hit;
      hit.article = a.id;
      hit.slug = a.slug;
      hit.title = a.title;
      hit.language = a.language;
      hit.score = score;
      hit.snippet = snippet_of(a.body, q.terms);
      out.push_back(std::move(hit));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const ArticleHit& a, const ArticleHit& b) { return a.score > b.score; });
    if (out.size() > q.limit) out.resize(q.limit);
    return out;
  }
  Result<DeflectionReport> count_deflection(TenantId tenant, Timestamp from, Timestamp to,
                                            std::chrono::microseconds window) override {
    DeflectionReport report;
    for (const auto& [id, tp] : t_.touchpoints) {
      if (tp.tenant != tenant || tp.kind != TouchpointKind::kKnowledgeBaseView || tp.conversation ||
          tp.occurred_at < from || tp.occurred_at >= to) {
        continue;
      }
      ++report.attempts;
      for (const auto& [cid, c] : t_.conversations) {
        if (c.tenant == tenant && c.customer == tp.customer && c.opened_at >= tp.occurred_at &&
            c.opened_at <= tp.occurred_at + window) {
          ++report.followed_by_conversation;
          break;
        }
      }
    }
    report.deflected = report.attempts - report.followed_by_conversation;
    return report;
  }

  // --- CSAT
  Result<bool> put_csat(const CsatResponse& v) override {
    OMNI_WRITABLE();
    auto conversation =
        get_scoped(t_.conversations, v.tenant, v.conversation.value(), "conversation");
    if (!conversation.ok()) return conversation.status();
    const std::pair<Key, Key> key{v.tenant.value(), v.conversation.value()};
    const bool replaced = t_.csat.count(key) > 0;
    put(t_.csat, key, v);
    return replaced;
  }
  Result<CsatResponse> get_csat(TenantId tenant, ConversationId conversation) override {
    auto it = t_.csat.find({tenant.value(), conversation.value()});
    if (it == t_.csat.end()) return Status::not_found("csat response");
    return it->second;
  }
  Result<CsatSummary> summarize_csat(const CsatQuery& q) override {
    CsatSummary summary;
    std::int64_t total = 0;
    for (auto it = t_.csat.lower_bound({q.tenant.value(), 0});
         it != t_.csat.end() && it->first.first == q.tenant.value(); ++it) {
      const CsatResponse& r = it->second;
      if (r.responded_at < q.from || r.responded_at >= q.to) continue;
      if (q.agent && r.agent != q.agent) continue;
      if (q.channel_kind && r.channel_kind != *q.channel_kind) continue;
      if (r.score < kMinCsatScore || r.score > kMaxCsatScore) continue;
      ++summary.count;
      total += r.score;
      ++summary.distribution[static_cast<std::size_t>(r.score - 1)];
    }
    if (summary.count > 0) summary.average = static_cast<double>(total) / summary.count;
    return summary;
  }

  // --- metrics: plain loops over the tables (the in-memory store has no history to spare).
  Result<std::vector<MetricsRow>> compute_metrics(
      const MetricsQuery& q, const std::vector<MetricsBucket>& buckets) override {
    std::vector<MetricsRow> rows(buckets.size());
    auto bucket_of = [&](Timestamp t) -> MetricsRow* {
      auto it = std::upper_bound(buckets.begin(), buckets.end(), t,
                                 [](Timestamp v, const MetricsBucket& b) { return v < b.start; });
      if (it == buckets.begin()) return nullptr;
      --it;
      if (t >= it->end) return nullptr;
      return &rows[static_cast<std::size_t>(it - buckets.begin())];
    };
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      rows[i].start = buckets[i].start;
      rows[i].end = buckets[i].end;
    }
    auto conversation_matches = [&](const Conversation& c) {
      return (q.team.empty() || c.team == q.team) && (!q.agent || c.assignee == q.agent);
    };
    const bool by_conversation = !q.team.empty() || q.agent.has_value();
    for (const auto& [id, tp] : t_.touchpoints) {
      if (tp.tenant != q.tenant || !counts_as_inbound_volume(tp.kind)) continue;
      if (q.channel_kind && tp.channel_kind != *q.channel_kind) continue;
      MetricsRow* row = bucket_of(tp.occurred_at);
      if (row == nullptr) continue;
      if (by_conversation) {
        if (!tp.conversation) continue;
        auto c = t_.conversations.find(tp.conversation->value());
        if (c == t_.conversations.end() || !conversation_matches(c->second)) continue;
      }
      add_count(row->inbound_volume, tp.channel_kind);
    }
    std::vector<std::vector<std::chrono::microseconds>> first_response(rows.size()),
        resolution(rows.size());
    for (const auto& [id, c] : t_.conversations) {
      if (c.tenant != q.tenant || c.merged_into || !conversation_matches(c)) continue;
      std::optional<ChannelKind> origin;
      if (auto ch = t_.channels.find(c.origin_channel.value()); ch != t_.channels.end()) {
        origin = ch->second.kind;
      }
      if (q.channel_kind && origin != q.channel_kind) continue;
      MetricsRow* row = bucket_of(c.opened_at);
      if (row == nullptr) continue;
      const auto index = static_cast<std::size_t>(row - rows.data());
      ++row->conversations;
      if (origin) add_count(row->conversations_opened, *origin);
      if (c.first_response_at) {
        first_response[index].push_back(*c.first_response_at - c.opened_at);
      }
      if (c.resolved_at && *c.resolved_at < q.to) {
        ++row->resolved;
        resolution[index].push_back(*c.resolved_at - c.opened_at);
        if (c.reopen_count == 0 && c.handoff_count == 0 && !followed_by_conversation(c, q)) {
          ++row->first_contact_resolved;
        }
      }
      row->handoffs += c.handoff_count;
      for (const auto& [hid, h] : t_.handoffs) {
        if (h.tenant == c.tenant && h.conversation == c.id &&
            h.kind == HandoffKind::kChannelSwitch) {
          ++row->channel_switches;
          auto from =
              h.from_channel ? t_.channels.find(h.from_channel->value()) : t_.channels.end();
          auto to = h.to_channel ? t_.channels.find(h.to_channel->value()) : t_.channels.end();
          if (from != t_.channels.end() && to != t_.channels.end()) {
            add_flow(row->channel_switch_flow, from->second.kind, to->second.kind);
          }
        }
      }
      auto count_clock = [](const SlaClock& clock, std::int64_t& met, std::int64_t& breached) {
        if (!clock.due_at) return;
        if (clock.met()) {
          ++met;
        } else if (clock.stopped_at || clock.breached) {
          ++breached;
        }
      };
      count_clock(c.sla.first_response, row->first_response_sla_met,
                  row->first_response_sla_breached);
      count_clock(c.sla.resolution, row->resolution_sla_met, row->resolution_sla_breached);
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      rows[i].first_response = summarize_durations(std::move(first_response[i]));
      rows[i].resolution = summarize_durations(std::move(resolution[i]));
    }
    // CSAT: the answers given in each bucket.
    std::vector<std::int64_t> score_sums(rows.size());
    for (auto it = t_.csat.lower_bound({q.tenant.value(), 0});
         it != t_.csat.end() && it->first.first == q.tenant.value(); ++it) {
      const CsatResponse& r = it->second;
      if ((q.agent && r.agent != q.agent) ||
          (q.channel_kind && r.channel_kind != *q.channel_kind)) {
        continue;
      }
      if (!q.team.empty()) {
        auto c = t_.conversations.find(r.conversation.value());
        if (c == t_.conversations.end() || c->second.team != q.team) continue;
      }
      MetricsRow* row = bucket_of(r.responded_at);
      if (row == nullptr) continue;
      ++row->csat_responses;
      if (r.score >= 4) ++row->csat_satisfied;
      score_sums[static_cast<std::size_t>(row - rows.data())] += r.score;
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].csat_responses > 0) {
        rows[i].csat_average =
            static_cast<double>(score_sums[i]) / static_cast<double>(rows[i].csat_responses);
      }
    }
    add_occupancy(q, buckets, rows);
    return rows;
  }

  // Occupancy from the activity log: each entry holds until the agent's next one (or forever).
  void add_occupancy(const MetricsQuery& q, const std::vector<MetricsBucket>& buckets,
                     std::vector<MetricsRow>& rows) const {
    std::vector<std::int64_t> staffed(rows.size()), occupied(rows.size());  // micros
    std::map<Key, std::vector<const AgentActivity*>> by_agent;              // in append order
    for (const AgentActivity& a : t_.agent_activity) {
      if (a.tenant != q.tenant || (q.agent && a.agent != *q.agent)) continue;
      auto agent = t_.agents.find(a.agent.value());
      if (agent == t_.agents.end() || agent->second.kind != AgentKind::kHuman) continue;
      if (!q.team.empty() && std::find(agent->second.teams.begin(), agent->second.teams.end(),
                                       q.team) == agent->second.teams.end()) {
        continue;
      }
      by_agent[a.agent.value()].push_back(&a);
    }
    for (auto& [agent, entries] : by_agent) {
      std::stable_sort(
          entries.begin(), entries.end(),
          [](const AgentActivity* a, const AgentActivity* b) { return a->at < b->at; });
      for (std::size_t e = 0; e < entries.size(); ++e) {
        const AgentActivity& a = *entries[e];
        if (a.presence != Presence::kAvailable && a.presence != Presence::kBusy) continue;
        const bool holds = a.load.synchronous + a.load.asynchronous > 0;
        const Timestamp begin = a.at;
        const Timestamp end =
            e + 1 < entries.size() ? entries[e + 1]->at : from_unix_micros(INT64_MAX);
        for (std::size_t i = 0; i < buckets.size(); ++i) {
          const Timestamp lo = std::max(begin, buckets[i].start);
          const Timestamp hi = std::min(end, buckets[i].end);
          if (!(lo < hi)) continue;
          staffed[i] += (hi - lo).count();
          if (holds) occupied[i] += (hi - lo).count();
        }
      }
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      rows[i].agent_staffed = std::chrono::seconds(staffed[i] / 1'000'000);
      rows[i].agent_occupied = std::chrono::seconds(occupied[i] / 1'000'000);
    }
  }

  Result<std::vector<ConversationTimes>> list_conversation_times(
      const MetricsQuery& q, const MetricsBucket& bucket) override {
    std::vector<ConversationTimes> out;
    for (const auto& [id, c] : t_.conversations) {
      if (c.tenant != q.tenant || c.merged_into || c.opened_at < bucket.start ||
          c.opened_at >= bucket.end || (!q.team.empty() && c.team != q.team) ||
          (q.agent && c.assignee != q.agent)) {
        continue;
      }
      if (q.channel_kind) {
        auto ch = t_.channels.find(c.origin_channel.value());
        if (ch == t_.channels.end() || ch->second.kind != *q.channel_kind) continue;
      }
      ConversationTimes times;
      times.opened_at = c.opened_at;
      times.first_response_at = c.first_response_at;
      if (c.resolved_at && *c.resolved_at < q.to) times.resolved_at = c.resolved_at;
      out.push_back(times);
    }
    return out;
  }

  Result<std::vector<CustomerChannels>> count_preferred_channels(
      const PreferredChannelsQuery& q) override {
    std::map<Key, CustomerChannels> by_customer;
    for (const auto& [id, tp] : t_.touchpoints) {
      if (tp.tenant != q.tenant || !counts_as_inbound_volume(tp.kind) || tp.occurred_at < q.from ||
          tp.occurred_at >= q.to || (q.customer && tp.customer != *q.customer)) {
        continue;
      }
      CustomerChannels& entry = by_customer[tp.customer.value()];
      entry.customer = tp.customer;
      ++entry.inbound;
      add_count(entry.channels, tp.channel_kind);
    }
    std::vector<CustomerChannels> out;
    for (auto& [key, entry] : by_customer)
      out.push_back(std::move(entry));
    std::stable_sort(
        out.begin(), out.end(),
        [](const CustomerChannels& a, const CustomerChannels& b) { return a.inbound > b.inbound; });
    if (out.size() > q.limit) out.resize(q.limit);
    return out;
  }

  // Whether the customer of resolved conversation `c` opened another conversation within
  // q.fcr_window after its resolution (docs/metrics.md, first-contact resolution).
  bool followed_by_conversation(const Conversation& c, const MetricsQuery& q) const {
    for (const auto& [id, other] : t_.conversations) {
      if (other.tenant == c.tenant && other.customer == c.customer && other.id != c.id &&
          other.opened_at > *c.resolved_at && other.opened_at <= *c.resolved_at + q.fcr_window) {
        return true;
      }
    }
    return false;
  }

  // --- handoffs
  Result<HandoffId> insert_handoff(const Handoff& v) override {
    OMNI_WRITABLE();
    auto conversation =
        get_scoped(t_.conversations, v.tenant, v.conversation.value(), "conversation");
    if (!conversation.ok()) return conversation.status();
    Handoff row = v;
    row.id = HandoffId(t_.next_id++);
    put(t_.handoffs, row.id.value(), row);
    return row.id;
  }
  Result<Handoff> get_handoff(TenantId tenant, HandoffId id) override {
    return get_scoped(t_.handoffs, tenant, id.value(), "handoff");
  }
  Status update_handoff(const Handoff& v) override {
    OMNI_WRITABLE();
    auto old = get_scoped(t_.handoffs, v.tenant, v.id.value(), "handoff");
    if (!old.ok()) return old.status();
    put(t_.handoffs, v.id.value(), v);
    return Status();
  }
  Result<std::vector<Handoff>> list_handoffs(TenantId tenant,
                                             ConversationId conversation) override {
    std::vector<Handoff> out;
    for (const auto& [id, row] : t_.handoffs) {
      if (row.tenant == tenant && row.conversation == conversation) out.push_back(row);
    }
    return out;
  }

  // --- merges
  Result<MergeId> insert_merge(const MergeRecord& v) override {
    OMNI_WRITABLE();
    for (CustomerId c : {v.survivor, v.merged}) {
      auto customer = get_scoped(t_.customers, v.tenant, c.value(), "customer");
      if (!customer.ok()) return customer.status();
    }
    MergeRecord row = v;
    row.id = MergeId(t_.next_id++);
    put(t_.merges, row.id.value(), row);
    return row.id;
  }
  Result<MergeRecord> get_merge(TenantId tenant, MergeId id) override {
    return get_scoped(t_.merges, tenant, id.value(), "merge");
  }
  Status update_merge(const MergeRecord& v) override {
    OMNI_WRITABLE();
    auto old = get_scoped(t_.merges, v.tenant, v.id.value(), "merge");
    if (!old.ok()) return old.status();
    put(t_.merges, v.id.value(), v);
    return Status();
  }
  Result<std::vector<MergeRecord>> list_merges(TenantId tenant, CustomerId customer) override {
    std::vector<MergeRecord> out;
    for (const auto& [id, row] : t_.merges) {
      if (row.tenant == tenant && (row.survivor == customer || row.merged == customer)) {
        out.push_back(row);
      }
    }
    return out;
  }
  Status move_customer_records(TenantId tenant, MergeId merge, CustomerId from,
                               CustomerId to) override {
    OMNI_WRITABLE();
    for (CustomerId c : {from, to}) {
      auto customer = get_scoped(t_.customers, tenant, c.value(), "customer");
      if (!customer.ok()) return customer.status();
    }
    const Key m = merge.value();
    for (const auto& [id, row] : snapshot(t_.identities)) {
      if (row.tenant != tenant || row.customer != from) continue;
      insert_into(t_.merge_moves, std::make_tuple(m, int{kMovedIdentity}, id));
      Identity moved = row;
      moved.customer = to;
      put(t_.identities, id, moved);
    }
    for (const auto& [id, row] : snapshot(t_.conversations)) {
      if (row.tenant != tenant || row.customer != from) continue;
      insert_into(t_.merge_moves, std::make_tuple(m, int{kMovedConversation}, id));
      Conversation moved = row;
      moved.customer = to;
      moved.joinable = false;
      release_slot(row);
      put(t_.conversations, id, moved);
    }
    for (const auto& [id, row] : snapshot(t_.touchpoints)) {
      if (row.tenant != tenant || row.customer != from) continue;
      insert_into(t_.merge_moves, std::make_tuple(m, int{kMovedTouchpoint}, id));
      set_touchpoint_owner(row, to, row.conversation);
    }
    return Status();
  }
  Result<std::vector<Touchpoint>> restore_customer_records(TenantId tenant, MergeId merge,
                                                           CustomerId survivor,
                                                           CustomerId merged) override {
    OMNI_WRITABLE();
    for (CustomerId c : {survivor, merged}) {
      auto customer = get_scoped(t_.customers, tenant, c.value(), "customer");
      if (!customer.ok()) return customer.status();
    }
    const Key m = merge.value();
    auto moved = [&](MovedKind kind, Key id) {
      return t_.merge_moves.count(std::make_tuple(m, int{kind}, id)) > 0;
    };
    // 1. Identities.
    for (const auto& [id, row] : snapshot(t_.identities)) {
      if (row.tenant != tenant || row.customer != survivor || !moved(kMovedIdentity, id)) continue;
      Identity back = row;
      back.customer = merged;
      put(t_.identities, id, back);
    }
    // 2. Conversations: the moved ones, and those a moved identity opened and no other wrote in.
    std::map<Key, std::vector<const Touchpoint*>> by_conversation;
    for (const auto& [id, tp] : t_.touchpoints) {
      if (tp.tenant == tenant && tp.conversation)
        by_conversation[tp.conversation->value()].push_back(&tp);
    }
    for (const auto& [id, row] : snapshot(t_.conversations)) {
      if (row.tenant != tenant || row.customer != survivor) continue;
      bool goes_back = moved(kMovedConversation, id);
      if (!goes_back) {
        auto& tps = by_conversation[id];
        const Touchpoint* first = nullptr;
        bool other_identity = false;
        for (const Touchpoint* tp : tps) {
          if (!first || std::tie(tp->occurred_at, tp->id) < std::tie(first->occurred_at, first->id))
            first = tp;
          if (tp->identity && !moved(kMovedIdentity, tp->identity->value())) other_identity = true;
        }
        goes_back = first && first->identity && moved(kMovedIdentity, first->identity->value()) &&
                    !other_identity;
      }
      if (!goes_back) continue;
      Conversation back = row;
      back.customer = merged;
      back.joinable = false;
      release_slot(row);
      put(t_.conversations, id, back);
    }
    // 3. Touchpoints.
    for (const auto& [id, tp] : snapshot(t_.touchpoints)) {
      if (tp.tenant != tenant || tp.customer != survivor) continue;
      bool goes_back = moved(kMovedTouchpoint, id) ||
                       (tp.identity && moved(kMovedIdentity, tp.identity->value()));
      if (!goes_back && !tp.identity && tp.conversation) {
        goes_back = t_.conversations.at(tp.conversation->value()).customer == merged;
      }
      if (goes_back) set_touchpoint_owner(tp, merged, tp.conversation);
    }
    std::vector<Touchpoint> strays;
    for (const auto& [id, tp] : t_.touchpoints) {
      if (tp.tenant != tenant || !tp.conversation) continue;
      if (tp.customer != survivor && tp.customer != merged) continue;
      if (t_.conversations.at(tp.conversation->value()).customer != tp.customer)
        strays.push_back(tp);
    }
    return strays;
  }
  Status move_touchpoint(TenantId tenant, TouchpointId touchpoint, CustomerId customer,
                         std::optional<ConversationId> conversation) override {
    OMNI_WRITABLE();
    auto row = get_scoped(t_.touchpoints, tenant, touchpoint.value(), "touchpoint");
    if (!row.ok()) return row.status();
    auto owner = get_scoped(t_.customers, tenant, customer.value(), "customer");
    if (!owner.ok()) return owner.status();
    if (conversation) {
      auto c = get_scoped(t_.conversations, tenant, conversation->value(), "conversation");
      if (!c.ok()) return c.status();
    }
    set_touchpoint_owner(*row, customer, conversation);
    return Status();
  }
  Status move_conversation_contents(TenantId tenant, ConversationId from,
                                    ConversationId to) override {
    OMNI_WRITABLE();
    for (ConversationId c : {from, to}) {
      auto row = get_scoped(t_.conversations, tenant, c.value(), "conversation");
      if (!row.ok()) return row.status();
    }
    for (const auto& [id, tp] : snapshot(t_.touchpoints)) {
      if (tp.tenant == tenant && tp.conversation == from) set_touchpoint_owner(tp, tp.customer, to);
    }
    for (const auto& [id, h] : snapshot(t_.handoffs)) {
      if (h.tenant != tenant || h.conversation != from) continue;
      Handoff moved = h;
      moved.conversation = to;
      put(t_.handoffs, id, moved);
    }
    return Status();
  }

  // --- pending deliveries
  Status insert_pending_delivery(const PendingDelivery& v) override {
    OMNI_WRITABLE();
    auto tp = get_scoped(t_.touchpoints, v.tenant, v.touchpoint.value(), "touchpoint");
    if (!tp.ok()) return tp.status();
    if (t_.deliveries.count(v.touchpoint.value())) {
      return Status::already_exists("a delivery of touchpoint " +
                                    std::to_string(v.touchpoint.value()) + " is pending");
    }
    put(t_.deliveries, v.touchpoint.value(), v);
    return Status();
  }
  Result<PendingDelivery> get_pending_delivery(TenantId tenant, TouchpointId touchpoint) override {
    return get_scoped(t_.deliveries, tenant, touchpoint.value(), "pending delivery");
  }
  Status update_pending_delivery(const PendingDelivery& v) override {
    OMNI_WRITABLE();
    auto old = get_scoped(t_.deliveries, v.tenant, v.touchpoint.value(), "pending delivery");
    if (!old.ok()) return old.status();
    put(t_.deliveries, v.touchpoint.value(), v);
    return Status();
  }
  Status delete_pending_delivery(TenantId tenant, TouchpointId touchpoint) override {
    OMNI_WRITABLE();
    auto old = get_scoped(t_.deliveries, tenant, touchpoint.value(), "pending delivery");
    if (!old.ok()) return old.status();
    erase(t_.deliveries, touchpoint.value());
    return Status();
  }
  Result<std::vector<PendingDelivery>> list_due_deliveries(TenantId tenant, Timestamp now,
                                                           std::size_t limit) override {
    std::vector<PendingDelivery> out;
    for (const auto& [id, row] : t_.deliveries) {
      if (row.tenant == tenant && row.next_attempt_at <= now) out.push_back(row);
    }
    std::sort(out.begin(), out.end(), [](const PendingDelivery& a, const PendingDelivery& b) {
      return std::make_pair(a.next_attempt_at, a.touchpoint) <
             std::make_pair(b.next_attempt_at, b.touchpoint);
    });
    if (out.size() > limit) out.resize(limit);
    return out;
  }

  // --- events
  Result<std::int64_t> append_event(const Event& v) override {
    OMNI_WRITABLE();
    OMNI_REQUIRE_TENANT(v.tenant);
    Event row = v;
    row.sequence = t_.next_sequence++;
    t_.events.push_back(row);
    undo_.push_back([this] { t_.events.pop_back(); });
    return row.sequence;
  }
  Result<std::vector<Event>> list_events(TenantId tenant, std::int64_t after,
                                         std::size_t limit) override {
    std::vector<Event> out;
    auto it = std::upper_bound(t_.events.begin(), t_.events.end(), after,
                               [](std::int64_t s, const Event& e) { return s < e.sequence; });
    for (; it != t_.events.end() && out.size() < limit; ++it) {
      if (it->tenant == tenant) out.push_back(*it);
    }
    return out;
  }

 private:
  template <typename Map, typename K, typename V>
  void put(Map& map, const K& key, const V& value) {
    auto it = map.find(key);
    if (it == map.end()) {
      map.emplace(key, value);
      undo_.push_back([&map, key] { map.erase(key); });
    } else {
      auto old = it->second;
      it->second = value;
      undo_.push_back([&map, key, old] { map[key] = old; });
    }
  }
  template <typename Map, typename K>
  void erase(Map& map, const K& key) {
    auto it = map.find(key);
    if (it == map.end()) return;
    auto old = it->second;
    map.erase(it);
    undo_.push_back([&map, key, old] { map.emplace(key, old); });
  }
  template <typename Set, typename K>
  void insert_into(Set& set, const K& key) {
    if (set.insert(key).second) undo_.push_back([&set, key] { set.erase(key); });
  }
  template <typename Set, typename K>
  void erase_from(Set& set, const K& key) {
    if (set.erase(key) > 0) undo_.push_back([&set, key] { set.insert(key); });
  }
  // A copy to iterate while the loop body writes to the map.
  template <typename Map>
  static std::vector<std::pair<Key, typename Map::mapped_type>> snapshot(const Map& map) {
    return {map.begin(), map.end()};
  }
  static void sort_newest_first(std::vector<Conversation>& out) {
    std::sort(out.begin(), out.end(), [](const Conversation& a, const Conversation& b) {
      return std::tie(a.opened_at, a.id) > std::tie(b.opened_at, b.id);
    });
  }
  // Waiting conversations that `select` picks, in the queue's order, at most limit.
  template <typename Select>
  std::vector<Conversation> queue(std::size_t limit, Select select) const {
    std::vector<Conversation> out;
    for (const auto& [id, row] : t_.conversations) {
      if (row.waiting() && select(row)) out.push_back(row);
    }
    std::sort(out.begin(), out.end(), [](const Conversation& a, const Conversation& b) {
      return queue_key(a) < queue_key(b);
    });
    if (out.size() > limit) out.resize(limit);
    return out;
  }
  // Adds (sign +1) or removes (-1) the slots `row` holds to its agents' loads (Agent::load): one
  // of its class for the assignee and one for the agent it is offered to, while it is active.
  void count_slots(const Conversation& row, int sign) {
    if (!holds_slots(row)) return;
    for (const auto& agent : {row.assignee, row.offered_to}) {
      if (!agent) continue;
      auto it = t_.agents.find(agent->value());
      if (it == t_.agents.end() || it->second.tenant != row.tenant) continue;
      Agent changed = it->second;
      (row.routing_class == RoutingClass::kSynchronous ? changed.load.synchronous
                                                       : changed.load.asynchronous) += sign;
      put(t_.agents, agent->value(), changed);
    }
  }
  // Frees the joinable slot `row` held, if any.
  void release_slot(const Conversation& row) {
    auto slot = t_.active_conversation.find(row.customer.value());
    if (slot != t_.active_conversation.end() && slot->second == row.id.value()) {
      erase(t_.active_conversation, row.customer.value());
    }
  }
  void set_touchpoint_owner(const Touchpoint& row, CustomerId customer,
                            std::optional<ConversationId> conversation) {
    const auto at = to_unix_micros(row.occurred_at);
    if (row.customer != customer) {
      erase_from(t_.timeline, std::make_tuple(row.customer.value(), at, row.id.value()));
      insert_into(t_.timeline, std::make_tuple(customer.value(), at, row.id.value()));
    }
    Touchpoint moved = row;
    moved.customer = customer;
    moved.conversation = conversation;
    put(t_.touchpoints, row.id.value(), moved);
  }
  template <typename Map>
  static Result<typename Map::mapped_type> get_scoped(const Map& map, TenantId tenant, Key id,
                                                      const char* what) {
    auto it = map.find(id);
    if (it == map.end() || it->second.tenant != tenant) {
      return Status::not_found(std::string(what) + " " + std::to_string(id));
    }
    return it->second;
  }
  template <typename Map>
  static std::vector<typename Map::mapped_type> list_scoped(const Map& map, TenantId tenant) {
    std::vector<typename Map::mapped_type> out;
    for (const auto& [id, row] : map) {
      if (row.tenant == tenant) out.push_back(row);
    }
    return out;
  }
  Status check_writable() const {
    if (mode_ != TransactionMode::kWrite) {
      return Status::failed_precondition("write on a read transaction");
    }
    if (committed_) return Status::failed_precondition("transaction already committed");
    return Status();
  }

  Tables& t_;
  TransactionMode mode_;
  std::unique_lock<std::shared_mutex> write_lock_;
  std::shared_lock<std::shared_mutex> read_lock_;
  std::vector<std::function<void()>> undo_;
  bool committed_ = false;
};

class MemoryStore final : public Store {
 public:
  Result<std::unique_ptr<StoreTransaction>> begin(TransactionMode mode) override {
    return std::unique_ptr<StoreTransaction>(new MemoryTransaction(tables_, mutex_, mode));
  }
  std::string_view name() const override { return "memory"; }

 private:
  std::shared_mutex mutex_;
  Tables tables_;
};

}  // namespace

std::unique_ptr<Store> make_memory_store() {
  return std::make_unique<MemoryStore>();
}

}  // namespace omni
