// PostgresStore: touchpoints, handoffs, merges and the set-based moves of merges (see pg_store.h).
#include "postgres/pg_store.h"

namespace omni::pgstore {

namespace {

constexpr std::string_view kTouchpointColumns =
    "id, tenant_id, customer_id, conversation_id, channel_id, channel_kind, kind, agent_id, "
    "handoff_id, subject, body, attachments, metadata, provider_message_id, delivery, "
    "occurred_at, recorded_at, identity_id";

Result<Touchpoint> read_touchpoint(Row& row) {
  Touchpoint touchpoint;
  OMNI_ASSIGN_OR_RETURN(touchpoint.id, row.id<TouchpointId>());
  OMNI_ASSIGN_OR_RETURN(touchpoint.tenant, row.id<TenantId>());
  OMNI_ASSIGN_OR_RETURN(touchpoint.customer, row.id<CustomerId>());
  OMNI_ASSIGN_OR_RETURN(touchpoint.conversation, row.optional_id<ConversationId>());
  OMNI_ASSIGN_OR_RETURN(touchpoint.channel, row.optional_id<ChannelId>());
  OMNI_ASSIGN_OR_RETURN(touchpoint.channel_kind, row.name(parse_channel_kind));
  OMNI_ASSIGN_OR_RETURN(touchpoint.kind, row.name(parse_touchpoint_kind));
  OMNI_ASSIGN_OR_RETURN(touchpoint.agent, row.optional_id<AgentId>());
  OMNI_ASSIGN_OR_RETURN(touchpoint.handoff, row.optional_id<HandoffId>());
  touchpoint.subject = row.text();
  touchpoint.body = row.text();
  OMNI_ASSIGN_OR_RETURN(touchpoint.attachments,
                        sqlite::decode_attachments(row.text(), "touchpoints.attachments"));
  OMNI_ASSIGN_OR_RETURN(touchpoint.metadata,
                        sqlite::decode_string_map(row.text(), "touchpoints.metadata"));
  touchpoint.provider_message_id = row.text();
  OMNI_ASSIGN_OR_RETURN(touchpoint.delivery, row.name(parse_delivery_status));
  OMNI_ASSIGN_OR_RETURN(touchpoint.occurred_at, row.timestamp());
  OMNI_ASSIGN_OR_RETURN(touchpoint.recorded_at, row.timestamp());
  OMNI_ASSIGN_OR_RETURN(touchpoint.identity, row.optional_id<IdentityId>());
  return touchpoint;
}

constexpr std::string_view kHandoffColumns =
    "id, tenant_id, conversation_id, kind, mode, from_channel_id, to_channel_id, from_agent_id, "
    "to_agent_id, from_team, to_team, reason, context, created_at, acknowledged_at, "
    "acknowledged_by";

Result<Handoff> read_handoff(Row& row) {
  Handoff handoff;
  OMNI_ASSIGN_OR_RETURN(handoff.id, row.id<HandoffId>());
  OMNI_ASSIGN_OR_RETURN(handoff.tenant, row.id<TenantId>());
  OMNI_ASSIGN_OR_RETURN(handoff.conversation, row.id<ConversationId>());
  OMNI_ASSIGN_OR_RETURN(handoff.kind, row.name(parse_handoff_kind));
  OMNI_ASSIGN_OR_RETURN(handoff.mode, row.name(parse_handoff_mode));
  OMNI_ASSIGN_OR_RETURN(handoff.from_channel, row.optional_id<ChannelId>());
  OMNI_ASSIGN_OR_RETURN(handoff.to_channel, row.optional_id<ChannelId>());
  OMNI_ASSIGN_OR_RETURN(handoff.from_agent, row.optional_id<AgentId>());
  OMNI_ASSIGN_OR_RETURN(handoff.to_agent, row.optional_id<AgentId>());
  handoff.from_team = row.text();
  handoff.to_team = row.text();
  handoff.reason = row.text();
  auto context = decode_context_packet(row.text());
  if (!context.ok()) {
    return Status::corruption(
        fmt::format("postgres: handoff {}: {}", handoff.id.value(), context.status().to_string()));
  }
  handoff.context = std::move(context).value();
  OMNI_ASSIGN_OR_RETURN(handoff.created_at, row.timestamp());
  OMNI_ASSIGN_OR_RETURN(handoff.acknowledged_at, row.optional_timestamp());
  OMNI_ASSIGN_OR_RETURN(handoff.acknowledged_by, row.optional_id<AgentId>());
  return handoff;
}

void bind_handoff_fields(Params& params, const Handoff& handoff) {
  params.id(handoff.conversation)
      .name(handoff.kind)
      .name(handoff.mode)
      .optional_id(handoff.from_channel)
      .optional_id(handoff.to_channel)
      .optional_id(handoff.from_agent)
      .optional_id(handoff.to_agent)
      .text(handoff.from_team)
      .text(handoff.to_team)
      .text(handoff.reason)
      .text(encode_context_packet(handoff.context))
      .timestamp(handoff.created_at)
      .optional_timestamp(handoff.acknowledged_at)
      .optional_id(handoff.acknowledged_by);
}

constexpr std::string_view kMergeColumns =
    "id, tenant_id, survivor_id, merged_id, actor, reason, merged_at, conflicts, "
    "copied_attributes, unmerged_at, unmerged_by";

Result<MergeRecord> read_merge(Row& row) {
  MergeRecord merge;
  OMNI_ASSIGN_OR_RETURN(merge.id, row.id<MergeId>());
  OMNI_ASSIGN_OR_RETURN(merge.tenant, row.id<TenantId>());
  OMNI_ASSIGN_OR_RETURN(merge.survivor, row.id<CustomerId>());
  OMNI_ASSIGN_OR_RETURN(merge.merged, row.id<CustomerId>());
  merge.actor = row.text();
  merge.reason = row.text();
  OMNI_ASSIGN_OR_RETURN(merge.merged_at, row.timestamp());
  OMNI_ASSIGN_OR_RETURN(merge.conflicts,
                        sqlite::decode_attribute_conflicts(row.text(), "merges.conflicts"));
  OMNI_ASSIGN_OR_RETURN(merge.copied_attributes,
                        sqlite::decode_string_list(row.text(), "merges.copied_attributes"));
  OMNI_ASSIGN_OR_RETURN(merge.unmerged_at, row.optional_timestamp());
  merge.unmerged_by = row.text();
  return merge;
}

void bind_merge_fields(Params& params, const MergeRecord& merge) {
  params.id(merge.survivor)
      .id(merge.merged)
      .text(merge.actor)
      .text(merge.reason)
      .timestamp(merge.merged_at)
      .text(sqlite::encode_attribute_conflicts(merge.conflicts))
      .text(sqlite::encode_string_list(merge.copied_attributes))
      .optional_timestamp(merge.unmerged_at)
      .text(merge.unmerged_by);
}

// --- the set-based moves of merges and unmerges; each runs inside the database (SqliteStore's
// statements). Every statement of a list uses every parameter of the list.

// move_customer_records, in two steps.
// 1. Remember what moves; $1 tenant, $2 merge, $3 from. Moving a record twice under one merge is
//    a primary key violation (kAlreadyExists); the foreign key makes an unknown merge kNotFound.
//    The casts type the parameters that first appear in the SELECT list.
constexpr std::array<std::string_view, 3> kRememberCustomerRecords{
    "INSERT INTO merge_moves (tenant_id, merge_id, kind, record_id) "
    "SELECT $1::BIGINT, $2::BIGINT, 'identity', id FROM identities "
    "WHERE tenant_id = $1 AND customer_id = $3",
    "INSERT INTO merge_moves (tenant_id, merge_id, kind, record_id) "
    "SELECT $1::BIGINT, $2::BIGINT, 'conversation', id FROM conversations "
    "WHERE tenant_id = $1 AND customer_id = $3",
    "INSERT INTO merge_moves (tenant_id, merge_id, kind, record_id) "
    "SELECT $1::BIGINT, $2::BIGINT, 'touchpoint', id FROM touchpoints "
    "WHERE tenant_id = $1 AND customer_id = $3",
};
// 2. Move it; $1 tenant, $2 from, $3 to. The foreign keys make an unknown target kNotFound.
//    Moved conversations stop being joinable, so the target's joinable one stays the only one.
constexpr std::array<std::string_view, 3> kMoveCustomerRecords{
    "UPDATE identities SET customer_id = $3 "
    "WHERE tenant_id = $1 AND customer_id = $2",
    "UPDATE conversations SET customer_id = $3, joinable = FALSE "
    "WHERE tenant_id = $1 AND customer_id = $2",
    "UPDATE touchpoints SET customer_id = $3 "
    "WHERE tenant_id = $1 AND customer_id = $2",
};

// restore_customer_records: $1 tenant, $2 merge, $3 survivor, $4 merged. Only records still with
// the survivor move. The three steps of the interface, in order: each reads what the earlier
// ones moved.
constexpr std::array<std::string_view, 3> kRestoreCustomerRecords{
    // 1. The identities the merge moved.
    "UPDATE identities SET customer_id = $4 "
    "WHERE tenant_id = $1 AND customer_id = $3 "
    "AND id IN (SELECT record_id FROM merge_moves "
    "           WHERE tenant_id = $1 AND merge_id = $2 AND kind = 'identity')",
    // 2. The conversations the merge moved, and those whose earliest touchpoint (a seek on the
    //    conversation timeline index) came from one of its identities and that hold nothing from
    //    any other identity. None of them is joinable afterwards.
    "UPDATE conversations SET customer_id = $4, joinable = FALSE "
    "WHERE tenant_id = $1 AND customer_id = $3 "
    "AND (id IN (SELECT record_id FROM merge_moves "
    "            WHERE tenant_id = $1 AND merge_id = $2 AND kind = 'conversation') "
    "     OR ((SELECT earliest.identity_id FROM touchpoints AS earliest "
    "          WHERE earliest.tenant_id = $1 AND earliest.conversation_id = conversations.id "
    "          ORDER BY earliest.occurred_at, earliest.id LIMIT 1) "
    "         IN (SELECT record_id FROM merge_moves "
    "             WHERE tenant_id = $1 AND merge_id = $2 AND kind = 'identity') "
    "         AND NOT EXISTS ("
    "             SELECT 1 FROM touchpoints AS other "
    "             WHERE other.tenant_id = $1 AND other.conversation_id = conversations.id "
    "             AND other.identity_id IS NOT NULL "
    "             AND other.identity_id NOT IN ("
    "                 SELECT record_id FROM merge_moves "
    "                 WHERE tenant_id = $1 AND merge_id = $2 AND kind = 'identity'))))",
    // 3. The touchpoints the merge moved, those from its identities, and those without an
    //    identity in a conversation that went back.
    "UPDATE touchpoints SET customer_id = $4 "
    "WHERE tenant_id = $1 AND customer_id = $3 "
    "AND (id IN (SELECT record_id FROM merge_moves "
    "            WHERE tenant_id = $1 AND merge_id = $2 AND kind = 'touchpoint') "
    "     OR identity_id IN (SELECT record_id FROM merge_moves "
    "                        WHERE tenant_id = $1 AND merge_id = $2 AND kind = 'identity') "
    "     OR (identity_id IS NULL "
    "         AND conversation_id IN (SELECT id FROM conversations "
    "                                 WHERE tenant_id = $1 AND customer_id = $4)))",
};

// move_conversation_contents: $1 tenant, $2 from, $3 to. The foreign keys make an unknown `to`
// kNotFound (when there is anything to move).
constexpr std::array<std::string_view, 2> kMoveConversationContents{
    "UPDATE touchpoints SET conversation_id = $3 "
    "WHERE tenant_id = $1 AND conversation_id = $2",
    "UPDATE handoffs SET conversation_id = $3 "
    "WHERE tenant_id = $1 AND conversation_id = $2",
};

}  // namespace

// --- touchpoints

Result<TouchpointId> PostgresTransaction::insert_touchpoint(const Touchpoint& touchpoint) {
  return guarded(kWrites, "inserting a touchpoint", [&]() -> Result<TouchpointId> {
    Params params;
    params.id(touchpoint.tenant)
        .id(touchpoint.customer)
        .optional_id(touchpoint.conversation)
        .optional_id(touchpoint.channel)
        .name(touchpoint.channel_kind)
        .name(touchpoint.kind)
        .optional_id(touchpoint.agent)
        .optional_id(touchpoint.handoff)
        .text(touchpoint.subject)
        .text(touchpoint.body)
        .text(sqlite::encode_attachments(touchpoint.attachments))
        .text(sqlite::encode_string_map(touchpoint.metadata))
        .text(touchpoint.provider_message_id)
        .name(touchpoint.delivery)
        .timestamp(touchpoint.occurred_at)
        .timestamp(touchpoint.recorded_at)
        .optional_id(touchpoint.identity);
    return insert<TouchpointId>(
        "INSERT INTO touchpoints (tenant_id, customer_id, conversation_id, channel_id, "
        "channel_kind, kind, agent_id, handoff_id, subject, body, attachments, metadata, "
        "provider_message_id, delivery, occurred_at, recorded_at, identity_id) VALUES ($1, $2, "
        "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
        params, "inserting a touchpoint");
  });
}

Result<Touchpoint> PostgresTransaction::get_touchpoint(TenantId tenant, TouchpointId id) {
  return guarded(kReads, "reading a touchpoint", [&]() -> Result<Touchpoint> {
    static const std::string sql = fmt::format(
        "SELECT {} FROM touchpoints WHERE tenant_id = $1 AND id = $2", kTouchpointColumns);
    Params params;
    params.id(tenant).id(id);
    return query_one(sql, params, "reading a touchpoint", fmt::format("touchpoint {}", id.value()),
                     "touchpoints", read_touchpoint);
  });
}

Result<Touchpoint> PostgresTransaction::find_touchpoint(TenantId tenant, ChannelId channel,
                                                        std::string_view provider_message_id) {
  return guarded(kReads, "finding a touchpoint", [&]() -> Result<Touchpoint> {
    if (provider_message_id.empty()) {
      return Status::not_found("postgres: finding a touchpoint: empty provider message id");
    }
    // The last two conditions repeat the partial unique index's WHERE so the planner can use it.
    static const std::string sql = fmt::format(
        "SELECT {} FROM touchpoints WHERE tenant_id = $1 AND channel_id = $2 "
        "AND provider_message_id = $3 AND provider_message_id <> '' AND channel_id IS NOT NULL",
        kTouchpointColumns);
    Params params;
    params.id(tenant).id(channel).text(provider_message_id);
    return query_one(
        sql, params, "finding a touchpoint",
        fmt::format("message '{}' on channel {}", provider_message_id, channel.value()),
        "touchpoints", read_touchpoint);
  });
}

Status PostgresTransaction::update_delivery(TenantId tenant, TouchpointId id, DeliveryStatus status,
                                            std::string_view provider_message_id) {
  return guarded(kWrites, "updating a delivery status", [&]() -> Status {
    const bool with_message_id = !provider_message_id.empty();
    Params params;
    params.name(status);
    if (with_message_id) params.text(provider_message_id);
    params.id(tenant).id(id);
    return update(with_message_id ? "UPDATE touchpoints SET delivery = $1, "
                                    "provider_message_id = $2 WHERE tenant_id = $3 AND id = $4"
                                  : "UPDATE touchpoints SET delivery = $1 "
                                    "WHERE tenant_id = $2 AND id = $3",
                  params, "updating a delivery status", fmt::format("touchpoint {}", id.value()));
  });
}

Result<std::vector<Touchpoint>> PostgresTransaction::list_touchpoints(
    const TouchpointQuery& query) {
  return guarded(kReads, "listing touchpoints", [&]() -> Result<std::vector<Touchpoint>> {
    // One statement text per combination of filters (at most 16), each prepared once per
    // connection. The row comparison on (occurred_at, id) is a range of the timeline indexes
    // (touchpoints_customer_timeline, touchpoints_conversation_timeline); neither column is NULL.
    const bool older = query.direction == TimelineDirection::kOlder;
    std::string sql = fmt::format(
        "SELECT {} FROM touchpoints WHERE tenant_id = $1 "
        "AND customer_id = $2",
        kTouchpointColumns);
    int next = 3;
    if (query.conversation) sql += fmt::format(" AND conversation_id = ${}", next++);
    if (query.kind) sql += fmt::format(" AND kind = ${}", next++);
    if (query.after) {
      sql += fmt::format(" AND (occurred_at, id) {} (${}, ${})", older ? "<" : ">", next, next + 1);
      next += 2;
    }
    sql +=
        fmt::format(" ORDER BY occurred_at {0}, id {0} LIMIT ${1}", older ? "DESC" : "ASC", next);

    Params params;
    params.id(query.tenant).id(query.customer);
    if (query.conversation) params.id(*query.conversation);
    if (query.kind) params.name(*query.kind);
    if (query.after) params.timestamp(query.after->occurred_at).id(query.after->touchpoint);
    params.int64(sql_limit(query.limit));
    return query_all(sql, params, "listing touchpoints", "touchpoints", read_touchpoint);
  });
}

// --- handoffs

Result<HandoffId> PostgresTransaction::insert_handoff(const Handoff& handoff) {
  return guarded(kWrites, "inserting a handoff", [&]() -> Result<HandoffId> {
    Params params;
    params.id(handoff.tenant);
    bind_handoff_fields(params, handoff);
    return insert<HandoffId>(
        "INSERT INTO handoffs (tenant_id, conversation_id, kind, mode, from_channel_id, "
        "to_channel_id, from_agent_id, to_agent_id, from_team, to_team, reason, context, "
        "created_at, acknowledged_at, acknowledged_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "$9, $10, $11, $12, $13, $14, $15) RETURNING id",
        params, "inserting a handoff");
  });
}

