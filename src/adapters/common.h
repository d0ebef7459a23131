// Shared helpers of the reference parsers: size checks, form decoding, JSON access with path
// errors, UTF-8 checks and Unix-time conversion. Internal (not installed).
//
// Thread-safety: every function is reentrant; JsonErrors and JsonObject are plain values used by
// one parse at a time.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <exception>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "internal/macros.h"
#include "internal/rapidjson_config.h"
#include "omni/adapters/inbound.h"
#include "omni/clock.h"
#include "omni/status.h"

namespace omni::adapters::detail {

// kResourceExhausted when `payload` is larger than options.max_payload_bytes; `what` names the
// format in the message ("twilio webhook").
Status check_payload_size(std::string_view payload, const ParseOptions& options,
                          std::string_view what);

// True when `text` is well-formed UTF-8 (checked with ICU: no overlongs, no surrogates).
bool is_valid_utf8(std::string_view text);

// --- application/x-www-form-urlencoded

// The fields of a form body in the order sent. Names and values are percent-decoded with '+'
// read as a space. A '%' not followed by two hex digits is kInvalidArgument with field
// "offset N" (N = the byte offset of the '%' in `body`); a name given twice, or a name or value
// that is not UTF-8 once decoded, is kInvalidArgument naming the field.
Result<std::map<std::string, std::string>> decode_form(std::string_view body);

// --- numbers and time

// A decimal integer written as a string ("1700000000", "-42"); nullopt when it is not one.
std::optional<std::int64_t> parse_decimal(std::string_view text);
// Unix seconds / milliseconds to a Timestamp; nullopt outside 1970-01-01 .. 9999-12-31.
std::optional<Timestamp> from_unix_seconds(std::int64_t seconds);
std::optional<Timestamp> from_unix_millis(std::int64_t millis);
// A number as the shortest text that reads back the same (for coordinates).
std::string format_number(double value);
// The last segment of a URL's path ("https://x/a/b.jpg?x=1" -> "b.jpg"); empty when none.
std::string last_path_segment(std::string_view url);

// --- JSON

// Parses a webhook body after check_payload_size: UTF-8 is validated inside strings, nesting is
// parsed iteratively (no recursion). A syntax error is kInvalidArgument with field "offset N".
Result<rapidjson::Document> parse_json(std::string_view json, const ParseOptions& options,
                                       std::string_view what);

// The first error met while reading a document. Readers keep going after an error but return
// empty values, so a parser checks ok() once per unit it is about to return.
class JsonErrors {
 public:
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  void fail(Status status) {
    if (status_.ok()) status_ = std::move(status);
  }
  void missing(const std::string& path) {
    fail(Status::invalid_argument("required field is missing").with_field(path));
  }
  void wrong_type(const std::string& path, std::string_view expected) {
    fail(Status::invalid_argument("expected " + std::string(expected)).with_field(path));
  }
  void invalid(const std::string& path, std::string message) {
    fail(Status::invalid_argument(std::move(message)).with_field(path));
  }

 private:
  Status status_;
};

// A JSON object at a path ("entry[0].changes[0].value"). JSON null counts as absent. Every
// accessor records a wrong type or a missing required member in the shared JsonErrors.
class JsonObject {
 public:
  JsonObject(const rapidjson::Value& value, std::string path, JsonErrors* errors)
      : value_(&value), path_(std::move(path)), errors_(errors) {}

  const std::string& path() const { return path_; }
  std::string child_path(std::string_view name) const {
    return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
  }
  JsonErrors& errors() const { return *errors_; }

  bool has(const char* name) const { return find(name) != nullptr; }

  std::optional<std::string> optional_string(const char* name) const;
  std::string required_string(const char* name) const;  // also refuses ""
  std::optional<std::int64_t> optional_int(const char* name) const;
  std::int64_t required_int(const char* name) const;
  std::optional<double> optional_number(const char* name) const;
  std::optional<bool> optional_bool(const char* name) const;
  // A string holding a decimal integer (WhatsApp's "timestamp": "1700000000").
  std::optional<std::int64_t> optional_decimal_string(const char* name) const;
  // A string or a number, as text (ids some providers send either way).
  std::optional<std::string> optional_id(const char* name) const;
  std::string required_id(const char* name) const;

  std::optional<JsonObject> optional_object(const char* name) const;
  // On error returns an object over an empty value, so chained reads stay harmless.
  JsonObject required_object(const char* name) const;
  // The members of an array of objects; an absent array is empty (or an error when required).
  std::vector<JsonObject> objects(const char* name, bool required = false) const;
  // An array of strings or numbers, as text.
  std::vector<std::string> ids(const char* name, bool required = false) const;

 private:
  const rapidjson::Value* find(const char* name) const;

  const rapidjson::Value* value_;
  std::string path_;
  JsonErrors* errors_;
};

// The root of a document as a JsonObject; records an error when it is not an object.
JsonObject root_object(const rapidjson::Document& document, JsonErrors* errors);

// Runs a parser body, turning what it throws into a Status: a RapidJSON shape assertion into
// kInvalidArgument, bad_alloc into kResourceExhausted, anything else into kInternal.
template <typename Function>
Result<ParsedPayload> guarded(std::string_view what, Function&& body) {
  try {
    return body();
  } catch (const ::omni::detail::JsonShapeError& e) {
    return Status::invalid_argument(std::string(what) + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return Status::resource_exhausted(std::string(what) + ": out of memory");
  } catch (const std::exception& e) {
    return Status::internal(std::string(what) + ": " + e.what());
  } catch (...) {
    return Status::internal(std::string(what) + ": unknown exception");
  }
}

// Copies tenant and channel into every message of `payload` and fits each message to what
// Engine::receive accepts: names, content types and filenames are cut to 256 bytes, the
// subject to 1024, metadata values to 4096 (on UTF-8 boundaries), references longer than a
// provider id are dropped. Refused: more than 100 attachments (kResourceExhausted), text that
// is not UTF-8, and a provider message id over 256 bytes, which cannot be shortened without
// losing idempotency (kInvalidArgument).
Status stamp(ParsedPayload* payload, const ParseOptions& options);

}  // namespace omni::adapters::detail
