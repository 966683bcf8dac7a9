// SPDX-License-Identifier: Apache-2.0
#include "reports/cdr_query.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <charconv>
#include <string_view>
#include <vector>

#include "store/sql_error.h"

namespace bankcc::reports {

namespace {

long long micros(base::SysTime t) {
  return t.time_since_epoch().count();
}
base::SysTime fromMicros(long long m) {
  return base::SysTime{std::chrono::microseconds{m}};
}

// --- cursors: "<tag>|<micros>|<key>" hex-encoded, so that clients treat them as opaque.

std::string hexEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

std::optional<std::string> hexDecode(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 2, value, 16);
    if (ec != std::errc() || p != s.data() + i + 2) return std::nullopt;
    out += static_cast<char>(value);
  }
  return out;
}

struct CursorKey {
  long long at = 0;
  std::string key;
};

std::string encodeCursor(std::string_view tag, long long at, std::string_view key) {
  return hexEncode(fmt::format("{}|{}|{}", tag, at, key));
}

/// nullopt for an empty cursor; BadRequest when it is not one of `tag`.
base::Result<std::optional<CursorKey>> decodeCursor(std::string_view tag, std::string_view cursor) {
  if (cursor.empty()) return std::optional<CursorKey>{};
  const auto bad = base::err(base::Errc::BadRequest, "cursor: not a cursor of this list");
  if (cursor.size() > 1024) return bad;
  auto text = hexDecode(cursor);
  if (!text) return bad;
  const std::string_view t(*text);
  const auto first = t.find('|');
  if (first == std::string_view::npos || t.substr(0, first) != tag) return bad;
  const auto second = t.find('|', first + 1);
  if (second == std::string_view::npos) return bad;
  CursorKey k;
  const auto num = t.substr(first + 1, second - first - 1);
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), k.at);
  if (ec != std::errc() || p != num.data() + num.size()) return bad;
  k.key = std::string(t.substr(second + 1));
  return std::optional<CursorKey>{std::move(k)};
}

base::Result<int> checkLimit(int limit) {
  if (limit < 1 || limit > store::kMaxPageLimit) {
    return base::err(base::Errc::ValidationFailed,
                     fmt::format("limit: must be between 1 and {}", store::kMaxPageLimit));
  }
  return limit;
}

constexpr std::string_view kCdrColumns =
    "call_id, parent_call_id, direction, origin_agent, epoch, ani, dnis, trunk, arrived_at, "
    "answered_at, ended_at, "
    "end_cause, hung_up_by, first_queue, answering_queue, answered_by, agents, wait_ms, talk_ms, "
    "hold_ms, wrap_up_ms, transfers, recording_id, recording_ids, tier, outcome, first_seq, "
    "last_seq";

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    auto end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Rows are read into typed variables (never soci::row): SQLite describes INTEGER columns as
// int, and a row would cut microsecond times to 32 bits.

/// The columns of kCdrColumns, in order.
struct CdrRow {
  std::string callId, parent, direction, originAgent, ani, dnis, trunk, endCause, hungUpBy,
      firstQueue, answeringQueue, answeredBy, agents, recordingId, recordingIds, tier, outcome;
  long long epoch = 0, arrived = 0, answered = 0, ended = 0, wait = 0, talk = 0, hold = 0, wrap = 0,
            transfers = 0, firstSeq = 0, lastSeq = 0;
  soci::indicator parentInd{}, answeredInd{};

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(callId), soci::into(parent, parentInd), soci::into(direction),
        soci::into(originAgent), soci::into(epoch), soci::into(ani), soci::into(dnis),
        soci::into(trunk), soci::into(arrived), soci::into(answered, answeredInd),
        soci::into(ended), soci::into(endCause), soci::into(hungUpBy), soci::into(firstQueue),
        soci::into(answeringQueue), soci::into(answeredBy), soci::into(agents), soci::into(wait),
        soci::into(talk), soci::into(hold), soci::into(wrap), soci::into(transfers),
        soci::into(recordingId), soci::into(recordingIds), soci::into(tier), soci::into(outcome),
        soci::into(firstSeq), soci::into(lastSeq);
  }

  Cdr toCdr() const {
    Cdr c;
    c.callId = callId;
    if (parentInd == soci::i_ok) c.parentCallId = parent;
    c.direction = direction;
    c.originAgent = originAgent;
    c.epoch = static_cast<std::uint64_t>(epoch);
    c.ani = ani;
    c.dnis = dnis;
    c.trunk = trunk;
    c.arrivedAt = fromMicros(arrived);
    if (answeredInd == soci::i_ok) c.answeredAt = fromMicros(answered);
    c.endedAt = fromMicros(ended);
    c.endCause = endCause;
    c.hungUpBy = hungUpBy;
    c.firstQueue = firstQueue;
    c.answeringQueue = answeringQueue;
    c.answeredBy = answeredBy;
    c.agents = split(agents);
    c.waitMs = wait;
    c.talkMs = talk;
    c.holdMs = hold;
    c.wrapUpMs = wrap;
    c.transfers = transfers;
    c.recordingId = recordingId;
    c.recordingIds = split(recordingIds);
    c.tier = tier;
    c.outcome = outcome;
    c.firstSeq = static_cast<std::uint64_t>(firstSeq);
    c.lastSeq = static_cast<std::uint64_t>(lastSeq);
    return c;
  }
};

