// Customer context: the host CRM's data in views, consent per address and channel, contact
// preferences, reply templates rendered per channel, proactive notifications and the
// next-best channel. The decisions themselves are pure functions (contact_policy.h,
// templates.h); this file gathers their facts from the store and records the outcome.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine_impl.h"
#include "omni/fit.h"
#include "template_codec.h"

namespace omni {
using namespace engine_internal;
namespace {

constexpr std::string_view kTemplatePrefix = "template/";
constexpr std::size_t kMaxValues = 64;
constexpr std::size_t kMaxPurposeBytes = 64;

std::string first_word(std::string_view name) {
  const auto start = name.find_first_not_of(" \t");
  if (start == std::string_view::npos) return std::string();
  const auto end = name.find_first_of(" \t", start);
  return std::string(name.substr(start, end == std::string_view::npos ? end : end - start));
}

// Attribute and field keys become placeholder segments only when they are already valid ones.
bool placeholder_segment(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
}

void add_item(std::map<std::string, std::string>& values, const std::string& prefix,
              const CrmItem& item) {
  values[prefix + ".id"] = item.id;
  values[prefix + ".title"] = item.title;
  values[prefix + ".status"] = item.status;
  if (item.date) values[prefix + ".date"] = format_timestamp(*item.date).substr(0, 10);
  if (!item.amount.empty()) values[prefix + ".amount"] = item.amount;
  if (!item.url.empty()) values[prefix + ".url"] = item.url;
}

// The built-in placeholder values (see Engine::render_template).
std::map<std::string, std::string> builtin_values(const Customer& customer,
                                                  const Conversation* conversation,
                                                  const Agent* agent, const Channel* channel,
                                                  const CrmSnapshot& crm) {
  std::map<std::string, std::string> v;
  v["customer.name"] = customer.display_name;
  v["customer.first_name"] = first_word(customer.display_name);
  v["customer.id"] = std::to_string(customer.id.value());
  for (const auto& [key, value] : customer.attributes) {
    if (placeholder_segment(key)) v["customer.attributes." + key] = value;
  }
  if (conversation) {
    v["conversation.id"] = std::to_string(conversation->id.value());
    v["conversation.subject"] = conversation->subject;
    v["conversation.priority"] = std::string(to_string(conversation->priority));
  }
  if (agent) {
    v["agent.name"] = agent->name;
    v["agent.first_name"] = first_word(agent->name);
  }
  if (channel) {
    v["channel.name"] = channel->name;
    v["channel.kind"] = std::string(to_string(channel->kind));
  }
  if (crm.state == CrmState::kOk) {
    const CrmContext& c = crm.context;
    v["crm.system"] = c.system;
    v["crm.record_id"] = c.record_id;
    v["crm.account_status"] = c.account_status;
    for (const auto& [key, value] : c.fields) {
      if (placeholder_segment(key)) v["crm.fields." + key] = value;
    }
    for (std::size_t i = 0; i < c.orders.size(); ++i) {
      if (i == 0) add_item(v, "crm.order", c.orders[i]);
      add_item(v, "crm.orders." + std::to_string(i), c.orders[i]);
    }
    for (std::size_t i = 0; i < c.contracts.size(); ++i) {
      if (i == 0) add_item(v, "crm.contract", c.contracts[i]);
      add_item(v, "crm.contracts." + std::to_string(i), c.contracts[i]);
    }
  }
  return v;
}

Status check_values(const std::map<std::string, std::string>& values) {
  if (values.size() > kMaxValues) {
    return Status::resource_exhausted("more than 64 values").with_field("values");
  }
  for (const auto& [key, value] : values) {
    OMNI_RETURN_IF_ERROR(check_required_text("values", key, kMaxNameBytes));
    OMNI_RETURN_IF_ERROR(check_text("values." + key, value, kMaxMetadataBytes));
  }
  return Status();
}

// Whether a variant's text asks for CRM data (worth a call to the host's CRM).
bool uses_crm(const TemplateVariant& variant) {
  for (const std::string* text : {&variant.subject, &variant.body}) {
    auto names = template_placeholders(*text);
    if (!names.ok()) continue;
    for (const auto& name : *names) {
      if (name.rfind("crm.", 0) == 0) return true;
    }
  }
  return false;
}

std::string address_word(IdentityKind kind) {
  switch (kind) {
    case IdentityKind::kEmail:
      return "email address";
    case IdentityKind::kPhone:
      return "phone number";
    case IdentityKind::kMessengerPsid:
      return "Messenger id";
    case IdentityKind::kInstagramId:
      return "Instagram id";
    case IdentityKind::kTelegramId:
      return "Telegram id";
    case IdentityKind::kXUserId:
      return "X user id";
    default:
      return std::string(to_string(kind)) + " identity";
  }
}

// A template variant rendered for one channel.
struct Rendered {
  std::size_t variant = 0;
  std::string subject;
  std::string body;
  std::vector<std::string> reasons;
};

Result<Rendered> render_variant(const ReplyTemplate& t, ChannelKind kind, std::string_view language,
                                const std::map<std::string, std::string>& values) {
  Rendered r;
  OMNI_ASSIGN_OR_RETURN(r.variant, pick_variant(t, kind, language, &r.reasons));
  const TemplateVariant& v = t.variants[r.variant];
  OMNI_ASSIGN_OR_RETURN(r.subject, render_text(v.subject, values, v.format, true));
  OMNI_ASSIGN_OR_RETURN(r.body, render_text(v.body, values, v.format));
  for (const std::string* text : {&v.subject, &v.body}) {
    auto names = template_placeholders(*text);
    if (!names.ok()) continue;
    for (const auto& name : *names) {
      if (!values.count(name)) r.reasons.push_back("placeholder \"" + name + "\" used its fallback");
    }
  }
  return r;
}

// Everything a channel decision reads, in one read transaction.
struct ContactFacts {
  Customer customer;
  std::vector<Identity> identities;
  std::vector<Consent> consents;
  std::vector<Channel> channels;
  std::optional<Conversation> conversation;
  std::optional<Agent> agent;
  std::optional<ReplyTemplate> reply_template;
};

// The address a message on `kind` would go to and its consent: consenting addresses first, then
// the most recently seen. Mirrors the recipient choice of a delivery.
struct Reach {
  const Identity* address = nullptr;
  std::optional<Consent> consent;
  std::string missing;  // why nothing reaches the customer
};

Reach reach(const ContactFacts& f, const Channel& channel) {
  Reach r;
  const auto wanted = recipient_kinds(channel.kind);
  if (wanted.empty()) {
    if (channel.kind == ChannelKind::kLetter) {
      if (f.customer.attributes.count("postal_address")) {
        r.address = f.identities.empty() ? nullptr : &f.identities.front();
        if (!r.address) r.missing = "no address on file";
      } else {
        r.missing = "no postal address on file (customer attribute postal_address)";
      }
    } else if (!f.identities.empty()) {
      r.address = &f.identities.front();
    } else {
      r.missing = "the customer has no identity";
    }
    return r;
  }
  auto consent_of = [&](const Identity& identity) -> std::optional<Consent> {
    for (const auto& c : f.consents) {
      if (c.identity == identity.id && c.channel_kind == channel.kind) return c;
    }
    return std::nullopt;
  };
  auto rank = [](const std::optional<Consent>& c) {
    return !c ? 1 : c->state == ConsentState::kGranted ? 2 : 0;
  };
  for (const auto& identity : f.identities) {
    if (std::find(wanted.begin(), wanted.end(), identity.kind) == wanted.end()) continue;
    auto consent = consent_of(identity);
    if (!r.address || rank(consent) > rank(r.consent) ||
        (rank(consent) == rank(r.consent) && identity.last_seen > r.address->last_seen)) {
      r.address = &identity;
      r.consent = std::move(consent);
    }
  }
  if (!r.address) r.missing = "no " + address_word(wanted.front()) + " on file";
  return r;
}

std::string reasons_summary(const ChannelChoice& choice) {
  std::string out;
  for (const auto& o : choice.options) {
    if (!out.empty()) out += "; ";
    out += o.channel_name + " (" + std::string(to_string(o.kind)) + "): ";
    for (std::size_t i = 0; i < o.reasons.size(); ++i)
      out += (i ? ", " : "") + o.reasons[i];
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------- CRM

void Engine::set_crm_provider(CrmContextProvider* provider) {
  impl_->crm_fetcher->set_provider(provider);
}

CrmSnapshot Engine::Impl::crm_snapshot(const Customer& customer,
                                       const std::vector<Identity>& identities) {
  if (!crm_fetcher->has_provider()) return CrmSnapshot{};
  CrmLookup lookup;
  lookup.tenant = customer.tenant;
  lookup.customer = customer.id;
  lookup.display_name = customer.display_name;
  lookup.identities = identities;
  lookup.attributes = customer.attributes;
  return crm_fetcher->fetch(lookup, now());
}

// ---------------------------------------------------------------------------------- consent

Status Engine::Impl::add_preference_touchpoint(StoreTransaction& tx, TenantId tenant,
                                               CustomerId customer,
                                               std::optional<ConversationId> conversation,
                                               std::optional<ChannelId> channel, ChannelKind kind,
                                               std::string body,
                                               std::map<std::string, std::string> metadata,
                                               Timestamp at) {
  Touchpoint tp;
  tp.tenant = tenant;
  tp.customer = customer;
  tp.conversation = conversation;
  tp.channel = channel;
  tp.channel_kind = kind;
  tp.kind = TouchpointKind::kPreferenceChange;
  tp.body = std::move(body);
  tp.metadata = std::move(metadata);
  tp.occurred_at = at;
  tp.recorded_at = at;
  OMNI_ASSIGN_OR_RETURN(tp.id, tx.insert_touchpoint(tp));
  return event(tx, tenant, customer, conversation, "touchpoint.added",
               Payload()
                   .add("touchpoint", tp.id)
                   .add("kind", to_string(tp.kind))
                   .add("channel", to_string(kind))
                   .str(),
               at);
}

Status Engine::Impl::write_consent(StoreTransaction& tx, const Identity& address,
                                   const Consent& consent,
                                   std::optional<ConversationId> conversation,
                                   std::optional<ChannelId> channel, Timestamp now) {
  OMNI_RETURN_IF_ERROR(tx.put_consent(consent));
  // A consent implied by the customer's own first message is that message, already on the
  // timeline; an explicit change (a keyword, the host's record) gets a line of its own.
  const bool implied = consent.source == "inbound_message";
  const std::string kind(to_string(consent.channel_kind));
  const std::string state(to_string(consent.state));
  std::string body = kind + " consent " + state + " for " + address.value + " (" + consent.source +
                     (consent.evidence.empty() ? "" : ": " + consent.evidence) + ")";
  std::map<std::string, std::string> metadata{{"change", "consent"},
                                              {"consent_kind", kind},
                                              {"consent_state", state},
                                              {"consent_source", consent.source},
                                              {"identity", std::to_string(address.id.value())}};
  if (!consent.evidence.empty()) metadata["consent_evidence"] = consent.evidence;
  if (!implied) {
    OMNI_RETURN_IF_ERROR(add_preference_touchpoint(tx, consent.tenant, address.customer,
                                                   conversation, channel, consent.channel_kind,
                                                   std::move(body), std::move(metadata),
                                                   consent.changed_at));
  }
  return event(tx, consent.tenant, address.customer, conversation, "consent.changed",
               Payload()
                   .add("identity", address.id)
                   .add("channel_kind", kind)
                   .add("state", state)
                   .add("source", consent.source)
                   .add("evidence", consent.evidence)
                   .str(),
               now);
}

Result<std::optional<ConsentState>> Engine::Impl::consent_on_receive(
    StoreTransaction& tx, const Channel& channel, detail::ConsentKeyword keyword,
    IdentityId identity, const Touchpoint& message, Timestamp now) {
  auto existing = tx.get_consent(message.tenant, identity, channel.kind);
  if (!existing.ok() && !existing.status().is(StatusCode::kNotFound)) return existing.status();
  Consent consent;
  consent.tenant = message.tenant;
  consent.identity = identity;
  consent.channel_kind = channel.kind;
  consent.changed_at = message.occurred_at;
  switch (keyword) {
    case detail::ConsentKeyword::kOptOut:
    case detail::ConsentKeyword::kOptIn: {
      consent.state = keyword == detail::ConsentKeyword::kOptOut ? ConsentState::kWithdrawn
                                                                 : ConsentState::kGranted;
      consent.source = "keyword";
      // The word as the customer wrote it, trimmed: the evidence of what they asked for.
      std::string word = message.body;
      word.erase(0, word.find_first_not_of(" \t\r\n"));
      word.erase(word.find_last_not_of(" \t\r\n") + 1);
      consent.evidence = excerpt_of(word, 64);
      // A repeated STOP changes nothing (the first one is the record).
      if (existing.ok() && existing->state == consent.state) return std::optional<ConsentState>();
      break;
    }
    case detail::ConsentKeyword::kNone:
      // The customer started the conversation: they agree to be answered. Never after an opt-out.
      if (!options.inbound_message_grants_consent || existing.ok()) {
        return std::optional<ConsentState>();
      }
      consent.state = ConsentState::kGranted;
      consent.source = "inbound_message";
      consent.evidence = "touchpoint " + std::to_string(message.id.value());
      break;
  }
  OMNI_ASSIGN_OR_RETURN(Identity address, [&]() -> Result<Identity> {
    OMNI_ASSIGN_OR_RETURN(auto identities, tx.list_identities(message.tenant, message.customer));
    for (auto& i : identities) {
      if (i.id == identity) return i;
    }
    return Status::not_found("identity " + std::to_string(identity.value()));
  }());
  OMNI_RETURN_IF_ERROR(
      write_consent(tx, address, consent, message.conversation, message.channel, now));
  return std::optional<ConsentState>(consent.state);
}

Result<std::vector<Consent>> Engine::set_consent(const ConsentChange& change) {
  OMNI_RETURN_IF_ERROR(check_required_text("source", change.source, kMaxNameBytes));
  OMNI_RETURN_IF_ERROR(check_text("evidence", change.evidence, kMaxNameBytes));
  std::optional<detail::NormalizedIdentity> address;
  if (change.address) {
    OMNI_ASSIGN_OR_RETURN(detail::NormalizationPolicy policy, impl_->policy_for(change.tenant));
    auto normalized = detail::normalize_identity(*change.address, policy);
    if (!normalized.ok()) return Status(normalized.status()).with_field("address");
    address = *normalized;
  }
  return impl_->run_write([&](StoreTransaction& tx) -> Result<std::vector<Consent>> {
    OMNI_ASSIGN_OR_RETURN(Customer customer,
                          Impl::resolve_customer(tx, change.tenant, change.customer));
    OMNI_ASSIGN_OR_RETURN(auto identities, tx.list_identities(change.tenant, customer.id));
    const auto wanted = recipient_kinds(change.channel_kind);
    std::vector<const Identity*> targets;
    for (const auto& identity : identities) {
      if (address) {
        if (identity.kind == address->kind && identity.scope == address->scope &&
            identity.value == address->value) {
          targets.push_back(&identity);
        }
      } else if (std::find(wanted.begin(), wanted.end(), identity.kind) != wanted.end()) {
        targets.push_back(&identity);
      }
    }
    if (address && targets.empty()) {
      return Status::not_found("the address is not one of customer " +
                               std::to_string(customer.id.value()) + "'s")
          .with_field("address");
    }
    if (targets.empty()) {
      return Status::failed_precondition(
          "customer " + std::to_string(customer.id.value()) + " has no address that receives " +
          std::string(to_string(change.channel_kind)) + " messages");
    }
    const Timestamp now_ts = impl_->now();
    std::vector<Consent> out;
    for (const Identity* identity : targets) {
      Consent consent;
      consent.tenant = change.tenant;
      consent.identity = identity->id;
      consent.channel_kind = change.channel_kind;
      consent.state = change.state;
      consent.source = change.source;
      consent.evidence = change.evidence;
      consent.changed_at = now_ts;
      OMNI_RETURN_IF_ERROR(
          impl_->write_consent(tx, *identity, consent, std::nullopt, std::nullopt, now_ts));
      out.push_back(std::move(consent));
    }
    return out;
  });
}

Result<std::vector<Consent>> Engine::list_consents(TenantId tenant, CustomerId customer) {
  return impl_->run_read([&](StoreTransaction& tx) -> Result<std::vector<Consent>> {
    OMNI_ASSIGN_OR_RETURN(Customer c, Impl::resolve_customer(tx, tenant, customer));
    return tx.list_consents(tenant, c.id);
  });
}

// ---------------------------------------------------------------------------------- templates

Status Engine::put_template(TenantId tenant, const ReplyTemplate& t) {
  OMNI_RETURN_IF_ERROR(validate_template(t));
  const std::string encoded = detail::encode_template(t);
  return impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    return tx.put_setting(tenant, std::string(kTemplatePrefix) + t.key, encoded);
  });
}

Result<ReplyTemplate> Engine::get_template(TenantId tenant, const std::string& key) {
  auto stored = impl_->run_read([&](StoreTransaction& tx) -> Result<std::string> {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    auto value = tx.get_setting(tenant, std::string(kTemplatePrefix) + key);
    if (value.status().is(StatusCode::kNotFound)) {
      return Status::not_found("no template '" + key + "'").with_field("template_key");
    }
    return value;
  });
  if (!stored.ok()) return stored.status();
  return detail::decode_template(*stored);
}

Status Engine::remove_template(TenantId tenant, const std::string& key) {
  return impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    Status removed = tx.delete_setting(tenant, std::string(kTemplatePrefix) + key);
    if (removed.is(StatusCode::kNotFound)) {
      return Status::not_found("no template '" + key + "'").with_field("template_key");
    }
    return removed;
  });
}

