// SPDX-License-Identifier: Apache-2.0
#include "store/sql_error.h"

#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <string>

namespace bankcc::store::detail {
namespace {

using base::Errc;

// SOCI prefixes messages with its own function names and libpq ends them with newlines.
std::string tidy(std::string text) {
  for (const char* prefix :
       {"sqlite3_statement_backend::prepare: ", "sqlite3_statement_backend::loadOne: ",
        "sqlite3_statement_backend::loadRS: ", "Cannot execute query. ",
        "Cannot establish connection to the database. ",
        "Cannot establish connection to the database.\n"}) {
    if (text.rfind(prefix, 0) == 0) text.erase(0, std::string_view(prefix).size());
  }
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Errc classifyPostgres(const std::string& state, soci::soci_error::error_category category) {
  if (state == "23505") return Errc::Conflict;
  if (state.rfind("23", 0) == 0 || state.rfind("22", 0) == 0) return Errc::ValidationFailed;
  if (state.rfind("08", 0) == 0 || state.rfind("40", 0) == 0 || state.rfind("57", 0) == 0 ||
      state == "55P03" || category == soci::soci_error::connection_error) {
    return Errc::Unavailable;  // connection lost, serialization failure, shutdown, lock wait
  }
  if (state.rfind("53", 0) == 0) return Errc::Io;  // disk full, out of memory
  return Errc::Internal;
}

}  // namespace

Errc classifySqlite(int rc, std::string_view message) {
  switch (rc & 0xff) {  // the primary result code
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Errc::Unavailable;
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return Errc::Io;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Errc::Corrupt;
    case SQLITE_CONSTRAINT:
      return message.find("UNIQUE constraint failed") != std::string_view::npos
                 ? Errc::Conflict
                 : Errc::ValidationFailed;
    default:
      return Errc::Internal;
  }
}

base::Error sqlError(const std::exception& e, Backend backend, std::string_view doing) {
  Errc code = Errc::Internal;
  std::string message;
  if (const auto* se = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    message = tidy(se->get_error_message());
    code = classifySqlite(se->result(), message);
    if (code == Errc::Unavailable) {
      message += " (another connection held the write lock longer than [store] busy_timeout)";
    }
  } else if (const auto* pe = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
    message = tidy(pe->get_error_message());
    code = classifyPostgres(pe->sqlstate(), pe->get_error_category());
  } else if (const auto* soe = dynamic_cast<const soci::soci_error*>(&e)) {
    message = tidy(soe->get_error_message());
    if (soe->get_error_category() == soci::soci_error::connection_error) {
      code = Errc::Unavailable;
    }
  } else {
    message = tidy(e.what());
  }
  const char* db = backend == Backend::Sqlite ? "SQLite" : "PostgreSQL";
  return base::err(code, fmt::format("{} failed ({}): {}", doing, db, message));
}

}  // namespace bankcc::store::detail
