#include "cli/report_html.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace omni::cli {
namespace {

// Every chart is drawn in a viewBox this wide and scaled to the page.
constexpr double kChartWidth = 960;
// Colours of the channel kinds, by ChannelKind's declaration order (16 kinds).
constexpr std::array<const char*, 16> kKindColours = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#8c6d31", "#1f77b4", "#17becf", "#bcbd22", "#8c564b", "#e377c2", "#7f7f7f"};
// The series of the rates chart.
constexpr const char* kFcrColour = "#59a14f";
constexpr const char* kFirstResponseSlaColour = "#4e79a7";
constexpr const char* kResolutionSlaColour = "#f28e2b";
constexpr const char* kHistogramColour = "#4e79a7";
constexpr const char* kFlowColour = "#2b6cb0";

constexpr std::string_view kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
  margin:0;background:#f5f6f8;color:#1d2430}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 8px}
.meta{color:#5a6472;margin:2px 0}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:10px 12px;flex:1 1 110px}
.card .value{font-size:24px;font-weight:600}
.card .label{color:#5a6472;font-size:13px}
.card .detail{color:#7a8494;font-size:12px}
section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:8px 16px 16px;
  margin-top:16px}
.pair{display:flex;flex-wrap:wrap;gap:16px}
.pair>figure{flex:1 1 440px;margin:0}
figcaption{color:#5a6472;font-size:13px;margin:4px 0}
svg{display:block;max-width:100%;height:auto}
svg text{font-family:inherit;fill:#3b4452}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:13px;margin-top:6px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;
  vertical-align:-1px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{padding:4px 6px;border-bottom:1px solid #e6e9ee;text-align:right;white-space:nowrap}
thead th{white-space:normal;vertical-align:bottom}
th:first-child,td:first-child{text-align:left}
td.name{white-space:normal;word-break:break-word;max-width:320px}
thead th{background:#f0f2f5}
.empty{color:#7a8494;font-style:italic}
footer{color:#7a8494;font-size:12px;margin-top:20px}
)";

const char* kind_colour(ChannelKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return kKindColours[index % kKindColours.size()];
}

// A coordinate or size for an SVG attribute: one decimal, never NaN or infinite.
std::string num(double value) {
  if (!std::isfinite(value)) value = 0;
  return fmt::format("{:.1f}", value);
}

// `part / whole`, 0 when whole is not positive.
double ratio(double part, double whole) {
  if (!(whole > 0) || !std::isfinite(part)) return 0;
  const double r = part / whole;
  return std::isfinite(r) ? r : 0;
}

// The top of a count axis and the distance of its ticks: steps of 1, 2 or 5 times a power of
// ten, at least 1; an axis for nothing (max 0) runs 0..1.
std::pair<double, double> count_axis(double max) {
  if (!(max > 0) || !std::isfinite(max)) return {1, 1};
  const double raw = max / 4;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  }
  step = std::max(step, 1.0);
  return {step * std::ceil(max / step), step};
}

std::string format_count(double value) {
  return fmt::format("{}", static_cast<std::int64_t>(std::llround(value)));
}

// The plot area of a chart inside its viewBox.
struct Frame {
  double left = 64;
  double top = 16;
  double width = kChartWidth - 64 - 16;
  double height = 240;
  double bottom() const { return top + height; }
};

std::string svg_open(double width, double height, std::string_view label) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" role=\"img\" aria-label=\"{}\">\n",
      num(width), num(height), num(width), num(height), html_escape(label));
}

// Grid lines, tick labels and the y-axis title; `percent`: 0..100 % in steps of 25.
void draw_y_axis(std::string& s, const Frame& f, double top_value, double step, bool percent,
                 std::string_view title) {
  if (!(top_value > 0) || !(step > 0)) return;
  const int ticks = static_cast<int>(std::llround(top_value / step));
  for (int i = 0; i <= ticks && i <= 100; ++i) {
    const double value = step * i;
    const double y = f.bottom() - f.height * ratio(value, top_value);
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e3e6eb\" stroke-width=\"1\"/>\n",
        num(f.left), num(y), num(f.left + f.width), num(y));
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
                     num(f.left - 6), num(y + 4),
                     percent ? format_count(value) + "%" : format_count(value));
  }
  s += fmt::format(
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#8a93a0\" stroke-width=\"1\"/>\n",
      num(f.left), num(f.top), num(f.bottom()));
  s += fmt::format(
      "<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#8a93a0\" stroke-width=\"1\"/>\n",
      num(f.left), num(f.left + f.width), num(f.bottom()));
  const double middle = f.top + f.height / 2;
  s += fmt::format(
      "<text x=\"14\" y=\"{0}\" font-size=\"12\" text-anchor=\"middle\" "
      "transform=\"rotate(-90 14 {0})\">{1}</text>\n",
      num(middle), html_escape(title));
}

// Bucket labels under the slots (every n-th when they would overlap) and the x-axis title.
// `label_width`: the room one label needs, in viewBox units.
void draw_x_labels(std::string& s, const Frame& f, const std::vector<std::string>& labels,
                   std::string_view title, double label_width = 72) {
  const std::size_t n = labels.size();
  if (n > 0) {
    const double slot = f.width / static_cast<double>(n);
    // A day label ("2026-11-18" at font size 11) needs about 72 units.
    const auto every = static_cast<std::size_t>(std::max(1.0, std::ceil(label_width / slot)));
    for (std::size_t i = 0; i < n; i += every) {
      const double x = f.left + slot * (static_cast<double>(i) + 0.5);
      s +=
          fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
                      num(x), num(f.bottom() + 16), html_escape(labels[i]));
    }
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n",
                   num(f.left + f.width / 2), num(f.bottom() + 38), html_escape(title));
}

void draw_no_data(std::string& s, const Frame& f, std::string_view message) {
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"14\" text-anchor=\"middle\" "
      "fill=\"#7a8494\">{}</text>\n",
      num(f.left + f.width / 2), num(f.top + f.height / 2), html_escape(message));
}

std::string legend_item(const char* colour, std::string_view name) {
  return fmt::format("<span><span class=\"swatch\" style=\"background:{}\"></span>{}</span>",
                     colour, html_escape(name));
}

std::vector<std::string> labels_of(const std::vector<MetricsRow>& rows) {
  std::vector<std::string> labels;
  labels.reserve(rows.size());
  for (const MetricsRow& row : rows)
    labels.push_back(row.label);
  return labels;
}

std::string x_title(const MetricsResult& r) {
  return fmt::format("{} ({})", grouping_name(r.query.grouping), r.query.time_zone);
}

// Inbound volume per bucket, one stacked bar per bucket, a colour per channel kind.
std::string volume_chart(const MetricsResult& r) {
  // The kinds in the range, most touchpoints first (ties by kind).
  std::map<ChannelKind, std::int64_t> per_kind;
  double max_total = 0;
  for (const MetricsRow& row : r.rows) {
    for (const ChannelCount& c : row.inbound_volume)
      per_kind[c.kind] += c.count;
    max_total = std::max(max_total, static_cast<double>(inbound_total(row)));
  }
  std::vector<std::pair<ChannelKind, std::int64_t>> kinds(per_kind.begin(), per_kind.end());
  std::stable_sort(kinds.begin(), kinds.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });

