// Tests of the `omni` command-line tool: the JSON Lines parser and the ingest loop in-process,
// then the real binary on temporary files.
#include <catch2/catch.hpp>

#ifdef OMNI_HAVE_CLI

#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/ingest.h"
#include "cli/record.h"
#include "cli/render.h"
#include "cli/template_file.h"
#include "omni/engine.h"
#include "omni/memory_store.h"
#include "omni/recording_adapter.h"
#include "omni/sqlite_store.h"
#include "omni/version.h"
#include "test_util.h"

namespace omni::cli {
namespace {

const char* const kValidLine =
    R"({"tenant":"acme","channel":"sms","channel_name":"+4930123456",)"
    R"("from":{"kind":"phone","value":"+49 151 12345678"},"display_name":"Anna Schmidt",)"
    R"("provider_message_id":"SM1","kind":"message_in","subject":"Order",)"
    R"("body":"Where is my order?","occurred_at":"2026-11-20T10:00:00Z",)"
    R"("metadata":{"order":"A-17"},)"
    R"("attachments":[{"filename":"a.png","content_type":"image/png","size_bytes":12,)"
    R"("sha256":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}]})";

// A minimal valid line with `extra` spliced in before the closing brace.
std::string line_with(const std::string& extra) {
  std::string line = R"({"channel":"sms","from":{"kind":"phone","value":"+4915112345678"},)"
                     R"("provider_message_id":"SM1","body":"hi")";
  if (!extra.empty()) line += "," + extra;
  return line + "}";
}

RecordError error_of(std::string_view line) {
  RecordResult result = parse_record(line);
  REQUIRE_FALSE(result.ok());
  return result.error();
}

std::unique_ptr<Engine> memory_engine() {
  auto engine = Engine::open(make_memory_store());
  REQUIRE(engine.ok());
  return std::move(*engine);
}

}  // namespace

TEST_CASE("parse_record maps every field of a valid line", "[cli]") {
  RecordResult result = parse_record(kValidLine);
  REQUIRE(result.ok());
  const InboundRecord& r = result.record();
  CHECK(r.tenant == std::optional<std::string>("acme"));
  CHECK(r.channel_kind == ChannelKind::kSms);
  CHECK(r.channel_name == "+4930123456");
  CHECK(r.message.from.kind == IdentityKind::kPhone);
  CHECK(r.message.from.value == "+49 151 12345678");
  CHECK(r.message.from.scope.empty());
  CHECK(r.message.display_name == "Anna Schmidt");
  CHECK(r.message.provider_message_id == "SM1");
  CHECK(r.message.kind == TouchpointKind::kMessageIn);
  CHECK(r.message.subject == "Order");
  CHECK(r.message.body == "Where is my order?");
  REQUIRE(r.message.occurred_at.has_value());
  CHECK(format_timestamp(*r.message.occurred_at) == "2026-11-20T10:00:00Z");
  CHECK(r.message.metadata == std::map<std::string, std::string>{{"order", "A-17"}});
  REQUIRE(r.message.attachments.size() == 1);
  CHECK(r.message.attachments[0].filename == "a.png");
  CHECK(r.message.attachments[0].content_type == "image/png");
  CHECK(r.message.attachments[0].size_bytes == 12);
  CHECK(r.message.attachments[0].sha256 ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Ids are resolved later by the ingest loop.
  CHECK_FALSE(r.message.tenant.valid());
  CHECK_FALSE(r.message.channel.valid());
}

TEST_CASE("parse_record applies defaults and treats null as absent", "[cli]") {
  RecordResult result = parse_record(
      line_with(R"("tenant":null,"kind":null,"subject":null,"metadata":null,"attachments":null)"));
  REQUIRE(result.ok());
  const InboundRecord& r = result.record();
  CHECK_FALSE(r.tenant.has_value());
  CHECK(r.channel_name == "sms");  // the kind's name
  CHECK(r.message.kind == TouchpointKind::kMessageIn);
  CHECK_FALSE(r.message.occurred_at.has_value());
  CHECK(r.message.metadata.empty());
  CHECK(r.message.attachments.empty());

  RecordResult call =
      parse_record(R"({"channel":"phone","from":{"kind":"phone","value":"+4915112345678"},)"
                   R"("provider_message_id":"CA1","kind":"call"})");
  REQUIRE(call.ok());
  CHECK(call.record().message.kind == TouchpointKind::kCall);
  CHECK(call.record().message.body.empty());

  RecordResult scoped = parse_record(
      R"({"channel":"messenger","from":{"kind":"messenger_psid","scope":"page-1","value":"42"},)"
      R"("provider_message_id":"m1","body":"x","occurred_at":"2026-11-20T11:00:00+01:00"})");
  REQUIRE(scoped.ok());
  CHECK(scoped.record().message.from.scope == "page-1");
  CHECK(format_timestamp(*scoped.record().message.occurred_at) == "2026-11-20T10:00:00Z");
}

TEST_CASE("parse_record names the field of every error", "[cli]") {
  struct Case {
    std::string line;
    RecordErrorKind kind;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"{", RecordErrorKind::kMalformedJson, ""},
      {"not json", RecordErrorKind::kMalformedJson, ""},
      {R"({"channel":"sms","from":{"kind":"phone","value":}})", RecordErrorKind::kMalformedJson,
       "from.value"},
      {R"({"channel":"sms","body":"a" "kind":"call"})", RecordErrorKind::kMalformedJson, "body"},
      {line_with("") + " trailing", RecordErrorKind::kMalformedJson, ""},
      {"[1,2]", RecordErrorKind::kNotAnObject, ""},
      {"\"text\"", RecordErrorKind::kNotAnObject, ""},
      {R"({"from":{"kind":"phone","value":"+4915112345678"},"provider_message_id":"x"})",
       RecordErrorKind::kMissingField, "channel"},
      {R"({"channel":"sms","provider_message_id":"x"})", RecordErrorKind::kMissingField, "from"},
      {R"({"channel":"sms","from":{"kind":"phone","value":"+4915112345678"}})",
       RecordErrorKind::kMissingField, "provider_message_id"},
      {line_with(R"("bdy":"typo")"), RecordErrorKind::kUnknownField, "bdy"},
      {line_with(R"("body":"twice")"), RecordErrorKind::kDuplicateField, "body"},
      {R"({"channel":5})", RecordErrorKind::kWrongType, "channel"},
      {R"({"channel":"smss"})", RecordErrorKind::kInvalidValue, "channel"},
      {R"({"channel":"sms","channel_name":""})", RecordErrorKind::kInvalidValue, "channel_name"},
      {R"({"channel":"sms","from":"+4915112345678"})", RecordErrorKind::kWrongType, "from"},
      {R"({"channel":"sms","from":{"kind":"fax","value":"1"}})", RecordErrorKind::kInvalidValue,
       "from.kind"},
      {R"({"channel":"sms","from":{"kind":"phone"}})", RecordErrorKind::kMissingField,
       "from.value"},
      {R"({"channel":"sms","from":{"kind":"phone","value":1234}})", RecordErrorKind::kWrongType,
       "from.value"},
      {R"({"channel":"sms","from":{"kind":"phone","value":"1","vale":"2"}})",
       RecordErrorKind::kUnknownField, "from.vale"},
      {line_with(R"("tenant":"")"), RecordErrorKind::kInvalidValue, "tenant"},
      {R"({"channel":"sms","from":{"kind":"phone","value":"1"},"provider_message_id":""})",
       RecordErrorKind::kInvalidValue, "provider_message_id"},
      {line_with(R"("kind":"note")"), RecordErrorKind::kInvalidValue, "kind"},
      {line_with(R"("kind":"letter")"), RecordErrorKind::kInvalidValue, "kind"},
      {line_with(R"("display_name":["Anna"])"), RecordErrorKind::kWrongType, "display_name"},
      {line_with(R"("occurred_at":"yesterday")"), RecordErrorKind::kInvalidValue, "occurred_at"},
      {line_with(R"("occurred_at":1763632800)"), RecordErrorKind::kWrongType, "occurred_at"},
      {line_with(R"("metadata":{"k":1})"), RecordErrorKind::kWrongType, "metadata.k"},
      {line_with(R"("metadata":{"k":"a","k":"b"})"), RecordErrorKind::kDuplicateField,
       "metadata.k"},
      {line_with(R"("metadata":["k"])"), RecordErrorKind::kWrongType, "metadata"},
      {line_with(R"("attachments":{"filename":"a"})"), RecordErrorKind::kWrongType, "attachments"},
      {line_with(R"("attachments":["a.png"])"), RecordErrorKind::kWrongType, "attachments[0]"},
      {line_with(R"("attachments":[{"filename":"a"},{"filename":"b","size_bytes":-1}])"),
       RecordErrorKind::kInvalidValue, "attachments[1].size_bytes"},
      {line_with(R"("attachments":[{"filename":"a","size_bytes":"12"}])"),
       RecordErrorKind::kWrongType, "attachments[0].size_bytes"},
      {line_with(R"("attachments":[{"filename":"a","sha256":"abc"}])"),
       RecordErrorKind::kInvalidValue, "attachments[0].sha256"},
      {line_with(R"("attachments":[{"content_type":"image/png"}])"), RecordErrorKind::kMissingField,
       "attachments[0].filename"},
      {line_with(R"("attachments":[{"filename":"a","mime":"x"}])"), RecordErrorKind::kUnknownField,
       "attachments[0].mime"},
      {line_with(R"("subject":"a\u0000b")"), RecordErrorKind::kInvalidValue, "subject"},
      {line_with("\"subject\":\"caf\xC3\""), RecordErrorKind::kInvalidUtf8, "subject"},
      {line_with("\"subject\":\"\xFF\""), RecordErrorKind::kInvalidUtf8, "subject"},
      {line_with("\"subject\":\"\xED\xA0\x80\""), RecordErrorKind::kInvalidUtf8, "subject"},
  };
  for (const Case& c : cases) {
    INFO(c.line);
    RecordError error = error_of(c.line);
    INFO(error.message);
    CHECK(to_string(error.kind) == to_string(c.kind));
    CHECK(error.field == c.field);
    CHECK_FALSE(error.message.empty());
  }
}

TEST_CASE("parse_record explains what was expected", "[cli]") {
  RecordError wrong = error_of(R"({"channel":5})");
  CHECK_THAT(wrong.message, Catch::Contains("expected a string") && Catch::Contains("number"));
  RecordError kind = error_of(R"({"channel":"smss"})");
  CHECK_THAT(kind.message, Catch::Contains("smss") && Catch::Contains("whatsapp"));
  RecordError unknown = error_of(line_with(R"("bdy":"typo")"));
  CHECK_THAT(unknown.message, Catch::Contains("body"));
  RecordError inbound = error_of(line_with(R"("kind":"note")"));
  CHECK_THAT(inbound.message, Catch::Contains("message_in") && Catch::Contains("call"));
}

TEST_CASE("parse_record rejects oversized lines and survives deep nesting", "[cli]") {
  std::string huge = line_with("\"subject\":\"" + std::string(kMaxLineBytes, 'x') + "\"");
  RecordError too_long = error_of(huge);
  CHECK(too_long.kind == RecordErrorKind::kLineTooLong);

  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  CHECK(error_of(deep).kind == RecordErrorKind::kNotAnObject);
  std::string deep_field = line_with("\"metadata\":" + std::string(50000, '['));
  RecordError unterminated = error_of(deep_field);
  CHECK(unterminated.kind == RecordErrorKind::kMalformedJson);
  CHECK_THAT(unterminated.field, Catch::StartsWith("metadata[0][0]"));
}

TEST_CASE("printable escapes control characters and cuts long text", "[cli]") {
  CHECK(printable("a\x1b[31mb") == "a\\x1b[31mb");
  CHECK(printable("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(printable(std::string(100, 'x'), 10) == std::string(10, 'x') + "...");
  // Never cuts inside a UTF-8 sequence.
  CHECK(printable("ääää", 3) == "ä...");
}

TEST_CASE("LineReader splits lines, strips CR and bounds memory", "[cli]") {
  std::string long_line(kMaxLineBytes + 10, 'x');
  std::istringstream in("one\r\n\ntwo\n" + long_line + "\nthree");
  LineReader reader(in);
  std::string line;
  bool too_long = false;
  REQUIRE(reader.next(&line, &too_long));
  CHECK(line == "one");
  CHECK_FALSE(too_long);
  REQUIRE(reader.next(&line, &too_long));
  CHECK(line.empty());
  REQUIRE(reader.next(&line, &too_long));
  CHECK(line == "two");
  CHECK(reader.line_number() == 3);
  REQUIRE(reader.next(&line, &too_long));
  CHECK(too_long);
  CHECK(line.size() <= kMaxLineBytes + 2);
  REQUIRE(reader.next(&line, &too_long));
  CHECK(line == "three");
  CHECK_FALSE(too_long);
  CHECK(reader.line_number() == 5);
  CHECK_FALSE(reader.next(&line, &too_long));

  // Exactly at the limit, with CRLF, is fine.
  std::istringstream exact(std::string(kMaxLineBytes, 'y') + "\r\n");
  LineReader exact_reader(exact);
  REQUIRE(exact_reader.next(&line, &too_long));
  CHECK_FALSE(too_long);
  CHECK(line.size() == kMaxLineBytes);
}

TEST_CASE("cursors round-trip as text", "[cli]") {
  TimelineCursor cursor{from_unix_micros(1763632800123456), TouchpointId(42)};
  CHECK(format_cursor(cursor) == "1763632800123456:42");
  auto parsed = parse_cursor("1763632800123456:42");
  REQUIRE(parsed.has_value());
  CHECK(parsed->occurred_at == cursor.occurred_at);
  CHECK(parsed->touchpoint == cursor.touchpoint);
  for (const char* bad : {"", ":", "12", "12:", ":3", "12:0", "12:-3", "a:3", "12:3x", "1.5:3"}) {
    INFO(bad);
    CHECK_FALSE(parse_cursor(bad).has_value());
  }
}

TEST_CASE("one_line_excerpt flattens and cuts on code points", "[cli]") {
  CHECK(one_line_excerpt("a\n\n  b\tc ", 80) == "a b c");
  CHECK(one_line_excerpt("\x1b[2Jx", 80) == "[2Jx");
  CHECK(one_line_excerpt("ääääää", 4) == "äää…");
  CHECK(one_line_excerpt("abc", 3) == "abc");
}

TEST_CASE("the ingest loop stores good lines, counts duplicates and rejects bad ones", "[cli]") {
  auto engine = memory_engine();
  Ingester ingester(*engine, IngestOptions{});
  std::string input = std::string(kValidLine) + "\n" +  // 1: stored
                      "\n" +                            // 2: blank
                      kValidLine + "\n" +               // 3: duplicate
                      R"({"tenant":"acme","channel":"sms"})"
                      "\n" +                                       // 4: missing from
                      "   \n" +                                    // 5: blank
                      line_with(R"("provider_message_id":"SM2")")  // 6: duplicate field
                      + "\n" +
                      R"({"channel":"email","from":{"kind":"email","value":"anna@example.com"},)"
                      R"("provider_message_id":"<m1@x>","subject":"Hi","body":"b"})";  // 7
  std::istringstream in(input);
  std::vector<Rejection> rejections;
  IngestCounts counts =
      ingester.ingest_stream(in, "in.jsonl", [&](const Rejection& r) { rejections.push_back(r); });
  CHECK(counts.records == 5);
  CHECK(counts.stored == 2);
  CHECK(counts.duplicates == 1);
  CHECK(counts.rejected == 2);
  CHECK(counts.new_customers == 2);
  CHECK(counts.new_conversations == 2);
  REQUIRE(rejections.size() == 2);
  CHECK(rejections[0].source == "in.jsonl");
  CHECK(rejections[0].line == 4);
  CHECK(rejections[0].error.field == "from");
  CHECK(rejections[1].line == 6);
  CHECK(rejections[1].error.field == "provider_message_id");

  // Line 7 went to the default tenant with a channel named after its kind.
  auto fallback = engine->find_tenant("default");
  REQUIRE(fallback.ok());
  auto channels = engine->list_channels(fallback->id);
  REQUIRE(channels.ok());
  REQUIRE(channels->size() == 1);
  CHECK((*channels)[0].name == "email");
  CHECK((*channels)[0].kind == ChannelKind::kEmail);
}

TEST_CASE("a line the engine refuses leaves no tenant, channel or customer behind", "[cli]") {
  auto engine = memory_engine();
  Ingester ingester(*engine, IngestOptions{"t1"});

  // A new tenant: the identity is not a phone number.
  IngestOutcome bad_phone = ingester.ingest_line(
      R"({"channel":"sms","from":{"kind":"phone","value":"call me"},"provider_message_id":"1",)"
      R"("body":"x"})");
  REQUIRE_FALSE(bad_phone.ok());
  CHECK(bad_phone.error().kind == RecordErrorKind::kRejected);
  CHECK(bad_phone.error().field == "from.value");
  CHECK(engine->find_tenant("t1").status().is(StatusCode::kNotFound));

  // An existing tenant, a new channel: a scope where none is allowed.
  IngestOutcome good = ingester.ingest_line(line_with(""));
  REQUIRE(good.ok());
  auto tenant = engine->find_tenant("t1");
  REQUIRE(tenant.ok());
  IngestOutcome bad_scope = ingester.ingest_line(
      R"({"channel":"email","from":{"kind":"email","scope":"x","value":"a@b.example"},)"
      R"("provider_message_id":"2","body":"x"})");
  REQUIRE_FALSE(bad_scope.ok());
  CHECK(bad_scope.error().field == "from.scope");
  auto channels = engine->list_channels(tenant->id);
  REQUIRE(channels.ok());
  CHECK(channels->size() == 1);

  // A body above the engine's limit, and a message with nothing in it.
  std::string big(engine->options().max_body_bytes + 1, 'x');
  IngestOutcome too_big = ingester.ingest_line(
      std::string(R"({"channel":"sms","from":{"kind":"phone","value":"+4915112345678"},)") +
      R"("provider_message_id":"3","body":")" + big + "\"}");
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().field == "body");
  IngestOutcome empty =
      ingester.ingest_line(R"({"channel":"sms","from":{"kind":"phone","value":"+4915112345678"},)"
                           R"("provider_message_id":"4"})");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().field == "body");

