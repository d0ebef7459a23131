// omni/contact.h — how a customer wants to be contacted: preferred channels and language, quiet
// hours in their own time zone, consent per address and channel; and what omni decides from it:
// the channel of a proactive notification and the next-best channel for a follow-up, each with
// its reasons.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/channel.h"
#include "omni/clock.h"
#include "omni/customer.h"
#include "omni/export.h"
#include "omni/ids.h"
#include "omni/touchpoint.h"

namespace omni {

enum class ConsentState {
  kGranted,    // the customer agreed to be messaged on this address and channel
  kWithdrawn,  // the customer opted out ("STOP"); nothing may be sent until a new opt-in
};
OMNI_EXPORT std::string_view to_string(ConsentState state);  // "granted", "withdrawn"
OMNI_EXPORT std::optional<ConsentState> parse_consent_state(std::string_view name);

// The current consent of one address (identity) for one channel kind: a phone number may have
// agreed to SMS and not to WhatsApp. Channels whose profile requires consent (SMS and WhatsApp
// by default, ChannelProfile::requires_consent) send only to addresses whose consent is granted.
// An address without a record has not consented, except that the customer's own first message
// on such a channel grants it (source "inbound_message": they started the conversation).
struct Consent {
  TenantId tenant;
  IdentityId identity;
  ChannelKind channel_kind = ChannelKind::kSms;
  ConsentState state = ConsentState::kGranted;
  // Where it came from: "keyword" (an inbound STOP/START), "inbound_message", "web_form",
  // "agent", "import", or whatever the host names.
  std::string source;
  // What proves it: the keyword, a touchpoint id, a form submission id.
  std::string evidence;
  Timestamp changed_at;
};

// A consent change the host records (a web form, a call where the customer agreed).
struct ConsentChange {
  TenantId tenant;
  CustomerId customer;
  ChannelKind channel_kind = ChannelKind::kSms;
  ConsentState state = ConsentState::kGranted;
  // The address it is about; absent: every address of the customer that can receive on
  // channel_kind (all phone numbers for SMS).
  std::optional<IdentityInput> address;
  std::string source;  // required
  std::string evidence;
};

// How pressing a message is.
enum class Urgency {
  kLow,       // may wait for the customer's preferred channel and their waking hours
  kNormal,    // the default: preferred channel, quiet hours respected
  kHigh,      // should arrive now: a channel that can deliver at once beats the preferred one
  kCritical,  // must arrive now (fraud alert, outage): quiet hours do not apply
};
OMNI_EXPORT std::string_view to_string(Urgency urgency);  // "low", "normal", "high", "critical"
OMNI_EXPORT std::optional<Urgency> parse_urgency(std::string_view name);

// One configured channel as a candidate for contacting the customer, with the verdict.
struct ChannelOption {
  ChannelId channel;
  ChannelKind kind = ChannelKind::kEmail;
  std::string channel_name;
  bool eligible = false;
  // Why it ranks where it does, or why it is excluded; readable sentences, most important first
  // ("preferred channel #1", "consent withdrawn by keyword STOP on 2026-11-20", "quiet hours
  // 22:00-08:00 Europe/Berlin: delivered at 08:00 local").
  std::vector<std::string> reasons;
  // Set when the message would wait for the end of the customer's quiet hours.
  std::optional<Timestamp> deliver_at;
  // Estimated cost in the channel's ChannelProfile::cost_per_unit units: SMS segments (or
  // messages) needed times the unit price. 0 when unknown or free.
  double cost = 0;
  std::uint32_t segments = 0;  // SMS segments or messages the text needs; 0 without a text
};

// Candidates ranked best first; excluded ones come last, each with its reasons.
struct ChannelChoice {
  std::vector<ChannelOption> options;
  // The first eligible option; nullptr when none is.
  const ChannelOption* chosen() const {
    return !options.empty() && options.front().eligible ? &options.front() : nullptr;
  }
};

// A follow-up omni should recommend a channel for (Engine::recommend_channel).
struct FollowUpRequest {
  TenantId tenant;
  CustomerId customer;
  std::optional<ConversationId> conversation;
  Urgency urgency = Urgency::kNormal;
  // Sensitive content (payment, health, identity documents): only secure channels qualify.
  bool sensitive = false;
};

// A message omni sends on its own initiative: "a reply is waiting", an appointment or payment
// reminder (Engine::notify). A channel reaches the customer through one of their identities of
// the channel's kind (email address, phone number, Messenger/Instagram/Telegram/X id); a letter
// needs the customer attribute "postal_address" (the host's adapter reads the address from it).
struct NotificationRequest {
  TenantId tenant;
  CustomerId customer;
  // The case it is about, when there is one ("your reply is waiting"); the notification then
  // appears in that conversation.
  std::optional<ConversationId> conversation;
  // Required, recorded with it: "reply_waiting", "appointment_reminder", "payment_reminder".
  std::string purpose;
  Urgency urgency = Urgency::kNormal;
  bool sensitive = false;
  // The reply template rendered for the chosen channel (omni/templates.h); or, without one, the
  // text itself.
  std::string template_key;
  std::map<std::string, std::string> values;  // placeholders of the template
  std::string subject;
  std::string body;
  std::optional<AgentId> agent;  // the author, when an agent asked for it
};

struct NotificationResult {
  ChannelChoice choice;   // every candidate with its reasons; the chosen one first
  Touchpoint touchpoint;  // the outbound message as recorded (kQueued while deferred)
  // Set when quiet hours hold it back: deliver_due() sends it at this instant.
  std::optional<Timestamp> deferred_until;
};

}  // namespace omni
