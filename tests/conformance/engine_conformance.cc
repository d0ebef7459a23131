// Engine behaviour on every backend: one customer and one conversation across channels,
// idempotent receive, bad input that changes nothing, replies, notes, handoffs with context,
// the lifecycle, paginated timelines, tenancy and concurrent receivers.
#include <atomic>
#include <set>
#include <stdexcept>
#include <thread>

#include "fixture.h"
#include "omni/sys/store.h"

namespace omni::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TEST_CASE("engine: one customer and one conversation across channels", "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult first = w.receive(w.sms_from("+49 151 1234 5678", "SM1", "Where is my order?"));
  CHECK(first.new_customer);
  CHECK(first.new_conversation);
  CHECK_FALSE(first.duplicate);

  w.clock.advance(minutes(5));
  // The same number on WhatsApp, written differently, is the same customer and the same case.
  ReceiveResult second = w.receive(
      w.message(w.whatsapp, IdentityKind::kPhone, "0049-151-12345678", "wamid.1", "Any news?"));
  CHECK(second.customer == first.customer);
  CHECK(second.conversation == first.conversation);
  CHECK_FALSE(second.new_customer);
  CHECK_FALSE(second.new_conversation);

  auto view = World::must(w.engine->conversation_view(w.tenant.id, first.conversation));
  CHECK(view.conversation.origin_channel == w.sms.id);
  CHECK(view.conversation.current_channel == w.whatsapp.id);
  CHECK(view.conversation.subject == "Where is my order?");
  REQUIRE(view.touchpoints.size() == 2);
  CHECK(view.touchpoints[0].channel_kind == ChannelKind::kSms);
  CHECK(view.touchpoints[1].channel_kind == ChannelKind::kWhatsApp);
  CHECK(w.customer_count() == 1);

  auto customer = World::must(w.engine->customer_view(w.tenant.id, first.customer));
  REQUIRE(customer.identities.size() == 1);
  CHECK(customer.identities[0].value == "+4915112345678");
  CHECK(customer.customer.display_name == "Anna Schmidt");
  REQUIRE(customer.active_conversations.size() == 1);
}

TEST_CASE("engine: a retried delivery is stored once", "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  InboundMessage m = w.sms_from("+4915112345678", "SM-retry", "hello");
  ReceiveResult first = w.receive(m);
  std::size_t events = w.event_count();
  for (int i = 0; i < 3; ++i) {
    m.body = "a retry may even carry a different body";
    ReceiveResult again = w.receive(m);
    CHECK(again.duplicate);
    CHECK(again.touchpoint == first.touchpoint);
    CHECK(again.customer == first.customer);
    CHECK(again.conversation == first.conversation);
  }
  CHECK(w.timeline_size(first.customer) == 1);
  CHECK(w.event_count() == events);

  // The same provider id on another channel is another message.
  InboundMessage other = m;
  other.channel = w.whatsapp.id;
  CHECK_FALSE(w.receive(other).duplicate);
  CHECK(w.timeline_size(first.customer) == 2);
}

TEST_CASE("engine: bad input is refused with a typed error and stores nothing",
          "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  auto tenant_b = World::must(w.engine->create_tenant("other"));
  auto channel_b = World::must(w.engine->create_channel({tenant_b.id, ChannelKind::kSms, "b", {}}));
  const InboundMessage good = w.sms_from("+4915112345678", "ok-1");

  struct Case {
    const char* what;
    std::function<void(InboundMessage&)> spoil;
    StatusCode code;
  };
  const std::vector<Case> cases = {
      {"empty identity", [](InboundMessage& m) { m.from.value = "  "; },
       StatusCode::kInvalidArgument},
      {"phone without country code", [](InboundMessage& m) { m.from.value = "0151 1234"; },
       StatusCode::kInvalidArgument},
      {"phone with letters", [](InboundMessage& m) { m.from.value = "+49 151 CALLME"; },
       StatusCode::kInvalidArgument},
      {"email without @",
       [](InboundMessage& m) {
         m.from = {IdentityKind::kEmail, "", "anna.example.com"};
       },
       StatusCode::kInvalidArgument},
      {"psid without page scope",
       [](InboundMessage& m) {
         m.from = {IdentityKind::kMessengerPsid, "", "12345"};
       },
       StatusCode::kInvalidArgument},
      {"missing provider id", [](InboundMessage& m) { m.provider_message_id.clear(); },
       StatusCode::kInvalidArgument},
      {"empty message", [](InboundMessage& m) { m.body.clear(); }, StatusCode::kInvalidArgument},
      {"oversized body", [](InboundMessage& m) { m.body.assign(64 * 1024 + 1, 'x'); },
       StatusCode::kResourceExhausted},
      {"invalid UTF-8 body", [](InboundMessage& m) { m.body = "caf\xC3"; },
       StatusCode::kInvalidArgument},
      {"overlong UTF-8", [](InboundMessage& m) { m.body = "\xC0\xAF"; },
       StatusCode::kInvalidArgument},
      {"outbound kind", [](InboundMessage& m) { m.kind = TouchpointKind::kMessageOut; },
       StatusCode::kInvalidArgument},
      {"note kind", [](InboundMessage& m) { m.kind = TouchpointKind::kNote; },
       StatusCode::kInvalidArgument},
      {"unknown tenant", [](InboundMessage& m) { m.tenant = TenantId(987654); },
       StatusCode::kNotFound},
      {"unset channel", [](InboundMessage& m) { m.channel = ChannelId(); },
       StatusCode::kInvalidArgument},
      {"unknown channel", [](InboundMessage& m) { m.channel = ChannelId(987654); },
       StatusCode::kNotFound},
      {"another tenant's channel", [&](InboundMessage& m) { m.channel = channel_b.id; },
       StatusCode::kNotFound},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    InboundMessage m = good;
    c.spoil(m);
    auto r = w.engine->receive(m);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == c.code);
    CHECK_FALSE(r.status().message().empty());
  }
  CHECK(w.customer_count() == 0);
  CHECK(w.event_count() == 0);
  CHECK(World::must(w.engine->events(tenant_b.id, 0, 100)).empty());
  // And the good message still goes through afterwards.
  CHECK(w.receive(good).new_customer);
}

