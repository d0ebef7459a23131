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
//          acknowledges), who orders a replacement router (the shop's CRM records it as order
//          SO-88412) and resolves the case.
//   Day 6  The replacement is delayed. Anna asks on WhatsApp while the CRM is in maintenance:
//          omni receives the message anyway, and the customer view shows "CRM: missing" with the
//          reason. Once the CRM is back, Ben takes the case over (its packet shows the delayed
//          order), records Anna's contact preferences (WhatsApp, then email; German; quiet hours
//          22:00-08:00 Europe/Berlin), renders the reply template "order_delayed" for WhatsApp,
//          SMS and email (variant, reasons, fit) and sends the WhatsApp one. Anna sends STOP: his
//          next message is refused for lack of consent; she sends START and it goes out. For a
//          credit he needs her bank details: omni recommends a secure channel.
//   Day 7  The order ships: omni notifies Anna on the channel that suits her best, with the
//          reasons for every channel; a second notification at 23:30 her time waits for the end
//          of her quiet hours and goes out on day 8 at 08:00. The router arrives.
//   Day 9  Anna thanks them from her private email address, which omni has never seen: a new
//          customer. omni suggests the duplicate (her verified mobile number is in the email's
//          signature) and Ben merges the two, with a reason; her old and new ids both resolve.
// At each handoff the demo prints the context packet the receiving agent got, with the CRM's
// account and newest orders, and at the end the unified timeline of every channel, oldest first.
// The host's CRM is ShopCrm below, an omni::CrmContextProvider registered with the engine.
//
// Uses only omni's public API, as an integrator would. Exits non-zero, printing the Status, when
// a step fails.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <omni/omni.h>
#ifdef OMNI_HAVE_POSTGRES
#include <omni/postgres_store.h>
#endif

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

// --- the host's CRM

// Acme's CRM, in process: contacts with their account and orders. omni asks it from its own
// worker threads (omni::CrmContextProvider), so every member is guarded by the mutex.
class ShopCrm final : public omni::CrmContextProvider {
 public:
  struct Contact {
    omni::CrmContext context;         // record_id is the CRM contact id
    std::vector<std::string> emails;  // normalized, as omni stores them
    std::vector<std::string> phones;  // E.164
  };

  void add_contact(Contact contact) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string id = contact.context.record_id;
    contacts_[id] = std::move(contact);
  }

  // Adds the order as the newest, or updates the order with that id in place.
  void put_order(const std::string& contact_id, omni::CrmItem order) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<omni::CrmItem>& orders = contacts_.at(contact_id).context.orders;
    for (omni::CrmItem& existing : orders) {
      if (existing.id == order.id) {
        existing = std::move(order);
        return;
      }
    }
    orders.insert(orders.begin(), std::move(order));
  }

  // From now on every lookup takes `latency` before it answers (a maintenance window); 0:
  // answers at once.
  void set_latency(std::chrono::milliseconds latency) {
    std::lock_guard<std::mutex> lock(mutex_);
    latency_ = latency;
  }

  // Waits until no lookup is running: a slow one goes on after omni stopped waiting for it.
  void wait_until_idle() {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [this] { return running_ == 0; });
  }

  omni::Result<omni::CrmContext> lookup(const omni::CrmLookup& request) override {
    std::chrono::milliseconds latency;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++running_;
      latency = latency_;
    }
    if (latency.count() > 0) std::this_thread::sleep_for(latency);
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
    idle_.notify_all();
    const Contact* contact = find(request);
    if (!contact) return omni::Status::not_found("no CRM contact for this customer");
    return contact->context;
  }

 private:
  // By the portal's CRM id first (an identity, or the attribute "crm_id"), then by email or phone.
  const Contact* find(const omni::CrmLookup& request) const {
    for (const omni::Identity& id : request.identities) {
      if (id.kind != omni::IdentityKind::kCrmId) continue;
      auto it = contacts_.find(id.value);
      if (it != contacts_.end()) return &it->second;
    }
    auto attribute = request.attributes.find("crm_id");
    if (attribute != request.attributes.end()) {
      auto it = contacts_.find(attribute->second);
      if (it != contacts_.end()) return &it->second;
    }
    for (const omni::Identity& id : request.identities) {
      for (const auto& [contact_id, contact] : contacts_) {
        static const std::vector<std::string> kNone;
        const std::vector<std::string>& known =
            id.kind == omni::IdentityKind::kEmail   ? contact.emails
            : id.kind == omni::IdentityKind::kPhone ? contact.phones
                                                    : kNone;
        for (const std::string& value : known) {
          if (value == id.value) return &contact;
        }
      }
    }
    return nullptr;
  }

  std::mutex mutex_;
  std::condition_variable idle_;
  int running_ = 0;
  std::chrono::milliseconds latency_{0};
  std::map<std::string, Contact> contacts_;  // by CRM contact id
};

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

