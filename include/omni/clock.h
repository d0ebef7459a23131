// omni/clock.h — UTC timestamps and the injected clock. All times omni stores are UTC with
// microsecond resolution; the engine never reads the system time except through a Clock, so SLA
// and timeout logic can be tested on virtual time.
//
// Thread-safety: Clock::now() may be called from any thread at any time; implementations must
// be thread-safe. SystemClock and ManualClock are.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "omni/export.h"
#include "omni/status.h"

namespace omni {

using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

// Microseconds since the Unix epoch, the form stores persist.
inline std::int64_t to_unix_micros(Timestamp t) {
  return t.time_since_epoch().count();
}
inline Timestamp from_unix_micros(std::int64_t us) {
  return Timestamp(std::chrono::microseconds(us));
}

// RFC 3339 in UTC: "2026-11-23T17:38:51Z", with ".123456" when there are sub-second digits.
OMNI_EXPORT std::string format_timestamp(Timestamp t);
// Parses RFC 3339 / ISO 8601 with a "Z" or numeric offset ("+01:00"); the result is UTC.
OMNI_EXPORT Result<Timestamp> parse_timestamp(const std::string& text);

class OMNI_EXPORT Clock {
 public:
  virtual ~Clock();
  virtual Timestamp now() const = 0;
};

// Reads std::chrono::system_clock.
class OMNI_EXPORT SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

// A clock that moves only when told to; for tests, simulations and replays.
class OMNI_EXPORT ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : micros_(to_unix_micros(start)) {}
  Timestamp now() const override { return from_unix_micros(micros_.load()); }
  void set(Timestamp t) { micros_.store(to_unix_micros(t)); }
  void advance(std::chrono::microseconds d) { micros_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> micros_;
};

}  // namespace omni
