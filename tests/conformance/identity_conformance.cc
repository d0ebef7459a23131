// Identity behaviour on every backend: real-world numbers and addresses resolve to one customer,
// likely duplicates are suggested (never merged), merges move everything and unmerges give back
// exactly what was the merged customer's, and simultaneous contact on two channels lands in one
// conversation (or not, as the join policy says).
#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"
#include "omni/sys/store.h"

namespace omni::testing {

void link_identity_conformance() {}

namespace {

using std::chrono::hours;
using std::chrono::minutes;

InboundMessage from_email(const World& w, const std::string& address, const std::string& id,
                          const std::string& body, const std::string& name = "") {
  InboundMessage m = w.message(w.email, IdentityKind::kEmail, address, id, body);
  m.display_name = name;
  return m;
}

// Ids of a customer's touchpoints, leaving out the merge and unmerge markers.
std::set<std::int64_t> touchpoints_of(World& w, CustomerId customer) {
  TimelineQuery q;
  q.tenant = w.tenant.id;
  q.customer = customer;
  q.limit = 500;
  std::set<std::int64_t> ids;
  for (const auto& tp : World::must(w.engine->timeline(q)).touchpoints) {
    if (!tp.metadata.count("merge")) ids.insert(tp.id.value());
  }
  return ids;
}

std::set<std::int64_t> identity_ids(World& w, CustomerId customer) {
  std::set<std::int64_t> ids;
  for (const auto& i : World::must(w.engine->customer_view(w.tenant.id, customer)).identities) {
    ids.insert(i.id.value());
  }
  return ids;
}

MergeSpec merge_spec(const World& w, CustomerId survivor, CustomerId merged) {
  MergeSpec spec;
  spec.tenant = w.tenant.id;
  spec.survivor = survivor;
  spec.merged = merged;
  spec.actor = "agent:alice";
  spec.reason = "same person, confirmed on the phone";
  return spec;
}

bool has_reason(const DuplicateSuggestion& s, DuplicateReason reason) {
  return std::any_of(s.evidence.begin(), s.evidence.end(),
                     [&](const DuplicateEvidence& e) { return e.reason == reason; });
}

const DuplicateSuggestion* suggestion_for(const std::vector<DuplicateSuggestion>& all,
                                          CustomerId candidate) {
  for (const auto& s : all) {
    if (s.candidate == candidate) return &s;
  }
  return nullptr;
}

TEST_CASE("identity: German, US and UK numbers in every form resolve to one customer each",
          "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);  // the tenant's region is DE
  struct Case {
    std::vector<std::pair<const Channel*, std::string>> forms;
    std::string e164;
  };
  const std::vector<Case> cases = {
      {{{&w.sms, "0151 1234 5678"},
        {&w.phone, "+49 (151) 1234-5678"},
        {&w.whatsapp, "4915112345678"},
        {&w.sms, "0049 151 12345678"}},
       "+4915112345678"},
      {{{&w.sms, "+1 (415) 555-2671"},
        {&w.whatsapp, "14155552671"},
        {&w.phone, "001 415 555 2671"}},
       "+14155552671"},
      {{{&w.phone, "+44 20 7946 0958"},
        {&w.sms, "0044 20 7946 0958"},
        {&w.whatsapp, "442079460958"}},
       "+442079460958"},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::optional<CustomerId> customer;
    for (const auto& [channel, form] : c.forms) {
      InboundMessage m = w.message(*channel, IdentityKind::kPhone, form, "id" + std::to_string(++n),
                                   "hello from " + form);
      if (channel == &w.phone) m.kind = TouchpointKind::kCall;
      ReceiveResult r = w.receive(m);
      if (!customer) customer = r.customer;
      CHECK(r.customer == *customer);
    }
    auto view = World::must(w.engine->customer_view(w.tenant.id, *customer));
    REQUIRE(view.identities.size() == 1);
    CHECK(view.identities[0].value == c.e164);
  }
  CHECK(w.customer_count() == 3);

  // Impossible numbers are refused and store nothing.
  const std::size_t events = w.event_count();
  for (const char* bad : {"+49 123", "0151 1234", "12345", "+1 (415) 555-267", "+44 20 7946"}) {
    INFO(bad);
    auto r = w.engine->receive(w.sms_from(bad, std::string("bad-") + bad));
    CHECK(r.status().is(StatusCode::kInvalidArgument));
    CHECK(r.status().field() == "from.value");
  }
  CHECK(w.customer_count() == 3);
  CHECK(w.event_count() == events);
}

TEST_CASE("identity: mixed-case emails and umlaut display names are one customer",
          "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult a =
      w.receive(from_email(w, "\"Jürgen Müller\" <Juergen.Mueller@Example.DE>", "m1", "Hallo"));
  ReceiveResult b = w.receive(from_email(w, "juergen.mueller@example.de", "m2", "Noch da?"));
  ReceiveResult c =
      w.receive(from_email(w, "Jürgen Müller <JUERGEN.MUELLER@EXAMPLE.de>", "m3", "?"));
  CHECK(a.customer == b.customer);
  CHECK(a.customer == c.customer);
  auto view = World::must(w.engine->customer_view(w.tenant.id, a.customer));
  CHECK(view.customer.display_name == "Jürgen Müller");
  REQUIRE(view.identities.size() == 1);
  CHECK(view.identities[0].value == "juergen.mueller@example.de");
}

TEST_CASE("identity: two people with the same name stay two customers, suggested not merged",
          "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult one = w.receive(from_email(w, "Anna Schmidt <anna@firma-a.de>", "a1", "Hallo"));
  ReceiveResult two = w.receive(from_email(w, "SCHMIDT, Anna <a.schmidt@firma-b.de>", "b1", "Hi"));
  ReceiveResult other = w.receive(from_email(w, "Anna Schmitt <as@firma-c.de>", "c1", "Hey"));
  CHECK(one.customer != two.customer);
  CHECK(w.customer_count() == 3);

  auto suggestions = World::must(w.engine->suggest_duplicates(w.tenant.id, one.customer));
  REQUIRE(suggestions.size() == 1);
  CHECK(suggestions[0].customer == one.customer);
  CHECK(suggestions[0].candidate == two.customer);
  CHECK(has_reason(suggestions[0], DuplicateReason::kSameName));
  CHECK(suggestions[0].score < 0.5);
  CHECK(suggestion_for(suggestions, other.customer) == nullptr);

  // German numbers on both sides make it likelier, still only a suggestion.
  OMNI_REQUIRE_OK(w.engine->link_identity(
      w.tenant.id, one.customer, {IdentityKind::kPhone, "", "0151 1234 5678"}, false, "crm"));
  OMNI_REQUIRE_OK(w.engine->link_identity(
      w.tenant.id, two.customer, {IdentityKind::kPhone, "", "+49 170 9876543"}, false, "crm"));
  suggestions = World::must(w.engine->suggest_duplicates(w.tenant.id, two.customer));
  REQUIRE(suggestions.size() == 1);
  CHECK(suggestions[0].candidate == one.customer);
  CHECK(has_reason(suggestions[0], DuplicateReason::kSameNameAndPhoneCountry));
  CHECK(suggestions[0].score > 0.5);
  CHECK(suggestions[0].score <= 0.95);
  CHECK(w.customer_count() == 3);
  CHECK_FALSE(World::must(w.engine->customer_view(w.tenant.id, two.customer)).customer.merged_into);
}

TEST_CASE("identity: suggestions from email local parts and numbers written in messages",
          "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult gmail = w.receive(from_email(w, "anna.schmidt@gmail.com", "g1", "Hallo"));
  ReceiveResult web = w.receive(from_email(w, "Anna.Schmidt@web.de", "w1", "Hallo nochmal"));
  ReceiveResult info_a = w.receive(from_email(w, "info@firma-a.de", "i1", "Anfrage"));
  ReceiveResult info_b = w.receive(from_email(w, "info@firma-b.de", "i2", "Anfrage"));
  ReceiveResult sms = w.receive(w.sms_from("0151 9876 5432", "s1", "Paket?"));
  // Someone else's mail whose signature names that mobile number.
  ReceiveResult signed_mail = w.receive(from_email(
      w, "Bernd Becker <bernd@example.org>", "sig1",
      "Guten Tag,\nwo bleibt meine Lieferung?\n\n-- \nBernd Becker\nMobil: 0151 98765432\n"));
  ReceiveResult mentions_mail =
      w.receive(w.sms_from("+49 170 1112223", "s2", "Bitte an anna.schmidt@gmail.com antworten."));

  auto of_gmail = World::must(w.engine->suggest_duplicates(w.tenant.id, gmail.customer));
  const DuplicateSuggestion* local = suggestion_for(of_gmail, web.customer);
  REQUIRE(local != nullptr);
  CHECK(has_reason(*local, DuplicateReason::kSameEmailLocalPart));
  // The SMS customer wrote gmail's address: evidence found from the writer's side (finding it
  // from gmail's side would need a search of every customer's messages).
  auto of_mentions = World::must(w.engine->suggest_duplicates(w.tenant.id, mentions_mail.customer));
  const DuplicateSuggestion* mentioned = suggestion_for(of_mentions, gmail.customer);
  REQUIRE(mentioned != nullptr);
  CHECK(has_reason(*mentioned, DuplicateReason::kEmailInMessage));
  CHECK(mentioned->evidence[0].detail == "anna.schmidt@gmail.com");

  // Role addresses at different domains are different companies.
  CHECK(World::must(w.engine->suggest_duplicates(w.tenant.id, info_a.customer)).empty());
  (void)info_b;

  auto of_signed = World::must(w.engine->suggest_duplicates(w.tenant.id, signed_mail.customer));
  const DuplicateSuggestion* phone = suggestion_for(of_signed, sms.customer);
  REQUIRE(phone != nullptr);
  CHECK(has_reason(*phone, DuplicateReason::kPhoneInMessage));
  REQUIRE(phone->evidence.size() == 1);
  CHECK(phone->evidence[0].detail == "+4915198765432");
  // Once a pair is a candidate, evidence the other one wrote counts too: give the SMS customer
  // the same name, and its suggestion carries the signature as well.
  CustomerUpdate rename;
  rename.display_name = "Bernd Becker";
  OMNI_REQUIRE_OK(w.engine->update_customer(w.tenant.id, sms.customer, rename));
  auto of_sms = World::must(w.engine->suggest_duplicates(w.tenant.id, sms.customer));
  const DuplicateSuggestion* both = suggestion_for(of_sms, signed_mail.customer);
  REQUIRE(both != nullptr);
  CHECK(has_reason(*both, DuplicateReason::kPhoneInMessage));
  CHECK((has_reason(*both, DuplicateReason::kSameNameAndPhoneCountry) ||
         has_reason(*both, DuplicateReason::kSameName)));
  CHECK(both->score > phone->score);

  // The tenant-wide listing names each pair once, under its lower id, page by page.
  std::vector<DuplicateSuggestion> all;
  std::optional<CustomerId> after;
  int pages = 0;
  do {
    std::optional<CustomerId> next;
    auto page =
        World::must(w.engine->find_duplicates(w.tenant.id, after.value_or(CustomerId()), 2, &next));
    all.insert(all.end(), page.begin(), page.end());
    after = next;
    ++pages;
  } while (after && pages < 10);
  CHECK(pages >= 3);
  std::set<std::pair<std::int64_t, std::int64_t>> pairs;
  for (const auto& s : all) {
    CHECK(s.customer < s.candidate);
    CHECK(pairs.insert({s.customer.value(), s.candidate.value()}).second);
  }
  auto pair_of = [](CustomerId a, CustomerId b) {
    return std::make_pair(std::min(a, b).value(), std::max(a, b).value());
  };
  CHECK(pairs.count(pair_of(gmail.customer, web.customer)));
  CHECK(pairs.count(pair_of(sms.customer, signed_mail.customer)));
  CHECK(pairs.count(pair_of(gmail.customer, mentions_mail.customer)));
  CHECK(pairs.size() == 3);
  CHECK(w.customer_count() == 7);
}

TEST_CASE("merge: a merge and unmerge round trip preserves every touchpoint",
          "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  // A writes by SMS, gets an answer and a note; B by email, a case resolved long ago.
  ReceiveResult a = w.receive(w.sms_from("0151 1234 5678", "a1", "Wo ist mein Paket?"));
  OMNI_REQUIRE_OK(
      w.engine->send({w.tenant.id, a.conversation, {}, w.alice.id, "", "Wir schauen nach.", {}}));
  OMNI_REQUIRE_OK(w.engine->add_note({w.tenant.id, a.conversation, w.alice.id, "DHL angefragt"}));
  ReceiveResult b = w.receive(from_email(w, "Anna S. <anna@example.de>", "b1", "Rechnung falsch"));
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, b.conversation));
  w.clock.advance(hours(24 * 30));

