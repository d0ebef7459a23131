// omni_bench_metrics: Engine::metrics over 1,000,000 touchpoints versus the equivalent
// hand-written SQL on the same file, in the same process.
//
// Data (SqliteStore file, Durability::kNormal): one tenant, four channels (SMS, WhatsApp, email,
// chat), 12 agents in 3 teams, 40,000 customers, 200,000 conversations opened over 90 days from
// 2026-01-01 with five touchpoints each (three inbound messages, two agent replies): 1,000,000
// touchpoints. Conversations have a first response after 1 to 120 minutes, 80 % are resolved
// after 1 to 48 hours, 5 % were reopened, 10 % handed off, those from email carry an SLA state
// with a one-hour first-response deadline. Tenant, channels and agents are created through the
// Engine; customers, conversations and touchpoints go in through the Store interface in write
// transactions of 10,000 rows (Engine::receive would take far longer and measures something
// else: omni_bench_receive).
//
// Measured: February 2026 (28 days) grouped by UTC day, every metric, no filter; and the same with
// a team filter. The raw baseline runs the same six statements a host would write by hand
// (volume; conversations per channel; durations, FCR, handoffs, SLA and histograms; channel-switch
// flow; CSAT; occupancy from the agents' activity log): buckets by integer division of the
// timestamp, the same percentile window functions, the same FCR and SLA expressions, on a plain
// sqlite3 connection to the same file. A tenth of the conversations were handed off, half of those
// by a channel switch; a fifth of the resolved ones have a survey answer; every assignee has an
// activity entry when the conversation opens and when it is resolved or closed, and every agent a
// shift of 08:00-18:00 UTC a day (about 402,000 entries). Times are medians of
// 15 runs after one warm-up. Last, the unfiltered query once more with business hours, which adds
// the engine's second pass (docs/metrics.md); there is no SQL to compare it with.
//
// Target (issue "Insight", item 7): omni within 3x of the raw SQL.
//
// Usage: omni_bench_metrics
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

using omni_bench::check;
using omni_bench::take;
using Clock = std::chrono::steady_clock;

