// The Engine's shared internals: Engine::Impl (the store, options, clock, caches and the
// transaction runners) and the small helpers every engine source file uses. Internal.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <new>
#include <optional>
#include <random>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "contact_policy.h"
#include "crm_fetcher.h"
#include "event_dispatcher.h"
#include "identity.h"
#include "internal/macros.h"
#include "omni/engine.h"

namespace omni {
namespace engine_internal {

constexpr std::size_t kMaxProviderIdBytes = 256;
constexpr std::size_t kMaxSubjectBytes = 1024;
constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMaxMetadataEntries = 64;
constexpr std::size_t kMaxMetadataBytes = 4096;
constexpr std::size_t kMaxAttachments = 100;
constexpr std::size_t kMaxReferences = 50;

// Builds an event payload: a flat JSON object, escaped by RapidJSON.
class Payload {
 public:
  Payload() : writer_(buffer_) { writer_.StartObject(); }
  Payload& add(const char* key, std::string_view value) {
    writer_.Key(key);
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  Payload& add(const char* key, std::int64_t value) {
    writer_.Key(key);
    writer_.Int64(value);
    return *this;
  }
  template <typename Tag>
  Payload& add(const char* key, Id<Tag> id) {
    return add(key, id.value());
  }
  std::string str() {
    writer_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

// Errors name the field (Status::field) and say what is wrong with it.
inline Status check_text(const std::string& field, std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Status::resource_exhausted(field + " is " + std::to_string(text.size()) +
                                      " bytes; the limit is " + std::to_string(max_bytes))
        .with_field(field);
  }
  if (!detail::is_valid_utf8(text)) {
    return Status::invalid_argument(field + " is not valid UTF-8").with_field(field);
  }
  return Status();
}

inline Status check_required_text(const std::string& field, std::string_view text,
                                  std::size_t max_bytes) {
  if (text.empty()) return Status::invalid_argument(field + " is empty").with_field(field);
  return check_text(field, text, max_bytes);
}

// The identity kinds an outbound message on `kind` may be addressed to, best first. Empty means
// any identity will do (the channel addresses the person, not an address: video, in person).
inline std::vector<IdentityKind> recipient_kinds(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kEmail:
      return {IdentityKind::kEmail};
    case ChannelKind::kPhone:
    case ChannelKind::kSms:
    case ChannelKind::kWhatsApp:
    case ChannelKind::kIvr:
      return {IdentityKind::kPhone};
    case ChannelKind::kMessenger:
      return {IdentityKind::kMessengerPsid};
    case ChannelKind::kInstagram:
      return {IdentityKind::kInstagramId};
    case ChannelKind::kTelegram:
      return {IdentityKind::kTelegramId};
    case ChannelKind::kXDirectMessage:
      return {IdentityKind::kXUserId};
    default:
      return {};
  }
}

inline std::string excerpt_of(std::string_view text, std::size_t max_bytes) {
  std::string_view cut = detail::utf8_prefix(text, max_bytes);
  std::string out(cut);
  if (cut.size() < text.size()) out += "…";
  return out;
}

}  // namespace engine_internal

struct Engine::Impl {
  using Payload = engine_internal::Payload;

  std::unique_ptr<Store> store;
  EngineOptions options;
  SystemClock system_clock;
  const Clock* clock = nullptr;

  // Delivers events to in-process observers (engine_events.cc). Created by Engine::open; its
  // thread starts with the first observer and is joined by ~Engine before anything else goes.
  std::unique_ptr<detail::EventDispatcher> dispatcher;

  std::shared_mutex adapters_mutex;
  std::map<std::pair<std::int64_t, std::int64_t>, ChannelAdapter*> adapters;

  Timestamp now() const { return clock->now(); }

  // Runs `body(tx)` in a write transaction and commits; retries the whole operation when the
  // store reports kConflict. `body` returns a Status or Result<T>.
  template <typename Body>
  auto run_write(Body&& body) -> decltype(body(std::declval<StoreTransaction&>())) {
    using R = decltype(body(std::declval<StoreTransaction&>()));
    Status last;
    for (int attempt = 0; attempt <= options.max_conflict_retries; ++attempt) {
      if (attempt > 0) conflict_backoff(attempt);
      try {
        auto tx = store->begin(TransactionMode::kWrite);
        if (!tx.ok()) {
          last = tx.status();
          if (last.is(StatusCode::kConflict)) continue;
          return R(last);
        }
        R result = body(**tx);
        if (!result.ok()) {
          last = status_of(result);
          if (last.is(StatusCode::kConflict)) continue;
          return result;  // the transaction rolls back
        }
        Status committed = (*tx)->commit();
        if (committed.ok()) {
          // New events may have been committed: wake the observer dispatcher (a flag and a
          // condition variable; nothing when no observer is registered).
          dispatcher->notify();
          return result;
        }
        last = committed;
        if (!last.is(StatusCode::kConflict)) return R(last);
      } catch (const std::bad_alloc&) {
        return R(Status::resource_exhausted("out of memory"));
      } catch (const std::exception& e) {
        return R(Status::internal(std::string("store threw: ") + e.what()));
      } catch (...) {
        return R(Status::internal("store threw a non-standard exception"));
      }
    }
    return R(Status::conflict("gave up after " + std::to_string(options.max_conflict_retries + 1) +
                              " attempts: " + last.message()));
  }

