// SQLite-specific tests of SqliteStore: the file format (schema version, application id, WAL),
// refusing foreign or newer files, persistence across reopening, transactions and locking, the
// timeline's query plan, and decoding damaged rows. The generic Store behaviour is covered by the
// conformance suite.
#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "omni/engine.h"
#include "omni/sqlite_store.h"
#include "omni/sys/store.h"
#include "test_util.h"

namespace {

using omni::StatusCode;
using omni::TransactionMode;

// A unique path under the test run's temp directory; the database and its -wal/-shm files are
// removed at the end of the scope.
class TempDatabasePath {
 public:
  TempDatabasePath() : path_(omni::testing::TempDir::unique("sqlite-test").string() + ".db") {
    remove_all();
  }
  TempDatabasePath(const TempDatabasePath&) = delete;
  TempDatabasePath& operator=(const TempDatabasePath&) = delete;
  ~TempDatabasePath() { remove_all(); }

  std::string string() const { return path_.string(); }

 private:
  void remove_all() {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(path_.string() + suffix, ignored);
    }
  }

  std::filesystem::path path_;
};

// A plain sqlite3 connection on the same file, to look at what the store wrote.
class RawDatabase {
 public:
  explicit RawDatabase(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) == SQLITE_OK);
  }
  RawDatabase(const RawDatabase&) = delete;
  RawDatabase& operator=(const RawDatabase&) = delete;
  ~RawDatabase() { sqlite3_close_v2(db_); }

  void exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error != nullptr ? error : ""));
    sqlite3_free(error);
    REQUIRE(rc == SQLITE_OK);
  }

  // Every row of the result, each column rendered as text and joined with '|'.
  std::vector<std::string> rows(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    INFO(sql);
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(statement); ++i) {
        if (i > 0) row += '|';
        const unsigned char* text = sqlite3_column_text(statement, i);
        if (text != nullptr) row += reinterpret_cast<const char*>(text);
      }
      out.push_back(row);
    }
    sqlite3_finalize(statement);
    REQUIRE(rc == SQLITE_DONE);
    return out;
  }

  std::string text(const std::string& sql) {
    auto result = rows(sql);
    REQUIRE(result.size() == 1);
    return result.front();
  }

  std::int64_t integer(const std::string& sql) { return std::stoll(text(sql)); }

 private:
  sqlite3* db_ = nullptr;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::unique_ptr<omni::Store> open_store(
    const std::string& path, std::chrono::milliseconds busy_timeout = std::chrono::seconds(5),
    std::size_t max_pooled = 8) {
  omni::SqliteStoreOptions options;
  options.path = path;
  options.busy_timeout = busy_timeout;
  options.max_pooled_connections = max_pooled;
  auto store = omni::open_sqlite_store(options);
  INFO(store.status().to_string());
  REQUIRE(store.ok());
  return std::move(store).value();
}

std::unique_ptr<omni::StoreTransaction> begin(omni::Store& store, TransactionMode mode) {
  auto transaction = store.begin(mode);
  INFO(transaction.status().to_string());
  REQUIRE(transaction.ok());
  return std::move(transaction).value();
}

void require_ok(const omni::Status& status) {
  INFO(status.to_string());
  REQUIRE(status.ok());
}

template <typename T>
T require_value(omni::Result<T> result) {
  INFO(result.status().to_string());
  REQUIRE(result.ok());
  return std::move(result).value();
}

omni::Timestamp at(std::int64_t seconds) {
  return omni::from_unix_micros(1'700'000'000'000'000 + seconds * 1'000'000);
}

// A tenant with one customer and one channel, committed.
struct Fixture {
  omni::TenantId tenant;
  omni::CustomerId customer;
  omni::ChannelId channel;
};

Fixture make_fixture(omni::Store& store, const std::string& tenant_name = "acme") {
  auto tx = begin(store, TransactionMode::kWrite);
  Fixture f;
  omni::Tenant tenant;
  tenant.name = tenant_name;
  tenant.created_at = at(0);
  f.tenant = require_value(tx->insert_tenant(tenant));
  omni::Customer customer;
  customer.tenant = f.tenant;
  customer.display_name = "Anna";
  customer.attributes = {{"language", "de"}, {"crm_account", "A-17"}};
  customer.created_at = customer.updated_at = at(1);
  f.customer = require_value(tx->insert_customer(customer));
  omni::Channel channel;
  channel.tenant = f.tenant;
  channel.kind = omni::ChannelKind::kWhatsApp;
  channel.name = "whatsapp-main";
  channel.profile = omni::ChannelProfile{};
  channel.profile.length_rule = omni::LengthRule::kUnicodeCharacters;
  channel.profile.max_length = 4096;
  channel.created_at = at(2);
  f.channel = require_value(tx->insert_channel(channel));
  require_ok(tx->commit());
  return f;
}

omni::Touchpoint make_touchpoint(const Fixture& f, std::int64_t second, std::string body) {
  omni::Touchpoint t;
  t.tenant = f.tenant;
  t.customer = f.customer;
  t.channel = f.channel;
  t.channel_kind = omni::ChannelKind::kWhatsApp;
  t.kind = omni::TouchpointKind::kMessageIn;
  t.body = std::move(body);
  t.occurred_at = at(second);
  t.recorded_at = at(second);
  return t;
}

std::vector<std::string> bodies(const std::vector<omni::Touchpoint>& touchpoints) {
  std::vector<std::string> out;
  for (const auto& t : touchpoints)
    out.push_back(t.body);
  return out;
}

// Takes a file of the current schema back to the shape schema version 2 gave it (the same
// tables and data, without what version 3 added), as a file written by omni 0.2 would be.
// offered_to and preferred_agent are composite foreign keys, which DROP COLUMN refuses, so the
// conversations table is rebuilt as version 2 had it.
// Takes a file back to the shape schema version 7 gave it: no agent activity log.
void downgrade_to_version_7(RawDatabase& raw) {
  raw.exec("DROP TABLE agent_activity; PRAGMA user_version = 7;");
}

// Takes a file back to the shape schema version 6 gave it: no metrics indexes.
void downgrade_to_version_6(RawDatabase& raw) {
  downgrade_to_version_7(raw);
  raw.exec(
      "DROP INDEX touchpoints_by_time; DROP INDEX conversations_by_opened; "
      "PRAGMA user_version = 6;");
}

// Takes a file back to the shape schema version 5 gave it: no CSAT answers.
void downgrade_to_version_5(RawDatabase& raw) {
  downgrade_to_version_6(raw);
  raw.exec("DROP TABLE csat_responses; PRAGMA user_version = 5;");
}

// Takes a file back to the shape schema version 4 gave it: no knowledge base (articles, their
// full-text index and its triggers).
void downgrade_to_version_4(RawDatabase& raw) {
  downgrade_to_version_5(raw);
  raw.exec(
      "DROP TRIGGER articles_fts_insert; DROP TRIGGER articles_fts_delete; "
      "DROP TRIGGER articles_fts_update; DROP TABLE articles_fts; DROP TABLE articles; "
      "DELETE FROM sqlite_sequence WHERE name = 'articles'; PRAGMA user_version = 4;");
}

// Takes a file back to the shape schema version 3 gave it: no contact preferences, consents or
// the channel traits requires_consent and cost_per_unit.
void downgrade_to_version_3(RawDatabase& raw) {
  downgrade_to_version_4(raw);
  raw.exec(
      "DROP TABLE consents; ALTER TABLE customers DROP COLUMN preferences; "
      "ALTER TABLE channels DROP COLUMN requires_consent; "
      "ALTER TABLE channels DROP COLUMN cost_per_unit; "
      "ALTER TABLE tenant_profiles DROP COLUMN requires_consent; "
      "ALTER TABLE tenant_profiles DROP COLUMN cost_per_unit; "
      "PRAGMA user_version = 3;");
}

void downgrade_to_version_2(RawDatabase& raw) {
  downgrade_to_version_3(raw);
  raw.exec(
      "DROP TRIGGER conversations_load_insert; DROP TRIGGER conversations_load_update; "
      "DROP TRIGGER conversations_load_delete; DROP TABLE settings; "
      "DROP INDEX agents_least_loaded_sync; DROP INDEX agents_least_loaded_async; "
      "DROP INDEX agents_round_robin_sync; DROP INDEX agents_round_robin_async; "
      "ALTER TABLE agents DROP COLUMN capacity_sync; "
      "ALTER TABLE agents DROP COLUMN capacity_async; "
      "ALTER TABLE agents DROP COLUMN load_sync; ALTER TABLE agents DROP COLUMN load_async; "
      "ALTER TABLE agents DROP COLUMN last_routed_at; "
      "CREATE TABLE conversations_v2 (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL "
      "REFERENCES tenants (id), customer_id INTEGER NOT NULL, status TEXT NOT NULL, priority "
      "TEXT NOT NULL, assignee_id INTEGER, team TEXT NOT NULL, subject TEXT NOT NULL, "
      "origin_channel_id INTEGER, current_channel_id INTEGER, opened_at INTEGER NOT NULL, "
      "updated_at INTEGER NOT NULL, first_response_at INTEGER, last_inbound_at INTEGER, "
      "last_outbound_at INTEGER, resolved_at INTEGER, closed_at INTEGER, reopen_count INTEGER "
      "NOT NULL, joinable INTEGER NOT NULL DEFAULT 1, merged_into INTEGER, "
      "UNIQUE (tenant_id, id), "
      "FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id), "
      "FOREIGN KEY (tenant_id, assignee_id) REFERENCES agents (tenant_id, id), "
      "FOREIGN KEY (tenant_id, origin_channel_id) REFERENCES channels (tenant_id, id), "
      "FOREIGN KEY (tenant_id, current_channel_id) REFERENCES channels (tenant_id, id)); "
      "INSERT INTO conversations_v2 SELECT id, tenant_id, customer_id, status, priority, "
      "assignee_id, team, subject, origin_channel_id, current_channel_id, opened_at, updated_at, "
      "first_response_at, last_inbound_at, last_outbound_at, resolved_at, closed_at, "
      "reopen_count, joinable, merged_into FROM conversations; "
      "DROP TABLE conversations; ALTER TABLE conversations_v2 RENAME TO conversations; "
      "CREATE UNIQUE INDEX conversations_one_joinable ON conversations (tenant_id, customer_id) "
      "WHERE status IN ('open', 'pending') AND joinable = 1; "
      "CREATE INDEX conversations_active ON conversations (tenant_id, customer_id, opened_at, id) "
      "WHERE status IN ('open', 'pending'); "
      "CREATE INDEX conversations_by_customer ON conversations (tenant_id, customer_id, "
      "opened_at, id); "
      "CREATE INDEX conversations_last_resolved ON conversations (tenant_id, customer_id, "
      "resolved_at, id) WHERE status = 'resolved'; "
      "PRAGMA user_version = 2;");
}

// The query plan of `sql`, one line per step.
std::string query_plan(RawDatabase& raw, const std::string& sql) {
  std::string plan;
  for (const auto& row : raw.rows("EXPLAIN QUERY PLAN " + sql))
    plan += row + "\n";
  return plan;
}

}  // namespace

