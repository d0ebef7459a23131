// omni/sys/channel_adapter.h — what a host implements to send on a provider (an SMTP relay, the
// Twilio API, the WhatsApp Cloud API, ...). Inbound traffic does not pass through adapters: the
// host feeds it to Engine::receive.
//
// Thread-safety: the engine may call send() from several threads at once (one call per outbound
// message, on the thread that called Engine::send). Implementations must be thread-safe or
// serialize internally. The engine never holds one of its locks or an open store transaction
// while calling an adapter.
//
// Exceptions: whatever an adapter throws is caught by the engine and becomes a Status
// (kInternal, a permanent failure); the outbound touchpoint is then marked failed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "omni/channel.h"
#include "omni/customer.h"
#include "omni/export.h"
#include "omni/ids.h"
#include "omni/status.h"
#include "omni/touchpoint.h"

namespace omni {

struct ChannelCapabilities {
  std::vector<ChannelKind> kinds;  // kinds this adapter can send on
  bool attachments = false;
  // Longest body the provider accepts in one send, in bytes; 0 = no limit of its own.
  std::uint64_t max_body_bytes = 0;
};

// Everything an adapter needs to send one message. Borrowed for the duration of send().
struct OutboundEnvelope {
  TenantId tenant;
  const Channel* channel = nullptr;     // never null
  const Identity* recipient = nullptr;  // never null: the customer's address on this channel
  ConversationId conversation;
  TouchpointId touchpoint;  // the outbound touchpoint already recorded as queued
  // The same for every attempt to deliver this message ("omni-<tenant>-<touchpoint>"). Pass it
  // to providers that deduplicate (an Idempotency-Key header, an SMTP Message-ID): if omni dies
  // after the provider accepted a message but before recording it, the retry carries the same
  // key and the provider sends the message once.
  std::string idempotency_key;
  int attempt = 1;  // 1 for the first attempt, 2 for the first retry, ...
  std::string subject;
  std::string body;
  std::vector<Attachment> attachments;
};

struct SendReceipt {
  std::string provider_message_id;                // used later by Engine::update_delivery_status
  DeliveryStatus status = DeliveryStatus::kSent;  // kSent, kDelivered or kQueued
};

class OMNI_EXPORT ChannelAdapter {
 public:
  ChannelAdapter() = default;
  ChannelAdapter(const ChannelAdapter&) = delete;
  ChannelAdapter& operator=(const ChannelAdapter&) = delete;
  virtual ~ChannelAdapter();

  // Must provide. Called once when the adapter is registered.
  virtual ChannelCapabilities capabilities() const = 0;

  // Must provide. Hands one message to the provider. Return an error Status when the provider
  // refused it: kUnavailable (or kConflict) for a transient failure, which the engine retries
  // with backoff; any other code (kInvalidArgument, kFailedPrecondition, ...) is permanent and
  // marks the message failed at once.
  virtual Result<SendReceipt> send(const OutboundEnvelope& envelope) = 0;
};

// Forwards every call to a borrowed target, so a test or host can decorate one method.
class OMNI_EXPORT ForwardingChannelAdapter : public ChannelAdapter {
 public:
  explicit ForwardingChannelAdapter(ChannelAdapter* target) : target_(target) {}
  ChannelCapabilities capabilities() const override { return target_->capabilities(); }
  Result<SendReceipt> send(const OutboundEnvelope& envelope) override {
    return target_->send(envelope);
  }
  ChannelAdapter* target() const { return target_; }

 private:
  ChannelAdapter* target_;  // borrowed; must outlive this wrapper
};

}  // namespace omni
