// SPDX-License-Identifier: Apache-2.0
#pragma once

// Hand-built event sequences for the CDR tests (cdr_test.cc, cdr_projector_itest.cc), in the
// order the core emits them (callctl/call_control.h, "The walk of a queue call"). The consult
// scenarios (decision 0018) also feed the KPI tests (kpi_test.cc).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "events/event.h"
#include "reports/cdr.h"

namespace bankcc::reports::testing {

using events::AgentState;
using std::chrono::seconds;

inline const base::SysTime kT0{seconds{1'767'225'600}};  // 2026-01-01Z

inline base::SysTime at(double s) {
  return kT0 + std::chrono::microseconds(static_cast<std::int64_t>(s * 1'000'000));
}

/// Builds events with consecutive seqs in one epoch (epoch() starts the next).
class Events {
 public:
  Events& add(double t, std::string callId, std::string agentNo, events::Payload payload) {
    out_.push_back(events::Event{.epoch = epoch_,
                                 .seq = ++seq_,
                                 .ts = at(t),
                                 .callId = std::move(callId),
                                 .agentId = std::move(agentNo),
                                 .payload = std::move(payload)});
    return *this;
  }
  /// An event whose envelope also names a queue.
  Events& add(double t, std::string callId, std::string agentNo, std::string queueId,
              events::Payload payload) {
    add(t, std::move(callId), std::move(agentNo), std::move(payload));
    out_.back().queueId = std::move(queueId);
    return *this;
  }
  Events& state(double t, const std::string& agent, AgentState from, AgentState to,
                std::string callId = {}, std::string reason = {}) {
    return add(t, std::move(callId), agent, events::AgentStateChanged{agent, from, to, reason});
  }
  Events& started(double t) {
    ++epoch_;
    return add(t, {}, {}, events::SystemStarted{"test", "node", 1});
  }
  const std::vector<events::Event>& all() const { return out_; }

 private:
  std::uint64_t epoch_ = 0;
  std::uint64_t seq_ = 0;
  std::vector<events::Event> out_;
};

/// The answered call with a hold of CdrFoldTest.AnsweredCallWithHoldAndWrapUp, up to and including
/// the agent's wrap-up.
inline void answeredCallWithHold(Events& ev, const std::string& call, const std::string& agent,
                                 double t) {
  ev.add(t, call, {}, events::CallArrived{"13800138000", "95555", "trunk1"})
      .add(t, call, {}, events::QueueJoined{"retail_zh", 0, 1})
      .add(t + 2, call, agent, events::RoutingDecided{"retail_zh", agent, "longest_idle", "x"})
      .state(t + 2, agent, AgentState::Ready, AgentState::Reserved, call)
      .add(t + 2, call, agent, events::CallOffered{.agentNo = agent, .tier = "vip"})
      .add(t + 5, call, agent, events::CallAnswered{agent, "retail_zh", 5000})
      .add(t + 5, call, {}, events::QueueLeft{"retail_zh", "answered", 5000})
      .state(t + 5, agent, AgentState::Reserved, AgentState::OnCall, call)
      .add(t + 5, call, {}, events::RecordingStarted{"rec-" + call})
      .add(t + 20, call, agent, events::CallHeld{agent})
      .add(t + 30, call, agent, events::CallRetrieved{agent, 10000})
      .add(t + 60, call, agent, events::RecordingStopped{"rec-" + call, 55000, "f", true})
      .add(t + 60, call, agent, events::CallEnded{"normal", "caller", 60000})
      .state(t + 60, agent, AgentState::OnCall, AgentState::WrapUp, call)
      .add(t + 70, {}, agent, events::WrapUpCompleted{agent, "balance", 12})
      .state(t + 75, agent, AgentState::WrapUp, AgentState::Ready, call);
}

// ---- consult, attended transfer and conference (decision 0018) -------------------------------
//
// Each scenario: customer call `p` arrives at t+10 in retail_zh, agent A (1001) answers it at
// t+15; at t+30 A holds the customer and consults agent B (1002) or the number 95566 on the
// consult call `k`. Agents A and B should be ready before t (the tests set that up). The
// core names the parent's queue in the consult's envelopes (and in its call.offered): a consult
// must count in no queue all the same.

inline const std::string kAgentA = "1001";
inline const std::string kAgentB = "1002";
inline const std::string kNumber = "95566";
inline const std::string kParentQueue = "retail_zh";

/// `p` answered by A at t+15 after 5 s in retail_zh, recording "rec-<p>".
inline void customerAnsweredByA(Events& ev, const std::string& p, double t) {
  const std::string& a = kAgentA;
  ev.add(t + 10, p, {}, events::CallArrived{"13800138000", "95555", "trunk1"})
      .add(t + 10, p, {}, events::QueueJoined{"retail_zh", 0, 1})
      .add(t + 12, p, a, events::RoutingDecided{"retail_zh", a, "longest_idle", "call_joined"})
      .state(t + 12, a, AgentState::Ready, AgentState::Reserved, p)
      .add(t + 12, p, a, events::CallOffered{.agentNo = a, .queue = "retail_zh"})
      .add(t + 15, p, a, events::CallAnswered{a, "retail_zh", 5000})
      .add(t + 15, p, {}, events::QueueLeft{"retail_zh", "answered", 5000})
      .state(t + 15, a, AgentState::Reserved, AgentState::OnCall, p)
      .add(t + 15, p, {}, events::RecordingStarted{"rec-" + p});
}

/// At t+30 A holds `p` and consults B on `k`: B is reserved and offered the consult.
inline void consultB(Events& ev, const std::string& p, const std::string& k, double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  ev.add(t + 30, p, a, events::CallHeld{a})
      .add(t + 30, k, a, kParentQueue, events::CallConsultStarted{p, a, "agent", b})
      .state(t + 30, b, AgentState::Ready, AgentState::Reserved, k)
      .add(t + 30, k, b, kParentQueue,
           events::CallOffered{.agentNo = b, .queue = kParentQueue, .ani = "13800138000"});
}

/// B answers the consult `k` at `at`.
inline void bAnswers(Events& ev, const std::string& p, const std::string& k, double at) {
  const std::string &a = kAgentA, &b = kAgentB;
  ev.state(at, b, AgentState::Reserved, AgentState::OnCall, k)
      .add(at, k, a, kParentQueue, events::CallConsultAnswered{p, a, b, 1000});
}

/// Consult B, answered at t+34; A alternates to the customer at t+40 and back at t+47, cancels
/// at t+50 (B ready again, the customer retrieved); the customer hangs up at t+80; A's wrap-up
/// ends at t+90.
inline void consultCancelled(Events& ev, const std::string& p, const std::string& k, double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  customerAnsweredByA(ev, p, t);
  consultB(ev, p, k, t);
  bAnswers(ev, p, k, t + 34);
  ev.add(t + 40, p, a, events::CallRetrieved{a, 10000})
      .add(t + 40, k, a, kParentQueue, events::CallHeld{a})
      .add(t + 47, p, a, events::CallHeld{a})
      .add(t + 47, k, a, kParentQueue, events::CallRetrieved{a, 7000})
      .add(t + 50, p, a, events::CallConsultEnded{k, a, b, "cancelled", 20000})
      .add(t + 50, k, b, kParentQueue, events::CallEnded{"cancelled", "agent", 20000})
      .state(t + 50, b, AgentState::OnCall, AgentState::Ready, k)
      .add(t + 50, p, a, events::CallRetrieved{a, 3000})
      .add(t + 80, p, a, events::CallEnded{"normal", "caller", 70000})
      .state(t + 80, a, AgentState::OnCall, AgentState::WrapUp, p)
      .state(t + 90, a, AgentState::WrapUp, AgentState::Ready, p);
}

/// B talks with A on consult `k`: at t+60 A completes the transfer (A wraps up until t+70); the
/// customer talks with B until t+120; B's wrap-up ends at t+130.
inline void aTransfersToB(Events& ev, const std::string& p, const std::string& k, double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  ev.add(t + 60, p, a, events::CallRetrieved{a, 30000})
      .add(t + 60, p, a, events::CallConsultEnded{k, a, b, "transferred", 30000})
      .add(t + 60, p, a, events::CallTransferred{a, "attended", "agent", b, 15000})
      .state(t + 60, a, AgentState::OnCall, AgentState::WrapUp, p)
      .add(t + 60, p, b, events::RecordingStarted{"rec2-" + p})
      .add(t + 60, k, b, kParentQueue, events::CallEnded{"transferred", "agent", 30000})
      .state(t + 70, a, AgentState::WrapUp, AgentState::Ready, p)
      .add(t + 120, p, b, events::CallEnded{"normal", "caller", 110000})
      .state(t + 120, b, AgentState::OnCall, AgentState::WrapUp, p)
      .state(t + 130, b, AgentState::WrapUp, AgentState::Ready, p);
}

/// Consult B, answered at t+35; at t+60 A completes the transfer (A wraps up until t+70); the
/// customer talks with B until t+120; B's wrap-up ends at t+130.
inline void attendedTransferToAgent(Events& ev, const std::string& p, const std::string& k,
                                    double t) {
  customerAnsweredByA(ev, p, t);
  consultB(ev, p, k, t);
  bAnswers(ev, p, k, t + 35);
  aTransfersToB(ev, p, k, t);
}

/// Consult queue "cards" at t+30; the ACD offers it to B at t+40, who answers at t+45; at t+60
/// A completes the transfer (A wraps up until t+70); the customer talks with B until t+120;
/// B's wrap-up ends at t+130 (decision 0024).
inline void queueConsultTransferred(Events& ev, const std::string& p, const std::string& k,
                                    double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  customerAnsweredByA(ev, p, t);
  ev.add(t + 30, p, a, events::CallHeld{a})
      .add(t + 30, k, a, kParentQueue, events::CallConsultStarted{p, a, "queue", "cards"})
      .add(t + 40, k, b, "cards",
           events::RoutingDecided{"cards", b, "longest_idle", "agent_available"})
      .state(t + 40, b, AgentState::Ready, AgentState::Reserved, k)
      .add(t + 40, k, b, "cards",
           events::CallOffered{.agentNo = b, .queue = "cards", .ani = "13800138000"});
  ev.state(t + 45, b, AgentState::Reserved, AgentState::OnCall, k)
      .add(t + 45, k, a, kParentQueue, events::CallConsultAnswered{p, a, b, 5000});
  aTransfersToB(ev, p, k, t);
}

/// Consult the number, answered at t+38; at t+50 A transfers the customer to it (A wraps up
/// until t+60); the customer talks with the number until t+100.
inline void attendedTransferToNumber(Events& ev, const std::string& p, const std::string& k,
                                     double t) {
  const std::string& a = kAgentA;
  customerAnsweredByA(ev, p, t);
  ev.add(t + 30, p, a, events::CallHeld{a})
      .add(t + 30, k, a, kParentQueue, events::CallConsultStarted{p, a, "number", kNumber})
      .add(t + 38, k, a, kParentQueue, events::CallConsultAnswered{p, a, kNumber, 8000})
      .add(t + 50, p, a, events::CallRetrieved{a, 20000})
      .add(t + 50, p, a, events::CallConsultEnded{k, a, kNumber, "transferred", 20000})
      .add(t + 50, p, a, events::CallTransferred{a, "attended", "number", kNumber, 15000})
      .state(t + 50, a, AgentState::OnCall, AgentState::WrapUp, p)
      .add(t + 50, k, {}, kParentQueue, events::CallEnded{"transferred", "agent", 20000})
      .state(t + 60, a, AgentState::WrapUp, AgentState::Ready, p)
      .add(t + 100, p, {}, events::CallEnded{"normal", "caller", 90000});
}

/// Consult B, answered at t+33, the party held while A was back with the customer from t+36;
/// conferenced at t+40.
inline void conferenceWithB(Events& ev, const std::string& p, const std::string& k, double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  customerAnsweredByA(ev, p, t);
  consultB(ev, p, k, t);
  bAnswers(ev, p, k, t + 33);
  ev.add(t + 36, p, a, events::CallRetrieved{a, 6000})
      .add(t + 36, k, a, kParentQueue, events::CallHeld{a})
      .add(t + 40, k, a, kParentQueue, events::CallRetrieved{a, 4000})
      .add(t + 40, p, a, events::CallConsultEnded{k, a, b, "conferenced", 10000})
      .add(t + 40, p, a, events::CallConferenced{a, k, "agent", b})
      .add(t + 40, k, b, kParentQueue, events::CallEnded{"conferenced", "agent", 10000});
}

/// The conference of conferenceWithB; A drops B at t+70 (B's wrap-up until t+75, then a
/// break); the customer hangs up at t+100, A's wrap-up ends at t+110.
inline void conferenceThenDrop(Events& ev, const std::string& p, const std::string& k, double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  conferenceWithB(ev, p, k, t);
  ev.add(t + 70, p, a, events::CallPartyLeft{a, "agent", b, "dropped", 30000})
      .state(t + 70, b, AgentState::OnCall, AgentState::WrapUp, p)
      .state(t + 75, b, AgentState::WrapUp, AgentState::NotReady, p, "break")
      .add(t + 100, p, {}, events::CallEnded{"normal", "caller", 90000})
      .state(t + 100, a, AgentState::OnCall, AgentState::WrapUp, p)
      .state(t + 110, a, AgentState::WrapUp, AgentState::Ready, p);
}

/// The conference of conferenceWithB; A leaves at t+70 (the call is B's; A wraps up until
/// t+80); the customer hangs up at t+130, B's wrap-up ends at t+140.
inline void conferenceThenOwnerLeaves(Events& ev, const std::string& p, const std::string& k,
                                      double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  conferenceWithB(ev, p, k, t);
  ev.add(t + 70, p, a, events::CallTransferred{a, "attended", "agent", b, 55000})
      .state(t + 70, a, AgentState::OnCall, AgentState::WrapUp, p)
      .state(t + 80, a, AgentState::WrapUp, AgentState::Ready, p)
      .add(t + 130, p, b, events::CallEnded{"normal", "caller", 120000})
      .state(t + 130, b, AgentState::OnCall, AgentState::WrapUp, p)
      .state(t + 140, b, AgentState::WrapUp, AgentState::Ready, p);
}

/// The conference of conferenceWithB; the customer hangs up at t+90: both wrap up, A until
/// t+100, B until t+105.
inline void conferenceThenCustomerHangsUp(Events& ev, const std::string& p, const std::string& k,
                                          double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  conferenceWithB(ev, p, k, t);
  ev.add(t + 90, p, {}, events::CallEnded{"normal", "caller", 80000})
      .state(t + 90, a, AgentState::OnCall, AgentState::WrapUp, p)
      .state(t + 90, b, AgentState::OnCall, AgentState::WrapUp, p)
      .state(t + 100, a, AgentState::WrapUp, AgentState::Ready, p)
      .state(t + 105, b, AgentState::WrapUp, AgentState::Ready, p);
}

/// Consult the number, answered at t+34, conferenced at t+40; the number hangs up at t+60; the
/// customer at t+80, A's wrap-up ends at t+85.
inline void conferenceWithNumber(Events& ev, const std::string& p, const std::string& k, double t) {
  const std::string& a = kAgentA;
  customerAnsweredByA(ev, p, t);
  ev.add(t + 30, p, a, events::CallHeld{a})
      .add(t + 30, k, a, kParentQueue, events::CallConsultStarted{p, a, "number", kNumber})
      .add(t + 34, k, a, kParentQueue, events::CallConsultAnswered{p, a, kNumber, 4000})
      .add(t + 40, p, a, events::CallRetrieved{a, 10000})
      .add(t + 40, p, a, events::CallConsultEnded{k, a, kNumber, "conferenced", 10000})
      .add(t + 40, p, a, events::CallConferenced{a, k, "number", kNumber})
      .add(t + 40, k, {}, kParentQueue, events::CallEnded{"conferenced", "agent", 10000})
      .add(t + 60, p, a, events::CallPartyLeft{a, "number", kNumber, "hung_up", 20000})
      .add(t + 80, p, {}, events::CallEnded{"normal", "caller", 70000})
      .state(t + 80, a, AgentState::OnCall, AgentState::WrapUp, p)
      .state(t + 85, a, AgentState::WrapUp, AgentState::Ready, p);
}

/// Consult B, who never answers: at t+50 the consult ends "no_answer" (B not ready
/// "no_answer"); A takes the customer back at t+55; the customer hangs up at t+80, A's wrap-up
/// ends at t+90.
inline void consultNoAnswer(Events& ev, const std::string& p, const std::string& k, double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  customerAnsweredByA(ev, p, t);
  consultB(ev, p, k, t);
  ev.add(t + 50, p, a, events::CallConsultEnded{k, a, b, "no_answer", 20000})
      .add(t + 50, k, b, kParentQueue, events::CallEnded{"no_answer", "system", 20000})
      .state(t + 50, b, AgentState::Reserved, AgentState::NotReady, k, "no_answer")
      .add(t + 55, p, a, events::CallRetrieved{a, 25000})
      .add(t + 80, p, {}, events::CallEnded{"normal", "caller", 70000})
      .state(t + 80, a, AgentState::OnCall, AgentState::WrapUp, p)
      .state(t + 90, a, AgentState::WrapUp, AgentState::Ready, p);
}

/// Every scenario above in one log, over two epochs.
inline std::vector<events::Event> everything() {
  Events ev;
  ev.started(0).state(0, "1001", AgentState::NotReady, AgentState::Ready);
  answeredCallWithHold(ev, "a1", "1001", 10);
  ev.add(100, "ab", {}, events::CallArrived{"139", "95555", "t"})
      .add(100, "ab", {}, events::QueueJoined{"retail_zh", 0, 1});
  answeredCallWithHold(ev, "a2", "1002", 101);
  ev.add(150, "ab", {}, events::QueueLeft{"retail_zh", "abandoned", 50000})
      .add(150, "ab", {}, events::CallEnded{"normal", "caller", 50000})
      .add(160, "open", {}, events::CallArrived{"137", "95555", "t"})
      .add(160, "open", {}, events::QueueJoined{"retail_zh", 0, 1})
      .state(161, "1003", AgentState::Ready, AgentState::Reserved, "open")
      .add(162, "open", "1003", events::CallAnswered{"1003", "retail_zh", 2000})
      .state(162, "1003", AgentState::Reserved, AgentState::OnCall, "open")
      .add(170, "open", "1003", events::CallHeld{"1003"});
  customerAnsweredByA(ev, "cx", 180);  // 1001 consults 1002, still ringing at the crash
  consultB(ev, "cx", "cx-k", 180);
  ev.started(300);
  answeredCallWithHold(ev, "b1", "1001", 310);
  conferenceThenOwnerLeaves(ev, "cf", "cf-k", 400);
  attendedTransferToNumber(ev, "tn", "tn-k", 560);
  return ev.all();
}

// ---- folding a log in tests (cdr_consult_test.cc, cdr_outbound_test.cc) ----

inline CdrSegment seg(std::string kind, std::string queue, std::string agent, double from,
                      double to, std::string detail = {}) {
  return CdrSegment{std::move(kind), std::move(queue), std::move(agent),
                    at(from),        at(to),           std::move(detail)};
}

/// A log starting with A and B ready at 0.
inline Events readyAgents() {
  Events ev;
  ev.started(0)
      .state(0, kAgentA, events::AgentState::NotReady, events::AgentState::Ready)
      .state(0, kAgentB, events::AgentState::NotReady, events::AgentState::Ready);
  return ev;
}

/// A log folded one event at a time: the CDRs in the order they became final, and for each the
/// index of the event that made it so.
struct Folded {
  std::vector<Cdr> cdrs;
  std::vector<std::size_t> finalAt;
  std::vector<AgentStateInterval> intervals;
  CdrFold fold;

  /// The one CDR the log made final.
  const Cdr& only() const {
    EXPECT_EQ(cdrs.size(), 1u);
    static const Cdr none;
    return cdrs.empty() ? none : cdrs.front();
  }
  const Cdr& byId(const std::string& id) const {
    for (const auto& c : cdrs) {
      if (c.callId == id) return c;
    }
    ADD_FAILURE() << "no CDR " << id;
    static const Cdr none;
    return none;
  }
  std::size_t finalIndex(const std::string& id) const {
    for (std::size_t i = 0; i < cdrs.size(); ++i) {
      if (cdrs[i].callId == id) return finalAt[i];
    }
    return static_cast<std::size_t>(-1);
  }
};

inline Folded run(const Events& ev) {
  Folded r;
  const auto& all = ev.all();
  for (std::size_t i = 0; i < all.size(); ++i) {
    r.fold.apply(all[i]);
    for (auto& c : r.fold.takeCdrs()) {
      r.cdrs.push_back(std::move(c));
      r.finalAt.push_back(i);
    }
    for (auto& iv : r.fold.takeIntervals()) r.intervals.push_back(std::move(iv));
  }
  return r;
}

}  // namespace bankcc::reports::testing
