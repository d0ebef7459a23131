// PostgresStore: knowledge base, CSAT and metrics (see pg_store.h).
#include "postgres/pg_store.h"

namespace omni::pgstore {

Result<ArticleId> PostgresTransaction::insert_article(const Article&) {
  return not_implemented("insert_article");
}

Status PostgresTransaction::update_article(const Article&) {
  return not_implemented("update_article");
}

Result<Article> PostgresTransaction::get_article(TenantId, ArticleId) {
  return not_implemented("get_article");
}

Result<Article> PostgresTransaction::find_article(TenantId, std::string_view) {
  return not_implemented("find_article");
}

Status PostgresTransaction::delete_article(TenantId, ArticleId) {
  return not_implemented("delete_article");
}

Result<std::vector<ArticleHit>> PostgresTransaction::search_articles(const ArticleSearch&) {
  return not_implemented("search_articles");
}

Result<DeflectionReport> PostgresTransaction::count_deflection(TenantId, Timestamp, Timestamp,
                                                               std::chrono::microseconds) {
  return not_implemented("count_deflection");
}

Result<bool> PostgresTransaction::put_csat(const CsatResponse&) {
  return not_implemented("put_csat");
}

Result<CsatResponse> PostgresTransaction::get_csat(TenantId, ConversationId) {
  return not_implemented("get_csat");
}

Result<CsatSummary> PostgresTransaction::summarize_csat(const CsatQuery&) {
  return not_implemented("summarize_csat");
}

Result<std::vector<MetricsRow>> PostgresTransaction::compute_metrics(
    const MetricsQuery&, const std::vector<MetricsBucket>&) {
  return not_implemented("compute_metrics");
}

Result<std::vector<ConversationTimes>> PostgresTransaction::list_conversation_times(
    const MetricsQuery&, const MetricsBucket&) {
  return not_implemented("list_conversation_times");
}

Result<std::vector<CustomerChannels>> PostgresTransaction::count_preferred_channels(
    const PreferredChannelsQuery&) {
  return not_implemented("count_preferred_channels");
}

}  // namespace omni::pgstore
