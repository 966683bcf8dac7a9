// SPDX-License-Identifier: Apache-2.0
// Organisation changes the core must refuse (decision 0023): vetQueue, vetRemoveQueue, vetAgent
// and vetRemoveAgent, asked before a change is committed, and the removal of a logged-in agent.
#include <gtest/gtest.h>

#include "callctl/call_control.h"
#include "callctl/callctl_test_support.h"

namespace bankcc::callctl {
namespace {

using namespace testing;

class OrgVetTest : public ::testing::Test {
 protected:
  OrgVetTest() {
    EXPECT_TRUE(b.core().setQueue(queueSetup("retail", "95588", "retail")).ok());
    EXPECT_TRUE(b.core().setQueue(queueSetup("loans", "95599", "loans")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1001", "8001", {"retail", "loans"})).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1002", "8002", {"retail"})).ok());
  }

  static std::string codeOf(const std::optional<OrgVeto>& v) { return v ? v->code : "none"; }

  CoreBench b;
};

TEST_F(OrgVetTest, AChangeThatLeavesWaitingCallsWithoutAnAgentIsVetoed) {
  b.loginReady("1001", "8001");
  b.notReady("1001", "break");  // logged in, so a member, but takes nothing
  b.sim().incomingCall("13800000001", "95599");
  b.run(1s);
  const std::string waiting = b.callId(1);

  // Loans needs mortgage now: nobody logged in has it.
  QueueSetup loans = queueSetup("loans", "95599", "mortgage");
  const auto veto = b.core().vetQueue(loans);
  ASSERT_TRUE(veto.has_value());
  EXPECT_EQ(veto->code, "calls_stranded");
  EXPECT_NE(veto->message.find(waiting), std::string::npos) << veto->message;
  EXPECT_EQ(codeOf(b.core().vetQueue(queueSetup("loans", "95599", "loans"))), "none");
  // Taking loans from 1001, or disabling them, strands the call; other changes do not.
  EXPECT_EQ(codeOf(b.core().vetAgent(agentSetup("1001", "8001", {"retail"}))), "calls_stranded");
  EXPECT_EQ(codeOf(b.core().vetAgent(agentSetup("1001", "8001", {"loans"}))), "none");
  EXPECT_EQ(codeOf(b.core().vetRemoveAgent("1001")), "calls_stranded");
  EXPECT_EQ(codeOf(b.core().vetRemoveAgent("1002")), "none");  // logged out
  EXPECT_EQ(codeOf(b.core().vetRemoveQueue("loans")), "calls_waiting");
  EXPECT_EQ(codeOf(b.core().vetRemoveQueue("retail")), "none");
  EXPECT_EQ(codeOf(b.core().vetQueue(queueSetup("new", "95500", "x"))), "none");  // unknown

  // Once 1001 logged out the call has no agent anyway: a change cannot strand it further.
  expectAccepted(b.send(agentActor("1001"), Logout{"1001"}));
  EXPECT_EQ(codeOf(b.core().vetQueue(loans)), "none");
}

TEST_F(OrgVetTest, AnAgentOnACallCannotBeDisabledOrLoseTheirExtension) {
  b.loginReady("1002", "8002");
  b.sim().incomingCall("13800000001", "95588");
  b.run(5s);
  ASSERT_EQ(b.stateOf("1002"), AgentState::OnCall);
  const auto busy = b.core().vetRemoveAgent("1002");
  ASSERT_TRUE(busy.has_value());
  EXPECT_EQ(busy->code, "agent_busy");
  EXPECT_NE(busy->message.find(b.callId(1)), std::string::npos) << busy->message;
  EXPECT_EQ(b.core().removeAgent("1002").error().code, base::Errc::Conflict);
  EXPECT_EQ(codeOf(b.core().vetAgent(agentSetup("1002", "8009", {"retail"}))), "extension_in_use");
  EXPECT_EQ(codeOf(b.core().vetAgent(agentSetup("1002", "8002", {"retail", "loans"}))), "none");
}

TEST_F(OrgVetTest, DisablingAFreeLoggedInAgentLogsThemOut) {
  b.loginReady("1002", "8002");
  b.takeEvents();
  EXPECT_EQ(codeOf(b.core().vetRemoveAgent("1002")), "none");
  ASSERT_TRUE(b.core().removeAgent("1002").ok());
  EXPECT_EQ(b.takeEvents(), (Lines{"agent 1002 ready->logged_out"}));
  EXPECT_FALSE(b.core().agent("1002").has_value());
  // The extension is free for whoever logs in with it next.
  ASSERT_TRUE(b.core().setAgent(agentSetup("1003", "8002", {"retail"})).ok());
  b.login("1003", "8002");
}

}  // namespace
}  // namespace bankcc::callctl
