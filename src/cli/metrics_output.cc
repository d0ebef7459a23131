#include "cli/metrics_output.h"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "cli/json_writer.h"
#include "cli/record.h"

namespace omni::cli {
namespace {

// A rate for JSON: four decimal places, so 2/3 is 0.6667 rather than 0.6666666666666666.
double rounded(double value) {
  if (!std::isfinite(value)) return 0;
  return std::round(value * 10000.0) / 10000.0;
}

std::string per_conversation(double value, std::int64_t conversations) {
  if (conversations == 0) return "-";
  return fmt::format("{:.2f}", value);
}

// A bin bound in its largest whole unit: "45s", "5m", "4h", "3d"; without the unit ("5") when
// `with_unit` is false, so a label reads "1–5m" rather than "1m–5m".
std::string bound_text(std::int64_t seconds, bool with_unit) {
  std::string number;
  std::string_view unit;
  if (seconds < 60) {
    number = std::to_string(seconds);
    unit = "s";
  } else if (seconds < 3600 || seconds % 3600 != 0) {
    number = std::to_string(seconds / 60);
    unit = "m";
  } else if (seconds < 24 * 3600 || seconds % (24 * 3600) != 0) {
    number = std::to_string(seconds / 3600);
    unit = "h";
  } else {
    number = std::to_string(seconds / (24 * 3600));
    unit = "d";
  }
  return with_unit ? number + std::string(unit) : number;
}

char bound_unit(std::int64_t seconds) {
  std::string text = bound_text(seconds, true);
  return text.back();
}

void write_counts(JsonWriter& w, const std::vector<ChannelCount>& counts) {
  w.begin_array();
  for (const ChannelCount& c : counts) {
    w.begin_object();
    w.field("kind", to_string(c.kind));
    w.field("count", c.count);
    w.end_object();
  }
  w.end_array();
}

void write_duration_stats(JsonWriter& w, const DurationStats& stats) {
  w.begin_object();
  w.field("count", stats.count);
  w.field("median_seconds", static_cast<std::int64_t>(stats.median.count()));
  w.field("p90_seconds", static_cast<std::int64_t>(stats.p90.count()));
  w.key("histogram");
  w.begin_array();
  for (std::int64_t n : stats.histogram)
    w.value(n);
  w.end_array();
  w.end_object();
}

void write_row(JsonWriter& w, const MetricsRow& row) {
  w.begin_object();
  w.field("label", row.label);
  w.field("start", row.start);
  w.field("end", row.end);
  w.key("inbound_volume");
  write_counts(w, row.inbound_volume);
  w.field("inbound_total", inbound_total(row));
  w.key("conversations_opened");
  write_counts(w, row.conversations_opened);
  w.field("conversations", row.conversations);
  w.key("first_response");
  write_duration_stats(w, row.first_response);
  w.key("resolution");
  write_duration_stats(w, row.resolution);
  w.key("first_response_business");
  write_duration_stats(w, row.first_response_business);
  w.key("resolution_business");
  write_duration_stats(w, row.resolution_business);
  w.field("resolved", row.resolved);
  w.field("first_contact_resolved", row.first_contact_resolved);
  w.field("first_contact_resolution_rate", rounded(row.first_contact_resolution_rate));
  w.field("handoffs", row.handoffs);
  w.field("channel_switches", row.channel_switches);
  w.field("handoffs_per_conversation", rounded(row.handoffs_per_conversation));
  w.field("channel_switches_per_conversation", rounded(row.channel_switches_per_conversation));
  w.key("channel_switch_flow");
  w.begin_array();
  for (const ChannelFlow& flow : row.channel_switch_flow) {
    w.begin_object();
    w.field("from", to_string(flow.from));
    w.field("to", to_string(flow.to));
    w.field("count", flow.count);
    w.end_object();
  }
  w.end_array();
  w.field("first_response_sla_met", row.first_response_sla_met);
  w.field("first_response_sla_breached", row.first_response_sla_breached);
  w.field("first_response_sla_attainment", rounded(row.first_response_sla_attainment));
  w.field("resolution_sla_met", row.resolution_sla_met);
  w.field("resolution_sla_breached", row.resolution_sla_breached);
  w.field("resolution_sla_attainment", rounded(row.resolution_sla_attainment));
  w.field("csat_responses", row.csat_responses);
  w.field("csat_satisfied", row.csat_satisfied);
  w.field("csat_average", rounded(row.csat_average));
  w.field("csat", rounded(row.csat));
  w.field("agent_staffed_seconds", static_cast<std::int64_t>(row.agent_staffed.count()));
  w.field("agent_occupied_seconds", static_cast<std::int64_t>(row.agent_occupied.count()));
  w.field("occupancy", rounded(row.occupancy));
  w.end_object();
}

constexpr std::string_view kRowFormat =
    "{:<10} {:>6} {:>8}  {:>17}  {:>17}  {:>6}  {:>8}  {:>7}  {:>7}  {:>7}  {:>6}  {:>6}\n";

std::string row_line(std::string_view label, const MetricsRow& row) {
  return fmt::format(
      fmt::runtime(kRowFormat), label, row.conversations, inbound_total(row),
      format_median_p90(row.first_response), format_median_p90(row.resolution),
      format_percent(row.first_contact_resolved, row.resolved),
      per_conversation(row.handoffs_per_conversation, row.conversations),
      per_conversation(row.channel_switches_per_conversation, row.conversations),
      format_percent(row.first_response_sla_met,
                     row.first_response_sla_met + row.first_response_sla_breached),
      format_percent(row.resolution_sla_met, row.resolution_sla_met + row.resolution_sla_breached),
      format_percent(row.csat_satisfied, row.csat_responses),
      format_percent(row.agent_occupied.count(), row.agent_staffed.count()));
}

std::string counts_text(const std::vector<ChannelCount>& counts) {
  if (counts.empty()) return "none";
  std::string out;
  for (const ChannelCount& c : counts)
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", to_string(c.kind), c.count);
  return out;
}

}  // namespace

std::string_view grouping_name(MetricsGrouping grouping) {
  switch (grouping) {
    case MetricsGrouping::kNone:
      return "none";
    case MetricsGrouping::kDay:
      return "day";
    case MetricsGrouping::kWeek:
      return "week";
    case MetricsGrouping::kMonth:
      return "month";
  }
  return "day";
}

std::optional<MetricsGrouping> parse_grouping(std::string_view text) {
  for (MetricsGrouping g : {MetricsGrouping::kNone, MetricsGrouping::kDay, MetricsGrouping::kWeek,
                            MetricsGrouping::kMonth}) {
    if (grouping_name(g) == text) return g;
  }
  return std::nullopt;
}

std::string format_duration(std::chrono::seconds duration) {
  const std::int64_t s = duration.count() < 0 ? 0 : duration.count();
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 24 * 3600) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{:02}h", s / (24 * 3600), s % (24 * 3600) / 3600);
}

