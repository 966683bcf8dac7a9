// SPDX-License-Identifier: Apache-2.0
#include "media/recording_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "media/g711.h"

namespace bankcc::media {
namespace {

namespace fs = std::filesystem;

/// A fresh directory, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (fs::path(::testing::TempDir()) / "bkrec-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

RecordingMasterKey keyOf(std::uint8_t seed) {
  RecordingMasterKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed + i * 7);
  return k;
}

constexpr char kId[] = "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887";

RecordingInfo infoOf(const std::string& id = kId) {
  RecordingInfo info;
  info.recordingId = id;
  info.started = base::SysTime(std::chrono::microseconds(1'767'225'600'123'456));
  return info;
}

/// One chunk of `frames` stereo frames: the customer (left) says `left`, the agent `right`.
std::vector<std::uint8_t> chunkOf(std::size_t frames, std::int16_t left, std::int16_t right) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < frames; ++i) {
    out.push_back(linearToAlaw(left));
    out.push_back(linearToAlaw(right));
  }
  return out;
}

std::vector<std::uint8_t> fileBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const fs::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream(p, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

/// Writes `chunks` one-second chunks (chunk i: left = 1000 + i*100, right = -(1000 + i*100)),
/// finished or not. Returns the file size after each chunk (the header's size first).
std::vector<std::size_t> writeFile(const fs::path& p, int chunks, bool finish,
                                   const RecordingMasterKey& key = keyOf(1)) {
  auto w = RecordingFileWriter::create(p, key, infoOf());
  EXPECT_TRUE(w.ok()) << w.error().message;
  std::vector<std::size_t> sizes{static_cast<std::size_t>(fs::file_size(p))};
  for (int i = 0; i < chunks; ++i) {
    const auto v = static_cast<std::int16_t>(1000 + i * 100);
    EXPECT_TRUE((*w)->append(chunkOf(8000, v, static_cast<std::int16_t>(-v))).ok());
    sizes.push_back(static_cast<std::size_t>(fs::file_size(p)));
  }
  if (finish) {
    EXPECT_TRUE((*w)->finish().ok());
  }
  return sizes;
}

TEST(RecordingPathTest, DateComesFromTheUuidV7Timestamp) {
  // 0x0192f0c47c1e ms = 2024-11-03T06:44:21.662Z
  auto p = recordingPath("/rec", kId);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(*p, fs::path("/rec/2024/11/03/0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887.bkrec"));
}

TEST(RecordingPathTest, RefusesAnythingButALowerCaseUuidV7) {
  EXPECT_EQ(recordingPath("/rec", "0192f0c4-7c1e-4a3b-8f2d-3c4b5a697887").error().code,
            base::Errc::BadRequest);  // v4
  EXPECT_FALSE(recordingPath("/rec", "0192F0C4-7C1E-7A3B-8F2D-3C4B5A697887").ok());
  EXPECT_FALSE(recordingPath("/rec", "../../etc/passwd").ok());
  EXPECT_FALSE(recordingPath("/rec", "").ok());
}

TEST(RecordingFileTest, RoundTripKeepsChannelsChunksAndSilence) {
  ScratchDir dir;
  const auto path = dir.path() / "a" / "b" / "r.bkrec";
  auto w = RecordingFileWriter::create(path, keyOf(1), infoOf());
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_TRUE((*w)->append(chunkOf(8000, 1000, -2000)).ok());
  ASSERT_TRUE((*w)->append(chunkOf(8000, 0, 0)).ok());  // on hold: silence both ways
  ASSERT_TRUE((*w)->append(chunkOf(4000, -3000, 500)).ok());
  ASSERT_TRUE((*w)->append({}).ok());  // nothing to write
  EXPECT_EQ((*w)->framesWritten(), 20000u);
  ASSERT_TRUE((*w)->finish().ok());

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(path.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u) << "directories are private";

  auto r = readRecording(path, keyOf(1));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->complete);
  EXPECT_TRUE(r->finalChunk);
  EXPECT_EQ(r->gapFrames, 0u);
  EXPECT_EQ(r->chunks, 4u);  // three with audio, the final one
  EXPECT_EQ(r->info.recordingId, kId);
  EXPECT_EQ(r->info.started, infoOf().started);
  EXPECT_EQ(r->info.sampleRate, 8000);
  EXPECT_EQ(r->info.channels, 2);
  ASSERT_EQ(r->interleaved.size(), 40000u);
  const auto left = alawToLinear(linearToAlaw(1000));
  const auto right = alawToLinear(linearToAlaw(-2000));
  EXPECT_EQ(r->interleaved[0], left);
  EXPECT_EQ(r->interleaved[1], right);
  EXPECT_EQ(r->interleaved[15998], left);
  EXPECT_EQ(r->interleaved[15999], right);
  EXPECT_EQ(r->interleaved[16000], alawToLinear(linearToAlaw(0)));
  EXPECT_EQ(r->interleaved[31999], alawToLinear(linearToAlaw(0)));
  EXPECT_EQ(r->interleaved[32000], alawToLinear(linearToAlaw(-3000)));
  EXPECT_EQ(r->interleaved[32001], alawToLinear(linearToAlaw(500)));
}

TEST(RecordingFileTest, EveryFileHasItsOwnKeySoEqualAudioEncryptsDifferently) {
  ScratchDir dir;
  writeFile(dir.path() / "1.bkrec", 1, true);
  writeFile(dir.path() / "2.bkrec", 1, true);
  EXPECT_NE(fileBytes(dir.path() / "1.bkrec"), fileBytes(dir.path() / "2.bkrec"));
}

TEST(RecordingFileTest, CreateNeverReplacesAFile) {
  ScratchDir dir;
  writeFile(dir.path() / "r.bkrec", 1, true);
  auto again = RecordingFileWriter::create(dir.path() / "r.bkrec", keyOf(1), infoOf());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, base::Errc::Conflict);
}

