// omni/conversation.h — a case: one customer, many channels.
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/clock.h"
#include "omni/export.h"
#include "omni/ids.h"
#include "omni/routing.h"
#include "omni/sla.h"

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

  // --- routing. The engine keeps these; a host reads them.
  // The class of current_channel (its profile's `synchronous`): which of an agent's slots the
  // conversation holds.
  RoutingClass routing_class = RoutingClass::kAsynchronous;
  // Requirements an agent must meet (Engine::set_routing): every skill, and the language.
  std::vector<std::string> skills;
  std::string language;
  // Set while the conversation is open without an assignee: since when it waits. It keeps its
  // place in the queue while offers are declined or time out.
  std::optional<Timestamp> queued_at;
  // The outstanding offer: to whom, until when.
  std::optional<AgentId> offered_to;
  std::optional<Timestamp> offer_expires_at;
  // Agents who declined it or let an offer time out since it last began waiting; routing passes
  // them over while another eligible agent is free.
  std::vector<AgentId> passed_over;
  // The agent who last served the customer, and until when the conversation waits for them.
  std::optional<AgentId> preferred_agent;
  std::optional<Timestamp> sticky_until;
  SlaState sla;
  // The earliest instant something falls due: the offer's expiry, the end of the sticky wait, an
  // SLA warning or breach. Engine::run_due handles what is due.
  std::optional<Timestamp> next_timer_at;
  // Handoffs recorded on this conversation.
  int handoff_count = 0;

  // Waiting for an agent and not offered to one: in the queue.
  bool waiting() const { return status == ConversationStatus::kOpen && !assignee && !offered_to; }
};

}  // namespace omni