Result<std::vector<ReplyTemplate>> Engine::list_templates(TenantId tenant) {
  auto stored = impl_->run_read(
      [&](StoreTransaction& tx) -> Result<std::vector<std::pair<std::string, std::string>>> {
        OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
        return tx.list_settings(tenant, kTemplatePrefix);
      });
  if (!stored.ok()) return stored.status();
  std::vector<ReplyTemplate> out;
  for (const auto& [key, value] : *stored) {
    OMNI_ASSIGN_OR_RETURN(ReplyTemplate t, detail::decode_template(value));
    out.push_back(std::move(t));
  }
  return out;
}

Result<RenderedReply> Engine::render_template(const RenderRequest& request) {
  OMNI_RETURN_IF_ERROR(check_required_text("template_key", request.template_key, kMaxNameBytes));
  OMNI_RETURN_IF_ERROR(check_text("language", request.language, kMaxNameBytes));
  OMNI_RETURN_IF_ERROR(check_values(request.values));
  struct Facts {
    Conversation conversation;
    Customer customer;
    std::vector<Identity> identities;
    Channel channel;
    std::optional<Agent> agent;
    std::string encoded_template;
  };
  auto facts = impl_->run_read([&](StoreTransaction& tx) -> Result<Facts> {
    Facts f;
    OMNI_ASSIGN_OR_RETURN(f.conversation, tx.get_conversation(request.tenant, request.conversation));
    OMNI_ASSIGN_OR_RETURN(f.customer,
                          Impl::resolve_customer(tx, request.tenant, f.conversation.customer));
    OMNI_ASSIGN_OR_RETURN(f.identities, tx.list_identities(request.tenant, f.customer.id));
    OMNI_ASSIGN_OR_RETURN(
        f.channel,
        tx.get_channel(request.tenant, request.channel.value_or(f.conversation.current_channel)));
    if (auto agent = request.agent ? request.agent : f.conversation.assignee) {
      OMNI_ASSIGN_OR_RETURN(f.agent, tx.get_agent(request.tenant, *agent));
    }
    auto encoded = tx.get_setting(request.tenant,
                                  std::string(kTemplatePrefix) + request.template_key);
    if (encoded.status().is(StatusCode::kNotFound)) {
      return Status::not_found("no template '" + request.template_key + "'")
          .with_field("template_key");
    }
    OMNI_ASSIGN_OR_RETURN(f.encoded_template, std::move(encoded));
    return f;
  });
  if (!facts.ok()) return facts.status();
  OMNI_ASSIGN_OR_RETURN(ReplyTemplate t, detail::decode_template(facts->encoded_template));

  RenderedReply out;
  out.template_key = t.key;
  out.channel = facts->channel.id;
  // The language: asked for, else the conversation's, else the customer's preference.
  std::string language = request.language;
  if (!language.empty()) {
    out.reasons.push_back("language \"" + language + "\" as requested");
  } else if (!facts->conversation.language.empty()) {
    language = facts->conversation.language;
    out.reasons.push_back("language \"" + language + "\" of the conversation");
  } else if (!facts->customer.preferences.language.empty()) {
    language = facts->customer.preferences.language;
    out.reasons.push_back("language \"" + language + "\" the customer prefers");
  } else {
    out.reasons.push_back("no language known: the template's default \"" + t.default_language +
                          "\"");
  }
  std::vector<std::string> ignored;
  OMNI_ASSIGN_OR_RETURN(std::size_t picked,
                        pick_variant(t, facts->channel.kind, language, &ignored));
  CrmSnapshot crm;
  if (uses_crm(t.variants[picked])) {
    crm = impl_->crm_snapshot(facts->customer, facts->identities);
    if (crm.state == CrmState::kMissing) out.reasons.push_back("CRM data missing: " + crm.reason);
  }
  auto values = builtin_values(facts->customer, &facts->conversation,
                               facts->agent ? &*facts->agent : nullptr, &facts->channel, crm);
  for (const auto& [key, value] : request.values)
    values[key] = value;
  OMNI_ASSIGN_OR_RETURN(Rendered r, render_variant(t, facts->channel.kind, language, values));
  const TemplateVariant& variant = t.variants[r.variant];
  out.variant_kind = variant.channel_kind;
  out.language = variant.language;
  out.format = variant.format;
  out.subject = std::move(r.subject);
  out.body = std::move(r.body);
  out.reasons.insert(out.reasons.end(), r.reasons.begin(), r.reasons.end());
  OMNI_ASSIGN_OR_RETURN(out.fit, fit_text(out.body, facts->channel.profile));
  return out;
}

