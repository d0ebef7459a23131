// SLA clocks over a conversation's facts, and the policies' JSON codecs. Every expected instant
// was worked out by hand and is written in UTC, with the local time it stands for in a comment.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "omni/calendar.h"
#include "omni/conversation.h"
#include "omni/routing.h"
#include "omni/sla.h"
#include "sla_clocks.h"

using namespace omni;
using namespace omni::detail;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

constexpr microseconds kOneMicro(1);

Timestamp utc(const std::string& text) {
  auto parsed = parse_timestamp(text);
  REQUIRE(parsed.ok());
  return *parsed;
}

BusinessCalendar make(const BusinessHours& hours) {
  auto calendar = BusinessCalendar::create(hours);
  INFO(calendar.status().to_string());
  REQUIRE(calendar.ok());
  return *calendar;
}

// Mon-Fri 09:00-17:00 (Berlin: CET = UTC+1, CEST = UTC+2; New York: EST = UTC-5, EDT = UTC-4).
BusinessHours office(const std::string& zone) {
  return BusinessHours::weekdays(zone, hours(9), hours(17));
}

SlaPolicy policy_with(seconds first_response, seconds next_response, seconds resolution,
                      BusinessHours business = BusinessHours::always_open()) {
  SlaPolicy policy;
  policy.first_response = first_response;
  policy.next_response = next_response;
  policy.resolution = resolution;
  policy.hours = std::move(business);
  return policy;
}

// A conversation opened by a customer message at `opened`.
Conversation opened_at(Timestamp opened) {
  Conversation c;
  c.opened_at = opened;
  c.updated_at = opened;
  c.last_inbound_at = opened;
  return c;
}

bool same(const SlaClock& a, const SlaClock& b) {
  return a.started_at == b.started_at && a.warn_at == b.warn_at && a.due_at == b.due_at &&
         a.stopped_at == b.stopped_at && a.warned == b.warned && a.breached == b.breached;
}

bool same(const SlaState& a, const SlaState& b) {
  return a.policy == b.policy && same(a.first_response, b.first_response) &&
         same(a.next_response, b.next_response) && same(a.resolution, b.resolution) &&
         a.paused_at == b.paused_at && a.next_responses_met == b.next_responses_met &&
         a.next_responses_breached == b.next_responses_breached;
}

// reconcile_sla, checking on the way that a second call at the same instant changes nothing.
void reconcile(Conversation& c, const SlaPolicy& policy, const BusinessCalendar& calendar,
               Timestamp now) {
  reconcile_sla(c, policy, calendar, now);
  const SlaState once = c.sla;
  reconcile_sla(c, policy, calendar, now);
  CHECK(same(once, c.sla));
}

// One agent reply at `at`.
void reply(Conversation& c, Timestamp at) {
  if (!c.first_response_at) c.first_response_at = at;
  c.last_outbound_at = at;
}

// Fires every timer due at `now` and checks `expected` (clock, breach, instant) came out in order.
struct Expected {
  SlaClockKind clock;
  bool breach;
  Timestamp at;
};
void expect_fired(SlaState& s, Timestamp now, const std::vector<Expected>& expected) {
  const std::vector<SlaFired> fired = fire_sla_timers(s, now);
  REQUIRE(fired.size() == expected.size());
  for (std::size_t i = 0; i < fired.size(); ++i) {
    INFO("timer " << i);
    CHECK(fired[i].clock == expected[i].clock);
    CHECK(fired[i].breach == expected[i].breach);
    CHECK(fired[i].at == expected[i].at);
  }
}

// The first-response breach of a 4-hour target for a message at `opened`: not 1 us before `due`,
// exactly at `due`.
void check_first_response_breach(const BusinessHours& business, Timestamp opened, Timestamp due) {
  const SlaPolicy policy = policy_with(hours(4), seconds(0), seconds(0), business);
  const BusinessCalendar calendar = make(business);
  Conversation c = opened_at(opened);
  reconcile(c, policy, calendar, opened);
  REQUIRE(c.sla.first_response.running());
  CHECK(c.sla.first_response.started_at == opened);
  CHECK(c.sla.first_response.due_at == due);
  CHECK(calendar.between(opened, *c.sla.first_response.due_at) == hours(4));
  CHECK(calendar.between(opened, *c.sla.first_response.warn_at) == minutes(192));  // 0.8 * 4 h

  const Timestamp warn = *c.sla.first_response.warn_at;
  CHECK(next_sla_timer(c.sla) == warn);
  expect_fired(c.sla, due - kOneMicro, {{SlaClockKind::kFirstResponse, false, warn}});
  CHECK(next_sla_timer(c.sla) == due);
  expect_fired(c.sla, due - kOneMicro, {});
  expect_fired(c.sla, due, {{SlaClockKind::kFirstResponse, true, due}});
  CHECK(c.sla.first_response.warned);
  CHECK(c.sla.first_response.breached);
  CHECK_FALSE(next_sla_timer(c.sla));
  expect_fired(c.sla, due + hours(100), {});

  // The late reply stops the clock; it is not met, and nothing fires again.
  reply(c, due + hours(1));
  reconcile(c, policy, calendar, due + hours(1));
  CHECK(c.sla.first_response.stopped_at == due + hours(1));
  CHECK_FALSE(c.sla.first_response.met());
}

}  // namespace

TEST_CASE("policy keys, most specific first", "[sla]") {
  CHECK(sla_policy_key(ChannelKind::kEmail, Priority::kHigh) == "email/high");
  CHECK(sla_policy_key(std::nullopt, Priority::kUrgent) == "*/urgent");
  CHECK(sla_policy_key(ChannelKind::kLiveChat, std::nullopt) == "live_chat/*");
  CHECK(sla_policy_key(std::nullopt, std::nullopt) == "*/*");
  CHECK(sla_policy_lookup_keys(ChannelKind::kEmail, Priority::kHigh) ==
        std::vector<std::string>{"email/high", "email/*", "*/high", "*/*"});
}

