// The simulation (omni/simulation.h): the scenario format and its errors, determinism, and what
// the reports of a few contact centres must show: nothing answered without agents, everything
// with plenty, never an agent over capacity, the sticky preference at work, SLA attainment
// falling with fewer agents; then `omni simulate` on the example scenarios.
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "omni/engine.h"
#include "omni/memory_store.h"
#include "omni/simulation.h"
#include "test_util.h"

namespace omni {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path scenario_dir() {
  return OMNI_SCENARIO_DIR;
}

Scenario example(const std::string& name) {
  auto parsed = parse_scenario(read_text(scenario_dir() / name));
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  return *parsed;
}

SimulationReport run(const Scenario& scenario) {
  auto report = simulate(scenario);
  INFO(report.status().to_string());
  REQUIRE(report.ok());
  CHECK(report->capacity_violations == 0);
  return *report;
}

SimulationReport run_json(const std::string& json) {
  auto scenario = parse_scenario(json);
  INFO(scenario.status().to_string());
  REQUIRE(scenario.ok());
  return run(*scenario);
}

Status parse_error(const std::string& json) {
  auto parsed = parse_scenario(json);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().is(StatusCode::kInvalidArgument));
  return parsed.status();
}

// A small chat desk: `agents` agents for `per_hour` chats an hour over two hours.
std::string chat_desk(int agents, double per_hour, const std::string& extra = "") {
  return R"({"seed": 11, "duration": "2h", "drain": "2h",)"
         R"("routing": {"offer_timeout_s": 15},)"
         R"("sla": [{"channel": "live_chat", "first_response_s": 60}],)"
         R"("agents": [{"name": "chat", "count": )" +
         std::to_string(agents) +
         R"(, "accept_delay_s": 3}],)"
         R"("arrivals": [{"channel": "live_chat", "per_hour": )" +
         std::to_string(per_hour) + R"(, "handle_time_s": {"mean": 240}, "first_reply_s": 5)" +
         extra + "}]}";
}

}  // namespace

