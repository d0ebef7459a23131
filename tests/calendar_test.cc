// Business-hours calendars on real time zones. Every expected instant was worked out by hand and
// is written in UTC, with the local time it stands for in a comment.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "omni/calendar.h"

using namespace omni;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;

namespace {

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

// Mon-Fri 09:00-17:00 Europe/Berlin (CET = UTC+1, CEST = UTC+2).
BusinessCalendar berlin_office() {
  return make(BusinessHours::weekdays("Europe/Berlin", hours(9), hours(17)));
}

}  // namespace

TEST_CASE("a deadline skips the weekend", "[calendar]") {
  BusinessCalendar calendar = berlin_office();
  // Fri 2026-11-20 15:00 CET; 2 h on Friday, 2 h on Monday -> Mon 2026-11-23 11:00 CET.
  CHECK(calendar.add(utc("2026-11-20T14:00:00Z"), hours(4)) == utc("2026-11-23T10:00:00Z"));
  // Exact to the microsecond.
  CHECK(calendar.add(utc("2026-11-20T14:00:00.000123Z"), hours(4)) ==
        utc("2026-11-23T10:00:00.000123Z"));
  // Started on Saturday 10:00 CET: counting begins Mon 09:00 CET -> Mon 13:00 CET.
  CHECK(calendar.add(utc("2026-11-21T09:00:00Z"), hours(4)) == utc("2026-11-23T12:00:00Z"));
  CHECK(calendar.between(utc("2026-11-20T14:00:00Z"), utc("2026-11-23T10:00:00Z")) == hours(4));
}

TEST_CASE("a deadline across the spring-forward weekend", "[calendar]") {
  BusinessCalendar calendar = berlin_office();
  // Fri 2026-03-27 15:00 CET (14:00Z) + 4 h -> Mon 2026-03-30 11:00 CEST (09:00Z).
  CHECK(calendar.add(utc("2026-03-27T14:00:00Z"), hours(4)) == utc("2026-03-30T09:00:00Z"));
  // Opening on Monday is 09:00 CEST = 07:00Z; before the weekend 09:00 CET = 08:00Z.
  CHECK(calendar.next_open(utc("2026-03-28T12:00:00Z")) == utc("2026-03-30T07:00:00Z"));
  CHECK(calendar.next_open(utc("2026-03-26T20:00:00Z")) == utc("2026-03-27T08:00:00Z"));
}

TEST_CASE("a deadline across the fall-back weekend", "[calendar]") {
  BusinessCalendar calendar = berlin_office();
  // Fri 2026-10-23 15:00 CEST (13:00Z) + 4 h -> Mon 2026-10-26 11:00 CET (10:00Z).
  CHECK(calendar.add(utc("2026-10-23T13:00:00Z"), hours(4)) == utc("2026-10-26T10:00:00Z"));
  CHECK(calendar.between(utc("2026-10-23T13:00:00Z"), utc("2026-10-26T10:00:00Z")) == hours(4));
}

TEST_CASE("a 24/7 calendar follows the length of the local day", "[calendar]") {
  BusinessCalendar calendar = make(BusinessHours::always_open("Europe/Berlin"));
  // Sat 2026-03-28 12:00 CET (11:00Z) + 24 h -> Sun 2026-03-29 13:00 CEST (11:00Z): 24 real
  // hours, across the 23-hour Sunday.
  CHECK(calendar.add(utc("2026-03-28T11:00:00Z"), hours(24)) == utc("2026-03-29T11:00:00Z"));
  // Sunday 2026-03-29 00:00 CET (03-28 23:00Z) to Monday 00:00 CEST (03-29 22:00Z): 23 h.
  CHECK(calendar.between(utc("2026-03-28T23:00:00Z"), utc("2026-03-29T22:00:00Z")) == hours(23));
  // Sunday 2026-10-25 00:00 CEST (10-24 22:00Z) to Monday 00:00 CET (10-25 23:00Z): 25 h.
  CHECK(calendar.between(utc("2026-10-24T22:00:00Z"), utc("2026-10-25T23:00:00Z")) == hours(25));
  CHECK(calendar.is_open(utc("2026-03-29T01:30:00Z")));
  CHECK(calendar.next_open(utc("2026-03-29T01:30:00Z")) == utc("2026-03-29T01:30:00Z"));
}

