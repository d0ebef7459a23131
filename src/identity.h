// Identity normalization (internal). Exact, conservative rules: anything that is not clearly an
// identity of its kind is refused with kInvalidArgument, never stored as typed.
#pragma once

#include <string>
#include <string_view>

#include "omni/customer.h"
#include "omni/status.h"

namespace omni::detail {

struct NormalizedIdentity {
  IdentityKind kind;
  std::string scope;
  std::string value;
  // The name an email address was written with ("Anna Schmidt" in "Anna Schmidt <a@b.de>").
  std::string display_name;
};

Result<NormalizedIdentity> normalize_identity(const IdentityInput& input);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view text);
// The longest prefix of `text` of at most `max_bytes` bytes that ends on a code point boundary.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace omni::detail
