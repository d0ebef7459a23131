// omni_bench_timeline: reading one page of a long customer timeline through Engine::timeline
// versus the raw indexed SQLite query, in the same process.
//
// Data: one customer (Anna) with 10,000 messages over SMS and WhatsApp, interleaved with 10,000
// messages of 100 other customers, received through Engine::receive into a SqliteStore file
// (Durability::kNormal). The raw baseline gets the same rows in a table with an equivalent
// (tenant, customer, occurred_at, id) index.
//
// Each benchmark reads a page of 50, newest first:
//   newest: the first page (no cursor);
//   middle: the page older than a cursor at Anna's 5,000th message.
// The raw query is
//   SELECT ... FROM touchpoints WHERE tenant=? AND customer=? AND (occurred_at, id) < (?, ?)
//   ORDER BY occurred_at DESC, id DESC LIMIT 50
// with every column read into a row struct, as a host without omni would have to.
// The summary prints the time per page and the ratio omni / raw (target: at most 2).
//
// Usage: omni_bench_timeline [google benchmark flags]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

using omni_bench::check;
using omni_bench::take;

constexpr int kAnnaMessages = 10000;
constexpr int kOtherCustomers = 100;
constexpr int kOtherMessagesEach = 100;
constexpr std::size_t kPage = 50;
const omni::Timestamp kStart = omni::from_unix_micros(1767225600LL * 1000000);  // 2026-01-01

std::string phone_of(int customer) {
  char phone[32];
  std::snprintf(phone, sizeof phone, "+49151%08d", customer);
  return phone;
}

// A row of the raw table, read the way a host would read it.
struct RawRow {
  std::int64_t id = 0;
  std::int64_t customer = 0;
  std::int64_t conversation = 0;
  std::int64_t channel = 0;
  std::string channel_kind;
  std::string kind;
  std::int64_t agent = 0;
  std::int64_t handoff = 0;
  std::string subject;
  std::string body;
  std::string attachments;
  std::string metadata;
  std::string provider_message_id;
  std::string delivery;
  std::int64_t occurred_at = 0;
  std::int64_t recorded_at = 0;
};

// The data set, built once and shared by every benchmark of this process.
struct Fixture {
  omni_bench::TempDb omni_file{"timeline-omni"};
  omni_bench::TempDb raw_file{"timeline-raw"};
  omni::ManualClock clock{kStart};
  std::unique_ptr<omni::Engine> engine;
  omni::TenantId tenant;
  omni::CustomerId anna;
  omni::TimelineCursor middle;  // Anna's 5,000th message in omni
  std::unique_ptr<omni_bench::RawDb> raw;
  std::int64_t raw_middle_at = 0;
  std::int64_t raw_middle_id = 0;

