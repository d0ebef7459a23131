// Stable names of omni's enums, as written to JSON, the CLI and the database.
#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "omni/agent.h"
#include "omni/channel.h"
#include "omni/contact.h"
#include "omni/conversation.h"
#include "omni/customer.h"
#include "omni/handoff.h"
#include "omni/merge.h"
#include "omni/routing.h"
#include "omni/sla.h"
#include "omni/touchpoint.h"

namespace omni {
namespace {

template <typename E, std::size_t N>
using NameTable = std::array<std::pair<E, std::string_view>, N>;

template <typename E, std::size_t N>
std::string_view name_of(const NameTable<E, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> parse_name(const NameTable<E, N>& table, std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

constexpr NameTable<ChannelKind, 16> kChannelKinds{{
    {ChannelKind::kPhone, "phone"},
    {ChannelKind::kEmail, "email"},
    {ChannelKind::kLiveChat, "live_chat"},
    {ChannelKind::kSms, "sms"},
    {ChannelKind::kWhatsApp, "whatsapp"},
    {ChannelKind::kMessenger, "messenger"},
    {ChannelKind::kInstagram, "instagram"},
    {ChannelKind::kXDirectMessage, "x_dm"},
    {ChannelKind::kTelegram, "telegram"},
    {ChannelKind::kVideo, "video"},
    {ChannelKind::kWeb, "web"},
    {ChannelKind::kIvr, "ivr"},
    {ChannelKind::kBot, "bot"},
    {ChannelKind::kForum, "forum"},
    {ChannelKind::kLetter, "letter"},
    {ChannelKind::kInPerson, "in_person"},
}};

constexpr NameTable<ConsentState, 2> kConsentStates{{
    {ConsentState::kGranted, "granted"},
    {ConsentState::kWithdrawn, "withdrawn"},
}};

constexpr NameTable<Urgency, 4> kUrgencies{{
    {Urgency::kLow, "low"},
    {Urgency::kNormal, "normal"},
    {Urgency::kHigh, "high"},
    {Urgency::kCritical, "critical"},
}};

constexpr NameTable<LengthRule, 4> kLengthRules{{
    {LengthRule::kUnlimited, "unlimited"},
    {LengthRule::kUnicodeCharacters, "unicode_characters"},
    {LengthRule::kSmsSegments, "sms_segments"},
    {LengthRule::kTwitterWeighted, "twitter_weighted"},
}};

constexpr NameTable<Formality, 3> kFormalities{{
    {Formality::kFormal, "formal"},
    {Formality::kNeutral, "neutral"},
    {Formality::kInformal, "informal"},
}};

constexpr NameTable<IdentityKind, 9> kIdentityKinds{{
    {IdentityKind::kEmail, "email"},
    {IdentityKind::kPhone, "phone"},
    {IdentityKind::kMessengerPsid, "messenger_psid"},
    {IdentityKind::kInstagramId, "instagram_id"},
    {IdentityKind::kTelegramId, "telegram_id"},
    {IdentityKind::kXUserId, "x_user_id"},
    {IdentityKind::kWebVisitor, "web_visitor"},
    {IdentityKind::kCrmId, "crm_id"},
    {IdentityKind::kOther, "other"},
}};

constexpr NameTable<AgentKind, 2> kAgentKinds{{
    {AgentKind::kHuman, "human"},
    {AgentKind::kBot, "bot"},
}};

constexpr NameTable<Presence, 4> kPresences{{
    {Presence::kAvailable, "available"},
    {Presence::kBusy, "busy"},
    {Presence::kAway, "away"},
    {Presence::kOffline, "offline"},
}};

constexpr NameTable<TouchpointKind, 11> kTouchpointKinds{{
    {TouchpointKind::kMessageIn, "message_in"},
    {TouchpointKind::kMessageOut, "message_out"},
    {TouchpointKind::kCall, "call"},
    {TouchpointKind::kVideoSession, "video_session"},
    {TouchpointKind::kNote, "note"},
    {TouchpointKind::kKnowledgeBaseView, "kb_view"},
    {TouchpointKind::kIvrChoice, "ivr_choice"},
    {TouchpointKind::kBotTurn, "bot_turn"},
    {TouchpointKind::kStatusChange, "status_change"},
    {TouchpointKind::kPreferenceChange, "preference_change"},
    {TouchpointKind::kHandoff, "handoff"},
}};

constexpr NameTable<DeliveryStatus, 6> kDeliveryStatuses{{
    {DeliveryStatus::kNone, "none"},
    {DeliveryStatus::kQueued, "queued"},
    {DeliveryStatus::kSent, "sent"},
    {DeliveryStatus::kDelivered, "delivered"},
    {DeliveryStatus::kRead, "read"},
    {DeliveryStatus::kFailed, "failed"},
}};

constexpr NameTable<ConversationStatus, 4> kConversationStatuses{{
    {ConversationStatus::kOpen, "open"},
    {ConversationStatus::kPending, "pending"},
    {ConversationStatus::kResolved, "resolved"},
    {ConversationStatus::kClosed, "closed"},
}};

constexpr NameTable<Priority, 4> kPriorities{{
    {Priority::kLow, "low"},
    {Priority::kNormal, "normal"},
    {Priority::kHigh, "high"},
    {Priority::kUrgent, "urgent"},
}};

constexpr NameTable<RoutingClass, 2> kRoutingClasses{{
    {RoutingClass::kSynchronous, "sync"},
    {RoutingClass::kAsynchronous, "async"},
}};

constexpr NameTable<RoutingStrategy, 2> kRoutingStrategies{{
    {RoutingStrategy::kLeastLoaded, "least_loaded"},
    {RoutingStrategy::kRoundRobin, "round_robin"},
}};

constexpr NameTable<RoutingOutcome, 5> kRoutingOutcomes{{
    {RoutingOutcome::kOffered, "offered"},
    {RoutingOutcome::kAssigned, "assigned"},
    {RoutingOutcome::kQueued, "queued"},
    {RoutingOutcome::kReserved, "reserved"},
    {RoutingOutcome::kNotWaiting, "not_waiting"},
}};

constexpr NameTable<SlaClockKind, 3> kSlaClockKinds{{
    {SlaClockKind::kFirstResponse, "first_response"},
    {SlaClockKind::kNextResponse, "next_response"},
    {SlaClockKind::kResolution, "resolution"},
}};

constexpr NameTable<HandoffKind, 5> kHandoffKinds{{
    {HandoffKind::kChannelSwitch, "channel_switch"},
    {HandoffKind::kAgentTransfer, "agent_transfer"},
    {HandoffKind::kTeamTransfer, "team_transfer"},
    {HandoffKind::kBotToHuman, "bot_to_human"},
    {HandoffKind::kSecureChannel, "secure_channel"},
}};

constexpr NameTable<HandoffMode, 2> kHandoffModes{{
    {HandoffMode::kWarm, "warm"},
    {HandoffMode::kCold, "cold"},
}};

constexpr NameTable<DuplicateReason, 5> kDuplicateReasons{{
    {DuplicateReason::kSameName, "same_name"},
    {DuplicateReason::kSameNameAndPhoneCountry, "same_name_and_phone_country"},
    {DuplicateReason::kSameEmailLocalPart, "same_email_local_part"},
    {DuplicateReason::kPhoneInMessage, "phone_in_message"},
    {DuplicateReason::kEmailInMessage, "email_in_message"},
}};

}  // namespace

std::string_view to_string(DuplicateReason v) {
  return name_of(kDuplicateReasons, v);
}
const std::vector<ChannelKind>& all_channel_kinds() {
  static const std::vector<ChannelKind> kinds = [] {
    std::vector<ChannelKind> out;
    for (const auto& entry : kChannelKinds)
      out.push_back(entry.first);
    return out;
  }();
  return kinds;
}

std::string_view to_string(ChannelKind v) {
  return name_of(kChannelKinds, v);
}
std::optional<ChannelKind> parse_channel_kind(std::string_view n) {
  return parse_name(kChannelKinds, n);
}
std::string_view to_string(LengthRule v) {
  return name_of(kLengthRules, v);
}
std::string_view to_string(Formality v) {
  return name_of(kFormalities, v);
}
std::string_view to_string(IdentityKind v) {
  return name_of(kIdentityKinds, v);
}
std::optional<IdentityKind> parse_identity_kind(std::string_view n) {
  return parse_name(kIdentityKinds, n);
}
std::string_view to_string(AgentKind v) {
  return name_of(kAgentKinds, v);
}
std::optional<AgentKind> parse_agent_kind(std::string_view n) {
  return parse_name(kAgentKinds, n);
}
std::string_view to_string(Presence v) {
  return name_of(kPresences, v);
}
std::optional<Presence> parse_presence(std::string_view n) {
  return parse_name(kPresences, n);
}
std::string_view to_string(TouchpointKind v) {
  return name_of(kTouchpointKinds, v);
}
std::optional<TouchpointKind> parse_touchpoint_kind(std::string_view n) {
  return parse_name(kTouchpointKinds, n);
}
bool is_inbound_kind(TouchpointKind k) {
  switch (k) {
    case TouchpointKind::kMessageIn:
    case TouchpointKind::kCall:
    case TouchpointKind::kVideoSession:
    case TouchpointKind::kKnowledgeBaseView:
    case TouchpointKind::kIvrChoice:
    case TouchpointKind::kBotTurn:
      return true;
    default:
      return false;
  }
}
std::string_view to_string(DeliveryStatus v) {
  return name_of(kDeliveryStatuses, v);
}
std::optional<DeliveryStatus> parse_delivery_status(std::string_view n) {
  return parse_name(kDeliveryStatuses, n);
}
std::string_view to_string(ConversationStatus v) {
  return name_of(kConversationStatuses, v);
}
std::optional<ConversationStatus> parse_conversation_status(std::string_view n) {
  return parse_name(kConversationStatuses, n);
}
std::string_view to_string(Priority v) {
  return name_of(kPriorities, v);
}
std::optional<Priority> parse_priority(std::string_view n) {
  return parse_name(kPriorities, n);
}
std::string_view to_string(RoutingClass v) {
  return name_of(kRoutingClasses, v);
}
std::optional<RoutingClass> parse_routing_class(std::string_view n) {
  return parse_name(kRoutingClasses, n);
}
std::string_view to_string(RoutingStrategy v) {
  return name_of(kRoutingStrategies, v);
}
std::optional<RoutingStrategy> parse_routing_strategy(std::string_view n) {
  return parse_name(kRoutingStrategies, n);
}
std::string_view to_string(RoutingOutcome v) {
  return name_of(kRoutingOutcomes, v);
}
std::string_view to_string(SlaClockKind v) {
  return name_of(kSlaClockKinds, v);
}
std::string_view to_string(HandoffKind v) {
  return name_of(kHandoffKinds, v);
}
std::optional<HandoffKind> parse_handoff_kind(std::string_view n) {
  return parse_name(kHandoffKinds, n);
}
std::string_view to_string(HandoffMode v) {
  return name_of(kHandoffModes, v);
}
std::optional<HandoffMode> parse_handoff_mode(std::string_view n) {
  return parse_name(kHandoffModes, n);
}

std::string_view to_string(ConsentState v) {
  return name_of(kConsentStates, v);
}
std::optional<ConsentState> parse_consent_state(std::string_view n) {
  return parse_name(kConsentStates, n);
}
std::string_view to_string(Urgency v) {
  return name_of(kUrgencies, v);
}
std::optional<Urgency> parse_urgency(std::string_view n) {
  return parse_name(kUrgencies, n);
}

}  // namespace omni
