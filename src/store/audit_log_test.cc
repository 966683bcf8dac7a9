// SPDX-License-Identifier: Apache-2.0
#include "store/audit_log.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <soci/soci.h>
#include <sodium.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "base/ids.h"
#include "store/org_queues.h"
#include "store/store_test_support.h"
#include "store/transaction.h"

namespace bankcc::store {
namespace {

using base::Errc;
using testing::failsWith;
using testing::isOk;
using namespace std::chrono_literals;

// --- An independent implementation of the chain, written from the documented encoding (the
// comment at the top of audit_log.cc), as an auditor's tool would be.

std::string toHex(const unsigned char* bytes, std::size_t size) {
  std::string out;
  for (std::size_t i = 0; i < size; ++i) out += fmt::format("{:02x}", bytes[i]);
  return out;
}

std::array<unsigned char, 32> fromHex(const std::string& hex) {
  std::array<unsigned char, 32> out{};
  for (std::size_t i = 0; i < out.size() && 2 * i + 1 < hex.size(); ++i) {
    out[i] = static_cast<unsigned char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  return out;
}

std::string field(const std::string& value) {
  return fmt::format("{}:{};", value.size(), value);
}

std::string expectedHash(const std::string& prevHashHex, const AuditRecord& r) {
  std::string message;
  const auto prev = fromHex(prevHashHex);
  message.append(reinterpret_cast<const char*>(prev.data()), prev.size());
  message += field(std::to_string(r.seq)) + field(r.id) +
             field(std::to_string(r.at.time_since_epoch().count())) + field(r.actor) +
             field(r.sourceAddress) + field(r.action) + field(r.targetType) + field(r.targetId) +
             field(r.outcome) + field(r.details) + field(r.requestId);
  std::array<unsigned char, 32> out{};
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(message.data()),
                     message.size());
  return toHex(out.data(), out.size());
}

std::string expectedMac(const AuditKey& key, const std::string& hashHex) {
  const auto hash = fromHex(hashHex);
  std::array<unsigned char, 32> out{};
  crypto_auth_hmacsha256(out.data(), hash.data(), hash.size(), key.bytes.data());
  return toHex(out.data(), out.size());
}

const std::string kZeros(64, '0');

class AuditLogTest : public testing::MigratedStoreTest {
 protected:
  void SetUp() override {
    MigratedStoreTest::SetUp();
    ASSERT_GE(sodium_init(), 0);
  }

  static AuditKey key(std::uint8_t fill = 7) {
    std::array<std::uint8_t, 32> master{};
    master.fill(fill);
    return deriveAuditKey(master);
  }

  AuditRecord record(std::string actor = "zhang.wei", std::string action = "auth.login",
                     std::string outcome = "success") {
    AuditRecord r;
    r.at = clock_.now();
    r.actor = std::move(actor);
    r.sourceAddress = "192.0.2.7";
    r.action = std::move(action);
    r.targetType = "user";
    r.targetId = r.actor;
    r.outcome = std::move(outcome);
    r.details = R"({"method":"password"})";
    r.requestId = "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887";
    return r;
  }

  /// Appends `n` records, one second apart; the last one appended.
  AuditRecord appendSome(int n) {
    AuditRecord last;
    for (int i = 0; i < n; ++i) {
      clock_.advance(1s);
      auto stored = appendAudit(session(), key(), record());
      EXPECT_TRUE(isOk(stored));
      if (stored.ok()) last = *stored;
    }
    return last;
  }

  std::int64_t rows() {
    long long count = 0;
    session() << "SELECT count(*) FROM audit_log", soci::into(count);
    return count;
  }

  /// What an intruder with write access does first.
  void dropTriggers() {
    if (GetParam() == Backend::Sqlite) {
      session() << "DROP TRIGGER audit_log_no_update";
      session() << "DROP TRIGGER audit_log_no_delete";
    } else {
      session() << "DROP TRIGGER audit_log_no_update_delete ON audit_log";
      session() << "DROP TRIGGER audit_log_no_truncate ON audit_log";
    }
  }

