// SPDX-License-Identifier: Apache-2.0
#include "reports/cdr_projector.h"

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <string>

#include "store/event_log.h"
#include "store/sql_error.h"
#include "store/transaction.h"

namespace bankcc::reports {

namespace {

long long micros(base::SysTime t) {
  return t.time_since_epoch().count();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ',';
    out += i;
  }
  return out;
}

// Rows are inserted with ON CONFLICT DO NOTHING (SQLite 3.24+ and PostgreSQL): the transaction
// with the checkpoint makes a repeat impossible for one log, so a conflict means a call id that
// arrived twice in the log (a bug elsewhere). Refusing it would stop the projection for good on
// one bad row; it is counted and logged instead.

/// Inserts one CDR and its segments; false when the call id is already there.
bool insertCdr(soci::session& s, const Cdr& c) {
  const std::string agents = joined(c.agents);
  const std::string recordings = joined(c.recordingIds);
  const long long epoch = static_cast<long long>(c.epoch);
  const long long arrived = micros(c.arrivedAt);
  const long long answered = c.answeredAt ? micros(*c.answeredAt) : 0;
  soci::indicator answeredInd = c.answeredAt ? soci::i_ok : soci::i_null;
  const std::string parent = c.parentCallId;
  soci::indicator parentInd = c.parentCallId.empty() ? soci::i_null : soci::i_ok;
  const long long ended = micros(c.endedAt);
  const long long wait = c.waitMs, talk = c.talkMs, hold = c.holdMs, wrap = c.wrapUpMs;
  const long long transfers = c.transfers;
  const long long firstSeq = static_cast<long long>(c.firstSeq);
  const long long lastSeq = static_cast<long long>(c.lastSeq);
  soci::statement st =
      (s.prepare << "INSERT INTO cdrs (call_id, parent_call_id, direction, origin_agent, epoch, "
                    "ani, dnis, trunk, arrived_at, answered_at, ended_at, end_cause, hung_up_by, "
                    "first_queue, answering_queue, answered_by, agents, wait_ms, talk_ms, "
                    "hold_ms, wrap_up_ms, transfers, recording_id, recording_ids, tier, outcome, "
                    "first_seq, last_seq) VALUES "
                    "(:call_id, :parent, :direction, :origin_agent, :epoch, :ani, :dnis, :trunk, "
                    ":arrived, :answered, :ended, :end_cause, :hung_up_by, :first_queue, "
                    ":answering_queue, :answered_by, :agents, :wait, :talk, :hold, :wrap, "
                    ":transfers, :recording_id, :recording_ids, :tier, :outcome, :first_seq, "
                    ":last_seq) "
                    "ON CONFLICT (call_id) DO NOTHING",
       soci::use(c.callId, "call_id"), soci::use(parent, parentInd, "parent"),
       soci::use(c.direction, "direction"), soci::use(c.originAgent, "origin_agent"),
       soci::use(epoch, "epoch"), soci::use(c.ani, "ani"), soci::use(c.dnis, "dnis"),
       soci::use(c.trunk, "trunk"), soci::use(arrived, "arrived"),
       soci::use(answered, answeredInd, "answered"), soci::use(ended, "ended"),
       soci::use(c.endCause, "end_cause"), soci::use(c.hungUpBy, "hung_up_by"),
       soci::use(c.firstQueue, "first_queue"), soci::use(c.answeringQueue, "answering_queue"),
       soci::use(c.answeredBy, "answered_by"), soci::use(agents, "agents"), soci::use(wait, "wait"),
       soci::use(talk, "talk"), soci::use(hold, "hold"), soci::use(wrap, "wrap"),
       soci::use(transfers, "transfers"), soci::use(c.recordingId, "recording_id"),
       soci::use(recordings, "recording_ids"), soci::use(c.tier, "tier"),
       soci::use(c.outcome, "outcome"), soci::use(firstSeq, "first_seq"),
       soci::use(lastSeq, "last_seq"));
  st.execute(true);
  if (st.get_affected_rows() == 0) return false;
  for (std::size_t i = 0; i < c.segments.size(); ++i) {
    const CdrSegment& g = c.segments[i];
    const long long ordinal = static_cast<long long>(i);
    const long long started = micros(g.startedAt);
    const long long endedAt = g.endedAt ? micros(*g.endedAt) : 0;
    soci::indicator endedInd = g.endedAt ? soci::i_ok : soci::i_null;
    // A fresh statement per row (SOCI re-execution of bound statements is not to be trusted on
    // PostgreSQL, TOOLCHAIN.md).
    s << "INSERT INTO cdr_segments (call_id, ordinal, kind, queue, agent_no, started_at, "
         "ended_at, detail) VALUES (:call_id, :ordinal, :kind, :queue, :agent_no, :started, "
         ":ended, :detail)",
        soci::use(c.callId, "call_id"), soci::use(ordinal, "ordinal"), soci::use(g.kind, "kind"),
        soci::use(g.queue, "queue"), soci::use(g.agentNo, "agent_no"),
        soci::use(started, "started"), soci::use(endedAt, endedInd, "ended"),
        soci::use(g.detail, "detail");
  }
  return true;
}

bool insertInterval(soci::session& s, const AgentStateInterval& i) {
  const long long startSeq = static_cast<long long>(i.startSeq);
  const long long endSeq = static_cast<long long>(i.endSeq);
  const long long started = micros(i.startedAt);
  const long long ended = micros(i.endedAt);
  const long long duration = i.durationMs;
  soci::indicator callInd = i.callId.empty() ? soci::i_null : soci::i_ok;
  soci::statement st =
      (s.prepare << "INSERT INTO agent_state_intervals (agent_no, start_seq, state, reason, "
                    "started_at, ended_at, duration_ms, call_id, end_cause, end_seq) VALUES "
                    "(:agent_no, :start_seq, :state, :reason, :started, :ended, :duration, "
                    ":call_id, :end_cause, :end_seq) ON CONFLICT (agent_no, start_seq) DO NOTHING",
       soci::use(i.agentNo, "agent_no"), soci::use(startSeq, "start_seq"),
       soci::use(i.state, "state"), soci::use(i.reason, "reason"), soci::use(started, "started"),
       soci::use(ended, "ended"), soci::use(duration, "duration"),
       soci::use(i.callId, callInd, "call_id"), soci::use(i.endCause, "end_cause"),
       soci::use(endSeq, "end_seq"));
  st.execute(true);
  return st.get_affected_rows() != 0;
}

/// The checkpoint as stored: {last_seq, state}; none before the first commit.
base::Result<std::optional<std::pair<std::uint64_t, std::string>>> readCheckpoint(
    soci::session& s) {
  using Checkpoint = std::optional<std::pair<std::uint64_t, std::string>>;
  return store::detail::guarded(
      s, "reading the CDR projection's checkpoint", [&]() -> base::Result<Checkpoint> {
        long long seq = 0;
        std::string state;
        const std::string name(kCdrProjectionName);
        s << "SELECT last_seq, state FROM projections WHERE name = :name", soci::into(seq),
            soci::into(state), soci::use(name, "name");
        if (!s.got_data()) return Checkpoint{};
        return Checkpoint{std::pair{static_cast<std::uint64_t>(seq), std::move(state)}};
      });
}

base::Result<CdrFold> foldFrom(const std::optional<std::pair<std::uint64_t, std::string>>& cp) {
  if (!cp) return CdrFold{};
  auto fold = CdrFold::loadState(cp->second);
  if (!fold.ok()) return std::move(fold).error();
  if (fold->lastSeq() != cp->first) {
    return base::err(base::Errc::Corrupt,
                     fmt::format("the CDR projection's checkpoint says seq {} but its state {}",
                                 cp->first, fold->lastSeq()));
  }
  return fold;
}

}  // namespace