TEST_CASE("parse_scenario reads every field and applies the defaults", "[simulation]") {
  Scenario defaults = *parse_scenario("{}");
  CHECK(defaults.seed == 1);
  CHECK(format_timestamp(defaults.start) == "2026-01-05T08:00:00Z");
  CHECK(defaults.duration == std::chrono::hours(8));
  CHECK(defaults.drain == std::chrono::hours(24));
  CHECK(defaults.routing.sticky);
  CHECK(defaults.routing.offer_timeout == std::chrono::seconds(30));
  CHECK(defaults.service_level.synchronous == std::chrono::seconds(20));
  CHECK(defaults.service_level.asynchronous == std::chrono::seconds(3600));
  CHECK(defaults.agents.empty());
  CHECK(defaults.arrivals.empty());

  Scenario s = example("contact_center.json");
  CHECK(s.seed == 2026);
  CHECK(format_timestamp(s.start) == "2026-03-02T07:00:00Z");
  CHECK(s.duration == std::chrono::hours(10));
  CHECK(s.drain == std::chrono::hours(4));
  CHECK(s.routing.sticky_wait == std::chrono::seconds(60));
  CHECK(s.routing.offer_timeout == std::chrono::seconds(20));
  REQUIRE(s.sla.size() == 3);
  CHECK(s.sla[2].channel_kind == ChannelKind::kEmail);
  CHECK_FALSE(s.sla[2].priority);
  CHECK(s.sla[2].first_response == std::chrono::hours(4));
  CHECK(s.sla[2].hours.time_zone == "Europe/Berlin");
  REQUIRE(s.sla[2].hours.week[1].size() == 1);
  CHECK(s.sla[2].hours.week[1][0].open == std::chrono::hours(8));
  CHECK(s.sla[2].hours.week[1][0].close == std::chrono::hours(18));
  CHECK(s.sla[2].hours.week[0].empty());
  CHECK(s.sla[2].hours.holidays.size() == 2);
  REQUIRE(s.agents.size() == 3);
  CHECK(s.agents[1].name == "late");
  CHECK(s.agents[1].count == 3);
  CHECK(s.agents[1].shift_start == std::chrono::hours(4));
  CHECK(s.agents[1].shift_end == std::chrono::seconds(std::chrono::hours(10)));
  CHECK(s.agents[1].accept_delay.shape == DurationDistribution::Shape::kUniform);
  CHECK(s.agents[2].capacity.synchronous == 0);
  CHECK(s.agents[2].capacity.asynchronous == 8);
  CHECK(s.agents[2].accept_delay.shape == DurationDistribution::Shape::kUniform);
  CHECK(s.agents[2].accept_delay.min == 5);
  CHECK(s.agents[2].accept_delay.max == 15);
  REQUIRE(s.arrivals.size() == 3);
  CHECK(s.arrivals[0].channel == ChannelKind::kLiveChat);
  REQUIRE(s.arrivals[0].rate_changes.size() == 4);
  CHECK(s.arrivals[0].rate_changes[1].from == std::chrono::hours(2));
  CHECK(s.arrivals[0].rate_changes[1].per_hour == 16);
  CHECK(s.arrivals[1].per_hour == 8);
  CHECK(s.arrivals[0].switch_to == ChannelKind::kPhone);
  CHECK(s.arrivals[0].switch_probability == 0.1);
  CHECK(s.arrivals[0].abandon_after == std::chrono::seconds(180));
  CHECK(s.arrivals[0].handle_time.shape == DurationDistribution::Shape::kExponential);
  CHECK(s.arrivals[2].language == "de");

  // Durations as text; a week written day by day; fixed arrival times.
  Scenario t = *parse_scenario(
      R"({"duration": "1h30m", "sla": [{"priority": "urgent", "hours": {"time_zone": "UTC",)"
      R"("week": {"sat": [["10:00", "12:00"], ["13:00", "24:00"]]}}}],)"
      R"("agents": [{"accept_delay_s": 30}],)"
      R"("arrivals": [{"channel": "sms", "times": [0, "90s", "1h"], "priority": "high"}]})");
  CHECK(t.duration == std::chrono::minutes(90));
  CHECK(t.sla[0].priority == Priority::kUrgent);
  REQUIRE(t.sla[0].hours.week[6].size() == 2);
  CHECK(t.sla[0].hours.week[6][1].close == std::chrono::hours(24));
  CHECK(t.arrivals[0].times == std::vector<std::chrono::seconds>{std::chrono::seconds(0),
                                                                 std::chrono::seconds(90),
                                                                 std::chrono::seconds(3600)});
  CHECK(t.arrivals[0].priority == Priority::kHigh);
  CHECK(t.agents[0].name == "agent");
  CHECK(t.agents[0].accept_delay.shape == DurationDistribution::Shape::kFixed);
  CHECK(t.agents[0].accept_delay.mean == 30);
  CHECK(t.arrivals[0].handle_time.shape == DurationDistribution::Shape::kExponential);
  CHECK(t.arrivals[0].handle_time.mean == 300);

  // A rate that changes during the day, sorted by time.
  Scenario day = *parse_scenario(
      R"({"arrivals": [{"channel": "email", "per_hour": {"6h": 2, "0h": 4, "1h30m": 12}}]})");
  REQUIRE(day.arrivals[0].rate_changes.size() == 3);
  CHECK(day.arrivals[0].rate_changes[0].from == std::chrono::seconds(0));
  CHECK(day.arrivals[0].rate_changes[0].per_hour == 4);
  CHECK(day.arrivals[0].rate_changes[1].from == std::chrono::minutes(90));
  CHECK(day.arrivals[0].rate_changes[2].per_hour == 2);
}