  /// The record `seq` as the table holds it.
  AuditRecord stored(std::int64_t seq) {
    const long long s = seq;
    AuditRecord r;
    long long at = 0;
    session() << "SELECT seq, id, at, actor, source_address, action, target_type, target_id, "
                 "outcome, details, request_id, prev_hash, hash, mac FROM audit_log "
                 "WHERE seq = :seq",
        soci::use(s, "seq"), soci::into(r.seq), soci::into(r.id), soci::into(at),
        soci::into(r.actor), soci::into(r.sourceAddress), soci::into(r.action),
        soci::into(r.targetType), soci::into(r.targetId), soci::into(r.outcome),
        soci::into(r.details), soci::into(r.requestId), soci::into(r.prevHash), soci::into(r.hash),
        soci::into(r.mac);
    r.at = base::SysTime{std::chrono::microseconds{at}};
    return r;
  }

  void insertRaw(const AuditRecord& r) {
    const long long seq = r.seq;
    const long long at = r.at.time_since_epoch().count();
    session() << "INSERT INTO audit_log (seq, id, at, actor, source_address, action, "
                 "target_type, target_id, outcome, details, request_id, prev_hash, hash, mac) "
                 "VALUES (:seq, :id, :at, :actor, :source, :action, :tt, :ti, :outcome, "
                 ":details, :request, :prev, :hash, :mac)",
        soci::use(seq, "seq"), soci::use(r.id, "id"), soci::use(at, "at"),
        soci::use(r.actor, "actor"), soci::use(r.sourceAddress, "source"),
        soci::use(r.action, "action"), soci::use(r.targetType, "tt"), soci::use(r.targetId, "ti"),
        soci::use(r.outcome, "outcome"), soci::use(r.details, "details"),
        soci::use(r.requestId, "request"), soci::use(r.prevHash, "prev"), soci::use(r.hash, "hash"),
        soci::use(r.mac, "mac");
  }

  AuditVerification verify(const AuditKey& k = key()) {
    auto v = verifyAudit(session(), k);
    EXPECT_TRUE(isOk(v));
    return v.ok() ? *v : AuditVerification{};
  }
};

TEST(AuditKeyTest, DerivationIsDeterministicAndDependsOnTheMasterKey) {
  std::array<std::uint8_t, 32> a{};
  a.fill(1);
  std::array<std::uint8_t, 32> b = a;
  b[31] = 2;
  EXPECT_EQ(deriveAuditKey(a).bytes, deriveAuditKey(a).bytes);
  EXPECT_NE(deriveAuditKey(a).bytes, deriveAuditKey(b).bytes);
  EXPECT_NE(deriveAuditKey(a).bytes, (std::array<unsigned char, 32>{}));

  // libsodium's crypto_kdf with context "bkaudit1", subkey 1, done here by hand.
  ASSERT_GE(sodium_init(), 0);
  std::array<unsigned char, 32> expected{};
  ASSERT_EQ(crypto_kdf_derive_from_key(expected.data(), expected.size(), 1, "bkaudit1", a.data()),
            0);
  EXPECT_EQ(deriveAuditKey(a).bytes, expected);
}

TEST_P(AuditLogTest, EmptyLogVerifies) {
  std::vector<std::pair<std::int64_t, std::int64_t>> calls;
  auto v = verifyAudit(session(), key(),
                       [&](std::int64_t n, std::int64_t total) { calls.emplace_back(n, total); });
  ASSERT_TRUE(isOk(v));
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->records, 0);
  EXPECT_EQ(v->lastSeq, 0);
  EXPECT_EQ(calls, (std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 0}}));
}

TEST_P(AuditLogTest, AppendsAChain) {
  std::vector<AuditRecord> appended;
  for (int i = 0; i < 5; ++i) {
    clock_.advance(1s);
    auto stored = appendAudit(session(), key(), record());
    ASSERT_TRUE(isOk(stored));
    appended.push_back(*stored);
  }
  for (std::size_t i = 0; i < appended.size(); ++i) {
    const AuditRecord& r = appended[i];
    EXPECT_EQ(r.seq, static_cast<std::int64_t>(i) + 1);
    EXPECT_TRUE(base::isUuid(r.id)) << r.id;
    EXPECT_EQ(r.prevHash, i == 0 ? kZeros : appended[i - 1].hash);
    // The documented encoding, recomputed independently.
    EXPECT_EQ(r.hash, expectedHash(r.prevHash, r));
    EXPECT_EQ(r.mac, expectedMac(key(), r.hash));
    const AuditRecord read = stored(r.seq);
    EXPECT_EQ(read.id, r.id);
    EXPECT_EQ(read.at, r.at);
    EXPECT_EQ(read.details, r.details);
    EXPECT_EQ(read.hash, r.hash);
    EXPECT_EQ(read.mac, r.mac);
  }
  EXPECT_NE(appended[0].id, appended[1].id);

  std::vector<std::pair<std::int64_t, std::int64_t>> calls;
  auto v = verifyAudit(session(), key(),
                       [&](std::int64_t n, std::int64_t total) { calls.emplace_back(n, total); });
  ASSERT_TRUE(isOk(v));
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->records, 5);
  EXPECT_EQ(v->lastSeq, 5);
  EXPECT_EQ(calls, (std::vector<std::pair<std::int64_t, std::int64_t>>{{5, 5}}));
}

