// The CRM fetcher against fake host providers: answers, failures, deadlines, the cache, single
// flight and back-pressure. Slow providers block on a gate the test opens, so nothing sleeps
// longer than a fetch timeout; wall-time bounds are generous for loaded sanitizer runs.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "crm_fetcher.h"
#include "omni/crm.h"

using namespace omni;
using namespace omni::detail;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

namespace {

const Timestamp kNow = from_unix_micros(1'700'000'000'000'000);

CrmLookup lookup_for(std::int64_t customer, std::int64_t tenant = 1) {
  CrmLookup lookup;
  lookup.tenant = TenantId(tenant);
  lookup.customer = CustomerId(customer);
  lookup.display_name = "Anna Schmidt";
  return lookup;
}

CrmContext sample_context(const std::string& record_id) {
  CrmContext context;
  context.system = "acme-crm";
  context.record_id = record_id;
  context.account_status = "vip";
  context.fields["segment"] = "gold";
  CrmItem order;
  order.id = "SO-1042";
  order.title = "2 × Trail Runner 42";
  order.status = "shipped";
  order.amount = "129.90 EUR";
  context.orders.push_back(order);
  return context;
}

// Opens once; every waiter passes from then on.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return open_; });
  }
  bool wait_for(milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A host provider whose answer the test chooses; counts its calls and remembers the last
// request. With `hold` set, each call waits for it to open (and announces itself in `entered`).
class FakeProvider : public CrmContextProvider {
 public:
  std::function<Result<CrmContext>(const CrmLookup&)> answer = [](const CrmLookup& request) {
    return Result<CrmContext>(sample_context("C-" + std::to_string(request.customer.value())));
  };
  Gate* hold = nullptr;
  Gate entered;
  std::atomic<int> calls{0};
  std::atomic<int> returned{0};
  std::mutex mutex;
  CrmLookup last;

  Result<CrmContext> lookup(const CrmLookup& request) override {
    ++calls;
    {
      std::lock_guard lock(mutex);
      last = request;
    }
    entered.open();
    if (hold != nullptr) hold->wait();
    struct Count {
      std::atomic<int>& n;
      ~Count() { ++n; }
    } count{returned};
    return answer(request);
  }
};

CrmFetcherOptions fast_options() {
  CrmFetcherOptions options;
  options.timeout = milliseconds(2000);
  return options;
}

// Fetches until `done` holds for the snapshot or ~5 s passed.
CrmSnapshot fetch_until(CrmFetcher& fetcher, const CrmLookup& lookup,
                        const std::function<bool(const CrmSnapshot&)>& done) {
  auto give_up = steady_clock::now() + seconds(5);
  CrmSnapshot snapshot = fetcher.fetch(lookup, kNow);
  while (!done(snapshot) && steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(5));
    snapshot = fetcher.fetch(lookup, kNow);
  }
  return snapshot;
}

}  // namespace

TEST_CASE("CrmState names round-trip", "[crm]") {
  for (CrmState state :
       {CrmState::kNotConfigured, CrmState::kOk, CrmState::kNoRecord, CrmState::kMissing}) {
    CHECK(parse_crm_state(to_string(state)) == state);
  }
  CHECK(to_string(CrmState::kNotConfigured) == "not_configured");
  CHECK(to_string(CrmState::kNoRecord) == "no_record");
  CHECK_FALSE(parse_crm_state("OK").has_value());
}

TEST_CASE("without a provider the CRM is not configured", "[crm]") {
  CrmFetcher fetcher(fast_options());
  CHECK_FALSE(fetcher.has_provider());
  CrmSnapshot snapshot = fetcher.fetch(lookup_for(1), kNow);
  CHECK(snapshot.state == CrmState::kNotConfigured);
  CHECK(snapshot.fetched_at == Timestamp());

  FakeProvider provider;
  fetcher.set_provider(&provider);
  CHECK(fetcher.has_provider());
  CHECK(fetcher.fetch(lookup_for(1), kNow).state == CrmState::kOk);
  fetcher.set_provider(nullptr);
  CHECK_FALSE(fetcher.has_provider());
  CHECK(fetcher.fetch(lookup_for(1), kNow).state == CrmState::kNotConfigured);
  CHECK(provider.calls == 1);
}

