// PostgresStore: a Store on PostgreSQL through libpq (omni/postgres_store.h). Each transaction
// borrows a connection from a pool; writes run at SERIALIZABLE, reads at REPEATABLE READ READ
// ONLY. The schema lives in postgres/pg_schema.cc, the libpq plumbing in postgres/pg_db.h; the
// JSON columns use the same codecs as SqliteStore (sqlite/json_columns.h).
//
// WORK IN PROGRESS (issue 7): the operations not written yet return kInternal "not implemented
// in PostgresStore yet"; docs/postgres.md lists which.
#include "omni/postgres_store.h"

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

  Result<std::unique_ptr<StoreTransaction>> begin(TransactionMode mode) override {
    try {
      OMNI_ASSIGN_OR_RETURN(std::unique_ptr<pg::Connection> connection, pool_->acquire());
      OMNI_RETURN_IF_ERROR(connection->exec(
          mode == TransactionMode::kWrite ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                          : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
          "starting a transaction"));
      return std::unique_ptr<StoreTransaction>(
          std::make_unique<PostgresTransaction>(pool_, std::move(connection), mode));
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
