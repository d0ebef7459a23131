// The scenario document of omni/simulation.h: JSON read with RapidJSON into a Scenario. Every
// error names the field it concerns as a path into the document ("arrivals[1].per_hour").
// docs/simulation.md is the reference of the format.
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>

#include "internal/macros.h"
#include "omni/simulation.h"

namespace omni {

std::string_view to_string(DurationDistribution::Shape shape) {
  switch (shape) {
    case DurationDistribution::Shape::kFixed:
      return "fixed";
    case DurationDistribution::Shape::kExponential:
      return "exponential";
    case DurationDistribution::Shape::kUniform:
      return "uniform";
  }
  return "fixed";
}

namespace {

using rapidjson::Value;

// Longest duration a scenario may name: a year, so that times stay far inside Timestamp's range.
constexpr double kMaxSeconds = 366.0 * 24 * 60 * 60;
// Agents and arrival streams a scenario may define; a planning tool, not a load generator.
constexpr int kMaxAgentsPerGroup = 10000;
constexpr std::size_t kMaxFixedTimes = 100000;
// The engine's limits on names (teams, skills) and language tags.
constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMaxLanguageBytes = 35;

Status invalid(const std::string& field, std::string message) {
  return Status::invalid_argument(field + ": " + std::move(message)).with_field(field);
}

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string element(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string_view text_of(const Value& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

// An object whose members are read one by one; unknown members are an error (a typo would
// otherwise silently fall back to a default).
class ObjectReader {
 public:
  ObjectReader(const Value& object, std::string path) : object_(object), path_(std::move(path)) {}

  static Result<ObjectReader> open(const Value& v, const std::string& path) {
    if (!v.IsObject()) return invalid(path.empty() ? "scenario" : path, "expected an object");
    return ObjectReader(v, path);
  }

  // The member, or nullptr when it is absent or null.
  const Value* find(std::string_view key) {
    seen_.emplace_back(key);
    auto it = object_.FindMember(Value(rapidjson::StringRef(key.data(), key.size())));
    if (it == object_.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
  }
  std::string field(std::string_view key) const { return child(path_, key); }
  const std::string& path() const { return path_; }

  Status no_unknown_members() const {
    for (auto it = object_.MemberBegin(); it != object_.MemberEnd(); ++it) {
      std::string_view name = text_of(it->name);
      for (auto earlier = object_.MemberBegin(); earlier != it; ++earlier) {
        if (text_of(earlier->name) == name) return invalid(child(path_, name), "given twice");
      }
      bool known = false;
      for (const auto& s : seen_)
        known = known || s == name;
      if (!known) return invalid(child(path_, name), "unknown field");
    }
    return Status();
  }

 private:
  const Value& object_;
  std::string path_;
  std::vector<std::string> seen_;
};

Result<std::string> read_string(const Value& v, const std::string& field) {
  if (!v.IsString()) return invalid(field, "expected a string");
  return std::string(text_of(v));
}

Result<double> read_number(const Value& v, const std::string& field, double min, double max) {
  if (!v.IsNumber()) return invalid(field, "expected a number");
  double d = v.GetDouble();
  if (!std::isfinite(d) || d < min || d > max) {
    return invalid(field, fmt::format("must be between {} and {}", min, max));
  }
  return d;
}

Result<int> read_int(const Value& v, const std::string& field, int min, int max) {
  if (!v.IsInt()) return invalid(field, "expected an integer");
  int i = v.GetInt();
  if (i < min || i > max) return invalid(field, fmt::format("must be between {} and {}", min, max));
  return i;
}

Result<bool> read_bool(const Value& v, const std::string& field) {
  if (!v.IsBool()) return invalid(field, "expected true or false");
  return v.GetBool();
}

Result<double> read_probability(const Value& v, const std::string& field) {
  return read_number(v, field, 0, 1);
}

Result<std::vector<std::string>> read_string_list(const Value& v, const std::string& field) {
  if (!v.IsArray()) return invalid(field, "expected an array of strings");
  std::vector<std::string> out;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    OMNI_ASSIGN_OR_RETURN(std::string s, read_string(v[i], element(field, i)));
    if (s.empty()) return invalid(element(field, i), "must not be empty");
    if (s.size() > kMaxNameBytes) return invalid(element(field, i), "longer than 256 bytes");
    out.push_back(std::move(s));
  }
  return out;
}

// "90", "45s", "30m", "8h", "2d", "1h30m": seconds.
std::optional<double> parse_duration_text(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits = i;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
      ++digits;
    if (digits == i || digits - i > 9) return std::nullopt;
    long long number = 0;
    std::from_chars(text.data() + i, text.data() + digits, number);
    if (digits == text.size()) {
      if (i != 0) return std::nullopt;  // "1h30": a unit is needed after the first part
      return static_cast<double>(number);
    }
    double unit = 0;
    switch (text[digits]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        return std::nullopt;
    }
    total += static_cast<double>(number) * unit;
    i = digits + 1;
  }
  return total;
}

// A duration written as seconds (a number) or as text ("8h", "1h30m").
Result<std::chrono::seconds> read_duration(const Value& v, const std::string& field) {
  double seconds = 0;
  if (v.IsNumber()) {
    OMNI_ASSIGN_OR_RETURN(seconds, read_number(v, field, 0, kMaxSeconds));
  } else if (v.IsString()) {
    auto parsed = parse_duration_text(text_of(v));
    if (!parsed) {
      return invalid(field,
                     "expected seconds or a duration such as \"90s\", \"30m\", \"8h\", "
                     "\"1h30m\", \"2d\"");
    }
    seconds = *parsed;
    if (seconds > kMaxSeconds) return invalid(field, "longer than 366 days");
  } else {
    return invalid(field, "expected seconds or a duration such as \"8h\"");
  }
  return std::chrono::seconds(static_cast<std::int64_t>(std::llround(seconds)));
}

// A whole number of seconds (the *_s fields).
Result<std::chrono::seconds> read_seconds(const Value& v, const std::string& field) {
  OMNI_ASSIGN_OR_RETURN(double s, read_number(v, field, 0, kMaxSeconds));
  return std::chrono::seconds(static_cast<std::int64_t>(std::llround(s)));
}

// A number (fixed seconds) or {"distribution": "exponential", "mean": 300} /
// {"distribution": "uniform", "min": 60, "max": 600} / {"distribution": "fixed", "mean": 30}.
Result<DurationDistribution> read_distribution(const Value& v, const std::string& field,
                                               DurationDistribution::Shape default_shape) {
  DurationDistribution d;
  if (v.IsNumber()) {
    OMNI_ASSIGN_OR_RETURN(d.mean, read_number(v, field, 0, kMaxSeconds));
    return d;
  }
  OMNI_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, field));
  d.shape = default_shape;
  if (const Value* m = r.find("distribution")) {
    OMNI_ASSIGN_OR_RETURN(std::string name, read_string(*m, r.field("distribution")));
    if (name == "fixed") {
      d.shape = DurationDistribution::Shape::kFixed;
    } else if (name == "exponential") {
      d.shape = DurationDistribution::Shape::kExponential;
    } else if (name == "uniform") {
      d.shape = DurationDistribution::Shape::kUniform;
    } else {
      return invalid(r.field("distribution"), "expected fixed, exponential or uniform");
    }
  }
  const Value* mean = r.find("mean");
  const Value* min = r.find("min");
  const Value* max = r.find("max");
  if (d.shape == DurationDistribution::Shape::kUniform) {
    if (mean) return invalid(r.field("mean"), "a uniform distribution takes min and max");
    if (!min) return invalid(r.field("min"), "required for a uniform distribution");
    if (!max) return invalid(r.field("max"), "required for a uniform distribution");
    OMNI_ASSIGN_OR_RETURN(d.min, read_number(*min, r.field("min"), 0, kMaxSeconds));
    OMNI_ASSIGN_OR_RETURN(d.max, read_number(*max, r.field("max"), 0, kMaxSeconds));
    if (d.max < d.min) return invalid(r.field("max"), "must not be less than min");
  } else {
    if (min || max) {
      return invalid(r.field(min ? "min" : "max"), "only a uniform distribution takes min and max");
    }
    if (!mean) return invalid(r.field("mean"), "required");
    OMNI_ASSIGN_OR_RETURN(d.mean, read_number(*mean, r.field("mean"), 0, kMaxSeconds));
  }
  OMNI_RETURN_IF_ERROR(r.no_unknown_members());
  return d;
}

Result<ChannelKind> read_channel_kind(const Value& v, const std::string& field) {
  OMNI_ASSIGN_OR_RETURN(std::string name, read_string(v, field));
  auto kind = parse_channel_kind(name);
  if (!kind) return invalid(field, "unknown channel kind \"" + name + "\"");
  return *kind;
}

Result<Priority> read_priority(const Value& v, const std::string& field) {
  OMNI_ASSIGN_OR_RETURN(std::string name, read_string(v, field));
  auto priority = parse_priority(name);
  if (!priority) return invalid(field, "expected low, normal, high or urgent");
  return *priority;
}

// "08:00", "17:30", "24:00": minutes since local midnight.
Result<std::chrono::minutes> read_clock_time(const Value& v, const std::string& field) {
  OMNI_ASSIGN_OR_RETURN(std::string text, read_string(v, field));
  auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    return invalid(field, "expected a time of day \"HH:MM\"");
  }
  int hours = (text[0] - '0') * 10 + (text[1] - '0');
  int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) {
    return invalid(field, "expected a time of day from \"00:00\" to \"24:00\"");
  }
  return std::chrono::minutes(hours * 60 + minutes);
}

