// Outbound delivery: the transactional outbox. A reply is recorded as a queued touchpoint and a
// pending delivery in one transaction; the adapter is called outside every lock and transaction;
// the outcome (sent, a retry later, or failed) is recorded in a second transaction. An engine
// that dies between the two leaves the delivery due again after its lease, and the retry carries
// the same idempotency key.
#include <algorithm>
#include <string>
#include <vector>

#include "engine_impl.h"
#include "omni/fit.h"

namespace omni {
using namespace engine_internal;
namespace {

int delivery_rank(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::kNone:
      return 0;
    case DeliveryStatus::kQueued:
      return 1;
    case DeliveryStatus::kSent:
      return 2;
    case DeliveryStatus::kDelivered:
      return 3;
    case DeliveryStatus::kRead:
      return 4;
    case DeliveryStatus::kFailed:
      return 5;
  }
  return 0;
}

// Transient failures are retried; everything else is final.
bool is_transient(const Status& s) {
  return s.is(StatusCode::kUnavailable) || s.is(StatusCode::kConflict);
}

std::string idempotency_key_of(TenantId tenant, TouchpointId touchpoint) {
  return "omni-" + std::to_string(tenant.value()) + "-" + std::to_string(touchpoint.value());
}

}  // namespace

std::chrono::seconds Engine::Impl::retry_delay(int attempts) const {
  auto delay = options.delivery_retry_initial;
  for (int i = 1; i < attempts && delay < options.delivery_retry_max; ++i)
    delay *= 2;
  return std::min(delay, options.delivery_retry_max);
}

ChannelAdapter* Engine::Impl::adapter_for(TenantId tenant, ChannelId channel) {
  std::shared_lock lock(adapters_mutex);
  auto it = adapters.find({tenant.value(), channel.value()});
  return it == adapters.end() ? nullptr : it->second;
}

Result<Engine::Impl::Attempt> Engine::Impl::prepare_attempt(StoreTransaction& tx,
                                                            const PendingDelivery& delivery,
                                                            Touchpoint touchpoint) {
  Attempt a;
  a.delivery = delivery;
  a.touchpoint = std::move(touchpoint);
  OMNI_ASSIGN_OR_RETURN(a.channel, tx.get_channel(delivery.tenant, delivery.channel));
  if (a.touchpoint.agent) {
    OMNI_ASSIGN_OR_RETURN(Agent author, tx.get_agent(delivery.tenant, *a.touchpoint.agent));
    a.human_author = author.kind == AgentKind::kHuman;
  }
  // The customer's freshest address on this channel, read now: an identity linked or merged in
  // since the reply was written counts.
  OMNI_ASSIGN_OR_RETURN(auto identities,
                        tx.list_identities(delivery.tenant, a.touchpoint.customer));
  const auto wanted = recipient_kinds(a.channel.kind);
  const bool needs_consent = a.channel.profile.requires_consent;
  const Identity* best = nullptr;
  const Identity* refused = nullptr;  // an address there is, but without consent
  std::optional<Consent> refusal;
  for (const auto& identity : identities) {
    bool fits =
        wanted.empty() || std::find(wanted.begin(), wanted.end(), identity.kind) != wanted.end();
    if (!fits) continue;
    if (needs_consent) {
      // Checked at every attempt: a STOP between the reply and a retry stops the retry.
      auto consent = tx.get_consent(delivery.tenant, identity.id, a.channel.kind);
      if (!consent.ok() && !consent.status().is(StatusCode::kNotFound)) return consent.status();
      if (!consent.ok() || consent->state != ConsentState::kGranted) {
        if (!refused || (consent.ok() && !refusal)) {
          refused = &identity;
          if (consent.ok()) refusal = *consent;
        }
        continue;
      }
    }
    if (!best || identity.last_seen > best->last_seen) best = &identity;
  }
  const std::string kind_name(to_string(a.channel.kind));
  if (best) {
    a.recipient = *best;
  } else if (refused) {
    std::string why =
        refusal ? "withdrew consent (" + refusal->source +
                      (refusal->evidence.empty() ? "" : " " + refusal->evidence) + ", " +
                      format_timestamp(refusal->changed_at) + ")"
                : "has not consented";
    a.unsendable = Status::failed_precondition("the customer " + why + " to " + kind_name +
                                               " messages at " + refused->value)
                       .with_field("consent");
  } else {
    a.unsendable = Status::failed_precondition("customer has no identity to reach on " + kind_name);
  }
  a.adapter = adapter_for(delivery.tenant, delivery.channel);
  return a;
}

