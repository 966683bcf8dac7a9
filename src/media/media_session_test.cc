// SPDX-License-Identifier: Apache-2.0
#include "media/media_session.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "media/rtp_port_pool.h"

namespace bankcc::media {
namespace {

using namespace std::chrono_literals;

TEST(OutStreamTest, OwnFramesAreContinuousAndMarkTalkSpurts) {
  OutStream out(0x42, 65535, 1000);
  RtpHeader a = out.ownFrame(8, 10);
  RtpHeader b = out.ownFrame(8, 11);
  EXPECT_TRUE(a.marker);
  EXPECT_FALSE(b.marker);
  EXPECT_EQ(a.sequence, 65535);
  EXPECT_EQ(b.sequence, 0);
  EXPECT_EQ(b.timestamp - a.timestamp, 160u);
  RtpHeader c = out.ownFrame(8, 21);  // 200 ms of silence
  EXPECT_TRUE(c.marker);
  EXPECT_EQ(c.timestamp - b.timestamp, 160u * 10);
  EXPECT_EQ(c.ssrc, 0x42u);
}

TEST(OutStreamTest, RelayContinuesOurNumberingAcrossSourcesAndPrompts) {
  OutStream out(0x42, 100, 5000);
  RtpHeader own = out.ownFrame(8, 1);
  RtpHeader r1 = out.relay(RtpHeader{0, false, 7000, 90000, 0xaa}, 8, 2);
  RtpHeader r2 = out.relay(RtpHeader{0, false, 7001, 90160, 0xaa}, 8, 3);
  EXPECT_EQ(r1.sequence, own.sequence + 1);
  EXPECT_EQ(r1.timestamp, own.timestamp + 160);
  EXPECT_TRUE(r1.marker);
  EXPECT_EQ(r2.sequence, r1.sequence + 1);
  EXPECT_EQ(r2.timestamp, r1.timestamp + 160);
  EXPECT_FALSE(r2.marker);
  EXPECT_EQ(r2.payloadType, 8);
  EXPECT_EQ(r2.ssrc, 0x42u);
  // A reordered older packet maps back without moving our counters.
  RtpHeader late = out.relay(RtpHeader{0, false, 6999, 89840, 0xaa}, 8, 3);
  EXPECT_EQ(late.sequence, r1.sequence - 1);
  // Another source after a prompt: continues where we left off.
  RtpHeader p = out.ownFrame(8, 4);
  EXPECT_EQ(p.sequence, r2.sequence + 1);
  RtpHeader r3 = out.relay(RtpHeader{0, false, 1, 1, 0xbb}, 8, 5);
  EXPECT_EQ(r3.sequence, p.sequence + 1);
  EXPECT_EQ(r3.timestamp, p.timestamp + 160);
}

TEST(OutStreamTest, EventPacketsShareTheEventStartTimestamp) {
  OutStream out(1, 0, 0);
  out.ownFrame(8, 1);
  RtpHeader e1 = out.eventPacket(101, 2, true, true);
  RtpHeader e2 = out.eventPacket(101, 3, false, false);
  RtpHeader after = out.ownFrame(8, 4);
  EXPECT_EQ(e1.timestamp, e2.timestamp);
  EXPECT_EQ(e2.sequence, e1.sequence + 1);
  EXPECT_EQ(after.timestamp, e1.timestamp + 320);
}

ResolvedItem silence(std::uint64_t samples) {
  return ResolvedItem{telephony::PlayItem::Kind::Silence, nullptr, {}, samples};
}

TEST(PlayerTest, PlaysItemsBackToBackAndEnds) {
  auto prompt = std::make_shared<Prompt>(Prompt{"p", std::vector<std::int16_t>(200, 7)});
  ResolvedPlay play;
  play.items = {ResolvedItem{telephony::PlayItem::Kind::Prompt, prompt, {}, 0}, silence(0),
                silence(100)};
  Player player(std::move(play), TonePlan::China);
  Frame f;
  EXPECT_TRUE(player.nextFrame(f));
  EXPECT_EQ(f[159], 7);
  EXPECT_FALSE(player.finished());
  EXPECT_TRUE(player.nextFrame(f));  // 40 prompt samples + 100 silence, then padding
  EXPECT_EQ(f[39], 7);
  EXPECT_EQ(f[40], 0);
  EXPECT_TRUE(player.finished());
}

TEST(PlayerTest, LoopsAndNeverSpinsOnAnEmptyLoop) {
  ResolvedPlay empty;
  empty.loop = true;
  empty.items = {silence(0)};
  Player none(std::move(empty), TonePlan::China);
  Frame f;
  EXPECT_FALSE(none.nextFrame(f));
  EXPECT_TRUE(none.finished());

  ResolvedPlay loop;
  loop.loop = true;
  loop.items = {silence(100)};
  Player looped(std::move(loop), TonePlan::China);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(looped.nextFrame(f));
  EXPECT_FALSE(looped.finished());
}

TEST(PlayerTest, AnEndlessToneNeverEnds) {
  ResolvedPlay play;
  play.items = {ResolvedItem{telephony::PlayItem::Kind::Tone, nullptr, telephony::Tone::Dial, 0}};
  Player player(std::move(play), TonePlan::China);
  Frame f;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(player.nextFrame(f));
  EXPECT_FALSE(player.finished());
  int nonZero = 0;
  for (auto v : f) nonZero += v != 0;
  EXPECT_GT(nonZero, 100);
}

TEST(RtpPortPoolTest, HandsOutEvenPortsRoundRobinAndRunsOut) {
  RtpPortPool pool("127.0.0.1", 41001, 41006);  // even ports 41002 and 41004
  EXPECT_EQ(pool.capacity(), 2u);
  auto a = pool.allocate();
  auto b = pool.allocate();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->port % 2, 0);
  EXPECT_FALSE(pool.allocate().ok());
  ::close(a->rtpFd);
  ::close(a->rtcpFd);
  pool.release(a->port);
  auto c = pool.allocate();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, a->port);
  for (const auto& p : {*b, *c}) {
    ::close(p.rtpFd);
    ::close(p.rtcpFd);
  }
}

TEST(RtpPortPoolTest, RejectsANonNumericAddress) {
  RtpPortPool pool("localhost", 41000, 41010);
  auto r = pool.allocate();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::BadRequest);
}

TEST(SocketAddressTest, ParsesIpv4AndIpv6AndComparesIps) {
  auto a = SocketAddress::parse("192.0.2.1", 5);
  auto b = SocketAddress::parse("192.0.2.1", 6);
  auto c = SocketAddress::parse("2001:db8::1", 5);
  EXPECT_TRUE(a.valid());
  EXPECT_TRUE(c.valid());
  EXPECT_FALSE(SocketAddress::parse("example.com", 5).valid());
  EXPECT_TRUE(a.sameIp(b.storage));
  EXPECT_FALSE(a.sameIp(c.storage));
}

}  // namespace
}  // namespace bankcc::media