  const auto a_before = touchpoints_of(w, a.customer);
  const auto b_before = touchpoints_of(w, b.customer);
  const auto a_identities = identity_ids(w, a.customer);
  const auto b_identities = identity_ids(w, b.customer);
  REQUIRE(a_before.size() == 3);
  REQUIRE(b_before.size() == 2);  // the message and "status resolved"

  auto record = World::must(w.engine->merge_customers(merge_spec(w, a.customer, b.customer)));
  CHECK(record.survivor == a.customer);
  CHECK(record.merged == b.customer);
  CHECK(record.actor == "agent:alice");
  CHECK(record.merged_at == w.clock.now());
  REQUIRE(record.conflicts.size() == 1);
  CHECK(record.conflicts[0].key == "display_name");
  CHECK(record.conflicts[0].survivor_value == "Anna Schmidt");
  CHECK(record.conflicts[0].merged_value == "Anna S.");

  // B's id still resolves, to A, which now has everything.
  auto via_b = World::must(w.engine->customer_view(w.tenant.id, b.customer));
  CHECK(via_b.customer.id == a.customer);
  CHECK(via_b.identities.size() == 2);
  std::set<std::int64_t> union_before = a_before;
  union_before.insert(b_before.begin(), b_before.end());
  CHECK(touchpoints_of(w, a.customer) == union_before);
  CHECK(touchpoints_of(w, b.customer) == union_before);  // through the redirect
  auto merges = World::must(w.engine->list_merges(w.tenant.id, a.customer));
  REQUIRE(merges.size() == 1);
  CHECK(merges[0].reason == record.reason);

