// Consuming the outbox on every backend: durable consumers (poll, acknowledge, resume after a
// crash without losing events, order per conversation, tenancy) and in-process observers
// (every event once and in order, removal, throwing observers, shutdown).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"
#include "omni/event_observer.h"

namespace omni::testing {
void link_events_conformance() {}
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// An email from `address` (a new customer per address) on the world's email channel.
InboundMessage email_from(const Tenant& tenant, const Channel& email, const std::string& address,
                          const std::string& id) {
  InboundMessage m;
  m.tenant = tenant.id;
  m.channel = email.id;
  m.from = {IdentityKind::kEmail, "", address};
  m.provider_message_id = id;
  m.body = "hello " + id;
  return m;
}

std::vector<Event> all_events(Engine& engine, TenantId tenant) {
  std::vector<Event> out;
  std::int64_t after = 0;
  for (;;) {
    auto page = World::must(engine.events(tenant, after, 500));
    if (page.empty()) return out;
    after = page.back().sequence;
    out.insert(out.end(), page.begin(), page.end());
  }
}

std::vector<std::int64_t> sequences(const std::vector<Event>& events) {
  std::vector<std::int64_t> out;
  for (const Event& e : events)
    out.push_back(e.sequence);
  return out;
}

std::int64_t touchpoint_of(const Event& e) {
  auto at = e.payload.find("\"touchpoint\":");
  REQUIRE(at != std::string::npos);
  return std::stoll(e.payload.substr(at + 13));
}

// An engine over a store that outlives it, as a restarted process would see the database.
std::unique_ptr<Engine> open_engine(Store* store, const Clock* clock, EngineOptions options = {}) {
  options.clock = clock;
  auto engine = Engine::open(std::make_unique<ForwardingStore>(store), options);
  REQUIRE(engine.ok());
  return std::move(*engine);
}

// Collects what an observer receives.
class CollectingObserver : public EventObserver {
 public:
  void on_events(const std::vector<Event>& events) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_;
    events_.insert(events_.end(), events.begin(), events.end());
    changed_.notify_all();
  }
  std::vector<Event> events() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  // Waits (at most 10 s) until the observer holds an event with sequence >= `sequence`.
  bool wait_for(std::int64_t sequence) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] {
      return !events_.empty() && events_.back().sequence >= sequence;
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Event> events_;
  int calls_ = 0;
};

class ThrowingObserver : public EventObserver {
 public:
  void on_events(const std::vector<Event>&) override {
    ++calls;
    throw std::runtime_error("observer failed");
  }
  std::atomic<int> calls{0};
};

