// SPDX-License-Identifier: Apache-2.0
#include "base/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

namespace bankcc::base {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr std::int64_t kMiB = 1 << 20;

ConfigFile parseOk(std::string_view text) {
  auto file = ConfigFile::parse(text, "bankcc.toml");
  EXPECT_TRUE(file.ok()) << file.error().describe();
  return std::move(file).value();
}

// The error message of `status`, or "ok".
std::string messageOf(const Status& status) {
  return status.ok() ? "ok" : status.error().message;
}

TEST(ConfigTest, ReadsValuesOfEveryKind) {
  auto file = parseOk(R"(
[http]
listen = "127.0.0.1:8080"
port = 8443
tls = true
mode = "strict"
idle_timeout = "90s"
tick = "250ms"
grace = "1.5s"
retention = "2h"
poll = "10m"
max_body = "64MiB"
chunk = "512KiB"
cache = "1GiB"
wire = "10MB"
raw = 4096
origins = ["https://a.example", "https://b.example"]
)");
  auto http = file.section("http");
  EXPECT_EQ(http.name(), "http");
  EXPECT_EQ(http.getString("listen", ""), "127.0.0.1:8080");
  EXPECT_EQ(http.getInt("port", 0, 1, 65535), 8443);
  EXPECT_TRUE(http.getBool("tls", false));
  EXPECT_EQ(http.getEnum("mode", "lax", {"lax", "strict"}), "strict");
  EXPECT_EQ(http.getDuration("idle_timeout", 1s, 1s, 1h), 90s);
  EXPECT_EQ(http.getDuration("tick", 1s, 1ms, 1h), 250ms);
  EXPECT_EQ(http.getDuration("grace", 1s, 1ms, 1h), 1500ms);
  EXPECT_EQ(http.getDuration("retention", 1s, 1s, 24h), 2h);
  EXPECT_EQ(http.getDuration("poll", 1s, 1s, 1h), 10min);
  EXPECT_EQ(http.getBytes("max_body", 0, 0, 1LL << 40), 64 * kMiB);
  EXPECT_EQ(http.getBytes("chunk", 0, 0, 1LL << 40), 512 * 1024);
  EXPECT_EQ(http.getBytes("cache", 0, 0, 1LL << 40), 1024 * kMiB);
  EXPECT_EQ(http.getBytes("wire", 0, 0, 1LL << 40), 10'000'000);
  EXPECT_EQ(http.getBytes("raw", 0, 0, 1LL << 40), 4096);
  EXPECT_EQ(http.getStringList("origins", {}),
            (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_EQ(messageOf(http.finish()), "ok");
  EXPECT_EQ(messageOf(file.checkUnknown()), "ok");
}

TEST(ConfigTest, AbsentKeysAndSectionsTakeTheirDefaults) {
  auto file = parseOk("[http]\n");
  auto http = file.section("http");
  EXPECT_EQ(http.getString("listen", "0.0.0.0:80"), "0.0.0.0:80");
  EXPECT_EQ(http.getInt("port", 80, 1, 65535), 80);
  EXPECT_FALSE(http.getBool("tls", false));
  EXPECT_EQ(http.getEnum("mode", "lax", {"lax", "strict"}), "lax");
  EXPECT_EQ(http.getDuration("idle_timeout", 30s, 1s, 1h), 30s);
  EXPECT_EQ(http.getBytes("max_body", kMiB, 0, 1LL << 40), kMiB);
  EXPECT_EQ(http.getStringList("origins", {"x"}), std::vector<std::string>{"x"});
  EXPECT_TRUE(http.finish().ok());

  auto store = file.section("store");  // no [store] at all
  EXPECT_EQ(store.getString("url", "sqlite:bankcc.db"), "sqlite:bankcc.db");
  EXPECT_TRUE(store.finish().ok());

  auto empty = ConfigFile::empty();
  EXPECT_EQ(empty.sourceName(), "(defaults)");
  auto log = empty.section("log");
  EXPECT_EQ(log.getEnum("level", "info", {"info", "debug"}), "info");
  EXPECT_TRUE(log.finish().ok());
  EXPECT_TRUE(empty.checkUnknown().ok());
}

TEST(ConfigTest, SyntaxErrorNamesFileLineAndColumn) {
  auto file = ConfigFile::parse("[http]\nport = 80\nlisten = = 1\n", "bankcc.toml");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, Errc::BadRequest);
  EXPECT_THAT(file.error().message, ::testing::StartsWith("bankcc.toml:3:10: "));
}

TEST(ConfigTest, WrongTypeNamesFileLineColumnAndKey) {
  auto file = parseOk("[http]\nport = \"80\"\ntls = 1\nlisten = 5\n");
  auto http = file.section("http");
  EXPECT_EQ(http.getInt("port", 8080, 1, 65535), 8080);  // the default on error
  EXPECT_TRUE(http.getBool("tls", true));
  EXPECT_EQ(http.getString("listen", "x"), "x");
  auto status = http.finish();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::BadRequest);
  EXPECT_EQ(status.error().message,
            "bankcc.toml:2:8: http.port: must be an integer, got a string\n"
            "bankcc.toml:3:7: http.tls: must be true or false, got an integer\n"
            "bankcc.toml:4:10: http.listen: must be a string, got an integer");
}

TEST(ConfigTest, OutOfRangeShowsTheAllowedRange) {
  auto file = parseOk(
      "[http]\nport = 70000\ntimeout = \"2h\"\nbody = \"2GiB\"\nsmall = 10\n"
      "fine = \"500us\"\n");
  auto http = file.section("http");
  EXPECT_EQ(http.getInt("port", 80, 1, 65535), 80);
  EXPECT_EQ(http.getDuration("timeout", 5s, 1ms, 1min), 5s);
  EXPECT_EQ(http.getBytes("body", kMiB, 1024, 1024 * kMiB), kMiB);
  EXPECT_EQ(http.getBytes("small", 1024, 512, 1024), 1024);
  EXPECT_EQ(messageOf(http.finish()),
            "bankcc.toml:2:8: http.port: must be between 1 and 65535, got 70000\n"
            "bankcc.toml:3:11: http.timeout: must be between 1ms and 1m, got 2h\n"
            "bankcc.toml:4:8: http.body: must be between 1KiB and 1GiB, got 2GiB\n"
            "bankcc.toml:5:9: http.small: must be between 512 and 1KiB, got 10\n"
            "bankcc.toml:6:1: http.fine: unknown key (known keys: body, port, small, "
            "timeout)");
}

TEST(ConfigTest, BadEnumListsTheAllowedValues) {
  auto file = parseOk("[log]\nlevel = \"verbose\"\nformat = 3\n");
  auto log = file.section("log");
  EXPECT_EQ(log.getEnum("level", "info", {"debug", "info", "warn"}), "info");
  EXPECT_EQ(log.getEnum("format", "json", {"json", "text"}), "json");
  EXPECT_EQ(messageOf(log.finish()),
            "bankcc.toml:2:9: log.level: 'verbose' is not one of: debug, info, warn\n"
            "bankcc.toml:3:10: log.format: must be a string, one of: json, text, got an "
            "integer");
}

TEST(ConfigTest, BadDurationsShowTheExpectedForm) {
  auto file = parseOk(
      "[t]\nbare = 30\nfloat = 1.5\nunit = \"5 sec\"\nnone = \"5\"\nword = \"soon\"\n"
      "table = {a = 1}\ntiny = \"0.0001ms\"\nhuge = \"99999999999999999h\"\n");
  auto t = file.section("t");
  for (const char* key : {"bare", "float", "unit", "none", "word", "table", "tiny", "huge"}) {
    EXPECT_EQ(t.getDuration(key, 7s, 0s, 1000h), 7s) << key;
  }
  const std::string form =
      "write a number with a unit ms, s, m or h, e.g. \"250ms\", \"5s\", \"1.5s\", \"10m\", "
      "\"2h\"";
  EXPECT_EQ(messageOf(t.finish()),
            "bankcc.toml:2:8: t.bare: bare number 30 is ambiguous: " + form +
                "\n"
                "bankcc.toml:3:9: t.float: bare number 1.5 is ambiguous: " +
                form +
                "\n"
                "bankcc.toml:4:8: t.unit: '5 sec' has an unknown unit ' sec': " +
                form +
                "\n"
                "bankcc.toml:5:8: t.none: '5' has no unit: " +
                form +
                "\n"
                "bankcc.toml:6:8: t.word: 'soon' is not a duration: " +
                form +
                "\n"
                "bankcc.toml:7:9: t.table: must be a duration string such as \"5s\", got a "
                "table\n"
                "bankcc.toml:8:8: t.tiny: '0.0001ms' is finer than a microsecond: " +
                form +
                "\n"
                "bankcc.toml:9:8: t.huge: '99999999999999999h' is too long a duration");
}

TEST(ConfigTest, DurationFractionsAndZero) {
  auto file = parseOk("[t]\na = \"0.5ms\"\nb = \"0s\"\nc = \"0.25h\"\nd = \"1.000001s\"\n");
  auto t = file.section("t");
  EXPECT_EQ(t.getDuration("a", 1s, 0s, 1h), 500us);
  EXPECT_EQ(t.getDuration("b", 1s, 0s, 1h), 0s);
  EXPECT_EQ(t.getDuration("c", 1s, 0s, 1h), 15min);
  EXPECT_EQ(t.getDuration("d", 1s, 0s, 1h), 1'000'001us);
  EXPECT_TRUE(t.finish().ok());
}

TEST(ConfigTest, BadByteSizes) {
  auto file = parseOk("[b]\nunit = \"64MB/s\"\nfrac = \"1.5GiB\"\nneg = -1\nflag = true\n");
  auto b = file.section("b");
  EXPECT_EQ(b.getBytes("unit", 1, 0, 1LL << 40), 1);
  EXPECT_EQ(b.getBytes("frac", 1, 0, 1LL << 40), 1);
  EXPECT_EQ(b.getBytes("neg", 1, 0, 1LL << 40), 1);
  EXPECT_EQ(b.getBytes("flag", 1, 0, 1LL << 40), 1);
  const std::string message = messageOf(b.finish());
  EXPECT_THAT(message, HasSubstr("bankcc.toml:2:8: b.unit: '64MB/s' has an unknown unit 'MB/s': "
                                 "write an integer or a number with a unit B, KiB, MiB"));
  EXPECT_THAT(message, HasSubstr("bankcc.toml:3:8: b.frac: '1.5GiB' is not a byte size"));
  EXPECT_THAT(message, HasSubstr("bankcc.toml:4:7: b.neg: must be between 0 and 1TiB, got -1"));
  EXPECT_THAT(message,
              HasSubstr("bankcc.toml:5:8: b.flag: must be a byte size such as \"64MiB\" or an "
                        "integer, got a boolean"));
}

TEST(ConfigTest, StringListsCheckEveryElement) {
  auto file = parseOk("[s]\nok = []\nmixed = [\"a\", 2, \"c\", false]\nscalar = \"a\"\n");
  auto s = file.section("s");
  EXPECT_TRUE(s.getStringList("ok", {"default"}).empty());
  EXPECT_EQ(s.getStringList("mixed", {"default"}), std::vector<std::string>{"default"});
  EXPECT_EQ(s.getStringList("scalar", {"default"}), std::vector<std::string>{"default"});
  EXPECT_EQ(messageOf(s.finish()),
            "bankcc.toml:3:15: s.mixed[1]: must be a string, got an integer\n"
            "bankcc.toml:3:23: s.mixed[3]: must be a string, got a boolean\n"
            "bankcc.toml:4:10: s.scalar: must be an array of strings, got a string");
}

TEST(ConfigTest, UnknownKeysListTheKnownOnes) {
  auto file = parseOk("[store]\nurl = \"sqlite:x.db\"\nbusy_timout = \"5s\"\n");
  auto store = file.section("store");
  EXPECT_EQ(store.getString("url", ""), "sqlite:x.db");
  EXPECT_EQ(store.getDuration("busy_timeout", 5s, 1ms, 1min), 5s);
  EXPECT_EQ(messageOf(store.finish()),
            "bankcc.toml:3:1: store.busy_timout: unknown key (known keys: busy_timeout, url)");
  // A module's parse() calls finish() and so may its caller: the report does not change.
  EXPECT_EQ(messageOf(store.finish()),
            "bankcc.toml:3:1: store.busy_timout: unknown key (known keys: busy_timeout, url)");
}

TEST(ConfigTest, UnknownSectionsListTheKnownOnes) {
  auto file = parseOk("title = \"x\"\n[store]\nurl = \"\"\n[stroe]\nurl = \"\"\n[log]\n");
  (void)file.section("store");
  (void)file.section("log");
  (void)file.section("http");  // asked for but absent: known all the same
  EXPECT_EQ(messageOf(file.checkUnknown()),
            "bankcc.toml:1:1: unknown top-level key 'title' (known sections: http, log, store)\n"
            "bankcc.toml:4:2: unknown section 'stroe' (known sections: http, log, store)");
}

TEST(ConfigTest, ASectionThatIsNotATableIsAnError) {
  auto file = parseOk("log = \"debug\"\n");
  auto log = file.section("log");
  EXPECT_EQ(log.getString("level", "info"), "info");
  EXPECT_EQ(messageOf(log.finish()), "bankcc.toml:1:7: log: must be a table, got a string");
  EXPECT_TRUE(file.checkUnknown().ok());
}

TEST(ConfigTest, SeveralErrorsAreReportedTogetherInFileOrder) {
  auto file = parseOk(R"([http]
port = 0
listen = "127.0.0.1:80"
idle = 30
extra = 1
mode = "fast"
)");
  auto http = file.section("http");
  // Read in an order unlike the file's.
  (void)http.getEnum("mode", "safe", {"safe", "strict"});
  (void)http.getDuration("idle", 30s, 1s, 1h);
  (void)http.getInt("port", 80, 1, 65535);
  (void)http.getString("listen", "");
  auto status = http.finish();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "bankcc.toml:2:8: http.port: must be between 1 and 65535, got 0\n"
            "bankcc.toml:4:8: http.idle: bare number 30 is ambiguous: write a number with a "
            "unit ms, s, m or h, e.g. \"250ms\", \"5s\", \"1.5s\", \"10m\", \"2h\"\n"
            "bankcc.toml:5:1: http.extra: unknown key (known keys: idle, listen, mode, port)\n"
            "bankcc.toml:6:8: http.mode: 'fast' is not one of: safe, strict");
}

