// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to store: turning SOCI's exceptions into base::Error at the edge of each function.

#include <exception>
#include <string_view>

#include "base/result.h"
#include "store/database.h"
#include "store/native.h"

namespace bankcc::store::detail {

/// An Error a user can act on for `e`, thrown while `doing` (e.g. "creating skill 'x'"):
/// Unavailable for lost connections, busy locks and serialization failures; Io for read-only,
/// full or unopenable files; Conflict for unique violations; ValidationFailed for other
/// constraint violations; Corrupt for a damaged file; Internal otherwise. The message never
/// includes bound values (SOCI's context lines would show them).
base::Error sqlError(const std::exception& e, Backend backend, std::string_view doing);

/// The Errc for a failed SQLite call, as sqlError() classifies it: `rc` is its (primary or
/// extended) result code, `message` its error message (sqlite3_errmsg), which tells a unique
/// violation (Conflict) from other constraint violations (ValidationFailed).
base::Errc classifySqlite(int rc, std::string_view message);

/// Runs `f` (returning a base::Result) and turns an exception into sqlError(...).
template <typename F>
auto guarded(soci::session& session, std::string_view doing, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return sqlError(e, backendOf(session), doing);
  }
}

}  // namespace bankcc::store::detail
