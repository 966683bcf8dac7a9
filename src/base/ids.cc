// SPDX-License-Identifier: Apache-2.0
#include "base/ids.h"

#include <array>
#include <cstdint>
#include <random>

namespace bankcc::base {
namespace {

std::uint64_t random64() {
  // One generator per thread, seeded from the OS: ids are unique, not secret.
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen();
}

}  // namespace

std::string newUuidV7(const Clock& clock) {
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
          .count());
  const std::uint64_t r1 = random64();
  const std::uint64_t r2 = random64();
  std::array<std::uint8_t, 16> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
  b[6] = static_cast<std::uint8_t>(0x70 | ((r1 >> 8) & 0x0f));  // version 7
  b[7] = static_cast<std::uint8_t>(r1);
  b[8] = static_cast<std::uint8_t>(0x80 | ((r1 >> 16) & 0x3f));  // variant 10
  for (int i = 9; i < 16; ++i) b[i] = static_cast<std::uint8_t>(r2 >> (8 * (i - 9)));

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

bool isUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace bankcc::base