Result<OpenInterval> read_interval(const Value& v, const std::string& field) {
  if (!v.IsArray() || v.Size() != 2) return invalid(field, "expected [\"HH:MM\", \"HH:MM\"]");
  OpenInterval interval;
  OMNI_ASSIGN_OR_RETURN(interval.open, read_clock_time(v[0], element(field, 0)));
  OMNI_ASSIGN_OR_RETURN(interval.close, read_clock_time(v[1], element(field, 1)));
  return interval;
}

constexpr std::array<const char*, 7> kWeekdayNames = {"sun", "mon", "tue", "wed",
                                                      "thu", "fri", "sat"};

Result<BusinessHours> read_hours(const Value& v, const std::string& path) {
  OMNI_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path));
  BusinessHours hours;
  if (const Value* tz = r.find("time_zone")) {
    OMNI_ASSIGN_OR_RETURN(hours.time_zone, read_string(*tz, r.field("time_zone")));
  }
  const Value* weekdays = r.find("weekdays");
  const Value* week = r.find("week");
  if (!weekdays && !week) {
    hours = BusinessHours::always_open(hours.time_zone);
  }
  if (weekdays) {
    OMNI_ASSIGN_OR_RETURN(ObjectReader w, ObjectReader::open(*weekdays, r.field("weekdays")));
    const Value* open = w.find("open");
    const Value* close = w.find("close");
    if (!open) return invalid(w.field("open"), "required");
    if (!close) return invalid(w.field("close"), "required");
    OpenInterval interval;
    OMNI_ASSIGN_OR_RETURN(interval.open, read_clock_time(*open, w.field("open")));
    OMNI_ASSIGN_OR_RETURN(interval.close, read_clock_time(*close, w.field("close")));
    OMNI_RETURN_IF_ERROR(w.no_unknown_members());
    for (std::size_t day = 1; day <= 5; ++day)
      hours.week[day] = {interval};
  }
  if (week) {
    OMNI_ASSIGN_OR_RETURN(ObjectReader w, ObjectReader::open(*week, r.field("week")));
    for (std::size_t day = 0; day < kWeekdayNames.size(); ++day) {
      const Value* intervals = w.find(kWeekdayNames[day]);
      if (!intervals) continue;
      const std::string field = w.field(kWeekdayNames[day]);
      if (!intervals->IsArray()) return invalid(field, "expected a list of [\"HH:MM\", \"HH:MM\"]");
      hours.week[day].clear();
      for (rapidjson::SizeType i = 0; i < intervals->Size(); ++i) {
        OMNI_ASSIGN_OR_RETURN(OpenInterval interval,
                              read_interval((*intervals)[i], element(field, i)));
        hours.week[day].push_back(interval);
      }
    }
    OMNI_RETURN_IF_ERROR(w.no_unknown_members());
  }
  if (const Value* holidays = r.find("holidays")) {
    OMNI_ASSIGN_OR_RETURN(hours.holidays, read_string_list(*holidays, r.field("holidays")));
  }
  OMNI_RETURN_IF_ERROR(r.no_unknown_members());
  // The calendar's own checks, with its field names mapped onto the document's.
  auto calendar = BusinessCalendar::create(hours);
  if (!calendar.ok()) {
    std::string field = calendar.status().field();
    // "week[1][0]" -> "week.mon[0]" (the weekdays shorthand fills week.mon to week.fri).
    if (field.rfind("week[", 0) == 0 && field.size() > 7 && field[6] == ']' && field[5] >= '0' &&
        field[5] <= '6') {
      field = "week." + std::string(kWeekdayNames[static_cast<std::size_t>(field[5] - '0')]) +
              field.substr(7);
    }
    const std::string full = child(path, field.empty() ? "" : field);
    return Status::invalid_argument(full + ": " + calendar.status().message()).with_field(full);
  }
  return hours;
}

