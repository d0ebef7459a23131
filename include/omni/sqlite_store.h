// omni/sqlite_store.h — the default embedded Store: one SQLite file in WAL mode.
//
// Thread-safety: thread-safe. Each transaction gets its own connection from a small pool; write
// transactions use BEGIN IMMEDIATE, so writers (also in other processes on the same file) are
// serialized by SQLite's lock and wait up to busy_timeout before failing with kConflict. Readers
// run concurrently with one writer.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "omni/export.h"
#include "omni/status.h"
#include "omni/sys/store.h"

namespace omni {

enum class Durability {
  // synchronous=FULL: a committed transaction survives a process crash and an OS crash or power
  // loss.
  kFull,
  // synchronous=NORMAL (WAL): a committed transaction survives a process crash; the last
  // transactions may be lost on an OS crash or power loss.
  kNormal,
};

struct SqliteStoreOptions {
  // Path of the database file; created when missing. ":memory:" is refused (use MemoryStore).
  std::string path;
  // Default: kFull.
  Durability durability = Durability::kFull;
  // How long a transaction waits for another writer's lock. Default: 5 s.
  std::chrono::milliseconds busy_timeout{5000};
  // Most connections kept open for reuse. Default: 8.
  std::size_t max_pooled_connections = 8;
};

// Opens (creating or migrating forward) the database. Fails with kCorruption for a file that is
// not an omni database, and kFailedPrecondition for a schema newer than this library.
OMNI_EXPORT Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteStoreOptions& options);

// The schema version this library writes (PRAGMA user_version).
OMNI_EXPORT int sqlite_schema_version();

}  // namespace omni
