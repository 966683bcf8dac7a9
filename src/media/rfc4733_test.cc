// SPDX-License-Identifier: Apache-2.0
#include "media/rfc4733.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bankcc::media {
namespace {

RtpHeader hdr(std::uint32_t ts, bool marker = false, std::uint32_t ssrc = 42) {
  RtpHeader h;
  h.payloadType = 101;
  h.timestamp = ts;
  h.marker = marker;
  h.ssrc = ssrc;
  return h;
}

TelephoneEvent ev(std::uint8_t event, std::uint16_t duration, bool end = false) {
  return TelephoneEvent{event, end, 10, duration};
}

// Feeds a whole packet train at `ts`; returns the digits reported.
std::string feedTrain(DtmfEventReceiver& rx, std::uint8_t event, std::uint32_t ts,
                      std::uint32_t duration = 800) {
  std::string got;
  for (const auto& p : encodeDigit(event, duration, 160)) {
    if (auto d = rx.onPacket(hdr(ts, p.marker), p.event)) got += d->digit;
  }
  return got;
}

TEST(Rfc4733Test, ParseAndWriteRoundTrip) {
  TelephoneEvent e{11, true, 63, 0xABCD};
  std::array<std::uint8_t, 4> buf{};
  writeTelephoneEvent(e, buf);
  EXPECT_EQ(buf[0], 11);
  EXPECT_EQ(buf[1], 0xBF);
  EXPECT_EQ(buf[2], 0xAB);
  EXPECT_EQ(buf[3], 0xCD);
  auto p = parseTelephoneEvent(buf);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->event, 11);
  EXPECT_TRUE(p->end);
  EXPECT_EQ(p->volume, 63);
  EXPECT_EQ(p->duration, 0xABCD);
}

TEST(Rfc4733Test, ParseRejectsShortPayloadAndIgnoresRedundancy) {
  std::vector<std::uint8_t> three{1, 2, 3};
  EXPECT_FALSE(parseTelephoneEvent(three));
  EXPECT_FALSE(parseTelephoneEvent({}));
  std::vector<std::uint8_t> eight{5, 0x0A, 0x01, 0x40, 9, 9, 9, 9};
  auto p = parseTelephoneEvent(eight);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->event, 5);
  EXPECT_FALSE(p->end);
  EXPECT_EQ(p->volume, 10);
  EXPECT_EQ(p->duration, 0x0140);
  // The reserved bit is not part of the volume.
  std::vector<std::uint8_t> reserved{1, 0x40 | 7, 0, 0};
  EXPECT_EQ(parseTelephoneEvent(reserved)->volume, 7);
}

TEST(Rfc4733Test, DigitMapping) {
  const std::string all = "0123456789*#ABCD";
  for (std::uint8_t i = 0; i < 16; ++i) {
    EXPECT_EQ(eventToDigit(i), all[i]);
    EXPECT_EQ(digitToEvent(all[i]), i);
  }
  EXPECT_EQ(eventToDigit(16), '\0');
  EXPECT_EQ(eventToDigit(255), '\0');
  EXPECT_EQ(digitToEvent('b'), 13);
  EXPECT_FALSE(digitToEvent('E'));
  EXPECT_FALSE(digitToEvent('\0'));
  EXPECT_FALSE(digitToEvent(' '));
}

TEST(Rfc4733Test, EncodeDigitProducesTheUsualTrain) {
  auto train = encodeDigit(5, 800, 160);
  // Updates at 160, 320, 480, 640, then three ends at 800.
  ASSERT_EQ(train.size(), 7u);
  EXPECT_TRUE(train[0].marker);
  for (std::size_t i = 1; i < train.size(); ++i) EXPECT_FALSE(train[i].marker);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_FALSE(train[i].event.end);
    EXPECT_EQ(train[i].event.duration, 160 * (i + 1));
  }
  for (std::size_t i = 4; i < 7; ++i) {
    EXPECT_TRUE(train[i].event.end);
    EXPECT_EQ(train[i].event.duration, 800);
  }
  for (const auto& p : train) {
    EXPECT_EQ(p.event.event, 5);
    EXPECT_EQ(p.event.volume, 10);
  }
}

TEST(Rfc4733Test, EncodeShortAndOddDigits) {
  auto shortTrain = encodeDigit(1, 100, 160);  // shorter than one ptime: only end packets
  ASSERT_EQ(shortTrain.size(), 3u);
  EXPECT_TRUE(shortTrain[0].marker);
  EXPECT_TRUE(shortTrain[0].event.end);
  EXPECT_EQ(shortTrain[0].event.duration, 100);
  auto zeroPtime = encodeDigit(1, 480, 0);  // ptime 0 means 20 ms
  EXPECT_EQ(zeroPtime.size(), 2u + 3u);
  auto huge = encodeDigit(1, 100000, 160);  // clamped to the 16-bit duration field
  EXPECT_EQ(huge.back().event.duration, 0xFFFF);
  EXPECT_EQ(encodeDigit(1, 0, 160).front().event.duration, 1);
}

TEST(Rfc4733Test, AFullTrainYieldsExactlyOneDigit) {
  DtmfEventReceiver rx;
  std::string got;
  for (std::uint8_t e = 0; e < 16; ++e) got += feedTrain(rx, e, 1000 + e * 2000u);
  EXPECT_EQ(got, "0123456789*#ABCD");
}

