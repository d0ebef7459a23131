#include "sqlite/json_columns.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include <optional>
#include <utility>

namespace omni::sqlite {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& writer, std::string_view value) {
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_key(Writer& writer, std::string_view key) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

std::string finish(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string read_string(const rapidjson::Value& value) {
  return std::string(value.GetString(), value.GetStringLength());
}

Status malformed(std::string_view what, std::string_view why) {
  return Status::corruption(fmt::format("sqlite: malformed JSON in {}: {}", what, why));
}

Result<rapidjson::Document> parse(std::string_view json, std::string_view what) {
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  if (document.HasParseError()) {
    return malformed(
        what, fmt::format("{} at offset {}", rapidjson::GetParseError_En(document.GetParseError()),
                          document.GetErrorOffset()));
  }
  return document;
}

void write_optional_micros(Writer& writer, std::string_view key,
                           const std::optional<Timestamp>& value) {
  write_key(writer, key);
  if (value) {
    writer.Int64(to_unix_micros(*value));
  } else {
    writer.Null();
  }
}

void write_sla_clock(Writer& writer, std::string_view key, const SlaClock& clock) {
  write_key(writer, key);
  writer.StartObject();
  write_optional_micros(writer, "started_at", clock.started_at);
  write_optional_micros(writer, "warn_at", clock.warn_at);
  write_optional_micros(writer, "due_at", clock.due_at);
  write_optional_micros(writer, "stopped_at", clock.stopped_at);
  write_key(writer, "warned");
  writer.Bool(clock.warned);
  write_key(writer, "breached");
  writer.Bool(clock.breached);
  writer.EndObject();
}

// Reads the member `key` of `object` into `out` with `read`, which returns false for a value of
// the wrong type; an absent member leaves `out` as it is.
template <typename T, typename Read>
Status read_member(const rapidjson::Value& object, const char* key, T& out, std::string_view what,
                   Read read) {
  const auto member = object.FindMember(key);
  if (member == object.MemberEnd()) return Status::ok_status();
  if (!read(member->value, out)) return malformed(what, fmt::format("unexpected '{}'", key));
  return Status::ok_status();
}

bool read_optional_micros(const rapidjson::Value& value, std::optional<Timestamp>& out) {
  if (value.IsNull()) {
    out.reset();
    return true;
  }
  if (!value.IsInt64()) return false;
  out = from_unix_micros(value.GetInt64());
  return true;
}

bool read_bool(const rapidjson::Value& value, bool& out) {
  if (!value.IsBool()) return false;
  out = value.GetBool();
  return true;
}

bool read_int(const rapidjson::Value& value, int& out) {
  if (!value.IsInt()) return false;
  out = value.GetInt();
  return true;
}

Status read_sla_clock(const rapidjson::Value& object, const char* key, SlaClock& clock,
                      std::string_view what) {
  const auto member = object.FindMember(key);
  if (member == object.MemberEnd()) return Status::ok_status();
  const rapidjson::Value& value = member->value;
  if (!value.IsObject()) return malformed(what, fmt::format("'{}' is not an object", key));
  for (auto [name, field] :
       {std::pair{"started_at", &clock.started_at}, std::pair{"warn_at", &clock.warn_at},
        std::pair{"due_at", &clock.due_at}, std::pair{"stopped_at", &clock.stopped_at}}) {
    Status read = read_member(value, name, *field, what, read_optional_micros);
    if (!read.ok()) return read;
  }
  Status warned = read_member(value, "warned", clock.warned, what, read_bool);
  if (!warned.ok()) return warned;
  return read_member(value, "breached", clock.breached, what, read_bool);
}

}  // namespace

std::string encode_preferences(const ContactPreferences& p) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  if (!p.channels.empty()) {
    write_key(writer, "channels");
    writer.StartArray();
    for (ChannelKind kind : p.channels)
      write_string(writer, to_string(kind));
    writer.EndArray();
  }
  if (!p.language.empty()) {
    write_key(writer, "language");
    write_string(writer, p.language);
  }
  if (!p.time_zone.empty()) {
    write_key(writer, "time_zone");
    write_string(writer, p.time_zone);
  }
  if (p.quiet_hours) {
    write_key(writer, "quiet_hours");
    writer.StartObject();
    write_key(writer, "start_min");
    writer.Int64(p.quiet_hours->start.count());
    write_key(writer, "end_min");
    writer.Int64(p.quiet_hours->end.count());
    writer.EndObject();
  }
  writer.EndObject();
  return finish(buffer);
}

