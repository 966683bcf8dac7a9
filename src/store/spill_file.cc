// SPDX-License-Identifier: Apache-2.0
#include "store/spill_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace bankcc::store {
namespace {

constexpr std::array<char, 8> kMagic = {'B', 'A', 'N', 'K', 'C', 'C', 'S', 'P'};
/// The format append() writes (see spill_file.h): six strings per record.
constexpr std::uint32_t kVersion = 2;
/// The oldest format still read: five strings per record, no request_id.
constexpr std::uint32_t kVersionWithoutRequestId = 1;
constexpr std::size_t kStringsWithoutRequestId = 5;
constexpr std::size_t kStrings = 6;
constexpr std::size_t kFileHeaderSize = 16;
constexpr std::size_t kRecordHeaderSize = 12;
/// No event comes near this; a larger length is damage, not data.
constexpr std::uint32_t kMaxBodySize = 16u << 20;
constexpr std::size_t kReadChunk = 1u << 20;
constexpr auto kSyncInterval = std::chrono::seconds(1);

constexpr std::array<std::uint32_t, 256> makeCrcTable() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = makeCrcTable();

void putU32(std::vector<std::byte>& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::byte>(v >> (8 * i)));
}
void putU64(std::vector<std::byte>& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::byte>(v >> (8 * i)));
}
void putStr(std::vector<std::byte>& b, std::string_view s) {
  putU32(b, static_cast<std::uint32_t>(s.size()));
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  b.insert(b.end(), p, p + s.size());
}
void setU32(std::byte* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}
std::uint32_t getU32(const std::byte* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint32_t>(p[i]);
  return v;
}
std::uint64_t getU64(const std::byte* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
  return v;
}

std::array<std::byte, kFileHeaderSize> fileHeader(std::uint32_t version = kVersion) {
  std::array<std::byte, kFileHeaderSize> h{};
  std::memcpy(h.data(), kMagic.data(), kMagic.size());
  setU32(h.data() + 8, version);
  setU32(h.data() + 12, crc32c(std::span(h.data(), 12)));
  return h;
}

/// The version in a file header; 0 when the magic or the checksum is wrong.
std::uint32_t headerVersion(const std::byte* h) {
  if (std::memcmp(h, kMagic.data(), kMagic.size()) != 0) return 0;
  if (crc32c(std::span(h, 12)) != getU32(h + 12)) return 0;
  return getU32(h + 8);
}

/// Decodes a record body of a file of `version`; `out` may be null (check only). False when
/// the body is malformed. Version 1 bodies hold five strings; version 2 bodies six, or five
/// for the records of a version 1 file that was upgraded (spill_file.h).
bool decodeBody(const std::byte* p, std::size_t n, std::uint32_t version, StoredEvent* out) {
  if (n < 24) return false;
  const std::uint64_t epoch = getU64(p);
  const std::uint64_t seq = getU64(p + 8);
  const auto ts = static_cast<std::int64_t>(getU64(p + 16));
  std::size_t pos = 24;
  std::array<std::string_view, kStrings> strs{};
  const std::size_t most =
      version == kVersionWithoutRequestId ? kStringsWithoutRequestId : kStrings;
  for (std::size_t i = 0; i < most; ++i) {
    if (i == kStringsWithoutRequestId && pos == n) break;  // written without a request id
    if (n - pos < 4) return false;
    const std::uint32_t len = getU32(p + pos);
    pos += 4;
    if (n - pos < len) return false;
    strs[i] = {reinterpret_cast<const char*>(p + pos), len};
    pos += len;
  }
  if (pos != n || seq == 0) return false;
  if (out) {
    out->epoch = epoch;
    out->seq = seq;
    out->ts = base::SysTime{base::Duration{ts}};
    out->type.assign(strs[0]);
    out->callId.assign(strs[1]);
    out->agentId.assign(strs[2]);
    out->queueId.assign(strs[3]);
    out->payload.assign(strs[4]);
    out->requestId.assign(strs[5]);
  }
  return true;
}

