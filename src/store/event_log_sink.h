// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to store: the event log writer's side of the database. One implementation per
// backend, each on the native handle under SOCI for speed (SQLite: prepared statements;
// PostgreSQL: COPY FROM STDIN). Owned and used by the writer thread only.

#include <cstddef>
#include <memory>
#include <span>

#include "base/result.h"
#include "store/database.h"
#include "store/event_log.h"
#include "store/event_log_row.h"

namespace soci {
class session;
}

namespace bankcc::store::detail {

class EventSink {
 public:
  /// Opens a connection with db.connect() and prepares it for writing events (SQLite:
  /// statements; PostgreSQL: statement_timeout and a temporary staging table). Errors as
  /// Database::connect(), plus Internal when the event tables are missing.
  static base::Result<std::unique_ptr<EventSink>> open(const Database& db,
                                                       const EventLogConfig& config);
  virtual ~EventSink() = default;

  /// Inserts `rows` (new events) in one transaction: all or none. Errors: Conflict when a seq
  /// exists already (nothing inserted), otherwise Unavailable / Io / Internal with the
  /// database's message.
  virtual base::Status insert(std::span<const EventRowView> rows) = 0;

  /// Inserts `rows` in one transaction, skipping seqs that exist already (replay after an
  /// outage or a crash). Returns how many rows were new. Errors as insert(), never Conflict.
  virtual base::Result<std::size_t> insertIdempotent(std::span<const EventRowView> rows) = 0;

  /// The connection underneath, for the start-up queries. Never inside a transaction between
  /// calls.
  virtual soci::session& session() = 0;
};

std::unique_ptr<EventSink> makeSqliteEventSink(std::unique_ptr<soci::session> session,
                                               base::Status& error);
std::unique_ptr<EventSink> makePostgresEventSink(std::unique_ptr<soci::session> session,
                                                 const EventLogConfig& config, base::Status& error);

}  // namespace bankcc::store::detail
