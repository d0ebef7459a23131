// Contact policy: quiet hours in the customer's time zone, consent keywords and channel ranking.
// Expected instants are written in UTC with the local time they stand for in a comment.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "contact_policy.h"
#include "omni/contact.h"
#include "omni/fit.h"

using namespace omni;
using namespace omni::detail;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

Timestamp utc(const std::string& text) {
  auto parsed = parse_timestamp(text);
  REQUIRE(parsed.ok());
  return *parsed;
}

ContactPreferences quiet_prefs(std::string zone, minutes start = hours(22),
                               minutes end = hours(8)) {
  ContactPreferences p;
  p.time_zone = std::move(zone);
  p.quiet_hours = QuietHours{start, end};
  return p;
}

QuietState quiet_at(const ContactPreferences& p, Timestamp now) {
  auto state = quiet_state(p, now);
  INFO(state.status().to_string());
  REQUIRE(state.ok());
  return *state;
}

std::string field_of(const ContactPreferences& p) {
  Status s = validate_preferences(p);
  CHECK(s.is(StatusCode::kInvalidArgument));
  return s.field();
}

// Channel ids: 1 email, 2 SMS, 3 WhatsApp, 4 letter, 5 phone, 6 live chat, 7 forum,
// 8 secure email (portal mail).
ChannelCandidate candidate(std::int64_t id, ChannelKind kind, std::string name) {
  ChannelCandidate c;
  c.channel.id = ChannelId(id);
  c.channel.kind = kind;
  c.channel.name = std::move(name);
  c.channel.profile = default_profile(kind);
  c.reachable = true;
  return c;
}

Consent consent(ChannelKind kind, ConsentState state, std::string source, std::string evidence,
                const std::string& at) {
  Consent c;
  c.channel_kind = kind;
  c.state = state;
  c.source = std::move(source);
  c.evidence = std::move(evidence);
  c.changed_at = utc(at);
  return c;
}

ChannelCandidate email() {
  return candidate(1, ChannelKind::kEmail, "support@example.com");
}
ChannelCandidate sms(bool consented = true) {
  ChannelCandidate c = candidate(2, ChannelKind::kSms, "+4930123456");
  if (consented) {
    c.consent = consent(ChannelKind::kSms, ConsentState::kGranted, "inbound_message", "4711",
                        "2026-10-01T10:00:00Z");
  }
  return c;
}
ChannelCandidate whatsapp() {
  ChannelCandidate c = candidate(3, ChannelKind::kWhatsApp, "wa-business");
  c.consent = consent(ChannelKind::kWhatsApp, ConsentState::kGranted, "web_form", "form-991",
                      "2026-11-02T09:30:00Z");
  return c;
}
ChannelCandidate letter() {
  return candidate(4, ChannelKind::kLetter, "postal");
}
ChannelCandidate phone() {
  return candidate(5, ChannelKind::kPhone, "hotline");
}
ChannelCandidate live_chat() {
  return candidate(6, ChannelKind::kLiveChat, "site-chat");
}

std::vector<std::int64_t> order(const ChannelChoice& choice) {
  std::vector<std::int64_t> ids;
  for (const auto& o : choice.options)
    ids.push_back(o.channel.value());
  return ids;
}

const ChannelOption& option(const ChannelChoice& choice, std::int64_t id) {
  for (const auto& o : choice.options) {
    if (o.channel.value() == id) return o;
  }
  FAIL("no option for channel " << id);
  return choice.options.front();
}

using Reasons = std::vector<std::string>;

// The preference ranks of a customer who listed `kinds`, best first.
void prefer(std::vector<ChannelCandidate>& candidates, const std::vector<ChannelKind>& kinds) {
  for (auto& c : candidates) {
    c.preference_rank = -1;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      if (kinds[i] == c.channel.kind) c.preference_rank = static_cast<int>(i);
    }
  }
}

