// SPDX-License-Identifier: Apache-2.0
// The event log's SQLite writer: prepared INSERTs inside one BEGIN IMMEDIATE ... COMMIT per
// batch, on the sqlite3* under the SOCI session (SOCI's per-row overhead halves throughput).
#include <fmt/format.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <array>
#include <optional>
#include <string>

#include "store/event_log_sink.h"
#include "store/sql_error.h"

namespace bankcc::store::detail {
namespace {

using base::Errc;
using sqlite_api::sqlite3;
using sqlite_api::sqlite3_stmt;

/// Rows per multi-row INSERT: one statement step per kRowsPerStatement rows cuts the per-row
/// overhead of sqlite3_step/reset (each also takes the connection's mutex) by about a fifth.
constexpr int kRowsPerStatement = 32;
constexpr int kColumnCount = 9;

std::string insertSql(bool ignore, int rows) {
  std::string sql = ignore ? "INSERT OR IGNORE" : "INSERT";
  sql +=
      " INTO events (seq, epoch, ts, type, call_id, agent_id, queue_id, payload, request_id) "
      "VALUES ";
  for (int i = 0; i < rows; ++i) sql += i == 0 ? "(?,?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?,?)";
  return sql;
}

class SqliteEventSink final : public EventSink {
 public:
  explicit SqliteEventSink(std::unique_ptr<soci::session> session)
      : session_(std::move(session)),
        db_(static_cast<soci::sqlite3_session_backend*>(session_->get_backend())->conn_) {}

  ~SqliteEventSink() override {
    for (sqlite3_stmt* s : {insert_.one, insert_.many, insertIgnore_.one, insertIgnore_.many,
                            begin_, commit_, rollback_}) {
      sqlite_api::sqlite3_finalize(s);  // before SOCI closes the connection
    }
  }

  base::Status prepare() {
    const std::array<std::pair<sqlite3_stmt**, std::string>, 7> statements{{
        {&insert_.one, insertSql(false, 1)},
        {&insert_.many, insertSql(false, kRowsPerStatement)},
        {&insertIgnore_.one, insertSql(true, 1)},
        {&insertIgnore_.many, insertSql(true, kRowsPerStatement)},
        {&begin_, "BEGIN IMMEDIATE"},
        {&commit_, "COMMIT"},
        {&rollback_, "ROLLBACK"},
    }};
    for (const auto& [stmt, sql] : statements) {
      const int rc = sqlite_api::sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT,
                                                    stmt, nullptr);
      if (rc != SQLITE_OK) {
        base::Error e = error(rc, "preparing the event log's statements");
        if (e.message.find("no such table") != std::string::npos) {
          e.code = Errc::Internal;
          e.message += " (the schema is not migrated: run `bankcc admin migrate`)";
        }
        return e;
      }
    }
    return {};
  }

  base::Status insert(std::span<const EventRowView> rows) override {
    auto n = write(insert_, rows);
    if (!n.ok()) return std::move(n).error();
    return {};
  }

  base::Result<std::size_t> insertIdempotent(std::span<const EventRowView> rows) override {
    return write(insertIgnore_, rows);
  }

  soci::session& session() override { return *session_; }

 private:
  base::Error error(int rc, std::string_view doing) const {
    const std::string_view message = sqlite_api::sqlite3_errmsg(db_);
    const std::string_view generic = sqlite_api::sqlite3_errstr(rc);
    // A seq stored already is a UNIQUE violation: Conflict, which insert() promises.
    return base::err(classifySqlite(rc, message),
                     message == generic
                         ? fmt::format("{} failed (SQLite): {}", doing, message)
                         : fmt::format("{} failed (SQLite): {} ({})", doing, message, generic));
  }

  /// Runs `stmt` (no result rows); the error when it fails.
  base::Status run(sqlite3_stmt* stmt, std::string_view doing) {
    const int rc = sqlite_api::sqlite3_step(stmt);
    std::optional<base::Error> e;
    if (rc != SQLITE_DONE) e = error(rc, doing);  // before reset, which may change the message
    sqlite_api::sqlite3_reset(stmt);
    if (e) return std::move(*e);
    return {};
  }

  /// A 1-row and a kRowsPerStatement-row form of one INSERT.
  struct Insert {
    sqlite3_stmt* one = nullptr;
    sqlite3_stmt* many = nullptr;
  };

  base::Result<std::size_t> write(const Insert& stmt, std::span<const EventRowView> rows) {
    if (auto st = run(begin_, "starting an event batch"); !st.ok()) return std::move(st).error();
    std::size_t inserted = 0;
    while (!rows.empty()) {
      const bool many = rows.size() >= static_cast<std::size_t>(kRowsPerStatement);
      sqlite3_stmt* s = many ? stmt.many : stmt.one;
      const std::size_t n = many ? kRowsPerStatement : 1;
      for (std::size_t i = 0; i < n; ++i) bindRow(s, static_cast<int>(i) * kColumnCount, rows[i]);
      const int rc = sqlite_api::sqlite3_step(s);
      if (rc != SQLITE_DONE) {
        base::Error e = error(rc, "inserting events");
        sqlite_api::sqlite3_reset(s);
        sqlite_api::sqlite3_clear_bindings(s);
        rollback();
        return e;
      }
      sqlite_api::sqlite3_reset(s);
      inserted += static_cast<std::size_t>(sqlite_api::sqlite3_changes(db_));
      rows = rows.subspan(n);
    }
    // The bound text belongs to the batch, which is about to go.
    sqlite_api::sqlite3_clear_bindings(stmt.one);
    sqlite_api::sqlite3_clear_bindings(stmt.many);
    if (auto st = run(commit_, "committing an event batch"); !st.ok()) {
      rollback();
      return std::move(st).error();
    }
    return inserted;
  }

  static void bindRow(sqlite3_stmt* s, int base, const EventRowView& r) {
    sqlite_api::sqlite3_bind_int64(s, base + 1, static_cast<sqlite_api::sqlite3_int64>(r.seq));
    sqlite_api::sqlite3_bind_int64(s, base + 2, static_cast<sqlite_api::sqlite3_int64>(r.epoch));
    sqlite_api::sqlite3_bind_int64(s, base + 3, r.tsMicros);
    bindText(s, base + 4, r.type, false);
    bindText(s, base + 5, r.callId, true);
    bindText(s, base + 6, r.agentId, true);
    bindText(s, base + 7, r.queueId, true);
    bindText(s, base + 8, r.payload, false);
    bindText(s, base + 9, r.requestId, true);
  }

  void rollback() {
    if (sqlite_api::sqlite3_get_autocommit(db_) == 0) (void)run(rollback_, "rolling back");
  }

  static void bindText(sqlite3_stmt* stmt, int i, std::string_view v, bool nullWhenEmpty) {
    if (nullWhenEmpty && v.empty()) {
      sqlite_api::sqlite3_bind_null(stmt, i);
    } else {
      sqlite_api::sqlite3_bind_text(stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    }
  }

  std::unique_ptr<soci::session> session_;
  sqlite3* db_;
  Insert insert_;
  Insert insertIgnore_;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
};

}  // namespace

std::unique_ptr<EventSink> makeSqliteEventSink(std::unique_ptr<soci::session> session,
                                               base::Status& error) {
  auto sink = std::make_unique<SqliteEventSink>(std::move(session));
  error = sink->prepare();
  if (!error.ok()) return nullptr;
  return sink;
}

}  // namespace bankcc::store::detail
