// omni_bench_postgres: Engine::receive throughput on a PostgresStore with 1, 2 and 4 processes
// on one database, beside raw libpq inserts of a comparable row by as many processes, in the same
// run on the same throwaway server.
//
//   omni: M messages from 1,000 customers (each has written once before, untimed), split evenly
//         over the processes; each one Engine::receive in its own SERIALIZABLE transaction:
//         resolve the identity, find the customer's open conversation, insert the touchpoint,
//         update the conversation (routing a new one), append the outbox events. Conflicts
//         between processes are retried by the engine.
//   raw:  the same M messages as one INSERT each of a comparable row (tenant, channel, provider
//         message id unique, customer key, body, time; a timeline index) in its own transaction
//         (READ COMMITTED, as a hand-written insert would run).
//
// The server is started by the program (tests/pg_server.h: initdb in /tmp, Unix socket,
// fsync=off: the figures compare CPU and locking, not the disk). Prints a Markdown table of
// messages/s and the ratio omni / raw per process count.
//
// Usage: omni_bench_postgres [MESSAGES]        (default 4000)
//        omni_bench_postgres --worker MODE CONNINFO WORKER WORKERS MESSAGES   (internal)
#include <libpq-fe.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "omni/engine.h"
#include "omni/postgres_store.h"
#include "pg_server.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kCustomers = 1000;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "omni_bench_postgres: %s\n", message.c_str());
  std::exit(1);
}

template <typename T>
T take(omni::Result<T> r, const char* what) {
  if (!r.ok()) die(std::string(what) + ": " + r.status().to_string());
  return std::move(r).value();
}

std::string phone(int customer) {
  return "+49151" + std::to_string(20000000 + customer);
}

omni::InboundMessage message(omni::TenantId tenant, omni::ChannelId channel, int i,
                             const std::string& prefix) {
  omni::InboundMessage m;
  m.tenant = tenant;
  m.channel = channel;
  m.from = {omni::IdentityKind::kPhone, "", phone(i % kCustomers)};
  m.provider_message_id = prefix + std::to_string(i);
  m.body = "Where is my parcel? Order " + std::to_string(10000 + i);
  return m;
}

std::unique_ptr<omni::Engine> open_engine(const std::string& conninfo) {
  omni::PostgresStoreOptions options;
  options.conninfo = conninfo;
  omni::EngineOptions engine_options;
  engine_options.max_conflict_retries = 100;
  return take(
      omni::Engine::open(take(omni::open_postgres_store(options), "open store"), engine_options),
      "open engine");
}

void exec(PGconn* conn, const std::string& sql) {
  PGresult* r = PQexec(conn, sql.c_str());
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
    die(sql + ": " + PQerrorMessage(conn));
  }
  PQclear(r);
}

int worker(const std::string& mode, const std::string& conninfo, int w, int workers, int messages) {
  if (mode == "raw") {
    PGconn* conn = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn) != CONNECTION_OK) die(PQerrorMessage(conn));
    PGresult* prepared = PQprepare(
        conn, "insert",
        "INSERT INTO raw_messages (tenant_id, channel_id, provider_message_id, customer_key, "
        "body, occurred_at) VALUES (1, 1, $1, $2, $3, $4)",
        4, nullptr);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) die(PQerrorMessage(conn));
    PQclear(prepared);
    for (int i = w; i < messages; i += workers) {
      const std::string id = "m" + std::to_string(i);
      const std::string key = phone(i % kCustomers);
      const std::string body = "Where is my parcel? Order " + std::to_string(10000 + i);
      const std::string at = std::to_string(1767225600000000LL + i);
      const char* values[] = {id.c_str(), key.c_str(), body.c_str(), at.c_str()};
      exec(conn, "BEGIN");
      PGresult* r = PQexecPrepared(conn, "insert", 4, values, nullptr, nullptr, 0);
      if (PQresultStatus(r) != PGRES_COMMAND_OK) die(PQerrorMessage(conn));
      PQclear(r);
      exec(conn, "COMMIT");
    }
    PQfinish(conn);
    return 0;
  }
  auto engine = open_engine(conninfo);
  const omni::Tenant tenant = take(engine->find_tenant("acme"), "tenant");
  const omni::Channel channel = take(
      engine->ensure_channel({tenant.id, omni::ChannelKind::kSms, "sms", std::nullopt}), "channel");
  for (int i = w; i < messages; i += workers) {
    take(engine->receive(message(tenant.id, channel.id, i, "m")), "receive");
  }
  return 0;
}

