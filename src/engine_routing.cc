// Routing, capacity, offers, timers and the SLA clocks: the write path every conversation change
// takes (save_conversation), and the Engine's routing operations.
//
// Invariants, all kept inside one store transaction per operation:
//   - a conversation has at most one assignee and at most one outstanding offer (they are fields
//     of its row);
//   - an agent never holds more slots of a class than its capacity: every write that gives an
//     agent a new slot reads the agent's load (maintained by the store from the conversation
//     rows) after the write, and refuses, retries or releases when it went over.
#include <algorithm>
#include <utility>

#include "engine_impl.h"
#include "internal/macros.h"
#include "sla_clocks.h"

namespace omni {
using namespace engine_internal;

namespace {

// Pages of candidates grow from a few rows (the first usually qualifies) to many (a rare skill).
constexpr std::size_t kFirstPage = 8;
constexpr std::size_t kLargestPage = 256;
std::size_t next_page(std::size_t page) {
  return std::min(page * 2, kLargestPage);
}
constexpr const char* kNoSlaPolicy = "-";

std::string routing_policy_key(const std::string& team) {
  return team.empty() ? std::string("routing/default") : "routing/team/" + team;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Whether `a` may serve `c` (presence and requirements); capacity is checked separately.
bool qualifies(const Agent& a, const Conversation& c) {
  return a.presence == Presence::kAvailable &&
         meets_requirements(a.teams, a.skills, a.languages, c.team, c.skills, c.language);
}

bool has_slot(const Agent& a, RoutingClass cls) {
  return a.load.of(cls) < a.capacity.of(cls);
}

bool passed_over(const Conversation& c, AgentId a) {
  return std::find(c.passed_over.begin(), c.passed_over.end(), a) != c.passed_over.end();
}

// The slots a conversation holds: its assignee's and its offer's, while it is active.
std::vector<AgentId> holders(const Conversation& c) {
  std::vector<AgentId> out;
  if (!is_active(c.status)) return out;
  if (c.assignee) out.push_back(*c.assignee);
  if (c.offered_to) out.push_back(*c.offered_to);
  return out;
}

std::string class_name(RoutingClass cls) {
  return cls == RoutingClass::kSynchronous ? "synchronous" : "asynchronous";
}

// accept_offer and decline_offer act only on the agent's own outstanding offer.
Status check_offered(const Conversation& c, AgentId agent) {
  if (c.offered_to == agent && c.status == ConversationStatus::kOpen) return Status();
  return Status::failed_precondition("conversation " + std::to_string(c.id.value()) +
                                     " is not offered to agent " + std::to_string(agent.value()));
}

}  // namespace

bool meets_requirements(const std::vector<std::string>& agent_teams,
                        const std::vector<std::string>& agent_skills,
                        const std::vector<std::string>& agent_languages, const std::string& team,
                        const std::vector<std::string>& skills, const std::string& language) {
  if (!team.empty() && !contains(agent_teams, team)) return false;
  for (const auto& skill : skills) {
    if (!contains(agent_skills, skill)) return false;
  }
  if (language.empty()) return true;
  auto lower = [](std::string s) {
    for (auto& ch : s)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  const std::string wanted = lower(language);
  const std::string base = wanted.substr(0, wanted.find('-'));
  for (const auto& spoken : agent_languages) {
    const std::string l = lower(spoken);
    if (l == wanted || l == base) return true;
    if (wanted == base && l.rfind(wanted + "-", 0) == 0) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------- policies

Result<RoutingPolicy> Engine::Impl::routing_policy_in(StoreTransaction& tx, TenantId tenant,
                                                      const std::string& team) {
  for (const std::string& key : {routing_policy_key(team), routing_policy_key("")}) {
    auto text = tx.get_setting(tenant, key);
    if (text.ok()) return detail::decode_routing_policy(*text);
    if (!text.status().is(StatusCode::kNotFound)) return text.status();
    if (team.empty()) break;
  }
  return RoutingPolicy{};
}

Result<BusinessCalendar> Engine::Impl::calendar_for(const SlaPolicy& policy,
                                                    const std::string& key) {
  {
    std::shared_lock lock(calendars_mutex);
    auto it = calendars.find(key);
    if (it != calendars.end()) return it->second;
  }
  OMNI_ASSIGN_OR_RETURN(BusinessCalendar calendar, BusinessCalendar::create(policy.hours));
  std::unique_lock lock(calendars_mutex);
  if (calendars.size() > 256) calendars.clear();
  calendars.emplace(key, calendar);
  return calendar;
}

Status Engine::Impl::apply_sla(StoreTransaction& tx, Conversation& c, Timestamp now) {
  if (c.sla.policy.empty()) {
    // Chosen once, when the conversation is first written: the most specific policy there is.
    OMNI_ASSIGN_OR_RETURN(ChannelKind kind, channel_kind_of(tx, c.tenant, c.origin_channel));
    c.sla.policy = kNoSlaPolicy;
    for (const auto& key : detail::sla_policy_lookup_keys(kind, c.priority)) {
      auto text = tx.get_setting(c.tenant, "sla/" + key);
      if (text.ok()) {
        c.sla.policy = key;
        break;
      }
      if (!text.status().is(StatusCode::kNotFound)) return text.status();
    }
  }
  if (c.sla.policy == kNoSlaPolicy) return Status();
  auto text = tx.get_setting(c.tenant, "sla/" + c.sla.policy);
  // A policy removed since: the clocks keep what they have and stop moving.
  if (text.status().is(StatusCode::kNotFound)) return Status();
  if (!text.ok()) return text.status();
  OMNI_ASSIGN_OR_RETURN(SlaPolicy policy, detail::decode_sla_policy(*text));
  // The cache key is the document itself: a changed policy is a new calendar.
  OMNI_ASSIGN_OR_RETURN(BusinessCalendar calendar, calendar_for(policy, *text));
  detail::reconcile_sla(c, policy, calendar, now);
  return Status();
}

// ---------------------------------------------------------------------------------- saving

Status Engine::Impl::log_agent_activity(StoreTransaction& tx, TenantId tenant, AgentId agent,
                                        Timestamp at) {
  OMNI_ASSIGN_OR_RETURN(Agent a, tx.get_agent(tenant, agent));
  return tx.append_agent_activity(AgentActivity{tenant, agent, at, a.presence, a.load});
}

Status Engine::Impl::save_conversation(StoreTransaction& tx, Conversation& c, Timestamp now,
                                       SaveMode mode, const Conversation* stored_row,
                                       const Channel* current) {
  Conversation read;
  if (stored_row == nullptr) {
    OMNI_ASSIGN_OR_RETURN(read, tx.get_conversation(c.tenant, c.id));
    stored_row = &read;
  }
  const Conversation& stored = *stored_row;

  // The class follows the channel the conversation continues on.
  if (current != nullptr && current->id == c.current_channel) {
    c.routing_class =
        current->profile.synchronous ? RoutingClass::kSynchronous : RoutingClass::kAsynchronous;
  } else if (c.current_channel.valid()) {
    OMNI_ASSIGN_OR_RETURN(Channel channel, tx.get_channel(c.tenant, c.current_channel));
    c.routing_class =
        channel.profile.synchronous ? RoutingClass::kSynchronous : RoutingClass::kAsynchronous;
  }

  // Queue state: only an open conversation without an assignee waits or is offered.
  if (c.status == ConversationStatus::kOpen && !c.assignee) {
    if (!c.queued_at) c.queued_at = now;
  } else {
    c.queued_at.reset();
    c.offered_to.reset();
    c.offer_expires_at.reset();
    c.passed_over.clear();
    c.sticky_until.reset();
  }
  if (!c.offered_to) c.offer_expires_at.reset();

  OMNI_RETURN_IF_ERROR(apply_sla(tx, c, now));

  std::optional<Timestamp> next;
  auto consider = [&next](std::optional<Timestamp> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (c.offered_to) consider(c.offer_expires_at);
  if (c.waiting() && c.preferred_agent && c.sticky_until && *c.sticky_until > now) {
    consider(c.sticky_until);
  }
  consider(detail::next_sla_timer(c.sla));
  c.next_timer_at = next;

  OMNI_RETURN_IF_ERROR(tx.update_conversation(c));

  // The activity log of every agent whose load this write changed (occupancy).
  const std::vector<AgentId> before = holders(stored);
  const std::vector<AgentId> after = holders(c);
  if (before != after || stored.routing_class != c.routing_class) {
    for (AgentId agent : before) {
      OMNI_RETURN_IF_ERROR(log_agent_activity(tx, c.tenant, agent, now));
    }
    for (AgentId agent : after) {
      if (std::find(before.begin(), before.end(), agent) != before.end()) continue;
      OMNI_RETURN_IF_ERROR(log_agent_activity(tx, c.tenant, agent, now));
    }
  }

  // Capacity: every slot this write gave to an agent must fit.
  const bool class_changed = stored.routing_class != c.routing_class;
  for (AgentId holder : after) {
    if (!class_changed && std::find(before.begin(), before.end(), holder) != before.end()) {
      continue;
    }
    OMNI_ASSIGN_OR_RETURN(Agent agent, tx.get_agent(c.tenant, holder));
    if (agent.load.of(c.routing_class) <= agent.capacity.of(c.routing_class)) continue;
    const std::string why = "agent '" + agent.name + "' has no free " +
                            class_name(c.routing_class) + " slot (" +
                            std::to_string(agent.capacity.of(c.routing_class)) + " in use)";
    switch (mode) {
      case SaveMode::kExplicit:
        return Status::resource_exhausted(why).with_field("agent");
      case SaveMode::kRouting:
        // Another transaction took the slot after this one read it (a store without
        // serializable writes): start over.
        return Status::conflict(why);
      case SaveMode::kImplicit:
        break;
    }
    // The customer's action (a reopen, a switch to another channel) would overload the agent:
    // the conversation goes back to the queue, reserved for that agent while the sticky wait
    // lasts.
    if (c.offered_to == holder) {
      c.offered_to.reset();
    } else {
      c.assignee.reset();
      c.preferred_agent = holder;
      OMNI_ASSIGN_OR_RETURN(RoutingPolicy policy, routing_policy_in(tx, c.tenant, c.team));
      c.sticky_until = now + policy.sticky_wait;
      c.queued_at = now;
    }
    OMNI_RETURN_IF_ERROR(event(tx, c.tenant, c.customer, c.id, "conversation.released",
                               Payload().add("agent", holder).add("reason", "capacity").str(),
                               now));
    return save_conversation(tx, c, now, SaveMode::kImplicit);
  }
  return Status();
}

// ---------------------------------------------------------------------------------- routing

Result<std::optional<AgentId>> Engine::Impl::last_agent_of(StoreTransaction& tx,
                                                           const Conversation& c) {
  OMNI_ASSIGN_OR_RETURN(std::vector<Conversation> recent,
                        tx.list_conversations(c.tenant, c.customer, 10));
  for (const auto& other : recent) {
    if (other.id != c.id && other.assignee) return std::optional<AgentId>(other.assignee);
  }
  return std::optional<AgentId>();
}

Result<RoutingDecision> Engine::Impl::give(StoreTransaction& tx, Conversation& c, Agent& agent,
                                           const RoutingPolicy& policy, bool sticky,
                                           Timestamp now) {
  RoutingDecision d;
  d.conversation = c.id;
  d.agent = agent.id;
  d.sticky = sticky;
  if (policy.offer_timeout.count() > 0) {
    c.offered_to = agent.id;
    c.offer_expires_at = now + policy.offer_timeout;
    d.outcome = RoutingOutcome::kOffered;
    d.offer_expires_at = c.offer_expires_at;
  } else {
    c.assignee = agent.id;
    d.outcome = RoutingOutcome::kAssigned;
  }
  c.updated_at = now;
  OMNI_RETURN_IF_ERROR(save_conversation(tx, c, now, SaveMode::kRouting));
  OMNI_ASSIGN_OR_RETURN(agent,
                        tx.get_agent(c.tenant, agent.id));  // the load moved; the caller sees it
  agent.last_routed_at = now;
  OMNI_RETURN_IF_ERROR(tx.update_agent(agent));
  Payload payload;
  payload.add("agent", agent.id).add("by", "routing").add("sticky", sticky ? 1 : 0);
  if (d.outcome == RoutingOutcome::kOffered) {
    payload.add("expires_at", format_timestamp(*c.offer_expires_at));
  }
  OMNI_RETURN_IF_ERROR(event(
      tx, c.tenant, c.customer, c.id,
      d.outcome == RoutingOutcome::kOffered ? "conversation.offered" : "conversation.assigned",
      payload.str(), now));
  return d;
}

Result<RoutingDecision> Engine::Impl::route_in(StoreTransaction& tx, Conversation& c,
                                               Timestamp now) {
  RoutingDecision d;
  d.conversation = c.id;
  if (!c.waiting()) {
    d.outcome = RoutingOutcome::kNotWaiting;
    d.agent = c.assignee ? c.assignee : c.offered_to;
    return d;
  }
  OMNI_ASSIGN_OR_RETURN(RoutingPolicy policy, routing_policy_in(tx, c.tenant, c.team));

  // Sticky: the agent who last served the customer, once per waiting period.
  if (policy.sticky && !c.sticky_until) {
    if (!c.preferred_agent) {
      OMNI_ASSIGN_OR_RETURN(c.preferred_agent, last_agent_of(tx, c));
    }
    if (c.preferred_agent) c.sticky_until = now + policy.sticky_wait;
  }
  if (c.preferred_agent && c.sticky_until && *c.sticky_until >= now) {
    auto preferred = tx.get_agent(c.tenant, *c.preferred_agent);
    if (!preferred.ok() && !preferred.status().is(StatusCode::kNotFound)) {
      return preferred.status();
    }
    if (preferred.ok() && qualifies(*preferred, c) && has_slot(*preferred, c.routing_class)) {
      return give(tx, c, *preferred, policy, true, now);
    }
    if (*c.sticky_until > now) {
      c.updated_at = now;
      OMNI_RETURN_IF_ERROR(save_conversation(tx, c, now, SaveMode::kImplicit));
      d.outcome = RoutingOutcome::kReserved;
      d.agent = c.preferred_agent;
      d.sticky_until = c.sticky_until;
      return d;
    }
  }

  // Everyone else, in the policy's order; those who passed it over only when no one else can.
  std::optional<Agent> fallback;
  std::optional<Agent> cursor;
  for (std::size_t size = kFirstPage;; size = next_page(size)) {
    OMNI_ASSIGN_OR_RETURN(std::vector<Agent> page,
                          tx.list_routable_agents(c.tenant, c.routing_class, policy.strategy,
                                                  cursor ? &*cursor : nullptr, size));
    for (auto& agent : page) {
      if (!qualifies(agent, c) || !has_slot(agent, c.routing_class)) continue;
      if (passed_over(c, agent.id)) {
        if (!fallback) fallback = agent;
        continue;
      }
      const bool sticky = agent.id == c.preferred_agent;
      return give(tx, c, agent, policy, sticky, now);
    }
    if (page.size() < size) break;
    cursor = std::move(page.back());
  }
  if (fallback) return give(tx, c, *fallback, policy, false, now);
  c.updated_at = now;
  OMNI_RETURN_IF_ERROR(save_conversation(tx, c, now, SaveMode::kImplicit));
  d.outcome = RoutingOutcome::kQueued;
  return d;
}

Result<std::vector<RoutingDecision>> Engine::Impl::fill_in(StoreTransaction& tx, TenantId tenant,
                                                           AgentId agent_id, Timestamp now) {
  std::vector<RoutingDecision> out;
  OMNI_ASSIGN_OR_RETURN(Agent agent, tx.get_agent(tenant, agent_id));
  if (agent.presence != Presence::kAvailable) return out;
  std::map<std::string, RoutingPolicy> policies;
  auto policy_of = [&](const std::string& team) -> Result<RoutingPolicy> {
    auto it = policies.find(team);
    if (it != policies.end()) return it->second;
    OMNI_ASSIGN_OR_RETURN(RoutingPolicy p, routing_policy_in(tx, tenant, team));
    policies.emplace(team, p);
    return p;
  };
  auto take = [&](Conversation& c, bool sticky) -> Status {
    OMNI_ASSIGN_OR_RETURN(RoutingPolicy p, policy_of(c.team));
    // give() leaves `agent` as stored after the decision (its new load included).
    OMNI_ASSIGN_OR_RETURN(RoutingDecision d, give(tx, c, agent, p, sticky, now));
    out.push_back(d);
    return Status();
  };

  // Conversations waiting for this agent in particular come first.
  OMNI_ASSIGN_OR_RETURN(std::vector<Conversation> reserved,
                        tx.list_reserved_conversations(tenant, agent_id, now, kLargestPage));
  for (auto& c : reserved) {
    if (has_slot(agent, c.routing_class) && qualifies(agent, c)) {
      OMNI_RETURN_IF_ERROR(take(c, true));
    }
  }
  for (RoutingClass cls : {RoutingClass::kSynchronous, RoutingClass::kAsynchronous}) {
    std::optional<Conversation> cursor;
    for (std::size_t size = kFirstPage; has_slot(agent, cls); size = next_page(size)) {
      OMNI_ASSIGN_OR_RETURN(
          std::vector<Conversation> page,
          tx.list_waiting_conversations(tenant, cls, cursor ? &*cursor : nullptr, size));
      for (auto& c : page) {
        if (!has_slot(agent, cls)) break;
        const bool reserved_for_other = c.preferred_agent && *c.preferred_agent != agent_id &&
                                        c.sticky_until && *c.sticky_until > now;
        if (reserved_for_other || passed_over(c, agent_id) || !qualifies(agent, c)) continue;
        OMNI_RETURN_IF_ERROR(take(c, c.preferred_agent == agent_id));
      }
      if (page.size() < size) break;
      cursor = std::move(page.back());
    }
  }
  return out;
}

void Engine::Impl::refill(TenantId tenant, std::optional<AgentId> agent) {
  if (!agent) return;
  // Best effort: the state is consistent whether or not this runs; run_due and Engine::fill
  // catch up on anything missed.
  auto policy =
      run_read([&](StoreTransaction& tx) { return routing_policy_in(tx, tenant, std::string()); });
  if (!policy.ok() || !policy->automatic) return;
  (void)run_write([&](StoreTransaction& tx) { return fill_in(tx, tenant, *agent, now()); });
}

Result<RoutingDecision> Engine::route(TenantId tenant, ConversationId conversation) {
  return impl_->run_write([&](StoreTransaction& tx) -> Result<RoutingDecision> {
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(tenant, conversation));
    return impl_->route_in(tx, c, impl_->now());
  });
}

Result<std::vector<RoutingDecision>> Engine::fill(TenantId tenant, AgentId agent) {
  return impl_->run_write(
      [&](StoreTransaction& tx) { return impl_->fill_in(tx, tenant, agent, impl_->now()); });
}

Result<Conversation> Engine::accept_offer(TenantId tenant, ConversationId conversation,
                                          AgentId agent) {
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Conversation> {
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(tenant, conversation));
    OMNI_RETURN_IF_ERROR(tx.get_agent(tenant, agent).status());
    OMNI_RETURN_IF_ERROR(check_offered(c, agent));
    const Timestamp now = impl_->now();
    c.assignee = agent;
    c.offered_to.reset();
    c.updated_at = now;
    // The offer already held the slot, so this cannot overload the agent.
    OMNI_RETURN_IF_ERROR(impl_->save_conversation(tx, c, now, Impl::SaveMode::kExplicit));
    OMNI_RETURN_IF_ERROR(Impl::event(tx, tenant, c.customer, c.id, "conversation.assigned",
                                     Payload().add("agent", agent).add("by", "offer").str(), now));
    return c;
  });
}

Result<RoutingDecision> Engine::decline_offer(TenantId tenant, ConversationId conversation,
                                              AgentId agent, const std::string& reason) {
  OMNI_RETURN_IF_ERROR(check_text("reason", reason, kMaxSubjectBytes));
  return impl_->run_write([&](StoreTransaction& tx) -> Result<RoutingDecision> {
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(tenant, conversation));
    OMNI_RETURN_IF_ERROR(tx.get_agent(tenant, agent).status());
    OMNI_RETURN_IF_ERROR(check_offered(c, agent));
    const Timestamp now = impl_->now();
    c.offered_to.reset();
    c.passed_over.push_back(agent);
    c.updated_at = now;
    OMNI_RETURN_IF_ERROR(impl_->save_conversation(tx, c, now, Impl::SaveMode::kImplicit));
    OMNI_RETURN_IF_ERROR(Impl::event(tx, tenant, c.customer, c.id, "conversation.offer_declined",
                                     Payload().add("agent", agent).add("reason", reason).str(),
                                     now));
    return impl_->route_in(tx, c, now);
  });
}

Result<TimerRun> Engine::run_due(TenantId tenant, std::size_t limit) {
  if (limit == 0) return Status::invalid_argument("limit is 0");
  const Timestamp now = impl_->now();
  OMNI_ASSIGN_OR_RETURN(std::vector<Conversation> due, impl_->run_read([&](StoreTransaction& tx) {
    return tx.list_due_conversations(tenant, now, limit);
  }));
  TimerRun run;
  for (const auto& listed : due) {
    TimerRun one;
    Status status = impl_->run_write([&](StoreTransaction& tx) -> Status {
      one = TimerRun();
      OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(tenant, listed.id));
      if (!c.next_timer_at || *c.next_timer_at > now) return Status();  // handled meanwhile
      struct Due {
        Timestamp at;
        int order;  // offers, then sticky waits, then SLA, at the same instant
        std::string type;
        std::string payload;
      };
      std::vector<Due> fired;
      if (c.offered_to && c.offer_expires_at && *c.offer_expires_at <= now) {
        fired.push_back({*c.offer_expires_at, 0, "conversation.offer_expired",
                         Payload().add("agent", *c.offered_to).str()});
        c.passed_over.push_back(*c.offered_to);
        c.offered_to.reset();
        ++one.offers_expired;
      }
      if (c.waiting() && c.preferred_agent && c.sticky_until && *c.sticky_until <= now) {
        fired.push_back({*c.sticky_until, 1, "conversation.sticky_expired",
                         Payload().add("agent", *c.preferred_agent).str()});
        c.preferred_agent.reset();  // sticky_until stays: this waiting period had its turn
        ++one.sticky_expired;
      }
      for (const auto& f : detail::fire_sla_timers(c.sla, now)) {
        fired.push_back({f.at, 2, f.breach ? "sla.breached" : "sla.warning",
                         Payload()
                             .add("clock", to_string(f.clock))
                             .add("policy", c.sla.policy)
                             .add("due_at", format_timestamp(*c.sla.clock(f.clock).due_at))
                             .str()});
        ++(f.breach ? one.sla_breaches : one.sla_warnings);
      }
      std::stable_sort(fired.begin(), fired.end(), [](const Due& a, const Due& b) {
        return a.at != b.at ? a.at < b.at : a.order < b.order;
      });
      for (auto& f : fired) {
        OMNI_RETURN_IF_ERROR(
            Impl::event(tx, tenant, c.customer, c.id, f.type.c_str(), std::move(f.payload), f.at));
      }
      c.updated_at = now;
      OMNI_RETURN_IF_ERROR(impl_->save_conversation(tx, c, now, Impl::SaveMode::kImplicit));
      if (c.waiting() && (one.offers_expired > 0 || one.sticky_expired > 0)) {
        OMNI_ASSIGN_OR_RETURN(RoutingDecision d, impl_->route_in(tx, c, now));
        one.decisions.push_back(d);
      }
      return Status();
    });
    if (!status.ok()) return status;
    run.offers_expired += one.offers_expired;
    run.sticky_expired += one.sticky_expired;
    run.sla_warnings += one.sla_warnings;
    run.sla_breaches += one.sla_breaches;
    run.decisions.insert(run.decisions.end(), one.decisions.begin(), one.decisions.end());
  }
  return run;
}

Result<std::optional<Timestamp>> Engine::next_due(TenantId tenant) {
  return impl_->run_read([&](StoreTransaction& tx) -> Result<std::optional<Timestamp>> {
    auto next = tx.next_timer(tenant);
    if (next.status().is(StatusCode::kNotFound)) return std::optional<Timestamp>();
    if (!next.ok()) return next.status();
    return std::optional<Timestamp>(*next);
  });
}

// ---------------------------------------------------------------------------------- setup

Status Engine::set_routing_policy(TenantId tenant, const std::string& team,
                                  const std::optional<RoutingPolicy>& policy) {
  OMNI_RETURN_IF_ERROR(check_text("team", team, kMaxNameBytes));
  if (policy) {
    if (policy->sticky_wait.count() < 0) {
      return Status::invalid_argument("sticky_wait is negative").with_field("sticky_wait");
    }
    if (policy->offer_timeout.count() < 0) {
      return Status::invalid_argument("offer_timeout is negative").with_field("offer_timeout");
    }
  }
  return impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    if (policy)
      return tx.put_setting(tenant, routing_policy_key(team),
                            detail::encode_routing_policy(*policy));
    Status deleted = tx.delete_setting(tenant, routing_policy_key(team));
    return deleted.is(StatusCode::kNotFound) ? Status() : deleted;
  });
}