TEST_CASE("routing and SLA enum names", "[sla]") {
  CHECK(to_string(RoutingStrategy::kLeastLoaded) == "least_loaded");
  CHECK(to_string(RoutingStrategy::kRoundRobin) == "round_robin");
  CHECK(parse_routing_strategy("round_robin") == RoutingStrategy::kRoundRobin);
  CHECK_FALSE(parse_routing_strategy("random"));
  CHECK(to_string(RoutingClass::kSynchronous) == "sync");
  CHECK(to_string(RoutingClass::kAsynchronous) == "async");
  CHECK(parse_routing_class("async") == RoutingClass::kAsynchronous);
  CHECK_FALSE(parse_routing_class("Async"));
  CHECK(to_string(SlaClockKind::kFirstResponse) == "first_response");
  CHECK(to_string(SlaClockKind::kNextResponse) == "next_response");
  CHECK(to_string(SlaClockKind::kResolution) == "resolution");
  CHECK(to_string(RoutingOutcome::kOffered) == "offered");
  CHECK(to_string(RoutingOutcome::kAssigned) == "assigned");
  CHECK(to_string(RoutingOutcome::kQueued) == "queued");
  CHECK(to_string(RoutingOutcome::kReserved) == "reserved");
  CHECK(to_string(RoutingOutcome::kNotWaiting) == "not_waiting");
}

TEST_CASE("a first-response breach falls due at the business-hours instant across a weekend",
          "[sla]") {
  // Fri 2026-11-20 16:00 CET + 4 h: 1 h on Friday, 3 h on Monday -> Mon 2026-11-23 12:00 CET.
  check_first_response_breach(office("Europe/Berlin"), utc("2026-11-20T15:00:00Z"),
                              utc("2026-11-23T11:00:00Z"));
  // Sub-second start: the deadline keeps the microseconds.
  check_first_response_breach(office("Europe/Berlin"), utc("2026-11-20T15:00:00.000123Z"),
                              utc("2026-11-23T11:00:00.000123Z"));
}

TEST_CASE("a first-response breach across the DST changes, with a holiday", "[sla]") {
  SECTION("Berlin, spring forward") {
    // Fri 2026-03-27 16:00 CET + 4 h -> Mon 2026-03-30 12:00 CEST (clocks changed on Sunday).
    check_first_response_breach(office("Europe/Berlin"), utc("2026-03-27T15:00:00Z"),
                                utc("2026-03-30T10:00:00Z"));
    // Monday a holiday -> Tue 2026-03-31 12:00 CEST.
    BusinessHours business = office("Europe/Berlin");
    business.holidays = {"2026-03-30"};
    check_first_response_breach(business, utc("2026-03-27T15:00:00Z"), utc("2026-03-31T10:00:00Z"));
  }
  SECTION("Berlin, fall back") {
    // Fri 2026-10-23 16:00 CEST + 4 h -> Mon 2026-10-26 12:00 CET.
    check_first_response_breach(office("Europe/Berlin"), utc("2026-10-23T14:00:00Z"),
                                utc("2026-10-26T11:00:00Z"));
    BusinessHours business = office("Europe/Berlin");
    business.holidays = {"2026-10-26"};
    check_first_response_breach(business, utc("2026-10-23T14:00:00Z"), utc("2026-10-27T11:00:00Z"));
  }
  SECTION("New York, spring forward") {
    // Fri 2026-03-06 16:00 EST + 4 h -> Mon 2026-03-09 12:00 EDT (clocks changed on Sunday 8th).
    check_first_response_breach(office("America/New_York"), utc("2026-03-06T21:00:00Z"),
                                utc("2026-03-09T16:00:00Z"));
    BusinessHours business = office("America/New_York");
    business.holidays = {"2026-03-09"};
    check_first_response_breach(business, utc("2026-03-06T21:00:00Z"), utc("2026-03-10T16:00:00Z"));
  }
  SECTION("New York, fall back") {
    // Fri 2026-10-30 16:00 EDT + 4 h -> Mon 2026-11-02 12:00 EST (clocks changed on Sunday 1st).
    check_first_response_breach(office("America/New_York"), utc("2026-10-30T20:00:00Z"),
                                utc("2026-11-02T17:00:00Z"));
  }
}

TEST_CASE("a reply in time stops the first-response clock: met, no timers", "[sla]") {
  const BusinessHours business = office("Europe/Berlin");
  const SlaPolicy policy = policy_with(hours(4), seconds(0), seconds(0), business);
  const BusinessCalendar calendar = make(business);
  // Fri 2026-11-20 16:00 CET; reply Mon 2026-11-23 11:59:59.999999 CET, 1 us before the deadline.
  Conversation c = opened_at(utc("2026-11-20T15:00:00Z"));
  reconcile(c, policy, calendar, c.opened_at);
  const Timestamp due = utc("2026-11-23T11:00:00Z");
  reply(c, due - kOneMicro);
  reconcile(c, policy, calendar, due - kOneMicro);
  CHECK(c.sla.first_response.stopped_at == due - kOneMicro);
  CHECK(c.sla.first_response.met());
  CHECK_FALSE(next_sla_timer(c.sla));
  expect_fired(c.sla, due + hours(1000), {});

  SECTION("a reply exactly at the deadline is still in time") {
    Conversation d = opened_at(utc("2026-11-20T15:00:00Z"));
    reconcile(d, policy, calendar, d.opened_at);
    reply(d, due);
    reconcile(d, policy, calendar, due);
    CHECK(d.sla.first_response.met());
  }
}

