// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <functional>
#include <span>
#include <utility>

#include "store/migrations.h"
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
    for (std::string& s : skills) q.skillNeeds.push_back({std::move(s), 1});
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
  EXPECT_EQ(created->skillCodes(), (std::vector<std::string>{"retail", "vip"}));
  auto read = getQueue(session(), "retail_zh");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->nameEn, "Retail (Chinese)");
  EXPECT_EQ(read->skillNeeds, created->skillNeeds);
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
  EXPECT_EQ(created->serviceLevelVariant, ServiceLevelVariant::AbandonsAgainst);
}

TEST_P(QueuesTest, StoresTheServiceLevelVariant) {
  Queue q = queue("retail_zh");
  q.serviceLevelVariant = ServiceLevelVariant::IgnoreAbandons;
  auto created = createQueue(session(), clock_, q);
  ASSERT_TRUE(isOk(created));
  EXPECT_EQ(created->serviceLevelVariant, ServiceLevelVariant::IgnoreAbandons);
  auto read = getQueue(session(), "retail_zh");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->serviceLevelVariant, ServiceLevelVariant::IgnoreAbandons);

  Queue change = *read;
  change.serviceLevelVariant = ServiceLevelVariant::AbandonsInFavour;
  auto updated = updateQueue(session(), clock_, change);
  ASSERT_TRUE(isOk(updated));
  EXPECT_EQ(updated->serviceLevelVariant, ServiceLevelVariant::AbandonsInFavour);
  ASSERT_TRUE(isOk(createQueue(session(), clock_, queue("retail_en"))));
  auto page = listQueues(session(), PageRequest{});
  ASSERT_TRUE(isOk(page));
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].serviceLevelVariant, ServiceLevelVariant::AbandonsAgainst);
  EXPECT_EQ(page->items[1].serviceLevelVariant, ServiceLevelVariant::AbandonsInFavour);
  // Enabling or disabling keeps it.
  auto disabled = setQueueActive(session(), clock_, "retail_zh", false, updated->version);
  ASSERT_TRUE(isOk(disabled));
  EXPECT_EQ(disabled->serviceLevelVariant, ServiceLevelVariant::AbandonsInFavour);
}

TEST_P(QueuesTest, RejectsAnUnknownServiceLevelVariant) {
  Queue q = queue("retail_zh");
  q.serviceLevelVariant = static_cast<ServiceLevelVariant>(7);
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, q), Errc::ValidationFailed,
                        "service_level_variant: must be ignore_abandons, abandons_against or "
                        "abandons_in_favour"));
  EXPECT_TRUE(failsWith(getQueue(session(), "retail_zh"), Errc::NotFound)) << "nothing written";
  auto created = createQueue(session(), clock_, queue("retail_zh"));
  ASSERT_TRUE(isOk(created));
  Queue change = *created;
  change.serviceLevelVariant = static_cast<ServiceLevelVariant>(-1);
  EXPECT_TRUE(failsWith(updateQueue(session(), clock_, change), Errc::ValidationFailed,
                        "service_level_variant:"));
  // The table refuses a name the repository would not read back.
  EXPECT_THROW(session() << "UPDATE queues SET service_level_variant = 'abandons_ignored'",
               soci::soci_error);
  auto read = getQueue(session(), "retail_zh");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->serviceLevelVariant, ServiceLevelVariant::AbandonsAgainst);
  EXPECT_EQ(read->version, 1);
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
                        Errc::ValidationFailed, "skill_needs: unknown skill 'mortgage'"));
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, queue("retail_zh", {"vip", "vip"})),
                        Errc::ValidationFailed, "skill_needs: 'vip' is listed twice"));
  EXPECT_TRUE(
      failsWith(createQueue(session(), clock_, queue("")), Errc::ValidationFailed, "code:"));
  EXPECT_TRUE(failsWith(getQueue(session(), "retail_zh"), Errc::NotFound));
}

TEST_P(QueuesTest, UpdatesDisablesAndLists) {
  auto created = createQueue(session(), clock_, queue("retail_zh"));
  ASSERT_TRUE(isOk(created));
  Queue change = *created;
  change.serviceLevelTarget = 85;
  change.skillNeeds = {{"english", 3}};
  auto updated = updateQueue(session(), clock_, change);
  ASSERT_TRUE(isOk(updated));
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->serviceLevelTarget, 85);
  EXPECT_EQ(updated->skillNeeds, (std::vector<QueueSkillNeed>{{"english", 3}}));
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
  EXPECT_EQ(all[0].skillCodes(), (std::vector<std::string>{"retail", "vip"}));
  EXPECT_EQ(all[3].code, "retail_zh");
  EXPECT_EQ(all[3].skillNeeds, (std::vector<QueueSkillNeed>{{"english", 3}}));
  auto active = listQueues(session(), PageRequest{50, "", true});
  ASSERT_TRUE(isOk(active));
  EXPECT_EQ(active->items.size(), 3u);
}

