// Outbound fitting: SMS encoding and segments (GSM 03.38 / 3GPP TS 23.038 and 23.040),
// twitter-text v3 weighted length, code point limits, and grapheme-safe split plans.
#include "omni/fit.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <unicode/brkiter.h>
#include <unicode/bytestream.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "identity.h"

namespace omni {
namespace {

// GSM 03.38 segment capacities: 140 octets of user data, of which the concatenation header
// (UDH) takes 6 when a message is split.
constexpr std::uint32_t kGsm7Single = 160;
constexpr std::uint32_t kGsm7Part = 153;
constexpr std::uint32_t kUcs2Single = 70;
constexpr std::uint32_t kUcs2Part = 67;
// twitter-text v3: transformedURLLength.
constexpr std::uint32_t kTwitterUrlWeight = 23;

// Septets a code point takes in the GSM 03.38 default alphabet: 1 for the basic table, 2 for the
// extension table (escape + character), 0 when it is not in the alphabet at all.
std::uint32_t gsm7_septets(UChar32 c) {
  if (c < 0x80) {
    switch (c) {
      case 0x0C:  // form feed
      case '^':
      case '{':
      case '}':
      case '\\':
      case '[':
      case '~':
      case ']':
      case '|':
        return 2;
      case '\n':
      case '\r':
        return 1;
      case '`':
        return 0;
      default:
        return (c >= 0x20 && c < 0x7F) ? 1 : 0;
    }
  }
  switch (c) {
    // Latin-1: ¡ £ ¤ ¥ § ¿ Ä Å Æ Ç É Ñ Ö Ø Ü ß à ä å æ è é ì ñ ò ö ø ù ü
    case 0x00A1:
    case 0x00A3:
    case 0x00A4:
    case 0x00A5:
    case 0x00A7:
    case 0x00BF:
    case 0x00C4:
    case 0x00C5:
    case 0x00C6:
    case 0x00C7:
    case 0x00C9:
    case 0x00D1:
    case 0x00D6:
    case 0x00D8:
    case 0x00DC:
    case 0x00DF:
    case 0x00E0:
    case 0x00E4:
    case 0x00E5:
    case 0x00E6:
    case 0x00E8:
    case 0x00E9:
    case 0x00EC:
    case 0x00F1:
    case 0x00F2:
    case 0x00F6:
    case 0x00F8:
    case 0x00F9:
    case 0x00FC:
    // Greek capitals: Γ Δ Θ Λ Ξ Π Σ Φ Ψ Ω
    case 0x0393:
    case 0x0394:
    case 0x0398:
    case 0x039B:
    case 0x039E:
    case 0x03A0:
    case 0x03A3:
    case 0x03A6:
    case 0x03A8:
    case 0x03A9:
      return 1;
    case 0x20AC:  // €, extension table
      return 2;
    default:
      return 0;
  }
}

// twitter-text v3 default configuration: these ranges weigh 100 (1 here), the rest 200 (2).
std::uint32_t twitter_weight(UChar32 c) {
  if ((c >= 0x0000 && c <= 0x10FF) || (c >= 0x2000 && c <= 0x200D) ||
      (c >= 0x2010 && c <= 0x201F) || (c >= 0x2032 && c <= 0x2037)) {
    return 1;
  }
  return 2;
}

// White space a message may be broken after: not the no-break spaces U+00A0, U+2007, U+202F.
bool is_break_space(UChar32 c) {
  return u_isUWhiteSpace(c) && c != 0x00A0 && c != 0x2007 && c != 0x202F;
}

// A half-open byte range of the text with its length in the rule's unit.
struct Unit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::uint32_t length = 0;
  bool white_space = false;  // starts with a breaking white space: a place to break after
};

// Visits the code points of a valid UTF-8 range.
template <typename F>
void for_each_code_point(std::string_view text, std::size_t begin, std::size_t end, F&& f) {
  const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto stop = static_cast<std::int32_t>(end);
  auto i = static_cast<std::int32_t>(begin);
  while (i < stop) {
    const std::int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, stop, c);
    f(c, static_cast<std::size_t>(start), static_cast<std::size_t>(i));
  }
}

UChar32 first_code_point(std::string_view text, std::size_t begin, std::size_t end) {
  const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
  auto i = static_cast<std::int32_t>(begin);
  UChar32 c = 0;
  if (begin < end) U8_NEXT(s, i, static_cast<std::int32_t>(end), c);
  return c;
}

