// SPDX-License-Identifier: Apache-2.0
#include "store/transaction.h"

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "store/native.h"
#include "store/sql_error.h"

namespace bankcc::store {
namespace {

// One name serves every level: SQL resolves a savepoint name to the most recent one, and
// transactions nest strictly.
constexpr const char* kSavepoint = "bankcc_nested";

}  // namespace

base::Result<Transaction> Transaction::begin(soci::session& session) {
  const bool nested = detail::inTransaction(session);
  return detail::guarded(session, "starting a transaction", [&]() -> base::Result<Transaction> {
    if (nested) {
      session << std::string("SAVEPOINT ") + kSavepoint;
    } else if (detail::backendOf(session) == Backend::Sqlite) {
      session << "BEGIN IMMEDIATE";
    } else {
      session << "BEGIN";
    }
    return Transaction(session, nested);
  });
}

Transaction::Transaction(Transaction&& other) noexcept
    : session_(other.session_), nested_(other.nested_) {
  other.session_ = nullptr;
}

Transaction::~Transaction() {
  if (session_ == nullptr) return;
  if (auto status = rollback(); !status.ok()) {
    spdlog::warn("store: {}", status.error().describe());
  }
}

base::Status Transaction::commit() {
  if (session_ == nullptr)
    return base::err(base::Errc::Internal, "commit() on a closed Transaction");
  soci::session& session = *session_;
  auto status = detail::guarded(session, "committing", [&]() -> base::Status {
    if (nested_) {
      session << std::string("RELEASE SAVEPOINT ") + kSavepoint;
    } else {
      session << "COMMIT";
    }
    session_ = nullptr;
    return {};
  });
  if (!status.ok() && session_ != nullptr) {
    (void)rollback();  // a failed COMMIT may leave the transaction open (SQLite: busy)
  }
  return status;
}

base::Status Transaction::rollback() {
  if (session_ == nullptr) return {};
  soci::session& session = *session_;
  session_ = nullptr;
  return detail::guarded(session, "rolling back", [&]() -> base::Status {
    if (nested_) {
      // ROLLBACK TO keeps the savepoint on the stack; RELEASE pops it.
      session << std::string("ROLLBACK TO SAVEPOINT ") + kSavepoint;
      session << std::string("RELEASE SAVEPOINT ") + kSavepoint;
    } else if (detail::inTransaction(session)) {
      // SQLite may already have rolled back by itself (e.g. after SQLITE_FULL).
      session << "ROLLBACK";
    }
    return {};
  });
}

}  // namespace bankcc::store
