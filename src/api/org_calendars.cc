// SPDX-License-Identifier: Apache-2.0
// REST for business-hours calendars (/api/v1/calendars, decision 0021): list, get, create,
// replace, merge patch and delete. Calendars have no active flag: a calendar no queue names may
// be deleted (409 naming the queues otherwise).
//
// Body: {"code", "name", "weekly": {"monday": ["08:00-20:00"], ...}, "exceptions": [{"date":
// "2026-10-01", "hours": [], "note": "国庆节"}, ...]}. "weekly" is required (a day left out has
// no hours: closed); "exceptions" defaults to [] on create and is required on replace, so that
// a PUT never drops the holidays silently.

#include <fmt/format.h>

#include <charconv>

#include "acd/business_hours.h"
#include "api/org_crud.h"
#include "store/org_calendars.h"

namespace bankcc::api::org {
namespace {

using Json = nlohmann::json;

/// An interval "HH:MM-HH:MM" is 11 bytes; longer text still gets the parser's message.
constexpr std::size_t kMaxIntervalBytes = 64;
constexpr std::size_t kMaxDateBytes = 32;

/// "weekly": {"monday": [...], ..., "sunday": [...]} into `text`. False when bad (the reader
/// has the errors, named "weekly.monday[1]", "weekly.mon").
bool readWeekly(FieldReader& r, acd::BusinessHoursText& text) {
  const Json* value = r.raw("weekly");
  if (value == nullptr || value->is_null()) {
    r.fail("weekly",
           "is required: the hours of each weekday, such as {\"monday\": "
           "[\"08:00-20:00\"], ...} (a day left out is closed)");
    return false;
  }
  if (!value->is_object()) {
    r.fail("weekly", "must be an object with the days monday .. sunday");
    return false;
  }
  FieldReader days(*value, "weekly.");
  for (int d = 0; d < 7; ++d) {
    const std::string_view name = acd::weekdayName(d);
    if (auto list = days.stringList(name, Need::Optional, kMaxListItems, kMaxIntervalBytes)) {
      text.weekly[static_cast<std::size_t>(d)] = std::move(*list);
    }
  }
  days.rejectUnknown();
  if (days.ok()) return true;
  r.merge(days.errors());
  return false;
}

/// "exceptions": [{"date", "hours", "note"}, ...] into `text`: optional on create, required on
/// replace. False when bad.
bool readExceptions(FieldReader& r, Mode mode, acd::BusinessHoursText& text) {
  const Json* value = r.raw("exceptions");
  if (value == nullptr || value->is_null()) {
    if (mode == Mode::Create) return true;
    r.fail("exceptions",
           "is required: the dated exceptions ([] for none), such as "
           "[{\"date\": \"2026-10-01\", \"hours\": [], \"note\": \"国庆节\"}]");
    return false;
  }
  if (!value->is_array()) {
    r.fail("exceptions", "must be an array of {\"date\", \"hours\", \"note\"} objects");
    return false;
  }
  if (value->size() > acd::kMaxHoursExceptions) {
    r.fail("exceptions", fmt::format("must have at most {} items", acd::kMaxHoursExceptions));
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    if (!item.is_object()) {
      r.fail(fmt::format("exceptions[{}]", i), "must be an object");
      ok = false;
      continue;
    }
    FieldReader inner(item, fmt::format("exceptions[{}].", i));
    acd::BusinessHoursText::Exception ex;
    ex.date = inner.string("date", Need::Required, kMaxDateBytes).value_or("");
    // Required, so that a holiday is written as such ("hours": []) rather than by omission.
    ex.hours = inner.stringList("hours", Need::Required, kMaxListItems, kMaxIntervalBytes)
                   .value_or(std::vector<std::string>{});
    ex.note = inner.string("note", Need::Optional, kMaxTextBytes, true).value_or("");
    inner.rejectUnknown();
    if (!inner.ok()) {
      r.merge(inner.errors());
      ok = false;
      continue;
    }
    text.exceptions.push_back(std::move(ex));
  }
  return ok;
}

struct CalendarResource : ResourceHooks<store::Calendar> {
  using Object = store::Calendar;
  static constexpr std::string_view kKind = "calendar";
  static constexpr std::string_view kCollection = "/api/v1/calendars";
  static constexpr std::string_view kKeyField = "code";
  // Whoever may read and write queues reads and writes their calendars.
  static constexpr Permission kRead = Permission::OrgRead;
  static constexpr Permission kWrite = Permission::OrgWrite;

