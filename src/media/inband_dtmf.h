// SPDX-License-Identifier: Apache-2.0
#pragma once

// In-band DTMF detection (spandsp dtmf_rx) for peers without RFC 4733, and DTMF tone
// generation for tests and for sending in-band. Reports each digit once, with its duration.
// Not thread-safe: one detector per session on its media worker. Only media/ includes spandsp.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace bankcc::media {

class InbandDtmfDetector {
 public:
  struct Digit {
    char digit;
    std::uint32_t durationSamples;
  };
  InbandDtmfDetector();
  ~InbandDtmfDetector();
  InbandDtmfDetector(const InbandDtmfDetector&) = delete;
  InbandDtmfDetector& operator=(const InbandDtmfDetector&) = delete;

  /// Feeds 8 kHz linear samples (any chunk size); returns the digits whose tone ended within
  /// them, each once, with the tone's duration (resolution: spandsp's 102-sample block). A key
  /// held for more than 1 s is reported then, with the duration so far, and not again at its
  /// end. Tones too short or too impure for spandsp (Q.24 limits) are not digits.
  std::vector<Digit> feed(std::span<const std::int16_t> samples) noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Appends a DTMF tone pair for `digit` (`ms` long, then `gapMs` of silence) at 8 kHz: low
/// tone at -10 dBm0, high at -8 dBm0. 'a'-'d' count as 'A'-'D'; any other character that is
/// not a key appends silence of the same length.
void generateDtmf(char digit, int ms, int gapMs, std::vector<std::int16_t>& out);

}  // namespace bankcc::media
