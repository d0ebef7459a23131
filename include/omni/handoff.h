// omni/handoff.h — recorded transitions between channels, agents, teams, or bot and human, with
// the context packet the receiving side gets.
//
// Thread-safety: plain values; the codec functions are reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/channel.h"
#include "omni/clock.h"
#include "omni/crm.h"
#include "omni/export.h"
#include "omni/ids.h"
#include "omni/status.h"
#include "omni/touchpoint.h"

namespace omni {

enum class HandoffKind {
  kChannelSwitch,  // chat -> phone, DM -> video
  kAgentTransfer,  // to another agent
  kTeamTransfer,   // to another team's queue
  kBotToHuman,     // a bot escalates with its transcript
  kSecureChannel,  // moved to a channel where sensitive data may be shared
};
// "channel_switch", "agent_transfer", "team_transfer", "bot_to_human", "secure_channel"
OMNI_EXPORT std::string_view to_string(HandoffKind kind);
OMNI_EXPORT std::optional<HandoffKind> parse_handoff_kind(std::string_view name);

enum class HandoffMode {
  kWarm,  // the receiver must acknowledge before it takes over
  kCold,  // takes effect at once
};
OMNI_EXPORT std::string_view to_string(HandoffMode mode);  // "warm", "cold"
OMNI_EXPORT std::optional<HandoffMode> parse_handoff_mode(std::string_view name);

// One line of history inside a context packet.
struct ContextEntry {
  Timestamp occurred_at;
  ChannelKind channel_kind = ChannelKind::kWeb;
  TouchpointKind kind = TouchpointKind::kMessageIn;
  std::string author;   // agent name, or "customer"
  std::string excerpt;  // at most EngineOptions::context_excerpt_bytes, cut at a UTF-8 boundary
};

// Everything the receiving side of a handoff needs so the customer never repeats themselves.
// Serialized with cereal (JSON); the format carries its version, and readers accept every
// version up to kCurrentVersion.
struct ContextPacket {
  // Version 2 added `crm`.
  static constexpr std::uint32_t kCurrentVersion = 2;
  std::uint32_t version = kCurrentVersion;
  CustomerId customer;
  std::string customer_name;
  std::vector<std::string> identities;  // "email:anna@example.com", "phone:+4915112345678"
  ConversationId conversation;
  std::string subject;
  std::string status;
  std::vector<std::string> open_questions;
  std::vector<std::string> tried;
  std::vector<std::string> notes;    // every internal note of the conversation, oldest first
  std::vector<ContextEntry> recent;  // the last touchpoints, oldest first
  // The host CRM's data as it was when the handoff was recorded (omni/crm.h); state kMissing
  // when the CRM did not answer in time. A version 1 packet reads as kNotConfigured.
  CrmSnapshot crm;
};

OMNI_EXPORT std::string encode_context_packet(const ContextPacket& packet);
// Fails with kCorruption on malformed input or a version newer than this library knows.
OMNI_EXPORT Result<ContextPacket> decode_context_packet(std::string_view encoded);

struct Handoff {
  HandoffId id;
  TenantId tenant;
  ConversationId conversation;
  HandoffKind kind = HandoffKind::kChannelSwitch;
  HandoffMode mode = HandoffMode::kCold;
  std::optional<ChannelId> from_channel;
  std::optional<ChannelId> to_channel;
  std::optional<AgentId> from_agent;
  std::optional<AgentId> to_agent;
  std::string from_team;
  std::string to_team;
  std::string reason;
  ContextPacket context;
  Timestamp created_at;
  std::optional<Timestamp> acknowledged_at;
  std::optional<AgentId> acknowledged_by;
};

}  // namespace omni