TEST_CASE("engine: a failing store write leaves no partial state", "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  // For each N, the Nth write of the receive fails; the whole receive must vanish.
  int failures = 0;
  for (int n = 0; n < 16; ++n) {
    INFO("failing write #" << n);
    std::atomic<int> budget{1 << 30};
    StoreBackend wrapped = FaultInjectingStore::wrap(backend, &budget);
    World w(wrapped);
    w.receive(w.sms_from("+4915112345678", "before"));
    OMNI_REQUIRE_OK(w.engine->resolve(
        w.tenant.id,
        World::must(w.engine->customer_view(
                        w.tenant.id, World::must(w.engine->list_customers(w.tenant.id))[0].id))
            .active_conversations[0]
            .id));
    w.clock.advance(hours(24 * 30));  // outside the reopen window: a new conversation
    const std::size_t events_before = w.event_count();
    budget = n;
    auto failed = w.engine->receive(
        w.message(w.email, IdentityKind::kEmail, "new@example.com", "after", "a new customer"));
    budget = 1 << 30;
    if (failed.ok()) {
      // N is past the last write of this operation: nothing to check for this N.
      continue;
    }
    ++failures;
    CHECK(failed.status().is(StatusCode::kIoError));
    CHECK(w.customer_count() == 1);
    CHECK(w.event_count() == events_before);
    // The message can be delivered again and is then stored exactly once.
    ReceiveResult retried = w.receive(
        w.message(w.email, IdentityKind::kEmail, "new@example.com", "after", "a new customer"));
    CHECK(retried.new_customer);
    CHECK_FALSE(retried.duplicate);
    CHECK(w.timeline_size(retried.customer) == 1);
  }
  CHECK(failures >= 8);  // customer, identity, conversation, touchpoint, update, events
}

TEST_CASE("engine: a failing write leaves consent, preferences and notifications unchanged",
          "[conformance][engine][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  int stop_failures = 0;
  int notify_failures = 0;
  int consent_failures = 0;
  for (int n = 0; n < 12; ++n) {
    INFO("failing write #" << n);
    std::atomic<int> budget{1 << 30};
    World w(FaultInjectingStore::wrap(backend, &budget));
    ReceiveResult first = w.receive(w.sms_from("+4915112345678", "hello"));
    REQUIRE(first.consent == ConsentState::kGranted);  // the customer started it
    const CustomerId customer = first.customer;
    auto consent_state = [&] {
      auto consents = World::must(w.engine->list_consents(w.tenant.id, customer));
      REQUIRE(consents.size() == 1);
      return consents[0].state;
    };

    // An opt-out that fails at write N leaves the consent granted and the timeline as it was.
    std::size_t events = w.event_count();
    std::size_t timeline = w.timeline_size(customer);
    budget = n;
    auto stop = w.engine->receive(w.sms_from("+4915112345678", "stop", "STOP"));
    budget = 1 << 30;
    if (!stop.ok()) {
      ++stop_failures;
      CHECK(consent_state() == ConsentState::kGranted);
      CHECK(w.event_count() == events);
      CHECK(w.timeline_size(customer) == timeline);
    }

    // So does a host's opt-in or opt-out.
    const ConsentState before = consent_state();
    ConsentChange change;
    change.tenant = w.tenant.id;
    change.customer = customer;
    change.channel_kind = ChannelKind::kSms;
    change.state =
        before == ConsentState::kGranted ? ConsentState::kWithdrawn : ConsentState::kGranted;
    change.source = "web_form";
    events = w.event_count();
    timeline = w.timeline_size(customer);
    budget = n;
    auto changed = w.engine->set_consent(change);
    budget = 1 << 30;
    if (!changed.ok()) {
      ++consent_failures;
      CHECK(consent_state() == before);
      CHECK(w.event_count() == events);
      CHECK(w.timeline_size(customer) == timeline);
    }

    // A notification that fails at write N is not recorded and not sent.
    change.state = ConsentState::kGranted;
    World::must(w.engine->set_consent(change));
    NotificationRequest note;
    note.tenant = w.tenant.id;
    note.customer = customer;
    note.purpose = "payment_reminder";
    note.body = "Your invoice is due tomorrow.";
    events = w.event_count();
    timeline = w.timeline_size(customer);
    const std::size_t sent = w.adapter.sent().size();
    budget = n;
    auto notified = w.engine->notify(note);
    budget = 1 << 30;
    if (!notified.ok() && w.adapter.sent().size() == sent) {
      ++notify_failures;
      CHECK(notified.status().is(StatusCode::kIoError));
      CHECK(w.event_count() == events);
      CHECK(w.timeline_size(customer) == timeline);
      auto retried = w.engine->notify(note);
      OMNI_REQUIRE_OK(retried.status());
      CHECK(retried->touchpoint.delivery == DeliveryStatus::kSent);
    }
  }
  CHECK(stop_failures >= 3);     // the touchpoint, the consent, its touchpoint and events
  CHECK(consent_failures >= 3);  // the consent, its touchpoint, two events
  CHECK(notify_failures >= 3);   // the touchpoint, the delivery, two events
}

TEST_CASE("engine: resolved conversations reopen within the window, closed ones never",
          "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult r1 = w.receive(w.sms_from("+4915112345678", "m1"));
  OMNI_REQUIRE_OK(w.engine->set_pending(w.tenant.id, r1.conversation));
  ReceiveResult r2 = w.receive(w.sms_from("+4915112345678", "m2"));
  CHECK(r2.conversation == r1.conversation);
  CHECK(
      World::must(w.engine->conversation_view(w.tenant.id, r1.conversation)).conversation.status ==
      ConversationStatus::kOpen);

  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, r1.conversation));
  CHECK(w.engine->resolve(w.tenant.id, r1.conversation).is(StatusCode::kFailedPrecondition));
  w.clock.advance(hours(24));
  ReceiveResult r3 = w.receive(w.sms_from("+4915112345678", "m3"));
  CHECK(r3.reopened);
  CHECK(r3.conversation == r1.conversation);
  auto reopened = World::must(w.engine->conversation_view(w.tenant.id, r1.conversation));
  CHECK(reopened.conversation.reopen_count == 1);
  CHECK(reopened.conversation.status == ConversationStatus::kOpen);

  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, r1.conversation));
  OMNI_REQUIRE_OK(w.engine->close(w.tenant.id, r1.conversation));
  CHECK(w.engine->reopen(w.tenant.id, r1.conversation).is(StatusCode::kFailedPrecondition));
  ReceiveResult r4 = w.receive(w.sms_from("+4915112345678", "m4"));
  CHECK(r4.new_conversation);
  CHECK(r4.conversation != r1.conversation);

  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, r4.conversation));
  w.clock.advance(hours(24 * 8));  // past the default 7-day window
  ReceiveResult r5 = w.receive(w.sms_from("+4915112345678", "m5"));
  CHECK(r5.new_conversation);
  CHECK_FALSE(r5.reopened);
  // An explicit reopen of r4 now would give the customer two active conversations.
  CHECK(w.engine->reopen(w.tenant.id, r4.conversation).is(StatusCode::kFailedPrecondition));
}

