// omni_bench_identity: identity lookup and receive as the number of customers grows.
//
// For 1,000, 100,000 and 1,000,000 customers (each with a CRM-id and a German mobile-number
// identity) in a SqliteStore file (Durability::kNormal), it measures:
//   - Engine::find_identity for random existing customers, beside the raw SQLite query doing the
//     same lookup (the unique (tenant, kind, scope, value) index) on the same file, in the same
//     process;
//   - Engine::receive of new messages from random existing customers, by CRM id and by SMS from
//     the phone number written nationally ("0151 ..."), which goes through libphonenumber;
//   - Engine::suggest_duplicates for random customers (name-key and identity-prefix lookups);
//   - the file size and resident memory per customer.
// Target (identity issue): per-lookup cost at 10^6 customers at most 1.5x that at 10^3.
//
// The CRM-id columns need no phone or email library, so they show how the store scales; in the
// phone columns omni's normalization cache favours the small runs, whose customers all fit in it.
//
// Usage: omni_bench_identity [MAX_CUSTOMERS]   (default 1000000; e.g. 100000 for a quick run)
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

using omni_bench::take;
using Clock = std::chrono::steady_clock;

constexpr int kLookups = 20000;
constexpr int kReceives = 2000;

std::string crm_id(std::int64_t customer) {
  char text[32];
  std::snprintf(text, sizeof text, "C%09lld", static_cast<long long>(customer));
  return text;
}

// A valid German mobile number per customer: +49 151 2xxxxxxx.
std::string mobile_e164(std::int64_t customer) {
  char text[32];
  std::snprintf(text, sizeof text, "+491512%07lld", static_cast<long long>(customer));
  return text;
}
std::string mobile_national(std::int64_t customer) {
  char text[32];
  std::snprintf(text, sizeof text, "0151 2%07lld", static_cast<long long>(customer));
  return text;
}

double file_mib(const std::string& path) {
  double total = 0;
  struct stat info {};
  for (const char* suffix : {"", "-wal"}) {
    if (stat((path + suffix).c_str(), &info) == 0) total += static_cast<double>(info.st_size);
  }
  return total / (1024.0 * 1024.0);
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = -1;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> value;
      return value;
    }
    status.ignore(1 << 12, '\n');
  }
  return value;
}

struct Row {
  std::int64_t customers = 0;
  double populate_s = 0;
  double omni_lookup_us = 0;
  double raw_lookup_us = 0;
  double receive_us = 0;
  double phone_lookup_us = 0;
  double phone_receive_us = 0;
  double suggest_us = 0;
  double bytes_per_customer = 0;
  long rss_kib = 0;
};