TEST_CASE("sqlite: refuses an empty path and in-memory databases", "[sqlite]") {
  for (const char* path : {"", ":memory:", "file::memory:", "file:omni-x?mode=memory"}) {
    omni::SqliteStoreOptions options;
    options.path = path;
    auto store = omni::open_sqlite_store(options);
    INFO(path << " -> " << store.status().to_string());
    CHECK(store.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("sqlite: a new file gets the schema version, application id and WAL", "[sqlite]") {
  TempDatabasePath path;
  auto store = open_store(path.string());
  CHECK(store->name() == "sqlite");
  CHECK(omni::sqlite_schema_version() >= 1);

  RawDatabase raw(path.string());
  CHECK(raw.integer("PRAGMA user_version") == omni::sqlite_schema_version());
  CHECK(raw.integer("PRAGMA application_id") == 0x4F4D4E49);
  CHECK(raw.text("PRAGMA journal_mode") == "wal");
  CHECK(raw.rows("PRAGMA foreign_key_check").empty());
  CHECK(raw.text("PRAGMA integrity_check") == "ok");
}

TEST_CASE("sqlite: both durability settings open", "[sqlite]") {
  for (auto durability : {omni::Durability::kFull, omni::Durability::kNormal}) {
    TempDatabasePath path;
    omni::SqliteStoreOptions options;
    options.path = path.string();
    options.durability = durability;
    auto store = omni::open_sqlite_store(options);
    INFO(store.status().to_string());
    REQUIRE(store.ok());
    make_fixture(**store);
  }
}

TEST_CASE("sqlite: data persists after closing and reopening the file", "[sqlite]") {
  TempDatabasePath path;
  Fixture f;
  omni::TouchpointId touchpoint_id;
  omni::HandoffId handoff_id;
  omni::ConversationId conversation_id;
  std::int64_t sequence = 0;
  {
    auto store = open_store(path.string());
    f = make_fixture(*store);
    auto tx = begin(*store, TransactionMode::kWrite);
    omni::Conversation conversation;
    conversation.tenant = f.tenant;
    conversation.customer = f.customer;
    conversation.subject = "Order 17";
    conversation.origin_channel = conversation.current_channel = f.channel;
    conversation.opened_at = conversation.updated_at = at(10);
    conversation.last_inbound_at = at(10);
    conversation_id = require_value(tx->insert_conversation(conversation));

    omni::Touchpoint t = make_touchpoint(f, 10, "Hallo \xF0\x9F\x91\x8B");
    t.conversation = conversation_id;
    t.provider_message_id = "wamid.1";
    t.attachments.push_back({"photo.jpg", "image/jpeg", 123456, "ab12"});
    t.metadata = {{"profile_name", "Anna"}, {"quote\"d", "line\nbreak"}};
    touchpoint_id = require_value(tx->insert_touchpoint(t));

    omni::Handoff handoff;
    handoff.tenant = f.tenant;
    handoff.conversation = conversation_id;
    handoff.kind = omni::HandoffKind::kBotToHuman;
    handoff.mode = omni::HandoffMode::kWarm;
    handoff.from_channel = f.channel;
    handoff.reason = "customer asked for a human";
    handoff.context.customer = f.customer;
    handoff.context.customer_name = "Anna";
    handoff.context.conversation = conversation_id;
    handoff.context.open_questions = {"Where is order 17?"};
    handoff.created_at = at(11);
    handoff_id = require_value(tx->insert_handoff(handoff));

    omni::Event event;
    event.tenant = f.tenant;
    event.customer = f.customer;
    event.type = "touchpoint.added";
    event.payload = R"({"id":1})";
    event.created_at = at(10);
    sequence = require_value(tx->append_event(event));
    require_ok(tx->commit());
  }

  auto store = open_store(path.string());
  auto tx = begin(*store, TransactionMode::kRead);
  CHECK(require_value(tx->find_tenant("acme")).id == f.tenant);
  auto customer = require_value(tx->get_customer(f.tenant, f.customer));
  CHECK(customer.display_name == "Anna");
  CHECK(customer.attributes.at("crm_account") == "A-17");
  CHECK_FALSE(customer.merged_into.has_value());
  auto channel = require_value(tx->get_channel(f.tenant, f.channel));
  CHECK(channel.kind == omni::ChannelKind::kWhatsApp);
  CHECK(channel.profile.length_rule == omni::LengthRule::kUnicodeCharacters);
  CHECK(channel.profile.max_length == 4096);
  auto conversation = require_value(tx->get_conversation(f.tenant, conversation_id));
  CHECK(conversation.subject == "Order 17");
  CHECK(conversation.last_inbound_at == at(10));
  CHECK_FALSE(conversation.resolved_at.has_value());
  auto touchpoint = require_value(tx->get_touchpoint(f.tenant, touchpoint_id));
  CHECK(touchpoint.body == "Hallo \xF0\x9F\x91\x8B");
  REQUIRE(touchpoint.attachments.size() == 1);
  CHECK(touchpoint.attachments[0].size_bytes == 123456);
  CHECK(touchpoint.metadata.at("quote\"d") == "line\nbreak");
  CHECK(require_value(tx->find_touchpoint(f.tenant, f.channel, "wamid.1")).id == touchpoint_id);
  auto handoff = require_value(tx->get_handoff(f.tenant, handoff_id));
  CHECK(handoff.mode == omni::HandoffMode::kWarm);
  CHECK(handoff.context.open_questions == std::vector<std::string>{"Where is order 17?"});
  auto events = require_value(tx->list_events(f.tenant, 0, 10));
  REQUIRE(events.size() == 1);
  CHECK(events[0].sequence == sequence);
  CHECK(events[0].payload == R"({"id":1})");
}

TEST_CASE("sqlite: a version 1 file migrates to version 2 with its data", "[sqlite]") {
  TempDatabasePath path;
  Fixture f;
  omni::ConversationId conversation_id;
  omni::TouchpointId touchpoint_id;
  omni::IdentityId identity_id;
  {
    auto store = open_store(path.string());
    f = make_fixture(*store);
    auto tx = begin(*store, TransactionMode::kWrite);
    omni::Customer second;
    second.tenant = f.tenant;
    second.display_name = "SCHMIDT, Anna";
    second.created_at = second.updated_at = at(1);
    require_value(tx->insert_customer(second));
    omni::Conversation conversation;
    conversation.tenant = f.tenant;
    conversation.customer = f.customer;
    conversation.origin_channel = conversation.current_channel = f.channel;
    conversation.opened_at = conversation.updated_at = at(10);
    conversation_id = require_value(tx->insert_conversation(conversation));
    omni::Touchpoint t = make_touchpoint(f, 10, "Hallo");
    t.conversation = conversation_id;
    touchpoint_id = require_value(tx->insert_touchpoint(t));
    omni::Identity identity;
    identity.tenant = f.tenant;
    identity.customer = f.customer;
    identity.kind = omni::IdentityKind::kPhone;
    identity.value = "+4915112345678";
    identity.source = "inbound";
    identity.first_seen = identity.last_seen = at(10);
    identity_id = require_value(tx->insert_identity(identity));
    require_ok(tx->commit());
  }
  {
    // Take the file back to the shape schema version 1 gave it (the same tables and data,
    // without what versions 2 and 3 added), as a file written by omni 0.1.0 would be.
    RawDatabase raw(path.string());
    downgrade_to_version_2(raw);
    raw.exec(
        "DROP TABLE tenant_profiles; ALTER TABLE channels DROP COLUMN own_profile; "
        "DROP TABLE pending_deliveries; DROP TABLE merge_moves; DROP TABLE merges; DROP INDEX "
        "customers_by_name_key; "
        "ALTER TABLE customers DROP COLUMN name_key; DROP INDEX conversations_one_joinable; "
        "DROP INDEX conversations_active; ALTER TABLE conversations DROP COLUMN joinable; "
        "ALTER TABLE conversations DROP COLUMN merged_into; "
        "ALTER TABLE touchpoints DROP COLUMN identity_id; "
        "CREATE TABLE identities_v1 (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL "
        "REFERENCES tenants (id), customer_id INTEGER NOT NULL, kind TEXT NOT NULL, scope TEXT "
        "NOT NULL, value TEXT NOT NULL, verified INTEGER NOT NULL, source TEXT NOT NULL, "
        "first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, UNIQUE (tenant_id, kind, scope, "
        "value), FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)); "
        "INSERT INTO identities_v1 SELECT id, tenant_id, customer_id, kind, scope, value, "
        "verified, source, first_seen, last_seen FROM identities; DROP TABLE identities; "
        "ALTER TABLE identities_v1 RENAME TO identities; "
        "CREATE INDEX identities_by_customer ON identities (tenant_id, customer_id); "
        "CREATE UNIQUE INDEX conversations_one_active ON conversations (tenant_id, customer_id) "
        "WHERE status IN ('open', 'pending'); PRAGMA user_version = 1;");
  }
  auto store = open_store(path.string());
  {
    RawDatabase raw(path.string());
    CHECK(raw.integer("PRAGMA user_version") == omni::sqlite_schema_version());
    CHECK(raw.integer(
              "SELECT count(*) FROM sqlite_master WHERE name = 'conversations_one_active'") == 0);
    CHECK(raw.text("PRAGMA integrity_check") == "ok");
    CHECK(raw.rows("PRAGMA foreign_key_check").empty());
  }
  auto tx = begin(*store, TransactionMode::kWrite);
  // Name keys were computed for the customers already there.
  auto namesakes = require_value(tx->find_customers_by_name_key(f.tenant, "anna schmidt", 10));
  CHECK(namesakes.size() == 1);
  auto conversation = require_value(tx->get_conversation(f.tenant, conversation_id));
  CHECK(conversation.joinable);
  CHECK_FALSE(conversation.merged_into.has_value());
  CHECK(require_value(tx->find_active_conversation(f.tenant, f.customer)).id == conversation_id);
  CHECK_FALSE(require_value(tx->get_touchpoint(f.tenant, touchpoint_id)).identity.has_value());
  // Identities moved into the WITHOUT ROWID table with their ids; new ones get larger ids.
  omni::Identity moved =
      require_value(tx->find_identity(f.tenant, omni::IdentityKind::kPhone, "", "+4915112345678"));
  CHECK(moved.id == identity_id);
  CHECK(moved.customer == f.customer);
  CHECK(moved.first_seen == at(10));
  omni::Identity another_identity = moved;
  another_identity.value = "+4915187654321";
  CHECK(require_value(tx->insert_identity(another_identity)).value() > identity_id.value());
  CHECK(tx->insert_identity(moved).status().is(omni::StatusCode::kAlreadyExists));
  // The joinable rule holds on the migrated file.
  omni::Conversation another = conversation;
  CHECK(tx->insert_conversation(another).status().is(omni::StatusCode::kAlreadyExists));
  another.joinable = false;
  require_value(tx->insert_conversation(another));
  require_ok(tx->commit());
}

TEST_CASE("sqlite: a version 3 file migrates to version 4 with consent traits by kind",
          "[sqlite][context]") {
  TempDatabasePath path;
  Fixture f;
  omni::ChannelId sms, letter;
  {
    auto store = open_store(path.string());
    f = make_fixture(*store);  // its channel is WhatsApp
    auto tx = begin(*store, TransactionMode::kWrite);
    for (auto [kind, name, id] : {std::tuple{omni::ChannelKind::kSms, "sms-line", &sms},
                                  std::tuple{omni::ChannelKind::kLetter, "post", &letter}}) {
      omni::Channel channel;
      channel.tenant = f.tenant;
      channel.kind = kind;
      channel.name = name;
      channel.created_at = at(2);
      *id = require_value(tx->insert_channel(channel));
    }
    require_ok(tx->put_tenant_profile(f.tenant, omni::ChannelKind::kSms, omni::ChannelProfile{}));
    require_ok(tx->commit());
  }
  {
    RawDatabase raw(path.string());
    downgrade_to_version_3(raw);
    CHECK(raw.text("PRAGMA integrity_check") == "ok");
  }
  auto store = open_store(path.string());
  {
    RawDatabase raw(path.string());
    CHECK(raw.integer("PRAGMA user_version") == omni::sqlite_schema_version());
    CHECK(raw.rows("PRAGMA foreign_key_check").empty());
  }
  auto tx = begin(*store, TransactionMode::kWrite);
  // Channels written before version 4 get the traits of their kind.
  auto channel = [&](omni::ChannelId id) { return require_value(tx->get_channel(f.tenant, id)); };
  CHECK(channel(f.channel).profile.requires_consent);
  CHECK(channel(f.channel).profile.cost_per_unit == 1);
  CHECK(channel(sms).profile.requires_consent);
  CHECK_FALSE(channel(letter).profile.requires_consent);
  CHECK(channel(letter).profile.cost_per_unit == 20);
  CHECK(require_value(tx->find_tenant_profile(f.tenant, omni::ChannelKind::kSms)).requires_consent);
  // Customers have said nothing about contact yet; consents can be stored.
  CHECK(require_value(tx->get_customer(f.tenant, f.customer)).preferences.empty());
  omni::Identity phone;
  phone.tenant = f.tenant;
  phone.customer = f.customer;
  phone.kind = omni::IdentityKind::kPhone;
  phone.value = "+4915112345678";
  phone.source = "inbound";
  phone.first_seen = phone.last_seen = at(3);
  phone.id = require_value(tx->insert_identity(phone));
  omni::Consent consent;
  consent.tenant = f.tenant;
  consent.identity = phone.id;
  consent.channel_kind = omni::ChannelKind::kSms;
  consent.state = omni::ConsentState::kWithdrawn;
  consent.source = "keyword";
  consent.evidence = "STOP";
  consent.changed_at = at(4);
  require_ok(tx->put_consent(consent));
  auto consents = require_value(tx->list_consents(f.tenant, f.customer));
  REQUIRE(consents.size() == 1);
  CHECK(consents[0].state == omni::ConsentState::kWithdrawn);
  CHECK(consents[0].evidence == "STOP");
  require_ok(tx->commit());
}

TEST_CASE("sqlite: a version 2 file migrates to version 3 with loads, classes and the queue",
          "[sqlite][routing]") {
  TempDatabasePath path;
  Fixture f;
  omni::ChannelId chat;
  omni::AgentId alice, bob;
  omni::ConversationId waiting, assigned_call, pending, resolved, waiting_call;
  {
    auto store = open_store(path.string());
    f = make_fixture(*store);  // its channel is WhatsApp: asynchronous
    auto tx = begin(*store, TransactionMode::kWrite);
    omni::Channel live_chat;
    live_chat.tenant = f.tenant;
    live_chat.kind = omni::ChannelKind::kLiveChat;
    live_chat.name = "web-chat";
    live_chat.profile.synchronous = true;
    live_chat.created_at = at(2);
    chat = require_value(tx->insert_channel(live_chat));
    for (auto [name, id] : {std::pair{"alice", &alice}, std::pair{"bob", &bob}}) {
      omni::Agent agent;
      agent.tenant = f.tenant;
      agent.name = name;
      agent.presence = omni::Presence::kAvailable;
      agent.created_at = at(3);
      *id = require_value(tx->insert_agent(agent));
    }
    auto conversation = [&](omni::ChannelId channel, omni::ConversationStatus status,
                            std::optional<omni::AgentId> assignee, std::int64_t opened) {
      omni::Conversation c;
      c.tenant = f.tenant;
      c.customer = f.customer;
      c.joinable = false;
      c.status = status;
      c.assignee = assignee;
      c.origin_channel = c.current_channel = channel;
      c.opened_at = c.updated_at = at(opened);
      if (status == omni::ConversationStatus::kResolved) c.resolved_at = at(opened + 1);
      return require_value(tx->insert_conversation(c));
    };
    waiting = conversation(f.channel, omni::ConversationStatus::kOpen, std::nullopt, 10);
    assigned_call = conversation(chat, omni::ConversationStatus::kOpen, alice, 11);
    pending = conversation(f.channel, omni::ConversationStatus::kPending, alice, 12);
    resolved = conversation(f.channel, omni::ConversationStatus::kResolved, bob, 13);
    waiting_call = conversation(chat, omni::ConversationStatus::kOpen, std::nullopt, 14);
    omni::Handoff handoff;
    handoff.tenant = f.tenant;
    handoff.conversation = assigned_call;
    handoff.to_agent = alice;
    handoff.created_at = at(15);
    require_value(tx->insert_handoff(handoff));
    require_ok(tx->commit());
  }
  {
    RawDatabase raw(path.string());
    downgrade_to_version_2(raw);
    CHECK(raw.integer("SELECT count(*) FROM pragma_table_info('agents') "
                      "WHERE name = 'load_sync'") == 0);
    CHECK(raw.integer("SELECT count(*) FROM pragma_table_info('conversations') "
                      "WHERE name = 'queued_at'") == 0);
    CHECK(raw.text("PRAGMA integrity_check") == "ok");
  }
  auto store = open_store(path.string());
  {
    RawDatabase raw(path.string());
    CHECK(raw.integer("PRAGMA user_version") == omni::sqlite_schema_version());
    CHECK(raw.text("PRAGMA integrity_check") == "ok");
    CHECK(raw.rows("PRAGMA foreign_key_check").empty());
  }
  auto tx = begin(*store, TransactionMode::kWrite);
  // Loads count the active conversations each agent holds, per class.
  omni::Agent a = require_value(tx->get_agent(f.tenant, alice));
  CHECK(a.load.synchronous == 1);   // the call
  CHECK(a.load.asynchronous == 1);  // the pending WhatsApp case
  CHECK(a.capacity.synchronous == 1);
  CHECK(a.capacity.asynchronous == 5);
  CHECK_FALSE(a.last_routed_at.has_value());
  omni::Agent b = require_value(tx->get_agent(f.tenant, bob));
  CHECK(b.load.synchronous == 0);
  CHECK(b.load.asynchronous == 0);  // its case is resolved
  // Classes come from the current channel; open unassigned conversations queue since they
  // opened.
  auto get = [&](omni::ConversationId id) {
    return require_value(tx->get_conversation(f.tenant, id));
  };
  CHECK(get(waiting).routing_class == omni::RoutingClass::kAsynchronous);
  CHECK(get(waiting).queued_at == at(10));
  CHECK(get(assigned_call).routing_class == omni::RoutingClass::kSynchronous);
  CHECK_FALSE(get(assigned_call).queued_at.has_value());
  CHECK(get(assigned_call).handoff_count == 1);
  CHECK_FALSE(get(pending).queued_at.has_value());
  CHECK_FALSE(get(resolved).queued_at.has_value());
  CHECK(get(waiting_call).routing_class == omni::RoutingClass::kSynchronous);
  CHECK(get(waiting_call).queued_at == at(14));
  CHECK(get(waiting_call).sla.policy.empty());
  CHECK_FALSE(get(waiting_call).sla.first_response.started_at.has_value());
  CHECK(get(waiting_call).passed_over.empty());
  auto queue = require_value(
      tx->list_waiting_conversations(f.tenant, omni::RoutingClass::kAsynchronous, nullptr, 10));
  REQUIRE(queue.size() == 1);
  CHECK(queue[0].id == waiting);
  queue = require_value(
      tx->list_waiting_conversations(f.tenant, omni::RoutingClass::kSynchronous, nullptr, 10));
  REQUIRE(queue.size() == 1);
  CHECK(queue[0].id == waiting_call);
  // Alice's one synchronous slot is taken; bob is free.
  auto routable =
      require_value(tx->list_routable_agents(f.tenant, omni::RoutingClass::kSynchronous,
                                             omni::RoutingStrategy::kLeastLoaded, nullptr, 10));
  REQUIRE(routable.size() == 1);
  CHECK(routable[0].id == bob);
  // The triggers keep the loads from here on.
  omni::Conversation call = get(waiting_call);
  call.assignee = bob;
  call.queued_at = std::nullopt;
  require_ok(tx->update_conversation(call));
  CHECK(require_value(tx->get_agent(f.tenant, bob)).load.synchronous == 1);
  omni::Conversation done = get(pending);
  done.status = omni::ConversationStatus::kResolved;
  done.resolved_at = at(20);
  require_ok(tx->update_conversation(done));
  CHECK(require_value(tx->get_agent(f.tenant, alice)).load.asynchronous == 0);
  require_ok(tx->put_setting(f.tenant, "routing", "{}"));
  require_ok(tx->commit());
}

TEST_CASE("sqlite: routing queries are index range scans", "[sqlite][routing]") {
  TempDatabasePath path;
  { open_store(path.string()); }
  RawDatabase raw(path.string());
  // The statements SqliteStore runs (see list_routable_agents, list_waiting_conversations,
  // list_reserved_conversations, list_due_conversations, next_timer and list_settings), without
  // INDEXED BY: the planner picks each index by itself, never scans a table and never sorts.
  const std::string agents = "SELECT * FROM agents WHERE tenant_id = 1 AND presence = 'available' ";
  const std::string waiting =
      "SELECT * FROM conversations WHERE tenant_id = 1 AND routing_class = 'async' AND "
      "status = 'open' AND assignee_id IS NULL AND offered_to IS NULL ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {agents + "AND load_sync < capacity_sync AND (load_sync, last_routed_at, id) > (0, 0, 0) "
                "ORDER BY load_sync, last_routed_at, id LIMIT 10",
       "agents_least_loaded_sync"},
      {agents + "AND load_async < capacity_async AND (load_async, last_routed_at, id) > (0, 0, 0) "
                "ORDER BY load_async, last_routed_at, id LIMIT 10",
       "agents_least_loaded_async"},
      {agents + "AND load_sync < capacity_sync AND (last_routed_at, id) > (0, 0) "
                "ORDER BY last_routed_at, id LIMIT 10",
       "agents_round_robin_sync"},
      {agents + "AND load_async < capacity_async AND (last_routed_at, id) > (0, 0) "
                "ORDER BY last_routed_at, id LIMIT 10",
       "agents_round_robin_async"},
      {waiting + "AND (priority_rank, queued_at, id) > (-1, 0, 0) "
                 "ORDER BY priority_rank, queued_at, id LIMIT 10",
       "conversations_queue"},
      {"SELECT * FROM conversations WHERE tenant_id = 1 AND preferred_agent = 2 AND "
       "preferred_agent IS NOT NULL AND status = 'open' AND assignee_id IS NULL AND "
       "offered_to IS NULL AND sticky_until > 5 ORDER BY priority_rank, queued_at, id LIMIT 10",
       "conversations_reserved"},
      {"SELECT * FROM conversations WHERE tenant_id = 1 AND next_timer_at IS NOT NULL AND "
       "next_timer_at <= 5 ORDER BY next_timer_at, id LIMIT 10",
       "conversations_timers"},
      {"SELECT next_timer_at FROM conversations WHERE tenant_id = 1 AND next_timer_at IS NOT "
       "NULL ORDER BY next_timer_at LIMIT 1",
       "conversations_timers"},
      {"SELECT key, value FROM settings WHERE tenant_id = 1 AND key >= 'a/' AND key < 'a0' "
       "ORDER BY key",
       "PRIMARY KEY"},
  };
  for (const auto& [sql, index] : cases) {
    const std::string plan = query_plan(raw, sql);
    INFO(sql << "\n" << plan);
    const std::string used = index == "PRIMARY KEY" ? "USING PRIMARY KEY" : "INDEX " + index;
    CHECK(plan.find(used) != std::string::npos);  // "USING INDEX" or "USING COVERING INDEX"
    CHECK(plan.find("SEARCH") != std::string::npos);
    CHECK(plan.find("SCAN") == std::string::npos);
    CHECK(plan.find("TEMP B-TREE") == std::string::npos);
  }
}

TEST_CASE("sqlite: agents' loads are kept by triggers, and only when slots change",
          "[sqlite][routing]") {
  TempDatabasePath path;
  auto store = open_store(path.string());
  Fixture f = make_fixture(*store);
  omni::AgentId alice;
  omni::ConversationId id;
  {
    auto tx = begin(*store, TransactionMode::kWrite);
    omni::Agent agent;
    agent.tenant = f.tenant;
    agent.name = "alice";
    agent.created_at = at(3);
    alice = require_value(tx->insert_agent(agent));
    omni::Conversation c;
    c.tenant = f.tenant;
    c.customer = f.customer;
    c.assignee = alice;
    c.opened_at = c.updated_at = at(4);
    id = require_value(tx->insert_conversation(c));
    require_ok(tx->commit());
  }
  RawDatabase raw(path.string());
  CHECK(raw.text("SELECT load_sync || '/' || load_async FROM agents") == "0/1");
  // A message arriving changes neither status, assignee, offer nor class: agents untouched. The
  // load is set by hand to see whether anything recomputes it.
  raw.exec("UPDATE agents SET load_async = 42");
  {
    auto tx = begin(*store, TransactionMode::kWrite);
    omni::Conversation c = require_value(tx->get_conversation(f.tenant, id));
    c.last_inbound_at = c.updated_at = at(5);
    c.priority = omni::Priority::kHigh;
    c.sla.policy = "*/*";
    require_ok(tx->update_conversation(c));
    require_ok(tx->commit());
  }
  CHECK(raw.text("SELECT load_sync || '/' || load_async FROM agents") == "0/42");
  raw.exec("UPDATE agents SET load_async = 1");
  {
    auto tx = begin(*store, TransactionMode::kWrite);
    omni::Conversation c = require_value(tx->get_conversation(f.tenant, id));
    c.status = omni::ConversationStatus::kClosed;
    c.closed_at = at(6);
    require_ok(tx->update_conversation(c));
    require_ok(tx->commit());
  }
  CHECK(raw.text("SELECT load_sync || '/' || load_async FROM agents") == "0/0");
  // Deleting a conversation (the store never does) gives its slots back too.
  raw.exec("UPDATE conversations SET status = 'open'");
  CHECK(raw.text("SELECT load_sync || '/' || load_async FROM agents") == "0/1");
  raw.exec("DELETE FROM conversations");
  CHECK(raw.text("SELECT load_sync || '/' || load_async FROM agents") == "0/0");
}

TEST_CASE("sqlite: two stores on one file see each other's commits", "[sqlite]") {
  TempDatabasePath path;
  auto first = open_store(path.string());
  auto second = open_store(path.string());
  Fixture f = make_fixture(*first);
  auto tx = begin(*second, TransactionMode::kRead);
  CHECK(require_value(tx->get_customer(f.tenant, f.customer)).display_name == "Anna");
}

TEST_CASE("sqlite: a file that is not SQLite is refused and left unchanged", "[sqlite]") {
  TempDatabasePath path;
  const std::string content = "name,email\nAnna,anna@example.com\n" + std::string(4096, 'x');
  write_file(path.string(), content);
  omni::SqliteStoreOptions options;
  options.path = path.string();
  auto store = omni::open_sqlite_store(options);
  INFO(store.status().to_string());
  CHECK(store.status().code() == StatusCode::kCorruption);
  CHECK(read_file(path.string()) == content);
  CHECK_FALSE(std::filesystem::exists(path.string() + "-wal"));
}

TEST_CASE("sqlite: another application's SQLite database is refused and left unchanged",
          "[sqlite]") {
  TempDatabasePath path;
  SECTION("tables but no application id") {
    RawDatabase raw(path.string());
    raw.exec(
        "CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT); "
        "INSERT INTO contacts (name) VALUES ('Anna');");
  }
  SECTION("another application id") {
    RawDatabase raw(path.string());
    raw.exec("PRAGMA application_id = 1234; PRAGMA user_version = 1;");
  }
  SECTION("our application id but an unknown schema version") {
    RawDatabase raw(path.string());
    raw.exec("CREATE TABLE t (x); PRAGMA user_version = -3; PRAGMA application_id = 1330531913;");
  }
  const std::string before = read_file(path.string());
  REQUIRE_FALSE(before.empty());
  omni::SqliteStoreOptions options;
  options.path = path.string();
  auto store = omni::open_sqlite_store(options);
  INFO(store.status().to_string());
  CHECK(store.status().code() == StatusCode::kCorruption);
  CHECK(read_file(path.string()) == before);
  RawDatabase raw(path.string());
  CHECK(raw.text("PRAGMA journal_mode") == "delete");
}

TEST_CASE("sqlite: a schema newer than the library is refused and left unchanged", "[sqlite]") {
  TempDatabasePath path;
  { open_store(path.string()); }
  {
    RawDatabase raw(path.string());
    raw.exec("PRAGMA user_version = " + std::to_string(omni::sqlite_schema_version() + 1));
  }
  const std::string before = read_file(path.string());
  omni::SqliteStoreOptions options;
  options.path = path.string();
  auto store = omni::open_sqlite_store(options);
  INFO(store.status().to_string());
  CHECK(store.status().code() == StatusCode::kFailedPrecondition);
  CHECK(read_file(path.string()) == before);
  RawDatabase raw(path.string());
  CHECK(raw.integer("PRAGMA user_version") == omni::sqlite_schema_version() + 1);
}

TEST_CASE("sqlite: an empty file becomes an omni database", "[sqlite]") {
  TempDatabasePath path;
  write_file(path.string(), "");
  auto store = open_store(path.string());
  make_fixture(*store);
  RawDatabase raw(path.string());
  CHECK(raw.integer("PRAGMA user_version") == omni::sqlite_schema_version());
}

TEST_CASE("sqlite: a write transaction destroyed without commit leaves nothing", "[sqlite]") {
  TempDatabasePath path;
  auto store = open_store(path.string());
  Fixture f = make_fixture(*store);
  {
    auto tx = begin(*store, TransactionMode::kWrite);
    omni::Customer customer;
    customer.tenant = f.tenant;
    customer.display_name = "Ghost";
    require_value(tx->insert_customer(customer));
    require_value(tx->insert_touchpoint(make_touchpoint(f, 5, "lost")));
  }
  auto tx = begin(*store, TransactionMode::kRead);
  auto customers = require_value(tx->list_customers(f.tenant, omni::CustomerId(), 100));
  REQUIRE(customers.size() == 1);
  CHECK(customers[0].display_name == "Anna");
  omni::TouchpointQuery query;
  query.tenant = f.tenant;
  query.customer = f.customer;
  CHECK(require_value(tx->list_touchpoints(query)).empty());
  RawDatabase raw(path.string());
  CHECK(raw.integer("SELECT count(*) FROM customers") == 1);
  CHECK(raw.integer("SELECT count(*) FROM touchpoints") == 0);
}

TEST_CASE("sqlite: transaction modes and their end", "[sqlite]") {
  TempDatabasePath path;
  auto store = open_store(path.string());
  Fixture f = make_fixture(*store);
  omni::Customer customer;
  customer.tenant = f.tenant;
  customer.display_name = "Ben";

  SECTION("a read transaction refuses writes and commit") {
    auto tx = begin(*store, TransactionMode::kRead);
    CHECK(tx->insert_customer(customer).status().code() == StatusCode::kFailedPrecondition);
    CHECK(tx->touch_identity(f.tenant, omni::IdentityId(1), at(3)).code() ==
          StatusCode::kFailedPrecondition);
    CHECK(tx->commit().code() == StatusCode::kFailedPrecondition);
    CHECK(require_value(tx->get_customer(f.tenant, f.customer)).display_name == "Anna");
  }
  SECTION("a write transaction commits once and is then over") {
    auto tx = begin(*store, TransactionMode::kWrite);
    require_value(tx->insert_customer(customer));
    require_ok(tx->commit());
    CHECK(tx->commit().code() == StatusCode::kFailedPrecondition);
    CHECK(tx->get_customer(f.tenant, f.customer).status().code() ==
          StatusCode::kFailedPrecondition);
    CHECK(tx->insert_customer(customer).status().code() == StatusCode::kFailedPrecondition);
  }
  SECTION("a failed statement does not end the transaction") {
    auto tx = begin(*store, TransactionMode::kWrite);
    omni::Tenant duplicate;
    duplicate.name = "acme";
    CHECK(tx->insert_tenant(duplicate).status().code() == StatusCode::kAlreadyExists);
    require_value(tx->insert_customer(customer));
    require_ok(tx->commit());
    auto read = begin(*store, TransactionMode::kRead);
    CHECK(require_value(read->list_customers(f.tenant, omni::CustomerId(), 10)).size() == 2);
  }
}

TEST_CASE("sqlite: references never cross tenants", "[sqlite]") {
  TempDatabasePath path;
  auto store = open_store(path.string());
  Fixture acme = make_fixture(*store, "acme");
  Fixture globex = make_fixture(*store, "globex");
  auto tx = begin(*store, TransactionMode::kWrite);

  // A touchpoint of acme's tenant pointing at globex's customer or channel.
  omni::Touchpoint t = make_touchpoint(acme, 1, "x");
  t.customer = globex.customer;
  CHECK(tx->insert_touchpoint(t).status().code() == StatusCode::kNotFound);
  t = make_touchpoint(acme, 1, "x");
  t.channel = globex.channel;
  CHECK(tx->insert_touchpoint(t).status().code() == StatusCode::kNotFound);

  omni::Conversation conversation;
  conversation.tenant = acme.tenant;
  conversation.customer = globex.customer;
  CHECK(tx->insert_conversation(conversation).status().code() == StatusCode::kNotFound);

  omni::Customer merged;
  merged.tenant = acme.tenant;
  merged.merged_into = globex.customer;
  CHECK(tx->insert_customer(merged).status().code() == StatusCode::kNotFound);

  omni::Customer orphan;
  orphan.tenant = omni::TenantId(999);
  CHECK(tx->insert_customer(orphan).status().code() == StatusCode::kNotFound);
}

TEST_CASE("sqlite: the active-conversation rule is a unique index", "[sqlite]") {
  TempDatabasePath path;
  auto store = open_store(path.string());
  Fixture f = make_fixture(*store);
  auto tx = begin(*store, TransactionMode::kWrite);
  omni::Conversation conversation;
  conversation.tenant = f.tenant;
  conversation.customer = f.customer;
  conversation.opened_at = at(1);
  auto first = require_value(tx->insert_conversation(conversation));
  conversation.status = omni::ConversationStatus::kPending;
  CHECK(tx->insert_conversation(conversation).status().code() == StatusCode::kAlreadyExists);
  conversation.status = omni::ConversationStatus::kResolved;
  conversation.resolved_at = at(2);
  auto second = require_value(tx->insert_conversation(conversation));
  conversation.id = second;
  conversation.status = omni::ConversationStatus::kOpen;
  CHECK(tx->update_conversation(conversation).code() == StatusCode::kAlreadyExists);
  CHECK(require_value(tx->find_active_conversation(f.tenant, f.customer)).id == first);
  CHECK(require_value(tx->find_last_resolved_conversation(f.tenant, f.customer)).id == second);
}

TEST_CASE("sqlite: timeline pages are keyset ranges on (occurred_at, id)", "[sqlite]") {
  TempDatabasePath path;
  auto store = open_store(path.string());
  Fixture f = make_fixture(*store);
  std::vector<omni::TouchpointId> ids;
  {
    auto tx = begin(*store, TransactionMode::kWrite);
    // Three touchpoints share one timestamp: the id breaks the tie.
    for (auto [second, body] : std::vector<std::pair<int, std::string>>{
             {10, "a"}, {20, "b"}, {20, "c"}, {20, "d"}, {30, "e"}}) {
      auto t = make_touchpoint(f, second, body);
      if (body == "c") t.kind = omni::TouchpointKind::kNote;
      ids.push_back(require_value(tx->insert_touchpoint(t)));
    }
    require_ok(tx->commit());
  }
  auto tx = begin(*store, TransactionMode::kRead);
  omni::TouchpointQuery query;
  query.tenant = f.tenant;
  query.customer = f.customer;
  query.limit = 2;
  CHECK(bodies(require_value(tx->list_touchpoints(query))) == std::vector<std::string>{"e", "d"});
  query.after = omni::TimelineCursor{at(20), ids[3]};
  CHECK(bodies(require_value(tx->list_touchpoints(query))) == std::vector<std::string>{"c", "b"});
  query.after = omni::TimelineCursor{at(20), ids[1]};
  CHECK(bodies(require_value(tx->list_touchpoints(query))) == std::vector<std::string>{"a"});
  query.direction = omni::TimelineDirection::kNewer;
  query.limit = 10;
  CHECK(bodies(require_value(tx->list_touchpoints(query))) ==
        std::vector<std::string>{"c", "d", "e"});
  query.kind = omni::TouchpointKind::kMessageIn;
  CHECK(bodies(require_value(tx->list_touchpoints(query))) == std::vector<std::string>{"d", "e"});
}

TEST_CASE("sqlite: timeline queries are index range scans", "[sqlite]") {
  TempDatabasePath path;
  { open_store(path.string()); }
  RawDatabase raw(path.string());
  // The statements SqliteStore runs for a timeline page (see list_touchpoints); without INDEXED
  // BY, to show the planner picks the index by itself and never sorts.
  const std::string columns = "SELECT * FROM touchpoints ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {columns + "WHERE tenant_id = 1 AND customer_id = 2 AND (occurred_at, id) < (5, 6) "
                 "ORDER BY occurred_at DESC, id DESC LIMIT 50",
       "touchpoints_customer_timeline"},
      {columns + "WHERE tenant_id = 1 AND customer_id = 2 ORDER BY occurred_at ASC, id ASC "
                 "LIMIT 50",
       "touchpoints_customer_timeline"},
      {columns + "WHERE tenant_id = 1 AND customer_id = 2 AND kind = 'note' "
                 "AND (occurred_at, id) > (5, 6) ORDER BY occurred_at ASC, id ASC LIMIT 50",
       "touchpoints_customer_timeline"},
      {columns + "INDEXED BY touchpoints_conversation_timeline WHERE tenant_id = 1 AND "
                 "customer_id = 2 AND conversation_id = 3 AND (occurred_at, id) < (5, 6) "
                 "ORDER BY occurred_at DESC, id DESC LIMIT 50",
       "touchpoints_conversation_timeline"},
  };
  for (const auto& [sql, index] : cases) {
    std::string plan;
    for (const auto& row : raw.rows("EXPLAIN QUERY PLAN " + sql))
      plan += row + "\n";
    INFO(sql << "\n" << plan);
    CHECK(plan.find("SEARCH touchpoints USING INDEX " + index) != std::string::npos);
    if (sql.find("(occurred_at, id)") != std::string::npos) {
      CHECK(plan.find("occurred_at") != std::string::npos);  // the cursor is an index range too
    }
    CHECK(plan.find("TEMP B-TREE") == std::string::npos);
    CHECK(plan.find("SCAN") == std::string::npos);
  }
  std::string plan;
  for (const auto& row : raw.rows("EXPLAIN QUERY PLAN SELECT * FROM conversations WHERE "
                                  "tenant_id = 1 AND customer_id = 2 AND status IN ('open', "
                                  "'pending') AND joinable = 1")) {
    plan += row;
  }
  CHECK(plan.find("conversations_one_joinable") != std::string::npos);
}

