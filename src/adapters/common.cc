#include "adapters/common.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace omni::adapters::detail {
namespace {

// 9999-12-31T23:59:59Z: later times do not fit RFC 3339 and are not real message times.
constexpr std::int64_t kMaxUnixSeconds = 253402300799;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes body[begin, end): '+' is a space, "%XY" a byte.
Result<std::string> percent_decode(std::string_view body, std::size_t begin, std::size_t end) {
  std::string out;
  out.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    const char c = body[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      const int high = i + 1 < end ? hex_value(body[i + 1]) : -1;
      const int low = i + 2 < end ? hex_value(body[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return Status::invalid_argument(
                   fmt::format("malformed percent escape at offset {}: '%' must be followed by "
                               "two hex digits",
                               i))
            .with_field(fmt::format("offset {}", i));
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string type_name(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "a value";
}

std::string expected(std::string_view what, const rapidjson::Value& got) {
  return fmt::format("{}, got {}", what, type_name(got));
}

std::string text_of(const rapidjson::Value& value) {
  return std::string(value.GetString(), value.GetStringLength());
}

// An integer JSON number as text; nullopt for a fraction or a non-number.
std::optional<std::string> integer_text(const rapidjson::Value& value) {
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  if (value.IsUint64()) return std::to_string(value.GetUint64());
  return std::nullopt;
}

const rapidjson::Value& empty_object() {
  static const rapidjson::Value value(rapidjson::kObjectType);
  return value;
}

}  // namespace

Status check_payload_size(std::string_view payload, const ParseOptions& options,
                          std::string_view what) {
  if (payload.size() > options.max_payload_bytes) {
    return Status::resource_exhausted(fmt::format("{} of {} bytes is larger than the limit of {}",
                                                  what, payload.size(), options.max_payload_bytes))
        .with_field("payload");
  }
  return Status();
}

bool is_valid_utf8(std::string_view text) {
  if (text.empty()) return true;
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    return false;
  }
  UErrorCode error = U_ZERO_ERROR;
  std::int32_t length = 0;
  // Preflight only: counts UTF-16 units and reports ill-formed input as U_INVALID_CHAR_FOUND.
  u_strFromUTF8(nullptr, 0, &length, text.data(), static_cast<std::int32_t>(text.size()), &error);
  return error == U_BUFFER_OVERFLOW_ERROR || U_SUCCESS(error);
}

Result<std::map<std::string, std::string>> decode_form(std::string_view body) {
  std::map<std::string, std::string> fields;
  std::size_t begin = 0;
  while (begin <= body.size()) {
    std::size_t end = body.find('&', begin);
    if (end == std::string_view::npos) end = body.size();
    if (end > begin) {
      std::size_t equals = body.find('=', begin);
      if (equals == std::string_view::npos || equals > end) equals = end;
      auto name = percent_decode(body, begin, equals);
      if (!name.ok()) return name.status();
      auto value = equals < end ? percent_decode(body, equals + 1, end) : Result<std::string>("");
      if (!value.ok()) return value.status();
      if (!is_valid_utf8(*name)) {
        return Status::invalid_argument(
                   fmt::format("field name at offset {} is not valid UTF-8", begin))
            .with_field(fmt::format("offset {}", begin));
      }
      if (!is_valid_utf8(*value)) {
        return Status::invalid_argument("value is not valid UTF-8").with_field(*name);
      }
      if (fields.count(*name) != 0) {
        return Status::invalid_argument("field is given twice").with_field(*name);
      }
      fields.emplace(std::move(name).value(), std::move(value).value());
    }
    begin = end + 1;
  }
  return fields;
}

std::optional<std::int64_t> parse_decimal(std::string_view text) {
  std::int64_t value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first == last) return std::nullopt;
  auto [end, error] = std::from_chars(first, last, value);
  if (error != std::errc() || end != last) return std::nullopt;
  return value;
}

std::optional<Timestamp> from_unix_seconds(std::int64_t seconds) {
  if (seconds < 0 || seconds > kMaxUnixSeconds) return std::nullopt;
  return from_unix_micros(seconds * 1000000);
}

std::optional<Timestamp> from_unix_millis(std::int64_t millis) {
  if (millis < 0 || millis / 1000 > kMaxUnixSeconds) return std::nullopt;
  return from_unix_micros(millis * 1000);
}

std::string format_number(double value) {
  return fmt::format("{}", value);
}

std::string last_path_segment(std::string_view url) {
  const std::size_t query = url.find_first_of("?#");
  if (query != std::string_view::npos) url = url.substr(0, query);
  const std::size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    const std::size_t path = url.find('/', scheme + 3);
    if (path == std::string_view::npos) return "";
    url = url.substr(path);
  }
  const std::size_t slash = url.rfind('/');
  return std::string(slash == std::string_view::npos ? url : url.substr(slash + 1));
}

Result<rapidjson::Document> parse_json(std::string_view json, const ParseOptions& options,
                                       std::string_view what) {
  if (Status size = check_payload_size(json, options, what); !size.ok()) return size;
  rapidjson::Document document;
  constexpr unsigned kFlags =
      rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;
  document.Parse<kFlags>(json.data(), json.size());
  if (document.HasParseError()) {
    const std::size_t offset = document.GetErrorOffset();
    const rapidjson::ParseErrorCode code = document.GetParseError();
    const std::string reason = code == rapidjson::kParseErrorStringInvalidEncoding
                                   ? "a string is not valid UTF-8"
                                   : rapidjson::GetParseError_En(code);
    return Status::invalid_argument(
               fmt::format("{}: malformed JSON at offset {}: {}", what, offset, reason))
        .with_field(fmt::format("offset {}", offset));
  }
  return document;
}

// ------------------------------------------------------------------------------ JsonObject

const rapidjson::Value* JsonObject::find(const char* name) const {
  if (!value_->IsObject()) return nullptr;
  auto it = value_->FindMember(name);
  if (it == value_->MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::optional<std::string> JsonObject::optional_string(const char* name) const {
  const rapidjson::Value* v = find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsString()) {
    errors_->wrong_type(child_path(name), expected("a string", *v));
    return std::nullopt;
  }
  return text_of(*v);
}

std::string JsonObject::required_string(const char* name) const {
  if (!has(name)) {
    errors_->missing(child_path(name));
    return {};
  }
  std::string text = optional_string(name).value_or("");
  if (text.empty() && errors_->ok()) errors_->invalid(child_path(name), "must not be empty");
  return text;
}

std::optional<std::int64_t> JsonObject::optional_int(const char* name) const {
  const rapidjson::Value* v = find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsInt64()) {
    errors_->wrong_type(child_path(name), expected("an integer", *v));
    return std::nullopt;
  }
  return v->GetInt64();
}

std::int64_t JsonObject::required_int(const char* name) const {
  if (!has(name)) {
    errors_->missing(child_path(name));
    return 0;
  }
  return optional_int(name).value_or(0);
}

std::optional<double> JsonObject::optional_number(const char* name) const {
  const rapidjson::Value* v = find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsNumber()) {
    errors_->wrong_type(child_path(name), expected("a number", *v));
    return std::nullopt;
  }
  return v->GetDouble();
}

