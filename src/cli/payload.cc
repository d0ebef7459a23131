#include "cli/payload.h"

#include <algorithm>
#include <array>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "omni/adapters/inbound.h"

namespace omni::cli {
namespace {

struct FormatName {
  PayloadFormat format;
  std::string_view name;
};

// In the order the usage lists them.
constexpr std::array<FormatName, 7> kFormats = {{
    {PayloadFormat::kEmail, "email"},
    {PayloadFormat::kTwilio, "twilio"},
    {PayloadFormat::kWhatsApp, "whatsapp"},
    {PayloadFormat::kMessenger, "messenger"},
    {PayloadFormat::kInstagram, "instagram"},
    {PayloadFormat::kTelegram, "telegram"},
    {PayloadFormat::kJsonLines, "jsonl"},
}};

// What the parsers accept by default (omni/adapters/inbound.h: ParseOptions).
constexpr std::size_t kMaxWebhookBytes = 1024 * 1024;
constexpr std::size_t kMaxEmailBytes = 25 * 1024 * 1024;

RecordError parse_error(const Status& status) {
  RecordError error;
  error.kind = status.is(StatusCode::kResourceExhausted) ? RecordErrorKind::kPayloadTooLarge
                                                         : RecordErrorKind::kInvalidPayload;
  error.field = status.field();
  error.message = status.message();
  return error;
}

Result<adapters::ParsedPayload> parse(const PayloadOptions& options, std::string_view payload) {
  // The ids are set by the Ingester once the tenant and channel are resolved.
  adapters::ParseOptions parse_options;
  parse_options.max_payload_bytes = max_payload_bytes(options.format);
  switch (options.format) {
    case PayloadFormat::kEmail:
      return adapters::parse_email(payload, parse_options);
    case PayloadFormat::kTwilio:
      return adapters::parse_twilio_webhook(payload, parse_options);
    case PayloadFormat::kWhatsApp:
      return adapters::parse_whatsapp_webhook(payload, parse_options);
    case PayloadFormat::kMessenger:
    case PayloadFormat::kInstagram:
      return adapters::parse_messenger_webhook(payload, parse_options);
    case PayloadFormat::kTelegram:
      return adapters::parse_telegram_update(payload, options.bot_name, parse_options);
    case PayloadFormat::kJsonLines:
      break;
  }
  return Status::invalid_argument("jsonl is not a payload format");
}

// parse_messenger_webhook reads both platforms; a payload of the other one would land on the
// wrong channel, so it is refused as a whole.
std::optional<RecordError> check_platform(PayloadFormat format,
                                          const adapters::ParsedPayload& payload) {
  if (format != PayloadFormat::kMessenger && format != PayloadFormat::kInstagram) {
    return std::nullopt;
  }
  const IdentityKind expected = format == PayloadFormat::kMessenger ? IdentityKind::kMessengerPsid
                                                                    : IdentityKind::kInstagramId;
  for (const InboundMessage& message : payload.messages) {
    if (message.from.kind != expected) {
      return RecordError{RecordErrorKind::kInvalidPayload, "object",
                         format == PayloadFormat::kMessenger
                             ? "an Instagram payload (object \"instagram\"); use --format instagram"
                             : "a Messenger payload (object \"page\"); use --format messenger"};
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(PayloadFormat format) {
  for (const FormatName& f : kFormats) {
    if (f.format == format) return f.name;
  }
  return "unknown";
}

std::optional<PayloadFormat> parse_payload_format(std::string_view name) {
  for (const FormatName& f : kFormats) {
    if (f.name == name) return f.format;
  }
  return std::nullopt;
}

std::string payload_format_names() {
  std::string out;
  for (const FormatName& f : kFormats) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

ChannelKind default_channel_kind(PayloadFormat format) {
  switch (format) {
    case PayloadFormat::kEmail:
    case PayloadFormat::kJsonLines:
      return ChannelKind::kEmail;
    case PayloadFormat::kTwilio:
      return ChannelKind::kSms;
    case PayloadFormat::kWhatsApp:
      return ChannelKind::kWhatsApp;
    case PayloadFormat::kMessenger:
      return ChannelKind::kMessenger;
    case PayloadFormat::kInstagram:
      return ChannelKind::kInstagram;
    case PayloadFormat::kTelegram:
      return ChannelKind::kTelegram;
  }
  return ChannelKind::kEmail;
}

std::string default_channel_name(PayloadFormat format) {
  return std::string(to_string(format));
}

std::size_t max_payload_bytes(PayloadFormat format) {
  return format == PayloadFormat::kEmail ? kMaxEmailBytes : kMaxWebhookBytes;
}

std::string read_payload(std::istream& in, std::size_t limit) {
  std::string data;
  char buffer[64 * 1024];
  while (data.size() < limit && in) {
    const std::size_t want = std::min(sizeof buffer, limit - data.size());
    in.read(buffer, static_cast<std::streamsize>(want));
    data.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  return data;
}

PayloadIngester::PayloadIngester(Engine& engine, PayloadOptions options)
    : engine_(engine),
      options_(std::move(options)),
      ingester_(engine, IngestOptions{options_.tenant,
                                      "--channel (or name its kind with --channel-kind)"}) {}

IngestCounts PayloadIngester::ingest_payload(
    std::string_view payload, const std::string& source,
    const std::function<void(const PayloadRejection&)>& on_rejected) {
  IngestCounts counts;
  ++counts.payloads;
  auto reject = [&](std::string provider_message_id, bool status_report, RecordError error) {
    ++counts.rejected;
    if (on_rejected) {
      on_rejected(PayloadRejection{source, std::move(provider_message_id), status_report,
                                   std::move(error)});
    }
  };

  Result<adapters::ParsedPayload> parsed = parse(options_, payload);
  std::optional<RecordError> wrong_platform;
  if (parsed.ok()) wrong_platform = check_platform(options_.format, *parsed);
  if (!parsed.ok() || wrong_platform) {
    ++counts.records;
    reject("", false, wrong_platform ? *wrong_platform : parse_error(parsed.status()));
    return counts;
  }

  for (InboundMessage& message : parsed->messages) {
    ++counts.records;
    InboundRecord record;
    record.tenant = options_.tenant;
    record.channel_kind = options_.channel_kind;
    record.channel_name = options_.channel_name;
    record.message = std::move(message);
    IngestOutcome outcome = ingester_.ingest_record(record);
    if (!outcome.ok()) {
      reject(record.message.provider_message_id, false, outcome.error());
      continue;
    }
    const ReceiveResult& result = outcome.result();
    if (result.duplicate) {
      ++counts.duplicates;
      continue;
    }
    ++counts.stored;
    if (result.new_customer) ++counts.new_customers;
    if (result.new_conversation) ++counts.new_conversations;
    if (result.reopened) ++counts.reopened_conversations;
  }

  for (const adapters::StatusReport& report : parsed->statuses) {
    ++counts.records;
    auto target =
        ingester_.find_target(options_.tenant, options_.channel_name, options_.channel_kind);
    if (auto* error = std::get_if<RecordError>(&target)) {
      reject(report.provider_message_id, true, *error);
      continue;
    }
    const auto& ids = std::get<std::optional<Ingester::Target>>(target);
    if (!ids) {  // no such tenant or channel, so no such message
      ++counts.statuses_unmatched;
      continue;
    }
    Status status = engine_.update_delivery_status(ids->tenant, ids->channel,
                                                   report.provider_message_id, report.status);
    if (status.ok()) {
      ++counts.statuses_applied;
    } else if (status.is(StatusCode::kNotFound)) {
      ++counts.statuses_unmatched;
    } else if (status.is(StatusCode::kFailedPrecondition)) {
      // The id names an inbound message.
      reject(report.provider_message_id, true,
             RecordError{RecordErrorKind::kRejected, status.field(), status.message()});
    } else {
      reject(report.provider_message_id, true, engine_error(status));
    }
  }
  return counts;
}

}  // namespace omni::cli
