// Bots: host-implemented responders answer the conversations their bot agent holds, through the
// normal send path, and escalate to a person with a kBotToHuman handoff (omni/bot.h).
#include <exception>
#include <map>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "engine_impl.h"

namespace omni {

using engine_internal::check_text;
using engine_internal::excerpt_of;
using engine_internal::kMaxSubjectBytes;
using engine_internal::Payload;

namespace {

std::pair<std::int64_t, std::int64_t> bot_key(TenantId tenant, AgentId agent) {
  return {tenant.value(), agent.value()};
}

// What run_bot reads before it asks the bot.
struct BotContext {
  Conversation conversation;
  AgentId bot;
  bool offered = false;  // the bot holds an outstanding offer, not the assignment
  std::optional<BotTurn> turn;
};

Status check_reply(const BotReply& reply, std::size_t max_body_bytes) {
  OMNI_RETURN_IF_ERROR(check_text("bot.text", reply.text, max_body_bytes));
  OMNI_RETURN_IF_ERROR(check_text("bot.reason", reply.reason, kMaxSubjectBytes));
  OMNI_RETURN_IF_ERROR(check_text("bot.to_team", reply.to_team, kMaxSubjectBytes));
  if (reply.escalate && !reply.to_agent && reply.to_team.empty()) {
    return Status::invalid_argument("the bot escalates but names neither to_agent nor to_team")
        .with_field("bot.to_team");
  }
  if (!reply.escalate && reply.text.empty()) {
    return Status::invalid_argument("the bot neither answers nor escalates").with_field("bot.text");
  }
  return Status();
}

}  // namespace

bool Engine::Impl::has_bots(TenantId tenant) {
  std::lock_guard lock(bots_mutex);
  auto it = bots.lower_bound({tenant.value(), 0});
  return it != bots.end() && it->first.first == tenant.value();
}

Status Engine::register_bot(TenantId tenant, AgentId bot_agent, BotResponder* responder) {
  if (!responder) {
    return Status::invalid_argument("responder is null").with_field("responder");
  }
  OMNI_ASSIGN_OR_RETURN(Agent agent, impl_->run_read([&](StoreTransaction& tx) {
    return tx.get_agent(tenant, bot_agent);
  }));
  if (agent.kind != AgentKind::kBot) {
    return Status::failed_precondition("agent '" + agent.name + "' is not a bot")
        .with_field("bot_agent");
  }
  std::lock_guard lock(impl_->bots_mutex);
  impl_->bots[bot_key(tenant, bot_agent)].responder = responder;
  return Status();
}

Status Engine::unregister_bot(TenantId tenant, AgentId bot_agent) {
  std::unique_lock lock(impl_->bots_mutex);
  auto it = impl_->bots.find(bot_key(tenant, bot_agent));
  if (it == impl_->bots.end() || !it->second.responder) {
    return Status::not_found("no bot is registered for agent " + std::to_string(bot_agent.value()));
  }
  it->second.responder = nullptr;
  impl_->bots_idle.wait(lock, [&] { return it->second.calls == 0; });
  if (!it->second.responder) impl_->bots.erase(it);  // unless registered again meanwhile
  return Status();
}

Result<BotRun> Engine::run_bot(TenantId tenant, ConversationId conversation) {
  Impl& impl = *impl_;
  // Which registered bot holds the conversation; read without a lock held during the store
  // read (the registry is checked again when the bot is called).
  auto registered = [&](std::optional<AgentId> agent) {
    if (!agent) return false;
    std::lock_guard lock(impl.bots_mutex);
    auto it = impl.bots.find(bot_key(tenant, *agent));
    return it != impl.bots.end() && it->second.responder != nullptr;
  };

  // 1. Read the conversation, its newest inbound message and the transcript.
  auto read = impl.run_read([&](StoreTransaction& tx) -> Result<BotContext> {
    BotContext ctx;
    OMNI_ASSIGN_OR_RETURN(ctx.conversation, tx.get_conversation(tenant, conversation));
    const Conversation& c = ctx.conversation;
    if (!is_active(c.status)) return ctx;
    if (registered(c.assignee)) {
      ctx.bot = *c.assignee;
    } else if (!c.assignee && registered(c.offered_to)) {
      ctx.bot = *c.offered_to;
      ctx.offered = true;
    } else {
      return ctx;
    }
    TouchpointQuery q;
    q.tenant = tenant;
    q.customer = c.customer;
    q.conversation = c.id;
    q.direction = TimelineDirection::kOlder;
    q.limit = std::max<std::size_t>(impl.options.bot_transcript_touchpoints, 1);
    OMNI_ASSIGN_OR_RETURN(std::vector<Touchpoint> newest_first, tx.list_touchpoints(q));
    const Touchpoint* inbound = nullptr;
    for (const Touchpoint& tp : newest_first) {
      if (tp.kind == TouchpointKind::kMessageIn) {
        inbound = &tp;
        break;
      }
      // The bot already answered the newest message (or escalated, and a person holds it).
      if (tp.kind == TouchpointKind::kMessageOut && tp.agent == ctx.bot) return ctx;
    }
    if (!inbound) return ctx;
    BotTurn turn;
    turn.tenant = tenant;
    turn.conversation = c.id;
    turn.customer = c.customer;
    turn.bot = ctx.bot;
    turn.inbound = inbound->id;
    turn.channel_kind = inbound->channel_kind;
    turn.text = inbound->body;
    std::map<std::int64_t, std::string> names;
    for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
      ContextEntry e;
      e.occurred_at = it->occurred_at;
      e.channel_kind = it->channel_kind;
      e.kind = it->kind;
      if (it->agent) {
        auto& name = names[it->agent->value()];
        if (name.empty()) {
          OMNI_ASSIGN_OR_RETURN(Agent a, tx.get_agent(tenant, *it->agent));
          name = a.name;
        }
        e.author = name;
      } else if (is_inbound_kind(it->kind)) {
        e.author = "customer";
      } else {
        e.author = "omni";
      }
      e.excerpt = excerpt_of(it->body, impl.options.context_excerpt_bytes);
      turn.transcript.push_back(std::move(e));
    }
    ctx.turn = std::move(turn);
    return ctx;
  });
  if (!read.ok()) return read.status();
  BotRun run;
  if (!read->turn) return run;
  const BotTurn& turn = *read->turn;
  const AgentId bot = read->bot;

