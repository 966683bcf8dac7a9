// SPDX-License-Identifier: Apache-2.0
// The event log against real databases: SQLite always, PostgreSQL when the ctest fixture (or
// BANKCC_TEST_PG_URL) provides one. Outages are real: a SQLite write lock held by another
// connection, a SQLite connection limited by max_page_count (SQLITE_FULL), PostgreSQL
// refusing connections (ALLOW_CONNECTIONS false + pg_terminate_backend) or read-only.
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

void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::Sqlite ? "SQLite" : "PostgreSQL");
}

namespace {

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

std::string dbNameOf(const std::string& url) {
  const auto pos = url.find("dbname=");
  const auto end = url.find(' ', pos);
  return url.substr(pos + 7, end == std::string::npos ? std::string::npos : end - pos - 7);
}

events::Event makeEvent(int i) {
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

double metric(prometheus::Registry& registry, const std::string& name) {
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

TEST_P(EventLogTest, AppendsCommitsAndReadsBackInOrderWithTheirPayloads) {
  start();
  const std::uint64_t epoch = log_->epoch();
  EXPECT_GE(epoch, 1u);
  const int n = 5000;
  std::uint64_t last = appendMany(1, n);
  EXPECT_EQ(last, static_cast<std::uint64_t>(n));
  ASSERT_TRUE(log_->flush(kLong).ok());
  ASSERT_TRUE(log_->waitCommitted(last, kLong).ok());
  EXPECT_EQ(log_->lastCommittedSeq(), last);

  const auto stored = readAll();
  expectGapFree(stored, 1, n);
  for (int i = 1; i <= n; ++i) {
    const auto& s = stored[static_cast<std::size_t>(i - 1)];
    const auto e = makeEvent(i);
    ASSERT_EQ(s.epoch, epoch);
    ASSERT_EQ(s.ts, e.ts) << "UTC microseconds survive";
    ASSERT_EQ(s.type, events::typeName(e.payload));
    ASSERT_EQ(s.callId, e.callId);
    ASSERT_EQ(s.agentId, e.agentId);
    ASSERT_EQ(s.queueId, e.queueId);
    ASSERT_EQ(s.requestId, e.requestId);
    auto p = events::parsePayload(s.type, s.payload);
    ASSERT_TRUE(p.ok()) << p.error().describe();
    ASSERT_EQ(*p, e.payload) << s.payload;
  }
  // Reading from the middle, in pages.
  auto session = db_->connect();
  ASSERT_TRUE(session.ok());
  auto page = readEvents(**session, 100, 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 10u);
  EXPECT_EQ(page->front().seq, 101u);

  const auto stats = log_->stats();
  EXPECT_EQ(stats.committedTotal, static_cast<std::uint64_t>(n));
  EXPECT_EQ(stats.inMemory, 0u);
  EXPECT_TRUE(stats.databaseUp);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_committed_total"), n);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_last_committed_seq"), n);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_backlog"), 0);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_commit_latency_seconds"), n);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_database_up"), 1);
}

