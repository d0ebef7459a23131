// Identity normalization (internal). Exact, conservative rules: anything that is not clearly an
// identity of its kind is refused with kInvalidArgument, never stored as typed.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "omni/customer.h"
#include "omni/normalize.h"
#include "omni/status.h"
#include "utf8.h"

namespace omni::detail {

struct NormalizedIdentity {
  IdentityKind kind;
  std::string scope;
  std::string value;
  // The name an email address was written with ("Anna Schmidt" in "Anna Schmidt <a@b.de>").
  std::string display_name;
};

// Remembers recent normalizations of phone numbers and email addresses: libphonenumber's parse
// and ICU's NFC + IDNA are the costliest steps of a receive (tens of microseconds), and the same
// customers write again and again. Only successful results are kept; when full, it starts over.
// Thread-safe.
class NormalizationCache {
 public:
  struct Entry {
    std::string value;
    std::string display_name;
  };
  explicit NormalizationCache(std::size_t capacity = 8192) : capacity_(capacity) {}
  std::optional<Entry> find(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }
  void insert(const std::string& key, Entry entry) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.size() >= capacity_) entries_.clear();
    entries_.emplace(key, std::move(entry));
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::size_t capacity_;
};

struct NormalizationPolicy {
  // ISO 3166 alpha-2 region for phone numbers written without a country code ("DE": 0151 ...).
  std::string default_region = "US";
  // Compare email local parts case-insensitively (Unicode case folding).
  bool email_local_part_case_insensitive = true;
  // Borrowed; may be null.
  NormalizationCache* cache = nullptr;
};

Result<NormalizedIdentity> normalize_identity(const IdentityInput& input,
                                              const NormalizationPolicy& policy);

// The valid phone numbers written in `text` (a message, a signature), as E.164, found by
// libphonenumber's PhoneNumberMatcher; numbers without a country code are read in `region`.
std::vector<std::string> phone_numbers_in_text(std::string_view text, const std::string& region,
                                               std::size_t max_numbers);
// The email addresses written in `text`, normalized as identities are.
std::vector<std::string> email_addresses_in_text(std::string_view text, bool fold_local_part,
                                                 std::size_t max_addresses);
// The region ("DE") of an E.164 number; empty when unknown.
std::string phone_region_of(std::string_view e164);

}  // namespace omni::detail
