// SPDX-License-Identifier: Apache-2.0
#pragma once

// The append-only event log (ARCHITECTURE.md "Data", CONVENTIONS.md "Events and the audit
// log"): domain events with their identity (epoch, seq), written by one writer thread that
// batches inserts (SQLite: one prepared INSERT per row in a transaction; PostgreSQL: COPY).
//
// Identity: every start allocates a new epoch (a `boots` row); seq counts up from the last
// committed seq + 1 without gaps, across epochs. append() assigns both atomically.
//
// The emitter never waits for the database or the disk. The writer's queue is bounded
// (queue_capacity events in memory). What happens when things go wrong:
//   - database unavailable (down, read-only, full, locked beyond its busy timeout): the
//     writer spills each batch to the local spill file (store/spill_file.h), reconnects with
//     exponential backoff, then replays the spill file (idempotently) before anything newer,
//     and removes it. The committed log stays a gap-free prefix of the seqs.
//   - the spill file cannot be written either (disk full): events stay queued in memory, the
//     writer retries both with backoff; the backlog metric shows it.
//   - the queue is full (database and spill both failing, or the writer stuck in a database
//     call longer than the queue lasts): append() drops the new event without giving it a
//     seq (so committed seqs stay gap-free), returns seq 0, counts it in
//     bankcc_event_log_dropped_total and logs an error (at most every 10 s). The writer spills
//     before it lets the queue fill: it moves the queue to the spill file when it holds more
//     than half its capacity while a replay is running.
//
// Metrics (on the registry given to start()): bankcc_event_log_backlog (in memory + spilled,
// not yet committed), bankcc_event_log_committed_total, bankcc_event_log_spilled_total,
// bankcc_event_log_dropped_total, bankcc_event_log_commit_latency_seconds (emit to commit,
// for events committed straight from memory), bankcc_event_log_last_committed_seq,
// bankcc_event_log_database_up (0 while the writer cannot write).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/config.h"
#include "base/result.h"
#include "events/event.h"
#include "store/database.h"
#include "store/event_log_row.h"

namespace prometheus {
class Registry;
}
namespace soci {
class session;
}

