// Several engine instances in several processes on one PostgreSQL database (issue 7): four
// omni_pg_worker processes receive 10,000 messages, each delivered twice by two of them, and
// route and resolve concurrently; then the invariants are checked in the database itself.
#include <libpq-fe.h>
#include <spawn.h>
#include <sys/wait.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "omni/engine.h"
#include "omni/postgres_store.h"
#include "pg_server.h"
#include "test_util.h"

extern char** environ;

namespace omni {
namespace {

constexpr int kWorkers = 4;
// 10,000 messages; a sanitizer build (several times slower per call) checks the same invariants
// on 2,000 so CI stays within its time.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kMessages = 2000;
#else
constexpr int kMessages = 10000;
#endif
constexpr int kAgents = 12;
constexpr int kAsyncCapacity = 5;

// One value of a query on `conn` (the first column of the first row).
std::string scalar(PGconn* conn, const std::string& sql) {
  PGresult* r = PQexec(conn, sql.c_str());
  INFO(sql << ": " << PQerrorMessage(conn));
  REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK);
  REQUIRE(PQntuples(r) >= 1);
  std::string value = PQgetvalue(r, 0, 0);
  PQclear(r);
  return value;
}
long long number(PGconn* conn, const std::string& sql) {
  return std::stoll(scalar(conn, sql));
}

// (No semicolon in the name: ctest's discovery would split the test in two that match nothing.)
TEST_CASE("postgres: four processes receive, route and resolve 10,000 messages, invariants hold",
          "[postgres][multiprocess]") {
  const std::string conninfo = testing::shared_pg_server().create_unique_database("multi");
  {
    PostgresStoreOptions options;
    options.conninfo = conninfo;
    auto store = open_postgres_store(options);
    REQUIRE(store.ok());
    auto engine = Engine::open(std::move(*store), {});
    REQUIRE(engine.ok());
    auto tenant = (*engine)->create_tenant("acme", "DE");
    REQUIRE(tenant.ok());
    REQUIRE((*engine)->create_channel({tenant->id, ChannelKind::kSms, "sms", std::nullopt}).ok());
    for (int i = 0; i < kAgents; ++i) {
      AgentSpec spec;
      spec.tenant = tenant->id;
      spec.name = "agent-" + std::to_string(i);
      spec.capacity.asynchronous = kAsyncCapacity;
      REQUIRE((*engine)->create_agent(spec).ok());
    }
  }

  // The workers, each its own process with its own engine.
  std::vector<pid_t> pids;
  std::vector<std::string> outputs;
  for (int w = 0; w < kWorkers; ++w) {
    const std::string out = testing::TempDir::unique("worker").string();
    outputs.push_back(out);
    const std::string command = testing::shell_quote(OMNI_PG_WORKER_PATH) + " " +
                                testing::shell_quote(conninfo) + " " + std::to_string(w) + " " +
                                std::to_string(kWorkers) + " " + std::to_string(kMessages) + " >" +
                                testing::shell_quote(out) + " 2>&1";
    const char* args[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(args), environ) == 0);
    pids.push_back(pid);
  }
  for (int w = 0; w < kWorkers; ++w) {
    int status = 0;
    REQUIRE(waitpid(pids[static_cast<std::size_t>(w)], &status, 0) > 0);
    const std::string output = testing::read_file_text(outputs[static_cast<std::size_t>(w)]);
    INFO("worker " << w << ": " << output);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(output.find("gave_up 0") != std::string::npos);
  }

  PGconn* conn = PQconnectdb(conninfo.c_str());
  REQUIRE(PQstatus(conn) == CONNECTION_OK);
  std::unique_ptr<PGconn, void (*)(PGconn*)> guard(conn, PQfinish);

  // Each message stored exactly once, though it arrived twice from two processes.
  CHECK(number(conn, "SELECT count(*) FROM touchpoints WHERE kind = 'message_in'") == kMessages);
  CHECK(number(conn,
               "SELECT count(DISTINCT provider_message_id) FROM touchpoints "
               "WHERE kind = 'message_in'") == kMessages);
  // One customer per phone number, at most one joinable active conversation per customer.
  CHECK(number(conn, "SELECT count(*) FROM customers") == 1000);
  CHECK(number(conn, "SELECT count(*) FROM identities") == 1000);
  static_assert(kMessages >= 1000, "every customer writes");
  CHECK(number(conn,
               "SELECT count(*) FROM (SELECT customer_id FROM conversations "
               "WHERE status IN ('open', 'pending') AND joinable "
               "GROUP BY customer_id HAVING count(*) > 1) x") == 0);
  // Every message landed in a conversation of its own customer.
  CHECK(number(conn,
               "SELECT count(*) FROM touchpoints t JOIN conversations c "
               "ON c.tenant_id = t.tenant_id AND c.id = t.conversation_id "
               "WHERE t.kind = 'message_in' AND c.customer_id <> t.customer_id") == 0);
  // Capacity: each agent's load is exactly the slots its active conversations hold, within
  // capacity; no conversation is held by two agents.
  CHECK(number(conn,
               "SELECT count(*) FROM agents WHERE load_async > capacity_async "
               "OR load_sync > capacity_sync") == 0);
  CHECK(number(conn,
               "SELECT count(*) FROM agents a WHERE a.load_async + a.load_sync <> "
               "(SELECT count(*) FROM conversations c WHERE c.tenant_id = a.tenant_id "
               "AND c.status IN ('open', 'pending') AND (c.assignee_id = a.id OR "
               "c.offered_to = a.id))") == 0);
  CHECK(number(conn,
               "SELECT count(*) FROM conversations WHERE assignee_id IS NOT NULL "
               "AND offered_to IS NOT NULL AND assignee_id <> offered_to") == 0);
  // Some routing happened and some work was resolved, so the races above were real.
  CHECK(number(conn, "SELECT count(*) FROM conversations WHERE status = 'resolved'") > 0);
  CHECK(number(conn,
               "SELECT count(*) FROM conversations WHERE assignee_id IS NOT NULL "
               "OR offered_to IS NOT NULL") > 0);
  // The outbox: every stored message has its event.
  CHECK(number(conn,
               "SELECT count(*) FROM events WHERE type = 'touchpoint.added' "
               "AND payload LIKE '%message_in%'") == kMessages);
  CHECK(number(conn, "SELECT count(*) FROM events WHERE type = 'conversation.opened'") ==
        number(conn, "SELECT count(*) FROM conversations"));

  // Every event reaches a consumer that reads the outbox from its cursor.
  {
    PostgresStoreOptions options;
    options.conninfo = conninfo;
    auto store = open_postgres_store(options);
    REQUIRE(store.ok());
    auto engine = Engine::open(std::move(*store), {});
    REQUIRE(engine.ok());
    auto tenant = (*engine)->find_tenant("acme");
    REQUIRE(tenant.ok());
    std::int64_t after = 0;
    long long seen = 0;
    for (;;) {
      auto page = (*engine)->events(tenant->id, after, 500);
      REQUIRE(page.ok());
      if (page->empty()) break;
      for (const Event& e : *page) {
        CHECK(e.sequence > after);  // increasing; gaps where a transaction rolled back
        after = e.sequence;
        ++seen;
      }
    }
    CHECK(seen == number(conn, "SELECT count(*) FROM events"));
  }
}

}  // namespace
}  // namespace omni