TEST_P(AuditLogTest, KeepsACallerChosenIdAndTheTextAsGiven) {
  AuditRecord r = record();
  r.id = base::newUuidV7(clock_);
  r.actor = "张伟";
  r.details = "{ \"note\" : \"换行\\n\" ,\n \"n\": 1 }";
  r.targetType = "";
  r.targetId = "";
  r.requestId = "";
  auto appended = appendAudit(session(), key(), r);
  ASSERT_TRUE(isOk(appended));
  EXPECT_EQ(appended->id, r.id);
  const AuditRecord read = stored(1);
  EXPECT_EQ(read.actor, "张伟");
  EXPECT_EQ(read.details, r.details);
  EXPECT_EQ(read.targetType, "");
  EXPECT_TRUE(verify().ok);
}

TEST_P(AuditLogTest, AppendInARolledBackTransactionLeavesNothing) {
  appendSome(2);
  {
    auto tx = Transaction::begin(session());
    ASSERT_TRUE(isOk(tx));
    auto inside = appendAudit(session(), key(), record("li.na"));
    ASSERT_TRUE(isOk(inside));
    EXPECT_EQ(inside->seq, 3);
    ASSERT_TRUE(isOk(tx->rollback()));
  }
  EXPECT_EQ(rows(), 2);
  auto next = appendAudit(session(), key(), record("wang.fang"));
  ASSERT_TRUE(isOk(next));
  EXPECT_EQ(next->seq, 3);  // the rolled-back number is used again
  const AuditVerification v = verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 3);
}

TEST_P(AuditLogTest, AppendCommitsTogetherWithTheChangeItRecords) {
  Queue queue;
  queue.code = "retail_zh";
  queue.nameZh = "零售";
  queue.nameEn = "Retail";
  {
    auto tx = Transaction::begin(session());
    ASSERT_TRUE(isOk(tx));
    ASSERT_TRUE(isOk(createQueue(session(), clock_, queue)));
    AuditRecord r = record("admin", "queue.created");
    r.targetType = "queue";
    r.targetId = "retail_zh";
    ASSERT_TRUE(isOk(appendAudit(session(), key(), r)));
    ASSERT_TRUE(isOk(tx->commit()));
  }
  EXPECT_TRUE(isOk(getQueue(session(), "retail_zh")));
  EXPECT_EQ(rows(), 1);

  // Both or neither: a failure after the append takes the record back with the change.
  queue.code = "credit_card";
  {
    auto tx = Transaction::begin(session());
    ASSERT_TRUE(isOk(tx));
    ASSERT_TRUE(isOk(createQueue(session(), clock_, queue)));
    ASSERT_TRUE(isOk(appendAudit(session(), key(), record("admin", "queue.created"))));
    // tx goes out of scope: rolled back
  }
  EXPECT_TRUE(failsWith(getQueue(session(), "credit_card"), Errc::NotFound));
  EXPECT_EQ(rows(), 1);
  EXPECT_TRUE(verify().ok);
}

TEST_P(AuditLogTest, ConcurrentAppendersBuildOneChain) {
  constexpr int kPerThread = 200;
  std::atomic<int> failures{0};
  std::string firstFailure;
  std::mutex mu;
  auto writer = [&](std::string actor) {
    auto own = connectAgain();
    if (!own) {
      ++failures;
      return;
    }
    for (int i = 0; i < kPerThread; ++i) {
      AuditRecord r = record(actor);
      auto stored = appendAudit(*own, key(), r);
      if (!stored.ok()) {
        std::lock_guard lock(mu);
        if (failures++ == 0) firstFailure = stored.error().describe();
      }
    }
  };
  std::thread a(writer, "writer.a");
  std::thread b(writer, "writer.b");
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0) << firstFailure;

  const AuditVerification v = verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 2 * kPerThread);
  EXPECT_EQ(v.lastSeq, 2 * kPerThread);
  AuditQuery q;
  q.actor = "writer.a";
  q.limit = kMaxPageLimit;
  auto page = listAudit(session(), q);
  ASSERT_TRUE(isOk(page));
  EXPECT_EQ(page->items.size(), static_cast<std::size_t>(kPerThread));
}

