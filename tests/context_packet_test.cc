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
  std::string encoded = encode_context_packet(p);
  CHECK(encoded.find("\"version\": 1") != std::string::npos);
  ContextPacket back = *decode_context_packet(encoded);
  CHECK(back.version == 1);
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

TEST_CASE("malformed or future context packets are corruption, not crashes", "[handoff]") {
  std::string future = encode_context_packet(ContextPacket{});
  future.replace(future.find("\"version\": 1"), 12, "\"version\": 99");
  for (const std::string& bad : {std::string(), std::string("{"), std::string("[]"),
                                 std::string("{\"version\":1}"), future}) {
    INFO(bad);
    auto r = decode_context_packet(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().is(StatusCode::kCorruption));
  }
}
