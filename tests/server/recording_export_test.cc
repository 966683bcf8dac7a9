// SPDX-License-Identifier: Apache-2.0
// `bankcc recording export` as a process: decrypting a recording into a WAV file, auditing it.

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "base/ids.h"
#include "media/g711.h"
#include "media/recording_file.h"
#include "server/wav_reader.h"
#include "support/process.h"
#include "support/sqlite_util.h"
#include "support/test_env.h"

namespace bankcc {
namespace {

namespace fs = std::filesystem;
using testing::bankccBinary;
using testing::readWav;
using testing::runCommand;
using testing::sqliteCount;
using testing::Wav;

/// A data directory, a master key created by `bankcc admin init-keys` at the path the
/// configuration names, and a way to write recordings under that key.
class ExportFixture {
 public:
  explicit ExportFixture(const std::string& name) : dir_(name) {
    config_ = dir_.path() / "bankcc.toml";
    std::ofstream(config_) << "[server]\ndata_dir = \"" << (dir_.path() / "data").string()
                           << "\"\n[keys]\nmaster_key_file = \""
                           << (dir_.path() / "keys" / "master.key").string()
                           << "\"\n[log]\nformat = \"text\"\nlevel = \"warn\"\n";
    auto [code, out] =
        runCommand({bankccBinary().string(), "admin", "init-keys", "--config", config_.string()});
    EXPECT_EQ(code, 0) << out;
    auto [migrated, migrateOut] =
        runCommand({bankccBinary().string(), "admin", "migrate", "--config", config_.string()});
    EXPECT_EQ(migrated, 0) << migrateOut;
    std::ifstream in(dir_.path() / "keys" / "master.key");
    std::string line;
    std::getline(in, line);
    const std::string hex = line.substr(line.find(' ') + 1);
    EXPECT_EQ(hex.size(), 64u) << line;
    for (std::size_t i = 0; i < key_.size() && 2 * i + 1 < hex.size(); ++i) {
      key_[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    }
  }

  const fs::path& dir() const { return dir_.path(); }
  const fs::path& config() const { return config_; }
  fs::path db() const { return dir_.path() / "data" / "bankcc.db"; }
  const media::RecordingMasterKey& key() const { return key_; }

  /// Writes a recording of `seconds` one-second chunks (second i: customer 1000 + 100 i,
  /// agent -1000 - 100 i); returns its id and the file size after each chunk.
  std::pair<std::string, std::vector<std::uintmax_t>> record(
      int seconds, bool finish, const media::RecordingMasterKey* otherKey = nullptr) {
    base::RealClock clock;
    media::RecordingInfo info;
    info.recordingId = base::newUuidV7(clock);
    info.started = clock.now();
    const auto path = *media::recordingPath(dir_.path() / "data" / "recordings", info.recordingId);
    auto w = media::RecordingFileWriter::create(path, otherKey ? *otherKey : key_, info);
    EXPECT_TRUE(w.ok()) << w.error().message;
    std::vector<std::uintmax_t> sizes{fs::file_size(path)};
    for (int i = 0; i < seconds; ++i) {
      std::vector<std::uint8_t> chunk;
      for (int f = 0; f < 8000; ++f) {
        chunk.push_back(media::linearToAlaw(static_cast<std::int16_t>(1000 + 100 * i)));
        chunk.push_back(media::linearToAlaw(static_cast<std::int16_t>(-1000 - 100 * i)));
      }
      EXPECT_TRUE((*w)->append(chunk).ok());
      sizes.push_back(fs::file_size(path));
    }
    if (finish) {
      EXPECT_TRUE((*w)->finish().ok());
    }
    return {info.recordingId, sizes};
  }

  std::pair<int, std::string> exportTo(const std::string& id, const fs::path& out,
                                       std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{
        bankccBinary().string(), "recording", "export", id, "--out", out.string(), "--config",
        config_.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return runCommand(argv);
  }

  int audits(const std::string& id) {
    return sqliteCount(db(),
                       "SELECT COUNT(*) FROM audit_log WHERE action = "
                       "'recording.exported' AND target_type = 'recording' AND "
                       "target_id = '" +
                           id + "' AND actor LIKE 'cli:%'");
  }

 private:
  testing::TempDir dir_;
  fs::path config_;
  media::RecordingMasterKey key_{};
};

std::int16_t alaw(int v) {
  return media::alawToLinear(media::linearToAlaw(static_cast<std::int16_t>(v)));
}

TEST(RecordingExportTest, WritesAStereoWavAndAnAuditRecord) {
  ExportFixture fx{"rec-export"};
  const auto [id, sizes] = fx.record(2, true);
  const auto out = fx.dir() / "call.wav";
  auto [code, text] = fx.exportTo(id, out);
  ASSERT_EQ(code, 0) << text;
  EXPECT_NE(text.find("2.0 s, complete"), std::string::npos) << text;
  EXPECT_EQ(text.find("warning"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
  EXPECT_EQ(fs::status(out).permissions() & fs::perms::others_all, fs::perms::none);

  const Wav wav = readWav(out);
  EXPECT_EQ(wav.format, 1);
  EXPECT_EQ(wav.channels, 2);
  EXPECT_EQ(wav.rate, 8000);
  EXPECT_EQ(wav.bits, 16);
  ASSERT_EQ(wav.samples.size(), 2u * 16000);
  EXPECT_EQ(wav.samples[0], alaw(1000));   // customer, left
  EXPECT_EQ(wav.samples[1], alaw(-1000));  // agent, right
  EXPECT_EQ(wav.samples[2 * 8000], alaw(1100));
  EXPECT_EQ(wav.samples[2 * 8000 + 1], alaw(-1100));

  EXPECT_EQ(fx.audits(id), 1);
  auto [verified, verifyText] = runCommand(
      {bankccBinary().string(), "admin", "verify-audit", "--config", fx.config().string()});
  EXPECT_EQ(verified, 0) << verifyText;
  EXPECT_NE(verifyText.find("intact"), std::string::npos) << verifyText;

  // Never over an existing file, unless asked to.
  auto [again, againText] = fx.exportTo(id, out);
  EXPECT_EQ(again, 1) << againText;
  EXPECT_NE(againText.find("already exists"), std::string::npos) << againText;
  EXPECT_EQ(fx.audits(id), 1) << "a refused export is not recorded as one";
  auto [forced, forcedText] = fx.exportTo(id, out, {"--force"});
  EXPECT_EQ(forced, 0) << forcedText;
  EXPECT_EQ(fx.audits(id), 2);
  EXPECT_EQ(readWav(out).samples.size(), 2u * 16000);
}

TEST(RecordingExportTest, ACrashedRecordingExportsItsCompleteChunksWithAWarning) {
  ExportFixture fx{"rec-crash"};
  const auto [id, sizes] = fx.record(4, false);
  const auto path = *media::recordingPath(fx.dir() / "data" / "recordings", id);
  fs::resize_file(path, (sizes[3] + sizes[4]) / 2);  // cut inside the fourth chunk
  const auto out = fx.dir() / "crashed.wav";
  auto [code, text] = fx.exportTo(id, out);
  ASSERT_EQ(code, 0) << text;
  EXPECT_NE(text.find("3.0 s, incomplete"), std::string::npos) << text;
  EXPECT_NE(text.find("warning"), std::string::npos) << text;
  const Wav wav = readWav(out);
  ASSERT_EQ(wav.samples.size(), 3u * 16000);
  EXPECT_EQ(wav.samples[2 * 16000], alaw(1200));
  EXPECT_EQ(wav.samples[2 * 16000 + 1], alaw(-1200));
  EXPECT_EQ(fx.audits(id), 1);
}

TEST(RecordingExportTest, BadIdsMissingFilesAndWrongKeysExportNothing) {
  ExportFixture fx{"rec-bad"};
  const auto out = fx.dir() / "x.wav";
  auto [badId, badIdText] = fx.exportTo("not-an-id", out);
  EXPECT_EQ(badId, 2) << badIdText;
  EXPECT_NE(badIdText.find("not a recording id"), std::string::npos) << badIdText;

  base::RealClock clock;
  auto [missing, missingText] = fx.exportTo(base::newUuidV7(clock), out);
  EXPECT_EQ(missing, 1) << missingText;
  EXPECT_NE(missingText.find("no recording"), std::string::npos) << missingText;

  media::RecordingMasterKey other{};
  other.fill(0x5a);
  const auto [id, sizes] = fx.record(1, true, &other);
  auto [wrong, wrongText] = fx.exportTo(id, out);
  EXPECT_EQ(wrong, 1) << wrongText;
  EXPECT_NE(wrongText.find("master key does not match"), std::string::npos) << wrongText;

  const auto [good, goodSizes] = fx.record(2, true);
  const auto path = *media::recordingPath(fx.dir() / "data" / "recordings", good);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>((goodSizes[1] + goodSizes[2]) / 2);
    f.seekg(at);
    const char c = static_cast<char>(f.get());
    f.seekp(at);
    f.put(static_cast<char>(c ^ 0x20));  // inside the second chunk
  }
  auto [corrupt, corruptText] = fx.exportTo(good, out);
  EXPECT_EQ(corrupt, 1) << corruptText;
  EXPECT_NE(corruptText.find("failed authentication"), std::string::npos) << corruptText;

  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
  EXPECT_EQ(fx.audits(id), 0);
  EXPECT_EQ(fx.audits(good), 0);
}

TEST(RecordingExportTest, TheRecordingSectionIsValidated) {
  testing::TempDir dir{"rec-config"};
  const auto cfg = dir.path() / "bankcc.toml";
  std::ofstream(cfg) << "[recording]\nwriter_threads = 0\nplaintext = true\n";
  auto [code, out] = runCommand({bankccBinary().string(), "recording", "export",
                                 "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887", "--out",
                                 (dir.path() / "x.wav").string(), "--config", cfg.string()});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("bankcc.toml:2:"), std::string::npos) << out;
  EXPECT_NE(out.find("recording.writer_threads"), std::string::npos) << out;
  EXPECT_NE(out.find("recording.plaintext: unknown key"), std::string::npos) << out;
}

}  // namespace
}  // namespace bankcc