  const Frame f;
  const auto [top, step] = count_axis(max_total);
  std::string s = svg_open(kChartWidth, f.bottom() + 48,
                           "Inbound touchpoints per bucket, stacked by channel kind");
  draw_y_axis(s, f, top, step, false, "inbound touchpoints");
  const std::size_t n = r.rows.size();
  if (n > 0) {
    const double slot = f.width / static_cast<double>(n);
    const double bar = std::max(1.0, slot * 0.7);
    for (std::size_t i = 0; i < n; ++i) {
      const MetricsRow& row = r.rows[i];
      const double x = f.left + slot * static_cast<double>(i) + (slot - bar) / 2;
      double y = f.bottom();
      for (const auto& [kind, unused] : kinds) {
        std::int64_t count = 0;
        for (const ChannelCount& c : row.inbound_volume) {
          if (c.kind == kind) count += c.count;
        }
        if (count <= 0) continue;
        const double h = f.height * ratio(static_cast<double>(count), top);
        y -= h;
        s += fmt::format(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {} {}"
            "</title></rect>\n",
            num(x), num(y), num(bar), num(h), kind_colour(kind), html_escape(row.label),
            to_string(kind), count);
      }
    }
  }
  if (max_total <= 0) draw_no_data(s, f, "no inbound touchpoints in this range");
  draw_x_labels(s, f, labels_of(r.rows), x_title(r));
  s += "</svg>\n";
  s += "<div class=\"legend\">";
  for (const auto& [kind, count] : kinds) {
    s += legend_item(kind_colour(kind), fmt::format("{} ({})", to_string(kind), count));
  }
  if (kinds.empty()) s += "<span class=\"empty\">no channel kinds</span>";
  s += "</div>\n";
  return s;
}

