// SPDX-License-Identifier: Apache-2.0
// CTI commands (call_control.h): request-id memory, validation, authorization and the effect
// of each command. Checks run in the order: request id seen before (the first reply again),
// bad values (Invalid), unknown objects (NotFound), authorization (Forbidden), state
// (Conflict). Core thread.
#include <fmt/core.h>

#include <algorithm>
#include <type_traits>

#include "base/assert.h"
#include "callctl/core.h"

namespace bankcc::callctl {

using events::AgentState;
using Status = CommandReply::Status;

namespace {

CommandReply accepted() {
  return {};
}

CommandReply notYours(std::string_view agentNo) {
  return refuse(Status::Forbidden, "not_your_agent",
                fmt::format("you may not act for agent '{}'", agentNo));
}

/// Unicode code points in valid UTF-8 (continuation bytes are not counted); for other input
/// an upper bound.
std::size_t codePoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
}

}  // namespace

CommandReply noAgent(std::string_view agentNo) {
  return refuse(Status::NotFound, "unknown_agent", fmt::format("no agent '{}'", agentNo));
}

CommandReply noCall(std::string_view callId) {
  return refuse(Status::NotFound, "unknown_call", fmt::format("no call '{}'", callId));
}

CommandReply notLoggedIn(std::string_view agentNo) {
  return refuse(Status::Conflict, "not_logged_in",
                fmt::format("agent '{}' is not logged in", agentNo));
}

std::optional<CommandReply> CallControl::Impl::refuseUnavailable(const AgentRec& a) const {
  const std::string& no = a.setup.acd.agentNo;
  if (a.state == AgentState::LoggedOut) return notLoggedIn(no);
  if (!isFree(a)) return agentBusy(no);
  if (phoneKnownUnregistered(a)) {
    return refuse(Status::Conflict, "phone_unavailable",
                  fmt::format("phone '{}' is not registered", a.extension));
  }
  return std::nullopt;
}

bool CallControl::Impl::mayActOn(const Actor& actor, const AgentRec& a) const {
  if (actor.admin) return true;
  if (!actor.agentNo.empty() && actor.agentNo == a.setup.acd.agentNo) return true;
  return actor.supervisor && !a.setup.team.empty() &&
         std::find(actor.supervisedTeams.begin(), actor.supervisedTeams.end(), a.setup.team) !=
             actor.supervisedTeams.end();
}

