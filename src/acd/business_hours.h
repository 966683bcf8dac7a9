// SPDX-License-Identifier: Apache-2.0
#pragma once

// Business hours (营业时间) of a queue: a weekly schedule of local wall-clock intervals plus
// dated exceptions (holidays, special hours, working-day overrides 调休), and the two questions
// call control asks of them: is the queue open at `t`, and when does that next change. Pure:
// no I/O, no clock, no database (store/org_calendars.h stores calendars; decision 0021).
//
// The model:
//   - A day's hours are intervals [begin, end) of local wall-clock minutes, 00:00 .. 24:00,
//     sorted and neither overlapping nor touching (write "08:00-12:00", "13:00-18:00"; not
//     "08:00-12:00", "12:00-18:00", which is one interval).
//   - A date exception replaces the weekly hours of its local date completely: no hours is a
//     holiday (closed all day), other hours are special hours, and a working-day override (a
//     Saturday worked, 调休) is simply a date with hours.
//   - An interval ending at 24:00 followed by one starting at 00:00 the next day is one
//     stretch: the queue does not close at midnight.
//   - Time zones: the intervals are wall-clock times in the center's zone (base::TimeZone). A
//     boundary happens at TimeZone::whenClockReaches(), so
//       * in a skipped hour (clocks set forward) a boundary inside it happens at the jump: an
//         interval 01:00-02:30 on America/New_York's spring-forward day ends at 03:00 EDT,
//         and an interval lying wholly inside the gap (02:10-02:40) never opens;
//       * in a repeated hour (clocks set back) a boundary happens at the first occurrence and
//         only once: 00:00-01:30 closes at 01:30 EDT and stays closed through the second
//         01:00-01:30 (EST); 01:30-05:00 opens at 01:30 EDT and stays open through the repeat.
//     The queue is open for as many real minutes as the wall clock says plus or minus the
//     change, and each boundary is one instant, so isOpen() and nextChange() always agree.
//
// Threads: plain values and functions; thread-safe.

#include <date/date.h>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/time_zone.h"

namespace bankcc::acd {

inline constexpr int kMinutesPerDay = 24 * 60;
/// Limits checked by checkBusinessHours().
inline constexpr std::size_t kMaxIntervalsPerDay = 10;
inline constexpr std::size_t kMaxHoursExceptions = 1000;
/// Exception dates lie in [kFirstHoursYear, kLastHoursYear].
inline constexpr int kFirstHoursYear = 2000;
inline constexpr int kLastHoursYear = 2999;
/// nextChange() looks at most this many local days past the day of `t`.
inline constexpr int kNextChangeHorizonDays = 400;

/// Local wall-clock minutes [begin, end) of one day: 0 <= begin < end <= 1440 (24:00).
struct TimeRange {
  int begin = 0;
  int end = 0;

  bool operator==(const TimeRange&) const = default;
};

/// A local date whose hours replace the weekly schedule: a holiday (no hours), special hours,
/// or a working-day override (调休).
struct DateHours {
  date::year_month_day date{};
  std::vector<TimeRange> hours;  ///< empty: closed all day; else as a weekday's hours
  std::string note;              ///< for people ("国庆节", "调休"); the evaluator ignores it

  bool operator==(const DateHours&) const = default;
};

struct BusinessHours {
  /// [0] = Monday .. [6] = Sunday (ISO order); each day's intervals sorted, neither
  /// overlapping nor touching. A day without intervals is closed.
  std::array<std::vector<TimeRange>, 7> weekly;
  /// At most one per date. Any order is evaluated correctly; stored calendars come sorted by
  /// date.
  std::vector<DateHours> exceptions;

  bool operator==(const BusinessHours&) const = default;
};

/// Whether the queue is open at `t`: some interval of some local day covers `t`, each boundary
/// taken at tz.whenClockReaches() (see above).
bool isOpen(const BusinessHours& hours, base::SysTime t, const base::TimeZone& tz);

/// The first instant after `t` at which isOpen() changes: isOpen is the same on [t, result)
/// and different at result. nullopt when it does not change within kNextChangeHorizonDays
/// local days after t's day: always open, never open (no intervals), or a change further out
/// (a caller that keeps running asks again later, e.g. once a day).
std::optional<base::SysTime> nextChange(const BusinessHours& hours, base::SysTime t,
                                        const base::TimeZone& tz);

// --- text forms: "HH:MM-HH:MM" intervals, "YYYY-MM-DD" dates, weekday names

/// "monday" .. "sunday" for 0 .. 6.
std::string_view weekdayName(int index);
/// 0 .. 6 for "monday" .. "sunday"; nullopt for anything else.
std::optional<int> weekdayIndex(std::string_view name);

/// "08:00-20:00"; an end of 1440 is "24:00".
std::string formatTimeRange(TimeRange range);
/// Parses "HH:MM-HH:MM" (two digits each; the end may be "24:00") and checks that it ends
/// after it starts. ValidationFailed with a message quoting the text ("'18:00-09:00' ends
/// before it starts"), without a field name.
base::Result<TimeRange> parseTimeRange(std::string_view text);

/// "2026-10-01".
std::string formatDate(date::year_month_day day);
/// Parses "YYYY-MM-DD", a real date from kFirstHoursYear to kLastHoursYear. ValidationFailed
/// ("'2026-02-30' is not a date: February 2026 has 28 days"), without a field name.
base::Result<date::year_month_day> parseDate(std::string_view text);

/// One problem of a calendar, named by its path in the REST shape: "weekly.monday[1]",
/// "exceptions[2].date", "exceptions[2].hours[0]", "exceptions".
struct HoursProblem {
  std::string field;
  std::string message;

  bool operator==(const HoursProblem&) const = default;
};

/// Every problem of a parsed value: an interval out of 00:00..24:00, empty or backwards, out
/// of order, overlapping or touching the one before; more than kMaxIntervalsPerDay intervals
/// a day; a date outside the accepted years or listed twice; more than kMaxHoursExceptions
/// exceptions. Empty when the value is valid.
std::vector<HoursProblem> checkBusinessHours(const BusinessHours& hours);

/// A calendar as REST and the seed file write it.
struct BusinessHoursText {
  std::array<std::vector<std::string>, 7> weekly;  ///< [0] = Monday; "HH:MM-HH:MM" each
  struct Exception {
    std::string date;                ///< "YYYY-MM-DD"
    std::vector<std::string> hours;  ///< "HH:MM-HH:MM" each; empty: closed
    std::string note;
  };
  std::vector<Exception> exceptions;
};

/// Parses and checks `text`: the value (exceptions sorted by date) or every problem, named as
/// checkBusinessHours() names them, with indexes into `text`.
std::variant<BusinessHours, std::vector<HoursProblem>> parseBusinessHours(
    const BusinessHoursText& text);

}  // namespace bankcc::acd
