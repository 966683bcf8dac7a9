// SPDX-License-Identifier: Apache-2.0
// KpiFold over calls an agent places (decision 0020; the counting rules in
// docs/decisions/0016-kpi-definitions.md "Calls an agent places"): the scenarios of
// placed_call_test_events.h, the same sequences the CDR fold is tested with.

#include <gtest/gtest.h>

#include <string>

#include "reports/kpi.h"
#include "reports/placed_call_test_events.h"

namespace bankcc::reports {
namespace {

using events::AgentState;
using testing::at;
using testing::Events;
using testing::kAgentA;
using testing::kAgentB;

using Scenario = void (*)(Events&, const std::string&, double);

/// A and B ready at 0, then `scenario` with its call "x" at t = 10.
KpiFold fold(Scenario scenario) {
  Events ev;
  ev.started(0)
      .state(0, kAgentA, AgentState::NotReady, AgentState::Ready)
      .state(0, kAgentB, AgentState::NotReady, AgentState::Ready);
  scenario(ev, "x", 10);
  KpiFold f;  // UTC, 15-minute intervals: everything is in 00:00-00:15
  for (const auto& e : ev.all()) f.apply(e);
  return f;
}

const SysTime kNow = at(200);

AgentCounters agent(const KpiFold& f, const std::string& agentNo) {
  return f.agentReport(agentNo, kNow).today.counters;
}

/// No queue figures anywhere: the call named no queue.
void expectNoQueue(const KpiFold& f) {
  EXPECT_FALSE(f.knowsQueue(""));
  EXPECT_FALSE(f.knowsQueue(testing::kQueue));
  const auto q = f.queueReport("", kNow).today;
  EXPECT_EQ(q.counters, QueueCounters{});
}

void outboundWithWrapUp(Events& ev, const std::string& x, double t) {
  testing::outboundAnswered(ev, x, t);
}

TEST(KpiOutboundTest, AnAnsweredCallToANumber) {
  const KpiFold f = fold(&outboundWithWrapUp);
  expectNoQueue(f);
  const auto a = agent(f, kAgentA);
  EXPECT_EQ(a.outbound, 1);
  EXPECT_EQ(a.outboundAnswered, 1);
  EXPECT_EQ(a.internalCalls, 0);
  EXPECT_EQ(a.handled, 1);
  EXPECT_EQ(a.reservedMs, 6'000);  // ringing: in neither side of occupancy
  EXPECT_EQ(a.onCallMs, 44'000);
  EXPECT_EQ(a.holdMs, 5'000);
  EXPECT_EQ(a.talkMs(), 39'000);
  EXPECT_EQ(a.wrapUpMs, 15'000);
  EXPECT_EQ(a.readyMs, 10'000 + 125'000);  // 0-10 and 75-200
  const auto k = f.agentReport(kAgentA, kNow).today;
  EXPECT_DOUBLE_EQ(*k.occupancy, 59'000.0 / (59'000.0 + 135'000.0));
  EXPECT_DOUBLE_EQ(*k.ahtMs, 59'000);
  AgentCounters idle;
  idle.readyMs = 200'000;
  EXPECT_EQ(agent(f, kAgentB), idle);  // untouched by A's call
}

void outboundNoWrapUp(Events& ev, const std::string& x, double t) {
  testing::outboundAnswered(ev, x, t, 0);
}

TEST(KpiOutboundTest, WithoutWrapUp) {
  const KpiFold f = fold(&outboundNoWrapUp);
  const auto a = agent(f, kAgentA);
  EXPECT_EQ(a.outboundAnswered, 1);
  EXPECT_EQ(a.wrapUpMs, 0);
  EXPECT_EQ(a.handled, 1);
  EXPECT_EQ(f.agentReport(kAgentA, kNow).live.state, AgentState::Ready);
}

TEST(KpiOutboundTest, AnUnansweredCallCountsButIsNotHandled) {
  for (const std::string cause : {"no_answer", "busy", "cancelled"}) {
    Events ev;
    ev.started(0).state(0, kAgentA, AgentState::NotReady, AgentState::Ready);
    testing::outboundUnanswered(ev, "x", 10, cause, true);
    KpiFold f;
    for (const auto& e : ev.all()) f.apply(e);
    expectNoQueue(f);
    const auto a = agent(f, kAgentA);
    EXPECT_EQ(a.outbound, 1) << cause;
    EXPECT_EQ(a.outboundAnswered, 0) << cause;
    EXPECT_EQ(a.handled, 0) << cause;
    EXPECT_EQ(a.onCallMs, 0) << cause;
    EXPECT_EQ(a.reservedMs, 20'000) << cause;
    const auto report = f.agentReport(kAgentA, kNow);
    EXPECT_EQ(report.live.state, AgentState::NotReady);  // back on the break
    EXPECT_EQ(report.live.reason, "break");
    EXPECT_FALSE(report.today.ahtMs);
  }
}

TEST(KpiOutboundTest, AnInternalCallToAColleague) {
  const KpiFold f = fold(&testing::internalToColleague);
  expectNoQueue(f);
  const auto a = agent(f, kAgentA);
  EXPECT_EQ(a.internalCalls, 1);
  EXPECT_EQ(a.outbound, 0);
  EXPECT_EQ(a.outboundAnswered, 0);
  EXPECT_EQ(a.handled, 1);
  EXPECT_EQ(a.reservedMs, 4'000);
  EXPECT_EQ(a.onCallMs, 26'000);
  EXPECT_EQ(a.holdMs, 2'000);
  EXPECT_EQ(a.wrapUpMs, 0);
  // The colleague: their states, like a consulted agent; nothing placed, nothing handled.
  const auto b = agent(f, kAgentB);
  EXPECT_EQ(b.internalCalls, 0);
  EXPECT_EQ(b.handled, 0);
  EXPECT_EQ(b.reservedMs, 4'000);
  EXPECT_EQ(b.onCallMs, 26'000);
  EXPECT_EQ(b.holdMs, 0);
}

TEST(KpiOutboundTest, AColleagueWhoDoesNotAnswer) {
  const KpiFold f = fold(&testing::colleagueDoesNotAnswer);
  expectNoQueue(f);
  EXPECT_EQ(agent(f, kAgentA).internalCalls, 1);
  EXPECT_EQ(agent(f, kAgentA).handled, 0);
  const auto b = f.agentReport(kAgentB, kNow);
  EXPECT_EQ(b.today.counters.reservedMs, 20'000);
  EXPECT_EQ(b.live.reason, "no_answer");
}

TEST(KpiOutboundTest, AnInternalCallToAnExtension) {
  const KpiFold f = fold(&testing::internalToExtension);
  expectNoQueue(f);
  const auto a = agent(f, kAgentA);
  EXPECT_EQ(a.internalCalls, 1);
  EXPECT_EQ(a.handled, 1);
  EXPECT_EQ(a.onCallMs, 12'000);
}

TEST(KpiOutboundTest, AQueueDialledByAnAgentCountsInTheQueueAsAnyCall) {
  const KpiFold f = fold(&testing::agentDialsQueue);
  EXPECT_FALSE(f.knowsQueue(""));
  const auto q = f.queueReport(testing::kQueue, kNow).today;
  EXPECT_EQ(q.offered, 1);
  EXPECT_EQ(q.counters.answered, 1);
  EXPECT_EQ(q.counters.answeredWithinT, 1);
  EXPECT_EQ(q.counters.handled, 1);
  EXPECT_DOUBLE_EQ(*q.asaMs, 5'000);
  EXPECT_EQ(q.counters.talkMs, 35'000);
  EXPECT_EQ(q.counters.wrapUpMs, 10'000);
  const auto live = f.queueReport(testing::kQueue, kNow).live;
  EXPECT_EQ(live.waiting, 0);
  EXPECT_EQ(live.connected, 0);

  // A placed it and was on the call all along, but handled nothing: B answered it.
  const auto a = agent(f, kAgentA);
  EXPECT_EQ(a.internalCalls, 1);
  EXPECT_EQ(a.handled, 0);
  EXPECT_EQ(a.onCallMs, 40'000);
  EXPECT_EQ(a.reservedMs, 0);
  const auto b = agent(f, kAgentB);
  EXPECT_EQ(b.handled, 1);
  EXPECT_EQ(b.internalCalls, 0);
  EXPECT_EQ(b.onCallMs, 35'000);
  EXPECT_EQ(b.wrapUpMs, 10'000);
}

TEST(KpiOutboundTest, AnOutboundCallTransferredToAQueueCountsThereFromItsJoin) {
  const KpiFold f = fold(&testing::outboundTransferredToQueue);
  const auto q = f.queueReport(testing::kQueue, kNow).today;
  EXPECT_EQ(q.offered, 1);
  EXPECT_EQ(q.counters.answered, 1);
  EXPECT_EQ(q.counters.answeredWaitMs, 5'000);
  EXPECT_EQ(q.counters.transfersOut, 0);  // A answered no queue call
  EXPECT_EQ(q.counters.handled, 1);
  EXPECT_EQ(q.counters.talkMs, 35'000);  // B's part only
  EXPECT_EQ(q.counters.wrapUpMs, 10'000);
  const auto a = agent(f, kAgentA);
  EXPECT_EQ(a.outbound, 1);
  EXPECT_EQ(a.outboundAnswered, 1);  // B's answer from the queue is not a second one
  EXPECT_EQ(a.transfers, 1);
  EXPECT_EQ(a.handled, 1);
  EXPECT_EQ(a.wrapUpMs, 15'000);
  EXPECT_EQ(agent(f, kAgentB).handled, 1);
  EXPECT_EQ(agent(f, kAgentB).outboundAnswered, 0);
}

TEST(KpiOutboundTest, CountsGoToTheIntervalOfTheCallOriginated) {
  // Placed at 00:14:50, answered at 00:15:02: both counters in 00:00-00:15, the talk split.
  Events ev;
  ev.started(0).state(0, kAgentA, AgentState::NotReady, AgentState::Ready);
  testing::aPlaces(ev, "x", 890, "number", testing::kCustomer);
  ev.add(902, "x", kAgentA, events::CallAnswered{kAgentA, "", 12000})
      .state(902, kAgentA, AgentState::Reserved, AgentState::OnCall, "x")
      .add(920, "x", kAgentA, events::CallEnded{"normal", "agent", 30000})
      .state(920, kAgentA, AgentState::OnCall, AgentState::Ready, "x");
  testing::aPlaces(ev, "y", 930, "agent", kAgentB);
  ev.add(940, "y", kAgentA, events::CallEnded{"no_answer", "callee", 10000})
      .state(940, kAgentA, AgentState::Reserved, AgentState::Ready, "y");
  KpiFold f;
  for (const auto& e : ev.all()) f.apply(e);
  const auto r = f.agentReport(kAgentA, at(1000));
  ASSERT_EQ(r.intervals.size(), 2u);
  const auto& first = r.intervals[0].kpis.counters;
  const auto& second = r.intervals[1].kpis.counters;
  EXPECT_EQ(first.outbound, 1);
  EXPECT_EQ(first.outboundAnswered, 1);
  EXPECT_EQ(first.internalCalls, 0);
  EXPECT_EQ(first.reservedMs, 10'000);
  EXPECT_EQ(second.outbound, 0);
  EXPECT_EQ(second.outboundAnswered, 0);
  EXPECT_EQ(second.internalCalls, 1);
  EXPECT_EQ(second.reservedMs, 2'000 + 10'000);
  EXPECT_EQ(second.onCallMs, 18'000);
  EXPECT_EQ(second.handled, 1);  // where the agent's part ended
  EXPECT_EQ(r.today.counters.outbound, 1);
  EXPECT_EQ(r.today.counters.internalCalls, 1);
}

TEST(KpiOutboundTest, ARestartForgetsPlacedCallsInProgress) {
  Events ev;
  ev.started(0).state(0, kAgentA, AgentState::NotReady, AgentState::Ready);
  testing::aPlaces(ev, "x", 10, "number", testing::kCustomer);
  ev.started(20);
  // A stray answer of the old call after the restart is no outbound answer.
  ev.add(25, "x", kAgentA, events::CallAnswered{kAgentA, "", 15000});
  KpiFold f;
  for (const auto& e : ev.all()) f.apply(e);
  const auto a = agent(f, kAgentA);
  EXPECT_EQ(a.outbound, 1);
  EXPECT_EQ(a.outboundAnswered, 0);
  EXPECT_FALSE(f.knowsQueue(""));
}

TEST(KpiOutboundTest, AColleagueLostOnAnInternalCallDoesNotEndThePlacingAgentsPart) {
  // B's phone drops at 00:14:58; A stays on the line until 00:15:10: A's handled call counts
  // where A's part ended.
  Events ev;
  ev.started(0)
      .state(0, kAgentA, AgentState::NotReady, AgentState::Ready)
      .state(0, kAgentB, AgentState::NotReady, AgentState::Ready);
  testing::aCallsB(ev, "x", 880);
  ev.add(884, "x", kAgentA, events::CallAnswered{kAgentA, "", 4000})
      .add(898, "x", kAgentB, events::CallAgentLost{kAgentB, "media_timeout", 14000})
      .add(910, "x", kAgentA, events::CallEnded{"normal", "agent", 30000});
  KpiFold f;
  for (const auto& e : ev.all()) f.apply(e);
  const auto r = f.agentReport(kAgentA, at(1000));
  ASSERT_EQ(r.intervals.size(), 2u);
  EXPECT_EQ(r.intervals[0].kpis.counters.handled, 0);
  EXPECT_EQ(r.intervals[1].kpis.counters.handled, 1);
  EXPECT_EQ(agent(f, kAgentB).handled, 0);
  EXPECT_FALSE(f.knowsQueue(""));
}

}  // namespace
}  // namespace bankcc::reports
