#include "postgres/pg_db.h"

#include "internal/macros.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <utility>

namespace omni::pg {

Status status_from_sqlstate(std::string_view sqlstate, std::string_view message,
                            std::string_view what) {
  std::string text = fmt::format("postgres: {}: {} (SQLSTATE {})", what, message, sqlstate);
  auto starts = [&](std::string_view prefix) {
    return sqlstate.substr(0, prefix.size()) == prefix;
  };
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return Status::conflict(std::move(text));
  }
  if (sqlstate == "23505") return Status::already_exists(std::move(text));
  if (sqlstate == "23503") return Status::not_found(std::move(text));
  if (sqlstate == "23502" || sqlstate == "23514" || starts("22")) {
    return Status::invalid_argument(std::move(text));
  }
  if (starts("53") || starts("54")) return Status::resource_exhausted(std::move(text));
  if (starts("08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
    return Status::unavailable(std::move(text));
  }
  if (sqlstate == "XX001" || sqlstate == "XX002") return Status::corruption(std::move(text));
  if (starts("58")) return Status::io_error(std::move(text));
  return Status::internal(std::move(text));
}

// --- Params

Params& Params::int64(std::int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}
Params& Params::text(std::string_view value) {
  values_.emplace_back(std::string(value));
  return *this;
}
Params& Params::boolean(bool value) {
  values_.emplace_back(value ? "t" : "f");
  return *this;
}
Params& Params::real(double value) {
  // Shortest round-trip form.
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  values_.emplace_back(std::string(buffer, ec == std::errc() ? end : buffer));
  return *this;
}
Params& Params::null() {
  values_.emplace_back(std::nullopt);
  return *this;
}
Params& Params::optional_int64(std::optional<std::int64_t> value) {
  return value ? int64(*value) : null();
}

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_)
    out.push_back(v ? v->c_str() : nullptr);
  return out;
}

// --- QueryResult

QueryResult& QueryResult::operator=(QueryResult&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

QueryResult::~QueryResult() {
  if (result_) PQclear(result_);
}

std::int64_t QueryResult::affected() const {
  const char* tuples = PQcmdTuples(result_);
  return tuples && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
}

std::string_view QueryResult::text(int row, int column) const {
  return std::string_view(PQgetvalue(result_, row, column),
                          static_cast<std::size_t>(PQgetlength(result_, row, column)));
}

Result<std::int64_t> QueryResult::int64(int row, int column) const {
  if (is_null(row, column)) return std::int64_t{0};
  const std::string_view v = text(row, column);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return Status::corruption(
        fmt::format("postgres: column {} is not an integer: '{}'", PQfname(result_, column), v));
  }
  return value;
}

Result<double> QueryResult::real(int row, int column) const {
  if (is_null(row, column)) return 0.0;
  const std::string v(text(row, column));
  char* end = nullptr;
  const double value = std::strtod(v.c_str(), &end);
  if (end != v.c_str() + v.size()) {
    return Status::corruption(
        fmt::format("postgres: column {} is not a number: '{}'", PQfname(result_, column), v));
  }
  return value;
}

// --- Connection

Result<std::unique_ptr<Connection>> Connection::open(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return Status::resource_exhausted("postgres: out of memory connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    Status failed =
        Status::unavailable(fmt::format("postgres: cannot connect: {}", PQerrorMessage(conn)));
    PQfinish(conn);
    return failed;
  }
  // Server notices (NOTICE, WARNING) would otherwise go to stderr from libpq; omni reports what
  // matters through Status and has nothing to say about the others.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  std::unique_ptr<Connection> connection(new Connection(conn));
  // Timestamps are integers (unix microseconds) and text is UTF-8; nothing depends on the
  // session's zone, but messages and sorting must not depend on the server's defaults either.
  OMNI_RETURN_IF_ERROR(
      connection->exec("SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET client_min_messages "
                       "= warning; SET enable_seqscan = off",
                       "configuring the session"));
  return connection;
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

bool Connection::healthy() const {
  return PQstatus(conn_) == CONNECTION_OK;
}

Status Connection::check(PGresult* result, std::string_view what) const {
  if (result == nullptr) {
    return Status::unavailable(fmt::format("postgres: {}: {}", what, PQerrorMessage(conn_)));
  }
  const ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Status::ok_status();
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  if (sqlstate == nullptr) {
    // No SQLSTATE: the connection broke.
    return Status::unavailable(fmt::format("postgres: {}: {}", what, PQerrorMessage(conn_)));
  }
  return status_from_sqlstate(sqlstate, message ? message : "", what);
}

Status Connection::exec(const std::string& sql, std::string_view what) {
  PGresult* result = PQexec(conn_, sql.c_str());
  Status status = check(result, what);
  if (result) PQclear(result);
  return status;
}

Result<QueryResult> Connection::query(const std::string& sql, const Params& params,
                                      std::string_view what) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "omni_" + std::to_string(prepared_.size() + 1);
    PGresult* prepared = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
    Status status = check(prepared, what);
    if (prepared) PQclear(prepared);
    if (!status.ok()) return status;
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  const std::vector<const char*> values = params.pointers();
  PGresult* result = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()),
                                    values.data(), nullptr, nullptr, 0);
  QueryResult owned(result);
  OMNI_RETURN_IF_ERROR(check(result, what));
  return owned;
}

// --- ConnectionPool

Result<std::unique_ptr<Connection>> ConnectionPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    while (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      if (connection->healthy()) return connection;
    }
  }
  return Connection::open(conninfo_);
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) {
  if (!connection || !connection->healthy()) return;
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
}

}  // namespace omni::pg
