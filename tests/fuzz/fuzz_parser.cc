// libFuzzer target for one reference parser, chosen by OMNI_FUZZ_PARSER at compile time
// (tests/fuzz/CMakeLists.txt builds one binary per parser). A payload may be rejected, never
// crash, leak or trip a sanitizer; what a parser accepts must also pass Engine::validate, so a
// hostile payload that parses cannot fail later inside receive.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "omni/adapters/inbound.h"
#include "omni/engine.h"
#include "omni/memory_store.h"

namespace {

omni::Result<omni::adapters::ParsedPayload> parse(std::string_view payload,
                                                  const omni::adapters::ParseOptions& options) {
  using namespace omni::adapters;
#if OMNI_FUZZ_PARSER == 1
  return parse_email(payload, options);
#elif OMNI_FUZZ_PARSER == 2
  return parse_twilio_webhook(payload, options);
#elif OMNI_FUZZ_PARSER == 3
  return parse_whatsapp_webhook(payload, options);
#elif OMNI_FUZZ_PARSER == 4
  return parse_messenger_webhook(payload, options);
#elif OMNI_FUZZ_PARSER == 5
  return parse_telegram_update(payload, "fuzz_bot", options);
#else
#error "OMNI_FUZZ_PARSER must be 1..5"
#endif
}

struct Fixture {
  std::unique_ptr<omni::Engine> engine;
  omni::Tenant tenant;
  Fixture() {
    engine = std::move(*omni::Engine::open(omni::make_memory_store()));
    tenant = *engine->create_tenant("fuzz", "DE");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  omni::adapters::ParseOptions options;
  options.tenant = fixture.tenant.id;
  options.channel = omni::ChannelId(1);
  options.max_payload_bytes = 64 * 1024;
  auto parsed = parse(std::string_view(reinterpret_cast<const char*>(data), size), options);
  if (!parsed.ok()) {
    // A rejection is a typed error, never an internal one.
    if (parsed.status().is(omni::StatusCode::kInternal)) {
      std::fprintf(stderr, "internal error: %s\n", parsed.status().to_string().c_str());
      std::abort();
    }
    return 0;
  }
  for (const auto& message : parsed->messages) {
    omni::Status valid = fixture.engine->validate(message);
    // The parser promises what validate checks: UTF-8, sizes, a provider id, an identity. An
    // identity that does not normalize (an impossible phone number) is the one thing a parser
    // cannot know, so only that may be refused.
    // Also allowed: a body above the engine's max_body_bytes, an option the parser cannot see.
    const bool allowed =
        valid.field() == "from.value" || valid.field() == "from.scope" ||
        (valid.field() == "body" && valid.is(omni::StatusCode::kResourceExhausted));
    if (!valid.ok() && !allowed) {
      std::fprintf(stderr, "parsed message fails validate: %s\n", valid.to_string().c_str());
      std::abort();
    }
  }
  return 0;
}
