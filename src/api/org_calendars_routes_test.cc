// SPDX-License-Identifier: Apache-2.0
// Business-hours calendars through REST (/api/v1/calendars, decision 0021): the JSON shape,
// replace and merge patch, delete (refused while a queue uses the calendar), a queue's
// "calendar" field, audit records and config.changed events, and bad input of every kind as a
// 4xx naming the field, never a 500.

#include <fmt/format.h>

#include <string>
#include <vector>

#include "api/org_routes_test_support.h"

namespace bankcc::api::testing {
namespace {

class OrgCalendarsTest : public OrgApiTest {
 protected:
  static Json weekly() {
    Json w = Json::object();
    for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday"}) {
      w[day] = Json::array({"08:00-20:00"});
    }
    w["saturday"] = Json::array({"09:00-12:00", "13:00-17:00"});
    w["sunday"] = Json::array({"09:00-17:00"});
    return w;
  }
  static Json calendarBody(const std::string& code) {
    return Json{
        {"code", code},
        {"name", "工作日 08:00-20:00"},
        {"weekly", weekly()},
        {"exceptions",
         Json::array(
             {{{"date", "2026-10-10"}, {"hours", Json::array({"08:00-20:00"})}, {"note", "调休"}},
              {{"date", "2026-10-01"}, {"hours", Json::array()}}})}};
  }
  static Json queueBody(const std::string& code) {
    return Json{{"code", code},
                {"name_zh", "零售"},
                {"name_en", "Retail"},
                {"skills", Json::array({"retail"})}};
  }

  /// Posts `body` and expects 422 naming `field` with a message containing `text`.
  void expectRefused(const Json& body, const std::string& field, const std::string& text) {
    Reply r = post("/api/v1/calendars", body);
    EXPECT_EQ(r.status, 422) << field << ": " << r.response.body;
    EXPECT_EQ(r.errorCode(), "validation_failed") << r.response.body;
    const std::string message = r.fieldMessage(field);
    EXPECT_NE(message.find(text), std::string::npos)
        << field << " / " << text << " not in " << r.response.body;
  }

  std::vector<store::AuditRecord> auditsOf(const std::string& action) {
    std::vector<store::AuditRecord> out;
    for (auto& a : audits()) {
      if (a.action == action) out.push_back(std::move(a));
    }
    return out;
  }
};

TEST_P(OrgCalendarsTest, CreatedCalendarsShowEveryDayAndTheirExceptionsByDate) {
  Reply created = post("/api/v1/calendars", calendarBody("cn_banking"));
  ASSERT_EQ(created.status, 201) << created.response.body;
  EXPECT_EQ(created.header("Location"), "/api/v1/calendars/cn_banking");
  const Json expected = {
      {"code", "cn_banking"},
      {"name", "工作日 08:00-20:00"},
      {"weekly", weekly()},
      {"exceptions",
       Json::array(
           {{{"date", "2026-10-01"}, {"hours", Json::array()}, {"note", nullptr}},
            {{"date", "2026-10-10"}, {"hours", Json::array({"08:00-20:00"})}, {"note", "调休"}}})},
      {"version", 1},
      {"created_at", formatTimestamp(clock_.now())},
      {"updated_at", formatTimestamp(clock_.now())}};
  EXPECT_EQ(created.body, expected);
  EXPECT_EQ(get("/api/v1/calendars/cn_banking").body, expected);

  // A day left out is closed, shown as [].
  Json sparse = {{"code", "weekdays"},
                 {"name", "Weekdays"},
                 {"weekly", {{"monday", Json::array({"00:00-24:00"})}}}};
  Reply weekdays = post("/api/v1/calendars", sparse);
  ASSERT_EQ(weekdays.status, 201) << weekdays.response.body;
  EXPECT_EQ(weekdays.body["weekly"]["monday"], Json::array({"00:00-24:00"}));
  EXPECT_EQ(weekdays.body["weekly"]["sunday"], Json::array());
  EXPECT_EQ(weekdays.body["exceptions"], Json::array());

  Reply list = get("/api/v1/calendars?limit=1");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["items"].size(), 1u);
  EXPECT_EQ(list.body["items"][0], expected);
  EXPECT_FALSE(list.body["next_cursor"].is_null());
  Reply filtered = get("/api/v1/calendars?active=true");
  EXPECT_EQ(filtered.status, 422);
  EXPECT_NE(filtered.fieldMessage("active").find("calendars are not enabled"), std::string::npos);