TEST_CASE("sqlite: a version 4 file migrates to version 5 with a searchable knowledge base",
          "[sqlite][kb]") {
  TempDatabasePath path;
  Fixture f;
  {
    auto store = open_store(path.string());
    f = make_fixture(*store);
  }
  {
    RawDatabase raw(path.string());
    downgrade_to_version_4(raw);
    CHECK(raw.text("PRAGMA integrity_check") == "ok");
    CHECK(raw.integer("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'articles%'") == 0);
  }
  auto store = open_store(path.string());
  {
    RawDatabase raw(path.string());
    CHECK(raw.integer("PRAGMA user_version") == omni::sqlite_schema_version());
    CHECK(raw.rows("PRAGMA foreign_key_check").empty());
  }
  auto tx = begin(*store, TransactionMode::kWrite);
  omni::Article a;
  a.tenant = f.tenant;
  a.slug = "rueckerstattung";
  a.language = "de";
  a.title = "Rückerstattung";
  a.body = "Die Straße der Größe.";
  a.created_at = a.updated_at = at(5);
  a.id = require_value(tx->insert_article(a));
  omni::ArticleSearch search;
  search.tenant = f.tenant;
  for (const char* term : {"ruckerstattung", "rueckerstattung", "strasse", "groesse", "grosse"}) {
    INFO(term);
    search.terms = {term};
    auto hits = require_value(tx->search_articles(search));
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].article == a.id);
  }
  // Terms are phrases, never FTS5 syntax, even when a backend is handed a hostile one.
  for (const char* term : {"\"", "NEAR(", "*", "title:x", "a OR b", "-x", "^x", "{title}:x"}) {
    INFO(term);
    search.terms = {term};
    CHECK(tx->search_articles(search).ok());
  }
  require_ok(tx->commit());
}

