// SPDX-License-Identifier: Apache-2.0
// VoiceEngine against hand-written fakes of our own SipStack and MediaEngine interfaces: the
// leg table, the ordering promise, diagnostics, refusals. Real SIP and RTP are in
// tests/voice/voice_test.cc.
#include "voice/voice_engine.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace bankcc::voice {
namespace {

using namespace std::chrono_literals;

class FakeSip final : public sip::SipStack {
 public:
  std::string boundAddress() const override { return "127.0.0.1:5060"; }
  void post(std::function<void()> task) override { tasks.push_back(std::move(task)); }
  bool onSipThread() const override { return true; }
  void respond(sip::CallId call, int status, std::optional<sip::MediaDescription> sdp) override {
    responses.push_back({call, status, sdp.has_value()});
  }
  base::Result<sip::CallId> invite(const sip::OutgoingCall& call) override {
    if (call.number == "404") return base::err(base::Errc::NotFound, "no route");
    invites.push_back(call);
    return nextCall++;
  }
  void hangup(sip::CallId call, int status) override { hangups.push_back({call, status}); }
  void reinvite(sip::CallId, const sip::MediaDescription&) override {}
  std::vector<sip::Registration> registrations() const override { return {}; }

  void drain() {
    while (!tasks.empty()) {
      auto t = std::move(tasks.front());
      tasks.pop_front();
      t();
    }
  }

  struct Response {
    sip::CallId call;
    int status;
    bool sdp;
  };
  std::deque<std::function<void()>> tasks;
  std::vector<Response> responses;
  std::vector<sip::OutgoingCall> invites;
  std::vector<std::pair<sip::CallId, int>> hangups;
  sip::CallId nextCall = 1000;
};

class FakeMedia final : public media::MediaEngine {
 public:
  base::Result<media::SessionCreated> createSession(std::optional<media::SessionId> near) override {
    if (exhausted) return base::err(base::Errc::Unavailable, "no RTP ports left");
    std::uint64_t worker = near ? workerOf(*near) : (next % 2);
    media::SessionId id{(worker << 56) | ++next};
    live.push_back(id.value);
    return media::SessionCreated{id, "127.0.0.1", static_cast<std::uint16_t>(20000 + 2 * next)};
  }
  void configure(media::SessionId s, const media::RtpParams& p) override {
    configured.push_back({s.value, p});
  }
  void play(media::SessionId s, media::PlaySpec spec) override { plays.push_back({s.value, spec}); }
  void stopPlay(media::SessionId) override {}
  void collect(media::SessionId s, media::CollectSpec spec) override {
    collects.push_back({s.value, spec});
  }
  void stopCollect(media::SessionId) override {}
  void bridge(media::SessionId a, media::SessionId b) override {
    bridges.push_back({a.value, b.value});
  }
  void unbridge(media::SessionId) override {}
  void hold(media::SessionId, std::string) override {}
  void retrieve(media::SessionId) override {}
  void mute(media::SessionId s, bool muted) override { mutes.push_back({s.value, muted}); }
  void echo(media::SessionId s) override { echoes.push_back(s.value); }
  void startRecording(media::RecordingSpec) override {}
  void pauseRecording(const std::string&) override {}
  void resumeRecording(const std::string&) override {}
  void stopRecording(const std::string&) override {}
  void monitor(media::SessionId, media::SessionId, media::SessionId,
               telephony::MonitorMode) override {}
  void stopMonitor(media::SessionId) override {}
  void sendDtmf(media::SessionId, std::string) override {}
  void destroy(media::SessionId s) override { destroyed.push_back(s.value); }
  std::size_t workerCount() const override { return 2; }
  std::size_t workerOf(media::SessionId s) const override { return homeWorkerOf(s); }