TEST_CASE("engine: replies go out through the channel's adapter and are recorded",
          "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult r = w.receive(w.sms_from("+4915112345678", "m1", "Where is my order?"));
  w.clock.advance(minutes(3));
  OutboundMessage out;
  out.tenant = w.tenant.id;
  out.conversation = r.conversation;
  out.agent = w.alice.id;
  out.body = "It ships today.";
  Touchpoint sent = World::must(w.engine->send(out));
  CHECK(sent.kind == TouchpointKind::kMessageOut);
  CHECK(sent.delivery == DeliveryStatus::kSent);
  CHECK(sent.channel == w.sms.id);
  auto records = w.adapter.sent();
  REQUIRE(records.size() == 1);
  CHECK(records[0].recipient == "+4915112345678");
  CHECK(records[0].body == "It ships today.");
  CHECK(sent.provider_message_id == records[0].provider_message_id);

  auto conv = World::must(w.engine->conversation_view(w.tenant.id, r.conversation)).conversation;
  REQUIRE(conv.first_response_at.has_value());
  CHECK(*conv.first_response_at == t0() + minutes(3));

  // Later replies never move the first-response time.
  w.clock.advance(minutes(10));
  OMNI_REQUIRE_OK(w.engine->send(out));
  conv = World::must(w.engine->conversation_view(w.tenant.id, r.conversation)).conversation;
  CHECK(*conv.first_response_at == t0() + minutes(3));

  // Status callbacks move forward only.
  OMNI_REQUIRE_OK(w.engine->update_delivery_status(w.tenant.id, w.sms.id, sent.provider_message_id,
                                                   DeliveryStatus::kRead));
  OMNI_REQUIRE_OK(w.engine->update_delivery_status(w.tenant.id, w.sms.id, sent.provider_message_id,
                                                   DeliveryStatus::kDelivered));
  auto page = World::must(w.engine->timeline({w.tenant.id, r.customer, {}, {}, {}, 50}));
  CHECK(page.touchpoints[1].delivery == DeliveryStatus::kRead);
  CHECK(
      w.engine
          ->update_delivery_status(w.tenant.id, w.sms.id, "unknown-id", DeliveryStatus::kDelivered)
          .is(StatusCode::kNotFound));
}

TEST_CASE("engine: a failing adapter leaves the reply recorded as failed",
          "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult r = w.receive(w.sms_from("+4915112345678", "m1"));
  OutboundMessage out;
  out.tenant = w.tenant.id;
  out.conversation = r.conversation;
  out.agent = w.alice.id;
  out.body = "reply";

  w.adapter.fail_with(Status::invalid_argument("21211: invalid 'To' phone number"));
  auto failed = w.engine->send(out);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().is(StatusCode::kInvalidArgument));
  w.adapter.fail_with(Status());

  struct Throwing : ChannelAdapter {
    ChannelCapabilities capabilities() const override { return {{ChannelKind::kSms}, false, 0}; }
    Result<SendReceipt> send(const OutboundEnvelope&) override { throw std::runtime_error("boom"); }
  } throwing;
  OMNI_REQUIRE_OK(w.engine->register_adapter(w.tenant.id, w.sms.id, &throwing));
  auto thrown = w.engine->send(out);
  REQUIRE_FALSE(thrown.ok());
  CHECK(thrown.status().is(StatusCode::kInternal));

  // Each permanent failure is on the timeline twice: the message, marked failed, and a status
  // line saying why.
  auto page = World::must(w.engine->timeline({w.tenant.id, r.customer, {}, {}, {}, 50}));
  REQUIRE(page.touchpoints.size() == 5);
  CHECK(page.touchpoints[1].delivery == DeliveryStatus::kFailed);
  CHECK(page.touchpoints[2].kind == TouchpointKind::kStatusChange);
  CHECK(page.touchpoints[2].body.find("21211") != std::string::npos);
  CHECK(page.touchpoints[3].delivery == DeliveryStatus::kFailed);
  CHECK(page.touchpoints[4].body.find("boom") != std::string::npos);
  auto conv = World::must(w.engine->conversation_view(w.tenant.id, r.conversation)).conversation;
  CHECK_FALSE(conv.first_response_at.has_value());

  // No adapter on a channel, or no address for it: refused before anything is recorded.
  OutboundMessage by_email = out;
  by_email.channel = w.email.id;
  CHECK(w.engine->send(by_email).status().is(StatusCode::kFailedPrecondition));
  auto fax = World::must(w.engine->create_channel({w.tenant.id, ChannelKind::kLetter, "post", {}}));
  OutboundMessage by_post = out;
  by_post.channel = fax.id;
  CHECK(w.engine->send(by_post).status().is(StatusCode::kFailedPrecondition));
  CHECK(w.timeline_size(r.customer) == 5);
}