TEST_P(AuditLogTest, RejectsInvalidRecords) {
  const auto fails = [&](AuditRecord r, std::string_view text) {
    return failsWith(appendAudit(session(), key(), std::move(r)), Errc::ValidationFailed, text);
  };
  AuditRecord r = record();
  r.actor = "";
  EXPECT_TRUE(fails(r, "actor: must not be empty"));
  r = record();
  r.action = "";
  EXPECT_TRUE(fails(r, "action: must not be empty"));
  EXPECT_TRUE(fails(record("a", "auth.login", "ok"), "outcome:"));
  EXPECT_TRUE(fails(record("a", "auth.login", ""), "outcome:"));
  for (const char* details : {"", "[]", "\"text\"", "42", "{", "{\"a\":1} x", "null"}) {
    r = record();
    r.details = details;
    EXPECT_TRUE(fails(r, "details: must be a JSON object")) << details;
  }
  r = record();
  r.targetId = std::string(4097, 'x');
  EXPECT_TRUE(fails(r, "target_id: must be at most 4096 bytes"));
  r = record();
  r.details = "{\"a\":\"" + std::string(4090, 'x') + "\"}";
  EXPECT_TRUE(fails(r, "details: must be at most 4096 bytes"));
  r = record();
  r.actor = std::string("zhang\0wei", 9);
  EXPECT_TRUE(fails(r, "actor: must be UTF-8"));
  r = record();
  r.sourceAddress = "\xff\xfe";
  EXPECT_TRUE(fails(r, "source_address: must be UTF-8"));
  EXPECT_EQ(rows(), 0);

  r = record();
  r.targetId = std::string(4096, 'x');  // exactly at the limit
  EXPECT_TRUE(isOk(appendAudit(session(), key(), r)));
}

class AuditListTest : public AuditLogTest {
 protected:
  void SetUp() override {
    AuditLogTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    start_ = clock_.now();
    struct Row {
      const char* actor;
      const char* action;
      const char* outcome;
      const char* targetType;
      const char* targetId;
    };
    // seq 1..8, one minute apart.
    const Row rows[] = {
        {"zhang.wei", "auth.login", "success", "user", "zhang.wei"},
        {"li.na", "auth.login_failed", "failure", "user", "li.na"},
        {"admin", "queue.created", "success", "queue", "retail_zh"},
        {"zhang.wei", "access.denied", "denied", "queue", "retail_zh"},
        {"admin", "auth_x.other", "success", "", ""},
        {"admin", "authz.check", "success", "", ""},
        {"zhang.wei", "auth.logout", "success", "user", "zhang.wei"},
        {"admin", "auth.", "success", "user", "li.na"},
    };
    for (const Row& row : rows) {
      AuditRecord r = record(row.actor, row.action, row.outcome);
      r.targetType = row.targetType;
      r.targetId = row.targetId;
      ASSERT_TRUE(isOk(appendAudit(session(), key(), r)));
      clock_.advance(1min);
    }
  }

  std::vector<std::int64_t> seqs(AuditQuery q) {
    auto page = listAudit(session(), q);
    EXPECT_TRUE(isOk(page));
    std::vector<std::int64_t> out;
    if (page.ok()) {
      for (const AuditRecord& r : page->items) out.push_back(r.seq);
    }
    return out;
  }

  base::SysTime start_{};
};

using Seqs = std::vector<std::int64_t>;

