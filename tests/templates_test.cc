// Reply templates: placeholder syntax, escaping per format, variant choice, validation and the
// JSON codec the engine stores templates with.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "omni/channel.h"
#include "omni/fit.h"
#include "omni/templates.h"
#include "template_codec.h"

using namespace omni;

namespace {

using Values = std::map<std::string, std::string>;

std::vector<std::string> placeholders(std::string_view text) {
  auto r = template_placeholders(text);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return *r;
}

std::string render(std::string_view text, const Values& values,
                   TextFormat format = TextFormat::kPlain, bool single_line = false) {
  auto r = render_text(text, values, format, single_line);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return *r;
}

TemplateVariant variant(std::optional<ChannelKind> kind, std::string language,
                        std::string body = "Hello", TextFormat format = TextFormat::kPlain,
                        std::string subject = {}) {
  TemplateVariant v;
  v.channel_kind = kind;
  v.language = std::move(language);
  v.body = std::move(body);
  v.format = format;
  v.subject = std::move(subject);
  return v;
}

ReplyTemplate make_template(std::vector<TemplateVariant> variants,
                            std::string default_language = "en") {
  ReplyTemplate t;
  t.key = "order_delayed";
  t.default_language = std::move(default_language);
  t.variants = std::move(variants);
  return t;
}

struct Pick {
  std::size_t index;
  std::vector<std::string> reasons;
};

Pick pick(const ReplyTemplate& t, ChannelKind kind, std::string_view language) {
  std::vector<std::string> reasons;
  auto r = pick_variant(t, kind, language, &reasons);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return {*r, reasons};
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("text formats have stable names", "[templates]") {
  for (TextFormat f : {TextFormat::kPlain, TextFormat::kHtml, TextFormat::kTelegramMarkdownV2}) {
    CHECK(parse_text_format(to_string(f)) == f);
  }
  CHECK(to_string(TextFormat::kTelegramMarkdownV2) == "telegram_markdown_v2");
  CHECK(to_string(TextFormat::kHtml) == "html");
  CHECK_FALSE(parse_text_format("HTML"));
  CHECK_FALSE(parse_text_format(""));
}

TEST_CASE("placeholders are listed once, in order of first appearance", "[templates]") {
  CHECK(placeholders("Hi {{ customer.first_name | there }}, order {{crm.order.id}} for "
                     "{{customer.first_name}}") == Strings{"customer.first_name", "crm.order.id"});
  CHECK(placeholders("no placeholders at all").empty());
  CHECK(placeholders("").empty());
  CHECK(placeholders("{{\ta1_b.c2\n}}") == Strings{"a1_b.c2"});
  // "{{{{" is a literal "{{", a lone "}}" is text.
  CHECK(placeholders("{{{{not}} a placeholder }} {{x}}") == Strings{"x"});
  CHECK(placeholders("{{a}}}") == Strings{"a"});
}

TEST_CASE("malformed placeholders are errors that say what and where", "[templates]") {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"Hello {{name", "unclosed \"{{\" at byte 6"},
      {"Hello {{name}} and {{other", "unclosed \"{{\" at byte 19"},
      {"ab {{ }}", "empty placeholder name at byte 3"},
      {"{{|fallback}}", "empty placeholder name at byte 0"},
      {"x {{Name}}", "placeholder name \"Name\" at byte 2: 'N' is not allowed"},
      {"{{first name}}", "placeholder name \"first name\" at byte 0: ' ' is not allowed"},
      {"{{crm-order}}", "'-' is not allowed"},
      {"{{1abc}}", "placeholder name \"1abc\" at byte 0: must start with a letter"},
      {"{{_abc}}", "must start with a letter"},
      {"{{.abc}}", "must start with a letter"},
      {"{{a..b}}", "placeholder name \"a..b\" at byte 0: has an empty segment"},
      {"{{a.}}", "must not end with '.'"},
      {"{{{name}}}", "'{' is not allowed"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto r = template_placeholders(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().field() == "text");
    CHECK_THAT(r.status().message(), Catch::Contains(c.message));
    // render_text reports the same syntax error.
    auto rendered = render_text(c.text, {}, TextFormat::kPlain);
    REQUIRE_FALSE(rendered.ok());
    CHECK(rendered.status().message() == r.status().message());
  }
}

TEST_CASE("render_text fills values and fallbacks", "[templates]") {
  const Values values = {{"customer.first_name", "Anna"}, {"crm.order.id", "A-1042"}};
  CHECK(render("Hi {{ customer.first_name }}, order {{crm.order.id}}.", values) ==
        "Hi Anna, order A-1042.");
  CHECK(render("ETA: {{crm.order.eta | soon}}", values) == "ETA: soon");
  CHECK(render("ETA: {{crm.order.eta|}}!", values) == "ETA: !");
  // A present value wins over the fallback, and an empty value is a value.
  CHECK(render("{{customer.first_name|there}}", values) == "Anna");
  CHECK(render("[{{x|fallback}}]", {{"x", ""}}) == "[]");
  // Fallbacks are the author's text: not escaped.
  CHECK(render("{{x|<b>friend</b>}}", {}, TextFormat::kHtml) == "<b>friend</b>");
  // Literal braces.
  CHECK(render("{{{{customer.first_name}} is {{customer.first_name}} }}", values) ==
        "{{customer.first_name}} is Anna }}");
  CHECK(render("{{{{{{{{", {}) == "{{{{");
  // Lookup is by exact name.
  CHECK_FALSE(
      render_text("{{customer.first_name}}", {{"Customer.First_Name", "x"}}, TextFormat::kPlain)
          .ok());
  // Values are not themselves templates.
  CHECK(render("{{a}}", {{"a", "{{b}}"}, {"b", "no"}}) == "{{b}}");
}

TEST_CASE("every missing placeholder is named in one error", "[templates]") {
  auto one = render_text("ETA {{crm.order.eta}}", {}, TextFormat::kPlain);
  REQUIRE_FALSE(one.ok());
  CHECK(one.status().code() == StatusCode::kInvalidArgument);
  CHECK(one.status().field() == "values");
  CHECK(one.status().message() == "placeholder \"crm.order.eta\" has no value");

  auto many = render_text("{{a}} {{b|fine}} {{c}} {{a}} {{d}}", {{"d", "x"}}, TextFormat::kHtml);
  REQUIRE_FALSE(many.ok());
  CHECK(many.status().field() == "values");
  CHECK(many.status().message() == "placeholders \"a\", \"c\" have no value");
}

TEST_CASE("values must be valid UTF-8", "[templates]") {
  for (const std::string& bad : {std::string("\xC3\x28"), std::string("\xED\xA0\x80"),
                                 std::string("abc\xFF"), std::string("\xC0\xAF")}) {
    auto r = render_text("Hi {{customer.name}}", {{"customer.name", bad}}, TextFormat::kPlain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().field() == "values");
    CHECK_THAT(r.status().message(), Catch::Contains("\"customer.name\""));
  }
  // An unused bad value does not matter.
  CHECK(render("Hi", {{"unused", "\xFF"}}) == "Hi");
}

TEST_CASE("plain text: control characters are removed, line ends become LF", "[templates]") {
  const std::string value =
      "a\x01"
      "b\x1B[31m\x7F"
      "c\xC2\x85"
      "d\xC2\x9F"
      "e\tf\r\ng\rh\ni";
  std::string with_nul = "x";
  with_nul.push_back('\0');
  with_nul += "y";
  CHECK(render("{{v}}", {{"v", value}}) == "ab[31mcde\tf\ng\nh\ni");
  CHECK(render("{{v}}", {{"v", with_nul}}) == "xy");
  // Other two-byte characters starting with C2 (£, NBSP) and non-ASCII letters stay.
  CHECK(render("{{v}}", {{"v", "£ 5\xC2\xA0€ é 😀"}}) == "£ 5\xC2\xA0€ é 😀");
  // Markup means nothing in plain text.
  CHECK(render("{{v}}", {{"v", "<b>&\"'*_"}}) == "<b>&\"'*_");
  // The template's own text is not touched.
  CHECK(render("line1\r\nline2\x01", {}) == "line1\r\nline2\x01");
}

TEST_CASE("single-line values cannot split a subject", "[templates]") {
  const Values values = {{"crm.order.id", "A-1\r\nBcc: victim@example.com"},
                         {"x",
                          "one\rtwo\nthree\tfour\x0B"
                          "five\r\n\r\nsix"}};
  CHECK(render("Order {{crm.order.id}} delayed", values, TextFormat::kPlain, true) ==
        "Order A-1 Bcc: victim@example.com delayed");
  CHECK(render("{{x}}", values, TextFormat::kPlain, true) == "one two three fourfive  six");
  CHECK(render("{{x}}", values, TextFormat::kHtml, true) == "one two three fourfive  six");
  CHECK(render("{{x}}", values, TextFormat::kPlain, false) == "one\ntwo\nthree\tfourfive\n\nsix");
  // A C1 NEL (U+0085) is removed, not turned into a line break.
  CHECK(render("{{x}}",
               {{"x",
                 "a\xC2\x85"
                 "b"}},
               TextFormat::kPlain, true) == "ab");
}

TEST_CASE("HTML escapes markup in values", "[templates]") {
  const Values values = {{"v", "<script>alert(\"x\" & 'y')</script>"},
                         {"name", "Tom & Jerry's \"Shop\" <GmbH>"}};
  CHECK(render("<p>{{v}}</p>", values, TextFormat::kHtml) ==
        "<p>&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;</p>");
  CHECK(render("<a title=\"{{name}}\">", values, TextFormat::kHtml) ==
        "<a title=\"Tom &amp; Jerry&#39;s &quot;Shop&quot; &lt;GmbH&gt;\">");
  // Entities already in a value are escaped again: the value is text, not HTML.
  CHECK(render("{{v}}", {{"v", "&amp;"}}, TextFormat::kHtml) == "&amp;amp;");
  // Control characters go, LF stays LF.
  CHECK(render("{{v}}", {{"v", "a\x01<\r\nb"}}, TextFormat::kHtml) == "a&lt;\nb");
}

TEST_CASE("Telegram MarkdownV2 escapes every special character in values", "[templates]") {
  CHECK(render("*{{v}}*", {{"v", "_*[]()~`>#+-=|{}.!\\"}}, TextFormat::kTelegramMarkdownV2) ==
        "*\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\*");
  CHECK(render("Order {{id}} costs {{price}}", {{"id", "A-1042"}, {"price", "12.50 € (incl.)"}},
               TextFormat::kTelegramMarkdownV2) == "Order A\\-1042 costs 12\\.50 € \\(incl\\.\\)");
  // A link injection attempt stays text.
  CHECK(render("{{v}}", {{"v", "[click](https://evil.example)"}},
               TextFormat::kTelegramMarkdownV2) == "\\[click\\]\\(https://evil\\.example\\)");
  // Letters, digits, HTML characters and emoji are not special.
  CHECK(render("{{v}}", {{"v", "Anna <3 & 😀"}}, TextFormat::kTelegramMarkdownV2) == "Anna <3 & 😀");
  CHECK(render("{{v}}",
               {{"v",
                 "a\x01"
                 "b\r\nc"}},
               TextFormat::kTelegramMarkdownV2) == "ab\nc");
}

TEST_CASE("pick_variant follows the order of preference", "[templates]") {
  const ReplyTemplate t = make_template({
      variant(ChannelKind::kEmail, "de"),    // 0
      variant(std::nullopt, "de"),           // 1
      variant(ChannelKind::kSms, "en"),      // 2
      variant(std::nullopt, "en"),           // 3
      variant(ChannelKind::kWhatsApp, "fr")  // 4
  });

  SECTION("1. the kind's own variant in the language: no reason") {
    auto p = pick(t, ChannelKind::kEmail, "de");
    CHECK(p.index == 0);
    CHECK(p.reasons.empty());
    CHECK(pick(t, ChannelKind::kWhatsApp, "fr").index == 4);
    CHECK(pick(t, ChannelKind::kSms, "en").reasons.empty());
  }
  SECTION("1. a regional tag matches its primary language") {
    auto p = pick(t, ChannelKind::kEmail, "de-AT");
    CHECK(p.index == 0);
    CHECK(p.reasons == Strings{"no email variant in \"de-AT\": using the email variant in \"de\""});
  }
  SECTION("languages compare case-insensitively") {
    auto p = pick(t, ChannelKind::kEmail, "DE");
    CHECK(p.index == 0);
    CHECK(p.reasons.empty());
    CHECK(pick(t, ChannelKind::kEmail, "De-at").index == 0);
  }
  SECTION("2. the generic variant in the language") {
    auto p = pick(t, ChannelKind::kSms, "de");
    CHECK(p.index == 1);
    CHECK(p.reasons == Strings{"no sms variant in \"de\": using the generic variant in \"de\""});
    auto regional = pick(t, ChannelKind::kSms, "de-CH");
    CHECK(regional.index == 1);
    CHECK(regional.reasons ==
          Strings{"no sms variant in \"de-CH\": using the generic variant in \"de\""});
  }
  SECTION("3. the kind's own variant in the default language") {
    auto p = pick(t, ChannelKind::kSms, "it");
    CHECK(p.index == 2);
    CHECK(p.reasons == Strings{"no variant in \"it\": using the default language \"en\""});
    // French exists, but not for SMS nor generic.
    auto fr = pick(t, ChannelKind::kSms, "fr");
    CHECK(fr.index == 2);
    CHECK(fr.reasons ==
          Strings{"no sms or generic variant in \"fr\": using the default language \"en\""});
  }
  SECTION("4. the generic variant in the default language") {
    auto p = pick(t, ChannelKind::kTelegram, "it");
    CHECK(p.index == 3);
    CHECK(p.reasons ==
          Strings{"no variant in \"it\": using the default language \"en\"",
                  "no telegram variant in \"en\": using the generic variant in \"en\""});
  }
  SECTION("an empty language skips steps 1 and 2") {
    auto sms = pick(t, ChannelKind::kSms, "");
    CHECK(sms.index == 2);
    CHECK(sms.reasons.empty());
    auto telegram = pick(t, ChannelKind::kTelegram, "");
    CHECK(telegram.index == 3);
    CHECK(telegram.reasons ==
          Strings{"no telegram variant in \"en\": using the generic variant in \"en\""});
    // The email variant in German is not used for lack of a language.
    CHECK(pick(t, ChannelKind::kEmail, "").index == 3);
  }
  SECTION("reasons are optional") {
    auto r = pick_variant(t, ChannelKind::kTelegram, "it", nullptr);
    REQUIRE(r.ok());
    CHECK(*r == 3);
  }
}

TEST_CASE("pick_variant prefers an exact tag over a primary-subtag match", "[templates]") {
  const ReplyTemplate t = make_template({
      variant(ChannelKind::kEmail, "de"),     // 0
      variant(ChannelKind::kEmail, "de-AT"),  // 1
      variant(std::nullopt, "de-at"),         // 2
  });
  auto at = pick(t, ChannelKind::kEmail, "de-at");
  CHECK(at.index == 1);
  CHECK(at.reasons.empty());
  CHECK(pick(t, ChannelKind::kEmail, "de-CH").index == 0);
  CHECK(pick(t, ChannelKind::kEmail, "DE").index == 0);
  // An exact generic variant does not beat the kind's own variant by primary subtag: step 1
  // comes before step 2.
  const ReplyTemplate u =
      make_template({variant(std::nullopt, "de-AT"), variant(ChannelKind::kSms, "de")});
  CHECK(pick(u, ChannelKind::kSms, "de-AT").index == 1);
  // A request "de" does not match a variant "de-AT".
  const ReplyTemplate v =
      make_template({variant(ChannelKind::kSms, "de-AT"), variant(ChannelKind::kSms, "en")});
  CHECK(pick(v, ChannelKind::kSms, "de").index == 1);
}

TEST_CASE("pick_variant falls back to any variant", "[templates]") {
  const ReplyTemplate t = make_template({
      variant(std::nullopt, "de"),            // 0
      variant(ChannelKind::kWhatsApp, "fr"),  // 1
      variant(ChannelKind::kWhatsApp, "de"),  // 2
  });
  SECTION("5. the kind's own variant in any language, first listed") {
    auto p = pick(t, ChannelKind::kWhatsApp, "it");
    CHECK(p.index == 1);
    CHECK(p.reasons == Strings{"no whatsapp or generic variant in \"it\" nor in the default "
                               "language \"en\": using the whatsapp variant in \"fr\""});
  }
  SECTION("5. then the first variant listed") {
    auto p = pick(t, ChannelKind::kSms, "it");
    CHECK(p.index == 0);
    CHECK(p.reasons == Strings{"no sms or generic variant in \"it\" nor in the default language "
                               "\"en\": using the generic variant in \"de\""});
  }
  SECTION("the requested language is the default language") {
    auto p = pick(t, ChannelKind::kSms, "EN");
    CHECK(p.index == 0);
    CHECK(p.reasons ==
          Strings{"no sms or generic variant in \"EN\": using the generic variant in \"de\""});
  }
  SECTION("no language requested") {
    auto p = pick(t, ChannelKind::kSms, "");
    CHECK(p.index == 0);
    CHECK(p.reasons == Strings{"no sms or generic variant in the default language \"en\": using "
                               "the generic variant in \"de\""});
  }
  SECTION("a template without variants") {
    auto r = pick_variant(make_template({}), ChannelKind::kSms, "de", nullptr);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kNotFound);
  }
}

