// The engine's side of the host's CrmContextProvider: calls it on worker threads with a deadline,
// caches its answers across requests and turns every failure into a CrmSnapshot in state
// kMissing with a reason. Internal.
//
// How a fetch goes:
//   - no provider registered: kNotConfigured at once;
//   - a cached answer (kOk or kNoRecord) younger than cache_ttl: returned with from_cache = true;
//   - a provider call for the same (tenant, customer) already running or queued: the fetch waits
//     for that call (single flight), with its own deadline;
//   - otherwise a new call is queued for a worker; with max_queued calls already waiting for a
//     worker, the fetch fails at once ("CRM provider busy (64 lookups waiting)").
// The caller waits at most `timeout` (+ scheduling slack), then gets kMissing "timed out after
// 500 ms". The call goes on: when its answer arrives (kOk / kNoRecord) it is cached for the next
// view. Failures (an error other than kNotFound, an exception, an invalid answer) are never
// cached.
//
// The provider's answer is checked before it is used or cached: every string must be valid
// UTF-8, else kMissing "provider returned invalid UTF-8 in orders[2].title". It is bounded
// silently: the first kMaxCrmItems orders and contracts, the first kMaxCrmFields entries (by name)
// of each `fields` map (a name longer than kMaxCrmStringBytes is dropped), and strings cut to
// kMaxCrmStringBytes (at a code point boundary).
//
// Thread-safety: every method may be called from any thread at any time, except the destructor.
// The provider is called from the worker threads, several calls at once (up to `workers`), never
// while the fetcher's mutex is held.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "omni/clock.h"
#include "omni/crm.h"
#include "omni/ids.h"

namespace omni::detail {

// Bounds applied to a provider's answer (see above).
inline constexpr std::size_t kMaxCrmItems = 200;         // orders, and contracts, each
inline constexpr std::size_t kMaxCrmFields = 100;        // entries of one `fields` map
inline constexpr std::size_t kMaxCrmStringBytes = 4096;  // one string (id, title, field value...)

struct CrmFetcherOptions {
  // How long a fetch waits for the provider. Default 500 ms.
  std::chrono::milliseconds timeout{500};
  // How long answers (kOk / kNoRecord) are reused; 0 = no cache across requests. Default 30 s.
  std::chrono::seconds cache_ttl{30};
  // At most this many cached answers (least recently used dropped first). Default 4096.
  std::size_t cache_entries = 4096;
  // Threads calling the provider; started on the first fetch that needs one. Default 2; 0 is
  // read as 1.
  std::size_t workers = 2;
  // Lookups waiting for a worker beyond this fail fast ("CRM provider busy"). Default 64.
  std::size_t max_queued = 64;
  // The clock the cache's age is measured on; empty = std::chrono::steady_clock::now. For tests.
  // Deadlines always use the real steady clock.
  std::function<std::chrono::steady_clock::time_point()> cache_clock;
};

class CrmFetcher {
 public:
  explicit CrmFetcher(CrmFetcherOptions options);
  CrmFetcher(const CrmFetcher&) = delete;
  CrmFetcher& operator=(const CrmFetcher&) = delete;
  // Stops the workers and joins them: lookups still queued are dropped, but a provider call
  // already running is waited for. A provider that never returns blocks destruction (of the
  // engine) for good.
  ~CrmFetcher();

  // Borrowed; nullptr = none. The provider must outlive the fetcher: a call started before it
  // was replaced may still be running when set_provider returns. Lookups queued for the old
  // provider are not sent to the new one (their waiters get kMissing). Clears the cache.
  void set_provider(CrmContextProvider* provider);
  bool has_provider() const;

  // The snapshot for lookup.customer. `now` (engine clock) is stamped into fetched_at (a cached
  // answer keeps the fetched_at of the fetch that asked the provider). lookup.deadline is
  // ignored: the provider gets steady_clock::now() + timeout. Never throws; never waits longer
  // than options.timeout (+ scheduling slack).
  CrmSnapshot fetch(const CrmLookup& lookup, Timestamp now);

  // Drops the cached answer for the customer (after a merge, say); an answer still on its way
  // is not cached either.
  void invalidate(TenantId tenant, CustomerId customer);

 private:
  struct Key {
    TenantId tenant;
    CustomerId customer;
    friend bool operator==(const Key& a, const Key& b) {
      return a.tenant == b.tenant && a.customer == b.customer;
    }
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept;
  };
  // A provider's answer, shared by every fetch that waited for it and by the cache.
  struct Answer {
    CrmState state = CrmState::kMissing;
    CrmContext context;  // kOk only
    std::string reason;  // kMissing only
  };
  // One provider call. Its fields are guarded by mutex_, except `lookup`, which is written
  // before the job is queued and only read afterwards.
  struct Job {
    Key key;
    CrmLookup lookup;
    std::uint64_t generation = 0;          // provider_generation_ when queued
    Timestamp requested_at;                // engine time of the fetch that queued it
    bool invalidated = false;              // invalidate() ran since: do not cache the answer
    std::shared_ptr<const Answer> answer;  // set once the call is over
    std::condition_variable done;
  };
  struct CacheEntry {
    Key key;
    std::shared_ptr<const Answer> answer;
    Timestamp fetched_at;
    std::chrono::steady_clock::time_point stored_at;  // on cache_clock
  };

  // Calls the provider; whatever it does becomes an answer (its string checked and bounded). Runs
  // on a worker with no lock held.
  static std::shared_ptr<const Answer> call_provider(CrmContextProvider& provider,
                                                     const CrmLookup& lookup);
  CrmSnapshot fetch_or_throw(const CrmLookup& lookup, Timestamp now);
  void work();
  std::chrono::steady_clock::time_point cache_now() const;
  // REQUIRES: mutex_ held.
  void start_workers_locked();
  void finish_locked(const std::shared_ptr<Job>& job, std::shared_ptr<const Answer> answer);
  void store_locked(const Key& key, std::shared_ptr<const Answer> answer, Timestamp fetched_at);

  const CrmFetcherOptions options_;
  // Handed to waiters when even recording a failure failed (out of memory).
  const std::shared_ptr<const Answer> failed_answer_;

  mutable std::mutex mutex_;
  CrmContextProvider* provider_ = nullptr;
  std::uint64_t provider_generation_ = 0;
  bool stopping_ = false;
  std::condition_variable work_ready_;
  std::deque<std::shared_ptr<Job>> queue_;                            // waiting for a worker
  std::unordered_map<Key, std::shared_ptr<Job>, KeyHash> in_flight_;  // queued or running
  std::list<CacheEntry> cache_;                                       // most recently used first
  std::unordered_map<Key, std::list<CacheEntry>::iterator, KeyHash> cache_index_;
  std::vector<std::thread> workers_;
};

}  // namespace omni::detail