CommandReply CallControl::Impl::run(const CommandRequest& request) {
  assertCoreThread();
  if (request.requestId.empty()) {
    return refuse(Status::Invalid, "missing_request_id", "a command needs a request id");
  }
  // Keyed by user as well: one user's request id never answers (or blocks) another's.
  auto key = std::make_pair(request.actor.username, request.requestId);
  if (auto it = replies_.find(key); it != replies_.end()) {
    CommandReply again = it->second;
    again.replay = true;
    return again;
  }
  RequestScope scope(*this, request.requestId);
  // Whom the command is about, taken before it runs (a call may lose its agent).
  const std::string target = std::visit(
      [&](const auto& command) -> std::string {
        if constexpr (requires { command.callId; }) {
          const CallRec* c = findCall(command.callId);
          if (c == nullptr) c = findCallOfConsult(command.callId);
          return c != nullptr ? c->agentNo : std::string();
        } else {
          static_assert(
              requires { command.agentNo; }, "a command names a call or an agent");
          return command.agentNo;
        }
      },
      request.command);
  CommandReply reply = std::visit(
      [&](const auto& command) { return runCommand(request.actor, command); }, request.command);
  const bool supervision = std::holds_alternative<MonitorCall>(request.command) ||
                           std::holds_alternative<StopMonitoring>(request.command) ||
                           std::holds_alternative<InterceptCall>(request.command);
  reply.intervention = supervision || reply.status == Status::Forbidden ||
                       (!target.empty() && target != request.actor.agentNo);
  if (options_.requestIdMemory > 0) {
    replies_.emplace(key, reply);
    replyOrder_.push_back(std::move(key));
    while (replyOrder_.size() > options_.requestIdMemory) {
      replies_.erase(replyOrder_.front());
      replyOrder_.pop_front();
    }
  }
  return reply;
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const Login& c) {
  AgentRec* a = findAgent(c.agentNo);
  if (a == nullptr) return noAgent(c.agentNo);
  // Authorization first: someone else's agent learns nothing about its extensions.
  if (!mayActOn(actor, *a)) return notYours(c.agentNo);
  const auto& exts = a->setup.extensions;
  auto ext = std::find_if(exts.begin(), exts.end(),
                          [&](const AgentSetup::Extension& e) { return e.number == c.extension; });
  if (ext == exts.end()) {
    return refuse(Status::NotFound, "unknown_extension",
                  fmt::format("extension '{}' is not one of agent '{}'", c.extension, c.agentNo));
  }
  if (a->state != AgentState::LoggedOut) {
    return refuse(Status::Conflict, "already_logged_in",
                  fmt::format("agent '{}' is logged in on '{}'", c.agentNo, a->extension));
  }
  if (auto owner = extensionOwner_.find(c.extension); owner != extensionOwner_.end()) {
    return refuse(
        Status::Conflict, "extension_in_use",
        fmt::format("extension '{}' is in use by agent '{}'", c.extension, owner->second));
  }
  login(*a, ext->number, ext->autoAnswer, c.persistent);
  return accepted();
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const Logout& c) {
  AgentRec* a = findAgent(c.agentNo);
  if (a == nullptr) return noAgent(c.agentNo);
  if (!mayActOn(actor, *a)) return notYours(c.agentNo);
  if (a->state == AgentState::LoggedOut) return notLoggedIn(c.agentNo);
  if (a->state == AgentState::Reserved || a->state == AgentState::OnCall) {
    return refuse(Status::Conflict, "busy_with_call",
                  fmt::format("agent '{}' has a call; log out after it", c.agentNo));
  }
  logout(*a);
  return accepted();
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const SetState& c) {
  if (!c.ready) {
    if (c.reason.empty()) {
      return refuse(Status::Invalid, "reason_required", "not ready needs a reason code");
    }
    if (c.reason.size() > kMaxCode) {
      return refuse(Status::Invalid, "bad_reason", "the reason code is too long");
    }
    if (isSystemReason(c.reason)) {
      return refuse(Status::Invalid, "system_reason",
                    fmt::format("'{}' is set by the system only", c.reason));
    }
  }
  AgentRec* a = findAgent(c.agentNo);
  if (a == nullptr) return noAgent(c.agentNo);
  if (!mayActOn(actor, *a)) return notYours(c.agentNo);
  const std::string& no = a->setup.acd.agentNo;
  switch (a->state) {
    case AgentState::LoggedOut:
      return notLoggedIn(c.agentNo);
    case AgentState::Ready:
    case AgentState::NotReady:
      if (c.ready && a->state == AgentState::NotReady && phoneKnownUnregistered(*a)) {
        return refuse(Status::Conflict, "phone_unavailable",
                      fmt::format("phone '{}' is not registered", a->extension));
      }
      setState(*a, c.ready ? AgentState::Ready : AgentState::NotReady, c.reason);
      return accepted();
    case AgentState::WrapUp:
      if (c.ready) {
        // Ready during wrap-up ends it now.
        if (phoneKnownUnregistered(*a)) {
          return refuse(Status::Conflict, "phone_unavailable",
                        fmt::format("phone '{}' is not registered", a->extension));
        }
        a->nextNotReady.reset();
        a->readyAfterWrapUp = true;
        endWrapUp(*a);
        return accepted();
      }
      [[fallthrough]];
    case AgentState::Reserved:
    case AgentState::OnCall:
      // Busy with a call: the wish applies after it (after wrap-up).
      if (c.ready) {
        a->nextNotReady.reset();
      } else {
        a->nextNotReady = c.reason;
      }
      emit(a->callId, no, {},
           events::AgentNextStateSet{no, c.ready ? AgentState::Ready : AgentState::NotReady,
                                     c.ready ? std::string() : c.reason});
      return accepted();
  }
  return accepted();  // unreachable for a valid enum value
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const SetLine& c) {
  AgentRec* a = findAgent(c.agentNo);
  if (a == nullptr) return noAgent(c.agentNo);
  if (!mayActOn(actor, *a)) return notYours(c.agentNo);
  if (a->state == AgentState::LoggedOut) return notLoggedIn(c.agentNo);
  // Between calls only: during one the line is the call's leg (HangupCall ends that).
  if (a->state == AgentState::Reserved || a->state == AgentState::OnCall) {
    return agentBusy(c.agentNo);
  }
  if (c.up) {
    if (a->line) {
      return refuse(Status::Conflict, "line_connected",
                    fmt::format("agent '{}' has a line already ({})", c.agentNo,
                                a->line->state == LineRec::State::Up ? "connected" : "dialing"));
    }
    if (phoneKnownUnregistered(*a)) {
      return refuse(Status::Conflict, "phone_unavailable",
                    fmt::format("phone '{}' is not registered", a->extension));
    }
    a->persistent = true;
    dialLine(*a);
    return accepted();
  }
  if (!a->line) {
    return refuse(Status::Conflict, "no_line",
                  fmt::format("agent '{}' has no persistent line", c.agentNo));
  }
  // Hung up on purpose: a call's leg does not become the line again until asked.
  a->persistent = false;
  hangupLine(*a, "agent");
  return accepted();
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const AnswerCall& c) {
  CallRec* call = findCall(c.callId);
  if (call == nullptr) return noCall(c.callId);
  AgentRec* a = call->agentNo.empty() ? nullptr : findAgent(call->agentNo);
  if (a == nullptr || call->phase != Phase::Offered) {
    if (!actor.admin && (a == nullptr || !mayActOn(actor, *a))) {
      return refuse(Status::Forbidden, "not_your_call", "the call is not offered to you");
    }
    return refuse(Status::Conflict, "not_offered", "the call is not being offered");
  }
  if (!mayActOn(actor, *a)) {
    return refuse(Status::Forbidden, "not_your_call", "the call is not offered to you");
  }
  if (!a->extensionAutoAnswer) {
    return refuse(
        Status::Conflict, "answer_on_phone",
        fmt::format("phone '{}' does not answer by itself: answer on the phone", a->extension));
  }
  if (!call->awaitingDesktopAnswer) {
    return refuse(Status::Conflict, "already_answering", "the phone is already being called");
  }
  call->answerRequestId = requestId_;
  originateAgentLeg(*call, *a, true);
  return accepted();
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const HangupCall& c) {
  CallRec* call = findCall(c.callId);
  if (call == nullptr) {
    if (CallRec* parent = findCallOfConsult(c.callId); parent != nullptr) {
      return hangupConsult(actor, *parent);
    }
    return noCall(c.callId);
  }
  if (call->party && call->party->stage == CallRec::PartyRec::Stage::Conferenced &&
      call->party->isAgent && !actor.agentNo.empty() && actor.agentNo == call->party->target) {
    // A colleague in the conference leaves it; the call goes on.
    partyLeaves(*call, "hung_up", now());
    return accepted();
  }
  if (!call->peerAgent.empty() && !actor.agentNo.empty() && actor.agentNo == call->peerAgent) {
    // The colleague an agent called, or the agent who dialled a queue, hangs up their side.
    if (call->phase != Phase::Connected && call->phase != Phase::Queued &&
        call->phase != Phase::Offered) {
      return refuse(Status::Conflict, "not_connected", "the call is not connected");
    }
    endCall(*call, "normal", call->customerSide);
    return accepted();
  }
  AgentRec* a = call->agentNo.empty() ? nullptr : findAgent(call->agentNo);
  // A call without an agent (waiting, or at the fallback) is nobody's but the admin's.
  const bool allowed = actor.admin || (a != nullptr && mayActOn(actor, *a));
  if (!allowed) return refuse(Status::Forbidden, "not_your_call", "the call is not yours");
  if (call->phase == Phase::Dialing) {
    // The agent gives up before the far party answered.
    const bool byAgent = actor.agentNo == call->agentNo;
    endCall(*call, byAgent ? "cancelled" : "forced", byAgent ? "agent" : "system");
    return accepted();
  }
  if (call->phase != Phase::Connected) {
    return refuse(Status::Conflict, "not_connected", "only a connected call can be hung up");
  }
  const bool byAgent = !actor.agentNo.empty() && actor.agentNo == call->agentNo;
  endCall(*call, byAgent ? "normal" : "forced", byAgent ? "agent" : "system");
  return accepted();
}

