// SPDX-License-Identifier: Apache-2.0
// Loopback tests of the media engine: real UDP on 127.0.0.1 between the engine and test peers.
// Sessions, placement, echo, relay, prompts, digits, malformed input, timeouts, release.
#include "media/engine.h"

#include <gtest/gtest.h>

#include <set>

#include "media/g711.h"
#include "media/inband_dtmf.h"
#include "media/rtcp.h"
#include "media/rtp_test_peer.h"

namespace bankcc::media {
namespace {

using namespace std::chrono_literals;
using testing::RtpTestPeer;
using testing::sine;
using testing::toneShare;
using Reason = ev::DigitsCollected::Reason;

// Packets in one 100 ms digit (the engine's and the test peer's).
const std::size_t kTrain = encodeDigit(5, 800, 160).size();

class MediaEngineTest : public testing::MediaEngineFixture {};

TEST_F(MediaEngineTest, CreatesSessionsOnEvenPortsUntilTheRangeIsExhausted) {
  config_.portMax = config_.portMin + 3;  // two pairs
  startEngine();
  auto a = engine_->createSession(std::nullopt);
  auto b = engine_->createSession(std::nullopt);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->localPort % 2, 0);
  EXPECT_EQ(b->localPort % 2, 0);
  EXPECT_NE(a->localPort, b->localPort);
  EXPECT_EQ(a->localAddress, "127.0.0.1");
  auto c = engine_->createSession(std::nullopt);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, base::Errc::Unavailable);

  engine_->destroy(a->id);
  ASSERT_TRUE(
      events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == a->id; }));
  auto d = engine_->createSession(std::nullopt);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->localPort, a->localPort);  // the only free one
}

TEST_F(MediaEngineTest, PlacesNearSessionsOnTheSameWorkerEvenAfterTheyDied) {
  startEngine();
  ASSERT_EQ(engine_->workerCount(), 2u);
  SessionId a = newSession();
  SessionId b = newSession();
  EXPECT_NE(engine_->workerOf(a), engine_->workerOf(b));  // least loaded
  SessionId c = newSession(b);
  EXPECT_EQ(engine_->workerOf(c), engine_->workerOf(b));
  engine_->destroy(b);
  ASSERT_TRUE(events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == b; }));
  SessionId d = newSession(b);
  EXPECT_EQ(engine_->workerOf(d), engine_->workerOf(b));
  std::set<std::uint64_t> ids{a.value, b.value, c.value, d.value};
  EXPECT_EQ(ids.size(), 4u);
}

TEST_F(MediaEngineTest, EchoReturnsThePeersAudioUnderOurOwnNumbering) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);
  engine_->echo(s);
  peer.startStream(sine(400, 1600));
  ASSERT_TRUE(peer.waitCount(12));
  peer.stopStream();
  auto packets = peer.packets();
  std::uint32_t ssrc = packets[0].header.ssrc;
  EXPECT_NE(ssrc, peer.ssrc);
  for (std::size_t i = 1; i < packets.size(); ++i) {
    EXPECT_EQ(packets[i].header.ssrc, ssrc);
    EXPECT_EQ(
        static_cast<std::uint16_t>(packets[i].header.sequence - packets[i - 1].header.sequence), 1);
    EXPECT_EQ(packets[i].header.timestamp - packets[i - 1].header.timestamp, 160u);
    EXPECT_EQ(packets[i].header.payloadType, 8);
  }
  EXPECT_GT(toneShare(peer.audio(), 400), 0.8);
}

