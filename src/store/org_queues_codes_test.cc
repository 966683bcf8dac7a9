// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "store/org_codes.h"
#include "store/org_queues.h"
#include "store/org_skills.h"
#include "store/store_test_support.h"

namespace bankcc::store {
namespace {

using base::Errc;
using testing::failsWith;
using testing::isOk;
using testing::readAll;
using namespace std::chrono_literals;

class QueuesTest : public testing::MigratedStoreTest {
 protected:
  void SetUp() override {
    MigratedStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* code : {"retail", "vip", "english"}) {
      ASSERT_TRUE(isOk(createSkill(session(), clock_, Skill{0, code, "技能", "Skill"})));
    }
  }
  Queue queue(std::string code, std::vector<std::string> skills = {"retail"}) {
    Queue q;
    q.code = std::move(code);
    q.nameZh = "零售中文";
    q.nameEn = "Retail (Chinese)";
    q.skills = std::move(skills);
    return q;
  }
};

TEST_P(QueuesTest, CreatesWithServiceLevelAndSkills) {
  Queue q = queue("retail_zh", {"vip", "retail"});
  q.serviceLevelTarget = 90;
  q.serviceLevelThreshold = 15s;
  q.shortAbandon = 0s;
  auto created = createQueue(session(), clock_, q);
  ASSERT_TRUE(isOk(created));
  EXPECT_EQ(created->version, 1);
  EXPECT_EQ(created->serviceLevelTarget, 90);
  EXPECT_EQ(created->serviceLevelThreshold, 15s);
  EXPECT_EQ(created->shortAbandon, 0s);
  EXPECT_EQ(created->skills, (std::vector<std::string>{"retail", "vip"}));
  auto read = getQueue(session(), "retail_zh");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->nameEn, "Retail (Chinese)");
  EXPECT_EQ(read->skills, created->skills);
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, queue("retail_zh")), Errc::Conflict,
                        "queue 'retail_zh' already exists"));
  EXPECT_TRUE(failsWith(getQueue(session(), "retail_en"), Errc::NotFound));
}

TEST_P(QueuesTest, DefaultsToEightyTwentyAndFiveSecondShortAbandon) {
  auto created = createQueue(session(), clock_, queue("retail_zh"));
  ASSERT_TRUE(isOk(created));
  EXPECT_EQ(created->serviceLevelTarget, 80);
  EXPECT_EQ(created->serviceLevelThreshold, 20s);
  EXPECT_EQ(created->shortAbandon, 5s);
}

TEST_P(QueuesTest, RejectsBadValuesNamingTheField) {
  Queue q = queue("retail_zh");
  q.serviceLevelTarget = 0;
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, q), Errc::ValidationFailed,
                        "service_level_target:"));
  q.serviceLevelTarget = 101;
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, q), Errc::ValidationFailed,
                        "service_level_target:"));
  q = queue("retail_zh");
  q.serviceLevelThreshold = 0s;
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, q), Errc::ValidationFailed,
                        "service_level_threshold_seconds:"));
  q = queue("retail_zh");
  q.shortAbandon = -1s;
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, q), Errc::ValidationFailed,
                        "short_abandon_seconds:"));
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, queue("retail_zh", {"mortgage"})),
                        Errc::ValidationFailed, "skills: unknown skill 'mortgage'"));
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, queue("retail_zh", {"vip", "vip"})),
                        Errc::ValidationFailed, "skills: 'vip' is listed twice"));
  EXPECT_TRUE(
      failsWith(createQueue(session(), clock_, queue("")), Errc::ValidationFailed, "code:"));
  EXPECT_TRUE(failsWith(getQueue(session(), "retail_zh"), Errc::NotFound));
}

