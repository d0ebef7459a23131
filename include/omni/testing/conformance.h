// omni/testing/conformance.h — the Store conformance suite, shipped as the library
// omni::conformance (Catch2 v2). Every Store backend must pass it; an integrator runs it against
// their own backend like this:
//
//   #define CATCH_CONFIG_RUNNER
//   #include <catch2/catch.hpp>
//   #include <omni/testing/conformance.h>
//   int main(int argc, char** argv) {
//     omni::testing::register_store_backend("mine", [] { return make_my_store(); });
//     return Catch::Session().run(argc, argv);
//   }
//
// Every test case of the suite (tagged [conformance]) then runs once per registered backend.
// The factory must return a fresh, empty store each time it is called.
//
// Thread-safety: register backends before the Catch session runs.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "omni/status.h"
#include "omni/sys/store.h"

namespace omni::testing {

using StoreFactory = std::function<Result<std::unique_ptr<Store>>()>;

struct StoreBackend {
  std::string name;
  StoreFactory make;
};

void register_store_backend(std::string name, StoreFactory factory);
const std::vector<StoreBackend>& store_backends();

}  // namespace omni::testing
