// SPDX-License-Identifier: Apache-2.0
#pragma once

// The CDR projection inside `bankcc serve`: a thread of its own that runs the projector
// (reports/cdr_projector.h) every second over what the event log committed since, and once
// more at shutdown after the event log flushed, so that the tables hold every call that ended
// before the stop.
//
// Threads: the projector and its database connection live on the runtime's thread; the
// constructor, stop() and lastSeq() are called from any other thread.
// Errors: a database that cannot be reached or written is logged (at most once a minute while
// it lasts) and retried at the next tick; the projector resumes from its committed checkpoint,
// so nothing is lost or repeated. A damaged checkpoint (Corrupt) is logged the same way and
// needs an operator (see cdr_projector.h).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "base/clock.h"
#include "store/database.h"

namespace bankcc::server {

class CdrRuntime {
 public:
  /// Starts the thread; its first run is at once. `database` and `clock` outlive the runtime.
  CdrRuntime(const store::Database& database, const base::Clock& clock,
             std::chrono::milliseconds period = std::chrono::seconds(1));
  /// stop().
  ~CdrRuntime();
  CdrRuntime(const CdrRuntime&) = delete;
  CdrRuntime& operator=(const CdrRuntime&) = delete;

  /// Runs the projector once more until it is up to date (or fails), then ends the thread.
  /// Call it after the event log stopped. Idempotent. Any thread but the runtime's.
  void stop();

  /// The committed checkpoint of the last successful run. Thread-safe.
  std::uint64_t lastSeq() const { return lastSeq_.load(); }

 private:
  void run();

  const store::Database& database_;
  const base::Clock& clock_;
  const std::chrono::milliseconds period_;
  std::atomic<std::uint64_t> lastSeq_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace bankcc::server