TEST_CASE("an 08:00-17:00 day stays 9 hours on DST days", "[calendar]") {
  BusinessHours hours_def;
  hours_def.time_zone = "Europe/Berlin";
  for (auto& day : hours_def.week)
    day = {{hours(8), hours(17)}};
  BusinessCalendar calendar = make(hours_def);
  // Spring forward: Sun 2026-03-29 08:00-17:00 CEST = 06:00Z-15:00Z.
  CHECK(calendar.between(utc("2026-03-28T23:00:00Z"), utc("2026-03-29T22:00:00Z")) == hours(9));
  CHECK(calendar.next_open(utc("2026-03-29T00:00:00Z")) == utc("2026-03-29T06:00:00Z"));
  // Fall back: Sun 2026-10-25 08:00-17:00 CET = 07:00Z-16:00Z.
  CHECK(calendar.between(utc("2026-10-24T22:00:00Z"), utc("2026-10-25T23:00:00Z")) == hours(9));
  CHECK(calendar.add(utc("2026-10-25T00:00:00Z"), hours(9)) == utc("2026-10-25T16:00:00Z"));
}

TEST_CASE("interval boundaries in skipped or repeated local hours", "[calendar]") {
  BusinessHours hours_def;
  hours_def.time_zone = "Europe/Berlin";
  hours_def.week[0] = {{minutes(2 * 60), minutes(2 * 60 + 30)},  // Sun 02:00-02:30
                       {minutes(2 * 60 + 30), hours(4)}};        // Sun 02:30-04:00
  BusinessCalendar calendar = make(hours_def);
  // Spring forward 2026-03-29: 02:00-03:00 local does not exist. 02:00-02:30 is empty; 02:30 maps
  // to the end of the gap, 03:00 CEST (01:00Z); 04:00 CEST is 02:00Z: 1 hour open.
  CHECK(calendar.between(utc("2026-03-28T12:00:00Z"), utc("2026-03-29T12:00:00Z")) == hours(1));
  CHECK(calendar.next_open(utc("2026-03-28T12:00:00Z")) == utc("2026-03-29T01:00:00Z"));
  // Fall back 2026-10-25: 02:00-03:00 local happens twice. 02:00 maps to its first occurrence,
  // 02:00 CEST (00:00Z); 04:00 CET is 03:00Z: 3 hours open, including the repeated hour.
  CHECK(calendar.between(utc("2026-10-24T12:00:00Z"), utc("2026-10-25T12:00:00Z")) == hours(3));
  CHECK(calendar.next_open(utc("2026-10-24T12:00:00Z")) == utc("2026-10-25T00:00:00Z"));
  // 02:30 CET (the second 02:30, 01:30Z) is open.
  CHECK(calendar.is_open(utc("2026-10-25T01:30:00Z")));
  // A normal Sunday 2026-04-05: 02:00-04:00 CEST = 00:00Z-02:00Z.
  CHECK(calendar.add(utc("2026-03-30T00:00:00Z"), minutes(30)) == utc("2026-04-05T00:30:00Z"));
}