  // Audited with the whole calendar, announced as config.changed.
  const auto records = auditsOf("calendar.created");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].targetType, "calendar");
  EXPECT_EQ(records[0].targetId, "cn_banking");
  EXPECT_EQ(Json::parse(records[0].details)["exceptions"], expected["exceptions"]);
  const auto changes = sink_.configChanges();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, "calendar");
  EXPECT_EQ(changes[0].code, "cn_banking");
  EXPECT_EQ(changes[0].change, "created");
  EXPECT_EQ(changes[0].version, 1);
}

TEST_P(OrgCalendarsTest, ReplaceAndMergePatch) {
  ASSERT_EQ(post("/api/v1/calendars", calendarBody("cn_banking")).status, 201);
  clock_.advance(std::chrono::seconds{3});
  Json replacement = get("/api/v1/calendars/cn_banking").body;  // read-only fields echoed back
  replacement["weekly"]["sunday"] = Json::array();
  replacement["exceptions"] = Json::array({{{"date", "2027-01-01"}, {"hours", Json::array()}}});
  Reply replaced = put("/api/v1/calendars/cn_banking", replacement);
  ASSERT_EQ(replaced.status, 200) << replaced.response.body;
  EXPECT_EQ(replaced.body["version"], 2);
  EXPECT_EQ(replaced.body["weekly"]["sunday"], Json::array());
  EXPECT_EQ(replaced.body["exceptions"].size(), 1u);
  EXPECT_EQ(replaced.body["updated_at"], formatTimestamp(clock_.now()));
  const auto updates = auditsOf("calendar.updated");
  ASSERT_EQ(updates.size(), 1u);
  const Json details = Json::parse(updates[0].details);
  EXPECT_TRUE(details.contains("weekly")) << details;
  EXPECT_TRUE(details.contains("exceptions")) << details;
  EXPECT_FALSE(details.contains("name")) << details;
  // A stale version changes nothing.
  Reply stale = put("/api/v1/calendars/cn_banking", replacement);
  EXPECT_EQ(stale.errorCode(), "version_mismatch");
  // A replacement states its exceptions ([] for none): a PUT never drops holidays silently.
  Json noExceptions = replacement;
  noExceptions.erase("exceptions");
  noExceptions["version"] = 2;
  Reply missing = put("/api/v1/calendars/cn_banking", noExceptions);
  EXPECT_EQ(missing.status, 422);
  EXPECT_NE(missing.fieldMessage("exceptions").find("is required"), std::string::npos);

  // Merge patch: one day changes, the rest stays; an array is replaced whole.
  Reply patched = patch("/api/v1/calendars/cn_banking",
                        {{"weekly", {{"saturday", Json::array({"10:00-14:00"})}}}, {"version", 2}});
  ASSERT_EQ(patched.status, 200) << patched.response.body;
  EXPECT_EQ(patched.body["weekly"]["saturday"], Json::array({"10:00-14:00"}));
  EXPECT_EQ(patched.body["weekly"]["monday"], Json::array({"08:00-20:00"}));
  EXPECT_EQ(patched.body["exceptions"].size(), 1u);
  Reply badPatch = patch("/api/v1/calendars/cn_banking",
                         {{"weekly", {{"friday", Json::array({"20:00-08:00"})}}}, {"version", 3}});
  EXPECT_EQ(badPatch.status, 422);
  EXPECT_NE(badPatch.fieldMessage("weekly.friday[0]").find("ends before it starts"),
            std::string::npos)
      << badPatch.response.body;
  EXPECT_EQ(get("/api/v1/calendars/cn_banking").body["version"], 3);
  const auto changes = sink_.configChanges();
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[2].change, "updated");
  EXPECT_EQ(changes[2].version, 3);
}

