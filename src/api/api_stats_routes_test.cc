// SPDX-License-Identifier: Apache-2.0
// The statistics routes against a fake service holding a real fold: status codes, the JSON
// shape, nulls for figures without a denominator.
#include "api/api_stats_routes.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>

#include "api/call.h"
#include "base/clock.h"

namespace bankcc::api {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

/// 2026-11-26 10:00:00Z (the fold runs in UTC here).
const base::SysTime kT0{std::chrono::seconds{1'795'687'200}};

class FakeStats final : public StatsService {
 public:
  std::optional<reports::QueueReport> queueStats(std::string_view queue) override {
    if (!queues.contains(std::string(queue))) return std::nullopt;
    return fold.queueReport(queue, now);
  }
  std::optional<reports::AgentReport> agentStats(std::string_view agentNo) override {
    if (!agents.contains(std::string(agentNo))) return std::nullopt;
    return fold.agentReport(agentNo, now);
  }

  void emit(base::Duration at, events::Payload p, std::string call, std::string agent = {}) {
    events::Event e;
    e.ts = kT0 + at;
    e.callId = std::move(call);
    e.agentId = std::move(agent);
    e.payload = std::move(p);
    fold.apply(e);
  }

  reports::KpiFold fold;
  std::set<std::string> queues{"retail_zh", "quiet"};
  std::set<std::string> agents{"1001"};
  base::SysTime now = kT0 + 5min;
};

class StatsRoutesTest : public ::testing::Test {
 protected:
  StatsRoutesTest() {
    registerStatsRoutes(router_, &stats_);
    stats_.store(&service_);
    principal_.username = "wang.fang";
    principal_.roles = {"supervisor"};
    services_.clock = &clock_;
  }

  Response get(const std::string& path) {
    Request request;
    request.method = "GET";
    request.path = path;
    auto matched = router_.match("GET", path);
    auto* match = std::get_if<RouteMatch>(&matched);
    EXPECT_NE(match, nullptr) << path;
    if (match == nullptr) return {};
    Call c(request, *match->route, match->params, &principal_, nullptr, services_, "req-1");
    return match->route->handler(c);
  }

  static json bodyOf(const Response& r) { return json::parse(r.body); }

  base::ManualClock clock_;
  FakeStats service_;
  std::atomic<StatsService*> stats_{nullptr};
  Router router_;
  Principal principal_;
  CallServices services_;
};

TEST_F(StatsRoutesTest, QueueStatsCarryLiveTodayAndIntervals) {
  service_.emit(0s, events::QueueJoined{.queue = "retail_zh"}, "c1");
  service_.emit(8s, events::CallAnswered{.agentNo = "1001", .queue = "retail_zh"}, "c1", "1001");
  service_.emit(8s, events::QueueLeft{.queue = "retail_zh", .reason = "answered", .waitedMs = 8000},
                "c1");
  service_.emit(60s, events::QueueJoined{.queue = "retail_zh"}, "c2");
  service_.emit(90s, events::QueueJoined{.queue = "retail_zh"}, "c3");
  service_.emit(100s,
                events::QueueLeft{.queue = "retail_zh", .reason = "abandoned", .waitedMs = 40'000},
                "c2");
  auto r = get("/api/v1/queues/retail_zh/stats");
  ASSERT_EQ(r.status, 200) << r.body;
  auto b = bodyOf(r);
  EXPECT_EQ(b["queue"], "retail_zh");
  EXPECT_EQ(b["time_zone"], "UTC");
  EXPECT_EQ(b["day_start"], "2026-11-26T00:00:00.000Z");
  EXPECT_EQ(b["service_level_threshold_ms"], 20'000);
  EXPECT_EQ(b["service_level_variant"], "abandons_against");
  EXPECT_EQ(b["live"]["waiting"], 1);                // c3
  EXPECT_EQ(b["live"]["longest_wait_ms"], 210'000);  // 90 s .. 5 min
  EXPECT_EQ(b["live"]["connected"], 1);              // c1
  const auto& t = b["today"];
  EXPECT_EQ(t["offered"], 3);
  EXPECT_EQ(t["answered"], 1);
  EXPECT_EQ(t["abandoned"], 1);
  EXPECT_EQ(t["asa_ms"], 8000);
  EXPECT_DOUBLE_EQ(t["service_level"].get<double>(), 0.5);  // 1 / (1 + 1 abandoned after T)
  EXPECT_DOUBLE_EQ(t["abandonment_rate"].get<double>(), 1.0 / 3);
  EXPECT_TRUE(t["aht_ms"].is_null());     // c1 still talking: nothing handled yet
  ASSERT_EQ(b["intervals"].size(), 41u);  // 00:00 .. 10:00
  const auto& last = b["intervals"].back();
  EXPECT_EQ(last["start"], "2026-11-26T10:00:00.000Z");
  EXPECT_EQ(last["end"], "2026-11-26T10:15:00.000Z");
  EXPECT_EQ(last["offered"], 3);
  EXPECT_EQ(b["intervals"][0]["offered"], 0);
  EXPECT_TRUE(b["intervals"][0]["service_level"].is_null());
}

TEST_F(StatsRoutesTest, AQueueWithoutTrafficIsZerosAndAnUnknownOne404) {
  auto r = get("/api/v1/queues/quiet/stats");
  ASSERT_EQ(r.status, 200) << r.body;
  auto b = bodyOf(r);
  EXPECT_EQ(b["today"]["offered"], 0);
  EXPECT_TRUE(b["today"]["service_level"].is_null());
  EXPECT_TRUE(b["today"]["asa_ms"].is_null());
  EXPECT_TRUE(b["live"]["longest_wait_ms"].is_null());

  r = get("/api/v1/queues/nope/stats");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(bodyOf(r)["error"]["code"], "not_found");
  r = get("/api/v1/agents/9999/stats");
  EXPECT_EQ(r.status, 404);
}

TEST_F(StatsRoutesTest, AgentStatsCarryStateTimesAndReasons) {
  service_.emit(0s,
                events::AgentStateChanged{.agentNo = "1001",
                                          .from = events::AgentState::LoggedOut,
                                          .to = events::AgentState::NotReady,
                                          .reason = "logged_in"},
                {}, "1001");
  service_.emit(
      60s,
      events::AgentStateChanged{
          .agentNo = "1001", .from = events::AgentState::NotReady, .to = events::AgentState::Ready},
      {}, "1001");
  auto r = get("/api/v1/agents/1001/stats");
  ASSERT_EQ(r.status, 200) << r.body;
  auto b = bodyOf(r);
  EXPECT_EQ(b["agent_no"], "1001");
  EXPECT_EQ(b["live"]["state"], "ready");
  EXPECT_TRUE(b["live"]["reason"].is_null());
  EXPECT_EQ(b["live"]["since"], "2026-11-26T10:01:00.000Z");
  EXPECT_EQ(b["today"]["not_ready_by_reason_ms"]["logged_in"], 60'000);
  EXPECT_EQ(b["today"]["ready_ms"], 240'000);
  EXPECT_EQ(b["today"]["occupancy"], 0.0);
  EXPECT_TRUE(b["today"]["aht_ms"].is_null());
}

TEST_F(StatsRoutesTest, AgentStatsCountTheCallsTheAgentPlaced) {
  // 1001 calls a customer (answered, 30 s) and a colleague (no answer) (decision 0020).
  service_.emit(0s, events::CallOriginated{"1001", "8001", "number", "13900139000", "desktop"},
                "o1", "1001");
  service_.emit(5s, events::CallAnswered{.agentNo = "1001", .queue = ""}, "o1", "1001");
  service_.emit(35s, events::CallEnded{.cause = "normal", .hungUpBy = "callee"}, "o1", "1001");
  service_.emit(40s, events::CallOriginated{"1001", "8001", "agent", "1002", "desktop"}, "o2",
                "1001");
  service_.emit(50s, events::CallEnded{.cause = "no_answer", .hungUpBy = "callee"}, "o2", "1001");
  auto r = get("/api/v1/agents/1001/stats");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto t = bodyOf(r)["today"];
  EXPECT_EQ(t["outbound"], 1);
  EXPECT_EQ(t["outbound_answered"], 1);
  EXPECT_EQ(t["internal_calls"], 1);
  EXPECT_EQ(t["handled"], 1);
  EXPECT_EQ(bodyOf(r)["intervals"].back()["outbound"], 1);
  EXPECT_FALSE(service_.fold.knowsQueue(""));
}

TEST_F(StatsRoutesTest, NoServiceIs503) {
  stats_.store(nullptr);
  EXPECT_EQ(get("/api/v1/queues/retail_zh/stats").status, 503);
  EXPECT_EQ(get("/api/v1/agents/1001/stats").status, 503);
}

}  // namespace
}  // namespace bankcc::api
