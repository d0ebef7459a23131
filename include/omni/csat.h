// omni/csat.h — customer satisfaction (CSAT): a survey answer per conversation, and the summary
// per period, agent and channel kind (Engine::record_csat, Engine::csat_summary;
// docs/integration.md, "Customer satisfaction (CSAT)").
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "omni/channel.h"
#include "omni/clock.h"
#include "omni/ids.h"

namespace omni {

constexpr int kMinCsatScore = 1;
constexpr int kMaxCsatScore = 5;
constexpr std::size_t kMaxCsatCommentBytes = 2048;

// A customer's survey answer as stored: one current answer per conversation (a later answer
// replaces it).
struct CsatResponse {
  TenantId tenant;
  ConversationId conversation;
  CustomerId customer;           // the conversation's customer when it was answered
  std::optional<AgentId> agent;  // the agent rated: given, else the conversation's assignee
  int score = kMaxCsatScore;     // 1 (very unsatisfied) .. 5 (very satisfied)
  std::string comment;           // UTF-8, at most kMaxCsatCommentBytes
  ChannelKind channel_kind = ChannelKind::kWeb;  // where the survey was answered
  Timestamp responded_at;
};

// What the host hands to Engine::record_csat.
struct CsatAnswer {
  TenantId tenant;
  ConversationId conversation;
  int score = 0;  // required, 1..5
  std::string comment;
  // Default: the conversation's assignee (the agent who had it at resolution); none when it
  // has none.
  std::optional<AgentId> agent;
  // Default: the kind of the conversation's current channel.
  std::optional<ChannelKind> channel_kind;
  // Default: the engine clock's now().
  std::optional<Timestamp> responded_at;
};

// Which answers a summary counts: responded_at in [from, to), and optionally one agent's and
// one channel kind's.
struct CsatQuery {
  TenantId tenant;
  Timestamp from;
  Timestamp to;
  std::optional<AgentId> agent;
  std::optional<ChannelKind> channel_kind;
};

struct CsatSummary {
  std::int64_t count = 0;
  double average = 0;  // mean score; 0 when count is 0
  // distribution[i]: answers with score i + 1.
  std::array<std::int64_t, 5> distribution{};
  // The share of satisfied answers (score 4 or 5) in percent, 0..100; 0 when count is 0.
  double csat_percent = 0;
};

}  // namespace omni
