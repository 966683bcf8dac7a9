// SPDX-License-Identifier: Apache-2.0
// The walk of a queue call and every end it can take, in virtual time (SimTelephony).
#include "callctl/call_control.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "callctl/callctl_test_support.h"

namespace bankcc::callctl {
namespace {

using namespace testing;
using Status = CommandReply::Status;

class CallControlTest : public ::testing::Test {
 protected:
  CallControlTest() {
    EXPECT_TRUE(b.core().setQueue(queueSetup("retail", "95588", "retail")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1001", "8001", {"retail"})).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1002", "8002", {"retail"})).ok());
  }
  /// A caller dials the retail hotline; the trace is emptied.
  LegId dial(std::map<std::string, std::string> headers = {}) {
    const LegId leg = b.sim().incomingCall("13800000000", "95588", std::move(headers));
    b.run(0ms);
    return leg;
  }
  void clearTraces() {
    b.takeEvents();
    b.takeCommands();
  }

  CoreBench b;
};

TEST_F(CallControlTest, HappyPathWalksTheCallFromArrivalToWrapUp) {
  b.loginReady("1001", "8001");
  EXPECT_EQ(b.takeEvents(),
            (Lines{"agent 1001 logged_out->not_ready(logged_in)", "agent 1001 not_ready->ready"}));
  b.takeCommands();

  const LegId caller = dial();
  EXPECT_EQ(b.takeEvents(), (Lines{
                                "C1 call.arrived",
                                "C1 queue.joined retail prio=0 pos=1",
                                "C1 routing.decided 1001 call_joined",
                                "C1 agent 1001 ready->reserved",
                                "C1 call.offered 1001 8001",
                            }));
  EXPECT_EQ(b.takeCommands(), (Lines{"Answer(L1)", "Play(L1,moh,loop)", "Originate(L2->8001)"}));
  const LegId agentLeg = b.agentLeg("8001");
  const auto& originate = std::get<telephony::Originate>(b.sim().commands().back());
  EXPECT_EQ(originate.near, caller);
  EXPECT_EQ(originate.callerId, "13800000000");
  EXPECT_EQ(originate.ringTimeout, 20s);
  EXPECT_FALSE(originate.autoAnswer);
  EXPECT_EQ(originate.headers.at("X-Bankcc-Call-Id"), b.callId(1));
  EXPECT_EQ(b.sim().hears(caller).name, "moh");
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Offered);

  b.run(2s);  // the phone answers after 2 s
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.answered 1001 retail", "C1 queue.left retail answered",
                                   "C1 agent 1001 reserved->on_call", "C1 recording.started"}));
  EXPECT_EQ(b.takeCommands(), (Lines{"StopPlay(L1)", "Bridge(L1,L2)", "StartRecording(L1,L2)"}));
  EXPECT_EQ(b.sim().leg(caller)->bridgedWith, agentLeg);
  const auto* answered = b.eventsOf<events::CallAnswered>().back();
  EXPECT_EQ(answered->waitMs, 2000);
  const auto recordingId = b.eventsOf<events::RecordingStarted>().back()->recordingId;
  EXPECT_TRUE(b.sim().recording(telephony::RecordingId{recordingId})->active);
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Connected);
  EXPECT_EQ(b.core().acd().waitingCalls(), 0u);

  b.run(60s);
  b.sim().farHangup(caller);
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 recording.stopped", "C1 call.ended normal by=caller",
                                   "C1 agent 1001 on_call->wrap_up"}));
  EXPECT_EQ(b.takeCommands(), (Lines{"Hangup(L2)"}));
  const auto* stopped = b.eventsOf<events::RecordingStopped>().back();
  EXPECT_EQ(stopped->recordingId, recordingId);
  EXPECT_EQ(stopped->durationMs, 60'000);
  EXPECT_EQ(stopped->file, "sim://" + recordingId);
  EXPECT_EQ(b.eventsOf<events::CallEnded>().back()->durationMs, 62'000);
  EXPECT_TRUE(b.core().calls().empty());
  EXPECT_EQ(b.core().agent("1001")->callId, b.callId(1));

  b.run(14900ms);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  b.run(100ms);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 agent 1001 wrap_up->ready"}));
  EXPECT_EQ(b.core().agent("1001")->callId, "");

  // Envelope: ids and time.
  for (const auto& e : b.events()) {
    if (std::holds_alternative<events::CallOffered>(e.payload)) {
      EXPECT_EQ(e.callId, b.callId(1));
      EXPECT_EQ(e.agentId, "1001");
      EXPECT_EQ(e.queueId, "retail");
      EXPECT_TRUE(e.requestId.empty());
    }
  }
  ASSERT_TRUE(b.core().routingExplanation(b.callId(1)).has_value());
  EXPECT_EQ(b.core().routingExplanation(b.callId(1))->trigger, "call_joined");
}

TEST_F(CallControlTest, AgentHangsUpAndTheCallerIsHungUp) {
  b.loginReady("1001", "8001");
  const LegId caller = dial();
  b.run(2s);
  clearTraces();
  b.sim().farHangup(b.agentLeg("8001"));
  b.run(0ms);
  EXPECT_EQ(b.takeCommands(), (Lines{"StopRecording", "Hangup(L1)"}));
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 recording.stopped", "C1 call.ended normal by=agent",
                                   "C1 agent 1001 on_call->wrap_up"}));
  EXPECT_EQ(b.sim().leg(caller)->state, sim::LegState::Ended);
}

