// SPDX-License-Identifier: Apache-2.0
// A connected call: hold and retrieve, DTMF, pausing the recording, blind transfer to a queue
// and to a number, and a supervisor's monitoring (listen, whisper, barge) — in virtual time on
// the simulated telephony port.
#include <gtest/gtest.h>

#include <algorithm>

#include "callctl/call_control.h"
#include "callctl/callctl_test_support.h"

namespace bankcc::callctl {
namespace {

using namespace testing;
using Status = CommandReply::Status;
using telephony::MonitorMode;

class ConversationTest : public ::testing::Test {
 protected:
  ConversationTest() : b(withTransferNumbers()) {
    EXPECT_TRUE(b.core().setQueue(queueSetup("retail", "95588", "retail")).ok());
    EXPECT_TRUE(b.core().setQueue(queueSetup("cards", "95599", "cards")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1001", "8001", {"retail"}, "team_a")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1002", "8002", {"cards"}, "team_a")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("2001", "8201", {"retail"}, "team_b")).ok());
  }

  /// A caller of 95588 talks with 1001 (the only ready retail agent). Returns the caller's leg.
  LegId connectedCall() {
    b.loginReady("1001", "8001");
    caller = b.sim().incomingCall("13800000000", "95588");
    b.run(2s);  // 1001's phone answers after 2 s
    EXPECT_EQ(b.stateOf("1001"), AgentState::OnCall);
    callId = b.callId(1);
    b.takeEvents();
    return caller;
  }
  // Every port command the core sent made sense to the engine (no hold of an ended leg, ...).
  void TearDown() override { EXPECT_EQ(b.sim().refusals(), std::vector<std::string>{}); }

  std::string recordingId() const {
    const auto* started = b.lastEvent<events::RecordingStarted>();
    return started == nullptr ? std::string()
                              : std::get<events::RecordingStarted>(started->payload).recordingId;
  }