TEST_CASE("a provider's answer becomes an ok snapshot and is cached", "[crm]") {
  FakeProvider provider;
  CrmFetcher fetcher(fast_options());
  fetcher.set_provider(&provider);

  auto before = steady_clock::now();
  CrmSnapshot first = fetcher.fetch(lookup_for(7), kNow);
  REQUIRE(first.state == CrmState::kOk);
  CHECK(first.context.record_id == "C-7");
  CHECK(first.context.orders.at(0).title == "2 × Trail Runner 42");
  CHECK(first.context.fields.at("segment") == "gold");
  CHECK(first.fetched_at == kNow);
  CHECK_FALSE(first.from_cache);
  CHECK(first.reason.empty());
  {
    std::lock_guard lock(provider.mutex);
    CHECK(provider.last.customer == CustomerId(7));
    CHECK(provider.last.display_name == "Anna Schmidt");
    // The fetcher sets the deadline: now + timeout.
    CHECK(provider.last.deadline >= before + milliseconds(2000));
    CHECK(provider.last.deadline <= steady_clock::now() + milliseconds(2000));
  }

  CrmSnapshot second = fetcher.fetch(lookup_for(7), kNow + seconds(5));
  CHECK(second.state == CrmState::kOk);
  CHECK(second.from_cache);
  CHECK(second.fetched_at == kNow);  // when the provider answered
  CHECK(second.context.record_id == "C-7");
  CHECK(provider.calls == 1);

  // Another tenant's customer with the same id is another record.
  CHECK(fetcher.fetch(lookup_for(7, 2), kNow).from_cache == false);
  CHECK(provider.calls == 2);
}

TEST_CASE("kNotFound is no record, and is cached", "[crm]") {
  FakeProvider provider;
  provider.answer = [](const CrmLookup&) -> Result<CrmContext> {
    return Status::not_found("no such contact");
  };
  CrmFetcher fetcher(fast_options());
  fetcher.set_provider(&provider);
  CrmSnapshot snapshot = fetcher.fetch(lookup_for(1), kNow);
  CHECK(snapshot.state == CrmState::kNoRecord);
  CHECK(snapshot.reason.empty());
  CHECK(snapshot.fetched_at == kNow);
  CHECK(fetcher.fetch(lookup_for(1), kNow).from_cache);
  CHECK(provider.calls == 1);
}

TEST_CASE("a provider's error or exception marks the data missing and is not cached", "[crm]") {
  FakeProvider provider;
  CrmFetcher fetcher(fast_options());
  fetcher.set_provider(&provider);

  SECTION("error") {
    provider.answer = [](const CrmLookup&) -> Result<CrmContext> {
      return Status::unavailable("CRM down");
    };
    CrmSnapshot snapshot = fetcher.fetch(lookup_for(1), kNow);
    CHECK(snapshot.state == CrmState::kMissing);
    CHECK(snapshot.reason == "provider failed: unavailable: CRM down");
    CHECK(snapshot.fetched_at == Timestamp());
  }
  SECTION("std::exception") {
    provider.answer = [](const CrmLookup&) -> Result<CrmContext> {
      throw std::runtime_error("socket closed");
    };
    CrmSnapshot snapshot = fetcher.fetch(lookup_for(1), kNow);
    CHECK(snapshot.state == CrmState::kMissing);
    CHECK(snapshot.reason == "provider threw: socket closed");
  }
  SECTION("anything else thrown") {
    provider.answer = [](const CrmLookup&) -> Result<CrmContext> { throw 42; };
    CrmSnapshot snapshot = fetcher.fetch(lookup_for(1), kNow);
    CHECK(snapshot.state == CrmState::kMissing);
    CHECK(snapshot.reason == "provider threw");
  }
  CHECK(fetcher.fetch(lookup_for(1), kNow).state == CrmState::kMissing);
  CHECK(provider.calls == 2);  // failures are asked again
}

