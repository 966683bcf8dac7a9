// SPDX-License-Identifier: Apache-2.0
// Business-hours calendars in the store: the whole value round-trips on both backends, bad
// values are refused naming the field, queues keep a calendar by code, and a calendar a queue
// uses cannot be deleted.

#include <gtest/gtest.h>

#include "store/org_calendars.h"
#include "store/org_common.h"
#include "store/org_queues.h"
#include "store/org_skills.h"
#include "store/store_test_support.h"

namespace bankcc::store {
namespace {

using base::Errc;
using testing::failsWith;
using testing::isOk;
using namespace std::chrono_literals;

acd::TimeRange range(int h1, int m1, int h2, int m2) {
  return acd::TimeRange{h1 * 60 + m1, h2 * 60 + m2};
}

acd::DateHours onDate(int y, unsigned m, unsigned d, std::vector<acd::TimeRange> hours,
                      std::string note = {}) {
  return acd::DateHours{date::year{y} / date::month{m} / date::day{d}, std::move(hours),
                        std::move(note)};
}

Calendar cnBanking(std::string code = "cn_banking") {
  Calendar c;
  c.code = std::move(code);
  c.name = "工作日 08:00-20:00，周末 09:00-17:00";
  for (int d = 0; d < 5; ++d) c.hours.weekly[d] = {range(8, 0, 20, 0)};
  c.hours.weekly[5] = {range(9, 0, 12, 0), range(13, 0, 17, 0)};
  c.hours.weekly[6] = {range(9, 0, 17, 0)};
  c.hours.exceptions = {onDate(2026, 10, 1, {}, "国庆节"),
                        onDate(2026, 10, 10, {range(8, 0, 20, 0)}, "调休"),
                        onDate(2026, 9, 20, {range(8, 0, 12, 0), range(13, 0, 20, 0)})};
  return c;
}

Queue queue(std::string code, std::string calendar = {}) {
  Queue q;
  q.code = std::move(code);
  q.nameZh = "零售";
  q.nameEn = "Retail";
  q.skillNeeds = {{"retail", 1}};
  q.calendar = std::move(calendar);
  return q;
}

class CalendarsTest : public testing::MigratedStoreTest {
 protected:
  void SetUp() override {
    MigratedStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(isOk(createSkill(session(), clock_, Skill{0, "retail", "零售", "Retail"})));
  }
};

TEST_P(CalendarsTest, TheWholeCalendarRoundTripsWithExceptionsByDate) {
  const Calendar c = cnBanking();
  auto created = createCalendar(session(), clock_, c);
  ASSERT_TRUE(isOk(created));
  EXPECT_EQ(created->version, 1);
  EXPECT_EQ(created->createdAt, clock_.now());
  EXPECT_EQ(created->name, c.name);
  EXPECT_EQ(created->hours.weekly, c.hours.weekly);
  ASSERT_EQ(created->hours.exceptions.size(), 3u);
  EXPECT_EQ(created->hours.exceptions[0], c.hours.exceptions[2]);  // 2026-09-20 first
  EXPECT_EQ(created->hours.exceptions[1], c.hours.exceptions[0]);
  EXPECT_EQ(created->hours.exceptions[2], c.hours.exceptions[1]);
  auto read = getCalendar(session(), "cn_banking");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->hours, created->hours);
  EXPECT_TRUE(failsWith(createCalendar(session(), clock_, c), Errc::Conflict,
                        "calendar 'cn_banking' already exists"));
  EXPECT_TRUE(failsWith(getCalendar(session(), "nope"), Errc::NotFound, "no calendar 'nope'"));
  // An empty calendar (never open) is a calendar too.
  Calendar closed;
  closed.code = "closed";
  closed.name = "Closed";
  auto empty = createCalendar(session(), clock_, closed);
  ASSERT_TRUE(isOk(empty));
  EXPECT_EQ(empty->hours, acd::BusinessHours{});
  auto counts = countOrganisation(session());
  ASSERT_TRUE(isOk(counts));
  EXPECT_EQ(counts->calendars, 2);
  EXPECT_FALSE(counts->empty());
}

TEST_P(CalendarsTest, UpdatesReplaceTheHoursAndStaleVersionsAreRefused) {
  ASSERT_TRUE(isOk(createCalendar(session(), clock_, cnBanking())));
  clock_.advance(1s);
  Calendar change = cnBanking();
  change.name = "Changed";
  change.version = 1;
  change.hours.weekly[6].clear();
  change.hours.exceptions = {onDate(2027, 1, 1, {})};
  auto updated = updateCalendar(session(), clock_, change);
  ASSERT_TRUE(isOk(updated));
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->updatedAt, clock_.now());
  EXPECT_EQ(updated->name, "Changed");
  EXPECT_EQ(updated->hours, change.hours);
  EXPECT_TRUE(failsWith(updateCalendar(session(), clock_, change), Errc::VersionMismatch,
                        "calendar 'cn_banking' was changed meanwhile"));
  change.code = "nope";
  EXPECT_TRUE(failsWith(updateCalendar(session(), clock_, change), Errc::NotFound));
}

