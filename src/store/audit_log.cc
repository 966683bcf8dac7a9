// SPDX-License-Identifier: Apache-2.0
#include "store/audit_log.h"

#include <fmt/format.h>
#include <soci/soci.h>
#include <sodium.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/ids.h"
#include "store/native.h"
#include "store/org_support.h"
#include "store/sql_error.h"

// The chain, exactly (auditors and `bankcc admin audit verify` recompute it; keep this comment
// and the code in step):
//
//   canonical(r) = field(seq) field(id) field(at) field(actor) field(source_address)
//                  field(action) field(target_type) field(target_id) field(outcome)
//                  field(details) field(request_id)
//   field(v)     = <decimal byte length of v> ":" <the bytes of v> ";"
//                  (integers - seq, and at in UTC microseconds since 1970 - are written as
//                  decimal strings first, with a leading '-' when negative; text fields are
//                  their UTF-8 bytes as stored)
//   hash(r)      = SHA-256(raw bytes of r.prev_hash (32) || canonical(r))
//   mac(r)       = HMAC-SHA-256(audit key, raw bytes of hash(r) (32))
//   prev_hash(first record) = 32 zero bytes; prev_hash(r) = hash(the record with seq r.seq - 1)
//
// prev_hash, hash and mac are stored as lower-case hex (64 characters each). Example: the
// record seq 1, id "x", at 5, every text field "" except actor "a", action "b", outcome
// "success", details "{}" encodes as "1:1;1:x;1:5;1:a;0:;1:b;0:;0:;7:success;2:{};0:;".

namespace bankcc::store {
namespace {

using base::Errc;
using Digest = std::array<unsigned char, crypto_hash_sha256_BYTES>;

// "bankaudt" in ASCII: the PostgreSQL advisory lock that serialises appends across nodes.
constexpr long long kAuditLockKey = 0x62616e6b61756474LL;
constexpr std::size_t kMaxFieldBytes = 4096;
constexpr long long kVerifyBatch = 5000;
constexpr std::int64_t kProgressEvery = 10'000;

static_assert(crypto_kdf_KEYBYTES == 32, "the master key is 32 bytes");
static_assert(crypto_auth_hmacsha256_KEYBYTES == sizeof(AuditKey{}.bytes));
static_assert(crypto_auth_hmacsha256_BYTES == crypto_hash_sha256_BYTES);

constexpr const char* kSelect =
    "SELECT seq, id, at, actor, source_address, action, target_type, target_id, outcome, "
    "details, request_id, prev_hash, hash, mac FROM audit_log";

void ensureSodium() {
  // sodium_init() fails only when the library cannot work at all (no entropy source); the
  // audit chain must not be written or checked then.
  static const bool ok = sodium_init() >= 0;
  BANKCC_RELEASE_ASSERT(ok, "libsodium failed to initialise");
}

/// A clock that always says `at`: the id of a record is time-ordered by when it happened.
class FixedClock final : public base::Clock {
 public:
  explicit FixedClock(base::SysTime at) : at_(at) {}
  base::SysTime now() const override { return at_; }
  base::MonoTime monotonic() const override { return {}; }

 private:
  base::SysTime at_;
};

std::string toHex(const Digest& d) {
  std::array<char, 2 * crypto_hash_sha256_BYTES + 1> out{};
  sodium_bin2hex(out.data(), out.size(), d.data(), d.size());
  return std::string(out.data(), 2 * d.size());
}

/// The bytes of 64 lower-case hex digits; nullopt for anything else.
std::optional<Digest> fromHex(std::string_view hex) {
  if (hex.size() != 2 * crypto_hash_sha256_BYTES) return std::nullopt;
  Digest out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    int v = 0;
    for (char c : hex.substr(2 * i, 2)) {
      int nibble = 0;
      if (c >= '0' && c <= '9') {
        nibble = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        nibble = c - 'a' + 10;
      } else {
        return std::nullopt;
      }
      v = v * 16 + nibble;
    }
    out[i] = static_cast<unsigned char>(v);
  }
  return out;
}

void appendField(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += ';';
}

std::string canonical(const AuditRecord& r) {
  std::string out;
  appendField(out, std::to_string(r.seq));
  appendField(out, r.id);
  appendField(out, std::to_string(detail::toMicros(r.at)));
  for (const std::string* field : {&r.actor, &r.sourceAddress, &r.action, &r.targetType,
                                   &r.targetId, &r.outcome, &r.details, &r.requestId}) {
    appendField(out, *field);
  }
  return out;
}

Digest chainHash(const Digest& prev, const AuditRecord& r) {
  const std::string body = canonical(r);
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, prev.data(), prev.size());
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                            body.size());
  Digest out{};
  crypto_hash_sha256_final(&state, out.data());
  return out;
}