// Byte offsets of the grapheme cluster boundaries of `text` (ICU character break iterator over
// the UTF-8 text itself), from 0 to text.size().
Result<std::vector<std::size_t>> grapheme_boundaries(std::string_view text) {
  std::vector<std::size_t> out;
  out.push_back(0);
  if (text.empty()) return out;
  UErrorCode error = U_ZERO_ERROR;
  UText* utext =
      utext_openUTF8(nullptr, text.data(), static_cast<std::int64_t>(text.size()), &error);
  std::unique_ptr<UText, UText* (*)(UText*)> guard(utext, utext_close);
  std::unique_ptr<icu::BreakIterator> breaks(
      icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), error));
  if (U_FAILURE(error) || !breaks) {
    return Status::internal(std::string("ICU character break iterator: ") + u_errorName(error));
  }
  breaks->setText(utext, error);
  if (U_FAILURE(error)) {
    return Status::internal(std::string("ICU character break iterator: ") + u_errorName(error));
  }
  for (std::int32_t at = breaks->next(); at != icu::BreakIterator::DONE; at = breaks->next()) {
    out.push_back(static_cast<std::size_t>(at));
  }
  if (out.back() != text.size()) out.push_back(text.size());
  return out;
}

// Units of one grapheme cluster each, weighed code point by code point.
template <typename Weigh>
std::vector<Unit> cluster_units(std::string_view text, const std::vector<std::size_t>& bounds,
                                Weigh&& weigh) {
  std::vector<Unit> units;
  units.reserve(bounds.size());
  for (std::size_t k = 1; k < bounds.size(); ++k) {
    Unit u;
    u.begin = bounds[k - 1];
    u.end = bounds[k];
    for_each_code_point(text, u.begin, u.end,
                        [&](UChar32 c, std::size_t, std::size_t) { u.length += weigh(c); });
    u.white_space = is_break_space(first_code_point(text, u.begin, u.end));
    units.push_back(u);
  }
  return units;
}

// Replaces every unit longer than `limit` by one unit per code point (weighed by `weigh`), so
// that the greedy split below can always make progress.
template <typename Weigh>
std::vector<Unit> break_oversized(std::string_view text, std::vector<Unit> units,
                                  std::uint32_t limit, Weigh&& weigh) {
  bool any = false;
  for (const Unit& u : units)
    any = any || u.length > limit;
  if (!any) return units;
  std::vector<Unit> out;
  out.reserve(units.size());
  for (const Unit& u : units) {
    if (u.length <= limit) {
      out.push_back(u);
      continue;
    }
    for_each_code_point(text, u.begin, u.end, [&](UChar32 c, std::size_t b, std::size_t e) {
      out.push_back(Unit{b, e, weigh(c), is_break_space(c)});
    });
  }
  return out;
}

// Greedy split into parts of at most `limit`; with `prefer_white_space`, a part that must end
// ends after its last white-space unit when it has one.
std::vector<FitPart> split_units(std::string_view text, const std::vector<Unit>& units,
                                 std::uint32_t limit, bool prefer_white_space) {
  std::vector<FitPart> parts;
  std::size_t start = 0;  // first unit of the current part
  std::uint32_t length = 0;
  bool have_space = false;
  std::size_t space_index = 0;        // last white-space unit in the current part
  std::uint32_t length_at_space = 0;  // length of the current part up to and including it
  auto emit = [&](std::size_t first, std::size_t last_exclusive, std::uint32_t part_length) {
    const std::size_t b = units[first].begin;
    const std::size_t e = units[last_exclusive - 1].end;
    parts.push_back(FitPart{std::string(text.substr(b, e - b)), part_length});
  };
  for (std::size_t i = 0; i < units.size(); ++i) {
    const Unit& u = units[i];
    while (length > 0 && length + u.length > limit) {
      if (prefer_white_space && have_space) {
        emit(start, space_index + 1, length_at_space);
        start = space_index + 1;
        length -= length_at_space;
        have_space = false;
      } else {
        emit(start, i, length);
        start = i;
        length = 0;
        have_space = false;
      }
    }
    length += u.length;
    if (u.white_space) {
      have_space = true;
      space_index = i;
      length_at_space = length;
    }
  }
  if (start < units.size()) emit(start, units.size(), length);
  return parts;
}

std::uint32_t total_length(const std::vector<Unit>& units) {
  std::uint32_t sum = 0;
  for (const Unit& u : units)
    sum += u.length;
  return sum;
}

std::vector<FitPart> whole_text(std::string_view text, std::uint32_t length) {
  std::vector<FitPart> parts;
  if (!text.empty()) parts.push_back(FitPart{std::string(text), length});
  return parts;
}