TEST_CASE("an answer with invalid UTF-8 is missing, oversized answers are cut", "[crm]") {
  FakeProvider provider;
  CrmFetcher fetcher(fast_options());
  fetcher.set_provider(&provider);

  SECTION("invalid UTF-8") {
    provider.answer = [](const CrmLookup&) -> Result<CrmContext> {
      CrmContext context = sample_context("C-1");
      context.orders.push_back(context.orders[0]);
      context.orders[1].title = "Trail \xC3\x28 Runner";
      return context;
    };
    CrmSnapshot snapshot = fetcher.fetch(lookup_for(1), kNow);
    CHECK(snapshot.state == CrmState::kMissing);
    CHECK(snapshot.reason == "provider returned invalid UTF-8 in orders[1].title");
    CHECK(snapshot.context.orders.empty());
  }
  SECTION("invalid UTF-8 in a field") {
    provider.answer = [](const CrmLookup&) -> Result<CrmContext> {
      CrmContext context = sample_context("C-1");
      context.fields["note"] = "\xFF";
      return context;
    };
    CHECK(fetcher.fetch(lookup_for(1), kNow).reason ==
          "provider returned invalid UTF-8 in fields.note");
  }
  SECTION("bounds") {
    provider.answer = [](const CrmLookup&) -> Result<CrmContext> {
      CrmContext context = sample_context("C-1");
      context.orders.resize(250, context.orders[0]);
      context.contracts.resize(201);
      for (int i = 0; i < 150; ++i)
        context.fields["f" + std::to_string(1000 + i)] = "x";
      context.account_status = std::string(kMaxCrmStringBytes - 1, 'a') + "\xC3\xA4";
      return context;
    };
    CrmSnapshot snapshot = fetcher.fetch(lookup_for(1), kNow);
    REQUIRE(snapshot.state == CrmState::kOk);
    CHECK(snapshot.context.orders.size() == kMaxCrmItems);
    CHECK(snapshot.context.contracts.size() == kMaxCrmItems);
    CHECK(snapshot.context.fields.size() == kMaxCrmFields);
    CHECK(snapshot.context.fields.count("f1000") == 1);  // the first ones by name are kept
    // Cut at the code point boundary before the "ä" that would cross the limit.
    CHECK(snapshot.context.account_status == std::string(kMaxCrmStringBytes - 1, 'a'));
  }
}

TEST_CASE("a slow provider times out, its late answer is cached for the next fetch", "[crm]") {
  Gate hold;
  FakeProvider provider;
  provider.hold = &hold;
  CrmFetcherOptions options;
  options.timeout = milliseconds(50);
  CrmFetcher fetcher(options);
  fetcher.set_provider(&provider);

  auto start = steady_clock::now();
  CrmSnapshot snapshot = fetcher.fetch(lookup_for(3), kNow);
  auto waited = steady_clock::now() - start;
  CHECK(snapshot.state == CrmState::kMissing);
  CHECK(snapshot.reason == "timed out after 50 ms");
  CHECK(waited >= milliseconds(50));
  CHECK(waited < milliseconds(1000));

  // A second fetch while the call runs waits for the same call, with its own deadline.
  REQUIRE(provider.entered.wait_for(milliseconds(5000)));
  CHECK(fetcher.fetch(lookup_for(3), kNow).reason == "timed out after 50 ms");
  CHECK(provider.calls == 1);

  hold.open();
  // (A fetch right after the gate opens may still join the running call, answered not from the
  // cache.)
  CrmSnapshot late =
      fetch_until(fetcher, lookup_for(3), [](const CrmSnapshot& s) { return s.from_cache; });
  CHECK(late.state == CrmState::kOk);
  CHECK(late.from_cache);
  CHECK(late.context.record_id == "C-3");
  CHECK(late.fetched_at == kNow);  // stamped with the time of the fetch that asked
  CHECK(provider.calls == 1);
}

