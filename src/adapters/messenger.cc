// Messenger Platform webhooks (object "page") and Instagram messaging (object "instagram").
//
// Every entry[].messaging[] event is read (Instagram's entry[].changes[] are other products:
// skipped). Per event, sender.id and recipient.id are required:
//   message (without is_echo: echoes are the page's own replies and are skipped)
//     from                 kMessengerPsid (object "page") or kInstagramId (object
//                          "instagram") with value sender.id, scope recipient.id (the page or
//                          the Instagram account)
//     provider_message_id  message.mid, required
//     occurred_at          timestamp (Unix milliseconds)
//     body                 message.text
//     attachments[i]       attachments[i] with a payload.url: filename = last segment of the
//                          URL path, content_type empty (Meta sends only a category)
//     references           message.reply_to.mid
//                          (more than 20 attachments is kResourceExhausted: each takes two
//                          metadata entries of the engine's 64)
//     messages that carry neither text nor an attachment with a URL (is_deleted,
//     is_unsupported, a bare sticker id, ...) are skipped
//   postback               a kMessageIn whose body is postback.title; provider_message_id is
//                          postback.mid or, when Meta sends none (older page postbacks),
//                          "postback:<sender id>:<timestamp>" — stable across retries
//   delivery               a StatusReport kDelivered per delivery.mids[], at = watermark
//   read, reaction, referral, optin, ... : skipped (a "read" carries only a watermark, no mids
//                          to attach a status to)
//   metadata               "page_id" (object "page") or "instagram_account_id" = recipient.id
//                          "quick_reply_payload"     message.quick_reply.payload
//                          "postback_payload"        postback.payload
//                          "attachment_type_<i>"     attachments[i].type ("image", "video",
//                                                    "audio", "file", "share", "ig_reel", ...)
//                          "media_url_<i>"           attachments[i].payload.url
#include <fmt/format.h>

#include <string>

#include "adapters/common.h"

