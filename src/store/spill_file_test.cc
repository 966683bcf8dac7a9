// SPDX-License-Identifier: Apache-2.0
#include "store/spill_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/event_log_test_support.h"
#include "support/test_env.h"

namespace bankcc::store {
namespace {

namespace fs = std::filesystem;

StoredEvent event(std::uint64_t seq, std::string payload = R"({"reason":"x"})") {
  StoredEvent e;
  e.epoch = 3;
  e.seq = seq;
  e.ts = base::SysTime{base::Duration{1'767'225'600'000'000 + static_cast<std::int64_t>(seq)}};
  e.type = "system.stopping";
  e.callId = seq % 2 ? "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887" : "";
  e.agentId = "工号1001";
  e.payload = std::move(payload);
  e.requestId =
      seq % 3 == 0 ? "0192f0c5-0a1b-7c2d-8e3f-40516273849" + std::to_string(seq % 10) : "";
  return e;
}

/// As event(), as a version 1 file holds it: no request id.
StoredEvent oldEvent(std::uint64_t seq) {
  StoredEvent e = event(seq);
  e.requestId.clear();
  return e;
}

std::vector<StoredEvent> oldEvents(std::uint64_t first, std::uint64_t last) {
  std::vector<StoredEvent> out;
  for (auto s = first; s <= last; ++s) out.push_back(oldEvent(s));
  return out;
}

/// The format version in the header of the file at `p`.
std::uint32_t fileVersion(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  unsigned char b[12] = {};
  f.read(reinterpret_cast<char*>(b), sizeof b);
  return b[8] | (b[9] << 8) | (b[10] << 16) | (static_cast<std::uint32_t>(b[11]) << 24);
}

std::vector<StoredEvent> events(std::uint64_t first, std::uint64_t last) {
  std::vector<StoredEvent> out;
  for (auto s = first; s <= last; ++s) out.push_back(event(s));
  return out;
}

base::Status append(SpillFile& f, const std::vector<StoredEvent>& evs) {
  std::vector<EventRowView> rows;
  for (const auto& e : evs) rows.push_back(EventRowView::of(e));
  return f.append(rows);
}

std::vector<StoredEvent> drain(SpillFile& f, std::size_t chunk = 1000) {
  std::vector<StoredEvent> out;
  while (!f.empty()) {
    auto r = f.peek(chunk);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    if (!r.ok() || r->empty()) break;
    out.insert(out.end(), r->begin(), r->end());
    EXPECT_TRUE(f.consume(r->size()).ok());
  }
  return out;
}

void flipByte(const fs::path& p, std::uint64_t offset) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5A);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

using bankcc::testing::LogCapture;
using bankcc::testing::writeVersionOneSpillFile;

class SpillFileTest : public ::testing::Test {
 protected:
  testing::TempDir dir_{"spill"};
  fs::path path_ = dir_.path() / "spill" / "events.spill";
  base::ManualClock clock_;

  std::unique_ptr<SpillFile> open() {
    auto f = SpillFile::open(path_, clock_);
    EXPECT_TRUE(f.ok()) << f.error().describe();
    return f.ok() ? std::move(*f) : nullptr;
  }
};

TEST(Crc32cTest, MatchesTheStandardCheckValue) {
  const std::string s = "123456789";
  EXPECT_EQ(crc32c(std::as_bytes(std::span(s.data(), s.size()))), 0xE3069283u);
  const auto part = crc32c(std::as_bytes(std::span(s.data(), 4)));
  EXPECT_EQ(crc32c(std::as_bytes(std::span(s.data() + 4, 5)), part), 0xE3069283u);
}

TEST_F(SpillFileTest, AbsentFileIsEmptyAndCreatedOnFirstAppend) {
  auto f = open();
  EXPECT_TRUE(f->empty());
  EXPECT_FALSE(fs::exists(path_));
  ASSERT_TRUE(append(*f, events(1, 3)).ok());
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_EQ(f->pendingRecords(), 3u);
}

TEST_F(SpillFileTest, ReplaysInOrderAndRemovesTheFileWhenConsumed) {
  auto f = open();
  ASSERT_TRUE(append(*f, events(1, 5)).ok());
  ASSERT_TRUE(append(*f, events(6, 7)).ok());
  auto first = f->peek(3);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0], event(1));
  ASSERT_TRUE(f->consume(2).ok());  // only two committed: the third comes again
  EXPECT_EQ(f->pendingRecords(), 5u);
  auto rest = drain(*f);
  ASSERT_EQ(rest.size(), 5u);
  EXPECT_EQ(rest.front(), event(3));
  EXPECT_EQ(rest.back(), event(7));
  EXPECT_FALSE(fs::exists(path_));
  // And it starts over cleanly.
  ASSERT_TRUE(append(*f, events(8, 8)).ok());
  EXPECT_EQ(drain(*f), events(8, 8));
}

TEST_F(SpillFileTest, SurvivesReopenIncludingLargeBatchesAcrossReadChunks) {
  std::vector<StoredEvent> big;
  for (std::uint64_t s = 1; s <= 5000; ++s) big.push_back(event(s, std::string(400, 'x')));
  {
    auto f = open();
    ASSERT_TRUE(append(*f, big).ok());
  }
  auto f = open();
  EXPECT_EQ(f->pendingRecords(), 5000u);
  EXPECT_EQ(drain(*f, 4096), big);
}

TEST_F(SpillFileTest, RequestIdsRoundTripAndAbsentOnesStayEmpty) {
  {
    auto f = open();
    ASSERT_TRUE(append(*f, events(1, 6)).ok());
  }
  EXPECT_EQ(fileVersion(path_), 2u);
  auto f = open();
  const auto back = drain(*f);
  ASSERT_EQ(back, events(1, 6));
  EXPECT_EQ(back[2].requestId, "0192f0c5-0a1b-7c2d-8e3f-405162738493");
  EXPECT_EQ(back[0].requestId, "");
}

TEST_F(SpillFileTest, VersionOneFileFromBeforeRequestIdsStillReplays) {
  writeVersionOneSpillFile(path_, events(1, 4));  // request ids are not written
  LogCapture log;
  auto f = open();
  EXPECT_EQ(f->pendingRecords(), 4u);
  EXPECT_EQ(f->damage().corruptions, 0u);
  EXPECT_EQ(f->damage().tornTails, 0u);
  EXPECT_EQ(drain(*f), oldEvents(1, 4));
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_EQ(log.text().find("[error]"), std::string::npos) << log.text();
}

TEST_F(SpillFileTest, TornTailOfAVersionOneFileIsTruncatedAsBefore) {
  writeVersionOneSpillFile(path_, events(1, 3));
  fs::resize_file(path_, fs::file_size(path_) - 4);
  auto f = open();
  EXPECT_EQ(f->damage().tornTails, 1u);
  EXPECT_EQ(drain(*f), oldEvents(1, 2));
}

TEST_F(SpillFileTest, AppendingToAVersionOneFileUpgradesItAndKeepsTheOldRecords) {
  writeVersionOneSpillFile(path_, events(1, 2));
  LogCapture log;
  {
    auto f = open();
    EXPECT_EQ(f->pendingRecords(), 2u);
    // The database is still down: this run spills behind the records of the older one.
    ASSERT_TRUE(append(*f, events(3, 4)).ok());
    EXPECT_EQ(fileVersion(path_), 2u);
    ASSERT_TRUE(append(*f, events(5, 6)).ok());
  }
  EXPECT_NE(log.text().find("upgraded from format version 1 to 2"), std::string::npos)
      << log.text();
  auto f = open();
  EXPECT_EQ(f->damage().corruptions, 0u);
  auto expected = oldEvents(1, 2);
  for (const auto& e : events(3, 6)) expected.push_back(e);
  const auto back = drain(*f);
  EXPECT_EQ(back, expected);
  ASSERT_EQ(back.size(), 6u);
  EXPECT_FALSE(back[2].requestId.empty()) << "seq 3 kept its request id";
}

TEST_F(SpillFileTest, UpgradedHeaderWithoutNewRecordsStillReads) {
  // A crash after the header was rewritten and before the records went out.
  writeVersionOneSpillFile(path_, events(1, 3), 2);
  auto f = open();
  EXPECT_EQ(f->damage().corruptions, 0u);
  EXPECT_EQ(drain(*f), oldEvents(1, 3));
}

TEST_F(SpillFileTest, SixStringRecordInAVersionOneFileIsCorruption) {
  writeVersionOneSpillFile(path_, events(1, 1));
  const auto secondAt = fs::file_size(path_);
  {
    const fs::path other = dir_.path() / "other.spill";
    writeVersionOneSpillFile(other, events(2, 2), 1, true);  // a record no writer made
    std::ifstream in(other, std::ios::binary);
    in.seekg(16);
    std::ofstream(path_, std::ios::binary | std::ios::app) << in.rdbuf();
  }
  auto f = open();
  EXPECT_EQ(f->damage().corruptions, 1u);
  EXPECT_EQ(f->damage().lastCorruptOffset, secondAt);
  EXPECT_EQ(drain(*f), oldEvents(1, 1));
}

TEST_F(SpillFileTest, FileOfAnUnknownVersionIsSetAsideWhole) {
  writeVersionOneSpillFile(path_, events(1, 2), 3, true);
  LogCapture log;
  auto f = open();
  EXPECT_TRUE(f->empty());
  EXPECT_EQ(f->damage().corruptions, 1u);
  EXPECT_EQ(f->damage().lastCorruptOffset, 0u);
  EXPECT_TRUE(fs::exists(f->damage().lastCorruptCopy));
  EXPECT_NE(log.text().find("unknown spill file format version 3"), std::string::npos)
      << log.text();
  ASSERT_TRUE(append(*f, events(1, 1)).ok());  // a fresh file of the current version
  EXPECT_EQ(fileVersion(path_), 2u);
  EXPECT_EQ(drain(*f), events(1, 1));
}

TEST_F(SpillFileTest, TruncatesATornTailWithAWarning) {
  {
    auto f = open();
    ASSERT_TRUE(append(*f, events(1, 3)).ok());
  }
  const auto size = fs::file_size(path_);
  fs::resize_file(path_, size - 5);  // the last record cut short, as by a crash mid-write
  LogCapture log;
  auto f = open();
  EXPECT_EQ(f->pendingRecords(), 2u);
  EXPECT_EQ(f->damage().tornTails, 1u);
  EXPECT_EQ(f->damage().corruptions, 0u);
  EXPECT_NE(log.text().find("cut short"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("[warning]"), std::string::npos) << log.text();
  EXPECT_EQ(drain(*f), events(1, 2));
}

TEST_F(SpillFileTest, TornRecordHeaderAndTornFileHeader) {
  {
    auto f = open();
    ASSERT_TRUE(append(*f, events(1, 1)).ok());
  }
  const auto oneRecord = fs::file_size(path_);
  {
    auto f = open();
    ASSERT_TRUE(append(*f, events(2, 2)).ok());
  }
  fs::resize_file(path_, oneRecord + 7);  // only 7 bytes of the second record's header
  {
    auto f = open();
    EXPECT_EQ(f->pendingRecords(), 1u);
    EXPECT_EQ(f->damage().tornTails, 1u);
  }
  fs::resize_file(path_, 10);  // not even the file header
  auto f = open();
  EXPECT_TRUE(f->empty());
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(SpillFileTest, CorruptedRecordInTheMiddleIsSetAsideAndTheValidPrefixReplayed) {
  std::uint64_t thirdRecordAt = 0;
  {
    auto f = open();
    ASSERT_TRUE(append(*f, events(1, 2)).ok());
    thirdRecordAt = fs::file_size(path_);
    ASSERT_TRUE(append(*f, events(3, 5)).ok());
  }
  const auto size = fs::file_size(path_);
  flipByte(path_, thirdRecordAt + 30);  // inside the body of record 3
  LogCapture log;
  auto f = open();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->pendingRecords(), 2u);
  EXPECT_EQ(f->damage().corruptions, 1u);
  EXPECT_EQ(f->damage().lastCorruptOffset, thirdRecordAt);
  const fs::path aside = f->damage().lastCorruptCopy;
  ASSERT_FALSE(aside.empty());
  EXPECT_TRUE(fs::exists(aside));
  EXPECT_EQ(fs::file_size(aside), size);  // the whole original, for whoever investigates
  EXPECT_EQ(aside.filename().string(), "events.spill.corrupt-20260101T000000Z");
  const std::string text = log.text();
  EXPECT_NE(text.find("[error]"), std::string::npos) << text;
  EXPECT_NE(text.find(path_.string()), std::string::npos) << text;
  EXPECT_NE(text.find("at byte " + std::to_string(thirdRecordAt)), std::string::npos) << text;
  EXPECT_NE(text.find("checksum"), std::string::npos) << text;
  EXPECT_EQ(drain(*f), events(1, 2));
  // New spills go to a fresh file; the copy stays.
  ASSERT_TRUE(append(*f, events(6, 6)).ok());
  EXPECT_EQ(drain(*f), events(6, 6));
  EXPECT_TRUE(fs::exists(aside));
}

TEST_F(SpillFileTest, DamagedLengthIsCorruptionNotATornTail) {
  std::uint64_t secondAt = 0;
  {
    auto f = open();
    ASSERT_TRUE(append(*f, events(1, 1)).ok());
    secondAt = fs::file_size(path_);
    ASSERT_TRUE(append(*f, events(2, 4)).ok());
  }
  flipByte(path_, secondAt + 2);  // the length field: would point past the end
  auto f = open();
  EXPECT_EQ(f->damage().corruptions, 1u);
  EXPECT_EQ(f->damage().tornTails, 0u);
  EXPECT_EQ(drain(*f), events(1, 1));
}

TEST_F(SpillFileTest, ForeignFileIsSetAsideWhole) {
  fs::create_directories(path_.parent_path());
  std::ofstream(path_) << "this is not a spill file, but it is long enough to have a header";
  auto f = open();
  EXPECT_TRUE(f->empty());
  EXPECT_EQ(f->damage().corruptions, 1u);
  EXPECT_EQ(f->damage().lastCorruptOffset, 0u);
  EXPECT_TRUE(fs::exists(f->damage().lastCorruptCopy));
  ASSERT_TRUE(append(*f, events(1, 1)).ok());
  EXPECT_EQ(drain(*f), events(1, 1));
}

TEST_F(SpillFileTest, CorruptionFoundDuringReplayIsHandledTheSameWay) {
  auto f = open();
  ASSERT_TRUE(append(*f, events(1, 1)).ok());
  const auto secondAt = fs::file_size(path_);
  ASSERT_TRUE(append(*f, events(2, 3)).ok());
  flipByte(path_, secondAt + 40);
  LogCapture log;
  auto r = f->peek(10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, events(1, 1));
  EXPECT_EQ(f->damage().corruptions, 1u);
  EXPECT_NE(log.text().find("at byte " + std::to_string(secondAt)), std::string::npos);
  ASSERT_TRUE(f->consume(1).ok());
  EXPECT_TRUE(f->empty());
}

TEST_F(SpillFileTest, FullDiskIsAClearErrorAndWritesNothing) {
  auto f = SpillFile::open("/dev/full", clock_);
  ASSERT_TRUE(f.ok()) << f.error().describe();
  auto st = append(**f, events(1, 10));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, base::Errc::Io);
  EXPECT_NE(st.error().message.find("/dev/full"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("No space left on device"), std::string::npos)
      << st.error().message;
  EXPECT_TRUE((*f)->empty());
}

TEST_F(SpillFileTest, DeviceThatSwallowsWritesIsRefused) {
  auto f = SpillFile::open("/dev/null", clock_);
  ASSERT_TRUE(f.ok());
  auto st = append(**f, events(1, 1));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("not a regular file"), std::string::npos);
  EXPECT_TRUE((*f)->empty());
}

TEST_F(SpillFileTest, DirectoryThatCannotBeCreatedIsAnErrorAtOpen) {
  std::ofstream(dir_.path() / "blocker") << "a file where a directory should be";
  const fs::path path = dir_.path() / "blocker" / "spill" / "events.spill";
  auto f = SpillFile::open(path, clock_);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, base::Errc::Io);
  EXPECT_NE(f.error().message.find(path.string()), std::string::npos) << f.error().message;
}

TEST_F(SpillFileTest, UnreadableSpillPathIsAnError) {
  fs::create_directories(path_);  // a directory where the file should be
  auto f = SpillFile::open(path_, clock_);
  ASSERT_TRUE(f.ok());                  // nothing to replay from a directory...
  auto st = append(**f, events(1, 1));  // ...and it cannot be written
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, base::Errc::Io);
  EXPECT_NE(st.error().message.find(path_.string()), std::string::npos);
}

}  // namespace
}  // namespace bankcc::store