/// Reads every row of `p` (kCdrColumns) and then their segments. Throws soci errors: inside
/// guarded().
std::vector<Cdr> readCdrs(soci::details::prepare_temp_type& p) {
  CdrRow row;
  row.bind(p);
  soci::statement st(p);
  st.execute();
  std::vector<Cdr> out;
  while (st.fetch()) out.push_back(row.toCdr());
  return out;
}

/// Throws soci errors: inside guarded().
void loadSegments(soci::session& s, Cdr& c) {
  std::string kind, queue, agentNo, detail;
  long long started = 0, ended = 0;
  soci::indicator endedInd{};
  soci::statement st =
      (s.prepare << "SELECT kind, queue, agent_no, started_at, ended_at, detail "
                    "FROM cdr_segments WHERE call_id = :id ORDER BY ordinal",
       soci::into(kind), soci::into(queue), soci::into(agentNo), soci::into(started),
       soci::into(ended, endedInd), soci::into(detail), soci::use(c.callId, "id"));
  st.execute();
  while (st.fetch()) {
    CdrSegment g{kind, queue, agentNo, fromMicros(started), std::nullopt, detail};
    if (endedInd == soci::i_ok) g.endedAt = fromMicros(ended);
    c.segments.push_back(std::move(g));
  }
}

// --- team scope (decision 0028): the agents whose team (agents.team_id, as it is now) is one of
// the scope's team codes. Each use of the list binds its own names (":<prefix><i>"): one value
// per name, as everywhere in this file.

std::string teamPlaceholders(std::string_view prefix, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += fmt::format("{}:{}{}", i ? ", " : "", prefix, i);
  return out;
}

/// A subquery: the agent numbers of the `n` teams bound by bindTeams(`prefix`).
std::string teamAgents(std::string_view prefix, std::size_t n) {
  return fmt::format(
      "SELECT a.agent_no FROM agents a JOIN teams t ON t.id = a.team_id WHERE t.code IN ({})",
      teamPlaceholders(prefix, n));
}

/// The condition on a row of `cdrs` (as CdrQuery::agent): an agent of the `n` teams placed the
/// call or answered it (an agent segment). Bound by bindTeams("team_o") and bindTeams("team_s").
std::string cdrInTeams(std::size_t n) {
  return fmt::format(
      " AND (origin_agent IN ({}) OR EXISTS (SELECT 1 FROM cdr_segments s WHERE s.call_id = "
      "cdrs.call_id AND s.kind = 'agent' AND s.agent_no IN ({})))",
      teamAgents("team_o", n), teamAgents("team_s", n));
}

void bindTeams(soci::details::prepare_temp_type& p, std::string_view prefix,
               const std::vector<std::string>& teams) {
  for (std::size_t i = 0; i < teams.size(); ++i) {
    p, soci::use(teams[i], fmt::format("{}{}", prefix, i));
  }
}

/// True when `scope` admits nothing: the query need not run.
bool scopeIsEmpty(const TeamScope& scope) {
  return scope && scope->empty();
}

}  // namespace

