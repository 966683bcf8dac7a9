// SPDX-License-Identifier: Apache-2.0
#include "media/call_recorder.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>

#include <unistd.h>

#include "base/clock.h"
#include "base/ids.h"
#include "media/jitter_buffer.h"

namespace bankcc::media {
namespace {

TEST(CallRecorderTest, MemoryPerRecordedCallStaysUnder64KiB) {
  // The chunk being filled, the recorder, and a jitter buffer for each of the two legs (the
  // sessions exist anyway; their decode state exists only while recorded or mixed).
  std::size_t perCall = CallRecorder::kChunkBytes + sizeof(CallRecorder) + 2 * sizeof(JitterBuffer);
  EXPECT_LT(perCall, 64u * 1024);
  RecordProperty("bytes_per_recorded_call", static_cast<int>(perCall));
}

TEST(CallRecorderTest, InterleavesChannelsIntoOneSecondChunks) {
  auto dir = std::filesystem::temp_directory_path() /
             ("bankcc-recorder-test-" + std::to_string(::getpid()));
  RecordingMasterKey key;
  key.fill(3);
  std::mutex mu;
  std::condition_variable cv;
  std::optional<RecordingDone> done;
  {
    RecordingWriterPool pool(dir, key, 1, [&](RecordingDone d) {
      std::lock_guard lock(mu);
      done = std::move(d);
      cv.notify_all();
    });
    base::RealClock clock;
    std::string id = base::newUuidV7(clock);
    auto handle = pool.open(RecordingInfo{id, clock.now()});
    CallRecorder recorder(id, SessionId{1}, SessionId{2}, pool, handle);
    std::array<std::int16_t, kFrameSamples> left, right;
    left.fill(1000);
    right.fill(-1000);
    for (int i = 0; i < 60; ++i) recorder.addFrame(left, right);  // 1.2 s
    recorder.addSilence();
    EXPECT_EQ(recorder.frames(), 61u * kFrameSamples);
    recorder.finish();
    recorder.finish();  // idempotent
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(2), [&] { return done.has_value(); }));
  }
  EXPECT_TRUE(done->complete);
  EXPECT_EQ(done->frames, 61u * kFrameSamples);
  auto contents = readRecording(done->file, key);
  ASSERT_TRUE(contents.ok()) << contents.error().describe();
  const auto& pcm = contents->interleaved;
  ASSERT_EQ(pcm.size(), 2u * 61 * kFrameSamples);
  EXPECT_NEAR(pcm[0], 1000, 40);
  EXPECT_NEAR(pcm[1], -1000, 40);
  EXPECT_NEAR(pcm[2 * 9000], 1000, 40);
  EXPECT_LE(std::abs(pcm[pcm.size() - 1]), 8);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bankcc::media