  // After the merge B's address lands on A: in A's open conversation, and a KB view.
  w.clock.advance(minutes(5));
  ReceiveResult later = w.receive(from_email(w, "anna@example.de", "b2", "Und die Rechnung?"));
  CHECK(later.customer == a.customer);
  CHECK(later.conversation == a.conversation);
  InboundMessage kb = from_email(w, "anna@example.de", "kb1", "Rechnung erklärt");
  kb.channel = w.web.id;
  kb.kind = TouchpointKind::kKnowledgeBaseView;
  ReceiveResult kb_view = w.receive(kb);
  ReceiveResult a_later = w.receive(w.sms_from("+4915112345678", "a2", "Paket ist da, danke"));
  CHECK(a_later.conversation == a.conversation);

  auto undone = World::must(w.engine->unmerge_customer(w.tenant.id, b.customer, "agent:bob"));
  CHECK(undone.merge.unmerged_at == w.clock.now());
  CHECK(undone.merge.unmerged_by == "agent:bob");
  // B's later message and B's KB view (a view joins the open case) left A's conversation.
  CHECK(undone.moved_touchpoints == 2);

  // Each gets back exactly what was theirs, plus what arrived through their identities since.
  auto a_expected = a_before;
  a_expected.insert(a_later.touchpoint.value());
  auto b_expected = b_before;
  b_expected.insert(later.touchpoint.value());
  b_expected.insert(kb_view.touchpoint.value());
  CHECK(touchpoints_of(w, a.customer) == a_expected);
  // B's conversation had no joinable home: the message continues in a new conversation.
  REQUIRE(undone.split_conversations.size() == 1);
  auto b_now = touchpoints_of(w, b.customer);
  CHECK(b_now == b_expected);
  CHECK(identity_ids(w, a.customer) == a_identities);
  CHECK(identity_ids(w, b.customer) == b_identities);
  auto b_view = World::must(w.engine->customer_view(w.tenant.id, b.customer));
  CHECK(b_view.customer.id == b.customer);
  CHECK_FALSE(b_view.customer.merged_into);
  REQUIRE(b_view.active_conversations.size() == 1);
  CHECK(b_view.active_conversations[0].id == undone.split_conversations[0]);
  // Every conversation holds only its own customer's touchpoints.
  for (CustomerId c : {a.customer, b.customer}) {
    for (const auto& conversation :
         World::must(w.engine->customer_view(w.tenant.id, c)).recent_conversations) {
      auto view = World::must(w.engine->conversation_view(w.tenant.id, conversation.id));
      for (const auto& tp : view.touchpoints)
        CHECK(tp.customer == c);
    }
  }
  // Messages from B's address go to B again.
  CHECK(w.receive(from_email(w, "anna@example.de", "b3", "Hallo?")).customer == b.customer);