/// A queue with every routing field away from its default.
Queue routed(Queue q) {
  q.skillNeeds = {{"vip", 4}, {"retail", 2}};
  q.dnis = {"95588", "+862195588", "*88#"};
  q.language = "zh";
  q.routingPolicy = RoutingPolicy::MostSkilled;
  q.aging = 30s;
  q.maxSize = 50;
  q.maxWait = 600s;
  q.fallback = "sip:overflow@10.0.0.5";
  q.overflowSteps = {{30s, OverflowStep::Kind::Widen, 2, ""},
                     {90s, OverflowStep::Kind::MoveTo, 1, "retail_en"},
                     {300s, OverflowStep::Kind::LeaveTo, 1, "voicemail"}};
  q.ringTimeout = 15s;
  q.wrapUp = 0s;
  q.readyAfterWrapUp = false;
  q.music = "vip_music";
  q.closedPrompt = "vip-closed.v2";
  q.averageHandleTime = 300s;
  return q;
}

TEST_P(QueuesTest, StoresEveryRoutingField) {
  ASSERT_TRUE(isOk(createQueue(session(), clock_, queue("retail_en"))));
  auto created = createQueue(session(), clock_, routed(queue("vip_zh")));
  ASSERT_TRUE(isOk(created));
  for (const auto& q : {*created, getQueue(session(), "vip_zh").value()}) {
    EXPECT_EQ(q.skillNeeds, (std::vector<QueueSkillNeed>{{"retail", 2}, {"vip", 4}}));  // sorted
    EXPECT_EQ(q.dnis, (std::vector<std::string>{"*88#", "+862195588", "95588"}));       // sorted
    EXPECT_EQ(q.language, "zh");
    EXPECT_EQ(q.routingPolicy, RoutingPolicy::MostSkilled);
    EXPECT_EQ(q.aging, 30s);
    EXPECT_EQ(q.maxSize, 50);
    EXPECT_EQ(q.maxWait, 600s);
    EXPECT_EQ(q.fallback, "sip:overflow@10.0.0.5");
    EXPECT_EQ(q.overflowSteps, routed(queue("x")).overflowSteps);
    EXPECT_EQ(q.ringTimeout, 15s);
    EXPECT_EQ(q.wrapUp, 0s);
    EXPECT_FALSE(q.readyAfterWrapUp);
    EXPECT_EQ(q.music, "vip_music");
    EXPECT_EQ(q.closedPrompt, "vip-closed.v2");
    EXPECT_EQ(q.averageHandleTime, 300s);
  }

  // A replacement replaces the lists; a list page carries them too.
  Queue change = *created;
  change.dnis = {"95599"};
  change.overflowSteps = {{45s, OverflowStep::Kind::Widen, 1, ""}};
  change.language.clear();
  change.fallback.clear();
  change.maxWait = 0s;
  auto updated = updateQueue(session(), clock_, change);
  ASSERT_TRUE(isOk(updated));
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->dnis, (std::vector<std::string>{"95599"}));
  EXPECT_EQ(updated->overflowSteps, change.overflowSteps);
  EXPECT_EQ(updated->language, "");
  EXPECT_EQ(updated->fallback, "");
  auto page = listQueues(session(), PageRequest{});
  ASSERT_TRUE(isOk(page));
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].code, "retail_en");
  EXPECT_TRUE(page->items[0].dnis.empty());
  EXPECT_TRUE(page->items[0].overflowSteps.empty());
  EXPECT_EQ(page->items[1].dnis, updated->dnis);
  EXPECT_EQ(page->items[1].overflowSteps, updated->overflowSteps);
  EXPECT_EQ(page->items[1].skillNeeds, updated->skillNeeds);
}

