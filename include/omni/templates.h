// omni/templates.h — reply templates with channel variants: one message ("order delayed") in a
// formal email, an informal messenger text and an SMS that fits one segment, per language, with
// placeholders filled from the conversation, the customer, the agent and the CRM, escaped for the
// variant's format.
//
// Placeholders: "{{name}}" or "{{name|fallback text}}", white space inside the braces ignored.
// Names are lower-case ASCII letters, digits, '_' and '.', e.g. "customer.first_name",
// "crm.order.id". A placeholder without a value and without a fallback is an error at render
// time (kInvalidArgument, field "values", naming it). "{{{{" writes a literal "{{", a lone "}}" is
// text. A name starts with a letter and has no empty segment ("a..b") nor a trailing '.'. The
// fallback is the template author's text and is inserted as written (not escaped); "{{name|}}"
// falls back to nothing.
//
// Thread-safety: plain values; the functions are reentrant.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/channel.h"
#include "omni/export.h"
#include "omni/fit.h"
#include "omni/ids.h"
#include "omni/status.h"

namespace omni {

// What the rendered text is, so placeholder values are escaped for it.
enum class TextFormat {
  kPlain,               // plain text: control characters other than LF and TAB are removed
  kHtml,                // HTML: & < > " ' become entities
  kTelegramMarkdownV2,  // Telegram MarkdownV2: _ * [ ] ( ) ~ ` > # + - = | { } . ! \ escaped
};
// In every format, values first lose their control characters (C0 but LF and TAB, DEL, C1
// U+0080-U+009F) and have CRLF and CR turned into LF. Only values are escaped, never the
// template's own text.
// "plain", "html", "telegram_markdown_v2"
OMNI_EXPORT std::string_view to_string(TextFormat format);
OMNI_EXPORT std::optional<TextFormat> parse_text_format(std::string_view name);

// One wording of a template for a channel kind (or every kind) and a language.
struct TemplateVariant {
  // The kind this wording is for; absent: any channel without a variant of its own.
  std::optional<ChannelKind> channel_kind;
  std::string language;  // BCP 47 tag, "de", "en"; required
  TextFormat format = TextFormat::kPlain;
  std::string subject;  // for channels that have one (email, letter); one line
  std::string body;     // required
};

struct ReplyTemplate {
  // Unique within the tenant: lower-case ASCII letters, digits, '_', '-' and '.', at most 64.
  std::string key;
  std::string description;
  // The language used when neither the request nor the customer names one that has a variant.
  std::string default_language = "en";
  // At most one per (channel_kind, language).
  std::vector<TemplateVariant> variants;
};

// Checks a template: key, languages, unique variants, placeholder syntax in subject and body,
// UTF-8, a one-line subject. kInvalidArgument with the field ("variants[2].body") and the reason;
// kResourceExhausted above a size limit: body 64 KiB, subject and description 1024 bytes, 64
// variants.
OMNI_EXPORT Status validate_template(const ReplyTemplate& t);

// The placeholder names a text uses, in order of first appearance. A syntax error is
// kInvalidArgument (field "text") saying what and at which byte offset: 'unclosed "{{" at byte 6'.
OMNI_EXPORT Result<std::vector<std::string>> template_placeholders(std::string_view text);

// Which variant of `t` serves `kind` in `language`, and why. Order of preference:
//   1. the kind's own variant in `language` (a tag "de-AT" also matches a variant "de");
//   2. the generic variant (no kind) in `language`;
//   3. the kind's own variant in t.default_language;
//   4. the generic variant in t.default_language;
//   5. the kind's own variant in any language, then any variant at all (first listed).
// Languages compare case-insensitively; at each step an exact tag is preferred over a variant
// tagged with the request's primary subtag ("de-AT" finds "de", but "de" does not find "de-AT").
// An empty `language` skips steps 1 and 2.
// `reasons` (may be null) gets one sentence per fallback taken, none when step 1 found the exact
// tag: 'no sms variant in "fr": using the generic variant in "fr"', 'no variant in "fr": using
// the default language "en"'. kNotFound only for a template without variants.
OMNI_EXPORT Result<std::size_t> pick_variant(const ReplyTemplate& t, ChannelKind kind,
                                             std::string_view language,
                                             std::vector<std::string>* reasons);

// Fills the placeholders of `text` from `values` (exact names), each value escaped for `format`.
// With `single_line`, CR, LF and TAB in values become spaces (a subject line cannot be split by a
// value). Errors, kInvalidArgument: a syntax error (field "text"); placeholders without a value
// nor a fallback, all named in one message (field "values"); a value used that is not valid
// UTF-8 (field "values").
OMNI_EXPORT Result<std::string> render_text(std::string_view text,
                                            const std::map<std::string, std::string>& values,
                                            TextFormat format, bool single_line = false);

// A template rendered for one conversation on one channel (Engine::render_template).
struct RenderedReply {
  std::string template_key;
  std::optional<ChannelKind> variant_kind;  // the variant used (absent: the generic one)
  std::string language;                     // the variant's language
  TextFormat format = TextFormat::kPlain;
  ChannelId channel;  // the channel it was rendered for
  std::string subject;
  std::string body;
  // How the body fits the channel (length, SMS segments and encoding, split plan): check
  // fit.fits before sending; Engine::send refuses what does not fit.
  FitReport fit;
  // Why this variant, and every fallback taken (language, placeholder fallbacks used).
  std::vector<std::string> reasons;
};

// What to render (Engine::render_template).
struct RenderRequest {
  TenantId tenant;
  ConversationId conversation;
  std::string template_key;
  // The channel the reply goes out on; default: the conversation's current channel.
  std::optional<ChannelId> channel;
  // Default: the conversation's language, else the customer's preferred language, else the
  // template's default language.
  std::string language;
  std::optional<AgentId> agent;  // fills agent.name; default: the conversation's assignee
  // Values of the host's own placeholders; they take precedence over the built-in ones.
  std::map<std::string, std::string> values;
};

}  // namespace omni