Result<SendReceipt> Engine::Impl::call_adapter(const Attempt& a) {
  if (!a.unsendable.ok()) return a.unsendable;
  if (!a.adapter) {
    return Status::unavailable("no adapter registered for channel '" + a.channel.name + "'");
  }
  OutboundEnvelope envelope;
  envelope.tenant = a.delivery.tenant;
  envelope.channel = &a.channel;
  envelope.recipient = &a.recipient;
  envelope.conversation = a.touchpoint.conversation.value_or(ConversationId());
  envelope.touchpoint = a.touchpoint.id;
  envelope.idempotency_key = idempotency_key_of(a.delivery.tenant, a.touchpoint.id);
  envelope.attempt = a.delivery.attempts;
  envelope.subject = a.touchpoint.subject;
  envelope.body = a.touchpoint.body;
  envelope.attachments = a.touchpoint.attachments;
  try {
    return a.adapter->send(envelope);
  } catch (const std::exception& e) {
    return Status::internal(std::string("adapter threw: ") + e.what());
  } catch (...) {
    return Status::internal("adapter threw a non-standard exception");
  }
}

Result<Touchpoint> Engine::Impl::record_outcome(const Attempt& a,
                                                const Result<SendReceipt>& receipt,
                                                DeliveryOutcome* outcome) {
  return run_write([&](StoreTransaction& tx) -> Result<Touchpoint> {
    const TenantId tenant = a.delivery.tenant;
    const Timestamp now_ts = now();
    *outcome = DeliveryOutcome::kAlreadyRecorded;
    auto pending = tx.get_pending_delivery(tenant, a.touchpoint.id);
    if (pending.status().is(StatusCode::kNotFound)) {
      // Another engine recorded this delivery after our lease ran out: nothing left to do.
      return tx.get_touchpoint(tenant, a.touchpoint.id);
    }
    OMNI_RETURN_IF_ERROR(pending.status());
    if (pending->attempts != a.delivery.attempts) {
      return tx.get_touchpoint(tenant, a.touchpoint.id);  // a later attempt owns it now
    }
    std::optional<Conversation> conversation;
    if (a.touchpoint.conversation) {
      OMNI_ASSIGN_OR_RETURN(conversation, tx.get_conversation(tenant, *a.touchpoint.conversation));
    }
    if (receipt.ok()) {
      DeliveryStatus status = receipt->status;
      if (status == DeliveryStatus::kNone || status == DeliveryStatus::kQueued ||
          status == DeliveryStatus::kFailed) {
        status = DeliveryStatus::kSent;
      }
      OMNI_RETURN_IF_ERROR(tx.delete_pending_delivery(tenant, a.touchpoint.id));
      OMNI_RETURN_IF_ERROR(
          tx.update_delivery(tenant, a.touchpoint.id, status, receipt->provider_message_id));
      // A notification ("your reply is waiting") is not an answer: the case's clocks and
      // channel stay as they are.
      if (conversation && !a.touchpoint.metadata.count("notification_purpose")) {
        conversation->last_outbound_at = a.touchpoint.occurred_at;
        // A person's reply is the first response; a bot's answer is self-service.
        if (!conversation->first_response_at && a.human_author) {
          conversation->first_response_at = a.touchpoint.occurred_at;
        }
        conversation->current_channel = a.channel.id;
        conversation->updated_at = now_ts;
        OMNI_RETURN_IF_ERROR(save_conversation(tx, *conversation, now_ts, SaveMode::kImplicit));
      }
      OMNI_RETURN_IF_ERROR(event(tx, tenant, a.touchpoint.customer, a.touchpoint.conversation,
                                 "delivery.status_changed",
                                 Payload()
                                     .add("touchpoint", a.touchpoint.id)
                                     .add("status", to_string(status))
                                     .add("provider_message_id", receipt->provider_message_id)
                                     .add("attempt", a.delivery.attempts)
                                     .str(),
                                 now_ts));
      *outcome = DeliveryOutcome::kSent;
    } else if (is_transient(receipt.status()) &&
               a.delivery.attempts < options.delivery_max_attempts) {
      PendingDelivery later = *pending;
      later.next_attempt_at = now_ts + retry_delay(a.delivery.attempts);
      later.last_error = receipt.status().to_string();
      OMNI_RETURN_IF_ERROR(tx.update_pending_delivery(later));
      OMNI_RETURN_IF_ERROR(event(
          tx, tenant, a.touchpoint.customer, a.touchpoint.conversation, "delivery.retry_scheduled",
          Payload()
              .add("touchpoint", a.touchpoint.id)
              .add("attempt", a.delivery.attempts)
              .add("next_attempt_at", format_timestamp(later.next_attempt_at))
              .add("error", later.last_error)
              .str(),
          now_ts));
      *outcome = DeliveryOutcome::kRetrying;
    } else {
      OMNI_RETURN_IF_ERROR(tx.delete_pending_delivery(tenant, a.touchpoint.id));
      OMNI_RETURN_IF_ERROR(
          tx.update_delivery(tenant, a.touchpoint.id, DeliveryStatus::kFailed, ""));
      std::string why = receipt.status().to_string();
      if (is_transient(receipt.status())) {
        why = "gave up after " + std::to_string(a.delivery.attempts) + " attempts: " + why;
      }
      if (conversation) {
        OMNI_RETURN_IF_ERROR(add_status_touchpoint(
            tx, *conversation, a.channel.kind,
            "delivery of message " + std::to_string(a.touchpoint.id.value()) + " on " +
                std::string(to_string(a.channel.kind)) + " failed: " + why,
            now_ts));
      }
      OMNI_RETURN_IF_ERROR(event(tx, tenant, a.touchpoint.customer, a.touchpoint.conversation,
                                 "delivery.status_changed",
                                 Payload()
                                     .add("touchpoint", a.touchpoint.id)
                                     .add("status", "failed")
                                     .add("error", why)
                                     .add("attempt", a.delivery.attempts)
                                     .str(),
                                 now_ts));
      *outcome = DeliveryOutcome::kFailed;
    }
    return tx.get_touchpoint(tenant, a.touchpoint.id);
  });
}