TEST_P(QueuesTest, RoutingFieldsDefaultAsCallControlExpects) {
  auto created = createQueue(session(), clock_, queue("retail_zh"));
  ASSERT_TRUE(isOk(created));
  EXPECT_EQ(created->skillNeeds, (std::vector<QueueSkillNeed>{{"retail", 1}}));
  EXPECT_TRUE(created->dnis.empty());
  EXPECT_EQ(created->language, "");
  EXPECT_EQ(created->routingPolicy, RoutingPolicy::LongestIdle);
  EXPECT_EQ(created->aging, 60s);
  EXPECT_EQ(created->maxSize, 0);
  EXPECT_EQ(created->maxWait, 0s);
  EXPECT_EQ(created->fallback, "");
  EXPECT_TRUE(created->overflowSteps.empty());
  EXPECT_EQ(created->ringTimeout, 20s);
  EXPECT_EQ(created->wrapUp, 15s);
  EXPECT_TRUE(created->readyAfterWrapUp);
  EXPECT_EQ(created->music, "moh");
  EXPECT_EQ(created->closedPrompt, "queue_closed");
  EXPECT_EQ(created->averageHandleTime, 180s);
}

TEST_P(QueuesTest, RejectsBadRoutingValuesNamingTheField) {
  ASSERT_TRUE(isOk(createQueue(session(), clock_, queue("retail_en"))));
  const std::vector<std::pair<std::function<void(Queue&)>, std::string>> cases = {
      {[](Queue& q) {
         q.dnis = {"95588", "95x"};
       },
       "dnis[1]: '95x' is not a phone number"},
      {[](Queue& q) { q.dnis = {""}; }, "dnis[0]: '' is not a phone number"},
      {[](Queue& q) { q.dnis = {"+"}; }, "dnis[0]: '+' is not a phone number"},
      {[](Queue& q) { q.dnis = {"9+5"}; }, "dnis[0]:"},
      {[](Queue& q) { q.dnis = {std::string(33, '9')}; }, "dnis[0]:"},
      {[](Queue& q) {
         q.dnis = {"95588", "95588"};
       },
       "dnis[1]: '95588' is listed twice"},
      {[](Queue& q) {
         q.skillNeeds = {{"retail", 0}};
       },
       "skill_needs[0].min_proficiency:"},
      {[](Queue& q) {
         q.skillNeeds = {{"retail", 6}};
       },
       "skill_needs[0].min_proficiency:"},
      {[](Queue& q) { q.language = "ZH"; }, "language: 'ZH' is not a lower-case language tag"},
      {[](Queue& q) { q.aging = -1s; }, "aging_seconds:"},
      {[](Queue& q) { q.aging = 3601s; }, "aging_seconds:"},
      {[](Queue& q) { q.maxSize = -1; }, "max_size:"},
      {[](Queue& q) { q.maxWait = 86401s; }, "max_wait_seconds:"},
      {[](Queue& q) { q.fallback = "voice mail"; }, "fallback: 'voice mail' is not a destination"},
      {[](Queue& q) { q.fallback = std::string(65, '9'); }, "fallback:"},
      {[](Queue& q) { q.ringTimeout = 4s; }, "ring_timeout_seconds: must be 5 to 120 seconds"},
      {[](Queue& q) { q.ringTimeout = 121s; }, "ring_timeout_seconds:"},
      {[](Queue& q) { q.wrapUp = 1801s; }, "wrap_up_seconds:"},
      {[](Queue& q) { q.music = ""; }, "music: '' is not a prompt name"},
      {[](Queue& q) { q.closedPrompt = "../etc/passwd"; }, "closed_prompt:"},
      {[](Queue& q) { q.averageHandleTime = 0s; }, "average_handle_seconds:"},
      {[](Queue& q) {
         q.overflowSteps = {{30s, OverflowStep::Kind::Widen, 1, ""},
                            {30s, OverflowStep::Kind::LeaveTo, 1, "voicemail"}};
       },
       "overflow_steps[1].after_seconds: must be greater than the previous step's (30 s)"},
      {[](Queue& q) {
         q.overflowSteps = {{60s, OverflowStep::Kind::Widen, 1, ""},
                            {30s, OverflowStep::Kind::Widen, 1, ""}};
       },
       "overflow_steps[1].after_seconds:"},
      {[](Queue& q) {
         q.overflowSteps = {{0s, OverflowStep::Kind::Widen, 1, ""}};
       },
       "overflow_steps[0].after_seconds:"},
      {[](Queue& q) {
         q.overflowSteps = {{30s, OverflowStep::Kind::Widen, 0, ""}};
       },
       "overflow_steps[0].min_proficiency:"},
      {[](Queue& q) {
         q.overflowSteps = {{30s, OverflowStep::Kind::Widen, 1, "retail_en"}};
       },
       "overflow_steps[0].target: a widen step has no target"},
      {[](Queue& q) {
         q.overflowSteps = {{30s, OverflowStep::Kind::MoveTo, 1, "retail_zh"}};
       },
       "overflow_steps[0].target: a queue cannot move calls to itself"},
      {[](Queue& q) {
         q.overflowSteps = {{30s, OverflowStep::Kind::MoveTo, 1, "Retail"}};
       },
       "overflow_steps[0].target:"},
      {[](Queue& q) {
         q.overflowSteps = {{30s, OverflowStep::Kind::MoveTo, 1, "nowhere"}};
       },
       "overflow_steps[0].target: unknown queue 'nowhere'"},
      {[](Queue& q) {
         q.overflowSteps = {{30s, OverflowStep::Kind::LeaveTo, 1, ""}};
       },
       "overflow_steps[0].target: '' is not a destination"},
      {[](Queue& q) {
         q.maxWait = 60s;
         q.overflowSteps = {{90s, OverflowStep::Kind::Widen, 1, ""}};
       },
       "overflow_steps[0].after_seconds: 90 s is after max_wait_seconds (60 s)"},
  };
  for (const auto& [change, message] : cases) {
    Queue q = queue("retail_zh");
    change(q);
    EXPECT_TRUE(failsWith(createQueue(session(), clock_, q), Errc::ValidationFailed, message))
        << message;
  }
  EXPECT_TRUE(failsWith(getQueue(session(), "retail_zh"), Errc::NotFound)) << "nothing written";
  // Edge values are fine.
  Queue edges = queue("retail_zh");
  edges.aging = 0s;
  edges.maxWait = 60s;
  edges.overflowSteps = {{60s, OverflowStep::Kind::LeaveTo, 1, "+8613800138000"}};
  edges.ringTimeout = 5s;
  edges.wrapUp = 1800s;
  edges.dnis = {"#", std::string(32, '9')};
  edges.language = "zh-min";
  EXPECT_TRUE(isOk(createQueue(session(), clock_, edges)));
}

