// SPDX-License-Identifier: Apache-2.0
// The encrypted recording file (decision 0008). Layout, all integers little-endian:
//
//   header   "BKREC" | version u8 = 1 | codec u8 (1 = A-law) | channels u8 | sample rate u32 |
//            start µs since epoch (UTC) i64 | id length u8 | id | secretstream header (24)
//   key box  nonce (24) | secretbox(KEK, file key (32) || BLAKE2b-256(header)) (80)
//   chunks   ciphertext length u32 | secretstream ciphertext of
//            (frame index u64 of the chunk's first frame | A-law bytes); the last one is TAG_FINAL
//
// The KEK is crypto_kdf(master key, subkey 1, context "bkrec001"). The header hash inside the
// box authenticates every header byte; secretstream authenticates the chunks and their order.

#include "media/recording_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/std.h>

#include "base/ids.h"
#include "media/g711.h"

namespace bankcc::media {
namespace {

using base::Errc;

constexpr char kMagic[5] = {'B', 'K', 'R', 'E', 'C'};
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kCodecAlaw = 1;
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "bkrec001";
constexpr std::uint64_t kKdfSubkey = 1;
constexpr std::size_t kFixedHeaderBytes = 5 + 1 + 1 + 1 + 4 + 8 + 1;  // up to the id
constexpr std::size_t kMaxIdBytes = 64;
constexpr std::size_t kStreamHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr std::size_t kFileKeyBytes = crypto_secretstream_xchacha20poly1305_KEYBYTES;
constexpr std::size_t kHeaderHashBytes = crypto_generichash_BYTES;  // 32
constexpr std::size_t kBoxPlainBytes = kFileKeyBytes + kHeaderHashBytes;
constexpr std::size_t kBoxBytes = crypto_secretbox_MACBYTES + kBoxPlainBytes;
constexpr std::size_t kChunkPrefixBytes = 4;
constexpr std::size_t kFrameIndexBytes = 8;
constexpr std::size_t kChunkOverhead =
    crypto_secretstream_xchacha20poly1305_ABYTES + kFrameIndexBytes;
/// Largest audio payload of one chunk (about 9 minutes of stereo A-law); a reader treats
/// larger length prefixes as damage instead of allocating them.
constexpr std::size_t kMaxChunkAudioBytes = std::size_t{8} << 20;
/// Largest gap a reader fills with silence (24 hours at 8 kHz): a bigger one cannot come from
/// our writer, and filling it would exhaust memory.
constexpr std::uint64_t kMaxGapFrames = std::uint64_t{8000} * 86400;

static_assert(sizeof(kKdfContext) - 1 == crypto_kdf_CONTEXTBYTES, "KDF context is 8 bytes");

std::string errnoText(int e) {
  return std::strerror(e);
}

/// Buffers for encrypting one chunk. One set per thread, not per file: a writer thread serves
/// hundreds of open recordings, and buffers kept per file would hold two chunks' worth of
/// memory (32 KB) per call for its whole life. The plain text is wiped after each use.
struct ChunkScratch {
  std::vector<std::uint8_t> plain;  ///< frame index + audio
  std::vector<std::uint8_t> out;    ///< length prefix + ciphertext
};

ChunkScratch& chunkScratch() {
  thread_local ChunkScratch scratch;
  return scratch;
}

void putLe(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t getLe(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

/// Holds secret bytes and wipes them when it goes.
template <std::size_t N>
struct SecretBytes {
  std::array<std::uint8_t, N> bytes{};
  SecretBytes() = default;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes() { sodium_memzero(bytes.data(), bytes.size()); }
  std::uint8_t* data() { return bytes.data(); }
};

void deriveKek(const RecordingMasterKey& master, SecretBytes<crypto_secretbox_KEYBYTES>& out) {
  static_assert(crypto_secretbox_KEYBYTES >= crypto_kdf_BYTES_MIN &&
                crypto_secretbox_KEYBYTES <= crypto_kdf_BYTES_MAX);
  crypto_kdf_derive_from_key(out.data(), crypto_secretbox_KEYBYTES, kKdfSubkey, kKdfContext,
                             master.data());
}

base::Status initSodium() {
  if (sodium_init() < 0) return base::err(Errc::Internal, "libsodium failed to initialise");
  return {};
}

bool writeAll(int fd, const std::uint8_t* data, std::size_t size, int& error) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool fsyncPath(const std::filesystem::path& dir, int& error) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    error = errno;
    return false;
  }
  const bool ok = ::fsync(fd) == 0;
  if (!ok) error = errno;
  ::close(fd);
  return ok;
}

/// mkdir -p with mode 0700 for what it creates; `created` gets each new directory.
base::Status makeDirectories(const std::filesystem::path& dir,
                             std::vector<std::filesystem::path>& created) {
  std::filesystem::path prefix;
  for (const auto& part : dir) {
    prefix /= part;
    if (::mkdir(prefix.c_str(), 0700) == 0) {
      created.push_back(prefix);
      continue;
    }
    const int e = errno;
    struct stat st {};
    if (e == EEXIST && ::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return base::err(Errc::Io, fmt::format("cannot create directory {}: {}", prefix,
                                           e == EEXIST ? std::string("a file of that name exists")
                                                       : errnoText(e)));
  }
  return {};
}

/// The plain header up to and including the secretstream header: what the key box hashes.
std::vector<std::uint8_t> encodeHeader(const RecordingInfo& info,
                                       const std::uint8_t* streamHeader) {
  std::vector<std::uint8_t> h(std::begin(kMagic), std::end(kMagic));
  h.push_back(kVersion);
  h.push_back(kCodecAlaw);
  h.push_back(static_cast<std::uint8_t>(info.channels));
  putLe(h, static_cast<std::uint32_t>(info.sampleRate), 4);
  putLe(h, static_cast<std::uint64_t>(info.started.time_since_epoch().count()), 8);
  h.push_back(static_cast<std::uint8_t>(info.recordingId.size()));
  h.insert(h.end(), info.recordingId.begin(), info.recordingId.end());
  h.insert(h.end(), streamHeader, streamHeader + kStreamHeaderBytes);
  return h;
}

base::Status checkInfo(const RecordingInfo& info) {
  if (info.recordingId.empty() || info.recordingId.size() > kMaxIdBytes) {
    return base::err(Errc::BadRequest,
                     fmt::format("recording id must be 1 to {} bytes", kMaxIdBytes));
  }
  if (info.channels < 1 || info.channels > 2) {
    return base::err(Errc::BadRequest,
                     fmt::format("a recording has 1 or 2 channels, not {}", info.channels));
  }
  if (info.sampleRate < 8000 || info.sampleRate > 48000) {
    return base::err(Errc::BadRequest,
                     fmt::format("unsupported recording sample rate {}", info.sampleRate));
  }
  return {};
}

}  // namespace

base::Result<std::filesystem::path> recordingPath(const std::filesystem::path& dir,
                                                  const std::string& id) {
  // Version nibble: the first hex digit of the third group.
  if (!base::isUuid(id) || id[14] != '7') {
    return base::err(Errc::BadRequest,
                     fmt::format("'{}' is not a recording id (a lower-case UUIDv7 such as "
                                 "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887)",
                                 id));
  }
  std::uint64_t ms = 0;
  for (std::size_t i = 0; i < 13; ++i) {
    if (i == 8) continue;  // the dash between the first two groups
    const char c = id[i];
    ms = ms << 4 | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  using namespace std::chrono;
  const auto day = floor<days>(sys_time<milliseconds>(milliseconds(ms)));
  const year_month_day ymd{day};
  return dir / fmt::format("{:04}", static_cast<int>(ymd.year())) /
         fmt::format("{:02}", static_cast<unsigned>(ymd.month())) /
         fmt::format("{:02}", static_cast<unsigned>(ymd.day())) / (id + ".bkrec");
}

struct RecordingFileWriter::Impl {
  std::filesystem::path path;
  std::vector<std::filesystem::path> createdDirs;
  int fd = -1;
  int channels = 2;
  crypto_secretstream_xchacha20poly1305_state state{};
  std::uint64_t nextFrame = 0;  ///< frame index of the next chunk (written + skipped)
  std::uint64_t framesWritten = 0;
  off_t goodSize = 0;  ///< the file's size after the last complete chunk
  std::optional<base::Error> failed;
  bool finished = false;

  ~Impl() {
    if (fd >= 0) ::close(fd);
    sodium_memzero(&state, sizeof state);
  }

  /// Encrypts and writes one chunk; on failure cuts the file back to its last good size and
  /// fails the writer for good (the stream state has moved on, so nothing after could be read).
  base::Status writeChunk(std::span<const std::uint8_t> audio, unsigned char tag) {
    auto& [plain, out] = chunkScratch();
    plain.clear();
    putLe(plain, nextFrame, 8);
    plain.insert(plain.end(), audio.begin(), audio.end());
    const std::size_t cipherLen = plain.size() + crypto_secretstream_xchacha20poly1305_ABYTES;
    out.resize(kChunkPrefixBytes + cipherLen);
    for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(cipherLen >> (8 * i));
    crypto_secretstream_xchacha20poly1305_push(&state, out.data() + kChunkPrefixBytes, nullptr,
                                               plain.data(), plain.size(), nullptr, 0, tag);
    sodium_memzero(plain.data(), plain.size());
    int e = 0;
    if (!writeAll(fd, out.data(), out.size(), e)) {
      failed = base::err(Errc::Io, fmt::format("cannot write {}: {}", path, errnoText(e)));
      // Best effort: a clean cut reads as "complete chunks, then the end".
      [[maybe_unused]] int ignored = ::ftruncate(fd, goodSize);
      return *failed;
    }
    goodSize += static_cast<off_t>(out.size());
    return {};
  }
};

RecordingFileWriter::RecordingFileWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RecordingFileWriter::~RecordingFileWriter() = default;

base::Result<std::unique_ptr<RecordingFileWriter>> RecordingFileWriter::create(
    const std::filesystem::path& path, const RecordingMasterKey& key, const RecordingInfo& info) {
  BANKCC_TRY(initSodium());
  BANKCC_TRY(checkInfo(info));
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->channels = info.channels;
  if (path.has_parent_path()) BANKCC_TRY(makeDirectories(path.parent_path(), impl->createdDirs));
  impl->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (impl->fd < 0) {
    const int e = errno;
    if (e == EEXIST) {
      return base::err(Errc::Conflict, fmt::format("recording file {} already exists", path));
    }
    return base::err(Errc::Io, fmt::format("cannot create {}: {}", path, errnoText(e)));
  }

  SecretBytes<kFileKeyBytes> fileKey;
  crypto_secretstream_xchacha20poly1305_keygen(fileKey.data());
  std::array<std::uint8_t, kStreamHeaderBytes> streamHeader{};
  crypto_secretstream_xchacha20poly1305_init_push(&impl->state, streamHeader.data(),
                                                  fileKey.data());
  std::vector<std::uint8_t> bytes = encodeHeader(info, streamHeader.data());

  SecretBytes<kBoxPlainBytes> boxPlain;
  std::memcpy(boxPlain.data(), fileKey.data(), kFileKeyBytes);
  crypto_generichash(boxPlain.data() + kFileKeyBytes, kHeaderHashBytes, bytes.data(), bytes.size(),
                     nullptr, 0);
  std::array<std::uint8_t, crypto_secretbox_NONCEBYTES> nonce{};
  randombytes_buf(nonce.data(), nonce.size());
  std::array<std::uint8_t, kBoxBytes> box{};
  {
    SecretBytes<crypto_secretbox_KEYBYTES> kek;
    deriveKek(key, kek);
    crypto_secretbox_easy(box.data(), boxPlain.data(), kBoxPlainBytes, nonce.data(), kek.data());
  }
  bytes.insert(bytes.end(), nonce.begin(), nonce.end());
  bytes.insert(bytes.end(), box.begin(), box.end());

  int e = 0;
  if (!writeAll(impl->fd, bytes.data(), bytes.size(), e)) {
    // A file without a whole header holds nothing worth keeping.
    ::close(impl->fd);
    impl->fd = -1;
    ::unlink(path.c_str());
    return base::err(Errc::Io, fmt::format("cannot write {}: {}", path, errnoText(e)));
  }
  impl->goodSize = static_cast<off_t>(bytes.size());
  return std::unique_ptr<RecordingFileWriter>(new RecordingFileWriter(std::move(impl)));
}

base::Status RecordingFileWriter::append(std::span<const std::uint8_t> alawStereo) {
  Impl& w = *impl_;
  if (w.failed) return *w.failed;
  BANKCC_ASSERT(!w.finished, "append() after finish(): the pool closes a file once");
  if (w.finished) return base::err(Errc::Conflict, "recording already finished");
  if (alawStereo.empty()) return {};
  if (alawStereo.size() % static_cast<std::size_t>(w.channels) != 0) {
    return base::err(Errc::BadRequest,
                     fmt::format("a chunk of {} bytes is not a whole number of {}-channel frames",
                                 alawStereo.size(), w.channels));
  }
  if (alawStereo.size() > kMaxChunkAudioBytes) {
    return base::err(Errc::BadRequest, fmt::format("a chunk of {} bytes is over the {} limit",
                                                   alawStereo.size(), kMaxChunkAudioBytes));
  }
  BANKCC_TRY(w.writeChunk(alawStereo, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE));
  const std::uint64_t frames = alawStereo.size() / static_cast<std::size_t>(w.channels);
  w.nextFrame += frames;
  w.framesWritten += frames;
  return {};
}

void RecordingFileWriter::skip(std::uint64_t frames) {
  impl_->nextFrame += frames;
}

base::Status RecordingFileWriter::finish() {
  Impl& w = *impl_;
  if (w.finished) return w.failed ? base::Status(*w.failed) : base::Status();
  w.finished = true;
  if (!w.failed) {
    (void)w.writeChunk({}, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
  }
  sodium_memzero(&w.state, sizeof w.state);
  int e = 0;
  if (::fsync(w.fd) != 0 && !w.failed) {
    w.failed = base::err(Errc::Io, fmt::format("cannot fsync {}: {}", w.path, errnoText(errno)));
  }
  if (::close(w.fd) != 0 && !w.failed) {
    w.failed = base::err(Errc::Io, fmt::format("cannot close {}: {}", w.path, errnoText(errno)));
  }
  w.fd = -1;
  // The file's own directory, then the parents of directories create() made, so that every
  // new name on the way to the file is on disk too.
  std::set<std::filesystem::path> dirs;
  dirs.insert(w.path.has_parent_path() ? w.path.parent_path() : std::filesystem::path("."));
  for (const auto& d : w.createdDirs) {
    dirs.insert(d.has_parent_path() ? d.parent_path() : std::filesystem::path("."));
  }
  for (const auto& d : dirs) {
    if (!fsyncPath(d, e) && !w.failed) {
      w.failed = base::err(Errc::Io, fmt::format("cannot fsync directory {}: {}", d, errnoText(e)));
    }
  }
  if (w.failed) return *w.failed;
  return {};
}

std::uint64_t RecordingFileWriter::framesWritten() const {
  return impl_->framesWritten;
}

namespace {

/// Reads a file sequentially; knows how much is left.
class FileReader {
 public:
  ~FileReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  base::Status open(const std::filesystem::path& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int e = errno;
      if (e == ENOENT) return base::err(Errc::NotFound, fmt::format("no recording file {}", path));
      return base::err(Errc::Io, fmt::format("cannot read {}: {}", path, errnoText(e)));
    }
    return {};
  }
  /// Reads up to `n` bytes into `out`; fewer only at the end of the file.
  base::Result<std::size_t> read(std::uint8_t* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::read(fd_, out + got, n - got);
      if (r < 0) {
        if (errno == EINTR) continue;
        return base::err(Errc::Io, fmt::format("read error: {}", errnoText(errno)));
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    offset_ += got;
    return got;
  }
  /// True when every byte from here to the end is zero (a file extended by a crash, for example
  /// after a power loss, without its data).
  base::Result<bool> restIsZero() {
    std::array<std::uint8_t, 65536> buf{};
    for (;;) {
      auto n = read(buf.data(), buf.size());
      if (!n.ok()) return std::move(n).error();
      if (*n == 0) return true;
      if (std::any_of(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n),
                      [](std::uint8_t b) { return b != 0; })) {
        return false;
      }
    }
  }
  std::uint64_t offset() const { return offset_; }

 private:
  int fd_ = -1;
  std::uint64_t offset_ = 0;
};

}  // namespace

base::Result<RecordingContents> readRecording(const std::filesystem::path& path,
                                              const RecordingMasterKey& key) {
  BANKCC_TRY(initSodium());
  FileReader in;
  BANKCC_TRY(in.open(path));
  auto corrupt = [&path](std::string what) {
    return base::err(Errc::Corrupt, fmt::format("recording {}: {}", path, what));
  };
  auto truncatedHeader = [&] { return corrupt("the header is truncated"); };

  std::vector<std::uint8_t> header(kFixedHeaderBytes);
  auto got = in.read(header.data(), header.size());
  if (!got.ok()) return std::move(got).error();
  if (*got < sizeof kMagic || std::memcmp(header.data(), kMagic, sizeof kMagic) != 0) {
    return *got < sizeof kMagic && std::memcmp(header.data(), kMagic, *got) == 0
               ? truncatedHeader()
               : corrupt("not a bankcc recording file");
  }
  if (*got < header.size()) return truncatedHeader();
  const std::uint8_t version = header[5];
  if (version > kVersion) {
    return base::err(Errc::TooNew, fmt::format("recording {} has format version {}; this bankcc "
                                               "reads version {}",
                                               path, version, kVersion));
  }
  if (version != kVersion) return corrupt(fmt::format("unknown format version {}", version));
  RecordingContents c;
  const std::uint8_t codec = header[6];
  c.info.channels = header[7];
  c.info.sampleRate = static_cast<int>(getLe(header.data() + 8, 4));
  c.info.started =
      base::SysTime(base::Duration(static_cast<std::int64_t>(getLe(header.data() + 12, 8))));
  const std::size_t idLen = header[20];
  if (codec != kCodecAlaw || c.info.channels < 1 || c.info.channels > 2 ||
      c.info.sampleRate < 8000 || c.info.sampleRate > 48000 || idLen == 0 || idLen > kMaxIdBytes) {
    return corrupt("the header is malformed");
  }
  header.resize(kFixedHeaderBytes + idLen + kStreamHeaderBytes);
  std::array<std::uint8_t, crypto_secretbox_NONCEBYTES + kBoxBytes> keyBlock{};
  got = in.read(header.data() + kFixedHeaderBytes, idLen + kStreamHeaderBytes);
  if (!got.ok()) return std::move(got).error();
  if (*got < idLen + kStreamHeaderBytes) return truncatedHeader();
  got = in.read(keyBlock.data(), keyBlock.size());
  if (!got.ok()) return std::move(got).error();
  if (*got < keyBlock.size()) return truncatedHeader();
  c.info.recordingId.assign(
      header.begin() + kFixedHeaderBytes,
      header.begin() + static_cast<std::ptrdiff_t>(kFixedHeaderBytes + idLen));

  SecretBytes<kBoxPlainBytes> boxPlain;
  {
    SecretBytes<crypto_secretbox_KEYBYTES> kek;
    deriveKek(key, kek);
    if (crypto_secretbox_open_easy(boxPlain.data(), keyBlock.data() + crypto_secretbox_NONCEBYTES,
                                   kBoxBytes, keyBlock.data(), kek.data()) != 0) {
      return corrupt("the master key does not match this recording (or its key block is damaged)");
    }
  }
  std::array<std::uint8_t, kHeaderHashBytes> hash{};
  crypto_generichash(hash.data(), hash.size(), header.data(), header.size(), nullptr, 0);
  if (sodium_memcmp(hash.data(), boxPlain.data() + kFileKeyBytes, hash.size()) != 0) {
    return corrupt("the header was changed (it does not match its authenticated copy)");
  }
  crypto_secretstream_xchacha20poly1305_state state{};
  struct WipeState {
    crypto_secretstream_xchacha20poly1305_state* s;
    ~WipeState() { sodium_memzero(s, sizeof *s); }
  } wipeState{&state};
  if (crypto_secretstream_xchacha20poly1305_init_pull(
          &state, header.data() + kFixedHeaderBytes + idLen, boxPlain.data()) != 0) {
    return corrupt("the stream header is invalid");
  }

  const auto channels = static_cast<std::size_t>(c.info.channels);
  std::vector<std::uint8_t> cipher;
  std::vector<std::uint8_t> plain;
  std::uint64_t frames = 0;
  for (;;) {
    const std::uint64_t chunkOffset = in.offset();
    std::array<std::uint8_t, kChunkPrefixBytes> prefix{};
    got = in.read(prefix.data(), prefix.size());
    if (!got.ok()) return std::move(got).error();
    if (*got == 0) break;  // the end, after a whole chunk
    if (c.finalChunk) return corrupt("there is data after the final chunk");
    if (*got < prefix.size()) break;  // cut inside a length prefix
    const std::size_t len = getLe(prefix.data(), 4);
    const bool lengthOk = len >= kChunkOverhead && len <= kChunkOverhead + kMaxChunkAudioBytes;
    if (!lengthOk) {
      auto zero = in.restIsZero();
      if (!zero.ok()) return std::move(zero).error();
      if (len == 0 && *zero) break;  // a zero-filled tail: the crash left no data
      return corrupt(fmt::format("chunk {} at byte {} has an invalid length {}", c.chunks + 1,
                                 chunkOffset, len));
    }
    cipher.resize(len);
    got = in.read(cipher.data(), len);
    if (!got.ok()) return std::move(got).error();
    if (*got < len) break;  // cut inside the chunk being written: lost, as designed
    plain.resize(len - crypto_secretstream_xchacha20poly1305_ABYTES);
    unsigned long long plainLen = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&state, plain.data(), &plainLen, &tag,
                                                   cipher.data(), cipher.size(), nullptr, 0) != 0) {
      return corrupt(
          fmt::format("chunk {} at byte {} failed authentication (changed, moved "
                      "or from another file)",
                      c.chunks + 1, chunkOffset));
    }
    const std::uint64_t index = getLe(plain.data(), 8);
    const auto audio = std::span<const std::uint8_t>(plain).subspan(kFrameIndexBytes);
    if (index < frames) {
      return corrupt(
          fmt::format("chunk {} starts at frame {}, before the end of the previous "
                      "one ({})",
                      c.chunks + 1, index, frames));
    }
    if (audio.size() % channels != 0) {
      return corrupt(fmt::format("chunk {} holds a partial frame", c.chunks + 1));
    }
    if (index > frames) {
      if (index - frames > kMaxGapFrames) {
        return corrupt(
            fmt::format("chunk {} starts at an impossible frame {}", c.chunks + 1, index));
      }
      // Chunks the writer never got (dropped under load): silence keeps the timeline.
      c.gapFrames += index - frames;
      c.interleaved.resize(c.interleaved.size() + (index - frames) * channels, 0);
      frames = index;
    }
    const std::size_t at = c.interleaved.size();
    c.interleaved.resize(at + audio.size());
    decode(G711::Alaw, audio, std::span<std::int16_t>(c.interleaved).subspan(at));
    frames += audio.size() / channels;
    ++c.chunks;
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) c.finalChunk = true;
  }
  if (!plain.empty()) sodium_memzero(plain.data(), plain.size());
  c.complete = c.finalChunk && c.gapFrames == 0;
  return c;
}

}  // namespace bankcc::media
