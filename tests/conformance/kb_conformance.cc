// The knowledge base on every backend: articles put by slug, full-text search with German and
// English folding (case, diacritics, ß -> ss, ä -> ae), hostile query text, tenancy, language
// filter, publishing, re-indexing and removal; views and searches as touchpoints that open no
// case; suggestions for an inbound message; and the deflection report on a fixed data set.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "fixture.h"
#include "omni/knowledge.h"

namespace omni::testing {
void link_kb_conformance() {}
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

Article article(const World& w, const std::string& slug, const std::string& language,
                const std::string& title, const std::string& body) {
  Article a;
  a.tenant = w.tenant.id;
  a.slug = slug;
  a.language = language;
  a.title = title;
  a.body = body;
  a.tags = {"help"};
  return a;
}

// Four articles of acme: a refund article in German (title match for "Rückerstattung") and in
// English, a shipping article that mentions the refund in its body only, and a password one.
struct Library {
  Article refund_de, refund_en, shipping, password;
};

Library put_library(World& w) {
  Library l;
  l.refund_de = World::must(w.engine->put_article(
      article(w, "rueckerstattung", "de", "Rückerstattung beantragen",
              "So erhalten Sie Ihre Rückerstattung: Öffnen Sie Ihre Bestellung und wählen Sie "
              "\"Geld zurück\". Das Geld ist in fünf Tagen auf Ihrem Konto.")));
  l.refund_en = World::must(w.engine->put_article(
      article(w, "refund", "en", "How to get a refund",
              "Open your order and choose Refund. The money is back within five days.")));
  l.shipping = World::must(w.engine->put_article(
      article(w, "versandkosten", "de", "Versandkosten",
              "Der Versand ist ab 50 Euro kostenlos. Eine Rückerstattung der Versandkosten erfolgt "
              "beim Widerruf der ganzen Bestellung.")));
  l.password = World::must(w.engine->put_article(
      article(w, "passwort", "de", "Passwort zurücksetzen",
              "Klicken Sie auf \"Passwort vergessen\". Große und kleine Buchstaben zählen; die "
              "Straße Ihrer Lieferadresse ist kein gutes Passwort.")));
  return l;
}

std::vector<ArticleHit> search(World& w, const std::string& text,
                               std::optional<std::string> language = std::nullopt,
                               bool match_all = true, TenantId tenant = TenantId()) {
  ArticleQuery q;
  q.tenant = tenant.valid() ? tenant : w.tenant.id;
  q.text = text;
  q.language = std::move(language);
  q.match_all = match_all;
  return World::must(w.engine->search_articles(q));
}

std::vector<std::string> slugs(const std::vector<ArticleHit>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits)
    out.push_back(h.slug);
  return out;
}

bool has(const std::vector<ArticleHit>& hits, const std::string& slug) {
  auto s = slugs(hits);
  return std::find(s.begin(), s.end(), slug) != s.end();
}

TEST_CASE("kb: search_terms folds case, diacritics and ß, and keeps only words",
          "[conformance][kb]") {
  CHECK(search_terms("Rückerstattung, RÜCKERSTATTUNG! straße STRASSE Café") ==
        std::vector<std::string>{"ruckerstattung", "strasse", "cafe"});
  CHECK(search_terms("\" NEAR( * - title: a OR") ==
        std::vector<std::string>{"near", "title", "a", "or"});
  CHECK(search_terms("\"*-:^(){}").empty());
  CHECK(search_terms("one two three", 2) == std::vector<std::string>{"one", "two"});
  CHECK(search_alternates("Rückerstattung der Größe, Straße") ==
        "Rueckerstattung Grösse Groesse Strasse");
  CHECK(search_alternates("plain words").empty());
}

