// SPDX-License-Identifier: Apache-2.0
#include "media/inband_dtmf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <string>

#include "media/g711.h"

namespace bankcc::media {
namespace {

const std::string kAllKeys = "0123456789*#ABCD";

// Power of `hz` in `s` (Goertzel), normalised by length.
double goertzel(const std::vector<std::int16_t>& s, std::size_t from, std::size_t to, double hz) {
  const double coeff = 2 * std::cos(2 * std::numbers::pi * hz / 8000);
  double q1 = 0, q2 = 0;
  for (std::size_t i = from; i < to; ++i) {
    const double q0 = coeff * q1 - q2 + s[i];
    q2 = q1;
    q1 = q0;
  }
  const double n = static_cast<double>(to - from);
  return (q1 * q1 + q2 * q2 - coeff * q1 * q2) / (n * n);
}

// Runs the signal through the detector in `chunk`-sized pieces; returns the digits.
std::vector<InbandDtmfDetector::Digit> detect(const std::vector<std::int16_t>& s,
                                              std::size_t chunk = 160) {
  InbandDtmfDetector det;
  std::vector<InbandDtmfDetector::Digit> all;
  for (std::size_t at = 0; at < s.size(); at += chunk) {
    const std::size_t n = std::min(chunk, s.size() - at);
    for (const auto& d : det.feed(std::span(s).subspan(at, n))) all.push_back(d);
  }
  return all;
}

std::string digitsOf(const std::vector<InbandDtmfDetector::Digit>& ds) {
  std::string out;
  for (const auto& d : ds) out += d.digit;
  return out;
}

std::vector<std::int16_t> throughAlaw(const std::vector<std::int16_t>& s) {
  std::vector<std::uint8_t> coded(s.size());
  encode(G711::Alaw, s, coded);
  std::vector<std::int16_t> back(s.size());
  decode(G711::Alaw, coded, back);
  return back;
}

void addNoise(std::vector<std::int16_t>& s, double rms, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, rms);
  for (auto& x : s) {
    x = static_cast<std::int16_t>(std::clamp(x + noise(rng), -32768.0, 32767.0));
  }
}

void addTone(std::vector<std::int16_t>& s, double hz, double peak) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double v = s[i] + peak * std::sin(2 * std::numbers::pi * hz * i / 8000);
    s[i] = static_cast<std::int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
  }
}

TEST(InbandDtmfTest, GeneratesTheStandardPairs) {
  const double low[] = {697, 770, 852, 941};
  const double high[] = {1209, 1336, 1477, 1633};
  const char* keys = "123A456B789C*0#D";
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) {
      std::vector<std::int16_t> s;
      generateDtmf(keys[r * 4 + c], 100, 50, s);
      ASSERT_EQ(s.size(), 1200u);
      const double pLow = goertzel(s, 0, 800, low[r]);
      const double pHigh = goertzel(s, 0, 800, high[c]);
      for (int o = 0; o < 4; ++o) {
        if (o != r) {
          EXPECT_GT(pLow, 100 * goertzel(s, 0, 800, low[o])) << keys[r * 4 + c];
        }
        if (o != c) {
          EXPECT_GT(pHigh, 100 * goertzel(s, 0, 800, high[o])) << keys[r * 4 + c];
        }
      }
      EXPECT_GT(pHigh, pLow);  // 2 dB of pre-emphasis on the high group
      for (std::size_t i = 800; i < s.size(); ++i) ASSERT_EQ(s[i], 0);
    }
  }
  std::vector<std::int16_t> s;
  generateDtmf('x', 10, 5, s);  // not a key: silence, same length
  EXPECT_EQ(s.size(), 120u);
  for (auto v : s) EXPECT_EQ(v, 0);
  std::vector<std::int16_t> lower, upper;
  generateDtmf('b', 40, 0, lower);
  generateDtmf('B', 40, 0, upper);
  EXPECT_EQ(lower, upper);
}

TEST(InbandDtmfTest, AllDigitsThroughAlawWithNoiseAndATone) {
  std::vector<std::int16_t> s(800, 0);
  for (char k : kAllKeys) generateDtmf(k, 100, 100, s);
  s.resize(s.size() + 800, 0);
  addTone(s, 450, 1500);  // dial/ringback tone in the background, about -24 dBm0
  addNoise(s, 100, 1);    // about -47 dBm0 of line noise
  const auto ds = detect(throughAlaw(s));
  EXPECT_EQ(digitsOf(ds), kAllKeys);
  for (const auto& d : ds) {
    EXPECT_NEAR(static_cast<double>(d.durationSamples), 800, 2 * 102) << d.digit;
  }
}

