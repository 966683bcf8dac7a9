// SPDX-License-Identifier: Apache-2.0
#pragma once

// The event log's test fixture (event_log_test.cc, event_log_spill_test.cc): real databases,
// SQLite always and PostgreSQL when the ctest fixture (or BANKCC_TEST_PG_URL) provides one;
// a Database that injects faults (our own interface, faked); helpers to read the log back.

#include "store/event_log.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <prometheus/registry.h>
#include <soci/soci.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "events/json.h"
#include "store/event_log_test_support.h"
#include "store/migrations.h"
#include "store/spill_file.h"
#include "support/test_env.h"

namespace bankcc::store {

inline void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::Sqlite ? "SQLite" : "PostgreSQL");
}

namespace eventlog_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using bankcc::testing::LogCapture;

constexpr auto kLong = 60s;  // generous: never a measure of speed

/// A Database that hands out connections with faults applied: our own interface, faked.
class FaultyDatabase final : public Database {
 public:
  explicit FaultyDatabase(std::unique_ptr<Database> real) : real_(std::move(real)) {}

  Backend backend() const override { return real_->backend(); }
  const std::string& describe() const override { return real_->describe(); }
  const fs::path& sqlitePath() const override { return real_->sqlitePath(); }
  base::Status ping() const override { return real_->ping(); }

  base::Result<std::unique_ptr<soci::session>> connect() const override {
    auto s = real_->connect();
    if (!s.ok() || real_->backend() != Backend::Sqlite) return s;
    if (queryOnly.load()) **s << "PRAGMA query_only = ON";
    if (const long long pages = maxPages.load(); pages > 0) {
      **s << fmt::format("PRAGMA max_page_count = {}", pages);
    }
    return s;
  }

  /// SQLite: new connections cannot write (SQLITE_READONLY).
  std::atomic<bool> queryOnly{false};
  /// SQLite, > 0: new connections cannot grow the file beyond this many pages (SQLITE_FULL).
  std::atomic<long long> maxPages{0};

 private:
  std::unique_ptr<Database> real_;
};

/// A libpq connection for the test's own administration of the PostgreSQL server.
class PgAdmin {
 public:
  explicit PgAdmin(const std::string& url) {
    const std::string prefix = "postgresql:";
    conn_ =
        PQconnectdb(url.rfind(prefix, 0) == 0 ? url.substr(prefix.size()).c_str() : url.c_str());
  }
  ~PgAdmin() { PQfinish(conn_); }
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  void exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const auto st = PQresultStatus(r);
    EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        << sql << ": " << PQresultErrorMessage(r);
    PQclear(r);
  }

 private:
  PGconn* conn_ = nullptr;
};

inline std::string dbNameOf(const std::string& url) {
  const auto pos = url.find("dbname=");
  const auto end = url.find(' ', pos);
  return url.substr(pos + 7, end == std::string::npos ? std::string::npos : end - pos - 7);
}

inline events::Event makeEvent(int i) {
  events::Event e;
  switch (i % 3) {
    case 0:
      e.payload = events::SystemStarted{"0.1.0", "节点-" + std::to_string(i), i};
      break;
    case 1:
      e.payload = events::SystemStopping{"reason \"q\" \\ \t tab\nnewline " + std::to_string(i)};
      break;
    default:
      e.payload = events::AgentStateChanged{"工号" + std::to_string(i), events::AgentState::Ready,
                                            events::AgentState::NotReady, "小休"};
      e.agentId = "1001";
      break;
  }
  if (i % 5 == 0) e.callId = "call\t" + std::to_string(i) + "\\x\n\r";  // COPY's specials
  if (i % 7 == 0) e.queueId = "retail_zh";
  if (i % 4 == 0) e.requestId = "0192f0c5-0a1b-7c2d-" + std::to_string(i) + "\t\\\n";  // COPY's too
  e.ts = base::SysTime{base::Duration{1'767'225'600'123'456 + i}};
  return e;
}

inline double metric(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name || family.metric.empty()) continue;
    const auto& m = family.metric.front();
    switch (family.type) {
      case prometheus::MetricType::Counter:
        return m.counter.value;
      case prometheus::MetricType::Gauge:
        return m.gauge.value;
      case prometheus::MetricType::Histogram:
        return static_cast<double>(m.histogram.sample_count);
      default:
        return -1;
    }
  }
  return -1;
}