  auto customers = engine->list_customers(tenant->id);
  REQUIRE(customers.ok());
  CHECK(customers->size() == 1);
}

TEST_CASE("a channel name used with another kind is a conflict", "[cli]") {
  auto engine = memory_engine();
  Ingester ingester(*engine, IngestOptions{});
  REQUIRE(ingester
              .ingest_line(R"({"channel":"sms","channel_name":"line-1","from":{"kind":"phone",)"
                           R"("value":"+4915112345678"},"provider_message_id":"1","body":"x"})")
              .ok());
  IngestOutcome conflict = ingester.ingest_line(
      R"({"channel":"whatsapp","channel_name":"line-1","from":{"kind":"phone",)"
      R"("value":"+4915112345678"},"provider_message_id":"2","body":"x"})");
  REQUIRE_FALSE(conflict.ok());
  CHECK(conflict.error().kind == RecordErrorKind::kChannelConflict);
  CHECK(conflict.error().field == "channel");
  CHECK_THAT(conflict.error().message, Catch::Contains("line-1"));

  // A second ingester (a later run) sees the existing channel in the database.
  Ingester later(*engine, IngestOptions{});
  CHECK(later
            .ingest_line(R"({"channel":"whatsapp","channel_name":"line-1","from":{"kind":"phone",)"
                         R"("value":"+4915112345678"},"provider_message_id":"3","body":"x"})")
            .error()
            .kind == RecordErrorKind::kChannelConflict);
}

TEST_CASE("engine errors name the record field they concern", "[cli]") {
  EngineOptions options;
  options.max_body_bytes = 8;
  auto engine = std::move(*Engine::open(make_memory_store(), options));
  Ingester ingester(*engine, IngestOptions{});
  auto field_of = [&](const std::string& from, const std::string& rest) {
    std::string line =
        R"({"channel":"messenger","from":)" + from + R"(,"provider_message_id":"1")" + rest + "}";
    IngestOutcome outcome = ingester.ingest_line(line);
    INFO(line);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().kind == RecordErrorKind::kRejected);
    return outcome.error().field;
  };
  const std::string phone = R"({"kind":"phone","value":"+4915112345678"})";
  CHECK(field_of(R"({"kind":"phone","value":"12"})", R"(,"body":"x")") == "from.value");
  CHECK(field_of(R"({"kind":"messenger_psid","value":"42"})", R"(,"body":"x")") == "from.scope");
  CHECK(field_of(phone, R"(,"body":"123456789")") == "body");
  CHECK(field_of(phone, "") == "body");
  std::string metadata = R"(,"body":"x","metadata":{)";
  for (int i = 0; i < 65; ++i)
    metadata += (i ? ",\"" : "\"") + std::to_string(i) + "\":\"v\"";
  CHECK(field_of(phone, metadata + "}") == "metadata");
  // Nothing of the rejected lines is left behind, not even the tenant.
  CHECK(engine->find_tenant("default").status().is(StatusCode::kNotFound));

  RecordError storage = engine_error(Status::io_error("disk full"));
  CHECK(storage.kind == RecordErrorKind::kStorageError);
  CHECK(storage.field.empty());
}

// --------------------------------------------------------------------------- the binary

namespace {

using Run = testing::CliRun;

Run run_omni(const std::vector<std::string>& args, const std::string& stdin_path = "") {
  return testing::run_cli(OMNI_CLI_PATH, args, stdin_path);
}

std::string write_temp(const std::string& stem, const std::string& content) {
  auto path = testing::TempDir::unique(stem);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

std::string temp_db() {
  return testing::TempDir::unique("cli").string() + ".db";
}

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  INFO(text);
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  return doc;
}

std::string message_line(const std::string& id, const std::string& phone, const std::string& time,
                         const std::string& body) {
  return R"({"tenant":"acme","channel":"sms","from":{"kind":"phone","value":")" + phone +
         R"("},"provider_message_id":")" + id + R"(","body":")" + body + R"(","occurred_at":")" +
         time + R"("})";
}

}  // namespace

