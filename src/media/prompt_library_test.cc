// SPDX-License-Identifier: Apache-2.0
#include "media/prompt_library.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/log.h"
#include "media/audio_file.h"

namespace bankcc::media {
namespace {

class PromptLibraryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bankcc_prompt_library_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    previous_ = spdlog::default_logger();
    base::initLogging(base::LogConfig{.level = "info", .format = "text"},
                      std::make_shared<spdlog::sinks::ostream_sink_mt>(log_));
  }
  void TearDown() override {
    spdlog::set_default_logger(previous_);
    std::filesystem::remove_all(dir_);
  }

  void write(const std::string& file, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(dir_ / file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  void writeWav(const std::string& file, std::size_t samples, int rate) {
    write(file, encodeWavPcm16(std::vector<std::int16_t>(samples, 100), 1, rate));
  }

  std::filesystem::path dir_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(PromptLibraryTest, AddAndFind) {
  PromptLibrary lib;
  EXPECT_EQ(lib.find("welcome"), nullptr);
  lib.add("welcome", {1, 2, 3});
  auto p = lib.find("welcome");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "welcome");
  EXPECT_EQ(p->samples, (std::vector<std::int16_t>{1, 2, 3}));
}

TEST_F(PromptLibraryTest, ReplacingKeepsThePromptAWorkerHolds) {
  PromptLibrary lib;
  lib.add("menu", {1});
  PromptPtr playing = lib.find("menu");
  lib.add("menu", {2, 2});
  EXPECT_EQ(playing->samples, (std::vector<std::int16_t>{1}));  // still valid, unchanged
  EXPECT_EQ(lib.find("menu")->samples.size(), 2u);
}

TEST_F(PromptLibraryTest, LoadResamplesToEightKilohertz) {
  writeWav("hello.wav", 16000, 16000);
  PromptLibrary lib;
  ASSERT_TRUE(lib.load("hello", dir_ / "hello.wav").ok());
  EXPECT_EQ(lib.find("hello")->samples.size(), 8000u);
}

TEST_F(PromptLibraryTest, FailedLoadKeepsThePreviousPrompt) {
  PromptLibrary lib;
  lib.add("menu", {5, 5});
  write("broken.wav", {'n', 'o', 'p', 'e'});
  auto s = lib.load("menu", dir_ / "broken.wav");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, base::Errc::BadRequest);
  EXPECT_NE(s.error().message.find("broken.wav"), std::string::npos);
  EXPECT_EQ(lib.find("menu")->samples, (std::vector<std::int16_t>{5, 5}));
  auto missing = lib.load("menu", dir_ / "absent.wav");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, base::Errc::Io);
  EXPECT_EQ(lib.find("menu")->samples.size(), 2u);
}

TEST_F(PromptLibraryTest, LoadDirectoryLoadsGoodFilesAndLogsBadOnes) {
  writeWav("welcome.wav", 800, 8000);
  writeWav("goodbye.WAV", 1600, 16000);
  write("broken.wav", {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E'});
  write("notes.txt", {'h', 'i'});
  std::filesystem::create_directories(dir_ / "sub.wav");  // a directory, not a prompt
  PromptLibrary lib;
  EXPECT_EQ(lib.loadDirectory(dir_), 2u);
  ASSERT_NE(lib.find("welcome"), nullptr);
  EXPECT_EQ(lib.find("welcome")->samples.size(), 800u);
  ASSERT_NE(lib.find("goodbye"), nullptr);
  EXPECT_EQ(lib.find("goodbye")->samples.size(), 800u);
  EXPECT_EQ(lib.find("broken"), nullptr);
  EXPECT_EQ(lib.find("notes"), nullptr);
  EXPECT_EQ(lib.find("sub"), nullptr);
  const std::string log = log_.str();
  EXPECT_NE(log.find("broken"), std::string::npos) << log;
  EXPECT_NE(log.find("no 'fmt ' chunk"), std::string::npos) << log;
}

TEST_F(PromptLibraryTest, MissingDirectoryIsLoggedNotThrown) {
  PromptLibrary lib;
  EXPECT_EQ(lib.loadDirectory(dir_ / "nope"), 0u);
  EXPECT_NE(log_.str().find("nope"), std::string::npos);
}

TEST_F(PromptLibraryTest, ConcurrentFindAndReplace) {
  PromptLibrary lib;
  lib.add("p", std::vector<std::int16_t>(160, 1));
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      auto p = lib.find("p");
      ASSERT_NE(p, nullptr);
      ASSERT_EQ(p->samples.size(), 160u);
      const auto first = p->samples.front();
      for (auto x : p->samples) ASSERT_EQ(x, first);
    }
  });
  for (int i = 0; i < 2000; ++i) {
    lib.add("p", std::vector<std::int16_t>(160, static_cast<std::int16_t>(i)));
  }
  stop = true;
  reader.join();
}

}  // namespace
}  // namespace bankcc::media