TEST_CASE("parse_scenario errors name the field", "[simulation]") {
  struct Case {
    const char* json;
    const char* field;
  };
  const Case cases[] = {
      {R"([])", "scenario"},
      {R"({"seed": -1})", "seed"},
      {R"({"start": "yesterday"})", "start"},
      {R"({"duration": "8 hours"})", "duration"},
      {R"({"duraton": "8h"})", "duraton"},
      {R"({"routing": {"automatic": true, "automatic": false}})", "routing.automatic"},
      {R"({"routing": {"strategy": "random"}})", "routing.strategy"},
      {R"({"routing": {"offer_timeout_s": -5}})", "routing.offer_timeout_s"},
      {R"({"service_level": {"sync_s": "fast"}})", "service_level.sync_s"},
      {R"({"sla": [{"channel": "pigeon"}]})", "sla[0].channel"},
      {R"({"sla": [{}, {"warning_ratio": 1.5}]})", "sla[1].warning_ratio"},
      {R"({"sla": [{"hours": {"time_zone": "Mars/Olympus"}}]})", "sla[0].hours.time_zone"},
      {R"({"sla": [{"hours": {"week": {"mon": [["18:00", "08:00"]]}}}]})",
       "sla[0].hours.week.mon[0]"},
      {R"({"sla": [{"hours": {"week": {"mon": [["8am", "17:00"]]}}}]})",
       "sla[0].hours.week.mon[0][0]"},
      {R"({"sla": [{"hours": {"holidays": ["Christmas"]}}]})", "sla[0].hours.holidays[0]"},
      {R"({"agents": [{"name": "a"}, {"name": "b", "count": 1.5}]})", "agents[1].count"},
      {R"({"agents": [{"capacity": {"sync": -1}}]})", "agents[0].capacity.sync"},
      {R"({"agents": [{"kind": "robot"}]})", "agents[0].kind"},
      {R"({"agents": [{"decline_probability": 2}]})", "agents[0].decline_probability"},
      {R"({"agents": [{"shift": {"start": "4h", "end": "2h"}}]})", "agents[0].shift.end"},
      {R"({"agents": [{"accept_delay_s": {"distribution": "normal", "mean": 3}}]})",
       "agents[0].accept_delay_s.distribution"},
      {R"({"agents": [{"name": "a"}, {"name": "a"}]})", "agents[1].name"},
      {R"({"agents": [{"name": "all"}]})", "agents[0].name"},
      {R"({"arrivals": [{}]})", "arrivals[0].channel"},
      {R"({"arrivals": [{"channel": "email"}, {"channel": "sms", "per_hour": -3}]})",
       "arrivals[1].per_hour"},
      {R"({"arrivals": [{"channel": "email", "per_hour": {"noon": 3}}]})",
       "arrivals[0].per_hour.noon"},
      {R"({"arrivals": [{"channel": "email", "per_hour": {"1h": 3, "60m": 4}}]})",
       "arrivals[0].per_hour.60m"},
      {R"({"arrivals": [{"channel": "email", "per_hour": {"1h": -3}}]})",
       "arrivals[0].per_hour.1h"},
      {R"({"arrivals": [{"channel": "email", "handle_time_s": {"distribution": "uniform",)"
       R"("min": 10}}]})",
       "arrivals[0].handle_time_s.max"},
      {R"({"arrivals": [{"channel": "email", "priority": "asap"}]})", "arrivals[0].priority"},
      {R"({"arrivals": [{"channel": "email", "channel_switch": {"to": "fax"}}]})",
       "arrivals[0].channel_switch.to"},
      {R"({"arrivals": [{"channel": "email", "returning_customer_probability": 1.2}]})",
       "arrivals[0].returning_customer_probability"},
      {R"({"duration": "1h", "arrivals": [{"channel": "email", "times": [10, "2h"]}]})",
       "arrivals[0].times[1]"},
      {R"({"arrivals": [{"channel": "email", "abandon_after_s": null, "colour": "red"}]})",
       "arrivals[0].colour"},
      {R"({"arrivals": [{"channel": "email", "language": "de-DE-x-a-very-long-private-use-tag-indeed"}]})",
       "arrivals[0].language"},
      {R"({"agents": [{"skills": ["billing", ""]}]})", "agents[0].skills[1]"},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    Status status = parse_error(c.json);
    CHECK(status.field() == c.field);
    CHECK_THAT(status.message(), Catch::StartsWith(c.field));
  }
  CHECK_THAT(parse_error("{\"seed\": ").message(), Catch::Contains("not valid JSON"));
}

TEST_CASE("a simulation is deterministic: same seed, same report, another seed, another",
          "[simulation]") {
  Scenario s = example("contact_center.json");
  const std::string first = report_json(run(s));
  const std::string second = report_json(run(s));
  CHECK(first == second);
  CHECK(report_text(run(s)) == report_text(run(s)));
  s.seed += 1;
  CHECK(report_json(run(s)) != first);
}

