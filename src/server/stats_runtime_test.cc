// SPDX-License-Identifier: Apache-2.0
// StatsRuntime over a real SQLite database and event log: today's events are replayed at
// start (yesterday's are not), a restart keeps today's figures, live events add to them, and
// queues are known from the organisation data, with their service-level settings.
#include "server/stats_runtime.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "base/metrics.h"
#include "store/migrations.h"
#include "store/org_queues.h"
#include "store/org_skills.h"
#include "support/test_env.h"

namespace bankcc::server {
namespace {

using namespace std::chrono_literals;

/// 2026-11-26 10:00 in Asia/Shanghai (02:00Z).
const base::SysTime kT0{std::chrono::seconds{1'795'658'400}};

class StatsRuntimeTest : public ::testing::Test {
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
    for (const char* code : {"retail_zh", "quiet"}) {
      store::Queue q;
      q.code = code;
      q.nameZh = "零售";
      q.nameEn = "Retail";
      q.serviceLevelThreshold = 15s;
      q.skillNeeds.push_back({"retail", 1});
      auto created = store::createQueue(*session_, clock_, q);
      ASSERT_TRUE(created.ok()) << created.error().describe();
    }
    store::EventLogConfig config;
    config.spillPath = dir_.path() / "spill" / "events.spill";
    auto log = store::EventLog::start(*db_, config, clock_, registry_);
    ASSERT_TRUE(log.ok()) << log.error().describe();
    log_ = std::move(*log);
  }

  void TearDown() override {
    if (log_) log_->stop();
  }

  events::Event event(base::SysTime ts, events::Payload p, std::string call, std::string agent = {},
                      std::string queue = "retail_zh") {
    return events::Event{.ts = ts,
                         .callId = std::move(call),
                         .agentId = std::move(agent),
                         .queueId = std::move(queue),
                         .payload = std::move(p)};
  }

  /// A call that waits `wait` in `queue` from `at`, then is answered by 1001 or abandons.
  void call(const std::string& id, base::SysTime at, base::Duration wait, bool answered,
            const std::string& queue = "retail_zh") {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
    log_->append(event(at, events::QueueJoined{.queue = queue}, id, {}, queue));
    if (answered) {
      log_->append(event(at + wait, events::CallAnswered{.agentNo = "1001", .queue = queue}, id,
                         "1001", queue));
    }
    log_->append(
        event(at + wait,
              events::QueueLeft{
                  .queue = queue, .reason = answered ? "answered" : "abandoned", .waitedMs = ms},
              id, {}, queue));
    log_->append(event(at + wait + 60s, events::CallEnded{.cause = "normal"}, id, {}, queue));
  }

  bankcc::testing::TempDir dir_{"stats"};
  base::ManualClock clock_{kT0};
  prometheus::Registry registry_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<soci::session> session_;
  std::unique_ptr<store::EventLog> log_;
};

TEST_F(StatsRuntimeTest, ReplaysTodayAtStartAndKeepsItAcrossARestart) {
  call("y1", kT0 - 14h, 5s, true);  // 20:00 yesterday local: not today
  call("c1", kT0 - 1h, 10s, true);  // 09:00 today, within the queue's 15 s
  call("c2", kT0 - 30min, 30s, false);
  clock_.advance(2min);

  StatsRuntime first(*db_, clock_, "Asia/Shanghai");
  ASSERT_TRUE(first.start(*log_).ok());
  auto r = first.queueStats("retail_zh");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->settings.serviceLevelThreshold, 15s);  // from the organisation data
  EXPECT_EQ(r->today.offered, 2);
  EXPECT_EQ(r->today.counters.answered, 1);
  EXPECT_EQ(r->today.counters.answeredWithinT, 1);
  EXPECT_EQ(r->today.abandoned, 1);
  EXPECT_EQ(r->dayStart, kT0 - 10h);

  // Live: a call published by the core joins the figures at once.
  auto live = event(clock_.now(), events::QueueJoined{.queue = "retail_zh"}, "c3");
  log_->append(live);
  first.onEvent(live);
  r = first.queueStats("retail_zh");
  EXPECT_EQ(r->today.offered, 3);
  EXPECT_EQ(r->live.waiting, 1);

  // A restart: the new run's system.started closes the old run's calls; today's counts stay.
  clock_.advance(1min);
  log_->append(events::Event{.ts = clock_.now(), .payload = events::SystemStarted{.pid = 2}});
  StatsRuntime second(*db_, clock_, "Asia/Shanghai");
  ASSERT_TRUE(second.start(*log_).ok());
  auto again = second.queueStats("retail_zh");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->today.counters, r->today.counters);
  EXPECT_EQ(again->live.waiting, 0);
}

TEST_F(StatsRuntimeTest, KnowsQueuesFromTheOrganisationAndAgentsFromEvents) {
  StatsRuntime stats(*db_, clock_, "Asia/Shanghai");
  ASSERT_TRUE(stats.start(*log_).ok());
  auto quiet = stats.queueStats("quiet");
  ASSERT_TRUE(quiet);
  EXPECT_EQ(quiet->today.offered, 0);
  EXPECT_FALSE(quiet->today.serviceLevel);
  EXPECT_FALSE(stats.queueStats("no_such_queue"));
  EXPECT_FALSE(stats.agentStats("7777"));
  stats.onEvent(
      events::Event{.ts = clock_.now(),
                    .agentId = "7777",
                    .payload = events::AgentStateChanged{.agentNo = "7777",
                                                         .from = events::AgentState::LoggedOut,
                                                         .to = events::AgentState::Ready}});
  auto agent = stats.agentStats("7777");
  ASSERT_TRUE(agent);
  EXPECT_EQ(agent->live.state, events::AgentState::Ready);
}

TEST_F(StatsRuntimeTest, ServiceLevelFollowsTheQueuesVariant) {
  store::Queue cards;
  cards.code = "cards";
  cards.nameZh = "信用卡";
  cards.nameEn = "Cards";
  cards.serviceLevelThreshold = 15s;
  cards.serviceLevelVariant = store::ServiceLevelVariant::IgnoreAbandons;
  cards.skillNeeds.push_back({"retail", 1});
  auto created = store::createQueue(*session_, clock_, cards);
  ASSERT_TRUE(created.ok()) << created.error().describe();
  // The same five calls in both queues (T = 15 s, short abandon 5 s): answered within T twice,
  // answered after T once, abandoned within T once and after T once.
  for (const std::string queue : {"retail_zh", "cards"}) {
    call(queue + "1", kT0 - 60min, 10s, true, queue);
    call(queue + "2", kT0 - 50min, 5s, true, queue);
    call(queue + "3", kT0 - 40min, 20s, true, queue);
    call(queue + "4", kT0 - 30min, 8s, false, queue);
    call(queue + "5", kT0 - 20min, 30s, false, queue);
  }
  StatsRuntime stats(*db_, clock_, "Asia/Shanghai");
  ASSERT_TRUE(stats.start(*log_).ok());

  auto ignoring = stats.queueStats("cards");
  ASSERT_TRUE(ignoring);
  EXPECT_EQ(ignoring->settings.variant, reports::ServiceLevelVariant::IgnoreAbandons);
  ASSERT_TRUE(ignoring->today.serviceLevel);
  EXPECT_DOUBLE_EQ(*ignoring->today.serviceLevel, 2.0 / 3.0);  // 2 within T / 3 answered
  // The default queue, same calls: 2 / (3 answered + 1 abandoned after T).
  auto against = stats.queueStats("retail_zh");
  ASSERT_TRUE(against);
  EXPECT_EQ(against->settings.variant, reports::ServiceLevelVariant::AbandonsAgainst);
  ASSERT_TRUE(against->today.serviceLevel);
  EXPECT_DOUBLE_EQ(*against->today.serviceLevel, 0.5);

  // An administrator's change applies to today's figures at once.
  store::Queue change = *created;
  change.serviceLevelVariant = store::ServiceLevelVariant::AbandonsInFavour;
  ASSERT_TRUE(store::updateQueue(*session_, clock_, change).ok());
  stats.onConfigChanged(events::ConfigChanged{.kind = "queue", .code = "cards"});
  auto favour = stats.queueStats("cards");
  ASSERT_TRUE(favour);
  EXPECT_EQ(favour->settings.variant, reports::ServiceLevelVariant::AbandonsInFavour);
  ASSERT_TRUE(favour->today.serviceLevel);
  EXPECT_DOUBLE_EQ(*favour->today.serviceLevel, 3.0 / 5.0);  // (2 + 1 within T) / (3 + 2)
}

TEST_F(StatsRuntimeTest, PrometheusFamiliesCarryTheLiveAndTodaysFigures) {
  call("c1", kT0 - 1h, 10s, true);
  call("c2", kT0 - 30min, 30s, false);
  StatsRuntime stats(*db_, clock_, "Asia/Shanghai");
  ASSERT_TRUE(stats.start(*log_).ok());
  stats.onEvent(event(clock_.now(), events::QueueJoined{.queue = "retail_zh"}, "c3"));
  clock_.advance(7s);
  stats.onConfigChanged(events::ConfigChanged{.kind = "agent", .code = "1001"});
  stats.onConfigChanged(events::ConfigChanged{.kind = "agent", .code = "1002"});
  stats.onEvent(
      events::Event{.ts = clock_.now(),
                    .agentId = "1002",
                    .payload = events::AgentStateChanged{.agentNo = "1002",
                                                         .from = events::AgentState::Ready,
                                                         .to = events::AgentState::NotReady,
                                                         .reason = "break"}});

  const std::string text = base::Metrics("test").serialize(stats.metricFamilies());
  auto has = [&](const std::string& line) {
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << line << "\nin\n" << text;
  };
  has(R"(bankcc_queue_waiting_calls{queue="retail_zh"} 1)");
  has(R"(bankcc_queue_longest_wait_seconds{queue="retail_zh"} 7)");
  has(R"(bankcc_queue_waiting_calls{queue="quiet"} 0)");
  has(R"(bankcc_queue_offered_calls_total{queue="retail_zh"} 3)");
  has(R"(bankcc_queue_answered_calls_total{queue="retail_zh"} 1)");
  has(R"(bankcc_queue_answered_in_threshold_calls_total{queue="retail_zh"} 1)");
  has(R"(bankcc_queue_abandoned_calls_total{queue="retail_zh"} 1)");
  has(R"(bankcc_queue_answered_wait_seconds_total{queue="retail_zh"} 10)");
  has(R"(bankcc_queue_service_level_threshold_seconds{queue="retail_zh"} 15)");
  has(R"(bankcc_queue_service_level_target_ratio{queue="retail_zh"} 0.8)");
  has(R"(bankcc_agents{state="not_ready"} 1)");
  has(R"(bankcc_agents{state="ready"} 0)");
  has(R"(bankcc_agents_not_ready{reason="break"} 1)");
  // 1001 has no state change today: logged out as far as the statistics know.
  has(R"(bankcc_agents{state="logged_out"} 1)");
  // A service level only where something counts.
  EXPECT_NE(text.find(R"(bankcc_queue_service_level_ratio{queue="retail_zh"} )"),
            std::string::npos);
  EXPECT_EQ(text.find(R"(bankcc_queue_service_level_ratio{queue="quiet"})"), std::string::npos);
}

}  // namespace
}  // namespace bankcc::server
