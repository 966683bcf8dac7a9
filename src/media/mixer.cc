// SPDX-License-Identifier: Apache-2.0
#include "media/mixer.h"

#include <algorithm>

namespace bankcc::media {
namespace {

std::int16_t saturate(int v) {
  return static_cast<std::int16_t>(std::clamp(v, -32768, 32767));
}

void copyInto(std::span<std::int16_t> out, std::span<const std::int16_t> a) {
  const std::size_t n = std::min(out.size(), a.size());
  std::copy_n(a.begin(), n, out.begin());
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), std::int16_t{0});
}

}  // namespace

void mixInto(std::span<std::int16_t> out, std::span<const std::int16_t> a,
             std::span<const std::int16_t> b) noexcept {
  // Lengths should match (20 ms frames); a shorter input counts as silence past its end, so a
  // caller's mistake degrades audio instead of reading out of bounds.
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int x = i < a.size() ? a[i] : 0;
    const int y = i < b.size() ? b[i] : 0;
    out[i] = saturate(x + y);
  }
}

void mixThreeWay(telephony::MonitorMode mode, const ThreeWayFrames& in,
                 const ThreeWayOut& out) noexcept {
  using telephony::MonitorMode;
  switch (mode) {
    case MonitorMode::Listen:
      copyInto(out.toCustomer, in.agent);
      copyInto(out.toAgent, in.customer);
      mixInto(out.toThird, in.customer, in.agent);
      return;
    case MonitorMode::Whisper:
      copyInto(out.toCustomer, in.agent);
      mixInto(out.toAgent, in.customer, in.third);
      mixInto(out.toThird, in.customer, in.agent);
      return;
    case MonitorMode::Barge:
      mixInto(out.toCustomer, in.agent, in.third);
      mixInto(out.toAgent, in.customer, in.third);
      mixInto(out.toThird, in.customer, in.agent);
      return;
  }
}

}  // namespace bankcc::media