// The CRM part of a view or context packet: the account and the newest orders, or why there is
// none.
void print_crm(const omni::CrmSnapshot& crm) {
  constexpr std::size_t kOrdersShown = 2;
  switch (crm.state) {
    case omni::CrmState::kNotConfigured:
      fmt::print("    CRM:            not configured\n");
      return;
    case omni::CrmState::kNoRecord:
      fmt::print("    CRM:            no record of this customer\n");
      return;
    case omni::CrmState::kMissing:
      fmt::print("    CRM:            missing ({})\n", crm.reason);
      return;
    case omni::CrmState::kOk:
      break;
  }
  const omni::CrmContext& c = crm.context;
  std::vector<std::string> fields;
  for (const auto& [name, value] : c.fields)
    fields.push_back(name + " " + value);
  fmt::print("    CRM:            {} {}, account {}{}\n", c.system, c.record_id, c.account_status,
             fields.empty() ? "" : fmt::format(" ({})", fmt::join(fields, ", ")));
  for (std::size_t i = 0; i < c.orders.size() && i < kOrdersShown; ++i) {
    const omni::CrmItem& o = c.orders[i];
    fmt::print("                    - order {} {}: {}, {}, {}\n", o.id, o.title, o.status,
               o.amount.empty() ? "-" : o.amount, o.date ? when(*o.date).substr(0, 10) : "-");
  }
  if (c.orders.size() > kOrdersShown) {
    fmt::print("                      ({} older orders)\n", c.orders.size() - kOrdersShown);
  }
}

