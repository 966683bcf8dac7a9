// SPDX-License-Identifier: Apache-2.0
#pragma once

// Call-progress tone generation at 8 kHz (linear PCM). Cadences:
//   China (GB/T 15279, the default): 450 Hz; dial continuous; ringback 1 s on / 4 s off;
//   busy 0.35 s / 0.35 s; congestion 0.7 s / 0.7 s; call waiting 0.4 s on / 4 s off.
//   ITU-T E.180 plan (425 Hz, the frequency E.180 recommends within 400-450 Hz; cadences
//   inside E.180's recommended limits, using the harmonised European values of ETSI
//   TR 101 041-2 where E.180 gives a range): dial continuous; ringback 1 s on / 4 s off;
//   busy 0.5 s / 0.5 s; congestion 0.25 s / 0.25 s; call waiting 0.2 s on, 0.2 s off,
//   0.2 s on, 4.4 s off.
//   Beep (both plans): 1000 Hz for 0.2 s, once, then silence.
// Bursts start at phase 0 and have 1 ms linear ramps at both ends (no clicks).
// Not thread-safe: one generator per playing session; cheap to construct.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "telephony/types.h"

namespace bankcc::media {

enum class TonePlan { China, Itu };

class ToneGenerator {
 public:
  /// `amplitude`: peak, clamped to 0..32767 (4000 is about -15 dBm0).
  ToneGenerator(telephony::Tone tone, TonePlan plan = TonePlan::China, int amplitude = 4000);
  /// Fills `out` with the next samples of the tone, following its cadence.
  void generate(std::span<std::int16_t> out) noexcept;

 private:
  // Alternating on/off lengths in samples (on first), repeated; a single entry is continuous.
  std::array<std::uint32_t, 4> cadence_{};
  std::size_t cadenceLen_ = 0;
  std::uint32_t cycle_ = 0;  ///< sum of the cadence
  double phaseStep_ = 0, phase_ = 0;
  int amplitude_;
  std::uint32_t pos_ = 0;  ///< position within the cycle
  bool once_ = false;      ///< play one cycle, then silence
  bool done_ = false;
  std::uint32_t fadeIn_ = 0;  ///< samples of the continuous tone's initial ramp done
};

}  // namespace bankcc::media
