// SPDX-License-Identifier: Apache-2.0
#pragma once

// RTCP (RFC 3550) as far as a media server terminating G.711 legs needs it: receive
// statistics for one incoming stream (sequence tracking per Appendix A.1, interarrival jitter
// per A.8), the Receiver Report we send every few seconds, and a tolerant parser that takes
// the sender's NTP timestamp from an SR (for LSR/DLSR) and ignores anything else.
// Pure; not thread-safe (one media worker owns each object).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace bankcc::media {

/// Statistics of the RTP stream received from one peer. A new SSRC starts a new source; the
/// counters of earlier sources are kept in the totals.
class ReceiveStats {
 public:
  /// `arrival` is the receive time in RTP timestamp units (8 kHz) on any monotonic base.
  void onPacket(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t rtpTs,
                std::uint32_t arrival) noexcept;

  std::uint64_t received() const noexcept { return prevReceived_ + received_; }
  /// Expected minus received over all sources (never negative).
  std::uint64_t lost() const noexcept;
  /// Interarrival jitter of the current source, in timestamp units.
  double jitter() const noexcept { return jitter_; }
  double jitterMs() const noexcept { return jitter_ / 8.0; }
  bool hasSource() const noexcept { return haveSource_; }
  std::uint32_t ssrc() const noexcept { return ssrc_; }
  /// Extended highest sequence number received (cycles << 16 | max).
  std::uint32_t extendedMax() const noexcept { return cycles_ | maxSeq_; }

  /// The fields of a report block since the previous call (fraction lost over the interval).
  struct Block {
    std::uint32_t ssrc;
    std::uint8_t fractionLost;
    std::int32_t cumulativeLost;  ///< clamped to 24 bits signed
    std::uint32_t extendedMax;
    std::uint32_t jitter;
  };
  Block takeBlock() noexcept;

 private:
  std::uint64_t sourceLost() const noexcept;

  bool haveSource_ = false;
  std::uint32_t ssrc_ = 0;
  std::uint16_t maxSeq_ = 0;
  std::uint32_t baseSeq_ = 0;
  std::uint32_t cycles_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t prevReceived_ = 0, prevLost_ = 0;        // earlier sources
  std::uint64_t expectedPrior_ = 0, receivedPrior_ = 0;  // at the last report
  bool haveTransit_ = false;
  std::int64_t transit_ = 0;
  double jitter_ = 0;
};

/// What we learnt from an incoming RTCP compound packet.
struct RtcpInfo {
  std::optional<std::uint32_t> senderSsrc;
  std::optional<std::uint32_t> lastSr;  ///< middle 32 bits of the SR's NTP timestamp
  bool bye = false;
};
/// Parses a compound RTCP packet; nullopt when it is not valid RTCP (wrong version, lengths
/// that do not add up). Never reads outside `datagram`.
std::optional<RtcpInfo> parseRtcp(std::span<const std::uint8_t> datagram) noexcept;

/// True when a datagram on a muxed port is RTCP rather than RTP (RFC 5761: packet type
/// 192..223 in the second byte).
bool looksLikeRtcp(std::span<const std::uint8_t> datagram) noexcept;

/// Writes RR (one report block when `block` is given) + SDES CNAME into `out`. Returns the
/// size, or 0 when `out` is too small. `lsr` and `dlsr` as in RFC 3550 §6.4.1 (dlsr in 1/65536 s).
std::size_t writeReceiverReport(std::uint32_t ourSsrc, const ReceiveStats::Block* block,
                                std::uint32_t lsr, std::uint32_t dlsr,
                                std::span<std::uint8_t> out) noexcept;

}  // namespace bankcc::media