Result<RoutingPolicy> Engine::routing_policy(TenantId tenant, const std::string& team) {
  return impl_->run_read([&](StoreTransaction& tx) -> Result<RoutingPolicy> {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    return impl_->routing_policy_in(tx, tenant, team);
  });
}

Status Engine::set_sla_policy(TenantId tenant, const SlaPolicy& policy) {
  OMNI_RETURN_IF_ERROR(detail::validate_sla_policy(policy));
  return impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    return tx.put_setting(tenant,
                          "sla/" + detail::sla_policy_key(policy.channel_kind, policy.priority),
                          detail::encode_sla_policy(policy));
  });
}

Status Engine::remove_sla_policy(TenantId tenant, std::optional<ChannelKind> kind,
                                 std::optional<Priority> priority) {
  return impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    return tx.delete_setting(tenant, "sla/" + detail::sla_policy_key(kind, priority));
  });
}

Result<std::vector<SlaPolicy>> Engine::list_sla_policies(TenantId tenant) {
  return impl_->run_read([&](StoreTransaction& tx) -> Result<std::vector<SlaPolicy>> {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    OMNI_ASSIGN_OR_RETURN(auto settings, tx.list_settings(tenant, "sla/"));
    std::vector<SlaPolicy> out;
    for (const auto& [key, value] : settings) {
      OMNI_ASSIGN_OR_RETURN(SlaPolicy p, detail::decode_sla_policy(value));
      out.push_back(std::move(p));
    }
    auto specificity = [](const SlaPolicy& p) {
      return (p.channel_kind ? 2 : 0) + (p.priority ? 1 : 0);
    };
    std::stable_sort(out.begin(), out.end(), [&](const SlaPolicy& a, const SlaPolicy& b) {
      return specificity(a) < specificity(b);
    });
    return out;
  });
}