TEST_F(MediaEngineTest, RelayRewritesNumberingPerLegAndTranscodes) {
  startEngine();
  SessionId a = newSession();
  SessionId b = newSession(a);
  RtpTestPeer pa, pb;
  connect(a, pa, G711::Alaw, 8);
  connect(b, pb, G711::Ulaw, 0);
  engine_->bridge(a, b);
  sync(a);
  pa.clear();
  pb.clear();

  std::vector<std::uint8_t> alaw(160), ulaw(160);
  for (std::size_t i = 0; i < alaw.size(); ++i) alaw[i] = static_cast<std::uint8_t>(i * 7);
  transcode(G711::Alaw, G711::Ulaw, alaw, ulaw);

  for (std::uint16_t i = 0; i < 5; ++i) {
    pa.sendRtp(RtpHeader{8, false, static_cast<std::uint16_t>(100 + i), 1000u + 160u * i, 0xa},
               alaw);
  }
  ASSERT_TRUE(pb.waitCount(5));
  for (std::uint16_t i = 0; i < 5; ++i) {
    pb.sendRtp(RtpHeader{0, false, static_cast<std::uint16_t>(7 + i), 90u + 160u * i, 0xb}, ulaw);
  }
  ASSERT_TRUE(pa.waitCount(5));

  auto toB = pb.packets();
  auto toA = pa.packets();
  for (const auto& p : toB) {
    EXPECT_EQ(p.header.payloadType, 0);
    EXPECT_EQ(p.payload, ulaw);
    EXPECT_EQ(p.header.ssrc, toB[0].header.ssrc);
  }
  for (const auto& p : toA) {
    EXPECT_EQ(p.header.payloadType, 8);
    EXPECT_EQ(p.header.ssrc, toA[0].header.ssrc);
    // µ-law -> A-law of what A sent is not the identity, but it decodes to nearly the same.
    for (std::size_t i = 0; i < 160; ++i) {
      EXPECT_NEAR(alawToLinear(p.payload[i]), alawToLinear(alaw[i]),
                  std::abs(alawToLinear(alaw[i])) / 8 + 16);
    }
  }
  EXPECT_NE(toB[0].header.ssrc, 0xau);
  EXPECT_NE(toA[0].header.ssrc, 0xbu);
  EXPECT_NE(toA[0].header.ssrc, toB[0].header.ssrc);
  EXPECT_TRUE(toB[0].header.marker);  // a new stream segment starts

  // A prompt on B's leg and a re-bridge with a new source SSRC: B's stream stays continuous.
  engine_->unbridge(a);
  engine_->play(b, PlaySpec{{telephony::PlayItem::ofSilence(60ms)}, false, false, 9});
  ASSERT_TRUE(events_.waitFor<ev::PlaybackDone>([](const auto& e) { return e.token == 9; }));
  engine_->bridge(a, b);
  sync(a);
  for (std::uint16_t i = 0; i < 3; ++i) {
    pa.sendRtp(RtpHeader{8, false, static_cast<std::uint16_t>(60000 + i), 7u + 160u * i, 0xc},
               alaw);
  }
  ASSERT_TRUE(pb.waitCount(5 + 3 + 3));
  toB = pb.packets();
  for (std::size_t i = 1; i < toB.size(); ++i) {
    EXPECT_EQ(toB[i].header.ssrc, toB[0].header.ssrc);
    EXPECT_EQ(static_cast<std::uint16_t>(toB[i].header.sequence - toB[i - 1].header.sequence), 1)
        << "packet " << i;
    EXPECT_TRUE(tsNewer(toB[i].header.timestamp, toB[i - 1].header.timestamp)) << i;
  }
}

TEST_F(MediaEngineTest, RelaysABurstCompleteAndInOrder) {
  // Packets that reach a socket back to back are read in one batch and relayed to the partner
  // together (one sendmmsg per batch): all of them, in order, numbered on, and counted.
  startEngine();
  SessionId a = newSession();
  SessionId b = newSession(a);
  RtpTestPeer pa, pb;
  connect(a, pa, G711::Alaw, 8);
  connect(b, pb, G711::Alaw, 8);
  engine_->bridge(a, b);
  sync(a);
  pb.clear();

  constexpr std::uint16_t kPackets = 40;  // more than one receive batch
  std::vector<std::pair<RtpHeader, std::vector<std::uint8_t>>> burst;
  for (std::uint16_t i = 0; i < kPackets; ++i) {
    burst.emplace_back(RtpHeader{8, false, static_cast<std::uint16_t>(500 + i), 160u * i, 0xa},
                       std::vector<std::uint8_t>(160, static_cast<std::uint8_t>(i)));
  }
  pa.sendBurst(burst);
  ASSERT_TRUE(pb.waitCount(kPackets));
  auto toB = pb.packets();
  ASSERT_EQ(toB.size(), kPackets);
  for (std::uint16_t i = 0; i < kPackets; ++i) {
    EXPECT_EQ(toB[i].payload, std::vector<std::uint8_t>(160, static_cast<std::uint8_t>(i))) << i;
    if (i > 0) {
      EXPECT_EQ(static_cast<std::uint16_t>(toB[i].header.sequence - toB[i - 1].header.sequence), 1)
          << i;
    }
  }
  engine_->destroy(b);
  auto* released =
      events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == b; });
  ASSERT_TRUE(released);
  EXPECT_EQ(released->stats.packetsSent, kPackets);
}

