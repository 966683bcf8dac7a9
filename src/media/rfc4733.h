// SPDX-License-Identifier: Apache-2.0
#pragma once

// RFC 4733 telephone-event payloads (DTMF over RTP): decoding with digit-once reporting, and
// encoding a digit as the usual packet train. Pure; thread-safe per object.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "media/rtp_packet.h"

namespace bankcc::media {

struct TelephoneEvent {
  std::uint8_t event = 0;  ///< 0-9, 10 '*', 11 '#', 12-15 'A'-'D'
  bool end = false;
  std::uint8_t volume = 0;     ///< 0..63 (-dBm0)
  std::uint16_t duration = 0;  ///< in timestamp units
};

/// Parses a 4-byte telephone-event payload (extra bytes, i.e. redundant events, are ignored).
std::optional<TelephoneEvent> parseTelephoneEvent(std::span<const std::uint8_t> payload) noexcept;
void writeTelephoneEvent(const TelephoneEvent& e, std::span<std::uint8_t, 4> out) noexcept;

/// '0'..'9', '*', '#', 'A'..'D' for events 0..15; '\0' for any other event.
char eventToDigit(std::uint8_t event) noexcept;
/// The event code for a DTMF character, or nullopt.
std::optional<std::uint8_t> digitToEvent(char digit) noexcept;

/// Turns a stream of telephone-event packets into digits, each reported exactly once: on the
/// first packet of a new event timestamp (TOOLCHAIN: some clients never send the end bit of the
/// last digit), tolerating retransmitted end packets, reordering, and bogus durations (a
/// duration is clamped to `maxDuration` samples for reporting).
class DtmfEventReceiver {
 public:
  struct Digit {
    char digit;
    std::uint32_t durationSamples;  ///< best known so far when reported (updated on end)
  };
  explicit DtmfEventReceiver(std::uint32_t maxDurationSamples = 8000 * 10);
  /// Feeds one packet; returns the digit when this packet starts a new one. Events other than
  /// DTMF (codes above 15) are ignored. A packet whose timestamp belongs to one of the last few
  /// events seen (updates, retransmitted ends, late reordered packets) returns nothing; a new
  /// SSRC starts afresh. The reported duration is the packet's, clamped to
  /// [kMinReportedDuration, maxDurationSamples] (a digit's first packet may claim 0 or 0xFFFF).
  std::optional<Digit> onPacket(const RtpHeader& h, const TelephoneEvent& e) noexcept;

  static constexpr std::uint32_t kMinReportedDuration = 160;  ///< 20 ms

 private:
  bool seenRecently(std::uint32_t timestamp) const noexcept;
  void remember(std::uint32_t timestamp) noexcept;

  // Timestamps of the last events seen (a ring); several, not one, so that the end packets of
  // a digit retransmitted after the next digit started are still recognised.
  static constexpr std::size_t kRecent = 8;
  std::array<std::uint32_t, kRecent> recent_{};
  std::size_t recentCount_ = 0, recentNext_ = 0;
  std::optional<std::uint32_t> lastTimestamp_;
  std::uint32_t lastSsrc_ = 0;
  std::uint8_t lastEvent_ = 0;
  std::uint16_t lastDuration_ = 0;  ///< largest duration seen for the last event
  std::uint32_t maxDuration_;
};

/// The packets to send one digit (RFC 4733 §2.5): updates every `ptime` while the tone lasts,
/// then three end packets, all with the same timestamp; the first has the marker bit. The
/// duration is clamped to 1..0xFFFF samples (no long-event segments); ptime 0 means 160.
/// Volume is 10 (-10 dBm0).
struct DtmfPacket {
  bool marker;
  TelephoneEvent event;
};
std::vector<DtmfPacket> encodeDigit(std::uint8_t event, std::uint32_t durationSamples,
                                    std::uint32_t ptimeSamples);

}  // namespace bankcc::media