TEST_CASE("event consumers: poll, acknowledge, position", "[conformance][events]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  w.receive(w.sms_from("+4915112345678", "m1"));
  w.receive(w.sms_from("+4915112345678", "m2"));
  auto everything = all_events(*w.engine, w.tenant.id);
  REQUIRE(everything.size() >= 3);

  // A consumer nobody created reads from the beginning; polling moves nothing.
  auto first = World::must(w.engine->poll_events(w.tenant.id, "crm-sync", 500));
  CHECK(sequences(first) == sequences(everything));
  CHECK(sequences(World::must(w.engine->poll_events(w.tenant.id, "crm-sync", 2))) ==
        std::vector<std::int64_t>{everything[0].sequence, everything[1].sequence});
  CHECK(w.engine->consumer_position(w.tenant.id, "crm-sync").status().is(StatusCode::kNotFound));

  // Acknowledging moves the cursor durably and records the consumer.
  w.clock.advance(std::chrono::seconds(5));
  OMNI_REQUIRE_OK(w.engine->ack_events(w.tenant.id, "crm-sync", everything[1].sequence));
  auto rest = World::must(w.engine->poll_events(w.tenant.id, "crm-sync", 500));
  REQUIRE(rest.size() == everything.size() - 2);
  CHECK(rest.front().sequence == everything[2].sequence);
  auto position = World::must(w.engine->consumer_position(w.tenant.id, "crm-sync"));
  CHECK(position.name == "crm-sync");
  CHECK(position.acknowledged == everything[1].sequence);
  CHECK(position.updated_at == w.clock.now());

  // Acknowledging at or below the position changes nothing.
  OMNI_REQUIRE_OK(w.engine->ack_events(w.tenant.id, "crm-sync", everything[0].sequence));
  OMNI_REQUIRE_OK(w.engine->ack_events(w.tenant.id, "crm-sync", 0));
  CHECK(World::must(w.engine->consumer_position(w.tenant.id, "crm-sync")).acknowledged ==
        everything[1].sequence);

  // Validation.
  std::int64_t newest = everything.back().sequence;
  CHECK(w.engine->ack_events(w.tenant.id, "crm-sync", newest + 1).is(StatusCode::kInvalidArgument));
  CHECK(w.engine->ack_events(w.tenant.id, "crm-sync", -1).is(StatusCode::kInvalidArgument));
  for (const std::string& bad :
       std::vector<std::string>{"", "CRM", "crm sync", "crm/sync", std::string(65, 'a')}) {
    INFO("name: " << bad);
    CHECK(w.engine->poll_events(w.tenant.id, bad, 10).status().is(StatusCode::kInvalidArgument));
    CHECK(w.engine->ack_events(w.tenant.id, bad, 0).is(StatusCode::kInvalidArgument));
  }
  OMNI_REQUIRE_OK(w.engine->poll_events(w.tenant.id, std::string(64, 'a'), 10));
  CHECK(
      w.engine->poll_events(w.tenant.id, "crm-sync", 0).status().is(StatusCode::kInvalidArgument));
  CHECK(w.engine->poll_events(TenantId(9999), "crm-sync", 10).status().is(StatusCode::kNotFound));
  CHECK(w.engine->ack_events(TenantId(9999), "crm-sync", 0).is(StatusCode::kNotFound));

  // Acknowledging the newest event empties the poll until something new happens.
  OMNI_REQUIRE_OK(w.engine->ack_events(w.tenant.id, "crm-sync", newest));
  CHECK(World::must(w.engine->poll_events(w.tenant.id, "crm-sync", 500)).empty());
  w.receive(w.sms_from("+4915112345678", "m3"));
  auto fresh = World::must(w.engine->poll_events(w.tenant.id, "crm-sync", 500));
  REQUIRE_FALSE(fresh.empty());
  CHECK(fresh.front().sequence > newest);

  // Created from now: only what comes later. A taken name is refused.
  auto created =
      World::must(w.engine->add_consumer(w.tenant.id, "analytics.v2", ConsumerStart::kNow));
  CHECK(created.acknowledged == all_events(*w.engine, w.tenant.id).back().sequence);
  CHECK(World::must(w.engine->poll_events(w.tenant.id, "analytics.v2", 500)).empty());
  CHECK(
      w.engine->add_consumer(w.tenant.id, "analytics.v2").status().is(StatusCode::kAlreadyExists));
  CHECK(World::must(w.engine->add_consumer(w.tenant.id, "audit_log")).acknowledged == 0);
  w.receive(w.sms_from("+4915112345678", "m4"));
  CHECK_FALSE(World::must(w.engine->poll_events(w.tenant.id, "analytics.v2", 500)).empty());

  // Two consumers are two cursors, each seeing everything.
  auto audit = World::must(w.engine->poll_events(w.tenant.id, "audit_log", 500));
  CHECK(sequences(audit) == sequences(all_events(*w.engine, w.tenant.id)));

  auto consumers = World::must(w.engine->list_consumers(w.tenant.id));
  REQUIRE(consumers.size() == 3);
  CHECK(consumers[0].name == "analytics.v2");
  CHECK(consumers[1].name == "audit_log");
  CHECK(consumers[2].name == "crm-sync");

  // Removing forgets the cursor: the name reads from the beginning again.
  OMNI_REQUIRE_OK(w.engine->remove_consumer(w.tenant.id, "crm-sync"));
  CHECK(w.engine->remove_consumer(w.tenant.id, "crm-sync").is(StatusCode::kNotFound));
  CHECK(World::must(w.engine->poll_events(w.tenant.id, "crm-sync", 1)).front().sequence ==
        everything.front().sequence);
  CHECK(World::must(w.engine->list_consumers(w.tenant.id)).size() == 2);
}