TEST_CASE("cached answers expire after cache_ttl", "[crm]") {
  std::atomic<std::int64_t> elapsed_ms{0};
  const auto base = steady_clock::now();
  FakeProvider provider;
  CrmFetcherOptions options = fast_options();
  options.cache_ttl = seconds(30);
  options.cache_clock = [&] { return base + milliseconds(elapsed_ms.load()); };
  CrmFetcher fetcher(options);
  fetcher.set_provider(&provider);

  CHECK_FALSE(fetcher.fetch(lookup_for(1), kNow).from_cache);
  elapsed_ms = 29'999;
  CHECK(fetcher.fetch(lookup_for(1), kNow).from_cache);
  CHECK(provider.calls == 1);
  elapsed_ms = 30'000;
  CrmSnapshot fresh = fetcher.fetch(lookup_for(1), kNow + seconds(30));
  CHECK_FALSE(fresh.from_cache);
  CHECK(fresh.fetched_at == kNow + seconds(30));
  CHECK(provider.calls == 2);
  CHECK(fetcher.fetch(lookup_for(1), kNow).from_cache);

  SECTION("a zero TTL caches nothing") {
    options.cache_ttl = seconds(0);
    CrmFetcher uncached(options);
    uncached.set_provider(&provider);
    CHECK_FALSE(uncached.fetch(lookup_for(1), kNow).from_cache);
    CHECK_FALSE(uncached.fetch(lookup_for(1), kNow).from_cache);
    CHECK(provider.calls == 4);
  }
}

TEST_CASE("the cache keeps the most recently used cache_entries answers", "[crm]") {
  FakeProvider provider;
  CrmFetcherOptions options = fast_options();
  options.cache_entries = 2;
  CrmFetcher fetcher(options);
  fetcher.set_provider(&provider);

  fetcher.fetch(lookup_for(1), kNow);
  fetcher.fetch(lookup_for(2), kNow);
  CHECK(fetcher.fetch(lookup_for(1), kNow).from_cache);  // 1 is now the most recent
  fetcher.fetch(lookup_for(3), kNow);                    // drops 2
  CHECK(provider.calls == 3);
  CHECK(fetcher.fetch(lookup_for(1), kNow).from_cache);
  CHECK(fetcher.fetch(lookup_for(3), kNow).from_cache);
  CHECK_FALSE(fetcher.fetch(lookup_for(2), kNow).from_cache);
  CHECK(provider.calls == 4);
}

TEST_CASE("invalidate and set_provider drop cached answers", "[crm]") {
  FakeProvider provider;
  CrmFetcher fetcher(fast_options());
  fetcher.set_provider(&provider);
  fetcher.fetch(lookup_for(1), kNow);
  fetcher.fetch(lookup_for(2), kNow);

  fetcher.invalidate(TenantId(1), CustomerId(1));
  CHECK_FALSE(fetcher.fetch(lookup_for(1), kNow).from_cache);
  CHECK(fetcher.fetch(lookup_for(2), kNow).from_cache);
  CHECK(provider.calls == 3);

  FakeProvider other;
  other.answer = [](const CrmLookup&) { return Result<CrmContext>(sample_context("other")); };
  fetcher.set_provider(&other);
  CrmSnapshot snapshot = fetcher.fetch(lookup_for(2), kNow);
  CHECK_FALSE(snapshot.from_cache);
  CHECK(snapshot.context.record_id == "other");
  CHECK(other.calls == 1);
}

TEST_CASE("an answer arriving after invalidate is not cached", "[crm]") {
  Gate hold;
  FakeProvider provider;
  provider.hold = &hold;
  CrmFetcherOptions options;
  options.timeout = milliseconds(20);
  CrmFetcher fetcher(options);
  fetcher.set_provider(&provider);

  CHECK(fetcher.fetch(lookup_for(1), kNow).state == CrmState::kMissing);
  REQUIRE(provider.entered.wait_for(milliseconds(5000)));
  fetcher.invalidate(TenantId(1), CustomerId(1));
  hold.open();
  auto give_up = steady_clock::now() + seconds(5);
  while (provider.returned == 0 && steady_clock::now() < give_up)
    std::this_thread::sleep_for(milliseconds(2));
  // The next fetch asks again (the stale call is not joined, its answer was not cached).
  CrmSnapshot snapshot = fetch_until(fetcher, lookup_for(1),
                                     [](const CrmSnapshot& s) { return s.state == CrmState::kOk; });
  CHECK(snapshot.state == CrmState::kOk);
  CHECK(provider.calls == 2);
}