Result<SlaPolicy> read_sla_policy(const Value& v, const std::string& path) {
  OMNI_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path));
  SlaPolicy p;
  if (const Value* m = r.find("channel")) {
    OMNI_ASSIGN_OR_RETURN(p.channel_kind, read_channel_kind(*m, r.field("channel")));
  }
  if (const Value* m = r.find("priority")) {
    OMNI_ASSIGN_OR_RETURN(p.priority, read_priority(*m, r.field("priority")));
  }
  if (const Value* m = r.find("first_response_s")) {
    OMNI_ASSIGN_OR_RETURN(p.first_response, read_seconds(*m, r.field("first_response_s")));
  }
  if (const Value* m = r.find("next_response_s")) {
    OMNI_ASSIGN_OR_RETURN(p.next_response, read_seconds(*m, r.field("next_response_s")));
  }
  if (const Value* m = r.find("resolution_s")) {
    OMNI_ASSIGN_OR_RETURN(p.resolution, read_seconds(*m, r.field("resolution_s")));
  }
  if (const Value* m = r.find("warning_ratio")) {
    OMNI_ASSIGN_OR_RETURN(p.warning_ratio, read_number(*m, r.field("warning_ratio"), 0, 1));
    if (p.warning_ratio <= 0) return invalid(r.field("warning_ratio"), "must be above 0");
  }
  if (const Value* m = r.find("hours")) {
    OMNI_ASSIGN_OR_RETURN(p.hours, read_hours(*m, r.field("hours")));
  }
  OMNI_RETURN_IF_ERROR(r.no_unknown_members());
  return p;
}

