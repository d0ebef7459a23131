// The Engine: validation, identity resolution, conversation threading and the write path. Every
// operation runs in one store transaction (run_write / run_read), retried on kConflict, and
// converts whatever host code throws into a Status.
#include "omni/engine.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>
#include <type_traits>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "contact_policy.h"
#include "engine_impl.h"
#include "identity.h"
#include "internal/macros.h"

namespace omni {
using namespace engine_internal;
Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() {
  // Observers are host code that may call back into the engine: stop them first.
  if (impl_ && impl_->dispatcher) impl_->dispatcher->stop();
}

Result<std::unique_ptr<Engine>> Engine::open(std::unique_ptr<Store> store, EngineOptions options) {
  if (!store) return Status::invalid_argument("store is null");
  if (options.max_body_bytes == 0) return Status::invalid_argument("max_body_bytes is 0");
  if (options.max_page_size == 0) return Status::invalid_argument("max_page_size is 0");
  if (options.max_conflict_retries < 0) {
    return Status::invalid_argument("max_conflict_retries is negative");
  }
  auto impl = std::make_unique<Impl>();
  impl->store = std::move(store);
  impl->options = options;
  impl->clock = options.clock ? options.clock : &impl->system_clock;
  if (options.crm_timeout.count() <= 0) return Status::invalid_argument("crm_timeout must be > 0");
  if (options.crm_cache_ttl.count() < 0)
    return Status::invalid_argument("crm_cache_ttl is negative");
  detail::CrmFetcherOptions crm;
  crm.timeout = options.crm_timeout;
  crm.cache_ttl = options.crm_cache_ttl;
  crm.workers = options.crm_workers;
  impl->crm_fetcher = std::make_unique<detail::CrmFetcher>(crm);
  if (options.event_poll_interval.count() <= 0) {
    return Status::invalid_argument("event_poll_interval must be > 0");
  }
  Impl* raw = impl.get();
  impl->dispatcher = std::make_unique<detail::EventDispatcher>(
      [raw](TenantId tenant, std::int64_t after, std::size_t limit) {
        return raw->run_read(
            [&](StoreTransaction& tx) { return tx.list_events(tenant, after, limit); });
      },
      options.event_poll_interval, options.max_page_size);
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

const EngineOptions& Engine::options() const {
  return impl_->options;
}

// ---------------------------------------------------------------------------------- setup

Result<Tenant> Engine::create_tenant(const std::string& name, const std::string& default_region) {
  OMNI_RETURN_IF_ERROR(check_required_text("name", name, kMaxNameBytes));
  if (default_region.size() != 2 || !std::isupper(static_cast<unsigned char>(default_region[0])) ||
      !std::isupper(static_cast<unsigned char>(default_region[1]))) {
    return Status::invalid_argument("default region must be an ISO 3166 alpha-2 code such as DE");
  }
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Tenant> {
    Tenant t;
    t.name = name;
    t.default_region = default_region;
    t.created_at = impl_->now();
    OMNI_ASSIGN_OR_RETURN(t.id, tx.insert_tenant(t));
    return t;
  });
}

Result<Tenant> Engine::ensure_tenant(const std::string& name) {
  auto found = find_tenant(name);
  if (found.ok() || !found.status().is(StatusCode::kNotFound)) return found;
  auto created = create_tenant(name);
  if (created.status().is(StatusCode::kAlreadyExists)) return find_tenant(name);  // lost a race
  return created;
}

Result<Tenant> Engine::find_tenant(const std::string& name) {
  return impl_->run_read([&](StoreTransaction& tx) { return tx.find_tenant(name); });
}

namespace {

// A profile the fitting and routing code can rely on.
Status check_profile(const ChannelProfile& p) {
  if (p.length_rule != LengthRule::kUnlimited && p.length_rule != LengthRule::kSmsSegments &&
      p.max_length == 0) {
    return Status::invalid_argument("a profile with a length rule needs max_length > 0")
        .with_field("profile.max_length");
  }
  if (p.max_parts == 0) {
    return Status::invalid_argument("max_parts must be at least 1").with_field("profile.max_parts");
  }
  if (p.expected_first_response.count() < 0) {
    return Status::invalid_argument("expected_first_response is negative")
        .with_field("profile.expected_first_response");
  }
  return Status();
}

// The profile a channel without its own follows.
Result<ChannelProfile> inherited_profile(StoreTransaction& tx, TenantId tenant, ChannelKind kind) {
  auto profile = tx.find_tenant_profile(tenant, kind);
  if (profile.status().is(StatusCode::kNotFound)) return default_profile(kind);
  return profile;
}

}  // namespace

Result<Channel> Engine::create_channel(const ChannelSpec& spec) {
  OMNI_RETURN_IF_ERROR(check_required_text("name", spec.name, kMaxNameBytes));
  if (spec.profile) OMNI_RETURN_IF_ERROR(check_profile(*spec.profile));
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Channel> {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(spec.tenant).status());
    Channel c;
    c.tenant = spec.tenant;
    c.kind = spec.kind;
    c.name = spec.name;
    c.own_profile = spec.profile.has_value();
    if (spec.profile) {
      c.profile = *spec.profile;
    } else {
      OMNI_ASSIGN_OR_RETURN(c.profile, inherited_profile(tx, spec.tenant, spec.kind));
    }
    c.created_at = impl_->now();
    OMNI_ASSIGN_OR_RETURN(c.id, tx.insert_channel(c));
    return c;
  });
}

Status Engine::set_tenant_profile(TenantId tenant, ChannelKind kind,
                                  const std::optional<ChannelProfile>& profile) {
  if (profile) OMNI_RETURN_IF_ERROR(check_profile(*profile));
  return impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    if (profile) {
      OMNI_RETURN_IF_ERROR(tx.put_tenant_profile(tenant, kind, *profile));
    } else {
      Status deleted = tx.delete_tenant_profile(tenant, kind);
      if (!deleted.ok() && !deleted.is(StatusCode::kNotFound)) return deleted;
    }
    const ChannelProfile effective = profile.value_or(default_profile(kind));
    OMNI_ASSIGN_OR_RETURN(auto channels, tx.list_channels(tenant));
    for (Channel& c : channels) {
      if (c.kind != kind || c.own_profile) continue;
      c.profile = effective;
      OMNI_RETURN_IF_ERROR(tx.update_channel(c));
    }
    return Impl::event(tx, tenant, std::nullopt, std::nullopt, "channel.profile_changed",
                       Payload().add("kind", to_string(kind)).add("scope", "tenant").str(),
                       impl_->now());
  });
}

Result<Channel> Engine::set_channel_profile(TenantId tenant, ChannelId channel,
                                            const std::optional<ChannelProfile>& profile) {
  if (profile) OMNI_RETURN_IF_ERROR(check_profile(*profile));
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Channel> {
    OMNI_ASSIGN_OR_RETURN(Channel c, tx.get_channel(tenant, channel));
    c.own_profile = profile.has_value();
    if (profile) {
      c.profile = *profile;
    } else {
      OMNI_ASSIGN_OR_RETURN(c.profile, inherited_profile(tx, tenant, c.kind));
    }
    OMNI_RETURN_IF_ERROR(tx.update_channel(c));
    OMNI_RETURN_IF_ERROR(
        Impl::event(tx, tenant, std::nullopt, std::nullopt, "channel.profile_changed",
                    Payload().add("channel", c.id).add("scope", "channel").str(), impl_->now()));
    return c;
  });
}

