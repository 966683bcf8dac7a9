// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "store/org_skills.h"
#include "store/org_teams.h"
#include "store/org_users.h"
#include "store/store_test_support.h"

namespace bankcc::store {
namespace {

using base::Errc;
using testing::failsWith;
using testing::isOk;
using testing::readAll;
using namespace std::chrono_literals;

Skill skill(std::string code) {
  return Skill{0, std::move(code), "信用卡", "Credit card"};
}

class SkillsTest : public testing::MigratedStoreTest {};

TEST_P(SkillsTest, CreatesReadsAndRejectsDuplicates) {
  auto created = createSkill(session(), clock_, skill("credit_card"));
  ASSERT_TRUE(isOk(created));
  EXPECT_EQ(created->version, 1);
  EXPECT_TRUE(created->active);
  EXPECT_EQ(created->createdAt, clock_.now());
  auto read = getSkill(session(), "credit_card");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->nameZh, "信用卡");
  EXPECT_EQ(read->nameEn, "Credit card");
  EXPECT_EQ(read->id, created->id);
  EXPECT_TRUE(failsWith(createSkill(session(), clock_, skill("credit_card")), Errc::Conflict,
                        "skill 'credit_card' already exists"));
  EXPECT_TRUE(failsWith(getSkill(session(), "loans"), Errc::NotFound, "no skill 'loans'"));
}

TEST_P(SkillsTest, RejectsBadCodesAndNames) {
  for (const char* bad :
       {"", "Credit_Card", "credit-card", "信用卡", "a b", "a_code_that_is_far_too_long_for_us"}) {
    EXPECT_TRUE(failsWith(createSkill(session(), clock_, skill(bad)), Errc::ValidationFailed,
                          "code: must be 1-32 characters of a-z, 0-9 and _"))
        << bad;
  }
  Skill noName = skill("loans");
  noName.nameEn = "";
  EXPECT_TRUE(failsWith(createSkill(session(), clock_, noName), Errc::ValidationFailed,
                        "name_en: must not be empty"));
  Skill longName = skill("loans");
  longName.nameZh = std::string(101, 'x');
  EXPECT_TRUE(failsWith(createSkill(session(), clock_, longName), Errc::ValidationFailed,
                        "name_zh: must be at most 100 characters"));
  Skill control = skill("loans");
  control.nameEn = "line\nbreak";
  EXPECT_TRUE(failsWith(createSkill(session(), clock_, control), Errc::ValidationFailed,
                        "name_en: must not contain control characters"));
  // 100 Chinese characters (300 bytes) are fine.
  Skill chinese = skill("loans");
  chinese.nameZh.clear();
  for (int i = 0; i < 100; ++i) chinese.nameZh += "贷";
  EXPECT_TRUE(isOk(createSkill(session(), clock_, chinese)));
}

TEST_P(SkillsTest, UpdatesDisablesAndDetectsStaleVersions) {
  ASSERT_TRUE(isOk(createSkill(session(), clock_, skill("credit_card"))));
  clock_.advance(1s);
  Skill change = skill("credit_card");
  change.nameEn = "Credit cards";
  change.version = 1;
  auto updated = updateSkill(session(), clock_, change);
  ASSERT_TRUE(isOk(updated));
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->nameEn, "Credit cards");
  EXPECT_EQ(updated->updatedAt, clock_.now());
  EXPECT_TRUE(failsWith(updateSkill(session(), clock_, change), Errc::VersionMismatch));

  auto disabled = setSkillActive(session(), clock_, "credit_card", false, 2);
  ASSERT_TRUE(isOk(disabled));
  EXPECT_FALSE(disabled->active);
  EXPECT_EQ(disabled->version, 3);
  EXPECT_TRUE(failsWith(setSkillActive(session(), clock_, "credit_card", true, 2),
                        Errc::VersionMismatch, "skill 'credit_card' was changed meanwhile"));
  EXPECT_TRUE(failsWith(setSkillActive(session(), clock_, "nothing", false, 1), Errc::NotFound));
  change.code = "nothing";
  EXPECT_TRUE(failsWith(updateSkill(session(), clock_, change), Errc::NotFound));
}

TEST_P(SkillsTest, ListsInPagesByCode) {
  const std::vector<std::string> codes{"a", "a_b", "ab", "b1", "b_2", "z"};
  for (auto it = codes.rbegin(); it != codes.rend(); ++it) {
    ASSERT_TRUE(isOk(createSkill(session(), clock_, skill(*it))));
  }
  int pages = 0;
  auto all =
      readAll<Skill>([&](const PageRequest& r) { return listSkills(session(), r); }, 4, &pages);
  std::vector<std::string> seen;
  for (const Skill& s : all) seen.push_back(s.code);
  // Byte order on both backends ('_' sorts before letters).
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "a_b", "ab", "b1", "b_2", "z"}));
  EXPECT_EQ(pages, 2);
  ASSERT_TRUE(isOk(setSkillActive(session(), clock_, "ab", false, 1)));
  auto active = listSkills(session(), PageRequest{50, "", true});
  ASSERT_TRUE(isOk(active));
  EXPECT_EQ(active->items.size(), 5u);
}