TEST(Rfc4733Test, ReportsOnTheFirstPacketWithItsDuration) {
  DtmfEventReceiver rx;
  auto d = rx.onPacket(hdr(500, true), ev(7, 320));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digit, '7');
  EXPECT_EQ(d->durationSamples, 320u);
  // Updates and ends of the same timestamp do not report again.
  EXPECT_FALSE(rx.onPacket(hdr(500), ev(7, 480)));
  EXPECT_FALSE(rx.onPacket(hdr(500), ev(7, 640, true)));
  EXPECT_FALSE(rx.onPacket(hdr(500), ev(7, 640, true)));
}

TEST(Rfc4733Test, LastDigitWithoutEndBitIsStillReported) {
  DtmfEventReceiver rx;
  // Some clients never send the end packets of the last digit.
  auto d = rx.onPacket(hdr(100, true), ev(3, 160));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digit, '3');
}

TEST(Rfc4733Test, LostStartPacketsStillYieldOneDigit) {
  DtmfEventReceiver rx;
  std::string got;
  for (int i = 0; i < 3; ++i) {
    if (auto d = rx.onPacket(hdr(9000), ev(9, 960, true))) {
      got += d->digit;
      EXPECT_EQ(d->durationSamples, 960u);
    }
  }
  EXPECT_EQ(got, "9");
}

TEST(Rfc4733Test, SameKeyPressedTwiceIsTwoDigits) {
  DtmfEventReceiver rx;
  EXPECT_EQ(feedTrain(rx, 4, 1000), "4");
  EXPECT_EQ(feedTrain(rx, 4, 3000), "4");
  // ... even when the first press never sent its end packets.
  EXPECT_TRUE(rx.onPacket(hdr(6000, true), ev(4, 160)));
  EXPECT_TRUE(rx.onPacket(hdr(8000, true), ev(4, 160)));
}

TEST(Rfc4733Test, RetransmittedEndsAfterTheNextDigitStartedAreIgnored) {
  DtmfEventReceiver rx;
  EXPECT_TRUE(rx.onPacket(hdr(1000, true), ev(1, 160)));
  EXPECT_TRUE(rx.onPacket(hdr(2000, true), ev(2, 160)));
  // Late end packets of '1', reordered behind the start of '2'.
  EXPECT_FALSE(rx.onPacket(hdr(1000), ev(1, 800, true)));
  EXPECT_FALSE(rx.onPacket(hdr(1000), ev(1, 800, true)));
  EXPECT_FALSE(rx.onPacket(hdr(2000), ev(2, 320)));
}

TEST(Rfc4733Test, ClampsBogusDurations) {
  DtmfEventReceiver rx(8000 * 10);
  auto d = rx.onPacket(hdr(1000, true), ev(1, 0xFFFF));  // a start cannot be 8 s long
  ASSERT_TRUE(d);
  EXPECT_LE(d->durationSamples, 8000u);
  d = rx.onPacket(hdr(20000, true), ev(2, 0));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->durationSamples, DtmfEventReceiver::kMinReportedDuration);
  DtmfEventReceiver small(1000);
  d = small.onPacket(hdr(5, false), ev(3, 5000, true));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->durationSamples, 1000u);
}

TEST(Rfc4733Test, IgnoresNonDtmfEvents) {
  DtmfEventReceiver rx;
  EXPECT_FALSE(rx.onPacket(hdr(1000, true), ev(16, 160)));  // flash
  EXPECT_FALSE(rx.onPacket(hdr(2000, true), ev(255, 160)));
  // They do not disturb the next real digit.
  auto d = rx.onPacket(hdr(3000, true), ev(0, 160));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digit, '0');
}

TEST(Rfc4733Test, TimestampWrap) {
  DtmfEventReceiver rx;
  EXPECT_EQ(feedTrain(rx, 1, 0xFFFFFF00u), "1");
  EXPECT_EQ(feedTrain(rx, 2, 0x00000400u), "2");
  EXPECT_EQ(feedTrain(rx, 2, 0x00001000u), "2");
}

TEST(Rfc4733Test, NewSsrcStartsAfresh) {
  DtmfEventReceiver rx;
  EXPECT_TRUE(rx.onPacket(hdr(1000, true, 1), ev(5, 160)));
  // The new source happens to reuse the timestamp: still a new digit.
  EXPECT_TRUE(rx.onPacket(hdr(1000, true, 2), ev(6, 160)));
  EXPECT_FALSE(rx.onPacket(hdr(1000, false, 2), ev(6, 320, true)));
}

TEST(Rfc4733Test, LongEventSegmentsAreOneDigit) {
  DtmfEventReceiver rx;
  EXPECT_TRUE(rx.onPacket(hdr(1000, true), ev(8, 160)));
  EXPECT_FALSE(rx.onPacket(hdr(1000), ev(8, 0xFFFF)));
  // RFC 4733 §2.5.1.3: the next segment starts where the first one's duration ended.
  EXPECT_FALSE(rx.onPacket(hdr(1000 + 0xFFFF), ev(8, 160)));
  EXPECT_FALSE(rx.onPacket(hdr(1000 + 0xFFFF), ev(8, 800, true)));
  // A later press of the same key is a new digit.
  EXPECT_TRUE(rx.onPacket(hdr(200000, true), ev(8, 160)));
}

TEST(Rfc4733Test, ManyDigitsKeepWorkingBeyondTheMemory) {
  DtmfEventReceiver rx;
  std::string got;
  std::string want;
  for (int i = 0; i < 100; ++i) {
    const auto e = static_cast<std::uint8_t>(i % 16);
    got += feedTrain(rx, e, 5000u * static_cast<std::uint32_t>(i));
    want += eventToDigit(e);
  }
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace bankcc::media