// A histogram of durations over the bins of kDurationBinBounds.
// `durations`: how many durations the row counted; when the bins hold none of them the store
// did not fill the histogram, and the chart says so.
std::string histogram_chart(const std::array<std::int64_t, kDurationBins>& bins,
                            std::int64_t durations, std::string_view title, std::string_view what) {
  constexpr double kWidth = 470;
  Frame f;
  f.left = 52;
  f.top = 22;
  f.width = kWidth - f.left - 12;
  f.height = 180;
  double max = 0;
  for (std::int64_t count : bins)
    max = std::max(max, static_cast<double>(count));
  const auto [top, step] = count_axis(max);
  std::string s = svg_open(kWidth, f.bottom() + 48, title);
  draw_y_axis(s, f, top, step, false, "conversations");
  const double slot = f.width / static_cast<double>(kDurationBins);
  const double bar = slot * 0.75;
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < kDurationBins; ++i) {
    labels.push_back(duration_bin_label(i));
    const double h = f.height * ratio(static_cast<double>(bins[i]), top);
    const double x = f.left + slot * static_cast<double>(i) + (slot - bar) / 2;
    if (bins[i] > 0) {
      s += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title>"
          "</rect>\n",
          num(x), num(f.bottom() - h), num(bar), num(h), kHistogramColour,
          html_escape(labels.back()), bins[i]);
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
                     num(x + bar / 2), num(f.bottom() - h - 4), bins[i]);
  }
  if (max <= 0) {
    draw_no_data(s, f,
                 durations > 0
                     ? fmt::format("no histogram of the {} durations from the store", durations)
                     : fmt::format("no {}", what));
  }
  draw_x_labels(s, f, labels, what, 44);
  s += "</svg>\n";
  return s;
}

// FCR rate and SLA attainment per bucket, 0..100 %; a bucket with nothing to rate is a gap.
std::string rates_chart(const MetricsResult& r) {
  struct Series {
    const char* colour;
    std::string_view name;
    std::vector<std::optional<double>> values;
  };
  std::vector<Series> series = {{kFcrColour, "first-contact resolution", {}},
                                {kFirstResponseSlaColour, "first-response SLA attainment", {}},
                                {kResolutionSlaColour, "resolution SLA attainment", {}}};
  bool any = false;
  for (const MetricsRow& row : r.rows) {
    auto rate = [&](std::int64_t part, std::int64_t whole) -> std::optional<double> {
      if (whole <= 0) return std::nullopt;
      any = true;
      return 100.0 * ratio(static_cast<double>(part), static_cast<double>(whole));
    };
    series[0].values.push_back(rate(row.first_contact_resolved, row.resolved));
    series[1].values.push_back(rate(row.first_response_sla_met,
                                    row.first_response_sla_met + row.first_response_sla_breached));
    series[2].values.push_back(
        rate(row.resolution_sla_met, row.resolution_sla_met + row.resolution_sla_breached));
  }
  const Frame f;
  std::string s =
      svg_open(kChartWidth, f.bottom() + 48, "First-contact resolution and SLA attainment");
  draw_y_axis(s, f, 100, 25, true, "percent");
  const std::size_t n = r.rows.size();
  if (n > 0) {
    const double slot = f.width / static_cast<double>(n);
    for (const Series& line : series) {
      auto x_of = [&](std::size_t i) { return f.left + slot * (static_cast<double>(i) + 0.5); };
      auto y_of = [&](double v) { return f.bottom() - f.height * ratio(v, 100); };
      // Consecutive rated buckets are joined; a gap breaks the line.
      std::string points;
      auto flush = [&]() {
        if (points.find(' ') != std::string::npos) {
          s += fmt::format(
              "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", points,
              line.colour);
        }
        points.clear();
      };
      for (std::size_t i = 0; i < n; ++i) {
        if (!line.values[i]) {
          flush();
          continue;
        }
        if (!points.empty()) points += ' ';
        points += num(x_of(i)) + "," + num(y_of(*line.values[i]));
      }
      flush();
      for (std::size_t i = 0; i < n; ++i) {
        if (!line.values[i]) continue;
        s += fmt::format(
            "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\"><title>{}: {} {:.1f}%</title>"
            "</circle>\n",
            num(x_of(i)), num(y_of(*line.values[i])), line.colour, html_escape(r.rows[i].label),
            line.name, *line.values[i]);
      }
    }
  }
  if (!any) draw_no_data(s, f, "no resolved conversations and no SLA clocks met or breached");
  draw_x_labels(s, f, labels_of(r.rows), x_title(r));
  s += "</svg>\n<div class=\"legend\">";
  for (const Series& line : series)
    s += legend_item(line.colour, line.name);
  s += "</div>\n";
  return s;
}

