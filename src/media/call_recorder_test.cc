// SPDX-License-Identifier: Apache-2.0
#include "media/call_recorder.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>

#include <unistd.h>

#include "base/clock.h"
#include "base/ids.h"
#include "media/g711.h"
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

/// What a CallRecorder fed by `feed` wrote: the writer's report and the file read back.
struct Recorded {
  RecordingDone done;
  RecordingContents contents;
};
Recorded record(const std::function<void(CallRecorder&)>& feed) {
  auto dir = std::filesystem::temp_directory_path() /
             ("bankcc-recorder-test-" + std::to_string(::getpid()));
  RecordingMasterKey key;
  key.fill(5);
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
    CallRecorder recorder(id, SessionId{1}, SessionId{2}, pool,
                          pool.open(RecordingInfo{id, clock.now()}));
    feed(recorder);
    recorder.finish();
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return done.has_value(); }));
  }
  Recorded out;
  if (done) {
    out.done = *done;
    auto contents = readRecording(done->file, key);
    EXPECT_TRUE(contents.ok()) << contents.error().describe();
    if (contents.ok()) out.contents = std::move(contents).value();
  }
  std::filesystem::remove_all(dir);
  return out;
}

/// Records what `feed` gives a CallRecorder and reads the file back.
RecordingContents recordWith(const std::function<void(CallRecorder&)>& feed) {
  return record(feed).contents;
}

TEST(CallRecorderTest, InterleavesChannelsIntoOneSecondChunks) {
  const Recorded r = record([](CallRecorder& recorder) {
    std::array<std::int16_t, kFrameSamples> left, right;
    left.fill(1000);
    right.fill(-1000);
    for (int i = 0; i < 60; ++i) recorder.addFrame(left, right);  // 1.2 s
    recorder.addSilence();
    EXPECT_EQ(recorder.frames(), 61u * kFrameSamples);
    recorder.finish();
    recorder.finish();  // idempotent (record() finishes it once more)
  });
  EXPECT_TRUE(r.done.complete);
  EXPECT_EQ(r.done.frames, 61u * kFrameSamples);
  const auto& pcm = r.contents.interleaved;
  ASSERT_EQ(pcm.size(), 2u * 61 * kFrameSamples);
  EXPECT_NEAR(pcm[0], 1000, 40);
  EXPECT_NEAR(pcm[1], -1000, 40);
  EXPECT_NEAR(pcm[2 * 9000], 1000, 40);
  EXPECT_LE(std::abs(pcm[pcm.size() - 1]), 8);
}

using Coded = std::array<std::uint8_t, kFrameSamples>;

/// Deterministic noise as G.711 bytes: every code appears.
std::vector<Coded> codedFrames(std::size_t n, std::uint32_t seed) {
  std::vector<Coded> frames(n);
  std::uint32_t x = seed;
  for (auto& f : frames) {
    for (auto& b : f) {
      x = x * 1664525u + 1013904223u;
      b = static_cast<std::uint8_t>(x >> 24);
    }
  }
  return frames;
}

std::array<std::int16_t, kFrameSamples> decoded(G711 law, const Coded& f) {
  std::array<std::int16_t, kFrameSamples> out;
  decode(law, f, out);
  return out;
}

TEST(CallRecorderTest, ReceivedBytesRecordAsTheirDecodedSamples) {
  // addCoded() skips decoding and encoding again: it must store exactly what the linear path
  // (decode, then addFrame) stores, for A-law and µ-law legs and for silence.
  const auto left = codedFrames(70, 1), right = codedFrames(70, 2);
  for (G711 leftLaw : {G711::Alaw, G711::Ulaw}) {
    for (G711 rightLaw : {G711::Alaw, G711::Ulaw}) {
      const std::array<std::int16_t, kFrameSamples> zero{};
      auto linear = recordWith([&](CallRecorder& r) {
        for (std::size_t i = 0; i < left.size(); ++i) {
          r.addFrame(decoded(leftLaw, left[i]), i % 7 == 3 ? zero : decoded(rightLaw, right[i]));
        }
      });
      auto coded = recordWith([&](CallRecorder& r) {
        for (std::size_t i = 0; i < left.size(); ++i) {
          r.addCoded(CodedFrame{left[i], leftLaw},
                     i % 7 == 3 ? CallRecorder::silentFrame() : CodedFrame{right[i], rightLaw});
        }
      });
      ASSERT_EQ(linear.interleaved.size(), 2u * 70 * kFrameSamples);
      EXPECT_TRUE(linear.interleaved == coded.interleaved);
    }
  }
}

