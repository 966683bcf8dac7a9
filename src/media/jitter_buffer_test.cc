// SPDX-License-Identifier: Apache-2.0
#include "media/jitter_buffer.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace bankcc::media {
namespace {

// A payload whose bytes encode the frame number, so the test can tell frames apart.
std::vector<std::uint8_t> payloadFor(std::uint32_t ts, std::size_t bytes) {
  std::vector<std::uint8_t> p(bytes);
  for (std::size_t i = 0; i < bytes; ++i) {
    p[i] = static_cast<std::uint8_t>(((ts + i) / 160) * 7 + 1);
  }
  return p;
}

void pushFrame(JitterBuffer& jb, std::uint32_t ts) {
  jb.push(ts, payloadFor(ts, 160));
}

// Pops and checks that the frame at `ts` comes out intact.
void expectFrame(JitterBuffer& jb, std::uint32_t ts) {
  auto f = jb.pop();
  ASSERT_TRUE(f) << "expected frame " << ts;
  EXPECT_EQ(f->timestamp, ts);
  const auto want = payloadFor(ts, 160);
  EXPECT_TRUE(std::equal(want.begin(), want.end(), f->payload.begin())) << ts;
}

TEST(JitterBufferTest, HoldsDepthFramesThenPlaysInOrder) {
  JitterBuffer jb(2);
  EXPECT_FALSE(jb.pop());  // nothing yet
  pushFrame(jb, 1000);
  EXPECT_FALSE(jb.pop());  // still prebuffering
  EXPECT_EQ(jb.delayFrames(), 1u);
  pushFrame(jb, 1160);
  EXPECT_EQ(jb.delayFrames(), 2u);
  expectFrame(jb, 1000);
  pushFrame(jb, 1320);
  expectFrame(jb, 1160);
  expectFrame(jb, 1320);
  EXPECT_EQ(jb.stats().played, 3u);
  EXPECT_EQ(jb.stats().missing, 0u);
  EXPECT_EQ(jb.stats().pushed, 3u);
}

TEST(JitterBufferTest, ReordersWithinTheWindow) {
  JitterBuffer jb(3);
  const std::uint32_t base = 5000;
  for (std::uint32_t k : {1u, 0u, 3u, 2u, 5u, 4u}) pushFrame(jb, base + 160 * k);
  for (std::uint32_t k = 0; k < 6; ++k) expectFrame(jb, base + 160 * k);
  EXPECT_EQ(jb.stats().late, 0u);
}

TEST(JitterBufferTest, DropsDuplicates) {
  JitterBuffer jb(2);
  pushFrame(jb, 0);
  pushFrame(jb, 0);
  pushFrame(jb, 160);
  pushFrame(jb, 160);
  EXPECT_EQ(jb.stats().duplicate, 2u);
  expectFrame(jb, 0);
  expectFrame(jb, 160);
  EXPECT_FALSE(jb.pop());
}

TEST(JitterBufferTest, DropsLateFrames) {
  JitterBuffer jb(2);
  pushFrame(jb, 0);
  pushFrame(jb, 160);
  pushFrame(jb, 320);
  expectFrame(jb, 0);
  expectFrame(jb, 160);
  pushFrame(jb, 0);  // its time has passed
  EXPECT_EQ(jb.stats().late, 1u);
  expectFrame(jb, 320);
}

TEST(JitterBufferTest, MissingFramesAreNullopt) {
  JitterBuffer jb(2);
  pushFrame(jb, 0);
  pushFrame(jb, 320);  // 160 lost
  pushFrame(jb, 480);
  expectFrame(jb, 0);
  EXPECT_FALSE(jb.pop());
  expectFrame(jb, 320);
  expectFrame(jb, 480);
  EXPECT_FALSE(jb.pop());  // starved
  EXPECT_EQ(jb.stats().missing, 2u);
  // The stream resumes where the clock is: played normally.
  pushFrame(jb, 800);
  expectFrame(jb, 800);
}

TEST(JitterBufferTest, FirstArrivalNotFirstSent) {
  JitterBuffer jb(2);
  pushFrame(jb, 1160);
  pushFrame(jb, 1000);  // reordered before playout started: the start moves back
  expectFrame(jb, 1000);
  expectFrame(jb, 1160);
}

TEST(JitterBufferTest, TimestampWrap) {
  JitterBuffer jb(2);
  std::uint32_t ts = 0xFFFFFFFFu - 160 * 3 + 1;  // not a multiple of 160
  for (int i = 0; i < 8; ++i) {
    pushFrame(jb, ts + 160u * static_cast<std::uint32_t>(i));
    if (i >= 1) expectFrame(jb, ts + 160u * static_cast<std::uint32_t>(i - 1));
  }
  EXPECT_EQ(jb.stats().late + jb.stats().missing + jb.stats().overflow, 0u);
}

TEST(JitterBufferTest, SenderRestartResynchronises) {
  JitterBuffer jb(2);
  std::uint32_t ts = 100000;
  pushFrame(jb, ts);
  for (int i = 1; i < 10; ++i) {
    pushFrame(jb, ts + 160 * i);
    expectFrame(jb, ts + 160 * (i - 1));
  }
  // The sender restarts from a much smaller timestamp (backwards jump) while frames are held.
  std::uint32_t fresh = 4000;
  int played = 0;
  for (int i = 0; i < 30; ++i) {
    pushFrame(jb, fresh + 160 * i);
    if (auto f = jb.pop(); f && f->timestamp >= fresh && f->timestamp < fresh + 160 * 30) {
      ++played;
    }
  }
  // Lost at most depth + slack + prebuffer frames, then follows the new timeline.
  EXPECT_GE(played, 30 - 10);
}

TEST(JitterBufferTest, SenderJumpForwardResynchronises) {
  JitterBuffer jb(2);
  pushFrame(jb, 0);
  pushFrame(jb, 160);
  expectFrame(jb, 0);
  expectFrame(jb, 160);
  EXPECT_FALSE(jb.pop());  // drained
  // A jump of an hour while nothing is held: followed at once.
  const std::uint32_t jump = 8000u * 3600u;
  pushFrame(jb, jump);
  pushFrame(jb, jump + 160);
  expectFrame(jb, jump);
  expectFrame(jb, jump + 160);
}

TEST(JitterBufferTest, SmallBackwardRestartIsNotStuckForever) {
  // A restart only 0.5 s back looks like late packets; a run of them means a new timeline.
  JitterBuffer jb(2);
  for (int i = 0; i < 40; ++i) {
    pushFrame(jb, 160u * i + 100000);
    if (i >= 1) (void)jb.pop();
  }
  const std::uint32_t back = 100000 + 160 * 40 - 4000;
  int played = 0;
  for (int i = 0; i < 40; ++i) {
    pushFrame(jb, back + 160u * i);
    if (auto f = jb.pop(); f && f->timestamp >= back && f->timestamp < back + 160 * 40) ++played;
  }
  EXPECT_GE(played, 25);
}

TEST(JitterBufferTest, AssemblesTenMillisecondPackets) {
  JitterBuffer jb(2);
  for (std::uint32_t ts = 0; ts < 160 * 4; ts += 80) jb.push(ts, payloadFor(ts, 80));
  for (std::uint32_t k = 0; k < 4; ++k) expectFrame(jb, 160 * k);
  EXPECT_EQ(jb.stats().pushed, 8u);
}

TEST(JitterBufferTest, SplitsThirtyAndFortyMillisecondPackets) {
  JitterBuffer jb30(2);
  for (std::uint32_t ts = 0; ts < 240 * 4; ts += 240) jb30.push(ts, payloadFor(ts, 240));
  for (std::uint32_t k = 0; k < 6; ++k) expectFrame(jb30, 160 * k);

  JitterBuffer jb40(2);
  for (std::uint32_t ts = 0; ts < 320 * 3; ts += 320) jb40.push(ts, payloadFor(ts, 320));
  for (std::uint32_t k = 0; k < 6; ++k) expectFrame(jb40, 160 * k);
}

TEST(JitterBufferTest, HalfAFrameIsMissing) {
  JitterBuffer jb(2);
  jb.push(0, payloadFor(0, 80));  // second half of frame 0 lost
  jb.push(160, payloadFor(160, 160));
  jb.push(320, payloadFor(320, 160));
  EXPECT_FALSE(jb.pop());
  EXPECT_EQ(jb.stats().missing, 1u);
  expectFrame(jb, 160);
}

TEST(JitterBufferTest, OverflowDropsTheOldest) {
  JitterBuffer jb(2);
  for (std::uint32_t k = 0; k < 20; ++k) pushFrame(jb, 160 * k);  // nobody pops
  EXPECT_EQ(jb.stats().overflow, 4u);
  EXPECT_EQ(jb.delayFrames(), 16u);
  expectFrame(jb, 160 * 4);
}

TEST(JitterBufferTest, ResetForgetsTheTimeline) {
  JitterBuffer jb(2);
  pushFrame(jb, 0);
  pushFrame(jb, 160);
  jb.reset();
  EXPECT_FALSE(jb.pop());
  EXPECT_EQ(jb.delayFrames(), 0u);
  pushFrame(jb, 77777);
  pushFrame(jb, 77777 + 160);
  expectFrame(jb, 77777);
  EXPECT_EQ(jb.stats().pushed, 4u);
}

TEST(JitterBufferTest, RandomJitterLosesNothingWithinTheDepth) {
  // Packets sent every 20 ms arrive with up to 50 ms of random delay; depth 4 (80 ms) absorbs
  // that, so every frame plays.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> jitter(0, 50);
  struct Arrival {
    int atMs;
    std::uint32_t ts;
  };
  std::vector<Arrival> arrivals;
  const std::uint32_t base = 0xFFFFF000u;  // wraps during the run
  for (int i = 0; i < 500; ++i) {
    arrivals.push_back({i * 20 + jitter(rng), base + 160u * static_cast<std::uint32_t>(i)});
  }
  std::stable_sort(arrivals.begin(), arrivals.end(),
                   [](const Arrival& a, const Arrival& b) { return a.atMs < b.atMs; });
  JitterBuffer jb(4);
  std::size_t next = 0;
  std::uint32_t expected = base;
  int played = 0;
  bool started = false;
  for (int now = 0; now < 500 * 20 + 200; now += 20) {
    while (next < arrivals.size() && arrivals[next].atMs <= now) {
      jb.push(arrivals[next].ts, payloadFor(arrivals[next].ts, 160));
      ++next;
    }
    if (auto f = jb.pop()) {
      EXPECT_EQ(f->timestamp, expected);
      started = true;
      expected += 160;
      ++played;
    } else if (started && played < 500) {
      ADD_FAILURE() << "gap at frame " << played;
      expected += 160;
    }
  }
  EXPECT_EQ(played, 500);
  EXPECT_EQ(jb.stats().late, 0u);
}

TEST(JitterBufferTest, RandomGarbageNeverBreaksIt) {
  std::mt19937 rng(99);
  JitterBuffer jb(3);
  std::uniform_int_distribution<std::uint32_t> ts;
  std::uniform_int_distribution<int> len(0, 3000);
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> p(static_cast<std::size_t>(len(rng)));
    jb.push(i % 3 ? 160u * static_cast<std::uint32_t>(i) : ts(rng), p);
    (void)jb.pop();
    ASSERT_LE(jb.delayFrames(), 16u);
  }
}

}  // namespace
}  // namespace bankcc::media