  // The audit trail keeps both steps; a second unmerge has nothing to undo.
  merges = World::must(w.engine->list_merges(w.tenant.id, b.customer));
  REQUIRE(merges.size() == 1);
  CHECK(merges[0].unmerged_at.has_value());
  CHECK(w.engine->unmerge_customer(w.tenant.id, b.customer, "agent:bob")
            .status()
            .is(StatusCode::kFailedPrecondition));
  auto events = World::must(w.engine->events(w.tenant.id, 0, 500));
  auto count = [&](const char* type) {
    return std::count_if(events.begin(), events.end(),
                         [&](const Event& e) { return e.type == type; });
  };
  CHECK(count("customer.merged") == 1);
  CHECK(count("customer.unmerged") == 1);
}

TEST_CASE("merge: attributes are copied, conflicts kept on both sides, and restored",
          "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult a = w.receive(w.sms_from("0151 1234 5678", "a1"));
  ReceiveResult b = w.receive(from_email(w, "anna@example.de", "b1", "Hallo", "Anna Schmidt"));
  CustomerUpdate a_profile;
  a_profile.set_attributes = {{"language", "de"}, {"crm_account", "A-17"}};
  OMNI_REQUIRE_OK(w.engine->update_customer(w.tenant.id, a.customer, a_profile));
  CustomerUpdate b_profile;
  b_profile.set_attributes = {{"language", "en"}, {"tier", "gold"}, {"crm_account", "A-17"}};
  OMNI_REQUIRE_OK(w.engine->update_customer(w.tenant.id, b.customer, b_profile));

  auto record = World::must(w.engine->merge_customers(merge_spec(w, a.customer, b.customer)));
  REQUIRE(record.conflicts.size() == 1);  // same name, same account: only the language differs
  CHECK(record.conflicts[0].key == "language");
  CHECK(record.conflicts[0].survivor_value == "de");
  CHECK(record.conflicts[0].merged_value == "en");
  CHECK(record.copied_attributes == std::vector<std::string>{"tier"});
  auto survivor = World::must(w.engine->customer_view(w.tenant.id, a.customer)).customer;
  CHECK(survivor.attributes.at("language") == "de");
  CHECK(survivor.attributes.at("tier") == "gold");
  // The merged customer's own record keeps its values: nothing is dropped.
  auto kept = World::must(w.engine->list_merges(w.tenant.id, b.customer));
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].conflicts.size() == 1);
  CHECK(kept[0].conflicts[0].merged_value == "en");

  OMNI_REQUIRE_OK(w.engine->unmerge_customer(w.tenant.id, b.customer, "cli"));
  survivor = World::must(w.engine->customer_view(w.tenant.id, a.customer)).customer;
  CHECK(survivor.attributes ==
        std::map<std::string, std::string>{{"language", "de"}, {"crm_account", "A-17"}});
  auto restored = World::must(w.engine->customer_view(w.tenant.id, b.customer)).customer;
  CHECK(restored.attributes.at("language") == "en");
  CHECK(restored.attributes.at("tier") == "gold");
}