TEST_CASE("engine: notes and the last agent show in the customer view", "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult r = w.receive(w.sms_from("+4915112345678", "m1"));
  OMNI_REQUIRE_OK(w.engine->assign(w.tenant.id, r.conversation, w.alice.id));
  OMNI_REQUIRE_OK(w.engine->add_note({w.tenant.id, r.conversation, w.alice.id, "wants a refund"}));
  CHECK(w.engine->add_note({w.tenant.id, r.conversation, w.alice.id, ""})
            .status()
            .is(StatusCode::kInvalidArgument));
  CHECK(w.engine->add_note({w.tenant.id, ConversationId(424242), w.alice.id, "x"})
            .status()
            .is(StatusCode::kNotFound));
  auto view = World::must(w.engine->customer_view(w.tenant.id, r.customer));
  REQUIRE(view.notes.size() == 1);
  CHECK(view.notes[0].body == "wants a refund");
  REQUIRE(view.last_agent.has_value());
  CHECK(view.last_agent->name == "alice");
}

TEST_CASE("engine: handoffs carry the context and show on the timeline", "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  InboundMessage hello =
      w.message(w.chat, IdentityKind::kPhone, "+4915112345678", "c1", "My router keeps rebooting");
  ReceiveResult r = w.receive(hello);
  OMNI_REQUIRE_OK(w.engine->assign(w.tenant.id, r.conversation, w.bot.id));
  OMNI_REQUIRE_OK(w.engine->add_note({w.tenant.id, r.conversation, w.bot.id, "firmware 1.2"}));

  HandoffSpec escalate;
  escalate.tenant = w.tenant.id;
  escalate.conversation = r.conversation;
  escalate.kind = HandoffKind::kBotToHuman;
  escalate.to_agent = w.alice.id;
  escalate.reason = "bot could not help";
  escalate.open_questions = {"is the power supply original?"};
  escalate.tried = {"restart", "factory reset"};
  Handoff h = World::must(w.engine->record_handoff(escalate));
  CHECK(h.from_agent == w.bot.id);
  CHECK(h.context.customer == r.customer);
  CHECK(h.context.identities == std::vector<std::string>{"phone:+4915112345678"});
  CHECK(h.context.notes == std::vector<std::string>{"firmware 1.2"});
  CHECK(h.context.tried == escalate.tried);
  REQUIRE(h.context.recent.size() == 2);
  CHECK(h.context.recent[0].author == "customer");
  CHECK(h.context.recent[0].excerpt == "My router keeps rebooting");
  CHECK(h.context.recent[1].author == "helpbot");
  // Cold by default: alice owns it now.
  auto view = World::must(w.engine->conversation_view(w.tenant.id, r.conversation));
  CHECK(view.conversation.assignee == w.alice.id);
  REQUIRE(view.handoffs.size() == 1);
  CHECK(view.handoffs[0].context.open_questions == escalate.open_questions);
  CHECK(view.touchpoints.back().kind == TouchpointKind::kHandoff);
  CHECK(view.touchpoints.back().handoff == h.id);

  // A bot escalates to a human, not from one.
  escalate.to_agent = w.bob.id;
  escalate.from_agent = w.alice.id;
  CHECK(w.engine->record_handoff(escalate).status().is(StatusCode::kFailedPrecondition));

  // Channel switch chat -> phone.
  HandoffSpec to_phone;
  to_phone.tenant = w.tenant.id;
  to_phone.conversation = r.conversation;
  to_phone.kind = HandoffKind::kChannelSwitch;
  to_phone.to_channel = w.phone.id;
  to_phone.reason = "easier to explain by phone";
  World::must(w.engine->record_handoff(to_phone));
  CHECK(World::must(w.engine->conversation_view(w.tenant.id, r.conversation))
            .conversation.current_channel == w.phone.id);
  CHECK(w.engine->record_handoff(to_phone).status().is(StatusCode::kFailedPrecondition));

  // Only secure channels take sensitive data.
  HandoffSpec secure;
  secure.tenant = w.tenant.id;
  secure.conversation = r.conversation;
  secure.kind = HandoffKind::kSecureChannel;
  secure.to_channel = w.messenger.id;
  secure.reason = "card number";
  CHECK(w.engine->record_handoff(secure).status().is(StatusCode::kFailedPrecondition));
  secure.to_channel = w.video.id;
  World::must(w.engine->record_handoff(secure));

  // Warm transfer: nothing changes until the addressee acknowledges.
  HandoffSpec warm;
  warm.tenant = w.tenant.id;
  warm.conversation = r.conversation;
  warm.kind = HandoffKind::kAgentTransfer;
  warm.mode = HandoffMode::kWarm;
  warm.to_agent = w.carol.id;
  warm.reason = "second level";
  Handoff wh = World::must(w.engine->record_handoff(warm));
  CHECK(
      World::must(w.engine->conversation_view(w.tenant.id, r.conversation)).conversation.assignee ==
      w.alice.id);
  CHECK(w.engine->acknowledge_handoff(w.tenant.id, wh.id, w.bob.id)
            .status()
            .is(StatusCode::kFailedPrecondition));
  Handoff acked = World::must(w.engine->acknowledge_handoff(w.tenant.id, wh.id, w.carol.id));
  CHECK(acked.acknowledged_by == w.carol.id);
  CHECK(
      World::must(w.engine->conversation_view(w.tenant.id, r.conversation)).conversation.assignee ==
      w.carol.id);
  CHECK(w.engine->acknowledge_handoff(w.tenant.id, wh.id, w.carol.id)
            .status()
            .is(StatusCode::kFailedPrecondition));
  CHECK(World::must(w.engine->get_handoff(w.tenant.id, wh.id)).acknowledged_at.has_value());

  // A cold team transfer puts it in the team's queue.
  HandoffSpec team;
  team.tenant = w.tenant.id;
  team.conversation = r.conversation;
  team.kind = HandoffKind::kTeamTransfer;
  team.to_team = "billing";
  team.reason = "a refund question";
  World::must(w.engine->record_handoff(team));
  CHECK(World::must(w.engine->conversation_view(w.tenant.id, r.conversation)).conversation.team ==
        "billing");

  // Every handoff, of every kind, is counted, stored whole and its packet survives encoding.
  auto all = World::must(w.engine->conversation_view(w.tenant.id, r.conversation));
  REQUIRE(all.handoffs.size() == 5);
  CHECK(all.conversation.handoff_count == 5);
  std::set<HandoffKind> kinds;
  for (const Handoff& stored : all.handoffs) {
    kinds.insert(stored.kind);
    auto decoded = decode_context_packet(encode_context_packet(stored.context));
    REQUIRE(decoded.ok());
    CHECK(decoded->version == ContextPacket::kCurrentVersion);
    CHECK(decoded->customer == stored.context.customer);
    CHECK(decoded->customer_name == stored.context.customer_name);
    CHECK(decoded->identities == stored.context.identities);
    CHECK(decoded->conversation == r.conversation);
    CHECK(decoded->open_questions == stored.context.open_questions);
    CHECK(decoded->tried == stored.context.tried);
    CHECK(decoded->notes == stored.context.notes);
    REQUIRE(decoded->recent.size() == stored.context.recent.size());
    for (std::size_t i = 0; i < decoded->recent.size(); ++i) {
      CHECK(decoded->recent[i].excerpt == stored.context.recent[i].excerpt);
      CHECK(decoded->recent[i].occurred_at == stored.context.recent[i].occurred_at);
    }
  }
  CHECK(kinds.size() == 5);

  // A resolved conversation cannot be handed off.
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, r.conversation));
  warm.to_agent = w.bob.id;
  CHECK(w.engine->record_handoff(warm).status().is(StatusCode::kFailedPrecondition));
  CHECK(World::must(w.engine->conversation_view(w.tenant.id, r.conversation)).handoffs.size() == 5);
}

