// SPDX-License-Identifier: Apache-2.0
#pragma once

// The contact center's IANA time zone (CONVENTIONS.md "Time"): local days and reporting
// intervals, and RFC 3339 timestamps for REST. Howard Hinnant's date/tz reading the system's
// /usr/share/zoneinfo; g++ 12 has no std::chrono time-zone database.

#include <date/tz.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "base/clock.h"
#include "base/result.h"

namespace bankcc::base {

/// Local time with microseconds, as date/tz represents it.
using LocalTime = date::local_time<std::chrono::microseconds>;

/// An IANA time zone. Cheap to copy (it points into the process-wide tz database). Every
/// method is thread-safe.
class TimeZone {
 public:
  /// The zone `ianaName` ("Asia/Shanghai", "America/New_York", "UTC"). ValidationFailed for
  /// an unknown name, suggesting the closest known one ("did you mean 'Asia/Shanghai'?").
  static Result<TimeZone> load(std::string_view ianaName);
  /// UTC; never fails (does not need the tz database).
  static TimeZone utc();

  /// The name given to load().
  const std::string& name() const { return name_; }

  /// The local wall-clock time at `t`.
  LocalTime toLocal(SysTime t) const;
  /// The UTC offset in effect at `t` (e.g. +8h, +5h30m, -4h during US summer time).
  std::chrono::seconds offset(SysTime t) const;

  /// The first instant of the local day containing `t` (local midnight; where a transition
  /// skips midnight, the instant the day actually begins).
  SysTime startOfDay(SysTime t) const;
  /// The start of the reporting interval containing `t`: intervals of `interval` (> 0)
  /// counted from local midnight on local wall-clock time, so 15-minute intervals begin at
  /// :00, :15, :30 and :45 local time in every zone, including Asia/Kolkata (+05:30). An
  /// interval that does not divide the day leaves a shorter last interval. Across a DST
  /// change: a start that falls in the skipped hour becomes the moment of the change; a start
  /// in the repeated hour is the occurrence at or before `t`.
  SysTime intervalStart(SysTime t, std::chrono::minutes interval) const;
  /// The first instant at which the local wall clock shows `local` or a later time: for a
  /// wall-clock time that occurs once, that instant; in a repeated hour (clocks set back), the
  /// first of its two occurrences; in a skipped hour (clocks set forward), the instant of the
  /// jump. Never earlier for a later `local`, so local intervals keep their order (business
  /// hours, acd/business_hours.h).
  SysTime whenClockReaches(LocalTime local) const;

  /// `t` as local time with milliseconds and the offset in effect, e.g.
  /// "2026-11-26T12:43:11.123+08:00" ("+00:00" in UTC). Sub-millisecond digits are dropped.
  /// Historical offsets that are not whole minutes (local mean time before ~1900) cannot be
  /// written in RFC 3339; such instants are given in UTC with "Z".
  std::string formatRfc3339(SysTime t) const;

 private:
  TimeZone(const date::time_zone* zone, std::string name) : zone_(zone), name_(std::move(name)) {}

  /// The UTC instant of local time `local`, resolving gaps and repeats as intervalStart() says.
  SysTime resolve(LocalTime local, SysTime notAfter) const;

  const date::time_zone* zone_;  // in date's tz database, which lives until exit; null: UTC
  std::string name_;
};

/// Parses an RFC 3339 timestamp: "2026-11-26T12:43:11.123+08:00", "2026-11-26T04:43:11Z",
/// 0 to 9 fraction digits (kept to the microsecond), 'T', 't' or ' ' between date and time,
/// 'Z', 'z' or ±HH:MM. BadRequest with the reason for anything else (including leap second
/// 60). Never throws. Thread-safe.
Result<SysTime> parseRfc3339(std::string_view text);

}  // namespace bankcc::base
