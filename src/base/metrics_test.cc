// SPDX-License-Identifier: Apache-2.0
#include "base/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "base/assert.h"

namespace bankcc::base {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, SerializesRegisteredMetricsWithLabelsAndValues) {
  Metrics metrics("1.2.3",
                  SysTime{std::chrono::seconds{1'767'225'600}} + std::chrono::milliseconds{250});
  auto& calls = prometheus::BuildCounter()
                    .Name("bankcc_calls_offered_total")
                    .Help("Calls offered to a queue")
                    .Register(metrics.registry());
  calls.Add({{"queue", "retail_zh"}}).Increment(3);
  calls.Add({{"queue", "credit_card"}}).Increment();
  prometheus::BuildGauge()
      .Name("bankcc_agents_ready")
      .Help("Agents in Ready")
      .Register(metrics.registry())
      .Add({})
      .Set(12);

  const std::string text = metrics.serialize();
  EXPECT_THAT(text, HasSubstr("# HELP bankcc_calls_offered_total Calls offered to a queue\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE bankcc_calls_offered_total counter\n"));
  EXPECT_THAT(text, HasSubstr("bankcc_calls_offered_total{queue=\"retail_zh\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("bankcc_calls_offered_total{queue=\"credit_card\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE bankcc_agents_ready gauge\nbankcc_agents_ready 12\n"));
}

TEST(MetricsTest, AddsTheBuiltInProcessMetrics) {
  Metrics metrics("1.2.3",
                  SysTime{std::chrono::seconds{1'767'225'600}} + std::chrono::milliseconds{250});
  const std::string text = metrics.serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE bankcc_bugs_total counter\nbankcc_bugs_total " +
                              std::to_string(bugCount()) + "\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE bankcc_build_info gauge\n"
                              "bankcc_build_info{version=\"1.2.3\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_start_time_seconds gauge\n"
                              "process_start_time_seconds 1767225600.25\n"));
  EXPECT_EQ(Metrics::kContentType, "text/plain; version=0.0.4; charset=utf-8");
}

TEST(MetricsTest, SerializesFamiliesComputedAtScrapeTime) {
  Metrics metrics("dev");
  auto waiting = metricFamily("bankcc_queue_waiting_calls", "Calls waiting now",
                              prometheus::MetricType::Gauge);
  addSample(waiting, 2, {{"queue", "retail_zh"}});
  addSample(waiting, 0, {{"queue", "cards"}});
  auto folded = metricFamily("bankcc_stats_events_folded_total", "Events folded",
                             prometheus::MetricType::Counter);
  addSample(folded, 41);
  const std::string text = metrics.serialize({waiting, folded});
  EXPECT_THAT(text, HasSubstr("# TYPE bankcc_queue_waiting_calls gauge\n"
                              "bankcc_queue_waiting_calls{queue=\"retail_zh\"} 2\n"
                              "bankcc_queue_waiting_calls{queue=\"cards\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE bankcc_stats_events_folded_total counter\n"
                              "bankcc_stats_events_folded_total 41\n"));
  // The built-ins are still there.
  EXPECT_THAT(text, HasSubstr("bankcc_build_info{version=\"dev\"} 1\n"));
}

TEST(MetricsTest, ProcessStartTimeIsFixedAndNotInTheFuture) {
  const SysTime start = processStartTime();
  EXPECT_EQ(processStartTime(), start);
  EXPECT_LE(start, RealClock{}.now());
  Metrics metrics("dev");
  EXPECT_THAT(metrics.serialize(), HasSubstr("process_start_time_seconds "));
}

}  // namespace
}  // namespace bankcc::base