Result<RoutingPolicy> read_routing(const Value& v, const std::string& path) {
  OMNI_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path));
  RoutingPolicy p;
  if (const Value* m = r.find("strategy")) {
    OMNI_ASSIGN_OR_RETURN(std::string name, read_string(*m, r.field("strategy")));
    if (name == "least_loaded") {
      p.strategy = RoutingStrategy::kLeastLoaded;
    } else if (name == "round_robin") {
      p.strategy = RoutingStrategy::kRoundRobin;
    } else {
      return invalid(r.field("strategy"), "expected least_loaded or round_robin");
    }
  }
  if (const Value* m = r.find("sticky")) {
    OMNI_ASSIGN_OR_RETURN(p.sticky, read_bool(*m, r.field("sticky")));
  }
  if (const Value* m = r.find("sticky_wait_s")) {
    OMNI_ASSIGN_OR_RETURN(p.sticky_wait, read_seconds(*m, r.field("sticky_wait_s")));
  }
  if (const Value* m = r.find("offer_timeout_s")) {
    OMNI_ASSIGN_OR_RETURN(p.offer_timeout, read_seconds(*m, r.field("offer_timeout_s")));
  }
  if (const Value* m = r.find("automatic")) {
    OMNI_ASSIGN_OR_RETURN(p.automatic, read_bool(*m, r.field("automatic")));
  }
  OMNI_RETURN_IF_ERROR(r.no_unknown_members());
  return p;
}