// ---------------------------------------------------------------------------------- contact

namespace {

Result<ContactFacts> read_contact_facts(StoreTransaction& tx, TenantId tenant, CustomerId customer,
                                        std::optional<ConversationId> conversation,
                                        std::optional<AgentId> agent,
                                        const std::string& template_key) {
  ContactFacts f;
  // A merged id resolves to its survivor.
  OMNI_ASSIGN_OR_RETURN(f.customer, tx.get_customer(tenant, customer));
  for (int hops = 0; f.customer.merged_into && hops < 16; ++hops) {
    OMNI_ASSIGN_OR_RETURN(f.customer, tx.get_customer(tenant, *f.customer.merged_into));
  }
  OMNI_ASSIGN_OR_RETURN(f.identities, tx.list_identities(tenant, f.customer.id));
  OMNI_ASSIGN_OR_RETURN(f.consents, tx.list_consents(tenant, f.customer.id));
  OMNI_ASSIGN_OR_RETURN(f.channels, tx.list_channels(tenant));
  if (conversation) {
    OMNI_ASSIGN_OR_RETURN(f.conversation, tx.get_conversation(tenant, *conversation));
    if (f.conversation->customer != f.customer.id) {
      return Status::invalid_argument("conversation " + std::to_string(conversation->value()) +
                                      " is not customer " + std::to_string(f.customer.id.value()) +
                                      "'s")
          .with_field("conversation");
    }
  }
  if (agent) {
    OMNI_ASSIGN_OR_RETURN(f.agent, tx.get_agent(tenant, *agent));
  }
  if (!template_key.empty()) {
    auto encoded = tx.get_setting(tenant, std::string(kTemplatePrefix) + template_key);
    if (encoded.status().is(StatusCode::kNotFound)) {
      return Status::not_found("no template '" + template_key + "'").with_field("template_key");
    }
    if (!encoded.ok()) return encoded.status();
    OMNI_ASSIGN_OR_RETURN(f.reply_template, detail::decode_template(*encoded));
  }
  return f;
}

detail::ChannelCandidate candidate_for(const ContactFacts& f, const Channel& channel) {
  detail::ChannelCandidate c;
  c.channel = channel;
  Reach r = reach(f, channel);
  c.reachable = r.address != nullptr;
  c.unreachable_reason = r.missing;
  c.consent = r.consent;
  const auto& preferred = f.customer.preferences.channels;
  const auto it = std::find(preferred.begin(), preferred.end(), channel.kind);
  c.preference_rank = it == preferred.end() ? -1 : static_cast<int>(it - preferred.begin());
  c.on_active_conversation = f.conversation && is_active(f.conversation->status) &&
                             f.conversation->current_channel == channel.id;
  return c;
}

Result<std::optional<detail::QuietState>> quiet_of(const Customer& customer, Timestamp now) {
  if (!customer.preferences.quiet_hours) return std::optional<detail::QuietState>();
  OMNI_ASSIGN_OR_RETURN(detail::QuietState q, detail::quiet_state(customer.preferences, now));
  return std::optional<detail::QuietState>(std::move(q));
}

}  // namespace