Result<Channel> Engine::ensure_channel(const ChannelSpec& spec) {
  auto found = impl_->run_read(
      [&](StoreTransaction& tx) { return tx.find_channel(spec.tenant, spec.name); });
  if (found.ok() || !found.status().is(StatusCode::kNotFound)) return found;
  auto created = create_channel(spec);
  if (created.status().is(StatusCode::kAlreadyExists)) {
    return impl_->run_read(
        [&](StoreTransaction& tx) { return tx.find_channel(spec.tenant, spec.name); });
  }
  return created;
}

Result<Channel> Engine::get_channel(TenantId tenant, ChannelId channel) {
  return impl_->run_read([&](StoreTransaction& tx) { return tx.get_channel(tenant, channel); });
}

Result<std::vector<Channel>> Engine::list_channels(TenantId tenant) {
  return impl_->run_read([&](StoreTransaction& tx) { return tx.list_channels(tenant); });
}

Result<Agent> Engine::create_agent(const AgentSpec& spec) {
  OMNI_RETURN_IF_ERROR(check_required_text("name", spec.name, kMaxNameBytes));
  if (spec.capacity.synchronous < 0 || spec.capacity.asynchronous < 0) {
    return Status::invalid_argument("capacity is negative").with_field("capacity");
  }
  auto created = impl_->run_write([&](StoreTransaction& tx) -> Result<Agent> {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(spec.tenant).status());
    Agent a;
    a.tenant = spec.tenant;
    a.name = spec.name;
    a.kind = spec.kind;
    a.presence = spec.presence;
    a.teams = spec.teams;
    a.skills = spec.skills;
    a.languages = spec.languages;
    a.capacity = spec.capacity;
    a.created_at = impl_->now();
    OMNI_ASSIGN_OR_RETURN(a.id, tx.insert_agent(a));
    OMNI_RETURN_IF_ERROR(tx.append_agent_activity(
        AgentActivity{a.tenant, a.id, a.created_at, a.presence, AgentLoad()}));
    return a;
  });
  if (created.ok() && created->presence == Presence::kAvailable) {
    impl_->refill(spec.tenant, created->id);
  }
  return created;
}

Result<Agent> Engine::get_agent(TenantId tenant, AgentId agent) {
  return impl_->run_read([&](StoreTransaction& tx) { return tx.get_agent(tenant, agent); });
}

Status Engine::set_presence(TenantId tenant, AgentId agent, Presence presence) {
  Status status = impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_ASSIGN_OR_RETURN(Agent a, tx.get_agent(tenant, agent));
    const Timestamp now = impl_->now();
    if (a.presence != presence) {
      a.presence = presence;
      OMNI_RETURN_IF_ERROR(tx.update_agent(a));
      OMNI_RETURN_IF_ERROR(
          tx.append_agent_activity(AgentActivity{tenant, agent, now, a.presence, a.load}));
    }
    if (presence == Presence::kAvailable) return Status();
    return impl_->withdraw_offers(tx, tenant, agent, now);
  });
  if (status.ok() && presence == Presence::kAvailable) impl_->refill(tenant, agent);
  return status;
}

Status Engine::register_adapter(TenantId tenant, ChannelId channel, ChannelAdapter* adapter) {
  if (!adapter) return Status::invalid_argument("adapter is null");
  OMNI_ASSIGN_OR_RETURN(Channel c, get_channel(tenant, channel));
  ChannelCapabilities caps;
  try {
    caps = adapter->capabilities();
  } catch (...) {
    return Status::internal("adapter threw from capabilities()");
  }
  if (std::find(caps.kinds.begin(), caps.kinds.end(), c.kind) == caps.kinds.end()) {
    return Status::invalid_argument("adapter cannot send on " + std::string(to_string(c.kind)) +
                                    " channels");
  }
  std::unique_lock lock(impl_->adapters_mutex);
  impl_->adapters[{tenant.value(), channel.value()}] = adapter;
  return Status();
}

// ---------------------------------------------------------------------------------- receive

Status Engine::validate(const InboundMessage& m) const {
  // A tenant that does not exist yet gets the default region of create_tenant().
  detail::NormalizationPolicy policy;
  policy.email_local_part_case_insensitive = impl_->options.email_local_part_case_insensitive;
  policy.cache = &impl_->normalization_cache;
  if (m.tenant.valid()) {
    auto known = impl_->policy_for(m.tenant);
    if (known.ok()) {
      policy = *known;
    } else if (!known.status().is(StatusCode::kNotFound)) {
      return known.status();
    }
  }
  return impl_->validate(m, policy).status();
}

Result<detail::NormalizedIdentity> Engine::Impl::validate(
    const InboundMessage& m, const detail::NormalizationPolicy& policy) const {
  const EngineOptions& o = options;
  OMNI_RETURN_IF_ERROR(
      check_required_text("provider_message_id", m.provider_message_id, kMaxProviderIdBytes));
  if (!is_inbound_kind(m.kind)) {
    return Status::invalid_argument("touchpoint kind " + std::string(to_string(m.kind)) +
                                    " cannot be received from a customer")
        .with_field("kind");
  }
  OMNI_RETURN_IF_ERROR(check_text("body", m.body, o.max_body_bytes));
  OMNI_RETURN_IF_ERROR(check_text("subject", m.subject, kMaxSubjectBytes));
  OMNI_RETURN_IF_ERROR(check_text("display_name", m.display_name, kMaxNameBytes));
  if (m.routing) OMNI_RETURN_IF_ERROR(check_requirements(*m.routing, "routing."));
  if (m.body.empty() && m.subject.empty() && m.attachments.empty() &&
      m.kind == TouchpointKind::kMessageIn) {
    return Status::invalid_argument("message has no body, subject or attachment")
        .with_field("body");
  }
  if (m.metadata.size() > kMaxMetadataEntries) {
    return Status::resource_exhausted("more than 64 metadata entries").with_field("metadata");
  }
  for (const auto& [key, value] : m.metadata) {
    if (key.empty())
      return Status::invalid_argument("a metadata key is empty").with_field("metadata");
    OMNI_RETURN_IF_ERROR(check_text("metadata", key, kMaxNameBytes));
    OMNI_RETURN_IF_ERROR(check_text("metadata." + key, value, kMaxMetadataBytes));
  }
  if (m.attachments.size() > kMaxAttachments) {
    return Status::resource_exhausted("more than 100 attachments").with_field("attachments");
  }
  for (std::size_t i = 0; i < m.attachments.size(); ++i) {
    const std::string at = "attachments[" + std::to_string(i) + "].";
    OMNI_RETURN_IF_ERROR(check_text(at + "filename", m.attachments[i].filename, kMaxNameBytes));
    OMNI_RETURN_IF_ERROR(
        check_text(at + "content_type", m.attachments[i].content_type, kMaxNameBytes));
  }
  if (m.references.size() > kMaxReferences) {
    return Status::resource_exhausted("more than 50 references").with_field("references");
  }
  for (std::size_t i = 0; i < m.references.size(); ++i) {
    OMNI_RETURN_IF_ERROR(check_required_text("references[" + std::to_string(i) + "]",
                                             m.references[i], kMaxProviderIdBytes));
  }
  return detail::normalize_identity(m.from, policy);
}

