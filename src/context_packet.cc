// Context packets serialized with cereal's JSON archive. The packet's version travels as a
// field, so a reader can accept older layouts; a newer version than this library knows is
// refused rather than misread.
#include <sstream>
#include <string>

#include <cereal/archives/json.hpp>
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
