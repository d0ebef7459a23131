// omni_demo — one customer journey across channels, end to end, on an embedded SQLite file.
//
//   omni_demo [database-path]        (default: omni-demo.db in the current directory)
//
// The file is deleted and recreated at the start of every run, so the output is the same each
// time; it is left behind afterwards for a look with `sqlite3` or the `omni` tool.
//
// The story (a ManualClock lets the days pass):
//   Day 1  Anna's router shows a red light. She reads a help-center article, asks the chat bot,
//          is escalated to Carla (bot -> human), and Carla calls her (chat -> phone) and takes
//          notes. Carla waits for the router's serial number (pending).
//   Day 4  Anna sends the serial number by Facebook Messenger. Ben picks the case up (agent
//          transfer) and sees the notes and the history without asking Anna again, then moves
//          her to a video call with Dana from the tech team (channel switch, warm: Dana
//          acknowledges), who resolves the case.
//   Day 9  Anna thanks them from her private email address, which omni has never seen: a new
//          customer. omni suggests the duplicate (her verified mobile number is in the email's
//          signature) and Ben merges the two, with a reason; her old and new ids both resolve.
// At each handoff the demo prints the context packet the receiving agent got, and at the end
// the unified timeline of every channel, oldest first.
//
// Uses only omni's public API, as an integrator would. Exits non-zero, printing the Status, when
// a step fails.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <omni/omni.h>

namespace {

using namespace std::chrono_literals;

// --- failing loudly

[[noreturn]] void fail(std::string_view step, const omni::Status& status) {
  fmt::print(stderr, "\nomni_demo: step \"{}\" failed: {}\n", step, status.to_string());
  std::exit(1);
}

void must(std::string_view step, const omni::Status& status) {
  if (!status.ok()) fail(step, status);
}

template <typename T>
T must(std::string_view step, omni::Result<T> result) {
  if (!result.ok()) fail(step, result.status());
  return std::move(result).value();
}

// --- printing

// At most `max_bytes` bytes of `text`, cut on a UTF-8 code point boundary, with "..." when cut.
std::string shorten(std::string_view text, std::size_t max_bytes) {
  std::string flat(text);
  for (char& c : flat) {
    if (c == '\n') c = ' ';
  }
  if (flat.size() <= max_bytes) return flat;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(flat[end]) & 0xC0) == 0x80)
    --end;
  return flat.substr(0, end) + "...";
}