Result<ChannelChoice> Engine::recommend_channel(const FollowUpRequest& request) {
  auto facts = impl_->run_read([&](StoreTransaction& tx) {
    return read_contact_facts(tx, request.tenant, request.customer, request.conversation,
                              std::nullopt, std::string());
  });
  if (!facts.ok()) return facts.status();
  const Timestamp now_ts = impl_->now();
  std::vector<detail::ChannelCandidate> candidates;
  for (const Channel& channel : facts->channels)
    candidates.push_back(candidate_for(*facts, channel));
  detail::RankRequest rank;
  rank.mode = detail::RankMode::kFollowUp;
  rank.urgency = request.urgency;
  rank.sensitive = request.sensitive;
  rank.now = now_ts;
  OMNI_ASSIGN_OR_RETURN(rank.quiet, quiet_of(facts->customer, now_ts));
  return detail::rank_channels(candidates, rank);
}

Result<NotificationResult> Engine::notify(const NotificationRequest& request) {
  OMNI_RETURN_IF_ERROR(check_required_text("purpose", request.purpose, kMaxPurposeBytes));
  OMNI_RETURN_IF_ERROR(check_text("subject", request.subject, kMaxSubjectBytes));
  OMNI_RETURN_IF_ERROR(check_text("body", request.body, impl_->options.max_body_bytes));
  OMNI_RETURN_IF_ERROR(check_values(request.values));
  if (request.template_key.empty() && request.body.empty()) {
    return Status::invalid_argument("a notification needs a template_key or a body")
        .with_field("body");
  }
  if (!request.template_key.empty() && !request.body.empty()) {
    return Status::invalid_argument("give a template_key or a body, not both").with_field("body");
  }

  // 1. The facts, then the CRM (outside every transaction) when the template asks for it.
  auto facts = impl_->run_read([&](StoreTransaction& tx) {
    return read_contact_facts(tx, request.tenant, request.customer, request.conversation,
                              request.agent, request.template_key);
  });
  if (!facts.ok()) return facts.status();
  const Timestamp now_ts = impl_->now();
  CrmSnapshot crm;
  if (facts->reply_template &&
      std::any_of(facts->reply_template->variants.begin(), facts->reply_template->variants.end(),
                  uses_crm)) {
    crm = impl_->crm_snapshot(facts->customer, facts->identities);
  }

  // 2. Every channel as a candidate, with the text it would carry there.
  std::vector<detail::ChannelCandidate> candidates;
  std::map<std::int64_t, Rendered> texts;  // by channel
  for (const Channel& channel : facts->channels) {
    detail::ChannelCandidate c = candidate_for(*facts, channel);
    c.adapter = impl_->adapter_for(request.tenant, channel.id) != nullptr;
    Rendered text;
    if (facts->reply_template) {
      auto values = builtin_values(facts->customer,
                                   facts->conversation ? &*facts->conversation : nullptr,
                                   facts->agent ? &*facts->agent : nullptr, &channel, crm);
      for (const auto& [key, value] : request.values)
        values[key] = value;
      auto rendered = render_variant(*facts->reply_template, channel.kind,
                                     facts->customer.preferences.language, values);
      if (!rendered.ok()) {
        // This channel's wording cannot be filled (a missing value): not a candidate.
        c.reachable = false;
        c.unreachable_reason = "the template cannot be rendered here: " +
                               rendered.status().message();
      } else {
        text = std::move(*rendered);
      }
    } else {
      text.subject = request.subject;
      text.body = request.body;
    }
    if (c.reachable) {
      auto fit = fit_text(text.body, channel.profile);
      if (!fit.ok()) return Status(fit.status()).with_field("body");
      c.fit = std::move(*fit);
    }
    texts[channel.id.value()] = std::move(text);
    candidates.push_back(std::move(c));
  }
  detail::RankRequest rank;
  rank.mode = detail::RankMode::kNotification;
  rank.urgency = request.urgency;
  rank.sensitive = request.sensitive;
  rank.now = now_ts;
  OMNI_ASSIGN_OR_RETURN(rank.quiet, quiet_of(facts->customer, now_ts));
  NotificationResult out;
  out.choice = detail::rank_channels(candidates, rank);
  const ChannelOption* chosen = out.choice.chosen();
  if (!chosen) {
    return Status::failed_precondition("no channel can carry this notification: " +
                                       reasons_summary(out.choice));
  }
  out.deferred_until = chosen->deliver_at;
  const Rendered& text = texts[chosen->channel.value()];
  std::string reasons;
  for (std::size_t i = 0; i < chosen->reasons.size(); ++i)
    reasons += (i ? "; " : "") + chosen->reasons[i];

  // 3. Recorded with its pending delivery, as a reply is (the outbox): from here it is never
  // lost. A deferred one is due when the quiet hours end.
  auto prepared = impl_->run_write([&](StoreTransaction& tx) -> Result<Impl::Attempt> {
    OMNI_ASSIGN_OR_RETURN(Channel channel, tx.get_channel(request.tenant, chosen->channel));
    Touchpoint tp;
    tp.tenant = request.tenant;
    tp.customer = facts->customer.id;
    if (facts->conversation) tp.conversation = facts->conversation->id;
    tp.channel = channel.id;
    tp.channel_kind = channel.kind;
    tp.kind = TouchpointKind::kMessageOut;
    tp.agent = request.agent;
    tp.subject = text.subject;
    tp.body = text.body;
    tp.delivery = DeliveryStatus::kQueued;
    tp.metadata["notification_purpose"] = request.purpose;
    tp.metadata["notification_urgency"] = std::string(to_string(request.urgency));
    tp.metadata["notification_reasons"] = excerpt_of(reasons, kMaxMetadataBytes / 2);
    if (!request.template_key.empty()) tp.metadata["template"] = request.template_key;
    if (out.deferred_until) {
      tp.metadata["notification_deferred_until"] = format_timestamp(*out.deferred_until);
    }
    if (chosen->segments > 0 && channel.profile.length_rule == LengthRule::kSmsSegments) {
      tp.metadata["sms_segments"] = std::to_string(chosen->segments);
    }
    tp.occurred_at = now_ts;
    tp.recorded_at = now_ts;
    OMNI_ASSIGN_OR_RETURN(tp.id, tx.insert_touchpoint(tp));
    PendingDelivery delivery;
    delivery.tenant = request.tenant;
    delivery.touchpoint = tp.id;
    delivery.channel = channel.id;
    if (out.deferred_until) {
      delivery.attempts = 0;
      delivery.next_attempt_at = *out.deferred_until;
    } else {
      delivery.attempts = 1;
      delivery.next_attempt_at = now_ts + impl_->options.delivery_lease;
    }
    OMNI_RETURN_IF_ERROR(tx.insert_pending_delivery(delivery));
    const std::optional<ConversationId> conversation = tp.conversation;
    OMNI_RETURN_IF_ERROR(Impl::event(tx, request.tenant, tp.customer, conversation,
                                     "touchpoint.added",
                                     Payload()
                                         .add("touchpoint", tp.id)
                                         .add("kind", "message_out")
                                         .add("channel", to_string(channel.kind))
                                         .str(),
                                     now_ts));
    Payload payload;
    payload.add("touchpoint", tp.id)
        .add("purpose", request.purpose)
        .add("urgency", to_string(request.urgency))
        .add("channel", to_string(channel.kind))
        .add("reasons", reasons);
    if (out.deferred_until) payload.add("deliver_at", format_timestamp(*out.deferred_until));
    OMNI_RETURN_IF_ERROR(Impl::event(tx, request.tenant, tp.customer, conversation,
                                     "notification.queued", payload.str(), now_ts));
    // The address and its consent, checked again inside the transaction.
    OMNI_ASSIGN_OR_RETURN(Impl::Attempt attempt, impl_->prepare_attempt(tx, delivery, tp));
    OMNI_RETURN_IF_ERROR(attempt.unsendable);
    return attempt;
  });
  if (!prepared.ok()) return prepared.status();
  out.touchpoint = prepared->touchpoint;
  if (out.deferred_until) return out;

  // 4. The adapter, outside every lock and transaction; then the outcome.
  Result<SendReceipt> receipt = impl_->call_adapter(*prepared);
  Impl::DeliveryOutcome outcome = Impl::DeliveryOutcome::kAlreadyRecorded;
  auto recorded = impl_->record_outcome(*prepared, receipt, &outcome);
  if (!recorded.ok()) return recorded.status();
  if (outcome == Impl::DeliveryOutcome::kFailed) return receipt.status();
  out.touchpoint = std::move(*recorded);
  return out;
}

}  // namespace omni