// The channel switches summed over the rows as a from→to matrix, darker for more.
std::string flow_chart(const MetricsResult& r) {
  std::map<std::pair<ChannelKind, ChannelKind>, std::int64_t> flows;
  std::int64_t switches = 0;
  for (const MetricsRow& row : r.rows) {
    switches += row.channel_switches;
    for (const ChannelFlow& flow : row.channel_switch_flow)
      flows[{flow.from, flow.to}] += flow.count;
  }
  std::vector<ChannelKind> kinds;
  std::int64_t max = 0;
  std::int64_t with_channels = 0;
  for (const auto& [key, count] : flows) {
    kinds.push_back(key.first);
    kinds.push_back(key.second);
    max = std::max(max, count);
    with_channels += count;
  }
  std::sort(kinds.begin(), kinds.end());
  kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());

  std::string s = fmt::format(
      "<p class=\"meta\">{} channel switches recorded; {} of them between two known channels, by "
      "the kind they left (rows) and the kind they went to (columns).</p>\n",
      switches, with_channels);
  if (kinds.empty()) {
    return s +
           "<p class=\"empty\">No channel switches between two known channels in this "
           "range.</p>\n";
  }
  const double left = 120;
  const double top = 92;
  const double cell = std::min(64.0, (kChartWidth - left - 20) / static_cast<double>(kinds.size()));
  const double width = std::max(360.0, left + cell * static_cast<double>(kinds.size()) + 20);
  const double height = top + cell * static_cast<double>(kinds.size()) + 16;
  s += svg_open(width, height, "Channel switches from one channel kind to another");
  s += fmt::format("<text x=\"{}\" y=\"14\" font-size=\"12\">to →</text>\n", num(left));
  s += fmt::format("<text x=\"8\" y=\"{}\" font-size=\"12\">from ↓</text>\n", num(top - 8));
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    const double x = left + cell * (static_cast<double>(i) + 0.5);
    s += fmt::format(
        "<text x=\"{0}\" y=\"{1}\" font-size=\"11\" transform=\"rotate(-40 {0} {1})\">{2}</text>\n",
        num(x), num(top - 6), to_string(kinds[i]));
    const double y = top + cell * (static_cast<double>(i) + 0.5);
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
                     num(left - 8), num(y + 4), to_string(kinds[i]));
  }
  for (std::size_t row = 0; row < kinds.size(); ++row) {
    for (std::size_t col = 0; col < kinds.size(); ++col) {
      auto found = flows.find({kinds[row], kinds[col]});
      const std::int64_t count = found == flows.end() ? 0 : found->second;
      const double share = ratio(static_cast<double>(count), static_cast<double>(max));
      const double x = left + cell * static_cast<double>(col);
      const double y = top + cell * static_cast<double>(row);
      s += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" fill-opacity=\"{}\" "
          "stroke=\"#ffffff\" stroke-width=\"2\"><title>{} → {}: {}</title></rect>\n",
          num(x), num(y), num(cell), num(cell), count > 0 ? kFlowColour : "#eef0f3",
          count > 0 ? fmt::format("{:.2f}", 0.15 + 0.85 * share) : std::string("1"),
          to_string(kinds[row]), to_string(kinds[col]), count);
      s += fmt::format(
          "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" "
          "style=\"fill:{}\">{}</text>\n",
          num(x + cell / 2), num(y + cell / 2 + 4), share > 0.5 ? "#ffffff" : "#3b4452",
          count > 0 ? std::to_string(count) : std::string("·"));
    }
  }
  s += "</svg>\n";
  return s;
}

