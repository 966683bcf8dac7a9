// SPDX-License-Identifier: Apache-2.0
#include "store/auth.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include "base/ids.h"
#include "store/org_agents.h"
#include "store/org_teams.h"
#include "store/org_users.h"
#include "store/store_test_support.h"

namespace bankcc::store {
namespace {

using base::Errc;
using testing::failsWith;
using testing::isOk;
using namespace std::chrono_literals;

class AuthTest : public testing::MigratedStoreTest {
 protected:
  void SetUp() override {
    MigratedStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    User u;
    u.username = "zhang.wei";
    u.displayName = "张伟";
    u.roles = {"supervisor", "agent"};
    u.passwordHash = "$argon2id$first";
    auto created = createUser(session(), clock_, u);
    ASSERT_TRUE(isOk(created));
    userId_ = created->id;
  }

  /// A fake SHA-256 hex digest, distinct for each `n`.
  static std::string digest(int n) { return fmt::format("{:064x}", n); }

  SessionRecord sessionRecord(int token, base::Duration lifetime = 8h) {
    SessionRecord r;
    r.id = base::newUuidV7(clock_);
    r.tokenHash = digest(token);
    r.csrfHash = digest(100000 + token);
    r.userId = userId_;
    r.createdAt = clock_.now();
    r.lastActivityAt = clock_.now();
    r.expiresAt = clock_.now() + lifetime;
    r.sourceAddress = "192.0.2.7";
    r.userAgent = "Mozilla/5.0";
    return r;
  }

  std::int64_t userId_ = 0;
};

TEST_P(AuthTest, ReadsTheCredentialsOfANewUser) {
  auto c = getCredentials(session(), "zhang.wei");
  ASSERT_TRUE(isOk(c));
  EXPECT_EQ(c->user.id, userId_);
  EXPECT_EQ(c->user.username, "zhang.wei");
  EXPECT_EQ(c->user.displayName, "张伟");
  EXPECT_EQ(c->user.passwordHash, std::optional<std::string>("$argon2id$first"));
  EXPECT_EQ(c->user.roles, (std::vector<std::string>{"agent", "supervisor"}));
  EXPECT_TRUE(c->user.active);
  EXPECT_EQ(c->user.version, 1);
  EXPECT_FALSE(c->mustChangePassword);
  EXPECT_FALSE(c->passwordChangedAt.has_value());
  EXPECT_EQ(c->failedLogins, 0);
  EXPECT_FALSE(c->lockedUntil.has_value());
  EXPECT_EQ(c->agentNo, "");
  EXPECT_TRUE(c->supervisedTeams.empty());

  auto byId = getCredentialsById(session(), userId_);
  ASSERT_TRUE(isOk(byId));
  EXPECT_EQ(byId->user.username, "zhang.wei");
  EXPECT_EQ(byId->user.roles, c->user.roles);
}

TEST_P(AuthTest, CredentialsNameTheAgentNumberAndTheSupervisedTeams) {
  for (const char* code : {"retail_b", "retail_a", "wealth"}) {
    Team team;
    team.code = code;
    team.name = "组";
    if (std::string(code) != "wealth") team.supervisors = {"zhang.wei"};
    ASSERT_TRUE(isOk(createTeam(session(), clock_, team)));
  }
  Agent agent;
  agent.agentNo = "1001";
  agent.name = "张伟";
  agent.languages = {"zh"};
  agent.username = "zhang.wei";
  ASSERT_TRUE(isOk(createAgent(session(), clock_, agent)));

  auto c = getCredentials(session(), "zhang.wei");
  ASSERT_TRUE(isOk(c));
  EXPECT_EQ(c->agentNo, "1001");
  EXPECT_EQ(c->supervisedTeams, (std::vector<std::string>{"retail_a", "retail_b"}));
}

TEST_P(AuthTest, UnknownUserIsNotFound) {
  EXPECT_TRUE(failsWith(getCredentials(session(), "nobody"), Errc::NotFound, "no user 'nobody'"));
  EXPECT_TRUE(failsWith(getCredentialsById(session(), userId_ + 1000), Errc::NotFound));
  EXPECT_TRUE(failsWith(recordLoginFailure(session(), clock_, "nobody", 5, 30min), Errc::NotFound));
  EXPECT_TRUE(failsWith(recordLoginSuccess(session(), "nobody"), Errc::NotFound));
  EXPECT_TRUE(failsWith(unlockAccount(session(), "nobody"), Errc::NotFound));
  EXPECT_TRUE(
      failsWith(setPassword(session(), clock_, "nobody", "$argon2id$x", false, 5), Errc::NotFound));
}

TEST_P(AuthTest, LocksTheAccountWhenFailuresReachTheThreshold) {
  for (int i = 1; i <= 4; ++i) {
    clock_.advance(10s);
    auto c = recordLoginFailure(session(), clock_, "zhang.wei", 5, 30min);
    ASSERT_TRUE(isOk(c));
    EXPECT_EQ(c->failedLogins, i);
    EXPECT_FALSE(c->lockedUntil.has_value());
  }
  clock_.advance(10s);
  auto locked = recordLoginFailure(session(), clock_, "zhang.wei", 5, 30min);
  ASSERT_TRUE(isOk(locked));
  EXPECT_EQ(locked->failedLogins, 0);
  EXPECT_EQ(locked->lockedUntil, std::optional<base::SysTime>(clock_.now() + 30min));
  EXPECT_EQ(locked->user.version, 1);  // login state is not an edit of the user

  auto read = getCredentials(session(), "zhang.wei");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->lockedUntil, locked->lockedUntil);