FitReport fit(const std::string& text, const ChannelProfile& profile) {
  auto report = fit_text(text, profile);
  REQUIRE(report.ok());
  return *report;
}

// 23:14 in Berlin on Friday 2026-11-20 (CET, UTC+1).
const char* const kBerlinNight = "2026-11-20T22:14:00Z";

}  // namespace

TEST_CASE("contact enums have stable names", "[contact]") {
  CHECK(to_string(ConsentState::kGranted) == "granted");
  CHECK(to_string(ConsentState::kWithdrawn) == "withdrawn");
  CHECK(parse_consent_state("withdrawn") == ConsentState::kWithdrawn);
  CHECK_FALSE(parse_consent_state("Granted"));
  for (Urgency u : {Urgency::kLow, Urgency::kNormal, Urgency::kHigh, Urgency::kCritical}) {
    CHECK(parse_urgency(to_string(u)) == u);
  }
  CHECK(to_string(Urgency::kCritical) == "critical");
  CHECK_FALSE(parse_urgency("urgent"));
}

TEST_CASE("preferences are validated field by field", "[contact]") {
  CHECK(validate_preferences(ContactPreferences{}).ok());
  ContactPreferences good = quiet_prefs("Europe/Berlin");
  good.language = "en-GB";
  good.channels = {ChannelKind::kWhatsApp, ChannelKind::kEmail};
  CHECK(validate_preferences(good).ok());

  SECTION("time zone") {
    ContactPreferences p;
    p.time_zone = "Mars/Olympus_Mons";
    CHECK(field_of(p) == "preferences.time_zone");
    p.time_zone = "America/New_York";
    CHECK(validate_preferences(p).ok());
    // Quiet hours need a zone.
    ContactPreferences no_zone = quiet_prefs("");
    CHECK(field_of(no_zone) == "preferences.time_zone");
  }
  SECTION("quiet hours") {
    CHECK(field_of(quiet_prefs("Europe/Berlin", hours(8), hours(8))) == "preferences.quiet_hours");
    CHECK(field_of(quiet_prefs("Europe/Berlin", hours(22), hours(24))) ==
          "preferences.quiet_hours");
    CHECK(field_of(quiet_prefs("Europe/Berlin", minutes(-1), hours(8))) ==
          "preferences.quiet_hours");
    CHECK(validate_preferences(quiet_prefs("Europe/Berlin", hours(0), minutes(23 * 60 + 59))).ok());
  }
  SECTION("language") {
    for (const char* ok : {"de", "en-GB", "zh-Hant-TW", "es-419", "gsw", "sl-rozaj-biske"}) {
      ContactPreferences p;
      p.language = ok;
      INFO(ok);
      CHECK(validate_preferences(p).ok());
    }
    for (const char* bad :
         {"e", "english", "en_GB", "12", "en--GB", "en-", "-en", "de-toolongsubtag", "d\xc3\xa9"}) {
      ContactPreferences p;
      p.language = bad;
      INFO(bad);
      CHECK(field_of(p) == "preferences.language");
    }
  }
  SECTION("channels") {
    ContactPreferences p;
    p.channels = {ChannelKind::kSms, ChannelKind::kEmail, ChannelKind::kSms};
    CHECK(field_of(p) == "preferences.channels");
  }
}