TEST_CASE("engine: timelines page through every touchpoint in both directions",
          "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  CustomerId customer;
  const Channel* channels[] = {&w.sms, &w.whatsapp, &w.chat};
  for (int i = 0; i < 130; ++i) {
    w.clock.advance(std::chrono::seconds(i % 3 == 0 ? 0 : 1));  // some share a timestamp
    customer = w.receive(w.message(*channels[i % 3], IdentityKind::kPhone, "+4915112345678",
                                   "m" + std::to_string(i), "message " + std::to_string(i)))
                   .customer;
  }
  // Walk from the newest end towards the past.
  std::vector<std::string> seen;
  TimelineQuery q{w.tenant.id, customer, {}, {}, TimelineDirection::kOlder, 50};
  for (;;) {
    TimelinePage page = World::must(w.engine->timeline(q));
    for (auto it = page.touchpoints.rbegin(); it != page.touchpoints.rend(); ++it) {
      seen.push_back(it->body);
    }
    if (!page.older) break;
    q.cursor = page.older;
  }
  REQUIRE(seen.size() == 130);
  for (int i = 0; i < 130; ++i)
    CHECK(seen[129 - i] == "message " + std::to_string(i));

  // And from the oldest end forwards.
  seen.clear();
  q = TimelineQuery{w.tenant.id, customer, {}, {}, TimelineDirection::kNewer, 50};
  int pages = 0;
  for (;;) {
    TimelinePage page = World::must(w.engine->timeline(q));
    ++pages;
    for (const auto& tp : page.touchpoints)
      seen.push_back(tp.body);
    if (!page.newer) break;
    CHECK(page.older.has_value() == (pages > 1));
    q.cursor = page.newer;
  }
  CHECK(pages == 3);
  REQUIRE(seen.size() == 130);
  for (int i = 0; i < 130; ++i)
    CHECK(seen[i] == "message " + std::to_string(i));

  q.limit = 0;
  CHECK(w.engine->timeline(q).status().is(StatusCode::kInvalidArgument));
  q.limit = 100000;
  CHECK(w.engine->timeline(q).status().is(StatusCode::kInvalidArgument));
}

TEST_CASE("engine: tenants never see each other's customers", "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  auto other = World::must(w.engine->create_tenant("globex"));
  auto other_sms =
      World::must(w.engine->create_channel({other.id, ChannelKind::kSms, "sms-line", {}}));
  ReceiveResult a = w.receive(w.sms_from("+4915112345678", "SM1"));
  InboundMessage m = w.sms_from("+4915112345678", "SM1");
  m.tenant = other.id;
  m.channel = other_sms.id;
  ReceiveResult b = w.receive(m);
  CHECK_FALSE(b.duplicate);
  CHECK(b.new_customer);
  CHECK(b.customer != a.customer);
  CHECK(w.engine->customer_view(other.id, a.customer).status().is(StatusCode::kNotFound));
  CHECK(w.engine->conversation_view(other.id, a.conversation).status().is(StatusCode::kNotFound));
  CHECK(w.engine->timeline({other.id, a.customer, {}, {}, {}, 50})
            .status()
            .is(StatusCode::kNotFound));
  CHECK(World::must(w.engine->list_customers(other.id)).size() == 1);
  CHECK(w.engine->assign(other.id, a.conversation, w.alice.id).is(StatusCode::kNotFound));
}

TEST_CASE("engine: a knowledge-base view is on the timeline but opens no case",
          "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  InboundMessage view =
      w.message(w.web, IdentityKind::kWebVisitor, "visitor-7", "kb-1", "How do I reset my router?");
  view.kind = TouchpointKind::kKnowledgeBaseView;
  ReceiveResult r = w.receive(view);
  CHECK_FALSE(r.conversation.valid());
  CHECK_FALSE(r.new_conversation);
  CHECK(w.timeline_size(r.customer) == 1);
  CHECK(World::must(w.engine->customer_view(w.tenant.id, r.customer)).active_conversations.empty());
}

