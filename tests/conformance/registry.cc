#include <utility>

#include "omni/testing/conformance.h"

namespace omni::testing {
namespace {
std::vector<StoreBackend>& registry() {
  static std::vector<StoreBackend> backends;
  return backends;
}
}  // namespace

void register_store_backend(std::string name, StoreFactory factory) {
  registry().push_back(StoreBackend{std::move(name), std::move(factory)});
}

const std::vector<StoreBackend>& store_backends() { return registry(); }

}  // namespace omni::testing