TEST_F(CallControlTest, DrainEndsEveryCallInOrderAndRefusesNewOnes) {
  b.loginReady("1001", "8001");
  const LegId talking = dial();
  b.run(2s);                     // connected to 1001
  const LegId waiting = dial();  // nobody else is ready: it waits
  b.run(1s);
  ASSERT_EQ(b.core().calls().size(), 2u);
  clearTraces();

  b.core().drain();
  b.run(0ms);
  const Lines events = b.takeEvents();
  auto count = [&](const std::string& text) {
    return std::count_if(events.begin(), events.end(),
                         [&](const std::string& l) { return l.find(text) != std::string::npos; });
  };
  EXPECT_EQ(count("call.ended shutdown by=system"), 2) << ::testing::PrintToString(events);
  EXPECT_EQ(count("agent 1001 on_call->wrap_up"), 1) << ::testing::PrintToString(events);
  EXPECT_TRUE(b.core().calls().empty());
  EXPECT_EQ(b.sim().leg(talking)->state, sim::LegState::Ended);
  EXPECT_EQ(b.sim().leg(waiting)->state, sim::LegState::Ended);

  // A call arriving now is refused with 503 and still has its end in the log.
  const LegId late = dial();
  EXPECT_EQ(b.sim().leg(late)->endStatus, 503);
  EXPECT_EQ(b.takeEvents(), (Lines{"C3 call.arrived", "C3 call.ended shutdown by=system"}));
}

TEST_F(CallControlTest, CallerAbandonsInQueue) {
  const LegId caller = dial();
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.arrived", "C1 queue.joined retail prio=0 pos=1"}));
  b.run(30s);
  b.sim().farHangup(caller);
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 queue.left retail abandoned", "C1 call.ended normal by=caller"}));
  EXPECT_EQ(b.eventsOf<events::QueueLeft>().back()->waitedMs, 30'000);
  EXPECT_EQ(b.core().acd().waitingCalls(), 0u);
  EXPECT_TRUE(b.core().calls().empty());
}

TEST_F(CallControlTest, CallerAbandonsWhileTheAgentPhoneRings) {
  sim::PhoneBehaviour slow;
  slow.kind = sim::PhoneBehaviour::Kind::NeverAnswer;
  b.loginReady("1001", "8001", slow);
  const LegId caller = dial();
  b.run(5s);
  clearTraces();
  b.sim().farHangup(caller);
  b.run(0ms);
  EXPECT_EQ(b.takeCommands(), (Lines{"Hangup(L2)"}));
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 queue.left retail abandoned", "C1 call.ended normal by=caller",
                   "C1 agent 1001 reserved->ready"}));
  EXPECT_EQ(b.sim().leg(b.agentLeg("8001"))->state, sim::LegState::Ended);
}

TEST_F(CallControlTest, RingNoAnswerKeepsTheCallersPlaceAndTheNextAgentGetsIt) {
  sim::PhoneBehaviour deaf;
  deaf.kind = sim::PhoneBehaviour::Kind::NeverAnswer;
  b.loginReady("1001", "8001", deaf);
  dial();  // C1 goes to 1001, whose phone never answers
  b.run(1s);
  dial();  // C2 waits behind it
  b.sim().registerPhone("8002");
  b.run(0ms);
  b.login("1002", "8002");
  clearTraces();

  b.run(19s);  // the ring timeout: 20 s after the offer
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 agent 1001 reserved->not_ready(no_answer)"}));
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Queued);
  EXPECT_EQ(b.core().acd().position(b.callId(1), b.clock().now())->position, 1);

  b.ready("1002");
  EXPECT_EQ(b.takeEvents(),
            (Lines{"agent 1002 not_ready->ready", "C1 routing.decided 1002 agent_available",
                   "C1 agent 1002 ready->reserved", "C1 call.offered 1002 8002"}));
  b.run(2s);
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Connected);
  EXPECT_EQ(b.call(1)->agentNo, "1002");
  EXPECT_EQ(b.call(2)->phase, CallView::Phase::Queued);
  EXPECT_EQ(b.reasonOf("1001"), "no_answer");
}

