// SPDX-License-Identifier: Apache-2.0
// Business hours as text ("HH:MM-HH:MM", "YYYY-MM-DD", weekday names) and their validation:
// every kind of bad input gets a message naming the field path the REST shape uses.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "acd/business_hours.h"

namespace bankcc::acd {
namespace {

using ::testing::HasSubstr;

std::string parseError(std::string_view text) {
  auto r = parseTimeRange(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code, base::Errc::ValidationFailed);
  return r.error().message;
}

std::string dateError(std::string_view text) {
  auto r = parseDate(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code, base::Errc::ValidationFailed);
  return r.error().message;
}

/// The problems of `text`, empty when it parsed.
std::vector<HoursProblem> problemsOf(const BusinessHoursText& text) {
  auto parsed = parseBusinessHours(text);
  if (auto* p = std::get_if<std::vector<HoursProblem>>(&parsed)) return *p;
  return {};
}

/// The message for `field` among `problems`, or "".
std::string messageFor(const std::vector<HoursProblem>& problems, std::string_view field) {
  for (const auto& p : problems) {
    if (p.field == field) return p.message;
  }
  return {};
}

TEST(BusinessHoursTextTest, IntervalsParseAndFormat) {
  auto r = parseTimeRange("08:00-20:00");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (TimeRange{480, 1200}));
  auto lateShift = parseTimeRange("20:30-24:00");
  ASSERT_TRUE(lateShift.ok());
  EXPECT_EQ(*lateShift, (TimeRange{1230, 1440}));
  EXPECT_EQ(formatTimeRange(*lateShift), "20:30-24:00");
  auto whole = parseTimeRange("00:00-24:00");
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(*whole, (TimeRange{0, kMinutesPerDay}));
}

TEST(BusinessHoursTextTest, BadIntervalsSayWhatIsWrong) {
  EXPECT_THAT(parseError("18:00-09:00"), HasSubstr("'18:00-09:00' ends before it starts"));
  EXPECT_THAT(parseError("09:00-09:00"), HasSubstr("'09:00-09:00' is empty"));
  EXPECT_THAT(parseError("8:00-20:00"), HasSubstr("'8:00-20:00' is not an interval such as"));
  EXPECT_THAT(parseError("08:00 - 20:00"), HasSubstr("is not an interval"));
  EXPECT_THAT(parseError(""), HasSubstr("'' is not an interval"));
  EXPECT_THAT(parseError("ab:cd-ef:gh"), HasSubstr("is not an interval"));
  EXPECT_THAT(parseError("08:00-25:00"), HasSubstr("has no time 25:00"));
  EXPECT_THAT(parseError("08:60-09:00"), HasSubstr("has no time 08:60"));
  EXPECT_THAT(parseError("24:00-24:00"), HasSubstr("starts at 24:00"));
  EXPECT_THAT(parseError("08:00-24:01"), HasSubstr("has no time 24:01"));
  // A client's control characters and long text do not reach the message as they are.
  const std::string message = parseError(std::string("08:00\n20:00") + std::string(100, 'x'));
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_THAT(message, HasSubstr("'08:00?20:00xxx"));
  EXPECT_LT(message.size(), 200u);
}

TEST(BusinessHoursTextTest, DatesParseAndBadOnesAreNamed) {
  auto d = parseDate("2026-10-01");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, date::year{2026} / 10 / 1);
  EXPECT_EQ(formatDate(*d), "2026-10-01");
  EXPECT_TRUE(parseDate("2028-02-29").ok());  // a leap year
  EXPECT_THAT(dateError("2026-02-30"),
              HasSubstr("'2026-02-30' is not a date: February 2026 has 28 days"));
  EXPECT_THAT(dateError("2026-04-31"), HasSubstr("April 2026 has 30 days"));
  EXPECT_THAT(dateError("2026-13-01"), HasSubstr("there is no month 13"));
  EXPECT_THAT(dateError("2026-00-10"), HasSubstr("there is no month 0"));
  EXPECT_THAT(dateError("2026-10-00"), HasSubstr("October 2026 has 31 days"));
  EXPECT_THAT(dateError("2026-1-01"), HasSubstr("is not a date such as '2026-10-01'"));
  EXPECT_THAT(dateError("2026/10/01"), HasSubstr("is not a date such as"));
  EXPECT_THAT(dateError("1999-12-31"), HasSubstr("outside the years 2000 to 2999"));
}

TEST(BusinessHoursTextTest, WeekdayNames) {
  for (int i = 0; i < 7; ++i) EXPECT_EQ(weekdayIndex(weekdayName(i)), i);
  EXPECT_EQ(weekdayName(0), "monday");
  EXPECT_EQ(weekdayName(6), "sunday");
  EXPECT_EQ(weekdayIndex("Monday"), std::nullopt);
  EXPECT_EQ(weekdayIndex("mon"), std::nullopt);
}

