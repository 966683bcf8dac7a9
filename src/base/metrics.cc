// SPDX-License-Identifier: Apache-2.0
#include "base/metrics.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <utility>
#include <vector>

#include "base/assert.h"

namespace bankcc::base {
namespace {

const SysTime g_processStart = RealClock{}.now();

prometheus::MetricFamily singleValue(std::string name, std::string help,
                                     prometheus::MetricType type, double value,
                                     std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::MetricFamily family = metricFamily(std::move(name), std::move(help), type);
  addSample(family, value, std::move(labels));
  return family;
}

}  // namespace

SysTime processStartTime() {
  return g_processStart;
}

Metrics::Metrics(std::string version, SysTime processStart)
    : registry_(std::make_shared<prometheus::Registry>()),
      version_(std::move(version)),
      processStart_(processStart) {}

prometheus::MetricFamily metricFamily(std::string name, std::string help,
                                      prometheus::MetricType type) {
  BANKCC_ASSERT(type == prometheus::MetricType::Counter || type == prometheus::MetricType::Gauge,
                "computed metrics are counters or gauges");
  return prometheus::MetricFamily{std::move(name), std::move(help), type, {}};
}

void addSample(prometheus::MetricFamily& family, double value,
               std::vector<prometheus::ClientMetric::Label> labels) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  if (family.type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
}

std::string Metrics::serialize(std::vector<prometheus::MetricFamily> computed) const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (auto& f : computed) families.push_back(std::move(f));
  // Built-ins are computed here rather than kept up to date in the registry: their sources
  // (the bug counter, the start time) live outside it.
  families.push_back(singleValue("bankcc_bugs_total",
                                 "Broken invariants reported with BANKCC_BUG since start",
                                 prometheus::MetricType::Counter, static_cast<double>(bugCount())));
  families.push_back(singleValue("bankcc_build_info", "The running bankcc build; always 1",
                                 prometheus::MetricType::Gauge, 1.0, {{"version", version_}}));
  const auto startUs =
      std::chrono::duration_cast<std::chrono::microseconds>(processStart_.time_since_epoch());
  families.push_back(singleValue(
      "process_start_time_seconds", "Start time of the process since unix epoch in seconds",
      prometheus::MetricType::Gauge, static_cast<double>(startUs.count()) / 1e6));
  return prometheus::TextSerializer{}.Serialize(families);
}

}  // namespace bankcc::base
