// SPDX-License-Identifier: Apache-2.0
// The plain values of http.h (implemented in http.cc) as the transport fills and reads them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/http.h"

namespace bankcc::api {
namespace {

TEST(HttpValuesTest, HeaderFindsTheFirstFieldIgnoringCase) {
  Request request;
  request.headers = {{"host", "a"}, {"x-two", "1"}, {"x-two", "2"}};
  EXPECT_EQ(request.header("host"), "a");
  EXPECT_EQ(request.header("x-two"), "1");
  EXPECT_EQ(request.header("X-Two"), "1");
  EXPECT_EQ(request.header("missing"), "");
}

TEST(HttpValuesTest, CookieParsing) {
  Request request;
  request.headers = {{"cookie", "a=1; session=abc%3D;theme=\"dark\""},
                     {"cookie", " late = yes ; a=shadowed"},
                     {"x-cookie", "x=no"}};
  EXPECT_EQ(request.cookie("a"), "1");
  EXPECT_EQ(request.cookie("session"), "abc%3D");
  EXPECT_EQ(request.cookie("theme"), "dark");
  EXPECT_EQ(request.cookie("late"), "yes");
  EXPECT_EQ(request.cookie("x"), "");
  EXPECT_EQ(request.cookie("Session"), "");  // names are case-sensitive
  EXPECT_EQ(request.cookie(""), "");
  Request none;
  EXPECT_EQ(none.cookie("a"), "");
}

TEST(HttpValuesTest, ErrorResponseEscapes) {
  auto response = errorResponse(409, "conflict", "queue \"retail\"\n already exists \\");
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(response.contentType, "application/json");
  auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "conflict");
  EXPECT_EQ(body["error"]["message"], "queue \"retail\"\n already exists \\");
  // Broken UTF-8 in a message never throws.
  auto broken = errorResponse(400, "bad_request", std::string("bad \xff byte"));
  EXPECT_TRUE(nlohmann::json::parse(broken.body, nullptr, false).is_object());
}

TEST(HttpValuesTest, JsonResponse) {
  auto response = jsonResponse(201, R"({"id":1})");
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.contentType, "application/json");
  EXPECT_EQ(response.body, R"({"id":1})");
}

}  // namespace
}  // namespace bankcc::api
