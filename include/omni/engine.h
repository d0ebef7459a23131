// omni/engine.h — the one front door. The host calls the Engine; the Engine validates, resolves,
// writes through the Store inside one transaction per operation and only then reports success.
//
// Thread-safety: thread-safe. Every method may be called from any thread at any time. The
// engine holds no lock while it calls host code (a ChannelAdapter); store transactions give each
// operation its isolation.
//
// Errors: every method returns a Status or Result. Bad input is kInvalidArgument (or
// kResourceExhausted for a size limit) and changes nothing; records of another tenant are
// kNotFound; illegal transitions are kFailedPrecondition.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "omni/agent.h"
#include "omni/bot.h"
#include "omni/channel.h"
#include "omni/clock.h"
#include "omni/contact.h"
#include "omni/conversation.h"
#include "omni/crm.h"
#include "omni/csat.h"
#include "omni/customer.h"
#include "omni/event.h"
#include "omni/event_observer.h"
#include "omni/export.h"
#include "omni/handoff.h"
#include "omni/knowledge.h"
#include "omni/merge.h"
#include "omni/message.h"
#include "omni/metrics.h"
#include "omni/routing.h"
#include "omni/sla.h"
#include "omni/status.h"
#include "omni/sys/channel_adapter.h"
#include "omni/sys/store.h"
#include "omni/templates.h"
#include "omni/touchpoint.h"
#include "omni/views.h"

namespace omni {

// What happens when a customer who has an active conversation writes again, on another channel.
enum class ContactJoinPolicy {
  // The message joins the active conversation, whatever the channel and however long ago it
  // last moved: the customer never waits in two queues.
  kAlways,
  // It joins only when the conversation saw a message in or out within
  // EngineOptions::contact_join_window; otherwise that conversation stays active for its agent
  // but is no longer joinable, and the message opens a new conversation. A message on the
  // conversation's current channel always joins.
  kWithinWindow,
};

struct EngineOptions {
  // Borrowed; must outlive the engine. Default: nullptr = the system clock.
  const Clock* clock = nullptr;
  // Largest message body accepted, in bytes. Default: 64 KiB.
  std::size_t max_body_bytes = 64 * 1024;
  // Largest timeline page. Default: 500.
  std::size_t max_page_size = 500;
  // An inbound message within this time after a conversation was resolved reopens it; later it
  // opens a new conversation. Default: 7 days.
  std::chrono::seconds reopen_window{7 * 24 * 60 * 60};
  // Touchpoints copied into a handoff's context packet. Default: 10.
  std::size_t context_recent_touchpoints = 10;
  // Longest excerpt of one touchpoint in a context packet, in bytes. Default: 280.
  std::size_t context_excerpt_bytes = 280;
  // Email local parts compared case-insensitively (Unicode case folding): "Anna@x.de" and
  // "anna@x.de" are one identity. Default: true (what every major mail provider does).
  bool email_local_part_case_insensitive = true;
  // Identity::last_seen is rewritten by an inbound message only when it is older than this, so
  // a busy chat does not rewrite the identity row with every message. Default: 1 hour.
  std::chrono::seconds last_seen_resolution{60 * 60};
  // Whether contact on a second channel joins the active conversation. Default: kAlways.
  ContactJoinPolicy contact_join_policy = ContactJoinPolicy::kAlways;
  // The window of ContactJoinPolicy::kWithinWindow. Default: 24 hours.
  std::chrono::seconds contact_join_window{24 * 60 * 60};
  // Delivery of outbound messages (the transactional outbox, see Engine::send): a transient
  // adapter failure (kUnavailable, kConflict) is retried after delivery_retry_initial, doubling
  // up to delivery_retry_max, for at most delivery_max_attempts attempts in all; then, or at
  // once for a permanent failure, the message is failed. Defaults: 30 s, 1 hour, 8 attempts.
  std::chrono::seconds delivery_retry_initial{30};
  std::chrono::seconds delivery_retry_max{60 * 60};
  int delivery_max_attempts = 8;
  // How long an engine that started an attempt owns it. An engine that dies mid-send leaves the
  // delivery due again after this (with the same idempotency key). Longer than any adapter's
  // send may take. Default: 5 minutes.
  std::chrono::seconds delivery_lease{5 * 60};
  // Times an operation is retried after a kConflict from the store, each after a short random
  // pause that grows with the attempt (up to 100 ms). SQLite rarely conflicts (writers queue on
  // its lock); on PostgreSQL, SERIALIZABLE transactions of engines in several processes abort
  // each other and are retried here. Default: 10.
  int max_conflict_retries = 10;

