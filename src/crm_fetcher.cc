#include "crm_fetcher.h"

#include <exception>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "utf8.h"

namespace omni::detail {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Checks the provider's answer and bounds it in place (see crm_fetcher.h). Returns the path of
// the first string that is not valid UTF-8, or an empty string.
class AnswerChecker {
 public:
  std::string check(CrmContext& context) {
    text(context.system, "system");
    text(context.record_id, "record_id");
    text(context.account_status, "account_status");
    fields(context.fields, "fields");
    items(context.orders, "orders");
    items(context.contracts, "contracts");
    return std::move(invalid_);
  }

 private:
  // Cuts `value` to kMaxCrmStringBytes; records `path` when it is not valid UTF-8.
  void text(std::string& value, std::string_view path) {
    if (!invalid_.empty()) return;
    if (!is_valid_utf8(value)) {
      invalid_ = std::string(path);
      return;
    }
    if (value.size() > kMaxCrmStringBytes)
      value.resize(utf8_prefix(value, kMaxCrmStringBytes).size());
  }

  void fields(std::map<std::string, std::string>& map, const std::string& path) {
    while (map.size() > kMaxCrmFields)
      map.erase(std::prev(map.end()));
    for (auto it = map.begin(); it != map.end() && invalid_.empty();) {
      if (!is_valid_utf8(it->first)) {
        invalid_ = path + " (a name)";
        return;
      }
      text(it->second, path + "." + it->first);
      if (it->first.size() > kMaxCrmStringBytes) {
        // A name that long is not shown; rather than cut it (two could become one), drop it.
        it = map.erase(it);
      } else {
        ++it;
      }
    }
  }

  void items(std::vector<CrmItem>& list, std::string_view name) {
    if (list.size() > kMaxCrmItems) list.resize(kMaxCrmItems);
    for (std::size_t i = 0; i < list.size() && invalid_.empty(); ++i) {
      CrmItem& item = list[i];
      std::string path = fmt::format("{}[{}]", name, i);
      text(item.id, path + ".id");
      text(item.title, path + ".title");
      text(item.status, path + ".status");
      text(item.amount, path + ".amount");
      text(item.url, path + ".url");
      fields(item.fields, path + ".fields");
    }
  }

  std::string invalid_;
};

// Text from the provider (an error message, an exception's what()) as shown in a reason: at
// most 512 bytes, and nothing when it is not valid UTF-8.
std::string_view shown(std::string_view text) {
  if (!is_valid_utf8(text)) return "(not valid UTF-8)";
  return utf8_prefix(text, 512);
}

}  // namespace

std::size_t CrmFetcher::KeyHash::operator()(const Key& key) const noexcept {
  return std::hash<TenantId>()(key.tenant) * 31 + std::hash<CustomerId>()(key.customer);
}

CrmFetcher::CrmFetcher(CrmFetcherOptions options)
    : options_(std::move(options)),
      failed_answer_(
          std::make_shared<const Answer>(Answer{CrmState::kMissing, {}, "CRM lookup failed"})) {}

CrmFetcher::~CrmFetcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& worker : workers_)
    worker.join();
}

void CrmFetcher::set_provider(CrmContextProvider* provider) {
  std::lock_guard lock(mutex_);
  provider_ = provider;
  ++provider_generation_;
  // Calls queued or running for the old provider are not joined by new fetches.
  in_flight_.clear();
  cache_.clear();
  cache_index_.clear();
}

bool CrmFetcher::has_provider() const {
  std::lock_guard lock(mutex_);
  return provider_ != nullptr;
}

void CrmFetcher::invalidate(TenantId tenant, CustomerId customer) {
  Key key{tenant, customer};
  std::lock_guard lock(mutex_);
  if (auto it = cache_index_.find(key); it != cache_index_.end()) {
    cache_.erase(it->second);
    cache_index_.erase(it);
  }
  if (auto it = in_flight_.find(key); it != in_flight_.end()) {
    it->second->invalidated = true;
    in_flight_.erase(it);
  }
}

CrmSnapshot CrmFetcher::fetch(const CrmLookup& lookup, Timestamp now) {
  try {
    return fetch_or_throw(lookup, now);
  } catch (const std::exception& e) {
    CrmSnapshot snapshot;
    snapshot.state = CrmState::kMissing;
    snapshot.reason = fmt::format("CRM lookup failed: {}", e.what());
    return snapshot;
  } catch (...) {
    CrmSnapshot snapshot;
    snapshot.state = CrmState::kMissing;
    snapshot.reason = "CRM lookup failed";
    return snapshot;
  }
}

