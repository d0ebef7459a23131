// Customer context on every backend: the host CRM beside the conversation (and its failures,
// which never reach the receive path), SMS/WhatsApp consent with STOP/START keywords, quiet
// hours across time zones, reply templates rendered per channel with their fit, the channel of a
// proactive notification and of a follow-up with their reasons, contact preferences, and
// tenancy of all of it.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"
#include "omni/contact.h"
#include "omni/crm.h"
#include "omni/templates.h"

namespace omni::testing {
void link_context_conformance() {}
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kAnnaPhone = "+4915112345678";
constexpr const char* kBenPhone = "+16502530000";

Timestamp at(const std::string& rfc3339) {
  auto t = parse_timestamp(rfc3339);
  REQUIRE(t.ok());
  return *t;
}

bool any_contains(const std::vector<std::string>& texts, const std::string& needle) {
  return std::any_of(texts.begin(), texts.end(),
                     [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& texts) {
  std::string out;
  for (const auto& s : texts)
    out += (out.empty() ? "" : " | ") + s;
  return out;
}

std::vector<Touchpoint> timeline_of(World& w, CustomerId customer) {
  TimelineQuery q;
  q.tenant = w.tenant.id;
  q.customer = customer;
  q.limit = 500;
  return World::must(w.engine->timeline(q)).touchpoints;
}

std::size_t count_kind(const std::vector<Touchpoint>& touchpoints, TouchpointKind kind) {
  return static_cast<std::size_t>(std::count_if(
      touchpoints.begin(), touchpoints.end(), [&](const Touchpoint& t) { return t.kind == kind; }));
}

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

std::size_t sends_to(const RecordingAdapter& adapter, const std::string& recipient) {
  auto sent = adapter.sent();
  return static_cast<std::size_t>(std::count_if(
      sent.begin(), sent.end(), [&](const RecordedSend& s) { return s.recipient == recipient; }));
}

const ChannelOption* option_of(const ChannelChoice& choice, ChannelId channel) {
  for (const auto& o : choice.options) {
    if (o.channel == channel) return &o;
  }
  return nullptr;
}

std::string describe_choice(const ChannelChoice& choice) {
  std::string out;
  for (const auto& o : choice.options) {
    out += std::string(to_string(o.kind)) + (o.eligible ? " [eligible] " : " [excluded] ") +
           joined(o.reasons) + "\n";
  }
  return out;
}

OutboundMessage reply(World& w, ConversationId conversation, const std::string& body,
                      std::optional<ChannelId> channel = std::nullopt) {
  OutboundMessage m;
  m.tenant = w.tenant.id;
  m.conversation = conversation;
  m.channel = channel;
  m.agent = w.alice.id;
  m.body = body;
  return m;
}

CrmContext acme_record() {
  CrmContext c;
  c.system = "acme-crm";
  c.record_id = "C-17";
  c.account_status = "vip";
  c.fields["segment"] = "gold";
  CrmItem order;
  order.id = "SO-1042";
  order.title = "2 x Trail Runner 42";
  order.status = "delayed";
  order.amount = "129.90 EUR";
  order.url = "https://crm.example/orders/SO-1042";
  CrmItem older;
  older.id = "SO-0999";
  older.title = "Socks";
  older.status = "delivered";
  c.orders = {order, older};
  return c;
}

// A host CRM that answers, fails, throws or hangs until released; counts its calls.
class FakeCrm final : public CrmContextProvider {
 public:
  enum class Mode { kHealthy, kFail, kThrow, kBlock };
  explicit FakeCrm(Mode mode) : mode_(mode) {}

  Result<CrmContext> lookup(const CrmLookup& request) override {
    calls_.fetch_add(1);
    (void)request;
    switch (mode_) {
      case Mode::kHealthy:
        break;
      case Mode::kFail:
        return Status::unavailable("CRM down");
      case Mode::kThrow:
        throw std::runtime_error("CRM exploded");
      case Mode::kBlock: {
        std::unique_lock<std::mutex> lock(mutex_);
        released_cv_.wait(lock, [&] { return released_; });
        break;
      }
    }
    return acme_record();
  }

  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      released_ = true;
    }
    released_cv_.notify_all();
  }
  int calls() const { return calls_.load(); }

 private:
  Mode mode_;
  std::atomic<int> calls_{0};
  std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;
};

// Releases a blocking provider when the test ends, however it ends, before the engine (declared
// earlier) joins its CRM workers.
struct ReleaseAtEnd {
  FakeCrm& crm;
  ~ReleaseAtEnd() { crm.release(); }
};

EngineOptions fast_crm_options() {
  EngineOptions o;
  o.crm_timeout = milliseconds(100);
  o.crm_cache_ttl = seconds(30);
  return o;
}

long long elapsed_ms(SteadyClock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - since).count();
}

// Sets the customer's preferences (whole).
void prefer(World& w, CustomerId customer, ContactPreferences p) {
  CustomerUpdate u;
  u.preferences = std::move(p);
  World::must(w.engine->update_customer(w.tenant.id, customer, u));
}

ContactPreferences quiet_nights(const std::string& zone, std::vector<ChannelKind> channels) {
  ContactPreferences p;
  p.channels = std::move(channels);
  p.time_zone = zone;
  p.quiet_hours = QuietHours{hours(22), hours(8)};
  return p;
}

NotificationRequest notification(World& w, CustomerId customer,
                                 Urgency urgency = Urgency::kNormal) {
  NotificationRequest n;
  n.tenant = w.tenant.id;
  n.customer = customer;
  n.purpose = "reply_waiting";
  n.urgency = urgency;
  n.subject = "A reply is waiting";
  n.body = "Your reply is waiting in your account.";
  return n;
}

// --------------------------------------------------------------------------------------------
// 1. The host CRM

