// Routing on every backend: capacity per channel class, offers (accept, decline, timeout),
// priority then longest waiting, skills, language and team, least loaded and round robin, the
// sticky preference and its fallback, SLA clocks on business hours, and capacity under many
// threads receiving and routing at once.
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "fixture.h"
#include "omni/sys/store.h"

namespace omni::testing {
void link_routing_conformance() {}
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

std::vector<Event> events_of(World& w, const std::string& type) {
  std::vector<Event> out;
  std::int64_t after = 0;
  for (;;) {
    auto page = World::must(w.engine->events(w.tenant.id, after, 500));
    for (const auto& e : page) {
      if (e.type == type) out.push_back(e);
    }
    if (page.size() < 500) return out;
    after = page.back().sequence;
  }
}

Agent fresh(World& w, const Agent& a) {
  return World::must(w.engine->get_agent(w.tenant.id, a.id));
}

Conversation conversation(World& w, ConversationId id) {
  return World::must(w.engine->conversation_view(w.tenant.id, id)).conversation;
}

// Only `available` take work; the others go offline.
void only(World& w, std::initializer_list<const Agent*> available) {
  for (const Agent* a : {&w.alice, &w.bob, &w.carol, &w.bot}) {
    bool keep = false;
    for (const Agent* k : available)
      keep = keep || k->id == a->id;
    OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, a->id,
                                           keep ? Presence::kAvailable : Presence::kOffline));
  }
}

void direct_assignment(World& w, RoutingStrategy strategy = RoutingStrategy::kLeastLoaded) {
  RoutingPolicy p;
  p.offer_timeout = seconds(0);
  p.strategy = strategy;
  OMNI_REQUIRE_OK(w.engine->set_routing_policy(w.tenant.id, "", p));
}

InboundMessage email_from(World& w, const std::string& address, const std::string& id) {
  return w.message(w.email, IdentityKind::kEmail, address, id, "question from " + address);
}
InboundMessage chat_from(World& w, const std::string& visitor, const std::string& id) {
  return w.message(w.chat, IdentityKind::kWebVisitor, visitor, id, "hi from " + visitor);
}

void set_capacity(World& w, const Agent& a, int sync, int async) {
  AgentUpdate u;
  u.capacity = AgentCapacity{sync, async};
  OMNI_REQUIRE_OK(w.engine->update_agent(w.tenant.id, a.id, u));
}

TEST_CASE("routing: an agent never gets more than its capacity per channel class",
          "[conformance][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {});
  direct_assignment(w);
  set_capacity(w, w.alice, 1, 2);
  only(w, {&w.alice});

  std::vector<ConversationId> emails;
  for (int i = 0; i < 3; ++i) {
    w.clock.advance(seconds(1));
    emails.push_back(
        w.receive(email_from(w, "c" + std::to_string(i) + "@example.com", "e" + std::to_string(i)))
            .conversation);
  }
  CHECK(conversation(w, emails[0]).assignee == w.alice.id);
  CHECK(conversation(w, emails[1]).assignee == w.alice.id);
  Conversation third = conversation(w, emails[2]);
  CHECK_FALSE(third.assignee);
  CHECK(third.waiting());
  CHECK(third.queued_at);
  CHECK(fresh(w, w.alice).load.asynchronous == 2);

  // A live chat takes the synchronous slot, beside the full asynchronous ones; a second waits.
  ConversationId chat1 = w.receive(chat_from(w, "visitor-1", "ch1")).conversation;
  ConversationId chat2 = w.receive(chat_from(w, "visitor-2", "ch2")).conversation;
  CHECK(conversation(w, chat1).routing_class == RoutingClass::kSynchronous);
  CHECK(conversation(w, chat1).assignee == w.alice.id);
  CHECK_FALSE(conversation(w, chat2).assignee);
  Agent alice = fresh(w, w.alice);
  CHECK(alice.load.synchronous == 1);
  CHECK(alice.load.asynchronous == 2);

  // A supervisor cannot overload her either.
  Status forced = w.engine->assign(w.tenant.id, emails[2], w.alice.id);
  CHECK(forced.is(StatusCode::kResourceExhausted));
  CHECK_FALSE(conversation(w, emails[2]).assignee);

  // Resolving frees a slot, and the queue fills it: the longest waiting email.
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, emails[0]));
  CHECK(conversation(w, emails[2]).assignee == w.alice.id);
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, chat1));
  CHECK(conversation(w, chat2).assignee == w.alice.id);
  alice = fresh(w, w.alice);
  CHECK(alice.load.synchronous == 1);
  CHECK(alice.load.asynchronous == 2);

  // Pending still holds the slot (the customer's answer must find the agent free).
  OMNI_REQUIRE_OK(w.engine->set_pending(w.tenant.id, emails[1]));
  CHECK(fresh(w, w.alice).load.asynchronous == 2);
}

