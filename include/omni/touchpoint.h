// omni/touchpoint.h — everything on a customer's timeline.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/channel.h"
#include "omni/clock.h"
#include "omni/export.h"
#include "omni/ids.h"

namespace omni {

enum class TouchpointKind {
  kMessageIn,     // a message from the customer
  kMessageOut,    // a message to the customer
  kCall,          // a phone call (either direction)
  kVideoSession,  // a video call
  kNote,          // an internal note; never shown to the customer
  kKnowledgeBaseView,
  kIvrChoice,
  kBotTurn,
  kStatusChange,      // the conversation changed status (opened, pending, resolved, reopened, ...)
  kHandoff,           // a handoff was recorded; handoff_id says which
  kPreferenceChange,  // the customer's contact preferences or consent changed
};
// "message_in", "message_out", "call", "video_session", "note", "kb_view", "ivr_choice",
// "bot_turn", "status_change", "handoff", "preference_change".
OMNI_EXPORT std::string_view to_string(TouchpointKind kind);
OMNI_EXPORT std::optional<TouchpointKind> parse_touchpoint_kind(std::string_view name);

// Kinds a customer can originate through Engine::receive.
OMNI_EXPORT bool is_inbound_kind(TouchpointKind kind);

enum class DeliveryStatus {
  kNone,       // not an outbound message
  kQueued,     // recorded, not yet handed to the adapter
  kSent,       // the adapter accepted it
  kDelivered,  // the provider reports delivery
  kRead,       // the provider reports it was read
  kFailed,     // the adapter or provider gave up
};
// "none", "queued", "sent", "delivered", "read", "failed".
OMNI_EXPORT std::string_view to_string(DeliveryStatus status);
OMNI_EXPORT std::optional<DeliveryStatus> parse_delivery_status(std::string_view name);

struct Attachment {
  std::string filename;
  std::string content_type;
  std::uint64_t size_bytes = 0;
  std::string sha256;  // hex of the content, when known
};

struct Touchpoint {
  TouchpointId id;
  TenantId tenant;
  CustomerId customer;
  std::optional<ConversationId> conversation;  // absent for e.g. a KB view outside any case
  std::optional<ChannelId> channel;            // absent for notes and status changes
  ChannelKind channel_kind = ChannelKind::kWeb;
  TouchpointKind kind = TouchpointKind::kMessageIn;
  std::optional<AgentId> agent;  // author of outbound messages and notes, agent on a call
  std::optional<HandoffId> handoff;
  // The identity an inbound touchpoint came from (set by Engine::receive); what lets an unmerge
  // give a merged customer back what arrived through its identities after the merge.
  std::optional<IdentityId> identity;
  std::string subject;
  std::string body;
  std::vector<Attachment> attachments;
  std::map<std::string, std::string> metadata;
  // The provider's message id; with the channel it is the idempotency key of an inbound message.
  std::string provider_message_id;
  DeliveryStatus delivery = DeliveryStatus::kNone;
  Timestamp occurred_at;  // when it happened, as the provider says
  Timestamp recorded_at;  // when omni stored it
};

}  // namespace omni
