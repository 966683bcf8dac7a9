// SPDX-License-Identifier: Apache-2.0
#include "acd/acd.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "acd/acd_test_support.h"

namespace bankcc::acd {
namespace {

using namespace std::chrono_literals;
using test::kT0;
using test::makeAgent;
using test::makeQueue;
using Kind = StepDue::Kind;

TEST(AcdNamesTest, PolicyAndOutcomeNamesRoundTrip) {
  for (auto p :
       {RoutingPolicy::LongestIdle, RoutingPolicy::MostSkilled, RoutingPolicy::RoundRobin}) {
    EXPECT_EQ(parseRoutingPolicy(routingPolicyName(p)), p);
  }
  EXPECT_EQ(routingPolicyName(RoutingPolicy::MostSkilled), "most_skilled");
  EXPECT_FALSE(parseRoutingPolicy("fastest").has_value());
  EXPECT_EQ(joinOutcomeName(JoinOutcome::NoMembers), "no_members");
  EXPECT_EQ(joinOutcomeName(JoinOutcome::Queued), "queued");
}

class AcdTest : public test::AcdFixture {};

// --- policies --------------------------------------------------------------------------------

TEST_F(AcdTest, LongestIdlePrefersTheAgentIdleLongest) {
  addQueue(makeQueue("retail", {{"retail", 1}}));
  addAgent(makeAgent("a1", {{"retail", 3}}));
  addAgent(makeAgent("a2", {{"retail", 3}}));
  addAgent(makeAgent("a3", {{"retail", 3}}));
  available("a1", kT0 + 20s);
  available("a2", kT0 + 5s);
  available("a3", kT0 + 10s);
  join("c1", "retail", 0, kT0 + 30s);
  EXPECT_EQ(routeCall("c1", kT0 + 30s), "a2");
}

TEST_F(AcdTest, TiesBetweenAgentsGoToTheFirstAgentTheAcdSaw) {
  addQueue(makeQueue("retail", {{"retail", 1}}));
  addAgent(makeAgent("a9", {{"retail", 3}}));
  addAgent(makeAgent("a1", {{"retail", 3}}));
  available("a1", kT0);
  available("a9", kT0);
  join("c1", "retail", 0, kT0 + 1s);
  EXPECT_EQ(routeCall("c1", kT0 + 1s), "a9");  // seen first, not sorted by number
  // Replacing an agent keeps their ordinal; removing and re-adding does too.
  addAgent(makeAgent("a9", {{"retail", 2}}));
  EXPECT_EQ(routeCall("c1", kT0 + 1s), "a9");
  ASSERT_TRUE(acd_.removeAgent("a9").ok());
  addAgent(makeAgent("a9", {{"retail", 2}}));
  available("a9", kT0);
  EXPECT_EQ(routeCall("c1", kT0 + 1s), "a9");
}

TEST_F(AcdTest, MostSkilledPrefersTheHighestSummedProficiencyThenLongestIdle) {
  addQueue(makeQueue("wealth", {{"wealth", 1}, {"fx", 1}}, RoutingPolicy::MostSkilled));
  addAgent(makeAgent("a1", {{"wealth", 3}, {"fx", 3}}));  // 6
  addAgent(makeAgent("a2", {{"wealth", 5}, {"fx", 4}}));  // 9
  addAgent(makeAgent("a3", {{"wealth", 4}, {"fx", 5}}));  // 9, idle longer
  addAgent(makeAgent("a4", {{"wealth", 5}}));             // not a member
  available("a1", kT0);
  available("a2", kT0 + 10s);
  available("a3", kT0 + 5s);
  available("a4", kT0);
  join("c1", "wealth", 0, kT0 + 20s);
  Explanation why;
  ASSERT_EQ(acd_.routeCall("c1", kT0 + 20s, &why)->agentNo, "a3");
  EXPECT_EQ(why.rule, "most_skilled in queue wealth");
  ASSERT_EQ(why.candidates.size(), 3u);
  EXPECT_EQ(why.candidates[0].note, "proficiency 9, idle 15 s");
  EXPECT_EQ(why.candidates[1].id, "a2");
  EXPECT_EQ(why.candidates[2].id, "a1");
  ASSERT_TRUE(acd_.setUnavailable("a3").ok());
  EXPECT_EQ(routeCall("c1", kT0 + 20s), "a2");
}

TEST_F(AcdTest, RoundRobinOffersToTheAgentOfferedLeastRecently) {
  addQueue(makeQueue("cards", {{"cards", 1}}, RoutingPolicy::RoundRobin));
  for (const char* no : {"a1", "a2", "a3"}) addAgent(makeAgent(no, {{"cards", 3}}));
  // a3 has been idle longest, but round robin ignores idle time: never offered first, by
  // ordinal.
  available("a1", kT0 + 3s);
  available("a2", kT0 + 2s);
  available("a3", kT0 + 1s);
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    const std::string id = "c" + std::to_string(i);
    const SysTime t = kT0 + 10s + std::chrono::seconds(i);
    join(id, "cards", 0, t);
    const std::string agent = routeCall(id, t);
    ASSERT_FALSE(agent.empty());
    order.push_back(agent);
    ASSERT_TRUE(acd_.offer(id, agent).ok());
    acd_.remove(id);
    available(agent, t);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a1", "a2", "a3", "a1", "a2", "a3"}));
}

// --- skills, proficiency, language -----------------------------------------------------------

TEST_F(AcdTest, ProficiencyBelowTheNeedWaitsForTheWidenStep) {
  QueueConfig q = makeQueue("loans", {{"loans", 4}, {"retail", 1}});
  q.steps = {{30s, OverflowStep::Kind::Widen, 2, ""}};
  addQueue(q);
  addAgent(makeAgent("junior", {{"loans", 2}, {"retail", 5}}));
  addAgent(makeAgent("novice", {{"loans", 1}, {"retail", 5}}));
  available("junior", kT0);
  available("novice", kT0 - 1s);
  EXPECT_EQ(join("c1", "loans", 0, kT0), JoinOutcome::Queued);
  EXPECT_EQ(routeCall("c1", kT0 + 1s), "");
  EXPECT_EQ(routeAgent("junior", kT0 + 1s), "");
  EXPECT_EQ(acd_.nextDeadline(), kT0 + 30s);
  const auto due = acd_.advance(kT0 + 30s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, Kind::Widened);
  EXPECT_EQ(due[0].callId, "c1");
  EXPECT_EQ(due[0].fromQueue, "loans");
  EXPECT_EQ(routeCall("c1", kT0 + 30s), "junior");  // novice (loans 1) still short
  EXPECT_EQ(routeAgent("junior", kT0 + 30s), "c1");
  EXPECT_EQ(routeAgent("novice", kT0 + 30s), "");
}

TEST_F(AcdTest, AnAgentWithoutTheSkillOrLanguageIsNoMember) {
  QueueConfig en = makeQueue("retail_en", {{"retail", 1}});
  en.language = "en";
  addQueue(en);
  addQueue(makeQueue("retail_any", {{"retail", 1}}));
  addAgent(makeAgent("zh_only", {{"retail", 5}}, {"zh"}));
  addAgent(makeAgent("no_skill", {{"loans", 5}}, {"en"}));
  available("zh_only", kT0);
  available("no_skill", kT0);
  EXPECT_EQ(join("c1", "retail_en", 0, kT0), JoinOutcome::NoMembers);
  EXPECT_TRUE(acd_.knowsCall("c1"));  // NoMembers still waits: the core decides
  EXPECT_EQ(routeCall("c1", kT0), "");
  EXPECT_EQ(join("c2", "retail_any", 0, kT0), JoinOutcome::Queued);
  EXPECT_EQ(routeCall("c2", kT0), "zh_only");
  addAgent(makeAgent("bilingual", {{"retail", 2}}, {"zh", "en"}));
  available("bilingual", kT0);
  EXPECT_EQ(routeCall("c1", kT0), "bilingual");
}

// --- priority and aging ----------------------------------------------------------------------

TEST_F(AcdTest, VipOvertakesNormalCallers) {
  addQueue(makeQueue("retail", {{"retail", 1}}));
  addAgent(makeAgent("a1", {{"retail", 3}}));
  join("c1", "retail", 0, kT0);
  join("c2", "retail", 0, kT0 + 1s);
  join("vip", "retail", 2, kT0 + 2s);
  available("a1", kT0 + 3s);
  EXPECT_EQ(routeAgent("a1", kT0 + 3s), "vip");
  EXPECT_EQ(acd_.position("vip", kT0 + 3s)->position, 1);
  EXPECT_EQ(acd_.position("c1", kT0 + 3s)->position, 2);
  EXPECT_EQ(acd_.position("c2", kT0 + 3s)->position, 3);
}

TEST_F(AcdTest, AgingLetsALongWaitingCallerBeatAFreshVip) {
  QueueConfig q = makeQueue("retail", {{"retail", 1}});
  q.agingStep = 60s;
  addQueue(q);
  addAgent(makeAgent("a1", {{"retail", 3}}));
  join("old", "retail", 0, kT0);
  join("vip", "retail", 1, kT0 + 50s);
  available("a1", kT0 + 55s);
  // At 55 s: old 0 + 55/60 = 0.92, vip 1 + 5/60 = 1.08.
  EXPECT_EQ(routeAgent("a1", kT0 + 55s), "vip");
  // Remove the VIP; a fresh one arrives at 100 s. old 100/60 = 1.67 > vip 1.
  acd_.remove("vip");
  join("vip2", "retail", 1, kT0 + 100s);
  EXPECT_EQ(routeAgent("a1", kT0 + 100s), "old");
  EXPECT_EQ(acd_.position("vip2", kT0 + 100s)->position, 2);
}

TEST_F(AcdTest, EqualEffectivePriorityGoesToTheEarlierArrival) {
  QueueConfig q = makeQueue("retail", {{"retail", 1}});
  q.agingStep = 60s;
  addQueue(q);
  addAgent(makeAgent("a1", {{"retail", 3}}));
  join("vip", "retail", 1, kT0 + 60s);  // enqueued first, arrived later
  join("old", "retail", 0, kT0, kT0 + 60s);
  available("a1", kT0 + 61s);
  EXPECT_EQ(routeAgent("a1", kT0 + 61s), "old");  // both 1 + 1/60
}

TEST_F(AcdTest, WithoutAgingPriorityIsStrict) {
  QueueConfig q = makeQueue("retail", {{"retail", 1}});
  q.agingStep = 0s;
  addQueue(q);
  addAgent(makeAgent("a1", {{"retail", 3}}));
  join("old", "retail", 0, kT0);
  join("vip", "retail", 1, kT0 + 10h);
  available("a1", kT0 + 10h + 1s);
  EXPECT_EQ(routeAgent("a1", kT0 + 10h + 1s), "vip");
}

TEST_F(AcdTest, AnAgentInSeveralQueuesGetsTheOldestCallOfTheHighestEffectivePriority) {
  QueueConfig retail = makeQueue("retail", {{"retail", 1}});
  retail.agingStep = 0s;
  QueueConfig loans = makeQueue("loans", {{"loans", 1}});
  loans.agingStep = 0s;
  addQueue(retail);
  addQueue(loans);
  addAgent(makeAgent("a1", {{"retail", 3}, {"loans", 3}}));
  join("r1", "retail", 0, kT0 + 10s);
  join("l1", "loans", 0, kT0 + 5s);
  join("r2", "retail", 0, kT0 + 1s, kT0 + 20s);  // arrived earliest, enqueued last
  available("a1", kT0 + 30s);
  EXPECT_EQ(routeAgent("a1", kT0 + 30s), "r2");
  acd_.remove("r2");
  EXPECT_EQ(routeAgent("a1", kT0 + 30s), "l1");
  join("l2vip", "loans", 1, kT0 + 31s);
  EXPECT_EQ(routeAgent("a1", kT0 + 31s), "l2vip");
}

TEST_F(AcdTest, CrossQueueComparesEffectivePriorityExactlyAcrossAgingSteps) {
  QueueConfig fast = makeQueue("fast", {{"s", 1}});
  fast.agingStep = 30s;
  QueueConfig slow = makeQueue("slow", {{"s", 1}});
  slow.agingStep = 90s;
  addQueue(fast);
  addQueue(slow);
  addAgent(makeAgent("a1", {{"s", 3}}));
  join("f", "fast", 0, kT0 + 60s);  // at 90 s: 30/30 = 1
  join("s", "slow", 0, kT0);        // at 90 s: 90/90 = 1, arrived earlier
  available("a1", kT0 + 90s);
  EXPECT_EQ(routeAgent("a1", kT0 + 90s), "s");
  EXPECT_EQ(routeAgent("a1", kT0 + 91s), "f");  // 31/30 > 91/90
}

// --- offers ----------------------------------------------------------------------------------

TEST_F(AcdTest, AReleasedCallKeepsItsPlace) {
  addQueue(makeQueue("retail", {{"retail", 1}}));
  for (const char* no : {"a1", "a2", "a3"}) addAgent(makeAgent(no, {{"retail", 3}}));
  join("c1", "retail", 0, kT0);
  join("c2", "retail", 0, kT0 + 1s);
  available("a1", kT0 + 2s);
  ASSERT_EQ(routeAgent("a1", kT0 + 2s), "c1");
  ASSERT_TRUE(acd_.offer("c1", "a1").ok());
  EXPECT_EQ(routeCall("c1", kT0 + 2s), "");               // offered: not routable
  EXPECT_EQ(acd_.position("c2", kT0 + 2s)->position, 2);  // the offered call is ahead
  available("a2", kT0 + 3s);
  EXPECT_EQ(routeAgent("a2", kT0 + 3s), "c2");
  ASSERT_TRUE(acd_.release("c1").ok());
  EXPECT_EQ(acd_.position("c1", kT0 + 20s)->position, 1);
  EXPECT_EQ(routeAgent("a2", kT0 + 20s), "c1");
  EXPECT_EQ(routeAgent("a1", kT0 + 20s), "");  // the agent stays unavailable after release
  EXPECT_EQ(acd_.offer("c1", "a1").error().code, base::Errc::Conflict);
}

TEST_F(AcdTest, OfferRefusesWhatIsNotAvailable) {
  addQueue(makeQueue("retail", {{"retail", 1}}));
  addAgent(makeAgent("a1", {{"retail", 3}}));
  addAgent(makeAgent("a2", {{"retail", 3}}));
  join("c1", "retail", 0, kT0);
  join("c2", "retail", 0, kT0);
  EXPECT_EQ(acd_.offer("c1", "a1").error().code, base::Errc::Conflict);  // not available
  EXPECT_EQ(acd_.offer("nope", "a1").error().code, base::Errc::NotFound);
  EXPECT_EQ(acd_.offer("c1", "nobody").error().code, base::Errc::NotFound);
  available("a1", kT0);
  available("a2", kT0);
  ASSERT_TRUE(acd_.offer("c1", "a1").ok());
  EXPECT_EQ(acd_.offer("c1", "a2").error().code, base::Errc::Conflict);  // call offered
  EXPECT_EQ(acd_.setAvailable("a1", kT0).error().code, base::Errc::Conflict);
  EXPECT_EQ(acd_.removeAgent("a1").error().code, base::Errc::Conflict);
  EXPECT_EQ(acd_.release("c2").error().code, base::Errc::Conflict);  // not offered
  EXPECT_EQ(acd_.release("nope").error().code, base::Errc::NotFound);
  acd_.remove("c1");  // answered: the agent is free of the offer, still unavailable
  EXPECT_TRUE(acd_.removeAgent("a1").ok());
  EXPECT_EQ(acd_.waitingCalls(), 1u);
}

TEST_F(AcdTest, ADirectedOfferMayNameAnyAgentWithoutAnOffer) {
  addQueue(makeQueue("retail", {{"retail", 1}}));
  addAgent(makeAgent("a1", {{"retail", 3}}));
  addAgent(makeAgent("sup", {{"cards", 3}}));  // no member of retail, not available
  available("a1", kT0);
  join("c1", "retail", 0, kT0);
  join("c2", "retail", 0, kT0 + 1s);
  EXPECT_EQ(acd_.offer("c1", "sup").error().code, base::Errc::Conflict);  // the router's rule
  ASSERT_TRUE(acd_.offer("c1", "sup", Acd::OfferBy::Directed).ok());
  EXPECT_EQ(routeCall("c1", kT0 + 2s), "");  // offered: not routable
  EXPECT_EQ(acd_.offer("c2", "sup", Acd::OfferBy::Directed).error().code,
            base::Errc::Conflict);  // one offer per agent
  // A directed offer to an available agent takes them out of routing like any offer.
  ASSERT_TRUE(acd_.offer("c2", "a1", Acd::OfferBy::Directed).ok());
  EXPECT_EQ(routeAgent("a1", kT0 + 2s), "");
  ASSERT_TRUE(acd_.release("c1").ok());
  // Waiting again, first of the calls not offered (c2, offered to a1, counts as ahead).
  EXPECT_EQ(acd_.position("c1", kT0 + 3s)->position, 2);
  EXPECT_EQ(acd_.queueSnapshot("retail", kT0 + 3s)->offered, 1);
  acd_.remove("c2");
  EXPECT_EQ(acd_.position("c1", kT0 + 3s)->position, 1);
}

// --- overflow --------------------------------------------------------------------------------

TEST_F(AcdTest, OverflowStepsApplyInTimeOrderThenEnqueueOrder) {
  QueueConfig retail = makeQueue("retail", {{"retail", 1}});
  retail.steps = {{30s, OverflowStep::Kind::Widen, 2, ""},
                  {60s, OverflowStep::Kind::MoveTo, 1, "general"},
                  {90s, OverflowStep::Kind::LeaveTo, 1, "voicemail"}};
  QueueConfig general = makeQueue("general", {{"general", 1}});
  general.maxWait = 45s;
  general.fallback = "ivr_goodbye";
  addQueue(retail);
  addQueue(general);
  join("c1", "retail", 0, kT0);
  join("c2", "retail", 0, kT0);
  join("c3", "retail", 0, kT0 + 10s);
  EXPECT_EQ(acd_.nextDeadline(), kT0 + 30s);
  // One big jump: every item still applies at its own time.
  const auto due = acd_.advance(kT0 + 200s);
  std::vector<std::string> got;
  for (const auto& d : due) got.push_back(test::describe(d));
  EXPECT_EQ(got,
            (std::vector<std::string>{
                "widened c1 retail", "widened c2 retail", "widened c3 retail",
                "moved c1 retail -> general", "moved c2 retail -> general",
                "moved c3 retail -> general", "timed_out c1 general -> ivr_goodbye",
                "timed_out c2 general -> ivr_goodbye", "timed_out c3 general -> ivr_goodbye"}));
  EXPECT_EQ(acd_.waitingCalls(), 0u);
  EXPECT_FALSE(acd_.nextDeadline().has_value());
}

TEST_F(AcdTest, AMovedCallKeepsArrivalAndPriority) {
  QueueConfig retail = makeQueue("retail", {{"retail", 1}});
  retail.steps = {{60s, OverflowStep::Kind::MoveTo, 1, "general"}};
  addQueue(retail);
  addQueue(makeQueue("general", {{"general", 1}}));
  addAgent(makeAgent("g1", {{"general", 3}}));
  join("moved", "retail", 0, kT0);
  join("local", "general", 0, kT0 + 30s);
  const auto due = acd_.advance(kT0 + 60s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(test::describe(due[0]), "moved moved retail -> general");
  available("g1", kT0 + 61s);
  EXPECT_EQ(routeAgent("g1", kT0 + 61s), "moved");  // arrived at 0 s, ahead of 30 s
  EXPECT_EQ(acd_.queueSnapshot("general", kT0 + 61s)->oldestWait, 61s);
}

TEST_F(AcdTest, MoveToAFullClosedOrMissingQueueLeavesForAFallback) {
  QueueConfig a = makeQueue("a", {{"s", 1}});
  a.fallback = "a_fallback";
  a.steps = {{10s, OverflowStep::Kind::MoveTo, 1, "full"}};
  QueueConfig b = makeQueue("b", {{"s", 1}});
  b.fallback = "b_fallback";
  b.steps = {{10s, OverflowStep::Kind::MoveTo, 1, "missing"}};
  QueueConfig c = makeQueue("c", {{"s", 1}});
  c.steps = {{10s, OverflowStep::Kind::MoveTo, 1, "closed"}};
  c.fallback = "c_fallback";
  QueueConfig full = makeQueue("full", {{"s", 1}});
  full.maxSize = 1;
  full.fallback = "full_fallback";
  QueueConfig closed = makeQueue("closed", {{"s", 1}});
  closed.open = false;
  for (const auto& q : {a, b, c, full, closed}) addQueue(q);
  join("x", "full", 0, kT0);
  join("ca", "a", 0, kT0);
  join("cb", "b", 0, kT0);
  join("cc", "c", 0, kT0);
  std::vector<std::string> got;
  for (const auto& d : acd_.advance(kT0 + 10s)) got.push_back(test::describe(d));
  EXPECT_EQ(got, (std::vector<std::string>{"left ca a -> full_fallback", "left cb b -> b_fallback",
                                           "left cc c -> c_fallback"}));
}

TEST_F(AcdTest, AnOfferedCallsStepsWaitUntilItIsReleased) {
  QueueConfig q = makeQueue("retail", {{"retail", 1}});
  q.maxWait = 60s;
  q.fallback = "voicemail";
  addQueue(q);
  addAgent(makeAgent("a1", {{"retail", 3}}));
  join("c1", "retail", 0, kT0);
  available("a1", kT0 + 50s);
  ASSERT_TRUE(acd_.offer("c1", "a1").ok());
  EXPECT_FALSE(acd_.nextDeadline().has_value());
  EXPECT_TRUE(acd_.advance(kT0 + 100s).empty());
  ASSERT_TRUE(acd_.release("c1").ok());
  EXPECT_EQ(acd_.nextDeadline(), kT0 + 60s);  // overdue: applies at the next advance
  const auto due = acd_.advance(kT0 + 101s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(test::describe(due[0]), "timed_out c1 retail -> voicemail");
}

// --- joining ---------------------------------------------------------------------------------

TEST_F(AcdTest, JoinOutcomes) {
  QueueConfig q = makeQueue("retail", {{"retail", 3}});
  q.maxSize = 2;
  q.steps = {{60s, OverflowStep::Kind::Widen, 1, ""}};
  addQueue(q);
  EXPECT_EQ(join("c1", "retail", 0, kT0), JoinOutcome::NoMembers);
  addAgent(makeAgent("weak", {{"retail", 1}}));  // qualifies only after the widen step
  EXPECT_EQ(join("c2", "retail", 0, kT0), JoinOutcome::Queued);
  EXPECT_EQ(join("c3", "retail", 0, kT0), JoinOutcome::Full);
  EXPECT_FALSE(acd_.knowsCall("c3"));
  q.open = false;
  addQueue(q);
  EXPECT_EQ(join("c4", "retail", 0, kT0), JoinOutcome::Closed);
  EXPECT_EQ(acd_.enqueue(test::makeCall("c1", "retail"), kT0).error().code, base::Errc::Conflict);
  EXPECT_EQ(acd_.enqueue(test::makeCall("c5", "nope"), kT0).error().code, base::Errc::NotFound);
}

TEST_F(AcdTest, WithoutWidenStepsAWeakAgentIsNoUse) {
  addQueue(makeQueue("retail", {{"retail", 3}}));
  addAgent(makeAgent("weak", {{"retail", 2}}));
  EXPECT_EQ(join("c1", "retail", 0, kT0), JoinOutcome::NoMembers);
}

// --- preferred agent -------------------------------------------------------------------------

TEST_F(AcdTest, APreferredAgentHasTheCallToThemselvesUntilTheWindowEnds) {
  addQueue(makeQueue("retail", {{"retail", 1}}));
  addAgent(makeAgent("a1", {{"retail", 3}}));
  addAgent(makeAgent("a2", {{"retail", 3}}));
  available("a2", kT0);
  CallEntry e{"c1", "retail", 0, kT0, "a1", kT0 + 60s};
  ASSERT_TRUE(acd_.enqueue(e, kT0).ok());
  join("c2", "retail", 0, kT0 + 1s);
  EXPECT_EQ(routeCall("c1", kT0 + 1s), "");
  Explanation why;
  EXPECT_FALSE(acd_.routeCall("c1", kT0 + 1s, &why).has_value());
  EXPECT_EQ(why.rule, "longest_idle in queue retail, reserved for agent a1 for another 59 s");
  ASSERT_EQ(why.candidates.size(), 1u);
  EXPECT_EQ(why.candidates[0].id, "a2");
  EXPECT_EQ(why.candidates[0].note, "reserved for agent a1 for another 59 s");
  EXPECT_EQ(routeAgent("a2", kT0 + 1s), "c2");  // skips c1
  available("a1", kT0 + 2s);
  EXPECT_EQ(routeAgent("a1", kT0 + 2s), "c1");
  EXPECT_EQ(routeCall("c1", kT0 + 2s), "a1");
  ASSERT_TRUE(acd_.setUnavailable("a1").ok());
  EXPECT_EQ(acd_.nextDeadline(), kT0 + 60s);
  const auto due = acd_.advance(kT0 + 60s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(test::describe(due[0]), "preference_expired c1 retail");
  EXPECT_EQ(routeCall("c1", kT0 + 60s), "a2");
  // Routing reads `now`: after the window anyone may take it, even before advance().
  CallEntry e3{"c3", "retail", 0, kT0 + 70s, "a1", kT0 + 80s};
  ASSERT_TRUE(acd_.enqueue(e3, kT0 + 70s).ok());
  EXPECT_EQ(routeCall("c3", kT0 + 79s), "");
  EXPECT_EQ(routeCall("c3", kT0 + 80s), "a2");
}

// --- organisation ----------------------------------------------------------------------------

TEST_F(AcdTest, RemovingAQueueWithWaitingCallsIsAConflict) {
  addQueue(makeQueue("retail", {{"retail", 1}}));
  join("c1", "retail", 0, kT0);
  auto s = acd_.removeQueue("retail");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, base::Errc::Conflict);
  EXPECT_EQ(acd_.removeQueue("nope").error().code, base::Errc::NotFound);
  acd_.remove("c1");
  EXPECT_TRUE(acd_.removeQueue("retail").ok());
  EXPECT_FALSE(acd_.queueSnapshot("retail", kT0).has_value());
  EXPECT_EQ(acd_.enqueue(test::makeCall("c2", "retail"), kT0).error().code, base::Errc::NotFound);
}

TEST_F(AcdTest, CallsStrandedByAQueueChangeOrAnAgentLeaving) {
  QueueConfig q = makeQueue("retail", {{"retail", 1}});
  addQueue(q);
  addQueue(makeQueue("loans", {{"loans", 4}}));
  addAgent(makeAgent("a1", {{"retail", 3}, {"loans", 4}}));
  addAgent(makeAgent("a2", {{"retail", 2}}));
  join("c1", "retail", 0, kT0);
  join("c2", "retail", 0, kT0);
  join("l1", "loans", 0, kT0);
  q.needs = {{"retail", 3}};
  EXPECT_TRUE(acd_.callsStrandedBy(q).empty());  // a1 still qualifies
  q.needs = {{"mortgage", 1}};
  EXPECT_EQ(acd_.callsStrandedBy(q), (std::vector<std::string>{"c1", "c2"}));
  q.needs = {{"retail", 1}};
  q.language = "fr";
  EXPECT_EQ(acd_.callsStrandedBy(q).size(), 2u);
  EXPECT_EQ(acd_.callsStrandedWithout("a1"), (std::vector<std::string>{"l1"}));
  EXPECT_TRUE(acd_.callsStrandedWithout("a2").empty());
  // An agent's new skills: a1 losing loans strands l1; a1 losing retail strands nothing (a2).
  EXPECT_EQ(acd_.callsStrandedBy(makeAgent("a1", {{"retail", 3}})),
            (std::vector<std::string>{"l1"}));
  EXPECT_EQ(acd_.callsStrandedBy(makeAgent("a1", {{"retail", 3}, {"loans", 3}})),
            (std::vector<std::string>{"l1"}));  // below the queue's minimum
  EXPECT_TRUE(acd_.callsStrandedBy(makeAgent("a1", {{"loans", 5}})).empty());
  AgentConfig french = makeAgent("a1", {{"retail", 3}, {"loans", 4}});
  french.languages = {"fr"};
  EXPECT_TRUE(acd_.callsStrandedBy(french).empty());  // the queues ask for no language
  EXPECT_TRUE(acd_.callsStrandedBy(makeAgent("nobody", {})).empty());
}

TEST_F(AcdTest, ReplacingAQueueKeepsItsCallsInOrderAndReevaluatesMembers) {
  QueueConfig q = makeQueue("retail", {{"retail", 1}});
  q.steps = {{30s, OverflowStep::Kind::Widen, 1, ""}, {90s, OverflowStep::Kind::LeaveTo, 1, "vm"}};
  addQueue(q);
  addAgent(makeAgent("a1", {{"retail", 2}}));
  join("c1", "retail", 0, kT0);
  join("c2", "retail", 0, kT0 + 1s);
  ASSERT_EQ(acd_.advance(kT0 + 30s).size(), 1u);  // c1 widened
  q.needs = {{"retail", 3}};
  q.steps = {{20s, OverflowStep::Kind::Widen, 2, ""}, {120s, OverflowStep::Kind::LeaveTo, 1, "vm"}};
  addQueue(q);
  available("a1", kT0 + 31s);
  EXPECT_EQ(routeAgent("a1", kT0 + 31s), "c1");  // kept its widening
  // c2's next step is the new one at 20 s, already due; c1's next is the leave at 120 s.
  std::vector<std::string> got;
  for (const auto& d : acd_.advance(kT0 + 121s)) got.push_back(test::describe(d));
  EXPECT_EQ(got, (std::vector<std::string>{"widened c2 retail", "left c1 retail -> vm",
                                           "left c2 retail -> vm"}));
}

TEST_F(AcdTest, ReplacingAnAgentKeepsAvailability) {
  addQueue(makeQueue("retail", {{"retail", 1}}));
  addQueue(makeQueue("loans", {{"loans", 1}}));
  addAgent(makeAgent("a1", {{"retail", 3}}));
  available("a1", kT0);
  join("l1", "loans", 0, kT0);
  EXPECT_EQ(routeAgent("a1", kT0), "");
  addAgent(makeAgent("a1", {{"loans", 3}}));
  EXPECT_EQ(routeAgent("a1", kT0), "l1");
  EXPECT_EQ(acd_.queueSnapshot("loans", kT0)->membersAvailable, 1);
  EXPECT_EQ(acd_.queueSnapshot("retail", kT0)->membersLoggedIn, 0);
}

TEST_F(AcdTest, ValidationNamesTheProblem) {
  auto message = [&](QueueConfig q) {
    auto s = acd_.setQueue(std::move(q));
    EXPECT_FALSE(s.ok());
    if (s.ok()) return std::string();
    EXPECT_EQ(s.error().code, base::Errc::ValidationFailed);
    return s.error().message;
  };
  QueueConfig q = makeQueue("x", {{"retail", 1}});
  q.steps = {{60s, OverflowStep::Kind::Widen, 2, ""}, {30s, OverflowStep::Kind::Widen, 1, ""}};
  EXPECT_EQ(message(q), "queue 'x': steps must be in increasing order of 'after'");
  EXPECT_EQ(message(makeQueue("x", {})), "queue 'x': needs at least one skill");
  EXPECT_EQ(message(makeQueue("x", {{"retail", 6}})),
            "queue 'x': minimum proficiency 6 for 'retail' is outside 1..5");
  EXPECT_EQ(message(makeQueue("x", {{"retail", 1}, {"retail", 2}})),
            "queue 'x': skill 'retail' is needed twice");
  q = makeQueue("x", {{"retail", 1}});
  q.steps = {{10s, OverflowStep::Kind::MoveTo, 1, "x"}};
  EXPECT_EQ(message(q), "queue 'x': step 1: cannot move a call to its own queue");
  q.steps = {{10s, OverflowStep::Kind::Widen, 0, ""}};
  EXPECT_EQ(message(q), "queue 'x': step 1: widen proficiency 0 is outside 1..5");
  q.steps = {{0s, OverflowStep::Kind::LeaveTo, 1, "vm"}};
  EXPECT_EQ(message(q), "queue 'x': step 1: 'after' must be greater than 0");
  q.steps = {};
  q.agingStep = -1s;
  EXPECT_EQ(message(q), "queue 'x': agingStep must be between 0 and 366 days");
  // A MoveTo target that does not exist yet is fine at set time.
  q = makeQueue("x", {{"retail", 1}});
  q.steps = {{10s, OverflowStep::Kind::MoveTo, 1, "later"}};
  EXPECT_TRUE(acd_.setQueue(q).ok());

  auto a = acd_.setAgent(makeAgent("a1", {{"retail", 0}}));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "agent 'a1': proficiency 0 for 'retail' is outside 1..5");
  EXPECT_EQ(acd_.setAgent(makeAgent("", {})).error().code, base::Errc::ValidationFailed);
  EXPECT_EQ(acd_.setAvailable("ghost", kT0).error().code, base::Errc::NotFound);
  EXPECT_EQ(acd_.setUnavailable("ghost").error().code, base::Errc::NotFound);
  EXPECT_EQ(acd_.removeAgent("ghost").error().code, base::Errc::NotFound);
}

// --- information -----------------------------------------------------------------------------

TEST_F(AcdTest, PositionAndEstimatedWaitFollowHandleTimes) {
  QueueConfig q = makeQueue("retail", {{"retail", 1}});
  q.averageHandleTime = 120s;
  addQueue(q);
  addAgent(makeAgent("a1", {{"retail", 3}}));
  addAgent(makeAgent("a2", {{"retail", 3}}));
  join("c1", "retail", 0, kT0);
  join("c2", "retail", 0, kT0 + 1s);
  join("c3", "retail", 0, kT0 + 2s);
  auto p = acd_.position("c3", kT0 + 3s);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->position, 3);
  EXPECT_EQ(p->estimatedWait, 180s);      // 3 x 120 s / 2 members
  acd_.recordHandleTime("retail", 200s);  // 120 + (200 - 120) / 8 = 130
  EXPECT_EQ(acd_.position("c1", kT0 + 3s)->estimatedWait, 65s);
  EXPECT_FALSE(acd_.position("nope", kT0).has_value());
  available("a1", kT0 + 3s);
  ASSERT_TRUE(acd_.offer("c1", "a1").ok());
  EXPECT_EQ(acd_.position("c1", kT0 + 3s)->position, 1);
  EXPECT_EQ(acd_.position("c1", kT0 + 3s)->estimatedWait, 0s);
  auto snap = acd_.queueSnapshot("retail", kT0 + 10s);
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->waiting, 3);
  EXPECT_EQ(snap->offered, 1);
  EXPECT_EQ(snap->membersLoggedIn, 2);
  EXPECT_EQ(snap->membersAvailable, 0);
  EXPECT_EQ(snap->oldestWait, 10s);
}

// --- explanations ----------------------------------------------------------------------------

TEST_F(AcdTest, RouteCallExplainsSkippedAndChosenAgents) {
  QueueConfig q = makeQueue("loans", {{"loans", 3}});
  addQueue(q);
  addAgent(makeAgent("weak", {{"loans", 2}}));
  addAgent(makeAgent("strong", {{"loans", 4}}));
  addAgent(makeAgent("later", {{"loans", 5}}));
  available("weak", kT0);
  available("strong", kT0 + 10s);
  available("later", kT0 + 20s);
  join("c1", "loans", 0, kT0 + 42s);
  Explanation why;
  why.trigger = "call_joined";
  auto m = acd_.routeCall("c1", kT0 + 52s, &why);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->agentNo, "strong");
  EXPECT_EQ(m->queue, "loans");
  EXPECT_EQ(why.trigger, "call_joined");
  EXPECT_EQ(why.rule, "longest_idle in queue loans");
  ASSERT_EQ(why.candidates.size(), 3u);
  EXPECT_EQ(why.candidates[0].id, "weak");
  EXPECT_FALSE(why.candidates[0].eligible);
  EXPECT_EQ(why.candidates[0].note, "needs proficiency 3 in 'loans', has 2");
  EXPECT_EQ(why.candidates[1].id, "strong");
  EXPECT_TRUE(why.candidates[1].chosen);
  EXPECT_TRUE(why.candidates[1].eligible);
  EXPECT_EQ(why.candidates[1].note, "idle 42 s");
  EXPECT_FALSE(why.candidates[2].chosen);
  EXPECT_TRUE(why.candidates[2].eligible);
}