  CoreBench b;
  LegId caller;
  std::string callId;
};

// ---- hold ----

TEST_F(ConversationTest, HoldPlaysMusicToTheCustomerAndRetrieveReconnects) {
  connectedCall();
  const LegId agent = b.agentLeg("8001");
  EXPECT_EQ(toString(b.sim().hears(caller)), "parties:" + agent.value);

  expectAccepted(b.send(agentActor("1001"), HoldCall{callId}));
  EXPECT_EQ(toString(b.sim().hears(caller)), "music:moh");
  EXPECT_EQ(toString(b.sim().hears(agent)), "silence");
  EXPECT_TRUE(b.core().calls().front().held);
  expectRefused(b.send(agentActor("1001"), HoldCall{callId}), Status::Conflict, "already_held");

  b.run(12s);
  expectAccepted(b.send(agentActor("1001"), RetrieveCall{callId}, "retrieve-1"));
  EXPECT_EQ(toString(b.sim().hears(caller)), "parties:" + agent.value);
  EXPECT_FALSE(b.core().calls().front().held);
  expectRefused(b.send(agentActor("1001"), RetrieveCall{callId}), Status::Conflict, "not_held");

  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.held", "C1 call.retrieved"}));
  EXPECT_EQ(b.eventsOf<events::CallRetrieved>().back()->heldMs, 12'000);
  EXPECT_EQ(b.lastEvent<events::CallRetrieved>()->requestId, "retrieve-1");
  EXPECT_EQ(b.lastEvent<events::CallHeld>()->agentId, "1001");
}

TEST_F(ConversationTest, HangingUpWhileHeldEndsTheCallNormally) {
  connectedCall();
  expectAccepted(b.send(agentActor("1001"), HoldCall{callId}));
  b.sim().farHangup(caller);
  b.run(0ms);
  const Lines events = b.takeEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(b.eventsOf<events::CallEnded>().size(), 1u);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
}

TEST_F(ConversationTest, CallCommandsCheckTheCallerAndTheState) {
  b.loginReady("2001", "8201");
  b.notReady("2001", "break");
  connectedCall();
  // Someone else's agent, a supervisor of another team: forbidden, and marked for the audit.
  const CommandReply other = b.send(agentActor("1002"), HoldCall{callId});
  expectRefused(other, Status::Forbidden, "not_your_call");
  EXPECT_TRUE(other.intervention);
  expectRefused(b.send(supervisorOf("team_b"), HoldCall{callId}), Status::Forbidden,
                "not_your_call");
  expectRefused(b.send(agentActor("1001"), HoldCall{"no-such-call"}), Status::NotFound,
                "unknown_call");
  // Their own supervisor may act; it is an intervention.
  const CommandReply sup = b.send(supervisorOf("team_a"), HoldCall{callId});
  expectAccepted(sup);
  EXPECT_TRUE(sup.intervention);
  const CommandReply own = b.send(agentActor("1001"), RetrieveCall{callId});
  expectAccepted(own);
  EXPECT_FALSE(own.intervention);

  // A call still waiting in the queue is not connected.
  b.sim().incomingCall("13900000000", "95588");
  b.run(0ms);
  expectRefused(b.send(adminActor(), HoldCall{b.callId(2)}), Status::Conflict, "not_connected");
}

// ---- mute ----

TEST_F(ConversationTest, MuteSilencesTheAgentForTheCustomerOnly) {
  connectedCall();
  const LegId agent = b.agentLeg("8001");
  expectAccepted(b.send(agentActor("1001"), MuteCall{callId, true}, "mute-1"));
  EXPECT_EQ(toString(b.sim().hears(caller)), "silence");
  EXPECT_EQ(toString(b.sim().hears(agent)), "parties:" + caller.value);  // still hears them
  EXPECT_TRUE(b.core().calls().front().muted);
  expectRefused(b.send(agentActor("1001"), MuteCall{callId, true}), Status::Conflict,
                "already_muted");
  b.run(4s);
  expectAccepted(b.send(agentActor("1001"), MuteCall{callId, false}, "unmute-1"));
  EXPECT_EQ(toString(b.sim().hears(caller)), "parties:" + agent.value);
  EXPECT_FALSE(b.core().calls().front().muted);
  expectRefused(b.send(agentActor("1001"), MuteCall{callId, false}), Status::Conflict, "not_muted");
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.muted", "C1 call.unmuted"}));
  EXPECT_EQ(b.eventsOf<events::CallUnmuted>().back()->mutedMs, 4'000);
  EXPECT_EQ(b.lastEvent<events::CallUnmuted>()->requestId, "unmute-1");
  // Someone else's call is not theirs to mute.
  expectRefused(b.send(agentActor("1002"), MuteCall{callId, true}), Status::Forbidden,
                "not_your_call");
}

TEST_F(ConversationTest, AMuteEndsWhenTheAgentLeavesTheCall) {
  b.loginReady("1002", "8002");
  connectedCall();
  expectAccepted(b.send(agentActor("1001"), MuteCall{callId, true}));
  expectAccepted(
      b.send(agentActor("1001"), BlindTransfer{callId, BlindTransfer::Target::Queue, "cards"}));
  const Lines events = b.takeEvents();
  EXPECT_NE(std::find(events.begin(), events.end(), "C1 call.unmuted"), events.end());
  b.run(3s);
  // The next agent starts unmuted.
  ASSERT_EQ(b.stateOf("1002"), AgentState::OnCall);
  EXPECT_FALSE(b.core().calls().front().muted);
  EXPECT_EQ(toString(b.sim().hears(caller)), "parties:" + b.agentLeg("8002").value);
}

// ---- DTMF ----

TEST_F(ConversationTest, SendDigitsGoesToTheCustomerAndIsNeverInAnEvent) {
  connectedCall();
  expectAccepted(b.send(agentActor("1001"), SendDigits{callId, "12*#AD"}));
  EXPECT_EQ(b.sim().leg(caller)->dtmfSent, "12*#AD");
  expectRefused(b.send(agentActor("1001"), SendDigits{callId, "12x"}), Status::Invalid,
                "bad_digits");
  expectRefused(b.send(agentActor("1001"), SendDigits{callId, ""}), Status::Invalid, "bad_digits");
  expectRefused(b.send(agentActor("1001"), SendDigits{callId, std::string(33, '1')}),
                Status::Invalid, "bad_digits");
  EXPECT_EQ(b.takeEvents(), Lines{});
}

// ---- recording ----

TEST_F(ConversationTest, PauseAndResumeTheRecording) {
  connectedCall();
  const std::string rec = recordingId();
  ASSERT_FALSE(rec.empty());
  expectRefused(b.send(agentActor("1001"), ResumeCallRecording{callId}), Status::Conflict,
                "not_paused");
  expectAccepted(b.send(agentActor("1001"), PauseCallRecording{callId}));
  EXPECT_TRUE(b.sim().recording(telephony::RecordingId{rec})->pausedByCommand);
  EXPECT_TRUE(b.core().calls().front().recordingPaused);
  expectRefused(b.send(agentActor("1001"), PauseCallRecording{callId}), Status::Conflict,
                "already_paused");
  b.run(8s);
  expectAccepted(b.send(agentActor("1001"), ResumeCallRecording{callId}));
  EXPECT_FALSE(b.sim().recording(telephony::RecordingId{rec})->pausedByCommand);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 recording.paused", "C1 recording.resumed"}));
  const auto* paused = b.eventsOf<events::RecordingPaused>().back();
  EXPECT_EQ(paused->recordingId, rec);
  EXPECT_EQ(paused->by, "1001");
  EXPECT_EQ(b.eventsOf<events::RecordingResumed>().back()->pausedMs, 8'000);
}

// ---- blind transfer ----

TEST_F(ConversationTest, BlindTransferToAQueueRequeuesTheCallerAndWrapsUpTheAgent) {
  b.loginReady("1002", "8002");
  connectedCall();
  b.run(20s);
  expectAccepted(b.send(agentActor("1001"), HoldCall{callId}));
  b.run(5s);
  expectAccepted(b.send(agentActor("1001"),
                        BlindTransfer{callId, BlindTransfer::Target::Queue, "cards"}, "xfer-1"));
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 call.held", "C1 call.transferred blind queue cards", "C1 call.retrieved",
                   "C1 agent 1001 on_call->wrap_up", "C1 queue.joined cards prio=0 pos=1",
                   "C1 routing.decided 1002 transferred", "C1 agent 1002 ready->reserved",
                   "C1 call.offered 1002 8002", "C1 recording.stopped"}));
  const auto* xfer = b.eventsOf<events::CallTransferred>().back();
  EXPECT_EQ(xfer->mode, "blind");
  EXPECT_EQ(xfer->targetType, "queue");
  EXPECT_EQ(xfer->target, "cards");
  EXPECT_EQ(xfer->talkMs, 25'000);
  EXPECT_EQ(b.lastEvent<events::CallTransferred>()->requestId, "xfer-1");
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  EXPECT_EQ(b.sim().leg(b.agentLeg("8001"))->state, sim::LegState::Ended);
  EXPECT_EQ(toString(b.sim().hears(caller)), "prompt:moh");  // the queue's music while waiting

  b.run(2s);  // 1002 answers
  const LegId second = b.agentLeg("8002");
  EXPECT_EQ(toString(b.sim().hears(caller)), "parties:" + second.value);
  const Lines answered = b.takeEvents();
  EXPECT_EQ(answered.front(), "C1 call.answered 1002 cards");
  EXPECT_EQ(b.eventsOf<events::RecordingStarted>().size(), 2u);  // one per agent
  // The caller's wait for the second agent counts from their arrival.
  EXPECT_EQ(b.eventsOf<events::CallAnswered>().back()->waitMs, 29'000);

  b.sim().farHangup(caller);
  b.run(0ms);
  EXPECT_EQ(b.eventsOf<events::CallEnded>().size(), 1u);
  EXPECT_EQ(b.stateOf("1002"), AgentState::WrapUp);
}

TEST_F(ConversationTest, BlindTransferRefusals) {
  connectedCall();
  expectRefused(
      b.send(agentActor("1001"), BlindTransfer{callId, BlindTransfer::Target::Queue, "nope"}),
      Status::NotFound, "unknown_queue");
  expectRefused(
      b.send(agentActor("1001"), BlindTransfer{callId, BlindTransfer::Target::Number, "95555"}),
      Status::Forbidden, "number_not_allowed");
  expectRefused(
      b.send(agentActor("1001"), BlindTransfer{callId, BlindTransfer::Target::Number, "40x"}),
      Status::Invalid, "bad_number");
  expectRefused(
      b.send(agentActor("1002"), BlindTransfer{callId, BlindTransfer::Target::Queue, "cards"}),
      Status::Forbidden, "not_your_call");
  EXPECT_EQ(b.takeEvents(), Lines{});
  EXPECT_EQ(b.stateOf("1001"), AgentState::OnCall);
}

TEST_F(ConversationTest, BlindTransferToAnAllowedNumberConnectsTheCallerThere) {
  connectedCall();
  sim::PhoneBehaviour answers;
  answers.answerAfter = 4s;
  b.sim().setExternalNumber("4008200588", answers);
  expectAccepted(b.send(agentActor("1001"),
                        BlindTransfer{callId, BlindTransfer::Target::Number, "4008200588"}));
  EXPECT_EQ(toString(b.sim().hears(caller)), "tone:Ringback");
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  EXPECT_EQ(b.core().calls().front().transferredTo, "4008200588");
  b.run(4s);
  const LegId external = b.agentLeg("4008200588");
  EXPECT_EQ(b.sim().leg(external)->ani, "13800000000");  // the customer's number is shown
  EXPECT_EQ(toString(b.sim().hears(caller)), "parties:" + external.value);
  b.sim().farHangup(external);
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 call.transferred blind number 4008200588", "C1 agent 1001 on_call->wrap_up",
                   "C1 recording.stopped", "C1 call.ended normal by=system"}));
}

