#include <catch2/catch.hpp>

#include "omni/handoff.h"

using namespace omni;

TEST_CASE("context packets round-trip through their versioned encoding", "[handoff]") {
  ContextPacket p;
  p.customer = CustomerId(7);
  p.customer_name = "Anna \"Ä\" Schmidt";
  p.identities = {"phone:+4915112345678", "email:anna@example.com"};
  p.conversation = ConversationId(9);
  p.subject = "Router";
  p.status = "open";
  p.open_questions = {"original power supply?"};
  p.tried = {"restart", "reset"};
  p.notes = {"line 1\nline 2"};
  p.recent.push_back({from_unix_micros(123), ChannelKind::kLiveChat, TouchpointKind::kBotTurn,
                      "helpbot", "Have you tried turning it off and on again?"});
  p.crm.state = CrmState::kOk;
  p.crm.fetched_at = from_unix_micros(456);
  p.crm.context.system = "acme-crm";
  p.crm.context.record_id = "C-17";
  p.crm.context.account_status = "vip";
  p.crm.context.fields = {{"segment", "gold"}};
  CrmItem order;
  order.id = "SO-1042";
  order.title = "2 × Trail Runner";
  order.status = "delayed";
  order.date = from_unix_micros(789);
  order.amount = "129.90 EUR";
  order.fields = {{"carrier", "DHL"}};
  p.crm.context.orders = {order};
  std::string encoded = encode_context_packet(p);
  CHECK(encoded.find("\"version\": 2") != std::string::npos);
  ContextPacket back = *decode_context_packet(encoded);
  CHECK(back.version == 2);
  CHECK(back.crm.state == CrmState::kOk);
  CHECK(back.crm.fetched_at == from_unix_micros(456));
  CHECK(back.crm.context.account_status == "vip");
  CHECK(back.crm.context.fields == p.crm.context.fields);
  REQUIRE(back.crm.context.orders.size() == 1);
  CHECK(back.crm.context.orders[0].title == order.title);
  CHECK(back.crm.context.orders[0].date == order.date);
  CHECK(back.crm.context.orders[0].fields == order.fields);
  CHECK(back.customer == p.customer);
  CHECK(back.customer_name == p.customer_name);
  CHECK(back.identities == p.identities);
  CHECK(back.conversation == p.conversation);
  CHECK(back.open_questions == p.open_questions);
  CHECK(back.tried == p.tried);
  CHECK(back.notes == p.notes);
  REQUIRE(back.recent.size() == 1);
  CHECK(back.recent[0].occurred_at == from_unix_micros(123));
  CHECK(back.recent[0].channel_kind == ChannelKind::kLiveChat);
  CHECK(back.recent[0].kind == TouchpointKind::kBotTurn);
  CHECK(back.recent[0].excerpt == p.recent[0].excerpt);
}

TEST_CASE("version 1 context packets (before the CRM snapshot) still decode", "[handoff]") {
  // As version 1 of this library wrote it.
  const std::string v1 =
      R"({"version": 1, "customer": 7, "customer_name": "Anna", "identities": [], )"
      R"("conversation": 9, "subject": "Router", "status": "open", "open_questions": [], )"
      R"("tried": ["restart"], "notes": [], "recent": []})";
  auto back = decode_context_packet(v1);
  REQUIRE(back.ok());
  CHECK(back->version == 1);
  CHECK(back->tried == std::vector<std::string>{"restart"});
  CHECK(back->crm.state == CrmState::kNotConfigured);
}

TEST_CASE("malformed or future context packets are corruption, not crashes", "[handoff]") {
  std::string future = encode_context_packet(ContextPacket{});
  future.replace(future.find("\"version\": 2"), 12, "\"version\": 99");
  for (const std::string& bad : {std::string(), std::string("{"), std::string("[]"),
                                 std::string("{\"version\":1}"), future}) {
    INFO(bad);
    auto r = decode_context_packet(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().is(StatusCode::kCorruption));
  }
}
