// The JSON codec of reply templates, which the engine keeps as store settings. Internal.
#pragma once

#include <string>
#include <string_view>

#include "omni/status.h"
#include "omni/templates.h"

namespace omni::detail {

// A JSON document (RapidJSON) with every field of the template:
//   {"key":"order_delayed","description":"...","default_language":"en",
//    "variants":[{"kind":"sms","language":"de","format":"plain","subject":"...","body":"..."}]}
// "kind" is omitted for a generic variant and "subject" when empty. Decoding keeps a struct
// default for a missing key and fails with kCorruption on malformed JSON or a value of the wrong
// type, kInvalidArgument (field set) on an unknown channel kind or format. It does not run
// validate_template: what was valid when stored still decodes when the rules tighten.
std::string encode_template(const ReplyTemplate& t);
Result<ReplyTemplate> decode_template(std::string_view json);

}  // namespace omni::detail
