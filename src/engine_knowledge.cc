// Engine: the knowledge base — articles, search, suggestions, self-service touchpoints and the
// deflection report (omni/knowledge.h).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine_impl.h"

namespace omni {
using namespace engine_internal;
namespace {

constexpr std::size_t kMaxSlugBytes = 128;
constexpr std::size_t kMaxLanguageBytes = 35;
constexpr std::size_t kMaxTitleBytes = 512;
constexpr std::size_t kMaxArticleBodyBytes = 256 * 1024;
constexpr std::size_t kMaxTags = 32;
constexpr std::size_t kMaxTagBytes = 64;
constexpr std::size_t kMaxSearchLimit = 100;
constexpr std::size_t kMaxRecordedQueryBytes = 1024;

// Folded (search_terms) German and English words too common to say what a message is about.
const std::set<std::string, std::less<>>& stop_words() {
  static const std::set<std::string, std::less<>> words{
      // English
      "a", "about", "all", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by",
      "can", "could", "did", "do", "does", "for", "from", "get", "got", "had", "has", "have",
      "hello", "hi", "how", "i", "if", "in", "is", "it", "its", "me", "my", "no", "not", "of", "on",
      "or", "our", "please", "so", "thank", "thanks", "that", "the", "their", "them", "there",
      "these", "they", "this", "to", "up", "us", "was", "we", "were", "what", "when", "where",
      "which", "who", "why", "will", "with", "would", "yes", "you", "your",
      // German (folded: "für" -> "fur")
      "aber", "als", "am", "an", "auch", "auf", "aus", "bei", "bin", "bis", "bist", "bitte", "da",
      "danke", "das", "dass", "dein", "deine", "dem", "den", "der", "des", "dich", "die", "dir",
      "doch", "du", "ein", "eine", "einem", "einen", "einer", "er", "es", "fur", "gibt", "guten",
      "habe", "haben", "hallo", "hat", "hatte", "ich", "ihr", "ihre", "im", "ist", "ja", "kann",
      "kein", "keine", "konnen", "konnte", "mein", "meine", "meinen", "meiner", "mich", "mir",
      "mit", "nach", "nein", "nicht", "noch", "nur", "oder", "sehr", "sie", "sind", "so", "tag",
      "uber", "um", "und", "uns", "unser", "vom", "von", "vor", "war", "waren", "was", "warum",
      "wann", "weil", "wenn", "wer", "werden", "wie", "wieso", "wir", "wird", "wo", "wurde", "zu",
      "zum", "zur"};
  return words;
}

Status check_slug(const std::string& slug) {
  OMNI_RETURN_IF_ERROR(check_required_text("slug", slug, kMaxSlugBytes));
  for (char c : slug) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::invalid_argument("slug may hold only a-z, 0-9, '.', '_' and '-'")
          .with_field("slug");
    }
  }
  return Status();
}

Status check_article(const Article& a) {
  if (!a.tenant.valid()) return Status::invalid_argument("tenant is not set").with_field("tenant");
  OMNI_RETURN_IF_ERROR(check_slug(a.slug));
  OMNI_RETURN_IF_ERROR(check_required_text("language", a.language, kMaxLanguageBytes));
  for (char c : a.language) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      return Status::invalid_argument("language is not a language tag").with_field("language");
    }
  }
  OMNI_RETURN_IF_ERROR(check_required_text("title", a.title, kMaxTitleBytes));
  OMNI_RETURN_IF_ERROR(check_text("body", a.body, kMaxArticleBodyBytes));
  if (a.tags.size() > kMaxTags) {
    return Status::resource_exhausted("more than " + std::to_string(kMaxTags) + " tags")
        .with_field("tags");
  }
  for (const auto& tag : a.tags)
    OMNI_RETURN_IF_ERROR(check_required_text("tags", tag, kMaxTagBytes));
  return Status();
}

Status check_limit(std::size_t limit) {
  if (limit == 0 || limit > kMaxSearchLimit) {
    return Status::invalid_argument("limit must be 1-" + std::to_string(kMaxSearchLimit))
        .with_field("limit");
  }
  return Status();
}

}  // namespace