Result<AgentGroupSpec> read_agent_group(const Value& v, const std::string& path,
                                        std::size_t index) {
  OMNI_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path));
  AgentGroupSpec g;
  g.name = "agent";
  if (index > 0) g.name += std::to_string(index + 1);
  if (const Value* m = r.find("name")) {
    OMNI_ASSIGN_OR_RETURN(g.name, read_string(*m, r.field("name")));
    if (g.name.empty()) return invalid(r.field("name"), "must not be empty");
    if (g.name.size() > 100) return invalid(r.field("name"), "longer than 100 bytes");
    if (g.name == "all") return invalid(r.field("name"), "\"all\" names the total of the report");
  }
  if (const Value* m = r.find("count")) {
    OMNI_ASSIGN_OR_RETURN(g.count, read_int(*m, r.field("count"), 0, kMaxAgentsPerGroup));
  }
  if (const Value* m = r.find("kind")) {
    OMNI_ASSIGN_OR_RETURN(std::string name, read_string(*m, r.field("kind")));
    auto kind = parse_agent_kind(name);
    if (!kind) return invalid(r.field("kind"), "expected human or bot");
    g.kind = *kind;
  }
  if (const Value* m = r.find("teams")) {
    OMNI_ASSIGN_OR_RETURN(g.teams, read_string_list(*m, r.field("teams")));
  }
  if (const Value* m = r.find("skills")) {
    OMNI_ASSIGN_OR_RETURN(g.skills, read_string_list(*m, r.field("skills")));
  }
  if (const Value* m = r.find("languages")) {
    OMNI_ASSIGN_OR_RETURN(g.languages, read_string_list(*m, r.field("languages")));
  }
  if (const Value* m = r.find("capacity")) {
    OMNI_ASSIGN_OR_RETURN(ObjectReader c, ObjectReader::open(*m, r.field("capacity")));
    if (const Value* s = c.find("sync")) {
      OMNI_ASSIGN_OR_RETURN(g.capacity.synchronous, read_int(*s, c.field("sync"), 0, 1000));
    }
    if (const Value* s = c.find("async")) {
      OMNI_ASSIGN_OR_RETURN(g.capacity.asynchronous, read_int(*s, c.field("async"), 0, 1000));
    }
    OMNI_RETURN_IF_ERROR(c.no_unknown_members());
  }
  if (const Value* m = r.find("accept_delay_s")) {
    OMNI_ASSIGN_OR_RETURN(g.accept_delay, read_distribution(*m, r.field("accept_delay_s"),
                                                            DurationDistribution::Shape::kFixed));
  }
  if (const Value* m = r.find("decline_probability")) {
    OMNI_ASSIGN_OR_RETURN(g.decline_probability,
                          read_probability(*m, r.field("decline_probability")));
  }
  if (const Value* m = r.find("shift")) {
    OMNI_ASSIGN_OR_RETURN(ObjectReader s, ObjectReader::open(*m, r.field("shift")));
    if (const Value* t = s.find("start")) {
      OMNI_ASSIGN_OR_RETURN(g.shift_start, read_duration(*t, s.field("start")));
    }
    if (const Value* t = s.find("end")) {
      OMNI_ASSIGN_OR_RETURN(g.shift_end, read_duration(*t, s.field("end")));
      if (*g.shift_end <= g.shift_start) return invalid(s.field("end"), "must be after start");
    }
    OMNI_RETURN_IF_ERROR(s.no_unknown_members());
  }
  OMNI_RETURN_IF_ERROR(r.no_unknown_members());
  return g;
}

