// The throwaway PostgreSQL server the PostgreSQL backend's tests run against (pg_server.h).
#include <catch2/catch.hpp>

#ifdef OMNI_HAVE_POSTGRES

#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "pg_server.h"

namespace omni::testing {
namespace {

struct Connection {
  PGconn* conn;
  explicit Connection(const std::string& conninfo) : conn(PQconnectdb(conninfo.c_str())) {
    INFO(conninfo << ": " << PQerrorMessage(conn));
    REQUIRE(PQstatus(conn) == CONNECTION_OK);
  }
  ~Connection() { PQfinish(conn); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The first column of the first row ("" when there is none); fails the test on an error.
  std::string query(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn, sql.c_str()), &PQclear);
    const ExecStatusType status = PQresultStatus(result.get());
    INFO(sql << ": " << PQerrorMessage(conn));
    REQUIRE((status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK));
    if (status != PGRES_TUPLES_OK || PQntuples(result.get()) == 0) return "";
    return PQgetvalue(result.get(), 0, 0);
  }
};

}  // namespace

TEST_CASE("postgres: the shared test server gives each caller its own database", "[postgres]") {
  PgServer& server = shared_pg_server();
  // Under ctest, the server of the fixture omni_pg_server, not one of this process.
  if (const char* state = std::getenv("OMNI_PG_SERVER_FILE"); state != nullptr) {
    INFO("OMNI_PG_SERVER_FILE=" << state);
    CHECK_FALSE(server.owns_process());
  }
  const std::string first = server.create_unique_database("harness");
  const std::string second = server.create_unique_database("harness");
  REQUIRE(PgServer::database_name_of(first) != PgServer::database_name_of(second));

  Connection a(first);
  Connection b(second);
  CHECK_THAT(a.query("SELECT version()"), Catch::StartsWith("PostgreSQL 15."));
  CHECK(a.query("SELECT current_database()") == PgServer::database_name_of(first));
  CHECK(a.query("SHOW server_encoding") == "UTF8");

  a.query("CREATE TABLE probe (id bigint PRIMARY KEY, body text NOT NULL)");
  a.query("INSERT INTO probe VALUES (1, 'grüße')");
  CHECK(a.query("SELECT body FROM probe WHERE id = 1") == "grüße");
  CHECK(a.query("SELECT to_regclass('probe') IS NOT NULL") == "t");
  CHECK(b.query("SELECT to_regclass('probe') IS NULL") == "t");

  // create_database() with a known name starts over when the name exists.
  const std::string name = PgServer::database_name_of(first) + "_again";
  {
    Connection c(server.create_database(name));
    c.query("CREATE TABLE leftover (id int)");
  }
  Connection fresh(server.create_database(name));
  CHECK(fresh.query("SELECT to_regclass('leftover') IS NULL") == "t");
}

TEST_CASE("postgres: a test server starts and stops twice and leaves nothing behind",
          "[postgres]") {
  std::filesystem::path first_folder;
  for (int round = 0; round < 2; ++round) {
    PgServer server;
    server.start();
    INFO("round " << round << ": started in " << server.startup_time().count() << " ms");
    REQUIRE(server.running());
    REQUIRE(std::filesystem::is_directory(server.folder()));
    if (round == 0) first_folder = server.folder();
    CHECK(server.folder() != std::filesystem::path());
    {
      Connection c(server.create_database("round"));
      CHECK(c.query("SELECT 40 + 2") == "42");
    }
    // The server listens on its socket folder only, never on TCP.
    Connection c(server.conninfo());
    CHECK(c.query("SHOW listen_addresses").empty());
    CHECK(c.query("SHOW fsync") == "off");
    const auto folder = server.folder();
    server.stop();
    CHECK_FALSE(server.running());
    CHECK_FALSE(std::filesystem::exists(folder));
    server.stop();  // idempotent
  }
  CHECK_FALSE(std::filesystem::exists(first_folder));
}

TEST_CASE("postgres: a server left by a killed test process is removed by the next start",
          "[postgres]") {
  // The server is named after a stand-in process, alive while it starts (other test processes
  // remove the servers of dead processes at any time), then killed.
  const pid_t stand_in = ::fork();
  REQUIRE(stand_in >= 0);
  if (stand_in == 0) {
    ::execl("/bin/sleep", "sleep", "120", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::filesystem::path folder;
  long postmaster = 0;
  {
    PgServer abandoned;
    abandoned.start("omni-pg-" + std::to_string(stand_in) + "-");
    folder = abandoned.folder();
    std::ifstream(folder / "data" / "postmaster.pid") >> postmaster;
    abandoned.release();  // as if its process had been killed
  }
  ::kill(stand_in, SIGKILL);
  ::waitpid(stand_in, nullptr, 0);
  REQUIRE(postmaster > 0);
  CHECK(process_alive(static_cast<int>(postmaster)));

  remove_stale_pg_servers();
  CHECK_FALSE(std::filesystem::exists(folder));
  CHECK_FALSE(process_alive(static_cast<int>(postmaster)));
}

TEST_CASE("postgres: attach uses a running server and drops only its own databases", "[postgres]") {
  PgServer owner;
  owner.start();
  std::string dbname;
  {
    PgServer guest;
    guest.attach(owner.conninfo("template1"));  // the dbname is ignored
    CHECK_FALSE(guest.owns_process());
    dbname = PgServer::database_name_of(guest.create_unique_database("guest"));
    Connection c(owner.conninfo(dbname));
  }  // the guest drops its database
  Connection admin(owner.conninfo());
  CHECK(admin.query("SELECT count(*) FROM pg_database WHERE datname = '" + dbname + "'") == "0");

  PgServer nobody_home;
  CHECK_THROWS_AS(nobody_home.attach("host=/nonexistent port=1 user=omni"), PgServerError);
}

}  // namespace omni::testing

#endif  // OMNI_HAVE_POSTGRES