TEST_P(QueuesTest, ANumberReachesOneQueueOnly) {
  Queue a = queue("retail_zh");
  a.dnis = {"95588", "95599"};
  auto first = createQueue(session(), clock_, a);
  ASSERT_TRUE(isOk(first));
  Queue b = queue("retail_en");
  b.dnis = {"4008895588", "95599"};
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, b), Errc::Conflict,
                        "dnis[1]: '95599' already reaches queue 'retail_zh'"));
  EXPECT_TRUE(failsWith(getQueue(session(), "retail_en"), Errc::NotFound)) << "rolled back";

  // Keeping its own numbers is no conflict; giving one up frees it for another queue.
  Queue keep = *first;
  keep.nameEn = "Renamed";
  auto kept = updateQueue(session(), clock_, keep);
  ASSERT_TRUE(isOk(kept));
  EXPECT_EQ(kept->dnis, a.dnis);
  Queue giveUp = *kept;
  giveUp.dnis = {"95588"};
  ASSERT_TRUE(isOk(updateQueue(session(), clock_, giveUp)));
  auto second = createQueue(session(), clock_, b);
  ASSERT_TRUE(isOk(second));
  EXPECT_EQ(second->dnis, (std::vector<std::string>{"4008895588", "95599"}));
  // A disabled queue keeps its numbers.
  ASSERT_TRUE(isOk(setQueueActive(session(), clock_, "retail_en", false, 1)));
  Queue c = queue("corporate");
  c.dnis = {"4008895588"};
  EXPECT_TRUE(failsWith(createQueue(session(), clock_, c), Errc::Conflict,
                        "already reaches queue 'retail_en'"));
}

TEST_P(QueuesTest, MoveToStepsNameExistingQueues) {
  ASSERT_TRUE(isOk(createQueue(session(), clock_, queue("retail_en"))));
  Queue a = queue("retail_zh");
  a.overflowSteps = {{60s, OverflowStep::Kind::MoveTo, 1, "retail_en"}};
  ASSERT_TRUE(isOk(createQueue(session(), clock_, a)));
  // A disabled target is still a queue (call control treats it as closed).
  ASSERT_TRUE(isOk(setQueueActive(session(), clock_, "retail_en", false, 1)));
  auto read = getQueue(session(), "retail_zh");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->overflowSteps, a.overflowSteps);
  // Two queues may move calls to each other.
  auto en = getQueue(session(), "retail_en");
  ASSERT_TRUE(isOk(en));
  Queue back = *en;
  back.overflowSteps = {{120s, OverflowStep::Kind::MoveTo, 1, "retail_zh"}};
  EXPECT_TRUE(isOk(updateQueue(session(), clock_, back)));
}

