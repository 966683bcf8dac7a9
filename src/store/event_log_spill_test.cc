// SPDX-License-Identifier: Apache-2.0
// The event log through database outages, against real databases: a SQLite write lock held by
// another connection, a SQLite connection limited by max_page_count (SQLITE_FULL), PostgreSQL
// refusing connections (ALLOW_CONNECTIONS false + pg_terminate_backend) or read-only; the spill
// file written meanwhile and replayed, torn, corrupted or full. Fixture:
// event_log_test_fixture.h (the test suites are instantiated in event_log_test.cc).
#include "store/event_log_test_fixture.h"

namespace bankcc::store {
namespace eventlog_test {
namespace {

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

}  // namespace
}  // namespace eventlog_test
}  // namespace bankcc::store
