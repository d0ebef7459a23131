// Default channel traits. Each figure is what customers commonly expect of the channel; hosts
// override them per configured channel.
#include "omni/channel.h"

namespace omni {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

ChannelProfile make(bool synchronous, seconds first_response, LengthRule rule,
                    std::uint32_t max_length, std::uint32_t max_parts, Formality formality,
                    bool attachments, bool secure) {
  ChannelProfile p;
  p.synchronous = synchronous;
  p.expected_first_response = first_response;
  p.length_rule = rule;
  p.max_length = max_length;
  p.max_parts = max_parts;
  p.formality = formality;
  p.supports_attachments = attachments;
  p.secure = secure;
  return p;
}

// Timing, length and tone per kind.
ChannelProfile kind_profile(ChannelKind kind) {
  constexpr auto kNone = LengthRule::kUnlimited;
  constexpr auto kChars = LengthRule::kUnicodeCharacters;
  switch (kind) {
    case ChannelKind::kPhone:
      return make(true, seconds(30), kNone, 0, 1, Formality::kNeutral, false, true);
    case ChannelKind::kEmail:
      return make(false, hours(24), kNone, 0, 1, Formality::kFormal, true, false);
    case ChannelKind::kLiveChat:
      return make(true, seconds(60), kChars, 10000, 1, Formality::kInformal, true, false);
    case ChannelKind::kSms:
      // 160 GSM-7 septets (or 70 UCS-2 units) per segment, at most 10 concatenated segments.
      return make(false, hours(1), LengthRule::kSmsSegments, 160, 10, Formality::kInformal, false,
                  false);
    // Messengers are asynchronous: the customer answers when it suits them, and an agent keeps
    // several threads going (routing gives them asynchronous slots); customers still expect a
    // quick first answer.
    case ChannelKind::kWhatsApp:
      return make(false, minutes(5), kChars, 4096, 1, Formality::kInformal, true, false);
    case ChannelKind::kMessenger:
      return make(false, minutes(5), kChars, 2000, 1, Formality::kInformal, true, false);
    case ChannelKind::kInstagram:
      return make(false, minutes(5), kChars, 1000, 1, Formality::kInformal, true, false);
    case ChannelKind::kXDirectMessage:
      return make(false, hours(1), LengthRule::kTwitterWeighted, 280, 1, Formality::kInformal, true,
                  false);
    case ChannelKind::kTelegram:
      return make(false, minutes(5), kChars, 4096, 1, Formality::kInformal, true, false);
    case ChannelKind::kVideo:
      return make(true, seconds(60), kNone, 0, 1, Formality::kNeutral, false, true);
    case ChannelKind::kWeb:
      return make(false, hours(24), kNone, 0, 1, Formality::kNeutral, false, false);
    case ChannelKind::kIvr:
      return make(true, seconds(0), kNone, 0, 1, Formality::kFormal, false, true);
    case ChannelKind::kBot:
      return make(true, seconds(5), kChars, 4096, 1, Formality::kInformal, false, false);
    case ChannelKind::kForum:
      return make(false, hours(48), kNone, 0, 1, Formality::kNeutral, true, false);
    case ChannelKind::kLetter:
      return make(false, hours(24 * 7), kNone, 0, 1, Formality::kFormal, true, true);
    case ChannelKind::kInPerson:
      return make(true, seconds(0), kNone, 0, 1, Formality::kNeutral, true, true);
  }
  return ChannelProfile{};
}

}  // namespace

ChannelProfile default_profile(ChannelKind kind) {
  ChannelProfile p = kind_profile(kind);
  // Carriers (TCPA, CTIA) and Meta's WhatsApp Business policy require the recipient's opt-in.
  p.requires_consent = kind == ChannelKind::kSms || kind == ChannelKind::kWhatsApp;
  switch (kind) {
    case ChannelKind::kSms:
    case ChannelKind::kWhatsApp:
      p.cost_per_unit = 1;
      break;
    case ChannelKind::kLetter:
      p.cost_per_unit = 20;
      break;
    default:
      break;
  }
  return p;
}

}  // namespace omni
