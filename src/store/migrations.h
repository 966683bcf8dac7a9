// SPDX-License-Identifier: Apache-2.0
#pragma once

// Versioned schema migrations for both dialects.
//
// Each version is a pair of files with the same name, one per dialect:
//   src/store/migrations/sqlite/NNNN_name.sql
//   src/store/migrations/postgres/NNNN_name.sql
// NNNN counts up from 0001 without gaps; name is [a-z0-9_]. The build embeds every file it
// finds there (embed_migrations.cmake); a version present for one dialect only, a gap or a
// badly named file fails the build. A file may hold several statements. It must not contain
// BEGIN, COMMIT or PRAGMA: migrate() runs each version inside its own transaction, so a
// version is applied completely or not at all. Applied versions are never edited: a change
// to the schema is a new version.

#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"

namespace soci {
class session;
}

namespace bankcc::store {

/// One schema version, written for each dialect.
struct Migration {
  int version = 0;
  std::string name;  ///< e.g. "organisation" (from 0001_organisation.sql)
  std::string sqliteSql;
  std::string postgresSql;
};

/// What migrate() found and did.
struct MigrationReport {
  int fromVersion = 0;       ///< schema version before (0: empty database)
  int toVersion = 0;         ///< schema version after
  std::vector<int> applied;  ///< versions applied by this call, in order
};

/// The migrations built into this binary, ordered by version 1..latestSchemaVersion().
/// Thread-safe.
const std::vector<Migration>& builtinMigrations();

/// The highest version this binary knows. Thread-safe.
int latestSchemaVersion();

/// The highest version recorded in schema_migrations; 0 when the table does not exist.
/// Errors: Unavailable, Io. The caller's thread owns `session`.
base::Result<int> schemaVersion(soci::session& session);

/// Brings the database to latestSchemaVersion(): applies each pending built-in version in
/// its own transaction and records it in schema_migrations(version, name, applied_at).
/// Idempotent. On PostgreSQL it holds an advisory lock meanwhile (waiting for another node
/// that is migrating); on SQLite each version takes the write lock and re-checks.
/// Errors: TooNew (the database has a version this binary does not know: nothing changes),
/// Corrupt (a version is missing below the highest applied one), Internal (a migration's SQL
/// failed: that version is rolled back and later ones are not tried; earlier ones stay),
/// Unavailable, Io. The caller's thread owns `session`; it must not be inside a transaction.
base::Result<MigrationReport> migrate(soci::session& session, Backend backend);

/// As above with an explicit list (ordered by version, each version once) and a clock for
/// applied_at: for tests that need a broken or a longer list.
base::Result<MigrationReport> migrate(soci::session& session, Backend backend,
                                      std::span<const Migration> migrations,
                                      const base::Clock& clock);

}  // namespace bankcc::store
