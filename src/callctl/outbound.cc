// SPDX-License-Identifier: Apache-2.0
// Calls an agent places (decision 0020): make_call from the desktop and calls dialled on the
// phone a logged-in agent uses. Core thread.
//
// The walk of a placed call to a number, a colleague or an extension:
//   desktop  call.originated, the agent reserved, their own phone called (auto-answer when it
//            can) -> answered -> dialTarget
//   phone    call.originated, the agent reserved, their INVITE answered -> dialTarget
//   dialTarget: ringback to the agent, the target's leg (the call's `customer`) originated; a
//            colleague is reserved and offered the call -> answered -> connectPlaced: bridge,
//            record, call.answered{queue ""}, the agent (and the colleague) on_call.
// A queue dialled from the phone is a caller like any other: the agent who dialled is the
// call's `peerAgent`, on_call until it ends. Whoever placed or was called returns to the state
// they had before (busyWithPlacedCall keeps a not_ready reason in nextNotReady).
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/assert.h"
#include "callctl/core.h"

namespace bankcc::callctl {

using events::AgentState;
using telephony::EndCause;
using telephony::LegId;
using Status = CommandReply::Status;

namespace {

bool validExtension(std::string_view e) {
  return e.size() >= 2 && e.size() <= 20 &&
         std::all_of(e.begin(), e.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

}  // namespace

std::optional<CommandReply> CallControl::Impl::refuseOutboundNumber(std::string_view number) const {
  return refuseUnlisted(number, options_.outboundNumbers, "agents may call");
}

std::optional<CommandReply> CallControl::Impl::refuseInternal(const CallRec& c) const {
  if (c.peerAgent.empty() || c.customerSide != "callee") return std::nullopt;
  return refuse(Status::Conflict, "internal_call",
                "an internal call cannot be transferred or consulted about");
}

void CallControl::Impl::busyWithPlacedCall(AgentRec& a, const std::string& callId, AgentState as) {
  BANKCC_ASSERT(isFree(a), "only a free agent places or takes a placed call");
  if (a.state == AgentState::NotReady) {
    a.nextNotReady = a.reason;
  } else {
    a.nextNotReady.reset();
  }
  if (const base::Status st = acd_.setUnavailable(a.setup.acd.agentNo); !st.ok()) {
    BANKCC_BUG("the ACD does not know a logged-in agent");
  }
  a.callId = callId;
  setState(a, as);
}

// ---- make_call ---------------------------------------------------------------------------------

CommandReply CallControl::Impl::runCommand(const Actor& actor, const MakeCall& cmd) {
  AgentRec* a = findAgent(cmd.agentNo);
  if (a == nullptr) return noAgent(cmd.agentNo);
  // Dialling out in someone else's name is nobody's business, not even an admin's.
  if (actor.agentNo != cmd.agentNo) {
    return refuse(Status::Forbidden, "not_your_agent",
                  "only the agent themselves can place a call from their phone");
  }
  if (auto refused = refuseUnavailable(*a)) return *refused;
  if (draining_) {
    return refuse(Status::Conflict, "shutting_down", "this node is shutting down");
  }
  std::string targetType;
  std::string calleeNo;
  switch (cmd.targetType) {
    case MakeCall::Target::Number:
      if (auto refused = refuseOutboundNumber(cmd.target)) return *refused;
      targetType = "number";
      break;
    case MakeCall::Target::Agent:
      targetType = "agent";
      calleeNo = cmd.target;
      break;
    case MakeCall::Target::Extension:
      if (!validExtension(cmd.target)) {
        return refuse(Status::Invalid, "bad_extension", "an extension is 2 to 20 digits");
      }
      if (auto owner = extensionOwner_.find(cmd.target); owner != extensionOwner_.end()) {
        // An extension a logged-in agent uses is that agent: they become busy with it.
        targetType = "agent";
        calleeNo = owner->second;
      } else {
        auto reg = registered_.find(cmd.target);
        if (reg == registered_.end()) {
          return refuse(Status::NotFound, "unknown_extension",
                        fmt::format("no phone has registered extension '{}'", cmd.target));
        }
        if (!reg->second) {
          return refuse(Status::Conflict, "phone_unavailable",
                        fmt::format("phone '{}' is not registered", cmd.target));
        }
        targetType = "extension";
      }
      break;
  }
  if (!calleeNo.empty()) {
    const AgentRec* callee = findAgent(calleeNo);
    if (callee == nullptr) return noAgent(calleeNo);
    if (callee == a) {
      return refuse(Status::Conflict, "call_self", "an agent cannot call themselves");
    }
    if (auto refused = refuseUnavailable(*callee)) return *refused;
  }

  CallRec fresh;
  fresh.id = newId();
  fresh.direction =
      targetType == "number" ? CallRec::Direction::Outbound : CallRec::Direction::Internal;
  fresh.targetType = targetType;
  fresh.target = calleeNo.empty() ? cmd.target : calleeNo;
  fresh.via = "desktop";
  fresh.agentNo = cmd.agentNo;
  fresh.peerAgent = calleeNo;
  fresh.customerSide = "callee";
  fresh.ani = a->extension;
  fresh.dnis = cmd.target;
  fresh.arrived = now();
  fresh.phase = Phase::Dialing;
  fresh.answerRequestId = requestId_;
  const std::string id = fresh.id;
  CallRec& c = calls_.emplace(id, std::move(fresh)).first->second;
  emit(c.id, c.agentNo, {},
       events::CallOriginated{c.agentNo, a->extension, c.targetType, c.target, c.via});
  busyWithPlacedCall(*a, c.id, AgentState::Reserved);

  CommandReply reply;
  reply.callId = id;
  if (const std::optional<LegId> line = takeLine(c, *a, false)) {
    // The agent's persistent line is their own leg: dial out at once (decision 0027).
    c.agentLeg = line;
    dialTarget(c);
    return reply;
  }
  // The agent's own phone first, showing whom it is about to call.
  const LegId leg{newId()};
  addLeg(c, leg);
  c.agentLeg = leg;
  execute(telephony::Originate{
      .leg = leg,
      .to = telephony::Destination{telephony::Destination::Kind::Extension, a->extension},
      .callerId = cmd.target,
      .near = std::nullopt,
      .ringTimeout = options_.agentPhoneRingTimeout,
      .autoAnswer = a->extensionAutoAnswer,
      .headers = {{"X-Bankcc-Call-Id", c.id}}});
  c.ringTimer = after(options_.agentPhoneRingTimeout + kRingGrace, [this, id] {
    CallRec* late = findCall(id);
    if (late != nullptr && late->phase == Phase::Dialing && late->customer.value.empty()) {
      late->ringTimer = {};
      endCall(*late, "no_answer", "agent");
    }
    finishTurn();
  });
  return reply;
}

// ---- dialled on the phone
// ------------------------------------------------------------------------

void CallControl::Impl::onPhoneDialled(const telephony::LegArrived& e, AgentRec& a) {
  CallRec fresh;
  fresh.id = newId();
  fresh.via = "phone";
  fresh.ani = a.extension;
  fresh.dnis = e.dnis;
  fresh.arrived = now();
  fresh.target = e.dnis;
  // What was dialled: a queue's number, a colleague's or another extension, else a number.
  int reject = 0;
  std::string refusal;
  std::string calleeNo;
  if (auto q = dnisToQueue_.find(e.dnis); q != dnisToQueue_.end()) {
    fresh.targetType = "queue";
    fresh.target = q->second;
  } else if (auto owner = extensionOwner_.find(e.dnis); owner != extensionOwner_.end()) {
    fresh.targetType = "agent";
    fresh.target = owner->second;
    calleeNo = owner->second;
    const AgentRec* callee = findAgent(calleeNo);
    if (callee == &a) {
      reject = 486;
      refusal = "call_self";
    } else if (callee == nullptr || !canTakeCall(*callee)) {
      reject = 486;
      refusal = "busy";
    }
  } else if (auto reg = registered_.find(e.dnis); reg != registered_.end()) {
    fresh.targetType = "extension";
    if (!reg->second) {
      reject = 480;
      refusal = "unreachable";
    }
  } else {
    fresh.targetType = "number";
    if (auto refused = refuseOutboundNumber(e.dnis)) {
      reject = refused->code == "bad_number" ? 404 : 403;
      refusal = refused->code;
    }
  }
  if (!isFree(a)) {
    // A second line while busy: the phone shows busy.
    reject = 486;
    refusal = "agent_busy";
  } else if (draining_) {
    reject = 503;
    refusal = "shutdown";
  }
  fresh.direction =
      fresh.targetType == "number" ? CallRec::Direction::Outbound : CallRec::Direction::Internal;
  const std::string id = fresh.id;
  CallRec& c = calls_.emplace(id, std::move(fresh)).first->second;
  const std::string& no = a.setup.acd.agentNo;
  emit(c.id, no, {}, events::CallOriginated{no, a.extension, c.targetType, c.target, c.via});

  if (reject != 0) {
    spdlog::info("call {}: agent {} dialled '{}': refused ({})", c.id, no, e.dnis, refusal);
    addLeg(c, e.leg);
    c.customer = e.leg;
    c.legs[e.leg] = true;
    execute(telephony::Reject{e.leg, reject, refusal});
    endCall(c, refusal, "system");
    return;
  }
  if (c.targetType == "queue") {
    // The agent is a caller of the queue: its customer, busy until the call ends.
    c.customer = e.leg;
    c.peerAgent = no;
    c.queue = c.target;
    addLeg(c, c.customer);
    busyWithPlacedCall(a, c.id, AgentState::OnCall);
    execute(telephony::Answer{c.customer});
    if (joinQueue(c, c.target, 0, c.arrived)) {
      playMusic(c);
      routeCall(c, "call_joined");
    }
    return;
  }
  c.agentNo = no;
  c.peerAgent = calleeNo;
  c.customerSide = "callee";
  c.phase = Phase::Dialing;
  c.agentLeg = e.leg;
  addLeg(c, e.leg);
  busyWithPlacedCall(a, c.id, AgentState::Reserved);
  // The target is dialled once the agent's leg is up (onAnswered -> dialTarget).
  execute(telephony::Answer{e.leg});
}

// ---- dialling the target and connecting
// -----------------------------------------------------------

void CallControl::Impl::dialTarget(CallRec& c) {
  RequestScope scope(*this, c.answerRequestId);
  cancel(c.ringTimer);
  const AgentRec* a = findAgent(c.agentNo);
  BANKCC_RELEASE_ASSERT(a != nullptr && a->state == AgentState::Reserved && a->callId == c.id,
                        "a placing agent is reserved for their call");
  telephony::Destination to{telephony::Destination::Kind::External, c.target};
  std::string callerId =
      options_.outboundCallerId.empty() ? a->extension : options_.outboundCallerId;
  bool autoAnswer = false;
  if (!c.peerAgent.empty()) {
    // The colleague may have taken a queue call since make_call was accepted.
    AgentRec* callee = findAgent(c.peerAgent);
    if (callee == nullptr || !canTakeCall(*callee)) {
      endCall(c, "busy", "callee");
      return;
    }
    busyWithPlacedCall(*callee, c.id, AgentState::Reserved);
    const std::optional<LegId> line = takeLine(c, *callee, true);
    // The colleague's screen shows who calls.
    emit(c.id, c.peerAgent, {},
         events::CallOffered{.agentNo = c.peerAgent,
                             .extension = callee->extension,
                             .queue = {},
                             .ani = a->extension,
                             .waitMs = 0,
                             .tier = {},
                             .priority = 0,
                             .customerId = {},
                             .ivrPath = {},
                             .collected = {},
                             .desktopAnswer = false,
                             .line = line.has_value()});
    if (line) {
      // The colleague's persistent line answers at once.
      c.customer = *line;
      connectPlaced(c);
      return;
    }
    to = {telephony::Destination::Kind::Extension, callee->extension};
    callerId = a->extension;
    autoAnswer = callee->extensionAutoAnswer && callee->setup.autoAnswer;
  } else if (c.targetType == "extension") {
    to = {telephony::Destination::Kind::Extension, c.target};
    callerId = a->extension;
  }
  const LegId leg{newId()};
  addLeg(c, leg);
  c.customer = leg;
  execute(telephony::Play{.leg = *c.agentLeg,
                          .items = {telephony::PlayItem::ofTone(telephony::Tone::Ringback)},
                          .bargeIn = false,
                          .loop = true,
                          .request = 0});
  execute(telephony::Originate{.leg = leg,
                               .to = to,
                               .callerId = callerId,
                               .near = *c.agentLeg,
                               .ringTimeout = options_.outboundRingTimeout,
                               .autoAnswer = autoAnswer,
                               .headers = {{"X-Bankcc-Call-Id", c.id}}});
  c.ringTimer = after(options_.outboundRingTimeout + kRingGrace, [this, id = c.id] {
    CallRec* late = findCall(id);
    if (late != nullptr && late->phase == Phase::Dialing) {
      late->ringTimer = {};
      endCall(*late, "no_answer", "callee");
    }
    finishTurn();
  });
}

void CallControl::Impl::connectPlaced(CallRec& c) {
  RequestScope scope(*this, c.answerRequestId);
  cancel(c.ringTimer);
  AgentRec* a = findAgent(c.agentNo);
  BANKCC_RELEASE_ASSERT(a != nullptr && a->state == AgentState::Reserved && a->callId == c.id,
                        "a placing agent is reserved for their call");
  const LegId agentLeg = *c.agentLeg;
  execute(telephony::StopPlay{agentLeg});
  execute(telephony::Bridge{c.customer, agentLeg});
  const std::string recording = newId();
  execute(telephony::StartRecording{telephony::RecordingId{recording}, c.customer, agentLeg});
  c.phase = Phase::Connected;
  c.answered = now();
  c.recordingId = recording;
  recordings_[recording] = RecordingInfo{c.id, c.agentNo, {}};
  // An internal call has no wrap-up; either way the agent returns to their previous state.
  c.wrapUp =
      c.direction == CallRec::Direction::Outbound ? options_.outboundWrapUp : Duration::zero();
  c.readyAfterWrapUp = true;
  emit(c.id, c.agentNo, {}, events::CallAnswered{c.agentNo, {}, toMs(c.answered - c.arrived)});
  setState(*a, AgentState::OnCall);
  if (AgentRec* callee = c.peerAgent.empty() ? nullptr : findAgent(c.peerAgent);
      callee != nullptr && callee->callId == c.id && callee->state == AgentState::Reserved) {
    setState(*callee, AgentState::OnCall);
  }
  emit(c.id, c.agentNo, {}, events::RecordingStarted{recording});
}

void CallControl::Impl::onDialingLegEnded(CallRec& c, const LegId& leg, EndCause cause) {
  if (c.agentLeg == leg) {
    c.agentLeg.reset();
    // The agent hung up while it rang (cancelled), or their own phone did not answer.
    endCall(c, cause == EndCause::Normal ? "cancelled" : std::string(endCauseName(cause)), "agent");
  } else if (c.customer == leg) {
    endCall(c, std::string(endCauseName(cause)), "callee");
  }
}

void CallControl::Impl::releasePeer(const CallRec& c) {
  if (c.peerAgent.empty()) return;
  AgentRec* p = findAgent(c.peerAgent);
  if (p != nullptr && p->callId == c.id &&
      (p->state == AgentState::Reserved || p->state == AgentState::OnCall)) {
    releaseAgent(*p);
  }
}

}  // namespace bankcc::callctl