void print_packet(const omni::ContextPacket& packet) {
  fmt::print("    customer:       {} (#{})\n", packet.customer_name, packet.customer.value());
  fmt::print(
      "    identities:     {}\n",
      packet.identities.empty() ? "-" : fmt::format("{}", fmt::join(packet.identities, ", ")));
  print_crm(packet.crm);
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

// Channel options best first, each with its reasons ("1." the chosen one, "-" excluded).
void print_choice(const omni::ChannelChoice& choice) {
  for (std::size_t i = 0; i < choice.options.size(); ++i) {
    const omni::ChannelOption& o = choice.options[i];
    std::string mark = o.eligible ? fmt::format("{}.", i + 1) : "- ";
    std::string reasons = fmt::format("{}", fmt::join(o.reasons, "; "));
    if (!o.eligible) reasons = "excluded: " + reasons;
    std::vector<std::string> lines = wrap(reasons, 58);
    for (std::size_t k = 0; k < lines.size(); ++k) {
      if (k == 0) {
        fmt::print("      {:<2} {:<9} {:<22} {}\n", mark, omni::to_string(o.kind), o.channel_name,
                   lines[k]);
      } else {
        fmt::print("      {:<35} {}\n", "", lines[k]);
      }
    }
  }
}

// A rendered reply template: the variant picked, why, and how it fits the channel.
void print_rendered(const omni::RenderedReply& r) {
  const omni::FitReport& fit = r.fit;
  std::string unit = fit.rule != omni::LengthRule::kSmsSegments  ? "characters"
                     : fit.encoding == omni::TextEncoding::kGsm7 ? "septets"
                                                                 : "UCS-2 units";
  std::string parts =
      fit.rule == omni::LengthRule::kSmsSegments
          ? fmt::format("{} SMS segment{}", fit.segments, fit.segments == 1 ? "" : "s")
          : fmt::format("{} message{}", fit.segments, fit.segments == 1 ? "" : "s");
  fmt::print("      variant {}/{} ({}): {} {}, {} {} ({})\n",
             r.variant_kind ? omni::to_string(*r.variant_kind) : "generic", r.language,
             omni::to_string(r.format), fit.fits ? "fits in" : "does NOT fit in", parts, fit.length,
             unit, omni::to_string(fit.encoding));
  for (const std::string& reason : r.reasons)
    fmt::print("      why: {}\n", reason);
  if (!r.subject.empty()) fmt::print("      subject: {}\n", r.subject);
  for (const std::string& line : wrap(shorten(r.body, 400), 88))
    fmt::print("      | {}\n", line);
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
    day_six_whatsapp();
    day_seven_notifications();
    day_nine_private_email();
    unified_timeline();
    recap();
    insight();
  }

 private:
  void setup() {
    scene("Setup");
    std::unique_ptr<omni::Store> store;
    const bool postgres =
        path_.rfind("postgresql://", 0) == 0 || path_.rfind("postgres://", 0) == 0;
    if (postgres) {
#ifdef OMNI_HAVE_POSTGRES
      // A PostgreSQL database is never dropped or emptied here: it must be a fresh one.
      omni::PostgresStoreOptions store_options;
      store_options.conninfo = path_;
      store = must("open PostgreSQL store", omni::open_postgres_store(store_options));
#else
      fmt::print(stderr, "omni_demo: this build has no PostgreSQL support (libpq)\n");
      std::exit(1);
#endif
    } else {
      // A fresh file each run keeps the output deterministic. Every write below is idempotent
      // anyway (ensure_* and provider message ids), but agents are created, not ensured.
      for (const char* suffix : {"", "-wal", "-shm"})
        std::remove((path_ + suffix).c_str());
      omni::SqliteStoreOptions store_options;
      store_options.path = path_;
      store_options.durability = omni::Durability::kFull;
      store = must("open SQLite store", omni::open_sqlite_store(store_options));
    }
    omni::EngineOptions options;
    options.clock = &clock_;
    // Views wait at most 1 s for the CRM (ample for an in-process CRM, even in a sanitizer build on
    // a busy machine), and ask it afresh every time (no cache), so the
    // order updates below show at once.
    options.crm_timeout = 1000ms;
    options.crm_cache_ttl = 0s;
    engine_ = must("open engine", omni::Engine::open(std::move(store), options));
    if (postgres) {
      if (engine_->find_tenant("acme-broadband").ok()) {
        fmt::print(stderr, "omni_demo: {} already holds the demo; give it an empty database\n",
                   path_);
        std::exit(1);
      }
      say("database: PostgreSQL (an empty database)");
    } else {
      say(fmt::format("database: {} (deleted and recreated at the start of every run)", path_));
    }

    tenant_ = must("ensure tenant", engine_->ensure_tenant("acme-broadband")).id;
    web_ = channel(omni::ChannelKind::kWeb, "help.acme.example");
    chat_ = channel(omni::ChannelKind::kLiveChat, "chat.acme.example");
    phone_ = channel(omni::ChannelKind::kPhone, "+4930555010");
    messenger_ = channel(omni::ChannelKind::kMessenger, "fb-page-acme-broadband");
    video_ = channel(omni::ChannelKind::kVideo, "video.acme.example");
    email_ = channel(omni::ChannelKind::kEmail, "support@acme.example");
    whatsapp_ = channel(omni::ChannelKind::kWhatsApp, "+4930555020");
    sms_ = channel(omni::ChannelKind::kSms, "+4930555030");

    bot_ = agent("Robo", omni::AgentKind::kBot, {"frontline"}, {"faq"});
    carla_ = agent("Carla", omni::AgentKind::kHuman, {"support"}, {"billing", "router"});
    ben_ = agent("Ben", omni::AgentKind::kHuman, {"support"}, {"router"});
    dana_ = agent("Dana", omni::AgentKind::kHuman, {"tech"}, {"router", "video"});
    say("tenant acme-broadband; channels web, live_chat, phone, messenger, video, email,");
    say("whatsapp, sms; agents Robo (bot), Carla and Ben (support), Dana (tech)");

    // The host's CRM: omni asks it for the account and orders whenever an agent looks at Anna.
    crm_.add_contact(anna_in_crm());
    engine_->set_crm_provider(&crm_);
    say("CRM: Acme's shop CRM (in process) feeds views and handoff packets; omni waits 1 s");
    put_reply_templates();

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
    crm_.put_order(kAnnaCrmId, replacement_order("processing"));
    say("the CRM records replacement order SO-88412 (processing)");
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

  // Day 6, 09:30 — WhatsApp while the CRM is down; preferences, a reply template, STOP and START,
  // and a channel for a sensitive follow-up.
  void day_six_whatsapp() {
    scene("Day 6, 09:30 - Anna asks on WhatsApp where the replacement is (the CRM is down)");
    at("2026-03-07T09:30:00Z");
    crm_.put_order(kAnnaCrmId, replacement_order("delayed"));
    say("the carrier reported a delay: the CRM marks order SO-88412 delayed");
    // Saturday maintenance: the CRM answers, but only after 1.5 s.
    crm_.set_latency(1500ms);
    say("the CRM is in its maintenance window: it answers after 1.5 s");
    // WhatsApp identifies Anna by her mobile number, which the host linked on day 1.
    omni::InboundMessage ask = from_anna(whatsapp_, "wamid.HBgN4915123456789-01", anna_phone());
    ask.body =
        "Hi, it's Anna. Tracking says my replacement router is delayed. When will it come? "
        "Please send updates here, or else by email; in German please, and nothing after 22:00.";
    omni::ReceiveResult r = receive("receive WhatsApp message", ask);
    say(fmt::format(
        "same customer #{}; conversation #{} {}; whatsapp consent {} (her first message "
        "there)",
        r.customer.value(), r.conversation.value(),
        r.reopened ? "reopened" : (r.new_conversation ? "opened" : "continued"),
        r.consent ? omni::to_string(*r.consent) : "unchanged"));
    conversation_ = r.conversation;
    say("receive did not wait for the CRM. Ben opens Anna's customer view at once:");
    omni::CustomerView degraded = must("customer view", engine_->customer_view(tenant_, customer_));
    print_crm(degraded.crm);
    crm_.set_latency(0ms);
    crm_.wait_until_idle();
    say("maintenance over: the CRM answers at once again");

    // Dana does not work weekends; Ben takes the case over with its context.
    omni::HandoffSpec spec;
    spec.tenant = tenant_;
    spec.conversation = conversation_;
    spec.kind = omni::HandoffKind::kAgentTransfer;
    spec.to_agent = ben_.id;
    spec.reason = "Dana is off at weekends; the replacement router is delayed";
    spec.open_questions = {"When does replacement order SO-88412 arrive?"};
    spec.tried = {"Replacement ordered on day 4 (RMA-5521)"};
    omni::Handoff handoff = must("record agent transfer", engine_->record_handoff(spec));
    show_handoff(handoff, ben_);

    omni::CustomerUpdate update;
    omni::ContactPreferences preferences;
    preferences.channels = {omni::ChannelKind::kWhatsApp, omni::ChannelKind::kEmail};
    preferences.language = "de";
    preferences.time_zone = "Europe/Berlin";
    omni::QuietHours quiet;
    quiet.start = 22h;
    quiet.end = 8h;
    preferences.quiet_hours = quiet;
    update.preferences = preferences;
    must("record preferences", engine_->update_customer(tenant_, customer_, update));
    say("Ben records her preferences: whatsapp, then email; German; quiet hours 22:00-08:00");
    fmt::print("\n");
    say("Ben reloads Anna's customer view:");
    print_customer_view(must("customer view", engine_->customer_view(tenant_, customer_)));

    // The reply template, rendered for this conversation before anything is sent.
    clock_.advance(2min);
    fmt::print("\n");
    say("Ben renders the reply template order_delayed (her language: de):");
    omni::RenderedReply on_whatsapp{};
    for (omni::ChannelId channel : {whatsapp_, sms_, email_}) {
      omni::RenderRequest request;
      request.tenant = tenant_;
      request.conversation = conversation_;
      request.template_key = "order_delayed";
      request.channel = channel;
      request.agent = ben_.id;
      request.values = {{"delivery_date", "Mo., 9. März"}};
      omni::RenderedReply rendered =
          must("render order_delayed", engine_->render_template(request));
      fmt::print("    on {}:\n", channel_name(channel));
      print_rendered(rendered);
      if (channel == whatsapp_) on_whatsapp = rendered;
    }
    reply("Ben's templated reply", whatsapp_, ben_, on_whatsapp.body);

    // Consent: a STOP refuses every later WhatsApp message until she opts in again.
    clock_.advance(3min);
    omni::InboundMessage stop = from_anna(whatsapp_, "wamid.HBgN4915123456789-02", anna_phone());
    stop.body = "STOP";
    r = receive("receive STOP", stop);
    say(fmt::format("consent whatsapp {} (she meant the carrier's tracking alerts)",
                    r.consent ? omni::to_string(*r.consent) : "unchanged"));
    clock_.advance(1min);
    omni::OutboundMessage follow_up;
    follow_up.tenant = tenant_;
    follow_up.conversation = conversation_;
    follow_up.channel = whatsapp_;
    follow_up.agent = ben_.id;
    follow_up.body = "Als Entschuldigung schreiben wir dir 10 EUR gut. Ich melde mich dazu gleich.";
    omni::Result<omni::Touchpoint> refused = engine_->send(follow_up);
    if (refused.ok()) {
      fail("send after STOP", omni::Status::internal("a WhatsApp send after STOP went out"));
    }
    say(fmt::format("Ben's next WhatsApp message is refused: {}", refused.status().to_string()));
    clock_.advance(1min);
    omni::InboundMessage start = from_anna(whatsapp_, "wamid.HBgN4915123456789-03", anna_phone());
    start.body = "START";
    r = receive("receive START", start);
    say(fmt::format("consent whatsapp {} again",
                    r.consent ? omni::to_string(*r.consent) : "unchanged"));
    std::vector<omni::Identity> identities =
        must("customer view", engine_->customer_view(tenant_, customer_)).identities;
    for (const omni::Consent& c : must("list consents", engine_->list_consents(tenant_, customer_)))
      print_consent(c, identities);
    reply("Ben's follow-up", whatsapp_, ben_, follow_up.body);

    // The credit needs her bank details: only a secure channel will do.
    fmt::print("\n");
    say("For the credit Ben needs her IBAN (sensitive). omni recommends a channel:");
    omni::FollowUpRequest follow;
    follow.tenant = tenant_;
    follow.customer = customer_;
    follow.conversation = conversation_;
    follow.sensitive = true;
    omni::ChannelChoice choice = must("recommend channel", engine_->recommend_channel(follow));
    print_choice(choice);
    say(fmt::format("recommended: {}", choice.chosen()
                                           ? std::string(omni::to_string(choice.chosen()->kind))
                                           : std::string("none")));
  }

  // Day 7 — proactive notifications: one at once, one held back by her quiet hours.
  void day_seven_notifications() {
    scene("Day 7, 13:00 - The replacement ships: proactive notifications (notify)");
    at("2026-03-08T13:00:00Z");
    crm_.put_order(kAnnaCrmId, replacement_order("shipped"));
    say("the CRM marks order SO-88412 shipped; omni notifies Anna (14:00 in Berlin):");
    omni::NotificationRequest shipped;
    shipped.tenant = tenant_;
    shipped.customer = customer_;
    shipped.conversation = conversation_;
    shipped.purpose = "order_update";
    shipped.subject = "Ihr Ersatzrouter ist unterwegs";
    shipped.body =
        "Gute Nachricht: Dein Ersatzrouter (SO-88412) ist unterwegs und kommt am Montag.";
    shipped.agent = ben_.id;
    notify(shipped);

    at("2026-03-08T22:30:00Z");
    fmt::print("\n");
    say("22:30 (23:30 in Berlin, inside her quiet hours): the delivery slot is known");
    omni::NotificationRequest slot = shipped;
    slot.body = "Die Zustellung deines Routers ist morgen zwischen 10 und 14 Uhr geplant.";
    notify(slot);

    at("2026-03-09T07:00:00Z");
    omni::DeliveryRun run = must("deliver due", engine_->deliver_due(tenant_));
    say(fmt::format("Day 8, 07:00 (08:00 in Berlin): deliver_due sent {} held-back message{}",
                    run.sent, run.sent == 1 ? "" : "s"));
    at("2026-03-09T12:40:00Z");
    crm_.put_order(kAnnaCrmId, replacement_order("delivered"));
    must("resolve", engine_->resolve(tenant_, conversation_));
    say(fmt::format("Day 8, 12:40: the CRM marks SO-88412 delivered; Ben resolves conversation #{}",
                    conversation_.value()));

    at("2026-03-09T13:05:00Z");
    omni::CsatAnswer answer;
    answer.tenant = tenant_;
    answer.conversation = conversation_;
    answer.score = 4;
    answer.comment = "Took a while, but Ben sorted it out.";
    answer.channel_kind = omni::ChannelKind::kSms;
    omni::CsatResponse rated = must("record csat", engine_->record_csat(answer));
    say(fmt::format("13:05: Anna answers the survey by SMS: {}/5 for {} (\"{}\")", rated.score,
                    rated.agent ? agent_name(*rated.agent) : "-", rated.comment));
  }

  // The journey in numbers: Engine::metrics over the nine days, as a supervisor's report sees it.
  void insight() {
    scene("Insight (Engine::metrics over the nine days, Europe/Berlin)");
    omni::MetricsQuery q;
    q.tenant = tenant_;
    q.from = must("parse time", omni::parse_timestamp("2026-03-01T23:00:00Z"));
    q.to = must("parse time", omni::parse_timestamp("2026-03-10T23:00:00Z"));
    q.grouping = omni::MetricsGrouping::kNone;
    q.time_zone = "Europe/Berlin";
    const omni::MetricsReport report = must("metrics", engine_->metrics(q));
    const omni::MetricsRow& r = report.rows.at(0);
    std::vector<std::string> volume;
    for (const omni::ChannelCount& c : r.inbound_volume)
      volume.push_back(fmt::format("{} {}", omni::to_string(c.kind), c.count));
    say(fmt::format("inbound contacts: {}", fmt::join(volume, ", ")));
    say(fmt::format("conversations opened: {}; first response median {}; resolution median {}",
                    r.conversations, span(r.first_response.median), span(r.resolution.median)));
    say(fmt::format("first-contact resolution: {} of {} resolved", r.first_contact_resolved,
                    r.resolved));
    std::vector<std::string> flow;
    for (const omni::ChannelFlow& f : r.channel_switch_flow) {
      flow.push_back(
          fmt::format("{} -> {} {}", omni::to_string(f.from), omni::to_string(f.to), f.count));
    }
    say(fmt::format("handoffs: {}, of which channel switches {} ({})", r.handoffs,
                    r.channel_switches,
                    flow.empty() ? std::string("-") : fmt::format("{}", fmt::join(flow, ", "))));
    say(fmt::format("first-response SLA: {} met, {} breached", r.first_response_sla_met,
                    r.first_response_sla_breached));
    say(fmt::format("CSAT: {} answer(s), average {:.1f}, {:.0f}% satisfied", r.csat_responses,
                    r.csat_average, 100 * r.csat));
    say(fmt::format("agents staffed {} in total, occupied {} of it ({:.0f}% occupancy)",
                    span(r.agent_staffed), span(r.agent_occupied), 100 * r.occupancy));
    say(fmt::format("as a page: omni --db {} report --html omni-report.html", path_));
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

  static constexpr const char* kAnnaCrmId = "ACME-10017";

  // Anna as the CRM knows her before the story starts.
  ShopCrm::Contact anna_in_crm() {
    ShopCrm::Contact anna;
    anna.context.system = "acme-crm";
    anna.context.record_id = kAnnaCrmId;
    anna.context.account_status = "active";
    anna.context.fields = {{"segment", "residential"}, {"plan", "Fiber 250"}};
    omni::CrmItem router;
    router.id = "SO-71230";
    router.title = "Router AX3000";
    router.status = "delivered";
    router.date = must("parse order date", omni::parse_timestamp("2025-11-14T10:00:00Z"));
    router.amount = "189.00 EUR";
    anna.context.orders = {router};
    anna.phones = {"+4915123456789"};
    return anna;
  }

  omni::CrmItem replacement_order(const std::string& status) {
    omni::CrmItem order;
    order.id = "SO-88412";
    order.title = "Replacement router AX3000 (RMA-5521)";
    order.status = status;
    order.date = must("parse order date", omni::parse_timestamp("2026-03-05T18:21:00Z"));
    order.amount = "0.00 EUR";
    order.url = "https://crm.acme.example/orders/SO-88412";
    return order;
  }

  // "order_delayed": a formal HTML email (German and English), an informal WhatsApp message and
  // an SMS that fits one segment.
  void put_reply_templates() {
    omni::ReplyTemplate t;
    t.key = "order_delayed";
    t.description = "The order the customer asks about is late";
    t.default_language = "en";
    omni::TemplateVariant email_de;
    email_de.channel_kind = omni::ChannelKind::kEmail;
    email_de.language = "de";
    email_de.format = omni::TextFormat::kHtml;
    email_de.subject = "Ihre Bestellung {{crm.order.id}} verzögert sich";
    email_de.body =
        "<p>Guten Tag {{customer.name}},</p><p>Ihre Bestellung {{crm.order.id}} "
        "({{crm.order.title}}) verzögert sich leider. Neuer Liefertermin: {{delivery_date}}.</p>"
        "<p>Mit freundlichen Grüßen<br>{{agent.name}}, Acme Broadband</p>";
    omni::TemplateVariant email_en = email_de;
    email_en.language = "en";
    email_en.subject = "Your order {{crm.order.id}} is delayed";
    email_en.body =
        "<p>Dear {{customer.name}},</p><p>We are sorry: your order {{crm.order.id}} "
        "({{crm.order.title}}) is delayed. New delivery date: {{delivery_date}}.</p>"
        "<p>Kind regards<br>{{agent.name}}, Acme Broadband</p>";
    omni::TemplateVariant whatsapp;
    whatsapp.channel_kind = omni::ChannelKind::kWhatsApp;
    whatsapp.language = "de";
    whatsapp.body =
        "Hi {{customer.first_name}}, hier ist {{agent.first_name}} von Acme. Dein Ersatzrouter "
        "({{crm.order.id}}) ist leider verspätet, neuer Termin: {{delivery_date}}. Sorry! Ich "
        "melde mich, sobald er unterwegs ist.";
    omni::TemplateVariant sms;
    sms.channel_kind = omni::ChannelKind::kSms;
    sms.language = "de";
    sms.body =
        "Acme: Ihre Bestellung {{crm.order.id}} verspätet sich. Neuer Termin: {{delivery_date}}. "
        "Fragen? Einfach antworten.";
    t.variants = {email_de, email_en, whatsapp, sms};
    must("put template order_delayed", engine_->put_template(tenant_, t));
    say("reply template order_delayed: email (de, en; html), whatsapp (de), sms (de)");
  }

  void notify(const omni::NotificationRequest& request) {
    omni::NotificationResult n = must("notify", engine_->notify(request));
    say(fmt::format("notify ({}, urgency {}): \"{}\"", request.purpose,
                    omni::to_string(request.urgency), shorten(request.body, 60)));
    print_choice(n.choice);
    const omni::ChannelOption* chosen = n.choice.chosen();
    say(fmt::format(
        "-> {} [{}]{}", chosen ? chosen->channel_name : "?", omni::to_string(n.touchpoint.delivery),
        n.deferred_until ? " held back until " + when(*n.deferred_until) + " UTC" : std::string()));
  }

  // Moves the story's clock to an RFC 3339 time.
  // "2h 05m", "12m", "3d 4h".
  static std::string span(std::chrono::seconds s) {
    const auto minutes = s.count() / 60;
    if (minutes < 60) return fmt::format("{}m", minutes);
    if (minutes < 24 * 60) return fmt::format("{}h {:02}m", minutes / 60, minutes % 60);
    return fmt::format("{}d {}h", minutes / (24 * 60), minutes / 60 % 24);
  }

  void at(const char* time) {
    clock_.set(must("parse time", omni::parse_timestamp(time)));
  }

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
    const omni::ContactPreferences& p = view.customer.preferences;
    if (p.empty()) {
      fmt::print("    preferences:    -\n");
    } else {
      std::vector<std::string_view> kinds;
      for (omni::ChannelKind kind : p.channels)
        kinds.push_back(omni::to_string(kind));
      fmt::print("    preferences:    {}; language {}; {}{}\n",
                 kinds.empty() ? "-" : fmt::format("{}", fmt::join(kinds, ", then ")),
                 p.language.empty() ? "-" : p.language, p.time_zone.empty() ? "-" : p.time_zone,
                 p.quiet_hours ? "; quiet hours " + clock_time(p.quiet_hours->start) + "-" +
                                     clock_time(p.quiet_hours->end)
                               : std::string());
    }
    if (view.consents.empty()) fmt::print("    consent:        -\n");
    for (const omni::Consent& c : view.consents)
      print_consent(c, view.identities);
    print_crm(view.crm);
    fmt::print("    last agent:     {}\n", view.last_agent ? view.last_agent->name : "-");
    fmt::print("    notes (newest first):\n");
    for (const omni::Touchpoint& n : view.notes) {
      fmt::print("      {}  {}: {}\n", when(n.occurred_at), n.agent ? agent_name(*n.agent) : "?",
                 shorten(n.body, 80));
    }
  }

  // "consent:  whatsapp +4915123456789 granted (keyword: START, 2026-03-07 09:37)".
  static void print_consent(const omni::Consent& c, const std::vector<omni::Identity>& identities) {
    std::string address = "identity #" + std::to_string(c.identity.value());
    for (const omni::Identity& id : identities) {
      if (id.id == c.identity) address = id.value;
    }
    fmt::print("    consent:        {} {} {} ({}{}, {})\n", omni::to_string(c.channel_kind),
               address, omni::to_string(c.state), c.source,
               c.evidence.empty() ? "" : ": " + c.evidence, when(c.changed_at));
  }

  static std::string clock_time(std::chrono::minutes m) {
    return fmt::format("{:02}:{:02}", m.count() / 60, m.count() % 60);
  }

  void print_touchpoint(const omni::Touchpoint& t) {
    std::string who = t.agent                         ? agent_name(*t.agent)
                      : omni::is_inbound_kind(t.kind) ? std::string("Anna")
                                                      : std::string("system");
    std::string text = t.body.empty() ? t.subject : t.body;
    fmt::print("  {}  {:<9} {:<17} {:<7} {}\n", when(t.occurred_at),
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
  ShopCrm crm_;                     // likewise
  std::unique_ptr<omni::Engine> engine_;
  omni::TenantId tenant_;
  omni::ChannelId web_, chat_, phone_, messenger_, video_, email_, whatsapp_, sms_;
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
  const std::string argument = given.string();
  if (argument.rfind("postgresql://", 0) == 0 || argument.rfind("postgres://", 0) == 0) {
    path = argument;  // a connection URI, not a file
  }
  fmt::print("omni {} - a customer journey across channels\n", OMNI_VERSION_STRING);
  Demo demo(path);
  demo.run();
  fmt::print("\nDone.\n");
  return 0;
}
