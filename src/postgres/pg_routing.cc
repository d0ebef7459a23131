// PostgresStore: queues, offers, timers and pending deliveries (see pg_store.h).
#include "postgres/pg_store.h"

namespace omni::pgstore {

namespace {

constexpr std::string_view kPendingDeliveryColumns =
    "tenant_id, touchpoint_id, channel_id, attempts, next_attempt_at, last_error";

Result<PendingDelivery> read_pending_delivery(Row& row) {
  PendingDelivery delivery;
  OMNI_ASSIGN_OR_RETURN(delivery.tenant, row.id<TenantId>());
  OMNI_ASSIGN_OR_RETURN(delivery.touchpoint, row.id<TouchpointId>());
  OMNI_ASSIGN_OR_RETURN(delivery.channel, row.id<ChannelId>());
  OMNI_ASSIGN_OR_RETURN(delivery.attempts, row.int32());
  OMNI_ASSIGN_OR_RETURN(delivery.next_attempt_at, row.timestamp());
  delivery.last_error = row.text();
  return delivery;
}

// conversations.priority_rank (a generated column, see pg_schema.cc): the queue's order.
std::int64_t priority_rank(Priority priority) {
  switch (priority) {
    case Priority::kUrgent:
      return 0;
    case Priority::kHigh:
      return 1;
    case Priority::kNormal:
      return 2;
    case Priority::kLow:
      break;
  }
  return 3;
}

// The queue's order (conversations_queue, conversations_reserved): queued_at NULLS FIRST as
// SQLite sorts NULL, and as the indexes are declared, so the scan needs no sort.
constexpr std::string_view kQueueOrder = "ORDER BY priority_rank, queued_at NULLS FIRST, id";

}  // namespace

// --- queues and offers

Result<std::vector<Agent>> PostgresTransaction::list_routable_agents(TenantId tenant,
                                                                     RoutingClass routing_class,
                                                                     RoutingStrategy strategy,
                                                                     const Agent* after,
                                                                     std::size_t limit) {
  return guarded(kReads, "listing routable agents", [&]() -> Result<std::vector<Agent>> {
    // One range of one partial index per class and strategy (agents_least_loaded_*,
    // agents_round_robin_*, see pg_schema.cc): the condition repeats the index's WHERE, the
    // cursor is a row value on the whole sort key. Without a cursor it starts below every row
    // (loads are never negative, ids positive; "never routed" is 0).
    static const std::array<std::string, 4> sqls = [] {
      std::array<std::string, 4> out;
      for (const char* c : {"sync", "async"}) {
        const std::string where = fmt::format(
            "SELECT {1} FROM agents WHERE tenant_id = $1 AND presence = 'available' "
            "AND load_{0} < capacity_{0} AND ",
            c, kAgentColumns);
        const bool sync = std::string_view(c) == "sync";
        out[sync ? 0 : 2] = where + fmt::format(
                                        "(load_{0}, last_routed_at, id) > ($2, $3, $4) "
                                        "ORDER BY load_{0}, last_routed_at, id LIMIT $5",
                                        c);
        out[sync ? 1 : 3] = where +
                            "(last_routed_at, id) > ($2, $3) "
                            "ORDER BY last_routed_at, id LIMIT $4";
      }
      return out;
    }();
    const bool least_loaded = strategy == RoutingStrategy::kLeastLoaded;
    const std::size_t which =
        (routing_class == RoutingClass::kSynchronous ? 0 : 2) + (least_loaded ? 0 : 1);
    Params params;
    params.id(tenant);
    // load_* is INTEGER: its parameter is inferred as one, so "below all" must fit.
    constexpr std::int64_t kBelowAllLoads = std::numeric_limits<std::int32_t>::min();
    constexpr std::int64_t kBelowAll = std::numeric_limits<std::int64_t>::min();
    if (least_loaded) params.int64(after ? after->load.of(routing_class) : kBelowAllLoads);
    params.int64(after ? last_routed_column(after->last_routed_at) : kBelowAll)
        .int64(after ? after->id.value() : kBelowAll)
        .int64(sql_limit(limit));
    return query_all(sqls[which], params, "listing routable agents", "agents", read_agent);
  });
}

Result<std::vector<Conversation>> PostgresTransaction::list_waiting_conversations(
    TenantId tenant, RoutingClass routing_class, const Conversation* after, std::size_t limit) {
  using Conversations = std::vector<Conversation>;
  return guarded(kReads, "listing waiting conversations", [&]() -> Result<Conversations> {
    // A range of conversations_queue: the condition repeats its WHERE, the cursor is a row value
    // on its sort key; without a cursor it starts below the most urgent rank. The engine sets
    // queued_at on every waiting conversation (a NULL would stop a cursor at it, as in SQLite:
    // a row comparison that meets a NULL pair is NULL).
    static const std::string sql = fmt::format(
        "SELECT {} FROM conversations WHERE tenant_id = $1 AND routing_class = $2 "
        "AND status = 'open' AND assignee_id IS NULL AND offered_to IS NULL "
        "AND (priority_rank, queued_at, id) > ($3, $4, $5) {} LIMIT $6",
        kConversationColumns, kQueueOrder);
    Params params;
    params.id(tenant).name(routing_class);
    if (after) {
      params.int64(priority_rank(after->priority))
          .optional_timestamp(after->queued_at)
          .id(after->id);
    } else {
      params.int64(-1).int64(0).int64(0);
    }
    params.int64(sql_limit(limit));
    return query_all(sql, params, "listing waiting conversations", "conversations",
                     read_conversation);
  });
}

Result<std::vector<Conversation>> PostgresTransaction::list_reserved_conversations(
    TenantId tenant, AgentId agent, Timestamp now, std::size_t limit) {
  using Conversations = std::vector<Conversation>;
  return guarded(kReads, "listing reserved conversations", [&]() -> Result<Conversations> {
    // A range of conversations_reserved (its WHERE repeated), in the queue's order.
    static const std::string sql = fmt::format(
        "SELECT {} FROM conversations WHERE tenant_id = $1 AND preferred_agent = $2 "
        "AND preferred_agent IS NOT NULL AND status = 'open' AND assignee_id IS NULL "
        "AND offered_to IS NULL AND sticky_until > $3 {} LIMIT $4",
        kConversationColumns, kQueueOrder);
    Params params;
    params.id(tenant).id(agent).timestamp(now).int64(sql_limit(limit));
    return query_all(sql, params, "listing reserved conversations", "conversations",
                     read_conversation);
  });
}

Result<std::vector<Conversation>> PostgresTransaction::list_offered_conversations(
    TenantId tenant, AgentId agent, std::size_t limit) {
  using Conversations = std::vector<Conversation>;
  return guarded(kReads, "listing offered conversations", [&]() -> Result<Conversations> {
    // A range of conversations_offered (its WHERE repeated).
    static const std::string sql = fmt::format(
        "SELECT {} FROM conversations WHERE tenant_id = $1 AND offered_to = $2 "
        "AND offered_to IS NOT NULL AND status = 'open' ORDER BY id LIMIT $3",
        kConversationColumns);
    Params params;
    params.id(tenant).id(agent).int64(sql_limit(limit));
    return query_all(sql, params, "listing offered conversations", "conversations",
                     read_conversation);
  });
}

// --- timers

Result<std::vector<Conversation>> PostgresTransaction::list_due_conversations(TenantId tenant,
                                                                              Timestamp now,
                                                                              std::size_t limit) {
  using Conversations = std::vector<Conversation>;
  return guarded(kReads, "listing due conversations", [&]() -> Result<Conversations> {
    // A range of conversations_timers (its WHERE repeated).
    static const std::string sql = fmt::format(
        "SELECT {} FROM conversations WHERE tenant_id = $1 AND next_timer_at IS NOT NULL "
        "AND next_timer_at <= $2 ORDER BY next_timer_at, id LIMIT $3",
        kConversationColumns);
    Params params;
    params.id(tenant).timestamp(now).int64(sql_limit(limit));
    return query_all(sql, params, "listing due conversations", "conversations", read_conversation);
  });
}

Result<Timestamp> PostgresTransaction::next_timer(TenantId tenant) {
  return guarded(kReads, "reading the next timer", [&]() -> Result<Timestamp> {
    static const std::string sql =
        "SELECT next_timer_at FROM conversations WHERE tenant_id = $1 AND "
        "next_timer_at IS NOT NULL ORDER BY next_timer_at LIMIT 1";
    Params params;
    params.id(tenant);
    return query_one(sql, params, "reading the next timer",
                     fmt::format("a timer of tenant {}", tenant.value()), "conversations",
                     [](Row& row) -> Result<Timestamp> { return row.timestamp(); });
  });
}

// --- pending deliveries

Status PostgresTransaction::insert_pending_delivery(const PendingDelivery& delivery) {
  return guarded(kWrites, "inserting a pending delivery", [&]() -> Status {
    Params params;
    params.id(delivery.tenant)
        .id(delivery.touchpoint)
        .id(delivery.channel)
        .int64(delivery.attempts)
        .timestamp(delivery.next_attempt_at)
        .text(delivery.last_error);
    return run(
        "INSERT INTO pending_deliveries (tenant_id, touchpoint_id, channel_id, attempts, "
        "next_attempt_at, last_error) VALUES ($1, $2, $3, $4, $5, $6)",
        params, "inserting a pending delivery");
  });
}

Result<PendingDelivery> PostgresTransaction::get_pending_delivery(TenantId tenant,
                                                                  TouchpointId touchpoint) {
  return guarded(kReads, "reading a pending delivery", [&]() -> Result<PendingDelivery> {
    static const std::string sql =
        fmt::format("SELECT {} FROM pending_deliveries WHERE tenant_id = $1 AND touchpoint_id = $2",
                    kPendingDeliveryColumns);
    Params params;
    params.id(tenant).id(touchpoint);
    return query_one(sql, params, "reading a pending delivery",
                     fmt::format("pending delivery of touchpoint {}", touchpoint.value()),
                     "pending_deliveries", read_pending_delivery);
  });
}

Status PostgresTransaction::update_pending_delivery(const PendingDelivery& delivery) {
  return guarded(kWrites, "updating a pending delivery", [&]() -> Status {
    Params params;
    params.id(delivery.channel)
        .int64(delivery.attempts)
        .timestamp(delivery.next_attempt_at)
        .text(delivery.last_error)
        .id(delivery.tenant)
        .id(delivery.touchpoint);
    return update(
        "UPDATE pending_deliveries SET channel_id = $1, attempts = $2, next_attempt_at = $3, "
        "last_error = $4 WHERE tenant_id = $5 AND touchpoint_id = $6",
        params, "updating a pending delivery",
        fmt::format("pending delivery of touchpoint {}", delivery.touchpoint.value()));
  });
}

Status PostgresTransaction::delete_pending_delivery(TenantId tenant, TouchpointId touchpoint) {
  return guarded(kWrites, "deleting a pending delivery", [&]() -> Status {
    Params params;
    params.id(tenant).id(touchpoint);
    return update("DELETE FROM pending_deliveries WHERE tenant_id = $1 AND touchpoint_id = $2",
                  params, "deleting a pending delivery",
                  fmt::format("pending delivery of touchpoint {}", touchpoint.value()));
  });
}

Result<std::vector<PendingDelivery>> PostgresTransaction::list_due_deliveries(TenantId tenant,
                                                                              Timestamp now,
                                                                              std::size_t limit) {
  using Deliveries = std::vector<PendingDelivery>;
  return guarded(kReads, "listing due deliveries", [&]() -> Result<Deliveries> {
    // A range of pending_deliveries_due. In a write transaction the rows are claimed: another
    // process's transaction skips the ones this one locked (and this one skips theirs), so no
    // delivery is handed to two senders (Store contract). A read-only transaction cannot lock.
    static const std::string select = fmt::format(
        "SELECT {} FROM pending_deliveries WHERE tenant_id = $1 AND next_attempt_at <= $2 "
        "ORDER BY next_attempt_at, touchpoint_id LIMIT $3",
        kPendingDeliveryColumns);
    static const std::string claim = select + " FOR UPDATE SKIP LOCKED";
    Params params;
    params.id(tenant).timestamp(now).int64(sql_limit(limit));
    return query_all(mode_ == TransactionMode::kWrite ? claim : select, params,
                     "listing due deliveries", "pending_deliveries", read_pending_delivery);
  });
}

}  // namespace omni::pgstore
