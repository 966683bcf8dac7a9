// SPDX-License-Identifier: Apache-2.0
#pragma once

// Threads that write recordings so that media workers never touch files (ARCHITECTURE.md).
// A media worker opens a recording, hands over ~1 s chunks and closes it; a file is always
// served by the same writer thread, so its chunks are written in order. Queues are bounded:
// when the disk cannot keep up, chunks are dropped (counted, and the file is reported
// incomplete) rather than letting memory grow or blocking a media worker.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "media/recording_file.h"

namespace bankcc::media {

struct RecordingDone {
  std::string recordingId;
  std::filesystem::path file;
  std::uint64_t frames = 0;         ///< sample frames written (duration = frames / 8000 s)
  bool complete = true;             ///< false when any chunk was dropped or a write failed
  std::string error;                ///< the first failure, for the log
  std::uint64_t droppedChunks = 0;  ///< chunks dropped because the writer's queue was full
};

class RecordingWriterPool {
 public:
  using Handle = std::uint64_t;
  /// Called on a writer thread exactly once per handle: after the file is finished and fsynced
  /// (close() or the pool's destruction), or as soon as it could not be created (then
  /// complete = false, frames = 0 and `error` says why; later append() and close() on that
  /// handle do nothing). Must not throw; it delays that thread's files while it runs.
  using DoneCallback = std::function<void(RecordingDone)>;

  /// Files go to recordingPath(dir, info.recordingId). `threads` >= 1 (0 is taken as 1).
  /// The key is copied and wiped on destruction.
  RecordingWriterPool(std::filesystem::path dir, RecordingMasterKey key, std::size_t threads,
                      DoneCallback done, std::size_t maxQueuedChunksPerThread = 4096);
  /// Writes what is queued, finishes every open file (as on close()) and joins the threads.
  /// No other thread may call the pool any more.
  ~RecordingWriterPool();

  /// Thread-safe, never blocks on I/O. The file is created on the writer thread (handle % N).
  Handle open(const RecordingInfo& info);
  /// Thread-safe, never blocks on I/O. `alawStereo` is moved to the writer. When that writer
  /// already holds maxQueuedChunksPerThread chunks, the chunk is dropped and counted; the file
  /// keeps its timeline (the reader fills the gap with silence) and is reported incomplete.
  void append(Handle h, std::vector<std::uint8_t> alawStereo);
  /// Thread-safe, never blocks on I/O. Finishes the file; `done` is called once it is on disk.
  void close(Handle h);

  /// Chunks dropped since start, all files together (for a metric). Thread-safe.
  std::uint64_t droppedChunks() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bankcc::media