TEST_CASE("context: without a CRM provider the views say so", "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend, fast_crm_options());
  ReceiveResult r = w.receive(w.sms_from(kAnnaPhone, "s1", "where is my order?"));
  CHECK(World::must(w.engine->customer_view(w.tenant.id, r.customer)).crm.state ==
        CrmState::kNotConfigured);
  CHECK(World::must(w.engine->conversation_view(w.tenant.id, r.conversation)).crm.state ==
        CrmState::kNotConfigured);
}

TEST_CASE("context: a hanging CRM never slows receive and degrades views within the timeout",
          "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  FakeCrm crm(FakeCrm::Mode::kBlock);
  World w(backend, fast_crm_options());
  ReleaseAtEnd release{crm};
  w.engine->set_crm_provider(&crm);

  auto start = SteadyClock::now();
  ReceiveResult first;
  for (int i = 0; i < 20; ++i) {
    w.clock.advance(seconds(1));
    ReceiveResult r = w.receive(
        w.message(w.email, IdentityKind::kEmail, "c" + std::to_string(i % 5) + "@example.com",
                  "m" + std::to_string(i), "question " + std::to_string(i)));
    if (i == 0) first = r;
  }
  CHECK(elapsed_ms(start) < 2000);
  CHECK(crm.calls() == 0);  // never on the receive path

  start = SteadyClock::now();
  CustomerView view = World::must(w.engine->customer_view(w.tenant.id, first.customer));
  CHECK(elapsed_ms(start) < 2000);
  CHECK(view.crm.state == CrmState::kMissing);
  CHECK_FALSE(view.crm.reason.empty());
  CHECK(view.customer.id == first.customer);  // the rest of the view is intact
  CHECK(crm.calls() >= 1);

  // Still hanging: the next views are bounded too.
  start = SteadyClock::now();
  ConversationView cv = World::must(w.engine->conversation_view(w.tenant.id, first.conversation));
  CHECK(elapsed_ms(start) < 2000);
  CHECK(cv.crm.state == CrmState::kMissing);
  CHECK_FALSE(cv.crm.reason.empty());

  // And receiving still works while the CRM hangs.
  const int calls_before = crm.calls();
  start = SteadyClock::now();
  w.receive(w.message(w.email, IdentityKind::kEmail, "c0@example.com", "late", "still there?"));
  CHECK(elapsed_ms(start) < 2000);
  CHECK(crm.calls() == calls_before);

  // Once the CRM answers, its late answer serves the next view (crm.h: it is still cached).
  crm.release();
  bool ok = false;
  auto deadline = SteadyClock::now() + seconds(3);
  while (!ok && SteadyClock::now() < deadline) {
    ok = World::must(w.engine->customer_view(w.tenant.id, first.customer)).crm.state ==
         CrmState::kOk;
    if (!ok) std::this_thread::sleep_for(milliseconds(20));
  }
  CHECK(ok);
}

TEST_CASE("context: a failing or throwing CRM degrades the view and nothing else",
          "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  const bool throws = GENERATE(false, true);
  INFO((throws ? "provider throws" : "provider returns an error"));
  FakeCrm crm(throws ? FakeCrm::Mode::kThrow : FakeCrm::Mode::kFail);
  World w(backend, fast_crm_options());
  w.engine->set_crm_provider(&crm);

  auto start = SteadyClock::now();
  ReceiveResult r;
  for (int i = 0; i < 10; ++i) {
    r = w.receive(w.sms_from(kAnnaPhone, "s" + std::to_string(i), "message " + std::to_string(i)));
  }
  CHECK(elapsed_ms(start) < 2000);
  CHECK(crm.calls() == 0);

  start = SteadyClock::now();
  CustomerView view = World::must(w.engine->customer_view(w.tenant.id, r.customer));
  CHECK(elapsed_ms(start) < 2000);
  CHECK(view.crm.state == CrmState::kMissing);
  INFO("reason: " << view.crm.reason);
  CHECK_FALSE(view.crm.reason.empty());
  if (!throws) CHECK(view.crm.reason.find("CRM down") != std::string::npos);
  CHECK(view.crm.context.orders.empty());
  CHECK(crm.calls() >= 1);

  ConversationView cv = World::must(w.engine->conversation_view(w.tenant.id, r.conversation));
  CHECK(cv.crm.state == CrmState::kMissing);

  // A handoff is still recorded; its packet says the CRM data is missing.
  HandoffSpec h;
  h.tenant = w.tenant.id;
  h.conversation = r.conversation;
  h.kind = HandoffKind::kChannelSwitch;
  h.to_channel = w.phone.id;
  h.reason = "billing question";
  Handoff handoff = World::must(w.engine->record_handoff(h));
  CHECK(handoff.context.crm.state == CrmState::kMissing);
}

TEST_CASE("context: a healthy CRM shows in the views and the handoff's context packet",
          "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  FakeCrm crm(FakeCrm::Mode::kHealthy);
  World w(backend, fast_crm_options());
  w.engine->set_crm_provider(&crm);
  ReceiveResult r = w.receive(w.sms_from(kAnnaPhone, "s1", "where is SO-1042?"));
  CHECK(crm.calls() == 0);

  CustomerView view = World::must(w.engine->customer_view(w.tenant.id, r.customer));
  REQUIRE(view.crm.state == CrmState::kOk);
  CHECK_FALSE(view.crm.from_cache);
  CHECK(view.crm.context.system == "acme-crm");
  CHECK(view.crm.context.account_status == "vip");
  REQUIRE(view.crm.context.orders.size() == 2);
  CHECK(view.crm.context.orders[0].id == "SO-1042");
  CHECK(view.crm.context.orders[0].status == "delayed");
  CHECK(view.crm.fetched_at == w.clock.now());
  CHECK(crm.calls() == 1);

  // Within the TTL the next view is answered from the cache.
  w.clock.advance(seconds(5));
  CustomerView again = World::must(w.engine->customer_view(w.tenant.id, r.customer));
  REQUIRE(again.crm.state == CrmState::kOk);
  CHECK(again.crm.from_cache);
  CHECK(again.crm.context.orders[0].id == "SO-1042");
  CHECK(crm.calls() == 1);

  ConversationView cv = World::must(w.engine->conversation_view(w.tenant.id, r.conversation));
  REQUIRE(cv.crm.state == CrmState::kOk);
  REQUIRE_FALSE(cv.crm.context.orders.empty());
  CHECK(cv.crm.context.orders[0].id == "SO-1042");

  HandoffSpec h;
  h.tenant = w.tenant.id;
  h.conversation = r.conversation;
  h.kind = HandoffKind::kChannelSwitch;
  h.to_channel = w.phone.id;
  h.reason = "order question";
  Handoff recorded = World::must(w.engine->record_handoff(h));
  CHECK(recorded.context.crm.state == CrmState::kOk);
  Handoff stored = World::must(w.engine->get_handoff(w.tenant.id, recorded.id));
  REQUIRE(stored.context.crm.state == CrmState::kOk);
  CHECK(stored.context.crm.context.record_id == "C-17");
  REQUIRE(stored.context.crm.context.orders.size() == 2);
  CHECK(stored.context.crm.context.orders[0].id == "SO-1042");
  CHECK(stored.context.crm.context.orders[0].amount == "129.90 EUR");
}

