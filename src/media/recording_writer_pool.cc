// SPDX-License-Identifier: Apache-2.0
#include "media/recording_writer_pool.h"

#include <sodium.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <variant>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/assert.h"
#include "base/log.h"

namespace bankcc::media {
namespace {

using Handle = RecordingWriterPool::Handle;

struct OpenFile {
  Handle handle;
  RecordingInfo info;
};
struct AppendChunk {
  Handle handle;
  std::uint64_t gapBefore;  ///< frames dropped since the previous chunk that was queued
  std::vector<std::uint8_t> audio;
};
struct CloseFile {
  Handle handle;
  std::uint64_t gapBefore;  ///< frames dropped after the last queued chunk
  std::uint64_t droppedChunks;
};
using Task = std::variant<OpenFile, AppendChunk, CloseFile>;

/// What the callers' side knows of an open handle (guarded by Worker::mu).
struct HandleState {
  int channels = 2;
  std::uint64_t pendingGapFrames = 0;  ///< dropped, not yet attached to a queued task
  std::uint64_t droppedChunks = 0;
};

/// A file on its writer thread (writer thread only).
struct WriterFile {
  std::unique_ptr<RecordingFileWriter> writer;
  RecordingDone done;
};

struct Worker {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Task> queue;                           // guarded by mu
  std::size_t queuedChunks = 0;                     // AppendChunk tasks in `queue`; guarded by mu
  bool stopping = false;                            // guarded by mu
  std::unordered_map<Handle, HandleState> handles;  // guarded by mu
  std::unordered_map<Handle, WriterFile> files;     // writer thread only
  std::thread thread;
};

}  // namespace

struct RecordingWriterPool::Impl {
  std::filesystem::path dir;
  RecordingMasterKey key;
  DoneCallback done;
  std::size_t maxQueued;
  std::vector<std::unique_ptr<Worker>> workers;
  std::atomic<Handle> nextHandle{1};
  std::atomic<std::uint64_t> dropped{0};

  Worker& workerOf(Handle h) { return *workers[h % workers.size()]; }

  void report(RecordingDone d) noexcept {
    try {
      done(std::move(d));
    } catch (const std::exception& e) {
      spdlog::error("recording done callback threw: {}", e.what());
      BANKCC_BUG("RecordingWriterPool's done callback must not throw");
    } catch (...) {
      BANKCC_BUG("RecordingWriterPool's done callback must not throw");
    }
  }

  void handle(Worker& w, OpenFile& t) {
    RecordingDone d;
    d.recordingId = t.info.recordingId;
    auto path = recordingPath(dir, t.info.recordingId);
    if (!path.ok()) {
      d.complete = false;
      d.error = path.error().message;
      return report(std::move(d));
    }
    d.file = *path;
    auto writer = RecordingFileWriter::create(*path, key, t.info);
    if (!writer.ok()) {
      d.complete = false;
      d.error = writer.error().message;
      return report(std::move(d));
    }
    w.files.emplace(t.handle, WriterFile{std::move(writer).value(), std::move(d)});
  }

  void handle(Worker& w, AppendChunk& t) {
    auto it = w.files.find(t.handle);
    if (it == w.files.end()) return;  // its open failed and was reported
    WriterFile& f = it->second;
    if (t.gapBefore > 0) f.writer->skip(t.gapBefore);
    if (auto st = f.writer->append(t.audio); !st.ok() && f.done.error.empty()) {
      f.done.complete = false;
      f.done.error = st.error().message;
    }
    // Call audio may hold spoken card numbers: do not leave it in freed memory.
    if (!t.audio.empty()) sodium_memzero(t.audio.data(), t.audio.size());
  }

  void finishFile(WriterFile& f, std::uint64_t gapAfter, std::uint64_t droppedChunks) {
    if (gapAfter > 0) f.writer->skip(gapAfter);
    f.done.droppedChunks = droppedChunks;
    if (droppedChunks > 0) {
      f.done.complete = false;
      if (f.done.error.empty()) {
        f.done.error =
            fmt::format("{} chunks dropped: the recording writer could not keep up", droppedChunks);
      }
    }
    if (auto st = f.writer->finish(); !st.ok()) {
      f.done.complete = false;
      if (f.done.error.empty()) f.done.error = st.error().message;
    }
    f.done.frames = f.writer->framesWritten();
    f.writer.reset();
    report(std::move(f.done));
  }

  void handle(Worker& w, CloseFile& t) {
    auto it = w.files.find(t.handle);
    if (it == w.files.end()) return;  // its open failed and was reported
    WriterFile f = std::move(it->second);
    w.files.erase(it);
    finishFile(f, t.gapBefore, t.droppedChunks);
  }

