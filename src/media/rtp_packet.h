// SPDX-License-Identifier: Apache-2.0
#pragma once

// RTP (RFC 3550) headers: parsing untrusted datagrams and writing our own. Pure; thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace bankcc::media {

struct RtpHeader {
  std::uint8_t payloadType = 0;
  bool marker = false;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
};

/// A parsed packet: the header and where its payload lies inside the datagram.
struct RtpView {
  RtpHeader header;
  std::span<const std::uint8_t> payload;
};

enum class RtpParseError {
  TooShort,    ///< shorter than 12 bytes, or than the CSRC list / extension it announces
  BadVersion,  ///< version is not 2
  BadPadding,  ///< padding count is zero or larger than the payload
  RtcpPacket,  ///< payload type 72–76: RTCP on a muxed port (RFC 5761)
};

/// Parses a datagram as RTP. Never reads outside `datagram`. On failure says why (the caller
/// counts it and drops the datagram).
struct RtpParseResult {
  std::optional<RtpView> packet;
  RtpParseError error = RtpParseError::TooShort;
};
RtpParseResult parseRtp(std::span<const std::uint8_t> datagram) noexcept;

/// Writes a 12-byte header (no CSRC, no extension) followed by `payload` into `out`.
/// Returns the number of bytes written, or 0 when `out` is too small.
std::size_t writeRtp(const RtpHeader& h, std::span<const std::uint8_t> payload,
                     std::span<std::uint8_t> out) noexcept;

/// Serial-number arithmetic (RFC 1982) for 16-bit sequences: a is newer than b.
inline bool seqNewer(std::uint16_t a, std::uint16_t b) noexcept {
  return a != b && static_cast<std::uint16_t>(a - b) < 0x8000;
}
/// Same for 32-bit RTP timestamps.
inline bool tsNewer(std::uint32_t a, std::uint32_t b) noexcept {
  return a != b && static_cast<std::uint32_t>(a - b) < 0x80000000u;
}

}  // namespace bankcc::media