TEST_CASE("the first-response clock is never restarted or overwritten once stopped", "[sla]") {
  const SlaPolicy policy = policy_with(hours(1), seconds(0), seconds(0));
  const BusinessCalendar calendar = make(policy.hours);
  const Timestamp t0 = utc("2026-11-23T10:00:00Z");
  Conversation c = opened_at(t0);
  reconcile(c, policy, calendar, t0);
  reply(c, t0 + minutes(10));
  reconcile(c, policy, calendar, t0 + minutes(10));
  const SlaClock stopped = c.sla.first_response;
  CHECK(stopped.stopped_at == t0 + minutes(10));

  // Facts that would start or stop it again change nothing.
  c.first_response_at = t0 + minutes(50);
  c.last_inbound_at = t0 + minutes(60);
  c.status = ConversationStatus::kPending;
  reconcile(c, policy, calendar, t0 + minutes(70));
  c.status = ConversationStatus::kOpen;
  reconcile(c, policy, calendar, t0 + hours(5));
  CHECK(same(c.sla.first_response, stopped));

  SECTION("even by a reconcile that sees the reply before it ever saw the clock") {
    Conversation d = opened_at(t0);
    reply(d, t0 + minutes(90));
    reconcile(d, policy, calendar, t0 + minutes(90));
    CHECK(d.sla.first_response.started_at == t0);
    CHECK(d.sla.first_response.stopped_at == t0 + minutes(90));
    CHECK_FALSE(d.sla.first_response.met());
    CHECK_FALSE(next_sla_timer(d.sla));
  }
}

TEST_CASE("a clock with target 0 never starts", "[sla]") {
  const SlaPolicy policy = policy_with(seconds(0), seconds(0), hours(8));
  const BusinessCalendar calendar = make(policy.hours);
  const Timestamp t0 = utc("2026-11-23T10:00:00Z");
  Conversation c = opened_at(t0);
  reconcile(c, policy, calendar, t0);
  reply(c, t0 + minutes(5));
  c.last_inbound_at = t0 + minutes(6);
  reconcile(c, policy, calendar, t0 + minutes(6));
  CHECK_FALSE(c.sla.first_response.started_at);
  CHECK_FALSE(c.sla.first_response.due_at);
  CHECK_FALSE(c.sla.next_response.started_at);
  CHECK(c.sla.next_responses_met == 0);
  CHECK(c.sla.next_responses_breached == 0);
  CHECK(c.sla.resolution.running());
  CHECK(c.sla.policy == "*/*");
  // Only the resolution clock's timers: warning at 6 h 24 min, breach at 8 h.
  CHECK(next_sla_timer(c.sla) == t0 + minutes(384));
  expect_fired(c.sla, t0 + hours(9),
               {{SlaClockKind::kResolution, false, t0 + minutes(384)},
                {SlaClockKind::kResolution, true, t0 + hours(8)}});
}

TEST_CASE("the warning falls due at warning_ratio of the target", "[sla]") {
  const BusinessCalendar calendar = make(BusinessHours::always_open());
  const Timestamp t0 = utc("2026-11-23T10:00:00Z");

  SECTION("ratio 0.5") {
    SlaPolicy policy = policy_with(hours(1), seconds(0), seconds(0));
    policy.warning_ratio = 0.5;
    Conversation c = opened_at(t0);
    reconcile(c, policy, calendar, t0);
    CHECK(c.sla.first_response.warn_at == t0 + minutes(30));
    expect_fired(c.sla, t0 + minutes(30) - kOneMicro, {});
    expect_fired(c.sla, t0 + minutes(30),
                 {{SlaClockKind::kFirstResponse, false, t0 + minutes(30)}});
    expect_fired(c.sla, t0 + minutes(59), {});
    expect_fired(c.sla, t0 + minutes(60), {{SlaClockKind::kFirstResponse, true, t0 + hours(1)}});
  }
  SECTION("ratio 1: warning and breach at the same instant, the warning first, each once") {
    SlaPolicy policy = policy_with(hours(1), seconds(0), seconds(0));
    policy.warning_ratio = 1.0;
    Conversation c = opened_at(t0);
    reconcile(c, policy, calendar, t0);
    CHECK(c.sla.first_response.warn_at == c.sla.first_response.due_at);
    expect_fired(c.sla, t0 + hours(2),
                 {{SlaClockKind::kFirstResponse, false, t0 + hours(1)},
                  {SlaClockKind::kFirstResponse, true, t0 + hours(1)}});
    expect_fired(c.sla, t0 + hours(3), {});
  }
  SECTION("several clocks fire in the order they fell due") {
    const SlaPolicy policy = policy_with(hours(1), seconds(0), hours(2));
    Conversation c = opened_at(t0);
    reconcile(c, policy, calendar, t0);
    // Warnings at 48 min and 96 min, breaches at 60 and 120 min.
    expect_fired(c.sla, t0 + hours(5),
                 {{SlaClockKind::kFirstResponse, false, t0 + minutes(48)},
                  {SlaClockKind::kFirstResponse, true, t0 + minutes(60)},
                  {SlaClockKind::kResolution, false, t0 + minutes(96)},
                  {SlaClockKind::kResolution, true, t0 + minutes(120)}});
  }
  SECTION("a warning already written is not written again after a pause") {
    const SlaPolicy policy = policy_with(hours(1), seconds(0), seconds(0));
    Conversation c = opened_at(t0);
    reconcile(c, policy, calendar, t0);
    expect_fired(c.sla, t0 + minutes(50),
                 {{SlaClockKind::kFirstResponse, false, t0 + minutes(48)}});
    c.status = ConversationStatus::kPending;
    reconcile(c, policy, calendar, t0 + minutes(55));
    c.status = ConversationStatus::kOpen;
    reconcile(c, policy, calendar, t0 + minutes(65));
    // 5 minutes left at the pause -> due 10 minutes after it ended.
    CHECK(c.sla.first_response.due_at == t0 + minutes(70));
    CHECK(next_sla_timer(c.sla) == t0 + minutes(70));
    expect_fired(c.sla, t0 + minutes(80), {{SlaClockKind::kFirstResponse, true, t0 + minutes(70)}});
  }
}

