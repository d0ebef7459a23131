// Duplicate suggestions: evidence that two customer records are one person, with a score. Each
// piece of evidence is one indexed store query (a name key, a prefix range of the identity key, an
// exact identity); nothing here merges.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine_impl.h"
#include "omni/normalize.h"

namespace omni {
using namespace engine_internal;
namespace {

// How strongly each kind of evidence alone suggests one person.
constexpr double kSameNameWeight = 0.35;
constexpr double kSameNameAndPhoneCountryWeight = 0.6;
constexpr double kSameEmailLocalPartWeight = 0.3;
constexpr double kContactInMessageWeight = 0.6;
constexpr double kMaxScore = 0.95;

// Candidates examined per kind of evidence.
constexpr std::size_t kMaxCandidates = 50;
// Recent inbound messages of a customer read for phone numbers and addresses, and what is
// taken from each.
constexpr std::size_t kMessagesScanned = 20;
constexpr std::size_t kContactsPerMessage = 5;

// Local parts that name a role, not a person: info@a.de and info@b.de are not one customer.
bool is_role_local_part(std::string_view local) {
  static const std::set<std::string_view> kRoles{
      "admin", "billing", "buchhaltung", "contact",  "hallo",     "hello",   "help",
      "info",  "kontakt", "mail",        "no-reply", "noreply",   "office",  "post",
      "sales", "service", "support",     "team",     "webmaster", "vertrieb"};
  return local.size() < 3 || kRoles.count(local) > 0;
}

using Evidence = std::map<std::int64_t, std::vector<DuplicateEvidence>>;

void add_evidence(Evidence& found, CustomerId self, CustomerId candidate, DuplicateReason reason,
                  std::string detail, double weight) {
  if (candidate == self) return;
  auto& list = found[candidate.value()];
  for (const auto& e : list) {
    if (e.reason == reason && e.detail == detail) return;
  }
  list.push_back({reason, std::move(detail), weight});
}

std::set<std::string> phone_regions(const std::vector<Identity>& identities) {
  std::set<std::string> regions;
  for (const auto& i : identities) {
    if (i.kind != IdentityKind::kPhone) continue;
    std::string region = detail::phone_region_of(i.value);
    if (!region.empty()) regions.insert(std::move(region));
  }
  return regions;
}

// Evidence both customers share: the same name key, the same email local part. Found from
// either side alike.
Status symmetric_evidence(StoreTransaction& tx, TenantId tenant, const Customer& customer,
                          const std::vector<Identity>& identities, Evidence& found) {
  const std::string key = customer_name_key(customer.display_name);
  if (!key.empty()) {
    OMNI_ASSIGN_OR_RETURN(auto namesakes,
                          tx.find_customers_by_name_key(tenant, key, kMaxCandidates));
    std::set<std::string> mine;
    bool mine_read = false;
    for (const auto& other : namesakes) {
      if (other.id == customer.id || other.merged_into) continue;
      if (!mine_read) {
        mine = phone_regions(identities);
        mine_read = true;
      }
      OMNI_ASSIGN_OR_RETURN(auto theirs, tx.list_identities(tenant, other.id));
      std::string shared_region;
      for (const auto& region : phone_regions(theirs)) {
        if (mine.count(region)) shared_region = region;
      }
      if (shared_region.empty()) {
        add_evidence(found, customer.id, other.id, DuplicateReason::kSameName, other.display_name,
                     kSameNameWeight);
      } else {
        add_evidence(found, customer.id, other.id, DuplicateReason::kSameNameAndPhoneCountry,
                     other.display_name + ", " + shared_region, kSameNameAndPhoneCountryWeight);
      }
    }
  }
  for (const auto& identity : identities) {
    if (identity.kind != IdentityKind::kEmail) continue;
    const auto at = identity.value.rfind('@');
    if (at == std::string::npos || is_role_local_part(identity.value.substr(0, at))) continue;
    const std::string prefix = identity.value.substr(0, at + 1);
    OMNI_ASSIGN_OR_RETURN(auto namesakes, tx.list_identities_by_prefix(tenant, IdentityKind::kEmail,
                                                                       "", prefix, kMaxCandidates));
    for (const auto& other : namesakes) {
      if (other.value == identity.value || other.value.rfind('@') != at) continue;
      add_evidence(found, customer.id, other.customer, DuplicateReason::kSameEmailLocalPart,
                   identity.value + " / " + other.value, kSameEmailLocalPartWeight);
    }
  }
  return Status();
}

// Evidence in what `customer` wrote: a phone number or an address that is another customer's
// identity. `only` restricts it to one candidate.
Status text_evidence(StoreTransaction& tx, TenantId tenant, CustomerId customer,
                     const detail::NormalizationPolicy& policy, std::optional<CustomerId> only,
                     Evidence& found) {
  TouchpointQuery q;
  q.tenant = tenant;
  q.customer = customer;
  q.kind = TouchpointKind::kMessageIn;
  q.limit = kMessagesScanned;
  OMNI_ASSIGN_OR_RETURN(auto messages, tx.list_touchpoints(q));
  for (const auto& message : messages) {
    for (const auto& number :
         detail::phone_numbers_in_text(message.body, policy.default_region, kContactsPerMessage)) {
      auto owner = tx.find_identity(tenant, IdentityKind::kPhone, "", number);
      if (owner.status().is(StatusCode::kNotFound)) continue;
      OMNI_RETURN_IF_ERROR(owner.status());
      if (only && owner->customer != *only) continue;
      add_evidence(found, customer, owner->customer, DuplicateReason::kPhoneInMessage, number,
                   kContactInMessageWeight);
    }
    for (const auto& address : detail::email_addresses_in_text(
             message.body, policy.email_local_part_case_insensitive, kContactsPerMessage)) {
      auto owner = tx.find_identity(tenant, IdentityKind::kEmail, "", address);
      if (owner.status().is(StatusCode::kNotFound)) continue;
      OMNI_RETURN_IF_ERROR(owner.status());
      if (only && owner->customer != *only) continue;
      add_evidence(found, customer, owner->customer, DuplicateReason::kEmailInMessage, address,
                   kContactInMessageWeight);
    }
  }
  return Status();
}

DuplicateSuggestion to_suggestion(CustomerId customer, CustomerId candidate,
                                  std::vector<DuplicateEvidence> evidence) {
  DuplicateSuggestion s;
  s.customer = customer;
  s.candidate = candidate;
  double unlikely = 1.0;
  for (const auto& e : evidence)
    unlikely *= 1.0 - e.weight;
  s.score = std::min(kMaxScore, 1.0 - unlikely);
  std::sort(evidence.begin(), evidence.end(),
            [](const auto& a, const auto& b) { return a.weight > b.weight; });
  s.evidence = std::move(evidence);
  return s;
}

void sort_suggestions(std::vector<DuplicateSuggestion>& out) {
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.score != b.score) return a.score > b.score;
    return std::make_pair(a.customer, a.candidate) < std::make_pair(b.customer, b.candidate);
  });
}

