// SPDX-License-Identifier: Apache-2.0
// "Nothing committed is lost on kill -9": a helper process appends events and reports what
// the event log says is committed; the test kills it with SIGKILL at an arbitrary moment and
// checks the database: every reported seq is there, and the log is gap-free. Then the next run
// resumes at the last committed seq + 1 with a new epoch. Three rounds per backend.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <signal.h>
#include <soci/soci.h>

#include <algorithm>
#include <string>

#include "store/database.h"
#include "store/event_log.h"
#include "support/process.h"
#include "support/test_env.h"

#ifndef BANKCC_CRASH_HELPER
#error "BANKCC_CRASH_HELPER must name the event_log_crash_helper executable"
#endif

namespace bankcc::store {
namespace {

using namespace std::chrono_literals;

class EventLogCrashTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::Postgres) {
      auto url = bankcc::testing::freshPostgresDatabase("crash");
      if (!url) {
        if (bankcc::testing::requirePostgres()) FAIL() << "PostgreSQL required but not available";
        GTEST_SKIP() << "no PostgreSQL (set BANKCC_TEST_PG_URL or run through ctest)";
      }
      url_ = *url;
    }
  }

  std::vector<StoredEvent> readAll(const Database& db) {
    auto s = db.connect();
    EXPECT_TRUE(s.ok()) << s.error().describe();
    if (!s.ok()) return {};
    auto r = readEvents(**s, 0, 100'000'000);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : std::vector<StoredEvent>{};
  }

  bankcc::testing::TempDir dir_{"crash"};
  std::string url_;  // empty: SQLite
};

TEST_P(EventLogCrashTest, NothingCommittedIsLostOnKill9) {
  std::uint64_t expectedNext = 1, lastEpoch = 0;
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    bankcc::testing::Process helper({BANKCC_CRASH_HELPER, dir_.path().string(), url_, "20000"},
                                    dir_.path() / ("helper-" + std::to_string(round) + ".log"));
    auto first = helper.readLine(60s);
    ASSERT_TRUE(first) << helper.stderrText();
    unsigned long long epoch = 0, next = 0;
    ASSERT_EQ(std::sscanf(first->c_str(), "started epoch=%llu next=%llu", &epoch, &next), 2)
        << *first;
    EXPECT_EQ(next, expectedNext) << "resumes at the last committed seq + 1";
    EXPECT_GT(epoch, lastEpoch) << "a new epoch every start";
    lastEpoch = epoch;

    // Let it commit a few batches (at least 2,000 events beyond where it started), then kill
    // it wherever it is.
    std::uint64_t reported = 0;
    int lines = 0;
    while (lines < 5 || reported < next + 2000) {
      auto line = helper.readLine(60s);
      ASSERT_TRUE(line) << helper.stderrText();
      unsigned long long seq = 0;
      ASSERT_EQ(std::sscanf(line->c_str(), "committed %llu", &seq), 1) << *line;
      EXPECT_GT(seq, reported);
      reported = seq;
      ++lines;
    }
    helper.signal(SIGKILL);
    ASSERT_EQ(helper.wait(60s), 128 + SIGKILL);

    StoreConfig sc;
    sc.url = url_;
    auto db = Database::open(sc, dir_.path());
    ASSERT_TRUE(db.ok()) << db.error().describe();
    const auto stored = readAll(**db);
    ASSERT_FALSE(stored.empty());
    const std::uint64_t max = stored.back().seq;
    EXPECT_GE(max, reported) << "every seq reported committed is stored";
    for (std::size_t i = 0; i < stored.size(); ++i) {
      ASSERT_EQ(stored[i].seq, i + 1) << "gap-free";
    }
    EXPECT_EQ(stored[next - 1].epoch, epoch);
    expectedNext = max + 1;
  }

  // And an EventLog in this process continues from there.
  StoreConfig sc;
  sc.url = url_;
  auto db = Database::open(sc, dir_.path());
  ASSERT_TRUE(db.ok());
  EventLogConfig config;
  config.spillPath = dir_.path() / "spill" / "events.spill";
  base::RealClock clock;
  prometheus::Registry registry;
  auto log = EventLog::start(**db, config, clock, registry);
  ASSERT_TRUE(log.ok()) << log.error().describe();
  EXPECT_EQ((*log)->lastCommittedSeq(), expectedNext - 1);
  EXPECT_GT((*log)->epoch(), lastEpoch);
  events::Event e;
  e.payload = events::SystemStopping{"after the crashes"};
  const auto id = (*log)->append(e);
  EXPECT_EQ(id.seq, expectedNext);
  ASSERT_TRUE((*log)->waitCommitted(id.seq, 60s).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, EventLogCrashTest,
                         ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         [](const auto& info) {
                           return info.param == Backend::Sqlite ? std::string("Sqlite")
                                                                : std::string("Postgres");
                         });

}  // namespace
}  // namespace bankcc::store