TEST_CASE("kb: 'ruckerstattung' finds 'Rückerstattung' in any case and spelling",
          "[conformance][kb]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  Library l = put_library(w);
  for (const char* text : {"ruckerstattung", "RUCKERSTATTUNG", "Ruckerstattung", "Rückerstattung",
                           "RÜCKERSTATTUNG", "Rueckerstattung"}) {
    INFO(text);
    auto hits = search(w, text);
    REQUIRE(hits.size() == 2);
    // A title match ranks above a body-only match.
    CHECK(hits[0].article == l.refund_de.id);
    CHECK(hits[0].title == "Rückerstattung beantragen");
    CHECK(hits[0].language == "de");
    CHECK(hits[0].score > hits[1].score);
    CHECK(hits[1].article == l.shipping.id);
    CHECK_FALSE(hits[0].snippet.empty());
    // The excerpt is of the body, around the match.
    CHECK(hits[1].snippet.find("Rückerstattung der Versandkosten") != std::string::npos);
  }
  // ß is ss, in either direction; umlauts without their dots.
  for (const char* text : {"grosse", "GROSSE", "Große", "strasse", "Straße", "zahlen", "zählen"}) {
    INFO(text);
    CHECK(slugs(search(w, text)) == std::vector<std::string>{"passwort"});
  }
  // Whole words only, and every word by default.
  CHECK(search(w, "ruckerst").empty());
  CHECK(slugs(search(w, "Rückerstattung Versand")) == std::vector<std::string>{"versandkosten"});
  auto any = search(w, "Rückerstattung Versand", std::nullopt, false);
  CHECK(any.size() == 2);
  CHECK(has(any, "rueckerstattung"));
  CHECK(has(any, "versandkosten"));
}

TEST_CASE("kb: hostile query text is data, never syntax, and never an error", "[conformance][kb]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  put_library(w);
  const std::vector<std::string> hostile = {"\"",
                                            "\"\"",
                                            "NEAR(",
                                            "NEAR(a b",
                                            "*",
                                            "a OR",
                                            "OR",
                                            "AND",
                                            "NOT",
                                            "-",
                                            "title:",
                                            "title:passwort",
                                            "{title body}: x",
                                            "^passwort",
                                            "passwort*",
                                            "(passwort",
                                            "passwort)",
                                            "'",
                                            "';DROP TABLE articles;--",
                                            "\\",
                                            "\x01\x02",
                                            "a\nb\tc",
                                            std::string(10 * 1024, 'x'),
                                            std::string(10 * 1024, '"'),
                                            [] {
                                              std::string s;
                                              for (int i = 0; i < 2000; ++i)
                                                s += "NEAR( \"x\" OR * ";
                                              return s;
                                            }(),
                                            "",
                                            "   ",
                                            "😀 🙂",
                                            "中文 テスト"};
  for (const auto& text : hostile) {
    INFO("query of " << text.size() << " bytes: " << text.substr(0, 40));
    for (bool all : {true, false}) {
      ArticleQuery q;
      q.tenant = w.tenant.id;
      q.text = text;
      q.match_all = all;
      auto hits = w.engine->search_articles(q);
      CHECK(hits.ok());
      auto suggested = w.engine->suggest_articles(w.tenant.id, text);
      CHECK(suggested.ok());
    }
  }
  // Operators are words: the password article is still found through them.
  CHECK(slugs(search(w, "title:passwort")) == std::vector<std::string>{});  // "title" is no word
  CHECK(slugs(search(w, "\"passwort*")) == std::vector<std::string>{"passwort"});
  CHECK(slugs(search(w, "(passwort)")) == std::vector<std::string>{"passwort"});
  CHECK(search(w, "\"*-:").empty());
  // The articles are all still there.
  CHECK(World::must(w.engine->find_article(w.tenant.id, "passwort")).title ==
        "Passwort zurücksetzen");
  // Invalid UTF-8 and a bad limit are invalid arguments, not crashes.
  ArticleQuery bad;
  bad.tenant = w.tenant.id;
  bad.text = "\xff\xfe";
  CHECK(w.engine->search_articles(bad).status().is(StatusCode::kInvalidArgument));
  bad.text = "passwort";
  bad.limit = 0;
  CHECK(w.engine->search_articles(bad).status().is(StatusCode::kInvalidArgument));
}

