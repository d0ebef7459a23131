#include "sqlite/sqlite_db.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "internal/macros.h"

namespace omni::sqlite {

Status sqlite_status(int code, sqlite3* db, std::string_view what) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  std::string message = fmt::format("sqlite: {}: {} (code {})", what, detail, code);
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Status::already_exists(std::move(message));
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Status::not_found(std::move(message));
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_CHECK:
      return Status::invalid_argument(std::move(message));
    default:
      break;
  }
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::conflict(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::corruption(std::move(message));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Status::io_error(std::move(message));
    case SQLITE_TOOBIG:
      return Status::resource_exhausted(std::move(message));
    default:
      return Status::internal(std::move(message));
  }
}

// --- Statement

Statement::Statement(Statement&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr)),
      db_(other.db_),
      bind_error_(other.bind_error_),
      bind_error_index_(other.bind_error_index_) {}

Statement::~Statement() {
  if (statement_ != nullptr) {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
}

void Statement::note_bind(int code, int index) {
  if (code != SQLITE_OK && bind_error_ == SQLITE_OK) {
    bind_error_ = code;
    bind_error_index_ = index;
  }
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
  note_bind(sqlite3_bind_int64(statement_, index, value), index);
  return *this;
}

Statement& Statement::bind_double(int index, double value) {
  note_bind(sqlite3_bind_double(statement_, index, value), index);
  return *this;
}

Statement& Statement::bind_text(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the bytes, so temporaries are safe to bind.
  note_bind(sqlite3_bind_text64(statement_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                SQLITE_UTF8),
            index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  note_bind(sqlite3_bind_null(statement_, index), index);
  return *this;
}

Statement& Statement::bind_optional_int64(int index, std::optional<std::int64_t> value) {
  return value ? bind_int64(index, *value) : bind_null(index);
}

Result<bool> Statement::step(std::string_view what) {
  if (bind_error_ != SQLITE_OK) {
    return sqlite_status(bind_error_, nullptr,
                         fmt::format("{} (binding parameter {})", what, bind_error_index_));
  }
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_status(rc, db_, what);
}

Status Statement::run(std::string_view what) {
  for (;;) {
    OMNI_ASSIGN_OR_RETURN(bool row, step(what));
    if (!row) return Status::ok_status();
  }
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(statement_, column);
}

double Statement::column_double(int column) const {
  return sqlite3_column_double(statement_, column);
}

std::optional<std::int64_t> Statement::column_optional_int64(int column) const {
  if (column_is_null(column)) return std::nullopt;
  return column_int64(column);
}

std::string Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  if (text == nullptr || size <= 0) return std::string();
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::string_view Statement::column_name(int column) const {
  const char* name = sqlite3_column_name(statement_, column);
  return name != nullptr ? std::string_view(name) : std::string_view("?");
}

// --- Connection

namespace {

struct DatabaseCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

int busy_timeout_millis(std::chrono::milliseconds timeout) {
  const auto count = timeout.count();
  if (count <= 0) return 0;
  return static_cast<int>(std::min<std::int64_t>(count, std::numeric_limits<int>::max()));
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path,
                                                     std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, DatabaseCloser> db(raw);
  if (rc != SQLITE_OK) {
    const int code = db ? sqlite3_extended_errcode(db.get()) : rc;
    return sqlite_status(code, db.get(), fmt::format("opening {}", path));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), busy_timeout_millis(busy_timeout));
  std::unique_ptr<Connection> connection(new Connection(db.get()));
  db.release();
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, statement] : statements_)
    sqlite3_finalize(statement);
  sqlite3_close_v2(db_);
}

Result<Statement> Connection::prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(raw);
      return sqlite_status(rc, db_, fmt::format("preparing `{}`", sql));
    }
    if (raw == nullptr) return Status::internal(fmt::format("sqlite: empty statement `{}`", sql));
    try {
      it = statements_.emplace(std::string(sql), raw).first;
    } catch (...) {
      sqlite3_finalize(raw);
      throw;
    }
  } else if (sqlite3_stmt_busy(it->second) != 0) {
    // Two live borrowers of one cached statement would reset each other.
    return Status::internal(fmt::format("sqlite: statement `{}` is already in use", sql));
  }
  return Statement(it->second, db_);
}

