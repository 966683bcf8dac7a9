// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to store: the event log writer's in-memory queue and the batch it builds from it.
// Writer thread only, except Entry, which emitters construct.

#include <cstddef>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "events/event.h"
#include "events/json.h"
#include "store/event_log_row.h"

namespace bankcc::store::detail {

/// A queued event and when it was appended.
struct Entry {
  Entry(events::Event&& e, base::MonoTime t) : event(std::move(e)), emitted(t) {}
  events::Event event;
  base::MonoTime emitted;
};

/// The writer's FIFO: the buffers swapped out of the emitters' vector, consumed from the front
/// without moving events (a deque of ~200-byte events would allocate per event).
class EntryQueue {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  /// Takes the entries of `buf`; leaves it empty with a spare buffer's capacity to reuse.
  void append(std::vector<Entry>& buf) {
    if (buf.empty()) return;
    size_ += buf.size();
    chunks_.push_back(Chunk{std::move(buf), 0});
    buf.clear();
    std::swap(buf, spare_);
  }

  /// The first `n` entries (n <= size()), valid until pop().
  std::span<const Entry* const> front(std::size_t n) {
    ptrs_.clear();
    for (const Chunk& c : chunks_) {
      for (std::size_t i = c.head; i < c.entries.size() && ptrs_.size() < n; ++i) {
        ptrs_.push_back(&c.entries[i]);
      }
      if (ptrs_.size() == n) break;
    }
    return ptrs_;
  }

  void pop(std::size_t n) {
    size_ -= n;
    while (n > 0) {
      Chunk& c = chunks_.front();
      const std::size_t take = std::min(n, c.entries.size() - c.head);
      c.head += take;
      n -= take;
      if (c.head == c.entries.size()) {
        c.entries.clear();
        if (c.entries.capacity() > spare_.capacity()) std::swap(c.entries, spare_);
        chunks_.pop_front();
      }
    }
  }

 private:
  struct Chunk {
    std::vector<Entry> entries;
    std::size_t head;
  };
  std::deque<Chunk> chunks_;
  std::vector<Entry> spare_;
  std::vector<const Entry*> ptrs_;
  std::size_t size_ = 0;
};

/// Turns the front of the queue into rows for one batch. Reuses its strings between batches,
/// so a warm writer serializes without allocating.
class RowBatch {
 public:
  std::span<const EventRowView> build(std::span<const Entry* const> entries) {
    const std::size_t n = entries.size();
    if (json_.size() < n) {
      json_.resize(n);
      clean_.resize(kIds * n);
    }
    rows_.clear();
    for (std::size_t i = 0; i < n; ++i) {
      const events::Event& e = entries[i]->event;
      std::string& json = json_[i];
      json.clear();
      events::appendPayloadJson(json, e.payload);
      const std::size_t slot = kIds * i;
      rows_.push_back(EventRowView{.epoch = e.epoch,
                                   .seq = e.seq,
                                   .tsMicros = e.ts.time_since_epoch().count(),
                                   .type = events::typeName(e.payload),
                                   .callId = clean(e.callId, slot),
                                   .agentId = clean(e.agentId, slot + 1),
                                   .queueId = clean(e.queueId, slot + 2),
                                   .payload = json,
                                   .requestId = clean(e.requestId, slot + 3)});
    }
    return rows_;
  }

  static std::span<const EventRowView> views(const std::vector<StoredEvent>& events,
                                             std::vector<EventRowView>& out) {
    out.clear();
    for (const auto& e : events) out.push_back(EventRowView::of(e));
    return out;
  }

 private:
  std::string_view clean(const std::string& s, std::size_t slot) {
    if (events::isCleanText(s)) return s;
    std::string& c = clean_[slot];
    c.clear();
    events::appendCleanText(c, s);
    return c;
  }

  /// Ids per row that may need repair: call, agent, queue and request id.
  static constexpr std::size_t kIds = 4;

  std::vector<std::string> json_;
  std::vector<std::string> clean_;  // kIds slots per row
  std::vector<EventRowView> rows_;
};

}  // namespace bankcc::store::detail
