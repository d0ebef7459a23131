// Reply templates: placeholder syntax, validation, variant choice and escaped rendering.
#include "omni/templates.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "identity.h"  // detail::is_valid_utf8

namespace omni {
namespace {

constexpr std::size_t kMaxKey = 64;
constexpr std::size_t kMaxDescription = 1024;
constexpr std::size_t kMaxSubject = 1024;
constexpr std::size_t kMaxBody = 64 * 1024;
constexpr std::size_t kMaxVariants = 64;
constexpr std::size_t kMaxLanguage = 35;

// ---------------------------------------------------------------------------------------------
// Placeholder syntax.

// A run of literal text or one placeholder, as the template author wrote it.
struct Segment {
  bool placeholder = false;
  std::string text;  // literal text ("{{{{" already turned into "{{"), or the placeholder name
  std::optional<std::string> fallback;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return is_lower(c) || (c >= 'A' && c <= 'Z');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// Why `name` is not a placeholder name; empty when it is one.
std::string name_problem(std::string_view name) {
  for (char c : name) {
    if (!is_lower(c) && !is_digit(c) && c != '_' && c != '.') {
      // A byte of a multi-byte character alone would be malformed UTF-8 in the message.
      const auto byte = static_cast<unsigned char>(c);
      const std::string shown =
          byte >= 0x20 && byte < 0x7F ? fmt::format("'{}'", c) : fmt::format("byte 0x{:02X}", byte);
      return fmt::format("{} is not allowed (use a-z, 0-9, '_' and '.')", shown);
    }
  }
  if (!is_lower(name.front())) return "must start with a letter a-z";
  if (name.back() == '.') return "must not end with '.'";
  if (name.find("..") != std::string_view::npos) return "has an empty segment (\"..\")";
  return {};
}

Result<std::vector<Segment>> parse(std::string_view text) {
  std::vector<Segment> out;
  auto literal = [&out](std::string_view s) {
    if (s.empty()) return;
    if (out.empty() || out.back().placeholder) out.push_back(Segment{});
    out.back().text.append(s);
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("{{", i);
    if (open == std::string_view::npos) {
      literal(text.substr(i));
      break;
    }
    literal(text.substr(i, open - i));
    if (text.substr(open, 4) == "{{{{") {
      literal("{{");
      i = open + 4;
      continue;
    }
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Status::invalid_argument(fmt::format("unclosed \"{{{{\" at byte {}", open))
          .with_field("text");
    }
    std::string_view inner = text.substr(open + 2, close - open - 2);
    Segment placeholder;
    placeholder.placeholder = true;
    if (std::size_t bar = inner.find('|'); bar != std::string_view::npos) {
      placeholder.fallback = std::string(trim(inner.substr(bar + 1)));
      inner = inner.substr(0, bar);
    }
    const std::string_view name = trim(inner);
    if (name.empty()) {
      return Status::invalid_argument(fmt::format("empty placeholder name at byte {}", open))
          .with_field("text");
    }
    if (std::string problem = name_problem(name); !problem.empty()) {
      return Status::invalid_argument(
                 fmt::format("placeholder name \"{}\" at byte {}: {}", name, open, problem))
          .with_field("text");
    }
    placeholder.text = std::string(name);
    out.push_back(std::move(placeholder));
    i = close + 2;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Escaping of values.

// Drops control characters (C0 but LF and TAB, DEL, C1), turns CRLF and CR into LF and, for one
// line, LF and TAB into a space. `value` is valid UTF-8, so C1 code points are exactly the byte
// pairs C2 80..C2 9F.
std::string clean(std::string_view value, bool single_line) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '\r') {
      if (i + 1 < value.size() && value[i + 1] == '\n') ++i;
      out.push_back(single_line ? ' ' : '\n');
    } else if (c == '\n' || c == '\t') {
      out.push_back(single_line ? ' ' : static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7F) {
      // dropped
    } else if (c == 0xC2 && i + 1 < value.size() &&
               static_cast<unsigned char>(value[i + 1]) <= 0x9F) {
      ++i;  // C1 control, dropped
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

void append_escaped(std::string& out, std::string_view value, TextFormat format, bool single_line) {
  const std::string cleaned = clean(value, single_line);
  switch (format) {
    case TextFormat::kPlain:
      out += cleaned;
      return;
    case TextFormat::kHtml:
      for (char c : cleaned) {
        switch (c) {
          case '&':
            out += "&amp;";
            break;
          case '<':
            out += "&lt;";
            break;
          case '>':
            out += "&gt;";
            break;
          case '"':
            out += "&quot;";
            break;
          case '\'':
            out += "&#39;";
            break;
          default:
            out.push_back(c);
        }
      }
      return;
    case TextFormat::kTelegramMarkdownV2:
      // https://core.telegram.org/bots/api#markdownv2-style: each of these must be escaped.
      for (char c : cleaned) {
        if (std::string_view("_*[]()~`>#+-=|{}.!\\").find(c) != std::string_view::npos) {
          out.push_back('\\');
        }
        out.push_back(c);
      }
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Languages.

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool same_tag(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view primary_subtag(std::string_view tag) {
  return tag.substr(0, tag.find('-'));
}

// Why `tag` is not a usable BCP 47 tag; empty when it is one. Deliberately shallow: subtags are
// not checked against the IANA registry, only their shape.
std::string language_problem(std::string_view tag) {
  if (tag.empty()) return "is empty";
  if (tag.size() < 2 || tag.size() > kMaxLanguage) {
    return fmt::format("\"{}\" must be 2 to {} characters long", tag, kMaxLanguage);
  }
  std::size_t start = 0;
  while (start <= tag.size()) {
    std::size_t end = tag.find('-', start);
    if (end == std::string_view::npos) end = tag.size();
    const std::string_view subtag = tag.substr(start, end - start);
    if (subtag.empty() || subtag.size() > 8) {
      return fmt::format("\"{}\" has a subtag that is empty or longer than 8 characters", tag);
    }
    for (char c : subtag) {
      if (!is_alpha(c) && !is_digit(c)) {
        return fmt::format("\"{}\" may hold only letters, digits and '-'", tag);
      }
    }
    start = end + 1;
  }
  const std::string_view primary = primary_subtag(tag);
  if (primary.size() < 2 || primary.size() > 3 ||
      !std::all_of(primary.begin(), primary.end(), is_alpha)) {
    return fmt::format("\"{}\" must start with a language subtag of 2 or 3 letters", tag);
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Variant choice.

struct Match {
  std::size_t index = 0;
  bool exact = true;  // false: the request's primary subtag matched ("de-AT" found "de")
};

// The first variant of `kind` (nullopt: generic) in `language`, preferring an exact tag over a
// variant tagged with the request's primary subtag.
std::optional<Match> find_variant(const ReplyTemplate& t, std::optional<ChannelKind> kind,
                                  std::string_view language) {
  const std::string_view primary = primary_subtag(language);
  std::optional<Match> by_primary;
  for (std::size_t i = 0; i < t.variants.size(); ++i) {
    const TemplateVariant& v = t.variants[i];
    if (v.channel_kind != kind) continue;
    if (same_tag(v.language, language)) return Match{i, true};
    if (!by_primary && primary.size() < language.size() && same_tag(v.language, primary)) {
      by_primary = Match{i, false};
    }
  }
  return by_primary;
}

bool has_language(const ReplyTemplate& t, std::string_view language) {
  return std::any_of(t.variants.begin(), t.variants.end(), [&](const TemplateVariant& v) {
    return same_tag(v.language, language) || same_tag(v.language, primary_subtag(language));
  });
}

std::string variant_name(std::optional<ChannelKind> kind) {
  return kind ? fmt::format("{} variant", to_string(*kind)) : std::string("generic variant");
}

}  // namespace

std::string_view to_string(TextFormat format) {
  switch (format) {
    case TextFormat::kPlain:
      return "plain";
    case TextFormat::kHtml:
      return "html";
    case TextFormat::kTelegramMarkdownV2:
      return "telegram_markdown_v2";
  }
  return "plain";
}

std::optional<TextFormat> parse_text_format(std::string_view name) {
  for (TextFormat f : {TextFormat::kPlain, TextFormat::kHtml, TextFormat::kTelegramMarkdownV2}) {
    if (to_string(f) == name) return f;
  }
  return std::nullopt;
}

Result<std::vector<std::string>> template_placeholders(std::string_view text) {
  auto segments = parse(text);
  if (!segments.ok()) return segments.status();
  std::vector<std::string> names;
  for (const Segment& s : *segments) {
    if (s.placeholder && std::find(names.begin(), names.end(), s.text) == names.end()) {
      names.push_back(s.text);
    }
  }
  return names;
}

Status validate_template(const ReplyTemplate& t) {
  if (t.key.empty() || t.key.size() > kMaxKey) {
    return Status::invalid_argument(fmt::format("key must be 1 to {} characters long", kMaxKey))
        .with_field("key");
  }
  for (char c : t.key) {
    if (!is_lower(c) && !is_digit(c) && c != '_' && c != '-' && c != '.') {
      return Status::invalid_argument(
                 fmt::format("key \"{}\": only a-z, 0-9, '_', '-' and '.' are allowed", t.key))
          .with_field("key");
    }
  }
  if (t.description.size() > kMaxDescription) {
    return Status::resource_exhausted(
               fmt::format("description is longer than {} bytes", kMaxDescription))
        .with_field("description");
  }
  if (!detail::is_valid_utf8(t.description)) {
    return Status::invalid_argument("description is not valid UTF-8").with_field("description");
  }
  if (std::string problem = language_problem(t.default_language); !problem.empty()) {
    return Status::invalid_argument("default language " + problem).with_field("default_language");
  }
  if (t.variants.empty()) {
    return Status::invalid_argument("a template needs at least one variant").with_field("variants");
  }
  if (t.variants.size() > kMaxVariants) {
    return Status::resource_exhausted(fmt::format("more than {} variants", kMaxVariants))
        .with_field("variants");
  }
  for (std::size_t i = 0; i < t.variants.size(); ++i) {
    const TemplateVariant& v = t.variants[i];
    const std::string prefix = fmt::format("variants[{}]", i);
    if (std::string problem = language_problem(v.language); !problem.empty()) {
      return Status::invalid_argument("language " + problem).with_field(prefix + ".language");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (t.variants[j].channel_kind == v.channel_kind &&
          same_tag(t.variants[j].language, v.language)) {
        return Status::invalid_argument(fmt::format("variants[{}] is already the {} in \"{}\"", j,
                                                    variant_name(v.channel_kind),
                                                    t.variants[j].language))
            .with_field(prefix);
      }
    }
    if (v.subject.size() > kMaxSubject) {
      return Status::resource_exhausted(fmt::format("subject is longer than {} bytes", kMaxSubject))
          .with_field(prefix + ".subject");
    }
    if (!detail::is_valid_utf8(v.subject)) {
      return Status::invalid_argument("subject is not valid UTF-8").with_field(prefix + ".subject");
    }
    if (v.subject.find_first_of("\r\n") != std::string::npos) {
      return Status::invalid_argument("subject must be one line (no CR or LF)")
          .with_field(prefix + ".subject");
    }
    if (auto parsed = parse(v.subject); !parsed.ok()) {
      return Status(parsed.status().code(), parsed.status().message())
          .with_field(prefix + ".subject");
    }
    if (v.body.empty()) {
      return Status::invalid_argument("body is empty").with_field(prefix + ".body");
    }
    if (v.body.size() > kMaxBody) {
      return Status::resource_exhausted(fmt::format("body is longer than {} bytes", kMaxBody))
          .with_field(prefix + ".body");
    }
    if (!detail::is_valid_utf8(v.body)) {
      return Status::invalid_argument("body is not valid UTF-8").with_field(prefix + ".body");
    }
    if (auto parsed = parse(v.body); !parsed.ok()) {
      return Status(parsed.status().code(), parsed.status().message()).with_field(prefix + ".body");
    }
  }
  return Status::ok_status();
}

Result<std::size_t> pick_variant(const ReplyTemplate& t, ChannelKind kind,
                                 std::string_view language, std::vector<std::string>* reasons) {
  if (t.variants.empty()) {
    return Status::not_found(fmt::format("template \"{}\" has no variants", t.key));
  }
  std::vector<std::string> local;
  std::vector<std::string>& why = reasons ? *reasons : local;
  const std::string own = variant_name(kind);

  // Steps 1-4: the kind's own variant, then the generic one, in `language`, then in the default
  // language. A match through the primary subtag is a fallback worth telling.
  auto try_language = [&](std::string_view wanted) -> std::optional<std::size_t> {
    if (auto m = find_variant(t, kind, wanted)) {
      if (!m->exact) {
        why.push_back(fmt::format("no {} in \"{}\": using the {} in \"{}\"", own, wanted, own,
                                  t.variants[m->index].language));
      }
      return m->index;
    }
    if (auto m = find_variant(t, std::nullopt, wanted)) {
      why.push_back(fmt::format("no {} in \"{}\": using the generic variant in \"{}\"", own, wanted,
                                t.variants[m->index].language));
      return m->index;
    }
    return std::nullopt;
  };

  std::string missing;  // the languages tried without success, for the reasons
  if (!language.empty()) {
    if (auto index = try_language(language)) return *index;
    missing = fmt::format("\"{}\"", language);
  }
  if (language.empty() || !same_tag(language, t.default_language)) {
    if (find_variant(t, kind, t.default_language) ||
        find_variant(t, std::nullopt, t.default_language)) {
      if (!language.empty()) {
        why.push_back(has_language(t, language)
                          ? fmt::format("no {} or generic variant in \"{}\": using the default "
                                        "language \"{}\"",
                                        to_string(kind), language, t.default_language)
                          : fmt::format("no variant in \"{}\": using the default language \"{}\"",
                                        language, t.default_language));
      }
      return *try_language(t.default_language);
    }
    missing += missing.empty()
                   ? fmt::format("the default language \"{}\"", t.default_language)
                   : fmt::format(" nor in the default language \"{}\"", t.default_language);
  }

  // Step 5: the kind's own variant in any language, else the first variant listed.
  std::size_t index = 0;
  for (std::size_t i = 0; i < t.variants.size(); ++i) {
    if (t.variants[i].channel_kind == kind) {
      index = i;
      break;
    }
  }
  why.push_back(fmt::format("no {} or generic variant in {}: using the {} in \"{}\"",
                            to_string(kind), missing, variant_name(t.variants[index].channel_kind),
                            t.variants[index].language));
  return index;
}

Result<std::string> render_text(std::string_view text,
                                const std::map<std::string, std::string>& values, TextFormat format,
                                bool single_line) {
  auto segments = parse(text);
  if (!segments.ok()) return segments.status();

  // Every missing value in one message, so the caller can fix them all at once.
  std::vector<std::string> missing;
  for (const Segment& s : *segments) {
    if (!s.placeholder || s.fallback || values.count(s.text) != 0) continue;
    if (std::find(missing.begin(), missing.end(), s.text) == missing.end()) {
      missing.push_back(s.text);
    }
  }
  if (!missing.empty()) {
    std::string names;
    for (const std::string& name : missing)
      names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", name);
    return Status::invalid_argument(
               fmt::format("{} {} {} no value",
                           missing.size() == 1 ? "placeholder" : "placeholders", names,
                           missing.size() == 1 ? "has" : "have"))
        .with_field("values");
  }

  std::string out;
  out.reserve(text.size());
  for (const Segment& s : *segments) {
    if (!s.placeholder) {
      out += s.text;
      continue;
    }
    auto it = values.find(s.text);
    if (it == values.end()) {
      out += *s.fallback;  // template-author text: inserted as written
      continue;
    }
    if (!detail::is_valid_utf8(it->second)) {
      return Status::invalid_argument(fmt::format("value of \"{}\" is not valid UTF-8", s.text))
          .with_field("values");
    }
    append_escaped(out, it->second, format, single_line);
  }
  return out;
}

}  // namespace omni
