// SPDX-License-Identifier: Apache-2.0
// `bankcc admin …` as a process: keys, migrations, backup, seeding.

#include <gtest/gtest.h>

#include <fstream>

#include "support/process.h"
#include "support/sqlite_util.h"
#include "support/test_env.h"

namespace bankcc {
namespace {

using testing::bankccBinary;
using testing::runCommand;
using testing::sqliteCount;
using testing::sqliteExec;

std::string seedPath() {
  return std::string(BANKCC_SOURCE_DIR) + "/config/seed.toml";
}

TEST(AdminTest, InitKeysCreatesOnceAndRefusesToOverwrite) {
  testing::TempDir dir{"keys"};
  const auto key = (dir.path() / "k" / "master.key").string();
  auto [code, out] =
      runCommand({bankccBinary().string(), "admin", "init-keys", "--master-key", key});
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(std::filesystem::exists(key));
  auto [again, out2] =
      runCommand({bankccBinary().string(), "admin", "init-keys", "--master-key", key});
  EXPECT_EQ(again, 1) << out2;
  EXPECT_NE(out2.find("already exists"), std::string::npos) << out2;
}

TEST(AdminTest, MigrateThenRefuseADatabaseFromANewerVersion) {
  testing::TempDir dir{"migrate"};
  const auto data = dir.path().string();
  auto [code, out] = runCommand({bankccBinary().string(), "admin", "migrate", "--data-dir", data});
  ASSERT_EQ(code, 0) << out;
  auto [again, out2] =
      runCommand({bankccBinary().string(), "admin", "migrate", "--data-dir", data});
  ASSERT_EQ(again, 0) << out2;
  ASSERT_TRUE(sqliteExec(dir.path() / "bankcc.db",
                         "INSERT INTO schema_migrations (version, name, applied_at) "
                         "VALUES (9999, 'from_the_future', 0)"));
  auto [newer, out3] =
      runCommand({bankccBinary().string(), "admin", "migrate", "--data-dir", data});
  EXPECT_EQ(newer, 1) << out3;
  EXPECT_NE(out3.find("newer"), std::string::npos) << out3;
}

TEST(AdminTest, BackupWritesAWholeCopyAndNeverOverwrites) {
  testing::TempDir dir{"backup"};
  const auto data = (dir.path() / "data").string();
  auto [seeded, seedOut] = runCommand(
      {bankccBinary().string(), "admin", "seed", "--data-dir", data, "--file", seedPath()});
  ASSERT_EQ(seeded, 0) << seedOut;
  const auto out = dir.path() / "backup.db";
  auto [code, text] = runCommand(
      {bankccBinary().string(), "admin", "backup", "--data-dir", data, "--out", out.string()});
  ASSERT_EQ(code, 0) << text;
  EXPECT_NE(text.find("100%"), std::string::npos) << text;
  EXPECT_EQ(sqliteCount(out, "SELECT COUNT(*) FROM agents"), 20);
  auto [again, text2] = runCommand(
      {bankccBinary().string(), "admin", "backup", "--data-dir", data, "--out", out.string()});
  EXPECT_EQ(again, 1) << text2;
  EXPECT_NE(text2.find("already exists"), std::string::npos) << text2;
}

TEST(AdminTest, SeedLoadsOnceIntoAnEmptyOrganisation) {
  testing::TempDir dir{"seed"};
  const auto data = dir.path().string();
  auto [code, out] = runCommand(
      {bankccBinary().string(), "admin", "seed", "--data-dir", data, "--file", seedPath()});
  ASSERT_EQ(code, 0) << out;
  const auto db = dir.path() / "bankcc.db";
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM agents"), 20);
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM skills"), 5);
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM reason_codes"), 6);
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM wrapup_codes"), 10);
  // Routing: every queue has a number, the agents have extensions 8001..8020, and the queues'
  // steps (a move_to may name a queue listed later) were all loaded.
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM queue_dnis"), 5);
  EXPECT_EQ(sqliteCount(db,
                        "SELECT COUNT(*) FROM agent_extensions WHERE extension BETWEEN "
                        "'8001' AND '8020'"),
            20);
  EXPECT_EQ(sqliteCount(db,
                        "SELECT COUNT(*) FROM queue_overflow_steps s JOIN queues q ON "
                        "q.id = s.queue_id JOIN queues t ON t.id = s.target_queue_id "
                        "WHERE q.code = 'vip' AND s.kind = 'move_to' AND t.code = "
                        "'retail_zh' AND s.after_seconds = 90"),
            1);
  EXPECT_EQ(sqliteCount(db,
                        "SELECT COUNT(*) FROM queues WHERE code = 'vip' AND "
                        "routing_policy = 'most_skilled' AND wrap_up_seconds = 15"),
            1);
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM queue_skills WHERE min_proficiency > 1"), 5);
  // The sample calendar with its holidays and working-day overrides (调休); the demo queues
  // name no calendar, so the demo answers at any hour.
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM calendars WHERE code = 'cn_banking'"), 1);
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM calendar_weekly_hours"), 7);
  EXPECT_EQ(sqliteCount(db,
                        "SELECT COUNT(*) FROM calendar_exceptions WHERE day = '2026-10-01' "
                        "AND note = '国庆节'"),
            1);
  EXPECT_EQ(sqliteCount(db,
                        "SELECT COUNT(*) FROM calendar_exception_hours WHERE day = '2026-10-10' "
                        "AND start_minute = 480 AND end_minute = 1200"),
            1);
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM queues WHERE calendar_id IS NOT NULL"), 0);
  auto [again, out2] = runCommand(
      {bankccBinary().string(), "admin", "seed", "--data-dir", data, "--file", seedPath()});
  EXPECT_EQ(again, 0) << out2;
  EXPECT_NE(out2.find("not empty"), std::string::npos) << out2;
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM agents"), 20);
}

TEST(AdminTest, ABadSeedFileNamesTheEntryAndLoadsNothing) {
  testing::TempDir dir{"badseed"};
  const auto seed = dir.path() / "seed.toml";
  std::ofstream(seed)
      << "[[skills]]\ncode = \"retail\"\nname_zh = \"个人\"\nname_en = \"Retail\"\n\n"
         "[[agents]]\nagent_no = \"1001\"\nname = \"张伟\"\nusername = \"a1001\"\n"
         "team = \"no_such_team\"\nlanguages = [\"zh\"]\nskills = { retail = 5 }\n";
  auto [code, out] = runCommand({bankccBinary().string(), "admin", "seed", "--data-dir",
                                 dir.path().string(), "--file", seed.string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("seed.toml:6:"), std::string::npos) << out;
  EXPECT_NE(out.find("no_such_team"), std::string::npos) << out;
  EXPECT_EQ(sqliteCount(dir.path() / "bankcc.db", "SELECT COUNT(*) FROM skills"), 0)
      << "all or nothing";
}

TEST(AdminTest, ABadQueueInTheSeedNamesTheEntryAndLoadsNothing) {
  testing::TempDir dir{"badqueue"};
  const auto seed = dir.path() / "seed.toml";
  std::ofstream(seed)
      << "[[skills]]\ncode = \"retail\"\nname_zh = \"个人\"\nname_en = \"Retail\"\n\n"
         "[[queues]]\ncode = \"q1\"\nname_zh = \"一\"\nname_en = \"One\"\n"
         "skills = { retail = 2 }\noverflow_steps = [\n"
         "  { after_seconds = 30, kind = \"widen\", min_proficiency = 1 },\n"
         "  { after_seconds = 60, kind = \"move_to\", target = \"nowhere\" },\n]\n";
  auto [code, out] = runCommand({bankccBinary().string(), "admin", "seed", "--data-dir",
                                 dir.path().string(), "--file", seed.string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("seed.toml:6:"), std::string::npos) << out;
  EXPECT_NE(out.find("queues[0] (q1)"), std::string::npos) << out;
  EXPECT_NE(out.find("overflow_steps[1].target: unknown queue 'nowhere'"), std::string::npos)
      << out;
  EXPECT_EQ(sqliteCount(dir.path() / "bankcc.db", "SELECT COUNT(*) FROM queues"), 0)
      << "all or nothing";
}

TEST(AdminTest, ABadServiceLevelVariantInTheSeedNamesTheEntry) {
  testing::TempDir dir{"badvariant"};
  const auto seed = dir.path() / "seed.toml";
  std::ofstream(seed)
      << "[[skills]]\ncode = \"retail\"\nname_zh = \"个人\"\nname_en = \"Retail\"\n\n"
         "[[queues]]\ncode = \"q1\"\nname_zh = \"一\"\nname_en = \"One\"\n"
         "skills = { retail = 2 }\nservice_level_variant = \"abandons_ignored\"\n";
  auto [code, out] = runCommand({bankccBinary().string(), "admin", "seed", "--data-dir",
                                 dir.path().string(), "--file", seed.string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("queues[0] (q1)"), std::string::npos) << out;
  EXPECT_NE(out.find("service_level_variant: must be ignore_abandons"), std::string::npos) << out;
  EXPECT_EQ(sqliteCount(dir.path() / "bankcc.db", "SELECT COUNT(*) FROM queues"), 0);
}

TEST(AdminTest, ABadCalendarInTheSeedNamesTheEntryAndTheField) {
  testing::TempDir dir{"badcalendar"};
  const auto seed = dir.path() / "seed.toml";
  const auto run = [&](const std::string& text) {
    std::ofstream(seed) << text;
    return runCommand({bankccBinary().string(), "admin", "seed", "--data-dir", dir.path().string(),
                       "--file", seed.string()});
  };
  auto [code, out] =
      run("[[calendars]]\ncode = \"c1\"\nname = \"One\"\n"
          "weekly = { monday = [\"08:00-12:00\", \"18:00-09:00\"] }\n");
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("calendars[0] (c1)"), std::string::npos) << out;
  EXPECT_NE(out.find("weekly.monday[1]: '18:00-09:00' ends before it starts"), std::string::npos)
      << out;
  auto [date, dateOut] =
      run("[[calendars]]\ncode = \"c1\"\nname = \"One\"\nweekly = {}\n"
          "exceptions = [{ date = \"2026-02-30\", hours = [] }]\n");
  EXPECT_EQ(date, 1) << dateOut;
  EXPECT_NE(dateOut.find("exceptions[0].date: '2026-02-30' is not a date"), std::string::npos)
      << dateOut;
  auto [day, dayOut] = run("[[calendars]]\ncode = \"c1\"\nname = \"One\"\nweekly = { mon = [] }\n");
  EXPECT_EQ(day, 1) << dayOut;
  EXPECT_NE(dayOut.find("weekly.mon: not a day"), std::string::npos) << dayOut;
  auto [shape, shapeOut] =
      run("[[calendars]]\ncode = \"c1\"\nname = \"One\"\n"
          "weekly = \"08:00-20:00\"\n");
  EXPECT_EQ(shape, 1) << shapeOut;
  EXPECT_NE(shapeOut.find("weekly must be a table"), std::string::npos) << shapeOut;
  auto [holiday, holidayOut] =
      run("[[calendars]]\ncode = \"c1\"\nname = \"One\"\nweekly = {}\n"
          "exceptions = [{ date = 2026-10-01, closed = true }]\n");
  EXPECT_EQ(holiday, 1) << holidayOut;
  EXPECT_NE(holidayOut.find("exceptions[0]: unknown key 'closed'"), std::string::npos)
      << holidayOut;
  auto [queue, queueOut] =
      run("[[skills]]\ncode = \"retail\"\nname_zh = \"个人\"\nname_en = \"Retail\"\n\n"
          "[[queues]]\ncode = \"q1\"\nname_zh = \"一\"\nname_en = \"One\"\n"
          "skills = [\"retail\"]\ncalendar = \"nowhere\"\n");
  EXPECT_EQ(queue, 1) << queueOut;
  EXPECT_NE(queueOut.find("calendar: no calendar 'nowhere'"), std::string::npos) << queueOut;
  EXPECT_EQ(sqliteCount(dir.path() / "bankcc.db", "SELECT COUNT(*) FROM calendars"), 0);
}

TEST(AdminTest, TheExampleConfigurationIsValidAndComplete) {
  testing::TempDir dir{"example"};
  const std::string example = std::string(BANKCC_SOURCE_DIR) + "/config/bankcc.example.toml";
  auto [code, out] = runCommand({bankccBinary().string(), "admin", "migrate", "--config", example,
                                 "--data-dir", dir.path().string()});
  EXPECT_EQ(code, 0) << out;
}

TEST(AdminTest, CheckConfigPrintsEffectiveSettingsWithoutPasswords) {
  testing::TempDir dir{"check"};
  const auto cfg = dir.path() / "bankcc.toml";
  std::ofstream(cfg) << "[store]\nurl = \"postgresql://bank:s3cret@db.example/bankcc\"\n"
                        "[center]\ntime_zone = \"Asia/Hong_Kong\"\n";
  auto [code, out] =
      runCommand({bankccBinary().string(), "admin", "check-config", "--config", cfg.string(),
                  "--data-dir", dir.path().string(), "--http", "0.0.0.0:9090"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("is valid"), std::string::npos) << out;
  EXPECT_NE(out.find("Asia/Hong_Kong"), std::string::npos) << out;
  EXPECT_NE(out.find("0.0.0.0:9090"), std::string::npos) << out;
  EXPECT_NE(out.find("bank:***@db.example"), std::string::npos) << out;
  EXPECT_EQ(out.find("s3cret"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "bankcc.db")) << "touches no database";

  std::ofstream(cfg) << "[center]\ntime_zone = \"Asia/Shangai\"\n";
  auto [bad, badOut] =
      runCommand({bankccBinary().string(), "admin", "check-config", "--config", cfg.string()});
  EXPECT_EQ(bad, 2) << badOut;
  EXPECT_NE(badOut.find("bankcc.toml:2:"), std::string::npos) << badOut;
  EXPECT_NE(badOut.find("center.time_zone"), std::string::npos) << badOut;

  // The persistent line's settings: a caller id with SIP syntax in it, a ring time out of range.
  std::ofstream(cfg) << "[center]\nline_caller_id = \"x@evil;tag=1\"\nline_ring_timeout = \"1s\"\n";
  auto [badLine, badLineOut] =
      runCommand({bankccBinary().string(), "admin", "check-config", "--config", cfg.string()});
  EXPECT_EQ(badLine, 2) << badLineOut;
  EXPECT_NE(badLineOut.find("center.line_caller_id"), std::string::npos) << badLineOut;
  EXPECT_NE(badLineOut.find("center.line_ring_timeout"), std::string::npos) << badLineOut;
}

}  // namespace
}  // namespace bankcc