std::optional<bool> JsonObject::optional_bool(const char* name) const {
  const rapidjson::Value* v = find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsBool()) {
    errors_->wrong_type(child_path(name), expected("a boolean", *v));
    return std::nullopt;
  }
  return v->GetBool();
}

std::optional<std::int64_t> JsonObject::optional_decimal_string(const char* name) const {
  const rapidjson::Value* v = find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsString()) {
    errors_->wrong_type(child_path(name), expected("a string of decimal digits", *v));
    return std::nullopt;
  }
  auto number = parse_decimal(std::string_view(v->GetString(), v->GetStringLength()));
  if (!number) {
    errors_->invalid(child_path(name), "expected a string of decimal digits");
    return std::nullopt;
  }
  return number;
}

std::optional<std::string> JsonObject::optional_id(const char* name) const {
  const rapidjson::Value* v = find(name);
  if (v == nullptr) return std::nullopt;
  if (v->IsString()) return text_of(*v);
  if (auto text = integer_text(*v)) return text;
  errors_->wrong_type(child_path(name), expected("a string or an integer", *v));
  return std::nullopt;
}

std::string JsonObject::required_id(const char* name) const {
  if (!has(name)) {
    errors_->missing(child_path(name));
    return {};
  }
  std::string text = optional_id(name).value_or("");
  if (text.empty() && errors_->ok()) errors_->invalid(child_path(name), "must not be empty");
  return text;
}

std::optional<JsonObject> JsonObject::optional_object(const char* name) const {
  const rapidjson::Value* v = find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsObject()) {
    errors_->wrong_type(child_path(name), expected("an object", *v));
    return std::nullopt;
  }
  return JsonObject(*v, child_path(name), errors_);
}

JsonObject JsonObject::required_object(const char* name) const {
  if (!has(name)) errors_->missing(child_path(name));
  if (auto object = optional_object(name)) return *object;
  return JsonObject(empty_object(), child_path(name), errors_);
}

