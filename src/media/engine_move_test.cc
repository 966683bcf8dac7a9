// SPDX-License-Identifier: Apache-2.0
// Loopback tests of moving a session between media workers (decision 0027): a bridge or a
// monitor across workers moves a session to its partner's worker, with its port, its RTP
// numbering and its own state, and without losing or reordering a command.
#include <dirent.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "base/ids.h"
#include "media/engine.h"
#include "media/recording_file.h"
#include "media/rtp_packet.h"
#include "media/rtp_test_peer.h"

namespace bankcc::media {
namespace {

using namespace std::chrono_literals;
using testing::EventLog;
using testing::RtpTestPeer;
using testing::sine;
using testing::toneShare;

/// Sequence numbers missing between the packets received, in order (0 for a whole stream).
std::size_t missing(const std::vector<RtpTestPeer::Packet>& packets) {
  std::size_t gaps = 0;
  for (std::size_t i = 1; i < packets.size(); ++i) {
    auto step =
        static_cast<std::uint16_t>(packets[i].header.sequence - packets[i - 1].header.sequence);
    if (step > 1 && step < 1000) gaps += step - 1u;
  }
  return gaps;
}

std::size_t openDescriptors() {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}

class MediaMoveTest : public testing::MediaEngineFixture {
 protected:
  /// Starts the engine with one anchor session per worker, to place sessions and to sync.
  void startWithAnchors() {
    startEngine();
    ASSERT_EQ(engine_->workerCount(), 2u);
    anchor_[0] = newSession();
    anchor_[1] = newSession();  // the least loaded: the other worker
    if (engine_->workerOf(anchor_[0]) != 0) std::swap(anchor_[0], anchor_[1]);
    ASSERT_EQ(engine_->workerOf(anchor_[0]), 0u);
    ASSERT_EQ(engine_->workerOf(anchor_[1]), 1u);
  }
  SessionId sessionOn(std::size_t worker) { return newSession(anchor_[worker]); }
  /// A session on `worker` whose far end is `peer`, streaming a `hz` tone.
  SessionId phoneOn(std::size_t worker, RtpTestPeer& peer, double hz) {
    const SessionId s = sessionOn(worker);
    connect(s, peer);
    peer.startStream(sine(hz, 8000));
    return s;
  }
  /// Waits until every command posted so far has run, moves included: a worker handing a
  /// session on has posted its Adopt before its own sync completes, and the new worker's sync
  /// comes after that Adopt and the commands it releases. Two rounds cover a move back.
  void syncAll() {
    for (int round = 0; round < 2; ++round) {
      sync(anchor_[0]);
      sync(anchor_[1]);
    }
  }
  std::size_t released(SessionId s) {
    return events_.count<ev::SessionReleased>([s](const auto& e) { return e.session == s; });
  }

  SessionId anchor_[2];
};

TEST_F(MediaMoveTest, ABridgeAcrossWorkersRelaysBothWays) {
  startWithAnchors();
  RtpTestPeer pa, pb;
  SessionId a = phoneOn(0, pa, 600);
  SessionId b = phoneOn(1, pb, 1400);

  engine_->bridge(a, b);
  EXPECT_EQ(engine_->workerOf(b), 0u);
  EXPECT_EQ(engine_->workerOf(a), 0u);
  EXPECT_EQ(MediaEngine::homeWorkerOf(b), 1u);  // the id does not change
  SessionId near = newSession(b);
  EXPECT_EQ(engine_->workerOf(near), 0u);  // where `b` is now, not where it was made
  ASSERT_TRUE(pa.waitCount(30, 5000ms));
  ASSERT_TRUE(pb.waitCount(30, 5000ms));
  EXPECT_GT(toneShare(pb.audio(G711::Alaw, 8, 4), 600), 0.5);
  EXPECT_GT(toneShare(pa.audio(G711::Alaw, 8, 4), 1400), 0.5);

  pa.stopStream();
  pb.stopStream();
  syncAll();
  const std::size_t toA = pa.count(), toB = pb.count();
  engine_->destroy(a);
  engine_->destroy(b);
  auto* ra = events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == a; });
  auto* rb = events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == b; });
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->stats.packetsSent, toA);
  EXPECT_EQ(rb->stats.packetsSent, toB);
  EXPECT_EQ(released(a), 1u);
  EXPECT_EQ(released(b), 1u);
}

