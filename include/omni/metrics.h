// omni/metrics.h — service metrics computed inside the store (Engine::metrics,
// Engine::preferred_channels). docs/metrics.md defines every number exactly.
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "omni/calendar.h"
#include "omni/channel.h"
#include "omni/clock.h"
#include "omni/export.h"
#include "omni/ids.h"

namespace omni {

enum class MetricsGrouping {
  kNone,   // one row for the whole range
  kDay,    // local calendar days of MetricsQuery::time_zone
  kWeek,   // local ISO weeks, Monday 00:00 to Monday 00:00
  kMonth,  // local calendar months
};

// What Engine::metrics counts. Conversation metrics count conversations by opened_at, volume
// counts touchpoints by occurred_at, both in the half-open range [from, to).
struct MetricsQuery {
  TenantId tenant;
  Timestamp from;
  Timestamp to;
  // Only conversations whose origin channel is of this kind, and touchpoints of this channel
  // kind. Default: every kind.
  std::optional<ChannelKind> channel_kind;
  // Only conversations of this team, and touchpoints of such conversations. Default "": any.
  std::string team;
  // Only conversations whose assignee is this agent, and touchpoints of such conversations.
  // Default: any.
  std::optional<AgentId> agent;
  // Default: one row per local day.
  MetricsGrouping grouping = MetricsGrouping::kDay;
  // IANA zone the bucket boundaries are local to. Default "UTC".
  std::string time_zone = "UTC";
  // A resolved conversation followed by another conversation of the same customer within this
  // window after its resolution is not a first-contact resolution. Default: 7 days.
  std::chrono::seconds fcr_window = std::chrono::hours(24 * 7);
  // When set, each row also gets first_response_business and resolution_business: the same
  // durations counted in open time of these hours (BusinessCalendar::between). This takes a
  // second pass that reads three timestamps per conversation of the range from the store, one
  // bucket at a time (docs/metrics.md). Default: none (wall-clock only).
  std::optional<BusinessHours> business_hours;
};

struct ChannelCount {
  ChannelKind kind = ChannelKind::kWeb;
  std::int64_t count = 0;
};

// The bins of DurationStats::histogram: bin i holds durations d with
// kDurationBinBounds[i - 1] <= d < kDurationBinBounds[i] (seconds; bin 0 from 0, the last bin
// unbounded): under 1 min, 1–5 min, 5–15 min, 15–60 min, 1–4 h, 4–24 h, 1–3 days, 3 days and more.
inline constexpr std::array<std::int64_t, 7> kDurationBinBounds = {
    60, 5 * 60, 15 * 60, 60 * 60, 4 * 3600, 24 * 3600, 3 * 24 * 3600};
inline constexpr std::size_t kDurationBins = kDurationBinBounds.size() + 1;

// Durations over a set of conversations, wall-clock, whole seconds (rounded down). Percentiles
// are nearest-rank: the value at rank ceil(p * count) of the ascending durations, so the median
// of an even count is the lower of the two middle values. 0 when count is 0.
struct DurationStats {
  std::int64_t count = 0;
  std::chrono::seconds median{0};
  std::chrono::seconds p90{0};
  // How many of the durations fall in each bin of kDurationBinBounds; they sum to count.
  std::array<std::int64_t, kDurationBins> histogram{};
};

// The bin of kDurationBinBounds a duration falls in (negative durations: bin 0).
OMNI_EXPORT std::size_t duration_bin(std::chrono::microseconds duration);
// Count, nearest-rank median and p90, and histogram of the durations (for stores and hosts that
// compute DurationStats themselves).
OMNI_EXPORT DurationStats summarize_durations(std::vector<std::chrono::microseconds> durations);

// Handoffs of kind channel_switch from one channel kind to another.
struct ChannelFlow {
  ChannelKind from = ChannelKind::kWeb;
  ChannelKind to = ChannelKind::kWeb;
  std::int64_t count = 0;
};

// The metrics of one bucket.
struct MetricsRow {
  Timestamp start;  // the bucket, clipped to the query's range: [start, end)
  Timestamp end;
  std::string label;  // local: "2026-11-18" (day and none: the first day), "2026-W47", "2026-11"

