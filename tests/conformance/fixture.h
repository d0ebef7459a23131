// Shared fixture of the conformance suite: an engine on a fresh store of the backend under test,
// one tenant with a channel of several kinds, three human agents and a bot, on a manual clock.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "omni/engine.h"
#include "omni/recording_adapter.h"
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
