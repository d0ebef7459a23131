// omni/merge.h — one person, two customer records: the suggestions that point at likely
// duplicates, and the audit record of a merge that can be undone.
//
// omni links identities to a customer only on an exact normalized match. Everything fuzzier is a
// DuplicateSuggestion with its evidence and a score, for a person to decide; nothing here is ever
// merged automatically.
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/clock.h"
#include "omni/export.h"
#include "omni/ids.h"

namespace omni {

// A profile attribute both customers had, with different values. The survivor keeps its value;
// the merged customer's record keeps its own (it stays as a redirect), and the merge record
// reports both, so nothing is dropped.
struct AttributeConflict {
  std::string key;  // an attribute key, or "display_name"
  std::string survivor_value;
  std::string merged_value;
};

// The audit record of Engine::merge_customers.
struct MergeRecord {
  MergeId id;
  TenantId tenant;
  CustomerId survivor;  // the customer that remains
  CustomerId merged;    // the customer merged into it; now a redirect to `survivor`
  std::string actor;    // who merged ("agent:carla", "cli", ...)
  std::string reason;
  Timestamp merged_at;
  std::vector<AttributeConflict> conflicts;
  // Attributes the survivor lacked and took from the merged customer; an unmerge removes them
  // again unless they changed since.
  std::vector<std::string> copied_attributes;
  std::optional<Timestamp> unmerged_at;  // set by Engine::unmerge_customer
  std::string unmerged_by;
};

struct MergeSpec {
  TenantId tenant;
  CustomerId survivor;
  CustomerId merged;
  std::string actor;   // required
  std::string reason;  // required: why these are one person
};

// What an unmerge did besides restoring the merged customer's own records.
struct UnmergeResult {
  MergeRecord merge;  // with unmerged_at set
  // Touchpoints that had to leave a conversation of the other customer: messages that arrived
  // through the merged customer's identities and joined a conversation of the survivor (or the
  // other way round). They continue in the receiving customer's active conversation or in a new
  // one, listed here.
  std::size_t moved_touchpoints = 0;
  std::vector<ConversationId> split_conversations;
};

enum class DuplicateReason {
  kSameName,                 // the same full name (case, accents, word order and spacing folded)
  kSameNameAndPhoneCountry,  // the same full name and phone numbers of the same country
  kSameEmailLocalPart,       // anna.schmidt@gmail.com and anna.schmidt@web.de
  kPhoneInMessage,           // one wrote a number (in a message or signature) the other has
  kEmailInMessage,           // one wrote an address the other has
};
// "same_name", "same_name_and_phone_country", "same_email_local_part", "phone_in_message",
// "email_in_message"
OMNI_EXPORT std::string_view to_string(DuplicateReason reason);

struct DuplicateEvidence {
  DuplicateReason reason;
  std::string detail;   // what matched, e.g. "anna.schmidt@" or "+4915112345678"
  double weight = 0.0;  // this evidence alone, 0..1
};

// `customer` and `candidate` are probably one person. Ordered by score, highest first.
struct DuplicateSuggestion {
  CustomerId customer;
  CustomerId candidate;
  // 1 - Π(1 - weight) over the evidence, capped at 0.95: never certain, never merged on its own.
  double score = 0.0;
  std::vector<DuplicateEvidence> evidence;
};

}  // namespace omni