TEST_CASE("quiet hours follow the customer's time zone", "[contact]") {
  const Timestamp now = utc(kBerlinNight);

  SECTION("Berlin at 23:14 is quiet until 08:00 local the next morning") {
    QuietState s = quiet_at(quiet_prefs("Europe/Berlin"), now);
    CHECK(s.quiet);
    CHECK(s.ends_at == utc("2026-11-21T07:00:00Z"));  // 08:00 CET
    CHECK(s.describe == "quiet hours 22:00-08:00 Europe/Berlin (now 23:14 local)");
    CHECK(s.ends_at_local == "08:00");
  }
  SECTION("the same instant is 17:14 in New York: not quiet") {
    QuietState s = quiet_at(quiet_prefs("America/New_York"), now);
    CHECK_FALSE(s.quiet);
    CHECK(s.ends_at == now);
    CHECK(s.describe == "quiet hours 22:00-08:00 America/New_York (now 17:14 local)");
  }
  SECTION("Sydney in summer time (AEDT, UTC+11)") {
    // The same instant is 09:14 on Saturday in Sydney: awake.
    CHECK_FALSE(quiet_at(quiet_prefs("Australia/Sydney"), now).quiet);
    // 23:30 AEDT on 2026-11-20.
    QuietState s = quiet_at(quiet_prefs("Australia/Sydney"), utc("2026-11-20T12:30:00Z"));
    CHECK(s.quiet);
    CHECK(s.ends_at == utc("2026-11-20T21:00:00Z"));  // 08:00 AEDT on 2026-11-21
    CHECK(s.describe == "quiet hours 22:00-08:00 Australia/Sydney (now 23:30 local)");
  }
  SECTION("a span that does not cross midnight: 12:00-14:00") {
    const ContactPreferences p = quiet_prefs("Europe/Berlin", hours(12), hours(14));
    CHECK_FALSE(quiet_at(p, utc("2026-11-20T10:59:00Z")).quiet);  // 11:59
    QuietState noon = quiet_at(p, utc("2026-11-20T11:00:00Z"));   // 12:00
    CHECK(noon.quiet);
    CHECK(noon.ends_at == utc("2026-11-20T13:00:00Z"));  // 14:00
    CHECK(quiet_at(p, utc("2026-11-20T12:59:59Z")).quiet);
    CHECK_FALSE(quiet_at(p, utc("2026-11-20T13:00:00Z")).quiet);  // 14:00: end is exclusive
    CHECK_FALSE(quiet_at(p, now).quiet);                          // 23:14
  }
  SECTION("a span starting at midnight: 00:00-06:00") {
    const ContactPreferences p = quiet_prefs("Europe/Berlin", hours(0), hours(6));
    CHECK(quiet_at(p, utc("2026-11-20T23:00:00Z")).quiet);  // 00:00 on the 21st
    CHECK_FALSE(quiet_at(p, now).quiet);
  }
  SECTION("the night clocks spring forward in Berlin (2026-03-29)") {
    // 23:30 CET on Saturday 2026-03-28; the night is an hour short.
    QuietState s = quiet_at(quiet_prefs("Europe/Berlin"), utc("2026-03-28T22:30:00Z"));
    CHECK(s.quiet);
    CHECK(s.ends_at == utc("2026-03-29T06:00:00Z"));  // 08:00 CEST
    CHECK(s.ends_at_local == "08:00");
    // 07:59 CEST is still quiet, 08:00 CEST is not.
    CHECK(quiet_at(quiet_prefs("Europe/Berlin"), utc("2026-03-29T05:59:00Z")).quiet);
    CHECK_FALSE(quiet_at(quiet_prefs("Europe/Berlin"), utc("2026-03-29T06:00:00Z")).quiet);
  }
  SECTION("the night clocks fall back in Berlin (2026-10-25)") {
    // 23:00 CEST on 2026-10-24; the night is an hour long.
    QuietState s = quiet_at(quiet_prefs("Europe/Berlin"), utc("2026-10-24T21:00:00Z"));
    CHECK(s.quiet);
    CHECK(s.ends_at == utc("2026-10-25T07:00:00Z"));  // 08:00 CET
  }
  SECTION("no quiet hours: never quiet") {
    ContactPreferences p;
    p.time_zone = "Europe/Berlin";
    QuietState s = quiet_at(p, now);
    CHECK_FALSE(s.quiet);
    CHECK(s.ends_at == now);
    CHECK(s.describe.empty());
  }
  SECTION("invalid quiet hours are errors") {
    auto s = quiet_state(quiet_prefs("Nowhere/Atlantis"), now);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().field() == "preferences.time_zone");
    auto t = quiet_state(quiet_prefs("Europe/Berlin", hours(3), hours(3)), now);
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().field() == "preferences.quiet_hours");
  }
  SECTION("concurrent callers") {
    std::vector<std::thread> threads;
    std::vector<int> quiet_count(4, 0);
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        const ContactPreferences p = quiet_prefs(i % 2 ? "Europe/Berlin" : "Asia/Tokyo");
        for (int n = 0; n < 200; ++n) {
          auto s = quiet_state(p, now + minutes(n));
          if (s.ok() && s->quiet) ++quiet_count[static_cast<std::size_t>(i)];
        }
      });
    }
    for (auto& t : threads)
      t.join();
    // Berlin: 23:14 onwards, quiet all 200 minutes; Tokyo: 07:14 onwards, quiet 46 minutes.
    CHECK(quiet_count == std::vector<int>{46, 200, 46, 200});
  }
}