Digest macOf(const AuditKey& key, const Digest& hash) {
  Digest out{};
  crypto_auth_hmacsha256(out.data(), hash.data(), hash.size(), key.bytes.data());
  return out;
}

/// True when `s` is valid UTF-8 without NUL bytes (PostgreSQL stores nothing else, and the
/// chain hashes the bytes as stored).
bool validText(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra = 0;
    unsigned long cp = 0;
    if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(extra) >= s.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    static constexpr unsigned long kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

base::Status validate(const AuditRecord& r) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"id", &r.id},
      {"actor", &r.actor},
      {"source_address", &r.sourceAddress},
      {"action", &r.action},
      {"target_type", &r.targetType},
      {"target_id", &r.targetId},
      {"outcome", &r.outcome},
      {"details", &r.details},
      {"request_id", &r.requestId},
  };
  for (const auto& [name, value] : fields) {
    if (value->size() > kMaxFieldBytes) {
      return detail::invalid(
          name, fmt::format("must be at most {} bytes (got {})", kMaxFieldBytes, value->size()));
    }
    if (!validText(*value)) return detail::invalid(name, "must be UTF-8 without NUL characters");
  }
  if (r.actor.empty()) return detail::invalid("actor", "must not be empty");
  if (r.action.empty()) return detail::invalid("action", "must not be empty");
  if (r.outcome != "success" && r.outcome != "failure" && r.outcome != "denied") {
    return detail::invalid("outcome", fmt::format("must be success, failure or denied (got {})",
                                                  detail::quoted(r.outcome)));
  }
  const auto details = nlohmann::json::parse(r.details, nullptr, /*allow_exceptions=*/false);
  if (details.is_discarded() || !details.is_object()) {
    return detail::invalid("details", "must be a JSON object (\"{}\" when there is nothing)");
  }
  return {};
}

struct AuditRow {
  long long seq = 0, at = 0;
  std::string id, actor, sourceAddress, action, targetType, targetId, outcome, details, requestId,
      prevHash, hash, mac;

  // SOCI's comma syntax, continued on a statement being prepared.
  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(seq), soci::into(id), soci::into(at), soci::into(actor),
        soci::into(sourceAddress), soci::into(action), soci::into(targetType), soci::into(targetId),
        soci::into(outcome), soci::into(details), soci::into(requestId), soci::into(prevHash),
        soci::into(hash), soci::into(mac);
  }
  AuditRecord toRecord() const {
    AuditRecord r;
    r.seq = seq;
    r.id = id;
    r.at = detail::fromMicros(at);
    r.actor = actor;
    r.sourceAddress = sourceAddress;
    r.action = action;
    r.targetType = targetType;
    r.targetId = targetId;
    r.outcome = outcome;
    r.details = details;
    r.requestId = requestId;
    r.prevHash = prevHash;
    r.hash = hash;
    r.mac = mac;
    return r;
  }
};

base::Error badCursor() {
  return base::err(Errc::BadRequest,
                   "cursor: not a cursor from this list; start again without one");
}

/// The seq a cursor continues after (0: from the newest record).
base::Result<long long> cursorSeq(std::string_view cursor) {
  auto key = detail::decodeCursor(cursor);
  if (!key.ok()) return std::move(key).error();
  if (key->empty()) {
    if (!cursor.empty()) return badCursor();
    return 0LL;
  }
  long long seq = 0;
  const char* end = key->data() + key->size();
  const auto [ptr, ec] = std::from_chars(key->data(), end, seq);
  if (ec != std::errc() || ptr != end || seq < 1) return badCursor();
  return seq;
}

std::string missing(long long from, long long to) {
  if (from == to) return fmt::format("record {} missing", from);
  return fmt::format("records {} to {} missing", from, to);
}