TEST_CASE("merge: both customers active, the merged case stays active beside the survivor's",
          "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult a = w.receive(w.sms_from("0151 1234 5678", "a1", "SMS-Frage"));
  ReceiveResult b = w.receive(from_email(w, "anna@example.de", "b1", "Mail-Frage"));
  World::must(w.engine->merge_customers(merge_spec(w, a.customer, b.customer)));
  auto view = World::must(w.engine->customer_view(w.tenant.id, a.customer));
  REQUIRE(view.active_conversations.size() == 2);
  int joinable = 0;
  for (const auto& c : view.active_conversations)
    joinable += c.joinable ? 1 : 0;
  CHECK(joinable == 1);
  // New contact from either identity joins the survivor's joinable case: one queue.
  w.clock.advance(minutes(1));
  ReceiveResult later = w.receive(from_email(w, "anna@example.de", "b2", "Und?"));
  CHECK(later.conversation == a.conversation);

  auto undone = World::must(w.engine->unmerge_customer(w.tenant.id, b.customer, "agent:bob"));
  CHECK(undone.moved_touchpoints == 1);
  CHECK(undone.split_conversations.empty());  // it went home to B's own active case
  auto b_case = World::must(w.engine->conversation_view(w.tenant.id, b.conversation));
  CHECK(b_case.conversation.customer == b.customer);
  CHECK(b_case.conversation.joinable);
  REQUIRE(b_case.touchpoints.size() == 2);
  CHECK(b_case.touchpoints[1].id == later.touchpoint);
  auto a_case = World::must(w.engine->conversation_view(w.tenant.id, a.conversation));
  CHECK(a_case.conversation.joinable);
  CHECK(a_case.touchpoints.size() == 1);
}