TEST_P(QueuesTest, UpdatesDisablesAndLists) {
  auto created = createQueue(session(), clock_, queue("retail_zh"));
  ASSERT_TRUE(isOk(created));
  Queue change = *created;
  change.serviceLevelTarget = 85;
  change.skills = {"english"};
  auto updated = updateQueue(session(), clock_, change);
  ASSERT_TRUE(isOk(updated));
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->serviceLevelTarget, 85);
  EXPECT_EQ(updated->skills, (std::vector<std::string>{"english"}));
  EXPECT_TRUE(failsWith(updateQueue(session(), clock_, change), Errc::VersionMismatch));
  auto disabled = setQueueActive(session(), clock_, "retail_zh", false, 2);
  ASSERT_TRUE(isOk(disabled));
  EXPECT_FALSE(disabled->active);
  EXPECT_EQ(disabled->version, 3);

  for (const char* code : {"q_c", "q_a", "q_b"}) {
    ASSERT_TRUE(isOk(createQueue(session(), clock_, queue(code, {"retail", "vip"}))));
  }
  int pages = 0;
  auto all =
      readAll<Queue>([&](const PageRequest& r) { return listQueues(session(), r); }, 2, &pages);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(all[0].code, "q_a");
  EXPECT_EQ(all[0].skills, (std::vector<std::string>{"retail", "vip"}));
  EXPECT_EQ(all[3].code, "retail_zh");
  EXPECT_EQ(all[3].skills, (std::vector<std::string>{"english"}));
  auto active = listQueues(session(), PageRequest{50, "", true});
  ASSERT_TRUE(isOk(active));
  EXPECT_EQ(active->items.size(), 3u);
}

/// Reason codes and wrap-up codes share one implementation: run everything on both lists.
class CodesTest : public testing::MigratedStoreTest {
 protected:
  static LabelledCode code(std::string c) { return LabelledCode{0, std::move(c), "午餐", "Lunch"}; }
};

TEST_P(CodesTest, ReasonAndWrapupListsAreSeparate) {
  ASSERT_TRUE(isOk(createCode(session(), clock_, CodeKind::Reason, code("lunch"))));
  EXPECT_TRUE(failsWith(getCode(session(), CodeKind::Wrapup, "lunch"), Errc::NotFound,
                        "no wrap-up code 'lunch'"));
  ASSERT_TRUE(isOk(createCode(session(), clock_, CodeKind::Wrapup, code("lunch"))));
  EXPECT_TRUE(failsWith(createCode(session(), clock_, CodeKind::Reason, code("lunch")),
                        Errc::Conflict, "reason code 'lunch' already exists"));
  auto counts = countOrganisation(session());
  ASSERT_TRUE(isOk(counts));
  EXPECT_EQ(counts->reasonCodes, 1);
  EXPECT_EQ(counts->wrapupCodes, 1);
}

TEST_P(CodesTest, FullLifecycleOnBothLists) {
  for (CodeKind kind : {CodeKind::Reason, CodeKind::Wrapup}) {
    SCOPED_TRACE(kind == CodeKind::Reason ? "reason" : "wrapup");
    auto created = createCode(session(), clock_, kind, code("training"));
    ASSERT_TRUE(isOk(created));
    EXPECT_EQ(created->version, 1);
    auto read = getCode(session(), kind, "training");
    ASSERT_TRUE(isOk(read));
    EXPECT_EQ(read->labelZh, "午餐");

    LabelledCode change = *read;
    change.labelZh = "培训";
    change.labelEn = "Training";
    auto updated = updateCode(session(), clock_, kind, change);
    ASSERT_TRUE(isOk(updated));
    EXPECT_EQ(updated->version, 2);
    EXPECT_EQ(updated->labelEn, "Training");
    EXPECT_TRUE(failsWith(updateCode(session(), clock_, kind, change), Errc::VersionMismatch));

    auto disabled = setCodeActive(session(), clock_, kind, "training", false, 2);
    ASSERT_TRUE(isOk(disabled));
    EXPECT_FALSE(disabled->active);
    EXPECT_TRUE(
        failsWith(setCodeActive(session(), clock_, kind, "nothing", false, 1), Errc::NotFound));

    EXPECT_TRUE(failsWith(createCode(session(), clock_, kind, code("Lunch Break")),
                          Errc::ValidationFailed, "code:"));
    LabelledCode noLabel = code("meeting");
    noLabel.labelEn = "";
    EXPECT_TRUE(failsWith(createCode(session(), clock_, kind, noLabel), Errc::ValidationFailed,
                          "label_en:"));

    for (const char* c : {"break", "meeting", "coaching"}) {
      ASSERT_TRUE(isOk(createCode(session(), clock_, kind, code(c))));
    }
    int pages = 0;
    auto all = readAll<LabelledCode>(
        [&](const PageRequest& r) { return listCodes(session(), kind, r); }, 3, &pages);
    std::vector<std::string> seen;
    for (const LabelledCode& c : all) seen.push_back(c.code);
    EXPECT_EQ(seen, (std::vector<std::string>{"break", "coaching", "meeting", "training"}));
    EXPECT_EQ(pages, 2);
  }
}

BANKCC_STORE_BACKENDS(QueuesTest);
BANKCC_STORE_BACKENDS(CodesTest);

}  // namespace
}  // namespace bankcc::store