TEST_F(MediaMoveTest, TheMovedSessionsNumberingIsContinuousAcrossTheMove) {
  startWithAnchors();
  SessionId a = sessionOn(0);
  SessionId b = sessionOn(1);
  RtpTestPeer pa, pb;
  connect(a, pa);
  connect(b, pb);
  pa.startStream(sine(600, 8000));
  engine_->play(
      b, PlaySpec{{telephony::PlayItem::ofTone(telephony::Tone::Ringback)}, false, false, 1});
  ASSERT_TRUE(pb.waitCount(10));
  engine_->bridge(a, b);
  ASSERT_TRUE(pb.waitCount(pb.count() + 10));
  engine_->stopPlay(b);
  ASSERT_TRUE(events_.waitFor<ev::PlaybackDone>([](const auto& e) { return e.token == 1; }));
  const std::size_t before = pb.count();
  ASSERT_TRUE(pb.waitCount(before + 20, 5000ms));  // relayed from pa

  auto toB = pb.packets();
  const std::uint32_t ssrc = toB[0].header.ssrc;
  for (std::size_t i = 1; i < toB.size(); ++i) {
    const RtpHeader& h = toB[i].header;
    const RtpHeader& prev = toB[i - 1].header;
    EXPECT_EQ(h.ssrc, ssrc) << i;
    EXPECT_EQ(static_cast<std::uint16_t>(h.sequence - prev.sequence), 1) << i;
    EXPECT_TRUE(tsNewer(h.timestamp, prev.timestamp)) << i;
    // Whole frames: a timestamp drawn afresh (a stream restarted) would not be.
    EXPECT_EQ((h.timestamp - prev.timestamp) % 160, 0u) << i;
    // And no leap (a fresh random timestamp) either: generous, this is not about timing.
    EXPECT_LT(h.timestamp - prev.timestamp, 160u * 250) << i;
  }
  EXPECT_GT(toneShare(pb.audio(G711::Alaw, 8, before + 4), 600), 0.5);
}

TEST_F(MediaMoveTest, CommandsPostedDuringTheMoveRunInOrderOnTheNewWorker) {
  startWithAnchors();
  RtpTestPeer pa, pb;
  SessionId a = phoneOn(0, pa, 600);
  SessionId b = phoneOn(1, pb, 1400);

  // Posted at once, while the session is on its way: had the stop overtaken the play, or gone
  // to the old worker, the endless tone would keep the bridge from ever reaching pb.
  engine_->bridge(a, b);
  engine_->play(b,
                PlaySpec{{telephony::PlayItem::ofTone(telephony::Tone::Busy)}, false, false, 21});
  engine_->stopPlay(b);
  engine_->play(b, PlaySpec{{telephony::PlayItem::ofSilence(60ms)}, false, false, 22});
  engine_->mute(b, true);
  engine_->mute(b, false);

  auto* second = events_.waitFor<ev::PlaybackDone>([](const auto& e) { return e.token == 22; });
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->interrupted);
  auto* first = events_.waitFor<ev::PlaybackDone>([](const auto& e) { return e.token == 21; });
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->interrupted);
  std::vector<std::uint64_t> order;
  events_.forEach([&](const MediaEvent& e) {
    if (auto* p = std::get_if<ev::PlaybackDone>(&e); p && p->session == b)
      order.push_back(p->token);
  });
  EXPECT_EQ(order, (std::vector<std::uint64_t>{21, 22}));

  EXPECT_EQ(engine_->workerOf(b), engine_->workerOf(a));
  EXPECT_GT(toneShare(hear(pb), 600), 0.5);
  EXPECT_GT(toneShare(hear(pa), 1400), 0.5);  // unmuted
}

TEST_F(MediaMoveTest, ALineServesACallOnEachWorkerAndItsSecondCallIsRecorded) {
  startWithAnchors();
  RtpTestPeer pl, p1, p2;
  SessionId line = phoneOn(0, pl, 1400);

  // First call: the customer is on worker 1, the line moves there.
  SessionId c1 = phoneOn(1, p1, 600);
  engine_->bridge(c1, line);
  EXPECT_EQ(engine_->workerOf(line), 1u);
  EXPECT_GT(toneShare(hear(pl), 600), 0.5);
  EXPECT_GT(toneShare(hear(p1), 1400), 0.5);
  engine_->unbridge(line);
  engine_->destroy(c1);
  ASSERT_TRUE(events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == c1; }));

  // Second call: the customer is on worker 0, the line moves home.
  SessionId c2 = phoneOn(0, p2, 500);
  engine_->bridge(c2, line);
  EXPECT_EQ(engine_->workerOf(line), 0u);
  std::string id = base::newUuidV7(clock_);
  engine_->startRecording(RecordingSpec{id, c2, line});  // while the line may be on its way
  EXPECT_GT(toneShare(hear(pl), 500), 0.5);
  EXPECT_GT(toneShare(hear(p2), 1400), 0.5);
  ASSERT_TRUE(p2.waitCount(p2.count() + 50, 5000ms));
  engine_->stopRecording(id);

  auto* stopped =
      events_.waitFor<ev::RecordingStopped>([&](const auto& e) { return e.recordingId == id; });
  ASSERT_TRUE(stopped);
  EXPECT_TRUE(stopped->complete);
  EXPECT_GT(stopped->duration, base::Duration::zero());
  auto contents = readRecording(stopped->file, config_.recordingKey);
  ASSERT_TRUE(contents.ok()) << contents.error().describe();
  const auto& pcm = contents->interleaved;
  const std::size_t frames = pcm.size() / 2;
  ASSERT_GT(frames, 3200u);
  std::vector<std::int16_t> left, right;
  for (std::size_t i = 1600; i < frames - 800; ++i) {
    left.push_back(pcm[2 * i]);
    right.push_back(pcm[2 * i + 1]);
  }
  EXPECT_GT(toneShare(left, 500), 0.5);
  EXPECT_GT(toneShare(right, 1400), 0.5);
  EXPECT_LT(toneShare(right, 600), kAbsent);
}

