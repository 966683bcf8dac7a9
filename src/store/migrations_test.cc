// SPDX-License-Identifier: Apache-2.0
#include "store/migrations.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <algorithm>
#include <thread>

#include "store/store_test_support.h"

namespace bankcc::store {
namespace {

using base::Errc;
using testing::failsWith;
using testing::isOk;

class MigrationsTest : public testing::StoreTest {
 protected:
  bool tableExists(const std::string& name) {
    long long count = 0;
    if (GetParam() == Backend::Sqlite) {
      session() << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :n",
          soci::use(name, "n"), soci::into(count);
    } else {
      session() << "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = :n",
          soci::use(name, "n"), soci::into(count);
    }
    return count > 0;
  }

  /// The built-in list plus `extra` versions after it.
  std::vector<Migration> builtinPlus(std::vector<Migration> extra) {
    std::vector<Migration> list = builtinMigrations();
    for (Migration& m : extra) list.push_back(std::move(m));
    return list;
  }

  Migration extra(int offset, std::string name, std::string sql) {
    return Migration{latestSchemaVersion() + offset, std::move(name), sql, sql};
  }
};

TEST(MigrationListTest, BuiltinVersionsCountUpFromOneWithBothDialects) {
  const auto& list = builtinMigrations();
  ASSERT_FALSE(list.empty());
  for (std::size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].version, static_cast<int>(i) + 1);
    EXPECT_FALSE(list[i].name.empty());
    // The scripts themselves were embedded: each creates or alters something.
    for (const std::string* sql : {&list[i].sqliteSql, &list[i].postgresSql}) {
      EXPECT_TRUE(sql->find("CREATE ") != std::string::npos ||
                  sql->find("ALTER TABLE ") != std::string::npos)
          << list[i].name;
    }
  }
  EXPECT_EQ(latestSchemaVersion(), list.back().version);
  EXPECT_EQ(list.front().name, "organisation");
}

TEST_P(MigrationsTest, FreshDatabaseGetsEveryVersion) {
  auto before = schemaVersion(session());
  ASSERT_TRUE(isOk(before));
  EXPECT_EQ(*before, 0);

  auto report = migrate(session(), GetParam(), builtinMigrations(), clock_);
  ASSERT_TRUE(isOk(report));
  EXPECT_EQ(report->fromVersion, 0);
  EXPECT_EQ(report->toVersion, latestSchemaVersion());
  ASSERT_EQ(report->applied.size(), builtinMigrations().size());
  EXPECT_EQ(report->applied.front(), 1);

  auto after = schemaVersion(session());
  ASSERT_TRUE(isOk(after));
  EXPECT_EQ(*after, latestSchemaVersion());
  for (const char* table :
       {"users", "roles", "user_roles", "teams", "team_supervisors", "skills", "agents",
        "agent_skills", "queues", "queue_skills", "reason_codes", "wrapup_codes"}) {
    EXPECT_TRUE(tableExists(table)) << table;
  }
  std::string name;
  long long appliedAt = 0;
  session() << "SELECT name, applied_at FROM schema_migrations WHERE version = 1", soci::into(name),
      soci::into(appliedAt);
  EXPECT_EQ(name, "organisation");
  EXPECT_EQ(appliedAt, clock_.now().time_since_epoch().count());
}

TEST_P(MigrationsTest, SecondRunAppliesNothing) {
  ASSERT_TRUE(isOk(migrate(session(), GetParam())));
  auto again = migrate(session(), GetParam());
  ASSERT_TRUE(isOk(again));
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(again->fromVersion, latestSchemaVersion());
  EXPECT_EQ(again->toVersion, latestSchemaVersion());
  long long rows = 0;
  session() << "SELECT count(*) FROM schema_migrations", soci::into(rows);
  EXPECT_EQ(rows, latestSchemaVersion());
}

TEST_P(MigrationsTest, SeedsTheSevenBuiltInRoles) {
  ASSERT_TRUE(isOk(migrate(session(), GetParam())));
  std::vector<std::string> codes;
  std::string code;
  soci::statement st =
      (session().prepare << "SELECT code FROM roles ORDER BY code", soci::into(code));
  st.execute();
  while (st.fetch()) codes.push_back(code);
  EXPECT_EQ(codes, (std::vector<std::string>{"admin", "agent", "auditor", "marketing", "planner",
                                             "qa", "supervisor"}));
}

