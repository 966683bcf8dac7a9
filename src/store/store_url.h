// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to store: what a [store] url means (see StoreConfig::url in database.h).

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/database.h"

namespace bankcc::store::detail {

struct StoreTarget {
  Backend backend = Backend::Sqlite;
  std::filesystem::path sqlitePath;  ///< SQLite: absolute path of the database file
  /// PostgreSQL: the connection options as a libpq URI with every value percent-encoded
  /// ("postgresql://?host=%2Frun%2Fpg&dbname=bankcc&connect_timeout=5"). SOCI 4.0.3 re-splits
  /// connection strings on spaces and drops quotes, which would break a password with a
  /// space; percent-encoded values contain neither.
  std::string pgConninfo;
  std::string description;  ///< the url as given, password replaced by "***"
};

/// Parses `url` and resolves a SQLite path against `dataDir`. PostgreSQL strings are checked
/// with libpq's own parser and get connect_timeout (from `timeout`, rounded up to seconds)
/// unless they set it. Errors: BadRequest saying what is wrong with the url (never the
/// password); the message does not name the setting, so callers prefix it.
base::Result<StoreTarget> resolveStoreUrl(std::string_view url,
                                          const std::filesystem::path& dataDir,
                                          std::chrono::milliseconds timeout);

/// `conninfo` (a PostgreSQL URI or keyword=value string, with or without our "postgresql:"
/// prefix) with every password value replaced by "***".
std::string redactPostgres(std::string_view conninfo);

}  // namespace bankcc::store::detail
