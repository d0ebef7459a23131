// omni/message.h — what enters omni (a normalized inbound message) and what leaves it (an
// outbound reply). Reference parsers turn provider payloads into InboundMessage.
//
// Thread-safety: plain values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "omni/clock.h"
#include "omni/contact.h"
#include "omni/customer.h"
#include "omni/ids.h"
#include "omni/routing.h"
#include "omni/touchpoint.h"

namespace omni {

struct InboundMessage {
  TenantId tenant;
  ChannelId channel;
  IdentityInput from;        // who wrote or called; normalized and resolved by the engine
  std::string display_name;  // used when the identity is new
  // Required: the provider's id for this message. With the channel it makes receive
  // idempotent: a retried delivery is stored once.
  std::string provider_message_id;
  // kMessageIn by default; also kCall, kVideoSession, kKnowledgeBaseView, kIvrChoice, kBotTurn.
  TouchpointKind kind = TouchpointKind::kMessageIn;
  std::string subject;
  std::string body;  // UTF-8, at most EngineOptions::max_body_bytes
  std::vector<Attachment> attachments;
  std::map<std::string, std::string> metadata;
  std::optional<Timestamp> occurred_at;  // defaults to the engine clock's now()
  // Provider message ids of earlier messages on the same channel this one answers, nearest
  // first (an email's In-Reply-To, then its References from the newest). When one of them is
  // a touchpoint of the customer's, the message joins that touchpoint's conversation.
  std::vector<std::string> references;
  // What the host already knows about the case (the number called, the chat widget's queue, a
  // detected language): applied when this message opens or reopens a conversation, before
  // routing looks for an agent in the same transaction. Ignored for a message that joins an
  // active conversation (use Engine::set_routing to change one).
  std::optional<RoutingRequirements> routing;
};

struct ReceiveResult {
  CustomerId customer;
  ConversationId conversation;
  TouchpointId touchpoint;
  bool duplicate = false;         // this (channel, provider_message_id) was stored before
  bool new_customer = false;      // the identity was unknown
  bool new_conversation = false;  // no active conversation on any channel
  bool reopened = false;          // a resolved conversation was reopened
  // Set when this message changed the sender's consent for the channel's kind: an opt-out or
  // opt-in keyword, or a first message that granted it (EngineOptions::opt_out_keywords).
  std::optional<ConsentState> consent;
};

struct OutboundMessage {
  TenantId tenant;
  ConversationId conversation;
  // The channel to answer on; defaults to the conversation's current channel.
  std::optional<ChannelId> channel;
  std::optional<AgentId> agent;  // the author
  std::string subject;
  std::string body;
  std::vector<Attachment> attachments;
};

}  // namespace omni