base::Result<store::Page<Cdr>> listCdrs(soci::session& session, const CdrQuery& query) {
  auto limit = checkLimit(query.limit);
  if (!limit.ok()) return std::move(limit).error();
  auto cursor = decodeCursor("cdr", query.cursor);
  if (!cursor.ok()) return std::move(cursor).error();
  // After the checks: a bad cursor is an error whatever the scope.
  if (scopeIsEmpty(query.teams)) return store::Page<Cdr>{};

  // Only fixed fragments are appended; every value is bound.
  std::string sql = fmt::format(
      "SELECT {} FROM cdrs WHERE arrived_at >= :from AND arrived_at < :to", kCdrColumns);
  if (*cursor) {
    sql += " AND (arrived_at < :c_at1 OR (arrived_at = :c_at2 AND call_id < :c_id))";
  }
  // A prefix is the byte range [p, p with its last byte + 1): both backends compare ani
  // byte-wise (PostgreSQL: COLLATE "C"). No LIKE: '_' and '%' would be wildcards.
  std::string callerEnd = query.caller;
  const bool prefix = query.callerPrefix && !query.caller.empty() &&
                      static_cast<unsigned char>(query.caller.back()) < 0x7F;
  if (prefix) {
    callerEnd.back() = static_cast<char>(callerEnd.back() + 1);
    sql += " AND ani >= :caller AND ani < :caller_end";
  } else if (!query.caller.empty()) {
    sql += " AND ani = :caller";
  }
  if (!query.agent.empty()) {
    // Answered (any agent segment) or placed (origin_agent: also the calls nobody answered).
    sql +=
        " AND (origin_agent = :agent_origin OR EXISTS (SELECT 1 FROM cdr_segments s WHERE "
        "s.agent_no = :agent AND s.call_id = cdrs.call_id AND s.kind = 'agent'))";
  }
  if (!query.direction.empty()) sql += " AND direction = :direction";
  if (query.teams) sql += cdrInTeams(query.teams->size());
  if (!query.queue.empty()) {
    sql +=
        " AND EXISTS (SELECT 1 FROM cdr_segments s WHERE s.queue = :queue AND "
        "s.call_id = cdrs.call_id AND s.kind = 'queue')";
  }
  sql += " ORDER BY arrived_at DESC, call_id DESC LIMIT :limit";

  return store::detail::guarded(session, "listing CDRs", [&]() -> base::Result<store::Page<Cdr>> {
    const long long from = micros(query.from);
    const long long to = micros(query.to);
    const long long fetch = *limit + 1;
    const long long cAt = *cursor ? (*cursor)->at : 0;
    const std::string cId = *cursor ? (*cursor)->key : std::string();
    soci::details::prepare_temp_type p = (session.prepare << sql);
    p, soci::use(from, "from"), soci::use(to, "to");
    if (*cursor) p, soci::use(cAt, "c_at1"), soci::use(cAt, "c_at2"), soci::use(cId, "c_id");
    if (!query.caller.empty()) p, soci::use(query.caller, "caller");
    if (prefix) p, soci::use(callerEnd, "caller_end");
    if (!query.agent.empty()) {
      p, soci::use(query.agent, "agent_origin"), soci::use(query.agent, "agent");
    }
    if (!query.direction.empty()) p, soci::use(query.direction, "direction");
    if (query.teams) {
      bindTeams(p, "team_o", *query.teams);
      bindTeams(p, "team_s", *query.teams);
    }
    if (!query.queue.empty()) p, soci::use(query.queue, "queue");
    p, soci::use(fetch, "limit");
    std::vector<Cdr> items = readCdrs(p);
    store::Page<Cdr> page;
    if (items.size() > static_cast<std::size_t>(*limit)) {
      items.resize(static_cast<std::size_t>(*limit));
      page.nextCursor = encodeCursor("cdr", micros(items.back().arrivedAt), items.back().callId);
    }
    for (auto& c : items) loadSegments(session, c);
    page.items = std::move(items);
    return page;
  });
}

base::Result<std::optional<Cdr>> findCdr(soci::session& session, const std::string& callId,
                                         const TeamScope& teams) {
  if (scopeIsEmpty(teams)) return std::optional<Cdr>{};
  std::string sql = fmt::format("SELECT {} FROM cdrs WHERE call_id = :id", kCdrColumns);
  if (teams) sql += cdrInTeams(teams->size());
  return store::detail::guarded(
      session, "reading a CDR", [&]() -> base::Result<std::optional<Cdr>> {
        soci::details::prepare_temp_type p = (session.prepare << sql, soci::use(callId, "id"));
        if (teams) {
          bindTeams(p, "team_o", *teams);
          bindTeams(p, "team_s", *teams);
        }
        auto rows = readCdrs(p);
        if (rows.empty()) return std::optional<Cdr>{};
        loadSegments(session, rows.front());
        return std::optional<Cdr>{std::move(rows.front())};
      });
}

