// SPDX-License-Identifier: Apache-2.0
#pragma once

// The event log's local spill file: where the writer puts batches it cannot commit (database
// down, read-only, full) until the database takes them again.
//
// Format (little-endian):
//   file header   8 bytes "BANKCCSP", u32 version (2), u32 CRC32C of the previous 12 bytes
//   record*       u32 length, u32 CRC32C of the body, u32 CRC32C of the previous 8 bytes,
//                 then `length` bytes of body: u64 epoch, u64 seq, i64 ts (UTC µs), and six
//                 strings (u32 length + bytes): type, call_id, agent_id, queue_id, payload,
//                 request_id.
//
// Versions: 1 (before request ids) has five strings per record, no request_id. Version 2
// writes six; it reads records of five too (request_id empty), because a version 1 file
// left by an older bankcc is upgraded in place by the first append() to it: the header is
// rewritten as version 2 (one 16-byte write), then the new records follow the old ones. A
// crash between the two leaves a version 2 file of five-string records, which reads fine. A
// file of an unknown (newer) version is set aside like a corrupted one, never replayed.
//
// The header CRC tells a damaged length from a record cut short, so:
//   - a torn tail (a record cut short by a crash during a write) is truncated with a warning;
//   - a corrupted record (bad CRC, impossible length, undecodable body) anywhere: the whole
//     file is copied aside to "<path>.corrupt-<UTC time>", an error names the file and the
//     byte offset, the file is cut at that offset and the valid records before it are
//     replayed. Nothing after the damage is guessed at.
//
// Records are replayed with INSERT OR IGNORE / ON CONFLICT DO NOTHING, so a record written
// twice, or replayed twice after a crash mid-replay, is harmless.
//
// Durability: a batch is one pwrite(); no fsync per batch (like SQLite WAL with
// synchronous=NORMAL, it survives a killed process, not a power cut); fdatasync at most once a
// second while spilling and at close.
//
// Not thread-safe: owned by the event log's writer thread.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/event_log_row.h"

namespace bankcc::store {

/// CRC32C (Castagnoli) of `data`, continuing from `crc` (0 to start).
std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0);

class SpillFile {
 public:
  /// What open() and replay found wrong so far (for logs, metrics and tests).
  struct Damage {
    std::uint64_t tornTails = 0;    ///< tails truncated
    std::uint64_t corruptions = 0;  ///< files copied aside
    /// The latest copy set aside, or empty.
    std::filesystem::path lastCorruptCopy;
    std::uint64_t lastCorruptOffset = 0;
  };

  /// Opens the spill file at `path`, checking every record (see the file comment for torn
  /// tails and corruption). An absent file is fine: the file and its directory are created by
  /// the first append(). A path that is not a regular file (e.g. /dev/full) has nothing to
  /// replay and is written as it is. `clock` names the copies set aside.
  /// Errors: Io when the file exists but cannot be opened, read or truncated.
  static base::Result<std::unique_ptr<SpillFile>> open(std::filesystem::path path,
                                                       const base::Clock& clock);
  ~SpillFile();
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  const std::filesystem::path& path() const { return path_; }

  /// Appends `rows` as one write: all of them or, on error, none (the file is cut back).
  /// Errors: Io naming the file and the cause ("No space left on device").
  base::Status append(std::span<const EventRowView> rows);

  /// Up to `max` records from the replay position, oldest first, without consuming them. A
  /// corrupted record is handled as at open() (copied aside, cut) and ends the list.
  /// Errors: Io when reading fails.
  base::Result<std::vector<StoredEvent>> peek(std::size_t max);

  /// Consumes the first `n` records of the last peek() (they are committed). When no record is
  /// left, the file is removed. Errors: Io when removing fails (the records stay consumed).
  base::Status consume(std::size_t n);

  /// Records written and not yet consumed.
  std::uint64_t pendingRecords() const { return pending_; }
  bool empty() const { return pending_ == 0; }

  const Damage& damage() const { return damage_; }

 private:
  SpillFile(std::filesystem::path path, const base::Clock& clock);
  base::Status scan();
  base::Status ensureOpen();
  void closeFile();
  /// Removes the file (nothing in it is pending). Errors: Io.
  base::Status removeFile();
  /// Copies the file aside, cuts it at `offset` and logs why.
  void setAside(std::uint64_t offset, const std::string& reason);
  /// Rewrites the header of a version 1 file as the current version before the first append
  /// of records that carry a request id. Errors: Io.
  base::Status upgradeHeader();
  base::Status truncateTo(std::uint64_t size);
  base::Error ioError(const std::string& what, int errnum) const;

  std::filesystem::path path_;
  const base::Clock& clock_;
  int fd_ = -1;
  bool regular_ = true;                  // false for devices such as /dev/full
  std::uint64_t writeOffset_ = 0;        // end of the valid data; 0 = no header yet
  std::uint64_t readOffset_ = 0;         // first record not consumed
  std::uint64_t pending_ = 0;            // records in [readOffset_, writeOffset_)
  std::uint32_t version_ = 0;            // format version of the file; 0 = no header yet
  std::vector<std::uint64_t> peekEnds_;  // end offset of each record of the last peek()
  std::int64_t lastSyncUs_ = 0;          // steady clock, µs
  bool dirty_ = false;                   // written since the last fdatasync
  Damage damage_;
  std::vector<std::byte> buf_;  // reused for writes
};

}  // namespace bankcc::store
