// omni/customer.h — tenants, customers and their identities.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/channel.h"
#include "omni/clock.h"
#include "omni/export.h"
#include "omni/ids.h"

namespace omni {

// One company served by the host CRM. Every other record belongs to exactly one tenant, and no
// read crosses tenants.
struct Tenant {
  TenantId id;
  std::string name;  // unique, e.g. "acme"
  // Default region for phone numbers written without a country code (ISO 3166 alpha-2).
  std::string default_region = "US";
  Timestamp created_at;
};

// A daily span of local wall-clock time in which the customer does not want to be interrupted:
// [start, end) counted from local midnight. end < start spans midnight (22:00-08:00); start ==
// end is invalid. Local times follow the customer's time zone, daylight saving included.
struct QuietHours {
  std::chrono::minutes start{22 * 60};
  std::chrono::minutes end{8 * 60};
};

// What a customer told the host about being contacted. Stored with the customer; every part is
// optional.
struct ContactPreferences {
  // Channel kinds the customer prefers, best first ("whatsapp, then email").
  std::vector<ChannelKind> channels;
  // BCP 47 language tag ("de", "en-GB"); picks template variants. Empty: unknown.
  std::string language;
  // IANA time zone ("Europe/Berlin"); required when quiet_hours is set.
  std::string time_zone;
  std::optional<QuietHours> quiet_hours;

  bool empty() const {
    return channels.empty() && language.empty() && time_zone.empty() && !quiet_hours;
  }
};

inline bool operator==(const QuietHours& a, const QuietHours& b) {
  return a.start == b.start && a.end == b.end;
}
inline bool operator!=(const QuietHours& a, const QuietHours& b) {
  return !(a == b);
}
inline bool operator==(const ContactPreferences& a, const ContactPreferences& b) {
  return a.channels == b.channels && a.language == b.language && a.time_zone == b.time_zone &&
         a.quiet_hours == b.quiet_hours;
}
inline bool operator!=(const ContactPreferences& a, const ContactPreferences& b) {
  return !(a == b);
}

struct Customer {
  CustomerId id;
  TenantId tenant;
  std::string display_name;
  // Free-form profile attributes ("language" -> "de", "crm_account" -> "A-17").
  std::map<std::string, std::string> attributes;
  // How the customer wants to be contacted (Engine::update_customer).
  ContactPreferences preferences;
  // Set when this customer was merged into another; the record stays as a redirect.
  std::optional<CustomerId> merged_into;
  Timestamp created_at;
  Timestamp updated_at;
};

enum class IdentityKind {
  kEmail,          // normalized address
  kPhone,          // E.164, shared by voice, SMS and WhatsApp
  kMessengerPsid,  // page-scoped id; scope = page id
  kInstagramId,    // scope = Instagram account id
  kTelegramId,     // scope = bot name or id
  kXUserId,        // X/Twitter user id
  kWebVisitor,     // web chat visitor token; scope = site
  kCrmId,          // the host CRM's own contact id; scope = CRM system name
  kOther,          // anything else; scope names the system
};
// Stable names: "email", "phone", "messenger_psid", "instagram_id", "telegram_id", "x_user_id",
// "web_visitor", "crm_id", "other".
OMNI_EXPORT std::string_view to_string(IdentityKind kind);
OMNI_EXPORT std::optional<IdentityKind> parse_identity_kind(std::string_view name);

// An identity as the caller presents it (not yet normalized).
struct IdentityInput {
  IdentityKind kind = IdentityKind::kEmail;
  std::string scope;  // empty for email and phone
  std::string value;
};

// (kind, scope, normalized value) -> customer, unique within a tenant.
struct Identity {
  IdentityId id;
  TenantId tenant;
  CustomerId customer;
  IdentityKind kind = IdentityKind::kEmail;
  std::string scope;
  std::string value;  // normalized
  bool verified = false;
  std::string source;  // "inbound", "agent", "import", ...
  Timestamp first_seen;
  Timestamp last_seen;
};

}  // namespace omni
