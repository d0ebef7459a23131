// omni/event_observer.h — in-process callbacks for a tenant's events (Engine::add_observer).
//
// Observers are for hosts that want to react at once (push to a websocket, invalidate a cache).
// They are not durable: events committed while no observer is registered, or while the process
// is down, are not delivered to it later. A host that must see every event, also across
// restarts, uses a durable consumer (Engine::poll_events / Engine::ack_events) instead.
//
// Thread-safety: the engine calls on_events on its dispatcher thread only, one call at a time
// for all observers of the engine, never while holding an engine lock or a store transaction.
#pragma once

#include <vector>

#include "omni/event.h"
#include "omni/export.h"

namespace omni {

class OMNI_EXPORT EventObserver {
 public:
  EventObserver() = default;
  EventObserver(const EventObserver&) = delete;
  EventObserver& operator=(const EventObserver&) = delete;
  virtual ~EventObserver();

  // Must provide. Receives the next events of the tenant the observer was registered for
  // (never empty), ascending by sequence, each exactly once, beginning after the newest event
  // at registration. An exception it throws is caught and dropped; the batch counts as
  // delivered and the dispatcher goes on. It may call the engine, also add_observer and
  // remove_observer, but a slow callback delays every observer of the engine. It must not
  // destroy the engine.
  virtual void on_events(const std::vector<Event>& events) = 0;
};

}  // namespace omni
