#include "sqlite/json_columns.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

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

}  // namespace

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
