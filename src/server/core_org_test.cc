// SPDX-License-Identifier: Apache-2.0
// Organisation data for the call-control core, read from a real SQLite database: a queue's
// setup carries its calendar's business hours, and a calendar's change re-applies every
// enabled queue that uses it.
#include "server/core_org.h"

#include <gtest/gtest.h>

#include "store/database.h"
#include "store/migrations.h"
#include "store/org_skills.h"
#include "support/test_env.h"

namespace bankcc::server {
namespace {

acd::TimeRange range(int h1, int h2) {
  return acd::TimeRange{h1 * 60, h2 * 60};
}

class CoreOrgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::Database::open(store::StoreConfig{}, dir_.path());
    ASSERT_TRUE(db.ok()) << db.error().describe();
    db_ = std::move(*db);
    auto s = db_->connect();
    ASSERT_TRUE(s.ok());
    session_ = std::move(*s);
    ASSERT_TRUE(store::migrate(*session_, db_->backend()).ok());
    ASSERT_TRUE(
        store::createSkill(*session_, clock_, store::Skill{0, "retail", "零售", "Retail"}).ok());
    store::Calendar c;
    c.code = "cn_banking";
    c.name = "Banking hours";
    for (int d = 0; d < 5; ++d) c.hours.weekly[d] = {range(8, 20)};
    c.hours.exceptions.push_back(acd::DateHours{date::year{2026} / 10 / 1, {}, "国庆节"});
    auto created = store::createCalendar(*session_, clock_, c);
    ASSERT_TRUE(created.ok()) << created.error().describe();
    calendar_ = *created;
  }

  store::Queue makeQueue(const std::string& code, const std::string& calendar, bool skills = true) {
    store::Queue q;
    q.code = code;
    q.nameZh = "零售";
    q.nameEn = "Retail";
    if (skills) q.skillNeeds.push_back({"retail", 1});
    q.calendar = calendar;
    auto created = store::createQueue(*session_, clock_, q);
    EXPECT_TRUE(created.ok()) << created.error().describe();
    return created.ok() ? *created : q;
  }

  base::ManualClock clock_;
  bankcc::testing::TempDir dir_{"core_org"};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<soci::session> session_;
  store::Calendar calendar_;
};

TEST_F(CoreOrgTest, TheQueueSetupCarriesItsCalendarsHours) {
  const store::Queue q = makeQueue("retail_zh", "cn_banking");
  auto update =
      orgUpdateFor(*session_, events::ConfigChanged{"queue", "retail_zh", "created", 1, "admin"});
  ASSERT_TRUE(update.ok()) << update.error().describe();
  ASSERT_EQ(update->setQueues.size(), 1u);
  ASSERT_TRUE(update->setQueues[0].hours.has_value());
  EXPECT_EQ(*update->setQueues[0].hours, calendar_.hours);
  EXPECT_EQ(update->setQueues[0].acd.code, "retail_zh");

  // Without a calendar: always open (no hours).
  makeQueue("plain", "");
  auto plain =
      orgUpdateFor(*session_, events::ConfigChanged{"queue", "plain", "created", 1, "admin"});
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->setQueues.size(), 1u);
  EXPECT_FALSE(plain->setQueues[0].hours.has_value());

  // The pure mapping.
  EXPECT_FALSE(toQueueSetup(q)->hours.has_value());
  EXPECT_EQ(toQueueSetup(q, &calendar_.hours)->hours, calendar_.hours);
}

TEST_F(CoreOrgTest, ACalendarChangeReachesEveryEnabledQueueUsingIt) {
  makeQueue("retail_zh", "cn_banking");
  makeQueue("vip", "cn_banking");
  makeQueue("plain", "");
  makeQueue("bare", "cn_banking", false);  // no skill needs: the core does not route it
  const store::Queue off = makeQueue("off", "cn_banking");
  ASSERT_TRUE(store::setQueueActive(*session_, clock_, "off", false, off.version).ok());

  store::Calendar changed = calendar_;
  changed.hours.weekly[5] = {range(9, 17)};
  auto updated = store::updateCalendar(*session_, clock_, changed);
  ASSERT_TRUE(updated.ok()) << updated.error().describe();

  auto update = orgUpdateFor(
      *session_, events::ConfigChanged{"calendar", "cn_banking", "updated", 2, "admin"});
  ASSERT_TRUE(update.ok()) << update.error().describe();
  ASSERT_EQ(update->setQueues.size(), 2u);
  EXPECT_EQ(update->setQueues[0].acd.code, "retail_zh");
  EXPECT_EQ(update->setQueues[1].acd.code, "vip");
  for (const auto& setup : update->setQueues) {
    ASSERT_TRUE(setup.hours.has_value());
    EXPECT_EQ(setup.hours->weekly[5], (std::vector<acd::TimeRange>{range(9, 17)}));
  }
  EXPECT_TRUE(update->removeQueues.empty());
  EXPECT_TRUE(update->setAgents.empty());

  // A new calendar has no queues yet; other kinds ask nothing of the core.
  store::Calendar fresh = calendar_;
  fresh.code = "fresh";
  ASSERT_TRUE(store::createCalendar(*session_, clock_, fresh).ok());
  auto none =
      orgUpdateFor(*session_, events::ConfigChanged{"calendar", "fresh", "created", 1, "admin"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->setQueues.empty());
  auto skill =
      orgUpdateFor(*session_, events::ConfigChanged{"skill", "retail", "updated", 2, "admin"});
  ASSERT_TRUE(skill.ok());
  EXPECT_TRUE(skill->setQueues.empty());
}

TEST_F(CoreOrgTest, AQueueWithoutSkillNeedsIsRemovedAndAMissingOneIsAnError) {
  makeQueue("bare", "cn_banking", false);
  auto update =
      orgUpdateFor(*session_, events::ConfigChanged{"queue", "bare", "updated", 2, "admin"});
  ASSERT_TRUE(update.ok());
  EXPECT_TRUE(update->setQueues.empty());
  EXPECT_EQ(update->removeQueues, (std::vector<std::string>{"bare"}));
  auto missing =
      orgUpdateFor(*session_, events::ConfigChanged{"queue", "nope", "updated", 2, "admin"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, base::Errc::NotFound);
}

}  // namespace
}  // namespace bankcc::server
