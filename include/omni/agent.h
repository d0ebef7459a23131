// omni/agent.h — agents: people and bots who serve conversations.
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/clock.h"
#include "omni/export.h"
#include "omni/ids.h"
#include "omni/routing.h"

namespace omni {

enum class AgentKind { kHuman, kBot };
enum class Presence { kAvailable, kBusy, kAway, kOffline };

OMNI_EXPORT std::string_view to_string(AgentKind kind);  // "human", "bot"
OMNI_EXPORT std::string_view to_string(
    Presence presence);  // "available", "busy", "away", "offline"
OMNI_EXPORT std::optional<AgentKind> parse_agent_kind(std::string_view name);
OMNI_EXPORT std::optional<Presence> parse_presence(std::string_view name);

struct Agent {
  AgentId id;
  TenantId tenant;
  std::string name;  // unique within the tenant
  AgentKind kind = AgentKind::kHuman;
  Presence presence = Presence::kOffline;
  std::vector<std::string> teams;
  std::vector<std::string> skills;
  std::vector<std::string> languages;  // BCP 47 tags: "de", "en-GB"
  AgentCapacity capacity;
  // Maintained by the store; ignored by insert_agent and update_agent.
  AgentLoad load;
  // When the agent was last offered or assigned a conversation by routing (round robin and the
  // tie-break of least loaded); unset: never.
  std::optional<Timestamp> last_routed_at;
  Timestamp created_at;
};

// One entry of an agent's activity log: the agent's presence and load from `at` until the
// agent's next entry. The engine appends one whenever either changes (a new agent, a presence
// change, a conversation taking or giving back a slot); MetricsRow's occupancy is computed from
// it.
struct AgentActivity {
  TenantId tenant;
  AgentId agent;
  Timestamp at;
  Presence presence = Presence::kOffline;
  AgentLoad load;
};

}  // namespace omni
