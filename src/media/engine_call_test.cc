// SPDX-License-Identifier: Apache-2.0
// Loopback tests of the media engine on whole calls: recording in two channels, secret digit
// collection, hold with music, mute, supervisor monitoring. Each party is a test peer sending a
// tone of its own frequency, so who hears whom is a matter of which frequencies arrive where.
#include <gtest/gtest.h>

#include <string>

#include "base/ids.h"
#include "media/engine.h"
#include "media/recording_file.h"
#include "media/rfc4733.h"
#include "media/rtp_packet.h"
#include "media/rtp_test_peer.h"

namespace bankcc::media {
namespace {

using namespace std::chrono_literals;
using testing::RtpTestPeer;
using testing::sine;
using testing::toneShare;

class MediaCallTest : public testing::MediaEngineFixture {
 protected:
  /// One channel (0 left, 1 right) of interleaved stereo, frames [from, to).
  static std::vector<std::int16_t> channel(const std::vector<std::int16_t>& stereo, int ch,
                                           std::size_t from, std::size_t to) {
    std::vector<std::int16_t> out;
    to = std::min(to, stereo.size() / 2);
    for (std::size_t i = from; i < to; ++i) out.push_back(stereo[2 * i + ch]);
    return out;
  }
  /// The longest run of frames silent on channel `ch` (0 left, 1 right, -1 both), as
  /// [begin, end).
  static std::pair<std::size_t, std::size_t> longestSilence(const std::vector<std::int16_t>& pcm,
                                                            int ch = -1) {
    std::size_t best = 0, bestEnd = 0, run = 0;
    for (std::size_t i = 0; i < pcm.size() / 2; ++i) {
      bool quiet =
          (ch == 1 || std::abs(pcm[2 * i]) <= 16) && (ch == 0 || std::abs(pcm[2 * i + 1]) <= 16);
      run = quiet ? run + 1 : 0;
      if (run > best) {
        best = run;
        bestEnd = i + 1;
      }
    }
    return {bestEnd - best, bestEnd};
  }
};

TEST_F(MediaCallTest, RecordsCustomerLeftAndAgentRight) {
  startEngine();
  SessionId customer = newSession();
  SessionId agent = newSession(customer);
  RtpTestPeer pc, pa;
  connect(customer, pc);
  connect(agent, pa);
  engine_->bridge(customer, agent);
  pc.startStream(sine(600, 8000));
  pa.startStream(sine(1400, 8000));
  std::string id = base::newUuidV7(clock_);
  engine_->startRecording(RecordingSpec{id, customer, agent});
  ASSERT_TRUE(pa.waitCount(60));  // ~1.2 s of the customer relayed to the agent
  engine_->stopRecording(id);
  auto* stopped =
      events_.waitFor<ev::RecordingStopped>([&](const auto& e) { return e.recordingId == id; });
  ASSERT_TRUE(stopped);
  EXPECT_TRUE(stopped->complete);
  auto contents = readRecording(stopped->file, config_.recordingKey);
  ASSERT_TRUE(contents.ok()) << contents.error().describe();
  const auto& pcm = contents->interleaved;
  std::size_t frames = pcm.size() / 2;
  EXPECT_EQ(stopped->duration, base::Duration(static_cast<std::int64_t>(frames) * 125));
  ASSERT_GT(frames, 4000u);
  auto left = channel(pcm, 0, 1600, frames - 800);
  auto right = channel(pcm, 1, 1600, frames - 800);
  EXPECT_GT(toneShare(left, 600), 0.5);
  EXPECT_LT(toneShare(left, 1400), kAbsent);
  EXPECT_GT(toneShare(right, 1400), 0.5);
  EXPECT_LT(toneShare(right, 600), kAbsent);
  // The bridge itself relays both ways.
  EXPECT_GT(toneShare(hear(pa), 600), 0.5);
  EXPECT_GT(toneShare(hear(pc), 1400), 0.5);
}

TEST_F(MediaCallTest, SecretDigitsAreHiddenAndPauseTheRecording) {
  startEngine();
  SessionId customer = newSession();
  SessionId agent = newSession(customer);
  RtpTestPeer pc, pa;
  connect(customer, pc);
  connect(agent, pa);
  engine_->bridge(customer, agent);
  pc.startStream(sine(600, 8000));
  pa.startStream(sine(1400, 8000));
  std::string id = base::newUuidV7(clock_);
  engine_->startRecording(RecordingSpec{id, customer, agent});
  ASSERT_TRUE(pa.waitCount(25));

  engine_->collect(customer, CollectSpec{4, 4, 5s, 3s, '\0', true, 77});
  pa.clear();
  ASSERT_TRUE(pc.waitCount(pc.count() + 15));  // 300 ms into the window
  for (char d : std::string("1234")) pc.sendDigit(d);
  auto* got = events_.waitFor<ev::DigitsCollected>([](const auto& e) { return e.token == 77; });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->reason, ev::DigitsCollected::Reason::MaxDigits);
  EXPECT_TRUE(got->digits.empty());
  EXPECT_EQ(got->secret.size(), 4u);
  got->secret.visit([](std::string_view d) { EXPECT_EQ(d, "1234"); });
  EXPECT_EQ(events_.count<ev::DigitPressed>(), 0u);

