// JSON text for the list- and map-valued columns of the SQLite schema (agent teams, customer
// attributes, touchpoint attachments and metadata, merge conflicts, a conversation's SLA state),
// written and parsed with
// RapidJSON. Decoding fails with kCorruption when the stored text is not what these functions
// write. Internal.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "omni/customer.h"
#include "omni/merge.h"
#include "omni/sla.h"
#include "omni/status.h"
#include "omni/touchpoint.h"

namespace omni::sqlite {

// ["a","b"]
std::string encode_string_list(const std::vector<std::string>& values);
Result<std::vector<std::string>> decode_string_list(std::string_view json, std::string_view what);

// [3,17]: record ids.
std::string encode_id_list(const std::vector<std::int64_t>& ids);
Result<std::vector<std::int64_t>> decode_id_list(std::string_view json, std::string_view what);

// {"key":"value"}
std::string encode_string_map(const std::map<std::string, std::string>& values);
Result<std::map<std::string, std::string>> decode_string_map(std::string_view json,
                                                             std::string_view what);

// [{"filename":"..","content_type":"..","size_bytes":12,"sha256":".."}]
std::string encode_attachments(const std::vector<Attachment>& attachments);
Result<std::vector<Attachment>> decode_attachments(std::string_view json, std::string_view what);

// [{"key":"..","survivor_value":"..","merged_value":".."}]
std::string encode_attribute_conflicts(const std::vector<AttributeConflict>& conflicts);
Result<std::vector<AttributeConflict>> decode_attribute_conflicts(std::string_view json,
                                                                  std::string_view what);

// Every field of the state; timestamps as unix microseconds, unset ones null:
// {"policy":"email/high","first_response":{"started_at":1,"warn_at":2,"due_at":3,
//  "stopped_at":null,"warned":false,"breached":false},"next_response":{..},"resolution":{..},
//  "paused_at":null,"next_responses_met":0,"next_responses_breached":0}
// A member that is absent decodes to its default, so "{}" (the column's default for conversations
// written before schema version 3) is an empty state.
// Only what is set: {"channels":["whatsapp","email"],"language":"de","time_zone":"Europe/Berlin",
// "quiet_hours":{"start_min":1320,"end_min":480}}; empty preferences are "{}".
std::string encode_preferences(const ContactPreferences& preferences);
Result<ContactPreferences> decode_preferences(std::string_view json, std::string_view what);

std::string encode_sla_state(const SlaState& state);
Result<SlaState> decode_sla_state(std::string_view json, std::string_view what);

}  // namespace omni::sqlite
