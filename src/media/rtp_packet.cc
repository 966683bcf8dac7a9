// SPDX-License-Identifier: Apache-2.0
#include "media/rtp_packet.h"

namespace bankcc::media {
namespace {

constexpr std::size_t kFixedHeader = 12;

std::uint16_t read16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

std::uint32_t read32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

RtpParseResult fail(RtpParseError e) {
  RtpParseResult r;
  r.error = e;
  return r;
}

}  // namespace

RtpParseResult parseRtp(std::span<const std::uint8_t> datagram) noexcept {
  // Every offset below is checked against the datagram's size before it is read; the sizes
  // involved (at most 12 + 15*4 + 4 + 65535*4) cannot overflow std::size_t.
  const std::size_t size = datagram.size();
  if (size < 2) return fail(RtpParseError::TooShort);
  if ((datagram[0] >> 6) != 2) return fail(RtpParseError::BadVersion);
  // RFC 5761 §4: on a muxed port, the second byte of RTCP (packet types 192–223) seen as
  // M + PT gives PT 64–95; 72–76 are the RTCP types in use (SR, RR, SDES, BYE, APP). Checked
  // before the length because an RTCP packet may be shorter than an RTP header.
  const std::uint8_t payloadType = datagram[1] & 0x7F;
  if (payloadType >= 72 && payloadType <= 76) return fail(RtpParseError::RtcpPacket);
  if (size < kFixedHeader) return fail(RtpParseError::TooShort);

  const bool padding = (datagram[0] & 0x20) != 0;
  const bool extension = (datagram[0] & 0x10) != 0;
  const std::size_t csrcCount = datagram[0] & 0x0F;

  std::size_t offset = kFixedHeader + 4 * csrcCount;
  if (offset > size) return fail(RtpParseError::TooShort);
  if (extension) {
    // RFC 3550 §5.3.1: a 4-byte extension header whose second half counts 32-bit words.
    if (offset + 4 > size) return fail(RtpParseError::TooShort);
    const std::size_t words = read16(datagram, offset + 2);
    offset += 4 + 4 * words;
    if (offset > size) return fail(RtpParseError::TooShort);
  }

  std::size_t payloadEnd = size;
  if (padding) {
    // The last byte counts the padding bytes, itself included: zero is invalid, and so is a
    // count reaching into the header.
    const std::size_t pad = datagram[size - 1];
    if (pad == 0 || pad > size - offset) return fail(RtpParseError::BadPadding);
    payloadEnd = size - pad;
  }

  RtpView view;
  view.header.payloadType = payloadType;
  view.header.marker = (datagram[1] & 0x80) != 0;
  view.header.sequence = read16(datagram, 2);
  view.header.timestamp = read32(datagram, 4);
  view.header.ssrc = read32(datagram, 8);
  view.payload = datagram.subspan(offset, payloadEnd - offset);

  RtpParseResult r;
  r.packet = view;
  return r;
}

std::size_t writeRtp(const RtpHeader& h, std::span<const std::uint8_t> payload,
                     std::span<std::uint8_t> out) noexcept {
  if (out.size() < kFixedHeader || out.size() - kFixedHeader < payload.size()) return 0;
  out[0] = 0x80;  // version 2, no padding, no extension, no CSRC
  out[1] = static_cast<std::uint8_t>((h.marker ? 0x80 : 0x00) | (h.payloadType & 0x7F));
  out[2] = static_cast<std::uint8_t>(h.sequence >> 8);
  out[3] = static_cast<std::uint8_t>(h.sequence);
  for (int i = 0; i < 4; ++i) {
    out[4 + i] = static_cast<std::uint8_t>(h.timestamp >> (24 - 8 * i));
    out[8 + i] = static_cast<std::uint8_t>(h.ssrc >> (24 - 8 * i));
  }
  for (std::size_t i = 0; i < payload.size(); ++i) out[kFixedHeader + i] = payload[i];
  return kFixedHeader + payload.size();
}

}  // namespace bankcc::media
