// Engine unit tests that do not depend on the backend (the conformance suite covers the rest).
#include <catch2/catch.hpp>

#include "omni/engine.h"
#include "omni/memory_store.h"
#include "omni/normalize.h"

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

TEST_CASE("phone numbers normalize to E.164 with the tenant's region (libphonenumber)",
          "[engine][identity]") {
  struct Case {
    const char* text;
    const char* region;
    const char* e164;
  };
  const Case cases[] = {
      {"0151 1234 5678", "DE", "+4915112345678"},
      {"+49 (151) 1234-5678", "DE", "+4915112345678"},
      {"+49 (151) 1234-5678", "US", "+4915112345678"},  // international form: region irrelevant
      {"0049 151 12345678", "DE", "+4915112345678"},
      {"4915112345678", "DE", "+4915112345678"},  // a WhatsApp wa_id
      {"030 1234567", "DE", "+49301234567"},
      {"(650) 253-0000", "US", "+16502530000"},
      {"+1 650-253-0000", "DE", "+16502530000"},
      {"16502530000", "US", "+16502530000"},
      {"020 7946 0958", "GB", "+442079460958"},
      {"07911 123456", "GB", "+447911123456"},
  };
  for (const auto& c : cases) {
    INFO(c.text << " in " << c.region);
    auto e164 = normalize_phone_number(c.text, c.region);
    INFO(e164.status().to_string());
    REQUIRE(e164.ok());
    CHECK(*e164 == c.e164);
  }
  for (const char* bad :
       {"0151", "12", "+49 151", "+999 123456789", "0151 1234 5678 9999 1", "call me", "+1 555"}) {
    INFO(bad);
    auto r = normalize_phone_number(bad, "DE");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().is(omni::StatusCode::kInvalidArgument));
    CHECK(r.status().field() == "from.value");
  }
}

TEST_CASE("email addresses normalize with NFC, IDNA and case folding (ICU)", "[engine][identity]") {
  auto written = normalize_email_address("Jörg Müller <Joerg.Mueller@Example.COM>");
  REQUIRE(written.ok());
  CHECK(written->address == "joerg.mueller@example.com");
  CHECK(written->display_name == "Jörg Müller");
  // NFC: a decomposed ö (o + U+0308) and the composed one are the same address.
  CHECK(normalize_email_address("jo\xCC\x88rg@example.de")->address ==
        normalize_email_address("J\xC3\xB6rg@example.de")->address);
  // IDNA: the Unicode and the ASCII form of a domain are one domain.
  CHECK(normalize_email_address("anna@MÜNCHEN.de")->address == "anna@xn--mnchen-3ya.de");
  CHECK(normalize_email_address("anna@xn--mnchen-3ya.de")->address == "anna@xn--mnchen-3ya.de");
  // The policy can keep local parts case-sensitive; domains are always case-insensitive.
  CHECK(normalize_email_address("Anna@Example.com", false)->address == "Anna@example.com");
  for (const char* bad : {"anna", "anna@", "@example.com", "Anna <anna@example.com",
                          "anna@exa mple.com", "anna@-bad-.com", "anna@exa..mple.com"}) {
    INFO(bad);
    auto r = normalize_email_address(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().is(omni::StatusCode::kInvalidArgument));
  }
}

TEST_CASE("national numbers use the tenant's region, voice, SMS and WhatsApp are one customer",
          "[engine][identity]") {
  ManualClock clock(from_unix_micros(1'795'000'000'000'000));
  EngineOptions options;
  options.clock = &clock;
  auto engine = std::move(*Engine::open(make_memory_store(), options));
  Tenant de = *engine->create_tenant("de-shop", "DE");
  Tenant us = *engine->create_tenant("us-shop", "US");
  auto receive = [&](const Tenant& t, ChannelKind kind, const std::string& from,
                     const std::string& id) {
    Channel c = *engine->ensure_channel({t.id, kind, std::string(to_string(kind)), {}});
    InboundMessage m;
    m.tenant = t.id;
    m.channel = c.id;
    m.from = {IdentityKind::kPhone, "", from};
    m.provider_message_id = id;
    m.body = "hi";
    return engine->receive(m);
  };
  auto voice = receive(de, ChannelKind::kPhone, "0151 1234 5678", "call-1");
  auto sms = receive(de, ChannelKind::kSms, "+49 (151) 1234-5678", "sms-1");
  auto whatsapp = receive(de, ChannelKind::kWhatsApp, "4915112345678", "wamid.1");
  REQUIRE(voice.ok());
  REQUIRE(sms.ok());
  REQUIRE(whatsapp.ok());
  CHECK(sms->customer == voice->customer);
  CHECK(whatsapp->customer == voice->customer);
  CHECK(whatsapp->conversation == voice->conversation);
  CHECK(engine->customer_view(de.id, voice->customer)->identities.at(0).value == "+4915112345678");
  // The same national digits in a US tenant are not a valid number there: refused, not stored.
  auto wrong_region = receive(us, ChannelKind::kSms, "0151 1234 5678", "sms-us-1");
  REQUIRE_FALSE(wrong_region.ok());
  CHECK(wrong_region.status().is(StatusCode::kInvalidArgument));
  CHECK(engine->list_customers(us.id)->empty());
}
