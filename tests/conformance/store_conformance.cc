// The raw Store contract: uniqueness rules, rollback, read-only transactions, tenancy, keyset
// pagination and faithful round trips of every record type.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fixture.h"
#include "omni/sys/store.h"

namespace omni::testing {
namespace {

struct RawStore {
  std::unique_ptr<Store> store;
  explicit RawStore(const StoreBackend& backend) {
    auto made = backend.make();
    INFO(describe(made));
    REQUIRE(made.ok());
    store = std::move(*made);
  }
  std::unique_ptr<StoreTransaction> write() {
    auto tx = store->begin(TransactionMode::kWrite);
    INFO(describe(tx));
    REQUIRE(tx.ok());
    return std::move(*tx);
  }
  std::unique_ptr<StoreTransaction> read() {
    auto tx = store->begin(TransactionMode::kRead);
    INFO(describe(tx));
    REQUIRE(tx.ok());
    return std::move(*tx);
  }
};

Tenant make_tenant(const std::string& name) {
  Tenant t;
  t.name = name;
  t.default_region = "DE";
  t.created_at = t0();
  return t;
}

// A tenant with one customer and one channel, committed.
struct Seed {
  TenantId tenant;
  CustomerId customer;
  ChannelId channel;
};

Seed seed(RawStore& raw, const std::string& name = "acme") {
  auto tx = raw.write();
  Seed s;
  s.tenant = World::must(tx->insert_tenant(make_tenant(name)));
  Customer c;
  c.tenant = s.tenant;
  c.display_name = "Anna";
  c.created_at = c.updated_at = t0();
  s.customer = World::must(tx->insert_customer(c));
  Channel ch;
  ch.tenant = s.tenant;
  ch.kind = ChannelKind::kSms;
  ch.name = "sms";
  ch.profile = default_profile(ChannelKind::kSms);
  ch.created_at = t0();
  s.channel = World::must(tx->insert_channel(ch));
  OMNI_REQUIRE_OK(tx->commit());
  return s;
}

Touchpoint make_touchpoint(const Seed& s, std::int64_t at_us, const std::string& provider_id) {
  Touchpoint tp;
  tp.tenant = s.tenant;
  tp.customer = s.customer;
  tp.channel = s.channel;
  tp.channel_kind = ChannelKind::kSms;
  tp.kind = TouchpointKind::kMessageIn;
  tp.body = "at " + std::to_string(at_us);
  tp.provider_message_id = provider_id;
  tp.occurred_at = from_unix_micros(at_us);
  tp.recorded_at = from_unix_micros(at_us);
  return tp;
}

Conversation make_conversation(const Seed& s, ConversationStatus status) {
  Conversation c;
  c.tenant = s.tenant;
  c.customer = s.customer;
  c.status = status;
  c.origin_channel = s.channel;
  c.current_channel = s.channel;
  c.opened_at = c.updated_at = t0();
  if (status == ConversationStatus::kResolved) c.resolved_at = t0();
  return c;
}

TEST_CASE("store: tenant names are unique and a committed tenant can be read back",
          "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  auto tx = raw.write();
  TenantId id = World::must(tx->insert_tenant(make_tenant("acme")));
  CHECK(id.valid());
  CHECK(tx->insert_tenant(make_tenant("acme")).status().is(StatusCode::kAlreadyExists));
  OMNI_REQUIRE_OK(tx->commit());
  auto rtx = raw.read();
  Tenant t = World::must(rtx->find_tenant("acme"));
  CHECK(t.id == id);
  CHECK(t.default_region == "DE");
  CHECK(t.created_at == t0());
  CHECK(rtx->find_tenant("other").status().is(StatusCode::kNotFound));
  CHECK(rtx->get_tenant(TenantId(id.value() + 999)).status().is(StatusCode::kNotFound));
}

TEST_CASE("store: a transaction destroyed without commit leaves nothing behind",
          "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  {
    auto tx = raw.write();
    OMNI_REQUIRE_OK(tx->insert_tenant(make_tenant("ghost")));
    OMNI_REQUIRE_OK(tx->insert_touchpoint(make_touchpoint(s, 10, "p1")));
    Event e;
    e.tenant = s.tenant;
    e.type = "test";
    e.payload = "{}";
    e.created_at = t0();
    OMNI_REQUIRE_OK(tx->append_event(e));
  }  // rolled back
  auto rtx = raw.read();
  CHECK(rtx->find_tenant("ghost").status().is(StatusCode::kNotFound));
  CHECK(rtx->find_touchpoint(s.tenant, s.channel, "p1").status().is(StatusCode::kNotFound));
  CHECK(World::must(rtx->list_events(s.tenant, 0, 10)).empty());
}

TEST_CASE("store: read transactions refuse writes and commit", "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  auto tx = raw.read();
  CHECK(tx->insert_tenant(make_tenant("x")).status().is(StatusCode::kFailedPrecondition));
  CHECK(tx->commit().is(StatusCode::kFailedPrecondition));
}

TEST_CASE("store: records of one tenant are invisible to another", "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed a = seed(raw, "a");
  Seed b = seed(raw, "b");
  {
    auto tx = raw.write();
    Identity i;
    i.tenant = a.tenant;
    i.customer = a.customer;
    i.kind = IdentityKind::kPhone;
    i.value = "+4915112345678";
    i.first_seen = i.last_seen = t0();
    OMNI_REQUIRE_OK(tx->insert_identity(i));
    OMNI_REQUIRE_OK(tx->insert_touchpoint(make_touchpoint(a, 5, "m1")));
    OMNI_REQUIRE_OK(tx->commit());
  }
  auto tx = raw.read();
  CHECK(tx->get_customer(b.tenant, a.customer).status().is(StatusCode::kNotFound));
  CHECK(tx->get_channel(b.tenant, a.channel).status().is(StatusCode::kNotFound));
  CHECK(tx->find_identity(b.tenant, IdentityKind::kPhone, "", "+4915112345678")
            .status()
            .is(StatusCode::kNotFound));
  CHECK(tx->find_touchpoint(b.tenant, a.channel, "m1").status().is(StatusCode::kNotFound));
  auto customers = World::must(tx->list_customers(b.tenant, CustomerId(), 100));
  REQUIRE(customers.size() == 1);
  CHECK(customers[0].id == b.customer);
  TouchpointQuery q;
  q.tenant = b.tenant;
  q.customer = a.customer;
  CHECK(World::must(tx->list_touchpoints(q)).empty());
}

TEST_CASE("store: identities are unique per tenant, kind, scope and value",
          "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  auto tx = raw.write();
  Identity i;
  i.tenant = s.tenant;
  i.customer = s.customer;
  i.kind = IdentityKind::kMessengerPsid;
  i.scope = "page-1";
  i.value = "123";
  i.verified = true;
  i.source = "inbound";
  i.first_seen = t0();
  i.last_seen = t0() + std::chrono::seconds(5);
  IdentityId id = World::must(tx->insert_identity(i));
  CHECK(tx->insert_identity(i).status().is(StatusCode::kAlreadyExists));
  Identity other_scope = i;
  other_scope.scope = "page-2";  // the same PSID on another page is another person
  OMNI_REQUIRE_OK(tx->insert_identity(other_scope));
  OMNI_REQUIRE_OK(tx->commit());

  auto rtx = raw.read();
  Identity back =
      World::must(rtx->find_identity(s.tenant, IdentityKind::kMessengerPsid, "page-1", "123"));
  CHECK(back.id == id);
  CHECK(back.customer == s.customer);
  CHECK(back.verified);
  CHECK(back.source == "inbound");
  CHECK(back.last_seen == i.last_seen);
  CHECK(World::must(rtx->list_identities(s.tenant, s.customer)).size() == 2);
}

TEST_CASE("store: a customer has at most one active conversation", "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  auto tx = raw.write();
  ConversationId first =
      World::must(tx->insert_conversation(make_conversation(s, ConversationStatus::kOpen)));
  CHECK(tx->insert_conversation(make_conversation(s, ConversationStatus::kPending))
            .status()
            .is(StatusCode::kAlreadyExists));
  OMNI_REQUIRE_OK(tx->insert_conversation(make_conversation(s, ConversationStatus::kResolved)));
  CHECK(World::must(tx->find_active_conversation(s.tenant, s.customer)).id == first);

  Conversation c = World::must(tx->get_conversation(s.tenant, first));
  c.status = ConversationStatus::kResolved;
  c.resolved_at = t0() + std::chrono::hours(1);
  OMNI_REQUIRE_OK(tx->update_conversation(c));
  CHECK(tx->find_active_conversation(s.tenant, s.customer).status().is(StatusCode::kNotFound));
  CHECK(World::must(tx->find_last_resolved_conversation(s.tenant, s.customer)).id == first);
  ConversationId second =
      World::must(tx->insert_conversation(make_conversation(s, ConversationStatus::kOpen)));
  c.status = ConversationStatus::kOpen;  // reopening the first now would make two active
  CHECK(tx->update_conversation(c).is(StatusCode::kAlreadyExists));
  OMNI_REQUIRE_OK(tx->commit());
  CHECK(World::must(raw.read()->find_active_conversation(s.tenant, s.customer)).id == second);
}

TEST_CASE("store: only one active conversation per customer is joinable", "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  auto tx = raw.write();
  ConversationId joinable =
      World::must(tx->insert_conversation(make_conversation(s, ConversationStatus::kOpen)));
  Conversation detached = make_conversation(s, ConversationStatus::kPending);
  detached.joinable = false;
  detached.opened_at = t0() + std::chrono::minutes(1);
  ConversationId second = World::must(tx->insert_conversation(detached));
  CHECK(World::must(tx->find_active_conversation(s.tenant, s.customer)).id == joinable);
  auto active = World::must(tx->list_active_conversations(s.tenant, s.customer));
  REQUIRE(active.size() == 2);
  CHECK(active[0].id == second);  // newest first
  CHECK_FALSE(active[0].joinable);
  CHECK(active[1].id == joinable);

  // Making the second one joinable too breaks the rule; after the first leaves it is fine.
  Conversation c = World::must(tx->get_conversation(s.tenant, second));
  c.joinable = true;
  CHECK(tx->update_conversation(c).is(StatusCode::kAlreadyExists));
  Conversation first = World::must(tx->get_conversation(s.tenant, joinable));
  first.joinable = false;
  OMNI_REQUIRE_OK(tx->update_conversation(first));
  OMNI_REQUIRE_OK(tx->update_conversation(c));
  CHECK(World::must(tx->find_active_conversation(s.tenant, s.customer)).id == second);
  c.merged_into = joinable;
  OMNI_REQUIRE_OK(tx->update_conversation(c));
  OMNI_REQUIRE_OK(tx->commit());
  Conversation back = World::must(raw.read()->get_conversation(s.tenant, second));
  CHECK(back.joinable);
  CHECK(back.merged_into == joinable);
  CHECK_FALSE(World::must(raw.read()->get_conversation(s.tenant, joinable)).joinable);
}

TEST_CASE("store: customers by name key and identities by prefix", "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  Seed other = seed(raw, "globex");
  auto tx = raw.write();
  auto customer = [&](TenantId tenant, const std::string& name) {
    Customer c;
    c.tenant = tenant;
    c.display_name = name;
    c.created_at = c.updated_at = t0();
    return World::must(tx->insert_customer(c));
  };
  CustomerId a = customer(s.tenant, "Anna Schmidt");
  CustomerId b = customer(s.tenant, "SCHMIDT, Anna");
  customer(s.tenant, "Anna Schmitt");
  customer(other.tenant, "Anna Schmidt");
  auto found = World::must(tx->find_customers_by_name_key(s.tenant, "anna schmidt", 10));
  REQUIRE(found.size() == 2);
  CHECK(found[0].id == a);
  CHECK(found[1].id == b);
  CHECK(World::must(tx->find_customers_by_name_key(s.tenant, "anna schmidt", 1)).size() == 1);
  // Renaming moves the customer to its new key.
  Customer renamed = World::must(tx->get_customer(s.tenant, b));
  renamed.display_name = "Anna Meier";
  OMNI_REQUIRE_OK(tx->update_customer(renamed));
  CHECK(World::must(tx->find_customers_by_name_key(s.tenant, "anna schmidt", 10)).size() == 1);
  CHECK(World::must(tx->find_customers_by_name_key(s.tenant, "anna meier", 10)).size() == 1);

  for (const char* value : {"anna.schmidt@gmail.com", "anna.schmidt@web.de", "anna.schmidtke@x.de",
                            "anna.schmid@y.de", "bert@anna.schmidt.de"}) {
    Identity i;
    i.tenant = s.tenant;
    i.customer = a;
    i.kind = IdentityKind::kEmail;
    i.value = value;
    i.first_seen = i.last_seen = t0();
    OMNI_REQUIRE_OK(tx->insert_identity(i));
  }
  auto prefixed = World::must(
      tx->list_identities_by_prefix(s.tenant, IdentityKind::kEmail, "", "anna.schmidt@", 10));
  REQUIRE(prefixed.size() == 2);
  CHECK(prefixed[0].value == "anna.schmidt@gmail.com");
  CHECK(prefixed[1].value == "anna.schmidt@web.de");
  CHECK(World::must(tx->list_identities_by_prefix(other.tenant, IdentityKind::kEmail, "",
                                                  "anna.schmidt@", 10))
            .empty());
  CHECK(World::must(
            tx->list_identities_by_prefix(s.tenant, IdentityKind::kPhone, "", "anna.schmidt@", 10))
            .empty());
}

TEST_CASE("store: provider message ids are unique per channel", "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  auto tx = raw.write();
  OMNI_REQUIRE_OK(tx->insert_touchpoint(make_touchpoint(s, 1, "SM1")));
  CHECK(
      tx->insert_touchpoint(make_touchpoint(s, 2, "SM1")).status().is(StatusCode::kAlreadyExists));
  Channel other;
  other.tenant = s.tenant;
  other.kind = ChannelKind::kWhatsApp;
  other.name = "wa";
  other.created_at = t0();
  ChannelId wa = World::must(tx->insert_channel(other));
  Touchpoint same_id_elsewhere = make_touchpoint(s, 3, "SM1");
  same_id_elsewhere.channel = wa;
  OMNI_REQUIRE_OK(tx->insert_touchpoint(same_id_elsewhere));
  // Touchpoints without a provider id (notes, status changes) never collide.
  Touchpoint note = make_touchpoint(s, 4, "");
  note.channel.reset();
  note.kind = TouchpointKind::kNote;
  OMNI_REQUIRE_OK(tx->insert_touchpoint(note));
  OMNI_REQUIRE_OK(tx->insert_touchpoint(note));
  OMNI_REQUIRE_OK(tx->commit());
}

TEST_CASE("store: touchpoints round-trip every field", "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  auto tx = raw.write();
  Agent a;
  a.tenant = s.tenant;
  a.name = "alice";
  a.created_at = t0();
  AgentId agent = World::must(tx->insert_agent(a));
  ConversationId conv =
      World::must(tx->insert_conversation(make_conversation(s, ConversationStatus::kOpen)));
  Touchpoint tp = make_touchpoint(s, 1'700'000'000'123'456, "MM9");
  tp.conversation = conv;
  tp.kind = TouchpointKind::kMessageOut;
  tp.agent = agent;
  tp.subject = "Ihre Bestellung";
  tp.body = "Grüße, \"quoted\" ' and \\ and 😀";
  tp.attachments.push_back({"photo.jpg", "image/jpeg", 12345, "ab12"});
  tp.metadata["NumMedia"] = "1";
  tp.metadata["weird key\""] = "v";
  tp.delivery = DeliveryStatus::kQueued;
  tp.recorded_at = from_unix_micros(1'700'000'000'999'999);
  Identity from;
  from.tenant = s.tenant;
  from.customer = s.customer;
  from.kind = IdentityKind::kPhone;
  from.value = "+4915112345678";
  from.first_seen = from.last_seen = t0();
  tp.identity = World::must(tx->insert_identity(from));
  TouchpointId id = World::must(tx->insert_touchpoint(tp));
  OMNI_REQUIRE_OK(tx->update_delivery(s.tenant, id, DeliveryStatus::kSent, "SM-out-1"));
  OMNI_REQUIRE_OK(tx->commit());

  auto rtx = raw.read();
  Touchpoint back = World::must(rtx->get_touchpoint(s.tenant, id));
  CHECK(back.customer == s.customer);
  CHECK(back.conversation == tp.conversation);
  CHECK(back.channel == tp.channel);
  CHECK(back.channel_kind == ChannelKind::kSms);
  CHECK(back.kind == TouchpointKind::kMessageOut);
  CHECK(back.agent == tp.agent);
  CHECK(back.identity == tp.identity);
  CHECK(back.subject == tp.subject);
  CHECK(back.body == tp.body);
  REQUIRE(back.attachments.size() == 1);
  CHECK(back.attachments[0].filename == "photo.jpg");
  CHECK(back.attachments[0].content_type == "image/jpeg");
  CHECK(back.attachments[0].size_bytes == 12345);
  CHECK(back.attachments[0].sha256 == "ab12");
  CHECK(back.metadata == tp.metadata);
  CHECK(back.delivery == DeliveryStatus::kSent);
  CHECK(back.provider_message_id == "SM-out-1");
  CHECK(back.occurred_at == tp.occurred_at);
  CHECK(back.recorded_at == tp.recorded_at);
  CHECK(World::must(rtx->find_touchpoint(s.tenant, s.channel, "SM-out-1")).id == id);
}

TEST_CASE("store: customers, agents, channels and handoffs round-trip", "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  auto tx = raw.write();

  Customer c = World::must(tx->get_customer(s.tenant, s.customer));
  c.attributes["language"] = "de";
  c.attributes["crm_account"] = "A-17 \"gold\"";
  c.display_name = "Anna Müller";
  c.updated_at = t0() + std::chrono::seconds(1);
  OMNI_REQUIRE_OK(tx->update_customer(c));

  Agent a;
  a.tenant = s.tenant;
  a.name = "bob";
  a.kind = AgentKind::kBot;
  a.presence = Presence::kBusy;
  a.teams = {"billing", "de,1"};
  a.skills = {"refunds"};
  a.languages = {"de", "en-GB"};
  a.created_at = t0();
  AgentId agent = World::must(tx->insert_agent(a));
  CHECK(tx->insert_agent(a).status().is(StatusCode::kAlreadyExists));

  Channel ch;
  ch.tenant = s.tenant;
  ch.kind = ChannelKind::kXDirectMessage;
  ch.name = "x";
  ch.profile = default_profile(ChannelKind::kXDirectMessage);
  ch.profile.max_parts = 3;
  ch.profile.expected_first_response = std::chrono::seconds(77);
  ch.created_at = t0();
  ChannelId x = World::must(tx->insert_channel(ch));
  CHECK(tx->insert_channel(ch).status().is(StatusCode::kAlreadyExists));

  ConversationId conv =
      World::must(tx->insert_conversation(make_conversation(s, ConversationStatus::kOpen)));
  Handoff h;
  h.tenant = s.tenant;
  h.conversation = conv;
  h.kind = HandoffKind::kAgentTransfer;
  h.mode = HandoffMode::kWarm;
  h.from_channel = s.channel;
  h.to_channel = x;
  h.to_agent = agent;
  h.from_team = "first-level";
  h.to_team = "billing";
  h.reason = "refund over limit";
  h.context.customer = s.customer;
  h.context.customer_name = "Anna";
  h.context.identities = {"phone:+4915112345678"};
  h.context.open_questions = {"refund 80 EUR?"};
  h.context.notes = {"called twice"};
  h.context.recent.push_back(
      {t0(), ChannelKind::kSms, TouchpointKind::kMessageIn, "customer", "hi"});
  h.created_at = t0();
  HandoffId hid = World::must(tx->insert_handoff(h));
  h.id = hid;
  h.acknowledged_at = t0() + std::chrono::minutes(1);
  h.acknowledged_by = agent;
  OMNI_REQUIRE_OK(tx->update_handoff(h));
  OMNI_REQUIRE_OK(tx->commit());

  auto rtx = raw.read();
  Customer cb = World::must(rtx->get_customer(s.tenant, s.customer));
  CHECK(cb.display_name == "Anna Müller");
  CHECK(cb.attributes == c.attributes);
  CHECK(cb.updated_at == c.updated_at);
  CHECK_FALSE(cb.merged_into.has_value());

  Agent ab = World::must(rtx->get_agent(s.tenant, agent));
  CHECK(ab.kind == AgentKind::kBot);
  CHECK(ab.presence == Presence::kBusy);
  CHECK(ab.teams == a.teams);
  CHECK(ab.skills == a.skills);
  CHECK(ab.languages == a.languages);
  CHECK(World::must(rtx->list_agents(s.tenant)).size() == 1);

  Channel chb = World::must(rtx->find_channel(s.tenant, "x"));
  CHECK(chb.id == x);
  CHECK(chb.kind == ChannelKind::kXDirectMessage);
  CHECK(chb.profile.length_rule == LengthRule::kTwitterWeighted);
  CHECK(chb.profile.max_length == 280);
  CHECK(chb.profile.max_parts == 3);
  CHECK(chb.profile.expected_first_response == std::chrono::seconds(77));
  CHECK(World::must(rtx->list_channels(s.tenant)).size() == 2);

  Handoff hb = World::must(rtx->get_handoff(s.tenant, hid));
  CHECK(hb.kind == HandoffKind::kAgentTransfer);
  CHECK(hb.mode == HandoffMode::kWarm);
  CHECK(hb.to_channel == x);
  CHECK(hb.to_agent == agent);
  CHECK(hb.to_team == "billing");
  CHECK(hb.from_team == "first-level");
  CHECK(hb.reason == h.reason);
  CHECK(hb.acknowledged_at == h.acknowledged_at);
  CHECK(hb.acknowledged_by == agent);
  CHECK(hb.context.open_questions == h.context.open_questions);
  CHECK(hb.context.notes == h.context.notes);
  REQUIRE(hb.context.recent.size() == 1);
  CHECK(hb.context.recent[0].excerpt == "hi");
  CHECK(World::must(rtx->list_handoffs(s.tenant, conv)).size() == 1);
}

TEST_CASE("store: timeline pages are ordered by time then id, with exclusive cursors",
          "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  std::vector<TouchpointId> ids;
  {
    auto tx = raw.write();
    ConversationId conv =
        World::must(tx->insert_conversation(make_conversation(s, ConversationStatus::kOpen)));
    // Inserted out of time order; two share a timestamp (the id breaks the tie).
    const std::int64_t times[] = {50, 10, 30, 30, 20, 40};
    for (std::size_t i = 0; i < 6; ++i) {
      Touchpoint tp = make_touchpoint(s, times[i], "p" + std::to_string(i));
      if (i % 2 == 0) tp.conversation = conv;
      if (i == 5) tp.kind = TouchpointKind::kNote;
      ids.push_back(World::must(tx->insert_touchpoint(tp)));
    }
    OMNI_REQUIRE_OK(tx->commit());
  }
  auto tx = raw.read();
  TouchpointQuery q;
  q.tenant = s.tenant;
  q.customer = s.customer;
  q.limit = 100;
  auto newest_first = World::must(tx->list_touchpoints(q));
  std::vector<std::int64_t> order;
  for (const auto& tp : newest_first)
    order.push_back(to_unix_micros(tp.occurred_at));
  CHECK(order == std::vector<std::int64_t>{50, 40, 30, 30, 20, 10});
  CHECK(newest_first[2].id == ids[3]);  // equal times: higher id first when going older
  CHECK(newest_first[3].id == ids[2]);

  q.limit = 2;
  q.after = TimelineCursor{from_unix_micros(30), ids[3]};
  auto older = World::must(tx->list_touchpoints(q));
  REQUIRE(older.size() == 2);
  CHECK(older[0].id == ids[2]);
  CHECK(older[1].id == ids[4]);

  q.direction = TimelineDirection::kNewer;
  q.after = TimelineCursor{from_unix_micros(30), ids[2]};
  auto newer = World::must(tx->list_touchpoints(q));
  REQUIRE(newer.size() == 2);
  CHECK(newer[0].id == ids[3]);
  CHECK(newer[1].id == ids[5]);

  q.after.reset();
  q.limit = 100;
  auto oldest_first = World::must(tx->list_touchpoints(q));
  CHECK(oldest_first.front().id == ids[1]);
  CHECK(oldest_first.back().id == ids[0]);

  q.kind = TouchpointKind::kNote;
  auto notes = World::must(tx->list_touchpoints(q));
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].id == ids[5]);

  q.kind.reset();
  auto conv_id = World::must(tx->get_touchpoint(s.tenant, ids[0])).conversation;
  q.conversation = conv_id;
  CHECK(World::must(tx->list_touchpoints(q)).size() == 3);
}

TEST_CASE("store: events get increasing sequences and are listed after a position",
          "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed a = seed(raw, "a");
  Seed b = seed(raw, "b");
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    auto tx = raw.write();
    Event e;
    e.tenant = i == 2 ? b.tenant : a.tenant;
    e.customer = a.customer;
    e.type = "t" + std::to_string(i);
    e.payload = "{\"i\":" + std::to_string(i) + "}";
    e.created_at = t0();
    seqs.push_back(World::must(tx->append_event(e)));
    OMNI_REQUIRE_OK(tx->commit());
  }
  // Increasing within the tenant (sequence numbers of different tenants are unrelated).
  const std::vector<std::int64_t> tenant_a = {seqs[0], seqs[1], seqs[3], seqs[4]};
  CHECK(std::adjacent_find(tenant_a.begin(), tenant_a.end(), [](std::int64_t x, std::int64_t y) {
          return x >= y;
        }) == tenant_a.end());
  CHECK(seqs[2] > 0);
  auto tx = raw.read();
  auto all = World::must(tx->list_events(a.tenant, 0, 100));
  REQUIRE(all.size() == 4);
  CHECK(all[0].type == "t0");
  CHECK(all[0].payload == "{\"i\":0}");
  CHECK(all[0].customer == a.customer);
  CHECK_FALSE(all[0].conversation.has_value());
  auto after = World::must(tx->list_events(a.tenant, seqs[1], 2));
  REQUIRE(after.size() == 2);
  CHECK(after[0].type == "t3");
  CHECK(after[1].type == "t4");
}

