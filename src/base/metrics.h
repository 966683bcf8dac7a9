// SPDX-License-Identifier: Apache-2.0
#pragma once

// Prometheus metrics (prometheus-cpp core only): modules register their families on the
// registry; the HTTP layer serves serialize() at /metrics with kContentType. No civetweb
// exposer.

#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace bankcc::base {

/// When this process started: taken while the program's static objects are initialised.
SysTime processStartTime();

/// The process's metrics registry plus the built-in process metrics, added at serialize time:
/// `bankcc_bugs_total` (BANKCC_BUG reports, base::bugCount()), `bankcc_build_info{version}`
/// (always 1) and `process_start_time_seconds`.
class Metrics {
 public:
  /// Prometheus text exposition format 0.0.4, for the Content-Type of /metrics.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  /// `version` labels bankcc_build_info; `processStart` is reported as
  /// process_start_time_seconds.
  explicit Metrics(std::string version, SysTime processStart = processStartTime());

  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// Where modules add their families (prometheus::BuildCounter()...Register(registry())).
  /// Thread-safe, as prometheus::Registry is; the registry lives as long as this object.
  prometheus::Registry& registry() { return *registry_; }
  /// The same registry, for an owner that may outlive this object. Thread-safe.
  std::shared_ptr<prometheus::Registry> sharedRegistry() const { return registry_; }

  /// Every registered metric, the built-in ones and `computed` (families made at scrape time
  /// by their owners, e.g. the queue statistics) in the text format (kContentType).
  /// Thread-safe.
  std::string serialize(std::vector<prometheus::MetricFamily> computed = {}) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::string version_;
  SysTime processStart_;
};

/// A family for metrics computed at scrape time (Metrics::serialize's `computed`).
prometheus::MetricFamily metricFamily(std::string name, std::string help,
                                      prometheus::MetricType type);
/// Adds one sample with `labels` to a counter or gauge family.
void addSample(prometheus::MetricFamily& family, double value,
               std::vector<prometheus::ClientMetric::Label> labels = {});

}  // namespace bankcc::base