base::Result<CdrProjector> CdrProjector::open(soci::session& session) {
  auto cp = readCheckpoint(session);
  if (!cp.ok()) return std::move(cp).error();
  auto fold = foldFrom(*cp);
  if (!fold.ok()) return std::move(fold).error();
  const std::uint64_t seq = fold->lastSeq();
  return CdrProjector(std::move(fold).value(), seq);
}

base::Result<ProjectorStep> CdrProjector::step(soci::session& session, const base::Clock& clock,
                                               std::size_t batch) {
  if (reload_) {
    auto fresh = open(session);
    if (!fresh.ok()) return std::move(fresh).error();
    fold_ = std::move(fresh->fold_);
    committedSeq_ = fresh->committedSeq_;
    reload_ = false;
  }
  auto events = store::readEvents(session, committedSeq_, batch);
  if (!events.ok()) return std::move(events).error();
  ProjectorStep result;
  result.lastSeq = committedSeq_;
  if (events->empty()) return result;

  // From here the fold runs ahead of the database until the commit succeeds.
  reload_ = true;
  for (const auto& e : *events) fold_.apply(e);
  const auto cdrs = fold_.takeCdrs();
  const auto intervals = fold_.takeIntervals();
  const std::string state = fold_.saveState();
  const long long lastSeq = static_cast<long long>(fold_.lastSeq());
  const long long now = micros(clock.now());
  const std::string name(kCdrProjectionName);

  auto committed = store::detail::guarded(
      session, "writing the CDR projection", [&]() -> base::Result<ProjectorStep> {
        auto tx = store::Transaction::begin(session);
        if (!tx.ok()) return std::move(tx).error();
        ProjectorStep r;
        r.events = events->size();
        for (const auto& c : cdrs) (insertCdr(session, c) ? r.cdrs : r.duplicates) += 1;
        for (const auto& i : intervals) {
          (insertInterval(session, i) ? r.intervals : r.duplicates) += 1;
        }
        session << "INSERT INTO projections (name, last_seq, state, updated_at) VALUES "
                   "(:name, :seq, :state, :now) ON CONFLICT (name) DO UPDATE SET "
                   "last_seq = excluded.last_seq, state = excluded.state, "
                   "updated_at = excluded.updated_at",
            soci::use(name, "name"), soci::use(lastSeq, "seq"), soci::use(state, "state"),
            soci::use(now, "now");
        if (beforeCommit_) BANKCC_TRY(beforeCommit_());
        BANKCC_TRY(tx->commit());
        r.lastSeq = static_cast<std::uint64_t>(lastSeq);
        return r;
      });
  if (!committed.ok()) return committed;
  reload_ = false;
  committedSeq_ = committed->lastSeq;
  if (committed->duplicates > 0) {
    spdlog::warn(
        "CDR projection: {} rows up to seq {} were already stored (a call id or agent "
        "interval repeated in the event log); kept the first",
        committed->duplicates, committedSeq_);
  }
  return committed;
}

base::Result<std::uint64_t> CdrProjector::catchUp(soci::session& session, const base::Clock& clock,
                                                  std::size_t batch) {
  std::uint64_t total = 0;
  for (;;) {
    auto st = step(session, clock, batch);
    if (!st.ok()) return std::move(st).error();
    if (st->events == 0) return total;
    total += st->events;
  }
}

}  // namespace bankcc::reports