TEST_F(AcdTest, ExplanationsListAtMostTenAndAlwaysTheChosen) {
  QueueConfig q = makeQueue("loans", {{"loans", 3}});
  addQueue(q);
  for (int i = 0; i < 15; ++i) {
    const std::string no = "w" + std::to_string(i);
    addAgent(makeAgent(no, {{"loans", 1}}));
    available(no, kT0 + std::chrono::seconds(i));
  }
  addAgent(makeAgent("expert", {{"loans", 5}}));
  available("expert", kT0 + 100s);
  join("c1", "loans", 0, kT0 + 200s);
  Explanation why;
  ASSERT_EQ(acd_.routeCall("c1", kT0 + 200s, &why)->agentNo, "expert");
  ASSERT_EQ(why.candidates.size(), 10u);
  EXPECT_EQ(why.candidates[8].id, "w8");
  EXPECT_EQ(why.candidates[9].id, "expert");
  EXPECT_TRUE(why.candidates[9].chosen);
}

TEST_F(AcdTest, RouteAgentExplainsTheCallsItPassedOver) {
  QueueConfig retail = makeQueue("retail", {{"retail", 1}});
  QueueConfig loans = makeQueue("loans", {{"loans", 4}});
  addQueue(retail);
  addQueue(loans);
  addAgent(makeAgent("a1", {{"retail", 3}, {"loans", 2}}));
  addAgent(makeAgent("a2", {{"retail", 3}}));
  join("l1", "loans", 0, kT0);
  CallEntry pref{"r0", "retail", 0, kT0 + 1s, "a2", kT0 + 100s};
  ASSERT_TRUE(acd_.enqueue(pref, kT0 + 1s).ok());
  join("r1", "retail", 0, kT0 + 30s);
  available("a1", kT0 + 90s);
  Explanation why;
  auto m = acd_.routeAgent("a1", kT0 + 90s, &why);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->callId, "r1");
  EXPECT_EQ(why.rule, "cross-queue: oldest of the highest effective priority over 2 queues");
  ASSERT_EQ(why.candidates.size(), 3u);
  EXPECT_EQ(why.candidates[0].id, "l1");
  EXPECT_EQ(why.candidates[0].note, "needs proficiency 4 in 'loans', has 2");
  EXPECT_EQ(why.candidates[1].id, "r0");
  EXPECT_EQ(why.candidates[1].note, "reserved for agent a2 for another 10 s");
  EXPECT_EQ(why.candidates[2].id, "r1");
  EXPECT_TRUE(why.candidates[2].chosen);
  EXPECT_EQ(why.candidates[2].note, "effective priority 1, waited 60 s");
}

}  // namespace
}  // namespace bankcc::acd
