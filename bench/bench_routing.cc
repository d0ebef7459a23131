// omni_bench_routing: routing decision latency as the number of agents grows.
//
// For 100, 1,000 and 10,000 agents and 100,000 waiting conversations in a SqliteStore file
// (Durability::kNormal), every agent qualified for a quarter of the conversations (two of eight
// skills; each conversation needs one) and at its capacity of five asynchronous conversations,
// it measures:
//   - fill: an agent frees a slot (a resolve, not timed) and Engine::fill picks the best waiting
//     conversation it qualifies for (priority, then the longest waiting) and assigns it;
//   - route: a new conversation (received untimed with routing off) and Engine::route finds the
//     least-loaded qualified agent with a free slot among the 1 % of agents (at least 16) that
//     have one;
// beside the raw SQLite doing the same in the same process on the same file: one BEGIN IMMEDIATE
// transaction with the same indexed SELECT (the queue index or the routable-agents index, first
// qualifying row) and the same UPDATEs of the conversation and the agent.
// Target (routing issue): decision latency at 10,000 agents at most 2x that at 100.
//
// Usage: omni_bench_routing [MAX_AGENTS]   (default 10000)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

using omni_bench::take;
using Clock = std::chrono::steady_clock;

constexpr int kWaiting = 100000;
constexpr int kCapacity = 5;
constexpr int kSkills = 8;
constexpr int kDecisions = 2000;

std::string skill(int i) {
  return "skill-" + std::to_string(i % kSkills);
}

struct Row {
  int agents = 0;
  double populate_s = 0;
  double fill_us = 0;
  double raw_fill_us = 0;
  double route_us = 0;
  double raw_route_us = 0;
};

double micros_since(Clock::time_point start, int n) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n;
}

