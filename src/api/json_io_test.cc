// SPDX-License-Identifier: Apache-2.0
#include "api/json_io.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <map>
#include <string>

namespace bankcc::api {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

Request jsonRequest(std::string body, std::string contentType = "application/json") {
  Request r;
  r.method = "POST";
  r.target = r.path = "/api/v1/queues";
  if (!contentType.empty()) r.headers.emplace_back("content-type", std::move(contentType));
  r.body = std::move(body);
  return r;
}

/// The parsed error body of a response.
Json errorOf(const Response& r) {
  Json body = Json::parse(r.body, nullptr, false);
  EXPECT_TRUE(body.is_object()) << r.body;
  return body.is_object() ? body["error"] : Json{};
}

/// The response a parse produced (fails the test when it produced a value).
Response parseFails(const Request& request) {
  auto parsed = parseJsonObject(request);
  EXPECT_TRUE(std::holds_alternative<Response>(parsed));
  if (auto* r = std::get_if<Response>(&parsed)) return *r;
  return {};
}

TEST(ParseJsonObjectTest, AcceptsAnObject) {
  auto parsed = parseJsonObject(jsonRequest(R"({"code":"retail_zh","n":[1,{"a":null}]})"));
  ASSERT_TRUE(std::holds_alternative<Json>(parsed));
  EXPECT_EQ(std::get<Json>(parsed)["code"], "retail_zh");
}

TEST(ParseJsonObjectTest, AcceptsJsonMediaTypesWithParametersAndNoContentType) {
  for (const char* type : {"application/json; charset=utf-8", "Application/JSON",
                           "application/merge-patch+json", ""}) {
    auto parsed = parseJsonObject(jsonRequest("{}", type));
    EXPECT_TRUE(std::holds_alternative<Json>(parsed)) << type;
  }
}

TEST(ParseJsonObjectTest, RefusesOtherMediaTypesWith415) {
  for (const char* type :
       {"text/plain", "application/x-www-form-urlencoded", "application/jsonx"}) {
    Response r = parseFails(jsonRequest("{}", type));
    EXPECT_EQ(r.status, 415) << type;
    EXPECT_EQ(errorOf(r)["code"], "bad_request");
  }
}

TEST(ParseJsonObjectTest, ReportsWhereMalformedJsonBreaks) {
  Response r = parseFails(jsonRequest(R"({"code": "x",})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorOf(r)["code"], "bad_request");
  EXPECT_NE(errorOf(r)["message"].get<std::string>().find("malformed JSON at byte 14"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(parseFails(jsonRequest("{\"a\":1} trailing")).status, 400);
}

TEST(ParseJsonObjectTest, RefusesEmptyNonObjectAndNonUtf8Bodies) {
  for (const char* body : {"", "  \n", "[]", "\"text\"", "42", "null", "true"}) {
    Response r = parseFails(jsonRequest(body));
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(errorOf(r)["code"], "bad_request") << body;
  }
  Response r = parseFails(jsonRequest("{\"name\":\"\xff\xfe\"}"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("UTF-8"), std::string::npos);
}

TEST(ParseJsonObjectTest, RefusesNestingDeeperThan32Levels) {
  auto nested = [](int depth) {
    std::string s = "{\"a\":";
    for (int i = 1; i < depth; ++i) s += "[";
    s += "1";
    for (int i = 1; i < depth; ++i) s += "]";
    return s + "}";
  };
  EXPECT_TRUE(std::holds_alternative<Json>(parseJsonObject(jsonRequest(nested(32)))));
  Response r = parseFails(jsonRequest(nested(33)));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("deeper than 32"), std::string::npos);
  // A million brackets are refused without building anything.
  EXPECT_EQ(parseFails(jsonRequest(std::string(1'000'000, '['))).status, 400);
  // Brackets inside strings do not count.
  const std::string inString = "{\"a\":\"" + std::string(100, '[') + "\\\"" + "\"}";
  EXPECT_TRUE(std::holds_alternative<Json>(parseJsonObject(jsonRequest(inString))));
}

TEST(FieldReaderTest, ReadsValidFields) {
  const Json body = {{"code", "retail"},  {"n", 5},
                     {"on", false},       {"tags", {"a", "b"}},
                     {"created_at", "x"}, {"nothing", nullptr}};
  FieldReader r(body);
  EXPECT_EQ(r.string("code", Need::Required, 32), "retail");
  EXPECT_EQ(r.integer("n", Need::Required, 1, 5), 5);
  EXPECT_EQ(r.boolean("on", Need::Required), false);
  EXPECT_EQ(r.stringList("tags", Need::Required, 10, 8), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.string("nothing", Need::Optional, 10), std::nullopt);
  EXPECT_EQ(r.string("absent", Need::Optional, 10), std::nullopt);
  r.ignore("created_at");
  EXPECT_FALSE(r.finish().has_value());
}

TEST(FieldReaderTest, CollectsEveryProblemIntoOne422) {
  const Json body = {{"name", 5},
                     {"long", std::string(101, 'x')},
                     {"empty", ""},
                     {"ctl", "a\tb"},
                     {"c1",
                      "a\xc2\x85"
                      "b"},
                     {"nul", std::string("a\0b", 3)},
                     {"n", 6},
                     {"f", 1.5},
                     {"b", "true"},
                     {"list", {"ok", 3}},
                     {"notlist", "x"},
                     {"big", Json::array({"a", "b", "c"})},
                     {"extra", 1}};
  FieldReader r(body);
  EXPECT_FALSE(r.string("name", Need::Required, 100));
  EXPECT_FALSE(r.string("long", Need::Required, 100));
  EXPECT_FALSE(r.string("empty", Need::Required, 100));
  EXPECT_EQ(r.string("empty2", Need::Optional, 100, true), std::nullopt);
  EXPECT_FALSE(r.string("ctl", Need::Required, 100));
  EXPECT_FALSE(r.string("c1", Need::Required, 100));
  EXPECT_FALSE(r.string("nul", Need::Required, 100));
  EXPECT_FALSE(r.string("missing", Need::Required, 100));
  EXPECT_FALSE(r.integer("n", Need::Required, 1, 5));
  EXPECT_FALSE(r.integer("f", Need::Required, 1, 5));
  EXPECT_FALSE(r.boolean("b", Need::Required));
  EXPECT_FALSE(r.stringList("list", Need::Required, 5, 10));
  EXPECT_FALSE(r.stringList("notlist", Need::Required, 5, 10));
  EXPECT_FALSE(r.stringList("big", Need::Required, 2, 10));
  auto response = r.finish();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 422);
  const Json error = errorOf(*response);
  EXPECT_EQ(error["code"], "validation_failed");
  std::map<std::string, std::string> fields;
  for (const auto& f : error["fields"]) fields[f["field"]] = f["message"];
  EXPECT_EQ(fields["name"], "must be a string");
  EXPECT_EQ(fields["long"], "must be at most 100 bytes");
  EXPECT_EQ(fields["empty"], "must not be empty");
  EXPECT_EQ(fields["ctl"], "must not contain control characters");
  EXPECT_EQ(fields["c1"], "must not contain control characters");
  EXPECT_EQ(fields["nul"], "must not contain control characters");
  EXPECT_EQ(fields["missing"], "is required");
  EXPECT_EQ(fields["n"], "must be between 1 and 5");
  EXPECT_EQ(fields["f"], "must be an integer");
  EXPECT_EQ(fields["b"], "must be true or false");
  EXPECT_EQ(fields["list[1]"], "must be a string");
  EXPECT_EQ(fields["notlist"], "must be an array of strings");
  EXPECT_EQ(fields["big"], "must have at most 2 items");
  EXPECT_EQ(fields["extra"], "unknown field");
  EXPECT_EQ(fields.count("empty2"), 0u);
  EXPECT_EQ(error["fields"].size(), fields.size());  // each problem once
}

TEST(FieldReaderTest, IntegerLimitsAndHugeNumbers) {
  const Json body = {{"v", 18446744073709551615ull}, {"neg", -1}, {"max", 9223372036854775807LL}};
  FieldReader r(body);
  EXPECT_FALSE(r.integer("v", Need::Required, 1, std::numeric_limits<std::int64_t>::max()));
  EXPECT_FALSE(r.integer("neg", Need::Required, 1, std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(r.integer("max", Need::Required, 1, std::numeric_limits<std::int64_t>::max()),
            std::numeric_limits<std::int64_t>::max());
  ASSERT_EQ(r.errors().size(), 2u);
  EXPECT_EQ(r.errors()[1].message, "must be at least 1");
}

TEST(FieldReaderTest, PrefixNamesNestedFieldsAndMergeAddsThem) {
  const Json item = {{"code", 1}, {"bogus", true}};
  FieldReader inner(item, "skills[2].");
  inner.string("code", Need::Required, 32);
  inner.fail("", "must be an object");
  inner.rejectUnknown();
  ASSERT_EQ(inner.errors().size(), 3u);
  EXPECT_EQ(inner.errors()[0].field, "skills[2].code");
  EXPECT_EQ(inner.errors()[1].field, "skills[2]");
  EXPECT_EQ(inner.errors()[2].field, "skills[2].bogus");
  const Json outer = {{"skills", Json::array()}};
  FieldReader r(outer);
  r.raw("skills");
  r.merge(inner.errors());
  EXPECT_FALSE(r.ok());
  auto response = r.finish();
  ASSERT_TRUE(response);
  EXPECT_EQ(errorOf(*response)["fields"].size(), 3u);
  EXPECT_EQ(errorOf(*response)["message"], "skills[2].code: must be a string (and 2 more)");
}

TEST(MergePatchTest, FollowsRfc7396) {
  Json target = {{"a", "b"}, {"c", {{"d", "e"}, {"f", "g"}}}, {"list", Json::array({1, 2})}};
  mergePatch(target, {{"a", "z"}, {"c", {{"f", nullptr}}}, {"list", Json::array({3})}, {"new", 1}});
  EXPECT_EQ(target,
            (Json{{"a", "z"}, {"c", {{"d", "e"}}}, {"list", Json::array({3})}, {"new", 1}}));
  Json scalar = "x";
  mergePatch(scalar, {{"a", 1}});
  EXPECT_EQ(scalar, (Json{{"a", 1}}));
}

TEST(PageRequestTest, DefaultsAndValues) {
  auto page = parsePageRequest(QueryParams::parse(""));
  ASSERT_TRUE(std::holds_alternative<store::PageRequest>(page));
  EXPECT_EQ(std::get<store::PageRequest>(page).limit, 50);
  EXPECT_EQ(std::get<store::PageRequest>(page).cursor, "");
  EXPECT_EQ(std::get<store::PageRequest>(page).active, std::nullopt);
  page = parsePageRequest(QueryParams::parse("limit=500&cursor=abc%3D&active=false"));
  ASSERT_TRUE(std::holds_alternative<store::PageRequest>(page));
  EXPECT_EQ(std::get<store::PageRequest>(page).limit, 500);
  EXPECT_EQ(std::get<store::PageRequest>(page).cursor, "abc=");
  EXPECT_EQ(std::get<store::PageRequest>(page).active, false);
}

TEST(PageRequestTest, RefusesBadLimitsAndActiveValues) {
  for (const char* q : {"limit=0", "limit=501", "limit=abc", "limit=-1", "limit=", "limit=1.5",
                        "limit=99999999999", "active=yes", "active="}) {
    auto page = parsePageRequest(QueryParams::parse(q));
    ASSERT_TRUE(std::holds_alternative<Response>(page)) << q;
    EXPECT_EQ(std::get<Response>(page).status, 422) << q;
    EXPECT_EQ(errorOf(std::get<Response>(page))["code"], "validation_failed");
  }
  auto page = parsePageRequest(QueryParams::parse("limit=0&active=1"));
  ASSERT_TRUE(std::holds_alternative<Response>(page));
  EXPECT_EQ(errorOf(std::get<Response>(page))["fields"].size(), 2u);
}

TEST(PageResponseTest, WritesItemsAndCursor) {
  Response r = pageResponse(Json::array({1, 2}), std::string("next"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body), (Json{{"items", {1, 2}}, {"next_cursor", "next"}}));
  r = pageResponse(Json::array(), std::nullopt);
  EXPECT_EQ(Json::parse(r.body), (Json{{"items", Json::array()}, {"next_cursor", nullptr}}));
}

TEST(ErrorFromTest, MapsStoreErrorsToStatusAndCode) {
  using base::Errc;
  struct Case {
    Errc code;
    int status;
    const char* name;
  };
  for (const Case& c :
       {Case{Errc::BadRequest, 400, "bad_request"},
        Case{Errc::ValidationFailed, 422, "validation_failed"},
        Case{Errc::NotFound, 404, "not_found"}, Case{Errc::Conflict, 409, "conflict"},
        Case{Errc::VersionMismatch, 409, "version_mismatch"},
        Case{Errc::Unavailable, 503, "unavailable"}, Case{Errc::Io, 500, "internal"},
        Case{Errc::Corrupt, 500, "internal"}, Case{Errc::Internal, 500, "internal"}}) {
    Response r = errorFrom(base::err(c.code, "thing 'x' went wrong"));
    EXPECT_EQ(r.status, c.status) << c.name;
    EXPECT_EQ(errorOf(r)["code"], c.name);
  }
}

TEST(ErrorFromTest, SplitsStoreValidationMessagesIntoFields) {
  Response r = errorFrom(base::err(base::Errc::ValidationFailed, "skills: unknown skill 'x'"));
  const Json error = errorOf(r);
  ASSERT_EQ(error["fields"].size(), 1u);
  EXPECT_EQ(error["fields"][0]["field"], "skills");
  EXPECT_EQ(error["fields"][0]["message"], "unknown skill 'x'");
  // A message that does not start with a field name stays whole.
  r = errorFrom(base::err(base::Errc::ValidationFailed, "Bad thing: happened"));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(errorOf(r)["message"], "Bad thing: happened");
}

TEST(ErrorFromTest, HidesDetailsOfServerSideFailures) {
  for (auto code : {base::Errc::Unavailable, base::Errc::Io, base::Errc::Internal}) {
    Response r = errorFrom(base::err(code, "connection to 10.0.0.5:5432 refused, password=x"));
    EXPECT_EQ(r.body.find("10.0.0.5"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("password"), std::string::npos) << r.body;
  }
}

TEST(TimestampTest, FormatsUtcWithMilliseconds) {
  const base::SysTime t{
      std::chrono::sys_days{std::chrono::year{2026} / 11 / 26}.time_since_epoch() + 7h + 15min +
      123456us};
  EXPECT_EQ(formatTimestamp(t), "2026-11-26T07:15:00.123Z");
  EXPECT_EQ(formatTimestamp(base::SysTime{}), "1970-01-01T00:00:00.000Z");
}

TEST(TimestampTest, FormatsLikeTheDateLibraryAcrossCenturies) {
  // The formatter is written by hand for speed; the date library is the reference.
  std::uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    // 1900 .. 2100, either side of the epoch, any microsecond.
    const auto us = static_cast<std::int64_t>(x % 6'311'390'400'000'000ull) - 2'208'988'800'000'000;
    const base::SysTime t{std::chrono::microseconds(us)};
    ASSERT_EQ(formatTimestamp(t),
              date::format("%FT%TZ", std::chrono::floor<std::chrono::milliseconds>(t)))
        << us;
  }
}

TEST(TimestampTest, ParsesOffsetsAndFractions) {
  const base::SysTime t{
      std::chrono::sys_days{std::chrono::year{2026} / 11 / 26}.time_since_epoch() + 7h + 15min};
  EXPECT_EQ(parseTimestamp("2026-11-26T07:15:00Z"), t);
  EXPECT_EQ(parseTimestamp("2026-11-26T15:15:00+08:00"), t);
  EXPECT_EQ(parseTimestamp("2026-11-26T07:15:00.5Z"), t + 500ms);
  EXPECT_EQ(parseTimestamp(formatTimestamp(t + 123ms)), t + 123ms);
  EXPECT_EQ(parseTimestamp("2026-11-26"), std::nullopt);
  EXPECT_EQ(parseTimestamp("2026-11-26T07:15:00"), std::nullopt);
  EXPECT_EQ(parseTimestamp("yesterday"), std::nullopt);
}

TEST(DumpJsonTest, IsCompactAndReplacesInvalidUtf8) {
  EXPECT_EQ(dumpJson(Json{{"a", 1}, {"b", "中文"}}), R"({"a":1,"b":"中文"})");
  const std::string out = dumpJson(Json("bad\xff"));
  EXPECT_EQ(out, "\"bad\xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace bankcc::api
