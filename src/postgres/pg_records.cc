// PostgresStore: touchpoints, handoffs, merges and the set-based moves of merges (see pg_store.h).
#include "postgres/pg_store.h"

namespace omni::pgstore {

Result<TouchpointId> PostgresTransaction::insert_touchpoint(const Touchpoint&) {
  return not_implemented("insert_touchpoint");
}

Result<Touchpoint> PostgresTransaction::get_touchpoint(TenantId, TouchpointId) {
  return not_implemented("get_touchpoint");
}

Result<Touchpoint> PostgresTransaction::find_touchpoint(TenantId, ChannelId, std::string_view) {
  return not_implemented("find_touchpoint");
}

Status PostgresTransaction::update_delivery(TenantId, TouchpointId, DeliveryStatus,
                                            std::string_view) {
  return not_implemented("update_delivery");
}

Result<std::vector<Touchpoint>> PostgresTransaction::list_touchpoints(const TouchpointQuery&) {
  return not_implemented("list_touchpoints");
}

Result<HandoffId> PostgresTransaction::insert_handoff(const Handoff&) {
  return not_implemented("insert_handoff");
}

Result<Handoff> PostgresTransaction::get_handoff(TenantId, HandoffId) {
  return not_implemented("get_handoff");
}

Status PostgresTransaction::update_handoff(const Handoff&) {
  return not_implemented("update_handoff");
}

Result<std::vector<Handoff>> PostgresTransaction::list_handoffs(TenantId, ConversationId) {
  return not_implemented("list_handoffs");
}

Result<MergeId> PostgresTransaction::insert_merge(const MergeRecord&) {
  return not_implemented("insert_merge");
}

Result<MergeRecord> PostgresTransaction::get_merge(TenantId, MergeId) {
  return not_implemented("get_merge");
}

Status PostgresTransaction::update_merge(const MergeRecord&) {
  return not_implemented("update_merge");
}

Result<std::vector<MergeRecord>> PostgresTransaction::list_merges(TenantId, CustomerId) {
  return not_implemented("list_merges");
}

Status PostgresTransaction::move_customer_records(TenantId, MergeId, CustomerId, CustomerId) {
  return not_implemented("move_customer_records");
}

Result<std::vector<Touchpoint>> PostgresTransaction::restore_customer_records(TenantId, MergeId,
                                                                              CustomerId,
                                                                              CustomerId) {
  return not_implemented("restore_customer_records");
}

Status PostgresTransaction::move_touchpoint(TenantId, TouchpointId, CustomerId,
                                            std::optional<ConversationId>) {
  return not_implemented("move_touchpoint");
}

Status PostgresTransaction::move_conversation_contents(TenantId, ConversationId, ConversationId) {
  return not_implemented("move_conversation_contents");
}

}  // namespace omni::pgstore