  // Before retry `attempt` (1, 2, ...) of a write that conflicted: a random pause of up to
  // 2^attempt ms (at most 100 ms), so writers that collided (two engines on a PostgreSQL
  // database aborting each other's SERIALIZABLE transactions) do not collide again at once.
  static void conflict_backoff(int attempt) {
    thread_local std::minstd_rand random(std::random_device{}());
    const int ceiling = std::min(100, 1 << std::min(attempt, 7));
    std::this_thread::sleep_for(std::chrono::microseconds(
        std::uniform_int_distribution<int>(ceiling * 250, ceiling * 1000)(random)));
  }

  template <typename Body>
  auto run_read(Body&& body) -> decltype(body(std::declval<StoreTransaction&>())) {
    using R = decltype(body(std::declval<StoreTransaction&>()));
    try {
      auto tx = store->begin(TransactionMode::kRead);
      if (!tx.ok()) return R(tx.status());
      return body(**tx);
    } catch (const std::bad_alloc&) {
      return R(Status::resource_exhausted("out of memory"));
    } catch (const std::exception& e) {
      return R(Status::internal(std::string("store threw: ") + e.what()));
    } catch (...) {
      return R(Status::internal("store threw a non-standard exception"));
    }
  }

  static Status status_of(const Status& s) { return s; }
  template <typename T>
  static Status status_of(const Result<T>& r) {
    return r.status();
  }

  static Status event(StoreTransaction& tx, TenantId tenant, std::optional<CustomerId> customer,
                      std::optional<ConversationId> conversation, const char* type,
                      std::string payload, Timestamp at) {
    Event e;
    e.tenant = tenant;
    e.customer = customer;
    e.conversation = conversation;
    e.type = type;
    e.payload = std::move(payload);
    e.created_at = at;
    auto seq = tx.append_event(e);
    return seq.ok() ? Status() : seq.status();
  }

  // A customer id that was merged away resolves to the customer it was merged into.
  static Result<Customer> resolve_customer(StoreTransaction& tx, TenantId tenant, CustomerId id) {
    OMNI_ASSIGN_OR_RETURN(Customer customer, tx.get_customer(tenant, id));
    for (int hops = 0; customer.merged_into && hops < 16; ++hops) {
      OMNI_ASSIGN_OR_RETURN(customer, tx.get_customer(tenant, *customer.merged_into));
    }
    return customer;
  }

  Status add_status_touchpoint(StoreTransaction& tx, const Conversation& c, ChannelKind kind,
                               std::string body, Timestamp at) {
    Touchpoint tp;
    tp.tenant = c.tenant;
    tp.customer = c.customer;
    tp.conversation = c.id;
    tp.channel_kind = kind;
    tp.kind = TouchpointKind::kStatusChange;
    tp.body = std::move(body);
    tp.occurred_at = at;
    tp.recorded_at = at;
    auto id = tx.insert_touchpoint(tp);
    return id.ok() ? Status() : id.status();
  }

  Result<ChannelKind> channel_kind_of(StoreTransaction& tx, TenantId tenant, ChannelId id) {
    OMNI_ASSIGN_OR_RETURN(Channel channel, tx.get_channel(tenant, id));
    return channel.kind;
  }

  Result<detail::NormalizedIdentity> validate(const InboundMessage& m,
                                              const detail::NormalizationPolicy& policy) const;

  detail::NormalizationCache normalization_cache;

  // Tenants' default regions, read once: a tenant's region never changes after creation.
  std::shared_mutex regions_mutex;
  std::map<std::int64_t, std::string> regions;