Result<ArrivalStreamSpec> read_arrival_stream(const Value& v, const std::string& path) {
  OMNI_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path));
  ArrivalStreamSpec a;
  const Value* channel = r.find("channel");
  if (!channel) return invalid(r.field("channel"), "required");
  OMNI_ASSIGN_OR_RETURN(a.channel, read_channel_kind(*channel, r.field("channel")));
  if (const Value* m = r.find("per_hour")) {
    const std::string field = r.field("per_hour");
    if (m->IsObject()) {
      // {"0h": 4, "2h": 12, "6h": 6}: the rate from each offset on.
      for (auto it = m->MemberBegin(); it != m->MemberEnd(); ++it) {
        const std::string key(text_of(it->name));
        const std::string entry = field + "." + key;
        auto from = parse_duration_text(key);
        if (!from || *from > kMaxSeconds) {
          return invalid(entry, "expected a duration from the start such as \"2h\" as the key");
        }
        ArrivalRateChange change;
        change.from = std::chrono::seconds(static_cast<std::int64_t>(std::llround(*from)));
        OMNI_ASSIGN_OR_RETURN(change.per_hour, read_number(it->value, entry, 0, 100000));
        for (const auto& other : a.rate_changes) {
          if (other.from == change.from) return invalid(entry, "a second rate for that time");
        }
        a.rate_changes.push_back(change);
      }
      std::sort(
          a.rate_changes.begin(), a.rate_changes.end(),
          [](const ArrivalRateChange& x, const ArrivalRateChange& y) { return x.from < y.from; });
    } else {
      if (!m->IsNumber()) {
        return invalid(field,
                       "expected a number, or an object of rates by time such as "
                       "{\"0h\": 4, \"2h\": 12}");
      }
      OMNI_ASSIGN_OR_RETURN(a.per_hour, read_number(*m, field, 0, 100000));
    }
  }
  if (const Value* m = r.find("times")) {
    const std::string field = r.field("times");
    if (!m->IsArray()) return invalid(field, "expected an array of durations from the start");
    if (m->Size() > kMaxFixedTimes) return invalid(field, "more than 100000 arrivals");
    for (rapidjson::SizeType i = 0; i < m->Size(); ++i) {
      OMNI_ASSIGN_OR_RETURN(std::chrono::seconds t, read_duration((*m)[i], element(field, i)));
      a.times.push_back(t);
    }
  }
  if (const Value* m = r.find("priority")) {
    OMNI_ASSIGN_OR_RETURN(a.priority, read_priority(*m, r.field("priority")));
  }
  if (const Value* m = r.find("team")) {
    OMNI_ASSIGN_OR_RETURN(a.team, read_string(*m, r.field("team")));
    if (a.team.size() > kMaxNameBytes) return invalid(r.field("team"), "longer than 256 bytes");
  }
  if (const Value* m = r.find("skills")) {
    OMNI_ASSIGN_OR_RETURN(a.skills, read_string_list(*m, r.field("skills")));
  }
  if (const Value* m = r.find("language")) {
    OMNI_ASSIGN_OR_RETURN(a.language, read_string(*m, r.field("language")));
    if (a.language.size() > kMaxLanguageBytes) {
      return invalid(r.field("language"), "longer than 35 bytes");
    }
  }
  if (const Value* m = r.find("handle_time_s")) {
    OMNI_ASSIGN_OR_RETURN(
        a.handle_time,
        read_distribution(*m, r.field("handle_time_s"), DurationDistribution::Shape::kExponential));
  }
  if (const Value* m = r.find("first_reply_s")) {
    OMNI_ASSIGN_OR_RETURN(a.first_reply, read_distribution(*m, r.field("first_reply_s"),
                                                           DurationDistribution::Shape::kFixed));
  }
  if (const Value* m = r.find("returning_customer_probability")) {
    OMNI_ASSIGN_OR_RETURN(a.returning_customer_probability,
                          read_probability(*m, r.field("returning_customer_probability")));
  }
  if (const Value* m = r.find("channel_switch")) {
    OMNI_ASSIGN_OR_RETURN(ObjectReader s, ObjectReader::open(*m, r.field("channel_switch")));
    const Value* to = s.find("to");
    if (!to) return invalid(s.field("to"), "required");
    OMNI_ASSIGN_OR_RETURN(a.switch_to, read_channel_kind(*to, s.field("to")));
    if (*a.switch_to == a.channel) return invalid(s.field("to"), "the stream's own channel");
    a.switch_probability = 1;
    if (const Value* p = s.find("probability")) {
      OMNI_ASSIGN_OR_RETURN(a.switch_probability, read_probability(*p, s.field("probability")));
    }
    OMNI_RETURN_IF_ERROR(s.no_unknown_members());
  }
  if (const Value* m = r.find("abandon_after_s")) {
    OMNI_ASSIGN_OR_RETURN(a.abandon_after, read_seconds(*m, r.field("abandon_after_s")));
  }
  OMNI_RETURN_IF_ERROR(r.no_unknown_members());
  return a;
}