Row measure(std::int64_t customers) {
  omni_bench::TempDb db("identity");
  Row row;
  row.customers = customers;
  omni::SqliteStoreOptions store_options;
  store_options.path = db.path();
  store_options.durability = omni::Durability::kNormal;
  std::unique_ptr<omni::Store> store = take(omni::open_sqlite_store(store_options), "open store");

  // Populate through the Store interface in large transactions (the engine's receive would take
  // minutes for a million customers and measure the same inserts).
  const omni::Timestamp t0 = omni::from_unix_micros(1767225600LL * 1000000);  // 2026-01-01
  omni::TenantId tenant;
  const auto populate_start = Clock::now();
  {
    auto tx = take(store->begin(omni::TransactionMode::kWrite), "begin");
    omni::Tenant t;
    t.name = "bench";
    t.default_region = "DE";
    t.created_at = t0;
    tenant = take(tx->insert_tenant(t), "insert tenant");
    omni_bench::check(tx->commit(), "commit");
  }
  std::vector<omni::CustomerId> ids;
  ids.reserve(static_cast<std::size_t>(customers));
  for (std::int64_t done = 0; done < customers;) {
    auto tx = take(store->begin(omni::TransactionMode::kWrite), "begin");
    for (int i = 0; i < 10000 && done < customers; ++i, ++done) {
      omni::Customer c;
      c.tenant = tenant;
      c.display_name = "Customer " + std::to_string(done);
      c.created_at = c.updated_at = t0;
      omni::CustomerId id = take(tx->insert_customer(c), "insert customer");
      omni::Identity identity;
      identity.tenant = tenant;
      identity.customer = id;
      identity.kind = omni::IdentityKind::kCrmId;
      identity.scope = "crm";
      identity.value = crm_id(done);
      identity.source = "import";
      identity.first_seen = identity.last_seen = t0;
      take(tx->insert_identity(identity), "insert identity");
      identity.kind = omni::IdentityKind::kPhone;
      identity.scope.clear();
      identity.value = mobile_e164(done);
      take(tx->insert_identity(identity), "insert phone identity");
      ids.push_back(id);
    }
    omni_bench::check(tx->commit(), "commit");
  }
  row.populate_s = std::chrono::duration<double>(Clock::now() - populate_start).count();

  omni::ManualClock clock(t0 + std::chrono::hours(24));
  omni::EngineOptions options;
  options.clock = &clock;
  auto engine = take(omni::Engine::open(std::move(store), options), "Engine::open");
  omni::ChannelId channel =
      take(engine->create_channel({tenant, omni::ChannelKind::kWeb, "portal", std::nullopt}),
           "create channel")
          .id;
  omni::ChannelId sms =
      take(engine->create_channel({tenant, omni::ChannelKind::kSms, "sms", std::nullopt}),
           "create channel")
          .id;

  std::mt19937_64 random(42);
  std::uniform_int_distribution<std::int64_t> pick(0, customers - 1);
  std::vector<std::int64_t> sample(kLookups);
  for (auto& s : sample)
    s = pick(random);

  // omni: Engine::find_identity (normalization, a read transaction, the indexed lookup).
  {
    const auto start = Clock::now();
    for (std::int64_t s : sample) {
      omni::Identity found =
          take(engine->find_identity(tenant, {omni::IdentityKind::kCrmId, "crm", crm_id(s)}),
               "find_identity");
      if (found.customer != ids[static_cast<std::size_t>(s)]) omni_bench::die("wrong customer");
    }
    row.omni_lookup_us =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count() / kLookups;
  }
  // raw: the same lookup with the sqlite3 C API on the same file.
  {
    omni_bench::RawDb raw(db.path(), omni::Durability::kNormal);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(raw.get(),
                           "SELECT customer_id FROM identities WHERE tenant_id = ? AND kind = ? "
                           "AND scope = ? AND value = ?",
                           -1, &statement, nullptr) != SQLITE_OK) {
      omni_bench::die(sqlite3_errmsg(raw.get()));
    }
    const auto start = Clock::now();
    for (std::int64_t s : sample) {
      const std::string value = crm_id(s);
      sqlite3_bind_int64(statement, 1, tenant.value());
      sqlite3_bind_text(statement, 2, "crm_id", -1, SQLITE_STATIC);
      sqlite3_bind_text(statement, 3, "crm", -1, SQLITE_STATIC);
      sqlite3_bind_text(statement, 4, value.c_str(), static_cast<int>(value.size()), SQLITE_STATIC);
      if (sqlite3_step(statement) != SQLITE_ROW ||
          sqlite3_column_int64(statement, 0) != ids[static_cast<std::size_t>(s)].value()) {
        omni_bench::die("raw lookup failed");
      }
      sqlite3_reset(statement);
    }
    row.raw_lookup_us =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count() / kLookups;
    sqlite3_finalize(statement);
  }
  // Engine::receive of new messages from random existing customers.
  {
    const auto start = Clock::now();
    for (int i = 0; i < kReceives; ++i) {
      omni::InboundMessage m;
      m.tenant = tenant;
      m.channel = channel;
      m.from = {omni::IdentityKind::kCrmId, "crm", crm_id(sample[static_cast<std::size_t>(i)])};
      m.provider_message_id = "m" + std::to_string(i);
      m.body = "Where is my order?";
      clock.advance(std::chrono::milliseconds(250));
      take(engine->receive(m), "receive");
    }
    row.receive_us =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count() / kReceives;
  }
  // The same by phone number, written nationally.
  {
    const auto start = Clock::now();
    for (std::int64_t s : sample) {
      omni::Identity found =
          take(engine->find_identity(tenant, {omni::IdentityKind::kPhone, "", mobile_national(s)}),
               "find_identity (phone)");
      if (found.customer != ids[static_cast<std::size_t>(s)]) omni_bench::die("wrong customer");
    }
    row.phone_lookup_us =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count() / kLookups;
  }
  {
    const auto start = Clock::now();
    for (int i = 0; i < kReceives; ++i) {
      omni::InboundMessage m;
      m.tenant = tenant;
      m.channel = sms;
      const std::int64_t s = sample[static_cast<std::size_t>(kReceives + i)];
      m.from = {omni::IdentityKind::kPhone, "", mobile_national(s)};
      m.provider_message_id = "sms" + std::to_string(i);
      m.body = "Wo ist meine Bestellung?";
      clock.advance(std::chrono::milliseconds(250));
      omni::ReceiveResult r = take(engine->receive(m), "receive (phone)");
      if (r.customer != ids[static_cast<std::size_t>(s)]) omni_bench::die("wrong customer");
    }
    row.phone_receive_us =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count() / kReceives;
  }
  {
    const auto start = Clock::now();
    for (int i = 0; i < kReceives; ++i) {
      take(engine->suggest_duplicates(tenant, ids[static_cast<std::size_t>(sample[i])]),
           "suggest_duplicates");
    }
    row.suggest_us =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count() / kReceives;
  }
  row.bytes_per_customer = file_mib(db.path()) * 1024.0 * 1024.0 / static_cast<double>(customers);
  row.rss_kib = rss_kib();
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t max_customers = argc > 1 ? std::atoll(argv[1]) : 1000000;
  if (max_customers < 1000) omni_bench::die("MAX_CUSTOMERS must be at least 1000");
  std::vector<Row> rows;
  for (std::int64_t n : {std::int64_t{1000}, std::int64_t{100000}, std::int64_t{1000000}}) {
    if (n > max_customers) break;
    std::fprintf(stderr, "measuring %lld customers...\n", static_cast<long long>(n));
    rows.push_back(measure(n));
  }
  std::printf(
      "\n## Identity lookup and receive by number of customers (SQLite, kNormal)\n\n"
      "| customers | populate s | omni lookup us | raw lookup us | omni / raw | lookup vs 10^3 "
      "| receive us | phone lookup us | phone receive us | suggest us | file bytes / customer "
      "| VmRSS MiB |\n"
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const Row& r : rows) {
    std::printf(
        "| %lld | %.1f | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f | %.1f | %.1f | %.0f | %.1f |\n",
        static_cast<long long>(r.customers), r.populate_s, r.omni_lookup_us, r.raw_lookup_us,
        r.omni_lookup_us / r.raw_lookup_us, r.omni_lookup_us / rows.front().omni_lookup_us,
        r.receive_us, r.phone_lookup_us, r.phone_receive_us, r.suggest_us, r.bytes_per_customer,
        static_cast<double>(r.rss_kib) / 1024.0);
  }
  if (rows.size() == 3) {
    const double growth = rows.back().omni_lookup_us / rows.front().omni_lookup_us;
    std::printf("\nTarget: lookup at 10^6 <= 1.5x lookup at 10^3: %.2fx, %s\n", growth,
                growth <= 1.5 ? "met" : "NOT MET");
  }
  return 0;
}
