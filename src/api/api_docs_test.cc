// SPDX-License-Identifier: Apache-2.0
// The generated and hand-written API documentation against the route table: the OpenAPI
// description must document every route with its permission, and docs/permissions.md must be
// what permissionsMarkdown() writes (BANKCC_UPDATE_DOCS=1 rewrites it).

#include "api/api_docs.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "api/api_server.h"
#include "api/openapi.h"

namespace bankcc::api {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Json = nlohmann::json;

#ifndef BANKCC_SOURCE_DIR
#error "api_unit_test needs BANKCC_SOURCE_DIR (src/api/CMakeLists.txt)"
#endif

const std::filesystem::path kPermissionsFile =
    std::filesystem::path(BANKCC_SOURCE_DIR) / "docs" / "permissions.md";
constexpr const char* kUpdateCommand =
    "BANKCC_UPDATE_DOCS=1 build/src/api/api_unit_test --gtest_filter=ApiDocs*";

const Router& routes() {
  static const Router router = describeRoutes();
  return router;
}

Json spec() {
  return Json::parse(openApiDocument());
}

bool anyContains(const std::vector<std::string>& problems, std::string_view text) {
  for (const auto& p : problems) {
    if (p.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

/// "line N: file has ... / expected ..." for the first line that differs.
std::string firstDifference(const std::string& actual, const std::string& expected) {
  std::istringstream a(actual);
  std::istringstream e(expected);
  std::string la;
  std::string le;
  for (int line = 1;; ++line) {
    const bool moreA = static_cast<bool>(std::getline(a, la));
    const bool moreE = static_cast<bool>(std::getline(e, le));
    if (!moreA && !moreE) return "(they differ only in the last line break)";
    if (!moreA) la = "(end of file)";
    if (!moreE) le = "(end of file)";
    if (la != le || moreA != moreE) {
      return fmt::format("first difference at line {}:\n  file:     {}\n  expected: {}", line, la,
                         le);
    }
  }
}

TEST(ApiDocsOpenApi, DescribesEveryRouteAndNothingElse) {
  const auto problems = checkOpenApi(routes(), openApiDocument());
  EXPECT_THAT(problems, IsEmpty())
      << "src/api/openapi.json does not match the route table (describeRoutes()):"
      << joined(problems);
}

TEST(ApiDocsOpenApi, HasTheFixedParts) {
  const Json doc = spec();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_EQ(doc["info"]["title"], "bankcc API");
  EXPECT_EQ(doc["info"]["version"], "1");
  EXPECT_EQ(doc["servers"][0]["url"], "/");
  const Json& schemes = doc["components"]["securitySchemes"];
  EXPECT_EQ(schemes["bearerAuth"]["scheme"], "bearer");
  EXPECT_EQ(schemes["sessionCookie"]["in"], "cookie");
  EXPECT_EQ(schemes["sessionCookie"]["name"], "bankcc_session");
  EXPECT_EQ(schemes["csrfToken"]["in"], "header");
  EXPECT_EQ(schemes["csrfToken"]["name"], "X-CSRF-Token");
  for (const char* schema :
       {"Queue", "Skill", "Team", "ReasonCode", "WrapupCode", "Agent", "AgentSkill", "User",
        "LoginRequest", "LoginResponse", "Session", "AuditRecord", "AuditVerification", "Error",
        "QueuePage", "AuditRecordPage"}) {
    EXPECT_TRUE(doc["components"]["schemas"].contains(schema)) << schema;
  }
  for (const char* response :
       {"Unauthenticated", "Forbidden", "NotFound", "Conflict", "ValidationFailed",
        "PayloadTooLarge", "RateLimited", "Unavailable"}) {
    EXPECT_TRUE(doc["components"]["responses"].contains(response)) << response;
  }
  for (const char* parameter : {"limit", "cursor", "active"}) {
    EXPECT_TRUE(doc["components"]["parameters"].contains(parameter)) << parameter;
  }
  // The embedding must never meet its raw-string delimiter.
  EXPECT_EQ(openApiDocument().find(")bankcc_openapi\""), std::string_view::npos);
}

TEST(ApiDocsOpenApi, ErrorCodesAreTheConventionsOnes) {
  const auto codes =
      spec()["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
          .get<std::vector<std::string>>();
  for (const char* code :
       {"bad_request", "validation_failed", "unauthenticated", "session_locked", "password_expired",
        "must_change_password", "account_locked", "forbidden", "not_found", "conflict",
        "version_mismatch", "payload_too_large", "rate_limited", "unavailable", "internal"}) {
    EXPECT_THAT(codes, Contains(code));
  }
}

TEST(ApiDocsOpenApi, EventsRouteIsTheWebSocketUpgrade) {
  const Json events = spec()["paths"]["/api/v1/events"]["get"];
  EXPECT_TRUE(events["responses"].contains("101"));
  EXPECT_THAT(events["description"].get<std::string>(), HasSubstr("docs/asyncapi.yaml"));
}

TEST(ApiDocsOpenApi, CheckFindsAMissingRoute) {
  Json doc = spec();
  doc["paths"]["/api/v1/audit"].erase("get");
  const auto problems = checkOpenApi(routes(), doc.dump());
  EXPECT_TRUE(anyContains(problems, "GET /api/v1/audit: route missing")) << joined(problems);
  EXPECT_EQ(problems.size(), 1u) << joined(problems);
}

TEST(ApiDocsOpenApi, CheckFindsAnOperationWithoutARoute) {
  Json doc = spec();
  doc["paths"]["/api/v1/nothing"]["get"] = {{"summary", "Nothing"},
                                            {"x-permission", "public"},
                                            {"responses", {{"200", {{"description", "ok"}}}}}};
  doc["paths"]["/api/v1/audit"]["delete"] = {{"summary", "Erase the audit log"},
                                             {"x-permission", "audit.read"},
                                             {"responses", {{"204", {{"description", "ok"}}}}}};
  const auto problems = checkOpenApi(routes(), doc.dump());
  EXPECT_TRUE(anyContains(problems, "GET /api/v1/nothing: in the OpenAPI description but not"))
      << joined(problems);
  EXPECT_TRUE(anyContains(problems, "DELETE /api/v1/audit: in the OpenAPI description but not"))
      << joined(problems);
  EXPECT_EQ(problems.size(), 2u) << joined(problems);
}

TEST(ApiDocsOpenApi, CheckFindsAWrongOrMissingPermission) {
  Json doc = spec();
  doc["paths"]["/api/v1/audit"]["get"]["x-permission"] = "org.read";
  doc["paths"]["/api/v1/auth/login"]["post"].erase("x-permission");
  const auto problems = checkOpenApi(routes(), doc.dump());
  EXPECT_TRUE(anyContains(
      problems,
      R"(GET /api/v1/audit: x-permission is "org.read" but the route needs "audit.read")"))
      << joined(problems);
  EXPECT_TRUE(anyContains(problems, "POST /api/v1/auth/login: no x-permission"))
      << joined(problems);
  EXPECT_EQ(problems.size(), 2u) << joined(problems);
}

TEST(ApiDocsOpenApi, CheckFindsAMissingSummary) {
  Json doc = spec();
  doc["paths"]["/api/v1/audit/verify"]["get"].erase("summary");
  const auto problems = checkOpenApi(routes(), doc.dump());
  EXPECT_TRUE(anyContains(problems, "GET /api/v1/audit/verify: operation without a summary"))
      << joined(problems);
}

TEST(ApiDocsOpenApi, CheckFindsUndeclaredPathParametersAndBrokenRefs) {
  Json doc = spec();
  doc["paths"]["/api/v1/users/{username}/unlock"].erase("parameters");
  doc["paths"]["/api/v1/users/{username}/unlock"]["post"].erase("parameters");
  doc["paths"]["/api/v1/audit/verify"]["get"]["responses"]["418"] = {
      {"$ref", "#/components/responses/Teapot"}};
  const auto problems = checkOpenApi(routes(), doc.dump());
  EXPECT_TRUE(anyContains(
      problems, "POST /api/v1/users/{username}/unlock: path parameter {username} is not declared"))
      << joined(problems);
  EXPECT_TRUE(anyContains(problems, "#/components/responses/Teapot resolves to nothing"))
      << joined(problems);
}

TEST(ApiDocsOpenApi, CheckRefusesInvalidJson) {
  const auto problems = checkOpenApi(routes(), R"({"openapi": "3.1.0", "paths": {)");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], HasSubstr("not valid JSON"));
  EXPECT_THAT(checkOpenApi(routes(), R"({"openapi": "3.1.0"})"),
              Contains(HasSubstr("no \"paths\" object")));
}

TEST(ApiDocsPermissions, MarkdownIsDeterministicAndComplete) {
  const std::string text = permissionsMarkdown(routes());
  EXPECT_EQ(text, permissionsMarkdown(describeRoutes()));
  for (Permission p : allPermissions()) {
    EXPECT_THAT(text, HasSubstr(fmt::format("| `{}` |", permissionName(p))));
  }
  for (const auto& r : routes().routes()) {
    EXPECT_THAT(text, HasSubstr(fmt::format("| {} | `{}` | `{}` |", r.method, r.pattern,
                                            permissionName(r.permission))));
  }
  // Separation of duties: the admin column has no mark in the audit.read row.
  const auto row = text.find("| `audit.read` |");
  ASSERT_NE(row, std::string::npos);
  const std::string line = text.substr(row, text.find('\n', row) - row);
  ASSERT_NE(line.find("✓"), std::string::npos) << line;
  EXPECT_EQ(line.find("✓"), line.rfind("✓")) << line;  // auditors only
}

TEST(ApiDocsPermissions, FileMatchesTheRouteTable) {
  const std::string expected = permissionsMarkdown(routes());
  if (const char* update = std::getenv("BANKCC_UPDATE_DOCS");
      update != nullptr && std::string_view(update) == "1") {
    std::ofstream out(kPermissionsFile, std::ios::binary | std::ios::trunc);
    ASSERT_TRUE(out) << "cannot write " << kPermissionsFile;
    out << expected;
    out.close();
    ASSERT_TRUE(out) << "cannot write " << kPermissionsFile;
    std::cout << "wrote " << kPermissionsFile.string() << "\n";
    return;
  }
  std::ifstream in(kPermissionsFile, std::ios::binary);
  ASSERT_TRUE(in.is_open()) << kPermissionsFile << " is missing; run " << kUpdateCommand;
  std::ostringstream actual;
  actual << in.rdbuf();
  // Not EXPECT_EQ: two whole Markdown files in the log help nobody; the first difference does.
  EXPECT_TRUE(actual.str() == expected)
      << kPermissionsFile << " is stale (the permissions or routes changed); run " << kUpdateCommand
      << " and commit the result\n"
      << firstDifference(actual.str(), expected);
}

}  // namespace
}  // namespace bankcc::api