// --------------------------------------------------------------------------------------------
// 2. Consent on SMS and WhatsApp

TEST_CASE("context: an SMS send is refused after STOP and allowed after a new opt-in",
          "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);

  // The customer texts in: implied consent.
  ReceiveResult first = w.receive(w.sms_from(kAnnaPhone, "s1", "Where is my order?"));
  REQUIRE(first.conversation.valid());
  CHECK(first.consent == ConsentState::kGranted);
  auto consents = World::must(w.engine->list_consents(w.tenant.id, first.customer));
  REQUIRE(consents.size() == 1);
  CHECK(consents[0].channel_kind == ChannelKind::kSms);
  CHECK(consents[0].state == ConsentState::kGranted);
  CHECK(consents[0].source == "inbound_message");
  CHECK(World::must(w.engine->customer_view(w.tenant.id, first.customer)).consents.size() == 1);

  Touchpoint ok1 = World::must(w.engine->send(reply(w, first.conversation, "It ships today.")));
  CHECK(ok1.delivery == DeliveryStatus::kSent);
  CHECK(sends_to(w.adapter, kAnnaPhone) == 1);

  // STOP withdraws it; the message joins the active conversation and is on the timeline.
  w.clock.advance(minutes(1));
  ReceiveResult stop = w.receive(w.sms_from(kAnnaPhone, "s2", "Stop"));
  CHECK(stop.consent == ConsentState::kWithdrawn);
  CHECK(stop.conversation == first.conversation);
  auto timeline = timeline_of(w, first.customer);
  CHECK(count_kind(timeline, TouchpointKind::kPreferenceChange) == 1);
  CHECK(std::any_of(timeline.begin(), timeline.end(), [&](const Touchpoint& t) {
    return t.kind == TouchpointKind::kMessageIn && t.body == "Stop";
  }));
  CHECK(events_of(w, "consent.changed").size() >= 1);
  consents = World::must(w.engine->list_consents(w.tenant.id, first.customer));
  REQUIRE(consents.size() == 1);
  CHECK(consents[0].state == ConsentState::kWithdrawn);
  CHECK(consents[0].source == "keyword");

  // Refused, and nothing recorded.
  const std::size_t before = w.timeline_size(first.customer);
  auto refused = w.engine->send(reply(w, first.conversation, "But wait!"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().is(StatusCode::kFailedPrecondition));
  CHECK(refused.status().field() == "consent");
  CHECK(w.timeline_size(first.customer) == before);
  CHECK(sends_to(w.adapter, kAnnaPhone) == 1);
  w.clock.advance(hours(2));
  CHECK(World::must(w.engine->deliver_due(w.tenant.id)).attempted == 0);

  // An ordinary message does not grant it again.
  ReceiveResult hello = w.receive(w.sms_from(kAnnaPhone, "s3", "hello?"));
  CHECK_FALSE(hello.consent);
  CHECK(w.engine->send(reply(w, first.conversation, "Hello!"))
            .status()
            .is(StatusCode::kFailedPrecondition));

  // START does.
  ReceiveResult start = w.receive(w.sms_from(kAnnaPhone, "s4", " START "));
  CHECK(start.consent == ConsentState::kGranted);
  Touchpoint ok2 = World::must(w.engine->send(reply(w, first.conversation, "Welcome back.")));
  CHECK(ok2.delivery == DeliveryStatus::kSent);
  CHECK(sends_to(w.adapter, kAnnaPhone) == 2);
  CHECK(count_kind(timeline_of(w, first.customer), TouchpointKind::kPreferenceChange) == 2);

  // STOP again, then a web form grants it.
  w.receive(w.sms_from(kAnnaPhone, "s5", "UNSUBSCRIBE"));
  CHECK(w.engine->send(reply(w, first.conversation, "x")).status().field() == "consent");
  ConsentChange form;
  form.tenant = w.tenant.id;
  form.customer = first.customer;
  form.channel_kind = ChannelKind::kSms;
  form.state = ConsentState::kGranted;
  form.source = "web_form";
  form.evidence = "form-881";
  auto stored = World::must(w.engine->set_consent(form));
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].state == ConsentState::kGranted);
  CHECK(stored[0].source == "web_form");
  CHECK(World::must(w.engine->send(reply(w, first.conversation, "Thanks."))).delivery ==
        DeliveryStatus::kSent);
  CHECK(sends_to(w.adapter, kAnnaPhone) == 3);

  // set_consent needs a source.
  form.source = "";
  CHECK(w.engine->set_consent(form).status().is(StatusCode::kInvalidArgument));
}

