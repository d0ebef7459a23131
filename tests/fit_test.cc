// Outbound fitting: SMS encoding and segments, X weighted length, code point limits and split
// plans. Expected figures are worked out by hand in the comments next to each check.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "omni/channel.h"
#include "omni/fit.h"

using namespace omni;

namespace {

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += s;
  return out;
}

FitReport fit(const std::string& text, const ChannelProfile& profile) {
  Result<FitReport> r = fit_text(text, profile);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::vector<std::uint32_t> part_lengths(const FitReport& report) {
  std::vector<std::uint32_t> out;
  for (const FitPart& p : report.parts)
    out.push_back(p.length);
  return out;
}

std::string joined(const FitReport& report) {
  std::string out;
  for (const FitPart& p : report.parts)
    out += p.text;
  return out;
}

const ChannelProfile kSms = default_profile(ChannelKind::kSms);

// U+1F468 U+200D U+1F469 U+200D U+1F467 U+200D U+1F466: four astral code points (2 UTF-16 units
// each) and three ZWJ (1 each) = 11 units, one grapheme cluster.
const std::string kFamily =
    "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D"
    "\xF0\x9F\x91\xA7\xE2\x80\x8D\xF0\x9F\x91\xA6";
const std::string kGrinning = "\xF0\x9F\x98\x80";  // U+1F600, 2 UTF-16 units

}  // namespace

TEST_CASE("encodings have stable names", "[fit]") {
  CHECK(to_string(TextEncoding::kGsm7) == "gsm7");
  CHECK(to_string(TextEncoding::kUcs2) == "ucs2");
  CHECK(to_string(TextEncoding::kUtf8) == "utf8");
}

TEST_CASE("plain ASCII SMS: 160 septets in one segment, 153 per concatenated segment", "[fit]") {
  FitReport one = fit(repeat("a", 160), kSms);
  CHECK(one.rule == LengthRule::kSmsSegments);
  CHECK(one.encoding == TextEncoding::kGsm7);
  CHECK(one.length == 160);
  CHECK(one.segments == 1);
  CHECK(one.max_length == 160);
  CHECK(one.max_part_length == 153);
  CHECK(one.max_parts == 10);
  CHECK(one.fits);
  CHECK(one.non_gsm_characters.empty());
  CHECK(part_lengths(one) == std::vector<std::uint32_t>{160});

  // 161 = 153 + 8.
  FitReport two = fit(repeat("a", 161), kSms);
  CHECK(two.length == 161);
  CHECK(two.segments == 2);
  CHECK(part_lengths(two) == std::vector<std::uint32_t>{153, 8});
  CHECK(joined(two) == repeat("a", 161));

  // 306 = 153 * 2 still two segments; 307 needs a third with one septet.
  CHECK(fit(repeat("a", 306), kSms).segments == 2);
  FitReport three = fit(repeat("a", 307), kSms);
  CHECK(three.segments == 3);
  CHECK(part_lengths(three) == std::vector<std::uint32_t>{153, 153, 1});

  // Empty: nothing to send, nothing to pay.
  FitReport empty = fit("", kSms);
  CHECK(empty.length == 0);
  CHECK(empty.segments == 0);
  CHECK(empty.parts.empty());
  CHECK(empty.fits);
}

TEST_CASE("GSM extension characters count two septets and never straddle segments", "[fit]") {
  // "Preis: 5" is 8 septets, the euro sign 2 (escape + 0x65): 10.
  FitReport euro = fit("Preis: 5\xE2\x82\xAC", kSms);
  CHECK(euro.encoding == TextEncoding::kGsm7);
  CHECK(euro.length == 10);

  // '[' 2 + 'x' 1 + ']' 2 = 5; '{', '}', '\\', '~', '^', '|' are extension characters too.
  CHECK(fit("[x]", kSms).length == 5);
  CHECK(fit("{}\\~^|", kSms).length == 12);

  // 80 brackets = 160 septets: one segment. One more 'a' makes 161: two segments, and the split
  // falls between brackets: 76 brackets (152 septets, a 77th would make 154) then 4 + 'a' = 9.
  CHECK(fit(repeat("[", 80), kSms).segments == 1);
  FitReport brackets = fit(repeat("[", 80) + "a", kSms);
  CHECK(brackets.segments == 2);
  CHECK(part_lengths(brackets) == std::vector<std::uint32_t>{152, 9});
  CHECK(brackets.parts[0].text == repeat("[", 76));

  // 152 + 2 + 152 = 306 septets would be 2 * 153, but the euro sign cannot start in septet 153
  // and end in the next segment: 152 | euro + 151 a = 153 | 1 a. Three segments.
  const std::string euro_sign = "\xE2\x82\xAC";
  FitReport straddle = fit(repeat("a", 152) + euro_sign + repeat("a", 152), kSms);
  CHECK(straddle.length == 306);
  CHECK(straddle.segments == 3);
  CHECK(part_lengths(straddle) == std::vector<std::uint32_t>{152, 153, 1});
  CHECK(straddle.parts[1].text.substr(0, 3) == euro_sign);
  CHECK(joined(straddle) == repeat("a", 152) + euro_sign + repeat("a", 152));

  // Shifted by one the euro sign ends segment 2 exactly: 153 | euro + 151 a = 153.
  FitReport aligned = fit(repeat("a", 153) + euro_sign + repeat("a", 151), kSms);
  CHECK(aligned.segments == 2);
  CHECK(part_lengths(aligned) == std::vector<std::uint32_t>{153, 153});
}

