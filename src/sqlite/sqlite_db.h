// Thin RAII layer over the SQLite C API used by SqliteStore: a connection with a cache of
// prepared statements, a borrowed statement that resets itself, a transaction that rolls back
// unless committed, a small connection pool, and the one function that turns SQLite result codes
// into Status values. Internal; not installed.
//
// Thread-safety: a Connection (and its statements and transaction) is used by one thread at a
// time; the ConnectionPool is thread-safe.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/status.h"

namespace omni::sqlite {

// The one mapping from SQLite result codes (primary or extended) to Status:
//   SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY      -> kAlreadyExists
//   SQLITE_CONSTRAINT_FOREIGNKEY                -> kNotFound (a referenced record is missing,
//                                                  or belongs to another tenant)
//   SQLITE_CONSTRAINT_NOTNULL / _CHECK          -> kInvalidArgument
//   SQLITE_BUSY / SQLITE_LOCKED                 -> kConflict
//   SQLITE_CORRUPT / SQLITE_NOTADB              -> kCorruption
//   SQLITE_IOERR / _FULL / _CANTOPEN / _READONLY / _PERM -> kIoError
//   SQLITE_TOOBIG                               -> kResourceExhausted
//   anything else                               -> kInternal
// The message names what was being done and carries sqlite3_errmsg(db) (or sqlite3_errstr(code)
// when there is no connection), so call it right after the failing call.
Status sqlite_status(int code, sqlite3* db, std::string_view what);

// A prepared statement borrowed from a Connection's cache. Binding is positional (1-based);
// the first failed bind is reported by the next step(). On destruction the statement is reset
// and its bindings cleared, so the cache can hand it out again.
class Statement {
 public:
  Statement(sqlite3_stmt* statement, sqlite3* db) : statement_(statement), db_(db) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind_int64(int index, std::int64_t value);
  Statement& bind_bool(int index, bool value) { return bind_int64(index, value ? 1 : 0); }
  Statement& bind_text(int index, std::string_view value);
  Statement& bind_double(int index, double value);
  Statement& bind_null(int index);
  Statement& bind_optional_int64(int index, std::optional<std::int64_t> value);

  // Advances to the next row: true when a row is available, false when the statement is done.
  Result<bool> step(std::string_view what);
  // Runs a statement that returns no rows to completion.
  Status run(std::string_view what);

  bool column_is_null(int column) const;
  std::int64_t column_int64(int column) const;
  double column_double(int column) const;
  std::optional<std::int64_t> column_optional_int64(int column) const;
  std::string column_text(int column) const;
  std::string_view column_name(int column) const;

  sqlite3* db() const { return db_; }

 private:
  void note_bind(int code, int index);

  sqlite3_stmt* statement_;
  sqlite3* db_;
  int bind_error_ = SQLITE_OK;
  int bind_error_index_ = 0;
};

// One open database connection plus its prepared-statement cache (keyed by SQL text).
class Connection {
 public:
  // Opens `path` read-write, creating it when missing, in SQLite's multi-thread mode
  // (SQLITE_OPEN_NOMUTEX), with extended result codes and the given busy timeout.
  static Result<std::unique_ptr<Connection>> open(const std::string& path,
                                                  std::chrono::milliseconds busy_timeout);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();  // finalizes cached statements and closes the connection

  sqlite3* handle() const { return db_; }

  // A statement for `sql`, prepared once per connection and cached.
  Result<Statement> prepare(std::string_view sql);
  // Runs one or more SQL statements that return no rows to completion (schema, pragmas).
  Status execute_script(const std::string& sql, std::string_view what);
  // Runs a statement expected to return one row with one integer column (`PRAGMA user_version`).
  Result<std::int64_t> query_int64(std::string_view sql, std::string_view what);
  // Runs a statement expected to return one row with one text column (`PRAGMA journal_mode`).
  Result<std::string> query_text(std::string_view sql, std::string_view what);

  // True when no transaction is open on the connection.
  bool in_autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

// A transaction on a borrowed connection: BEGIN (deferred) or BEGIN IMMEDIATE at start,
// ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Connection& connection, bool immediate);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() { rollback(); }

  // COMMIT. On failure the transaction is rolled back, so none of its writes become visible.
  Status commit();
  // ROLLBACK when still open; never fails (a connection left in a transaction is not pooled).
  void rollback() noexcept;
  bool is_open() const { return open_; }

 private:
  explicit Transaction(Connection* connection) : connection_(connection), open_(true) {}

  Connection* connection_;
  bool open_;
};

// Per-connection settings applied to every connection the pool opens.
struct ConnectionSettings {
  std::string path;
  std::chrono::milliseconds busy_timeout{5000};
  bool synchronous_full = true;  // PRAGMA synchronous = FULL, else NORMAL
  std::size_t max_idle = 8;
};

// Applies the per-connection pragmas (foreign_keys = ON, synchronous) to a connection.
Status configure_connection(Connection& connection, const ConnectionSettings& settings);

class ConnectionPool;

// A connection on loan from a pool; returned to it on destruction.
class PooledConnection {
 public:
  PooledConnection(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<Connection> connection)
      : pool_(std::move(pool)), connection_(std::move(connection)) {}
  PooledConnection(PooledConnection&&) noexcept = default;
  PooledConnection& operator=(PooledConnection&&) = delete;
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;
  ~PooledConnection();

  Connection& operator*() const { return *connection_; }
  Connection* operator->() const { return connection_.get(); }

 private:
  std::shared_ptr<ConnectionPool> pool_;
  std::unique_ptr<Connection> connection_;
};

// Hands out idle connections, opening new ones when none is idle; keeps at most
// settings.max_idle idle connections. Thread-safe. Held by shared_ptr so a loaned connection can
// always find its way back.
class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
 public:
  explicit ConnectionPool(ConnectionSettings settings);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  Result<PooledConnection> acquire();
  // Takes a connection back; closes it instead when the pool is full or the connection is still
  // inside a transaction.
  void release(std::unique_ptr<Connection> connection) noexcept;

  const ConnectionSettings& settings() const { return settings_; }

 private:
  const ConnectionSettings settings_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mutex_
};

}  // namespace omni::sqlite