Result<ReceiveResult> Engine::Impl::receive_message(const InboundMessage& m) {
  if (!m.tenant.valid()) return Status::invalid_argument("tenant is not set").with_field("tenant");
  if (!m.channel.valid()) {
    return Status::invalid_argument("channel is not set").with_field("channel");
  }
  OMNI_ASSIGN_OR_RETURN(detail::NormalizationPolicy policy, policy_for(m.tenant));
  OMNI_ASSIGN_OR_RETURN(detail::NormalizedIdentity from, validate(m, policy));

  for (int attempt = 0;; ++attempt) {
    auto result = run_write([&](StoreTransaction& tx) -> Result<ReceiveResult> {
      auto received = receive_in(tx, m, from, now());
      // With a shared database a concurrent receive may insert the same identity or conversation
      // between our read and our write; retrying sees its row.
      if (received.status().is(StatusCode::kAlreadyExists) &&
          received.status().field() != "provider_message_id") {
        return Status::conflict(received.status().message());
      }
      return received;
    });
    if (!result.status().is(StatusCode::kAlreadyExists)) return result;

    // A redelivery: this attempt's writes were rolled back; report the first delivery.
    auto first = run_read([&](StoreTransaction& tx) {
      return tx.find_touchpoint(m.tenant, m.channel, m.provider_message_id);
    });
    if (first.ok()) {
      ReceiveResult out;
      out.duplicate = true;
      out.touchpoint = first->id;
      out.customer = first->customer;
      if (first->conversation) out.conversation = *first->conversation;
      return out;
    }
    if (!first.status().is(StatusCode::kNotFound)) return first.status();
    // The first delivery is not visible to this reader (it was rolled back meanwhile): retry.
    if (attempt >= options.max_conflict_retries) {
      return Status::conflict("provider message id '" + m.provider_message_id +
                              "' is taken by a touchpoint this reader cannot see");
    }
  }
}

Result<ReceiveResult> Engine::receive(const InboundMessage& m) {
  auto received = impl_->receive_message(m);
  // Self-service first: a bot holding the conversation answers now, after the message is
  // committed. Its outcome (a bot.failed event on error) never changes receive()'s result.
  // (A knowledge-base view or a consent keyword may have joined no conversation.)
  if (received.ok() && !received->duplicate && received->conversation.valid() &&
      impl_->options.run_bots_on_receive && impl_->has_bots(m.tenant)) {
    (void)run_bot(m.tenant, received->conversation);
  }
  return received;
}

Result<std::optional<Conversation>> Engine::Impl::conversation_by_reference(
    StoreTransaction& tx, const InboundMessage& m, CustomerId customer, const Channel& channel,
    Timestamp occurred, Timestamp now_ts, ReceiveResult& out) {
  for (const std::string& reference : m.references) {
    auto earlier = tx.find_touchpoint(m.tenant, m.channel, reference);
    if (earlier.status().is(StatusCode::kNotFound)) continue;
    OMNI_RETURN_IF_ERROR(earlier.status());
    // Never into another customer's case: a forwarded thread or a forged reference is an
    // ordinary new message (merge the customers when they are one person).
    if (earlier->customer != customer || !earlier->conversation) continue;
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(m.tenant, *earlier->conversation));
    if (c.merged_into) {
      OMNI_ASSIGN_OR_RETURN(c, tx.get_conversation(m.tenant, *c.merged_into));
    }
    // A reply to a closed case starts a new one, as any later message does.
    if (c.status == ConversationStatus::kClosed || c.customer != customer) {
      return std::optional<Conversation>();
    }
    if (c.status == ConversationStatus::kPending) {
      c.status = ConversationStatus::kOpen;
      OMNI_RETURN_IF_ERROR(event(tx, m.tenant, customer, c.id, "conversation.status_changed",
                                 Payload().add("from", "pending").add("to", "open").str(), now_ts));
    } else if (c.status == ConversationStatus::kResolved) {
      // A reply in the thread of a resolved case reopens it, however long ago it was resolved;
      // it stays beside another active case the customer opened meanwhile.
      auto active = tx.find_active_conversation(m.tenant, customer);
      if (!active.ok() && !active.status().is(StatusCode::kNotFound)) return active.status();
      c.status = ConversationStatus::kOpen;
      c.joinable = !active.ok();
      c.resolved_at.reset();
      c.reopen_count += 1;
      out.reopened = true;
      OMNI_RETURN_IF_ERROR(
          add_status_touchpoint(tx, c, channel.kind, "reopened by the customer's reply", occurred));
      OMNI_RETURN_IF_ERROR(event(tx, m.tenant, customer, c.id, "conversation.reopened",
                                 Payload().add("by", "customer").add("reference", reference).str(),
                                 now_ts));
    }
    return std::optional<Conversation>(std::move(c));
  }
  return std::optional<Conversation>();
}

