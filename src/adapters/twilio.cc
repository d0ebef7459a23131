// Twilio Programmable Messaging webhooks: incoming SMS, MMS and WhatsApp messages and status
// callbacks, application/x-www-form-urlencoded.
//
// Incoming message (a form with a Body field, possibly empty for media-only messages):
//   from                 kPhone, From without a "whatsapp:" prefix (the engine normalizes it)
//   display_name         ProfileName (WhatsApp only)
//   provider_message_id  MessageSid (required; SM… for SMS and WhatsApp, MM… for MMS)
//   body                 Body; for a WhatsApp location without text: "Location: <label>,
//                        <address> (<lat>, <lon>)"
//   attachments[i]       content_type MediaContentType<i>, filename = last segment of the URL
//                        path (Twilio's media sid, "ME…"), size and sha256 unknown; NumMedia
//                        above 10 (Twilio's limit) is kResourceExhausted
//   references           OriginalRepliedMessageSid (a WhatsApp reply to an earlier message)
//   metadata             "twilio_channel"       "whatsapp" or "sms" (from the From prefix)
//                        "to"                   To, as sent ("whatsapp:+49…" or "+49…")
//                        "twilio_account_sid"   AccountSid
//                        "twilio_messaging_service_sid"  MessagingServiceSid
//                        "num_segments"         NumSegments
//                        "wa_id"                WaId
//                        "from_city", "from_state", "from_zip", "from_country"
//                        "media_url_<i>"        MediaUrl<i> (the attachment has no URL field)
//                        "button_payload"       ButtonPayload (WhatsApp quick reply)
//                        "location_latitude", "location_longitude", "location_address",
//                        "location_name"        Latitude, Longitude, Address, Label
// Status callback (MessageStatus and no Body): one StatusReport for MessageSid:
//   sent -> kSent; delivered -> kDelivered; read -> kRead; undelivered, failed -> kFailed and
//   canceled -> kFailed (a canceled scheduled message is never sent), with error "<ErrorCode>"
//   or "<ErrorCode>: <ErrorMessage>" (the status name when Twilio gives no code). The earlier
//   states queued, accepted, scheduled and sending are ignored: the engine records a reply as
//   sent once the adapter accepted it, and a report must not move it back. "received",
//   "receiving" (inbound states) and states Twilio may add later are ignored too: the payload
//   then holds nothing.
#include <fmt/format.h>

#include <map>
#include <string>

#include "adapters/common.h"