TEST_P(OrgCalendarsTest, BadCalendarsAreRefusedNamingTheField) {
  const auto with = [](const std::string& path, Json value) {
    Json body = calendarBody("bad");
    body[Json::json_pointer(path)] = std::move(value);
    return body;
  };
  expectRefused(with("/weekly/monday", Json::array({"08:00-12:00", "18:00-09:00"})),
                "weekly.monday[1]", "'18:00-09:00' ends before it starts");
  expectRefused(with("/weekly/tuesday", Json::array({"08:00-12:00", "11:00-13:00"})),
                "weekly.tuesday[1]", "overlaps '08:00-12:00'");
  expectRefused(with("/weekly/wednesday", Json::array({"13:00-14:00", "08:00-09:00"})),
                "weekly.wednesday[1]", "is out of order");
  expectRefused(with("/weekly/thursday", Json::array({"08:00-12:00", "12:00-13:00"})),
                "weekly.thursday[1]", "write them as one interval '08:00-13:00'");
  expectRefused(with("/weekly/friday", Json::array({"8-17"})), "weekly.friday[0]",
                "is not an interval such as");
  expectRefused(with("/weekly/friday", Json::array({"08:00-25:00"})), "weekly.friday[0]",
                "has no time 25:00");
  expectRefused(with("/weekly/friday", Json::array({"24:00-24:00"})), "weekly.friday[0]",
                "starts at 24:00");
  expectRefused(with("/weekly/friday", Json::array({7})), "weekly.friday[0]", "");
  expectRefused(with("/weekly/friday", "08:00-20:00"), "weekly.friday", "array of strings");
  expectRefused(with("/weekly/mon", Json::array()), "weekly.mon", "unknown field");
  expectRefused(with("/weekly", Json::array()), "weekly", "must be an object");
  Json manyIntervals = Json::array();
  for (int h = 0; h < 11; ++h) manyIntervals.push_back(fmt::format("{:02}:00-{:02}:30", h, h));
  expectRefused(with("/weekly/sunday", manyIntervals), "weekly.sunday", "at most 10 intervals");
  Json noWeekly = calendarBody("bad");
  noWeekly.erase("weekly");
  expectRefused(noWeekly, "weekly", "is required");

  expectRefused(with("/exceptions/1/date", "2026-02-30"), "exceptions[1].date",
                "'2026-02-30' is not a date: February 2026 has 28 days");
  expectRefused(with("/exceptions/1/date", "2026-10-10"), "exceptions[1].date",
                "'2026-10-10' is listed twice (also exceptions[0])");
  expectRefused(with("/exceptions/1/date", "10/01/2026"), "exceptions[1].date", "YYYY-MM-DD");
  expectRefused(with("/exceptions/0/hours/0", "20:00-08:00"), "exceptions[0].hours[0]",
                "ends before it starts");
  expectRefused(with("/exceptions/0/note", "line\nbreak"), "exceptions[0].note", "control");
  expectRefused(with("/exceptions/0/extra", true), "exceptions[0].extra", "unknown field");
  expectRefused(with("/exceptions/1", "2026-10-01"), "exceptions[1]", "must be an object");
  expectRefused(with("/exceptions", "2026-10-01"), "exceptions", "must be an array");
  Json noHours = calendarBody("bad");
  noHours["exceptions"][1].erase("hours");
  expectRefused(noHours, "exceptions[1].hours", "is required");
  Json manyDates = calendarBody("bad");
  manyDates["exceptions"] = Json::array();
  for (int i = 0; i <= 1000; ++i) {
    manyDates["exceptions"].push_back({{"date", "2026-10-01"}, {"hours", Json::array()}});
  }
  expectRefused(manyDates, "exceptions", "at most 1000 items");

  expectRefused(with("/code", "Bad-Code"), "code", "a-z, 0-9 and _");
  expectRefused(with("/name", ""), "name", "");
  Json longNote = calendarBody("bad");
  longNote["exceptions"][0]["note"] = std::string(120, 'x');
  expectRefused(longNote, "exceptions[1].note", "the note of 2026-10-10");
  expectRefused(with("/colour", "red"), "colour", "unknown field");
  // Nothing was stored, audited or announced.
  EXPECT_EQ(get("/api/v1/calendars/bad").status, 404);
  EXPECT_TRUE(sink_.configChanges().empty());
  EXPECT_TRUE(auditsOf("calendar.created").empty());
}

