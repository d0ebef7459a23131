// Reference parsers of the form and JSON webhooks (Twilio, WhatsApp Cloud, Messenger/Instagram,
// Telegram) on payloads written as the providers document them (tests/data/<provider>/).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "omni/adapters/inbound.h"
#include "omni/engine.h"
#include "omni/memory_store.h"

using namespace omni;
using namespace omni::adapters;

namespace {

std::string read_data(const std::string& relative) {
  const std::string path = std::string(OMNI_TEST_DATA_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

ParseOptions test_options() {
  ParseOptions options;
  options.tenant = TenantId(7);
  options.channel = ChannelId(11);
  return options;
}

Timestamp unix_seconds(std::int64_t s) {
  return from_unix_micros(s * 1000000);
}

// The error of a parse that must fail.
Status failure(const Result<ParsedPayload>& result) {
  REQUIRE_FALSE(result.ok());
  return result.status();
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

// ------------------------------------------------------------------------------------ Twilio

TEST_CASE("twilio: an incoming SMS maps every documented field", "[adapters]") {
  auto parsed = parse_twilio_webhook(read_data("twilio/sms_inbound.form"), test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->messages.size() == 1);
  CHECK(parsed->statuses.empty());
  const InboundMessage& m = parsed->messages[0];
  CHECK(m.tenant == TenantId(7));
  CHECK(m.channel == ChannelId(11));
  CHECK(m.from.kind == IdentityKind::kPhone);
  CHECK(m.from.scope.empty());
  CHECK(m.from.value == "+4915112345678");
  CHECK(m.display_name.empty());
  CHECK(m.provider_message_id == "SM1f0e8ae6ade43cb3c0ce4525424e404f");
  CHECK(m.kind == TouchpointKind::kMessageIn);
  // Percent escapes and '+' decode; UTF-8 "ö" arrives as %C3%B6.
  CHECK(m.body == "Hallo, meine Bestellung #12345 ist nicht angekommen. Können Sie helfen?");
  CHECK(m.attachments.empty());
  CHECK_FALSE(m.occurred_at.has_value());
  const std::map<std::string, std::string> expected = {
      {"twilio_channel", "sms"},
      {"to", "+4930609859000"},
      {"twilio_account_sid", "AC7d8e4c1f2b3a49c5a6e7f8091a2b3c4d"},
      {"twilio_messaging_service_sid", "MG9752274e9e519418a7406176694466fa"},
      {"num_segments", "1"},
      {"from_country", "DE"},
  };
  CHECK(m.metadata == expected);
}

TEST_CASE("twilio: MMS media become attachments with their URLs in metadata", "[adapters]") {
  auto parsed = parse_twilio_webhook(read_data("twilio/mms_inbound.form"), test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->messages.size() == 1);
  const InboundMessage& m = parsed->messages[0];
  CHECK(m.provider_message_id == "MM8a6c3f2b1d4e4f6a9b0c7d5e3f1a2b4c");
  CHECK(m.from.value == "+14155550123");
  CHECK(m.body == "Here is the damaged box and the invoice");
  REQUIRE(m.attachments.size() == 2);
  CHECK(m.attachments[0].content_type == "image/jpeg");
  CHECK(m.attachments[0].filename == "ME0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e");
  CHECK(m.attachments[1].content_type == "application/pdf");
  CHECK(m.attachments[1].filename == "ME5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b");
  CHECK(m.metadata.at("media_url_0") ==
        "https://api.twilio.com/2010-04-01/Accounts/AC7d8e4c1f2b3a49c5a6e7f8091a2b3c4d/Messages/"
        "MM8a6c3f2b1d4e4f6a9b0c7d5e3f1a2b4c/Media/ME0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e");
  CHECK(m.metadata.at("media_url_1").size() > 0);
  CHECK(m.metadata.count("media_url_2") == 0);
  CHECK(m.metadata.at("from_city") == "SAN FRANCISCO");
  CHECK(m.metadata.at("from_state") == "CA");
  CHECK(m.metadata.at("from_zip") == "94105");

  // NumMedia promising more than is there names the missing field.
  std::string body = replace_once(read_data("twilio/mms_inbound.form"), "NumMedia=2", "NumMedia=3");
  Status error = failure(parse_twilio_webhook(body, test_options()));
  CHECK(error.is(StatusCode::kInvalidArgument));
  CHECK(error.field() == "MediaUrl2");
}

TEST_CASE("twilio: WhatsApp through Twilio strips the whatsapp: prefix", "[adapters]") {
  auto parsed = parse_twilio_webhook(read_data("twilio/whatsapp_inbound.form"), test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->messages.size() == 1);
  const InboundMessage& m = parsed->messages[0];
  CHECK(m.from.kind == IdentityKind::kPhone);
  CHECK(m.from.value == "+4915112345678");
  CHECK(m.display_name == "Anna Müller");
  CHECK(m.provider_message_id == "SM3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f");
  CHECK(m.body == "Gibt es schon ein Update zu meiner Bestellung?");
  CHECK(m.metadata.at("twilio_channel") == "whatsapp");
  CHECK(m.metadata.at("wa_id") == "4915112345678");
  CHECK(m.metadata.at("to") == "whatsapp:+4930609859000");
}

TEST_CASE("twilio: status callbacks become status reports", "[adapters]") {
  auto delivered = parse_twilio_webhook(read_data("twilio/status_delivered.form"), test_options());
  INFO(delivered.status().to_string());
  REQUIRE(delivered.ok());
  CHECK(delivered->messages.empty());
  REQUIRE(delivered->statuses.size() == 1);
  CHECK(delivered->statuses[0].provider_message_id == "SM5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a");
  CHECK(delivered->statuses[0].status == DeliveryStatus::kDelivered);
  CHECK(delivered->statuses[0].error.empty());

  auto failed = parse_twilio_webhook(read_data("twilio/status_undelivered.form"), test_options());
  REQUIRE(failed.ok());
  REQUIRE(failed->statuses.size() == 1);
  CHECK(failed->statuses[0].status == DeliveryStatus::kFailed);
  CHECK(failed->statuses[0].error == "30003");

  const std::string delivered_form = read_data("twilio/status_delivered.form");
  auto status_of = [&](const std::string& state) {
    std::string form =
        replace_once(delivered_form, "MessageStatus=delivered", "MessageStatus=" + state);
    auto r = parse_twilio_webhook(form, test_options());
    REQUIRE(r.ok());
    return r->statuses;
  };
  REQUIRE(status_of("sent").size() == 1);
  CHECK(status_of("sent")[0].status == DeliveryStatus::kSent);
  REQUIRE(status_of("read").size() == 1);
  CHECK(status_of("read")[0].status == DeliveryStatus::kRead);
  REQUIRE(status_of("failed").size() == 1);
  CHECK(status_of("failed")[0].status == DeliveryStatus::kFailed);
  CHECK(status_of("failed")[0].error == "failed");  // no ErrorCode given
  REQUIRE(status_of("canceled").size() == 1);
  CHECK(status_of("canceled")[0].status == DeliveryStatus::kFailed);
  // Earlier states are ignored: the engine already holds the reply as sent.
  for (const char* early : {"queued", "accepted", "scheduled"})
    CHECK(status_of(early).empty());
  auto sending = parse_twilio_webhook(read_data("twilio/status_sending.form"), test_options());
  REQUIRE(sending.ok());
  CHECK(sending->statuses.empty());
  CHECK(sending->messages.empty());
}

TEST_CASE("twilio: malformed forms are rejected naming the field or offset", "[adapters]") {
  Status escape =
      failure(parse_twilio_webhook(read_data("twilio/bad_escape.form"), test_options()));
  CHECK(escape.is(StatusCode::kInvalidArgument));
  CHECK(escape.field() == "offset 67");
  // A truncated escape at the very end.
  Status truncated =
      failure(parse_twilio_webhook("MessageSid=SM1&From=%2B49&Body=x%4", test_options()));
  CHECK(truncated.field() == "offset 32");

  const std::string sms = read_data("twilio/sms_inbound.form");
  Status no_sid = failure(parse_twilio_webhook(
      replace_once(sms, "&MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f", ""), test_options()));
  CHECK(no_sid.is(StatusCode::kInvalidArgument));
  CHECK(no_sid.field() == "MessageSid");
  Status no_from = failure(
      parse_twilio_webhook(replace_once(sms, "&From=%2B4915112345678", ""), test_options()));
  CHECK(no_from.field() == "From");
  // Invalid UTF-8 once decoded (a lone continuation byte).
  Status utf8 =
      failure(parse_twilio_webhook(replace_once(sms, "K%C3%B6nnen", "K%B6nnen"), test_options()));
  CHECK(utf8.is(StatusCode::kInvalidArgument));
  CHECK(utf8.field() == "Body");
  // Neither a message nor a status callback.
  Status neither = failure(parse_twilio_webhook("MessageSid=SM1&From=%2B49", test_options()));
  CHECK(neither.field() == "Body");
  Status bad_count =
      failure(parse_twilio_webhook(replace_once(sms, "NumMedia=0", "NumMedia=x"), test_options()));
  CHECK(bad_count.field() == "NumMedia");
  Status too_many =
      failure(parse_twilio_webhook(replace_once(sms, "NumMedia=0", "NumMedia=11"), test_options()));
  CHECK(too_many.is(StatusCode::kResourceExhausted));
  CHECK(too_many.field() == "NumMedia");
}

TEST_CASE("twilio: an oversize form is refused before it is decoded", "[adapters]") {
  ParseOptions small = test_options();
  const std::string sms = read_data("twilio/sms_inbound.form");
  small.max_payload_bytes = sms.size() - 1;
  Status error = failure(parse_twilio_webhook(sms, small));
  CHECK(error.is(StatusCode::kResourceExhausted));
  small.max_payload_bytes = sms.size();
  CHECK(parse_twilio_webhook(sms, small).ok());
}

// ------------------------------------------------------------------------------ WhatsApp Cloud

TEST_CASE("whatsapp: the documented text message parses into the exact fields", "[adapters]") {
  auto parsed = parse_whatsapp_webhook(read_data("whatsapp/text_message.json"), test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->messages.size() == 1);
  CHECK(parsed->statuses.empty());
  const InboundMessage& m = parsed->messages[0];
  CHECK(m.tenant == TenantId(7));
  CHECK(m.channel == ChannelId(11));
  CHECK(m.from.kind == IdentityKind::kPhone);
  CHECK(m.from.value == "4915112345678");
  CHECK(m.display_name == "Anna Müller");
  CHECK(m.provider_message_id ==
        "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDNzY4QjA1QzY5RjJBMkY1AA==");
  CHECK(m.body == "Hallo, ist meine Bestellung schon unterwegs?");
  REQUIRE(m.occurred_at.has_value());
  CHECK(*m.occurred_at == unix_seconds(1700000000));
  CHECK(m.attachments.empty());
  CHECK(m.references.empty());
  const std::map<std::string, std::string> expected = {
      {"message_type", "text"},
      {"whatsapp_business_account_id", "102290129340398"},
      {"phone_number_id", "106540352242922"},
      {"display_phone_number", "4930609859000"},
  };
  CHECK(m.metadata == expected);
}

TEST_CASE("whatsapp: a batch maps media, location, replies and reactions", "[adapters]") {
  auto parsed = parse_whatsapp_webhook(read_data("whatsapp/batch.json"), test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  // 8 messages; the "unsupported" one is skipped.
  REQUIRE(parsed->messages.size() == 7);
  const auto& ms = parsed->messages;

  CHECK(ms[0].metadata.at("message_type") == "image");
  CHECK(ms[0].display_name == "Anna Müller");
  CHECK(ms[0].body == "So kam das Paket an");
  REQUIRE(ms[0].attachments.size() == 1);
  CHECK(ms[0].attachments[0].content_type == "image/jpeg");
  CHECK(ms[0].attachments[0].sha256 ==
        "a3f1c9b2e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1");
  CHECK(ms[0].attachments[0].filename.empty());
  CHECK(ms[0].metadata.at("media_id") == "1037543291543636");
  CHECK(*ms[0].occurred_at == unix_seconds(1700000100));

  CHECK(ms[1].from.value == "4917612345678");
  CHECK(ms[1].display_name == "Jonas Weber");
  CHECK(ms[1].body ==
        "Location: Filiale Alexanderplatz, Alexanderplatz 1, 10178 Berlin (52.520008, 13.404954)");
  CHECK(ms[1].metadata.at("location_latitude") == "52.520008");
  CHECK(ms[1].metadata.at("location_longitude") == "13.404954");
  CHECK(ms[1].metadata.at("location_name") == "Filiale Alexanderplatz");
  CHECK(ms[1].metadata.at("location_address") == "Alexanderplatz 1, 10178 Berlin");

  CHECK(ms[2].body == "Erstattung");
  CHECK(ms[2].metadata.at("interactive_type") == "button_reply");
  CHECK(ms[2].metadata.at("reply_id") == "refund");
  REQUIRE(ms[2].references.size() == 1);
  CHECK(ms[2].references[0] == "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjRBNzQ1RjE2QjQ4QjE5MEE4NwA=");

  CHECK(ms[3].body == "Morgen vormittag\n08:00 - 12:00");
  CHECK(ms[3].metadata.at("interactive_type") == "list_reply");
  CHECK(ms[3].metadata.at("reply_id") == "slot_tomorrow_am");

  CHECK(ms[4].body == "Ja, bitte liefern");
  CHECK(ms[4].metadata.at("button_payload") == "CONFIRM_DELIVERY");

  CHECK(ms[5].body == "👍");
  CHECK(ms[5].metadata.at("reaction_message_id") ==
        "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjVCODU2RjE2QjQ4QjE5MEE4NwA=");

  CHECK(ms[6].provider_message_id ==
        "wamid.HBgNNDkxNzYxMjM0NTY3OBUCABIYFjNBMDhCMkMzRDRFNUY2QTdCOEM5RDAA");
  CHECK(ms[6].body == "Rechnung");
  REQUIRE(ms[6].attachments.size() == 1);
  CHECK(ms[6].attachments[0].filename == "Rechnung-2023-1142.pdf");
  CHECK(ms[6].attachments[0].content_type == "application/pdf");
  CHECK(ms[6].metadata.at("media_id") == "903474491280452");
}

TEST_CASE("whatsapp: statuses become status reports", "[adapters]") {
  auto parsed = parse_whatsapp_webhook(read_data("whatsapp/statuses.json"), test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  CHECK(parsed->messages.empty());
  REQUIRE(parsed->statuses.size() == 3);
  const auto& s = parsed->statuses;
  CHECK(s[0].provider_message_id ==
        "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjRBNzQ1RjE2QjQ4QjE5MEE4NwA=");
  CHECK(s[0].status == DeliveryStatus::kDelivered);
  CHECK(s[0].at == unix_seconds(1700000030));
  CHECK(s[0].error.empty());
  CHECK(s[1].status == DeliveryStatus::kFailed);
  CHECK(s[1].error == "131047: Re-engagement message");
  CHECK(s[1].at == unix_seconds(1700000040));
  CHECK(s[2].status == DeliveryStatus::kRead);

  std::string sent = replace_once(read_data("whatsapp/statuses.json"), "\"delivered\"", "\"sent\"");
  auto as_sent = parse_whatsapp_webhook(sent, test_options());
  REQUIRE(as_sent.ok());
  CHECK(as_sent->statuses.at(0).status == DeliveryStatus::kSent);
}

TEST_CASE("whatsapp: malformed payloads are rejected naming the path or offset", "[adapters]") {
  const std::string text = read_data("whatsapp/text_message.json");
  // Truncated JSON: the offset is where the input ends.
  const std::string cut = text.substr(0, 200);
  Status truncated = failure(parse_whatsapp_webhook(cut, test_options()));
  CHECK(truncated.is(StatusCode::kInvalidArgument));
  CHECK(truncated.field() == "offset 200");

  Status wrong_type = failure(
      parse_whatsapp_webhook(read_data("whatsapp/wrong_type_timestamp.json"), test_options()));
  CHECK(wrong_type.is(StatusCode::kInvalidArgument));
  CHECK(wrong_type.field() == "entry[0].changes[0].value.messages[1].timestamp");

  Status no_from =
      failure(parse_whatsapp_webhook(read_data("whatsapp/missing_from.json"), test_options()));
  CHECK(no_from.field() == "entry[0].changes[0].value.messages[0].from");

  Status no_id = failure(parse_whatsapp_webhook(
      replace_once(text, "\"id\": \"wamid.", "\"xid\": \"wamid."), test_options()));
  CHECK(no_id.field() == "entry[0].changes[0].value.messages[0].id");

  Status no_body = failure(
      parse_whatsapp_webhook(replace_once(text, "\"body\":", "\"bodie\":"), test_options()));
  CHECK(no_body.field() == "entry[0].changes[0].value.messages[0].text.body");

  Status bad_time = failure(parse_whatsapp_webhook(
      replace_once(text, "\"1700000000\"", "\"17000x0000\""), test_options()));
  CHECK(bad_time.field() == "entry[0].changes[0].value.messages[0].timestamp");

  Status entry_type = failure(parse_whatsapp_webhook(
      R"({"object":"whatsapp_business_account","entry":{"id":"1"}})", test_options()));
  CHECK(entry_type.field() == "entry");

  Status wrong_object = failure(parse_whatsapp_webhook(
      replace_once(text, "whatsapp_business_account", "page"), test_options()));
  CHECK(wrong_object.field() == "object");

  Status not_object = failure(parse_whatsapp_webhook("[1,2]", test_options()));
  CHECK(not_object.is(StatusCode::kInvalidArgument));

  // Invalid UTF-8 inside a string ("\xC3" alone) is refused with its offset.
  std::string latin1 = replace_once(text, "M\xC3\xBCller", "M\xFCller");
  Status utf8 = failure(parse_whatsapp_webhook(latin1, test_options()));
  CHECK(utf8.is(StatusCode::kInvalidArgument));
  CHECK(utf8.field().rfind("offset ", 0) == 0);
  // A lone surrogate escape is not UTF-8 either.
  Status surrogate = failure(
      parse_whatsapp_webhook(replace_once(text, "Hallo,", "Hallo \\ud800,"), test_options()));
  CHECK(surrogate.is(StatusCode::kInvalidArgument));
}

TEST_CASE("whatsapp: an oversize payload is refused", "[adapters]") {
  const std::string text = read_data("whatsapp/text_message.json");
  ParseOptions small = test_options();
  small.max_payload_bytes = text.size() - 1;
  CHECK(failure(parse_whatsapp_webhook(text, small)).is(StatusCode::kResourceExhausted));
  small.max_payload_bytes = text.size();
  CHECK(parse_whatsapp_webhook(text, small).ok());
}

// --------------------------------------------------------------------- Messenger / Instagram

TEST_CASE("messenger: the documented text message parses into the exact fields", "[adapters]") {
  auto parsed = parse_messenger_webhook(read_data("messenger/text_message.json"), test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->messages.size() == 1);
  const InboundMessage& m = parsed->messages[0];
  CHECK(m.tenant == TenantId(7));
  CHECK(m.channel == ChannelId(11));
  CHECK(m.from.kind == IdentityKind::kMessengerPsid);
  CHECK(m.from.scope == "104358932307846");
  CHECK(m.from.value == "6865405516836712");
  CHECK(m.provider_message_id ==
        "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P");
  CHECK(m.body == "Where is my order?");
  REQUIRE(m.occurred_at.has_value());
  CHECK(*m.occurred_at == from_unix_micros(1700000000987000));
  const std::map<std::string, std::string> expected = {
      {"page_id", "104358932307846"},
      {"quick_reply_payload", "ORDER_STATUS"},
  };
  CHECK(m.metadata == expected);
}

TEST_CASE("messenger: a batch with attachments, echo, postbacks, delivery and read", "[adapters]") {
  auto parsed = parse_messenger_webhook(read_data("messenger/batch.json"), test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  // image message, postback with mid, postback without mid; the echo and the read are skipped.
  REQUIRE(parsed->messages.size() == 3);
  const auto& ms = parsed->messages;
  CHECK(ms[0].body.empty());
  REQUIRE(ms[0].attachments.size() == 1);
  CHECK(ms[0].attachments[0].filename == "398765432_1234567890123456_7890123456789012345_n.jpg");
  CHECK(ms[0].metadata.at("attachment_type_0") == "image");
  CHECK(ms[0].metadata.at("media_url_0").rfind("https://scontent.xx.fbcdn.net/v/", 0) == 0);

  CHECK(ms[1].kind == TouchpointKind::kMessageIn);
  CHECK(ms[1].body == "Talk to an agent");
  CHECK(ms[1].metadata.at("postback_payload") == "HUMAN_HANDOVER");
  CHECK(
      ms[1].provider_message_id ==
      "m_PB3aB4cD5eF6gH7iJ8kL9mN0oP1qR2sT3uV4wX5yZ6aB7cD8eF9gH0iJ1kL2mN3oP4qR5sT6uV7wX8yZ9aB0cD1");
  CHECK(ms[1].from.value == "6865405516836712");

  CHECK(ms[2].body == "Get Started");
  CHECK(ms[2].provider_message_id == "postback:6865405516836712:1700000101000");
  CHECK(ms[2].metadata.at("postback_payload") == "GET_STARTED");

  REQUIRE(parsed->statuses.size() == 2);
  CHECK(
      parsed->statuses[0].provider_message_id ==
      "m_DL1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX3yZ4aB5cD6eF7gH8iJ9kL0mN1oP2qR3sT4uV5wX6yZ7aB8cD9");
  CHECK(
      parsed->statuses[1].provider_message_id ==
      "m_DL2aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX3yZ4aB5cD6eF7gH8iJ9kL0mN1oP2qR3sT4uV5wX6yZ7aB8cD9");
  for (const StatusReport& report : parsed->statuses) {
    CHECK(report.status == DeliveryStatus::kDelivered);
    CHECK(report.at == from_unix_micros(1700000100800000));
  }
}

TEST_CASE("messenger: Instagram messaging uses the Instagram account as scope", "[adapters]") {
  auto parsed = parse_messenger_webhook(read_data("instagram/text_message.json"), test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->messages.size() == 1);
  const InboundMessage& m = parsed->messages[0];
  CHECK(m.from.kind == IdentityKind::kInstagramId);
  CHECK(m.from.scope == "17841405822304914");
  CHECK(m.from.value == "1254459154682919");
  CHECK(m.body == "Is the blue jacket still available in M?");
  CHECK(m.metadata.at("instagram_account_id") == "17841405822304914");
  CHECK(m.metadata.count("page_id") == 0);
}

TEST_CASE("messenger: malformed payloads are rejected naming the path or offset", "[adapters]") {
  const std::string text = read_data("messenger/text_message.json");
  Status truncated = failure(parse_messenger_webhook(text.substr(0, 150), test_options()));
  CHECK(truncated.field() == "offset 150");

  Status no_sender = failure(
      parse_messenger_webhook(replace_once(text, "\"sender\"", "\"from\""), test_options()));
  CHECK(no_sender.is(StatusCode::kInvalidArgument));
  CHECK(no_sender.field() == "entry[0].messaging[0].sender");

  Status no_mid =
      failure(parse_messenger_webhook(replace_once(text, "\"mid\"", "\"xmid\""), test_options()));
  CHECK(no_mid.field() == "entry[0].messaging[0].message.mid");

  Status time_type = failure(parse_messenger_webhook(
      replace_once(text, "1700000000987", "\"1700000000987\""), test_options()));
  CHECK(time_type.field() == "entry[0].messaging[0].timestamp");

  Status text_type = failure(parse_messenger_webhook(
      replace_once(text, "\"Where is my order?\"", "[\"Where\"]"), test_options()));
  CHECK(text_type.field() == "entry[0].messaging[0].message.text");

  Status object =
      failure(parse_messenger_webhook(replace_once(text, "\"page\"", "\"user\""), test_options()));
  CHECK(object.field() == "object");

  std::string many = R"(, "attachments": [)";
  for (int i = 0; i < 21; ++i) {
    many += std::string(i == 0 ? "" : ",") +
            R"({"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/a.jpg"}})";
  }
  many += "]";
  Status too_many =
      failure(parse_messenger_webhook(replace_once(text, R"("text": "Where is my order?")",
                                                   R"("text": "Where is my order?")" + many),
                                      test_options()));
  CHECK(too_many.is(StatusCode::kResourceExhausted));
  CHECK(too_many.field() == "entry[0].messaging[0].message.attachments");

  ParseOptions small = test_options();
  small.max_payload_bytes = text.size() - 1;
  CHECK(failure(parse_messenger_webhook(text, small)).is(StatusCode::kResourceExhausted));
}

// -------------------------------------------------------------------------------- Telegram

TEST_CASE("telegram: a text message parses into the exact fields", "[adapters]") {
  auto parsed =
      parse_telegram_update(read_data("telegram/text_message.json"), "acme_bot", test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->messages.size() == 1);
  CHECK(parsed->statuses.empty());
  const InboundMessage& m = parsed->messages[0];
  CHECK(m.tenant == TenantId(7));
  CHECK(m.channel == ChannelId(11));
  CHECK(m.from.kind == IdentityKind::kTelegramId);
  CHECK(m.from.scope == "acme_bot");
  CHECK(m.from.value == "123456789");
  CHECK(m.display_name == "Anna Müller");
  CHECK(m.provider_message_id == "123456789:42");
  CHECK(m.body == "Hallo! Wann kommt meine Lieferung?");
  CHECK(m.occurred_at == unix_seconds(1700000300));
  const std::map<std::string, std::string> expected = {
      {"telegram_update_id", "872034561"},
      {"telegram_chat_id", "123456789"},
      {"telegram_chat_type", "private"},
      {"telegram_username", "anna_mueller"},
      {"language_code", "de"},
  };
  CHECK(m.metadata == expected);
}

TEST_CASE("telegram: an edit is stored beside the original", "[adapters]") {
  auto parsed =
      parse_telegram_update(read_data("telegram/edited_message.json"), "acme_bot", test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->messages.size() == 1);
  const InboundMessage& m = parsed->messages[0];
  CHECK(m.provider_message_id == "123456789:42:edit:1700000360");
  CHECK(m.metadata.at("edited_message_id") == "123456789:42");
  CHECK(m.body == "Hallo! Wann kommt meine Lieferung (Bestellung 12345)?");
  CHECK(m.occurred_at == unix_seconds(1700000360));

  Status no_edit_date = failure(parse_telegram_update(
      replace_once(read_data("telegram/edited_message.json"), "\"edit_date\"", "\"edited\""),
      "acme_bot", test_options()));
  CHECK(no_edit_date.field() == "edited_message.edit_date");
}

TEST_CASE("telegram: photo, document, contact and location", "[adapters]") {
  auto photo =
      parse_telegram_update(read_data("telegram/photo_caption.json"), "acme_bot", test_options());
  INFO(photo.status().to_string());
  REQUIRE(photo.ok());
  REQUIRE(photo->messages.size() == 1);
  const InboundMessage& p = photo->messages[0];
  CHECK(p.body == "Das Paket ist beschädigt");
  REQUIRE(p.attachments.size() == 1);
  CHECK(p.attachments[0].content_type == "image/jpeg");
  CHECK(p.attachments[0].size_bytes == 95127);  // the largest size
  CHECK(p.metadata.at("file_id_0") ==
        "AgACAgIAAxkBAAIBZ2VgAAH1kX0AAWc7cF6TQj5g3JpXAAK2zTEbQ2cAAUvTtHj8ZeFAAQADAgADeQADMwQ");
  CHECK(p.metadata.at("file_unique_id_0") == "AQADts0xG0NnAAF-");
  REQUIRE(p.references.size() == 1);
  CHECK(p.references[0] == "123456789:41");

  auto document =
      parse_telegram_update(read_data("telegram/document.json"), "acme_bot", test_options());
  REQUIRE(document.ok());
  REQUIRE(document->messages.size() == 1);
  const InboundMessage& d = document->messages[0];
  CHECK(d.body.empty());
  REQUIRE(d.attachments.size() == 1);
  CHECK(d.attachments[0].filename == "Rechnung-2023-1142.pdf");
  CHECK(d.attachments[0].content_type == "application/pdf");
  CHECK(d.attachments[0].size_bytes == 48213);
  CHECK(d.metadata.at("file_id_0") ==
        "BQACAgIAAxkBAAIBaGVgAAGq0P7mH3S8Xb4Kp2pWm4dJAAI5OAACQ2cAAUs_Fh0AAR9Z5zME");
  CHECK(d.metadata.count("telegram_username") == 0);

  auto contact =
      parse_telegram_update(read_data("telegram/contact.json"), "acme_bot", test_options());
  REQUIRE(contact.ok());
  REQUIRE(contact->messages.size() == 1);
  const InboundMessage& c = contact->messages[0];
  CHECK(c.body == "Contact: Anna Müller +4915112345678");
  CHECK(c.metadata.at("contact_phone_number") == "+4915112345678");
  CHECK(c.metadata.at("contact_name") == "Anna Müller");
  CHECK(c.metadata.at("contact_user_id") == "123456789");

  auto location =
      parse_telegram_update(read_data("telegram/location.json"), "acme_bot", test_options());
  REQUIRE(location.ok());
  REQUIRE(location->messages.size() == 1);
  const InboundMessage& l = location->messages[0];
  CHECK(l.body == "Location: 52.520008, 13.404954");
  CHECK(l.display_name == "Anna");
  CHECK(l.metadata.at("location_latitude") == "52.520008");
  CHECK(l.metadata.at("location_longitude") == "13.404954");
}

TEST_CASE("telegram: updates without a message give an empty payload", "[adapters]") {
  auto parsed =
      parse_telegram_update(read_data("telegram/callback_query.json"), "acme_bot", test_options());
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  CHECK(parsed->messages.empty());
  CHECK(parsed->statuses.empty());
}

TEST_CASE("telegram: malformed updates are rejected naming the path or offset", "[adapters]") {
  const std::string text = read_data("telegram/text_message.json");
  Status truncated =
      failure(parse_telegram_update(text.substr(0, 100), "acme_bot", test_options()));
  CHECK(truncated.field() == "offset 100");

  Status no_from = failure(parse_telegram_update(replace_once(text, "\"from\"", "\"sender\""),
                                                 "acme_bot", test_options()));
  CHECK(no_from.field() == "message.from");

  Status id_type = failure(
      parse_telegram_update(replace_once(text, "\"message_id\": 42", "\"message_id\": \"42\""),
                            "acme_bot", test_options()));
  CHECK(id_type.field() == "message.message_id");

  Status date_type = failure(parse_telegram_update(replace_once(text, "1700000300", "1700000300.5"),
                                                   "acme_bot", test_options()));
  CHECK(date_type.field() == "message.date");

  Status no_update_id = failure(parse_telegram_update(
      replace_once(text, "\"update_id\"", "\"update\""), "acme_bot", test_options()));
  CHECK(no_update_id.field() == "update_id");

  Status no_bot = failure(parse_telegram_update(text, "", test_options()));
  CHECK(no_bot.field() == "bot_name");

  ParseOptions small = test_options();
  small.max_payload_bytes = 10;
  CHECK(failure(parse_telegram_update(text, "acme_bot", small)).is(StatusCode::kResourceExhausted));
}

// ------------------------------------------------------------------------------ end to end

TEST_CASE("parsed webhooks land on one customer across Twilio and WhatsApp", "[adapters]") {
  auto engine = std::move(*Engine::open(make_memory_store()));
  Tenant tenant = *engine->create_tenant("acme", "DE");
  Channel sms = *engine->create_channel({tenant.id, ChannelKind::kSms, "twilio-sms", {}});
  Channel twilio_wa =
      *engine->create_channel({tenant.id, ChannelKind::kWhatsApp, "twilio-whatsapp", {}});
  Channel cloud_wa = *engine->create_channel({tenant.id, ChannelKind::kWhatsApp, "wa-cloud", {}});
  Channel telegram = *engine->create_channel({tenant.id, ChannelKind::kTelegram, "tg", {}});

  auto options_for = [&](const Channel& channel) {
    ParseOptions options;
    options.tenant = tenant.id;
    options.channel = channel.id;
    return options;
  };
  auto receive_one = [&](const Result<ParsedPayload>& parsed) {
    INFO(parsed.status().to_string());
    REQUIRE(parsed.ok());
    REQUIRE(parsed->messages.size() == 1);
    auto result = engine->receive(parsed->messages[0]);
    INFO(result.status().to_string());
    REQUIRE(result.ok());
    return *result;
  };

  const std::string sms_form = read_data("twilio/sms_inbound.form");
  ReceiveResult first = receive_one(parse_twilio_webhook(sms_form, options_for(sms)));
  CHECK(first.new_customer);
  CHECK_FALSE(first.duplicate);
  ReceiveResult via_twilio_wa = receive_one(
      parse_twilio_webhook(read_data("twilio/whatsapp_inbound.form"), options_for(twilio_wa)));
  CHECK_FALSE(via_twilio_wa.new_customer);
  CHECK(via_twilio_wa.customer == first.customer);
  ReceiveResult via_cloud = receive_one(
      parse_whatsapp_webhook(read_data("whatsapp/text_message.json"), options_for(cloud_wa)));
  CHECK_FALSE(via_cloud.new_customer);
  CHECK(via_cloud.customer == first.customer);
  CHECK(via_cloud.conversation == first.conversation);  // one conversation across channels

  // A Telegram user is a different identity: without a link it is another customer.
  ReceiveResult via_telegram = receive_one(parse_telegram_update(
      read_data("telegram/text_message.json"), "acme_bot", options_for(telegram)));
  CHECK(via_telegram.new_customer);
  CHECK(via_telegram.customer != first.customer);

  // The same webhook delivered twice is stored once.
  ReceiveResult again = receive_one(parse_twilio_webhook(sms_form, options_for(sms)));
  CHECK(again.duplicate);
  CHECK(again.touchpoint == first.touchpoint);
  ReceiveResult cloud_again = receive_one(
      parse_whatsapp_webhook(read_data("whatsapp/text_message.json"), options_for(cloud_wa)));
  CHECK(cloud_again.duplicate);
  CHECK(cloud_again.touchpoint == via_cloud.touchpoint);

  // An edit is a new touchpoint; the original stays.
  ReceiveResult edit = receive_one(parse_telegram_update(read_data("telegram/edited_message.json"),
                                                         "acme_bot", options_for(telegram)));
  CHECK_FALSE(edit.duplicate);
  CHECK(edit.touchpoint != via_telegram.touchpoint);
  CHECK(edit.customer == via_telegram.customer);

  // Every parsed message of the batches is acceptable to the engine as it is.
  for (const auto& parsed :
       {parse_whatsapp_webhook(read_data("whatsapp/batch.json"), options_for(cloud_wa)),
        parse_messenger_webhook(read_data("messenger/batch.json"), options_for(cloud_wa)),
        parse_twilio_webhook(read_data("twilio/mms_inbound.form"), options_for(sms))}) {
    REQUIRE(parsed.ok());
    for (const InboundMessage& m : parsed->messages) {
      Status valid = engine->validate(m);
      INFO(m.provider_message_id << ": " << valid.to_string());
      CHECK(valid.ok());
    }
  }
}

// Inputs the fuzzer (make fuzz) found; each once parsed into a message that receive() refused.
TEST_CASE("webhooks: fuzzer regressions parse into messages the engine accepts", "[adapters]") {
  auto engine = std::move(*omni::Engine::open(omni::make_memory_store()));
  const omni::Tenant tenant = *engine->create_tenant("acme", "US");
  omni::adapters::ParseOptions options;
  options.tenant = tenant.id;
  options.channel = omni::ChannelId(1);
  // A media URL whose last segment (the attachment's filename) is 268 bytes long.
  auto parsed = omni::adapters::parse_twilio_webhook(
      read_data("fuzz-regressions/twilio/long-media-filename.form"), options);
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->messages.size() == 1);
  const omni::InboundMessage& m = parsed->messages[0];
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].filename.size() == 256);
  omni::Status valid = engine->validate(m);
  INFO(valid.to_string());
  CHECK(valid.ok());

  // A message id with a lone low surrogate escape ("\udddd"): not UTF-8 once decoded.
  auto surrogate = omni::adapters::parse_messenger_webhook(
      read_data("fuzz-regressions/messenger/non-utf8-id.json"), options);
  REQUIRE_FALSE(surrogate.ok());
  CHECK(surrogate.status().is(omni::StatusCode::kInvalidArgument));
  CHECK(surrogate.status().field() == "provider_message_id");

  // Photo sizes whose width × height overflows 64 bits: parsed, the largest kept.
  auto huge = omni::adapters::parse_telegram_update(
      read_data("fuzz-regressions/telegram/huge-photo-size.json"), "acme_bot", options);
  INFO(huge.status().to_string());
  CHECK((huge.ok() || huge.status().is(omni::StatusCode::kInvalidArgument)));

  // A provider id longer than any the engine stores is refused, never cut (it is the
  // idempotency key).
  std::string form = "MessageSid=SM" + std::string(300, 'a') +
                     "&AccountSid=AC1&From=%2B14155552671&To=%2B14155550100&Body=hi";
  auto refused = omni::adapters::parse_twilio_webhook(form, options);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().field() == "provider_message_id");
}
