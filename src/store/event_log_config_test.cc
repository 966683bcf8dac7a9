// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "store/event_log.h"

namespace bankcc::store {
namespace {

using namespace std::chrono_literals;

base::Result<EventLogConfig> parse(std::string_view toml) {
  auto file = base::ConfigFile::parse(toml, "bankcc.toml");
  EXPECT_TRUE(file.ok()) << file.error().describe();
  auto section = file->section("event_log");
  return EventLogConfig::parse(section, "/var/lib/bankcc");
}

TEST(EventLogConfigTest, DefaultsPutTheSpillFileUnderTheDataDirectory) {
  auto c = parse("");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->queueCapacity, 100'000u);
  EXPECT_EQ(c->maxBatch, 4096u);
  EXPECT_EQ(c->spillPath, "/var/lib/bankcc/spill/events.spill");
  EXPECT_EQ(c->retryMin, 100ms);
  EXPECT_EQ(c->retryMax, 5s);
  EXPECT_EQ(c->writeTimeout, 10s);
  EXPECT_EQ(c->stopTimeout, 10s);
}

TEST(EventLogConfigTest, ReadsEveryKey) {
  auto c = parse(R"([event_log]
queue_capacity = 250000
max_batch = 8192
spill_path = "spool/ev.spill"
retry_min = "50ms"
retry_max = "30s"
write_timeout = "2s"
stop_timeout = "1m"
)");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->queueCapacity, 250'000u);
  EXPECT_EQ(c->maxBatch, 8192u);
  EXPECT_EQ(c->spillPath, "/var/lib/bankcc/spool/ev.spill");
  EXPECT_EQ(c->retryMin, 50ms);
  EXPECT_EQ(c->retryMax, 30s);
  EXPECT_EQ(c->writeTimeout, 2s);
  EXPECT_EQ(c->stopTimeout, 60s);
  auto absolute = parse("[event_log]\nspill_path = \"/srv/spill/x\"\n");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute->spillPath, "/srv/spill/x");
}

TEST(EventLogConfigTest, ErrorsNameFileLineAndKey) {
  auto c = parse(R"([event_log]
queue_capacity = 10
retry_min = "10s"
retry_max = "1s"
max_batchs = 5
)");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, base::Errc::BadRequest);
  const std::string& m = c.error().message;
  EXPECT_NE(m.find("bankcc.toml:2:"), std::string::npos) << m;
  EXPECT_NE(m.find("event_log.queue_capacity"), std::string::npos) << m;
  EXPECT_NE(m.find("event_log.retry_min"), std::string::npos) << m;
  EXPECT_NE(m.find("max_batchs"), std::string::npos) << m;
}

}  // namespace
}  // namespace bankcc::store