TEST_CASE("sqlite: a version 7 file migrates to version 8 with an activity entry per agent",
          "[sqlite][metrics]") {
  TempDatabasePath path;
  Fixture f;
  omni::AgentId agent;
  {
    auto store = open_store(path.string());
    f = make_fixture(*store);
    auto tx = begin(*store, TransactionMode::kWrite);
    omni::Agent a;
    a.tenant = f.tenant;
    a.name = "ada";
    a.presence = omni::Presence::kBusy;
    a.created_at = at(1);
    agent = require_value(tx->insert_agent(a));
    require_ok(tx->commit());
  }
  {
    RawDatabase raw(path.string());
    downgrade_to_version_7(raw);
    CHECK(raw.text("PRAGMA integrity_check") == "ok");
  }
  const auto before_upgrade = std::chrono::system_clock::now();
  auto store = open_store(path.string());
  RawDatabase raw(path.string());
  CHECK(raw.integer("PRAGMA user_version") == omni::sqlite_schema_version());
  CHECK(raw.rows("PRAGMA foreign_key_check").empty());
  // The agent's log starts at the upgrade, with its presence and load then.
  REQUIRE(raw.integer("SELECT count(*) FROM agent_activity") == 1);
  CHECK(raw.text("SELECT presence FROM agent_activity WHERE agent_id = " +
                 std::to_string(agent.value())) == "busy");
  const auto seeded = raw.integer("SELECT at FROM agent_activity");
  const auto lower =
      std::chrono::duration_cast<std::chrono::microseconds>(before_upgrade.time_since_epoch())
          .count();
  CHECK(seeded >= lower - 1'000'000);
  CHECK(seeded <= lower + 60'000'000);
  std::string plan;
  for (const auto& row :
       raw.rows("EXPLAIN QUERY PLAN SELECT max(at) FROM agent_activity WHERE tenant_id = 1 "
                "AND agent_id = 1 AND at <= 10")) {
    plan += row;
  }
  CHECK(plan.find("agent_activity_by_agent") != std::string::npos);
  // Entries only for an agent of the tenant.
  auto tx = begin(*store, TransactionMode::kWrite);
  CHECK(tx->append_agent_activity(
              omni::AgentActivity{f.tenant, agent, at(5), omni::Presence::kAvailable, {}})
            .ok());
  auto other = tx->append_agent_activity(omni::AgentActivity{
      f.tenant, omni::AgentId(agent.value() + 100), at(5), omni::Presence::kAvailable, {}});
  CHECK(other.is(omni::StatusCode::kNotFound));
}

