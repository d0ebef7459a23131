// omni/memory_store.h — an in-memory Store for tests and short-lived tools. All data is lost when
// the store is destroyed. Passes the conformance suite.
//
// Thread-safety: thread-safe. Write transactions are serialized (a second writer waits in
// begin()); read transactions run beside each other but not beside a writer.
#pragma once

#include <memory>

#include "omni/export.h"
#include "omni/sys/store.h"

namespace omni {

OMNI_EXPORT std::unique_ptr<Store> make_memory_store();

}  // namespace omni