/// The first problem of `r`, whose predecessor in the chain is `prevSeq` (0: none) with hash
/// `prevHash`; "" when `r` is sound.
std::string checkRecord(const AuditKey& key, const AuditRecord& r, long long prevSeq,
                        const Digest& prevHash) {
  if (prevSeq == 0 && r.seq != 1) {
    return fmt::format("first record has seq {} ({})", r.seq, missing(1, r.seq - 1));
  }
  if (prevSeq != 0 && r.seq != prevSeq + 1) {
    return fmt::format("seq {} follows seq {} ({})", r.seq, prevSeq,
                       missing(prevSeq + 1, r.seq - 1));
  }
  if (r.prevHash != toHex(prevHash)) {
    if (prevSeq == 0) {
      return fmt::format("seq {}: prev_hash is not 64 zeros (the start of the chain was changed)",
                         r.seq);
    }
    return fmt::format(
        "seq {}: prev_hash does not match seq {} (a record was removed or "
        "inserted)",
        r.seq, prevSeq);
  }
  const Digest hash = chainHash(prevHash, r);
  if (r.hash != toHex(hash)) {
    return fmt::format("seq {}: hash does not match its content (record was changed)", r.seq);
  }
  if (r.mac != toHex(macOf(key, hash))) {
    if (prevSeq == 0) {
      return fmt::format(
          "seq {}: mac is wrong (the key is not this log's, or the chain was "
          "rewritten without the key)",
          r.seq);
    }
    return fmt::format("seq {}: mac is wrong (chain rewritten without the key)", r.seq);
  }
  return {};
}

}  // namespace

AuditKey deriveAuditKey(const std::array<std::uint8_t, 32>& masterKey) {
  ensureSodium();
  AuditKey key;
  const int rc = crypto_kdf_derive_from_key(key.bytes.data(), key.bytes.size(), 1, "bkaudit1",
                                            masterKey.data());
  // Fails only for a subkey length outside 16..64 bytes; ours is the constant 32.
  BANKCC_RELEASE_ASSERT(rc == 0, "crypto_kdf_derive_from_key failed");
  return key;
}

base::Result<AuditRecord> appendAudit(soci::session& session, const AuditKey& key,
                                      AuditRecord record) {
  BANKCC_TRY(validate(record));
  ensureSodium();
  if (record.id.empty()) record.id = base::newUuidV7(FixedClock(record.at));
  return detail::guardedTransaction(
      session, "appending to the audit log", [&]() -> base::Result<AuditRecord> {
        // The lock that keeps the chain from forking. SQLite: the transaction's write lock
        // (BEGIN IMMEDIATE, or the caller's transaction once this one writes). PostgreSQL:
        // an advisory lock held until the (outermost) transaction ends, so the next
        // appender reads this record as the head.
        if (detail::backendOf(session) == Backend::Postgres) {
          session << "SELECT pg_advisory_xact_lock(:key)", soci::use(kAuditLockKey, "key");
        }
        long long headSeq = 0;
        std::string headHash;
        session << "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", soci::into(headSeq),
            soci::into(headHash);
        Digest prev{};
        if (session.got_data()) {
          auto parsed = fromHex(headHash);
          if (!parsed) {
            return base::err(Errc::Corrupt,
                             fmt::format("the audit log's newest record (seq {}) has a malformed "
                                         "hash; run the audit verify command",
                                         headSeq));
          }
          prev = *parsed;
        } else {
          headSeq = 0;
        }
        record.seq = headSeq + 1;
        record.prevHash = toHex(prev);
        const Digest hash = chainHash(prev, record);
        record.hash = toHex(hash);
        record.mac = toHex(macOf(key, hash));

        const long long seq = record.seq;
        const long long at = detail::toMicros(record.at);
        session << "INSERT INTO audit_log (seq, id, at, actor, source_address, action, "
                   "target_type, target_id, outcome, details, request_id, prev_hash, hash, mac) "
                   "VALUES (:seq, :id, :at, :actor, :source, :action, :target_type, :target_id, "
                   ":outcome, :details, :request_id, :prev_hash, :hash, :mac)",
            soci::use(seq, "seq"), soci::use(record.id, "id"), soci::use(at, "at"),
            soci::use(record.actor, "actor"), soci::use(record.sourceAddress, "source"),
            soci::use(record.action, "action"), soci::use(record.targetType, "target_type"),
            soci::use(record.targetId, "target_id"), soci::use(record.outcome, "outcome"),
            soci::use(record.details, "details"), soci::use(record.requestId, "request_id"),
            soci::use(record.prevHash, "prev_hash"), soci::use(record.hash, "hash"),
            soci::use(record.mac, "mac");
        return record;
      });
}

