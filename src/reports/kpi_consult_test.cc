// SPDX-License-Identifier: Apache-2.0
// KpiFold over consults, attended transfers and conferences (decision 0018; the counting rules
// in docs/decisions/0016-kpi-definitions.md "Consults, attended transfers and conferences"):
// the scenarios of cdr_test_events.h, the same sequences the CDR fold is tested with.

#include <gtest/gtest.h>

#include <string>

#include "reports/cdr_test_events.h"
#include "reports/kpi.h"

namespace bankcc::reports {
namespace {

using events::AgentState;
using testing::at;
using testing::Events;
using testing::kAgentA;
using testing::kAgentB;

using Scenario = void (*)(Events&, const std::string&, const std::string&, double);

/// A and B ready at 0, then `scenario` with its customer call "p" and consult "k".
KpiFold fold(Scenario scenario) {
  Events ev;
  ev.started(0)
      .state(0, kAgentA, AgentState::NotReady, AgentState::Ready)
      .state(0, kAgentB, AgentState::NotReady, AgentState::Ready);
  scenario(ev, "p", "k", 0);
  KpiFold f;  // UTC, 15-minute intervals: everything is in 00:00-00:15
  for (const auto& e : ev.all()) f.apply(e);
  return f;
}

const SysTime kNow = at(200);

/// The customer call counts once in retail_zh, the consult nowhere.
void expectOneQueueCall(const KpiFold& f) {
  const auto q = f.queueReport("retail_zh", kNow);
  EXPECT_EQ(q.today.offered, 1);
  EXPECT_EQ(q.today.counters.joined, 1);
  EXPECT_EQ(q.today.counters.answered, 1);
  EXPECT_EQ(q.today.counters.handled, 1);
  EXPECT_EQ(q.live.waiting, 0);
  EXPECT_EQ(q.live.connected, 0);
  EXPECT_FALSE(f.knowsQueue(""));
}

TEST(KpiConsultTest, ConsultCancelled) {
  const KpiFold f = fold(&testing::consultCancelled);
  expectOneQueueCall(f);
  const auto q = f.queueReport("retail_zh", kNow).today.counters;
  EXPECT_EQ(q.transfersOut, 0);
  EXPECT_EQ(q.holdMs, 13'000);  // 30-40 and 47-50: the customer's holds
  EXPECT_EQ(q.talkMs, 52'000);
  EXPECT_EQ(q.wrapUpMs, 10'000);

  const auto a = f.agentReport(kAgentA, kNow).today.counters;
  EXPECT_EQ(a.consults, 1);
  EXPECT_EQ(a.transfers, 0);
  EXPECT_EQ(a.handled, 1);
  EXPECT_EQ(a.onCallMs, 65'000);
  EXPECT_EQ(a.holdMs, 13'000);  // not the consult party's hold (40-47)

  const auto b = f.agentReport(kAgentB, kNow).today.counters;
  EXPECT_EQ(b.handled, 0);
  EXPECT_EQ(b.consults, 0);
  EXPECT_EQ(b.reservedMs, 4'000);
  EXPECT_EQ(b.onCallMs, 16'000);
  EXPECT_EQ(b.holdMs, 0);
}

TEST(KpiConsultTest, AttendedTransferToAnAgent) {
  const KpiFold f = fold(&testing::attendedTransferToAgent);
  expectOneQueueCall(f);
  const auto q = f.queueReport("retail_zh", kNow).today.counters;
  EXPECT_EQ(q.transfersOut, 1);
  EXPECT_EQ(q.talkMs, 15'000);    // A's part: 15-60 less the hold
  EXPECT_EQ(q.holdMs, 30'000);    // 30-60
  EXPECT_EQ(q.wrapUpMs, 10'000);  // A's; B's part is B's

  const auto a = f.agentReport(kAgentA, kNow).today.counters;
  EXPECT_EQ(a.consults, 1);
  EXPECT_EQ(a.transfers, 1);
  EXPECT_EQ(a.handled, 1);

  const auto b = f.agentReport(kAgentB, kNow).today.counters;
  EXPECT_EQ(b.handled, 1);
  EXPECT_EQ(b.transfers, 0);
  EXPECT_EQ(b.onCallMs, 85'000);  // the consult and the customer, 35-120
  EXPECT_EQ(b.wrapUpMs, 10'000);
  EXPECT_DOUBLE_EQ(*f.agentReport(kAgentB, kNow).today.ahtMs, 95'000);
}

TEST(KpiConsultTest, AttendedTransferToANumber) {
  const KpiFold f = fold(&testing::attendedTransferToNumber);
  expectOneQueueCall(f);
  const auto q = f.queueReport("retail_zh", kNow).today.counters;
  EXPECT_EQ(q.transfersOut, 1);
  EXPECT_EQ(q.talkMs, 15'000);
  EXPECT_EQ(q.holdMs, 20'000);
  const auto a = f.agentReport(kAgentA, kNow).today.counters;
  EXPECT_EQ(a.consults, 1);
  EXPECT_EQ(a.transfers, 1);
  EXPECT_EQ(a.handled, 1);
  EXPECT_EQ(f.agentReport(kAgentB, kNow).today.counters.handled, 0);
  EXPECT_FALSE(f.knowsAgent(testing::kNumber));
}

TEST(KpiConsultTest, ConferenceThenTheAgentDropsTheParty) {
  const KpiFold f = fold(&testing::conferenceThenDrop);
  expectOneQueueCall(f);
  const auto q = f.queueReport("retail_zh", kNow).today.counters;
  EXPECT_EQ(q.transfersOut, 0);
  EXPECT_EQ(q.holdMs, 6'000);  // 30-36 (the party's hold on the consult is not the customer's)
  EXPECT_EQ(q.talkMs, 79'000);
  EXPECT_EQ(q.wrapUpMs, 10'000);
  const auto a = f.agentReport(kAgentA, kNow).today.counters;
  EXPECT_EQ(a.consults, 1);
  EXPECT_EQ(a.handled, 1);
  EXPECT_EQ(a.holdMs, 6'000);
  const auto b = f.agentReport(kAgentB, kNow).today.counters;
  EXPECT_EQ(b.handled, 1);
  EXPECT_EQ(b.onCallMs, 37'000);
  EXPECT_EQ(b.wrapUpMs, 5'000);
}

TEST(KpiConsultTest, ConferenceThenTheOwnerLeaves) {
  const KpiFold f = fold(&testing::conferenceThenOwnerLeaves);
  expectOneQueueCall(f);
  const auto q = f.queueReport("retail_zh", kNow).today.counters;
  EXPECT_EQ(q.transfersOut, 1);
  EXPECT_EQ(q.talkMs, 49'000);  // A's part: 15-70 less 6 s on hold
  EXPECT_EQ(q.wrapUpMs, 10'000);
  const auto a = f.agentReport(kAgentA, kNow).today.counters;
  EXPECT_EQ(a.transfers, 1);
  EXPECT_EQ(a.handled, 1);
  const auto b = f.agentReport(kAgentB, kNow).today.counters;
  EXPECT_EQ(b.handled, 1);
  EXPECT_EQ(b.transfers, 0);
  EXPECT_EQ(b.onCallMs, 97'000);
  EXPECT_EQ(b.wrapUpMs, 10'000);
}

TEST(KpiConsultTest, CustomerHangsUpDuringAConference) {
  const KpiFold f = fold(&testing::conferenceThenCustomerHangsUp);
  expectOneQueueCall(f);
  const auto q = f.queueReport("retail_zh", kNow).today.counters;
  EXPECT_EQ(q.transfersOut, 0);
  EXPECT_EQ(q.wrapUpMs, 10'000);
  EXPECT_EQ(f.agentReport(kAgentA, kNow).today.counters.handled, 1);
  const auto b = f.agentReport(kAgentB, kNow).today.counters;
  EXPECT_EQ(b.handled, 1);
  EXPECT_EQ(b.wrapUpMs, 15'000);
}

TEST(KpiConsultTest, ConferenceWithANumber) {
  const KpiFold f = fold(&testing::conferenceWithNumber);
  expectOneQueueCall(f);
  const auto q = f.queueReport("retail_zh", kNow).today.counters;
  EXPECT_EQ(q.transfersOut, 0);
  EXPECT_EQ(q.talkMs, 55'000);
  EXPECT_EQ(f.agentReport(kAgentA, kNow).today.counters.consults, 1);
}

TEST(KpiConsultTest, ThePartyNeverAnswers) {
  const KpiFold f = fold(&testing::consultNoAnswer);
  expectOneQueueCall(f);
  const auto q = f.queueReport("retail_zh", kNow).today.counters;
  EXPECT_EQ(q.holdMs, 25'000);
  EXPECT_EQ(q.transfersOut, 0);
  EXPECT_EQ(f.agentReport(kAgentA, kNow).today.counters.consults, 1);
  const auto b = f.agentReport(kAgentB, kNow);
  EXPECT_EQ(b.today.counters.handled, 0);
  EXPECT_EQ(b.today.counters.reservedMs, 20'000);
  EXPECT_EQ(b.live.state, AgentState::NotReady);
  EXPECT_EQ(b.live.reason, "no_answer");
}

TEST(KpiConsultTest, AnAnswerOrTransferNamingNoQueueCreatesNoQueue) {
  Events ev;
  ev.started(0)
      .add(1, "c1", "1001", events::CallAnswered{"1001", "", 0})
      .add(2, "c1", "1001", events::CallHeld{"1001"})
      .add(3, "c1", "1001", events::CallTransferred{"1001", "attended", "agent", "1002", 2000})
      .add(9, "c1", {}, events::CallEnded{"normal", "caller", 9000})
      .state(9, "1001", AgentState::OnCall, AgentState::WrapUp, "c1")
      .state(12, "1001", AgentState::WrapUp, AgentState::Ready, "c1")
      .add(13, {}, {}, events::SystemStarted{"t", "n", 1});
  KpiFold f;
  for (const auto& e : ev.all()) f.apply(e);
  EXPECT_FALSE(f.knowsQueue(""));
  const auto a = f.agentReport("1001", at(20)).today.counters;
  EXPECT_EQ(a.handled, 1);
  EXPECT_EQ(a.transfers, 1);
  EXPECT_EQ(f.agentReport("1002", at(20)).today.counters.handled, 1);
}

}  // namespace
}  // namespace bankcc::reports
