// WhatsApp Cloud API webhooks (object "whatsapp_business_account").
//
// Every entry[].changes[] with field "messages" is read; other fields (account updates,
// templates) are skipped. Per value.messages[]:
//   from                 kPhone with the wa_id ("4915112345678", the international number
//                        without '+'; the engine normalizes it)
//   display_name         contacts[].profile.name of the contact with that wa_id
//   provider_message_id  id ("wamid.…"), required
//   occurred_at          timestamp (Unix seconds as a string), required
//   references           context.id when the customer replied to an earlier message
//   body / attachments by type:
//     text               body = text.body
//     image, audio, video, document, sticker
//                        one attachment: content_type = mime_type, sha256 = sha256 (as sent:
//                        Meta documents it as the file's SHA-256), filename = document filename
//                        (else empty); body = caption
//     location           body = "Location: <name>, <address> (<lat>, <lon>)"
//     interactive        body = button_reply.title, or list_reply.title (+ "\n" + description)
//     button             body = button.text
//     reaction           body = the emoji, references = the message reacted to; a removed
//                        reaction (no emoji) is skipped
//     unsupported, and types not listed (contacts, order, system, ...): skipped, so they are
//                        never half-stored; a later version may map them
//   metadata             "whatsapp_business_account_id"  entry[].id
//                        "phone_number_id", "display_phone_number"  value.metadata (ours)
//                        "message_type"          type
//                        "media_id"              the media id, to download it from the Graph API
//                        "location_latitude", "location_longitude", "location_name",
//                        "location_address", "location_url"
//                        "interactive_type"      "button_reply" or "list_reply"
//                        "reply_id"              button_reply.id or list_reply.id
//                        "button_payload"        button.payload
//                        "reaction_message_id"   reaction.message_id
//                        "forwarded"             "true" when context.forwarded
// Per value.statuses[]: a StatusReport for id; status sent -> kSent, delivered -> kDelivered,
// read -> kRead, failed -> kFailed with error "<code>: <title>" of errors[0]; at = timestamp.
// Other statuses ("deleted", "warning", ...) are skipped.
#include <fmt/format.h>

#include <string>

#include "adapters/common.h"

