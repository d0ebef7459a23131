// cli/record.h — one line of the `omni ingest` JSON Lines format, parsed and validated.
//
// The format is documented in docs/cli.md. parse_record() checks everything that can be checked
// without a database: JSON syntax, UTF-8, field names, types, enum names, the timestamp. What it
// accepts the engine may still refuse (an identity that does not normalize, a body above the
// engine's limit); the ingest loop maps those refusals to fields as well.
//
// Thread-safety: plain functions on values; reentrant.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "omni/channel.h"
#include "omni/message.h"

namespace omni::cli {

// Longest line accepted, in bytes without the line break. Longer lines are rejected unparsed.
inline constexpr std::size_t kMaxLineBytes = 1024 * 1024;

// Why a line was rejected. Stable names (to_string) appear in `--json` output.
enum class RecordErrorKind {
  kLineTooLong,      // "line_too_long": more than kMaxLineBytes bytes
  kMalformedJson,    // "malformed_json": not one JSON value
  kInvalidUtf8,      // "invalid_utf8": a string is not valid UTF-8
  kNotAnObject,      // "not_an_object": the line is valid JSON but not an object
  kUnknownField,     // "unknown_field": a field the format does not define (a typo?)
  kDuplicateField,   // "duplicate_field": the same field twice in one object
  kMissingField,     // "missing_field": a required field is absent or null
  kWrongType,        // "wrong_type": e.g. a number where a string is expected
  kInvalidValue,     // "invalid_value": right type, unacceptable value (unknown enum name, ...)
  kChannelConflict,  // "channel_conflict": the named channel exists with another kind
  kRejected,         // "rejected": the engine refused the message (bad identity, body too long)
  kStorageError,     // "storage_error": the database failed; the line may succeed when retried
  // Provider payloads (`ingest --format F`, cli/payload.h):
  kInvalidPayload,   // "invalid_payload": the payload's parser refused it
  kPayloadTooLarge,  // "payload_too_large": larger than the parser accepts
};
std::string_view to_string(RecordErrorKind kind);

struct RecordError {
  RecordErrorKind kind = RecordErrorKind::kMalformedJson;
  // Path of the offending field: "channel", "from.value", "attachments[1].size_bytes",
  // "metadata.order". Empty only when the error concerns the whole line (too long, not an
  // object, a syntax error before the first field, a storage failure).
  std::string field;
  std::string message;  // what is wrong, without the field and the line
};

// A line that passed parse_record(): everything the ingest loop needs to call Engine::receive
// once the tenant and channel are resolved to ids.
struct InboundRecord {
  std::optional<std::string> tenant;  // absent: the ingest default (--tenant, else "default")
  ChannelKind channel_kind = ChannelKind::kEmail;
  std::string channel_name;  // defaults to the kind's name, e.g. "sms"
  // Every field but `tenant` and `channel` (the ids), which stay unset.
  InboundMessage message;
};

// Either a record or the reason there is none.
class RecordResult {
 public:
  RecordResult(InboundRecord record) : value_(std::move(record)) {}  // NOLINT: implicit
  RecordResult(RecordError error) : value_(std::move(error)) {}      // NOLINT: implicit

  bool ok() const { return std::holds_alternative<InboundRecord>(value_); }
  const InboundRecord& record() const { return std::get<InboundRecord>(value_); }
  InboundRecord& record() { return std::get<InboundRecord>(value_); }
  const RecordError& error() const { return std::get<RecordError>(value_); }

 private:
  std::variant<InboundRecord, RecordError> value_;
};

// Parses one line (without its line break). Blank lines are the caller's business: they are
// skipped before this is called.
RecordResult parse_record(std::string_view line);

// `text` made safe to quote in a one-line diagnostic: control characters escaped, cut to at most
// `max_bytes` bytes on a UTF-8 boundary with "..." appended.
std::string printable(std::string_view text, std::size_t max_bytes = 80);

}  // namespace omni::cli