Result<Touchpoint> Engine::send(const OutboundMessage& m) {
  OMNI_RETURN_IF_ERROR(check_text("body", m.body, impl_->options.max_body_bytes));
  OMNI_RETURN_IF_ERROR(check_text("subject", m.subject, kMaxSubjectBytes));
  if (m.body.empty() && m.attachments.empty()) {
    return Status::invalid_argument("reply has no body and no attachment");
  }
  // 1. Record the reply as queued with its pending delivery: from here on it is never lost.
  auto prepared = impl_->run_write([&](StoreTransaction& tx) -> Result<Impl::Attempt> {
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(m.tenant, m.conversation));
    if (c.status == ConversationStatus::kClosed) {
      return Status::failed_precondition("conversation " + std::to_string(c.id.value()) +
                                         " is closed");
    }
    OMNI_ASSIGN_OR_RETURN(Channel channel,
                          tx.get_channel(m.tenant, m.channel.value_or(c.current_channel)));
    if (m.agent) OMNI_RETURN_IF_ERROR(tx.get_agent(m.tenant, *m.agent).status());
    if (!impl_->adapter_for(m.tenant, channel.id)) {
      return Status::failed_precondition("no adapter registered for channel '" + channel.name +
                                         "'");
    }
    // Too long for the channel: refused before anything is recorded, with the reason.
    OMNI_ASSIGN_OR_RETURN(FitReport fit, fit_text(m.body, channel.profile));
    if (Status fits = check_fit(fit); !fits.ok()) return Status(fits).with_field("body");
    const Timestamp now_ts = impl_->now();
    Touchpoint tp;
    tp.tenant = m.tenant;
    tp.customer = c.customer;
    tp.conversation = c.id;
    tp.channel = channel.id;
    tp.channel_kind = channel.kind;
    tp.kind = TouchpointKind::kMessageOut;
    tp.agent = m.agent;
    tp.subject = m.subject;
    tp.body = m.body;
    tp.attachments = m.attachments;
    tp.delivery = DeliveryStatus::kQueued;
    if (fit.rule == LengthRule::kSmsSegments) {
      tp.metadata["sms_encoding"] = std::string(to_string(fit.encoding));
      tp.metadata["sms_segments"] = std::to_string(fit.segments);
    }
    tp.occurred_at = now_ts;
    tp.recorded_at = now_ts;
    OMNI_ASSIGN_OR_RETURN(tp.id, tx.insert_touchpoint(tp));
    PendingDelivery delivery;
    delivery.tenant = m.tenant;
    delivery.touchpoint = tp.id;
    delivery.channel = channel.id;
    delivery.attempts = 1;
    delivery.next_attempt_at = now_ts + impl_->options.delivery_lease;
    OMNI_RETURN_IF_ERROR(tx.insert_pending_delivery(delivery));
    OMNI_RETURN_IF_ERROR(Impl::event(tx, m.tenant, c.customer, c.id, "touchpoint.added",
                                     Payload()
                                         .add("touchpoint", tp.id)
                                         .add("kind", "message_out")
                                         .add("channel", to_string(channel.kind))
                                         .str(),
                                     now_ts));
    OMNI_ASSIGN_OR_RETURN(Impl::Attempt attempt, impl_->prepare_attempt(tx, delivery, tp));
    // Nobody to send it to: refuse before anything is recorded.
    OMNI_RETURN_IF_ERROR(attempt.unsendable);
    return attempt;
  });
  if (!prepared.ok()) return prepared.status();

  // 2. The adapter, outside every lock and transaction. 3. The outcome.
  Result<SendReceipt> receipt = impl_->call_adapter(*prepared);
  Impl::DeliveryOutcome outcome = Impl::DeliveryOutcome::kAlreadyRecorded;
  auto recorded = impl_->record_outcome(*prepared, receipt, &outcome);
  if (!recorded.ok()) return recorded.status();
  if (outcome == Impl::DeliveryOutcome::kFailed) return receipt.status();
  return recorded;
}

