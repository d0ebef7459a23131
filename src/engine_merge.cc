// Merging and unmerging customers, and merging conversations. Each is one store transaction; the
// set-based moves run inside the store (StoreTransaction::move_customer_records and
// restore_customer_records), so a customer with a long history is never loaded.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine_impl.h"

namespace omni {
using namespace engine_internal;
namespace {

// The newest moment anything happened in the conversation.
Timestamp last_activity(const Conversation& c) {
  Timestamp last = c.opened_at;
  for (const auto& t : {c.last_inbound_at, c.last_outbound_at}) {
    if (t && *t > last) last = *t;
  }
  return last;
}

std::string customer_label(const Customer& c) {
  return "customer " + std::to_string(c.id.value()) + " (" + c.display_name + ")";
}

template <typename T>
std::optional<T> earlier(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}
template <typename T>
std::optional<T> later(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

// A line on a customer's timeline outside any conversation: the merge or unmerge itself.
Status add_customer_marker(StoreTransaction& tx, TenantId tenant, CustomerId customer,
                           MergeId merge, std::string body, Timestamp at) {
  Touchpoint tp;
  tp.tenant = tenant;
  tp.customer = customer;
  tp.channel_kind = ChannelKind::kWeb;
  tp.kind = TouchpointKind::kStatusChange;
  tp.body = std::move(body);
  tp.metadata["merge"] = std::to_string(merge.value());
  tp.occurred_at = at;
  tp.recorded_at = at;
  return tx.insert_touchpoint(tp).status();
}

}  // namespace

Status Engine::Impl::settle_joinable(StoreTransaction& tx, TenantId tenant, CustomerId customer,
                                     Timestamp at) {
  OMNI_ASSIGN_OR_RETURN(auto active, tx.list_active_conversations(tenant, customer));
  if (active.empty()) return Status();
  for (const auto& c : active) {
    if (c.joinable) return Status();
  }
  auto newest = std::max_element(active.begin(), active.end(), [](const auto& a, const auto& b) {
    return std::make_pair(last_activity(a), a.id) < std::make_pair(last_activity(b), b.id);
  });
  newest->joinable = true;
  newest->updated_at = at;
  return save_conversation(tx, *newest, at, SaveMode::kImplicit);
}

Result<MergeRecord> Engine::merge_customers(const MergeSpec& spec) {
  OMNI_RETURN_IF_ERROR(check_required_text("actor", spec.actor, kMaxNameBytes));
  OMNI_RETURN_IF_ERROR(check_required_text("reason", spec.reason, kMaxSubjectBytes));
  if (spec.survivor == spec.merged) {
    return Status::failed_precondition("a customer cannot be merged into itself")
        .with_field("merged");
  }
  return impl_->run_write([&](StoreTransaction& tx) -> Result<MergeRecord> {
    auto found_survivor = tx.get_customer(spec.tenant, spec.survivor);
    if (!found_survivor.ok()) return Status(found_survivor.status()).with_field("survivor");
    auto found_merged = tx.get_customer(spec.tenant, spec.merged);
    if (!found_merged.ok()) return Status(found_merged.status()).with_field("merged");
    Customer survivor = std::move(*found_survivor);
    Customer merged = std::move(*found_merged);
    if (survivor.merged_into) {
      return Status::failed_precondition(customer_label(survivor) + " was merged into customer " +
                                         std::to_string(survivor.merged_into->value()) +
                                         "; merge into that one")
          .with_field("survivor");
    }
    if (merged.merged_into) {
      return Status::failed_precondition(customer_label(merged) +
                                         " is already merged into customer " +
                                         std::to_string(merged.merged_into->value()))
          .with_field("merged");
    }
    const Timestamp now_ts = impl_->now();
    MergeRecord record;
    record.tenant = spec.tenant;
    record.survivor = survivor.id;
    record.merged = merged.id;
    record.actor = spec.actor;
    record.reason = spec.reason;
    record.merged_at = now_ts;
    if (merged.display_name != survivor.display_name) {
      record.conflicts.push_back({"display_name", survivor.display_name, merged.display_name});
    }
    for (const auto& [key, value] : merged.attributes) {
      auto mine = survivor.attributes.find(key);
      if (mine == survivor.attributes.end()) {
        survivor.attributes.emplace(key, value);
        record.copied_attributes.push_back(key);
      } else if (mine->second != value) {
        record.conflicts.push_back({key, mine->second, value});
      }
    }
    // Contact preferences are one statement of the person: the survivor's stand; a survivor
    // that never stated any takes the merged customer's. Differing ones are a conflict to see.
    if (survivor.preferences.empty()) {
      survivor.preferences = merged.preferences;
    } else if (!merged.preferences.empty() && merged.preferences != survivor.preferences) {
      record.conflicts.push_back({"preferences", detail::describe_preferences(survivor.preferences),
                                  detail::describe_preferences(merged.preferences)});
    }
    survivor.updated_at = now_ts;
    OMNI_RETURN_IF_ERROR(tx.update_customer(survivor));
    OMNI_ASSIGN_OR_RETURN(record.id, tx.insert_merge(record));
    OMNI_RETURN_IF_ERROR(tx.move_customer_records(spec.tenant, record.id, merged.id, survivor.id));
    merged.merged_into = survivor.id;
    merged.updated_at = now_ts;
    OMNI_RETURN_IF_ERROR(tx.update_customer(merged));
    OMNI_RETURN_IF_ERROR(impl_->settle_joinable(tx, spec.tenant, survivor.id, now_ts));
    OMNI_RETURN_IF_ERROR(add_customer_marker(tx, spec.tenant, survivor.id, record.id,
                                             "merged " + customer_label(merged) +
                                                 " into this customer by " + spec.actor + ": " +
                                                 spec.reason,
                                             now_ts));
    OMNI_RETURN_IF_ERROR(
        Impl::event(tx, spec.tenant, survivor.id, std::nullopt, "customer.merged",
                    Payload()
                        .add("merge", record.id)
                        .add("survivor", survivor.id)
                        .add("merged", merged.id)
                        .add("actor", spec.actor)
                        .add("reason", spec.reason)
                        .add("conflicts", static_cast<std::int64_t>(record.conflicts.size()))
                        .str(),
                    now_ts));
    return record;
  });
}

Result<UnmergeResult> Engine::unmerge_customer(TenantId tenant, CustomerId merged_id,
                                               const std::string& actor) {
  OMNI_RETURN_IF_ERROR(check_required_text("actor", actor, kMaxNameBytes));
  return impl_->run_write([&](StoreTransaction& tx) -> Result<UnmergeResult> {
    OMNI_ASSIGN_OR_RETURN(Customer merged, tx.get_customer(tenant, merged_id));
    if (!merged.merged_into) {
      return Status::failed_precondition(customer_label(merged) + " is not merged");
    }
    OMNI_ASSIGN_OR_RETURN(auto merges, tx.list_merges(tenant, merged.id));
    auto open = std::find_if(merges.rbegin(), merges.rend(), [&](const MergeRecord& m) {
      return m.merged == merged.id && !m.unmerged_at;
    });
    if (open == merges.rend()) {
      return Status::corruption(customer_label(merged) + " is a redirect without a merge record");
    }
    MergeRecord record = *open;
    OMNI_ASSIGN_OR_RETURN(Customer survivor, tx.get_customer(tenant, record.survivor));
    if (survivor.merged_into) {
      return Status::failed_precondition(
          customer_label(survivor) + " was merged into customer " +
          std::to_string(survivor.merged_into->value()) +
          " after this merge; unmerge it first (merges are undone newest first)");
    }
    const Timestamp now_ts = impl_->now();
    OMNI_ASSIGN_OR_RETURN(auto strays,
                          tx.restore_customer_records(tenant, record.id, survivor.id, merged.id));

    merged.merged_into.reset();
    merged.updated_at = now_ts;
    OMNI_RETURN_IF_ERROR(tx.update_customer(merged));
    for (const auto& key : record.copied_attributes) {
      auto mine = survivor.attributes.find(key);
      auto theirs = merged.attributes.find(key);
      if (mine != survivor.attributes.end() && theirs != merged.attributes.end() &&
          mine->second == theirs->second) {
        survivor.attributes.erase(mine);
      }
    }
    survivor.updated_at = now_ts;
    OMNI_RETURN_IF_ERROR(tx.update_customer(survivor));
    OMNI_RETURN_IF_ERROR(impl_->settle_joinable(tx, tenant, survivor.id, now_ts));
    OMNI_RETURN_IF_ERROR(impl_->settle_joinable(tx, tenant, merged.id, now_ts));

    // Touchpoints left in a conversation of the other customer continue in their own
    // customer's joinable active conversation, or in a new one per conversation they left.
    UnmergeResult out;
    std::map<std::pair<std::int64_t, std::int64_t>, ConversationId> new_homes;
    for (const auto& tp : strays) {
      if (!tp.conversation)
        return Status::internal("the store returned a stray without a conversation");
      const auto key = std::make_pair(tp.customer.value(), tp.conversation->value());
      ConversationId home;
      if (auto it = new_homes.find(key); it != new_homes.end()) {
        home = it->second;
      } else {
        auto active = tx.find_active_conversation(tenant, tp.customer);
        if (active.ok()) {
          home = active->id;
        } else if (!active.status().is(StatusCode::kNotFound)) {
          return active.status();
        } else {
          OMNI_ASSIGN_OR_RETURN(Conversation left, tx.get_conversation(tenant, *tp.conversation));
          Conversation c;
          c.tenant = tenant;
          c.customer = tp.customer;
          c.status = ConversationStatus::kOpen;
          c.priority = left.priority;
          c.subject = left.subject;
          c.origin_channel = tp.channel.value_or(left.current_channel);
          c.current_channel = c.origin_channel;
          c.opened_at = tp.occurred_at;
          c.updated_at = now_ts;
          OMNI_ASSIGN_OR_RETURN(c.id, tx.insert_conversation(c));
          OMNI_RETURN_IF_ERROR(impl_->save_conversation(tx, c, now_ts, Impl::SaveMode::kImplicit));
          home = c.id;
          out.split_conversations.push_back(c.id);
          OMNI_RETURN_IF_ERROR(Impl::event(
              tx, tenant, c.customer, c.id, "conversation.opened",
              Payload().add("reason", "unmerge").add("split_from", left.id).str(), now_ts));
        }
        new_homes.emplace(key, home);
      }
      OMNI_RETURN_IF_ERROR(tx.move_touchpoint(tenant, tp.id, tp.customer, home));
      if (is_inbound_kind(tp.kind)) {
        OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(tenant, home));
        c.last_inbound_at = later(c.last_inbound_at, std::optional(tp.occurred_at));
        c.opened_at = std::min(c.opened_at, tp.occurred_at);
        OMNI_RETURN_IF_ERROR(impl_->save_conversation(tx, c, now_ts, Impl::SaveMode::kImplicit));
      }
      ++out.moved_touchpoints;
    }

    record.unmerged_at = now_ts;
    record.unmerged_by = actor;
    OMNI_RETURN_IF_ERROR(tx.update_merge(record));
    for (const Customer* c : {&survivor, &merged}) {
      OMNI_RETURN_IF_ERROR(
          add_customer_marker(tx, tenant, c->id, record.id,
                              "unmerged " + customer_label(merged) + " from customer " +
                                  std::to_string(survivor.id.value()) + " by " + actor,
                              now_ts));
    }
    OMNI_RETURN_IF_ERROR(Impl::event(tx, tenant, merged.id, std::nullopt, "customer.unmerged",
                                     Payload()
                                         .add("merge", record.id)
                                         .add("survivor", survivor.id)
                                         .add("merged", merged.id)
                                         .add("actor", actor)
                                         .str(),
                                     now_ts));
    out.merge = std::move(record);
    return out;
  });
}

Result<std::vector<MergeRecord>> Engine::list_merges(TenantId tenant, CustomerId customer) {
  return impl_->run_read([&](StoreTransaction& tx) -> Result<std::vector<MergeRecord>> {
    OMNI_RETURN_IF_ERROR(tx.get_customer(tenant, customer).status());
    return tx.list_merges(tenant, customer);
  });
}

Result<Conversation> Engine::merge_conversations(TenantId tenant, ConversationId survivor_id,
                                                 ConversationId merged_id, const std::string& actor,
                                                 const std::string& reason) {
  OMNI_RETURN_IF_ERROR(check_required_text("actor", actor, kMaxNameBytes));
  OMNI_RETURN_IF_ERROR(check_required_text("reason", reason, kMaxSubjectBytes));
  if (survivor_id == merged_id) {
    return Status::failed_precondition("a conversation cannot be merged into itself")
        .with_field("merged");
  }
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Conversation> {
    OMNI_ASSIGN_OR_RETURN(Conversation survivor, tx.get_conversation(tenant, survivor_id));
    OMNI_ASSIGN_OR_RETURN(Conversation merged, tx.get_conversation(tenant, merged_id));
    if (survivor.customer != merged.customer) {
      return Status::failed_precondition(
          "conversations " + std::to_string(survivor.id.value()) + " and " +
          std::to_string(merged.id.value()) +
          " belong to different customers; merge the customers first");
    }
    if (survivor.status == ConversationStatus::kClosed) {
      return Status::failed_precondition("conversation " + std::to_string(survivor.id.value()) +
                                         " is closed")
          .with_field("survivor");
    }
    if (merged.merged_into) {
      return Status::failed_precondition("conversation " + std::to_string(merged.id.value()) +
                                         " was already merged into conversation " +
                                         std::to_string(merged.merged_into->value()))
          .with_field("merged");
    }
    const Timestamp now_ts = impl_->now();
    OMNI_RETURN_IF_ERROR(tx.move_conversation_contents(tenant, merged.id, survivor.id));
    const bool merged_was_joinable = is_active(merged.status) && merged.joinable;
    merged.status = ConversationStatus::kClosed;
    merged.closed_at = now_ts;
    merged.joinable = false;
    merged.merged_into = survivor.id;
    merged.updated_at = now_ts;
    OMNI_RETURN_IF_ERROR(impl_->save_conversation(tx, merged, now_ts, Impl::SaveMode::kImplicit));

    survivor.opened_at = std::min(survivor.opened_at, merged.opened_at);
    survivor.first_response_at = earlier(survivor.first_response_at, merged.first_response_at);
    survivor.last_inbound_at = later(survivor.last_inbound_at, merged.last_inbound_at);
    survivor.last_outbound_at = later(survivor.last_outbound_at, merged.last_outbound_at);
    if (merged_was_joinable && is_active(survivor.status)) survivor.joinable = true;
    survivor.handoff_count += merged.handoff_count;
    survivor.updated_at = now_ts;
    OMNI_RETURN_IF_ERROR(impl_->save_conversation(tx, survivor, now_ts, Impl::SaveMode::kImplicit));
    OMNI_RETURN_IF_ERROR(impl_->settle_joinable(tx, tenant, survivor.customer, now_ts));

    OMNI_ASSIGN_OR_RETURN(ChannelKind kind,
                          impl_->channel_kind_of(tx, tenant, survivor.current_channel));
    OMNI_RETURN_IF_ERROR(
        impl_->add_status_touchpoint(tx, survivor, kind,
                                     "merged conversation " + std::to_string(merged.id.value()) +
                                         " into this one by " + actor + ": " + reason,
                                     now_ts));
    OMNI_RETURN_IF_ERROR(impl_->add_status_touchpoint(
        tx, merged, kind,
        "merged into conversation " + std::to_string(survivor.id.value()) + " by " + actor,
        now_ts));
    OMNI_RETURN_IF_ERROR(Impl::event(tx, tenant, survivor.customer, survivor.id,
                                     "conversation.merged",
                                     Payload()
                                         .add("survivor", survivor.id)
                                         .add("merged", merged.id)
                                         .add("actor", actor)
                                         .add("reason", reason)
                                         .str(),
                                     now_ts));
    return tx.get_conversation(tenant, survivor.id);
  });
}

}  // namespace omni
