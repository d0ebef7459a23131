// The simulation driver of omni/simulation.h: a discrete-event loop on virtual time around a real
// Engine (MemoryStore, ManualClock). Happenings the driver schedules itself (arrivals, agents
// answering offers, first replies, channel switches, resolutions, abandonment, shifts) are
// interleaved with the engine's own timers (Engine::next_due / run_due); after every engine call
// the driver reads the new events to learn of offers and assignments and schedules the agents'
// reactions. docs/simulation.md describes the model.
#include <rapidjson/document.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <queue>
#include <utility>

#include "internal/macros.h"
#include "omni/engine.h"
#include "omni/memory_store.h"
#include "omni/simulation.h"

namespace omni {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

// A runaway guard: a scenario within the documented limits takes far fewer steps.
constexpr std::int64_t kMaxSteps = 20'000'000;
constexpr std::size_t kEventPage = 500;
constexpr std::size_t kTimerBatch = 100;

// ---------------------------------------------------------------------------------- randomness

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman and Vigna), seeded through splitmix64. Its output, and the
// distributions below, are the same on every platform (unlike std::*_distribution).
class Random {
 public:
  explicit Random(std::uint64_t seed) {
    for (auto& s : state_)
      s = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  // Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return uniform() < p; }
  // Seconds drawn from `d`; one draw of the generator whatever the shape, so a scenario that
  // changes a shape does not shift every later draw.
  double draw(const DurationDistribution& d) {
    const double u = uniform();
    switch (d.shape) {
      case DurationDistribution::Shape::kFixed:
        return d.mean;
      case DurationDistribution::Shape::kExponential:
        return -d.mean * std::log1p(-u);  // inversion
      case DurationDistribution::Shape::kUniform:
        return d.min + (d.max - d.min) * u;
    }
    return d.mean;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> state_{};
};

// The seed of generator `stream` of a simulation seeded with `seed`.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ULL);
  return splitmix64(x);
}

microseconds to_micros(double seconds_value) {
  return microseconds(static_cast<std::int64_t>(std::llround(seconds_value * 1e6)));
}

double to_seconds(microseconds d) {
  return static_cast<double>(d.count()) / 1e6;
}

// ---------------------------------------------------------------------------------- identities

// How a customer is known on a channel kind: the identity receive() resolves, and the one a
// reply on that kind is addressed to.
IdentityInput identity_for(ChannelKind kind, std::int64_t number) {
  const std::string n = std::to_string(number);
  switch (kind) {
    case ChannelKind::kEmail:
      return {IdentityKind::kEmail, "", "customer-" + n + "@example.com"};
    case ChannelKind::kPhone:
    case ChannelKind::kSms:
    case ChannelKind::kWhatsApp:
    case ChannelKind::kIvr: {
      // German mobile numbers +49 151 xxxxxxxx: valid for libphonenumber, never a real line.
      return {IdentityKind::kPhone, "", fmt::format("+49151{:08d}", number)};
    }
    case ChannelKind::kMessenger:
      return {IdentityKind::kMessengerPsid, "simulation-page", n};
    case ChannelKind::kInstagram:
      return {IdentityKind::kInstagramId, "simulation-account", n};
    case ChannelKind::kTelegram:
      return {IdentityKind::kTelegramId, "simulation-bot", n};
    case ChannelKind::kXDirectMessage:
      return {IdentityKind::kXUserId, "", n};
    default:
      return {IdentityKind::kWebVisitor, "simulation-site", "visitor-" + n};
  }
}

// Accepts every message; the simulation has no provider.
class NullAdapter final : public ChannelAdapter {
 public:
  ChannelCapabilities capabilities() const override {
    ChannelCapabilities c;
    c.kinds = all_channel_kinds();
    c.attachments = true;
    return c;
  }
  Result<SendReceipt> send(const OutboundEnvelope& envelope) override {
    SendReceipt receipt;
    receipt.provider_message_id = "simulated-" + envelope.idempotency_key;
    return receipt;
  }
};

// ---------------------------------------------------------------------------------- the model

enum class What {
  kArrival,        // index: stream
  kFixedArrival,   // index: stream; does not schedule the next one
  kAgentAnswers,   // index: conversation; agent, serial (offer), accept
  kFirstReply,     // index: conversation; serial (assignment)
  kChannelSwitch,  // index: conversation; serial (assignment)
  kResolve,        // index: conversation; serial (assignment)
  kAbandon,        // index: conversation
  kShiftStart,     // index: agent
  kShiftEnd,       // index: agent
};

struct Happening {
  Timestamp at;
  std::uint64_t sequence = 0;  // ties at one instant: in the order they were scheduled
  What what = What::kArrival;
  std::size_t index = 0;
  std::size_t agent = 0;
  int serial = 0;
  bool accept = false;
};

struct Later {
  bool operator()(const Happening& a, const Happening& b) const {
    return a.at != b.at ? a.at > b.at : a.sequence > b.sequence;
  }
};

struct SimAgent {
  AgentId id;
  std::size_t group = 0;
  bool on_shift = false;
  AgentCapacity capacity;
  AgentLoad load;
  double on_shift_s = 0;
  double busy_s = 0;
  double sync_capable_s = 0;  // on shift with a synchronous capacity
  double async_capable_s = 0;
  double sync_used_s = 0;  // integral of load / capacity
  double async_used_s = 0;
  int assigned = 0;
};

struct SimCustomer {
  std::int64_t number = 0;
  CustomerId id;
  std::uint32_t linked = 0;  // bit per IdentityKind the engine knows for this customer
  bool active = false;
  Timestamp last_ended;
};

struct SimConversation {
  ConversationId id;
  std::size_t stream = 0;
  std::size_t customer = 0;
  ChannelKind origin = ChannelKind::kLiveChat;
  ChannelKind current = ChannelKind::kLiveChat;
  RoutingClass routing_class = RoutingClass::kAsynchronous;
  Timestamp arrived;
  std::optional<Timestamp> assigned_at;  // first assignment
  std::optional<AgentId> agent;          // current assignee, as the events said
  std::optional<AgentId> offered_to;
  int offer_serial = 0;
  int assignment_serial = 0;
  double handle_s = 0;
  double first_reply_s = 0;
  bool will_switch = false;
  double switch_fraction = 0;
  bool first_replied = false;
  bool switched = false;
  bool resolved = false;
  bool abandoned = false;
};

// Per channel kind: what only the events tell.
struct EventCounts {
  int sla_warnings = 0;
  int sla_breaches = 0;
  int first_response_breaches = 0;
  int resolution_breaches = 0;
  int handoffs_refused = 0;
};

bool eligible(const AgentGroupSpec& g, const ArrivalStreamSpec& s) {
  return meets_requirements(g.teams, g.skills, g.languages, s.team, s.skills, s.language);
}

std::optional<std::int64_t> payload_int(const std::string& payload, const char* key) {
  rapidjson::Document d;
  d.Parse(payload.data(), payload.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  // Through a const reference: C++20's reversed == is ambiguous for the non-const iterators.
  const rapidjson::Value& object = d;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  return it->value.GetInt64();
}

std::string payload_string(const std::string& payload, const char* key) {
  rapidjson::Document d;
  d.Parse(payload.data(), payload.size());
  if (d.HasParseError() || !d.IsObject()) return {};
  const rapidjson::Value& object = d;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// Rounded to `decimals` places; dividing by the power of ten gives the double nearest the decimal,
// which prints as that decimal.
double round_to(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

WaitingTimes waiting_times(std::vector<double> waits) {
  WaitingTimes w;
  w.count = static_cast<int>(waits.size());
  if (waits.empty()) return w;
  std::sort(waits.begin(), waits.end());
  double sum = 0;
  for (double x : waits)
    sum += x;
  auto rank = [&](double q) {
    std::size_t r = static_cast<std::size_t>(std::ceil(q * static_cast<double>(waits.size())));
    return waits[std::clamp<std::size_t>(r, 1, waits.size()) - 1];
  };
  w.mean = round_to(sum / static_cast<double>(waits.size()), 3);
  w.p50 = round_to(rank(0.5), 3);
  w.p90 = round_to(rank(0.9), 3);
  w.max = round_to(waits.back(), 3);
  return w;
}

double share(double part, double whole) {
  return whole > 0 ? round_to(part / whole, 4) : 0;
}

class Driver {
 public:
  explicit Driver(const Scenario& scenario)
      : s_(scenario),
        clock_(scenario.start),
        now_(scenario.start),
        agent_random_(derive_seed(scenario.seed, 0)) {
    for (std::size_t i = 0; i < s_.arrivals.size(); ++i) {
      stream_random_.emplace_back(derive_seed(scenario.seed, i + 1));
    }
  }

  Result<SimulationReport> run() {
    OMNI_RETURN_IF_ERROR(setup());
    const Timestamp arrivals_end = s_.start + s_.duration;
    const Timestamp horizon = arrivals_end + s_.drain;
    for (;;) {
      if (++steps_ > kMaxSteps) {
        return fail(Status::resource_exhausted("more than 20 million steps"), "simulation");
      }
      OMNI_ASSIGN_OR_RETURN(std::optional<Timestamp> due, engine_->next_due(tenant_));
      std::optional<Timestamp> next;
      if (!queue_.empty()) next = queue_.top().at;
      const bool timers_first = due && (!next || *due <= *next);
      if (!timers_first && !next) break;
      Timestamp t = timers_first ? *due : *next;
      if (t > horizon) break;
      advance(std::max(t, now_));
      if (timers_first) {
        OMNI_ASSIGN_OR_RETURN(TimerRun run, engine_->run_due(tenant_, kTimerBatch));
        const bool progress = run.offers_expired + run.sticky_expired + run.sla_warnings +
                                  run.sla_breaches + run.decisions.size() >
                              0;
        if (!progress) {
          OMNI_ASSIGN_OR_RETURN(std::optional<Timestamp> again, engine_->next_due(tenant_));
          if (again && *again <= now_) {
            return fail(Status::internal("next_due() says " + format_timestamp(*again) +
                                         " but run_due() finds nothing to do"),
                        "run_due");
          }
        }
      } else {
        Happening h = queue_.top();
        queue_.pop();
        OMNI_RETURN_IF_ERROR(perform(h));
      }
      OMNI_RETURN_IF_ERROR(read_events());
      OMNI_RETURN_IF_ERROR(check_capacity());
    }
    // Occupancy counts at least the whole arrival window.
    advance(std::min(std::max(now_, arrivals_end), horizon));
    return report(arrivals_end);
  }

 private:
  // ------------------------------------------------------------------------------- setup

  Status setup() {
    EngineOptions options;
    options.clock = &clock_;
    // A returning customer opens a new conversation (where the sticky preference applies)
    // instead of reopening the last one.
    options.reopen_window = seconds(0);
    auto engine = Engine::open(make_memory_store(), options);
    if (!engine.ok()) return engine.status();
    engine_ = std::move(*engine);
    OMNI_ASSIGN_OR_RETURN(Tenant tenant, engine_->create_tenant("simulation", "DE"));
    tenant_ = tenant.id;
    Status routing = engine_->set_routing_policy(tenant_, "", s_.routing);
    if (!routing.ok()) return scenario_error(std::move(routing), "routing");
    for (std::size_t i = 0; i < s_.sla.size(); ++i) {
      Status sla = engine_->set_sla_policy(tenant_, s_.sla[i]);
      if (!sla.ok()) return scenario_error(std::move(sla), "sla[" + std::to_string(i) + "]");
    }

    // One channel per kind the customers use, in kind order.
    std::vector<ChannelKind> kinds;
    for (const auto& a : s_.arrivals) {
      kinds.push_back(a.channel);
      if (a.switch_to) kinds.push_back(*a.switch_to);
    }
    std::sort(kinds.begin(), kinds.end());
    kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
    for (ChannelKind kind : kinds) {
      ChannelSpec spec;
      spec.tenant = tenant_;
      spec.kind = kind;
      spec.name = std::string(to_string(kind));
      OMNI_ASSIGN_OR_RETURN(Channel channel, engine_->create_channel(spec));
      OMNI_RETURN_IF_ERROR(engine_->register_adapter(tenant_, channel.id, &adapter_));
      channels_.emplace(kind, channel);
    }

    for (std::size_t g = 0; g < s_.agents.size(); ++g) {
      const AgentGroupSpec& group = s_.agents[g];
      for (int i = 1; i <= group.count; ++i) {
        AgentSpec spec;
        spec.tenant = tenant_;
        spec.name = group.name + "-" + std::to_string(i);
        spec.kind = group.kind;
        spec.presence = group.shift_start.count() == 0 ? Presence::kAvailable : Presence::kOffline;
        spec.teams = group.teams;
        spec.skills = group.skills;
        spec.languages = group.languages;
        spec.capacity = group.capacity;
        auto created = engine_->create_agent(spec);
        if (!created.ok()) {
          return scenario_error(created.status(), "agents[" + std::to_string(g) + "]");
        }
        SimAgent a;
        a.id = created->id;
        a.group = g;
        a.on_shift = spec.presence == Presence::kAvailable;
        a.capacity = group.capacity;
        agent_index_.emplace(a.id.value(), agents_.size());
        if (group.shift_start.count() > 0) {
          schedule({s_.start + group.shift_start, 0, What::kShiftStart, agents_.size()});
        }
        if (group.shift_end) {
          schedule({s_.start + *group.shift_end, 0, What::kShiftEnd, agents_.size()});
        }
        agents_.push_back(a);
      }
    }

    for (std::size_t i = 0; i < s_.arrivals.size(); ++i) {
      schedule_next_arrival(i);
      for (seconds t : s_.arrivals[i].times) {
        schedule({s_.start + t, 0, What::kFixedArrival, i});
      }
    }
    return read_events();
  }

  Status scenario_error(Status status, const std::string& prefix) {
    std::string field = status.field().empty() ? prefix : prefix + "." + status.field();
    return Status(status.code(), field + ": " + status.message()).with_field(field);
  }

  // An engine call that should not have failed: which one, and when.
  Status fail(const Status& status, const std::string& what) {
    return Status(status.code(), fmt::format("simulation at {}: {}: {}", format_timestamp(now_),
                                             what, status.message()))
        .with_field(status.field());
  }

  void schedule(Happening h) {
    h.sequence = ++sequence_;
    queue_.push(h);
  }

  // The stream's next Poisson arrival after the last one (or the start). A rate that changes
  // is exact: the exponential gap is memoryless, so a gap that runs past a change of rate is
  // drawn anew from the change.
  void schedule_next_arrival(std::size_t stream) {
    const ArrivalStreamSpec& a = s_.arrivals[stream];
    const Timestamp end = s_.start + s_.duration;
    auto found = next_arrival_.find(stream);
    Timestamp t = found != next_arrival_.end() ? found->second : s_.start;
    while (t < end) {
      double rate = a.per_hour;
      Timestamp change = end;
      if (!a.rate_changes.empty()) {
        rate = 0;
        for (const ArrivalRateChange& c : a.rate_changes) {
          const Timestamp from = s_.start + c.from;
          if (from <= t) {
            rate = c.per_hour;
          } else {
            change = std::min(change, from);
            break;
          }
        }
      }
      if (rate <= 0) {
        if (change >= end) return;
        t = change;
        continue;
      }
      DurationDistribution gap{DurationDistribution::Shape::kExponential, 3600.0 / rate, 0, 0};
      const Timestamp at = t + to_micros(stream_random_[stream].draw(gap));
      if (at < change) {
        next_arrival_[stream] = at;
        schedule({at, 0, What::kArrival, stream});
        return;
      }
      t = change;
    }
  }

  // ------------------------------------------------------------------------------- time

  void advance(Timestamp t) {
    if (t <= now_) return;
    const double dt = to_seconds(t - now_);
    for (auto& a : agents_) {
      if (!a.on_shift) continue;
      a.on_shift_s += dt;
      if (a.load.synchronous + a.load.asynchronous > 0) a.busy_s += dt;
      if (a.capacity.synchronous > 0) {
        a.sync_capable_s += dt;
        a.sync_used_s += dt * a.load.synchronous / a.capacity.synchronous;
      }
      if (a.capacity.asynchronous > 0) {
        a.async_capable_s += dt;
        a.async_used_s += dt * a.load.asynchronous / a.capacity.asynchronous;
      }
    }
    now_ = t;
    clock_.set(t);
  }

  // ------------------------------------------------------------------------------- happenings

  Status perform(const Happening& h) {
    switch (h.what) {
      case What::kArrival:
        schedule_next_arrival(h.index);
        return arrive(h.index);
      case What::kFixedArrival:
        return arrive(h.index);
      case What::kAgentAnswers:
        return answer(h);
      case What::kFirstReply:
        return first_reply(h);
      case What::kChannelSwitch:
        return channel_switch(h);
      case What::kResolve:
        return resolve(h);
      case What::kAbandon:
        return abandon(h);
      case What::kShiftStart:
      case What::kShiftEnd:
        return shift(h);
    }
    return Status();
  }

  bool automatic() const { return s_.routing.automatic; }

  // Makes sure the engine knows the customer's identity on `kind` (linked when the customer
  // was first seen on another kind).
  Status know_identity(SimCustomer& customer, ChannelKind kind) {
    IdentityInput identity = identity_for(kind, customer.number);
    const std::uint32_t bit = 1u << static_cast<unsigned>(identity.kind);
    if (!customer.id.valid() || (customer.linked & bit)) return Status();
    auto linked = engine_->link_identity(tenant_, customer.id, identity, true, "simulation");
    if (!linked.ok()) return fail(linked.status(), "link_identity");
    customer.linked |= bit;
    return Status();
  }

  Status arrive(std::size_t stream) {
    const ArrivalStreamSpec& a = s_.arrivals[stream];
    Random& random = stream_random_[stream];
    // Always the same draws in the same order, whatever happens to the conversation.
    const double returning = random.uniform();
    const double pick = random.uniform();
    const double handle = random.draw(a.handle_time);
    const double first_reply = random.draw(a.first_reply);
    const double switching = random.uniform();
    const double switch_at = random.uniform();

    std::optional<std::size_t> customer_index;
    if (returning < a.returning_customer_probability) {
      std::vector<std::size_t> candidates;
      for (std::size_t i = 0; i < customers_.size(); ++i) {
        if (!customers_[i].active && customers_[i].last_ended < now_) candidates.push_back(i);
      }
      if (!candidates.empty()) {
        customer_index = candidates[std::min(
            candidates.size() - 1,
            static_cast<std::size_t>(pick * static_cast<double>(candidates.size())))];
      }
    }
    if (!customer_index) {
      SimCustomer c;
      c.number = static_cast<std::int64_t>(customers_.size()) + 1;
      customer_index = customers_.size();
      customers_.push_back(c);
    }
    SimCustomer& customer = customers_[*customer_index];
    OMNI_RETURN_IF_ERROR(know_identity(customer, a.channel));

    InboundMessage m;
    m.tenant = tenant_;
    m.channel = channels_.at(a.channel).id;
    m.from = identity_for(a.channel, customer.number);
    m.display_name = "Customer " + std::to_string(customer.number);
    m.provider_message_id = "simulated-" + std::to_string(conversations_.size() + 1);
    m.kind = a.channel == ChannelKind::kPhone   ? TouchpointKind::kCall
             : a.channel == ChannelKind::kVideo ? TouchpointKind::kVideoSession
                                                : TouchpointKind::kMessageIn;
    m.subject = "Question " + std::to_string(conversations_.size() + 1);
    m.body = "A question from customer " + std::to_string(customer.number) + ".";
    // The stream's requirements travel with the message, so routing inside receive() sees them.
    if (a.priority != Priority::kNormal || !a.team.empty() || !a.skills.empty() ||
        !a.language.empty()) {
      RoutingRequirements r;
      r.priority = a.priority;
      if (!a.team.empty()) r.team = a.team;
      if (!a.skills.empty()) r.skills = a.skills;
      if (!a.language.empty()) r.language = a.language;
      m.routing = r;
    }
    auto received = engine_->receive(m);
    if (!received.ok()) return fail(received.status(), "receive");
    if (!received->new_conversation) {
      return fail(Status::internal("customer " + std::to_string(customer.number) +
                                   " has no active conversation, yet receive() opened none"),
                  "receive");
    }
    if (!customer.id.valid()) {
      customer.id = received->customer;
      customer.linked |= 1u << static_cast<unsigned>(m.from.kind);
    }
    customer.active = true;

    SimConversation c;
    c.id = received->conversation;
    c.stream = stream;
    c.customer = *customer_index;
    c.origin = a.channel;
    c.current = a.channel;
    c.routing_class = channels_.at(a.channel).profile.synchronous ? RoutingClass::kSynchronous
                                                                  : RoutingClass::kAsynchronous;
    c.arrived = now_;
    c.handle_s = handle;
    c.first_reply_s = first_reply;
    c.will_switch = a.switch_to && switching < a.switch_probability;
    c.switch_fraction = switch_at;
    const std::size_t index = conversations_.size();
    conversation_index_.emplace(c.id.value(), index);
    conversations_.push_back(c);

    if (!automatic()) {
      auto routed = engine_->route(tenant_, c.id);
      if (!routed.ok()) return fail(routed.status(), "route");
    }
    if (a.abandon_after) schedule({now_ + *a.abandon_after, 0, What::kAbandon, index});
    return Status();
  }

  Status fill(std::optional<AgentId> agent) {
    if (automatic() || !agent) return Status();
    auto filled = engine_->fill(tenant_, *agent);
    if (!filled.ok()) return fail(filled.status(), "fill");
    return Status();
  }

  Status answer(const Happening& h) {
    SimConversation& c = conversations_[h.index];
    const AgentId agent = agents_[h.agent].id;
    if (c.offer_serial != h.serial || c.offered_to != agent) {
      ++late_answers_;  // a newer offer replaced it, or it expired or was withdrawn
      return Status();
    }
    if (h.accept) {
      auto accepted = engine_->accept_offer(tenant_, c.id, agent);
      if (accepted.status().is(StatusCode::kFailedPrecondition)) {
        ++late_answers_;
        return Status();
      }
      if (!accepted.ok()) return fail(accepted.status(), "accept_offer");
      ++offers_accepted_;
      return Status();
    }
    auto declined = engine_->decline_offer(tenant_, c.id, agent, "busy (simulated)");
    if (declined.status().is(StatusCode::kFailedPrecondition)) {
      ++late_answers_;
      return Status();
    }
    if (!declined.ok()) return fail(declined.status(), "decline_offer");
    return Status();
  }

  bool current(const SimConversation& c, const Happening& h) const {
    return c.agent && c.assignment_serial == h.serial && !c.resolved && !c.abandoned;
  }

  Status first_reply(const Happening& h) {
    SimConversation& c = conversations_[h.index];
    if (!current(c, h) || c.first_replied) return Status();
    c.first_replied = true;
    const Channel& channel = channels_.at(c.current);
    if (c.current == ChannelKind::kPhone || c.current == ChannelKind::kVideo) {
      InteractionSpec call;
      call.tenant = tenant_;
      call.conversation = c.id;
      call.channel = channel.id;
      call.agent = *c.agent;
      call.kind =
          c.current == ChannelKind::kPhone ? TouchpointKind::kCall : TouchpointKind::kVideoSession;
      call.body = "The agent took the call.";
      auto logged = engine_->log_interaction(call);
      if (!logged.ok()) return fail(logged.status(), "log_interaction");
      return Status();
    }
    OMNI_RETURN_IF_ERROR(know_identity(customers_[c.customer], c.current));
    OutboundMessage reply;
    reply.tenant = tenant_;
    reply.conversation = c.id;
    reply.channel = channel.id;
    reply.agent = *c.agent;
    reply.body = "Thank you, we are on it.";
    auto sent = engine_->send(reply);
    if (!sent.ok()) return fail(sent.status(), "send");
    return Status();
  }

  Status channel_switch(const Happening& h) {
    SimConversation& c = conversations_[h.index];
    if (!current(c, h) || c.switched) return Status();
    c.switched = true;
    const ChannelKind to = *s_.arrivals[c.stream].switch_to;
    OMNI_RETURN_IF_ERROR(know_identity(customers_[c.customer], to));
    HandoffSpec spec;
    spec.tenant = tenant_;
    spec.conversation = c.id;
    spec.kind = HandoffKind::kChannelSwitch;
    spec.mode = HandoffMode::kCold;
    spec.to_channel = channels_.at(to).id;
    spec.reason = "the customer moved to " + std::string(to_string(to));
    auto handoff = engine_->record_handoff(spec);
    if (handoff.status().is(StatusCode::kResourceExhausted)) {
      ++counts_[c.origin].handoffs_refused;  // the agent has no free slot of the new class
      return Status();
    }
    if (!handoff.ok()) return fail(handoff.status(), "record_handoff");
    c.current = to;
    return Status();
  }

  Status resolve(const Happening& h) {
    SimConversation& c = conversations_[h.index];
    if (!current(c, h)) return Status();
    Status resolved = engine_->resolve(tenant_, c.id);
    if (!resolved.ok()) return fail(resolved, "resolve");
    c.resolved = true;
    SimCustomer& customer = customers_[c.customer];
    customer.active = false;
    customer.last_ended = now_;
    return fill(c.agent);
  }

  Status abandon(const Happening& h) {
    SimConversation& c = conversations_[h.index];
    if (c.agent || c.resolved || c.abandoned) return Status();
    Status closed = engine_->close(tenant_, c.id);
    if (!closed.ok()) return fail(closed, "close");
    c.abandoned = true;
    SimCustomer& customer = customers_[c.customer];
    customer.active = false;
    customer.last_ended = now_;
    // An outstanding offer held a slot of that agent.
    std::optional<AgentId> offered = c.offered_to;
    c.offered_to.reset();
    return fill(offered);
  }

  Status shift(const Happening& h) {
    SimAgent& a = agents_[h.index];
    const bool start = h.what == What::kShiftStart;
    Status status =
        engine_->set_presence(tenant_, a.id, start ? Presence::kAvailable : Presence::kOffline);
    if (!status.ok()) return fail(status, "set_presence");
    a.on_shift = start;
    return start ? fill(a.id) : Status();
  }

  // ------------------------------------------------------------------------------- events

  Status read_events() {
    for (;;) {
      auto page = engine_->events(tenant_, cursor_, kEventPage);
      if (!page.ok()) return fail(page.status(), "events");
      for (const Event& e : *page) {
        cursor_ = e.sequence;
        ++events_;
        OMNI_RETURN_IF_ERROR(on_event(e));
      }
      if (page->size() < kEventPage) {
        // Routing by hand: an agent whose offer was declined or expired has a free slot again
        // (unless the conversation came back to it); fill it, and read what that did.
        if (to_fill_.empty()) return Status();
        std::vector<AgentId> agents = std::move(to_fill_);
        to_fill_.clear();
        for (AgentId agent : agents)
          OMNI_RETURN_IF_ERROR(fill(agent));
      }
    }
  }

  std::optional<std::size_t> agent_of(const Event& e) {
    auto id = payload_int(e.payload, "agent");
    if (!id) return std::nullopt;
    auto it = agent_index_.find(*id);
    if (it == agent_index_.end()) return std::nullopt;
    return it->second;
  }

  Status on_event(const Event& e) {
    if (!e.conversation) return Status();
    auto found = conversation_index_.find(e.conversation->value());
    if (found == conversation_index_.end()) return Status();
    const std::size_t index = found->second;
    SimConversation& c = conversations_[index];
    if (e.type == "conversation.offered") {
      auto agent = agent_of(e);
      if (!agent) return fail(Status::internal("offer without a known agent"), e.type);
      ++offers_made_;
      c.offered_to = agents_[*agent].id;
      ++c.offer_serial;
      const AgentGroupSpec& group = s_.agents[agents_[*agent].group];
      // Drawn in event order from the agents' generator: deterministic.
      const bool decline = agent_random_.chance(group.decline_probability);
      const double delay = agent_random_.draw(group.accept_delay);
      Happening h{e.created_at + to_micros(delay), 0, What::kAgentAnswers, index};
      h.agent = *agent;
      h.serial = c.offer_serial;
      h.accept = !decline;
      schedule(h);
    } else if (e.type == "conversation.assigned") {
      auto agent = agent_of(e);
      if (!agent) return fail(Status::internal("assignment without a known agent"), e.type);
      on_assigned(index, *agent, e.created_at);
    } else if (e.type == "conversation.offer_declined" || e.type == "conversation.offer_expired") {
      ++(e.type == "conversation.offer_declined" ? offers_declined_ : offers_expired_);
      c.offered_to.reset();
      auto agent = agent_of(e);
      if (agent && !automatic()) to_fill_.push_back(agents_[*agent].id);
    } else if (e.type == "conversation.released") {
      auto agent = agent_of(e);
      if (agent && c.agent == agents_[*agent].id) {
        c.agent.reset();
        ++c.assignment_serial;  // its pending work is void; a new assignment starts anew
      }
      if (agent && c.offered_to == agents_[*agent].id) c.offered_to.reset();
    } else if (e.type == "sla.warning") {
      ++counts_[c.origin].sla_warnings;
    } else if (e.type == "sla.breached") {
      EventCounts& counts = counts_[c.origin];
      ++counts.sla_breaches;
      const std::string clock = payload_string(e.payload, "clock");
      if (clock == "first_response") ++counts.first_response_breaches;
      if (clock == "resolution") ++counts.resolution_breaches;
    }
    return Status();
  }

  void on_assigned(std::size_t index, std::size_t agent, Timestamp at) {
    SimConversation& c = conversations_[index];
    const AgentId id = agents_[agent].id;
    c.offered_to.reset();
    if (c.agent == id) return;
    c.agent = id;
    ++c.assignment_serial;
    if (!c.assigned_at) c.assigned_at = at;
    ++agents_[agent].assigned;
    if (!eligible(s_.agents[agents_[agent].group], s_.arrivals[c.stream])) {
      ++ineligible_assignments_;
    }
    const double handle = c.handle_s;
    if (!c.first_replied) {
      Happening reply{at + to_micros(std::min(c.first_reply_s, handle)), 0, What::kFirstReply,
                      index};
      reply.serial = c.assignment_serial;
      schedule(reply);
    }
    if (c.will_switch && !c.switched) {
      Happening sw{at + to_micros(c.switch_fraction * handle), 0, What::kChannelSwitch, index};
      sw.serial = c.assignment_serial;
      schedule(sw);
    }
    Happening done{at + to_micros(handle), 0, What::kResolve, index};
    done.serial = c.assignment_serial;
    schedule(done);
  }

  Status check_capacity() {
    auto listed = engine_->list_agents(tenant_);
    if (!listed.ok()) return fail(listed.status(), "list_agents");
    for (const Agent& a : *listed) {
      auto it = agent_index_.find(a.id.value());
      if (it == agent_index_.end()) continue;
      SimAgent& sim = agents_[it->second];
      sim.load = a.load;
      if (a.load.synchronous > a.capacity.synchronous ||
          a.load.asynchronous > a.capacity.asynchronous) {
        ++capacity_violations_;
      }
    }
    return Status();
  }

  // ------------------------------------------------------------------------------- report

  Result<SimulationReport> report(Timestamp arrivals_end) {
    SimulationReport r;
    r.seed = s_.seed;
    r.start = s_.start;
    r.arrivals_end = arrivals_end;
    r.end = now_;

    struct Traffic {
      TrafficReport report;
      std::vector<double> waits;
    };
    std::map<std::string, Traffic> by_channel;
    Traffic overall;
    overall.report.channel = "all";
    std::map<std::size_t, AgentId> last_assignee;  // per customer, from the engine's state

    for (const SimConversation& c : conversations_) {
      auto view = engine_->conversation_view(tenant_, c.id);
      if (!view.ok()) return fail(view.status(), "conversation_view");
      const Conversation& stored = view->conversation;
      const std::string channel(to_string(c.origin));
      Traffic& t = by_channel[channel];
      t.report.channel = channel;
      for (Traffic* x : {&t, &overall}) {
        TrafficReport& tr = x->report;
        ++tr.arrivals;
        if (c.assigned_at) {
          ++tr.answered;
          const double wait = to_seconds(*c.assigned_at - c.arrived);
          x->waits.push_back(wait);
          const seconds threshold = c.routing_class == RoutingClass::kSynchronous
                                        ? s_.service_level.synchronous
                                        : s_.service_level.asynchronous;
          if (*c.assigned_at - c.arrived <= threshold) ++tr.answered_within_threshold;
        } else if (c.abandoned) {
          ++tr.abandoned;
        } else {
          ++tr.unanswered;
        }
        if (stored.resolved_at) ++tr.resolved;
        if (stored.sla.first_response.due_at) {
          ++tr.first_response_targets;
          if (stored.sla.first_response.met()) ++tr.first_response_met;
        }
        if (stored.sla.resolution.due_at) {
          ++tr.resolution_targets;
          if (stored.sla.resolution.met()) ++tr.resolution_met;
        }
        tr.handoffs += stored.handoff_count;
      }

      // The sticky preference, judged from the engine's record of who served whom.
      auto previous = last_assignee.find(c.customer);
      if (previous != last_assignee.end()) {
        ++r.returning_conversations;
        if (stored.assignee) {
          ++r.returning_answered;
          if (*stored.assignee == previous->second) ++r.returning_with_previous_agent;
        }
      }
      if (stored.assignee) last_assignee[c.customer] = *stored.assignee;
    }
    r.returning_previous_agent_share = share(r.returning_with_previous_agent, r.returning_answered);

    auto finish = [&](Traffic& t, const EventCounts& counts) {
      TrafficReport& tr = t.report;
      tr.service_level = share(tr.answered_within_threshold, tr.arrivals);
      tr.waiting = waiting_times(std::move(t.waits));
      tr.first_response_attainment = share(tr.first_response_met, tr.first_response_targets);
      tr.resolution_attainment = share(tr.resolution_met, tr.resolution_targets);
      tr.handoffs_per_conversation = share(tr.handoffs, tr.arrivals);
      tr.sla_warnings = counts.sla_warnings;
      tr.sla_breaches = counts.sla_breaches;
      tr.first_response_breaches = counts.first_response_breaches;
      tr.resolution_breaches = counts.resolution_breaches;
      tr.handoffs_refused = counts.handoffs_refused;
      return tr;
    };
    EventCounts total;
    for (auto& [channel, t] : by_channel) {
      const EventCounts& counts = counts_[*parse_channel_kind(channel)];
      total.sla_warnings += counts.sla_warnings;
      total.sla_breaches += counts.sla_breaches;
      total.first_response_breaches += counts.first_response_breaches;
      total.resolution_breaches += counts.resolution_breaches;
      total.handoffs_refused += counts.handoffs_refused;
      r.channels.push_back(finish(t, counts));
    }
    r.overall = finish(overall, total);

    struct Sums {
      double on_shift = 0, busy = 0, sync_capable = 0, async_capable = 0, sync_used = 0,
             async_used = 0;
    };
    auto group_report = [](const std::string& name, int agents, int assigned, const Sums& s) {
      AgentGroupReport g;
      g.name = name;
      g.agents = agents;
      g.assigned = assigned;
      g.on_shift_hours = round_to(s.on_shift / 3600, 3);
      g.occupancy = share(s.busy, s.on_shift);
      g.synchronous_utilization = share(s.sync_used, s.sync_capable);
      g.asynchronous_utilization = share(s.async_used, s.async_capable);
      return g;
    };
    Sums all;
    int all_agents = 0;
    int all_assigned = 0;
    for (std::size_t g = 0; g < s_.agents.size(); ++g) {
      Sums sums;
      int count = 0;
      int assigned = 0;
      for (const SimAgent& a : agents_) {
        if (a.group != g) continue;
        ++count;
        assigned += a.assigned;
        for (Sums* x : {&sums, &all}) {
          x->on_shift += a.on_shift_s;
          x->busy += a.busy_s;
          x->sync_capable += a.sync_capable_s;
          x->async_capable += a.async_capable_s;
          x->sync_used += a.sync_used_s;
          x->async_used += a.async_used_s;
        }
      }
      all_agents += count;
      all_assigned += assigned;
      r.agent_groups.push_back(group_report(s_.agents[g].name, count, assigned, sums));
    }
    r.all_agents = group_report("all", all_agents, all_assigned, all);

    r.offers_made = offers_made_;
    r.offers_accepted = offers_accepted_;
    r.offers_declined = offers_declined_;
    r.offers_expired = offers_expired_;
    r.late_answers = late_answers_;
    r.ineligible_assignments = ineligible_assignments_;
    r.capacity_violations = capacity_violations_;
    r.steps = steps_;
    r.events = events_;
    return r;
  }

  const Scenario& s_;
  ManualClock clock_;
  Timestamp now_;
  NullAdapter adapter_;  // declared before the engine: it must outlive it
  std::unique_ptr<Engine> engine_;
  TenantId tenant_;
  std::map<ChannelKind, Channel> channels_;

  Random agent_random_;
  std::vector<Random> stream_random_;
  std::map<std::size_t, Timestamp> next_arrival_;
  std::priority_queue<Happening, std::vector<Happening>, Later> queue_;
  std::uint64_t sequence_ = 0;

  std::vector<SimAgent> agents_;
  std::map<std::int64_t, std::size_t> agent_index_;
  std::vector<SimCustomer> customers_;
  std::vector<SimConversation> conversations_;
  std::map<std::int64_t, std::size_t> conversation_index_;
  std::map<ChannelKind, EventCounts> counts_;
  std::int64_t cursor_ = 0;
  std::vector<AgentId> to_fill_;  // routing by hand: agents to fill after the events are read

  std::int64_t steps_ = 0;
  std::int64_t events_ = 0;
  int offers_made_ = 0;
  int offers_accepted_ = 0;
  int offers_declined_ = 0;
  int offers_expired_ = 0;
  int late_answers_ = 0;
  int ineligible_assignments_ = 0;
  int capacity_violations_ = 0;
};

}  // namespace

Result<SimulationReport> simulate(const Scenario& scenario) {
  try {
    Driver driver(scenario);
    return driver.run();
  } catch (const std::exception& e) {
    // Nothing in the driver throws by design; RapidJSON's shape checks and allocation might.
    return Status::internal(std::string("simulation: ") + e.what());
  }
}

}  // namespace omni
