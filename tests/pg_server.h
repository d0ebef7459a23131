// A throwaway PostgreSQL server for omni's tests (docs/postgres.md).
//
// PgServer::start() runs initdb in a fresh folder /tmp/omni-pg-<pid>-XXXXXX and starts the
// server there with pg_ctl: a Unix socket in that folder, no TCP, fsync off, trust
// authentication for the superuser "omni". As root, initdb and pg_ctl run as the user `postgres`
// (or `nobody`), since PostgreSQL refuses to run as root. stop() and the destructor stop the
// server and remove the folder; servers left behind by a crashed test process are stopped and
// removed by the next start().
//
// A ctest run starts one server for all its test processes (the fixture omni_pg_server, see
// tests/CMakeLists.txt and pg_fixture_main.cc); shared_pg_server() attaches to it, and starts a
// server of its own when the test binary runs on its own.
//
// Errors (binaries missing, a command failing or taking longer than 60 s) throw PgServerError
// with the command's output; these are test helpers, where an exception fails the test case
// with its message.
//
// Thread-safety: a PgServer is used by one thread at a time, except create_database(),
// drop_database() and conninfo(), which may be called concurrently.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

struct pg_conn;  // libpq's PGconn

namespace omni::testing {

class PgServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PgServer {
 public:
  PgServer() = default;
  ~PgServer();  // stop()
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // Starts a new server in a new folder whose name begins with `folder_prefix` (in the system
  // temp dir). Throws PgServerError when the binaries are missing or a command fails.
  // REQUIRES: not running.
  void start(const std::string& folder_prefix = "");
  // Uses a server someone else runs (the ctest fixture, or an external server): `conninfo` is a
  // libpq connection string for a superuser; its dbname is ignored. Throws when it does not
  // answer. stop() then only drops the databases create_database() made.
  void attach(const std::string& conninfo);
  // Stops the server (pg_ctl stop -m immediate) and removes its folder when this object started
  // it; drops the databases made by create_database() when attached. Never throws; idempotent.
  void stop();
  // Leaves the server running after this object is gone (omni_pg_fixture start).
  void release();

  bool running() const { return !base_conninfo_.empty(); }
  // True when start() (or adopt_state()) made this object responsible for the server process.
  bool owns_process() const { return !folder_.empty(); }

  // A libpq connection string for `database` (default: the maintenance database "postgres").
  std::string conninfo(const std::string& database = "postgres") const;
  // Creates the database `name` (dropping an existing one first) and returns its conninfo.
  // `name` may be any identifier; it is quoted.
  std::string create_database(const std::string& name);
  // Creates a database with a name no other process or call uses ("<stem>_<pid>_<n>_<random>")
  // and returns its conninfo; database_name_of() recovers the name.
  std::string create_unique_database(const std::string& stem = "omni");
  // Drops `name` (disconnecting its sessions); nothing when it does not exist.
  void drop_database(const std::string& name);
  // Drops every database this object created that has no open session any more, so that a long
  // run reuses the disk space (each database is a copy of template1, about 7.5 MB).
  void drop_idle_databases();
  // The dbname of a conninfo from create_database*().
  static std::string database_name_of(const std::string& conninfo);

  // The server's folder (socket, data/, log) when this object owns the process.
  const std::filesystem::path& folder() const { return folder_; }
  const std::filesystem::path& bin_dir() const { return bin_dir_; }
  // Wall time of start(): initdb plus pg_ctl start.
  std::chrono::milliseconds startup_time() const { return startup_time_; }

  // The ctest fixture's state file: what stop() needs to stop the server from another process.
  void save_state(const std::filesystem::path& file) const;
  // Takes over the server described by a state file (omni_pg_fixture stop). Throws when the
  // file cannot be read.
  void adopt_state(const std::filesystem::path& file);
  // The conninfo recorded in a state file ("" when the file does not exist).
  static std::string conninfo_from_state(const std::filesystem::path& file);

 private:
  pg_conn* admin();  // REQUIRES: mutex_ held
  void execute(const std::string& sql);
  void run(const std::string& what, const std::string& command) const;

  std::filesystem::path folder_;
  std::filesystem::path bin_dir_;
  std::string run_as_;  // the user initdb and pg_ctl run as ("" = this process's user)
  int port_ = 0;
  std::string base_conninfo_;  // without dbname
  std::chrono::milliseconds startup_time_{0};
  bool released_ = false;
  std::mutex mutex_;
  pg_conn* admin_ = nullptr;
  std::vector<std::string> created_;
};

// The directory with initdb and pg_ctl: $OMNI_PG_BIN, else /usr/lib/postgresql/15/bin, else the
// newest /usr/lib/postgresql/*/bin, else the directory of `pg_ctl` on PATH. Throws a
// PgServerError that says to run scripts/install-deps.sh when there is none.
std::filesystem::path find_pg_bin_dir();

// Whether the process runs (a zombie does not).
bool process_alive(int pid);

// Stops and removes servers in /tmp/omni-pg-<pid>-* whose process <pid> is gone (a test process
// that crashed or was killed by a ctest timeout). Called by start().
void remove_stale_pg_servers();

// The server shared by the tests of this process, on first use: $OMNI_PG_CONNINFO when set (an
// external server); else the ctest fixture's server named by $OMNI_PG_SERVER_FILE when that
// file exists; else a server of its own. Throws PgServerError when none can be had (again on
// every call, with the first error).
PgServer& shared_pg_server();
// Stops the shared server (or drops its databases when attached). tests/main.cc calls it after
// the Catch session, before it removes TempDir::root().
void stop_shared_pg_server();

}  // namespace omni::testing