namespace omni::adapters {
namespace {

using detail::JsonErrors;
using detail::JsonObject;

constexpr std::string_view kWhat = "messenger webhook";
constexpr std::size_t kMaxAttachments = 20;

struct Platform {
  IdentityKind kind;
  const char* recipient_key;
};

void read_event(const JsonObject& event, const Platform& platform, ParsedPayload* out) {
  JsonErrors& errors = event.errors();
  const std::string sender = event.required_object("sender").required_id("id");
  const std::string recipient = event.required_object("recipient").required_id("id");
  const std::optional<std::int64_t> millis = event.optional_int("timestamp");
  std::optional<Timestamp> at;
  if (millis) {
    at = detail::from_unix_millis(*millis);
    if (!at) errors.invalid(event.child_path("timestamp"), "Unix time out of range");
  }
  if (!errors.ok()) return;

  InboundMessage m;
  m.from.kind = platform.kind;
  m.from.scope = recipient;
  m.from.value = sender;
  m.occurred_at = at;
  m.metadata[platform.recipient_key] = recipient;

  if (auto message = event.optional_object("message")) {
    const bool echo = message->optional_bool("is_echo").value_or(false);
    const bool deleted = message->optional_bool("is_deleted").value_or(false);
    m.provider_message_id = message->required_string("mid");
    m.body = message->optional_string("text").value_or("");
    if (auto quick_reply = message->optional_object("quick_reply")) {
      if (auto value = quick_reply->optional_string("payload"); value && !value->empty()) {
        m.metadata["quick_reply_payload"] = *value;
      }
    }
    if (auto reply_to = message->optional_object("reply_to")) {
      if (auto mid = reply_to->optional_string("mid"); mid && !mid->empty()) {
        m.references.push_back(*mid);
      }
    }
    const std::vector<JsonObject> attachments = message->objects("attachments");
    if (attachments.size() > kMaxAttachments) {
      errors.fail(Status::resource_exhausted(
                      fmt::format("{}: more than {} attachments", kWhat, kMaxAttachments))
                      .with_field(message->child_path("attachments")));
      return;
    }
    for (const JsonObject& attachment : attachments) {
      const std::string type = attachment.optional_string("type").value_or("");
      std::string url;
      if (auto attachment_payload = attachment.optional_object("payload")) {
        url = attachment_payload->optional_string("url").value_or("");
      }
      if (url.empty()) continue;  // location, template, fallback without URL, ...
      const std::size_t i = m.attachments.size();
      Attachment a;
      a.filename = detail::last_path_segment(url);
      m.attachments.push_back(std::move(a));
      if (!type.empty()) m.metadata[fmt::format("attachment_type_{}", i)] = type;
      m.metadata[fmt::format("media_url_{}", i)] = url;
    }
    if (!errors.ok() || echo || deleted) return;
    if (m.body.empty() && m.attachments.empty()) return;
    out->messages.push_back(std::move(m));
    return;
  }

  if (auto postback = event.optional_object("postback")) {
    m.provider_message_id = postback->optional_string("mid").value_or("");
    m.body = postback->optional_string("title").value_or("");
    if (auto value = postback->optional_string("payload"); value && !value->empty()) {
      m.metadata["postback_payload"] = *value;
    }
    if (m.provider_message_id.empty()) {
      if (!millis) {
        errors.invalid(event.child_path("timestamp"),
                       "a postback without mid needs a timestamp to be identified");
        return;
      }
      m.provider_message_id = fmt::format("postback:{}:{}", sender, *millis);
    }
    if (m.body.empty()) {
      auto payload = m.metadata.find("postback_payload");
      if (payload == m.metadata.end()) {
        errors.invalid(postback->path(), "postback has neither title nor payload");
        return;
      }
      m.body = payload->second;
    }
    if (errors.ok()) out->messages.push_back(std::move(m));
    return;
  }

  if (auto delivery = event.optional_object("delivery")) {
    const std::vector<std::string> mids = delivery->ids("mids");
    std::optional<Timestamp> watermark;
    if (auto value = delivery->optional_int("watermark")) {
      watermark = detail::from_unix_millis(*value);
      if (!watermark) errors.invalid(delivery->child_path("watermark"), "Unix time out of range");
    }
    if (!errors.ok()) return;
    for (const std::string& mid : mids) {
      if (mid.empty()) continue;
      StatusReport report;
      report.provider_message_id = mid;
      report.status = DeliveryStatus::kDelivered;
      report.at = watermark ? watermark : at;
      out->statuses.push_back(std::move(report));
    }
  }
  // read, reaction, referral, optin, ...: skipped (see the top).
}

}  // namespace

Result<ParsedPayload> parse_messenger_webhook(std::string_view json, const ParseOptions& options) {
  return detail::guarded(kWhat, [&]() -> Result<ParsedPayload> {
    auto document = detail::parse_json(json, options, kWhat);
    if (!document.ok()) return document.status();
    JsonErrors errors;
    JsonObject root = detail::root_object(*document, &errors);
    const std::string object = root.required_string("object");
    Platform platform{IdentityKind::kMessengerPsid, "page_id"};
    if (object == "instagram") {
      platform = {IdentityKind::kInstagramId, "instagram_account_id"};
    } else if (errors.ok() && object != "page") {
      errors.invalid("object", "expected \"page\" or \"instagram\", got \"" + object + "\"");
    }
    ParsedPayload payload;
    for (const JsonObject& entry : root.objects("entry", true)) {
      entry.required_id("id");
      for (const JsonObject& event : entry.objects("messaging")) {
        if (!errors.ok()) break;
        read_event(event, platform, &payload);
      }
      if (!errors.ok()) break;
    }
    if (!errors.ok()) return errors.status();
    OMNI_RETURN_IF_ERROR(detail::stamp(&payload, options));
    return payload;
  });
}

}  // namespace omni::adapters