TEST_CASE("a pause across a weekend and a DST change moves the deadlines by the paused time",
          "[sla]") {
  const BusinessHours business = office("Europe/Berlin");
  const SlaPolicy policy = policy_with(seconds(0), seconds(0), hours(16), business);
  const BusinessCalendar calendar = make(business);
  // Opened Thu 2026-03-26 10:00 CET. 16 h: Thu 7 h, Fri 8 h, Mon 1 h -> Mon 2026-03-30 10:00 CEST.
  Conversation c = opened_at(utc("2026-03-26T09:00:00Z"));
  reconcile(c, policy, calendar, c.opened_at);
  CHECK(c.sla.resolution.due_at == utc("2026-03-30T08:00:00Z"));
  // Warning after 12 h 48 min: Thu 7 h, Fri 5 h 48 min -> Fri 14:48 CET.
  CHECK(c.sla.resolution.warn_at == utc("2026-03-27T13:48:00Z"));

  // Pending from Thu 15:00 CET (5 h used, 11 h left) ...
  const Timestamp paused = utc("2026-03-26T14:00:00Z");
  c.status = ConversationStatus::kPending;
  reconcile(c, policy, calendar, paused);
  CHECK(c.sla.paused_at == paused);
  CHECK_FALSE(next_sla_timer(c.sla));
  // ... nothing falls due while it is paused, however long ...
  expect_fired(c.sla, utc("2026-04-30T00:00:00Z"), {});
  const SlaState during = c.sla;
  reconcile(c, policy, calendar, utc("2026-03-28T12:00:00Z"));
  CHECK(same(during, c.sla));

  // ... until Mon 2026-03-30 11:00 CEST: 12 h of business time paused (Thu 2 h, Fri 8 h, Mon 2 h).
  const Timestamp resumed = utc("2026-03-30T09:00:00Z");
  c.status = ConversationStatus::kOpen;
  reconcile(c, policy, calendar, resumed);
  CHECK_FALSE(c.sla.paused_at);
  // 11 h left from Mon 11:00 CEST: Mon 6 h, Tue 5 h -> Tue 2026-03-31 14:00 CEST.
  CHECK(c.sla.resolution.due_at == utc("2026-03-31T12:00:00Z"));
  CHECK(calendar.between(utc("2026-03-30T08:00:00Z"), *c.sla.resolution.due_at) ==
        calendar.between(paused, resumed));
  CHECK(calendar.between(paused, resumed) == hours(12));
  // The warning had 7 h 48 min left: Mon 6 h, Tue 1 h 48 min -> Tue 10:48 CEST.
  CHECK(c.sla.resolution.warn_at == utc("2026-03-31T08:48:00Z"));
  CHECK(c.sla.resolution.started_at == c.opened_at);
  CHECK(next_sla_timer(c.sla) == utc("2026-03-31T08:48:00Z"));
  expect_fired(c.sla, utc("2026-03-31T12:00:00Z") - kOneMicro,
               {{SlaClockKind::kResolution, false, utc("2026-03-31T08:48:00Z")}});
  expect_fired(c.sla, utc("2026-03-31T12:00:00Z"),
               {{SlaClockKind::kResolution, true, utc("2026-03-31T12:00:00Z")}});
}

TEST_CASE("an overdue clock stays overdue through a pause", "[sla]") {
  const SlaPolicy policy = policy_with(hours(1), seconds(0), seconds(0));
  const BusinessCalendar calendar = make(policy.hours);
  const Timestamp t0 = utc("2026-11-23T10:00:00Z");
  Conversation c = opened_at(t0);
  reconcile(c, policy, calendar, t0);
  // Pending at 2 h, its breach not written yet; open again at 5 h.
  c.status = ConversationStatus::kPending;
  reconcile(c, policy, calendar, t0 + hours(2));
  c.status = ConversationStatus::kOpen;
  reconcile(c, policy, calendar, t0 + hours(5));
  CHECK(c.sla.first_response.due_at == t0 + hours(1));
  CHECK(c.sla.first_response.warn_at == t0 + minutes(48));
  CHECK(next_sla_timer(c.sla) == t0 + minutes(48));
  expect_fired(c.sla, t0 + hours(5),
               {{SlaClockKind::kFirstResponse, false, t0 + minutes(48)},
                {SlaClockKind::kFirstResponse, true, t0 + hours(1)}});
}

TEST_CASE("a reply during a pause is measured against the time left when the pause began",
          "[sla]") {
  const SlaPolicy policy = policy_with(hours(1), seconds(0), seconds(0));
  const BusinessCalendar calendar = make(policy.hours);
  const Timestamp t0 = utc("2026-11-23T10:00:00Z");
  Conversation c = opened_at(t0);
  reconcile(c, policy, calendar, t0);
  c.status = ConversationStatus::kPending;  // 30 min used
  reconcile(c, policy, calendar, t0 + minutes(30));
  reply(c, t0 + hours(3));  // 30 min after the pause began it would still be in time
  reconcile(c, policy, calendar, t0 + hours(3));
  CHECK(c.sla.first_response.stopped_at == t0 + hours(3));
  CHECK(c.sla.first_response.due_at == t0 + hours(3) + minutes(30));
  CHECK(c.sla.first_response.met());
}

