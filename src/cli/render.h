// cli/render.h — what the commands print: the customer list, a timeline page, a conversation,
// duplicate suggestions and the outcome of a merge or unmerge, as aligned text for people or as
// one JSON document for programs. Every JSON field is documented in docs/cli.md.
//
// Thread-safety: a Renderer is used by one thread at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/engine.h"

namespace omni::cli {

class JsonWriter;

// A timeline position as text: "<occurred_at as unix microseconds>:<touchpoint id>".
std::string format_cursor(const TimelineCursor& cursor);
std::optional<TimelineCursor> parse_cursor(std::string_view text);
// The cursor that points at `touchpoint` itself.
TimelineCursor cursor_of(const Touchpoint& touchpoint);

// `text` on one line (line breaks and tabs become spaces, runs of spaces collapse) cut to at
// most `max_code_points` code points, with "…" when cut.
std::string one_line_excerpt(std::string_view text, std::size_t max_code_points);

// The customer record with exactly this id, merged or not (Engine::customer_view resolves a
// merged id to its survivor); nullopt when the tenant has no such customer.
Result<std::optional<Customer>> find_customer_record(Engine& engine, TenantId tenant,
                                                     CustomerId id);

// How a text fits a channel, as the fit command shows it: a summary line headed by `label`
// ("sms"), one line per part and the non-GSM characters.
void print_fit_text(std::FILE* out, std::string_view label, const FitReport& report);
// The fields of a FitReport ("encoding" ... "non_gsm_characters") into the open JSON object.
void write_fit_fields(JsonWriter& w, const FitReport& report);

// "22:00-08:00"; parse_quiet_hours reads the same form (nullopt when malformed).
std::string format_quiet_hours(const QuietHours& hours);
std::optional<QuietHours> parse_quiet_hours(std::string_view text);

enum class OutputFormat { kText, kJson };

class Renderer {
 public:
  // `engine` and `out` are borrowed and must outlive the renderer.
  Renderer(Engine& engine, Tenant tenant, OutputFormat format, std::FILE* out);

  // Every customer of the tenant, ascending by id, read page by page.
  Status customers();
  // The tenant's agents with presence, teams, skills, languages and load against capacity.
  Status agents();
  // One page of a customer's timeline.
  Status timeline(const TimelineQuery& query);
  // The conversation with its handoffs and newest touchpoints.
  Status conversation(ConversationId id);
  // Every duplicate suggestion of the tenant, highest score first.
  Status duplicates();
  // What Engine::merge_customers did. The merge is committed: names that cannot be read are
  // left out rather than reported as a failure.
  Status merged(const MergeRecord& merge);
  // What Engine::unmerge_customer did.
  Status unmerged(const UnmergeResult& result);
  // The customer's contact preferences and the consent of each address; `consents`, when
  // given, replaces the view's (what Engine::set_consent returned).
  Status contact(CustomerId customer, const std::vector<Consent>* consents = nullptr);
  // The tenant's reply templates, by key.
  Status templates();
  // One template with every variant; `action` ("stored") heads the text output when not empty.
  Status template_detail(const ReplyTemplate& t, std::string_view action);
  // What Engine::render_template made: variant, reasons, subject, body and fit.
  Status rendered(const RenderedReply& reply);
  // What Engine::recommend_channel answered for `request`: every option, ranked.
  Status recommendation(const FollowUpRequest& request, const ChannelChoice& choice);

 private:
  // A kNotFound status reworded as "no customer 7 in tenant "acme"".
  Status not_found_as(const Status& status, std::string_view what, std::int64_t id) const;
  void print_touchpoint_row(const Touchpoint& touchpoint);
  std::string author_of(const Touchpoint& touchpoint);
  std::string agent_name(AgentId agent);
  std::optional<Channel> channel(ChannelId id);
  // The display name of the customer record `id` (not of its survivor), read once.
  Result<std::string> customer_name(CustomerId id);

  Engine& engine_;
  Tenant tenant_;
  OutputFormat format_;
  std::FILE* out_;
  std::map<std::int64_t, std::string> agent_names_;
  std::map<std::int64_t, std::optional<Channel>> channels_;
  std::map<std::int64_t, std::string> customer_names_;
};

}  // namespace omni::cli
