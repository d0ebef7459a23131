// The knowledge base's text folding (omni/knowledge.h): what every store compares.
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <string>
#include <unordered_set>

#include "omni/knowledge.h"

namespace omni {
namespace {

constexpr std::size_t kMaxTermBytes = 64;

// Case folded (full: "ß" -> "ss"), decomposed and without nonspacing marks (diacritics).
icu::UnicodeString fold(std::string_view text) {
  icu::UnicodeString s = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  s.foldCase(U_FOLD_CASE_DEFAULT);
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(error);
  if (U_SUCCESS(error)) {
    icu::UnicodeString decomposed = nfd->normalize(s, error);
    if (U_SUCCESS(error)) s = decomposed;
  }
  icu::UnicodeString out;
  for (int32_t i = 0; i < s.length();) {
    const UChar32 c = s.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) != U_NON_SPACING_MARK) out.append(c);
  }
  return out;
}

std::string to_utf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

// The German transliteration of one character, or nullptr.
const char* transliteration(UChar32 c) {
  switch (c) {
    case 0x00E4:
      return "ae";
    case 0x00C4:
      return "Ae";
    case 0x00F6:
      return "oe";
    case 0x00D6:
      return "Oe";
    case 0x00FC:
      return "ue";
    case 0x00DC:
      return "Ue";
    case 0x00DF:
    case 0x1E9E:
      return "ss";
    default:
      return nullptr;
  }
}

}  // namespace

std::vector<std::string> search_terms(std::string_view text, std::size_t max_terms) {
  std::vector<std::string> terms;
  std::unordered_set<std::string> seen;
  const icu::UnicodeString folded = fold(text);
  icu::UnicodeString word;
  auto flush = [&] {
    if (word.isEmpty()) return;
    std::string term = to_utf8(word);
    word.remove();
    if (term.size() > kMaxTermBytes || terms.size() >= max_terms) return;
    if (seen.insert(term).second) terms.push_back(std::move(term));
  };
  for (int32_t i = 0; i < folded.length() && terms.size() < max_terms;) {
    const UChar32 c = folded.char32At(i);
    i += U16_LENGTH(c);
    if (u_isalnum(c)) {
      word.append(c);
    } else {
      flush();
    }
  }
  flush();
  return terms;
}

std::string search_alternates(std::string_view text) {
  const icu::UnicodeString s = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  std::string out;
  icu::UnicodeString word;
  auto flush = [&] {
    if (word.isEmpty()) return;
    // Two spellings: ß -> ss (umlauts kept; the index folds them to a, o, u) and the full
    // transliteration (ä -> ae, ...). Each is added when it differs from the word.
    icu::UnicodeString sharp_s, transliterated;
    bool has_sharp_s = false, has_any = false;
    for (int32_t i = 0; i < word.length();) {
      const UChar32 c = word.char32At(i);
      i += U16_LENGTH(c);
      const char* t = transliteration(c);
      if (t == nullptr) {
        sharp_s.append(c);
        transliterated.append(c);
        continue;
      }
      has_any = true;
      transliterated.append(icu::UnicodeString(t, -1, icu::UnicodeString::kInvariant));
      if (c == 0x00DF || c == 0x1E9E) {
        has_sharp_s = true;
        sharp_s.append(icu::UnicodeString("ss", -1, icu::UnicodeString::kInvariant));
      } else {
        sharp_s.append(c);
      }
    }
    word.remove();
    if (!has_any) return;
    for (const icu::UnicodeString* variant : {has_sharp_s ? &sharp_s : nullptr, &transliterated}) {
      if (variant == nullptr) continue;
      if (variant == &transliterated && has_sharp_s && transliterated == sharp_s) continue;
      if (!out.empty()) out += ' ';
      out += to_utf8(*variant);
    }
  };
  for (int32_t i = 0; i < s.length();) {
    const UChar32 c = s.char32At(i);
    i += U16_LENGTH(c);
    if (u_isalnum(c) || u_charType(c) == U_NON_SPACING_MARK) {
      word.append(c);
    } else {
      flush();
    }
  }
  flush();
  return out;
}

}  // namespace omni