TEST_CASE("a cycle that starts during a pause gets its whole target when the pause ends", "[sla]") {
  const BusinessHours business = office("America/New_York");
  const SlaPolicy policy = policy_with(hours(1), hours(2), seconds(0), business);
  const BusinessCalendar calendar = make(business);
  // Opened Fri 2026-10-30 10:00 EDT, answered 10:30 EDT, pending from 11:00 EDT.
  Conversation c = opened_at(utc("2026-10-30T14:00:00Z"));
  reconcile(c, policy, calendar, c.opened_at);
  reply(c, utc("2026-10-30T14:30:00Z"));
  reconcile(c, policy, calendar, utc("2026-10-30T14:30:00Z"));
  c.status = ConversationStatus::kPending;
  reconcile(c, policy, calendar, utc("2026-10-30T15:00:00Z"));
  // The customer writes Fri 16:00 EDT while it is still pending: a cycle starts, paused.
  c.last_inbound_at = utc("2026-10-30T20:00:00Z");
  reconcile(c, policy, calendar, utc("2026-10-30T20:00:00Z"));
  CHECK(c.sla.next_response.started_at == utc("2026-10-30T20:00:00Z"));
  CHECK_FALSE(next_sla_timer(c.sla));
  // Open again Mon 2026-11-02 10:00 EST (after the fall-back Sunday): 2 h from then, 12:00 EST.
  c.status = ConversationStatus::kOpen;
  reconcile(c, policy, calendar, utc("2026-11-02T15:00:00Z"));
  CHECK(c.sla.next_response.due_at == utc("2026-11-02T17:00:00Z"));
  CHECK(c.sla.next_response.warn_at == utc("2026-11-02T16:36:00Z"));  // 1 h 36 min
  CHECK(next_sla_timer(c.sla) == utc("2026-11-02T16:36:00Z"));
}

TEST_CASE("next-response cycles are counted once each, met or breached", "[sla]") {
  const SlaPolicy policy = policy_with(hours(1), minutes(30), seconds(0));
  const BusinessCalendar calendar = make(policy.hours);
  const Timestamp t0 = utc("2026-11-23T10:00:00Z");
  Conversation c = opened_at(t0);
  reconcile(c, policy, calendar, t0);
  CHECK_FALSE(c.sla.next_response.started_at);  // no first response yet

  reply(c, t0 + minutes(10));
  reconcile(c, policy, calendar, t0 + minutes(10));
  CHECK(c.sla.first_response.met());
  CHECK_FALSE(c.sla.next_response.started_at);  // the customer has not written since

  // Cycle 1: customer at 20 min, agent at 40 min (due 50 min): met.
  c.last_inbound_at = t0 + minutes(20);
  reconcile(c, policy, calendar, t0 + minutes(20));
  CHECK(c.sla.next_response.started_at == t0 + minutes(20));
  CHECK(c.sla.next_response.due_at == t0 + minutes(50));
  CHECK(c.sla.next_response.warn_at == t0 + minutes(44));
  // A second customer message before the answer does not restart the cycle.
  c.last_inbound_at = t0 + minutes(25);
  reconcile(c, policy, calendar, t0 + minutes(25));
  CHECK(c.sla.next_response.started_at == t0 + minutes(20));
  reply(c, t0 + minutes(40));
  reconcile(c, policy, calendar, t0 + minutes(40));
  reconcile(c, policy, calendar, t0 + minutes(45));
  CHECK(c.sla.next_response.stopped_at == t0 + minutes(40));
  CHECK(c.sla.next_responses_met == 1);
  CHECK(c.sla.next_responses_breached == 0);
  CHECK_FALSE(next_sla_timer(c.sla));

  // Cycle 2: customer at 60 min, warning at 84 min, breach at 90 min, agent at 100 min.
  c.last_inbound_at = t0 + minutes(60);
  reconcile(c, policy, calendar, t0 + minutes(60));
  CHECK(c.sla.next_response.running());
  CHECK_FALSE(c.sla.next_response.warned);  // a fresh cycle
  CHECK(next_sla_timer(c.sla) == t0 + minutes(84));
  expect_fired(c.sla, t0 + minutes(95),
               {{SlaClockKind::kNextResponse, false, t0 + minutes(84)},
                {SlaClockKind::kNextResponse, true, t0 + minutes(90)}});
  reply(c, t0 + minutes(100));
  reconcile(c, policy, calendar, t0 + minutes(100));
  reconcile(c, policy, calendar, t0 + minutes(101));
  CHECK(c.sla.next_responses_met == 1);
  CHECK(c.sla.next_responses_breached == 1);
  CHECK(c.sla.next_response.breached);

  // Cycle 3 starts and runs; the counts do not move until it ends.
  c.last_inbound_at = t0 + minutes(110);
  reconcile(c, policy, calendar, t0 + minutes(110));
  CHECK(c.sla.next_response.running());
  CHECK(c.sla.next_response.started_at == t0 + minutes(110));
  CHECK(c.sla.next_responses_met == 1);
  CHECK(c.sla.next_responses_breached == 1);

  SECTION("an answer and a new message between two reconciles: one count, one new cycle") {
    reply(c, t0 + minutes(120));
    c.last_inbound_at = t0 + minutes(130);
    reconcile(c, policy, calendar, t0 + minutes(130));
    CHECK(c.sla.next_responses_met == 2);
    CHECK(c.sla.next_response.started_at == t0 + minutes(130));
    CHECK(c.sla.next_response.due_at == t0 + minutes(160));
  }
  SECTION("a first response without an outbound message: the customer's next message counts") {
    Conversation d = opened_at(t0);
    d.first_response_at = t0 + minutes(5);  // e.g. a call answered
    d.last_inbound_at = t0 + minutes(7);
    reconcile(d, policy, calendar, t0 + minutes(7));
    CHECK(d.sla.next_response.started_at == t0 + minutes(7));
  }
}