TEST_P(EventLogTest, FirstSeqAtOrAfterFindsTheFirstEventOfATime) {
  start();
  auto session = db_->connect();
  ASSERT_TRUE(session.ok());
  const base::SysTime t0{std::chrono::seconds{1'795'622'400}};
  auto first = firstSeqAtOrAfter(**session, t0);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(*first, 1u);  // an empty log: the seq the first event will get
  // Events 1..100 one second apart from t0, with two at the same instant (seq 50 and 51).
  for (int i = 1; i <= 100; ++i) {
    auto e = makeEvent(i);
    e.ts = t0 + std::chrono::seconds(i <= 50 ? i : i - 1);
    ASSERT_TRUE(log_->append(e).accepted());
  }
  ASSERT_TRUE(log_->flush(kLong).ok());
  auto at = [&](base::SysTime t) {
    auto r = firstSeqAtOrAfter(**session, t);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : 0;
  };
  EXPECT_EQ(at(t0), 1u);
  EXPECT_EQ(at(t0 + std::chrono::seconds(1)), 1u);
  EXPECT_EQ(at(t0 + std::chrono::seconds(1) + std::chrono::microseconds(1)), 2u);
  EXPECT_EQ(at(t0 + std::chrono::seconds(37)), 37u);
  EXPECT_EQ(at(t0 + std::chrono::seconds(50)), 50u);  // the first of the two at 50 s
  EXPECT_EQ(at(t0 + std::chrono::seconds(51)), 52u);
  EXPECT_EQ(at(t0 + std::chrono::seconds(99)), 100u);
  EXPECT_EQ(at(t0 + std::chrono::seconds(100)), 101u);  // after the last: last + 1
}

TEST_P(EventLogTest, RequestIdRoundTripsAndEventsWithoutOneStoreNull) {
  start();
  events::Event asked = makeEvent(1);
  asked.requestId = "0192f0c5-0a1b-7c2d-8e3f-405162738495";
  events::Event unasked = makeEvent(2);
  ASSERT_TRUE(unasked.requestId.empty());
  log_->append(asked);
  const auto id = log_->append(unasked);
  ASSERT_TRUE(log_->waitCommitted(id.seq, kLong).ok());
  const auto stored = readAll();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].requestId, asked.requestId);
  EXPECT_EQ(stored[1].requestId, "");

  auto s = db_->connect();
  ASSERT_TRUE(s.ok());
  long long nulls = 0, empties = 0;
  **s << "SELECT COUNT(*) FROM events WHERE request_id IS NULL", soci::into(nulls);
  **s << "SELECT COUNT(*) FROM events WHERE request_id = ''", soci::into(empties);
  EXPECT_EQ(nulls, 1) << "an event nothing asked for has NULL, like the other ids";
  EXPECT_EQ(empties, 0);
}

TEST_P(EventLogTest, BadTextInIdsIsRepairedNotFatal) {
  start();
  events::Event e = makeEvent(1);
  e.callId = std::string("bad\xff", 4) + std::string(1, '\0') + "id";
  e.requestId = std::string("req\xff", 4);
  e.payload = events::SystemStopping{std::string("nul\0in", 6) + "\xC3"};
  const auto id = log_->append(e);
  ASSERT_TRUE(log_->waitCommitted(id.seq, kLong).ok());
  const auto stored = readAll();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].callId, "bad\xEF\xBF\xBDid");
  EXPECT_EQ(stored[0].requestId, "req\xEF\xBF\xBD");
  auto p = events::parsePayload(stored[0].type, stored[0].payload);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(std::get<events::SystemStopping>(*p).reason,
            std::string("nul\0in", 6) + "\xEF\xBF\xBD");
}