TEST_P(MigrationsTest, AppliesOnlyPendingVersionsInOrder) {
  ASSERT_TRUE(isOk(migrate(session(), GetParam())));
  const auto list = builtinPlus({extra(1, "first_extra", "CREATE TABLE extra_one (a INTEGER)"),
                                 extra(2, "second_extra",
                                       "CREATE TABLE extra_two (a INTEGER);\n"
                                       "INSERT INTO extra_two (a) VALUES (1);")});
  auto report = migrate(session(), GetParam(), list, clock_);
  ASSERT_TRUE(isOk(report));
  EXPECT_EQ(report->fromVersion, latestSchemaVersion());
  EXPECT_EQ(report->applied,
            (std::vector<int>{latestSchemaVersion() + 1, latestSchemaVersion() + 2}));
  EXPECT_TRUE(tableExists("extra_one"));
  long long rows = 0;
  session() << "SELECT count(*) FROM extra_two", soci::into(rows);
  EXPECT_EQ(rows, 1);  // both statements of a multi-statement script ran
}

TEST_P(MigrationsTest, RefusesADatabaseFromANewerBankcc) {
  ASSERT_TRUE(isOk(migrate(session(), GetParam())));
  const int newer = latestSchemaVersion() + 5;
  session() << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, 'future', 0)",
      soci::use(newer, "v");

  auto report = migrate(session(), GetParam());
  EXPECT_TRUE(failsWith(report, Errc::TooNew,
                        "database schema version " + std::to_string(newer) +
                            " is newer than this bankcc (knows up to " +
                            std::to_string(latestSchemaVersion()) +
                            "); upgrade bankcc or restore a backup"));
  auto version = schemaVersion(session());
  ASSERT_TRUE(isOk(version));
  EXPECT_EQ(*version, newer);
}

TEST_P(MigrationsTest, BrokenVersionIsRolledBackCompletely) {
  ASSERT_TRUE(isOk(migrate(session(), GetParam())));
  const int broken = latestSchemaVersion() + 1;
  // The first statements succeed, the last one fails: none of them may remain.
  auto list = builtinPlus({extra(1, "broken",
                                 "CREATE TABLE half_done (a INTEGER);\n"
                                 "INSERT INTO half_done (a) VALUES (1);\n"
                                 "ALTER TABLE users ADD COLUMN nickname TEXT;\n"
                                 "INSERT INTO no_such_table (a) VALUES (1);"),
                           extra(2, "after_broken", "CREATE TABLE after_broken (a INTEGER)")});

  auto report = migrate(session(), GetParam(), list, clock_);
  EXPECT_TRUE(failsWith(report, Errc::Internal, fmt::format("migration {:04}_broken", broken)));
  EXPECT_TRUE(failsWith(report, Errc::Internal, "rolled back"));
  EXPECT_FALSE(tableExists("half_done"));
  EXPECT_FALSE(tableExists("after_broken"));  // later versions are not tried
  auto version = schemaVersion(session());
  ASSERT_TRUE(isOk(version));
  EXPECT_EQ(*version, latestSchemaVersion());
  // The column added by the failed version is gone too (transactional DDL).
  EXPECT_ANY_THROW(session() << "SELECT nickname FROM users");

  // Fixed, the same versions apply.
  list[list.size() - 2].sqliteSql = list[list.size() - 2].postgresSql =
      "CREATE TABLE half_done (a INTEGER);";
  auto fixed = migrate(session(), GetParam(), list, clock_);
  ASSERT_TRUE(isOk(fixed));
  EXPECT_EQ(fixed->applied, (std::vector<int>{broken, broken + 1}));
  EXPECT_TRUE(tableExists("half_done"));
}

TEST_P(MigrationsTest, BrokenFirstVersionLeavesAnEmptySchema) {
  std::vector<Migration> list{
      Migration{1, "broken", "CREATE TABLE t1 (a INTEGER); CREATE TABLE t1 (a INTEGER);",
                "CREATE TABLE t1 (a INTEGER); CREATE TABLE t1 (a INTEGER);"}};
  auto report = migrate(session(), GetParam(), list, clock_);
  EXPECT_TRUE(failsWith(report, Errc::Internal, "0001_broken"));
  EXPECT_FALSE(tableExists("t1"));
  auto version = schemaVersion(session());
  ASSERT_TRUE(isOk(version));
  EXPECT_EQ(*version, 0);
}

TEST_P(MigrationsTest, ScriptThatCommitsItselfIsReported) {
  ASSERT_TRUE(isOk(migrate(session(), GetParam())));
  auto list =
      builtinPlus({extra(1, "self_commit", "CREATE TABLE self_commit (a INTEGER); COMMIT;")});
  auto report = migrate(session(), GetParam(), list, clock_);
  EXPECT_TRUE(failsWith(report, Errc::Internal, "ended its transaction itself"));
}

TEST_P(MigrationsTest, MissingLowerVersionIsCorrupt) {
  const auto list = builtinPlus({extra(1, "one", "CREATE TABLE one_more (a INTEGER)"),
                                 extra(2, "two", "CREATE TABLE two_more (a INTEGER)")});
  ASSERT_TRUE(isOk(migrate(session(), GetParam())));
  const int skipped = latestSchemaVersion() + 2;
  session() << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, 'two', 0)",
      soci::use(skipped, "v");
  auto report = migrate(session(), GetParam(), list, clock_);
  EXPECT_TRUE(failsWith(report, Errc::Corrupt, "was never applied"));
}

