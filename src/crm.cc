// CrmContextProvider's out-of-line destructor (its vtable's home) and the CrmState names.
#include "omni/crm.h"

#include <array>
#include <utility>

namespace omni {
namespace {

constexpr std::array<std::pair<CrmState, std::string_view>, 4> kCrmStates{{
    {CrmState::kNotConfigured, "not_configured"},
    {CrmState::kOk, "ok"},
    {CrmState::kNoRecord, "no_record"},
    {CrmState::kMissing, "missing"},
}};

}  // namespace

CrmContextProvider::~CrmContextProvider() = default;

std::string_view to_string(CrmState state) {
  for (const auto& [value, name] : kCrmStates) {
    if (value == state) return name;
  }
  return "unknown";
}

std::optional<CrmState> parse_crm_state(std::string_view name) {
  for (const auto& [value, text] : kCrmStates) {
    if (text == name) return value;
  }
  return std::nullopt;
}

}  // namespace omni
