// Business-hours calendars on Howard Hinnant's date/tz (the OS time zone database).
//
// Every query walks local days. For one local day the opening intervals are mapped from local
// wall-clock time to UTC instants (see to_instant()); that mapping never decreases, so the
// intervals of consecutive days come out in order and never overlap. Whole weeks without
// holidays and without a UTC-offset change nearby are skipped in one step: their open time is
// exactly the nominal weekly open time.
#include "omni/calendar.h"

#include <algorithm>
#include <exception>
#include <sstream>
#include <utility>

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

namespace omni {
namespace {

using date::days;
using std::chrono::microseconds;
using std::chrono::minutes;

constexpr minutes kDayLength = std::chrono::hours(24);

// The supported range, in UTC: four-digit years, with a day to spare at each end so the local
// time of any zone stays inside it too.
const Timestamp kRangeBegin = date::sys_days(date::year(1) / 1 / 2);
const Timestamp kRangeEnd = date::sys_days(date::year(9999) / 12 / 31);
// Business time beyond this (about 10,000 years) cannot end inside the range anyway; clamping
// keeps the arithmetic far from overflow.
constexpr microseconds kMaxBusinessTime = std::chrono::hours(24 * 366 * 10000);

// "YYYY-MM-DD", exactly, and a real date.
bool parse_local_date(const std::string& text, date::local_days* out) {
  if (text.size() != 10) return false;
  std::istringstream in(text);
  date::year_month_day ymd{};
  in >> date::parse("%Y-%m-%d", ymd);
  if (in.fail() || in.peek() != std::istringstream::traits_type::eof() || !ymd.ok()) return false;
  *out = date::local_days(ymd);
  return true;
}

}  // namespace

BusinessHours BusinessHours::weekdays(std::string time_zone, std::chrono::minutes open,
                                      std::chrono::minutes close) {
  BusinessHours hours;
  hours.time_zone = std::move(time_zone);
  for (int day = 1; day <= 5; ++day)
    hours.week[static_cast<std::size_t>(day)] = {{open, close}};
  return hours;
}

BusinessHours BusinessHours::always_open(std::string time_zone) {
  BusinessHours hours;
  hours.time_zone = std::move(time_zone);
  for (auto& day : hours.week)
    day = {{minutes(0), kDayLength}};
  return hours;
}

struct BusinessCalendar::Impl {
  BusinessHours hours;
  const date::time_zone* zone = nullptr;
  std::vector<date::local_days> holidays;  // sorted, unique
  microseconds week_open{0};               // sum of all intervals of the week

  const std::vector<OpenInterval>& intervals(date::local_days day) const {
    return hours.week[date::weekday(day).c_encoding()];
  }

  bool is_holiday(date::local_days day) const {
    return std::binary_search(holidays.begin(), holidays.end(), day);
  }

  // Whether a holiday lies in [first, last).
  bool has_holiday(date::local_days first, date::local_days last) const {
    auto it = std::lower_bound(holidays.begin(), holidays.end(), first);
    return it != holidays.end() && *it < last;
  }

  // The local day `t` falls on.
  date::local_days local_day(Timestamp t) const { return date::floor<days>(zone->to_local(t)); }

  // The instant of local wall-clock time `day` + `offset`. choose::earliest maps a skipped local
  // time to the first instant after the gap and a repeated one to its first occurrence; both keep
  // the mapping non-decreasing.
  Timestamp to_instant(date::local_days day, minutes offset) const {
    return zone->to_sys(day + offset, date::choose::earliest);
  }