TEST_P(OrgCalendarsTest, QueuesNameACalendarAndItCannotBeDeletedWhileTheyDo) {
  ASSERT_EQ(post("/api/v1/calendars", calendarBody("cn_banking")).status, 201);
  Json body = queueBody("retail_zh");
  body["calendar"] = "cn_banking";
  Reply queue = post("/api/v1/queues", body);
  ASSERT_EQ(queue.status, 201) << queue.response.body;
  EXPECT_EQ(queue.body["calendar"], "cn_banking");
  Reply plain = post("/api/v1/queues", queueBody("plain"));
  ASSERT_EQ(plain.status, 201);
  EXPECT_EQ(plain.body["calendar"], nullptr);

  // An unknown calendar is a 404 naming it; a wrong type is a 422.
  Json unknown = queueBody("other");
  unknown["calendar"] = "nope";
  Reply notFound = post("/api/v1/queues", unknown);
  EXPECT_EQ(notFound.status, 404) << notFound.response.body;
  EXPECT_EQ(notFound.errorCode(), "not_found");
  EXPECT_NE(notFound.response.body.find("calendar: no calendar 'nope'"), std::string::npos);
  unknown["calendar"] = 42;
  EXPECT_EQ(post("/api/v1/queues", unknown).fieldMessage("calendar"), "must be a string");
  unknown["calendar"] = "Bad Code";
  EXPECT_EQ(post("/api/v1/queues", unknown).status, 422);
  EXPECT_EQ(patch("/api/v1/queues/plain", {{"calendar", "nope"}, {"version", 1}}).status, 404);

  Reply inUse = send("DELETE", "/api/v1/calendars/cn_banking");
  EXPECT_EQ(inUse.status, 409) << inUse.response.body;
  EXPECT_EQ(inUse.errorCode(), "conflict");
  EXPECT_NE(inUse.response.body.find("is used by queue 'retail_zh'"), std::string::npos)
      << inUse.response.body;

  // null clears it (a merge patch), and then the calendar can go.
  Reply cleared = patch("/api/v1/queues/retail_zh", {{"calendar", nullptr}, {"version", 1}});
  ASSERT_EQ(cleared.status, 200) << cleared.response.body;
  EXPECT_EQ(cleared.body["calendar"], nullptr);
  Reply set = patch("/api/v1/queues/retail_zh", {{"calendar", "cn_banking"}, {"version", 2}});
  ASSERT_EQ(set.status, 200) << set.response.body;
  EXPECT_EQ(set.body["calendar"], "cn_banking");
  Reply empty = patch("/api/v1/queues/retail_zh", {{"calendar", ""}, {"version", 3}});
  ASSERT_EQ(empty.status, 200) << empty.response.body;
  EXPECT_EQ(empty.body["calendar"], nullptr);

  EXPECT_EQ(send("DELETE", "/api/v1/calendars/cn_banking?version=abc").status, 422);
  EXPECT_EQ(send("DELETE", "/api/v1/calendars/cn_banking?version=0").status, 422);
  EXPECT_EQ(send("DELETE", "/api/v1/calendars/cn_banking?version=%zz").status, 400);
  EXPECT_EQ(send("DELETE", "/api/v1/calendars/cn_banking?version=7").errorCode(),
            "version_mismatch");
  const std::size_t eventsBefore = sink_.configChanges().size();
  Reply deleted = send("DELETE", "/api/v1/calendars/cn_banking?version=1");
  EXPECT_EQ(deleted.status, 204) << deleted.response.body;
  EXPECT_TRUE(deleted.response.body.empty());
  EXPECT_EQ(get("/api/v1/calendars/cn_banking").status, 404);
  EXPECT_EQ(send("DELETE", "/api/v1/calendars/cn_banking").status, 404);
  const auto records = auditsOf("calendar.deleted");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].targetId, "cn_banking");
  EXPECT_EQ(Json::parse(records[0].details)["name"], "工作日 08:00-20:00");
  const auto changes = sink_.configChanges();
  ASSERT_EQ(changes.size(), eventsBefore + 1);
  EXPECT_EQ(changes.back().kind, "calendar");
  EXPECT_EQ(changes.back().change, "deleted");
  EXPECT_EQ(changes.back().version, 1);
}

TEST_P(OrgCalendarsTest, OnlyOrgWritersChangeCalendarsAndOrgReadersReadThem) {
  ASSERT_EQ(post("/api/v1/calendars", calendarBody("cn_banking")).status, 201);
  const Principal supervisor = makePrincipal("sup", {"supervisor"});
  EXPECT_EQ(get("/api/v1/calendars/cn_banking", &supervisor).status, 200);
  EXPECT_EQ(get("/api/v1/calendars", &supervisor).status, 200);
  EXPECT_EQ(post("/api/v1/calendars", calendarBody("mine"), &supervisor).status, 403);
  EXPECT_EQ(send("DELETE", "/api/v1/calendars/cn_banking", {}, &supervisor).status, 403);
  EXPECT_EQ(get("/api/v1/calendars/cn_banking").status, 200);
}

BANKCC_STORE_BACKENDS(OrgCalendarsTest);

}  // namespace
}  // namespace bankcc::api::testing
