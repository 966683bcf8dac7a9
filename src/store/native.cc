// SPDX-License-Identifier: Apache-2.0
#include "store/native.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <string>

namespace bankcc::store::detail {
namespace {

// SOCI's session keeps its backend behind a base-class pointer; the backend structs in SOCI's
// headers expose the native handle as a public member.
sqlite_api::sqlite3* sqliteHandle(soci::session& session) {
  return static_cast<soci::sqlite3_session_backend*>(session.get_backend())->conn_;
}

PGconn* pgHandle(soci::session& session) {
  return static_cast<soci::postgresql_session_backend*>(session.get_backend())->conn_;
}

}  // namespace

Backend backendOf(soci::session& session) {
  return session.get_backend_name() == "postgresql" ? Backend::Postgres : Backend::Sqlite;
}

bool inTransaction(soci::session& session) {
  if (backendOf(session) == Backend::Sqlite) {
    return sqlite_api::sqlite3_get_autocommit(sqliteHandle(session)) == 0;
  }
  return PQtransactionStatus(pgHandle(session)) != PQTRANS_IDLE;
}

std::optional<std::string> execScript(soci::session& session, std::string_view sql) {
  const std::string text(sql);  // both APIs want a NUL-terminated string
  if (backendOf(session) == Backend::Sqlite) {
    char* message = nullptr;
    const int rc =
        sqlite_api::sqlite3_exec(sqliteHandle(session), text.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return std::nullopt;
    std::string out = message ? message : sqlite_api::sqlite3_errstr(rc);
    sqlite_api::sqlite3_free(message);
    return out;
  }
  PGconn* conn = pgHandle(session);
  PGresult* result = PQexec(conn, text.c_str());
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  std::optional<std::string> out;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    const std::string raw = result ? PQresultErrorMessage(result) : PQerrorMessage(conn);
    // One line for logs: libpq spreads "ERROR: ..." and "LINE 4: ..." over several.
    out.emplace();
    for (char c : raw) {
      if (c == '\n' || c == '\t') c = ' ';
      if (c == ' ' && (out->empty() || out->back() == ' ')) continue;
      *out += c;
    }
    while (!out->empty() && out->back() == ' ') out->pop_back();
  }
  PQclear(result);
  return out;
}

bool sqliteReadOnly(soci::session& session) {
  return sqlite_api::sqlite3_db_readonly(sqliteHandle(session), "main") == 1;
}

}  // namespace bankcc::store::detail