Result<Handoff> PostgresTransaction::get_handoff(TenantId tenant, HandoffId id) {
  return guarded(kReads, "reading a handoff", [&]() -> Result<Handoff> {
    static const std::string sql =
        fmt::format("SELECT {} FROM handoffs WHERE tenant_id = $1 AND id = $2", kHandoffColumns);
    Params params;
    params.id(tenant).id(id);
    return query_one(sql, params, "reading a handoff", fmt::format("handoff {}", id.value()),
                     "handoffs", read_handoff);
  });
}

Status PostgresTransaction::update_handoff(const Handoff& handoff) {
  return guarded(kWrites, "updating a handoff", [&]() -> Status {
    Params params;
    bind_handoff_fields(params, handoff);
    params.id(handoff.tenant).id(handoff.id);
    return update(
        "UPDATE handoffs SET conversation_id = $1, kind = $2, mode = $3, from_channel_id = $4, "
        "to_channel_id = $5, from_agent_id = $6, to_agent_id = $7, from_team = $8, to_team = $9, "
        "reason = $10, context = $11, created_at = $12, acknowledged_at = $13, "
        "acknowledged_by = $14 WHERE tenant_id = $15 AND id = $16",
        params, "updating a handoff", fmt::format("handoff {}", handoff.id.value()));
  });
}