void fit_sms(std::string_view text, const std::vector<std::size_t>& bounds, FitReport& report) {
  // The encoding: GSM-7 unless some code point is outside the alphabet; remember those clusters.
  for (std::size_t k = 1; k < bounds.size(); ++k) {
    bool outside = false;
    for_each_code_point(text, bounds[k - 1], bounds[k], [&](UChar32 c, std::size_t, std::size_t) {
      outside = outside || gsm7_septets(c) == 0;
    });
    if (!outside) continue;
    std::string cluster(text.substr(bounds[k - 1], bounds[k] - bounds[k - 1]));
    bool seen = false;
    for (const std::string& s : report.non_gsm_characters)
      seen = seen || s == cluster;
    if (!seen) report.non_gsm_characters.push_back(std::move(cluster));
  }
  const bool gsm7 = report.non_gsm_characters.empty();
  report.encoding = gsm7 ? TextEncoding::kGsm7 : TextEncoding::kUcs2;
  report.max_length = gsm7 ? kGsm7Single : kUcs2Single;
  report.max_part_length = gsm7 ? kGsm7Part : kUcs2Part;
  auto weigh = [gsm7](UChar32 c) -> std::uint32_t {
    return gsm7 ? gsm7_septets(c) : static_cast<std::uint32_t>(U16_LENGTH(c));
  };
  std::vector<Unit> units = cluster_units(text, bounds, weigh);
  report.length = total_length(units);
  if (report.length <= report.max_length) {
    report.parts = whole_text(text, report.length);
    return;
  }
  units = break_oversized(text, std::move(units), report.max_part_length, weigh);
  report.parts = split_units(text, units, report.max_part_length, false);
}

void fit_code_points(std::string_view text, const std::vector<std::size_t>& bounds,
                     std::uint32_t max_length, FitReport& report) {
  auto weigh = [](UChar32) -> std::uint32_t { return 1; };
  std::vector<Unit> units = cluster_units(text, bounds, weigh);
  report.length = total_length(units);
  report.max_length = max_length;
  report.max_part_length = max_length;
  if (max_length == 0 || report.length <= max_length) {
    report.parts = whole_text(text, report.length);
    return;
  }
  units = break_oversized(text, std::move(units), max_length, weigh);
  report.parts = split_units(text, units, max_length, true);
}

bool is_emoji_cluster(std::string_view text, const Unit& u) {
  bool presentation = false;
  bool emoji = false;
  bool variation_16 = false;
  for_each_code_point(text, u.begin, u.end, [&](UChar32 c, std::size_t, std::size_t) {
    presentation = presentation || u_hasBinaryProperty(c, UCHAR_EMOJI_PRESENTATION);
    emoji = emoji || u_hasBinaryProperty(c, UCHAR_EMOJI);
    variation_16 = variation_16 || c == 0xFE0F;
  });
  return presentation || (emoji && variation_16);
}

bool starts_with_ascii_case_insensitive(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// The end (byte offset) of a URL starting at `begin`, or `begin` when none starts there.
std::size_t url_end(std::string_view text, std::size_t begin) {
  std::string_view rest = text.substr(begin);
  std::size_t scheme;
  if (starts_with_ascii_case_insensitive(rest, "http://")) {
    scheme = 7;
  } else if (starts_with_ascii_case_insensitive(rest, "https://")) {
    scheme = 8;
  } else {
    return begin;
  }
  std::size_t end = begin + scheme;
  bool stopped = false;
  for_each_code_point(text, end, text.size(), [&](UChar32 c, std::size_t, std::size_t e) {
    if (stopped || u_isUWhiteSpace(c)) {
      stopped = true;
      return;
    }
    end = e;
  });
  // Trailing punctuation belongs to the sentence; a closing bracket only when unbalanced.
  while (end > begin + scheme) {
    const char last = text[end - 1];
    std::string_view url = text.substr(begin, end - begin);
    bool drop = false;
    switch (last) {
      case '.':
      case ',':
      case ';':
      case ':':
      case '!':
      case '?':
      case '\'':
      case '"':
        drop = true;
        break;
      case ')':
        drop = std::count(url.begin(), url.end(), ')') > std::count(url.begin(), url.end(), '(');
        break;
      case ']':
        drop = std::count(url.begin(), url.end(), ']') > std::count(url.begin(), url.end(), '[');
        break;
      default:
        break;
    }
    if (!drop) break;
    --end;
  }
  return end > begin + scheme ? end : begin;
}

void fit_twitter(std::string_view text, const std::vector<std::size_t>& bounds,
                 std::uint32_t max_length, FitReport& report) {
  auto weigh = [](UChar32 c) { return twitter_weight(c); };
  std::vector<Unit> clusters = cluster_units(text, bounds, weigh);
  std::vector<Unit> units;
  units.reserve(clusters.size());
  for (std::size_t k = 0; k < clusters.size(); ++k) {
    Unit u = clusters[k];
    const std::size_t url = url_end(text, u.begin);
    if (url > u.begin) {
      // The URL, extended to the grapheme boundary at or after its end, is one unit.
      while (u.end < url && k + 1 < clusters.size())
        u.end = clusters[++k].end;
      u.length = kTwitterUrlWeight;
      u.white_space = false;
    } else if (is_emoji_cluster(text, u)) {
      u.length = 2;
    }
    units.push_back(u);
  }
  report.length = total_length(units);
  report.max_length = max_length;
  report.max_part_length = max_length;
  if (max_length == 0 || report.length <= max_length) {
    report.parts = whole_text(text, report.length);
    return;
  }
  units = break_oversized(text, std::move(units), max_length, weigh);
  report.parts = split_units(text, units, max_length, true);
}

Result<std::string> nfc(std::string_view text) {
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = icu::Normalizer2::getNFCInstance(error);
  if (U_FAILURE(error)) return Status::internal(std::string("ICU NFC: ") + u_errorName(error));
  const icu::StringPiece piece(text.data(), static_cast<std::int32_t>(text.size()));
  if (normalizer->isNormalizedUTF8(piece, error) && U_SUCCESS(error)) return std::string(text);
  error = U_ZERO_ERROR;
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  normalizer->normalizeUTF8(0, piece, sink, nullptr, error);
  if (U_FAILURE(error)) return Status::internal(std::string("ICU NFC: ") + u_errorName(error));
  return out;
}

}  // namespace

