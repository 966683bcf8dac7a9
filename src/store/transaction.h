// SPDX-License-Identifier: Apache-2.0
#pragma once

// A write transaction that nests: repository functions open one for their own writes, and
// when the caller already holds a transaction on the session (its own Transaction, a
// soci::transaction or a plain BEGIN) they become part of it through a SAVEPOINT. So an API
// handler can put an organisation change and its audit record in one commit.

#include "base/result.h"

namespace soci {
class session;
}

namespace bankcc::store {

/// Owns one open transaction (or savepoint) on a session; rolls it back on destruction unless
/// committed. The thread that owns the session uses it; it is not thread-safe.
class Transaction {
 public:
  /// Starts a transaction on `session`, or a savepoint when one is open. On SQLite the
  /// transaction takes the write lock at once (BEGIN IMMEDIATE), waiting up to the busy
  /// timeout, so two writers never deadlock on a lock upgrade. Errors: Unavailable (busy,
  /// connection lost).
  static base::Result<Transaction> begin(soci::session& session);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  /// Rolls back when still open. Never throws: a failed rollback is logged.
  ~Transaction();

  /// Commits (or releases the savepoint). Errors: Unavailable, Io; the transaction is then
  /// rolled back.
  base::Status commit();
  /// Rolls back now (or to the savepoint). Errors as commit().
  base::Status rollback();

  /// True when this is a savepoint inside a caller's transaction.
  bool nested() const { return nested_; }

 private:
  Transaction(soci::session& session, bool nested) : session_(&session), nested_(nested) {}

  soci::session* session_;  // null once committed, rolled back or moved from
  bool nested_;
};

}  // namespace bankcc::store
