// SPDX-License-Identifier: Apache-2.0
// The persistent agent line (常连接, decision 0027): a leg to the agent's phone that the core
// keeps up between calls. An offer to an agent whose line is idle puts the caller through at
// once; when the agent's part of the call ends, the line is isolated instead of hung up
// (hangupLeg detaches it) and waits for the next call. Core thread.
#include <spdlog/spdlog.h>

#include "callctl/core.h"

namespace bankcc::callctl {

using telephony::EndCause;
using telephony::LegId;

namespace {

/// agent.line_changed's cause for a line leg that ended.
std::string_view lineEndCause(EndCause cause) {
  return cause == EndCause::Normal ? std::string_view("hung_up") : endCauseName(cause);
}

/// The short tone that tells an agent on a persistent line that a caller is put through.
constexpr auto kAnnounceTone = std::chrono::milliseconds(200);

}  // namespace

void CallControl::Impl::dialLine(AgentRec& a) {
  const std::string& no = a.setup.acd.agentNo;
  const LegId leg{newId()};
  a.line = LineRec{leg, LineRec::State::Dialing, {}, {}};
  lineLegs_[leg] = no;
  emit({}, no, {}, events::AgentLineChanged{no, a.extension, "dialing", {}});
  execute(telephony::Originate{
      .leg = leg,
      .to = telephony::Destination{telephony::Destination::Kind::Extension, a.extension},
      .callerId = options_.lineCallerId,
      .near = std::nullopt,
      .ringTimeout = options_.lineRingTimeout,
      .autoAnswer = a.extensionAutoAnswer,
      .headers = {{"X-Bankcc-Line", no}}});
  // The port ends an unanswered leg at the ring timeout; this is the safety net.
  a.line->ringTimer = after(options_.lineRingTimeout + kRingGrace, [this, no, leg] {
    AgentRec* late = findAgent(no);
    if (late != nullptr && late->line && late->line->leg == leg &&
        late->line->state == LineRec::State::Dialing) {
      late->line->ringTimer = {};
      hangupLine(*late, "no_answer");
    }
    finishTurn();
  });
}

void CallControl::Impl::hangupLine(AgentRec& a, std::string_view cause) {
  if (!a.line) return;
  LineRec line = std::move(*a.line);
  a.line.reset();
  cancel(line.ringTimer);
  lineLegs_.erase(line.leg);
  if (CallRec* c = line.callId.empty() ? nullptr : findCall(line.callId); c != nullptr) {
    // No longer a line: the call hangs it up as its leg and sees it end.
    hangupLeg(*c, line.leg, EndCause::Normal);
  } else {
    execute(telephony::Hangup{line.leg, EndCause::Normal});
  }
  const std::string& no = a.setup.acd.agentNo;
  emit({}, no, {}, events::AgentLineChanged{no, a.extension, "disconnected", std::string(cause)});
}

std::optional<LegId> CallControl::Impl::takeLine(CallRec& c, AgentRec& a, bool announce) {
  if (!a.line) return std::nullopt;
  if (a.line->state == LineRec::State::Dialing) {
    hangupLine(a, "replaced");
    return std::nullopt;
  }
  LineRec& line = *a.line;
  if (!line.callId.empty()) {
    // Only a free agent is reached for a call, and a free agent's line is in none.
    BANKCC_BUG("an agent reached for a call has their line in another");
    return std::nullopt;
  }
  line.callId = c.id;
  addLeg(c, line.leg);
  if (announce) {
    execute(telephony::Play{
        .leg = line.leg,
        .items = {telephony::PlayItem::ofTone(telephony::Tone::Beep, kAnnounceTone)},
        .bargeIn = false,
        .loop = false,
        .request = 0});
  }
  return line.leg;
}

void CallControl::Impl::adoptLine(AgentRec& a, const CallRec& c, const LegId& leg) {
  if (!a.persistent || a.line) return;
  const std::string& no = a.setup.acd.agentNo;
  a.line = LineRec{leg, LineRec::State::Up, c.id, {}};
  lineLegs_[leg] = no;
  emit({}, no, {}, events::AgentLineChanged{no, a.extension, "connected", {}});
}

void CallControl::Impl::detachLine(CallRec& c, const LegId& leg) {
  c.legs.erase(leg);
  legs_.erase(leg);
  execute(telephony::Isolate{leg});
  auto owner = lineLegs_.find(leg);
  AgentRec* a = owner == lineLegs_.end() ? nullptr : findAgent(owner->second);
  if (a == nullptr || !a->line || a->line->leg != leg) {
    BANKCC_BUG("a line without its agent");
    return;
  }
  a->line->callId.clear();
  // A phone that unregistered during the call keeps no line: offers must not count on it.
  if (phoneKnownUnregistered(*a)) hangupLine(*a, "phone_unavailable");
}

bool CallControl::Impl::onIdleLineAnswered(const LegId& leg) {
  auto owner = lineLegs_.find(leg);
  if (owner == lineLegs_.end()) return false;
  AgentRec* a = findAgent(owner->second);
  if (a == nullptr || !a->line || a->line->leg != leg) return false;
  if (a->line->state == LineRec::State::Up) return true;
  a->line->state = LineRec::State::Up;
  cancel(a->line->ringTimer);
  const std::string& no = a->setup.acd.agentNo;
  emit({}, no, {}, events::AgentLineChanged{no, a->extension, "connected", {}});
  return true;
}

void CallControl::Impl::onLineEnded(const telephony::LegEnded& e) {
  auto owner = lineLegs_.find(e.leg);
  if (owner == lineLegs_.end()) return;
  const std::string no = owner->second;
  lineLegs_.erase(owner);
  AgentRec* a = findAgent(no);
  if (a == nullptr || !a->line || a->line->leg != e.leg) return;
  cancel(a->line->ringTimer);
  a->line.reset();
  spdlog::info("agent {}: persistent line ended ({})", no, lineEndCause(e.cause));
  emit({}, no, {},
       events::AgentLineChanged{no, a->extension, "disconnected",
                                std::string(lineEndCause(e.cause))});
}

}  // namespace bankcc::callctl