TEST_CASE("a reopen resumes the resolution clock with the business time it had left", "[sla]") {
  SECTION("around the clock") {
    const SlaPolicy policy = policy_with(seconds(0), seconds(0), hours(10));
    const BusinessCalendar calendar = make(policy.hours);
    const Timestamp t0 = utc("2026-11-23T10:00:00Z");
    Conversation c = opened_at(t0);
    reconcile(c, policy, calendar, t0);
    c.status = ConversationStatus::kResolved;
    c.resolved_at = t0 + hours(4);
    reconcile(c, policy, calendar, t0 + hours(4));
    CHECK(c.sla.resolution.stopped_at == t0 + hours(4));
    CHECK(c.sla.resolution.met());
    CHECK(c.sla.paused_at == t0 + hours(4));
    CHECK_FALSE(next_sla_timer(c.sla));

    // Reopened at 20 h: 6 h left -> due at 26 h; the warning (8 h) had 4 h left -> 24 h.
    c.status = ConversationStatus::kOpen;
    c.reopen_count = 1;
    reconcile(c, policy, calendar, t0 + hours(20));
    CHECK(c.sla.resolution.running());
    CHECK(c.sla.resolution.started_at == t0);
    CHECK(c.sla.resolution.due_at == t0 + hours(26));
    CHECK(c.sla.resolution.warn_at == t0 + hours(24));
    CHECK(next_sla_timer(c.sla) == t0 + hours(24));

    // Resolved again after the deadline: not met.
    c.status = ConversationStatus::kResolved;
    c.resolved_at = t0 + hours(27);
    reconcile(c, policy, calendar, t0 + hours(27));
    CHECK(c.sla.resolution.stopped_at == t0 + hours(27));
    CHECK_FALSE(c.sla.resolution.met());

    // Closed: paused forever, no timers, no new cycles.
    c.status = ConversationStatus::kClosed;
    c.closed_at = t0 + hours(30);
    reconcile(c, policy, calendar, t0 + hours(30));
    reconcile(c, policy, calendar, t0 + hours(300));
    CHECK(c.sla.paused_at == t0 + hours(27));
    CHECK_FALSE(next_sla_timer(c.sla));
    expect_fired(c.sla, t0 + hours(1000), {});
  }
  SECTION("in business hours, resolved in time, reopened days later") {
    const BusinessHours business = office("Europe/Berlin");
    const SlaPolicy policy = policy_with(seconds(0), seconds(0), hours(16), business);
    const BusinessCalendar calendar = make(business);
    // Opened Mon 2026-11-23 09:00 CET: due Tue 17:00 CET.
    Conversation c = opened_at(utc("2026-11-23T08:00:00Z"));
    reconcile(c, policy, calendar, c.opened_at);
    CHECK(c.sla.resolution.due_at == utc("2026-11-24T16:00:00Z"));
    // Resolved Mon 13:00 CET: 12 h left.
    c.status = ConversationStatus::kResolved;
    c.resolved_at = utc("2026-11-23T12:00:00Z");
    reconcile(c, policy, calendar, *c.resolved_at);
    // Reopened Fri 2026-11-27 15:00 CET: Fri 2 h, Mon 8 h, Tue 2 h -> Tue 2026-12-01 11:00 CET.
    c.status = ConversationStatus::kOpen;
    reconcile(c, policy, calendar, utc("2026-11-27T14:00:00Z"));
    CHECK(c.sla.resolution.due_at == utc("2026-12-01T10:00:00Z"));
    CHECK(calendar.between(utc("2026-11-27T14:00:00Z"), *c.sla.resolution.due_at) == hours(12));
  }
  SECTION("pending, then resolved, then reopened: the pending time does not count") {
    const SlaPolicy policy = policy_with(seconds(0), seconds(0), hours(10));
    const BusinessCalendar calendar = make(policy.hours);
    const Timestamp t0 = utc("2026-11-23T10:00:00Z");
    Conversation c = opened_at(t0);
    reconcile(c, policy, calendar, t0);
    c.status = ConversationStatus::kPending;  // 3 h used, 7 h left
    reconcile(c, policy, calendar, t0 + hours(3));
    c.status = ConversationStatus::kResolved;
    c.resolved_at = t0 + hours(12);
    reconcile(c, policy, calendar, t0 + hours(12));
    CHECK(c.sla.resolution.met());
    c.status = ConversationStatus::kOpen;
    reconcile(c, policy, calendar, t0 + hours(40));
    CHECK(c.sla.resolution.due_at == t0 + hours(47));
  }
  SECTION("overdue when resolved: it stays overdue after the reopen") {
    const SlaPolicy policy = policy_with(seconds(0), seconds(0), hours(2));
    const BusinessCalendar calendar = make(policy.hours);
    const Timestamp t0 = utc("2026-11-23T10:00:00Z");
    Conversation c = opened_at(t0);
    reconcile(c, policy, calendar, t0);
    c.status = ConversationStatus::kResolved;
    c.resolved_at = t0 + hours(3);
    reconcile(c, policy, calendar, t0 + hours(3));
    CHECK_FALSE(c.sla.resolution.met());
    c.status = ConversationStatus::kOpen;
    reconcile(c, policy, calendar, t0 + hours(10));
    CHECK(c.sla.resolution.due_at == t0 + hours(2));
    expect_fired(c.sla, t0 + hours(10),
                 {{SlaClockKind::kResolution, false, t0 + minutes(96)},
                  {SlaClockKind::kResolution, true, t0 + hours(2)}});
  }
}

