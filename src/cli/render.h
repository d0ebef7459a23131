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

#include "omni/engine.h"

namespace omni::cli {

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