TEST_CASE("sqlite: a version 5 file migrates to version 6 with CSAT answers", "[sqlite][csat]") {
  TempDatabasePath path;
  Fixture f;
  omni::ConversationId conversation;
  {
    auto store = open_store(path.string());
    f = make_fixture(*store);
    auto tx = begin(*store, TransactionMode::kWrite);
    omni::Conversation c;
    c.tenant = f.tenant;
    c.customer = f.customer;
    c.origin_channel = f.channel;
    c.current_channel = f.channel;
    c.opened_at = c.updated_at = at(1);
    conversation = require_value(tx->insert_conversation(c));
    require_ok(tx->commit());
  }
  {
    RawDatabase raw(path.string());
    downgrade_to_version_5(raw);
    CHECK(raw.text("PRAGMA integrity_check") == "ok");
    CHECK(raw.integer("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'csat%'") == 0);
  }
  auto store = open_store(path.string());
  {
    RawDatabase raw(path.string());
    CHECK(raw.integer("PRAGMA user_version") == omni::sqlite_schema_version());
    CHECK(raw.rows("PRAGMA foreign_key_check").empty());
    std::string plan;
    for (const auto& row :
         raw.rows("EXPLAIN QUERY PLAN SELECT COUNT(*) FROM csat_responses WHERE tenant_id = 1 "
                  "AND responded_at >= 0 AND responded_at < 10")) {
      plan += row;
    }
    CHECK(plan.find("csat_by_time") != std::string::npos);
  }
  auto tx = begin(*store, TransactionMode::kWrite);
  omni::CsatResponse r;
  r.tenant = f.tenant;
  r.conversation = conversation;
  r.customer = f.customer;
  r.score = 4;
  r.comment = "quick";
  r.channel_kind = omni::ChannelKind::kSms;
  r.responded_at = at(2);
  CHECK_FALSE(require_value(tx->put_csat(r)));
  r.score = 2;
  CHECK(require_value(tx->put_csat(r)));  // replaced
  auto stored = require_value(tx->get_csat(f.tenant, conversation));
  CHECK(stored.score == 2);
  CHECK(stored.comment == "quick");
  CHECK(stored.channel_kind == omni::ChannelKind::kSms);
  CHECK_FALSE(stored.agent.has_value());
  require_ok(tx->commit());
}