TEST_CASE("omni ingest reports stored, duplicate and rejected lines", "[cli]") {
  std::string db = temp_db();
  std::string file = write_temp(
      "in", message_line("m1", "+4915112345678", "2026-11-20T10:00:00Z", "Where is my order?") +
                "\n" + message_line("m1", "+4915112345678", "2026-11-20T10:00:00Z", "retry") +
                "\n" + message_line("m2", "not a phone", "2026-11-20T10:01:00Z", "x") + "\n\n" +
                message_line("m3", "+4917000000001", "2026-11-20T10:02:00Z", "Hello") + "\n");
  Run run = run_omni({"--db", db, "ingest", file});
  INFO(run.out << run.err);
  CHECK(run.status == 1);
  CHECK_THAT(run.out, Catch::Contains("2 stored, 1 duplicate, 1 rejected"));
  CHECK_THAT(run.err, Catch::Contains(file + ":3: field \"from.value\""));

  // Nothing of line 3 was stored: two customers, both from the good lines.
  Run customers = run_omni({"--db", db, "--tenant", "acme", "--json", "customers"});
  REQUIRE(customers.status == 0);
  rapidjson::Document doc = parse_json(customers.out);
  REQUIRE(doc["customers"].IsArray());
  CHECK(doc["customers"].Size() == 2);
  CHECK(doc["count"].GetUint64() == 2);
  std::set<std::string> phones;
  for (const auto& c : doc["customers"].GetArray()) {
    for (const auto& identity : c["identities"].GetArray()) {
      phones.insert(identity["value"].GetString());
    }
  }
  CHECK(phones == std::set<std::string>{"+4915112345678", "+4917000000001"});

  // A second run of the same file stores nothing new.
  Run again = run_omni({"--db", db, "--json", "ingest", file});
  CHECK(again.status == 1);
  rapidjson::Document summary = parse_json(again.out);
  CHECK(summary["stored"].GetUint64() == 0);
  CHECK(summary["duplicates"].GetUint64() == 3);
  CHECK(summary["rejected"].GetUint64() == 1);
  CHECK(summary["records"].GetUint64() == 4);
  REQUIRE(summary["errors"].Size() == 1);
  const auto& error = summary["errors"][0];
  CHECK(std::string(error["file"].GetString()) == file);
  CHECK(error["line"].GetUint64() == 3);
  CHECK(std::string(error["field"].GetString()) == "from.value");
  CHECK(std::string(error["reason"].GetString()) == "rejected");
  REQUIRE(summary["files"].Size() == 1);
  CHECK(summary["files"][0]["error"].IsNull());
  CHECK(summary["files"][0]["duplicates"].GetUint64() == 3);
}

TEST_CASE("omni ingest accepts standard input and exits 0 when every line is stored", "[cli]") {
  std::string db = temp_db();
  std::string file = write_temp(
      "stdin", message_line("s1", "+4915112345678", "2026-11-20T10:00:00Z", "a") + "\r\n" +
                   message_line("s2", "+4915112345678", "2026-11-20T10:05:00Z", "b"));
  Run run = run_omni({"--db", db, "--json", "ingest", "-"}, file);
  INFO(run.err);
  CHECK(run.status == 0);
  rapidjson::Document summary = parse_json(run.out);
  CHECK(summary["stored"].GetUint64() == 2);
  CHECK(summary["new_customers"].GetUint64() == 1);
  CHECK(summary["new_conversations"].GetUint64() == 1);
  CHECK(std::string(summary["files"][0]["file"].GetString()) == "<stdin>");
  CHECK(run.err.empty());
}

TEST_CASE("omni ingest keeps going after an unreadable file", "[cli]") {
  std::string db = temp_db();
  std::string good =
      write_temp("good", message_line("g1", "+4915112345678", "2026-11-20T10:00:00Z", "a") + "\n");
  Run run = run_omni({"--db", db, "--json", "ingest", "/nonexistent/in.jsonl", good});
  CHECK(run.status == 1);
  CHECK_THAT(run.err, Catch::Contains("/nonexistent/in.jsonl"));
  rapidjson::Document summary = parse_json(run.out);
  CHECK(summary["stored"].GetUint64() == 1);
  REQUIRE(summary["files"].Size() == 2);
  CHECK(summary["files"][0]["error"].IsString());
  CHECK(summary["files"][1]["error"].IsNull());
}

TEST_CASE("omni timeline pages through a customer's history", "[cli]") {
  std::string db = temp_db();
  std::string lines;
  for (int i = 0; i < 5; ++i) {
    lines += message_line("t" + std::to_string(i), "+4915112345678",
                          "2026-11-20T10:0" + std::to_string(i) + ":00Z",
                          "message \\\"" + std::to_string(i) + "\\\"\\nsecond line") +
             "\n";
  }
  REQUIRE(run_omni({"--db", db, "ingest", write_temp("tl", lines)}).status == 0);

  Run customers = run_omni({"--db", db, "--tenant", "acme", "--json", "customers"});
  rapidjson::Document list = parse_json(customers.out);
  REQUIRE(list["customers"].Size() == 1);
  std::string customer = std::to_string(list["customers"][0]["id"].GetInt64());

  // The newest page first, then older pages by cursor.
  std::vector<std::string> bodies;
  std::vector<std::string> args = {"--db",     db,       "--tenant", "acme", "--json",
                                   "timeline", customer, "--limit",  "2"};
  for (int page = 0; page < 5; ++page) {
    Run run = run_omni(args);
    INFO(run.err);
    REQUIRE(run.status == 0);
    rapidjson::Document doc = parse_json(run.out);
    const auto& tps = doc["touchpoints"];
    std::vector<std::string> page_bodies;
    for (const auto& tp : tps.GetArray()) {
      CHECK(std::string(tp["kind"].GetString()) == "message_in");
      CHECK(std::string(tp["channel_kind"].GetString()) == "sms");
      CHECK(std::string(tp["author"].GetString()) == "customer");
      page_bodies.push_back(tp["body"].GetString());
    }
    bodies.insert(bodies.begin(), page_bodies.begin(), page_bodies.end());
    if (doc["older"].IsNull()) break;
    args = {"--db",
            db,
            "--tenant",
            "acme",
            "--json",
            "timeline",
            customer,
            "--limit",
            "2",
            "--before",
            doc["older"].GetString()};
  }
  REQUIRE(bodies.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(bodies[i] == "message \"" + std::to_string(i) + "\"\nsecond line");
  }

  // Text output: one line per touchpoint, line breaks flattened, and the cursor to go on.
  Run text = run_omni({"--db", db, "--tenant", "acme", "timeline", customer, "--limit", "2"});
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out, Catch::Contains("message \"4\" second line"));
  CHECK_THAT(text.out, Catch::Contains("older: --before "));
  CHECK_THAT(text.out, Catch::Contains("2026-11-20 10:04:00"));
}

TEST_CASE("omni conversation shows the case with its channels", "[cli]") {
  std::string db = temp_db();
  std::string lines =
      message_line("c1", "+4915112345678", "2026-11-20T10:00:00Z", "Where is my order?") + "\n" +
      R"({"tenant":"acme","channel":"whatsapp","channel_name":"wa-main","from":{"kind":"phone",)"
      R"("value":"+49 151 12345678"},"provider_message_id":"w1","body":"Also on WhatsApp",)"
      R"("occurred_at":"2026-11-20T10:10:00Z"})"
      "\n";
  REQUIRE(run_omni({"--db", db, "ingest", write_temp("conv", lines)}).status == 0);

  Run customers = run_omni({"--db", db, "--tenant", "acme", "--json", "customers"});
  rapidjson::Document list = parse_json(customers.out);
  REQUIRE(list["customers"].Size() == 1);  // one customer across both channels
  const auto& active = list["customers"][0]["active_conversations"];
  REQUIRE(active.Size() == 1);  // one conversation across both channels
  std::string conversation = std::to_string(active[0]["id"].GetInt64());

  Run json = run_omni({"--db", db, "--tenant", "acme", "--json", "conversation", conversation});
  INFO(json.err);
  REQUIRE(json.status == 0);
  rapidjson::Document doc = parse_json(json.out);
  CHECK(std::string(doc["conversation"]["status"].GetString()) == "open");
  CHECK(doc["assignee"].IsNull());
  CHECK(doc["handoffs"].Size() == 0);
  REQUIRE(doc["touchpoints"].Size() == 2);
  CHECK(std::string(doc["touchpoints"][1]["channel_kind"].GetString()) == "whatsapp");
  REQUIRE(doc["channels"].Size() == 2);
  CHECK(std::string(doc["channels"][0]["name"].GetString()) == "sms");
  CHECK(std::string(doc["channels"][1]["name"].GetString()) == "wa-main");
  CHECK(doc["more_history"].IsFalse());

  Run text = run_omni({"--db", db, "--tenant", "acme", "conversation", conversation});
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out, Catch::Contains("open"));
  CHECK_THAT(text.out, Catch::Contains("whatsapp \"wa-main\" (current)"));
  CHECK_THAT(text.out, Catch::Contains("Also on WhatsApp"));

  Run missing = run_omni({"--db", db, "--tenant", "acme", "conversation", "999"});
  CHECK(missing.status == 1);
  CHECK_FALSE(missing.err.empty());
}

TEST_CASE("omni agents shows load against capacity, conversation shows routing and SLA", "[cli]") {
  std::string db = temp_db();
  omni::ConversationId conversation;
  {
    omni::SqliteStoreOptions options;
    options.path = db;
    auto store = omni::open_sqlite_store(options);
    REQUIRE(store.ok());
    auto opened = omni::Engine::open(std::move(*store));
    REQUIRE(opened.ok());
    omni::Engine& engine = **opened;
    auto tenant = engine.create_tenant("acme", "DE");
    REQUIRE(tenant.ok());
    auto channel = engine.create_channel({tenant->id, omni::ChannelKind::kEmail, "support", {}});
    REQUIRE(channel.ok());
    omni::SlaPolicy sla;
    sla.first_response = std::chrono::hours(4);
    REQUIRE(engine.set_sla_policy(tenant->id, sla).ok());
    omni::AgentSpec alice;
    alice.tenant = tenant->id;
    alice.name = "alice";
    alice.skills = {"billing"};
    alice.capacity = {1, 2};
    REQUIRE(engine.create_agent(alice).ok());
    omni::InboundMessage m;
    m.tenant = tenant->id;
    m.channel = channel->id;
    m.from = {omni::IdentityKind::kEmail, "", "anna@example.com"};
    m.provider_message_id = "m1";
    m.body = "Where is my refund?";
    auto received = engine.receive(m);
    REQUIRE(received.ok());
    conversation = received->conversation;
  }
  Run agents = run_omni({"--db", db, "--tenant", "acme", "--json", "agents"});
  INFO(agents.err);
  REQUIRE(agents.status == 0);
  rapidjson::Document doc = parse_json(agents.out);
  REQUIRE(doc["agents"].Size() == 1);
  CHECK(doc["agents"][0]["capacity"]["async"].GetInt() == 2);
  CHECK(doc["agents"][0]["load"]["async"].GetInt() == 1);  // the offer holds a slot
  Run text = run_omni({"--db", db, "--tenant", "acme", "agents"});
  CHECK_THAT(text.out, Catch::Contains("1/2"));
  CHECK_THAT(text.out, Catch::Contains("billing"));

  const std::string id = std::to_string(conversation.value());
  Run view = run_omni({"--db", db, "--tenant", "acme", "--json", "conversation", id});
  REQUIRE(view.status == 0);
  rapidjson::Document c = parse_json(view.out);
  CHECK(std::string(c["conversation"]["sla"]["policy"].GetString()) == "*/*");
  CHECK(c["conversation"]["sla"]["first_response"]["due_at"].IsString());
  CHECK(c["conversation"]["offered_to"].IsInt64());
  Run human = run_omni({"--db", db, "--tenant", "acme", "conversation", id});
  CHECK_THAT(human.out, Catch::Contains("Offered to"));
  CHECK_THAT(human.out, Catch::Contains("first_response due"));
  CHECK(run_omni({"--db", db, "--tenant", "acme", "agents", "extra"}).status == 2);
}