TEST_CASE("a lunch break splits the day", "[calendar]") {
  BusinessHours hours_def = BusinessHours::weekdays("Europe/Berlin", hours(9), hours(17));
  for (int day = 1; day <= 5; ++day) {
    hours_def.week[static_cast<std::size_t>(day)] = {{hours(9), hours(12)}, {hours(13), hours(17)}};
  }
  BusinessCalendar calendar = make(hours_def);
  // Mon 2026-11-23 11:00 CET (10:00Z) + 2 h: 11-12 and 13-14 -> 14:00 CET (13:00Z).
  CHECK(calendar.add(utc("2026-11-23T10:00:00Z"), hours(2)) == utc("2026-11-23T13:00:00Z"));
  // 12:30 CET is lunch; opening again at 13:00 CET (12:00Z).
  CHECK_FALSE(calendar.is_open(utc("2026-11-23T11:30:00Z")));
  CHECK(calendar.next_open(utc("2026-11-23T11:30:00Z")) == utc("2026-11-23T12:00:00Z"));
  // A full 7-hour day from 09:00 CET ends at the closing instant 17:00 CET (16:00Z), not at the
  // next opening.
  CHECK(calendar.add(utc("2026-11-23T08:00:00Z"), hours(7)) == utc("2026-11-23T16:00:00Z"));
  // Running out exactly at lunch stays at 12:00 CET (11:00Z).
  CHECK(calendar.add(utc("2026-11-23T08:00:00Z"), hours(3)) == utc("2026-11-23T11:00:00Z"));
}

TEST_CASE("holidays push a deadline", "[calendar]") {
  BusinessHours hours_def = BusinessHours::weekdays("Europe/Berlin", hours(9), hours(17));
  hours_def.holidays = {"2026-12-24", "2026-12-25", "2026-12-26"};
  BusinessCalendar calendar = make(hours_def);
  // Wed 2026-12-23 16:00 CET (15:00Z) + 4 h: 1 h Wednesday; Thu 24 and Fri 25 are holidays, the
  // weekend is closed; 3 h Monday -> Mon 2026-12-28 12:00 CET (11:00Z).
  CHECK(calendar.add(utc("2026-12-23T15:00:00Z"), hours(4)) == utc("2026-12-28T11:00:00Z"));
  CHECK_FALSE(calendar.is_open(utc("2026-12-24T10:00:00Z")));
  CHECK(calendar.between(utc("2026-12-21T00:00:00Z"), utc("2026-12-28T00:00:00Z")) == hours(24));
  // A 24/7 calendar with the same holidays: closed from 24 Dec 00:00 CET to 27 Dec 00:00 CET.
  BusinessHours always = BusinessHours::always_open("Europe/Berlin");
  always.holidays = hours_def.holidays;
  BusinessCalendar open_calendar = make(always);
  CHECK(open_calendar.next_open(utc("2026-12-24T12:00:00Z")) == utc("2026-12-26T23:00:00Z"));
}

TEST_CASE("America/New_York across its spring-forward weekend", "[calendar]") {
  BusinessCalendar calendar =
      make(BusinessHours::weekdays("America/New_York", hours(9), hours(17)));
  // Fri 2026-03-06 15:00 EST (20:00Z) + 4 h -> Mon 2026-03-09 11:00 EDT (15:00Z).
  CHECK(calendar.add(utc("2026-03-06T20:00:00Z"), hours(4)) == utc("2026-03-09T15:00:00Z"));
  BusinessCalendar always = make(BusinessHours::always_open("America/New_York"));
  // Sun 2026-03-08 00:00 EST (05:00Z) to Mon 00:00 EDT (04:00Z): 23 h.
  CHECK(always.between(utc("2026-03-08T05:00:00Z"), utc("2026-03-09T04:00:00Z")) == hours(23));
}

