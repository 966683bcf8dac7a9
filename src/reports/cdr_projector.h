// SPDX-License-Identifier: Apache-2.0
#pragma once

// Keeps the tables cdrs, cdr_segments and agent_state_intervals up to date with the event log
// (migration 0007): reads the events after the projection's checkpoint in batches, folds them
// (CdrFold, cdr.h) and commits each batch in ONE transaction that inserts the rows that became
// final and moves the checkpoint (`projections` row "cdrs": last_seq and the fold's open state).
// So a crash at any point neither loses nor repeats a row: what was not committed is folded
// again from the checkpoint by the next run.
//
// Threads: a CdrProjector is used by one thread at a time, with a session that thread owns.
// Errors: Unavailable / Io from the database (the caller retries later; the projector reloads
// its checkpoint first, since the failed batch may have left its fold ahead of the database),
// Corrupt when the saved state cannot be read (repair: delete the rows of the three tables and
// the projections row "cdrs"; the next run rebuilds them from the whole event log).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "reports/cdr.h"

namespace soci {
class session;
}

namespace bankcc::reports {

/// The projection's name in `projections`.
inline constexpr std::string_view kCdrProjectionName = "cdrs";

/// What one step() did.
struct ProjectorStep {
  std::size_t events = 0;      ///< events read (0: the projection is up to date)
  std::size_t cdrs = 0;        ///< CDR rows inserted
  std::size_t intervals = 0;   ///< interval rows inserted
  std::size_t duplicates = 0;  ///< rows already present (skipped; see cdr_projector.cc)
  std::uint64_t lastSeq = 0;   ///< the checkpoint after the step
};

class CdrProjector {
 public:
  /// Reads the checkpoint (none yet: from the first event). Errors as the file comment.
  static base::Result<CdrProjector> open(soci::session& session);

  /// Folds up to `batch` events after the checkpoint and commits them with the new checkpoint.
  /// `clock` stamps projections.updated_at. Errors as the file comment; after an error the
  /// next step starts from the committed checkpoint again.
  base::Result<ProjectorStep> step(soci::session& session, const base::Clock& clock,
                                   std::size_t batch = 1000);

  /// step() until the projection is up to date (an empty step). Returns the events folded.
  base::Result<std::uint64_t> catchUp(soci::session& session, const base::Clock& clock,
                                      std::size_t batch = 1000);

  /// The committed checkpoint.
  std::uint64_t lastSeq() const { return committedSeq_; }

  /// Tests: called inside the transaction after the rows are written, before the commit; an
  /// error aborts the step as a failing commit would.
  void setBeforeCommitForTest(std::function<base::Status()> hook) { beforeCommit_ = hook; }

 private:
  explicit CdrProjector(CdrFold fold, std::uint64_t seq)
      : fold_(std::move(fold)), committedSeq_(seq) {}

  CdrFold fold_;
  std::uint64_t committedSeq_ = 0;
  bool reload_ = false;  // the fold may be ahead of the database: read the checkpoint again
  std::function<base::Status()> beforeCommit_;
};

}  // namespace bankcc::reports
