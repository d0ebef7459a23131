// CSAT on every backend: an answer per conversation (recorded, replaced, validated, isolated
// per tenant) and the summary of a fixed data set, whole and per agent and channel kind.
#include <chrono>
#include <string>
#include <vector>

#include "fixture.h"
#include "omni/csat.h"

namespace omni::testing {
void link_csat_conformance() {}
namespace {

using std::chrono::hours;

CsatAnswer answer(const World& w, ConversationId conversation, int score) {
  CsatAnswer a;
  a.tenant = w.tenant.id;
  a.conversation = conversation;
  a.score = score;
  return a;
}

TEST_CASE("csat: an answer per conversation, replaced by a later one", "[conformance][csat]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult r = w.receive(w.sms_from("+4915112345678", "s1"));
  OMNI_REQUIRE_OK(w.engine->assign(w.tenant.id, r.conversation, w.alice.id));
  OMNI_REQUIRE_OK(w.engine->resolve(w.tenant.id, r.conversation));
  CHECK(w.engine->get_csat(w.tenant.id, r.conversation).status().code() == StatusCode::kNotFound);
  const std::size_t timeline = w.timeline_size(r.customer);

  CsatAnswer a = answer(w, r.conversation, 4);
  a.comment = "Schnell und freundlich – danke!";
  CsatResponse first = World::must(w.engine->record_csat(a));
  CHECK(first.agent == w.alice.id);  // the assignee at resolution
  CHECK(first.customer == r.customer);
  CHECK(first.channel_kind == ChannelKind::kSms);
  CHECK(first.responded_at == w.clock.now());
  CsatResponse stored = World::must(w.engine->get_csat(w.tenant.id, r.conversation));
  CHECK(stored.score == 4);
  CHECK(stored.comment == a.comment);
  CHECK(stored.agent == w.alice.id);
  auto events = World::must(w.engine->events(w.tenant.id, 0, 500));
  CHECK(events.back().type == "csat.recorded");
  CHECK(events.back().conversation == r.conversation);
  CHECK(events.back().payload.find("\"replaced\":0") != std::string::npos);

  // A later answer replaces it; the rated agent may be named.
  w.clock.advance(hours(1));
  CsatAnswer b = answer(w, r.conversation, 2);
  b.agent = w.bob.id;
  b.channel_kind = ChannelKind::kEmail;
  World::must(w.engine->record_csat(b));
  stored = World::must(w.engine->get_csat(w.tenant.id, r.conversation));
  CHECK(stored.score == 2);
  CHECK(stored.comment.empty());
  CHECK(stored.agent == w.bob.id);
  CHECK(stored.channel_kind == ChannelKind::kEmail);
  events = World::must(w.engine->events(w.tenant.id, 0, 500));
  CHECK(events.back().type == "csat.recorded");
  CHECK(events.back().payload.find("\"replaced\":1") != std::string::npos);
  CsatQuery all{w.tenant.id, t0(), t0() + hours(24), std::nullopt, std::nullopt};
  CHECK(World::must(w.engine->csat_summary(all)).count == 1);
  // Off the timeline: a survey answer is feedback, not a touchpoint.
  CHECK(w.timeline_size(r.customer) == timeline);
}

TEST_CASE("csat: validation and tenant isolation", "[conformance][csat]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  ReceiveResult r = w.receive(w.sms_from("+4915112345678", "s1"));
  for (int score : {0, 6, -1}) {
    auto bad = w.engine->record_csat(answer(w, r.conversation, score));
    CHECK(bad.status().code() == StatusCode::kInvalidArgument);
    CHECK(bad.status().field() == "score");
  }
  CsatAnswer long_comment = answer(w, r.conversation, 5);
  long_comment.comment = std::string(kMaxCsatCommentBytes + 1, 'x');
  CHECK(w.engine->record_csat(long_comment).status().code() == StatusCode::kResourceExhausted);
  long_comment.comment = std::string(kMaxCsatCommentBytes, 'x');
  OMNI_REQUIRE_OK(w.engine->record_csat(long_comment));
  CsatAnswer bad_utf8 = answer(w, r.conversation, 5);
  bad_utf8.comment = "\xff\xfe";
  CHECK(w.engine->record_csat(bad_utf8).status().code() == StatusCode::kInvalidArgument);
  CHECK(w.engine->record_csat(answer(w, ConversationId(999999), 3)).status().code() ==
        StatusCode::kNotFound);
  CsatAnswer unknown_agent = answer(w, r.conversation, 3);
  unknown_agent.agent = AgentId(999999);
  CHECK(w.engine->record_csat(unknown_agent).status().code() == StatusCode::kNotFound);
  CsatQuery backwards{w.tenant.id, t0() + hours(1), t0(), std::nullopt, std::nullopt};
  CHECK(w.engine->csat_summary(backwards).status().code() == StatusCode::kInvalidArgument);

  // Another tenant neither writes nor reads acme's answers.
  Tenant other = World::must(w.engine->create_tenant("globex"));
  CsatAnswer foreign = answer(w, r.conversation, 1);
  foreign.tenant = other.id;
  CHECK(w.engine->record_csat(foreign).status().code() == StatusCode::kNotFound);
  CHECK(w.engine->get_csat(other.id, r.conversation).status().code() == StatusCode::kNotFound);
  CsatQuery theirs{other.id, t0(), t0() + hours(24), std::nullopt, std::nullopt};
  CHECK(World::must(w.engine->csat_summary(theirs)).count == 0);
  CHECK(World::must(w.engine->get_csat(w.tenant.id, r.conversation)).score == 5);
}

TEST_CASE("csat: the summary of a fixed data set, per agent and channel kind",
          "[conformance][csat]") {
  OMNI_FOR_EACH_BACKEND(backend);
  World w(backend);
  // Five conversations of five customers on SMS: alice had 1, 2 and 5, bob 3 and 4.
  std::vector<ConversationId> c;
  for (int i = 0; i < 5; ++i) {
    ReceiveResult r =
        w.receive(w.sms_from("+49151123456" + std::to_string(70 + i), "s" + std::to_string(i)));
    OMNI_REQUIRE_OK(
        w.engine->assign(w.tenant.id, r.conversation, i == 2 || i == 3 ? w.bob.id : w.alice.id));
    c.push_back(r.conversation);
  }
  auto record = [&](int i, int score, int hour, std::optional<ChannelKind> kind = std::nullopt) {
    CsatAnswer a = answer(w, c[static_cast<std::size_t>(i)], score);
    a.responded_at = t0() + hours(hour);
    a.channel_kind = kind;
    World::must(w.engine->record_csat(a));
  };
  record(0, 5, 1);
  record(1, 4, 2);
  record(2, 2, 3);
  record(3, 1, 4, ChannelKind::kEmail);
  record(4, 3, 30);  // outside the day

  CsatQuery day{w.tenant.id, t0(), t0() + hours(24), std::nullopt, std::nullopt};
  CsatSummary s = World::must(w.engine->csat_summary(day));
  CHECK(s.count == 4);
  CHECK(s.average == Approx(3.0));  // (5 + 4 + 2 + 1) / 4
  CHECK(s.distribution == std::array<std::int64_t, 5>{1, 1, 0, 1, 1});
  CHECK(s.csat_percent == Approx(50.0));  // 4 and 5: two of four

  CsatQuery alice = day;
  alice.agent = w.alice.id;
  s = World::must(w.engine->csat_summary(alice));
  CHECK(s.count == 2);
  CHECK(s.average == Approx(4.5));
  CHECK(s.csat_percent == Approx(100.0));

  CsatQuery bob = day;
  bob.agent = w.bob.id;
  s = World::must(w.engine->csat_summary(bob));
  CHECK(s.count == 2);
  CHECK(s.average == Approx(1.5));
  CHECK(s.distribution == std::array<std::int64_t, 5>{1, 1, 0, 0, 0});
  CHECK(s.csat_percent == Approx(0.0));

  CsatQuery sms = day;
  sms.channel_kind = ChannelKind::kSms;
  s = World::must(w.engine->csat_summary(sms));
  CHECK(s.count == 3);
  CHECK(s.average == Approx(11.0 / 3.0));
  CHECK(s.csat_percent == Approx(200.0 / 3.0));

  CsatQuery bob_sms = sms;
  bob_sms.agent = w.bob.id;
  CHECK(World::must(w.engine->csat_summary(bob_sms)).count == 1);

  // The whole range: the 30th hour counts; from == to is empty.
  CsatQuery two_days{w.tenant.id, t0(), t0() + hours(48), std::nullopt, std::nullopt};
  s = World::must(w.engine->csat_summary(two_days));
  CHECK(s.count == 5);
  CHECK(s.average == Approx(3.0));
  CsatQuery empty{w.tenant.id, t0(), t0(), std::nullopt, std::nullopt};
  s = World::must(w.engine->csat_summary(empty));
  CHECK(s.count == 0);
  CHECK(s.average == 0.0);
  CHECK(s.csat_percent == 0.0);

  // Bob's low score is replaced: the summary follows.
  record(2, 5, 3);
  s = World::must(w.engine->csat_summary(day));
  CHECK(s.count == 4);
  CHECK(s.average == Approx(3.75));
  CHECK(s.distribution == std::array<std::int64_t, 5>{1, 0, 0, 1, 2});
  CHECK(s.csat_percent == Approx(75.0));
}

}  // namespace
}  // namespace omni::testing