TEST(CallRecorderTest, InOrderAndReorderedStreamsRecordTheSame) {
  // The media worker's recording path, tick by tick: each leg's packets go into a jitter
  // buffer (depth 2), each tick pops one frame per leg for the recorder. Three ways must give
  // the same file: packets in order (whole frames: the buffer's fast path, bytes as received),
  // the same packets reordered in pairs and split in 10 ms halves (the buffer's sample by
  // sample path), and the former linear path (pop, decode, addFrame).
  // Frame 50 of the customer is lost in all three.
  constexpr std::size_t kFrames = 120;
  const auto customer = codedFrames(kFrames, 3), agent = codedFrames(kFrames, 4);
  const G711 customerLaw = G711::Alaw, agentLaw = G711::Ulaw;
  auto ts = [](std::size_t i) { return 1000u + static_cast<std::uint32_t>(i * kFrameSamples); };
  auto frameAt = [](const std::vector<Coded>& frames, std::size_t i) {
    return std::span<const std::uint8_t>(frames[i]);
  };
  enum class Arrival { InOrder, Reordered };
  // Which frame arrives at tick t: pairs (2k, 2k+1) come as 2k+1 then 2k when reordered.
  auto arriving = [](Arrival a, std::size_t t) { return a == Arrival::InOrder ? t : t ^ 1; };
  auto push = [&](JitterBuffer& jb, const std::vector<Coded>& frames, std::size_t i, bool split) {
    if (!split) {
      jb.push(ts(i), frameAt(frames, i));
      return;
    }
    // The halves come backwards too, once the first packet has set the buffer's frame grid.
    constexpr std::size_t kHalf = kFrameSamples / 2;
    const bool backwards = i >= 10;
    if (!backwards) jb.push(ts(i), frameAt(frames, i).first(kHalf));
    jb.push(ts(i) + kHalf, frameAt(frames, i).subspan(kHalf));
    if (backwards) jb.push(ts(i), frameAt(frames, i).first(kHalf));
  };
  auto run = [&](Arrival arrival, bool linear) {
    return recordWith([&](CallRecorder& r) {
      JitterBuffer left(2), right(2);
      for (std::size_t t = 0; t < kFrames + 4; ++t) {
        const std::size_t i = arriving(arrival, t);
        const bool split = arrival == Arrival::Reordered;
        if (i < kFrames && i != 50) push(left, customer, i, split);
        if (i < kFrames) push(right, agent, i, split);
        if (linear) {
          auto l = left.pop(), rt = right.pop();
          std::array<std::int16_t, kFrameSamples> ls{}, rs{};
          if (l) decode(customerLaw, l->payload, ls);
          if (rt) decode(agentLaw, rt->payload, rs);
          r.addFrame(ls, rs);
          continue;
        }
        Coded l, rt;
        const bool lp = left.popInto(l), rp = right.popInto(rt);
        r.addCoded(lp ? CodedFrame{l, customerLaw} : CallRecorder::silentFrame(),
                   rp ? CodedFrame{rt, agentLaw} : CallRecorder::silentFrame());
      }
    });
  };
  const auto inOrder = run(Arrival::InOrder, false);
  const auto reordered = run(Arrival::Reordered, false);
  const auto formerPath = run(Arrival::InOrder, true);
  ASSERT_EQ(inOrder.interleaved.size(), 2 * (kFrames + 4) * kFrameSamples);
  EXPECT_TRUE(inOrder.interleaved == reordered.interleaved);
  EXPECT_TRUE(inOrder.interleaved == formerPath.interleaved);
  // Playout starts one tick after the first frame (depth 2): frame i is heard at tick i + 1.
  auto sampleAt = [&](std::size_t tick, std::size_t n, int channel) {
    return inOrder.interleaved[2 * (tick * kFrameSamples + n) + static_cast<std::size_t>(channel)];
  };
  EXPECT_EQ(sampleAt(11, 7, 0), alawToLinear(customer[10][7]));
  EXPECT_EQ(sampleAt(11, 7, 1), alawToLinear(linearToAlaw(ulawToLinear(agent[10][7]))));
  EXPECT_EQ(sampleAt(51, 7, 0), 8);  // the lost frame: A-law silence
}

}  // namespace
}  // namespace bankcc::media
