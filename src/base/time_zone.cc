// SPDX-License-Identifier: Apache-2.0
#include "base/time_zone.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <exception>
#include <optional>
#include <vector>

#include "base/assert.h"

namespace bankcc::base {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

std::size_t editDistance(std::string_view a, std::string_view b) {
  // Case-insensitive Levenshtein distance, one row at a time.
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The known zone name closest to `name`, when close enough to be a typo.
std::optional<std::string> closestZoneName(std::string_view name) {
  try {
    const date::tzdb& db = date::get_tzdb();
    std::optional<std::string> best;
    std::size_t bestDistance = std::max<std::size_t>(2, name.size() / 4) + 1;
    auto consider = [&](const std::string& candidate) {
      const std::size_t d = editDistance(name, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    };
    for (const auto& zone : db.zones) consider(zone.name());
    return best;
  } catch (const std::exception&) {
    return std::nullopt;  // no database: the caller's message says enough
  }
}

std::string formatWithOffset(LocalTime local, seconds offset) {
  const auto ms = date::floor<milliseconds>(local);
  const auto day = date::floor<date::days>(ms);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<milliseconds> hms{ms - day};
  std::string out = fmt::format(
      "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
      hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
  if (offset < seconds::zero()) {
    out += '-';
    offset = -offset;
  } else {
    out += '+';
  }
  const auto offsetMinutes = std::chrono::duration_cast<minutes>(offset).count();
  out += fmt::format("{:02}:{:02}", offsetMinutes / 60, offsetMinutes % 60);
  return out;
}

// A cursor over RFC 3339 text; every reader returns false on a mismatch.
class Rfc3339Reader {
 public:
  explicit Rfc3339Reader(std::string_view text) : text_(text) {}

  bool digits(std::size_t count, int& value) {
    if (pos_ + count > text_.size()) return false;
    value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos_ += count;
    return true;
  }
  bool oneOf(std::string_view chars, char& got) {
    if (pos_ >= text_.size() || chars.find(text_[pos_]) == std::string_view::npos) return false;
    got = text_[pos_++];
    return true;
  }
  bool literal(char c) {
    char got;
    return oneOf(std::string_view(&c, 1), got);
  }
  bool atEnd() const { return pos_ == text_.size(); }
  // Fraction digits after a '.', kept to the microsecond; false when there are none.
  bool fraction(microseconds& value) {
    const std::size_t start = pos_;
    std::int64_t us = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (pos_ - start < 6) us = us * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    const std::size_t count = pos_ - start;
    if (count == 0 || count > 9) return false;
    for (std::size_t i = count; i < 6; ++i) us *= 10;
    value = microseconds{us};
    return true;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

Error badTimestamp(std::string_view text, std::string_view why) {
  constexpr std::size_t kMaxShown = 64;  // keep error bodies small whatever a client sent
  std::string shown(text.substr(0, kMaxShown));
  if (text.size() > kMaxShown) shown += "...";
  return err(Errc::BadRequest, fmt::format("bad timestamp '{}': {}; expected RFC 3339 such as "
                                           "2026-11-26T12:43:11.123+08:00",
                                           shown, why));
}

}  // namespace

Result<TimeZone> TimeZone::load(std::string_view ianaName) {
  const std::string name(ianaName);
  if (name.empty()) {
    return err(Errc::ValidationFailed,
               "time zone name is empty; expected an IANA name such as 'Asia/Shanghai'");
  }
  try {
    return TimeZone(date::locate_zone(name), name);
  } catch (const std::exception& e) {
    std::string message = fmt::format("unknown time zone '{}'", name);
    if (auto suggestion = closestZoneName(name)) {
      message += fmt::format(" (did you mean '{}'?)", *suggestion);
    } else {
      message += "; expected an IANA name such as 'Asia/Shanghai' or 'UTC'";
    }
    return err(Errc::ValidationFailed, std::move(message));
  }
}

TimeZone TimeZone::utc() {
  return TimeZone(nullptr, "UTC");
}

LocalTime TimeZone::toLocal(SysTime t) const {
  if (zone_ == nullptr) return LocalTime{t.time_since_epoch()};
  return zone_->to_local(t);
}

std::chrono::seconds TimeZone::offset(SysTime t) const {
  if (zone_ == nullptr) return seconds::zero();
  return zone_->get_info(t).offset;
}

SysTime TimeZone::resolve(LocalTime local, SysTime notAfter) const {
  if (zone_ == nullptr) return SysTime{local.time_since_epoch()};
  const date::local_info info = zone_->get_info(local);
  switch (info.result) {
    case date::local_info::unique:
      return SysTime{local.time_since_epoch() - info.first.offset};
    case date::local_info::nonexistent:
      // The wall clock jumped over `local`: the local time begins when the jump happens.
      return SysTime{std::chrono::duration_cast<microseconds>(info.first.end.time_since_epoch())};
    case date::local_info::ambiguous: {
      // The wall clock showed `local` twice: take the later one unless it is after `notAfter`.
      const SysTime later{local.time_since_epoch() - info.second.offset};
      if (later <= notAfter) return later;
      return SysTime{local.time_since_epoch() - info.first.offset};
    }
  }
  BANKCC_BUG("date::local_info with an unknown result");
  return SysTime{local.time_since_epoch() - info.first.offset};
}

SysTime TimeZone::whenClockReaches(LocalTime local) const {
  if (zone_ == nullptr) return SysTime{local.time_since_epoch()};
  const date::local_info info = zone_->get_info(local);
  switch (info.result) {
    case date::local_info::unique:
      return SysTime{local.time_since_epoch() - info.first.offset};
    case date::local_info::nonexistent:
      // The wall clock jumps over `local`: it first shows a later time at the jump.
      return SysTime{std::chrono::duration_cast<microseconds>(info.first.end.time_since_epoch())};
    case date::local_info::ambiguous:
      // The wall clock shows `local` twice: first under the offset in effect before the change.
      return SysTime{local.time_since_epoch() - info.first.offset};
  }
  BANKCC_BUG("date::local_info with an unknown result");
  return SysTime{local.time_since_epoch() - info.first.offset};
}

SysTime TimeZone::startOfDay(SysTime t) const {
  const LocalTime local = toLocal(t);
  return resolve(date::floor<date::days>(local), t);
}

SysTime TimeZone::intervalStart(SysTime t, std::chrono::minutes interval) const {
  // Intervals come from validated configuration; zero would divide by zero below.
  BANKCC_RELEASE_ASSERT(interval > minutes::zero(), "intervalStart needs a positive interval");
  const LocalTime local = toLocal(t);
  const LocalTime midnight = date::floor<date::days>(local);
  const microseconds sinceMidnight = local - midnight;
  const microseconds step = interval;
  return resolve(midnight + (sinceMidnight / step) * step, t);
}

std::string TimeZone::formatRfc3339(SysTime t) const {
  const seconds off = offset(t);
  if (off % minutes{1} != seconds::zero()) {
    std::string out = formatWithOffset(LocalTime{t.time_since_epoch()}, seconds::zero());
    out.resize(out.size() - 6);  // drop "+00:00"
    out += 'Z';
    return out;
  }
  return formatWithOffset(LocalTime{t.time_since_epoch() + off}, off);
}

Result<SysTime> parseRfc3339(std::string_view text) {
  Rfc3339Reader in(text);
  int year, month, day, hour, minute, second;
  char sep;
  if (!in.digits(4, year) || !in.literal('-') || !in.digits(2, month) || !in.literal('-') ||
      !in.digits(2, day)) {
    return badTimestamp(text, "the date is not YYYY-MM-DD");
  }
  if (!in.oneOf("Tt ", sep)) return badTimestamp(text, "expected 'T' after the date");
  if (!in.digits(2, hour) || !in.literal(':') || !in.digits(2, minute) || !in.literal(':') ||
      !in.digits(2, second)) {
    return badTimestamp(text, "the time is not HH:MM:SS");
  }
  microseconds frac{0};
  if (in.literal('.') && !in.fraction(frac)) {
    return badTimestamp(text, "expected 1 to 9 digits after '.'");
  }
  seconds offset{0};
  char zone;
  if (!in.oneOf("Zz+-", zone)) return badTimestamp(text, "missing 'Z' or a ±HH:MM offset");
  if (zone == '+' || zone == '-') {
    int offHours, offMinutes;
    if (!in.digits(2, offHours) || !in.literal(':') || !in.digits(2, offMinutes)) {
      return badTimestamp(text, "the offset is not ±HH:MM");
    }
    if (offHours > 23 || offMinutes > 59) return badTimestamp(text, "offset out of range");
    offset = std::chrono::hours{offHours} + minutes{offMinutes};
    if (zone == '-') offset = -offset;
  }
  if (!in.atEnd()) return badTimestamp(text, "unexpected text after the offset");

  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return badTimestamp(text, "no such date");
  if (hour > 23 || minute > 59 || second > 59) {
    return badTimestamp(text, "time of day out of range (leap seconds are not accepted)");
  }
  const auto midnight = date::sys_days{ymd};
  const SysTime wallAsUtc{std::chrono::duration_cast<microseconds>(midnight.time_since_epoch()) +
                          std::chrono::hours{hour} + minutes{minute} + seconds{second} + frac};
  return wallAsUtc - offset;
}

}  // namespace bankcc::base