/// Sequential reads through a buffer, for scanning and replaying.
class ChunkReader {
 public:
  ChunkReader(int fd, std::uint64_t start, std::uint64_t end) : fd_(fd), pos_(start), end_(end) {}

  /// The next `n` bytes without consuming them; null when fewer remain before the end (or the
  /// file is shorter than expected: short() says so; readErrno() when read failed).
  const std::byte* get(std::size_t n) {
    if (end_ - pos_ < n) return nullptr;
    if (pos_ >= bufStart_ && pos_ + n <= bufStart_ + bufLen_)
      return buf_.data() + (pos_ - bufStart_);
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(std::max(n, kReadChunk), end_ - pos_));
    buf_.resize(want);
    bufStart_ = pos_;
    bufLen_ = 0;
    while (bufLen_ < want) {
      const ssize_t r = ::pread(fd_, buf_.data() + bufLen_, want - bufLen_,
                                static_cast<off_t>(bufStart_ + bufLen_));
      if (r < 0) {
        if (errno == EINTR) continue;
        readErrno_ = errno;
        return nullptr;
      }
      if (r == 0) break;
      bufLen_ += static_cast<std::size_t>(r);
    }
    if (bufLen_ < n) {
      short_ = true;
      return nullptr;
    }
    return buf_.data();
  }
  void advance(std::size_t n) { pos_ += n; }
  std::uint64_t position() const { return pos_; }
  std::uint64_t remaining() const { return end_ - pos_; }
  int readErrno() const { return readErrno_; }
  bool isShort() const { return short_; }

 private:
  int fd_;
  std::uint64_t pos_;
  std::uint64_t end_;
  std::vector<std::byte> buf_;
  std::uint64_t bufStart_ = 0;
  std::size_t bufLen_ = 0;
  int readErrno_ = 0;
  bool short_ = false;
};

enum class Next { Record, End, Torn, Corrupt, ReadError };

/// Reads the record at the reader's position in a file of `version` into `out` (may be null);
/// on Record the reader has moved past it. `why` explains Corrupt.
Next readRecord(ChunkReader& r, std::uint32_t version, StoredEvent* out, std::string& why) {
  if (r.remaining() == 0) return Next::End;
  const std::byte* h = r.get(kRecordHeaderSize);
  if (!h) return r.readErrno() ? Next::ReadError : Next::Torn;
  if (crc32c(std::span(h, 8)) != getU32(h + 8)) {
    why = "record header checksum mismatch";
    return Next::Corrupt;
  }
  const std::uint32_t len = getU32(h);
  const std::uint32_t bodyCrc = getU32(h + 4);
  if (len > kMaxBodySize) {
    why = "record length " + std::to_string(len) + " exceeds the limit";
    return Next::Corrupt;
  }
  const std::byte* rec = r.get(kRecordHeaderSize + len);
  if (!rec) return r.readErrno() ? Next::ReadError : Next::Torn;
  const std::byte* body = rec + kRecordHeaderSize;
  if (crc32c(std::span(body, len)) != bodyCrc) {
    why = "record checksum mismatch";
    return Next::Corrupt;
  }
  if (!decodeBody(body, len, version, out)) {
    why = "record body malformed";
    return Next::Corrupt;
  }
  r.advance(kRecordHeaderSize + len);
  return Next::Record;
}

std::string utcStamp(const base::Clock& clock) {
  const std::time_t t = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(clock.now()));
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::int64_t steadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc) {
  std::uint32_t c = ~crc;
  for (std::byte b : data) c = kCrcTable[(c ^ std::to_integer<std::uint32_t>(b)) & 0xFF] ^ (c >> 8);
  return ~c;
}

SpillFile::SpillFile(std::filesystem::path path, const base::Clock& clock)
    : path_(std::move(path)), clock_(clock) {}