TEST_F(MediaEngineTest, RelayMapsPayloadTypesAndTelephoneEvents) {
  startEngine();
  SessionId a = newSession();
  SessionId b = newSession(a);
  RtpTestPeer pa, pb;
  connect(a, pa, G711::Alaw, 8, 101);
  connect(b, pb, G711::Alaw, 96, 100);
  engine_->bridge(a, b);
  sync(a);
  pb.clear();
  std::vector<std::uint8_t> alaw(160, 0x55);
  pa.sendRtp(RtpHeader{8, false, 1, 160, 0xa}, alaw);
  ASSERT_TRUE(pb.waitCount(1));
  EXPECT_EQ(pb.packets()[0].header.payloadType, 96);
  EXPECT_EQ(pb.packets()[0].payload, alaw);

  pa.sendDigit('9', 101);
  ASSERT_TRUE(events_.waitFor<ev::DigitPressed>([](const auto& e) { return e.digit == '9'; }));
  ASSERT_TRUE(pb.waitFor([](const auto& ps) {
    return static_cast<std::size_t>(std::count_if(ps.begin(), ps.end(), [](const auto& p) {
             return p.header.payloadType == 100;
           })) >= kTrain;
  }));
  DtmfEventReceiver rx;
  int digits = 0;
  for (const auto& p : pb.packets()) {
    if (p.header.payloadType != 100) continue;
    auto e = parseTelephoneEvent(p.payload);
    ASSERT_TRUE(e);
    if (auto d = rx.onPacket(p.header, *e)) {
      EXPECT_EQ(d->digit, '9');
      ++digits;
    }
  }
  EXPECT_EQ(digits, 1);
}

TEST_F(MediaEngineTest, PromptPlaysForItsLengthThenPlaybackDone) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);
  engine_->play(s, PlaySpec{{telephony::PlayItem::ofPrompt("beep300"),
                             telephony::PlayItem::ofPrompt("no-such-prompt")},
                            false,
                            false,
                            42});
  auto* done = events_.waitFor<ev::PlaybackDone>([](const auto& e) { return e.token == 42; });
  ASSERT_TRUE(done);
  EXPECT_FALSE(done->interrupted);
  ASSERT_TRUE(peer.waitCount(15));
  auto packets = peer.packets();
  EXPECT_EQ(packets.size(), 15u);  // 2,400 samples
  EXPECT_TRUE(packets[0].header.marker);
  EXPECT_FALSE(packets[1].header.marker);
  EXPECT_GT(toneShare(peer.audio(), 1000), 0.8);
}

TEST_F(MediaEngineTest, BargeInStopsThePromptOnTheFirstDigit) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);
  engine_->play(s, PlaySpec{{telephony::PlayItem::ofPrompt("long")}, true, false, 5});
  ASSERT_TRUE(peer.waitCount(3));
  peer.sendDigit('3');
  auto* done = events_.waitFor<ev::PlaybackDone>([](const auto& e) { return e.token == 5; });
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->interrupted);
  auto* digit = events_.waitFor<ev::DigitPressed>();
  ASSERT_TRUE(digit);
  EXPECT_EQ(digit->digit, '3');
}

TEST_F(MediaEngineTest, ACollectionOpenedBeforeItsPromptCountsTheDigitThatBargesIn) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);
  // As voice/ does for CollectDigits with a prompt: collect first, then the prompt.
  engine_->collect(s, CollectSpec{2, 2, 5s, 3s, '#', false, 6});
  engine_->play(s, PlaySpec{{telephony::PlayItem::ofPrompt("long")}, true, false, 5});
  ASSERT_TRUE(peer.waitCount(2));
  peer.sendDigit('3');
  ASSERT_TRUE(events_.waitFor<ev::PlaybackDone>([](const auto& e) { return e.token == 5; }));
  peer.sendDigit('4');
  auto* got = events_.waitFor<ev::DigitsCollected>([](const auto& e) { return e.token == 6; });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->digits, "34");
  EXPECT_EQ(events_.count<ev::DigitPressed>(), 0u);
}