TEST_CASE("routing: offers are accepted, declined or time out and go to the next agent",
          "[conformance][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {&w.alice, &w.bob});
  const ConversationId id = w.receive(email_from(w, "ann@example.com", "o1")).conversation;
  Conversation c = conversation(w, id);
  REQUIRE(c.offered_to);
  const AgentId first = *c.offered_to;
  const AgentId second = first == w.alice.id ? w.bob.id : w.alice.id;
  CHECK(c.offer_expires_at == w.clock.now() + seconds(30));
  CHECK_FALSE(c.assignee);
  CHECK(fresh(w, first.value() == w.alice.id.value() ? w.alice : w.bob).load.asynchronous == 1);

  // Only the agent it is offered to can take it.
  CHECK(
      w.engine->accept_offer(w.tenant.id, id, second).status().is(StatusCode::kFailedPrecondition));
  CHECK(w.engine->accept_offer(w.tenant.id, id, w.carol.id)
            .status()
            .is(StatusCode::kFailedPrecondition));

  w.clock.advance(seconds(5));
  RoutingDecision declined = World::must(w.engine->decline_offer(w.tenant.id, id, first, "busy"));
  CHECK(declined.outcome == RoutingOutcome::kOffered);
  CHECK(declined.agent == second);
  CHECK(events_of(w, "conversation.offer_declined").size() == 1);

  // The second lets it time out: handled at exactly the expiry, not a microsecond before.
  c = conversation(w, id);
  const Timestamp expiry = *c.offer_expires_at;
  CHECK(World::must(w.engine->next_due(w.tenant.id)) == std::optional<Timestamp>(expiry));
  w.clock.set(expiry - microseconds(1));
  TimerRun early = World::must(w.engine->run_due(w.tenant.id));
  CHECK(early.offers_expired == 0);
  CHECK(conversation(w, id).offered_to == second);
  w.clock.set(expiry);
  TimerRun run = World::must(w.engine->run_due(w.tenant.id));
  CHECK(run.offers_expired == 1);
  auto expired = events_of(w, "conversation.offer_expired");
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].created_at == expiry);
  // Both passed it over and nobody else is available: it goes round again, to one of them.
  REQUIRE(run.decisions.size() == 1);
  CHECK(run.decisions[0].outcome == RoutingOutcome::kOffered);
  c = conversation(w, id);
  REQUIRE(c.offered_to);
  CHECK(c.passed_over.size() == 2);

  // A third agent who comes back is preferred over those who passed it over.
  World::must(w.engine->decline_offer(w.tenant.id, id, *c.offered_to, "still busy"));
  OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, w.carol.id, Presence::kAvailable));
  c = conversation(w, id);
  if (c.offered_to != w.carol.id) {
    // Declining re-offered it before carol was back; the next expiry hands it to her.
    w.clock.set(*c.offer_expires_at);
    World::must(w.engine->run_due(w.tenant.id));
    c = conversation(w, id);
  }
  CHECK(c.offered_to == w.carol.id);
  Conversation taken = World::must(w.engine->accept_offer(w.tenant.id, id, w.carol.id));
  CHECK(taken.assignee == w.carol.id);
  CHECK_FALSE(taken.offered_to);
  CHECK_FALSE(taken.queued_at);
  CHECK(fresh(w, w.carol).load.asynchronous == 1);
  CHECK(fresh(w, w.alice).load.asynchronous == 0);
  CHECK(fresh(w, w.bob).load.asynchronous == 0);
}

