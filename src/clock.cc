// date.h's parser, compiled with date/tz's ONLY_C_LOCALE=1 (the library links date::date-tz),
// makes GCC 12 at -O2 see a "maybe uninitialized" std::chrono value in from_stream that is
// always set; the pragma comes before every include because the location is in <chrono>.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <sstream>
#include <string>

#include <date/date.h>

#include "omni/clock.h"

namespace omni {

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::string format_timestamp(Timestamp t) {
  auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(t);
  if (seconds > t) seconds -= std::chrono::seconds(1);  // floor for times before 1970
  auto micros = (t - seconds).count();
  std::string out = date::format("%Y-%m-%dT%H:%M:%S", seconds);
  if (micros != 0) {
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%06lld", static_cast<long long>(micros));
    out += fraction;
  }
  out += 'Z';
  return out;
}

Result<Timestamp> parse_timestamp(const std::string& text) {
  // date::parse's %z accepts "+0100"; RFC 3339 writes "+01:00" or "Z". Try the forms in turn.
  const char* const formats[] = {"%FT%TZ", "%FT%T%Ez", "%F %TZ", "%F %T%Ez"};
  for (const char* format : formats) {
    std::istringstream in(text);
    date::sys_time<std::chrono::microseconds> tp;
    in >> date::parse(format, tp);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
      return Timestamp(tp.time_since_epoch());
    }
  }
  return Status::invalid_argument("not an RFC 3339 timestamp: '" + text.substr(0, 64) +
                                  "' (expected e.g. 2026-11-23T17:38:51Z)");
}

}  // namespace omni