TEST_CASE("context: consent is per channel kind, a keyword opens no conversation",
          "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult sms = w.receive(w.sms_from(kAnnaPhone, "s1", "hi by sms"));
  ReceiveResult wa =
      w.receive(w.message(w.whatsapp, IdentityKind::kPhone, kAnnaPhone, "w1", "hi on whatsapp"));
  REQUIRE(wa.customer == sms.customer);
  CHECK(wa.consent == ConsentState::kGranted);
  auto consents = World::must(w.engine->list_consents(w.tenant.id, sms.customer));
  CHECK(consents.size() == 2);

  // STOP on SMS leaves WhatsApp granted.
  ReceiveResult stop = w.receive(w.sms_from(kAnnaPhone, "s2", "STOP"));
  CHECK(stop.consent == ConsentState::kWithdrawn);
  CHECK(w.engine->send(reply(w, sms.conversation, "sms?", w.sms.id))
            .status()
            .is(StatusCode::kFailedPrecondition));
  Touchpoint on_wa = World::must(w.engine->send(reply(w, sms.conversation, "wa", w.whatsapp.id)));
  CHECK(on_wa.delivery == DeliveryStatus::kSent);
  for (const auto& c : World::must(w.engine->list_consents(w.tenant.id, sms.customer))) {
    CHECK(c.state == (c.channel_kind == ChannelKind::kSms ? ConsentState::kWithdrawn
                                                          : ConsentState::kGranted));
  }

  // STOP on WhatsApp withdraws that one too.
  ReceiveResult wa_stop =
      w.receive(w.message(w.whatsapp, IdentityKind::kPhone, kAnnaPhone, "w2", "stop!"));
  CHECK(wa_stop.consent == ConsentState::kWithdrawn);
  auto refused = w.engine->send(reply(w, sms.conversation, "wa?", w.whatsapp.id));
  CHECK(refused.status().is(StatusCode::kFailedPrecondition));
  CHECK(refused.status().field() == "consent");

  // With no active conversation a keyword is stored but opens none.
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, sms.conversation));
  w.clock.advance(hours(24 * 30));  // past the reopen window
  const std::size_t before = w.timeline_size(sms.customer);
  ReceiveResult start = w.receive(w.sms_from(kAnnaPhone, "s3", "START"));
  CHECK(start.consent == ConsentState::kGranted);
  CHECK_FALSE(start.conversation.valid());
  CHECK_FALSE(start.new_conversation);
  CHECK(start.customer == sms.customer);
  CHECK(
      World::must(w.engine->customer_view(w.tenant.id, sms.customer)).active_conversations.empty());
  CHECK(w.timeline_size(sms.customer) >= before + 2);  // the message and the preference change

  // A new customer who texts only STOP has withdrawn, and no conversation either.
  ReceiveResult stranger = w.receive(w.sms_from(kBenPhone, "s4", "STOP"));
  CHECK(stranger.consent == ConsentState::kWithdrawn);
  CHECK_FALSE(stranger.conversation.valid());
}

TEST_CASE("context: a queued SMS whose consent is withdrawn meanwhile is not delivered",
          "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult r = w.receive(w.sms_from(kAnnaPhone, "s1", "hi"));
  w.adapter.fail_with(Status::unavailable("carrier down"));
  Touchpoint queued = World::must(w.engine->send(reply(w, r.conversation, "We are on it.")));
  CHECK(queued.delivery == DeliveryStatus::kQueued);
  w.adapter.fail_with(Status());
  w.adapter.clear();

  w.receive(w.sms_from(kAnnaPhone, "s2", "STOP"));
  w.clock.advance(minutes(5));
  DeliveryRun run = World::must(w.engine->deliver_due(w.tenant.id));
  CHECK(run.failed == 1);
  CHECK(run.sent == 0);
  CHECK(w.adapter.sent().empty());
  auto timeline = timeline_of(w, r.customer);
  auto it = std::find_if(timeline.begin(), timeline.end(),
                         [&](const Touchpoint& t) { return t.id == queued.id; });
  REQUIRE(it != timeline.end());
  CHECK(it->delivery == DeliveryStatus::kFailed);
}

// --------------------------------------------------------------------------------------------
// 3. Quiet hours across time zones

TEST_CASE("context: quiet hours follow each customer's time zone", "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult anna = w.receive(w.sms_from(kAnnaPhone, "s1", "hallo"));
  ReceiveResult ben = w.receive(w.sms_from(kBenPhone, "s2", "hello"));
  REQUIRE(anna.customer != ben.customer);
  prefer(w, anna.customer, quiet_nights("Europe/Berlin", {ChannelKind::kSms}));
  prefer(w, ben.customer, quiet_nights("America/New_York", {ChannelKind::kSms}));

  // 23:30 in Berlin, 17:30 in New York.
  w.clock.set(at("2026-11-25T22:30:00Z"));
  w.adapter.clear();

  NotificationResult to_anna = World::must(w.engine->notify(notification(w, anna.customer)));
  INFO(describe_choice(to_anna.choice));
  REQUIRE(to_anna.choice.chosen());
  CHECK(to_anna.choice.chosen()->kind == ChannelKind::kSms);
  REQUIRE(to_anna.deferred_until);
  CHECK(*to_anna.deferred_until == at("2026-11-26T07:00:00Z"));  // 08:00 CET
  CHECK(to_anna.choice.chosen()->deliver_at == to_anna.deferred_until);
  CHECK(any_contains(to_anna.choice.chosen()->reasons, "quiet hours"));
  CHECK(to_anna.touchpoint.delivery == DeliveryStatus::kQueued);
  CHECK(to_anna.touchpoint.kind == TouchpointKind::kMessageOut);
  CHECK(sends_to(w.adapter, kAnnaPhone) == 0);

  NotificationResult to_ben = World::must(w.engine->notify(notification(w, ben.customer)));
  INFO(describe_choice(to_ben.choice));
  REQUIRE(to_ben.choice.chosen());
  CHECK(to_ben.choice.chosen()->kind == ChannelKind::kSms);
  CHECK_FALSE(to_ben.deferred_until);
  CHECK(to_ben.touchpoint.delivery == DeliveryStatus::kSent);
  CHECK(sends_to(w.adapter, kBenPhone) == 1);
  CHECK(to_ben.touchpoint.metadata["notification_purpose"] == "reply_waiting");
  CHECK(to_ben.touchpoint.metadata["notification_urgency"] == "normal");
  CHECK_FALSE(to_ben.touchpoint.metadata["notification_reasons"].empty());
  CHECK(events_of(w, "notification.queued").size() == 2);

  // Not before 08:00 in Berlin.
  w.clock.set(at("2026-11-26T06:59:00Z"));
  CHECK(World::must(w.engine->deliver_due(w.tenant.id)).sent == 0);
  CHECK(sends_to(w.adapter, kAnnaPhone) == 0);
  w.clock.set(at("2026-11-26T07:00:01Z"));
  DeliveryRun run = World::must(w.engine->deliver_due(w.tenant.id));
  CHECK(run.sent == 1);
  CHECK(sends_to(w.adapter, kAnnaPhone) == 1);

  // Critical ignores quiet hours: the next night, at once.
  w.clock.set(at("2026-11-26T22:30:00Z"));
  NotificationResult alert =
      World::must(w.engine->notify(notification(w, anna.customer, Urgency::kCritical)));
  INFO(describe_choice(alert.choice));
  REQUIRE(alert.choice.chosen());
  CHECK(alert.choice.chosen()->kind == ChannelKind::kSms);
  CHECK_FALSE(alert.deferred_until);
  CHECK_FALSE(alert.choice.chosen()->deliver_at);
  CHECK(alert.touchpoint.delivery == DeliveryStatus::kSent);
  CHECK(alert.touchpoint.metadata["notification_urgency"] == "critical");
  CHECK(sends_to(w.adapter, kAnnaPhone) == 2);
}