CommandReply CallControl::Impl::hangupConsult(const Actor& actor, CallRec& parent) {
  const CallRec::PartyRec& p = *parent.party;
  if (p.isAgent && p.stage != CallRec::PartyRec::Stage::Queued && !actor.agentNo.empty() &&
      actor.agentNo == p.target) {
    // The consulted colleague hangs up their side (or declines while it rings).
    endConsult(parent, "party_hung_up", "party");
    return accepted();
  }
  AgentRec* owner = findAgent(parent.agentNo);
  if (!actor.admin && (owner == nullptr || !mayActOn(actor, *owner))) {
    return refuse(Status::Forbidden, "not_your_call", "the call is not yours");
  }
  endConsult(parent, "cancelled", "agent");
  retrieve(parent);
  return accepted();
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const CompleteWrapUp& c) {
  if (codePoints(c.notes) > kMaxNotes) {
    return refuse(Status::Invalid, "notes_too_long",
                  fmt::format("notes are limited to {} characters", kMaxNotes));
  }
  if (c.code.size() > kMaxCode) {
    return refuse(Status::Invalid, "bad_code", "the wrap-up code is too long");
  }
  AgentRec* a = findAgent(c.agentNo);
  if (a == nullptr) return noAgent(c.agentNo);
  if (!mayActOn(actor, *a)) return notYours(c.agentNo);
  if (a->state != AgentState::WrapUp) {
    return refuse(Status::Conflict, "not_in_wrap_up",
                  fmt::format("agent '{}' is not in wrap-up", c.agentNo));
  }
  const std::string& no = a->setup.acd.agentNo;
  emit(a->callId, no, a->wrapUpQueue,
       events::WrapUpCompleted{no, c.code, static_cast<std::int64_t>(codePoints(c.notes))});
  endWrapUp(*a);
  return accepted();
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const ExtendWrapUp& c) {
  if (c.extra <= Duration::zero() || c.extra > kMaxWrapUpExtension) {
    return refuse(
        Status::Invalid, "bad_duration",
        fmt::format("an extension lasts more than 0 and at most {} s",
                    std::chrono::duration_cast<std::chrono::seconds>(kMaxWrapUpExtension).count()));
  }
  AgentRec* a = findAgent(c.agentNo);
  if (a == nullptr) return noAgent(c.agentNo);
  if (!mayActOn(actor, *a)) return notYours(c.agentNo);
  if (a->state != AgentState::WrapUp) {
    return refuse(Status::Conflict, "not_in_wrap_up",
                  fmt::format("agent '{}' is not in wrap-up", c.agentNo));
  }
  // The wrap-up timer is armed for every agent in wrap-up (enterWrapUp).
  BANKCC_ASSERT(a->wrapUpTimer.valid(), "an agent in wrap-up has a timer");
  cancel(a->wrapUpTimer);
  a->wrapUpDeadline += c.extra;
  a->wrapUpTimer = at(a->wrapUpDeadline, [this, no = a->setup.acd.agentNo] {
    onWrapUpTimer(no);
    finishTurn();
  });
  const std::string& no = a->setup.acd.agentNo;
  emit(a->callId, no, a->wrapUpQueue,
       events::WrapUpExtended{no, toMs(c.extra), toMs(a->wrapUpDeadline - clock_.monotonic())});
  return accepted();
}

}  // namespace bankcc::callctl