TEST_CASE("sqlite: FTS5 is there and the deflection count is an indexed search", "[sqlite][kb]") {
  TempDatabasePath path;
  { open_store(path.string()); }
  RawDatabase raw(path.string());
  bool fts5 = false;
  for (const auto& option : raw.rows("PRAGMA compile_options")) {
    if (option.find("ENABLE_FTS5") != std::string::npos) fts5 = true;
  }
  CHECK(fts5);
  // The statement count_deflection runs.
  std::string plan;
  for (const auto& row : raw.rows(
           "EXPLAIN QUERY PLAN SELECT COUNT(*), COALESCE(SUM(EXISTS (SELECT 1 FROM conversations c "
           "WHERE c.tenant_id = t.tenant_id AND c.customer_id = t.customer_id AND c.opened_at >= "
           "t.occurred_at AND c.opened_at <= t.occurred_at + 86400000000)), 0) FROM touchpoints t "
           "WHERE t.tenant_id = 1 AND t.kind = 'kb_view' AND t.conversation_id IS NULL AND "
           "t.occurred_at >= 5 AND t.occurred_at < 6")) {
    plan += row + "\n";
  }
  INFO(plan);
  // Self-service touchpoints are those outside any conversation: a range of the conversation
  // timeline index with conversation_id NULL.
  CHECK(plan.find("SEARCH t USING INDEX touchpoints_conversation_timeline (tenant_id=? AND "
                  "conversation_id=? AND occurred_at>? AND occurred_at<?)") != std::string::npos);
  CHECK(plan.find("SEARCH c USING") != std::string::npos);
  CHECK(plan.find("SCAN") == std::string::npos);
}