TEST_CASE("arrival rates may change during the day", "[simulation]") {
  // No one arrives in the first hour, 60 an hour in the second; the agents start at 1h, so any
  // customer arriving earlier would wait beyond the service-level threshold.
  SimulationReport r = run_json(R"({
    "seed": 4, "duration": "2h", "routing": {"offer_timeout_s": 0},
    "service_level": {"sync_s": 1},
    "agents": [{"name": "late", "count": 20, "shift": {"start": "1h"}}],
    "arrivals": [{"channel": "live_chat", "per_hour": {"0h": 0, "1h": 60}, "handle_time_s": 60}]})");
  CHECK(r.overall.arrivals > 40);
  CHECK(r.overall.arrivals < 80);
  CHECK(r.overall.service_level == 1.0);
  CHECK(r.overall.waiting.max == 0);

  // The other way round: everyone arrives in the first hour and waits for the shift.
  SimulationReport early = run_json(R"({
    "seed": 4, "duration": "2h", "routing": {"offer_timeout_s": 0},
    "service_level": {"sync_s": 1},
    "agents": [{"name": "late", "count": 80, "shift": {"start": "1h"}}],
    "arrivals": [{"channel": "live_chat", "per_hour": {"0h": 60, "1h": 0}, "handle_time_s": 60}]})");
  CHECK(early.overall.arrivals > 40);
  CHECK(early.overall.answered == early.overall.arrivals);
  CHECK(early.overall.answered_within_threshold == 0);
}

TEST_CASE("without agents nothing is answered and the service level is 0", "[simulation]") {
  SimulationReport r = run_json(chat_desk(0, 60));
  CHECK(r.overall.arrivals > 80);
  CHECK(r.overall.answered == 0);
  CHECK(r.overall.unanswered == r.overall.arrivals);
  CHECK(r.overall.service_level == 0);
  CHECK(r.overall.waiting.count == 0);
  CHECK(r.overall.first_response_targets == r.overall.arrivals);
  CHECK(r.overall.first_response_met == 0);
  CHECK(r.overall.first_response_breaches == r.overall.arrivals);
  CHECK(r.offers_made == 0);
  CHECK(r.all_agents.agents == 0);

  // Customers who give up are counted as abandoned, not as waiting.
  SimulationReport gave_up = run_json(chat_desk(0, 60, R"(, "abandon_after_s": 90)"));
  CHECK(gave_up.overall.abandoned == gave_up.overall.arrivals);
  CHECK(gave_up.overall.unanswered == 0);
}

TEST_CASE("with ample agents everything is answered within the service level", "[simulation]") {
  SimulationReport r = run_json(chat_desk(30, 60));
  CHECK(r.overall.arrivals > 80);
  CHECK(r.overall.answered == r.overall.arrivals);
  CHECK(r.overall.resolved == r.overall.arrivals);
  CHECK(r.overall.service_level == 1.0);
  CHECK(r.overall.waiting.max <= 3.0);  // the accept delay
  CHECK(r.overall.first_response_met == r.overall.first_response_targets);
  CHECK(r.overall.sla_breaches == 0);
  CHECK(r.offers_accepted == r.overall.arrivals);
  CHECK(r.all_agents.occupancy > 0);
  CHECK(r.all_agents.occupancy < 0.5);
  CHECK(r.all_agents.on_shift_hours >= 30 * 2.0);
  REQUIRE(r.channels.size() == 1);
  CHECK(r.channels[0].channel == "live_chat");
  CHECK(r.channels[0].arrivals == r.overall.arrivals);
}

