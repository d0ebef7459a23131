// Tests of `omni metrics` and `omni report --html`: the pure renderers (text, JSON, HTML) on
// hand-made rows, then the real binary on a database built here.
#include <catch2/catch.hpp>

#ifdef OMNI_HAVE_CLI

#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/metrics_output.h"
#include "cli/report_html.h"
#include "omni/engine.h"
#include "omni/sqlite_store.h"
#include "test_util.h"

namespace omni::cli {
namespace {

const char* const kHostileAgent = "<img src=x onerror=alert(1)>";
const char* const kHostileTeam = "\"><script>alert(2)</script>";

Timestamp at(const std::string& text) {
  auto t = parse_timestamp(text);
  REQUIRE(t.ok());
  return *t;
}

// Text that must never appear in a rendered page: NaN or infinity from a division by zero.
void check_numbers_are_finite(const std::string& html) {
  CHECK(html.find("NaN") == std::string::npos);
  CHECK_FALSE(std::regex_search(html, std::regex(R"([">(-]-?(nan|inf)\b)", std::regex::icase)));
  // Every geometry attribute is a plain decimal number.
  static const std::regex kAttribute(
      R"re(\s(x|y|x1|y1|x2|y2|cx|cy|r|width|height|fill-opacity)="([^"]*)")re");
  static const std::regex kNumber(R"(-?[0-9]+(\.[0-9]+)?(%)?)");
  std::size_t checked = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kAttribute);
       it != std::sregex_iterator(); ++it) {
    INFO((*it)[0].str());
    CHECK(std::regex_match((*it)[2].str(), kNumber));
    ++checked;
  }
  CHECK(checked > 10);
}

void check_no_script(const std::string& html) {
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("javascript:") == std::string::npos);
}

MetricsRow busy_row(const std::string& label, std::int64_t sms, std::int64_t email) {
  MetricsRow row;
  row.label = label;
  row.start = at(label + "T00:00:00Z");
  row.end = row.start + std::chrono::hours(24);
  row.inbound_volume = {{ChannelKind::kSms, sms}, {ChannelKind::kEmail, email}};
  row.conversations_opened = {{ChannelKind::kSms, 2}, {ChannelKind::kEmail, 1}};
  row.conversations = 3;
  row.first_response.count = 3;
  row.first_response.median = std::chrono::seconds(240);
  row.first_response.p90 = std::chrono::seconds(3900);
  row.first_response.histogram = {1, 1, 0, 0, 1, 0, 0, 0};
  row.resolution.count = 2;
  row.resolution.median = std::chrono::seconds(7200);
  row.resolution.p90 = std::chrono::seconds(97200);
  row.resolution.histogram = {0, 0, 0, 0, 1, 0, 1, 0};
  row.resolved = 2;
  row.first_contact_resolved = 1;
  row.first_contact_resolution_rate = 0.5;
  row.handoffs = 2;
  row.channel_switches = 1;
  row.handoffs_per_conversation = 2.0 / 3;
  row.channel_switches_per_conversation = 1.0 / 3;
  row.channel_switch_flow = {{ChannelKind::kSms, ChannelKind::kPhone, 1}};
  row.first_response_sla_met = 2;
  row.first_response_sla_breached = 1;
  row.first_response_sla_attainment = 2.0 / 3;
  row.csat_responses = 2;
  row.csat_satisfied = 1;
  row.csat_average = 3.5;
  row.csat = 0.5;
  row.agent_staffed = std::chrono::hours(8);
  row.agent_occupied = std::chrono::hours(6);
  row.occupancy = 0.75;
  return row;
}

MetricsResult sample_result() {
  MetricsResult r;
  r.tenant = "acme <&> \"co\"";
  r.query.from = at("2026-11-18T00:00:00Z");
  r.query.to = at("2026-11-20T00:00:00Z");
  r.rows = {busy_row("2026-11-18", 5, 2), busy_row("2026-11-19", 1, 0)};
  r.totals = busy_row("2026-11-18", 6, 2);
  r.totals.first_response.histogram = {2, 2, 0, 0, 2, 0, 0, 0};
  AgentMetrics hostile{
      kHostileAgent, AgentKind::kHuman, {kHostileTeam}, busy_row("2026-11-18", 1, 1)};
  r.agents = {hostile, AgentMetrics{"alice", AgentKind::kHuman, {}, MetricsRow{}}};
  r.generated_at = at("2026-11-20T08:00:00Z");
  return r;
}

}  // namespace

TEST_CASE("metrics output formats durations, rates, bins and groupings", "[cli][report]") {
  using std::chrono::seconds;
  CHECK(format_duration(seconds(45)) == "45s");
  CHECK(format_duration(seconds(245)) == "4m05s");
  CHECK(format_duration(seconds(3900)) == "1h05m");
  CHECK(format_duration(seconds(2 * 86400 + 3 * 3600 + 59)) == "2d03h");
  CHECK(format_percent(2, 3) == "66.7%");
  CHECK(format_percent(0, 0) == "-");
  CHECK(format_rate_percent(0.5, true) == "50.0%");
  CHECK(format_rate_percent(0.5, false) == "-");
  REQUIRE(kDurationBins == 8);
  const std::vector<std::string> labels = {"<1m",  "1–5m",  "5–15m", "15m–1h",
                                           "1–4h", "4h–1d", "1–3d",  "≥3d"};
  for (std::size_t i = 0; i < kDurationBins; ++i)
    CHECK(duration_bin_label(i) == labels[i]);
  for (const char* name : {"none", "day", "week", "month"}) {
    auto g = parse_grouping(name);
    REQUIRE(g);
    CHECK(grouping_name(*g) == name);
  }
  CHECK_FALSE(parse_grouping("year"));
}

TEST_CASE("html_escape makes text safe for HTML text and attributes", "[cli][report]") {
  CHECK(html_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
  CHECK(html_escape(kHostileAgent) == "&lt;img src=x onerror=alert(1)&gt;");
  CHECK(html_escape(std::string("a\x01\x1b[31mb\tc\n", 11)) == "a[31mb\tc\n");
  CHECK(html_escape("Müller ✓") == "Müller ✓");
}

TEST_CASE("the HTML report draws every chart and escapes what came from the database",
          "[cli][report]") {
  const MetricsResult r = sample_result();
  const std::string html = render_report_html(r);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("</html>") != std::string::npos);
  check_no_script(html);
  check_numbers_are_finite(html);
  // Nothing is loaded from elsewhere.
  CHECK(html.find("src=\"") == std::string::npos);
  CHECK(html.find("href=") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  // Five charts: volume, two histograms, rates, flow.
  std::size_t svgs = 0;
  for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
    ++svgs;
  CHECK(svgs == 5);
  // Escaped tenant, agent and team, in text and in attributes.
  CHECK(html.find("acme &lt;&amp;&gt; &quot;co&quot;") != std::string::npos);
  CHECK(html.find("data-tenant=\"acme &lt;&amp;&gt; &quot;co&quot;\"") != std::string::npos);
  CHECK(html.find("&lt;img src=x onerror=alert(1)&gt;") != std::string::npos);
  CHECK(html.find("title=\"&lt;img src=x onerror=alert(1)&gt;\"") != std::string::npos);
  CHECK(html.find("&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find(kHostileTeam) == std::string::npos);
  // Histogram labels, the channel kinds of the volume legend and the flow matrix.
  CHECK(html.find("&lt;1m") != std::string::npos);
  CHECK(html.find("1–5m") != std::string::npos);
  CHECK(html.find("sms (6)") != std::string::npos);
  CHECK(html.find("email (2)") != std::string::npos);
  CHECK(html.find("sms → phone: 2") != std::string::npos);  // summed over both rows
  // Headline numbers from the totals.
  CHECK(html.find("66.7%") != std::string::npos);  // first-response SLA 2 of 3
  CHECK(html.find("75.0%") != std::string::npos);  // occupancy
  CHECK(html.find("2026-11-19") != std::string::npos);
}

TEST_CASE("the HTML report is valid with no data, one bucket and zero rows", "[cli][report]") {
  MetricsResult empty;
  empty.tenant = "t";
  empty.query.from = at("2026-11-18T00:00:00Z");
  empty.query.to = at("2026-11-19T00:00:00Z");
  SECTION("no rows at all") {}
  SECTION("one bucket of zeros") {
    MetricsRow row;
    row.label = "2026-11-18";
    empty.rows = {row};
    empty.agents = {AgentMetrics{"bob", AgentKind::kBot, {"support"}, MetricsRow{}}};
  }
  SECTION("a month of zeros") {
    empty.rows.resize(31);
    for (std::size_t i = 0; i < empty.rows.size(); ++i)
      empty.rows[i].label = "2026-11-" + std::to_string(i + 1);
  }
  const std::string html = render_report_html(empty);
  check_no_script(html);
  check_numbers_are_finite(html);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("no inbound touchpoints in this range") != std::string::npos);
  CHECK(html.find("No channel switches") != std::string::npos);
}

TEST_CASE("metrics text shows one line per bucket and the totals", "[cli][report]") {
  const std::string text = metrics_text(sample_result());
  INFO(text);
  CHECK(text.find("metrics of tenant") != std::string::npos);
  CHECK(text.find("2026-11-18") != std::string::npos);
  CHECK(text.find("2026-11-19") != std::string::npos);
  CHECK(text.find("\ntotal ") != std::string::npos);
  CHECK(text.find("4m00s / 1h05m") != std::string::npos);
  CHECK(text.find("inbound by channel kind: sms 6, email 2") != std::string::npos);
  CHECK(text.find("50.0%") != std::string::npos);
}

namespace {

using Run = testing::CliRun;

std::string slurp(const std::filesystem::path& path) {
  return testing::read_file_text(path);
}

Run omni(const std::vector<std::string>& args) {
  return testing::run_cli(OMNI_CLI_PATH, args);
}

// A database of tenant "acme": on 2026-11-18 Anna writes twice by SMS (one conversation) and
// Ben once by email; on 2026-11-19 Carla writes once by SMS. Two agents with hostile names.
std::string metrics_db() {
  const std::string db = testing::TempDir::unique("metrics").string() + ".db";
  SqliteStoreOptions options;
  options.path = db;
  auto store = open_sqlite_store(options);
  REQUIRE(store.ok());
  ManualClock clock(at("2026-11-18T09:00:00Z"));
  EngineOptions engine_options;
  engine_options.clock = &clock;
  auto opened = Engine::open(std::move(*store), engine_options);
  REQUIRE(opened.ok());
  Engine& engine = **opened;
  auto tenant = engine.create_tenant("acme", "DE");
  REQUIRE(tenant.ok());
  auto sms = engine.create_channel({tenant->id, ChannelKind::kSms, "sms", {}});
  REQUIRE(sms.ok());
  auto email = engine.create_channel({tenant->id, ChannelKind::kEmail, "support", {}});
  REQUIRE(email.ok());
  for (const char* name : {kHostileAgent, kHostileTeam}) {
    AgentSpec agent;
    agent.tenant = tenant->id;
    agent.name = name;
    agent.teams = {kHostileTeam};
    agent.presence = Presence::kOffline;  // routing leaves the conversations unassigned
    REQUIRE(engine.create_agent(agent).ok());
  }
  struct Message {
    ChannelId channel;
    IdentityInput from;
    const char* id;
    const char* time;
  };
  const std::vector<Message> messages = {
      {sms->id, {IdentityKind::kPhone, "", "+4915112345678"}, "s1", "2026-11-18T09:00:00Z"},
      {sms->id, {IdentityKind::kPhone, "", "+4915112345678"}, "s2", "2026-11-18T09:05:00Z"},
      {email->id, {IdentityKind::kEmail, "", "ben@example.com"}, "e1", "2026-11-18T10:00:00Z"},
      {sms->id, {IdentityKind::kPhone, "", "+4915187654321"}, "s3", "2026-11-19T11:00:00Z"},
  };
  for (const Message& m : messages) {
    clock.set(at(m.time));
    InboundMessage in;
    in.tenant = tenant->id;
    in.channel = m.channel;
    in.from = m.from;
    in.provider_message_id = m.id;
    in.body = "hello";
    in.occurred_at = at(m.time);
    auto received = engine.receive(in);
    INFO(received.status().to_string());
    REQUIRE(received.ok());
  }
  return db;
}

std::int64_t count_of(const rapidjson::Value& counts, const char* kind) {
  for (const auto& c : counts.GetArray()) {
    if (std::string(c["kind"].GetString()) == kind) return c["count"].GetInt64();
  }
  return 0;
}

}  // namespace

TEST_CASE("omni metrics counts conversations and inbound volume per bucket", "[cli][report]") {
  const std::string db = metrics_db();
  const std::vector<std::string> range = {"--db",     db,
                                          "--tenant", "acme",
                                          "--from",   "2026-11-18T00:00:00Z",
                                          "--to",     "2026-11-20T00:00:00Z"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> args = range;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };

  Run json = omni(with({"--json", "metrics"}));
  INFO(json.err);
  REQUIRE(json.status == 0);
  rapidjson::Document doc;
  doc.Parse(json.out.c_str(), json.out.size());
  INFO(json.out);
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string(doc["tenant"].GetString()) == "acme");
  CHECK(std::string(doc["query"]["grouping"].GetString()) == "day");
  CHECK(std::string(doc["query"]["time_zone"].GetString()) == "UTC");
  CHECK(std::string(doc["query"]["from"].GetString()) == "2026-11-18T00:00:00Z");
  CHECK(doc["query"]["agent"].IsNull());
  CHECK(doc["duration_bin_bounds_seconds"].Size() == kDurationBinBounds.size());
  const auto& rows = doc["rows"];
  REQUIRE(rows.Size() == 2);
  CHECK(std::string(rows[0]["label"].GetString()) == "2026-11-18");
  CHECK(rows[0]["conversations"].GetInt64() == 2);
  CHECK(rows[0]["inbound_total"].GetInt64() == 3);
  CHECK(count_of(rows[0]["inbound_volume"], "sms") == 2);
  CHECK(count_of(rows[0]["inbound_volume"], "email") == 1);
  CHECK(count_of(rows[0]["conversations_opened"], "email") == 1);
  CHECK(rows[1]["conversations"].GetInt64() == 1);
  CHECK(count_of(rows[1]["inbound_volume"], "sms") == 1);
  // Every field of a row is there, histograms with one count per bin.
  for (const char* field :
       {"first_response", "resolution", "first_response_business", "resolution_business"}) {
    CHECK(rows[0][field]["histogram"].Size() == kDurationBins);
    CHECK(rows[0][field]["median_seconds"].IsInt64());
  }
  for (const char* field : {"resolved",
                            "first_contact_resolved",
                            "first_contact_resolution_rate",
                            "handoffs",
                            "channel_switches",
                            "handoffs_per_conversation",
                            "channel_switches_per_conversation",
                            "channel_switch_flow",
                            "first_response_sla_met",
                            "first_response_sla_breached",
                            "first_response_sla_attainment",
                            "resolution_sla_met",
                            "resolution_sla_breached",
                            "resolution_sla_attainment",
                            "csat_responses",
                            "csat_satisfied",
                            "csat_average",
                            "csat",
                            "agent_staffed_seconds",
                            "agent_occupied_seconds",
                            "occupancy",
                            "start",
                            "end"}) {
    INFO(field);
    CHECK(rows[0].HasMember(field));
  }
  const auto& totals = doc["totals"];
  CHECK(totals["conversations"].GetInt64() == 3);
  CHECK(totals["inbound_total"].GetInt64() == 4);
  CHECK(count_of(totals["inbound_volume"], "sms") == 3);

  Run text = omni(with({"metrics"}));
  INFO(text.out);
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out, Catch::Contains("metrics of tenant \"acme\""));
  CHECK_THAT(text.out, Catch::Contains("inbound by channel kind: sms 3, email 1"));
  CHECK_THAT(text.out, Catch::Contains("conversations by origin: sms 2, email 1"));
  // The bucket lines: label, conversations, inbound total.
  CHECK(std::regex_search(text.out, std::regex(R"(\n2026-11-18 +2 +3 )")));
  CHECK(std::regex_search(text.out, std::regex(R"(\n2026-11-19 +1 +1 )")));
  CHECK(std::regex_search(text.out, std::regex(R"(\ntotal +3 +4 )")));

  // Filters: a channel kind, grouping, zone; an agent with no conversations.
  Run email = omni(with({"--json", "--channel", "email", "--group", "none", "metrics"}));
  REQUIRE(email.status == 0);
  rapidjson::Document e;
  e.Parse(email.out.c_str());
  REQUIRE_FALSE(e.HasParseError());
  REQUIRE(e["rows"].Size() == 1);
  CHECK(e["rows"][0]["conversations"].GetInt64() == 1);
  CHECK(std::string(e["query"]["channel_kind"].GetString()) == "email");
  Run week = omni(with({"--json", "--group", "week", "--time-zone", "Europe/Berlin", "metrics"}));
  REQUIRE(week.status == 0);
  rapidjson::Document w;
  w.Parse(week.out.c_str());
  REQUIRE_FALSE(w.HasParseError());
  CHECK(std::string(w["rows"][0]["label"].GetString()) == "2026-W47");
  Run agent = omni(with({"--json", "--agent", kHostileAgent, "metrics"}));
  REQUIRE(agent.status == 0);
  rapidjson::Document a;
  a.Parse(agent.out.c_str());
  REQUIRE_FALSE(a.HasParseError());
  CHECK(std::string(a["query"]["agent"]["name"].GetString()) == kHostileAgent);
  CHECK(a["totals"]["conversations"].GetInt64() == 0);

  // Usage errors (exit 2) and failures (exit 1).
  CHECK(omni(with({"--group", "year", "metrics"})).status == 2);
  CHECK(omni(with({"--channel", "carrier_pigeon", "metrics"})).status == 2);
  CHECK(omni(with({"metrics", "extra"})).status == 2);
  CHECK(omni({"--db", db, "--tenant", "acme", "--from", "yesterday", "metrics"}).status == 2);
  CHECK(omni({"--db", db, "--tenant", "acme", "--from", "2026-11-20T00:00:00Z", "--to",
              "2026-11-18T00:00:00Z", "metrics"})
            .status == 2);
  CHECK(omni({"--db", db, "--tenant", "acme", "--from", "2026-11-18T00:00:00Z", "customers"})
            .status == 2);
  CHECK(omni({"--db", db, "--tenant", "acme", "--html", "x.html", "metrics"}).status == 2);
  CHECK(omni({"--db", db, "--tenant", "acme", "--team", "x", "agents"}).status == 2);
  Run no_agent = omni(with({"--agent", "nobody", "metrics"}));
  CHECK(no_agent.status == 1);
  CHECK_THAT(no_agent.err, Catch::Contains("no agent named \"nobody\""));
  CHECK(omni(with({"--time-zone", "Mars/Olympus", "metrics"})).status == 1);
  // The default range ends now: 30 daily buckets or 31 (a partial day at each end).
  Run recent = omni({"--db", db, "--tenant", "acme", "--json", "metrics"});
  REQUIRE(recent.status == 0);
  rapidjson::Document r;
  r.Parse(recent.out.c_str());
  REQUIRE_FALSE(r.HasParseError());
  CHECK(r["rows"].Size() >= 30);
  CHECK(r["rows"].Size() <= 31);
}

TEST_CASE("omni report --html writes one page with charts and escaped names", "[cli][report]") {
  const std::string db = metrics_db();
  const std::string out = testing::TempDir::unique("report").string() + ".html";
  Run run = omni({"--db", db, "--tenant", "acme", "--from", "2026-11-18T00:00:00Z", "--to",
                  "2026-11-20T00:00:00Z", "report", "--html", out});
  INFO(run.err);
  REQUIRE(run.status == 0);
  CHECK_THAT(run.out, Catch::Contains("2 buckets, 2 agents"));
  const std::string html = slurp(out);
  CHECK(html.find("<svg") != std::string::npos);
  check_no_script(html);
  check_numbers_are_finite(html);
  CHECK(html.find("&lt;img src=x onerror=alert(1)&gt;") != std::string::npos);
  CHECK(html.find("&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("sms (3)") != std::string::npos);
  CHECK(html.find("email (1)") != std::string::npos);

  // A range without data: every chart still valid, no NaN.
  const std::string quiet = testing::TempDir::unique("quiet").string() + ".html";
  Run nothing = omni({"--db", db, "--tenant", "acme", "--from", "2025-01-01T00:00:00Z", "--to",
                      "2025-01-02T00:00:00Z", "report", "--html", quiet});
  REQUIRE(nothing.status == 0);
  const std::string empty = slurp(quiet);
  check_no_script(empty);
  check_numbers_are_finite(empty);
  CHECK(empty.find("no inbound touchpoints in this range") != std::string::npos);

  CHECK(omni({"--db", db, "--tenant", "acme", "report"}).status == 2);  // no --html
  CHECK(omni({"--db", db, "--tenant", "acme", "--json", "report", "--html", out}).status == 2);
  Run unwritable = omni({"--db", db, "--tenant", "acme", "report", "--html",
                         testing::TempDir::unique("no-such-dir").string() + "/r.html"});
  CHECK(unwritable.status == 1);
  CHECK_THAT(unwritable.err, Catch::Contains("cannot write"));
}

}  // namespace omni::cli

#endif  // OMNI_HAVE_CLI