  // Whether the open time of the seven days from `day` is exactly `week_open`: no holiday among
  // them and one UTC offset from a day before to a day after.
  bool regular_week(date::local_days day) const {
    if (has_holiday(day, day + days(7))) return false;
    const Timestamp begin = to_instant(day, minutes(0));
    const date::sys_info info = zone->get_info(begin);
    const Timestamp end((day + days(7)).time_since_epoch() - info.offset);
    return Timestamp(info.begin) <= begin - kDayLength && Timestamp(info.end) >= end + kDayLength;
  }
};

BusinessCalendar::BusinessCalendar(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Result<BusinessCalendar> BusinessCalendar::create(const BusinessHours& hours) {
  auto impl = std::make_shared<Impl>();
  impl->hours = hours;
  try {
    impl->zone = date::locate_zone(hours.time_zone);
    // Loads the zone's data now, so no query meets a load failure later.
    (void)impl->zone->get_info(date::sys_days(date::year(2000) / 1 / 1));
  } catch (const std::exception& e) {
    return Status::invalid_argument(
               fmt::format("unknown time zone \"{}\": {}", hours.time_zone, e.what()))
        .with_field("time_zone");
  }

  bool any_open = false;
  for (std::size_t day = 0; day < hours.week.size(); ++day) {
    const auto& intervals = hours.week[day];
    for (std::size_t i = 0; i < intervals.size(); ++i) {
      const OpenInterval& interval = intervals[i];
      const std::string field = fmt::format("week[{}][{}]", day, i);
      if (interval.open < minutes(0) || interval.close > kDayLength ||
          interval.open >= interval.close) {
        return Status::invalid_argument(
                   fmt::format("opening interval [{}, {}) minutes: need 0 <= open < close <= 1440",
                               interval.open.count(), interval.close.count()))
            .with_field(field);
      }
      if (i > 0 && interval.open < intervals[i - 1].close) {
        return Status::invalid_argument(
                   fmt::format("opening interval starts at minute {}, before the previous one "
                               "closes at minute {} (intervals must be sorted, not overlapping)",
                               interval.open.count(), intervals[i - 1].close.count()))
            .with_field(field);
      }
      impl->week_open += interval.close - interval.open;
      any_open = true;
    }
  }
  if (!any_open) {
    return Status::invalid_argument("business hours have no opening interval: never open")
        .with_field("week");
  }

  for (std::size_t i = 0; i < hours.holidays.size(); ++i) {
    date::local_days day;
    if (!parse_local_date(hours.holidays[i], &day)) {
      return Status::invalid_argument(
                 fmt::format("holiday \"{}\" is not a date YYYY-MM-DD", hours.holidays[i]))
          .with_field(fmt::format("holidays[{}]", i));
    }
    impl->holidays.push_back(day);
  }
  std::sort(impl->holidays.begin(), impl->holidays.end());
  impl->holidays.erase(std::unique(impl->holidays.begin(), impl->holidays.end()),
                       impl->holidays.end());
  return BusinessCalendar(std::move(impl));
}

const BusinessHours& BusinessCalendar::hours() const {
  return impl_->hours;
}

bool BusinessCalendar::is_open(Timestamp t) const {
  const Impl& c = *impl_;
  if (t < kRangeBegin || t >= kRangeEnd) return false;
  const date::local_days today = c.local_day(t);
  for (date::local_days day = today - days(1); day <= today + days(1); day += days(1)) {
    if (c.is_holiday(day)) continue;
    for (const OpenInterval& interval : c.intervals(day)) {
      if (c.to_instant(day, interval.open) <= t && t < c.to_instant(day, interval.close)) {
        return true;
      }
    }
  }
  return false;
}

Timestamp BusinessCalendar::next_open(Timestamp t) const {
  return add(t, microseconds(0));
}

Timestamp BusinessCalendar::add(Timestamp start, microseconds business_time) const {
  const Impl& c = *impl_;
  if (start >= kRangeEnd) return Timestamp::max();
  start = std::max(start, kRangeBegin);
  microseconds remaining = std::clamp(business_time, microseconds(0), kMaxBusinessTime);
  // From the day before: a repeated local hour can put part of it after `start`.
  for (date::local_days day = c.local_day(start) - days(1);; day += days(1)) {
    const Timestamp day_begin = c.to_instant(day, minutes(0));
    if (day_begin >= kRangeEnd) return Timestamp::max();
    // Strictly more than a week left, so a deadline at a closing time stays at that closing.
    if (remaining > c.week_open && day_begin >= start && c.regular_week(day)) {
      remaining -= c.week_open;
      day += days(6);
      continue;
    }
    if (c.is_holiday(day)) continue;
    for (const OpenInterval& interval : c.intervals(day)) {
      const Timestamp close = c.to_instant(day, interval.close);
      if (close <= start) continue;
      const Timestamp open = std::max(c.to_instant(day, interval.open), start);
      if (open >= close) continue;  // entirely inside a skipped local hour
      if (close - open >= remaining) return open + remaining;
      remaining -= close - open;
    }
  }
}

microseconds BusinessCalendar::between(Timestamp from, Timestamp to) const {
  const Impl& c = *impl_;
  from = std::max(from, kRangeBegin);
  to = std::min(to, kRangeEnd);
  microseconds total(0);
  if (to <= from) return total;
  for (date::local_days day = c.local_day(from) - days(1);; day += days(1)) {
    const Timestamp day_begin = c.to_instant(day, minutes(0));
    if (day_begin >= to) break;
    if (day_begin >= from && day_begin + days(7) <= to && c.regular_week(day)) {
      total += c.week_open;
      day += days(6);
      continue;
    }
    if (c.is_holiday(day)) continue;
    for (const OpenInterval& interval : c.intervals(day)) {
      const Timestamp open = std::max(c.to_instant(day, interval.open), from);
      const Timestamp close = std::min(c.to_instant(day, interval.close), to);
      if (open < close) total += close - open;
    }
  }
  return total;
}

}  // namespace omni