base::Result<store::Page<AgentStateInterval>> listAgentStateIntervals(soci::session& session,
                                                                      const IntervalQuery& query) {
  auto limit = checkLimit(query.limit);
  if (!limit.ok()) return std::move(limit).error();
  auto cursor = decodeCursor("asi", query.cursor);
  if (!cursor.ok()) return std::move(cursor).error();
  // The cursor's key is "<agent>|<start_seq>": agent numbers hold no '|' (org_agents.h checks
  // them), and start_seq is a number; both are checked here anyway.
  std::string cAgent;
  long long cSeq = 0;
  if (*cursor) {
    const auto& key = (*cursor)->key;
    const auto bar = key.rfind('|');
    if (bar == std::string::npos) {
      return base::err(base::Errc::BadRequest, "cursor: not a cursor of this list");
    }
    cAgent = key.substr(0, bar);
    const std::string_view num(key.data() + bar + 1, key.size() - bar - 1);
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), cSeq);
    if (ec != std::errc() || p != num.data() + num.size()) {
      return base::err(base::Errc::BadRequest, "cursor: not a cursor of this list");
    }
  }
  if (scopeIsEmpty(query.teams)) return store::Page<AgentStateInterval>{};
  std::string sql =
      "SELECT agent_no, start_seq, state, reason, started_at, ended_at, duration_ms, call_id, "
      "end_cause, end_seq FROM agent_state_intervals WHERE started_at >= :from AND "
      "started_at < :to";
  if (!query.agent.empty()) sql += " AND agent_no = :agent";
  if (query.teams)
    sql += fmt::format(" AND agent_no IN ({})", teamAgents("team", query.teams->size()));
  if (*cursor) {
    sql +=
        " AND (started_at > :c_at1 OR (started_at = :c_at2 AND (agent_no > :c_agent1 OR "
        "(agent_no = :c_agent2 AND start_seq > :c_seq))))";
  }
  sql += " ORDER BY started_at, agent_no, start_seq LIMIT :limit";
  return store::detail::guarded(
      session, "listing agent state intervals",
      [&]() -> base::Result<store::Page<AgentStateInterval>> {
        const long long from = micros(query.from);
        const long long to = micros(query.to);
        const long long fetch = *limit + 1;
        const long long cAt = *cursor ? (*cursor)->at : 0;
        soci::details::prepare_temp_type p = (session.prepare << sql);
        p, soci::use(from, "from"), soci::use(to, "to");
        if (!query.agent.empty()) p, soci::use(query.agent, "agent");
        if (query.teams) bindTeams(p, "team", *query.teams);
        if (*cursor) {
          p, soci::use(cAt, "c_at1"), soci::use(cAt, "c_at2"), soci::use(cAgent, "c_agent1"),
              soci::use(cAgent, "c_agent2"), soci::use(cSeq, "c_seq");
        }
        p, soci::use(fetch, "limit");
        std::string agentNo, state, reason, callId, endCause;
        long long startSeq = 0, started = 0, ended = 0, duration = 0, endSeq = 0;
        soci::indicator callInd{};
        p, soci::into(agentNo), soci::into(startSeq), soci::into(state), soci::into(reason),
            soci::into(started), soci::into(ended), soci::into(duration),
            soci::into(callId, callInd), soci::into(endCause), soci::into(endSeq);
        soci::statement st(p);
        st.execute();
        std::vector<AgentStateInterval> items;
        while (st.fetch()) {
          items.push_back(
              AgentStateInterval{.agentNo = agentNo,
                                 .state = state,
                                 .reason = reason,
                                 .startedAt = fromMicros(started),
                                 .endedAt = fromMicros(ended),
                                 .durationMs = duration,
                                 .callId = callInd == soci::i_ok ? callId : std::string(),
                                 .endCause = endCause,
                                 .startSeq = static_cast<std::uint64_t>(startSeq),
                                 .endSeq = static_cast<std::uint64_t>(endSeq)});
        }
        store::Page<AgentStateInterval> page;
        if (items.size() > static_cast<std::size_t>(*limit)) {
          items.resize(static_cast<std::size_t>(*limit));
          const auto& last = items.back();
          page.nextCursor = encodeCursor("asi", micros(last.startedAt),
                                         fmt::format("{}|{}", last.agentNo, last.startSeq));
        }
        page.items = std::move(items);
        return page;
      });
}

}  // namespace bankcc::reports
