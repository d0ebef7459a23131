#include "cli/ingest.h"

#include <istream>
#include <streambuf>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace omni::cli {
namespace {

bool is_blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return false;
  }
  return true;
}

}  // namespace

bool LineReader::next(std::string* line, bool* too_long) {
  // Two bytes beyond the limit are kept: a "\r" before the "\n" and one more byte that marks
  // the line as too long. Whatever comes after is read and dropped.
  constexpr std::size_t kKeep = kMaxLineBytes + 2;
  line->clear();
  *too_long = false;
  std::streambuf* buffer = in_.rdbuf();
  if (buffer == nullptr) return false;
  using Traits = std::streambuf::traits_type;
  bool any = false;
  for (;;) {
    Traits::int_type c = buffer->sbumpc();
    if (Traits::eq_int_type(c, Traits::eof())) {
      if (!any) {
        in_.setstate(std::ios::eofbit);
        return false;
      }
      break;
    }
    any = true;
    char ch = Traits::to_char_type(c);
    if (ch == '\n') break;
    if (line->size() < kKeep) line->push_back(ch);
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  *too_long = line->size() > kMaxLineBytes;
  ++line_number_;
  return true;
}

IngestCounts& IngestCounts::operator+=(const IngestCounts& other) {
  records += other.records;
  stored += other.stored;
  duplicates += other.duplicates;
  rejected += other.rejected;
  new_customers += other.new_customers;
  new_conversations += other.new_conversations;
  reopened_conversations += other.reopened_conversations;
  payloads += other.payloads;
  statuses_applied += other.statuses_applied;
  statuses_unmatched += other.statuses_unmatched;
  return *this;
}

RecordError engine_error(const Status& status) {
  RecordError error;
  if (status.is(StatusCode::kInvalidArgument) || status.is(StatusCode::kResourceExhausted)) {
    error.kind = RecordErrorKind::kRejected;
    error.field = status.field();
    error.message = status.message();
  } else {
    error.kind = RecordErrorKind::kStorageError;
    error.message = status.to_string();
  }
  return error;
}

Ingester::Ingester(Engine& engine, IngestOptions options)
    : engine_(engine), options_(std::move(options)) {}

std::optional<RecordError> Ingester::validate(const InboundRecord& record) const {
  Status status = engine_.validate(record.message);
  if (!status.ok()) return engine_error(status);
  return std::nullopt;
}

RecordError Ingester::conflict(const Channel& channel, ChannelKind wanted) const {
  return RecordError{RecordErrorKind::kChannelConflict, "channel",
                     fmt::format("channel \"{}\" exists with kind {}, not {}; use another {}",
                                 printable(channel.name), to_string(channel.kind),
                                 to_string(wanted), options_.channel_option)};
}

std::optional<RecordError> Ingester::look_up(const std::string& tenant_name,
                                             const std::string& channel_name,
                                             std::optional<TenantId>* tenant,
                                             std::optional<Channel>* channel) {
  tenant->reset();
  channel->reset();
  if (auto it = tenants_.find(tenant_name); it != tenants_.end()) {
    *tenant = it->second;
  } else {
    auto found = engine_.find_tenant(tenant_name);
    if (found.ok()) {
      *tenant = found->id;
      tenants_.emplace(tenant_name, found->id);
    } else if (!found.status().is(StatusCode::kNotFound)) {
      return engine_error(found.status());
    }
  }
  if (*tenant) {
    auto key = std::make_pair((*tenant)->value(), channel_name);
    auto it = channels_.find(key);
    if (it == channels_.end()) {
      auto listed = engine_.list_channels(**tenant);
      if (!listed.ok()) return engine_error(listed.status());
      for (const Channel& c : *listed)
        channels_[{(*tenant)->value(), c.name}] = c;
      it = channels_.find(key);
    }
    if (it != channels_.end()) *channel = it->second;
  }
  return std::nullopt;
}

std::variant<std::optional<Ingester::Target>, RecordError> Ingester::find_target(
    const std::string& tenant_name, const std::string& channel_name, ChannelKind kind) {
  std::optional<TenantId> tenant;
  std::optional<Channel> channel;
  if (auto error = look_up(tenant_name, channel_name, &tenant, &channel)) return *error;
  if (!channel) return std::optional<Target>();
  if (channel->kind != kind) return conflict(*channel, kind);
  return std::optional<Target>(Target{*tenant, channel->id});
}

std::variant<Ingester::Target, RecordError> Ingester::resolve_target(
    const InboundRecord& record, const std::string& tenant_name) {
  std::optional<TenantId> tenant;
  std::optional<Channel> channel;
  if (auto error = look_up(tenant_name, record.channel_name, &tenant, &channel)) return *error;
  if (channel) {
    if (channel->kind != record.channel_kind) return conflict(*channel, record.channel_kind);
    return Target{*tenant, channel->id};
  }

  // A new tenant or channel is created only for a line that the engine would accept.
  if (auto error = validate(record)) return *error;
  if (!tenant) {
    auto created = engine_.ensure_tenant(tenant_name);
    if (!created.ok()) {
      RecordError error = engine_error(created.status());
      if (error.kind == RecordErrorKind::kRejected) error.field = "tenant";
      return error;
    }
    tenant = created->id;
    tenants_.emplace(tenant_name, created->id);
  }
  auto created = engine_.ensure_channel({*tenant, record.channel_kind, record.channel_name, {}});
  if (!created.ok()) {
    RecordError error = engine_error(created.status());
    if (error.kind == RecordErrorKind::kRejected) error.field = "channel_name";
    return error;
  }
  channels_[{tenant->value(), created->name}] = *created;
  // Another process may have created it with another kind in the meantime.
  if (created->kind != record.channel_kind) return conflict(*created, record.channel_kind);
  return Target{*tenant, created->id};
}

IngestOutcome Ingester::ingest_record(const InboundRecord& record) {
  const std::string& tenant_name = record.tenant ? *record.tenant : options_.default_tenant;
  auto target = resolve_target(record, tenant_name);
  if (auto* error = std::get_if<RecordError>(&target)) return std::move(*error);
  const Target& ids = std::get<Target>(target);
  InboundMessage message = record.message;
  message.tenant = ids.tenant;
  message.channel = ids.channel;
  auto received = engine_.receive(message);
  if (!received.ok()) return engine_error(received.status());
  return *received;
}

IngestOutcome Ingester::ingest_line(std::string_view line) {
  RecordResult parsed = parse_record(line);
  if (!parsed.ok()) return parsed.error();
  return ingest_record(parsed.record());
}

IngestCounts Ingester::ingest_stream(std::istream& in, const std::string& source,
                                     const std::function<void(const Rejection&)>& on_rejected) {
  IngestCounts counts;
  LineReader reader(in);
  std::string line;
  bool too_long = false;
  while (reader.next(&line, &too_long)) {
    if (!too_long && is_blank(line)) continue;
    ++counts.records;
    IngestOutcome outcome =
        too_long
            ? IngestOutcome(RecordError{RecordErrorKind::kLineTooLong, "",
                                        fmt::format("line is longer than {} bytes", kMaxLineBytes)})
            : ingest_line(line);
    if (!outcome.ok()) {
      ++counts.rejected;
      if (on_rejected) on_rejected(Rejection{source, reader.line_number(), outcome.error()});
      continue;
    }
    const ReceiveResult& result = outcome.result();
    if (result.duplicate) {
      ++counts.duplicates;
      continue;
    }
    ++counts.stored;
    if (result.new_customer) ++counts.new_customers;
    if (result.new_conversation) ++counts.new_conversations;
    if (result.reopened) ++counts.reopened_conversations;
  }
  return counts;
}

}  // namespace omni::cli