Result<ReceiveResult> Engine::Impl::receive_in(StoreTransaction& tx, const InboundMessage& m,
                                               const detail::NormalizedIdentity& from,
                                               Timestamp now_ts) {
  ReceiveResult out;
  // Channels are tenant-scoped: an unknown tenant is an unknown channel.
  OMNI_ASSIGN_OR_RETURN(Channel channel, tx.get_channel(m.tenant, m.channel));

  const Timestamp occurred = m.occurred_at.value_or(now_ts);
  // STOP / START on a channel that needs consent: a change of consent, not a new case.
  const detail::ConsentKeyword keyword =
      channel.profile.requires_consent && m.kind == TouchpointKind::kMessageIn
          ? detail::classify_consent_keyword(m.body, options.opt_out_keywords,
                                             options.opt_in_keywords)
          : detail::ConsentKeyword::kNone;

  // 1. The customer, by exact identity.
  Customer customer;
  IdentityId identity_id;
  auto identity = tx.find_identity(m.tenant, from.kind, from.scope, from.value);
  if (identity.ok()) {
    identity_id = identity->id;
    // An identity always points at a live customer (merging moves identities to the customer
    // merged into), so no redirect needs following here.
    customer.id = identity->customer;
    if (occurred - identity->last_seen >= options.last_seen_resolution) {
      OMNI_RETURN_IF_ERROR(tx.touch_identity(m.tenant, identity->id, occurred));
    }
  } else if (identity.status().is(StatusCode::kNotFound)) {
    customer.tenant = m.tenant;
    customer.display_name = !m.display_name.empty()      ? m.display_name
                            : !from.display_name.empty() ? from.display_name
                                                         : from.value;
    customer.created_at = now_ts;
    customer.updated_at = now_ts;
    OMNI_ASSIGN_OR_RETURN(customer.id, tx.insert_customer(customer));
    Identity row;
    row.tenant = m.tenant;
    row.customer = customer.id;
    row.kind = from.kind;
    row.scope = from.scope;
    row.value = from.value;
    row.source = "inbound";
    row.first_seen = occurred;
    row.last_seen = occurred;
    OMNI_ASSIGN_OR_RETURN(row.id, tx.insert_identity(row));
    identity_id = row.id;
    out.new_customer = true;
    OMNI_RETURN_IF_ERROR(event(tx, m.tenant, customer.id, std::nullopt, "customer.created",
                               Payload().add("customer", customer.id).str(), now_ts));
    OMNI_RETURN_IF_ERROR(event(tx, m.tenant, customer.id, std::nullopt, "identity.added",
                               Payload()
                                   .add("identity", row.id)
                                   .add("kind", to_string(row.kind))
                                   .add("scope", row.scope)
                                   .add("value", row.value)
                                   .str(),
                               now_ts));
  } else {
    return identity.status();
  }
  out.customer = customer.id;

  // 2. The customer's one joinable active conversation, on any channel.
  // An explicit reply (an email's In-Reply-To) joins the conversation it answers.
  OMNI_ASSIGN_OR_RETURN(
      std::optional<Conversation> conversation,
      conversation_by_reference(tx, m, customer.id, channel, occurred, now_ts, out));
  // The conversation's row as the store has it, when known: saves a read when it is written.
  std::optional<Conversation> stored;
  if (!conversation) {
    auto active = tx.find_active_conversation(m.tenant, customer.id);
    if (active.ok() && options.contact_join_policy == ContactJoinPolicy::kWithinWindow &&
        active->current_channel != channel.id) {
      // Another channel, and the case went quiet: it stays with its agent, the message starts anew.
      Timestamp last = active->opened_at;
      for (const auto& t : {active->last_inbound_at, active->last_outbound_at}) {
        if (t && *t > last) last = *t;
      }
      if (occurred - last > options.contact_join_window) {
        active->joinable = false;
        active->updated_at = now_ts;
        OMNI_RETURN_IF_ERROR(save_conversation(tx, *active, now_ts, SaveMode::kImplicit));
        OMNI_RETURN_IF_ERROR(event(tx, m.tenant, customer.id, active->id, "conversation.detached",
                                   Payload().add("reason", "contact_join_window").str(), now_ts));
        active = Status::not_found("the active conversation is outside the join window");
      }
    }
    if (active.ok()) {
      stored = *active;
      conversation = std::move(*active);
      if (conversation->status == ConversationStatus::kPending) {
        conversation->status = ConversationStatus::kOpen;  // the customer answered
        OMNI_RETURN_IF_ERROR(
            event(tx, m.tenant, customer.id, conversation->id, "conversation.status_changed",
                  Payload().add("from", "pending").add("to", "open").str(), now_ts));
      }
    } else if (!active.status().is(StatusCode::kNotFound)) {
      return active.status();
    } else if (m.kind != TouchpointKind::kKnowledgeBaseView &&
               keyword == detail::ConsentKeyword::kNone) {
      // Reading an article is self-service and a consent keyword is a setting, not a case;
      // everything else needs one.
      auto resolved = tx.find_last_resolved_conversation(m.tenant, customer.id);
      if (resolved.ok() && resolved->resolved_at &&
          occurred - *resolved->resolved_at <= options.reopen_window) {
        conversation = std::move(*resolved);
        conversation->status = ConversationStatus::kOpen;
        conversation->joinable = true;
        conversation->resolved_at.reset();
        conversation->reopen_count += 1;
        out.reopened = true;
        OMNI_RETURN_IF_ERROR(add_status_touchpoint(tx, *conversation, channel.kind,
                                                   "reopened by the customer", occurred));
        OMNI_RETURN_IF_ERROR(event(tx, m.tenant, customer.id, conversation->id,
                                   "conversation.reopened", Payload().add("by", "customer").str(),
                                   now_ts));
      } else if (!resolved.ok() && !resolved.status().is(StatusCode::kNotFound)) {
        return resolved.status();
      } else {
        Conversation c;
        c.tenant = m.tenant;
        c.customer = customer.id;
        c.status = ConversationStatus::kOpen;
        c.subject = m.subject.empty() ? excerpt_of(m.body, 80) : m.subject;
        c.origin_channel = channel.id;
        c.current_channel = channel.id;
        c.opened_at = occurred;
        c.updated_at = now_ts;
        OMNI_ASSIGN_OR_RETURN(c.id, tx.insert_conversation(c));
        stored = c;
        conversation = std::move(c);
        out.new_conversation = true;
        OMNI_RETURN_IF_ERROR(
            event(tx, m.tenant, customer.id, conversation->id, "conversation.opened",
                  Payload().add("channel", to_string(channel.kind)).str(), now_ts));
      }
    }
  }

  // 3. The touchpoint.
  Touchpoint tp;
  tp.tenant = m.tenant;
  tp.customer = customer.id;
  if (conversation) tp.conversation = conversation->id;
  tp.channel = channel.id;
  tp.channel_kind = channel.kind;
  tp.kind = m.kind;
  tp.subject = m.subject;
  tp.body = m.body;
  tp.attachments = m.attachments;
  tp.metadata = m.metadata;
  tp.provider_message_id = m.provider_message_id;
  tp.identity = identity_id;
  tp.occurred_at = occurred;
  tp.recorded_at = now_ts;
  // The store's (channel, provider message id) rule is the idempotency check: a redelivery fails
  // here, everything above rolls back and receive() reports the first delivery. The common case
  // (a new message) needs no extra read.
  auto inserted = tx.insert_touchpoint(tp);
  if (inserted.status().is(StatusCode::kAlreadyExists)) {
    return Status(inserted.status()).with_field("provider_message_id");
  }
  if (!inserted.ok()) return inserted.status();
  tp.id = *inserted;
  out.touchpoint = tp.id;

  if (conversation) {
    out.conversation = conversation->id;
    if (m.routing && (out.new_conversation || out.reopened)) {
      apply_requirements(*conversation, *m.routing);
    }
    conversation->current_channel = channel.id;
    if (!conversation->last_inbound_at || occurred > *conversation->last_inbound_at) {
      conversation->last_inbound_at = occurred;
    }
    conversation->updated_at = now_ts;
    OMNI_RETURN_IF_ERROR(save_conversation(tx, *conversation, now_ts, SaveMode::kImplicit,
                                           stored ? &*stored : nullptr, &channel));
    // A new or reopened case looks for an agent in the same transaction.
    if ((out.new_conversation || out.reopened) && conversation->waiting()) {
      OMNI_ASSIGN_OR_RETURN(RoutingPolicy policy,
                            routing_policy_in(tx, m.tenant, conversation->team));
      if (policy.automatic) {
        OMNI_ASSIGN_OR_RETURN(RoutingDecision decision, route_in(tx, *conversation, now_ts));
        (void)decision;
      }
    }
  }
  if (channel.profile.requires_consent && m.kind == TouchpointKind::kMessageIn) {
    OMNI_ASSIGN_OR_RETURN(out.consent,
                          consent_on_receive(tx, channel, keyword, identity_id, tp, now_ts));
  }
  OMNI_RETURN_IF_ERROR(event(tx, m.tenant, customer.id,
                             conversation ? std::optional(conversation->id) : std::nullopt,
                             "touchpoint.added",
                             Payload()
                                 .add("touchpoint", tp.id)
                                 .add("kind", to_string(tp.kind))
                                 .add("channel", to_string(channel.kind))
                                 .str(),
                             now_ts));
  return out;
}

// ---------------------------------------------------------------------------------- identities

Result<Customer> Engine::update_customer(TenantId tenant, CustomerId customer,
                                         const CustomerUpdate& update) {
  if (update.display_name) {
    OMNI_RETURN_IF_ERROR(check_required_text("display_name", *update.display_name, kMaxNameBytes));
  }
  if (update.set_attributes.size() > kMaxMetadataEntries) {
    return Status::resource_exhausted("more than 64 attributes").with_field("set_attributes");
  }
  for (const auto& [key, value] : update.set_attributes) {
    OMNI_RETURN_IF_ERROR(check_required_text("set_attributes", key, kMaxNameBytes));
    OMNI_RETURN_IF_ERROR(check_text("set_attributes." + key, value, kMaxMetadataBytes));
  }
  if (update.preferences) OMNI_RETURN_IF_ERROR(detail::validate_preferences(*update.preferences));
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Customer> {
    OMNI_ASSIGN_OR_RETURN(Customer c, Impl::resolve_customer(tx, tenant, customer));
    if (update.preferences && !(*update.preferences == c.preferences)) {
      c.preferences = *update.preferences;
      std::map<std::string, std::string> metadata{{"change", "preferences"}};
      OMNI_RETURN_IF_ERROR(impl_->add_preference_touchpoint(
          tx, tenant, c.id, std::nullopt, std::nullopt, ChannelKind::kWeb,
          "contact preferences: " + detail::describe_preferences(c.preferences), metadata,
          impl_->now()));
    }
    if (update.display_name) c.display_name = *update.display_name;
    for (const auto& key : update.erase_attributes)
      c.attributes.erase(key);
    for (const auto& [key, value] : update.set_attributes)
      c.attributes[key] = value;
    if (c.attributes.size() > kMaxMetadataEntries) {
      return Status::resource_exhausted("a customer has at most 64 attributes")
          .with_field("set_attributes");
    }
    c.updated_at = impl_->now();
    OMNI_RETURN_IF_ERROR(tx.update_customer(c));
    OMNI_RETURN_IF_ERROR(Impl::event(tx, tenant, c.id, std::nullopt, "customer.updated",
                                     Payload().add("customer", c.id).str(), c.updated_at));
    return c;
  });
}