TEST_CASE("German umlauts stay GSM-7, other accents force UCS-2", "[fit]") {
  // G r ü ß e _ a u s _ K ö l n : _ Ä p f e l , _ Ö l _ & _ Ü b e r m u t ! = 36 characters,
  // every one in the basic table.
  FitReport german = fit("Grüße aus Köln: Äpfel, Öl & Übermut!", kSms);
  CHECK(german.encoding == TextEncoding::kGsm7);
  CHECK(german.length == 36);
  CHECK(german.non_gsm_characters.empty());

  // Capital Ç (0x09) and è are in the table: "Ça va? Très bien." = 17 septets.
  FitReport french = fit("Ça va? Très bien.", kSms);
  CHECK(french.encoding == TextEncoding::kGsm7);
  CHECK(french.length == 17);

  // Lower-case ç is not: UCS-2, 6 units for "Garçon".
  FitReport garcon = fit("Garçon", kSms);
  CHECK(garcon.encoding == TextEncoding::kUcs2);
  CHECK(garcon.length == 6);
  CHECK(garcon.max_length == 70);
  CHECK(garcon.max_part_length == 67);
  CHECK(garcon.non_gsm_characters == std::vector<std::string>{"ç"});

  // ê and û are not in the table; each is named once, in order of appearance. "fête, crème
  // brûlée, fête" is 24 characters, all in the BMP: 24 units.
  FitReport dessert = fit("fête, crème brûlée, fête", kSms);
  CHECK(dessert.encoding == TextEncoding::kUcs2);
  CHECK(dessert.length == 24);
  CHECK(dessert.non_gsm_characters == std::vector<std::string>{"ê", "û"});

  // The backtick is the one printable ASCII character outside GSM 03.38.
  FitReport tick = fit("run `ls`", kSms);
  CHECK(tick.encoding == TextEncoding::kUcs2);
  CHECK(tick.non_gsm_characters == std::vector<std::string>{"`"});

  // A decomposed é (e + U+0301) is not the GSM é: UCS-2, 2 units, reported as one character.
  FitReport decomposed = fit("e\xCC\x81", kSms);
  CHECK(decomposed.encoding == TextEncoding::kUcs2);
  CHECK(decomposed.length == 2);
  CHECK(decomposed.non_gsm_characters == std::vector<std::string>{"e\xCC\x81"});
}

