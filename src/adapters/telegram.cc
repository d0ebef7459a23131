// Telegram Bot API Update objects (https://core.telegram.org/bots/api#update).
//
// "message" and "edited_message" are read; every other update (callback_query, channel_post,
// my_chat_member, ...) gives an empty payload, not an error. update_id is required.
//   from                 kTelegramId with value from.id (decimal), scope = bot_name;
//                        message.from and chat.id are required
//   display_name         "first_name last_name"
//   provider_message_id  "<chat id>:<message_id>"; for an edit
//                        "<chat id>:<message_id>:edit:<edit_date>", so each edit is stored once
//                        beside the original
//   occurred_at          date, or edit_date for an edit
//   references           "<chat id>:<reply_to_message.message_id>" for a reply
//   body                 text, else caption; a contact without either: "Contact: <first> <last>
//                        <phone>"; a location: "Location: <lat>, <lon>"
//   attachments          photo: the largest size, content_type "image/jpeg" (Telegram
//                        re-encodes photos as JPEG), size file_size; document, audio, video,
//                        voice, animation: file_name, mime_type, file_size
//   metadata             "telegram_update_id"     update_id
//                        "telegram_chat_id", "telegram_chat_type"  chat.id, chat.type
//                        "telegram_username"      from.username
//                        "language_code"          from.language_code
//                        "file_id_<i>", "file_unique_id_<i>"  to fetch attachment i (getFile)
//                        "contact_phone_number", "contact_name", "contact_user_id"
//                        "location_latitude", "location_longitude"
//                        "edited_message_id"      for an edit: the original's provider id
// A message with nothing of the above (a sticker, a poll, a service message) is skipped.
#include <fmt/format.h>

#include <string>

#include "adapters/common.h"