  void run(Worker& w, std::size_t index) noexcept {
    base::setThreadName(fmt::format("rec-writer-{}", index));
    for (;;) {
      Task task;
      {
        std::unique_lock lock(w.mu);
        w.cv.wait(lock, [&] { return !w.queue.empty() || w.stopping; });
        if (w.queue.empty()) break;  // stopping, and everything queued is written
        task = std::move(w.queue.front());
        w.queue.pop_front();
        if (std::holds_alternative<AppendChunk>(task)) --w.queuedChunks;
      }
      std::visit([&](auto& t) { handle(w, t); }, task);
    }
    // Shutdown: files their owners did not close are finished as a close() would.
    std::unordered_map<Handle, HandleState> handles;
    {
      std::lock_guard lock(w.mu);
      handles.swap(w.handles);
    }
    for (auto& [h, f] : w.files) {
      const auto st = handles.find(h);
      finishFile(f, st == handles.end() ? 0 : st->second.pendingGapFrames,
                 st == handles.end() ? 0 : st->second.droppedChunks);
    }
    w.files.clear();
  }
};

RecordingWriterPool::RecordingWriterPool(std::filesystem::path dir, RecordingMasterKey key,
                                         std::size_t threads, DoneCallback done,
                                         std::size_t maxQueuedChunksPerThread)
    : impl_(std::make_unique<Impl>()) {
  impl_->dir = std::move(dir);
  impl_->key = key;
  sodium_memzero(key.data(), key.size());
  impl_->done = std::move(done);
  impl_->maxQueued = maxQueuedChunksPerThread;
  const std::size_t n = threads == 0 ? 1 : threads;
  for (std::size_t i = 0; i < n; ++i) impl_->workers.push_back(std::make_unique<Worker>());
  for (std::size_t i = 0; i < n; ++i) {
    Worker& w = *impl_->workers[i];
    w.thread = std::thread([this, &w, i] { impl_->run(w, i); });
  }
}

RecordingWriterPool::~RecordingWriterPool() {
  for (auto& w : impl_->workers) {
    std::lock_guard lock(w->mu);
    w->stopping = true;
    w->cv.notify_one();
  }
  for (auto& w : impl_->workers) w->thread.join();
  sodium_memzero(impl_->key.data(), impl_->key.size());
}

RecordingWriterPool::Handle RecordingWriterPool::open(const RecordingInfo& info) {
  const Handle h = impl_->nextHandle.fetch_add(1, std::memory_order_relaxed);
  Worker& w = impl_->workerOf(h);
  {
    std::lock_guard lock(w.mu);
    w.handles[h] = HandleState{info.channels > 0 ? info.channels : 1};
    w.queue.emplace_back(OpenFile{h, info});
  }
  w.cv.notify_one();
  return h;
}

void RecordingWriterPool::append(Handle h, std::vector<std::uint8_t> alawStereo) {
  Worker& w = impl_->workerOf(h);
  {
    std::lock_guard lock(w.mu);
    auto it = w.handles.find(h);
    if (it == w.handles.end()) {
      BANKCC_BUG("RecordingWriterPool::append on a handle that is not open");
      return;
    }
    HandleState& s = it->second;
    if (w.queuedChunks >= impl_->maxQueued) {
      // The disk is behind: losing a second of audio beats blocking a media worker or
      // growing without bound. The frames still count, so the timeline stays right.
      s.pendingGapFrames += alawStereo.size() / static_cast<std::size_t>(s.channels);
      ++s.droppedChunks;
      impl_->dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    w.queue.emplace_back(AppendChunk{h, s.pendingGapFrames, std::move(alawStereo)});
    s.pendingGapFrames = 0;
    ++w.queuedChunks;
  }
  w.cv.notify_one();
}

void RecordingWriterPool::close(Handle h) {
  Worker& w = impl_->workerOf(h);
  {
    std::lock_guard lock(w.mu);
    auto it = w.handles.find(h);
    if (it == w.handles.end()) {
      BANKCC_BUG("RecordingWriterPool::close on a handle that is not open");
      return;
    }
    w.queue.emplace_back(CloseFile{h, it->second.pendingGapFrames, it->second.droppedChunks});
    w.handles.erase(it);
  }
  w.cv.notify_one();
}

std::uint64_t RecordingWriterPool::droppedChunks() const {
  return impl_->dropped.load(std::memory_order_relaxed);
}

}  // namespace bankcc::media
