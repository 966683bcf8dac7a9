// SPDX-License-Identifier: Apache-2.0
// Consult, alternate, attended transfer and conference (decision 0018). Core thread.
//
// The media picture, with the customer's leg C and the agent's leg A bridged, and the party's
// leg P (a colleague's phone or a dialled number) originated next to them:
//   consult      C held (music), P joins the bridge in whisper mode: A and P talk, P does not
//                hear the held customer (a held party is silence in the mix). The call's
//                recording goes on: the agent channel carries A and P.
//   alternate    C retrieved and P held (P hears music), or back.
//   conference   C and P retrieved, P in barge mode: everyone hears everyone.
//   transfer     P leaves the mix and is bridged to C; A's leg is hung up; a party agent gets
//                a new recording of their part.
// The consult is a call of its own: its id names the consult's events and the party agent's
// state changes until the party joins the customer's call.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <initializer_list>

#include "base/assert.h"
#include "callctl/core.h"

namespace bankcc::callctl {

using events::AgentState;
using telephony::EndCause;
using telephony::LegId;
using Status = CommandReply::Status;
using Stage = CallRec::PartyRec::Stage;

namespace {

std::string_view partyType(const CallRec::PartyRec& p) {
  return p.isAgent ? "agent" : "number";
}

CommandReply noConsult() {
  return refuse(Status::Conflict, "no_consult", "there is no answered consult on this call");
}

}  // namespace

CallRec* CallControl::Impl::findCallOfConsult(std::string_view consultId) {
  auto it = consults_.find(consultId);
  return it == consults_.end() ? nullptr : findCall(it->second);
}

// ---- starting a consult
// ---------------------------------------------------------------------------

CommandReply CallControl::Impl::runCommand(const Actor& actor, const Consult& cmd) {
  using Target = Consult::Target;
  AgentRec* party = nullptr;
  switch (cmd.targetType) {
    case Target::Agent:
      party = findAgent(cmd.target);
      if (party == nullptr) return noAgent(cmd.target);
      break;
    case Target::Number:
      if (auto refused = refuseNumber(cmd.target)) return *refused;
      break;
    case Target::Queue:
      if (!queues_.contains(cmd.target)) {
        return refuse(Status::NotFound, "unknown_queue", fmt::format("no queue '{}'", cmd.target));
      }
      break;
  }
  auto found = connectedCallFor(actor, cmd.callId);
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  if (c.party) return consultInProgress();
  if (auto refused = refuseInternal(c)) return *refused;
  if (party != nullptr) {
    if (party->setup.acd.agentNo == c.agentNo) {
      return refuse(Status::Conflict, "consult_self", "an agent cannot consult themselves");
    }
    if (party->state != AgentState::Ready) {
      return refuse(Status::Conflict, "agent_not_ready",
                    fmt::format("agent '{}' is not ready", cmd.target));
    }
  }
  const std::string consultId = newId();
  if (cmd.targetType == Target::Queue) {
    // The consult waits with the customer's priority and arrival: the customer keeps the place
    // in line they earned (decision 0024).
    const acd::CallEntry entry{.callId = consultId,
                               .queue = cmd.target,
                               .priority = c.priority,
                               .arrived = c.arrived,
                               .preferredAgent = {},
                               .preferredUntil = {}};
    const base::Result<acd::JoinOutcome> joined = acd_.enqueue(entry, now());
    const acd::JoinOutcome outcome = joined.ok() ? *joined : acd::JoinOutcome::Closed;
    if (outcome != acd::JoinOutcome::Queued) {
      acd_.remove(consultId);
      switch (outcome) {
        case acd::JoinOutcome::Full:
          return refuse(Status::Conflict, "queue_full",
                        fmt::format("queue '{}' is full", cmd.target));
        case acd::JoinOutcome::NoMembers:
          return refuse(
              Status::Conflict, "no_agents",
              fmt::format("no logged-in agent of queue '{}' could take the consult", cmd.target));
        default:
          return refuse(Status::Conflict, "queue_closed",
                        fmt::format("queue '{}' is closed", cmd.target));
      }
    }
  }
  const std::string owner = c.agentNo;
  if (c.monitor) endMonitor(c, "consult");
  hold(c);
  CallRec::PartyRec p;
  p.consultId = consultId;
  p.isAgent = cmd.targetType != Target::Number;
  p.target = cmd.target;
  p.started = now();
  p.requestId = requestId_;
  consults_[p.consultId] = c.id;
  const char* targetType = cmd.targetType == Target::Agent    ? "agent"
                           : cmd.targetType == Target::Number ? "number"
                                                              : "queue";
  if (cmd.targetType == Target::Queue) {
    p.stage = Stage::Queued;
    p.queue = cmd.target;
  }
  const Stage stage = p.stage;
  c.party = std::move(p);
  if (stage == Stage::Queued) armConsultWait(c, options_.consultQueueTimeout);
  emit(consultId, owner, c.queue, events::CallConsultStarted{c.id, owner, targetType, cmd.target});
  if (stage == Stage::Queued) {
    routeConsult(c, "consult");
  } else {
    ringParty(c, party);
  }
  return {};
}

void CallControl::Impl::ringParty(CallRec& c, AgentRec* agent) {
  CallRec::PartyRec& p = *c.party;
  p.stage = Stage::Ringing;
  // A colleague's persistent line answers the consult at once (decision 0027).
  const std::optional<LegId> line =
      agent != nullptr ? takeLine(c, *agent, true) : std::optional<LegId>();
  const bool viaLine = line.has_value();
  if (viaLine) {
    p.leg = *line;
  } else {
    p.leg = LegId{newId()};
    addLeg(c, p.leg);
    p.ringTimer =
        after(options_.consultRingTimeout + kRingGrace, [this, id = c.id, consult = p.consultId] {
          CallRec* call = findCall(id);
          if (call != nullptr && call->party && call->party->consultId == consult &&
              call->party->stage == Stage::Ringing) {
            call->party->ringTimer = {};
            partyNotReached(*call, "no_answer", kReasonNoAnswer);
          }
          finishTurn();
        });
  }
  telephony::Originate dial{
      .leg = p.leg,
      .to = {telephony::Destination::Kind::External, p.target},
      .callerId = c.dnis,
      .near = c.customer,
      .ringTimeout = options_.consultRingTimeout,
      .autoAnswer = false,
      .headers = {{"X-Bankcc-Call-Id", p.consultId}, {"X-Bankcc-Parent-Call-Id", c.id}}};
  if (agent != nullptr) {
    const std::string& no = agent->setup.acd.agentNo;
    // A colleague the ACD chose is unavailable there already (Acd::offer).
    if (p.queue.empty()) {
      if (const base::Status st = acd_.setUnavailable(no); !st.ok()) {
        BANKCC_BUG("the ACD does not know a ready agent");
      }
    }
    agent->callId = p.consultId;
    setState(*agent, AgentState::Reserved);
    // The colleague's screen shows whose customer it is about, and the queue they came through.
    const std::string& queue = p.queue.empty() ? c.queue : p.queue;
    emit(p.consultId, no, queue,
         events::CallOffered{.agentNo = no,
                             .extension = agent->extension,
                             .queue = queue,
                             .ani = c.ani,
                             .waitMs = p.queue.empty() ? 0 : toMs(now() - p.started),
                             .tier = c.tier,
                             .priority = c.priority,
                             .customerId = {},
                             .ivrPath = {},
                             .collected = callDataJson(c.data),
                             .desktopAnswer = false,
                             .line = viaLine});
    dial.to = {telephony::Destination::Kind::Extension, agent->extension};
    dial.callerId = c.agentNo;
    dial.autoAnswer = agent->extensionAutoAnswer && agent->setup.autoAnswer;
  }
  if (viaLine) {
    onPartyAnswered(c);
  } else {
    execute(std::move(dial));
  }
}

void CallControl::Impl::armConsultWait(CallRec& c, Duration d) {
  CallRec::PartyRec& p = *c.party;
  cancel(p.waitTimer);
  p.waitTimer = after(std::max(d, Duration::zero()), [this, id = c.id, consult = p.consultId] {
    CallRec* call = findCall(id);
    if (call != nullptr && call->party && call->party->consultId == consult &&
        call->party->stage == Stage::Queued) {
      call->party->waitTimer = {};
      endConsult(*call, "timed_out", "system");
    }
    finishTurn();
  });
}

void CallControl::Impl::routeConsult(CallRec& c, std::string_view trigger) {
  if (!c.party || c.party->stage != Stage::Queued) return;
  routeWaiting(std::string(c.party->consultId), trigger);
}

void CallControl::Impl::offerConsult(CallRec& c, const acd::Match& m,
                                     acd::Explanation explanation) {
  CallRec::PartyRec& p = *c.party;
  AgentRec* a = findAgent(m.agentNo);
  BANKCC_RELEASE_ASSERT(a != nullptr, "an ACD match names a known agent");
  if (p.stage != Stage::Queued || a->state != AgentState::Ready) {
    BANKCC_BUG("the ACD matched a consult or agent the core does not see as free");
    return;
  }
  if (const base::Status st = acd_.offer(m.callId, m.agentNo); !st.ok()) {
    BANKCC_BUG("the ACD refused the offer it proposed");
    return;
  }
  cancel(p.waitTimer);
  p.queue = m.queue;
  p.target = m.agentNo;
  const std::string rule = explanation.rule;
  const std::string trigger = explanation.trigger;
  rememberExplanation(p.consultId, std::move(explanation));
  emit(p.consultId, m.agentNo, m.queue, events::RoutingDecided{m.queue, m.agentNo, rule, trigger});
  ringParty(c, a);
}

void CallControl::Impl::partyNotReached(CallRec& c, std::string_view reason,
                                        std::string_view freeReason) {
  CallRec::PartyRec& p = *c.party;
  if (p.queue.empty()) {
    endConsult(c, reason, "party", freeReason);
    return;
  }
  // As with an offer: the colleague goes not ready, the consult waits in its old place.
  cancel(p.ringTimer);
  hangupLeg(c, p.leg, EndCause::NoAnswer);  // no-op when the leg has ended
  if (const base::Status st = acd_.release(p.consultId); !st.ok()) {
    BANKCC_BUG("the ACD lost an offered consult");
  }
  const std::string colleague = std::exchange(p.target, p.queue);
  p.stage = Stage::Queued;
  p.leg = {};
  const std::string consultId = p.consultId;
  armConsultWait(c, options_.consultQueueTimeout - (now() - p.started));
  if (AgentRec* b = findAgent(colleague); b != nullptr && b->callId == consultId) {
    spdlog::info("consult {}: offer to agent {} failed ({})", consultId, colleague, reason);
    b->nextNotReady.reset();
    setState(*b, AgentState::NotReady, freeReason);
  }
  routeConsult(c, "offer_failed");
}

void CallControl::Impl::onConsultStepDue(CallRec& c, const acd::StepDue& due) {
  switch (due.kind) {
    case acd::StepDue::Kind::Widened:
      routeConsult(c, "widened");
      break;
    case acd::StepDue::Kind::PreferenceExpired:
      routeConsult(c, "preference_expired");
      break;
    case acd::StepDue::Kind::Moved:
      c.party->queue = due.target;
      c.party->target = due.target;
      routeConsult(c, "moved");
      break;
    case acd::StepDue::Kind::Left:
      // A consult does not follow the queue to a destination: the agent still has the customer.
      endConsult(c, "overflow", "system");
      break;
    case acd::StepDue::Kind::TimedOut:
      endConsult(c, "timed_out", "system");
      break;
  }
}

void CallControl::Impl::onPartyAnswered(CallRec& c) {
  CallRec::PartyRec& p = *c.party;
  if (p.stage != Stage::Ringing || !c.agentLeg) return;
  cancel(p.ringTimer);
  if (!p.queue.empty()) acd_.remove(p.consultId);  // answered: the ACD is done with it
  execute(telephony::Monitor{p.leg, *c.agentLeg, c.customer, telephony::MonitorMode::Whisper});
  p.stage = Stage::Consulting;
  p.answered = now();
  if (p.isAgent) {
    if (AgentRec* b = findAgent(p.target); b != nullptr && b->callId == p.consultId) {
      setState(*b, AgentState::OnCall);
      adoptLine(*b, c, p.leg);
    }
  }
  RequestScope scope(*this, p.requestId);
  emit(p.consultId, c.agentNo, c.queue,
       events::CallConsultAnswered{c.id, c.agentNo, p.target, toMs(p.answered - p.started)});
}

// ---- ending a consult or a party's part
// -----------------------------------------------------------

void CallControl::Impl::endConsult(CallRec& c, std::string_view reason, std::string_view hungUpBy,
                                   std::string_view freeReason) {
  BANKCC_ASSERT(c.party && c.party->stage != Stage::Conferenced, "endConsult of a consult");
  CallRec::PartyRec p = std::move(*c.party);
  c.party.reset();
  consults_.erase(p.consultId);
  cancel(p.ringTimer);
  cancel(p.waitTimer);
  if (!p.queue.empty()) {
    acd_.remove(p.consultId);  // no-op once answered or gone
    forgetCall(p.consultId);
  }
  hangupLeg(c, p.leg, EndCause::Normal);  // no-op when the leg has ended
  const Duration took = now() - p.started;
  emit(c.id, c.agentNo, c.queue,
       events::CallConsultEnded{p.consultId, c.agentNo, p.target, std::string(reason), toMs(took)});
  AgentRec* b = p.isAgent && p.stage != Stage::Queued ? findAgent(p.target) : nullptr;
  emit(p.consultId, b != nullptr ? p.target : std::string(), c.queue,
       events::CallEnded{std::string(reason), std::string(hungUpBy), toMs(took)});
  if (b != nullptr && b->callId == p.consultId &&
      (b->state == AgentState::Reserved || b->state == AgentState::OnCall)) {
    // A consult is advice to a colleague: no wrap-up of its own.
    if (freeReason.empty()) {
      releaseAgent(*b);
    } else {
      setState(*b, AgentState::NotReady, freeReason);
    }
  }
}

void CallControl::Impl::onPartyLegEnded(CallRec& c, EndCause cause) {
  switch (c.party->stage) {
    case Stage::Ringing: {
      const std::string_view reason = cause == EndCause::NoAnswer ? "no_answer"
                                      : cause == EndCause::Busy   ? "busy"
                                                                  : "failed";
      // As with an offer: a phone that does not answer makes the agent not ready.
      partyNotReached(c, reason,
                      cause == EndCause::NoAnswer ? kReasonNoAnswer : kReasonPhoneUnavailable);
      return;
    }
    case Stage::Queued:
      return;  // no leg yet
    case Stage::Consulting:
      endConsult(c, "party_hung_up", "party");
      return;
    case Stage::Conferenced:
      partyLeaves(c, "hung_up", now());
      return;
  }
}

void CallControl::Impl::partyLeaves(CallRec& c, std::string_view reason, SysTime at) {
  CallRec::PartyRec p = std::move(*c.party);
  c.party.reset();
  hangupLeg(c, p.leg, EndCause::Normal);
  emit(c.id, c.agentNo, c.queue,
       events::CallPartyLeft{c.agentNo, std::string(partyType(p)), p.target, std::string(reason),
                             toMs(at - p.conferenced)});
  if (!p.isAgent) return;
  if (AgentRec* b = findAgent(p.target);
      b != nullptr && b->callId == c.id && b->state == AgentState::OnCall) {
    enterWrapUp(*b, c, at, p.answered);
  }
}

void CallControl::Impl::dropPartyForEnd(CallRec& c, SysTime at) {
  if (!c.party) return;
  if (c.party->stage == Stage::Conferenced) {
    // The party was in the customer's call: like the agent, they wrap it up.
    CallRec::PartyRec p = std::move(*c.party);
    c.party.reset();
    hangupLeg(c, p.leg, EndCause::Normal);
    if (!p.isAgent) return;
    if (AgentRec* b = findAgent(p.target);
        b != nullptr && b->callId == c.id && b->state == AgentState::OnCall) {
      enterWrapUp(*b, c, at, p.answered);
    }
    return;
  }
  endConsult(c, "call_ended", "system");
}

// ---- attended transfer
// ----------------------------------------------------------------------------

void CallControl::Impl::transferToParty(CallRec& c, bool agentLegGone) {
  CallRec::PartyRec p = std::move(*c.party);
  c.party.reset();
  consults_.erase(p.consultId);
  AgentRec* a = findAgent(c.agentNo);
  BANKCC_RELEASE_ASSERT(a != nullptr && a->state == AgentState::OnCall && a->callId == c.id,
                        "a connected call's agent is on it");
  const std::string owner = c.agentNo;
  const bool fromConsult = p.stage == Stage::Consulting;
  const SysTime t = now();

  clearMute(c, false);  // the agent's leg goes
  retrieve(c);
  retrieveParty(c, p, t);
  stopRecording(c);
  // The party leaves the mix and takes the agent's place in the bridge.
  if (!agentLegGone && c.agentLeg) {
    execute(telephony::StopMonitor{p.leg});
    execute(telephony::Unbridge{c.customer, *c.agentLeg});
    hangupLeg(c, *c.agentLeg, EndCause::Normal);
  }
  c.agentLeg.reset();
  execute(telephony::Bridge{c.customer, p.leg});

  if (fromConsult) {
    emit(
        c.id, owner, c.queue,
        events::CallConsultEnded{p.consultId, owner, p.target, "transferred", toMs(t - p.started)});
  }
  emit(c.id, owner, c.queue,
       events::CallTransferred{owner, "attended", std::string(partyType(p)), p.target,
                               toMs(t - c.answered)});
  enterWrapUp(*a, c, t);

  AgentRec* b = p.isAgent ? findAgent(p.target) : nullptr;
  if (b != nullptr) {
    b->callId = c.id;
    c.agentNo = p.target;
    c.agentLeg = p.leg;
    c.answered = t;
    const std::string recording = newId();
    execute(telephony::StartRecording{telephony::RecordingId{recording}, c.customer, p.leg});
    c.recordingId = recording;
    recordings_[recording] = RecordingInfo{c.id, c.agentNo, c.queue};
    emit(c.id, c.agentNo, c.queue, events::RecordingStarted{recording});
  } else {
    // An external party: the customer's conversation with that number, as after a blind
    // transfer to a number.
    c.agentNo.clear();
    c.answered = {};
    c.phase = Phase::Fallback;
    c.transferredTo = p.target;
    c.fallbackDestination = p.target;
    c.fallbackLeg = p.leg;
    c.fallbackConnected = true;
  }
  if (fromConsult) {
    emit(p.consultId, b != nullptr ? p.target : std::string(), c.queue,
         events::CallEnded{"transferred", "agent", toMs(t - p.started)});
  }
}

// ---- commands on a consult
// ------------------------------------------------------------------------

void CallControl::Impl::retrieveParty(CallRec& c, CallRec::PartyRec& p, SysTime t) {
  if (!p.held) return;
  execute(telephony::Retrieve{p.leg});
  p.held = false;
  emit(p.consultId, c.agentNo, c.queue, events::CallRetrieved{c.agentNo, toMs(t - p.heldSince)});
}

std::variant<CallRec*, CommandReply> CallControl::Impl::callWithParty(
    const Actor& actor, std::string_view callId, std::initializer_list<Stage> stages,
    CommandReply missing) {
  auto found = connectedCallFor(actor, callId);
  if (std::holds_alternative<CommandReply>(found)) return found;
  CallRec* c = std::get<CallRec*>(found);
  const bool atStage =
      c->party && std::find(stages.begin(), stages.end(), c->party->stage) != stages.end();
  if (!atStage) return missing;
  return c;
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const CancelConsult& cmd) {
  auto found =
      callWithParty(actor, cmd.callId, {Stage::Queued, Stage::Ringing, Stage::Consulting},
                    refuse(Status::Conflict, "no_consult", "there is no consult on this call"));
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  endConsult(c, "cancelled", "agent");
  retrieve(c);
  return {};
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const CompleteTransfer& cmd) {
  auto found = callWithParty(actor, cmd.callId,
                             {Stage::Queued, Stage::Ringing, Stage::Consulting, Stage::Conferenced},
                             noConsult());
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  if (c.party->stage == Stage::Queued || c.party->stage == Stage::Ringing) {
    return transferOnRing(c);
  }
  transferToParty(c, false);
  return {};
}

CommandReply CallControl::Impl::transferOnRing(CallRec& c) {
  using Target = BlindTransfer::Target;
  const CallRec::PartyRec& p = *c.party;
  // A consult to a queue (waiting, or ringing the colleague the ACD chose) hands the caller to
  // that queue; one to a colleague or a number to them, as a blind transfer would.
  const Target target = !p.queue.empty() ? Target::Queue
                        : p.isAgent      ? Target::Agent
                                         : Target::Number;
  const std::string to = !p.queue.empty() ? p.queue : p.target;
  // Not refuseTransferAgent: the colleague is reserved for the consult now, freed below.
  if (target == Target::Agent) {
    if (auto refused = refuseNoPlaceToWait(c)) return *refused;
  }
  // The colleague, freed from the consult, is offered this caller next (a directed offer, as
  // for a blind transfer to them), not another caller in between. Freed from a consult to a
  // queue, they are routed at once as usual: the queue's oldest caller comes first.
  AgentRec* colleague = target == Target::Agent ? findAgent(p.target) : nullptr;
  holdRouting_ = colleague != nullptr;
  endConsult(c, "transferred", "agent");
  holdRouting_ = false;
  blindTransfer(c, target, to, "semi_attended");
  // Freed but not given the caller after all (the queue was full): routed now.
  if (colleague != nullptr && colleague->state == AgentState::Ready) {
    routeAgent(*colleague, "agent_available");
  }
  return {};
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const Conference& cmd) {
  auto found = callWithParty(actor, cmd.callId, {Stage::Consulting}, noConsult());
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  CallRec::PartyRec& p = *c.party;
  const SysTime t = now();
  retrieve(c);
  retrieveParty(c, p, t);
  execute(telephony::Monitor{p.leg, *c.agentLeg, c.customer, telephony::MonitorMode::Barge});
  p.stage = Stage::Conferenced;
  p.conferenced = t;
  consults_.erase(p.consultId);
  emit(c.id, c.agentNo, c.queue,
       events::CallConsultEnded{p.consultId, c.agentNo, p.target, "conferenced",
                                toMs(t - p.started)});
  emit(c.id, c.agentNo, c.queue,
       events::CallConferenced{c.agentNo, p.consultId, std::string(partyType(p)), p.target});
  AgentRec* b = p.isAgent ? findAgent(p.target) : nullptr;
  if (b != nullptr) b->callId = c.id;
  emit(p.consultId, b != nullptr ? p.target : std::string(), c.queue,
       events::CallEnded{"conferenced", "agent", toMs(t - p.started)});
  return {};
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const Alternate& cmd) {
  auto found = callWithParty(actor, cmd.callId, {Stage::Consulting}, noConsult());
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  CallRec::PartyRec& p = *c.party;
  const SysTime t = now();
  if (!p.held) {
    // Back to the customer; the party waits with music.
    execute(telephony::Hold{p.leg, "moh"});
    p.held = true;
    p.heldSince = t;
    emit(p.consultId, c.agentNo, c.queue, events::CallHeld{c.agentNo});
    retrieve(c);
  } else {
    hold(c);
    retrieveParty(c, p, t);
  }
  return {};
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const DropParty& cmd) {
  auto found = callWithParty(
      actor, cmd.callId, {Stage::Conferenced},
      refuse(Status::Conflict, "no_conference", "there is no conference on this call"));
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  partyLeaves(*std::get<CallRec*>(found), "dropped", now());
  return {};
}

}  // namespace bankcc::callctl
