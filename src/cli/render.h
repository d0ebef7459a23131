// cli/render.h — what the read commands print: the customer list, a timeline page and a
// conversation, as aligned text for people or as one JSON document for programs. Every JSON
// field is documented in docs/cli.md.
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

enum class OutputFormat { kText, kJson };

class Renderer {
 public:
  // `engine` and `out` are borrowed and must outlive the renderer.
  Renderer(Engine& engine, Tenant tenant, OutputFormat format, std::FILE* out);

  // Every customer of the tenant, ascending by id, read page by page.
  Status customers();
  // One page of a customer's timeline.
  Status timeline(const TimelineQuery& query);
  // The conversation with its handoffs and newest touchpoints.
  Status conversation(ConversationId id);

 private:
  // A kNotFound status reworded as "no customer 7 in tenant "acme"".
  Status not_found_as(const Status& status, std::string_view what, std::int64_t id) const;
  void print_touchpoint_row(const Touchpoint& touchpoint);
  std::string author_of(const Touchpoint& touchpoint);
  std::string agent_name(AgentId agent);
  std::optional<Channel> channel(ChannelId id);

  Engine& engine_;
  Tenant tenant_;
  OutputFormat format_;
  std::FILE* out_;
  std::map<std::int64_t, std::string> agent_names_;
  std::map<std::int64_t, std::optional<Channel>> channels_;
};

}  // namespace omni::cli