TEST_P(EventLogTest, EmptyTimestampTakesTheClocksTimeInUtcMicroseconds) {
  base::ManualClock manual(base::SysTime{base::Duration{1'767'225'600'654'321}});
  auto l = EventLog::start(*db_, config_, manual, registry_);
  ASSERT_TRUE(l.ok()) << l.error().describe();
  events::Event e;
  e.payload = events::SystemStopping{"test"};
  const auto id = (*l)->append(e);
  ASSERT_TRUE((*l)->waitCommitted(id.seq, kLong).ok());
  (*l)->stop();
  const auto stored = readAll();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].ts.time_since_epoch().count(), 1'767'225'600'654'321);
}

TEST_P(EventLogTest, RestartResumesAtLastCommittedPlusOneWithANewEpoch) {
  start();
  const auto firstEpoch = log_->epoch();
  const auto last = appendMany(1, 10);
  ASSERT_TRUE(log_->waitCommitted(last, kLong).ok());
  log_->stop();
  log_.reset();

  start();
  EXPECT_EQ(log_->epoch(), firstEpoch + 1);
  EXPECT_EQ(log_->lastCommittedSeq(), 10u);
  const auto id = log_->append(makeEvent(11));
  EXPECT_EQ(id, (events::EventId{firstEpoch + 1, 11}));
  ASSERT_TRUE(log_->waitCommitted(11, kLong).ok());
  const auto stored = readAll();
  expectGapFree(stored, 1, 11);
  EXPECT_EQ(stored[9].epoch, firstEpoch);
  EXPECT_EQ(stored[10].epoch, firstEpoch + 1);

  auto s = db_->connect();
  ASSERT_TRUE(s.ok());
  int boots = 0;
  std::string version, node;
  **s << "SELECT COUNT(*) FROM boots", soci::into(boots);
  **s << "SELECT version, node FROM boots WHERE epoch = :e", soci::into(version), soci::into(node),
      soci::use(static_cast<long long>(firstEpoch + 1));
  EXPECT_EQ(boots, 2);
  EXPECT_EQ(version, "0.1.0-test");
  EXPECT_EQ(node, "test-node");
}

TEST_P(EventLogTest, ReadersNeverBlockTheWriter) {
  start();
  ASSERT_TRUE(log_->waitCommitted(appendMany(1, 10), kLong).ok());
  auto reader = db_->connect();
  ASSERT_TRUE(reader.ok());
  soci::transaction readTx(**reader);  // a long read transaction, holding its snapshot
  auto before = readEvents(**reader, 0, 1000);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->size(), 10u);
  const auto last = appendMany(11, 2000);
  ASSERT_TRUE(log_->waitCommitted(last, kLong).ok());  // committed while the reader reads
  auto during = readEvents(**reader, 0, 10'000);
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(during->size(), GetParam() == Backend::Sqlite ? 10u : 2000u)
      << "SQLite keeps the snapshot; PostgreSQL READ COMMITTED sees new commits";
  readTx.commit();
}

TEST_P(EventLogTest, SpillsDuringAnOutageAndCatchesUp) {
  start();
  ASSERT_TRUE(log_->waitCommitted(appendMany(1, 100), kLong).ok());
  beginOutage();
  const auto last = appendMany(101, 600);
  ASSERT_TRUE(log_->flush(kLong).ok()) << "spilled, not lost";
  auto stats = log_->stats();
  EXPECT_EQ(stats.spilledTotal, 500u);
  EXPECT_EQ(stats.spilled, 500u);
  EXPECT_EQ(stats.inMemory, 0u);
  EXPECT_FALSE(stats.databaseUp);
  EXPECT_FALSE(stats.lastError.empty());
  EXPECT_EQ(log_->lastCommittedSeq(), 100u);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_backlog"), 500);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_spilled_total"), 500);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_database_up"), 0);
  EXPECT_TRUE(fs::exists(config_.spillPath));
  const std::string logged = logs_.text();
  EXPECT_NE(logged.find("cannot write events 101.."), std::string::npos) << logged;
  EXPECT_NE(logged.find(GetParam() == Backend::Sqlite ? "locked" : "terminat"), std::string::npos)
      << logged;

  endOutage();
  ASSERT_TRUE(log_->waitCommitted(last, kLong).ok());
  const auto stored = readAll();
  expectGapFree(stored, 1, 600);
  for (int i = 101; i <= 600; ++i) {  // the envelope survives the spill file
    ASSERT_EQ(stored[static_cast<std::size_t>(i - 1)].requestId, makeEvent(i).requestId);
    ASSERT_EQ(stored[static_cast<std::size_t>(i - 1)].callId, makeEvent(i).callId);
  }
  stats = log_->stats();
  EXPECT_EQ(stats.spilled, 0u);
  EXPECT_TRUE(stats.databaseUp);
  EXPECT_TRUE(stats.lastError.empty()) << stats.lastError;
  EXPECT_EQ(metric(registry_, "bankcc_event_log_backlog"), 0);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_database_up"), 1);
  EXPECT_FALSE(fs::exists(config_.spillPath)) << "removed once replayed";
  EXPECT_NE(logs_.text().find("caught up: replayed 500 spilled events"), std::string::npos);
}

