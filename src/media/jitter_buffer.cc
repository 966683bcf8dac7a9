// SPDX-License-Identifier: Apache-2.0
#include "media/jitter_buffer.h"

#include <algorithm>
#include <cstring>

namespace bankcc::media {
namespace {

constexpr std::int64_t kFrame = static_cast<std::int64_t>(kFrameSamples);
// Further than this from the playout point (either way) is not jitter but a new timeline.
constexpr std::int64_t kFarSamples = 50 * kFrame;  // 1 s
// Consecutive misfits beyond the depth before we believe the sender restarted.
constexpr std::size_t kResyncSlack = 3;
constexpr std::size_t kMaxDepth = 12;  // leaves room in the 16-slot ring for jitter

// Signed distance from b to a on the 32-bit timestamp circle.
std::int64_t distance(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(a - b);
}

std::int64_t ceilFrames(std::int64_t samples) {
  return (samples + kFrame - 1) / kFrame;
}

}  // namespace

JitterBuffer::JitterBuffer(std::size_t depthFrames)
    : depth_(std::clamp<std::size_t>(depthFrames, 1, kMaxDepth)) {}

void JitterBuffer::start(std::uint32_t timestamp) noexcept {
  for (auto& s : slots_) s.written.reset();
  head_ = 0;
  started_ = true;
  playing_ = false;
  playoutTs_ = timestamp;
  newestEnd_ = timestamp;
  unexpected_ = 0;
}

void JitterBuffer::reset() noexcept {
  for (auto& s : slots_) s.written.reset();
  head_ = 0;
  started_ = false;
  playing_ = false;
  playoutTs_ = 0;
  newestEnd_ = 0;
  unexpected_ = 0;
}

bool JitterBuffer::empty() const noexcept {
  return std::none_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.written.any(); });
}

void JitterBuffer::moveStartBack(std::size_t frames) noexcept {
  // Caller checked that the span held still fits the window, so the slots we move onto are
  // clear (the invariant on slots beyond the newest sample).
  head_ = (head_ + kSlots - frames % kSlots) % kSlots;
  playoutTs_ -= static_cast<std::uint32_t>(frames * kFrameSamples);
}

void JitterBuffer::dropOldest(std::size_t frames) noexcept {
  for (std::size_t i = 0; i < frames; ++i) {
    Slot& s = slots_[head_];
    if (s.written.any()) ++stats_.overflow;
    s.written.reset();
    head_ = (head_ + 1) % kSlots;
    playoutTs_ += static_cast<std::uint32_t>(kFrameSamples);
  }
}

std::int64_t JitterBuffer::storeSamples(std::int64_t rel,
                                        std::span<const std::uint8_t> payload) noexcept {
  const std::int64_t size = static_cast<std::int64_t>(payload.size());
  // Nearly every packet of a 20 ms stream is one whole frame on the frame grid: into an empty
  // slot it is one copy, onto a full one a duplicate. Either way the same outcome as the
  // sample by sample loop below, which handles everything else.
  if (size == kFrame && rel >= 0 && rel % kFrame == 0 && rel + kFrame <= kWindowSamples) {
    Slot& s = slots_[(head_ + static_cast<std::size_t>(rel / kFrame)) % kSlots];
    if (s.written.none()) {
      std::memcpy(s.payload.data(), payload.data(), kFrameSamples);
      s.written.set();
      return kFrame;
    }
    if (s.written.all()) return 0;
  }
  const std::int64_t first = std::max<std::int64_t>(0, -rel);
  const std::int64_t last = std::min(size, kWindowSamples - rel);
  std::int64_t fresh = 0;
  for (std::int64_t i = first; i < last; ++i) {
    const std::int64_t pos = rel + i;
    Slot& s = slots_[(head_ + static_cast<std::size_t>(pos / kFrame)) % kSlots];
    const auto at = static_cast<std::size_t>(pos % kFrame);
    if (!s.written.test(at)) {
      s.payload[at] = payload[static_cast<std::size_t>(i)];
      s.written.set(at);
      ++fresh;
    }
  }
  return fresh;
}