  ASSERT_TRUE(pc.waitCount(pc.count() + 25));  // recorded again for a while
  engine_->stopRecording(id);
  auto* stopped =
      events_.waitFor<ev::RecordingStopped>([&](const auto& e) { return e.recordingId == id; });
  ASSERT_TRUE(stopped);
  for (const auto& p : pa.packets()) EXPECT_NE(p.header.payloadType, 101) << "DTMF relayed";

  auto contents = readRecording(stopped->file, config_.recordingKey);
  ASSERT_TRUE(contents.ok()) << contents.error().describe();
  const auto& pcm = contents->interleaved;
  std::size_t frames = pcm.size() / 2;
  // The longest run of silence on both channels is the secret window.
  auto [start, bestEnd] = longestSilence(pcm);
  EXPECT_GE(bestEnd - start, 8000u * 300 / 1000) << "secret window not silent";
  ASSERT_GT(start, 1600u);
  ASSERT_LT(bestEnd + 2400, frames);
  EXPECT_GT(toneShare(channel(pcm, 0, start - 1600, start - 160), 600), 0.5);
  EXPECT_GT(toneShare(channel(pcm, 0, bestEnd + 800, bestEnd + 2400), 600), 0.5);
}

TEST_F(MediaCallTest, APausedRecordingHoldsSilenceAndResumes) {
  startEngine();
  SessionId customer = newSession();
  SessionId agent = newSession(customer);
  RtpTestPeer pc, pa;
  connect(customer, pc);
  connect(agent, pa);
  engine_->bridge(customer, agent);
  pc.startStream(sine(600, 8000));
  pa.startStream(sine(1400, 8000));
  std::string id = base::newUuidV7(clock_);
  engine_->startRecording(RecordingSpec{id, customer, agent});
  ASSERT_TRUE(pa.waitCount(25));
  engine_->pauseRecording(id);
  ASSERT_TRUE(pa.waitCount(pa.count() + 20));
  engine_->resumeRecording(id);
  ASSERT_TRUE(pa.waitCount(pa.count() + 25));
  engine_->stopRecording(id);
  auto* stopped =
      events_.waitFor<ev::RecordingStopped>([&](const auto& e) { return e.recordingId == id; });
  ASSERT_TRUE(stopped);
  auto contents = readRecording(stopped->file, config_.recordingKey);
  ASSERT_TRUE(contents.ok()) << contents.error().describe();
  const auto& pcm = contents->interleaved;
  auto [start, end] = longestSilence(pcm);
  EXPECT_GE(end - start, 8000u * 300 / 1000);
  ASSERT_GT(start, 1600u);
  ASSERT_LT(end + 2400, pcm.size() / 2);
  EXPECT_GT(toneShare(channel(pcm, 1, start - 1600, start - 160), 1400), 0.5);
  EXPECT_GT(toneShare(channel(pcm, 1, end + 800, end + 2400), 1400), 0.5);
}

TEST_F(MediaCallTest, HoldPlaysMusicToTheHeldPartyAndNothingToTheOther) {
  startEngine();
  SessionId customer = newSession();
  SessionId agent = newSession(customer);
  RtpTestPeer pc, pa;
  connect(customer, pc);
  connect(agent, pa);
  engine_->bridge(customer, agent);
  pc.startStream(sine(600, 8000));
  pa.startStream(sine(1400, 8000));
  ASSERT_TRUE(pa.waitCount(5));

  engine_->hold(customer, "moh");
  sync(agent);
  auto music = hear(pc);
  EXPECT_GT(toneShare(music, 1000), 0.5);
  EXPECT_LT(toneShare(music, 1400), kAbsent);
  pa.clear();
  ASSERT_TRUE(pc.waitCount(pc.count() + 15));
  EXPECT_EQ(pa.count(), 0u);

  engine_->retrieve(customer);
  EXPECT_GT(toneShare(hear(pa), 600), 0.5);
  EXPECT_GT(toneShare(hear(pc), 1400), 0.5);
}

TEST_F(MediaCallTest, AMutedLegIsNotHeardButStillHearsItsPartner) {
  startEngine();
  SessionId customer = newSession();
  SessionId agent = newSession(customer);
  RtpTestPeer pc, pa;
  connect(customer, pc);
  connect(agent, pa);
  engine_->bridge(customer, agent);
  pc.startStream(sine(600, 8000));
  pa.startStream(sine(1400, 8000));
  ASSERT_TRUE(pc.waitCount(5));

  engine_->mute(agent, true);
  engine_->mute(agent, true);  // idempotent
  sync(agent);
  EXPECT_GT(toneShare(hear(pa), 600), 0.5);  // the muted agent still hears the customer
  ASSERT_GT(pc.count(), 0u);
  const RtpTestPeer::Packet lastAudio = pc.packets().back();
  pc.clear();
  ASSERT_TRUE(pa.waitCount(pa.count() + 15));
  EXPECT_EQ(pc.count(), 0u) << "the muted agent's audio reached the customer";

  // Digits are not audio: they go on, continuing the customer's stream without a gap. (The
  // phone sends no audio during the digit, as phones do: an audio packet in between would be
  // dropped and leave a gap of one.)
  pa.stopStream();
  pa.sendDigit('7');
  pa.startStream(sine(1400, 8000));
  const std::size_t train = encodeDigit(5, 800, 160).size();
  ASSERT_TRUE(pc.waitCount(train));
  ASSERT_TRUE(pa.waitCount(pa.count() + 5));  // nothing else follows
  auto events = pc.packets();
  ASSERT_EQ(events.size(), train);
  DtmfEventReceiver rx;
  std::string digits;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const RtpHeader& h = events[i].header;
    EXPECT_EQ(h.payloadType, 101);
    EXPECT_EQ(h.ssrc, lastAudio.header.ssrc);
    EXPECT_EQ(h.sequence, static_cast<std::uint16_t>(lastAudio.header.sequence + 1 + i)) << i;
    auto e = parseTelephoneEvent(events[i].payload);
    ASSERT_TRUE(e);
    if (auto d = rx.onPacket(h, *e)) digits.push_back(d->digit);
  }
  EXPECT_EQ(digits, "7");
  EXPECT_TRUE(tsNewer(events[0].header.timestamp, lastAudio.header.timestamp));

