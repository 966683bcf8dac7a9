// SPDX-License-Identifier: Apache-2.0
// The agent state machine (DOMAIN.md "Agent states"): logged_out -> not_ready{reason} <-> ready
// -> reserved -> on_call -> wrap_up -> ...; wrap-up timing; phone registration. Core thread.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "base/assert.h"
#include "callctl/core.h"

namespace bankcc::callctl {

using events::AgentState;

AgentRec* CallControl::Impl::findAgent(std::string_view agentNo) {
  auto it = agents_.find(agentNo);
  return it == agents_.end() ? nullptr : &it->second;
}

void CallControl::Impl::setState(AgentRec& a, AgentState to, std::string_view reason) {
  const std::string& no = a.setup.acd.agentNo;
  const AgentState from = a.state;
  const std::string newReason = to == AgentState::NotReady ? std::string(reason) : std::string();
  if (from == to && a.reason == newReason) return;
  if (from == AgentState::WrapUp) cancel(a.wrapUpTimer);
  a.state = to;
  a.reason = newReason;
  a.since = now();
  switch (to) {
    case AgentState::LoggedOut: {
      // The core releases every offer before logging an agent out (Logout is refused while
      // reserved), so the ACD agrees to forget them.
      const base::Status st = acd_.removeAgent(no);
      if (!st.ok()) BANKCC_BUG("the ACD refused to forget a logged-out agent");
      break;
    }
    case AgentState::Ready: {
      // Ready agents have no offer in the ACD: offers are released or removed first.
      const base::Status st = acd_.setAvailable(no, a.since);
      if (!st.ok()) BANKCC_BUG("the ACD refused a ready agent");
      break;
    }
    case AgentState::Reserved:
      break;  // acd.offer() made the agent unavailable
    case AgentState::NotReady:
    case AgentState::OnCall:
    case AgentState::WrapUp: {
      const base::Status st = acd_.setUnavailable(no);
      if (!st.ok()) BANKCC_BUG("the ACD does not know a logged-in agent");
      break;
    }
  }
  const std::string callId = a.callId;
  if (to == AgentState::LoggedOut || to == AgentState::NotReady || to == AgentState::Ready) {
    a.callId.clear();
  }
  emit(callId, no, {}, events::AgentStateChanged{no, from, to, newReason});
  if (to == AgentState::Ready) routeAgent(a, "agent_available");
}

bool CallControl::Impl::phoneKnownUnregistered(const AgentRec& a) const {
  auto it = registered_.find(a.extension);
  return it != registered_.end() && !it->second;
}

void CallControl::Impl::releaseAgent(AgentRec& a) {
  if (a.nextNotReady) {
    const std::string reason = *std::exchange(a.nextNotReady, std::nullopt);
    setState(a, AgentState::NotReady, reason);
  } else if (phoneKnownUnregistered(a)) {
    setState(a, AgentState::NotReady, kReasonPhoneUnavailable);
  } else {
    setState(a, AgentState::Ready);
  }
}

void CallControl::Impl::enterWrapUp(AgentRec& a, const CallRec& c, SysTime talkEnded,
                                    std::optional<SysTime> talkStarted) {
  a.readyAfterWrapUp = c.readyAfterWrapUp;
  a.wrapUpQueue = c.queue;
  a.talk = talkEnded - talkStarted.value_or(c.answered);
  a.callId = c.id;
  if (c.wrapUp <= Duration::zero()) {
    acd_.recordHandleTime(a.wrapUpQueue, a.talk);
    endWrapUp(a);
    return;
  }
  setState(a, AgentState::WrapUp);
  a.wrapUpStarted = now();
  a.wrapUpDeadline = clock_.monotonic() + c.wrapUp;
  a.wrapUpTimer = at(a.wrapUpDeadline, [this, no = a.setup.acd.agentNo] {
    onWrapUpTimer(no);
    finishTurn();
  });
}

void CallControl::Impl::onWrapUpTimer(const std::string& agentNo) {
  AgentRec* a = findAgent(agentNo);
  if (a == nullptr || a->state != AgentState::WrapUp) return;
  a->wrapUpTimer = {};
  endWrapUp(*a);
}

void CallControl::Impl::endWrapUp(AgentRec& a) {
  if (a.state == AgentState::WrapUp) {
    acd_.recordHandleTime(a.wrapUpQueue, a.talk + (now() - a.wrapUpStarted));
  }
  cancel(a.wrapUpTimer);
  if (a.nextNotReady || a.readyAfterWrapUp) {
    releaseAgent(a);
  } else {
    setState(a, AgentState::NotReady, kReasonAfterWrapUp);
  }
}

void CallControl::Impl::onRegistration(const telephony::RegistrationChanged& e) {
  const auto known = registered_.find(e.extension);
  const bool wasUnregistered = known != registered_.end() && !known->second;
  registered_[e.extension] = e.registered;
  auto owner = extensionOwner_.find(e.extension);
  if (owner == extensionOwner_.end()) return;
  AgentRec* a = findAgent(owner->second);
  // extensionOwner_ holds logged-in agents only (login/logout keep it so).
  BANKCC_ASSERT(a != nullptr, "an extension's owner is a known agent");
  if (a == nullptr) return;
  if (e.registered) {
    // A phone back after a restart or a network loss gets its persistent line again (not on
    // every refresh: an agent who hung the line up keeps it down).
    if (wasUnregistered && a->persistent && !a->line && a->state != AgentState::Reserved &&
        a->state != AgentState::OnCall) {
      dialLine(*a);
    }
    return;
  }
  // A line between calls goes with the registration; one in a call goes when the call is done
  // with it (detachLine).
  if (a->line && a->line->callId.empty()) hangupLine(*a, "phone_unavailable");
  spdlog::info("agent {}: phone {} unregistered in state {}", a->setup.acd.agentNo, e.extension,
               events::agentStateName(a->state));
  if (a->state == AgentState::Ready) {
    setState(*a, AgentState::NotReady, kReasonPhoneUnavailable);
  } else if (a->state == AgentState::Reserved) {
    // An offer waiting for the desktop answer would originate to a phone that is gone. A leg
    // already ringing goes on (the engine ends it if it cannot reach the phone).
    CallRec* c = findCall(a->callId);
    if (c != nullptr && c->awaitingDesktopAnswer) failOffer(*c, kReasonPhoneUnavailable);
  }
}

void CallControl::Impl::systemNotReady(AgentRec& a, std::string_view reason) {
  const std::string& no = a.setup.acd.agentNo;
  switch (a.state) {
    case AgentState::LoggedOut:
    case AgentState::NotReady:
      return;  // unavailable already: the agent's own reason stays
    case AgentState::Ready:
      spdlog::info("agent {}: not ready ({})", no, reason);
      setState(a, AgentState::NotReady, reason);
      return;
    case AgentState::Reserved:
    case AgentState::OnCall:
    case AgentState::WrapUp:
      // The call goes on; no new offer after it.
      if (a.nextNotReady) return;
      a.nextNotReady = std::string(reason);
      emit(a.callId, no, {},
           events::AgentNextStateSet{no, AgentState::NotReady, std::string(reason)});
      return;
  }
}

void CallControl::Impl::onDesktop(const std::string& agentNo, bool attached) {
  AgentRec* a = findAgent(agentNo);
  if (a == nullptr) return;
  if (attached) {
    ++a->desktops;
    cancel(a->desktopTimer);
    return;
  }
  a->desktops = std::max(0, a->desktops - 1);
  if (a->desktops > 0 || a->state == AgentState::LoggedOut) return;
  cancel(a->desktopTimer);
  a->desktopTimer = after(options_.desktopGrace, [this, agentNo] {
    AgentRec* lost = findAgent(agentNo);
    if (lost != nullptr) {
      lost->desktopTimer = {};
      if (lost->desktops == 0) systemNotReady(*lost, kReasonDesktopLost);
    }
    finishTurn();
  });
}

void CallControl::Impl::login(AgentRec& a, const std::string& extension, bool autoAnswer,
                              bool persistent) {
  const std::string& no = a.setup.acd.agentNo;
  // The setup was validated by the ACD in setAgent(); it cannot have become invalid since.
  const base::Status st = acd_.setAgent(a.setup.acd);
  if (!st.ok()) BANKCC_BUG("the ACD refused the skills of a known agent");
  a.extension = extension;
  a.extensionAutoAnswer = autoAnswer;
  a.nextNotReady.reset();
  extensionOwner_[extension] = no;
  // The ACD knows the agent as unavailable until they are ready.
  setState(a, AgentState::NotReady, kReasonLoggedIn);
  a.persistent = persistent;
  if (persistent) dialLine(a);  // the line does not make anyone ready
}

void CallControl::Impl::logout(AgentRec& a) {
  // Logout is refused while the agent has an offer or a call (commands.cc).
  BANKCC_ASSERT(a.state != AgentState::Reserved && a.state != AgentState::OnCall,
                "no log-out with a call");
  if (a.state == AgentState::WrapUp) {
    acd_.recordHandleTime(a.wrapUpQueue, a.talk + (now() - a.wrapUpStarted));
  }
  cancel(a.wrapUpTimer);
  cancel(a.desktopTimer);
  hangupLine(a, "logged_out");
  a.persistent = false;
  extensionOwner_.erase(a.extension);
  a.nextNotReady.reset();
  setState(a, AgentState::LoggedOut);
  a.extension.clear();
  a.extensionAutoAnswer = false;
}

}  // namespace bankcc::callctl