SpillFile::~SpillFile() {
  closeFile();
}

base::Error SpillFile::ioError(const std::string& what, int errnum) const {
  return base::err(base::Errc::Io,
                   what + " spill file " + path_.string() + ": " + std::strerror(errnum));
}

base::Result<std::unique_ptr<SpillFile>> SpillFile::open(std::filesystem::path path,
                                                         const base::Clock& clock) {
  std::unique_ptr<SpillFile> f(new SpillFile(std::move(path), clock));
  BANKCC_TRY(f->scan());
  return f;
}

base::Status SpillFile::scan() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno != ENOENT) return ioError("cannot inspect", errno);
    // Nothing spilled. Make sure the directory can exist now rather than find out during an
    // outage; the file itself is created by the first append().
    std::error_code ec;
    if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path(), ec);
    if (ec) {
      return base::err(base::Errc::Io, "cannot create the directory of spill file " +
                                           path_.string() + ": " + ec.message());
    }
    return {};
  }
  if (!S_ISREG(st.st_mode)) {
    regular_ = false;
    spdlog::warn("event log: spill path {} is not a regular file; nothing to replay from it",
                 path_.string());
    return {};
  }
  BANKCC_TRY(ensureOpen());
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size == 0) return removeFile();
  ChunkReader r(fd_, 0, size);
  const std::byte* h = r.get(kFileHeaderSize);
  if (!h) {
    if (r.readErrno()) return ioError("cannot read", r.readErrno());
    spdlog::warn(
        "event log: spill file {} holds only a partial header ({} bytes, a crash "
        "while it was created); removing it",
        path_.string(), size);
    ++damage_.tornTails;
    return removeFile();
  }
  const std::uint32_t version = headerVersion(h);
  if (version == 0) {
    setAside(0, "not a bankcc spill file (bad header)");
    return {};
  }
  if (version < kVersionWithoutRequestId || version > kVersion) {
    setAside(0, "unknown spill file format version " + std::to_string(version) +
                    " (written by a newer bankcc?)");
    return {};
  }
  version_ = version;
  r.advance(kFileHeaderSize);
  std::uint64_t records = 0;
  std::string why;
  for (;;) {
    const std::uint64_t at = r.position();
    const Next n = readRecord(r, version_, nullptr, why);
    if (n == Next::Record) {
      ++records;
      continue;
    }
    if (n == Next::End) break;
    if (n == Next::ReadError) return ioError("cannot read", r.readErrno());
    if (n == Next::Torn) {
      spdlog::warn(
          "event log: spill file {}: record at byte {} is cut short (a crash during a "
          "write); truncating {} bytes, {} records before it will be replayed",
          path_.string(), at, size - at, records);
      ++damage_.tornTails;
      BANKCC_TRY(truncateTo(at));
      break;
    }
    // Corrupt: keep the valid records before it.
    readOffset_ = kFileHeaderSize;
    writeOffset_ = size;
    pending_ = records;
    setAside(at, why);
    return {};
  }
  readOffset_ = kFileHeaderSize;
  writeOffset_ = std::max<std::uint64_t>(r.position(), kFileHeaderSize);
  pending_ = records;
  if (records == 0) {
    BANKCC_TRY(removeFile());
  } else {
    spdlog::info("event log: spill file {} holds {} events to replay", path_.string(), records);
  }
  return {};
}