TEST_CASE("omni exit statuses for usage and database errors", "[cli]") {
  Run version = run_omni({"--version"});
  CHECK(version.status == 0);
  CHECK_THAT(version.out, Catch::Contains(OMNI_VERSION_STRING));
  Run help = run_omni({"--help"});
  CHECK(help.status == 0);
  CHECK_THAT(help.out, Catch::Contains("ingest FILE"));

  std::string db = temp_db();
  CHECK(run_omni({}).status == 2);
  CHECK(run_omni({"--db", db}).status == 2);
  CHECK(run_omni({"--db", db, "frobnicate"}).status == 2);
  CHECK(run_omni({"--db", db, "--bogus", "customers"}).status == 2);
  CHECK(run_omni({"--db", db, "ingest"}).status == 2);
  CHECK(run_omni({"customers"}).status == 2);  // no --db
  CHECK(run_omni({"--db", db, "timeline"}).status == 2);
  CHECK(run_omni({"--db", db, "timeline", "x"}).status == 2);
  CHECK(run_omni({"--db", db, "timeline", "1", "--before", "yesterday"}).status == 2);
  CHECK(run_omni({"--db", db, "timeline", "1", "--before", "1:1", "--after", "1:1"}).status == 2);
  CHECK(run_omni({"--db", db, "customers", "--limit", "5"}).status == 2);
  CHECK(run_omni({"--db", db, "conversation", "0"}).status == 2);
  Run usage = run_omni({"--db", db, "frobnicate"});
  CHECK_THAT(usage.err, Catch::Contains("frobnicate"));

  // A read command on a missing file does not create it.
  CHECK(run_omni({"--db", db, "customers"}).status == 3);
  CHECK_FALSE(std::filesystem::exists(db));
  // A file that is not an omni database.
  std::string junk = write_temp("junk", std::string(4096, 'j'));
  CHECK(run_omni({"--db", junk, "customers"}).status == 3);
  CHECK(run_omni({"--db", junk, "ingest", "-"}).status == 3);

  // A database without the tenant asked for.
  std::string file =
      write_temp("one", message_line("o1", "+4915112345678", "2026-11-20T10:00:00Z", "a") + "\n");
  REQUIRE(run_omni({"--db", db, "ingest", file}).status == 0);
  Run no_tenant = run_omni({"--db", db, "customers"});  // records said "acme", not "default"
  CHECK(no_tenant.status == 1);
  CHECK_THAT(no_tenant.err, Catch::Contains("default"));
  CHECK(run_omni({"--db", db, "--tenant", "acme", "timeline", "1", "--limit", "100000"}).status ==
        2);
  Run no_customer = run_omni({"--db", db, "--tenant", "acme", "timeline", "999"});
  CHECK(no_customer.status == 1);
  CHECK_THAT(no_customer.err, Catch::Contains("no customer 999 in tenant \"acme\""));

  // --durability belongs to ingest and takes full or normal.
  CHECK(run_omni({"--db", db, "--durability", "fast", "ingest", file}).status == 2);
  CHECK(run_omni({"--db", db, "--durability", "normal", "customers"}).status == 2);
  Run normal = run_omni({"--db", db, "--durability", "normal", "ingest", file});
  CHECK(normal.status == 0);
  CHECK_THAT(normal.out, Catch::Contains("0 stored, 1 duplicate, 0 rejected"));
}

TEST_CASE("omni normalize prints the form identities are matched by", "[cli]") {
  Run de = run_omni({"normalize", "phone", "0151 1234 5678", "--region", "DE"});
  CHECK(de.status == 0);
  CHECK(de.out == "+4915112345678\n");
  Run wa_id = run_omni({"normalize", "phone", "4915112345678"});
  CHECK(wa_id.out == "+4915112345678\n");
  Run email = run_omni({"--json", "normalize", "email", "Jörg Müller <Joerg@MÜNCHEN.de>"});
  CHECK(email.status == 0);
  rapidjson::Document doc = parse_json(email.out);
  CHECK(std::string(doc["normalized"].GetString()) == "joerg@xn--mnchen-3ya.de");
  CHECK(std::string(doc["display_name"].GetString()) == "Jörg Müller");
  Run national_without_region = run_omni({"normalize", "phone", "0151 1234 5678"});
  CHECK(national_without_region.status == 1);
  CHECK(national_without_region.err.find("not a valid phone number") != std::string::npos);
  CHECK(run_omni({"normalize", "fax", "123"}).status == 2);
  CHECK(run_omni({"normalize", "phone", "1", "--scope", "x"}).status == 2);
}

TEST_CASE("omni link attaches an identity so later messages land on the customer", "[cli]") {
  std::string db = temp_db();
  std::string first = write_temp(
      "first", message_line("m1", "+4915112345678", "2026-11-20T10:00:00Z", "Hello") + "\n");
  REQUIRE(run_omni({"--db", db, "ingest", first}).status == 0);

  Run linked = run_omni({"--db", db, "--tenant", "acme", "link", "1", "email",
                         "Anna <ANNA@example.com>", "--verified"});
  INFO(linked.out << linked.err);
  CHECK(linked.status == 0);
  CHECK(linked.out.find("email:anna@example.com") != std::string::npos);

  std::string by_mail = write_temp(
      "mail",
      R"({"tenant":"acme","channel":"email","from":{"kind":"email","value":"anna@example.com"},)"
      R"("provider_message_id":"<1@example.com>","subject":"Order","body":"Any news?"})"
      "\n");
  REQUIRE(run_omni({"--db", db, "ingest", by_mail}).status == 0);
  Run customers = run_omni({"--db", db, "--tenant", "acme", "--json", "customers"});
  rapidjson::Document doc = parse_json(customers.out);
  REQUIRE(doc["customers"].Size() == 1);  // the email landed on the same customer

  // Taking another customer's identity is refused; a bad value is refused.
  std::string other = write_temp(
      "other", message_line("m2", "+4915199999999", "2026-11-20T11:00:00Z", "Hi") + "\n");
  REQUIRE(run_omni({"--db", db, "ingest", other}).status == 0);
  CHECK(
      run_omni({"--db", db, "--tenant", "acme", "link", "2", "email", "anna@example.com"}).status ==
      1);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "link", "2", "phone", "12"}).status == 1);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "link", "2", "pager", "12"}).status == 2);
}

namespace {

// Two customers named Anna Schmidt (written two ways) with different e-mail addresses, and a
// third customer known only by a phone number. Returns the database's path.
std::string two_annas_db() {
  std::string db = temp_db();
  std::string lines =
      R"({"tenant":"acme","channel":"email","from":{"kind":"email",)"
      R"("value":"Anna Schmidt <anna@example.com>"},"provider_message_id":"<1@example.com>",)"
      R"("subject":"Order A-17","body":"Where is my order?","occurred_at":"2026-11-20T10:00:00Z"})"
      "\n"
      R"({"tenant":"acme","channel":"email","from":{"kind":"email","value":"anna.s@web.de"},)"
      R"("display_name":"SCHMIDT, Anna","provider_message_id":"<2@web.de>","subject":"A-17",)"
      R"("body":"Any news?","occurred_at":"2026-11-20T11:00:00Z"})"
      "\n" +
      message_line("s1", "+4917000000001", "2026-11-20T12:00:00Z", "Hello") + "\n";
  Run run = run_omni({"--db", db, "ingest", write_temp("annas", lines)});
  INFO(run.out << run.err);
  REQUIRE(run.status == 0);
  CHECK_THAT(run.out, Catch::Contains("3 new customers"));
  return db;
}

// customers --json of tenant acme.
rapidjson::Document customers_json(const std::string& db) {
  Run run = run_omni({"--db", db, "--tenant", "acme", "--json", "customers"});
  INFO(run.err);
  REQUIRE(run.status == 0);
  return parse_json(run.out);
}

std::set<std::string> identity_values(const rapidjson::Value& customer) {
  std::set<std::string> values;
  for (const auto& identity : customer["identities"].GetArray())
    values.insert(identity["value"].GetString());
  return values;
}

}  // namespace

TEST_CASE("omni duplicates lists likely duplicates and merges nothing", "[cli]") {
  std::string db = two_annas_db();

  Run text = run_omni({"--db", db, "--tenant", "acme", "duplicates"});
  INFO(text.out << text.err);
  CHECK(text.status == 0);
  CHECK(text.out ==
        "customer 1 (Anna Schmidt) ~ customer 2 (SCHMIDT, Anna)  score 0.35\n"
        "  same_name: SCHMIDT, Anna (0.35)\n"
        "1 suggestion; nothing was merged (use omni merge)\n");
  CHECK(text.err.empty());

  Run json = run_omni({"--db", db, "--tenant", "acme", "--json", "duplicates"});
  CHECK(json.status == 0);
  rapidjson::Document doc = parse_json(json.out);
  CHECK(std::string(doc["tenant"].GetString()) == "acme");
  CHECK(doc["count"].GetUint64() == 1);
  REQUIRE(doc["suggestions"].Size() == 1);
  const auto& s = doc["suggestions"][0];
  CHECK(s["customer"]["id"].GetInt64() == 1);
  CHECK(std::string(s["customer"]["display_name"].GetString()) == "Anna Schmidt");
  CHECK(s["candidate"]["id"].GetInt64() == 2);
  CHECK(std::string(s["candidate"]["display_name"].GetString()) == "SCHMIDT, Anna");
  CHECK(s["score"].GetDouble() == Approx(0.35));
  REQUIRE(s["evidence"].Size() == 1);
  CHECK(std::string(s["evidence"][0]["reason"].GetString()) == "same_name");
  CHECK(std::string(s["evidence"][0]["detail"].GetString()) == "SCHMIDT, Anna");
  CHECK(s["evidence"][0]["weight"].GetDouble() == Approx(0.35));

  // Two customers stay two.
  rapidjson::Document list = customers_json(db);
  REQUIRE(list["customers"].Size() == 3);
  for (const auto& c : list["customers"].GetArray())
    CHECK(c["merged_into"].IsNull());

  // No suggestions is no error.
  std::string single = temp_db();
  std::string one =
      write_temp("one", message_line("o1", "+4915112345678", "2026-11-20T10:00:00Z", "a") + "\n");
  REQUIRE(run_omni({"--db", single, "ingest", one}).status == 0);
  Run none = run_omni({"--db", single, "--tenant", "acme", "duplicates"});
  CHECK(none.status == 0);
  CHECK(none.out == "0 suggestions in tenant \"acme\"; nothing was merged\n");
  Run none_json = run_omni({"--db", single, "--tenant", "acme", "--json", "duplicates"});
  CHECK(none_json.status == 0);
  rapidjson::Document empty = parse_json(none_json.out);
  CHECK(empty["suggestions"].Size() == 0);
  CHECK(empty["count"].GetUint64() == 0);
}

