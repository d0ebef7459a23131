#include "event_dispatcher.h"

#include <algorithm>
#include <string>
#include <system_error>
#include <utility>

namespace omni::detail {

EventDispatcher::EventDispatcher(Reader reader, std::chrono::milliseconds poll_interval,
                                 std::size_t page_size)
    : reader_(std::move(reader)), poll_interval_(poll_interval), page_size_(page_size) {}

EventDispatcher::~EventDispatcher() {
  stop();
}

Status EventDispatcher::add(TenantId tenant, EventObserver* observer, std::int64_t after) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Status::failed_precondition("the engine is shutting down");
    for (const auto& r : registrations_) {
      if (r->tenant == tenant && r->observer == observer) {
        return Status::already_exists("the observer is already registered for the tenant");
      }
    }
    auto registration = std::make_shared<Registration>();
    registration->tenant = tenant;
    registration->observer = observer;
    registration->position = after;
    if (!thread_.joinable()) {
      try {
        thread_ = std::thread([this] { run(); });
      } catch (const std::system_error& e) {
        return Status::resource_exhausted(std::string("cannot start the event dispatcher: ") +
                                          e.what());
      }
      thread_id_ = thread_.get_id();
      running_.store(true, std::memory_order_release);
    }
    registrations_.push_back(std::move(registration));
    signaled_ = true;
  }
  wake_.notify_one();
  return Status();
}

Status EventDispatcher::remove(TenantId tenant, EventObserver* observer) {
  std::unique_lock lock(mutex_);
  auto it = std::find_if(registrations_.begin(), registrations_.end(), [&](const auto& r) {
    return r->tenant == tenant && r->observer == observer;
  });
  if (it == registrations_.end()) {
    return Status::not_found("the observer is not registered for the tenant");
  }
  std::shared_ptr<Registration> registration = *it;
  registration->removed = true;
  registrations_.erase(it);
  // On the dispatcher thread the callback in flight is the caller itself: waiting would never
  // end, and no later callback can start once `removed` is set.
  if (std::this_thread::get_id() != thread_id_) {
    idle_.wait(lock, [&] { return in_flight_ != registration.get(); });
  }
  return Status();
}

void EventDispatcher::notify() {
  if (!running_.load(std::memory_order_acquire)) return;
  {
    std::lock_guard lock(mutex_);
    signaled_ = true;
  }
  wake_.notify_one();
}

void EventDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventDispatcher::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, poll_interval_, [&] { return signaled_ || stopping_; });
    if (stopping_) break;
    signaled_ = false;
    std::vector<TenantId> tenants;
    for (const auto& r : registrations_) {
      if (std::find(tenants.begin(), tenants.end(), r->tenant) == tenants.end()) {
        tenants.push_back(r->tenant);
      }
    }
    lock.unlock();
    for (TenantId tenant : tenants)
      deliver_tenant(tenant);
    lock.lock();
  }
}

void EventDispatcher::deliver_tenant(TenantId tenant) {
  for (;;) {
    std::vector<std::shared_ptr<Registration>> observers;
    std::int64_t after = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      for (const auto& r : registrations_) {
        if (r->tenant != tenant) continue;
        after = observers.empty() ? r->position : std::min(after, r->position);
        observers.push_back(r);
      }
    }
    if (observers.empty()) return;
    // Read without holding mutex_ (add and remove stay responsive); the reader's transaction
    // is closed before any observer is called.
    auto events = reader_(tenant, after, page_size_);
    if (!events.ok() || events->empty()) return;
    for (const auto& r : observers) {
      std::vector<Event> batch;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        if (r->removed) continue;
        for (const Event& e : *events) {
          if (e.sequence > r->position) batch.push_back(e);
        }
        if (batch.empty()) continue;
        in_flight_ = r.get();
      }
      try {
        r->observer->on_events(batch);
      } catch (...) {
        // A throwing observer loses its batch, nothing more (omni/event_observer.h).
      }
      {
        std::lock_guard lock(mutex_);
        in_flight_ = nullptr;
        r->position = std::max(r->position, batch.back().sequence);
      }
      idle_.notify_all();
    }
    if (events->size() < page_size_) return;
  }
}

}  // namespace omni::detail