TEST_P(EventLogTest, StopDuringAnOutageSpillsAndTheNextStartReplays) {
  start();
  beginOutage();
  appendMany(1, 300);
  log_->stop();
  log_.reset();
  EXPECT_TRUE(fs::exists(config_.spillPath));
  endOutage();
  start();
  EXPECT_EQ(log_->lastCommittedSeq(), 300u);
  EXPECT_EQ(log_->append(makeEvent(301)).seq, 301u);
  ASSERT_TRUE(log_->waitCommitted(301, kLong).ok());
  expectGapFree(readAll(), 1, 301);
  EXPECT_FALSE(fs::exists(config_.spillPath));
}

TEST_P(EventLogTest, SpillFileFromBeforeIsReplayedIdempotentlyAtStart) {
  start();
  const auto epoch = log_->epoch();
  ASSERT_TRUE(log_->waitCommitted(appendMany(1, 10), kLong).ok());
  log_->stop();
  log_.reset();
  const auto committed = readAll();
  {
    // Seqs 5..10 were committed already (e.g. a crash during a replay); 11..15 were not.
    auto spill = SpillFile::open(config_.spillPath, clock_);
    ASSERT_TRUE(spill.ok());
    std::vector<StoredEvent> rows;
    for (std::uint64_t s = 5; s <= 15; ++s) {
      rows.push_back(StoredEvent{epoch, s, base::SysTime{base::Duration{1'767'225'600'000'000}},
                                 "system.stopping", "", "", "", R"({"reason":"spilled"})"});
    }
    std::vector<EventRowView> views;
    for (const auto& r : rows) views.push_back(EventRowView::of(r));
    ASSERT_TRUE((*spill)->append(views).ok());
  }
  start();
  EXPECT_EQ(log_->lastCommittedSeq(), 15u);
  EXPECT_EQ(log_->append(makeEvent(16)).seq, 16u);
  ASSERT_TRUE(log_->waitCommitted(16, kLong).ok());
  const auto stored = readAll();
  expectGapFree(stored, 1, 16);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(stored[i], committed[i]) << "the stored row is kept";
  EXPECT_EQ(stored[10].payload, R"({"reason":"spilled"})");
  EXPECT_FALSE(fs::exists(config_.spillPath));
  EXPECT_NE(logs_.text().find("replayed 11 events from spill file"), std::string::npos);
}

TEST_P(EventLogTest, VersionOneSpillFileFromBeforeRequestIdsIsReplayedWithNullRequestIds) {
  std::vector<StoredEvent> rows;
  for (std::uint64_t s = 1; s <= 5; ++s) {
    rows.push_back(StoredEvent{.epoch = 1,
                               .seq = s,
                               .ts = base::SysTime{base::Duration{1'767'225'600'000'000}},
                               .type = "system.stopping",
                               .callId = s == 2 ? "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887" : "",
                               .payload = R"({"reason":"spilled by 0.1"})"});
  }
  bankcc::testing::writeVersionOneSpillFile(config_.spillPath, rows);
  start();
  EXPECT_EQ(log_->lastCommittedSeq(), 5u);
  EXPECT_EQ(readAll(), rows);
  auto s = db_->connect();
  ASSERT_TRUE(s.ok());
  long long nulls = 0;
  **s << "SELECT COUNT(*) FROM events WHERE request_id IS NULL", soci::into(nulls);
  EXPECT_EQ(nulls, 5);
  EXPECT_FALSE(fs::exists(config_.spillPath));
  EXPECT_NE(logs_.text().find("replayed 5 events from spill file"), std::string::npos);
}

TEST_P(EventLogTest, CorruptedSpillFileReplaysTheValidRecordsAndSetsTheRestAside) {
  std::uint64_t badAt = 0;
  {
    auto spill = SpillFile::open(config_.spillPath, clock_);
    ASSERT_TRUE(spill.ok());
    for (std::uint64_t s = 1; s <= 6; ++s) {
      if (s == 4) badAt = fs::file_size(config_.spillPath);
      StoredEvent e{1, s, base::SysTime{}, "system.stopping", "", "", "", R"({"reason":"r"})"};
      const EventRowView v = EventRowView::of(e);
      ASSERT_TRUE((*spill)->append(std::span(&v, 1)).ok());
    }
  }
  {
    std::fstream f(config_.spillPath, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(badAt + 20));
    f.put('\x7f');
  }
  start();  // no crash, no error: the valid prefix is replayed
  EXPECT_EQ(log_->lastCommittedSeq(), 3u);
  EXPECT_EQ(log_->append(makeEvent(4)).seq, 4u);
  ASSERT_TRUE(log_->waitCommitted(4, kLong).ok());
  const auto stored = readAll();
  expectGapFree(stored, 1, 4);
  EXPECT_EQ(stored[3].type, events::typeName(makeEvent(4).payload));
  const std::string logged = logs_.text();
  EXPECT_NE(
      logged.find(config_.spillPath.string() + " is corrupted at byte " + std::to_string(badAt)),
      std::string::npos)
      << logged;
  bool aside = false;
  for (const auto& entry : fs::directory_iterator(config_.spillPath.parent_path())) {
    aside = aside || entry.path().filename().string().starts_with("events.spill.corrupt-");
  }
  EXPECT_TRUE(aside);
}

TEST_P(EventLogTest, TornSpillTailIsTruncatedAndTheRestReplayed) {
  {
    auto spill = SpillFile::open(config_.spillPath, clock_);
    ASSERT_TRUE(spill.ok());
    std::vector<StoredEvent> rows;
    for (std::uint64_t s = 1; s <= 5; ++s) {
      rows.push_back({1, s, base::SysTime{}, "system.stopping", "", "", "", R"({"reason":"r"})"});
    }
    std::vector<EventRowView> views;
    for (const auto& r : rows) views.push_back(EventRowView::of(r));
    ASSERT_TRUE((*spill)->append(views).ok());
  }
  fs::resize_file(config_.spillPath, fs::file_size(config_.spillPath) - 3);
  start();
  EXPECT_EQ(log_->lastCommittedSeq(), 4u);
  expectGapFree(readAll(), 1, 4);
  EXPECT_NE(logs_.text().find("cut short"), std::string::npos);
}

TEST_P(EventLogTest, FullSpillDiskKeepsEventsInMemoryAndTheBacklogShowsThem) {
  config_.spillPath = "/dev/full";
  start();
  beginOutage();
  appendMany(1, 50);
  ASSERT_TRUE(eventually([&] {
    return log_->stats().lastError.find("No space left on device") != std::string::npos;
  }));
  auto stats = log_->stats();
  EXPECT_EQ(stats.inMemory, 50u);
  EXPECT_EQ(stats.spilledTotal, 0u);
  EXPECT_EQ(stats.droppedTotal, 0u);
  EXPECT_NE(stats.lastError.find("/dev/full"), std::string::npos) << stats.lastError;
  EXPECT_NE(stats.lastError.find("database: "), std::string::npos) << stats.lastError;
  EXPECT_EQ(metric(registry_, "bankcc_event_log_backlog"), 50);
  auto flushed = log_->flush(50ms);
  ASSERT_FALSE(flushed.ok());
  EXPECT_NE(flushed.error().message.find("50 events not yet committed or spilled"),
            std::string::npos)
      << flushed.error().message;
  EXPECT_NE(flushed.error().message.find("No space left on device"), std::string::npos);
  EXPECT_NE(logs_.text().find("cannot spill: cannot write spill file /dev/full"), std::string::npos)
      << logs_.text();

  endOutage();
  ASSERT_TRUE(log_->waitCommitted(50, kLong).ok());
  expectGapFree(readAll(), 1, 50);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_backlog"), 0);
  EXPECT_TRUE(log_->stats().lastError.empty()) << log_->stats().lastError;
}

TEST_P(EventLogTest, EmitterNeverBlocksWhenTheWriterIsStuckAndDropsCountWithoutGaps) {
  config_.queueCapacity = 1000;
  config_.writeTimeout = 600s;
  openDatabase(600s);  // the writer waits for the lock as long as we hold it
  start();
  const auto epoch = log_->epoch();
  // Stuck: SQLite, the write lock is taken; PostgreSQL, the table is locked.
  std::unique_ptr<soci::session> blocker;
  std::unique_ptr<PgAdmin> pgBlocker;
  if (GetParam() == Backend::Sqlite) {
    auto s = db_->connect();
    ASSERT_TRUE(s.ok());
    blocker = std::move(*s);
    *blocker << "BEGIN EXCLUSIVE";
  } else {
    pgBlocker = std::make_unique<PgAdmin>(*pgUrl_);
    pgBlocker->exec("BEGIN");
    pgBlocker->exec("LOCK TABLE events IN EXCLUSIVE MODE");
  }
  // If append() waited for the writer, this loop would never finish.
  std::uint64_t accepted = 0, lastSeq = 0;
  for (int i = 1; i <= 1500; ++i) {
    const auto id = log_->append(makeEvent(i));
    EXPECT_EQ(id.epoch, epoch);
    if (id.accepted()) {
      ++accepted;
      EXPECT_EQ(id.seq, lastSeq + 1) << "no seq is used by a dropped event";
      lastSeq = id.seq;
    }
  }
  EXPECT_EQ(accepted, 1000u);
  const auto stats = log_->stats();
  EXPECT_EQ(stats.droppedTotal, 500u);
  EXPECT_EQ(stats.inMemory, 1000u);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_dropped_total"), 500);
  EXPECT_EQ(metric(registry_, "bankcc_event_log_backlog"), 1000);
  EXPECT_NE(logs_.text().find("queue full (1000 events in memory, capacity 1000)"),
            std::string::npos)
      << logs_.text();

  if (blocker) *blocker << "ROLLBACK";
  if (pgBlocker) pgBlocker->exec("COMMIT");
  ASSERT_TRUE(log_->waitCommitted(lastSeq, kLong).ok());
  expectGapFree(readAll(), 1, 1000);
}

TEST_P(EventLogTest, ReadOnlyDatabaseDuringWritesSpillsThenCatchesUp) {
  start();
  ASSERT_TRUE(log_->waitCommitted(appendMany(1, 10), kLong).ok());
  if (GetParam() == Backend::Sqlite) {
    // The writer's connection is broken by a held lock; the connections it opens afterwards
    // are read-only.
    beginOutage();
    db_->queryOnly = true;
    appendMany(11, 20);
    ASSERT_TRUE(log_->flush(kLong).ok());
    endOutage();
  } else {
    PgAdmin admin(*bankcc::testing::postgresUrl());
    const std::string name = dbNameOf(*pgUrl_);
    admin.exec("ALTER DATABASE " + name + " SET default_transaction_read_only = on");
    admin.exec("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = '" +
               name + "' AND pid <> pg_backend_pid()");
    pgOutage_ = true;  // endOutage() resets it
    appendMany(11, 20);
    ASSERT_TRUE(log_->flush(kLong).ok());
  }
  ASSERT_TRUE(
      eventually([&] { return log_->stats().lastError.find("read") != std::string::npos; }));
  const std::string error = log_->stats().lastError;
  EXPECT_TRUE(error.find("readonly") != std::string::npos ||
              error.find("read-only") != std::string::npos)
      << error;
  EXPECT_EQ(log_->lastCommittedSeq(), 10u);
  expectGapFree(readAll(), 1, 10);  // nothing half-written

  db_->queryOnly = false;
  endOutage();
  ASSERT_TRUE(log_->waitCommitted(20, kLong).ok());
  expectGapFree(readAll(), 1, 20);
}

TEST_P(EventLogTest, UnreachableDatabaseAtStartIsAClearError) {
  if (GetParam() == Backend::Sqlite) {
    fs::remove_all(dir_.path());  // the data directory vanished after open()
  } else {
    beginOutage();
  }
  auto l = tryStart();
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code,
            GetParam() == Backend::Sqlite ? base::Errc::Io : base::Errc::Unavailable);
  EXPECT_EQ(l.error().message.rfind("event log: ", 0), 0u) << l.error().message;
  EXPECT_NE(l.error().message.find(GetParam() == Backend::Sqlite ? "does not exist"
                                                                 : "not currently accepting"),
            std::string::npos)
      << l.error().message;
}

TEST_P(EventLogTest, ReadOnlyDatabaseAtStartIsAClearError) {
  if (GetParam() == Backend::Sqlite) {
    db_->queryOnly = true;
  } else {
    PgAdmin admin(*bankcc::testing::postgresUrl());
    admin.exec("ALTER DATABASE " + dbNameOf(*pgUrl_) + " SET default_transaction_read_only = on");
    pgOutage_ = true;
  }
  auto l = tryStart();
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, base::Errc::Io) << l.error().describe();
  EXPECT_TRUE(l.error().message.find("readonly") != std::string::npos ||
              l.error().message.find("read-only") != std::string::npos)
      << l.error().message;
  EXPECT_TRUE(readAll().empty());
}

/// SQLite only: a full disk is simulated per connection (max_page_count); PostgreSQL has no
/// such knob short of a tiny file system.
class SqliteEventLogTest : public EventLogTest {};

TEST_P(SqliteEventLogTest, FullDatabaseDuringWritesSpillsWithoutHalfWrittenBatches) {
  {
    auto s = db_->connect();
    ASSERT_TRUE(s.ok());
    long long pages = 0;
    **s << "PRAGMA page_count", soci::into(pages);
    db_->maxPages = pages + 8;  // room for 8 more pages (32 KiB), then SQLITE_FULL
  }
  config_.maxBatch = 100;
  start();
  for (int i = 1; i <= 2000; ++i) {
    events::Event e = makeEvent(i);
    e.payload = events::SystemStopping{std::string(200, 'x')};
    ASSERT_TRUE(log_->append(std::move(e)).accepted());
  }
  ASSERT_TRUE(log_->flush(kLong).ok());
  ASSERT_TRUE(
      eventually([&] { return log_->stats().lastError.find("full") != std::string::npos; }));
  EXPECT_NE(log_->stats().lastError.find("database or disk is full"), std::string::npos);
  const auto partial = readAll();
  ASSERT_FALSE(partial.empty());
  ASSERT_LT(partial.size(), 2000u);
  expectGapFree(partial, 1, partial.size());  // whole batches: a failed one left nothing

  db_->maxPages = 0;
  ASSERT_TRUE(log_->waitCommitted(2000, kLong).ok());
  expectGapFree(readAll(), 1, 2000);
}

TEST_P(EventLogTest, OnCommitReportsProgress) {
  start();
  std::atomic<std::uint64_t> seen{0};
  log_->onCommit([&](std::uint64_t seq) { seen = seq; });
  const auto last = appendMany(1, 100);
  ASSERT_TRUE(log_->waitCommitted(last, kLong).ok());
  EXPECT_TRUE(eventually([&] { return seen.load() == last; }));
  log_->onCommit({});
}

TEST_P(EventLogTest, AppendsFromManyThreadsGetDistinctGapFreeSeqs) {
  start();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2500; ++i) (void)log_->append(makeEvent(t * 2500 + i));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(log_->waitCommitted(10'000, kLong).ok());
  expectGapFree(readAll(), 1, 10'000);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteEventLogTest, ::testing::Values(Backend::Sqlite),
                         [](const auto&) { return std::string("Sqlite"); });
INSTANTIATE_TEST_SUITE_P(Backends, EventLogTest,
                         ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         [](const auto& info) {
                           return info.param == Backend::Sqlite ? std::string("Sqlite")
                                                                : std::string("Postgres");
                         });

}  // namespace
}  // namespace bankcc::store