CrmSnapshot CrmFetcher::fetch_or_throw(const CrmLookup& lookup, Timestamp now) {
  const auto deadline = SteadyClock::now() + options_.timeout;
  const Key key{lookup.tenant, lookup.customer};
  CrmSnapshot snapshot;
  auto missing = [&snapshot](std::string reason) {
    snapshot.state = CrmState::kMissing;
    snapshot.reason = std::move(reason);
    return std::move(snapshot);
  };

  std::shared_ptr<const Answer> answer;
  std::unique_lock lock(mutex_);
  if (provider_ == nullptr) {
    snapshot.state = CrmState::kNotConfigured;
    return snapshot;
  }
  if (auto it = cache_index_.find(key); it != cache_index_.end()) {
    if (cache_now() - it->second->stored_at < options_.cache_ttl) {
      cache_.splice(cache_.begin(), cache_, it->second);  // most recently used
      answer = it->second->answer;
      snapshot.fetched_at = it->second->fetched_at;
      snapshot.from_cache = true;
    } else {
      cache_.erase(it->second);
      cache_index_.erase(it);
    }
  }
  if (!answer) {
    std::shared_ptr<Job> job;
    if (auto it = in_flight_.find(key); it != in_flight_.end()) {
      job = it->second;
    } else {
      if (queue_.size() >= options_.max_queued) {
        return missing(fmt::format("CRM provider busy ({} lookups waiting)", options_.max_queued));
      }
      start_workers_locked();
      if (workers_.empty()) return missing("CRM lookup failed: no worker thread could be started");
      job = std::make_shared<Job>();
      job->key = key;
      job->lookup = lookup;
      job->lookup.deadline = deadline;
      job->generation = provider_generation_;
      job->requested_at = now;
      in_flight_.emplace(key, job);
      queue_.push_back(job);
      work_ready_.notify_one();
    }
    if (!job->done.wait_until(lock, deadline, [&job] { return job->answer != nullptr; })) {
      return missing(fmt::format("timed out after {} ms", options_.timeout.count()));
    }
    answer = job->answer;
    snapshot.fetched_at = now;
  }
  lock.unlock();

  snapshot.state = answer->state;
  switch (answer->state) {
    case CrmState::kOk:
      snapshot.context = answer->context;
      break;
    case CrmState::kNoRecord:
      break;
    default:
      snapshot.fetched_at = Timestamp();
      snapshot.reason = answer->reason;
      break;
  }
  return snapshot;
}

std::chrono::steady_clock::time_point CrmFetcher::cache_now() const {
  return options_.cache_clock ? options_.cache_clock() : SteadyClock::now();
}

void CrmFetcher::start_workers_locked() {
  const std::size_t wanted = options_.workers == 0 ? 1 : options_.workers;
  try {
    while (workers_.size() < wanted)
      workers_.emplace_back([this] { work(); });
  } catch (const std::system_error&) {
    // Fewer workers than asked for; with none, fetch reports it.
  }
}

void CrmFetcher::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;  // queued lookups are dropped: nobody is left to wait for them
    std::shared_ptr<Job> job = std::move(queue_.front());
    queue_.pop_front();
    CrmContextProvider* provider = job->generation == provider_generation_ ? provider_ : nullptr;
    lock.unlock();

    std::shared_ptr<const Answer> answer;
    try {
      if (provider != nullptr) {
        answer = call_provider(*provider, job->lookup);
      } else {
        answer = std::make_shared<const Answer>(
            Answer{CrmState::kMissing, {}, "CRM provider was replaced"});
      }
    } catch (...) {
      answer = failed_answer_;  // out of memory while recording the answer
    }

    lock.lock();
    finish_locked(job, std::move(answer));
  }
}

void CrmFetcher::finish_locked(const std::shared_ptr<Job>& job,
                               std::shared_ptr<const Answer> answer) {
  if (auto it = in_flight_.find(job->key); it != in_flight_.end() && it->second == job) {
    in_flight_.erase(it);
  }
  bool cacheable = answer->state == CrmState::kOk || answer->state == CrmState::kNoRecord;
  if (cacheable && !job->invalidated && job->generation == provider_generation_) {
    store_locked(job->key, answer, job->requested_at);
  }
  job->answer = std::move(answer);
  job->done.notify_all();
}

void CrmFetcher::store_locked(const Key& key, std::shared_ptr<const Answer> answer,
                              Timestamp fetched_at) {
  if (options_.cache_ttl <= std::chrono::seconds::zero() || options_.cache_entries == 0) return;
  if (auto it = cache_index_.find(key); it != cache_index_.end()) {
    cache_.erase(it->second);
    cache_index_.erase(it);
  }
  cache_.push_front(CacheEntry{key, std::move(answer), fetched_at, cache_now()});
  cache_index_.emplace(key, cache_.begin());
  while (cache_.size() > options_.cache_entries) {
    cache_index_.erase(cache_.back().key);
    cache_.pop_back();
  }
}

std::shared_ptr<const CrmFetcher::Answer> CrmFetcher::call_provider(CrmContextProvider& provider,
                                                                    const CrmLookup& lookup) {
  auto answer = std::make_shared<Answer>();
  answer->state = CrmState::kMissing;
  try {
    Result<CrmContext> result = provider.lookup(lookup);
    if (result.ok()) {
      CrmContext context = std::move(result).value();
      std::string invalid = AnswerChecker().check(context);
      if (invalid.empty()) {
        answer->state = CrmState::kOk;
        answer->context = std::move(context);
      } else {
        answer->reason = fmt::format("provider returned invalid UTF-8 in {}", shown(invalid));
      }
    } else if (result.status().is(StatusCode::kNotFound)) {
      answer->state = CrmState::kNoRecord;
    } else {
      const Status& status = result.status();
      answer->reason = fmt::format("provider failed: {}", to_string(status.code()));
      if (!status.message().empty()) answer->reason += fmt::format(": {}", shown(status.message()));
    }
  } catch (const std::exception& e) {
    answer->reason = fmt::format("provider threw: {}", shown(e.what()));
  } catch (...) {
    answer->reason = "provider threw";
  }
  return answer;
}

}  // namespace omni::detail
