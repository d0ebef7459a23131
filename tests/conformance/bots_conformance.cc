// Bots on every backend: a registered bot answers a live chat first (its message goes through
// the adapter and sets no first response), escalates to the humans' team with the transcript in
// the handoff's context packet, and routing offers the conversation to a person; a failing or
// throwing bot leaves receive() ok and the conversation unchanged; registration errors.
#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixture.h"
#include "omni/bot.h"

namespace omni::testing {
void link_bots_conformance() {}
namespace {

// Answers with the scripted replies in turn; remembers the turns it saw.
class ScriptedBot : public BotResponder {
 public:
  std::vector<BotReply> script;
  std::vector<BotTurn> turns;
  bool throw_instead = false;
  Result<BotReply> respond(const BotTurn& turn) override {
    turns.push_back(turn);
    if (throw_instead) throw std::runtime_error("model unavailable");
    if (turns.size() > script.size()) return Status::unavailable("script is over");
    return script[turns.size() - 1];
  }
};

BotReply answer(const std::string& text) {
  BotReply r;
  r.text = text;
  return r;
}

// The recommended setup: new chats go to team "bots" (the bot alone), escalations to "humans".
void setup_teams(World& w) {
  AgentUpdate bot_update;
  bot_update.teams = std::vector<std::string>{"bots"};
  bot_update.capacity = AgentCapacity{100, 100};
  World::must(w.engine->update_agent(w.tenant.id, w.bot.id, bot_update));
  AgentUpdate human;
  human.teams = std::vector<std::string>{"humans"};
  World::must(w.engine->update_agent(w.tenant.id, w.alice.id, human));
}

InboundMessage chat(const World& w, const std::string& id, const std::string& body) {
  InboundMessage m = w.message(w.chat, IdentityKind::kWebVisitor, "visitor-42", id, body);
  m.routing = RoutingRequirements{};
  m.routing->team = "bots";
  return m;
}

TEST_CASE("a bot answers a chat first and escalates to a human with the transcript",
          "[conformance][bots]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  setup_teams(w);
  ScriptedBot bot;
  bot.script.push_back(answer("Have you tried turning it off and on again?"));
  BotReply escalate = answer("I am passing you to a colleague.");
  escalate.escalate = true;
  escalate.to_team = "humans";
  escalate.reason = "customer asks for a person";
  escalate.tried = {"restart"};
  escalate.open_questions = {"router model"};
  bot.script.push_back(escalate);
  OMNI_REQUIRE_OK(w.engine->register_bot(w.tenant.id, w.bot.id, &bot));

  // 1. The bot answers first: routing offered the chat to the bot, which took it.
  ReceiveResult first = w.receive(chat(w, "c1", "My internet is down"));
  REQUIRE(bot.turns.size() == 1);
  CHECK(bot.turns[0].text == "My internet is down");
  CHECK(bot.turns[0].bot == w.bot.id);
  CHECK(bot.turns[0].inbound == first.touchpoint);
  REQUIRE_FALSE(bot.turns[0].transcript.empty());
  CHECK(bot.turns[0].transcript.back().author == "customer");
  auto sent = w.adapter.sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body == "Have you tried turning it off and on again?");
  CHECK(sent[0].conversation == first.conversation);
  Conversation c =
      World::must(w.engine->conversation_view(w.tenant.id, first.conversation)).conversation;
  CHECK(c.assignee == w.bot.id);
  CHECK_FALSE(c.first_response_at.has_value());  // a bot's answer is self-service

  // Asking again without a new message does nothing: the bot answered the newest one.
  BotRun again = World::must(w.engine->run_bot(w.tenant.id, first.conversation));
  CHECK_FALSE(again.ran);
  CHECK(bot.turns.size() == 1);

  // 2. The customer insists; the bot says so and escalates to the humans' team.
  w.clock.advance(std::chrono::seconds(20));
  ReceiveResult second = w.receive(chat(w, "c2", "Still down. I want a person."));
  CHECK(second.conversation == first.conversation);
  REQUIRE(bot.turns.size() == 2);
  CHECK(bot.turns[1].transcript.size() >= 3);  // message, bot's answer, message
  sent = w.adapter.sent();
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].body == "I am passing you to a colleague.");

  ConversationView view = World::must(w.engine->conversation_view(w.tenant.id, first.conversation));
  CHECK(view.conversation.team == "humans");
  CHECK_FALSE(view.conversation.assignee.has_value());
  CHECK(view.conversation.offered_to == w.alice.id);  // routing offers it to a person
  CHECK_FALSE(view.conversation.first_response_at.has_value());
  REQUIRE(view.handoffs.size() == 1);
  const Handoff& h = view.handoffs[0];
  CHECK(h.kind == HandoffKind::kBotToHuman);
  CHECK(h.from_agent == w.bot.id);
  CHECK(h.to_team == "humans");
  CHECK(h.reason == "customer asks for a person");
  CHECK(h.context.tried == std::vector<std::string>{"restart"});
  CHECK(h.context.open_questions == std::vector<std::string>{"router model"});
  // The transcript: the customer's messages and the bot's answers.
  std::vector<std::string> customer_said, bot_said;
  for (const ContextEntry& e : h.context.recent) {
    if (e.author == "customer") customer_said.push_back(e.excerpt);
    if (e.author == w.bot.name) bot_said.push_back(e.excerpt);
  }
  CHECK(customer_said ==
        std::vector<std::string>{"My internet is down", "Still down. I want a person."});
  CHECK(bot_said == std::vector<std::string>{"Have you tried turning it off and on again?",
                                             "I am passing you to a colleague."});

  // The person answers: now the first response is set, and the bot is no longer asked.
  World::must(w.engine->accept_offer(w.tenant.id, first.conversation, w.alice.id));
  OutboundMessage reply;
  reply.tenant = w.tenant.id;
  reply.conversation = first.conversation;
  reply.agent = w.alice.id;
  reply.body = "Hi, Alice here.";
  World::must(w.engine->send(reply));
  w.receive(chat(w, "c3", "Thanks"));
  CHECK(bot.turns.size() == 2);
  c = World::must(w.engine->conversation_view(w.tenant.id, first.conversation)).conversation;
  CHECK(c.first_response_at.has_value());
}

