// Engine unit tests that do not depend on the backend (the conformance suite covers the rest).
#include <catch2/catch.hpp>

#include "omni/engine.h"
#include "omni/memory_store.h"

using namespace omni;

TEST_CASE("engine options are validated", "[engine]") {
  CHECK(Engine::open(nullptr).status().is(StatusCode::kInvalidArgument));
  EngineOptions bad;
  bad.max_body_bytes = 0;
  CHECK(Engine::open(make_memory_store(), bad).status().is(StatusCode::kInvalidArgument));
  bad = EngineOptions{};
  bad.max_page_size = 0;
  CHECK(Engine::open(make_memory_store(), bad).status().is(StatusCode::kInvalidArgument));
  CHECK(Engine::open(make_memory_store()).ok());
}

TEST_CASE("identities are normalized before they are matched", "[engine][identity]") {
  ManualClock clock(from_unix_micros(1'795'000'000'000'000));
  EngineOptions options;
  options.clock = &clock;
  auto engine = std::move(*Engine::open(make_memory_store(), options));
  Tenant tenant = *engine->create_tenant("acme", "DE");
  Channel email = *engine->create_channel({tenant.id, ChannelKind::kEmail, "mail", {}});
  Channel sms = *engine->create_channel({tenant.id, ChannelKind::kSms, "sms", {}});

  auto receive = [&](const Channel& c, IdentityInput from, const std::string& id) {
    InboundMessage m;
    m.tenant = tenant.id;
    m.channel = c.id;
    m.from = std::move(from);
    m.provider_message_id = id;
    m.body = "hi";
    auto r = engine->receive(m);
    INFO(r.status().to_string());
    REQUIRE(r.ok());
    return *r;
  };
  auto a =
      receive(email, {IdentityKind::kEmail, "", "Anna Schmidt <Anna.Schmidt@Example.COM>"}, "1");
  auto b = receive(email, {IdentityKind::kEmail, "", "  anna.schmidt@example.com "}, "2");
  CHECK(a.customer == b.customer);
  auto view = *engine->customer_view(tenant.id, a.customer);
  CHECK(view.identities.at(0).value == "anna.schmidt@example.com");
  CHECK(view.customer.display_name == "Anna Schmidt");  // from the address, as no name was given
  auto quoted =
      receive(email, {IdentityKind::kEmail, "", "\"Müller, Jörg\" <j@example.de>"}, "quoted");
  CHECK(engine->customer_view(tenant.id, quoted.customer)->customer.display_name == "Müller, Jörg");

  auto p1 = receive(sms, {IdentityKind::kPhone, "", "+49 (151) 1234-5678"}, "3");
  auto p2 = receive(sms, {IdentityKind::kPhone, "", "0049 151 12345678"}, "4");
  CHECK(p1.customer == p2.customer);
  CHECK(p1.customer != a.customer);

  CHECK(engine->create_tenant("acme").status().is(StatusCode::kAlreadyExists));
  CHECK(engine->create_tenant("x", "germany").status().is(StatusCode::kInvalidArgument));
  CHECK(engine->ensure_tenant("acme")->id == tenant.id);
  CHECK(engine->ensure_channel({tenant.id, ChannelKind::kSms, "sms", {}})->id == sms.id);
}
