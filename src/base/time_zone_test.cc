// SPDX-License-Identifier: Apache-2.0
#include "base/time_zone.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bankcc::base {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

SysTime utc(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0, int us = 0) {
  const auto day = date::sys_days{date::year{y} / date::month{m} / date::day{d}};
  return SysTime{std::chrono::duration_cast<Duration>(day.time_since_epoch())} +
         std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss} +
         std::chrono::microseconds{us};
}

TimeZone zone(std::string_view name) {
  auto z = TimeZone::load(name);
  EXPECT_TRUE(z.ok()) << z.error().describe();
  return z.ok() ? *z : TimeZone::utc();
}

TEST(TimeZoneTest, ShanghaiIsEightHoursAhead) {
  const TimeZone sh = zone("Asia/Shanghai");
  EXPECT_EQ(sh.name(), "Asia/Shanghai");
  const SysTime t = utc(2026, 11, 26, 4, 43, 11, 123456);
  EXPECT_EQ(sh.offset(t), 8h);
  EXPECT_EQ(sh.toLocal(t),
            date::local_days{date::year{2026} / 11 / 26} + 12h + 43min + 11s + 123456us);
  EXPECT_EQ(sh.formatRfc3339(t), "2026-11-26T12:43:11.123+08:00");
  EXPECT_EQ(sh.startOfDay(t), utc(2026, 11, 25, 16, 0));
  EXPECT_EQ(sh.intervalStart(t, 15min), utc(2026, 11, 26, 4, 30));
  EXPECT_EQ(sh.intervalStart(t, 60min), utc(2026, 11, 26, 4, 0));
  // Local midnight is 16:00Z: a UTC time after it belongs to the next local day.
  EXPECT_EQ(sh.startOfDay(utc(2026, 11, 26, 16, 0)), utc(2026, 11, 26, 16, 0));
  EXPECT_EQ(sh.startOfDay(utc(2026, 11, 26, 15, 59, 59)), utc(2026, 11, 25, 16, 0));
}

TEST(TimeZoneTest, Utc) {
  for (const TimeZone& z : {TimeZone::utc(), zone("UTC")}) {
    const SysTime t = utc(2026, 11, 26, 4, 43, 11, 123999);
    EXPECT_EQ(z.name(), "UTC");
    EXPECT_EQ(z.offset(t), 0s);
    EXPECT_EQ(z.formatRfc3339(t), "2026-11-26T04:43:11.123+00:00");
    EXPECT_EQ(z.startOfDay(t), utc(2026, 11, 26, 0, 0));
    EXPECT_EQ(z.intervalStart(t, 15min), utc(2026, 11, 26, 4, 30));
    EXPECT_EQ(z.intervalStart(t, 1440min), utc(2026, 11, 26, 0, 0));
  }
}

TEST(TimeZoneTest, KolkataIntervalsAlignToItsHalfHourOffset) {
  const TimeZone in = zone("Asia/Kolkata");
  const SysTime t = utc(2026, 11, 26, 4, 50);  // 10:20 local
  EXPECT_EQ(in.offset(t), 5h + 30min);
  EXPECT_EQ(in.formatRfc3339(t), "2026-11-26T10:20:00.000+05:30");
  EXPECT_EQ(in.intervalStart(t, 15min), utc(2026, 11, 26, 4, 45));  // 10:15 local
  EXPECT_EQ(in.intervalStart(t, 30min), utc(2026, 11, 26, 4, 30));  // 10:00 local
  EXPECT_EQ(in.intervalStart(t, 60min), utc(2026, 11, 26, 4, 30));  // 10:00 local, not 04:00Z
  EXPECT_EQ(in.startOfDay(t), utc(2026, 11, 25, 18, 30));
  // On an interval boundary the interval starts at t itself.
  EXPECT_EQ(in.intervalStart(utc(2026, 11, 26, 4, 45), 15min), utc(2026, 11, 26, 4, 45));
}