  // Counting starts again; the next lock replaces the first.
  clock_.advance(1h);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(isOk(recordLoginFailure(session(), clock_, "zhang.wei", 5, 30min)));
  }
  auto again = recordLoginFailure(session(), clock_, "zhang.wei", 5, 30min);
  ASSERT_TRUE(isOk(again));
  EXPECT_EQ(again->lockedUntil, std::optional<base::SysTime>(clock_.now() + 30min));
}

TEST_P(AuthTest, SuccessResetsTheFailureCount) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(isOk(recordLoginFailure(session(), clock_, "zhang.wei", 10, 30min)));
  }
  ASSERT_TRUE(isOk(recordLoginSuccess(session(), "zhang.wei")));
  auto c = getCredentials(session(), "zhang.wei");
  ASSERT_TRUE(isOk(c));
  EXPECT_EQ(c->failedLogins, 0);
  // Nine more are needed now, not seven.
  for (int i = 1; i <= 9; ++i) {
    auto after = recordLoginFailure(session(), clock_, "zhang.wei", 10, 30min);
    ASSERT_TRUE(isOk(after));
    EXPECT_EQ(after->failedLogins, i);
    EXPECT_FALSE(after->lockedUntil.has_value());
  }
}

TEST_P(AuthTest, UnlockClearsTheLockAndTheCount) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(isOk(recordLoginFailure(session(), clock_, "zhang.wei", 3, 30min)));
  }
  ASSERT_TRUE(isOk(recordLoginFailure(session(), clock_, "zhang.wei", 3, 30min)));
  auto before = getCredentials(session(), "zhang.wei");
  ASSERT_TRUE(isOk(before));
  ASSERT_TRUE(before->lockedUntil.has_value());
  EXPECT_EQ(before->failedLogins, 1);

  ASSERT_TRUE(isOk(unlockAccount(session(), "zhang.wei")));
  auto after = getCredentials(session(), "zhang.wei");
  ASSERT_TRUE(isOk(after));
  EXPECT_FALSE(after->lockedUntil.has_value());
  EXPECT_EQ(after->failedLogins, 0);
}

TEST_P(AuthTest, SetPasswordKeepsATrimmedHistory) {
  clock_.advance(1min);
  auto first = setPassword(session(), clock_, "zhang.wei", "$argon2id$h2", true, 3);
  ASSERT_TRUE(isOk(first));
  EXPECT_EQ(first->user.passwordHash, std::optional<std::string>("$argon2id$h2"));
  EXPECT_TRUE(first->mustChangePassword);
  EXPECT_EQ(first->passwordChangedAt, std::optional<base::SysTime>(clock_.now()));
  EXPECT_EQ(first->user.version, 2);
  EXPECT_EQ(first->user.updatedAt, clock_.now());
  auto history = passwordHistory(session(), userId_, 10);
  ASSERT_TRUE(isOk(history));
  EXPECT_EQ(*history, (std::vector<std::string>{"$argon2id$first"}));

  for (const char* hash : {"$argon2id$h3", "$argon2id$h4"}) {
    clock_.advance(1min);
    ASSERT_TRUE(isOk(setPassword(session(), clock_, "zhang.wei", hash, false, 3)));
  }
  // Two changes within the same microsecond still keep their order.
  auto last = setPassword(session(), clock_, "zhang.wei", "$argon2id$h5", false, 3);
  ASSERT_TRUE(isOk(last));
  EXPECT_FALSE(last->mustChangePassword);
  EXPECT_EQ(last->user.version, 5);
  EXPECT_EQ(last->user.passwordHash, std::optional<std::string>("$argon2id$h5"));

  history = passwordHistory(session(), userId_, 10);
  ASSERT_TRUE(isOk(history));
  EXPECT_EQ(*history, (std::vector<std::string>{"$argon2id$h4", "$argon2id$h3", "$argon2id$h2"}));
  history = passwordHistory(session(), userId_, 2);
  ASSERT_TRUE(isOk(history));
  EXPECT_EQ(*history, (std::vector<std::string>{"$argon2id$h4", "$argon2id$h3"}));
  history = passwordHistory(session(), userId_, 0);
  ASSERT_TRUE(isOk(history));
  EXPECT_TRUE(history->empty());

  long long rows = 0;
  session() << "SELECT count(*) FROM password_history", soci::into(rows);
  EXPECT_EQ(rows, 3);

  // Depth 0 keeps no history at all.
  ASSERT_TRUE(isOk(setPassword(session(), clock_, "zhang.wei", "$argon2id$h6", false, 0)));
  history = passwordHistory(session(), userId_, 10);
  ASSERT_TRUE(isOk(history));
  EXPECT_TRUE(history->empty());
}

