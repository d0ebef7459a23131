// cli/report_html.h — the HTML report of `omni report --html`: one self-contained HTML5 page
// (inline CSS, inline SVG charts, no script, no external resource) rendered from metrics that
// were already computed, so it can be tested without a database (docs/metrics.md, "The HTML
// report").
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <string>
#include <string_view>

#include "cli/metrics_output.h"

namespace omni::cli {

// `text` safe in HTML text and in a double- or single-quoted attribute value: & < > " ' become
// character references; control characters other than tab and line breaks are dropped (they are
// not allowed in HTML).
std::string html_escape(std::string_view text);

// The report page: title, range and tenant; headline numbers of result.totals; inbound volume
// by channel kind per bucket (stacked bars); first-response and resolution histograms (summed
// over result.rows); FCR rate and SLA attainment per bucket; the channel-switch flow as a
// from→to matrix; the per-bucket table and result.agents as a table. Every string from the
// database passes through html_escape. Valid (no NaN, no division by zero) when every value is
// zero and with any number of rows, including none or one.
std::string render_report_html(const MetricsResult& result);

}  // namespace omni::cli
