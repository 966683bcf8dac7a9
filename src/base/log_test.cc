// SPDX-License-Identifier: Apache-2.0
#include "base/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <sstream>
#include <thread>

namespace bankcc::base {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using Json = nlohmann::json;

// Routes the default logger into a string for the test's lifetime.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { init("info", "json"); }
  void TearDown() override {
    setThreadName("");
    spdlog::set_default_logger(previous_);
  }

  void init(std::string level, std::string format) {
    out_.str("");
    const LogConfig config{.level = std::move(level), .format = std::move(format)};
    ASSERT_TRUE(config.validate().ok());
    initLogging(config, std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
  }

  std::vector<std::string> lines() {
    std::vector<std::string> result;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }

  // Every line parsed; fails the test on a line that is not one JSON object.
  std::vector<Json> records() {
    std::vector<Json> result;
    for (const auto& line : lines()) {
      Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
      EXPECT_TRUE(j.is_object()) << "not a JSON object: " << line;
      result.push_back(std::move(j));
    }
    return result;
  }

  std::shared_ptr<spdlog::logger> previous_ = spdlog::default_logger();
  std::ostringstream out_;
};

TEST_F(LogTest, WritesOneJsonObjectPerLine) {
  spdlog::info("call {} offered", 7);
  spdlog::warn("second");
  auto r = records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]["level"], "info");
  EXPECT_EQ(r[0]["msg"], "call 7 offered");
  EXPECT_EQ(r[1]["level"], "warn");
  EXPECT_THAT(
      r[0]["ts"].get<std::string>(),
      MatchesRegex(
          R"(20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{6}Z)"));
  // Unset context fields are absent, not empty.
  for (const char* field : {"call_id", "agent_id", "request_id", "component", "thread", "logger"}) {
    EXPECT_FALSE(r[0].contains(field)) << field;
  }
}

TEST_F(LogTest, EscapesWhatJsonNeedsAndKeepsUtf8) {
  spdlog::info("he said \"hi\"\\ then\nleft\ttab\x01 \r 客户来电 ✓ 😀");
  spdlog::info(std::string("bad utf-8: \xff\xfe end \xe4\xb8"));
  spdlog::info(std::string("nul\0here", 8));
  auto r = records();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0]["msg"], "he said \"hi\"\\ then\nleft\ttab\x01 \r 客户来电 ✓ 😀");
  EXPECT_THAT(lines()[0], HasSubstr(R"(\"hi\"\\ then\nleft\ttab\u0001 \r 客户来电)"));
  EXPECT_EQ(r[1]["msg"], "bad utf-8: \uFFFD\uFFFD end \uFFFD\uFFFD");
  EXPECT_EQ(r[2]["msg"], std::string("nul\0here", 8));
  EXPECT_THAT(lines()[2], HasSubstr(R"("msg":"nul\u0000here")"));
}

TEST_F(LogTest, ScopesAddFieldsNestAndRestore) {
  {
    LogScope call{{.callId = "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887", .component = "acd"}};
    spdlog::info("outer");
    {
      LogScope agent{{.agentId = "1001", .component = "router"}};
      spdlog::info("inner");
      {
        LogScope request{{.callId = "other-call", .requestId = "req-1"}};
        spdlog::info("innermost");
      }
      spdlog::info("inner again");
    }
    spdlog::info("outer again");
  }
  spdlog::info("none");
  auto r = records();
  ASSERT_EQ(r.size(), 6u);
  const Json outer = {{"call_id", "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887"}, {"component", "acd"}};
  const Json inner = {{"call_id", "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887"},
                      {"agent_id", "1001"},
                      {"component", "router"}};
  const Json innermost = {{"call_id", "other-call"},
                          {"agent_id", "1001"},
                          {"request_id", "req-1"},
                          {"component", "router"}};
  auto context = [](Json j) {
    for (const char* k : {"ts", "level", "msg"}) j.erase(k);
    return j;
  };
  EXPECT_EQ(context(r[0]), outer);
  EXPECT_EQ(context(r[1]), inner);
  EXPECT_EQ(context(r[2]), innermost);
  EXPECT_EQ(context(r[3]), inner);
  EXPECT_EQ(context(r[4]), outer);
  EXPECT_EQ(context(r[5]), Json::object());
  EXPECT_TRUE(currentLogFields().callId.empty());
}