TEST_F(ConversationTest, AFailedTransferToANumberReturnsTheCallerToTheQueue) {
  connectedCall();
  sim::PhoneBehaviour busy;
  busy.kind = sim::PhoneBehaviour::Kind::Busy;
  b.sim().setExternalNumber("4008200588", busy);
  expectAccepted(b.send(agentActor("1001"),
                        BlindTransfer{callId, BlindTransfer::Target::Number, "4008200588"}));
  b.run(0ms);
  const Lines events = b.takeEvents();
  EXPECT_NE(std::find(events.begin(), events.end(), "C1 queue.joined retail prio=0 pos=1"),
            events.end());
  EXPECT_EQ(b.core().calls().front().transferredTo, "");
  EXPECT_EQ(b.eventsOf<events::CallEnded>().size(), 0u);
  EXPECT_EQ(toString(b.sim().hears(caller)), "prompt:moh");
  // 1001 takes the caller back once wrap-up (15 s) is over.
  b.run(17s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::OnCall);
}

// ---- supervisor monitoring ----

TEST_F(ConversationTest, SupervisorListensWhispersBargesAndStops) {
  connectedCall();
  b.sim().registerPhone("8101");
  b.run(0ms);
  const CommandReply start =
      b.send(supervisorOf("team_a"), MonitorCall{"1001", MonitorMode::Listen, "8101"}, "mon-1");
  expectAccepted(start);
  EXPECT_TRUE(start.intervention);
  EXPECT_EQ(b.core().calls().front().monitoredBy, "sup_team_a");
  const LegId sup = b.agentLeg("8101");
  EXPECT_TRUE(b.sim().leg(sup)->state == sim::LegState::Answered);  // auto-answer, at once
  b.run(3s);
  EXPECT_EQ(b.sim().leg(sup)->monitorMode, MonitorMode::Listen);
  EXPECT_EQ(b.sim().leg(sup)->monitoring, b.agentLeg("8001"));

  b.run(10s);
  expectAccepted(
      b.send(supervisorOf("team_a"), MonitorCall{"1001", MonitorMode::Whisper, ""}, "mon-2"));
  EXPECT_EQ(b.sim().leg(sup)->monitorMode, MonitorMode::Whisper);
  expectAccepted(b.send(supervisorOf("team_a"), MonitorCall{"1001", MonitorMode::Barge, ""}));
  EXPECT_EQ(b.sim().leg(sup)->monitorMode, MonitorMode::Barge);
  b.run(5s);
  expectAccepted(b.send(supervisorOf("team_a"), StopMonitoring{"1001"}, "mon-stop"));
  b.run(0ms);
  EXPECT_EQ(b.sim().leg(sup)->state, sim::LegState::Ended);
  EXPECT_EQ(b.core().calls().front().monitoredBy, "");

  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 supervisor.monitor_started", "C1 supervisor.monitor_started",
                   "C1 supervisor.monitor_started", "C1 supervisor.monitor_ended"}));
  const auto started = b.eventsOf<events::SupervisorMonitorStarted>();
  EXPECT_EQ(started[0]->mode, "listen");
  EXPECT_EQ(started[0]->previousMode, "");
  EXPECT_EQ(started[0]->supervisor, "sup_team_a");
  EXPECT_EQ(started[0]->extension, "8101");
  EXPECT_EQ(started[1]->mode, "whisper");
  EXPECT_EQ(started[1]->previousMode, "listen");
  EXPECT_EQ(started[2]->mode, "barge");
  const auto* ended = b.eventsOf<events::SupervisorMonitorEnded>().back();
  EXPECT_EQ(ended->reason, "stopped");
  EXPECT_EQ(ended->durationMs, 18'000);
  EXPECT_EQ(b.lastEvent<events::SupervisorMonitorEnded>()->requestId, "mon-stop");
  // The call itself goes on.
  EXPECT_EQ(b.stateOf("1001"), AgentState::OnCall);
}

