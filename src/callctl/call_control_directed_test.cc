// SPDX-License-Identifier: Apache-2.0
// Calls given to a named agent (decision 0022): a supervisor's intercept of a waiting or
// ringing call, and a blind transfer to a colleague — in virtual time on the simulated port.
#include <gtest/gtest.h>

#include <algorithm>

#include "callctl/call_control.h"
#include "callctl/callctl_test_support.h"

namespace bankcc::callctl {
namespace {

using namespace testing;
using Status = CommandReply::Status;

/// 9001 is both an agent (team_a, no retail skill) and the supervisor of team_a.
Actor teamLead() {
  Actor a = supervisorOf("team_a");
  a.agentNo = "9001";
  return a;
}

class DirectedTest : public ::testing::Test {
 protected:
  DirectedTest() {
    EXPECT_TRUE(b.core().setQueue(queueSetup("retail", "95588", "retail")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1001", "8001", {"retail"}, "team_a")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1002", "8002", {"cards"}, "team_a")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("2001", "8201", {"retail"}, "team_b")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("9001", "8901", {"cards"}, "team_a")).ok());
  }
  void TearDown() override { EXPECT_EQ(b.sim().refusals(), std::vector<std::string>{}); }

  bool legEnded(const LegId& leg) {
    auto v = b.sim().leg(leg);
    return v && v->state == sim::LegState::Ended;
  }

  CoreBench b;
};

TEST_F(DirectedTest, ASupervisorTakesARingingCallAndGoesBackToTheirBreakAfterIt) {
  b.loginReady("1001", "8001", neverAnswers());
  b.loginReady("9001", "8901");
  b.notReady("9001", "supervising");
  const LegId caller = b.sim().incomingCall("13800000000", "95588");
  b.run(2s);
  ASSERT_EQ(b.stateOf("1001"), AgentState::Reserved);
  const LegId ringing = b.agentLeg("8001");
  const std::string callId = b.callId(1);
  b.takeEvents();

  const CommandReply r = b.send(teamLead(), InterceptCall{callId, "9001"}, "icp-1");
  expectAccepted(r);
  EXPECT_TRUE(r.intervention);
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 call.intercepted sup_team_a 1001->9001",
                   "C1 routing.decided 9001 intercepted", "C1 agent 9001 not_ready->reserved",
                   "C1 call.offered 9001 8901", "C1 agent 1001 reserved->ready"}));
  EXPECT_EQ(b.lastEvent<events::CallIntercepted>()->requestId, "icp-1");
  EXPECT_EQ(b.lastEvent<events::CallIntercepted>()->agentId, "1001");
  EXPECT_TRUE(legEnded(ringing));  // 1001's phone stopped ringing
  const auto why = b.core().routingExplanation(callId);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->rule, "intercepted by supervisor sup_team_a");

  b.run(3s);  // the supervisor's phone answers
  EXPECT_EQ(b.stateOf("9001"), AgentState::OnCall);
  EXPECT_EQ(toString(b.sim().hears(caller)), "parties:" + b.agentLeg("8901").value);
  EXPECT_EQ(b.eventsOf<events::CallAnswered>().back()->agentNo, "9001");
  EXPECT_EQ(b.eventsOf<events::CallAnswered>().back()->queue, "retail");

  b.sim().farHangup(caller);
  b.run(16s);  // the queue's 15 s wrap-up
  EXPECT_EQ(b.stateOf("9001"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("9001"), "supervising");
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
}