TEST_F(MediaMoveTest, ASupervisorOnAnotherWorkerHearsTheMix) {
  startWithAnchors();
  RtpTestPeer pc, pa, ps;
  SessionId customer = phoneOn(0, pc, 500);
  SessionId agent = phoneOn(0, pa, 1000);
  SessionId supervisor = phoneOn(1, ps, 1700);
  engine_->bridge(customer, agent);

  engine_->monitor(supervisor, agent, customer, telephony::MonitorMode::Listen);
  EXPECT_EQ(engine_->workerOf(supervisor), 0u);
  syncAll();
  expectListening(ps, pa, pc, 500, 1000, 1700);

  engine_->monitor(supervisor, agent, customer, telephony::MonitorMode::Barge);
  sync(supervisor);
  EXPECT_GT(toneShare(hear(pc), 1700), kPresent);
}

TEST_F(MediaMoveTest, MovingABridgedSessionCutsItsBridgeAndRecording) {
  startWithAnchors();
  RtpTestPeer px, pb, pa;
  SessionId x = phoneOn(1, px, 700);
  SessionId b = phoneOn(1, pb, 1400);
  SessionId a = phoneOn(0, pa, 600);
  engine_->bridge(x, b);
  std::string id = base::newUuidV7(clock_);
  engine_->startRecording(RecordingSpec{id, x, b});
  EXPECT_GT(toneShare(hear(px), 1400), 0.5);

  engine_->bridge(a, b);  // b was not idle: its bridge with x and the recording end
  ASSERT_TRUE(
      events_.waitFor<ev::RecordingStopped>([&](const auto& e) { return e.recordingId == id; }));
  syncAll();
  EXPECT_GT(toneShare(hear(pb), 600), 0.5);
  EXPECT_GT(toneShare(hear(pa), 1400), 0.5);
  px.clear();
  ASSERT_TRUE(pa.waitCount(pa.count() + 25, 5000ms));
  EXPECT_EQ(px.count(), 0u) << "the old partner still hears the moved session";

  // The old partner is whole: it can be bridged again on its own worker.
  RtpTestPeer py;
  SessionId y = phoneOn(1, py, 900);
  engine_->bridge(x, y);
  EXPECT_GT(toneShare(hear(px), 900), 0.5);
}

TEST_F(MediaMoveTest, DestroyedRightAfterTheBridgeTheSessionIsReleasedOnce) {
  startWithAnchors();
  SessionId a = sessionOn(0);
  SessionId b = sessionOn(1);
  engine_->bridge(a, b);
  engine_->destroy(b);  // waits on the new worker until the session arrives
  ASSERT_TRUE(events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == b; }));
  syncAll();
  EXPECT_EQ(released(b), 1u);
  EXPECT_EQ(released(a), 0u);
  EXPECT_EQ(engine_->workerOf(b), MediaEngine::homeWorkerOf(b));  // the table forgot it
  engine_.reset();
  EXPECT_EQ(released(b), 1u);
  EXPECT_EQ(released(a), 1u);
}

TEST_F(MediaMoveTest, ASessionDestroyedBeforeItsMoveIsNotAwaitedForEver) {
  startWithAnchors();
  SessionId a = sessionOn(0);
  SessionId b = sessionOn(1);
  RtpTestPeer pa;
  connect(a, pa);
  engine_->destroy(b);
  engine_->bridge(a, b);  // the old worker finds nothing to hand over: Abandon
  engine_->play(a, PlaySpec{{telephony::PlayItem::ofSilence(40ms)}, false, false, 31});
  auto* done = events_.waitFor<ev::PlaybackDone>([](const auto& e) { return e.token == 31; });
  ASSERT_TRUE(done) << "a command held back for the bridge was never run";
  syncAll();
  EXPECT_EQ(released(b), 1u);
  EXPECT_EQ(engine_->workerOf(b), 1u);  // forgotten: the id's worker again
  engine_->echo(a);                     // `a` serves as before
  pa.startStream(sine(400, 8000));
  EXPECT_GT(toneShare(hear(pa), 400), 0.5);
}

