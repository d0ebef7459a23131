// Shared fixture of the conformance suite: an engine on a fresh store of the backend under test,
// one tenant with a channel of several kinds, three human agents and a bot, on a manual clock.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "omni/engine.h"
#include "omni/recording_adapter.h"
#include "omni/sys/store.h"
#include "omni/testing/conformance.h"

// Runs the rest of the test case once per registered backend.
#define OMNI_FOR_EACH_BACKEND(var)                                                       \
  REQUIRE_FALSE(::omni::testing::store_backends().empty());                              \
  const ::omni::testing::StoreBackend& var = ::omni::testing::store_backends()[GENERATE( \
      range(std::size_t{0}, ::omni::testing::store_backends().size()))];                 \
  INFO("store backend: " << var.name)

#define OMNI_REQUIRE_OK(expr)                                    \
  do {                                                           \
    auto&& omni_r_ = (expr);                                     \
    INFO(#expr << " -> " << ::omni::testing::describe(omni_r_)); \
    REQUIRE(omni_r_.ok());                                       \
  } while (false)

namespace omni::testing {

inline std::string describe(const Status& s) {
  return s.to_string();
}
template <typename T>
std::string describe(const Result<T>& r) {
  return r.ok() ? std::string("ok") : r.status().to_string();
}

// Fails one write: every write method of every transaction takes one from a shared budget, and
// the write that finds it at 0 fails with kIoError. Set the budget to N to fail the Nth write
// (counting from 0) from now on; a large budget fails nothing.
class FaultInjectingTransaction : public ForwardingTransaction {
 public:
  FaultInjectingTransaction(std::unique_ptr<StoreTransaction> target, std::atomic<int>* budget)
      : ForwardingTransaction(std::move(target)), budget_(budget) {}

#define OMNI_FAULT_POINT(call)                                                         \
  do {                                                                                 \
    if (budget_->fetch_sub(1) == 0) return ::omni::Status::io_error("injected fault"); \
    return ForwardingTransaction::call;                                                \
  } while (false)
  Result<TenantId> insert_tenant(const Tenant& v) override {
    OMNI_FAULT_POINT(insert_tenant(v));
  }
  Result<ChannelId> insert_channel(const Channel& v) override {
    OMNI_FAULT_POINT(insert_channel(v));
  }
  Status put_setting(TenantId t, std::string_view k, std::string_view v) override {
    OMNI_FAULT_POINT(put_setting(t, k, v));
  }
  Status delete_setting(TenantId t, std::string_view k) override {
    OMNI_FAULT_POINT(delete_setting(t, k));
  }
  Result<AgentId> insert_agent(const Agent& v) override {
    OMNI_FAULT_POINT(insert_agent(v));
  }
  Status update_agent(const Agent& v) override {
    OMNI_FAULT_POINT(update_agent(v));
  }
  Status append_agent_activity(const AgentActivity& v) override {
    OMNI_FAULT_POINT(append_agent_activity(v));
  }
  Result<CustomerId> insert_customer(const Customer& v) override {
    OMNI_FAULT_POINT(insert_customer(v));
  }
  Status update_customer(const Customer& v) override {
    OMNI_FAULT_POINT(update_customer(v));
  }
  Result<IdentityId> insert_identity(const Identity& v) override {
    OMNI_FAULT_POINT(insert_identity(v));
  }
  Status touch_identity(TenantId t, IdentityId id, Timestamp at) override {
    OMNI_FAULT_POINT(touch_identity(t, id, at));
  }
  Status put_consent(const Consent& v) override {
    OMNI_FAULT_POINT(put_consent(v));
  }
  Result<ConversationId> insert_conversation(const Conversation& v) override {
    OMNI_FAULT_POINT(insert_conversation(v));
  }
  Status update_conversation(const Conversation& v) override {
    OMNI_FAULT_POINT(update_conversation(v));
  }
  Result<TouchpointId> insert_touchpoint(const Touchpoint& v) override {
    OMNI_FAULT_POINT(insert_touchpoint(v));
  }
  Status update_delivery(TenantId t, TouchpointId id, DeliveryStatus s,
                         std::string_view p) override {
    OMNI_FAULT_POINT(update_delivery(t, id, s, p));
  }
  Result<HandoffId> insert_handoff(const Handoff& v) override {
    OMNI_FAULT_POINT(insert_handoff(v));
  }
  Status update_handoff(const Handoff& v) override {
    OMNI_FAULT_POINT(update_handoff(v));
  }
  Result<MergeId> insert_merge(const MergeRecord& v) override {
    OMNI_FAULT_POINT(insert_merge(v));
  }
  Status update_merge(const MergeRecord& v) override {
    OMNI_FAULT_POINT(update_merge(v));
  }
  Status move_customer_records(TenantId t, MergeId m, CustomerId from, CustomerId to) override {
    OMNI_FAULT_POINT(move_customer_records(t, m, from, to));
  }
  Result<std::vector<Touchpoint>> restore_customer_records(TenantId t, MergeId m, CustomerId s,
                                                           CustomerId c) override {
    OMNI_FAULT_POINT(restore_customer_records(t, m, s, c));
  }
  Status move_touchpoint(TenantId t, TouchpointId id, CustomerId c,
                         std::optional<ConversationId> conversation) override {
    OMNI_FAULT_POINT(move_touchpoint(t, id, c, conversation));
  }
  Status move_conversation_contents(TenantId t, ConversationId from, ConversationId to) override {
    OMNI_FAULT_POINT(move_conversation_contents(t, from, to));
  }
  Result<ArticleId> insert_article(const Article& v) override {
    OMNI_FAULT_POINT(insert_article(v));
  }
  Status update_article(const Article& v) override {
    OMNI_FAULT_POINT(update_article(v));
  }
  Status delete_article(TenantId t, ArticleId id) override {
    OMNI_FAULT_POINT(delete_article(t, id));
  }
  Result<bool> put_csat(const CsatResponse& v) override {
    OMNI_FAULT_POINT(put_csat(v));
  }
  Result<std::int64_t> append_event(const Event& v) override {
    OMNI_FAULT_POINT(append_event(v));
  }
#undef OMNI_FAULT_POINT

 private:
  std::atomic<int>* budget_;
};

// Owns a store of the backend under test and wraps each transaction in a
// FaultInjectingTransaction.
class FaultInjectingStore : public ForwardingStore {
 public:
  FaultInjectingStore(std::unique_ptr<Store> owned, std::atomic<int>* budget)
      : ForwardingStore(owned.get()), owned_(std::move(owned)), budget_(budget) {}
  Result<std::unique_ptr<StoreTransaction>> begin(TransactionMode mode) override {
    auto tx = ForwardingStore::begin(mode);
    if (!tx.ok()) return tx.status();
    return std::unique_ptr<StoreTransaction>(
        new FaultInjectingTransaction(std::move(*tx), budget_));
  }

  // A backend like `backend` whose stores inject faults from `budget`.
  static StoreBackend wrap(const StoreBackend& backend, std::atomic<int>* budget) {
    return StoreBackend{
        backend.name, [backend, budget]() -> Result<std::unique_ptr<Store>> {
          auto inner = backend.make();
          if (!inner.ok()) return inner.status();
          return std::unique_ptr<Store>(new FaultInjectingStore(std::move(*inner), budget));
        }};
  }

 private:
  std::unique_ptr<Store> owned_;
  std::atomic<int>* budget_;
};

inline Timestamp t0() {
  return from_unix_micros(1'795'000'000'000'000);
}  // 2026-11-18T11:06:40Z

struct World {
  ManualClock clock{t0()};
  std::unique_ptr<Engine> engine;
  RecordingAdapter adapter;
  Tenant tenant;
  Channel sms, whatsapp, email, chat, phone, video, messenger, web;
  Agent alice, bob, carol, bot;

  explicit World(const StoreBackend& backend, EngineOptions options = {}) {
    auto store = backend.make();
    REQUIRE(store.ok());
    options.clock = &clock;
    auto opened = Engine::open(std::move(*store), options);
    REQUIRE(opened.ok());
    engine = std::move(*opened);
    tenant = must(engine->create_tenant("acme", "DE"));
    sms = channel(ChannelKind::kSms, "sms-line");
    whatsapp = channel(ChannelKind::kWhatsApp, "whatsapp");
    email = channel(ChannelKind::kEmail, "support@acme.example");
    chat = channel(ChannelKind::kLiveChat, "web-chat");
    phone = channel(ChannelKind::kPhone, "hotline");
    video = channel(ChannelKind::kVideo, "video");
    messenger = channel(ChannelKind::kMessenger, "fb-page-1");
    web = channel(ChannelKind::kWeb, "help-center");
    alice = agent("alice");
    bob = agent("bob");
    carol = agent("carol");
    bot = agent("helpbot", AgentKind::kBot);
  }

  template <typename T>
  static T must(Result<T> r) {
    INFO(describe(r));
    REQUIRE(r.ok());
    return std::move(r).value();
  }

  Channel channel(ChannelKind kind, const std::string& name) {
    auto c = must(engine->create_channel({tenant.id, kind, name, std::nullopt}));
    REQUIRE(engine->register_adapter(tenant.id, c.id, &adapter).ok());
    return c;
  }
  Agent agent(const std::string& name, AgentKind kind = AgentKind::kHuman) {
    AgentSpec spec;
    spec.tenant = tenant.id;
    spec.name = name;
    spec.kind = kind;
    return must(engine->create_agent(spec));
  }

  InboundMessage message(const Channel& on, IdentityKind kind, const std::string& from,
                         const std::string& id, const std::string& body) const {
    InboundMessage m;
    m.tenant = tenant.id;
    m.channel = on.id;
    m.from = {kind, "", from};
    m.provider_message_id = id;
    m.body = body;
    m.display_name = "Anna Schmidt";
    return m;
  }
  InboundMessage sms_from(const std::string& phone_number, const std::string& id,
                          const std::string& body = "hello") const {
    return message(sms, IdentityKind::kPhone, phone_number, id, body);
  }

  ReceiveResult receive(const InboundMessage& m) { return must(engine->receive(m)); }

  std::size_t customer_count() {
    return must(engine->list_customers(tenant.id, CustomerId(), 500)).size();
  }
  std::size_t event_count() { return must(engine->events(tenant.id, 0, 500)).size(); }
  std::size_t timeline_size(CustomerId customer) {
    TimelineQuery q;
    q.tenant = tenant.id;
    q.customer = customer;
    q.limit = 500;
    return must(engine->timeline(q)).touchpoints.size();
  }
};

}  // namespace omni::testing