TEST_CASE("an event consumer that crashes mid-batch resumes without losing events",
          "[conformance][events]") {
  OMNI_FOR_EACH_BACKEND(backend);
  auto made = backend.make();
  REQUIRE(made.ok());
  std::unique_ptr<Store> store = std::move(*made);
  ManualClock clock(t0());

  auto engine = open_engine(store.get(), &clock);
  Tenant tenant = World::must(engine->create_tenant("acme", "DE"));
  Channel email =
      World::must(engine->create_channel({tenant.id, ChannelKind::kEmail, "support", {}}));
  auto write = [&](Engine& e, int from, int to) {
    for (int i = from; i < to; ++i) {
      World::must(
          e.receive(email_from(tenant, email, "customer" + std::to_string(i % 12) + "@example.com",
                               "msg-" + std::to_string(i))));
    }
  };
  write(*engine, 0, 180);
  std::map<std::int64_t, int> processed;  // sequence -> times processed

  // One clean batch, acknowledged.
  auto batch = World::must(engine->poll_events(tenant.id, "crm-sync", 100));
  REQUIRE(batch.size() == 100);
  for (const Event& e : batch)
    ++processed[e.sequence];
  OMNI_REQUIRE_OK(engine->ack_events(tenant.id, "crm-sync", batch.back().sequence));

  // The next batch: 37 of 100 processed, then the consumer dies without acknowledging.
  batch = World::must(engine->poll_events(tenant.id, "crm-sync", 100));
  REQUIRE(batch.size() == 100);
  const std::int64_t first_unacknowledged = batch.front().sequence;
  for (std::size_t i = 0; i < 37; ++i)
    ++processed[batch[i].sequence];
  engine.reset();

  // The process restarts; meanwhile more was written.
  engine = open_engine(store.get(), &clock);
  write(*engine, 180, 220);
  CHECK(World::must(engine->consumer_position(tenant.id, "crm-sync")).acknowledged ==
        first_unacknowledged - 1);
  bool first = true;
  for (;;) {
    batch = World::must(engine->poll_events(tenant.id, "crm-sync", 100));
    if (batch.empty()) break;
    if (first) CHECK(batch.front().sequence == first_unacknowledged);
    first = false;
    for (const Event& e : batch)
      ++processed[e.sequence];
    OMNI_REQUIRE_OK(engine->ack_events(tenant.id, "crm-sync", batch.back().sequence));
  }

  // Every event processed at least once; only the 37 of the lost batch twice.
  auto everything = all_events(*engine, tenant.id);
  REQUIRE(everything.size() > 200);
  int twice = 0;
  for (const Event& e : everything) {
    INFO("sequence " << e.sequence);
    REQUIRE(processed[e.sequence] >= 1);
    if (processed[e.sequence] == 2) ++twice;
  }
  CHECK(twice == 37);
  CHECK(processed.size() == everything.size());
  engine.reset();
}