void SpillFile::setAside(std::uint64_t offset, const std::string& reason) {
  ++damage_.corruptions;
  damage_.lastCorruptOffset = offset;
  std::filesystem::path aside = path_;
  aside += ".corrupt-" + utcStamp(clock_);
  for (int i = 1; std::filesystem::exists(aside); ++i) {
    aside = path_;
    aside += ".corrupt-" + utcStamp(clock_) + "-" + std::to_string(i);
  }
  std::error_code ec;
  std::filesystem::copy_file(path_, aside, ec);
  if (!ec) {
    damage_.lastCorruptCopy = aside;
    spdlog::error(
        "event log: spill file {} is corrupted at byte {} ({}); copied to {}; the {} "
        "valid records before byte {} will be replayed, the rest is not",
        path_.string(), offset, reason, aside.string(), pending_, offset);
    if (offset < kFileHeaderSize) offset = 0;
    auto cut = truncateTo(offset);
    if (cut.ok()) return;
    ec = std::make_error_code(std::errc::io_error);
    spdlog::error("event log: {}", cut.error().message);
  }
  // Could not keep a copy (or cut the file): move the whole file aside and replay none of it,
  // rather than lose the evidence.
  closeFile();
  std::error_code ec2;
  std::filesystem::rename(path_, aside, ec2);
  damage_.lastCorruptCopy = aside;
  spdlog::error(
      "event log: spill file {} is corrupted at byte {} ({}); could not copy or cut it ({}); "
      "moved it to {} ({}); its {} records are NOT replayed",
      path_.string(), offset, reason, ec.message(), aside.string(), ec2 ? ec2.message() : "ok",
      pending_);
  pending_ = 0;
  readOffset_ = writeOffset_ = 0;
}

base::Status SpillFile::ensureOpen() {
  if (fd_ >= 0) return {};
  if (regular_) {
    std::error_code ec;
    if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path(), ec);
    if (ec) {
      return base::err(base::Errc::Io, "cannot create the directory of spill file " +
                                           path_.string() + ": " + ec.message());
    }
  }
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return ioError("cannot open", errno);
  return {};
}

void SpillFile::closeFile() {
  if (fd_ < 0) return;
  if (dirty_ && regular_) ::fdatasync(fd_);
  dirty_ = false;
  ::close(fd_);
  fd_ = -1;
}

base::Status SpillFile::truncateTo(std::uint64_t size) {
  if (!regular_) return {};
  BANKCC_TRY(ensureOpen());
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return ioError("cannot truncate", errno);
  writeOffset_ = size;
  if (size == 0) {
    readOffset_ = 0;
    pending_ = 0;
  }
  return {};
}