TEST_CASE("sqlite: concurrent writers all succeed", "[sqlite]") {
  TempDatabasePath path;
  auto store = open_store(path.string(), std::chrono::seconds(30), 2);
  Fixture f = make_fixture(*store);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kPerThread; ++j) {
        auto tx = store->begin(TransactionMode::kWrite);
        if (!tx.ok()) {
          ++failures;
          continue;
        }
        omni::Customer customer;
        customer.tenant = f.tenant;
        customer.display_name = "c" + std::to_string(i) + "-" + std::to_string(j);
        omni::Event event;
        event.tenant = f.tenant;
        event.type = "customer.created";
        event.payload = "{}";
        if (!(*tx)->insert_customer(customer).ok() || !(*tx)->append_event(event).ok() ||
            !(*tx)->commit().ok()) {
          ++failures;
        }
        // A reader beside the writers.
        auto read = store->begin(TransactionMode::kRead);
        if (!read.ok() || !(*read)->list_customers(f.tenant, omni::CustomerId(), 5).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  CHECK(failures == 0);
  auto tx = begin(*store, TransactionMode::kRead);
  CHECK(require_value(tx->list_customers(f.tenant, omni::CustomerId(), 1000)).size() ==
        1 + kThreads * kPerThread);
  auto events = require_value(tx->list_events(f.tenant, 0, 1000));
  REQUIRE(events.size() == kThreads * kPerThread);
  for (std::size_t i = 1; i < events.size(); ++i)
    CHECK(events[i - 1].sequence < events[i].sequence);
}

TEST_CASE("sqlite: a writer waits for the lock, then gives up with kConflict", "[sqlite]") {
  TempDatabasePath path;
  auto store = open_store(path.string(), std::chrono::milliseconds(100));
  Fixture f = make_fixture(*store);
  RawDatabase other_process(path.string());
  other_process.exec(
      "BEGIN IMMEDIATE; INSERT INTO tenants (name, default_region, created_at) "
      "VALUES ('other', 'US', 0);");

  const auto started = std::chrono::steady_clock::now();
  auto blocked = store->begin(TransactionMode::kWrite);
  CHECK(blocked.status().code() == StatusCode::kConflict);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(90));

  // Readers are not blocked by the writer and do not see its uncommitted rows.
  auto read = begin(*store, TransactionMode::kRead);
  CHECK(read->find_tenant("other").status().code() == StatusCode::kNotFound);
  CHECK(require_value(read->get_customer(f.tenant, f.customer)).display_name == "Anna");
  read.reset();

  other_process.exec("COMMIT;");
  auto write = begin(*store, TransactionMode::kWrite);
  CHECK(require_value(write->find_tenant("other")).name == "other");
}

TEST_CASE("sqlite: more concurrent transactions than pooled connections", "[sqlite]") {
  TempDatabasePath path;
  auto store = open_store(path.string(), std::chrono::seconds(5), 1);
  Fixture f = make_fixture(*store);
  std::vector<std::unique_ptr<omni::StoreTransaction>> open;
  for (int i = 0; i < 4; ++i)
    open.push_back(begin(*store, TransactionMode::kRead));
  for (auto& tx : open)
    CHECK(require_value(tx->get_tenant(f.tenant)).name == "acme");
  open.clear();
  auto tx = begin(*store, TransactionMode::kWrite);
  require_ok(tx->commit());
}