Result<Scenario> read_scenario(const Value& root) {
  OMNI_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(root, ""));
  Scenario s;
  if (const Value* m = r.find("seed")) {
    if (!m->IsUint64()) return invalid("seed", "expected a non-negative integer");
    s.seed = m->GetUint64();
  }
  if (const Value* m = r.find("start")) {
    OMNI_ASSIGN_OR_RETURN(std::string text, read_string(*m, "start"));
    auto start = parse_timestamp(text);
    if (!start.ok())
      return invalid("start", "expected an RFC 3339 time such as 2026-03-02T08:00:00Z");
    s.start = *start;
  }
  if (const Value* m = r.find("duration")) {
    OMNI_ASSIGN_OR_RETURN(s.duration, read_duration(*m, "duration"));
  }
  if (const Value* m = r.find("drain")) {
    OMNI_ASSIGN_OR_RETURN(s.drain, read_duration(*m, "drain"));
  }
  if (const Value* m = r.find("routing")) {
    OMNI_ASSIGN_OR_RETURN(s.routing, read_routing(*m, "routing"));
  }
  if (const Value* m = r.find("service_level")) {
    OMNI_ASSIGN_OR_RETURN(ObjectReader l, ObjectReader::open(*m, "service_level"));
    if (const Value* t = l.find("sync_s")) {
      OMNI_ASSIGN_OR_RETURN(s.service_level.synchronous, read_seconds(*t, l.field("sync_s")));
    }
    if (const Value* t = l.find("async_s")) {
      OMNI_ASSIGN_OR_RETURN(s.service_level.asynchronous, read_seconds(*t, l.field("async_s")));
    }
    OMNI_RETURN_IF_ERROR(l.no_unknown_members());
  }
  auto read_list = [&](const char* key, auto&& read_one) -> Status {
    const Value* m = r.find(key);
    if (!m) return Status();
    if (!m->IsArray()) return invalid(key, "expected an array");
    for (rapidjson::SizeType i = 0; i < m->Size(); ++i) {
      OMNI_RETURN_IF_ERROR(read_one((*m)[i], element(key, i), i));
    }
    return Status();
  };
  OMNI_RETURN_IF_ERROR(
      read_list("sla", [&](const Value& v, const std::string& path, std::size_t) -> Status {
        OMNI_ASSIGN_OR_RETURN(SlaPolicy p, read_sla_policy(v, path));
        for (const auto& other : s.sla) {
          if (other.channel_kind == p.channel_kind && other.priority == p.priority) {
            return invalid(path, "a second policy for the same channel and priority");
          }
        }
        s.sla.push_back(std::move(p));
        return Status();
      }));
  OMNI_RETURN_IF_ERROR(
      read_list("agents", [&](const Value& v, const std::string& path, std::size_t i) -> Status {
        OMNI_ASSIGN_OR_RETURN(AgentGroupSpec g, read_agent_group(v, path, i));
        for (const auto& other : s.agents) {
          if (other.name == g.name) return invalid(path + ".name", "a second group of that name");
        }
        s.agents.push_back(std::move(g));
        return Status();
      }));
  OMNI_RETURN_IF_ERROR(
      read_list("arrivals", [&](const Value& v, const std::string& path, std::size_t) -> Status {
        OMNI_ASSIGN_OR_RETURN(ArrivalStreamSpec a, read_arrival_stream(v, path));
        s.arrivals.push_back(std::move(a));
        return Status();
      }));
  OMNI_RETURN_IF_ERROR(r.no_unknown_members());
  for (std::size_t i = 0; i < s.arrivals.size(); ++i) {
    const auto& times = s.arrivals[i].times;
    for (std::size_t j = 0; j < times.size(); ++j) {
      if (times[j] >= s.duration) {
        return invalid(element(element("arrivals", i) + ".times", j),
                       "must lie within the duration");
      }
    }
  }
  return s;
}

}  // namespace

Result<Scenario> parse_scenario(std::string_view json) {
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  if (document.HasParseError()) {
    return Status::invalid_argument(
               fmt::format("scenario is not valid JSON: {} at offset {}",
                           rapidjson::GetParseError_En(document.GetParseError()),
                           document.GetErrorOffset()))
        .with_field("scenario");
  }
  try {
    return read_scenario(document);
  } catch (const detail::JsonShapeError& e) {
    return Status::invalid_argument(std::string("scenario: ") + e.what()).with_field("scenario");
  }
}

}  // namespace omni
