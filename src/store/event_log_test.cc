// SPDX-License-Identifier: Apache-2.0
// The event log against real databases: appending, reading back, identity across restarts,
// readers and writers, many emitting threads. Outages and the spill file are in
// event_log_spill_test.cc; the fixture is event_log_test_fixture.h.
#include "store/event_log_test_fixture.h"

namespace bankcc::store {
namespace eventlog_test {
namespace {

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

}  // namespace

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteEventLogTest, ::testing::Values(Backend::Sqlite),
                         [](const auto&) { return std::string("Sqlite"); });
INSTANTIATE_TEST_SUITE_P(Backends, EventLogTest,
                         ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         [](const auto& info) {
                           return info.param == Backend::Sqlite ? std::string("Sqlite")
                                                                : std::string("Postgres");
                         });

}  // namespace eventlog_test
}  // namespace bankcc::store