TEST_F(MediaEngineTest, DigitsPressedBeforeACollectionOpensDoNotCount) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);
  engine_->play(s, PlaySpec{{telephony::PlayItem::ofPrompt("long")}, true, false, 5});
  ASSERT_TRUE(peer.waitCount(2));
  peer.sendDigit('3');
  ASSERT_TRUE(events_.waitFor<ev::DigitPressed>());
  engine_->collect(s, CollectSpec{1, 2, 5s, 3s, '#', false, 6});
  peer.sendDigit('4');
  peer.sendDigit('#');
  auto* got = events_.waitFor<ev::DigitsCollected>([](const auto& e) { return e.token == 6; });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->digits, "4");
  EXPECT_EQ(got->reason, Reason::Terminator);
}

TEST_F(MediaEngineTest, TooFewDigitsBeforeTheTerminator) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);
  engine_->collect(s, CollectSpec{4, 6, 5s, 3s, '#', false, 6});
  peer.sendDigit('1');
  peer.sendDigit('#');
  auto* got = events_.waitFor<ev::DigitsCollected>([](const auto& e) { return e.token == 6; });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->digits, "1");
  EXPECT_EQ(got->reason, Reason::TooFew);
}

TEST_F(MediaEngineTest, ReportsReceiveStatisticsOnRelease) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);
  engine_->echo(s);
  sync(s);
  std::vector<std::uint8_t> payload(160, 0xd5);
  for (std::uint16_t seq : {1, 2, 3, 5, 6}) {  // 4 is lost
    peer.sendRtp(RtpHeader{8, false, seq, seq * 160u, 0x77}, payload);
  }
  ASSERT_TRUE(peer.waitCount(5));
  engine_->destroy(s);
  auto* released =
      events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == s; });
  ASSERT_TRUE(released);
  EXPECT_EQ(released->stats.packetsReceived, 5u);
  EXPECT_EQ(released->stats.packetsLost, 1u);
  EXPECT_EQ(released->stats.packetsSent, 5u);
  EXPECT_GE(released->stats.jitterMs, 0.0);
}

TEST_F(MediaEngineTest, CollectEndsOnTerminatorMaxDigitsAndTimeouts) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);

  engine_->collect(s, CollectSpec{1, 10, 5s, 3s, '#', false, 1});
  for (char d : std::string("12#")) peer.sendDigit(d);
  auto* term = events_.waitFor<ev::DigitsCollected>([](const auto& e) { return e.token == 1; });
  ASSERT_TRUE(term);
  EXPECT_EQ(term->reason, Reason::Terminator);
  EXPECT_EQ(term->digits, "12");

  engine_->collect(s, CollectSpec{1, 3, 5s, 3s, '#', false, 2});
  for (char d : std::string("456")) peer.sendDigit(d);
  auto* max = events_.waitFor<ev::DigitsCollected>([](const auto& e) { return e.token == 2; });
  ASSERT_TRUE(max);
  EXPECT_EQ(max->reason, Reason::MaxDigits);
  EXPECT_EQ(max->digits, "456");

  engine_->collect(s, CollectSpec{1, 3, 200ms, 3s, '#', false, 3});
  auto* first = events_.waitFor<ev::DigitsCollected>([](const auto& e) { return e.token == 3; });
  ASSERT_TRUE(first);
  EXPECT_EQ(first->reason, Reason::Timeout);
  EXPECT_EQ(first->digits, "");

  engine_->collect(s, CollectSpec{1, 3, 5s, 300ms, '#', false, 4});
  peer.sendDigit('8');
  auto* inter = events_.waitFor<ev::DigitsCollected>([](const auto& e) { return e.token == 4; });
  ASSERT_TRUE(inter);
  EXPECT_EQ(inter->reason, Reason::Timeout);
  EXPECT_EQ(inter->digits, "8");
  EXPECT_EQ(events_.count<ev::DigitPressed>(), 0u);
}