TEST_CASE("an event consumer sees each conversation's events in order under concurrent writers",
          "[conformance][events]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  constexpr int kWriters = 4;
  constexpr int kCustomersPerWriter = 2;
  constexpr int kMessages = 8;  // per customer
  // sent[address] = touchpoint ids in the order the writer received them
  std::map<std::string, std::vector<std::int64_t>> sent;
  std::mutex sent_mutex;
  std::atomic<int> writers_done{0};

  std::vector<Event> consumed;
  std::atomic<int> failures{0};  // Catch2 assertions are for the main thread only
  std::thread consumer([&] {
    for (;;) {
      bool done = writers_done.load() == kWriters;
      auto batch = w.engine->poll_events(w.tenant.id, "orderly", 7);
      if (!batch.ok()) {
        ++failures;
        return;
      }
      if (batch->empty()) {
        if (done) return;
        std::this_thread::sleep_for(milliseconds(1));
        continue;
      }
      consumed.insert(consumed.end(), batch->begin(), batch->end());
      if (!w.engine->ack_events(w.tenant.id, "orderly", batch->back().sequence).ok()) ++failures;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kMessages; ++i) {
        for (int c = 0; c < kCustomersPerWriter; ++c) {
          std::string address = "w" + std::to_string(t) + "c" + std::to_string(c) + "@example.com";
          auto r = w.engine->receive(
              email_from(w.tenant, w.email, address, address + "/" + std::to_string(i)));
          if (!r.ok()) {
            ++failures;
            continue;
          }
          std::lock_guard<std::mutex> lock(sent_mutex);
          sent[address].push_back(r->touchpoint.value());
        }
      }
      ++writers_done;
    });
  }
  for (auto& t : writers)
    t.join();
  consumer.join();
  REQUIRE(failures.load() == 0);

  // Exactly the outbox, in sequence order (acknowledged batches are not seen again).
  auto everything = all_events(*w.engine, w.tenant.id);
  std::vector<std::int64_t> seen = sequences(consumed);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  std::vector<std::int64_t> expected = sequences(everything);
  // The consumer started before the world's setup events were acknowledged: it saw them too.
  CHECK(seen == expected);

  // Per conversation, the touchpoints arrive in the order they were written.
  std::map<std::int64_t, std::vector<std::int64_t>> by_conversation;
  for (const Event& e : consumed) {
    if (e.type == "touchpoint.added" && e.conversation) {
      by_conversation[e.conversation->value()].push_back(touchpoint_of(e));
    }
  }
  REQUIRE(by_conversation.size() == std::size_t{kWriters * kCustomersPerWriter});
  for (const auto& [address, touchpoints] : sent) {
    INFO(address);
    REQUIRE(touchpoints.size() == std::size_t{kMessages});
    bool found = false;
    for (const auto& [conversation, observed] : by_conversation) {
      if (observed.front() == touchpoints.front()) {
        CHECK(observed == touchpoints);
        found = true;
      }
    }
    CHECK(found);
  }
}

TEST_CASE("event consumers are per tenant", "[conformance][events]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  Tenant other = World::must(w.engine->create_tenant("globex", "US"));
  Channel other_email =
      World::must(w.engine->create_channel({other.id, ChannelKind::kEmail, "support", {}}));
  w.receive(email_from(w.tenant, w.email, "anna@example.com", "a1"));
  World::must(w.engine->receive(email_from(other, other_email, "bob@example.com", "b1")));
  World::must(w.engine->receive(email_from(other, other_email, "bob@example.com", "b2")));

  auto mine = World::must(w.engine->poll_events(w.tenant.id, "sync", 500));
  auto theirs = World::must(w.engine->poll_events(other.id, "sync", 500));
  REQUIRE_FALSE(mine.empty());
  REQUIRE_FALSE(theirs.empty());
  for (const Event& e : mine)
    CHECK(e.tenant == w.tenant.id);
  for (const Event& e : theirs)
    CHECK(e.tenant == other.id);

  // The same name in two tenants: independent cursors.
  OMNI_REQUIRE_OK(w.engine->ack_events(w.tenant.id, "sync", mine.back().sequence));
  CHECK(World::must(w.engine->poll_events(w.tenant.id, "sync", 500)).empty());
  CHECK(World::must(w.engine->poll_events(other.id, "sync", 500)).size() == theirs.size());
  CHECK(w.engine->consumer_position(other.id, "sync").status().is(StatusCode::kNotFound));
  CHECK(World::must(w.engine->list_consumers(other.id)).empty());
  CHECK(w.engine->remove_consumer(other.id, "sync").is(StatusCode::kNotFound));

  // Another tenant's newer events do not make a sequence acknowledgeable here.
  std::int64_t my_newest = mine.back().sequence;
  std::int64_t their_newest = theirs.back().sequence;
  if (their_newest > my_newest) {
    CHECK(w.engine->ack_events(w.tenant.id, "sync", their_newest).is(StatusCode::kInvalidArgument));
  }
}

