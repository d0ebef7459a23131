// omni/postgres_store.h — a Store on PostgreSQL (15 or later) through libpq, for hosts that run
// many engine instances in many processes on one database. Built when libpq is found
// (target omni::postgres).
//
// Thread-safety: thread-safe. Each transaction gets its own connection from a pool. Write
// transactions run at SERIALIZABLE isolation: a write that conflicts with a concurrent one fails
// with kConflict and the Engine runs it again (EngineOptions::max_conflict_retries), so engines
// in different processes see the same guarantees as on one SQLite file. Read transactions run at
// REPEATABLE READ, READ ONLY: one consistent snapshot.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "omni/export.h"
#include "omni/status.h"
#include "omni/sys/store.h"

namespace omni {

struct PostgresStoreOptions {
  // A libpq connection string: "host=/run/postgresql dbname=crm user=omni" or
  // "postgresql://omni@db.example/crm?sslmode=require". Required.
  std::string conninfo;
  // Connections kept open for reuse. Default: 8.
  std::size_t max_pooled_connections = 8;
};

// Connects, and creates or migrates forward omni's tables in the database (under an advisory
// lock, so several processes may open it at once). Fails with kUnavailable when the server
// cannot be reached and kFailedPrecondition when the database has a newer omni schema.
OMNI_EXPORT Result<std::unique_ptr<Store>> open_postgres_store(const PostgresStoreOptions& options);

// The schema version this library writes (table omni_schema).
OMNI_EXPORT int postgres_schema_version();

}  // namespace omni
