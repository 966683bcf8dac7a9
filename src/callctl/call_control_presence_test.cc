// SPDX-License-Identifier: Apache-2.0
// The agent's desktop and web session as the core sees them (DOMAIN.md "Agent states"): a
// desktop gone for over 60 s makes the agent not_ready{desktop_lost}, a locked session
// not_ready{session_locked}; busy agents finish their call first. Virtual time.
#include <gtest/gtest.h>

#include "callctl/call_control.h"
#include "callctl/callctl_test_support.h"

namespace bankcc::callctl {
namespace {

using namespace testing;

class PresenceTest : public ::testing::Test {
 protected:
  PresenceTest() {
    EXPECT_TRUE(b.core().setQueue(queueSetup("retail", "95588", "retail")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1001", "8001", {"retail"})).ok());
  }
  void attach() {
    b.core().desktopAttached("1001");
    b.run(0ms);
  }
  void detach() {
    b.core().desktopDetached("1001");
    b.run(0ms);
  }
  CoreBench b;
};

TEST_F(PresenceTest, ADesktopGoneForAMinuteMakesTheAgentNotReady) {
  b.loginReady("1001", "8001");
  attach();
  detach();
  b.run(59s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  b.run(2s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1001"), "desktop_lost");
  // A caller now waits rather than ringing a phone nobody watches.
  b.sim().incomingCall("13800000000", "95588");
  b.run(5s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
  // Back at the desktop, the agent chooses ready again.
  attach();
  b.ready("1001");
  b.run(3s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::OnCall);
}

TEST_F(PresenceTest, AReconnectWithinTheGraceKeepsTheAgentReady) {
  b.loginReady("1001", "8001");
  attach();
  attach();  // a second tab
  detach();
  b.run(90s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);  // one desktop is still there
  detach();
  b.run(30s);
  attach();  // the browser reconnected
  b.run(90s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
}

TEST_F(PresenceTest, ABusyAgentFinishesTheCallFirst) {
  b.loginReady("1001", "8001");
  attach();
  const LegId caller = b.sim().incomingCall("13800000000", "95588");
  b.run(3s);
  ASSERT_EQ(b.stateOf("1001"), AgentState::OnCall);
  detach();
  b.takeEvents();
  b.run(61s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::OnCall);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 agent.next_state_set 1001 not_ready(desktop_lost)"}));
  b.sim().farHangup(caller);
  b.run(0ms);
  b.run(16s);  // the queue's 15 s wrap-up
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1001"), "desktop_lost");
}

TEST_F(PresenceTest, ALockedSessionMakesTheAgentNotReady) {
  b.loginReady("1001", "8001");
  b.core().sessionLocked("1001");
  b.run(0ms);
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1001"), "session_locked");
  // A not-ready agent keeps their own reason.
  b.ready("1001");
  b.notReady("1001", "break");
  b.core().sessionLocked("1001");
  b.run(0ms);
  EXPECT_EQ(b.reasonOf("1001"), "break");
  // Nobody sets the system's reasons by hand.
  for (const char* reason : {"session_locked", "desktop_lost"}) {
    const CommandReply r = b.send(agentActor("1001"), SetState{"1001", false, reason});
    EXPECT_EQ(r.code, "system_reason");
  }
}

TEST_F(PresenceTest, LoggingOutStopsTheDesktopClock) {
  b.loginReady("1001", "8001");
  attach();
  detach();
  b.run(10s);
  ASSERT_EQ(b.send(agentActor("1001"), Logout{"1001"}).status, CommandReply::Status::Accepted);
  b.login("1001", "8001");
  b.ready("1001");
  b.run(120s);
  // The old clock was stopped at log-out; with no desktop event since, nothing happens.
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  // Unknown agents and logged-out agents are ignored.
  b.core().desktopDetached("9999");
  b.core().sessionLocked("9999");
  b.run(61s);
}

}  // namespace
}  // namespace bankcc::callctl