TEST(TimeZoneTest, NewYorkSpringForward) {
  // 2026-03-08: at 02:00 EST (07:00Z) clocks jump to 03:00 EDT.
  const TimeZone ny = zone("America/New_York");
  EXPECT_EQ(ny.offset(utc(2026, 3, 8, 6, 59, 59)), -5h);
  EXPECT_EQ(ny.offset(utc(2026, 3, 8, 7, 0)), -4h);
  EXPECT_EQ(ny.formatRfc3339(utc(2026, 3, 8, 6, 30)), "2026-03-08T01:30:00.000-05:00");
  EXPECT_EQ(ny.formatRfc3339(utc(2026, 3, 8, 7, 30)), "2026-03-08T03:30:00.000-04:00");

  const SysTime noon = utc(2026, 3, 8, 16, 0);
  EXPECT_EQ(ny.startOfDay(noon), utc(2026, 3, 8, 5, 0));
  EXPECT_EQ(ny.startOfDay(utc(2026, 3, 9, 16, 0)) - ny.startOfDay(noon), 23h);

  const SysTime t = utc(2026, 3, 8, 7, 10);                       // 03:10 EDT
  EXPECT_EQ(ny.intervalStart(t, 15min), utc(2026, 3, 8, 7, 0));   // 03:00 EDT
  EXPECT_EQ(ny.intervalStart(t, 120min), utc(2026, 3, 8, 7, 0));  // 02:00 never happened
  EXPECT_EQ(ny.intervalStart(t, 240min), utc(2026, 3, 8, 5, 0));  // 00:00 EST
  EXPECT_EQ(ny.intervalStart(utc(2026, 3, 8, 6, 59), 60min), utc(2026, 3, 8, 6, 0));  // 01:00
}

TEST(TimeZoneTest, NewYorkFallBack) {
  // 2026-11-01: at 02:00 EDT (06:00Z) clocks go back to 01:00 EST; 01:xx happens twice.
  const TimeZone ny = zone("America/New_York");
  const SysTime firstPass = utc(2026, 11, 1, 5, 40);   // 01:40 EDT
  const SysTime secondPass = utc(2026, 11, 1, 6, 40);  // 01:40 EST
  EXPECT_EQ(ny.formatRfc3339(firstPass), "2026-11-01T01:40:00.000-04:00");
  EXPECT_EQ(ny.formatRfc3339(secondPass), "2026-11-01T01:40:00.000-05:00");
  EXPECT_EQ(ny.toLocal(firstPass), ny.toLocal(secondPass));

  EXPECT_EQ(ny.intervalStart(firstPass, 15min), utc(2026, 11, 1, 5, 30));
  EXPECT_EQ(ny.intervalStart(secondPass, 15min), utc(2026, 11, 1, 6, 30));
  EXPECT_EQ(ny.intervalStart(firstPass, 60min), utc(2026, 11, 1, 5, 0));
  EXPECT_EQ(ny.intervalStart(secondPass, 60min), utc(2026, 11, 1, 6, 0));
  EXPECT_EQ(ny.intervalStart(secondPass, 120min), utc(2026, 11, 1, 4, 0));  // 00:00 EDT

  EXPECT_EQ(ny.startOfDay(secondPass), utc(2026, 11, 1, 4, 0));
  EXPECT_EQ(ny.startOfDay(utc(2026, 11, 2, 12, 0)) - ny.startOfDay(secondPass), 25h);
}

TEST(TimeZoneTest, WhenClockReachesResolvesGapsAndRepeats) {
  const TimeZone ny = zone("America/New_York");
  const auto local = [](unsigned m, unsigned d, int hh, int mm) {
    return LocalTime{date::local_days{date::year{2026} / m / d}} + std::chrono::hours{hh} +
           std::chrono::minutes{mm};
  };
  EXPECT_EQ(ny.whenClockReaches(local(3, 8, 1, 30)), utc(2026, 3, 8, 6, 30));  // 01:30 EST
  // 02:30 never shows on 2026-03-08: the clock first shows a later time at the jump (07:00Z).
  EXPECT_EQ(ny.whenClockReaches(local(3, 8, 2, 30)), utc(2026, 3, 8, 7, 0));
  EXPECT_EQ(ny.whenClockReaches(local(3, 8, 3, 0)), utc(2026, 3, 8, 7, 0));  // 03:00 EDT
  // 01:40 shows twice on 2026-11-01: the first time counts (EDT).
  EXPECT_EQ(ny.whenClockReaches(local(11, 1, 1, 40)), utc(2026, 11, 1, 5, 40));
  EXPECT_EQ(ny.whenClockReaches(local(11, 1, 2, 0)), utc(2026, 11, 1, 7, 0));  // 02:00 EST
  const TimeZone sh = zone("Asia/Shanghai");
  EXPECT_EQ(sh.whenClockReaches(local(10, 1, 0, 0)), utc(2026, 9, 30, 16, 0));
  EXPECT_EQ(TimeZone::utc().whenClockReaches(local(10, 1, 8, 0)), utc(2026, 10, 1, 8, 0));
}