Result<Identity> Engine::find_identity(TenantId tenant, const IdentityInput& input) {
  OMNI_ASSIGN_OR_RETURN(detail::NormalizationPolicy policy, impl_->policy_for(tenant));
  OMNI_ASSIGN_OR_RETURN(detail::NormalizedIdentity normalized,
                        detail::normalize_identity(input, policy));
  return impl_->run_read([&](StoreTransaction& tx) {
    return tx.find_identity(tenant, normalized.kind, normalized.scope, normalized.value);
  });
}

Result<Identity> Engine::link_identity(TenantId tenant, CustomerId customer,
                                       const IdentityInput& input, bool verified,
                                       const std::string& source) {
  OMNI_ASSIGN_OR_RETURN(detail::NormalizationPolicy policy, impl_->policy_for(tenant));
  OMNI_ASSIGN_OR_RETURN(detail::NormalizedIdentity normalized,
                        detail::normalize_identity(input, policy));
  OMNI_RETURN_IF_ERROR(check_required_text("source", source, kMaxNameBytes));
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Identity> {
    OMNI_ASSIGN_OR_RETURN(Customer owner, Impl::resolve_customer(tx, tenant, customer));
    auto existing = tx.find_identity(tenant, normalized.kind, normalized.scope, normalized.value);
    if (existing.ok()) {
      if (existing->customer == owner.id) return *existing;
      return Status::already_exists(std::string(to_string(normalized.kind)) + " identity '" +
                                    normalized.value + "' belongs to customer " +
                                    std::to_string(existing->customer.value()))
          .with_field("identity");
    }
    if (!existing.status().is(StatusCode::kNotFound)) return existing.status();
    const Timestamp now_ts = impl_->now();
    Identity row;
    row.tenant = tenant;
    row.customer = owner.id;
    row.kind = normalized.kind;
    row.scope = normalized.scope;
    row.value = normalized.value;
    row.verified = verified;
    row.source = source;
    row.first_seen = now_ts;
    row.last_seen = now_ts;
    OMNI_ASSIGN_OR_RETURN(row.id, tx.insert_identity(row));
    OMNI_RETURN_IF_ERROR(Impl::event(tx, tenant, owner.id, std::nullopt, "identity.added",
                                     Payload()
                                         .add("identity", row.id)
                                         .add("kind", to_string(row.kind))
                                         .add("scope", row.scope)
                                         .add("value", row.value)
                                         .add("source", row.source)
                                         .str(),
                                     now_ts));
    return row;
  });
}

// ---------------------------------------------------------------------------------- outbound

Result<Touchpoint> Engine::add_note(const NoteSpec& note) {
  OMNI_RETURN_IF_ERROR(check_required_text("body", note.body, impl_->options.max_body_bytes));
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Touchpoint> {
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(note.tenant, note.conversation));
    OMNI_RETURN_IF_ERROR(tx.get_agent(note.tenant, note.agent).status());
    OMNI_ASSIGN_OR_RETURN(ChannelKind kind,
                          impl_->channel_kind_of(tx, note.tenant, c.current_channel));
    Timestamp now_ts = impl_->now();
    Touchpoint tp;
    tp.tenant = note.tenant;
    tp.customer = c.customer;
    tp.conversation = c.id;
    tp.channel_kind = kind;
    tp.kind = TouchpointKind::kNote;
    tp.agent = note.agent;
    tp.body = note.body;
    tp.occurred_at = now_ts;
    tp.recorded_at = now_ts;
    OMNI_ASSIGN_OR_RETURN(tp.id, tx.insert_touchpoint(tp));
    OMNI_RETURN_IF_ERROR(Impl::event(tx, note.tenant, c.customer, c.id, "touchpoint.added",
                                     Payload().add("touchpoint", tp.id).add("kind", "note").str(),
                                     now_ts));
    return tp;
  });
}

Result<Touchpoint> Engine::log_interaction(const InteractionSpec& in) {
  if (in.kind != TouchpointKind::kCall && in.kind != TouchpointKind::kVideoSession) {
    return Status::invalid_argument("an interaction is a call or a video session")
        .with_field("kind");
  }
  if (in.duration.count() < 0) {
    return Status::invalid_argument("duration is negative").with_field("duration");
  }
  OMNI_RETURN_IF_ERROR(check_text("body", in.body, impl_->options.max_body_bytes));
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Touchpoint> {
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(in.tenant, in.conversation));
    if (!is_active(c.status)) {
      return Status::failed_precondition("conversation " + std::to_string(c.id.value()) + " is " +
                                         std::string(to_string(c.status)));
    }
    OMNI_ASSIGN_OR_RETURN(Channel channel, tx.get_channel(in.tenant, in.channel));
    OMNI_ASSIGN_OR_RETURN(Agent agent, tx.get_agent(in.tenant, in.agent));
    const Timestamp now_ts = impl_->now();
    const Timestamp started = in.started_at.value_or(now_ts);
    Touchpoint tp;
    tp.tenant = in.tenant;
    tp.customer = c.customer;
    tp.conversation = c.id;
    tp.channel = channel.id;
    tp.channel_kind = channel.kind;
    tp.kind = in.kind;
    tp.agent = in.agent;
    tp.body = in.body;
    if (in.duration.count() > 0) tp.metadata["duration_s"] = std::to_string(in.duration.count());
    tp.occurred_at = started;
    tp.recorded_at = now_ts;
    OMNI_ASSIGN_OR_RETURN(tp.id, tx.insert_touchpoint(tp));
    // A person answering counts as the first response; a bot's turn is self-service.
    if (!c.first_response_at && agent.kind == AgentKind::kHuman) c.first_response_at = started;
    c.last_outbound_at = started;
    c.current_channel = channel.id;
    c.updated_at = now_ts;
    OMNI_RETURN_IF_ERROR(impl_->save_conversation(tx, c, now_ts, Impl::SaveMode::kExplicit));
    OMNI_RETURN_IF_ERROR(Impl::event(tx, in.tenant, c.customer, c.id, "touchpoint.added",
                                     Payload()
                                         .add("touchpoint", tp.id)
                                         .add("kind", to_string(tp.kind))
                                         .add("channel", to_string(channel.kind))
                                         .str(),
                                     now_ts));
    return tp;
  });
}

Status Engine::assign(TenantId tenant, ConversationId conversation, AgentId agent) {
  return impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(tenant, conversation));
    if (!is_active(c.status)) {
      return Status::failed_precondition("only an open or pending conversation can be assigned");
    }
    OMNI_ASSIGN_OR_RETURN(Agent a, tx.get_agent(tenant, agent));
    if (c.assignee == a.id) return Status();
    c.assignee = a.id;
    c.offered_to.reset();  // a supervisor's choice withdraws the offer
    c.updated_at = impl_->now();
    OMNI_RETURN_IF_ERROR(impl_->save_conversation(tx, c, c.updated_at, Impl::SaveMode::kExplicit));
    return Impl::event(tx, tenant, c.customer, c.id, "conversation.assigned",
                       Payload().add("agent", a.id).str(), c.updated_at);
  });
}