TEST_CASE("no agent ever exceeds its capacity, even heavily overloaded", "[simulation]") {
  // Two agents, five times the traffic they can handle, on three channels with channel
  // switches, declines and abandonment.
  SimulationReport r = run_json(R"({
    "seed": 5, "duration": "2h", "drain": "1h",
    "routing": {"offer_timeout_s": 10, "sticky_wait_s": 30},
    "agents": [{"name": "a", "count": 2, "capacity": {"sync": 1, "async": 2},
                "accept_delay_s": {"distribution": "exponential", "mean": 6},
                "decline_probability": 0.3}],
    "arrivals": [
      {"channel": "live_chat", "per_hour": 40, "handle_time_s": 600,
       "channel_switch": {"to": "phone", "probability": 0.5}, "abandon_after_s": 300},
      {"channel": "email", "per_hour": 30, "handle_time_s": 1200,
       "returning_customer_probability": 0.5, "channel_switch": {"to": "phone"}},
      {"channel": "phone", "per_hour": 20, "handle_time_s": 300, "abandon_after_s": 120}
    ]})");
  CHECK(r.capacity_violations == 0);
  CHECK(r.overall.arrivals > 120);
  CHECK(r.overall.answered < r.overall.arrivals / 2);
  CHECK(r.overall.abandoned > 0);
  CHECK(r.offers_declined > 0);
  CHECK(r.offers_expired > 0);
  CHECK(r.overall.handoffs + r.overall.handoffs_refused > 0);
  CHECK(r.all_agents.occupancy > 0.8);

  // The same with direct assignment and the host routing by hand.
  SimulationReport manual = run_json(R"({
    "seed": 5, "duration": "2h", "drain": "1h",
    "routing": {"offer_timeout_s": 0, "automatic": false},
    "agents": [{"name": "a", "count": 2, "capacity": {"sync": 1, "async": 2}}],
    "arrivals": [
      {"channel": "live_chat", "per_hour": 40, "handle_time_s": 600,
       "channel_switch": {"to": "phone", "probability": 0.5}},
      {"channel": "email", "per_hour": 30, "handle_time_s": 1200}
    ]})");
  CHECK(manual.capacity_violations == 0);
  CHECK(manual.offers_made == 0);
  CHECK(manual.overall.answered > 0);
  CHECK(manual.all_agents.occupancy > 0.8);
}

TEST_CASE("returning customers get their previous agent more often than by chance",
          "[simulation]") {
  Scenario s = example("sticky.json");
  SimulationReport sticky = run(s);
  REQUIRE(s.agents.size() == 1);
  const double chance = 1.0 / s.agents[0].count;
  CHECK(sticky.returning_answered > 40);
  CHECK(sticky.returning_previous_agent_share > 2 * chance);
  CHECK(sticky.returning_previous_agent_share > 0.8);

  s.routing.sticky = false;
  SimulationReport plain = run(s);
  CHECK(plain.returning_answered > 40);
  CHECK(plain.returning_previous_agent_share < sticky.returning_previous_agent_share);
  CHECK(plain.returning_previous_agent_share < 0.6);
}

TEST_CASE("SLA attainment drops when agents are scarce", "[simulation]") {
  Scenario s = example("contact_center.json");
  SimulationReport staffed = run(s);
  for (auto& group : s.agents)
    group.count = 1;
  SimulationReport scarce = run(s);
  CHECK(scarce.overall.arrivals == staffed.overall.arrivals);  // the same customers
  CHECK(staffed.overall.first_response_attainment > 0.7);
  CHECK(scarce.overall.first_response_attainment < staffed.overall.first_response_attainment);
  CHECK(scarce.overall.service_level < staffed.overall.service_level);
  CHECK(scarce.overall.sla_breaches > staffed.overall.sla_breaches);
  CHECK(scarce.all_agents.occupancy > staffed.all_agents.occupancy);
}

TEST_CASE("routing requirements travel with the message: automatic routing respects them",
          "[simulation]") {
  // Assigned at once inside receive(): the requirements must be known there already.
  SimulationReport r = run_json(R"({
    "seed": 3, "duration": "2h",
    "routing": {"automatic": true, "offer_timeout_s": 0},
    "agents": [
      {"name": "billing-de", "count": 2, "teams": ["billing"], "languages": ["de-DE"]},
      {"name": "billing-en", "count": 2, "teams": ["billing"], "languages": ["en"]},
      {"name": "sales-de", "count": 2, "teams": ["sales"], "languages": ["de"]}
    ],
    "arrivals": [{"channel": "email", "per_hour": 30, "team": "billing", "language": "de",
                  "handle_time_s": 300}]})");
  REQUIRE(r.overall.arrivals > 20);
  CHECK(r.overall.answered == r.overall.arrivals);
  CHECK(r.ineligible_assignments == 0);
  REQUIRE(r.agent_groups.size() == 3);
  CHECK(r.agent_groups[0].assigned == r.overall.answered);
  CHECK(r.capacity_violations == 0);
}