TEST_F(CallControlTest, BusyPhoneMakesTheAgentUnavailableAndTheCallGoesOn) {
  sim::PhoneBehaviour busy;
  busy.kind = sim::PhoneBehaviour::Kind::Busy;
  b.loginReady("1002", "8002");  // ready first: idle longer
  b.loginReady("1001", "8001", busy);
  b.notReady("1002", "break");
  b.ready("1002");  // now 1001 has been idle longest
  clearTraces();
  dial();
  EXPECT_EQ(b.takeEvents(), (Lines{
                                "C1 call.arrived",
                                "C1 queue.joined retail prio=0 pos=1",
                                "C1 routing.decided 1001 call_joined",
                                "C1 agent 1001 ready->reserved",
                                "C1 call.offered 1001 8001",
                                "C1 agent 1001 reserved->not_ready(phone_unavailable)",
                                "C1 routing.decided 1002 offer_failed",
                                "C1 agent 1002 ready->reserved",
                                "C1 call.offered 1002 8002",
                            }));
}

TEST_F(CallControlTest, PhoneThatRejectsAfterRingingIsUnavailable) {
  sim::PhoneBehaviour rejecting;
  rejecting.kind = sim::PhoneBehaviour::Kind::Reject;
  rejecting.answerAfter = 3s;
  b.loginReady("1001", "8001", rejecting);
  dial();
  b.run(3s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1001"), "phone_unavailable");
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Queued);
}

TEST_F(CallControlTest, UnregisteredPhoneWhileReadyMakesTheAgentNotReady) {
  b.loginReady("1001", "8001");
  clearTraces();
  b.sim().unregisterPhone("8001");
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(), (Lines{"agent 1001 ready->not_ready(phone_unavailable)"}));
  const CommandReply r = b.send(agentActor("1001"), SetState{"1001", true, {}});
  EXPECT_EQ(r.status, Status::Conflict);
  EXPECT_EQ(r.code, "phone_unavailable");
  b.sim().registerPhone("8001");
  b.run(0ms);
  b.ready("1001");
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
}

TEST_F(CallControlTest, AgentLegDropRequeuesTheCallerForTheSameAgent) {
  b.loginReady("1002", "8002");  // idle longest: would win an open race
  b.notReady("1002", "break");
  b.loginReady("1001", "8001");
  const LegId caller = dial();
  b.ready("1002");
  b.run(2s);
  ASSERT_EQ(b.call(1)->agentNo, "1001");
  b.run(30s);
  clearTraces();

  b.sim().mediaTimeout(b.agentLeg("8001"));
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(), (Lines{
                                "C1 call.agent_lost 1001 media_timeout",
                                "C1 queue.joined retail prio=1000 pos=1",
                                "C1 agent 1001 on_call->ready",
                                "C1 routing.decided 1001 agent_available",
                                "C1 agent 1001 ready->reserved",
                                "C1 call.offered 1001 8001",
                                "C1 recording.stopped",
                            }));
  EXPECT_EQ(b.takeCommands(),
            (Lines{"StopRecording", "Play(L1,agent_lost)", "Originate(L3->8001)"}));
  EXPECT_EQ(b.eventsOf<events::CallAgentLost>().back()->talkMs, 30'000);
  b.run(2s);
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Connected);
  EXPECT_EQ(b.call(1)->agentNo, "1001");
  EXPECT_EQ(b.eventsOf<events::CallAnswered>().size(), 2u);
  EXPECT_EQ(b.sim().leg(caller)->bridgedWith, b.agentLeg("8001"));
}

