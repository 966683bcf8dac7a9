// SPDX-License-Identifier: Apache-2.0
#pragma once

// Test support for api_org_test: the org routes on a real migrated database (SQLite and
// PostgreSQL, see store_test_support.h), driven through the Router with a Principal the test
// chooses, as the server would (permission check, handler, events published only on 2xx).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "api/call.h"
#include "api/json_io.h"
#include "api/org_routes.h"
#include "api/passwords.h"
#include "api/permissions.h"
#include "api/router.h"
#include "events/event.h"
#include "store/audit_log.h"
#include "store/org_skills.h"
#include "store/org_users.h"
#include "store/store_test_support.h"

namespace bankcc::api::testing {

using Json = nlohmann::json;

/// Keeps what handlers published.
class RecordingSink final : public EventSink {
 public:
  void publish(events::Payload payload) override { events.push_back(std::move(payload)); }
  /// The ConfigChanged events, in order.
  std::vector<events::ConfigChanged> configChanges() const {
    std::vector<events::ConfigChanged> out;
    for (const auto& e : events) {
      if (const auto* c = std::get_if<events::ConfigChanged>(&e)) out.push_back(*c);
    }
    return out;
  }
  std::vector<events::Payload> events;
};

/// A response with its body parsed (null when empty or not JSON).
struct Reply {
  int status = 0;
  Json body;
  Response response;

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : response.headers) {
      if (k == name) return v;
    }
    return {};
  }
  /// error.code of an error body, or "".
  std::string errorCode() const {
    return body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
  }
  /// The message of error field `field`, or "" when the error does not name it.
  std::string fieldMessage(std::string_view field) const {
    if (!body.is_object() || !body.contains("error") || !body["error"].contains("fields")) {
      return {};
    }
    for (const auto& f : body["error"]["fields"]) {
      if (f.value("field", "") == field) return f.value("message", "");
    }
    return {};
  }
};

inline Principal makePrincipal(std::string username, std::vector<std::string> roles,
                               std::vector<std::string> supervisedTeams = {}) {
  Principal p;
  p.userId = 0;
  p.username = std::move(username);
  p.displayName = p.username;
  p.roles = std::move(roles);
  std::sort(p.roles.begin(), p.roles.end());
  p.permissions = permissionsOfRoles(p.roles);
  p.supervisedTeams = std::move(supervisedTeams);
  p.sessionId = "0190c0de-0000-7000-8000-000000000001";
  return p;
}

class OrgApiTest : public store::testing::MigratedStoreTest {
 protected:
  void SetUp() override {
    MigratedStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    registerOrgRoutes(router_);
    std::array<std::uint8_t, 32> master{};
    for (std::size_t i = 0; i < master.size(); ++i) master[i] = static_cast<std::uint8_t>(i * 7);
    auditKey_ = store::deriveAuditKey(master);
    services_.clock = &clock_;
    services_.auditKey = &auditKey_;
    services_.events = &sink_;
    services_.hasher = &hasher_;
    services_.passwordPolicy = &policy_;
    ASSERT_TRUE(store::testing::isOk(
        store::createSkill(session(), clock_, store::Skill{0, "retail", "零售", "Retail"})));
  }

  /// Sends one request as `who` (the admin by default).
  Reply send(std::string method, std::string target, std::string body = {},
             const Principal* who = nullptr, std::string contentType = "application/json") {
    if (who == nullptr) who = &admin_;
    Request request;
    request.method = std::move(method);
    request.target = target;
    const auto q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) request.query = target.substr(q + 1);
    if (!contentType.empty() && !body.empty()) {
      request.headers.emplace_back("content-type", std::move(contentType));
    }
    request.body = std::move(body);
    request.remoteAddress = "192.0.2.10";

