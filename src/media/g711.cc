// SPDX-License-Identifier: Apache-2.0
#include "media/g711.h"

#include <array>

namespace bankcc::media {
namespace {

// All tables are computed at compile time from the segment definitions of ITU-T G.711
// (Tables 1a/1b for A-law, 2a/2b for µ-law), so nothing runs at start-up and the tables
// cannot disagree with the formulas the tests check against.

// A-law: 13-bit magnitude, 8 segments; segment 0 and 1 share the same step (2 in 13-bit
// units). Even bits are inverted on the line (XOR 0x55).
constexpr std::int16_t alawDecodeOne(std::uint8_t code) {
  const int t = code ^ 0x55;
  const int segment = (t >> 4) & 0x07;
  const int step = t & 0x0F;
  // Decoded values are the mid-points of the decision intervals, in 16-bit units.
  int magnitude = (step << 4) + 8;
  if (segment > 0) magnitude = ((step << 4) + 0x108) << (segment - 1);
  return static_cast<std::int16_t>((t & 0x80) ? magnitude : -magnitude);
}

// µ-law: the biased magnitude (|x| + 132 in 16-bit units) has its leading one in bit
// 7 + segment; all bits are inverted on the line.
constexpr std::int16_t ulawDecodeOne(std::uint8_t code) {
  const int t = static_cast<std::uint8_t>(~code);
  const int segment = (t >> 4) & 0x07;
  const int step = t & 0x0F;
  const int biased = ((step << 3) + 0x84) << segment;
  return static_cast<std::int16_t>((t & 0x80) ? 0x84 - biased : biased - 0x84);
}

// Encoding tables indexed by magnitude only; the sign bit is added at lookup.
// A-law: the magnitude of a negative sample is its ones' complement (-x - 1), so that the
// code is symmetric; the code depends only on magnitude >> 3 (0..4095).
constexpr std::uint8_t alawEncodeMagnitude(int magnitude13) {
  if (magnitude13 < 32) return static_cast<std::uint8_t>(magnitude13 >> 1);
  int segment = 1;
  while ((magnitude13 >> (segment + 5)) != 0) ++segment;  // leading one at bit segment + 4
  return static_cast<std::uint8_t>((segment << 4) | ((magnitude13 >> segment) & 0x0F));
}

// µ-law: |x| clipped to 32635 (so that the biased value fits 15 bits); the code depends only
// on magnitude >> 2 (0..8192, where 8192 is -32768's magnitude).
constexpr int kUlawClip = 32635;
constexpr std::uint8_t ulawEncodeMagnitude(int magnitude) {
  if (magnitude > kUlawClip) magnitude = kUlawClip;
  const int biased = magnitude + 0x84;
  int segment = 0;
  while ((biased >> (segment + 8)) != 0) ++segment;  // leading one at bit segment + 7
  return static_cast<std::uint8_t>((segment << 4) | ((biased >> (segment + 3)) & 0x0F));
}

struct Tables {
  std::array<std::int16_t, 256> alawDecode{};
  std::array<std::int16_t, 256> ulawDecode{};
  std::array<std::uint8_t, 4096> alawEncode{};  // by (magnitude >> 3), sign and XOR not applied
  std::array<std::uint8_t, 8193> ulawEncode{};  // by (magnitude >> 2), sign and inversion not
  std::array<std::uint8_t, 256> alawToUlaw{};
  std::array<std::uint8_t, 256> ulawToAlaw{};
};

constexpr std::uint8_t alawEncodeWith(const Tables& t, std::int16_t s) {
  if (s >= 0) return static_cast<std::uint8_t>((0x80 | t.alawEncode[s >> 3]) ^ 0x55);
  const int magnitude = -static_cast<int>(s) - 1;
  return static_cast<std::uint8_t>(t.alawEncode[magnitude >> 3] ^ 0x55);
}

constexpr std::uint8_t ulawEncodeWith(const Tables& t, std::int16_t s) {
  if (s >= 0) return static_cast<std::uint8_t>(~t.ulawEncode[s >> 2]);
  const int magnitude = -static_cast<int>(s);
  return static_cast<std::uint8_t>(~(0x80 | t.ulawEncode[magnitude >> 2]));
}

constexpr Tables buildTables() {
  Tables t;
  for (int i = 0; i < 256; ++i) {
    t.alawDecode[i] = alawDecodeOne(static_cast<std::uint8_t>(i));
    t.ulawDecode[i] = ulawDecodeOne(static_cast<std::uint8_t>(i));
  }
  for (int i = 0; i < 4096; ++i) t.alawEncode[i] = alawEncodeMagnitude(i);
  // Every magnitude m with m >> 2 == i encodes alike (the bias 132 is a multiple of 4 and
  // the finest step is 8), so the first of the group stands for all of them.
  for (int i = 0; i < 8193; ++i) t.ulawEncode[i] = ulawEncodeMagnitude(i << 2);
  for (int i = 0; i < 256; ++i) {
    t.alawToUlaw[i] = ulawEncodeWith(t, t.alawDecode[i]);
    t.ulawToAlaw[i] = alawEncodeWith(t, t.ulawDecode[i]);
  }
  return t;
}

constexpr Tables kTables = buildTables();

static_assert(kTables.alawDecode[0xD5] == 8, "G.711 A-law 0xD5 decodes to +8");
static_assert(kTables.ulawDecode[0xFF] == 0, "G.711 µ-law 0xFF decodes to 0");
static_assert(alawEncodeWith(kTables, 0) == 0xD5, "A-law silence");
static_assert(ulawEncodeWith(kTables, 0) == 0xFF, "µ-law silence");

// Every A-law code decodes to a value that encodes back to the same code: the recorder may
// therefore store a received A-law byte as it is instead of decoding and encoding it again
// (CallRecorder::addCoded), and its files are byte for byte those of the linear path.
constexpr bool alawRoundTrips(const Tables& t) {
  for (int i = 0; i < 256; ++i) {
    if (alawEncodeWith(t, t.alawDecode[i]) != i) return false;
  }
  return true;
}
static_assert(alawRoundTrips(kTables), "A-law decode then encode is the identity");

}  // namespace

std::int16_t alawToLinear(std::uint8_t a) noexcept {
  return kTables.alawDecode[a];
}
std::int16_t ulawToLinear(std::uint8_t u) noexcept {
  return kTables.ulawDecode[u];
}
std::uint8_t linearToAlaw(std::int16_t s) noexcept {
  return alawEncodeWith(kTables, s);
}
std::uint8_t linearToUlaw(std::int16_t s) noexcept {
  return ulawEncodeWith(kTables, s);
}

void decode(G711 law, std::span<const std::uint8_t> in, std::span<std::int16_t> out) noexcept {
  const auto& table = law == G711::Alaw ? kTables.alawDecode : kTables.ulawDecode;
  const std::size_t n = in.size() < out.size() ? in.size() : out.size();
  for (std::size_t i = 0; i < n; ++i) out[i] = table[in[i]];
}

void encode(G711 law, std::span<const std::int16_t> in, std::span<std::uint8_t> out) noexcept {
  const std::size_t n = in.size() < out.size() ? in.size() : out.size();
  if (law == G711::Alaw) {
    for (std::size_t i = 0; i < n; ++i) out[i] = alawEncodeWith(kTables, in[i]);
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = ulawEncodeWith(kTables, in[i]);
  }
}

void transcode(G711 from, G711 to, std::span<const std::uint8_t> in,
               std::span<std::uint8_t> out) noexcept {
  const std::size_t n = in.size() < out.size() ? in.size() : out.size();
  if (from == to) {
    for (std::size_t i = 0; i < n; ++i) out[i] = in[i];
    return;
  }
  const auto& table = from == G711::Alaw ? kTables.alawToUlaw : kTables.ulawToAlaw;
  for (std::size_t i = 0; i < n; ++i) out[i] = table[in[i]];
}

std::uint8_t silenceByte(G711 law) noexcept {
  return law == G711::Alaw ? 0xD5 : 0xFF;
}

}  // namespace bankcc::media
