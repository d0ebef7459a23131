#include "cli/render.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cli/json_writer.h"
#include "cli/record.h"

namespace omni::cli {
namespace {

constexpr std::size_t kCustomerPageSize = 100;
// Customers examined per Engine::find_duplicates call (capped at the engine's max_page_size).
constexpr std::size_t kDuplicatePageSize = 200;
constexpr std::size_t kNameWidth = 28;
constexpr std::size_t kAuthorWidth = 16;
constexpr std::size_t kExcerptCodePoints = 60;

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (char c : text)
    n += is_continuation(c) ? 0 : 1;
  return n;
}

// `text` cut or padded with spaces to `width` code points.
std::string pad(std::string_view text, std::size_t width) {
  std::string out;
  if (code_points(text) > width) {
    out = one_line_excerpt(text, width);
  } else {
    out = std::string(text);
  }
  std::size_t n = code_points(out);
  if (n < width) out.append(width - n, ' ');
  return out;
}

// "2026-11-20 10:00:00" (UTC, whole seconds) for tables.
std::string human_time(Timestamp t) {
  std::string s = format_timestamp(t);
  if (s.size() >= 19 && s[10] == 'T') return s.substr(0, 10) + " " + s.substr(11, 8);
  return s;
}

std::string human_time(const std::optional<Timestamp>& t, std::string_view absent) {
  return t ? human_time(*t) : std::string(absent);
}

// Text from the database made safe for one line of a terminal.
std::string display(std::string_view text, std::size_t max_code_points = 200) {
  return one_line_excerpt(text, max_code_points);
}

std::string identity_text(const Identity& identity) {
  if (identity.scope.empty())
    return fmt::format("{}:{}", to_string(identity.kind), display(identity.value));
  return fmt::format("{}({}):{}", to_string(identity.kind), display(identity.scope),
                     display(identity.value));
}

std::string channel_text(const Channel& channel) {
  if (channel.name == to_string(channel.kind)) return std::string(to_string(channel.kind));
  return fmt::format("{} \"{}\"", to_string(channel.kind), printable(channel.name));
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// A score or weight for JSON: four decimal places, so 0.61 is not written as 0.6099999999999999.
double rounded(double value) {
  return std::round(value * 10000.0) / 10000.0;
}

}  // namespace

std::string format_cursor(const TimelineCursor& cursor) {
  return fmt::format("{}:{}", to_unix_micros(cursor.occurred_at), cursor.touchpoint.value());
}

std::optional<TimelineCursor> parse_cursor(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::int64_t micros = 0;
  std::int64_t id = 0;
  std::string_view first = text.substr(0, colon);
  std::string_view second = text.substr(colon + 1);
  auto [end1, error1] = std::from_chars(first.data(), first.data() + first.size(), micros);
  if (error1 != std::errc() || end1 != first.data() + first.size() || first.empty()) {
    return std::nullopt;
  }
  auto [end2, error2] = std::from_chars(second.data(), second.data() + second.size(), id);
  if (error2 != std::errc() || end2 != second.data() + second.size() || second.empty() || id <= 0) {
    return std::nullopt;
  }
  return TimelineCursor{from_unix_micros(micros), TouchpointId(id)};
}

Result<std::optional<Customer>> find_customer_record(Engine& engine, TenantId tenant,
                                                     CustomerId id) {
  // The record itself, not its survivor (customer_view would follow a merge).
  auto found = engine.get_customer(tenant, id);
  if (found.status().is(StatusCode::kNotFound)) return std::optional<Customer>();
  if (!found.ok()) return found.status();
  return std::optional<Customer>(std::move(*found));
}

TimelineCursor cursor_of(const Touchpoint& touchpoint) {
  return TimelineCursor{touchpoint.occurred_at, touchpoint.id};
}

std::string one_line_excerpt(std::string_view text, std::size_t max_code_points) {
  std::string flat;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !flat.empty();
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) continue;  // no terminal controls
    if (space) flat.push_back(' ');
    space = false;
    flat.push_back(c);
  }
  if (code_points(flat) <= max_code_points) return flat;
  // Keep max_code_points - 1 code points and the ellipsis.
  std::size_t kept = 0;
  std::size_t end = 0;
  while (end < flat.size()) {
    if (!is_continuation(flat[end])) {
      if (kept + 1 == max_code_points) break;
      ++kept;
    }
    ++end;
  }
  return flat.substr(0, end) + "…";
}

Status Renderer::not_found_as(const Status& status, std::string_view what, std::int64_t id) const {
  if (!status.is(StatusCode::kNotFound)) return status;
  return Status::not_found(
      fmt::format("no {} {} in tenant \"{}\"", what, id, printable(tenant_.name)));
}

Renderer::Renderer(Engine& engine, Tenant tenant, OutputFormat format, std::FILE* out)
    : engine_(engine), tenant_(std::move(tenant)), format_(format), out_(out) {}

std::string Renderer::agent_name(AgentId agent) {
  auto it = agent_names_.find(agent.value());
  if (it != agent_names_.end()) return it->second;
  auto found = engine_.get_agent(tenant_.id, agent);
  std::string name = found.ok() ? found->name : fmt::format("agent {}", agent.value());
  agent_names_.emplace(agent.value(), name);
  return name;
}

std::optional<Channel> Renderer::channel(ChannelId id) {
  auto it = channels_.find(id.value());
  if (it != channels_.end()) return it->second;
  auto found = engine_.get_channel(tenant_.id, id);
  std::optional<Channel> channel;
  if (found.ok()) channel = std::move(*found);
  channels_.emplace(id.value(), channel);
  return channel;
}

Result<std::string> Renderer::customer_name(CustomerId id) {
  auto it = customer_names_.find(id.value());
  if (it != customer_names_.end()) return it->second;
  auto found = find_customer_record(engine_, tenant_.id, id);
  if (!found.ok()) return found.status();
  if (!*found) return not_found_as(Status::not_found(""), "customer", id.value());
  customer_names_.emplace(id.value(), (*found)->display_name);
  return (*found)->display_name;
}