  // --- customer context
  // How long a view waits for the host's CRM (Engine::set_crm_provider) before it shows the CRM
  // data as missing. Default: 500 ms.
  std::chrono::milliseconds crm_timeout{500};
  // How long a CRM answer is reused by later views of the same customer; 0: fetched for every
  // view. Default: 30 s.
  std::chrono::seconds crm_cache_ttl{30};
  // The cache's age is real (steady-clock) time, not the engine's Clock: it bounds how stale the
  // host's data may be. Concurrent views of one customer share one provider call.
  // Threads that call the CRM provider. Default: 2.
  std::size_t crm_workers = 2;
  // On channels whose profile requires consent (SMS, WhatsApp), an inbound message that is
  // exactly one of these words (any case, surrounding white space and trailing punctuation
  // ignored) withdraws or grants the sender's consent. It is stored on the timeline, joins an
  // active conversation but opens none. Defaults: Twilio's default opt-out and opt-in keywords.
  std::vector<std::string> opt_out_keywords{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL",
                                            "END",  "QUIT",    "REVOKE",      "OPTOUT"};
  std::vector<std::string> opt_in_keywords{"START", "YES", "UNSTOP"};
  // The customer's first message on such a channel from an address without a consent record
  // grants consent for it (source "inbound_message": they started the conversation). A
  // withdrawn consent is never granted again this way, only by an opt-in keyword or
  // Engine::set_consent. Default: true.
  bool inbound_message_grants_consent = true;

  // --- events
  // How often the observer dispatcher (Engine::add_observer) looks for new events when no
  // write of this engine woke it: it sees writes of other engines and processes sharing the
  // store within this time. Default: 500 ms.
  std::chrono::milliseconds event_poll_interval{500};

