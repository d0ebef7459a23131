#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "omni/agent.h"
#include "omni/channel.h"
#include "omni/conversation.h"
#include "omni/customer.h"
#include "omni/handoff.h"
#include "omni/status.h"
#include "omni/touchpoint.h"

using namespace omni;

TEST_CASE("every channel kind has a stable name and documented traits", "[model]") {
  REQUIRE(all_channel_kinds().size() == 16);
  std::set<std::string> names;
  for (ChannelKind kind : all_channel_kinds()) {
    std::string name(to_string(kind));
    CHECK(names.insert(name).second);
    CHECK(parse_channel_kind(name) == kind);
    ChannelProfile p = default_profile(kind);
    CHECK((p.length_rule == LengthRule::kUnlimited) == (p.max_length == 0));
    CHECK(p.max_parts >= 1);
  }
  CHECK_FALSE(parse_channel_kind("fax").has_value());

  CHECK(default_profile(ChannelKind::kPhone).synchronous);
  CHECK(default_profile(ChannelKind::kLiveChat).synchronous);
  CHECK(default_profile(ChannelKind::kVideo).synchronous);
  CHECK_FALSE(default_profile(ChannelKind::kEmail).synchronous);
  CHECK_FALSE(default_profile(ChannelKind::kLetter).synchronous);
  for (ChannelKind messenger : {ChannelKind::kWhatsApp, ChannelKind::kMessenger,
                                ChannelKind::kInstagram, ChannelKind::kTelegram}) {
    CHECK_FALSE(default_profile(messenger).synchronous);
  }
  CHECK(default_profile(ChannelKind::kEmail).expected_first_response == std::chrono::hours(24));
  CHECK(default_profile(ChannelKind::kSms).length_rule == LengthRule::kSmsSegments);
  CHECK(default_profile(ChannelKind::kSms).max_length == 160);
  CHECK(default_profile(ChannelKind::kXDirectMessage).max_length == 280);
  CHECK(default_profile(ChannelKind::kMessenger).max_length == 2000);
  CHECK(default_profile(ChannelKind::kWhatsApp).max_length == 4096);
  CHECK(default_profile(ChannelKind::kLetter).formality == Formality::kFormal);
  CHECK(default_profile(ChannelKind::kMessenger).formality == Formality::kInformal);
  CHECK(default_profile(ChannelKind::kVideo).secure);
  CHECK_FALSE(default_profile(ChannelKind::kSms).secure);
}

TEST_CASE("enum names round-trip", "[model]") {
  for (auto k : {IdentityKind::kEmail, IdentityKind::kPhone, IdentityKind::kMessengerPsid,
                 IdentityKind::kInstagramId, IdentityKind::kTelegramId, IdentityKind::kXUserId,
                 IdentityKind::kWebVisitor, IdentityKind::kCrmId, IdentityKind::kOther}) {
    CHECK(parse_identity_kind(to_string(k)) == k);
  }
  for (auto k :
       {TouchpointKind::kMessageIn, TouchpointKind::kMessageOut, TouchpointKind::kCall,
        TouchpointKind::kVideoSession, TouchpointKind::kNote, TouchpointKind::kKnowledgeBaseView,
        TouchpointKind::kIvrChoice, TouchpointKind::kBotTurn, TouchpointKind::kStatusChange,
        TouchpointKind::kHandoff, TouchpointKind::kPreferenceChange}) {
    CHECK(parse_touchpoint_kind(to_string(k)) == k);
  }
  for (auto s : {ConversationStatus::kOpen, ConversationStatus::kPending,
                 ConversationStatus::kResolved, ConversationStatus::kClosed}) {
    CHECK(parse_conversation_status(to_string(s)) == s);
  }
  for (auto k :
       {HandoffKind::kChannelSwitch, HandoffKind::kAgentTransfer, HandoffKind::kTeamTransfer,
        HandoffKind::kBotToHuman, HandoffKind::kSecureChannel}) {
    CHECK(parse_handoff_kind(to_string(k)) == k);
  }
  CHECK(is_inbound_kind(TouchpointKind::kMessageIn));
  CHECK_FALSE(is_inbound_kind(TouchpointKind::kNote));
  CHECK(Status::not_found("customer 7").to_string() == "not_found: customer 7");
  CHECK(Status().to_string() == "ok");
}