// --------------------------------------------------------------------------------------------
// 4. Templates

ReplyTemplate order_delayed() {
  ReplyTemplate t;
  t.key = "order_delayed";
  t.description = "An order is late";
  t.default_language = "en";
  TemplateVariant email_de{ChannelKind::kEmail, "de", TextFormat::kHtml,
                           "Ihre Bestellung {{crm.order.id}}",
                           "<p>Guten Tag {{customer.name}},</p><p>Ihre Bestellung {{crm.order.id}} "
                           "({{crm.order.title}}) verzögert sich bis {{new_date}}.</p>"
                           "<p>Mit freundlichen Grüßen<br>{{agent.name}}</p>"};
  TemplateVariant email_en{ChannelKind::kEmail, "en", TextFormat::kHtml,
                           "Your order {{crm.order.id}}",
                           "<p>Dear {{customer.name}},</p><p>your order {{crm.order.id}} is "
                           "delayed until {{new_date}}.</p><p>Kind regards<br>{{agent.name}}</p>"};
  TemplateVariant whatsapp{ChannelKind::kWhatsApp, "en", TextFormat::kPlain, "",
                           "Hi {{customer.first_name}}, sorry! Your order {{crm.order.id}} is "
                           "late, new date: {{new_date}}. {{agent.first_name}}"};
  TemplateVariant sms{ChannelKind::kSms, "en", TextFormat::kPlain, "",
                      "Order {{crm.order.id|}} delayed to {{new_date}}. Reply for help. "
                      "{{agent.first_name}}"};
  TemplateVariant generic{std::nullopt, "en", TextFormat::kPlain, "",
                          "Hello {{customer.name}}, {{crm.order.id|your order}} is delayed until "
                          "{{new_date}}."};
  t.variants = {email_de, email_en, whatsapp, sms, generic};
  return t;
}

TEST_CASE("context: templates are kept per tenant and checked", "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  OMNI_REQUIRE_OK(w.engine->put_template(w.tenant.id, order_delayed()));
  ReplyTemplate got = World::must(w.engine->get_template(w.tenant.id, "order_delayed"));
  CHECK(got.variants.size() == 5);
  CHECK(got.variants[0].format == TextFormat::kHtml);
  CHECK(got.variants[1].subject == "Your order {{crm.order.id}}");
  CHECK_FALSE(got.variants[4].channel_kind);
  CHECK(World::must(w.engine->list_templates(w.tenant.id)).size() == 1);

  ReplyTemplate bad = order_delayed();
  bad.key = "Order Delayed";
  Status s = w.engine->put_template(w.tenant.id, bad);
  CHECK(s.is(StatusCode::kInvalidArgument));
  CHECK(s.field() == "key");
  bad = order_delayed();
  bad.variants[2].body = "Hi {{customer.first_name";
  s = w.engine->put_template(w.tenant.id, bad);
  CHECK(s.is(StatusCode::kInvalidArgument));
  CHECK(s.field() == "variants[2].body");
  // The stored one is unchanged.
  CHECK(World::must(w.engine->get_template(w.tenant.id, "order_delayed")).variants[2].body ==
        order_delayed().variants[2].body);

  // Another tenant does not see it.
  Tenant other = World::must(w.engine->create_tenant("globex", "US"));
  CHECK(w.engine->get_template(other.id, "order_delayed").status().is(StatusCode::kNotFound));
  CHECK(World::must(w.engine->list_templates(other.id)).empty());
  CHECK(w.engine->remove_template(other.id, "order_delayed").is(StatusCode::kNotFound));

  OMNI_REQUIRE_OK(w.engine->remove_template(w.tenant.id, "order_delayed"));
  CHECK(w.engine->get_template(w.tenant.id, "order_delayed").status().is(StatusCode::kNotFound));
  CHECK(w.engine->remove_template(w.tenant.id, "order_delayed").is(StatusCode::kNotFound));
}