void JitterBuffer::store(std::uint32_t timestamp, std::span<const std::uint8_t> payload) noexcept {
  const std::int64_t rel = distance(timestamp, playoutTs_);
  const std::int64_t size = static_cast<std::int64_t>(payload.size());
  const std::int64_t last = std::min(size, kWindowSamples - rel);
  const std::int64_t fresh = storeSamples(rel, payload);
  if (fresh == 0) {
    ++stats_.duplicate;
    return;
  }
  const auto end = static_cast<std::uint32_t>(timestamp + static_cast<std::uint32_t>(last));
  if (distance(end, newestEnd_) > 0) newestEnd_ = end;
  if (!playing_ && delayFrames() >= depth_) playing_ = true;
}

void JitterBuffer::unexpected(std::uint32_t timestamp, std::span<const std::uint8_t> payload,
                              bool far) noexcept {
  ++unexpected_;
  // Far away with nothing (or only a prebuffer) to lose: the timeline changed, follow it now.
  // Otherwise only a run of misfits proves a restart; single strays are just dropped.
  if ((far && (!playing_ || empty())) || unexpected_ > depth_ + kResyncSlack) {
    start(timestamp);
    store(timestamp, payload);
    return;
  }
  if (distance(timestamp, playoutTs_) > 0) {
    ++stats_.overflow;
  } else {
    ++stats_.late;
  }
}

void JitterBuffer::push(std::uint32_t timestamp, std::span<const std::uint8_t> payload) noexcept {
  ++stats_.pushed;
  if (payload.empty()) return;
  if (payload.size() > static_cast<std::size_t>(kWindowSamples)) {
    payload = payload.first(static_cast<std::size_t>(kWindowSamples));
  }
  if (!started_) start(timestamp);

  std::int64_t rel = distance(timestamp, playoutTs_);
  const std::int64_t size = static_cast<std::int64_t>(payload.size());

  // Before playout starts, a packet older than the first one to arrive (reordering at the
  // very start) moves the start back, while everything held still fits the window.
  if (!playing_ && rel < 0 && rel > -kFarSamples) {
    const std::int64_t back = ceilFrames(-rel);
    const std::int64_t span =
        std::max(distance(newestEnd_, playoutTs_), rel + size) + back * kFrame;
    if (span <= kWindowSamples) {
      moveStartBack(static_cast<std::size_t>(back));
      rel += back * kFrame;
    }
  }

  if (rel >= kFarSamples || rel + size <= -kFarSamples) {
    unexpected(timestamp, payload, true);
    return;
  }
  if (rel + size <= 0) {
    unexpected(timestamp, payload, false);  // late: its time has passed
    return;
  }
  unexpected_ = 0;
  if (rel + size > kWindowSamples) {
    // Ahead of the window (the sender's clock runs fast, or it skipped): make room.
    dropOldest(static_cast<std::size_t>(ceilFrames(rel + size - kWindowSamples)));
  }
  store(timestamp, payload);
}

std::optional<JitterBuffer::Frame> JitterBuffer::pop() noexcept {
  Frame frame;
  frame.timestamp = playoutTs_;
  if (popInto(frame.payload)) return frame;
  return std::nullopt;
}

bool JitterBuffer::popInto(std::span<std::uint8_t, kFrameSamples> out) noexcept {
  if (!playing_) return false;
  Slot& s = slots_[head_];
  bool present = s.written.all();
  if (present) {
    std::memcpy(out.data(), s.payload.data(), kFrameSamples);
    ++stats_.played;
  } else {
    ++stats_.missing;
  }
  s.written.reset();
  head_ = (head_ + 1) % kSlots;
  playoutTs_ += static_cast<std::uint32_t>(kFrameSamples);
  // Keep "newest" on the playout point while starved, so it never drifts half a circle away.
  if (distance(playoutTs_, newestEnd_) > 0) newestEnd_ = playoutTs_;
  return present;
}

std::size_t JitterBuffer::delayFrames() const noexcept {
  if (!started_) return 0;
  const std::int64_t rel = distance(newestEnd_, playoutTs_);
  return rel <= 0 ? 0 : static_cast<std::size_t>(ceilFrames(rel));
}

}  // namespace bankcc::media
