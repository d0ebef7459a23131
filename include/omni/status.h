// omni/status.h — error values. No exception crosses omni's public API: every operation that can
// fail returns a Status or a Result<T>.
//
// Thread-safety: Status and Result are values; distinct objects may be used from distinct
// threads, one object needs external synchronization like any other value.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "omni/export.h"

namespace omni {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from the caller: empty identity, malformed field, bad UTF-8
  kNotFound,            // an id or key that does not exist (in this tenant)
  kAlreadyExists,       // a unique key is taken (store level); engine maps duplicates to results
  kFailedPrecondition,  // an illegal state transition: resolving a closed conversation, ...
  kResourceExhausted,   // input above a configured limit (body size, page size)
  kConflict,            // a concurrent writer won; retrying the whole operation may succeed
  kUnavailable,         // a host component (adapter, database server) could not be reached
  kCorruption,          // stored data could not be decoded
  kIoError,             // the storage medium failed
  kInternal,            // a bug or an exception thrown by host code
};

// Returns a stable lower-case name such as "invalid_argument".
OMNI_EXPORT std::string_view to_string(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }
  static Status invalid_argument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status already_exists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status failed_precondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status resource_exhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status io_error(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool is(StatusCode code) const { return code_ == code; }

  // For errors about input: the field it concerns, as a path into the input ("from.value",
  // "body", "attachments[2].filename"); empty otherwise.
  const std::string& field() const { return field_; }
  Status with_field(std::string field) && {
    field_ = std::move(field);
    return std::move(*this);
  }

  // "invalid_argument: from.value: phone identity: value is empty", or "ok".
  OMNI_EXPORT std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

// A value or the Status explaining why there is none. Accessing the value of a failed Result is
// a programming error (asserted in debug builds).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "a Result built from a Status must carry an error");
    if (status_.ok()) status_ = Status::internal("Result built from an ok Status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace omni
