// SPDX-License-Identifier: Apache-2.0
// The business-hours evaluator: weekly hours, holidays and working-day overrides (调休) in
// Asia/Shanghai, 24:00 followed by 00:00 as one stretch, America/New_York's time changes, and
// isOpen()/nextChange() agreeing everywhere.

#include "acd/business_hours.h"

#include <gtest/gtest.h>

namespace bankcc::acd {
namespace {

using namespace std::chrono_literals;
using base::SysTime;
using base::TimeZone;

TimeZone zone(std::string_view name) {
  auto z = TimeZone::load(name);
  EXPECT_TRUE(z.ok()) << z.error().describe();
  return z.ok() ? *z : TimeZone::utc();
}

SysTime utc(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  const auto day = date::sys_days{date::year{y} / date::month{m} / date::day{d}};
  return SysTime{std::chrono::duration_cast<base::Duration>(day.time_since_epoch())} +
         std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss};
}

/// Local wall-clock time in `tz` (where it occurs once).
SysTime local(const TimeZone& tz, int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  return tz.whenClockReaches(base::LocalTime{date::local_days{date::year{y} / m / d}} +
                             std::chrono::hours{hh} + std::chrono::minutes{mm} +
                             std::chrono::seconds{ss});
}

TimeRange range(int h1, int m1, int h2, int m2) {
  return TimeRange{h1 * 60 + m1, h2 * 60 + m2};
}

DateHours onDate(int y, unsigned m, unsigned d, std::vector<TimeRange> hours,
                 std::string note = {}) {
  return DateHours{date::year{y} / date::month{m} / date::day{d}, std::move(hours),
                   std::move(note)};
}

/// Mon-Fri 08:00-20:00, Sat-Sun 09:00-17:00; National Day 2026-10-01..07 closed; the Sunday
/// 2026-09-20 and the Saturday 2026-10-10 worked with weekday hours (调休).
BusinessHours cnBanking() {
  BusinessHours h;
  for (int d = 0; d < 5; ++d) h.weekly[d] = {range(8, 0, 20, 0)};
  h.weekly[5] = h.weekly[6] = {range(9, 0, 17, 0)};
  for (unsigned d = 1; d <= 7; ++d) h.exceptions.push_back(onDate(2026, 10, d, {}, "国庆节"));
  h.exceptions.push_back(onDate(2026, 9, 20, {range(8, 0, 20, 0)}, "调休"));
  h.exceptions.push_back(onDate(2026, 10, 10, {range(8, 0, 20, 0)}, "调休"));
  std::sort(h.exceptions.begin(), h.exceptions.end(),
            [](const DateHours& a, const DateHours& b) { return a.date < b.date; });
  return h;
}

BusinessHours everyDay(std::vector<TimeRange> hours) {
  BusinessHours h;
  for (auto& day : h.weekly) day = hours;
  return h;
}

TEST(BusinessHoursTest, ShanghaiWeekdaysAndWeekends) {
  const TimeZone sh = zone("Asia/Shanghai");
  const BusinessHours h = cnBanking();
  // Monday 2026-09-28: 08:00 local is 00:00Z.
  EXPECT_FALSE(isOpen(h, local(sh, 2026, 9, 28, 7, 59, 59), sh));
  EXPECT_TRUE(isOpen(h, utc(2026, 9, 28, 0, 0), sh));
  EXPECT_TRUE(isOpen(h, local(sh, 2026, 9, 28, 19, 59, 59), sh));
  EXPECT_FALSE(isOpen(h, local(sh, 2026, 9, 28, 20, 0), sh));
  // Saturday 2026-09-26: weekend hours.
  EXPECT_FALSE(isOpen(h, local(sh, 2026, 9, 26, 8, 30), sh));
  EXPECT_TRUE(isOpen(h, local(sh, 2026, 9, 26, 9, 0), sh));
  EXPECT_FALSE(isOpen(h, local(sh, 2026, 9, 26, 17, 0), sh));
  EXPECT_EQ(nextChange(h, local(sh, 2026, 9, 26, 12, 0), sh), local(sh, 2026, 9, 26, 17, 0));
  EXPECT_EQ(nextChange(h, local(sh, 2026, 9, 26, 17, 0), sh), local(sh, 2026, 9, 27, 9, 0));
}

TEST(BusinessHoursTest, ShanghaiNationalDayIsClosedAndAdjustedWorkingDaysAreWorked) {
  const TimeZone sh = zone("Asia/Shanghai");
  const BusinessHours h = cnBanking();
  for (unsigned d = 1; d <= 7; ++d) {
    EXPECT_FALSE(isOpen(h, local(sh, 2026, 10, d, 12, 0), sh)) << "October " << d;
  }
  EXPECT_TRUE(isOpen(h, local(sh, 2026, 10, 8, 8, 0), sh));
  // Saturday 2026-10-10 and Sunday 2026-09-20 are worked with weekday hours.
  EXPECT_TRUE(isOpen(h, local(sh, 2026, 10, 10, 8, 30), sh));
  EXPECT_TRUE(isOpen(h, local(sh, 2026, 10, 10, 19, 0), sh));
  EXPECT_TRUE(isOpen(h, local(sh, 2026, 9, 20, 8, 30), sh));
  // The Sunday after keeps weekend hours.
  EXPECT_FALSE(isOpen(h, local(sh, 2026, 10, 11, 8, 30), sh));
  EXPECT_EQ(nextChange(h, local(sh, 2026, 10, 10, 7, 0), sh), local(sh, 2026, 10, 10, 8, 0));
  EXPECT_EQ(nextChange(h, local(sh, 2026, 10, 10, 8, 0), sh), local(sh, 2026, 10, 10, 20, 0));
}

TEST(BusinessHoursTest, NextChangeSkipsTheHolidayWeek) {
  const TimeZone sh = zone("Asia/Shanghai");
  const BusinessHours h = cnBanking();
  // Wednesday 2026-09-30 before closing: closes at 20:00, then nothing until Thursday 10-08.
  EXPECT_EQ(nextChange(h, local(sh, 2026, 9, 30, 19, 0), sh), local(sh, 2026, 9, 30, 20, 0));
  EXPECT_EQ(nextChange(h, local(sh, 2026, 9, 30, 20, 0), sh), local(sh, 2026, 10, 8, 8, 0));
  EXPECT_EQ(nextChange(h, local(sh, 2026, 10, 3, 12, 0), sh), local(sh, 2026, 10, 8, 8, 0));
  EXPECT_EQ(nextChange(h, local(sh, 2026, 10, 7, 23, 59), sh), utc(2026, 10, 8, 0, 0));
}

TEST(BusinessHoursTest, AnIntervalEndingAt2400RunsOnIntoTheNextDay) {
  const TimeZone sh = zone("Asia/Shanghai");
  BusinessHours h;
  h.weekly[0] = {range(20, 0, 24, 0)};                     // Monday evening
  h.weekly[1] = {range(0, 0, 6, 0), range(20, 0, 24, 0)};  // Tuesday
  h.weekly[2] = {range(0, 0, 6, 0)};                       // Wednesday morning
  const SysTime mondayNight = local(sh, 2026, 9, 28, 21, 0);
  EXPECT_TRUE(isOpen(h, local(sh, 2026, 9, 28, 23, 59, 59) + 999999us, sh));
  EXPECT_TRUE(isOpen(h, local(sh, 2026, 9, 29, 0, 0), sh));
  // No flip at midnight: the next change is Tuesday 06:00.
  EXPECT_EQ(nextChange(h, mondayNight, sh), local(sh, 2026, 9, 29, 6, 0));
  EXPECT_EQ(nextChange(h, local(sh, 2026, 9, 29, 6, 0), sh), local(sh, 2026, 9, 29, 20, 0));
  EXPECT_EQ(nextChange(h, local(sh, 2026, 9, 29, 22, 0), sh), local(sh, 2026, 9, 30, 6, 0));
  // A holiday on the Tuesday cuts the stretch at midnight.
  h.exceptions.push_back(onDate(2026, 9, 29, {}));
  EXPECT_EQ(nextChange(h, mondayNight, sh), local(sh, 2026, 9, 29, 0, 0));
  EXPECT_FALSE(isOpen(h, local(sh, 2026, 9, 29, 0, 0), sh));
}

TEST(BusinessHoursTest, AlwaysOpenNeverChangesAndNoHoursNeverOpens) {
  const TimeZone sh = zone("Asia/Shanghai");
  const SysTime t = local(sh, 2026, 11, 26, 3, 0);
  BusinessHours always = everyDay({range(0, 0, 24, 0)});
  EXPECT_TRUE(isOpen(always, t, sh));
  EXPECT_EQ(nextChange(always, t, sh), std::nullopt);
  // A closed day within the horizon is found; one beyond it is not.
  always.exceptions.push_back(onDate(2027, 3, 1, {}));
  EXPECT_EQ(nextChange(always, t, sh), local(sh, 2027, 3, 1, 0, 0));
  always.exceptions.back() = onDate(2028, 3, 1, {});
  EXPECT_EQ(nextChange(always, t, sh), std::nullopt);

  BusinessHours never;
  EXPECT_FALSE(isOpen(never, t, sh));
  EXPECT_EQ(nextChange(never, t, sh), std::nullopt);
  // Special hours on one date of an otherwise closed calendar.
  never.exceptions.push_back(onDate(2026, 12, 24, {range(10, 0, 12, 0)}));
  EXPECT_EQ(nextChange(never, t, sh), local(sh, 2026, 12, 24, 10, 0));
  EXPECT_EQ(nextChange(never, local(sh, 2026, 12, 24, 11, 0), sh), local(sh, 2026, 12, 24, 12, 0));
  EXPECT_EQ(nextChange(never, local(sh, 2026, 12, 24, 12, 0), sh), std::nullopt);
}

TEST(BusinessHoursTest, ExceptionsInAnyOrderEvaluateAlike) {
  const TimeZone sh = zone("Asia/Shanghai");
  const BusinessHours sorted = cnBanking();
  BusinessHours shuffled = sorted;
  std::reverse(shuffled.exceptions.begin(), shuffled.exceptions.end());
  for (SysTime t = local(sh, 2026, 9, 18, 0, 0); t < local(sh, 2026, 10, 13, 0, 0); t += 97min) {
    EXPECT_EQ(isOpen(shuffled, t, sh), isOpen(sorted, t, sh));
    EXPECT_EQ(nextChange(shuffled, t, sh), nextChange(sorted, t, sh));
  }
}

TEST(BusinessHoursTest, NewYorkSpringForwardMovesBoundariesInTheGapToTheJump) {
  // 2026-03-08 (a Sunday): at 02:00 EST (07:00Z) clocks jump to 03:00 EDT.
  const TimeZone ny = zone("America/New_York");
  BusinessHours h;
  h.weekly[6] = {range(1, 0, 2, 30), range(4, 0, 5, 0)};
  EXPECT_TRUE(isOpen(h, utc(2026, 3, 8, 6, 0), ny));  // 01:00 EST
  EXPECT_TRUE(isOpen(h, utc(2026, 3, 8, 6, 59, 59), ny));
  EXPECT_FALSE(isOpen(h, utc(2026, 3, 8, 7, 0), ny));  // 03:00 EDT: 02:30 never came
  EXPECT_EQ(nextChange(h, utc(2026, 3, 8, 6, 30), ny), utc(2026, 3, 8, 7, 0));
  EXPECT_EQ(nextChange(h, utc(2026, 3, 8, 7, 0), ny), utc(2026, 3, 8, 8, 0));  // 04:00 EDT

  // An interval wholly inside the skipped hour never opens that day.
  BusinessHours gap;
  gap.weekly[6] = {range(2, 10, 2, 40)};
  for (SysTime t = utc(2026, 3, 8, 5, 0); t < utc(2026, 3, 8, 9, 0); t += 5min) {
    EXPECT_FALSE(isOpen(gap, t, ny));
  }
  EXPECT_EQ(nextChange(gap, utc(2026, 3, 7, 17, 0), ny), utc(2026, 3, 15, 6, 10));  // 02:10 EDT

  // Weekday hours follow the wall clock: 09:00 is 14:00Z before the change, 13:00Z after.
  BusinessHours office = everyDay({range(9, 0, 17, 0)});
  EXPECT_EQ(nextChange(office, utc(2026, 3, 6, 12, 0), ny), utc(2026, 3, 6, 14, 0));
  EXPECT_EQ(nextChange(office, utc(2026, 3, 9, 12, 0), ny), utc(2026, 3, 9, 13, 0));
}

TEST(BusinessHoursTest, NewYorkFallBackCountsTheFirstOfTheRepeatedTimes) {
  // 2026-11-01 (a Sunday): at 02:00 EDT (06:00Z) clocks go back to 01:00 EST.
  const TimeZone ny = zone("America/New_York");
  BusinessHours early;
  early.weekly[6] = {range(0, 0, 1, 30), range(3, 0, 4, 0)};
  EXPECT_TRUE(isOpen(early, utc(2026, 11, 1, 5, 15), ny));   // 01:15 EDT
  EXPECT_FALSE(isOpen(early, utc(2026, 11, 1, 5, 30), ny));  // 01:30 EDT: closed
  EXPECT_FALSE(isOpen(early, utc(2026, 11, 1, 6, 15), ny));  // 01:15 EST: stays closed
  EXPECT_EQ(nextChange(early, utc(2026, 11, 1, 5, 0), ny), utc(2026, 11, 1, 5, 30));
  EXPECT_EQ(nextChange(early, utc(2026, 11, 1, 5, 30), ny), utc(2026, 11, 1, 8, 0));  // 03:00 EST

  BusinessHours late;
  late.weekly[6] = {range(1, 30, 5, 0)};
  EXPECT_FALSE(isOpen(late, utc(2026, 11, 1, 5, 15), ny));  // 01:15 EDT
  EXPECT_TRUE(isOpen(late, utc(2026, 11, 1, 5, 30), ny));   // 01:30 EDT
  EXPECT_TRUE(isOpen(late, utc(2026, 11, 1, 6, 15), ny));   // 01:15 EST: stays open
  EXPECT_EQ(nextChange(late, utc(2026, 11, 1, 5, 45), ny), utc(2026, 11, 1, 10, 0));  // 05:00 EST
}

/// For every t in [from, to) stepping by `step`: nextChange(t) is where isOpen first differs.
void expectAgreement(const BusinessHours& h, const TimeZone& tz, SysTime from, SysTime to,
                     base::Duration step) {
  for (SysTime t = from; t < to; t += step) {
    const bool open = isOpen(h, t, tz);
    const auto change = nextChange(h, t, tz);
    if (!change) continue;
    ASSERT_GT(*change, t);
    EXPECT_NE(isOpen(h, *change, tz), open) << tz.formatRfc3339(*change);
    EXPECT_EQ(isOpen(h, *change - 1us, tz), open) << tz.formatRfc3339(*change);
    for (int k = 1; k < 8; ++k) {
      const SysTime between = t + (*change - t) * k / 8;
      EXPECT_EQ(isOpen(h, between, tz), open)
          << tz.formatRfc3339(t) << " .. " << tz.formatRfc3339(*change);
    }
  }
}

TEST(BusinessHoursTest, IsOpenAndNextChangeAgreeAcrossTimeChangesAndHolidays) {
  const TimeZone ny = zone("America/New_York");
  const TimeZone sh = zone("Asia/Shanghai");
  BusinessHours mixed;
  mixed.weekly[5] = {range(0, 0, 1, 30), range(23, 0, 24, 0)};
  mixed.weekly[6] = {range(0, 0, 1, 45), range(2, 15, 2, 45), range(3, 0, 24, 0)};
  mixed.weekly[0] = {range(0, 0, 8, 0), range(12, 0, 13, 0)};
  for (const BusinessHours* h : {&mixed}) {
    expectAgreement(*h, ny, utc(2026, 3, 7, 0, 0), utc(2026, 3, 10, 0, 0), 7min);
    expectAgreement(*h, ny, utc(2026, 10, 31, 0, 0), utc(2026, 11, 3, 0, 0), 7min);
  }
  expectAgreement(cnBanking(), sh, local(sh, 2026, 9, 18, 0, 0), local(sh, 2026, 10, 12, 0, 0),
                  53min);
}

TEST(BusinessHoursTest, UtcNeedsNoDatabase) {
  const TimeZone z = TimeZone::utc();
  const BusinessHours h = everyDay({range(9, 0, 17, 0)});
  EXPECT_TRUE(isOpen(h, utc(2026, 1, 1, 9, 0), z));
  EXPECT_EQ(nextChange(h, utc(2026, 1, 1, 9, 0), z), utc(2026, 1, 1, 17, 0));
}

}  // namespace
}  // namespace bankcc::acd