TEST_F(ConversationTest, MonitoringEndsWithTheCall) {
  connectedCall();
  b.sim().registerPhone("8101");
  b.run(0ms);
  expectAccepted(b.send(adminActor(), MonitorCall{"1001", MonitorMode::Listen, "8101"}));
  b.run(3s);
  b.takeEvents();
  b.sim().farHangup(caller);
  b.run(0ms);
  // The engine stops the recording with the caller's leg; monitoring ends before the call.
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 recording.stopped", "C1 supervisor.monitor_ended",
                   "C1 call.ended normal by=caller", "C1 agent 1001 on_call->wrap_up"}));
  EXPECT_EQ(b.eventsOf<events::SupervisorMonitorEnded>().back()->reason, "call_ended");
  EXPECT_EQ(b.eventsOf<events::CallEnded>().size(), 1u);
  EXPECT_EQ(b.sim().leg(b.agentLeg("8101"))->state, sim::LegState::Ended);
}

TEST_F(ConversationTest, SupervisorHangingUpEndsMonitoring) {
  connectedCall();
  b.sim().registerPhone("8101");
  b.run(0ms);
  expectAccepted(b.send(supervisorOf("team_a"), MonitorCall{"1001", MonitorMode::Listen, "8101"}));
  b.run(3s);
  b.sim().farHangup(b.agentLeg("8101"));
  b.run(0ms);
  EXPECT_EQ(b.eventsOf<events::SupervisorMonitorEnded>().back()->reason, "supervisor_hung_up");
  EXPECT_EQ(b.core().calls().front().monitoredBy, "");
  // Free to monitor again.
  expectAccepted(b.send(supervisorOf("team_a"), MonitorCall{"1001", MonitorMode::Listen, "8101"}));
}

