// UTF-8 checks shared by the engine, identity normalization and the CRM fetcher. Internal; kept
// free of ICU so code the test binary compiles on its own (crm_fetcher.cc) can use it.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace omni::detail {

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view text);
// The longest prefix of `text` of at most `max_bytes` bytes that ends on a code point boundary.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace omni::detail
