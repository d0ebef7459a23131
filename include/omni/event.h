// omni/event.h — state changes, written to the store's outbox in the same transaction as the
// change itself, so a host can consume them at least once even after a crash.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "omni/clock.h"
#include "omni/ids.h"

namespace omni {

// Event types written by the engine (Event::type):
//   customer.created, customer.updated, customer.merged, customer.unmerged, identity.added,
//   conversation.opened, conversation.reopened, conversation.status_changed,
//   conversation.assigned, conversation.detached (no longer joinable: the contact join window
//   passed), conversation.merged, touchpoint.added, delivery.status_changed, handoff.recorded,
//   handoff.acknowledged
struct Event {
  std::int64_t sequence = 0;  // assigned by the store; increasing in commit order per tenant
  TenantId tenant;
  std::optional<CustomerId> customer;
  std::optional<ConversationId> conversation;
  std::string type;
  std::string payload;  // a JSON object
  Timestamp created_at;
};

}  // namespace omni
