// SPDX-License-Identifier: Apache-2.0
#include "media/recording_writer_pool.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "base/ids.h"
#include "media/g711.h"

namespace bankcc::media {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (fs::path(::testing::TempDir()) / "bkpool-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

RecordingMasterKey testKey() {
  RecordingMasterKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 13 + 5);
  return k;
}

/// Collects done reports; waits for a number of them.
class DoneLog {
 public:
  RecordingWriterPool::DoneCallback callback() {
    return [this](RecordingDone d) {
      std::lock_guard lock(mu_);
      done_.push_back(std::move(d));
      cv_.notify_all();
    };
  }
  bool waitFor(std::size_t n, std::chrono::seconds timeout = 20s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done_.size() >= n; });
  }
  std::vector<RecordingDone> all() {
    std::lock_guard lock(mu_);
    return done_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RecordingDone> done_;
};

RecordingInfo newInfo() {
  static base::RealClock clock;
  RecordingInfo info;
  info.recordingId = base::newUuidV7(clock);
  info.started = clock.now();
  return info;
}

/// `frames` stereo frames; left and right carry different, recognisable values.
std::vector<std::uint8_t> chunkOf(std::size_t frames, std::int16_t left, std::int16_t right) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < frames; ++i) {
    out.push_back(linearToAlaw(left));
    out.push_back(linearToAlaw(right));
  }
  return out;
}

std::int16_t roundTrip(std::int16_t v) {
  return alawToLinear(linearToAlaw(v));
}

TEST(RecordingWriterPoolTest, ManyFilesAtOnceKeepTheirOrder) {
  ScratchDir dir;
  DoneLog log;
  constexpr int kFiles = 24;
  constexpr int kChunks = 12;
  constexpr std::size_t kFrames = 800;
  std::vector<std::string> ids(kFiles);
  {
    RecordingWriterPool pool(dir.path(), testKey(), 3, log.callback());
    std::vector<std::thread> producers;
    for (int f = 0; f < kFiles; ++f) {
      producers.emplace_back([&, f] {
        const auto info = newInfo();
        ids[f] = info.recordingId;
        const auto h = pool.open(info);
        for (int c = 0; c < kChunks; ++c) {
          // Left counts chunks up, right tells the file: any reordering or mixing shows.
          pool.append(h, chunkOf(kFrames, static_cast<std::int16_t>(100 * (c + 1)),
                                 static_cast<std::int16_t>(-100 * (f + 1))));
        }
        pool.close(h);
      });
    }
    for (auto& t : producers) t.join();
    ASSERT_TRUE(log.waitFor(kFiles));
    EXPECT_EQ(pool.droppedChunks(), 0u);
  }
  const auto done = log.all();
  ASSERT_EQ(done.size(), static_cast<std::size_t>(kFiles));
  std::map<std::string, RecordingDone> byId;
  for (const auto& d : done) byId[d.recordingId] = d;
  for (int f = 0; f < kFiles; ++f) {
    const auto& d = byId.at(ids[f]);
    EXPECT_TRUE(d.complete) << d.error;
    EXPECT_EQ(d.frames, kChunks * kFrames);
    EXPECT_EQ(d.file, *recordingPath(dir.path(), ids[f]));
    auto r = readRecording(d.file, testKey());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->complete);
    ASSERT_EQ(r->interleaved.size(), 2 * kChunks * kFrames);
    for (int c = 0; c < kChunks; ++c) {
      const std::size_t at = 2 * (c * kFrames + kFrames / 2);
      EXPECT_EQ(r->interleaved[at], roundTrip(static_cast<std::int16_t>(100 * (c + 1))));
      EXPECT_EQ(r->interleaved[at + 1], roundTrip(static_cast<std::int16_t>(-100 * (f + 1))));
    }
  }
}

