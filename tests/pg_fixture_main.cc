// omni_pg_fixture start|stop STATE_FILE: the ctest fixture omni_pg_server (tests/CMakeLists.txt).
// `start` starts one PostgreSQL server for a whole ctest run and records it in STATE_FILE, which
// the test processes find through $OMNI_PG_SERVER_FILE (shared_pg_server()); `stop` stops it and
// removes the file. A server recorded by a run that never reached `stop` is stopped by the next
// `start`.
#include <cstdio>
#include <filesystem>
#include <string>

#include "pg_server.h"

namespace {

int stop(const std::filesystem::path& state_file) {
  if (!std::filesystem::exists(state_file)) return 0;
  omni::testing::PgServer server;
  server.adopt_state(state_file);
  const std::string folder = server.folder().string();
  server.stop();
  std::filesystem::remove(state_file);
  std::printf("omni_pg_fixture: stopped the server in %s\n", folder.c_str());
  return 0;
}

int start(const std::filesystem::path& state_file) {
  stop(state_file);  // left over from a run that was interrupted
  omni::testing::PgServer server;
  server.start("omni-pg-fixture-");
  server.save_state(state_file);
  server.release();
  std::printf("omni_pg_fixture: PostgreSQL in %s started in %lld ms: %s\n", server.folder().c_str(),
              static_cast<long long>(server.startup_time().count()), server.conninfo().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc == 3 ? argv[1] : "";
  if (command != "start" && command != "stop") {
    std::fprintf(stderr, "usage: omni_pg_fixture start|stop STATE_FILE\n");
    return 2;
  }
  try {
    return command == "start" ? start(argv[2]) : stop(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "omni_pg_fixture %s: %s\n", command.c_str(), e.what());
    return 1;
  }
}
