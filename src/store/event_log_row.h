// SPDX-License-Identifier: Apache-2.0
#pragma once

// An event as the event log stores it: the envelope in columns, the payload as JSON. The
// same shape travels to the database, into the spill file and back to readers.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace bankcc::store {

/// One stored event (a row of the `events` table). Empty ids are NULL in the database.
/// requestId comes last (not beside the other ids, as in events::Event) so that positional
/// initializers written before it existed keep their meaning. Every member has a default
/// initializer, so designated initializers may leave any out (-Wmissing-field-initializers).
struct StoredEvent {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  base::SysTime ts{};  ///< UTC, microseconds
  std::string type{};  ///< "agent.state_changed"
  std::string callId{};
  std::string agentId{};
  std::string queueId{};
  std::string payload{};  ///< the JSON object (events::appendPayloadJson)
  /// The CTI command's request id (events::Event::requestId); empty = NULL.
  std::string requestId{};

  bool operator==(const StoredEvent&) const = default;
};

/// A borrowed view of one row: how the writer hands a batch to the database or the spill
/// file without copying. The text is clean (valid UTF-8, no NUL; see events/json.h).
struct EventRowView {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  std::int64_t tsMicros = 0;  ///< UTC microseconds since 1970
  std::string_view type;
  std::string_view callId;  ///< empty = NULL
  std::string_view agentId;
  std::string_view queueId;
  std::string_view payload;
  std::string_view requestId;  ///< empty = NULL

  static EventRowView of(const StoredEvent& e) {
    return {e.epoch,   e.seq,     e.ts.time_since_epoch().count(),
            e.type,    e.callId,  e.agentId,
            e.queueId, e.payload, e.requestId};
  }
};

}  // namespace bankcc::store
