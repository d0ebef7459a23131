#include "cli/record.h"

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstring>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "omni/clock.h"
#include "omni/customer.h"
#include "omni/touchpoint.h"

namespace omni::cli {
namespace {

using rapidjson::Value;

// Strict JSON (no comments, NaN or trailing commas), UTF-8 validated, parsed without recursion so
// a deeply nested line cannot exhaust the stack.
constexpr unsigned kParseFlags =
    rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;

RecordError make_error(RecordErrorKind kind, std::string field, std::string message) {
  return RecordError{kind, std::move(field), std::move(message)};
}

const char* type_name(const Value& v) {
  switch (v.GetType()) {
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

std::string_view view_of(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

// A path component for a key the producer chose (metadata keys, unknown fields).
std::string key_component(std::string_view key) {
  return printable(key, 64);
}

std::string join_path(const std::string& prefix, std::string_view key) {
  std::string component = key_component(key);
  return prefix.empty() ? component : prefix + "." + component;
}

// The names of every value of an enum for "expected one of ..." messages.
template <typename E, typename Accept>
std::string names_of(int last, Accept accept) {
  std::string out;
  for (int i = 0; i <= last; ++i) {
    auto value = static_cast<E>(i);
    if (!accept(value)) continue;
    if (!out.empty()) out += ", ";
    out += to_string(value);
  }
  return out;
}

std::string channel_kind_names() {
  std::string out;
  for (ChannelKind kind : all_channel_kinds()) {
    if (!out.empty()) out += ", ";
    out += to_string(kind);
  }
  return out;
}

std::string identity_kind_names() {
  return names_of<IdentityKind>(static_cast<int>(IdentityKind::kOther),
                                [](IdentityKind) { return true; });
}

std::string inbound_kind_names() {
  // Up to the last kind, kPreferenceChange.
  return names_of<TouchpointKind>(static_cast<int>(TouchpointKind::kPreferenceChange),
                                  [](TouchpointKind k) { return is_inbound_kind(k); });
}

// Reads the members of one JSON object, naming every problem by its path.
class ObjectReader {
 public:
  ObjectReader(const Value& object, std::string path) : object_(object), path_(std::move(path)) {}

  std::string path_of(std::string_view key) const { return join_path(path_, key); }

  // Every member must be one of `allowed`, and none may appear twice.
  std::optional<RecordError> check_members(std::initializer_list<std::string_view> allowed) const {
    std::vector<std::string_view> seen;
    for (auto it = object_.MemberBegin(); it != object_.MemberEnd(); ++it) {
      std::string_view name = view_of(it->name);
      bool known = false;
      for (std::string_view a : allowed)
        known = known || a == name;
      if (!known) {
        std::string list;
        for (std::string_view a : allowed) {
          if (!list.empty()) list += ", ";
          list += a;
        }
        return make_error(RecordErrorKind::kUnknownField, path_of(name),
                          fmt::format("unknown field; expected one of: {}", list));
      }
      for (std::string_view s : seen) {
        if (s == name) {
          return make_error(RecordErrorKind::kDuplicateField, path_of(name),
                            "field appears more than once");
        }
      }
      seen.push_back(name);
    }
    return std::nullopt;
  }

  // The member's value, or nullptr when it is absent or null (null means absent).
  const Value* find(std::string_view key) const {
    for (auto it = object_.MemberBegin(); it != object_.MemberEnd(); ++it) {
      if (view_of(it->name) == key) return it->value.IsNull() ? nullptr : &it->value;
    }
    return nullptr;
  }

  // A string member. `required`: absent is an error; `non_empty`: "" is an error.
  std::optional<RecordError> read_string(std::string_view key, bool required, bool non_empty,
                                         std::optional<std::string>* out) const {
    const Value* v = find(key);
    if (v == nullptr) {
      if (required) {
        return make_error(RecordErrorKind::kMissingField, path_of(key),
                          "required field is missing (expected a string)");
      }
      return std::nullopt;
    }
    if (!v->IsString()) {
      return make_error(RecordErrorKind::kWrongType, path_of(key),
                        fmt::format("expected a string, got {}", type_name(*v)));
    }
    std::string_view text = view_of(*v);
    if (non_empty && text.empty()) {
      return make_error(RecordErrorKind::kInvalidValue, path_of(key), "must not be empty");
    }
    if (text.find('\0') != std::string_view::npos) {
      return make_error(RecordErrorKind::kInvalidValue, path_of(key),
                        "contains a NUL character (\\u0000)");
    }
    *out = std::string(text);
    return std::nullopt;
  }

  // Like read_string, writing "" (or leaving `out` alone) when absent.
  std::optional<RecordError> read_string(std::string_view key, bool required, bool non_empty,
                                         std::string* out) const {
    std::optional<std::string> value;
    if (auto error = read_string(key, required, non_empty, &value)) return error;
    if (value) *out = std::move(*value);
    return std::nullopt;
  }

  // An object or array member; nullptr in *out when absent.
  std::optional<RecordError> read_object(std::string_view key, bool required,
                                         const Value** out) const {
    return read_container(key, required, true, out);
  }
  std::optional<RecordError> read_array(std::string_view key, const Value** out) const {
    return read_container(key, false, false, out);
  }

 private:
  std::optional<RecordError> read_container(std::string_view key, bool required, bool object,
                                            const Value** out) const {
    const char* expected = object ? "an object" : "an array";
    const Value* v = find(key);
    *out = nullptr;
    if (v == nullptr) {
      if (required) {
        return make_error(RecordErrorKind::kMissingField, path_of(key),
                          fmt::format("required field is missing (expected {})", expected));
      }
      return std::nullopt;
    }
    if (object ? !v->IsObject() : !v->IsArray()) {
      return make_error(RecordErrorKind::kWrongType, path_of(key),
                        fmt::format("expected {}, got {}", expected, type_name(*v)));
    }
    *out = v;
    return std::nullopt;
  }

  const Value& object_;
  std::string path_;
};

// Tracks the path of the value being parsed, so that a syntax error can name its field. Used
// only after a line failed to parse: the reader stops at the same place the document parse did.
class PathTracker : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, PathTracker> {
 public:
  bool Default() {
    start_value();
    return true;
  }
  bool StartObject() {
    start_value();
    frames_.push_back(Frame{true, {}, 0});
    return true;
  }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    frames_.back().key.assign(text, length);
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    frames_.pop_back();
    return true;
  }
  bool StartArray() {
    start_value();
    frames_.push_back(Frame{false, {}, 0});
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    frames_.pop_back();
    return true;
  }

  // The field being parsed (or last parsed) where the reader stopped.
  std::string path() const {
    std::string out;
    for (const Frame& frame : frames_) {
      if (frame.object) {
        if (frame.key.empty()) break;
        out = join_path(out, frame.key);
      } else {
        if (frame.elements == 0) break;
        out += fmt::format("[{}]", frame.elements - 1);
      }
    }
    return out;
  }

 private:
  struct Frame {
    bool object;
    std::string key;       // the member being parsed (objects)
    std::size_t elements;  // elements started so far (arrays)
  };
  void start_value() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().elements;
  }
  std::vector<Frame> frames_;
};

RecordError syntax_error(std::string_view line, rapidjson::ParseErrorCode code,
                         std::size_t offset) {
  PathTracker tracker;
  rapidjson::Reader reader;
  rapidjson::MemoryStream memory(line.data(), line.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(memory);
  reader.Parse<kParseFlags>(stream, tracker);
  if (code == rapidjson::kParseErrorStringInvalidEncoding) {
    return make_error(RecordErrorKind::kInvalidUtf8, tracker.path(),
                      fmt::format("invalid UTF-8 at byte {}", offset + 1));
  }
  return make_error(
      RecordErrorKind::kMalformedJson, tracker.path(),
      fmt::format("malformed JSON at byte {}: {}", offset + 1, rapidjson::GetParseError_En(code)));
}

std::optional<RecordError> read_identity(const Value& object, IdentityInput* out) {
  ObjectReader from(object, "from");
  if (auto error = from.check_members({"kind", "scope", "value"})) return error;
  std::string kind_name;
  if (auto error = from.read_string("kind", true, true, &kind_name)) return error;
  auto kind = parse_identity_kind(kind_name);
  if (!kind) {
    return make_error(RecordErrorKind::kInvalidValue, "from.kind",
                      fmt::format("unknown identity kind \"{}\"; expected one of: {}",
                                  printable(kind_name), identity_kind_names()));
  }
  out->kind = *kind;
  if (auto error = from.read_string("scope", false, false, &out->scope)) return error;
  if (auto error = from.read_string("value", true, true, &out->value)) return error;
  return std::nullopt;
}

bool is_hex(std::string_view text) {
  for (char c : text) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

std::optional<RecordError> read_attachment(const Value& value, std::size_t index, Attachment* out) {
  std::string path = fmt::format("attachments[{}]", index);
  if (!value.IsObject()) {
    return make_error(RecordErrorKind::kWrongType, path,
                      fmt::format("expected an object, got {}", type_name(value)));
  }
  ObjectReader reader(value, path);
  if (auto error = reader.check_members({"filename", "content_type", "size_bytes", "sha256"})) {
    return error;
  }
  if (auto error = reader.read_string("filename", true, true, &out->filename)) return error;
  if (auto error = reader.read_string("content_type", false, false, &out->content_type)) {
    return error;
  }
  if (const Value* size = reader.find("size_bytes")) {
    if (!size->IsNumber()) {
      return make_error(RecordErrorKind::kWrongType, reader.path_of("size_bytes"),
                        fmt::format("expected a non-negative integer, got {}", type_name(*size)));
    }
    if (!size->IsUint64()) {
      return make_error(RecordErrorKind::kInvalidValue, reader.path_of("size_bytes"),
                        "expected a non-negative integer");
    }
    out->size_bytes = size->GetUint64();
  }
  std::string sha256;
  if (auto error = reader.read_string("sha256", false, false, &sha256)) return error;
  if (!sha256.empty()) {
    if (sha256.size() != 64 || !is_hex(sha256)) {
      return make_error(RecordErrorKind::kInvalidValue, reader.path_of("sha256"),
                        "expected 64 hexadecimal digits");
    }
    for (char& c : sha256) {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    }
  }
  out->sha256 = std::move(sha256);
  return std::nullopt;
}

std::optional<RecordError> read_metadata(const Value& object,
                                         std::map<std::string, std::string>* out) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    std::string key(view_of(it->name));
    std::string path = join_path("metadata", key);
    if (key.empty()) {
      return make_error(RecordErrorKind::kInvalidValue, "metadata",
                        "metadata keys must not be empty");
    }
    if (key.find('\0') != std::string::npos) {
      return make_error(RecordErrorKind::kInvalidValue, path, "key contains a NUL character");
    }
    if (!it->value.IsString()) {
      return make_error(RecordErrorKind::kWrongType, path,
                        fmt::format("expected a string, got {}", type_name(it->value)));
    }
    std::string_view value = view_of(it->value);
    if (value.find('\0') != std::string_view::npos) {
      return make_error(RecordErrorKind::kInvalidValue, path, "contains a NUL character (\\u0000)");
    }
    if (!out->emplace(std::move(key), std::string(value)).second) {
      return make_error(RecordErrorKind::kDuplicateField, path, "key appears more than once");
    }
  }
  return std::nullopt;
}

RecordResult read_record(const Value& root) {
  if (!root.IsObject()) {
    return make_error(RecordErrorKind::kNotAnObject, "",
                      fmt::format("expected a JSON object, got {}", type_name(root)));
  }
  ObjectReader reader(root, "");
  if (auto error = reader.check_members({"tenant", "channel", "channel_name", "from",
                                         "display_name", "provider_message_id", "kind", "subject",
                                         "body", "attachments", "metadata", "occurred_at"})) {
    return *error;
  }
  InboundRecord record;
  InboundMessage& message = record.message;

  if (auto error = reader.read_string("tenant", false, true, &record.tenant)) return *error;

  std::string channel;
  if (auto error = reader.read_string("channel", true, true, &channel)) return *error;
  auto channel_kind = parse_channel_kind(channel);
  if (!channel_kind) {
    return make_error(RecordErrorKind::kInvalidValue, "channel",
                      fmt::format("unknown channel kind \"{}\"; expected one of: {}",
                                  printable(channel), channel_kind_names()));
  }
  record.channel_kind = *channel_kind;
  record.channel_name = std::string(to_string(*channel_kind));
  if (auto error = reader.read_string("channel_name", false, true, &record.channel_name)) {
    return *error;
  }

  const Value* from = nullptr;
  if (auto error = reader.read_object("from", true, &from)) return *error;
  if (auto error = read_identity(*from, &message.from)) return *error;

  if (auto error = reader.read_string("display_name", false, false, &message.display_name)) {
    return *error;
  }
  if (auto error =
          reader.read_string("provider_message_id", true, true, &message.provider_message_id)) {
    return *error;
  }

  std::string kind_name;
  if (auto error = reader.read_string("kind", false, true, &kind_name)) return *error;
  if (!kind_name.empty()) {
    auto kind = parse_touchpoint_kind(kind_name);
    if (!kind || !is_inbound_kind(*kind)) {
      return make_error(RecordErrorKind::kInvalidValue, "kind",
                        fmt::format("\"{}\" is not an inbound touchpoint kind; expected one of: {}",
                                    printable(kind_name), inbound_kind_names()));
    }
    message.kind = *kind;
  }

  if (auto error = reader.read_string("subject", false, false, &message.subject)) return *error;
  if (auto error = reader.read_string("body", false, false, &message.body)) return *error;

  const Value* attachments = nullptr;
  if (auto error = reader.read_array("attachments", &attachments)) return *error;
  if (attachments != nullptr) {
    for (rapidjson::SizeType i = 0; i < attachments->Size(); ++i) {
      Attachment attachment;
      if (auto error = read_attachment((*attachments)[i], i, &attachment)) return *error;
      message.attachments.push_back(std::move(attachment));
    }
  }

  const Value* metadata = nullptr;
  if (auto error = reader.read_object("metadata", false, &metadata)) return *error;
  if (metadata != nullptr) {
    if (auto error = read_metadata(*metadata, &message.metadata)) return *error;
  }

  std::optional<std::string> occurred_at;
  if (auto error = reader.read_string("occurred_at", false, true, &occurred_at)) return *error;
  if (occurred_at) {
    auto parsed = parse_timestamp(*occurred_at);
    if (!parsed.ok()) {
      return make_error(RecordErrorKind::kInvalidValue, "occurred_at",
                        fmt::format("\"{}\" is not an RFC 3339 timestamp (e.g. "
                                    "\"2026-11-20T10:00:00Z\"): {}",
                                    printable(*occurred_at), parsed.status().message()));
    }
    message.occurred_at = *parsed;
  }
  return record;
}

}  // namespace

std::string_view to_string(RecordErrorKind kind) {
  switch (kind) {
    case RecordErrorKind::kLineTooLong:
      return "line_too_long";
    case RecordErrorKind::kMalformedJson:
      return "malformed_json";
    case RecordErrorKind::kInvalidUtf8:
      return "invalid_utf8";
    case RecordErrorKind::kNotAnObject:
      return "not_an_object";
    case RecordErrorKind::kUnknownField:
      return "unknown_field";
    case RecordErrorKind::kDuplicateField:
      return "duplicate_field";
    case RecordErrorKind::kMissingField:
      return "missing_field";
    case RecordErrorKind::kWrongType:
      return "wrong_type";
    case RecordErrorKind::kInvalidValue:
      return "invalid_value";
    case RecordErrorKind::kChannelConflict:
      return "channel_conflict";
    case RecordErrorKind::kRejected:
      return "rejected";
    case RecordErrorKind::kStorageError:
      return "storage_error";
    case RecordErrorKind::kInvalidPayload:
      return "invalid_payload";
    case RecordErrorKind::kPayloadTooLarge:
      return "payload_too_large";
  }
  return "unknown";
}

RecordResult parse_record(std::string_view line) {
  if (line.size() > kMaxLineBytes) {
    return make_error(RecordErrorKind::kLineTooLong, "",
                      fmt::format("line is longer than {} bytes", kMaxLineBytes));
  }
  rapidjson::Document document;
  document.Parse<kParseFlags>(line.data(), line.size());
  if (document.HasParseError()) {
    return syntax_error(line, document.GetParseError(), document.GetErrorOffset());
  }
  return read_record(document);
}

std::string printable(std::string_view text, std::size_t max_bytes) {
  bool cut = false;
  if (text.size() > max_bytes) {
    std::size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      --end;
    text = text.substr(0, end);
    cut = true;
  }
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace omni::cli