// ---------------------------------------------------------------------------------- handoffs

Result<ContextPacket> Engine::Impl::build_context(StoreTransaction& tx, const Conversation& c,
                                                  const HandoffSpec& spec, const CrmSnapshot& crm) {
  ContextPacket packet;
  packet.crm = crm;
  OMNI_ASSIGN_OR_RETURN(Customer customer, tx.get_customer(c.tenant, c.customer));
  packet.customer = customer.id;
  packet.customer_name = customer.display_name;
  OMNI_ASSIGN_OR_RETURN(auto identities, tx.list_identities(c.tenant, c.customer));
  for (const auto& i : identities) {
    packet.identities.push_back(std::string(to_string(i.kind)) + ":" + i.value);
  }
  packet.conversation = c.id;
  packet.subject = c.subject;
  packet.status = std::string(to_string(c.status));
  packet.open_questions = spec.open_questions;
  packet.tried = spec.tried;

  TouchpointQuery notes_query;
  notes_query.tenant = c.tenant;
  notes_query.customer = c.customer;
  notes_query.conversation = c.id;
  notes_query.kind = TouchpointKind::kNote;
  notes_query.direction = TimelineDirection::kNewer;
  notes_query.limit = 200;
  OMNI_ASSIGN_OR_RETURN(auto notes, tx.list_touchpoints(notes_query));
  for (const auto& n : notes)
    packet.notes.push_back(n.body);

  TouchpointQuery recent_query;
  recent_query.tenant = c.tenant;
  recent_query.customer = c.customer;
  recent_query.conversation = c.id;
  recent_query.direction = TimelineDirection::kOlder;
  recent_query.limit = options.context_recent_touchpoints;
  OMNI_ASSIGN_OR_RETURN(auto recent, tx.list_touchpoints(recent_query));
  std::map<std::int64_t, std::string> agent_names;
  for (auto it = recent.rbegin(); it != recent.rend(); ++it) {
    ContextEntry e;
    e.occurred_at = it->occurred_at;
    e.channel_kind = it->channel_kind;
    e.kind = it->kind;
    if (it->agent) {
      auto& name = agent_names[it->agent->value()];
      if (name.empty()) {
        auto agent = tx.get_agent(c.tenant, *it->agent);
        name = agent.ok() ? agent->name : "agent " + std::to_string(it->agent->value());
      }
      e.author = name;
    } else if (is_inbound_kind(it->kind)) {
      e.author = "customer";
    } else {
      e.author = "omni";
    }
    e.excerpt = excerpt_of(it->body, options.context_excerpt_bytes);
    packet.recent.push_back(std::move(e));
  }
  return packet;
}

Status Engine::Impl::apply_handoff(StoreTransaction& tx, Conversation& c, const Handoff& h,
                                   Timestamp at) {
  if (h.to_channel) c.current_channel = *h.to_channel;
  if (!h.to_team.empty()) {
    c.team = h.to_team;
    const bool to_queue =
        h.kind == HandoffKind::kTeamTransfer || h.kind == HandoffKind::kBotToHuman;
    if (to_queue && !h.to_agent) c.assignee.reset();  // to the team's queue
  }
  if (h.to_agent && c.assignee != h.to_agent) {
    c.assignee = h.to_agent;
    OMNI_RETURN_IF_ERROR(event(tx, c.tenant, c.customer, c.id, "conversation.assigned",
                               Payload().add("agent", *h.to_agent).add("handoff", h.id).str(), at));
  }
  c.updated_at = at;
  OMNI_RETURN_IF_ERROR(save_conversation(tx, c, at, SaveMode::kExplicit));
  // A transfer to a team's queue looks for an agent at once.
  if (c.waiting()) {
    OMNI_ASSIGN_OR_RETURN(RoutingPolicy policy, routing_policy_in(tx, c.tenant, c.team));
    if (policy.automatic) OMNI_RETURN_IF_ERROR(route_in(tx, c, at).status());
  }
  return Status();
}

Result<Handoff> Engine::record_handoff(const HandoffSpec& spec) {
  OMNI_RETURN_IF_ERROR(check_required_text("reason", spec.reason, kMaxSubjectBytes));
  switch (spec.kind) {
    case HandoffKind::kChannelSwitch:
    case HandoffKind::kSecureChannel:
      if (!spec.to_channel) return Status::invalid_argument("to_channel is required");
      break;
    case HandoffKind::kAgentTransfer:
      if (!spec.to_agent) return Status::invalid_argument("to_agent is required");
      break;
    case HandoffKind::kBotToHuman:
      // To a person, or to a team of people whose queue routing serves.
      if (!spec.to_agent && spec.to_team.empty()) {
        return Status::invalid_argument("to_agent or to_team is required");
      }
      break;
    case HandoffKind::kTeamTransfer:
      if (spec.to_team.empty()) return Status::invalid_argument("to_team is required");
      break;
  }
  for (const auto& q : spec.open_questions) {
    OMNI_RETURN_IF_ERROR(check_text("open_questions", q, kMaxSubjectBytes));
  }
  for (const auto& t : spec.tried)
    OMNI_RETURN_IF_ERROR(check_text("tried", t, kMaxSubjectBytes));

  // The receiving side sees the CRM's data too: fetched once, outside the transaction (so a
  // retried transaction does not ask again).
  CustomerId crm_customer;
  CrmSnapshot crm;
  {
    auto who = impl_->run_read(
        [&](StoreTransaction& tx) -> Result<std::pair<Customer, std::vector<Identity>>> {
          OMNI_ASSIGN_OR_RETURN(Conversation c,
                                tx.get_conversation(spec.tenant, spec.conversation));
          OMNI_ASSIGN_OR_RETURN(Customer customer, tx.get_customer(spec.tenant, c.customer));
          OMNI_ASSIGN_OR_RETURN(auto identities, tx.list_identities(spec.tenant, c.customer));
          return std::make_pair(std::move(customer), std::move(identities));
        });
    if (!who.ok()) return who.status();
    crm_customer = who->first.id;
    crm = impl_->crm_snapshot(who->first, who->second);
  }
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Handoff> {
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(spec.tenant, spec.conversation));
    if (!is_active(c.status)) {
      return Status::failed_precondition(
          "conversation " + std::to_string(c.id.value()) + " is " +
          std::string(to_string(c.status)) +
          "; only an open or pending conversation can be handed off");
    }
    Handoff h;
    h.tenant = spec.tenant;
    h.conversation = c.id;
    h.kind = spec.kind;
    h.mode = spec.mode;
    h.from_channel = c.current_channel;
    h.to_channel = spec.to_channel;
    h.from_agent = spec.from_agent ? spec.from_agent : c.assignee;
    h.to_agent = spec.to_agent;
    h.from_team = c.team;
    h.to_team = spec.to_team;
    h.reason = spec.reason;
    h.created_at = impl_->now();

    ChannelKind from_kind = ChannelKind::kWeb;
    OMNI_ASSIGN_OR_RETURN(from_kind, impl_->channel_kind_of(tx, spec.tenant, c.current_channel));
    std::string route = std::string(to_string(from_kind));
    if (spec.to_channel) {
      OMNI_ASSIGN_OR_RETURN(Channel to, tx.get_channel(spec.tenant, *spec.to_channel));
      if (spec.kind == HandoffKind::kChannelSwitch && to.id == c.current_channel) {
        return Status::failed_precondition("conversation is already on channel '" + to.name + "'");
      }
      if (spec.kind == HandoffKind::kSecureChannel && !to.profile.secure) {
        return Status::failed_precondition("channel '" + to.name + "' is not a secure channel");
      }
      route += " -> " + std::string(to_string(to.kind));
    }
    if (h.from_agent) OMNI_RETURN_IF_ERROR(tx.get_agent(spec.tenant, *h.from_agent).status());
    if (spec.to_agent) {
      OMNI_ASSIGN_OR_RETURN(Agent to, tx.get_agent(spec.tenant, *spec.to_agent));
      if (spec.kind == HandoffKind::kBotToHuman && to.kind != AgentKind::kHuman) {
        return Status::failed_precondition("a bot escalates to a human, and '" + to.name +
                                           "' is a bot");
      }
      if (h.from_agent && *h.from_agent == to.id) {
        return Status::failed_precondition("handoff from an agent to the same agent");
      }
      route += " to " + to.name;
    }
    if (spec.kind == HandoffKind::kBotToHuman && h.from_agent) {
      OMNI_ASSIGN_OR_RETURN(Agent from, tx.get_agent(spec.tenant, *h.from_agent));
      if (from.kind != AgentKind::kBot) {
        return Status::failed_precondition("bot_to_human starts from a bot, and '" + from.name +
                                           "' is a human");
      }
    }
    if (!spec.to_team.empty()) route += " to team " + spec.to_team;

    // The CRM snapshot was fetched for the customer before the transaction (host code never runs
    // inside one); a merge in between leaves it out rather than show another record.
    OMNI_ASSIGN_OR_RETURN(
        h.context,
        impl_->build_context(tx, c, spec, crm_customer == c.customer ? crm : CrmSnapshot{}));
    OMNI_ASSIGN_OR_RETURN(h.id, tx.insert_handoff(h));

    Touchpoint tp;
    tp.tenant = c.tenant;
    tp.customer = c.customer;
    tp.conversation = c.id;
    tp.channel_kind = from_kind;
    tp.kind = TouchpointKind::kHandoff;
    tp.agent = h.from_agent;
    tp.handoff = h.id;
    tp.body = std::string(to_string(h.kind)) + " (" + std::string(to_string(h.mode)) + ", " +
              route + "): " + h.reason;
    tp.occurred_at = h.created_at;
    tp.recorded_at = h.created_at;
    OMNI_RETURN_IF_ERROR(tx.insert_touchpoint(tp).status());
    OMNI_RETURN_IF_ERROR(Impl::event(tx, c.tenant, c.customer, c.id, "handoff.recorded",
                                     Payload()
                                         .add("handoff", h.id)
                                         .add("kind", to_string(h.kind))
                                         .add("mode", to_string(h.mode))
                                         .str(),
                                     h.created_at));
    c.handoff_count += 1;
    if (h.mode == HandoffMode::kCold) {
      OMNI_RETURN_IF_ERROR(impl_->apply_handoff(tx, c, h, h.created_at));
    } else {
      c.updated_at = h.created_at;
      OMNI_RETURN_IF_ERROR(
          impl_->save_conversation(tx, c, h.created_at, Impl::SaveMode::kImplicit));
    }
    return h;
  });
}