TEST_CASE("context: a template rendered per channel with its fit", "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  FakeCrm crm(FakeCrm::Mode::kHealthy);
  World w(backend, fast_crm_options());
  w.engine->set_crm_provider(&crm);
  OMNI_REQUIRE_OK(w.engine->put_template(w.tenant.id, order_delayed()));

  ReceiveResult r =
      w.receive(w.message(w.email, IdentityKind::kEmail, "anna@example.com", "e1", "Wo bleibt's?"));
  CustomerUpdate hostile;
  hostile.display_name = "Anna <script>alert(1)</script> & Co";
  World::must(w.engine->update_customer(w.tenant.id, r.customer, hostile));

  RenderRequest req;
  req.tenant = w.tenant.id;
  req.conversation = r.conversation;
  req.template_key = "order_delayed";
  req.agent = w.alice.id;
  req.values["new_date"] = "2026-12-02";

  SECTION("email, German, HTML-escaped values") {
    req.language = "de";
    RenderedReply out = World::must(w.engine->render_template(req));
    CHECK(out.channel == w.email.id);  // the conversation's channel by default
    CHECK(out.variant_kind == ChannelKind::kEmail);
    CHECK(out.language == "de");
    CHECK(out.format == TextFormat::kHtml);
    CHECK(out.subject == "Ihre Bestellung SO-1042");
    CHECK(out.body.find("Anna &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co") !=
          std::string::npos);
    CHECK(out.body.find("<script>") == std::string::npos);
    CHECK(out.body.find("SO-1042 (2 x Trail Runner 42)") != std::string::npos);
    CHECK(out.body.find("bis 2026-12-02") != std::string::npos);
    CHECK(out.body.find("<br>alice</p>") != std::string::npos);
    CHECK(out.fit.fits);
    CHECK(out.fit.rule == LengthRule::kUnlimited);
  }
  SECTION("email, English") {
    req.language = "en";
    RenderedReply out = World::must(w.engine->render_template(req));
    CHECK(out.language == "en");
    CHECK(out.subject == "Your order SO-1042");
    CHECK(out.body.find("delayed until 2026-12-02") != std::string::npos);
  }
  SECTION("sms: one GSM-7 segment") {
    req.channel = w.sms.id;
    req.language = "en";
    RenderedReply out = World::must(w.engine->render_template(req));
    CHECK(out.channel == w.sms.id);
    CHECK(out.variant_kind == ChannelKind::kSms);
    CHECK(out.body == "Order SO-1042 delayed to 2026-12-02. Reply for help. alice");
    CHECK(out.fit.rule == LengthRule::kSmsSegments);
    CHECK(out.fit.encoding == TextEncoding::kGsm7);
    CHECK(out.fit.segments == 1);
    CHECK(out.fit.fits);
  }
  SECTION("whatsapp: informal, plain") {
    req.channel = w.whatsapp.id;
    req.language = "en";
    RenderedReply out = World::must(w.engine->render_template(req));
    CHECK(out.variant_kind == ChannelKind::kWhatsApp);
    CHECK(out.format == TextFormat::kPlain);
    CHECK(out.body.rfind("Hi Anna, sorry! Your order SO-1042 is late", 0) == 0);
    CHECK(out.fit.rule == LengthRule::kUnicodeCharacters);
  }
  SECTION("a kind without a variant gets the generic one, saying so") {
    req.channel = w.messenger.id;
    req.language = "en";
    RenderedReply out = World::must(w.engine->render_template(req));
    CHECK_FALSE(out.variant_kind);
    CHECK(out.channel == w.messenger.id);
    INFO(joined(out.reasons));
    CHECK(any_contains(out.reasons, "generic"));
    CHECK(out.body.find("SO-1042 is delayed until 2026-12-02") != std::string::npos);
    CHECK(out.fit.rule == LengthRule::kUnicodeCharacters);
  }
  SECTION("without CRM data the fallback applies") {
    w.engine->set_crm_provider(nullptr);
    req.channel = w.messenger.id;
    req.language = "en";
    RenderedReply out = World::must(w.engine->render_template(req));
    CHECK(out.body.find("your order is delayed until 2026-12-02") != std::string::npos);
  }
  SECTION("host values take precedence") {
    req.channel = w.sms.id;
    req.language = "en";
    req.values["crm.order.id"] = "SO-7";
    RenderedReply out = World::must(w.engine->render_template(req));
    CHECK(out.body.rfind("Order SO-7 delayed", 0) == 0);
  }
  SECTION("a missing placeholder is an error naming it") {
    req.channel = w.sms.id;
    req.language = "en";
    req.values.clear();
    auto out = w.engine->render_template(req);
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().is(StatusCode::kInvalidArgument));
    CHECK(out.status().field() == "values");
    CHECK(out.status().message().find("new_date") != std::string::npos);
  }
  SECTION("an unknown template") {
    req.template_key = "nope";
    CHECK(w.engine->render_template(req).status().is(StatusCode::kNotFound));
  }
}

// --------------------------------------------------------------------------------------------
// 5. The channel of a notification

