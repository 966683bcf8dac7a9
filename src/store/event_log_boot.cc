// SPDX-License-Identifier: Apache-2.0
#include "store/event_log_boot.h"

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "store/event_log_queue.h"
#include "store/sql_error.h"

namespace bankcc::store::detail {

using base::Errc;

base::Result<std::uint64_t> replayAll(SpillFile& spill, detail::EventSink& sink,
                                      std::size_t maxBatch, const Database& db) {
  std::uint64_t replayed = 0, inserted = 0;
  std::vector<EventRowView> views;
  while (!spill.empty()) {
    auto records = spill.peek(maxBatch);
    if (!records.ok()) return std::move(records).error();
    if (records->empty()) break;  // the rest was set aside as corrupt
    const auto rows = RowBatch::views(*records, views);
    auto n = sink.insertIdempotent(rows);
    if (!n.ok()) {
      return base::err(n.error().code,
                       fmt::format("replaying spill file {} into {}: {}", spill.path().string(),
                                   db.describe(), n.error().message));
    }
    BANKCC_TRY(spill.consume(records->size()));
    replayed += records->size();
    inserted += *n;
  }
  if (replayed != 0) {
    spdlog::info("event log: replayed {} events from spill file {} ({} were stored already)",
                 replayed, spill.path().string(), replayed - inserted);
  }
  return replayed;
}

base::Result<std::uint64_t> lastStoredSeq(soci::session& session) {
  return detail::guarded(session, "reading the last event seq",
                         [&]() -> base::Result<std::uint64_t> {
                           long long seq = 0;
                           session << "SELECT COALESCE(MAX(seq), 0) FROM events", soci::into(seq);
                           return static_cast<std::uint64_t>(seq);
                         });
}

base::Result<std::uint64_t> newEpoch(soci::session& session, const EventLogConfig& config,
                                     const base::Clock& clock) {
  base::Error last = base::err(Errc::Internal, "no attempt");
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto r = detail::guarded(session, "starting a new epoch", [&]() -> base::Result<std::uint64_t> {
      long long epoch = 0;
      session << "SELECT COALESCE(MAX(epoch), 0) + 1 FROM boots", soci::into(epoch);
      const long long startedAt = clock.now().time_since_epoch().count();
      session << "INSERT INTO boots (epoch, started_at, version, node) VALUES (:e, :s, :v, :n)",
          soci::use(epoch), soci::use(startedAt), soci::use(config.version), soci::use(config.node);
      return static_cast<std::uint64_t>(epoch);
    });
    if (r.ok() || r.error().code != Errc::Conflict) return r;
    last = std::move(r).error();
  }
  return last;
}

}  // namespace bankcc::store::detail
