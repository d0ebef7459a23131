// omni/fit.h — outbound fitting: how long a reply is in the unit its channel counts, whether it
// fits, how it would be split, and what it costs in SMS segments, so a host can show it before
// the agent presses send.
//
// Thread-safety: reentrant; FitReport is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "omni/channel.h"
#include "omni/export.h"
#include "omni/status.h"

namespace omni {

// How the text travels.
enum class TextEncoding {
  kGsm7,  // SMS in the GSM 03.38 default alphabet (7-bit septets)
  kUcs2,  // SMS in UCS-2; astral code points (emoji) travel as UTF-16 surrogate pairs
  kUtf8,  // every channel that is not SMS
};
// "gsm7", "ucs2", "utf8".
OMNI_EXPORT std::string_view to_string(TextEncoding encoding);

// One part of the split plan.
struct FitPart {
  std::string text;          // UTF-8; a run of whole grapheme clusters of the (fitted) text
  std::uint32_t length = 0;  // in the unit of FitReport::length
};

// What fit_text() found out about one text on one channel.
//
// Units of `length`, per rule:
//   kSmsSegments      GSM-7: septets (extension-table characters count 2);
//                     UCS-2: UTF-16 code units (emoji and other astral code points count 2)
//   kUnicodeCharacters  Unicode code points of the text as given (not normalized)
//   kTwitterWeighted  twitter-text v3 weighted length of the NFC-normalized text
//   kUnlimited        Unicode code points (for display only; nothing is limited)
//
// Cost estimate: `segments` is the number of billable SMS segments for kSmsSegments — the unit a
// host multiplies by its provider's per-segment price. For the other rules it is the number of
// separate messages the split plan needs (1 whenever the text fits in one message).
struct FitReport {
  LengthRule rule = LengthRule::kUnlimited;
  TextEncoding encoding = TextEncoding::kUtf8;
  std::uint32_t length = 0;
  // Number of parts the text needs; always equals parts.size(). 0 for an empty text.
  std::uint32_t segments = 0;
  // Most the text may hold as one unsplit message: SMS 160 (GSM-7) or 70 (UCS-2); otherwise
  // ChannelProfile::max_length. 0 means unlimited.
  std::uint32_t max_length = 0;
  // Most one part may hold once the text is split: SMS 153 (GSM-7) or 67 (UCS-2), the rest of
  // the 140-octet segment goes to the concatenation header; otherwise the same as max_length.
  std::uint32_t max_part_length = 0;
  // ChannelProfile::max_parts (0 in the profile is read as 1).
  std::uint32_t max_parts = 1;
  // segments <= max_parts: the reply can go out on this channel as planned. A text that does not
  // fit is still reported in full; check_fit() turns this into an error if the host wants one.
  bool fits = true;
  // The split plan. One part holding the whole text when it fits in one message; otherwise parts
  // of at most max_part_length each. Parts never split a grapheme cluster (ICU character break
  // iterator), so never a surrogate pair, an emoji ZWJ sequence, a letter and its combining
  // accents, nor a 2-septet GSM extension character; only a single cluster longer than a whole
  // part (hundreds of combining marks) is cut between code points. Concatenating the parts gives
  // back the text (for kTwitterWeighted: its NFC form).
  //   - SMS parts are concatenated segments that the handset joins again, so they are filled
  //     greedily: their count is what the carrier bills. It can exceed ceil(length / 153) by one
  //     when an extension character or a cluster would straddle a segment boundary.
  //   - Other rules produce separate messages, so a part ends after the last white space that
  //     fits, and only a word longer than a whole part is cut inside the word.
  std::vector<FitPart> parts;
  // kSmsSegments only: the grapheme clusters outside the GSM 03.38 alphabet that forced UCS-2
  // ("ê", "ç", "😀", "`"), each once, in order of first appearance, so an agent can replace them.
  // Empty for GSM-7 text and for the other rules.
  std::vector<std::string> non_gsm_characters;
};

// Measures `utf8` against `profile.length_rule`:
//
// kSmsSegments: GSM-7 when every code point is in the GSM 03.38 default alphabet
//   (@£$¥èéùìòÇ LF Øø CR ÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ space !"#¤%&'()*+,-./0-9:;<=>? ¡A-Z ÄÖÑÜ§ ¿a-z
//   äöñüà) or its extension table (form feed ^{}\[~]|€, 2 septets each); otherwise UCS-2. Note
//   that "Ç" is in the alphabet but "ç" is not, and that the backtick and decomposed accents
//   (e + U+0301) force UCS-2. One segment holds 160 septets / 70 units; a longer text is sent as
//   concatenated segments of 153 septets / 67 units. ChannelProfile::max_length is not used: the
//   segment sizes are fixed by the standard; max_parts limits the number of segments.
// kUnicodeCharacters: code points; a part holds at most profile.max_length of them.
// kTwitterWeighted: the text is NFC-normalized (ICU), then weighed as twitter-text v3 does with
//   its default configuration (scale 100, default weight 200): code points in U+0000–U+10FF,
//   U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 weigh 1, all others 2 (CJK, most symbols);
//   a grapheme cluster that is an emoji (it holds an Emoji_Presentation code point, or an Emoji
//   code point with VS16 U+FE0F) weighs 2 as a whole, ZWJ sequences and skin tones included; a
//   URL weighs 23 whatever its length. A URL here is "http://" or "https://" (any case) followed
//   by non-white-space up to the next white space, minus trailing . , ; : ! ? ' " and an
//   unbalanced ) or ]. Simplification: bare domains without a scheme ("example.com") are
//   weighed as ordinary characters, while X may count them as 23. A part holds at most
//   profile.max_length (280 by default).
// kUnlimited: everything fits in one part.
//
// A max_length of 0 with a rule other than kSmsSegments means unlimited.
//
// Errors: kInvalidArgument (field "text") for malformed UTF-8; kResourceExhausted (field "text")
// for a text of 2 GiB or more. A text that is merely too long is not an error: see `fits`.
OMNI_EXPORT Result<FitReport> fit_text(std::string_view utf8, const ChannelProfile& profile);

// OK when `report.fits`; otherwise kResourceExhausted (field "text") with a message an agent can
// read, e.g. "text needs 4 SMS segments (GSM-7, 480 septets), the channel allows 3" or
// "text needs 2 messages of at most 2000 characters (2345 characters), the channel allows 1".
OMNI_EXPORT Status check_fit(const FitReport& report);

}  // namespace omni
