// Delivers a tenant's outbox to in-process observers (Engine::add_observer) on one thread of
// its own. Internal.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "omni/event.h"
#include "omni/event_observer.h"
#include "omni/status.h"

namespace omni::detail {

class EventDispatcher {
 public:
  // Reads the tenant's events after a sequence (ascending, at most limit), in a transaction of
  // its own that is closed when it returns.
  using Reader = std::function<Result<std::vector<Event>>(TenantId tenant, std::int64_t after,
                                                          std::size_t limit)>;

  EventDispatcher(Reader reader, std::chrono::milliseconds poll_interval, std::size_t page_size);
  ~EventDispatcher();  // stops and joins the thread
  EventDispatcher(const EventDispatcher&) = delete;
  EventDispatcher& operator=(const EventDispatcher&) = delete;

  // Registers `observer` for the tenant's events after `after`; starts the thread with the
  // first observer. kAlreadyExists when (tenant, observer) is registered.
  Status add(TenantId tenant, EventObserver* observer, std::int64_t after);
  // See Engine::remove_observer.
  Status remove(TenantId tenant, EventObserver* observer);
  // Called after every committed write: cheap when nobody observes.
  void notify();
  // Stops and joins the thread; observers are not called afterwards. Idempotent.
  void stop();

 private:
  struct Registration {
    TenantId tenant;
    EventObserver* observer = nullptr;
    std::int64_t position = 0;  // the last sequence delivered (or skipped); guarded by mutex_
    bool removed = false;       // guarded by mutex_
  };

  void run();
  // Delivers whatever the tenant's observers have not seen yet. A failed read is left to the
  // next round.
  void deliver_tenant(TenantId tenant);

  const Reader reader_;
  const std::chrono::milliseconds poll_interval_;
  const std::size_t page_size_;

  std::mutex mutex_;
  std::condition_variable wake_;  // the dispatcher waits here for work
  std::condition_variable idle_;  // remove() waits here for the callback in flight
  std::vector<std::shared_ptr<Registration>> registrations_;
  const Registration* in_flight_ = nullptr;
  bool signaled_ = false;
  bool stopping_ = false;
  std::atomic<bool> running_{false};  // the thread was started: notify() has work to do
  std::thread thread_;
  std::thread::id thread_id_;
};

}  // namespace omni::detail
