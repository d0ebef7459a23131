// libFuzzer target for reply templates (make fuzz). The input is a template text, then, after a
// NUL byte, values as NUL-separated name, value pairs. The text goes through
// template_placeholders and render_text in every TextFormat, and the whole input through the
// store's JSON codec (detail::decode_template). Nothing may crash, leak or trip a sanitizer; an
// error is a typed Status, never an internal one, and the checks agree with each other.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "omni/templates.h"
#include "template_codec.h"

namespace {

[[noreturn]] void fail(const char* what, const omni::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what, status.to_string().c_str());
  std::abort();
}

void check_typed(const char* what, const omni::Status& status) {
  if (status.is(omni::StatusCode::kInternal)) fail(what, status);
}

bool same(const omni::ReplyTemplate& a, const omni::ReplyTemplate& b) {
  if (a.key != b.key || a.description != b.description ||
      a.default_language != b.default_language || a.variants.size() != b.variants.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.variants.size(); ++i) {
    const omni::TemplateVariant& x = a.variants[i];
    const omni::TemplateVariant& y = b.variants[i];
    if (x.channel_kind != y.channel_kind || x.language != y.language || x.format != y.format ||
        x.subject != y.subject || x.body != y.body) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  std::map<std::string, std::string> values;
  if (nul != std::string_view::npos) {
    std::string_view rest = input.substr(nul + 1);
    while (!rest.empty()) {
      const std::size_t a = rest.find('\0');
      const std::string_view name = rest.substr(0, a);
      rest = a == std::string_view::npos ? std::string_view() : rest.substr(a + 1);
      const std::size_t b = rest.find('\0');
      const std::string_view value = rest.substr(0, b);
      rest = b == std::string_view::npos ? std::string_view() : rest.substr(b + 1);
      values[std::string(name)] = std::string(value);
    }
  }

  auto placeholders = omni::template_placeholders(text);
  if (!placeholders.ok()) check_typed("template_placeholders", placeholders.status());
  for (omni::TextFormat format :
       {omni::TextFormat::kPlain, omni::TextFormat::kHtml, omni::TextFormat::kTelegramMarkdownV2}) {
    for (bool single_line : {false, true}) {
      auto rendered = omni::render_text(text, values, format, single_line);
      if (rendered.ok()) {
        // What renders has a valid syntax.
        if (!placeholders.ok()) fail("render_text accepted a text with a syntax error", {});
        continue;
      }
      check_typed("render_text", rendered.status());
      // A syntax error is reported by both, the same way.
      if (!placeholders.ok() && rendered.status().field() != "text") {
        fail("render_text missed the syntax error", rendered.status());
      }
    }
  }

  auto decoded = omni::detail::decode_template(input);
  if (!decoded.ok()) {
    check_typed("decode_template", decoded.status());
    return 0;
  }
  check_typed("validate_template", omni::validate_template(*decoded));
  // What decodes is encoded and decoded back unchanged.
  auto again = omni::detail::decode_template(omni::detail::encode_template(*decoded));
  if (!again.ok()) fail("encoded template does not decode", again.status());
  if (!same(*decoded, *again)) fail("template changed on a round trip", {});
  return 0;
}
