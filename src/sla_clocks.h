// SLA clocks as pure functions over a conversation's facts, and the JSON codecs of the policies
// the engine keeps as store settings. Internal.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/calendar.h"
#include "omni/conversation.h"
#include "omni/routing.h"
#include "omni/sla.h"
#include "omni/status.h"

namespace omni::detail {

// "<kind>/<priority>" with "*" for an unset part: "email/high", "*/urgent", "*/*".
std::string sla_policy_key(std::optional<ChannelKind> kind, std::optional<Priority> priority);
// The keys to look up for a conversation, most specific first: "email/high", "email/*",
// "*/high", "*/*".
std::vector<std::string> sla_policy_lookup_keys(ChannelKind kind, Priority priority);

// JSON documents (RapidJSON): every field of the struct; decode fails with kCorruption on
// malformed input and kInvalidArgument (field set) on a value out of range.
std::string encode_sla_policy(const SlaPolicy& policy);
Result<SlaPolicy> decode_sla_policy(std::string_view json);
std::string encode_routing_policy(const RoutingPolicy& policy);
Result<RoutingPolicy> decode_routing_policy(std::string_view json);
// Checks targets (>= 0), warning_ratio in (0, 1] and the business hours (BusinessCalendar::create
// errors, field prefixed with "hours.").
Status validate_sla_policy(const SlaPolicy& policy);

// Brings c.sla up to date with c's facts at `now` (the policy that applies is `policy`, its
// calendar `calendar`). Called by the engine before every write of a conversation; idempotent.
//   first_response: starts at opened_at (when policy.first_response > 0); stops at
//     first_response_at.
//   next_response: when first_response_at is set and the customer wrote after the last agent
//     reply (last_inbound_at > last_outbound_at, or no outbound yet after first_response_at) and
//     no cycle is running, a cycle starts at last_inbound_at; it stops at the next
//     last_outbound_at after its start and is then counted in next_responses_met or _breached.
//   resolution: starts at opened_at; stops at resolved_at; a reopen resumes it with the business
//     time it had left when it stopped.
//   pauses: while the status is pending, resolved or closed, paused_at is set (the first instant
//     of the pause) and no timer runs; when it is open again every running clock's warn_at and
//     due_at move to calendar.add(now, calendar.between(paused_at, old value)) when the old value
//     lay after paused_at (an overdue clock stays overdue).
//   warn_at = calendar.add(start, target * warning_ratio), due_at = calendar.add(start, target).
void reconcile_sla(Conversation& c, const SlaPolicy& policy, const BusinessCalendar& calendar,
                   Timestamp now);

// The earliest instant an SLA timer of `s` falls due (a running, not paused clock's warn_at not
// yet warned, or due_at not yet breached); unset when none.
std::optional<Timestamp> next_sla_timer(const SlaState& s);

struct SlaFired {
  SlaClockKind clock = SlaClockKind::kFirstResponse;
  bool breach = false;  // false: warning
  Timestamp at;         // the exact instant it fell due
};
// Marks every timer that fell due at or before `now` as warned / breached and returns them in
// the order they fell due.
std::vector<SlaFired> fire_sla_timers(SlaState& s, Timestamp now);

}  // namespace omni::detail