TEST_CASE("engine: a linked identity resolves to its customer", "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult by_mail = w.receive(
      w.message(w.email, IdentityKind::kEmail, "anna@example.com", "<m1@example.com>", "Hi"));
  // The host's Messenger account linking tells us page-1's PSID 4711 is Anna.
  const IdentityInput psid{IdentityKind::kMessengerPsid, "page-1", "4711"};
  Identity linked = World::must(
      w.engine->link_identity(w.tenant.id, by_mail.customer, psid, true, "account_linking"));
  CHECK(linked.customer == by_mail.customer);
  CHECK(linked.verified);
  CHECK(linked.source == "account_linking");
  // Linking again is a no-op.
  CHECK(World::must(
            w.engine->link_identity(w.tenant.id, by_mail.customer, psid, true, "account_linking"))
            .id == linked.id);

  // Looking it up as written finds her.
  CHECK(World::must(w.engine->find_identity(w.tenant.id, psid)).customer == by_mail.customer);
  CHECK(World::must(w.engine->find_identity(w.tenant.id,
                                            {IdentityKind::kEmail, "", "Anna <ANNA@Example.com>"}))
            .customer == by_mail.customer);
  CHECK(w.engine->find_identity(w.tenant.id, {IdentityKind::kEmail, "", "nobody@example.com"})
            .status()
            .is(StatusCode::kNotFound));
  InboundMessage dm = w.message(w.messenger, IdentityKind::kMessengerPsid, "4711", "mid.1",
                                "Any news on my order?");
  dm.from.scope = "page-1";
  ReceiveResult by_dm = w.receive(dm);
  CHECK(by_dm.customer == by_mail.customer);
  CHECK(by_dm.conversation == by_mail.conversation);

  // A reply on Messenger now finds her PSID.
  OutboundMessage reply;
  reply.tenant = w.tenant.id;
  reply.conversation = by_dm.conversation;
  reply.agent = w.alice.id;
  reply.body = "It ships today.";
  World::must(w.engine->send(reply));
  CHECK(w.adapter.sent().back().recipient == "4711");

  // Someone else's identity is not silently taken over; bad or foreign input changes nothing.
  ReceiveResult bob = w.receive(w.sms_from("+4915199999999", "s1"));
  auto taken = w.engine->link_identity(w.tenant.id, bob.customer, psid, true, "agent");
  CHECK(taken.status().is(StatusCode::kAlreadyExists));
  CHECK(w.engine
            ->link_identity(w.tenant.id, bob.customer, {IdentityKind::kPhone, "", "12"}, true,
                            "agent")
            .status()
            .is(StatusCode::kInvalidArgument));
  auto other = World::must(w.engine->create_tenant("globex"));
  CHECK(w.engine
            ->link_identity(other.id, bob.customer, {IdentityKind::kEmail, "", "b@example.com"},
                            true, "agent")
            .status()
            .is(StatusCode::kNotFound));
  CHECK(World::must(w.engine->customer_view(w.tenant.id, bob.customer)).identities.size() == 1);
}

TEST_CASE("engine: only a person's answer is the first response", "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult r =
      w.receive(w.message(w.chat, IdentityKind::kWebVisitor, "visitor-9", "c1", "hi"));
  OutboundMessage bot_reply;
  bot_reply.tenant = w.tenant.id;
  bot_reply.conversation = r.conversation;
  bot_reply.agent = w.bot.id;
  bot_reply.body = "I'm a bot. How can I help?";
  w.clock.advance(std::chrono::seconds(2));
  World::must(w.engine->send(bot_reply));
  auto conv = World::must(w.engine->conversation_view(w.tenant.id, r.conversation)).conversation;
  CHECK_FALSE(conv.first_response_at.has_value());
  CHECK(conv.last_outbound_at.has_value());

  // A call logged afterwards, with the time it started, is the first response.
  w.clock.advance(minutes(30));
  InteractionSpec call;
  call.tenant = w.tenant.id;
  call.conversation = r.conversation;
  call.channel = w.phone.id;
  call.agent = w.alice.id;
  call.body = "explained the invoice";
  call.started_at = w.clock.now() - minutes(12);
  call.duration = minutes(12);
  Touchpoint logged = World::must(w.engine->log_interaction(call));
  CHECK(logged.occurred_at == *call.started_at);
  CHECK(logged.metadata.at("duration_s") == "720");
  conv = World::must(w.engine->conversation_view(w.tenant.id, r.conversation)).conversation;
  REQUIRE(conv.first_response_at.has_value());
  CHECK(*conv.first_response_at == *call.started_at);
  CHECK(conv.current_channel == w.phone.id);
}

TEST_CASE("engine: concurrent receivers store each message once, one case per customer",
          "[conformance][engine][concurrency]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  constexpr int kThreads = 4;
  constexpr int kMessages = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kMessages; ++i) {
        // Every thread delivers the same messages (retries racing each other) for 5 customers.
        std::string number = "+491511234567" + std::to_string(i % 5);
        InboundMessage m = w.sms_from(number, "m" + std::to_string(i), "msg");
        if (t % 2 == 1) m.channel = w.whatsapp.id, m.provider_message_id += "-wa";
        if (!w.engine->receive(m).ok()) failures++;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  CHECK(failures == 0);
  auto customers = World::must(w.engine->list_customers(w.tenant.id));
  REQUIRE(customers.size() == 5);
  std::size_t total = 0;
  for (const auto& c : customers) {
    auto view = World::must(w.engine->customer_view(w.tenant.id, c.id));
    CHECK(view.active_conversations.size() == 1);
    CHECK(view.recent_conversations.size() == 1);
    total += w.timeline_size(c.id);
  }
  CHECK(total == 2 * kMessages);  // sms and whatsapp copies, each stored once
}

}  // namespace
void link_engine_conformance() {}

}  // namespace omni::testing

namespace omni::testing {
namespace {

TEST_CASE("engine: an explicit reply threads into the conversation it answers",
          "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  InboundMessage first =
      w.message(w.email, IdentityKind::kEmail, "anna@example.de", "m1@mail.example", "Frage");
  ReceiveResult asked = w.receive(first);
  Touchpoint reply = World::must(w.engine->send(
      {w.tenant.id, asked.conversation, {}, w.alice.id, "Re: Frage", "Antwort", {}}));
  REQUIRE(reply.provider_message_id == "rec-1");
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, asked.conversation));
  w.clock.advance(hours(24 * 60));  // far outside the reopen window

  // Meanwhile a new case by SMS, linked to the same customer.
  OMNI_REQUIRE_OK(w.engine->link_identity(
      w.tenant.id, asked.customer, {IdentityKind::kPhone, "", "0151 1234 5678"}, true, "crm"));
  ReceiveResult sms = w.receive(w.sms_from("+4915112345678", "s1", "Andere Sache"));
  CHECK(sms.new_conversation);