TEST_CASE("event observers get every event of concurrent writers once and in order",
          "[conformance][events]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  w.receive(email_from(w.tenant, w.email, "early@example.com", "early"));
  std::int64_t before = all_events(*w.engine, w.tenant.id).back().sequence;

  CollectingObserver one, two;
  ThrowingObserver thrower;
  OMNI_REQUIRE_OK(w.engine->add_observer(w.tenant.id, &one));
  OMNI_REQUIRE_OK(w.engine->add_observer(w.tenant.id, &thrower));
  OMNI_REQUIRE_OK(w.engine->add_observer(w.tenant.id, &two));
  CHECK(w.engine->add_observer(w.tenant.id, &one).is(StatusCode::kAlreadyExists));
  CHECK(w.engine->add_observer(w.tenant.id, nullptr).is(StatusCode::kInvalidArgument));
  CHECK(w.engine->add_observer(TenantId(9999), &one).is(StatusCode::kNotFound));

  // Another tenant's events never reach them.
  Tenant other = World::must(w.engine->create_tenant("globex", "US"));
  Channel other_email =
      World::must(w.engine->create_channel({other.id, ChannelKind::kEmail, "support", {}}));

  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      std::string address = "w" + std::to_string(t) + "@example.com";
      for (int i = 0; i < 8; ++i) {
        std::string id = address + std::to_string(i);
        if (!w.engine->receive(email_from(w.tenant, w.email, address, id)).ok()) ++failures;
        if (i % 4 == 0 && !w.engine->receive(email_from(other, other_email, address, id)).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : writers)
    t.join();
  REQUIRE(failures.load() == 0);

  auto everything = all_events(*w.engine, w.tenant.id);
  std::vector<std::int64_t> expected;
  for (const Event& e : everything) {
    if (e.sequence > before) expected.push_back(e.sequence);
  }
  REQUIRE_FALSE(expected.empty());
  REQUIRE(one.wait_for(expected.back()));
  REQUIRE(two.wait_for(expected.back()));
  CHECK(sequences(one.events()) == expected);  // exactly once, in order, none from before
  CHECK(sequences(two.events()) == expected);
  CHECK(thrower.calls.load() >= 1);
  OMNI_REQUIRE_OK(w.engine->remove_observer(w.tenant.id, &one));
  OMNI_REQUIRE_OK(w.engine->remove_observer(w.tenant.id, &two));
  OMNI_REQUIRE_OK(w.engine->remove_observer(w.tenant.id, &thrower));
}

// Blocks in its first callback until released, so a test can remove it while it is in flight.
class BlockingObserver : public EventObserver {
 public:
  void on_events(const std::vector<Event>&) override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++calls;
    in_callback = true;
    changed_.notify_all();
    changed_.wait_for(lock, std::chrono::milliseconds(200), [&] { return released; });
    in_callback = false;
  }
  bool wait_in_callback() {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return in_callback; });
  }
  bool is_in_callback() {
    std::lock_guard<std::mutex> lock(mutex_);
    return in_callback;
  }
  std::atomic<int> calls{0};

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool in_callback = false;
  bool released = false;
};

// Removes itself from inside its first callback.
class SelfRemovingObserver : public EventObserver {
 public:
  SelfRemovingObserver(Engine* engine, TenantId tenant) : engine_(engine), tenant_(tenant) {}
  void on_events(const std::vector<Event>&) override {
    ++calls;
    removed = engine_->remove_observer(tenant_, this);
  }
  std::atomic<int> calls{0};
  Status removed;