TEST_CASE("validate_template accepts a good template", "[templates]") {
  ReplyTemplate t = make_template(
      {variant(ChannelKind::kEmail, "de", "Guten Tag {{customer.name|}}", TextFormat::kHtml,
               "Ihre Bestellung {{crm.order.id}}"),
       variant(std::nullopt, "de"), variant(std::nullopt, "en"),
       variant(ChannelKind::kSms, "zh-Hant-TW", "您好 {{{{"), variant(ChannelKind::kSms, "gsw")});
  t.key = "billing.order-delayed_2";
  t.description = "Sent when a carrier reports a delay – für alle Kanäle";
  CHECK(validate_template(t).ok());
}

TEST_CASE("validate_template names the field at fault", "[templates]") {
  auto good = [] {
    return make_template({variant(ChannelKind::kEmail, "de", "Body", TextFormat::kHtml, "Subject"),
                          variant(std::nullopt, "de")});
  };
  struct Case {
    std::string name;
    std::function<void(ReplyTemplate&)> change;
    StatusCode code;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"empty key", [](ReplyTemplate& t) { t.key = ""; }, StatusCode::kInvalidArgument, "key", ""},
      {"long key", [](ReplyTemplate& t) { t.key = std::string(65, 'a'); },
       StatusCode::kInvalidArgument, "key", "1 to 64"},
      {"upper-case key", [](ReplyTemplate& t) { t.key = "Order"; }, StatusCode::kInvalidArgument,
       "key", "only a-z"},
      {"key with a space", [](ReplyTemplate& t) { t.key = "order delayed"; },
       StatusCode::kInvalidArgument, "key", ""},
      {"long description", [](ReplyTemplate& t) { t.description = std::string(1025, 'x'); },
       StatusCode::kResourceExhausted, "description", "1024"},
      {"bad UTF-8 description", [](ReplyTemplate& t) { t.description = "\xFF"; },
       StatusCode::kInvalidArgument, "description", "UTF-8"},
      {"empty default language", [](ReplyTemplate& t) { t.default_language = ""; },
       StatusCode::kInvalidArgument, "default_language", "empty"},
      {"numeric default language", [](ReplyTemplate& t) { t.default_language = "12"; },
       StatusCode::kInvalidArgument, "default_language", "2 or 3 letters"},
      {"no variants", [](ReplyTemplate& t) { t.variants.clear(); }, StatusCode::kInvalidArgument,
       "variants", "at least one"},
      {"too many variants",
       [](ReplyTemplate& t) {
         t.variants.clear();
         for (ChannelKind k : all_channel_kinds()) {
           for (const char* lang : {"de", "en", "fr", "it", "es"})
             t.variants.push_back(variant(k, lang));
         }
       },
       StatusCode::kResourceExhausted, "variants", "64"},
      {"language with underscore", [](ReplyTemplate& t) { t.variants[1].language = "de_AT"; },
       StatusCode::kInvalidArgument, "variants[1].language", "letters, digits and '-'"},
      {"language with an empty subtag", [](ReplyTemplate& t) { t.variants[1].language = "de--AT"; },
       StatusCode::kInvalidArgument, "variants[1].language", "empty"},
      {"language with a trailing hyphen", [](ReplyTemplate& t) { t.variants[1].language = "de-"; },
       StatusCode::kInvalidArgument, "variants[1].language", ""},
      {"one-letter language", [](ReplyTemplate& t) { t.variants[0].language = "d"; },
       StatusCode::kInvalidArgument, "variants[0].language", ""},
      {"four-letter primary subtag", [](ReplyTemplate& t) { t.variants[0].language = "deut"; },
       StatusCode::kInvalidArgument, "variants[0].language", "2 or 3 letters"},
      {"long language",
       [](ReplyTemplate& t) { t.variants[0].language = "de-" + std::string(33, 'a'); },
       StatusCode::kInvalidArgument, "variants[0].language", "2 to 35"},
      {"empty language", [](ReplyTemplate& t) { t.variants[0].language = ""; },
       StatusCode::kInvalidArgument, "variants[0].language", "empty"},
      {"duplicate variant",
       [](ReplyTemplate& t) { t.variants.push_back(variant(ChannelKind::kEmail, "DE")); },
       StatusCode::kInvalidArgument, "variants[2]",
       "variants[0] is already the email variant in \"de\""},
      {"duplicate generic variant",
       [](ReplyTemplate& t) { t.variants.push_back(variant(std::nullopt, "de")); },
       StatusCode::kInvalidArgument, "variants[2]", "generic variant"},
      {"empty body", [](ReplyTemplate& t) { t.variants[1].body = ""; },
       StatusCode::kInvalidArgument, "variants[1].body", "empty"},
      {"long body", [](ReplyTemplate& t) { t.variants[1].body = std::string(64 * 1024 + 1, 'x'); },
       StatusCode::kResourceExhausted, "variants[1].body", ""},
      {"bad UTF-8 body", [](ReplyTemplate& t) { t.variants[1].body = "ok \xC3"; },
       StatusCode::kInvalidArgument, "variants[1].body", "UTF-8"},
      {"bad placeholder in body", [](ReplyTemplate& t) { t.variants[1].body = "Hi {{Name}}"; },
       StatusCode::kInvalidArgument, "variants[1].body", "at byte 3"},
      {"unclosed placeholder in subject",
       [](ReplyTemplate& t) { t.variants[0].subject = "Order {{crm.order.id"; },
       StatusCode::kInvalidArgument, "variants[0].subject", "unclosed"},
      {"two-line subject", [](ReplyTemplate& t) { t.variants[0].subject = "a\r\nBcc: x"; },
       StatusCode::kInvalidArgument, "variants[0].subject", "one line"},
      {"subject with LF", [](ReplyTemplate& t) { t.variants[0].subject = "a\nb"; },
       StatusCode::kInvalidArgument, "variants[0].subject", ""},
      {"long subject", [](ReplyTemplate& t) { t.variants[0].subject = std::string(1025, 's'); },
       StatusCode::kResourceExhausted, "variants[0].subject", "1024"},
      {"bad UTF-8 subject", [](ReplyTemplate& t) { t.variants[0].subject = "\xED\xA0\x80"; },
       StatusCode::kInvalidArgument, "variants[0].subject", "UTF-8"},
  };
  REQUIRE(validate_template(good()).ok());
  for (const Case& c : cases) {
    INFO(c.name);
    ReplyTemplate t = good();
    c.change(t);
    Status s = validate_template(t);
    INFO(s.to_string());
    CHECK(s.code() == c.code);
    CHECK(s.field() == c.field);
    CHECK_THAT(s.message(), Catch::Contains(c.message));
  }
  // Limits are inclusive.
  ReplyTemplate at_limits = good();
  at_limits.key = std::string(64, 'k');
  at_limits.description = std::string(1024, 'd');
  at_limits.variants[0].subject = std::string(1024, 's');
  at_limits.variants[0].body = std::string(64 * 1024, 'b');
  at_limits.variants[1].language = "de-" + std::string(8, 'a') + "-" + std::string(8, 'b') + "-" +
                                   std::string(8, 'c') + "-" + std::string(5, 'd');
  REQUIRE(at_limits.variants[1].language.size() == 35);
  CHECK(validate_template(at_limits).ok());
}