Result<Handoff> Engine::acknowledge_handoff(TenantId tenant, HandoffId handoff, AgentId agent) {
  return impl_->run_write([&](StoreTransaction& tx) -> Result<Handoff> {
    OMNI_ASSIGN_OR_RETURN(Handoff h, tx.get_handoff(tenant, handoff));
    if (h.acknowledged_at) {
      return Status::failed_precondition("handoff " + std::to_string(h.id.value()) +
                                         " was already acknowledged");
    }
    OMNI_ASSIGN_OR_RETURN(Agent a, tx.get_agent(tenant, agent));
    if (h.to_agent && *h.to_agent != a.id) {
      return Status::failed_precondition("handoff " + std::to_string(h.id.value()) +
                                         " is addressed to another agent");
    }
    Timestamp now_ts = impl_->now();
    h.acknowledged_at = now_ts;
    h.acknowledged_by = a.id;
    OMNI_RETURN_IF_ERROR(tx.update_handoff(h));
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(tenant, h.conversation));
    if (h.mode == HandoffMode::kWarm) {
      if (!is_active(c.status)) {
        return Status::failed_precondition("conversation is no longer open");
      }
      Handoff effective = h;
      // A warm transfer to a team is taken over by the team member who acknowledges it.
      if (!effective.to_agent &&
          (h.kind == HandoffKind::kTeamTransfer || h.kind == HandoffKind::kBotToHuman)) {
        effective.to_agent = a.id;
      }
      OMNI_RETURN_IF_ERROR(impl_->apply_handoff(tx, c, effective, now_ts));
    }
    OMNI_RETURN_IF_ERROR(Impl::event(tx, tenant, c.customer, c.id, "handoff.acknowledged",
                                     Payload().add("handoff", h.id).add("agent", a.id).str(),
                                     now_ts));
    return h;
  });
}

// ---------------------------------------------------------------------------------- lifecycle

Status Engine::Impl::change_status(TenantId tenant, ConversationId id, ConversationStatus to) {
  std::optional<AgentId> freed;  // an agent whose slot this frees
  Status status = run_write([&](StoreTransaction& tx) -> Status {
    OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(tenant, id));
    const ConversationStatus from = c.status;
    freed =
        is_active(from) && !is_active(to) ? (c.assignee ? c.assignee : c.offered_to) : std::nullopt;
    bool allowed = false;
    switch (to) {
      case ConversationStatus::kPending:
        allowed = from == ConversationStatus::kOpen;
        break;
      case ConversationStatus::kResolved:
        allowed = is_active(from);
        break;
      case ConversationStatus::kOpen:
        allowed = from == ConversationStatus::kResolved;
        break;
      case ConversationStatus::kClosed:
        allowed = from != ConversationStatus::kClosed;
        break;
    }
    if (!allowed) {
      return Status::failed_precondition("conversation " + std::to_string(id.value()) +
                                         " cannot go from " + std::string(to_string(from)) +
                                         " to " + std::string(to_string(to)));
    }
    Timestamp now_ts = now();
    c.status = to;
    c.updated_at = now_ts;
    if (to == ConversationStatus::kResolved) c.resolved_at = now_ts;
    if (to == ConversationStatus::kClosed) c.closed_at = now_ts;
    if (to == ConversationStatus::kOpen) {
      c.joinable = true;
      c.resolved_at.reset();
      c.reopen_count += 1;
    }
    Status updated = save_conversation(tx, c, now_ts, SaveMode::kImplicit);
    if (updated.is(StatusCode::kAlreadyExists)) {
      return Status::failed_precondition(
          "the customer already has another open conversation; resolve it first");
    }
    OMNI_RETURN_IF_ERROR(updated);
    if (c.waiting()) {  // reopened without its agent: find one
      OMNI_ASSIGN_OR_RETURN(RoutingPolicy policy, routing_policy_in(tx, tenant, c.team));
      if (policy.automatic) OMNI_RETURN_IF_ERROR(route_in(tx, c, now_ts).status());
    }
    OMNI_ASSIGN_OR_RETURN(ChannelKind kind, channel_kind_of(tx, tenant, c.current_channel));
    const char* verb = to == ConversationStatus::kOpen ? "reopened" : nullptr;
    OMNI_RETURN_IF_ERROR(add_status_touchpoint(
        tx, c, kind, verb ? verb : "status " + std::string(to_string(to)), now_ts));
    return event(
        tx, tenant, c.customer, c.id,
        to == ConversationStatus::kOpen ? "conversation.reopened" : "conversation.status_changed",
        Payload().add("from", to_string(from)).add("to", to_string(to)).str(), now_ts);
  });
  if (status.ok()) refill(tenant, freed);
  return status;
}