  // A failure changes nothing on the conversation: it is reported as a bot.failed event.
  auto report = [&](Status failure) -> Status {
    Status written = impl.run_write([&](StoreTransaction& tx) -> Status {
      return Impl::event(tx, tenant, turn.customer, conversation, "bot.failed",
                         Payload()
                             .add("bot", bot)
                             .add("touchpoint", turn.inbound)
                             .add("code", std::string(to_string(failure.code())))
                             .add("error", failure.message())
                             .str(),
                         impl.now());
    });
    (void)written;  // best effort: the bot's failure is what the caller needs to see
    return failure;
  };

  // 2. Ask the bot: host code, outside every lock and transaction.
  BotResponder* responder = nullptr;
  {
    std::lock_guard lock(impl.bots_mutex);
    auto it = impl.bots.find(bot_key(tenant, bot));
    if (it == impl.bots.end() || !it->second.responder) return run;  // unregistered meanwhile
    responder = it->second.responder;
    ++it->second.calls;
  }
  Result<BotReply> reply = Status::internal("bot did not answer");
  try {
    reply = responder->respond(turn);
  } catch (const std::bad_alloc&) {
    reply = Status::resource_exhausted("bot threw: out of memory");
  } catch (const std::exception& e) {
    reply = Status::internal(std::string("bot threw: ") + e.what());
  } catch (...) {
    reply = Status::internal("bot threw a non-standard exception");
  }
  {
    std::lock_guard lock(impl.bots_mutex);
    auto it = impl.bots.find(bot_key(tenant, bot));
    if (it != impl.bots.end() && --it->second.calls == 0) impl.bots_idle.notify_all();
  }
  if (!reply.ok()) return report(reply.status());
  if (Status valid = check_reply(*reply, impl.options.max_body_bytes); !valid.ok()) {
    return report(valid);
  }

  // 3. The bot takes an offered conversation; a person who took it meanwhile keeps it.
  run.ran = true;
  run.bot = bot;
  run.inbound = turn.inbound;
  if (read->offered) {
    auto accepted = accept_offer(tenant, conversation, bot);
    if (!accepted.ok()) {
      if (accepted.status().is(StatusCode::kFailedPrecondition)) return BotRun();
      return report(accepted.status());
    }
  } else {
    auto now_held = impl.run_read(
        [&](StoreTransaction& tx) { return tx.get_conversation(tenant, conversation); });
    if (!now_held.ok()) return now_held.status();
    if (now_held->assignee != bot) return BotRun();
  }

  // 4. The answer, as the bot's message through the normal send path.
  Status sent;
  if (!reply->text.empty()) {
    OutboundMessage out;
    out.tenant = tenant;
    out.conversation = conversation;
    out.agent = bot;
    out.body = reply->text;
    auto touchpoint = send(out);
    if (touchpoint.ok()) {
      run.reply = std::move(touchpoint).value();
    } else {
      sent = touchpoint.status();
    }
  }

  // 5. The escalation, with the transcript in the handoff's context packet.
  if (reply->escalate) {
    HandoffSpec spec;
    spec.tenant = tenant;
    spec.conversation = conversation;
    spec.kind = HandoffKind::kBotToHuman;
    spec.from_agent = bot;
    spec.to_agent = reply->to_agent;
    spec.to_team = reply->to_team;
    spec.reason = reply->reason.empty() ? "escalated by bot" : reply->reason;
    spec.open_questions = reply->open_questions;
    spec.tried = reply->tried;
    auto handoff = record_handoff(spec);
    if (!handoff.ok()) return report(handoff.status());
    run.handoff = std::move(handoff).value();
  }
  if (!sent.ok()) return report(sent);
  return run;
}

}  // namespace omni