TEST(BusinessHoursTextTest, ACalendarParsesWithItsExceptionsSortedByDate) {
  BusinessHoursText text;
  text.weekly[0] = {"08:00-12:00", "13:00-20:00"};
  text.weekly[5] = {"09:00-17:00"};
  text.exceptions = {{"2026-10-10", {"08:00-20:00"}, "调休"}, {"2026-10-01", {}, "国庆节"}};
  auto parsed = parseBusinessHours(text);
  ASSERT_TRUE(std::holds_alternative<BusinessHours>(parsed))
      << std::get<std::vector<HoursProblem>>(parsed).front().message;
  const auto& h = std::get<BusinessHours>(parsed);
  EXPECT_EQ(h.weekly[0], (std::vector<TimeRange>{{480, 720}, {780, 1200}}));
  EXPECT_TRUE(h.weekly[1].empty());
  EXPECT_EQ(h.weekly[5], (std::vector<TimeRange>{{540, 1020}}));
  ASSERT_EQ(h.exceptions.size(), 2u);
  EXPECT_EQ(h.exceptions[0].date, date::year{2026} / 10 / 1);
  EXPECT_TRUE(h.exceptions[0].hours.empty());
  EXPECT_EQ(h.exceptions[0].note, "国庆节");
  EXPECT_EQ(h.exceptions[1].date, date::year{2026} / 10 / 10);
  EXPECT_EQ(h.exceptions[1].hours, (std::vector<TimeRange>{{480, 1200}}));
  EXPECT_TRUE(checkBusinessHours(h).empty());
}

TEST(BusinessHoursTextTest, EveryProblemIsNamedByItsPath) {
  BusinessHoursText text;
  text.weekly[0] = {"08:00-12:00", "18:00-09:00"};
  text.weekly[1] = {"08:00-12:00", "11:00-13:00"};
  text.weekly[2] = {"13:00-18:00", "08:00-12:00"};
  text.weekly[3] = {"08:00-12:00", "12:00-18:00"};
  text.weekly[4] = {"8-17"};
  text.exceptions = {{"2026-10-01", {}, ""},
                     {"2026-02-30", {}, ""},
                     {"2026-10-01", {"09:00-17:00"}, ""},
                     {"2026-10-02", {"09:00-24:30"}, ""}};
  const auto problems = problemsOf(text);
  EXPECT_THAT(messageFor(problems, "weekly.monday[1]"),
              HasSubstr("'18:00-09:00' ends before it starts"));
  EXPECT_THAT(messageFor(problems, "weekly.tuesday[1]"),
              HasSubstr("'11:00-13:00' overlaps '08:00-12:00' (weekly.tuesday[0])"));
  EXPECT_THAT(messageFor(problems, "weekly.wednesday[1]"),
              HasSubstr("'08:00-12:00' is out of order"));
  EXPECT_THAT(messageFor(problems, "weekly.thursday[1]"),
              HasSubstr("write them as one interval '08:00-18:00'"));
  EXPECT_THAT(messageFor(problems, "weekly.friday[0]"), HasSubstr("'8-17' is not an interval"));
  EXPECT_THAT(messageFor(problems, "exceptions[1].date"), HasSubstr("February 2026 has 28 days"));
  EXPECT_THAT(messageFor(problems, "exceptions[2].date"),
              HasSubstr("'2026-10-01' is listed twice (also exceptions[0])"));
  EXPECT_THAT(messageFor(problems, "exceptions[3].hours[0]"), HasSubstr("has no time 24:30"));
  EXPECT_EQ(problems.size(), 8u);
}

TEST(BusinessHoursTextTest, LimitsOnIntervalsAndDates) {
  BusinessHoursText text;
  for (int h = 0; h < 11; ++h) {
    text.weekly[6].push_back(fmt::format("{:02}:00-{:02}:30", h, h));
  }
  EXPECT_THAT(messageFor(problemsOf(text), "weekly.sunday"), HasSubstr("at most 10 intervals"));

  BusinessHoursText many;
  for (int i = 0; i <= static_cast<int>(kMaxHoursExceptions); ++i) {
    many.exceptions.push_back({"2026-10-01", {}, ""});
  }
  EXPECT_THAT(messageFor(problemsOf(many), "exceptions"), HasSubstr("at most 1000 dates"));
}

TEST(BusinessHoursTextTest, CheckFindsProblemsInParsedValues) {
  BusinessHours h;
  h.weekly[0] = {{-10, 60}};
  h.weekly[1] = {{600, 1500}};
  h.weekly[2] = {{600, 540}};
  h.exceptions.push_back(DateHours{date::year{1990} / 1 / 1, {}, ""});
  h.exceptions.push_back(DateHours{date::year{2026} / 2 / 30, {}, ""});
  const auto problems = checkBusinessHours(h);
  EXPECT_THAT(messageFor(problems, "weekly.monday[0]"), HasSubstr("outside 00:00-24:00"));
  EXPECT_THAT(messageFor(problems, "weekly.tuesday[0]"), HasSubstr("outside 00:00-24:00"));
  EXPECT_THAT(messageFor(problems, "weekly.wednesday[0]"), HasSubstr("ends before it starts"));
  EXPECT_THAT(messageFor(problems, "exceptions[0].date"), HasSubstr("outside the years"));
  EXPECT_THAT(messageFor(problems, "exceptions[1].date"), HasSubstr("is not a date"));
}

}  // namespace
}  // namespace bankcc::acd