Status Engine::set_pending(TenantId tenant, ConversationId conversation) {
  return impl_->change_status(tenant, conversation, ConversationStatus::kPending);
}
Status Engine::resolve(TenantId tenant, ConversationId conversation) {
  return impl_->change_status(tenant, conversation, ConversationStatus::kResolved);
}
Status Engine::reopen(TenantId tenant, ConversationId conversation) {
  return impl_->change_status(tenant, conversation, ConversationStatus::kOpen);
}
Status Engine::close(TenantId tenant, ConversationId conversation) {
  return impl_->change_status(tenant, conversation, ConversationStatus::kClosed);
}

// ---------------------------------------------------------------------------------- reads

Result<CustomerView> Engine::customer_view(TenantId tenant, CustomerId customer) {
  auto view = impl_->run_read([&](StoreTransaction& tx) -> Result<CustomerView> {
    CustomerView v;
    OMNI_ASSIGN_OR_RETURN(v.customer, Impl::resolve_customer(tx, tenant, customer));
    OMNI_ASSIGN_OR_RETURN(v.identities, tx.list_identities(tenant, v.customer.id));
    OMNI_ASSIGN_OR_RETURN(v.recent_conversations, tx.list_conversations(tenant, v.customer.id, 20));
    OMNI_ASSIGN_OR_RETURN(v.active_conversations,
                          tx.list_active_conversations(tenant, v.customer.id));
    OMNI_ASSIGN_OR_RETURN(v.consents, tx.list_consents(tenant, v.customer.id));
    TouchpointQuery q;
    q.tenant = tenant;
    q.customer = v.customer.id;
    q.kind = TouchpointKind::kNote;
    q.limit = 20;
    OMNI_ASSIGN_OR_RETURN(v.notes, tx.list_touchpoints(q));
    // The last agent who spoke with the customer or worked the case: the newest touchpoint with
    // an author among the most recent ones.
    q.kind.reset();
    q.limit = 200;
    OMNI_ASSIGN_OR_RETURN(auto recent, tx.list_touchpoints(q));
    for (const auto& tp : recent) {
      if (tp.agent && tp.kind != TouchpointKind::kHandoff) {
        OMNI_ASSIGN_OR_RETURN(v.last_agent, tx.get_agent(tenant, *tp.agent));
        break;
      }
    }
    return v;
  });
  // The CRM after the read transaction: host code never runs inside one.
  if (view.ok()) view->crm = impl_->crm_snapshot(view->customer, view->identities);
  return view;
}

Result<Customer> Engine::get_customer(TenantId tenant, CustomerId customer) {
  return impl_->run_read([&](StoreTransaction& tx) { return tx.get_customer(tenant, customer); });
}

Result<std::vector<Customer>> Engine::list_customers(TenantId tenant, CustomerId after,
                                                     std::size_t limit) {
  if (limit == 0 || limit > impl_->options.max_page_size) {
    return Status::invalid_argument("limit must be 1.." +
                                    std::to_string(impl_->options.max_page_size));
  }
  return impl_->run_read([&](StoreTransaction& tx) -> Result<std::vector<Customer>> {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    return tx.list_customers(tenant, after, limit);
  });
}

Result<TimelinePage> Engine::timeline(const TimelineQuery& query) {
  if (query.limit == 0 || query.limit > impl_->options.max_page_size) {
    return Status::invalid_argument("limit must be 1.." +
                                    std::to_string(impl_->options.max_page_size));
  }
  return impl_->run_read([&](StoreTransaction& tx) -> Result<TimelinePage> {
    OMNI_ASSIGN_OR_RETURN(Customer customer,
                          Impl::resolve_customer(tx, query.tenant, query.customer));
    if (query.conversation) {
      OMNI_ASSIGN_OR_RETURN(Conversation c, tx.get_conversation(query.tenant, *query.conversation));
      if (c.customer != customer.id) {
        return Status::not_found("conversation " + std::to_string(c.id.value()) +
                                 " of this customer");
      }
    }
    TouchpointQuery q;
    q.tenant = query.tenant;
    q.customer = customer.id;
    q.conversation = query.conversation;
    q.after = query.cursor;
    q.direction = query.direction;
    q.limit = query.limit + 1;  // one more tells whether the page has a neighbour
    OMNI_ASSIGN_OR_RETURN(auto rows, tx.list_touchpoints(q));
    bool more = rows.size() > query.limit;
    if (more) rows.pop_back();
    if (query.direction == TimelineDirection::kOlder) std::reverse(rows.begin(), rows.end());

    TimelinePage page;
    page.touchpoints = std::move(rows);
    auto cursor_of = [](const Touchpoint& tp) { return TimelineCursor{tp.occurred_at, tp.id}; };
    bool more_older =
        query.direction == TimelineDirection::kOlder ? more : query.cursor.has_value();
    bool more_newer =
        query.direction == TimelineDirection::kNewer ? more : query.cursor.has_value();
    if (page.touchpoints.empty()) {
      if (more_older && query.cursor) page.older = query.cursor;
      if (more_newer && query.cursor) page.newer = query.cursor;
    } else {
      if (more_older) page.older = cursor_of(page.touchpoints.front());
      if (more_newer) page.newer = cursor_of(page.touchpoints.back());
    }
    return page;
  });
}

Result<ConversationView> Engine::conversation_view(TenantId tenant, ConversationId conversation) {
  std::vector<Identity> identities;
  auto view = impl_->run_read([&](StoreTransaction& tx) -> Result<ConversationView> {
    ConversationView v;
    OMNI_ASSIGN_OR_RETURN(v.conversation, tx.get_conversation(tenant, conversation));
    OMNI_ASSIGN_OR_RETURN(v.customer, tx.get_customer(tenant, v.conversation.customer));
    if (v.conversation.assignee) {
      OMNI_ASSIGN_OR_RETURN(v.assignee, tx.get_agent(tenant, *v.conversation.assignee));
    }
    OMNI_ASSIGN_OR_RETURN(v.handoffs, tx.list_handoffs(tenant, conversation));
    TouchpointQuery q;
    q.tenant = tenant;
    q.customer = v.conversation.customer;
    q.conversation = conversation;
    q.limit = impl_->options.max_page_size + 1;
    OMNI_ASSIGN_OR_RETURN(v.touchpoints, tx.list_touchpoints(q));
    v.more_history = v.touchpoints.size() > impl_->options.max_page_size;
    if (v.more_history) v.touchpoints.pop_back();
    std::reverse(v.touchpoints.begin(), v.touchpoints.end());
    if (impl_->crm_fetcher->has_provider()) {
      OMNI_ASSIGN_OR_RETURN(identities, tx.list_identities(tenant, v.customer.id));
    }
    return v;
  });
  if (view.ok()) view->crm = impl_->crm_snapshot(view->customer, identities);
  return view;
}

Result<Handoff> Engine::get_handoff(TenantId tenant, HandoffId handoff) {
  return impl_->run_read([&](StoreTransaction& tx) { return tx.get_handoff(tenant, handoff); });
}

Result<std::vector<Event>> Engine::events(TenantId tenant, std::int64_t after, std::size_t limit) {
  if (limit == 0 || limit > impl_->options.max_page_size) {
    return Status::invalid_argument("limit must be 1.." +
                                    std::to_string(impl_->options.max_page_size));
  }
  return impl_->run_read(
      [&](StoreTransaction& tx) { return tx.list_events(tenant, after, limit); });
}

}  // namespace omni