TEST_P(AuthTest, FirstPasswordLeavesNoHistory) {
  User u;
  u.username = "li.na";
  u.displayName = "李娜";
  auto created = createUser(session(), clock_, u);
  ASSERT_TRUE(isOk(created));
  ASSERT_TRUE(isOk(setPassword(session(), clock_, "li.na", "$argon2id$x", true, 5)));
  auto history = passwordHistory(session(), created->id, 5);
  ASSERT_TRUE(isOk(history));
  EXPECT_TRUE(history->empty());
  EXPECT_TRUE(failsWith(setPassword(session(), clock_, "li.na", "", false, 5),
                        Errc::ValidationFailed, "password_hash:"));
}

TEST_P(AuthTest, CreatesAndFindsSessionsUntilTheyExpire) {
  const SessionRecord r = sessionRecord(1);
  ASSERT_TRUE(isOk(createSession(session(), r)));

  auto found = findSession(session(), r.tokenHash, clock_.now());
  ASSERT_TRUE(isOk(found));
  EXPECT_EQ(found->id, r.id);
  EXPECT_EQ(found->tokenHash, r.tokenHash);
  EXPECT_EQ(found->csrfHash, r.csrfHash);
  EXPECT_EQ(found->userId, userId_);
  EXPECT_EQ(found->createdAt, r.createdAt);
  EXPECT_EQ(found->lastActivityAt, r.lastActivityAt);
  EXPECT_EQ(found->expiresAt, r.expiresAt);
  EXPECT_EQ(found->sourceAddress, "192.0.2.7");
  EXPECT_EQ(found->userAgent, "Mozilla/5.0");

  EXPECT_TRUE(isOk(findSession(session(), r.tokenHash, r.expiresAt - 1us)));
  EXPECT_TRUE(failsWith(findSession(session(), r.tokenHash, r.expiresAt), Errc::NotFound));
  EXPECT_TRUE(failsWith(findSession(session(), digest(2), clock_.now()), Errc::NotFound));
}

TEST_P(AuthTest, RejectsDuplicatesAndBadSessions) {
  const SessionRecord r = sessionRecord(1);
  ASSERT_TRUE(isOk(createSession(session(), r)));
  SessionRecord sameToken = sessionRecord(1);
  EXPECT_TRUE(failsWith(createSession(session(), sameToken), Errc::Conflict));
  SessionRecord sameId = sessionRecord(2);
  sameId.id = r.id;
  EXPECT_TRUE(failsWith(createSession(session(), sameId), Errc::Conflict));

  SessionRecord badToken = sessionRecord(3);
  badToken.tokenHash = "not-a-hash";
  EXPECT_TRUE(failsWith(createSession(session(), badToken), Errc::ValidationFailed, "token_hash:"));
  SessionRecord badId = sessionRecord(4);
  badId.id = "x";
  EXPECT_TRUE(failsWith(createSession(session(), badId), Errc::ValidationFailed, "id:"));
  SessionRecord noUser = sessionRecord(5);
  noUser.userId = userId_ + 1000;
  EXPECT_TRUE(failsWith(createSession(session(), noUser), Errc::ValidationFailed, "user_id:"));
}

TEST_P(AuthTest, TruncatesTheUserAgentWithoutSplittingACharacter) {
  SessionRecord r = sessionRecord(1);
  r.userAgent.clear();
  for (int i = 0; i < 100; ++i) r.userAgent += "浏";  // 3 bytes each
  ASSERT_TRUE(isOk(createSession(session(), r)));
  auto found = findSession(session(), r.tokenHash, clock_.now());
  ASSERT_TRUE(isOk(found));
  EXPECT_EQ(found->userAgent.size(), 255u);
  EXPECT_EQ(found->userAgent, r.userAgent.substr(0, 255));
}

