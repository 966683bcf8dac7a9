// SPDX-License-Identifier: Apache-2.0
// The persistent agent line (常连接, decision 0027), in virtual time (SimTelephony).
#include <gtest/gtest.h>

#include <algorithm>

#include "callctl/call_control.h"
#include "callctl/callctl_test_support.h"

namespace bankcc::callctl {
namespace {

using namespace testing;
using Status = CommandReply::Status;

class LineTest : public ::testing::Test {
 protected:
  LineTest() : b(withTransferNumbers()) {
    EXPECT_TRUE(b.core().setQueue(queueSetup("retail", "95588", "retail")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1001", "8001", {"retail"})).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1002", "8002", {"retail"})).ok());
  }

  /// Registers the phone, logs the agent in with a persistent line, lets the phone answer it
  /// (2 s) and makes the agent ready. Returns the line's leg; traces are emptied.
  LegId loginWithLine(const std::string& agentNo, const std::string& extension) {
    b.sim().registerPhone(extension);
    b.run(0ms);
    expectAccepted(b.send(agentActor(agentNo), Login{agentNo, extension, true}));
    const LegId line = b.agentLeg(extension);
    b.run(2s);
    b.ready(agentNo);
    clearTraces();
    return line;
  }
  LegId dial() {
    const LegId leg = b.sim().incomingCall("13800000000", "95588");
    b.run(0ms);
    return leg;
  }
  void clearTraces() {
    b.takeEvents();
    b.takeCommands();
  }
  /// Originates to `extension` since the last takeCommands() (without taking them).
  std::size_t originatesTo(const std::string& extension) {
    return static_cast<std::size_t>(
        std::count_if(b.sim().commands().begin(), b.sim().commands().end(), [&](const auto& c) {
          const auto* o = std::get_if<telephony::Originate>(&c);
          return o != nullptr && o->to.number == extension;
        }));
  }
  std::string lineOf(const std::string& agentNo) { return b.core().agent(agentNo)->line; }

  CoreBench b;
};

TEST_F(LineTest, LoginDialsTheLineAndItConnectsWithoutMakingTheAgentReady) {
  b.sim().registerPhone("8001");
  b.run(0ms);
  b.takeEvents();
  expectAccepted(b.send(agentActor("1001"), Login{"1001", "8001", true}));
  EXPECT_EQ(b.takeEvents(), (Lines{"agent 1001 logged_out->not_ready(logged_in)",
                                   "agent.line_changed 1001 dialing"}));
  EXPECT_EQ(b.takeCommands(), (Lines{"Originate(L1->8001)"}));
  const auto& dial = std::get<telephony::Originate>(b.sim().commands().back());
  EXPECT_FALSE(dial.near.has_value());
  EXPECT_EQ(dial.headers.at("X-Bankcc-Line"), "1001");
  EXPECT_EQ(lineOf("1001"), "dialing");
  EXPECT_TRUE(b.core().agent("1001")->persistent);

  b.run(2s);
  EXPECT_EQ(b.takeEvents(), (Lines{"agent.line_changed 1001 connected"}));
  EXPECT_EQ(lineOf("1001"), "connected");
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1001"), "logged_in");
}

TEST_F(LineTest, ACallerIsPutThroughAtOnceAndTheLineOutlivesTheCall) {
  const LegId line = loginWithLine("1001", "8001");
  const LegId caller = dial();
  EXPECT_EQ(b.takeEvents(), (Lines{
                                "C1 call.arrived",
                                "C1 queue.joined retail prio=0 pos=1",
                                "C1 routing.decided 1001 call_joined",
                                "C1 agent 1001 ready->reserved",
                                "C1 call.offered 1001 8001 line",
                                "C1 call.answered 1001 retail",
                                "C1 queue.left retail answered",
                                "C1 agent 1001 reserved->on_call",
                                "C1 recording.started",
                            }));
  // No ringing: the line is bridged (customer first, so the engine moves the line to the
  // customer's media worker) with a short tone to the agent.
  EXPECT_EQ(b.takeCommands(), (Lines{"Answer(L2)", "Play(L2,moh,loop)", "Play(L1,tone)",
                                     "StopPlay(L2)", "Bridge(L2,L1)", "StartRecording(L2,L1)"}));
  EXPECT_EQ(b.sim().leg(caller)->bridgedWith, line);
  EXPECT_EQ(b.eventsOf<events::CallAnswered>().back()->waitMs, 0);
  EXPECT_EQ(lineOf("1001"), "in_call");

  b.run(30s);
  b.sim().farHangup(caller);
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 recording.stopped", "C1 call.ended normal by=caller",
                                   "C1 agent 1001 on_call->wrap_up"}));
  EXPECT_EQ(b.takeCommands(), (Lines{"Isolate(L1)"}));  // not hung up
  EXPECT_EQ(b.sim().leg(line)->state, sim::LegState::Answered);
  EXPECT_EQ(lineOf("1001"), "connected");
  EXPECT_TRUE(b.core().calls().empty());

  // After wrap-up the next caller takes the same line.
  b.run(15s);
  const LegId second = dial();
  EXPECT_EQ(b.sim().leg(second)->bridgedWith, line);
  EXPECT_EQ(originatesTo("8001"), 1u);  // the login's only
  EXPECT_TRUE(b.sim().refusals().empty()) << b.sim().refusals().front();
}