TEST(RecordingFileTest, CreateFailsWithIoWhenTheDirectoryCannotBeMade) {
  ScratchDir dir;
  writeBytes(dir.path() / "file", {1});
  auto w = RecordingFileWriter::create(dir.path() / "file" / "x" / "r.bkrec", keyOf(1), infoOf());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, base::Errc::Io);
}

TEST(RecordingFileTest, PartialFramesAreRefused) {
  ScratchDir dir;
  auto w = RecordingFileWriter::create(dir.path() / "r.bkrec", keyOf(1), infoOf());
  ASSERT_TRUE(w.ok());
  std::vector<std::uint8_t> odd(3, 0xd5);
  EXPECT_EQ((*w)->append(odd).error().code, base::Errc::BadRequest);
}

TEST(RecordingFileTest, ACrashLosesOnlyTheChunkBeingWritten) {
  ScratchDir dir;
  const auto path = dir.path() / "r.bkrec";
  const auto sizes = writeFile(path, 4, false);  // the writer goes away: a crash
  // Cut in the middle of the fourth chunk's bytes.
  fs::resize_file(path, (sizes[3] + sizes[4]) / 2);
  auto r = readRecording(path, keyOf(1));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->complete);
  EXPECT_FALSE(r->finalChunk);
  EXPECT_EQ(r->chunks, 3u);
  ASSERT_EQ(r->interleaved.size(), 3u * 16000);
  EXPECT_EQ(r->interleaved[2 * 16000], alawToLinear(linearToAlaw(1200)));
  EXPECT_EQ(r->interleaved[2 * 16000 + 1], alawToLinear(linearToAlaw(-1200)));

  // Cut inside the length prefix, and exactly after a chunk: the same three chunks.
  fs::resize_file(path, sizes[3] + 2);
  EXPECT_EQ(readRecording(path, keyOf(1))->chunks, 3u);
  fs::resize_file(path, sizes[3]);
  EXPECT_EQ(readRecording(path, keyOf(1))->chunks, 3u);
  // Only the header: no audio, incomplete, not an error.
  fs::resize_file(path, sizes[0]);
  auto empty = readRecording(path, keyOf(1));
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_FALSE(empty->complete);
  EXPECT_TRUE(empty->interleaved.empty());
}