namespace omni::adapters {
namespace {

using detail::JsonErrors;
using detail::JsonObject;

constexpr std::string_view kWhat = "telegram update";

std::string join_name(const JsonObject& person) {
  std::string name = person.optional_string("first_name").value_or("");
  const std::string last = person.optional_string("last_name").value_or("");
  if (!last.empty()) name += name.empty() ? last : " " + last;
  return name;
}

std::optional<Timestamp> read_time(const JsonObject& object, const char* name) {
  if (!object.has(name)) {
    object.errors().missing(object.child_path(name));
    return std::nullopt;
  }
  auto seconds = object.optional_int(name);
  if (!seconds) return std::nullopt;
  auto at = detail::from_unix_seconds(*seconds);
  if (!at) object.errors().invalid(object.child_path(name), "Unix time out of range");
  return at;
}

void add_file(const JsonObject& file, Attachment attachment, InboundMessage* m) {
  const std::size_t i = m->attachments.size();
  m->metadata[fmt::format("file_id_{}", i)] = file.required_string("file_id");
  if (auto unique = file.optional_string("file_unique_id"); unique && !unique->empty()) {
    m->metadata[fmt::format("file_unique_id_{}", i)] = *unique;
  }
  if (auto size = file.optional_int("file_size"); size && *size > 0) {
    attachment.size_bytes = static_cast<std::uint64_t>(*size);
  }
  m->attachments.push_back(std::move(attachment));
}

std::optional<InboundMessage> read_message(const JsonObject& message, bool edited,
                                           const std::string& bot_name) {
  JsonErrors& errors = message.errors();
  InboundMessage m;
  const std::int64_t message_id = message.required_int("message_id");
  JsonObject chat = message.required_object("chat");
  const std::int64_t chat_id = chat.required_int("id");
  JsonObject from = message.required_object("from");
  const std::int64_t user_id = from.required_int("id");
  const std::optional<Timestamp> date = read_time(message, "date");
  std::optional<Timestamp> edit_date;
  std::int64_t edit_seconds = 0;
  if (edited) {
    edit_date = read_time(message, "edit_date");
    edit_seconds = message.optional_int("edit_date").value_or(0);
  }
  if (!errors.ok()) return std::nullopt;

  m.from.kind = IdentityKind::kTelegramId;
  m.from.scope = bot_name;
  m.from.value = std::to_string(user_id);
  m.display_name = join_name(from);
  const std::string original = fmt::format("{}:{}", chat_id, message_id);
  if (edited) {
    m.provider_message_id = fmt::format("{}:edit:{}", original, edit_seconds);
    m.metadata["edited_message_id"] = original;
    m.occurred_at = edit_date;
  } else {
    m.provider_message_id = original;
    m.occurred_at = date;
  }
  m.metadata["telegram_chat_id"] = std::to_string(chat_id);
  if (auto type = chat.optional_string("type"); type && !type->empty()) {
    m.metadata["telegram_chat_type"] = *type;
  }
  if (auto username = from.optional_string("username"); username && !username->empty()) {
    m.metadata["telegram_username"] = *username;
  }
  if (auto language = from.optional_string("language_code"); language && !language->empty()) {
    m.metadata["language_code"] = *language;
  }
  if (auto reply = message.optional_object("reply_to_message")) {
    if (auto id = reply->optional_int("message_id")) {
      m.references.push_back(fmt::format("{}:{}", chat_id, *id));
    }
  }

  m.body = message.optional_string("text").value_or("");
  if (m.body.empty()) m.body = message.optional_string("caption").value_or("");

  std::vector<JsonObject> photo = message.objects("photo");
  if (!photo.empty()) {
    // PhotoSize entries come smallest first; keep the largest.
    const JsonObject* largest = &photo.back();
    double best = -1;
    for (const JsonObject& size : photo) {
      // In double: hostile sizes must not overflow (found by the fuzzer).
      const double area = static_cast<double>(size.optional_int("width").value_or(0)) *
                          static_cast<double>(size.optional_int("height").value_or(0));
      if (area > best) {
        best = area;
        largest = &size;
      }
    }
    Attachment attachment;
    attachment.content_type = "image/jpeg";
    add_file(*largest, std::move(attachment), &m);
  }
  for (const char* kind : {"document", "audio", "video", "voice", "animation"}) {
    if (auto file = message.optional_object(kind)) {
      Attachment attachment;
      attachment.filename = file->optional_string("file_name").value_or("");
      attachment.content_type = file->optional_string("mime_type").value_or("");
      add_file(*file, std::move(attachment), &m);
    }
  }
  if (auto contact = message.optional_object("contact")) {
    const std::string phone = contact->required_string("phone_number");
    const std::string name = join_name(*contact);
    m.metadata["contact_phone_number"] = phone;
    if (!name.empty()) m.metadata["contact_name"] = name;
    if (auto id = contact->optional_int("user_id")) {
      m.metadata["contact_user_id"] = std::to_string(*id);
    }
    if (m.body.empty()) m.body = "Contact: " + (name.empty() ? phone : name + " " + phone);
  }
  if (auto location = message.optional_object("location")) {
    if (!location->has("latitude")) errors.missing(location->child_path("latitude"));
    if (!location->has("longitude")) errors.missing(location->child_path("longitude"));
    const std::string latitude =
        detail::format_number(location->optional_number("latitude").value_or(0));
    const std::string longitude =
        detail::format_number(location->optional_number("longitude").value_or(0));
    m.metadata["location_latitude"] = latitude;
    m.metadata["location_longitude"] = longitude;
    if (m.body.empty()) m.body = fmt::format("Location: {}, {}", latitude, longitude);
  }
  if (!errors.ok() || (m.body.empty() && m.attachments.empty())) return std::nullopt;
  return m;
}

}  // namespace

Result<ParsedPayload> parse_telegram_update(std::string_view json, const std::string& bot_name,
                                            const ParseOptions& options) {
  return detail::guarded(kWhat, [&]() -> Result<ParsedPayload> {
    if (bot_name.empty()) {
      return Status::invalid_argument("telegram update: bot_name is empty").with_field("bot_name");
    }
    auto document = detail::parse_json(json, options, kWhat);
    if (!document.ok()) return document.status();
    JsonErrors errors;
    JsonObject root = detail::root_object(*document, &errors);
    const std::int64_t update_id = root.required_int("update_id");
    ParsedPayload payload;
    std::optional<InboundMessage> message;
    if (auto plain = root.optional_object("message")) {
      message = read_message(*plain, false, bot_name);
    } else if (auto edited = root.optional_object("edited_message")) {
      message = read_message(*edited, true, bot_name);
    }
    if (!errors.ok()) return errors.status();
    if (message) {
      message->metadata["telegram_update_id"] = std::to_string(update_id);
      payload.messages.push_back(std::move(*message));
    }
    OMNI_RETURN_IF_ERROR(detail::stamp(&payload, options));
    return payload;
  });
}

}  // namespace omni::adapters
