// Stable names of the contact enums (omni/contact.h), as written to JSON, the CLI and the
// database.
#include "omni/contact.h"

#include <array>
#include <utility>

namespace omni {
namespace {

constexpr std::array<std::pair<ConsentState, std::string_view>, 2> kConsentStates{{
    {ConsentState::kGranted, "granted"},
    {ConsentState::kWithdrawn, "withdrawn"},
}};

constexpr std::array<std::pair<Urgency, std::string_view>, 4> kUrgencies{{
    {Urgency::kLow, "low"},
    {Urgency::kNormal, "normal"},
    {Urgency::kHigh, "high"},
    {Urgency::kCritical, "critical"},
}};

template <typename Table, typename E>
std::string_view name_of(const Table& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename E, typename Table>
std::optional<E> parse_name(const Table& table, std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(ConsentState state) {
  return name_of(kConsentStates, state);
}

std::optional<ConsentState> parse_consent_state(std::string_view name) {
  return parse_name<ConsentState>(kConsentStates, name);
}

std::string_view to_string(Urgency urgency) {
  return name_of(kUrgencies, urgency);
}

std::optional<Urgency> parse_urgency(std::string_view name) {
  return parse_name<Urgency>(kUrgencies, name);
}

}  // namespace omni
