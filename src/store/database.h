// SPDX-License-Identifier: Apache-2.0
#pragma once

// The one database interface (ARCHITECTURE.md "Data"): SQLite (embedded default, one file in
// WAL mode under the data directory) or PostgreSQL (selected by a connection string), both
// through SOCI. Code above this line writes one SQL dialect-neutral path where it can and asks
// backend() where it cannot. Parameterized statements only.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "base/config.h"
#include "base/result.h"

namespace soci {
class session;
}

namespace bankcc::store {

enum class Backend { Sqlite, Postgres };

/// The [store] section of bankcc.toml.
struct StoreConfig {
  /// Empty: SQLite at <data_dir>/bankcc.db. "sqlite:PATH" (relative to the data directory
  /// when not absolute), or a PostgreSQL connection string: "postgresql://user@host/db" or
  /// "postgresql:host=/run/pg port=5432 dbname=bankcc" (libpq keywords after the prefix).
  std::string url;
  /// How long a statement waits for a lock (SQLite busy timeout) or to connect (PostgreSQL).
  std::chrono::milliseconds busyTimeout{5000};

  /// Reads [store]; errors name file, line and key.
  static base::Result<StoreConfig> parse(base::ConfigSection& section);
};

/// What `config` points at, without connecting: "sqlite:/var/lib/bankcc/bankcc.db" or the
/// PostgreSQL URL with any password replaced by "***". Errors: BadRequest (unparseable URL).
/// Thread-safe.
base::Result<std::string> describeStore(const StoreConfig& config,
                                        const std::filesystem::path& dataDir);

/// A configured database. Cheap to keep; each connect() opens its own connection.
/// Thread-safe; the sessions it returns are not (one per thread).
class Database {
 public:
  /// Resolves the URL against `dataDir` and checks that a first connection works.
  /// Errors: Unavailable (server unreachable, file cannot be opened), Io (read-only or
  /// missing directory), Corrupt (the file is not a SQLite database), BadRequest
  /// (unparseable URL). Messages name the path or the URL with its password hidden.
  static base::Result<std::unique_ptr<Database>> open(const StoreConfig& config,
                                                      const std::filesystem::path& dataDir);
  virtual ~Database() = default;

  virtual Backend backend() const = 0;
  /// The URL with any password replaced by "***", for logs and messages.
  virtual const std::string& describe() const = 0;
  /// SQLite: the database file. PostgreSQL: empty.
  virtual const std::filesystem::path& sqlitePath() const = 0;

  /// A new connection, configured for this backend (SQLite: WAL, synchronous=NORMAL,
  /// foreign keys, busy timeout). Thread-safe.
  virtual base::Result<std::unique_ptr<soci::session>> connect() const = 0;

  /// Reachability check used by /readyz: SELECT 1 on a fresh connection. Thread-safe.
  virtual base::Status ping() const = 0;
};

}  // namespace bankcc::store