TEST_CASE("merge: a case opened through the merged identity after the merge goes back whole",
          "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult a = w.receive(w.sms_from("0151 1234 5678", "a1"));
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, a.conversation));
  ReceiveResult b = w.receive(from_email(w, "anna@example.de", "b1", "Hallo"));
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, b.conversation));
  w.clock.advance(hours(24 * 30));
  World::must(w.engine->merge_customers(merge_spec(w, a.customer, b.customer)));
  ReceiveResult opened = w.receive(from_email(w, "anna@example.de", "b2", "Neue Frage"));
  CHECK(opened.new_conversation);
  CHECK(opened.customer == a.customer);
  auto reply = World::must(
      w.engine->send({w.tenant.id, opened.conversation, {}, w.alice.id, "", "Antwort", {}}));
  auto undone = World::must(w.engine->unmerge_customer(w.tenant.id, b.customer, "agent:bob"));
  CHECK(undone.moved_touchpoints == 0);
  auto moved = World::must(w.engine->conversation_view(w.tenant.id, opened.conversation));
  CHECK(moved.conversation.customer == b.customer);
  CHECK(moved.conversation.joinable);
  REQUIRE(moved.touchpoints.size() == 2);
  CHECK(moved.touchpoints[1].id == reply.id);
  CHECK(moved.touchpoints[1].customer == b.customer);
  CHECK(World::must(w.engine->customer_view(w.tenant.id, a.customer)).active_conversations.empty());
}

TEST_CASE("merge: refusals change nothing", "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult a = w.receive(w.sms_from("0151 1234 5678", "a1"));
  ReceiveResult b = w.receive(from_email(w, "anna@example.de", "b1", "Hallo"));
  ReceiveResult c = w.receive(from_email(w, "carl@example.de", "c1", "Hallo"));
  Tenant other = World::must(w.engine->create_tenant("globex", "DE"));
  const std::size_t events = w.event_count();

  CHECK(w.engine->merge_customers(merge_spec(w, a.customer, a.customer))
            .status()
            .is(StatusCode::kFailedPrecondition));
  MergeSpec no_reason = merge_spec(w, a.customer, b.customer);
  no_reason.reason.clear();
  CHECK(w.engine->merge_customers(no_reason).status().field() == "reason");
  CHECK(w.engine->merge_customers(merge_spec(w, a.customer, CustomerId(999999)))
            .status()
            .is(StatusCode::kNotFound));
  MergeSpec foreign = merge_spec(w, a.customer, b.customer);
  foreign.tenant = other.id;
  CHECK(w.engine->merge_customers(foreign).status().is(StatusCode::kNotFound));
  CHECK(w.engine->unmerge_customer(w.tenant.id, b.customer, "x")
            .status()
            .is(StatusCode::kFailedPrecondition));
  CHECK(w.event_count() == events);

  // Merged already; and chains are undone newest first.
  World::must(w.engine->merge_customers(merge_spec(w, a.customer, b.customer)));
  CHECK(w.engine->merge_customers(merge_spec(w, c.customer, b.customer))
            .status()
            .is(StatusCode::kFailedPrecondition));
  CHECK(w.engine->merge_customers(merge_spec(w, b.customer, c.customer))
            .status()
            .is(StatusCode::kFailedPrecondition));
  World::must(w.engine->merge_customers(merge_spec(w, c.customer, a.customer)));
  CHECK(World::must(w.engine->customer_view(w.tenant.id, b.customer)).customer.id == c.customer);
  CHECK(identity_ids(w, c.customer).size() == 3);
  CHECK(w.engine->unmerge_customer(w.tenant.id, b.customer, "x")
            .status()
            .is(StatusCode::kFailedPrecondition));
  OMNI_REQUIRE_OK(w.engine->unmerge_customer(w.tenant.id, a.customer, "x"));
  CHECK(identity_ids(w, a.customer).size() == 2);
  OMNI_REQUIRE_OK(w.engine->unmerge_customer(w.tenant.id, b.customer, "x"));
  CHECK(identity_ids(w, a.customer).size() == 1);
  CHECK(identity_ids(w, b.customer).size() == 1);
  CHECK(identity_ids(w, c.customer).size() == 1);
  CHECK(touchpoints_of(w, b.customer).count(b.touchpoint.value()));
}