  static const std::string& keyOf(const Object& o) { return o.code; }
  static base::Result<Json> present(Call& /*call*/, const Object& o) { return toJson(o); }
  static base::Result<store::Page<Object>> list(Call& call, const store::PageRequest& page) {
    return store::listCalendars(call.db(), page);
  }
  static base::Result<Object> get(Call& call, std::string_view key) {
    return store::getCalendar(call.db(), key);
  }
  static void read(Call& /*call*/, FieldReader& r, Mode mode, const Object* /*current*/,
                   std::string_view pathKey, Draft<Object>& draft) {
    Object& o = draft.object;
    o.code = readKey(r, "code", mode, pathKey, kMaxCodeBytes);
    o.name = r.string("name", Need::Required, kMaxTextBytes).value_or("");
    acd::BusinessHoursText text;
    const bool weeklyRead = readWeekly(r, text);
    const bool exceptionsRead = readExceptions(r, mode, text);
    if (weeklyRead && exceptionsRead) {
      auto parsed = acd::parseBusinessHours(text);
      if (auto* problems = std::get_if<std::vector<acd::HoursProblem>>(&parsed)) {
        for (auto& p : *problems) r.fail(std::move(p.field), std::move(p.message));
      } else {
        o.hours = std::move(std::get<acd::BusinessHours>(parsed));
      }
    }
    o.version = readVersion(r, mode);
    ignoreTimestamps(r);
  }
  static base::Result<Object> create(Call& call, const Draft<Object>& draft) {
    return store::createCalendar(call.db(), call.clock(), draft.object);
  }
  static base::Result<Object> update(Call& call, const Object& o) {
    return store::updateCalendar(call.db(), call.clock(), o);
  }
};

/// DELETE /api/v1/calendars/{code}[?version=n]: 204, or 409 naming the queues that use it.
Response deleteCalendar(Call& call) {
  const QueryParams& query = call.query();
  if (query.malformed) {
    return errorResponse(400, "bad_request", "the query string has a malformed %-escape");
  }
  std::optional<std::int64_t> version;
  if (auto text = query.get("version")) {
    std::int64_t value = 0;
    const char* end = text->data() + text->size();
    auto [ptr, ec] = std::from_chars(text->data(), end, value);
    if (text->empty() || ec != std::errc{} || ptr != end || value < 1) {
      return validationFailed({{"version", "must be a positive integer (the version to delete)"}});
    }
    version = value;
  }
  using R = CalendarResource;
  return commitWrite(
      call, {R::kKind, "calendar.deleted", "deleted", 204, R::kCollection}, [&]() -> WriteOutcome {
        auto deleted = store::deleteCalendar(call.db(), call.param(R::kKeyField), version);
        if (!deleted.ok()) return errorFrom(deleted.error());
        Json json = toJson(*deleted);
        // The audit record keeps what was deleted.
        return Written{deleted->code, json, withoutTimestamps(json), deleted->version};
      });
}

}  // namespace

void registerCalendarRoutes(Router& router) {
  using R = CalendarResource;
  const std::string collection(R::kCollection);
  const std::string item = collection + "/{code}";
  auto add = [&](const char* method, std::string pattern, Permission permission, Handler handler,
                 std::string summary) {
    const bool read = std::string_view(method) == "GET";
    router.add(Route{.method = method,
                     .pattern = std::move(pattern),
                     .permission = permission,
                     .flags = read ? (kDatabase | kQuickRead) : kDatabase,
                     .handler = std::move(handler),
                     .summary = std::move(summary)});
  };
  add("GET", collection, R::kRead, &listObjects<R>, "List business-hours calendars");
  add("POST", collection, R::kWrite, &createObject<R>, "Create a business-hours calendar");
  add("GET", item, R::kRead, &getObject<R>, "Read a business-hours calendar");
  add("PUT", item, R::kWrite, &replaceObject<R>, "Replace a business-hours calendar");
  add("PATCH", item, R::kWrite, &patchObject<R>, "Change a business-hours calendar (merge patch)");
  add("DELETE", item, R::kWrite, &deleteCalendar, "Delete a business-hours calendar no queue uses");
}

}  // namespace bankcc::api::org