 private:
  Engine* engine_;
  TenantId tenant_;
};

TEST_CASE("event observers: removal and shutdown", "[conformance][events]") {
  OMNI_FOR_EACH_BACKEND(backend);
  EngineOptions options;
  options.event_poll_interval = milliseconds(20);
  World w(backend, options);

  SECTION("remove_observer waits for the callback in flight and nothing follows") {
    BlockingObserver blocking;
    CollectingObserver witness;
    OMNI_REQUIRE_OK(w.engine->add_observer(w.tenant.id, &blocking));
    w.receive(email_from(w.tenant, w.email, "a@example.com", "1"));
    REQUIRE(blocking.wait_in_callback());
    OMNI_REQUIRE_OK(w.engine->remove_observer(w.tenant.id, &blocking));
    CHECK_FALSE(blocking.is_in_callback());
    int calls = blocking.calls.load();
    CHECK(w.engine->remove_observer(w.tenant.id, &blocking).is(StatusCode::kNotFound));

    OMNI_REQUIRE_OK(w.engine->add_observer(w.tenant.id, &witness));
    w.receive(email_from(w.tenant, w.email, "a@example.com", "2"));
    REQUIRE(witness.wait_for(all_events(*w.engine, w.tenant.id).back().sequence));
    CHECK(blocking.calls.load() == calls);
    OMNI_REQUIRE_OK(w.engine->remove_observer(w.tenant.id, &witness));
  }

  SECTION("an observer may remove itself from its callback") {
    SelfRemovingObserver self(w.engine.get(), w.tenant.id);
    CollectingObserver witness;
    OMNI_REQUIRE_OK(w.engine->add_observer(w.tenant.id, &self));
    OMNI_REQUIRE_OK(w.engine->add_observer(w.tenant.id, &witness));
    w.receive(email_from(w.tenant, w.email, "a@example.com", "1"));
    REQUIRE(witness.wait_for(all_events(*w.engine, w.tenant.id).back().sequence));
    w.receive(email_from(w.tenant, w.email, "a@example.com", "2"));
    REQUIRE(witness.wait_for(all_events(*w.engine, w.tenant.id).back().sequence));
    CHECK(self.calls.load() == 1);
    CHECK(self.removed.ok());
    OMNI_REQUIRE_OK(w.engine->remove_observer(w.tenant.id, &witness));
  }

  SECTION("writes of another engine on the same store are seen by polling") {
    auto made = backend.make();
    REQUIRE(made.ok());
    std::unique_ptr<Store> store = std::move(*made);
    auto watcher = open_engine(store.get(), &w.clock, options);
    auto writer = open_engine(store.get(), &w.clock, options);
    Tenant tenant = World::must(writer->create_tenant("acme", "DE"));
    Channel email =
        World::must(writer->create_channel({tenant.id, ChannelKind::kEmail, "support", {}}));
    CollectingObserver observer;
    OMNI_REQUIRE_OK(watcher->add_observer(tenant.id, &observer));
    World::must(writer->receive(email_from(tenant, email, "a@example.com", "1")));
    REQUIRE(observer.wait_for(all_events(*writer, tenant.id).back().sequence));
    watcher.reset();  // destroyed with the observer registered
    writer.reset();
  }

  SECTION("destroying the engine with observers registered is clean") {
    CollectingObserver observer;
    ThrowingObserver thrower;
    OMNI_REQUIRE_OK(w.engine->add_observer(w.tenant.id, &observer));
    OMNI_REQUIRE_OK(w.engine->add_observer(w.tenant.id, &thrower));
    for (int i = 0; i < 5; ++i)
      w.receive(email_from(w.tenant, w.email, "a@example.com", std::to_string(i)));
    w.engine.reset();
    int calls = observer.calls();
    std::this_thread::sleep_for(milliseconds(50));
    CHECK(observer.calls() == calls);
  }
}

}  // namespace
}  // namespace omni::testing
