// omni/crm.h — the host CRM's own data about a customer (account, orders, contracts), fetched
// from the host when an agent looks at the customer, never copied into omni's store.
//
// The host implements CrmContextProvider and registers it with Engine::set_crm_provider. The
// engine asks it when it builds a customer view, a conversation view or a handoff's context
// packet; never on the receive path. Each request has a deadline: a provider that fails, throws
// or is slow degrades the view (CrmSnapshot::state is kMissing, with the reason) and nothing
// else.
//
// Thread-safety: CrmContext and CrmSnapshot are plain values. The engine calls lookup() from its
// own worker threads, several at once: implementations must be thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/clock.h"
#include "omni/customer.h"
#include "omni/export.h"
#include "omni/ids.h"
#include "omni/status.h"

namespace omni {

// One record of the CRM shown beside the conversation: an order, a contract, an invoice.
struct CrmItem {
  std::string id;      // the CRM's id, "SO-1042"
  std::string title;   // "2 × Trail Runner 42"
  std::string status;  // "shipped", "delayed", "active", "overdue"
  std::optional<Timestamp> date;
  std::string amount;                         // as the CRM formats it, "129.90 EUR"
  std::string url;                            // deep link into the CRM, when it has one
  std::map<std::string, std::string> fields;  // anything else, shown as-is
};

// What the CRM knows about one customer.
struct CrmContext {
  std::string system;                         // "acme-crm"
  std::string record_id;                      // the CRM's contact or account id
  std::string account_status;                 // "active", "suspended", "vip"
  std::map<std::string, std::string> fields;  // account fields shown as-is ("segment": "gold")
  std::vector<CrmItem> orders;                // newest first
  std::vector<CrmItem> contracts;             // newest first
};

// What the engine asks about. The provider finds the record by whichever it knows: a kCrmId
// identity, an email, a phone number or the customer's attributes.
struct CrmLookup {
  TenantId tenant;
  CustomerId customer;
  std::string display_name;
  std::vector<Identity> identities;
  std::map<std::string, std::string> attributes;
  // When the engine stops waiting (steady clock). A provider should give up by then; a late
  // answer is still cached for the next view.
  std::chrono::steady_clock::time_point deadline;
};

class OMNI_EXPORT CrmContextProvider {
 public:
  CrmContextProvider() = default;
  CrmContextProvider(const CrmContextProvider&) = delete;
  CrmContextProvider& operator=(const CrmContextProvider&) = delete;
  virtual ~CrmContextProvider();

  // Must provide. The customer's CRM data; kNotFound when the CRM has no record of them (shown
  // as "no CRM record", not as a failure). Any other error, a thrown exception or missing the
  // deadline marks the data missing for this view.
  virtual Result<CrmContext> lookup(const CrmLookup& request) = 0;
};

enum class CrmState {
  kNotConfigured,  // no provider is registered
  kOk,             // `context` holds the CRM's data
  kNoRecord,       // the CRM does not know this customer
  kMissing,        // the provider failed or was too slow: `reason` says which
};
// "not_configured", "ok", "no_record", "missing"
OMNI_EXPORT std::string_view to_string(CrmState state);
OMNI_EXPORT std::optional<CrmState> parse_crm_state(std::string_view name);

// The CRM data as one view or context packet got it.
struct CrmSnapshot {
  CrmState state = CrmState::kNotConfigured;
  CrmContext context;  // kOk only
  // kMissing: why ("timed out after 500 ms", "provider failed: unavailable: CRM down").
  std::string reason;
  Timestamp fetched_at;     // when the provider answered (engine clock); unset unless kOk/kNoRecord
  bool from_cache = false;  // answered from the engine's cache (EngineOptions::crm_cache_ttl)
};

}  // namespace omni