/// Polls `pred` until it holds; false after kLong.
template <typename Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + kLong;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class EventLogTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::Postgres) {
      pgUrl_ = bankcc::testing::freshPostgresDatabase(
          ::testing::UnitTest::GetInstance()->current_test_info()->name());
      if (!pgUrl_) {
        if (bankcc::testing::requirePostgres()) FAIL() << "PostgreSQL required but not available";
        GTEST_SKIP() << "no PostgreSQL (set BANKCC_TEST_PG_URL or run through ctest)";
      }
    }
    openDatabase(200ms);
    auto s = db_->connect();
    ASSERT_TRUE(s.ok()) << s.error().describe();
    auto m = migrate(**s, GetParam());
    ASSERT_TRUE(m.ok()) << m.error().describe();
    config_.spillPath = dir_.path() / "spill" / "events.spill";
    config_.retryMin = 5ms;
    config_.retryMax = 50ms;
    config_.writeTimeout = 2s;
    config_.version = "0.1.0-test";
    config_.node = "test-node";
  }

  void TearDown() override {
    if (log_) log_->stop();
    log_.reset();
    endOutage();
    if (HasFailure() || std::getenv("BANKCC_TEST_SHOW_LOGS")) std::cerr << logs_.text();
  }

  void openDatabase(std::chrono::milliseconds busyTimeout) {
    StoreConfig sc;
    sc.url = pgUrl_ ? *pgUrl_ : "";
    sc.busyTimeout = busyTimeout;
    auto db = Database::open(sc, dir_.path());
    ASSERT_TRUE(db.ok()) << db.error().describe();
    db_ = std::make_unique<FaultyDatabase>(std::move(*db));
  }

  base::Result<std::unique_ptr<EventLog>> tryStart() {
    return EventLog::start(*db_, config_, clock_, registry_);
  }

  void start() {
    auto l = tryStart();
    ASSERT_TRUE(l.ok()) << l.error().describe();
    log_ = std::move(*l);
  }

  std::vector<StoredEvent> readAll() {
    auto s = db_->connect();
    EXPECT_TRUE(s.ok()) << s.error().describe();
    if (!s.ok()) return {};
    auto r = readEvents(**s, 0, 10'000'000);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : std::vector<StoredEvent>{};
  }

  /// Appends events 1..n of makeEvent(); returns the last seq.
  std::uint64_t appendMany(int first, int last) {
    std::uint64_t seq = 0;
    for (int i = first; i <= last; ++i) {
      auto id = log_->append(makeEvent(i));
      EXPECT_TRUE(id.accepted());
      seq = id.seq;
    }
    return seq;
  }

  void expectGapFree(const std::vector<StoredEvent>& events, std::uint64_t from, std::uint64_t to) {
    ASSERT_EQ(events.size(), to - from + 1);
    for (std::size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].seq, from + i);
  }

  /// The database stops taking events: SQLite, another connection holds the write lock
  /// (writes fail with SQLITE_BUSY after the busy timeout); PostgreSQL, the database refuses
  /// connections and the writer's is terminated (pg_terminate_backend waits up to 10 s for
  /// the backend to be gone, so no batch slips through).
  void beginOutage() {
    if (GetParam() == Backend::Sqlite) {
      auto s = db_->connect();
      ASSERT_TRUE(s.ok());
      locker_ = std::move(*s);
      *locker_ << "BEGIN EXCLUSIVE";
      return;
    }
    PgAdmin admin(*bankcc::testing::postgresUrl());
    ASSERT_TRUE(admin.ok());
    const std::string name = dbNameOf(*pgUrl_);
    admin.exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
    admin.exec("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = '" +
               name + "' AND pid <> pg_backend_pid()");
    pgOutage_ = true;
  }

  void endOutage() {
    if (locker_) {
      *locker_ << "ROLLBACK";
      locker_.reset();
    }
    if (pgOutage_) {
      PgAdmin admin(*bankcc::testing::postgresUrl());
      admin.exec("ALTER DATABASE " + dbNameOf(*pgUrl_) + " ALLOW_CONNECTIONS true");
      admin.exec("ALTER DATABASE " + dbNameOf(*pgUrl_) + " RESET default_transaction_read_only");
      pgOutage_ = false;
    }
  }

  LogCapture logs_;  // first: outlives every thread that logs
  bankcc::testing::TempDir dir_{"eventlog"};
  std::optional<std::string> pgUrl_;
  std::unique_ptr<FaultyDatabase> db_;
  EventLogConfig config_;
  base::RealClock clock_;
  prometheus::Registry registry_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<soci::session> locker_;
  bool pgOutage_ = false;
};

class SqliteEventLogTest : public EventLogTest {};

}  // namespace eventlog_test
}  // namespace bankcc::store