TEST(ConfigTest, NestedSectionsAndCrossValueErrors) {
  auto file = parseOk("[sip]\nport = 5060\n[sip.tls]\ncert = \"a.pem\"\nkey = \"\"\nbogus = 1\n");
  auto sip = file.section("sip");
  EXPECT_EQ(sip.getInt("port", 0, 1, 65535), 5060);
  auto tls = sip.section("tls");
  EXPECT_EQ(tls.name(), "sip.tls");
  EXPECT_EQ(tls.getString("cert", ""), "a.pem");
  if (tls.getString("key", "").empty()) tls.addError("key", "required when cert is set");
  tls.addError("ca", "absent keys are located at their section");
  EXPECT_TRUE(sip.finish().ok());  // "tls" is known to [sip]
  EXPECT_EQ(messageOf(tls.finish()),
            "bankcc.toml:3:1: sip.tls.ca: absent keys are located at their section\n"
            "bankcc.toml:5:7: sip.tls.key: required when cert is set\n"
            "bankcc.toml:6:1: sip.tls.bogus: unknown key (known keys: cert, key)");

  auto empty = ConfigFile::empty();
  auto absent = empty.section("http");
  absent.addError("port", "clashes with sip.port");
  EXPECT_EQ(messageOf(absent.finish()), "(defaults): http.port: clashes with sip.port");
}

