// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to media/: band-limited sample-rate conversion by a rational factor, for prompts
// loaded at start-up (audio_file.cc). Windowed sinc (Kaiser window, 20 zero crossings each
// side, cut-off at 90 % of the lower Nyquist frequency) evaluated from a polyphase table.
// Pure once constructed; a const Resampler may be shared between threads.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace bankcc::media {

class Resampler {
 public:
  /// Rates must be positive (callers validate untrusted rates first).
  Resampler(int fromRate, int toRate);

  /// How many output samples `inputLength` input samples make.
  std::size_t outputLength(std::size_t inputLength) const;

  /// The input indices [first, last) that outputs [n0, n1) read; may reach below 0 or past
  /// the end of the signal, where the caller supplies zeros. Precondition: n0 < n1.
  struct Range {
    std::int64_t first, last;
  };
  Range inputRange(std::size_t n0, std::size_t n1) const;

  /// Computes outputs n0 .. n0 + out.size() - 1. `window` holds the input from index
  /// `windowFirst` on and must cover inputRange(n0, n0 + out.size()).
  void run(std::size_t n0, std::span<float> out, std::span<const float> window,
           std::int64_t windowFirst) const;

 private:
  struct Position {
    std::int64_t index;  ///< input sample at or before the output's time
    std::size_t phase;   ///< fraction past it, in table phases
  };
  Position position(std::size_t n) const;

  std::uint64_t up_ = 1, down_ = 1;  ///< output time n is input time n * down_ / up_
  std::size_t phases_ = 1;           ///< table rows (up_, or 1024 when up_ is larger)
  std::int64_t half_ = 1;            ///< taps per side
  std::vector<float> table_;         ///< phases_ rows of 2 * half_ taps
};

}  // namespace bankcc::media