TEST_CASE("the template codec round-trips exactly", "[templates]") {
  ReplyTemplate t = make_template(
      {variant(ChannelKind::kEmail, "de", "<p>Sehr geehrte(r) {{customer.name}},</p>\n\"ü\" 😀",
               TextFormat::kHtml, "Verzögerung: {{crm.order.id}}"),
       variant(std::nullopt, "de", "Hallo {{customer.first_name|}} \\ \t \x01"),
       variant(ChannelKind::kTelegram, "zh-Hant", "您好 *{{x}}*", TextFormat::kTelegramMarkdownV2),
       variant(ChannelKind::kXDirectMessage, "en", "{{{{literal")},
      "de");
  t.description = "Lieferverzögerung – \"alle\" Kanäle";
  const std::string json = detail::encode_template(t);
  CAPTURE(json);
  // Generic variants have no kind, empty subjects are left out.
  CHECK_THAT(json, Catch::Contains("{\"language\":\"de\",\"format\":\"plain\",\"body\""));
  CHECK_THAT(json, Catch::Contains("\"kind\":\"x_dm\""));
  CHECK_THAT(json, Catch::Contains("\"format\":\"telegram_markdown_v2\""));

  auto decoded = detail::decode_template(json);
  INFO(decoded.status().to_string());
  REQUIRE(decoded.ok());
  const ReplyTemplate& d = *decoded;
  CHECK(d.key == t.key);
  CHECK(d.description == t.description);
  CHECK(d.default_language == "de");
  REQUIRE(d.variants.size() == t.variants.size());
  for (std::size_t i = 0; i < t.variants.size(); ++i) {
    INFO(i);
    CHECK(d.variants[i].channel_kind == t.variants[i].channel_kind);
    CHECK(d.variants[i].language == t.variants[i].language);
    CHECK(d.variants[i].format == t.variants[i].format);
    CHECK(d.variants[i].subject == t.variants[i].subject);
    CHECK(d.variants[i].body == t.variants[i].body);
  }
  CHECK(detail::encode_template(d) == json);

  // Missing keys keep the defaults; a null kind is generic.
  auto sparse = detail::decode_template(R"({"key":"k","variants":[{"kind":null,"body":"b"}]})");
  REQUIRE(sparse.ok());
  CHECK(sparse->default_language == "en");
  REQUIRE(sparse->variants.size() == 1);
  CHECK_FALSE(sparse->variants[0].channel_kind);
  CHECK(sparse->variants[0].format == TextFormat::kPlain);
}