  // --- bots (omni/bot.h)
  // receive() asks the registered bot holding the conversation (assignee or outstanding offer)
  // about the message it stored, after its transaction committed, on the caller's thread
  // (Engine::run_bot). A bot's failure never fails receive(): it is a bot.failed event.
  // Default: true (self-service first; without a registered bot nothing happens).
  bool run_bots_on_receive = true;
  // Touchpoints of the conversation a bot sees as its transcript (BotTurn::transcript).
  // Default: 20.
  std::size_t bot_transcript_touchpoints = 20;
};

struct ChannelSpec {
  TenantId tenant;
  ChannelKind kind = ChannelKind::kEmail;
  std::string name;  // unique within the tenant
  // The channel's own profile; default: the tenant's profile for the kind
  // (Engine::set_tenant_profile), else default_profile(kind).
  std::optional<ChannelProfile> profile;
};

struct AgentSpec {
  TenantId tenant;
  std::string name;  // unique within the tenant
  AgentKind kind = AgentKind::kHuman;
  Presence presence = Presence::kAvailable;
  std::vector<std::string> teams;
  std::vector<std::string> skills;
  std::vector<std::string> languages;
  // Default: one synchronous and five asynchronous conversations at once.
  AgentCapacity capacity;
};

// A change to an agent; what is not set stays as it is. Lowering the capacity below the
// current load takes nothing away: the agent gets no new work until the load falls below it.
struct AgentUpdate {
  std::optional<std::vector<std::string>> teams;
  std::optional<std::vector<std::string>> skills;
  std::optional<std::vector<std::string>> languages;
  std::optional<AgentCapacity> capacity;
};

// A change to a customer's profile; what is not set stays as it is.
struct CustomerUpdate {
  std::optional<std::string> display_name;
  std::map<std::string, std::string> set_attributes;  // added or replaced
  std::vector<std::string> erase_attributes;          // removed when present
  // How the customer wants to be contacted; replaces the stored preferences whole. Checked:
  // a known IANA time zone (required with quiet hours), quiet hours within a day and not empty,
  // a well-formed language tag, no channel kind twice. A change is a preference_change
  // touchpoint on the customer's timeline.
  std::optional<ContactPreferences> preferences;
};

struct NoteSpec {
  TenantId tenant;
  ConversationId conversation;
  AgentId agent;  // the author
  std::string body;
};

// An interaction an agent starts or logs on the conversation: a call, a video session.
struct InteractionSpec {
  TenantId tenant;
  ConversationId conversation;
  ChannelId channel;
  AgentId agent;
  TouchpointKind kind = TouchpointKind::kCall;  // kCall or kVideoSession
  std::string body;                             // summary or transcript
  std::optional<Timestamp> started_at;          // default: the engine clock's now()
  std::chrono::seconds duration{0};             // kept as metadata "duration_s" when > 0
};

struct HandoffSpec {
  TenantId tenant;
  ConversationId conversation;
  HandoffKind kind = HandoffKind::kChannelSwitch;
  HandoffMode mode = HandoffMode::kCold;
  std::optional<ChannelId> to_channel;  // required for kChannelSwitch and kSecureChannel
  std::optional<AgentId> from_agent;    // default: the current assignee
  std::optional<AgentId> to_agent;      // required for kAgentTransfer
  // Required for kTeamTransfer. kBotToHuman needs to_agent or to_team: without an agent the
  // conversation goes to the team's queue and routing finds it a member (keep bots out of teams
  // that take escalations).
  std::string to_team;
  std::string reason;  // required
  std::vector<std::string> open_questions;
  std::vector<std::string> tried;
};

// What Engine::deliver_due did.
struct DeliveryRun {
  std::size_t attempted = 0;  // adapter calls made
  std::size_t sent = 0;       // accepted by the provider
  std::size_t retrying = 0;   // failed transiently, due again later
  std::size_t failed = 0;     // failed permanently or out of attempts
};

class OMNI_EXPORT Engine {
 public:
  // Takes ownership of the store. Fails only for invalid options.
  static Result<std::unique_ptr<Engine>> open(std::unique_ptr<Store> store,
                                              EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // --- setup
  // `default_region` (ISO 3166 alpha-2) is where phone numbers written without a country code
  // are read ("0151 1234 5678" with "DE"); it cannot change later. kAlreadyExists for a taken name.
  Result<Tenant> create_tenant(const std::string& name, const std::string& default_region = "US");
  // Returns the tenant of that name, creating it (with the default region "US") when missing.
  Result<Tenant> ensure_tenant(const std::string& name);
  Result<Tenant> find_tenant(const std::string& name);
  Result<Channel> create_channel(const ChannelSpec& spec);
  // Returns the channel of that name (whatever its kind), creating it from spec when missing.
  Result<Channel> ensure_channel(const ChannelSpec& spec);
  Result<Channel> get_channel(TenantId tenant, ChannelId channel);
  // The tenant's profile for every channel of `kind` that has no profile of its own (nullopt:
  // back to default_profile(kind)); such channels follow it at once. kInvalidArgument for an
  // inconsistent profile (a length rule without a length, no parts).
  Status set_tenant_profile(TenantId tenant, ChannelKind kind,
                            const std::optional<ChannelProfile>& profile);
  // Gives one configured channel a profile of its own (nullopt: it follows the tenant's profile
  // for its kind again, or the default). Returns the channel as stored.
  Result<Channel> set_channel_profile(TenantId tenant, ChannelId channel,
                                      const std::optional<ChannelProfile>& profile);
  Result<std::vector<Channel>> list_channels(TenantId tenant);
  Result<Agent> create_agent(const AgentSpec& spec);
  Result<Agent> get_agent(TenantId tenant, AgentId agent);
  // Becoming available starts routing to the agent's free slots (RoutingPolicy::automatic);
  // any other presence withdraws the agent's outstanding offers (conversation.offer_withdrawn)
  // and routes those conversations on.
  Status set_presence(TenantId tenant, AgentId agent, Presence presence);
  Result<Agent> update_agent(TenantId tenant, AgentId agent, const AgentUpdate& update);
  Result<std::vector<Agent>> list_agents(TenantId tenant);

  // --- routing and SLA policies (see omni/routing.h, omni/sla.h)
  // The tenant's routing policy (`team` empty) or a team's own (nullopt: the team follows the
  // tenant's policy again). Without any, RoutingPolicy's defaults apply.
  Status set_routing_policy(TenantId tenant, const std::string& team,
                            const std::optional<RoutingPolicy>& policy);
  // The policy that applies to conversations of `team`.
  Result<RoutingPolicy> routing_policy(TenantId tenant, const std::string& team);
  // Adds or replaces the policy for (channel_kind, priority). Applies to conversations opened
  // from now on; running clocks keep the policy they started with. kInvalidArgument for a
  // negative target, a warning_ratio outside (0, 1] or invalid business hours (the field says
  // which).
  Status set_sla_policy(TenantId tenant, const SlaPolicy& policy);
  // kNotFound when there is no policy for exactly that (kind, priority).
  Status remove_sla_policy(TenantId tenant, std::optional<ChannelKind> kind,
                           std::optional<Priority> priority);
  // Every policy of the tenant, most specific last.
  Result<std::vector<SlaPolicy>> list_sla_policies(TenantId tenant);

  // The host's CRM (omni/crm.h), asked for a customer's CRM data by customer_view,
  // conversation_view, render_template, notify and every handoff's context packet. Borrowed: it
  // must outlive the engine (or be replaced first); nullptr removes it. Never called on the
  // receive path.
  void set_crm_provider(CrmContextProvider* provider);

  // Registers the adapter that sends on `channel`. Borrowed: it must outlive the engine (or be
  // replaced first). Registering again replaces the previous adapter.
  Status register_adapter(TenantId tenant, ChannelId channel, ChannelAdapter* adapter);

  // --- bots (omni/bot.h; docs/integration.md, "Bots")
  // Lets `responder` answer the conversations `bot_agent` holds (assigned or offered to it).
  // Borrowed: it must stay alive until unregister_bot returns or the engine is destroyed.
  // Registering again replaces the responder. kInvalidArgument for nullptr, kNotFound for an
  // unknown agent, kFailedPrecondition for an agent that is not AgentKind::kBot.
  Status register_bot(TenantId tenant, AgentId bot_agent, BotResponder* responder);
  // After it returns the responder is never called again (it waits for calls in flight on
  // other threads; so it must not be called from inside respond()). kNotFound when no responder
  // is registered for the agent.
  Status unregister_bot(TenantId tenant, AgentId bot_agent);
  // When a registered bot holds the conversation (its assignee, or an outstanding offer, which
  // the bot then accepts) and has not answered its newest inbound message yet: asks the bot,
  // outside every lock and transaction; sends its text as the bot agent's message through
  // send() (fit, consent and delivery apply; a bot's message is self-service and sets no
  // first_response_at); on escalate records a kBotToHuman handoff from the bot whose context
  // packet carries the transcript. Otherwise returns ran = false and changes nothing.
  // A bot error, exception (kInternal) or invalid reply (kInvalidArgument, field "bot.*")
  // changes nothing on the conversation, writes a bot.failed event and is returned. A failed
  // send of the text is returned after the escalation (when asked for) was recorded.
  Result<BotRun> run_bot(TenantId tenant, ConversationId conversation);

  // --- inbound
  // Resolves the customer by exact identity within the tenant (a new identity makes a new
  // customer), finds that customer's active conversation on any channel or opens one (reopening
  // a recently resolved one), appends the touchpoint and writes events: one transaction. The
  // same (channel, provider_message_id) is stored once; a repeat returns the first result with
  // duplicate = true. With EngineOptions::run_bots_on_receive a registered bot holding the
  // conversation then answers (run_bot); its outcome never changes receive()'s result.
  Result<ReceiveResult> receive(const InboundMessage& message);
  // Checks a message's content exactly as receive() does before it touches the store: provider
  // id, kind, sizes, UTF-8, metadata, attachments and the identity. Does not check that the
  // tenant and channel exist. An error names the offending field in Status::field().
  Status validate(const InboundMessage& message) const;

  // --- customers
  // Changes a customer's name or profile attributes (a merged id resolves to its survivor).
  // Returns the customer as stored.
  Result<Customer> update_customer(TenantId tenant, CustomerId customer,
                                   const CustomerUpdate& update);

  // --- consent (omni/contact.h)
  // Records the customer's consent for `change.channel_kind` on one address, or on every address
  // that can receive on that kind. Each change is a preference_change touchpoint on the timeline
  // and a consent.changed event. Returns the consents as stored. kNotFound for an address that
  // is not the customer's; kFailedPrecondition when the customer has no address for the kind.
  Result<std::vector<Consent>> set_consent(const ConsentChange& change);
  // Every consent of the customer's addresses.
  Result<std::vector<Consent>> list_consents(TenantId tenant, CustomerId customer);

  // --- identities
  // The stored identity an identity as written resolves to (normalized as receive() does), and
  // so its customer; kNotFound when it is unknown.
  Result<Identity> find_identity(TenantId tenant, const IdentityInput& identity);
  // Links an identity to an existing customer: the host knows they are the same person (a
  // verified login, Messenger account linking, the CRM's own contact record). Later messages
  // from that identity resolve to the customer. Linking an identity the customer already has
  // returns it unchanged; one that belongs to another customer is kAlreadyExists (merging two
  // customers is a separate, explicit step).
  Result<Identity> link_identity(TenantId tenant, CustomerId customer,
                                 const IdentityInput& identity, bool verified,
                                 const std::string& source);

  // Likely duplicates of one customer, with the evidence and a score, highest first: the same full
  // name (and phone numbers of the same country), the same email local part at another domain,
  // or a phone number or email address written in one of the customer's recent messages that
  // belongs to another customer. Suggestions only: nothing is merged.
  Result<std::vector<DuplicateSuggestion>> suggest_duplicates(TenantId tenant, CustomerId customer,
                                                              std::size_t limit = 20);
  // The suggestions of every customer with an id greater than `after`, a page of at most
  // `limit` customers examined (each pair is listed once, under its lower id). `next` is set to
  // the last examined customer; pass it as `after` for the next page, until it comes back unset.
  Result<std::vector<DuplicateSuggestion>> find_duplicates(TenantId tenant, CustomerId after,
                                                           std::size_t limit,
                                                           std::optional<CustomerId>* next);

  // Merges customer `merged` into `survivor` in one transaction: identities, conversations
  // (with their touchpoints, notes and handoffs) and touchpoints move to the survivor. Attributes
  // the survivor lacks are copied; differing ones are kept on both sides and reported as
  // conflicts. `merged` stays as a redirect (its id still resolves to the survivor) and the
  // returned audit record says who merged, when and why. When both have an active conversation,
  // the survivor's stays joinable and the other stays active beside it. kFailedPrecondition for
  // a customer that is already merged, or the same customer twice.
  Result<MergeRecord> merge_customers(const MergeSpec& spec);
  // Undoes the merge that made `merged` a redirect: its identities, conversations and
  // touchpoints go back to it, and so does what arrived through its identities since (a
  // conversation such a message opened goes back whole). Attributes copied by the merge are
  // removed from the survivor unless they changed. Merges are undone newest first: while the
  // survivor is itself merged into another customer, kFailedPrecondition.
  Result<UnmergeResult> unmerge_customer(TenantId tenant, CustomerId merged,
                                         const std::string& actor);
  // The merges `customer` took part in (as survivor or as merged), oldest first.
  Result<std::vector<MergeRecord>> list_merges(TenantId tenant, CustomerId customer);

  // --- reply templates (omni/templates.h), kept per tenant
  // Adds or replaces the template of that key; checked with validate_template().
  Status put_template(TenantId tenant, const ReplyTemplate& t);
  Result<ReplyTemplate> get_template(TenantId tenant, const std::string& key);
  Status remove_template(TenantId tenant, const std::string& key);     // kNotFound if none
  Result<std::vector<ReplyTemplate>> list_templates(TenantId tenant);  // by key
  // Renders a template for a conversation on a channel (the conversation's current one by
  // default): picks the variant for the channel's kind and the language, fills the
  // placeholders and reports the fit (length, SMS segments) before anything is sent. Built-in
  // placeholders: customer.name, customer.first_name, customer.id, customer.attributes.<key>,
  // conversation.id, conversation.subject, conversation.priority, agent.name,
  // agent.first_name, channel.name, channel.kind, crm.system, crm.record_id,
  // crm.account_status, crm.fields.<key>, crm.order.<id|title|status|date|amount|url> (the
  // newest order), crm.orders.<i>.<...>, crm.contract.<...>, crm.contracts.<i>.<...>. Missing
  // CRM data leaves the crm.* placeholders without a value (their fallbacks apply).
  Result<RenderedReply> render_template(const RenderRequest& request);

  // --- proactive contact (omni/contact.h)
  // Notifies the customer on the channel that suits them best: from the configured channels,
  // those that can carry a written message, reach one of the customer's addresses, have the
  // address's consent where required, have an adapter in this process and fit the rendered text;
  // ranked by the customer's preferences, urgency, quiet hours and cost. The choice and its
  // reasons are recorded with the outbound touchpoint (metadata "notification_*") and in a
  // notification.queued event. In quiet hours the message waits for their end (deliver_due()
  // sends it then); otherwise it is sent at once, as send() does. kFailedPrecondition when no
  // channel qualifies; the message then says why for each.
  Result<NotificationResult> notify(const NotificationRequest& request);
  // Recommends the channel for a follow-up, with the reasons: preferences, consent, urgency
  // (synchronous channels first when it is urgent), sensitivity (secure channels only), quiet
  // hours. Records nothing.
  Result<ChannelChoice> recommend_channel(const FollowUpRequest& request);

  // --- agent work
  // Records the reply as queued together with a pending delivery (one transaction: the
  // outbox), hands it to the channel's adapter (outside any lock or transaction) and records the
  // outcome. A reply longer than the channel's profile allows (more SMS segments than max_parts,
  // an X post over 280 weighted characters, see omni/fit.h) is refused first with
  // kResourceExhausted, field "body", and nothing is recorded; SMS replies record their
  // encoding and segment count in the touchpoint's metadata ("sms_encoding", "sms_segments").
  // Returns the touchpoint: kSent (or what the adapter reported) when the provider
  // accepted it; kQueued when the adapter failed transiently and deliver_due() will retry it.
  // A permanent failure marks the touchpoint kFailed, adds a status line to the conversation's
  // timeline and returns the adapter's Status.
  Result<Touchpoint> send(const OutboundMessage& message);
  // Attempts the tenant's due deliveries: retries after transient failures, and messages whose
  // sending engine died mid-send (after delivery_lease). At most `limit`, soonest due first.
  // Call it periodically from a host worker (every few seconds); several engines, also in
  // several processes, may call it at once: each delivery is attempted by one of them.
  Result<DeliveryRun> deliver_due(TenantId tenant, std::size_t limit = 100);
  // A provider's status callback for an outbound message.
  Status update_delivery_status(TenantId tenant, ChannelId channel,
                                const std::string& provider_message_id, DeliveryStatus status);
  Result<Touchpoint> add_note(const NoteSpec& note);
  Result<Touchpoint> log_interaction(const InteractionSpec& interaction);
  // Assigns an active conversation to an agent directly (a supervisor's choice: presence and
  // requirements are not checked, capacity is). Withdraws an outstanding offer. kResourceExhausted
  // when the agent has no free slot of the conversation's class.
  Status assign(TenantId tenant, ConversationId conversation, AgentId agent);
  // Sets a conversation's team, language, skills or priority, and routes it again when it is
  // waiting. A new priority picks the SLA policy anew (deadlines are recomputed from the clocks'
  // start).
  Result<Conversation> set_routing(TenantId tenant, ConversationId conversation,
                                   const RoutingRequirements& requirements);

  // --- routing. Every decision runs in one store transaction that reads the agents' load and
  // writes the offer or assignment, so a conversation is never offered or assigned twice and
  // no agent gets more than its capacity, however many threads or processes route at once.
  // Offers a waiting conversation to the best eligible agent (or assigns it: offer_timeout 0).
  // A conversation that is not waiting comes back kNotWaiting, unchanged.
  Result<RoutingDecision> route(TenantId tenant, ConversationId conversation);
  // Fills an available agent's free slots from the queue: the conversations reserved for the
  // agent (sticky) first, then by priority and waiting time among those the agent is eligible
  // for. Returns one decision per conversation offered or assigned.
  Result<std::vector<RoutingDecision>> fill(TenantId tenant, AgentId agent);
  // The agent takes the conversation offered to them: it is assigned. kFailedPrecondition when
  // it is not (or no longer) offered to this agent.
  Result<Conversation> accept_offer(TenantId tenant, ConversationId conversation, AgentId agent);
  // The agent declines; the conversation goes to the next eligible agent (the decliner is passed
  // over while another is free). Returns that routing decision.
  Result<RoutingDecision> decline_offer(TenantId tenant, ConversationId conversation, AgentId agent,
                                        const std::string& reason);
  // Handles what has fallen due by the clock's now(), in the order it fell due: expired offers
  // (offered to the next agent), sticky waits that ended (routed to any eligible agent), SLA
  // warnings and breaches (events sla.warning and sla.breached whose created_at is the exact
  // instant they fell due, not the time of this call). At most `limit` conversations per call.
  // Call it from a host worker at next_due(), or every second.
  Result<TimerRun> run_due(TenantId tenant, std::size_t limit = 100);
  // When run_due next has something to do; unset when nothing is scheduled.
  Result<std::optional<Timestamp>> next_due(TenantId tenant);
  Result<Handoff> record_handoff(const HandoffSpec& spec);
  // The receiving agent confirms it read the context packet; a warm transfer takes effect now.
  Result<Handoff> acknowledge_handoff(TenantId tenant, HandoffId handoff, AgentId agent);
  Status set_pending(TenantId tenant, ConversationId conversation);
  Status resolve(TenantId tenant, ConversationId conversation);
  Status reopen(TenantId tenant, ConversationId conversation);
  Status close(TenantId tenant, ConversationId conversation);
  // Merges conversation `merged` into `survivor`, both of one customer: its touchpoints and
  // handoffs move over, it is closed with merged_into set, and both timelines say so. The
  // survivor keeps its status; its first response is the earlier of the two. Not undone by an
  // unmerge of customers (a touchpoint that must go back to another customer then continues in a
  // conversation of that customer). kFailedPrecondition for a closed survivor or the same
  // conversation twice.
  Result<Conversation> merge_conversations(TenantId tenant, ConversationId survivor,
                                           ConversationId merged, const std::string& actor,
                                           const std::string& reason);

  // --- customer satisfaction (omni/csat.h; docs/integration.md, "Customer satisfaction")
  // Records the customer's survey answer for a conversation (of any status): one current answer
  // per conversation, a later one replaces it. The agent defaults to the conversation's
  // assignee, the channel kind to its current channel's. A csat.recorded event (score, agent,
  // replaced); nothing on the timeline. kInvalidArgument for a score outside 1..5 (field
  // "score") or a comment that is not UTF-8, kResourceExhausted for one over 2 KiB (field
  // "comment"), kNotFound for a conversation or agent not of the tenant.
  Result<CsatResponse> record_csat(const CsatAnswer& answer);
  // The conversation's current answer; kNotFound when it has none.
  Result<CsatResponse> get_csat(TenantId tenant, ConversationId conversation);
  // Count, average, distribution and CSAT% (share of 4 and 5) of the answers with responded_at
  // in [from, to), optionally of one agent and one channel kind. Computed in the store.
  // kInvalidArgument when `to` is before `from`.
  Result<CsatSummary> csat_summary(const CsatQuery& query);

  // --- knowledge base (omni/knowledge.h: folding rules, deflection)
  // Inserts the article, or replaces the tenant's article of the same slug (keeping its id and
  // created_at; the search index follows at once). Checked: slug (1-128 bytes of a-z, 0-9, '.',
  // '_', '-'), language (1-35 bytes of letters, digits, '-'), title (required, 512 bytes), body
  // (256 KiB), tags (at most 32 of 1-64 bytes). Returns the article as stored; writes an
  // article.put event.
  Result<Article> put_article(const Article& article);
  Result<Article> get_article(TenantId tenant, ArticleId article);
  Result<Article> find_article(TenantId tenant, const std::string& slug);
  // Deletes the article (to hide it but keep it, put it with published = false); an
  // article.removed event. kNotFound if none.
  Status remove_article(TenantId tenant, ArticleId article);
  // Published articles of the tenant that match the query's words, best first. The text is
  // never read as query syntax; a text without words finds nothing (not an error). Records
  // nothing (see record_search).
  Result<std::vector<ArticleHit>> search_articles(const ArticleQuery& query);
  // Articles that may answer a customer's message: the words of its subject and body without
  // common German and English stop words, any of them matching, best first. `language`
  // restricts them to one language.
  Result<std::vector<ArticleHit>> suggest_articles(TenantId tenant, const std::string& text,
                                                   std::size_t limit = 3,
                                                   const std::optional<std::string>& language = {});
  Result<std::vector<ArticleHit>> suggest_articles(const InboundMessage& message,
                                                   std::size_t limit = 3);
  // Records that the visitor read the article: a kKnowledgeBaseView touchpoint on the
  // customer's timeline, in no conversation (none is opened or joined), with metadata
  // kb_action "view", article_id and article_slug, and a touchpoint.added event.
  Result<Touchpoint> record_article_view(const KnowledgeBaseVisitor& visitor, ArticleId article);
  // Records that the visitor searched the knowledge base: a kKnowledgeBaseView touchpoint like
  // a view, with metadata kb_action "search", search_query (the text, at most 1 KiB) and
  // search_hits. Searches and views both count as self-service attempts for deflection().
  Result<Touchpoint> record_search(const KnowledgeBaseVisitor& visitor, const std::string& query,
                                   std::size_t hits);
  // Self-service attempts in [from, to) and how many were followed by a new conversation of the
  // same customer within `window` (DeflectionReport says exactly). Counted in the store.
  Result<DeflectionReport> deflection(TenantId tenant, Timestamp from, Timestamp to,
                                      std::chrono::seconds window = std::chrono::hours(24));

  // --- metrics (omni/metrics.h; docs/metrics.md defines every number). Computed inside the
  // store in one read transaction, never by loading the history. kInvalidArgument when from is
  // not before to, the zone is unknown, or the range has more than 1000 buckets.
  Result<MetricsReport> metrics(const MetricsQuery& query);
  // Inbound touchpoints per channel kind of one customer, or of the customers with the most.
  Result<std::vector<CustomerChannels>> preferred_channels(const PreferredChannelsQuery& query);

  // --- reads
  // The customer and what an agent sees of it; a merged id resolves to its survivor.
  Result<CustomerView> customer_view(TenantId tenant, CustomerId customer);
  // The customer record itself, without following a merge (a merged customer comes back with
  // merged_into set).
  Result<Customer> get_customer(TenantId tenant, CustomerId customer);
  Result<std::vector<Customer>> list_customers(TenantId tenant, CustomerId after = CustomerId(),
                                               std::size_t limit = 100);
  Result<TimelinePage> timeline(const TimelineQuery& query);
  Result<ConversationView> conversation_view(TenantId tenant, ConversationId conversation);
  Result<Handoff> get_handoff(TenantId tenant, HandoffId handoff);
  Result<std::vector<Event>> events(TenantId tenant, std::int64_t after, std::size_t limit = 100);

  // --- event consumers (omni/event.h; docs/integration.md, "Consume events")
  // A durable consumer is a named cursor in the tenant's outbox, kept in the store (a tenant
  // setting), so it survives the process. Names are 1..64 characters of [a-z0-9._-]
  // (kInvalidArgument, field "consumer"); the same name in two tenants is two consumers.
  // Delivery is at least once: poll, process, then acknowledge; a consumer that dies before
  // acknowledging gets the same events again. A consumer sees the outbox in commit order, so the
  // events of one conversation (or customer) arrive in the order they happened. Every consumer
  // sees every event: two names are two independent cursors (to share work, partition it on
  // your side, e.g. by conversation id). kNotFound for an unknown tenant.

  // Creates a consumer that starts at the beginning of the outbox or after its newest event.
  // kAlreadyExists when the name is taken. Not needed for kBeginning: a consumer nobody created
  // reads from the beginning and is recorded by its first ack_events.
  Result<ConsumerPosition> add_consumer(TenantId tenant, const std::string& consumer,
                                        ConsumerStart start = ConsumerStart::kBeginning);
  // The next events after the consumer's acknowledged sequence, ascending, at most limit
  // (1..EngineOptions::max_page_size). Moves nothing: polling again without ack_events returns
  // the same events (and any committed since).
  Result<std::vector<Event>> poll_events(TenantId tenant, const std::string& consumer,
                                         std::size_t limit = 100);
  // Durably moves the consumer's cursor to `through_sequence` (usually the last processed
  // event's sequence): later polls return only events after it. Idempotent and monotonic:
  // acknowledging at or below the current position changes nothing and succeeds (a retried or
  // late ack is harmless). kInvalidArgument for a negative sequence or one beyond the tenant's
  // newest event. Records a consumer that did not exist yet.
  Status ack_events(TenantId tenant, const std::string& consumer, std::int64_t through_sequence);
  // kNotFound for a consumer that was never created nor acknowledged anything.
  Result<ConsumerPosition> consumer_position(TenantId tenant, const std::string& consumer);
  // The tenant's consumers, ascending by name.
  Result<std::vector<ConsumerPosition>> list_consumers(TenantId tenant);
  // Forgets the consumer's cursor (kNotFound if none): the name reads from the beginning again.
  Status remove_consumer(TenantId tenant, const std::string& consumer);

  // --- in-process observers (omni/event_observer.h)
  // Calls `observer` with the tenant's events committed from now on (after the newest event at
  // this call), on the engine's dispatcher thread: started with the first observer, woken by
  // every committed write of this engine and polling every EngineOptions::event_poll_interval
  // for writes of other processes sharing the store; joined when the engine is destroyed.
  // Borrowed: it must stay alive until remove_observer returns or the engine is destroyed.
  // kAlreadyExists when it is already registered for the tenant; kInvalidArgument for nullptr.
  Status add_observer(TenantId tenant, EventObserver* observer);
  // After it returns, `observer` is never called again for the tenant: it waits for a callback
  // in flight on another thread. Called from inside a callback (on the dispatcher thread) it
  // does not wait; the running callback finishes and no later one starts. kNotFound when it is
  // not registered for the tenant.
  Status remove_observer(TenantId tenant, EventObserver* observer);

  const EngineOptions& options() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace omni