bool is_symmetric(DuplicateReason reason) {
  return reason == DuplicateReason::kSameName ||
         reason == DuplicateReason::kSameNameAndPhoneCountry ||
         reason == DuplicateReason::kSameEmailLocalPart;
}

}  // namespace

Result<std::vector<DuplicateSuggestion>> Engine::Impl::suggest_in(
    StoreTransaction& tx, TenantId tenant, const Customer& customer,
    const detail::NormalizationPolicy& policy, std::size_t limit) {
  OMNI_ASSIGN_OR_RETURN(auto identities, tx.list_identities(tenant, customer.id));
  Evidence found;
  OMNI_RETURN_IF_ERROR(symmetric_evidence(tx, tenant, customer, identities, found));
  OMNI_RETURN_IF_ERROR(text_evidence(tx, tenant, customer.id, policy, std::nullopt, found));
  // Evidence in what a candidate wrote about this customer belongs to the pair too.
  for (auto& [candidate, evidence] : found) {
    Evidence theirs;
    OMNI_RETURN_IF_ERROR(
        text_evidence(tx, tenant, CustomerId(candidate), policy, customer.id, theirs));
    for (auto& e : theirs[customer.id.value()])
      evidence.push_back(std::move(e));
  }
  std::vector<DuplicateSuggestion> out;
  for (auto& [candidate, evidence] : found) {
    out.push_back(to_suggestion(customer.id, CustomerId(candidate), std::move(evidence)));
  }
  sort_suggestions(out);
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<std::vector<DuplicateSuggestion>> Engine::suggest_duplicates(TenantId tenant,
                                                                    CustomerId customer,
                                                                    std::size_t limit) {
  if (limit == 0 || limit > impl_->options.max_page_size) {
    return Status::invalid_argument("limit must be 1.." +
                                    std::to_string(impl_->options.max_page_size));
  }
  OMNI_ASSIGN_OR_RETURN(detail::NormalizationPolicy policy, impl_->policy_for(tenant));
  return impl_->run_read([&](StoreTransaction& tx) -> Result<std::vector<DuplicateSuggestion>> {
    OMNI_ASSIGN_OR_RETURN(Customer live, Impl::resolve_customer(tx, tenant, customer));
    return impl_->suggest_in(tx, tenant, live, policy, limit);
  });
}

Result<std::vector<DuplicateSuggestion>> Engine::find_duplicates(TenantId tenant, CustomerId after,
                                                                 std::size_t limit,
                                                                 std::optional<CustomerId>* next) {
  if (limit == 0 || limit > impl_->options.max_page_size) {
    return Status::invalid_argument("limit must be 1.." +
                                    std::to_string(impl_->options.max_page_size));
  }
  OMNI_ASSIGN_OR_RETURN(detail::NormalizationPolicy policy, impl_->policy_for(tenant));
  std::optional<CustomerId> last;
  auto found =
      impl_->run_read([&](StoreTransaction& tx) -> Result<std::vector<DuplicateSuggestion>> {
        last.reset();
        OMNI_ASSIGN_OR_RETURN(auto customers, tx.list_customers(tenant, after, limit));
        std::vector<DuplicateSuggestion> out;
        for (const auto& customer : customers) {
          last = customer.id;
          if (customer.merged_into) continue;
          OMNI_ASSIGN_OR_RETURN(auto suggestions,
                                impl_->suggest_in(tx, tenant, customer, policy, kMaxCandidates));
          for (auto& s : suggestions) {
            // Each pair once, under its lower id: a pair with shared evidence (or with evidence the
            // lower one wrote) was listed when the lower id was examined.
            if (s.candidate < s.customer) {
              bool listed_before =
                  std::any_of(s.evidence.begin(), s.evidence.end(),
                              [](const auto& e) { return is_symmetric(e.reason); });
              if (!listed_before) {
                Evidence theirs;
                OMNI_RETURN_IF_ERROR(
                    text_evidence(tx, tenant, s.candidate, policy, s.customer, theirs));
                listed_before = !theirs[s.customer.value()].empty();
              }
              if (listed_before) continue;
              std::swap(s.customer, s.candidate);
            }
            out.push_back(std::move(s));
          }
        }
        if (customers.size() < limit) last.reset();
        return out;
      });
  if (found.ok()) {
    sort_suggestions(*found);
    if (next) *next = last;
  }
  return found;
}

}  // namespace omni