TEST_F(LineTest, TheAgentHangingUpFromTheDesktopKeepsTheLine) {
  const LegId line = loginWithLine("1001", "8001");
  const LegId caller = dial();
  clearTraces();
  expectAccepted(b.send(agentActor("1001"), HangupCall{b.callId(1)}));
  b.run(0ms);
  EXPECT_EQ(b.sim().leg(caller)->state, sim::LegState::Ended);
  EXPECT_EQ(b.sim().leg(line)->state, sim::LegState::Answered);
  EXPECT_FALSE(b.sim().leg(line)->bridgedWith.has_value());
  EXPECT_EQ(lineOf("1001"), "connected");
  EXPECT_TRUE(b.core().calls().empty());
}

TEST_F(LineTest, ThePhoneHangingUpEndsLineAndCallAndTheNextAnsweredLegBecomesTheLine) {
  const LegId line = loginWithLine("1001", "8001");
  const LegId caller = dial();
  clearTraces();
  b.sim().farHangup(line);
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(),
            (Lines{"agent.line_changed 1001 disconnected(hung_up)", "C1 recording.stopped",
                   "C1 call.ended normal by=agent", "C1 agent 1001 on_call->wrap_up"}));
  EXPECT_EQ(b.sim().leg(caller)->state, sim::LegState::Ended);
  EXPECT_EQ(lineOf("1001"), "");

  // Without a line an offer rings the phone; answered, that leg becomes the line.
  b.run(15s);
  const LegId next = dial();
  EXPECT_EQ(originatesTo("8001"), 2u);
  const LegId rung = b.agentLeg("8001");
  EXPECT_NE(rung, line);
  b.run(2s);
  EXPECT_EQ(b.sim().leg(next)->bridgedWith, rung);
  EXPECT_EQ(lineOf("1001"), "in_call");
  EXPECT_EQ(b.eventsOf<events::AgentLineChanged>().back()->state, "connected");
  b.sim().farHangup(next);
  b.run(0ms);
  EXPECT_EQ(b.sim().leg(rung)->state, sim::LegState::Answered);  // kept as the line
  EXPECT_EQ(lineOf("1001"), "connected");
}

TEST_F(LineTest, TheLineHungUpBetweenCallsMeansOffersRingThePhone) {
  const LegId line = loginWithLine("1001", "8001");
  b.sim().farHangup(line);
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(), (Lines{"agent.line_changed 1001 disconnected(hung_up)"}));
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  dial();
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Offered);
  EXPECT_EQ(originatesTo("8001"), 2u);
}

TEST_F(LineTest, ALineThatIsNotAnsweredIsGivenUp) {
  b.sim().registerPhone("8001", neverAnswers());
  b.run(0ms);
  expectAccepted(b.send(agentActor("1001"), Login{"1001", "8001", true}));
  b.run(40s);
  EXPECT_EQ(b.eventsOf<events::AgentLineChanged>().back()->state, "disconnected");
  EXPECT_EQ(b.eventsOf<events::AgentLineChanged>().back()->cause, "no_answer");
  EXPECT_EQ(lineOf("1001"), "");
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
}

TEST_F(LineTest, SetLineRedialsAndHangsUpBetweenCallsOnly) {
  const LegId line = loginWithLine("1001", "8001");
  expectRefused(b.send(agentActor("1001"), SetLine{"1001", true}), Status::Conflict,
                "line_connected");
  expectRefused(b.send(agentActor("1002"), SetLine{"1001", false}), Status::Forbidden,
                "not_your_agent");
  expectRefused(b.send(agentActor("1002"), SetLine{"1002", true}), Status::Conflict,
                "not_logged_in");
  expectRefused(b.send(agentActor("1001"), SetLine{"9999", true}), Status::NotFound,
                "unknown_agent");

  dial();
  expectRefused(b.send(agentActor("1001"), SetLine{"1001", false}), Status::Conflict, "agent_busy");
  b.sim().farHangup(b.sim().legs()[1]);  // the caller
  b.run(0ms);
  clearTraces();

  // In wrap-up the agent may hang the line up; it then stays down (no adoption).
  expectAccepted(b.send(agentActor("1001"), SetLine{"1001", false}));
  EXPECT_EQ(b.takeEvents(), (Lines{"agent.line_changed 1001 disconnected(agent)"}));
  EXPECT_EQ(b.takeCommands(), (Lines{"Hangup(L1)"}));
  EXPECT_EQ(b.sim().leg(line)->state, sim::LegState::Ended);
  EXPECT_FALSE(b.core().agent("1001")->persistent);
  expectRefused(b.send(agentActor("1001"), SetLine{"1001", false}), Status::Conflict, "no_line");

  expectAccepted(b.send(agentActor("1001"), SetLine{"1001", true}));
  EXPECT_EQ(b.takeEvents(), (Lines{"agent.line_changed 1001 dialing"}));
  b.run(2s);
  EXPECT_EQ(lineOf("1001"), "connected");
  EXPECT_TRUE(b.core().agent("1001")->persistent);
}

