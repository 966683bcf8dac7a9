// SPDX-License-Identifier: Apache-2.0
// A consult to a queue (decision 0024), in virtual time on the simulated telephony port: the
// consult waits in the ACD with the customer's place in line, the ACD picks the colleague, a
// colleague who does not answer sends it back to wait, and it ends by itself after its time.
#include <gtest/gtest.h>

#include <algorithm>

#include "callctl/call_control.h"
#include "callctl/callctl_test_support.h"

namespace bankcc::callctl {
namespace {

using namespace testing;
using Status = CommandReply::Status;

class ConsultQueueTest : public ::testing::Test {
 protected:
  ConsultQueueTest() {
    EXPECT_TRUE(b.core().setQueue(queueSetup("retail", "95588", "retail")).ok());
    EXPECT_TRUE(b.core().setQueue(queueSetup("cards", "95599", "cards")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1001", "8001", {"retail"}, "team_a")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1002", "8002", {"cards"}, "team_a")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1003", "8003", {"cards"}, "team_a")).ok());
  }

  /// A caller of 95588 talks with 1001; 1002 and 1003 (cards) are logged in, not ready.
  void connectedCall(sim::PhoneBehaviour colleaguePhone = {}) {
    b.sim().registerPhone("8002", colleaguePhone);
    b.sim().registerPhone("8003", {});
    b.run(0ms);
    b.login("1002", "8002");
    b.login("1003", "8003");
    b.loginReady("1001", "8001");
    caller = b.sim().incomingCall("13800000000", "95588");
    b.run(2s);
    ASSERT_EQ(b.stateOf("1001"), AgentState::OnCall);
    callId = b.callId(1);
    agent = b.agentLeg("8001");
    b.run(30s);
    b.takeEvents();
  }
  CallView call() { return b.core().calls().front(); }
  /// Something waits in the ACD in queue cards (the core refuses to remove the queue).
  bool waitsInCards() { return b.core().vetRemoveQueue("cards").has_value(); }
  std::string hears(const LegId& leg) { return toString(b.sim().hears(leg)); }
  void TearDown() override { EXPECT_EQ(b.sim().refusals(), std::vector<std::string>{}); }

  CoreBench b;
  LegId caller;
  LegId agent;
  std::string callId;
};

TEST_F(ConsultQueueTest, TheConsultWaitsUntilAColleagueIsReadyThenTransfers) {
  connectedCall();
  expectAccepted(
      b.send(agentActor("1001"), Consult{callId, Consult::Target::Queue, "cards"}, "consult-q"));
  // Nobody in cards is ready: the customer waits on hold, the consult waits in the queue.
  EXPECT_EQ(hears(caller), "music:moh");
  CallView v = call();
  EXPECT_EQ(v.partyStage, "queued");
  EXPECT_EQ(v.partyType, "queue");
  EXPECT_EQ(v.party, "cards");
  const std::string consultId = v.consultCallId;
  ASSERT_FALSE(consultId.empty());
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.held", "C2 call.consult_started 1001 queue cards"}));
  // The ACD holds it: the queue cannot be removed while it waits.
  EXPECT_TRUE(waitsInCards());

  b.run(10s);
  b.ready("1003");
  // 1003 is chosen and rung with the customer's details; the decision is explained.
  EXPECT_EQ(b.stateOf("1003"), AgentState::Reserved);
  v = call();
  EXPECT_EQ(v.partyStage, "ringing");
  EXPECT_EQ(v.partyType, "agent");
  EXPECT_EQ(v.party, "1003");
  EXPECT_EQ(b.takeEvents(),
            (Lines{"agent 1003 not_ready->ready", "C2 routing.decided 1003 agent_available",
                   "C2 agent 1003 ready->reserved", "C2 call.offered 1003 8003"}));
  const auto& offered = std::get<events::CallOffered>(b.lastEvent<events::CallOffered>()->payload);
  EXPECT_EQ(offered.queue, "cards");
  EXPECT_EQ(offered.ani, "13800000000");
  EXPECT_EQ(offered.waitMs, 10'000);
  const auto explanation = b.core().routingExplanation(consultId);
  ASSERT_TRUE(explanation.has_value());
  const auto chosen = std::find_if(explanation->candidates.begin(), explanation->candidates.end(),
                                   [](const acd::Candidate& c) { return c.chosen; });
  ASSERT_NE(chosen, explanation->candidates.end());
  EXPECT_EQ(chosen->id, consultId);  // 1003 became ready: the calls were the candidates

  b.run(2s);
  const LegId party = b.agentLeg("8003");
  EXPECT_EQ(b.stateOf("1003"), AgentState::OnCall);
  EXPECT_EQ(call().partyStage, "consulting");
  EXPECT_EQ(hears(agent), "parties:" + party.value);
  EXPECT_EQ(b.takeEvents(), (Lines{"C2 agent 1003 reserved->on_call", "C2 call.consult_answered"}));

  expectAccepted(b.send(agentActor("1001"), CompleteTransfer{callId}));
  EXPECT_EQ(hears(caller), "parties:" + party.value);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  EXPECT_EQ(b.core().agent("1003")->callId, callId);
  const Lines after = b.takeEvents();
  EXPECT_NE(std::find(after.begin(), after.end(), "C1 call.transferred attended agent 1003"),
            after.end());
  EXPECT_NE(std::find(after.begin(), after.end(), "C2 call.ended transferred by=agent"),
            after.end());
}

TEST_F(ConsultQueueTest, AReadyColleagueIsRungAtOnce) {
  connectedCall();
  b.ready("1002");
  b.takeEvents();
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Queue, "cards"}));
  EXPECT_EQ(b.stateOf("1002"), AgentState::Reserved);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.held", "C2 call.consult_started 1001 queue cards",
                                   "C2 routing.decided 1002 consult",
                                   "C2 agent 1002 ready->reserved", "C2 call.offered 1002 8002"}));
}

