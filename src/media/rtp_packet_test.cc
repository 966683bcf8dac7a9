// SPDX-License-Identifier: Apache-2.0
#include "media/rtp_packet.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace bankcc::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes header(std::uint8_t b0, std::uint8_t b1 = 0) {
  // seq 0x1234, ts 0x89ABCDEF, ssrc 0x01020304
  return {b0, b1, 0x12, 0x34, 0x89, 0xAB, 0xCD, 0xEF, 0x01, 0x02, 0x03, 0x04};
}

TEST(RtpPacketTest, ParsesAPlainPacket) {
  Bytes d = header(0x80, 0x80 | 8);
  d.insert(d.end(), {1, 2, 3, 4});
  auto r = parseRtp(d);
  ASSERT_TRUE(r.packet);
  EXPECT_EQ(r.packet->header.payloadType, 8);
  EXPECT_TRUE(r.packet->header.marker);
  EXPECT_EQ(r.packet->header.sequence, 0x1234);
  EXPECT_EQ(r.packet->header.timestamp, 0x89ABCDEFu);
  EXPECT_EQ(r.packet->header.ssrc, 0x01020304u);
  ASSERT_EQ(r.packet->payload.size(), 4u);
  EXPECT_EQ(r.packet->payload[0], 1);
  EXPECT_EQ(r.packet->payload.data(), d.data() + 12);
}

TEST(RtpPacketTest, EmptyPayloadIsValid) {
  Bytes d = header(0x80, 0);
  auto r = parseRtp(d);
  ASSERT_TRUE(r.packet);
  EXPECT_TRUE(r.packet->payload.empty());
}

TEST(RtpPacketTest, RejectsShortDatagrams) {
  for (std::size_t n = 0; n < 12; ++n) {
    Bytes d = header(0x80, 0);
    d.resize(n);
    auto r = parseRtp(d);
    EXPECT_FALSE(r.packet) << n;
    EXPECT_EQ(r.error, RtpParseError::TooShort) << n;
  }
}

TEST(RtpPacketTest, RejectsOtherVersions) {
  for (std::uint8_t v : {0x00, 0x40, 0xC0}) {
    Bytes d = header(v, 0);
    d.push_back(0);
    auto r = parseRtp(d);
    EXPECT_FALSE(r.packet);
    EXPECT_EQ(r.error, RtpParseError::BadVersion);
  }
}

TEST(RtpPacketTest, CsrcListLongerThanTheDatagramIsTooShort) {
  Bytes d = header(0x8F, 0);  // 15 CSRCs announced = 60 bytes
  d.resize(12 + 59);
  auto r = parseRtp(d);
  EXPECT_FALSE(r.packet);
  EXPECT_EQ(r.error, RtpParseError::TooShort);
  d.resize(12 + 60 + 2);
  r = parseRtp(d);
  ASSERT_TRUE(r.packet);
  EXPECT_EQ(r.packet->payload.size(), 2u);
}

TEST(RtpPacketTest, ExtensionOverflowingTheDatagramIsTooShort) {
  Bytes d = header(0x90, 0);
  d.insert(d.end(), {0xBE, 0xDE});  // only half an extension header
  EXPECT_EQ(parseRtp(d).error, RtpParseError::TooShort);
  d.insert(d.end(), {0xFF, 0xFF});  // 65535 words announced
  d.resize(d.size() + 16);
  auto r = parseRtp(d);
  EXPECT_FALSE(r.packet);
  EXPECT_EQ(r.error, RtpParseError::TooShort);
  // One word of extension, then 3 bytes of payload.
  Bytes ok = header(0x90, 0);
  ok.insert(ok.end(), {0xBE, 0xDE, 0x00, 0x01, 9, 9, 9, 9, 7, 7, 7});
  r = parseRtp(ok);
  ASSERT_TRUE(r.packet);
  EXPECT_EQ(r.packet->payload.size(), 3u);
  EXPECT_EQ(r.packet->payload[0], 7);
}

TEST(RtpPacketTest, CsrcAndExtensionTogether) {
  Bytes d = header(0x92, 0);  // 2 CSRCs and an extension
  d.resize(d.size() + 8);
  d.insert(d.end(), {0x10, 0x00, 0x00, 0x00, 5});
  auto r = parseRtp(d);
  ASSERT_TRUE(r.packet);
  ASSERT_EQ(r.packet->payload.size(), 1u);
  EXPECT_EQ(r.packet->payload[0], 5);
}

TEST(RtpPacketTest, Padding) {
  Bytes d = header(0xA0, 0);
  d.insert(d.end(), {1, 2, 3, 0, 0, 3});  // 3 bytes of padding
  auto r = parseRtp(d);
  ASSERT_TRUE(r.packet);
  EXPECT_EQ(r.packet->payload.size(), 3u);

  d.back() = 0;  // zero pad count
  r = parseRtp(d);
  EXPECT_FALSE(r.packet);
  EXPECT_EQ(r.error, RtpParseError::BadPadding);

  d.back() = 7;  // more than the payload
  EXPECT_EQ(parseRtp(d).error, RtpParseError::BadPadding);

  d.back() = 6;  // exactly the payload: valid, empty
  r = parseRtp(d);
  ASSERT_TRUE(r.packet);
  EXPECT_TRUE(r.packet->payload.empty());

  Bytes noPayload = header(0xA0, 0);  // padding bit but nothing after the header
  EXPECT_EQ(parseRtp(noPayload).error, RtpParseError::BadPadding);
}

