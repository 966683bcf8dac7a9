// SPDX-License-Identifier: Apache-2.0
#include "media/inband_dtmf.h"

// The only file that includes spandsp (its headers define many unprefixed names).
#include <spandsp.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numbers>

#include "base/assert.h"

namespace bankcc::media {
namespace {

// spandsp's detector works on blocks of this many samples (DTMF_SAMPLES_PER_BLOCK, private to
// its dtmf.c) and reports changes only at block ends; feeding it up to each block end lets us
// date every report to the sample.
constexpr std::uint64_t kBlock = 102;
// A key held longer than this is reported while still down, with the duration so far, so a
// stuck key or a very long press cannot hold a digit back forever.
constexpr std::uint64_t kReportWhileHeldAfter = 8000;  // 1 s

// The keypad: rows are the low group, columns the high group (ITU-T Q.23).
constexpr char kKeys[4][4] = {
    {'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}};
constexpr double kLow[4] = {697, 770, 852, 941};
constexpr double kHigh[4] = {1209, 1336, 1477, 1633};
// -10 dBm0 for the low tone and -8 dBm0 for the high one (the usual 2 dB pre-emphasis), peak
// values on the G.711 scale where a 0 dBm0 sine peaks at about 22,800.
constexpr double kLowPeak = 7200;
constexpr double kHighPeak = 9070;

}  // namespace

struct InbandDtmfDetector::State {
  dtmf_rx_state_t* rx = nullptr;
  std::uint64_t position = 0;  ///< samples fed so far
  char current = 0;            ///< digit whose tone is on, 0 for none
  std::uint64_t startedAt = 0;
  bool reported = false;  ///< `current` was already reported while held
  std::vector<Digit>* out = nullptr;

  void finishCurrent() {
    if (current != 0 && !reported) {
      out->push_back({current, static_cast<std::uint32_t>(position - startedAt)});
    }
    current = 0;
    reported = false;
  }

  // spandsp's realtime callback: `code` is the digit now on, or 0 when the tone stopped.
  static void onChange(void* user, int code, int /*level*/, int /*delay*/) {
    auto* s = static_cast<State*>(user);
    if (code == s->current) return;
    s->finishCurrent();  // a digit may follow another without a gap
    if (code > 0 && code < 128) {
      s->current = static_cast<char>(code);
      s->startedAt = s->position;
    }
  }
};

InbandDtmfDetector::InbandDtmfDetector() : state_(std::make_unique<State>()) {
  // dtmf_rx_init fills shared static tables on its first call without a lock: do that first
  // call once, here, before two media workers can race on it.
  static std::once_flag tablesReady;
  std::call_once(tablesReady, [] { dtmf_rx_free(dtmf_rx_init(nullptr, nullptr, nullptr)); });
  state_->rx = dtmf_rx_init(nullptr, nullptr, nullptr);
  // Allocation failure inside spandsp: nothing sensible to do but stop (like operator new).
  BANKCC_RELEASE_ASSERT(state_->rx != nullptr, "spandsp could not allocate a DTMF detector");
  dtmf_rx_set_realtime_callback(state_->rx, &State::onChange, state_.get());
}

InbandDtmfDetector::~InbandDtmfDetector() {
  if (state_ && state_->rx) dtmf_rx_free(state_->rx);
}

std::vector<InbandDtmfDetector::Digit> InbandDtmfDetector::feed(
    std::span<const std::int16_t> samples) noexcept {
  std::vector<Digit> digits;
  State& s = *state_;
  s.out = &digits;
  std::size_t at = 0;
  while (at < samples.size()) {
    const std::size_t toBlockEnd = static_cast<std::size_t>(kBlock - s.position % kBlock);
    const std::size_t n = std::min(toBlockEnd, samples.size() - at);
    s.position += n;  // callbacks fire at the end of the block, i.e. at the new position
    dtmf_rx(s.rx, samples.data() + at, static_cast<int>(n));
    at += n;
    if (s.current != 0 && !s.reported && s.position - s.startedAt >= kReportWhileHeldAfter) {
      digits.push_back({s.current, static_cast<std::uint32_t>(s.position - s.startedAt)});
      s.reported = true;
    }
  }
  s.out = nullptr;
  return digits;
}

void generateDtmf(char digit, int ms, int gapMs, std::vector<std::int16_t>& out) {
  const std::size_t toneSamples = static_cast<std::size_t>(std::max(ms, 0)) * 8;
  const std::size_t gapSamples = static_cast<std::size_t>(std::max(gapMs, 0)) * 8;
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  int row = -1, col = -1;
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) {
      if (kKeys[r][c] == digit) {
        row = r;
        col = c;
      }
    }
  }
  out.reserve(out.size() + toneSamples + gapSamples);
  if (row < 0) {
    out.insert(out.end(), toneSamples + gapSamples, 0);  // not a key: keep the timing
    return;
  }
  const double wLow = 2 * std::numbers::pi * kLow[row] / 8000.0;
  const double wHigh = 2 * std::numbers::pi * kHigh[col] / 8000.0;
  for (std::size_t i = 0; i < toneSamples; ++i) {
    const double v = kLowPeak * std::sin(wLow * static_cast<double>(i)) +
                     kHighPeak * std::sin(wHigh * static_cast<double>(i));
    out.push_back(static_cast<std::int16_t>(std::lround(v)));
  }
  out.insert(out.end(), gapSamples, 0);
}

}  // namespace bankcc::media
