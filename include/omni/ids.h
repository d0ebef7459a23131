// omni/ids.h — strong id types. Every record has a 64-bit id assigned by the Store (an identity
// column or sequence, so several processes sharing one database never collide). Distinct tags
// make a CustomerId unusable where a ConversationId is expected.
#pragma once

#include <cstdint>
#include <functional>

namespace omni {

template <typename Tag>
class Id {
 public:
  constexpr Id() = default;
  constexpr explicit Id(std::int64_t value) : value_(value) {}

  constexpr std::int64_t value() const { return value_; }
  // Ids handed out by a store are positive; a default-constructed Id is "no id".
  constexpr bool valid() const { return value_ > 0; }

  friend constexpr bool operator==(Id a, Id b) { return a.value_ == b.value_; }
  friend constexpr bool operator!=(Id a, Id b) { return a.value_ != b.value_; }
  friend constexpr bool operator<(Id a, Id b) { return a.value_ < b.value_; }

 private:
  std::int64_t value_ = 0;
};

using TenantId = Id<struct TenantTag>;
using CustomerId = Id<struct CustomerTag>;
using IdentityId = Id<struct IdentityTag>;
using ChannelId = Id<struct ChannelTag>;
using ConversationId = Id<struct ConversationTag>;
using TouchpointId = Id<struct TouchpointTag>;
using HandoffId = Id<struct HandoffTag>;
using AgentId = Id<struct AgentTag>;
using MergeId = Id<struct MergeTag>;
using ArticleId = Id<struct ArticleTag>;

}  // namespace omni

template <typename Tag>
struct std::hash<omni::Id<Tag>> {
  std::size_t operator()(omni::Id<Tag> id) const noexcept {
    return std::hash<std::int64_t>()(id.value());
  }
};
