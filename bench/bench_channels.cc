// omni_bench_channels: provider payloads in — parse, and parse + Engine::receive — per format,
// beside raw SQLite inserting the same rows, in the same process.
//
// For each format (email, Twilio SMS, WhatsApp Cloud, Messenger, Telegram) it builds N payloads
// shaped as the provider documents them (one message each, from 500 customers in turn, unique
// provider ids), then measures:
//   - parse: the reference parser alone (omni/adapters/inbound.h), µs per payload;
//   - omni: parse + Engine::receive of every message on a SqliteStore file (kNormal), one
//     transaction per message, messages/s;
//   - raw: the same rows (tenant, customer, conversation, channel, body, provider id, time)
//     inserted with the sqlite3 C API into a table shaped like omni's touchpoints (same three
//     indexes), one BEGIN IMMEDIATE … COMMIT per row, kNormal: the floor, with no parsing, no
//     identity resolution and no outbox.
//
// Usage: omni_bench_channels [N]   (default 3000 payloads per format)
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "omni/adapters/inbound.h"

namespace {

using omni_bench::take;
using Clock = std::chrono::steady_clock;

constexpr int kCustomers = 500;
const omni::Timestamp kStart = omni::from_unix_micros(1772528400LL * 1000000);  // 2026-03-03

std::string body_of(int i) {
  return "Hallo, meine Bestellung #" + std::to_string(100000 + i % 5000) +
         " ist nicht angekommen. Können Sie bitte nachsehen?";
}

// Percent-encodes a form value as browsers and Twilio do ('+' for space).
std::string form_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string mobile(int customer) {
  char text[32];
  std::snprintf(text, sizeof text, "4915112%06d", customer);
  return text;
}

struct Format {
  const char* name;
  omni::ChannelKind kind;
  std::function<std::string(int)> payload;
  std::function<omni::Result<omni::adapters::ParsedPayload>(const std::string&,
                                                            const omni::adapters::ParseOptions&)>
      parse;
};

std::vector<Format> formats() {
  using omni::adapters::ParseOptions;
  std::vector<Format> all;
  all.push_back({"email", omni::ChannelKind::kEmail,
                 [](int i) {
                   const int c = i % kCustomers;
                   return "From: Kunde " + std::to_string(c) + " <kunde" + std::to_string(c) +
                          "@example.de>\r\nTo: support@acme.example\r\nSubject: Bestellung " +
                          std::to_string(i) + "\r\nMessage-ID: <" + std::to_string(i) +
                          ".bench@mail.example.de>\r\nDate: Tue, 03 Mar 2026 10:15:00 +0100\r\n"
                          "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                          "Content-Transfer-Encoding: 8bit\r\n\r\n" +
                          body_of(i) + "\r\n\r\n-- \r\nKunde " + std::to_string(c) + "\r\n";
                 },
                 [](const std::string& p, const ParseOptions& o) {
                   return omni::adapters::parse_email(p, o);
                 }});
  all.push_back({"twilio_sms", omni::ChannelKind::kSms,
                 [](int i) {
                   char sid[40];
                   std::snprintf(sid, sizeof sid, "SM%032x", i);
                   return std::string("ToCountry=DE&SmsMessageSid=") + sid +
                          "&NumMedia=0&SmsSid=" + sid +
                          "&SmsStatus=received&Body=" + form_encode(body_of(i)) +
                          "&FromCountry=DE&To=%2B4930609859000" +
                          "&NumSegments=1&MessageSid=" + sid +
                          "&AccountSid=AC7d8e4c1f2b3a49c5a6e7f8091a2b3c4d&From=%2B" +
                          mobile(i % kCustomers) + "&ApiVersion=2010-04-01";
                 },
                 [](const std::string& p, const ParseOptions& o) {
                   return omni::adapters::parse_twilio_webhook(p, o);
                 }});
  all.push_back(
      {"whatsapp", omni::ChannelKind::kWhatsApp,
       [](int i) {
         const std::string wa = mobile(i % kCustomers);
         return R"({"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"4930609859000","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Kunde"},"wa_id":")" +
                wa + R"("}],"messages":[{"from":")" + wa + R"(","id":"wamid.bench)" +
                std::to_string(i) + R"(","timestamp":")" + std::to_string(1772528400 + i) +
                R"(","type":"text","text":{"body":")" + body_of(i) +
                R"("}}]},"field":"messages"}]}]})";
       },
       [](const std::string& p, const ParseOptions& o) {
         return omni::adapters::parse_whatsapp_webhook(p, o);
       }});
  all.push_back({"messenger", omni::ChannelKind::kMessenger,
                 [](int i) {
                   return R"({"object":"page","entry":[{"id":"104423","time":)" +
                          std::to_string(1772528400000LL + i) +
                          R"(,"messaging":[{"sender":{"id":"61200458733)" +
                          std::to_string(10000 + i % kCustomers) +
                          R"("},"recipient":{"id":"104423"},"timestamp":)" +
                          std::to_string(1772528400000LL + i) + R"(,"message":{"mid":"m_bench)" +
                          std::to_string(i) + R"(","text":")" + body_of(i) + R"("}}]}]})";
                 },
                 [](const std::string& p, const ParseOptions& o) {
                   return omni::adapters::parse_messenger_webhook(p, o);
                 }});
  all.push_back(
      {"telegram", omni::ChannelKind::kTelegram,
       [](int i) {
         const std::string user = std::to_string(700000000 + i % kCustomers);
         return R"({"update_id":)" + std::to_string(900000000 + i) +
                R"(,"message":{"message_id":)" + std::to_string(i + 1) + R"(,"from":{"id":)" +
                user +
                R"(,"is_bot":false,"first_name":"Kunde","language_code":"de"},"chat":{"id":)" +
                user + R"(,"type":"private"},"date":)" + std::to_string(1772528400 + i) +
                R"(,"text":")" + body_of(i) + R"("}})";
       },
       [](const std::string& p, const ParseOptions& o) {
         return omni::adapters::parse_telegram_update(p, "acme_bot", o);
       }});
  return all;
}

