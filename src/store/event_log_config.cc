// SPDX-License-Identifier: Apache-2.0
#include <chrono>

#include "store/event_log.h"

namespace bankcc::store {

base::Result<EventLogConfig> EventLogConfig::parse(base::ConfigSection& section,
                                                   const std::filesystem::path& dataDir) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using namespace std::chrono_literals;
  EventLogConfig c;
  c.queueCapacity = static_cast<std::size_t>(section.getInt(
      "queue_capacity", static_cast<std::int64_t>(c.queueCapacity), 1000, 10'000'000));
  c.maxBatch = static_cast<std::size_t>(
      section.getInt("max_batch", static_cast<std::int64_t>(c.maxBatch), 1, 65'536));
  const std::filesystem::path spill = section.getString("spill_path", "");
  if (spill.empty()) {
    c.spillPath = dataDir / "spill" / "events.spill";
  } else {
    c.spillPath = spill.is_absolute() ? spill : dataDir / spill;
  }
  c.retryMin = duration_cast<milliseconds>(section.getDuration("retry_min", c.retryMin, 1ms, 60s));
  c.retryMax =
      duration_cast<milliseconds>(section.getDuration("retry_max", c.retryMax, 10ms, 600s));
  if (c.retryMin > c.retryMax) section.addError("retry_min", "must not be longer than retry_max");
  c.writeTimeout = duration_cast<milliseconds>(
      section.getDuration("write_timeout", c.writeTimeout, 100ms, 600s));
  c.stopTimeout =
      duration_cast<milliseconds>(section.getDuration("stop_timeout", c.stopTimeout, 0ms, 600s));
  BANKCC_TRY(section.finish());
  return c;
}

}  // namespace bankcc::store