TEST_F(LineTest, LogoutAndALostRegistrationHangTheLineUp) {
  const LegId line = loginWithLine("1001", "8001");
  b.notReady("1001", "break");
  expectAccepted(b.send(agentActor("1001"), Logout{"1001"}));
  EXPECT_EQ(b.eventsOf<events::AgentLineChanged>().back()->cause, "logged_out");
  b.run(0ms);
  EXPECT_EQ(b.sim().leg(line)->state, sim::LegState::Ended);

  const LegId second = loginWithLine("1001", "8001");
  b.sim().unregisterPhone("8001");
  b.run(0ms);
  EXPECT_EQ(b.eventsOf<events::AgentLineChanged>().back()->cause, "phone_unavailable");
  EXPECT_EQ(b.sim().leg(second)->state, sim::LegState::Ended);
  EXPECT_EQ(b.reasonOf("1001"), "phone_unavailable");

  // The phone back: the line is dialled again by itself.
  b.sim().registerPhone("8001");
  b.run(0ms);
  EXPECT_EQ(lineOf("1001"), "dialing");
  b.run(2s);
  EXPECT_EQ(lineOf("1001"), "connected");
}

TEST_F(LineTest, AConsultedColleagueOnALineAnswersAtOnceAndTakesTheTransfer) {
  const LegId lineA = loginWithLine("1001", "8001");
  const LegId caller = dial();
  const LegId lineB = loginWithLine("1002", "8002");
  expectAccepted(b.send(agentActor("1001"), Consult{b.callId(1), Consult::Target::Agent, "1002"}));
  b.run(0ms);
  const Lines events = b.takeEvents();
  EXPECT_NE(std::find(events.begin(), events.end(), "C2 call.offered 1002 8002 line"),
            events.end());
  EXPECT_EQ(b.stateOf("1002"), AgentState::OnCall);
  EXPECT_EQ(b.takeCommands(), (Lines{"Hold(L2)", "Play(L3,tone)", "Monitor(L3,L1,L2)"}));
  EXPECT_EQ(originatesTo("8002"), 1u);  // the login's only

  expectAccepted(b.send(agentActor("1001"), CompleteTransfer{b.callId(1)}));
  b.run(0ms);
  // Agent 1001's line leaves the call and stays up; 1002's line talks to the caller.
  EXPECT_EQ(b.sim().leg(lineA)->state, sim::LegState::Answered);
  EXPECT_FALSE(b.sim().leg(lineA)->bridgedWith.has_value());
  EXPECT_EQ(b.sim().leg(caller)->bridgedWith, lineB);
  EXPECT_EQ(lineOf("1001"), "connected");
  EXPECT_EQ(lineOf("1002"), "in_call");
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);

  b.sim().farHangup(caller);
  b.run(0ms);
  EXPECT_EQ(b.sim().leg(lineB)->state, sim::LegState::Answered);
  EXPECT_EQ(lineOf("1002"), "connected");
  EXPECT_TRUE(b.sim().refusals().empty()) << b.sim().refusals().front();
}

TEST_F(LineTest, MakeCallFromALineDialsTheTargetAtOnce) {
  CoreOptions options = withTransferNumbers();
  options.outboundNumbers = {"139"};
  CoreBench ob(options);
  ASSERT_TRUE(ob.core().setAgent(agentSetup("1001", "8001", {"retail"})).ok());
  ob.sim().registerPhone("8001");
  ob.sim().setExternalNumber("13900000000", {});
  ob.run(0ms);
  expectAccepted(ob.send(agentActor("1001"), Login{"1001", "8001", true}));
  ob.run(2s);
  const LegId line = ob.agentLeg("8001");
  ob.takeCommands();
  const CommandReply r =
      ob.send(agentActor("1001"), MakeCall{"1001", MakeCall::Target::Number, "13900000000"});
  expectAccepted(r);
  ob.run(0ms);
  EXPECT_EQ(ob.takeCommands(), (Lines{"Play(L1,tone,loop)", "Originate(L2->13900000000)"}));
  EXPECT_EQ(std::get<telephony::Originate>(ob.sim().commands().back()).near, line);
  ob.run(3s);
  const LegId far = ob.agentLeg("13900000000");
  EXPECT_EQ(ob.sim().leg(far)->bridgedWith, line);
  ob.sim().farHangup(far);
  ob.run(0ms);
  EXPECT_EQ(ob.sim().leg(line)->state, sim::LegState::Answered);
  EXPECT_EQ(ob.core().agent("1001")->line, "connected");
}

}  // namespace
}  // namespace bankcc::callctl
