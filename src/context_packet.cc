// Context packets serialized with cereal's JSON archive. The packet's version travels as a
// field, so a reader can accept older layouts; a newer version than this library knows is
// refused rather than misread.
#include <sstream>
#include <string>

#include <cereal/archives/json.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "omni/handoff.h"

namespace omni {

template <class Archive>
void serialize(Archive& ar, ContextEntry& e) {
  std::int64_t at = to_unix_micros(e.occurred_at);
  std::string channel(to_string(e.channel_kind));
  std::string kind(to_string(e.kind));
  ar(cereal::make_nvp("at_us", at), cereal::make_nvp("channel", channel),
     cereal::make_nvp("kind", kind), cereal::make_nvp("author", e.author),
     cereal::make_nvp("excerpt", e.excerpt));
  if constexpr (Archive::is_loading::value) {
    e.occurred_at = from_unix_micros(at);
    auto c = parse_channel_kind(channel);
    auto k = parse_touchpoint_kind(kind);
    if (!c || !k) throw cereal::Exception("unknown channel or touchpoint kind in context entry");
    e.channel_kind = *c;
    e.kind = *k;
  }
}

template <class Archive>
void serialize(Archive& ar, CrmItem& item) {
  std::int64_t date = item.date ? to_unix_micros(*item.date) : 0;
  bool has_date = item.date.has_value();
  ar(cereal::make_nvp("id", item.id), cereal::make_nvp("title", item.title),
     cereal::make_nvp("status", item.status), cereal::make_nvp("has_date", has_date),
     cereal::make_nvp("date_us", date), cereal::make_nvp("amount", item.amount),
     cereal::make_nvp("url", item.url), cereal::make_nvp("fields", item.fields));
  if constexpr (Archive::is_loading::value) {
    item.date = has_date ? std::optional<Timestamp>(from_unix_micros(date)) : std::nullopt;
  }
}

template <class Archive>
void serialize(Archive& ar, CrmSnapshot& s) {
  std::string state(to_string(s.state));
  std::int64_t fetched = to_unix_micros(s.fetched_at);
  ar(cereal::make_nvp("state", state), cereal::make_nvp("reason", s.reason),
     cereal::make_nvp("fetched_at_us", fetched), cereal::make_nvp("system", s.context.system),
     cereal::make_nvp("record_id", s.context.record_id),
     cereal::make_nvp("account_status", s.context.account_status),
     cereal::make_nvp("fields", s.context.fields), cereal::make_nvp("orders", s.context.orders),
     cereal::make_nvp("contracts", s.context.contracts));
  if constexpr (Archive::is_loading::value) {
    auto parsed = parse_crm_state(state);
    if (!parsed) throw cereal::Exception("unknown CRM state in context packet");
    s.state = *parsed;
    s.fetched_at = from_unix_micros(fetched);
    s.from_cache = false;
  }
}

namespace {

template <class Archive>
void packet_fields(Archive& ar, ContextPacket& p) {
  std::int64_t customer = p.customer.value();
  std::int64_t conversation = p.conversation.value();
  ar(cereal::make_nvp("customer", customer), cereal::make_nvp("customer_name", p.customer_name),
     cereal::make_nvp("identities", p.identities), cereal::make_nvp("conversation", conversation),
     cereal::make_nvp("subject", p.subject), cereal::make_nvp("status", p.status),
     cereal::make_nvp("open_questions", p.open_questions), cereal::make_nvp("tried", p.tried),
     cereal::make_nvp("notes", p.notes), cereal::make_nvp("recent", p.recent));
  // Version 2 added the CRM snapshot; an older packet has none.
  if (p.version >= 2) ar(cereal::make_nvp("crm", p.crm));
  if constexpr (Archive::is_loading::value) {
    p.customer = CustomerId(customer);
    p.conversation = ConversationId(conversation);
  }
}

}  // namespace

std::string encode_context_packet(const ContextPacket& packet) {
  std::ostringstream out;
  {
    cereal::JSONOutputArchive ar(out, cereal::JSONOutputArchive::Options::NoIndent());
    ContextPacket copy = packet;
    copy.version = ContextPacket::kCurrentVersion;
    std::uint32_t version = ContextPacket::kCurrentVersion;
    ar(cereal::make_nvp("version", version));
    packet_fields(ar, copy);
  }
  return out.str();
}

Result<ContextPacket> decode_context_packet(std::string_view encoded) {
  try {
    std::istringstream in{std::string(encoded)};
    cereal::JSONInputArchive ar(in);
    ContextPacket packet;
    ar(cereal::make_nvp("version", packet.version));
    if (packet.version == 0 || packet.version > ContextPacket::kCurrentVersion) {
      return Status::corruption("context packet version " + std::to_string(packet.version) +
                                " is not supported (newest known: " +
                                std::to_string(ContextPacket::kCurrentVersion) + ")");
    }
    packet_fields(ar, packet);
    return packet;
  } catch (const std::exception& e) {
    return Status::corruption(std::string("malformed context packet: ") + e.what());
  }
}

}  // namespace omni
