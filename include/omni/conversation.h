// omni/conversation.h — a case: one customer, many channels.
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "omni/clock.h"
#include "omni/export.h"
#include "omni/ids.h"

namespace omni {

// open -> pending (waiting on the customer) -> open -> resolved -> closed; resolved may be
// reopened (by the customer writing again within EngineOptions::reopen_window, or explicitly);
// closed is final.
enum class ConversationStatus { kOpen, kPending, kResolved, kClosed };
// "open", "pending", "resolved", "closed"
OMNI_EXPORT std::string_view to_string(ConversationStatus status);
OMNI_EXPORT std::optional<ConversationStatus> parse_conversation_status(std::string_view name);
// Open or pending: the customer's one active case.
inline bool is_active(ConversationStatus s) {
  return s == ConversationStatus::kOpen || s == ConversationStatus::kPending;
}

enum class Priority { kLow, kNormal, kHigh, kUrgent };
OMNI_EXPORT std::string_view to_string(Priority priority);  // "low", "normal", "high", "urgent"
OMNI_EXPORT std::optional<Priority> parse_priority(std::string_view name);

struct Conversation {
  ConversationId id;
  TenantId tenant;
  CustomerId customer;
  ConversationStatus status = ConversationStatus::kOpen;
  Priority priority = Priority::kNormal;
  std::optional<AgentId> assignee;
  std::string team;
  std::string subject;
  ChannelId origin_channel;   // where the case began
  ChannelId current_channel;  // where it continues now
  Timestamp opened_at;
  Timestamp updated_at;
  std::optional<Timestamp> first_response_at;  // set once, by the first agent reply
  std::optional<Timestamp> last_inbound_at;
  std::optional<Timestamp> last_outbound_at;
  std::optional<Timestamp> resolved_at;
  std::optional<Timestamp> closed_at;
  int reopen_count = 0;
  // Whether new contact from the customer joins this conversation. A customer has at most one
  // joinable active conversation (the store enforces it); an active conversation that is not
  // joinable still waits for its agent but takes no new messages: one that came with a merged
  // customer, or one left behind under ContactJoinPolicy::kWithinWindow.
  bool joinable = true;
  // Set when this conversation was merged into another (Engine::merge_conversations); it is then
  // closed and its touchpoints and handoffs live on in that conversation.
  std::optional<ConversationId> merged_into;
};

}  // namespace omni
