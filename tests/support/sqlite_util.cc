// SPDX-License-Identifier: Apache-2.0
#include "support/sqlite_util.h"

#include <sqlite3.h>

namespace bankcc::testing {

int sqliteCount(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* conn = nullptr;
  int count = -1;
  if (sqlite3_open_v2(db.c_str(), &conn, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(conn, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      count = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(conn);
  return count;
}

bool sqliteExec(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* conn = nullptr;
  const bool ok = sqlite3_open(db.c_str(), &conn) == SQLITE_OK &&
                  sqlite3_exec(conn, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(conn);
  return ok;
}

}  // namespace bankcc::testing
