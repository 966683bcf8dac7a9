// SPDX-License-Identifier: Apache-2.0
#include "store/org_calendars.h"

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <map>
#include <utility>

#include "store/org_support.h"
#include "store/sql_error.h"

namespace bankcc::store {
namespace {

using base::Errc;
using detail::OrgTable;

constexpr const char* kSelect =
    "SELECT id, code, name, version, created_at, updated_at FROM calendars";

struct CalendarRow {
  long long id = 0;
  std::string code, name;
  long long version = 0, createdAt = 0, updatedAt = 0;

  // SOCI's comma syntax, continued on a statement being prepared.
  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(code), soci::into(name), soci::into(version),
        soci::into(createdAt), soci::into(updatedAt);
  }
  Calendar toCalendar() const {
    Calendar c;
    c.id = id;
    c.code = code;
    c.name = name;
    c.version = version;
    c.createdAt = detail::fromMicros(createdAt);
    c.updatedAt = detail::fromMicros(updatedAt);
    return c;
  }
};

base::Status validate(const Calendar& calendar) {
  if (auto e = detail::checkCode("code", calendar.code)) return *e;
  if (auto e = detail::checkName("name", calendar.name)) return *e;
  const auto problems = acd::checkBusinessHours(calendar.hours);
  if (!problems.empty()) return detail::invalid(problems.front().field, problems.front().message);
  const auto& exceptions = calendar.hours.exceptions;
  for (std::size_t i = 0; i < exceptions.size(); ++i) {
    if (exceptions[i].note.empty()) continue;
    if (auto e = detail::checkName("note", exceptions[i].note)) {
      // Named by the date too: a caller's list may have been sorted since it was written.
      const std::string why = e->message.substr(std::string_view("note: ").size());
      return detail::invalid(
          fmt::format("exceptions[{}].note", i),
          fmt::format("{} (the note of {})", why, acd::formatDate(exceptions[i].date)));
    }
  }
  return {};
}

/// Loads the hours of `calendars` (a page ordered by code, or one calendar) in three
/// statements over the code range of the page. Throws soci errors: call inside guarded().
void fillHours(soci::session& session, std::vector<Calendar>& calendars) {
  if (calendars.empty()) return;
  const std::string& first = calendars.front().code;
  const std::string& last = calendars.back().code;
  std::map<long long, Calendar*> byId;
  for (Calendar& c : calendars) byId[c.id] = &c;
  const auto calendarOf = [&](long long id) {
    auto it = byId.find(id);
    return it == byId.end() ? nullptr : it->second;
  };
  long long calendarId = 0;
  int weekday = 0, start = 0, end = 0;
  std::string day, note;
  {
    soci::statement st =
        (session.prepare << "SELECT w.calendar_id, w.weekday, w.start_minute, w.end_minute "
                            "FROM calendar_weekly_hours w JOIN calendars c ON c.id = w.calendar_id "
                            "WHERE c.code >= :first AND c.code <= :last "
                            "ORDER BY w.calendar_id, w.weekday, w.start_minute",
         soci::use(first, "first"), soci::use(last, "last"), soci::into(calendarId),
         soci::into(weekday), soci::into(start), soci::into(end));
    st.execute();
    while (st.fetch()) {
      Calendar* c = calendarOf(calendarId);
      if (c == nullptr || weekday < 0 || weekday > 6) continue;  // the CHECK admits 0..6
      c->hours.weekly[static_cast<std::size_t>(weekday)].push_back({start, end});
    }
  }
  // Exceptions by calendar and date, then their hours.
  std::map<std::pair<long long, std::string>, std::size_t> exceptionAt;
  {
    soci::statement st =
        (session.prepare << "SELECT e.calendar_id, e.day, e.note FROM calendar_exceptions e "
                            "JOIN calendars c ON c.id = e.calendar_id "
                            "WHERE c.code >= :first AND c.code <= :last "
                            "ORDER BY e.calendar_id, e.day",
         soci::use(first, "first"), soci::use(last, "last"), soci::into(calendarId),
         soci::into(day), soci::into(note));
    st.execute();
    while (st.fetch()) {
      Calendar* c = calendarOf(calendarId);
      if (c == nullptr) continue;
      auto date = acd::parseDate(day);
      if (!date.ok()) {
        // Only this repository writes the table, and it writes parsed dates.
        spdlog::error("store: calendar {} has a stored date that is not one: {}", c->code,
                      date.error().message);
        continue;
      }
      exceptionAt[{calendarId, day}] = c->hours.exceptions.size();
      c->hours.exceptions.push_back(acd::DateHours{*date, {}, note});
    }
  }
  {
    soci::statement st =
        (session.prepare << "SELECT h.calendar_id, h.day, h.start_minute, h.end_minute "
                            "FROM calendar_exception_hours h "
                            "JOIN calendars c ON c.id = h.calendar_id "
                            "WHERE c.code >= :first AND c.code <= :last "
                            "ORDER BY h.calendar_id, h.day, h.start_minute",
         soci::use(first, "first"), soci::use(last, "last"), soci::into(calendarId),
         soci::into(day), soci::into(start), soci::into(end));
    st.execute();
    while (st.fetch()) {
      Calendar* c = calendarOf(calendarId);
      auto at = exceptionAt.find({calendarId, day});
      if (c == nullptr || at == exceptionAt.end()) continue;
      c->hours.exceptions[at->second].hours.push_back({start, end});
    }
  }
}

base::Result<Calendar> findOrNotFound(soci::session& session, std::string_view code) {
  auto calendar = detail::findRow(session, kSelect, "code", code, &CalendarRow::toCalendar);
  if (!calendar) return detail::notFound(OrgTable::Calendars, code);
  std::vector<Calendar> one{std::move(*calendar)};
  fillHours(session, one);
  return std::move(one.front());
}

/// Replaces the weekly hours and exceptions of calendar `calendarId`. Throws soci errors.
void writeHours(soci::session& session, long long calendarId, const acd::BusinessHours& hours) {
  // Exception hours go with their exceptions (ON DELETE CASCADE), but deleting them first
  // does not depend on the cascade.
  session << "DELETE FROM calendar_exception_hours WHERE calendar_id = :c",
      soci::use(calendarId, "c");
  session << "DELETE FROM calendar_exceptions WHERE calendar_id = :c", soci::use(calendarId, "c");
  session << "DELETE FROM calendar_weekly_hours WHERE calendar_id = :c", soci::use(calendarId, "c");
  for (std::size_t d = 0; d < hours.weekly.size(); ++d) {
    const int weekday = static_cast<int>(d);
    for (const acd::TimeRange& r : hours.weekly[d]) {
      session << "INSERT INTO calendar_weekly_hours (calendar_id, weekday, start_minute, "
                 "end_minute) VALUES (:c, :weekday, :start, :end)",
          soci::use(calendarId, "c"), soci::use(weekday, "weekday"), soci::use(r.begin, "start"),
          soci::use(r.end, "end");
    }
  }
  for (const acd::DateHours& ex : hours.exceptions) {
    const std::string day = acd::formatDate(ex.date);
    session << "INSERT INTO calendar_exceptions (calendar_id, day, note) "
               "VALUES (:c, :day, :note)",
        soci::use(calendarId, "c"), soci::use(day, "day"), soci::use(ex.note, "note");
    for (const acd::TimeRange& r : ex.hours) {
      session << "INSERT INTO calendar_exception_hours (calendar_id, day, start_minute, "
                 "end_minute) VALUES (:c, :day, :start, :end)",
          soci::use(calendarId, "c"), soci::use(day, "day"), soci::use(r.begin, "start"),
          soci::use(r.end, "end");
    }
  }
}

/// Queue codes naming calendar `calendarId`, sorted. Throws soci errors.
std::vector<std::string> queueCodesFor(soci::session& session, long long calendarId) {
  std::vector<std::string> codes;
  std::string code;
  soci::statement st = (session.prepare << "SELECT code FROM queues WHERE calendar_id = :c "
                                           "ORDER BY code",
                        soci::use(calendarId, "c"), soci::into(code));
  st.execute();
  while (st.fetch()) codes.push_back(code);
  return codes;
}

}  // namespace