TEST_CASE("UCS-2 SMS: 70 units in one segment, 67 per part, emoji count 2 and stay whole",
          "[fit]") {
  FitReport wave = fit("Hallo \xF0\x9F\x91\x8B", kSms);  // "Hallo " 6 + U+1F44B 2 = 8
  CHECK(wave.encoding == TextEncoding::kUcs2);
  CHECK(wave.length == 8);
  CHECK(wave.non_gsm_characters == std::vector<std::string>{"\xF0\x9F\x91\x8B"});

  CHECK(fit(repeat("ê", 70), kSms).segments == 1);
  FitReport seventy_one = fit(repeat("ê", 71), kSms);
  CHECK(seventy_one.segments == 2);
  CHECK(part_lengths(seventy_one) == std::vector<std::uint32_t>{67, 4});
  // 134 = 67 * 2 in two parts, 135 in three.
  CHECK(fit(repeat("ê", 134), kSms).segments == 2);
  CHECK(part_lengths(fit(repeat("ê", 135), kSms)) == std::vector<std::uint32_t>{67, 67, 1});

  // 68 + 2 = 70 units: one segment; 69 + 2 = 71: two, 67 | 2 ê + emoji = 4.
  CHECK(fit(repeat("ê", 68) + kGrinning, kSms).segments == 1);
  CHECK(part_lengths(fit(repeat("ê", 69) + kGrinning, kSms)) == std::vector<std::uint32_t>{67, 4});

  // 66 + 2 + 3 = 71: the surrogate pair would occupy units 67 and 68, so part 1 stops at 66.
  FitReport pair = fit(repeat("ê", 66) + kGrinning + repeat("ê", 3), kSms);
  CHECK(pair.segments == 2);
  CHECK(part_lengths(pair) == std::vector<std::uint32_t>{66, 5});
  CHECK(pair.parts[1].text == kGrinning + repeat("ê", 3));

  // 60 + 11 = 71: the family emoji (11 units) would not fit after 60 units (71 > 67), so it
  // moves to part 2 whole.
  FitReport family = fit(repeat("ê", 60) + kFamily, kSms);
  CHECK(family.length == 71);
  CHECK(family.segments == 2);
  CHECK(part_lengths(family) == std::vector<std::uint32_t>{60, 11});
  CHECK(family.parts[1].text == kFamily);

  // A single cluster longer than a part (e + 100 combining acute accents = 101 units) is cut
  // between code points: 67 | 34.
  const std::string zalgo = "e" + repeat("\xCC\x81", 100);
  FitReport cut = fit(zalgo, kSms);
  CHECK(cut.length == 101);
  CHECK(part_lengths(cut) == std::vector<std::uint32_t>{67, 34});
  CHECK(joined(cut) == zalgo);
}

TEST_CASE("Messenger and WhatsApp count code points and split at white space", "[fit]") {
  const ChannelProfile messenger = default_profile(ChannelKind::kMessenger);
  // 2000 ä are 4000 bytes but 2000 code points: fits.
  FitReport umlauts = fit(repeat("ä", 2000), messenger);
  CHECK(umlauts.rule == LengthRule::kUnicodeCharacters);
  CHECK(umlauts.encoding == TextEncoding::kUtf8);
  CHECK(umlauts.length == 2000);
  CHECK(umlauts.fits);
  CHECK(umlauts.segments == 1);
  CHECK(check_fit(umlauts).ok());

  // 2001 emoji: 2001 code points; 2000 | 1.
  FitReport emoji = fit(repeat(kGrinning, 2001), messenger);
  CHECK(emoji.length == 2001);
  CHECK_FALSE(emoji.fits);
  CHECK(part_lengths(emoji) == std::vector<std::uint32_t>{2000, 1});

  // "abcdef " is 7 code points; 286 of them + "end" = 2005. Greedy would cut after 2000 =
  // 285 * 7 + 5, inside the 286th word; the plan ends part 1 after the 285th space (1995) and
  // moves "abcdef end" (10) to part 2.
  const std::string words = repeat("abcdef ", 286) + "end";
  FitReport split = fit(words, messenger);
  CHECK(split.length == 2005);
  CHECK_FALSE(split.fits);
  CHECK(split.segments == 2);
  CHECK(part_lengths(split) == std::vector<std::uint32_t>{1995, 10});
  CHECK(split.parts[1].text == "abcdef end");
  CHECK(joined(split) == words);
  Status status = check_fit(split);
  CHECK(status.is(StatusCode::kResourceExhausted));
  CHECK(status.field() == "text");
  CHECK(status.message() ==
        "text needs 2 messages of at most 2000 characters (2005 characters), the channel "
        "allows 1");

  // A no-break space is no place to break: with 10 characters per message, "aaaa bbb<NBSP>cccc"
  // (13) breaks after the ordinary space: "aaaa " (5) | "bbb<NBSP>cccc" (8).
  ChannelProfile ten = messenger;
  ten.max_length = 10;
  ten.max_parts = 2;
  FitReport nbsp =
      fit("aaaa bbb\xC2\xA0"
          "cccc",
          ten);
  CHECK(nbsp.fits);
  CHECK(part_lengths(nbsp) == std::vector<std::uint32_t>{5, 8});
  CHECK(nbsp.parts.at(0).text == "aaaa ");

  const ChannelProfile whatsapp = default_profile(ChannelKind::kWhatsApp);
  CHECK(fit(repeat("x", 4096), whatsapp).fits);
  CHECK_FALSE(fit(repeat("x", 4097), whatsapp).fits);

  // No limit: one part whatever the length.
  FitReport email = fit(repeat("y", 10000), default_profile(ChannelKind::kEmail));
  CHECK(email.rule == LengthRule::kUnlimited);
  CHECK(email.length == 10000);
  CHECK(email.fits);
  CHECK(email.segments == 1);
}