TEST_CASE("a throwing or failing bot leaves receive ok and the conversation unchanged",
          "[conformance][bots]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  setup_teams(w);
  ScriptedBot bot;
  OMNI_REQUIRE_OK(w.engine->register_bot(w.tenant.id, w.bot.id, &bot));

  SECTION("throws") {
    bot.throw_instead = true;
  }
  SECTION("returns an error") {}  // the script is empty: kUnavailable
  SECTION("escalates nowhere") {
    BotReply r;
    r.escalate = true;
    bot.script.push_back(r);
  }

  ReceiveResult received = w.receive(chat(w, "c1", "Hello?"));
  CHECK(bot.turns.size() == 1);
  CHECK(w.adapter.sent().empty());
  Conversation c =
      World::must(w.engine->conversation_view(w.tenant.id, received.conversation)).conversation;
  CHECK(c.offered_to == w.bot.id);  // still the offer routing made; nothing was accepted
  CHECK_FALSE(c.assignee.has_value());
  auto events = World::must(w.engine->events(w.tenant.id, 0, 500));
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().type == "bot.failed");
  CHECK(events.back().conversation == received.conversation);

  // Called directly the error comes back (kInternal for an exception).
  auto run = w.engine->run_bot(w.tenant.id, received.conversation);
  REQUIRE_FALSE(run.ok());
  if (bot.throw_instead) CHECK(run.status().code() == StatusCode::kInternal);
}

TEST_CASE("bots: registration errors and conversations no bot holds", "[conformance][bots]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ScriptedBot bot;
  CHECK(w.engine->register_bot(w.tenant.id, w.alice.id, &bot).code() ==
        StatusCode::kFailedPrecondition);
  CHECK(w.engine->register_bot(w.tenant.id, AgentId(999999), &bot).code() == StatusCode::kNotFound);
  CHECK(w.engine->register_bot(w.tenant.id, w.bot.id, nullptr).code() ==
        StatusCode::kInvalidArgument);
  Tenant other = World::must(w.engine->create_tenant("globex"));
  CHECK(w.engine->register_bot(other.id, w.bot.id, &bot).code() == StatusCode::kNotFound);
  CHECK(w.engine->unregister_bot(w.tenant.id, w.bot.id).code() == StatusCode::kNotFound);

  // A conversation a person holds is not the bot's (received before the bot was registered:
  // routing may have offered it to any agent, the bot among them).
  ReceiveResult r = w.receive(w.sms_from("+4915112345678", "s1"));
  OMNI_REQUIRE_OK(w.engine->assign(w.tenant.id, r.conversation, w.alice.id));
  OMNI_REQUIRE_OK(w.engine->register_bot(w.tenant.id, w.bot.id, &bot));
  BotRun run = World::must(w.engine->run_bot(w.tenant.id, r.conversation));
  CHECK_FALSE(run.ran);
  CHECK(bot.turns.empty());

  // Assigned to the bot, it answers when asked; unregistered, it is not asked any more.
  OMNI_REQUIRE_OK(w.engine->assign(w.tenant.id, r.conversation, w.bot.id));
  bot.script.push_back(answer("Hello from the bot"));
  run = World::must(w.engine->run_bot(w.tenant.id, r.conversation));
  CHECK(run.ran);
  REQUIRE(run.reply.has_value());
  CHECK(run.reply->agent == w.bot.id);
  CHECK(run.reply->body == "Hello from the bot");
  OMNI_REQUIRE_OK(w.engine->unregister_bot(w.tenant.id, w.bot.id));
  w.receive(w.sms_from("+4915112345678", "s2", "more"));
  CHECK(bot.turns.size() == 1);
  CHECK(w.engine->run_bot(w.tenant.id, ConversationId(999999)).status().code() ==
        StatusCode::kNotFound);
}

}  // namespace
}  // namespace omni::testing