class TeamsTest : public testing::MigratedStoreTest {
 protected:
  void SetUp() override {
    MigratedStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* name : {"lead.a", "lead.b"}) {
      User u;
      u.username = name;
      u.displayName = "班长";
      u.roles = {"supervisor"};
      ASSERT_TRUE(isOk(createUser(session(), clock_, u)));
    }
  }
  Team team(std::string code, std::vector<std::string> supervisors = {}) {
    Team t;
    t.code = std::move(code);
    t.name = "零售一组";
    t.supervisors = std::move(supervisors);
    return t;
  }
};

TEST_P(TeamsTest, CreatesWithSupervisors) {
  auto created = createTeam(session(), clock_, team("retail_a", {"lead.b", "lead.a"}));
  ASSERT_TRUE(isOk(created));
  EXPECT_EQ(created->supervisors, (std::vector<std::string>{"lead.a", "lead.b"}));
  EXPECT_EQ(created->version, 1);
  auto read = getTeam(session(), "retail_a");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->name, "零售一组");
  EXPECT_EQ(read->supervisors, created->supervisors);
  EXPECT_TRUE(failsWith(createTeam(session(), clock_, team("retail_a")), Errc::Conflict));
  EXPECT_TRUE(failsWith(getTeam(session(), "retail_b"), Errc::NotFound));
}

TEST_P(TeamsTest, RejectsUnknownSupervisorsAndBadValues) {
  EXPECT_TRUE(failsWith(createTeam(session(), clock_, team("retail_a", {"lead.a", "ghost"})),
                        Errc::ValidationFailed, "supervisors: unknown user 'ghost'"));
  EXPECT_TRUE(failsWith(getTeam(session(), "retail_a"), Errc::NotFound));  // rolled back
  EXPECT_TRUE(failsWith(createTeam(session(), clock_, team("retail_a", {"lead.a", "lead.a"})),
                        Errc::ValidationFailed, "supervisors: 'lead.a' is listed twice"));
  EXPECT_TRUE(
      failsWith(createTeam(session(), clock_, team("Retail A")), Errc::ValidationFailed, "code:"));
  Team unnamed = team("retail_a");
  unnamed.name = "";
  EXPECT_TRUE(failsWith(createTeam(session(), clock_, unnamed), Errc::ValidationFailed, "name:"));
}

TEST_P(TeamsTest, UpdatesSupervisorsWithTheExpectedVersion) {
  auto created = createTeam(session(), clock_, team("retail_a", {"lead.a"}));
  ASSERT_TRUE(isOk(created));
  Team change = *created;
  change.supervisors = {"lead.b"};
  change.name = "零售 A 组";
  auto updated = updateTeam(session(), clock_, change);
  ASSERT_TRUE(isOk(updated));
  EXPECT_EQ(updated->supervisors, (std::vector<std::string>{"lead.b"}));
  EXPECT_EQ(updated->version, 2);
  EXPECT_TRUE(failsWith(updateTeam(session(), clock_, change), Errc::VersionMismatch));
  change.version = 2;
  change.supervisors = {"ghost"};
  EXPECT_TRUE(failsWith(updateTeam(session(), clock_, change), Errc::ValidationFailed,
                        "supervisors: unknown user 'ghost'"));
  auto read = getTeam(session(), "retail_a");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->version, 2);  // the failed update left everything as it was
  EXPECT_EQ(read->supervisors, (std::vector<std::string>{"lead.b"}));

  auto disabled = setTeamActive(session(), clock_, "retail_a", false, 2);
  ASSERT_TRUE(isOk(disabled));
  EXPECT_FALSE(disabled->active);
  EXPECT_EQ(disabled->supervisors, (std::vector<std::string>{"lead.b"}));
  EXPECT_TRUE(
      failsWith(setTeamActive(session(), clock_, "retail_a", true, 2), Errc::VersionMismatch));
}

TEST_P(TeamsTest, ListsInPagesWithSupervisors) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        isOk(createTeam(session(), clock_,
                        team("team_" + std::to_string(i), i % 2 ? std::vector<std::string>{"lead.a"}
                                                                : std::vector<std::string>{}))));
  }
  int pages = 0;
  auto all =
      readAll<Team>([&](const PageRequest& r) { return listTeams(session(), r); }, 2, &pages);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(pages, 3);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(all[i].code, "team_" + std::to_string(i));
    EXPECT_EQ(all[i].supervisors.size(), i % 2 ? 1u : 0u) << all[i].code;
  }
}

BANKCC_STORE_BACKENDS(SkillsTest);
BANKCC_STORE_BACKENDS(TeamsTest);

}  // namespace
}  // namespace bankcc::store
