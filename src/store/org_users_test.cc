// SPDX-License-Identifier: Apache-2.0
#include "store/org_users.h"

#include <gtest/gtest.h>

#include "store/org_common.h"
#include "store/store_test_support.h"

namespace bankcc::store {
namespace {

using base::Errc;
using testing::failsWith;
using testing::isOk;
using namespace std::chrono_literals;

class UsersTest : public testing::MigratedStoreTest {
 protected:
  User user(std::string username, std::vector<std::string> roles = {"agent"}) {
    User u;
    u.username = std::move(username);
    u.displayName = "张伟";
    u.roles = std::move(roles);
    return u;
  }
};

TEST_P(UsersTest, ListsTheBuiltInRoles) {
  auto roles = listRoles(session());
  ASSERT_TRUE(isOk(roles));
  ASSERT_EQ(roles->size(), 7u);
  EXPECT_EQ((*roles)[0].code, "admin");
  EXPECT_EQ((*roles)[0].labelZh, "系统管理员");
  EXPECT_EQ((*roles)[0].labelEn, "Administrator");
}

TEST_P(UsersTest, CreatesAndReadsAUser) {
  User u = user("zhang.wei", {"supervisor", "agent"});
  u.passwordHash = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaA";
  auto created = createUser(session(), clock_, u);
  ASSERT_TRUE(isOk(created));
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->version, 1);
  EXPECT_TRUE(created->active);
  EXPECT_EQ(created->roles, (std::vector<std::string>{"agent", "supervisor"}));
  EXPECT_EQ(created->createdAt, clock_.now());
  EXPECT_EQ(created->updatedAt, clock_.now());

  auto read = getUser(session(), "zhang.wei");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->displayName, "张伟");
  EXPECT_EQ(read->passwordHash, u.passwordHash);
  EXPECT_EQ(read->roles, created->roles);

  auto noPassword = createUser(session(), clock_, user("li.na", {}));
  ASSERT_TRUE(isOk(noPassword));
  EXPECT_FALSE(noPassword->passwordHash.has_value());
  EXPECT_TRUE(noPassword->roles.empty());
}

TEST_P(UsersTest, MissingUserIsNotFound) {
  EXPECT_TRUE(failsWith(getUser(session(), "nobody"), Errc::NotFound, "no user 'nobody'"));
}

TEST_P(UsersTest, DuplicateUsernameIsAConflict) {
  ASSERT_TRUE(isOk(createUser(session(), clock_, user("zhang.wei"))));
  EXPECT_TRUE(failsWith(createUser(session(), clock_, user("zhang.wei")), Errc::Conflict,
                        "user 'zhang.wei' already exists"));
}

TEST_P(UsersTest, RejectsBadValuesNamingTheField) {
  EXPECT_TRUE(failsWith(createUser(session(), clock_, user("Zhang Wei")), Errc::ValidationFailed,
                        "username:"));
  EXPECT_TRUE(
      failsWith(createUser(session(), clock_, user("")), Errc::ValidationFailed, "username:"));
  User blank = user("blank");
  blank.displayName = "  ";
  EXPECT_TRUE(failsWith(createUser(session(), clock_, blank), Errc::ValidationFailed,
                        "display_name: must not be empty"));
  User badUtf8 = user("bad.utf8");
  badUtf8.displayName = "\xe5\xbc";
  EXPECT_TRUE(failsWith(createUser(session(), clock_, badUtf8), Errc::ValidationFailed,
                        "display_name: is not valid UTF-8"));
  EXPECT_TRUE(failsWith(createUser(session(), clock_, user("x", {"root"})), Errc::ValidationFailed,
                        "roles: unknown role 'root'"));
  EXPECT_TRUE(failsWith(createUser(session(), clock_, user("x", {"qa", "qa"})),
                        Errc::ValidationFailed, "roles: 'qa' is listed twice"));
  User badHash = user("bad.hash");
  badHash.passwordHash = "has space";
  EXPECT_TRUE(
      failsWith(createUser(session(), clock_, badHash), Errc::ValidationFailed, "password_hash:"));
  auto counts = countOrganisation(session());
  ASSERT_TRUE(isOk(counts));
  EXPECT_EQ(counts->users, 0);  // nothing half-created
}

TEST_P(UsersTest, UpdatesWithTheExpectedVersion) {
  auto created = createUser(session(), clock_, user("zhang.wei", {"agent"}));
  ASSERT_TRUE(isOk(created));
  clock_.advance(5s);
  User change = *created;
  change.displayName = "张伟 (班长)";
  change.roles = {"supervisor"};
  auto updated = updateUser(session(), clock_, change);
  ASSERT_TRUE(isOk(updated));
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->displayName, "张伟 (班长)");
  EXPECT_EQ(updated->roles, (std::vector<std::string>{"supervisor"}));
  EXPECT_EQ(updated->createdAt, created->createdAt);
  EXPECT_EQ(updated->updatedAt, clock_.now());

  // The same change again is based on version 1: stale.
  EXPECT_TRUE(failsWith(updateUser(session(), clock_, change), Errc::VersionMismatch,
                        "now version 2, the change was based on version 1"));
  change.username = "nobody";
  EXPECT_TRUE(failsWith(updateUser(session(), clock_, change), Errc::NotFound));
  // A failed update changes nothing.
  auto read = getUser(session(), "zhang.wei");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->version, 2);
}