TEST(RtpPacketTest, MuxedRtcpIsReported) {
  for (int pt = 200; pt <= 204; ++pt) {
    // An RTCP receiver report without report blocks is 8 bytes.
    Bytes d{0x80, static_cast<std::uint8_t>(pt), 0x00, 0x01, 1, 2, 3, 4};
    auto r = parseRtp(d);
    EXPECT_FALSE(r.packet);
    EXPECT_EQ(r.error, RtpParseError::RtcpPacket) << pt;
  }
  // PT 72 without the marker bit is still in the RTCP range.
  Bytes d = header(0x80, 72);
  EXPECT_EQ(parseRtp(d).error, RtpParseError::RtcpPacket);
  // 71 and 77 are RTP.
  EXPECT_TRUE(parseRtp(header(0x80, 71)).packet);
  EXPECT_TRUE(parseRtp(header(0x80, 77)).packet);
}

TEST(RtpPacketTest, WriteUsesNetworkByteOrderAndRoundTrips) {
  RtpHeader h;
  h.payloadType = 101;
  h.marker = true;
  h.sequence = 0xABCD;
  h.timestamp = 0x11223344;
  h.ssrc = 0xDEADBEEF;
  Bytes payload{9, 8, 7};
  Bytes out(64);
  ASSERT_EQ(writeRtp(h, payload, out), 15u);
  const Bytes expected{0x80, 0xE5, 0xAB, 0xCD, 0x11, 0x22, 0x33, 0x44,
                       0xDE, 0xAD, 0xBE, 0xEF, 9,    8,    7};
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 15), expected);
  auto r = parseRtp(std::span(out.data(), 15));
  ASSERT_TRUE(r.packet);
  EXPECT_EQ(r.packet->header.payloadType, 101);
  EXPECT_TRUE(r.packet->header.marker);
  EXPECT_EQ(r.packet->header.sequence, 0xABCD);
  EXPECT_EQ(r.packet->header.timestamp, 0x11223344u);
  EXPECT_EQ(r.packet->header.ssrc, 0xDEADBEEFu);
  EXPECT_EQ(Bytes(r.packet->payload.begin(), r.packet->payload.end()), payload);
}

TEST(RtpPacketTest, WriteRefusesASmallBuffer) {
  RtpHeader h;
  Bytes payload(10);
  Bytes out(21);
  EXPECT_EQ(writeRtp(h, payload, out), 0u);
  Bytes tiny(5);
  EXPECT_EQ(writeRtp(h, {}, tiny), 0u);
  Bytes exact(22);
  EXPECT_EQ(writeRtp(h, payload, exact), 22u);
}

TEST(RtpPacketTest, SequenceAndTimestampWrap) {
  EXPECT_TRUE(seqNewer(1, 0));
  EXPECT_FALSE(seqNewer(0, 1));
  EXPECT_FALSE(seqNewer(5, 5));
  EXPECT_TRUE(seqNewer(0, 0xFFFF));
  EXPECT_TRUE(seqNewer(10, 0xFFF0));
  EXPECT_FALSE(seqNewer(0xFFF0, 10));
  EXPECT_TRUE(seqNewer(0x7FFF, 0));
  EXPECT_FALSE(seqNewer(0x8000, 0));  // exactly half way: not newer
  EXPECT_TRUE(tsNewer(160, 0xFFFFFF60u));
  EXPECT_FALSE(tsNewer(0xFFFFFF60u, 160));
  EXPECT_TRUE(tsNewer(0x7FFFFFFFu, 0));
  EXPECT_FALSE(tsNewer(0x80000000u, 0));
  EXPECT_FALSE(tsNewer(7, 7));
}

TEST(RtpPacketTest, RandomDatagramsNeverReadOutside) {
  std::mt19937 rng(4733);
  std::uniform_int_distribution<int> len(0, 200);
  std::uniform_int_distribution<int> byte(0, 255);
  std::size_t parsed = 0;
  for (int i = 0; i < 100000; ++i) {
    // An exactly-sized heap buffer, so that ASan flags any read past the end.
    std::vector<std::uint8_t> d(static_cast<std::size_t>(len(rng)));
    for (auto& b : d) b = static_cast<std::uint8_t>(byte(rng));
    // Bias half of them towards version 2 so the deeper checks are exercised.
    if (!d.empty() && (i & 1)) d[0] = static_cast<std::uint8_t>(0x80 | (d[0] & 0x3F));
    auto r = parseRtp(d);
    if (r.packet) {
      ++parsed;
      const auto* begin = d.data();
      const auto* end = d.data() + d.size();
      ASSERT_GE(r.packet->payload.data(), begin + 12);
      ASSERT_LE(r.packet->payload.data() + r.packet->payload.size(), end);
      volatile std::uint32_t sum = 0;
      for (auto b : r.packet->payload) sum = sum + b;
    }
  }
  EXPECT_GT(parsed, 1000u);
}

}  // namespace
}  // namespace bankcc::media
