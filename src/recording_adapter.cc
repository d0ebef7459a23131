#include "omni/recording_adapter.h"

#include <algorithm>
#include <mutex>
#include <string>

namespace omni {

struct RecordingAdapter::State {
  std::vector<ChannelKind> kinds;
  mutable std::mutex mutex;
  std::vector<RecordedSend> sent;
  Status failure;
  std::uint64_t counter = 0;
};

RecordingAdapter::RecordingAdapter() : RecordingAdapter(all_channel_kinds()) {}

RecordingAdapter::RecordingAdapter(std::vector<ChannelKind> kinds)
    : state_(std::make_unique<State>()) {
  state_->kinds = std::move(kinds);
}

RecordingAdapter::~RecordingAdapter() = default;

ChannelCapabilities RecordingAdapter::capabilities() const {
  ChannelCapabilities caps;
  caps.kinds = state_->kinds;
  caps.attachments = true;
  return caps;
}

Result<SendReceipt> RecordingAdapter::send(const OutboundEnvelope& envelope) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (!state_->failure.ok()) return state_->failure;
  RecordedSend record;
  record.tenant = envelope.tenant;
  record.channel = envelope.channel->id;
  record.channel_kind = envelope.channel->kind;
  record.recipient = envelope.recipient->value;
  record.conversation = envelope.conversation;
  record.touchpoint = envelope.touchpoint;
  record.subject = envelope.subject;
  record.body = envelope.body;
  record.provider_message_id = "rec-" + std::to_string(++state_->counter);
  state_->sent.push_back(record);
  return SendReceipt{record.provider_message_id, DeliveryStatus::kSent};
}

void RecordingAdapter::fail_with(Status status) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->failure = std::move(status);
}

std::vector<RecordedSend> RecordingAdapter::sent() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->sent;
}

void RecordingAdapter::clear() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->sent.clear();
}

}  // namespace omni
