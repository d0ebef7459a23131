// cli/ingest.h — the `omni ingest` loop: JSON Lines in, Engine::receive per line.
//
// Each line is validated completely before anything is written. A rejected line leaves nothing
// behind: no message, and no tenant or channel created for it (a new tenant or channel is made
// only after Engine::validate accepted the record). Engine::receive is one transaction, so a line
// the engine refuses stores nothing either.
//
// Thread-safety: an Ingester is used by one thread at a time; the engine it borrows is
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "cli/record.h"
#include "omni/engine.h"

namespace omni::cli {

// Reads lines of at most kMaxLineBytes without ever holding more than that in memory. Accepts
// "\n" and "\r\n" line ends; a last line without a line end counts.
class LineReader {
 public:
  explicit LineReader(std::istream& in) : in_(in) {}

  // Reads the next line into *line. Returns false at the end of the input. *too_long is set when
  // the line was longer than kMaxLineBytes; *line then holds only its beginning.
  bool next(std::string* line, bool* too_long);
  // The number of the line last returned, from 1.
  std::size_t line_number() const { return line_number_; }

 private:
  std::istream& in_;
  std::size_t line_number_ = 0;
};

// A line that was not stored.
struct Rejection {
  std::string source;  // the input's name as shown to the user; "<stdin>" for "-"
  std::size_t line = 0;
  RecordError error;
};

struct IngestCounts {
  // JSON Lines: non-blank lines read. Provider payloads (cli/payload.h): messages and status
  // reports found, plus one for each payload that could not be parsed.
  std::size_t records = 0;
  std::size_t stored = 0;      // new touchpoints
  std::size_t duplicates = 0;  // records whose (channel, provider_message_id) was already stored
  std::size_t rejected = 0;    // records that stored nothing
  std::size_t new_customers = 0;
  std::size_t new_conversations = 0;
  std::size_t reopened_conversations = 0;
  // Provider payloads only (always 0 for JSON Lines):
  std::size_t payloads = 0;            // payloads read
  std::size_t statuses_applied = 0;    // status reports that matched a stored outbound message
  std::size_t statuses_unmatched = 0;  // status reports for a message this database lacks

  IngestCounts& operator+=(const IngestCounts& other);
};

struct IngestOptions {
  // Tenant of records without a "tenant" field. Default: "default".
  std::string default_tenant = "default";
  // What a user changes to pick another channel, named in a channel conflict's message.
  // Default: "channel_name" (the JSON Lines field).
  std::string channel_option = "channel_name";
};

// The outcome of one record: what the engine returned, or why nothing was stored.
class IngestOutcome {
 public:
  IngestOutcome(ReceiveResult result) : value_(result) {}         // NOLINT: implicit
  IngestOutcome(RecordError error) : value_(std::move(error)) {}  // NOLINT: implicit
  bool ok() const { return std::holds_alternative<ReceiveResult>(value_); }
  const ReceiveResult& result() const { return std::get<ReceiveResult>(value_); }
  const RecordError& error() const { return std::get<RecordError>(value_); }

 private:
  std::variant<ReceiveResult, RecordError> value_;
};

class Ingester {
 public:
  // `engine` is borrowed and must outlive the ingester.
  Ingester(Engine& engine, IngestOptions options);

  // The ids of a tenant and channel that exist.
  struct Target {
    TenantId tenant;
    ChannelId channel;
  };

  // Resolves the record's tenant and channel (creating them when new) and receives it.
  IngestOutcome ingest_record(const InboundRecord& record);
  // The tenant and channel when both exist (nullopt when either does not); creates nothing. A
  // channel of that name with another kind is a kChannelConflict.
  std::variant<std::optional<Target>, RecordError> find_target(const std::string& tenant_name,
                                                               const std::string& channel_name,
                                                               ChannelKind kind);
  // Parses and ingests one line (blank lines must be skipped by the caller).
  IngestOutcome ingest_line(std::string_view line);
  // Reads `in` to its end, one record per non-blank line. `source` names the input in
  // rejections; on_rejected (may be empty) is called for every rejected line as it happens.
  IngestCounts ingest_stream(std::istream& in, const std::string& source,
                             const std::function<void(const Rejection&)>& on_rejected);

 private:
  // What the database already has (remembered after the first look-up): sets *tenant and
  // *channel when they exist.
  std::optional<RecordError> look_up(const std::string& tenant_name,
                                     const std::string& channel_name,
                                     std::optional<TenantId>* tenant,
                                     std::optional<Channel>* channel);
  RecordError conflict(const Channel& channel, ChannelKind wanted) const;
  // The tenant and channel ids of the record, creating them when missing.
  std::variant<Target, RecordError> resolve_target(const InboundRecord& record,
                                                   const std::string& tenant_name);
  // Checks the record as the engine would receive it, without touching the store.
  std::optional<RecordError> validate(const InboundRecord& record) const;

  Engine& engine_;
  IngestOptions options_;
  std::map<std::string, TenantId> tenants_;                           // by name
  std::map<std::pair<std::int64_t, std::string>, Channel> channels_;  // by (tenant, name)
};

// Maps an error of Engine::receive (or of ensure_tenant / ensure_channel) to the record field it
// concerns. Exposed for tests.
RecordError engine_error(const Status& status);

}  // namespace omni::cli