TEST_CASE("routing requirements: only eligible agents serve a conversation", "[simulation]") {
  // German email needs a German speaker of the billing team; the host routes after setting
  // the requirements (automatic: false).
  SimulationReport r = run_json(R"({
    "seed": 3, "duration": "2h",
    "routing": {"automatic": false, "offer_timeout_s": 30},
    "agents": [
      {"name": "billing-de", "count": 2, "teams": ["billing"], "languages": ["de-DE"]},
      {"name": "billing-en", "count": 2, "teams": ["billing"], "languages": ["en"]},
      {"name": "sales-de", "count": 2, "teams": ["sales"], "languages": ["de"]}
    ],
    "arrivals": [{"channel": "email", "per_hour": 30, "team": "billing", "language": "de",
                  "priority": "high", "handle_time_s": 300}]})");
  CHECK(r.overall.answered == r.overall.arrivals);
  CHECK(r.ineligible_assignments == 0);
  REQUIRE(r.agent_groups.size() == 3);
  CHECK(r.agent_groups[0].assigned == r.overall.answered);
  CHECK(r.agent_groups[1].assigned == 0);
  CHECK(r.agent_groups[2].assigned == 0);
}

TEST_CASE("every channel kind can be simulated, with switches between them", "[simulation]") {
  std::string arrivals;
  for (ChannelKind kind : all_channel_kinds()) {
    if (!arrivals.empty()) arrivals += ",";
    arrivals += R"({"channel": ")" + std::string(to_string(kind)) +
                R"(", "per_hour": 4, "returning_customer_probability": 0.5)";
    // Each kind switches to the next one.
    const auto& kinds = all_channel_kinds();
    const auto next = kinds[(static_cast<std::size_t>(kind) + 1) % kinds.size()];
    arrivals += R"(, "channel_switch": {"to": ")" + std::string(to_string(next)) + R"("}})";
  }
  SimulationReport r = run_json(
      R"({"seed": 9, "duration": "1h", "routing": {"offer_timeout_s": 20, "sticky_wait_s": 30},)"
      R"("agents": [{"name": "desk", "count": 6, "capacity": {"sync": 2, "async": 6}}],)"
      R"("arrivals": [)" +
      arrivals + "]}");
  CHECK(r.channels.size() == all_channel_kinds().size());
  CHECK(r.overall.answered == r.overall.arrivals);
  CHECK(r.overall.resolved == r.overall.arrivals);
  CHECK(r.overall.handoffs + r.overall.handoffs_refused == r.overall.answered);
  CHECK(r.returning_answered > 0);
}

TEST_CASE("the report as JSON carries every figure", "[simulation]") {
  SimulationReport r = run(example("contact_center.json"));
  const std::string json = report_json(r);
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(d["seed"].GetUint64() == 2026);
  CHECK(std::string(d["start"].GetString()) == "2026-03-02T07:00:00Z");
  CHECK(d["overall"]["arrivals"].GetInt() == r.overall.arrivals);
  CHECK(d["overall"]["waiting_s"]["p90"].GetDouble() == r.overall.waiting.p90);
  CHECK(d["overall"]["sla"]["first_response"]["attainment"].GetDouble() ==
        r.overall.first_response_attainment);
  CHECK(d["overall"]["handoffs"]["count"].GetInt() == r.overall.handoffs);
  REQUIRE(d["channels"].Size() == 3);
  CHECK(std::string(d["channels"][0]["channel"].GetString()) == "email");
  CHECK(d["agents"]["groups"].Size() == 3);
  CHECK(d["agents"]["all"]["agents"].GetInt() == 8);
  CHECK(d["offers"]["made"].GetInt() == r.offers_made);
  CHECK(d["capacity_violations"].GetInt() == 0);
  // Channel counts add up.
  int arrivals = 0;
  for (const auto& c : r.channels) {
    CHECK(c.arrivals == c.answered + c.abandoned + c.unanswered);
    arrivals += c.arrivals;
  }
  CHECK(arrivals == r.overall.arrivals);
  CHECK(r.overall.arrivals > 150);
  CHECK(r.overall.arrivals < 400);
  CHECK(r.overall.handoffs > 0);

  const std::string text = report_text(r);
  CHECK_THAT(text, Catch::Contains("CHANNEL"));
  CHECK_THAT(text, Catch::Contains("live_chat"));
  CHECK_THAT(text, Catch::Contains("AGENT GROUP"));
  CHECK_THAT(text, Catch::Contains("backoffice"));
  CHECK_THAT(text, Catch::Contains("capacity violations: 0"));
}

