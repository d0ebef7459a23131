// omni's own test runner: the conformance suite against the built-in backends, plus unit tests.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "omni/memory_store.h"
#include "omni/sqlite_store.h"
#include "omni/testing/conformance.h"
#include "test_util.h"
#ifdef OMNI_HAVE_POSTGRES
#include "omni/postgres_store.h"
#include "pg_server.h"
#endif

namespace omni::testing {

std::filesystem::path TempDir::make_root() {
  auto base = std::filesystem::temp_directory_path() / ("omni-tests-" + std::to_string(::getpid()));
  std::filesystem::create_directories(base);
  return base;
}

const std::filesystem::path& TempDir::root() {
  static const std::filesystem::path path = make_root();
  return path;
}

std::filesystem::path TempDir::unique(const std::string& stem) {
  static std::atomic<int> counter{0};
  return root() / (stem + "-" + std::to_string(counter++));
}

std::string read_file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CliRun run_cli(const std::string& binary, const std::vector<std::string>& args,
               const std::string& stdin_path) {
  std::string command = shell_quote(binary);
  for (const std::string& a : args)
    command += " " + shell_quote(a);
  const auto err_path = TempDir::unique("stderr");
  command += " 2>" + shell_quote(err_path.string());
  command += " <" + shell_quote(stdin_path.empty() ? "/dev/null" : stdin_path);
  CliRun run;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    run.out.append(buffer, n);
  const int status = ::pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = read_file_text(err_path);
  return run;
}

}  // namespace omni::testing

int main(int argc, char** argv) {
  using namespace omni;
  testing::register_store_backend(
      "memory", []() -> Result<std::unique_ptr<Store>> { return make_memory_store(); });
  testing::register_store_backend("sqlite", []() -> Result<std::unique_ptr<Store>> {
    SqliteStoreOptions options;
    options.path = testing::TempDir::unique("conformance").string() + ".db";
    return open_sqlite_store(options);
  });
#ifdef OMNI_HAVE_POSTGRES
  // A fresh database per store, on the server of the ctest fixture (or one this process
  // starts); the databases of stores already closed are dropped first to keep /tmp small.
  testing::register_store_backend("postgres", []() -> Result<std::unique_ptr<Store>> {
    try {
      testing::PgServer& server = testing::shared_pg_server();
      server.drop_idle_databases();
      PostgresStoreOptions options;
      options.conninfo = server.create_unique_database("store");
      return open_postgres_store(options);
    } catch (const std::exception& e) {
      return Status::unavailable(std::string("postgres test server: ") + e.what());
    }
  });
#endif
  int result = Catch::Session().run(argc, argv);
#ifdef OMNI_HAVE_POSTGRES
  // Before the temp root goes: a test's store may keep files there while its server runs.
  testing::stop_shared_pg_server();
#endif
  std::error_code ignored;
  std::filesystem::remove_all(testing::TempDir::root(), ignored);
  return result;
}