std::string format_median_p90(const DurationStats& stats) {
  if (stats.count == 0) return "-";
  return fmt::format("{} / {}", format_duration(stats.median), format_duration(stats.p90));
}

std::string format_percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return "-";
  return fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string format_rate_percent(double rate, bool defined) {
  if (!defined || !std::isfinite(rate)) return "-";
  return fmt::format("{:.1f}%", 100.0 * rate);
}

std::int64_t inbound_total(const MetricsRow& row) {
  std::int64_t total = 0;
  for (const ChannelCount& c : row.inbound_volume)
    total += c.count;
  return total;
}

std::string duration_bin_label(std::size_t bin) {
  if (bin == 0) return "<" + bound_text(kDurationBinBounds[0], true);
  if (bin >= kDurationBinBounds.size()) return "≥" + bound_text(kDurationBinBounds.back(), true);
  const std::int64_t low = kDurationBinBounds[bin - 1];
  const std::int64_t high = kDurationBinBounds[bin];
  const bool same_unit = bound_unit(low) == bound_unit(high);
  return bound_text(low, !same_unit) + "–" + bound_text(high, true);
}

std::string filter_description(const MetricsResult& result) {
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (result.query.channel_kind) {
    add(fmt::format("channel kind {}", to_string(*result.query.channel_kind)));
  }
  if (!result.query.team.empty()) add(fmt::format("team \"{}\"", result.query.team));
  if (result.query.agent) add(fmt::format("agent \"{}\"", result.agent_name));
  return out;
}