  bool exhausted = false;
  std::uint64_t next = 0;
  std::vector<std::uint64_t> live, echoes, destroyed;
  std::vector<std::pair<std::uint64_t, media::RtpParams>> configured;
  std::vector<std::pair<std::uint64_t, media::PlaySpec>> plays;
  std::vector<std::pair<std::uint64_t, media::CollectSpec>> collects;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> bridges;
  std::vector<std::pair<std::uint64_t, bool>> mutes;
};

sip::MediaDescription pcmaOffer() {
  sip::MediaDescription d;
  d.address = "192.0.2.10";
  d.port = 40000;
  d.codecs = {{8, "PCMA", 8000}, {0, "PCMU", 8000}, {101, "TELEPHONE-EVENT", 8000}};
  return d;
}

class VoiceEngineTest : public ::testing::Test {
 protected:
  VoiceEngineTest()
      : voice_(VoiceConfig{}, clock_,
               [this](telephony::Event e) { events_.push_back(std::move(e)); }) {
    voice_.setMedia(media_);
    voice_.attach(sip_);
  }
  ~VoiceEngineTest() override { voice_.detach(); }

  sip::IncomingCall call(sip::CallId id, std::string dnis) {
    sip::IncomingCall c;
    c.call = id;
    c.ani = "13800138000";
    c.dnis = std::move(dnis);
    c.trunk = "carrier";
    c.offer = pcmaOffer();
    return c;
  }
  /// Media's answer to destroy(): the session's last event, as the engine would send it.
  void release(std::uint64_t session) {
    voice_.onMediaEvent(media::ev::SessionReleased{media::SessionId{session}, {}});
    sip_.drain();
  }
  template <typename T>
  std::vector<T> eventsOf() {
    std::vector<T> out;
    for (auto& e : events_) {
      if (auto* t = std::get_if<T>(&e)) out.push_back(std::move(*t));
    }
    return out;
  }