  // The customer answers the agent's mail: the old case reopens, beside the SMS case.
  InboundMessage answer = w.message(w.email, IdentityKind::kEmail, "anna@example.de",
                                    "m2@mail.example", "Danke, noch eine Frage");
  answer.references = {"rec-1", "m1@mail.example"};
  ReceiveResult threaded = w.receive(answer);
  CHECK(threaded.conversation == asked.conversation);
  CHECK(threaded.reopened);
  auto view = World::must(w.engine->customer_view(w.tenant.id, asked.customer));
  REQUIRE(view.active_conversations.size() == 2);
  for (const auto& c : view.active_conversations)
    CHECK(c.joinable == (c.id == sms.conversation));
  // Without a reference, new contact still goes to the joinable case.
  CHECK(w.receive(w.message(w.email, IdentityKind::kEmail, "anna@example.de", "m3@mail.example",
                            "Noch etwas"))
            .conversation == sms.conversation);

  // A reference to another customer's message is ignored; so is one to a closed case.
  InboundMessage stranger =
      w.message(w.email, IdentityKind::kEmail, "eve@example.org", "e1@mail.example", "Re: Frage");
  stranger.references = {"rec-1"};
  ReceiveResult foreign = w.receive(stranger);
  CHECK(foreign.new_conversation);
  CHECK(foreign.conversation != asked.conversation);
  OMNI_REQUIRE_OK(w.engine->close(w.tenant.id, asked.conversation));
  InboundMessage late = answer;
  late.provider_message_id = "m4@mail.example";
  ReceiveResult after_close = w.receive(late);
  CHECK(after_close.conversation != asked.conversation);

  // References are checked like the rest of the message.
  InboundMessage bad = answer;
  bad.provider_message_id = "m5@mail.example";
  bad.references = {"ok@x", ""};
  auto refused = w.engine->receive(bad);
  CHECK(refused.status().is(StatusCode::kInvalidArgument));
  CHECK(refused.status().field() == "references[1]");
}

}  // namespace
}  // namespace omni::testing

namespace omni::testing {
namespace {

TEST_CASE("engine: transient send failures are retried from the outbox with backoff",
          "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  EngineOptions options;
  options.delivery_retry_initial = std::chrono::seconds(30);
  options.delivery_retry_max = std::chrono::seconds(100);
  options.delivery_max_attempts = 4;
  World w(backend, options);
  ReceiveResult r = w.receive(w.sms_from("+4915112345678", "m1"));
  OutboundMessage out{w.tenant.id, r.conversation,           {}, w.alice.id,
                      "",          "Ihr Paket kommt morgen", {}};

  w.adapter.fail_with(Status::unavailable("503 from the provider"));
  Touchpoint queued = World::must(w.engine->send(out));
  CHECK(queued.delivery == DeliveryStatus::kQueued);  // not failed: it will be retried
  CHECK_FALSE(World::must(w.engine->conversation_view(w.tenant.id, r.conversation))
                  .conversation.first_response_at.has_value());
  // Not due before the backoff has passed.
  CHECK(World::must(w.engine->deliver_due(w.tenant.id)).attempted == 0);
  w.clock.advance(std::chrono::seconds(30));
  DeliveryRun second = World::must(w.engine->deliver_due(w.tenant.id));
  CHECK(second.attempted == 1);
  CHECK(second.retrying == 1);
  w.clock.advance(std::chrono::seconds(59));  // the second retry waits 60 s
  CHECK(World::must(w.engine->deliver_due(w.tenant.id)).attempted == 0);
  w.clock.advance(std::chrono::seconds(1));
  w.adapter.fail_with(Status());
  DeliveryRun third = World::must(w.engine->deliver_due(w.tenant.id));
  CHECK(third.sent == 1);
  auto sent = w.adapter.sent();
  REQUIRE(sent.size() == 1);
  Touchpoint delivered =
      World::must(w.engine->conversation_view(w.tenant.id, r.conversation)).touchpoints.back();
  CHECK(delivered.id == queued.id);
  CHECK(delivered.delivery == DeliveryStatus::kSent);
  CHECK(delivered.provider_message_id == sent[0].provider_message_id);
  // The first response is when the agent wrote, not when the provider finally took it.
  CHECK(World::must(w.engine->conversation_view(w.tenant.id, r.conversation))
            .conversation.first_response_at == queued.occurred_at);
  CHECK(World::must(w.engine->deliver_due(w.tenant.id)).attempted == 0);

  // Out of attempts: failed, and the timeline says so.
  w.adapter.fail_with(Status::unavailable("503 from the provider"));
  Touchpoint doomed = World::must(w.engine->send(out));
  for (int i = 0; i < 5; ++i) {
    w.clock.advance(std::chrono::seconds(100));
    World::must(w.engine->deliver_due(w.tenant.id));
  }
  auto view = World::must(w.engine->conversation_view(w.tenant.id, r.conversation));
  CHECK(view.touchpoints[view.touchpoints.size() - 2].id == doomed.id);
  CHECK(view.touchpoints[view.touchpoints.size() - 2].delivery == DeliveryStatus::kFailed);
  CHECK(view.touchpoints.back().body.find("gave up after 4 attempts") != std::string::npos);
  auto events = World::must(w.engine->events(w.tenant.id, 0, 500));
  CHECK(std::count_if(events.begin(), events.end(), [](const Event& e) {
          return e.type == "delivery.retry_scheduled";
        }) == 2 + 3);
}

TEST_CASE("engine: a send interrupted after the provider took it is retried with the same key",
          "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  // An adapter that records every key it was given, and a store that fails the transaction
  // recording the outcome once: the engine "dies" between sending and recording.
  struct KeyRecorder : ForwardingChannelAdapter {
    using ForwardingChannelAdapter::ForwardingChannelAdapter;
    Result<SendReceipt> send(const OutboundEnvelope& e) override {
      keys.push_back(e.idempotency_key);
      attempts.push_back(e.attempt);
      return ForwardingChannelAdapter::send(e);
    }
    std::vector<std::string> keys;
    std::vector<int> attempts;
  };
  std::atomic<int> budget{1 << 30};
  EngineOptions options;
  options.delivery_lease = std::chrono::seconds(120);
  World w(FaultInjectingStore::wrap(backend, &budget), options);
  KeyRecorder recorder(&w.adapter);
  OMNI_REQUIRE_OK(w.engine->register_adapter(w.tenant.id, w.sms.id, &recorder));
  ReceiveResult r = w.receive(w.sms_from("+4915112345678", "m1"));
  OutboundMessage out{w.tenant.id, r.conversation, {}, w.alice.id, "", "Antwort", {}};

  // Writes of send: touchpoint, pending delivery, event (3); the 4th write is the first of the
  // outcome's transaction.
  budget = 3;
  auto interrupted = w.engine->send(out);
  budget = 1 << 30;
  REQUIRE_FALSE(interrupted.ok());
  CHECK(interrupted.status().is(StatusCode::kIoError));
  REQUIRE(recorder.keys.size() == 1);  // the provider has it
  auto view = World::must(w.engine->conversation_view(w.tenant.id, r.conversation));
  CHECK(view.touchpoints.back().delivery == DeliveryStatus::kQueued);  // recorded, never lost

  // Not before the lease ends; then again, with the same key.
  w.clock.advance(std::chrono::seconds(119));
  CHECK(World::must(w.engine->deliver_due(w.tenant.id)).attempted == 0);
  w.clock.advance(std::chrono::seconds(1));
  CHECK(World::must(w.engine->deliver_due(w.tenant.id)).sent == 1);
  REQUIRE(recorder.keys.size() == 2);
  CHECK(recorder.keys[1] == recorder.keys[0]);
  CHECK(recorder.attempts == std::vector<int>{1, 2});
  CHECK(recorder.keys[0] == "omni-" + std::to_string(w.tenant.id.value()) + "-" +
                                std::to_string(view.touchpoints.back().id.value()));
}

}  // namespace
}  // namespace omni::testing

