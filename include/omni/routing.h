// omni/routing.h — agents' capacity and load, routing policies, offers and the results of
// routing operations.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/clock.h"
#include "omni/export.h"
#include "omni/ids.h"
#include "omni/sla.h"

namespace omni {

// Synchronous channels (a call, video, a live chat: ChannelProfile::synchronous) take an agent's
// full attention; asynchronous ones (email, SMS, messengers) can be served several at once.
enum class RoutingClass { kSynchronous, kAsynchronous };
OMNI_EXPORT std::string_view to_string(RoutingClass routing_class);  // "sync", "async"
OMNI_EXPORT std::optional<RoutingClass> parse_routing_class(std::string_view name);

// How many conversations an agent serves at once, per class. A conversation holds a slot of an
// agent while it is active (open, or pending on the customer) and assigned to the agent, and
// while it is offered to the agent; resolved and closed conversations hold none.
struct AgentCapacity {
  // Default 1: one live call, video or chat at a time.
  int synchronous = 1;
  // Default 5.
  int asynchronous = 5;

  int of(RoutingClass c) const {
    return c == RoutingClass::kSynchronous ? synchronous : asynchronous;
  }
};

// The slots an agent's conversations hold now. Maintained by the store from the conversations
// themselves (never written by the engine), so it cannot drift from them.
struct AgentLoad {
  int synchronous = 0;
  int asynchronous = 0;

  int of(RoutingClass c) const {
    return c == RoutingClass::kSynchronous ? synchronous : asynchronous;
  }
};

// Which of the eligible agents gets a conversation.
enum class RoutingStrategy {
  // The fewest open conversations of the conversation's class; ties go to the agent who was
  // offered work longest ago.
  kLeastLoaded,
  // The agent who was offered work longest ago, whatever the load.
  kRoundRobin,
};
OMNI_EXPORT std::string_view to_string(RoutingStrategy strategy);  // "least_loaded", "round_robin"
OMNI_EXPORT std::optional<RoutingStrategy> parse_routing_strategy(std::string_view name);

// How a tenant's conversations find agents; one policy per tenant, optionally overridden per
// team (Engine::set_routing_policy). Eligibility is always the same: an agent is eligible for a
// conversation when it is available, has a free slot of the conversation's class, belongs to the
// conversation's team (when the conversation has one), has every skill the conversation
// requires and speaks its language (when it has one: "de" matches an agent's "de" or "de-AT";
// "de-AT" only "de-AT" or "de").
struct RoutingPolicy {
  RoutingStrategy strategy = RoutingStrategy::kLeastLoaded;
  // Whether a customer's conversation prefers the agent who last served the customer (the
  // assignee of the customer's most recent earlier conversation). Default: true.
  bool sticky = true;
  // How long a conversation waits for that agent when the agent cannot take it at once (busy,
  // away, at capacity); then any eligible agent may. Zero: offer it to the preferred agent only
  // when it is free right now. Default: 2 minutes.
  std::chrono::seconds sticky_wait{120};
  // How long an agent has to accept an offer before it times out and the conversation is offered
  // to the next agent. Zero: no offers, conversations are assigned at once. Default: 30 seconds.
  std::chrono::seconds offer_timeout{30};
  // Whether routing starts by itself: after receive() opens or reopens a conversation, and after
  // an agent frees a slot or becomes available. When false the host calls Engine::route and
  // Engine::fill. Default: true.
  bool automatic = true;
};

// What routing must respect for one conversation (Engine::set_routing, or with the message that
// opens it: InboundMessage::routing); what is not set stays.
struct RoutingRequirements {
  std::optional<std::string> team;                 // "": any team
  std::optional<std::string> language;             // BCP 47, "": any
  std::optional<std::vector<std::string>> skills;  // every one is required
  std::optional<Priority> priority;                // also picks the SLA policy
};

// Whether an agent with these teams, skills and languages meets a conversation's requirements:
// its team ("" = any), every one of its skills, its language ("" = any; "de" is met by "de" and
// "de-AT", "de-AT" by "de-AT" and "de"; case-insensitive). Routing's rule besides presence and
// capacity.
OMNI_EXPORT bool meets_requirements(const std::vector<std::string>& agent_teams,
                                    const std::vector<std::string>& agent_skills,
                                    const std::vector<std::string>& agent_languages,
                                    const std::string& team, const std::vector<std::string>& skills,
                                    const std::string& language);

// What one routing attempt did with one conversation.
enum class RoutingOutcome {
  kOffered,     // offered to `agent`, who must accept before offer_expires_at
  kAssigned,    // assigned to `agent` at once (offer_timeout is zero)
  kQueued,      // no eligible agent with a free slot: it waits in the queue
  kReserved,    // waits for its preferred agent until sticky_until
  kNotWaiting,  // not waiting for an agent: assigned, offered, pending, resolved or closed
};
OMNI_EXPORT std::string_view to_string(RoutingOutcome outcome);

struct RoutingDecision {
  ConversationId conversation;
  RoutingOutcome outcome = RoutingOutcome::kQueued;
  std::optional<AgentId> agent;
  std::optional<Timestamp> offer_expires_at;
  std::optional<Timestamp> sticky_until;
  bool sticky = false;  // the agent is the customer's preferred agent
};

// What Engine::run_due did.
struct TimerRun {
  std::size_t offers_expired = 0;  // offers that timed out (and were offered again or queued)
  std::size_t sticky_expired = 0;  // conversations released to every eligible agent
  std::size_t sla_warnings = 0;    // sla.warning events written
  std::size_t sla_breaches = 0;    // sla.breached events written
  std::vector<RoutingDecision> decisions;  // routing done because of the above
};

}  // namespace omni