  // How identities of `tenant` are normalized; kNotFound for an unknown tenant.
  Result<detail::NormalizationPolicy> policy_for(TenantId tenant) {
    detail::NormalizationPolicy policy;
    policy.email_local_part_case_insensitive = options.email_local_part_case_insensitive;
    policy.cache = &normalization_cache;
    {
      std::shared_lock lock(regions_mutex);
      if (auto it = regions.find(tenant.value()); it != regions.end()) {
        policy.default_region = it->second;
        return policy;
      }
    }
    OMNI_ASSIGN_OR_RETURN(Tenant t,
                          run_read([&](StoreTransaction& tx) { return tx.get_tenant(tenant); }));
    std::unique_lock lock(regions_mutex);
    regions[tenant.value()] = t.default_region;
    policy.default_region = t.default_region;
    return policy;
  }
  // The conversation an explicit reply belongs to: the first of m.references that is a
  // touchpoint of this customer on this channel (reopening a resolved case); none otherwise.
  Result<std::optional<Conversation>> conversation_by_reference(
      StoreTransaction& tx, const InboundMessage& m, CustomerId customer, const Channel& channel,
      Timestamp occurred, Timestamp now_ts, ReceiveResult& out);
  Result<ReceiveResult> receive_message(const InboundMessage& m);
  Result<ReceiveResult> receive_in(StoreTransaction& tx, const InboundMessage& m,
                                   const detail::NormalizedIdentity& from, Timestamp now_ts);
  Status change_status(TenantId tenant, ConversationId id, ConversationStatus to);

  // --- events (engine_events.cc)
  // The tenant's newest event sequence (0 when the outbox is empty), found with O(log n)
  // indexed probes of list_events.
  static Result<std::int64_t> newest_sequence(StoreTransaction& tx, TenantId tenant);

  // --- delivery (engine_delivery.cc)
  // Everything one adapter call needs, read in the transaction that claims the delivery.
  struct Attempt {
    PendingDelivery delivery;
    Touchpoint touchpoint;
    Channel channel;
    Identity recipient;
    ChannelAdapter* adapter = nullptr;
    bool human_author = false;
    Status unsendable;  // set when the message cannot be sent at all (no address, no consent)
  };
  enum class DeliveryOutcome { kSent, kRetrying, kFailed, kAlreadyRecorded };
  std::chrono::seconds retry_delay(int attempts) const;
  ChannelAdapter* adapter_for(TenantId tenant, ChannelId channel);
  Result<Attempt> prepare_attempt(StoreTransaction& tx, const PendingDelivery& delivery,
                                  Touchpoint touchpoint);
  Result<SendReceipt> call_adapter(const Attempt& attempt);
  // Records an outbound message as queued with its pending delivery and touchpoint.added event,
  // due now (this engine attempts it: attempt_now) or at `due`; kFailedPrecondition (field
  // "consent") and nothing recorded when no address may receive it. `fit` adds the SMS metadata.
  Result<Attempt> queue_outbound(StoreTransaction& tx, Touchpoint tp, const FitReport& fit,
                                 std::optional<Timestamp> due, Timestamp now);
  // Calls the adapter and records the outcome; a permanent failure is returned as the error.
  Result<Touchpoint> attempt_now(const Attempt& attempt);
  Result<Touchpoint> record_outcome(const Attempt& attempt, const Result<SendReceipt>& receipt,
                                    DeliveryOutcome* outcome);
  // Makes sure a customer with active conversations has exactly one joinable one (the newest
  // active), after a merge or an unmerge moved conversations between customers.
  Status settle_joinable(StoreTransaction& tx, TenantId tenant, CustomerId customer, Timestamp at);
  Result<std::vector<DuplicateSuggestion>> suggest_in(StoreTransaction& tx, TenantId tenant,
                                                      const Customer& customer,
                                                      const detail::NormalizationPolicy& policy,
                                                      std::size_t limit);
  Result<ContextPacket> build_context(StoreTransaction& tx, const Conversation& c,
                                      const HandoffSpec& spec, const CrmSnapshot& crm);
  Status apply_handoff(StoreTransaction& tx, Conversation& c, const Handoff& h, Timestamp at);

  // --- bots (engine_bots.cc). A registered responder and the run_bot calls using it now:
  // unregister_bot waits until `calls` is 0.
  struct BotSlot {
    BotResponder* responder = nullptr;
    int calls = 0;
  };
  std::mutex bots_mutex;
  std::condition_variable bots_idle;
  std::map<std::pair<std::int64_t, std::int64_t>, BotSlot> bots;  // by (tenant, agent)
  bool has_bots(TenantId tenant);