constexpr int kCustomers = 40000;
constexpr int kConversations = 200000;
constexpr int kTouchpointsPerConversation = 5;
constexpr int kBatch = 10000;
constexpr int kDays = 90;
constexpr int kRuns = 15;
const char* const kTeams[] = {"billing", "support", "sales"};
constexpr std::int64_t kMicrosPerSecond = 1000000;
constexpr std::int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;
const omni::Timestamp kStart = omni::from_unix_micros(1767225600LL * kMicrosPerSecond);  // Jan 1
const omni::Timestamp kFebruary = kStart + std::chrono::hours(24 * 31);
const omni::Timestamp kMarch = kFebruary + std::chrono::hours(24 * 28);

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The median wall time of `runs` calls after one warm-up, in milliseconds.
double median_ms(const std::function<void()>& run) {
  run();
  std::vector<double> times;
  for (int i = 0; i < kRuns; ++i) {
    const auto start = Clock::now();
    run();
    times.push_back(seconds_since(start) * 1000);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

struct Setup {
  omni::TenantId tenant;
  std::vector<omni::Channel> channels;
  std::vector<omni::AgentId> agents;
};

Setup create_tenant(const std::string& path) {
  omni::SqliteStoreOptions options;
  options.path = path;
  options.durability = omni::Durability::kNormal;
  auto engine =
      take(omni::Engine::open(take(omni::open_sqlite_store(options), "open"), {}), "engine");
  Setup s;
  s.tenant = take(engine->create_tenant("acme", "DE"), "tenant").id;
  const std::pair<omni::ChannelKind, const char*> kinds[] = {
      {omni::ChannelKind::kSms, "sms"},
      {omni::ChannelKind::kWhatsApp, "whatsapp"},
      {omni::ChannelKind::kEmail, "email"},
      {omni::ChannelKind::kLiveChat, "chat"}};
  for (const auto& [kind, name] : kinds) {
    s.channels.push_back(take(engine->create_channel({s.tenant, kind, name, std::nullopt}), "ch"));
  }
  for (int i = 0; i < 12; ++i) {
    omni::AgentSpec spec;
    spec.tenant = s.tenant;
    spec.name = "agent-" + std::to_string(i);
    spec.teams = {kTeams[i % 3]};
    s.agents.push_back(take(engine->create_agent(spec), "agent").id);
  }
  return s;
}

void populate(const std::string& path, const Setup& s) {
  omni::SqliteStoreOptions options;
  options.path = path;
  options.durability = omni::Durability::kNormal;
  auto store = take(omni::open_sqlite_store(options), "open");
  std::mt19937_64 random(42);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(random);
  };
  std::vector<omni::CustomerId> customers;
  {
    auto tx = take(store->begin(omni::TransactionMode::kWrite), "begin");
    for (int i = 0; i < kCustomers; ++i) {
      omni::Customer c;
      c.tenant = s.tenant;
      c.display_name = "Customer " + std::to_string(i);
      c.created_at = c.updated_at = kStart;
      customers.push_back(take(tx->insert_customer(c), "customer"));
    }
    check(tx->commit(), "commit");
  }
  std::unique_ptr<omni::StoreTransaction> tx;
  for (int i = 0; i < kConversations; ++i) {
    if (i % kBatch == 0) {
      if (tx) check(tx->commit(), "commit");
      tx = take(store->begin(omni::TransactionMode::kWrite), "begin");
    }
    const omni::Channel& channel = s.channels[static_cast<std::size_t>(uniform(0, 3))];
    omni::Conversation c;
    c.tenant = s.tenant;
    c.customer = customers[static_cast<std::size_t>(uniform(0, kCustomers - 1))];
    // Spread evenly over the 90 days, in order.
    c.opened_at = kStart + std::chrono::microseconds(kDays * kMicrosPerDay / kConversations * i);
    c.updated_at = c.opened_at;
    c.origin_channel = c.current_channel = channel.id;
    c.team = kTeams[i % 3];
    c.assignee = s.agents[static_cast<std::size_t>(uniform(0, 11))];
    c.first_response_at = c.opened_at + std::chrono::minutes(uniform(1, 120));
    if (uniform(0, 99) < 80) {
      c.status = omni::ConversationStatus::kResolved;
      c.resolved_at = c.opened_at + std::chrono::hours(uniform(1, 48));
    } else {
      c.status = omni::ConversationStatus::kClosed;
      c.closed_at = c.opened_at + std::chrono::hours(49);
    }
    c.reopen_count = uniform(0, 99) < 5 ? 1 : 0;
    c.handoff_count = uniform(0, 99) < 10 ? 1 : 0;
    if (channel.kind == omni::ChannelKind::kEmail) {
      c.sla.policy = "email/*";
      c.sla.first_response.started_at = c.opened_at;
      c.sla.first_response.due_at = c.opened_at + std::chrono::hours(1);
      c.sla.first_response.stopped_at = c.first_response_at;
      c.sla.first_response.breached = *c.first_response_at > *c.sla.first_response.due_at;
    }
    const omni::ConversationId id = take(tx->insert_conversation(c), "conversation");
    // Half the handoffs are channel switches to the next channel.
    if (c.handoff_count > 0 && i % 2 == 0) {
      omni::Handoff h;
      h.tenant = s.tenant;
      h.conversation = id;
      h.kind = omni::HandoffKind::kChannelSwitch;
      h.from_channel = channel.id;
      h.to_channel = s.channels[static_cast<std::size_t>((channel.id.value() + 1) % 4)].id;
      h.reason = "switch";
      h.created_at = c.opened_at + std::chrono::minutes(10);
      take(tx->insert_handoff(h), "handoff");
    }
    // A survey answer for a fifth of the resolved conversations, an hour after resolution.
    if (c.resolved_at && uniform(0, 4) == 0) {
      omni::CsatResponse r;
      r.tenant = s.tenant;
      r.conversation = id;
      r.customer = c.customer;
      r.agent = c.assignee;
      r.score = static_cast<int>(uniform(1, 5));
      r.channel_kind = channel.kind;
      r.responded_at = *c.resolved_at + std::chrono::hours(1);
      take(tx->put_csat(r), "csat");
    }
    // The assignee's activity: a slot taken at opening, given back at resolution or closing.
    omni::AgentActivity taken{s.tenant, *c.assignee, c.opened_at, omni::Presence::kAvailable,
                              omni::AgentLoad{static_cast<int>(uniform(1, 3)), 0}};
    check(tx->append_agent_activity(taken), "activity");
    omni::AgentActivity given = taken;
    given.at = c.resolved_at ? *c.resolved_at : *c.closed_at;
    given.load.synchronous = static_cast<int>(uniform(0, 2));
    check(tx->append_agent_activity(given), "activity");
    for (int t = 0; t < kTouchpointsPerConversation; ++t) {
      omni::Touchpoint tp;
      tp.tenant = s.tenant;
      tp.customer = c.customer;
      tp.conversation = id;
      tp.channel = channel.id;
      tp.channel_kind = channel.kind;
      const bool inbound = t % 2 == 0;
      tp.kind = inbound ? omni::TouchpointKind::kMessageIn : omni::TouchpointKind::kMessageOut;
      if (!inbound) tp.agent = c.assignee;
      tp.body = inbound ? "Where is my parcel? Order 12345." : "Let me check that for you.";
      tp.delivery = inbound ? omni::DeliveryStatus::kNone : omni::DeliveryStatus::kDelivered;
      tp.occurred_at = tp.recorded_at = c.opened_at + std::chrono::minutes(30 * t);
      take(tx->insert_touchpoint(tp), "touchpoint");
    }
  }
  // Shifts: every agent offline from 18:00 to 08:00 UTC each day.
  for (int day = 0; day < kDays; ++day) {
    for (omni::AgentId agent : s.agents) {
      const omni::Timestamp midnight = kStart + std::chrono::hours(24 * day);
      check(tx->append_agent_activity({s.tenant, agent, midnight + std::chrono::hours(8),
                                       omni::Presence::kAvailable, omni::AgentLoad{}}),
            "shift");
      check(tx->append_agent_activity({s.tenant, agent, midnight + std::chrono::hours(18),
                                       omni::Presence::kOffline, omni::AgentLoad{}}),
            "shift");
    }
  }
  check(tx->commit(), "commit");
}

// The hand-written equivalent: ?1 tenant, ?2 from, ?3 to, ?4 day length, ?5 FCR window,
// ?6 team ('' any).
constexpr const char* kRawVolume =
    "SELECT (occurred_at - ?2) / ?4 AS day, channel_kind, count(*) FROM touchpoints "
    "WHERE tenant_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3 "
    "AND kind IN ('message_in', 'call', 'video_session') "
    "AND (?6 = '' OR conversation_id IN (SELECT id FROM conversations "
    "WHERE tenant_id = ?1 AND team = ?6)) "
    "GROUP BY day, channel_kind";
constexpr const char* kRawConversations =
    "SELECT (c.opened_at - ?2) / ?4 AS day, ch.kind, count(*) FROM conversations c "
    "JOIN channels ch ON ch.id = c.origin_channel_id "
    "WHERE c.tenant_id = ?1 AND c.opened_at >= ?2 AND c.opened_at < ?3 "
    "AND c.merged_into IS NULL AND (?6 = '' OR c.team = ?6) GROUP BY day, ch.kind";
constexpr const char* kRawAggregates =
    "WITH m AS (SELECT (c.opened_at - ?2) / ?4 AS day, "
    "c.first_response_at - c.opened_at AS frt, "
    "CASE WHEN c.resolved_at < ?3 THEN c.resolved_at - c.opened_at END AS rt, "
    "CASE WHEN c.resolved_at < ?3 AND c.reopen_count = 0 AND c.handoff_count = 0 "
    "AND NOT EXISTS (SELECT 1 FROM conversations n WHERE n.tenant_id = c.tenant_id "
    "AND n.customer_id = c.customer_id AND n.opened_at > c.resolved_at "
    "AND n.opened_at <= c.resolved_at + ?5 AND n.id <> c.id) THEN 1 ELSE 0 END AS fcr, "
    "c.handoff_count AS handoffs, "
    "CASE WHEN c.handoff_count = 0 THEN 0 ELSE (SELECT count(*) FROM handoffs h "
    "WHERE h.tenant_id = c.tenant_id AND h.conversation_id = c.id "
    "AND h.kind = 'channel_switch') END AS switches, "
    "json_extract(c.sla, '$.first_response.due_at') AS fr_due, "
    "json_extract(c.sla, '$.first_response.stopped_at') AS fr_stop, "
    "json_extract(c.sla, '$.first_response.breached') AS fr_flag, "
    "json_extract(c.sla, '$.resolution.due_at') AS rs_due, "
    "json_extract(c.sla, '$.resolution.stopped_at') AS rs_stop, "
    "json_extract(c.sla, '$.resolution.breached') AS rs_flag "
    "FROM conversations c WHERE c.tenant_id = ?1 AND c.opened_at >= ?2 AND c.opened_at < ?3 "
    "AND c.merged_into IS NULL AND (?6 = '' OR c.team = ?6)), "
    "r AS (SELECT *, "
    "ROW_NUMBER() OVER (PARTITION BY day, frt IS NULL ORDER BY frt) AS frt_rank, "
    "count(frt) OVER (PARTITION BY day) AS frt_n, "
    "ROW_NUMBER() OVER (PARTITION BY day, rt IS NULL ORDER BY rt) AS rt_rank, "
    "count(rt) OVER (PARTITION BY day) AS rt_n FROM m) "
    "SELECT day, count(*), count(frt), "
    "max(CASE WHEN frt IS NOT NULL AND frt_rank = (frt_n + 1) / 2 THEN frt END), "
    "max(CASE WHEN frt IS NOT NULL AND frt_rank = (9 * frt_n + 9) / 10 THEN frt END), "
    "count(rt), "
    "max(CASE WHEN rt IS NOT NULL AND rt_rank = (rt_n + 1) / 2 THEN rt END), "
    "max(CASE WHEN rt IS NOT NULL AND rt_rank = (9 * rt_n + 9) / 10 THEN rt END), "
    "sum(fcr), sum(handoffs), sum(switches), "
    "sum(fr_due IS NOT NULL AND fr_stop IS NOT NULL AND fr_stop <= fr_due), "
    "sum(fr_due IS NOT NULL AND ((fr_stop IS NOT NULL AND fr_stop > fr_due) "
    "OR (fr_stop IS NULL AND fr_flag = 1))), "
    "sum(rs_due IS NOT NULL AND rs_stop IS NOT NULL AND rs_stop <= rs_due), "
    "sum(rs_due IS NOT NULL AND ((rs_stop IS NOT NULL AND rs_stop > rs_due) "
    "OR (rs_stop IS NULL AND rs_flag = 1))) "
    // The duration histograms: bins of 1, 5, 15 and 60 minutes, 4 and 24 hours, 3 days.
    ", sum(frt < 60000000), sum(frt >= 60000000 AND frt < 300000000), "
    "sum(frt >= 300000000 AND frt < 900000000), sum(frt >= 900000000 AND frt < 3600000000), "
    "sum(frt >= 3600000000 AND frt < 14400000000), "
    "sum(frt >= 14400000000 AND frt < 86400000000), "
    "sum(frt >= 86400000000 AND frt < 259200000000), sum(frt >= 259200000000)"
    ", sum(rt < 60000000), sum(rt >= 60000000 AND rt < 300000000), "
    "sum(rt >= 300000000 AND rt < 900000000), sum(rt >= 900000000 AND rt < 3600000000), "
    "sum(rt >= 3600000000 AND rt < 14400000000), "
    "sum(rt >= 14400000000 AND rt < 86400000000), "
    "sum(rt >= 86400000000 AND rt < 259200000000), sum(rt >= 259200000000) "
    "FROM r GROUP BY day";
constexpr const char* kRawSwitchFlow =
    "SELECT (c.opened_at - ?2) / ?4 AS day, fc.kind, tc.kind, count(*) FROM conversations c "
    "JOIN handoffs h ON h.tenant_id = c.tenant_id AND h.conversation_id = c.id "
    "AND h.kind = 'channel_switch' JOIN channels fc ON fc.id = h.from_channel_id "
    "JOIN channels tc ON tc.id = h.to_channel_id "
    "WHERE c.tenant_id = ?1 AND c.opened_at >= ?2 AND c.opened_at < ?3 AND c.handoff_count > 0 "
    "AND c.merged_into IS NULL AND (?6 = '' OR c.team = ?6) GROUP BY day, fc.kind, tc.kind";
constexpr const char* kRawCsat =
    "SELECT (r.responded_at - ?2) / ?4 AS day, count(*), sum(r.score >= 4), avg(r.score) "
    "FROM csat_responses r WHERE r.tenant_id = ?1 AND r.responded_at >= ?2 "
    "AND r.responded_at < ?3 AND (?6 = '' OR EXISTS (SELECT 1 FROM conversations c "
    "WHERE c.tenant_id = r.tenant_id AND c.id = r.conversation_id AND c.team = ?6)) "
    "GROUP BY day";
// Occupancy: per day and agent, the activity entry in force at the day's start and those inside
// it, each lasting until the agent's next that day or the day's end.
constexpr const char* kRawOccupancy =
    "WITH RECURSIVE d(day, lo, hi) AS (SELECT 0, ?2, ?2 + ?4 UNION ALL "
    "SELECT day + 1, hi, min(hi + ?4, ?3) FROM d WHERE hi < ?3), "
    "g AS (SELECT id FROM agents WHERE tenant_id = ?1 AND kind = 'human' AND (?6 = '' OR "
    "EXISTS (SELECT 1 FROM json_each(agents.teams) WHERE value = ?6))), "
    "s AS (SELECT d.day AS day, d.lo AS lo, d.hi AS hi, a.at AS at, "
    "a.presence IN ('available', 'busy') AS staffed, a.load_sync + a.load_async > 0 AS holds, "
    "LEAD(a.at) OVER (PARTITION BY d.day, a.agent_id ORDER BY a.at, a.id) AS next_at "
    "FROM d CROSS JOIN g CROSS JOIN agent_activity a ON a.tenant_id = ?1 AND a.agent_id = g.id "
    "AND a.at >= IFNULL((SELECT max(x.at) FROM agent_activity x WHERE x.tenant_id = ?1 "
    "AND x.agent_id = g.id AND x.at <= d.lo), d.lo) AND a.at < d.hi) "
    "SELECT day, sum(IFNULL(next_at, hi) - max(at, lo)), "
    "sum(CASE WHEN holds THEN IFNULL(next_at, hi) - max(at, lo) ELSE 0 END) "
    "FROM s WHERE staffed GROUP BY day";

// The six raw statements, prepared once; run() executes them in one read transaction, reads
// every row and returns the number of conversations counted (a check against omni's).
class RawMetrics {
 public:
  explicit RawMetrics(omni_bench::RawDb& raw)
      : begin_(raw.get(), "BEGIN"),
        commit_(raw.get(), "COMMIT"),
        volume_(raw.get(), kRawVolume),
        conversations_(raw.get(), kRawConversations),
        aggregates_(raw.get(), kRawAggregates),
        switch_flow_(raw.get(), kRawSwitchFlow),
        csat_(raw.get(), kRawCsat),
        occupancy_(raw.get(), kRawOccupancy) {}

  // The survey answers and staffed seconds of the last run, checked against omni's.
  std::int64_t csat_responses = 0;
  std::int64_t staffed_seconds = 0;

  std::int64_t run(omni::TenantId tenant, const std::string& team) {
    std::int64_t conversations = 0;
    csat_responses = 0;
    staffed_seconds = 0;
    begin_.run();
    for (omni_bench::RawStatement* s :
         {&volume_, &conversations_, &aggregates_, &switch_flow_, &csat_, &occupancy_}) {
      s->bind(1, tenant.value());
      s->bind(2, omni::to_unix_micros(kFebruary));
      s->bind(3, omni::to_unix_micros(kMarch));
      s->bind(4, kMicrosPerDay);
      s->bind(5, 7 * kMicrosPerDay);
      s->bind(6, team);
      while (s->step()) {
        if (s == &aggregates_) conversations += s->column_int(1);
        if (s == &csat_) csat_responses += s->column_int(1);
        if (s == &occupancy_) staffed_seconds += s->column_int(1) / kMicrosPerSecond;
      }
      s->reset();
    }
    commit_.run();
    return conversations;
  }

 private:
  omni_bench::RawStatement begin_, commit_, volume_, conversations_, aggregates_, switch_flow_,
      csat_, occupancy_;
};

}  // namespace