TEST_CASE("context: the notification channel and its reasons per customer profile",
          "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);

  SECTION("prefers WhatsApp with consent; after withdrawal email") {
    ReceiveResult r =
        w.receive(w.message(w.whatsapp, IdentityKind::kPhone, kAnnaPhone, "w1", "hi on whatsapp"));
    World::must(w.engine->link_identity(
        w.tenant.id, r.customer, {IdentityKind::kEmail, "", "anna@example.com"}, true, "agent"));
    ContactPreferences p;
    p.channels = {ChannelKind::kWhatsApp, ChannelKind::kEmail};
    prefer(w, r.customer, p);

    NotificationResult first = World::must(w.engine->notify(notification(w, r.customer)));
    INFO(describe_choice(first.choice));
    REQUIRE(first.choice.chosen());
    CHECK(first.choice.chosen()->channel == w.whatsapp.id);
    CHECK(any_contains(first.choice.chosen()->reasons, "preferred"));
    CHECK(first.touchpoint.delivery == DeliveryStatus::kSent);
    CHECK(first.touchpoint.channel == w.whatsapp.id);
    // SMS on the same number has no consent.
    const ChannelOption* sms = option_of(first.choice, w.sms.id);
    REQUIRE(sms);
    CHECK_FALSE(sms->eligible);
    CHECK(any_contains(sms->reasons, "consent"));
    // Channels that carry no written notification are excluded.
    const ChannelOption* phone = option_of(first.choice, w.phone.id);
    REQUIRE(phone);
    CHECK_FALSE(phone->eligible);

    ConsentChange off;
    off.tenant = w.tenant.id;
    off.customer = r.customer;
    off.channel_kind = ChannelKind::kWhatsApp;
    off.state = ConsentState::kWithdrawn;
    off.source = "agent";
    World::must(w.engine->set_consent(off));

    NotificationResult second = World::must(w.engine->notify(notification(w, r.customer)));
    INFO(describe_choice(second.choice));
    REQUIRE(second.choice.chosen());
    CHECK(second.choice.chosen()->channel == w.email.id);
    CHECK(second.touchpoint.channel == w.email.id);
    const ChannelOption* wa = option_of(second.choice, w.whatsapp.id);
    REQUIRE(wa);
    CHECK_FALSE(wa->eligible);
    CHECK(any_contains(wa->reasons, "withdrawn"));
    CHECK(second.touchpoint.metadata["notification_purpose"] == "reply_waiting");
  }

  SECTION("sensitive: only a secure channel (letter, not email)") {
    Channel letter = w.channel(ChannelKind::kLetter, "post");
    ReceiveResult r =
        w.receive(w.message(w.email, IdentityKind::kEmail, "ben@example.com", "e1", "hi"));
    // A letter needs a postal address: the engine reads the customer attribute
    // "postal_address" (not stated in the public headers).
    CustomerUpdate address;
    address.set_attributes["postal_address"] = "Hauptstr. 1, 10115 Berlin";
    World::must(w.engine->update_customer(w.tenant.id, r.customer, address));
    NotificationRequest n = notification(w, r.customer);
    n.purpose = "payment_reminder";
    n.sensitive = true;
    NotificationResult out = World::must(w.engine->notify(n));
    INFO(describe_choice(out.choice));
    REQUIRE(out.choice.chosen());
    CHECK(out.choice.chosen()->channel == letter.id);
    for (const auto& o : out.choice.options) {
      if (o.eligible) CHECK(default_profile(o.kind).secure);
    }
    const ChannelOption* email = option_of(out.choice, w.email.id);
    REQUIRE(email);
    CHECK_FALSE(email->eligible);
    CHECK(any_contains(email->reasons, "secure"));

    // Not sensitive: email (free) beats the letter.
    NotificationResult plain = World::must(w.engine->notify(notification(w, r.customer)));
    INFO(describe_choice(plain.choice));
    REQUIRE(plain.choice.chosen());
    CHECK(plain.choice.chosen()->channel == w.email.id);
  }

  SECTION("a channel without an adapter is excluded") {
    Channel telegram = World::must(
        w.engine->create_channel({w.tenant.id, ChannelKind::kTelegram, "tg-bot", std::nullopt}));
    InboundMessage tg;
    tg.tenant = w.tenant.id;
    tg.channel = telegram.id;
    tg.from = {IdentityKind::kTelegramId, "acme_bot", "424242"};
    tg.provider_message_id = "t1";
    tg.body = "hi from telegram";
    tg.display_name = "Carla";
    ReceiveResult r = w.receive(tg);
    World::must(w.engine->link_identity(
        w.tenant.id, r.customer, {IdentityKind::kEmail, "", "carla@example.com"}, true, "agent"));
    ContactPreferences p;
    p.channels = {ChannelKind::kTelegram, ChannelKind::kEmail};
    prefer(w, r.customer, p);

    NotificationResult out = World::must(w.engine->notify(notification(w, r.customer)));
    INFO(describe_choice(out.choice));
    REQUIRE(out.choice.chosen());
    CHECK(out.choice.chosen()->channel == w.email.id);
    const ChannelOption* t = option_of(out.choice, telegram.id);
    REQUIRE(t);
    CHECK_FALSE(t->eligible);
    CHECK(any_contains(t->reasons, "adapter"));
  }

  SECTION("no channel reaches the customer") {
    ReceiveResult r = w.receive(
        w.message(w.chat, IdentityKind::kWebVisitor, "visitor-1", "c1", "hi from the chat"));
    const std::size_t before = w.timeline_size(r.customer);
    auto out = w.engine->notify(notification(w, r.customer));
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().is(StatusCode::kFailedPrecondition));
    CHECK_FALSE(out.status().message().empty());
    CHECK(w.timeline_size(r.customer) == before);
  }

  SECTION("a notification needs a purpose") {
    ReceiveResult r =
        w.receive(w.message(w.email, IdentityKind::kEmail, "dora@example.com", "e9", "hi"));
    NotificationRequest n = notification(w, r.customer);
    n.purpose = "";
    CHECK(w.engine->notify(n).status().is(StatusCode::kInvalidArgument));
  }
}

// --------------------------------------------------------------------------------------------
// 6. Follow-up recommendations

TEST_CASE("context: recommend_channel for urgent and sensitive follow-ups records nothing",
          "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult r = w.receive(
      w.message(w.email, IdentityKind::kEmail, "anna@example.com", "e1", "my card was charged"));
  World::must(w.engine->link_identity(w.tenant.id, r.customer,
                                      {IdentityKind::kPhone, "", kAnnaPhone}, true, "agent"));
  const std::size_t timeline_before = w.timeline_size(r.customer);
  const std::size_t events_before = w.event_count();

  FollowUpRequest f;
  f.tenant = w.tenant.id;
  f.customer = r.customer;
  f.conversation = r.conversation;
  f.urgency = Urgency::kHigh;
  ChannelChoice urgent = World::must(w.engine->recommend_channel(f));
  INFO(describe_choice(urgent));
  REQUIRE(urgent.chosen());
  CHECK(urgent.chosen()->kind == ChannelKind::kPhone);
  CHECK(urgent.chosen()->channel == w.phone.id);
  CHECK(any_contains(urgent.chosen()->reasons, "synchronous"));

  f.urgency = Urgency::kNormal;
  f.sensitive = true;
  ChannelChoice sensitive = World::must(w.engine->recommend_channel(f));
  INFO(describe_choice(sensitive));
  REQUIRE(sensitive.chosen());
  for (const auto& o : sensitive.options) {
    if (o.eligible) CHECK(default_profile(o.kind).secure);
  }
  const ChannelOption* email = option_of(sensitive, w.email.id);
  REQUIRE(email);
  CHECK_FALSE(email->eligible);
  CHECK(any_contains(email->reasons, "secure"));

  CHECK(w.timeline_size(r.customer) == timeline_before);
  CHECK(w.event_count() == events_before);
  CHECK(w.adapter.sent().empty());
}

