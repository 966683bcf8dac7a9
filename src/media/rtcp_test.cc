// SPDX-License-Identifier: Apache-2.0
#include "media/rtcp.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace bankcc::media {
namespace {

TEST(ReceiveStatsTest, CountsLossFromTheExtendedHighestSequenceAcrossAWrap) {
  ReceiveStats rx;
  std::uint16_t seq = 65530;
  for (int i = 0; i < 20; ++i, ++seq) {
    if (i == 5 || i == 6) continue;  // two lost, around the wrap
    rx.onPacket(1, seq, 160u * i, 160u * i);
  }
  EXPECT_EQ(rx.received(), 18u);
  EXPECT_EQ(rx.lost(), 2u);
  EXPECT_EQ(rx.extendedMax(), (1u << 16) | 13u);  // 65530 + 19 wrapped
  ReceiveStats::Block b = rx.takeBlock();
  EXPECT_EQ(b.cumulativeLost, 2);
  EXPECT_EQ(b.fractionLost, (2 << 8) / 20);
  EXPECT_EQ(rx.takeBlock().fractionLost, 0);  // nothing new since
}

TEST(ReceiveStatsTest, DuplicatesAndReorderingAreNotLoss) {
  ReceiveStats rx;
  for (std::uint16_t s : {10, 12, 11, 13, 13, 14}) rx.onPacket(7, s, s * 160u, s * 160u);
  EXPECT_EQ(rx.lost(), 0u);
}

TEST(ReceiveStatsTest, JitterFollowsRfc3550) {
  ReceiveStats rx;
  // Packets every 160 units, arriving alternately 0 and 80 units late: |D| = 80 each time.
  for (std::uint32_t i = 0; i < 400; ++i)
    rx.onPacket(1, static_cast<std::uint16_t>(i), i * 160, i * 160 + (i % 2) * 80);
  EXPECT_NEAR(rx.jitter(), 80, 1);
  EXPECT_NEAR(rx.jitterMs(), 10, 0.2);
}

TEST(ReceiveStatsTest, ANewSsrcStartsANewSourceAndKeepsTotals) {
  ReceiveStats rx;
  rx.onPacket(1, 100, 0, 0);
  rx.onPacket(1, 102, 320, 320);  // one lost
  rx.onPacket(2, 5000, 0, 480);
  rx.onPacket(2, 5001, 160, 640);
  EXPECT_EQ(rx.received(), 4u);
  EXPECT_EQ(rx.lost(), 1u);
  EXPECT_EQ(rx.ssrc(), 2u);
}

TEST(RtcpTest, ReceiverReportRoundTripsThroughTheParser) {
  ReceiveStats rx;
  rx.onPacket(0xabc, 1, 0, 0);
  auto block = rx.takeBlock();
  std::array<std::uint8_t, 128> buf{};
  std::size_t n = writeReceiverReport(0x1234, &block, 0x11112222, 65536, buf);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(n % 4, 0u);
  EXPECT_TRUE(looksLikeRtcp(std::span(buf).first(n)));
  auto info = parseRtcp(std::span(buf).first(n));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->senderSsrc, 0x1234u);
  EXPECT_FALSE(info->lastSr);
  EXPECT_EQ(writeReceiverReport(1, &block, 0, 0, std::span(buf).first(20)), 0u);
}

TEST(RtcpTest, TakesTheNtpMiddleOfASenderReport) {
  std::vector<std::uint8_t> sr(28, 0);
  sr[0] = 0x80;
  sr[1] = 200;
  sr[3] = 6;  // 7 words
  sr[10] = 0xde;
  sr[11] = 0xad;
  sr[12] = 0xbe;
  sr[13] = 0xef;
  auto info = parseRtcp(sr);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->lastSr, 0xdeadbeefu);
}

TEST(RtcpTest, RejectsMalformedCompounds) {
  std::vector<std::uint8_t> good(8, 0);
  good[0] = 0x80;
  good[1] = 201;
  good[3] = 1;
  EXPECT_TRUE(parseRtcp(good));
  auto v = good;
  v[0] = 0x40;
  EXPECT_FALSE(parseRtcp(v));
  v = good;
  v[3] = 9;
  EXPECT_FALSE(parseRtcp(v));
  v = good;
  v.push_back(0x80);  // a trailing fragment
  EXPECT_FALSE(parseRtcp(v));
  EXPECT_FALSE(parseRtcp(std::span(good).first(3)));
  v = good;
  v[1] = 96;  // not an RTCP type
  EXPECT_FALSE(parseRtcp(v));
}

}  // namespace
}  // namespace bankcc::media