TEST_CASE("omni merge makes one customer of two and unmerge restores both", "[cli]") {
  std::string db = two_annas_db();

  Run merged = run_omni({"--db", db, "--tenant", "acme", "merge", "1", "2"});
  INFO(merged.out << merged.err);
  REQUIRE(merged.status == 0);
  CHECK_THAT(merged.out,
             Catch::StartsWith("merged customer 2 (SCHMIDT, Anna) into customer 1 (Anna Schmidt): "
                               "merge "));
  CHECK_THAT(
      merged.out,
      Catch::Contains(
          "\nconflict display_name: kept 'Anna Schmidt', customer 2 keeps 'SCHMIDT, Anna'\n"));

  // The merged customer lists nothing of the survivor's; the survivor has both identities.
  rapidjson::Document list = customers_json(db);
  REQUIRE(list["customers"].Size() == 3);
  const auto& survivor = list["customers"][0];
  const auto& redirect = list["customers"][1];
  CHECK(survivor["id"].GetInt64() == 1);
  CHECK(survivor["merged_into"].IsNull());
  CHECK(identity_values(survivor) == std::set<std::string>{"anna@example.com", "anna.s@web.de"});
  CHECK(survivor["active_conversations"].Size() == 2);
  CHECK(redirect["id"].GetInt64() == 2);
  CHECK(redirect["merged_into"].GetInt64() == 1);
  CHECK(std::string(redirect["display_name"].GetString()) == "SCHMIDT, Anna");
  CHECK(redirect["identities"].Size() == 0);
  CHECK(redirect["active_conversations"].Size() == 0);
  Run text = run_omni({"--db", db, "--tenant", "acme", "customers"});
  CHECK_THAT(text.out, Catch::Contains("(merged into 1)\n"));
  CHECK_THAT(text.out, Catch::Contains("email:anna@example.com, email:anna.s@web.de"));

  // Merged customers are no longer suggested; merging again is refused.
  Run after = run_omni({"--db", db, "--tenant", "acme", "duplicates"});
  CHECK(after.status == 0);
  CHECK_THAT(after.out, Catch::StartsWith("0 suggestions"));
  Run again = run_omni({"--db", db, "--tenant", "acme", "merge", "1", "2"});
  CHECK(again.status == 1);
  CHECK_THAT(again.err, Catch::Contains("already merged"));
  CHECK(run_omni({"--db", db, "--tenant", "acme", "merge", "2", "3"}).status == 1);

  // A message to the merged customer's address lands on the survivor; the unmerge takes it back.
  std::string later = write_temp(
      "later",
      R"({"tenant":"acme","channel":"email","from":{"kind":"email","value":"anna.s@web.de"},)"
      R"("provider_message_id":"<3@web.de>","body":"Written after the merge",)"
      R"("occurred_at":"2026-11-21T09:00:00Z"})"
      "\n");
  REQUIRE(run_omni({"--db", db, "ingest", later}).status == 0);
  CHECK(customers_json(db)["customers"].Size() == 3);

  Run unmerged = run_omni({"--db", db, "--tenant", "acme", "--json", "unmerge", "2"});
  INFO(unmerged.out << unmerged.err);
  REQUIRE(unmerged.status == 0);
  rapidjson::Document result = parse_json(unmerged.out);
  const auto& merge = result["merge"];
  CHECK(merge["survivor"].GetInt64() == 1);
  CHECK(merge["merged"].GetInt64() == 2);
  CHECK(std::string(merge["actor"].GetString()) == "cli");
  CHECK(std::string(merge["reason"].GetString()) == "merged with the omni command-line tool");
  CHECK(merge["unmerged_at"].IsString());
  CHECK(std::string(merge["unmerged_by"].GetString()) == "cli");
  CHECK(result["moved_touchpoints"].GetUint64() == 1);
  CHECK(result["split_conversations"].IsArray());

  rapidjson::Document restored = customers_json(db);
  CHECK(restored["customers"][0]["merged_into"].IsNull());
  CHECK(identity_values(restored["customers"][0]) == std::set<std::string>{"anna@example.com"});
  CHECK(restored["customers"][1]["merged_into"].IsNull());
  CHECK(identity_values(restored["customers"][1]) == std::set<std::string>{"anna.s@web.de"});
  CHECK(restored["customers"][1]["active_conversations"].Size() == 1);
  Run timeline = run_omni({"--db", db, "--tenant", "acme", "timeline", "2"});
  CHECK_THAT(timeline.out, Catch::Contains("Written after the merge"));
  Run suggested = run_omni({"--db", db, "--tenant", "acme", "duplicates"});
  CHECK_THAT(suggested.out, Catch::Contains("1 suggestion;"));

  // JSON of a merge, with a reason; text of an unmerge.
  Run json = run_omni(
      {"--db", db, "--tenant", "acme", "--json", "merge", "1", "2", "--reason", "same person"});
  INFO(json.err);
  REQUIRE(json.status == 0);
  rapidjson::Document record = parse_json(json.out);
  CHECK(record["id"].GetInt64() > merge["id"].GetInt64());
  CHECK(record["survivor"].GetInt64() == 1);
  CHECK(record["merged"].GetInt64() == 2);
  CHECK(std::string(record["actor"].GetString()) == "cli");
  CHECK(std::string(record["reason"].GetString()) == "same person");
  CHECK(record["merged_at"].IsString());
  REQUIRE(record["conflicts"].Size() == 1);
  CHECK(std::string(record["conflicts"][0]["key"].GetString()) == "display_name");
  CHECK(std::string(record["conflicts"][0]["survivor_value"].GetString()) == "Anna Schmidt");
  CHECK(std::string(record["conflicts"][0]["merged_value"].GetString()) == "SCHMIDT, Anna");
  CHECK(record["copied_attributes"].Size() == 0);
  CHECK_FALSE(record.HasMember("unmerged_at"));
  Run undo = run_omni({"--db", db, "--tenant", "acme", "unmerge", "2"});
  INFO(undo.err);
  CHECK(undo.status == 0);
  CHECK(undo.out == "unmerged customer 2 from customer 1 (merge " +
                        std::to_string(record["id"].GetInt64()) +
                        "); 0 touchpoints moved, 0 new conversations\n");
}

TEST_CASE("omni merge and unmerge refuse bad arguments and unknown customers", "[cli]") {
  // Usage errors come before the database is opened.
  std::string missing = temp_db();
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"merge"},
           {"merge", "1"},
           {"merge", "1", "2", "3"},
           {"merge", "x", "2"},
           {"merge", "1", "0"},
           {"merge", "1", "2", "--reason", ""},
           {"unmerge"},
           {"unmerge", "1", "2"},
           {"unmerge", "abc"},
           {"duplicates", "1"},
           {"--reason", "x", "customers"},
           {"--reason", "x", "unmerge", "2"},
           {"--reason", "x", "duplicates"},
           {"merge", "1", "2", "--reason"},
       }) {
    std::vector<std::string> full = {"--db", missing, "--tenant", "acme"};
    full.insert(full.end(), args.begin(), args.end());
    Run run = run_omni(full);
    INFO(run.err);
    CHECK(run.status == 2);
    CHECK_THAT(run.err, Catch::Contains("Try 'omni --help'"));
  }
  Run help = run_omni({"--help"});
  CHECK_THAT(help.out, Catch::Contains("merge SURVIVOR_ID MERGED_ID") &&
                           Catch::Contains("unmerge CUSTOMER_ID") &&
                           Catch::Contains("duplicates") && Catch::Contains("--reason TEXT"));
  Run reason = run_omni({"--db", missing, "--reason", "x", "customers"});
  CHECK_THAT(reason.err, Catch::Contains("--reason belongs to merge"));
  CHECK(run_omni({"--db", missing, "merge", "1", "2"}).status == 3);
  CHECK_FALSE(std::filesystem::exists(missing));

  // Unknown customers: exit 1, the message names the customer, nothing changes.
  std::string db = two_annas_db();
  Run before = run_omni({"--db", db, "--tenant", "acme", "--json", "customers"});
  Run unknown = run_omni({"--db", db, "--tenant", "acme", "merge", "1", "99"});
  CHECK(unknown.status == 1);
  CHECK(unknown.out.empty());
  CHECK(unknown.err == "omni: no customer 99 in tenant \"acme\"\n");
  Run unknown_survivor = run_omni({"--db", db, "--tenant", "acme", "merge", "99", "1"});
  CHECK(unknown_survivor.status == 1);
  CHECK_THAT(unknown_survivor.err, Catch::Contains("no customer 99"));
  Run unknown_unmerge = run_omni({"--db", db, "--tenant", "acme", "unmerge", "99"});
  CHECK(unknown_unmerge.status == 1);
  CHECK_THAT(unknown_unmerge.err, Catch::Contains("no customer 99"));
  Run not_merged = run_omni({"--db", db, "--tenant", "acme", "unmerge", "2"});
  CHECK(not_merged.status == 1);
  CHECK_THAT(not_merged.err, Catch::Contains("not merged"));
  CHECK(run_omni({"--db", db, "--tenant", "acme", "merge", "1", "1"}).status == 1);
  CHECK(run_omni({"--db", db, "--tenant", "nobody", "merge", "1", "2"}).status == 1);
  Run after = run_omni({"--db", db, "--tenant", "acme", "--json", "customers"});
  CHECK(after.out == before.out);
}

// --------------------------------------------------------------------------- provider payloads

