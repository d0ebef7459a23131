// SLA clocks over a conversation's facts, and the JSON codecs of the SLA and routing policies.
//
// JSON documents use the struct's field names as keys; durations are whole seconds, opening
// intervals minutes from local midnight, an unset channel kind or priority is null:
//   {"channel_kind":"email","priority":null,"first_response":14400,"next_response":7200,
//    "resolution":172800,"warning_ratio":0.8,
//    "hours":{"time_zone":"Europe/Berlin","week":[[],[{"open":540,"close":1020}],...],
//             "holidays":["2026-12-25"]}}
//   {"strategy":"least_loaded","sticky":true,"sticky_wait":120,"offer_timeout":30,
//    "automatic":true}
// A missing key keeps the struct's default, so documents written before a field existed still
// decode.
#include "sla_clocks.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

namespace omni::detail {
namespace {

using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// ---------------------------------------------------------------------------------------------
// JSON helpers.

void write_key(Writer& writer, std::string_view key) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void write_string(Writer& writer, std::string_view value) {
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string finish(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

Status malformed(std::string_view what, std::string_view why) {
  return Status::corruption(fmt::format("malformed {} JSON: {}", what, why));
}

Status wrong_type(std::string_view what, std::string_view field, std::string_view expected) {
  return Status::corruption(fmt::format("malformed {} JSON: {} must be {}", what, field, expected))
      .with_field(std::string(field));
}

Result<rapidjson::Document> parse_object(std::string_view json, std::string_view what) {
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  if (document.HasParseError()) {
    return malformed(
        what, fmt::format("{} at offset {}", rapidjson::GetParseError_En(document.GetParseError()),
                          document.GetErrorOffset()));
  }
  if (!document.IsObject()) return malformed(what, "expected an object");
  return document;
}

// The member `key` of `object`, or null when absent.
const rapidjson::Value* member(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string read_string(const rapidjson::Value& value) {
  return std::string(value.GetString(), value.GetStringLength());
}

// Reads whole seconds into `out` when `key` is present.
Status read_seconds(const rapidjson::Value& object, const char* key, std::string_view what,
                    seconds* out) {
  const rapidjson::Value* value = member(object, key);
  if (value == nullptr) return Status::ok_status();
  if (!value->IsInt64()) return wrong_type(what, key, "an integer number of seconds");
  *out = seconds(value->GetInt64());
  return Status::ok_status();
}

void write_hours(Writer& writer, const BusinessHours& hours) {
  writer.StartObject();
  write_key(writer, "time_zone");
  write_string(writer, hours.time_zone);
  write_key(writer, "week");
  writer.StartArray();
  for (const auto& day : hours.week) {
    writer.StartArray();
    for (const OpenInterval& interval : day) {
      writer.StartObject();
      write_key(writer, "open");
      writer.Int64(interval.open.count());
      write_key(writer, "close");
      writer.Int64(interval.close.count());
      writer.EndObject();
    }
    writer.EndArray();
  }
  writer.EndArray();
  write_key(writer, "holidays");
  writer.StartArray();
  for (const std::string& holiday : hours.holidays)
    write_string(writer, holiday);
  writer.EndArray();
  writer.EndObject();
}

constexpr std::string_view kSlaPolicy = "SLA policy";
constexpr std::string_view kRoutingPolicy = "routing policy";

Status read_interval_minutes(const rapidjson::Value& interval, const char* key,
                             const std::string& field, minutes* out) {
  const rapidjson::Value* value = member(interval, key);
  const std::string path = fmt::format("{}.{}", field, key);
  if (value == nullptr) {
    return Status::corruption(fmt::format("malformed {} JSON: {} is missing", kSlaPolicy, path))
        .with_field(path);
  }
  if (!value->IsInt64()) return wrong_type(kSlaPolicy, path, "an integer number of minutes");
  *out = minutes(value->GetInt64());
  return Status::ok_status();
}

Status read_hours(const rapidjson::Value& object, BusinessHours* hours) {
  if (!object.IsObject()) return wrong_type(kSlaPolicy, "hours", "an object");
  if (const rapidjson::Value* zone = member(object, "time_zone")) {
    if (!zone->IsString()) return wrong_type(kSlaPolicy, "hours.time_zone", "a string");
    hours->time_zone = read_string(*zone);
  }
  if (const rapidjson::Value* week = member(object, "week")) {
    if (!week->IsArray() || week->Size() != hours->week.size()) {
      return wrong_type(kSlaPolicy, "hours.week", "an array of 7 days (Sunday first)");
    }
    for (rapidjson::SizeType day = 0; day < week->Size(); ++day) {
      const rapidjson::Value& intervals = (*week)[day];
      const std::string day_field = fmt::format("hours.week[{}]", day);
      if (!intervals.IsArray()) return wrong_type(kSlaPolicy, day_field, "an array");
      std::vector<OpenInterval>& out = hours->week[day];
      out.clear();
      for (rapidjson::SizeType i = 0; i < intervals.Size(); ++i) {
        const std::string field = fmt::format("{}[{}]", day_field, i);
        if (!intervals[i].IsObject()) return wrong_type(kSlaPolicy, field, "an object");
        OpenInterval interval;
        if (Status s = read_interval_minutes(intervals[i], "open", field, &interval.open);
            !s.ok()) {
          return s;
        }
        if (Status s = read_interval_minutes(intervals[i], "close", field, &interval.close);
            !s.ok()) {
          return s;
        }
        out.push_back(interval);
      }
    }
  }
  if (const rapidjson::Value* holidays = member(object, "holidays")) {
    if (!holidays->IsArray()) return wrong_type(kSlaPolicy, "hours.holidays", "an array");
    hours->holidays.clear();
    for (rapidjson::SizeType i = 0; i < holidays->Size(); ++i) {
      if (!(*holidays)[i].IsString()) {
        return wrong_type(kSlaPolicy, fmt::format("hours.holidays[{}]", i), "a string");
      }
      hours->holidays.push_back(read_string((*holidays)[i]));
    }
  }
  return Status::ok_status();
}

Result<SlaPolicy> read_sla_policy(const rapidjson::Value& object) {
  SlaPolicy policy;
  if (const rapidjson::Value* kind = member(object, "channel_kind"); kind && !kind->IsNull()) {
    if (!kind->IsString()) return wrong_type(kSlaPolicy, "channel_kind", "a string or null");
    const std::string name = read_string(*kind);
    policy.channel_kind = parse_channel_kind(name);
    if (!policy.channel_kind) {
      return Status::invalid_argument(fmt::format("unknown channel kind \"{}\"", name))
          .with_field("channel_kind");
    }
  }
  if (const rapidjson::Value* priority = member(object, "priority");
      priority && !priority->IsNull()) {
    if (!priority->IsString()) return wrong_type(kSlaPolicy, "priority", "a string or null");
    const std::string name = read_string(*priority);
    policy.priority = parse_priority(name);
    if (!policy.priority) {
      return Status::invalid_argument(fmt::format("unknown priority \"{}\"", name))
          .with_field("priority");
    }
  }
  for (auto [key, target] : {std::pair{"first_response", &policy.first_response},
                             std::pair{"next_response", &policy.next_response},
                             std::pair{"resolution", &policy.resolution}}) {
    if (Status s = read_seconds(object, key, kSlaPolicy, target); !s.ok()) return s;
  }
  if (const rapidjson::Value* ratio = member(object, "warning_ratio")) {
    if (!ratio->IsNumber()) return wrong_type(kSlaPolicy, "warning_ratio", "a number");
    policy.warning_ratio = ratio->GetDouble();
  }
  if (const rapidjson::Value* hours = member(object, "hours")) {
    if (Status s = read_hours(*hours, &policy.hours); !s.ok()) return s;
  }
  if (Status s = validate_sla_policy(policy); !s.ok()) return s;
  return policy;
}

Result<RoutingPolicy> read_routing_policy(const rapidjson::Value& object) {
  RoutingPolicy policy;
  if (const rapidjson::Value* strategy = member(object, "strategy")) {
    if (!strategy->IsString()) return wrong_type(kRoutingPolicy, "strategy", "a string");
    const std::string name = read_string(*strategy);
    auto parsed = parse_routing_strategy(name);
    if (!parsed) {
      return Status::invalid_argument(fmt::format("unknown routing strategy \"{}\"", name))
          .with_field("strategy");
    }
    policy.strategy = *parsed;
  }
  for (auto [key, flag] :
       {std::pair{"sticky", &policy.sticky}, std::pair{"automatic", &policy.automatic}}) {
    if (const rapidjson::Value* value = member(object, key)) {
      if (!value->IsBool()) return wrong_type(kRoutingPolicy, key, "true or false");
      *flag = value->GetBool();
    }
  }
  for (auto [key, duration] : {std::pair{"sticky_wait", &policy.sticky_wait},
                               std::pair{"offer_timeout", &policy.offer_timeout}}) {
    if (Status s = read_seconds(object, key, kRoutingPolicy, duration); !s.ok()) return s;
    if (*duration < seconds(0)) {
      return Status::invalid_argument(
                 fmt::format("{} is {} s: must not be negative", key, duration->count()))
          .with_field(key);
    }
  }
  return policy;
}

// ---------------------------------------------------------------------------------------------
// Clocks.

// A target in business time. Targets beyond what microseconds can hold are clamped; the calendar
// treats anything that long as "never" anyway.
microseconds business_time(seconds target) {
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1'000'000;
  return microseconds(std::clamp<std::int64_t>(target.count(), 0, kMaxSeconds) * 1'000'000);
}

microseconds warning_time(seconds target, double ratio) {
  const double us = static_cast<double>(business_time(target).count()) * ratio;
  return microseconds(static_cast<std::int64_t>(std::llround(us)));
}

void start_clock(SlaClock& clock, Timestamp start, seconds target, const SlaPolicy& policy,
                 const BusinessCalendar& calendar) {
  clock = SlaClock{};
  clock.started_at = start;
  clock.warn_at = calendar.add(start, warning_time(target, policy.warning_ratio));
  clock.due_at = calendar.add(start, business_time(target));
}

// Moves a deadline that lay after `from` (the instant the clock stopped counting) so that the
// business time it had left then is left at `to`. A deadline at or before `from` is overdue and
// stays where it is.
void move_deadline(std::optional<Timestamp>& deadline, Timestamp from, Timestamp to,
                   const BusinessCalendar& calendar) {
  if (deadline && *deadline > from) *deadline = calendar.add(to, calendar.between(from, *deadline));
}

// Since when a running clock has not counted: the pause's first instant, or its own start when
// it began during the pause.
Timestamp paused_since(const SlaClock& clock, Timestamp paused_at) {
  return std::max(paused_at, *clock.started_at);
}

// Stops a running clock at `at`. Stopped during a pause, the clock counted only until the pause
// began: its deadlines move by the paused time up to `at` first, so met() and a later resume
// (the resolution clock after a reopen) see the business time it really had left.
void stop_clock(SlaClock& clock, Timestamp at, const std::optional<Timestamp>& paused_at,
                const BusinessCalendar& calendar) {
  if (paused_at) {
    const Timestamp from = paused_since(clock, *paused_at);
    if (at > from) {
      move_deadline(clock.warn_at, from, at, calendar);
      move_deadline(clock.due_at, from, at, calendar);
    }
  }
  clock.stopped_at = std::max(at, *clock.started_at);
}

bool counts_as_paused(ConversationStatus status) {
  return status == ConversationStatus::kPending || status == ConversationStatus::kResolved ||
         status == ConversationStatus::kClosed;
}

}  // namespace

std::string sla_policy_key(std::optional<ChannelKind> kind, std::optional<Priority> priority) {
  return fmt::format("{}/{}", kind ? to_string(*kind) : "*", priority ? to_string(*priority) : "*");
}

std::vector<std::string> sla_policy_lookup_keys(ChannelKind kind, Priority priority) {
  return {sla_policy_key(kind, priority), sla_policy_key(kind, std::nullopt),
          sla_policy_key(std::nullopt, priority), sla_policy_key(std::nullopt, std::nullopt)};
}

std::string encode_sla_policy(const SlaPolicy& policy) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  write_key(writer, "channel_kind");
  if (policy.channel_kind) {
    write_string(writer, to_string(*policy.channel_kind));
  } else {
    writer.Null();
  }
  write_key(writer, "priority");
  if (policy.priority) {
    write_string(writer, to_string(*policy.priority));
  } else {
    writer.Null();
  }
  write_key(writer, "first_response");
  writer.Int64(policy.first_response.count());
  write_key(writer, "next_response");
  writer.Int64(policy.next_response.count());
  write_key(writer, "resolution");
  writer.Int64(policy.resolution.count());
  write_key(writer, "warning_ratio");
  writer.Double(policy.warning_ratio);
  write_key(writer, "hours");
  write_hours(writer, policy.hours);
  writer.EndObject();
  return finish(buffer);
}

Result<SlaPolicy> decode_sla_policy(std::string_view json) {
  try {
    auto document = parse_object(json, kSlaPolicy);
    if (!document.ok()) return document.status();
    return read_sla_policy(*document);
  } catch (const JsonShapeError& e) {
    return malformed(kSlaPolicy, e.what());
  }
}

std::string encode_routing_policy(const RoutingPolicy& policy) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  write_key(writer, "strategy");
  write_string(writer, to_string(policy.strategy));
  write_key(writer, "sticky");
  writer.Bool(policy.sticky);
  write_key(writer, "sticky_wait");
  writer.Int64(policy.sticky_wait.count());
  write_key(writer, "offer_timeout");
  writer.Int64(policy.offer_timeout.count());
  write_key(writer, "automatic");
  writer.Bool(policy.automatic);
  writer.EndObject();
  return finish(buffer);
}

Result<RoutingPolicy> decode_routing_policy(std::string_view json) {
  try {
    auto document = parse_object(json, kRoutingPolicy);
    if (!document.ok()) return document.status();
    return read_routing_policy(*document);
  } catch (const JsonShapeError& e) {
    return malformed(kRoutingPolicy, e.what());
  }
}

Status validate_sla_policy(const SlaPolicy& policy) {
  for (auto [field, target] : {std::pair{"first_response", policy.first_response},
                               std::pair{"next_response", policy.next_response},
                               std::pair{"resolution", policy.resolution}}) {
    if (target < seconds(0)) {
      return Status::invalid_argument(
                 fmt::format("{} target is {} s: must not be negative", field, target.count()))
          .with_field(field);
    }
  }
  // Written so that NaN fails too.
  if (!(policy.warning_ratio > 0.0 && policy.warning_ratio <= 1.0)) {
    return Status::invalid_argument(
               fmt::format("warning_ratio is {}: must be in (0, 1]", policy.warning_ratio))
        .with_field("warning_ratio");
  }
  auto calendar = BusinessCalendar::create(policy.hours);
  if (!calendar.ok()) {
    const Status& s = calendar.status();
    return Status(s.code(), s.message())
        .with_field(s.field().empty() ? "hours" : "hours." + s.field());
  }
  return Status::ok_status();
}

void reconcile_sla(Conversation& c, const SlaPolicy& policy, const BusinessCalendar& calendar,
                   Timestamp now) {
  SlaState& s = c.sla;
  const bool closed = c.status == ConversationStatus::kClosed;
  const bool active = is_active(c.status);
  s.policy = sla_policy_key(policy.channel_kind, policy.priority);

  // Clocks that start at the first message. Never started again once started.
  if (policy.first_response > seconds(0) && !s.first_response.started_at && !closed) {
    start_clock(s.first_response, c.opened_at, policy.first_response, policy, calendar);
  }
  if (policy.resolution > seconds(0) && !s.resolution.started_at && !closed) {
    start_clock(s.resolution, c.opened_at, policy.resolution, policy, calendar);
  }

  // Stops, at the instants the facts record.
  if (s.first_response.running() && c.first_response_at) {
    stop_clock(s.first_response, *c.first_response_at, s.paused_at, calendar);
  }
  if (s.next_response.running() && c.last_outbound_at &&
      *c.last_outbound_at > *s.next_response.started_at) {
    stop_clock(s.next_response, *c.last_outbound_at, s.paused_at, calendar);
    if (s.next_response.met()) {
      ++s.next_responses_met;
    } else {
      ++s.next_responses_breached;
    }
  }
  if (s.resolution.running() && c.resolved_at &&
      (c.status == ConversationStatus::kResolved || closed)) {
    stop_clock(s.resolution, *c.resolved_at, s.paused_at, calendar);
  }

  // A next-response cycle for a customer message that waits for an answer.
  if (policy.next_response > seconds(0) && c.first_response_at && c.last_inbound_at && !closed &&
      !s.next_response.running()) {
    Timestamp answered = *c.first_response_at;
    if (c.last_outbound_at) answered = std::max(answered, *c.last_outbound_at);
    const bool new_message =
        !s.next_response.started_at || *c.last_inbound_at > *s.next_response.started_at;
    if (*c.last_inbound_at > answered && new_message) {
      start_clock(s.next_response, *c.last_inbound_at, policy.next_response, policy, calendar);
    }
  }

  // A reopen: the resolution clock resumes with the business time it had left when it stopped.
  // Its deadlines are re-anchored at the pause's first instant (or now when no pause was seen),
  // so the resume below moves them like those of every other running clock.
  if (active && s.resolution.started_at && s.resolution.stopped_at) {
    const Timestamp stopped = *s.resolution.stopped_at;
    const Timestamp anchor = s.paused_at ? std::max(*s.paused_at, *s.resolution.started_at) : now;
    move_deadline(s.resolution.warn_at, stopped, anchor, calendar);
    move_deadline(s.resolution.due_at, stopped, anchor, calendar);
    s.resolution.stopped_at.reset();
  }

  if (counts_as_paused(c.status)) {
    if (!s.paused_at) s.paused_at = now;
    return;
  }
  if (s.paused_at) {
    for (SlaClock* clock : {&s.first_response, &s.next_response, &s.resolution}) {
      if (!clock->running()) continue;
      const Timestamp from = paused_since(*clock, *s.paused_at);
      move_deadline(clock->warn_at, from, now, calendar);
      move_deadline(clock->due_at, from, now, calendar);
    }
    s.paused_at.reset();
  }
}

std::optional<Timestamp> next_sla_timer(const SlaState& s) {
  if (s.paused_at) return std::nullopt;
  std::optional<Timestamp> next;
  auto consider = [&next](const std::optional<Timestamp>& at) {
    if (at && (!next || *at < *next)) next = at;
  };
  for (const SlaClock* clock : {&s.first_response, &s.next_response, &s.resolution}) {
    if (!clock->running()) continue;
    if (!clock->warned) consider(clock->warn_at);
    if (!clock->breached) consider(clock->due_at);
  }
  return next;
}

std::vector<SlaFired> fire_sla_timers(SlaState& s, Timestamp now) {
  std::vector<SlaFired> fired;
  if (s.paused_at) return fired;
  for (SlaClockKind kind :
       {SlaClockKind::kFirstResponse, SlaClockKind::kNextResponse, SlaClockKind::kResolution}) {
    SlaClock& clock = s.clock(kind);
    if (!clock.running()) continue;
    if (!clock.warned && clock.warn_at && *clock.warn_at <= now) {
      clock.warned = true;
      fired.push_back({kind, false, *clock.warn_at});
    }
    if (!clock.breached && clock.due_at && *clock.due_at <= now) {
      clock.breached = true;
      fired.push_back({kind, true, *clock.due_at});
    }
  }
  // By instant; at the same instant warnings before breaches, then in clock order.
  std::stable_sort(fired.begin(), fired.end(), [](const SlaFired& a, const SlaFired& b) {
    return a.at != b.at ? a.at < b.at : (!a.breach && b.breach);
  });
  return fired;
}

}  // namespace omni::detail
