// SPDX-License-Identifier: Apache-2.0
// SimTelephony in virtual time: arrival, answer and reject, playback, digit collection.
#include <gtest/gtest.h>

#include <string>

#include "sim/sim_telephony.h"
#include "sim/sim_telephony_test_support.h"

namespace bankcc::sim::test {
namespace {

using namespace std::chrono_literals;

// ---- Arrival, answer, reject ----

TEST_F(SimTelephonyTest, IncomingCallArrivesWithLowerCaseHeaderNames) {
  const LegId leg = sim_.incomingCall("13800000000", "95588", {{"X-Bankcc-Tier", "vip"}});
  EXPECT_TRUE(base::isUuid(leg.value));
  EXPECT_EQ(sim_.leg(leg)->state, LegState::Arrived);
  run(0ms);
  EXPECT_EQ(take(), Lines{"@0 LegArrived(L1,ani=13800000000,dnis=95588,trunk=sim-trunk,ext=)"});
  EXPECT_EQ(last<telephony::LegArrived>().headers.at("x-bankcc-tier"), "vip");
}

TEST_F(SimTelephonyTest, CallFromAnAgentPhoneNamesTheExtension) {
  sim_.callFromPhone("8001", "9");
  run(0ms);
  EXPECT_EQ(take(), Lines{"@0 LegArrived(L1,ani=8001,dnis=9,trunk=,ext=8001)"});
}

TEST_F(SimTelephonyTest, EventsAreNeverDeliveredInsideExecute) {
  const LegId leg = sim_.incomingCall("1", "2");
  EXPECT_TRUE(take().empty());  // not even the arrival: it waits for the loop
  run(0ms);
  take();
  sim_.execute(Answer{leg});
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(sim_.leg(leg)->state, LegState::Answered);  // the model changed at once
  loop_.runUntilIdle();
  EXPECT_EQ(take(), Lines{"@0 Answered(L1)"});
}

TEST_F(SimTelephonyTest, ASinkMayExecuteCommandsWhileHandlingAnEvent) {
  base::ManualClock clock;
  base::EventLoop loop(clock);
  std::vector<std::string> seen;
  SimTelephony* self = nullptr;
  SimTelephony sim(
      loop, clock,
      [&](Event e) {
        seen.push_back(toString(e).substr(0, toString(e).find('(')));
        if (auto* a = std::get_if<telephony::LegArrived>(&e)) self->execute(Answer{a->leg});
      },
      testOptions());
  self = &sim;
  sim.incomingCall("1", "2");
  sim.runFor(clock, 0ms);
  EXPECT_EQ(seen, (Lines{"LegArrived", "Answered"}));
}

TEST_F(SimTelephonyTest, AnswerSendsAnswered) {
  const LegId leg = sim_.incomingCall("1", "2");
  sim_.execute(Answer{leg});
  run(0ms);
  EXPECT_EQ(take(),
            (Lines{"@0 LegArrived(L1,ani=1,dnis=2,trunk=sim-trunk,ext=)", "@0 Answered(L1)"}));
}

TEST_F(SimTelephonyTest, RejectEndsTheLegWithItsStatus) {
  const LegId leg = sim_.incomingCall("1", "2");
  run(0ms);
  take();
  sim_.execute(telephony::Reject{leg, 486, "busy here"});
  run(0ms);
  EXPECT_EQ(take(), Lines{"@0 LegEnded(L1,Rejected,486)"});
  EXPECT_EQ(sim_.leg(leg)->state, LegState::Ended);
}

// ---- Playback ----

TEST_F(SimTelephonyTest, PlayEndsAfterTheSumOfItsItems) {
  const LegId leg = answeredCall();
  sim_.execute(Play{leg,
                    {PlayItem::ofPrompt("welcome"), PlayItem::ofSilence(500ms),
                     PlayItem::ofTone(telephony::Tone::Beep, 300ms)},
                    false,
                    false,
                    7});
  EXPECT_EQ(hears(leg), "prompt:welcome");
  run(1999ms);
  EXPECT_EQ(hears(leg), "prompt:welcome");
  run(1ms);
  EXPECT_EQ(hears(leg), "silence");
  run(500ms);
  EXPECT_EQ(hears(leg), "tone:Beep");
  EXPECT_TRUE(take().empty());
  run(300ms);
  EXPECT_EQ(take(), Lines{"@2800 PlaybackDone(L1,req=7)"});
  EXPECT_FALSE(sim_.leg(leg)->playing);
}

TEST_F(SimTelephonyTest, UnknownPromptFailsTheCommandAndNeverCompletes) {
  const LegId leg = answeredCall();
  sim_.execute(
      Play{leg, {PlayItem::ofPrompt("welcome"), PlayItem::ofPrompt("nope")}, false, false, 9});
  sim_.execute(Play{leg, {PlayItem::ofPrompt("nope")}, false, false, 0});  // no answer wanted
  run(1min);
  EXPECT_EQ(take(), Lines{"@0 CommandFailed(req=9,Play L1: unknown prompt 'nope')"});
  EXPECT_EQ(sim_.refusals().size(), 2u);
  EXPECT_FALSE(sim_.leg(leg)->playing);
}

TEST_F(SimTelephonyTest, LoopingPlayEndsOnlyOnStopPlay) {
  const LegId leg = answeredCall();
  sim_.execute(Play{leg, {PlayItem::ofPrompt("moh")}, false, true, 3});
  run(10min);
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(hears(leg), "prompt:moh");
  sim_.execute(telephony::StopPlay{leg});
  run(0ms);
  EXPECT_EQ(take(), Lines{"@600000 PlaybackDone(L1,req=3,interrupted)"});
}

TEST_F(SimTelephonyTest, ANewPlayInterruptsTheOneBefore) {
  const LegId leg = answeredCall();
  sim_.execute(Play{leg, {PlayItem::ofPrompt("welcome")}, false, false, 1});
  run(1s);
  sim_.execute(Play{leg, {PlayItem::ofPrompt("menu")}, false, false, 2});
  run(5s);
  EXPECT_EQ(take(),
            (Lines{"@1000 PlaybackDone(L1,req=1,interrupted)", "@4000 PlaybackDone(L1,req=2)"}));
}

TEST_F(SimTelephonyTest, PlayNeedsAnAnsweredLegOrEarlyMedia) {
  const LegId leg = sim_.incomingCall("1", "2");
  sim_.execute(Play{leg, {PlayItem::ofPrompt("welcome")}, false, false, 4});
  sim_.execute(telephony::StartEarlyMedia{leg});
  sim_.execute(Play{leg, {PlayItem::ofPrompt("welcome")}, false, false, 5});
  EXPECT_EQ(sim_.leg(leg)->state, LegState::EarlyMedia);
  run(2s);
  EXPECT_EQ(take(), (Lines{"@0 LegArrived(L1,ani=1,dnis=2,trunk=sim-trunk,ext=)",
                           "@0 CommandFailed(req=4,Play L1: no media (not answered, no early "
                           "media))",
                           "@2000 PlaybackDone(L1,req=5)"}));
}

// ---- Digits ----

TEST_F(SimTelephonyTest, BargeInDigitStopsThePlayAndCountsForTheOpenCollection) {
  const LegId leg = answeredCall();
  sim_.execute(Play{leg, {PlayItem::ofPrompt("menu")}, true, false, 1});
  sim_.execute(collect(leg, 1, 2));
  run(1s);
  sim_.pressDigits(leg, "2");
  run(0ms);
  EXPECT_EQ(take(), (Lines{"@1000 PlaybackDone(L1,req=1,interrupted)",
                           "@1000 DigitsCollected(L1,req=2,MaxDigits,digits=2)"}));
}

TEST_F(SimTelephonyTest, DigitDoesNotStopAPlayWithoutBargeIn) {
  const LegId leg = answeredCall();
  sim_.execute(Play{leg, {PlayItem::ofPrompt("menu")}, false, false, 1});
  sim_.execute(collect(leg, 1, 2));
  run(1s);
  sim_.pressDigits(leg, "2");
  run(2s);
  EXPECT_EQ(take(), (Lines{"@1000 DigitsCollected(L1,req=2,MaxDigits,digits=2)",
                           "@3000 PlaybackDone(L1,req=1)"}));
}

TEST_F(SimTelephonyTest, DigitsPressedBeforeACollectionDoNotCount) {
  const LegId leg = answeredCall();
  sim_.execute(Play{leg, {PlayItem::ofPrompt("menu")}, true, false, 1});
  run(1s);
  sim_.pressDigits(leg, "12");
  run(500ms);
  CollectDigits c = collect(leg, 4, 5);
  sim_.execute(c);
  sim_.pressDigits(leg, "3#");
  run(1s);
  EXPECT_EQ(take(), (Lines{"@1000 PlaybackDone(L1,req=1,interrupted)", "@1000 DigitPressed(L1,1)",
                           "@1200 DigitPressed(L1,2)",
                           "@1700 DigitsCollected(L1,req=5,Terminator,digits=3)"}));
}

TEST_F(SimTelephonyTest, TheCollectionsPromptIsBargedInByAFirstDigitThatCounts) {
  const LegId leg = answeredCall();
  CollectDigits c = collect(leg, 4, 5);
  c.prompt = {PlayItem::ofPrompt("menu")};
  sim_.execute(c);
  run(1s);
  sim_.pressDigits(leg, "12#");
  run(1s);
  EXPECT_EQ(take(), Lines{"@1400 DigitsCollected(L1,req=5,Terminator,digits=12)"});
  EXPECT_EQ(hears(leg), "silence");
}

TEST_F(SimTelephonyTest, TooFewDigitsBeforeTheTerminator) {
  const LegId leg = answeredCall();
  CollectDigits c = collect(leg, 6, 5);
  c.minDigits = 4;
  sim_.execute(c);
  sim_.pressDigits(leg, "12#");
  run(1s);
  EXPECT_EQ(take(), Lines{"@400 DigitsCollected(L1,req=5,TooFew,digits=12)"});
}

TEST_F(SimTelephonyTest, CollectionEndsAtMaxDigits) {
  const LegId leg = answeredCall();
  sim_.execute(collect(leg, 4, 1));
  sim_.pressDigits(leg, "12345");
  run(2s);
  EXPECT_EQ(take(), (Lines{"@600 DigitsCollected(L1,req=1,MaxDigits,digits=1234)",
                           "@800 DigitPressed(L1,5)"}));
}

TEST_F(SimTelephonyTest, CollectionEndsAtTheTerminatorWhichIsNotIncluded) {
  const LegId leg = answeredCall();
  sim_.execute(collect(leg, 10, 1));
  sim_.pressDigits(leg, "12#");
  run(1s);
  EXPECT_EQ(take(), Lines{"@400 DigitsCollected(L1,req=1,Terminator,digits=12)"});
}

TEST_F(SimTelephonyTest, CollectionTimesOutWithoutAFirstDigit) {
  const LegId leg = answeredCall();
  sim_.execute(collect(leg, 4, 1));  // first digit within 5 s
  run(10s);
  EXPECT_EQ(take(), Lines{"@5000 DigitsCollected(L1,req=1,Timeout,digits=)"});
}

TEST_F(SimTelephonyTest, CollectionTimesOutBetweenDigits) {
  const LegId leg = answeredCall();
  sim_.execute(collect(leg, 4, 1));  // 3 s between digits
  sim_.pressDigits(leg, "12");
  run(10s);
  EXPECT_EQ(take(), Lines{"@3200 DigitsCollected(L1,req=1,Timeout,digits=12)"});
}

TEST_F(SimTelephonyTest, FirstDigitTimerStartsWhenThePromptEnds) {
  const LegId leg = answeredCall();
  CollectDigits c = collect(leg, 4, 2);
  c.prompt = {PlayItem::ofPrompt("welcome")};
  sim_.execute(c);
  run(10s);
  EXPECT_EQ(take(), Lines{"@7000 DigitsCollected(L1,req=2,Timeout,digits=)"});
}

TEST_F(SimTelephonyTest, StopCollectReportsTheDigitsSoFar) {
  const LegId leg = answeredCall();
  sim_.execute(collect(leg, 4, 1));
  sim_.pressDigits(leg, "1");
  run(1s);
  sim_.execute(telephony::StopCollect{leg});
  run(0ms);
  EXPECT_EQ(take(), Lines{"@1000 DigitsCollected(L1,req=1,Stopped,digits=1)"});
}

TEST_F(SimTelephonyTest, CollectionWithInvalidLimitsFails) {
  const LegId leg = answeredCall();
  CollectDigits c = collect(leg, 0, 1);
  sim_.execute(c);
  c = collect(leg, 33, 2);
  c.secret = true;  // more than SecretDigits holds
  sim_.execute(c);
  run(0ms);
  EXPECT_EQ(take(), (Lines{"@0 CommandFailed(req=1,CollectDigits L1: invalid limits)",
                           "@0 CommandFailed(req=2,CollectDigits L1: invalid limits)"}));
  EXPECT_FALSE(sim_.leg(leg)->collecting);
}

TEST_F(SimTelephonyTest, DigitOutsideACollectionIsDigitPressed) {
  const LegId leg = answeredCall();
  sim_.pressDigits(leg, "5*");
  run(1s);
  EXPECT_EQ(take(), (Lines{"@0 DigitPressed(L1,5)", "@200 DigitPressed(L1,*)"}));
  EXPECT_EQ(last<telephony::DigitPressed>().duration, 100ms);
}

TEST_F(SimTelephonyTest, DigitsBeforeAnswerGoNowhere) {
  const LegId leg = sim_.incomingCall("1", "2");
  run(0ms);
  take();
  sim_.pressDigits(leg, "1");
  run(1s);
  EXPECT_TRUE(take().empty());
}

TEST_F(SimTelephonyTest, SecretCollectionHidesDigitsAndPausesTheRecording) {
  const LegId customer = answeredCall();
  const LegId agent = answeredAgent("agent-1", "8001");
  sim_.execute(telephony::Bridge{customer, agent});
  const RecordingId rec{"rec-1"};
  sim_.execute(telephony::StartRecording{rec, customer, agent});
  EXPECT_FALSE(sim_.recording(rec)->paused());

  CollectDigits c = collect(customer, 6, 8);
  c.minDigits = 6;
  c.secret = true;
  sim_.execute(c);
  EXPECT_TRUE(sim_.recording(rec)->pausedForSecret);
  EXPECT_TRUE(sim_.leg(customer)->collectingSecret);
  sim_.pressDigits(customer, "123456");
  run(2s);
  EXPECT_EQ(take(), Lines{"@2000 DigitsCollected(L1,req=8,MaxDigits,secret=6 digits)"});
  auto& done = last<telephony::DigitsCollected>();
  EXPECT_TRUE(done.digits.empty());
  done.secret.visit([](std::string_view d) { EXPECT_EQ(d, "123456"); });
  EXPECT_EQ(sim_.leg(agent)->dtmfHeard, "");  // not relayed through the bridge
  EXPECT_FALSE(sim_.recording(rec)->paused());

  // Outside the window the bridge passes digits on and the core sees them.
  sim_.pressDigits(customer, "7");
  run(0ms);
  EXPECT_EQ(take(), Lines{"@3000 DigitPressed(L1,7)"});
  EXPECT_EQ(sim_.leg(agent)->dtmfHeard, "7");
}

}  // namespace
}  // namespace bankcc::sim::test
