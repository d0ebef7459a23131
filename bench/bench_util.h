// Helpers shared by omni's benchmarks: temporary database files, a small RAII layer over the raw
// sqlite3 C API for the baselines, and a reporter that keeps the results for a summary table.
//
// Not part of omni's API; the benchmarks use omni only through its public headers, as a host
// would.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <omni/omni.h>

namespace omni_bench {

// A unique path under /tmp, e.g. "/tmp/omni-bench-receive-1234-3.db".
inline std::string temp_db_path(const std::string& label) {
  static std::atomic<int> counter{0};
  return "/tmp/omni-bench-" + label + "-" + std::to_string(getpid()) + "-" +
         std::to_string(counter.fetch_add(1)) + ".db";
}

// Removes a SQLite database and its WAL side files.
inline void remove_db_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::remove((path + suffix).c_str());
  }
}

// Removes the files when it goes out of scope.
class TempDb {
 public:
  explicit TempDb(const std::string& label) : path_(temp_db_path(label)) { remove_db_files(path_); }
  ~TempDb() { remove_db_files(path_); }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "fatal: %s\n", what.c_str());
  std::exit(1);
}

// Whether argv asks for no colours (--benchmark_color=false|no|0).
inline bool color_allowed(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--benchmark_color=false" || arg == "--benchmark_color=no" ||
        arg == "--benchmark_color=0") {
      return false;
    }
  }
  return true;
}

inline void check(const omni::Status& status, const char* what) {
  if (!status.ok()) die(std::string(what) + ": " + status.to_string());
}

template <typename T>
T take(omni::Result<T> result, const char* what) {
  if (!result.ok()) die(std::string(what) + ": " + result.status().to_string());
  return std::move(result).value();
}

// --- raw SQLite baseline

class RawStatement {
 public:
  RawStatement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr) != SQLITE_OK) {
      die(std::string("prepare failed: ") + sqlite3_errmsg(db) + " in: " + sql);
    }
  }
  ~RawStatement() { sqlite3_finalize(statement_); }
  RawStatement(const RawStatement&) = delete;
  RawStatement& operator=(const RawStatement&) = delete;

  sqlite3_stmt* get() const { return statement_; }
  void bind(int index, std::int64_t value) { sqlite3_bind_int64(statement_, index, value); }
  void bind(int index, const std::string& value) {
    sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()),
                      SQLITE_STATIC);
  }
  void bind_null(int index) { sqlite3_bind_null(statement_, index); }
  // Steps once; returns true while there is a row.
  bool step() {
    int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) die(std::string("step failed: ") + sqlite3_errmsg(db_));
    return false;
  }
  // Steps to the end and resets for the next use.
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  std::int64_t column_int(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string column_text(int column) const {
    const unsigned char* text = sqlite3_column_text(statement_, column);
    return text == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(text),
                             static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

class RawDb {
 public:
  // Opens the file in WAL mode with synchronous=FULL or NORMAL, like SqliteStore.
  RawDb(const std::string& path, omni::Durability durability) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      die("cannot open " + path);
    }
    exec("PRAGMA journal_mode=WAL");
    exec(durability == omni::Durability::kFull ? "PRAGMA synchronous=FULL"
                                               : "PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  sqlite3* get() const { return db_; }
  void exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error == nullptr ? "?" : error;
      sqlite3_free(error);
      die("exec failed: " + message + " in: " + sql);
    }
  }

 private:
  sqlite3* db_ = nullptr;
};

// A raw table shaped like omni's SQLite touchpoints table (same columns and indexes: the
// idempotency key (tenant, channel, provider message id), the customer timeline and the
// conversation timeline), without the foreign keys.
inline void create_raw_touchpoints(RawDb& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS touchpoints ("
      " id INTEGER PRIMARY KEY,"
      " tenant_id INTEGER NOT NULL,"
      " customer_id INTEGER NOT NULL,"
      " conversation_id INTEGER,"
      " channel_id INTEGER,"
      " channel_kind TEXT NOT NULL,"
      " kind TEXT NOT NULL,"
      " agent_id INTEGER,"
      " handoff_id INTEGER,"
      " subject TEXT NOT NULL,"
      " body TEXT NOT NULL,"
      " attachments TEXT NOT NULL,"
      " metadata TEXT NOT NULL,"
      " provider_message_id TEXT NOT NULL,"
      " delivery TEXT NOT NULL,"
      " occurred_at INTEGER NOT NULL,"
      " recorded_at INTEGER NOT NULL)");
  db.exec(
      "CREATE UNIQUE INDEX IF NOT EXISTS touchpoints_provider_message"
      " ON touchpoints(tenant_id, channel_id, provider_message_id)"
      " WHERE provider_message_id <> '' AND channel_id IS NOT NULL");
  db.exec(
      "CREATE INDEX IF NOT EXISTS touchpoints_customer_timeline"
      " ON touchpoints(tenant_id, customer_id, occurred_at, id)");
  db.exec(
      "CREATE INDEX IF NOT EXISTS touchpoints_conversation_timeline"
      " ON touchpoints(tenant_id, conversation_id, occurred_at, id)");
}