TEST_F(CallControlTest, DroppedCallWaitsForItsAgentUntilThePreferenceEnds) {
  b.loginReady("1001", "8001");
  dial();
  b.run(2s);
  b.loginReady("1002", "8002");
  clearTraces();
  // 1001's phone is gone: the re-offer fails, and 1002 may take the caller only after 60 s.
  b.sim().unregisterPhone("8001");
  b.sim().mediaTimeout(b.agentLeg("8001"));
  b.run(0ms);
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1001"), "phone_unavailable");
  EXPECT_EQ(b.stateOf("1002"), AgentState::Ready);
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Queued);
  b.run(59s);
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Queued);
  b.takeEvents();
  b.run(1s);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 routing.decided 1002 preference_expired",
                                   "C1 agent 1002 ready->reserved", "C1 call.offered 1002 8002"}));
  // The recovery prompt ended meanwhile and the caller hears music again.
  EXPECT_EQ(b.sim().hears(b.sim().legs().front()).name, "moh");
}

TEST_F(CallControlTest, CallerMediaTimeoutCountsAsTheCallerHangingUp) {
  b.loginReady("1001", "8001");
  const LegId caller = dial();
  b.run(2s);
  clearTraces();
  b.sim().mediaTimeout(caller);
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 recording.stopped", "C1 call.ended media_timeout by=caller",
                                   "C1 agent 1001 on_call->wrap_up"}));
}

TEST_F(CallControlTest, FullQueueWithoutFallbackPlaysTheClosedPromptAndHangsUp) {
  QueueSetup q = queueSetup("retail", "95588", "retail");
  q.acd.maxSize = 1;
  ASSERT_TRUE(b.core().setQueue(q).ok());
  dial();
  clearTraces();
  const LegId second = dial();
  EXPECT_EQ(b.takeEvents(), (Lines{"C2 call.arrived", "C2 queue.left retail full"}));
  EXPECT_EQ(b.takeCommands(), (Lines{"Answer(L2)", "Play(L2,queue_closed)"}));
  b.run(3s);
  EXPECT_EQ(b.takeEvents(), (Lines{"C2 call.ended queue_full by=system"}));
  EXPECT_EQ(b.takeCommands(), (Lines{"Hangup(L2)"}));
  EXPECT_EQ(b.sim().leg(second)->state, sim::LegState::Ended);
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Queued);
}

TEST_F(CallControlTest, ClosedQueueTransfersToItsFallback) {
  QueueSetup q = queueSetup("retail", "95588", "retail");
  q.acd.open = false;
  q.acd.fallback = "4008001234";
  ASSERT_TRUE(b.core().setQueue(q).ok());
  sim::PhoneBehaviour answers;
  answers.answerAfter = 4s;
  b.sim().setExternalNumber("4008001234", answers);
  const LegId caller = dial();
  // (The fixture's queue was open: closing it says so.)
  EXPECT_EQ(b.takeEvents(),
            (Lines{"queue.open_changed", "C1 call.arrived", "C1 queue.left retail closed"}));
  b.run(3s);  // the closed prompt
  EXPECT_EQ(b.takeCommands(), (Lines{"Answer(L1)", "Play(L1,queue_closed)", "Play(L1,tone,loop)",
                                     "Originate(L2->4008001234)"}));
  b.run(4s);
  EXPECT_EQ(b.takeCommands(), (Lines{"StopPlay(L1)", "Bridge(L1,L2)"}));
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Connected);
  b.run(10s);
  b.sim().farHangup(b.sim().legs().back());
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.ended normal by=system"}));
  EXPECT_EQ(b.sim().leg(caller)->state, sim::LegState::Ended);
}

TEST_F(CallControlTest, FallbackThatDoesNotAnswerEndsTheCall) {
  QueueSetup q = queueSetup("retail", "95588", "retail");
  q.acd.open = false;
  q.acd.fallback = "4008001234";  // unreachable in the sim
  ASSERT_TRUE(b.core().setQueue(q).ok());
  dial();
  b.run(3s);
  EXPECT_EQ(b.takeEvents().back(), "C1 call.ended fallback_failed by=system");
}

TEST_F(CallControlTest, MaximumWaitSendsTheCallerToTheFallback) {
  QueueSetup q = queueSetup("retail", "95588", "retail");
  q.acd.maxWait = 120s;
  ASSERT_TRUE(b.core().setQueue(q).ok());
  dial();
  clearTraces();
  b.run(120s);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 queue.left retail timed_out"}));
  b.run(3s);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.ended queue_timeout by=system"}));
}

