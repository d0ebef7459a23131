// Runs omni's Store conformance suite against a backend: here the in-memory store; an
// integrator registers their own Store the same way.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <omni/memory_store.h>
#include <omni/testing/conformance.h>

int main(int argc, char** argv) {
  omni::testing::register_store_backend(
      "memory",
      []() -> omni::Result<std::unique_ptr<omni::Store>> { return omni::make_memory_store(); });
  return Catch::Session().run(argc, argv);
}
