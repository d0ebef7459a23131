// Metrics on every backend: a fixed data set built through the engine on a manual clock, with
// every expected number computed by hand below (docs/metrics.md has the definitions).
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "fixture.h"
#include "omni/metrics.h"

namespace omni::testing {
void link_metrics_conformance() {}
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-19T00:00:00Z, the first day of the data set (the fixture's t0 is the day before).
Timestamp day(int n) {
  return from_unix_micros(1'795'046'400'000'000) + hours(24 * n);
}
Timestamp at(int n, int hour, int minute = 0) {
  return day(n) + hours(hour) + minutes(minute);
}

std::int64_t volume(const std::vector<ChannelCount>& counts, ChannelKind kind) {
  for (const ChannelCount& c : counts) {
    if (c.kind == kind) return c.count;
  }
  return 0;
}

// The data set. Days are UTC: day 0 is 2026-11-19. reopen_window is one hour, so a customer
// writing again the next day opens a new conversation; an SLA policy for email promises a first
// response within one hour.
//
//  conv customer origin opened      first reply          resolved             notes
//  C1   A        sms    d0 09:00    alice 09:10 (600)    d0 10:00 (3600)      FCR
//  C2   B        sms    d0 09:30    alice 09:50 (1200)   d0 11:30, B writes 11:45 (reopen),
//                                                        resolved d0 12:30 (10800)  not FCR
//  C3   C        sms    d0 10:00    bob 10:30 (1800)     d0 12:00 (7200)      not FCR: C4
//  C4   C        email  d1 09:00    bob 09:50 (3000)     d1 11:00 (7200)      FCR; SLA met
//  C5   D        sms    d0 13:00    alice 13:05 (300)    d0 14:00 (3600)      FCR: C6 is 8 days on
//  C6   D        sms    d8 14:30    -                    -                    outside the range
//  C7   E        email  d0 23:30    bob 00:20 (3000)     d1 02:30 (10800)     transfer alice->bob,
//                                                                             not FCR; SLA met
//  C8   F        email  d1 10:00    carol 12:00 (7200)   -                    team billing; SLA
//                                                                             breached
//  C9   G        sms    d1 14:00    -                    -                    channel switch to
//                                                                             email (a handoff)
//  C10  H        email  d2 08:00    alice 08:20 (1200)   d2 09:00 (3600)      FCR; SLA met
//  C11  I        sms    d2 10:00    -                    -
//
// Inbound volume per UTC day: d0 sms 5 (C1, C2 twice, C3, C5) + email 1 (C7); d1 email 2 (C4,
// C8) + sms 1 (C9); d2 email 1 (C10) + sms 1 (C11).
struct DataSet {
  World w;
  ConversationId c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11;
  CustomerId b, c, d;

  explicit DataSet(const StoreBackend& backend) : w(backend, options()) {
    SlaPolicy policy;
    policy.channel_kind = ChannelKind::kEmail;
    policy.first_response = hours(1);
    OMNI_REQUIRE_OK(w.engine->set_sla_policy(w.tenant.id, policy));

    c1 = sms(at(0, 9), "+4915110000001", "a1").conversation;
    reply(at(0, 9, 10), c1, w.alice);
    resolve(at(0, 10), c1);

    const ReceiveResult b1 = sms(at(0, 9, 30), "+4915110000002", "b1");
    c2 = b1.conversation;
    b = b1.customer;
    reply(at(0, 9, 50), c2, w.alice);

    const ReceiveResult c31 = sms(at(0, 10), "+4915110000003", "c1");
    c3 = c31.conversation;
    c = c31.customer;
    reply(at(0, 10, 30), c3, w.bob);

    resolve(at(0, 11, 30), c2);
    const ReceiveResult b2 = sms(at(0, 11, 45), "+4915110000002", "b2");
    CHECK(b2.reopened);
    CHECK(b2.conversation == c2);
    resolve(at(0, 12), c3);
    reply(at(0, 12, 10), c2, w.alice);
    resolve(at(0, 12, 30), c2);

    const ReceiveResult d1 = sms(at(0, 13), "+4915110000004", "d1");
    c5 = d1.conversation;
    d = d1.customer;
    reply(at(0, 13, 5), c5, w.alice);
    resolve(at(0, 14), c5);

    c7 = email(at(0, 23, 30), "e@example.com", "e1").conversation;
    assign(c7, w.alice);
    HandoffSpec transfer;
    transfer.tenant = w.tenant.id;
    transfer.conversation = c7;
    transfer.kind = HandoffKind::kAgentTransfer;
    transfer.to_agent = w.bob.id;
    transfer.reason = "billing question";
    (void)World::must(w.engine->record_handoff(transfer));
    reply(at(1, 0, 20), c7, w.bob);
    resolve(at(1, 2, 30), c7);

    // C writes the next day by email: a new conversation (the reopen window is over).
    (void)World::must(w.engine->link_identity(
        w.tenant.id, c, {IdentityKind::kEmail, "", "c@example.com"}, true, "test"));
    const ReceiveResult c41 = email(at(1, 9), "c@example.com", "c2");
    CHECK(c41.new_conversation);
    CHECK(c41.customer == c);
    c4 = c41.conversation;
    reply(at(1, 9, 50), c4, w.bob);

    c8 = email(at(1, 10), "f@example.com", "f1").conversation;
    RoutingRequirements billing;
    billing.team = "billing";
    (void)World::must(w.engine->set_routing(w.tenant.id, c8, billing));
    resolve(at(1, 11), c4);
    reply(at(1, 12), c8, w.carol);

    c9 = sms(at(1, 14), "+4915110000007", "g1").conversation;
    HandoffSpec move;
    move.tenant = w.tenant.id;
    move.conversation = c9;
    move.kind = HandoffKind::kChannelSwitch;
    move.to_channel = w.email.id;
    move.reason = "sending a form";
    (void)World::must(w.engine->record_handoff(move));

    c10 = email(at(2, 8), "h@example.com", "h1").conversation;
    reply(at(2, 8, 20), c10, w.alice);
    resolve(at(2, 9), c10);

    c11 = sms(at(2, 10), "+4915110000009", "i1").conversation;

    // D again, 8 days and 30 minutes after C5 was resolved: outside the 7-day FCR window.
    const ReceiveResult d2 = sms(at(8, 14, 30), "+4915110000004", "d2");
    CHECK(d2.new_conversation);
    c6 = d2.conversation;
  }

  static EngineOptions options() {
    EngineOptions o;
    o.reopen_window = hours(1);
    return o;
  }

  ReceiveResult sms(Timestamp when, const std::string& from, const std::string& id) {
    w.clock.set(when);
    return w.receive(w.sms_from(from, id));
  }
  ReceiveResult email(Timestamp when, const std::string& from, const std::string& id) {
    w.clock.set(when);
    return w.receive(w.message(w.email, IdentityKind::kEmail, from, id, "hello"));
  }
  void assign(ConversationId conversation, const Agent& agent) {
    OMNI_REQUIRE_OK(w.engine->assign(w.tenant.id, conversation, agent.id));
  }
  void reply(Timestamp when, ConversationId conversation, const Agent& agent) {
    w.clock.set(when);
    auto current = w.engine->conversation_view(w.tenant.id, conversation);
    REQUIRE(current.ok());
    if (current->conversation.assignee != agent.id) assign(conversation, agent);
    OutboundMessage m;
    m.tenant = w.tenant.id;
    m.conversation = conversation;
    m.agent = agent.id;
    m.body = "on it";
    (void)World::must(w.engine->send(m));
  }
  void resolve(Timestamp when, ConversationId conversation) {
    w.clock.set(when);
    OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, conversation));
  }

  MetricsQuery query() const {
    MetricsQuery q;
    q.tenant = w.tenant.id;
    q.from = day(0);
    q.to = day(3);
    return q;
  }
  MetricsReport metrics(const MetricsQuery& q) { return World::must(w.engine->metrics(q)); }
};

TEST_CASE("metrics: per UTC day on a fixed data set", "[conformance][metrics]") {
  OMNI_FOR_EACH_BACKEND(backend);
  DataSet s(backend);
  const MetricsReport report = s.metrics(s.query());
  REQUIRE(report.rows.size() == 3);
  const MetricsRow& d0 = report.rows[0];
  const MetricsRow& d1 = report.rows[1];
  const MetricsRow& d2 = report.rows[2];
  CHECK(d0.label == "2026-11-19");
  CHECK(d1.label == "2026-11-20");
  CHECK(d2.label == "2026-11-21");
  CHECK(d0.start == day(0));
  CHECK(d0.end == day(1));
  CHECK(d2.end == day(3));

  // Inbound volume (see the table), largest first.
  REQUIRE(d0.inbound_volume.size() == 2);
  CHECK(d0.inbound_volume[0].kind == ChannelKind::kSms);
  CHECK(d0.inbound_volume[0].count == 5);
  CHECK(volume(d0.inbound_volume, ChannelKind::kEmail) == 1);
  CHECK(d1.inbound_volume[0].kind == ChannelKind::kEmail);
  CHECK(volume(d1.inbound_volume, ChannelKind::kEmail) == 2);
  CHECK(volume(d1.inbound_volume, ChannelKind::kSms) == 1);
  // A tie is ordered by kind: email before sms.
  REQUIRE(d2.inbound_volume.size() == 2);
  CHECK(d2.inbound_volume[0].kind == ChannelKind::kEmail);
  CHECK(d2.inbound_volume[0].count == 1);
  CHECK(d2.inbound_volume[1].count == 1);

  // Conversations by origin: d0 C1 C2 C3 C5 (sms) C7 (email); d1 C4 C8 (email) C9 (sms); d2 C10
  // (email) C11 (sms).
  CHECK(d0.conversations == 5);
  CHECK(volume(d0.conversations_opened, ChannelKind::kSms) == 4);
  CHECK(volume(d0.conversations_opened, ChannelKind::kEmail) == 1);
  CHECK(d1.conversations == 3);
  CHECK(volume(d1.conversations_opened, ChannelKind::kEmail) == 2);
  CHECK(volume(d1.conversations_opened, ChannelKind::kSms) == 1);
  CHECK(d2.conversations == 2);

  // First response, nearest rank. d0: 300 600 1200 1800 3000 -> median rank 3 = 1200, p90 rank
  // ceil(4.5) = 5 = 3000. d1: 3000 7200 -> median rank 1 = 3000, p90 rank 2 = 7200. d2: 1200.
  CHECK(d0.first_response.count == 5);
  CHECK(d0.first_response.median == seconds(1200));
  CHECK(d0.first_response.p90 == seconds(3000));
  CHECK(d1.first_response.count == 2);
  CHECK(d1.first_response.median == seconds(3000));
  CHECK(d1.first_response.p90 == seconds(7200));
  CHECK(d2.first_response.count == 1);
  CHECK(d2.first_response.median == seconds(1200));
  CHECK(d2.first_response.p90 == seconds(1200));

  // Resolution. d0: C1 3600, C5 3600, C3 7200, C2 10800, C7 10800 -> median 7200, p90 10800.
  // d1: C4 7200. d2: C10 3600.
  CHECK(d0.resolution.count == 5);
  CHECK(d0.resolution.median == seconds(7200));
  CHECK(d0.resolution.p90 == seconds(10800));
  CHECK(d1.resolution.count == 1);
  CHECK(d1.resolution.median == seconds(7200));
  CHECK(d2.resolution.median == seconds(3600));

  // FCR. d0: C1 yes, C2 no (reopened), C3 no (C4 the next day on email), C5 yes (C6 is outside
  // the window), C7 no (transferred) -> 2 of 5. d1: C4 yes, 1 of 1. d2: C10, 1 of 1.
  CHECK(d0.resolved == 5);
  CHECK(d0.first_contact_resolved == 2);
  CHECK(d0.first_contact_resolution_rate == Approx(0.4));
  CHECK(d1.resolved == 1);
  CHECK(d1.first_contact_resolved == 1);
  CHECK(d1.first_contact_resolution_rate == Approx(1.0));
  CHECK(d2.first_contact_resolved == 1);

  // Handoffs: C7's transfer on d0, C9's channel switch on d1.
  CHECK(d0.handoffs == 1);
  CHECK(d0.channel_switches == 0);
  CHECK(d0.handoffs_per_conversation == Approx(0.2));
  CHECK(d1.handoffs == 1);
  CHECK(d1.channel_switches == 1);
  CHECK(d1.channel_switches_per_conversation == Approx(1.0 / 3));
  CHECK(d2.handoffs == 0);

  // SLA (email, first response within 1h): d0 C7 met; d1 C4 met, C8 breached (2h); d2 C10 met.
  CHECK(d0.first_response_sla_met == 1);
  CHECK(d0.first_response_sla_breached == 0);
  CHECK(d0.first_response_sla_attainment == Approx(1.0));
  CHECK(d1.first_response_sla_met == 1);
  CHECK(d1.first_response_sla_breached == 1);
  CHECK(d1.first_response_sla_attainment == Approx(0.5));
  CHECK(d2.first_response_sla_met == 1);
  CHECK(d0.resolution_sla_met + d0.resolution_sla_breached == 0);  // no resolution target

  // Histograms (bins <1m, 1-5m, 5-15m, 15-60m, 1-4h, 4-24h, 1-3d, 3d+; a bound belongs to the
  // bin above it). d0 first response 300 600 | 1200 1800 3000; resolution all five in 1-4h.
  using Bins = std::array<std::int64_t, kDurationBins>;
  CHECK(d0.first_response.histogram == Bins{0, 0, 2, 3, 0, 0, 0, 0});
  CHECK(d0.resolution.histogram == Bins{0, 0, 0, 0, 5, 0, 0, 0});
  CHECK(d1.first_response.histogram == Bins{0, 0, 0, 1, 1, 0, 0, 0});
  CHECK(d2.first_response.histogram == Bins{0, 0, 0, 1, 0, 0, 0, 0});

  // The flow of channel switches: C9 from sms to email on d1.
  CHECK(d0.channel_switch_flow.empty());
  REQUIRE(d1.channel_switch_flow.size() == 1);
  CHECK(d1.channel_switch_flow[0].from == ChannelKind::kSms);
  CHECK(d1.channel_switch_flow[0].to == ChannelKind::kEmail);
  CHECK(d1.channel_switch_flow[0].count == 1);

  // No survey answers in the data set.
  CHECK(d0.csat_responses == 0);
  CHECK(d0.csat == 0);
}

TEST_CASE("metrics: durations in business hours", "[conformance][metrics]") {
  OMNI_FOR_EACH_BACKEND(backend);
  DataSet s(backend);
  MetricsQuery q = s.query();
  // Monday to Friday 09:00-17:00 UTC. d0 is a Thursday, d1 a Friday, d2 a Saturday.
  q.business_hours = BusinessHours::weekdays("UTC", hours(9), hours(17));
  const MetricsReport report = s.metrics(q);
  REQUIRE(report.rows.size() == 3);
  const MetricsRow& d0 = report.rows[0];
  // d0: C1 600, C2 1200, C3 1800, C5 300 (all inside opening hours), C7 0 (23:30 to 00:20 is
  // closed) -> 0 300 600 1200 1800: median 600, p90 1800. Wall-clock is unchanged.
  CHECK(d0.first_response_business.count == 5);
  CHECK(d0.first_response_business.median == seconds(600));
  CHECK(d0.first_response_business.p90 == seconds(1800));
  CHECK(d0.first_response.median == seconds(1200));
  // Resolution: C1 3600, C5 3600, C3 7200, C2 10800, C7 0 (resolved Friday 02:30) ->
  // 0 3600 3600 7200 10800: median 3600, p90 10800.
  CHECK(d0.resolution_business.count == 5);
  CHECK(d0.resolution_business.median == seconds(3600));
  CHECK(d0.resolution_business.p90 == seconds(10800));
  // 0 | 300 600 | 1200 1800 by bin; the wall-clock histogram stays as it was.
  CHECK(d0.first_response_business.histogram ==
        std::array<std::int64_t, kDurationBins>{1, 0, 2, 2, 0, 0, 0, 0});
  CHECK(d0.first_response.histogram ==
        std::array<std::int64_t, kDurationBins>{0, 0, 2, 3, 0, 0, 0, 0});
  // d1 (Friday, within hours): as wall-clock. d2 (Saturday): C10 counts 0.
  CHECK(report.rows[1].first_response_business.median == seconds(3000));
  CHECK(report.rows[1].first_response_business.p90 == seconds(7200));
  CHECK(report.rows[1].resolution_business.median == seconds(7200));
  CHECK(report.rows[2].first_response_business.count == 1);
  CHECK(report.rows[2].first_response_business.median == seconds(0));
  CHECK(report.rows[2].resolution_business.median == seconds(0));

  // Filters apply to the second pass too: team billing has C8 only (10:00 to 12:00 Friday).
  q.grouping = MetricsGrouping::kNone;
  q.team = "billing";
  const MetricsRow billing = s.metrics(q).rows.at(0);
  CHECK(billing.first_response_business.count == 1);
  CHECK(billing.first_response_business.median == seconds(7200));
  CHECK(billing.resolution_business.count == 0);

  // Without business hours the business fields stay empty; invalid hours are refused.
  CHECK(s.metrics(s.query()).rows[0].first_response_business.count == 0);
  q.business_hours = BusinessHours();  // never open
  CHECK(s.w.engine->metrics(q).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("metrics: local days of Europe/Berlin move a 23:30Z conversation to the next day",
          "[conformance][metrics]") {
  OMNI_FOR_EACH_BACKEND(backend);
  DataSet s(backend);
  MetricsQuery q = s.query();
  q.time_zone = "Europe/Berlin";
  const MetricsReport report = s.metrics(q);
  // Berlin is UTC+1 in November: days begin at 23:00Z. The range [d0, d3) touches four local
  // days, the first and last clipped.
  REQUIRE(report.rows.size() == 4);
  CHECK(report.rows[0].label == "2026-11-19");
  CHECK(report.rows[0].start == day(0));
  CHECK(report.rows[0].end == at(0, 23));
  CHECK(report.rows[1].label == "2026-11-20");
  CHECK(report.rows[3].label == "2026-11-22");
  CHECK(report.rows[3].start == at(2, 23));
  CHECK(report.rows[3].end == day(3));
  // C7 (d0 23:30Z) is 2026-11-20 00:30 in Berlin.
  CHECK(report.rows[0].conversations == 4);
  CHECK(volume(report.rows[0].inbound_volume, ChannelKind::kEmail) == 0);
  CHECK(report.rows[1].conversations == 4);
  CHECK(volume(report.rows[1].inbound_volume, ChannelKind::kEmail) == 3);
  CHECK(report.rows[2].conversations == 2);
  CHECK(report.rows[3].conversations == 0);
  CHECK(report.rows[3].inbound_volume.empty());
}

TEST_CASE("metrics: filters by channel kind, team and agent, one bucket without grouping",
          "[conformance][metrics]") {
  OMNI_FOR_EACH_BACKEND(backend);
  DataSet s(backend);
  MetricsQuery q = s.query();
  q.grouping = MetricsGrouping::kNone;

  const MetricsReport all = s.metrics(q);
  REQUIRE(all.rows.size() == 1);
  CHECK(all.rows[0].conversations == 10);
  CHECK(all.rows[0].label == "2026-11-19");
  // 8 conversations were answered: C1 600, C2 1200, C3 1800, C4 3000, C5 300, C7 3000, C8 7200,
  // C10 1200. Sorted: 300 600 1200 1200 1800 3000 3000 7200; median rank 4 = 1200, p90 rank
  // ceil(7.2) = 8 = 7200.
  CHECK(all.rows[0].first_response.count == 8);
  CHECK(all.rows[0].first_response.median == seconds(1200));
  CHECK(all.rows[0].first_response.p90 == seconds(7200));
  CHECK(all.rows[0].resolved == 7);
  CHECK(all.rows[0].first_contact_resolved == 4);  // C1 C4 C5 C10

  // Email: C4 C7 C8 C10 by origin; 4 inbound email messages.
  q.channel_kind = ChannelKind::kEmail;
  const MetricsRow email = s.metrics(q).rows.at(0);
  CHECK(email.conversations == 4);
  CHECK(volume(email.inbound_volume, ChannelKind::kEmail) == 4);
  CHECK(volume(email.inbound_volume, ChannelKind::kSms) == 0);
  CHECK(email.first_response_sla_met == 3);
  CHECK(email.first_response_sla_breached == 1);

  // Team billing: C8 only.
  q.channel_kind.reset();
  q.team = "billing";
  const MetricsRow billing = s.metrics(q).rows.at(0);
  CHECK(billing.conversations == 1);
  CHECK(volume(billing.inbound_volume, ChannelKind::kEmail) == 1);
  CHECK(billing.resolved == 0);

  // Assignee bob: C3, C4, C7 (transferred to him); their inbound: C3 sms, C4 and C7 email.
  q.team.clear();
  q.agent = s.w.bob.id;
  const MetricsRow bob = s.metrics(q).rows.at(0);
  CHECK(bob.conversations == 3);
  CHECK(bob.resolved == 3);
  CHECK(bob.first_contact_resolved == 1);  // C4
  CHECK(volume(bob.inbound_volume, ChannelKind::kSms) == 1);
  CHECK(volume(bob.inbound_volume, ChannelKind::kEmail) == 2);

  // A shorter FCR window (1 day from C3's resolution at d0 12:00 to C4 at d1 09:00 is 21h: still
  // inside; 12 hours: outside) turns C3 into a first-contact resolution.
  q.agent.reset();
  q.fcr_window = hours(12);
  CHECK(s.metrics(q).rows.at(0).first_contact_resolved == 5);
}

TEST_CASE("metrics: weeks and months, validation, tenant isolation", "[conformance][metrics]") {
  OMNI_FOR_EACH_BACKEND(backend);
  DataSet s(backend);
  MetricsQuery q = s.query();
  q.grouping = MetricsGrouping::kWeek;
  q.to = day(14);
  const MetricsReport weeks = s.metrics(q);
  // 2026-11-19 is a Thursday of ISO week 47; the range ends in week 49 (2026-12-03 is Thursday).
  REQUIRE(weeks.rows.size() == 3);
  CHECK(weeks.rows[0].label == "2026-W47");
  CHECK(weeks.rows[0].end == day(4));  // Monday 2026-11-23
  CHECK(weeks.rows[0].conversations == 10);
  CHECK(weeks.rows[1].label == "2026-W48");
  CHECK(weeks.rows[1].conversations == 1);  // C6 on 2026-11-27
  CHECK(weeks.rows[2].label == "2026-W49");

  q.grouping = MetricsGrouping::kMonth;
  const MetricsReport months = s.metrics(q);
  REQUIRE(months.rows.size() == 2);
  CHECK(months.rows[0].label == "2026-11");
  CHECK(months.rows[0].conversations == 11);
  CHECK(months.rows[1].label == "2026-12");

  MetricsQuery bad = s.query();
  bad.to = bad.from;
  CHECK(s.w.engine->metrics(bad).status().code() == StatusCode::kInvalidArgument);
  bad = s.query();
  bad.time_zone = "Mars/Olympus_Mons";
  CHECK(s.w.engine->metrics(bad).status().code() == StatusCode::kInvalidArgument);
  bad = s.query();
  bad.to = bad.from + hours(24 * 1001);
  CHECK(s.w.engine->metrics(bad).status().code() == StatusCode::kInvalidArgument);

  // Another tenant sees none of it, and its own conversation is not counted for acme.
  const Tenant other = World::must(s.w.engine->create_tenant("other", "DE"));
  const Channel line =
      World::must(s.w.engine->create_channel({other.id, ChannelKind::kSms, "line", std::nullopt}));
  OMNI_REQUIRE_OK(s.w.engine->register_adapter(other.id, line.id, &s.w.adapter));
  InboundMessage m = s.w.sms_from("+4915110000001", "x1");
  m.tenant = other.id;
  m.channel = line.id;
  s.w.clock.set(at(0, 9));
  (void)World::must(s.w.engine->receive(m));
  MetricsQuery theirs = s.query();
  theirs.tenant = other.id;
  const MetricsReport their_report = s.metrics(theirs);
  CHECK(their_report.rows[0].conversations == 1);
  CHECK(volume(their_report.rows[0].inbound_volume, ChannelKind::kSms) == 1);
  CHECK(s.metrics(s.query()).rows[0].conversations == 5);
  CHECK(s.metrics(s.query()).rows[0].inbound_volume[0].count == 5);
}

TEST_CASE("metrics: agent occupancy from presence and slots, CSAT per bucket and agent",
          "[conformance][metrics]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  w.clock.set(at(0, 8));
  AgentSpec spec;
  spec.tenant = w.tenant.id;
  spec.name = "dora";
  spec.presence = Presence::kOffline;
  spec.teams = {"night"};
  const Agent dora = World::must(w.engine->create_agent(spec));
  auto presence = [&](Timestamp when, Presence p) {
    w.clock.set(when);
    OMNI_REQUIRE_OK(w.engine->set_presence(w.tenant.id, dora.id, p));
  };
  // dora: available 09:00-12:00 holding a conversation 10:00-11:00, away 12:00-13:00, busy
  // 13:00-14:00, offline until 22:00, available until 02:00 the next day.
  presence(at(0, 9), Presence::kAvailable);
  w.clock.set(at(0, 10));
  const ReceiveResult x = w.receive(w.sms_from("+4915110000001", "x1"));
  OMNI_REQUIRE_OK(w.engine->assign(w.tenant.id, x.conversation, dora.id));
  w.clock.set(at(0, 11));
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, x.conversation));
  presence(at(0, 12), Presence::kAway);
  presence(at(0, 13), Presence::kBusy);
  presence(at(0, 14), Presence::kOffline);
  presence(at(0, 22), Presence::kAvailable);
  presence(at(1, 2), Presence::kOffline);

  MetricsQuery q;
  q.tenant = w.tenant.id;
  q.from = day(0);
  q.to = day(2);
  q.agent = dora.id;
  MetricsReport report = World::must(w.engine->metrics(q));
  REQUIRE(report.rows.size() == 2);
  // d0: staffed 3h + 1h + 2h, occupied 1h; d1: staffed 00:00-02:00.
  CHECK(report.rows[0].agent_staffed == hours(6));
  CHECK(report.rows[0].agent_occupied == hours(1));
  CHECK(report.rows[0].occupancy == Approx(1.0 / 6));
  CHECK(report.rows[1].agent_staffed == hours(2));
  CHECK(report.rows[1].agent_occupied == seconds(0));
  CHECK(report.rows[1].occupancy == 0);

  // A range that starts inside an entry counts it from the range's start.
  q.from = at(0, 9, 30);
  q.to = day(1);
  q.grouping = MetricsGrouping::kNone;
  report = World::must(w.engine->metrics(q));
  REQUIRE(report.rows.size() == 1);
  CHECK(report.rows[0].agent_staffed == hours(5) + minutes(30));
  CHECK(report.rows[0].agent_occupied == hours(1));
  // The team filter selects agents by their teams.
  q.agent.reset();
  q.team = "night";
  CHECK(World::must(w.engine->metrics(q)).rows[0].agent_staffed == hours(5) + minutes(30));
  q.team = "day";
  CHECK(World::must(w.engine->metrics(q)).rows[0].agent_staffed == seconds(0));

  // CSAT: dora's conversation rated 5 on d0; another, alice's, rated 2 on d1.
  CsatAnswer answer;
  answer.tenant = w.tenant.id;
  answer.conversation = x.conversation;
  answer.score = 5;
  answer.responded_at = at(0, 11, 30);
  (void)World::must(w.engine->record_csat(answer));
  w.clock.set(at(0, 15));
  const ReceiveResult y = w.receive(w.sms_from("+4915110000002", "y1"));
  OMNI_REQUIRE_OK(w.engine->assign(w.tenant.id, y.conversation, w.alice.id));
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, y.conversation));
  answer.conversation = y.conversation;
  answer.score = 2;
  answer.responded_at = at(1, 1);
  (void)World::must(w.engine->record_csat(answer));

  MetricsQuery c;
  c.tenant = w.tenant.id;
  c.from = day(0);
  c.to = day(2);
  report = World::must(w.engine->metrics(c));
  REQUIRE(report.rows.size() == 2);
  CHECK(report.rows[0].csat_responses == 1);
  CHECK(report.rows[0].csat_satisfied == 1);
  CHECK(report.rows[0].csat_average == Approx(5.0));
  CHECK(report.rows[0].csat == Approx(1.0));
  CHECK(report.rows[1].csat_responses == 1);
  CHECK(report.rows[1].csat_satisfied == 0);
  CHECK(report.rows[1].csat_average == Approx(2.0));
  CHECK(report.rows[1].csat == 0);
  c.agent = dora.id;
  report = World::must(w.engine->metrics(c));
  CHECK(report.rows[0].csat_responses == 1);
  CHECK(report.rows[1].csat_responses == 0);
  c.agent.reset();
  c.channel_kind = ChannelKind::kEmail;
  CHECK(World::must(w.engine->metrics(c)).rows[0].csat_responses == 0);
}