  // --- knowledge base (engine_knowledge.cc)
  // A kKnowledgeBaseView touchpoint of the visitor, in no conversation; `article` adds its id,
  // slug and title.
  Result<Touchpoint> record_self_service(const KnowledgeBaseVisitor& visitor,
                                         std::optional<ArticleId> article,
                                         std::map<std::string, std::string> metadata);

  // --- routing and SLA (engine_routing.cc)
  enum class SaveMode {
    kImplicit,  // a customer's action: a slot that does not fit is released to the queue
    kExplicit,  // a host's or agent's request: a slot that does not fit is kResourceExhausted
    kRouting,   // a routing decision: a slot that does not fit is kConflict (retried)
  };
  // Every write of an existing conversation goes through here: it derives the routing class,
  // the queue fields, the SLA clocks and next_timer_at, writes the row and checks the capacity
  // of every agent the write gave a slot.
  // `stored` (the row as it is in the store now) and `channel` (c.current_channel) save a read
  // each when the caller has them.
  // Appends the agent's presence and load as they are now in `tx` to its activity log.
  static Status log_agent_activity(StoreTransaction& tx, TenantId tenant, AgentId agent,
                                   Timestamp at);
  Status save_conversation(StoreTransaction& tx, Conversation& c, Timestamp now, SaveMode mode,
                           const Conversation* stored = nullptr, const Channel* channel = nullptr);
  Status apply_sla(StoreTransaction& tx, Conversation& c, Timestamp now);
  // Field names are prefixed with `prefix` ("routing." for a message's requirements).
  static Status check_requirements(const RoutingRequirements& r, const std::string& prefix);
  static void apply_requirements(Conversation& c, const RoutingRequirements& r);
  // Withdraws every outstanding offer to `agent` (it went away or offline) and routes those
  // conversations on: an offer never waits for an agent who cannot answer it.
  Status withdraw_offers(StoreTransaction& tx, TenantId tenant, AgentId agent, Timestamp now);
  Result<BusinessCalendar> calendar_for(const SlaPolicy& policy, const std::string& key);
  Result<RoutingPolicy> routing_policy_in(StoreTransaction& tx, TenantId tenant,
                                          const std::string& team);
  Result<std::optional<AgentId>> last_agent_of(StoreTransaction& tx, const Conversation& c);
  // Offers or assigns `c` to `agent`; afterwards `agent` is the stored row (new load included).
  Result<RoutingDecision> give(StoreTransaction& tx, Conversation& c, Agent& agent,
                               const RoutingPolicy& policy, bool sticky, Timestamp now);
  Result<RoutingDecision> route_in(StoreTransaction& tx, Conversation& c, Timestamp now);
  Result<std::vector<RoutingDecision>> fill_in(StoreTransaction& tx, TenantId tenant, AgentId agent,
                                               Timestamp now);
  // After a commit that freed a slot of `agent` or made it available: fill it from the queue
  // when the tenant's routing is automatic. Best effort.
  void refill(TenantId tenant, std::optional<AgentId> agent);

  std::shared_mutex calendars_mutex;
  std::map<std::string, BusinessCalendar> calendars;  // by the SLA policy document

  // --- customer context (engine_context.cc)
  std::unique_ptr<detail::CrmFetcher> crm_fetcher;
  // The CRM's data on `customer`: the provider's answer, a cached one, or why it is missing.
  // Blocks for at most EngineOptions::crm_timeout; call it outside every transaction.
  CrmSnapshot crm_snapshot(const Customer& customer, const std::vector<Identity>& identities);
  // The consent change an inbound message on a channel that requires consent makes: a keyword,
  // or the first message from an address without a record. Returns the new state when it
  // changed.
  Result<std::optional<ConsentState>> consent_on_receive(StoreTransaction& tx,
                                                         const Channel& channel,
                                                         detail::ConsentKeyword keyword,
                                                         IdentityId identity,
                                                         const Touchpoint& message, Timestamp now);
  // Stores `consent` and puts the change on the timeline (a preference_change touchpoint in
  // `conversation`, when given) and in the outbox (consent.changed).
  Status write_consent(StoreTransaction& tx, const Identity& address, const Consent& consent,
                       std::optional<ConversationId> conversation, std::optional<ChannelId> channel,
                       Timestamp now);
  // A preference_change touchpoint on the customer's timeline.
  Status add_preference_touchpoint(StoreTransaction& tx, TenantId tenant, CustomerId customer,
                                   std::optional<ConversationId> conversation,
                                   std::optional<ChannelId> channel, ChannelKind kind,
                                   std::string body, std::map<std::string, std::string> metadata,
                                   Timestamp at);
};

}  // namespace omni