TEST_CASE("sqlite: damaged rows are reported as corruption", "[sqlite]") {
  TempDatabasePath path;
  auto store = open_store(path.string());
  Fixture f = make_fixture(*store);
  omni::HandoffId handoff_id;
  omni::TouchpointId touchpoint_id;
  {
    auto tx = begin(*store, TransactionMode::kWrite);
    omni::Conversation conversation;
    conversation.tenant = f.tenant;
    conversation.customer = f.customer;
    auto conversation_id = require_value(tx->insert_conversation(conversation));
    omni::Handoff handoff;
    handoff.tenant = f.tenant;
    handoff.conversation = conversation_id;
    handoff_id = require_value(tx->insert_handoff(handoff));
    touchpoint_id = require_value(tx->insert_touchpoint(make_touchpoint(f, 1, "x")));
    require_ok(tx->commit());
  }
  RawDatabase raw(path.string());
  SECTION("customer attributes that are not a JSON object") {
    raw.exec("UPDATE customers SET attributes = '[1, 2'");
    auto tx = begin(*store, TransactionMode::kRead);
    CHECK(tx->get_customer(f.tenant, f.customer).status().code() == StatusCode::kCorruption);
  }
  SECTION("an unknown enum name") {
    raw.exec("UPDATE touchpoints SET kind = 'telepathy'");
    auto tx = begin(*store, TransactionMode::kRead);
    auto touchpoint = tx->get_touchpoint(f.tenant, touchpoint_id);
    CHECK(touchpoint.status().code() == StatusCode::kCorruption);
    CHECK(touchpoint.status().message().find("telepathy") != std::string::npos);
  }
  SECTION("attachments of the wrong shape") {
    raw.exec("UPDATE touchpoints SET attachments = '[{\"filename\": 3}]'");
    auto tx = begin(*store, TransactionMode::kRead);
    CHECK(tx->get_touchpoint(f.tenant, touchpoint_id).status().code() == StatusCode::kCorruption);
  }
  SECTION("an SLA state, a passed-over list or a routing class of the wrong shape") {
    auto read_conversation = [&] {
      auto tx = begin(*store, TransactionMode::kRead);
      return tx->get_conversation(f.tenant, omni::ConversationId(1));
    };
    CHECK(read_conversation().ok());
    raw.exec("UPDATE conversations SET sla = '{\"first_response\": {\"due_at\": \"soon\"}}'");
    CHECK(read_conversation().status().code() == StatusCode::kCorruption);
    CHECK(read_conversation().status().message().find("due_at") != std::string::npos);
    raw.exec("UPDATE conversations SET sla = '{}', passed_over = '[\"bob\"]'");
    CHECK(read_conversation().status().code() == StatusCode::kCorruption);
    raw.exec("UPDATE conversations SET passed_over = '[]', routing_class = 'telepathic'");
    CHECK(read_conversation().status().code() == StatusCode::kCorruption);
    raw.exec("UPDATE conversations SET routing_class = 'sync'");
    CHECK(read_conversation().ok());
  }
  SECTION("a context packet that does not decode") {
    raw.exec("UPDATE handoffs SET context = '{\"version\": 99}'");
    auto tx = begin(*store, TransactionMode::kRead);
    CHECK(tx->get_handoff(f.tenant, handoff_id).status().code() == StatusCode::kCorruption);
    CHECK(tx->list_handoffs(f.tenant, omni::ConversationId(1)).status().code() ==
          StatusCode::kCorruption);
  }
}

TEST_CASE("sqlite: stores opening one new file at once migrate it once", "[sqlite]") {
  TempDatabasePath path;
  constexpr int kOpeners = 6;
  std::vector<std::unique_ptr<omni::Store>> stores(kOpeners);
  std::vector<omni::Status> statuses(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      omni::SqliteStoreOptions options;
      options.path = path.string();
      auto store = omni::open_sqlite_store(options);
      if (store.ok()) {
        stores[i] = std::move(store).value();
      } else {
        statuses[i] = store.status();
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (const auto& status : statuses)
    require_ok(status);
  Fixture f = make_fixture(*stores[0]);
  auto tx = begin(*stores[kOpeners - 1], TransactionMode::kRead);
  CHECK(require_value(tx->get_tenant(f.tenant)).name == "acme");
  RawDatabase raw(path.string());
  CHECK(raw.integer("SELECT count(*) FROM sqlite_master WHERE name = 'touchpoints'") == 1);
}

TEST_CASE("sqlite: an event consumer resumes from its cursor after the file is reopened",
          "[sqlite][events]") {
  TempDatabasePath path;
  omni::TenantId tenant;
  std::vector<std::int64_t> lost_batch;
  {
    auto engine = omni::Engine::open(open_store(path.string()));
    REQUIRE(engine.ok());
    auto acme = (*engine)->create_tenant("acme");
    REQUIRE(acme.ok());
    tenant = acme->id;
    auto email = (*engine)->create_channel({tenant, omni::ChannelKind::kEmail, "support", {}});
    REQUIRE(email.ok());
    for (int i = 0; i < 40; ++i) {
      omni::InboundMessage m;
      m.tenant = tenant;
      m.channel = email->id;
      m.from = {omni::IdentityKind::kEmail, "", "c" + std::to_string(i % 5) + "@example.com"};
      m.provider_message_id = "m" + std::to_string(i);
      m.body = "hello";
      REQUIRE((*engine)->receive(m).ok());
    }
    auto first = (*engine)->poll_events(tenant, "crm-sync", 10);
    REQUIRE(first.ok());
    REQUIRE(first->size() == 10);
    REQUIRE((*engine)->ack_events(tenant, "crm-sync", first->back().sequence).ok());
    auto second = (*engine)->poll_events(tenant, "crm-sync", 10);
    REQUIRE(second.ok());
    for (const auto& e : *second)
      lost_batch.push_back(e.sequence);
    // The process dies here: 3 of the 10 processed, nothing acknowledged.
  }
  auto engine = omni::Engine::open(open_store(path.string()));
  REQUIRE(engine.ok());
  auto again = (*engine)->poll_events(tenant, "crm-sync", 10);
  REQUIRE(again.ok());
  std::vector<std::int64_t> resumed;
  for (const auto& e : *again)
    resumed.push_back(e.sequence);
  CHECK(resumed == lost_batch);
  auto position = (*engine)->consumer_position(tenant, "crm-sync");
  REQUIRE(position.ok());
  CHECK(position->acknowledged == lost_batch.front() - 1);
}

TEST_CASE("sqlite: metrics scan one index range per bucket, never a whole table",
          "[sqlite][metrics]") {
  TempDatabasePath path;
  { open_store(path.string()); }
  RawDatabase raw(path.string());
  auto plan_of = [&](const std::string& sql) {
    std::string plan;
    for (const auto& row : raw.rows("EXPLAIN QUERY PLAN " + sql))
      plan += row + "\n";
    return plan;
  };
  const std::string buckets =
      "WITH b AS (SELECT CAST(key AS INTEGER) AS idx, json_extract(value, '$[0]') AS lo, "
      "json_extract(value, '$[1]') AS hi FROM json_each('[[0,10],[10,20]]')) ";
  // The shape of compute_metrics' inbound volume statement.
  const std::string volume =
      plan_of(buckets +
              "SELECT b.idx, t.channel_kind, count(*) FROM b CROSS JOIN touchpoints t "
              "ON t.tenant_id = 1 AND t.occurred_at >= b.lo AND t.occurred_at < b.hi "
              "WHERE t.kind IN ('message_in', 'call', 'video_session') "
              "AND ('' = '' OR t.channel_kind = '') "
              "AND (('' = '' AND 0 = 0) OR EXISTS (SELECT 1 FROM conversations c "
              "WHERE c.tenant_id = t.tenant_id AND c.id = t.conversation_id)) "
              "GROUP BY b.idx, t.channel_kind");
  INFO(volume);
  CHECK(volume.find("SEARCH t USING COVERING INDEX touchpoints_by_time (tenant_id=? AND "
                    "occurred_at>? AND occurred_at<?)") != std::string::npos);
  CHECK(volume.find("SCAN t") == std::string::npos);
  // The shape of its conversation statements, with the FCR and channel-switch subqueries.
  const std::string conversations =
      plan_of(buckets +
              "SELECT b.idx, ch.kind, c.first_response_at - c.opened_at, "
              "(SELECT 1 FROM conversations n WHERE n.tenant_id = c.tenant_id "
              "AND n.customer_id = c.customer_id AND n.opened_at > c.resolved_at "
              "AND n.opened_at <= c.resolved_at + 5 AND n.id <> c.id), "
              "(SELECT count(*) FROM handoffs h WHERE h.tenant_id = c.tenant_id "
              "AND h.conversation_id = c.id AND h.kind = 'channel_switch') "
              "FROM b CROSS JOIN conversations c ON c.tenant_id = 1 AND c.opened_at >= b.lo "
              "AND c.opened_at < b.hi "
              "LEFT JOIN channels ch ON ch.tenant_id = c.tenant_id AND ch.id = c.origin_channel_id "
              "WHERE c.merged_into IS NULL");
  INFO(conversations);
  CHECK(conversations.find("SEARCH c USING INDEX conversations_by_opened (tenant_id=? AND "
                           "opened_at>? AND opened_at<?)") != std::string::npos);
  CHECK(conversations.find("SEARCH n USING") != std::string::npos);
  CHECK(conversations.find("SEARCH h USING") != std::string::npos);
  CHECK(conversations.find("SCAN c") == std::string::npos);
  CHECK(conversations.find("SCAN n") == std::string::npos);
  CHECK(conversations.find("SCAN h") == std::string::npos);
}