TEST_P(QueuesTest, NamesOfPoliciesAndStepKinds) {
  for (auto p :
       {RoutingPolicy::LongestIdle, RoutingPolicy::MostSkilled, RoutingPolicy::RoundRobin}) {
    EXPECT_EQ(parseRoutingPolicy(routingPolicyName(p)), p);
  }
  EXPECT_EQ(routingPolicyName(RoutingPolicy::MostSkilled), "most_skilled");
  EXPECT_FALSE(parseRoutingPolicy("random"));
  for (auto k :
       {OverflowStep::Kind::Widen, OverflowStep::Kind::MoveTo, OverflowStep::Kind::LeaveTo}) {
    EXPECT_EQ(parseOverflowKind(overflowKindName(k)), k);
  }
  EXPECT_EQ(overflowKindName(OverflowStep::Kind::LeaveTo), "leave_to");
  EXPECT_FALSE(parseOverflowKind("Widen"));
  for (auto v : {ServiceLevelVariant::IgnoreAbandons, ServiceLevelVariant::AbandonsAgainst,
                 ServiceLevelVariant::AbandonsInFavour}) {
    EXPECT_EQ(parseServiceLevelVariant(serviceLevelVariantName(v)), v);
  }
  EXPECT_EQ(serviceLevelVariantName(ServiceLevelVariant::IgnoreAbandons), "ignore_abandons");
  EXPECT_EQ(serviceLevelVariantName(ServiceLevelVariant::AbandonsAgainst), "abandons_against");
  EXPECT_EQ(serviceLevelVariantName(ServiceLevelVariant::AbandonsInFavour), "abandons_in_favour");
  EXPECT_FALSE(parseServiceLevelVariant("abandons_in_favor"));
  EXPECT_FALSE(parseServiceLevelVariant(""));
}

/// A queue stored before migration 0005 gets the routing defaults and keeps its skills.
class QueueMigrationTest : public testing::StoreTest {};

TEST_P(QueueMigrationTest, QueuesFromBeforeRoutingGetTheDefaults) {
  const auto& all = builtinMigrations();
  ASSERT_GE(all.size(), 5u);
  ASSERT_EQ(all[4].name, "routing");
  ASSERT_TRUE(isOk(migrate(session(), GetParam(), std::span(all).first(4), clock_)));
  session() << "INSERT INTO skills (code, name_zh, name_en, created_at, updated_at) "
               "VALUES ('retail', '零售', 'Retail', 0, 0)";
  session() << "INSERT INTO queues (code, name_zh, name_en, created_at, updated_at) "
               "VALUES ('old_q', '旧', 'Old', 0, 0)";
  session() << "INSERT INTO queue_skills (queue_id, skill_id) SELECT q.id, s.id FROM queues q, "
               "skills s";
  ASSERT_TRUE(isOk(migrate(session(), GetParam())));
  auto q = getQueue(session(), "old_q");
  ASSERT_TRUE(isOk(q));
  EXPECT_EQ(q->skillNeeds, (std::vector<QueueSkillNeed>{{"retail", 1}}));
  EXPECT_EQ(q->routingPolicy, RoutingPolicy::LongestIdle);
  EXPECT_EQ(q->aging, 60s);
  EXPECT_EQ(q->ringTimeout, 20s);
  EXPECT_EQ(q->wrapUp, 15s);
  EXPECT_TRUE(q->readyAfterWrapUp);
  EXPECT_EQ(q->music, "moh");
  EXPECT_TRUE(q->dnis.empty());
  EXPECT_EQ(q->version, 1);
}

/// A queue stored before migration 0010 reports in the variant it always did.
TEST_P(QueueMigrationTest, QueuesFromBeforeTheVariantKeepAbandonsAgainst) {
  const auto& all = builtinMigrations();
  ASSERT_GE(all.size(), 10u);
  ASSERT_EQ(all[9].name, "service_level_variant");
  ASSERT_TRUE(isOk(migrate(session(), GetParam(), std::span(all).first(9), clock_)));
  session() << "INSERT INTO queues (code, name_zh, name_en, created_at, updated_at) "
               "VALUES ('old_q', '旧', 'Old', 0, 0)";
  ASSERT_TRUE(isOk(migrate(session(), GetParam())));
  auto q = getQueue(session(), "old_q");
  ASSERT_TRUE(isOk(q));
  EXPECT_EQ(q->serviceLevelVariant, ServiceLevelVariant::AbandonsAgainst);
  EXPECT_EQ(q->version, 1);
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
BANKCC_STORE_BACKENDS(QueueMigrationTest);
BANKCC_STORE_BACKENDS(CodesTest);

}  // namespace
}  // namespace bankcc::store