TEST_CASE("routing: priority first, then the longest waiting", "[conformance][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {});
  direct_assignment(w);
  set_capacity(w, w.alice, 1, 1);
  std::vector<ConversationId> ids;
  for (int i = 0; i < 4; ++i) {
    w.clock.advance(minutes(1));
    ids.push_back(
        w.receive(email_from(w, "p" + std::to_string(i) + "@example.com", "p" + std::to_string(i)))
            .conversation);
  }
  RoutingRequirements urgent;
  urgent.priority = Priority::kUrgent;
  World::must(w.engine->set_routing(w.tenant.id, ids[2], urgent));
  RoutingRequirements low;
  low.priority = Priority::kLow;
  World::must(w.engine->set_routing(w.tenant.id, ids[0], low));

  OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, w.alice.id, Presence::kAvailable));
  std::vector<ConversationId> served;
  for (int i = 0; i < 4; ++i) {
    std::optional<ConversationId> mine;
    for (auto id : ids) {
      if (conversation(w, id).assignee == w.alice.id &&
          conversation(w, id).status == ConversationStatus::kOpen) {
        mine = id;
      }
    }
    REQUIRE(mine);
    served.push_back(*mine);
    OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, *mine));
  }
  // urgent, then the normal ones oldest first, then the low one.
  CHECK(served == std::vector<ConversationId>{ids[2], ids[1], ids[3], ids[0]});
}

TEST_CASE("routing: skills, language and team decide who is eligible", "[conformance][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {});
  direct_assignment(w);
  AgentUpdate alice;
  alice.skills = std::vector<std::string>{"billing"};
  alice.languages = std::vector<std::string>{"en"};
  World::must(w.engine->update_agent(w.tenant.id, w.alice.id, alice));
  AgentUpdate bob;
  bob.skills = std::vector<std::string>{"billing", "returns"};
  bob.languages = std::vector<std::string>{"de-AT", "en"};
  World::must(w.engine->update_agent(w.tenant.id, w.bob.id, bob));
  AgentUpdate carol;
  carol.teams = std::vector<std::string>{"vip"};
  carol.languages = std::vector<std::string>{"de"};
  World::must(w.engine->update_agent(w.tenant.id, w.carol.id, carol));

  ConversationId german = w.receive(email_from(w, "kunde@example.de", "g1")).conversation;
  ConversationId vip = w.receive(email_from(w, "vip@example.com", "v1")).conversation;
  RoutingRequirements needs_german_billing;
  needs_german_billing.skills = std::vector<std::string>{"billing"};
  needs_german_billing.language = "de";
  World::must(w.engine->set_routing(w.tenant.id, german, needs_german_billing));
  RoutingRequirements vip_team;
  vip_team.team = "vip";
  World::must(w.engine->set_routing(w.tenant.id, vip, vip_team));

  ConversationId nobody = w.receive(email_from(w, "x@example.com", "n1")).conversation;
  RoutingRequirements impossible;
  impossible.skills = std::vector<std::string>{"legal"};
  World::must(w.engine->set_routing(w.tenant.id, nobody, impossible));

  only(w, {&w.alice, &w.bob, &w.carol});
  // "de" is spoken by bob ("de-AT") and carol ("de"), but only bob has the skill.
  CHECK(conversation(w, german).assignee == w.bob.id);
  CHECK(conversation(w, vip).assignee == w.carol.id);

  // Nobody qualifies: it waits rather than going to the wrong agent.
  Conversation c = conversation(w, nobody);
  CHECK_FALSE(c.assignee);
  CHECK(c.waiting());
  RoutingDecision d = World::must(w.engine->route(w.tenant.id, nobody));
  CHECK(d.outcome == RoutingOutcome::kQueued);
}

