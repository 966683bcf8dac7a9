// SPDX-License-Identifier: Apache-2.0
#pragma once

// Business-hours calendars (营业时间): a weekly schedule and dated exceptions (holidays,
// special hours, working-day overrides 调休) that queues refer to by code (Queue::calendar;
// none: always open). The value and its evaluation are acd/business_hours.h; decision 0021.
// Conventions of all repositories: org_common.h, except that calendars have no active flag:
// nothing in history refers to a calendar, so one that no queue names may be deleted.
// Threads: each function runs on the caller's thread, which owns `session`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acd/business_hours.h"
#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"

namespace bankcc::store {

struct Calendar {
  std::int64_t id = 0;  ///< database key; not part of the API
  std::string code;     ///< e.g. "cn_banking"
  std::string name;
  /// The schedule; stored and returned with exceptions sorted by date.
  acd::BusinessHours hours;
  std::int64_t version = 0;
  base::SysTime createdAt{};
  base::SysTime updatedAt{};
};

/// Creates `calendar` from its code, name and hours (id, version and timestamps are ignored)
/// and returns it as stored, at version 1. Errors: ValidationFailed naming the field
/// ("weekly.monday[1]: '18:00-09:00' ends before it starts", "exceptions[2].date: ...",
/// "exceptions[0].note: ..."), Conflict (code taken).
base::Result<Calendar> createCalendar(soci::session& session, const base::Clock& clock,
                                      const Calendar& calendar);
/// Errors: NotFound.
base::Result<Calendar> getCalendar(soci::session& session, std::string_view code);
/// Calendars ordered by code. Errors as the other lists, and ValidationFailed ("active: ...")
/// when the request filters on `active`, which calendars do not have.
base::Result<Page<Calendar>> listCalendars(soci::session& session, const PageRequest& request);
/// Replaces the name and hours of the calendar `calendar.code`, provided its stored version is
/// `calendar.version`. Errors: as createCalendar, NotFound, VersionMismatch.
base::Result<Calendar> updateCalendar(soci::session& session, const base::Clock& clock,
                                      const Calendar& calendar);
/// Deletes the calendar `code` and returns it as it was, provided no queue (enabled or not)
/// names it and, when `expectedVersion` is given, its version is that. Errors: NotFound,
/// VersionMismatch, Conflict naming the queues ("calendar 'cn_banking' is used by queues
/// 'retail_zh', 'vip'; ...").
base::Result<Calendar> deleteCalendar(soci::session& session, std::string_view code,
                                      std::optional<std::int64_t> expectedVersion);
/// The codes of the queues (enabled or not) whose calendar is `code`, sorted. Errors:
/// Unavailable, Io.
base::Result<std::vector<std::string>> queuesUsingCalendar(soci::session& session,
                                                           std::string_view code);

}  // namespace bankcc::store