base::Status SpillFile::append(std::span<const EventRowView> rows) {
  if (rows.empty()) return {};
  BANKCC_TRY(ensureOpen());
  buf_.clear();
  if (writeOffset_ == 0) {
    // A new file; cut any stale bytes a failed remove() left behind.
    if (regular_ && ::ftruncate(fd_, 0) != 0) return ioError("cannot truncate", errno);
    const auto h = fileHeader();
    buf_.insert(buf_.end(), h.begin(), h.end());
  } else if (version_ != kVersion) {
    BANKCC_TRY(upgradeHeader());
  }
  for (const auto& row : rows) {
    const std::size_t start = buf_.size();
    buf_.resize(start + kRecordHeaderSize);
    putU64(buf_, row.epoch);
    putU64(buf_, row.seq);
    putU64(buf_, static_cast<std::uint64_t>(row.tsMicros));
    putStr(buf_, row.type);
    putStr(buf_, row.callId);
    putStr(buf_, row.agentId);
    putStr(buf_, row.queueId);
    putStr(buf_, row.payload);
    putStr(buf_, row.requestId);
    const std::size_t bodyLen = buf_.size() - start - kRecordHeaderSize;
    std::byte* h = buf_.data() + start;
    setU32(h, static_cast<std::uint32_t>(bodyLen));
    setU32(h + 4, crc32c(std::span(buf_.data() + start + kRecordHeaderSize, bodyLen)));
    setU32(h + 8, crc32c(std::span(h, 8)));
  }
  std::size_t done = 0;
  while (done < buf_.size()) {
    const ssize_t w = ::pwrite(fd_, buf_.data() + done, buf_.size() - done,
                               static_cast<off_t>(writeOffset_ + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int e = w < 0 ? errno : EIO;
      // All or nothing: cut what this call wrote (no half-written data).
      if (regular_) (void)::ftruncate(fd_, static_cast<off_t>(writeOffset_));
      return ioError("cannot write", e);
    }
    done += static_cast<std::size_t>(w);
  }
  if (!regular_) {
    // A device that swallows writes (/dev/null) would lose the events: refuse it.
    return base::err(base::Errc::Io, "spill path " + path_.string() +
                                         " is not a regular file; events written there could "
                                         "not be read back");
  }
  dirty_ = true;
  const std::int64_t now = steadyMicros();
  if (regular_ &&
      now - lastSyncUs_ >=
          std::chrono::duration_cast<std::chrono::microseconds>(kSyncInterval).count()) {
    if (::fdatasync(fd_) != 0) {
      const int e = errno;
      (void)::ftruncate(fd_, static_cast<off_t>(writeOffset_));
      return ioError("cannot sync", e);
    }
    lastSyncUs_ = now;
    dirty_ = false;
  }
  if (writeOffset_ == 0) {
    readOffset_ = kFileHeaderSize;
    version_ = kVersion;
  }
  writeOffset_ += buf_.size();
  pending_ += rows.size();
  return {};
}

base::Result<std::vector<StoredEvent>> SpillFile::peek(std::size_t max) {
  std::vector<StoredEvent> out;
  peekEnds_.clear();
  if (pending_ == 0 || !regular_) return out;
  BANKCC_TRY(ensureOpen());
  ChunkReader r(fd_, readOffset_, writeOffset_);
  std::string why;
  while (out.size() < max) {
    const std::uint64_t at = r.position();
    StoredEvent e;
    const Next n = readRecord(r, version_, &e, why);
    if (n == Next::Record) {
      out.push_back(std::move(e));
      peekEnds_.push_back(r.position());
      continue;
    }
    if (n == Next::End) break;
    if (n == Next::ReadError) return ioError("cannot read", r.readErrno());
    // The file changed under us (we wrote every byte of it): treat as corruption.
    if (n == Next::Torn) why = "file shorter than written";
    pending_ = out.size();
    setAside(at, why);
    if (pending_ == 0) {  // set aside whole: nothing of it is ours any more
      out.clear();
      peekEnds_.clear();
    }
    break;
  }
  return out;
}

base::Status SpillFile::consume(std::size_t n) {
  BANKCC_ASSERT(n <= peekEnds_.size(), "consume() more than the last peek() returned");
  if (n == 0) return {};
  readOffset_ = peekEnds_[n - 1];
  peekEnds_.erase(peekEnds_.begin(), peekEnds_.begin() + static_cast<std::ptrdiff_t>(n));
  pending_ -= std::min<std::uint64_t>(pending_, n);
  if (pending_ != 0) return {};
  // Everything is committed: remove the file (the next spill starts a new one).
  peekEnds_.clear();
  return removeFile();
}

base::Status SpillFile::upgradeHeader() {
  // The header alone, in place: the version 1 records after it read as version 2 (their
  // request_id is empty), so the file is valid before and after this write.
  const auto h = fileHeader();
  std::size_t done = 0;
  while (done < h.size()) {
    const ssize_t w = ::pwrite(fd_, h.data() + done, h.size() - done, static_cast<off_t>(done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return ioError("cannot upgrade the header of", w < 0 ? errno : EIO);
    done += static_cast<std::size_t>(w);
  }
  spdlog::info("event log: spill file {} upgraded from format version {} to {}", path_.string(),
               version_, kVersion);
  version_ = kVersion;
  dirty_ = true;
  return {};
}

base::Status SpillFile::removeFile() {
  closeFile();
  readOffset_ = writeOffset_ = 0;
  pending_ = 0;
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  if (ec) {
    return base::err(base::Errc::Io,
                     "cannot remove spill file " + path_.string() + ": " + ec.message());
  }
  return {};
}

}  // namespace bankcc::store
