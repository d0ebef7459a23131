// Engine: service metrics (omni/metrics.h). The engine validates the query and cuts the range
// into buckets at local boundaries of the query's zone; the store counts inside the database.
#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include "engine_impl.h"

namespace omni {
using namespace engine_internal;
namespace {

constexpr std::size_t kMaxBuckets = 1000;
constexpr std::size_t kMaxPreferredChannelsLimit = 10'000;

using LocalTime = date::local_time<std::chrono::microseconds>;

// The local start of the bucket that holds `local`.
date::local_days bucket_floor(MetricsGrouping grouping, LocalTime local) {
  const date::local_days day = date::floor<date::days>(local);
  switch (grouping) {
    case MetricsGrouping::kWeek:
      // Monday: weekday 1; days since Monday = (weekday + 6) % 7.
      return day - date::days((date::weekday(day).c_encoding() + 6) % 7);
    case MetricsGrouping::kMonth: {
      const date::year_month_day ymd(day);
      return date::local_days(ymd.year() / ymd.month() / 1);
    }
    default:
      return day;
  }
}

date::local_days next_bucket(MetricsGrouping grouping, date::local_days start) {
  switch (grouping) {
    case MetricsGrouping::kWeek:
      return start + date::days(7);
    case MetricsGrouping::kMonth: {
      const date::year_month_day ymd(start);
      return date::local_days((ymd.year() / ymd.month() + date::months(1)) / 1);
    }
    default:
      return start + date::days(1);
  }
}

std::string bucket_label(MetricsGrouping grouping, date::local_days start) {
  const date::year_month_day ymd(start);
  switch (grouping) {
    case MetricsGrouping::kWeek: {
      // The ISO week-year is the year of the week's Thursday.
      const date::local_days thursday = start + date::days(3);
      const date::year_month_day thursday_ymd(thursday);
      const date::local_days first_day(thursday_ymd.year() / 1 / 1);
      const auto week = (thursday - first_day).count() / 7 + 1;
      return fmt::format("{}-W{:02}", static_cast<int>(thursday_ymd.year()), week);
    }
    case MetricsGrouping::kMonth:
      return fmt::format("{}-{:02}", static_cast<int>(ymd.year()),
                         static_cast<unsigned>(ymd.month()));
    default:
      return fmt::format("{}-{:02}-{:02}", static_cast<int>(ymd.year()),
                         static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  }
}

double ratio(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

void sort_counts(std::vector<ChannelCount>& counts) {
  std::sort(counts.begin(), counts.end(), [](const ChannelCount& a, const ChannelCount& b) {
    return a.count != b.count ? a.count > b.count : a.kind < b.kind;
  });
}

}  // namespace

Result<MetricsReport> Engine::metrics(const MetricsQuery& query) {
  if (!query.tenant.valid()) {
    return Status::invalid_argument("tenant is not set").with_field("tenant");
  }
  if (!(query.from < query.to)) {
    return Status::invalid_argument("from must be before to").with_field("to");
  }
  if (query.fcr_window.count() < 0) {
    return Status::invalid_argument("fcr_window is negative").with_field("fcr_window");
  }
  if (query.agent && !query.agent->valid()) {
    return Status::invalid_argument("agent is not a valid id").with_field("agent");
  }
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(query.time_zone);
  } catch (const std::exception& e) {
    return Status::invalid_argument(
               fmt::format("unknown time zone \"{}\": {}", query.time_zone, e.what()))
        .with_field("time_zone");
  }

  // Buckets at local boundaries, clipped to [from, to). A local midnight that does not exist
  // (a DST gap) begins at the end of the gap.
  std::vector<MetricsBucket> buckets;
  std::vector<std::string> labels;
  try {
    date::local_days local_start = bucket_floor(query.grouping, zone->to_local(query.from));
    Timestamp start = query.from;
    for (;;) {
      const date::local_days local_end = next_bucket(query.grouping, local_start);
      Timestamp end = query.to;
      if (query.grouping != MetricsGrouping::kNone) {
        end = std::min(query.to, Timestamp(zone->to_sys(LocalTime(local_end.time_since_epoch()),
                                                        date::choose::earliest)));
      }
      if (buckets.size() == kMaxBuckets) {
        return Status::invalid_argument(
                   fmt::format("the range has more than {} buckets", kMaxBuckets))
            .with_field("to");
      }
      buckets.push_back(MetricsBucket{start, end});
      labels.push_back(bucket_label(query.grouping, local_start));
      if (end >= query.to) break;
      start = end;
      local_start = local_end;
    }
  } catch (const std::exception& e) {
    return Status::invalid_argument(fmt::format("time zone \"{}\": {}", query.time_zone, e.what()))
        .with_field("time_zone");
  }

  std::optional<BusinessCalendar> calendar;
  if (query.business_hours) {
    auto created = BusinessCalendar::create(*query.business_hours);
    if (!created.ok()) {
      return Status::invalid_argument("business_hours: " + created.status().message())
          .with_field("business_hours");
    }
    calendar = std::move(created).value();
  }

  OMNI_ASSIGN_OR_RETURN(
      std::vector<MetricsRow> rows,
      impl_->run_read([&](StoreTransaction& tx) -> Result<std::vector<MetricsRow>> {
        OMNI_ASSIGN_OR_RETURN(std::vector<MetricsRow> counted, tx.compute_metrics(query, buckets));
        if (!calendar || counted.size() != buckets.size()) return counted;
        // The business-hours pass: SQL cannot walk a calendar, so the durations of each bucket
        // are counted here from the conversations' timestamps, one bucket at a time.
        for (std::size_t i = 0; i < buckets.size(); ++i) {
          OMNI_ASSIGN_OR_RETURN(std::vector<ConversationTimes> times,
                                tx.list_conversation_times(query, buckets[i]));
          std::vector<std::chrono::microseconds> first_response, resolution;
          for (const ConversationTimes& t : times) {
            if (t.first_response_at) {
              first_response.push_back(calendar->between(t.opened_at, *t.first_response_at));
            }
            if (t.resolved_at) {
              resolution.push_back(calendar->between(t.opened_at, *t.resolved_at));
            }
          }
          counted[i].first_response_business = summarize_durations(std::move(first_response));
          counted[i].resolution_business = summarize_durations(std::move(resolution));
        }
        return counted;
      }));
  if (rows.size() != buckets.size()) {
    return Status::internal(fmt::format("the store returned {} metrics rows for {} buckets",
                                        rows.size(), buckets.size()));
  }
  MetricsReport report;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    MetricsRow& row = rows[i];
    row.start = buckets[i].start;
    row.end = buckets[i].end;
    row.label = std::move(labels[i]);
    sort_counts(row.inbound_volume);
    sort_counts(row.conversations_opened);
    row.first_contact_resolution_rate = ratio(row.first_contact_resolved, row.resolved);
    row.handoffs_per_conversation = ratio(row.handoffs, row.conversations);
    row.channel_switches_per_conversation = ratio(row.channel_switches, row.conversations);
    row.first_response_sla_attainment = ratio(
        row.first_response_sla_met, row.first_response_sla_met + row.first_response_sla_breached);
    row.resolution_sla_attainment =
        ratio(row.resolution_sla_met, row.resolution_sla_met + row.resolution_sla_breached);
    std::sort(row.channel_switch_flow.begin(), row.channel_switch_flow.end(),
              [](const ChannelFlow& a, const ChannelFlow& b) {
                if (a.count != b.count) return a.count > b.count;
                return a.from != b.from ? a.from < b.from : a.to < b.to;
              });
    row.csat = ratio(row.csat_satisfied, row.csat_responses);
    row.occupancy = ratio(row.agent_occupied.count(), row.agent_staffed.count());
  }
  report.rows = std::move(rows);
  return report;
}

Result<std::vector<CustomerChannels>> Engine::preferred_channels(
    const PreferredChannelsQuery& query) {
  if (!query.tenant.valid()) {
    return Status::invalid_argument("tenant is not set").with_field("tenant");
  }
  if (query.customer && !query.customer->valid()) {
    return Status::invalid_argument("customer is not a valid id").with_field("customer");
  }
  if (query.to < query.from) {
    return Status::invalid_argument("to is before from").with_field("to");
  }
  if (query.limit == 0 || query.limit > kMaxPreferredChannelsLimit) {
    return Status::invalid_argument(
               fmt::format("limit must be between 1 and {}", kMaxPreferredChannelsLimit))
        .with_field("limit");
  }
  OMNI_ASSIGN_OR_RETURN(
      std::vector<CustomerChannels> out,
      impl_->run_read([&](StoreTransaction& tx) { return tx.count_preferred_channels(query); }));
  for (CustomerChannels& entry : out)
    sort_counts(entry.channels);
  return out;
}

}  // namespace omni