TEST_CASE("start inside or outside open time, and zero durations", "[calendar]") {
  BusinessCalendar calendar = berlin_office();
  const Timestamp friday_open = utc("2026-11-20T08:00:00Z");  // Fri 09:00 CET
  CHECK(calendar.is_open(friday_open));
  CHECK_FALSE(calendar.is_open(friday_open - microseconds(1)));
  CHECK(calendar.is_open(utc("2026-11-20T15:59:59.999999Z")));
  CHECK_FALSE(calendar.is_open(utc("2026-11-20T16:00:00Z")));  // 17:00 CET: closed
  // Zero (or negative) business time: the start itself when open, else the next opening.
  CHECK(calendar.add(utc("2026-11-20T10:00:00Z"), hours(0)) == utc("2026-11-20T10:00:00Z"));
  CHECK(calendar.add(utc("2026-11-20T16:00:00Z"), hours(0)) == utc("2026-11-23T08:00:00Z"));
  CHECK(calendar.add(utc("2026-11-20T16:00:00Z"), hours(-5)) == utc("2026-11-23T08:00:00Z"));
  CHECK(calendar.next_open(utc("2026-11-20T10:00:00Z")) == utc("2026-11-20T10:00:00Z"));
  // Inside: Fri 10:00 CET + 1 h -> 11:00 CET. Outside (Thu 20:00 CET) + 1 h -> Fri 10:00 CET.
  CHECK(calendar.add(utc("2026-11-20T09:00:00Z"), hours(1)) == utc("2026-11-20T10:00:00Z"));
  CHECK(calendar.add(utc("2026-11-19T19:00:00Z"), hours(1)) == utc("2026-11-20T09:00:00Z"));
  CHECK(calendar.between(utc("2026-11-20T10:00:00Z"), utc("2026-11-20T09:00:00Z")) == hours(0));
  // Far past the supported range.
  CHECK(calendar.add(Timestamp::max(), hours(1)) == Timestamp::max());
  CHECK_FALSE(calendar.is_open(Timestamp::max()));
  CHECK(calendar.between(Timestamp::min(), Timestamp::min() + hours(1)) == hours(0));
}

TEST_CASE("long durations are computed by whole weeks", "[calendar]") {
  BusinessCalendar calendar = berlin_office();
  // 10 weeks of 40 h from Mon 2026-01-05 09:00 CET (08:00Z) end Fri 2026-03-13 17:00 CET (16:00Z).
  CHECK(calendar.add(utc("2026-01-05T08:00:00Z"), hours(400)) == utc("2026-03-13T16:00:00Z"));
  // Across spring forward: Mon 2026-03-02 09:00 CET (08:00Z) -> Fri 2026-05-08 17:00 CEST (15:00Z).
  CHECK(calendar.add(utc("2026-03-02T08:00:00Z"), hours(400)) == utc("2026-05-08T15:00:00Z"));
  // 24/7: 1680 real hours from Sun 2026-03-01 00:00 CET (02-28 23:00Z) -> 2026-05-09 23:00Z.
  BusinessCalendar always = make(BusinessHours::always_open("Europe/Berlin"));
  CHECK(always.add(utc("2026-02-28T23:00:00Z"), hours(1680)) == utc("2026-05-09T23:00:00Z"));

  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    const Timestamp start = utc("2026-01-05T08:00:00Z") + hours(i);
    const Timestamp deadline = calendar.add(start, hours(400));
    REQUIRE(calendar.between(start, deadline) == hours(400));
  }
  // Ten years of business time also stays cheap.
  const Timestamp far = calendar.add(utc("2026-01-05T08:00:00Z"), hours(40 * 52 * 10));
  CHECK(calendar.between(utc("2026-01-05T08:00:00Z"), far) == hours(40 * 52 * 10));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
}

TEST_CASE("between is the inverse of add", "[calendar]") {
  BusinessHours office = BusinessHours::weekdays("Europe/Berlin", hours(9), hours(17));
  for (int day = 1; day <= 5; ++day) {
    office.week[static_cast<std::size_t>(day)] = {{hours(9), hours(12)}, {hours(13), hours(17)}};
  }
  office.week[6] = {{minutes(150), hours(4)}};  // Saturday 02:30-04:00
  office.week[0] = {{hours(0), hours(24)}};     // Sunday around the clock
  office.holidays = {"2026-03-30", "2026-10-26", "2026-12-24", "2026-12-25"};
  const BusinessCalendar calendars[] = {
      make(office), make(BusinessHours::always_open("America/New_York")),
      make(BusinessHours::weekdays("Australia/Lord_Howe", minutes(0), minutes(150)))};

  std::mt19937_64 random(20261125);
  const std::int64_t year_start = to_unix_micros(utc("2026-01-01T00:00:00Z"));
  std::uniform_int_distribution<std::int64_t> instant(year_start,
                                                      year_start + 366LL * 86400 * 1'000'000);
  std::uniform_int_distribution<std::int64_t> duration(0, 21LL * 86400 * 1'000'000);
  for (const BusinessCalendar& calendar : calendars) {
    for (int i = 0; i < 2000; ++i) {
      const Timestamp start = from_unix_micros(instant(random));
      const microseconds business_time(duration(random));
      const Timestamp deadline = calendar.add(start, business_time);
      INFO(calendar.hours().time_zone << " " << format_timestamp(start) << " + "
                                      << business_time.count() << "us -> "
                                      << format_timestamp(deadline));
      REQUIRE(deadline >= start);
      REQUIRE(calendar.between(start, deadline) == business_time);
      if (business_time > microseconds(0)) {
        // Time runs out inside open time: the microsecond before the deadline is open.
        REQUIRE(calendar.is_open(deadline - microseconds(1)));
      } else {
        REQUIRE(calendar.is_open(deadline));
      }
    }
  }
}