Row measure(int agent_count) {
  omni_bench::TempDb db("routing");
  Row row;
  row.agents = agent_count;
  omni::SqliteStoreOptions store_options;
  store_options.path = db.path();
  store_options.durability = omni::Durability::kNormal;
  std::unique_ptr<omni::Store> store = take(omni::open_sqlite_store(store_options), "open store");

  const omni::Timestamp t0 = omni::from_unix_micros(1767225600LL * 1000000);  // 2026-01-01
  omni::TenantId tenant;
  omni::ChannelId channel;
  std::vector<omni::AgentId> agents;
  // Each agent's assigned conversations, to free a slot from.
  std::vector<std::vector<omni::ConversationId>> assigned(static_cast<std::size_t>(agent_count));
  std::mt19937_64 random(7);

  // Populate through the Store interface in large transactions: agents at capacity, then the
  // waiting conversations (each of its own customer), oldest first.
  const auto populate_start = Clock::now();
  {
    auto tx = take(store->begin(omni::TransactionMode::kWrite), "begin");
    omni::Tenant t;
    t.name = "bench";
    t.default_region = "DE";
    t.created_at = t0;
    tenant = take(tx->insert_tenant(t), "insert tenant");
    omni::Channel c;
    c.tenant = tenant;
    c.kind = omni::ChannelKind::kEmail;
    c.name = "support";
    c.profile = omni::default_profile(omni::ChannelKind::kEmail);
    c.created_at = t0;
    channel = take(tx->insert_channel(c), "insert channel");
    for (int i = 0; i < agent_count; ++i) {
      omni::Agent a;
      a.tenant = tenant;
      a.name = "agent-" + std::to_string(i);
      a.presence = omni::Presence::kAvailable;
      a.skills = {skill(i), skill(i + 3)};
      a.capacity = {1, kCapacity};
      a.created_at = t0;
      agents.push_back(take(tx->insert_agent(a), "insert agent"));
    }
    omni_bench::check(tx->commit(), "commit");
  }
  std::int64_t customer_number = 0;
  auto add_conversations = [&](int count, bool assign, omni::Timestamp at) {
    for (int done = 0; done < count;) {
      auto tx = take(store->begin(omni::TransactionMode::kWrite), "begin");
      for (int i = 0; i < 10000 && done < count; ++i, ++done) {
        omni::Customer cu;
        cu.tenant = tenant;
        cu.display_name = "Customer " + std::to_string(customer_number++);
        cu.created_at = cu.updated_at = at;
        omni::Conversation c;
        c.tenant = tenant;
        c.customer = take(tx->insert_customer(cu), "insert customer");
        c.status = omni::ConversationStatus::kOpen;
        c.origin_channel = c.current_channel = channel;
        c.routing_class = omni::RoutingClass::kAsynchronous;
        c.subject = "Where is my order?";
        c.opened_at = c.updated_at = at;
        c.sla.policy = "-";
        const std::size_t agent = static_cast<std::size_t>(done / kCapacity);
        if (assign) {
          c.assignee = agents[agent];
        } else {
          c.skills = {skill(static_cast<int>(random() % kSkills))};
          c.queued_at = at + std::chrono::milliseconds(done);
        }
        omni::ConversationId id = take(tx->insert_conversation(c), "insert conversation");
        if (assign) assigned[agent].push_back(id);
      }
      omni_bench::check(tx->commit(), "commit");
    }
  };
  add_conversations(agent_count * kCapacity, true, t0);
  add_conversations(kWaiting, false, t0 + std::chrono::hours(1));
  row.populate_s = std::chrono::duration<double>(Clock::now() - populate_start).count();

  omni::ManualClock clock(t0 + std::chrono::hours(48));
  omni::EngineOptions options;
  options.clock = &clock;
  auto engine = take(omni::Engine::open(std::move(store), options), "Engine::open");
  // Decisions only when asked (the untimed resolves must not route), assigned at once.
  omni::RoutingPolicy policy;
  policy.automatic = false;
  policy.sticky = false;
  policy.offer_timeout = std::chrono::seconds(0);
  omni_bench::check(engine->set_routing_policy(tenant, "", policy), "set_routing_policy");

  // fill: a random agent frees a slot; Engine::fill assigns it the best waiting conversation.
  // The first 200 decisions warm the caches and are not counted.
  std::uniform_int_distribution<int> pick(0, agent_count - 1);
  for (int i = 0; i < 200; ++i) {
    const auto agent = static_cast<std::size_t>(pick(random));
    auto& mine = assigned[agent];
    clock.advance(std::chrono::milliseconds(100));
    omni_bench::check(engine->resolve(tenant, mine.front()), "resolve");
    mine.erase(mine.begin());
    auto decisions = take(engine->fill(tenant, agents[agent]), "fill");
    if (decisions.size() != 1) omni_bench::die("fill assigned nothing");
    mine.push_back(decisions[0].conversation);
  }
  {
    double timed = 0;
    for (int i = 0; i < kDecisions; ++i) {
      const auto agent = static_cast<std::size_t>(pick(random));
      auto& mine = assigned[agent];
      clock.advance(std::chrono::milliseconds(100));
      omni_bench::check(engine->resolve(tenant, mine.front()), "resolve");
      mine.erase(mine.begin());
      const auto start = Clock::now();
      auto decisions = take(engine->fill(tenant, agents[agent]), "fill");
      timed += micros_since(start, 1);
      if (decisions.size() != 1) omni_bench::die("fill assigned nothing");
      mine.push_back(decisions[0].conversation);
    }
    row.fill_us = timed / kDecisions;
  }
  // raw fill: the same decision with the sqlite3 C API on the same file: the agent row, the
  // queue index's first page up to the first conversation the agent qualifies for, the same two
  // UPDATEs (the store's trigger moves the load), one transaction.
  omni_bench::RawDb raw(db.path(), omni::Durability::kNormal);
  {
    omni_bench::RawStatement begin(raw.get(), "BEGIN IMMEDIATE");
    omni_bench::RawStatement commit(raw.get(), "COMMIT");
    omni_bench::RawStatement free_slot(
        raw.get(), "UPDATE conversations SET status = 'resolved', resolved_at = ? WHERE id = ?");
    omni_bench::RawStatement agent_row(
        raw.get(),
        "SELECT skills, load_async, capacity_async FROM agents WHERE tenant_id = ? AND id = ? "
        "AND presence = 'available'");
    omni_bench::RawStatement queue(
        raw.get(),
        "SELECT id, skills FROM conversations WHERE tenant_id = ? AND routing_class = 'async' "
        "AND status = 'open' AND assignee_id IS NULL AND offered_to IS NULL "
        "ORDER BY priority_rank, queued_at, id LIMIT 64");
    omni_bench::RawStatement assign(
        raw.get(),
        "UPDATE conversations SET assignee_id = ?, queued_at = NULL, updated_at = ? WHERE id = ?");
    omni_bench::RawStatement routed(raw.get(), "UPDATE agents SET last_routed_at = ? WHERE id = ?");
    double timed = 0;
    std::int64_t now = omni::to_unix_micros(clock.now());
    for (int i = 0; i < kDecisions; ++i) {
      const auto agent = static_cast<std::size_t>(pick(random));
      auto& mine = assigned[agent];
      now += 100000;
      free_slot.bind(1, now);
      free_slot.bind(2, mine.front().value());
      free_slot.run();
      mine.erase(mine.begin());
      const auto start = Clock::now();
      begin.run();
      agent_row.bind(1, tenant.value());
      agent_row.bind(2, agents[agent].value());
      if (!agent_row.step()) omni_bench::die("raw: no agent");
      const std::string skills = agent_row.column_text(0);
      if (agent_row.column_int(1) >= agent_row.column_int(2)) omni_bench::die("raw: no slot");
      agent_row.reset();
      queue.bind(1, tenant.value());
      std::int64_t chosen = 0;
      while (queue.step()) {
        // The conversation needs one skill: ["skill-n"]; the agent qualifies when it has it.
        std::string needed = queue.column_text(1);
        needed = needed.substr(1, needed.size() - 2);
        if (skills.find(needed) != std::string::npos) {
          chosen = queue.column_int(0);
          break;
        }
      }
      queue.reset();
      if (chosen == 0) omni_bench::die("raw: nothing to fill");
      assign.bind(1, agents[agent].value());
      assign.bind(2, now);
      assign.bind(3, chosen);
      assign.run();
      routed.bind(1, now);
      routed.bind(2, agents[agent].value());
      routed.run();
      commit.run();
      timed += micros_since(start, 1);
      mine.push_back(omni::ConversationId(chosen));
    }
    row.raw_fill_us = timed / kDecisions;
    clock.set(omni::from_unix_micros(now));
  }
  // route: 1 % of the agents have a free slot; a new conversation finds the least loaded one
  // that qualifies.
  // (At least 16, so every skill is among them.)
  for (int i = 0; i < std::max(16, agent_count / 100); ++i) {
    auto& mine = assigned[static_cast<std::size_t>(i)];
    omni_bench::check(engine->resolve(tenant, mine.front()), "resolve");
    mine.erase(mine.begin());
  }
  {
    double timed = 0;
    for (int i = 0; i < kDecisions; ++i) {
      clock.advance(std::chrono::milliseconds(100));
      omni::InboundMessage m;
      m.tenant = tenant;
      m.channel = channel;
      m.from = {omni::IdentityKind::kEmail, "", "new" + std::to_string(i) + "@example.com"};
      m.provider_message_id = "new-" + std::to_string(i);
      m.body = "A new question";
      omni::ReceiveResult received = take(engine->receive(m), "receive");
      omni::RoutingRequirements needs;
      needs.skills = std::vector<std::string>{skill(static_cast<int>(random() % kSkills))};
      take(engine->set_routing(tenant, received.conversation, needs), "set_routing");
      const auto start = Clock::now();
      omni::RoutingDecision d = take(engine->route(tenant, received.conversation), "route");
      timed += micros_since(start, 1);
      if (d.outcome != omni::RoutingOutcome::kAssigned) omni_bench::die("route assigned nothing");
      omni_bench::check(engine->resolve(tenant, received.conversation), "resolve");
    }
    row.route_us = timed / kDecisions;
  }
  // raw route: the conversation row, the routable-agents index up to the first agent that has
  // the skill, the same two UPDATEs, one transaction.
  {
    omni_bench::RawStatement begin(raw.get(), "BEGIN IMMEDIATE");
    omni_bench::RawStatement commit(raw.get(), "COMMIT");
    omni_bench::RawStatement conversation_row(
        raw.get(),
        "SELECT skills, routing_class FROM conversations WHERE tenant_id = ? AND id = ?");
    omni_bench::RawStatement routable(
        raw.get(),
        "SELECT id, skills FROM agents WHERE tenant_id = ? AND presence = 'available' "
        "AND load_async < capacity_async ORDER BY load_async, last_routed_at, id LIMIT 64");
    omni_bench::RawStatement assign(
        raw.get(),
        "UPDATE conversations SET assignee_id = ?, queued_at = NULL, updated_at = ? WHERE id = ?");
    omni_bench::RawStatement routed(raw.get(), "UPDATE agents SET last_routed_at = ? WHERE id = ?");
    double timed = 0;
    for (int i = 0; i < kDecisions; ++i) {
      clock.advance(std::chrono::milliseconds(100));
      const std::int64_t now = omni::to_unix_micros(clock.now());
      omni::InboundMessage m;
      m.tenant = tenant;
      m.channel = channel;
      m.from = {omni::IdentityKind::kEmail, "", "raw" + std::to_string(i) + "@example.com"};
      m.provider_message_id = "raw-" + std::to_string(i);
      m.body = "A new question";
      omni::ReceiveResult received = take(engine->receive(m), "receive");
      omni::RoutingRequirements needs;
      needs.skills = std::vector<std::string>{skill(static_cast<int>(random() % kSkills))};
      take(engine->set_routing(tenant, received.conversation, needs), "set_routing");
      const auto start = Clock::now();
      begin.run();
      conversation_row.bind(1, tenant.value());
      conversation_row.bind(2, received.conversation.value());
      if (!conversation_row.step()) omni_bench::die("raw: no conversation");
      std::string needed = conversation_row.column_text(0);
      needed = needed.substr(1, needed.size() - 2);
      conversation_row.reset();
      routable.bind(1, tenant.value());
      std::int64_t chosen = 0;
      while (routable.step()) {
        if (routable.column_text(1).find(needed) != std::string::npos) {
          chosen = routable.column_int(0);
          break;
        }
      }
      routable.reset();
      if (chosen == 0) omni_bench::die("raw: no agent");
      assign.bind(1, chosen);
      assign.bind(2, now);
      assign.bind(3, received.conversation.value());
      assign.run();
      routed.bind(1, now);
      routed.bind(2, chosen);
      routed.run();
      commit.run();
      timed += micros_since(start, 1);
      omni_bench::check(engine->resolve(tenant, received.conversation), "resolve");
    }
    row.raw_route_us = timed / kDecisions;
  }
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  const int max_agents = argc > 1 ? std::atoi(argv[1]) : 10000;
  if (max_agents < 100) omni_bench::die("MAX_AGENTS must be at least 100");
  std::vector<Row> rows;
  for (int n : {100, 1000, 10000}) {
    if (n > max_agents) break;
    std::fprintf(stderr, "measuring %d agents...\n", n);
    rows.push_back(measure(n));
  }
  std::printf(
      "\n## Routing decisions by number of agents, %d waiting conversations (SQLite, kNormal)\n\n"
      "| agents | populate s | fill us | raw fill us | fill omni / raw | fill vs 100 "
      "| route us | raw route us | route omni / raw | route vs 100 |\n"
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
      kWaiting);
  for (const Row& r : rows) {
    std::printf("| %d | %.1f | %.1f | %.1f | %.2f | %.2f | %.1f | %.1f | %.2f | %.2f |\n", r.agents,
                r.populate_s, r.fill_us, r.raw_fill_us, r.fill_us / r.raw_fill_us,
                r.fill_us / rows.front().fill_us, r.route_us, r.raw_route_us,
                r.route_us / r.raw_route_us, r.route_us / rows.front().route_us);
  }
  if (rows.size() == 3) {
    const double fill = rows.back().fill_us / rows.front().fill_us;
    const double route = rows.back().route_us / rows.front().route_us;
    std::printf(
        "\nTarget: decision latency at 10,000 agents <= 2x at 100: fill %.2fx, route %.2fx, %s\n",
        fill, route, fill <= 2.0 && route <= 2.0 ? "met" : "NOT MET");
  }
  return 0;
}