TEST_CASE("consent keywords", "[contact]") {
  const auto& out = default_opt_out_keywords();
  const auto& in = default_opt_in_keywords();
  CHECK(out == std::vector<std::string>{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
                                        "REVOKE", "OPTOUT"});
  CHECK(in == std::vector<std::string>{"START", "YES", "UNSTOP"});

  auto classify = [&](std::string_view body) { return classify_consent_keyword(body, out, in); };
  CHECK(classify("STOP") == ConsentKeyword::kOptOut);
  CHECK(classify(" stop. ") == ConsentKeyword::kOptOut);
  CHECK(classify("Stop!") == ConsentKeyword::kOptOut);
  CHECK(classify("stop!!! ") == ConsentKeyword::kOptOut);
  CHECK(classify("\t Unsubscribe\r\n") == ConsentKeyword::kOptOut);
  CHECK(classify("\xc2\xa0STOP\xe3\x80\x80") == ConsentKeyword::kOptOut);  // NBSP, ideographic
  CHECK(classify("STOP\xef\xbc\x81") == ConsentKeyword::kOptOut);          // fullwidth "!"
  CHECK(classify("optout") == ConsentKeyword::kOptOut);
  CHECK(classify("STOP please") == ConsentKeyword::kNone);
  CHECK(classify("please stop") == ConsentKeyword::kNone);
  CHECK(classify("STOPP") == ConsentKeyword::kNone);
  CHECK(classify("ST\xc3\x96P") == ConsentKeyword::kNone);  // "STÖP"
  CHECK(classify(".STOP") == ConsentKeyword::kNone);        // only trailing punctuation goes
  CHECK(classify("start") == ConsentKeyword::kOptIn);
  CHECK(classify("UNSTOP") == ConsentKeyword::kOptIn);
  CHECK(classify("Yes.") == ConsentKeyword::kOptIn);
  CHECK(classify("") == ConsentKeyword::kNone);
  CHECK(classify("  !! ") == ConsentKeyword::kNone);
  CHECK(classify("STOP\xff") == ConsentKeyword::kNone);  // malformed UTF-8

  // Host lists: any case; a word in both lists opts out.
  const std::vector<std::string> custom_out{"abmelden", "both"};
  const std::vector<std::string> custom_in{"ANMELDEN", "both"};
  CHECK(classify_consent_keyword("Abmelden", custom_out, custom_in) == ConsentKeyword::kOptOut);
  CHECK(classify_consent_keyword("anmelden", custom_out, custom_in) == ConsentKeyword::kOptIn);
  CHECK(classify_consent_keyword("BOTH", custom_out, custom_in) == ConsentKeyword::kOptOut);
  CHECK(classify_consent_keyword("STOP", custom_out, custom_in) == ConsentKeyword::kNone);
}