TEST_F(MediaEngineTest, ReportsEachRfc4733DigitOnce) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);
  peer.sendDigit('7');
  peer.sendDigit('8');
  ASSERT_TRUE(events_.waitFor<ev::DigitPressed>([](const auto& e) { return e.digit == '8'; }));
  EXPECT_EQ(events_.count<ev::DigitPressed>([](const auto& e) { return e.digit == '7'; }), 1u);
  EXPECT_EQ(events_.count<ev::DigitPressed>(), 2u);
}

TEST_F(MediaEngineTest, DetectsInBandDigitsWhenThePeerHasNoTelephoneEvent) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer, G711::Alaw, 8, -1);
  engine_->collect(s, CollectSpec{2, 2, 5s, 3s, '#', false, 11});
  std::vector<std::int16_t> tones(8000 / 5, 0);  // 200 ms of silence first
  generateDtmf('4', 100, 100, tones);
  generateDtmf('7', 100, 100, tones);
  peer.startStream(tones);
  auto* got = events_.waitFor<ev::DigitsCollected>([](const auto& e) { return e.token == 11; });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->reason, Reason::MaxDigits);
  EXPECT_EQ(got->digits, "47");
}

TEST_F(MediaEngineTest, SendsDtmfAsAnRfc4733PacketTrain) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);
  engine_->sendDtmf(s, "5");
  ASSERT_TRUE(peer.waitFor([](const auto& ps) {
    for (const auto& p : ps) {
      auto e = parseTelephoneEvent(p.payload);
      if (e && e->end) return true;
    }
    return false;
  }));
  ASSERT_TRUE(peer.waitCount(kTrain));
  auto packets = peer.packets();
  EXPECT_EQ(packets.size(), kTrain);
  EXPECT_TRUE(packets[0].header.marker);
  DtmfEventReceiver rx;
  int digits = 0;
  for (const auto& p : packets) {
    EXPECT_EQ(p.header.payloadType, 101);
    EXPECT_EQ(p.header.timestamp, packets[0].header.timestamp);
    auto e = parseTelephoneEvent(p.payload);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->event, 5);
    if (rx.onPacket(p.header, *e)) ++digits;
  }
  EXPECT_EQ(digits, 1);
  EXPECT_TRUE(parseTelephoneEvent(packets.back().payload)->end);
}

TEST_F(MediaEngineTest, CountsAndDropsMalformedDatagrams) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);
  engine_->echo(s);
  sync(s);
  peer.clear();
  std::vector<std::uint8_t> ok(12 + 160, 0xd5);
  writeRtp(RtpHeader{8, false, 1, 0, 1}, std::vector<std::uint8_t>(160, 0xd5), ok);
  auto wrongVersion = ok;
  wrongVersion[0] = 0x40;
  auto hugeCsrc = std::vector<std::uint8_t>(ok.begin(), ok.begin() + 20);
  hugeCsrc[0] = 0x8f;  // 15 CSRCs announced, 8 bytes present
  auto truncated = std::vector<std::uint8_t>(ok.begin(), ok.begin() + 5);
  std::array<std::uint8_t, 64> rr{};
  std::size_t rrLen = writeReceiverReport(1, nullptr, 0, 0, rr);
  std::vector<std::uint8_t> unknownPt(12 + 160, 0);
  writeRtp(RtpHeader{18, false, 2, 160, 1}, std::vector<std::uint8_t>(160, 0), unknownPt);
  peer.sendRaw(wrongVersion);
  peer.sendRaw(hugeCsrc);
  peer.sendRaw(truncated);
  peer.sendRaw(std::span(rr).first(rrLen));  // RTCP on the RTP port without rtcp-mux
  peer.sendRaw(unknownPt);
  peer.sendRaw(ok);
  ASSERT_TRUE(peer.waitCount(1));  // only the good packet comes back
  engine_->destroy(s);
  auto* released =
      events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == s; });
  ASSERT_TRUE(released);
  EXPECT_EQ(released->stats.malformed, 4u);
  EXPECT_EQ(released->stats.unknownPayloadType, 1u);
  EXPECT_EQ(released->stats.packetsReceived, 2u);
  EXPECT_EQ(peer.count(), 1u);
}