  Fixture() {
    omni::SqliteStoreOptions store_options;
    store_options.path = omni_file.path();
    store_options.durability = omni::Durability::kNormal;
    auto store = take(omni::open_sqlite_store(store_options), "open_sqlite_store");
    omni::EngineOptions options;
    options.clock = &clock;
    engine = take(omni::Engine::open(std::move(store), options), "Engine::open");
    tenant = take(engine->ensure_tenant("bench"), "ensure_tenant").id;
    omni::ChannelSpec sms{tenant, omni::ChannelKind::kSms, "+4930123456", std::nullopt};
    omni::ChannelSpec whatsapp{tenant, omni::ChannelKind::kWhatsApp, "wa-4930123456", std::nullopt};
    omni::ChannelId channels[] = {take(engine->create_channel(sms), "create_channel").id,
                                  take(engine->create_channel(whatsapp), "create_channel").id};

    raw = std::make_unique<omni_bench::RawDb>(raw_file.path(), omni::Durability::kNormal);
    omni_bench::create_raw_touchpoints(*raw);
    omni_bench::RawStatement insert(raw->get(), omni_bench::kRawInsertTouchpoint);
    raw->exec("BEGIN");

    // Anna writes every other message; the other customers take turns in between. Every
    // customer alternates between SMS and WhatsApp.
    std::int64_t sequence = 0;
    int total = kAnnaMessages + kOtherCustomers * kOtherMessagesEach;
    int anna_written = 0;
    for (int i = 0; i < total; ++i) {
      bool is_anna = i % 2 == 0;
      int customer = is_anna ? 0 : 1 + (i / 2) % kOtherCustomers;
      int channel = (i / 2) % 2;
      clock.advance(std::chrono::seconds(30));
      omni::InboundMessage message;
      message.tenant = tenant;
      message.channel = channels[channel];
      message.from.kind = omni::IdentityKind::kPhone;
      message.from.value = phone_of(customer);
      message.display_name = customer == 0 ? "Anna" : "Customer " + std::to_string(customer);
      message.provider_message_id = "m-" + std::to_string(sequence++);
      message.body = "Message " + std::to_string(i) +
                     ": still waiting for the replacement router, could you check the status?";
      auto received = take(engine->receive(message), "receive");
      std::string kind(
          omni::to_string(channel == 0 ? omni::ChannelKind::kSms : omni::ChannelKind::kWhatsApp));
      insert.bind(1, std::int64_t{1});
      insert.bind(2, std::int64_t{customer + 1});
      insert.bind(3, std::int64_t{customer + 1});
      insert.bind(4, std::int64_t{channel + 1});
      insert.bind(5, kind);
      insert.bind(6, message.body);
      insert.bind(7, message.provider_message_id);
      insert.bind(8, omni::to_unix_micros(clock.now()));
      insert.run();
      if (is_anna) {
        anna = received.customer;
        ++anna_written;
        if (anna_written == kAnnaMessages / 2) {
          middle = omni::TimelineCursor{clock.now(), received.touchpoint};
          raw_middle_at = omni::to_unix_micros(clock.now());
          raw_middle_id = sqlite3_last_insert_rowid(raw->get());
        }
      }
    }
    raw->exec("COMMIT");
    raw->exec("ANALYZE");
  }
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

void timeline_omni(benchmark::State& state, bool from_middle) {
  Fixture& f = fixture();
  omni::TimelineQuery query;
  query.tenant = f.tenant;
  query.customer = f.anna;
  query.limit = kPage;
  query.direction = omni::TimelineDirection::kOlder;
  if (from_middle) query.cursor = f.middle;
  std::size_t rows = 0;
  for (auto _ : state) {
    auto page = f.engine->timeline(query);
    if (!page.ok()) {
      state.SkipWithError(page.status().to_string().c_str());
      break;
    }
    rows = page->touchpoints.size();
    benchmark::DoNotOptimize(page->touchpoints.data());
  }
  if (rows != kPage) state.SkipWithError("Engine::timeline returned a short page");
  state.counters["rows"] = static_cast<double>(rows);
}

void timeline_raw(benchmark::State& state, bool from_middle) {
  Fixture& f = fixture();
  const char* columns =
      "SELECT id, customer_id, conversation_id, channel_id, channel_kind, kind, agent_id,"
      " handoff_id, subject, body, attachments, metadata, provider_message_id, delivery,"
      " occurred_at, recorded_at FROM touchpoints WHERE tenant_id = ?1 AND customer_id = ?2";
  std::string sql = std::string(columns) +
                    (from_middle ? " AND (occurred_at, id) < (?3, ?4)" : "") +
                    " ORDER BY occurred_at DESC, id DESC LIMIT 50";
  omni_bench::RawStatement select(f.raw->get(), sql.c_str());
  std::size_t rows = 0;
  for (auto _ : state) {
    select.bind(1, std::int64_t{1});
    select.bind(2, std::int64_t{1});
    if (from_middle) {
      select.bind(3, f.raw_middle_at);
      select.bind(4, f.raw_middle_id);
    }
    std::vector<RawRow> page;
    page.reserve(kPage);
    while (select.step()) {
      RawRow row;
      row.id = select.column_int(0);
      row.customer = select.column_int(1);
      row.conversation = select.column_int(2);
      row.channel = select.column_int(3);
      row.channel_kind = select.column_text(4);
      row.kind = select.column_text(5);
      row.agent = select.column_int(6);
      row.handoff = select.column_int(7);
      row.subject = select.column_text(8);
      row.body = select.column_text(9);
      row.attachments = select.column_text(10);
      row.metadata = select.column_text(11);
      row.provider_message_id = select.column_text(12);
      row.delivery = select.column_text(13);
      row.occurred_at = select.column_int(14);
      row.recorded_at = select.column_int(15);
      page.push_back(std::move(row));
    }
    select.reset();
    rows = page.size();
    benchmark::DoNotOptimize(page.data());
  }
  if (rows != kPage) state.SkipWithError("raw query returned a short page");
  state.counters["rows"] = static_cast<double>(rows);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("timeline/omni/newest", [](benchmark::State& s) {
    timeline_omni(s, false);
  })->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("timeline/raw/newest", [](benchmark::State& s) {
    timeline_raw(s, false);
  })->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("timeline/omni/middle", [](benchmark::State& s) {
    timeline_omni(s, true);
  })->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("timeline/raw/middle", [](benchmark::State& s) {
    timeline_raw(s, true);
  })->Unit(benchmark::kMicrosecond);
  const bool color = omni_bench::color_allowed(argc, argv);  // before Initialize eats the flag
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  auto setup_started = std::chrono::steady_clock::now();
  fixture();
  std::chrono::duration<double> setup = std::chrono::steady_clock::now() - setup_started;
  std::printf("fixture: %d messages of Anna + %d of %d other customers, built in %.1f s\n",
              kAnnaMessages, kOtherCustomers * kOtherMessagesEach, kOtherCustomers, setup.count());

  omni_bench::CollectingReporter reporter(color);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::printf("\n## Engine::timeline vs raw indexed query (page of %zu, customer with %d)\n\n",
              kPage, kAnnaMessages);
  std::printf(
      "| page | omni per page | raw per page | omni / raw | omni CPU per page | raw CPU per page | "
      "omni / raw by CPU |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  bool failed = false;
  for (const char* which : {"newest", "middle"}) {
    const auto* o = reporter.find(std::string("timeline/omni/") + which);
    const auto* r = reporter.find(std::string("timeline/raw/") + which);
    if (o == nullptr || r == nullptr) {
      std::printf("| %s | - | - | not run | - | - | - |\n", which);
      continue;
    }
    double ratio = o->real_time_per_iteration / r->real_time_per_iteration;
    double cpu_ratio = o->cpu_time_per_iteration / r->cpu_time_per_iteration;
    std::printf("| %s | %.1f %s | %.1f %s | %.2f%s | %.1f %s | %.1f %s | %.2f |\n", which,
                o->real_time_per_iteration, o->unit.c_str(), r->real_time_per_iteration,
                r->unit.c_str(), ratio, ratio <= 2.0 ? "" : " (above 2.00)",
                o->cpu_time_per_iteration, o->unit.c_str(), r->cpu_time_per_iteration,
                r->unit.c_str(), cpu_ratio);
    if (ratio > 2.0) failed = true;
  }
  std::printf("\nTarget: omni / raw <= 2.00 (time per page, wall clock).%s\n",
              failed ? " NOT MET." : " Met.");
  return 0;
}
