// SPDX-License-Identifier: Apache-2.0
// SimTelephony in virtual time: originate and registrations, bridge, hold and monitor, recording,
// ending legs, inspection, time and determinism.
#include <gtest/gtest.h>

#include <string>

#include "sim/sim_telephony.h"
#include "sim/sim_telephony_test_support.h"

namespace bankcc::sim::test {
namespace {

using namespace std::chrono_literals;

// ---- Originate and registrations ----

TEST_F(SimTelephonyTest, OriginateToARegisteredExtensionRingsThenAnswers) {
  PhoneBehaviour phone;
  phone.answerAfter = 4s;
  sim_.registerPhone("8001", phone);
  sim_.execute(originate("agent-1", Destination::Kind::Extension, "8001"));
  run(0ms);
  EXPECT_EQ(sim_.leg(LegId{"agent-1"})->state, LegState::Ringing);
  run(10s);
  EXPECT_EQ(take(), (Lines{"@0 RegistrationChanged(8001,registered,1)", "@0 Ringing(agent-1)",
                           "@4000 Answered(agent-1)"}));
  EXPECT_EQ(sim_.leg(LegId{"agent-1"})->state, LegState::Answered);
}

TEST_F(SimTelephonyTest, OriginateEndsNoAnswerAfterTheRingTimeout) {
  PhoneBehaviour phone;
  phone.kind = PhoneBehaviour::Kind::NeverAnswer;
  sim_.registerPhone("8001", phone);
  phone = {};
  phone.answerAfter = 25s;  // answers too late
  sim_.registerPhone("8002", phone);
  Originate o = originate("a1", Destination::Kind::Extension, "8001");
  o.ringTimeout = 20s;
  sim_.execute(o);
  o.leg = LegId{"a2"};
  o.to.number = "8002";
  sim_.execute(o);
  run(1min);
  EXPECT_EQ(take(),
            (Lines{"@0 RegistrationChanged(8001,registered,1)",
                   "@0 RegistrationChanged(8002,registered,1)", "@0 Ringing(a1)", "@0 Ringing(a2)",
                   "@20000 LegEnded(a1,NoAnswer,408)", "@20000 LegEnded(a2,NoAnswer,408)"}));
}

TEST_F(SimTelephonyTest, OriginateToABusyPhoneEndsBusy) {
  PhoneBehaviour phone;
  phone.kind = PhoneBehaviour::Kind::Busy;
  sim_.registerPhone("8001", phone);
  run(0ms);
  take();
  sim_.execute(originate("a1", Destination::Kind::Extension, "8001"));
  run(1s);
  EXPECT_EQ(take(), Lines{"@0 LegEnded(a1,Busy,486)"});
}

TEST_F(SimTelephonyTest, OriginateToAPhoneThatRejects) {
  PhoneBehaviour phone;
  phone.kind = PhoneBehaviour::Kind::Reject;
  phone.rejectStatus = 603;
  phone.answerAfter = 2s;
  sim_.registerPhone("8001", phone);
  run(0ms);
  take();
  sim_.execute(originate("a1", Destination::Kind::Extension, "8001"));
  run(5s);
  EXPECT_EQ(take(), (Lines{"@0 Ringing(a1)", "@2000 LegEnded(a1,Rejected,603)"}));
}

TEST_F(SimTelephonyTest, OriginateToAnUnregisteredExtensionIsUnreachable) {
  sim_.registerPhone("8001");
  sim_.unregisterPhone("8001");
  sim_.unregisterPhone("8001");  // not registered any more: nothing
  EXPECT_FALSE(sim_.isRegistered("8001"));
  sim_.execute(originate("a1", Destination::Kind::Extension, "8001"));
  run(1s);
  EXPECT_EQ(take(), (Lines{"@0 RegistrationChanged(8001,registered,1)",
                           "@0 RegistrationChanged(8001,unregistered,0)",
                           "@0 LegEnded(a1,Unreachable,480)"}));
}

TEST_F(SimTelephonyTest, AutoAnswerAnswersAtOnce) {
  PhoneBehaviour phone;
  phone.answerAfter = 10s;
  sim_.registerPhone("8001", phone);
  run(0ms);
  take();
  Originate o = originate("a1", Destination::Kind::Extension, "8001");
  o.autoAnswer = true;
  sim_.execute(o);
  run(0ms);
  EXPECT_EQ(take(), (Lines{"@0 Ringing(a1)", "@0 Answered(a1)"}));
}

TEST_F(SimTelephonyTest, ExternalNumbersFollowTheirBehaviour) {
  PhoneBehaviour number;
  number.answerAfter = 1500ms;
  number.earlyMedia = true;
  sim_.setExternalNumber("02112345678", number);
  sim_.execute(originate("x1", Destination::Kind::External, "02112345678"));
  sim_.execute(originate("x2", Destination::Kind::External, "110"));
  run(2s);
  EXPECT_EQ(take(), (Lines{"@0 Ringing(x1)", "@0 EarlyMedia(x1)", "@0 LegEnded(x2,Unreachable,404)",
                           "@1500 Answered(x1)"}));
}

TEST_F(SimTelephonyTest, FarAnswerOverridesTheBehaviour) {
  PhoneBehaviour phone;
  phone.kind = PhoneBehaviour::Kind::NeverAnswer;
  sim_.registerPhone("8001", phone);
  sim_.execute(originate("a1", Destination::Kind::Extension, "8001"));
  run(3s);
  sim_.farAnswer(LegId{"a1"});
  run(0ms);
  EXPECT_EQ(take().back(), "@3000 Answered(a1)");
}

// ---- Bridge, hold, monitor ----

TEST_F(SimTelephonyTest, BridgedLegsHearEachOtherUntilUnbridged) {
  const LegId customer = answeredCall();
  const LegId agent = answeredAgent("agent-1", "8001");
  EXPECT_EQ(hears(customer), "silence");
  sim_.execute(telephony::Bridge{customer, agent});
  EXPECT_EQ(hears(customer), "parties:agent-1");
  EXPECT_EQ(hears(agent), "parties:L1");
  EXPECT_EQ(sim_.leg(customer)->bridgedWith, agent);
  sim_.execute(telephony::Unbridge{customer, agent});
  EXPECT_EQ(hears(customer), "silence");
  EXPECT_FALSE(sim_.leg(agent)->bridgedWith);
  EXPECT_TRUE(sim_.refusals().empty());
}

TEST_F(SimTelephonyTest, HoldPlaysMusicToTheLegAndSilenceToItsPartner) {
  const LegId customer = answeredCall();
  const LegId agent = answeredAgent("agent-1", "8001");
  sim_.execute(telephony::Bridge{customer, agent});
  sim_.execute(telephony::Hold{customer, "moh"});
  EXPECT_TRUE(sim_.leg(customer)->held);
  EXPECT_EQ(hears(customer), "music:moh");
  EXPECT_EQ(hears(agent), "silence");
  sim_.execute(telephony::Retrieve{customer});
  EXPECT_EQ(hears(customer), "parties:agent-1");
  EXPECT_EQ(hears(agent), "parties:L1");
  sim_.execute(telephony::Hold{customer, "no-such-music"});
  EXPECT_FALSE(sim_.leg(customer)->held);
  EXPECT_EQ(sim_.refusals().size(), 1u);
}

TEST_F(SimTelephonyTest, AMutedLegIsNotHeardButStillHearsItsPartner) {
  const LegId customer = answeredCall();
  const LegId agent = answeredAgent("agent-1", "8001");
  sim_.execute(telephony::Bridge{customer, agent});
  sim_.execute(telephony::Mute{agent});
  EXPECT_TRUE(sim_.leg(agent)->muted);
  EXPECT_EQ(hears(customer), "silence");
  EXPECT_EQ(hears(agent), "parties:L1");
  sim_.execute(telephony::Mute{agent, true});  // idempotent
  EXPECT_EQ(hears(customer), "silence");

  // Its digits are not audio: the bridge still passes them on.
  sim_.pressDigits(agent, "5");
  run(0ms);
  EXPECT_EQ(sim_.leg(customer)->dtmfHeard, "5");

  sim_.execute(telephony::Mute{agent, false});
  EXPECT_FALSE(sim_.leg(agent)->muted);
  EXPECT_EQ(hears(customer), "parties:agent-1");
  EXPECT_EQ(hears(agent), "parties:L1");
  EXPECT_TRUE(sim_.refusals().empty());
}

TEST_F(SimTelephonyTest, AMutedPartyOfABargeIsHeardByNeitherOther) {
  const LegId customer = answeredCall();
  const LegId agent = answeredAgent("agent-1", "8001");
  const LegId sup = answeredAgent("sup-1", "8009");
  sim_.execute(telephony::Bridge{customer, agent});
  sim_.execute(telephony::Monitor{sup, agent, customer, telephony::MonitorMode::Barge});
  sim_.execute(telephony::Mute{agent});
  EXPECT_EQ(hears(customer), "parties:sup-1");
  EXPECT_EQ(hears(sup), "parties:L1");
  EXPECT_EQ(hears(agent), "parties:L1,sup-1");

  sim_.execute(telephony::Mute{sup});
  EXPECT_EQ(hears(customer), "silence");
  EXPECT_EQ(hears(agent), "parties:L1");

  sim_.execute(telephony::Mute{agent, false});
  sim_.execute(telephony::Mute{sup, false});
  EXPECT_EQ(hears(customer), "parties:agent-1,sup-1");
  EXPECT_EQ(hears(sup), "parties:L1,agent-1");
  EXPECT_TRUE(sim_.refusals().empty());
}

TEST_F(SimTelephonyTest, MuteIsRefusedForUnknownEndedAndUnansweredLegs) {
  const LegId ended = answeredCall();
  sim_.execute(telephony::Hangup{ended});
  const LegId ringing = sim_.incomingCall("13800000001", "95588");
  run(0ms);
  take();
  sim_.execute(telephony::Mute{LegId{"nobody"}});
  sim_.execute(telephony::Mute{ended});
  sim_.execute(telephony::Mute{ringing});
  run(0ms);
  EXPECT_TRUE(take().empty());  // no request id: no CommandFailed
  Lines refusals;
  for (const std::string& r : sim_.refusals()) refusals.push_back(rec_.alias(r));
  EXPECT_EQ(refusals,
            (Lines{"Mute nobody: unknown leg", "Mute L1: leg ended", "Mute L2: not answered"}));
  EXPECT_FALSE(sim_.leg(ringing)->muted);
}

TEST_F(SimTelephonyTest, MonitorModesDecideWhoHearsTheSupervisor) {
  const LegId customer = answeredCall();
  const LegId agent = answeredAgent("agent-1", "8001");
  const LegId sup = answeredAgent("sup-1", "8009");
  sim_.execute(telephony::Bridge{customer, agent});
  sim_.execute(telephony::Monitor{sup, agent, customer, telephony::MonitorMode::Listen});
  EXPECT_EQ(hears(sup), "parties:L1,agent-1");
  EXPECT_EQ(hears(agent), "parties:L1");
  EXPECT_EQ(hears(customer), "parties:agent-1");
  EXPECT_EQ(sim_.leg(sup)->monitorMode, telephony::MonitorMode::Listen);

  sim_.execute(telephony::Monitor{sup, agent, customer, telephony::MonitorMode::Whisper});
  EXPECT_EQ(hears(agent), "parties:L1,sup-1");
  EXPECT_EQ(hears(customer), "parties:agent-1");

  sim_.execute(telephony::Monitor{sup, agent, customer, telephony::MonitorMode::Barge});
  EXPECT_EQ(hears(agent), "parties:L1,sup-1");
  EXPECT_EQ(hears(customer), "parties:agent-1,sup-1");

  sim_.execute(telephony::StopMonitor{sup});
  EXPECT_EQ(hears(sup), "silence");
  EXPECT_EQ(hears(customer), "parties:agent-1");
  EXPECT_FALSE(sim_.leg(sup)->monitorMode);
  EXPECT_TRUE(sim_.refusals().empty());
}

// ---- Recording ----

TEST_F(SimTelephonyTest, RecordingStopsWithItsVirtualDurationAndASimFile) {
  const LegId customer = answeredCall();
  const LegId agent = answeredAgent("agent-1", "8001");
  const RecordingId rec{"rec-1"};
  sim_.execute(telephony::StartRecording{rec, customer, agent});
  EXPECT_TRUE(sim_.recording(rec)->active);
  run(10s);
  sim_.execute(telephony::PauseRecording{rec});
  EXPECT_TRUE(sim_.recording(rec)->paused());
  run(10s);
  sim_.execute(telephony::ResumeRecording{rec});
  EXPECT_FALSE(sim_.recording(rec)->paused());
  run(10s);
  sim_.execute(telephony::StopRecording{rec});
  run(0ms);
  EXPECT_EQ(take(), Lines{"@31000 RecordingStopped(rec-1,sim://rec-1,30000ms)"});
  EXPECT_FALSE(sim_.recording(rec)->active);
  EXPECT_EQ(sim_.recording(rec)->file, "sim://rec-1");
}

// ---- Ending legs ----

TEST_F(SimTelephonyTest, HangingUpOneLegOfABridgeLeavesTheOther) {
  const LegId customer = answeredCall();
  const LegId agent = answeredAgent("agent-1", "8001");
  sim_.execute(telephony::Bridge{customer, agent});
  sim_.execute(telephony::Hangup{agent});
  run(0ms);
  EXPECT_EQ(take(), Lines{"@1000 LegEnded(agent-1,Normal,0)"});
  EXPECT_EQ(sim_.leg(customer)->state, LegState::Answered);
  EXPECT_FALSE(sim_.leg(customer)->bridgedWith);
  EXPECT_EQ(hears(customer), "silence");
}

TEST_F(SimTelephonyTest, EveryEventOfALegComesBeforeItsLegEndedAndNoneAfter) {
  const LegId customer = answeredCall();
  const LegId agent = answeredAgent("agent-1", "8001");
  sim_.execute(telephony::StartRecording{RecordingId{"rec-1"}, customer, agent});
  sim_.execute(Play{customer, {PlayItem::ofPrompt("menu")}, false, false, 1});
  sim_.execute(collect(customer, 4, 2));
  sim_.pressDigits(customer, "1234", 1s);
  run(1500ms);
  sim_.farHangup(customer);
  run(1min);
  EXPECT_EQ(take(), (Lines{"@2500 PlaybackDone(L1,req=1,interrupted)",
                           "@2500 DigitsCollected(L1,req=2,LegGone,digits=12)",
                           "@2500 RecordingStopped(rec-1,sim://rec-1,1500ms)",
                           "@2500 LegEnded(L1,Normal,0)"}));
  EXPECT_EQ(last<telephony::LegEnded>().packetsReceived, 2500u / 20u);
}

TEST_F(SimTelephonyTest, FarHangupBeforeAnswerIsCancelled) {
  const LegId leg = sim_.incomingCall("1", "2");
  run(0ms);
  take();
  sim_.farHangup(leg);
  sim_.farHangup(leg);  // already ended: nothing
  run(0ms);
  EXPECT_EQ(take(), Lines{"@0 LegEnded(L1,Cancelled,487)"});
}

TEST_F(SimTelephonyTest, MediaTimeoutEndsTheLeg) {
  const LegId leg = answeredCall();
  sim_.mediaTimeout(leg);
  run(0ms);
  EXPECT_EQ(take(), (Lines{"@0 MediaTimeout(L1)", "@0 LegEnded(L1,MediaTimeout,0)"}));
}

TEST_F(SimTelephonyTest, CommandsForUnknownOrEndedLegsFailOnlyWithARequestId) {
  const LegId leg = answeredCall();
  sim_.execute(telephony::Hangup{leg});
  run(0ms);
  take();
  sim_.execute(Play{LegId{"nobody"}, {PlayItem::ofPrompt("welcome")}, false, false, 11});
  sim_.execute(collect(leg, 1, 12));
  sim_.execute(Answer{LegId{"nobody"}});
  sim_.execute(telephony::Hangup{leg});
  run(0ms);
  EXPECT_EQ(take(), (Lines{"@0 CommandFailed(req=11,Play nobody: unknown leg)",
                           "@0 CommandFailed(req=12,CollectDigits L1: leg ended)"}));
  EXPECT_EQ(sim_.refusals().size(), 4u);
}

// ---- Inspection ----

TEST_F(SimTelephonyTest, CommandsAreKeptInOrderAndDtmfSentIsVisible) {
  const LegId leg = answeredCall();
  sim_.execute(telephony::SendDtmf{leg, "12x#"});
  sim_.execute(telephony::Hangup{leg});
  ASSERT_EQ(sim_.commands().size(), 3u);
  EXPECT_TRUE(std::holds_alternative<Answer>(sim_.commands()[0]));
  EXPECT_TRUE(std::holds_alternative<telephony::SendDtmf>(sim_.commands()[1]));
  EXPECT_TRUE(std::holds_alternative<telephony::Hangup>(sim_.commands()[2]));
  EXPECT_EQ(sim_.leg(leg)->dtmfSent, "12#");
}

// ---- Time ----

TEST_F(SimTelephonyTest, AClockJumpKeepsChainedTimesExact) {
  const LegId leg = answeredCall();
  sim_.execute(
      Play{leg, {PlayItem::ofPrompt("welcome"), PlayItem::ofPrompt("menu")}, false, false, 1});
  // One jump past the first item: the second is timed from the first's end, not from the jump.
  clock_.advance(4999ms);
  loop_.runUntilIdle();
  EXPECT_EQ(hears(leg), "prompt:menu");
  EXPECT_TRUE(take().empty());
  clock_.advance(1ms);
  loop_.runUntilIdle();
  EXPECT_EQ(take(), Lines{"@5000 PlaybackDone(L1,req=1)"});
}

TEST_F(SimTelephonyTest, RunForStopsAtTheSimsDeadlines) {
  const LegId leg = answeredCall();
  sim_.execute(Play{leg, {PlayItem::ofPrompt("pin")}, false, false, 1});
  EXPECT_EQ(sim_.nextDeadline(), base::MonoTime{} + 1500ms);
  sim_.runFor(clock_, 1h, 1h);  // one huge step, but the playback still ends on time
  EXPECT_EQ(take(), Lines{"@1500 PlaybackDone(L1,req=1)"});
  EXPECT_FALSE(sim_.nextDeadline());
}

TEST(SimTelephonyLifetimeTest, DestroyingTheSimCancelsItsTimers) {
  base::ManualClock clock;
  base::EventLoop loop(clock);
  int delivered = 0;
  {
    SimTelephony sim(
        loop, clock, [&](Event) { ++delivered; }, testOptions());
    const LegId leg = sim.incomingCall("1", "2");
    sim.execute(Answer{leg});
    sim.execute(Play{leg, {PlayItem::ofPrompt("menu")}, false, false, 1});
    sim.pressDigits(leg, "123");
  }
  clock.advance(1min);
  loop.runUntilIdle();  // the posted delivery finds the sim gone and does nothing
  EXPECT_EQ(delivered, 0);
  EXPECT_EQ(loop.pendingCount(), 0u);
}

// ---- Determinism ----

Lines runScript() {
  base::ManualClock clock;
  base::EventLoop loop(clock);
  Lines lines;
  SimTelephony sim(
      loop, clock,
      [&](Event e) {
        lines.push_back(
            fmt::format("@{} {}", clock.monotonic().time_since_epoch() / 1ms, toString(e)));
      },
      testOptions());
  PhoneBehaviour phone;
  phone.answerAfter = 2s;
  sim.registerPhone("8001", phone);
  const LegId a = sim.incomingCall("13800000001", "95588");
  const LegId b = sim.incomingCall("13800000002", "95588");
  sim.execute(Answer{a});
  sim.execute(Answer{b});
  sim.execute(Play{a, {PlayItem::ofPrompt("menu")}, true, false, 1});
  CollectDigits c;
  c.leg = a;
  c.maxDigits = 3;
  c.request = 2;
  sim.execute(c);
  sim.pressDigits(a, "12", 700ms);
  c.leg = b;
  c.secret = true;
  c.request = 3;
  sim.execute(c);
  sim.pressDigits(b, "999");
  sim.execute(originate("agent-1", Destination::Kind::Extension, "8001"));
  sim.runFor(clock, 3s);
  sim.execute(telephony::Bridge{a, LegId{"agent-1"}});
  sim.execute(telephony::StartRecording{RecordingId{"r"}, a, LegId{"agent-1"}});
  sim.runFor(clock, 5s);
  sim.farHangup(a);
  sim.runFor(clock, 1min);
  return lines;
}

TEST(SimTelephonyDeterminismTest, TheSameScriptGivesTheSameEvents) {
  const Lines first = runScript();
  const Lines second = runScript();
  EXPECT_GE(first.size(), 10u);
  EXPECT_EQ(first, second);
}

}  // namespace
}  // namespace bankcc::sim::test