TEST(RecordingWriterPoolTest, AFullQueueDropsChunksAndReportsTheFileIncomplete) {
  ScratchDir dir;
  // The writer thread is held inside the first file's done callback, so nothing leaves the
  // queue while the test fills it.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  bool blocked = false;
  DoneLog log;
  auto inner = log.callback();
  RecordingWriterPool pool(
      dir.path(), testKey(), 1,
      [&](RecordingDone d) {
        {
          std::unique_lock lock(mu);
          if (!blocked) {
            blocked = true;
            cv.notify_all();
            cv.wait(lock, [&] { return release; });
          }
        }
        inner(std::move(d));
      },
      /*maxQueuedChunksPerThread=*/3);
  const auto blocker = pool.open(newInfo());
  pool.close(blocker);
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return blocked; }));
  }
  const auto info = newInfo();
  const auto h = pool.open(info);
  for (int c = 0; c < 10; ++c) {
    pool.append(h, chunkOf(1000, static_cast<std::int16_t>(1000 + c * 100), 0));
  }
  pool.close(h);
  EXPECT_EQ(pool.droppedChunks(), 7u);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(log.waitFor(2));
  const auto d = log.all()[1];
  EXPECT_EQ(d.recordingId, info.recordingId);
  EXPECT_FALSE(d.complete);
  EXPECT_EQ(d.droppedChunks, 7u);
  EXPECT_EQ(d.frames, 3000u);
  EXPECT_NE(d.error.find("dropped"), std::string::npos) << d.error;
  auto r = readRecording(d.file, testKey());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->complete);
  EXPECT_TRUE(r->finalChunk);
  EXPECT_EQ(r->gapFrames, 7000u);
  // The kept chunks are the first three, and the timeline keeps the call's full length.
  ASSERT_EQ(r->interleaved.size(), 2u * 10000);
  EXPECT_EQ(r->interleaved[2 * 2500], roundTrip(1200));
  EXPECT_EQ(r->interleaved[2 * 5000], 0);
}

TEST(RecordingWriterPoolTest, AnOpenFailureIsReportedThroughTheCallback) {
  ScratchDir dir;
  std::ofstream(dir.path() / "not-a-dir") << "x";
  DoneLog log;
  RecordingWriterPool pool(dir.path() / "not-a-dir", testKey(), 2, log.callback());
  const auto info = newInfo();
  const auto h = pool.open(info);
  pool.append(h, chunkOf(100, 1, 1));  // ignored
  ASSERT_TRUE(log.waitFor(1));
  pool.close(h);  // nothing more to report
  const auto d = log.all()[0];
  EXPECT_EQ(d.recordingId, info.recordingId);
  EXPECT_FALSE(d.complete);
  EXPECT_EQ(d.frames, 0u);
  EXPECT_NE(d.error.find("cannot create"), std::string::npos) << d.error;
}

TEST(RecordingWriterPoolTest, AnInvalidRecordingIdIsReportedThroughTheCallback) {
  ScratchDir dir;
  DoneLog log;
  RecordingWriterPool pool(dir.path(), testKey(), 1, log.callback());
  RecordingInfo info;
  info.recordingId = "not-a-uuid";
  const auto h = pool.open(info);
  ASSERT_TRUE(log.waitFor(1));
  pool.close(h);
  EXPECT_FALSE(log.all()[0].complete);
  EXPECT_NE(log.all()[0].error.find("not a recording id"), std::string::npos);
}

TEST(RecordingWriterPoolTest, TheDestructorFinishesOpenFiles) {
  ScratchDir dir;
  DoneLog log;
  std::vector<std::string> ids;
  {
    RecordingWriterPool pool(dir.path(), testKey(), 2, log.callback());
    for (int f = 0; f < 4; ++f) {
      const auto info = newInfo();
      ids.push_back(info.recordingId);
      const auto h = pool.open(info);
      pool.append(h, chunkOf(400, 500, -500));
      pool.append(h, chunkOf(400, 600, -600));
    }
  }  // never closed
  const auto done = log.all();
  ASSERT_EQ(done.size(), 4u);
  for (const auto& d : done) {
    EXPECT_TRUE(d.complete) << d.error;
    EXPECT_EQ(d.frames, 800u);
    auto r = readRecording(d.file, testKey());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->complete);
    EXPECT_EQ(r->interleaved.size(), 1600u);
  }
}

}  // namespace
}  // namespace bankcc::media