namespace {

std::string data_file(const std::string& name) {
  return std::string(OMNI_TEST_DATA_DIR) + "/" + name;
}

// Every identity value of the tenant's customers, by customer id.
std::map<std::int64_t, std::set<std::string>> identities_by_customer(const std::string& db,
                                                                     const std::string& tenant) {
  Run run = run_omni({"--db", db, "--tenant", tenant, "--json", "customers"});
  INFO(run.err);
  REQUIRE(run.status == 0);
  rapidjson::Document doc = parse_json(run.out);
  std::map<std::int64_t, std::set<std::string>> out;
  for (const auto& c : doc["customers"].GetArray()) {
    auto& values = out[c["id"].GetInt64()];
    for (const auto& identity : c["identities"].GetArray()) {
      values.insert(std::string(identity["kind"].GetString()) + ":" +
                    identity["value"].GetString());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("omni ingest --format stores every provider's payloads in one database", "[cli]") {
  std::string db = temp_db();
  struct Case {
    std::vector<std::string> args;
    std::string file;
    std::string identity;  // kind:value of the sender
  };
  const std::vector<Case> cases = {
      {{"--format", "email"}, "email/plain_utf8.eml", "email:"},
      {{"--format", "twilio"}, "twilio/sms_inbound.form", "phone:+4915112345678"},
      {{"--format", "whatsapp"}, "whatsapp/text_message.json", "phone:+4915112345678"},
      {{"--format", "messenger"}, "messenger/text_message.json", "messenger_psid:6865405516836712"},
      {{"--format", "instagram"}, "instagram/text_message.json", "instagram_id:1254459154682919"},
      {{"--format", "telegram", "--bot", "acme_support_bot"},
       "telegram/text_message.json",
       "telegram_id:123456789"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"--db", db, "--tenant", "acme", "ingest"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.push_back(data_file(c.file));
    Run run = run_omni(args);
    INFO(c.file << "\n" << run.out << run.err);
    CHECK(run.status == 0);
    CHECK_THAT(run.out, Catch::StartsWith("1 stored, 0 duplicates, 0 rejected (1 record from 1 "
                                          "payload;"));
    CHECK(run.err.empty());
  }

  // The Twilio SMS and the WhatsApp Cloud message came from one number: one customer.
  auto customers = identities_by_customer(db, "acme");
  CHECK(customers.size() == 5);
  int with_phone = 0;
  for (const auto& [id, values] : customers) {
    if (values.count("phone:+4915112345678") != 0) ++with_phone;
  }
  CHECK(with_phone == 1);
  std::set<std::string> all;
  for (const auto& [id, values] : customers)
    all.insert(values.begin(), values.end());
  for (const Case& c : cases) {
    bool found = false;
    for (const std::string& value : all)
      found = found || value.rfind(c.identity, 0) == 0;
    CHECK(found);
  }
  // Each format made its channel, named after the format, with the format's kind: the one
  // customer's conversation runs on the "twilio" (sms) and "whatsapp" channels.
  Run listed = run_omni({"--db", db, "--tenant", "acme", "--json", "customers"});
  rapidjson::Document doc = parse_json(listed.out);
  for (const auto& c : doc["customers"].GetArray()) {
    bool phone = false;
    for (const auto& identity : c["identities"].GetArray())
      phone = phone || std::string(identity["value"].GetString()) == "+4915112345678";
    if (!phone) continue;
    REQUIRE(c["active_conversations"].Size() == 1);
    auto id = std::to_string(c["active_conversations"][0]["id"].GetInt64());
    Run shown = run_omni({"--db", db, "--tenant", "acme", "--json", "conversation", id});
    REQUIRE(shown.status == 0);
    rapidjson::Document view = parse_json(shown.out);
    std::set<std::string> channels;
    for (const auto& channel : view["channels"].GetArray()) {
      channels.insert(std::string(channel["kind"].GetString()) + " " + channel["name"].GetString());
    }
    CHECK(channels == std::set<std::string>{"sms twilio", "whatsapp whatsapp"});
  }
}

TEST_CASE("omni ingest --format stores a payload once and names duplicates", "[cli]") {
  std::string db = temp_db();
  std::string file = data_file("whatsapp/batch.json");
  Run first = run_omni({"--db", db, "--json", "ingest", "--format", "whatsapp", file});
  INFO(first.out << first.err);
  CHECK(first.status == 0);
  rapidjson::Document one = parse_json(first.out);
  CHECK(one["payloads"].GetUint64() == 1);
  CHECK(one["stored"].GetUint64() >= 1);
  CHECK(one["duplicates"].GetUint64() == 0);

  Run second = run_omni({"--db", db, "--json", "ingest", "--format", "whatsapp", file});
  CHECK(second.status == 0);
  rapidjson::Document two = parse_json(second.out);
  CHECK(two["stored"].GetUint64() == 0);
  CHECK(two["duplicates"].GetUint64() == one["stored"].GetUint64());
  CHECK(two["new_customers"].GetUint64() == 0);

  // Standard input, text summary.
  Run again = run_omni({"--db", db, "ingest", "--format", "whatsapp", "-"}, file);
  CHECK(again.status == 0);
  CHECK_THAT(again.out,
             Catch::StartsWith("0 stored, " + std::to_string(two["duplicates"].GetUint64()) +
                               " duplicate"));
}

TEST_CASE("omni ingest --format rejects a malformed payload and creates nothing", "[cli]") {
  std::string db = temp_db();
  std::string bad = data_file("whatsapp/missing_from.json");
  Run run = run_omni({"--db", db, "ingest", "--format", "whatsapp", bad});
  INFO(run.out << run.err);
  CHECK(run.status == 1);
  CHECK_THAT(run.out, Catch::StartsWith("0 stored, 0 duplicates, 1 rejected"));
  CHECK_THAT(run.err,
             Catch::Contains(bad + ": field \"entry[0].changes[0].value.messages[0].from\""));
  // Not even the tenant was created.
  Run customers = run_omni({"--db", db, "customers"});
  CHECK(customers.status == 1);
  CHECK_THAT(customers.err, Catch::Contains("no tenant named \"default\""));

  // A bad escape in a form body, next to a good payload: the good one is stored.
  std::string escape = data_file("twilio/bad_escape.form");
  Run mixed = run_omni({"--db", db, "--json", "ingest", "--format", "twilio", escape,
                        data_file("twilio/sms_inbound.form")});
  CHECK(mixed.status == 1);
  rapidjson::Document summary = parse_json(mixed.out);
  CHECK(summary["stored"].GetUint64() == 1);
  CHECK(summary["rejected"].GetUint64() == 1);
  REQUIRE(summary["errors"].Size() == 1);
  const auto& error = summary["errors"][0];
  CHECK(std::string(error["file"].GetString()) == escape);
  CHECK(error["line"].IsNull());
  CHECK(error["provider_message_id"].IsNull());
  CHECK(std::string(error["reason"].GetString()) == "invalid_payload");
  CHECK_FALSE(std::string(error["field"].GetString()).empty());
  CHECK(identities_by_customer(db, "default").size() == 1);

  // An e-mail without a Message-ID cannot be deduplicated: refused.
  std::string no_id = data_file("email/no_message_id.eml");
  Run mail = run_omni({"--db", db, "ingest", "--format", "email", no_id});
  CHECK(mail.status == 1);
  CHECK_THAT(mail.err, Catch::Contains(no_id + ": field \"Message-ID\""));

  // An Instagram payload given as Messenger would land on the wrong channel.
  Run wrong = run_omni(
      {"--db", db, "ingest", "--format", "messenger", data_file("instagram/text_message.json")});
  CHECK(wrong.status == 1);
  CHECK_THAT(wrong.err, Catch::Contains("--format instagram"));
  CHECK(identities_by_customer(db, "default").size() == 1);

  // A channel name taken by another kind is a conflict.
  Run conflict = run_omni({"--db", db, "ingest", "--format", "whatsapp", "--channel", "twilio",
                           data_file("whatsapp/text_message.json")});
  CHECK(conflict.status == 1);
  CHECK_THAT(conflict.err, Catch::Contains("field \"channel\""));
  CHECK_THAT(conflict.err, Catch::Contains("--channel-kind"));

  // Usage errors.
  CHECK(run_omni({"--db", db, "ingest", "--format", "fax", bad}).status == 2);
  CHECK(run_omni({"--db", db, "ingest", "--channel", "x", bad}).status == 2);  // jsonl
  CHECK(run_omni({"--db", db, "ingest", "--format", "email", "--bot", "b", bad}).status == 2);
  CHECK(
      run_omni({"--db", db, "ingest", "--format", "twilio", "--channel-kind", "fax", bad}).status ==
      2);
  CHECK(run_omni({"--db", db, "--format", "email", "customers"}).status == 2);
  CHECK(run_omni({"--db", db, "--channel", "x", "customers"}).status == 2);
}

TEST_CASE("omni ingest --format applies status callbacks to sent messages", "[cli]") {
  std::string db = temp_db();
  REQUIRE(
      run_omni({"--db", db, "ingest", "--format", "twilio", data_file("twilio/sms_inbound.form")})
          .status == 0);

  // A report on a message this database never sent is unmatched, not an error; a tenant or
  // channel that does not exist is not created for it.
  Run unmatched = run_omni({"--db", db, "--json", "ingest", "--format", "twilio",
                            data_file("twilio/status_delivered.form")});
  INFO(unmatched.out << unmatched.err);
  CHECK(unmatched.status == 0);
  rapidjson::Document summary = parse_json(unmatched.out);
  CHECK(summary["records"].GetUint64() == 1);
  CHECK(summary["statuses_unmatched"].GetUint64() == 1);
  CHECK(summary["statuses_applied"].GetUint64() == 0);
  CHECK(summary["stored"].GetUint64() == 0);
  Run elsewhere = run_omni({"--db", db, "--tenant", "other", "ingest", "--format", "whatsapp",
                            data_file("whatsapp/statuses.json")});
  CHECK(elsewhere.status == 0);
  CHECK_THAT(elsewhere.out, Catch::Contains("0 status reports applied, 3 unmatched"));
  CHECK(run_omni({"--db", db, "--tenant", "other", "customers"}).status == 1);

  // Send a reply through the library, as a host would; the recording adapter names it "rec-1".
  std::string conversation;
  {
    SqliteStoreOptions options;
    options.path = db;
    auto store = open_sqlite_store(options);
    REQUIRE(store.ok());
    auto engine = Engine::open(std::move(*store));
    REQUIRE(engine.ok());
    auto tenant = (*engine)->find_tenant("default");
    REQUIRE(tenant.ok());
    auto channels = (*engine)->list_channels(tenant->id);
    REQUIRE(channels.ok());
    REQUIRE(channels->size() == 1);
    CHECK(channels->front().name == "twilio");
    CHECK(channels->front().kind == ChannelKind::kSms);
    RecordingAdapter adapter;
    REQUIRE((*engine)->register_adapter(tenant->id, channels->front().id, &adapter).ok());
    OutboundMessage reply;
    reply.tenant = tenant->id;
    reply.conversation = ConversationId(1);
    reply.body = "It is on its way.";
    auto sent = (*engine)->send(reply);
    INFO(sent.status().to_string());
    REQUIRE(sent.ok());
    REQUIRE(sent->provider_message_id == "rec-1");
    REQUIRE(sent->conversation.has_value());
    conversation = std::to_string(sent->conversation->value());
  }
  std::string callback =
      write_temp("status",
                 "SmsSid=rec-1&SmsStatus=delivered&MessageStatus=delivered&To=%2B4915112345678"
                 "&MessageSid=rec-1&From=%2B4930609859000&ApiVersion=2010-04-01");
  Run applied = run_omni({"--db", db, "ingest", "--format", "twilio", callback});
  CHECK(applied.status == 0);
  CHECK_THAT(applied.out, Catch::Contains("1 status report applied, 0 unmatched"));
  Run shown = run_omni({"--db", db, "--json", "conversation", conversation});
  REQUIRE(shown.status == 0);
  rapidjson::Document view = parse_json(shown.out);
  std::string delivery;
  for (const auto& tp : view["touchpoints"].GetArray()) {
    if (std::string(tp["provider_message_id"].GetString()) == "rec-1") {
      delivery = tp["delivery"].GetString();
    }
  }
  CHECK(delivery == "delivered");

  // A report naming an inbound message is refused.
  std::string inbound = write_temp(
      "inbound-status", "MessageStatus=delivered&MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f");
  Run refused = run_omni({"--db", db, "ingest", "--format", "twilio", inbound});
  CHECK(refused.status == 1);
  CHECK_THAT(refused.err,
             Catch::Contains(inbound + ": status report SM1f0e8ae6ade43cb3c0ce4525424e404f:"));
}

TEST_CASE("omni fit measures a text for a channel", "[cli]") {
  // GSM-7: the euro sign is an extension character and counts 2 septets.
  Run euro = run_omni({"fit", "--channel", "sms", "10 €"});
  CHECK(euro.status == 0);
  CHECK(euro.out == "sms: gsm7, 5 septets, 1 segment (max 10), fits\n   1      5  \"10 €\"\n");
  // German umlauts and ß are in the GSM alphabet.
  Run umlauts = run_omni({"--json", "fit", "--channel", "sms", "Grüße aus Köln"});
  CHECK(umlauts.status == 0);
  rapidjson::Document gsm = parse_json(umlauts.out);
  CHECK(std::string(gsm["encoding"].GetString()) == "gsm7");
  CHECK(gsm["length"].GetUint64() == 14);
  // An emoji switches to UCS-2 and is named.
  Run emoji = run_omni({"fit", "--channel", "sms", "Danke 😀"});
  CHECK(emoji.status == 0);
  CHECK_THAT(emoji.out, Catch::StartsWith("sms: ucs2, 8 UTF-16 units, 1 segment"));
  CHECK_THAT(emoji.out, Catch::Contains("non-GSM characters (they force UCS-2): 😀"));

  // JSON field names; 160 septets + € need two segments.
  Run json = run_omni({"--json", "fit", "--channel", "sms", std::string(160, 'a') + "€"});
  CHECK(json.status == 0);
  rapidjson::Document doc = parse_json(json.out);
  CHECK(std::string(doc["channel"].GetString()) == "sms");
  CHECK(std::string(doc["encoding"].GetString()) == "gsm7");
  CHECK(doc["length"].GetUint64() == 162);
  CHECK(doc["segments"].GetUint64() == 2);
  REQUIRE(doc["parts"].Size() == 2);
  CHECK(doc["parts"][0]["text"].GetStringLength() == 153);
  CHECK(doc["parts"][0]["length"].GetUint64() == 153);
  CHECK(doc["parts"][1]["length"].GetUint64() == 9);
  CHECK(doc["max_length"].GetUint64() == 160);
  CHECK(doc["max_part_length"].GetUint64() == 153);
  CHECK(doc["max_parts"].GetUint64() == 10);
  CHECK(doc["fits"].GetBool());
  CHECK(doc["non_gsm_characters"].IsArray());
  CHECK(doc["non_gsm_characters"].Size() == 0);

  // Too long for an X direct message: the report, the reason on stderr, exit 1.
  Run x = run_omni({"fit", "--channel", "x_dm", std::string(300, 'a')});
  CHECK(x.status == 1);
  CHECK_THAT(x.out, Catch::StartsWith("x_dm: utf8, 300 weighted characters, 2 parts (max 1), "
                                      "does not fit"));
  CHECK_THAT(x.err, Catch::Contains("the channel allows 1"));
  Run x_json = run_omni({"--json", "fit", "--channel", "x_dm", std::string(300, 'a')});
  CHECK(x_json.status == 1);
  CHECK_FALSE(parse_json(x_json.out)["fits"].GetBool());

  // Invalid UTF-8 is an error that says so; usage errors are 2.
  Run invalid = run_omni({"fit", "--channel", "sms", "\xff"});
  CHECK(invalid.status == 1);
  CHECK_THAT(invalid.err, Catch::Contains("UTF-8"));
  CHECK(run_omni({"fit", "--channel", "fax", "x"}).status == 2);
  CHECK(run_omni({"fit", "--channel", "sms"}).status == 2);
  CHECK(run_omni({"fit", "x"}).status == 2);
  CHECK(run_omni({"fit", "--channel", "sms", "a", "b"}).status == 2);
  CHECK(run_omni({"fit", "--channel", "sms", "--format", "email", "x"}).status == 2);
}

// --------------------------------------------------------------------------- customer context

TEST_CASE("parse_template_json reads a template and names the JSON path of errors", "[cli]") {
  auto t = parse_template_json(
      R"({"key":"k","description":"d","default_language":"de","variants":[)"
      R"({"kind":"sms","language":"de","body":"Hallo"},)"
      R"({"kind":null,"language":"en","format":"html","subject":"S","body":"<p>Hi</p>"}]})");
  REQUIRE(t.ok());
  CHECK(t->key == "k");
  CHECK(t->default_language == "de");
  REQUIRE(t->variants.size() == 2);
  CHECK(t->variants[0].channel_kind == ChannelKind::kSms);
  CHECK(t->variants[0].format == TextFormat::kPlain);
  CHECK_FALSE(t->variants[1].channel_kind.has_value());
  CHECK(t->variants[1].format == TextFormat::kHtml);
  CHECK(t->variants[1].subject == "S");

  struct Case {
    std::string json;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"variants":[]})", "key"},
           {R"({"key":"k"})", "variants"},
           {R"({"key":"k","variants":{}})", "variants"},
           {R"({"key":1,"variants":[]})", "key"},
           {R"({"key":"k","colour":"red","variants":[]})", "colour"},
           {R"({"key":"k","variants":[{"language":"en"}]})", "variants[0].body"},
           {R"({"key":"k","variants":[{"language":"en","body":"x"},{"body":"x"}]})",
            "variants[1].language"},
           {R"({"key":"k","variants":[{"kind":"fax","language":"en","body":"x"}]})",
            "variants[0].kind"},
           {R"({"key":"k","variants":[{"format":"rtf","language":"en","body":"x"}]})",
            "variants[0].format"},
           {R"({"key":"k","variants":[{"language":"en","body":"x","bdy":"y"}]})",
            "variants[0].bdy"},
           {R"({"key":"k","variants":[7]})", "variants[0]"},
           {R"([])", "$"},
       }) {
    auto parsed = parse_template_json(c.json);
    INFO(c.json);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().is(StatusCode::kInvalidArgument));
    CHECK(parsed.status().field() == c.field);
  }
  auto syntax = parse_template_json(R"({"key":)");
  REQUIRE_FALSE(syntax.ok());
  CHECK_THAT(syntax.status().message(), Catch::Contains("invalid JSON at byte 7"));
}

TEST_CASE("quiet hours are read and written as HH:MM-HH:MM", "[cli]") {
  auto hours = parse_quiet_hours("22:00-08:30");
  REQUIRE(hours.has_value());
  CHECK(hours->start == std::chrono::minutes(22 * 60));
  CHECK(hours->end == std::chrono::minutes(8 * 60 + 30));
  CHECK(format_quiet_hours(*hours) == "22:00-08:30");
  for (const char* bad : {"", "22:00", "22-08", "24:00-08:00", "22:60-08:00", "2:00-08:00",
                          "22:00-08:00x", "aa:bb-cc:dd"}) {
    INFO(bad);
    CHECK_FALSE(parse_quiet_hours(bad).has_value());
  }
}

namespace {

// An SMS from Anna Schmidt's number; the first one opens customer 1 and conversation 1.
std::string anna_sms(const std::string& id, const std::string& time, const std::string& body) {
  return R"({"tenant":"acme","channel":"sms","from":{"kind":"phone","value":"+4915112345678"},)"
         R"("display_name":"Anna Schmidt","provider_message_id":")" +
         id + R"(","body":")" + body + R"(","occurred_at":")" + time + R"("})" + "\n";
}