TEST_F(ConversationTest, MonitorRefusals) {
  b.sim().registerPhone("8101");
  expectRefused(b.send(supervisorOf("team_a"), MonitorCall{"1001", MonitorMode::Listen, "8101"}),
                Status::Conflict, "not_on_call");
  connectedCall();
  expectRefused(b.send(agentActor("1002"), MonitorCall{"1001", MonitorMode::Listen, "8002"}),
                Status::Forbidden, "not_a_supervisor");
  expectRefused(b.send(supervisorOf("team_b"), MonitorCall{"1001", MonitorMode::Listen, "8101"}),
                Status::Forbidden, "not_your_team");
  expectRefused(b.send(supervisorOf("team_a"), MonitorCall{"9999", MonitorMode::Listen, "8101"}),
                Status::NotFound, "unknown_agent");
  expectRefused(b.send(supervisorOf("team_a"), MonitorCall{"1001", MonitorMode::Listen, "x"}),
                Status::Invalid, "bad_extension");
  expectRefused(b.send(supervisorOf("team_a"), MonitorCall{"1001", MonitorMode::Listen, "8001"}),
                Status::Conflict, "extension_in_use");
  expectRefused(b.send(supervisorOf("team_a"), MonitorCall{"1001", MonitorMode::Listen, "8102"}),
                Status::Conflict, "phone_unavailable");
  expectRefused(b.send(supervisorOf("team_a"), StopMonitoring{"1001"}), Status::Conflict,
                "not_monitoring");
  expectAccepted(b.send(supervisorOf("team_a"), MonitorCall{"1001", MonitorMode::Listen, "8101"}));
  expectRefused(b.send(adminActor(), MonitorCall{"1001", MonitorMode::Listen, "8102"}),
                Status::Conflict, "already_monitored");
  EXPECT_EQ(b.takeEvents(), Lines{"C1 supervisor.monitor_started"});  // only the accepted one
}

}  // namespace
}  // namespace bankcc::callctl
