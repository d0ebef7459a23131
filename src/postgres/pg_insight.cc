// PostgresStore: knowledge base, CSAT and metrics (see pg_store.h).
#include <cctype>

#include "omni/csat.h"
#include "omni/knowledge.h"
#include "omni/metrics.h"
#include "postgres/pg_store.h"

namespace omni::pgstore {
namespace {

// --- knowledge base

constexpr std::string_view kArticleColumns =
    "id, tenant_id, slug, language, title, body, tags, published, created_at, updated_at";

Result<Article> read_article(Row& row) {
  Article a;
  OMNI_ASSIGN_OR_RETURN(a.id, row.id<ArticleId>());
  OMNI_ASSIGN_OR_RETURN(a.tenant, row.id<TenantId>());
  a.slug = row.text();
  a.language = row.text();
  a.title = row.text();
  a.body = row.text();
  OMNI_ASSIGN_OR_RETURN(a.tags, sqlite::decode_string_list(row.text(), "articles.tags"));
  a.published = row.boolean();
  OMNI_ASSIGN_OR_RETURN(a.created_at, row.timestamp());
  OMNI_ASSIGN_OR_RETURN(a.updated_at, row.timestamp());
  return a;
}

// The words an article text is found by (omni/knowledge.h): those of search_terms(text) and of
// search_terms(search_alternates(text)), all of them, separated by spaces. The columns
// title_text and body_text hold them; the generated tsvector `search` parses them with the
// 'simple' configuration, and search_articles parses each query term the same way, so both
// sides split and normalize a word alike.
std::string indexed_words(std::string_view text) {
  constexpr std::size_t kAll = static_cast<std::size_t>(-1);
  std::string out;
  for (const auto& term : search_terms(text, kAll)) {
    if (!out.empty()) out += ' ';
    out += term;
  }
  for (const auto& term : search_terms(search_alternates(text), kAll)) {
    if (!out.empty()) out += ' ';
    out += term;
  }
  return out;
}

// The longest prefix of `text` of at most `max_bytes` bytes that ends on a code point boundary.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Back over continuation bytes (10xxxxxx) to the start of the cut code point.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  return text.substr(0, end);
}

// About 160 bytes of `body` from a little before the first word that matches one of `terms`
// (the start when none does), cut at word and code point boundaries, "…" where it was cut: the
// in-memory store's excerpt (SQLite's FTS5 snippet() has no PostgreSQL counterpart that works
// on the folded words).
std::string snippet_of(std::string_view body, const std::vector<std::string>& terms) {
  auto word_byte = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || std::isalnum(u) != 0;
  };
  std::size_t match = 0;
  for (std::size_t i = 0; i < body.size();) {
    if (!word_byte(body[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < body.size() && word_byte(body[end]))
      ++end;
    const std::string_view word = body.substr(i, end - i);
    bool found = false;
    for (const auto& folded : {search_terms(word), search_terms(search_alternates(word))}) {
      for (const auto& term : folded) {
        if (std::find(terms.begin(), terms.end(), term) != terms.end()) found = true;
      }
    }
    if (found) {
      match = i;
      break;
    }
    i = end;
  }
  std::size_t start = match > 60 ? match - 60 : 0;
  if (start > 0) {
    // Forward to the next word's start.
    while (start < match && word_byte(body[start - 1]))
      ++start;
  }
  std::string_view excerpt = utf8_prefix(body.substr(start), 160);
  std::string out = start > 0 ? "…" : "";
  out += excerpt;
  if (start + excerpt.size() < body.size()) out += "…";
  return out;
}

// A JSON array of strings.
std::string json_strings(const std::vector<std::string>& values) {
  return sqlite::encode_string_list(values);
}

// --- CSAT

constexpr std::string_view kCsatColumns =
    "tenant_id, conversation_id, customer_id, agent_id, score, comment, channel_kind, responded_at";

Result<CsatResponse> read_csat(Row& row) {
  CsatResponse r;
  OMNI_ASSIGN_OR_RETURN(r.tenant, row.id<TenantId>());
  OMNI_ASSIGN_OR_RETURN(r.conversation, row.id<ConversationId>());
  OMNI_ASSIGN_OR_RETURN(r.customer, row.id<CustomerId>());
  OMNI_ASSIGN_OR_RETURN(r.agent, row.optional_id<AgentId>());
  OMNI_ASSIGN_OR_RETURN(r.score, row.int32());
  r.comment = row.text();
  OMNI_ASSIGN_OR_RETURN(r.channel_kind, row.name(parse_channel_kind));
  OMNI_ASSIGN_OR_RETURN(r.responded_at, row.timestamp());
  return r;
}

// --- metrics. Every statement takes $1 tenant, $2 the buckets as a JSON array of [start, end)
// pairs in unix micros, $3 channel kind ('' any), $4 team ('' any), $5 agent (0 any); the
// conversation statements also $6 the query's `to` and $7 the FCR window. The buckets drive the
// join: per bucket one range of touchpoints_by_time or conversations_by_opened.

constexpr std::string_view kMetricsBuckets =
    "WITH b AS (SELECT (e.ord - 1)::bigint AS idx, (e.value ->> 0)::bigint AS lo, "
    "(e.value ->> 1)::bigint AS hi "
    "FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e(value, ord)) ";

// The conversations of the query with what the metrics need of each, as the CTE `m`. The SLA
// clocks' `breached` is a JSON boolean (encode_sla_state).
constexpr std::string_view kMetricsConversations =
    ", m AS (SELECT b.idx AS idx, c.id AS id, ch.kind AS origin_kind, "
    "c.first_response_at - c.opened_at AS frt, "
    "CASE WHEN c.resolved_at < $6::bigint THEN c.resolved_at - c.opened_at END AS rt, "
    "CASE WHEN c.resolved_at < $6::bigint AND c.reopen_count = 0 AND c.handoff_count = 0 "
    "AND NOT EXISTS (SELECT 1 FROM conversations n WHERE n.tenant_id = c.tenant_id "
    "AND n.customer_id = c.customer_id AND n.opened_at > c.resolved_at "
    "AND n.opened_at <= c.resolved_at + $7::bigint AND n.id <> c.id) THEN 1 ELSE 0 END AS fcr, "
    "c.handoff_count AS handoffs, "
    "CASE WHEN c.handoff_count = 0 THEN 0 ELSE (SELECT count(*) FROM handoffs h "
    "WHERE h.tenant_id = c.tenant_id AND h.conversation_id = c.id "
    "AND h.kind = 'channel_switch') END AS switches, "
    "(c.sla::jsonb #>> '{first_response,due_at}')::bigint AS fr_due, "
    "(c.sla::jsonb #>> '{first_response,stopped_at}')::bigint AS fr_stop, "
    "COALESCE((c.sla::jsonb #>> '{first_response,breached}') = 'true', false) AS fr_flag, "
    "(c.sla::jsonb #>> '{resolution,due_at}')::bigint AS rs_due, "
    "(c.sla::jsonb #>> '{resolution,stopped_at}')::bigint AS rs_stop, "
    "COALESCE((c.sla::jsonb #>> '{resolution,breached}') = 'true', false) AS rs_flag "
    "FROM b JOIN conversations c ON c.tenant_id = $1::bigint AND c.opened_at >= b.lo "
    "AND c.opened_at < b.hi "
    "LEFT JOIN channels ch ON ch.tenant_id = c.tenant_id AND ch.id = c.origin_channel_id "
    "WHERE c.merged_into IS NULL AND ($3::text = '' OR ch.kind = $3::text) "
    "AND ($4::text = '' OR c.team = $4::text) "
    "AND ($5::bigint = 0 OR c.assignee_id = $5::bigint)) ";

// ", count(*) FILTER (WHERE <column> in bin 0), ..." for the bins of kDurationBinBounds, the
// column in micros.
std::string histogram_columns(std::string_view column) {
  std::string out;
  std::optional<std::int64_t> lower;
  for (std::size_t bin = 0; bin < kDurationBins; ++bin) {
    std::string condition;
    if (lower) condition = fmt::format("{} >= {}", column, *lower * 1'000'000);
    if (bin < kDurationBinBounds.size()) {
      const std::int64_t upper = kDurationBinBounds[bin];
      condition +=
          fmt::format("{}{} < {}", condition.empty() ? "" : " AND ", column, upper * 1'000'000);
      lower = upper;
    }
    out += fmt::format(", count(*) FILTER (WHERE {})", condition);
  }
  return out;
}

Result<ChannelKind> channel_kind_of(const std::string& name) {
  auto parsed = parse_channel_kind(name);
  if (!parsed) return Status::corruption(fmt::format("postgres: unknown channel kind '{}'", name));
  return *parsed;
}

}  // namespace

// --- knowledge base

Result<ArticleId> PostgresTransaction::insert_article(const Article& a) {
  return guarded(kWrites, "inserting an article", [&]() -> Result<ArticleId> {
    Params params;
    params.id(a.tenant)
        .text(a.slug)
        .text(a.language)
        .text(a.title)
        .text(a.body)
        .text(sqlite::encode_string_list(a.tags))
        .boolean(a.published)
        .timestamp(a.created_at)
        .timestamp(a.updated_at)
        .text(indexed_words(a.title))
        .text(indexed_words(a.body));
    return insert<ArticleId>(
        "INSERT INTO articles (tenant_id, slug, language, title, body, tags, published, "
        "created_at, updated_at, title_text, body_text) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        params, "inserting an article");
  });
}

Status PostgresTransaction::update_article(const Article& a) {
  return guarded(kWrites, "updating an article", [&]() -> Status {
    Params params;
    params.text(a.slug)
        .text(a.language)
        .text(a.title)
        .text(a.body)
        .text(sqlite::encode_string_list(a.tags))
        .boolean(a.published)
        .timestamp(a.created_at)
        .timestamp(a.updated_at)
        .text(indexed_words(a.title))
        .text(indexed_words(a.body))
        .id(a.tenant)
        .id(a.id);
    return update(
        "UPDATE articles SET slug = $1, language = $2, title = $3, body = $4, tags = $5, "
        "published = $6, created_at = $7, updated_at = $8, title_text = $9, body_text = $10 "
        "WHERE tenant_id = $11 AND id = $12",
        params, "updating an article", fmt::format("article {}", a.id.value()));
  });
}

Result<Article> PostgresTransaction::get_article(TenantId tenant, ArticleId id) {
  return guarded(kReads, "reading an article", [&]() -> Result<Article> {
    static const std::string sql =
        fmt::format("SELECT {} FROM articles WHERE tenant_id = $1 AND id = $2", kArticleColumns);
    Params params;
    params.id(tenant).id(id);
    return query_one(sql, params, "reading an article", fmt::format("article {}", id.value()),
                     "articles", read_article);
  });
}

Result<Article> PostgresTransaction::find_article(TenantId tenant, std::string_view slug) {
  return guarded(kReads, "finding an article", [&]() -> Result<Article> {
    static const std::string sql =
        fmt::format("SELECT {} FROM articles WHERE tenant_id = $1 AND slug = $2", kArticleColumns);
    Params params;
    params.id(tenant).text(slug);
    return query_one(sql, params, "finding an article", fmt::format("article '{}'", slug),
                     "articles", read_article);
  });
}

Status PostgresTransaction::delete_article(TenantId tenant, ArticleId id) {
  return guarded(kWrites, "deleting an article", [&]() -> Status {
    Params params;
    params.id(tenant).id(id);
    return update("DELETE FROM articles WHERE tenant_id = $1 AND id = $2", params,
                  "deleting an article", fmt::format("article {}", id.value()));
  });
}

// Each term is a phrase of the 'simple' configuration (phraseto_tsquery: data, never query
// syntax), ANDed (match_all) or ORed like SqliteStore's quoted FTS5 strings; the combined
// tsquery is a scalar subquery (an InitPlan), so the GIN index on `search` can use it. The score
// mirrors SqliteStore's bm25 weights: per term 10 for a match in the title (or its alternates,
// weight A) and 1 for one in the body (weight B), so more matched terms and title matches rank
// higher; ties by id. The snippet is cut in C++ (snippet_of). A term of which the parser keeps
// no lexeme (none of omni's letters and digits should be one) is left out of the query, before
// phraseto_tsquery would raise a NOTICE about it.
Result<std::vector<ArticleHit>> PostgresTransaction::search_articles(const ArticleSearch& q) {
  return guarded(kReads, "searching articles", [&]() -> Result<std::vector<ArticleHit>> {
    std::vector<ArticleHit> none;
    if (q.terms.empty()) return none;
    constexpr std::string_view kSearch =
        "WITH t AS (SELECT phraseto_tsquery('simple', value) AS q "
        "FROM jsonb_array_elements_text($1::jsonb) "
        "WHERE to_tsvector('simple', value) <> ''::tsvector), "
        "w AS (SELECT array_agg(q) AS qs, "
        "string_agg('(' || q::text || ')', $2::text)::tsquery AS whole "
        "FROM t WHERE numnode(q) > 0) "
        "SELECT a.id, a.slug, a.title, a.language, "
        "(SELECT sum(CASE WHEN ts_filter(a.search, '{{a}}') @@ x THEN 10 ELSE 0 END "
        "+ CASE WHEN ts_filter(a.search, '{{b}}') @@ x THEN 1 ELSE 0 END) "
        "FROM w, unnest(w.qs) AS x)::float8 AS score, a.body "
        "FROM articles a WHERE a.search @@ (SELECT whole FROM w) "
        "AND a.tenant_id = $3 AND a.published {} "
        "ORDER BY score DESC, a.id LIMIT $4";
    static const std::string all_languages = fmt::format(kSearch, "");
    static const std::string one_language = fmt::format(kSearch, "AND a.language = $5");
    Params params;
    params.text(json_strings(q.terms))
        .text(q.match_all ? " & " : " | ")
        .id(q.tenant)
        .int64(sql_limit(q.limit));
    if (q.language) params.text(*q.language);
    return query_all(q.language ? one_language : all_languages, params, "searching articles",
                     "articles", [&](Row& row) -> Result<ArticleHit> {
                       ArticleHit hit;
                       OMNI_ASSIGN_OR_RETURN(hit.article, row.id<ArticleId>());
                       hit.slug = row.text();
                       hit.title = row.text();
                       hit.language = row.text();
                       OMNI_ASSIGN_OR_RETURN(hit.score, row.real());
                       hit.snippet = snippet_of(row.text(), q.terms);
                       return hit;
                     });
  });
}

Result<DeflectionReport> PostgresTransaction::count_deflection(TenantId tenant, Timestamp from,
                                                               Timestamp to,
                                                               std::chrono::microseconds window) {
  return guarded(kReads, "counting deflection", [&]() -> Result<DeflectionReport> {
    // An index range of the touchpoints outside any conversation and, per attempt, of the
    // customer's conversations by opened_at.
    Params params;
    params.int64(window.count()).id(tenant).timestamp(from).timestamp(to);
    return query_one(
        "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM conversations c "
        "WHERE c.tenant_id = t.tenant_id AND c.customer_id = t.customer_id "
        "AND c.opened_at >= t.occurred_at AND c.opened_at <= t.occurred_at + $1::bigint)) "
        "FROM touchpoints t WHERE t.tenant_id = $2 AND t.kind = 'kb_view' "
        "AND t.conversation_id IS NULL AND t.occurred_at >= $3 AND t.occurred_at < $4",
        params, "counting deflection", "deflection", "touchpoints",
        [](Row& row) -> Result<DeflectionReport> {
          DeflectionReport report;
          OMNI_ASSIGN_OR_RETURN(report.attempts, row.int64());
          OMNI_ASSIGN_OR_RETURN(report.followed_by_conversation, row.int64());
          report.deflected = report.attempts - report.followed_by_conversation;
          return report;
        });
  });
}

// --- CSAT

Result<bool> PostgresTransaction::put_csat(const CsatResponse& r) {
  return guarded(kWrites, "writing a csat response", [&]() -> Result<bool> {
    Params key;
    key.id(r.tenant).id(r.conversation);
    OMNI_ASSIGN_OR_RETURN(
        QueryResult existing,
        query("SELECT 1 FROM csat_responses WHERE tenant_id = $1 AND conversation_id = $2", key,
              "reading a csat response"));
    const bool replaced = existing.rows() > 0;
    // Only onto a conversation of the same tenant: the SELECT yields no row otherwise.
    Params params;
    params.id(r.tenant)
        .id(r.customer)
        .optional_id(r.agent)
        .int64(r.score)
        .text(r.comment)
        .name(r.channel_kind)
        .timestamp(r.responded_at)
        .id(r.conversation);
    OMNI_RETURN_IF_ERROR(update(
        "INSERT INTO csat_responses (tenant_id, conversation_id, customer_id, agent_id, score, "
        "comment, channel_kind, responded_at) "
        "SELECT $1, id, $2, $3, $4, $5, $6, $7 FROM conversations WHERE tenant_id = $1 "
        "AND id = $8 "
        "ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET "
        "customer_id = EXCLUDED.customer_id, agent_id = EXCLUDED.agent_id, "
        "score = EXCLUDED.score, comment = EXCLUDED.comment, "
        "channel_kind = EXCLUDED.channel_kind, responded_at = EXCLUDED.responded_at",
        params, "writing a csat response", fmt::format("conversation {}", r.conversation.value())));
    return replaced;
  });
}

Result<CsatResponse> PostgresTransaction::get_csat(TenantId tenant, ConversationId conversation) {
  return guarded(kReads, "reading a csat response", [&]() -> Result<CsatResponse> {
    static const std::string sql =
        fmt::format("SELECT {} FROM csat_responses WHERE tenant_id = $1 AND conversation_id = $2",
                    kCsatColumns);
    Params params;
    params.id(tenant).id(conversation);
    return query_one(sql, params, "reading a csat response",
                     fmt::format("csat response of conversation {}", conversation.value()),
                     "csat_responses", read_csat);
  });
}

Result<CsatSummary> PostgresTransaction::summarize_csat(const CsatQuery& q) {
  return guarded(kReads, "summarizing csat", [&]() -> Result<CsatSummary> {
    // A range of csat_by_time (tenant_id, responded_at); agent and kind filter that range.
    Params params;
    params.id(q.tenant).timestamp(q.from).timestamp(q.to).optional_id(q.agent).text(
        q.channel_kind ? to_string(*q.channel_kind) : std::string_view());
    return query_one(
        "SELECT count(*), COALESCE(avg(score), 0)::float8, "
        "count(*) FILTER (WHERE score = 1), count(*) FILTER (WHERE score = 2), "
        "count(*) FILTER (WHERE score = 3), count(*) FILTER (WHERE score = 4), "
        "count(*) FILTER (WHERE score = 5) FROM csat_responses "
        "WHERE tenant_id = $1 AND responded_at >= $2 AND responded_at < $3 "
        "AND ($4::bigint IS NULL OR agent_id = $4::bigint) "
        "AND ($5::text = '' OR channel_kind = $5::text)",
        params, "summarizing csat", "csat summary", "csat_responses",
        [](Row& row) -> Result<CsatSummary> {
          CsatSummary summary;
          OMNI_ASSIGN_OR_RETURN(summary.count, row.int64());
          OMNI_ASSIGN_OR_RETURN(summary.average, row.real());
          for (auto& n : summary.distribution) {
            OMNI_ASSIGN_OR_RETURN(n, row.int64());
          }
          return summary;
        });
  });
}

// --- metrics

Result<std::vector<MetricsRow>> PostgresTransaction::compute_metrics(
    const MetricsQuery& query_in, const std::vector<MetricsBucket>& buckets) {
  return guarded(kReads, "computing metrics", [&]() -> Result<std::vector<MetricsRow>> {
    const MetricsQuery& mq = query_in;
    std::vector<MetricsRow> rows(buckets.size());
    std::string bucket_json = "[";
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      rows[i].start = buckets[i].start;
      rows[i].end = buckets[i].end;
      bucket_json += fmt::format("{}[{},{}]", i == 0 ? "" : ",", to_unix_micros(buckets[i].start),
                                 to_unix_micros(buckets[i].end));
    }
    bucket_json += "]";
    const std::string kind =
        mq.channel_kind ? std::string(to_string(*mq.channel_kind)) : std::string();
    const std::int64_t agent = mq.agent ? mq.agent->value() : 0;
    auto params_for = [&](bool conversations) {
      Params params;
      params.id(mq.tenant).text(bucket_json).text(kind).text(mq.team).int64(agent);
      if (conversations) {
        params.timestamp(mq.to).int64(
            std::chrono::duration_cast<std::chrono::microseconds>(mq.fcr_window).count());
      }
      return params;
    };
    auto row_at = [&](Row& row) -> Result<MetricsRow*> {
      OMNI_ASSIGN_OR_RETURN(std::int64_t index, row.int64());
      if (index < 0 || static_cast<std::size_t>(index) >= rows.size()) {
        return Status::internal(fmt::format("postgres: metrics bucket {} out of range", index));
      }
      return &rows[static_cast<std::size_t>(index)];
    };
    // Runs `sql` and hands each row (its bucket's MetricsRow first) to `read`.
    auto each = [&](const std::string& sql, bool conversations, std::string_view what,
                    auto&& read) -> Status {
      OMNI_ASSIGN_OR_RETURN(QueryResult result, query(sql, params_for(conversations), what));
      for (int i = 0; i < result.rows(); ++i) {
        Row row(result, i, "metrics");
        OMNI_ASSIGN_OR_RETURN(MetricsRow * target, row_at(row));
        OMNI_RETURN_IF_ERROR(read(row, *target));
      }
      return Status::ok_status();
    };
    // Rows of (bucket index, channel kind, count) into one of a row's channel lists.
    auto counts_into = [](std::vector<ChannelCount> MetricsRow::*list) {
      return [list](Row& row, MetricsRow& target) -> Status {
        OMNI_ASSIGN_OR_RETURN(ChannelKind k, channel_kind_of(row.text()));
        OMNI_ASSIGN_OR_RETURN(std::int64_t n, row.int64());
        (target.*list).push_back(ChannelCount{k, n});
        return Status::ok_status();
      };
    };
    // Inbound volume: per bucket a range of touchpoints_by_time.
    {
      static const std::string sql =
          std::string(kMetricsBuckets) +
          "SELECT b.idx, t.channel_kind, count(*) FROM b JOIN touchpoints t "
          "ON t.tenant_id = $1::bigint AND t.occurred_at >= b.lo AND t.occurred_at < b.hi "
          "WHERE t.kind IN ('message_in', 'call', 'video_session') "
          "AND ($3::text = '' OR t.channel_kind = $3::text) "
          "AND (($4::text = '' AND $5::bigint = 0) OR EXISTS (SELECT 1 FROM conversations c "
          "WHERE c.tenant_id = t.tenant_id AND c.id = t.conversation_id "
          "AND ($4::text = '' OR c.team = $4::text) "
          "AND ($5::bigint = 0 OR c.assignee_id = $5::bigint))) "
          "GROUP BY b.idx, t.channel_kind";
      OMNI_RETURN_IF_ERROR(
          each(sql, false, "counting inbound volume", counts_into(&MetricsRow::inbound_volume)));
    }
    // Conversations opened per origin channel kind.
    {
      static const std::string sql = std::string(kMetricsBuckets) +
                                     std::string(kMetricsConversations) +
                                     "SELECT idx, origin_kind, count(*) FROM m "
                                     "WHERE origin_kind IS NOT NULL GROUP BY idx, origin_kind";
      OMNI_RETURN_IF_ERROR(each(sql, true, "counting conversations",
                                counts_into(&MetricsRow::conversations_opened)));
    }
    // Everything else per bucket, the percentiles by rank within the bucket (nearest rank:
    // ceil(n / 2) and ceil(9 n / 10) in integer arithmetic).
    {
      static const std::string sql =
          std::string(kMetricsBuckets) + std::string(kMetricsConversations) +
          ", r AS (SELECT *, "
          "ROW_NUMBER() OVER (PARTITION BY idx, frt IS NULL ORDER BY frt) AS frt_rank, "
          "count(frt) OVER (PARTITION BY idx) AS frt_n, "
          "ROW_NUMBER() OVER (PARTITION BY idx, rt IS NULL ORDER BY rt) AS rt_rank, "
          "count(rt) OVER (PARTITION BY idx) AS rt_n FROM m) "
          "SELECT idx, count(*), count(frt), "
          "max(CASE WHEN frt IS NOT NULL AND frt_rank = (frt_n + 1) / 2 THEN frt END), "
          "max(CASE WHEN frt IS NOT NULL AND frt_rank = (9 * frt_n + 9) / 10 THEN frt END), "
          "count(rt), "
          "max(CASE WHEN rt IS NOT NULL AND rt_rank = (rt_n + 1) / 2 THEN rt END), "
          "max(CASE WHEN rt IS NOT NULL AND rt_rank = (9 * rt_n + 9) / 10 THEN rt END), "
          "sum(fcr), sum(handoffs), sum(switches), "
          "count(*) FILTER (WHERE fr_due IS NOT NULL AND fr_stop IS NOT NULL "
          "AND fr_stop <= fr_due), "
          "count(*) FILTER (WHERE fr_due IS NOT NULL AND ((fr_stop IS NOT NULL "
          "AND fr_stop > fr_due) OR (fr_stop IS NULL AND fr_flag))), "
          "count(*) FILTER (WHERE rs_due IS NOT NULL AND rs_stop IS NOT NULL "
          "AND rs_stop <= rs_due), "
          "count(*) FILTER (WHERE rs_due IS NOT NULL AND ((rs_stop IS NOT NULL "
          "AND rs_stop > rs_due) OR (rs_stop IS NULL AND rs_flag)))" +
          histogram_columns("frt") + histogram_columns("rt") + " FROM r GROUP BY idx";
      auto seconds = [](std::int64_t micros) { return std::chrono::seconds(micros / 1'000'000); };
      OMNI_RETURN_IF_ERROR(
          each(sql, true, "computing conversation metrics", [&](Row& row, MetricsRow& r) -> Status {
            OMNI_ASSIGN_OR_RETURN(r.conversations, row.int64());
            OMNI_ASSIGN_OR_RETURN(r.first_response.count, row.int64());
            OMNI_ASSIGN_OR_RETURN(std::int64_t frt_median, row.int64());
            OMNI_ASSIGN_OR_RETURN(std::int64_t frt_p90, row.int64());
            r.first_response.median = seconds(frt_median);
            r.first_response.p90 = seconds(frt_p90);
            OMNI_ASSIGN_OR_RETURN(r.resolution.count, row.int64());
            OMNI_ASSIGN_OR_RETURN(std::int64_t rt_median, row.int64());
            OMNI_ASSIGN_OR_RETURN(std::int64_t rt_p90, row.int64());
            r.resolution.median = seconds(rt_median);
            r.resolution.p90 = seconds(rt_p90);
            r.resolved = r.resolution.count;
            OMNI_ASSIGN_OR_RETURN(r.first_contact_resolved, row.int64());
            OMNI_ASSIGN_OR_RETURN(r.handoffs, row.int64());
            OMNI_ASSIGN_OR_RETURN(r.channel_switches, row.int64());
            OMNI_ASSIGN_OR_RETURN(r.first_response_sla_met, row.int64());
            OMNI_ASSIGN_OR_RETURN(r.first_response_sla_breached, row.int64());
            OMNI_ASSIGN_OR_RETURN(r.resolution_sla_met, row.int64());
            OMNI_ASSIGN_OR_RETURN(r.resolution_sla_breached, row.int64());
            for (auto& n : r.first_response.histogram) {
              OMNI_ASSIGN_OR_RETURN(n, row.int64());
            }
            for (auto& n : r.resolution.histogram) {
              OMNI_ASSIGN_OR_RETURN(n, row.int64());
            }
            return Status::ok_status();
          }));
    }
    // The channel switches by the kinds of their channels: the handoffs of the conversations
    // that have any, a range of handoffs_by_conversation each.
    {
      static const std::string sql =
          std::string(kMetricsBuckets) + std::string(kMetricsConversations) +
          "SELECT m.idx, fc.kind, tc.kind, count(*) FROM m "
          "JOIN handoffs h ON h.tenant_id = $1::bigint AND h.conversation_id = m.id "
          "AND h.kind = 'channel_switch' "
          "JOIN channels fc ON fc.tenant_id = $1::bigint AND fc.id = h.from_channel_id "
          "JOIN channels tc ON tc.tenant_id = $1::bigint AND tc.id = h.to_channel_id "
          "WHERE m.handoffs > 0 GROUP BY m.idx, fc.kind, tc.kind";
      OMNI_RETURN_IF_ERROR(
          each(sql, true, "counting channel switches", [](Row& row, MetricsRow& r) -> Status {
            OMNI_ASSIGN_OR_RETURN(ChannelKind from, channel_kind_of(row.text()));
            OMNI_ASSIGN_OR_RETURN(ChannelKind to, channel_kind_of(row.text()));
            OMNI_ASSIGN_OR_RETURN(std::int64_t n, row.int64());
            r.channel_switch_flow.push_back(ChannelFlow{from, to, n});
            return Status::ok_status();
          }));
    }
    // CSAT: per bucket a range of csat_by_time.
    {
      static const std::string sql =
          std::string(kMetricsBuckets) +
          "SELECT b.idx, count(*), count(*) FILTER (WHERE r.score >= 4), avg(r.score)::float8 "
          "FROM b JOIN csat_responses r ON r.tenant_id = $1::bigint "
          "AND r.responded_at >= b.lo AND r.responded_at < b.hi "
          "WHERE ($3::text = '' OR r.channel_kind = $3::text) "
          "AND ($5::bigint = 0 OR r.agent_id = $5::bigint) "
          "AND ($4::text = '' OR EXISTS (SELECT 1 FROM conversations c "
          "WHERE c.tenant_id = r.tenant_id AND c.id = r.conversation_id "
          "AND c.team = $4::text)) GROUP BY b.idx";
      OMNI_RETURN_IF_ERROR(
          each(sql, false, "summarizing csat per bucket", [](Row& row, MetricsRow& r) -> Status {
            OMNI_ASSIGN_OR_RETURN(r.csat_responses, row.int64());
            OMNI_ASSIGN_OR_RETURN(r.csat_satisfied, row.int64());
            OMNI_ASSIGN_OR_RETURN(r.csat_average, row.real());
            return Status::ok_status();
          }));
    }
    // Occupancy: per bucket and human agent of the query, the activity entry in force at the
    // bucket's start (one probe of agent_activity_by_agent) and the entries inside the bucket
    // (one range of it), each lasting until the agent's next within the bucket or the bucket's
    // end.
    {
      static const std::string sql =
          std::string(kMetricsBuckets) +
          // $3 (the channel kind) does not apply to agents; it is named so its type is known.
          ", g AS (SELECT id FROM agents WHERE tenant_id = $1::bigint AND kind = 'human' "
          "AND $3::text IS NOT NULL "
          "AND ($5::bigint = 0 OR id = $5::bigint) AND ($4::text = '' OR EXISTS (SELECT 1 FROM "
          "jsonb_array_elements_text(agents.teams::jsonb) AS team WHERE team = $4::text))), "
          "s AS (SELECT b.idx AS idx, b.lo AS lo, b.hi AS hi, a.at AS at, "
          "a.presence IN ('available', 'busy') AS staffed, "
          "a.load_sync + a.load_async > 0 AS holds, "
          "LEAD(a.at) OVER (PARTITION BY b.idx, a.agent_id ORDER BY a.at, a.id) AS next_at "
          "FROM b CROSS JOIN g JOIN agent_activity a ON a.tenant_id = $1::bigint "
          "AND a.agent_id = g.id AND a.at >= COALESCE((SELECT max(x.at) FROM agent_activity x "
          "WHERE x.tenant_id = $1::bigint AND x.agent_id = g.id AND x.at <= b.lo), b.lo) "
          "AND a.at < b.hi) "
          "SELECT idx, sum(COALESCE(next_at, hi) - GREATEST(at, lo)), "
          "sum(CASE WHEN holds THEN COALESCE(next_at, hi) - GREATEST(at, lo) ELSE 0 END) "
          "FROM s WHERE staffed GROUP BY idx";
      OMNI_RETURN_IF_ERROR(
          each(sql, false, "computing occupancy", [](Row& row, MetricsRow& r) -> Status {
            OMNI_ASSIGN_OR_RETURN(std::int64_t staffed, row.int64());
            OMNI_ASSIGN_OR_RETURN(std::int64_t occupied, row.int64());
            r.agent_staffed = std::chrono::seconds(staffed / 1'000'000);
            r.agent_occupied = std::chrono::seconds(occupied / 1'000'000);
            return Status::ok_status();
          }));
    }
    return rows;
  });
}

Result<std::vector<ConversationTimes>> PostgresTransaction::list_conversation_times(
    const MetricsQuery& q, const MetricsBucket& bucket) {
  return guarded(kReads, "listing conversation times",
                 [&]() -> Result<std::vector<ConversationTimes>> {
                   // One range of conversations_by_opened, filtered as compute_metrics filters.
                   Params params;
                   params.id(q.tenant)
                       .timestamp(bucket.start)
                       .timestamp(bucket.end)
                       .timestamp(q.to)
                       .text(q.channel_kind ? to_string(*q.channel_kind) : std::string_view())
                       .text(q.team)
                       .int64(q.agent ? q.agent->value() : 0);
                   return query_all(
                       "SELECT c.opened_at, c.first_response_at, "
                       "CASE WHEN c.resolved_at < $4::bigint THEN c.resolved_at END "
                       "FROM conversations c LEFT JOIN channels ch ON ch.tenant_id = c.tenant_id "
                       "AND ch.id = c.origin_channel_id "
                       "WHERE c.tenant_id = $1 AND c.opened_at >= $2 AND c.opened_at < $3 "
                       "AND c.merged_into IS NULL AND ($5::text = '' OR ch.kind = $5::text) "
                       "AND ($6::text = '' OR c.team = $6::text) "
                       "AND ($7::bigint = 0 OR c.assignee_id = $7::bigint)",
                       params, "listing conversation times", "conversations",
                       [](Row& row) -> Result<ConversationTimes> {
                         ConversationTimes times;
                         OMNI_ASSIGN_OR_RETURN(times.opened_at, row.timestamp());
                         OMNI_ASSIGN_OR_RETURN(times.first_response_at, row.optional_timestamp());
                         OMNI_ASSIGN_OR_RETURN(times.resolved_at, row.optional_timestamp());
                         return times;
                       });
                 });
}

Result<std::vector<CustomerChannels>> PostgresTransaction::count_preferred_channels(
    const PreferredChannelsQuery& q) {
  return guarded(
      kReads, "counting preferred channels", [&]() -> Result<std::vector<CustomerChannels>> {
        // One customer: a range of touchpoints_customer_timeline; the top customers: a range of
        // touchpoints_by_time, grouped.
        Params params;
        params.id(q.tenant)
            .int64(q.customer ? q.customer->value() : 0)
            .timestamp(q.from)
            .timestamp(q.to)
            .int64(sql_limit(q.limit));
        OMNI_ASSIGN_OR_RETURN(
            QueryResult result,
            query("WITH per AS (SELECT customer_id, channel_kind, count(*) AS n FROM touchpoints "
                  "WHERE tenant_id = $1::bigint AND ($2::bigint = 0 OR customer_id = $2::bigint) "
                  "AND occurred_at >= $3::bigint AND occurred_at < $4::bigint "
                  "AND kind IN ('message_in', 'call', 'video_session') "
                  "GROUP BY customer_id, channel_kind), "
                  "top AS (SELECT customer_id, sum(n)::bigint AS total FROM per "
                  "GROUP BY customer_id ORDER BY total DESC, customer_id LIMIT $5::bigint) "
                  "SELECT top.customer_id, top.total, per.channel_kind, per.n FROM top "
                  "JOIN per ON per.customer_id = top.customer_id "
                  "ORDER BY top.total DESC, top.customer_id",
                  params, "counting preferred channels"));
        std::vector<CustomerChannels> out;
        for (int i = 0; i < result.rows(); ++i) {
          Row row(result, i, "touchpoints");
          OMNI_ASSIGN_OR_RETURN(CustomerId customer, row.id<CustomerId>());
          OMNI_ASSIGN_OR_RETURN(std::int64_t total, row.int64());
          if (out.empty() || out.back().customer != customer) {
            out.push_back(CustomerChannels{customer, total, {}});
          }
          OMNI_ASSIGN_OR_RETURN(ChannelKind kind, row.name(parse_channel_kind));
          OMNI_ASSIGN_OR_RETURN(std::int64_t n, row.int64());
          out.back().channels.push_back(ChannelCount{kind, n});
        }
        return out;
      });
}

}  // namespace omni::pgstore