Result<Agent> Engine::update_agent(TenantId tenant, AgentId agent, const AgentUpdate& update) {
  if (update.capacity && (update.capacity->synchronous < 0 || update.capacity->asynchronous < 0)) {
    return Status::invalid_argument("capacity is negative").with_field("capacity");
  }
  for (const auto* list : {&update.teams, &update.skills, &update.languages}) {
    if (!*list) continue;
    for (const auto& item : **list) {
      OMNI_RETURN_IF_ERROR(check_required_text("agent attribute", item, kMaxNameBytes));
    }
  }
  OMNI_ASSIGN_OR_RETURN(Agent a, impl_->run_write([&](StoreTransaction& tx) -> Result<Agent> {
    OMNI_ASSIGN_OR_RETURN(Agent a, tx.get_agent(tenant, agent));
    if (update.teams) a.teams = *update.teams;
    if (update.skills) a.skills = *update.skills;
    if (update.languages) a.languages = *update.languages;
    if (update.capacity) a.capacity = *update.capacity;
    OMNI_RETURN_IF_ERROR(tx.update_agent(a));
    return tx.get_agent(tenant, agent);
  }));
  impl_->refill(tenant, a.id);
  return a;
}

Result<std::vector<Agent>> Engine::list_agents(TenantId tenant) {
  return impl_->run_read([&](StoreTransaction& tx) { return tx.list_agents(tenant); });
}