int main() {
  omni_bench::TempDb file("metrics");
  const auto populate_start = Clock::now();
  const Setup setup = create_tenant(file.path());
  populate(file.path(), setup);
  const double populate_s = seconds_since(populate_start);
  std::fprintf(stderr, "populated %d touchpoints in %.1f s\n",
               kConversations * kTouchpointsPerConversation, populate_s);

  omni::SqliteStoreOptions options;
  options.path = file.path();
  options.durability = omni::Durability::kNormal;
  auto engine =
      take(omni::Engine::open(take(omni::open_sqlite_store(options), "open"), {}), "engine");
  omni_bench::RawDb raw(file.path(), omni::Durability::kNormal);
  RawMetrics raw_metrics(raw);

  struct Row {
    const char* name;
    std::string team;
    double omni_ms = 0;
    double raw_ms = 0;
    std::int64_t conversations = 0;
    std::int64_t raw_conversations = 0;
    std::int64_t csat = 0;
    std::int64_t staffed = 0;
  };
  std::vector<Row> rows = {{"all, by day", ""}, {"team filter, by day", "billing"}};
  for (Row& row : rows) {
    omni::MetricsQuery q;
    q.tenant = setup.tenant;
    q.from = kFebruary;
    q.to = kMarch;
    q.team = row.team;
    row.omni_ms = median_ms([&] {
      omni::MetricsReport report = take(engine->metrics(q), "metrics");
      row.conversations = row.csat = row.staffed = 0;
      for (const auto& r : report.rows) {
        row.conversations += r.conversations;
        row.csat += r.csat_responses;
        row.staffed += r.agent_staffed.count();
      }
    });
    row.raw_ms =
        median_ms([&] { row.raw_conversations = raw_metrics.run(setup.tenant, row.team); });
    if (row.conversations != row.raw_conversations || row.csat != raw_metrics.csat_responses ||
        row.staffed != raw_metrics.staffed_seconds) {
      omni_bench::die("omni and raw counted different conversations, answers or staffed time");
    }
  }
  std::printf(
      "\n## Metrics for February 2026 by UTC day over %d touchpoints, %d conversations "
      "(SQLite, kNormal; populate %.0f s)\n\n"
      "| query | conversations in range | omni ms | raw SQL ms | omni / raw |\n"
      "| --- | ---: | ---: | ---: | ---: |\n",
      kConversations * kTouchpointsPerConversation, kConversations, populate_s);
  bool met = true;
  for (const Row& r : rows) {
    std::printf("| %s | %lld | %.1f | %.1f | %.2f |\n", r.name,
                static_cast<long long>(r.conversations), r.omni_ms, r.raw_ms, r.omni_ms / r.raw_ms);
    met = met && r.omni_ms <= 3 * r.raw_ms;
  }
  std::printf("\nTarget: omni within 3x of the hand-written SQL: %s\n", met ? "met" : "NOT MET");

  // The business-hours second pass (no SQL equivalent): the unfiltered query again with
  // Monday-Friday 09:00-17:00 Europe/Berlin.
  omni::MetricsQuery q;
  q.tenant = setup.tenant;
  q.from = kFebruary;
  q.to = kMarch;
  q.business_hours =
      omni::BusinessHours::weekdays("Europe/Berlin", std::chrono::hours(9), std::chrono::hours(17));
  const double business_ms =
      median_ms([&] { take(engine->metrics(q), "metrics with business hours"); });
  std::printf("With business hours (second pass over %lld conversations): %.1f ms, +%.1f ms\n",
              static_cast<long long>(rows.front().conversations), business_ms,
              business_ms - rows.front().omni_ms);
  return 0;
}