// Splits `text` into lines of at most `width` bytes at spaces (a longer word stays whole).
std::vector<std::string> wrap(std::string_view text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
    start = end + 1;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

// "2026-03-02 09:14" from "2026-03-02T09:14:00Z".
std::string when(omni::Timestamp t) {
  std::string text = omni::format_timestamp(t);
  if (text.size() >= 16) text = text.substr(0, 10) + " " + text.substr(11, 5);
  return text;
}

void scene(std::string_view title) {
  fmt::print("\n{}\n{}\n", title, std::string(title.size(), '='));
}

void say(std::string_view line) {
  fmt::print("  {}\n", line);
}

void print_packet(const omni::ContextPacket& packet) {
  fmt::print("    customer:       {} (#{})\n", packet.customer_name, packet.customer.value());
  fmt::print(
      "    identities:     {}\n",
      packet.identities.empty() ? "-" : fmt::format("{}", fmt::join(packet.identities, ", ")));
  fmt::print("    conversation:   #{} \"{}\" ({})\n", packet.conversation.value(), packet.subject,
             packet.status);
  auto list = [](std::string_view label, const std::vector<std::string>& items) {
    if (items.empty()) {
      fmt::print("    {:<15} -\n", label);
      return;
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      std::vector<std::string> lines = wrap(items[i], 76);
      for (std::size_t k = 0; k < lines.size(); ++k) {
        fmt::print("    {:<15} {} {}\n", i == 0 && k == 0 ? label : "", k == 0 ? "-" : " ",
                   lines[k]);
      }
    }
  };
  list("open questions:", packet.open_questions);
  list("tried:", packet.tried);
  list("notes:", packet.notes);
  fmt::print("    recent ({}):\n", packet.recent.size());
  for (const omni::ContextEntry& entry : packet.recent) {
    fmt::print("      {}  {:<9} {:<13} {:<10} {}\n", when(entry.occurred_at),
               omni::to_string(entry.channel_kind), omni::to_string(entry.kind), entry.author,
               shorten(entry.excerpt, 60));
  }
}

// --- the demo

class Demo {
 public:
  explicit Demo(const std::string& path)
      : path_(path),
        clock_(must("parse start time", omni::parse_timestamp("2026-03-02T09:14:00Z"))) {}

  void run() {
    setup();
    day_one_knowledge_base();
    day_one_bot();
    day_one_escalation();
    day_one_phone_call();
    day_four_messenger();
    day_four_video();
    day_nine_private_email();
    unified_timeline();
    recap();
  }

 private:
  void setup() {
    scene("Setup");
    // A fresh file each run keeps the output deterministic. Every write below is idempotent
    // anyway (ensure_* and provider message ids), but agents are created, not ensured.
    for (const char* suffix : {"", "-wal", "-shm"})
      std::remove((path_ + suffix).c_str());

    omni::SqliteStoreOptions store_options;
    store_options.path = path_;
    store_options.durability = omni::Durability::kFull;
    auto store = must("open SQLite store", omni::open_sqlite_store(store_options));
    omni::EngineOptions options;
    options.clock = &clock_;
    engine_ = must("open engine", omni::Engine::open(std::move(store), options));
    say(fmt::format("database: {} (deleted and recreated at the start of every run)", path_));

    tenant_ = must("ensure tenant", engine_->ensure_tenant("acme-broadband")).id;
    web_ = channel(omni::ChannelKind::kWeb, "help.acme.example");
    chat_ = channel(omni::ChannelKind::kLiveChat, "chat.acme.example");
    phone_ = channel(omni::ChannelKind::kPhone, "+4930555010");
    messenger_ = channel(omni::ChannelKind::kMessenger, "fb-page-acme-broadband");
    video_ = channel(omni::ChannelKind::kVideo, "video.acme.example");
    email_ = channel(omni::ChannelKind::kEmail, "support@acme.example");

    bot_ = agent("Robo", omni::AgentKind::kBot, {"frontline"}, {"faq"});
    carla_ = agent("Carla", omni::AgentKind::kHuman, {"support"}, {"billing", "router"});
    ben_ = agent("Ben", omni::AgentKind::kHuman, {"support"}, {"router"});
    dana_ = agent("Dana", omni::AgentKind::kHuman, {"tech"}, {"router", "video"});
    say("tenant acme-broadband; channels web, live_chat, phone, messenger, video, email;");
    say("agents Robo (bot), Carla and Ben (support), Dana (tech)");

    // Routing offers new cases to the least-loaded agent, who has 30 seconds to accept; SLA
    // targets: a person answers a chat within 5 minutes, an email within 8 business hours.
    must("routing policy", engine_->set_routing_policy(tenant_, "", omni::RoutingPolicy{}));
    omni::SlaPolicy chat_sla;
    chat_sla.channel_kind = omni::ChannelKind::kLiveChat;
    chat_sla.first_response = 5min;
    must("chat SLA", engine_->set_sla_policy(tenant_, chat_sla));
    omni::SlaPolicy email_sla;
    email_sla.channel_kind = omni::ChannelKind::kEmail;
    email_sla.first_response = 8h;
    email_sla.hours = omni::BusinessHours::weekdays("Europe/Berlin", 9h, 17h);
    must("email SLA", engine_->set_sla_policy(tenant_, email_sla));
    say("routing: least loaded, offers time out after 30 s; SLA: first response within 5 min on "
        "live_chat, 8 business hours (Mon-Fri 09-17 Europe/Berlin) on email");
  }

  // Day 1, 09:14 — self-service first.
  void day_one_knowledge_base() {
    scene("Day 1, 09:14 - Anna searches the help center (web, kb_view)");
    at("2026-03-02T09:14:00Z");
    // Anna is logged in to the customer portal, so the portal reports her page views with her
    // CRM contact id (an identity scoped to the portal).
    omni::InboundMessage view = from_anna(web_, "web-kbview-8812", portal_id());
    view.kind = omni::TouchpointKind::kKnowledgeBaseView;
    view.subject = "Router LED is red after a firmware update";
    view.body =
        "Read article KB-231 \"Router LED is red after a firmware update\" (search: "
        "\"router red light\")";
    view.metadata = {{"article", "KB-231"}, {"search", "router red light"}};
    omni::ReceiveResult r = receive("receive kb_view", view);
    customer_ = r.customer;
    say(fmt::format("customer #{} {}; conversation: {}", r.customer.value(),
                    r.new_customer ? "(new)" : "(known)",
                    r.conversation.valid() ? "#" + std::to_string(r.conversation.value())
                                           : std::string("none (reading an article is "
                                                         "self-service, not a case)")));
    if (r.conversation.valid()) conversation_ = r.conversation;
    // The CRM contact behind the portal login has her verified mobile number: the host links it,
    // so a call or an SMS from that number is Anna too.
    omni::Identity phone =
        must("link phone",
             engine_->link_identity(tenant_, customer_, anna_phone(), true, "crm_contact"));
    say(fmt::format("linked {}:{} (verified, from the CRM contact)", omni::to_string(phone.kind),
                    phone.value));
  }

  // Day 1, 09:20 — the chat bot.
  void day_one_bot() {
    scene("Day 1, 09:20 - Anna asks the chat bot (live_chat, bot_turn)");
    at("2026-03-02T09:20:00Z");
    // The chat widget runs inside the logged-in portal too: the same portal identity.
    omni::InboundMessage ask = from_anna(chat_, "chat-7001", portal_id());
    ask.kind = omni::TouchpointKind::kBotTurn;
    ask.subject = "Red light on my router";
    ask.body = "Hi, my router has a red light since yesterday's update and the internet is down.";
    omni::ReceiveResult r = receive("receive bot turn", ask);
    conversation_ = r.conversation;
    say(fmt::format("conversation #{} {}", r.conversation.value(),
                    r.new_conversation ? "opened" : "continued"));
    // Routing offered the new case at once; the bot accepts its offer.
    omni::Conversation offered =
        must("conversation view", engine_->conversation_view(tenant_, conversation_)).conversation;
    if (offered.offered_to == bot_.id) {
      say(fmt::format(
          "routing offered it to {}, who accepts ({} s to accept)", bot_.name,
          std::chrono::duration_cast<std::chrono::seconds>(*offered.offer_expires_at - clock_.now())
              .count()));
      must("the bot accepts", engine_->accept_offer(tenant_, conversation_, bot_.id));
    } else {
      must("assign the bot", engine_->assign(tenant_, conversation_, bot_.id));
    }

    clock_.advance(20s);
    reply("bot reply", chat_, bot_,
          "Sorry to hear that! Please unplug the router for 30 seconds and plug it in again.");
    clock_.advance(3min);
    omni::InboundMessage again = from_anna(chat_, "chat-7002", portal_id());
    again.kind = omni::TouchpointKind::kBotTurn;
    again.body = "Did that twice, still red. Can I talk to a person, please?";
    receive("receive bot turn", again);
    clock_.advance(10s);
    reply("bot reply", chat_, bot_, "Of course. I'm handing you over to a colleague now.");
  }

  // Day 1, 09:24 — bot -> human.
  void day_one_escalation() {
    scene("Day 1, 09:24 - The bot escalates to Carla (handoff bot_to_human)");
    at("2026-03-02T09:24:00Z");
    omni::HandoffSpec spec;
    spec.tenant = tenant_;
    spec.conversation = conversation_;
    spec.kind = omni::HandoffKind::kBotToHuman;
    spec.to_agent = carla_.id;
    spec.reason = "Customer asked for a person; power cycle did not help";
    spec.open_questions = {"Why is the router LED red after the firmware update?"};
    spec.tried = {"Customer read KB-231", "Bot: power cycle (twice, no change)"};
    omni::Handoff handoff = must("record bot->human handoff", engine_->record_handoff(spec));
    show_handoff(handoff, carla_);

    clock_.advance(40s);
    reply("Carla's chat reply", chat_, carla_,
          "Hi Anna, I'm Carla. I've read what you tried. May I call you on your mobile right "
          "away? It's quicker to fix by voice.");
    clock_.advance(30s);
    omni::InboundMessage yes = from_anna(chat_, "chat-7003", portal_id());
    yes.body = "Yes please, call me.";
    receive("receive chat message", yes);
  }

  // Day 1, 09:26 — chat -> phone, the call and Carla's notes.
  void day_one_phone_call() {
    scene("Day 1, 09:26 - Carla calls Anna (handoff channel_switch chat -> phone)");
    at("2026-03-02T09:26:00Z");
    omni::HandoffSpec spec;
    spec.tenant = tenant_;
    spec.conversation = conversation_;
    spec.kind = omni::HandoffKind::kChannelSwitch;
    spec.to_channel = phone_;
    spec.reason = "Faster to troubleshoot by voice";
    spec.open_questions = {"Why is the router LED red after the firmware update?"};
    spec.tried = {"Power cycle"};
    omni::Handoff handoff = must("record chat->phone handoff", engine_->record_handoff(spec));
    show_handoff(handoff, carla_);

    clock_.advance(12min);
    omni::InteractionSpec call;
    call.tenant = tenant_;
    call.conversation = conversation_;
    call.channel = phone_;
    call.agent = carla_.id;
    call.kind = omni::TouchpointKind::kCall;
    call.started_at = clock_.now() - 12min;  // logged when it ended
    call.duration = 12min;
    call.body =
        "Outbound call, 12 min. Factory reset tried together: LED still red, WAN port "
        "gets no sync. Asked Anna for the serial number on the router's label.";
    must("log the call", engine_->log_interaction(call));
    say("call logged (12 min)");

    clock_.advance(2min);
    note(carla_,
         "Firmware 7.2 seems to have broken the WAN configuration; a factory reset did not "
         "help. If the serial is in batch 4471, the unit needs replacing.");
    note(carla_, "Anna prefers Facebook Messenger for updates; she works until 18:00.");
    must("set pending", engine_->set_pending(tenant_, conversation_));
    say("conversation pending: waiting for the serial number");
  }

  // Day 4, 18:05 — Messenger, another agent.
  void day_four_messenger() {
    scene("Day 4, 18:05 - Anna writes on Facebook Messenger; Ben picks it up");
    at("2026-03-05T18:05:00Z");
    // Messenger identifies Anna by a page-scoped id (PSID). On day 2 she used Messenger's
    // account linking in the portal, so the host learned her PSID and linked it to her.
    const omni::IdentityInput psid{omni::IdentityKind::kMessengerPsid, "104423",
                                   "6120045873311042"};
    omni::Identity linked = must("link PSID", engine_->link_identity(tenant_, customer_, psid, true,
                                                                     "messenger_account_linking"));
    say(fmt::format("(day 2) linked {}:{} (Messenger account linking)",
                    omni::to_string(linked.kind), linked.value));
    omni::InboundMessage dm = from_anna(messenger_, "m_fbmid.4471-22-9903", psid);
    dm.body =
        "Hi! Here's the serial number from the label: SN 4471-22-9903. The light is still "
        "red.";
    omni::ReceiveResult r = receive("receive Messenger message", dm);
    say(fmt::format("same customer #{}: {}; conversation #{} {}", r.customer.value(),
                    r.customer == customer_ ? "yes" : "NO", r.conversation.value(),
                    r.conversation == conversation_ ? "(the same case)" : "(a new case)"));
    conversation_ = r.conversation;

    // Carla is off today; Ben takes over.
    must("Carla goes offline", engine_->set_presence(tenant_, carla_.id, omni::Presence::kOffline));
    omni::HandoffSpec spec;
    spec.tenant = tenant_;
    spec.conversation = conversation_;
    spec.kind = omni::HandoffKind::kAgentTransfer;
    spec.to_agent = ben_.id;
    spec.reason = "Carla is off today; the customer answered on Messenger";
    spec.open_questions = {"Is serial 4471-22-9903 in the faulty batch?"};
    spec.tried = {"Power cycle", "Factory reset (on the phone with Carla)"};
    omni::Handoff handoff = must("record agent transfer", engine_->record_handoff(spec));
    show_handoff(handoff, ben_);

    fmt::print("\n");
    say("Ben opens Anna's customer view:");
    omni::CustomerView view = must("customer view", engine_->customer_view(tenant_, customer_));
    print_customer_view(view);

    clock_.advance(3min);
    note(ben_,
         "Serial 4471-22-9903 is in the affected batch 4471. Dana (tech) to confirm on "
         "video before we replace the unit.");
    // Ben answers on Messenger: the reply goes to her PSID.
    omni::OutboundMessage dm_reply;
    dm_reply.tenant = tenant_;
    dm_reply.conversation = conversation_;
    dm_reply.channel = messenger_;
    dm_reply.agent = ben_.id;
    dm_reply.body =
        "Hi Anna, Ben here, I have Carla's notes. Your router is from the affected "
        "batch; our technician Dana will call you on video in a minute.";
    omni::Result<omni::Touchpoint> replied = engine_->send(dm_reply);
    if (replied.ok()) {
      say(fmt::format("{:<10} -> Ben: {} [{}]", "messenger", shorten(dm_reply.body, 70),
                      omni::to_string(replied->delivery)));
    } else {
      fail("Ben's Messenger reply", replied.status());
    }
  }

  // Day 4, 18:09 — Messenger -> video with a third agent, resolved.
  void day_four_video() {
    scene("Day 4, 18:09 - Video call with Dana (handoff channel_switch messenger -> video)");
    at("2026-03-05T18:09:00Z");
    omni::HandoffSpec spec;
    spec.tenant = tenant_;
    spec.conversation = conversation_;
    spec.kind = omni::HandoffKind::kChannelSwitch;
    spec.mode = omni::HandoffMode::kWarm;
    spec.to_channel = video_;
    spec.to_agent = dana_.id;
    spec.reason = "Technician should see the router's LEDs";
    spec.open_questions = {"Confirm the WAN fault on video; replace the unit?"};
    spec.tried = {"Power cycle", "Factory reset", "Serial checked: batch 4471 (affected)"};
    omni::Handoff handoff = must("record messenger->video handoff", engine_->record_handoff(spec));
    show_handoff(handoff, dana_);

    clock_.advance(1min);
    omni::Handoff acknowledged =
        must("Dana acknowledges", engine_->acknowledge_handoff(tenant_, handoff.id, dana_.id));
    say(fmt::format("Dana acknowledged the handoff at {}; the case is hers now",
                    acknowledged.acknowledged_at ? when(*acknowledged.acknowledged_at) : "?"));
    reply("Dana's video invitation", video_, dana_,
          "Hi Anna, this is Dana from the tech team. Join the video call here: "
          "https://video.acme.example/j/5521");
    clock_.advance(2min);
    omni::InboundMessage joined = from_anna(video_, "video-join-5521", portal_id());
    joined.kind = omni::TouchpointKind::kVideoSession;
    joined.body = "Joined the video call";
    receive("receive video join", joined);

    clock_.advance(9min);
    omni::InteractionSpec video;
    video.tenant = tenant_;
    video.conversation = conversation_;
    video.channel = video_;
    video.agent = dana_.id;
    video.kind = omni::TouchpointKind::kVideoSession;
    video.started_at = clock_.now() - 9min;
    video.duration = 9min;
    video.body =
        "Video session, 9 min. WAN LED red, DSL sync LED off: hardware fault of batch "
        "4471. Replacement router ordered, arrives Monday.";
    must("log the video session", engine_->log_interaction(video));
    say("video session logged (9 min)");
    note(dana_,
         "Replacement ordered: RMA-5521. Customer returns the old unit with the prepaid "
         "label.");
    clock_.advance(1min);
    must("resolve", engine_->resolve(tenant_, conversation_));
    say(fmt::format("conversation #{} resolved", conversation_.value()));
  }

  // Day 9, 20:12 — a second address, a suggestion, a merge by a person.
  void day_nine_private_email() {
    scene("Day 9, 20:12 - An email from Anna's private address: suggested duplicate, merged");
    at("2026-03-10T20:12:00Z");
    omni::InboundMessage mail;
    mail.tenant = tenant_;
    mail.channel = email_;
    mail.from = {omni::IdentityKind::kEmail, "", "Anna Schmidt <Anna.Schmidt@posteo.de>"};
    mail.provider_message_id = "<CAF1x9=2026031020@mail.posteo.de>";
    mail.subject = "Neuer Router";
    mail.body =
        "Hallo, the new router works perfectly, thank you all!\n\n-- \nAnna Schmidt\n"
        "Mobil: +49 151 23456789";
    omni::ReceiveResult r = receive("receive private email", mail);
    say(fmt::format("anna.schmidt@posteo.de is unknown: {} #{}",
                    r.new_customer ? "a new customer" : "customer", r.customer.value()));

    auto suggestions = must("suggest duplicates", engine_->suggest_duplicates(tenant_, r.customer));
    for (const omni::DuplicateSuggestion& s : suggestions) {
      say(fmt::format("suggested duplicate: customer #{}, score {:.2f}", s.candidate.value(),
                      s.score));
      for (const omni::DuplicateEvidence& e : s.evidence) {
        say(fmt::format("  {}: {} ({:.2f})", omni::to_string(e.reason), e.detail, e.weight));
      }
    }
    omni::MergeSpec spec;
    spec.tenant = tenant_;
    spec.survivor = customer_;
    spec.merged = r.customer;
    spec.actor = "agent:Ben";
    spec.reason = "Same person: the signature carries her verified mobile number";
    omni::MergeRecord merge = must("merge customers", engine_->merge_customers(spec));
    say(fmt::format("Ben merged #{} into #{} (merge {}; {} attribute conflicts)",
                    merge.merged.value(), merge.survivor.value(), merge.id.value(),
                    merge.conflicts.size()));
    omni::CustomerView view =
        must("customer view of the old id", engine_->customer_view(tenant_, r.customer));
    say(fmt::format("#{} now resolves to #{} with {} identities; an unmerge would undo it",
                    r.customer.value(), view.customer.id.value(), view.identities.size()));
  }

  void unified_timeline() {
    scene("Anna's unified timeline (every channel, oldest first)");
    omni::TimelineQuery query;
    query.tenant = tenant_;
    query.customer = customer_;
    query.direction = omni::TimelineDirection::kNewer;
    query.limit = 20;
    std::size_t count = 0;
    for (;;) {
      omni::TimelinePage page = must("timeline", engine_->timeline(query));
      for (const omni::Touchpoint& t : page.touchpoints) {
        print_touchpoint(t);
        ++count;
      }
      if (!page.newer) break;
      query.cursor = page.newer;
    }
    say(fmt::format("{} touchpoints, read in pages of {}", count, query.limit));
  }

  void recap() {
    scene("Recap");
    omni::ConversationView view =
        must("conversation view", engine_->conversation_view(tenant_, conversation_));
    const omni::Conversation& c = view.conversation;
    say(fmt::format("conversation #{} \"{}\": {}, assignee {}", c.id.value(), c.subject,
                    omni::to_string(c.status), view.assignee ? view.assignee->name : "-"));
    say(fmt::format("opened {} on {}, now on {}", when(c.opened_at), channel_name(c.origin_channel),
                    channel_name(c.current_channel)));
    if (c.first_response_at) {
      say(fmt::format("first response {}, resolved {}", when(*c.first_response_at),
                      c.resolved_at ? when(*c.resolved_at) : "-"));
    }
    if (c.sla.first_response.due_at) {
      say(fmt::format("SLA policy {}: first response due {}, {}", c.sla.policy,
                      when(*c.sla.first_response.due_at),
                      c.sla.first_response.met() ? "met" : "missed"));
    }
    say(fmt::format("{} handoffs:", view.handoffs.size()));
    for (const omni::Handoff& h : view.handoffs) {
      say(fmt::format("  {}  {:<14} {:<4} {} -> {}{}", when(h.created_at), omni::to_string(h.kind),
                      omni::to_string(h.mode), endpoint(h.from_agent, h.from_channel),
                      endpoint(h.to_agent, h.to_channel),
                      h.acknowledged_at ? " (acknowledged)" : ""));
    }
    std::vector<omni::RecordedSend> sent = adapter_.sent();
    say(fmt::format("{} replies handed to the (recording) channel adapter", sent.size()));
    say(fmt::format("database left at {}", path_));
  }

  // --- helpers

  // Moves the story's clock to an RFC 3339 time.
  void at(const char* time) { clock_.set(must("parse time", omni::parse_timestamp(time))); }

  omni::ChannelId channel(omni::ChannelKind kind, const std::string& name) {
    omni::ChannelSpec spec;
    spec.tenant = tenant_;
    spec.kind = kind;
    spec.name = name;
    omni::Channel c = must("ensure channel " + name, engine_->ensure_channel(spec));
    channels_[c.id.value()] = c;
    must("register adapter for " + name, engine_->register_adapter(tenant_, c.id, &adapter_));
    return c.id;
  }

  omni::Agent agent(const std::string& name, omni::AgentKind kind, std::vector<std::string> teams,
                    std::vector<std::string> skills) {
    omni::AgentSpec spec;
    spec.tenant = tenant_;
    spec.name = name;
    spec.kind = kind;
    spec.teams = std::move(teams);
    spec.skills = std::move(skills);
    spec.languages = {"en", "de"};
    // A bot holds many chats at once; a person one call or chat and a few async cases.
    if (kind == omni::AgentKind::kBot) spec.capacity = {100, 100};
    omni::Agent a = must("create agent " + name, engine_->create_agent(spec));
    agents_[a.id.value()] = a.name;
    return a;
  }

  static omni::IdentityInput portal_id() {
    return {omni::IdentityKind::kCrmId, "acme-portal", "ACME-10017"};
  }
  static omni::IdentityInput anna_phone() {
    return {omni::IdentityKind::kPhone, "", "+49 151 2345 6789"};  // stored as +4915123456789
  }

  omni::InboundMessage from_anna(omni::ChannelId channel, const std::string& message_id,
                                 omni::IdentityInput identity) {
    omni::InboundMessage m;
    m.tenant = tenant_;
    m.channel = channel;
    m.from = std::move(identity);
    m.display_name = "Anna Schmidt";
    m.provider_message_id = message_id;
    return m;
  }

  omni::ReceiveResult receive(std::string_view step, const omni::InboundMessage& message) {
    omni::ReceiveResult r = must(step, engine_->receive(message));
    // Providers retry webhooks; the same provider message id is stored once.
    omni::ReceiveResult again = must(step, engine_->receive(message));
    if (!again.duplicate || again.touchpoint != r.touchpoint) {
      fail(step, omni::Status::internal("a repeated delivery was not recognized as duplicate"));
    }
    say(fmt::format("{:<10} <- Anna: {}", channel_name(message.channel),
                    shorten(message.body, 70)));
    return r;
  }

  void reply(std::string_view step, omni::ChannelId channel, const omni::Agent& author,
             const std::string& body) {
    omni::OutboundMessage out;
    out.tenant = tenant_;
    out.conversation = conversation_;
    out.channel = channel;
    out.agent = author.id;
    out.body = body;
    omni::Touchpoint sent = must(step, engine_->send(out));
    say(fmt::format("{:<10} -> {}: {} [{}]", channel_name(channel), author.name, shorten(body, 70),
                    omni::to_string(sent.delivery)));
  }

  void note(const omni::Agent& author, const std::string& body) {
    omni::NoteSpec spec;
    spec.tenant = tenant_;
    spec.conversation = conversation_;
    spec.agent = author.id;
    spec.body = body;
    must("add note", engine_->add_note(spec));
    say(fmt::format("note by {}: {}", author.name, shorten(body, 70)));
  }

  // What the receiving agent sees: the handoff read back from the database, with its decoded
  // context packet.
  void show_handoff(const omni::Handoff& recorded, const omni::Agent& receiver) {
    omni::Handoff h = must("read handoff back", engine_->get_handoff(tenant_, recorded.id));
    say(fmt::format("handoff #{} {} ({}): {} -> {}", h.id.value(), omni::to_string(h.kind),
                    omni::to_string(h.mode), endpoint(h.from_agent, h.from_channel),
                    endpoint(h.to_agent, h.to_channel)));
    say(fmt::format("reason: {}", h.reason));
    say(fmt::format("context packet {} receives:", receiver.name));
    print_packet(h.context);
  }

  void print_customer_view(const omni::CustomerView& view) {
    fmt::print("    customer:       {} (#{})\n", view.customer.display_name,
               view.customer.id.value());
    for (const omni::Identity& id : view.identities) {
      fmt::print("    identity:       {}:{}{} (first seen {}, last seen {})\n",
                 omni::to_string(id.kind), id.value, id.verified ? " verified" : "",
                 when(id.first_seen), when(id.last_seen));
    }
    for (const omni::Conversation& c : view.active_conversations) {
      fmt::print("    active case:    #{} \"{}\" {}, assignee {}\n", c.id.value(), c.subject,
                 omni::to_string(c.status), c.assignee ? agent_name(*c.assignee) : "-");
    }
    fmt::print("    last agent:     {}\n", view.last_agent ? view.last_agent->name : "-");
    fmt::print("    notes (newest first):\n");
    for (const omni::Touchpoint& n : view.notes) {
      fmt::print("      {}  {}: {}\n", when(n.occurred_at), n.agent ? agent_name(*n.agent) : "?",
                 shorten(n.body, 80));
    }
  }

  void print_touchpoint(const omni::Touchpoint& t) {
    std::string who = t.agent                         ? agent_name(*t.agent)
                      : omni::is_inbound_kind(t.kind) ? std::string("Anna")
                                                      : std::string("system");
    std::string text = t.body.empty() ? t.subject : t.body;
    fmt::print("  {}  {:<9} {:<13} {:<7} {}\n", when(t.occurred_at),
               omni::to_string(t.channel_kind), omni::to_string(t.kind), who, shorten(text, 64));
  }

  std::string channel_name(omni::ChannelId id) const {
    auto it = channels_.find(id.value());
    return it == channels_.end() ? "?" : std::string(omni::to_string(it->second.kind));
  }

  std::string agent_name(omni::AgentId id) const {
    auto it = agents_.find(id.value());
    return it == agents_.end() ? "agent #" + std::to_string(id.value()) : it->second;
  }

  std::string endpoint(const std::optional<omni::AgentId>& agent,
                       const std::optional<omni::ChannelId>& channel) const {
    if (!agent && !channel) return "-";
    if (!agent) return channel_name(*channel);
    std::string text = agent_name(*agent);
    if (channel) text += "@" + channel_name(*channel);
    return text;
  }

  std::string path_;
  omni::ManualClock clock_;
  omni::RecordingAdapter adapter_;  // declared before the engine: must outlive it
  std::unique_ptr<omni::Engine> engine_;
  omni::TenantId tenant_;
  omni::ChannelId web_, chat_, phone_, messenger_, video_, email_;
  omni::Agent bot_, carla_, ben_, dana_;
  omni::CustomerId customer_;
  omni::ConversationId conversation_;
  std::map<std::int64_t, omni::Channel> channels_;
  std::map<std::int64_t, std::string> agents_;
};

}  // namespace

int main(int argc, char** argv) {
  std::error_code error;
  std::filesystem::path given(argc > 1 ? argv[1] : "omni-demo.db");
  std::filesystem::path absolute = std::filesystem::absolute(given, error);
  std::string path = error ? given.string() : absolute.string();
  fmt::print("omni {} - a customer journey across channels\n", OMNI_VERSION_STRING);
  Demo demo(path);
  demo.run();
  fmt::print("\nDone.\n");
  return 0;
}