TEST_P(UsersTest, UnknownRoleInAnUpdateChangesNothing) {
  auto created = createUser(session(), clock_, user("zhang.wei", {"agent"}));
  ASSERT_TRUE(isOk(created));
  User change = *created;
  change.displayName = "Changed";
  change.roles = {"agent", "wizard"};
  EXPECT_TRUE(failsWith(updateUser(session(), clock_, change), Errc::ValidationFailed,
                        "roles: unknown role 'wizard'"));
  auto read = getUser(session(), "zhang.wei");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->displayName, "张伟");
  EXPECT_EQ(read->version, 1);
}

TEST_P(UsersTest, DisablesAndEnables) {
  auto created = createUser(session(), clock_, user("zhang.wei"));
  ASSERT_TRUE(isOk(created));
  auto disabled = setUserActive(session(), clock_, "zhang.wei", false, 1);
  ASSERT_TRUE(isOk(disabled));
  EXPECT_FALSE(disabled->active);
  EXPECT_EQ(disabled->version, 2);
  EXPECT_TRUE(
      failsWith(setUserActive(session(), clock_, "zhang.wei", true, 1), Errc::VersionMismatch));
  EXPECT_TRUE(failsWith(setUserActive(session(), clock_, "nobody", true, 1), Errc::NotFound));
  auto enabled = setUserActive(session(), clock_, "zhang.wei", true, 2);
  ASSERT_TRUE(isOk(enabled));
  EXPECT_TRUE(enabled->active);
  EXPECT_EQ(enabled->version, 3);
}

TEST_P(UsersTest, SetsAndClearsThePasswordHash) {
  ASSERT_TRUE(isOk(createUser(session(), clock_, user("zhang.wei"))));
  auto set = setUserPasswordHash(session(), clock_, "zhang.wei", std::string("$argon2id$x"), 1);
  ASSERT_TRUE(isOk(set));
  EXPECT_EQ(set->passwordHash, std::optional<std::string>("$argon2id$x"));
  EXPECT_EQ(set->version, 2);
  EXPECT_TRUE(failsWith(setUserPasswordHash(session(), clock_, "zhang.wei", std::nullopt, 1),
                        Errc::VersionMismatch));
  auto cleared = setUserPasswordHash(session(), clock_, "zhang.wei", std::nullopt, 2);
  ASSERT_TRUE(isOk(cleared));
  EXPECT_FALSE(cleared->passwordHash.has_value());
}

TEST_P(UsersTest, ListsInPagesByUsername) {
  for (const char* name : {"u5", "u1", "u7", "u3", "u2", "u6", "u4"}) {
    ASSERT_TRUE(isOk(createUser(session(), clock_, user(name, {"agent", "qa"}))));
  }
  ASSERT_TRUE(isOk(setUserActive(session(), clock_, "u4", false, 1)));

  std::vector<std::string> seen;
  PageRequest request{3, "", std::nullopt};
  int pages = 0;
  while (true) {
    auto page = listUsers(session(), request);
    ASSERT_TRUE(isOk(page));
    ++pages;
    for (const User& u : page->items) {
      seen.push_back(u.username);
      EXPECT_EQ(u.roles, (std::vector<std::string>{"agent", "qa"})) << u.username;
    }
    if (!page->nextCursor) break;
    request.cursor = *page->nextCursor;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"u1", "u2", "u3", "u4", "u5", "u6", "u7"}));

  auto active = listUsers(session(), PageRequest{10, "", true});
  ASSERT_TRUE(isOk(active));
  EXPECT_EQ(active->items.size(), 6u);
  EXPECT_FALSE(active->nextCursor.has_value());
  auto disabled = listUsers(session(), PageRequest{10, "", false});
  ASSERT_TRUE(isOk(disabled));
  ASSERT_EQ(disabled->items.size(), 1u);
  EXPECT_EQ(disabled->items[0].username, "u4");

  // Exactly a page: no next cursor.
  auto all = listUsers(session(), PageRequest{7, "", std::nullopt});
  ASSERT_TRUE(isOk(all));
  EXPECT_EQ(all->items.size(), 7u);
  EXPECT_FALSE(all->nextCursor.has_value());
}

TEST_P(UsersTest, RejectsBadPageRequests) {
  EXPECT_TRUE(failsWith(listUsers(session(), PageRequest{0, "", std::nullopt}),
                        Errc::ValidationFailed, "limit:"));
  EXPECT_TRUE(failsWith(listUsers(session(), PageRequest{501, "", std::nullopt}),
                        Errc::ValidationFailed, "limit:"));
  EXPECT_TRUE(failsWith(listUsers(session(), PageRequest{10, "not-a-cursor!", std::nullopt}),
                        Errc::BadRequest, "cursor:"));
  EXPECT_TRUE(failsWith(listUsers(session(), PageRequest{10, "Zm9v", std::nullopt}),
                        Errc::BadRequest, "cursor:"));
}

TEST_P(UsersTest, CountsTellASeederWhetherTheOrganisationIsEmpty) {
  auto empty = countOrganisation(session());
  ASSERT_TRUE(isOk(empty));
  EXPECT_TRUE(empty->empty());  // the seeded roles do not count
  ASSERT_TRUE(isOk(createUser(session(), clock_, user("admin", {"admin"}))));
  auto one = countOrganisation(session());
  ASSERT_TRUE(isOk(one));
  EXPECT_FALSE(one->empty());
  EXPECT_EQ(one->users, 1);
  EXPECT_EQ(one->agents, 0);
}

BANKCC_STORE_BACKENDS(UsersTest);

}  // namespace
}  // namespace bankcc::store