TEST_CASE("routing: requirements given with the opening message route it right away",
          "[conformance][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {});
  direct_assignment(w);
  AgentUpdate vip;
  vip.teams = std::vector<std::string>{"vip"};
  vip.languages = std::vector<std::string>{"de"};
  World::must(w.engine->update_agent(w.tenant.id, w.carol.id, vip));
  SlaPolicy urgent_sla;
  urgent_sla.priority = Priority::kUrgent;
  urgent_sla.first_response = minutes(15);
  OMNI_REQUIRE_OK(w.engine->set_sla_policy(w.tenant.id, urgent_sla));
  only(w, {&w.alice, &w.bob, &w.carol});

  InboundMessage m = email_from(w, "vip@example.de", "vip1");
  m.routing =
      RoutingRequirements{std::string("vip"), std::string("de"), std::nullopt, Priority::kUrgent};
  ReceiveResult r = w.receive(m);
  Conversation c = conversation(w, r.conversation);
  // Assigned in the receive's own transaction, to the only agent who qualifies.
  CHECK(c.assignee == w.carol.id);
  CHECK(c.team == "vip");
  CHECK(c.language == "de");
  CHECK(c.priority == Priority::kUrgent);
  CHECK(c.sla.policy == "*/urgent");
  CHECK(c.sla.first_response.due_at == c.opened_at + minutes(15));

  // A later message does not change them.
  InboundMessage later = email_from(w, "vip@example.de", "vip2");
  later.routing =
      RoutingRequirements{std::string("other"), std::nullopt, std::nullopt, Priority::kLow};
  w.receive(later);
  CHECK(conversation(w, r.conversation).team == "vip");
  CHECK(conversation(w, r.conversation).priority == Priority::kUrgent);

  // Bad requirements are refused before anything is stored.
  const std::size_t events = w.event_count();
  InboundMessage bad = email_from(w, "bad@example.com", "bad1");
  bad.routing = RoutingRequirements{};
  bad.routing->skills = std::vector<std::string>{""};
  auto refused = w.engine->receive(bad);
  CHECK(refused.status().is(StatusCode::kInvalidArgument));
  CHECK(refused.status().field() == "routing.skills");
  CHECK(w.event_count() == events);
}

TEST_CASE("routing: an offer withdrawn by new requirements is announced and the slot refilled",
          "[conformance][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {&w.alice});
  ReceiveResult first = w.receive(email_from(w, "w1@example.com", "w1"));
  CHECK(conversation(w, first.conversation).offered_to == w.alice.id);
  set_capacity(w, w.alice, 1, 1);
  w.clock.advance(seconds(1));
  ReceiveResult second = w.receive(email_from(w, "w2@example.com", "w2"));
  CHECK_FALSE(conversation(w, second.conversation).offered_to);  // alice is full

  RoutingRequirements legal;
  legal.skills = std::vector<std::string>{"legal"};
  World::must(w.engine->set_routing(w.tenant.id, first.conversation, legal));
  CHECK_FALSE(conversation(w, first.conversation).offered_to);
  auto withdrawn = events_of(w, "conversation.offer_withdrawn");
  REQUIRE(withdrawn.size() == 1);
  CHECK(withdrawn[0].conversation == first.conversation);
  // Alice's freed slot goes to the next case she qualifies for.
  CHECK(conversation(w, second.conversation).offered_to == w.alice.id);
}

TEST_CASE("routing: an agent who goes away loses its offers to the next agent",
          "[conformance][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {&w.alice});
  ReceiveResult r = w.receive(email_from(w, "away@example.com", "a1"));
  CHECK(conversation(w, r.conversation).offered_to == w.alice.id);
  OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, w.bob.id, Presence::kAvailable));

  OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, w.alice.id, Presence::kAway));
  CHECK(conversation(w, r.conversation).offered_to == w.bob.id);
  CHECK(fresh(w, w.alice).load.asynchronous == 0);
  auto withdrawn = events_of(w, "conversation.offer_withdrawn");
  REQUIRE(withdrawn.size() == 1);
  CHECK(withdrawn[0].conversation == r.conversation);

  // Nobody left: it waits, and the first agent back gets it.
  OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, w.bob.id, Presence::kOffline));
  Conversation c = conversation(w, r.conversation);
  CHECK_FALSE(c.offered_to);
  CHECK(c.waiting());
  CHECK(events_of(w, "conversation.offer_withdrawn").size() == 2);
  OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, w.alice.id, Presence::kAvailable));
  CHECK(conversation(w, r.conversation).offered_to == w.alice.id);
}

