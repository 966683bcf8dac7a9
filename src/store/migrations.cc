// SPDX-License-Identifier: Apache-2.0
#include "store/migrations.h"

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "store/migrations_embedded.h"
#include "store/native.h"
#include "store/sql_error.h"
#include "store/transaction.h"

namespace bankcc::store {
namespace {

using base::Errc;

// "bankcc" in ASCII: the PostgreSQL advisory lock that serialises migrations across nodes.
constexpr long long kMigrationLockKey = 0x62616e6b6363LL;

std::string label(const Migration& m) {
  return fmt::format("{:04}_{}", m.version, m.name);
}

const char* dialectName(Backend backend) {
  return backend == Backend::Sqlite ? "SQLite" : "PostgreSQL";
}

bool migrationsTableExists(soci::session& session) {
  long long count = 0;
  if (detail::backendOf(session) == Backend::Sqlite) {
    session << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
               "'schema_migrations'",
        soci::into(count);
  } else {
    session << "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
               "AND tablename = 'schema_migrations'",
        soci::into(count);
  }
  return count > 0;
}

std::vector<int> appliedVersions(soci::session& session) {
  std::vector<int> versions;
  int version = 0;
  soci::statement st = (session.prepare << "SELECT version FROM schema_migrations ORDER BY version",
                        soci::into(version));
  st.execute();
  while (st.fetch()) versions.push_back(version);
  return versions;
}

/// Holds the PostgreSQL migration lock for its lifetime. Session-level (not per transaction)
/// because the versions are applied in several transactions.
class PgMigrationLock {
 public:
  explicit PgMigrationLock(soci::session& session) : session_(session) {
    int acquired = 0;
    session_ << "SELECT pg_try_advisory_lock(:key)", soci::use(kMigrationLockKey, "key"),
        soci::into(acquired);
    if (acquired == 0) {
      spdlog::info("store: another bankcc node is migrating the database; waiting for it");
      session_ << "SELECT pg_advisory_lock(:key)", soci::use(kMigrationLockKey, "key");
    }
  }
  ~PgMigrationLock() {
    try {
      session_ << "SELECT pg_advisory_unlock(:key)", soci::use(kMigrationLockKey, "key");
    } catch (const std::exception& e) {
      // The server drops the lock with the connection; nothing else can be done here.
      spdlog::warn("store: releasing the migration lock: {}", e.what());
    }
  }
  PgMigrationLock(const PgMigrationLock&) = delete;
  PgMigrationLock& operator=(const PgMigrationLock&) = delete;

 private:
  soci::session& session_;
};

base::Status checkList(std::span<const Migration> migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return base::err(Errc::Internal,
                       fmt::format("migration list out of order at version {}", m.version));
    }
    previous = m.version;
  }
  return {};
}

/// Applies one version in its own transaction; false when another process applied it first.
base::Result<bool> applyOne(soci::session& session, Backend backend, const Migration& m,
                            int currentVersion, const base::Clock& clock) {
  auto tx = Transaction::begin(session);
  if (!tx.ok()) return std::move(tx).error();
  // Re-check under the write lock: on SQLite another process may have been faster.
  long long already = 0;
  session << "SELECT count(*) FROM schema_migrations WHERE version = :v", soci::use(m.version, "v"),
      soci::into(already);
  if (already > 0) return false;

  const std::string& sql = backend == Backend::Sqlite ? m.sqliteSql : m.postgresSql;
  if (auto failure = detail::execScript(session, sql)) {
    return base::err(Errc::Internal,
                     fmt::format("migration {} failed on {}: {}; it was rolled back and the "
                                 "schema stays at version {}",
                                 label(m), dialectName(backend), *failure, currentVersion));
  }
  if (!detail::inTransaction(session)) {
    return base::err(Errc::Internal,
                     fmt::format("migration {} ended its transaction itself (BEGIN, COMMIT or "
                                 "ROLLBACK in the script); remove them, migrate() supplies the "
                                 "transaction",
                                 label(m)));
  }
  const long long appliedAt = clock.now().time_since_epoch().count();
  session << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :t)",
      soci::use(m.version, "v"), soci::use(m.name, "n"), soci::use(appliedAt, "t");
  BANKCC_TRY(tx->commit());
  return true;
}

}  // namespace

const std::vector<Migration>& builtinMigrations() {
  static const std::vector<Migration> migrations = [] {
    std::vector<Migration> out;
    for (const detail::EmbeddedMigration& e : detail::embeddedMigrations()) {
      out.push_back(Migration{e.version, std::string(e.name), std::string(e.sqliteSql),
                              std::string(e.postgresSql)});
    }
    return out;
  }();
  return migrations;
}

int latestSchemaVersion() {
  const auto& migrations = builtinMigrations();
  return migrations.empty() ? 0 : migrations.back().version;
}

base::Result<int> schemaVersion(soci::session& session) {
  return detail::guarded(session, "reading the schema version", [&]() -> base::Result<int> {
    if (!migrationsTableExists(session)) return 0;
    const std::vector<int> versions = appliedVersions(session);
    return versions.empty() ? 0 : versions.back();
  });
}

base::Result<MigrationReport> migrate(soci::session& session, Backend backend) {
  static const base::RealClock clock;
  return migrate(session, backend, builtinMigrations(), clock);
}

base::Result<MigrationReport> migrate(soci::session& session, Backend backend,
                                      std::span<const Migration> migrations,
                                      const base::Clock& clock) {
  BANKCC_TRY(checkList(migrations));
  if (detail::backendOf(session) != backend) {
    return base::err(Errc::Internal, "migrate(): the session's backend is not the one named");
  }
  if (detail::inTransaction(session)) {
    return base::err(Errc::Internal, "migrate() called inside a transaction");
  }
  const int known = migrations.empty() ? 0 : migrations.back().version;
  return detail::guarded(
      session, "migrating the database schema", [&]() -> base::Result<MigrationReport> {
        std::optional<PgMigrationLock> lock;
        if (backend == Backend::Postgres) lock.emplace(session);
        session << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                   "name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

        const std::vector<int> applied = appliedVersions(session);
        MigrationReport report;
        report.fromVersion = applied.empty() ? 0 : applied.back();
        report.toVersion = report.fromVersion;
        if (report.fromVersion > known) {
          return base::err(Errc::TooNew,
                           fmt::format("database schema version {} is newer than this bankcc "
                                       "(knows up to {}); upgrade bankcc or restore a backup",
                                       report.fromVersion, known));
        }
        const auto isApplied = [&](int v) {
          return std::binary_search(applied.begin(), applied.end(), v);
        };
        for (const Migration& m : migrations) {
          if (m.version < report.fromVersion && !isApplied(m.version)) {
            return base::err(Errc::Corrupt,
                             fmt::format("database schema is at version {} but version {} was "
                                         "never applied; restore a backup",
                                         report.fromVersion, label(m)));
          }
        }
        for (const Migration& m : migrations) {
          if (isApplied(m.version)) continue;
          auto done = applyOne(session, backend, m, report.toVersion, clock);
          if (!done.ok()) return std::move(done).error();
          if (*done) {
            spdlog::info("store: applied migration {} ({})", label(m), dialectName(backend));
            report.applied.push_back(m.version);
          }
          report.toVersion = m.version;
        }
        return report;
      });
}

}  // namespace bankcc::store