std::string conversations(std::int64_t n) {
  return fmt::format("{} {}", n, n == 1 ? "conversation" : "conversations");
}

std::string card(std::string_view label, const std::string& value, const std::string& detail) {
  return fmt::format(
      "<div class=\"card\"><div class=\"value\">{}</div><div class=\"label\">{}</div>"
      "<div class=\"detail\">{}</div></div>\n",
      html_escape(value), html_escape(label), html_escape(detail));
}

std::string headline(const MetricsRow& t) {
  const std::int64_t frs = t.first_response_sla_met + t.first_response_sla_breached;
  const std::int64_t rs = t.resolution_sla_met + t.resolution_sla_breached;
  std::string s = "<div class=\"cards\">\n";
  s += card("conversations", std::to_string(t.conversations),
            fmt::format("{} resolved", t.resolved));
  s += card("inbound touchpoints", std::to_string(inbound_total(t)),
            fmt::format("{} channel kinds", t.inbound_volume.size()));
  s += card("first-contact resolution", format_percent(t.first_contact_resolved, t.resolved),
            fmt::format("{} of {} resolved", t.first_contact_resolved, t.resolved));
  s += card(
      "first-response SLA", format_percent(t.first_response_sla_met, frs),
      fmt::format("{} met, {} breached", t.first_response_sla_met, t.first_response_sla_breached));
  s += card("resolution SLA", format_percent(t.resolution_sla_met, rs),
            fmt::format("{} met, {} breached", t.resolution_sla_met, t.resolution_sla_breached));
  s += card("CSAT", format_percent(t.csat_satisfied, t.csat_responses),
            fmt::format("{} responses", t.csat_responses));
  s += card("occupancy", format_percent(t.agent_occupied.count(), t.agent_staffed.count()),
            fmt::format("{} of {} staffed", format_duration(t.agent_occupied),
                        format_duration(t.agent_staffed)));
  s += "</div>\n";
  return s;
}

std::string bucket_cells(const MetricsRow& row) {
  return fmt::format(
      "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
      "<td>{}</td><td>{}</td><td>{}</td>",
      row.conversations, inbound_total(row), html_escape(format_median_p90(row.first_response)),
      html_escape(format_median_p90(row.resolution)),
      html_escape(format_percent(row.first_contact_resolved, row.resolved)),
      row.conversations > 0 ? fmt::format("{:.2f}", row.handoffs_per_conversation) : "-",
      row.conversations > 0 ? fmt::format("{:.2f}", row.channel_switches_per_conversation) : "-",
      html_escape(format_percent(row.first_response_sla_met,
                                 row.first_response_sla_met + row.first_response_sla_breached)),
      html_escape(format_percent(row.resolution_sla_met,
                                 row.resolution_sla_met + row.resolution_sla_breached)),
      html_escape(format_percent(row.csat_satisfied, row.csat_responses)),
      html_escape(format_percent(row.agent_occupied.count(), row.agent_staffed.count())));
}

std::string bucket_table(const MetricsResult& r) {
  std::string s =
      "<table>\n<thead><tr><th>bucket</th><th>conversations</th><th>inbound</th>"
      "<th>first response median / p90</th><th>resolution median / p90</th><th>FCR</th>"
      "<th>handoffs / conv.</th><th>switches / conv.</th><th>first-response SLA</th>"
      "<th>resolution SLA</th><th>CSAT</th><th>occupancy</th></tr></thead>\n<tbody>\n";
  for (const MetricsRow& row : r.rows) {
    s += fmt::format("<tr><td>{}</td>{}</tr>\n", html_escape(row.label), bucket_cells(row));
  }
  s += fmt::format("<tr><th>total</th>{}</tr>\n", bucket_cells(r.totals));
  s += "</tbody>\n</table>\n";
  return s;
}

