// omni's own test runner: the conformance suite against the built-in backends, plus unit tests.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <string>

#include "omni/memory_store.h"
#include "omni/sqlite_store.h"
#include "omni/testing/conformance.h"
#include "test_util.h"

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
  int result = Catch::Session().run(argc, argv);
  std::error_code ignored;
  std::filesystem::remove_all(testing::TempDir::root(), ignored);
  return result;
}
