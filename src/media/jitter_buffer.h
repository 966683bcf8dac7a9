// SPDX-License-Identifier: Apache-2.0
#pragma once

// A fixed-depth jitter buffer for legs whose audio we decode (recording, mixing, DTMF
// detection, transcoding). Holds 20 ms frames of 8 kHz G.711 by RTP timestamp; pop() is called
// every 20 ms by the media clock and returns the frame due, or nothing (the caller conceals
// with silence or a repeat). Handles reordering, duplicates, sequence and timestamp wraps, and
// a sender that restarts its timestamps (resynchronises after `depth`+3 consecutive packets
// that fit nowhere, or at once when it holds nothing to lose). Packets of any length are
// assembled by timestamp into 160-sample frames (10, 30, 40 ms packets); a frame still
// incomplete when due is reported missing. A sender running fast overflows the 16-frame
// window: the oldest frames are dropped.
// Not thread-safe: one media worker owns it.

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace bankcc::media {

constexpr std::size_t kFrameSamples = 160;  ///< 20 ms at 8 kHz

class JitterBuffer {
 public:
  struct Frame {
    std::array<std::uint8_t, kFrameSamples> payload;  ///< G.711 bytes
    std::uint32_t timestamp;
  };
  /// pushed, late, duplicate: packets. overflow: frames dropped for lack of room, plus packets
  /// too far ahead. played, missing: frames returned by pop() (missing: nullopt once playing).
  struct Stats {
    std::uint64_t pushed = 0, late = 0, duplicate = 0, overflow = 0, played = 0, missing = 0;
  };

  /// `depthFrames`: frames held before playout starts (2 = 40 ms); clamped to 1..12.
  explicit JitterBuffer(std::size_t depthFrames = 2);

  /// Adds a packet's payload at its RTP timestamp (160 bytes per frame; other lengths are
  /// split or assembled by timestamp; more than 16 frames are truncated). Late and duplicate
  /// packets are dropped and counted.
  void push(std::uint32_t timestamp, std::span<const std::uint8_t> payload) noexcept;
  /// The next frame in playout order, or nullopt when it is missing (or before playout began).
  std::optional<Frame> pop() noexcept;
  /// pop() without the copy of the frame: writes its bytes into `out` and returns true, or
  /// returns false (and leaves `out` alone) when it is missing. Advances the same way.
  bool popInto(std::span<std::uint8_t, kFrameSamples> out) noexcept;
  /// Forgets all frames and the timestamp grid (e.g. a new SSRC); keeps the stats.
  void reset() noexcept;
  /// Current delay in frames between the newest frame and the playout point.
  std::size_t delayFrames() const noexcept;
  const Stats& stats() const noexcept { return stats_; }

 private:
  static constexpr std::size_t kSlots = 16;
  static constexpr std::int64_t kWindowSamples = kSlots * kFrameSamples;
  struct Slot {
    std::array<std::uint8_t, kFrameSamples> payload{};
    std::bitset<kFrameSamples> written;  ///< which samples arrived (packets need not be 20 ms)
  };

  void start(std::uint32_t timestamp) noexcept;
  void moveStartBack(std::size_t frames) noexcept;
  void dropOldest(std::size_t frames) noexcept;
  void store(std::uint32_t timestamp, std::span<const std::uint8_t> payload) noexcept;
  /// Writes the samples of `payload` that start `rel` samples after the playout point and
  /// fit the window, where not written yet; returns how many were new.
  std::int64_t storeSamples(std::int64_t rel, std::span<const std::uint8_t> payload) noexcept;
  /// A packet that fits nowhere: counts it, and resynchronises when the sender evidently
  /// restarted its timestamps.
  void unexpected(std::uint32_t timestamp, std::span<const std::uint8_t> payload,
                  bool far) noexcept;
  bool empty() const noexcept;

  // The ring holds the samples in [playoutTs_, playoutTs_ + kWindowSamples); slots_[head_] is
  // the frame pop() returns next. Slots beyond the newest sample are always clear.
  std::array<Slot, kSlots> slots_{};
  std::size_t head_ = 0;
  std::size_t depth_;
  bool started_ = false;  ///< the grid (playoutTs_) is set
  bool playing_ = false;  ///< prebuffering done; pop() advances
  std::uint32_t playoutTs_ = 0;
  std::uint32_t newestEnd_ = 0;  ///< one past the newest sample held
  std::size_t unexpected_ = 0;   ///< consecutive packets that did not fit
  Stats stats_;
};

}  // namespace bankcc::media