std::vector<JsonObject> JsonObject::objects(const char* name, bool required) const {
  std::vector<JsonObject> out;
  const rapidjson::Value* v = find(name);
  if (v == nullptr) {
    if (required) errors_->missing(child_path(name));
    return out;
  }
  if (!v->IsArray()) {
    errors_->wrong_type(child_path(name), expected("an array", *v));
    return out;
  }
  const std::string base = child_path(name);
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const rapidjson::Value& element = (*v)[i];
    std::string path = fmt::format("{}[{}]", base, i);
    if (!element.IsObject()) {
      errors_->wrong_type(path, expected("an object", element));
      return {};
    }
    out.emplace_back(element, std::move(path), errors_);
  }
  return out;
}

std::vector<std::string> JsonObject::ids(const char* name, bool required) const {
  std::vector<std::string> out;
  const rapidjson::Value* v = find(name);
  if (v == nullptr) {
    if (required) errors_->missing(child_path(name));
    return out;
  }
  if (!v->IsArray()) {
    errors_->wrong_type(child_path(name), expected("an array", *v));
    return out;
  }
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const rapidjson::Value& element = (*v)[i];
    if (element.IsString()) {
      out.push_back(text_of(element));
    } else if (auto text = integer_text(element)) {
      out.push_back(*text);
    } else {
      errors_->wrong_type(fmt::format("{}[{}]", child_path(name), i),
                          expected("a string or an integer", element));
      return {};
    }
  }
  return out;
}

JsonObject root_object(const rapidjson::Document& document, JsonErrors* errors) {
  if (!document.IsObject()) {
    errors->fail(Status::invalid_argument(expected("a JSON object", document)).with_field("$"));
    return JsonObject(empty_object(), "", errors);
  }
  return JsonObject(document, "", errors);
}

namespace {

// The engine's limits on an inbound message (src/engine_impl.h).
constexpr std::size_t kMaxIdBytes = 256;
constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMaxSubjectBytes = 1024;
constexpr std::size_t kMaxMetadataBytes = 4096;
constexpr std::size_t kMaxAttachments = 100;

// The longest prefix of at most `max_bytes` bytes that ends on a code point boundary.
void cut_utf8(std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  text.resize(end);
}

}  // namespace

Status stamp(ParsedPayload* payload, const ParseOptions& options) {
  for (InboundMessage& message : payload->messages) {
    message.tenant = options.tenant;
    message.channel = options.channel;
    if (message.provider_message_id.size() > kMaxIdBytes) {
      return Status::invalid_argument("the provider message id is " +
                                      std::to_string(message.provider_message_id.size()) +
                                      " bytes long; at most 256 are accepted")
          .with_field("provider_message_id");
    }
    // JSON escapes can spell what is not UTF-8 (a lone surrogate "\ud800"): refuse it here,
    // naming the field, rather than hand receive() a message it must refuse.
    auto utf8 = [](const std::string& text) { return is_valid_utf8(text); };
    if (!utf8(message.provider_message_id)) {
      return Status::invalid_argument("the provider message id is not valid UTF-8")
          .with_field("provider_message_id");
    }
    if (!utf8(message.from.value) || !utf8(message.from.scope)) {
      return Status::invalid_argument("the sender id is not valid UTF-8").with_field("from");
    }
    bool text_ok = utf8(message.display_name) && utf8(message.subject) && utf8(message.body);
    for (const auto& [key, value] : message.metadata)
      text_ok = text_ok && utf8(key) && utf8(value);
    for (const Attachment& a : message.attachments) {
      text_ok = text_ok && utf8(a.filename) && utf8(a.content_type) && utf8(a.sha256);
    }
    for (const std::string& r : message.references)
      text_ok = text_ok && utf8(r);
    if (!text_ok) {
      return Status::invalid_argument("the message contains text that is not valid UTF-8")
          .with_field("body");
    }
    if (message.attachments.size() > kMaxAttachments) {
      return Status::resource_exhausted("the message has " +
                                        std::to_string(message.attachments.size()) +
                                        " attachments; at most 100 are accepted")
          .with_field("attachments");
    }
    cut_utf8(message.display_name, kMaxNameBytes);
    cut_utf8(message.subject, kMaxSubjectBytes);
    for (Attachment& attachment : message.attachments) {
      cut_utf8(attachment.filename, kMaxNameBytes);
      cut_utf8(attachment.content_type, kMaxNameBytes);
    }
    for (auto& entry : message.metadata)
      cut_utf8(entry.second, kMaxMetadataBytes);
    auto& refs = message.references;
    refs.erase(
        std::remove_if(refs.begin(), refs.end(),
                       [](const std::string& r) { return r.empty() || r.size() > kMaxIdBytes; }),
        refs.end());
  }
  for (StatusReport& report : payload->statuses)
    cut_utf8(report.error, kMaxMetadataBytes);
  return Status();
}

}  // namespace omni::adapters::detail
