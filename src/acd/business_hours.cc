// SPDX-License-Identifier: Apache-2.0
#include "acd/business_hours.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace bankcc::acd {
namespace {

using base::Errc;
using base::SysTime;
using date::local_days;

constexpr std::array<std::string_view, 7> kWeekdays = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
constexpr std::array<std::string_view, 12> kMonths = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

bool byDate(const DateHours& a, const DateHours& b) {
  return a.date < b.date;
}

/// `text` in single quotes for a message: at most 40 bytes, anything but printable ASCII as
/// '?' (intervals and dates are ASCII; this keeps a client's garbage out of the answer).
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 40) {
      out += "...";
      break;
    }
    const char c = text[i];
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out + "'";
}

/// "HH:MM" for minutes since midnight (24:00 for 1440).
std::string clockText(int minutes) {
  minutes = std::max(minutes, 0);
  return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

/// Two digits at `text[at]`, or -1.
int twoDigits(std::string_view text, std::size_t at) {
  const char a = text[at];
  const char b = text[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

/// Every problem of one day's intervals, named `prefix[i]` (`prefix` alone for the count).
void checkDay(const std::string& prefix, const std::vector<TimeRange>& ranges,
              std::vector<HoursProblem>& problems) {
  if (ranges.size() > kMaxIntervalsPerDay) {
    problems.push_back({prefix, fmt::format("at most {} intervals a day (got {})",
                                            kMaxIntervalsPerDay, ranges.size())});
    return;
  }
  const TimeRange* previous = nullptr;
  std::size_t previousIndex = 0;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const TimeRange& r = ranges[i];
    const std::string field = fmt::format("{}[{}]", prefix, i);
    const std::string text = "'" + formatTimeRange(r) + "'";
    if (r.begin < 0 || r.begin >= kMinutesPerDay || r.end <= 0 || r.end > kMinutesPerDay) {
      problems.push_back({field, fmt::format("{} is outside 00:00-24:00", text)});
      continue;
    }
    if (r.end < r.begin) {
      problems.push_back({field, fmt::format("{} ends before it starts (an interval lies within "
                                             "one day: end the day at 24:00 and start the next "
                                             "at 00:00)",
                                             text)});
      continue;
    }
    if (r.end == r.begin) {
      problems.push_back({field, fmt::format("{} is empty: it ends where it starts", text)});
      continue;
    }
    if (previous != nullptr) {
      const std::string other = "'" + formatTimeRange(*previous) + "'";
      const std::string where = fmt::format("{}[{}]", prefix, previousIndex);
      if (r.begin < previous->begin) {
        problems.push_back({field, fmt::format("{} is out of order: it starts before {} ({}); "
                                               "list a day's intervals by time",
                                               text, other, where)});
      } else if (r.begin < previous->end) {
        problems.push_back({field, fmt::format("{} overlaps {} ({})", text, other, where)});
      } else if (r.begin == previous->end) {
        problems.push_back(
            {field,
             fmt::format("{} starts where {} ({}) ends; write them as one interval '{}'", text,
                         other, where,
                         formatTimeRange({previous->begin, std::max(r.end, previous->end)}))});
      }
    }
    previous = &r;
    previousIndex = i;
  }
}

std::optional<std::string> dateProblem(date::year_month_day day) {
  if (!day.ok()) return fmt::format("'{}' is not a date", formatDate(day));
  const int year = static_cast<int>(day.year());
  if (year < kFirstHoursYear || year > kLastHoursYear) {
    return fmt::format("'{}' is outside the years {} to {}", formatDate(day), kFirstHoursYear,
                       kLastHoursYear);
  }
  return std::nullopt;
}

/// The hours of each local day: an exception's, else the weekday's.
class DayHours {
 public:
  explicit DayHours(const BusinessHours& hours)
      : hours_(hours),
        sorted_(std::is_sorted(hours.exceptions.begin(), hours.exceptions.end(), byDate)) {}

  /// The intervals of `day`, sorted by start (a copy is sorted when a caller's value is not).
  const std::vector<TimeRange>& on(local_days day) {
    const std::vector<TimeRange>& ranges = lookup(day);
    const auto byBegin = [](const TimeRange& a, const TimeRange& b) { return a.begin < b.begin; };
    if (std::is_sorted(ranges.begin(), ranges.end(), byBegin)) return ranges;
    scratch_ = ranges;
    std::sort(scratch_.begin(), scratch_.end(), byBegin);
    return scratch_;
  }

 private:
  const std::vector<TimeRange>& lookup(local_days day) const {
    const date::year_month_day ymd{day};
    const auto& ex = hours_.exceptions;
    if (sorted_) {
      DateHours key;
      key.date = ymd;
      auto it = std::lower_bound(ex.begin(), ex.end(), key, byDate);
      if (it != ex.end() && it->date == ymd) return it->hours;
    } else {
      auto it =
          std::find_if(ex.begin(), ex.end(), [&](const DateHours& d) { return d.date == ymd; });
      if (it != ex.end()) return it->hours;
    }
    return hours_.weekly[date::weekday{day}.iso_encoding() - 1];
  }

  const BusinessHours& hours_;
  bool sorted_;
  std::vector<TimeRange> scratch_;
};

/// One interval as instants: [begin, end), both at TimeZone::whenClockReaches().
struct Span {
  SysTime begin;
  SysTime end;
};

/// Calls `fn(span)` for every non-empty interval of the local days first..last, in order of
/// begin; stops when fn returns false.
template <typename Fn>
void forEachSpan(const BusinessHours& hours, const base::TimeZone& tz, local_days first,
                 local_days last, Fn&& fn) {
  DayHours days(hours);
  for (local_days day = first; day <= last; day += date::days{1}) {
    const base::LocalTime midnight{day};
    for (const TimeRange& r : days.on(day)) {
      // Clamped so that a value that skipped validation cannot reach into other days.
      const int begin = std::clamp(r.begin, 0, kMinutesPerDay);
      const int end = std::clamp(r.end, 0, kMinutesPerDay);
      if (begin >= end) continue;
      const Span span{tz.whenClockReaches(midnight + std::chrono::minutes{begin}),
                      tz.whenClockReaches(midnight + std::chrono::minutes{end})};
      if (span.begin >= span.end) continue;  // wholly inside a skipped hour
      if (!fn(span)) return;
    }
  }
}

local_days localDay(SysTime t, const base::TimeZone& tz) {
  return date::floor<date::days>(tz.toLocal(t));
}

}  // namespace

bool isOpen(const BusinessHours& hours, SysTime t, const base::TimeZone& tz) {
  // A day's intervals lie within [whenClockReaches(its midnight), whenClockReaches(the next
  // midnight)]; around a time change at midnight an instant may belong to the neighbouring
  // local day, so the days on both sides are looked at too.
  const local_days day = localDay(t, tz);
  bool open = false;
  forEachSpan(hours, tz, day - date::days{1}, day + date::days{1}, [&](const Span& s) {
    open = s.begin <= t && t < s.end;
    return !open && s.begin <= t;
  });
  return open;
}

std::optional<SysTime> nextChange(const BusinessHours& hours, SysTime t, const base::TimeZone& tz) {
  const local_days day = localDay(t, tz);
  const local_days last = day + date::days{kNextChangeHorizonDays};
  const SysTime horizon = tz.whenClockReaches(base::LocalTime{last + date::days{1}});
  // Spans come in order of begin. The first one that ends after t either lies ahead (closed
  // now: it opens then) or covers t (open now: the stretch of spans that overlap or touch it
  // ends at the answer).
  std::optional<SysTime> answer;
  std::optional<SysTime> stretchEnd;
  forEachSpan(hours, tz, day - date::days{1}, last, [&](const Span& s) {
    if (s.end <= t) return true;
    if (!stretchEnd) {
      if (s.begin > t) {
        answer = s.begin;
        return false;
      }
      stretchEnd = s.end;
      return true;
    }
    if (s.begin <= *stretchEnd) {
      stretchEnd = std::max(*stretchEnd, s.end);
      return true;
    }
    answer = *stretchEnd;
    return false;
  });
  if (answer) return answer;
  // Open until the horizon or beyond: no change known (always open); never open: none.
  if (stretchEnd && *stretchEnd < horizon) return stretchEnd;
  return std::nullopt;
}

std::string_view weekdayName(int index) {
  if (index < 0 || index >= static_cast<int>(kWeekdays.size())) return "unknown";
  return kWeekdays[static_cast<std::size_t>(index)];
}

std::optional<int> weekdayIndex(std::string_view name) {
  for (std::size_t i = 0; i < kWeekdays.size(); ++i) {
    if (kWeekdays[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string formatTimeRange(TimeRange range) {
  return clockText(range.begin) + "-" + clockText(range.end);
}

base::Result<TimeRange> parseTimeRange(std::string_view text) {
  const bool shaped = text.size() == 11 && text[2] == ':' && text[5] == '-' && text[8] == ':';
  const int h1 = shaped ? twoDigits(text, 0) : -1;
  const int m1 = shaped ? twoDigits(text, 3) : -1;
  const int h2 = shaped ? twoDigits(text, 6) : -1;
  const int m2 = shaped ? twoDigits(text, 9) : -1;
  if (h1 < 0 || m1 < 0 || h2 < 0 || m2 < 0) {
    return base::err(Errc::ValidationFailed,
                     fmt::format("{} is not an interval such as '09:00-17:30' (HH:MM-HH:MM, "
                                 "local time, 00:00 to 24:00)",
                                 quoted(text)));
  }
  const auto badTime = [&](int h, int m) {
    return base::err(Errc::ValidationFailed,
                     fmt::format("{} has no time {:02}:{:02} (hours 00-23, minutes 00-59; an "
                                 "interval may end at 24:00)",
                                 quoted(text), h, m));
  };
  if (h1 > 23 || m1 > 59) {
    if (h1 == 24 && m1 == 0) {
      return base::err(Errc::ValidationFailed,
                       fmt::format("{} starts at 24:00; a day's last interval ends there and "
                                   "the next day starts at 00:00",
                                   quoted(text)));
    }
    return badTime(h1, m1);
  }
  if ((h2 > 23 || m2 > 59) && !(h2 == 24 && m2 == 0)) return badTime(h2, m2);
  const TimeRange range{h1 * 60 + m1, h2 * 60 + m2};
  if (range.end < range.begin) {
    return base::err(Errc::ValidationFailed,
                     fmt::format("{} ends before it starts (an interval lies within one day: "
                                 "end the day at 24:00 and start the next at 00:00)",
                                 quoted(text)));
  }
  if (range.end == range.begin) {
    return base::err(Errc::ValidationFailed,
                     fmt::format("{} is empty: it ends where it starts", quoted(text)));
  }
  return range;
}

std::string formatDate(date::year_month_day day) {
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(day.year()),
                     static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
}

base::Result<date::year_month_day> parseDate(std::string_view text) {
  const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-';
  const int century = shaped ? twoDigits(text, 0) : -1;
  const int yy = shaped ? twoDigits(text, 2) : -1;
  const int month = shaped ? twoDigits(text, 5) : -1;
  const int dd = shaped ? twoDigits(text, 8) : -1;
  if (century < 0 || yy < 0 || month < 0 || dd < 0) {
    return base::err(
        Errc::ValidationFailed,
        fmt::format("{} is not a date such as '2026-10-01' (YYYY-MM-DD)", quoted(text)));
  }
  const int year = century * 100 + yy;
  if (month < 1 || month > 12) {
    return base::err(Errc::ValidationFailed,
                     fmt::format("{} is not a date: there is no month {}", quoted(text), month));
  }
  const date::year_month_day_last lastOfMonth{date::year{year} / date::month{unsigned(month)} /
                                              date::last};
  const unsigned daysInMonth = static_cast<unsigned>(lastOfMonth.day());
  if (dd < 1 || static_cast<unsigned>(dd) > daysInMonth) {
    return base::err(Errc::ValidationFailed,
                     fmt::format("{} is not a date: {} {} has {} days", quoted(text),
                                 kMonths[static_cast<std::size_t>(month - 1)], year, daysInMonth));
  }
  const date::year_month_day day{date::year{year}, date::month{unsigned(month)},
                                 date::day{unsigned(dd)}};
  if (auto problem = dateProblem(day)) return base::err(Errc::ValidationFailed, *problem);
  return day;
}

std::vector<HoursProblem> checkBusinessHours(const BusinessHours& hours) {
  std::vector<HoursProblem> problems;
  for (std::size_t d = 0; d < hours.weekly.size(); ++d) {
    checkDay(fmt::format("weekly.{}", kWeekdays[d]), hours.weekly[d], problems);
  }
  if (hours.exceptions.size() > kMaxHoursExceptions) {
    problems.push_back({"exceptions", fmt::format("at most {} dates (got {})", kMaxHoursExceptions,
                                                  hours.exceptions.size())});
    return problems;
  }
  for (std::size_t i = 0; i < hours.exceptions.size(); ++i) {
    const DateHours& ex = hours.exceptions[i];
    if (auto problem = dateProblem(ex.date)) {
      problems.push_back({fmt::format("exceptions[{}].date", i), *problem});
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (hours.exceptions[k].date == ex.date) {
        problems.push_back(
            {fmt::format("exceptions[{}].date", i),
             fmt::format("'{}' is listed twice (also exceptions[{}])", formatDate(ex.date), k)});
        break;
      }
    }
    checkDay(fmt::format("exceptions[{}].hours", i), ex.hours, problems);
  }
  return problems;
}

std::variant<BusinessHours, std::vector<HoursProblem>> parseBusinessHours(
    const BusinessHoursText& text) {
  std::vector<HoursProblem> problems;
  // Parses one day's intervals; checks their order only when every one parsed (a broken one
  // would make its neighbours' messages confusing).
  const auto parseDay = [&](const std::string& prefix, const std::vector<std::string>& in,
                            std::vector<TimeRange>& out) {
    bool parsed = true;
    for (std::size_t i = 0; i < in.size(); ++i) {
      auto range = parseTimeRange(in[i]);
      if (!range.ok()) {
        problems.push_back({fmt::format("{}[{}]", prefix, i), range.error().message});
        parsed = false;
        continue;
      }
      out.push_back(*range);
    }
    if (parsed) checkDay(prefix, out, problems);
  };

  BusinessHours hours;
  for (std::size_t d = 0; d < text.weekly.size(); ++d) {
    parseDay(fmt::format("weekly.{}", kWeekdays[d]), text.weekly[d], hours.weekly[d]);
  }
  if (text.exceptions.size() > kMaxHoursExceptions) {
    problems.push_back({"exceptions", fmt::format("at most {} dates (got {})", kMaxHoursExceptions,
                                                  text.exceptions.size())});
    return problems;
  }
  std::vector<std::optional<date::year_month_day>> dates;
  for (std::size_t i = 0; i < text.exceptions.size(); ++i) {
    const auto& in = text.exceptions[i];
    const std::string field = fmt::format("exceptions[{}].date", i);
    DateHours ex;
    ex.note = in.note;
    auto day = parseDate(in.date);
    if (!day.ok()) {
      problems.push_back({field, day.error().message});
      dates.emplace_back();
    } else {
      ex.date = *day;
      dates.emplace_back(*day);
      for (std::size_t k = 0; k < i; ++k) {
        if (dates[k] == *day) {
          problems.push_back(
              {field, fmt::format("'{}' is listed twice (also exceptions[{}])", in.date, k)});
          break;
        }
      }
    }
    parseDay(fmt::format("exceptions[{}].hours", i), in.hours, ex.hours);
    hours.exceptions.push_back(std::move(ex));
  }
  if (!problems.empty()) return problems;
  std::sort(hours.exceptions.begin(), hours.exceptions.end(), byDate);
  return hours;
}

}  // namespace bankcc::acd
