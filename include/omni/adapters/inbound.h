// omni/adapters/inbound.h — reference parsers: real provider payloads in, normalized
// InboundMessages (and delivery status reports) out, ready for Engine::receive and
// Engine::update_delivery_status. Library omni::adapters.
//
// Every parser:
//   * takes the payload exactly as the provider sends it (the raw .eml, the form-encoded body,
//     the JSON body) and ParseOptions naming the tenant and channel it arrived on;
//   * sets InboundMessage::provider_message_id to the provider's own message id, so a retried
//     webhook is stored once;
//   * refuses a payload larger than ParseOptions::max_payload_bytes (kResourceExhausted) and a
//     malformed one (kInvalidArgument) with Status::field() naming the field ("entry[0].changes
//     [0].value.messages[0].from") or the position ("offset 118") at fault; nothing is returned
//     then, so nothing can be half-stored;
//   * copies nothing it does not understand into the message body; provider details that matter
//     to an agent go into InboundMessage::metadata with documented keys.
//
// Thread-safety: every function is reentrant.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/clock.h"
#include "omni/export.h"
#include "omni/ids.h"
#include "omni/message.h"
#include "omni/status.h"
#include "omni/touchpoint.h"

namespace omni::adapters {

struct ParseOptions {
  TenantId tenant;    // copied into every message
  ChannelId channel;  // copied into every message
  // Largest payload accepted, in bytes. Default: 1 MiB (JSON and form webhooks); parse_email
  // uses max(this, 25 MiB) when left at the default.
  std::size_t max_payload_bytes = 1024 * 1024;
};

// A provider's report on an outbound message: delivered, read, failed.
struct StatusReport {
  std::string provider_message_id;  // the id the provider gave the outbound message
  DeliveryStatus status = DeliveryStatus::kSent;
  std::optional<Timestamp> at;
  std::string error;  // the provider's error code and title when status is kFailed
};

// What one payload holds: a webhook may batch several messages and status reports.
struct ParsedPayload {
  std::vector<InboundMessage> messages;
  std::vector<StatusReport> statuses;
};

// Twilio Programmable Messaging webhook (application/x-www-form-urlencoded): SMS, MMS (NumMedia,
// MediaUrlN, MediaContentTypeN) and WhatsApp through Twilio ("whatsapp:+49..." addresses); a
// status callback (MessageStatus without Body) becomes a StatusReport.
OMNI_EXPORT Result<ParsedPayload> parse_twilio_webhook(std::string_view form_body,
                                                       const ParseOptions& options);

// WhatsApp Cloud API webhook JSON (object "whatsapp_business_account"): text, image, audio,
// video, document and sticker media (as attachments: id, mime_type, sha256), location,
// interactive button and list replies, button replies; statuses (sent, delivered, read, failed).
OMNI_EXPORT Result<ParsedPayload> parse_whatsapp_webhook(std::string_view json,
                                                         const ParseOptions& options);

// Messenger Platform webhook JSON (object "page") and Instagram messaging (object
// "instagram"): messages with text and attachments, quick replies, postbacks; echoes of the
// page's own messages are skipped. The sender's PSID is scoped by the page (recipient) id.
OMNI_EXPORT Result<ParsedPayload> parse_messenger_webhook(std::string_view json,
                                                          const ParseOptions& options);

// Telegram Bot API Update JSON: message and edited_message (text, caption, photo, document,
// contact, location). The sender is the Telegram user id, scoped by `bot_name`.
OMNI_EXPORT Result<ParsedPayload> parse_telegram_update(std::string_view json,
                                                        const std::string& bot_name,
                                                        const ParseOptions& options);

// An email as received (RFC 5322 / MIME), parsed with GMime: see docs/integration.md.
OMNI_EXPORT Result<ParsedPayload> parse_email(std::string_view message,
                                              const ParseOptions& options);

}  // namespace omni::adapters