  base::ManualClock clock_;
  FakeSip sip_;
  FakeMedia media_;
  std::vector<telephony::Event> events_;
  VoiceEngine voice_;
};

TEST_F(VoiceEngineTest, ArrivingCallGetsAMediaSessionAndIsReportedToTheCore) {
  voice_.onIncomingCall(call(1, "95566"));
  ASSERT_EQ(media_.configured.size(), 1u);
  EXPECT_EQ(media_.configured[0].second.remoteAddress, "192.0.2.10");
  EXPECT_EQ(media_.configured[0].second.codec, media::G711::Alaw);
  EXPECT_EQ(media_.configured[0].second.telephoneEventPt, 101);
  auto arrived = eventsOf<telephony::LegArrived>();
  ASSERT_EQ(arrived.size(), 1u);
  EXPECT_EQ(arrived[0].dnis, "95566");
  EXPECT_EQ(arrived[0].trunk, "carrier");
  EXPECT_TRUE(sip_.responses.empty()) << "nothing is answered before the core says so";
}

TEST_F(VoiceEngineTest, AnswerSends200AndAnsweredFollowsTheAck) {
  voice_.onIncomingCall(call(1, "95566"));
  auto leg = eventsOf<telephony::LegArrived>().at(0).leg;
  voice_.execute(telephony::Answer{leg});
  sip_.drain();
  ASSERT_EQ(sip_.responses.size(), 1u);
  EXPECT_EQ(sip_.responses[0].status, 200);
  EXPECT_TRUE(sip_.responses[0].sdp);
  EXPECT_TRUE(eventsOf<telephony::Answered>().empty());
  voice_.onEstablished(1, std::nullopt);
  EXPECT_EQ(eventsOf<telephony::Answered>().size(), 1u);
}

TEST_F(VoiceEngineTest, LegEndedWaitsForTheMediaSessionToBeReleased) {
  voice_.onIncomingCall(call(1, "95566"));
  auto leg = eventsOf<telephony::LegArrived>().at(0).leg;
  voice_.onEstablished(1, std::nullopt);
  voice_.onEnded(1, sip::EndReason::Bye, 0);
  ASSERT_EQ(media_.destroyed.size(), 1u);
  EXPECT_TRUE(eventsOf<telephony::LegEnded>().empty()) << "media still holds the session";
  // A late event of the leg still arrives before LegEnded.
  voice_.onMediaEvent(media::ev::DigitPressed{media::SessionId{media_.destroyed[0]}, '5', 100ms});
  release(media_.destroyed[0]);
  ASSERT_FALSE(events_.empty());
  ASSERT_TRUE(std::holds_alternative<telephony::LegEnded>(events_.back()));
  EXPECT_TRUE(std::holds_alternative<telephony::DigitPressed>(events_[events_.size() - 2]));
  auto ended = std::get<telephony::LegEnded>(events_.back());
  EXPECT_EQ(ended.leg, leg);
  EXPECT_EQ(ended.cause, telephony::EndCause::Normal);
  EXPECT_EQ(voice_.stats().legs, 0u);
}

TEST_F(VoiceEngineTest, NoCommonCodecIsRefusedWith488BeforeAnyMedia) {
  auto c = call(1, "95566");
  c.offer->codecs = {{18, "G729", 8000}};
  voice_.onIncomingCall(c);
  ASSERT_EQ(sip_.responses.size(), 1u);
  EXPECT_EQ(sip_.responses[0].status, 488);
  EXPECT_TRUE(media_.live.empty());
  EXPECT_TRUE(events_.empty());
}

TEST_F(VoiceEngineTest, LateOfferIsRefusedWith488) {
  auto c = call(1, "95566");
  c.offer.reset();
  voice_.onIncomingCall(c);
  ASSERT_EQ(sip_.responses.size(), 1u);
  EXPECT_EQ(sip_.responses[0].status, 488);
}

TEST_F(VoiceEngineTest, NoRtpPortLeftIsRefusedWith503) {
  media_.exhausted = true;
  voice_.onIncomingCall(call(1, "95566"));
  ASSERT_EQ(sip_.responses.size(), 1u);
  EXPECT_EQ(sip_.responses[0].status, 503);
  EXPECT_EQ(voice_.stats().refusedMedia, 1u);
}

TEST_F(VoiceEngineTest, EchoTestIsAnsweredByVoiceAndNeverReachesTheCore) {
  voice_.onIncomingCall(call(1, "9196"));
  ASSERT_EQ(sip_.responses.size(), 1u);
  EXPECT_EQ(sip_.responses[0].status, 200);
  ASSERT_EQ(media_.echoes.size(), 1u);
  voice_.onEstablished(1, std::nullopt);
  voice_.onEnded(1, sip::EndReason::Bye, 0);
  release(media_.destroyed.at(0));
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(voice_.stats().diagnostic, 1u);
}

TEST_F(VoiceEngineTest, ToneTestPlaysALoopingTone) {
  voice_.onIncomingCall(call(1, "9197"));
  ASSERT_EQ(media_.plays.size(), 1u);
  EXPECT_TRUE(media_.plays[0].second.loop);
  EXPECT_EQ(media_.plays[0].second.items.at(0).kind, telephony::PlayItem::Kind::Tone);
  EXPECT_TRUE(events_.empty());
}

TEST_F(VoiceEngineTest, OriginatePlacesTheNewLegOnTheWorkerOfTheLegNearIt) {
  voice_.onIncomingCall(call(1, "95566"));
  auto customer = eventsOf<telephony::LegArrived>().at(0).leg;
  telephony::Originate o;
  o.leg = telephony::LegId{"agent-leg"};
  o.to = {telephony::Destination::Kind::Extension, "8001"};
  o.near = customer;
  o.autoAnswer = true;
  voice_.execute(o);
  sip_.drain();
  ASSERT_EQ(media_.live.size(), 2u);
  EXPECT_EQ(media_.workerOf(media::SessionId{media_.live[0]}),
            media_.workerOf(media::SessionId{media_.live[1]}));
  ASSERT_EQ(sip_.invites.size(), 1u);
  EXPECT_EQ(sip_.invites[0].target, sip::OutgoingCall::Target::Extension);
  EXPECT_TRUE(sip_.invites[0].autoAnswer);
  EXPECT_FALSE(sip_.invites[0].offer.codecs.empty());

  sip::MediaDescription answer = pcmaOffer();
  answer.codecs = {{8, "PCMA", 8000}, {101, "TELEPHONE-EVENT", 8000}};
  voice_.onProgress(1000, 180, std::nullopt);
  voice_.onEstablished(1000, answer);
  EXPECT_EQ(eventsOf<telephony::Ringing>().size(), 1u);
  EXPECT_EQ(eventsOf<telephony::Answered>().size(), 1u);
  voice_.execute(telephony::Bridge{customer, telephony::LegId{"agent-leg"}});
  sip_.drain();
  ASSERT_EQ(media_.bridges.size(), 1u);
}

TEST_F(VoiceEngineTest, OriginateWithoutRouteEndsTheLegAfterItsMediaIsReleased) {
  telephony::Originate o;
  o.leg = telephony::LegId{"agent-leg"};
  o.to = {telephony::Destination::Kind::External, "404"};
  voice_.execute(o);
  sip_.drain();
  EXPECT_TRUE(eventsOf<telephony::LegEnded>().empty());
  release(media_.destroyed.at(0));
  auto ended = eventsOf<telephony::LegEnded>();
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].cause, telephony::EndCause::Unreachable);
}