TEST_CASE("X weighted length: CJK 2, URLs 23, emoji sequences 2, NFC first", "[fit]") {
  const ChannelProfile x = default_profile(ChannelKind::kXDirectMessage);
  // Five hiragana weigh 2 each (10), the space 1, the URL 23 however long: 34.
  FitReport cjk =
      fit("こんにちは https://example.com/a/very/long/path/that/goes/on/and/on?query=1&more=2", x);
  CHECK(cjk.rule == LengthRule::kTwitterWeighted);
  CHECK(cjk.length == 34);
  CHECK(cjk.fits);

  // "See " 4 + URL 23 + the sentence's full stop 1 = 28; "(" 1 + URL 23 + ")" 1 = 25.
  CHECK(fit("See https://example.com/x.", x).length == 28);
  CHECK(fit("(HTTP://example.com/x)", x).length == 25);
  // A bare scheme is not a URL: "http://" is 7 characters.
  CHECK(fit("http://", x).length == 7);

  // Thumbs up with a skin tone, the family and a red heart with VS16 are 2 each; "Hi " 3.
  CHECK(fit("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", x).length == 2);
  CHECK(fit(kFamily, x).length == 2);
  CHECK(fit("\xE2\x9D\xA4\xEF\xB8\x8F", x).length == 2);
  CHECK(fit("Hi \xF0\x9F\x91\x8B", x).length == 5);

  // Curly quotes (U+201C, U+201D) weigh 1, the ellipsis U+2026 is outside the light ranges: 2.
  // "“Hi”…" = 1 + 2 + 1 + 2 = 6.
  CHECK(fit("\xE2\x80\x9CHi\xE2\x80\x9D\xE2\x80\xA6", x).length == 6);

  // "cafe" + U+0301 is 5 code points but NFC makes it "café": 4, and the plan carries the NFC.
  FitReport cafe = fit("cafe\xCC\x81", x);
  CHECK(cafe.length == 4);
  CHECK(cafe.parts.at(0).text == "caf\xC3\xA9");

  // 140 CJK characters weigh exactly 280; one more is 282: 140 (280) | 1 (2).
  CHECK(fit(repeat("中", 140), x).fits);
  FitReport over = fit(repeat("中", 141), x);
  CHECK(over.length == 282);
  CHECK_FALSE(over.fits);
  CHECK(part_lengths(over) == std::vector<std::uint32_t>{280, 2});
  CHECK(check_fit(over).message() ==
        "text needs 2 posts of at most 280 weighted characters (weighted length 282), the "
        "channel allows 1");
}

TEST_CASE("more SMS segments than the channel allows: reported, and check_fit says why", "[fit]") {
  ChannelProfile three = kSms;
  three.max_parts = 3;
  // 460 = 3 * 153 + 1: four segments.
  FitReport report = fit(repeat("a", 460), three);
  CHECK(report.segments == 4);
  CHECK(report.max_parts == 3);
  CHECK_FALSE(report.fits);
  CHECK(report.parts.size() == 4);
  Status status = check_fit(report);
  CHECK(status.is(StatusCode::kResourceExhausted));
  CHECK(status.field() == "text");
  CHECK(status.message() == "text needs 4 SMS segments (GSM-7, 460 septets), the channel allows 3");

  // UCS-2 wording: 202 = 3 * 67 + 1 units.
  FitReport ucs2 = fit(repeat("ê", 202), three);
  CHECK(ucs2.segments == 4);
  CHECK(check_fit(ucs2).message() ==
        "text needs 4 SMS segments (UCS-2, 202 UTF-16 units), the channel allows 3");

  // The default SMS profile allows 10 concatenated segments: 1530 septets fit, 1531 do not.
  CHECK(fit(repeat("a", 1530), kSms).fits);
  FitReport eleven = fit(repeat("a", 1531), kSms);
  CHECK(eleven.segments == 11);
  CHECK_FALSE(eleven.fits);
  CHECK(check_fit(fit("ok", kSms)).ok());
}

TEST_CASE("malformed UTF-8 is refused", "[fit]") {
  for (const ChannelProfile& profile :
       {kSms, default_profile(ChannelKind::kMessenger),
        default_profile(ChannelKind::kXDirectMessage), default_profile(ChannelKind::kEmail)}) {
    for (const char* bad : {"\xC3\x28", "\xED\xA0\x80", "abc\xFF", "\xE2\x82", "\xC0\xAF"}) {
      INFO(bad);
      Result<FitReport> r = fit_text(bad, profile);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().is(StatusCode::kInvalidArgument));
      CHECK(r.status().field() == "text");
    }
  }
}
