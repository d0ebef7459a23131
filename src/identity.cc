#include "identity.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/bytestream.h>
#include <unicode/idna.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "internal/macros.h"

namespace omni::detail {
namespace {

constexpr std::size_t kMaxIdentityBytes = 320;
constexpr std::size_t kMaxScopeBytes = 256;

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

bool has_control_or_space(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x21 || u == 0x7f;
  });
}

Status invalid(IdentityKind kind, std::string_view why, const char* field = "from.value") {
  return Status::invalid_argument(std::string(to_string(kind)) + " identity: " + std::string(why))
      .with_field(field);
}

// ICU works in UTF-16; these convert at the boundary.
icu::UnicodeString from_utf8(std::string_view text) {
  return icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
}
std::string to_utf8(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

// UTS #46 processing of a domain to its ASCII (punycode) form, lower-cased: "MÜNCHEN.de" and
// "xn--mnchen-3ya.de" are the same domain.
Result<std::string> domain_to_ascii(std::string_view domain) {
  UErrorCode error = U_ZERO_ERROR;
  std::unique_ptr<icu::IDNA> idna(icu::IDNA::createUTS46Instance(
      UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_CHECK_BIDI | UIDNA_USE_STD3_RULES, error));
  if (U_FAILURE(error)) return Status::internal(std::string("ICU IDNA: ") + u_errorName(error));
  std::string ascii;
  icu::StringByteSink<std::string> sink(&ascii);
  icu::IDNAInfo info;
  idna->nameToASCII_UTF8(icu::StringPiece(domain.data(), static_cast<int32_t>(domain.size())), sink,
                         info, error);
  if (U_FAILURE(error) || info.hasErrors()) {
    return invalid(IdentityKind::kEmail,
                   "the domain is not a valid (internationalized) domain name");
  }
  return ascii;
}

}  // namespace

}  // namespace omni::detail

namespace omni {

Result<NormalizedEmail> normalize_email_address(std::string_view raw, bool fold_local_part) {
  using detail::domain_to_ascii;
  using detail::from_utf8;
  using detail::has_control_or_space;
  using detail::invalid;
  using detail::to_utf8;
  using detail::trim;
  NormalizedEmail out;
  std::string* display_name = &out.display_name;
  raw = trim(raw);
  // "Anna Schmidt <Anna@Example.COM>" -> the address inside the angle brackets.
  auto open = raw.rfind('<');
  if (open != std::string_view::npos) {
    auto close = raw.find('>', open);
    if (close == std::string_view::npos || trim(raw.substr(close + 1)).size() != 0) {
      return invalid(IdentityKind::kEmail, "unbalanced angle brackets");
    }
    if (display_name) {
      std::string_view name = trim(raw.substr(0, open));
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
        name = trim(name.substr(1, name.size() - 2));
      }
      *display_name = std::string(name);
    }
    raw = trim(raw.substr(open + 1, close - open - 1));
  }
  if (has_control_or_space(raw)) {
    return invalid(IdentityKind::kEmail, "address contains spaces or control characters");
  }
  // Unicode NFC first, so "Jo\u0308rg" and "J\u00f6rg" are one address.
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(error);
  if (U_FAILURE(error)) return Status::internal(std::string("ICU NFC: ") + u_errorName(error));
  icu::UnicodeString address = nfc->normalize(from_utf8(raw), error);
  if (U_FAILURE(error)) return invalid(IdentityKind::kEmail, "the address cannot be normalized");
  const int32_t at = address.lastIndexOf(u'@');
  if (at < 0) return invalid(IdentityKind::kEmail, "no '@' in address");
  icu::UnicodeString local(address, 0, at);
  const std::string domain = to_utf8(icu::UnicodeString(address, at + 1));
  if (local.isEmpty()) return invalid(IdentityKind::kEmail, "the local part is empty");
  if (domain.empty() || domain.size() > 253)
    return invalid(IdentityKind::kEmail, "malformed domain");
  OMNI_ASSIGN_OR_RETURN(std::string ascii_domain, domain_to_ascii(domain));
  if (fold_local_part) local.foldCase();
  std::string local_utf8 = to_utf8(local);
  if (local_utf8.size() > 64)
    return invalid(IdentityKind::kEmail, "local part is longer than 64 bytes");
  out.address = local_utf8 + "@" + ascii_domain;
  return out;
}

