// omni_bench_memory: receives N messages (default 1,000,000) from 10,000 customers over four
// channels into a SqliteStore file with Durability::kNormal and prints the process's peak and
// current resident set size (VmHWM, VmRSS from /proc/self/status) at every 10%, to show that
// memory stays flat however long the history grows: the engine keeps no per-message state and
// the store answers from the file.
//
// Usage: omni_bench_memory [N]     (N >= 10; e.g. 100000 for a quick run)
#include <sys/stat.h>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

using omni_bench::identity_of;
using omni_bench::kChannelCount;
using omni_bench::kChannelKinds;
using omni_bench::kChannelNames;
using omni_bench::take;

constexpr int kCustomers = 10000;

struct Memory {
  long peak_kib = -1;     // VmHWM
  long current_kib = -1;  // VmRSS
};

Memory read_memory() {
  Memory m;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) m.peak_kib = std::strtol(line.c_str() + 6, nullptr, 10);
    if (line.rfind("VmRSS:", 0) == 0) m.current_kib = std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return m;
}

double file_mib(const std::string& path) {
  struct stat info {};
  double total = 0;
  for (const char* suffix : {"", "-wal"}) {
    if (stat((path + suffix).c_str(), &info) == 0) total += static_cast<double>(info.st_size);
  }
  return total / (1024.0 * 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t n = 1000000;
  if (argc > 1) n = std::strtoll(argv[1], nullptr, 10);
  if (n < 10) {
    std::fprintf(stderr, "usage: omni_bench_memory [N]   (N >= 10, default 1000000)\n");
    return 2;
  }

  omni_bench::TempDb db("memory");
  omni::SqliteStoreOptions store_options;
  store_options.path = db.path();
  store_options.durability = omni::Durability::kNormal;
  auto store = take(omni::open_sqlite_store(store_options), "open_sqlite_store");
  omni::ManualClock clock(omni::from_unix_micros(1767225600LL * 1000000));  // 2026-01-01
  omni::EngineOptions options;
  options.clock = &clock;
  auto engine = take(omni::Engine::open(std::move(store), options), "Engine::open");
  omni::TenantId tenant = take(engine->ensure_tenant("bench"), "ensure_tenant").id;
  std::vector<omni::ChannelId> channels;
  for (int i = 0; i < kChannelCount; ++i) {
    omni::ChannelSpec spec{tenant, kChannelKinds[i], kChannelNames[i], std::nullopt};
    channels.push_back(take(engine->create_channel(spec), "create_channel").id);
  }

  std::printf("omni_bench_memory: %lld messages from %d customers into %s (kNormal)\n\n",
              static_cast<long long>(n), kCustomers, db.path().c_str());
  std::printf("| messages | VmHWM (peak) MiB | VmRSS MiB | db + wal MiB | msgs/s (interval) |\n");
  std::printf("| ---: | ---: | ---: | ---: | ---: |\n");
  auto print_row = [&](std::int64_t done, double rate) {
    Memory m = read_memory();
    std::string rate_text = rate > 0 ? std::to_string(static_cast<long long>(rate)) : "-";
    std::printf("| %lld | %.1f | %.1f | %.1f | %s |\n", static_cast<long long>(done),
                static_cast<double>(m.peak_kib) / 1024.0,
                static_cast<double>(m.current_kib) / 1024.0, file_mib(db.path()),
                rate_text.c_str());
    std::fflush(stdout);
  };
  print_row(0, 0);

  auto started = std::chrono::steady_clock::now();
  auto interval_started = started;
  std::int64_t interval_from = 0;
  std::int64_t next_checkpoint = 1;
  for (std::int64_t i = 0; i < n; ++i) {
    int customer = static_cast<int>(i % kCustomers);
    omni::InboundMessage message;
    message.tenant = tenant;
    message.channel = channels[static_cast<std::size_t>(customer % kChannelCount)];
    message.from = identity_of(customer);
    message.display_name = "Customer " + std::to_string(customer);
    message.provider_message_id = "m-" + std::to_string(i);
    message.body = "Hello, this is about order #" + std::to_string(100000 + i % 5000) +
                   ": the parcel has not arrived yet and the tracking page shows no update.";
    clock.advance(std::chrono::milliseconds(100));
    auto received = engine->receive(message);
    if (!received.ok()) {
      std::fprintf(stderr, "receive #%lld failed: %s\n", static_cast<long long>(i),
                   received.status().to_string().c_str());
      return 1;
    }
    std::int64_t done = i + 1;
    if (done * 10 >= next_checkpoint * n) {
      auto now = std::chrono::steady_clock::now();
      std::chrono::duration<double> seconds = now - interval_started;
      print_row(done, static_cast<double>(done - interval_from) / seconds.count());
      interval_started = now;
      interval_from = done;
      ++next_checkpoint;
    }
  }
  std::chrono::duration<double> total = std::chrono::steady_clock::now() - started;
  std::printf("\n%lld messages in %.1f s (%.0f msgs/s)\n", static_cast<long long>(n), total.count(),
              static_cast<double>(n) / total.count());
  return 0;
}