namespace omni::adapters {
namespace {

using Form = std::map<std::string, std::string>;

constexpr std::string_view kWhatsAppPrefix = "whatsapp:";
constexpr std::size_t kMaxMedia = 10;  // Twilio's limit per MMS (WhatsApp: 1)

const std::string* field(const Form& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? nullptr : &it->second;
}

Result<std::string> required(const Form& form, const std::string& name) {
  const std::string* value = field(form, name);
  if (value == nullptr || value->empty()) {
    return Status::invalid_argument("twilio webhook: required field is missing").with_field(name);
  }
  return *value;
}

void copy(const Form& form, const std::string& name, const std::string& key,
          std::map<std::string, std::string>* metadata) {
  if (const std::string* value = field(form, name); value != nullptr && !value->empty()) {
    (*metadata)[key] = *value;
  }
}

Result<ParsedPayload> parse_status(const Form& form, const std::string& sid,
                                   const std::string& status) {
  ParsedPayload payload;
  StatusReport report;
  report.provider_message_id = sid;
  if (status == "sent") {
    report.status = DeliveryStatus::kSent;
  } else if (status == "delivered") {
    report.status = DeliveryStatus::kDelivered;
  } else if (status == "read") {
    report.status = DeliveryStatus::kRead;
  } else if (status == "undelivered" || status == "failed" || status == "canceled") {
    report.status = DeliveryStatus::kFailed;
    const std::string* code = field(form, "ErrorCode");
    const std::string* message = field(form, "ErrorMessage");
    if (code != nullptr && !code->empty()) {
      report.error = *code;
      if (message != nullptr && !message->empty()) report.error += ": " + *message;
    } else {
      report.error = status;
    }
  } else {
    return payload;  // queued, accepted, scheduled, sending, received, ...: see the top
  }
  payload.statuses.push_back(std::move(report));
  return payload;
}

Result<ParsedPayload> parse_message(const Form& form, const std::string& sid) {
  InboundMessage m;
  m.provider_message_id = sid;
  auto from = required(form, "From");
  if (!from.ok()) return from.status();
  std::string number = *from;
  const bool whatsapp = number.compare(0, kWhatsAppPrefix.size(), kWhatsAppPrefix) == 0;
  if (whatsapp) number.erase(0, kWhatsAppPrefix.size());
  if (number.empty()) {
    return Status::invalid_argument("twilio webhook: From has no number").with_field("From");
  }
  m.from.kind = IdentityKind::kPhone;
  m.from.value = number;
  if (const std::string* name = field(form, "ProfileName")) m.display_name = *name;
  m.body = *field(form, "Body");

  m.metadata["twilio_channel"] = whatsapp ? "whatsapp" : "sms";
  copy(form, "To", "to", &m.metadata);
  copy(form, "AccountSid", "twilio_account_sid", &m.metadata);
  copy(form, "MessagingServiceSid", "twilio_messaging_service_sid", &m.metadata);
  copy(form, "NumSegments", "num_segments", &m.metadata);
  copy(form, "WaId", "wa_id", &m.metadata);
  copy(form, "FromCity", "from_city", &m.metadata);
  copy(form, "FromState", "from_state", &m.metadata);
  copy(form, "FromZip", "from_zip", &m.metadata);
  copy(form, "FromCountry", "from_country", &m.metadata);
  copy(form, "ButtonPayload", "button_payload", &m.metadata);
  copy(form, "Latitude", "location_latitude", &m.metadata);
  copy(form, "Longitude", "location_longitude", &m.metadata);
  copy(form, "Address", "location_address", &m.metadata);
  copy(form, "Label", "location_name", &m.metadata);
  if (const std::string* replied = field(form, "OriginalRepliedMessageSid");
      replied != nullptr && !replied->empty()) {
    m.references.push_back(*replied);
  }

  std::size_t media_count = 0;
  if (const std::string* num_media = field(form, "NumMedia");
      num_media != nullptr && !num_media->empty()) {
    auto count = detail::parse_decimal(*num_media);
    if (!count || *count < 0) {
      return Status::invalid_argument("twilio webhook: NumMedia is not a count")
          .with_field("NumMedia");
    }
    if (static_cast<std::uint64_t>(*count) > kMaxMedia) {
      return Status::resource_exhausted(
                 fmt::format("twilio webhook: more than {} media items", kMaxMedia))
          .with_field("NumMedia");
    }
    media_count = static_cast<std::size_t>(*count);
  }
  for (std::size_t i = 0; i < media_count; ++i) {
    auto url = required(form, fmt::format("MediaUrl{}", i));
    if (!url.ok()) return url.status();
    Attachment attachment;
    if (const std::string* type = field(form, fmt::format("MediaContentType{}", i))) {
      attachment.content_type = *type;
    }
    attachment.filename = detail::last_path_segment(*url);
    m.metadata[fmt::format("media_url_{}", i)] = *url;
    m.attachments.push_back(std::move(attachment));
  }

  auto latitude = m.metadata.find("location_latitude");
  auto longitude = m.metadata.find("location_longitude");
  if (m.body.empty() && latitude != m.metadata.end() && longitude != m.metadata.end()) {
    std::string place;
    for (const char* key : {"location_name", "location_address"}) {
      auto it = m.metadata.find(key);
      if (it == m.metadata.end()) continue;
      if (!place.empty()) place += ", ";
      place += it->second;
    }
    m.body = fmt::format("Location: {}{}({}, {})", place, place.empty() ? "" : " ",
                         latitude->second, longitude->second);
  }
  if (m.body.empty() && m.attachments.empty()) {
    return Status::invalid_argument("twilio webhook: message has neither Body nor media")
        .with_field("Body");
  }
  ParsedPayload payload;
  payload.messages.push_back(std::move(m));
  return payload;
}

}  // namespace

Result<ParsedPayload> parse_twilio_webhook(std::string_view form_body,
                                           const ParseOptions& options) {
  return detail::guarded("twilio webhook", [&]() -> Result<ParsedPayload> {
    if (Status size = detail::check_payload_size(form_body, options, "twilio webhook");
        !size.ok()) {
      return size;
    }
    auto form = detail::decode_form(form_body);
    if (!form.ok()) return form.status();
    auto sid = required(*form, "MessageSid");
    if (!sid.ok()) return sid.status();

    const std::string* body = field(*form, "Body");
    const std::string* status = field(*form, "MessageStatus");
    Result<ParsedPayload> payload = ParsedPayload{};
    if (body == nullptr && status != nullptr && !status->empty()) {
      payload = parse_status(*form, *sid, *status);
    } else if (body == nullptr) {
      return Status::invalid_argument(
                 "twilio webhook: neither a message (Body) nor a status callback (MessageStatus)")
          .with_field("Body");
    } else {
      payload = parse_message(*form, *sid);
    }
    if (payload.ok()) OMNI_RETURN_IF_ERROR(detail::stamp(&*payload, options));
    return payload;
  });
}

}  // namespace omni::adapters