Result<Article> Engine::put_article(const Article& article) {
  OMNI_RETURN_IF_ERROR(check_article(article));
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Article> {
    const Timestamp now_ts = impl_->now();
    Article row = article;
    row.updated_at = now_ts;
    auto existing = tx.find_article(article.tenant, article.slug);
    if (existing.ok()) {
      row.id = existing->id;
      row.created_at = existing->created_at;
      OMNI_RETURN_IF_ERROR(tx.update_article(row));
    } else if (existing.status().is(StatusCode::kNotFound)) {
      OMNI_RETURN_IF_ERROR(tx.get_tenant(article.tenant).status());
      row.created_at = now_ts;
      auto inserted = tx.insert_article(row);
      // Another writer (another process on a shared database) put the slug first: retrying
      // finds its row and updates it.
      if (inserted.status().is(StatusCode::kAlreadyExists)) {
        return Status::conflict(inserted.status().message());
      }
      if (!inserted.ok()) return inserted.status();
      row.id = *inserted;
    } else {
      return existing.status();
    }
    OMNI_RETURN_IF_ERROR(Impl::event(tx, row.tenant, std::nullopt, std::nullopt, "article.put",
                                     Payload().add("article", row.id).add("slug", row.slug).str(),
                                     now_ts));
    return row;
  });
}

Result<Article> Engine::get_article(TenantId tenant, ArticleId article) {
  return impl_->run_read([&](StoreTransaction& tx) { return tx.get_article(tenant, article); });
}

Result<Article> Engine::find_article(TenantId tenant, const std::string& slug) {
  return impl_->run_read([&](StoreTransaction& tx) { return tx.find_article(tenant, slug); });
}

Status Engine::remove_article(TenantId tenant, ArticleId article) {
  return impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_ASSIGN_OR_RETURN(Article row, tx.get_article(tenant, article));
    OMNI_RETURN_IF_ERROR(tx.delete_article(tenant, article));
    return Impl::event(tx, tenant, std::nullopt, std::nullopt, "article.removed",
                       Payload().add("article", row.id).add("slug", row.slug).str(), impl_->now());
  });
}

Result<std::vector<ArticleHit>> Engine::search_articles(const ArticleQuery& query) {
  if (!query.tenant.valid()) {
    return Status::invalid_argument("tenant is not set").with_field("tenant");
  }
  OMNI_RETURN_IF_ERROR(check_limit(query.limit));
  // Any length is fine: only the first words count.
  if (!detail::is_valid_utf8(query.text)) {
    return Status::invalid_argument("text is not valid UTF-8").with_field("text");
  }
  ArticleSearch search;
  search.tenant = query.tenant;
  search.terms = search_terms(query.text);
  search.match_all = query.match_all;
  search.language = query.language;
  search.limit = query.limit;
  if (search.terms.empty()) return std::vector<ArticleHit>();
  return impl_->run_read([&](StoreTransaction& tx) { return tx.search_articles(search); });
}

Result<std::vector<ArticleHit>> Engine::suggest_articles(
    TenantId tenant, const std::string& text, std::size_t limit,
    const std::optional<std::string>& language) {
  if (!tenant.valid()) return Status::invalid_argument("tenant is not set").with_field("tenant");
  OMNI_RETURN_IF_ERROR(check_limit(limit));
  if (!detail::is_valid_utf8(text)) {
    return Status::invalid_argument("text is not valid UTF-8").with_field("text");
  }
  ArticleSearch search;
  search.tenant = tenant;
  search.match_all = false;
  search.language = language;
  search.limit = limit;
  // Stop words are dropped before the cap on terms, so a long message keeps its content words.
  for (auto& term : search_terms(text, 256)) {
    if (search.terms.size() >= 32) break;
    if (stop_words().count(term) == 0 && term.size() > 1) search.terms.push_back(std::move(term));
  }
  if (search.terms.empty()) return std::vector<ArticleHit>();
  return impl_->run_read([&](StoreTransaction& tx) { return tx.search_articles(search); });
}

Result<std::vector<ArticleHit>> Engine::suggest_articles(const InboundMessage& message,
                                                         std::size_t limit) {
  std::string text = message.subject;
  if (!text.empty()) text += '\n';
  text += message.body;
  return suggest_articles(message.tenant, text, limit);
}

