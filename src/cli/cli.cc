#include "cli/cli.h"

#include <getopt.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "cli/ingest.h"
#include "cli/json_writer.h"
#include "cli/metrics_output.h"
#include "cli/payload.h"
#include "cli/record.h"
#include "cli/render.h"
#include "cli/report_html.h"
#include "cli/template_file.h"
#include "omni/engine.h"
#include "omni/fit.h"
#include "omni/knowledge.h"
#include "omni/normalize.h"
#include "omni/simulation.h"
#include "omni/sqlite_store.h"
#ifdef OMNI_HAVE_POSTGRES
#include "omni/postgres_store.h"
#endif
#include "omni/version.h"

namespace omni::cli {
namespace {

constexpr std::string_view kDefaultTenant = "default";
// Who merges and unmerges from the command line, and why when --reason is not given.
constexpr std::string_view kActor = "cli";
constexpr std::string_view kDefaultMergeReason = "merged with the omni command-line tool";
// metrics and report without --from: this long before --to.
constexpr auto kDefaultMetricsRange = std::chrono::hours(24 * 30);

constexpr std::string_view kUsage = R"(Usage: omni --db FILE [OPTIONS] COMMAND [ARGUMENTS]

Commands:
  ingest FILE...                  store inbound messages read as JSON Lines ("-" reads
                                  standard input); creates the database when missing
  ingest --format F FILE...       store provider payloads, one per FILE, as the provider sends
                                  them: F is email (.eml), twilio (form body), whatsapp,
                                  messenger, instagram or telegram (JSON body); status
                                  callbacks update the delivery of stored outbound messages
  agents                          list the tenant's agents: presence, load against capacity
  customers                       list the tenant's customers
  duplicates                      list pairs of customers that are likely one person, with
                                  the evidence and a score, highest first; merges nothing
  merge SURVIVOR_ID MERGED_ID     merge customer MERGED_ID into SURVIVOR_ID (identities,
                                  conversations, touchpoints); MERGED_ID stays as a redirect
  unmerge CUSTOMER_ID             undo the merge that made CUSTOMER_ID a redirect
  timeline CUSTOMER_ID            one page of a customer's timeline
  conversation CONVERSATION_ID    a conversation with its handoffs and touchpoints
  link CUSTOMER_ID KIND VALUE     link an identity (email, phone, messenger_psid, ...) to a
                                  customer; later messages from it land on that customer
  preferences CUSTOMER_ID         the customer's contact preferences and consents; with
                                  --set-channels, --language, --time-zone, --quiet-hours or
                                  --clear, change them first (what is not given stays)
  consent CUSTOMER_ID KIND granted|withdrawn --source SOURCE
                                  record the customer's consent for a channel kind (sms,
                                  whatsapp, ...) on every address, or on --address KIND:VALUE
  template put FILE               store a reply template read from a JSON FILE ("-" reads
                                  standard input); template list; template show KEY;
                                  template remove KEY
  render KEY CONVERSATION_ID      fill template KEY for the conversation: variant, reasons,
                                  subject, body and how it fits the channel
  recommend CUSTOMER_ID           rank the channels for a follow-up, with the reasons
  kb search TEXT...               search the tenant's published knowledge-base articles (case,
                                  umlauts and ß folded), best first, with a snippet
  normalize phone|email VALUE     print the form omni matches identities by (needs no --db)
  fit --channel KIND TEXT         how TEXT fits a channel of KIND: encoding, length, SMS
                                  segments and the split into parts (needs no --db)
  metrics                         service metrics per day, week or month and for the whole
                                  range: conversations, inbound volume, first response and
                                  resolution times, FCR, handoffs, SLA attainment, CSAT,
                                  occupancy
  report --html OUT.html          the same metrics as one self-contained HTML page with charts
                                  (volume by channel kind, response and resolution times, FCR
                                  and SLA per bucket, channel switches) and a table per agent
  simulate SCENARIO               run a contact-centre scenario (JSON, see docs/simulation.md)
                                  on virtual time and print service level, waiting times,
                                  occupancy, SLA attainment and handoffs (needs no --db; "-"
                                  reads standard input)

