// omni_bench_receive: inbound throughput of Engine::receive on a SqliteStore file versus raw
// SQLite doing the equivalent write, in the same process.
//
//   omni: N messages from M customers across four channels (SMS, WhatsApp, email, Messenger),
//         each one Engine::receive: resolve the identity, find the customer's open conversation,
//         insert the touchpoint, update the conversation, write the outbox events; one
//         transaction per message.
//   raw:  the same N messages as one INSERT each of a comparable row into a table with the
//         idempotency and timeline indexes, one BEGIN IMMEDIATE ... COMMIT per message, with
//         the same WAL mode and synchronous pragma.
//
// Both run once in Durability::kFull (synchronous=FULL) and once in kNormal (synchronous=NORMAL).
// Before timing, every customer has written once (untimed), so the timed part is the steady state
// of known customers with an open conversation. The summary at the end prints messages/s and the
// ratio omni / raw (target: at least 0.5).
//
// Usage: omni_bench_receive [--messages_full=N] [--messages_normal=N] [--customers=M]
//                           [google benchmark flags]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

using omni_bench::check;
using omni_bench::identity_of;
using omni_bench::kChannelCount;
using omni_bench::kChannelKinds;
using omni_bench::kChannelNames;
using omni_bench::take;

std::int64_t g_messages_full = 3000;
std::int64_t g_messages_normal = 30000;
int g_customers = 1000;

std::string body_of(std::int64_t message) {
  return "Hello, this is about order #" + std::to_string(100000 + message % 5000) +
         ": the parcel has not arrived yet and the tracking page shows no update since Monday.";
}

std::string message_id_of(std::int64_t message) {
  return "m-" + std::to_string(message);
}

const omni::Timestamp kStart = omni::from_unix_micros(1767225600LL * 1000000);  // 2026-01-01

// --- omni

void receive_omni(benchmark::State& state, omni::Durability durability, std::int64_t messages) {
  omni_bench::TempDb db("receive-omni");
  omni::SqliteStoreOptions store_options;
  store_options.path = db.path();
  store_options.durability = durability;
  auto store = take(omni::open_sqlite_store(store_options), "open_sqlite_store");
  omni::ManualClock clock(kStart);
  omni::EngineOptions options;
  options.clock = &clock;
  auto engine = take(omni::Engine::open(std::move(store), options), "Engine::open");
  omni::Tenant tenant = take(engine->ensure_tenant("bench"), "ensure_tenant");
  std::vector<omni::ChannelId> channels;
  for (int i = 0; i < kChannelCount; ++i) {
    omni::ChannelSpec spec;
    spec.tenant = tenant.id;
    spec.kind = kChannelKinds[i];
    spec.name = kChannelNames[i];
    channels.push_back(take(engine->create_channel(spec), "create_channel").id);
  }
  std::vector<omni::IdentityInput> identities;
  for (int c = 0; c < g_customers; ++c)
    identities.push_back(identity_of(c));

  std::int64_t sequence = 0;
  auto receive_one = [&]() -> omni::Status {
    int customer = static_cast<int>(sequence % g_customers);
    omni::InboundMessage message;
    message.tenant = tenant.id;
    message.channel = channels[static_cast<std::size_t>(customer % kChannelCount)];
    message.from = identities[static_cast<std::size_t>(customer)];
    message.display_name = "Customer " + std::to_string(customer);
    message.provider_message_id = message_id_of(sequence);
    message.body = body_of(sequence);
    clock.advance(std::chrono::milliseconds(250));
    ++sequence;
    auto result = engine->receive(message);
    return result.ok() ? omni::Status() : result.status();
  };
  // Untimed warm-up: every customer writes once (new customer, new conversation).
  for (int c = 0; c < g_customers; ++c)
    check(receive_one(), "receive (warm-up)");

  for (auto _ : state) {
    omni::Status status = receive_one();
    if (!status.ok()) {
      state.SkipWithError(status.to_string().c_str());
      break;
    }
  }
  state.counters["msgs/s"] =
      benchmark::Counter(static_cast<double>(messages), benchmark::Counter::kIsRate);
  state.counters["customers"] = g_customers;
}

// --- raw SQLite

