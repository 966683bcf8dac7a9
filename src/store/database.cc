// SPDX-License-Identifier: Apache-2.0
#include "store/database.h"

#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <system_error>

#include "store/native.h"
#include "store/sql_error.h"
#include "store/store_url.h"

namespace bankcc::store {
namespace {

namespace fs = std::filesystem;
using base::Errc;

/// Database::ping() of both backends: a new connection answers SELECT 1.
base::Status pingNewConnection(const Database& db) {
  auto session = db.connect();
  if (!session.ok()) return std::move(session).error();
  return detail::guarded(**session, fmt::format("pinging {}", db.describe()),
                         [&]() -> base::Status {
                           int one = 0;
                           **session << "SELECT 1", soci::into(one);
                           return {};
                         });
}

/// SQLite's process-wide settings, before its first connection: multi-thread mode (every
/// connection of ours is used by one thread at a time, so SQLite's own per-call mutexes are
/// waste: they were 8 % of an API read) and no memory statistics (another global mutex).
/// sqlite3_config() refuses (SQLITE_MISUSE) once SQLite is initialised; that only costs speed.
void configureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sqlite_api::sqlite3_config(SQLITE_CONFIG_MULTITHREAD) != SQLITE_OK ||
        sqlite_api::sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK) {
      spdlog::debug("SQLite was initialised before bankcc configured it; serialized mode kept");
    }
  });
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(detail::StoreTarget target, std::chrono::milliseconds busyTimeout)
      : target_(std::move(target)), busyTimeout_(busyTimeout) {
    configureSqliteOnce();
  }

  Backend backend() const override { return Backend::Sqlite; }
  const std::string& describe() const override { return target_.description; }
  const fs::path& sqlitePath() const override { return target_.sqlitePath; }

  base::Result<std::unique_ptr<soci::session>> connect() const override {
    const fs::path& path = target_.sqlitePath;
    BANKCC_TRY(checkDirectory());
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      return base::err(Errc::Io,
                       fmt::format("SQLite database {} is a directory, not a file", path.string()));
    }
    try {
      auto session =
          std::make_unique<soci::session>(soci::sqlite3, fmt::format("db=\"{}\"", path.string()));
      // SQLite opens a file it may not write read-only without a word; writes would fail later.
      if (detail::sqliteReadOnly(*session)) {
        return base::err(Errc::Io, fmt::format("SQLite database {} is read-only for this process: "
                                               "give the bankcc user write permission on it (and "
                                               "on its directory), or mount its file system "
                                               "read-write",
                                               path.string()));
      }
      // Integers formatted here, never user text: PRAGMA takes no bound parameters.
      *session << fmt::format("PRAGMA busy_timeout = {}", busyTimeout_.count());
      std::string mode;
      *session << "PRAGMA journal_mode = WAL", soci::into(mode);
      if (mode != "wal") {
        return base::err(Errc::Io, fmt::format("SQLite database {} cannot use WAL mode (journal "
                                               "mode stays '{}'); WAL needs a local file system "
                                               "and a writable directory",
                                               path.string(), mode));
      }
      *session << "PRAGMA synchronous = NORMAL";
      *session << "PRAGMA foreign_keys = ON";
      return base::Result<std::unique_ptr<soci::session>>(std::move(session));
    } catch (const std::exception& e) {
      return openError(e);
    }
  }

  base::Status ping() const override { return pingNewConnection(*this); }

  /// open()'s extra check: a write transaction can start (WAL needs to create the -wal and
  /// -shm files beside the database, so a read-only directory fails here).
  base::Status checkWritable(soci::session& session) const {
    try {
      session << "BEGIN IMMEDIATE";
      session << "ROLLBACK";
      return {};
    } catch (const std::exception& e) {
      return openError(e);
    }
  }

 private:
  base::Status checkDirectory() const {
    const fs::path dir = target_.sqlitePath.parent_path();
    std::error_code ec;
    const fs::file_status status = fs::status(dir, ec);
    if (status.type() == fs::file_type::not_found) {
      return base::err(Errc::Io, fmt::format("data directory {} does not exist: create it (owned "
                                             "by the bankcc user) or set [store] url",
                                             dir.string()));
    }
    if (ec) {
      return base::err(
          Errc::Io, fmt::format("cannot reach data directory {}: {}", dir.string(), ec.message()));
    }
    if (!fs::is_directory(status)) {
      return base::err(Errc::Io, fmt::format("{} is not a directory, so SQLite database {} cannot "
                                             "live there",
                                             dir.string(), target_.sqlitePath.string()));
    }
    return {};
  }

  base::Error openError(const std::exception& e) const {
    base::Error error = detail::sqlError(
        e, Backend::Sqlite, fmt::format("opening SQLite database {}", target_.sqlitePath.string()));
    if (error.code == Errc::Io) {
      error.message += fmt::format(
          " (bankcc needs to create and write {} and its -wal and -shm "
          "files: check the permissions of {})",
          target_.sqlitePath.filename().string(), target_.sqlitePath.parent_path().string());
    }
    return error;
  }

  detail::StoreTarget target_;
  std::chrono::milliseconds busyTimeout_;
};

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(detail::StoreTarget target) : target_(std::move(target)) {}

  Backend backend() const override { return Backend::Postgres; }
  const std::string& describe() const override { return target_.description; }
  const fs::path& sqlitePath() const override { return target_.sqlitePath; }  // empty

  base::Result<std::unique_ptr<soci::session>> connect() const override {
    try {
      return base::Result<std::unique_ptr<soci::session>>(
          std::make_unique<soci::session>(soci::postgresql, target_.pgConninfo));
    } catch (const std::exception& e) {
      base::Error error = detail::sqlError(
          e, Backend::Postgres, fmt::format("connecting to PostgreSQL at {}", describe()));
      // Whatever libpq says (refused, no such socket, authentication, timeout), the server
      // cannot be used now.
      error.code = Errc::Unavailable;
      return error;
    }
  }

  base::Status ping() const override { return pingNewConnection(*this); }

 private:
  detail::StoreTarget target_;
};

}  // namespace

base::Result<std::string> describeStore(const StoreConfig& config, const fs::path& dataDir) {
  auto target = detail::resolveStoreUrl(config.url, dataDir, config.busyTimeout);
  if (!target.ok()) {
    return base::err(Errc::BadRequest, "[store] url " + std::move(target).error().message);
  }
  return std::move(target->description);
}

base::Result<std::unique_ptr<Database>> Database::open(const StoreConfig& config,
                                                       const fs::path& dataDir) {
  auto target = detail::resolveStoreUrl(config.url, dataDir, config.busyTimeout);
  if (!target.ok()) {
    return base::err(Errc::BadRequest, "[store] url " + std::move(target).error().message);
  }
  if (target->backend == Backend::Sqlite) {
    auto db = std::make_unique<SqliteDatabase>(std::move(*target), config.busyTimeout);
    auto session = db->connect();
    if (!session.ok()) return std::move(session).error();
    BANKCC_TRY(db->checkWritable(**session));
    spdlog::info("store: using {}", db->describe());
    return std::unique_ptr<Database>(std::move(db));
  }
  auto db = std::make_unique<PostgresDatabase>(std::move(*target));
  BANKCC_TRY(db->ping());
  spdlog::info("store: using {}", db->describe());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace bankcc::store