TEST_CASE("routing: least loaded counts open work, round robin takes turns",
          "[conformance][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {});
  direct_assignment(w);
  only(w, {&w.alice, &w.bob});
  // Alice gets two, bob one (least loaded, ties to whoever was routed to longest ago).
  std::map<std::int64_t, int> count;
  std::vector<ConversationId> ids;
  for (int i = 0; i < 3; ++i) {
    w.clock.advance(seconds(1));
    ConversationId id =
        w.receive(email_from(w, "l" + std::to_string(i) + "@example.com", "l" + std::to_string(i)))
            .conversation;
    ids.push_back(id);
    count[conversation(w, id).assignee->value()]++;
  }
  CHECK(count.size() == 2);
  // Resolved work is not load: resolve two of the more loaded agent's; it is now the least
  // loaded and gets the next one although it has served more in total.
  AgentId busier = count[w.alice.id.value()] == 2 ? w.alice.id : w.bob.id;
  AgentId other = busier == w.alice.id ? w.bob.id : w.alice.id;
  int resolved = 0;
  for (auto id : ids) {
    if (conversation(w, id).assignee == busier && resolved < 2) {
      OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, id));
      ++resolved;
    }
  }
  w.clock.advance(seconds(1));
  ConversationId next = w.receive(email_from(w, "l9@example.com", "l9")).conversation;
  CHECK(conversation(w, next).assignee == busier);

  // Round robin ignores load: the agent routed to longest ago goes next.
  direct_assignment(w, RoutingStrategy::kRoundRobin);
  w.clock.advance(seconds(1));
  ConversationId rr1 = w.receive(email_from(w, "r1@example.com", "r1")).conversation;
  CHECK(conversation(w, rr1).assignee == other);
  w.clock.advance(seconds(1));
  ConversationId rr2 = w.receive(email_from(w, "r2@example.com", "r2")).conversation;
  CHECK(conversation(w, rr2).assignee == busier);
}

TEST_CASE("routing: the customer's last agent is preferred within the sticky wait, then anyone",
          "[conformance][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {});
  direct_assignment(w);
  only(w, {&w.alice});
  // Anna's first case is served by alice.
  ReceiveResult first = w.receive(email_from(w, "anna@example.com", "s1"));
  CHECK(conversation(w, first.conversation).assignee == w.alice.id);
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, first.conversation));

  SECTION("honoured while the agent is free, even when another is less loaded") {
    // Alice carries two cases, bob none.
    w.receive(email_from(w, "load1@example.com", "s-load1"));
    w.receive(email_from(w, "load2@example.com", "s-load2"));
    CHECK(fresh(w, w.alice).load.asynchronous == 2);
    OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, w.bob.id, Presence::kAvailable));
    w.clock.advance(hours(24 * 30));  // past the reopen window: a new case
    ReceiveResult again = w.receive(email_from(w, "anna@example.com", "s2"));
    CHECK(again.new_conversation);
    Conversation c = conversation(w, again.conversation);
    CHECK(c.assignee == w.alice.id);
    CHECK(c.preferred_agent == w.alice.id);
    // Someone else's new case goes to the least loaded agent.
    ReceiveResult stranger = w.receive(email_from(w, "new@example.com", "s-new"));
    CHECK(conversation(w, stranger.conversation).assignee == w.bob.id);
  }

  SECTION("reserved for the sticky wait while the agent is away, then falls back") {
    OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, w.alice.id, Presence::kAway));
    OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, w.bob.id, Presence::kAvailable));
    w.clock.advance(hours(24 * 30));
    const Timestamp arrived = w.clock.now();
    ReceiveResult again = w.receive(email_from(w, "anna@example.com", "s3"));
    Conversation c = conversation(w, again.conversation);
    CHECK_FALSE(c.assignee);
    CHECK(c.preferred_agent == w.alice.id);
    CHECK(c.sticky_until == arrived + seconds(120));
    // Bob is free but the case waits for alice.
    CHECK(World::must(w.engine->fill(w.tenant.id, w.bob.id)).empty());
    CHECK(World::must(w.engine->route(w.tenant.id, again.conversation)).outcome ==
          RoutingOutcome::kReserved);

    SECTION("alice returns within the wait and gets it") {
      w.clock.advance(seconds(60));
      OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, w.alice.id, Presence::kAvailable));
      CHECK(conversation(w, again.conversation).assignee == w.alice.id);
    }
    SECTION("the wait ends at its exact instant and bob gets it") {
      w.clock.set(arrived + seconds(120) - microseconds(1));
      CHECK(World::must(w.engine->run_due(w.tenant.id)).sticky_expired == 0);
      CHECK_FALSE(conversation(w, again.conversation).assignee);
      w.clock.set(arrived + seconds(120));
      TimerRun run = World::must(w.engine->run_due(w.tenant.id));
      CHECK(run.sticky_expired == 1);
      CHECK(conversation(w, again.conversation).assignee == w.bob.id);
      auto expired = events_of(w, "conversation.sticky_expired");
      REQUIRE(expired.size() == 1);
      CHECK(expired[0].created_at == arrived + seconds(120));
    }
  }
}

