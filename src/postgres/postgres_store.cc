// PostgresStore: a Store on PostgreSQL through libpq (omni/postgres_store.h). Each transaction
// borrows a connection from a pool; writes run at SERIALIZABLE, reads at REPEATABLE READ READ
// ONLY. The schema lives in postgres/pg_schema.cc, the libpq plumbing in postgres/pg_db.h; the
// JSON columns use the same codecs as SqliteStore (sqlite/json_columns.h).
//
// WORK IN PROGRESS (issue 7): the operations not written yet return kInternal "not implemented
// in PostgresStore yet"; docs/postgres.md lists which.
#include "omni/postgres_store.h"

#include <fmt/format.h>

#include <memory>
#include <string>
#include <utility>

#include "internal/macros.h"
#include "postgres/pg_db.h"
#include "postgres/pg_schema.h"
#include "postgres/pg_store.h"

namespace omni {
namespace {

using pgstore::PostgresTransaction;

// --- the store

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(std::shared_ptr<pg::ConnectionPool> pool) : pool_(std::move(pool)) {}

  // Writers' lock: every write transaction holds this session-level advisory lock in shared mode
  // from before its snapshot to after its end. A thread whose last kEscalateAfter write
  // transactions were all lost to serialization failures takes it exclusively instead: it waits
  // for the writers in flight, runs alone (read transactions at REPEATABLE READ cannot abort it)
  // and so commits, however busy the database. Taken before BEGIN, so the snapshot is fresh.
  static constexpr int kEscalateAfter = 3;
  static constexpr const char* kWritersLock = "1869442666";

  Result<std::unique_ptr<StoreTransaction>> begin(TransactionMode mode) override {
    try {
      OMNI_ASSIGN_OR_RETURN(std::unique_ptr<pg::Connection> connection, pool_->acquire());
      std::string unlock;
      if (mode == TransactionMode::kWrite) {
        const bool alone = PostgresTransaction::conflict_streak() >= kEscalateAfter;
        const std::string suffix = alone ? "" : "_shared";
        OMNI_RETURN_IF_ERROR(
            connection->exec(fmt::format("SELECT pg_advisory_lock{}({})", suffix, kWritersLock),
                             "taking the writers' lock"));
        unlock = fmt::format("SELECT pg_advisory_unlock{}({})", suffix, kWritersLock);
        Status begun =
            connection->exec("BEGIN ISOLATION LEVEL SERIALIZABLE", "starting a transaction");
        if (!begun.ok()) {
          (void)connection->exec(unlock, "releasing the writers' lock");
          return begun;
        }
      } else {
        OMNI_RETURN_IF_ERROR(connection->exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                                              "starting a transaction"));
      }
      return std::unique_ptr<StoreTransaction>(std::make_unique<PostgresTransaction>(
          pool_, std::move(connection), mode, std::move(unlock)));
    } catch (const std::bad_alloc&) {
      return Status::internal("postgres: starting a transaction: out of memory");
    } catch (const std::exception& e) {
      return Status::internal(std::string("postgres: starting a transaction: ") + e.what());
    }
  }

  std::string_view name() const override { return "postgres"; }

 private:
  std::shared_ptr<pg::ConnectionPool> pool_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgres_store(const PostgresStoreOptions& options) {
  if (options.conninfo.empty()) {
    return Status::invalid_argument("postgres: the connection string is empty");
  }
  OMNI_ASSIGN_OR_RETURN(std::unique_ptr<pg::Connection> connection,
                        pg::Connection::open(options.conninfo));
  OMNI_RETURN_IF_ERROR(pg::prepare_database(*connection));
  auto pool =
      std::make_shared<pg::ConnectionPool>(options.conninfo, options.max_pooled_connections);
  pool->release(std::move(connection));
  return std::unique_ptr<Store>(std::make_unique<PostgresStore>(std::move(pool)));
}

int postgres_schema_version() {
  return pg::schema_version();
}

}  // namespace omni