TEST_F(ConsultQueueTest, AColleagueWhoDoesNotAnswerSendsTheConsultBackToWait) {
  connectedCall(neverAnswers());
  b.ready("1002");
  b.takeEvents();
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Queue, "cards"}));
  EXPECT_EQ(b.stateOf("1002"), AgentState::Reserved);
  b.run(21s);  // the consult ring timeout is 20 s
  EXPECT_EQ(b.stateOf("1002"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1002"), "no_answer");
  CallView v = call();
  EXPECT_EQ(v.partyStage, "queued");
  EXPECT_EQ(v.party, "cards");
  // The customer is still on hold; the next colleague takes it.
  EXPECT_EQ(hears(caller), "music:moh");
  b.ready("1003");
  EXPECT_EQ(b.stateOf("1003"), AgentState::Reserved);
  EXPECT_EQ(call().party, "1003");
  b.run(2s);
  EXPECT_EQ(call().partyStage, "consulting");
}

TEST_F(ConsultQueueTest, TheConsultEndsAfterItsTimeAndTheCustomerStaysOnHold) {
  connectedCall();
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Queue, "cards"}));
  const std::string consultId = call().consultCallId;
  b.takeEvents();
  b.run(119s);
  EXPECT_EQ(call().partyStage, "queued");
  b.run(2s);
  EXPECT_EQ(call().partyStage, "");
  EXPECT_TRUE(call().held);
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 call.consult_ended timed_out", "C2 call.ended timed_out by=system"}));
  EXPECT_FALSE(waitsInCards());
  // A colleague who becomes ready now is not offered anything.
  b.ready("1002");
  EXPECT_EQ(b.stateOf("1002"), AgentState::Ready);
  expectAccepted(b.send(agentActor("1001"), RetrieveCall{callId}));
  EXPECT_EQ(hears(caller), "parties:" + agent.value);
}

TEST_F(ConsultQueueTest, CancelWhileQueuedTakesTheCustomerBack) {
  connectedCall();
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Queue, "cards"}));
  b.takeEvents();
  expectRefused(b.send(agentActor("1001"), Alternate{callId}), Status::Conflict, "no_consult");
  expectAccepted(b.send(agentActor("1001"), CancelConsult{callId}));
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.consult_ended cancelled",
                                   "C2 call.ended cancelled by=agent", "C1 call.retrieved"}));
  EXPECT_FALSE(waitsInCards());
  b.ready("1002");
  EXPECT_EQ(b.stateOf("1002"), AgentState::Ready);
}

TEST_F(ConsultQueueTest, TheCustomerHangingUpEndsTheQueuedConsult) {
  connectedCall();
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Queue, "cards"}));
  b.sim().farHangup(caller);
  b.run(0ms);
  EXPECT_FALSE(waitsInCards());
  b.ready("1002");
  EXPECT_EQ(b.stateOf("1002"), AgentState::Ready);
  EXPECT_TRUE(b.core().calls().empty());
}

TEST_F(ConsultQueueTest, TheConsultKeepsTheCustomersPlaceInLine) {
  connectedCall();
  // A second customer calls cards after the first called retail.
  b.sim().incomingCall("13900000000", "95599");
  b.run(1s);
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Queue, "cards"}));
  b.takeEvents();
  // The consult carries the first customer's arrival: it goes first.
  b.ready("1002");
  EXPECT_EQ(call().party, "1002");
  EXPECT_EQ(b.core().agent("1002")->callId, call().consultCallId);
}

TEST_F(ConsultQueueTest, Refusals) {
  connectedCall();
  const Actor a = agentActor("1001");
  expectRefused(b.send(a, Consult{callId, Consult::Target::Queue, "nope"}), Status::NotFound,
                "unknown_queue");
  b.send(agentActor("1002"), Logout{"1002"});
  b.send(agentActor("1003"), Logout{"1003"});
  expectRefused(b.send(a, Consult{callId, Consult::Target::Queue, "cards"}), Status::Conflict,
                "no_agents");
  EXPECT_EQ(call().partyStage, "");
  EXPECT_FALSE(call().held);
  QueueSetup closed = queueSetup("cards", "95599", "cards");
  closed.acd.open = false;
  ASSERT_TRUE(b.core().setQueue(closed).ok());
  expectRefused(b.send(a, Consult{callId, Consult::Target::Queue, "cards"}), Status::Conflict,
                "queue_closed");
}

TEST_F(ConsultQueueTest, TransferWhileQueuedHandsTheCustomerToTheQueue) {
  connectedCall();
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Queue, "cards"}));
  b.takeEvents();
  expectAccepted(b.send(agentActor("1001"), CompleteTransfer{callId}));
  const Lines events = b.takeEvents();
  for (const char* line :
       {"C1 call.consult_ended transferred", "C1 call.transferred semi_attended queue cards",
        "C1 agent 1001 on_call->wrap_up"}) {
    EXPECT_NE(std::find(events.begin(), events.end(), line), events.end()) << line;
  }
  // The customer (not the consult) waits in cards now, with their own arrival and priority.
  EXPECT_TRUE(waitsInCards());
  EXPECT_EQ(b.core().calls().front().partyStage, "");
  EXPECT_EQ(hears(caller), "prompt:moh");  // the queue's music
  b.ready("1002");
  b.run(3s);
  EXPECT_EQ(b.core().calls().front().agentNo, "1002");
  EXPECT_EQ(b.stateOf("1002"), AgentState::OnCall);
}

}  // namespace
}  // namespace bankcc::callctl