TEST_CASE("merge: a failing store write leaves both customers as they were",
          "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  int merge_failures = 0;
  int unmerge_failures = 0;
  for (int n = 0; n < 24; ++n) {
    INFO("failing write #" << n);
    std::atomic<int> budget{1 << 30};
    StoreBackend wrapped = FaultInjectingStore::wrap(backend, &budget);
    World w(wrapped);
    ReceiveResult a = w.receive(w.sms_from("0151 1234 5678", "a1"));
    ReceiveResult b = w.receive(from_email(w, "anna@example.de", "b1", "Hallo", "Anna S."));
    const auto a_tps = touchpoints_of(w, a.customer);
    const auto b_tps = touchpoints_of(w, b.customer);
    const std::size_t events = w.event_count();

    budget = n;
    auto merged = w.engine->merge_customers(merge_spec(w, a.customer, b.customer));
    budget = 1 << 30;
    if (!merged.ok()) {
      ++merge_failures;
      CHECK(merged.status().is(StatusCode::kIoError));
      CHECK(touchpoints_of(w, a.customer) == a_tps);
      CHECK(touchpoints_of(w, b.customer) == b_tps);
      CHECK(identity_ids(w, b.customer).size() == 1);
      CHECK(World::must(w.engine->list_merges(w.tenant.id, a.customer)).empty());
      CHECK(w.event_count() == events);
      continue;
    }
    w.receive(from_email(w, "anna@example.de", "b2", "Und?"));
    const auto merged_tps = touchpoints_of(w, a.customer);
    const std::size_t merged_events = w.event_count();
    budget = n;
    auto undone = w.engine->unmerge_customer(w.tenant.id, b.customer, "x");
    budget = 1 << 30;
    if (!undone.ok()) {
      ++unmerge_failures;
      CHECK(undone.status().is(StatusCode::kIoError));
      CHECK(touchpoints_of(w, a.customer) == merged_tps);
      CHECK(World::must(w.engine->customer_view(w.tenant.id, b.customer)).customer.id ==
            a.customer);
      CHECK(w.event_count() == merged_events);
    }
  }
  CHECK(merge_failures > 3);
  CHECK(unmerge_failures > 3);
}

TEST_CASE("merge: receivers racing merges and unmerges lose nothing and mix nothing",
          "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult a = w.receive(w.sms_from("0151 1234 5678", "a0", "Frage A"));
  ReceiveResult b = w.receive(from_email(w, "anna@example.de", "b0", "Frage B", "Anna S."));
  constexpr int kPerThread = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> receivers;
  for (int t = 0; t < 2; ++t) {
    receivers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        InboundMessage m = t == 0 ? w.sms_from("+4915112345678", "a" + id, "SMS " + id)
                                  : from_email(w, "anna@example.de", "b" + id, "Mail " + id);
        if (!w.engine->receive(m).ok()) failures++;
      }
    });
  }
  int cycles = 0;
  for (; cycles < 6; ++cycles) {
    if (!w.engine->merge_customers(merge_spec(w, a.customer, b.customer)).ok()) failures++;
    if (!w.engine->unmerge_customer(w.tenant.id, b.customer, "x").ok()) failures++;
  }
  for (auto& r : receivers)
    r.join();
  CHECK(failures == 0);

  // Every message once, each on the customer whose identity sent it, and no conversation holds
  // another customer's touchpoint.
  const auto a_ids = identity_ids(w, a.customer);
  const auto b_ids = identity_ids(w, b.customer);
  CHECK(a_ids.size() == 1);
  CHECK(b_ids.size() == 1);
  std::size_t messages = 0;
  for (CustomerId c : {a.customer, b.customer}) {
    TimelineQuery q;
    q.tenant = w.tenant.id;
    q.customer = c;
    q.limit = 500;
    for (const auto& tp : World::must(w.engine->timeline(q)).touchpoints) {
      if (tp.kind != TouchpointKind::kMessageIn) continue;
      ++messages;
      REQUIRE(tp.identity.has_value());
      CHECK((c == a.customer ? a_ids : b_ids).count(tp.identity->value()) == 1);
    }
    for (const auto& conversation :
         World::must(w.engine->customer_view(w.tenant.id, c)).recent_conversations) {
      for (const auto& tp :
           World::must(w.engine->conversation_view(w.tenant.id, conversation.id)).touchpoints) {
        CHECK(tp.customer == c);
      }
    }
    auto view = World::must(w.engine->customer_view(w.tenant.id, c));
    int joinable = 0;
    for (const auto& conversation : view.active_conversations)
      joinable += conversation.joinable;
    CHECK(joinable == (view.active_conversations.empty() ? 0 : 1));
  }
  CHECK(messages == 2 + 2 * kPerThread);
  CHECK(World::must(w.engine->list_merges(w.tenant.id, b.customer)).size() == 6);
}