TEST_F(DirectedTest, AWaitingCallGivenToAnAgentKeepsItsPlaceWhenTheyDoNotAnswer) {
  b.sim().registerPhone("8002", neverAnswers());
  b.run(0ms);
  b.login("1002", "8002");
  b.notReady("1002", "break");
  b.sim().incomingCall("13800000001", "95588");
  b.run(1s);
  b.sim().incomingCall("13800000002", "95588");
  b.run(1s);
  const std::string second = b.callId(2);
  b.takeEvents();

  // An admin may give any call to any agent; 1002 is no member of retail and on a break.
  expectAccepted(b.send(adminActor(), InterceptCall{second, "1002"}));
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C2 call.intercepted admin queue->1002", "C2 routing.decided 1002 intercepted",
                   "C2 agent 1002 not_ready->reserved", "C2 call.offered 1002 8002"}));
  b.run(25s);  // 20 s ring timeout
  EXPECT_EQ(b.stateOf("1002"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1002"), "no_answer");
  // Back in retail, behind the call that arrived first.
  ASSERT_TRUE(b.call(2).has_value());
  EXPECT_EQ(b.call(2)->phase, CallView::Phase::Queued);
  EXPECT_EQ(b.core().acd().position(second, b.clock().now())->position, 2);
  b.loginReady("1001", "8001");
  EXPECT_EQ(b.call(1)->agentNo, "1001");  // the oldest call first
}

TEST_F(DirectedTest, InterceptIsRefusedWithAReason) {
  b.loginReady("1001", "8001", neverAnswers());
  b.loginReady("2001", "8201", neverAnswers());
  b.loginReady("9001", "8901");
  b.notReady("9001", "supervising");
  b.sim().incomingCall("13800000000", "95588");
  b.run(1s);
  const std::string callId = b.callId(1);
  ASSERT_EQ(b.call(1)->agentNo, "1001");  // the longest idle

  expectRefused(b.send(agentActor("1002"), InterceptCall{callId, "1002"}), Status::Forbidden,
                "not_a_supervisor");
  expectRefused(b.send(teamLead(), InterceptCall{"nope", "9001"}), Status::NotFound,
                "unknown_call");
  expectRefused(b.send(teamLead(), InterceptCall{callId, "7777"}), Status::NotFound,
                "unknown_agent");
  expectRefused(b.send(teamLead(), InterceptCall{callId, "2001"}), Status::Forbidden,
                "not_your_team");
  expectRefused(b.send(teamLead(), InterceptCall{callId, "1001"}), Status::Conflict,
                "already_offered");
  expectRefused(b.send(teamLead(), InterceptCall{callId, "1002"}), Status::Conflict,
                "not_logged_in");
  // The admin takes it for 9001; once connected it is no longer waiting or ringing.
  expectAccepted(b.send(adminActor(), InterceptCall{callId, "9001"}));
  b.run(3s);
  ASSERT_EQ(b.stateOf("9001"), AgentState::OnCall);
  expectRefused(b.send(adminActor(), InterceptCall{callId, "1001"}), Status::Conflict,
                "not_waiting");
  // The next call rings at 2001 (idle longer than 1001, whose offer was taken back): another
  // team's agent, not this supervisor's to take from; and 9001 is busy anyway.
  b.sim().incomingCall("13800000009", "95588");
  b.run(1s);
  ASSERT_EQ(b.call(2)->agentNo, "2001");
  expectRefused(b.send(teamLead(), InterceptCall{b.callId(2), "1001"}), Status::Forbidden,
                "not_your_team");
  expectRefused(b.send(adminActor(), InterceptCall{b.callId(2), "9001"}), Status::Conflict,
                "agent_busy");
}

TEST_F(DirectedTest, ABlindTransferToAColleagueRingsThemAtOnce) {
  b.loginReady("1001", "8001");
  b.loginReady("1002", "8002");  // cards only: never offered a retail call by the router
  const LegId caller = b.sim().incomingCall("13800000000", "95588");
  b.run(4s);
  ASSERT_EQ(b.stateOf("1001"), AgentState::OnCall);
  const std::string callId = b.callId(1);
  b.takeEvents();

  expectRefused(
      b.send(agentActor("1001"), BlindTransfer{callId, BlindTransfer::Target::Agent, "1001"}),
      Status::Conflict, "transfer_self");
  expectRefused(
      b.send(agentActor("1001"), BlindTransfer{callId, BlindTransfer::Target::Agent, "7777"}),
      Status::NotFound, "unknown_agent");
  expectRefused(
      b.send(agentActor("1001"), BlindTransfer{callId, BlindTransfer::Target::Agent, "2001"}),
      Status::Conflict, "agent_not_ready");  // logged out

  expectAccepted(
      b.send(agentActor("1001"), BlindTransfer{callId, BlindTransfer::Target::Agent, "1002"}));
  const Lines events = b.takeEvents();
  const Lines expected{"C1 call.transferred blind agent 1002",
                       "C1 queue.joined retail prio=0 pos=1", "C1 routing.decided 1002 transferred",
                       "C1 agent 1002 ready->reserved", "C1 call.offered 1002 8002"};
  for (const auto& line : expected) {
    EXPECT_NE(std::find(events.begin(), events.end(), line), events.end()) << line;
  }
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  b.run(3s);
  EXPECT_EQ(b.stateOf("1002"), AgentState::OnCall);
  EXPECT_EQ(toString(b.sim().hears(caller)), "parties:" + b.agentLeg("8002").value);
}

TEST_F(DirectedTest, AColleagueWhoDoesNotAnswerLeavesTheCustomerToTheQueue) {
  b.loginReady("1001", "8001");
  b.loginReady("1002", "8002", neverAnswers());
  b.sim().incomingCall("13800000000", "95588");
  b.run(4s);
  const std::string callId = b.callId(1);
  expectAccepted(
      b.send(agentActor("1001"), BlindTransfer{callId, BlindTransfer::Target::Agent, "1002"}));
  b.loginReady("2001", "8201");  // a retail agent, ready while 1002's phone rings
  EXPECT_EQ(b.stateOf("2001"), AgentState::Ready);
  b.run(26s);
  EXPECT_EQ(b.stateOf("1002"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1002"), "no_answer");
  b.run(4s);
  EXPECT_EQ(b.stateOf("2001"), AgentState::OnCall);
  EXPECT_EQ(b.call(1)->agentNo, "2001");
}

}  // namespace
}  // namespace bankcc::callctl