TEST(InbandDtmfTest, SameDigitTwiceIsTwoDigits) {
  std::vector<std::int16_t> s;
  generateDtmf('7', 80, 60, s);
  generateDtmf('7', 80, 200, s);
  EXPECT_EQ(digitsOf(detect(s)), "77");
}

TEST(InbandDtmfTest, ReportsTheDuration) {
  std::vector<std::int16_t> s;
  generateDtmf('5', 300, 200, s);
  const auto ds = detect(s);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_NEAR(static_cast<double>(ds[0].durationSamples), 2400, 2 * 102);
}

TEST(InbandDtmfTest, ChunkSizeDoesNotMatter) {
  std::vector<std::int16_t> s;
  for (char k : std::string("159#")) generateDtmf(k, 70, 70, s);
  s.resize(s.size() + 400, 0);
  const auto a = detect(s, 1);
  const auto b = detect(s, 160);
  const auto c = detect(s, 1000);
  EXPECT_EQ(digitsOf(a), "159#");
  EXPECT_EQ(digitsOf(b), "159#");
  EXPECT_EQ(digitsOf(c), "159#");
  for (std::size_t i = 0; i < a.size() && i < c.size(); ++i) {
    EXPECT_EQ(a[i].durationSamples, c[i].durationSamples);
  }
}

TEST(InbandDtmfTest, AHeldKeyIsReportedOnce) {
  std::vector<std::int16_t> s;
  generateDtmf('0', 3000, 300, s);
  InbandDtmfDetector det;
  std::vector<InbandDtmfDetector::Digit> ds;
  std::size_t reportedAt = 0;
  for (std::size_t at = 0; at < s.size(); at += 160) {
    for (const auto& d :
         det.feed(std::span(s).subspan(at, std::min<std::size_t>(160, s.size() - at)))) {
      ds.push_back(d);
      reportedAt = at;
    }
  }
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].digit, '0');
  EXPECT_LT(reportedAt, 8000u + 2000u);  // while still held, not at the end (24000)
  EXPECT_GE(ds[0].durationSamples, 8000u);
}

TEST(InbandDtmfTest, SpeechLikeNoiseDetectsNothing) {
  // Noise shaped like speech: low-passed, in syllable-rate bursts of varying loudness.
  std::mt19937 rng(12345);
  std::normal_distribution<double> white(0, 1);
  std::uniform_real_distribution<double> loud(500, 8000);
  std::vector<std::int16_t> s(8000 * 20);
  double lp1 = 0, lp2 = 0, level = 2000;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i % 1600 == 0) level = loud(rng);  // a new "syllable" every 200 ms
    const double envelope = 0.5 + 0.5 * std::sin(2 * std::numbers::pi * 4.0 * i / 8000);
    lp1 = 0.85 * lp1 + 0.15 * white(rng);
    lp2 = 0.85 * lp2 + 0.15 * lp1;
    s[i] = static_cast<std::int16_t>(std::clamp(lp2 * level * 6 * envelope, -32768.0, 32767.0));
  }
  EXPECT_EQ(digitsOf(detect(throughAlaw(s))), "");
  // White noise too.
  std::vector<std::int16_t> w(8000 * 10, 0);
  addNoise(w, 3000, 9);
  EXPECT_EQ(digitsOf(detect(w)), "");
}

TEST(InbandDtmfTest, SilenceAndToneAloneDetectNothing) {
  std::vector<std::int16_t> s(8000 * 5, 0);
  EXPECT_TRUE(detect(s).empty());
  addTone(s, 450, 8000);
  EXPECT_TRUE(detect(s).empty());
}

TEST(InbandDtmfTest, DetectorsAreIndependent) {
  std::vector<std::int16_t> s;
  generateDtmf('3', 100, 100, s);
  InbandDtmfDetector a, b;
  const auto half = s.size() / 4;
  auto ra = a.feed(std::span(s).first(half));
  auto rb = b.feed(s);
  EXPECT_TRUE(ra.empty());
  EXPECT_EQ(digitsOf(rb), "3");
  ra = a.feed(std::span(s).subspan(half));
  EXPECT_EQ(digitsOf(ra), "3");
}

}  // namespace
}  // namespace bankcc::media