TEST_CASE("invalid business hours are rejected with the field", "[calendar]") {
  auto field_of = [](const BusinessHours& hours_def) {
    auto calendar = BusinessCalendar::create(hours_def);
    REQUIRE_FALSE(calendar.ok());
    CHECK(calendar.status().is(StatusCode::kInvalidArgument));
    return calendar.status().field();
  };
  BusinessHours good = BusinessHours::weekdays("Europe/Berlin", hours(9), hours(17));

  BusinessHours bad = good;
  bad.time_zone = "Mars/Olympus_Mons";
  CHECK(field_of(bad) == "time_zone");
  bad.time_zone = "";
  CHECK(field_of(bad) == "time_zone");

  bad = good;
  bad.week[1] = {{hours(9), hours(12)}, {hours(11), hours(13)}};  // overlapping
  CHECK(field_of(bad) == "week[1][1]");
  bad.week[1] = {{hours(13), hours(17)}, {hours(9), hours(12)}};  // unsorted
  CHECK(field_of(bad) == "week[1][1]");
  bad.week[1] = {{hours(17), hours(9)}};  // open after close
  CHECK(field_of(bad) == "week[1][0]");
  bad.week[1] = {{hours(9), hours(9)}};  // empty
  CHECK(field_of(bad) == "week[1][0]");
  bad.week[1] = good.week[1];
  bad.week[2] = {{hours(9), hours(25)}};
  CHECK(field_of(bad) == "week[2][0]");
  bad.week[2] = {{minutes(-1), hours(9)}};
  CHECK(field_of(bad) == "week[2][0]");

  for (const char* holiday : {"2026-02-30", "2026-1-05", "26-01-05", "2026-01-05x", "", "xmas"}) {
    INFO(holiday);
    bad = good;
    bad.holidays = {"2026-12-25", holiday};
    CHECK(field_of(bad) == "holidays[1]");
  }

  bad = good;
  for (auto& day : bad.week)
    day.clear();
  CHECK(field_of(bad) == "week");

  // Touching intervals are fine, and copies share the definition.
  good.week[1] = {{hours(9), hours(12)}, {hours(12), hours(17)}};
  BusinessCalendar calendar = make(good);
  BusinessCalendar copy = calendar;
  CHECK(copy.hours().week[1].size() == 2);
  CHECK(copy.between(utc("2026-11-23T00:00:00Z"), utc("2026-11-24T00:00:00Z")) == hours(8));
}

TEST_CASE("one calendar is shared by many threads", "[calendar]") {
  const BusinessCalendar calendar = berlin_office();
  // Fri 2026-03-27 15:00 CET (14:00Z) + 4 h -> Mon 2026-03-30 11:00 CEST (09:00Z), on every thread.
  // Catch2 assertions are not thread-safe: the threads only count, the main thread checks.
  const Timestamp start = utc("2026-03-27T14:00:00Z");
  const Timestamp expected = utc("2026-03-30T09:00:00Z");
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < wrong.size(); ++t) {
    threads.emplace_back([&calendar, &wrong, start, expected, t] {
      const BusinessCalendar copy = calendar;
      for (int i = 0; i < 500; ++i) {
        if (copy.add(start, hours(4)) != expected) ++wrong[t];
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (int count : wrong)
    CHECK(count == 0);
}