TEST_F(CallControlTest, OverflowStepMovesTheCallToAnotherQueue) {
  ASSERT_TRUE(b.core().setQueue(queueSetup("loans", "95599", "loans")).ok());
  QueueSetup q = queueSetup("retail", "95588", "retail");
  q.acd.steps = {{.after = 30s, .kind = acd::OverflowStep::Kind::MoveTo, .target = "loans"}};
  ASSERT_TRUE(b.core().setQueue(q).ok());
  ASSERT_TRUE(b.core().setAgent(agentSetup("2001", "8101", {"loans"})).ok());
  b.loginReady("2001", "8101");
  dial();
  clearTraces();
  b.run(30s);
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 queue.left retail moved", "C1 queue.joined loans prio=0 pos=1",
                   "C1 routing.decided 2001 moved", "C1 agent 2001 ready->reserved",
                   "C1 call.offered 2001 8101"}));
}

TEST_F(CallControlTest, VipOvertakesNormalCallers) {
  b.sim().registerPhone("8001");
  b.run(0ms);
  b.login("1001", "8001");
  dial();  // C1 normal
  b.run(10s);
  dial({{"X-Bankcc-Tier", "vip"}});  // C2 VIP
  EXPECT_EQ(b.call(2)->priority, 10);
  EXPECT_EQ(b.call(2)->tier, "vip");
  clearTraces();
  b.ready("1001");
  EXPECT_EQ(b.call(2)->phase, CallView::Phase::Offered);
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Queued);
  const auto* offered = b.eventsOf<events::CallOffered>().back();
  EXPECT_EQ(offered->tier, "vip");
  EXPECT_EQ(offered->priority, 10);
}

TEST_F(CallControlTest, TierFromAnAgentPhoneIsIgnored) {
  b.sim().callFromPhone("8009", "95588", {{"X-Bankcc-Tier", "vip"}});
  b.run(0ms);
  EXPECT_EQ(b.call(1)->priority, 0);
  EXPECT_EQ(b.call(1)->tier, "");
}

TEST_F(CallControlTest, AgentInTwoQueuesGetsTheOldestCall) {
  ASSERT_TRUE(b.core().setQueue(queueSetup("cards", "95577", "cards")).ok());
  ASSERT_TRUE(b.core().setAgent(agentSetup("3001", "8301", {"retail", "cards"})).ok());
  b.sim().registerPhone("8301");
  b.run(0ms);
  b.login("3001", "8301");
  b.sim().incomingCall("13900000000", "95577");  // C1 cards, first
  b.run(5s);
  dial();  // C2 retail
  b.ready("3001");
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Offered);
  EXPECT_EQ(b.call(1)->agentNo, "3001");
  EXPECT_EQ(b.call(2)->phase, CallView::Phase::Queued);
}

TEST_F(CallControlTest, UnknownDnisIsRejected) {
  const LegId leg = b.sim().incomingCall("13800000000", "12345");
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.arrived", "C1 call.ended unknown_dnis by=system"}));
  EXPECT_EQ(b.takeCommands(), (Lines{"Reject(L1,404)"}));
  EXPECT_EQ(b.sim().leg(leg)->state, sim::LegState::Ended);
  EXPECT_TRUE(b.core().calls().empty());
}

TEST_F(CallControlTest, DesktopAnswerOriginatesTheAutoAnswerPhone) {
  ASSERT_TRUE(
      b.core()
          .setAgent(agentSetup("1001", "8001", {"retail"}, "team_a", /*autoAnswerPhone=*/true))
          .ok());
  b.loginReady("1001", "8001");
  clearTraces();
  dial();
  EXPECT_EQ(b.takeEvents().back(), "C1 call.offered 1001 8001 desktop");
  EXPECT_EQ(b.takeCommands(), (Lines{"Answer(L1)", "Play(L1,moh,loop)"}));
  b.run(3s);
  const CommandReply r = b.send(agentActor("1001"), AnswerCall{b.callId(1)}, "answer-1");
  ASSERT_EQ(r.status, Status::Accepted) << r.code;
  EXPECT_EQ(b.takeCommands(), (Lines{"Originate(L2->8001,auto)", "StopPlay(L1)", "Bridge(L1,L2)",
                                     "StartRecording(L1,L2)"}));
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Connected);
  EXPECT_EQ(b.lastEvent<events::CallAnswered>()->requestId, "answer-1");
  const CommandReply again = b.send(agentActor("1001"), AnswerCall{b.callId(1)});
  EXPECT_EQ(again.status, Status::Conflict);
  EXPECT_EQ(again.code, "not_offered");
}

