// omni/bot.h — self-service first: a bot the host implements answers a conversation before a
// person does, and escalates to a person with the transcript (Engine::register_bot,
// Engine::run_bot; docs/integration.md, "Bots").
//
// Thread-safety: the engine calls respond() on the thread that called Engine::run_bot (or
// Engine::receive, EngineOptions::run_bots_on_receive), never while it holds an engine lock or a
// store transaction. Calls for different conversations may overlap: respond() must be safe to
// call from several threads at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "omni/export.h"
#include "omni/handoff.h"
#include "omni/ids.h"
#include "omni/status.h"
#include "omni/touchpoint.h"

namespace omni {

// What the bot is asked about: the newest inbound message of a conversation it holds.
struct BotTurn {
  TenantId tenant;
  ConversationId conversation;
  CustomerId customer;
  AgentId bot;                                   // the bot agent holding the conversation
  TouchpointId inbound;                          // the message to answer
  ChannelKind channel_kind = ChannelKind::kWeb;  // where it arrived
  std::string text;                              // its body, whole
  // The conversation's last touchpoints (EngineOptions::bot_transcript_touchpoints), oldest
  // first, the inbound message last; authors are "customer", agent names (the bot's own earlier
  // answers among them) or "omni"; excerpts are cut at EngineOptions::context_excerpt_bytes.
  std::vector<ContextEntry> transcript;
};

// The bot's answer. Text and escalation may come together: the text is sent first ("I'm passing
// you to a colleague"), then the conversation is handed to a person.
struct BotReply {
  std::string text;       // sent to the customer as the bot's message; empty: nothing is sent
  bool escalate = false;  // hand the conversation to a human (HandoffKind::kBotToHuman)
  // Where to: a human agent, or a team whose queue routing serves (one of them is required
  // when escalate is set).
  std::optional<AgentId> to_agent;
  std::string to_team;
  std::string reason;  // default "escalated by bot"
  std::vector<std::string> open_questions;
  std::vector<std::string> tried;
};

// Implemented by the host. Abstract and non-copyable.
class OMNI_EXPORT BotResponder {
 public:
  BotResponder() = default;
  BotResponder(const BotResponder&) = delete;
  BotResponder& operator=(const BotResponder&) = delete;
  virtual ~BotResponder();

  // Must provide. Answers one turn. An error (or an exception, caught by the engine and turned
  // into kInternal) changes nothing on the conversation; the engine reports it as a bot.failed
  // event. May block (a model call); the engine holds no lock meanwhile.
  virtual Result<BotReply> respond(const BotTurn& turn) = 0;
};

// What Engine::run_bot did.
struct BotRun {
  // False when nothing was asked: no registered bot holds the conversation (assignee or
  // outstanding offer), it has no inbound message, or the bot already answered the newest one.
  bool ran = false;
  std::optional<AgentId> bot;
  std::optional<TouchpointId> inbound;  // the message the bot answered
  std::optional<Touchpoint> reply;      // the bot's message as sent (or queued)
  std::optional<Handoff> handoff;       // the escalation
};

}  // namespace omni
