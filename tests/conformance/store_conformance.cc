// The raw Store contract: uniqueness rules, rollback, read-only transactions, tenancy, keyset
// pagination and faithful round trips of every record type.
#include <algorithm>
#include <memory>
#include <string>
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

}  // namespace
void link_store_conformance() {}

}  // namespace omni::testing
