// omni/calendar.h — business-hours calendars: weekly opening hours in an IANA time zone plus
// holidays, and the arithmetic SLA deadlines need ("8 business hours after this message").
//
// Thread-safety: BusinessHours is a plain value. A BusinessCalendar is immutable once created;
// its const methods may be called concurrently from any thread, and copies (which share the
// immutable state) may be used on different threads without synchronization.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "omni/clock.h"
#include "omni/export.h"
#include "omni/status.h"

namespace omni {

// One opening interval of a day: local wall-clock time [open, close), counted from local
// midnight. 0 <= open < close <= 24h; close == 24h means "until the next local midnight".
struct OpenInterval {
  std::chrono::minutes open{0};
  std::chrono::minutes close{0};
};

// When a business is open. Intervals are local wall-clock times in `time_zone`, so they follow
// daylight-saving changes: on the day clocks spring forward in Europe/Berlin a 08:00-17:00 day is
// still 9 hours long while a 00:00-24:00 day is 23 hours; on the fall-back day the latter is 25.
//
// Local times that do not occur exactly once:
//   - a boundary inside a skipped local time (spring forward, 02:30 in Berlin) maps to the first
//     instant after the gap (03:00 CEST); an interval lying entirely in the gap is empty;
//   - a boundary inside a repeated local time (fall back, 02:30 in Berlin) maps to its first
//     occurrence (02:30 CEST); an interval 00:00-24:00 thus still covers the whole day.
//
// Time zone data comes from the operating system's database (/usr/share/zoneinfo), read when a
// calendar is created. Known limitation: only the transitions listed in those files are used, not
// the rule that continues them, so past the last listed transition (2037 in the usual "fat" files;
// already 2007 or so in "slim" ones) a zone keeps its last UTC offset and has no more DST changes.
struct OMNI_EXPORT BusinessHours {
  // IANA time zone name, e.g. "Europe/Berlin", "America/New_York". Default "UTC".
  std::string time_zone = "UTC";
  // Opening intervals per weekday; index 0 = Sunday, 1 = Monday, ..., 6 = Saturday. Within a day
  // the intervals must be sorted and must not overlap (touching is fine: 09:00-12:00, 12:00-13:00).
  // Default: closed every day (create() rejects a calendar that is never open).
  std::array<std::vector<OpenInterval>, 7> week;
  // Local dates "YYYY-MM-DD" on which the business is closed all day. Default: none.
  std::vector<std::string> holidays;

  // Monday to Friday [open, close) in `time_zone`; closed at weekends, no holidays.
  static BusinessHours weekdays(std::string time_zone, std::chrono::minutes open,
                                std::chrono::minutes close);
  // Open around the clock every day (holidays may still be added).
  static BusinessHours always_open(std::string time_zone = "UTC");
};

// A validated BusinessHours, ready for fast queries. Cheap to copy (copies share the immutable
// state).
//
// Range: instants from 0001-01-02 to 9999-12-31 UTC. Outside it the calendar is treated as
// closed: add() and next_open() return Timestamp::max() when the answer would lie past the end of
// the range, between() counts only open time inside it.
class OMNI_EXPORT BusinessCalendar {
 public:
  // Validates `hours`. kInvalidArgument with Status::field() set to
  //   "time_zone"     an unknown or empty time zone name;
  //   "week[d][i]"    interval i of weekday d is out of range (open < 0, close > 24h,
  //                   open >= close) or starts before the previous one closes;
  //   "holidays[i]"   holiday i is not a valid date "YYYY-MM-DD";
  //   "week"          no weekday has any opening interval (the calendar would never be open).
  static Result<BusinessCalendar> create(const BusinessHours& hours);

  // The definition this calendar was created from.
  const BusinessHours& hours() const;

  // Whether `t` lies inside an opening interval (interval ends are exclusive).
  bool is_open(Timestamp t) const;

  // The first open instant at or after `t`: `t` itself when open.
  Timestamp next_open(Timestamp t) const;

  // The SLA deadline: the instant at which `business_time` of open time has elapsed since
  // `start`, exact to the microsecond. Time before `start` and closed time do not count.
  //   - business_time <= 0 returns next_open(start) (start itself when open);
  //   - when the duration runs out exactly at a closing time, the closing instant is returned
  //     (Friday 17:00), not the next opening;
  //   - long durations are cheap: whole weeks without holidays or UTC-offset changes are skipped
  //     in one step, other days one at a time.
  Timestamp add(Timestamp start, std::chrono::microseconds business_time) const;

  // Open time inside [from, to); zero when to <= from. The inverse of add():
  // between(t, add(t, d)) == d for every d >= 0 (as long as the deadline lies within range).
  std::chrono::microseconds between(Timestamp from, Timestamp to) const;

 private:
  struct Impl;
  explicit BusinessCalendar(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace omni