Options (before or after the command):
  --db FILE            the SQLite database, or a PostgreSQL URI postgresql://... (required)
  --tenant NAME        the tenant to read; for ingest, the tenant of records that name none
                       (default: "default")
  --json               print one JSON document instead of text
  --limit N            timeline: touchpoints per page, 1..500 (default: 50); kb search:
                       articles, 1..100 (default: 10)
  --before CURSOR      timeline: the page older than CURSOR ("older:" line of the last page)
  --after CURSOR       timeline: the page newer than CURSOR ("newer:" line of the last page)
  --conversation ID    timeline: only this conversation's touchpoints; recommend: the case
                       the follow-up is about
  --set-channels LIST  preferences: preferred channel kinds, best first ("whatsapp,email";
                       "" for none)
  --language TAG       preferences: the preferred language ("" for none); render: the
                       language to render in (default: conversation's, customer's, template's);
                       kb search: only articles of this language
  --time-zone ZONE     preferences: IANA time zone, e.g. Europe/Berlin ("" for none);
                       metrics, report: the zone of the bucket boundaries (default: UTC)
  --from TIME          metrics, report: start of the range, RFC 3339 (2026-11-01T00:00:00Z,
                       2026-11-01T00:00:00+01:00; default: 30 days before --to)
  --to TIME            metrics, report: end of the range, exclusive (default: now)
  --group G            metrics, report: day (default), week, month or none
  --team NAME          metrics, report: only conversations of this team
  --agent NAME         metrics, report: only conversations assigned to this agent
  --html FILE          report: the HTML file to write (required)
  --quiet-hours SPAN   preferences: HH:MM-HH:MM local time, e.g. 22:00-08:00 ("none" for none)
  --clear              preferences: start from empty preferences (then apply the others)
  --source SOURCE      consent: where the consent came from (web_form, agent, ...); required
  --evidence TEXT      consent: what proves it (a form id, a call id)
  --address KIND:VALUE consent: only this address (phone:+4915112345678); --scope for its scope
  --value NAME=VALUE   render: a placeholder value (repeatable); wins over the built-in ones
  --urgency U          recommend: low, normal (default), high or critical
  --sensitive          recommend: the content is sensitive: secure channels only
  --region XX          normalize phone: region for numbers without a country code, e.g. DE
                       (default: none, only international numbers)
  --scope SCOPE        link, consent --address: the identity's scope (page id for
                       messenger_psid, ...)
  --verified           link: the identity was verified (e.g. by a login)
  --reason TEXT        merge: why the two are one person, kept in the merge record
                       (default: "merged with the omni command-line tool")
  --durability MODE    ingest: "full" (default) syncs every stored line to disk; "normal" is
                       several times faster and safe against a crash of omni, but the last
                       lines may be lost on power loss (run the same ingest again: duplicates
                       are skipped)
  --format F           ingest: jsonl (default), email, twilio, whatsapp, messenger,
                       instagram, telegram
  --channel NAME       ingest --format F: the channel the payloads arrived on, created when
                       missing (default: the format's name, e.g. "twilio")
  --channel KIND       fit: the channel kind (sms, whatsapp, x_dm, ...); required
  --channel NAME       render: the channel to render for (default: the conversation's current)
  --channel KIND       metrics, report: only conversations that began on this channel kind
                       and touchpoints of this kind
  --channel-kind KIND  ingest --format F: the kind of that channel (default: the format's;
                       twilio: sms, so use whatsapp for a WhatsApp sender through Twilio)
  --bot NAME           ingest --format telegram: the bot's name, which scopes the senders'
                       Telegram ids (default: "bot")
  -h, --help           show this help and exit
  --version            print the version and exit

Exit status: 0 success, 1 a record was rejected or a command failed (e.g. no such customer,
a merge that is not allowed, a text that does not fit, an invalid scenario or template, a
value the engine refuses), 2 usage error, 3 the database could not be opened. The input
format and outputs are described in docs/cli.md.
)";

struct CommandLine {
  std::string db;
  bool json = false;
  std::optional<std::string> tenant;
  std::optional<std::string> limit;
  std::optional<std::string> before;
  std::optional<std::string> after;
  std::optional<std::string> conversation;
  std::optional<std::string> durability;
  std::optional<std::string> region;
  std::optional<std::string> scope;
  std::optional<std::string> reason;
  std::optional<std::string> format;
  std::optional<std::string> channel;
  std::optional<std::string> channel_kind;
  std::optional<std::string> bot;
  // metrics, report
  std::optional<std::string> from;
  std::optional<std::string> to;
  std::optional<std::string> group;
  std::optional<std::string> team;
  std::optional<std::string> agent;
  std::optional<std::string> html;
  // preferences
  std::optional<std::string> set_channels;
  std::optional<std::string> language;  // also render
  std::optional<std::string> time_zone;
  std::optional<std::string> quiet_hours;
  bool clear = false;
  // consent
  std::optional<std::string> source;
  std::optional<std::string> evidence;
  std::optional<std::string> address;
  // render
  std::vector<std::string> values;
  // recommend
  std::optional<std::string> urgency;
  bool sensitive = false;
  bool verified = false;
  bool help = false;
  bool version = false;
  std::vector<std::string> arguments;  // the command and its operands
};

// A usage error: message for stderr, exit status 2.
struct UsageError {
  std::string message;
};

std::optional<std::int64_t> parse_positive(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || value <= 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<UsageError> parse_command_line(int argc, char** argv, CommandLine* cl) {
  enum Option {
    kDb = 1000,
    kTenant,
    kJson,
    kLimit,
    kBefore,
    kAfter,
    kConversation,
    kDurability,
    kRegion,
    kScope,
    kReason,
    kFormat,
    kChannel,
    kChannelKind,
    kBot,
    kSetChannels,
    kLanguage,
    kTimeZone,
    kQuietHours,
    kClear,
    kSource,
    kEvidence,
    kAddress,
    kValue,
    kUrgency,
    kSensitive,
    kVerified,
    kFrom,
    kTo,
    kGroup,
    kTeam,
    kAgent,
    kHtml,
    kVersion
  };
  static const ::option kOptions[] = {
      {"db", required_argument, nullptr, kDb},
      {"tenant", required_argument, nullptr, kTenant},
      {"json", no_argument, nullptr, kJson},
      {"limit", required_argument, nullptr, kLimit},
      {"before", required_argument, nullptr, kBefore},
      {"after", required_argument, nullptr, kAfter},
      {"conversation", required_argument, nullptr, kConversation},
      {"durability", required_argument, nullptr, kDurability},
      {"region", required_argument, nullptr, kRegion},
      {"scope", required_argument, nullptr, kScope},
      {"reason", required_argument, nullptr, kReason},
      {"format", required_argument, nullptr, kFormat},
      {"channel", required_argument, nullptr, kChannel},
      {"channel-kind", required_argument, nullptr, kChannelKind},
      {"bot", required_argument, nullptr, kBot},
      {"set-channels", required_argument, nullptr, kSetChannels},
      {"language", required_argument, nullptr, kLanguage},
      {"time-zone", required_argument, nullptr, kTimeZone},
      {"quiet-hours", required_argument, nullptr, kQuietHours},
      {"clear", no_argument, nullptr, kClear},
      {"source", required_argument, nullptr, kSource},
      {"evidence", required_argument, nullptr, kEvidence},
      {"address", required_argument, nullptr, kAddress},
      {"value", required_argument, nullptr, kValue},
      {"urgency", required_argument, nullptr, kUrgency},
      {"sensitive", no_argument, nullptr, kSensitive},
      {"verified", no_argument, nullptr, kVerified},
      {"from", required_argument, nullptr, kFrom},
      {"to", required_argument, nullptr, kTo},
      {"group", required_argument, nullptr, kGroup},
      {"team", required_argument, nullptr, kTeam},
      {"agent", required_argument, nullptr, kAgent},
      {"html", required_argument, nullptr, kHtml},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, kVersion},
      {nullptr, 0, nullptr, 0},
  };
  optind = 0;  // restart getopt's scan (GNU)
  opterr = 0;  // we print our own messages
  for (;;) {
    int index = 0;
    // "-": operands come back in order as option 1, so options may follow the command even
    // when POSIXLY_CORRECT is set; ":": a missing option argument is reported as ':'.
    int c = getopt_long(argc, argv, "-:h", kOptions, &index);
    if (c == -1) break;
    switch (c) {
      case 1:
        cl->arguments.emplace_back(optarg);
        break;
      case kDb:
        cl->db = optarg;
        break;
      case kTenant:
        cl->tenant = optarg;
        break;
      case kJson:
        cl->json = true;
        break;
      case kLimit:
        cl->limit = optarg;
        break;
      case kBefore:
        cl->before = optarg;
        break;
      case kAfter:
        cl->after = optarg;
        break;
      case kConversation:
        cl->conversation = optarg;
        break;
      case kDurability:
        cl->durability = optarg;
        break;
      case kRegion:
        cl->region = optarg;
        break;
      case kScope:
        cl->scope = optarg;
        break;
      case kReason:
        cl->reason = optarg;
        break;
      case kFormat:
        cl->format = optarg;
        break;
      case kChannel:
        cl->channel = optarg;
        break;
      case kChannelKind:
        cl->channel_kind = optarg;
        break;
      case kBot:
        cl->bot = optarg;
        break;
      case kSetChannels:
        cl->set_channels = optarg;
        break;
      case kLanguage:
        cl->language = optarg;
        break;
      case kTimeZone:
        cl->time_zone = optarg;
        break;
      case kQuietHours:
        cl->quiet_hours = optarg;
        break;
      case kClear:
        cl->clear = true;
        break;
      case kSource:
        cl->source = optarg;
        break;
      case kEvidence:
        cl->evidence = optarg;
        break;
      case kAddress:
        cl->address = optarg;
        break;
      case kValue:
        cl->values.emplace_back(optarg);
        break;
      case kUrgency:
        cl->urgency = optarg;
        break;
      case kSensitive:
        cl->sensitive = true;
        break;
      case kVerified:
        cl->verified = true;
        break;
      case kFrom:
        cl->from = optarg;
        break;
      case kTo:
        cl->to = optarg;
        break;
      case kGroup:
        cl->group = optarg;
        break;
      case kTeam:
        cl->team = optarg;
        break;
      case kAgent:
        cl->agent = optarg;
        break;
      case kHtml:
        cl->html = optarg;
        break;
      case 'h':
        cl->help = true;
        break;
      case kVersion:
        cl->version = true;
        break;
      case ':':
        return UsageError{fmt::format("option {} needs an argument", argv[optind - 1])};
      default:
        if (optopt != 0)
          return UsageError{fmt::format("unknown option -{}", static_cast<char>(optopt))};
        return UsageError{fmt::format("unknown option {}", argv[optind - 1])};
    }
  }
  // What follows "--".
  for (int i = optind; i < argc; ++i)
    cl->arguments.emplace_back(argv[i]);
  return std::nullopt;
}

class Cli {
 public:
  Cli(CommandLine cl, std::FILE* out, std::FILE* err) : cl_(std::move(cl)), out_(out), err_(err) {}

  int run() {
    if (cl_.help) {
      fmt::print(out_, "{}", kUsage);
      return kExitOk;
    }
    if (cl_.version) {
      fmt::print(out_, "omni {}\n", OMNI_VERSION_STRING);
      return kExitOk;
    }
    if (cl_.arguments.empty()) return usage("no command given");
    const std::string& command = cl_.arguments[0];
    std::vector<std::string> operands(cl_.arguments.begin() + 1, cl_.arguments.end());
    bool timeline_options = cl_.before || cl_.after || (cl_.limit && command != "kb");
    if (command != "timeline" && timeline_options) {
      return usage("--limit, --before and --after belong to the timeline command");
    }
    if (command != "timeline" && command != "recommend" && cl_.conversation) {
      return usage("--conversation belongs to timeline and recommend");
    }
    const bool metrics_command = command == "metrics" || command == "report";
    if (command != "preferences" && (cl_.set_channels || cl_.quiet_hours || cl_.clear)) {
      return usage("--set-channels, --quiet-hours and --clear belong to preferences");
    }
    if (command != "preferences" && !metrics_command && cl_.time_zone) {
      return usage("--time-zone belongs to preferences, metrics and report");
    }
    if (!metrics_command && (cl_.from || cl_.to || cl_.group || cl_.team || cl_.agent)) {
      return usage("--from, --to, --group, --team and --agent belong to metrics and report");
    }
    if (command != "report" && cl_.html) return usage("--html belongs to report");
    if (command != "preferences" && command != "render" && command != "kb" && cl_.language) {
      return usage("--language belongs to preferences, render and kb search");
    }
    if (command != "consent" && (cl_.source || cl_.evidence || cl_.address)) {
      return usage("--source, --evidence and --address belong to consent");
    }
    if (command != "render" && !cl_.values.empty()) return usage("--value belongs to render");
    if (command != "recommend" && (cl_.urgency || cl_.sensitive)) {
      return usage("--urgency and --sensitive belong to recommend");
    }
    if (command != "ingest" && cl_.durability) return usage("--durability belongs to ingest");
    if (command != "normalize" && cl_.region) return usage("--region belongs to normalize");
    if (command != "link" && cl_.verified) return usage("--verified belongs to link");
    if (command != "link" && command != "consent" && cl_.scope) {
      return usage("--scope belongs to link and consent");
    }
    if (command != "merge" && cl_.reason) return usage("--reason belongs to merge");
    if (command != "ingest" && (cl_.format || cl_.channel_kind || cl_.bot)) {
      return usage("--format, --channel-kind and --bot belong to ingest");
    }
    if (command != "ingest" && command != "fit" && command != "render" && !metrics_command &&
        cl_.channel) {
      return usage("--channel belongs to ingest, fit, render, metrics and report");
    }
    if (command == "normalize") return normalize(operands);
    if (command == "fit") return fit(operands);
    if (command == "simulate") return simulate(operands);
    if (command == "link") return link(operands);
    if (command == "merge") return merge(operands);
    if (command == "unmerge") return unmerge(operands);
    if (command == "preferences") return preferences(operands);
    if (command == "consent") return consent(operands);
    if (command == "template") return template_command(operands);
    if (command == "render") return render(operands);
    if (command == "recommend") return recommend(operands);
    if (command == "kb") return kb(operands);
    if (metrics_command) return metrics(command, operands);
    if (command == "ingest") {
      if (operands.empty())
        return usage("ingest needs at least one FILE (\"-\" for standard input)");
      if (cl_.durability && *cl_.durability != "full" && *cl_.durability != "normal") {
        return usage("--durability must be full or normal");
      }
      PayloadFormat format = PayloadFormat::kJsonLines;
      if (cl_.format) {
        auto parsed = parse_payload_format(*cl_.format);
        if (!parsed) {
          return usage(fmt::format("unknown format \"{}\"; expected one of: {}",
                                   printable(*cl_.format), payload_format_names()));
        }
        format = *parsed;
      }
      if (format == PayloadFormat::kJsonLines) {
        if (cl_.channel || cl_.channel_kind || cl_.bot) {
          return usage(
              "--channel, --channel-kind and --bot belong to ingest --format with a provider "
              "format (JSON Lines records name their channel)");
        }
        return with_engine(true, [&](Engine& engine) { return ingest(engine, operands); });
      }
      PayloadOptions options;
      options.format = format;
      options.tenant = cl_.tenant.value_or(std::string(kDefaultTenant));
      options.channel_name = cl_.channel.value_or(default_channel_name(format));
      options.channel_kind = default_channel_kind(format);
      if (cl_.channel_kind) {
        auto kind = parse_channel_kind(*cl_.channel_kind);
        if (!kind) {
          return usage(fmt::format("unknown channel kind \"{}\"", printable(*cl_.channel_kind)));
        }
        options.channel_kind = *kind;
      }
      if (cl_.bot) {
        if (format != PayloadFormat::kTelegram) return usage("--bot belongs to --format telegram");
        options.bot_name = *cl_.bot;
      }
      if (options.tenant.empty()) return usage("--tenant must not be empty");
      if (options.channel_name.empty()) return usage("--channel must not be empty");
      if (options.bot_name.empty()) return usage("--bot must not be empty");
      return with_engine(
          true, [&](Engine& engine) { return ingest_payloads(engine, operands, options); });
    }
    if (command == "agents") {
      if (!operands.empty()) return usage("agents takes no arguments");
      return with_tenant([&](Renderer& renderer) { return renderer.agents(); });
    }
    if (command == "customers") {
      if (!operands.empty()) return usage("customers takes no arguments");
      return with_tenant([&](Renderer& renderer) { return renderer.customers(); });
    }
    if (command == "duplicates") {
      if (!operands.empty()) return usage("duplicates takes no arguments");
      return with_tenant([&](Renderer& renderer) { return renderer.duplicates(); });
    }
    if (command == "timeline") return timeline(operands);
    if (command == "conversation") {
      if (operands.size() != 1) return usage("conversation needs one CONVERSATION_ID");
      auto id = parse_positive(operands[0]);
      if (!id) return usage("CONVERSATION_ID must be a positive integer");
      return with_tenant(
          [&](Renderer& renderer) { return renderer.conversation(ConversationId(*id)); });
    }
    return usage(fmt::format("unknown command \"{}\"", printable(command)));
  }

 private:
  int normalize(const std::vector<std::string>& operands) {
    if (operands.size() != 2 || (operands[0] != "phone" && operands[0] != "email")) {
      return usage("normalize needs phone|email and a VALUE");
    }
    const std::string& kind = operands[0];
    const std::string& value = operands[1];
    const std::string region = cl_.region.value_or("ZZ");
    std::string normalized;
    std::string display_name;
    if (kind == "phone") {
      auto phone = normalize_phone_number(value, region);
      if (!phone.ok()) return fail(phone.status().message());
      normalized = std::move(*phone);
    } else {
      auto email = normalize_email_address(value);
      if (!email.ok()) return fail(email.status().message());
      normalized = std::move(email->address);
      display_name = std::move(email->display_name);
    }
    if (cl_.json) {
      JsonWriter w(out_);
      w.begin_object();
      w.field("kind", kind);
      w.field("input", value);
      w.field("normalized", normalized);
      if (kind == "phone") w.field("region", cl_.region);
      if (kind == "email") w.field("display_name", display_name);
      w.end_object();
      w.finish();
    } else {
      fmt::print(out_, "{}\n", normalized);
    }
    return kExitOk;
  }

  int fit(const std::vector<std::string>& operands) {
    if (!cl_.channel) return usage("fit needs --channel KIND");
    auto kind = parse_channel_kind(*cl_.channel);
    if (!kind) return usage(fmt::format("unknown channel kind \"{}\"", printable(*cl_.channel)));
    if (operands.size() != 1) return usage("fit needs one TEXT (quote it)");
    auto report = fit_text(operands[0], default_profile(*kind));
    if (!report.ok()) return fail(report.status().message());
    const FitReport& r = *report;
    if (cl_.json) {
      JsonWriter w(out_);
      w.begin_object();
      w.field("channel", to_string(*kind));
      write_fit_fields(w, r);
      w.end_object();
      w.finish();
    } else {
      print_fit_text(out_, to_string(*kind), r);
    }
    std::fflush(out_);
    Status fits = check_fit(r);
    if (!fits.ok()) return fail(fits.message());
    return kExitOk;
  }

  int simulate(const std::vector<std::string>& operands) {
    if (operands.size() != 1)
      return usage("simulate needs one SCENARIO file (\"-\" for standard input)");
    const std::string& path = operands[0];
    std::string text;
    {
      std::ifstream file;
      std::istream* in = &std::cin;
      if (path != "-") {
        file.open(path, std::ios::binary);
        if (!file) return fail(fmt::format("{}: {}", printable(path), std::strerror(errno)));
        in = &file;
      }
      std::ostringstream buffer;
      buffer << in->rdbuf();
      if (in->bad()) return fail(fmt::format("{}: read error", printable(path)));
      text = buffer.str();
    }
    auto scenario = parse_scenario(text);
    if (!scenario.ok()) {
      return fail(fmt::format("{}: {}", printable(path), scenario.status().message()));
    }
    auto report = omni::simulate(*scenario);
    if (!report.ok())
      return fail(fmt::format("{}: {}", printable(path), report.status().message()));
    const std::string rendered = cl_.json ? report_json(*report) : report_text(*report);
    std::fwrite(rendered.data(), 1, rendered.size(), out_);
    std::fflush(out_);
    if (report->capacity_violations > 0) {
      return fail(
          fmt::format("{} capacity violations: routing gave an agent more than its capacity",
                      report->capacity_violations));
    }
    return kExitOk;
  }

  // Opens the engine, finds the tenant and runs `body(engine, tenant, renderer)`, which returns
  // the exit status.
  template <typename Body>
  int with_tenant_engine(Body body) {
    return with_engine(false, [&](Engine& engine) {
      std::optional<Tenant> tenant = find_tenant(engine);
      if (!tenant) return static_cast<int>(kExitFailed);
      Renderer renderer(engine, *tenant, cl_.json ? OutputFormat::kJson : OutputFormat::kText,
                        out_);
      return body(engine, *tenant, renderer);
    });
  }

  // The exit status for what a renderer returned.
  int rendered(const Status& status) {
    if (!status.ok()) return fail(one_line_excerpt(status.to_string(), 1000));
    return kExitOk;
  }

  int preferences(const std::vector<std::string>& operands) {
    if (operands.size() != 1) return usage("preferences needs one CUSTOMER_ID");
    auto customer = parse_positive(operands[0]);
    if (!customer) return usage("CUSTOMER_ID must be a positive integer");
    std::optional<std::vector<ChannelKind>> channels;
    if (cl_.set_channels) {
      channels.emplace();
      std::string_view list = *cl_.set_channels;
      while (!list.empty()) {
        const std::size_t comma = list.find(',');
        std::string_view name = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        while (!name.empty() && name.front() == ' ')
          name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ')
          name.remove_suffix(1);
        auto kind = parse_channel_kind(name);
        if (!kind) {
          return usage(fmt::format("--set-channels: unknown channel kind \"{}\"", printable(name)));
        }
        channels->push_back(*kind);
      }
    }
    // Set: the new quiet hours (nullopt inside: none).
    std::optional<std::optional<QuietHours>> quiet;
    if (cl_.quiet_hours) {
      if (cl_.quiet_hours->empty() || *cl_.quiet_hours == "none") {
        quiet.emplace(std::nullopt);
      } else {
        auto parsed = parse_quiet_hours(*cl_.quiet_hours);
        if (!parsed) {
          return usage(
              fmt::format("--quiet-hours must be HH:MM-HH:MM (e.g. 22:00-08:00) or none, "
                          "not \"{}\"",
                          printable(*cl_.quiet_hours)));
        }
        quiet.emplace(*parsed);
      }
    }
    const bool change = cl_.clear || channels || cl_.language || cl_.time_zone || quiet;
    const CustomerId id(*customer);
    return with_tenant_engine([&](Engine& engine, const Tenant& tenant, Renderer& renderer) {
      if (change) {
        // Only what is given changes: the rest is read first (update_customer replaces the
        // preferences whole).
        auto view = engine.customer_view(tenant.id, id);
        if (!view.ok()) return fail(customer_error(engine, tenant, view.status(), {id}));
        ContactPreferences p = cl_.clear ? ContactPreferences{} : view->customer.preferences;
        if (channels) p.channels = *channels;
        if (cl_.language) p.language = *cl_.language;
        if (cl_.time_zone) p.time_zone = *cl_.time_zone;
        if (quiet) p.quiet_hours = *quiet;
        CustomerUpdate update;
        update.preferences = std::move(p);
        auto updated = engine.update_customer(tenant.id, id, update);
        if (!updated.ok()) return fail(customer_error(engine, tenant, updated.status(), {id}));
      }
      return rendered(renderer.contact(id));
    });
  }

  int consent(const std::vector<std::string>& operands) {
    if (operands.size() != 3) return usage("consent needs CUSTOMER_ID KIND granted|withdrawn");
    auto customer = parse_positive(operands[0]);
    if (!customer) return usage("CUSTOMER_ID must be a positive integer");
    auto kind = parse_channel_kind(operands[1]);
    if (!kind) return usage(fmt::format("unknown channel kind \"{}\"", printable(operands[1])));
    auto state = parse_consent_state(operands[2]);
    if (!state) {
      return usage(fmt::format("consent state must be granted or withdrawn, not \"{}\"",
                               printable(operands[2])));
    }
    if (!cl_.source || cl_.source->empty()) {
      return usage("consent needs --source SOURCE (web_form, agent, import, ...)");
    }
    ConsentChange change;
    change.customer = CustomerId(*customer);
    change.channel_kind = *kind;
    change.state = *state;
    change.source = *cl_.source;
    change.evidence = cl_.evidence.value_or("");
    if (cl_.address) {
      // KIND:VALUE, the identity as link takes it ("phone:+49 151 ..."), --scope for its scope.
      const std::size_t colon = cl_.address->find(':');
      auto identity_kind = colon == std::string::npos
                               ? std::nullopt
                               : parse_identity_kind(cl_.address->substr(0, colon));
      if (!identity_kind) {
        return usage(fmt::format(
            "--address must be KIND:VALUE with an identity kind (phone:+4915112345678), not "
            "\"{}\"",
            printable(*cl_.address)));
      }
      change.address =
          IdentityInput{*identity_kind, cl_.scope.value_or(""), cl_.address->substr(colon + 1)};
    } else if (cl_.scope) {
      return usage("--scope belongs to --address");
    }
    return with_tenant_engine([&](Engine& engine, const Tenant& tenant, Renderer& renderer) {
      change.tenant = tenant.id;
      auto consents = engine.set_consent(change);
      if (!consents.ok()) {
        return fail(customer_error(engine, tenant, consents.status(), {change.customer}));
      }
      return rendered(renderer.contact(change.customer, &*consents));
    });
  }

  int template_command(const std::vector<std::string>& operands) {
    const std::string sub = operands.empty() ? "" : operands[0];
    if (sub == "list") {
      if (operands.size() != 1) return usage("template list takes no arguments");
      return with_tenant([&](Renderer& renderer) { return renderer.templates(); });
    }
    if (sub == "show" || sub == "remove") {
      if (operands.size() != 2) return usage(fmt::format("template {} needs one KEY", sub));
      const std::string& key = operands[1];
      return with_tenant_engine([&](Engine& engine, const Tenant& tenant, Renderer& renderer) {
        if (sub == "show") {
          auto t = engine.get_template(tenant.id, key);
          if (!t.ok()) return rendered(t.status());
          return rendered(renderer.template_detail(*t, ""));
        }
        Status removed = engine.remove_template(tenant.id, key);
        if (!removed.ok()) return rendered(removed);
        if (cl_.json) {
          JsonWriter w(out_);
          w.begin_object();
          w.field("tenant", tenant.name);
          w.field("removed", key);
          w.end_object();
          w.finish();
        } else {
          fmt::print(out_, "removed template {}\n", printable(key));
        }
        return static_cast<int>(kExitOk);
      });
    }
    if (sub != "put") return usage("template needs put FILE, list, show KEY or remove KEY");
    if (operands.size() != 2)
      return usage("template put needs one FILE (\"-\" for standard input)");
    const std::string& path = operands[1];
    std::string text;
    {
      std::ifstream file;
      std::istream* in = &std::cin;
      if (path != "-") {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) {
          return fail(fmt::format("{}: is a directory", printable(path)));
        }
        file.open(path, std::ios::binary);
        if (!file) return fail(fmt::format("{}: {}", printable(path), std::strerror(errno)));
        in = &file;
      }
      std::ostringstream buffer;
      buffer << in->rdbuf();
      if (in->bad()) return fail(fmt::format("{}: read error", printable(path)));
      text = buffer.str();
    }
    auto parsed = parse_template_json(text);
    if (!parsed.ok()) {
      return fail(fmt::format("{}: {}", printable(path), parsed.status().to_string()));
    }
    return with_tenant_engine([&](Engine& engine, const Tenant& tenant, Renderer& renderer) {
      Status stored = engine.put_template(tenant.id, *parsed);
      if (!stored.ok()) {
        return fail(
            fmt::format("{}: {}", printable(path), one_line_excerpt(stored.to_string(), 1000)));
      }
      auto t = engine.get_template(tenant.id, parsed->key);
      return rendered(t.ok() ? renderer.template_detail(*t, "stored") : t.status());
    });
  }

  int render(const std::vector<std::string>& operands) {
    if (operands.size() != 2) return usage("render needs KEY CONVERSATION_ID");
    auto conversation = parse_positive(operands[1]);
    if (!conversation) return usage("CONVERSATION_ID must be a positive integer");
    RenderRequest request;
    request.template_key = operands[0];
    request.conversation = ConversationId(*conversation);
    request.language = cl_.language.value_or("");
    for (const std::string& value : cl_.values) {
      const std::size_t equals = value.find('=');
      if (equals == std::string::npos || equals == 0) {
        return usage(fmt::format("--value must be NAME=VALUE, not \"{}\"", printable(value)));
      }
      request.values[value.substr(0, equals)] = value.substr(equals + 1);
    }
    if (cl_.channel && cl_.channel->empty()) return usage("--channel must not be empty");
    return with_tenant_engine([&](Engine& engine, const Tenant& tenant, Renderer& renderer) {
      request.tenant = tenant.id;
      if (cl_.channel) {
        auto channels = engine.list_channels(tenant.id);
        if (!channels.ok()) return rendered(channels.status());
        for (const Channel& c : *channels) {
          if (c.name == *cl_.channel) request.channel = c.id;
        }
        if (!request.channel) {
          return fail(fmt::format("no channel named \"{}\" in tenant \"{}\"",
                                  printable(*cl_.channel), printable(tenant.name)));
        }
      }
      auto reply = engine.render_template(request);
      if (!reply.ok()) return rendered(reply.status());
      if (int status = rendered(renderer.rendered(*reply)); status != kExitOk) return status;
      std::fflush(out_);
      Status fits = check_fit(reply->fit);
      if (!fits.ok()) return fail(fits.message());
      return static_cast<int>(kExitOk);
    });
  }

  int recommend(const std::vector<std::string>& operands) {
    if (operands.size() != 1) return usage("recommend needs one CUSTOMER_ID");
    auto customer = parse_positive(operands[0]);
    if (!customer) return usage("CUSTOMER_ID must be a positive integer");
    FollowUpRequest request;
    request.customer = CustomerId(*customer);
    request.sensitive = cl_.sensitive;
    if (cl_.urgency) {
      auto urgency = parse_urgency(*cl_.urgency);
      if (!urgency) {
        return usage(fmt::format("--urgency must be low, normal, high or critical, not \"{}\"",
                                 printable(*cl_.urgency)));
      }
      request.urgency = *urgency;
    }
    if (cl_.conversation) {
      auto id = parse_positive(*cl_.conversation);
      if (!id) return usage("--conversation must be a positive integer");
      request.conversation = ConversationId(*id);
    }
    return with_tenant_engine([&](Engine& engine, const Tenant& tenant, Renderer& renderer) {
      request.tenant = tenant.id;
      auto choice = engine.recommend_channel(request);
      if (!choice.ok()) {
        return fail(customer_error(engine, tenant, choice.status(), {request.customer}));
      }
      return rendered(renderer.recommendation(request, *choice));
    });
  }

  int kb(const std::vector<std::string>& operands) {
    if (operands.size() < 2 || operands[0] != "search") return usage("kb search needs TEXT");
    ArticleQuery query;
    for (std::size_t i = 1; i < operands.size(); ++i) {
      if (i > 1) query.text += ' ';
      query.text += operands[i];
    }
    if (cl_.language) query.language = *cl_.language;
    if (cl_.limit) {
      auto limit = parse_positive(*cl_.limit);
      if (!limit || *limit > 100) return usage("--limit must be 1..100");
      query.limit = static_cast<std::size_t>(*limit);
    }
    return with_engine(false, [&](Engine& engine) {
      std::optional<Tenant> tenant = find_tenant(engine);
      if (!tenant) return static_cast<int>(kExitFailed);
      query.tenant = tenant->id;
      auto hits = engine.search_articles(query);
      if (!hits.ok()) return fail(hits.status().to_string());
      if (cl_.json) {
        JsonWriter w(out_);
        w.begin_object();
        w.field("query", query.text);
        w.key("hits");
        w.begin_array();
        for (const ArticleHit& hit : *hits) {
          w.begin_object();
          w.field("article", hit.article.value());
          w.field("slug", hit.slug);
          w.field("title", hit.title);
          w.field("language", hit.language);
          w.field("score", hit.score);
          w.field("snippet", hit.snippet);
          w.end_object();
        }
        w.end_array();
        w.end_object();
        w.finish();
      } else {
        fmt::print(out_, "{} {} in tenant \"{}\"\n", hits->size(),
                   hits->size() == 1 ? "article" : "articles", printable(tenant->name));
        for (const ArticleHit& hit : *hits) {
          fmt::print(out_, "{} ({}, article {}): {}\n  {}\n", printable(hit.slug),
                     printable(hit.language), hit.article.value(), printable(hit.title, 512),
                     one_line_excerpt(hit.snippet, 200));
        }
      }
      return static_cast<int>(kExitOk);
    });
  }

  // `metrics` and `report`: the query from --from, --to, --group, --time-zone, --channel,
  // --team and --agent; one Engine::metrics call for the buckets and one (grouping none) for the
  // totals. `report` adds one call per agent and writes the HTML page to --html.
  int metrics(const std::string& command, const std::vector<std::string>& operands) {
    const bool report = command == "report";
    if (!operands.empty()) return usage(fmt::format("{} takes no arguments", command));
    if (report && !cl_.html) return usage("report needs --html FILE");
    if (report && cl_.html->empty()) return usage("--html must not be empty");
    if (report && cl_.json) return usage("report writes HTML; --json belongs to metrics");
    MetricsQuery query;
    std::optional<Timestamp> from;
    std::optional<Timestamp> to;
    for (auto [text, name, into] :
         {std::tuple(&cl_.from, "--from", &from), std::tuple(&cl_.to, "--to", &to)}) {
      if (!*text) continue;
      auto parsed = parse_timestamp(**text);
      if (!parsed.ok()) {
        return usage(fmt::format("{} must be an RFC 3339 time (2026-11-01T00:00:00Z), not \"{}\"",
                                 name, printable(**text)));
      }
      *into = *parsed;
    }
    if (from && to && !(*from < *to)) return usage("--from must be before --to");
    if (cl_.group) {
      auto grouping = parse_grouping(*cl_.group);
      if (!grouping) {
        return usage(fmt::format("--group must be day, week, month or none, not \"{}\"",
                                 printable(*cl_.group)));
      }
      query.grouping = *grouping;
    }
    if (cl_.time_zone) {
      if (cl_.time_zone->empty()) return usage("--time-zone must not be empty");
      query.time_zone = *cl_.time_zone;
    }
    if (cl_.channel) {
      auto kind = parse_channel_kind(*cl_.channel);
      if (!kind) return usage(fmt::format("unknown channel kind \"{}\"", printable(*cl_.channel)));
      query.channel_kind = *kind;
    }
    if (cl_.team) {
      if (cl_.team->empty()) return usage("--team must not be empty");
      query.team = *cl_.team;
    }
    if (cl_.agent && cl_.agent->empty()) return usage("--agent must not be empty");
    return with_engine(false, [&](Engine& engine) {
      std::optional<Tenant> tenant = find_tenant(engine);
      if (!tenant) return static_cast<int>(kExitFailed);
      const Clock* clock = engine.options().clock;
      const Timestamp now = clock != nullptr ? clock->now() : SystemClock().now();
      MetricsResult result;
      result.tenant = tenant->name;
      result.generated_at = now;
      query.tenant = tenant->id;
      query.to = to.value_or(now);
      query.from = from.value_or(query.to - kDefaultMetricsRange);
      auto agents = engine.list_agents(tenant->id);
      if (!agents.ok()) return fail(one_line_excerpt(agents.status().to_string(), 1000));
      if (cl_.agent) {
        for (const Agent& a : *agents) {
          if (a.name == *cl_.agent) query.agent = a.id;
        }
        if (!query.agent) {
          return fail(fmt::format("no agent named \"{}\" in tenant \"{}\"", printable(*cl_.agent),
                                  printable(tenant->name)));
        }
        result.agent_name = *cl_.agent;
      }
      result.query = query;
      auto rows = engine.metrics(query);
      if (!rows.ok()) return fail(one_line_excerpt(rows.status().to_string(), 1000));
      result.rows = std::move(rows->rows);
      // The totals: one more call without buckets (the row itself when there are none).
      MetricsQuery whole = query;
      whole.grouping = MetricsGrouping::kNone;
      if (query.grouping == MetricsGrouping::kNone && !result.rows.empty()) {
        result.totals = result.rows.front();
      } else {
        auto totals = engine.metrics(whole);
        if (!totals.ok()) return fail(one_line_excerpt(totals.status().to_string(), 1000));
        if (!totals->rows.empty()) result.totals = totals->rows.front();
      }
      if (!report) {
        if (cl_.json) {
          write_metrics_json(out_, result);
        } else {
          const std::string text = metrics_text(result);
          std::fwrite(text.data(), 1, text.size(), out_);
        }
        return static_cast<int>(kExitOk);
      }
      // One row per agent over the whole range: the agents of the --team, or the --agent.
      for (const Agent& a : *agents) {
        if (query.agent && a.id != *query.agent) continue;
        if (!query.team.empty() &&
            std::find(a.teams.begin(), a.teams.end(), query.team) == a.teams.end()) {
          continue;
        }
        MetricsQuery one = whole;
        one.agent = a.id;
        auto row = engine.metrics(one);
        if (!row.ok()) return fail(one_line_excerpt(row.status().to_string(), 1000));
        AgentMetrics agent{a.name, a.kind, a.teams, {}};
        if (!row->rows.empty()) agent.metrics = row->rows.front();
        result.agents.push_back(std::move(agent));
      }
      std::stable_sort(result.agents.begin(), result.agents.end(),
                       [](const AgentMetrics& a, const AgentMetrics& b) {
                         if (a.metrics.conversations != b.metrics.conversations) {
                           return a.metrics.conversations > b.metrics.conversations;
                         }
                         return a.name < b.name;
                       });
      const std::string html = render_report_html(result);
      std::ofstream file(*cl_.html, std::ios::binary | std::ios::trunc);
      if (file) file.write(html.data(), static_cast<std::streamsize>(html.size()));
      if (file) file.close();
      if (!file) {
        return fail(fmt::format("cannot write {}: {}", printable(*cl_.html), std::strerror(errno)));
      }
      fmt::print(out_, "wrote {}: tenant \"{}\", {} to {}, {} buckets, {} agents\n",
                 printable(*cl_.html), printable(tenant->name), format_timestamp(query.from),
                 format_timestamp(query.to), result.rows.size(), result.agents.size());
      return static_cast<int>(kExitOk);
    });
  }

  int link(const std::vector<std::string>& operands) {
    if (operands.size() != 3) return usage("link needs CUSTOMER_ID KIND VALUE");
    auto customer = parse_positive(operands[0]);
    if (!customer) return usage("CUSTOMER_ID must be a positive integer");
    auto kind = parse_identity_kind(operands[1]);
    if (!kind) return usage(fmt::format("unknown identity kind \"{}\"", printable(operands[1])));
    IdentityInput input{*kind, cl_.scope.value_or(""), operands[2]};
    return with_engine(false, [&](Engine& engine) {
      std::optional<Tenant> tenant = find_tenant(engine);
      if (!tenant) return static_cast<int>(kExitFailed);
      auto linked =
          engine.link_identity(tenant->id, CustomerId(*customer), input, cl_.verified, "cli");
      if (!linked.ok()) return fail(linked.status().to_string());
      if (cl_.json) {
        JsonWriter w(out_);
        w.begin_object();
        w.field("identity", linked->id.value());
        w.field("customer", linked->customer.value());
        w.field("kind", std::string(to_string(linked->kind)));
        w.field("scope", linked->scope);
        w.field("value", linked->value);
        w.field("verified", linked->verified);
        w.field("source", linked->source);
        w.end_object();
        w.finish();
      } else {
        fmt::print(out_, "customer {}: {}:{}{} ({}, identity {})\n", linked->customer.value(),
                   to_string(linked->kind), linked->scope.empty() ? "" : linked->scope + "/",
                   linked->value, linked->verified ? "verified" : "unverified", linked->id.value());
      }
      return static_cast<int>(kExitOk);
    });
  }

  int merge(const std::vector<std::string>& operands) {
    if (operands.size() != 2) return usage("merge needs SURVIVOR_ID MERGED_ID");
    auto survivor = parse_positive(operands[0]);
    if (!survivor) return usage("SURVIVOR_ID must be a positive integer");
    auto merged = parse_positive(operands[1]);
    if (!merged) return usage("MERGED_ID must be a positive integer");
    std::string reason = cl_.reason.value_or(std::string(kDefaultMergeReason));
    if (reason.empty()) return usage("--reason must not be empty");
    return with_engine(false, [&](Engine& engine) {
      std::optional<Tenant> tenant = find_tenant(engine);
      if (!tenant) return static_cast<int>(kExitFailed);
      MergeSpec spec{tenant->id, CustomerId(*survivor), CustomerId(*merged), std::string(kActor),
                     reason};
      auto record = engine.merge_customers(spec);
      if (!record.ok()) {
        return fail(customer_error(engine, *tenant, record.status(), {spec.survivor, spec.merged}));
      }
      Renderer renderer(engine, *tenant, cl_.json ? OutputFormat::kJson : OutputFormat::kText,
                        out_);
      Status status = renderer.merged(*record);
      if (!status.ok()) return fail(status.to_string());
      return static_cast<int>(kExitOk);
    });
  }

  int unmerge(const std::vector<std::string>& operands) {
    if (operands.size() != 1) return usage("unmerge needs one CUSTOMER_ID");
    auto customer = parse_positive(operands[0]);
    if (!customer) return usage("CUSTOMER_ID must be a positive integer");
    return with_engine(false, [&](Engine& engine) {
      std::optional<Tenant> tenant = find_tenant(engine);
      if (!tenant) return static_cast<int>(kExitFailed);
      auto result = engine.unmerge_customer(tenant->id, CustomerId(*customer), std::string(kActor));
      if (!result.ok()) {
        return fail(customer_error(engine, *tenant, result.status(), {CustomerId(*customer)}));
      }
      Renderer renderer(engine, *tenant, cl_.json ? OutputFormat::kJson : OutputFormat::kText,
                        out_);
      Status status = renderer.unmerged(*result);
      if (!status.ok()) return fail(status.to_string());
      return static_cast<int>(kExitOk);
    });
  }

  // The message for a failed merge or unmerge of `customers`: "no customer 7 in tenant "acme""
  // when one of them does not exist, else the engine's message (which may quote stored names,
  // so it is kept on one line without control characters).
  std::string customer_error(Engine& engine, const Tenant& tenant, const Status& status,
                             const std::vector<CustomerId>& customers) {
    if (status.is(StatusCode::kNotFound)) {
      for (CustomerId id : customers) {
        auto found = find_customer_record(engine, tenant.id, id);
        if (found.ok() && !*found) {
          return fmt::format("no customer {} in tenant \"{}\"", id.value(), printable(tenant.name));
        }
      }
    }
    return one_line_excerpt(status.to_string(), 1000);
  }

  // The tenant named by --tenant (default "default"); reports a missing one and returns nullopt.
  std::optional<Tenant> find_tenant(Engine& engine) {
    std::string name = cl_.tenant.value_or(std::string(kDefaultTenant));
    auto tenant = engine.find_tenant(name);
    if (tenant.ok()) return *tenant;
    fail(tenant.status().is(StatusCode::kNotFound)
             ? fmt::format("no tenant named \"{}\" in {}", printable(name), cl_.db)
             : tenant.status().to_string());
    return std::nullopt;
  }

  int usage(std::string_view message) {
    fmt::print(err_, "omni: {}\nTry 'omni --help'.\n", message);
    return kExitUsage;
  }

  int fail(std::string_view message) {
    fmt::print(err_, "omni: {}\n", message);
    return kExitFailed;
  }

  // The store --db names: a PostgreSQL connection URI (postgresql://...) or a SQLite file;
  // kNotFound for a file that does not exist when `create` is false.
  Result<std::unique_ptr<Store>> open_store(bool create) {
    const std::string_view db = cl_.db;
    if (db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0) {
#ifdef OMNI_HAVE_POSTGRES
      PostgresStoreOptions options;
      options.conninfo = cl_.db;
      return open_postgres_store(options);
#else
      return Status::failed_precondition("this omni was built without PostgreSQL (libpq)");
#endif
    }
    std::error_code ec;
    if (!create && !std::filesystem::exists(cl_.db, ec)) return Status::not_found("no such file");
    SqliteStoreOptions options;
    options.path = cl_.db;
    if (cl_.durability == "normal") options.durability = Durability::kNormal;
    return open_sqlite_store(options);
  }

  // Opens the database and the engine, then runs `body`. A read command never creates a file.
  template <typename Body>
  int with_engine(bool create, Body body) {
    if (cl_.db.empty()) return usage("--db FILE is required");
    auto store = open_store(create);
    if (!store.ok() && store.status().is(StatusCode::kNotFound)) {
      fmt::print(err_, "omni: cannot open database {}: no such file\n", cl_.db);
      return kExitDatabase;
    }
    if (!store.ok()) {
      fmt::print(err_, "omni: cannot open database {}: {}\n", cl_.db, store.status().to_string());
      return kExitDatabase;
    }
    auto engine = Engine::open(std::move(*store));
    if (!engine.ok()) {
      fmt::print(err_, "omni: cannot open database {}: {}\n", cl_.db, engine.status().to_string());
      return kExitDatabase;
    }
    return body(**engine);
  }

  // Opens the engine, finds the tenant and runs `body` with a renderer for it.
  template <typename Body>
  int with_tenant(Body body) {
    return with_engine(false, [&](Engine& engine) {
      std::optional<Tenant> tenant = find_tenant(engine);
      if (!tenant) return static_cast<int>(kExitFailed);
      Renderer renderer(engine, *tenant, cl_.json ? OutputFormat::kJson : OutputFormat::kText,
                        out_);
      Status status = body(renderer);
      if (!status.ok()) return fail(status.to_string());
      return static_cast<int>(kExitOk);
    });
  }

  int timeline(const std::vector<std::string>& operands) {
    if (operands.size() != 1) return usage("timeline needs one CUSTOMER_ID");
    auto customer = parse_positive(operands[0]);
    if (!customer) return usage("CUSTOMER_ID must be a positive integer");
    if (cl_.before && cl_.after) return usage("give --before or --after, not both");
    TimelineQuery query;
    query.customer = CustomerId(*customer);
    if (cl_.before || cl_.after) {
      const std::string& text = cl_.before ? *cl_.before : *cl_.after;
      auto cursor = parse_cursor(text);
      if (!cursor) {
        return usage(
            fmt::format("\"{}\" is not a cursor (<unix_micros>:<touchpoint_id>)", printable(text)));
      }
      query.cursor = *cursor;
      query.direction = cl_.before ? TimelineDirection::kOlder : TimelineDirection::kNewer;
    }
    std::optional<std::int64_t> limit;
    if (cl_.limit) {
      limit = parse_positive(*cl_.limit);
      if (!limit) return usage("--limit must be a positive integer");
    }
    if (cl_.conversation) {
      auto id = parse_positive(*cl_.conversation);
      if (!id) return usage("--conversation must be a positive integer");
      query.conversation = ConversationId(*id);
    }
    return with_engine(false, [&](Engine& engine) {
      std::size_t max = engine.options().max_page_size;
      if (limit) {
        if (static_cast<std::uint64_t>(*limit) > max) {
          return usage(fmt::format("--limit must be 1..{}", max));
        }
        query.limit = static_cast<std::size_t>(*limit);
      }
      std::optional<Tenant> tenant = find_tenant(engine);
      if (!tenant) return static_cast<int>(kExitFailed);
      query.tenant = tenant->id;
      Renderer renderer(engine, *tenant, cl_.json ? OutputFormat::kJson : OutputFormat::kText,
                        out_);
      Status status = renderer.timeline(query);
      if (!status.ok()) return fail(status.to_string());
      return static_cast<int>(kExitOk);
    });
  }

  struct FileResult {
    std::string source;
    IngestCounts counts;
    std::optional<std::string> error;  // the input could not be read
  };

  // Opens each path ("-" is standard input) and hands the stream to `read`, which returns the
  // counts (and may set file.error). Unreadable inputs are reported on stderr and skipped.
  // Returns whether any input was unreadable.
  template <typename Read>
  bool read_inputs(const std::vector<std::string>& paths, std::vector<FileResult>& files,
                   IngestCounts& total, Read&& read) {
    bool unreadable = false;
    for (const std::string& path : paths) {
      FileResult file;
      file.source = path == "-" ? "<stdin>" : path;
      std::ifstream opened;
      std::istream* in = &std::cin;
      if (path != "-") {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) {
          file.error = "is a directory";
        } else {
          opened.open(path, std::ios::binary);
          if (!opened) file.error = std::strerror(errno);
          in = &opened;
        }
      }
      if (!file.error) file.counts = read(*in, file);
      if (file.error) {
        fmt::print(err_, "omni: cannot read {}: {}\n", path, *file.error);
        unreadable = true;
      }
      total += file.counts;
      files.push_back(std::move(file));
    }
    return unreadable;
  }

  int ingest(Engine& engine, const std::vector<std::string>& paths) {
    Ingester ingester(engine, IngestOptions{cl_.tenant.value_or(std::string(kDefaultTenant))});
    std::optional<JsonWriter> json;
    if (cl_.json) {
      json.emplace(out_);
      json->begin_object();
      json->key("errors");
      json->begin_array();
    }
    auto on_rejected = [&](const Rejection& r) {
      if (r.error.field.empty()) {
        fmt::print(err_, "{}:{}: {}\n", r.source, r.line, r.error.message);
      } else {
        fmt::print(err_, "{}:{}: field \"{}\": {}\n", r.source, r.line, r.error.field,
                   r.error.message);
      }
      if (json) {
        JsonWriter& w = *json;
        w.begin_object();
        w.field("file", r.source);
        w.field("line", static_cast<std::uint64_t>(r.line));
        w.field("field", r.error.field);
        w.field("reason", to_string(r.error.kind));
        w.field("message", r.error.message);
        w.end_object();
      }
    };

    std::vector<FileResult> files;
    IngestCounts total;
    const bool unreadable =
        read_inputs(paths, files, total, [&](std::istream& in, FileResult& file) {
          return ingester.ingest_stream(in, file.source, on_rejected);
        });
    return finish_ingest(json, files, total, unreadable, false);
  }

  // `ingest --format F`: one provider payload per file.
  int ingest_payloads(Engine& engine, const std::vector<std::string>& paths,
                      const PayloadOptions& options) {
    PayloadIngester ingester(engine, options);
    std::optional<JsonWriter> json;
    if (cl_.json) {
      json.emplace(out_);
      json->begin_object();
      json->key("errors");
      json->begin_array();
    }
    auto on_rejected = [&](const PayloadRejection& r) {
      std::string where = r.source;
      if (!r.provider_message_id.empty()) {
        where += fmt::format(": {} {}", r.status_report ? "status report" : "message",
                             printable(r.provider_message_id));
      }
      if (r.error.field.empty()) {
        fmt::print(err_, "{}: {}\n", where, r.error.message);
      } else {
        fmt::print(err_, "{}: field \"{}\": {}\n", where, r.error.field, r.error.message);
      }
      if (json) {
        JsonWriter& w = *json;
        w.begin_object();
        w.field("file", r.source);
        w.field("line", std::optional<std::uint64_t>());
        w.field("provider_message_id", r.provider_message_id.empty()
                                           ? std::optional<std::string>()
                                           : std::optional<std::string>(r.provider_message_id));
        w.field("status_report", r.status_report);
        w.field("field", r.error.field);
        w.field("reason", to_string(r.error.kind));
        w.field("message", r.error.message);
        w.end_object();
      }
    };

    // One byte beyond the limit lets the parser report a payload that is too large.
    const std::size_t limit = max_payload_bytes(options.format) + 1;
    std::vector<FileResult> files;
    IngestCounts total;
    const bool unreadable =
        read_inputs(paths, files, total, [&](std::istream& in, FileResult& file) {
          std::string payload = read_payload(in, limit);
          if (in.bad()) {
            file.error = "read error";
            return IngestCounts();
          }
          return ingester.ingest_payload(payload, file.source, on_rejected);
        });
    return finish_ingest(json, files, total, unreadable, true);
  }

  // Writes the summary of an ingest (the rest of the JSON document when `json` is set) and
  // returns the exit status. `payloads`: provider payloads, with their extra counters.
  int finish_ingest(std::optional<JsonWriter>& json, const std::vector<FileResult>& files,
                    const IngestCounts& total, bool unreadable, bool payloads) {
    if (json) {
      JsonWriter& w = *json;
      w.end_array();
      w.key("files");
      w.begin_array();
      for (const FileResult& f : files) {
        w.begin_object();
        w.field("file", f.source);
        w.field("error", f.error);
        write_counts(w, f.counts, payloads);
        w.end_object();
      }
      w.end_array();
      write_counts(w, total, payloads);
      w.end_object();
      w.finish();
    } else {
      auto plural = [](std::size_t n) { return n == 1 ? "" : "s"; };
      std::string records = fmt::format("{} record{}", total.records, plural(total.records));
      if (payloads)
        records += fmt::format(" from {} payload{}", total.payloads, plural(total.payloads));
      std::string statuses;
      if (payloads) {
        statuses = fmt::format("; {} status report{} applied, {} unmatched", total.statuses_applied,
                               plural(total.statuses_applied), total.statuses_unmatched);
      }
      fmt::print(out_,
                 "{} stored, {} duplicate{}, {} rejected ({}; {} new customer{}, "
                 "{} new conversation{}, {} reopened{})\n",
                 total.stored, total.duplicates, plural(total.duplicates), total.rejected, records,
                 total.new_customers, plural(total.new_customers), total.new_conversations,
                 plural(total.new_conversations), total.reopened_conversations, statuses);
    }
    return total.rejected > 0 || unreadable ? kExitFailed : kExitOk;
  }

  static void write_counts(JsonWriter& w, const IngestCounts& c, bool payloads) {
    w.field("records", static_cast<std::uint64_t>(c.records));
    w.field("stored", static_cast<std::uint64_t>(c.stored));
    w.field("duplicates", static_cast<std::uint64_t>(c.duplicates));
    w.field("rejected", static_cast<std::uint64_t>(c.rejected));
    w.field("new_customers", static_cast<std::uint64_t>(c.new_customers));
    w.field("new_conversations", static_cast<std::uint64_t>(c.new_conversations));
    w.field("reopened_conversations", static_cast<std::uint64_t>(c.reopened_conversations));
    if (payloads) {
      w.field("payloads", static_cast<std::uint64_t>(c.payloads));
      w.field("statuses_applied", static_cast<std::uint64_t>(c.statuses_applied));
      w.field("statuses_unmatched", static_cast<std::uint64_t>(c.statuses_unmatched));
    }
  }

  CommandLine cl_;
  std::FILE* out_;
  std::FILE* err_;
};

}  // namespace

int run(int argc, char** argv, std::FILE* out, std::FILE* err) {
  CommandLine cl;
  if (auto error = parse_command_line(argc, argv, &cl)) {
    fmt::print(err, "omni: {}\nTry 'omni --help'.\n", error->message);
    return kExitUsage;
  }
  return Cli(std::move(cl), out, err).run();
}

}  // namespace omni::cli