std::string metrics_text(const MetricsResult& result) {
  const MetricsQuery& q = result.query;
  std::string out =
      fmt::format("metrics of tenant \"{}\": {} to {}, by {} ({})\n", printable(result.tenant),
                  format_timestamp(q.from), format_timestamp(q.to), grouping_name(q.grouping),
                  printable(q.time_zone));
  // The filter names come from the command line and the database: one line, no controls.
  if (std::string filters = filter_description(result); !filters.empty()) {
    out += fmt::format("only: {}\n", printable(filters, 400));
  }
  out += "\n";
  out += fmt::format(fmt::runtime(kRowFormat), "BUCKET", "CONV", "INBOUND", "1ST RESP MED/P90",
                     "RESOLUTION MED/P90", "FCR", "HANDOFF", "SWITCH", "FR SLA", "RES SLA", "CSAT",
                     "OCCUP");
  for (const MetricsRow& row : result.rows)
    out += row_line(printable(row.label, 32), row);
  out += row_line("total", result.totals);

  const MetricsRow& t = result.totals;
  out += "\n";
  out += fmt::format("inbound by channel kind: {}\n", counts_text(t.inbound_volume));
  out += fmt::format("conversations by origin: {}\n", counts_text(t.conversations_opened));
  out += fmt::format("resolved {}, first-contact resolved {}; handoffs {}, channel switches {}\n",
                     t.resolved, t.first_contact_resolved, t.handoffs, t.channel_switches);
  out += fmt::format("SLA first response: {} met, {} breached; resolution: {} met, {} breached\n",
                     t.first_response_sla_met, t.first_response_sla_breached, t.resolution_sla_met,
                     t.resolution_sla_breached);
  if (t.csat_responses > 0) {
    out += fmt::format("CSAT: {} responses, {} satisfied, average {:.2f}\n", t.csat_responses,
                       t.csat_satisfied, t.csat_average);
  } else {
    out += "CSAT: no responses\n";
  }
  out += fmt::format("agents: {} occupied of {} staffed\n", format_duration(t.agent_occupied),
                     format_duration(t.agent_staffed));
  out +=
      "(HANDOFF and SWITCH per conversation; FCR of resolved; SLA of clocks met or breached; "
      "\"-\": nothing to count)\n";
  return out;
}

void write_metrics_json(std::FILE* out, const MetricsResult& result) {
  const MetricsQuery& q = result.query;
  JsonWriter w(out);
  w.begin_object();
  w.field("tenant", result.tenant);
  w.key("query");
  w.begin_object();
  w.field("from", q.from);
  w.field("to", q.to);
  w.field("grouping", grouping_name(q.grouping));
  w.field("time_zone", q.time_zone);
  if (q.channel_kind) {
    w.field("channel_kind", to_string(*q.channel_kind));
  } else {
    w.field("channel_kind", std::optional<std::string>());
  }
  w.field("team", q.team.empty() ? std::optional<std::string>() : q.team);
  if (q.agent) {
    w.key("agent");
    w.begin_object();
    w.field("id", *q.agent);
    w.field("name", result.agent_name);
    w.end_object();
  } else {
    w.field("agent", std::optional<std::string>());
  }
  w.field("fcr_window_seconds", static_cast<std::int64_t>(q.fcr_window.count()));
  w.end_object();
  w.key("duration_bin_bounds_seconds");
  w.begin_array();
  for (std::int64_t bound : kDurationBinBounds)
    w.value(bound);
  w.end_array();
  w.key("rows");
  w.begin_array();
  for (const MetricsRow& row : result.rows)
    write_row(w, row);
  w.end_array();
  w.key("totals");
  write_row(w, result.totals);
  w.end_object();
  w.finish();
}

}  // namespace omni::cli