TEST_CASE("a closed conversation's clocks are paused for good", "[sla]") {
  const SlaPolicy policy = policy_with(hours(1), minutes(30), hours(8));
  const BusinessCalendar calendar = make(policy.hours);
  const Timestamp t0 = utc("2026-11-23T10:00:00Z");
  Conversation c = opened_at(t0);
  reconcile(c, policy, calendar, t0);
  c.status = ConversationStatus::kClosed;  // closed without a reply or a resolution
  c.closed_at = t0 + minutes(20);
  reconcile(c, policy, calendar, t0 + minutes(20));
  CHECK(c.sla.paused_at == t0 + minutes(20));
  CHECK_FALSE(next_sla_timer(c.sla));
  expect_fired(c.sla, t0 + hours(1000), {});
  // Facts that would start a next-response cycle on an open conversation start none.
  reply(c, t0 + minutes(30));
  c.last_inbound_at = t0 + minutes(40);
  reconcile(c, policy, calendar, t0 + minutes(40));
  CHECK_FALSE(c.sla.next_response.started_at);
  CHECK(c.sla.paused_at == t0 + minutes(20));
  CHECK_FALSE(next_sla_timer(c.sla));

  SECTION("a conversation first seen closed starts no clock") {
    Conversation d = opened_at(t0);
    d.status = ConversationStatus::kClosed;
    reconcile(d, policy, calendar, t0 + hours(1));
    CHECK_FALSE(d.sla.first_response.started_at);
    CHECK_FALSE(d.sla.resolution.started_at);
    CHECK_FALSE(next_sla_timer(d.sla));
  }
}

TEST_CASE("reconcile is idempotent, also at later instants without new facts", "[sla]") {
  const BusinessHours business = office("Europe/Berlin");
  const SlaPolicy policy = policy_with(hours(4), hours(2), hours(16), business);
  const BusinessCalendar calendar = make(business);
  Conversation c = opened_at(utc("2026-11-20T15:00:00Z"));
  reconcile(c, policy, calendar, c.opened_at);
  const SlaState first = c.sla;
  for (const char* later : {"2026-11-21T12:00:00Z", "2026-11-23T11:00:00Z", "2026-12-24T00:00:00Z"})
    reconcile(c, policy, calendar, utc(later));
  CHECK(same(first, c.sla));
  // Timers fired are not undone by a reconcile.
  (void)fire_sla_timers(c.sla, utc("2026-11-23T11:00:00Z"));
  const SlaState fired = c.sla;
  reconcile(c, policy, calendar, utc("2026-11-23T11:30:00Z"));
  CHECK(same(fired, c.sla));
  CHECK(c.sla.first_response.breached);
}

TEST_CASE("SLA policy JSON round trip", "[sla]") {
  SlaPolicy policy;
  policy.channel_kind = ChannelKind::kEmail;
  policy.priority = Priority::kHigh;
  policy.first_response = hours(4);
  policy.next_response = hours(2);
  policy.resolution = seconds(172801);
  policy.warning_ratio = 0.75;
  policy.hours = office("Europe/Berlin");
  policy.hours.week[6] = {{hours(10), hours(12)}, {hours(13), minutes(14 * 60 + 30)}};
  policy.hours.holidays = {"2026-12-25", "2026-12-26"};

  const std::string json = encode_sla_policy(policy);
  auto decoded = decode_sla_policy(json);
  INFO(json);
  INFO(decoded.status().to_string());
  REQUIRE(decoded.ok());
  CHECK(decoded->channel_kind == ChannelKind::kEmail);
  CHECK(decoded->priority == Priority::kHigh);
  CHECK(decoded->first_response == hours(4));
  CHECK(decoded->next_response == hours(2));
  CHECK(decoded->resolution == seconds(172801));
  CHECK(decoded->warning_ratio == 0.75);
  CHECK(decoded->hours.time_zone == "Europe/Berlin");
  for (std::size_t day = 0; day < 7; ++day) {
    INFO("day " << day);
    REQUIRE(decoded->hours.week[day].size() == policy.hours.week[day].size());
    for (std::size_t i = 0; i < policy.hours.week[day].size(); ++i) {
      CHECK(decoded->hours.week[day][i].open == policy.hours.week[day][i].open);
      CHECK(decoded->hours.week[day][i].close == policy.hours.week[day][i].close);
    }
  }
  CHECK(decoded->hours.holidays == policy.hours.holidays);
  CHECK(encode_sla_policy(*decoded) == json);

  SECTION("unset kind and priority, defaults") {
    const SlaPolicy any;
    auto back = decode_sla_policy(encode_sla_policy(any));
    REQUIRE(back.ok());
    CHECK_FALSE(back->channel_kind);
    CHECK_FALSE(back->priority);
    CHECK(back->warning_ratio == 0.8);
    CHECK(back->hours.time_zone == "UTC");
    CHECK(back->hours.week[3].size() == 1);
    CHECK(back->hours.week[3][0].close == hours(24));
  }
  SECTION("missing keys keep the defaults") {
    auto back = decode_sla_policy(R"({"first_response": 60})");
    REQUIRE(back.ok());
    CHECK(back->first_response == seconds(60));
    CHECK(back->resolution == seconds(0));
    CHECK(back->warning_ratio == 0.8);
    CHECK(back->hours.week[0].size() == 1);
  }
}