  // Unmuted, the agent is heard again in the same stream, one sequence number on.
  pc.clear();
  engine_->mute(agent, false);
  ASSERT_TRUE(pc.waitCount(24));
  const auto back = pc.packets();
  EXPECT_EQ(back[0].header.ssrc, lastAudio.header.ssrc);
  EXPECT_EQ(back[0].header.sequence, static_cast<std::uint16_t>(events.back().header.sequence + 1));
  EXPECT_TRUE(back[0].header.marker);
  EXPECT_TRUE(tsNewer(back[0].header.timestamp, events.back().header.timestamp));
  for (std::size_t i = 1; i < back.size(); ++i) {
    EXPECT_EQ(static_cast<std::uint16_t>(back[i].header.sequence - back[i - 1].header.sequence), 1)
        << i;
  }
  EXPECT_GT(toneShare(pc.audio(G711::Alaw, 8, 4), 1400), 0.5);
  EXPECT_GT(toneShare(hear(pa), 600), 0.5);
}

TEST_F(MediaCallTest, AMutedAgentsChannelOfTheRecordingIsSilence) {
  startEngine();
  SessionId customer = newSession();
  SessionId agent = newSession(customer);
  RtpTestPeer pc, pa;
  connect(customer, pc);
  connect(agent, pa);
  engine_->bridge(customer, agent);
  pc.startStream(sine(600, 8000));
  pa.startStream(sine(1400, 8000));
  std::string id = base::newUuidV7(clock_);
  engine_->startRecording(RecordingSpec{id, customer, agent});
  ASSERT_TRUE(pa.waitCount(25));
  engine_->mute(agent, true);
  ASSERT_TRUE(pa.waitCount(pa.count() + 20));
  engine_->mute(agent, false);
  ASSERT_TRUE(pa.waitCount(pa.count() + 25));
  engine_->stopRecording(id);
  auto* stopped =
      events_.waitFor<ev::RecordingStopped>([&](const auto& e) { return e.recordingId == id; });
  ASSERT_TRUE(stopped);
  auto contents = readRecording(stopped->file, config_.recordingKey);
  ASSERT_TRUE(contents.ok()) << contents.error().describe();
  const auto& pcm = contents->interleaved;
  auto [start, end] = longestSilence(pcm, 1);
  EXPECT_GE(end - start, 8000u * 300 / 1000) << "the agent channel was not silent while muted";
  ASSERT_GT(start, 1600u);
  ASSERT_LT(end + 2400, pcm.size() / 2);
  // Only the agent's channel: the customer is recorded throughout.
  EXPECT_GT(toneShare(channel(pcm, 0, start, end), 600), 0.5);
  EXPECT_GT(toneShare(channel(pcm, 1, start - 1600, start - 160), 1400), 0.5);
  EXPECT_GT(toneShare(channel(pcm, 1, end + 800, end + 2400), 1400), 0.5);
}