base::Result<Calendar> createCalendar(soci::session& session, const base::Clock& clock,
                                      const Calendar& calendar) {
  BANKCC_TRY(validate(calendar));
  const std::string doing = fmt::format("creating calendar {}", detail::quoted(calendar.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Calendar> {
    BANKCC_TRY(detail::checkKeyFree(session, OrgTable::Calendars, calendar.code));
    const long long now = detail::toMicros(clock.now());
    long long id = 0;
    session << "INSERT INTO calendars (code, name, version, created_at, updated_at) "
               "VALUES (:code, :name, 1, :created, :updated) RETURNING id",
        soci::use(calendar.code, "code"), soci::use(calendar.name, "name"),
        soci::use(now, "created"), soci::use(now, "updated"), soci::into(id);
    writeHours(session, id, calendar.hours);
    return findOrNotFound(session, calendar.code);
  });
}

base::Result<Calendar> getCalendar(soci::session& session, std::string_view code) {
  return detail::guarded(session, "reading a calendar",
                         [&]() { return findOrNotFound(session, code); });
}

base::Result<Page<Calendar>> listCalendars(soci::session& session, const PageRequest& request) {
  if (request.active) {
    return detail::invalid("active",
                           "calendars are not enabled or disabled; list them without "
                           "?active=");
  }
  return detail::listPage(session, request, "listing calendars", kSelect, "code",
                          &CalendarRow::toCalendar, &Calendar::code,
                          [&](std::vector<Calendar>& page) { fillHours(session, page); });
}

base::Result<Calendar> updateCalendar(soci::session& session, const base::Clock& clock,
                                      const Calendar& calendar) {
  BANKCC_TRY(validate(calendar));
  const std::string doing = fmt::format("updating calendar {}", detail::quoted(calendar.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Calendar> {
    const long long now = detail::toMicros(clock.now());
    const long long version = calendar.version;
    soci::statement st =
        (session.prepare << "UPDATE calendars SET name = :name, version = version + 1, "
                            "updated_at = :now WHERE code = :code AND version = :version",
         soci::use(calendar.name, "name"), soci::use(now, "now"), soci::use(calendar.code, "code"),
         soci::use(version, "version"));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return detail::missingOrStale(session, OrgTable::Calendars, calendar.code, calendar.version);
    }
    const auto id = detail::idOf(session, OrgTable::Calendars, calendar.code);
    writeHours(session, id.value_or(0), calendar.hours);
    return findOrNotFound(session, calendar.code);
  });
}

base::Result<Calendar> deleteCalendar(soci::session& session, std::string_view code,
                                      std::optional<std::int64_t> expectedVersion) {
  const std::string doing = fmt::format("deleting calendar {}", detail::quoted(code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Calendar> {
    auto before = findOrNotFound(session, code);
    if (!before.ok()) return before;
    if (expectedVersion && *expectedVersion != before->version) {
      return detail::missingOrStale(session, OrgTable::Calendars, code, *expectedVersion);
    }
    const auto queues = queueCodesFor(session, before->id);
    if (!queues.empty()) {
      std::string names;
      for (const std::string& q : queues) {
        if (!names.empty()) names += ", ";
        names += detail::quoted(q);
      }
      return base::err(Errc::Conflict,
                       fmt::format("calendar {} is used by {} {}; give {} another calendar or "
                                   "none (null) first",
                                   detail::quoted(code), queues.size() == 1 ? "queue" : "queues",
                                   names, queues.size() == 1 ? "it" : "them"));
    }
    const long long id = before->id;
    session << "DELETE FROM calendar_exception_hours WHERE calendar_id = :c", soci::use(id, "c");
    session << "DELETE FROM calendar_exceptions WHERE calendar_id = :c", soci::use(id, "c");
    session << "DELETE FROM calendar_weekly_hours WHERE calendar_id = :c", soci::use(id, "c");
    session << "DELETE FROM calendars WHERE id = :c", soci::use(id, "c");
    return before;
  });
}

base::Result<std::vector<std::string>> queuesUsingCalendar(soci::session& session,
                                                           std::string_view code) {
  return detail::guarded(session, "reading the queues of a calendar",
                         [&]() -> base::Result<std::vector<std::string>> {
                           const auto id = detail::idOf(session, OrgTable::Calendars, code);
                           if (!id) return std::vector<std::string>{};
                           return queueCodesFor(session, *id);
                         });
}

}  // namespace bankcc::store