Result<std::string> normalize_phone_number(std::string_view raw, const std::string& region) {
  using detail::invalid;
  using detail::trim;
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const std::string text(trim(raw));
  auto parse = [&](const std::string& input,
                   const std::string& in_region) -> std::optional<PhoneNumber> {
    PhoneNumber number;
    if (util.Parse(input, in_region, &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
      return std::nullopt;
    }
    if (!util.IsValidNumber(number)) return std::nullopt;
    return number;
  };
  // Digits only, without a leading 0: outside the North American plan (where national numbers
  // have no trunk prefix) nobody writes a national number that way, but a WhatsApp wa_id is
  // exactly that: the international number without '+' ("4915112345678"). Read it as
  // international first there, and nationally first in +1 regions.
  const bool bare_digits =
      !text.empty() && text.front() != '0' &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const bool national_first = !bare_digits || util.GetCountryCodeForRegion(region) == 1;
  std::string international;  // built by hand: GCC 12's -Wrestrict misfires on "+" + text
  international.reserve(text.size() + 1);
  international.push_back('+');
  international.append(text);
  std::optional<PhoneNumber> number =
      national_first ? parse(text, region) : parse(international, "ZZ");
  if (!number && bare_digits) {
    number = national_first ? parse(international, "ZZ") : parse(text, region);
  }
  if (!number) {
    return invalid(IdentityKind::kPhone,
                   fmt::format("'{}' is not a valid phone number (default region {})",
                               text.substr(0, 40), region));
  }
  std::string e164;
  util.Format(*number, PhoneNumberUtil::E164, &e164);
  return e164;
}

std::string customer_name_key(std::string_view display_name) {
  if (display_name.find('@') != std::string_view::npos) return {};
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(error);
  if (U_FAILURE(error)) return {};
  icu::UnicodeString decomposed = nfd->normalize(detail::from_utf8(display_name), error);
  if (U_FAILURE(error)) return {};
  std::vector<icu::UnicodeString> words(1);
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_isdigit(c)) return {};                        // a phone number or an id, not a name
    if (u_charType(c) == U_NON_SPACING_MARK) continue;  // the accent of a decomposed letter
    if (u_isalpha(c)) {
      words.back().append(c);
    } else if (!words.back().isEmpty()) {
      words.emplace_back();
    }
  }
  if (words.back().isEmpty()) words.pop_back();
  if (words.size() < 2) return {};
  std::vector<std::string> folded;
  folded.reserve(words.size());
  for (auto& word : words)
    folded.push_back(detail::to_utf8(word.foldCase()));
  std::sort(folded.begin(), folded.end());
  std::string key;
  for (const auto& word : folded) {
    if (!key.empty()) key.push_back(' ');
    key += word;
  }
  return key;
}

}  // namespace omni

namespace omni::detail {

std::vector<std::string> phone_numbers_in_text(std::string_view text, const std::string& region,
                                               std::size_t max_numbers) {
  using i18n::phonenumbers::PhoneNumberMatch;
  using i18n::phonenumbers::PhoneNumberMatcher;
  using i18n::phonenumbers::PhoneNumberUtil;
  std::vector<std::string> numbers;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  // VALID: the number must be a valid number for its region; no fuzzy grouping guesses.
  PhoneNumberMatcher matcher(util, std::string(text), region, PhoneNumberMatcher::VALID,
                             static_cast<int>(max_numbers) * 4);
  PhoneNumberMatch match;
  while (numbers.size() < max_numbers && matcher.HasNext() && matcher.Next(&match)) {
    std::string e164;
    util.Format(match.number(), PhoneNumberUtil::E164, &e164);
    if (std::find(numbers.begin(), numbers.end(), e164) == numbers.end()) {
      numbers.push_back(std::move(e164));
    }
  }
  return numbers;
}

std::vector<std::string> email_addresses_in_text(std::string_view text, bool fold_local_part,
                                                 std::size_t max_addresses) {
  // Tokens around an '@' that normalize_email_address accepts; the normalizer, not this scan,
  // decides what an address is.
  auto is_delimiter = [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || c == '<' || c == '>' || c == '(' || c == ')' || c == '[' || c == ']' ||
           c == ',' || c == ';' || c == ':' || c == '"' || c == '\'';
  };
  std::vector<std::string> addresses;
  for (std::size_t at = text.find('@');
       at != std::string_view::npos && addresses.size() < max_addresses;
       at = text.find('@', at + 1)) {
    std::size_t begin = at;
    while (begin > 0 && !is_delimiter(text[begin - 1]))
      --begin;
    std::size_t end = at + 1;
    while (end < text.size() && !is_delimiter(text[end]))
      ++end;
    while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == '!' || text[end - 1] == '?'))
      --end;  // the full stop that ends the sentence
    if (begin == at || end == at + 1) continue;
    auto normalized = normalize_email_address(text.substr(begin, end - begin), fold_local_part);
    if (!normalized.ok() ||
        normalized->address.find('.', normalized->address.find('@')) == std::string::npos) {
      continue;  // "user@localhost" is no customer's address
    }
    if (std::find(addresses.begin(), addresses.end(), normalized->address) == addresses.end()) {
      addresses.push_back(std::move(normalized->address));
    }
  }
  return addresses;
}