TEST_P(AuthTest, TouchOnlyMovesActivityForward) {
  const SessionRecord r = sessionRecord(1);
  ASSERT_TRUE(isOk(createSession(session(), r)));
  ASSERT_TRUE(isOk(touchSession(session(), r.id, r.createdAt + 5min)));
  auto found = findSession(session(), r.tokenHash, clock_.now());
  ASSERT_TRUE(isOk(found));
  EXPECT_EQ(found->lastActivityAt, r.createdAt + 5min);

  // An older or equal time is accepted and changes nothing.
  EXPECT_TRUE(isOk(touchSession(session(), r.id, r.createdAt + 1min)));
  EXPECT_TRUE(isOk(touchSession(session(), r.id, r.createdAt + 5min)));
  found = findSession(session(), r.tokenHash, clock_.now());
  ASSERT_TRUE(isOk(found));
  EXPECT_EQ(found->lastActivityAt, r.createdAt + 5min);

  EXPECT_TRUE(
      failsWith(touchSession(session(), base::newUuidV7(clock_), clock_.now()), Errc::NotFound));
}

TEST_P(AuthTest, DeletesSessions) {
  const SessionRecord a = sessionRecord(1);
  const SessionRecord b = sessionRecord(2);
  const SessionRecord c = sessionRecord(3);
  for (const SessionRecord* r : {&a, &b, &c}) ASSERT_TRUE(isOk(createSession(session(), *r)));

  ASSERT_TRUE(isOk(deleteSession(session(), a.id)));
  EXPECT_TRUE(failsWith(deleteSession(session(), a.id), Errc::NotFound));
  EXPECT_TRUE(failsWith(findSession(session(), a.tokenHash, clock_.now()), Errc::NotFound));

  const SessionRecord d = sessionRecord(4);
  ASSERT_TRUE(isOk(createSession(session(), d)));
  auto ended = deleteUserSessions(session(), userId_, c.id);
  ASSERT_TRUE(isOk(ended));
  EXPECT_EQ(*ended, 2);  // b and d
  EXPECT_TRUE(isOk(findSession(session(), c.tokenHash, clock_.now())));
  EXPECT_TRUE(failsWith(findSession(session(), b.tokenHash, clock_.now()), Errc::NotFound));

  ended = deleteUserSessions(session(), userId_);
  ASSERT_TRUE(isOk(ended));
  EXPECT_EQ(*ended, 1);
  ended = deleteUserSessions(session(), userId_);
  ASSERT_TRUE(isOk(ended));
  EXPECT_EQ(*ended, 0);
}

TEST_P(AuthTest, PurgesExpiredSessions) {
  const SessionRecord shortLived = sessionRecord(1, 1h);
  const SessionRecord longLived = sessionRecord(2, 8h);
  ASSERT_TRUE(isOk(createSession(session(), shortLived)));
  ASSERT_TRUE(isOk(createSession(session(), longLived)));

  auto purged = purgeExpiredSessions(session(), clock_.now() + 1h - 1us);
  ASSERT_TRUE(isOk(purged));
  EXPECT_EQ(*purged, 0);
  purged = purgeExpiredSessions(session(), clock_.now() + 1h);
  ASSERT_TRUE(isOk(purged));
  EXPECT_EQ(*purged, 1);
  EXPECT_TRUE(isOk(findSession(session(), longLived.tokenHash, clock_.now())));
}

TEST_P(AuthTest, SqlMetacharactersAndLongNamesAreHarmless) {
  const std::string longName(100'000, 'a');
  for (const std::string& name :
       {std::string("' OR '1'='1"), std::string("zhang.wei'; DROP TABLE users; --"),
        std::string("zhang%"), std::string("zhang_wei"), std::string("%"),
        std::string("zhang.wei\\"), std::string(":username"), std::string("$1"), longName}) {
    EXPECT_TRUE(failsWith(getCredentials(session(), name), Errc::NotFound)) << name.substr(0, 40);
    EXPECT_TRUE(failsWith(recordLoginFailure(session(), clock_, name, 1, 30min), Errc::NotFound));
    EXPECT_TRUE(failsWith(unlockAccount(session(), name), Errc::NotFound));
  }
  auto tooLong = getCredentials(session(), longName);
  ASSERT_FALSE(tooLong.ok());
  EXPECT_LT(tooLong.error().message.size(), 200u);  // the name is cut in the message

  auto c = getCredentials(session(), "zhang.wei");
  ASSERT_TRUE(isOk(c));
  EXPECT_EQ(c->failedLogins, 0);
  EXPECT_FALSE(c->lockedUntil.has_value());
}

BANKCC_STORE_BACKENDS(AuthTest);

}  // namespace
}  // namespace bankcc::store