Result<std::vector<Handoff>> PostgresTransaction::list_handoffs(TenantId tenant,
                                                                ConversationId conversation) {
  return guarded(kReads, "listing handoffs", [&]() -> Result<std::vector<Handoff>> {
    static const std::string sql = fmt::format(
        "SELECT {} FROM handoffs WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY id",
        kHandoffColumns);
    Params params;
    params.id(tenant).id(conversation);
    return query_all(sql, params, "listing handoffs", "handoffs", read_handoff);
  });
}

// --- merges

Result<MergeId> PostgresTransaction::insert_merge(const MergeRecord& merge) {
  return guarded(kWrites, "inserting a merge", [&]() -> Result<MergeId> {
    Params params;
    params.id(merge.tenant);
    bind_merge_fields(params, merge);
    return insert<MergeId>(
        "INSERT INTO merges (tenant_id, survivor_id, merged_id, actor, reason, merged_at, "
        "conflicts, copied_attributes, unmerged_at, unmerged_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        params, "inserting a merge");
  });
}

Result<MergeRecord> PostgresTransaction::get_merge(TenantId tenant, MergeId id) {
  return guarded(kReads, "reading a merge", [&]() -> Result<MergeRecord> {
    static const std::string sql =
        fmt::format("SELECT {} FROM merges WHERE tenant_id = $1 AND id = $2", kMergeColumns);
    Params params;
    params.id(tenant).id(id);
    return query_one(sql, params, "reading a merge", fmt::format("merge {}", id.value()), "merges",
                     read_merge);
  });
}

Status PostgresTransaction::update_merge(const MergeRecord& merge) {
  return guarded(kWrites, "updating a merge", [&]() -> Status {
    Params params;
    bind_merge_fields(params, merge);
    params.id(merge.tenant).id(merge.id);
    return update(
        "UPDATE merges SET survivor_id = $1, merged_id = $2, actor = $3, reason = $4, "
        "merged_at = $5, conflicts = $6, copied_attributes = $7, unmerged_at = $8, "
        "unmerged_by = $9 WHERE tenant_id = $10 AND id = $11",
        params, "updating a merge", fmt::format("merge {}", merge.id.value()));
  });
}

Result<std::vector<MergeRecord>> PostgresTransaction::list_merges(TenantId tenant,
                                                                  CustomerId customer) {
  return guarded(kReads, "listing merges", [&]() -> Result<std::vector<MergeRecord>> {
    // Two index scans (merges_by_survivor, merges_by_merged) united; an OR of the two conditions
    // could scan all of the tenant's merges instead.
    static const std::string sql = fmt::format(
        "SELECT {0} FROM merges WHERE tenant_id = $1 AND survivor_id = $2 UNION "
        "SELECT {0} FROM merges WHERE tenant_id = $1 AND merged_id = $2 ORDER BY id",
        kMergeColumns);
    Params params;
    params.id(tenant).id(customer);
    return query_all(sql, params, "listing merges", "merges", read_merge);
  });
}

Status PostgresTransaction::move_customer_records(TenantId tenant, MergeId merge, CustomerId from,
                                                  CustomerId to) {
  return guarded(kWrites, "moving a customer's records", [&]() -> Status {
    Params remember;
    remember.id(tenant).id(merge).id(from);
    for (std::string_view sql : kRememberCustomerRecords) {
      OMNI_RETURN_IF_ERROR(run(std::string(sql), remember, "remembering a customer's records"));
    }
    Params move;
    move.id(tenant).id(from).id(to);
    for (std::string_view sql : kMoveCustomerRecords) {
      OMNI_RETURN_IF_ERROR(run(std::string(sql), move, "moving a customer's records"));
    }
    return Status::ok_status();
  });
}

Result<std::vector<Touchpoint>> PostgresTransaction::restore_customer_records(TenantId tenant,
                                                                              MergeId merge,
                                                                              CustomerId survivor,
                                                                              CustomerId merged) {
  using Touchpoints = std::vector<Touchpoint>;
  return guarded(kWrites, "restoring a customer's records", [&]() -> Result<Touchpoints> {
    Params restore;
    restore.id(tenant).id(merge).id(survivor).id(merged);
    for (std::string_view sql : kRestoreCustomerRecords) {
      OMNI_RETURN_IF_ERROR(run(std::string(sql), restore, "restoring a customer's records"));
    }
    // What is left crossing over: touchpoints of either customer in a conversation of the other.
    static const std::string sql = fmt::format(
        "SELECT {} FROM touchpoints WHERE tenant_id = $1 AND customer_id IN ($2, $3) "
        "AND EXISTS (SELECT 1 FROM conversations AS c "
        "WHERE c.tenant_id = touchpoints.tenant_id AND c.id = touchpoints.conversation_id "
        "AND c.customer_id <> touchpoints.customer_id) "
        "ORDER BY id",
        kTouchpointColumns);
    Params params;
    params.id(tenant).id(survivor).id(merged);
    return query_all(sql, params, "listing touchpoints left in the other customer's conversations",
                     "touchpoints", read_touchpoint);
  });
}

Status PostgresTransaction::move_touchpoint(TenantId tenant, TouchpointId touchpoint,
                                            CustomerId customer,
                                            std::optional<ConversationId> conversation) {
  return guarded(kWrites, "moving a touchpoint", [&]() -> Status {
    Params params;
    params.id(customer).optional_id(conversation).id(tenant).id(touchpoint);
    return update(
        "UPDATE touchpoints SET customer_id = $1, conversation_id = $2 "
        "WHERE tenant_id = $3 AND id = $4",
        params, "moving a touchpoint", fmt::format("touchpoint {}", touchpoint.value()));
  });
}

Status PostgresTransaction::move_conversation_contents(TenantId tenant, ConversationId from,
                                                       ConversationId to) {
  return guarded(kWrites, "moving a conversation's contents", [&]() -> Status {
    Params params;
    params.id(tenant).id(from).id(to);
    for (std::string_view sql : kMoveConversationContents) {
      OMNI_RETURN_IF_ERROR(run(std::string(sql), params, "moving a conversation's contents"));
    }
    return Status::ok_status();
  });
}

}  // namespace omni::pgstore
