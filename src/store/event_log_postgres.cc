// SPDX-License-Identifier: Apache-2.0
// The event log's PostgreSQL writer: one COPY ... FROM STDIN per batch (text format) on the
// PGconn under the SOCI session. Row-by-row INSERTs reach a tenth of COPY's rate, and SOCI
// 4.0.3's vector binds re-send stale data on PostgreSQL (TOOLCHAIN.md).
//
// Replays go through a temporary staging table: COPY into it, then INSERT ... SELECT ... ON
// CONFLICT (seq) DO NOTHING, in one transaction, so rows committed before a crash or an
// outage are skipped.
#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <charconv>
#include <cstdlib>
#include <string>

#include "store/event_log_sink.h"

namespace bankcc::store::detail {
namespace {

using base::Errc;

constexpr const char* kColumns =
    "seq, epoch, ts, type, call_id, agent_id, queue_id, payload, request_id";
constexpr std::size_t kCopyChunk = 1u << 20;

/// COPY text format: backslash, tab, newline and carriage return must be escaped; the text
/// is clean UTF-8 without NUL (events/json.h), so nothing else needs care.
void appendCopyText(std::string& out, std::string_view v) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char* esc = nullptr;
    switch (v[i]) {
      case '\\':
        esc = "\\\\";
        break;
      case '\t':
        esc = "\\t";
        break;
      case '\n':
        esc = "\\n";
        break;
      case '\r':
        esc = "\\r";
        break;
      default:
        continue;
    }
    out.append(v.data() + run, i - run);
    out += esc;
    run = i + 1;
  }
  out.append(v.data() + run, v.size() - run);
}

void appendCopyNullable(std::string& out, std::string_view v) {
  if (v.empty()) {
    out += "\\N";
  } else {
    appendCopyText(out, v);
  }
}