// Runs `workers` copies of this program in worker mode and returns the wall time in seconds.
double run_workers(const std::string& mode, const std::string& conninfo, int workers,
                   int messages) {
  const auto start = Clock::now();
  std::vector<pid_t> pids;
  for (int w = 0; w < workers; ++w) {
    const std::string wi = std::to_string(w), n = std::to_string(workers),
                      m = std::to_string(messages);
    const char* args[] = {"/proc/self/exe", "--worker", mode.c_str(), conninfo.c_str(),
                          wi.c_str(),       n.c_str(),  m.c_str(),    nullptr};
    pid_t pid = 0;
    if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, const_cast<char**>(args), environ) !=
        0) {
      die("cannot start a worker");
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      die("a worker failed");
    }
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 7 && std::strcmp(argv[1], "--worker") == 0) {
    return worker(argv[2], argv[3], std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]));
  }
  const int messages = argc > 1 ? std::atoi(argv[1]) : 4000;
  omni::testing::PgServer server;
  server.start();

  struct Row {
    int processes;
    double omni_per_s;
    double raw_per_s;
  };
  std::vector<Row> rows;
  for (int processes : {1, 2, 4}) {
    Row row{processes, 0, 0};
    {
      const std::string conninfo = server.create_unique_database("bench_raw");
      PGconn* conn = PQconnectdb(conninfo.c_str());
      if (PQstatus(conn) != CONNECTION_OK) die(PQerrorMessage(conn));
      exec(conn,
           "CREATE TABLE raw_messages (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
           "tenant_id BIGINT NOT NULL, channel_id BIGINT NOT NULL, provider_message_id TEXT NOT "
           "NULL, customer_key TEXT NOT NULL, body TEXT NOT NULL, occurred_at BIGINT NOT NULL, "
           "UNIQUE (tenant_id, channel_id, provider_message_id)); "
           "CREATE INDEX raw_timeline ON raw_messages (tenant_id, customer_key, occurred_at, id)");
      PQfinish(conn);
      row.raw_per_s = messages / run_workers("raw", conninfo, processes, messages);
    }
    {
      const std::string conninfo = server.create_unique_database("bench_omni");
      {
        auto engine = open_engine(conninfo);
        const omni::Tenant tenant = take(engine->create_tenant("acme", "DE"), "tenant");
        const omni::Channel channel =
            take(engine->create_channel({tenant.id, omni::ChannelKind::kSms, "sms", std::nullopt}),
                 "channel");
        for (int a = 0; a < 8; ++a) {
          omni::AgentSpec spec;
          spec.tenant = tenant.id;
          spec.name = "agent-" + std::to_string(a);
          take(engine->create_agent(spec), "agent");
        }
        // Untimed: every customer writes once, so the timed part is the steady state.
        for (int c = 0; c < kCustomers; ++c)
          take(engine->receive(message(tenant.id, channel.id, c, "warmup-")), "warm-up");
      }
      row.omni_per_s = messages / run_workers("omni", conninfo, processes, messages);
    }
    rows.push_back(row);
    std::fprintf(stderr, "%d process(es): omni %.0f msg/s, raw %.0f msg/s\n", processes,
                 row.omni_per_s, row.raw_per_s);
  }
  std::printf(
      "\n## Receive on PostgreSQL 15 (Unix socket, fsync off), %d messages from %d customers\n\n"
      "| processes | omni msg/s | raw libpq msg/s | omni / raw |\n"
      "| ---: | ---: | ---: | ---: |\n",
      messages, kCustomers);
  for (const Row& r : rows) {
    std::printf("| %d | %.0f | %.0f | %.2f |\n", r.processes, r.omni_per_s, r.raw_per_s,
                r.omni_per_s / r.raw_per_s);
  }
  server.stop();
  return 0;
}