Result<ContactPreferences> decode_preferences(std::string_view json, std::string_view what) {
  auto document = parse(json, what);
  if (!document.ok()) return document.status();
  const rapidjson::Value& object = *document;
  if (!object.IsObject()) return malformed(what, "expected an object");
  ContactPreferences p;
  auto read_text = [](const rapidjson::Value& value, std::string& out) {
    if (!value.IsString()) return false;
    out = read_string(value);
    return true;
  };
  Status read = read_member(object, "language", p.language, what, read_text);
  if (read.ok()) read = read_member(object, "time_zone", p.time_zone, what, read_text);
  if (read.ok()) {
    read = read_member(object, "channels", p.channels, what,
                       [](const rapidjson::Value& value, std::vector<ChannelKind>& out) {
                         if (!value.IsArray()) return false;
                         for (const rapidjson::Value& item : value.GetArray()) {
                           if (!item.IsString()) return false;
                           auto kind = parse_channel_kind(read_string(item));
                           if (!kind) return false;
                           out.push_back(*kind);
                         }
                         return true;
                       });
  }
  if (read.ok()) {
    read = read_member(object, "quiet_hours", p.quiet_hours, what,
                       [](const rapidjson::Value& value, std::optional<QuietHours>& out) {
                         if (!value.IsObject()) return false;
                         const auto start = value.FindMember("start_min");
                         const auto end = value.FindMember("end_min");
                         const rapidjson::Value& v = value;
                         if (start == v.MemberEnd() || end == v.MemberEnd() ||
                             !start->value.IsInt64() || !end->value.IsInt64()) {
                           return false;
                         }
                         out = QuietHours{std::chrono::minutes(start->value.GetInt64()),
                                          std::chrono::minutes(end->value.GetInt64())};
                         return true;
                       });
  }
  if (!read.ok()) return read;
  return p;
}

std::string encode_sla_state(const SlaState& state) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  // Only what differs from the defaults (absent members decode as defaults): most
  // conversations have no SLA policy, and this column is rewritten with every message.
  write_key(writer, "policy");
  write_string(writer, state.policy);
  auto started = [](const SlaClock& clock) {
    return clock.started_at || clock.warn_at || clock.due_at || clock.stopped_at || clock.warned ||
           clock.breached;
  };
  if (started(state.first_response)) {
    write_sla_clock(writer, "first_response", state.first_response);
  }
  if (started(state.next_response)) write_sla_clock(writer, "next_response", state.next_response);
  if (started(state.resolution)) write_sla_clock(writer, "resolution", state.resolution);
  if (state.paused_at) write_optional_micros(writer, "paused_at", state.paused_at);
  if (state.next_responses_met != 0) {
    write_key(writer, "next_responses_met");
    writer.Int(state.next_responses_met);
  }
  if (state.next_responses_breached != 0) {
    write_key(writer, "next_responses_breached");
    writer.Int(state.next_responses_breached);
  }
  writer.EndObject();
  return finish(buffer);
}

Result<SlaState> decode_sla_state(std::string_view json, std::string_view what) {
  auto document = parse(json, what);
  if (!document.ok()) return document.status();
  const rapidjson::Value& object = *document;
  if (!object.IsObject()) return malformed(what, "expected an object");
  SlaState state;
  Status read = read_member(object, "policy", state.policy, what,
                            [](const rapidjson::Value& value, std::string& out) {
                              if (!value.IsString()) return false;
                              out = read_string(value);
                              return true;
                            });
  if (read.ok()) read = read_sla_clock(object, "first_response", state.first_response, what);
  if (read.ok()) read = read_sla_clock(object, "next_response", state.next_response, what);
  if (read.ok()) read = read_sla_clock(object, "resolution", state.resolution, what);
  if (read.ok())
    read = read_member(object, "paused_at", state.paused_at, what, read_optional_micros);
  if (read.ok()) {
    read = read_member(object, "next_responses_met", state.next_responses_met, what, read_int);
  }
  if (read.ok()) {
    read = read_member(object, "next_responses_breached", state.next_responses_breached, what,
                       read_int);
  }
  if (!read.ok()) return read;
  return state;
}

std::string encode_string_list(const std::vector<std::string>& values) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartArray();
  for (const auto& value : values)
    write_string(writer, value);
  writer.EndArray();
  return finish(buffer);
}

Result<std::vector<std::string>> decode_string_list(std::string_view json, std::string_view what) {
  auto document = parse(json, what);
  if (!document.ok()) return document.status();
  if (!document->IsArray()) return malformed(what, "expected an array");
  std::vector<std::string> values;
  values.reserve(document->Size());
  for (const auto& item : document->GetArray()) {
    if (!item.IsString()) return malformed(what, "expected an array of strings");
    values.push_back(read_string(item));
  }
  return values;
}

std::string encode_id_list(const std::vector<std::int64_t>& ids) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartArray();
  for (std::int64_t id : ids)
    writer.Int64(id);
  writer.EndArray();
  return finish(buffer);
}

