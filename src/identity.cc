#include "identity.h"

#include <algorithm>
#include <cctype>

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

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status invalid(IdentityKind kind, std::string_view why, const char* field = "from.value") {
  return Status::invalid_argument(std::string(to_string(kind)) + " identity: " + std::string(why))
      .with_field(field);
}

Result<std::string> normalize_email(std::string_view raw) {
  // "Anna Schmidt <Anna@Example.COM>" -> the address inside the angle brackets.
  auto open = raw.rfind('<');
  if (open != std::string_view::npos) {
    auto close = raw.find('>', open);
    if (close == std::string_view::npos || trim(raw.substr(close + 1)).size() != 0) {
      return invalid(IdentityKind::kEmail, "unbalanced angle brackets");
    }
    raw = trim(raw.substr(open + 1, close - open - 1));
  }
  if (has_control_or_space(raw)) {
    return invalid(IdentityKind::kEmail, "address contains spaces or control characters");
  }
  auto at = raw.rfind('@');
  if (at == std::string_view::npos) return invalid(IdentityKind::kEmail, "no '@' in address");
  std::string_view local = raw.substr(0, at);
  std::string_view domain = raw.substr(at + 1);
  if (local.empty() || local.size() > 64) {
    return invalid(IdentityKind::kEmail, "local part must be 1 to 64 bytes");
  }
  if (domain.empty() || domain.size() > 253 || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos || domain.find('@') != std::string_view::npos) {
    return invalid(IdentityKind::kEmail, "malformed domain");
  }
  // Local parts are compared case-insensitively (what every major provider does); domains are
  // case-insensitive by definition.
  return ascii_lower(local) + "@" + ascii_lower(domain);
}

Result<std::string> normalize_phone(std::string_view raw) {
  std::string digits;
  bool plus = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && i == 0) {
      plus = true;
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/') {
      continue;
    } else {
      return invalid(IdentityKind::kPhone, "unexpected character in phone number");
    }
  }
  if (!plus) {
    if (digits.size() > 2 && digits.compare(0, 2, "00") == 0) {
      digits.erase(0, 2);  // international call prefix
    } else {
      return invalid(IdentityKind::kPhone,
                     "number must be international: '+' or '00' then the country code");
    }
  }
  if (digits.size() < 8 || digits.size() > 15 || digits.front() == '0') {
    return invalid(IdentityKind::kPhone, "an E.164 number has 8 to 15 digits after '+'");
  }
  return "+" + digits;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  return text.substr(0, end);
}

Result<NormalizedIdentity> normalize_identity(const IdentityInput& input) {
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
  switch (input.kind) {
    case IdentityKind::kEmail: {
      if (auto open = value.rfind('<'); open != std::string_view::npos) {
        std::string_view name = trim(value.substr(0, open));
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
          name = trim(name.substr(1, name.size() - 2));
        }
        out.display_name = std::string(name);
      }
      if (!scope.empty()) {
        return invalid(input.kind, "email identities take no scope", "from.scope");
      }
      auto email = normalize_email(value);
      if (!email.ok()) return email.status();
      out.value = std::move(*email);
      break;
    }
    case IdentityKind::kPhone: {
      if (!scope.empty()) {
        return invalid(input.kind, "phone identities take no scope", "from.scope");
      }
      auto phone = normalize_phone(value);
      if (!phone.ok()) return phone.status();
      out.value = std::move(*phone);
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
