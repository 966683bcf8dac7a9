// SPDX-License-Identifier: Apache-2.0
#include "media/g711.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

namespace bankcc::media {
namespace {

TEST(G711Test, KnownValuesFromTheRecommendation) {
  // A-law: the smallest positive and negative codes, and the extremes.
  EXPECT_EQ(alawToLinear(0xD5), 8);
  EXPECT_EQ(alawToLinear(0x55), -8);
  EXPECT_EQ(alawToLinear(0xAA), 32256);
  EXPECT_EQ(alawToLinear(0x2A), -32256);
  // µ-law: both zeros, and the extremes.
  EXPECT_EQ(ulawToLinear(0xFF), 0);
  EXPECT_EQ(ulawToLinear(0x7F), 0);
  EXPECT_EQ(ulawToLinear(0x80), 32124);
  EXPECT_EQ(ulawToLinear(0x00), -32124);
  // Segment boundaries (16-bit scale): A-law segment 1 starts at 256; the smallest µ-law
  // step is 8.
  EXPECT_EQ(linearToAlaw(255), 0xDA);  // segment 0, step 15 (0x8F ^ 0x55)
  EXPECT_EQ(linearToAlaw(256), 0xC5);  // segment 1, step 0 (0x90 ^ 0x55)
  EXPECT_EQ(linearToUlaw(1), 0xFF);
  EXPECT_EQ(linearToUlaw(8), 0xFE);
}

TEST(G711Test, SilenceBytes) {
  EXPECT_EQ(silenceByte(G711::Alaw), 0xD5);
  EXPECT_EQ(silenceByte(G711::Ulaw), 0xFF);
  EXPECT_EQ(linearToAlaw(0), 0xD5);
  EXPECT_EQ(linearToUlaw(0), 0xFF);
  // -1 is the A-law ones' complement of 0: the negative smallest code.
  EXPECT_EQ(linearToAlaw(-1), 0x55);
}

TEST(G711Test, SaturatesAtTheExtremes) {
  EXPECT_EQ(linearToAlaw(32767), 0xAA);
  EXPECT_EQ(linearToAlaw(-32768), 0x2A);
  EXPECT_EQ(linearToUlaw(32767), 0x80);
  EXPECT_EQ(linearToUlaw(-32768), 0x00);
  EXPECT_EQ(linearToUlaw(32700), 0x80);
  EXPECT_EQ(linearToUlaw(-32700), 0x00);
}

TEST(G711Test, EveryCodeRoundTrips) {
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    EXPECT_EQ(linearToAlaw(alawToLinear(code)), code) << c;
    // µ-law's negative zero (0x7F) decodes to 0, which encodes as positive zero.
    const std::uint8_t ulawExpected = code == 0x7F ? 0xFF : code;
    EXPECT_EQ(linearToUlaw(ulawToLinear(code)), ulawExpected) << c;
  }
}

TEST(G711Test, LinearRoundTripErrorIsWithinHalfAStep) {
  for (int s = -32768; s <= 32767; ++s) {
    const auto x = static_cast<std::int16_t>(s);
    const int a = alawToLinear(linearToAlaw(x));
    const int u = ulawToLinear(linearToUlaw(x));
    const int mag = std::abs(s);
    // Largest A-law step is 1024 (segment 7), µ-law's is 1024 too, plus clipping at the top.
    const int aTol = mag < 512 ? 8 : (mag >> 4) + 16;
    const int uTol = mag < 256 ? 8 : (mag >> 4) + 16;
    ASSERT_LE(std::abs(a - s), aTol) << s;
    if (mag <= 32124) {
      ASSERT_LE(std::abs(u - s), uTol) << s;
    }
  }
}

TEST(G711Test, DecodeIsMonotonicAndSymmetric) {
  // Positive A-law codes ordered by line code (XOR 0x55 undone) increase.
  int previous = -1;
  for (int i = 0x80; i < 0x100; ++i) {
    const int v = alawToLinear(static_cast<std::uint8_t>(i ^ 0x55));
    EXPECT_GT(v, previous);
    previous = v;
    EXPECT_EQ(alawToLinear(static_cast<std::uint8_t>((i ^ 0x55) ^ 0x80)), -v);
  }
  previous = -1;
  for (int i = 0xFF; i >= 0x80; --i) {
    const int v = ulawToLinear(static_cast<std::uint8_t>(i));
    EXPECT_GT(v, previous);
    previous = v;
    EXPECT_EQ(ulawToLinear(static_cast<std::uint8_t>(i & 0x7F)), -v);
  }
}

TEST(G711Test, SpanFunctionsMatchTheScalarOnes) {
  std::vector<std::int16_t> pcm;
  for (int s = -32768; s <= 32767; s += 97) pcm.push_back(static_cast<std::int16_t>(s));
  for (G711 law : {G711::Alaw, G711::Ulaw}) {
    std::vector<std::uint8_t> coded(pcm.size());
    encode(law, pcm, coded);
    std::vector<std::int16_t> back(pcm.size());
    decode(law, coded, back);
    for (std::size_t i = 0; i < pcm.size(); ++i) {
      const auto c = law == G711::Alaw ? linearToAlaw(pcm[i]) : linearToUlaw(pcm[i]);
      ASSERT_EQ(coded[i], c);
      ASSERT_EQ(back[i], law == G711::Alaw ? alawToLinear(c) : ulawToLinear(c));
    }
  }
}

TEST(G711Test, TranscodeEqualsGoingThroughLinear) {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  std::vector<std::uint8_t> out(256);
  transcode(G711::Alaw, G711::Ulaw, all, out);
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(out[i], linearToUlaw(alawToLinear(all[i])));
  }
  transcode(G711::Ulaw, G711::Alaw, all, out);
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(out[i], linearToAlaw(ulawToLinear(all[i])));
  }
  transcode(G711::Alaw, G711::Alaw, all, out);
  EXPECT_EQ(out, all);
  // Silence maps to silence.
  std::vector<std::uint8_t> one{0xD5};
  std::vector<std::uint8_t> res(1);
  transcode(G711::Alaw, G711::Ulaw, one, res);
  EXPECT_LE(std::abs(ulawToLinear(res[0])), 16);
}

}  // namespace
}  // namespace bankcc::media
