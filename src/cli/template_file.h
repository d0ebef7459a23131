// cli/template_file.h — the JSON document `omni template put` reads: one reply template,
//   {"key":"order_delayed","description":"...","default_language":"en",
//    "variants":[{"kind":"sms","language":"de","format":"plain","subject":"...","body":"..."}]}
// "kind" (absent or null: the generic variant), "format" (default "plain"), "subject",
// "description" and "default_language" (default "en") may be left out. docs/cli.md describes it.
//
// Thread-safety: reentrant.
#pragma once

#include <string_view>

#include "omni/status.h"
#include "omni/templates.h"

namespace omni::cli {

// Reads a template document. Errors are kInvalidArgument with the JSON path of the offending
// value in Status::field() ("variants[1].format"), so Status::to_string() names it; a syntax error
// names the byte offset. Only the shape is checked here: Engine::put_template checks the content.
Result<ReplyTemplate> parse_template_json(std::string_view text);

}  // namespace omni::cli