TEST_P(MigrationsTest, RefusesToRunInsideATransaction) {
  session().begin();
  EXPECT_TRUE(failsWith(migrate(session(), GetParam()), Errc::Internal, "inside a transaction"));
  session().rollback();
}

TEST_P(MigrationsTest, TwoNodesMigratingAtOnceApplyEachVersionOnce) {
  auto other = connectAgain();
  ASSERT_NE(other, nullptr);
  base::Result<MigrationReport> first = base::err(Errc::Internal, "not run");
  base::Result<MigrationReport> second = base::err(Errc::Internal, "not run");
  std::thread a([&] { first = migrate(session(), GetParam()); });
  std::thread b([&] { second = migrate(*other, GetParam()); });
  a.join();
  b.join();
  ASSERT_TRUE(isOk(first));
  ASSERT_TRUE(isOk(second));
  EXPECT_EQ(first->applied.size() + second->applied.size(), builtinMigrations().size());
  EXPECT_EQ(first->toVersion, latestSchemaVersion());
  EXPECT_EQ(second->toVersion, latestSchemaVersion());
  long long rows = 0;
  session() << "SELECT count(*) FROM schema_migrations", soci::into(rows);
  EXPECT_EQ(rows, latestSchemaVersion());
}

TEST_P(MigrationsTest, CdrDirectionGivesStoredConsultsTheirDirectionAndOriginAgent) {
  // A database at the version before 0008_cdr_direction with CDRs in it: an inbound call and
  // its consults to an agent and to a number, answered or not.
  const auto& all = builtinMigrations();
  const auto at = std::find_if(all.begin(), all.end(),
                               [](const Migration& m) { return m.name == "cdr_direction"; });
  ASSERT_NE(at, all.end());
  ASSERT_TRUE(isOk(migrate(session(), GetParam(), {all.begin(), at}, clock_)));
  session() << "INSERT INTO users (id, username, display_name, created_at, updated_at) "
               "VALUES (1, 'li.na', 'Li Na', 0, 0)";
  session() << "INSERT INTO agents (agent_no, name, languages, user_id, created_at, updated_at) "
               "VALUES ('1002', 'Li Na', 'zh', 1, 0, 0)";
  auto cdr = [&](const std::string& id, const std::string& parent, const std::string& ani,
                 const std::string& dnis, const std::string& segmentKind) {
    soci::indicator parentInd = parent.empty() ? soci::i_null : soci::i_ok;
    session() << "INSERT INTO cdrs (call_id, parent_call_id, epoch, ani, dnis, trunk, arrived_at, "
                 "ended_at, end_cause, hung_up_by, first_queue, answering_queue, answered_by, "
                 "agents, wait_ms, talk_ms, hold_ms, wrap_up_ms, transfers, recording_id, tier, "
                 "outcome, first_seq, last_seq) VALUES (:id, :parent, 1, :ani, :dnis, '', 0, 0, "
                 "'normal', 'agent', '', '', '', '', 0, 0, 0, 0, 0, '', '', 'answered', 1, 2)",
        soci::use(id, "id"), soci::use(parent, parentInd, "parent"), soci::use(ani, "ani"),
        soci::use(dnis, "dnis");
    if (segmentKind.empty()) return;
    session() << "INSERT INTO cdr_segments (call_id, ordinal, kind, queue, agent_no, started_at, "
                 "ended_at, detail) VALUES (:id, 0, :kind, '', '', 0, 0, '')",
        soci::use(id, "id"), soci::use(segmentKind, "kind");
  };
  cdr("in", "", "13800138000", "95555", "queue");
  cdr("k-agent", "in", "1001", "1002", "agent");
  cdr("k-number", "in", "1001", "95566", "party");
  cdr("k-agent-missed", "in", "1001", "1002", "");
  cdr("k-number-missed", "in", "1001", "95566", "");

  auto report = migrate(session(), GetParam(), builtinMigrations(), clock_);
  ASSERT_TRUE(isOk(report));
  auto row = [&](const std::string& id) {
    std::string direction, origin;
    session() << "SELECT direction, origin_agent FROM cdrs WHERE call_id = :id",
        soci::into(direction), soci::into(origin), soci::use(id, "id");
    return direction + "/" + origin;
  };
  EXPECT_EQ(row("in"), "inbound/");
  EXPECT_EQ(row("k-agent"), "internal/1001");
  EXPECT_EQ(row("k-number"), "outbound/1001");
  EXPECT_EQ(row("k-agent-missed"), "internal/1001");
  EXPECT_EQ(row("k-number-missed"), "outbound/1001");
}

BANKCC_STORE_BACKENDS(MigrationsTest);

}  // namespace
}  // namespace bankcc::store