TEST_F(MediaEngineTest, AcceptsRtcpOnAMuxedPort) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer, G711::Alaw, 8, 101, /*rtcpMux=*/true);
  engine_->echo(s);
  sync(s);
  peer.clear();
  std::array<std::uint8_t, 64> rr{};
  std::size_t rrLen = writeReceiverReport(1, nullptr, 0, 0, rr);
  peer.sendRaw(std::span(rr).first(rrLen));
  auto bad = std::vector<std::uint8_t>(rr.begin(), rr.begin() + rrLen);
  bad[3] = 40;  // a length past the end
  peer.sendRaw(bad);
  std::vector<std::uint8_t> ok(12 + 160);
  writeRtp(RtpHeader{8, false, 1, 0, 1}, std::vector<std::uint8_t>(160, 0xd5), ok);
  peer.sendRaw(ok);
  ASSERT_TRUE(peer.waitCount(1));
  engine_->destroy(s);
  auto* released =
      events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == s; });
  ASSERT_TRUE(released);
  EXPECT_EQ(released->stats.rtcpReceived, 1u);
  EXPECT_EQ(released->stats.malformed, 1u);
}

TEST_F(MediaEngineTest, LatchesToTheConfiguredRemoteIp) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  RtpParams p;
  p.remoteAddress = "127.0.0.2";  // the peer sends from 127.0.0.1
  p.remotePort = peer.port();
  engine_->configure(s, p);
  peer.target(portOf(s));
  std::vector<std::uint8_t> ok(12 + 160);
  writeRtp(RtpHeader{8, false, 1, 0, 1}, std::vector<std::uint8_t>(160, 0xd5), ok);
  peer.sendRaw(ok);
  sync(s);
  engine_->destroy(s);
  auto* released =
      events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == s; });
  ASSERT_TRUE(released);
  // Delivery over loopback is immediate, but the datagram may still be in the socket when
  // sync() returns; what arrived must have been dropped.
  EXPECT_EQ(released->stats.packetsReceived, 0u);
}

TEST_F(MediaEngineTest, ReportsRtpTimeoutOnceExceptForHeldSessions) {
  config_.rtpTimeout = 300ms;
  startEngine();
  SessionId held = newSession();
  SessionId silent = newSession(held);
  RtpTestPeer ph, ps;
  engine_->hold(held, "moh");
  connect(held, ph);
  connect(silent, ps);
  ASSERT_TRUE(
      events_.waitFor<ev::MediaTimeout>([&](const auto& e) { return e.session == silent; }));
  EXPECT_EQ(events_.count<ev::MediaTimeout>(), 1u);
}

TEST_F(MediaEngineTest, DestroyAnswersPendingRequestsThenReleasesLast) {
  startEngine();
  SessionId s = newSession();
  RtpTestPeer peer;
  connect(s, peer);
  engine_->play(s, PlaySpec{{telephony::PlayItem::ofPrompt("long")}, false, false, 1});
  engine_->collect(s, CollectSpec{1, 4, 5s, 3s, '#', false, 2});
  engine_->destroy(s);
  engine_->play(s, PlaySpec{{telephony::PlayItem::ofPrompt("long")}, false, false, 3});
  ASSERT_TRUE(events_.waitFor<ev::SessionReleased>());
  auto kinds = events_.kinds();
  ASSERT_EQ(kinds.size(), 3u);
  EXPECT_EQ(kinds.back(), 5u);  // SessionReleased
  auto* played = events_.waitFor<ev::PlaybackDone>();
  ASSERT_TRUE(played);
  EXPECT_TRUE(played->interrupted);
  auto* collected = events_.waitFor<ev::DigitsCollected>();
  ASSERT_TRUE(collected);
  EXPECT_EQ(collected->reason, Reason::Stopped);
}

TEST_F(MediaEngineTest, StoppingTheEngineReleasesEverySession) {
  startEngine();
  SessionId a = newSession();
  SessionId b = newSession();
  engine_.reset();
  EXPECT_EQ(events_.count<ev::SessionReleased>(
                [&](const auto& e) { return e.session == a || e.session == b; }),
            2u);
}

}  // namespace
}  // namespace bankcc::media