Result<Touchpoint> Engine::Impl::record_self_service(const KnowledgeBaseVisitor& v,
                                                     std::optional<ArticleId> article,
                                                     std::map<std::string, std::string> metadata) {
  if (!v.tenant.valid()) return Status::invalid_argument("tenant is not set").with_field("tenant");
  std::optional<detail::NormalizedIdentity> identity;
  if (!v.customer) {
    if (!v.identity) {
      return Status::invalid_argument("neither customer nor identity is set")
          .with_field("customer");
    }
    OMNI_ASSIGN_OR_RETURN(detail::NormalizationPolicy policy, policy_for(v.tenant));
    OMNI_ASSIGN_OR_RETURN(identity, detail::normalize_identity(*v.identity, policy));
  }
  return run_write([&](StoreTransaction& tx) -> Result<Touchpoint> {
    const Timestamp now_ts = now();
    Touchpoint tp;
    tp.tenant = v.tenant;
    if (v.customer) {
      OMNI_ASSIGN_OR_RETURN(Customer customer, resolve_customer(tx, v.tenant, *v.customer));
      tp.customer = customer.id;
    } else {
      OMNI_ASSIGN_OR_RETURN(Identity found, tx.find_identity(v.tenant, identity->kind,
                                                             identity->scope, identity->value));
      tp.customer = found.customer;
      tp.identity = found.id;
    }
    if (v.channel) {
      OMNI_ASSIGN_OR_RETURN(tp.channel_kind, channel_kind_of(tx, v.tenant, *v.channel));
      tp.channel = *v.channel;
    }
    if (article) {
      OMNI_ASSIGN_OR_RETURN(Article a, tx.get_article(v.tenant, *article));
      metadata["article_id"] = std::to_string(a.id.value());
      metadata["article_slug"] = a.slug;
      tp.subject = excerpt_of(a.title, kMaxSubjectBytes);
    }
    tp.kind = TouchpointKind::kKnowledgeBaseView;
    tp.metadata = std::move(metadata);
    tp.occurred_at = v.occurred_at.value_or(now_ts);
    tp.recorded_at = now_ts;
    OMNI_ASSIGN_OR_RETURN(tp.id, tx.insert_touchpoint(tp));
    OMNI_RETURN_IF_ERROR(event(tx, v.tenant, tp.customer, std::nullopt, "touchpoint.added",
                               Payload()
                                   .add("touchpoint", tp.id)
                                   .add("kind", to_string(tp.kind))
                                   .add("kb_action", tp.metadata["kb_action"])
                                   .str(),
                               now_ts));
    return tp;
  });
}

Result<Touchpoint> Engine::record_article_view(const KnowledgeBaseVisitor& visitor,
                                               ArticleId article) {
  return impl_->record_self_service(visitor, article, {{"kb_action", "view"}});
}

Result<Touchpoint> Engine::record_search(const KnowledgeBaseVisitor& visitor,
                                         const std::string& query, std::size_t hits) {
  if (!detail::is_valid_utf8(query)) {
    return Status::invalid_argument("query is not valid UTF-8").with_field("query");
  }
  return impl_->record_self_service(visitor, std::nullopt,
                                    {{"kb_action", "search"},
                                     {"search_query", excerpt_of(query, kMaxRecordedQueryBytes)},
                                     {"search_hits", std::to_string(hits)}});
}

Result<DeflectionReport> Engine::deflection(TenantId tenant, Timestamp from, Timestamp to,
                                            std::chrono::seconds window) {
  if (!tenant.valid()) return Status::invalid_argument("tenant is not set").with_field("tenant");
  if (to < from) return Status::invalid_argument("to is before from").with_field("to");
  if (window.count() < 0)
    return Status::invalid_argument("window is negative").with_field("window");
  OMNI_ASSIGN_OR_RETURN(DeflectionReport report, impl_->run_read([&](StoreTransaction& tx) {
    return tx.count_deflection(tenant, from, to, window);
  }));
  report.deflected = report.attempts - report.followed_by_conversation;
  report.rate = report.attempts > 0
                    ? static_cast<double>(report.deflected) / static_cast<double>(report.attempts)
                    : 0.0;
  return report;
}

}  // namespace omni