TEST(TimeZoneTest, UnknownZonesAreValidationErrorsWithASuggestion) {
  auto typo = TimeZone::load("Asia/Shangai");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code, Errc::ValidationFailed);
  EXPECT_EQ(typo.error().message,
            "unknown time zone 'Asia/Shangai' (did you mean 'Asia/Shanghai'?)");

  auto nonsense = TimeZone::load("Nowhere/Qqqqqqqqqqqqqqqq");
  ASSERT_FALSE(nonsense.ok());
  EXPECT_EQ(nonsense.error().message,
            "unknown time zone 'Nowhere/Qqqqqqqqqqqqqqqq'; expected an IANA name such as "
            "'Asia/Shanghai' or 'UTC'");

  auto empty = TimeZone::load("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, Errc::ValidationFailed);
  EXPECT_FALSE(TimeZone::load("../../etc/passwd").ok());
}

TEST(Rfc3339Test, ParsesOffsetsAndZ) {
  EXPECT_EQ(*parseRfc3339("2026-11-26T12:43:11.123+08:00"), utc(2026, 11, 26, 4, 43, 11, 123000));
  EXPECT_EQ(*parseRfc3339("2026-11-26T04:43:11Z"), utc(2026, 11, 26, 4, 43, 11));
  EXPECT_EQ(*parseRfc3339("2026-11-26t04:43:11.123456789z"), utc(2026, 11, 26, 4, 43, 11, 123456));
  EXPECT_EQ(*parseRfc3339("2026-11-26 04:43:11.5-05:30"), utc(2026, 11, 26, 10, 13, 11, 500000));
  EXPECT_EQ(*parseRfc3339("2026-11-26T04:43:11-00:00"), utc(2026, 11, 26, 4, 43, 11));
  EXPECT_EQ(*parseRfc3339("2028-02-29T00:00:00Z"), utc(2028, 2, 29, 0, 0));
  EXPECT_EQ(*parseRfc3339("1969-12-31T23:59:59.999Z"), utc(1969, 12, 31, 23, 59, 59, 999000));
}

TEST(Rfc3339Test, RoundTripsThroughFormat) {
  for (const char* name : {"Asia/Shanghai", "Asia/Kolkata", "America/New_York", "UTC"}) {
    const TimeZone z = zone(name);
    for (SysTime t : {utc(2026, 3, 8, 6, 59, 59, 999000), utc(2026, 11, 1, 5, 40, 1, 5000),
                      utc(2026, 11, 1, 6, 40, 1, 5000), utc(1999, 12, 31, 23, 59, 59)}) {
      auto back = parseRfc3339(z.formatRfc3339(t));
      ASSERT_TRUE(back.ok()) << back.error().describe();
      EXPECT_EQ(*back, t) << name << " " << z.formatRfc3339(t);
    }
  }
}

TEST(Rfc3339Test, RejectsMalformedInputWithoutThrowing) {
  for (const char* bad : {"",
                          "2026-11-26",
                          "2026-11-26T12:43",
                          "2026-11-26T12:43:11",
                          "2026-11-26T12:43:11+0800",
                          "2026-11-26T12:43:11+08",
                          "2026-11-26T12:43:11.Z",
                          "2026-11-26T12:43:11.1234567890Z",
                          "2026-11-26T12:43:11Z ",
                          "2026-11-26T12:43:11Zjunk",
                          "2026-13-01T00:00:00Z",
                          "2026-02-29T00:00:00Z",
                          "2026-04-31T00:00:00Z",
                          "2026-11-26T24:00:00Z",
                          "2026-11-26T12:60:00Z",
                          "2016-12-31T23:59:60Z",
                          "2026-11-26T12:43:11+24:00",
                          "2026-11-26X12:43:11Z",
                          "+2026-11-26T12:43:11Z",
                          "２０２６-11-26T12:43:11Z",
                          "2026-1-26T12:43:11Z"}) {
    auto r = parseRfc3339(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::BadRequest) << bad;
  }
  auto r = parseRfc3339("2026-02-30T10:00:00Z");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "bad timestamp '2026-02-30T10:00:00Z': no such date; expected RFC 3339 such as "
            "2026-11-26T12:43:11.123+08:00");
  auto longInput = parseRfc3339(std::string(1000, '9'));
  ASSERT_FALSE(longInput.ok());
  EXPECT_LT(longInput.error().message.size(), 200u);
}

}  // namespace
}  // namespace bankcc::base