TEST_CASE("notification channel ranking", "[contact]") {
  RankRequest request;
  request.mode = RankMode::kNotification;
  request.now = utc(kBerlinNight);

  SECTION("(a) prefers WhatsApp with consent: WhatsApp") {
    std::vector<ChannelCandidate> cs{email(), sms(), whatsapp()};
    prefer(cs, {ChannelKind::kWhatsApp, ChannelKind::kEmail});
    ChannelChoice choice = rank_channels(cs, request);
    CHECK(order(choice) == std::vector<std::int64_t>{3, 1, 2});
    REQUIRE(choice.chosen() != nullptr);
    CHECK(choice.chosen()->kind == ChannelKind::kWhatsApp);
    CHECK(choice.chosen()->channel_name == "wa-business");
    CHECK(choice.options[0].reasons == Reasons{"preferred channel #1",
                                               "consent granted (web_form, 2026-11-02)",
                                               "\u2248 1 unit (1 message)"});
    CHECK(choice.options[1].reasons == Reasons{"preferred channel #2", "no cost"});
    CHECK(choice.options[2].reasons == Reasons{"not among the customer's preferred channels",
                                               "consent granted (inbound_message, 2026-10-01)",
                                               "\u2248 1 unit (1 SMS segment)"});
    for (const auto& o : choice.options) {
      CHECK(o.eligible);
      CHECK_FALSE(o.deliver_at);
    }
  }

  SECTION("(b) WhatsApp consent withdrawn: excluded, email chosen") {
    std::vector<ChannelCandidate> cs{email(), sms(false), whatsapp()};
    cs[2].consent = consent(ChannelKind::kWhatsApp, ConsentState::kWithdrawn, "keyword", "STOP",
                            "2026-11-20T08:00:00Z");
    prefer(cs, {ChannelKind::kWhatsApp, ChannelKind::kEmail});
    ChannelChoice choice = rank_channels(cs, request);
    // Excluded: WhatsApp (preferred #1) before SMS (unlisted).
    CHECK(order(choice) == std::vector<std::int64_t>{1, 3, 2});
    CHECK(choice.chosen()->kind == ChannelKind::kEmail);
    CHECK_FALSE(option(choice, 3).eligible);
    CHECK(option(choice, 3).reasons == Reasons{"consent withdrawn (keyword STOP, 2026-11-20)"});
    CHECK_FALSE(option(choice, 2).eligible);
    CHECK(option(choice, 2).reasons == Reasons{"no consent for SMS on this address"});
    // A withdrawal counts even where the profile does not require consent.
    std::vector<ChannelCandidate> mail{email()};
    mail[0].consent =
        consent(ChannelKind::kEmail, ConsentState::kWithdrawn, "agent", "", "2026-11-19T08:00:00Z");
    ChannelChoice none = rank_channels(mail, request);
    CHECK(none.chosen() == nullptr);
    CHECK(none.options[0].reasons == Reasons{"consent withdrawn (agent, 2026-11-19)"});
  }

  SECTION("(c) quiet hours at night") {
    std::vector<ChannelCandidate> cs{email(), sms(), whatsapp()};
    prefer(cs, {ChannelKind::kWhatsApp, ChannelKind::kEmail});
    request.quiet = quiet_at(quiet_prefs("Europe/Berlin"), request.now);
    const Timestamp morning = utc("2026-11-21T07:00:00Z");  // 08:00 CET
    const std::string deferred =
        "quiet hours 22:00-08:00 Europe/Berlin (now 23:14 local): delivered at 08:00 local";

    SECTION("normal: the preferred WhatsApp, deferred to 08:00, still comes first") {
      ChannelChoice choice = rank_channels(cs, request);
      CHECK(order(choice) == std::vector<std::int64_t>{3, 1, 2});
      const ChannelOption& wa = *choice.chosen();
      CHECK(wa.deliver_at == morning);
      CHECK(wa.reasons == Reasons{"preferred channel #1", "consent granted (web_form, 2026-11-02)",
                                  deferred, "\u2248 1 unit (1 message)"});
      CHECK_FALSE(option(choice, 1).deliver_at);
      CHECK(option(choice, 1).reasons == Reasons{"preferred channel #2",
                                                 "does not interrupt: quiet hours do not apply",
                                                 "no cost"});
      CHECK(option(choice, 2).deliver_at == morning);
    }
    SECTION("low urgency: the same") {
      request.urgency = Urgency::kLow;
      CHECK(order(rank_channels(cs, request)) == std::vector<std::int64_t>{3, 1, 2});
    }
    SECTION("high: email now beats WhatsApp deferred") {
      request.urgency = Urgency::kHigh;
      ChannelChoice choice = rank_channels(cs, request);
      // Email (now), then the deferred instant ones by preference: WhatsApp, SMS.
      CHECK(order(choice) == std::vector<std::int64_t>{1, 3, 2});
      CHECK_FALSE(choice.chosen()->deliver_at);
      CHECK(choice.chosen()->reasons == Reasons{"preferred channel #2",
                                                "does not interrupt: quiet hours do not apply",
                                                "not instant: may be read much later", "no cost"});
      CHECK(option(choice, 3).reasons ==
            Reasons{"preferred channel #1", "consent granted (web_form, 2026-11-02)", deferred,
                    "reaches the customer at once", "\u2248 1 unit (1 message)"});
    }
    SECTION("(d) critical: SMS and WhatsApp now, quiet hours do not apply") {
      request.urgency = Urgency::kCritical;
      prefer(cs, {ChannelKind::kEmail});
      ChannelChoice choice = rank_channels(cs, request);
      // Instant before preference; SMS and WhatsApp cost the same: channel id decides.
      CHECK(order(choice) == std::vector<std::int64_t>{2, 3, 1});
      CHECK_FALSE(choice.options[0].deliver_at);
      CHECK_FALSE(choice.options[1].deliver_at);
      CHECK(option(choice, 3).reasons ==
            Reasons{"not among the customer's preferred channels",
                    "consent granted (web_form, 2026-11-02)", "critical: quiet hours do not apply",
                    "reaches the customer at once", "\u2248 1 unit (1 message)"});
      CHECK(option(choice, 1).reasons == Reasons{"preferred channel #1",
                                                 "does not interrupt: quiet hours do not apply",
                                                 "not instant: may be read much later", "no cost"});
    }
  }

  SECTION("critical in the daytime: instant channels, then by preference") {
    request.urgency = Urgency::kCritical;
    std::vector<ChannelCandidate> cs{email(), sms(), whatsapp()};
    prefer(cs, {ChannelKind::kEmail, ChannelKind::kWhatsApp});
    CHECK(order(rank_channels(cs, request)) == std::vector<std::int64_t>{3, 2, 1});
  }

  SECTION("(e) sensitive: only secure channels") {
    request.sensitive = true;
    ChannelCandidate portal = candidate(8, ChannelKind::kEmail, "secure-mail");
    portal.channel.profile.secure = true;
    portal.channel.own_profile = true;
    std::vector<ChannelCandidate> cs{email(), sms(), whatsapp(), letter(), portal};
    prefer(cs, {ChannelKind::kWhatsApp});
    ChannelChoice choice = rank_channels(cs, request);
    // Eligible: secure mail (no cost) before the letter (20); excluded: WhatsApp (preferred)
    // first, then by id.
    CHECK(order(choice) == std::vector<std::int64_t>{8, 4, 3, 1, 2});
    CHECK(option(choice, 8).eligible);
    CHECK(option(choice, 4).eligible);
    CHECK(option(choice, 4).cost == 20);
    CHECK(option(choice, 4).reasons ==
          Reasons{"not among the customer's preferred channels", "\u2248 20 units (1 message)"});
    for (std::int64_t id : {3, 1, 2}) {
      CHECK_FALSE(option(choice, id).eligible);
      CHECK(option(choice, id).reasons ==
            Reasons{"not a secure channel; the message is sensitive"});
    }
  }

  SECTION("(f) fit and cost") {
    const std::string long_text(400, 'a');    // GSM-7: 3 segments of 153
    const std::string medium_text(200, 'a');  // GSM-7: 2 segments
    SECTION("a text needing 3 SMS segments where 1 is allowed: excluded") {
      ChannelCandidate one_part = sms();
      one_part.channel.profile.max_parts = 1;
      one_part.fit = fit(long_text, one_part.channel.profile);
      ChannelCandidate mail = email();
      mail.fit = fit(long_text, mail.channel.profile);
      std::vector<ChannelCandidate> cs{one_part, mail};
      prefer(cs, {ChannelKind::kSms});
      ChannelChoice choice = rank_channels(cs, request);
      CHECK(order(choice) == std::vector<std::int64_t>{1, 2});
      const ChannelOption& s = option(choice, 2);
      CHECK_FALSE(s.eligible);
      CHECK(s.segments == 3);
      CHECK(s.cost == 3);
      REQUIRE(s.reasons.size() == 1);
      CHECK(s.reasons[0] == check_fit(*one_part.fit).message());
      CHECK(s.reasons[0].find("3 SMS segments") != std::string::npos);
    }
    SECTION("without preferences the cheapest wins: email, WhatsApp, SMS of 2 segments") {
      ChannelCandidate text = sms();
      text.fit = fit(medium_text, text.channel.profile);
      ChannelCandidate wa = whatsapp();
      wa.fit = fit(medium_text, wa.channel.profile);
      ChannelCandidate mail = email();
      mail.fit = fit(medium_text, mail.channel.profile);
      ChannelChoice choice = rank_channels({text, wa, mail}, request);
      CHECK(order(choice) == std::vector<std::int64_t>{1, 3, 2});
      const ChannelOption& s = option(choice, 2);
      CHECK(s.segments == 2);
      CHECK(s.cost == 2);
      CHECK(s.reasons.back() == "\u2248 2 units (2 SMS segments)");
      CHECK(option(choice, 1).cost == 0);
      CHECK(option(choice, 1).segments == 1);
    }
  }

  SECTION("(h) no adapter, unreachable, kinds that cannot carry a notification") {
    ChannelCandidate wa = whatsapp();
    wa.adapter = false;
    ChannelCandidate text = sms();
    text.reachable = false;
    text.unreachable_reason = "no phone number on file";
    ChannelCandidate forum = candidate(7, ChannelKind::kForum, "community");
    std::vector<ChannelCandidate> cs{email(), text, wa, phone(), live_chat(), forum};
    prefer(cs, {ChannelKind::kWhatsApp, ChannelKind::kPhone});
    ChannelChoice choice = rank_channels(cs, request);
    CHECK(order(choice) == std::vector<std::int64_t>{1, 3, 5, 2, 6, 7});
    CHECK(choice.chosen()->kind == ChannelKind::kEmail);
    CHECK(option(choice, 3).reasons == Reasons{"no adapter registered for this channel"});
    CHECK(option(choice, 2).reasons == Reasons{"no phone number on file"});
    CHECK(option(choice, 5).reasons == Reasons{"phone cannot carry a written notification"});
    CHECK(option(choice, 6).reasons == Reasons{"live chat cannot carry a written notification"});
    CHECK(option(choice, 7).reasons ==
          Reasons{"a forum is public: not for a message to one customer"});
  }

  SECTION("nothing eligible: no choice") {
    ChannelCandidate wa = whatsapp();
    wa.reachable = false;
    ChannelChoice choice = rank_channels({wa}, request);
    CHECK(choice.chosen() == nullptr);
    CHECK(choice.options[0].reasons == Reasons{"no address on file for WhatsApp"});
    CHECK(rank_channels({}, request).chosen() == nullptr);
  }
}