// --------------------------------------------------------------------------------------------
// 7. Preferences

TEST_CASE("context: contact preferences round-trip and are checked", "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult r = w.receive(w.sms_from(kAnnaPhone, "s1", "hi"));

  ContactPreferences p;
  p.channels = {ChannelKind::kWhatsApp, ChannelKind::kEmail};
  p.language = "de";
  p.time_zone = "Europe/Berlin";
  p.quiet_hours = QuietHours{minutes(21 * 60 + 30), hours(7)};
  CustomerUpdate u;
  u.preferences = p;
  Customer updated = World::must(w.engine->update_customer(w.tenant.id, r.customer, u));
  CHECK(updated.preferences.channels == p.channels);

  Customer stored = World::must(w.engine->get_customer(w.tenant.id, r.customer));
  CHECK(stored.preferences.channels == p.channels);
  CHECK(stored.preferences.language == "de");
  CHECK(stored.preferences.time_zone == "Europe/Berlin");
  REQUIRE(stored.preferences.quiet_hours);
  CHECK(stored.preferences.quiet_hours->start == minutes(21 * 60 + 30));
  CHECK(stored.preferences.quiet_hours->end == hours(7));
  CHECK(count_kind(timeline_of(w, r.customer), TouchpointKind::kPreferenceChange) == 1);
  const std::size_t timeline_before = w.timeline_size(r.customer);

  CustomerUpdate bad;
  bad.preferences = p;
  bad.preferences->time_zone = "Mars/Olympus_Mons";
  bad.display_name = "Someone Else";
  auto refused = w.engine->update_customer(w.tenant.id, r.customer, bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().is(StatusCode::kInvalidArgument));
  CHECK(refused.status().field() == "preferences.time_zone");
  Customer unchanged = World::must(w.engine->get_customer(w.tenant.id, r.customer));
  CHECK(unchanged.preferences.time_zone == "Europe/Berlin");
  CHECK(unchanged.display_name == stored.display_name);
  CHECK(w.timeline_size(r.customer) == timeline_before);

  // Quiet hours without a time zone.
  bad.preferences->time_zone = "";
  CHECK(w.engine->update_customer(w.tenant.id, r.customer, bad).status().field() ==
        "preferences.time_zone");

  // Clearing them is a change too.
  CustomerUpdate clear;
  clear.preferences = ContactPreferences{};
  World::must(w.engine->update_customer(w.tenant.id, r.customer, clear));
  CHECK(World::must(w.engine->get_customer(w.tenant.id, r.customer)).preferences.empty());
  CHECK(count_kind(timeline_of(w, r.customer), TouchpointKind::kPreferenceChange) == 2);
}

// --------------------------------------------------------------------------------------------
// 8. Tenancy

TEST_CASE("context: another tenant's customers and conversations are not found",
          "[conformance][context]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  OMNI_REQUIRE_OK(w.engine->put_template(w.tenant.id, order_delayed()));

  Tenant other = World::must(w.engine->create_tenant("globex", "US"));
  Channel other_sms =
      World::must(w.engine->create_channel({other.id, ChannelKind::kSms, "sms", std::nullopt}));
  OMNI_REQUIRE_OK(w.engine->register_adapter(other.id, other_sms.id, &w.adapter));
  InboundMessage m;
  m.tenant = other.id;
  m.channel = other_sms.id;
  m.from = {IdentityKind::kPhone, "", kBenPhone};
  m.provider_message_id = "g1";
  m.body = "hi globex";
  ReceiveResult theirs = w.receive(m);
  ReceiveResult ours = w.receive(w.sms_from(kAnnaPhone, "s1", "hi acme"));

  ConsentChange c;
  c.tenant = w.tenant.id;
  c.customer = theirs.customer;
  c.channel_kind = ChannelKind::kSms;
  c.state = ConsentState::kWithdrawn;
  c.source = "agent";
  CHECK(w.engine->set_consent(c).status().is(StatusCode::kNotFound));
  CHECK(w.engine->list_consents(w.tenant.id, theirs.customer).status().is(StatusCode::kNotFound));
  // An address of another customer.
  c.customer = ours.customer;
  c.address = IdentityInput{IdentityKind::kPhone, "", kBenPhone};
  CHECK(w.engine->set_consent(c).status().is(StatusCode::kNotFound));

  RenderRequest req;
  req.tenant = w.tenant.id;
  req.conversation = theirs.conversation;
  req.template_key = "order_delayed";
  req.values["new_date"] = "2026-12-02";
  CHECK(w.engine->render_template(req).status().is(StatusCode::kNotFound));
  req.tenant = other.id;  // their own conversation, but the template is ours
  CHECK(w.engine->render_template(req).status().is(StatusCode::kNotFound));

  NotificationRequest n = notification(w, theirs.customer);
  CHECK(w.engine->notify(n).status().is(StatusCode::kNotFound));
  n.customer = ours.customer;
  n.conversation = theirs.conversation;
  CHECK(w.engine->notify(n).status().is(StatusCode::kNotFound));

  FollowUpRequest f;
  f.tenant = w.tenant.id;
  f.customer = theirs.customer;
  CHECK(w.engine->recommend_channel(f).status().is(StatusCode::kNotFound));

  // Their consent is untouched.
  auto consents = World::must(w.engine->list_consents(other.id, theirs.customer));
  REQUIRE(consents.size() == 1);
  CHECK(consents[0].state == ConsentState::kGranted);
}

}  // namespace
}  // namespace omni::testing
