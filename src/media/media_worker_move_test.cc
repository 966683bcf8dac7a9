// SPDX-License-Identifier: Apache-2.0
// The move protocol between two media workers driven message by message (engine_move_test.cc
// drives it through the engine): the orderings the engine rarely produces on its own, such as
// a session handed to a worker that has stopped already.
#include "media/media_worker.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>

#include "media/rtp_test_peer.h"

namespace bankcc::media {
namespace {

using namespace std::chrono_literals;
using testing::EventLog;

class MediaWorkerMoveTest : public ::testing::Test {
 protected:
  MediaWorkerMoveTest()
      : dir_(std::filesystem::temp_directory_path() /
             fmt::format("bankcc-media-move-test-{}", ::getpid())),
        ports_("127.0.0.1", static_cast<std::uint16_t>(10000 + (::getpid() % 500) * 40),
               static_cast<std::uint16_t>(10000 + (::getpid() % 500) * 40 + 39)),
        writers_(dir_, RecordingMasterKey{}, 1, [this](RecordingDone d) { failed(std::move(d)); }) {
    sink_ = events_.sink();
    WorkerContext ctx;
    ctx.config = &config_;
    ctx.clock = &clock_;
    ctx.sink = &sink_;
    ctx.ports = &ports_;
    ctx.writers = &writers_;
    ctx.workerCount = 2;
    ctx.recordingFailed = [this](RecordingDone d) { failed(std::move(d)); };
    ctx.postTo = [this](std::size_t w, WorkerCommand c) { workers_[w]->post(std::move(c)); };
    ctx.moveAbandoned = [this](SessionId s, std::size_t w) {
      std::lock_guard lock(mu_);
      abandoned_.emplace_back(s.value, w);
    };
    for (std::size_t i = 0; i < 2; ++i) {
      workers_.push_back(std::make_unique<MediaWorker>(i, ctx));
      EXPECT_TRUE(workers_.back()->start().ok());
    }
  }
  ~MediaWorkerMoveTest() override {
    for (auto& w : workers_) w->stop();
    for (auto& w : workers_) w->releaseStranded();
    workers_.clear();
    std::filesystem::remove_all(dir_);
  }

  SessionId add(std::size_t worker) {
    SessionId id{(std::uint64_t{worker} << 56) | next_++};
    auto ports = ports_.allocate();
    EXPECT_TRUE(ports.ok());
    workers_[worker]->load.fetch_add(1);  // as the engine counts a new session
    workers_[worker]->post(cmd::AddSession{id, *ports});
    return id;
  }
  /// 20 ms of silence on `s`, ending with PlaybackDone{token}.
  static cmd::Play silence(SessionId s, std::uint64_t token) {
    ResolvedPlay play;
    play.items.push_back(ResolvedItem{telephony::PlayItem::Kind::Silence, {}, {}, 160});
    play.token = token;
    return cmd::Play{s, std::move(play)};
  }
  /// Plays silence on `s` and waits for its end: every command posted to `s`'s worker before
  /// has run (or waits for a session on its way).
  bool played(std::size_t worker, SessionId s, std::uint64_t token) {
    workers_[worker]->post(silence(s, token));
    return events_.waitFor<ev::PlaybackDone>([token](const auto& e) { return e.token == token; });
  }
  std::size_t released(SessionId s) {
    return events_.count<ev::SessionReleased>([s](const auto& e) { return e.session == s; });
  }
  void failed(RecordingDone d) {
    std::lock_guard lock(mu_);
    recordingsDone_.push_back(d.recordingId);
  }

  // What the callbacks write is declared first: it outlives the pool and the workers.
  std::mutex mu_;
  std::vector<std::pair<std::uint64_t, std::size_t>> abandoned_;
  std::vector<std::string> recordingsDone_;
  std::filesystem::path dir_;
  MediaConfig config_;
  base::RealClock clock_;
  EventLog events_;
  MediaEventSink sink_;
  RtpPortPool ports_;
  RecordingWriterPool writers_;
  std::vector<std::unique_ptr<MediaWorker>> workers_;
  std::uint64_t next_ = 1;
};

TEST_F(MediaWorkerMoveTest, LoadFollowsTheSessionAndCommandsWaitForIt) {
  SessionId s = add(1);
  ASSERT_TRUE(played(1, s, 1));
  // The play is posted to the new worker between Expect and Detach: it waits for the session.
  workers_[0]->post(cmd::Expect{s});
  workers_[0]->post(silence(s, 2));
  workers_[1]->post(cmd::Detach{s, 0});
  ASSERT_TRUE(events_.waitFor<ev::PlaybackDone>([](const auto& e) { return e.token == 2; }));
  EXPECT_EQ(workers_[0]->load.load(), 1u);
  EXPECT_EQ(workers_[1]->load.load(), 0u);
  workers_[0]->post(cmd::Destroy{s});
  ASSERT_TRUE(events_.waitFor<ev::SessionReleased>([s](const auto& e) { return e.session == s; }));
  EXPECT_EQ(workers_[0]->load.load(), 0u);
}

TEST_F(MediaWorkerMoveTest, AnAbandonedMoveRunsWhatWaitedAndTellsTheEngine) {
  SessionId x = add(0);
  SessionId gone = add(1);
  workers_[1]->post(cmd::Destroy{gone});
  ASSERT_TRUE(
      events_.waitFor<ev::SessionReleased>([gone](const auto& e) { return e.session == gone; }));
  workers_[0]->post(cmd::Expect{gone});
  workers_[0]->post(cmd::Bridge{x, gone});  // waits for `gone`
  // Names `x`, which the waiting Bridge names: waits behind it.
  workers_[0]->post(silence(x, 3));
  workers_[1]->post(cmd::Detach{gone, 0});
  ASSERT_TRUE(events_.waitFor<ev::PlaybackDone>([](const auto& e) { return e.token == 3; }));
  std::lock_guard lock(mu_);
  ASSERT_EQ(abandoned_.size(), 1u);
  EXPECT_EQ(abandoned_[0], std::make_pair(gone.value, std::size_t{0}));
}

TEST_F(MediaWorkerMoveTest, ASessionHandedToAStoppedWorkerIsReleasedOnce) {
  SessionId s = add(1);
  SessionId other = add(0);
  ASSERT_TRUE(played(1, s, 4));
  // Worker 0 stops while it waits for `s`, a recording of it waiting too.
  workers_[0]->post(cmd::Expect{s});
  workers_[0]->post(cmd::StartRecording{RecordingSpec{"rec-1", other, s}});
  workers_[0]->stop();
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(recordingsDone_, std::vector<std::string>{"rec-1"});  // its end is reported
  }
  EXPECT_EQ(released(other), 1u);
  workers_[1]->post(cmd::Detach{s, 0});  // the Adopt reaches a stopped worker
  workers_[1]->stop();
  EXPECT_EQ(released(s), 0u);
  workers_[0]->releaseStranded();
  EXPECT_EQ(released(s), 1u);
  workers_[1]->releaseStranded();
  workers_[0]->releaseStranded();
  EXPECT_EQ(released(s), 1u);
  EXPECT_EQ(ports_.inUse(), 0u);
}

}  // namespace
}  // namespace bankcc::media