Status Engine::Impl::check_requirements(const RoutingRequirements& r, const std::string& prefix) {
  if (r.team) OMNI_RETURN_IF_ERROR(check_text(prefix + "team", *r.team, kMaxNameBytes));
  if (r.language) OMNI_RETURN_IF_ERROR(check_text(prefix + "language", *r.language, 35));
  if (r.skills) {
    if (r.skills->size() > kMaxMetadataEntries) {
      return Status::resource_exhausted("more than 64 skills").with_field(prefix + "skills");
    }
    for (const auto& s : *r.skills) {
      OMNI_RETURN_IF_ERROR(check_required_text(prefix + "skills", s, kMaxNameBytes));
    }
  }
  return Status();
}

void Engine::Impl::apply_requirements(Conversation& c, const RoutingRequirements& r) {
  if (r.team) c.team = *r.team;
  if (r.language) c.language = *r.language;
  if (r.skills) c.skills = *r.skills;
  if (r.priority && *r.priority != c.priority) {
    c.priority = *r.priority;
    // The priority picks the SLA policy: start the clocks anew under it, from their starts.
    SlaState fresh;
    fresh.next_responses_met = c.sla.next_responses_met;
    fresh.next_responses_breached = c.sla.next_responses_breached;
    c.sla = fresh;
  }
}