TEST_CASE("kb: tenants, languages and publishing limit what is found", "[conformance][kb]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  Library l = put_library(w);
  Tenant other = World::must(w.engine->create_tenant("other", "DE"));
  Article theirs = article(w, "rueckerstattung", "de", "Rückerstattung bei Other", "Andere Firma.");
  theirs.tenant = other.id;
  theirs = World::must(w.engine->put_article(theirs));
  CHECK(theirs.id != l.refund_de.id);  // the same slug in another tenant is another article

  CHECK_FALSE(has(search(w, "firma"), "rueckerstattung"));
  CHECK(search(w, "firma").empty());
  auto theirs_found = search(w, "ruckerstattung", std::nullopt, true, other.id);
  REQUIRE(theirs_found.size() == 1);
  CHECK(theirs_found[0].article == theirs.id);
  CHECK(w.engine->get_article(w.tenant.id, theirs.id).status().is(StatusCode::kNotFound));
  CHECK(w.engine->remove_article(w.tenant.id, theirs.id).is(StatusCode::kNotFound));

  // Language filter.
  CHECK(slugs(search(w, "refund", std::string("en"))) == std::vector<std::string>{"refund"});
  CHECK(search(w, "refund", std::string("de")).empty());
  auto de = search(w, "ruckerstattung", std::string("de"));
  CHECK(de.size() == 2);
  CHECK(search(w, "ruckerstattung", std::string("en")).empty());

  // Unpublished articles are not found, and are found again once published.
  Article draft = article(w, "entwurf", "de", "Entwurf", "Das Geheimwort steht hier.");
  draft.published = false;
  draft = World::must(w.engine->put_article(draft));
  CHECK(search(w, "geheimwort").empty());
  CHECK_FALSE(World::must(w.engine->get_article(w.tenant.id, draft.id)).published);
  draft.published = true;
  CHECK(World::must(w.engine->put_article(draft)).id == draft.id);
  CHECK(slugs(search(w, "geheimwort")) == std::vector<std::string>{"entwurf"});
}

TEST_CASE("kb: put updates by slug and re-indexes, remove deletes", "[conformance][kb]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  Library l = put_library(w);
  w.clock.advance(hours(1));
  Article changed =
      article(w, "passwort", "de", "Kennwort ändern", "Unter Konto finden Sie das Kennwort.");
  changed.tags = {"konto", "sicherheit"};
  Article stored = World::must(w.engine->put_article(changed));
  CHECK(stored.id == l.password.id);
  CHECK(stored.created_at == l.password.created_at);
  CHECK(stored.updated_at == l.password.created_at + hours(1));
  Article read = World::must(w.engine->get_article(w.tenant.id, l.password.id));
  CHECK(read.title == "Kennwort ändern");
  CHECK(read.tags == std::vector<std::string>{"konto", "sicherheit"});
  CHECK(read.updated_at == stored.updated_at);
  // The old words no longer match; the new ones do.
  CHECK(search(w, "passwort").empty());
  CHECK(search(w, "zurucksetzen").empty());
  CHECK(search(w, "grosse").empty());
  CHECK(slugs(search(w, "andern")) == std::vector<std::string>{"passwort"});
  CHECK(slugs(search(w, "kennwort")) == std::vector<std::string>{"passwort"});

  OMNI_REQUIRE_OK(w.engine->remove_article(w.tenant.id, l.password.id));
  CHECK(w.engine->get_article(w.tenant.id, l.password.id).status().is(StatusCode::kNotFound));
  CHECK(w.engine->find_article(w.tenant.id, "passwort").status().is(StatusCode::kNotFound));
  CHECK(search(w, "kennwort").empty());
  CHECK(w.engine->remove_article(w.tenant.id, l.password.id).is(StatusCode::kNotFound));
  // The slug is free again.
  Article again = World::must(w.engine->put_article(article(w, "passwort", "de", "Neu", "x")));
  CHECK(again.id != l.password.id);
  CHECK(search(w, "ruckerstattung").size() == 2);  // the others are untouched
}

TEST_CASE("kb: articles are validated and bounded", "[conformance][kb]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  auto field_of = [&](const Article& a) { return w.engine->put_article(a).status(); };
  CHECK(field_of(article(w, "Bad Slug", "de", "T", "B")).field() == "slug");
  CHECK(field_of(article(w, "", "de", "T", "B")).field() == "slug");
  CHECK(field_of(article(w, "ok", "", "T", "B")).field() == "language");
  CHECK(field_of(article(w, "ok", "de DE", "T", "B")).field() == "language");
  CHECK(field_of(article(w, "ok", "de", "", "B")).field() == "title");
  CHECK(field_of(article(w, "ok", "de", "T", "\xff")).code() == StatusCode::kInvalidArgument);
  Status big = field_of(article(w, "ok", "de", "T", std::string(256 * 1024 + 1, 'x')));
  CHECK(big.code() == StatusCode::kResourceExhausted);
  CHECK(big.field() == "body");
  Article tags = article(w, "ok", "de", "T", "B");
  tags.tags.assign(33, "t");
  CHECK(field_of(tags).field() == "tags");
  Article nowhere = article(w, "ok", "de", "T", "B");
  nowhere.tenant = TenantId(9999);
  CHECK(field_of(nowhere).code() == StatusCode::kNotFound);
  CHECK(w.engine->find_article(w.tenant.id, "ok").status().is(StatusCode::kNotFound));
}