TEST_F(CallControlTest, DesktopAnswerNotGivenInTimeIsNoAnswer) {
  ASSERT_TRUE(
      b.core()
          .setAgent(agentSetup("1001", "8001", {"retail"}, "team_a", /*autoAnswerPhone=*/true))
          .ok());
  b.loginReady("1001", "8001");
  dial();
  b.run(20s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1001"), "no_answer");
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Queued);
}

TEST_F(CallControlTest, AgentWithTheAutoAnswerPreferenceIsConnectedAtOnce) {
  AgentSetup a = agentSetup("1001", "8001", {"retail"}, "team_a", /*autoAnswerPhone=*/true);
  a.autoAnswer = true;
  ASSERT_TRUE(b.core().setAgent(a).ok());
  b.loginReady("1001", "8001");
  clearTraces();
  dial();
  b.run(0ms);
  EXPECT_EQ(b.takeCommands().at(2), "Originate(L2->8001,auto)");
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Connected);
}

TEST_F(CallControlTest, AnswerOnAPhoneThatDoesNotAutoAnswerIsRefused) {
  b.loginReady("1001", "8001");
  dial();
  const CommandReply r = b.send(agentActor("1001"), AnswerCall{b.callId(1)});
  EXPECT_EQ(r.status, Status::Conflict);
  EXPECT_EQ(r.code, "answer_on_phone");
}

TEST_F(CallControlTest, SupervisorHangupIsForced) {
  b.loginReady("1001", "8001");
  dial();
  b.run(2s);
  b.takeEvents();
  const CommandReply r = b.send(supervisorOf("team_a"), HangupCall{b.callId(1)}, "kill-1");
  ASSERT_EQ(r.status, Status::Accepted);
  const Lines ev = b.takeEvents();
  EXPECT_NE(std::find(ev.begin(), ev.end(), "C1 call.ended forced by=system"), ev.end());
  EXPECT_EQ(b.lastEvent<events::CallEnded>()->requestId, "kill-1");
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
}

TEST_F(CallControlTest, AgentHangupByCommand) {
  b.loginReady("1001", "8001");
  dial();
  b.run(2s);
  b.takeEvents();
  const CommandReply r = b.send(agentActor("1001"), HangupCall{b.callId(1)}, "bye-1");
  ASSERT_EQ(r.status, Status::Accepted);
  const events::Event* ended = b.lastEvent<events::CallEnded>();
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(std::get<events::CallEnded>(ended->payload).hungUpBy, "agent");
  EXPECT_EQ(ended->requestId, "bye-1");
  // The wrap-up that follows was caused by the same request.
  const events::Event* wrap = b.lastEvent<events::AgentStateChanged>();
  EXPECT_EQ(std::get<events::AgentStateChanged>(wrap->payload).to, AgentState::WrapUp);
  EXPECT_EQ(wrap->requestId, "bye-1");
}

TEST_F(CallControlTest, NewAgentSetupRoutesWaitingCalls) {
  dial();
  ASSERT_TRUE(b.core().setAgent(agentSetup("4001", "8401", {"cards"})).ok());
  b.loginReady("4001", "8401");
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Queued);
  // Given the retail skill while ready, the agent is offered the waiting call.
  ASSERT_TRUE(b.core().setAgent(agentSetup("4001", "8401", {"cards", "retail"})).ok());
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Offered);
  EXPECT_EQ(b.core().routingExplanation(b.callId(1))->trigger, "setup_changed");
}

TEST_F(CallControlTest, OrganisationChangesAreValidated) {
  QueueSetup other = queueSetup("other", "95588", "retail");  // retail's DNIS
  EXPECT_EQ(b.core().setQueue(other).error().code, base::Errc::Conflict);
  QueueSetup bad = queueSetup("bad", "95000", "retail");
  bad.acd.needs.clear();
  EXPECT_EQ(b.core().setQueue(bad).error().code, base::Errc::ValidationFailed);
  AgentSetup agent = agentSetup("5001", "8501", {"retail"});
  agent.acd.skills[0].proficiency = 9;
  EXPECT_EQ(b.core().setAgent(agent).error().code, base::Errc::ValidationFailed);
  b.loginReady("1001", "8001");
  dial();  // offered to 1001: busy
  EXPECT_EQ(b.core().removeAgent("1001").error().code, base::Errc::Conflict);
  EXPECT_EQ(b.core().removeAgent("9999").error().code, base::Errc::NotFound);
  EXPECT_TRUE(b.core().removeAgent("1002").ok());
  dial();
  EXPECT_EQ(b.core().removeQueue("retail").error().code, base::Errc::Conflict);
}

}  // namespace
}  // namespace bankcc::callctl