TEST_CASE("conversations: two cases of one customer merge into one", "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult first = w.receive(w.sms_from("0151 1234 5678", "s1", "Frage eins"));
  OMNI_REQUIRE_OK(w.engine->send({w.tenant.id, first.conversation, {}, w.alice.id, "", "A1", {}}));
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, first.conversation));
  w.clock.advance(hours(24 * 30));
  ReceiveResult second = w.receive(w.sms_from("0151 1234 5678", "s2", "Frage eins, nochmal"));
  REQUIRE(second.new_conversation);
  auto before = World::must(w.engine->conversation_view(w.tenant.id, first.conversation));

  auto merged = World::must(w.engine->merge_conversations(
      w.tenant.id, second.conversation, first.conversation, "agent:alice", "same question"));
  CHECK(merged.id == second.conversation);
  CHECK(merged.status == ConversationStatus::kOpen);
  CHECK(merged.first_response_at == before.conversation.first_response_at);
  CHECK(merged.opened_at == before.conversation.opened_at);
  auto gone = World::must(w.engine->conversation_view(w.tenant.id, first.conversation));
  CHECK(gone.conversation.status == ConversationStatus::kClosed);
  CHECK(gone.conversation.merged_into == second.conversation);
  REQUIRE(gone.touchpoints.size() == 1);  // only "merged into"
  auto view = World::must(w.engine->conversation_view(w.tenant.id, second.conversation));
  CHECK(view.touchpoints.size() == before.touchpoints.size() + 2);

  CHECK(
      w.engine->merge_conversations(w.tenant.id, second.conversation, first.conversation, "a", "r")
          .status()
          .is(StatusCode::kFailedPrecondition));
  ReceiveResult stranger = w.receive(from_email(w, "x@example.de", "x1", "Hallo"));
  CHECK(w.engine
            ->merge_conversations(w.tenant.id, second.conversation, stranger.conversation, "a", "r")
            .status()
            .is(StatusCode::kFailedPrecondition));
}

TEST_CASE("simultaneous contact: a second channel joins the open case, as the policy says",
          "[conformance][identity]") {
  OMNI_FOR_EACH_BACKEND(backend);
  SECTION("kAlways (the default): any channel, however late") {
    World w(backend);
    ReceiveResult sms = w.receive(w.sms_from("0151 1234 5678", "s1", "Hilfe"));
    OMNI_REQUIRE_OK(w.engine->link_identity(
        w.tenant.id, sms.customer, {IdentityKind::kEmail, "", "anna@example.de"}, true, "login"));
    w.clock.advance(hours(24 * 5));
    ReceiveResult mail = w.receive(from_email(w, "anna@example.de", "m1", "Hallo?"));
    CHECK(mail.conversation == sms.conversation);
  }
  SECTION("kWithinWindow: joins within the window, opens a new case after it") {
    EngineOptions options;
    options.contact_join_policy = ContactJoinPolicy::kWithinWindow;
    options.contact_join_window = hours(1);
    World w(backend, options);
    ReceiveResult sms = w.receive(w.sms_from("0151 1234 5678", "s1", "Hilfe"));
    OMNI_REQUIRE_OK(w.engine->link_identity(
        w.tenant.id, sms.customer, {IdentityKind::kEmail, "", "anna@example.de"}, true, "login"));
    w.clock.advance(minutes(30));
    ReceiveResult near = w.receive(from_email(w, "anna@example.de", "m1", "Noch da?"));
    CHECK(near.conversation == sms.conversation);
    // On the same channel it always joins, however late.
    w.clock.advance(hours(3));
    ReceiveResult same_channel = w.receive(from_email(w, "anna@example.de", "m2", "Hallo?"));
    CHECK(same_channel.conversation == sms.conversation);
    w.clock.advance(hours(3));
    ReceiveResult late = w.receive(w.sms_from("+4915112345678", "s2", "Neue Sache"));
    CHECK(late.new_conversation);
    CHECK(late.conversation != sms.conversation);
    auto view = World::must(w.engine->customer_view(w.tenant.id, sms.customer));
    REQUIRE(view.active_conversations.size() == 2);
    for (const auto& c : view.active_conversations) {
      CHECK(c.joinable == (c.id == late.conversation));
    }
    w.clock.advance(minutes(10));
    CHECK(w.receive(from_email(w, "anna@example.de", "m3", "Und?")).conversation ==
          late.conversation);
  }
}

}  // namespace
}  // namespace omni::testing
