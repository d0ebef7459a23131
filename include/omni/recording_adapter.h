// omni/recording_adapter.h — a ChannelAdapter that records what it is asked to send instead of
// talking to a provider. For tests, examples and dry runs.
//
// Thread-safety: thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "omni/export.h"
#include "omni/sys/channel_adapter.h"

namespace omni {

struct RecordedSend {
  TenantId tenant;
  ChannelId channel;
  ChannelKind channel_kind = ChannelKind::kEmail;
  std::string recipient;  // the recipient identity's normalized value
  ConversationId conversation;
  TouchpointId touchpoint;
  std::string subject;
  std::string body;
  std::string provider_message_id;  // "rec-1", "rec-2", ...
};

class OMNI_EXPORT RecordingAdapter final : public ChannelAdapter {
 public:
  // Accepts every kind unless `kinds` is given.
  RecordingAdapter();
  explicit RecordingAdapter(std::vector<ChannelKind> kinds);
  ~RecordingAdapter() override;

  ChannelCapabilities capabilities() const override;
  Result<SendReceipt> send(const OutboundEnvelope& envelope) override;

  // Every later send() fails with `status` until cleared with an ok Status.
  void fail_with(Status status);
  std::vector<RecordedSend> sent() const;
  void clear();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace omni
