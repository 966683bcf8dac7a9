// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to store: the few things SOCI 4.0.3 cannot do, done on the connection underneath
// (sqlite3* or PGconn*). The caller's thread owns `session`.

#include <optional>
#include <string>
#include <string_view>

#include "store/database.h"

namespace soci {
class session;
}

namespace bankcc::store::detail {

/// Which backend `session` was opened with.
Backend backendOf(soci::session& session);

/// True when `session` is inside a transaction (BEGIN without COMMIT/ROLLBACK yet).
bool inTransaction(soci::session& session);

/// Runs `sql`, which may hold several statements (a migration script), through the native
/// API: SOCI would run only the first statement on SQLite. Returns the database's error
/// message when a statement fails; statements before it have run (the caller rolls back).
std::optional<std::string> execScript(soci::session& session, std::string_view sql);

/// SQLite only: true when the main database was opened read-only (SQLite falls back to
/// read-only silently when the file is not writable).
bool sqliteReadOnly(soci::session& session);

}  // namespace bankcc::store::detail