TEST_CASE("follow-up channel ranking", "[contact]") {
  RankRequest request;
  request.mode = RankMode::kFollowUp;
  request.now = utc("2026-11-20T10:00:00Z");  // 11:00 in Berlin

  std::vector<ChannelCandidate> cs{email(), sms(), phone(), live_chat()};
  prefer(cs, {ChannelKind::kEmail, ChannelKind::kSms});

  SECTION("normal: by preference; live chat only while the customer is there") {
    ChannelChoice choice = rank_channels(cs, request);
    CHECK(order(choice) == std::vector<std::int64_t>{1, 2, 5, 6});
    CHECK(option(choice, 1).reasons == Reasons{"preferred channel #1"});  // no cost line
    CHECK(option(choice, 1).segments == 0);
    CHECK(option(choice, 1).cost == 0);
    CHECK_FALSE(option(choice, 6).eligible);
    CHECK(option(choice, 6).reasons ==
          Reasons{"live chat reaches the customer only while they are there (no active "
                  "conversation on it)"});
  }
  SECTION("(g) urgent: the phone first, a synchronous channel answers at once") {
    request.urgency = Urgency::kHigh;
    ChannelChoice choice = rank_channels(cs, request);
    CHECK(order(choice) == std::vector<std::int64_t>{5, 2, 1, 6});
    CHECK(choice.chosen()->reasons == Reasons{"not among the customer's preferred channels",
                                              "urgent: a synchronous channel answers at once"});
    CHECK(option(choice, 2).reasons == Reasons{"preferred channel #2",
                                               "consent granted (inbound_message, 2026-10-01)",
                                               "reaches the customer at once"});
  }
  SECTION("(g) urgent with the customer in the live chat: both synchronous channels first") {
    request.urgency = Urgency::kCritical;
    cs[3].on_active_conversation = true;
    prefer(cs, {ChannelKind::kLiveChat});
    ChannelChoice choice = rank_channels(cs, request);
    CHECK(order(choice) == std::vector<std::int64_t>{6, 5, 2, 1});
    CHECK(option(choice, 6).eligible);
  }
  SECTION("urgent at night: the phone waits for the morning, email goes now") {
    request.urgency = Urgency::kHigh;
    request.now = utc(kBerlinNight);
    request.quiet = quiet_at(quiet_prefs("Europe/Berlin"), request.now);
    ChannelChoice choice = rank_channels(cs, request);
    CHECK(order(choice) == std::vector<std::int64_t>{1, 5, 2, 6});
    CHECK(option(choice, 5).deliver_at == utc("2026-11-21T07:00:00Z"));
    CHECK(option(choice, 5).reasons ==
          Reasons{"not among the customer's preferred channels",
                  "quiet hours 22:00-08:00 Europe/Berlin (now 23:14 local): not before 08:00 "
                  "local",
                  "urgent: a synchronous channel answers at once"});
  }
  SECTION("sensitive: secure channels only (phone yes, email and SMS no)") {
    request.sensitive = true;
    ChannelChoice choice = rank_channels(cs, request);
    CHECK(order(choice) == std::vector<std::int64_t>{5, 1, 2, 6});
    CHECK(option(choice, 5).eligible);
    CHECK_FALSE(option(choice, 1).eligible);
    // Live chat fails twice: not there, and not secure.
    CHECK(option(choice, 6).reasons.size() == 2);
  }
  SECTION("no adapter does not matter for a follow-up; a forum never qualifies") {
    cs[0].adapter = false;
    cs.push_back(candidate(7, ChannelKind::kForum, "community"));
    ChannelChoice choice = rank_channels(cs, request);
    CHECK(option(choice, 1).eligible);
    CHECK(option(choice, 7).reasons ==
          Reasons{"a forum is public: not for a follow-up with one customer"});
  }
}