TEST_F(LogTest, ScopesAndThreadNamesBelongToTheirThread) {
  setThreadName("core");
  LogScope scope{{.callId = "c1"}};
  std::thread other([] {
    EXPECT_TRUE(currentLogFields().callId.empty());
    EXPECT_TRUE(threadName().empty());
    setThreadName("sip");
    spdlog::info("from sip");
  });
  other.join();
  spdlog::info("from core");
  auto r = records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]["thread"], "sip");
  EXPECT_FALSE(r[0].contains("call_id"));
  EXPECT_EQ(r[1]["thread"], "core");
  EXPECT_EQ(r[1]["call_id"], "c1");
}

TEST_F(LogTest, LevelFiltersAndCanBeChangedAtRunTime) {
  init("warn", "json");
  spdlog::info("hidden");
  spdlog::warn("shown");
  ASSERT_TRUE(setLogLevel("debug").ok());
  spdlog::debug("now shown");
  auto bad = setLogLevel("verbose");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::ValidationFailed);
  EXPECT_EQ(bad.error().message,
            "unknown log level 'verbose' (allowed: trace, debug, info, warn, error, critical, "
            "off)");
  spdlog::debug("still debug");
  ASSERT_TRUE(setLogLevel("off").ok());
  spdlog::critical("nothing at off");
  auto r = records();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0]["msg"], "shown");
  EXPECT_EQ(r[1]["msg"], "now shown");
  EXPECT_EQ(r[1]["level"], "debug");
  EXPECT_EQ(r[2]["msg"], "still debug");
}

TEST_F(LogTest, TextFormatIsOneReadableLine) {
  init("info", "text");
  setThreadName("core");
  LogScope scope{{.callId = "c1", .agentId = "1001"}};
  spdlog::error("no agent");
  auto l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_THAT(
      l[0], MatchesRegex(R"([0-9-]+T[0-9:.]+Z error \[core\] no agent call_id=c1 agent_id=1001)"));
}

TEST_F(LogTest, BadLevelOrFormatFallsBackToTheDefaultsAndSaysSo) {
  EXPECT_EQ(LogConfig{.level = "loud"}.validate().error().code, Errc::ValidationFailed);
  EXPECT_EQ(LogConfig{.format = "xml"}.validate().error().message,
            "unknown log format 'xml' (allowed: json, text)");
  EXPECT_TRUE((LogConfig{.level = "off", .format = "text"}.validate().ok()));

  out_.str("");
  initLogging(LogConfig{.level = "loud", .format = "text"},
              std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
  spdlog::debug("below the default level");
  spdlog::info("at the default level");
  auto r = records();  // json, the default format
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]["level"], "error");
  EXPECT_EQ(r[0]["msg"],
            "logging: unknown log level 'loud' (allowed: trace, debug, info, warn, error, "
            "critical, off); using level 'info' and format 'json'");
  EXPECT_EQ(r[1]["msg"], "at the default level");
}

TEST(LogConfigTest, ParsesTheLogSection) {
  auto file = ConfigFile::parse("[log]\nlevel = \"debug\"\nformat = \"text\"\n", "bankcc.toml");
  ASSERT_TRUE(file.ok());
  auto section = file->section("log");
  auto config = LogConfig::parse(section);
  ASSERT_TRUE(config.ok()) << config.error().describe();
  EXPECT_EQ(config->level, "debug");
  EXPECT_EQ(config->format, "text");

  auto defaults = ConfigFile::empty();
  auto empty = defaults.section("log");
  auto d = LogConfig::parse(empty);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->level, "info");
  EXPECT_EQ(d->format, "json");
}

TEST(LogConfigTest, ReportsBadValuesWithTheirLocation) {
  auto file = ConfigFile::parse("[log]\nlevel = \"warning\"\ncolour = true\n", "bankcc.toml");
  ASSERT_TRUE(file.ok());
  auto section = file->section("log");
  auto config = LogConfig::parse(section);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Errc::BadRequest);
  EXPECT_EQ(config.error().message,
            "bankcc.toml:2:9: log.level: 'warning' is not one of: trace, debug, info, warn, "
            "error, critical, off\n"
            "bankcc.toml:3:1: log.colour: unknown key (known keys: format, level)");
}

}  // namespace
}  // namespace bankcc::base
