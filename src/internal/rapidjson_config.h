// Include before any RapidJSON or cereal JSON header. RapidJSON checks its preconditions with
// RAPIDJSON_ASSERT, which is assert() by default: an abort in debug builds and undefined
// behaviour in release builds when a document has an unexpected shape (cereal reading "[]" as
// an object, say). omni turns it into an exception that the decoding code catches and reports
// as a Status.
#pragma once

#include <stdexcept>

namespace omni::detail {
struct JsonShapeError : std::logic_error {
  using std::logic_error::logic_error;
};
}  // namespace omni::detail

#ifndef RAPIDJSON_ASSERT
#define RAPIDJSON_ASSERT(x)                                                       \
  do {                                                                            \
    if (!(x)) throw ::omni::detail::JsonShapeError("unexpected JSON shape: " #x); \
  } while (false)
#endif
#ifndef RAPIDJSON_HAS_CXX11_NOEXCEPT
#define RAPIDJSON_HAS_CXX11_NOEXCEPT 0  // RapidJSON must not declare noexcept what may throw
#endif