TEST_F(VoiceEngineTest, OurHangupCauseWinsOverTheStacksReport) {
  telephony::Originate o;
  o.leg = telephony::LegId{"agent-leg"};
  o.to = {telephony::Destination::Kind::Extension, "8001"};
  voice_.execute(o);
  sip_.drain();
  voice_.execute(telephony::Hangup{o.leg, telephony::EndCause::NoAnswer});
  sip_.drain();
  ASSERT_EQ(sip_.hangups.size(), 1u);
  voice_.onEnded(1000, sip::EndReason::Rejected, 487);  // the CANCEL's 487
  release(media_.destroyed.at(0));
  auto ended = eventsOf<telephony::LegEnded>();
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].cause, telephony::EndCause::NoAnswer);
}

TEST_F(VoiceEngineTest, CollectionOpensBeforeItsPromptPlays) {
  voice_.onIncomingCall(call(1, "95566"));
  auto leg = eventsOf<telephony::LegArrived>().at(0).leg;
  telephony::CollectDigits c;
  c.leg = leg;
  c.prompt = {telephony::PlayItem::ofPrompt("enter_pin")};
  c.secret = true;
  c.maxDigits = 6;
  c.request = 7;
  voice_.execute(c);
  sip_.drain();
  ASSERT_EQ(media_.collects.size(), 1u);
  EXPECT_TRUE(media_.collects[0].second.secret);
  ASSERT_EQ(media_.plays.size(), 1u);
  EXPECT_TRUE(media_.plays[0].second.bargeIn);

  media::ev::DigitsCollected done;
  done.session = media::SessionId{media_.live[0]};
  done.token = 7;
  done.secret.push('1');
  done.secret.push('2');
  voice_.onMediaEvent(std::move(done));
  sip_.drain();
  auto got = eventsOf<telephony::DigitsCollected>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request, 7u);
  EXPECT_TRUE(got[0].digits.empty());
  EXPECT_EQ(got[0].secret.size(), 2u);
}

TEST_F(VoiceEngineTest, CommandForAnUnknownLegFailsWhenItCarriesARequestId) {
  voice_.execute(telephony::Play{telephony::LegId{"gone"}, {}, false, false, 9});
  voice_.execute(telephony::Answer{telephony::LegId{"gone"}});
  sip_.drain();
  auto failed = eventsOf<telephony::CommandFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].request, 9u);
}

TEST_F(VoiceEngineTest, MuteReachesTheLegsMediaSession) {
  voice_.onIncomingCall(call(1, "95566"));
  auto leg = eventsOf<telephony::LegArrived>().at(0).leg;
  voice_.onEstablished(1, std::nullopt);
  voice_.execute(telephony::Mute{leg});
  voice_.execute(telephony::Mute{leg, false});
  voice_.execute(telephony::Mute{telephony::LegId{"gone"}});  // ignored: legs end any time
  sip_.drain();
  using Mutes = std::vector<std::pair<std::uint64_t, bool>>;
  EXPECT_EQ(media_.mutes, (Mutes{{media_.live.at(0), true}, {media_.live.at(0), false}}));
  EXPECT_TRUE(eventsOf<telephony::CommandFailed>().empty());
}

TEST_F(VoiceEngineTest, MediaTimeoutHangsTheLegUp) {
  voice_.onIncomingCall(call(1, "95566"));
  voice_.onEstablished(1, std::nullopt);
  voice_.onMediaEvent(media::ev::MediaTimeout{media::SessionId{media_.live[0]}});
  sip_.drain();
  EXPECT_EQ(eventsOf<telephony::MediaTimeout>().size(), 1u);
  ASSERT_EQ(sip_.hangups.size(), 1u);
  voice_.onEnded(1, sip::EndReason::Bye, 0);
  release(media_.destroyed.at(0));
  auto ended = eventsOf<telephony::LegEnded>();
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].cause, telephony::EndCause::MediaTimeout);
}

}  // namespace
}  // namespace bankcc::voice
