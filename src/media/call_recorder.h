// SPDX-License-Identifier: Apache-2.0
#pragma once

// The media-worker side of one call recording: every 20 ms tick it takes one frame per channel
// (customer left, agent right), encodes them A-law, interleaves them into a one-second chunk
// and hands full chunks to the RecordingWriterPool, which writes and encrypts them on its own
// threads. Memory: one 16,000-byte chunk being filled (the chunks handed over belong to the
// pool's bounded queue). Not thread-safe: owned by one media worker.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "media/engine.h"
#include "media/g711.h"
#include "media/jitter_buffer.h"
#include "media/recording_writer_pool.h"

namespace bankcc::media {

/// One channel's 20 ms as received: G.711 bytes in `law`.
struct CodedFrame {
  std::span<const std::uint8_t, kFrameSamples> bytes;
  G711 law = G711::Alaw;
};

class CallRecorder {
 public:
  static constexpr std::size_t kChunkBytes = 16000;  ///< 1 s of 8 kHz stereo A-law

  CallRecorder(std::string recordingId, SessionId left, SessionId right, RecordingWriterPool& pool,
               RecordingWriterPool::Handle handle);

  /// Appends one frame of each channel.
  void addFrame(std::span<const std::int16_t, kFrameSamples> left,
                std::span<const std::int16_t, kFrameSamples> right);
  /// Appends one frame of each channel as received, without decoding: the same bytes that
  /// addFrame() stores for the decoded samples (A-law is kept as it is, µ-law mapped by table).
  void addCoded(CodedFrame left, CodedFrame right);
  /// Appends a frame of silence on both channels (paused, secret digits being keyed).
  void addSilence();
  /// A-law silence for a channel that has nothing in a tick (muted, no packet).
  static CodedFrame silentFrame();
  /// Hands over the partial chunk and closes the file; RecordingDone follows from the pool.
  /// Idempotent.
  void finish();

  const std::string& id() const { return id_; }
  SessionId left() const { return left_; }
  SessionId right() const { return right_; }
  std::uint64_t frames() const { return frames_; }  ///< sample frames so far
  bool paused = false;

 private:
  /// Grows the chunk by one stereo frame and returns where it starts.
  std::uint8_t* appendFrame();
  void flushIfFull();

  std::string id_;
  SessionId left_, right_;
  RecordingWriterPool& pool_;
  RecordingWriterPool::Handle handle_;
  std::vector<std::uint8_t> chunk_;
  std::uint64_t frames_ = 0;
  bool finished_ = false;
};

}  // namespace bankcc::media
