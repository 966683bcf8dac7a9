// SPDX-License-Identifier: Apache-2.0
#pragma once

// Looking into a SQLite database file from a test, bypassing bankcc's own code.

#include <filesystem>
#include <string>

namespace bankcc::testing {

/// The integer in the first column of the first row of `sql`, or -1 when the query fails.
int sqliteCount(const std::filesystem::path& db, const std::string& sql);

/// Runs `sql` (read-write); false when it fails.
bool sqliteExec(const std::filesystem::path& db, const std::string& sql);

}  // namespace bankcc::testing