TEST_CASE("SLA policy JSON decode errors", "[sla]") {
  auto corrupt = [](const std::string& json) {
    auto decoded = decode_sla_policy(json);
    INFO(json);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == StatusCode::kCorruption);
  };
  corrupt("");
  corrupt("{");
  corrupt(R"({"first_response": 1} trailing)");
  corrupt("[]");
  corrupt("42");
  corrupt(R"({"first_response": "4h"})");
  corrupt(R"({"first_response": 1.5})");
  corrupt(R"({"next_response": true})");
  corrupt(R"({"warning_ratio": "0.8"})");
  corrupt(R"({"channel_kind": 3})");
  corrupt(R"({"priority": {}})");
  corrupt(R"({"hours": []})");
  corrupt(R"({"hours": {"time_zone": 1}})");
  corrupt(R"({"hours": {"week": [[], [], []]}})");
  corrupt(R"({"hours": {"week": [[], [{"open": "9"}], [], [], [], [], []]}})");
  corrupt(R"({"hours": {"week": [[], [{"open": 540}], [], [], [], [], []]}})");
  corrupt(R"({"hours": {"week": [[], [[540, 1020]], [], [], [], [], []]}})");
  corrupt(R"({"hours": {"holidays": "2026-12-25"}})");
  corrupt(R"({"hours": {"holidays": [20261225]}})");

  auto invalid = [](const std::string& json, const std::string& field) {
    auto decoded = decode_sla_policy(json);
    INFO(json);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == StatusCode::kInvalidArgument);
    CHECK(decoded.status().field() == field);
  };
  invalid(R"({"first_response": -1})", "first_response");
  invalid(R"({"next_response": -60})", "next_response");
  invalid(R"({"resolution": -3600})", "resolution");
  invalid(R"({"warning_ratio": 0})", "warning_ratio");
  invalid(R"({"warning_ratio": -0.5})", "warning_ratio");
  invalid(R"({"warning_ratio": 1.0000001})", "warning_ratio");
  invalid(R"({"warning_ratio": 2})", "warning_ratio");
  invalid(R"({"channel_kind": "fax"})", "channel_kind");
  invalid(R"({"priority": "critical"})", "priority");
  invalid(R"({"hours": {"time_zone": "Mars/Olympus_Mons"}})", "hours.time_zone");
  invalid(R"({"hours": {"time_zone": ""}})", "hours.time_zone");
  invalid(R"({"hours": {"week": [[], [{"open": 1020, "close": 540}], [], [], [], [], []]}})",
          "hours.week[1][0]");
  invalid(R"({"hours": {"week": [[], [{"open": 0, "close": 1441}], [], [], [], [], []]}})",
          "hours.week[1][0]");
  invalid(R"({"hours": {"week": [[], [], [], [], [], [], []]}})", "hours.week");
  invalid(R"({"hours": {"holidays": ["2026-02-30"]}})", "hours.holidays[0]");

  // Ratio 1 is fine.
  CHECK(decode_sla_policy(R"({"warning_ratio": 1})").ok());
}

TEST_CASE("validate_sla_policy", "[sla]") {
  SlaPolicy policy = policy_with(hours(1), hours(1), hours(1), office("America/New_York"));
  CHECK(validate_sla_policy(policy).ok());
  policy.warning_ratio = 0.0;
  CHECK(validate_sla_policy(policy).field() == "warning_ratio");
  policy.warning_ratio = 0.5;
  policy.resolution = seconds(-1);
  CHECK(validate_sla_policy(policy).field() == "resolution");
  policy.resolution = seconds(0);
  policy.hours.time_zone = "Nowhere/Special";
  const Status status = validate_sla_policy(policy);
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(status.field() == "hours.time_zone");
}

TEST_CASE("routing policy JSON round trip and decode errors", "[sla]") {
  RoutingPolicy policy;
  policy.strategy = RoutingStrategy::kRoundRobin;
  policy.sticky = false;
  policy.sticky_wait = seconds(600);
  policy.offer_timeout = seconds(0);
  policy.automatic = false;
  const std::string json = encode_routing_policy(policy);
  auto decoded = decode_routing_policy(json);
  INFO(json);
  REQUIRE(decoded.ok());
  CHECK(decoded->strategy == RoutingStrategy::kRoundRobin);
  CHECK_FALSE(decoded->sticky);
  CHECK(decoded->sticky_wait == seconds(600));
  CHECK(decoded->offer_timeout == seconds(0));
  CHECK_FALSE(decoded->automatic);
  CHECK(encode_routing_policy(*decoded) == json);

  auto defaults = decode_routing_policy(encode_routing_policy(RoutingPolicy{}));
  REQUIRE(defaults.ok());
  CHECK(defaults->strategy == RoutingStrategy::kLeastLoaded);
  CHECK(defaults->sticky);
  CHECK(defaults->sticky_wait == seconds(120));
  CHECK(defaults->offer_timeout == seconds(30));
  CHECK(defaults->automatic);
  CHECK(decode_routing_policy("{}").ok());

  for (const char* json_text :
       {"", "{", "null", R"(["least_loaded"])", R"({"strategy": 1})", R"({"sticky": "yes"})",
        R"({"automatic": 1})", R"({"sticky_wait": "2m"})", R"({"offer_timeout": 0.5})"}) {
    INFO(json_text);
    auto result = decode_routing_policy(json_text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == StatusCode::kCorruption);
  }
  for (auto [json_text, field] : {std::pair{R"({"strategy": "random"})", "strategy"},
                                  std::pair{R"({"sticky_wait": -1})", "sticky_wait"},
                                  std::pair{R"({"offer_timeout": -30})", "offer_timeout"}}) {
    INFO(json_text);
    auto result = decode_routing_policy(json_text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == StatusCode::kInvalidArgument);
    CHECK(result.status().field() == field);
  }
}
