// SPDX-License-Identifier: Apache-2.0
// The behaviour every organisation resource shares, checked on all seven: create, read, list
// with paging and filters, replace, merge patch, disable/enable, optimistic locking, duplicates,
// not found, bad input of every kind, one audit record per write and none for a failed one,
// ConfigChanged only after success.

#include <map>
#include <set>
#include <tuple>

#include "api/org_routes_test_support.h"

namespace bankcc::api::testing {
namespace {

class OrgRoutesTest : public OrgApiTest {
 protected:
  std::vector<ResourceCase> resources() {
    return allResources([this](const std::string& username) {
      if (!store::getUser(session(), username).ok()) createUser(username);
    });
  }
  /// The audit records about target `key` of `kind`.
  std::vector<store::AuditRecord> auditsOf(const std::string& kind, const std::string& key) {
    std::vector<store::AuditRecord> out;
    for (auto& a : audits()) {
      if (a.targetType == kind && a.targetId == key) out.push_back(std::move(a));
    }
    return out;
  }
};

TEST_P(OrgRoutesTest, FullLifecycleOfEveryResource) {
  for (const auto& r : resources()) {
    SCOPED_TRACE(r.collection);
    const std::string item = r.collection + "/k1";
    const std::size_t eventsBefore = sink_.configChanges().size();

    // Create: 201, Location, the object without database key or secrets.
    Reply created = post(r.collection, r.body("k1"));
    ASSERT_EQ(created.status, 201) << created.response.body;
    EXPECT_EQ(created.header("Location"), item);
    EXPECT_EQ(created.body[r.keyField], "k1");
    EXPECT_EQ(created.body["version"], 1);
    EXPECT_EQ(created.body["active"], true);
    EXPECT_FALSE(created.body.contains("id"));
    EXPECT_FALSE(created.body.contains("password_hash"));
    EXPECT_EQ(created.body["created_at"], formatTimestamp(clock_.now()));

    // Read.
    Reply read = get(item);
    ASSERT_EQ(read.status, 200);
    EXPECT_EQ(read.body, created.body);

    // Replace with what GET gave (read-only fields echoed back are ignored).
    clock_.advance(std::chrono::seconds{5});
    Json replacement = read.body;
    replacement[r.textField] = "Changed 改";
    Reply replaced = put(item, replacement);
    ASSERT_EQ(replaced.status, 200) << replaced.response.body;
    EXPECT_EQ(replaced.body[r.textField], "Changed 改");
    EXPECT_EQ(replaced.body["version"], 2);
    EXPECT_EQ(replaced.body["updated_at"], formatTimestamp(clock_.now()));
    EXPECT_EQ(replaced.body["created_at"], created.body["created_at"]);

    // A stale version is refused and changes nothing.
    replacement[r.textField] = "Stale";
    Reply stale = put(item, replacement);
    EXPECT_EQ(stale.status, 409);
    EXPECT_EQ(stale.errorCode(), "version_mismatch");
    EXPECT_EQ(get(item).body[r.textField], "Changed 改");

    // Merge patch: only what it names changes.
    Reply patched = patch(item, {{r.textField, "Patched"}, {"version", 2}});
    ASSERT_EQ(patched.status, 200) << patched.response.body;
    EXPECT_EQ(patched.body[r.textField], "Patched");
    EXPECT_EQ(patched.body["version"], 3);
    Reply noVersion = patch(item, {{r.textField, "x"}});
    EXPECT_EQ(noVersion.status, 422);
    EXPECT_EQ(noVersion.fieldMessage("version"), "is required");
    Reply stalePatch = patch(item, {{r.textField, "x"}, {"version", 1}});
    EXPECT_EQ(stalePatch.errorCode(), "version_mismatch");

    // Disable and enable.
    Reply disabled = post(item + "/disable", {{"version", 3}});
    ASSERT_EQ(disabled.status, 200) << disabled.response.body;
    EXPECT_EQ(disabled.body["active"], false);
    EXPECT_EQ(disabled.body["version"], 4);
    EXPECT_EQ(post(item + "/enable", {{"version", 3}}).errorCode(), "version_mismatch");
    Reply enabled = post(item + "/enable", {{"version", 4}});
    ASSERT_EQ(enabled.status, 200) << enabled.response.body;
    EXPECT_EQ(enabled.body["active"], true);
    EXPECT_EQ(enabled.body["version"], 5);
    EXPECT_EQ(post(item + "/disable", Json::object()).fieldMessage("version"), "is required");

    // Duplicates and unknown keys.
    Reply duplicate = post(r.collection, r.body("k1"));
    EXPECT_EQ(duplicate.status, 409);
    EXPECT_EQ(duplicate.errorCode(), "conflict");
    for (const auto& [method, target, body] :
         std::vector<std::tuple<std::string, std::string, Json>>{
             {"GET", r.collection + "/nope", nullptr},
             {"PUT", r.collection + "/nope", replacement},
             {"PATCH", r.collection + "/nope", Json{{"version", 1}}},
             {"POST", r.collection + "/nope/disable", Json{{"version", 1}}},
             {"POST", r.collection + "/nope/enable", Json{{"version", 1}}}}) {
      Reply missing = send(method, target, body.is_null() ? "" : dumpJson(body));
      EXPECT_EQ(missing.status, 404) << method << " " << target;
      EXPECT_EQ(missing.errorCode(), "not_found") << missing.response.body;
    }

    // One audit record per successful write, none for the failures.
    const auto records = auditsOf(r.kind, "k1");
    ASSERT_EQ(records.size(), 5u);
    EXPECT_EQ(records[0].action, r.kind + ".created");
    EXPECT_EQ(records[1].action, r.kind + ".updated");
    EXPECT_EQ(records[2].action, r.kind + ".updated");
    EXPECT_EQ(records[3].action, r.kind + ".disabled");
    EXPECT_EQ(records[4].action, r.kind + ".enabled");
    for (const auto& a : records) {
      EXPECT_EQ(a.actor, "admin");
      EXPECT_EQ(a.outcome, "success");
      EXPECT_EQ(a.sourceAddress, "192.0.2.10");
    }
    const Json createdDetails = Json::parse(records[0].details);
    EXPECT_EQ(createdDetails[r.keyField], "k1");
    EXPECT_FALSE(createdDetails.contains("created_at"));
    const Json updateDetails = Json::parse(records[1].details);
    EXPECT_EQ(updateDetails,
              (Json{{r.textField, {{"from", created.body[r.textField]}, {"to", "Changed 改"}}}}));
    EXPECT_EQ(Json::parse(records[3].details), (Json{{"active", {{"from", true}, {"to", false}}}}));

    // And one event per successful write, after it.
    const auto changes = sink_.configChanges();
    ASSERT_EQ(changes.size(), eventsBefore + 5);
    const std::vector<std::string> expected = {"created", "updated", "updated", "disabled",
                                               "enabled"};
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const auto& c = changes[eventsBefore + i];
      EXPECT_EQ(c.kind, r.kind);
      EXPECT_EQ(c.code, "k1");
      EXPECT_EQ(c.change, expected[i]);
      EXPECT_EQ(c.version, static_cast<std::int64_t>(i + 1));
      EXPECT_EQ(c.actor, "admin");
    }
  }
}

TEST_P(OrgRoutesTest, ListsPageByPageAndFiltersByActive) {
  for (const auto& r : resources()) {
    SCOPED_TRACE(r.collection);
    for (const char* k : {"k1", "k2", "k3", "k4", "k5"}) {
      ASSERT_EQ(post(r.collection, r.body(k)).status, 201);
    }
    ASSERT_EQ(post(r.collection + "/k2/disable", {{"version", 1}}).status, 200);

    // Every page, following the cursor; keys of other tests' helpers (users "u_k1", skill
    // "retail") are not counted.
    auto ours = [&](const Json& items) {
      std::vector<std::string> keys;
      for (const auto& i : items) {
        const std::string key = i[r.keyField];
        if (key.size() == 2 && key[0] == 'k') keys.push_back(key);
      }
      return keys;
    };
    std::vector<std::string> all;
    std::string target = r.collection + "?limit=2";
    int pages = 0;
    for (;;) {
      Reply page = get(target);
      ASSERT_EQ(page.status, 200) << page.response.body;
      ASSERT_LE(page.body["items"].size(), 2u);
      for (auto& k : ours(page.body["items"])) all.push_back(k);
      ++pages;
      ASSERT_LT(pages, 20);
      if (page.body["next_cursor"].is_null()) break;
      target = r.collection + "?limit=2&cursor=" + page.body["next_cursor"].get<std::string>();
    }
    EXPECT_EQ(all, (std::vector<std::string>{"k1", "k2", "k3", "k4", "k5"}));
    EXPECT_GE(pages, 3);

    EXPECT_EQ(ours(get(r.collection + "?active=false").body["items"]),
              (std::vector<std::string>{"k2"}));
    EXPECT_EQ(ours(get(r.collection + "?active=true&limit=500").body["items"]),
              (std::vector<std::string>{"k1", "k3", "k4", "k5"}));

    for (const char* bad : {"0", "501", "abc", "-1"}) {
      Reply refused = get(r.collection + "?limit=" + bad);
      EXPECT_EQ(refused.status, 422) << bad;
      EXPECT_FALSE(refused.fieldMessage("limit").empty()) << bad;
    }
    EXPECT_EQ(get(r.collection + "?active=maybe").fieldMessage("active"), "must be true or false");
    Reply badCursor = get(r.collection + "?cursor=not-a-cursor");
    EXPECT_EQ(badCursor.status, 400);
    EXPECT_EQ(badCursor.errorCode(), "bad_request");
  }
}

TEST_P(OrgRoutesTest, RefusesBadInputWithoutWritingAnything) {
  for (const auto& r : resources()) {
    SCOPED_TRACE(r.collection);
    const Json good = r.body("k1");
    auto with = [&](const std::string& field, Json value) {
      Json b = good;
      b[field] = std::move(value);
      return b;
    };
    auto without = [&](const std::string& field) {
      Json b = good;
      b.erase(field);
      return b;
    };
    const std::size_t auditsBefore = audits().size();
    const std::size_t eventsBefore = sink_.events.size();

    // Not JSON objects: 400.
    for (const char* body : {"{\"code\": ", "[]", "\"text\"", "null", "{} {}"}) {
      Reply reply = send("POST", r.collection, body);
      EXPECT_EQ(reply.status, 400) << body;
      EXPECT_EQ(reply.errorCode(), "bad_request") << body;
    }
    std::string deep = "{\"x\":";
    for (int i = 0; i < 40; ++i) deep += "[";
    for (int i = 0; i < 40; ++i) deep += "]";
    EXPECT_EQ(send("POST", r.collection, deep + "}").status, 400);
    EXPECT_EQ(send("POST", r.collection, dumpJson(good), nullptr, "text/plain").status, 415);

    // Field problems: 422 naming the field.
    struct Bad {
      Json body;
      std::string field;
      std::string message;
    };
    const std::vector<Bad> bads = {
        {with(r.textField, 5), r.textField, "must be a string"},
        {with(r.textField, Json::array()), r.textField, "must be a string"},
        {with(r.keyField, 12), r.keyField, "must be a string"},
        {with("bogus", 1), "bogus", "unknown field"},
        {with("id", 7), "id", "unknown field"},
        {without(r.textField), r.textField, "is required"},
        {without(r.keyField), r.keyField, "is required"},
        {with(r.textField, std::string(1 << 20, 'x')), r.textField, "must be at most 400 bytes"},
        {with(r.textField, "a\x01z"), r.textField, "must not contain control characters"},
        {with(r.textField, "line\nbreak"), r.textField, "must not contain control characters"},
        {with(r.textField, ""), r.textField, "must not be empty"},
        {with("active", "yes"), "active", "must be true or false"},
    };
    for (const auto& bad : bads) {
      Reply reply = post(r.collection, bad.body);
      EXPECT_EQ(reply.status, 422) << bad.field << ": " << reply.response.body.substr(0, 300);
      EXPECT_EQ(reply.errorCode(), "validation_failed");
      EXPECT_EQ(reply.fieldMessage(bad.field), bad.message) << reply.response.body.substr(0, 300);
    }
    // A key the store refuses (upper case, spaces, SQL) is a 422 from the store.
    Reply badKey = post(r.collection, with(r.keyField, "x'; DROP TABLE queues;--"));
    EXPECT_EQ(badKey.status, 422) << badKey.response.body;
    EXPECT_FALSE(badKey.fieldMessage(r.keyField).empty()) << badKey.response.body;

    // Nothing was written, audited or announced.
    EXPECT_EQ(get(r.collection + "/k1").status, 404);
    EXPECT_EQ(audits().size(), auditsBefore);
    EXPECT_EQ(sink_.events.size(), eventsBefore);

    // SQL metacharacters in text are just text.
    const std::string sql = "x'; DROP TABLE queues;--";
    Reply created = post(r.collection, with(r.textField, sql));
    ASSERT_EQ(created.status, 201) << created.response.body;
    EXPECT_EQ(get(r.collection + "/k1").body[r.textField], sql);
    EXPECT_EQ(get("/api/v1/queues").status, 200);

    // PUT: the key in the body must be the path's; every field is required.
    Json replacement = created.body;
    replacement[r.keyField] = "k9";
    Reply mismatch = put(r.collection + "/k1", replacement);
    EXPECT_EQ(mismatch.status, 422);
    EXPECT_EQ(mismatch.fieldMessage(r.keyField), "must match the URL");
    replacement = created.body;
    replacement.erase("version");
    EXPECT_EQ(put(r.collection + "/k1", replacement).fieldMessage("version"), "is required");
    replacement = created.body;
    replacement["version"] = "1";
    EXPECT_EQ(put(r.collection + "/k1", replacement).fieldMessage("version"), "must be an integer");
    replacement = created.body;
    replacement.erase(r.textField);
    EXPECT_EQ(put(r.collection + "/k1", replacement).fieldMessage(r.textField), "is required");
    // PATCH: removing a required field (null) or adding an unknown one is refused.
    EXPECT_EQ(patch(r.collection + "/k1", {{r.textField, nullptr}, {"version", 1}})
                  .fieldMessage(r.textField),
              "is required");
    EXPECT_EQ(
        patch(r.collection + "/k1", {{"colour", "red"}, {"version", 1}}).fieldMessage("colour"),
        "unknown field");
    EXPECT_EQ(send("PATCH", r.collection + "/k1", "{\"version\": 1,}").status, 400);
    EXPECT_EQ(get(r.collection + "/k1").body["version"], 1);
    EXPECT_EQ(auditsOf(r.kind, "k1").size(), 1u);
  }
}

TEST_P(OrgRoutesTest, EveryRouteNeedsTheRightPermission) {
  const std::map<std::string, std::pair<Permission, Permission>> expected = {
      {"/api/v1/teams", {Permission::OrgRead, Permission::OrgWrite}},
      {"/api/v1/skills", {Permission::OrgRead, Permission::OrgWrite}},
      {"/api/v1/queues", {Permission::OrgRead, Permission::OrgWrite}},
      {"/api/v1/reason-codes", {Permission::OrgRead, Permission::OrgWrite}},
      {"/api/v1/wrapup-codes", {Permission::OrgRead, Permission::OrgWrite}},
      {"/api/v1/agents", {Permission::AgentsRead, Permission::AgentsWrite}},
      {"/api/v1/users", {Permission::UsersRead, Permission::UsersWrite}},
      {"/api/v1/calendars", {Permission::OrgRead, Permission::OrgWrite}},
  };
  std::set<std::string> seen;
  for (const auto& route : router_.routes()) {
    SCOPED_TRACE(route.method + " " + route.pattern);
    EXPECT_TRUE(route.flags & kDatabase);
    EXPECT_FALSE(route.summary.empty());
    seen.insert(route.method + " " + route.pattern);
    if (route.pattern == "/api/v1/agents/{agent_no}/skills") {
      EXPECT_EQ(route.permission,
                route.method == "GET" ? Permission::AgentsRead : Permission::AgentSkillsWrite);
      continue;
    }
    const std::string collection = route.pattern.substr(0, route.pattern.find("/{"));
    ASSERT_EQ(expected.count(collection), 1u);
    const auto [read, write] = expected.at(collection);
    EXPECT_EQ(route.permission, route.method == "GET" ? read : write);
  }
  // Seven resources with seven routes, an agent's skills (two), calendars (six: no disable or
  // enable, but DELETE).
  EXPECT_EQ(seen.size(), 7u * 7u + 2u + 6u);
  // An agent (org.read only) reads queues but cannot write them or read users.
  const Principal agent = makePrincipal("agent.a", {"agent"});
  EXPECT_EQ(get("/api/v1/queues", &agent).status, 200);
  EXPECT_EQ(post("/api/v1/queues", Json::object(), &agent).status, 403);
  EXPECT_EQ(get("/api/v1/users", &agent).status, 403);
  EXPECT_EQ(get("/api/v1/agents", &agent).status, 403);
  EXPECT_TRUE(audits().empty());
}

BANKCC_STORE_BACKENDS(OrgRoutesTest);

}  // namespace
}  // namespace bankcc::api::testing