namespace bankcc::store {

/// The [event_log] section of bankcc.toml.
struct EventLogConfig {
  /// Events held in memory (queued, not yet committed or spilled) before append() drops.
  std::size_t queueCapacity = 100'000;
  /// Events per transaction at most.
  std::size_t maxBatch = 4096;
  /// Where batches go while the database cannot take them. Default <data_dir>/spill/events.spill.
  std::filesystem::path spillPath;
  /// Reconnect backoff: starts at retryMin, doubles up to retryMax.
  std::chrono::milliseconds retryMin{100};
  std::chrono::milliseconds retryMax{5000};
  /// PostgreSQL statement_timeout of the writer's connection: how long one batch may take
  /// before the writer gives up on it and spills (SQLite: the [store] busy timeout applies).
  std::chrono::milliseconds writeTimeout{10'000};
  /// How long stop() waits for the queue to be committed or spilled.
  std::chrono::milliseconds stopTimeout{10'000};
  /// Recorded in the `boots` row. Not read from [event_log]: the composition root sets them.
  std::string version = "unknown";
  std::string node;  ///< empty: the host name

  /// Reads [event_log] (queue_capacity, max_batch, spill_path, retry_min, retry_max,
  /// write_timeout, stop_timeout) and calls section.finish(). A relative spill_path is taken
  /// relative to `dataDir`. Errors: BadRequest naming file, line and key. Start-up only.
  static base::Result<EventLogConfig> parse(base::ConfigSection& section,
                                            const std::filesystem::path& dataDir);
};

/// A snapshot of the writer's state, for /readyz, logs and tests.
struct EventLogStats {
  std::uint64_t inMemory = 0;  ///< appended, not yet committed or spilled
  std::uint64_t spilled = 0;   ///< in the spill file, not yet committed
  std::uint64_t committedTotal = 0;
  std::uint64_t spilledTotal = 0;
  std::uint64_t droppedTotal = 0;
  std::uint64_t lastCommittedSeq = 0;
  bool databaseUp = false;
  /// The latest database or spill error while it lasts; empty when writing works.
  std::string lastError;
};

/// The event log of this process. Create one with start(); the Database, the Clock and the
/// Registry must outlive it.
class EventLog {
 public:
  /// Opens the writer's own connection, replays a spill file left by an earlier run
  /// (idempotently), reads the last committed seq, inserts a new `boots` row (the new epoch)
  /// and starts the writer thread. The schema must be migrated. Errors, each naming the cause:
  /// Unavailable (database unreachable), Io (database read-only or full; spill file
  /// unreadable), Internal (tables missing). A corrupted or torn spill file is not an error
  /// (see spill_file.h). `clock` stamps events whose ts is zero, the boots row and the latency
  /// metric; retry backoff and timeouts use the steady clock (they pace I/O, not domain time).
  /// Any thread; once per process.
  static base::Result<std::unique_ptr<EventLog>> start(const Database& db,
                                                       const EventLogConfig& config,
                                                       const base::Clock& clock,
                                                       prometheus::Registry& registry);

  /// Stops as stop() does.
  virtual ~EventLog() = default;

  /// This run's epoch. Any thread.
  virtual std::uint64_t epoch() const = 0;

  /// Queues `event` for writing and returns its identity {epoch, seq}: assigned here, in
  /// append order, without gaps. The event's own epoch and seq are ignored; a zero `ts` is
  /// set to the clock's now. Never waits for the database or the disk (a short mutex only).
  /// When the queue is full the event is dropped and the result has seq 0 (see the file
  /// comment). Any thread; events appended from one thread keep their order.
  virtual events::EventId append(events::Event event) = 0;

  /// The highest seq such that it and every seq before it is committed. Any thread.
  virtual std::uint64_t lastCommittedSeq() const = 0;

  /// Waits until every event appended before the call is committed or spilled. Errors:
  /// Unavailable after `timeout`, naming how many events are still in memory and why. Any
  /// thread but the writer's.
  virtual base::Status flush(std::chrono::milliseconds timeout) = 0;

  /// Waits until `seq` is committed to the database (a spilled event counts once replayed).
  /// Errors: Unavailable after `timeout`, with the cause. Any thread but the writer's.
  virtual base::Status waitCommitted(std::uint64_t seq, std::chrono::milliseconds timeout) = 0;

  /// Flushes (up to stopTimeout), then ends the writer thread. What is still in memory then is
  /// lost and logged as an error. appends after stop() are dropped. Idempotent. Any thread but
  /// the writer's.
  virtual void stop() = 0;

  /// Any thread.
  virtual EventLogStats stats() const = 0;

  /// Calls `listener` with the new lastCommittedSeq() after each commit, on the writer thread:
  /// it must be quick and must not call flush() or stop(). Replaces the previous listener;
  /// an empty function removes it. Any thread.
  virtual void onCommit(std::function<void(std::uint64_t lastCommittedSeq)> listener) = 0;
};

/// Up to `limit` stored events with seq > `afterSeq`, in seq order. Uses the caller's
/// connection (readers never share the writer's). Errors: Unavailable, Io, Internal (tables
/// missing). The caller's thread owns `session`.
base::Result<std::vector<StoredEvent>> readEvents(soci::session& session, std::uint64_t afterSeq,
                                                  std::size_t limit);

/// The seq of the first stored event with ts >= `t` (lastSeq + 1 when there is none), found by
/// binary search on seq: it assumes ts never decreases along seq, which holds up to a step back
/// of the wall clock (an event just after such a step may then be missed or included). For
/// replaying "today" at start-up. Errors as readEvents(). The caller's thread owns `session`.
base::Result<std::uint64_t> firstSeqAtOrAfter(soci::session& session, base::SysTime t);

}  // namespace bankcc::store
