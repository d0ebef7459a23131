// The simulation report as JSON and as text tables (omni/simulation.h, docs/simulation.md).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "omni/simulation.h"

namespace omni {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer& w, std::string_view name) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
void put(Writer& w, std::string_view name, std::string_view value) {
  key(w, name);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void put(Writer& w, std::string_view name, int value) {
  key(w, name);
  w.Int(value);
}
void put(Writer& w, std::string_view name, std::int64_t value) {
  key(w, name);
  w.Int64(value);
}
void put(Writer& w, std::string_view name, double value) {
  key(w, name);
  w.Double(value);
}

void write_clock(Writer& w, std::string_view name, int targets, int met, double attainment,
                 int breaches) {
  key(w, name);
  w.StartObject();
  put(w, "targets", targets);
  put(w, "met", met);
  put(w, "attainment", attainment);
  put(w, "breaches", breaches);
  w.EndObject();
}

void write_traffic(Writer& w, const TrafficReport& t) {
  w.StartObject();
  put(w, "channel", t.channel);
  put(w, "arrivals", t.arrivals);
  put(w, "answered", t.answered);
  put(w, "abandoned", t.abandoned);
  put(w, "unanswered", t.unanswered);
  put(w, "resolved", t.resolved);
  put(w, "answered_within_threshold", t.answered_within_threshold);
  put(w, "service_level", t.service_level);
  key(w, "waiting_s");
  w.StartObject();
  put(w, "count", t.waiting.count);
  put(w, "mean", t.waiting.mean);
  put(w, "p50", t.waiting.p50);
  put(w, "p90", t.waiting.p90);
  put(w, "max", t.waiting.max);
  w.EndObject();
  key(w, "sla");
  w.StartObject();
  write_clock(w, "first_response", t.first_response_targets, t.first_response_met,
              t.first_response_attainment, t.first_response_breaches);
  write_clock(w, "resolution", t.resolution_targets, t.resolution_met, t.resolution_attainment,
              t.resolution_breaches);
  put(w, "warnings", t.sla_warnings);
  put(w, "breaches", t.sla_breaches);
  w.EndObject();
  key(w, "handoffs");
  w.StartObject();
  put(w, "count", t.handoffs);
  put(w, "per_conversation", t.handoffs_per_conversation);
  put(w, "refused", t.handoffs_refused);
  w.EndObject();
  w.EndObject();
}

void write_group(Writer& w, const AgentGroupReport& g) {
  w.StartObject();
  put(w, "name", g.name);
  put(w, "agents", g.agents);
  put(w, "on_shift_hours", g.on_shift_hours);
  put(w, "occupancy", g.occupancy);
  put(w, "sync_utilization", g.synchronous_utilization);
  put(w, "async_utilization", g.asynchronous_utilization);
  put(w, "assigned", g.assigned);
  w.EndObject();
}

// 8.1s, 2m05s, 1h02m
std::string duration_text(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const auto whole = static_cast<long long>(std::llround(seconds));
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, (whole % 3600) / 60);
}

std::string percent(double ratio) {
  return fmt::format("{:.1f}%", ratio * 100);
}

std::string attainment_text(int met, int targets, double attainment) {
  if (targets == 0) return "-";
  return fmt::format("{}/{} {}", met, targets, percent(attainment));
}

}  // namespace