TEST_P(AuditListTest, FiltersAndOrdersNewestFirst) {
  EXPECT_EQ(seqs({}), (Seqs{8, 7, 6, 5, 4, 3, 2, 1}));
  AuditQuery q;
  q.actor = "zhang.wei";
  EXPECT_EQ(seqs(q), (Seqs{7, 4, 1}));

  q = {};
  q.action = "auth.login";
  EXPECT_EQ(seqs(q), (Seqs{1}));  // exact: not auth.login_failed
  q.action = "auth.";
  EXPECT_EQ(seqs(q), (Seqs{8, 7, 2, 1}));  // prefix: not auth_x.other, not authz.check
  q.action = "auth_";
  EXPECT_EQ(seqs(q), Seqs{});  // exact, and '_' is no wildcard
  q.action = "auth";
  EXPECT_EQ(seqs(q), Seqs{});

  q = {};
  q.outcome = "failure";
  EXPECT_EQ(seqs(q), (Seqs{2}));
  q.outcome = "denied";
  EXPECT_EQ(seqs(q), (Seqs{4}));

  q = {};
  q.targetType = "queue";
  EXPECT_EQ(seqs(q), (Seqs{4, 3}));
  q.targetId = "retail_zh";
  EXPECT_EQ(seqs(q), (Seqs{4, 3}));
  q.targetType = "user";
  EXPECT_EQ(seqs(q), Seqs{});
  q = {};
  q.targetId = "li.na";
  EXPECT_EQ(seqs(q), (Seqs{8, 2}));

  q = {};
  q.from = start_ + 2min;  // seq 3 happened at start + 2 min
  q.to = start_ + 5min;    // seq 6 at start + 5 min: excluded
  EXPECT_EQ(seqs(q), (Seqs{5, 4, 3}));
  q.actor = "admin";
  EXPECT_EQ(seqs(q), (Seqs{5, 3}));
  q.action = "auth_x.";
  EXPECT_EQ(seqs(q), (Seqs{5}));
}

TEST_P(AuditListTest, PagesWithACursor) {
  AuditQuery q;
  q.limit = 3;
  Seqs seen;
  int pages = 0;
  while (true) {
    auto page = listAudit(session(), q);
    ASSERT_TRUE(isOk(page));
    ++pages;
    for (const AuditRecord& r : page->items) seen.push_back(r.seq);
    if (!page->nextCursor) break;
    q.cursor = *page->nextCursor;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (Seqs{8, 7, 6, 5, 4, 3, 2, 1}));

  // A filter and a cursor together.
  q = {};
  q.actor = "admin";
  q.limit = 2;
  auto first = listAudit(session(), q);
  ASSERT_TRUE(isOk(first));
  ASSERT_TRUE(first->nextCursor.has_value());
  q.cursor = *first->nextCursor;
  EXPECT_EQ(seqs(q), (Seqs{5, 3}));

  // Exactly a page: no cursor.
  q = {};
  q.limit = 8;
  auto all = listAudit(session(), q);
  ASSERT_TRUE(isOk(all));
  EXPECT_FALSE(all->nextCursor.has_value());
}

TEST_P(AuditListTest, RejectsBadCursorsAndLimits) {
  AuditQuery q;
  for (const char* cursor :
       {"garbage!", "a2x6YWJj" /* "k1:abc" */, "a2x6LTE" /* "k1:-1" */, "a2x6MA" /* "k1:0" */}) {
    q.cursor = cursor;
    EXPECT_TRUE(failsWith(listAudit(session(), q), Errc::BadRequest, "cursor:")) << cursor;
  }
  q = {};
  q.limit = 0;
  EXPECT_TRUE(failsWith(listAudit(session(), q), Errc::ValidationFailed, "limit:"));
  q.limit = kMaxPageLimit + 1;
  EXPECT_TRUE(failsWith(listAudit(session(), q), Errc::ValidationFailed, "limit:"));
}

TEST_P(AuditLogTest, TriggersRefuseUpdateAndDelete) {
  appendSome(3);
  EXPECT_THROW(session() << "UPDATE audit_log SET details = '{}' WHERE seq = 2", std::exception);
  EXPECT_THROW(session() << "DELETE FROM audit_log WHERE seq = 3", std::exception);
  EXPECT_THROW(session() << "DELETE FROM audit_log", std::exception);
  if (GetParam() == Backend::Postgres) {
    EXPECT_THROW(session() << "TRUNCATE audit_log", std::exception);
  }
  try {
    session() << "UPDATE audit_log SET actor = 'x'";
    ADD_FAILURE() << "the update went through";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("append-only"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rows(), 3);
  EXPECT_TRUE(verify().ok);
}

TEST_P(AuditLogTest, FindsAChangedRecord) {
  appendSome(5);
  dropTriggers();
  session() << "UPDATE audit_log SET details = '{\"method\":\"sso\"}' WHERE seq = 3";
  const AuditVerification v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.firstBadSeq, 3);
  EXPECT_EQ(v.problem, "seq 3: hash does not match its content (record was changed)");
  EXPECT_EQ(v.lastSeq, 5);
}