TEST_F(MediaCallTest, AMutedAgentInABargeIsHeardByNeitherOtherAndNotRecorded) {
  startEngine();
  SessionId customer = newSession();
  SessionId agent = newSession(customer);
  SessionId supervisor = newSession(agent);
  RtpTestPeer pc, pa, ps;
  connect(customer, pc);
  connect(agent, pa);
  connect(supervisor, ps);
  engine_->bridge(customer, agent);
  pc.startStream(sine(500, 8000));
  pa.startStream(sine(1000, 8000));
  ps.startStream(sine(1700, 8000));
  engine_->monitor(supervisor, agent, customer, telephony::MonitorMode::Barge);
  engine_->mute(agent, true);
  sync(supervisor);
  std::string id = base::newUuidV7(clock_);
  engine_->startRecording(RecordingSpec{id, customer, agent});

  auto c = hear(pc), s = hear(ps), a = hear(pa);
  EXPECT_GT(toneShare(c, 1700), 0.5);
  EXPECT_LT(toneShare(c, 1000), kAbsent);
  EXPECT_GT(toneShare(s, 500), 0.5);
  EXPECT_LT(toneShare(s, 1000), kAbsent);
  EXPECT_GT(toneShare(a, 500), kPresent);  // the muted agent still hears both
  EXPECT_GT(toneShare(a, 1700), kPresent);

  engine_->stopRecording(id);
  auto* stopped =
      events_.waitFor<ev::RecordingStopped>([&](const auto& e) { return e.recordingId == id; });
  ASSERT_TRUE(stopped);
  auto contents = readRecording(stopped->file, config_.recordingKey);
  ASSERT_TRUE(contents.ok()) << contents.error().describe();
  const auto& pcm = contents->interleaved;
  std::size_t frames = pcm.size() / 2;
  ASSERT_GT(frames, 4000u);
  // The agent channel carries the third party alone.
  auto left = channel(pcm, 0, 1600, frames - 800);
  auto right = channel(pcm, 1, 1600, frames - 800);
  EXPECT_GT(toneShare(left, 500), 0.5);
  EXPECT_GT(toneShare(right, 1700), 0.5);
  EXPECT_LT(toneShare(right, 1000), kAbsent);
}

TEST_F(MediaCallTest, MonitorModesDecideWhoHearsWhom) {
  startEngine();
  SessionId customer = newSession();
  SessionId agent = newSession(customer);
  SessionId supervisor = newSession(agent);
  RtpTestPeer pc, pa, ps;
  connect(customer, pc);
  connect(agent, pa);
  connect(supervisor, ps);
  engine_->bridge(customer, agent);
  pc.startStream(sine(500, 8000));
  pa.startStream(sine(1000, 8000));
  ps.startStream(sine(1700, 8000));

  engine_->monitor(supervisor, agent, customer, telephony::MonitorMode::Listen);
  sync(supervisor);
  expectListening(ps, pa, pc, 500, 1000, 1700);

  engine_->monitor(supervisor, agent, customer, telephony::MonitorMode::Whisper);
  sync(supervisor);
  auto a = hear(pa);
  auto c = hear(pc);
  EXPECT_GT(toneShare(a, 500), kPresent);
  EXPECT_GT(toneShare(a, 1700), kPresent);
  EXPECT_LT(toneShare(c, 1700), kAbsent);

  engine_->monitor(supervisor, agent, customer, telephony::MonitorMode::Barge);
  sync(supervisor);
  c = hear(pc);
  auto s = hear(ps);
  EXPECT_GT(toneShare(c, 1000), kPresent);
  EXPECT_GT(toneShare(c, 1700), kPresent);
  EXPECT_GT(toneShare(s, 500), kPresent);
  EXPECT_GT(toneShare(s, 1000), kPresent);

  engine_->stopMonitor(supervisor);
  sync(supervisor);
  c = hear(pc);
  EXPECT_GT(toneShare(c, 1000), 0.5);
  EXPECT_LT(toneShare(c, 1700), kAbsent);
  ps.clear();
  ASSERT_TRUE(pc.waitCount(pc.count() + 10));
  EXPECT_EQ(ps.count(), 0u);
}

TEST_F(MediaCallTest, StoppingTheEngineFinishesRecordings) {
  startEngine();
  SessionId customer = newSession();
  SessionId agent = newSession(customer);
  std::string id = base::newUuidV7(clock_);
  engine_->startRecording(RecordingSpec{id, customer, agent});
  sync(customer);
  engine_.reset();
  EXPECT_EQ(events_.count<ev::SessionReleased>(
                [&](const auto& e) { return e.session == customer || e.session == agent; }),
            2u);
  EXPECT_EQ(events_.count<ev::RecordingStopped>([&](const auto& e) { return e.recordingId == id; }),
            1u);
}

}  // namespace
}  // namespace bankcc::media
