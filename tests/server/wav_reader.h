// SPDX-License-Identifier: Apache-2.0
#pragma once
// A reader of canonical RIFF/WAVE files (what `bankcc recording export` writes), written
// without our own decoder so that the tests check the export against the format. Test-only.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace bankcc::testing {

struct Wav {
  int format = 0, channels = 0, rate = 0, bits = 0;
  std::vector<std::int16_t> samples;
};

inline std::uint32_t le(const std::vector<std::uint8_t>& b, std::size_t at, int bytes) {
  std::uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint32_t{b.at(at + i)} << (8 * i);
  return v;
}

/// Parses a canonical RIFF/WAVE file (fmt, then data) without our own decoder.
inline Wav readWav(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  const std::vector<std::uint8_t> b{std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>()};
  Wav w;
  EXPECT_GE(b.size(), 44u);
  if (b.size() < 44) return w;
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "RIFF");
  EXPECT_EQ(std::string(b.begin() + 8, b.begin() + 12), "WAVE");
  EXPECT_EQ(le(b, 4, 4), b.size() - 8);
  std::size_t at = 12;
  while (at + 8 <= b.size()) {
    const std::string id(b.begin() + static_cast<std::ptrdiff_t>(at),
                         b.begin() + static_cast<std::ptrdiff_t>(at + 4));
    const std::uint32_t size = le(b, at + 4, 4);
    if (id == "fmt ") {
      w.format = static_cast<int>(le(b, at + 8, 2));
      w.channels = static_cast<int>(le(b, at + 10, 2));
      w.rate = static_cast<int>(le(b, at + 12, 4));
      w.bits = static_cast<int>(le(b, at + 22, 2));
    } else if (id == "data") {
      EXPECT_EQ(at + 8 + size, b.size());
      for (std::size_t i = at + 8; i + 1 < at + 8 + size; i += 2) {
        w.samples.push_back(static_cast<std::int16_t>(le(b, i, 2)));
      }
    }
    at += 8 + size + (size & 1);
  }
  return w;
}

/// One channel of interleaved stereo samples, from `from` to `to` seconds (8 kHz).
inline std::vector<std::int16_t> channel(const Wav& w, int which, double from, double to) {
  std::vector<std::int16_t> out;
  const auto first = static_cast<std::size_t>(from * 8000);
  const auto last = static_cast<std::size_t>(to * 8000);
  for (std::size_t i = first; i < last && 2 * i + 1 < w.samples.size(); ++i) {
    out.push_back(w.samples[2 * i + static_cast<std::size_t>(which)]);
  }
  return out;
}

}  // namespace bankcc::testing