    Reply reply;
    auto matched = router_.match(request.method, request.path);
    if (const auto* none = std::get_if<NoRoute>(&matched)) {
      reply.status = none->status;
      return reply;
    }
    auto& match = std::get<RouteMatch>(matched);
    if (!who->has(match.route->permission)) {
      reply.response = errorResponse(403, "forbidden", "permission denied");
    } else {
      Call call(request, *match.route, std::move(match.params), who, &session(), services_,
                "0190c0de-0000-7000-8000-00000000feed");
      reply.response = match.route->handler(call);
      if (reply.response.status >= 200 && reply.response.status < 300) {
        for (auto& e : call.takeEvents()) sink_.publish(std::move(e));
      }
    }
    reply.status = reply.response.status;
    reply.body = Json::parse(reply.response.body, nullptr, false);
    if (reply.body.is_discarded()) reply.body = nullptr;
    return reply;
  }
  Reply get(std::string target, const Principal* who = nullptr) {
    return send("GET", std::move(target), {}, who);
  }
  Reply post(std::string target, const Json& body, const Principal* who = nullptr) {
    return send("POST", std::move(target), dumpJson(body), who);
  }
  Reply put(std::string target, const Json& body, const Principal* who = nullptr) {
    return send("PUT", std::move(target), dumpJson(body), who);
  }
  Reply patch(std::string target, const Json& body, const Principal* who = nullptr) {
    return send("PATCH", std::move(target), dumpJson(body), who, "application/merge-patch+json");
  }

  /// Every audit record, oldest first.
  std::vector<store::AuditRecord> audits() {
    store::AuditQuery query;
    query.limit = store::kMaxPageLimit;
    auto page = store::listAudit(session(), query);
    EXPECT_TRUE(store::testing::isOk(page));
    if (!page.ok()) return {};
    std::vector<store::AuditRecord> out(page->items.rbegin(), page->items.rend());
    return out;
  }

  /// Creates a user straight in the store.
  void createUser(const std::string& username, std::vector<std::string> roles = {"agent"}) {
    store::User u;
    u.username = username;
    u.displayName = "User " + username;
    u.roles = std::move(roles);
    ASSERT_TRUE(store::testing::isOk(store::createUser(session(), clock_, u)));
  }

  Router router_;
  store::AuditKey auditKey_;
  RecordingSink sink_;
  PasswordHasher hasher_{1, HashStrength::Minimal};
  PasswordPolicy policy_;
  CallServices services_;
  Principal admin_ = makePrincipal("admin", {"admin"});
};

/// One REST resource as the shared tests see it.
struct ResourceCase {
  std::string collection;  ///< "/api/v1/queues"
  std::string keyField;    ///< "code"
  std::string kind;        ///< "queue": audit target type and event kind
  std::string textField;   ///< a free-text field: "name_en"
  /// A valid create body for `key` (may create what it refers to).
  std::function<Json(const std::string& key)> body;
};

/// The seven resources. Agents' bodies create their user ("u_<key>") on first use through
/// `fixtureCreateUser`.
inline std::vector<ResourceCase> allResources(
    std::function<void(const std::string&)> fixtureCreateUser) {
  return {
      {"/api/v1/teams", "code", "team", "name",
       [](const std::string& k) {
         return Json{{"code", k}, {"name", "班组 " + k}};
       }},
      {"/api/v1/skills", "code", "skill", "name_zh",
       [](const std::string& k) {
         return Json{{"code", k}, {"name_zh", "信用卡"}, {"name_en", "Credit card"}};
       }},
      {"/api/v1/queues", "code", "queue", "name_en",
       [](const std::string& k) {
         return Json{{"code", k},
                     {"name_zh", "零售中文"},
                     {"name_en", "Retail (Chinese)"},
                     {"skills", Json::array({"retail"})}};
       }},
      {"/api/v1/reason-codes", "code", "reason_code", "label_en",
       [](const std::string& k) {
         return Json{{"code", k}, {"label_zh", "午餐"}, {"label_en", "Lunch"}};
       }},
      {"/api/v1/wrapup-codes", "code", "wrapup_code", "label_zh",
       [](const std::string& k) {
         return Json{{"code", k}, {"label_zh", "投诉"}, {"label_en", "Complaint"}};
       }},
      {"/api/v1/agents", "agent_no", "agent", "name",
       [fixtureCreateUser](const std::string& k) {
         fixtureCreateUser("u_" + k);
         return Json{{"agent_no", k},
                     {"name", "张伟"},
                     {"languages", Json::array({"zh", "en"})},
                     {"username", "u_" + k},
                     {"skills", Json::array({{{"code", "retail"}, {"proficiency", 3}}})}};
       }},
      {"/api/v1/users", "username", "user", "display_name",
       [](const std::string& k) {
         return Json{{"username", k}, {"display_name", "李娜"}, {"roles", Json::array({"agent"})}};
       }},
  };
}

}  // namespace bankcc::api::testing
