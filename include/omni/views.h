// omni/views.h — what the engine returns to an agent's screen: the customer view, a page of the
// timeline and the conversation view.
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <vector>

#include "omni/agent.h"
#include "omni/contact.h"
#include "omni/conversation.h"
#include "omni/crm.h"
#include "omni/customer.h"
#include "omni/handoff.h"
#include "omni/sys/store.h"
#include "omni/touchpoint.h"

namespace omni {

struct CustomerView {
  Customer customer;
  std::vector<Identity> identities;
  std::vector<Conversation> active_conversations;  // open or pending, newest first
  std::vector<Conversation> recent_conversations;  // newest first, all statuses
  std::optional<Agent> last_agent;                 // who last replied, took a call or wrote a note
  std::vector<Touchpoint> notes;  // the newest internal notes across conversations, newest first
  // The consent of each of the customer's addresses (Customer::preferences has the rest).
  std::vector<Consent> consents;
  // The host CRM's account, orders and contracts (Engine::set_crm_provider); kMissing, with the
  // reason, when the CRM failed or did not answer within EngineOptions::crm_timeout.
  CrmSnapshot crm;
};

struct TimelineQuery {
  TenantId tenant;
  CustomerId customer;
  std::optional<ConversationId> conversation;  // restrict to one conversation
  std::optional<TimelineCursor> cursor;        // exclusive; absent = start at an end
  TimelineDirection direction = TimelineDirection::kOlder;
  std::size_t limit = 50;  // 1 .. EngineOptions::max_page_size
};

struct TimelinePage {
  // Always oldest first, whatever the direction of the query.
  std::vector<Touchpoint> touchpoints;
  // Cursors for the neighbouring pages; absent when there is nothing there.
  std::optional<TimelineCursor> older;
  std::optional<TimelineCursor> newer;
};

struct ConversationView {
  Conversation conversation;
  Customer customer;
  std::optional<Agent> assignee;
  std::vector<Handoff> handoffs;        // oldest first
  std::vector<Touchpoint> touchpoints;  // the newest, oldest first (at most max_page_size)
  bool more_history = false;            // older touchpoints exist beyond `touchpoints`
  CrmSnapshot crm;                      // as in CustomerView
};

}  // namespace omni