template <typename Int>
void appendInt(std::string& out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

Errc classify(std::string_view state, bool connectionLost) {
  if (connectionLost || state.starts_with("08") || state.starts_with("57") ||
      state.starts_with("40") || state == "55P03") {
    return Errc::Unavailable;  // lost, shut down, terminated, statement timeout, lock wait
  }
  if (state == "23505") return Errc::Conflict;
  if (state == "25006" || state.starts_with("53")) return Errc::Io;  // read-only, disk full
  return Errc::Internal;
}

void quietNotice(void*, const char*) {}

class PostgresEventSink final : public EventSink {
 public:
  explicit PostgresEventSink(std::unique_ptr<soci::session> session)
      : session_(std::move(session)),
        conn_(static_cast<soci::postgresql_session_backend*>(session_->get_backend())->conn_) {}

  base::Status prepare(const EventLogConfig& config) {
    // "relation already exists" and similar notices are not for the operator's terminal.
    PQsetNoticeProcessor(conn_, quietNotice, nullptr);
    BANKCC_TRY(exec("SET client_encoding = 'UTF8'", "preparing the event log's connection"));
    BANKCC_TRY(exec(fmt::format("SET statement_timeout = {}", config.writeTimeout.count()),
                    "preparing the event log's connection"));
    auto st =
        exec("CREATE TEMP TABLE IF NOT EXISTS events_replay (LIKE events) ON COMMIT DELETE ROWS",
             "preparing the event log's staging table");
    if (!st.ok() && st.error().message.find("\"events\" does not exist") != std::string::npos) {
      base::Error e = std::move(st).error();
      e.code = Errc::Internal;
      e.message += " (the schema is not migrated: run `bankcc admin migrate`)";
      return e;
    }
    return st;
  }

  base::Status insert(std::span<const EventRowView> rows) override {
    return copy(fmt::format("COPY events ({}) FROM STDIN", kColumns), rows,
                "inserting an event batch");
  }

  base::Result<std::size_t> insertIdempotent(std::span<const EventRowView> rows) override {
    BANKCC_TRY(exec("BEGIN", "starting an event replay batch"));
    auto st = copy(fmt::format("COPY events_replay ({}) FROM STDIN", kColumns), rows,
                   "replaying an event batch");
    std::size_t inserted = 0;
    if (st.ok()) {
      PGresult* res = PQexec(conn_, fmt::format("INSERT INTO events ({0}) SELECT {0} FROM "
                                                "events_replay ON CONFLICT (seq) DO NOTHING",
                                                kColumns)
                                        .c_str());
      if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        inserted = std::strtoull(PQcmdTuples(res), nullptr, 10);
      } else {
        st = error(res, "replaying an event batch");
      }
      PQclear(res);
    }
    if (st.ok()) st = exec("COMMIT", "committing an event replay batch");
    if (!st.ok()) {
      if (PQstatus(conn_) == CONNECTION_OK) (void)exec("ROLLBACK", "rolling back");
      return std::move(st).error();
    }
    return inserted;
  }

  soci::session& session() override { return *session_; }

 private:
  base::Error error(PGresult* res, std::string_view doing) const {
    const bool lost = PQstatus(conn_) != CONNECTION_OK;
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string message =
        res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
    std::string tidy;  // libpq's messages span lines
    for (char c : message) {
      if (c == '\n' || c == '\t') c = ' ';
      if (c == ' ' && (tidy.empty() || tidy.back() == ' ')) continue;
      tidy += c;
    }
    while (!tidy.empty() && tidy.back() == ' ') tidy.pop_back();
    message = std::move(tidy);
    if (lost) message += " (connection lost)";
    return base::err(classify(state ? state : "", lost),
                     fmt::format("{} failed (PostgreSQL): {}", doing, message));
  }

  base::Status exec(const std::string& sql, std::string_view doing) {
    PGresult* res = PQexec(conn_, sql.c_str());
    base::Status st;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) st = error(res, doing);
    PQclear(res);
    return st;
  }

  base::Status copy(const std::string& sql, std::span<const EventRowView> rows,
                    std::string_view doing) {
    buf_.clear();
    for (const EventRowView& r : rows) {
      appendInt(buf_, r.seq);
      buf_ += '\t';
      appendInt(buf_, r.epoch);
      buf_ += '\t';
      appendInt(buf_, r.tsMicros);
      buf_ += '\t';
      appendCopyText(buf_, r.type);
      buf_ += '\t';
      appendCopyNullable(buf_, r.callId);
      buf_ += '\t';
      appendCopyNullable(buf_, r.agentId);
      buf_ += '\t';
      appendCopyNullable(buf_, r.queueId);
      buf_ += '\t';
      appendCopyText(buf_, r.payload);
      buf_ += '\t';
      appendCopyNullable(buf_, r.requestId);
      buf_ += '\n';
    }
    PGresult* res = PQexec(conn_, sql.c_str());
    if (PQresultStatus(res) != PGRES_COPY_IN) {
      base::Error e = error(res, doing);
      PQclear(res);
      return e;
    }
    PQclear(res);
    bool sent = true;
    for (std::size_t off = 0; off < buf_.size() && sent; off += kCopyChunk) {
      const std::size_t n = std::min(kCopyChunk, buf_.size() - off);
      sent = PQputCopyData(conn_, buf_.data() + off, static_cast<int>(n)) == 1;
    }
    sent = PQputCopyEnd(conn_, sent ? nullptr : "sending the batch failed") == 1 && sent;
    base::Status st;
    while ((res = PQgetResult(conn_)) != nullptr) {
      const ExecStatusType status = PQresultStatus(res);
      if (status != PGRES_COMMAND_OK && st.ok()) st = error(res, doing);
      PQclear(res);
      // Still in COPY: the end never reached the server. The connection is dropped by the
      // writer after any error, so stop here rather than loop.
      if (status == PGRES_COPY_IN) break;
    }
    if (st.ok() && !sent) st = error(nullptr, doing);
    return st;
  }

  std::unique_ptr<soci::session> session_;
  PGconn* conn_;
  std::string buf_;  // reused COPY data
};

}  // namespace

std::unique_ptr<EventSink> makePostgresEventSink(std::unique_ptr<soci::session> session,
                                                 const EventLogConfig& config,
                                                 base::Status& error) {
  auto sink = std::make_unique<PostgresEventSink>(std::move(session));
  error = sink->prepare(config);
  if (!error.ok()) return nullptr;
  return sink;
}

}  // namespace bankcc::store::detail