std::string anna_db() {
  std::string db = temp_db();
  std::string file =
      write_temp("anna", anna_sms("m1", "2026-11-20T10:00:00Z", "Where is my order?"));
  Run ingested = run_omni({"--db", db, "ingest", file});
  INFO(ingested.err);
  REQUIRE(ingested.status == 0);
  return db;
}

// The first consent in a preferences or consent document.
const rapidjson::Value& first_consent(const rapidjson::Document& doc) {
  REQUIRE(doc["consents"].IsArray());
  REQUIRE(doc["consents"].Size() >= 1);
  return doc["consents"][0];
}

}  // namespace

TEST_CASE("omni preferences and consent show and change what the customer agreed to", "[cli]") {
  std::string db = anna_db();

  // The first message implied consent for SMS on that number.
  Run shown = run_omni({"--db", db, "--tenant", "acme", "--json", "preferences", "1"});
  INFO(shown.out << shown.err);
  REQUIRE(shown.status == 0);
  {
    rapidjson::Document doc = parse_json(shown.out);
    CHECK(doc["customer"]["id"].GetInt64() == 1);
    CHECK(doc["preferences"]["channels"].Size() == 0);
    CHECK(doc["preferences"]["quiet_hours"].IsNull());
    const rapidjson::Value& c = first_consent(doc);
    CHECK(std::string(c["channel_kind"].GetString()) == "sms");
    CHECK(std::string(c["state"].GetString()) == "granted");
    CHECK(std::string(c["source"].GetString()) == "inbound_message");
    CHECK(std::string(c["address"].GetString()) == "+4915112345678");
  }
  Run customers = run_omni({"--db", db, "--tenant", "acme", "--json", "customers"});
  REQUIRE(customers.status == 0);
  {
    rapidjson::Document doc = parse_json(customers.out);
    const rapidjson::Value& c = doc["customers"][0];
    CHECK(c["preferences"]["channels"].IsArray());
    REQUIRE(c["consents"].Size() == 1);
    CHECK(std::string(c["consents"][0]["state"].GetString()) == "granted");
  }
  Run text = run_omni({"--db", db, "--tenant", "acme", "preferences", "1"});
  CHECK(text.status == 0);
  CHECK_THAT(text.out, Catch::Contains("Customer 1 (Anna Schmidt)"));
  CHECK_THAT(text.out, Catch::Contains("granted"));
  CHECK_THAT(text.out, Catch::Contains("inbound_message"));

  // "STOP" withdraws it; the timeline shows the change.
  std::string stop = write_temp("stop", anna_sms("m2", "2026-11-20T10:05:00Z", "STOP"));
  REQUIRE(run_omni({"--db", db, "ingest", stop}).status == 0);
  Run withdrawn = run_omni({"--db", db, "--tenant", "acme", "--json", "preferences", "1"});
  REQUIRE(withdrawn.status == 0);
  {
    rapidjson::Document doc = parse_json(withdrawn.out);
    const rapidjson::Value& c = first_consent(doc);
    CHECK(std::string(c["state"].GetString()) == "withdrawn");
    CHECK(std::string(c["source"].GetString()) == "keyword");
    CHECK(std::string(c["evidence"].GetString()) == "STOP");
  }
  Run timeline = run_omni({"--db", db, "--tenant", "acme", "timeline", "1"});
  REQUIRE(timeline.status == 0);
  CHECK_THAT(timeline.out, Catch::Contains("preference_change  customer"));
  CHECK_THAT(timeline.out, Catch::Contains("sms consent withdrawn for +4915112345678"));
  Run timeline_json = run_omni({"--db", db, "--tenant", "acme", "--json", "timeline", "1"});
  REQUIRE(timeline_json.status == 0);
  {
    rapidjson::Document doc = parse_json(timeline_json.out);
    bool found = false;
    for (const auto& tp : doc["touchpoints"].GetArray()) {
      if (std::string(tp["kind"].GetString()) != "preference_change") continue;
      found = true;
      CHECK(std::string(tp["metadata"]["consent_state"].GetString()) == "withdrawn");
      CHECK(tp["notification"].IsNull());
    }
    CHECK(found);
  }

  // The host records a new opt-in.
  Run granted = run_omni({"--db", db, "--tenant", "acme", "--json", "consent", "1", "sms",
                          "granted", "--source", "web_form", "--evidence", "form-17", "--address",
                          "phone:+49 151 12345678"});
  INFO(granted.err);
  REQUIRE(granted.status == 0);
  {
    rapidjson::Document doc = parse_json(granted.out);
    const rapidjson::Value& c = first_consent(doc);
    CHECK(std::string(c["state"].GetString()) == "granted");
    CHECK(std::string(c["source"].GetString()) == "web_form");
    CHECK(std::string(c["evidence"].GetString()) == "form-17");
  }
  Run granted_text = run_omni(
      {"--db", db, "--tenant", "acme", "consent", "1", "sms", "granted", "--source", "agent"});
  CHECK(granted_text.status == 0);
  CHECK_THAT(granted_text.out, Catch::Contains("granted"));

  // Preferences: only what is given changes.
  Run set = run_omni({"--db", db, "--tenant", "acme", "preferences", "1", "--set-channels",
                      "whatsapp,email", "--language", "de", "--time-zone", "Europe/Berlin",
                      "--quiet-hours", "22:00-08:00"});
  INFO(set.err);
  REQUIRE(set.status == 0);
  CHECK_THAT(set.out, Catch::Contains("whatsapp, email"));
  CHECK_THAT(set.out, Catch::Contains("22:00-08:00"));
  Run language =
      run_omni({"--db", db, "--tenant", "acme", "--json", "preferences", "1", "--language", "en"});
  REQUIRE(language.status == 0);
  {
    rapidjson::Document doc = parse_json(language.out);
    const rapidjson::Value& p = doc["preferences"];
    CHECK(std::string(p["language"].GetString()) == "en");
    CHECK(std::string(p["time_zone"].GetString()) == "Europe/Berlin");
    REQUIRE(p["channels"].Size() == 2);
    CHECK(std::string(p["channels"][0].GetString()) == "whatsapp");
    CHECK(std::string(p["quiet_hours"]["start"].GetString()) == "22:00");
    CHECK(std::string(p["quiet_hours"]["end"].GetString()) == "08:00");
  }
  Run timeline_after = run_omni({"--db", db, "--tenant", "acme", "timeline", "1"});
  CHECK_THAT(timeline_after.out, Catch::Contains("contact preferences: channels whatsapp, email"));
  Run cleared = run_omni({"--db", db, "--tenant", "acme", "--json", "preferences", "1", "--clear"});
  REQUIRE(cleared.status == 0);
  CHECK(parse_json(cleared.out)["preferences"]["channels"].Size() == 0);

  // Engine errors name the field; usage errors exit 2.
  Run mars =
      run_omni({"--db", db, "--tenant", "acme", "preferences", "1", "--time-zone", "Mars/Base"});
  CHECK(mars.status == 1);
  CHECK_THAT(mars.err, Catch::Contains("invalid_argument: preferences.time_zone"));
  Run nobody = run_omni({"--db", db, "--tenant", "acme", "preferences", "99"});
  CHECK(nobody.status == 1);
  CHECK_THAT(nobody.err, Catch::Contains("no customer 99"));
  Run stranger = run_omni({"--db", db, "--tenant", "acme", "consent", "1", "sms", "granted",
                           "--source", "web_form", "--address", "phone:+4915199999999"});
  CHECK(stranger.status == 1);
  CHECK_THAT(stranger.err, Catch::Contains("not_found"));
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"preferences"},
           {"preferences", "x"},
           {"preferences", "1", "--quiet-hours", "22-8"},
           {"preferences", "1", "--set-channels", "whatsapp,fax"},
           {"customers", "--language", "de"},
           {"consent", "1", "sms", "granted"},
           {"consent", "1", "sms", "maybe", "--source", "web_form"},
           {"consent", "1", "fax", "granted", "--source", "web_form"},
           {"consent", "1", "sms", "granted", "--source", "web_form", "--address", "+49151"},
           {"consent", "1", "sms", "granted", "--source", "web_form", "--scope", "x"},
       }) {
    std::vector<std::string> full{"--db", db, "--tenant", "acme"};
    full.insert(full.end(), args.begin(), args.end());
    Run run = run_omni(full);
    INFO(args.front() << " " << run.err);
    CHECK(run.status == 2);
  }
}

