// omni/simulation.h — a deterministic contact-centre simulation on virtual time: a scenario
// (agents, arrivals per channel, handle times, routing and SLA policies) drives a real Engine on
// an in-memory store and a ManualClock, and the report says what the customers got (service
// level, waiting times, SLA attainment, handoffs) and what it cost the agents (occupancy). A
// capacity-planning tool for integrators, and the test bed of routing. docs/simulation.md
// documents the scenario format and every figure of the report.
//
// Determinism: the same scenario (seed included) gives a byte-identical report, run after run and
// build after build: the driver draws from its own generator (xoshiro256**) and its own
// distributions rather than std:: ones (whose output differs between standard libraries), and
// breaks ties between simultaneous happenings by the order they were scheduled in. Across
// platforms the one dependency left is the C library's log1p (exponential draws).
//
// Thread-safety: parse_scenario, simulate and the report functions are reentrant; distinct
// simulations may run on distinct threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/agent.h"
#include "omni/channel.h"
#include "omni/clock.h"
#include "omni/export.h"
#include "omni/routing.h"
#include "omni/sla.h"
#include "omni/status.h"

namespace omni {

// A duration drawn anew for every conversation (or offer), in seconds.
struct DurationDistribution {
  enum class Shape {
    kFixed,        // always `mean`
    kExponential,  // exponential with mean `mean`
    kUniform,      // uniform in [min, max]
  };
  Shape shape = Shape::kFixed;
  double mean = 0;  // seconds; kFixed and kExponential
  double min = 0;   // seconds; kUniform
  double max = 0;   // seconds; kUniform
};
// "fixed", "exponential", "uniform"
OMNI_EXPORT std::string_view to_string(DurationDistribution::Shape shape);

// `count` agents alike, named "<name>-1" ... "<name>-<count>".
struct AgentGroupSpec {
  std::string name;
  int count = 1;
  AgentKind kind = AgentKind::kHuman;
  std::vector<std::string> teams;
  std::vector<std::string> skills;
  std::vector<std::string> languages;
  // Default: one synchronous and five asynchronous conversations at once.
  AgentCapacity capacity;
  // How long an agent takes to answer an offer. Default: fixed 5 s.
  DurationDistribution accept_delay{DurationDistribution::Shape::kFixed, 5, 0, 0};
  // The chance that an agent declines an offer instead of accepting it. Default: 0.
  double decline_probability = 0;
  // On shift from start + shift_start to start + shift_end (unset: to the end of the
  // simulation); off shift the agent is offline. Default: on shift from the start.
  std::chrono::seconds shift_start{0};
  std::optional<std::chrono::seconds> shift_end;
};

// From `from` (an offset from the start) on, customers arrive at `per_hour`.
struct ArrivalRateChange {
  std::chrono::seconds from{0};
  double per_hour = 0;
};

// Customers arriving on one channel kind.
struct ArrivalStreamSpec {
  ChannelKind channel = ChannelKind::kLiveChat;
  // Poisson arrivals at this rate over the whole duration; 0: none. Default: 0.
  double per_hour = 0;
  // A rate that changes during the day, sorted by `from`: from each change to the next one the
  // arrivals are Poisson at its rate (before the first change: none). When not empty it
  // replaces per_hour.
  std::vector<ArrivalRateChange> rate_changes;
  // Fixed arrivals, as offsets from the start, in addition to the Poisson ones.
  std::vector<std::chrono::seconds> times;
  // Routing requirements of the conversations (Engine::set_routing). Defaults: normal, none.
  Priority priority = Priority::kNormal;
  std::string team;
  std::vector<std::string> skills;
  std::string language;
  // From assignment to resolution. Default: exponential, mean 300 s.
  DurationDistribution handle_time{DurationDistribution::Shape::kExponential, 300, 0, 0};
  // From assignment to the agent's first reply. Default: fixed 0 s.
  DurationDistribution first_reply;
  // The chance that an arrival is a customer seen before (one without an active conversation),
  // rather than a new one. Default: 0.
  double returning_customer_probability = 0;
  // The chance that the customer moves to `switch_to` while an agent handles the conversation
  // (Engine::record_handoff, a channel switch). Default: no switch.
  std::optional<ChannelKind> switch_to;
  double switch_probability = 0;
  // A customer still waiting for an agent this long after arriving gives up (the conversation
  // is closed). Unset: customers wait for ever. Default: unset.
  std::optional<std::chrono::seconds> abandon_after;
};

// Service level: the share of conversations assigned to an agent within the threshold of their
// routing class.
struct ServiceLevelThresholds {
  std::chrono::seconds synchronous{20};     // default 20 s
  std::chrono::seconds asynchronous{3600};  // default 1 hour
};

struct Scenario {
  std::uint64_t seed = 1;
  // Default: 2026-01-05T08:00:00Z (a Monday).
  Timestamp start = from_unix_micros(1767600000LL * 1000000);
  // Customers arrive during [start, start + duration). Default: 8 hours.
  std::chrono::seconds duration{8 * 60 * 60};
  // After the last arrival, conversations get this long to finish; the simulation stops earlier
  // when nothing is left to happen. Default: 24 hours.
  std::chrono::seconds drain{24 * 60 * 60};
  // The tenant's routing policy. Default: RoutingPolicy's defaults.
  RoutingPolicy routing;
  // The tenant's SLA policies, at most one per (channel kind, priority). Default: none.
  std::vector<SlaPolicy> sla;
  // Default: none (nothing is ever answered).
  std::vector<AgentGroupSpec> agents;
  // Default: none (nobody arrives).
  std::vector<ArrivalStreamSpec> arrivals;
  ServiceLevelThresholds service_level;
};

// Parses a scenario document (JSON, docs/simulation.md). kInvalidArgument for malformed JSON,
// an unknown field, a value of the wrong type or out of range; Status::field() names it
// ("arrivals[1].per_hour", "sla[0].hours.week.mon", "agents[2].capacity.sync").
OMNI_EXPORT Result<Scenario> parse_scenario(std::string_view json);

// Waiting times until assignment, in seconds (nearest-rank percentiles); zero when count is 0.
struct WaitingTimes {
  int count = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double max = 0;
};

// What customers of one channel kind (where their conversations began), or of all, got.
struct TrafficReport {
  std::string channel;  // a channel kind's name, or "all"
  int arrivals = 0;     // conversations opened
  int answered = 0;     // assigned to an agent
  int abandoned = 0;    // closed by the customer giving up before assignment
  int unanswered = 0;   // still waiting when the simulation stopped
  int answered_within_threshold = 0;
  double service_level = 0;  // answered_within_threshold / arrivals; 0 without arrivals
  WaitingTimes waiting;
  int resolved = 0;
  // SLA clocks of the conversations, as the engine kept them.
  int first_response_targets = 0;  // conversations with a first-response target
  int first_response_met = 0;
  double first_response_attainment = 0;  // met / targets; 0 without targets
  int resolution_targets = 0;
  int resolution_met = 0;
  double resolution_attainment = 0;
  int sla_warnings = 0;  // sla.warning events
  int sla_breaches = 0;  // sla.breached events, every clock
  int first_response_breaches = 0;
  int resolution_breaches = 0;
  int handoffs = 0;  // recorded on the conversations (Conversation::handoff_count)
  double handoffs_per_conversation = 0;
  int handoffs_refused = 0;  // channel switches the engine refused (no free slot of the class)
};

struct AgentGroupReport {
  std::string name;  // a group's name, or "all"
  int agents = 0;
  double on_shift_hours = 0;  // summed over the group's agents
  // Share of on-shift time in which an agent held at least one slot (an assigned active
  // conversation or an outstanding offer).
  double occupancy = 0;
  // Mean share of the synchronous / asynchronous slots in use over on-shift time.
  double synchronous_utilization = 0;
  double asynchronous_utilization = 0;
  int assigned = 0;  // conversations assigned to the group's agents
};

struct SimulationReport {
  std::uint64_t seed = 0;
  Timestamp start;
  Timestamp arrivals_end;  // start + duration
  Timestamp end;           // when the simulation stopped
  TrafficReport overall;
  std::vector<TrafficReport> channels;  // one per channel kind with arrivals, in name order
  AgentGroupReport all_agents;
  std::vector<AgentGroupReport> agent_groups;  // in scenario order
  int offers_made = 0;
  int offers_accepted = 0;
  int offers_declined = 0;
  int offers_expired = 0;
  // Answers that came too late: the offer had expired or was withdrawn (accept_offer or
  // decline_offer refused with kFailedPrecondition, or a newer offer had replaced it).
  int late_answers = 0;
  // Conversations of customers seen before whose previous conversation had an assignee, and
  // how many of them (once answered) went to that same agent.
  int returning_conversations = 0;
  int returning_answered = 0;
  int returning_with_previous_agent = 0;
  double returning_previous_agent_share = 0;  // with_previous_agent / answered
  // Assignments to an agent who lacks the conversation's team, a skill or its language.
  int ineligible_assignments = 0;
  // Times an agent's load exceeded its capacity after a step (checked after every step through
  // Engine::list_agents). Always 0 unless routing is broken.
  int capacity_violations = 0;
  std::int64_t steps = 0;   // happenings and timer runs the driver went through
  std::int64_t events = 0;  // events the engine wrote
};

// Runs the scenario. Fails with the engine's Status when an engine call fails unexpectedly (a
// bug, reported with the simulated time in the message), or kInvalidArgument for a scenario the
// engine refuses (an SLA policy's business hours, say).
OMNI_EXPORT Result<SimulationReport> simulate(const Scenario& scenario);

// The report as one JSON document (docs/simulation.md), ending in a line break.
OMNI_EXPORT std::string report_json(const SimulationReport& report);
// The report as text tables for a terminal.
OMNI_EXPORT std::string report_text(const SimulationReport& report);

}  // namespace omni
