// Customer satisfaction: survey answers per conversation and their summary (omni/csat.h).
#include <string>

#include "engine_impl.h"

namespace omni {

using engine_internal::check_text;
using engine_internal::Payload;

Result<CsatResponse> Engine::record_csat(const CsatAnswer& answer) {
  if (answer.score < kMinCsatScore || answer.score > kMaxCsatScore) {
    return Status::invalid_argument("score " + std::to_string(answer.score) + " is outside 1..5")
        .with_field("score");
  }
  OMNI_RETURN_IF_ERROR(check_text("comment", answer.comment, kMaxCsatCommentBytes));
  return impl_->run_write([&](StoreTransaction& tx) -> Result<CsatResponse> {
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(answer.tenant, answer.conversation));
    CsatResponse r;
    r.tenant = answer.tenant;
    r.conversation = c.id;
    r.customer = c.customer;
    r.agent = answer.agent ? answer.agent : c.assignee;
    if (r.agent) OMNI_RETURN_IF_ERROR(tx.get_agent(answer.tenant, *r.agent).status());
    r.score = answer.score;
    r.comment = answer.comment;
    if (answer.channel_kind) {
      r.channel_kind = *answer.channel_kind;
    } else {
      OMNI_ASSIGN_OR_RETURN(r.channel_kind,
                            impl_->channel_kind_of(tx, answer.tenant, c.current_channel));
    }
    const Timestamp now = impl_->now();
    r.responded_at = answer.responded_at.value_or(now);
    OMNI_ASSIGN_OR_RETURN(bool replaced, tx.put_csat(r));
    Payload payload;
    payload.add("score", std::int64_t{r.score});
    if (r.agent) payload.add("agent", *r.agent);
    payload.add("channel_kind", to_string(r.channel_kind));
    payload.add("replaced", std::int64_t{replaced ? 1 : 0});
    OMNI_RETURN_IF_ERROR(
        Impl::event(tx, r.tenant, r.customer, r.conversation, "csat.recorded", payload.str(), now));
    return r;
  });
}

Result<CsatResponse> Engine::get_csat(TenantId tenant, ConversationId conversation) {
  return impl_->run_read([&](StoreTransaction& tx) { return tx.get_csat(tenant, conversation); });
}

Result<CsatSummary> Engine::csat_summary(const CsatQuery& query) {
  if (query.to < query.from) {
    return Status::invalid_argument("`to` is before `from`").with_field("to");
  }
  OMNI_ASSIGN_OR_RETURN(CsatSummary summary, impl_->run_read([&](StoreTransaction& tx) {
    return tx.summarize_csat(query);
  }));
  summary.csat_percent =
      summary.count == 0
          ? 0.0
          : 100.0 * static_cast<double>(summary.distribution[3] + summary.distribution[4]) /
                static_cast<double>(summary.count);
  return summary;
}

}  // namespace omni