#ifdef OMNI_HAVE_CLI
namespace {

using testing::CliRun;

CliRun run_omni(const std::vector<std::string>& args) {
  return testing::run_cli(OMNI_CLI_PATH, args);
}

}  // namespace

TEST_CASE("omni simulate prints the table and valid JSON for every example scenario",
          "[simulation][cli]") {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(scenario_dir())) {
    if (entry.path().extension() != ".json") continue;
    ++seen;
    const std::string path = entry.path().string();
    INFO(path);
    CliRun text = run_omni({"simulate", path});
    INFO(text.err);
    CHECK(text.status == 0);
    CHECK_THAT(text.out, Catch::Contains("CHANNEL"));
    CHECK_THAT(text.out, Catch::Contains("AGENT GROUP"));
    CHECK_THAT(text.out, Catch::Contains("capacity violations: 0"));
    CliRun json = run_omni({"simulate", path, "--json"});
    CHECK(json.status == 0);
    rapidjson::Document d;
    d.Parse(json.out.c_str(), json.out.size());
    REQUIRE_FALSE(d.HasParseError());
    CHECK(d["capacity_violations"].GetInt() == 0);
    CHECK(d["overall"]["arrivals"].GetInt() > 0);
    // The library's report, byte for byte.
    CHECK(json.out == report_json(run(example(entry.path().filename().string()))));
  }
  CHECK(seen >= 2);
}

TEST_CASE("omni simulate exit statuses", "[simulation][cli]") {
  CHECK(run_omni({"simulate"}).status == 2);
  CHECK(run_omni({"simulate", "a.json", "b.json"}).status == 2);
  CliRun missing = run_omni({"simulate", "/nonexistent/scenario.json"});
  CHECK(missing.status == 1);
  CHECK_THAT(missing.err, Catch::Contains("/nonexistent/scenario.json"));

  auto path = testing::TempDir::unique("scenario").string() + ".json";
  std::ofstream(path) << R"({"arrivals": [{"channel": "email", "per_hour": "lots"}]})";
  CliRun invalid = run_omni({"simulate", path});
  CHECK(invalid.status == 1);
  CHECK_THAT(invalid.err, Catch::Contains("arrivals[0].per_hour"));
  CHECK(invalid.out.empty());
}
#endif

}  // namespace omni

namespace omni {

// Found by the simulation (customers abandoning while their chat was offered): closing an
// offered conversation must give the agent's freed slot to the queue.
TEST_CASE("closing an offered conversation hands the agent the next waiting one",
          "[simulation][routing]") {
  ManualClock clock(from_unix_micros(1767600000LL * 1000000));
  EngineOptions options;
  options.clock = &clock;
  auto opened = Engine::open(make_memory_store(), options);
  REQUIRE(opened.ok());
  Engine& engine = **opened;
  Tenant tenant = *engine.create_tenant("t", "DE");
  ChannelSpec chat_spec;
  chat_spec.tenant = tenant.id;
  chat_spec.kind = ChannelKind::kLiveChat;
  chat_spec.name = "chat";
  Channel chat = *engine.create_channel(chat_spec);
  AgentSpec agent_spec;
  agent_spec.tenant = tenant.id;
  agent_spec.name = "a";
  Agent agent = *engine.create_agent(agent_spec);
  auto receive = [&](const std::string& visitor) {
    InboundMessage m;
    m.tenant = tenant.id;
    m.channel = chat.id;
    m.from = {IdentityKind::kWebVisitor, "site", visitor};
    m.provider_message_id = visitor;
    m.body = "hi";
    auto received = engine.receive(m);
    REQUIRE(received.ok());
    return received->conversation;
  };
  auto conversation = [&](ConversationId id) {
    return engine.conversation_view(tenant.id, id)->conversation;
  };
  ConversationId first = receive("v1");
  clock.advance(std::chrono::seconds(1));
  ConversationId second = receive("v2");
  CHECK(conversation(first).offered_to == agent.id);
  CHECK(conversation(second).waiting());
  clock.advance(std::chrono::seconds(1));
  REQUIRE(engine.close(tenant.id, first).ok());
  CHECK(conversation(second).offered_to == agent.id);
}

}  // namespace omni