TEST_P(AuditLogTest, FindsARecordRehashedWithoutTheKey) {
  appendSome(5);
  dropTriggers();
  // The intruder changes seq 3 and rewrites every hash from there with the public algorithm,
  // so that the chain links again; without the key the macs cannot follow.
  std::string prev = stored(2).hash;
  for (std::int64_t seq = 3; seq <= 5; ++seq) {
    AuditRecord r = stored(seq);
    if (seq == 3) r.details = R"({"method":"sso"})";
    r.prevHash = prev;
    r.hash = expectedHash(prev, r);
    const long long s = seq;
    session() << "UPDATE audit_log SET details = :d, prev_hash = :p, hash = :h WHERE seq = :s",
        soci::use(r.details, "d"), soci::use(r.prevHash, "p"), soci::use(r.hash, "h"),
        soci::use(s, "s");
    prev = r.hash;
  }
  const AuditVerification v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.firstBadSeq, 3);
  EXPECT_EQ(v.problem, "seq 3: mac is wrong (chain rewritten without the key)");
}

TEST_P(AuditLogTest, FindsARemovedRecord) {
  appendSome(5);
  dropTriggers();
  session() << "DELETE FROM audit_log WHERE seq = 3";
  AuditVerification v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.firstBadSeq, 4);
  EXPECT_EQ(v.problem, "seq 4 follows seq 2 (record 3 missing)");
  EXPECT_EQ(v.records, 3);

  session() << "DELETE FROM audit_log WHERE seq <= 2";
  v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.firstBadSeq, 4);
  EXPECT_EQ(v.problem, "first record has seq 4 (records 1 to 3 missing)");
}

TEST_P(AuditLogTest, FindsARelinkedChain) {
  appendSome(5);
  dropTriggers();
  // seq 3 removed and 4..5 renumbered: seq 3 now holds old 4, whose prev_hash is old 3's hash.
  session() << "DELETE FROM audit_log WHERE seq = 3";
  session() << "UPDATE audit_log SET seq = seq - 1 WHERE seq = 4";
  session() << "UPDATE audit_log SET seq = seq - 1 WHERE seq = 5";
  const AuditVerification v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.firstBadSeq, 3);
  EXPECT_EQ(v.problem, "seq 3: prev_hash does not match seq 2 (a record was removed or inserted)");
}

TEST_P(AuditLogTest, WrongKeyFailsAtTheFirstRecord) {
  appendSome(3);
  const AuditVerification v = verify(key(8));
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.firstBadSeq, 1);
  EXPECT_NE(v.problem.find("seq 1: mac is wrong"), std::string::npos) << v.problem;
  EXPECT_TRUE(verify(key(7)).ok);
}

TEST_P(AuditLogTest, VerifiesALongChainInBatchesWithProgress) {
  // Written directly with the independent implementation, in one transaction: fast, and a
  // second check that appendAudit() and the documented encoding agree.
  constexpr std::int64_t kRecords = 12'345;
  {
    auto tx = Transaction::begin(session());
    ASSERT_TRUE(isOk(tx));
    std::string prev = kZeros;
    for (std::int64_t seq = 1; seq <= kRecords; ++seq) {
      AuditRecord r = record(seq % 2 ? "zhang.wei" : "li.na");
      r.seq = seq;
      r.id = base::newUuidV7(clock_);
      r.at = clock_.now() + std::chrono::microseconds{seq};
      r.prevHash = prev;
      r.hash = expectedHash(prev, r);
      r.mac = expectedMac(key(), r.hash);
      insertRaw(r);
      prev = r.hash;
    }
    ASSERT_TRUE(isOk(tx->commit()));
  }
  auto next = appendAudit(session(), key(), record());
  ASSERT_TRUE(isOk(next));
  EXPECT_EQ(next->seq, kRecords + 1);

  std::vector<std::pair<std::int64_t, std::int64_t>> calls;
  auto v = verifyAudit(session(), key(),
                       [&](std::int64_t n, std::int64_t total) { calls.emplace_back(n, total); });
  ASSERT_TRUE(isOk(v));
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->records, kRecords + 1);
  EXPECT_EQ(v->lastSeq, kRecords + 1);
  EXPECT_EQ(calls, (std::vector<std::pair<std::int64_t, std::int64_t>>{
                       {10'000, kRecords + 1}, {kRecords + 1, kRecords + 1}}));
}

BANKCC_STORE_BACKENDS(AuditLogTest);
BANKCC_STORE_BACKENDS(AuditListTest);

}  // namespace
}  // namespace bankcc::store