std::string phone_region_of(std::string_view e164) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) return {};
  std::string region;
  util.GetRegionCodeForNumber(number, &region);
  return region;
}

Result<NormalizedIdentity> normalize_identity(const IdentityInput& input,
                                              const NormalizationPolicy& policy) {
  std::string_view value = trim(input.value);
  std::string_view scope = trim(input.scope);
  if (value.empty()) return invalid(input.kind, "value is empty");
  if (value.size() > kMaxIdentityBytes)
    return invalid(input.kind, "value is longer than 320 bytes");
  if (scope.size() > kMaxScopeBytes)
    return invalid(input.kind, "scope is longer than 256 bytes", "from.scope");
  if (!is_valid_utf8(value)) return invalid(input.kind, "not valid UTF-8");
  if (!is_valid_utf8(scope)) return invalid(input.kind, "scope is not valid UTF-8", "from.scope");
  if (has_control_or_space(scope)) {
    return invalid(input.kind, "scope contains spaces", "from.scope");
  }

  NormalizedIdentity out{input.kind, std::string(scope), {}, {}};
  // Phone numbers and email addresses go through libphonenumber and ICU; remember the result.
  std::string key;
  if (policy.cache && (input.kind == IdentityKind::kPhone || input.kind == IdentityKind::kEmail) &&
      scope.empty()) {
    key = input.kind == IdentityKind::kPhone
              ? "p|" + policy.default_region
              : std::string(policy.email_local_part_case_insensitive ? "e|f" : "e|k");
    key.push_back('|');
    key.append(value);
    if (auto cached = policy.cache->find(key)) {
      out.value = std::move(cached->value);
      out.display_name = std::move(cached->display_name);
      return out;
    }
  }
  switch (input.kind) {
    case IdentityKind::kEmail: {
      if (!scope.empty()) {
        return invalid(input.kind, "email identities take no scope", "from.scope");
      }
      OMNI_ASSIGN_OR_RETURN(
          NormalizedEmail email,
          normalize_email_address(value, policy.email_local_part_case_insensitive));
      out.value = std::move(email.address);
      out.display_name = std::move(email.display_name);
      if (!key.empty()) policy.cache->insert(key, {out.value, out.display_name});
      break;
    }
    case IdentityKind::kPhone: {
      if (!scope.empty()) {
        return invalid(input.kind, "phone identities take no scope", "from.scope");
      }
      OMNI_ASSIGN_OR_RETURN(out.value, normalize_phone_number(value, policy.default_region));
      if (!key.empty()) policy.cache->insert(key, {out.value, {}});
      break;
    }
    case IdentityKind::kMessengerPsid:
    case IdentityKind::kInstagramId:
      if (scope.empty()) {
        return invalid(input.kind, "scope (the page or account id) is required", "from.scope");
      }
      [[fallthrough]];
    default:
      if (has_control_or_space(value)) return invalid(input.kind, "value contains spaces");
      out.value = std::string(value);
      break;
  }
  return out;
}

}  // namespace omni::detail
