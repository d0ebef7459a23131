// omni/metrics.h: the duration summaries every store and the engine's business-hours pass share.
#include "omni/metrics.h"

#include <algorithm>

namespace omni {

std::size_t duration_bin(std::chrono::microseconds duration) {
  const std::int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
  return static_cast<std::size_t>(
      std::upper_bound(kDurationBinBounds.begin(), kDurationBinBounds.end(), seconds) -
      kDurationBinBounds.begin());
}

DurationStats summarize_durations(std::vector<std::chrono::microseconds> durations) {
  DurationStats stats;
  stats.count = static_cast<std::int64_t>(durations.size());
  if (durations.empty()) return stats;
  std::sort(durations.begin(), durations.end());
  const std::size_t n = durations.size();
  // Nearest rank: ceil(n / 2) and ceil(9 n / 10), 1-based.
  stats.median = std::chrono::duration_cast<std::chrono::seconds>(durations[(n + 1) / 2 - 1]);
  stats.p90 = std::chrono::duration_cast<std::chrono::seconds>(durations[(9 * n + 9) / 10 - 1]);
  for (auto d : durations)
    ++stats.histogram[duration_bin(d)];
  return stats;
}

}  // namespace omni