void receive_raw(benchmark::State& state, omni::Durability durability, std::int64_t messages) {
  omni_bench::TempDb file("receive-raw");
  omni_bench::RawDb db(file.path(), durability);
  omni_bench::create_raw_touchpoints(db);
  omni_bench::RawStatement begin(db.get(), "BEGIN IMMEDIATE");
  omni_bench::RawStatement commit(db.get(), "COMMIT");
  omni_bench::RawStatement insert(db.get(), omni_bench::kRawInsertTouchpoint);
  std::int64_t clock = omni::to_unix_micros(kStart);

  std::int64_t sequence = 0;
  auto insert_one = [&] {
    int customer = static_cast<int>(sequence % g_customers);
    int channel = customer % kChannelCount;
    std::string body = body_of(sequence);
    std::string message_id = message_id_of(sequence);
    std::string kind(omni::to_string(kChannelKinds[channel]));
    clock += 250000;
    ++sequence;
    begin.run();
    insert.bind(1, std::int64_t{1});
    insert.bind(2, std::int64_t{customer + 1});
    insert.bind(3, std::int64_t{customer + 1});
    insert.bind(4, std::int64_t{channel + 1});
    insert.bind(5, kind);
    insert.bind(6, body);
    insert.bind(7, message_id);
    insert.bind(8, clock);
    insert.run();
    commit.run();
  };
  for (int c = 0; c < g_customers; ++c)
    insert_one();

  for (auto _ : state)
    insert_one();
  state.counters["msgs/s"] =
      benchmark::Counter(static_cast<double>(messages), benchmark::Counter::kIsRate);
  state.counters["customers"] = g_customers;
}

struct Case {
  const char* name;
  bool omni;
  omni::Durability durability;
};
constexpr Case kCases[] = {
    {"receive/omni/full", true, omni::Durability::kFull},
    {"receive/raw/full", false, omni::Durability::kFull},
    {"receive/omni/normal", true, omni::Durability::kNormal},
    {"receive/raw/normal", false, omni::Durability::kNormal},
};

bool parse_flag(const char* arg, const char* name, std::int64_t* value) {
  std::size_t length = std::strlen(name);
  if (std::strncmp(arg, name, length) != 0 || arg[length] != '=') return false;
  *value = std::strtoll(arg + length + 1, nullptr, 10);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Our own flags first; the rest goes to Google Benchmark.
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::int64_t customers = 0;
    if (i > 0 && parse_flag(argv[i], "--messages_full", &g_messages_full)) continue;
    if (i > 0 && parse_flag(argv[i], "--messages_normal", &g_messages_normal)) continue;
    if (i > 0 && parse_flag(argv[i], "--customers", &customers)) {
      g_customers = static_cast<int>(customers);
      continue;
    }
    rest.push_back(argv[i]);
  }
  if (g_messages_full < 1 || g_messages_normal < 1 || g_customers < 1) {
    std::fprintf(stderr, "messages and customers must be positive\n");
    return 2;
  }
  for (const Case& c : kCases) {
    std::int64_t n = c.durability == omni::Durability::kFull ? g_messages_full : g_messages_normal;
    auto* b = benchmark::RegisterBenchmark(c.name, [c, n](benchmark::State& state) {
      if (c.omni) {
        receive_omni(state, c.durability, n);
      } else {
        receive_raw(state, c.durability, n);
      }
    });
    b->Iterations(n)->Unit(benchmark::kMicrosecond)->UseRealTime();
  }

  int bench_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&bench_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(bench_argc, rest.data())) return 2;
  omni_bench::CollectingReporter reporter(omni_bench::color_allowed(argc, argv));
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::printf("\n## Engine::receive vs raw SQLite (%d customers, one transaction per message)\n\n",
              g_customers);
  std::printf(
      "| durability | messages | omni msgs/s | raw msgs/s | omni / raw | omni CPU us/msg | raw CPU "
      "us/msg | omni / raw by CPU |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  bool failed = false;
  for (const char* durability : {"full", "normal"}) {
    const auto* o = reporter.find(std::string("receive/omni/") + durability);
    const auto* r = reporter.find(std::string("receive/raw/") + durability);
    if (o == nullptr || r == nullptr) {
      std::printf("| %s | - | - | - | not run | - | - | - |\n", durability);
      continue;
    }
    double omni_rate = o->counters.at("msgs/s");
    double raw_rate = r->counters.at("msgs/s");
    double ratio = omni_rate / raw_rate;
    // Wall-clock rates include waiting for the disk; CPU time is the work this process did.
    double cpu_ratio = r->cpu_time_per_iteration / o->cpu_time_per_iteration;
    long long messages = std::string(durability) == "full" ? g_messages_full : g_messages_normal;
    std::printf("| %s | %lld | %.0f | %.0f | %.2f%s | %.1f | %.1f | %.2f |\n", durability, messages,
                omni_rate, raw_rate, ratio, ratio >= 0.5 ? "" : " (below 0.50)",
                o->cpu_time_per_iteration, r->cpu_time_per_iteration, cpu_ratio);
    if (ratio < 0.5) failed = true;
  }
  std::printf("\nTarget: omni / raw >= 0.50 (messages/s, wall clock).%s\n",
              failed ? " NOT MET." : " Met.");
  return 0;
}