void Renderer::print_touchpoint_row(const Touchpoint& tp) {
  std::string text = display(tp.body.empty() ? tp.subject : tp.body, kExcerptCodePoints);
  if (!tp.attachments.empty()) {
    text += fmt::format(" [{}]", plural(tp.attachments.size(), "attachment", "attachments"));
  }
  fmt::print(out_, "{:>6}  {}  {:<10}  {:<17}  {}  {}\n", tp.id.value(), human_time(tp.occurred_at),
             tp.channel ? to_string(tp.channel_kind) : std::string_view("-"), to_string(tp.kind),
             pad(author_of(tp), kAuthorWidth), text);
  // A notification says why it went out on this channel, and when it waits for quiet hours.
  if (auto purpose = tp.metadata.find("notification_purpose"); purpose != tp.metadata.end()) {
    std::string line = "notification " + display(purpose->second, 60);
    if (auto u = tp.metadata.find("notification_urgency"); u != tp.metadata.end())
      line += ", urgency " + display(u->second, 20);
    if (auto d = tp.metadata.find("notification_deferred_until"); d != tp.metadata.end())
      line += ", deferred until " + display(d->second, 40);
    fmt::print(out_, "{:>8}{}\n", "", line);
    if (auto r = tp.metadata.find("notification_reasons"); r != tp.metadata.end())
      fmt::print(out_, "{:>8}reasons: {}\n", "", display(r->second, 400));
  }
}

std::string Renderer::author_of(const Touchpoint& touchpoint) {
  if (touchpoint.agent) return agent_name(*touchpoint.agent);
  if (is_inbound_kind(touchpoint.kind)) return "customer";
  // A consent keyword ("STOP") is the customer's own doing; other changes are the host's.
  if (touchpoint.kind == TouchpointKind::kPreferenceChange) {
    auto source = touchpoint.metadata.find("consent_source");
    if (source != touchpoint.metadata.end() && source->second == "keyword") return "customer";
  }
  return "system";
}