base::Result<Page<AuditRecord>> listAudit(soci::session& session, const AuditQuery& query) {
  auto limit = detail::checkLimit(query.limit);
  if (!limit.ok()) return std::move(limit).error();
  auto after = cursorSeq(query.cursor);
  if (!after.ok()) return std::move(after).error();

  // Only fixed fragments are appended; every value is bound.
  std::string sql = std::string(kSelect) + " WHERE 1 = 1";
  if (*after > 0) sql += " AND seq < :after";
  if (query.from) sql += " AND at >= :from";
  if (query.to) sql += " AND at < :to";
  if (!query.actor.empty()) sql += " AND actor = :actor";
  // A prefix "auth." is the range ["auth.", "auth/"): '/' follows '.' in byte order, and both
  // backends compare this column byte-wise (PostgreSQL: COLLATE "C"). No LIKE: '_' and '%'
  // would be wildcards.
  const bool prefix = !query.action.empty() && query.action.back() == '.';
  std::string actionEnd = query.action;
  if (prefix) {
    actionEnd.back() = static_cast<char>(actionEnd.back() + 1);
    sql += " AND action >= :action AND action < :action_end";
  } else if (!query.action.empty()) {
    sql += " AND action = :action";
  }
  if (!query.targetType.empty()) sql += " AND target_type = :target_type";
  if (!query.targetId.empty()) sql += " AND target_id = :target_id";
  if (!query.outcome.empty()) sql += " AND outcome = :outcome";
  sql += " ORDER BY seq DESC LIMIT :limit";

  return detail::guarded(
      session, "listing the audit log", [&]() -> base::Result<Page<AuditRecord>> {
        const long long afterSeq = *after;
        const long long from = query.from ? detail::toMicros(*query.from) : 0;
        const long long to = query.to ? detail::toMicros(*query.to) : 0;
        const long long fetch = *limit + 1;
        soci::details::prepare_temp_type p = (session.prepare << sql);
        if (afterSeq > 0) p, soci::use(afterSeq, "after");
        if (query.from) p, soci::use(from, "from");
        if (query.to) p, soci::use(to, "to");
        if (!query.actor.empty()) p, soci::use(query.actor, "actor");
        if (!query.action.empty()) p, soci::use(query.action, "action");
        if (prefix) p, soci::use(actionEnd, "action_end");
        if (!query.targetType.empty()) p, soci::use(query.targetType, "target_type");
        if (!query.targetId.empty()) p, soci::use(query.targetId, "target_id");
        if (!query.outcome.empty()) p, soci::use(query.outcome, "outcome");
        p, soci::use(fetch, "limit");
        AuditRow row;
        row.bind(p);
        soci::statement st(p);
        st.execute();
        std::vector<AuditRecord> rows;
        while (st.fetch()) rows.push_back(row.toRecord());
        return detail::makePage(std::move(rows), *limit,
                                [](const AuditRecord& r) { return std::to_string(r.seq); });
      });
}

base::Result<AuditVerification> verifyAudit(
    soci::session& session, const AuditKey& key,
    const std::function<void(std::int64_t, std::int64_t)>& progress) {
  ensureSodium();
  return detail::guarded(
      session, "verifying the audit log", [&]() -> base::Result<AuditVerification> {
        AuditVerification v;
        // Check up to the head as it is now; records appended meanwhile are for the next run.
        long long total = 0;
        long long head = 0;
        soci::indicator headIndicator = soci::i_null;
        session << "SELECT count(*), max(seq) FROM audit_log", soci::into(total),
            soci::into(head, headIndicator);
        if (headIndicator != soci::i_ok) head = 0;
        v.lastSeq = head;

        std::int64_t reported = -1;
        const auto report = [&] {
          if (progress && reported != v.records) progress(v.records, total);
          return v;
        };
        long long prevSeq = 0;
        Digest prevHash{};
        while (true) {
          const std::string sql = std::string(kSelect) +
                                  " WHERE seq > :after AND seq <= :head ORDER BY seq LIMIT :batch";
          AuditRow row;
          // A fresh statement per batch (SOCI re-execution of bound statements is not to be
          // trusted on PostgreSQL, TOOLCHAIN.md).
          soci::details::prepare_temp_type p =
              (session.prepare << sql, soci::use(prevSeq, "after"), soci::use(head, "head"),
               soci::use(kVerifyBatch, "batch"));
          row.bind(p);
          soci::statement st(p);
          st.execute();
          long long fetched = 0;
          while (st.fetch()) {
            ++fetched;
            const AuditRecord r = row.toRecord();
            ++v.records;
            if (std::string problem = checkRecord(key, r, prevSeq, prevHash); !problem.empty()) {
              v.ok = false;
              v.firstBadSeq = r.seq;
              v.problem = std::move(problem);
              return report();
            }
            prevSeq = r.seq;
            // checkRecord() found the stored hash equal to the recomputed one: valid hex.
            prevHash = fromHex(r.hash).value_or(Digest{});
            if (v.records % kProgressEvery == 0 && progress) {
              progress(v.records, total);
              reported = v.records;
            }
          }
          if (fetched < kVerifyBatch) break;
        }
        return report();
      });
}

}  // namespace bankcc::store
