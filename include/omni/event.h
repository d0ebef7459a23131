// omni/event.h — state changes, written to the store's outbox in the same transaction as the
// change itself, so a host can consume them at least once even after a crash.
//
// Two ways to consume them (docs/integration.md, "Consume events"):
// - a durable consumer (Engine::poll_events / Engine::ack_events): a named cursor per tenant,
//   kept in the store, so a consumer that dies before acknowledging gets the same events again;
// - an in-process observer (omni/event_observer.h): callbacks on an engine thread, not durable.
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

// Where a durable consumer created with Engine::add_consumer starts reading.
enum class ConsumerStart {
  kBeginning,  // every event the tenant's outbox holds
  kNow,        // only events committed after the consumer was created
};

// A durable consumer's cursor.
struct ConsumerPosition {
  std::string name;
  // The highest acknowledged sequence: poll_events returns the events after it. 0: none yet.
  std::int64_t acknowledged = 0;
  Timestamp updated_at;  // when the consumer was created or its cursor last moved
};

}  // namespace omni