TEST_CASE("the template codec rejects malformed documents", "[templates]") {
  for (const char* json : {"", "{", "not json", "[]", "\"x\"", "{\"key\":\"k\",}"}) {
    INFO(json);
    auto r = detail::decode_template(json);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kCorruption);
  }
  struct Case {
    std::string json;
    StatusCode code;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"key":1})", StatusCode::kCorruption, "key"},
      {R"({"variants":{}})", StatusCode::kCorruption, "variants"},
      {R"({"variants":[1]})", StatusCode::kCorruption, "variants[0]"},
      {R"({"variants":[{"body":"b"},{"body":true}]})", StatusCode::kCorruption, "variants[1].body"},
      {R"({"variants":[{"kind":3}]})", StatusCode::kCorruption, "variants[0].kind"},
      {R"({"variants":[{"kind":"pigeon"}]})", StatusCode::kInvalidArgument, "variants[0].kind"},
      {R"({"variants":[{"format":"markdown"}]})", StatusCode::kInvalidArgument,
       "variants[0].format"},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    auto r = detail::decode_template(c.json);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == c.code);
    CHECK(r.status().field() == c.field);
  }
}

TEST_CASE("an order-delayed template in German across email, WhatsApp and SMS", "[templates]") {
  ReplyTemplate t;
  t.key = "order_delayed";
  t.description = "Die Lieferung einer Bestellung verzögert sich";
  t.default_language = "de";
  t.variants = {
      variant(ChannelKind::kEmail, "de",
              "<p>Sehr geehrte(r) {{customer.salutation|Kundin, sehr geehrter Kunde}} "
              "{{customer.last_name|}},</p>\n"
              "<p>leider verzögert sich die Lieferung Ihrer Bestellung {{crm.order.id}}. "
              "Der neue voraussichtliche Liefertermin ist der {{crm.order.eta}}.</p>\n"
              "<p>Mit freundlichen Grüßen<br>{{agent.name}}</p>",
              TextFormat::kHtml, "Ihre Bestellung {{crm.order.id}} verzögert sich"),
      variant(ChannelKind::kWhatsApp, "de",
              "Hi {{customer.first_name|du}} 👋 deine Bestellung {{crm.order.id}} kommt leider "
              "etwas später – neuer Termin: {{crm.order.eta}}. Sorry! {{agent.name}}"),
      variant(ChannelKind::kSms, "de",
              "Hallo {{customer.first_name}}, Ihre Bestellung {{crm.order.id}} verspätet sich. "
              "Neuer Liefertermin: {{crm.order.eta}}. Ihr {{tenant.name}}-Team"),
  };
  REQUIRE(validate_template(t).ok());

  Values values = {
      {"customer.first_name", "Jürgen"}, {"customer.last_name", "Müller & Söhne <GmbH>"},
      {"crm.order.id", "A-104233"},      {"crm.order.eta", "Fr, 14.03."},
      {"agent.name", "Petra"},           {"tenant.name", "Versandhaus"}};

  SECTION("the formal email escapes values as HTML and keeps the subject on one line") {
    auto p = pick(t, ChannelKind::kEmail, "de-DE");
    REQUIRE(p.index == 0);
    const TemplateVariant& v = t.variants[p.index];
    Values hostile = values;
    hostile["crm.order.id"] = "A-1\r\nBcc: all@example.com";
    CHECK(render(v.subject, hostile, v.format, true) ==
          "Ihre Bestellung A-1 Bcc: all@example.com verzögert sich");
    const std::string body = render(v.body, values, v.format);
    CHECK_THAT(body, Catch::Contains("Sehr geehrte(r) Kundin, sehr geehrter Kunde Müller &amp; "
                                     "Söhne &lt;GmbH&gt;,</p>"));
    CHECK_THAT(body, Catch::Contains("Liefertermin ist der Fr, 14.03..</p>"));
  }
  SECTION("the informal WhatsApp text uses its fallback") {
    Values no_name = values;
    no_name.erase("customer.first_name");
    auto p = pick(t, ChannelKind::kWhatsApp, "de");
    CHECK(p.reasons.empty());
    CHECK(render(t.variants[p.index].body, no_name) ==
          "Hi du 👋 deine Bestellung A-104233 kommt leider etwas später – neuer Termin: "
          "Fr, 14.03.. Sorry! Petra");
  }
  SECTION("the SMS fits one GSM-7 segment, an emoji makes it UCS-2") {
    auto p = pick(t, ChannelKind::kSms, "de");
    const TemplateVariant& v = t.variants[p.index];
    REQUIRE(v.channel_kind == ChannelKind::kSms);
    const std::string sms = render(v.body, values, v.format);
    CHECK(sms ==
          "Hallo Jürgen, Ihre Bestellung A-104233 verspätet sich. Neuer Liefertermin: Fr, 14.03.. "
          "Ihr Versandhaus-Team");
    auto report = fit_text(sms, default_profile(ChannelKind::kSms));
    REQUIRE(report.ok());
    CHECK(report->encoding == TextEncoding::kGsm7);
    CHECK(report->segments == 1);
    CHECK(report->fits);

    Values emoji = values;
    emoji["customer.first_name"] = "Jürgen 😀";
    auto ucs2 = fit_text(render(v.body, emoji, v.format), default_profile(ChannelKind::kSms));
    REQUIRE(ucs2.ok());
    CHECK(ucs2->encoding == TextEncoding::kUcs2);
    CHECK(ucs2->non_gsm_characters == Strings{"😀"});
    CHECK(ucs2->segments == 2);  // 106 units: more than the 70 of one UCS-2 segment
  }
  SECTION("a missing value is reported before anything is sent") {
    Values partial = values;
    partial.erase("crm.order.eta");
    partial.erase("tenant.name");
    auto r = render_text(t.variants[2].body, partial, TextFormat::kPlain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "placeholders \"crm.order.eta\", \"tenant.name\" have no value");
  }
  SECTION("the codec keeps the whole template") {
    auto decoded = detail::decode_template(detail::encode_template(t));
    REQUIRE(decoded.ok());
    CHECK(detail::encode_template(*decoded) == detail::encode_template(t));
    CHECK(validate_template(*decoded).ok());
  }
}
