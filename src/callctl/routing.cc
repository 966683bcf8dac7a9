// SPDX-License-Identifier: Apache-2.0
// The ACD inside the core: joining queues, asking for matches after every change that may
// create one, offering calls to agents (reserve, ring, screen pop), failed offers, overflow
// steps and the one ACD deadline timer. Core thread.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "base/assert.h"
#include "callctl/core.h"

namespace bankcc::callctl {

using events::AgentState;

bool CallControl::Impl::joinQueue(CallRec& c, const std::string& queue, int priority,
                                  SysTime arrived, std::string preferredAgent,
                                  SysTime preferredUntil) {
  c.queue = queue;
  c.priority = priority;
  const acd::CallEntry entry{.callId = c.id,
                             .queue = queue,
                             .priority = priority,
                             .arrived = arrived,
                             .preferredAgent = std::move(preferredAgent),
                             .preferredUntil = preferredUntil};
  const base::Result<acd::JoinOutcome> outcome = acd_.enqueue(entry, now());
  auto q = queues_.find(queue);
  const std::string fallback = q != queues_.end() ? q->second.acd.fallback : std::string();
  if (!outcome.ok()) {
    // The DNIS map and the ACD hold the same queues, and a call is in the ACD at most once:
    // a queue removed under a call that returns to it is the only way here.
    spdlog::warn("call {}: cannot join queue '{}': {}", c.id, queue, outcome.error().describe());
    c.joined = now();
    leaveForFallback(c, "closed", fallback);
    return false;
  }
  switch (*outcome) {
    case acd::JoinOutcome::Full:
    case acd::JoinOutcome::Closed:
      c.joined = now();
      leaveForFallback(c, acd::joinOutcomeName(*outcome), fallback);
      return false;
    case acd::JoinOutcome::NoMembers:
      // The caller waits for an agent to log in; overflow steps and maxWait still apply.
      spdlog::info("call {}: queue '{}' has no member who could take it", c.id, queue);
      [[fallthrough]];
    case acd::JoinOutcome::Queued:
      break;
  }
  c.inAcd = true;
  c.phase = Phase::Queued;
  c.joined = now();
  const auto pos = acd_.position(c.id, now());
  emit(c.id, {}, queue, events::QueueJoined{queue, priority, pos ? pos->position : 0});
  return true;
}

void CallControl::Impl::rememberExplanation(const std::string& callId, acd::Explanation ex) {
  explanations_[callId] = std::move(ex);
}

void CallControl::Impl::forgetCall(const std::string& callId) {
  // The explanation stays for a while after the call (routingExplanation()).
  if (!explanations_.contains(callId)) return;
  endedExplanations_.push_back(callId);
  while (endedExplanations_.size() > kEndedExplanations) {
    explanations_.erase(endedExplanations_.front());
    endedExplanations_.pop_front();
  }
}

void CallControl::Impl::routeWaiting(const std::string& acdId, std::string_view trigger) {
  acd::Explanation ex;
  ex.trigger = trigger;
  std::optional<acd::Match> match = acd_.routeCall(acdId, now(), &ex);
  if (!match) {
    rememberExplanation(acdId, std::move(ex));
    return;
  }
  offer(*match, std::move(ex));
}

void CallControl::Impl::routeCall(CallRec& c, std::string_view trigger) {
  if (!c.inAcd || c.phase != Phase::Queued) return;
  routeWaiting(c.id, trigger);
}

void CallControl::Impl::routeAgent(AgentRec& a, std::string_view trigger) {
  if (holdRouting_) return;
  if (a.state != AgentState::Ready) return;
  acd::Explanation ex;
  ex.trigger = trigger;
  std::optional<acd::Match> match = acd_.routeAgent(a.setup.acd.agentNo, now(), &ex);
  if (match) offer(*match, std::move(ex));
}

void CallControl::Impl::routeAll(std::string_view trigger) {
  // Oldest call first (call ids are time-ordered, ties by arrival); each offer changes who is
  // available, so the list of candidates is taken first and re-checked one by one.
  // A consult waiting in a queue counts with its customer's arrival.
  std::vector<std::pair<SysTime, std::string>> waiting;
  for (const auto& [id, c] : calls_) {
    if (c.inAcd && c.phase == Phase::Queued) waiting.emplace_back(c.arrived, id);
    if (c.party && c.party->stage == CallRec::PartyRec::Stage::Queued) {
      waiting.emplace_back(c.arrived, c.party->consultId);
    }
  }
  std::sort(waiting.begin(), waiting.end());
  for (const auto& [arrived, id] : waiting) {
    if (CallRec* c = findCall(id)) {
      routeCall(*c, trigger);
    } else if (CallRec* parent = findCallOfConsult(id)) {
      routeConsult(*parent, trigger);
    }
  }
}

void CallControl::Impl::offer(const acd::Match& m, acd::Explanation explanation) {
  if (CallRec* parent = findCallOfConsult(m.callId)) {
    // A consult to a queue (decision 0024).
    offerConsult(*parent, m, std::move(explanation));
    return;
  }
  CallRec* c = findCall(m.callId);
  AgentRec* a = findAgent(m.agentNo);
  // The ACD holds only calls and agents the core gave it, and forgets them when the core does.
  BANKCC_RELEASE_ASSERT(c != nullptr && a != nullptr, "an ACD match names a known call and agent");
  // The ACD matches routable calls and available agents only: the core's mirror must agree.
  if (c->phase != Phase::Queued || a->state != AgentState::Ready) {
    BANKCC_BUG("the ACD matched a call or agent the core does not see as free");
    return;
  }
  if (const base::Status st = acd_.offer(m.callId, m.agentNo); !st.ok()) {
    BANKCC_BUG("the ACD refused the offer it proposed");
    return;
  }
  c->queue = m.queue;
  startOffer(*c, *a, std::move(explanation));
}

void CallControl::Impl::offerDirected(CallRec& c, AgentRec& a, std::string rule,
                                      std::string trigger) {
  BANKCC_ASSERT(c.inAcd && c.phase == Phase::Queued, "only a waiting call is offered");
  BANKCC_ASSERT(isFree(a), "a directed offer goes to a free agent");
  const std::string& no = a.setup.acd.agentNo;
  if (const base::Status st = acd_.offer(c.id, no, acd::Acd::OfferBy::Directed); !st.ok()) {
    BANKCC_BUG("the ACD refused a directed offer to a free agent");
    return;
  }
  // A not_ready agent (a supervisor taking a call) goes back to it after the call.
  if (a.state == AgentState::NotReady) {
    a.nextNotReady = a.reason;
  } else {
    a.nextNotReady.reset();
  }
  acd::Explanation ex;
  ex.trigger = std::move(trigger);
  ex.rule = std::move(rule);
  startOffer(c, a, std::move(ex));
}

void CallControl::Impl::startOffer(CallRec& c, AgentRec& a, acd::Explanation explanation) {
  const std::string& agentNo = a.setup.acd.agentNo;
  const std::string rule = explanation.rule;
  const std::string trigger = explanation.trigger;
  rememberExplanation(c.id, std::move(explanation));
  c.phase = Phase::Offered;
  c.agentNo = agentNo;
  c.answerRequestId.clear();
  emit(c.id, agentNo, c.queue, events::RoutingDecided{c.queue, agentNo, rule, trigger});
  a.callId = c.id;
  setState(a, AgentState::Reserved);

  const QueueSetup& q = queues_.at(c.queue);
  // The persistent line takes the call: nothing rings, the caller is put through now. A line
  // still dialing gives way to the offer (even one the desktop answers later).
  const std::optional<telephony::LegId> line = takeLine(c, a, true);
  const bool viaLine = line.has_value();
  const bool desktopAnswer = !viaLine && a.extensionAutoAnswer && !a.setup.autoAnswer;
  if (viaLine) {
    c.awaitingDesktopAnswer = false;
    c.agentLeg = line;
  } else if (desktopAnswer) {
    // The phone answers by itself: it is called only when the agent answers on the desktop
    // (AnswerCall), within the ring timeout.
    c.awaitingDesktopAnswer = true;
    c.ringTimer = after(q.ringTimeout, [this, id = c.id] {
      onRingTimer(id);
      finishTurn();
    });
  } else {
    originateAgentLeg(c, a, a.extensionAutoAnswer);
  }
  emit(c.id, agentNo, c.queue,
       events::CallOffered{.agentNo = agentNo,
                           .extension = a.extension,
                           .queue = c.queue,
                           .ani = c.ani,
                           .waitMs = toMs(now() - c.arrived),
                           .tier = c.tier,
                           .priority = c.priority,
                           .customerId = {},
                           .ivrPath = {},
                           .collected = callDataJson(c.data),
                           .desktopAnswer = desktopAnswer,
                           .line = viaLine});
  if (viaLine) connect(c);
}

void CallControl::Impl::originateAgentLeg(CallRec& c, const AgentRec& a, bool autoAnswer) {
  const QueueSetup& q = queues_.at(c.queue);
  const telephony::LegId leg{newId()};
  addLeg(c, leg);
  c.agentLeg = leg;
  c.awaitingDesktopAnswer = false;
  execute(telephony::Originate{
      .leg = leg,
      .to = telephony::Destination{telephony::Destination::Kind::Extension, a.extension},
      .callerId = c.ani,
      .near = c.customer,
      .ringTimeout = q.ringTimeout,
      .autoAnswer = autoAnswer,
      .headers = {{"X-Bankcc-Call-Id", c.id}}});
  // The port ends the leg with NoAnswer at the ring timeout; this is the safety net.
  cancel(c.ringTimer);
  c.ringTimer = after(q.ringTimeout + kRingGrace, [this, id = c.id] {
    onRingTimer(id);
    finishTurn();
  });
}

void CallControl::Impl::onRingTimer(const std::string& callId) {
  CallRec* c = findCall(callId);
  if (c == nullptr || c->phase != Phase::Offered) return;
  c->ringTimer = {};
  if (c->agentLeg) {
    spdlog::warn("call {}: agent leg still ringing after the ring timeout; hanging it up", c->id);
  }
  failOffer(*c, kReasonNoAnswer);
}

AgentRec* CallControl::Impl::withdrawOffer(CallRec& c, telephony::EndCause cause) {
  BANKCC_ASSERT(c.phase == Phase::Offered, "only an offered call's offer is withdrawn");
  cancel(c.ringTimer);
  if (c.agentLeg) {
    hangupLeg(c, *c.agentLeg, cause);
    c.agentLeg.reset();
  }
  c.awaitingDesktopAnswer = false;
  if (const base::Status st = acd_.release(c.id); !st.ok()) {
    BANKCC_BUG("the ACD lost an offered call");
  }
  AgentRec* a = findAgent(c.agentNo);
  c.phase = Phase::Queued;
  c.agentNo.clear();
  return a != nullptr && a->callId == c.id ? a : nullptr;
}

void CallControl::Impl::failOffer(CallRec& c, std::string_view reason) {
  if (AgentRec* a = withdrawOffer(c, telephony::EndCause::NoAnswer)) {
    spdlog::info("call {}: offer to agent {} failed ({})", c.id, a->setup.acd.agentNo, reason);
    // The system's reason wins over a not_ready the agent asked for meanwhile.
    a->nextNotReady.reset();
    setState(*a, AgentState::NotReady, reason);
  }
  routeCall(c, "offer_failed");
}

// ---- time: overflow steps, maximum wait, preference windows -------------------------------------

void CallControl::Impl::onAcdTimer() {
  const std::vector<acd::StepDue> due = acd_.advance(now());
  for (const acd::StepDue& d : due) onStepDue(d);
}

void CallControl::Impl::onStepDue(const acd::StepDue& due) {
  if (CallRec* parent = findCallOfConsult(due.callId)) {
    onConsultStepDue(*parent, due);
    return;
  }
  CallRec* c = findCall(due.callId);
  // The ACD holds only the core's waiting calls and consults, and the core removes them when
  // they end.
  if (c == nullptr) {
    BANKCC_BUG("an ACD step for a call the core does not know");
    return;
  }
  switch (due.kind) {
    case acd::StepDue::Kind::Widened:
      routeCall(*c, "widened");
      break;
    case acd::StepDue::Kind::PreferenceExpired:
      routeCall(*c, "preference_expired");
      break;
    case acd::StepDue::Kind::Moved: {
      emit(c->id, {}, due.fromQueue,
           events::QueueLeft{due.fromQueue, "moved", toMs(now() - c->joined)});
      c->queue = due.target;
      c->joined = now();
      const auto pos = acd_.position(c->id, now());
      emit(c->id, {}, due.target,
           events::QueueJoined{due.target, c->priority, pos ? pos->position : 0});
      // The new queue's music.
      playMusic(*c);
      routeCall(*c, "moved");
      break;
    }
    case acd::StepDue::Kind::Left:
      c->inAcd = false;
      leaveForFallback(*c, "overflow", due.target);
      break;
    case acd::StepDue::Kind::TimedOut:
      c->inAcd = false;
      leaveForFallback(*c, "timed_out", due.target);
      break;
  }
}

}  // namespace bankcc::callctl
