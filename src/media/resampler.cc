// SPDX-License-Identifier: Apache-2.0
#include "media/resampler.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

namespace bankcc::media {
namespace {

constexpr double kZeroCrossings = 20;
constexpr double kPassband = 0.9;    // cut-off as a fraction of the lower Nyquist frequency
constexpr double kKaiserBeta = 8.6;  // about 85 dB stop-band attenuation
constexpr std::size_t kMaxPhases = 1024;

// Modified Bessel function of the first kind, order 0 (power series; converges fast for the
// arguments a Kaiser window uses).
double besselI0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

}  // namespace

Resampler::Resampler(int fromRate, int toRate) {
  const auto from = static_cast<std::uint64_t>(std::max(fromRate, 1));
  const auto to = static_cast<std::uint64_t>(std::max(toRate, 1));
  const std::uint64_t g = std::gcd(from, to);
  up_ = to / g;
  down_ = from / g;
  phases_ = static_cast<std::size_t>(std::min<std::uint64_t>(up_, kMaxPhases));

  // Cut-off in cycles per input sample: below the output's Nyquist when decimating.
  const double cutoff = 0.5 * kPassband * std::min(1.0, static_cast<double>(to) / from);
  const double halfWidth = kZeroCrossings / (2 * cutoff);  // in input samples
  half_ = static_cast<std::int64_t>(std::ceil(halfWidth));
  const auto taps = static_cast<std::size_t>(2 * half_);
  const double i0Beta = besselI0(kKaiserBeta);

  table_.assign(phases_ * taps, 0.0f);
  for (std::size_t p = 0; p < phases_; ++p) {
    const double frac = static_cast<double>(p) / static_cast<double>(phases_);
    std::vector<double> row(taps);
    double sum = 0;
    for (std::size_t k = 0; k < taps; ++k) {
      const double x = static_cast<double>(static_cast<std::int64_t>(k) - half_ + 1) - frac;
      const double r = x / halfWidth;
      if (std::abs(r) >= 1) continue;
      const double arg = 2 * cutoff * x;
      const double sinc =
          arg == 0 ? 1.0 : std::sin(std::numbers::pi * arg) / (std::numbers::pi * arg);
      const double window = besselI0(kKaiserBeta * std::sqrt(1 - r * r)) / i0Beta;
      row[k] = 2 * cutoff * sinc * window;
      sum += row[k];
    }
    // Unity gain at DC for every phase, so a constant input stays exactly constant.
    for (std::size_t k = 0; k < taps; ++k) {
      table_[p * taps + k] = static_cast<float>(row[k] / sum);
    }
  }
}

std::size_t Resampler::outputLength(std::size_t inputLength) const {
  // Outputs whose time falls inside the input: n * down / up < inputLength.
  return static_cast<std::size_t>((inputLength * up_ + down_ - 1) / down_);
}

Resampler::Position Resampler::position(std::size_t n) const {
  const std::uint64_t t = n * down_;
  Position p{static_cast<std::int64_t>(t / up_), 0};
  const std::uint64_t rem = t % up_;
  if (phases_ == up_) {
    p.phase = static_cast<std::size_t>(rem);
  } else {
    // More phases than the table holds: use the nearest (error < 1/2048 of a sample).
    p.phase = static_cast<std::size_t>((rem * phases_ + up_ / 2) / up_);
    if (p.phase == phases_) {
      p.phase = 0;
      ++p.index;
    }
  }
  return p;
}

Resampler::Range Resampler::inputRange(std::size_t n0, std::size_t n1) const {
  return {position(n0).index - half_ + 1, position(n1 - 1).index + half_ + 1};
}

void Resampler::run(std::size_t n0, std::span<float> out, std::span<const float> window,
                    std::int64_t windowFirst) const {
  const auto taps = static_cast<std::size_t>(2 * half_);
  for (std::size_t k = 0; k < out.size(); ++k) {
    const Position p = position(n0 + k);
    const std::int64_t start = p.index - half_ + 1 - windowFirst;
    const float* coef = &table_[p.phase * taps];
    double acc = 0;
    if (start >= 0 && static_cast<std::size_t>(start) + taps <= window.size()) {
      const float* in = window.data() + start;
      for (std::size_t j = 0; j < taps; ++j) acc += static_cast<double>(in[j]) * coef[j];
    } else {
      // Caller broke the precondition: treat what is missing as silence rather than read it.
      for (std::size_t j = 0; j < taps; ++j) {
        const std::int64_t at = start + static_cast<std::int64_t>(j);
        if (at >= 0 && static_cast<std::size_t>(at) < window.size()) {
          acc += static_cast<double>(window[static_cast<std::size_t>(at)]) * coef[j];
        }
      }
    }
    out[k] = static_cast<float>(acc);
  }
}

}  // namespace bankcc::media