namespace omni::adapters {
namespace {

using detail::JsonErrors;
using detail::JsonObject;

constexpr std::string_view kWhat = "whatsapp webhook";

std::optional<Timestamp> read_time(const JsonObject& object, const char* name, bool required) {
  if (required && !object.has(name)) {
    object.errors().missing(object.child_path(name));
    return std::nullopt;
  }
  auto seconds = object.optional_decimal_string(name);
  if (!seconds) return std::nullopt;
  auto at = detail::from_unix_seconds(*seconds);
  if (!at) object.errors().invalid(object.child_path(name), "Unix time out of range");
  return at;
}

void put(InboundMessage* m, const std::string& key, const std::optional<std::string>& value) {
  if (value && !value->empty()) m->metadata[key] = *value;
}

// Fills body and attachments from the typed part; false when the type is skipped.
bool read_content(const JsonObject& message, const std::string& type, InboundMessage* m) {
  if (type == "text") {
    m->body = message.required_object("text").required_string("body");
    return true;
  }
  if (type == "image" || type == "audio" || type == "video" || type == "document" ||
      type == "sticker") {
    JsonObject media = message.required_object(type.c_str());
    Attachment attachment;
    put(m, "media_id", media.required_string("id"));
    attachment.content_type = media.optional_string("mime_type").value_or("");
    attachment.sha256 = media.optional_string("sha256").value_or("");
    attachment.filename = media.optional_string("filename").value_or("");
    m->body = media.optional_string("caption").value_or("");
    m->attachments.push_back(std::move(attachment));
    return true;
  }
  if (type == "location") {
    JsonObject location = message.required_object("location");
    if (!location.has("latitude")) location.errors().missing(location.child_path("latitude"));
    if (!location.has("longitude")) location.errors().missing(location.child_path("longitude"));
    const double latitude = location.optional_number("latitude").value_or(0);
    const double longitude = location.optional_number("longitude").value_or(0);
    m->metadata["location_latitude"] = detail::format_number(latitude);
    m->metadata["location_longitude"] = detail::format_number(longitude);
    std::string place;
    for (const char* name : {"name", "address"}) {
      auto text = location.optional_string(name);
      if (!text || text->empty()) continue;
      m->metadata[std::string("location_") + name] = *text;
      if (!place.empty()) place += ", ";
      place += *text;
    }
    put(m, "location_url", location.optional_string("url"));
    m->body = fmt::format("Location: {}{}({}, {})", place, place.empty() ? "" : " ",
                          m->metadata["location_latitude"], m->metadata["location_longitude"]);
    return true;
  }
  if (type == "interactive") {
    JsonObject interactive = message.required_object("interactive");
    const std::string kind = interactive.required_string("type");
    if (kind != "button_reply" && kind != "list_reply") return false;  // nfm_reply, ...
    JsonObject reply = interactive.required_object(kind.c_str());
    m->metadata["interactive_type"] = kind;
    put(m, "reply_id", reply.required_string("id"));
    m->body = reply.required_string("title");
    if (auto description = reply.optional_string("description");
        description && !description->empty()) {
      m->body += "\n" + *description;
    }
    return true;
  }
  if (type == "button") {
    JsonObject button = message.required_object("button");
    put(m, "button_payload", button.optional_string("payload"));
    m->body = button.required_string("text");
    return true;
  }
  if (type == "reaction") {
    JsonObject reaction = message.required_object("reaction");
    const std::string target = reaction.required_string("message_id");
    const std::string emoji = reaction.optional_string("emoji").value_or("");
    if (emoji.empty()) return false;  // the customer removed a reaction
    m->body = emoji;
    m->metadata["reaction_message_id"] = target;
    m->references.push_back(target);
    return true;
  }
  return false;  // unsupported, contacts, order, system, ...
}

void read_value(const JsonObject& value, const std::string& waba_id, ParsedPayload* out) {
  const std::string product = value.optional_string("messaging_product").value_or("whatsapp");
  if (product != "whatsapp") {
    value.errors().invalid(value.child_path("messaging_product"), "expected \"whatsapp\"");
    return;
  }
  std::map<std::string, std::string> names;  // wa_id -> profile name
  for (const JsonObject& contact : value.objects("contacts")) {
    const std::string wa_id = contact.optional_id("wa_id").value_or("");
    std::string name;
    if (auto profile = contact.optional_object("profile")) {
      name = profile->optional_string("name").value_or("");
    }
    if (!wa_id.empty() && !name.empty()) names.emplace(wa_id, name);
  }
  std::optional<std::string> phone_number_id;
  std::optional<std::string> display_phone_number;
  if (auto metadata = value.optional_object("metadata")) {
    phone_number_id = metadata->optional_id("phone_number_id");
    display_phone_number = metadata->optional_string("display_phone_number");
  }

  for (const JsonObject& message : value.objects("messages")) {
    InboundMessage m;
    m.from.kind = IdentityKind::kPhone;
    m.from.value = message.required_id("from");
    m.provider_message_id = message.required_string("id");
    m.occurred_at = read_time(message, "timestamp", true);
    const std::string type = message.required_string("type");
    if (auto context = message.optional_object("context")) {
      if (auto id = context->optional_string("id"); id && !id->empty()) {
        m.references.push_back(*id);
      }
      if (context->optional_bool("forwarded").value_or(false)) m.metadata["forwarded"] = "true";
    }
    if (!value.errors().ok()) return;
    if (!read_content(message, type, &m)) continue;
    if (auto name = names.find(m.from.value); name != names.end()) m.display_name = name->second;
    m.metadata["message_type"] = type;
    put(&m, "whatsapp_business_account_id", waba_id);
    put(&m, "phone_number_id", phone_number_id);
    put(&m, "display_phone_number", display_phone_number);
    out->messages.push_back(std::move(m));
  }

  for (const JsonObject& status : value.objects("statuses")) {
    StatusReport report;
    report.provider_message_id = status.required_string("id");
    const std::string state = status.required_string("status");
    report.at = read_time(status, "timestamp", false);
    if (state == "sent") {
      report.status = DeliveryStatus::kSent;
    } else if (state == "delivered") {
      report.status = DeliveryStatus::kDelivered;
    } else if (state == "read") {
      report.status = DeliveryStatus::kRead;
    } else if (state == "failed") {
      report.status = DeliveryStatus::kFailed;
      std::vector<JsonObject> errors = status.objects("errors");
      if (!errors.empty()) {
        const std::string code = errors[0].optional_id("code").value_or("");
        const std::string title = errors[0].optional_string("title").value_or("");
        report.error = code.empty() ? title : title.empty() ? code : code + ": " + title;
      }
      if (report.error.empty()) report.error = "failed";
    } else {
      continue;  // deleted, warning, ...
    }
    out->statuses.push_back(std::move(report));
  }
}

}  // namespace

Result<ParsedPayload> parse_whatsapp_webhook(std::string_view json, const ParseOptions& options) {
  return detail::guarded(kWhat, [&]() -> Result<ParsedPayload> {
    auto document = detail::parse_json(json, options, kWhat);
    if (!document.ok()) return document.status();
    JsonErrors errors;
    JsonObject root = detail::root_object(*document, &errors);
    const std::string object = root.required_string("object");
    if (errors.ok() && object != "whatsapp_business_account") {
      errors.invalid("object", "expected \"whatsapp_business_account\", got \"" + object + "\"");
    }
    ParsedPayload payload;
    for (const JsonObject& entry : root.objects("entry", true)) {
      const std::string waba_id = entry.required_id("id");
      for (const JsonObject& change : entry.objects("changes")) {
        const std::string field = change.required_string("field");
        if (!errors.ok()) break;
        if (field != "messages") continue;
        read_value(change.required_object("value"), waba_id, &payload);
      }
      if (!errors.ok()) break;
    }
    if (!errors.ok()) return errors.status();
    OMNI_RETURN_IF_ERROR(detail::stamp(&payload, options));
    return payload;
  });
}

}  // namespace omni::adapters
