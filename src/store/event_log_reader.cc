// SPDX-License-Identifier: Apache-2.0
#include <soci/soci.h>

#include "store/event_log.h"
#include "store/sql_error.h"

namespace bankcc::store {

base::Result<std::vector<StoredEvent>> readEvents(soci::session& session, std::uint64_t afterSeq,
                                                  std::size_t limit) {
  return detail::guarded(
      session, "reading the event log", [&]() -> base::Result<std::vector<StoredEvent>> {
        std::vector<StoredEvent> out;
        if (limit == 0) return out;
        out.reserve(std::min<std::size_t>(limit, 4096));
        long long seq = 0, epoch = 0, ts = 0;
        std::string type, callId, agentId, queueId, payload, requestId;
        soci::indicator callInd{}, agentInd{}, queueInd{}, requestInd{};
        const auto after = static_cast<long long>(afterSeq);
        const auto lim = static_cast<long long>(limit);
        soci::statement st =
            (session.prepare << "SELECT seq, epoch, ts, type, call_id, agent_id, queue_id, "
                                "payload, request_id FROM events "
                                "WHERE seq > :after ORDER BY seq LIMIT :lim",
             soci::into(seq), soci::into(epoch), soci::into(ts), soci::into(type),
             soci::into(callId, callInd), soci::into(agentId, agentInd),
             soci::into(queueId, queueInd), soci::into(payload), soci::into(requestId, requestInd),
             soci::use(after), soci::use(lim));
        st.execute();
        while (st.fetch()) {
          StoredEvent e;
          e.seq = static_cast<std::uint64_t>(seq);
          e.epoch = static_cast<std::uint64_t>(epoch);
          e.ts = base::SysTime{base::Duration{ts}};
          e.type = type;
          if (callInd == soci::i_ok) e.callId = callId;
          if (agentInd == soci::i_ok) e.agentId = agentId;
          if (queueInd == soci::i_ok) e.queueId = queueId;
          e.payload = payload;
          if (requestInd == soci::i_ok) e.requestId = requestId;
          out.push_back(std::move(e));
        }
        return out;
      });
}

base::Result<std::uint64_t> firstSeqAtOrAfter(soci::session& session, base::SysTime t) {
  return detail::guarded(session, "searching the event log", [&]() -> base::Result<std::uint64_t> {
    long long lo = 0, hi = 0;
    soci::indicator loInd{}, hiInd{};
    session << "SELECT MIN(seq), MAX(seq) FROM events", soci::into(lo, loInd),
        soci::into(hi, hiInd);
    if (loInd != soci::i_ok || hiInd != soci::i_ok) return std::uint64_t{1};  // empty log
    const long long target = t.time_since_epoch().count();
    // Invariant: every seq < lo is before `t`; the answer is in [lo, hi + 1].
    ++hi;
    while (lo < hi) {
      const long long mid = lo + (hi - lo) / 2;
      long long seq = 0, ts = 0;
      // The first stored seq at or after `mid` (seqs have no gaps, but do not rely on it).
      soci::statement st =
          (session.prepare << "SELECT seq, ts FROM events WHERE seq >= :mid ORDER BY seq LIMIT 1",
           soci::into(seq), soci::into(ts), soci::use(mid));
      const bool found = st.execute(true);
      if (!found || ts >= target) {
        hi = mid;
      } else {
        lo = seq + 1;
      }
    }
    return static_cast<std::uint64_t>(lo);
  });
}

}  // namespace bankcc::store