std::string_view to_string(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::kGsm7:
      return "gsm7";
    case TextEncoding::kUcs2:
      return "ucs2";
    case TextEncoding::kUtf8:
      return "utf8";
  }
  return "utf8";
}

Result<FitReport> fit_text(std::string_view utf8, const ChannelProfile& profile) {
  if (utf8.size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    return Status::resource_exhausted("text is 2 GiB or longer").with_field("text");
  }
  if (!detail::is_valid_utf8(utf8)) {
    return Status::invalid_argument("text is not valid UTF-8").with_field("text");
  }
  FitReport report;
  report.rule = profile.length_rule;
  report.max_parts = profile.max_parts == 0 ? 1 : profile.max_parts;

  std::string normalized;
  std::string_view text = utf8;
  if (profile.length_rule == LengthRule::kTwitterWeighted) {
    Result<std::string> n = nfc(utf8);
    if (!n.ok()) return n.status();
    normalized = std::move(n).value();
    text = normalized;
  }
  Result<std::vector<std::size_t>> bounds = grapheme_boundaries(text);
  if (!bounds.ok()) return bounds.status();

  switch (profile.length_rule) {
    case LengthRule::kSmsSegments:
      fit_sms(text, *bounds, report);
      break;
    case LengthRule::kUnicodeCharacters:
      fit_code_points(text, *bounds, profile.max_length, report);
      break;
    case LengthRule::kTwitterWeighted:
      fit_twitter(text, *bounds, profile.max_length, report);
      break;
    case LengthRule::kUnlimited:
      fit_code_points(text, *bounds, 0, report);
      break;
  }
  report.segments = static_cast<std::uint32_t>(report.parts.size());
  report.fits = report.segments <= report.max_parts;
  return report;
}

Status check_fit(const FitReport& report) {
  if (report.fits) return Status::ok_status();
  std::string message;
  switch (report.rule) {
    case LengthRule::kSmsSegments: {
      const bool gsm7 = report.encoding == TextEncoding::kGsm7;
      message = fmt::format("text needs {} SMS segments ({}, {} {}), the channel allows {}",
                            report.segments, gsm7 ? "GSM-7" : "UCS-2", report.length,
                            gsm7 ? "septets" : "UTF-16 units", report.max_parts);
      break;
    }
    case LengthRule::kTwitterWeighted:
      message = fmt::format(
          "text needs {} posts of at most {} weighted characters (weighted length {}), the "
          "channel allows {}",
          report.segments, report.max_part_length, report.length, report.max_parts);
      break;
    case LengthRule::kUnicodeCharacters:
    case LengthRule::kUnlimited:
      message = fmt::format(
          "text needs {} messages of at most {} characters ({} characters), the channel allows {}",
          report.segments, report.max_part_length, report.length, report.max_parts);
      break;
  }
  return Status::resource_exhausted(std::move(message)).with_field("text");
}

}  // namespace omni