std::string report_json(const SimulationReport& r) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  key(w, "seed");
  w.Uint64(r.seed);
  put(w, "start", format_timestamp(r.start));
  put(w, "arrivals_end", format_timestamp(r.arrivals_end));
  put(w, "end", format_timestamp(r.end));
  key(w, "overall");
  write_traffic(w, r.overall);
  key(w, "channels");
  w.StartArray();
  for (const auto& t : r.channels)
    write_traffic(w, t);
  w.EndArray();
  key(w, "agents");
  w.StartObject();
  key(w, "all");
  write_group(w, r.all_agents);
  key(w, "groups");
  w.StartArray();
  for (const auto& g : r.agent_groups)
    write_group(w, g);
  w.EndArray();
  w.EndObject();
  key(w, "offers");
  w.StartObject();
  put(w, "made", r.offers_made);
  put(w, "accepted", r.offers_accepted);
  put(w, "declined", r.offers_declined);
  put(w, "expired", r.offers_expired);
  put(w, "late_answers", r.late_answers);
  w.EndObject();
  key(w, "returning_customers");
  w.StartObject();
  put(w, "conversations", r.returning_conversations);
  put(w, "answered", r.returning_answered);
  put(w, "with_previous_agent", r.returning_with_previous_agent);
  put(w, "previous_agent_share", r.returning_previous_agent_share);
  w.EndObject();
  put(w, "ineligible_assignments", r.ineligible_assignments);
  put(w, "capacity_violations", r.capacity_violations);
  put(w, "steps", r.steps);
  put(w, "events", r.events);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string report_text(const SimulationReport& r) {
  std::string out;
  auto line = [&out](const std::string& text) {
    out += text;
    out += '\n';
  };
  line(fmt::format("seed {}, arrivals {} to {}, ended {}", r.seed, format_timestamp(r.start),
                   format_timestamp(r.arrivals_end), format_timestamp(r.end)));
  line("");

  std::vector<const TrafficReport*> rows;
  for (const auto& t : r.channels)
    rows.push_back(&t);
  rows.push_back(&r.overall);

  line(fmt::format("{:<11} {:>8} {:>8} {:>9} {:>10} {:>8}  {:>9} {:>8} {:>8} {:>8}", "CHANNEL",
                   "ARRIVED", "ANSWERED", "ABANDONED", "UNANSWERED", "SERVICE", "WAIT MEAN", "P50",
                   "P90", "MAX"));
  for (const TrafficReport* t : rows) {
    line(fmt::format("{:<11} {:>8} {:>8} {:>9} {:>10} {:>8}  {:>9} {:>8} {:>8} {:>8}", t->channel,
                     t->arrivals, t->answered, t->abandoned, t->unanswered,
                     percent(t->service_level), duration_text(t->waiting.mean),
                     duration_text(t->waiting.p50), duration_text(t->waiting.p90),
                     duration_text(t->waiting.max)));
  }
  line("");
  line(fmt::format("{:<11} {:>20} {:>20} {:>9} {:>9} {:>9} {:>8}", "CHANNEL", "FIRST RESPONSE",
                   "RESOLUTION", "BREACHES", "HANDOFFS", "PER CONV", "REFUSED"));
  for (const TrafficReport* t : rows) {
    line(fmt::format(
        "{:<11} {:>20} {:>20} {:>9} {:>9} {:>9.2f} {:>8}", t->channel,
        attainment_text(t->first_response_met, t->first_response_targets,
                        t->first_response_attainment),
        attainment_text(t->resolution_met, t->resolution_targets, t->resolution_attainment),
        t->sla_breaches, t->handoffs, t->handoffs_per_conversation, t->handoffs_refused));
  }
  line("");
  line(fmt::format("{:<16} {:>6} {:>9} {:>9} {:>9} {:>10} {:>8}", "AGENT GROUP", "AGENTS",
                   "ON SHIFT", "OCCUPIED", "SYNC USE", "ASYNC USE", "ASSIGNED"));
  std::vector<const AgentGroupReport*> groups;
  for (const auto& g : r.agent_groups)
    groups.push_back(&g);
  groups.push_back(&r.all_agents);
  for (const AgentGroupReport* g : groups) {
    line(fmt::format("{:<16} {:>6} {:>8.1f}h {:>9} {:>9} {:>10} {:>8}", g->name, g->agents,
                     g->on_shift_hours, percent(g->occupancy), percent(g->synchronous_utilization),
                     percent(g->asynchronous_utilization), g->assigned));
  }
  line("");
  line(fmt::format("offers: {} made, {} accepted, {} declined, {} expired, {} answered late",
                   r.offers_made, r.offers_accepted, r.offers_declined, r.offers_expired,
                   r.late_answers));
  line(
      fmt::format("returning customers: {} conversations, {} answered, {} by their previous "
                  "agent ({})",
                  r.returning_conversations, r.returning_answered, r.returning_with_previous_agent,
                  percent(r.returning_previous_agent_share)));
  line(fmt::format("ineligible assignments: {}", r.ineligible_assignments));
  line(fmt::format("capacity violations: {}", r.capacity_violations));
  return out;
}

}  // namespace omni
