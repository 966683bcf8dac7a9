// SPDX-License-Identifier: Apache-2.0
#include "media/tones.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

namespace bankcc::media {
namespace {

using telephony::Tone;

std::vector<std::int16_t> generateSeconds(ToneGenerator& g, double seconds) {
  std::vector<std::int16_t> out(static_cast<std::size_t>(seconds * 8000));
  // Odd chunk sizes: the cadence must not depend on how the caller slices time.
  std::size_t at = 0;
  while (at < out.size()) {
    const std::size_t n = std::min<std::size_t>(77, out.size() - at);
    g.generate(std::span(out).subspan(at, n));
    at += n;
  }
  return out;
}

// Run lengths in ms of alternating on/off, judged per 1 ms block; the first run is "on".
std::vector<int> runsMs(const std::vector<std::int16_t>& s, int threshold) {
  std::vector<int> runs;
  bool on = true;
  int length = 0;
  for (std::size_t b = 0; b + 8 <= s.size(); b += 8) {
    int peak = 0;
    for (std::size_t i = b; i < b + 8; ++i) peak = std::max(peak, std::abs(int{s[i]}));
    const bool blockOn = peak > threshold;
    if (blockOn == on) {
      ++length;
    } else {
      runs.push_back(length);
      on = blockOn;
      length = 1;
    }
  }
  runs.push_back(length);
  return runs;
}

// Frequency from positive-going zero crossings over [from, to).
double frequency(const std::vector<std::int16_t>& s, std::size_t from, std::size_t to) {
  int crossings = 0;
  std::size_t first = 0, last = 0;
  for (std::size_t i = from + 1; i < to; ++i) {
    if (s[i - 1] <= 0 && s[i] > 0) {
      if (crossings == 0) first = i;
      last = i;
      ++crossings;
    }
  }
  if (crossings < 2) return 0;
  return (crossings - 1) * 8000.0 / static_cast<double>(last - first);
}

struct Case {
  Tone tone;
  TonePlan plan;
  double hz;
  std::vector<int> cycleMs;  // on, off, ...
};

void checkCadence(const Case& c) {
  ToneGenerator g(c.tone, c.plan, 4000);
  int cycle = 0;
  for (int v : c.cycleMs) cycle += v;
  const auto s = generateSeconds(g, cycle * 2.5 / 1000.0);
  const auto runs = runsMs(s, 1000);
  // Every complete run matches the cadence within the ramps' 2 ms.
  for (std::size_t i = 0; i + 1 < runs.size(); ++i) {
    EXPECT_NEAR(runs[i], c.cycleMs[i % c.cycleMs.size()], 2)
        << "run " << i << " of tone " << static_cast<int>(c.tone);
  }
  EXPECT_GE(runs.size(), 2 * c.cycleMs.size());
  // The frequency, measured in the first burst away from its edges.
  const std::size_t burst = static_cast<std::size_t>(c.cycleMs[0]) * 8;
  EXPECT_NEAR(frequency(s, 40, burst - 40), c.hz, 3.0);
  // Level: the peak is the requested amplitude.
  int peak = 0;
  for (auto x : s) peak = std::max(peak, std::abs(int{x}));
  EXPECT_NEAR(peak, 4000, 2);
}

TEST(ToneGeneratorTest, ChinaCadences) {
  checkCadence({Tone::Ringback, TonePlan::China, 450, {1000, 4000}});
  checkCadence({Tone::Busy, TonePlan::China, 450, {350, 350}});
  checkCadence({Tone::Congestion, TonePlan::China, 450, {700, 700}});
  checkCadence({Tone::CallWaiting, TonePlan::China, 450, {400, 4000}});
}

TEST(ToneGeneratorTest, ItuCadences) {
  checkCadence({Tone::Ringback, TonePlan::Itu, 425, {1000, 4000}});
  checkCadence({Tone::Busy, TonePlan::Itu, 425, {500, 500}});
  checkCadence({Tone::Congestion, TonePlan::Itu, 425, {250, 250}});
  checkCadence({Tone::CallWaiting, TonePlan::Itu, 425, {200, 200, 200, 4400}});
}

TEST(ToneGeneratorTest, ChinaIsTheDefault) {
  ToneGenerator g(Tone::Busy);
  const auto s = generateSeconds(g, 1.0);
  const auto runs = runsMs(s, 1000);
  EXPECT_NEAR(runs[0], 350, 2);
  EXPECT_NEAR(frequency(s, 40, 350 * 8 - 40), 450, 3.0);
}

TEST(ToneGeneratorTest, DialToneIsContinuous) {
  for (auto [plan, hz] : {std::pair{TonePlan::China, 450.0}, std::pair{TonePlan::Itu, 425.0}}) {
    ToneGenerator g(Tone::Dial, plan);
    const auto s = generateSeconds(g, 3.0);
    const auto runs = runsMs(s, 1000);
    ASSERT_EQ(runs.size(), 1u);  // never off
    EXPECT_NEAR(frequency(s, 100, s.size()), hz, 1.0);
    // No phase jump at the internal cycle boundary (1 s): successive samples stay close.
    int maxStep = 0;
    for (std::size_t i = 100; i < s.size(); ++i) {
      maxStep = std::max(maxStep, std::abs(s[i] - s[i - 1]));
    }
    EXPECT_LT(maxStep, 4000 * 2 * 3.1416 * hz / 8000 + 10);
  }
}

TEST(ToneGeneratorTest, BeepPlaysOnceThenSilence) {
  ToneGenerator g(Tone::Beep, TonePlan::Itu, 8000);
  const auto s = generateSeconds(g, 2.0);
  const auto runs = runsMs(s, 2000);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_NEAR(runs[0], 200, 2);
  EXPECT_NEAR(frequency(s, 40, 200 * 8 - 40), 1000, 3.0);
  for (std::size_t i = 201 * 8; i < s.size(); ++i) ASSERT_EQ(s[i], 0);
}

TEST(ToneGeneratorTest, AmplitudeIsClamped) {
  ToneGenerator loud(Tone::Dial, TonePlan::China, 100000);
  const auto s = generateSeconds(loud, 0.1);
  int peak = 0;
  for (auto x : s) peak = std::max(peak, std::abs(int{x}));
  EXPECT_LE(peak, 32767);
  EXPECT_GT(peak, 32000);
  ToneGenerator quiet(Tone::Dial, TonePlan::China, -5);
  for (auto x : generateSeconds(quiet, 0.1)) ASSERT_EQ(x, 0);
}

}  // namespace
}  // namespace bankcc::media