TEST_CASE("routing: a change of channel class must fit the agent's capacity",
          "[conformance][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {});
  direct_assignment(w);
  only(w, {&w.alice});
  ReceiveResult chat = w.receive(chat_from(w, "visitor-9", "cc1"));
  CHECK(conversation(w, chat.conversation).assignee == w.alice.id);
  ReceiveResult mail = w.receive(email_from(w, "mail@example.com", "cc2"));
  CHECK(conversation(w, mail.conversation).assignee == w.alice.id);

  // Alice is on a live chat: she cannot take this case to the phone as well.
  HandoffSpec call;
  call.tenant = w.tenant.id;
  call.conversation = mail.conversation;
  call.kind = HandoffKind::kChannelSwitch;
  call.to_channel = w.phone.id;
  call.reason = "easier to explain by phone";
  auto refused = w.engine->record_handoff(call);
  CHECK(refused.status().is(StatusCode::kResourceExhausted));
  Conversation c = conversation(w, mail.conversation);
  CHECK(c.current_channel == w.email.id);
  CHECK(c.handoff_count == 0);

  // After the chat ends she can.
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, chat.conversation));
  Handoff h = World::must(w.engine->record_handoff(call));
  c = conversation(w, mail.conversation);
  CHECK(c.routing_class == RoutingClass::kSynchronous);
  CHECK(c.handoff_count == 1);
  Agent alice = fresh(w, w.alice);
  CHECK(alice.load.synchronous == 1);
  CHECK(alice.load.asynchronous == 0);
  // The context packet the receiving side gets survives its encoding.
  auto decoded = decode_context_packet(encode_context_packet(h.context));
  REQUIRE(decoded.ok());
  CHECK(decoded->conversation == mail.conversation);
  CHECK(decoded->recent.size() == h.context.recent.size());
}

TEST_CASE(
    "routing: a bot escalates to a team's queue and routing finds a person with the "
    "transcript",
    "[conformance][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {});
  direct_assignment(w);
  AgentUpdate support;
  support.teams = std::vector<std::string>{"support"};
  World::must(w.engine->update_agent(w.tenant.id, w.bob.id, support));
  only(w, {&w.bot});
  ReceiveResult r = w.receive(chat_from(w, "visitor-bot", "b1"));
  CHECK(conversation(w, r.conversation).assignee == w.bot.id);
  OutboundMessage answer;
  answer.tenant = w.tenant.id;
  answer.conversation = r.conversation;
  answer.agent = w.bot.id;
  answer.body = "Have you tried turning it off and on again?";
  World::must(w.engine->send(answer));
  only(w, {&w.bot, &w.alice, &w.bob});

  HandoffSpec escalate;
  escalate.tenant = w.tenant.id;
  escalate.conversation = r.conversation;
  escalate.kind = HandoffKind::kBotToHuman;
  escalate.to_team = "support";
  escalate.reason = "the customer asks for a person";
  escalate.tried = {"power cycle"};
  Handoff h = World::must(w.engine->record_handoff(escalate));
  Conversation c = conversation(w, r.conversation);
  // Alice is free too, but only bob is in the team.
  CHECK(c.assignee == w.bob.id);
  CHECK(c.team == "support");
  CHECK(c.handoff_count == 1);
  CHECK(fresh(w, w.bot).load.synchronous == 0);
  CHECK(fresh(w, w.bob).load.synchronous == 1);
  // The transcript travels with it and survives its encoding.
  auto decoded = decode_context_packet(encode_context_packet(h.context));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->recent.size() == 2);
  CHECK(decoded->recent[1].excerpt == "Have you tried turning it off and on again?");
  CHECK(decoded->tried == std::vector<std::string>{"power cycle"});

  // Without a person or a team it is refused.
  escalate.to_team.clear();
  CHECK(w.engine->record_handoff(escalate).status().is(StatusCode::kInvalidArgument));
}

