// JSON codec of reply templates; the document shape is described in the header.
#include "template_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include <utility>

namespace omni::detail {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kWhat = "reply template";

void write_key(Writer& writer, std::string_view key) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void write_string(Writer& writer, std::string_view value) {
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

Status malformed(std::string_view why) {
  return Status::corruption(fmt::format("malformed {} JSON: {}", kWhat, why));
}

Status wrong_type(const std::string& field, std::string_view expected) {
  return Status::corruption(fmt::format("malformed {} JSON: {} must be {}", kWhat, field, expected))
      .with_field(field);
}

// The member `key` of `object`, or null when absent.
const rapidjson::Value* member(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// Reads the string member `key` into `out` when present.
Status read_string(const rapidjson::Value& object, const char* key, const std::string& prefix,
                   std::string* out) {
  const rapidjson::Value* value = member(object, key);
  if (value == nullptr) return Status::ok_status();
  if (!value->IsString()) return wrong_type(prefix + key, "a string");
  out->assign(value->GetString(), value->GetStringLength());
  return Status::ok_status();
}

Result<TemplateVariant> read_variant(const rapidjson::Value& object, const std::string& prefix) {
  if (!object.IsObject()) return wrong_type(prefix, "an object");
  const std::string dotted = prefix + ".";
  TemplateVariant v;
  if (const rapidjson::Value* kind = member(object, "kind"); kind && !kind->IsNull()) {
    if (!kind->IsString()) return wrong_type(dotted + "kind", "a string or null");
    const std::string_view name(kind->GetString(), kind->GetStringLength());
    v.channel_kind = parse_channel_kind(name);
    if (!v.channel_kind) {
      return Status::invalid_argument(fmt::format("unknown channel kind \"{}\"", name))
          .with_field(dotted + "kind");
    }
  }
  if (const rapidjson::Value* format = member(object, "format")) {
    if (!format->IsString()) return wrong_type(dotted + "format", "a string");
    const std::string_view name(format->GetString(), format->GetStringLength());
    auto parsed = parse_text_format(name);
    if (!parsed) {
      return Status::invalid_argument(fmt::format("unknown text format \"{}\"", name))
          .with_field(dotted + "format");
    }
    v.format = *parsed;
  }
  for (auto [key, out] : {std::pair{"language", &v.language}, std::pair{"subject", &v.subject},
                          std::pair{"body", &v.body}}) {
    if (Status s = read_string(object, key, dotted, out); !s.ok()) return s;
  }
  return v;
}

Result<ReplyTemplate> read_template(const rapidjson::Value& object) {
  ReplyTemplate t;
  for (auto [key, out] : {std::pair{"key", &t.key}, std::pair{"description", &t.description},
                          std::pair{"default_language", &t.default_language}}) {
    if (Status s = read_string(object, key, "", out); !s.ok()) return s;
  }
  if (const rapidjson::Value* variants = member(object, "variants")) {
    if (!variants->IsArray()) return wrong_type("variants", "an array");
    for (rapidjson::SizeType i = 0; i < variants->Size(); ++i) {
      auto v = read_variant((*variants)[i], fmt::format("variants[{}]", i));
      if (!v.ok()) return v.status();
      t.variants.push_back(std::move(v).value());
    }
  }
  return t;
}

}  // namespace

std::string encode_template(const ReplyTemplate& t) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  write_key(writer, "key");
  write_string(writer, t.key);
  write_key(writer, "description");
  write_string(writer, t.description);
  write_key(writer, "default_language");
  write_string(writer, t.default_language);
  write_key(writer, "variants");
  writer.StartArray();
  for (const TemplateVariant& v : t.variants) {
    writer.StartObject();
    if (v.channel_kind) {
      write_key(writer, "kind");
      write_string(writer, to_string(*v.channel_kind));
    }
    write_key(writer, "language");
    write_string(writer, v.language);
    write_key(writer, "format");
    write_string(writer, to_string(v.format));
    if (!v.subject.empty()) {
      write_key(writer, "subject");
      write_string(writer, v.subject);
    }
    write_key(writer, "body");
    write_string(writer, v.body);
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<ReplyTemplate> decode_template(std::string_view json) {
  try {
    rapidjson::Document document;
    document.Parse(json.data(), json.size());
    if (document.HasParseError()) {
      return malformed(fmt::format("{} at offset {}",
                                   rapidjson::GetParseError_En(document.GetParseError()),
                                   document.GetErrorOffset()));
    }
    if (!document.IsObject()) return malformed("expected an object");
    return read_template(document);
  } catch (const JsonShapeError& e) {
    return malformed(e.what());
  }
}

}  // namespace omni::detail
