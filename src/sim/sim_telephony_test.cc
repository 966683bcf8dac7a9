// SPDX-License-Identifier: Apache-2.0
#include "sim/sim_telephony.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/ids.h"

namespace bankcc::sim {
namespace {

using namespace std::chrono_literals;
using telephony::Answer;
using telephony::CollectDigits;
using telephony::Destination;
using telephony::Event;
using telephony::LegId;
using telephony::Originate;
using telephony::Play;
using telephony::PlayItem;
using telephony::RecordingId;
using Lines = std::vector<std::string>;

/// An Originate with the fields a test does not care about left at their defaults.
Originate originate(std::string leg, Destination::Kind kind, std::string number) {
  Originate o;
  o.leg = LegId{std::move(leg)};
  o.to = Destination{kind, std::move(number)};
  o.callerId = "95588";
  return o;
}

SimOptions testOptions() {
  SimOptions o;
  o.prompts = {{"welcome", 2s}, {"menu", 3s}, {"moh", 30s}, {"pin", 1500ms}};
  return o;
}

/// A sink that keeps every event and a trace line "@<virtual ms> <event>" with the sim's own
/// (UUID-shaped) leg ids replaced by L1, L2, ... in order of creation.
class Recorder {
 public:
  explicit Recorder(const base::ManualClock& clock) : clock_(clock) {}

  void attach(const SimTelephony* sim) { sim_ = sim; }
  telephony::EventSink sink() {
    return [this](Event e) {
      lines_.push_back(
          fmt::format("@{} {}", clock_.monotonic().time_since_epoch() / 1ms, alias(toString(e))));
      events_.push_back(std::move(e));
    };
  }
  std::string alias(std::string s) const {
    if (sim_ == nullptr) return s;
    int n = 0;
    for (const LegId& id : sim_->legs()) {
      if (!base::isUuid(id.value)) continue;
      const std::string name = "L" + std::to_string(++n);
      for (auto pos = s.find(id.value); pos != std::string::npos; pos = s.find(id.value)) {
        s.replace(pos, id.value.size(), name);
      }
    }
    return s;
  }
  /// The trace lines since the last take().
  Lines take() { return std::exchange(lines_, {}); }
  std::vector<Event>& events() { return events_; }

 private:
  const base::ManualClock& clock_;
  const SimTelephony* sim_ = nullptr;
  Lines lines_;
  std::vector<Event> events_;
};

class SimTelephonyTest : public ::testing::Test {
 protected:
  SimTelephonyTest() { rec_.attach(&sim_); }

  void run(base::Duration d) { sim_.runFor(clock_, d); }
  Lines take() { return rec_.take(); }
  template <typename T>
  T& last() {
    for (auto it = rec_.events().rbegin(); it != rec_.events().rend(); ++it) {
      if (auto* e = std::get_if<T>(&*it)) return *e;
    }
    ADD_FAILURE() << "no such event";
    static T none;
    return none;
  }
  std::string hears(const LegId& leg) { return rec_.alias(toString(sim_.hears(leg))); }

  /// An inbound call, answered, with the trace emptied.
  LegId answeredCall() {
    const LegId leg = sim_.incomingCall("13800000000", "95588");
    sim_.execute(Answer{leg});
    run(0ms);
    take();
    return leg;
  }
  /// An agent leg originated to a registered extension and answered (after 1 s).
  LegId answeredAgent(const std::string& id, const std::string& extension) {
    PhoneBehaviour phone;
    phone.answerAfter = 1s;
    sim_.registerPhone(extension, phone);
    sim_.execute(originate(id, Destination::Kind::Extension, extension));
    run(1s);
    take();
    return LegId{id};
  }
  CollectDigits collect(const LegId& leg, int maxDigits, telephony::RequestId request) {
    CollectDigits c;
    c.leg = leg;
    c.maxDigits = maxDigits;
    c.request = request;
    return c;
  }

  base::ManualClock clock_;
  base::EventLoop loop_{clock_};
  Recorder rec_{clock_};
  SimTelephony sim_{loop_, clock_, rec_.sink(), testOptions()};
};

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
}  // namespace bankcc::sim
