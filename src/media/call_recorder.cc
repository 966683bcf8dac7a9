// SPDX-License-Identifier: Apache-2.0
#include "media/call_recorder.h"

#include <array>

#include "media/g711.h"

namespace bankcc::media {

CallRecorder::CallRecorder(std::string recordingId, SessionId left, SessionId right,
                           RecordingWriterPool& pool, RecordingWriterPool::Handle handle)
    : id_(std::move(recordingId)), left_(left), right_(right), pool_(pool), handle_(handle) {
  chunk_.reserve(kChunkBytes);
}

std::uint8_t* CallRecorder::appendFrame() {
  const std::size_t at = chunk_.size();
  chunk_.resize(at + 2 * kFrameSamples);
  frames_ += kFrameSamples;
  return chunk_.data() + at;
}

void CallRecorder::addFrame(std::span<const std::int16_t, kFrameSamples> left,
                            std::span<const std::int16_t, kFrameSamples> right) {
  if (finished_) return;
  std::array<std::uint8_t, kFrameSamples> l, r;
  encode(G711::Alaw, left, l);
  encode(G711::Alaw, right, r);
  std::uint8_t* out = appendFrame();
  for (std::size_t i = 0; i < kFrameSamples; ++i) {
    out[2 * i] = l[i];
    out[2 * i + 1] = r[i];
  }
  flushIfFull();
}

void CallRecorder::addCoded(CodedFrame left, CodedFrame right) {
  if (finished_) return;
  // A-law bytes go in as they are (decoding and encoding again gives the same byte: see
  // g711.cc); µ-law goes through the one-byte table that decoding and encoding amounts to.
  std::array<std::uint8_t, kFrameSamples> l, r;
  std::span<const std::uint8_t, kFrameSamples> lb = left.bytes, rb = right.bytes;
  if (left.law != G711::Alaw) {
    transcode(left.law, G711::Alaw, left.bytes, l);
    lb = l;
  }
  if (right.law != G711::Alaw) {
    transcode(right.law, G711::Alaw, right.bytes, r);
    rb = r;
  }
  std::uint8_t* out = appendFrame();
  for (std::size_t i = 0; i < kFrameSamples; ++i) {
    out[2 * i] = lb[i];
    out[2 * i + 1] = rb[i];
  }
  flushIfFull();
}

CodedFrame CallRecorder::silentFrame() {
  static const std::array<std::uint8_t, kFrameSamples> kAlawSilence = [] {
    std::array<std::uint8_t, kFrameSamples> a{};
    a.fill(silenceByte(G711::Alaw));  // linearToAlaw(0), as addFrame() stores silence
    return a;
  }();
  return CodedFrame{kAlawSilence, G711::Alaw};
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