Result<DeliveryRun> Engine::deliver_due(TenantId tenant, std::size_t limit) {
  if (limit == 0 || limit > impl_->options.max_page_size) {
    return Status::invalid_argument("limit must be 1.." +
                                    std::to_string(impl_->options.max_page_size));
  }
  // 1. Claim: each due delivery gets its next attempt number and this engine's lease, in one
  // write transaction, so two engines never attempt the same delivery at once.
  auto claimed = impl_->run_write([&](StoreTransaction& tx) -> Result<std::vector<Impl::Attempt>> {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    const Timestamp now_ts = impl_->now();
    OMNI_ASSIGN_OR_RETURN(auto due, tx.list_due_deliveries(tenant, now_ts, limit));
    std::vector<Impl::Attempt> attempts;
    for (PendingDelivery& d : due) {
      // Another process may own the adapter of this channel: leave the delivery to it.
      if (!impl_->adapter_for(tenant, d.channel)) continue;
      d.attempts += 1;
      d.next_attempt_at = now_ts + impl_->options.delivery_lease;
      OMNI_RETURN_IF_ERROR(tx.update_pending_delivery(d));
      OMNI_ASSIGN_OR_RETURN(Touchpoint tp, tx.get_touchpoint(tenant, d.touchpoint));
      OMNI_ASSIGN_OR_RETURN(Impl::Attempt a, impl_->prepare_attempt(tx, d, std::move(tp)));
      attempts.push_back(std::move(a));
    }
    return attempts;
  });
  if (!claimed.ok()) return claimed.status();

  // 2. Attempt each outside the transaction and record its outcome.
  DeliveryRun run;
  for (const Impl::Attempt& a : *claimed) {
    Result<SendReceipt> receipt = impl_->call_adapter(a);
    ++run.attempted;
    Impl::DeliveryOutcome outcome = Impl::DeliveryOutcome::kAlreadyRecorded;
    auto recorded = impl_->record_outcome(a, receipt, &outcome);
    if (!recorded.ok()) return recorded.status();  // the lease makes it due again later
    if (outcome == Impl::DeliveryOutcome::kSent) ++run.sent;
    if (outcome == Impl::DeliveryOutcome::kRetrying) ++run.retrying;
    if (outcome == Impl::DeliveryOutcome::kFailed) ++run.failed;
  }
  return run;
}

Status Engine::update_delivery_status(TenantId tenant, ChannelId channel,
                                      const std::string& provider_message_id,
                                      DeliveryStatus status) {
  OMNI_RETURN_IF_ERROR(
      check_required_text("provider_message_id", provider_message_id, kMaxProviderIdBytes));
  if (status == DeliveryStatus::kNone) {
    return Status::invalid_argument("delivery status 'none' is not a provider status");
  }
  return impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_ASSIGN_OR_RETURN(Touchpoint tp, tx.find_touchpoint(tenant, channel, provider_message_id));
    if (tp.kind != TouchpointKind::kMessageOut) {
      return Status::failed_precondition("touchpoint " + std::to_string(tp.id.value()) +
                                         " is not an outbound message");
    }
    // Callbacks arrive out of order: never move back ("delivered" after "read" stays "read").
    if (delivery_rank(status) <= delivery_rank(tp.delivery)) return Status();
    OMNI_RETURN_IF_ERROR(tx.update_delivery(tenant, tp.id, status, ""));
    return Impl::event(tx, tenant, tp.customer, tp.conversation, "delivery.status_changed",
                       Payload()
                           .add("touchpoint", tp.id)
                           .add("status", to_string(status))
                           .add("provider_message_id", provider_message_id)
                           .str(),
                       impl_->now());
  });
}

}  // namespace omni