TEST_CASE("kb: a view and a search are touchpoints on the timeline that open no case",
          "[conformance][kb]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  Library l = put_library(w);
  InboundMessage first = w.message(w.web, IdentityKind::kWebVisitor, "visitor-7", "kb-1", "");
  first.kind = TouchpointKind::kKnowledgeBaseView;
  ReceiveResult visitor = w.receive(first);
  const std::size_t events_before = w.event_count();

  KnowledgeBaseVisitor by_identity;
  by_identity.tenant = w.tenant.id;
  by_identity.identity = IdentityInput{IdentityKind::kWebVisitor, "", "visitor-7"};
  by_identity.channel = w.web.id;
  Touchpoint view = World::must(w.engine->record_article_view(by_identity, l.refund_de.id));
  CHECK(view.customer == visitor.customer);
  CHECK_FALSE(view.conversation.has_value());
  CHECK(view.kind == TouchpointKind::kKnowledgeBaseView);
  CHECK(view.channel == std::optional<ChannelId>(w.web.id));
  CHECK(view.channel_kind == ChannelKind::kWeb);
  CHECK(view.metadata.at("kb_action") == "view");
  CHECK(view.metadata.at("article_slug") == "rueckerstattung");
  CHECK(view.metadata.at("article_id") == std::to_string(l.refund_de.id.value()));
  CHECK(view.subject == "Rückerstattung beantragen");

  KnowledgeBaseVisitor by_id;
  by_id.tenant = w.tenant.id;
  by_id.customer = visitor.customer;
  Touchpoint searched = World::must(w.engine->record_search(by_id, "Rückerstattung dauer", 2));
  CHECK_FALSE(searched.conversation.has_value());
  CHECK(searched.metadata.at("kb_action") == "search");
  CHECK(searched.metadata.at("search_query") == "Rückerstattung dauer");
  CHECK(searched.metadata.at("search_hits") == "2");

  CHECK(w.timeline_size(visitor.customer) == 3);
  CustomerView seen = World::must(w.engine->customer_view(w.tenant.id, visitor.customer));
  CHECK(seen.active_conversations.empty());
  CHECK(seen.recent_conversations.empty());
  CHECK(w.event_count() == events_before + 2);  // touchpoint.added twice

  // Unknown visitors, articles and channels change nothing.
  KnowledgeBaseVisitor stranger = by_identity;
  stranger.identity->value = "visitor-unknown";
  CHECK(w.engine->record_article_view(stranger, l.refund_de.id).status().is(StatusCode::kNotFound));
  CHECK(w.engine->record_article_view(by_id, ArticleId(99999)).status().is(StatusCode::kNotFound));
  KnowledgeBaseVisitor bad_channel = by_id;
  bad_channel.channel = ChannelId(99999);
  CHECK(w.engine->record_article_view(bad_channel, l.refund_de.id)
            .status()
            .is(StatusCode::kNotFound));
  KnowledgeBaseVisitor nobody;
  nobody.tenant = w.tenant.id;
  CHECK(w.engine->record_search(nobody, "x", 0).status().is(StatusCode::kInvalidArgument));
  CHECK(w.timeline_size(visitor.customer) == 3);
}

TEST_CASE("kb: suggestions for an inbound message rank the matching article first",
          "[conformance][kb]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  Library l = put_library(w);
  InboundMessage m = w.sms_from("+4915112345678", "s1", "Wie bekomme ich meine Rückerstattung?");
  auto hits = World::must(w.engine->suggest_articles(m));
  REQUIRE_FALSE(hits.empty());
  CHECK(hits[0].article == l.refund_de.id);
  CHECK(has(hits, "versandkosten"));
  CHECK(hits.size() <= 3);

  auto english = World::must(w.engine->suggest_articles(w.tenant.id, "How do I get a refund?"));
  REQUIRE_FALSE(english.empty());
  CHECK(english[0].article == l.refund_en.id);
  auto only_de = World::must(
      w.engine->suggest_articles(w.tenant.id, "Wie bekomme ich meine Rückerstattung?", 1, "de"));
  REQUIRE(only_de.size() == 1);
  CHECK(only_de[0].article == l.refund_de.id);
  // Only stop words: nothing to suggest.
  CHECK(World::must(w.engine->suggest_articles(w.tenant.id, "Hallo, wie ist das? What is it?"))
            .empty());
  // Suggesting records nothing.
  CHECK(w.customer_count() == 0);
}

