// SPDX-License-Identifier: Apache-2.0
#include "media/tones.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace bankcc::media {
namespace {

constexpr double kRate = 8000.0;
constexpr std::uint32_t kRampSamples = 8;  // 1 ms

constexpr std::uint32_t ms(std::uint32_t v) {
  return v * 8;
}

struct ToneSpec {
  double hz;
  std::array<std::uint32_t, 4> cadence;  // in samples; trailing zeros unused
  bool once;
};

ToneSpec specFor(telephony::Tone tone, TonePlan plan) {
  using telephony::Tone;
  if (tone == Tone::Beep) return {1000, {ms(200)}, true};
  if (plan == TonePlan::China) {
    switch (tone) {
      case Tone::Dial:
        return {450, {ms(1000)}, false};
      case Tone::Ringback:
        return {450, {ms(1000), ms(4000)}, false};
      case Tone::Busy:
        return {450, {ms(350), ms(350)}, false};
      case Tone::Congestion:
        return {450, {ms(700), ms(700)}, false};
      case Tone::CallWaiting:
        return {450, {ms(400), ms(4000)}, false};
      case Tone::Beep:
        break;
    }
  } else {
    switch (tone) {
      case Tone::Dial:
        return {425, {ms(1000)}, false};
      case Tone::Ringback:
        return {425, {ms(1000), ms(4000)}, false};
      case Tone::Busy:
        return {425, {ms(500), ms(500)}, false};
      case Tone::Congestion:
        return {425, {ms(250), ms(250)}, false};
      case Tone::CallWaiting:
        return {425, {ms(200), ms(200), ms(200), ms(4400)}, false};
      case Tone::Beep:
        break;
    }
  }
  return {425, {ms(1000)}, false};  // unreachable for valid enum values: a plain tone
}

}  // namespace

ToneGenerator::ToneGenerator(telephony::Tone tone, TonePlan plan, int amplitude)
    : amplitude_(std::clamp(amplitude, 0, 32767)) {
  const ToneSpec spec = specFor(tone, plan);
  for (std::uint32_t len : spec.cadence) {
    if (len == 0) break;
    cadence_[cadenceLen_++] = len;
    cycle_ += len;
  }
  phaseStep_ = 2.0 * std::numbers::pi * spec.hz / kRate;
  once_ = spec.once;
}

void ToneGenerator::generate(std::span<std::int16_t> out) noexcept {
  const bool continuous = cadenceLen_ == 1 && !once_;
  for (auto& sample : out) {
    if (done_ || cycle_ == 0) {
      sample = 0;
      continue;
    }
    // Which segment of the cadence pos_ falls in, and where within it.
    std::uint32_t start = 0;
    std::size_t seg = 0;
    while (seg + 1 < cadenceLen_ && pos_ >= start + cadence_[seg]) start += cadence_[seg++];
    const std::uint32_t into = pos_ - start;
    const bool on = seg % 2 == 0;
    if (on) {
      double gain = 1.0;
      if (continuous) {
        if (fadeIn_ < kRampSamples) gain = ++fadeIn_ / static_cast<double>(kRampSamples);
      } else {
        if (into == 0) phase_ = 0;  // each burst starts at a zero crossing
        const std::uint32_t left = cadence_[seg] - into;
        gain =
            std::min({1.0, (into + 1.0) / kRampSamples, static_cast<double>(left) / kRampSamples});
      }
      sample = static_cast<std::int16_t>(std::lround(amplitude_ * gain * std::sin(phase_)));
      phase_ += phaseStep_;
      if (phase_ >= 2.0 * std::numbers::pi) phase_ -= 2.0 * std::numbers::pi;
    } else {
      sample = 0;
    }
    if (++pos_ >= cycle_) {
      pos_ = 0;
      if (once_) done_ = true;
    }
  }
}

}  // namespace bankcc::media
