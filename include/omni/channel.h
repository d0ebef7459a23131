// omni/channel.h — channel kinds, their traits (ChannelProfile) and configured channels.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/clock.h"
#include "omni/export.h"
#include "omni/ids.h"

namespace omni {

enum class ChannelKind {
  kPhone,
  kEmail,
  kLiveChat,
  kSms,
  kWhatsApp,
  kMessenger,
  kInstagram,
  kXDirectMessage,
  kTelegram,
  kVideo,
  kWeb,  // web self-service and knowledge base
  kIvr,
  kBot,
  kForum,
  kLetter,
  kInPerson,
};

// Every kind, in declaration order.
OMNI_EXPORT const std::vector<ChannelKind>& all_channel_kinds();
// Stable names used in JSON, the CLI and the database: "phone", "email", "live_chat", "sms",
// "whatsapp", "messenger", "instagram", "x_dm", "telegram", "video", "web", "ivr", "bot",
// "forum", "letter", "in_person".
OMNI_EXPORT std::string_view to_string(ChannelKind kind);
OMNI_EXPORT std::optional<ChannelKind> parse_channel_kind(std::string_view name);

// How a channel counts the length of a text.
enum class LengthRule {
  kUnlimited,          // no practical limit (phone transcript notes, letters)
  kUnicodeCharacters,  // code points (Messenger 2000, WhatsApp 4096, Telegram 4096)
  kSmsSegments,        // GSM 03.38 septets or UCS-2 units, split into segments
  kTwitterWeighted,    // X/Twitter weighted length (CJK and emoji count 2)
};
OMNI_EXPORT std::string_view to_string(LengthRule rule);

enum class Formality { kFormal, kNeutral, kInformal };
OMNI_EXPORT std::string_view to_string(Formality formality);

// The traits that make channels differ. Defaults per kind come from default_profile(); a
// configured Channel may override any of them.
struct ChannelProfile {
  // Customer and agent are present at the same time (call, chat, video): an agent can serve
  // only one synchronous conversation at once by default.
  bool synchronous = false;
  // What a customer expects as first response on this channel.
  std::chrono::seconds expected_first_response{24 * 60 * 60};
  LengthRule length_rule = LengthRule::kUnlimited;
  // Maximum length of one message in the unit of length_rule; 0 when kUnlimited.
  std::uint32_t max_length = 0;
  // Most parts one reply may be split into (SMS concatenation); 1 = no splitting.
  std::uint32_t max_parts = 1;
  Formality formality = Formality::kNeutral;
  bool supports_attachments = false;
  // Whether sensitive data (payment, health, identity documents) may be exchanged here.
  bool secure = false;
  // Messages go only to addresses whose consent for this kind is granted (omni/contact.h): the
  // rules for SMS and WhatsApp. Default: true for kSms and kWhatsApp.
  bool requires_consent = false;
  // What one billable unit costs, in the host's own relative units: one SMS segment, one
  // message elsewhere. Used to rank channels for notifications. Defaults: SMS 1, WhatsApp 1,
  // letter 20, everything else 0.
  double cost_per_unit = 0;
};

// The documented default traits of a kind.
OMNI_EXPORT ChannelProfile default_profile(ChannelKind kind);

// A configured endpoint of a kind: the support mailbox, a phone line, one Facebook page.
struct Channel {
  ChannelId id;
  TenantId tenant;
  ChannelKind kind = ChannelKind::kEmail;
  // Unique within the tenant, e.g. "support@example.com" or "fb-page-1234".
  std::string name;
  // The channel's effective profile: its own when own_profile is set, else the tenant's profile
  // for its kind (Engine::set_tenant_profile), else default_profile(kind).
  ChannelProfile profile;
  bool own_profile = false;
  Timestamp created_at;
};

}  // namespace omni