TEST(ConfigTest, LoadsAFileAndNamesItInErrors) {
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "config_test_bankcc.toml";
  {
    std::ofstream out(path);
    out << "[http]\nport = \"x\"\n";
  }
  auto file = ConfigFile::load(path);
  ASSERT_TRUE(file.ok()) << file.error().describe();
  EXPECT_EQ(file->sourceName(), path.string());
  auto http = file->section("http");
  (void)http.getInt("port", 80, 1, 65535);
  EXPECT_EQ(messageOf(http.finish()),
            path.string() + ":2:8: http.port: must be an integer, got a string");
  std::filesystem::remove(path);
}

TEST(ConfigTest, AMissingFileIsAnIoErrorNamingThePath) {
  auto file = ConfigFile::load("/nonexistent/dir/bankcc.toml");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, Errc::Io);
  EXPECT_EQ(file.error().message,
            "cannot read config file '/nonexistent/dir/bankcc.toml': No such file or directory");
}

TEST(ConfigTest, ADirectoryIsAnIoError) {
  auto file = ConfigFile::load(::testing::TempDir());
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, Errc::Io);
  EXPECT_THAT(file.error().message, HasSubstr("cannot read config file"));
}

}  // namespace
}  // namespace bankcc::base

namespace bankcc::base {
namespace {

TEST(ConfigTest, ListsTheKeysOfANestedTable) {
  auto file = ConfigFile::parse(
      "[sip.trunks.carrier-b]\noutbound = \"10.0.0.2:5060\"\n"
      "[sip.trunks.carrier-a]\noutbound = \"10.0.0.1:5060\"\n",
      "bankcc.toml");
  ASSERT_TRUE(file.ok());
  auto sip = file->section("sip");
  auto trunks = sip.section("trunks");
  EXPECT_EQ(trunks.keys(), (std::vector<std::string>{"carrier-a", "carrier-b"}));
  EXPECT_TRUE(file->section("none").keys().empty());
}

}  // namespace
}  // namespace bankcc::base
