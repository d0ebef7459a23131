// cli/metrics_output.h — what `omni metrics` prints: the rows of Engine::metrics and their
// totals as an aligned text table or as one JSON document (docs/cli.md, "metrics"), and the
// words and number formats the metrics command and the HTML report share.
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/agent.h"
#include "omni/metrics.h"

namespace omni::cli {

// One agent's metrics over the whole range (grouping none), for the report's agent table.
struct AgentMetrics {
  std::string name;
  AgentKind kind = AgentKind::kHuman;
  std::vector<std::string> teams;
  MetricsRow metrics;
};

// Everything the metrics command and the report show, already computed: no engine needed to
// render it.
struct MetricsResult {
  std::string tenant;                // the tenant's name
  MetricsQuery query;                // what was asked (the tenant id inside is not shown)
  std::string agent_name;            // the name behind query.agent; "" without an agent filter
  std::vector<MetricsRow> rows;      // Engine::metrics(query).rows
  MetricsRow totals;                 // the same query with grouping none: one row for the range
  std::vector<AgentMetrics> agents;  // the report's agent table; empty for `metrics`
  Timestamp generated_at;            // when it was computed (the engine clock)
};

// "none", "day", "week", "month"; parse_grouping reads the same words.
std::string_view grouping_name(MetricsGrouping grouping);
std::optional<MetricsGrouping> parse_grouping(std::string_view text);

// A duration for tables: "45s", "4m05s", "1h05m", "2d03h" (whole seconds, rounded down).
std::string format_duration(std::chrono::seconds duration);
// The median and p90 of `stats` as "4m05s / 1h05m"; "-" when it counts nothing.
std::string format_median_p90(const DurationStats& stats);
// `part / whole` as a percentage with one decimal ("66.7%"); "-" when whole is 0.
std::string format_percent(std::int64_t part, std::int64_t whole);
std::string format_rate_percent(double rate, bool defined);

// The sum of a row's inbound_volume.
std::int64_t inbound_total(const MetricsRow& row);
// The label of histogram bin `bin` (0 .. kDurationBins - 1): "<1m", "1–5m", "15m–1h", "≥3d".
std::string duration_bin_label(std::size_t bin);
// What the filters of `result.query` keep, for a heading: "channel kind sms, team "support"";
// "" without filters. Names are quoted as they are; the caller escapes them for its output.
std::string filter_description(const MetricsResult& result);

// The text output of `omni metrics`: a heading, one line per bucket, the totals row and the
// totals' details (volume per channel kind, SLA and CSAT counts).
std::string metrics_text(const MetricsResult& result);
// The JSON document of `omni metrics --json` (docs/cli.md), written to `out`.
void write_metrics_json(std::FILE* out, const MetricsResult& result);

}  // namespace omni::cli