TEST_CASE(
    "routing: the first-response SLA breaches at the business-hours moment across a "
    "weekend and a daylight-saving change",
    "[conformance][routing][sla]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {});  // nobody answers
  SlaPolicy policy;
  policy.channel_kind = ChannelKind::kEmail;
  policy.first_response = hours(4);
  policy.resolution = hours(16);
  policy.hours = BusinessHours::weekdays("Europe/Berlin", hours(9), hours(17));
  OMNI_REQUIRE_OK(w.engine->set_sla_policy(w.tenant.id, policy));

  // Friday 2027-03-26 16:00 CET. One business hour on Friday; clocks spring forward on Sunday
  // the 28th; the remaining three hours run Monday 09:00-12:00 CEST = 07:00-10:00 UTC.
  w.clock.set(*parse_timestamp("2027-03-26T15:00:00Z"));
  ReceiveResult r = w.receive(email_from(w, "late@example.com", "sla1"));
  Conversation c = conversation(w, r.conversation);
  CHECK(c.sla.policy == "email/*");
  const Timestamp due = *parse_timestamp("2027-03-29T10:00:00Z");
  const Timestamp warn = *parse_timestamp("2027-03-29T09:12:00Z");  // 80 %: 3h12m
  CHECK(c.sla.first_response.due_at == due);
  CHECK(c.sla.first_response.warn_at == warn);
  CHECK(World::must(w.engine->next_due(w.tenant.id)) == std::optional<Timestamp>(warn));

  w.clock.set(warn - microseconds(1));
  CHECK(World::must(w.engine->run_due(w.tenant.id)).sla_warnings == 0);
  w.clock.set(warn);
  CHECK(World::must(w.engine->run_due(w.tenant.id)).sla_warnings == 1);
  w.clock.set(due - microseconds(1));
  CHECK(World::must(w.engine->run_due(w.tenant.id)).sla_breaches == 0);
  // Run late: the event still carries the exact instant.
  w.clock.set(due + minutes(7));
  TimerRun run = World::must(w.engine->run_due(w.tenant.id));
  CHECK(run.sla_breaches == 1);
  auto breaches = events_of(w, "sla.breached");
  REQUIRE(breaches.size() == 1);
  CHECK(breaches[0].created_at == due);
  CHECK(breaches[0].conversation == r.conversation);
  auto warnings = events_of(w, "sla.warning");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].created_at == warn);
  // Nothing fires twice.
  CHECK(World::must(w.engine->run_due(w.tenant.id)).sla_breaches == 0);

  // The first reply is the first response, never overwritten by later ones.
  OMNI_REQUIRE_OK(w.engine->assign(w.tenant.id, r.conversation, w.alice.id));
  OutboundMessage reply;
  reply.tenant = w.tenant.id;
  reply.conversation = r.conversation;
  reply.agent = w.alice.id;
  reply.body = "Sorry for the wait.";
  World::must(w.engine->send(reply));
  const Timestamp answered = w.clock.now();
  w.clock.advance(hours(1));
  reply.body = "And a follow-up.";
  World::must(w.engine->send(reply));
  c = conversation(w, r.conversation);
  CHECK(c.first_response_at == answered);
  CHECK(c.sla.first_response.stopped_at == answered);
  CHECK_FALSE(c.sla.first_response.met());
  CHECK(c.sla.first_response.breached);
}

TEST_CASE("routing: SLA clocks pause while the conversation is pending on the customer",
          "[conformance][routing][sla]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {});
  SlaPolicy policy;
  policy.resolution = hours(8);
  policy.hours = BusinessHours::weekdays("America/New_York", hours(9), hours(17));
  OMNI_REQUIRE_OK(w.engine->set_sla_policy(w.tenant.id, policy));
  // Monday 2027-03-08 10:00 EST (15:00Z): due Tuesday 10:00 EST.
  w.clock.set(*parse_timestamp("2027-03-08T15:00:00Z"));
  ReceiveResult r = w.receive(email_from(w, "ny@example.com", "ny1"));
  Conversation c = conversation(w, r.conversation);
  CHECK(c.sla.policy == "*/*");
  CHECK(c.sla.resolution.due_at == *parse_timestamp("2027-03-09T15:00:00Z"));
  OMNI_REQUIRE_OK(w.engine->assign(w.tenant.id, r.conversation, w.alice.id));
  // Pending from Monday 12:00 EST to Thursday 12:00 EST: three business days that do not count.
  w.clock.set(*parse_timestamp("2027-03-08T17:00:00Z"));
  OMNI_REQUIRE_OK(w.engine->set_pending(w.tenant.id, r.conversation));
  CHECK_FALSE(conversation(w, r.conversation).next_timer_at);
  w.clock.set(*parse_timestamp("2027-03-11T17:00:00Z"));
  w.receive(email_from(w, "ny@example.com", "ny2"));
  c = conversation(w, r.conversation);
  CHECK(c.status == ConversationStatus::kOpen);
  // 6 business hours were left at the pause: Thursday 12:00-17:00 and Friday 09:00-10:00 EST.
  CHECK(c.sla.resolution.due_at == *parse_timestamp("2027-03-12T15:00:00Z"));
}