std::string agent_table(const MetricsResult& r) {
  if (r.agents.empty()) return "<p class=\"empty\">No agents.</p>\n";
  std::string s =
      "<table>\n<thead><tr><th>agent</th><th>kind</th><th>teams</th><th>conversations</th>"
      "<th>resolved</th><th>resolution median</th><th>CSAT</th><th>occupancy</th></tr></thead>\n"
      "<tbody>\n";
  for (const AgentMetrics& a : r.agents) {
    std::string teams;
    for (const std::string& team : a.teams)
      teams += (teams.empty() ? "" : ", ") + team;
    const MetricsRow& m = a.metrics;
    s += fmt::format(
        "<tr data-agent=\"{0}\"><td class=\"name\" title=\"{0}\">{0}</td><td>{1}</td>"
        "<td class=\"name\">{2}</td><td>{3}</td><td>{4}</td><td>{5}</td><td>{6}</td><td>{7}</td>"
        "</tr>\n",
        html_escape(a.name), to_string(a.kind), teams.empty() ? "-" : html_escape(teams),
        m.conversations, m.resolved,
        m.resolution.count > 0 ? html_escape(format_duration(m.resolution.median)) : "-",
        html_escape(m.csat_responses > 0
                        ? fmt::format("{} ({} responses)",
                                      format_percent(m.csat_satisfied, m.csat_responses),
                                      m.csat_responses)
                        : std::string("-")),
        html_escape(format_percent(m.agent_occupied.count(), m.agent_staffed.count())));
  }
  s += "</tbody>\n</table>\n";
  return s;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\t':
      case '\n':
      case '\r':
        out += c;
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) break;  // not allowed in HTML
        out += c;
    }
  }
  return out;
}

std::string render_report_html(const MetricsResult& r) {
  const MetricsQuery& q = r.query;
  std::array<std::int64_t, kDurationBins> first_response{};
  std::array<std::int64_t, kDurationBins> resolution{};
  for (const MetricsRow& row : r.rows) {
    for (std::size_t i = 0; i < kDurationBins; ++i) {
      first_response[i] += row.first_response.histogram[i];
      resolution[i] += row.resolution.histogram[i];
    }
  }
  const std::string title = fmt::format("omni report: {}", r.tenant);
  const std::string range =
      fmt::format("{} to {}, by {} ({})", format_timestamp(q.from), format_timestamp(q.to),
                  grouping_name(q.grouping), q.time_zone);
  const std::string filters = filter_description(r);

  std::string s;
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing may load or run: the page is data only.
  s += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  s += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n", html_escape(title), kStyle);
  s += fmt::format("<body data-tenant=\"{}\">\n<main>\n", html_escape(r.tenant));
  s += fmt::format("<h1>Service report: {}</h1>\n", html_escape(r.tenant));
  s += fmt::format("<p class=\"meta\">{}</p>\n", html_escape(range));
  if (!filters.empty()) s += fmt::format("<p class=\"meta\">only {}</p>\n", html_escape(filters));
  s += headline(r.totals);

  s += "<section>\n<h2>Inbound volume by channel kind</h2>\n";
  s += volume_chart(r);
  s += "</section>\n";

  s += "<section>\n<h2>Time to first response and to resolution</h2>\n<div class=\"pair\">\n";
  s += fmt::format(
      "<figure><figcaption>First response: {}, median / p90 {}</figcaption>\n{}</figure>\n",
      conversations(r.totals.first_response.count),
      html_escape(format_median_p90(r.totals.first_response)),
      histogram_chart(first_response, r.totals.first_response.count, "Time to first response",
                      "time to first response"));
  s += fmt::format(
      "<figure><figcaption>Resolution: {}, median / p90 {}</figcaption>\n{}</figure>\n",
      conversations(r.totals.resolution.count), html_escape(format_median_p90(r.totals.resolution)),
      histogram_chart(resolution, r.totals.resolution.count, "Time to resolution",
                      "time to resolution"));
  s += "</div>\n</section>\n";

  s += "<section>\n<h2>First-contact resolution and SLA attainment</h2>\n";
  s += rates_chart(r);
  s += "</section>\n";

  s += "<section>\n<h2>Channel switches</h2>\n";
  s += flow_chart(r);
  s += "</section>\n";

  s += "<section>\n<h2>Per bucket</h2>\n<div class=\"scroll\">\n";
  s += bucket_table(r);
  s += "</div>\n</section>\n";

  s += "<section>\n<h2>Agents</h2>\n<div class=\"scroll\">\n";
  s += agent_table(r);
  s += "</div>\n</section>\n";

  s += fmt::format(
      "<footer>Generated {} by omni. Definitions of every number: docs/metrics.md. \"-\": "
      "nothing to count.</footer>\n",
      html_escape(format_timestamp(r.generated_at)));
  s += "</main>\n</body>\n</html>\n";
  return s;
}

}  // namespace omni::cli