namespace {

void write_touchpoint_json(JsonWriter& w, const Touchpoint& tp, const std::string& author) {
  w.begin_object();
  w.field("id", tp.id);
  w.field("cursor", format_cursor(cursor_of(tp)));
  w.field("customer", tp.customer);
  w.field("conversation", tp.conversation);
  w.field("channel", tp.channel);
  w.field("channel_kind", to_string(tp.channel_kind));
  w.field("kind", to_string(tp.kind));
  w.field("author", author);
  w.field("agent", tp.agent);
  w.field("handoff", tp.handoff);
  w.field("subject", tp.subject);
  w.field("body", tp.body);
  w.key("attachments");
  w.begin_array();
  for (const Attachment& a : tp.attachments) {
    w.begin_object();
    w.field("filename", a.filename);
    w.field("content_type", a.content_type);
    w.field("size_bytes", static_cast<std::uint64_t>(a.size_bytes));
    w.field("sha256", a.sha256);
    w.end_object();
  }
  w.end_array();
  w.field("metadata", tp.metadata);
  // The notification_* metadata of a notification (Engine::notify), else null.
  w.key("notification");
  if (auto purpose = tp.metadata.find("notification_purpose"); purpose != tp.metadata.end()) {
    auto get = [&](const char* key) -> std::optional<std::string> {
      auto it = tp.metadata.find(key);
      if (it == tp.metadata.end()) return std::nullopt;
      return it->second;
    };
    w.begin_object();
    w.field("purpose", purpose->second);
    w.field("urgency", get("notification_urgency"));
    w.field("reasons", get("notification_reasons"));
    w.field("deferred_until", get("notification_deferred_until"));
    w.end_object();
  } else {
    w.null();
  }
  w.field("provider_message_id", tp.provider_message_id);
  w.field("delivery", to_string(tp.delivery));
  w.field("occurred_at", tp.occurred_at);
  w.field("recorded_at", tp.recorded_at);
  w.end_object();
}

void write_conversation_json(JsonWriter& w, const Conversation& c) {
  w.begin_object();
  w.field("id", c.id);
  w.field("customer", c.customer);
  w.field("status", to_string(c.status));
  w.field("priority", to_string(c.priority));
  w.field("subject", c.subject);
  w.field("assignee", c.assignee);
  w.field("team", c.team);
  w.field("origin_channel", c.origin_channel);
  w.field("current_channel", c.current_channel);
  w.field("opened_at", c.opened_at);
  w.field("updated_at", c.updated_at);
  w.field("first_response_at", c.first_response_at);
  w.field("last_inbound_at", c.last_inbound_at);
  w.field("last_outbound_at", c.last_outbound_at);
  w.field("resolved_at", c.resolved_at);
  w.field("closed_at", c.closed_at);
  w.field("reopen_count", c.reopen_count);
  w.field("routing_class", to_string(c.routing_class));
  w.field("skills", c.skills);
  w.field("language", c.language);
  w.field("queued_at", c.queued_at);
  w.field("offered_to", c.offered_to);
  w.field("offer_expires_at", c.offer_expires_at);
  w.field("preferred_agent", c.preferred_agent);
  w.field("sticky_until", c.sticky_until);
  w.field("next_timer_at", c.next_timer_at);
  w.field("handoff_count", c.handoff_count);
  w.key("sla");
  w.begin_object();
  w.field("policy", c.sla.policy);
  for (SlaClockKind kind :
       {SlaClockKind::kFirstResponse, SlaClockKind::kNextResponse, SlaClockKind::kResolution}) {
    const SlaClock& clock = c.sla.clock(kind);
    if (!clock.started_at) continue;
    w.key(to_string(kind));
    w.begin_object();
    w.field("started_at", clock.started_at);
    w.field("warn_at", clock.warn_at);
    w.field("due_at", clock.due_at);
    w.field("stopped_at", clock.stopped_at);
    w.field("warned", clock.warned);
    w.field("breached", clock.breached);
    w.end_object();
  }
  w.field("paused_at", c.sla.paused_at);
  w.field("next_responses_met", c.sla.next_responses_met);
  w.field("next_responses_breached", c.sla.next_responses_breached);
  w.end_object();
  w.end_object();
}

void write_handoff_json(JsonWriter& w, const Handoff& h) {
  w.begin_object();
  w.field("id", h.id);
  w.field("kind", to_string(h.kind));
  w.field("mode", to_string(h.mode));
  w.field("from_channel", h.from_channel);
  w.field("to_channel", h.to_channel);
  w.field("from_agent", h.from_agent);
  w.field("to_agent", h.to_agent);
  w.field("from_team", h.from_team);
  w.field("to_team", h.to_team);
  w.field("reason", h.reason);
  w.field("created_at", h.created_at);
  w.field("acknowledged_at", h.acknowledged_at);
  w.field("acknowledged_by", h.acknowledged_by);
  const ContextPacket& p = h.context;
  w.key("context");
  w.begin_object();
  w.field("version", static_cast<std::uint64_t>(p.version));
  w.field("customer", p.customer);
  w.field("customer_name", p.customer_name);
  w.field("identities", p.identities);
  w.field("conversation", p.conversation);
  w.field("subject", p.subject);
  w.field("status", p.status);
  w.field("open_questions", p.open_questions);
  w.field("tried", p.tried);
  w.field("notes", p.notes);
  w.key("recent");
  w.begin_array();
  for (const ContextEntry& e : p.recent) {
    w.begin_object();
    w.field("occurred_at", e.occurred_at);
    w.field("channel_kind", to_string(e.channel_kind));
    w.field("kind", to_string(e.kind));
    w.field("author", e.author);
    w.field("excerpt", e.excerpt);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  w.end_object();
}

void write_merge_json(JsonWriter& w, const MergeRecord& m, bool with_unmerge) {
  w.begin_object();
  w.field("id", m.id);
  w.field("survivor", m.survivor);
  w.field("merged", m.merged);
  w.field("actor", m.actor);
  w.field("reason", m.reason);
  w.field("merged_at", m.merged_at);
  w.key("conflicts");
  w.begin_array();
  for (const AttributeConflict& c : m.conflicts) {
    w.begin_object();
    w.field("key", c.key);
    w.field("survivor_value", c.survivor_value);
    w.field("merged_value", c.merged_value);
    w.end_object();
  }
  w.end_array();
  w.field("copied_attributes", m.copied_attributes);
  if (with_unmerge) {
    w.field("unmerged_at", m.unmerged_at);
    w.field("unmerged_by", m.unmerged_by);
  }
  w.end_object();
}

void write_customer_ref_json(JsonWriter& w, CustomerId id, const std::string& display_name) {
  w.begin_object();
  w.field("id", id);
  w.field("display_name", display_name);
  w.end_object();
}

}  // namespace

namespace {

std::string hh_mm(std::chrono::minutes m) {
  return fmt::format("{:02}:{:02}", m.count() / 60, m.count() % 60);
}

std::optional<std::chrono::minutes> parse_hh_mm(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  int hours = 0;
  int minutes = 0;
  auto h = std::from_chars(text.data(), text.data() + 2, hours);
  auto m = std::from_chars(text.data() + 3, text.data() + 5, minutes);
  if (h.ec != std::errc() || h.ptr != text.data() + 2 || m.ec != std::errc() ||
      m.ptr != text.data() + 5 || hours > 23 || minutes > 59 || hours < 0 || minutes < 0) {
    return std::nullopt;
  }
  return std::chrono::minutes(hours * 60 + minutes);
}

std::string kind_list(const std::vector<ChannelKind>& kinds) {
  std::string out;
  for (ChannelKind kind : kinds)
    out += (out.empty() ? "" : ", ") + std::string(to_string(kind));
  return out;
}

std::string variant_label(const std::optional<ChannelKind>& kind, std::string_view language) {
  return fmt::format("{}/{}", kind ? to_string(*kind) : std::string_view("generic"),
                     display(language, 35));
}

void write_preferences_json(JsonWriter& w, const ContactPreferences& p) {
  w.begin_object();
  w.key("channels");
  w.begin_array();
  for (ChannelKind kind : p.channels)
    w.value(to_string(kind));
  w.end_array();
  w.field("language", p.language);
  w.field("time_zone", p.time_zone);
  w.key("quiet_hours");
  if (p.quiet_hours) {
    w.begin_object();
    w.field("start", hh_mm(p.quiet_hours->start));
    w.field("end", hh_mm(p.quiet_hours->end));
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();
}

// One consent, with its address from `identities` (the customer's).
void write_consent_json(JsonWriter& w, const Consent& c, const std::vector<Identity>& identities) {
  const Identity* identity = nullptr;
  for (const Identity& i : identities) {
    if (i.id == c.identity) identity = &i;
  }
  w.begin_object();
  w.field("identity", c.identity);
  w.field("address_kind",
          identity ? std::optional<std::string>(to_string(identity->kind)) : std::nullopt);
  w.field("address", identity ? std::optional<std::string>(identity->value) : std::nullopt);
  w.field("channel_kind", to_string(c.channel_kind));
  w.field("state", to_string(c.state));
  w.field("source", c.source);
  w.field("evidence", c.evidence);
  w.field("changed_at", c.changed_at);
  w.end_object();
}

void write_template_json(JsonWriter& w, const ReplyTemplate& t) {
  w.begin_object();
  w.field("key", t.key);
  w.field("description", t.description);
  w.field("default_language", t.default_language);
  w.key("variants");
  w.begin_array();
  for (const TemplateVariant& v : t.variants) {
    w.begin_object();
    w.key("kind");
    if (v.channel_kind) {
      w.value(to_string(*v.channel_kind));
    } else {
      w.null();
    }
    w.field("language", v.language);
    w.field("format", to_string(v.format));
    w.field("subject", v.subject);
    w.field("body", v.body);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace

Status Renderer::agents() {
  auto agents = engine_.list_agents(tenant_.id);
  if (!agents.ok()) return agents.status();
  if (format_ == OutputFormat::kJson) {
    JsonWriter w(out_);
    w.begin_object();
    w.field("tenant", tenant_.name);
    w.key("agents");
    w.begin_array();
    for (const Agent& a : *agents) {
      w.begin_object();
      w.field("id", a.id);
      w.field("name", a.name);
      w.field("kind", to_string(a.kind));
      w.field("presence", to_string(a.presence));
      w.field("teams", a.teams);
      w.field("skills", a.skills);
      w.field("languages", a.languages);
      w.key("capacity");
      w.begin_object();
      w.field("sync", a.capacity.synchronous);
      w.field("async", a.capacity.asynchronous);
      w.end_object();
      w.key("load");
      w.begin_object();
      w.field("sync", a.load.synchronous);
      w.field("async", a.load.asynchronous);
      w.end_object();
      w.field("last_routed_at", a.last_routed_at);
      w.end_object();
    }
    w.end_array();
    w.end_object();
    w.finish();
    return Status();
  }
  auto join = [](const std::vector<std::string>& list) {
    std::string out;
    for (const auto& item : list)
      out += (out.empty() ? "" : ",") + display(item, 40);
    return out.empty() ? std::string("-") : out;
  };
  fmt::print(out_, "{:>6}  {}  {:<5}  {:<9}  {:>5}  {:>5}  {}\n", "ID", pad("NAME", kNameWidth),
             "KIND", "PRESENCE", "SYNC", "ASYNC", "TEAMS / SKILLS / LANGUAGES");
  for (const Agent& a : *agents) {
    fmt::print(out_, "{:>6}  {}  {:<5}  {:<9}  {:>5}  {:>5}  {} / {} / {}\n", a.id.value(),
               pad(display(a.name), kNameWidth), to_string(a.kind), to_string(a.presence),
               fmt::format("{}/{}", a.load.synchronous, a.capacity.synchronous),
               fmt::format("{}/{}", a.load.asynchronous, a.capacity.asynchronous), join(a.teams),
               join(a.skills), join(a.languages));
  }
  fmt::print(out_, "{} in tenant \"{}\" (load/capacity per class)\n",
             plural(agents->size(), "agent", "agents"), display(tenant_.name));
  return Status();
}

Status Renderer::customers() {
  std::optional<JsonWriter> json;
  if (format_ == OutputFormat::kJson) {
    json.emplace(out_);
    json->begin_object();
    json->field("tenant", tenant_.name);
    json->key("customers");
    json->begin_array();
  } else {
    fmt::print(out_, "{:>6}  {}  {:>4}  {}\n", "ID", pad("NAME", kNameWidth), "OPEN", "IDENTITIES");
  }
  std::size_t count = 0;
  CustomerId after;
  for (;;) {
    auto page = engine_.list_customers(tenant_.id, after, kCustomerPageSize);
    if (!page.ok()) return page.status();
    for (const Customer& customer : *page) {
      // customer_view resolves a merged customer to its survivor; a merged record itself has
      // no identities or conversations of its own to list.
      std::optional<CustomerView> view;
      if (!customer.merged_into) {
        auto found = engine_.customer_view(tenant_.id, customer.id);
        if (!found.ok()) return found.status();
        view = std::move(*found);
      }
      const std::vector<Identity> no_identities;
      const std::vector<Conversation> no_conversations;
      const std::vector<Identity>& identities = view ? view->identities : no_identities;
      const std::vector<Conversation>& active =
          view ? view->active_conversations : no_conversations;
      ++count;
      if (json) {
        JsonWriter& w = *json;
        w.begin_object();
        w.field("id", customer.id);
        w.field("display_name", customer.display_name);
        w.field("attributes", customer.attributes);
        w.field("merged_into", customer.merged_into);
        w.field("created_at", customer.created_at);
        w.field("updated_at", customer.updated_at);
        w.key("identities");
        w.begin_array();
        for (const Identity& identity : identities) {
          w.begin_object();
          w.field("id", identity.id);
          w.field("kind", to_string(identity.kind));
          w.field("scope", identity.scope);
          w.field("value", identity.value);
          w.field("verified", identity.verified);
          w.field("source", identity.source);
          w.field("first_seen", identity.first_seen);
          w.field("last_seen", identity.last_seen);
          w.end_object();
        }
        w.end_array();
        w.key("active_conversations");
        w.begin_array();
        for (const Conversation& c : active)
          write_conversation_json(w, c);
        w.end_array();
        w.key("preferences");
        write_preferences_json(w, customer.preferences);
        w.key("consents");
        w.begin_array();
        if (view) {
          for (const Consent& c : view->consents)
            write_consent_json(w, c, view->identities);
        }
        w.end_array();
        w.end_object();
        continue;
      }
      std::string identity_list;
      if (customer.merged_into) {
        identity_list = fmt::format("(merged into {})", customer.merged_into->value());
      }
      for (const Identity& identity : identities) {
        if (!identity_list.empty()) identity_list += ", ";
        identity_list += identity_text(identity);
      }
      fmt::print(out_, "{:>6}  {}  {:>4}  {}\n", customer.id.value(),
                 pad(display(customer.display_name), kNameWidth), active.size(), identity_list);
    }
    if (page->size() < kCustomerPageSize) break;
    after = page->back().id;
  }
  if (json) {
    json->end_array();
    json->field("count", static_cast<std::uint64_t>(count));
    json->end_object();
    json->finish();
  } else {
    fmt::print(out_, "{} in tenant \"{}\"\n", plural(count, "customer", "customers"),
               printable(tenant_.name));
  }
  return Status();
}

Status Renderer::timeline(const TimelineQuery& query) {
  auto view = engine_.customer_view(tenant_.id, query.customer);
  if (!view.ok()) return not_found_as(view.status(), "customer", query.customer.value());
  auto page = engine_.timeline(query);
  if (!page.ok()) return page.status();

  if (format_ == OutputFormat::kJson) {
    JsonWriter w(out_);
    w.begin_object();
    w.field("tenant", tenant_.name);
    w.key("customer");
    w.begin_object();
    w.field("id", view->customer.id);
    w.field("display_name", view->customer.display_name);
    w.end_object();
    w.field("conversation", query.conversation);
    w.key("touchpoints");
    w.begin_array();
    for (const Touchpoint& tp : page->touchpoints)
      write_touchpoint_json(w, tp, author_of(tp));
    w.end_array();
    w.field("older", page->older ? std::optional(format_cursor(*page->older)) : std::nullopt);
    w.field("newer", page->newer ? std::optional(format_cursor(*page->newer)) : std::nullopt);
    w.end_object();
    w.finish();
    return Status();
  }

  fmt::print(out_, "Timeline of customer {} ({})", view->customer.id.value(),
             display(view->customer.display_name));
  if (query.conversation) fmt::print(out_, ", conversation {}", query.conversation->value());
  fmt::print(out_, " — {}, oldest first, times in UTC\n",
             plural(page->touchpoints.size(), "touchpoint", "touchpoints"));
  for (const Touchpoint& tp : page->touchpoints)
    print_touchpoint_row(tp);
  if (page->older) fmt::print(out_, "older: --before {}\n", format_cursor(*page->older));
  if (page->newer) fmt::print(out_, "newer: --after {}\n", format_cursor(*page->newer));
  return Status();
}

Status Renderer::conversation(ConversationId id) {
  auto view = engine_.conversation_view(tenant_.id, id);
  if (!view.ok()) return not_found_as(view.status(), "conversation", id.value());
  const Conversation& c = view->conversation;

  // The channels of the conversation: where it began, where it is now, and those of the shown
  // touchpoints, each once, in order of appearance.
  std::vector<ChannelId> channel_ids{c.origin_channel};
  auto add_channel = [&](ChannelId channel_id) {
    if (!channel_id.valid()) return;
    for (ChannelId known : channel_ids) {
      if (known == channel_id) return;
    }
    channel_ids.push_back(channel_id);
  };
  for (const Handoff& h : view->handoffs) {
    if (h.from_channel) add_channel(*h.from_channel);
    if (h.to_channel) add_channel(*h.to_channel);
  }
  for (const Touchpoint& tp : view->touchpoints) {
    if (tp.channel) add_channel(*tp.channel);
  }
  add_channel(c.current_channel);
  std::vector<Channel> channels;
  for (ChannelId channel_id : channel_ids) {
    if (!channel_id.valid()) continue;
    if (auto found = channel(channel_id)) channels.push_back(std::move(*found));
  }
  std::optional<TimelineCursor> older;
  if (view->more_history && !view->touchpoints.empty())
    older = cursor_of(view->touchpoints.front());

  if (format_ == OutputFormat::kJson) {
    JsonWriter w(out_);
    w.begin_object();
    w.field("tenant", tenant_.name);
    w.key("conversation");
    write_conversation_json(w, c);
    w.key("customer");
    w.begin_object();
    w.field("id", view->customer.id);
    w.field("display_name", view->customer.display_name);
    w.end_object();
    w.key("assignee");
    if (view->assignee) {
      w.begin_object();
      w.field("id", view->assignee->id);
      w.field("name", view->assignee->name);
      w.field("kind", to_string(view->assignee->kind));
      w.end_object();
    } else {
      w.null();
    }
    w.key("channels");
    w.begin_array();
    for (const Channel& ch : channels) {
      w.begin_object();
      w.field("id", ch.id);
      w.field("kind", to_string(ch.kind));
      w.field("name", ch.name);
      w.end_object();
    }
    w.end_array();
    w.key("handoffs");
    w.begin_array();
    for (const Handoff& h : view->handoffs)
      write_handoff_json(w, h);
    w.end_array();
    w.key("touchpoints");
    w.begin_array();
    for (const Touchpoint& tp : view->touchpoints)
      write_touchpoint_json(w, tp, author_of(tp));
    w.end_array();
    w.field("more_history", view->more_history);
    w.field("older", older ? std::optional(format_cursor(*older)) : std::nullopt);
    w.end_object();
    w.finish();
    return Status();
  }

  auto line = [&](std::string_view label, const std::string& value) {
    fmt::print(out_, "{:<16}{}\n", label, value);
  };
  fmt::print(out_, "Conversation {} · {} · priority {}\n", c.id.value(), to_string(c.status),
             to_string(c.priority));
  line("Customer",
       fmt::format("{} {}", view->customer.id.value(), display(view->customer.display_name)));
  line("Subject", display(c.subject, 100));
  line("Assignee", view->assignee ? fmt::format("{} (agent {})", display(view->assignee->name),
                                                view->assignee->id.value())
                                  : std::string("unassigned"));
  if (!c.team.empty()) line("Team", display(c.team));
  if (c.offered_to) {
    line("Offered to", fmt::format("agent {} until {}", c.offered_to->value(),
                                   human_time(c.offer_expires_at, "-")));
  }
  if (c.queued_at) line("Waiting since", human_time(*c.queued_at));
  if (c.preferred_agent) {
    line("Preferred agent",
         fmt::format("agent {}{}", c.preferred_agent->value(),
                     c.sticky_until ? " (reserved until " + human_time(*c.sticky_until) + ")"
                                    : std::string()));
  }
  if (!c.sla.policy.empty() && c.sla.policy != "-") {
    std::string sla = "policy " + display(c.sla.policy);
    for (SlaClockKind kind :
         {SlaClockKind::kFirstResponse, SlaClockKind::kNextResponse, SlaClockKind::kResolution}) {
      const SlaClock& clock = c.sla.clock(kind);
      if (!clock.due_at) continue;
      const char* state = clock.met()        ? "met"
                          : clock.breached   ? "breached"
                          : clock.stopped_at ? "missed"
                          : c.sla.paused_at  ? "paused"
                                             : "running";
      sla += fmt::format("; {} due {} ({})", to_string(kind), human_time(*clock.due_at), state);
    }
    line("SLA", sla);
  }
  std::string channel_list;
  for (const Channel& ch : channels) {
    if (!channel_list.empty()) channel_list += ", ";
    channel_list += channel_text(ch);
    if (ch.id == c.origin_channel && ch.id == c.current_channel) {
      channel_list += " (origin, current)";
    } else if (ch.id == c.origin_channel) {
      channel_list += " (origin)";
    } else if (ch.id == c.current_channel) {
      channel_list += " (current)";
    }
  }
  line("Channels", channel_list);
  line("Opened", human_time(c.opened_at));
  line("First response", human_time(c.first_response_at, "none yet"));
  if (c.last_inbound_at) line("Last inbound", human_time(*c.last_inbound_at));
  if (c.last_outbound_at) line("Last outbound", human_time(*c.last_outbound_at));
  if (c.resolved_at) line("Resolved", human_time(*c.resolved_at));
  if (c.closed_at) line("Closed", human_time(*c.closed_at));
  if (c.reopen_count > 0)
    line("Reopened", plural(static_cast<std::size_t>(c.reopen_count), "time", "times"));

  fmt::print(out_, "\nHandoffs ({})\n", view->handoffs.size());
  for (const Handoff& h : view->handoffs) {
    // "A → B", or "from A" / "to B" when only one side is recorded.
    std::vector<std::string> moves;
    auto add_move = [&](const std::string& from, const std::string& to) {
      if (!from.empty() && !to.empty()) {
        moves.push_back(fmt::format("{} → {}", from, to));
      } else if (!from.empty()) {
        moves.push_back("from " + from);
      } else if (!to.empty()) {
        moves.push_back("to " + to);
      }
    };
    auto channel_name = [&](const std::optional<ChannelId>& channel_id) -> std::string {
      if (!channel_id) return "";
      auto found = channel(*channel_id);
      return found ? channel_text(*found) : fmt::format("channel {}", channel_id->value());
    };
    auto agent = [&](const std::optional<AgentId>& agent_id) -> std::string {
      return agent_id ? display(agent_name(*agent_id)) : "";
    };
    auto team = [&](const std::string& name) -> std::string {
      return name.empty() ? "" : "team " + display(name);
    };
    add_move(channel_name(h.from_channel), channel_name(h.to_channel));
    add_move(agent(h.from_agent), agent(h.to_agent));
    add_move(team(h.from_team), team(h.to_team));
    std::string state;
    if (h.acknowledged_at) {
      state = fmt::format("acknowledged {}{}", human_time(*h.acknowledged_at),
                          h.acknowledged_by
                              ? fmt::format(" by {}", display(agent_name(*h.acknowledged_by)))
                              : std::string());
    } else if (h.mode == HandoffMode::kWarm) {
      state = "awaiting acknowledgement";
    }
    std::string move_text;
    for (const std::string& m : moves)
      move_text += (move_text.empty() ? "" : ", ") + m;
    fmt::print(out_, "  {}  {} ({})  {}\n", human_time(h.created_at), to_string(h.kind),
               to_string(h.mode), move_text);
    fmt::print(out_, "      reason: {}\n", display(h.reason));
    if (!state.empty()) fmt::print(out_, "      {}\n", state);
    for (const std::string& q : h.context.open_questions) {
      fmt::print(out_, "      open: {}\n", display(q));
    }
    for (const std::string& t : h.context.tried) {
      fmt::print(out_, "      tried: {}\n", display(t));
    }
  }

  fmt::print(out_, "\nTouchpoints ({}{})\n", view->touchpoints.size(),
             view->more_history ? ", the newest; older ones exist" : "");
  for (const Touchpoint& tp : view->touchpoints)
    print_touchpoint_row(tp);
  if (older) {
    fmt::print(out_, "older: timeline {} --conversation {} --before {}\n",
               view->customer.id.value(), c.id.value(), format_cursor(*older));
  }
  return Status();
}

Status Renderer::duplicates() {
  // Every page first: the engine orders suggestions within a page, the listing orders them all.
  const std::size_t page_size = std::min(kDuplicatePageSize, engine_.options().max_page_size);
  std::vector<DuplicateSuggestion> suggestions;
  CustomerId after;
  for (;;) {
    std::optional<CustomerId> next;
    auto page = engine_.find_duplicates(tenant_.id, after, page_size, &next);
    if (!page.ok()) return page.status();
    for (DuplicateSuggestion& s : *page)
      suggestions.push_back(std::move(s));
    if (!next || !(after < *next)) break;
    after = *next;
  }
  std::stable_sort(suggestions.begin(), suggestions.end(),
                   [](const DuplicateSuggestion& a, const DuplicateSuggestion& b) {
                     if (a.score != b.score) return a.score > b.score;
                     if (a.customer != b.customer) return a.customer < b.customer;
                     return a.candidate < b.candidate;
                   });

  std::optional<JsonWriter> json;
  if (format_ == OutputFormat::kJson) {
    json.emplace(out_);
    json->begin_object();
    json->field("tenant", tenant_.name);
    json->key("suggestions");
    json->begin_array();
  }
  for (const DuplicateSuggestion& s : suggestions) {
    auto customer = customer_name(s.customer);
    if (!customer.ok()) return customer.status();
    auto candidate = customer_name(s.candidate);
    if (!candidate.ok()) return candidate.status();
    if (json) {
      JsonWriter& w = *json;
      w.begin_object();
      w.key("customer");
      write_customer_ref_json(w, s.customer, *customer);
      w.key("candidate");
      write_customer_ref_json(w, s.candidate, *candidate);
      w.field("score", rounded(s.score));
      w.key("evidence");
      w.begin_array();
      for (const DuplicateEvidence& e : s.evidence) {
        w.begin_object();
        w.field("reason", to_string(e.reason));
        w.field("detail", e.detail);
        w.field("weight", rounded(e.weight));
        w.end_object();
      }
      w.end_array();
      w.end_object();
      continue;
    }
    fmt::print(out_, "customer {} ({}) ~ customer {} ({})  score {:.2f}\n", s.customer.value(),
               display(*customer), s.candidate.value(), display(*candidate), s.score);
    for (const DuplicateEvidence& e : s.evidence) {
      fmt::print(out_, "  {}: {} ({:.2f})\n", to_string(e.reason), display(e.detail), e.weight);
    }
  }
  if (json) {
    json->end_array();
    json->field("count", static_cast<std::uint64_t>(suggestions.size()));
    json->end_object();
    json->finish();
  } else if (suggestions.empty()) {
    fmt::print(out_, "0 suggestions in tenant \"{}\"; nothing was merged\n",
               printable(tenant_.name));
  } else {
    fmt::print(out_, "{}; nothing was merged (use omni merge)\n",
               plural(suggestions.size(), "suggestion", "suggestions"));
  }
  return Status();
}

Status Renderer::merged(const MergeRecord& merge) {
  if (format_ == OutputFormat::kJson) {
    JsonWriter w(out_);
    write_merge_json(w, merge, false);
    w.finish();
    return Status();
  }
  // Both records still exist: the merged one keeps its own name and attributes. The merge is
  // done, so a failed read only leaves the names out instead of failing the command.
  auto read = [&](CustomerId id) {
    auto found = find_customer_record(engine_, tenant_.id, id);
    return found.ok() ? std::move(*found) : std::nullopt;
  };
  std::optional<Customer> merged = read(merge.merged);
  std::optional<Customer> survivor = read(merge.survivor);
  auto label = [](CustomerId id, const std::optional<Customer>& c) {
    return c ? fmt::format("customer {} ({})", id.value(), display(c->display_name))
             : fmt::format("customer {}", id.value());
  };
  fmt::print(out_, "merged {} into {}: merge {}\n", label(merge.merged, merged),
             label(merge.survivor, survivor), merge.id.value());
  for (const AttributeConflict& c : merge.conflicts) {
    fmt::print(out_, "conflict {}: kept '{}', customer {} keeps '{}'\n", display(c.key),
               display(c.survivor_value), merge.merged.value(), display(c.merged_value));
  }
  for (const std::string& key : merge.copied_attributes) {
    std::string value;
    if (survivor) {
      auto it = survivor->attributes.find(key);
      if (it != survivor->attributes.end()) value = display(it->second);
    }
    fmt::print(out_, "copied attribute {}: '{}' from customer {}\n", display(key), value,
               merge.merged.value());
  }
  return Status();
}

Status Renderer::unmerged(const UnmergeResult& result) {
  const MergeRecord& merge = result.merge;
  if (format_ == OutputFormat::kJson) {
    JsonWriter w(out_);
    w.begin_object();
    w.key("merge");
    write_merge_json(w, merge, true);
    w.field("moved_touchpoints", static_cast<std::uint64_t>(result.moved_touchpoints));
    w.key("split_conversations");
    w.begin_array();
    for (ConversationId id : result.split_conversations)
      w.value(id);
    w.end_array();
    w.end_object();
    w.finish();
    return Status();
  }
  std::string split;
  for (ConversationId id : result.split_conversations)
    split += fmt::format("{}{}", split.empty() ? ": " : ", ", id.value());
  fmt::print(out_, "unmerged customer {} from customer {} (merge {}); {} moved, {}{}\n",
             merge.merged.value(), merge.survivor.value(), merge.id.value(),
             plural(result.moved_touchpoints, "touchpoint", "touchpoints"),
             plural(result.split_conversations.size(), "new conversation", "new conversations"),
             split);
  return Status();
}

std::string format_quiet_hours(const QuietHours& hours) {
  return hh_mm(hours.start) + "-" + hh_mm(hours.end);
}

std::optional<QuietHours> parse_quiet_hours(std::string_view text) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto start = parse_hh_mm(text.substr(0, dash));
  auto end = parse_hh_mm(text.substr(dash + 1));
  if (!start || !end) return std::nullopt;
  return QuietHours{*start, *end};
}

void write_fit_fields(JsonWriter& w, const FitReport& r) {
  w.field("encoding", to_string(r.encoding));
  w.field("length", static_cast<std::uint64_t>(r.length));
  w.field("segments", static_cast<std::uint64_t>(r.segments));
  w.key("parts");
  w.begin_array();
  for (const FitPart& part : r.parts) {
    w.begin_object();
    w.field("text", part.text);
    w.field("length", static_cast<std::uint64_t>(part.length));
    w.end_object();
  }
  w.end_array();
  w.field("max_length", static_cast<std::uint64_t>(r.max_length));
  w.field("max_part_length", static_cast<std::uint64_t>(r.max_part_length));
  w.field("max_parts", static_cast<std::uint64_t>(r.max_parts));
  w.field("fits", r.fits);
  w.field("non_gsm_characters", r.non_gsm_characters);
}

void print_fit_text(std::FILE* out, std::string_view label, const FitReport& r) {
  const bool sms = r.rule == LengthRule::kSmsSegments;
  std::string_view unit = "characters";
  if (sms) {
    unit = r.encoding == TextEncoding::kGsm7 ? "septets" : "UTF-16 units";
  } else if (r.rule == LengthRule::kTwitterWeighted) {
    unit = "weighted characters";
  }
  fmt::print(out, "{}: {}, {} {}, {} {}{} (max {}), {}\n", label, to_string(r.encoding), r.length,
             unit, r.segments, sms ? "segment" : "part", r.segments == 1 ? "" : "s", r.max_parts,
             r.fits ? "fits" : "does not fit");
  for (std::size_t i = 0; i < r.parts.size(); ++i) {
    const FitPart& part = r.parts[i];
    fmt::print(out, "{:>4}  {:>5}  \"{}\"\n", i + 1, part.length,
               printable(part.text, part.text.size()));
  }
  if (!r.non_gsm_characters.empty()) {
    std::string list;
    for (const std::string& c : r.non_gsm_characters) {
      if (!list.empty()) list += ' ';
      list += printable(c);
    }
    fmt::print(out, "non-GSM characters (they force UCS-2): {}\n", list);
  }
}

Status Renderer::contact(CustomerId id, const std::vector<Consent>* consents) {
  auto view = engine_.customer_view(tenant_.id, id);
  if (!view.ok()) return not_found_as(view.status(), "customer", id.value());
  const std::vector<Consent>& list = consents ? *consents : view->consents;
  const ContactPreferences& p = view->customer.preferences;
  auto address = [&](IdentityId identity) -> std::optional<Identity> {
    for (const Identity& i : view->identities) {
      if (i.id == identity) return i;
    }
    return std::nullopt;
  };
  if (format_ == OutputFormat::kJson) {
    JsonWriter w(out_);
    w.begin_object();
    w.field("tenant", tenant_.name);
    w.key("customer");
    write_customer_ref_json(w, view->customer.id, view->customer.display_name);
    w.key("preferences");
    write_preferences_json(w, p);
    w.key("consents");
    w.begin_array();
    for (const Consent& c : list)
      write_consent_json(w, c, view->identities);
    w.end_array();
    w.end_object();
    w.finish();
    return Status();
  }
  auto line = [&](std::string_view label, const std::string& value) {
    fmt::print(out_, "{:<16}{}\n", label, value.empty() ? std::string("-") : value);
  };
  fmt::print(out_, "Customer {} ({})\n", view->customer.id.value(),
             display(view->customer.display_name));
  line("Channels", kind_list(p.channels));
  line("Language", display(p.language, 40));
  line("Time zone", display(p.time_zone, 60));
  line("Quiet hours", p.quiet_hours ? format_quiet_hours(*p.quiet_hours) : std::string());
  fmt::print(out_, "\nConsents ({})\n", list.size());
  for (const Consent& c : list) {
    std::optional<Identity> identity = address(c.identity);
    std::string who =
        identity ? identity_text(*identity) : fmt::format("identity {}", c.identity.value());
    fmt::print(out_, "  {}  {:<10}  {:<9}  {}  {}{}\n", pad(who, kNameWidth),
               to_string(c.channel_kind), to_string(c.state), human_time(c.changed_at),
               display(c.source, 40), c.evidence.empty() ? "" : ": " + display(c.evidence, 80));
  }
  return Status();
}

Status Renderer::templates() {
  auto list = engine_.list_templates(tenant_.id);
  if (!list.ok()) return list.status();
  if (format_ == OutputFormat::kJson) {
    JsonWriter w(out_);
    w.begin_object();
    w.field("tenant", tenant_.name);
    w.key("templates");
    w.begin_array();
    for (const ReplyTemplate& t : *list)
      write_template_json(w, t);
    w.end_array();
    w.field("count", static_cast<std::uint64_t>(list->size()));
    w.end_object();
    w.finish();
    return Status();
  }
  for (const ReplyTemplate& t : *list) {
    std::string variants;
    for (const TemplateVariant& v : t.variants)
      variants += (variants.empty() ? "" : ", ") + variant_label(v.channel_kind, v.language);
    fmt::print(out_, "{}  {}  [{}]\n", pad(display(t.key), kNameWidth), display(t.description, 60),
               variants);
  }
  fmt::print(out_, "{} in tenant \"{}\"\n", plural(list->size(), "template", "templates"),
             printable(tenant_.name));
  return Status();
}

Status Renderer::template_detail(const ReplyTemplate& t, std::string_view action) {
  if (format_ == OutputFormat::kJson) {
    JsonWriter w(out_);
    write_template_json(w, t);
    w.finish();
    return Status();
  }
  if (!action.empty()) fmt::print(out_, "{} template {}\n", action, display(t.key));
  fmt::print(out_, "Template {}: {}\n", display(t.key), display(t.description, 100));
  fmt::print(out_, "Default language {}\n", display(t.default_language, 35));
  for (const TemplateVariant& v : t.variants) {
    fmt::print(out_, "\n[{}] {}\n", variant_label(v.channel_kind, v.language), to_string(v.format));
    if (!v.subject.empty()) fmt::print(out_, "subject: {}\n", display(v.subject));
    fmt::print(out_, "{}\n", printable(v.body, v.body.size()));
  }
  return Status();
}

Status Renderer::rendered(const RenderedReply& r) {
  std::optional<Channel> ch = channel(r.channel);
  if (format_ == OutputFormat::kJson) {
    JsonWriter w(out_);
    w.begin_object();
    w.field("template", r.template_key);
    w.key("variant");
    w.begin_object();
    w.key("kind");
    if (r.variant_kind) {
      w.value(to_string(*r.variant_kind));
    } else {
      w.null();
    }
    w.field("language", r.language);
    w.field("format", to_string(r.format));
    w.end_object();
    w.key("channel");
    w.begin_object();
    w.field("id", r.channel);
    w.field("kind", ch ? std::optional<std::string>(to_string(ch->kind)) : std::nullopt);
    w.field("name", ch ? std::optional<std::string>(ch->name) : std::nullopt);
    w.end_object();
    w.field("reasons", r.reasons);
    w.field("subject", r.subject);
    w.field("body", r.body);
    w.key("fit");
    w.begin_object();
    w.field("rule", to_string(r.fit.rule));
    write_fit_fields(w, r.fit);
    w.end_object();
    w.end_object();
    w.finish();
    return Status();
  }
  fmt::print(out_, "Template {} · variant {} · {} · channel {}\n", display(r.template_key),
             variant_label(r.variant_kind, r.language), to_string(r.format),
             ch ? channel_text(*ch) : fmt::format("{}", r.channel.value()));
  for (const std::string& reason : r.reasons)
    fmt::print(out_, "reason: {}\n", display(reason, 300));
  if (!r.subject.empty()) fmt::print(out_, "subject: {}\n", display(r.subject));
  fmt::print(out_, "body: {}\n", printable(r.body, r.body.size()));
  print_fit_text(out_, fmt::format("fit ({})", to_string(r.fit.rule)), r.fit);
  return Status();
}

Status Renderer::recommendation(const FollowUpRequest& request, const ChannelChoice& choice) {
  const ChannelOption* chosen = choice.chosen();
  if (format_ == OutputFormat::kJson) {
    JsonWriter w(out_);
    w.begin_object();
    w.field("tenant", tenant_.name);
    w.field("customer", request.customer);
    w.field("conversation", request.conversation);
    w.field("urgency", to_string(request.urgency));
    w.field("sensitive", request.sensitive);
    w.field("chosen", chosen ? std::optional<ChannelId>(chosen->channel) : std::nullopt);
    w.key("options");
    w.begin_array();
    for (const ChannelOption& o : choice.options) {
      w.begin_object();
      w.field("channel", o.channel);
      w.field("kind", to_string(o.kind));
      w.field("name", o.channel_name);
      w.field("eligible", o.eligible);
      w.field("deliver_at", o.deliver_at);
      w.field("cost", rounded(o.cost));
      w.field("segments", static_cast<std::uint64_t>(o.segments));
      w.field("reasons", o.reasons);
      w.end_object();
    }
    w.end_array();
    w.end_object();
    w.finish();
    return Status();
  }
  fmt::print(out_, "Channels for customer {}, urgency {}{}{} — best first\n",
             request.customer.value(), to_string(request.urgency),
             request.sensitive ? ", sensitive" : "",
             request.conversation ? fmt::format(", conversation {}", request.conversation->value())
                                  : std::string());
  std::size_t rank = 0;
  for (const ChannelOption& o : choice.options) {
    std::string where =
        o.channel_name == to_string(o.kind)
            ? std::string(to_string(o.kind))
            : fmt::format("{} \"{}\"", to_string(o.kind), printable(o.channel_name));
    std::string extra;
    if (o.deliver_at) extra += ", deliver at " + human_time(*o.deliver_at) + " UTC";
    fmt::print(out_, "{:>3}  {} (channel {})  {}{}\n",
               o.eligible ? fmt::format("{}.", ++rank) : std::string("-"), where, o.channel.value(),
               o.eligible ? "eligible" : "excluded", extra);
    for (const std::string& reason : o.reasons)
      fmt::print(out_, "       {}\n", display(reason, 300));
  }
  if (choice.options.empty()) fmt::print(out_, "no channels configured\n");
  if (!chosen) fmt::print(out_, "no channel qualifies\n");
  return Status();
}

}  // namespace omni::cli
