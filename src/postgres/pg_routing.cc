// PostgresStore: queues, offers, timers and pending deliveries (see pg_store.h).
#include "postgres/pg_store.h"

namespace omni::pgstore {

Result<std::vector<Agent>> PostgresTransaction::list_routable_agents(TenantId, RoutingClass,
                                                                     RoutingStrategy, const Agent*,
                                                                     std::size_t) {
  return not_implemented("list_routable_agents");
}

Result<std::vector<Conversation>> PostgresTransaction::list_waiting_conversations(
    TenantId, RoutingClass, const Conversation*, std::size_t) {
  return not_implemented("list_waiting_conversations");
}

Result<std::vector<Conversation>> PostgresTransaction::list_reserved_conversations(TenantId,
                                                                                   AgentId,
                                                                                   Timestamp,
                                                                                   std::size_t) {
  return not_implemented("list_reserved_conversations");
}

Result<std::vector<Conversation>> PostgresTransaction::list_offered_conversations(TenantId, AgentId,
                                                                                  std::size_t) {
  return not_implemented("list_offered_conversations");
}

Result<std::vector<Conversation>> PostgresTransaction::list_due_conversations(TenantId, Timestamp,
                                                                              std::size_t) {
  return not_implemented("list_due_conversations");
}

Result<Timestamp> PostgresTransaction::next_timer(TenantId) {
  return not_implemented("next_timer");
}

Status PostgresTransaction::insert_pending_delivery(const PendingDelivery&) {
  return not_implemented("insert_pending_delivery");
}

Result<PendingDelivery> PostgresTransaction::get_pending_delivery(TenantId, TouchpointId) {
  return not_implemented("get_pending_delivery");
}

Status PostgresTransaction::update_pending_delivery(const PendingDelivery&) {
  return not_implemented("update_pending_delivery");
}

Status PostgresTransaction::delete_pending_delivery(TenantId, TouchpointId) {
  return not_implemented("delete_pending_delivery");
}

Result<std::vector<PendingDelivery>> PostgresTransaction::list_due_deliveries(TenantId, Timestamp,
                                                                              std::size_t) {
  return not_implemented("list_due_deliveries");
}

}  // namespace omni::pgstore