TEST_CASE("store: updates of missing records are not found", "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  auto tx = raw.write();
  Conversation c = make_conversation(s, ConversationStatus::kOpen);
  c.id = ConversationId(999'999);
  CHECK(tx->update_conversation(c).is(StatusCode::kNotFound));
  Customer cu;
  cu.id = CustomerId(999'999);
  cu.tenant = s.tenant;
  CHECK(tx->update_customer(cu).is(StatusCode::kNotFound));
  CHECK(tx->update_delivery(s.tenant, TouchpointId(999'999), DeliveryStatus::kSent, "")
            .is(StatusCode::kNotFound));
  CHECK(tx->touch_identity(s.tenant, IdentityId(999'999), t0()).is(StatusCode::kNotFound));
}

// --- customer context: contact preferences and consents

Identity make_identity(const Seed& s, IdentityKind kind, const std::string& value) {
  Identity i;
  i.tenant = s.tenant;
  i.customer = s.customer;
  i.kind = kind;
  i.value = value;
  i.source = "inbound";
  i.first_seen = i.last_seen = t0();
  return i;
}

TEST_CASE("store: contact preferences are kept with the customer", "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  auto tx = raw.write();
  Customer c = World::must(tx->get_customer(s.tenant, s.customer));
  CHECK(c.preferences.empty());
  c.preferences.channels = {ChannelKind::kWhatsApp, ChannelKind::kEmail};
  c.preferences.language = "de-AT";
  c.preferences.time_zone = "Europe/Vienna";
  c.preferences.quiet_hours =
      QuietHours{std::chrono::minutes(21 * 60 + 30), std::chrono::minutes(7 * 60)};
  OMNI_REQUIRE_OK(tx->update_customer(c));
  OMNI_REQUIRE_OK(tx->commit());
  {
    auto rtx = raw.read();
    Customer back = World::must(rtx->get_customer(s.tenant, s.customer));
    CHECK(back.preferences == c.preferences);
  }
  // A customer inserted with preferences keeps them too.
  auto wtx = raw.write();
  Customer other;
  other.tenant = s.tenant;
  other.display_name = "Ben";
  other.preferences.language = "en";
  other.created_at = other.updated_at = t0();
  CustomerId id = World::must(wtx->insert_customer(other));
  CHECK(World::must(wtx->get_customer(s.tenant, id)).preferences.language == "en");
}

TEST_CASE("store: consents are kept per identity and channel kind, within the tenant",
          "[conformance][store]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  Seed other = seed(raw, "other");
  auto tx = raw.write();
  IdentityId phone =
      World::must(tx->insert_identity(make_identity(s, IdentityKind::kPhone, "+4915112345678")));
  IdentityId mail =
      World::must(tx->insert_identity(make_identity(s, IdentityKind::kEmail, "anna@example.com")));
  Consent consent;
  consent.tenant = s.tenant;
  consent.identity = phone;
  consent.channel_kind = ChannelKind::kSms;
  consent.state = ConsentState::kGranted;
  consent.source = "inbound_message";
  consent.evidence = "touchpoint 1";
  consent.changed_at = t0();
  OMNI_REQUIRE_OK(tx->put_consent(consent));
  Consent whatsapp = consent;
  whatsapp.channel_kind = ChannelKind::kWhatsApp;
  OMNI_REQUIRE_OK(tx->put_consent(whatsapp));
  // Replacing: the newest record is the consent.
  consent.state = ConsentState::kWithdrawn;
  consent.source = "keyword";
  consent.evidence = "STOP";
  consent.changed_at = t0() + std::chrono::seconds(5);
  OMNI_REQUIRE_OK(tx->put_consent(consent));
  Consent email = consent;
  email.identity = mail;
  email.channel_kind = ChannelKind::kEmail;
  email.state = ConsentState::kGranted;
  OMNI_REQUIRE_OK(tx->put_consent(email));
  // Never onto another tenant's identity, nor an unknown one.
  Consent foreign = consent;
  foreign.tenant = other.tenant;
  CHECK(tx->put_consent(foreign).is(StatusCode::kNotFound));
  Consent unknown = consent;
  unknown.identity = IdentityId(999'999);
  CHECK(tx->put_consent(unknown).is(StatusCode::kNotFound));
  OMNI_REQUIRE_OK(tx->commit());

  auto rtx = raw.read();
  Consent back = World::must(rtx->get_consent(s.tenant, phone, ChannelKind::kSms));
  CHECK(back.state == ConsentState::kWithdrawn);
  CHECK(back.source == "keyword");
  CHECK(back.evidence == "STOP");
  CHECK(back.changed_at == t0() + std::chrono::seconds(5));
  CHECK(World::must(rtx->get_consent(s.tenant, phone, ChannelKind::kWhatsApp)).state ==
        ConsentState::kGranted);
  CHECK(rtx->get_consent(s.tenant, mail, ChannelKind::kSms).status().is(StatusCode::kNotFound));
  CHECK(
      rtx->get_consent(other.tenant, phone, ChannelKind::kSms).status().is(StatusCode::kNotFound));
  auto all = World::must(rtx->list_consents(s.tenant, s.customer));
  REQUIRE(all.size() == 3);
  // By identity, then channel kind name.
  CHECK(all[0].identity == phone);
  CHECK(all[0].channel_kind == ChannelKind::kSms);
  CHECK(all[1].identity == phone);
  CHECK(all[1].channel_kind == ChannelKind::kWhatsApp);
  CHECK(all[2].identity == mail);
  CHECK(World::must(rtx->list_consents(other.tenant, s.customer)).empty());
}

// --- routing: agents' capacity and load, the queue, reservations, timers and settings

Timestamp at_s(int seconds) {
  return t0() + std::chrono::seconds(seconds);
}

Agent make_agent(TenantId tenant, const std::string& name, Presence presence = Presence::kAvailable,
                 AgentCapacity capacity = AgentCapacity(),
                 std::optional<Timestamp> last_routed_at = std::nullopt) {
  Agent a;
  a.tenant = tenant;
  a.name = name;
  a.presence = presence;
  a.capacity = capacity;
  a.last_routed_at = last_routed_at;
  a.created_at = t0();
  return a;
}

AgentCapacity capacity(int synchronous, int asynchronous) {
  AgentCapacity c;
  c.synchronous = synchronous;
  c.asynchronous = asynchronous;
  return c;
}

// A conversation of the seed customer that never takes the customer's joinable slot, so a test
// can have many at once.
Conversation routed(const Seed& s, RoutingClass routing_class, Priority priority,
                    std::optional<Timestamp> queued_at,
                    ConversationStatus status = ConversationStatus::kOpen) {
  Conversation c = make_conversation(s, status);
  c.joinable = false;
  c.routing_class = routing_class;
  c.priority = priority;
  c.queued_at = queued_at;
  return c;
}

AgentLoad load_of(StoreTransaction& tx, TenantId tenant, AgentId agent) {
  return World::must(tx.get_agent(tenant, agent)).load;
}

// "sync/async" of an agent's load, for readable failures.
std::string loads(StoreTransaction& tx, TenantId tenant, AgentId agent) {
  AgentLoad l = load_of(tx, tenant, agent);
  return std::to_string(l.synchronous) + "/" + std::to_string(l.asynchronous);
}

template <typename T>
std::vector<std::int64_t> ids_of(const std::vector<T>& records) {
  std::vector<std::int64_t> out;
  for (const auto& r : records)
    out.push_back(r.id.value());
  return out;
}

void check_same_clock(const SlaClock& got, const SlaClock& want) {
  CHECK(got.started_at == want.started_at);
  CHECK(got.warn_at == want.warn_at);
  CHECK(got.due_at == want.due_at);
  CHECK(got.stopped_at == want.stopped_at);
  CHECK(got.warned == want.warned);
  CHECK(got.breached == want.breached);
}

void check_same_routing(const Conversation& got, const Conversation& want) {
  CHECK(got.routing_class == want.routing_class);
  CHECK(got.skills == want.skills);
  CHECK(got.language == want.language);
  CHECK(got.queued_at == want.queued_at);
  CHECK(got.offered_to == want.offered_to);
  CHECK(got.offer_expires_at == want.offer_expires_at);
  CHECK(got.passed_over == want.passed_over);
  CHECK(got.preferred_agent == want.preferred_agent);
  CHECK(got.sticky_until == want.sticky_until);
  CHECK(got.sla.policy == want.sla.policy);
  check_same_clock(got.sla.first_response, want.sla.first_response);
  check_same_clock(got.sla.next_response, want.sla.next_response);
  check_same_clock(got.sla.resolution, want.sla.resolution);
  CHECK(got.sla.paused_at == want.sla.paused_at);
  CHECK(got.sla.next_responses_met == want.sla.next_responses_met);
  CHECK(got.sla.next_responses_breached == want.sla.next_responses_breached);
  CHECK(got.next_timer_at == want.next_timer_at);
  CHECK(got.handoff_count == want.handoff_count);
  CHECK(got.priority == want.priority);
  CHECK(got.assignee == want.assignee);
  CHECK(got.status == want.status);
}

TEST_CASE("store: agents' capacity and last routing round-trip, load is the store's",
          "[conformance][store][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  AgentId id;
  {
    auto tx = raw.write();
    Agent a = make_agent(s.tenant, "alice", Presence::kAvailable, capacity(2, 7), at_s(5));
    a.load.synchronous = 9;  // ignored
    a.load.asynchronous = 9;
    id = World::must(tx->insert_agent(a));
    OMNI_REQUIRE_OK(tx->commit());
  }
  {
    auto tx = raw.write();
    Agent a = World::must(tx->get_agent(s.tenant, id));
    CHECK(a.capacity.synchronous == 2);
    CHECK(a.capacity.asynchronous == 7);
    CHECK(a.last_routed_at == at_s(5));
    CHECK(a.load.synchronous == 0);
    CHECK(a.load.asynchronous == 0);
    CHECK(World::must(tx->list_agents(s.tenant)).at(0).capacity.asynchronous == 7);
    a.capacity = capacity(0, 12);
    a.last_routed_at = std::nullopt;
    a.load.asynchronous = 4;  // ignored
    OMNI_REQUIRE_OK(tx->update_agent(a));
    OMNI_REQUIRE_OK(tx->commit());
  }
  auto tx = raw.read();
  Agent a = World::must(tx->get_agent(s.tenant, id));
  CHECK(a.capacity.synchronous == 0);
  CHECK(a.capacity.asynchronous == 12);
  CHECK_FALSE(a.last_routed_at.has_value());
  CHECK(a.load.asynchronous == 0);
  // A default agent: one synchronous and five asynchronous slots, never routed.
  Agent fresh;
  CHECK(fresh.capacity.synchronous == 1);
  CHECK(fresh.capacity.asynchronous == 5);
}

TEST_CASE("store: every routing field of a conversation round-trips",
          "[conformance][store][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  auto tx = raw.write();
  AgentId alice = World::must(tx->insert_agent(make_agent(s.tenant, "alice")));
  AgentId bob = World::must(tx->insert_agent(make_agent(s.tenant, "bob")));

  Conversation c = routed(s, RoutingClass::kSynchronous, Priority::kHigh, at_s(1));
  c.skills = {"refunds", "de \"quoted\""};
  c.language = "de-AT";
  c.offered_to = alice;
  c.offer_expires_at = at_s(31);
  c.passed_over = {bob, alice};
  c.preferred_agent = bob;
  c.sticky_until = at_s(121);
  c.sla.policy = "email/high";
  c.sla.first_response.started_at = at_s(1);
  c.sla.first_response.warn_at = at_s(49);
  c.sla.first_response.due_at = at_s(61);
  c.sla.first_response.stopped_at = at_s(40);
  c.sla.first_response.warned = true;
  c.sla.next_response.started_at = at_s(70);
  c.sla.next_response.due_at = at_s(130);
  c.sla.next_response.breached = true;
  c.sla.resolution.started_at = at_s(1);
  c.sla.resolution.warn_at = at_s(2881);
  c.sla.resolution.due_at = at_s(3601);
  c.sla.paused_at = at_s(80);
  c.sla.next_responses_met = 4;
  c.sla.next_responses_breached = 2;
  c.next_timer_at = at_s(31);
  c.handoff_count = 3;
  c.id = World::must(tx->insert_conversation(c));
  check_same_routing(World::must(tx->get_conversation(s.tenant, c.id)), c);

  // Only fields outside every index change: the narrow update path of SqliteStore.
  c.skills = {"billing"};
  c.language = "en";
  c.offer_expires_at = at_s(45);
  c.passed_over = {bob};
  c.sla.resolution.stopped_at = at_s(500);
  c.sla.next_responses_met = 5;
  c.handoff_count = 4;
  c.subject = "narrow";
  OMNI_REQUIRE_OK(tx->update_conversation(c));
  check_same_routing(World::must(tx->get_conversation(s.tenant, c.id)), c);

  // Everything changes, optional fields cleared.
  c.routing_class = RoutingClass::kAsynchronous;
  c.priority = Priority::kUrgent;
  c.queued_at = std::nullopt;
  c.offered_to = std::nullopt;
  c.offer_expires_at = std::nullopt;
  c.assignee = bob;
  c.passed_over.clear();
  c.preferred_agent = std::nullopt;
  c.sticky_until = std::nullopt;
  c.sla = SlaState();
  c.next_timer_at = std::nullopt;
  c.handoff_count = 0;
  c.skills.clear();
  c.language.clear();
  OMNI_REQUIRE_OK(tx->update_conversation(c));
  OMNI_REQUIRE_OK(tx->commit());
  auto rtx = raw.read();
  Conversation back = World::must(rtx->get_conversation(s.tenant, c.id));
  check_same_routing(back, c);
  CHECK(back.subject == "narrow");
  CHECK_FALSE(back.waiting());
}

TEST_CASE("store: an agent's load follows its conversations", "[conformance][store][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  Seed other = seed(raw, "other");
  auto tx = raw.write();
  AgentId alice = World::must(tx->insert_agent(make_agent(s.tenant, "alice")));
  AgentId bob = World::must(tx->insert_agent(make_agent(s.tenant, "bob")));
  AgentId carol = World::must(tx->insert_agent(make_agent(other.tenant, "carol")));
  auto check_loads = [&](const std::string& want_alice, const std::string& want_bob) {
    CHECK(loads(*tx, s.tenant, alice) == want_alice);
    CHECK(loads(*tx, s.tenant, bob) == want_bob);
    CHECK(loads(*tx, other.tenant, carol) == "0/0");
  };

  // Waiting: holds no slot.
  Conversation c = routed(s, RoutingClass::kAsynchronous, Priority::kNormal, at_s(1));
  c.id = World::must(tx->insert_conversation(c));
  check_loads("0/0", "0/0");

  SECTION("assignment, status changes, class change, reassignment and offers") {
    c.assignee = alice;
    c.queued_at = std::nullopt;
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("0/1", "0/0");

    c.subject = "an update that changes nothing of the slots";
    c.updated_at = at_s(2);
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("0/1", "0/0");

    c.status = ConversationStatus::kPending;  // still active
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("0/1", "0/0");

    c.status = ConversationStatus::kResolved;
    c.resolved_at = at_s(3);
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("0/0", "0/0");

    c.status = ConversationStatus::kClosed;
    c.closed_at = at_s(4);
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("0/0", "0/0");

    c.status = ConversationStatus::kOpen;  // reopened, still assigned
    c.resolved_at = c.closed_at = std::nullopt;
    c.reopen_count = 1;
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("0/1", "0/0");

    c.routing_class = RoutingClass::kSynchronous;  // moved to a call
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("1/0", "0/0");

    c.assignee = bob;
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("0/0", "1/0");

    // Offered to alice while bob still has it: a slot of each.
    c.offered_to = alice;
    c.offer_expires_at = at_s(30);
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("1/0", "1/0");

    c.assignee = std::nullopt;  // bob let go; the offer stands
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("1/0", "0/0");

    c.assignee = alice;  // alice accepted
    c.offered_to = std::nullopt;
    c.offer_expires_at = std::nullopt;
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("1/0", "0/0");

    c.status = ConversationStatus::kResolved;
    c.resolved_at = at_s(60);
    c.routing_class = RoutingClass::kAsynchronous;  // both at once
    OMNI_REQUIRE_OK(tx->update_conversation(c));
    check_loads("0/0", "0/0");
  }

  SECTION("inserted already assigned and offered, and inactive ones") {
    Conversation d = routed(s, RoutingClass::kAsynchronous, Priority::kNormal, std::nullopt);
    d.assignee = bob;
    d.offered_to = alice;
    d.id = World::must(tx->insert_conversation(d));
    check_loads("0/1", "0/1");

    Conversation e = routed(s, RoutingClass::kSynchronous, Priority::kNormal, std::nullopt,
                            ConversationStatus::kPending);
    e.assignee = alice;
    World::must(tx->insert_conversation(e));
    check_loads("1/1", "0/1");

    Conversation done = routed(s, RoutingClass::kSynchronous, Priority::kNormal, std::nullopt,
                               ConversationStatus::kResolved);
    done.assignee = alice;
    done.offered_to = bob;
    World::must(tx->insert_conversation(done));
    Conversation closed = done;
    closed.status = ConversationStatus::kClosed;
    World::must(tx->insert_conversation(closed));
    check_loads("1/1", "0/1");

    // update_agent leaves the load alone.
    Agent a = World::must(tx->get_agent(s.tenant, alice));
    a.load = AgentLoad();
    a.presence = Presence::kBusy;
    OMNI_REQUIRE_OK(tx->update_agent(a));
    check_loads("1/1", "0/1");
    OMNI_REQUIRE_OK(tx->commit());
    auto rtx = raw.read();
    CHECK(loads(*rtx, s.tenant, alice) == "1/1");
    CHECK(loads(*rtx, s.tenant, bob) == "0/1");
  }

  SECTION("a rolled-back assignment leaves the load as it was") {
    OMNI_REQUIRE_OK(tx->commit());
    {
      auto wtx = raw.write();
      c.assignee = alice;
      OMNI_REQUIRE_OK(wtx->update_conversation(c));
      CHECK(loads(*wtx, s.tenant, alice) == "0/1");
    }  // rolled back
    auto rtx = raw.read();
    CHECK(loads(*rtx, s.tenant, alice) == "0/0");
  }
}

TEST_CASE("store: routable agents come in the strategy's order, in pages",
          "[conformance][store][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  Seed other = seed(raw, "other");
  auto tx = raw.write();
  auto add = [&](const std::string& name, Presence presence, AgentCapacity cap,
                 std::optional<Timestamp> routed_at) {
    return World::must(tx->insert_agent(make_agent(s.tenant, name, presence, cap, routed_at)))
        .value();
  };
  auto hold = [&](std::int64_t agent, RoutingClass routing_class) {
    Conversation c = routed(s, routing_class, Priority::kNormal, std::nullopt);
    c.assignee = AgentId(agent);
    World::must(tx->insert_conversation(c));
  };
  const auto a1 = add("a1", Presence::kAvailable, capacity(2, 5), at_s(30));
  const auto a2 = add("a2", Presence::kAvailable, capacity(1, 5), std::nullopt);
  const auto a3 = add("a3", Presence::kAvailable, capacity(1, 5), std::nullopt);
  const auto a4 = add("a4", Presence::kAvailable, capacity(1, 5), at_s(10));
  const auto a5 = add("a5", Presence::kBusy, capacity(1, 5), std::nullopt);
  const auto a6 = add("a6", Presence::kAvailable, capacity(1, 1), at_s(20));
  const auto a7 = add("a7", Presence::kAvailable, capacity(0, 5), at_s(5));
  const auto a8 = add("a8", Presence::kAway, capacity(1, 5), std::nullopt);
  (void)a5;
  (void)a8;
  hold(a2, RoutingClass::kAsynchronous);
  hold(a2, RoutingClass::kAsynchronous);  // a2: 2 of 5 asynchronous
  hold(a6, RoutingClass::kAsynchronous);  // a6: 1 of 1 asynchronous: full
  hold(a4, RoutingClass::kSynchronous);   // a4: 1 of 1 synchronous: full
  hold(a1, RoutingClass::kSynchronous);   // a1: 1 of 2 synchronous
  World::must(tx->insert_agent(make_agent(other.tenant, "elsewhere")));
  OMNI_REQUIRE_OK(tx->commit());

  struct Case {
    RoutingClass routing_class;
    RoutingStrategy strategy;
    std::vector<std::int64_t> want;
  };
  const std::vector<Case> cases = {
      // (load, last routed with never first, id)
      {RoutingClass::kAsynchronous, RoutingStrategy::kLeastLoaded, {a3, a7, a4, a1, a2}},
      // (last routed, id)
      {RoutingClass::kAsynchronous, RoutingStrategy::kRoundRobin, {a2, a3, a7, a4, a1}},
      {RoutingClass::kSynchronous, RoutingStrategy::kLeastLoaded, {a2, a3, a6, a1}},
      {RoutingClass::kSynchronous, RoutingStrategy::kRoundRobin, {a2, a3, a6, a1}},
  };
  auto rtx = raw.read();
  for (const Case& c : cases) {
    INFO("class " << to_string(c.routing_class) << ", " << to_string(c.strategy));
    auto all =
        World::must(rtx->list_routable_agents(s.tenant, c.routing_class, c.strategy, nullptr, 100));
    CHECK(ids_of(all) == c.want);
    for (std::size_t page_size : {std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
      INFO("pages of " << page_size);
      std::vector<std::int64_t> paged;
      std::optional<Agent> last;
      for (int pages = 0; pages < 10; ++pages) {
        auto page = World::must(rtx->list_routable_agents(s.tenant, c.routing_class, c.strategy,
                                                          last ? &*last : nullptr, page_size));
        CHECK(page.size() <= page_size);
        if (page.empty()) break;
        for (const auto& a : page)
          paged.push_back(a.id.value());
        last = page.back();
      }
      CHECK(paged == c.want);
    }
    CHECK(World::must(rtx->list_routable_agents(s.tenant, c.routing_class, c.strategy, nullptr, 0))
              .empty());
  }
  // The loads come back with the agents.
  auto async = World::must(rtx->list_routable_agents(s.tenant, RoutingClass::kAsynchronous,
                                                     RoutingStrategy::kLeastLoaded, nullptr, 100));
  REQUIRE(async.size() == 5);
  CHECK(async.back().load.asynchronous == 2);
  // Another tenant sees only its own agent.
  auto elsewhere = World::must(rtx->list_routable_agents(
      other.tenant, RoutingClass::kAsynchronous, RoutingStrategy::kRoundRobin, nullptr, 100));
  REQUIRE(elsewhere.size() == 1);
  CHECK(elsewhere[0].name == "elsewhere");
}

TEST_CASE("store: the queue holds waiting conversations by priority, queued_at and id",
          "[conformance][store][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  Seed other = seed(raw, "other");
  auto tx = raw.write();
  AgentId alice = World::must(tx->insert_agent(make_agent(s.tenant, "alice")));
  auto add = [&](Conversation c) { return World::must(tx->insert_conversation(c)).value(); };
  const auto w1 = add(routed(s, RoutingClass::kAsynchronous, Priority::kNormal, at_s(10)));
  const auto w2 = add(routed(s, RoutingClass::kAsynchronous, Priority::kUrgent, at_s(30)));
  const auto w3 = add(routed(s, RoutingClass::kAsynchronous, Priority::kNormal, at_s(10)));
  const auto w4 = add(routed(s, RoutingClass::kAsynchronous, Priority::kLow, at_s(5)));
  const auto w5 = add(routed(s, RoutingClass::kAsynchronous, Priority::kHigh, at_s(20)));
  const auto w6 = add(routed(s, RoutingClass::kAsynchronous, Priority::kNormal, at_s(8)));
  Conversation assigned = routed(s, RoutingClass::kAsynchronous, Priority::kUrgent, at_s(1));
  assigned.assignee = alice;
  add(assigned);
  Conversation offered = routed(s, RoutingClass::kAsynchronous, Priority::kUrgent, at_s(1));
  offered.offered_to = alice;
  add(offered);
  add(routed(s, RoutingClass::kAsynchronous, Priority::kUrgent, at_s(1),
             ConversationStatus::kPending));
  add(routed(s, RoutingClass::kAsynchronous, Priority::kUrgent, at_s(1),
             ConversationStatus::kResolved));
  add(routed(s, RoutingClass::kAsynchronous, Priority::kUrgent, at_s(1),
             ConversationStatus::kClosed));
  const auto sync1 = add(routed(s, RoutingClass::kSynchronous, Priority::kLow, at_s(1)));
  World::must(tx->insert_conversation(
      routed(other, RoutingClass::kAsynchronous, Priority::kUrgent, at_s(0))));
  // w6 is taken: it leaves the queue.
  Conversation taken = World::must(tx->get_conversation(s.tenant, ConversationId(w6)));
  taken.assignee = alice;
  OMNI_REQUIRE_OK(tx->update_conversation(taken));
  OMNI_REQUIRE_OK(tx->commit());

  const std::vector<std::int64_t> want = {w2, w5, w1, w3, w4};
  auto rtx = raw.read();
  auto all = World::must(
      rtx->list_waiting_conversations(s.tenant, RoutingClass::kAsynchronous, nullptr, 100));
  CHECK(ids_of(all) == want);
  for (const auto& c : all)
    CHECK(c.waiting());
  for (std::size_t page_size : {std::size_t{1}, std::size_t{2}, std::size_t{4}}) {
    INFO("pages of " << page_size);
    std::vector<std::int64_t> paged;
    std::optional<Conversation> last;
    for (int pages = 0; pages < 10; ++pages) {
      auto page = World::must(rtx->list_waiting_conversations(s.tenant, RoutingClass::kAsynchronous,
                                                              last ? &*last : nullptr, page_size));
      CHECK(page.size() <= page_size);
      if (page.empty()) break;
      for (const auto& c : page)
        paged.push_back(c.id.value());
      last = page.back();
    }
    CHECK(paged == want);
  }
  CHECK(ids_of(World::must(
            rtx->list_waiting_conversations(s.tenant, RoutingClass::kSynchronous, nullptr, 100))) ==
        std::vector<std::int64_t>{sync1});
  CHECK(World::must(rtx->list_waiting_conversations(other.tenant, RoutingClass::kAsynchronous,
                                                    nullptr, 100))
            .size() == 1);
}

TEST_CASE("store: conversations reserved for their preferred agent",
          "[conformance][store][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  Seed other = seed(raw, "other");
  auto tx = raw.write();
  AgentId alice = World::must(tx->insert_agent(make_agent(s.tenant, "alice")));
  AgentId bob = World::must(tx->insert_agent(make_agent(s.tenant, "bob")));
  auto reserved = [&](Priority priority, int queued, AgentId agent, int until,
                      RoutingClass routing_class = RoutingClass::kAsynchronous) {
    Conversation c = routed(s, routing_class, priority, at_s(queued));
    c.preferred_agent = agent;
    c.sticky_until = at_s(until);
    return c;
  };
  const auto low = World::must(tx->insert_conversation(reserved(Priority::kLow, 1, alice, 200)));
  const auto high = World::must(tx->insert_conversation(
      reserved(Priority::kHigh, 9, alice, 200, RoutingClass::kSynchronous)));
  const auto normal =
      World::must(tx->insert_conversation(reserved(Priority::kNormal, 5, alice, 101)));
  World::must(tx->insert_conversation(reserved(Priority::kUrgent, 1, alice, 100)));  // ends now
  World::must(tx->insert_conversation(reserved(Priority::kUrgent, 1, alice, 50)));   // ended
  World::must(tx->insert_conversation(reserved(Priority::kUrgent, 1, bob, 200)));
  Conversation offered = reserved(Priority::kUrgent, 1, alice, 200);
  offered.offered_to = alice;
  World::must(tx->insert_conversation(offered));
  Conversation assigned = reserved(Priority::kUrgent, 1, alice, 200);
  assigned.assignee = bob;
  World::must(tx->insert_conversation(assigned));
  Conversation unqueued = routed(s, RoutingClass::kAsynchronous, Priority::kUrgent, at_s(1));
  World::must(tx->insert_conversation(unqueued));  // no preferred agent
  OMNI_REQUIRE_OK(tx->commit());

  auto rtx = raw.read();
  CHECK(ids_of(World::must(rtx->list_reserved_conversations(s.tenant, alice, at_s(100), 100))) ==
        std::vector<std::int64_t>{high.value(), normal.value(), low.value()});
  CHECK(ids_of(World::must(rtx->list_reserved_conversations(s.tenant, alice, at_s(100), 2))) ==
        std::vector<std::int64_t>{high.value(), normal.value()});
  CHECK(ids_of(World::must(rtx->list_reserved_conversations(s.tenant, alice, at_s(150), 100))) ==
        std::vector<std::int64_t>{high.value(), low.value()});
  CHECK(World::must(rtx->list_reserved_conversations(s.tenant, bob, at_s(100), 100)).size() == 1);
  CHECK(World::must(rtx->list_reserved_conversations(other.tenant, alice, at_s(100), 100)).empty());
}

TEST_CASE("store: open conversations offered to an agent", "[conformance][store][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  Seed other = seed(raw, "other");
  auto tx = raw.write();
  AgentId alice = World::must(tx->insert_agent(make_agent(s.tenant, "alice")));
  AgentId bob = World::must(tx->insert_agent(make_agent(s.tenant, "bob")));
  auto offered_to = [&](AgentId agent, ConversationStatus status) {
    Conversation c = routed(s, RoutingClass::kAsynchronous, Priority::kNormal, at_s(1));
    c.offered_to = agent;
    c.status = status;
    return World::must(tx->insert_conversation(c));
  };
  const auto first = offered_to(alice, ConversationStatus::kOpen);
  offered_to(bob, ConversationStatus::kOpen);
  const auto second = offered_to(alice, ConversationStatus::kOpen);
  World::must(tx->insert_conversation(
      routed(s, RoutingClass::kAsynchronous, Priority::kNormal, at_s(1))));  // offered to nobody
  OMNI_REQUIRE_OK(tx->commit());

  auto rtx = raw.read();
  CHECK(ids_of(World::must(rtx->list_offered_conversations(s.tenant, alice, 100))) ==
        std::vector<std::int64_t>{first.value(), second.value()});
  CHECK(ids_of(World::must(rtx->list_offered_conversations(s.tenant, alice, 1))) ==
        std::vector<std::int64_t>{first.value()});
  CHECK(World::must(rtx->list_offered_conversations(s.tenant, bob, 100)).size() == 1);
  CHECK(World::must(rtx->list_offered_conversations(other.tenant, alice, 100)).empty());
}

TEST_CASE("store: due conversations and the next timer", "[conformance][store][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  Seed other = seed(raw, "other");
  {
    auto rtx = raw.read();
    CHECK(rtx->next_timer(s.tenant).status().is(StatusCode::kNotFound));
    CHECK(World::must(rtx->list_due_conversations(s.tenant, at_s(1000), 10)).empty());
  }
  auto tx = raw.write();
  auto timed = [&](std::optional<int> seconds, const Seed& seed_of = Seed()) {
    const Seed& in = seed_of.tenant.valid() ? seed_of : s;
    Conversation c = routed(in, RoutingClass::kAsynchronous, Priority::kNormal, std::nullopt,
                            ConversationStatus::kPending);
    if (seconds) c.next_timer_at = at_s(*seconds);
    return World::must(tx->insert_conversation(c)).value();
  };
  const auto t30 = timed(30);
  const auto t10a = timed(10);
  const auto t10b = timed(10);
  timed(50);
  timed(std::nullopt);
  timed(1, other);
  OMNI_REQUIRE_OK(tx->commit());

  auto rtx = raw.read();
  CHECK(World::must(rtx->next_timer(s.tenant)) == at_s(10));
  CHECK(World::must(rtx->next_timer(other.tenant)) == at_s(1));
  CHECK(ids_of(World::must(rtx->list_due_conversations(s.tenant, at_s(30), 100))) ==
        std::vector<std::int64_t>{t10a, t10b, t30});
  CHECK(ids_of(World::must(rtx->list_due_conversations(s.tenant, at_s(30), 2))) ==
        std::vector<std::int64_t>{t10a, t10b});
  CHECK(World::must(rtx->list_due_conversations(s.tenant, at_s(9), 100)).empty());
  CHECK(World::must(rtx->list_due_conversations(s.tenant, at_s(1000), 100)).size() == 4);
  rtx.reset();

  // Clearing every timer: none is next.
  auto wtx = raw.write();
  for (auto id : {t30, t10a, t10b}) {
    Conversation c = World::must(wtx->get_conversation(s.tenant, ConversationId(id)));
    c.next_timer_at = std::nullopt;
    OMNI_REQUIRE_OK(wtx->update_conversation(c));
  }
  auto rest = World::must(wtx->list_due_conversations(s.tenant, at_s(1000), 100));
  REQUIRE(rest.size() == 1);
  rest[0].next_timer_at = std::nullopt;
  OMNI_REQUIRE_OK(wtx->update_conversation(rest[0]));
  CHECK(wtx->next_timer(s.tenant).status().is(StatusCode::kNotFound));
}

TEST_CASE("store: settings are per tenant, replaced by key and listed by prefix",
          "[conformance][store][routing]") {
  OMNI_FOR_EACH_BACKEND(backend);
  RawStore raw(backend);
  Seed s = seed(raw);
  Seed other = seed(raw, "other");
  {
    auto tx = raw.write();
    OMNI_REQUIRE_OK(tx->put_setting(s.tenant, "routing", "{\"strategy\":\"round_robin\"}"));
    OMNI_REQUIRE_OK(tx->put_setting(s.tenant, "routing/team/billing", "{}"));
    OMNI_REQUIRE_OK(tx->put_setting(s.tenant, "routing/team/ad", "{\"sticky\":false}"));
    OMNI_REQUIRE_OK(tx->put_setting(s.tenant, "routingX", "x"));
    OMNI_REQUIRE_OK(tx->put_setting(s.tenant, "sla/email/*", "[]"));
    OMNI_REQUIRE_OK(tx->put_setting(other.tenant, "routing", "theirs"));
    OMNI_REQUIRE_OK(tx->put_setting(s.tenant, "routing/team/billing", "replaced"));
    CHECK(tx->put_setting(TenantId(999'999), "routing", "x").is(StatusCode::kNotFound));
    OMNI_REQUIRE_OK(tx->commit());
  }
  {
    auto tx = raw.write();
    OMNI_REQUIRE_OK(tx->put_setting(s.tenant, "ghost", "rolled back"));
  }
  {
    auto tx = raw.read();
    CHECK(World::must(tx->get_setting(s.tenant, "routing")) == "{\"strategy\":\"round_robin\"}");
    CHECK(World::must(tx->get_setting(other.tenant, "routing")) == "theirs");
    CHECK(World::must(tx->get_setting(s.tenant, "routing/team/billing")) == "replaced");
    CHECK(tx->get_setting(s.tenant, "ghost").status().is(StatusCode::kNotFound));
    CHECK(tx->get_setting(other.tenant, "sla/email/*").status().is(StatusCode::kNotFound));
    CHECK(tx->put_setting(s.tenant, "k", "v").is(StatusCode::kFailedPrecondition));

    using Settings = std::vector<std::pair<std::string, std::string>>;
    CHECK(
        World::must(tx->list_settings(s.tenant, "routing/")) ==
        Settings{{"routing/team/ad", "{\"sticky\":false}"}, {"routing/team/billing", "replaced"}});
    auto all = World::must(tx->list_settings(s.tenant, ""));
    std::vector<std::string> keys;
    for (const auto& [key, value] : all)
      keys.push_back(key);
    CHECK(keys == std::vector<std::string>{"routing", "routing/team/ad", "routing/team/billing",
                                           "routingX", "sla/email/*"});
    CHECK(World::must(tx->list_settings(s.tenant, "routing")).size() == 4);
    CHECK(World::must(tx->list_settings(s.tenant, "zzz")).empty());
    CHECK(World::must(tx->list_settings(other.tenant, "")) == Settings{{"routing", "theirs"}});
  }
  auto tx = raw.write();
  OMNI_REQUIRE_OK(tx->delete_setting(s.tenant, "routing"));
  CHECK(tx->delete_setting(s.tenant, "routing").is(StatusCode::kNotFound));
  CHECK(tx->delete_setting(s.tenant, "nothing").is(StatusCode::kNotFound));
  CHECK(tx->get_setting(s.tenant, "routing").status().is(StatusCode::kNotFound));
  CHECK(World::must(tx->get_setting(other.tenant, "routing")) == "theirs");
  OMNI_REQUIRE_OK(tx->commit());
}

}  // namespace
void link_store_conformance() {}

}  // namespace omni::testing
