// omni_pg_worker: one engine instance of the multi-process test (pg_multiprocess_test.cc).
//
//   omni_pg_worker CONNINFO WORKER WORKERS MESSAGES
//
// Opens its own PostgresStore and Engine on the shared database and receives its share of the
// MESSAGES inbound SMS of tenant "acme": message i is delivered by worker i % WORKERS and again by
// worker (i + 1) % WORKERS (a provider retrying against another instance), so every message
// arrives twice from two processes. Every fifth message it receives first, it resolves the
// conversation the message joined and fills a free agent's slots from the queue, so routing
// decisions of several processes race. Prints "received N duplicates D resolved R gave_up G" and
// exits 0; 1 on any error other than a conflict retried to exhaustion (counted in gave_up).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "omni/engine.h"
#include "omni/postgres_store.h"

namespace {

int fail(const std::string& what, const omni::Status& status) {
  std::fprintf(stderr, "omni_pg_worker: %s: %s\n", what.c_str(), status.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: omni_pg_worker CONNINFO WORKER WORKERS MESSAGES\n");
    return 2;
  }
  const std::string conninfo = argv[1];
  const int worker = std::atoi(argv[2]);
  const int workers = std::atoi(argv[3]);
  const int messages = std::atoi(argv[4]);

  omni::PostgresStoreOptions store_options;
  store_options.conninfo = conninfo;
  auto store = omni::open_postgres_store(store_options);
  if (!store.ok()) return fail("open", store.status());
  omni::EngineOptions options;
  options.max_conflict_retries = 100;  // four processes on one tenant conflict often
  auto engine = omni::Engine::open(std::move(*store), options);
  if (!engine.ok()) return fail("engine", engine.status());
  auto tenant = (*engine)->find_tenant("acme");
  if (!tenant.ok()) return fail("tenant", tenant.status());
  auto channel =
      (*engine)->ensure_channel({tenant->id, omni::ChannelKind::kSms, "sms", std::nullopt});
  if (!channel.ok()) return fail("channel", channel.status());
  auto agents = (*engine)->list_agents(tenant->id);
  if (!agents.ok() || agents->empty()) return fail("agents", agents.status());

  int received = 0, duplicates = 0, resolved = 0, gave_up = 0;
  for (int i = 0; i < messages; ++i) {
    const bool first = i % workers == worker;
    const bool second = (i + 1) % workers == worker;
    if (!first && !second) continue;
    omni::InboundMessage m;
    m.tenant = tenant->id;
    m.channel = channel->id;
    // 1,000 customers: a customer writes again into their open conversation.
    m.from = {omni::IdentityKind::kPhone, "", "+49151" + std::to_string(10000000 + i % 1000)};
    m.provider_message_id = "msg-" + std::to_string(i);
    m.body = "message " + std::to_string(i);
    auto r = (*engine)->receive(m);
    if (!r.ok()) {
      if (r.status().is(omni::StatusCode::kConflict)) {
        ++gave_up;
        continue;
      }
      return fail("receive " + m.provider_message_id, r.status());
    }
    ++received;
    if (r->duplicate) ++duplicates;
    if (!first || r->duplicate || i % 5 != 0) continue;
    omni::Status done = (*engine)->resolve(tenant->id, r->conversation);
    if (done.ok()) {
      ++resolved;
    } else if (done.is(omni::StatusCode::kConflict)) {
      ++gave_up;
    } else if (!done.is(omni::StatusCode::kFailedPrecondition)) {
      return fail("resolve", done);
    }
    const omni::Agent& agent = (*agents)[static_cast<std::size_t>(i) % agents->size()];
    auto filled = (*engine)->fill(tenant->id, agent.id);
    if (!filled.ok() && !filled.status().is(omni::StatusCode::kConflict)) {
      return fail("fill", filled.status());
    }
  }
  std::printf("received %d duplicates %d resolved %d gave_up %d\n", received, duplicates, resolved,
              gave_up);
  return 0;
}
