#include <catch2/catch.hpp>

#include "omni/clock.h"

using namespace omni;

TEST_CASE("timestamps format and parse as RFC 3339 UTC", "[clock]") {
  Timestamp t = from_unix_micros(1'795'000'000'000'000);
  CHECK(format_timestamp(t) == "2026-11-18T11:06:40Z");
  CHECK(format_timestamp(t + std::chrono::microseconds(1500)) == "2026-11-18T11:06:40.001500Z");
  CHECK(*parse_timestamp("2026-11-18T11:06:40Z") == t);
  CHECK(*parse_timestamp("2026-11-18T12:06:40+01:00") == t);
  CHECK(*parse_timestamp("2026-11-18T11:06:40.0015Z") == t + std::chrono::microseconds(1500));
  CHECK(*parse_timestamp(format_timestamp(t + std::chrono::microseconds(7))) ==
        t + std::chrono::microseconds(7));
  for (const char* bad : {"", "yesterday", "2026-13-01T00:00:00Z", "2026-11-18T11:06:40",
                          "2026-11-18T11:06:40Zjunk"}) {
    INFO(bad);
    auto r = parse_timestamp(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().is(StatusCode::kInvalidArgument));
  }
}

TEST_CASE("a manual clock moves only when told", "[clock]") {
  ManualClock clock(from_unix_micros(10));
  CHECK(to_unix_micros(clock.now()) == 10);
  clock.advance(std::chrono::seconds(2));
  CHECK(to_unix_micros(clock.now()) == 2'000'010);
  clock.set(from_unix_micros(5));
  CHECK(to_unix_micros(clock.now()) == 5);
  SystemClock system;
  CHECK(system.now() > from_unix_micros(1'700'000'000'000'000));
}
