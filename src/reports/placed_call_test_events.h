// SPDX-License-Identifier: Apache-2.0
#pragma once

// Hand-built event sequences of calls an agent places (decision 0020), in the order the
// call-control core emits them: make_call to a number (answered or not), an internal call to a
// colleague, to an extension nobody uses, and a queue dialled from the agent's phone. They feed
// the CDR tests (cdr_outbound_test.cc, cdr_projector_itest.cc) and the KPI tests
// (kpi_outbound_test.cc). Agents A (1001) and B (1002) should be ready before t.

#include <string>

#include "reports/cdr_test_events.h"

namespace bankcc::reports::testing {

inline const std::string kExtensionA = "8001";
inline const std::string kExtensionB = "8002";
inline const std::string kCustomer = "13900139000";
inline const std::string kDeskPhone = "8100";  ///< an extension no agent uses
inline const std::string kQueue = "retail_zh";

/// call.originated by A and A reserved, at t.
inline void aPlaces(Events& ev, const std::string& x, double t, const std::string& targetType,
                    const std::string& target, const std::string& via = "desktop") {
  ev.add(t, x, kAgentA, events::CallOriginated{kAgentA, kExtensionA, targetType, target, via});
  if (targetType != "queue") ev.state(t, kAgentA, AgentState::Ready, AgentState::Reserved, x);
}

/// A calls the customer at t (make_call); the customer answers at t+6; A holds them from t+20
/// to t+25; the customer hangs up at t+50. A's wrap-up lasts `wrapUp` seconds (0: none, A is
/// ready again at once).
inline void outboundAnswered(Events& ev, const std::string& x, double t, double wrapUp = 15) {
  const std::string& a = kAgentA;
  aPlaces(ev, x, t, "number", kCustomer);
  ev.add(t + 6, x, a, "", events::CallAnswered{a, "", 6000})
      .state(t + 6, a, AgentState::Reserved, AgentState::OnCall, x)
      .add(t + 6, x, {}, events::RecordingStarted{"rec-" + x})
      .add(t + 20, x, a, events::CallHeld{a})
      .add(t + 25, x, a, events::CallRetrieved{a, 5000})
      .add(t + 50, x, a, events::RecordingStopped{"rec-" + x, 44000, "f", true})
      .add(t + 50, x, a, events::CallEnded{"normal", "callee", 50000});
  if (wrapUp > 0) {
    ev.state(t + 50, a, AgentState::OnCall, AgentState::WrapUp, x)
        .state(t + 50 + wrapUp, a, AgentState::WrapUp, AgentState::Ready, x);
  } else {
    ev.state(t + 50, a, AgentState::OnCall, AgentState::Ready, x);
  }
}

/// A calls the customer at t; nobody answers: the call ends at t+20 with `cause` (hung up by
/// the callee, or by A for "cancelled") and A is back on their break ("break") or ready.
inline void outboundUnanswered(Events& ev, const std::string& x, double t, const std::string& cause,
                               bool toBreak = false) {
  const std::string& a = kAgentA;
  aPlaces(ev, x, t, "number", kCustomer);
  ev.add(t + 20, x, a, events::CallEnded{cause, cause == "cancelled" ? "agent" : "callee", 20000});
  if (toBreak) {
    ev.state(t + 20, a, AgentState::Reserved, AgentState::NotReady, x, "break");
  } else {
    ev.state(t + 20, a, AgentState::Reserved, AgentState::Ready, x);
  }
}

/// A calls B at t; B's phone rings (B reserved, offered the call).
inline void aCallsB(Events& ev, const std::string& x, double t) {
  const std::string& b = kAgentB;
  aPlaces(ev, x, t, "agent", b);
  ev.add(t, x, b, "",
         events::CallOffered{
             .agentNo = b, .extension = kExtensionB, .queue = "", .ani = kExtensionA})
      .state(t, b, AgentState::Ready, AgentState::Reserved, x);
}

/// A calls B at t; B answers at t+4; A holds B from t+10 to t+12; A hangs up at t+30; both are
/// ready again at once, A first (no wrap-up for internal calls).
inline void internalToColleague(Events& ev, const std::string& x, double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  aCallsB(ev, x, t);
  ev.add(t + 4, x, a, "", events::CallAnswered{a, "", 4000})
      .state(t + 4, a, AgentState::Reserved, AgentState::OnCall, x)
      .state(t + 4, b, AgentState::Reserved, AgentState::OnCall, x)
      .add(t + 4, x, {}, events::RecordingStarted{"rec-" + x})
      .add(t + 10, x, a, events::CallHeld{a})
      .add(t + 12, x, a, events::CallRetrieved{a, 2000})
      .add(t + 30, x, a, events::CallEnded{"normal", "agent", 30000})
      .state(t + 30, a, AgentState::OnCall, AgentState::Ready, x)
      .state(t + 30, b, AgentState::OnCall, AgentState::Ready, x);
}

/// A calls B at t; B does not answer: the call ends "no_answer" at t+20, B goes not ready
/// ("no_answer"), A ready.
inline void colleagueDoesNotAnswer(Events& ev, const std::string& x, double t) {
  aCallsB(ev, x, t);
  ev.add(t + 20, x, kAgentA, events::CallEnded{"no_answer", "callee", 20000})
      .state(t + 20, kAgentB, AgentState::Reserved, AgentState::NotReady, x, "no_answer")
      .state(t + 20, kAgentA, AgentState::Reserved, AgentState::Ready, x);
}

/// A dials the supervisor's desk phone from their phone at t; answered at t+3; the desk phone
/// hangs up at t+15; A ready at once.
inline void internalToExtension(Events& ev, const std::string& x, double t) {
  const std::string& a = kAgentA;
  aPlaces(ev, x, t, "extension", kDeskPhone, "phone");
  ev.add(t + 3, x, a, "", events::CallAnswered{a, "", 3000})
      .state(t + 3, a, AgentState::Reserved, AgentState::OnCall, x)
      .add(t + 3, x, {}, events::RecordingStarted{"rec-" + x})
      .add(t + 15, x, a, events::CallEnded{"normal", "callee", 15000})
      .state(t + 15, a, AgentState::OnCall, AgentState::Ready, x);
}

/// A dials retail_zh from their phone at t (on_call at once); B answers it from the queue at
/// t+5 after 5 s; A hangs up at t+40: A ready, B in wrap-up until t+50.
inline void agentDialsQueue(Events& ev, const std::string& x, double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  aPlaces(ev, x, t, "queue", kQueue, "phone");
  ev.state(t, a, AgentState::Ready, AgentState::OnCall, x)
      .add(t, x, {}, kQueue, events::QueueJoined{kQueue, 0, 1})
      .add(t + 1, x, b, kQueue, events::RoutingDecided{kQueue, b, "longest_idle", "call_joined"})
      .state(t + 1, b, AgentState::Ready, AgentState::Reserved, x)
      .add(t + 1, x, b, kQueue,
           events::CallOffered{
               .agentNo = b, .extension = kExtensionB, .queue = kQueue, .ani = kExtensionA})
      .add(t + 5, x, b, kQueue, events::CallAnswered{b, kQueue, 5000})
      .add(t + 5, x, {}, kQueue, events::QueueLeft{kQueue, "answered", 5000})
      .state(t + 5, b, AgentState::Reserved, AgentState::OnCall, x)
      .add(t + 5, x, {}, events::RecordingStarted{"rec-" + x})
      .add(t + 40, x, a, events::CallEnded{"normal", "agent", 40000})
      .state(t + 40, b, AgentState::OnCall, AgentState::WrapUp, x)
      .state(t + 40, a, AgentState::OnCall, AgentState::Ready, x)
      .state(t + 50, b, AgentState::WrapUp, AgentState::Ready, x);
}

/// A calls the customer at t, answered at t+6; at t+20 A transfers them blind to retail_zh (A
/// in wrap-up until t+35); B answers at t+25 after 5 s; the customer hangs up at t+60; B's
/// wrap-up ends at t+70.
inline void outboundTransferredToQueue(Events& ev, const std::string& x, double t) {
  const std::string &a = kAgentA, &b = kAgentB;
  aPlaces(ev, x, t, "number", kCustomer);
  ev.add(t + 6, x, a, "", events::CallAnswered{a, "", 6000})
      .state(t + 6, a, AgentState::Reserved, AgentState::OnCall, x)
      .add(t + 20, x, a, events::CallTransferred{a, "blind", "queue", kQueue, 14000})
      .state(t + 20, a, AgentState::OnCall, AgentState::WrapUp, x)
      .add(t + 20, x, {}, kQueue, events::QueueJoined{kQueue, 0, 1})
      .state(t + 22, b, AgentState::Ready, AgentState::Reserved, x)
      .add(t + 22, x, b, kQueue, events::CallOffered{.agentNo = b, .queue = kQueue})
      .add(t + 25, x, b, kQueue, events::CallAnswered{b, kQueue, 25000})
      .add(t + 25, x, {}, kQueue, events::QueueLeft{kQueue, "answered", 5000})
      .state(t + 25, b, AgentState::Reserved, AgentState::OnCall, x)
      .state(t + 35, a, AgentState::WrapUp, AgentState::Ready, x)
      .add(t + 60, x, {}, events::CallEnded{"normal", "callee", 60000})
      .state(t + 60, b, AgentState::OnCall, AgentState::WrapUp, x)
      .state(t + 70, b, AgentState::WrapUp, AgentState::Ready, x);
}

}  // namespace bankcc::reports::testing