Status Connection::execute_script(const std::string& sql, std::string_view what) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_status(rc, db_, what);
  return Status::ok_status();
}

Result<std::int64_t> Connection::query_int64(std::string_view sql, std::string_view what) {
  OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
  OMNI_ASSIGN_OR_RETURN(bool row, statement.step(what));
  if (!row) return Status::internal(fmt::format("sqlite: {}: no result row", what));
  return statement.column_int64(0);
}

Result<std::string> Connection::query_text(std::string_view sql, std::string_view what) {
  OMNI_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
  OMNI_ASSIGN_OR_RETURN(bool row, statement.step(what));
  if (!row) return Status::internal(fmt::format("sqlite: {}: no result row", what));
  return statement.column_text(0);
}

// --- Transaction

Result<Transaction> Transaction::begin(Connection& connection, bool immediate) {
  {
    OMNI_ASSIGN_OR_RETURN(Statement statement,
                          connection.prepare(immediate ? "BEGIN IMMEDIATE" : "BEGIN"));
    OMNI_RETURN_IF_ERROR(statement.run(immediate ? "starting a write transaction (BEGIN IMMEDIATE)"
                                                 : "starting a read transaction"));
  }
  return Transaction(&connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(other.connection_), open_(std::exchange(other.open_, false)) {}

Status Transaction::commit() {
  if (!open_) return Status::failed_precondition("sqlite: the transaction is not open");
  Status status;
  {
    auto statement = connection_->prepare("COMMIT");
    status = statement.ok() ? statement->run("committing") : statement.status();
  }
  if (!status.ok()) {
    rollback();
    return status;
  }
  open_ = false;
  return Status::ok_status();
}

void Transaction::rollback() noexcept {
  if (!open_) return;
  open_ = false;
  // sqlite3_exec allocates nothing on our side; SQLite may already have rolled back on its own
  // (after SQLITE_FULL, SQLITE_IOERR, ...), in which case there is nothing left to undo.
  if (!connection_->in_autocommit()) {
    sqlite3_exec(connection_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

// --- pool

Status configure_connection(Connection& connection, const ConnectionSettings& settings) {
  OMNI_RETURN_IF_ERROR(connection.execute_script(
      settings.synchronous_full ? "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
                                : "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
      "configuring the connection"));
  OMNI_ASSIGN_OR_RETURN(std::int64_t foreign_keys,
                        connection.query_int64("PRAGMA foreign_keys", "reading foreign_keys"));
  if (foreign_keys != 1) {
    return Status::failed_precondition("sqlite: this SQLite build does not enforce foreign keys");
  }
  return Status::ok_status();
}

PooledConnection::~PooledConnection() {
  if (pool_ && connection_) pool_->release(std::move(connection_));
}

ConnectionPool::ConnectionPool(ConnectionSettings settings) : settings_(std::move(settings)) {}

Result<PooledConnection> ConnectionPool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return PooledConnection(shared_from_this(), std::move(connection));
    }
  }
  OMNI_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                        Connection::open(settings_.path, settings_.busy_timeout));
  OMNI_RETURN_IF_ERROR(configure_connection(*connection, settings_));
  return PooledConnection(shared_from_this(), std::move(connection));
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) noexcept {
  if (!connection) return;
  // A connection whose ROLLBACK failed is still inside a transaction: never hand it out again.
  if (!connection->in_autocommit()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < settings_.max_idle) {
      try {
        idle_.push_back(std::move(connection));
        return;
      } catch (...) {
        // Out of memory: close the connection below instead of pooling it.
      }
    }
  }
  connection.reset();  // closed outside the lock
}

}  // namespace omni::sqlite