TEST_CASE("concurrent fetches of one customer share one provider call", "[crm]") {
  Gate hold;
  FakeProvider provider;
  provider.hold = &hold;
  CrmFetcherOptions options;
  options.timeout = milliseconds(10'000);
  options.workers = 4;
  CrmFetcher fetcher(options);
  fetcher.set_provider(&provider);

  std::vector<CrmSnapshot> snapshots(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    threads.emplace_back([&, i] { snapshots[i] = fetcher.fetch(lookup_for(5), kNow); });
  }
  REQUIRE(provider.entered.wait_for(milliseconds(5000)));
  std::this_thread::sleep_for(milliseconds(100));  // let the others join the running call
  hold.open();
  for (auto& thread : threads)
    thread.join();

  CHECK(provider.calls == 1);  // late starters, if any, found the answer cached
  for (const auto& snapshot : snapshots) {
    CHECK(snapshot.state == CrmState::kOk);
    CHECK(snapshot.context.record_id == "C-5");
  }
}

TEST_CASE("lookups beyond max_queued fail fast as busy", "[crm]") {
  Gate hold;
  FakeProvider provider;
  provider.hold = &hold;
  CrmFetcherOptions options;
  options.timeout = milliseconds(20);
  options.workers = 1;
  options.max_queued = 2;
  CrmFetcher fetcher(options);
  fetcher.set_provider(&provider);

  CHECK(fetcher.fetch(lookup_for(1), kNow).reason == "timed out after 20 ms");
  REQUIRE(provider.entered.wait_for(milliseconds(5000)));  // the only worker is busy
  CHECK(fetcher.fetch(lookup_for(2), kNow).reason == "timed out after 20 ms");  // queued
  CHECK(fetcher.fetch(lookup_for(3), kNow).reason == "timed out after 20 ms");  // queued

  auto start = steady_clock::now();
  CrmSnapshot busy = fetcher.fetch(lookup_for(4), kNow);
  CHECK(steady_clock::now() - start < milliseconds(500));
  CHECK(busy.state == CrmState::kMissing);
  CHECK(busy.reason == "CRM provider busy (2 lookups waiting)");
  // Joining a queued lookup is not another one.
  CHECK(fetcher.fetch(lookup_for(2), kNow).reason == "timed out after 20 ms");

  hold.open();
  CrmSnapshot later = fetch_until(fetcher, lookup_for(4),
                                  [](const CrmSnapshot& s) { return s.state == CrmState::kOk; });
  CHECK(later.state == CrmState::kOk);
  CHECK(provider.calls == 4);
}

TEST_CASE("the destructor waits for a provider call still running", "[crm]") {
  Gate hold;
  FakeProvider provider;
  provider.hold = &hold;
  std::thread opener;
  {
    CrmFetcherOptions options;
    options.timeout = milliseconds(10);
    CrmFetcher fetcher(options);
    fetcher.set_provider(&provider);
    CHECK(fetcher.fetch(lookup_for(1), kNow).state == CrmState::kMissing);
    fetcher.fetch(lookup_for(2), kNow);  // queued behind it or running on the second worker
    REQUIRE(provider.entered.wait_for(milliseconds(5000)));
    opener = std::thread([&hold] {
      std::this_thread::sleep_for(milliseconds(50));
      hold.open();
    });
  }
  opener.join();
  // Every call that started has returned; the one still queued (if any) was dropped.
  CHECK(provider.returned == provider.calls);
  CHECK(provider.calls >= 1);
}