TEST_P(CalendarsTest, BadValuesAreRefusedNamingTheField) {
  Calendar bad = cnBanking();
  bad.code = "CN-Banking";
  EXPECT_TRUE(failsWith(createCalendar(session(), clock_, bad), Errc::ValidationFailed, "code: "));
  bad = cnBanking();
  bad.name = "";
  EXPECT_TRUE(failsWith(createCalendar(session(), clock_, bad), Errc::ValidationFailed,
                        "name: must not be empty"));
  bad = cnBanking();
  bad.hours.weekly[0] = {range(8, 0, 12, 0), range(18, 0, 9, 0)};
  EXPECT_TRUE(failsWith(createCalendar(session(), clock_, bad), Errc::ValidationFailed,
                        "weekly.monday[1]: '18:00-09:00' ends before it starts"));
  bad = cnBanking();
  bad.hours.exceptions.push_back(onDate(2026, 10, 1, {range(9, 0, 10, 0)}));
  EXPECT_TRUE(failsWith(createCalendar(session(), clock_, bad), Errc::ValidationFailed,
                        "exceptions[3].date: '2026-10-01' is listed twice"));
  bad = cnBanking();
  bad.hours.exceptions[1].note = std::string(101, 'x');
  EXPECT_TRUE(failsWith(createCalendar(session(), clock_, bad), Errc::ValidationFailed,
                        "exceptions[1].note: must be at most 100 characters (got 101) (the note "
                        "of 2026-10-10)"));
  EXPECT_TRUE(failsWith(getCalendar(session(), "cn_banking"), Errc::NotFound)) << "nothing kept";
}

TEST_P(CalendarsTest, ListsPageByCodeAndHaveNoActiveFilter) {
  for (const char* code : {"c_a", "c_b", "c_c"}) {
    ASSERT_TRUE(isOk(createCalendar(session(), clock_, cnBanking(code))));
  }
  int pages = 0;
  auto all = testing::readAll<Calendar>(
      [&](const PageRequest& r) { return listCalendars(session(), r); }, 2, &pages);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(all[0].code, "c_a");
  EXPECT_EQ(all[2].code, "c_c");
  EXPECT_EQ(all[2].hours.exceptions.size(), 3u);
  EXPECT_EQ(all[1].hours.weekly[5].size(), 2u);
  PageRequest filtered;
  filtered.active = true;
  EXPECT_TRUE(failsWith(listCalendars(session(), filtered), Errc::ValidationFailed, "active: "));
}