TEST_CASE("routing: capacity holds with many threads receiving and routing at once",
          "[conformance][routing][concurrency]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  only(w, {});
  for (const Agent* a : {&w.alice, &w.bob, &w.carol})
    set_capacity(w, *a, 1, 2);
  only(w, {&w.alice, &w.bob, &w.carol});

  std::atomic<bool> over{false};
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string who = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto m = i % 3 == 0 ? chat_from(w, who, "m" + who)
                            : email_from(w, who + "@example.com", "m" + who);
        if (!w.engine->receive(m).ok()) ++failures;
      }
    });
  }
  // Agents accept, resolve and decline while messages arrive.
  for (const Agent* a : {&w.alice, &w.bob, &w.carol}) {
    threads.emplace_back([&, a, seed = a->id.value()] {
      std::mt19937 rng(static_cast<unsigned>(seed));
      while (!done) {
        auto customers = w.engine->list_customers(w.tenant.id, CustomerId(), 500);
        if (!customers.ok()) continue;
        for (const auto& cu : *customers) {
          auto view = w.engine->customer_view(w.tenant.id, cu.id);
          if (!view.ok()) continue;
          for (const auto& c : view->active_conversations) {
            if (c.offered_to == a->id) {
              if (rng() % 4 == 0) {
                (void)w.engine->decline_offer(w.tenant.id, c.id, a->id, "not now");
              } else {
                (void)w.engine->accept_offer(w.tenant.id, c.id, a->id);
              }
            } else if (c.assignee == a->id && rng() % 2 == 0) {
              (void)w.engine->resolve(w.tenant.id, c.id);
            }
          }
        }
      }
    });
  }
  threads.emplace_back([&] {
    while (!done) {
      auto agents = w.engine->list_agents(w.tenant.id);
      if (!agents.ok()) continue;
      for (const auto& a : *agents) {
        if (a.load.synchronous > a.capacity.synchronous ||
            a.load.asynchronous > a.capacity.asynchronous) {
          over = true;
        }
      }
    }
  });
  for (int t = 0; t < 4; ++t)
    threads[static_cast<std::size_t>(t)].join();
  done = true;
  for (std::size_t t = 4; t < threads.size(); ++t)
    threads[t].join();
  CHECK(failures == 0);
  CHECK_FALSE(over);

  // The stored loads are exactly what the conversations hold.
  std::map<std::int64_t, AgentLoad> counted;
  std::size_t conversations = 0;
  for (const auto& cu : World::must(w.engine->list_customers(w.tenant.id, CustomerId(), 500))) {
    for (const auto& c :
         World::must(w.engine->customer_view(w.tenant.id, cu.id)).recent_conversations) {
      ++conversations;
      if (!is_active(c.status)) continue;
      for (auto holder : {c.assignee, c.offered_to}) {
        if (!holder) continue;
        auto& load = counted[holder->value()];
        (c.routing_class == RoutingClass::kSynchronous ? load.synchronous : load.asynchronous)++;
      }
    }
  }
  CHECK(conversations == 100);
  for (const auto& a : World::must(w.engine->list_agents(w.tenant.id))) {
    INFO("agent " << a.name);
    CHECK(a.load.synchronous == counted[a.id.value()].synchronous);
    CHECK(a.load.asynchronous == counted[a.id.value()].asynchronous);
    CHECK(a.load.synchronous <= a.capacity.synchronous);
    CHECK(a.load.asynchronous <= a.capacity.asynchronous);
  }
}

}  // namespace
}  // namespace omni::testing