struct Row {
  std::string format;
  double parse_us = 0;
  double omni_per_s = 0;
  double raw_per_s = 0;
};

Row measure(const Format& format, int n) {
  Row row;
  row.format = format.name;
  std::vector<std::string> payloads;
  payloads.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    payloads.push_back(format.payload(i));

  omni_bench::TempDb db("channels");
  omni::SqliteStoreOptions store_options;
  store_options.path = db.path();
  store_options.durability = omni::Durability::kNormal;
  omni::ManualClock clock(kStart);
  omni::EngineOptions options;
  options.clock = &clock;
  auto engine =
      take(omni::Engine::open(take(omni::open_sqlite_store(store_options), "open"), options),
           "Engine::open");
  omni::Tenant tenant = take(engine->create_tenant("bench", "DE"), "create_tenant");
  omni::Channel channel =
      take(engine->create_channel({tenant.id, format.kind, format.name, std::nullopt}), "channel");
  omni::adapters::ParseOptions parse_options;
  parse_options.tenant = tenant.id;
  parse_options.channel = channel.id;

  // Parse alone.
  {
    std::size_t messages = 0;
    const auto start = Clock::now();
    for (const auto& p : payloads)
      messages += take(format.parse(p, parse_options), "parse").messages.size();
    row.parse_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n;
    if (messages != payloads.size()) omni_bench::die("a payload did not give one message");
  }
  // Parse + receive.
  {
    const auto start = Clock::now();
    for (const auto& p : payloads) {
      auto parsed = take(format.parse(p, parse_options), "parse");
      for (const auto& m : parsed.messages) {
        clock.advance(std::chrono::milliseconds(250));
        if (take(engine->receive(m), "receive").duplicate) omni_bench::die("unexpected duplicate");
      }
    }
    row.omni_per_s = n / std::chrono::duration<double>(Clock::now() - start).count();
  }
  // Raw SQLite: the same rows.
  {
    omni_bench::TempDb raw_file("channels-raw");
    omni_bench::RawDb raw(raw_file.path(), omni::Durability::kNormal);
    omni_bench::create_raw_touchpoints(raw);
    omni_bench::RawStatement insert(raw.get(), omni_bench::kRawInsertTouchpoint);
    const std::string kind = omni::to_string(format.kind).data();
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      const std::string body = body_of(i);
      const std::string id = "id-" + std::to_string(i);
      raw.exec("BEGIN IMMEDIATE");
      insert.bind(1, std::int64_t{1});
      insert.bind(2, std::int64_t{1 + i % kCustomers});
      insert.bind(3, std::int64_t{1 + i % kCustomers});
      insert.bind(4, std::int64_t{1});
      insert.bind(5, kind);
      insert.bind(6, body);
      insert.bind(7, id);
      insert.bind(8, omni::to_unix_micros(kStart) + i * std::int64_t{250000});
      insert.run();
      raw.exec("COMMIT");
    }
    row.raw_per_s = n / std::chrono::duration<double>(Clock::now() - start).count();
  }
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 3000;
  if (n < 1) omni_bench::die("N must be positive");
  std::vector<Row> rows;
  for (const Format& f : formats()) {
    std::fprintf(stderr, "measuring %s...\n", f.name);
    rows.push_back(measure(f, n));
  }
  std::printf(
      "\n## Provider payloads: parse, and parse + receive, vs raw SQLite (%d payloads each, "
      "kNormal)\n\n"
      "| format | parse us | omni parse+receive msgs/s | raw msgs/s | omni / raw |\n"
      "| --- | ---: | ---: | ---: | ---: |\n",
      n);
  for (const Row& r : rows) {
    std::printf("| %s | %.1f | %.0f | %.0f | %.2f |\n", r.format.c_str(), r.parse_us, r.omni_per_s,
                r.raw_per_s, r.omni_per_s / r.raw_per_s);
  }
  return 0;
}