namespace omni::testing {
namespace {

TEST_CASE("engine: channel profiles are overridable per tenant and per channel",
          "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  CHECK_FALSE(w.sms.own_profile);
  CHECK(w.sms.profile.max_parts == default_profile(ChannelKind::kSms).max_parts);

  // The tenant allows SMS replies of at most 2 segments: every SMS channel without its own
  // profile follows, also ones created later.
  ChannelProfile short_sms = default_profile(ChannelKind::kSms);
  short_sms.max_parts = 2;
  OMNI_REQUIRE_OK(w.engine->set_tenant_profile(w.tenant.id, ChannelKind::kSms, short_sms));
  CHECK(World::must(w.engine->get_channel(w.tenant.id, w.sms.id)).profile.max_parts == 2);
  Channel second = w.channel(ChannelKind::kSms, "sms-line-2");
  CHECK(second.profile.max_parts == 2);
  CHECK(World::must(w.engine->get_channel(w.tenant.id, w.whatsapp.id)).profile.max_parts ==
        default_profile(ChannelKind::kWhatsApp).max_parts);

  // One line has its own: the tenant's later changes pass it by; clearing it follows again.
  ChannelProfile one_segment = short_sms;
  one_segment.max_parts = 1;
  Channel own = World::must(w.engine->set_channel_profile(w.tenant.id, second.id, one_segment));
  CHECK(own.own_profile);
  short_sms.max_parts = 3;
  OMNI_REQUIRE_OK(w.engine->set_tenant_profile(w.tenant.id, ChannelKind::kSms, short_sms));
  CHECK(World::must(w.engine->get_channel(w.tenant.id, second.id)).profile.max_parts == 1);
  CHECK(World::must(w.engine->get_channel(w.tenant.id, w.sms.id)).profile.max_parts == 3);
  Channel follows =
      World::must(w.engine->set_channel_profile(w.tenant.id, second.id, std::nullopt));
  CHECK_FALSE(follows.own_profile);
  CHECK(follows.profile.max_parts == 3);
  OMNI_REQUIRE_OK(w.engine->set_tenant_profile(w.tenant.id, ChannelKind::kSms, std::nullopt));
  CHECK(World::must(w.engine->get_channel(w.tenant.id, w.sms.id)).profile.max_parts ==
        default_profile(ChannelKind::kSms).max_parts);

  ChannelProfile broken = short_sms;
  broken.max_parts = 0;
  CHECK(w.engine->set_tenant_profile(w.tenant.id, ChannelKind::kSms, broken)
            .is(StatusCode::kInvalidArgument));
  CHECK(w.engine->set_channel_profile(w.tenant.id, ChannelId(999999), one_segment)
            .status()
            .is(StatusCode::kNotFound));
}

TEST_CASE("engine: a reply too long for its channel is refused before it is recorded",
          "[conformance][engine]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ChannelProfile one_segment = default_profile(ChannelKind::kSms);
  one_segment.max_parts = 1;
  OMNI_REQUIRE_OK(w.engine->set_channel_profile(w.tenant.id, w.sms.id, one_segment));
  ReceiveResult r = w.receive(w.sms_from("+4915112345678", "m1"));
  const std::size_t before = w.timeline_size(r.customer);
  OutboundMessage out{w.tenant.id, r.conversation, {}, w.alice.id, "", std::string(161, 'a'), {}};
  auto refused = w.engine->send(out);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().is(StatusCode::kResourceExhausted));
  CHECK(refused.status().field() == "body");
  CHECK(refused.status().message().find("2 SMS segments") != std::string::npos);
  CHECK(w.timeline_size(r.customer) == before);
  CHECK(w.adapter.sent().empty());

  // 160 GSM-7 septets fit one segment; one euro sign (two septets) more does not; an umlaut is
  // GSM-7, an emoji makes it UCS-2 (70 units).
  out.body = std::string(160, 'a');
  Touchpoint sent = World::must(w.engine->send(out));
  CHECK(sent.metadata.at("sms_encoding") == "gsm7");
  CHECK(sent.metadata.at("sms_segments") == "1");
  out.body = std::string(159, 'a') + "\xE2\x82\xAC";  // 159 + 2 septets
  CHECK(w.engine->send(out).status().is(StatusCode::kResourceExhausted));
  out.body = "Grüße, Ihr Paket ist unterwegs \xF0\x9F\x93\xA6";
  Touchpoint emoji = World::must(w.engine->send(out));
  CHECK(emoji.metadata.at("sms_encoding") == "ucs2");
}

}  // namespace
}  // namespace omni::testing
