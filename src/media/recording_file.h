// SPDX-License-Identifier: Apache-2.0
#pragma once

// The encrypted recording file (decision 0008). One file per call, two channels
// (customer left, agent right), 8 kHz G.711 A-law interleaved, written in chunks of about one
// second with libsodium secretstream (XChaCha20-Poly1305) under a random per-file key. The
// per-file key is wrapped (crypto_secretbox) under a key derived from the master key, and the
// file header (magic, version, recording id, start time, format) is authenticated. A crash
// loses at most the chunk being written; a reader recovers every complete chunk before it and
// says the file is incomplete. Truncation, reordering or changed bytes are detected.
//
// Writers run on the recording writer pool, never on media workers; readers run in commands
// (`bankcc recording export`) and workers.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace bankcc::media {

/// The 32-byte master key (server::MasterKey has the same shape; media does not include
/// server).
using RecordingMasterKey = std::array<std::uint8_t, 32>;

struct RecordingInfo {
  std::string recordingId;  ///< UUIDv7
  base::SysTime started{};
  int sampleRate = 8000;
  int channels = 2;
};

/// `<dir>/<yyyy>/<mm>/<dd>/<id>.bkrec`, the date (UTC) taken from the UUIDv7's timestamp, so a
/// recording can be found from its id alone. BadRequest when `id` is not a UUIDv7.
base::Result<std::filesystem::path> recordingPath(const std::filesystem::path& dir,
                                                  const std::string& id);

/// Writes one recording file. Not thread-safe: one thread at a time (a pool writer thread).
class RecordingFileWriter {
 public:
  /// Creates the file (and its directories, mode 0700; the file 0600). Conflict if it exists.
  static base::Result<std::unique_ptr<RecordingFileWriter>> create(
      const std::filesystem::path& path, const RecordingMasterKey& key, const RecordingInfo& info);
  ~RecordingFileWriter();
  /// Encrypts and appends one chunk of interleaved A-law stereo bytes (any length that is a
  /// whole number of frames; normally one second = 16,000 bytes; an empty span writes nothing).
  /// Written with write(2) before returning (not fsynced). BadRequest for a partial frame or a
  /// chunk over 8 MiB; Io when the write fails, after which the writer is failed: every later
  /// call returns that error and the file keeps only the chunks before it.
  base::Status append(std::span<const std::uint8_t> alawStereo);
  /// Records that `frames` sample frames were lost before reaching the writer (a dropped
  /// chunk): the next chunk's frame index is advanced past them, so the reader can tell the gap
  /// and keep the timeline (it fills the gap with silence and reports the file incomplete).
  void skip(std::uint64_t frames);
  /// Writes the final chunk, fsyncs the file and its directory (and the parents of directories
  /// create() made). Only after this may the file be reported as a finished recording. On a
  /// failed writer it still fsyncs and closes what is there and returns the first error.
  /// Destroying a writer without finish() closes the file as a crash would: incomplete.
  base::Status finish();
  std::uint64_t framesWritten() const;  ///< sample frames (one per channel pair) so far

 private:
  struct Impl;
  explicit RecordingFileWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct RecordingContents {
  RecordingInfo info;
  std::vector<std::int16_t> interleaved;  ///< linear PCM, stereo interleaved
  /// false when the final chunk is missing (crash, still recording) or when frames are missing
  /// inside the file (gapFrames > 0: chunks dropped while recording).
  bool complete = false;
  bool finalChunk = false;      ///< the writer's final chunk is present
  std::uint64_t gapFrames = 0;  ///< frames the writer never got, filled with silence here
  std::size_t chunks = 0;       ///< authenticated chunks read, the final one included
};

/// Decrypts a recording file. Corrupt for a wrong key, changed bytes or a broken chunk in the
/// middle (never returns audio from a chunk that failed authentication); a file cut after a
/// complete chunk (or inside the chunk after it) reads with complete = false. NotFound when the
/// file does not exist, Io when it cannot be read, TooNew for a newer format version.
/// Any thread; blocking file I/O.
base::Result<RecordingContents> readRecording(const std::filesystem::path& path,
                                              const RecordingMasterKey& key);

}  // namespace bankcc::media