Result<std::vector<std::int64_t>> decode_id_list(std::string_view json, std::string_view what) {
  auto document = parse(json, what);
  if (!document.ok()) return document.status();
  if (!document->IsArray()) return malformed(what, "expected an array");
  std::vector<std::int64_t> ids;
  ids.reserve(document->Size());
  for (const auto& item : document->GetArray()) {
    if (!item.IsInt64()) return malformed(what, "expected an array of integers");
    ids.push_back(item.GetInt64());
  }
  return ids;
}

std::string encode_string_map(const std::map<std::string, std::string>& values) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  for (const auto& [key, value] : values) {
    write_key(writer, key);
    write_string(writer, value);
  }
  writer.EndObject();
  return finish(buffer);
}

Result<std::map<std::string, std::string>> decode_string_map(std::string_view json,
                                                             std::string_view what) {
  auto document = parse(json, what);
  if (!document.ok()) return document.status();
  if (!document->IsObject()) return malformed(what, "expected an object");
  std::map<std::string, std::string> values;
  // Const iterators: C++20 finds RapidJSON's non-const iterator comparison ambiguous.
  for (const auto& member : std::as_const(*document).GetObject()) {
    if (!member.value.IsString()) return malformed(what, "expected an object of strings");
    values.insert_or_assign(read_string(member.name), read_string(member.value));
  }
  return values;
}

std::string encode_attachments(const std::vector<Attachment>& attachments) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartArray();
  for (const auto& attachment : attachments) {
    writer.StartObject();
    write_key(writer, "filename");
    write_string(writer, attachment.filename);
    write_key(writer, "content_type");
    write_string(writer, attachment.content_type);
    write_key(writer, "size_bytes");
    writer.Uint64(attachment.size_bytes);
    write_key(writer, "sha256");
    write_string(writer, attachment.sha256);
    writer.EndObject();
  }
  writer.EndArray();
  return finish(buffer);
}

Result<std::vector<Attachment>> decode_attachments(std::string_view json, std::string_view what) {
  auto document = parse(json, what);
  if (!document.ok()) return document.status();
  if (!document->IsArray()) return malformed(what, "expected an array");
  std::vector<Attachment> attachments;
  attachments.reserve(document->Size());
  for (const auto& item : document->GetArray()) {
    if (!item.IsObject()) return malformed(what, "expected an array of objects");
    const auto filename = item.FindMember("filename");
    const auto content_type = item.FindMember("content_type");
    const auto size_bytes = item.FindMember("size_bytes");
    const auto sha256 = item.FindMember("sha256");
    if (filename == item.MemberEnd() || !filename->value.IsString() ||
        content_type == item.MemberEnd() || !content_type->value.IsString() ||
        size_bytes == item.MemberEnd() || !size_bytes->value.IsUint64() ||
        sha256 == item.MemberEnd() || !sha256->value.IsString()) {
      return malformed(what, "an attachment lacks filename, content_type, size_bytes or sha256");
    }
    Attachment attachment;
    attachment.filename = read_string(filename->value);
    attachment.content_type = read_string(content_type->value);
    attachment.size_bytes = size_bytes->value.GetUint64();
    attachment.sha256 = read_string(sha256->value);
    attachments.push_back(std::move(attachment));
  }
  return attachments;
}

std::string encode_attribute_conflicts(const std::vector<AttributeConflict>& conflicts) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartArray();
  for (const auto& conflict : conflicts) {
    writer.StartObject();
    write_key(writer, "key");
    write_string(writer, conflict.key);
    write_key(writer, "survivor_value");
    write_string(writer, conflict.survivor_value);
    write_key(writer, "merged_value");
    write_string(writer, conflict.merged_value);
    writer.EndObject();
  }
  writer.EndArray();
  return finish(buffer);
}

Result<std::vector<AttributeConflict>> decode_attribute_conflicts(std::string_view json,
                                                                  std::string_view what) {
  auto document = parse(json, what);
  if (!document.ok()) return document.status();
  if (!document->IsArray()) return malformed(what, "expected an array");
  std::vector<AttributeConflict> conflicts;
  conflicts.reserve(document->Size());
  for (const auto& item : document->GetArray()) {
    if (!item.IsObject()) return malformed(what, "expected an array of objects");
    const auto key = item.FindMember("key");
    const auto survivor_value = item.FindMember("survivor_value");
    const auto merged_value = item.FindMember("merged_value");
    if (key == item.MemberEnd() || !key->value.IsString() || survivor_value == item.MemberEnd() ||
        !survivor_value->value.IsString() || merged_value == item.MemberEnd() ||
        !merged_value->value.IsString()) {
      return malformed(what, "a conflict lacks key, survivor_value or merged_value");
    }
    AttributeConflict conflict;
    conflict.key = read_string(key->value);
    conflict.survivor_value = read_string(survivor_value->value);
    conflict.merged_value = read_string(merged_value->value);
    conflicts.push_back(std::move(conflict));
  }
  return conflicts;
}

}  // namespace omni::sqlite
