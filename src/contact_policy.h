// Contact policy as pure functions: validation of contact preferences, the customer's quiet
// hours, SMS/WhatsApp consent keywords, and the ranking of channels for a proactive notification
// or a follow-up. The engine gathers the facts (channels, addresses, consent records, adapters,
// rendered texts) and calls these; nothing here touches a store, an adapter or a clock.
// Internal.
//
// Thread-safety: every function is reentrant and may be called from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/channel.h"
#include "omni/clock.h"
#include "omni/contact.h"
#include "omni/fit.h"
#include "omni/status.h"

namespace omni::detail {

// ---------------------------------------------------------------------------------------------
// Preferences and quiet hours

// OK, or kInvalidArgument with the field:
//   "preferences.time_zone"    not a known IANA zone (OS database, as BusinessCalendar), or empty
//                              while quiet_hours is set;
//   "preferences.quiet_hours"  start or end outside [00:00, 24:00), or start == end;
//   "preferences.language"     not BCP 47-shaped: subtags of 1-8 ASCII letters/digits joined by
//                              '-', the first one 2-3 letters ("de", "en-GB", "zh-Hant-TW");
//   "preferences.channels"     a channel kind listed twice.
// The first problem found is reported, in that order.
Status validate_preferences(const ContactPreferences& p);

// The customer's quiet hours at one instant.
struct QuietState {
  // Whether `now` lies inside the quiet span.
  bool quiet = false;
  // The first instant at or after `now` outside the quiet span: the end of the quiet hours when
  // quiet, `now` itself when not.
  Timestamp ends_at;
  // "quiet hours 22:00-08:00 Europe/Berlin (now 23:14 local)"; empty without quiet hours.
  std::string describe;
  // The local wall-clock time of ends_at, "08:00"; empty without quiet hours.
  std::string ends_at_local;
};

// Quiet state of `p` at `now`. Without quiet_hours: not quiet, ends_at = now, texts empty.
// Quiet hours are evaluated with a BusinessCalendar whose open time is the complement of the
// quiet span, every day of the week, in p.time_zone (22:00-08:00 quiet: open 08:00-22:00;
// 12:00-14:00 quiet: open 00:00-12:00 and 14:00-24:00), so daylight-saving changes follow the
// calendar's rules: a boundary in a skipped local hour maps to the first instant after the gap.
// Errors: validate_preferences() errors for the time zone and the quiet hours.
// "channels whatsapp, email; language de; quiet hours 22:00-08:00 Europe/Berlin", or "none".
std::string describe_preferences(const ContactPreferences& p);

Result<QuietState> quiet_state(const ContactPreferences& p, Timestamp now);

// ---------------------------------------------------------------------------------------------
// Consent keywords

enum class ConsentKeyword { kNone, kOptOut, kOptIn };

// Classifies an inbound SMS/WhatsApp body. The body is trimmed of leading and trailing white
// space (Unicode White_Space: ASCII blanks, no-break space, ideographic space, ...) and of
// trailing punctuation (Unicode P*: "." "!" "?" "…" "！"), repeatedly ("stop. " -> "stop"); the
// rest must equal one keyword as a whole, compared case-insensitively in ASCII ("Stop!" is an
// opt-out, "STOP please" is nothing). Keywords are ASCII; a body with other letters never
// matches. A body matching both lists is an opt-out (the safer reading). Malformed UTF-8 is
// never a keyword. A body longer than the longest keyword plus 64 bytes is not one either (and
// is not decoded: every inbound SMS and WhatsApp message passes here).
ConsentKeyword classify_consent_keyword(std::string_view body,
                                        const std::vector<std::string>& opt_out,
                                        const std::vector<std::string>& opt_in);

// Twilio's default opt-out keywords for long codes: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END,
// QUIT, REVOKE, OPTOUT (docs: twilio.com/docs/messaging/tutorials/advanced-opt-out).
const std::vector<std::string>& default_opt_out_keywords();
// Twilio's default opt-in keywords: START, YES, UNSTOP.
const std::vector<std::string>& default_opt_in_keywords();

// ---------------------------------------------------------------------------------------------
// Channel ranking

enum class RankMode { kNotification, kFollowUp };

// One configured channel with the facts about this customer the ranking needs.
struct ChannelCandidate {
  Channel channel;                 // omni/channel.h, effective profile included
  bool reachable = false;          // the customer has an address (identity) for this channel kind
  std::string unreachable_reason;  // e.g. "no phone number on file"
  bool adapter = true;             // an adapter is registered in this process (notifications only)
  std::optional<Consent> consent;  // the consent of the address that would be used (best one)
  int preference_rank = -1;        // index in ContactPreferences::channels, -1 = not listed
  std::optional<FitReport> fit;    // the rendered text on this channel (notifications)
  bool on_active_conversation = false;  // the case is on this channel right now
};

struct RankRequest {
  RankMode mode = RankMode::kNotification;
  Urgency urgency = Urgency::kNormal;
  bool sensitive = false;
  std::optional<QuietState> quiet;  // the customer's quiet state now (absent: no quiet hours)
  // The instant of the ranking. The quiet-hours times come from `quiet`; kept for the record.
  Timestamp now;
};

// Ranks every candidate: one ChannelOption per candidate, eligible ones first (best first), then
// the excluded ones. Pure and deterministic.
//
// Exclusions (eligible = false; every rule that applies adds its reason, in this order):
//   1. not reachable: unreachable_reason, or "no address on file for <kind>";
//   2. the kind cannot be used in this mode:
//      notifications: only email, SMS, WhatsApp, Messenger, Instagram, X direct messages,
//        Telegram and letter carry a written notification; phone, live chat, video, IVR, bot,
//        web self-service and in person do not ("<kind> cannot carry a written notification"),
//        a forum is public ("a forum is public: not for a message to one customer");
//      follow-ups: live chat, bot, web self-service, IVR and in person only when
//        on_active_conversation (the customer must be there: "<kind> reaches the customer only
//        while they are there (no active conversation on it)"); a forum never (public);
//   3. notifications without an adapter: "no adapter registered for this channel";
//   4. sensitive and !profile.secure: "not a secure channel; the message is sensitive";
//   5. consent: a withdrawn consent always excludes ("consent withdrawn (keyword STOP,
//      2026-11-20)"), whether or not the profile requires consent; when profile.requires_consent
//      a missing consent excludes ("no consent for SMS on this address");
//   6. notifications whose fit does not fit: check_fit(*fit).message() ("text needs 3 SMS
//      segments (GSM-7, 400 septets), the channel allows 1").
//
// Per option (eligible or not):
//   segments = fit->segments with a fit, else 1 for notifications and 0 for follow-ups;
//   cost = segments * profile.cost_per_unit.
// Eligible options only:
//   deliver_at = quiet->ends_at when quiet->quiet, urgency < kCritical and the kind interrupts
//   ("buzzes a phone": phone, SMS, WhatsApp, Messenger, Instagram, X direct messages, Telegram,
//   video, IVR; not email, letter, web, forum, live chat, bot, in person). The option is then
//   "deferred".
//
// Order of eligible options: lexicographic keys, then channel id ascending.
//   kLow, kNormal:  preference (listed before unlisted, lower preference_rank first), not
//                   deferred before deferred, cost ascending.
//   kHigh:          not deferred first, [follow-ups: synchronous first], instant first,
//                   preference, cost.
//   kCritical:      [follow-ups: synchronous first], instant first, preference, cost.
//   "instant" kinds: SMS, WhatsApp, Messenger, Instagram, Telegram, X direct messages, phone,
//   video, live chat. "synchronous": profile.synchronous.
// Excluded options follow, ordered by preference, then channel id.
//
// Reasons of an eligible option, most important first:
//   "preferred channel #<rank + 1>" | "not among the customer's preferred channels";
//   consent channels (requires_consent): "consent granted (<source>[ <keyword>], YYYY-MM-DD)";
//   when quiet: "<quiet->describe>: delivered at 08:00 local" (notifications) or "...: not
//     before 08:00 local" (follow-ups) for a deferred option; "critical: quiet hours do not
//     apply" for an interrupting kind at kCritical; "does not interrupt: quiet hours do not
//     apply" otherwise;
//   kHigh/kCritical follow-ups on a synchronous channel: "urgent: a synchronous channel answers
//     at once"; kHigh/kCritical otherwise: "reaches the customer at once" (instant) or "not
//     instant: may be read much later";
//   notifications: "≈ 2 units (2 SMS segments)" when cost > 0, else "no cost".
ChannelChoice rank_channels(const std::vector<ChannelCandidate>& candidates,
                            const RankRequest& request);

}  // namespace omni::detail