TEST(RecordingFileTest, AZeroFilledTailReadsAsACrash) {
  ScratchDir dir;
  const auto path = dir.path() / "r.bkrec";
  const auto sizes = writeFile(path, 2, false);
  fs::resize_file(path, sizes[2] + 5000);  // the file grew, its data never arrived
  auto r = readRecording(path, keyOf(1));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->chunks, 2u);
  EXPECT_FALSE(r->complete);
}

TEST(RecordingFileTest, WrongKeyIsCorruptAndSaysTheKeyDoesNotMatch) {
  ScratchDir dir;
  const auto path = dir.path() / "r.bkrec";
  writeFile(path, 2, true);
  auto r = readRecording(path, keyOf(2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::Corrupt);
  EXPECT_NE(r.error().message.find("master key does not match"), std::string::npos)
      << r.error().message;
}

TEST(RecordingFileTest, AnyChangedHeaderByteIsDetected) {
  ScratchDir dir;
  const auto path = dir.path() / "r.bkrec";
  const auto sizes = writeFile(path, 1, true);
  const auto good = fileBytes(path);
  for (std::size_t i = 0; i < sizes[0]; ++i) {
    auto bad = good;
    bad[i] ^= 0x01;
    writeBytes(path, bad);
    auto r = readRecording(path, keyOf(1));
    ASSERT_FALSE(r.ok()) << "byte " << i << " of the header changed unnoticed";
    EXPECT_EQ(r.error().code, base::Errc::Corrupt) << "byte " << i << ": " << r.error().message;
  }
  // The start time (bytes 12..19) in particular: the authenticated copy disagrees.
  auto bad = good;
  bad[13] ^= 0x10;
  writeBytes(path, bad);
  EXPECT_NE(readRecording(path, keyOf(1)).error().message.find("header was changed"),
            std::string::npos);
}

TEST(RecordingFileTest, AFlippedByteInAMiddleChunkIsCorruptWithoutAudio) {
  ScratchDir dir;
  const auto path = dir.path() / "r.bkrec";
  const auto sizes = writeFile(path, 3, true);
  auto bytes = fileBytes(path);
  bytes[(sizes[1] + sizes[2]) / 2] ^= 0x80;  // inside chunk 2's ciphertext
  writeBytes(path, bytes);
  auto r = readRecording(path, keyOf(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::Corrupt);
  EXPECT_NE(r.error().message.find("chunk 2"), std::string::npos) << r.error().message;
}

TEST(RecordingFileTest, AChangedLengthPrefixIsCorrupt) {
  ScratchDir dir;
  const auto path = dir.path() / "r.bkrec";
  const auto sizes = writeFile(path, 3, true);
  auto bytes = fileBytes(path);
  bytes[sizes[1]] ^= 0x01;  // chunk 2's length
  writeBytes(path, bytes);
  auto r = readRecording(path, keyOf(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::Corrupt);
}

TEST(RecordingFileTest, SwappedOrRemovedChunksAreCorrupt) {
  ScratchDir dir;
  const auto path = dir.path() / "r.bkrec";
  const auto sizes = writeFile(path, 3, true);
  const auto good = fileBytes(path);
  auto part = [&](std::size_t from, std::size_t to) {
    return std::vector<std::uint8_t>(good.begin() + static_cast<std::ptrdiff_t>(from),
                                     good.begin() + static_cast<std::ptrdiff_t>(to));
  };
  std::vector<std::uint8_t> swapped = part(0, sizes[1]);
  for (auto& p :
       {part(sizes[2], sizes[3]), part(sizes[1], sizes[2]), part(sizes[3], good.size())}) {
    swapped.insert(swapped.end(), p.begin(), p.end());
  }
  ASSERT_EQ(swapped.size(), good.size());
  writeBytes(path, swapped);
  auto r = readRecording(path, keyOf(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::Corrupt);

  std::vector<std::uint8_t> removed = part(0, sizes[1]);
  const auto rest = part(sizes[2], good.size());
  removed.insert(removed.end(), rest.begin(), rest.end());
  writeBytes(path, removed);
  EXPECT_EQ(readRecording(path, keyOf(1)).error().code, base::Errc::Corrupt);
}

TEST(RecordingFileTest, ChunksFromAnotherFileAreCorrupt) {
  ScratchDir dir;
  const auto a = dir.path() / "a.bkrec";
  const auto b = dir.path() / "b.bkrec";
  const auto sa = writeFile(a, 2, true);
  writeFile(b, 2, true);
  auto spliced = fileBytes(a);
  const auto other = fileBytes(b);
  std::copy(other.begin() + static_cast<std::ptrdiff_t>(sa[0]), other.end(),
            spliced.begin() + static_cast<std::ptrdiff_t>(sa[0]));
  writeBytes(a, spliced);
  EXPECT_EQ(readRecording(a, keyOf(1)).error().code, base::Errc::Corrupt);
}

TEST(RecordingFileTest, DataAfterTheFinalChunkIsCorrupt) {
  ScratchDir dir;
  const auto path = dir.path() / "r.bkrec";
  writeFile(path, 1, true);
  auto bytes = fileBytes(path);
  bytes.push_back(0x42);
  writeBytes(path, bytes);
  EXPECT_EQ(readRecording(path, keyOf(1)).error().code, base::Errc::Corrupt);
}

TEST(RecordingFileTest, ATruncatedHeaderIsCorrupt) {
  ScratchDir dir;
  const auto path = dir.path() / "r.bkrec";
  const auto sizes = writeFile(path, 1, true);
  const auto good = fileBytes(path);
  for (std::size_t cut :
       {std::size_t{0}, std::size_t{3}, std::size_t{15}, sizes[0] / 2, sizes[0] - 1}) {
    writeBytes(path, std::vector<std::uint8_t>(good.begin(),
                                               good.begin() + static_cast<std::ptrdiff_t>(cut)));
    auto r = readRecording(path, keyOf(1));
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_EQ(r.error().code, base::Errc::Corrupt) << "cut at " << cut;
    EXPECT_NE(r.error().message.find("truncated"), std::string::npos) << r.error().message;
  }
}

TEST(RecordingFileTest, NotARecordingAndMissingFile) {
  ScratchDir dir;
  writeBytes(dir.path() / "x", std::vector<std::uint8_t>(200, 'x'));
  EXPECT_EQ(readRecording(dir.path() / "x", keyOf(1)).error().code, base::Errc::Corrupt);
  EXPECT_EQ(readRecording(dir.path() / "none", keyOf(1)).error().code, base::Errc::NotFound);
}

TEST(RecordingFileTest, SkippedFramesBecomeSilenceAndMakeTheFileIncomplete) {
  ScratchDir dir;
  const auto path = dir.path() / "r.bkrec";
  auto w = RecordingFileWriter::create(path, keyOf(1), infoOf());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append(chunkOf(100, 2000, 2000)).ok());
  (*w)->skip(50);
  ASSERT_TRUE((*w)->append(chunkOf(100, 3000, 3000)).ok());
  (*w)->skip(25);  // dropped at the end
  ASSERT_TRUE((*w)->finish().ok());
  auto r = readRecording(path, keyOf(1));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->finalChunk);
  EXPECT_FALSE(r->complete);
  EXPECT_EQ(r->gapFrames, 75u);
  ASSERT_EQ(r->interleaved.size(), 2u * 275);
  EXPECT_EQ(r->interleaved[2 * 99], alawToLinear(linearToAlaw(2000)));
  EXPECT_EQ(r->interleaved[2 * 100], 0);
  EXPECT_EQ(r->interleaved[2 * 149 + 1], 0);
  EXPECT_EQ(r->interleaved[2 * 150], alawToLinear(linearToAlaw(3000)));
  EXPECT_EQ(r->interleaved[2 * 274], 0);
}

}  // namespace
}  // namespace bankcc::media
