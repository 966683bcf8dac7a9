// SPDX-License-Identifier: Apache-2.0
#include "media/call_recorder.h"

#include "media/g711.h"

namespace bankcc::media {

CallRecorder::CallRecorder(std::string recordingId, SessionId left, SessionId right,
                           RecordingWriterPool& pool, RecordingWriterPool::Handle handle)
    : id_(std::move(recordingId)), left_(left), right_(right), pool_(pool), handle_(handle) {
  chunk_.reserve(kChunkBytes);
}

void CallRecorder::addFrame(std::span<const std::int16_t, kFrameSamples> left,
                            std::span<const std::int16_t, kFrameSamples> right) {
  if (finished_) return;
  for (std::size_t i = 0; i < kFrameSamples; ++i) {
    chunk_.push_back(linearToAlaw(left[i]));
    chunk_.push_back(linearToAlaw(right[i]));
  }
  frames_ += kFrameSamples;
  flushIfFull();
}

void CallRecorder::addSilence() {
  if (finished_) return;
  chunk_.insert(chunk_.end(), 2 * kFrameSamples, silenceByte(G711::Alaw));
  frames_ += kFrameSamples;
  flushIfFull();
}

void CallRecorder::flushIfFull() {
  if (chunk_.size() < kChunkBytes) return;
  std::vector<std::uint8_t> next;
  next.reserve(kChunkBytes);
  pool_.append(handle_, std::move(chunk_));
  chunk_ = std::move(next);
}

void CallRecorder::finish() {
  if (finished_) return;
  finished_ = true;
  if (!chunk_.empty()) pool_.append(handle_, std::move(chunk_));
  chunk_ = {};
  pool_.close(handle_);
}

}  // namespace bankcc::media
