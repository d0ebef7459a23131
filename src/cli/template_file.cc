#include "cli/template_file.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <initializer_list>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "cli/record.h"
#include "omni/channel.h"

namespace omni::cli {
namespace {

Status path_error(const std::string& path, std::string_view why) {
  return Status::invalid_argument(std::string(why)).with_field(path);
}

std::string_view string_of(const rapidjson::Value& value) {
  return std::string_view(value.GetString(), value.GetStringLength());
}

// Every member of `object` must be one of `known`; the first that is not is an error.
Status check_members(const rapidjson::Value& object, const std::string& prefix,
                     std::initializer_list<std::string_view> known) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    std::string_view name = string_of(it->name);
    bool found = false;
    for (std::string_view k : known)
      found = found || k == name;
    if (!found) {
      std::string expected;
      for (std::string_view k : known)
        expected += (expected.empty() ? "" : ", ") + std::string(k);
      return path_error(prefix + printable(name),
                        "unknown field (expected one of: " + expected + ")");
    }
  }
  return Status();
}

// Reads the string member `key` into `out`; `required` makes a missing one an error.
Status read_string(const rapidjson::Value& object, const char* key, const std::string& prefix,
                   bool required, std::string* out) {
  const rapidjson::Value& o = object;
  auto it = o.FindMember(key);
  if (it == o.MemberEnd()) {
    return required ? path_error(prefix + key, "required") : Status();
  }
  if (!it->value.IsString()) return path_error(prefix + key, "must be a string");
  out->assign(string_of(it->value));
  return Status();
}

Result<TemplateVariant> read_variant(const rapidjson::Value& object, const std::string& path) {
  if (!object.IsObject()) return path_error(path, "must be an object");
  const std::string prefix = path + ".";
  if (Status s = check_members(object, prefix, {"kind", "language", "format", "subject", "body"});
      !s.ok()) {
    return s;
  }
  TemplateVariant v;
  auto kind = object.FindMember("kind");
  if (kind != object.MemberEnd() && !kind->value.IsNull()) {
    if (!kind->value.IsString()) return path_error(prefix + "kind", "must be a string or null");
    v.channel_kind = parse_channel_kind(string_of(kind->value));
    if (!v.channel_kind) {
      return path_error(prefix + "kind", fmt::format("unknown channel kind \"{}\"",
                                                     printable(string_of(kind->value))));
    }
  }
  auto format = object.FindMember("format");
  if (format != object.MemberEnd()) {
    if (!format->value.IsString()) return path_error(prefix + "format", "must be a string");
    auto parsed = parse_text_format(string_of(format->value));
    if (!parsed) {
      return path_error(prefix + "format",
                        fmt::format("unknown format \"{}\" (expected plain, html or "
                                    "telegram_markdown_v2)",
                                    printable(string_of(format->value))));
    }
    v.format = *parsed;
  }
  if (Status s = read_string(object, "language", prefix, true, &v.language); !s.ok()) return s;
  if (Status s = read_string(object, "subject", prefix, false, &v.subject); !s.ok()) return s;
  if (Status s = read_string(object, "body", prefix, true, &v.body); !s.ok()) return s;
  return v;
}

}  // namespace

Result<ReplyTemplate> parse_template_json(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    return Status::invalid_argument(fmt::format("invalid JSON at byte {}: {}", doc.GetErrorOffset(),
                                                rapidjson::GetParseError_En(doc.GetParseError())));
  }
  const rapidjson::Value& root = doc;
  if (!root.IsObject()) return path_error("$", "the document must be an object");
  if (Status s = check_members(root, "", {"key", "description", "default_language", "variants"});
      !s.ok()) {
    return s;
  }
  ReplyTemplate t;
  if (Status s = read_string(root, "key", "", true, &t.key); !s.ok()) return s;
  if (Status s = read_string(root, "description", "", false, &t.description); !s.ok()) return s;
  if (Status s = read_string(root, "default_language", "", false, &t.default_language); !s.ok()) {
    return s;
  }
  auto variants = root.FindMember("variants");
  if (variants == root.MemberEnd()) return path_error("variants", "required");
  if (!variants->value.IsArray()) return path_error("variants", "must be an array");
  for (rapidjson::SizeType i = 0; i < variants->value.Size(); ++i) {
    auto variant = read_variant(variants->value[i], fmt::format("variants[{}]", i));
    if (!variant.ok()) return variant.status();
    t.variants.push_back(std::move(*variant));
  }
  return t;
}

}  // namespace omni::cli
