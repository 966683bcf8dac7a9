// SPDX-License-Identifier: Apache-2.0
#pragma once

// The security audit log (CONVENTIONS.md "Events and the audit log"): who did what, when, from
// where, with what outcome. Append-only and tamper-evident:
//   - Each record carries hash = SHA-256(prev_hash || canonical(record)), chaining it to the one
//     before (the first record chains to 32 zero bytes).
//   - Each record also carries mac = HMAC-SHA-256(audit key, hash). The audit key is derived
//     from the master key, which is not in the database, so someone who can write the database
//     can neither rewrite a record nor re-chain the rest without the change being found.
//   - Appends are serialised by a database lock (SQLite: the write transaction; PostgreSQL: a
//     transaction-scoped advisory lock), so the server and command-line tools on any node
//     append to one chain that never forks. An append joins the caller's open transaction:
//     a change and its audit record commit together or not at all.
//   - Triggers refuse UPDATE and DELETE on the table (defence in depth; the chain is the proof).
// Threads: each function runs on the caller's thread, which owns `session`.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"

namespace bankcc::store {

/// The HMAC key of the audit chain (derived from the master key by the caller; see
/// deriveAuditKey()).
struct AuditKey {
  std::array<unsigned char, 32> bytes{};
};

/// Derives the audit key from the 32-byte master key (libsodium crypto_kdf, context
/// "bkaudit1", subkey 1).
AuditKey deriveAuditKey(const std::array<std::uint8_t, 32>& masterKey);

struct AuditRecord {
  std::int64_t seq = 0;       ///< 1, 2, 3, ... without gaps; assigned by appendAudit
  std::string id;             ///< UUIDv7; assigned by appendAudit when empty
  base::SysTime at{};         ///< when it happened (UTC, microseconds)
  std::string actor;          ///< username; "system" for the server itself; "-" when unknown
  std::string sourceAddress;  ///< client IP address; "cli" for command-line tools
  /// What happened, dotted: "auth.login", "auth.login_failed", "auth.logout", "auth.locked",
  /// "auth.unlocked", "auth.password_changed", "access.denied", "queue.created",
  /// "queue.updated", "user.password_reset", ...
  std::string action;
  std::string targetType;  ///< "user", "queue", "agent", ... or "" when none
  std::string targetId;    ///< the target's code / username / agent number, or ""
  std::string outcome;     ///< "success", "failure" or "denied"
  std::string details;     ///< a JSON object as text ("{}" when nothing to add); no secrets
  std::string requestId;   ///< the API request's id, or ""
  std::string prevHash;    ///< hex, 64 characters; assigned by appendAudit
  std::string hash;        ///< hex; assigned by appendAudit
  std::string mac;         ///< hex; assigned by appendAudit
};

/// Appends `record` (seq, id when empty, prev_hash, hash and mac are assigned) and returns it
/// as stored. Joins the caller's open transaction (store::Transaction), else commits its own.
/// Errors: ValidationFailed (empty action/actor, outcome not one of the three, details not a
/// JSON object, a field over 4096 bytes), Unavailable, Io.
base::Result<AuditRecord> appendAudit(soci::session& session, const AuditKey& key,
                                      AuditRecord record);

struct AuditQuery {
  std::optional<base::SysTime> from;  ///< at >= from
  std::optional<base::SysTime> to;    ///< at < to
  std::string actor;                  ///< exact; "" = any
  std::string action;                 ///< exact, or a prefix ending in '.' ("auth."); "" = any
  std::string targetType;             ///< exact; "" = any
  std::string targetId;               ///< exact; "" = any
  std::string outcome;                ///< exact; "" = any
  int limit = kDefaultPageLimit;      ///< 1..kMaxPageLimit
  std::string cursor;                 ///< "" or a Page::nextCursor of the same query
};

/// Records matching `query`, newest first (seq descending). Errors: BadRequest (a cursor that
/// is not ours), ValidationFailed (limit out of range), Unavailable, Io.
base::Result<Page<AuditRecord>> listAudit(soci::session& session, const AuditQuery& query);

struct AuditVerification {
  std::int64_t records = 0;  ///< how many records were checked
  std::int64_t lastSeq = 0;  ///< the head's seq (0 when the log is empty)
  bool ok = true;
  std::int64_t firstBadSeq = 0;  ///< when !ok: the first record that fails
  std::string problem;           ///< when !ok: "seq 17: hash does not match its content", ...
};

/// Walks the whole chain in seq order: seq has no gaps and starts at 1, every prev_hash is the
/// previous hash, every hash matches the record's content, every mac matches under `key`.
/// `progress(checked, total)` is called every 10,000 records and at the end (may be empty).
/// Errors (the check could not run): Unavailable, Io. A broken chain is not an error: it is
/// reported in the result.
base::Result<AuditVerification> verifyAudit(
    soci::session& session, const AuditKey& key,
    const std::function<void(std::int64_t, std::int64_t)>& progress = {});

}  // namespace bankcc::store