TEST_CASE("kb: deflection counts self-service not followed by a conversation within the window",
          "[conformance][kb]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  Library l = put_library(w);
  const Timestamp t = t0() - hours(72);
  int next_id = 0;
  auto at_time = [&](const std::string& visitor, TouchpointKind kind, Timestamp when) {
    InboundMessage m = w.message(w.web, IdentityKind::kWebVisitor, visitor,
                                 "m" + std::to_string(++next_id), "Frage");
    m.kind = kind;
    m.occurred_at = when;
    return w.receive(m);
  };
  auto view = [&](const std::string& visitor, Timestamp when) {
    return at_time(visitor, TouchpointKind::kKnowledgeBaseView, when);
  };
  auto write = [&](const std::string& visitor, Timestamp when) {
    ReceiveResult r = at_time(visitor, TouchpointKind::kMessageIn, when);
    REQUIRE(r.new_conversation);
    OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, r.conversation));
    OMNI_REQUIRE_OK(w.engine->close(w.tenant.id, r.conversation));
  };
  // a: reads, never writes: deflected.
  view("a", t);
  // b: reads, writes 2 h later: followed.
  view("b", t);
  write("b", t + hours(2));
  // c: writes exactly 24 h later: followed (the boundary counts).
  view("c", t);
  write("c", t + hours(24));
  // d: writes 24 h and 1 s later: deflected.
  view("d", t);
  write("d", t + hours(24) + seconds(1));
  // e: a view before the range (not counted), then a search in it and a message 30 min later.
  ReceiveResult e = view("e", t - hours(1));
  KnowledgeBaseVisitor visitor_e;
  visitor_e.tenant = w.tenant.id;
  visitor_e.customer = e.customer;
  visitor_e.occurred_at = t + minutes(30);
  World::must(w.engine->record_search(visitor_e, "Rückerstattung", 1));
  write("e", t + hours(1));
  // f: a view at the end of the range (excluded: [from, to)).
  view("f", t + hours(1));
  // Another tenant's self-service is not counted.
  Tenant other = World::must(w.engine->create_tenant("other", "DE"));
  Channel other_web =
      World::must(w.engine->create_channel({other.id, ChannelKind::kWeb, "help", std::nullopt}));
  InboundMessage theirs = w.message(w.web, IdentityKind::kWebVisitor, "a", "o1", "");
  theirs.tenant = other.id;
  theirs.channel = other_web.id;
  theirs.kind = TouchpointKind::kKnowledgeBaseView;
  theirs.occurred_at = t;
  w.receive(theirs);
  // A view inside a conversation (the case was open) is not self-service.
  ReceiveResult g = at_time("g", TouchpointKind::kMessageIn, t - hours(2));
  ReceiveResult g_view = view("g", t);
  CHECK(g_view.conversation == g.conversation);
  (void)l;

  DeflectionReport day = World::must(w.engine->deflection(w.tenant.id, t, t + hours(1), hours(24)));
  CHECK(day.attempts == 5);                  // a, b, c, d, e's search
  CHECK(day.followed_by_conversation == 3);  // b, c, e
  CHECK(day.deflected == 2);                 // a, d
  CHECK(day.rate == Approx(0.4));

  DeflectionReport hour = World::must(w.engine->deflection(w.tenant.id, t, t + hours(1), hours(1)));
  CHECK(hour.attempts == 5);
  CHECK(hour.followed_by_conversation == 1);  // e
  CHECK(hour.deflected == 4);

  DeflectionReport wider =
      World::must(w.engine->deflection(w.tenant.id, t - hours(1), t + hours(2), hours(24)));
  CHECK(wider.attempts == 7);                  // + e's view, f
  CHECK(wider.followed_by_conversation == 4);  // + e's view

  DeflectionReport empty = World::must(w.engine->deflection(w.tenant.id, t0(), t0(), hours(24)));
  CHECK(empty.attempts == 0);
  CHECK(empty.rate == 0);
  CHECK(w.engine->deflection(w.tenant.id, t0(), t0() - hours(1), hours(1))
            .status()
            .is(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace omni::testing