TEST_CASE("omni template and render fill a reply for the conversation's channel", "[cli]") {
  std::string db = anna_db();
  std::string file = write_temp(
      "template", R"({"key":"order_delayed","description":"Order is late","default_language":"en",)"
                  R"("variants":[{"kind":"sms","language":"en",)"
                  R"("body":"Hi {{customer.first_name}}, your order {{order|}} is late. Sorry!"},)"
                  R"({"kind":"email","language":"en","format":"html","subject":"Your order",)"
                  R"("body":"<p>Dear {{customer.name}},</p><p>your order is late.</p>"}]})");
  Run put = run_omni({"--db", db, "--tenant", "acme", "template", "put", file});
  INFO(put.out << put.err);
  REQUIRE(put.status == 0);
  CHECK_THAT(put.out, Catch::StartsWith("stored template order_delayed\n"));

  Run list = run_omni({"--db", db, "--tenant", "acme", "--json", "template", "list"});
  REQUIRE(list.status == 0);
  {
    rapidjson::Document doc = parse_json(list.out);
    CHECK(doc["count"].GetUint64() == 1);
    const rapidjson::Value& t = doc["templates"][0];
    CHECK(std::string(t["key"].GetString()) == "order_delayed");
    REQUIRE(t["variants"].Size() == 2);
    CHECK(std::string(t["variants"][1]["kind"].GetString()) == "email");
    CHECK(std::string(t["variants"][1]["format"].GetString()) == "html");
  }
  Run show = run_omni({"--db", db, "--tenant", "acme", "template", "show", "order_delayed"});
  CHECK(show.status == 0);
  CHECK_THAT(show.out, Catch::Contains("[email/en] html"));

  // On the SMS conversation: the SMS variant, one GSM-7 segment, the customer's name.
  Run rendered = run_omni({"--db", db, "--tenant", "acme", "render", "order_delayed", "1"});
  INFO(rendered.out << rendered.err);
  REQUIRE(rendered.status == 0);
  CHECK_THAT(rendered.out, Catch::Contains("variant sms/en"));
  CHECK_THAT(rendered.out, Catch::Contains("body: Hi Anna, your order  is late. Sorry!"));
  CHECK_THAT(rendered.out, Catch::Contains("gsm7"));
  CHECK_THAT(rendered.out, Catch::Contains("1 segment (max 10), fits"));
  Run json = run_omni({"--db", db, "--tenant", "acme", "--json", "render", "order_delayed", "1",
                       "--value", "order=A-17", "--language", "de", "--channel", "sms"});
  INFO(json.err);
  REQUIRE(json.status == 0);
  {
    rapidjson::Document doc = parse_json(json.out);
    CHECK(std::string(doc["variant"]["kind"].GetString()) == "sms");
    CHECK(std::string(doc["variant"]["language"].GetString()) == "en");
    CHECK(std::string(doc["body"].GetString()) == "Hi Anna, your order A-17 is late. Sorry!");
    CHECK(doc["reasons"].Size() >= 1);  // no "de" variant: the default language
    CHECK(std::string(doc["fit"]["rule"].GetString()) == "sms_segments");
    CHECK(std::string(doc["fit"]["encoding"].GetString()) == "gsm7");
    CHECK(doc["fit"]["segments"].GetUint64() == 1);
    CHECK(doc["fit"]["fits"].GetBool());
    CHECK(doc["fit"]["non_gsm_characters"].Size() == 0);
    CHECK(std::string(doc["channel"]["kind"].GetString()) == "sms");
  }

  // Invalid files: the JSON path of the error, exit 1, nothing stored.
  Run bad_format = run_omni(
      {"--db", db, "--tenant", "acme", "template", "put",
       write_temp("bad",
                  R"({"key":"x","variants":[{"language":"en","format":"rtf","body":"b"}]})")});
  CHECK(bad_format.status == 1);
  CHECK_THAT(bad_format.err, Catch::Contains("variants[0].format"));
  Run bad_body = run_omni(
      {"--db", db, "--tenant", "acme", "template", "put",
       write_temp("bad", R"({"key":"x","variants":[{"language":"en","body":"Hi {{name"}]})")});
  CHECK(bad_body.status == 1);
  CHECK_THAT(bad_body.err, Catch::Contains("invalid_argument: variants[0].body"));
  Run bad_json =
      run_omni({"--db", db, "--tenant", "acme", "template", "put", write_temp("bad", "{")});
  CHECK(bad_json.status == 1);
  CHECK_THAT(bad_json.err, Catch::Contains("invalid JSON at byte"));
  CHECK(run_omni({"--db", db, "--tenant", "acme", "template", "show", "x"}).status == 1);

  // Missing values and unknown names are the engine's errors; usage errors exit 2.
  Run unknown = run_omni({"--db", db, "--tenant", "acme", "render", "nope", "1"});
  CHECK(unknown.status == 1);
  CHECK_THAT(unknown.err, Catch::Contains("not_found"));
  CHECK(
      run_omni({"--db", db, "--tenant", "acme", "render", "order_delayed", "1", "--channel", "fax"})
          .status == 1);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "render", "order_delayed"}).status == 2);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "render", "order_delayed", "1", "--value", "x"})
            .status == 2);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "template"}).status == 2);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "template", "put"}).status == 2);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "customers", "--value", "a=b"}).status == 2);

  Run removed = run_omni({"--db", db, "--tenant", "acme", "template", "remove", "order_delayed"});
  CHECK(removed.status == 0);
  CHECK(removed.out == "removed template order_delayed\n");
  CHECK(run_omni({"--db", db, "--tenant", "acme", "template", "remove", "order_delayed"}).status ==
        1);
}

TEST_CASE("omni recommend ranks the channels with reasons", "[cli]") {
  std::string db = anna_db();
  Run high =
      run_omni({"--db", db, "--tenant", "acme", "--json", "recommend", "1", "--urgency", "high"});
  INFO(high.out << high.err);
  REQUIRE(high.status == 0);
  {
    rapidjson::Document doc = parse_json(high.out);
    CHECK(std::string(doc["urgency"].GetString()) == "high");
    REQUIRE(doc["options"].Size() >= 1);
    for (const auto& o : doc["options"].GetArray()) {
      CHECK(o["reasons"].Size() >= 1);
      CHECK(o.HasMember("eligible"));
      CHECK(o.HasMember("deliver_at"));
    }
    CHECK(doc["options"][0]["eligible"].GetBool());
    CHECK(doc["chosen"].GetInt64() == doc["options"][0]["channel"].GetInt64());
  }
  Run text = run_omni({"--db", db, "--tenant", "acme", "recommend", "1", "--conversation", "1"});
  CHECK(text.status == 0);
  CHECK_THAT(text.out, Catch::Contains("1.  sms (channel 1)  eligible"));
  // Sensitive: SMS is not a secure channel.
  Run sensitive =
      run_omni({"--db", db, "--tenant", "acme", "--json", "recommend", "1", "--sensitive"});
  REQUIRE(sensitive.status == 0);
  CHECK(parse_json(sensitive.out)["chosen"].IsNull());
  CHECK(run_omni({"--db", db, "--tenant", "acme", "recommend", "1", "--urgency", "asap"}).status ==
        2);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "recommend"}).status == 2);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "customers", "--sensitive"}).status == 2);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "recommend", "42"}).status == 1);
}

TEST_CASE("omni kb search finds articles with umlauts folded", "[cli][kb]") {
  std::string db = anna_db();
  {
    SqliteStoreOptions options;
    options.path = db;
    auto store = open_sqlite_store(options);
    REQUIRE(store.ok());
    auto engine = Engine::open(std::move(*store));
    REQUIRE(engine.ok());
    auto tenant = (*engine)->find_tenant("acme");
    REQUIRE(tenant.ok());
    Article a;
    a.tenant = tenant->id;
    a.slug = "rueckerstattung";
    a.language = "de";
    a.title = "Rückerstattung beantragen";
    a.body = "So erhalten Sie Ihre Rückerstattung.";
    REQUIRE((*engine)->put_article(a).ok());
  }
  Run text = run_omni({"--db", db, "--tenant", "acme", "kb", "search", "ruckerstattung"});
  INFO(text.out << text.err);
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out, Catch::StartsWith("1 article in tenant \"acme\"\n"
                                         "rueckerstattung (de, article 1): Rückerstattung "
                                         "beantragen\n"));
  Run json = run_omni({"--db", db, "--tenant", "acme", "--json", "kb", "search", "RÜCKERSTATTUNG",
                       "--language", "de", "--limit", "5"});
  REQUIRE(json.status == 0);
  rapidjson::Document doc = parse_json(json.out);
  REQUIRE(doc["hits"].Size() == 1);
  CHECK(std::string(doc["hits"][0]["slug"].GetString()) == "rueckerstattung");
  CHECK(doc["hits"][0]["score"].GetDouble() > 0);
  Run none = run_omni({"--db", db, "--tenant", "acme", "kb", "search", "\"*", "NEAR("});
  CHECK(none.status == 0);
  CHECK(none.out == "0 articles in tenant \"acme\"\n");
  CHECK(run_omni({"--db", db, "--tenant", "acme", "kb", "search"}).status == 2);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "kb", "find", "x"}).status == 2);
  CHECK(run_omni({"--db", db, "--tenant", "acme", "kb", "search", "x", "--limit", "101"}).status ==
        2);
}

TEST_CASE("omni timeline shows why a notification went out", "[cli]") {
  std::string db = anna_db();
  {
    SqliteStoreOptions options;
    options.path = db;
    auto store = open_sqlite_store(options);
    REQUIRE(store.ok());
    auto engine = Engine::open(std::move(*store));
    REQUIRE(engine.ok());
    auto tenant = (*engine)->find_tenant("acme");
    REQUIRE(tenant.ok());
    auto channels = (*engine)->list_channels(tenant->id);
    REQUIRE(channels.ok());
    RecordingAdapter adapter;
    REQUIRE((*engine)->register_adapter(tenant->id, channels->front().id, &adapter).ok());
    NotificationRequest request;
    request.tenant = tenant->id;
    request.customer = CustomerId(1);
    request.conversation = ConversationId(1);
    request.purpose = "reply_waiting";
    request.urgency = Urgency::kHigh;
    request.body = "A reply is waiting for you.";
    auto sent = (*engine)->notify(request);
    INFO(sent.status().to_string());
    REQUIRE(sent.ok());
  }
  Run text = run_omni({"--db", db, "--tenant", "acme", "timeline", "1"});
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out, Catch::Contains("notification reply_waiting, urgency high"));
  CHECK_THAT(text.out, Catch::Contains("reasons: "));
  Run conversation = run_omni({"--db", db, "--tenant", "acme", "conversation", "1"});
  CHECK_THAT(conversation.out, Catch::Contains("notification reply_waiting, urgency high"));
  Run json = run_omni({"--db", db, "--tenant", "acme", "--json", "timeline", "1"});
  rapidjson::Document doc = parse_json(json.out);
  bool found = false;
  for (const auto& tp : doc["touchpoints"].GetArray()) {
    if (!tp["notification"].IsObject()) continue;
    found = true;
    CHECK(std::string(tp["notification"]["purpose"].GetString()) == "reply_waiting");
    CHECK(std::string(tp["notification"]["urgency"].GetString()) == "high");
    CHECK(tp["notification"]["reasons"].IsString());
    CHECK(tp["notification"]["deferred_until"].IsNull());
  }
  CHECK(found);
}

}  // namespace omni::cli

#endif  // OMNI_HAVE_CLI