TEST_CASE("metrics: preferred channels per customer", "[conformance][metrics]") {
  OMNI_FOR_EACH_BACKEND(backend);
  DataSet s(backend);
  PreferredChannelsQuery q;
  q.tenant = s.w.tenant.id;
  q.customer = s.c;
  const std::vector<CustomerChannels> c = World::must(s.w.engine->preferred_channels(q));
  REQUIRE(c.size() == 1);
  CHECK(c[0].customer == s.c);
  CHECK(c[0].inbound == 2);
  REQUIRE(c[0].channels.size() == 2);
  CHECK(c[0].channels[0].kind == ChannelKind::kEmail);  // a tie: by kind
  CHECK(c[0].channels[1].kind == ChannelKind::kSms);

  // The top two: B, C and D each wrote twice; ties by id (B first).
  q.customer.reset();
  q.limit = 2;
  const std::vector<CustomerChannels> top = World::must(s.w.engine->preferred_channels(q));
  REQUIRE(top.size() == 2);
  CHECK(top[0].customer == s.b);
  CHECK(top[0].channels.at(0).kind == ChannelKind::kSms);
  CHECK(top[0].channels.at(0).count == 2);
  CHECK(top[1].customer == s.c);

  q.limit = 0;
  CHECK(s.w.engine->preferred_channels(q).status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace omni::testing
