// A minimal integrator program against the installed omni package (C++17).
#include <cstdio>
#include <memory>

#include <omni/omni.h>

int main() {
  auto engine = omni::Engine::open(omni::make_memory_store());
  if (!engine.ok()) return std::fprintf(stderr, "%s\n", engine.status().to_string().c_str()), 1;
  auto tenant = (*engine)->create_tenant("acme", "DE");
  auto sms = (*engine)->create_channel({tenant->id, omni::ChannelKind::kSms, "sms", {}});
  omni::InboundMessage m;
  m.tenant = tenant->id;
  m.channel = sms->id;
  m.from = {omni::IdentityKind::kPhone, "", "+49 151 12345678"};
  m.provider_message_id = "SM1";
  m.body = "Hello from an integrator";
  auto received = (*engine)->receive(m);
  if (!received.ok()) {
    std::fprintf(stderr, "receive failed: %s\n", received.status().to_string().c_str());
    return 1;
  }
  std::printf("omni %s: customer %lld, conversation %lld\n", OMNI_VERSION_STRING,
              static_cast<long long>(received->customer.value()),
              static_cast<long long>(received->conversation.value()));
  return 0;
}
