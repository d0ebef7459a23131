// Stable names of the routing and SLA enums, as written to JSON, events and the database.
#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "omni/routing.h"
#include "omni/sla.h"

namespace omni {
namespace {

template <typename E, std::size_t N>
using NameTable = std::array<std::pair<E, std::string_view>, N>;

template <typename E, std::size_t N>
std::string_view name_of(const NameTable<E, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> parse_name(const NameTable<E, N>& table, std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

constexpr NameTable<RoutingClass, 2> kRoutingClasses{{
    {RoutingClass::kSynchronous, "sync"},
    {RoutingClass::kAsynchronous, "async"},
}};

constexpr NameTable<RoutingStrategy, 2> kRoutingStrategies{{
    {RoutingStrategy::kLeastLoaded, "least_loaded"},
    {RoutingStrategy::kRoundRobin, "round_robin"},
}};

constexpr NameTable<RoutingOutcome, 5> kRoutingOutcomes{{
    {RoutingOutcome::kOffered, "offered"},
    {RoutingOutcome::kAssigned, "assigned"},
    {RoutingOutcome::kQueued, "queued"},
    {RoutingOutcome::kReserved, "reserved"},
    {RoutingOutcome::kNotWaiting, "not_waiting"},
}};

constexpr NameTable<SlaClockKind, 3> kSlaClockKinds{{
    {SlaClockKind::kFirstResponse, "first_response"},
    {SlaClockKind::kNextResponse, "next_response"},
    {SlaClockKind::kResolution, "resolution"},
}};

}  // namespace

std::string_view to_string(RoutingClass v) {
  return name_of(kRoutingClasses, v);
}
std::optional<RoutingClass> parse_routing_class(std::string_view n) {
  return parse_name(kRoutingClasses, n);
}
std::string_view to_string(RoutingStrategy v) {
  return name_of(kRoutingStrategies, v);
}
std::optional<RoutingStrategy> parse_routing_strategy(std::string_view n) {
  return parse_name(kRoutingStrategies, n);
}
std::string_view to_string(RoutingOutcome v) {
  return name_of(kRoutingOutcomes, v);
}
std::string_view to_string(SlaClockKind v) {
  return name_of(kSlaClockKinds, v);
}

}  // namespace omni
