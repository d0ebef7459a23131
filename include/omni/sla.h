// omni/sla.h — service-level policies and the SLA clocks of a conversation.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "omni/calendar.h"
#include "omni/channel.h"
#include "omni/clock.h"
#include "omni/export.h"

namespace omni {

enum class Priority { kLow, kNormal, kHigh, kUrgent };
OMNI_EXPORT std::string_view to_string(Priority priority);  // "low", "normal", "high", "urgent"
OMNI_EXPORT std::optional<Priority> parse_priority(std::string_view name);

// The targets a tenant promises, in business time of `hours`. A policy applies to conversations
// whose channel kind (where the case began) and priority match; the most specific policy wins:
// kind and priority, then kind only, then priority only, then the tenant's catch-all (both unset).
struct SlaPolicy {
  std::optional<ChannelKind> channel_kind;  // unset: any kind
  std::optional<Priority> priority;         // unset: any priority
  // Zero: no target for that clock.
  // From the conversation's first message to the first agent reply.
  std::chrono::seconds first_response{0};
  // From a customer message that waits for an answer (after the first response) to the next
  // agent reply.
  std::chrono::seconds next_response{0};
  // From the first message to resolution.
  std::chrono::seconds resolution{0};
  // An sla.warning event is written when this share of a target has passed. Default: 0.8.
  double warning_ratio = 0.8;
  // When the clocks run. Default: around the clock in UTC.
  BusinessHours hours = BusinessHours::always_open();
};

enum class SlaClockKind { kFirstResponse, kNextResponse, kResolution };
// "first_response", "next_response", "resolution"
OMNI_EXPORT std::string_view to_string(SlaClockKind kind);

// One SLA clock of a conversation. Business time counts only while the calendar is open and the
// conversation is open: the clocks pause while it is pending on the customer (and the
// resolution clock while it is resolved), and the deadlines move by exactly the paused time.
struct SlaClock {
  std::optional<Timestamp> started_at;  // when the clock began counting; unset: not started
  std::optional<Timestamp> warn_at;     // when the warning falls due (moves with pauses)
  std::optional<Timestamp> due_at;      // the deadline (moves with pauses)
  std::optional<Timestamp> stopped_at;  // the reply or resolution that stopped it
  bool warned = false;                  // the sla.warning event was written
  bool breached = false;                // the sla.breached event was written

  bool running() const { return started_at.has_value() && !stopped_at.has_value(); }
  // Stopped in time.
  bool met() const { return stopped_at && due_at && *stopped_at <= *due_at; }
};

// A conversation's SLA state; empty `policy` when no policy applied when it was opened.
struct SlaState {
  // The key of the policy that applies: "<kind or *>/<priority or *>", e.g. "email/high", "*/*".
  std::string policy;
  SlaClock first_response;
  SlaClock next_response;  // the current cycle; earlier cycles are counted below
  SlaClock resolution;
  // Set while the clocks are paused (pending, or resolved for the resolution clock).
  std::optional<Timestamp> paused_at;
  int next_responses_met = 0;       // finished next-response cycles, in time
  int next_responses_breached = 0;  // finished next-response cycles, late

  const SlaClock& clock(SlaClockKind kind) const {
    return kind == SlaClockKind::kFirstResponse  ? first_response
           : kind == SlaClockKind::kNextResponse ? next_response
                                                 : resolution;
  }
  SlaClock& clock(SlaClockKind kind) {
    return kind == SlaClockKind::kFirstResponse  ? first_response
           : kind == SlaClockKind::kNextResponse ? next_response
                                                 : resolution;
  }
};

}  // namespace omni
