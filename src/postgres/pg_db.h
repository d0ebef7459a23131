// Thin RAII layer over libpq used by PostgresStore: a connection with a cache of prepared
// statements, a query result, positional parameters in text format, a small connection pool,
// and the one function that turns PostgreSQL errors (SQLSTATE) into Status values. Internal;
// not installed.
//
// Thread-safety: a Connection (and its results) is used by one thread at a time; the
// ConnectionPool is thread-safe.
#pragma once

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "omni/status.h"

namespace omni::pg {

// The one mapping from SQLSTATE to Status:
//   40001 serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available
//                                                   -> kConflict (the engine retries)
//   23505 unique_violation                          -> kAlreadyExists
//   23503 foreign_key_violation                     -> kNotFound (a referenced record is
//                                                      missing, or belongs to another tenant)
//   23502 not_null_violation, 23514 check_violation, 22xxx data exceptions
//                                                   -> kInvalidArgument
//   53xxx insufficient resources, 54xxx program limits -> kResourceExhausted
//   08xxx connection exceptions, 57P01..57P03 shutdown -> kUnavailable
//   XX001 data_corrupted, XX002 index_corrupted     -> kCorruption
//   58xxx system errors (I/O)                       -> kIoError
//   anything else                                   -> kInternal
// `what` names what was being done; the message carries PostgreSQL's primary message.
Status status_from_sqlstate(std::string_view sqlstate, std::string_view message,
                            std::string_view what);

// Positional parameters ($1, $2, ...) in text format; NULL is nullopt.
class Params {
 public:
  Params& int64(std::int64_t value);
  Params& text(std::string_view value);
  Params& boolean(bool value);
  Params& real(double value);
  Params& null();
  Params& optional_int64(std::optional<std::int64_t> value);

  std::size_t size() const { return values_.size(); }
  // Pointers into the stored values, for PQexecPrepared; valid while the Params live.
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// The rows of one statement, columns in text format.
class QueryResult {
 public:
  explicit QueryResult(PGresult* result) : result_(result) {}
  QueryResult(QueryResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  QueryResult& operator=(QueryResult&& other) noexcept;
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;
  ~QueryResult();

  int rows() const { return PQntuples(result_); }
  int columns() const { return PQnfields(result_); }
  // Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const;
  bool is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
  std::string_view text(int row, int column) const;
  // The column parsed as a 64-bit integer; kCorruption when it is not one (NULL reads as 0).
  Result<std::int64_t> int64(int row, int column) const;
  Result<double> real(int row, int column) const;
  // PostgreSQL's boolean output: "t" or "f".
  bool boolean(int row, int column) const { return text(row, column) == "t"; }

 private:
  PGresult* result_;
};

// One libpq connection with its prepared statements (named by a per-connection counter, keyed
// by the SQL text).
class Connection {
 public:
  // Connects with a libpq connection string ("host=/tmp/x dbname=omni" or a postgresql:// URI).
  // Fails with kUnavailable when the server cannot be reached.
  static Result<std::unique_ptr<Connection>> open(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without parameters (no result rows).
  Status exec(const std::string& sql, std::string_view what);
  // Prepares `sql` once per connection and runs it with `params`.
  Result<QueryResult> query(const std::string& sql, const Params& params, std::string_view what);
  // Whether the connection is still usable (not broken by a network error).
  bool healthy() const;
  PGconn* get() const { return conn_; }

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  Status check(PGresult* result, std::string_view what) const;

  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
};

// Connections kept for reuse, at most `max_idle`; more may be open at once.
class ConnectionPool {
 public:
  ConnectionPool(std::string conninfo, std::size_t max_idle)
      : conninfo_(std::move(conninfo)), max_idle_(max_idle) {}

  Result<std::unique_ptr<Connection>> acquire();
  // Keeps a healthy connection for reuse; closes it otherwise or when the pool is full.
  void release(std::unique_ptr<Connection> connection);

 private:
  std::string conninfo_;
  std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace omni::pg