  // Inbound touchpoints (message_in, call, video_session) per channel kind, largest first
  // (ties by kind); kinds with none are left out.
  std::vector<ChannelCount> inbound_volume;
  // Conversations opened, per origin channel kind, largest first; and their total.
  std::vector<ChannelCount> conversations_opened;
  std::int64_t conversations = 0;

  // From opened_at to first_response_at, of the conversations with a first response.
  DurationStats first_response;
  // From opened_at to resolved_at, of the resolved conversations.
  DurationStats resolution;
  // The same in business time of MetricsQuery::business_hours; all zero without them.
  DurationStats first_response_business;
  DurationStats resolution_business;

  // Conversations with resolved_at set and before the query's `to`; of those, the first-contact
  // resolutions (docs/metrics.md); first_contact_resolved / resolved (0 when none).
  std::int64_t resolved = 0;
  std::int64_t first_contact_resolved = 0;
  double first_contact_resolution_rate = 0;

  // Handoffs of every kind, and handoffs of kind channel_switch, recorded on the conversations;
  // each divided by `conversations` (0 when none).
  std::int64_t handoffs = 0;
  std::int64_t channel_switches = 0;
  double handoffs_per_conversation = 0;
  double channel_switches_per_conversation = 0;
  // The channel switches by the kinds of their from and to channels, largest first (ties by
  // from, then to); switches without both channels are counted above but not here.
  std::vector<ChannelFlow> channel_switch_flow;

  // SLA clocks with a deadline, from the conversations' SLA state: met (stopped by the
  // deadline) or breached (stopped after it, or flagged breached while running); clocks still
  // running within their deadline count in neither. attainment = met / (met + breached), 0 when
  // both are 0.
  std::int64_t first_response_sla_met = 0;
  std::int64_t first_response_sla_breached = 0;
  double first_response_sla_attainment = 0;
  std::int64_t resolution_sla_met = 0;
  std::int64_t resolution_sla_breached = 0;
  double resolution_sla_attainment = 0;

  // Survey answers (omni/csat.h) given in the bucket (responded_at), of conversations of the
  // query (channel kind: where the survey was answered; agent: the agent rated; team: the
  // conversation's team). satisfied: scores 4 and 5; csat = satisfied / csat_responses and
  // csat_average the mean score (both 0 when there are none).
  std::int64_t csat_responses = 0;
  std::int64_t csat_satisfied = 0;
  double csat_average = 0;
  double csat = 0;

  // Agent occupancy of the human agents of the query (agent: that agent; team: the agents now in
  // the team; the channel kind does not apply) over the bucket, from the agents' activity log:
  // staffed is the time they were available or busy, occupied the part of it in which they held
  // at least one slot (an assigned open or pending conversation, or an offer); occupancy =
  // occupied / staffed (0 when nobody was staffed). Summed over the agents.
  std::chrono::seconds agent_staffed{0};
  std::chrono::seconds agent_occupied{0};
  double occupancy = 0;
};

// A bucket of a report, [start, end); what the engine hands a Store's compute_metrics.
struct MetricsBucket {
  Timestamp start;
  Timestamp end;
};

// What a Store's list_conversation_times returns per conversation of a bucket.
struct ConversationTimes {
  Timestamp opened_at;
  std::optional<Timestamp> first_response_at;
  std::optional<Timestamp> resolved_at;  // only when set and before the query's `to`
};

struct MetricsReport {
  std::vector<MetricsRow> rows;  // one per bucket, in time order, empty buckets included
};

// Engine::preferred_channels: inbound touchpoints per channel kind per customer.
struct PreferredChannelsQuery {
  TenantId tenant;
  // One customer; default: the `limit` customers with the most inbound touchpoints.
  std::optional<CustomerId> customer;
  // occurred_at in [from, to). Default: all time.
  Timestamp from = from_unix_micros(0);
  Timestamp to = from_unix_micros(INT64_MAX);
  std::size_t limit = 100;  // customers; at most 10,000. Default 100.
};

struct CustomerChannels {
  CustomerId customer;
  std::int64_t inbound = 0;            // inbound touchpoints in the range
  std::vector<ChannelCount> channels;  // largest first, ties by kind
};

}  // namespace omni