TEST_F(MediaMoveTest, MovesBackAndForthInFlightEndWithOneSessionReleasedOnce) {
  startWithAnchors();
  SessionId a0 = sessionOn(0);
  SessionId a1 = sessionOn(1);
  SessionId b = sessionOn(1);
  RtpTestPeer pb, p0;
  connect(b, pb);
  connect(a0, p0);
  p0.startStream(sine(600, 8000));
  // Each move is posted before the previous one has arrived: Expects and Detaches queue up.
  engine_->bridge(a0, b);
  engine_->bridge(a1, b);
  engine_->bridge(a0, b);
  engine_->bridge(a1, b);
  engine_->bridge(a0, b);
  EXPECT_EQ(engine_->workerOf(b), 0u);
  EXPECT_GT(toneShare(hear(pb), 600), 0.5);
  engine_->bridge(a1, b);
  engine_->destroy(b);
  ASSERT_TRUE(events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == b; }));
  syncAll();
  EXPECT_EQ(released(b), 1u);
  EXPECT_EQ(engine_->workerOf(b), 1u);
}

TEST_F(MediaMoveTest, StoppingTheEngineDuringMovesReleasesEverySessionOnce) {
  const std::size_t fds = openDescriptors();
  for (int round = 0; round < 12; ++round) {
    EventLog log;
    auto started = MediaEngine::start(config_, clock_, prompts_, log.sink());
    ASSERT_TRUE(started.ok()) << started.error().describe();
    std::unique_ptr<MediaEngine> engine = std::move(started).value();
    std::vector<SessionId> ids;
    for (int i = 0; i < 4; ++i) ids.push_back(engine->createSession(std::nullopt)->id);
    // Two on each worker; moves in flight in both directions when the engine stops.
    engine->bridge(ids[0], ids[1]);  // 1 to worker 0
    if (round % 3 == 1) engine->destroy(ids[1]);
    engine->bridge(ids[3], ids[0]);  // 0 to worker 1, cutting its bridge
    engine->monitor(ids[2], ids[3], ids[0], telephony::MonitorMode::Listen);  // 2 to worker 1
    engine->startRecording(RecordingSpec{base::newUuidV7(clock_), ids[3], ids[0]});
    if (round % 3 == 2) engine->destroy(ids[0]);
    if (round % 2 == 1) {
      // Let some of it happen before the stop.
      engine->play(ids[2], PlaySpec{{telephony::PlayItem::ofSilence(20ms)}, false, false, 5});
      ASSERT_TRUE(log.waitFor<ev::PlaybackDone>([](const auto& e) { return e.token == 5; }));
    }
    engine.reset();
    for (SessionId s : ids) {
      EXPECT_EQ(log.count<ev::SessionReleased>([s](const auto& e) { return e.session == s; }), 1u)
          << "round " << round << " session " << s.value;
    }
    EXPECT_EQ(log.count<ev::RecordingStopped>(), 1u) << "round " << round;
  }
  EXPECT_EQ(openDescriptors(), fds);  // every RTP socket closed
}

TEST_F(MediaMoveTest, AMoveWhileBothPhonesStreamLosesAtMostAHandfulOfPackets) {
  startWithAnchors();
  RtpTestPeer pa, pb;
  SessionId a = phoneOn(0, pa, 600);
  SessionId b = phoneOn(1, pb, 1400);
  sync(a);
  sync(b);  // both streams run into their sessions
  syncAll();

  engine_->bridge(a, b);
  ASSERT_TRUE(pb.waitCount(50, 5000ms));
  ASSERT_TRUE(pa.waitCount(50, 5000ms));
  pa.stopStream();
  pb.stopStream();
  syncAll();

  // Relayed both ways from the first packet on, without a gap.
  EXPECT_LE(missing(pa.packets()), 3u);
  EXPECT_LE(missing(pb.packets()), 3u);
  // What each phone sent reached its session, before, during and after the move (the socket
  // kept what arrived meanwhile).
  engine_->destroy(a);
  engine_->destroy(b);
  auto* ra = events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == a; });
  auto* rb = events_.waitFor<ev::SessionReleased>([&](const auto& e) { return e.session == b; });
  ASSERT_TRUE(ra && rb);
  EXPECT_GE(rb->stats.packetsReceived, 50u);
  EXPECT_LE(ra->stats.packetsLost, 3u);
  EXPECT_LE(rb->stats.packetsLost, 3u);
}

}  // namespace
}  // namespace bankcc::media