TEST_P(CalendarsTest, QueuesKeepACalendarByCode) {
  ASSERT_TRUE(isOk(createCalendar(session(), clock_, cnBanking())));
  auto q = createQueue(session(), clock_, queue("retail_zh", "cn_banking"));
  ASSERT_TRUE(isOk(q));
  EXPECT_EQ(q->calendar, "cn_banking");
  auto plain = createQueue(session(), clock_, queue("plain"));
  ASSERT_TRUE(isOk(plain));
  EXPECT_EQ(plain->calendar, "");
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, queue("other", "nope")), Errc::NotFound,
                        "calendar: no calendar 'nope'"));
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, queue("other", "Bad-Code")),
                        Errc::ValidationFailed, "calendar: "));
  // Cleared and set again by an update.
  Queue change = *q;
  change.calendar.clear();
  auto cleared = updateQueue(session(), clock_, change);
  ASSERT_TRUE(isOk(cleared));
  EXPECT_EQ(cleared->calendar, "");
  change = *cleared;
  change.calendar = "cn_banking";
  auto set = updateQueue(session(), clock_, change);
  ASSERT_TRUE(isOk(set));
  EXPECT_EQ(set->calendar, "cn_banking");
  change = *set;
  change.calendar = "nope";
  EXPECT_TRUE(failsWith(updateQueue(session(), clock_, change), Errc::NotFound, "calendar: "));
  auto listed = listQueues(session(), PageRequest{});
  ASSERT_TRUE(isOk(listed));
  ASSERT_EQ(listed->items.size(), 2u);
  EXPECT_EQ(listed->items[0].calendar, "");            // plain
  EXPECT_EQ(listed->items[1].calendar, "cn_banking");  // retail_zh
}

TEST_P(CalendarsTest, ACalendarInUseCannotBeDeleted) {
  ASSERT_TRUE(isOk(createCalendar(session(), clock_, cnBanking())));
  ASSERT_TRUE(isOk(createQueue(session(), clock_, queue("retail_zh", "cn_banking"))));
  auto vip = createQueue(session(), clock_, queue("vip", "cn_banking"));
  ASSERT_TRUE(isOk(vip));
  // A disabled queue still names its calendar.
  ASSERT_TRUE(isOk(setQueueActive(session(), clock_, "vip", false, vip->version)));
  auto users = queuesUsingCalendar(session(), "cn_banking");
  ASSERT_TRUE(isOk(users));
  EXPECT_EQ(*users, (std::vector<std::string>{"retail_zh", "vip"}));
  EXPECT_TRUE(failsWith(deleteCalendar(session(), "cn_banking", std::nullopt), Errc::Conflict,
                        "calendar 'cn_banking' is used by queues 'retail_zh', 'vip'"));
  EXPECT_TRUE(isOk(getCalendar(session(), "cn_banking")));

  for (const char* code : {"retail_zh", "vip"}) {
    auto q = getQueue(session(), code);
    ASSERT_TRUE(isOk(q));
    Queue change = *q;
    change.calendar.clear();
    ASSERT_TRUE(isOk(updateQueue(session(), clock_, change)));
  }
  EXPECT_TRUE(failsWith(deleteCalendar(session(), "cn_banking", 7), Errc::VersionMismatch));
  auto deleted = deleteCalendar(session(), "cn_banking", 1);
  ASSERT_TRUE(isOk(deleted));
  EXPECT_EQ(deleted->hours.exceptions.size(), 3u);
  EXPECT_TRUE(failsWith(getCalendar(session(), "cn_banking"), Errc::NotFound));
  EXPECT_TRUE(failsWith(deleteCalendar(session(), "cn_banking", std::nullopt), Errc::NotFound));
  // Its rows went with it: the code can be used again.
  EXPECT_TRUE(isOk(createCalendar(session(), clock_, cnBanking())));
  auto none = queuesUsingCalendar(session(), "nope");
  ASSERT_TRUE(isOk(none));
  EXPECT_TRUE(none->empty());
}

BANKCC_STORE_BACKENDS(CalendarsTest);

}  // namespace
}  // namespace bankcc::store
