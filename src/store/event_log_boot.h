// SPDX-License-Identifier: Apache-2.0
#pragma once

// Start-up steps of the event log (private to store): replaying a leftover spill file, finding
// the last committed seq, allocating the new epoch. Run once by EventLog::start() on the
// starting thread, before the writer thread exists.

#include <cstddef>
#include <cstdint>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"
#include "store/event_log.h"
#include "store/event_log_sink.h"
#include "store/spill_file.h"

namespace bankcc::store::detail {

/// Replays every record of `spill` into `sink` (idempotently) and consumes it; returns how many
/// records were replayed. Errors name the spill file and the database.
base::Result<std::uint64_t> replayAll(SpillFile& spill, EventSink& sink, std::size_t maxBatch,
                                      const Database& db);

/// The highest seq stored, 0 for an empty log.
base::Result<std::uint64_t> lastStoredSeq(soci::session& session);

/// Inserts the boots row of a new epoch: the highest so far + 1. Two nodes starting at once may
/// pick the same number; the loser tries again (up to five times).
base::Result<std::uint64_t> newEpoch(soci::session& session, const EventLogConfig& config,
                                     const base::Clock& clock);

}  // namespace bankcc::store::detail
