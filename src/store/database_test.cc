// SPDX-License-Identifier: Apache-2.0
#include "store/database.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <soci/soci.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "store/migrations.h"
#include "store/org_skills.h"
#include "store/sql_error.h"
#include "store/store_test_support.h"
#include "store/store_url.h"
#include "store/transaction.h"

namespace bankcc::store {
namespace {

namespace fs = std::filesystem;
using base::Errc;
using testing::failsWith;
using testing::isOk;
using namespace std::chrono_literals;

// --- URLs and redaction

TEST(StoreUrlTest, EmptyUrlIsSqliteInTheDataDirectory) {
  auto target = detail::resolveStoreUrl("", "/var/lib/bankcc", 5s);
  ASSERT_TRUE(isOk(target));
  EXPECT_EQ(target->backend, Backend::Sqlite);
  EXPECT_EQ(target->sqlitePath, fs::path("/var/lib/bankcc/bankcc.db"));
  EXPECT_EQ(target->description, "sqlite:/var/lib/bankcc/bankcc.db");
}

TEST(StoreUrlTest, RelativeSqlitePathIsUnderTheDataDirectory) {
  auto relative = detail::resolveStoreUrl("sqlite:db/center.db", "/data", 5s);
  ASSERT_TRUE(isOk(relative));
  EXPECT_EQ(relative->sqlitePath, fs::path("/data/db/center.db"));
  auto absolute = detail::resolveStoreUrl("sqlite:/srv/x.db", "/data", 5s);
  ASSERT_TRUE(isOk(absolute));
  EXPECT_EQ(absolute->sqlitePath, fs::path("/srv/x.db"));
}

TEST(StoreUrlTest, RejectsWhatItCannotServe) {
  EXPECT_TRUE(
      failsWith(detail::resolveStoreUrl("sqlite:", "/d", 5s), Errc::BadRequest, "names no file"));
  EXPECT_TRUE(failsWith(detail::resolveStoreUrl("sqlite::memory:", "/d", 5s), Errc::BadRequest,
                        "plain file path"));
  EXPECT_TRUE(failsWith(detail::resolveStoreUrl("mysql://u:pw@h/db", "/d", 5s), Errc::BadRequest,
                        "must start with sqlite:"));
  EXPECT_TRUE(failsWith(detail::resolveStoreUrl("/var/lib/x.db", "/d", 5s), Errc::BadRequest,
                        "sqlite:/var/lib/x.db"));
  EXPECT_TRUE(failsWith(detail::resolveStoreUrl("postgresql:nonsense_option=1", "/d", 5s),
                        Errc::BadRequest, "not a valid PostgreSQL connection string"));
}

TEST(StoreUrlTest, RedactsPasswordsInUris) {
  EXPECT_EQ(detail::redactPostgres("postgresql://bankcc:s3cret@db.example:5432/bankcc"),
            "postgresql://bankcc:***@db.example:5432/bankcc");
  EXPECT_EQ(detail::redactPostgres("postgres://u:p%40ss@h1,h2/db?sslmode=require&password=x&a=b"),
            "postgres://u:***@h1,h2/db?sslmode=require&password=***&a=b");
  EXPECT_EQ(detail::redactPostgres("postgresql://u@h/db?pass%77ord=x"),
            "postgresql://u@h/db?pass%77ord=***");
  EXPECT_EQ(detail::redactPostgres("postgresql://h/db"), "postgresql://h/db");
}

TEST(StoreUrlTest, RedactsPasswordsInKeywordStrings) {
  EXPECT_EQ(detail::redactPostgres("postgresql:host=/run/pg password=s3cret dbname=bankcc"),
            "postgresql:host=/run/pg password=*** dbname=bankcc");
  EXPECT_EQ(detail::redactPostgres("postgresql:password = 'with space\\' quote' user=u"),
            "postgresql:password = *** user=u");
  EXPECT_EQ(detail::redactPostgres("postgresql:host=h dbname=d"), "postgresql:host=h dbname=d");
}

TEST(StoreUrlTest, PostgresOptionsArePercentEncodedWithATimeout) {
  auto target = detail::resolveStoreUrl(
      "postgresql:host=/run/pg port=5433 password='a b\"c' dbname=bankcc", "/d", 2500ms);
  ASSERT_TRUE(isOk(target));
  EXPECT_EQ(target->backend, Backend::Postgres);
  EXPECT_EQ(target->description, "postgresql:host=/run/pg port=5433 password=*** dbname=bankcc");
  const std::string& c = target->pgConninfo;
  EXPECT_NE(c.find("host=%2Frun%2Fpg"), std::string::npos) << c;
  EXPECT_NE(c.find("password=a%20b%22c"), std::string::npos) << c;
  EXPECT_NE(c.find("connect_timeout=3"), std::string::npos) << c;  // rounded up
  EXPECT_EQ(c.find(' '), std::string::npos) << c;

  auto explicitTimeout =
      detail::resolveStoreUrl("postgresql://u@h/db?connect_timeout=9", "/d", 2500ms);
  ASSERT_TRUE(isOk(explicitTimeout));
  EXPECT_NE(explicitTimeout->pgConninfo.find("connect_timeout=9"), std::string::npos);
  EXPECT_EQ(explicitTimeout->pgConninfo.find("connect_timeout=3"), std::string::npos);
}

TEST(StoreUrlTest, ParseErrorsDoNotQuoteAPassword) {
  auto r = detail::resolveStoreUrl("postgresql:password=abc def", "/d", 1s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("def"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("abc"), std::string::npos) << r.error().message;
}

// --- StoreConfig

TEST(StoreConfigTest, ReadsUrlAndBusyTimeout) {
  auto file = base::ConfigFile::parse(
      "[store]\nurl = \"postgresql:host=/run/pg dbname=bankcc\"\nbusy_timeout = \"250ms\"\n",
      "bankcc.toml");
  ASSERT_TRUE(isOk(file));
  auto section = file->section("store");
  auto config = StoreConfig::parse(section);
  ASSERT_TRUE(isOk(config));
  EXPECT_EQ(config->url, "postgresql:host=/run/pg dbname=bankcc");
  EXPECT_EQ(config->busyTimeout, 250ms);
}

TEST(StoreConfigTest, DefaultsToSqliteWithFiveSeconds) {
  auto file = base::ConfigFile::empty();
  auto section = file.section("store");
  auto config = StoreConfig::parse(section);
  ASSERT_TRUE(isOk(config));
  EXPECT_EQ(config->url, "");
  EXPECT_EQ(config->busyTimeout, 5000ms);
}

TEST(StoreConfigTest, BadValuesNameTheKey) {
  auto file = base::ConfigFile::parse(
      "[store]\nurl = \"mysql://x\"\nbusy_timeout = \"fast\"\ncolour = 1\n", "bankcc.toml");
  ASSERT_TRUE(isOk(file));
  auto section = file->section("store");
  auto config = StoreConfig::parse(section);
  EXPECT_TRUE(failsWith(config, Errc::BadRequest, "url"));
  EXPECT_TRUE(failsWith(config, Errc::BadRequest, "busy_timeout"));
  EXPECT_TRUE(failsWith(config, Errc::BadRequest, "colour"));
}

// --- SQLite files that cannot be used

/// Makes file permissions apply to this thread even when it runs as root (as CI does): drops
/// CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER from the thread's effective set and
/// restores them afterwards (they stay in the permitted set).
class FilePermissionsApply {
 public:
  FilePermissionsApply() {
    if (::geteuid() != 0) return;
    header_.version = _LINUX_CAPABILITY_VERSION_3;
    header_.pid = 0;
    if (::syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct reduced[2] = {saved_[0], saved_[1]};
    reduced[0].effective &=
        ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH) | (1u << CAP_FOWNER));
    dropped_ = ::syscall(SYS_capset, &header_, reduced) == 0;
  }
  ~FilePermissionsApply() {
    if (dropped_) ::syscall(SYS_capset, &header_, saved_);
  }
  /// False when running as root and the capabilities could not be dropped.
  bool effective() const { return ::geteuid() != 0 || dropped_; }

 private:
  __user_cap_header_struct header_{};
  __user_cap_data_struct saved_[2]{};
  bool dropped_ = false;
};

base::Result<std::unique_ptr<Database>> openSqlite(const fs::path& path) {
  return Database::open(StoreConfig{"sqlite:" + path.string(), 200ms}, path.parent_path());
}

TEST(SqliteDatabaseTest, CreatesTheFileInWalModeWithForeignKeys) {
  bankcc::testing::TempDir dir("store-db");
  auto db = Database::open(StoreConfig{"", 1500ms}, dir.path());
  ASSERT_TRUE(isOk(db));
  EXPECT_EQ((*db)->backend(), Backend::Sqlite);
  EXPECT_EQ((*db)->sqlitePath(), dir.path() / "bankcc.db");
  EXPECT_TRUE(fs::exists(dir.path() / "bankcc.db"));
  EXPECT_TRUE(isOk((*db)->ping()));

  auto session = (*db)->connect();
  ASSERT_TRUE(isOk(session));
  std::string mode;
  int synchronous = -1, foreignKeys = -1, busyTimeout = -1;
  **session << "PRAGMA journal_mode", soci::into(mode);
  **session << "PRAGMA synchronous", soci::into(synchronous);
  **session << "PRAGMA foreign_keys", soci::into(foreignKeys);
  **session << "PRAGMA busy_timeout", soci::into(busyTimeout);
  EXPECT_EQ(mode, "wal");
  EXPECT_EQ(synchronous, 1);  // NORMAL
  EXPECT_EQ(foreignKeys, 1);
  EXPECT_EQ(busyTimeout, 1500);
}

TEST(SqliteDatabaseTest, MissingDirectoryIsAnIoErrorNamingIt) {
  bankcc::testing::TempDir dir("store-db");
  const fs::path missing = dir.path() / "not-created";
  auto db = openSqlite(missing / "bankcc.db");
  EXPECT_TRUE(failsWith(db, Errc::Io, missing.string() + " does not exist"));
}

TEST(SqliteDatabaseTest, DirectoryThatIsAFileIsAnIoError) {
  bankcc::testing::TempDir dir("store-db");
  const fs::path file = dir.path() / "plain-file";
  std::ofstream(file) << "not a directory";
  auto db = openSqlite(file / "bankcc.db");
  EXPECT_TRUE(failsWith(db, Errc::Io, file.string() + " is not a directory"));
}

TEST(SqliteDatabaseTest, DirectoryTheKernelRefusesIsAnIoError) {
  // procfs refuses to create files whatever the privileges, so this shows the error for a
  // directory where the database cannot be created even when the tests run as root.
  auto db = openSqlite("/proc/self/bankcc.db");
  EXPECT_TRUE(failsWith(db, Errc::Io, "/proc/self/bankcc.db"));
}

TEST(SqliteDatabaseTest, NotADatabaseIsCorrupt) {
  bankcc::testing::TempDir dir("store-db");
  const fs::path file = dir.path() / "bankcc.db";
  std::ofstream(file) << std::string(4096, 'x');
  auto db = openSqlite(file);
  EXPECT_TRUE(failsWith(db, Errc::Corrupt, file.string()));
}

TEST(SqliteDatabaseTest, ReadOnlyFileIsAnIoErrorNamingIt) {
  bankcc::testing::TempDir dir("store-db");
  const fs::path file = dir.path() / "bankcc.db";
  ASSERT_TRUE(isOk(openSqlite(file)));  // create it, then take write permission away
  fs::permissions(file, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  FilePermissionsApply asUser;
  if (!asUser.effective())
    GTEST_SKIP() << "cannot make file permissions apply to root (capset failed)";
  auto db = openSqlite(file);
  EXPECT_TRUE(failsWith(db, Errc::Io, file.string() + " is read-only"));
}

TEST(SqliteDatabaseTest, ReadOnlyDirectoryIsAnIoErrorNamingIt) {
  bankcc::testing::TempDir dir("store-db");
  const fs::path locked = dir.path() / "locked";
  fs::create_directory(locked);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read |
                              fs::perms::others_exec);
  {
    FilePermissionsApply asUser;
    if (!asUser.effective()) GTEST_SKIP() << "cannot make file permissions apply to root";
    auto db = openSqlite(locked / "bankcc.db");
    EXPECT_TRUE(failsWith(db, Errc::Io, (locked / "bankcc.db").string()));
    EXPECT_TRUE(failsWith(db, Errc::Io, "check the permissions of " + locked.string()));
  }
  fs::permissions(locked, fs::perms::owner_all);
}

TEST(SqliteDatabaseTest, ExistingFileInReadOnlyDirectoryIsAnIoError) {
  // WAL needs to create bankcc.db-wal and -shm beside the file.
  bankcc::testing::TempDir dir("store-db");
  const fs::path locked = dir.path() / "locked";
  fs::create_directory(locked);
  ASSERT_TRUE(isOk(openSqlite(locked / "bankcc.db")));
  ASSERT_FALSE(fs::exists(locked / "bankcc.db-wal"));  // removed by the last close
  fs::permissions(locked, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                  fs::perm_options::remove);
  {
    FilePermissionsApply asUser;
    if (!asUser.effective()) GTEST_SKIP() << "cannot make file permissions apply to root";
    EXPECT_TRUE(failsWith(openSqlite(locked / "bankcc.db"), Errc::Io, locked.string()));
  }
  fs::permissions(locked, fs::perms::owner_all);
}

TEST(SqliteDatabaseTest, BadUrlIsABadRequest) {
  EXPECT_TRUE(failsWith(Database::open(StoreConfig{"oracle://x", 1s}, "/tmp"), Errc::BadRequest,
                        "[store] url must start with"));
}

// --- PostgreSQL that cannot be reached

TEST(PostgresDatabaseTest, MissingSocketDirectoryIsUnavailableQuicklyAndRedacted) {
  const auto start = std::chrono::steady_clock::now();
  auto db =
      Database::open(StoreConfig{"postgresql:host=/nonexistent/bankcc-test port=5432 dbname=bankcc "
                                 "password=hunter2",
                                 1s},
                     "/tmp");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(failsWith(db, Errc::Unavailable, "/nonexistent/bankcc-test"));
  EXPECT_TRUE(failsWith(db, Errc::Unavailable, "password=***"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().message.find("hunter2"), std::string::npos) << db.error().message;
  EXPECT_LT(elapsed, 2s);
}

TEST(PostgresDatabaseTest, RefusedTcpPortIsUnavailable) {
  auto db =
      Database::open(StoreConfig{"postgresql://bankcc:hunter2@127.0.0.1:1/bankcc", 1s}, "/tmp");
  EXPECT_TRUE(failsWith(db, Errc::Unavailable, "postgresql://bankcc:***@127.0.0.1:1/bankcc"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().message.find("hunter2"), std::string::npos) << db.error().message;
}

// --- both backends

class DatabaseTest : public testing::StoreTest {};

TEST_P(DatabaseTest, OpensAndPings) {
  EXPECT_EQ(db_->backend(), GetParam());
  EXPECT_TRUE(isOk(db_->ping()));
  int one = 0;
  session() << "SELECT 1", soci::into(one);
  EXPECT_EQ(one, 1);
  if (GetParam() == Backend::Postgres) {
    EXPECT_TRUE(db_->sqlitePath().empty());
    EXPECT_EQ(db_->describe(), url_);  // no password in the fixture's URL
  } else {
    EXPECT_EQ(db_->describe(), "sqlite:" + db_->sqlitePath().string());
  }
}

TEST(PostgresDatabaseTest, DescribeHidesThePassword) {
  const auto url = bankcc::testing::freshPostgresDatabase("describe_password");
  if (!url) {
    if (bankcc::testing::requirePostgres()) FAIL() << "PostgreSQL is required but not running";
    GTEST_SKIP() << "no PostgreSQL (run through ctest, which starts the fixture)";
  }
  // The fixture trusts every local connection, so a password is accepted and ignored.
  auto db = Database::open(StoreConfig{*url + " password=hunter2", 5s}, "/tmp");
  ASSERT_TRUE(isOk(db));
  EXPECT_EQ((*db)->describe().find("hunter2"), std::string::npos);
  EXPECT_NE((*db)->describe().find("password=***"), std::string::npos);
  EXPECT_TRUE((*db)->sqlitePath().empty());
  EXPECT_TRUE(isOk((*db)->ping()));
}

TEST_P(DatabaseTest, ConstraintViolationsBecomeConflictOrValidationErrors) {
  ASSERT_TRUE(isOk(migrate(session(), GetParam())));
  const auto attempt = [&](const std::string& sql) -> base::Status {
    try {
      session() << sql;
      return {};
    } catch (const std::exception& e) {
      return detail::sqlError(e, GetParam(), "testing");
    }
  };
  ASSERT_TRUE(
      isOk(attempt("INSERT INTO skills (code, name_zh, name_en, created_at, updated_at) "
                   "VALUES ('dup', 'z', 'e', 0, 0)")));
  // Repositories check first; these are what a race between two writers would produce.
  EXPECT_TRUE(failsWith(attempt("INSERT INTO skills (code, name_zh, name_en, created_at, "
                                "updated_at) VALUES ('dup', 'z', 'e', 0, 0)"),
                        Errc::Conflict, "testing failed"));
  EXPECT_TRUE(failsWith(attempt("INSERT INTO agent_skills (agent_id, skill_id, proficiency) "
                                "VALUES (424242, 424242, 3)"),
                        Errc::ValidationFailed));
  EXPECT_TRUE(failsWith(attempt("INSERT INTO skills (code, name_zh, name_en, created_at, "
                                "updated_at) VALUES ('Bad Code', 'z', 'e', 0, 0)"),
                        Errc::ValidationFailed));
  EXPECT_TRUE(failsWith(attempt("SELECT no_such_column FROM skills"), Errc::Internal));
}

TEST(SqliteDatabaseTest, BusyWriterIsUnavailableAfterTheBusyTimeout) {
  bankcc::testing::TempDir dir("store-db");
  auto db = Database::open(StoreConfig{"", 100ms}, dir.path());
  ASSERT_TRUE(isOk(db));
  auto holder = (*db)->connect();
  auto waiter = (*db)->connect();
  ASSERT_TRUE(isOk(holder));
  ASSERT_TRUE(isOk(waiter));
  auto held = Transaction::begin(**holder);
  ASSERT_TRUE(isOk(held));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(failsWith(Transaction::begin(**waiter), Errc::Unavailable, "busy_timeout"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 90ms);
  ASSERT_TRUE(isOk(held->commit()));
  EXPECT_TRUE(isOk(Transaction::begin(**waiter)));
}

class TransactionTest : public testing::MigratedStoreTest {
 protected:
  bool skillExists(const std::string& code) { return getSkill(session(), code).ok(); }
  Skill skill(std::string code) { return Skill{0, std::move(code), "技能", "Skill"}; }
};

TEST_P(TransactionTest, RollsBackUnlessCommitted) {
  {
    auto tx = Transaction::begin(session());
    ASSERT_TRUE(isOk(tx));
    EXPECT_FALSE(tx->nested());
    ASSERT_TRUE(isOk(createSkill(session(), clock_, skill("dropped"))));
  }
  EXPECT_FALSE(skillExists("dropped"));
  {
    auto tx = Transaction::begin(session());
    ASSERT_TRUE(isOk(tx));
    ASSERT_TRUE(isOk(createSkill(session(), clock_, skill("kept"))));
    ASSERT_TRUE(isOk(tx->commit()));
  }
  EXPECT_TRUE(skillExists("kept"));
}

TEST_P(TransactionTest, RepositoryWritesJoinTheCallersTransaction) {
  auto outer = Transaction::begin(session());
  ASSERT_TRUE(isOk(outer));
  ASSERT_TRUE(isOk(createSkill(session(), clock_, skill("first"))));
  // A failing write inside rolls back only its own savepoint.
  EXPECT_TRUE(failsWith(createSkill(session(), clock_, skill("first")), Errc::Conflict));
  ASSERT_TRUE(isOk(createSkill(session(), clock_, skill("second"))));
  {
    auto inner = Transaction::begin(session());
    ASSERT_TRUE(isOk(inner));
    EXPECT_TRUE(inner->nested());
    ASSERT_TRUE(isOk(createSkill(session(), clock_, skill("inner_dropped"))));
  }
  ASSERT_TRUE(isOk(outer->commit()));
  EXPECT_TRUE(skillExists("first"));
  EXPECT_TRUE(skillExists("second"));
  EXPECT_FALSE(skillExists("inner_dropped"));
}

BANKCC_STORE_BACKENDS(DatabaseTest);
BANKCC_STORE_BACKENDS(TransactionTest);

}  // namespace
}  // namespace bankcc::store