// ?1 tenant, ?2 customer, ?3 conversation, ?4 channel, ?5 channel kind, ?6 body,
// ?7 provider message id, ?8 occurred_at (also recorded_at).
inline constexpr const char* kRawInsertTouchpoint =
    "INSERT INTO touchpoints(tenant_id, customer_id, conversation_id, channel_id, channel_kind,"
    " kind, agent_id, handoff_id, subject, body, attachments, metadata, provider_message_id,"
    " delivery, occurred_at, recorded_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, 'message_in', NULL, NULL, '', ?6, '[]', '{}', ?7, 'none', ?8,"
    " ?8)";

// --- results

// One measured benchmark, as reported by Google Benchmark after its run.
struct Measurement {
  double real_time_per_iteration = 0;  // in `unit`
  double cpu_time_per_iteration = 0;   // in `unit`, this process's CPU time
  std::string unit;
  std::map<std::string, double> counters;  // rates already divided by time
  int runs = 0;
};

// Prints like the console reporter and keeps every result for the summary table. With
// repetitions, the median aggregate wins over single runs.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal, unless --benchmark_color=false was given.
  explicit CollectingReporter(bool color_allowed = true)
      : ConsoleReporter(color_allowed && isatty(fileno(stdout)) ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& reports) override {
    ConsoleReporter::ReportRuns(reports);
    for (const Run& run : reports) {
      if (run.error_occurred) continue;
      bool aggregate = run.run_type == Run::RT_Aggregate;
      if (aggregate && run.aggregate_name != "median") continue;
      std::string name = run.run_name.function_name;
      Measurement& m = results_[name];
      if (aggregate) {
        m = Measurement();
        m.runs = -1;  // final: a median
      } else if (m.runs < 0) {
        continue;
      }
      m.real_time_per_iteration = run.GetAdjustedRealTime();
      m.cpu_time_per_iteration = run.GetAdjustedCPUTime();
      m.unit = benchmark::GetTimeUnitString(run.time_unit);
      for (const auto& [key, counter] : run.counters)
        m.counters[key] = counter.value;
      if (m.runs >= 0) ++m.runs;
    }
  }

  // Nullptr when the benchmark did not run (filtered out, or it failed).
  const Measurement* find(const std::string& function_name) const {
    auto it = results_.find(function_name);
    return it == results_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, Measurement> results_;
};

// The four channels the receive and memory benchmarks spread their customers over.
constexpr omni::ChannelKind kChannelKinds[] = {
    omni::ChannelKind::kSms, omni::ChannelKind::kWhatsApp, omni::ChannelKind::kEmail,
    omni::ChannelKind::kMessenger};
constexpr const char* kChannelNames[] = {"+4930123456", "wa-4930123456", "support@example.com",
                                         "fb-page-1001"};
constexpr int kChannelCount = 4;

// Customer c writes on channel c % 4 with the identity that channel carries.
inline omni::IdentityInput identity_of(int customer) {
  omni::IdentityInput id;
  switch (customer % kChannelCount) {
    case 0:
    case 1: {
      char phone[32];
      std::snprintf(phone, sizeof phone, "+49151%08d", customer);
      id.kind = omni::IdentityKind::kPhone;
      id.value = phone;
      break;
    }
    case 2:
      id.kind = omni::IdentityKind::kEmail;
      id.value = "customer" + std::to_string(customer) + "@example.org";
      break;
    default:
      id.kind = omni::IdentityKind::kMessengerPsid;
      id.scope = "1001";
      id.value = std::to_string(7000000000LL + customer);
      break;
  }
  return id;
}

}  // namespace omni_bench
