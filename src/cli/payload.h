// cli/payload.h — `omni ingest --format F`: provider payloads as the provider sends them (a raw
// .eml, a Twilio form body, a WhatsApp / Messenger / Instagram / Telegram JSON body), parsed by
// omni::adapters and handed to Engine::receive (messages) and Engine::update_delivery_status
// (status reports).
//
// One file is one payload. A payload that does not parse stores nothing and creates nothing.
// The messages of a payload that parses go through the same Ingester as JSON Lines records: each
// is checked with Engine::validate before the tenant and channel are created, a rejected one
// leaves nothing behind, a repeated (channel, provider_message_id) is a duplicate. A status
// report never creates anything: one whose tenant, channel or message does not exist is counted
// as unmatched.
//
// Thread-safety: a PayloadIngester is used by one thread at a time; the engine it borrows is
// thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "cli/ingest.h"
#include "cli/record.h"
#include "omni/channel.h"
#include "omni/engine.h"

namespace omni::cli {

// The input formats of `omni ingest --format`.
enum class PayloadFormat {
  kJsonLines,  // "jsonl": normalized records, one per line (cli/record.h); not a payload format
  kEmail,      // "email": one RFC 5322 message (.eml)
  kTwilio,     // "twilio": a Twilio Programmable Messaging webhook body (form-encoded)
  kWhatsApp,   // "whatsapp": a WhatsApp Cloud API webhook body (JSON)
  kMessenger,  // "messenger": a Messenger Platform webhook body (JSON, object "page")
  kInstagram,  // "instagram": an Instagram messaging webhook body (JSON, object "instagram")
  kTelegram,   // "telegram": a Telegram Bot API Update (JSON)
};
std::string_view to_string(PayloadFormat format);
std::optional<PayloadFormat> parse_payload_format(std::string_view name);
// "email, twilio, whatsapp, messenger, instagram, telegram, jsonl" for messages.
std::string payload_format_names();

// The kind of channel a format's payloads arrive on unless --channel-kind says otherwise:
// email → email, twilio → sms, whatsapp → whatsapp, messenger → messenger, instagram →
// instagram, telegram → telegram.
ChannelKind default_channel_kind(PayloadFormat format);
// The channel name used when --channel is not given: the format's name ("email", "twilio", ...).
std::string default_channel_name(PayloadFormat format);
// The most bytes of one payload the format's parser accepts (25 MiB for email, 1 MiB for the
// webhooks); read_payload() reads one byte more so that the parser can report the excess.
std::size_t max_payload_bytes(PayloadFormat format);

// Reads `in` to its end, but never more than `limit` bytes.
std::string read_payload(std::istream& in, std::size_t limit);

struct PayloadOptions {
  PayloadFormat format = PayloadFormat::kEmail;
  // Tenant of every payload. Default: "default".
  std::string tenant = "default";
  // The configured channel the payloads arrived on; created with channel_kind when missing.
  std::string channel_name;
  ChannelKind channel_kind = ChannelKind::kEmail;
  // Telegram: the bot's name, the scope of the senders' Telegram user ids. Default: "bot".
  std::string bot_name = "bot";
};

// A payload, message or status report that stored nothing.
struct PayloadRejection {
  std::string source;  // the input's name as shown to the user; "<stdin>" for "-"
  // The message's or status report's provider id; empty when the whole payload was refused.
  std::string provider_message_id;
  bool status_report = false;  // the id is that of a status report
  RecordError error;
};

class PayloadIngester {
 public:
  // `engine` is borrowed and must outlive the ingester. options.format must not be kJsonLines.
  PayloadIngester(Engine& engine, PayloadOptions options);

  // Parses one payload and ingests what it holds. `source` names it in rejections; on_rejected
  // (may be empty) is called for every rejection as it happens.
  IngestCounts ingest_payload(std::string_view payload, const std::string& source,
                              const std::function<void(const PayloadRejection&)>& on_rejected);

 private:
  Engine& engine_;
  PayloadOptions options_;
  Ingester ingester_;
};

}  // namespace omni::cli
