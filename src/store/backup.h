// SPDX-License-Identifier: Apache-2.0
#pragma once

// Backups of the embedded SQLite database. (PostgreSQL is backed up with its own tools.)

#include <filesystem>
#include <functional>

#include "base/result.h"

namespace bankcc::store {

/// Copies the SQLite database `source` to `out` with SQLite's online backup API, consistent
/// while the server keeps writing. Writes a temporary file beside `out` and renames it only when
/// complete, so `out` is whole or absent. `progress(pagesDone, pagesTotal)` is called after each
/// step. Errors: Conflict (`out` exists; never overwritten), Unavailable (source cannot be
/// opened), Io (write failures). Any thread.
base::Status backupSqlite(const std::filesystem::path& source, const std::filesystem::path& out,
                          const std::function<void(int done, int total)>& progress);

}  // namespace bankcc::store
