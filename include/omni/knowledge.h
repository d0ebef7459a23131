// omni/knowledge.h — the knowledge base: articles, full-text search, article suggestions for an
// inbound message and the deflection report (self-service that was not followed by a case).
//
// Folding (the same in every store; search_terms() is what a backend uses): a text is split into
// words at every character that is not a letter or digit; each word is Unicode case folded
// (full folding, so "ß" and "ẞ" become "ss"), loses its diacritics ("ü" -> "u", "é" -> "e") and
// is compared whole (no prefixes, no stemming). A word of an article with a German umlaut or ß
// is also indexed in its transliterated spelling ("Rückerstattung" is found by "ruckerstattung",
// "RUCKERSTATTUNG" and "Rueckerstattung"; "Straße" by "strasse").
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/clock.h"
#include "omni/customer.h"
#include "omni/export.h"
#include "omni/ids.h"

namespace omni {

struct Article {
  ArticleId id;  // assigned by the store
  TenantId tenant;
  // The article's key, unique within the tenant: 1-128 bytes of [a-z0-9._-], e.g.
  // "refund-policy". Engine::put_article inserts or updates by it.
  std::string slug;
  std::string language;           // a language tag ("de", "en", "de-AT"); required
  std::string title;              // required, at most 512 bytes
  std::string body;               // plain text or Markdown, at most 256 KiB
  std::vector<std::string> tags;  // at most 32, each 1-64 bytes
  bool published = true;          // unpublished articles are never found by a search
  Timestamp created_at;           // set by the engine
  Timestamp updated_at;           // set by the engine
};

struct ArticleQuery {
  TenantId tenant;
  // What the customer typed. Only its words count (see the folding rules above): quotes,
  // operators and punctuation are ignored, never interpreted. No word: no hits (not an error).
  std::string text;
  std::optional<std::string> language;  // only articles of this language (exact tag)
  // true: an article must contain every word; false: any word (ranked by how well it matches).
  // Default: true.
  bool match_all = true;
  std::size_t limit = 10;  // at most 100. Default: 10.
};

struct ArticleHit {
  ArticleId article;
  std::string slug;
  std::string title;
  std::string language;
  // Higher is better; comparable only within one result. A match in the title counts more than
  // one in the body. The scale differs between stores.
  double score = 0;
  std::string snippet;  // a short excerpt of the body around the match (plain text)
};

// Who read or searched the knowledge base: an existing customer, by id (a merged id resolves to
// its survivor) or by one of their identities (normalized as Engine::receive does; an unknown
// identity is kNotFound: a first-time visitor is recorded with Engine::receive and a
// kKnowledgeBaseView message instead).
struct KnowledgeBaseVisitor {
  TenantId tenant;
  std::optional<CustomerId> customer;
  std::optional<IdentityInput> identity;  // used when customer is not set
  std::optional<ChannelId> channel;       // where it happened (the help center), optional
  std::optional<Timestamp> occurred_at;   // default: the engine clock's now()
};

// Engine::deflection: self-service attempts in [from, to) and how many were followed by a case.
// An attempt is a kKnowledgeBaseView touchpoint (an article view or a search) that is not part
// of a conversation. It is followed by a conversation when a conversation of the same customer
// was opened at or after the attempt and at most `window` after it (the boundary counts as
// followed). Deflected = attempts - followed; rate = deflected / attempts (0 without attempts).
// Attempts less than `window` before the clock's now() may still be followed later.
struct DeflectionReport {
  std::int64_t attempts = 0;
  std::int64_t followed_by_conversation = 0;
  std::int64_t deflected = 0;
  double rate = 0;
};

// The folded, de-duplicated words of `text` in order of first appearance, as a store compares
// them (see the folding rules above): at most `max_terms` words of at most 64 bytes each
// (longer words are dropped).
OMNI_EXPORT std::vector<std::string> search_terms(std::string_view text,
                                                  std::size_t max_terms = 32);

// The words of an article text that have another spelling (ä/ö/ü -> ae/oe/ue, ß -> ss), in that
// spelling, separated by spaces; empty when there is none. A store indexes it beside the text.
OMNI_EXPORT std::string search_alternates(std::string_view text);

}  // namespace omni