Status Engine::Impl::withdraw_offers(StoreTransaction& tx, TenantId tenant, AgentId agent,
                                     Timestamp now) {
  for (;;) {
    OMNI_ASSIGN_OR_RETURN(std::vector<Conversation> offered,
                          tx.list_offered_conversations(tenant, agent, kLargestPage));
    for (auto& c : offered) {
      // Not passed over: the agent did not decline, and may take it when back.
      c.offered_to.reset();
      c.updated_at = now;
      OMNI_RETURN_IF_ERROR(save_conversation(tx, c, now, SaveMode::kImplicit));
      OMNI_RETURN_IF_ERROR(event(tx, tenant, c.customer, c.id, "conversation.offer_withdrawn",
                                 Payload().add("agent", agent).add("reason", "presence").str(),
                                 now));
      OMNI_ASSIGN_OR_RETURN(RoutingPolicy policy, routing_policy_in(tx, tenant, c.team));
      if (policy.automatic) OMNI_RETURN_IF_ERROR(route_in(tx, c, now).status());
    }
    if (offered.size() < kLargestPage) return Status();
  }
}

Result<Conversation> Engine::set_routing(TenantId tenant, ConversationId conversation,
                                         const RoutingRequirements& r) {
  OMNI_RETURN_IF_ERROR(Impl::check_requirements(r, ""));
  std::optional<AgentId> withdrawn;
  auto updated = impl_->run_write([&](StoreTransaction& tx) -> Result<Conversation> {
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(tenant, conversation));
    if (c.status == ConversationStatus::kClosed) {
      return Status::failed_precondition("conversation " + std::to_string(c.id.value()) +
                                         " is closed");
    }
    const Timestamp now = impl_->now();
    Impl::apply_requirements(c, r);
    // An outstanding offer to someone who no longer qualifies is withdrawn, and said so.
    withdrawn.reset();
    if (c.offered_to) {
      OMNI_ASSIGN_OR_RETURN(Agent offered, tx.get_agent(tenant, *c.offered_to));
      if (!qualifies(offered, c)) {
        withdrawn = c.offered_to;
        c.offered_to.reset();
        OMNI_RETURN_IF_ERROR(Impl::event(
            tx, tenant, c.customer, c.id, "conversation.offer_withdrawn",
            Payload().add("agent", *withdrawn).add("reason", "requirements").str(), now));
      }
    }
    c.updated_at = now;
    OMNI_RETURN_IF_ERROR(impl_->save_conversation(tx, c, now, Impl::SaveMode::kImplicit));
    OMNI_RETURN_IF_ERROR(Impl::event(tx, tenant, c.customer, c.id, "conversation.routing_changed",
                                     Payload()
                                         .add("team", c.team)
                                         .add("language", c.language)
                                         .add("priority", to_string(c.priority))
                                         .str(),
                                     now));
    if (c.waiting()) {
      OMNI_ASSIGN_OR_RETURN(RoutingPolicy policy, impl_->routing_policy_in(tx, tenant, c.team));
      if (policy.automatic) OMNI_RETURN_IF_ERROR(impl_->route_in(tx, c, now).status());
    }
    return tx.get_conversation(tenant, conversation);
  });
  // The agent whose offer was withdrawn has a free slot again.
  if (updated.ok()) impl_->refill(tenant, withdrawn);
  return updated;
}

}  // namespace omni
