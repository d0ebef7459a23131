#include <utility>

#include "omni/testing/conformance.h"

namespace omni::testing {

// Defined in each test source of the suite. omni::conformance is a static library: a linker
// keeps only the objects something refers to, and nothing refers to a Catch2 test case, so the
// registration function refers to every test source here.
void link_store_conformance();
void link_engine_conformance();
void link_identity_conformance();
void link_routing_conformance();
void link_context_conformance();
void link_events_conformance();
void link_kb_conformance();
void link_bots_conformance();
void link_csat_conformance();
void link_metrics_conformance();

namespace {
std::vector<StoreBackend>& registry() {
  static std::vector<StoreBackend> backends;
  return backends;
}
}  // namespace

void register_store_backend(std::string name, StoreFactory factory) {
  link_store_conformance();
  link_engine_conformance();
  link_identity_conformance();
  link_routing_conformance();
  link_context_conformance();
  link_events_conformance();
  link_kb_conformance();
  link_bots_conformance();
  link_csat_conformance();
  link_metrics_conformance();
  registry().push_back(StoreBackend{std::move(name), std::move(factory)});
}

const std::vector<StoreBackend>& store_backends() {
  return registry();
}

}  // namespace omni::testing
