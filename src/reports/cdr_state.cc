// SPDX-License-Identifier: Apache-2.0
// CdrFold's open state as JSON (the checkpoint of cdr_projector.h). Times are UTC microseconds
// since 1970, as in the tables. "v" versions the shape: a fold that meets a newer shape
// refuses it (Corrupt) rather than guess; an older shape it knows is read with the fields it
// lacks at their defaults.
//   v1  the first shape
//   v2  consults (decision 0018): per call parent_call_id, consult_segment, party_segment,
//       consult_target_type; a v1 state has no consult in it, so they are empty there
//   v3  calls agents place (decision 0020): per call direction, origin_agent, callee_agent; an
//       older state holds no placed call, so its calls are inbound, except its consults, whose
//       direction and origin agent follow from consult_target_type and ani as the fold sets
//       them (placedCallDirection, the consulting agent)

#include <nlohmann/json.hpp>

#include <exception>
#include <stdexcept>

#include "reports/cdr.h"

namespace bankcc::reports {

using json = nlohmann::json;

namespace {

constexpr int kStateVersion = 3;
constexpr int kOldestStateVersion = 1;

std::int64_t micros(base::SysTime t) {
  return t.time_since_epoch().count();
}
base::SysTime fromMicros(std::int64_t m) {
  return base::SysTime{std::chrono::microseconds{m}};
}

json optionalIndex(const std::optional<std::size_t>& i) {
  return i ? json(*i) : json(nullptr);
}
std::optional<std::size_t> readIndex(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<std::size_t>();
}

json segmentJson(const CdrSegment& s) {
  return json{{"kind", s.kind},
              {"queue", s.queue},
              {"agent_no", s.agentNo},
              {"started_at", micros(s.startedAt)},
              {"ended_at", s.endedAt ? json(micros(*s.endedAt)) : json(nullptr)},
              {"detail", s.detail}};
}

CdrSegment readSegment(const json& j) {
  CdrSegment s;
  s.kind = j.at("kind").get<std::string>();
  s.queue = j.at("queue").get<std::string>();
  s.agentNo = j.at("agent_no").get<std::string>();
  s.startedAt = fromMicros(j.at("started_at").get<std::int64_t>());
  if (!j.at("ended_at").is_null()) s.endedAt = fromMicros(j.at("ended_at").get<std::int64_t>());
  s.detail = j.at("detail").get<std::string>();
  return s;
}

json intervalJson(const AgentStateInterval& i) {
  return json{{"agent_no", i.agentNo}, {"state", i.state},
              {"reason", i.reason},    {"started_at", micros(i.startedAt)},
              {"call_id", i.callId},   {"start_seq", i.startSeq}};
}

AgentStateInterval readInterval(const json& j) {
  AgentStateInterval i;
  i.agentNo = j.at("agent_no").get<std::string>();
  i.state = j.at("state").get<std::string>();
  i.reason = j.at("reason").get<std::string>();
  i.startedAt = fromMicros(j.at("started_at").get<std::int64_t>());
  i.callId = j.at("call_id").get<std::string>();
  i.startSeq = j.at("start_seq").get<std::uint64_t>();
  return i;
}

}  // namespace

/// Reads and writes CdrFold's private members (a friend of CdrFold).
struct CdrFoldState {
  static json save(const CdrFold& f) {
    json calls = json::array();
    for (const auto& [id, c] : f.calls_) {
      const Cdr& d = c.cdr;
      json segments = json::array();
      for (const auto& s : d.segments) segments.push_back(segmentJson(s));
      json wrapUps = json::object();
      for (const auto& [agent, index] : c.wrapUps) wrapUps[agent] = index;
      calls.push_back(json{{"call_id", d.callId},
                           {"parent_call_id", d.parentCallId},
                           {"direction", d.direction},
                           {"origin_agent", d.originAgent},
                           {"epoch", d.epoch},
                           {"ani", d.ani},
                           {"dnis", d.dnis},
                           {"trunk", d.trunk},
                           {"arrived_at", micros(d.arrivedAt)},
                           {"answered_at", d.answeredAt ? json(micros(*d.answeredAt)) : json()},
                           {"ended_at", micros(d.endedAt)},
                           {"end_cause", d.endCause},
                           {"hung_up_by", d.hungUpBy},
                           {"first_queue", d.firstQueue},
                           {"answering_queue", d.answeringQueue},
                           {"answered_by", d.answeredBy},
                           {"agents", d.agents},
                           {"transfers", d.transfers},
                           {"recording_id", d.recordingId},
                           {"recording_ids", d.recordingIds},
                           {"tier", d.tier},
                           {"segments", std::move(segments)},
                           {"first_seq", d.firstSeq},
                           {"queue_segment", optionalIndex(c.queueSegment)},
                           {"agent_segment", optionalIndex(c.agentSegment)},
                           {"hold_segment", optionalIndex(c.holdSegment)},
                           {"consult_segment", optionalIndex(c.consultSegment)},
                           {"party_segment", optionalIndex(c.partySegment)},
                           {"wrap_ups", std::move(wrapUps)},
                           {"busy_agents", c.busyAgents},
                           {"fallback_reason", c.fallbackReason},
                           {"consult_target_type", c.consultTargetType},
                           {"callee_agent", c.calleeAgent},
                           {"ended", c.ended}});
    }
    json intervals = json::array();
    for (const auto& [agent, i] : f.intervals_) intervals.push_back(intervalJson(i));
    return json{{"v", kStateVersion},
                {"epoch", f.epoch_},
                {"last_seq", f.lastSeq_},
                {"skipped", f.skipped_},
                {"stopping_at", f.stoppingAt_ ? json(micros(*f.stoppingAt_)) : json()},
                {"calls", std::move(calls)},
                {"intervals", std::move(intervals)},
                {"agent_calls", f.agentCall_}};
  }

  static CdrFold load(const json& j) {
    const int version = j.at("v").get<int>();
    if (version < kOldestStateVersion || version > kStateVersion) {
      throw std::runtime_error("unknown state version");
    }
    CdrFold f;
    f.epoch_ = j.at("epoch").get<std::uint64_t>();
    f.lastSeq_ = j.at("last_seq").get<std::uint64_t>();
    f.skipped_ = j.at("skipped").get<std::uint64_t>();
    if (!j.at("stopping_at").is_null()) {
      f.stoppingAt_ = fromMicros(j.at("stopping_at").get<std::int64_t>());
    }
    for (const auto& cj : j.at("calls")) {
      CdrFold::OpenCall c;
      Cdr& d = c.cdr;
      d.callId = cj.at("call_id").get<std::string>();
      if (version >= 2) d.parentCallId = cj.at("parent_call_id").get<std::string>();
      d.epoch = cj.at("epoch").get<std::uint64_t>();
      d.ani = cj.at("ani").get<std::string>();
      d.dnis = cj.at("dnis").get<std::string>();
      d.trunk = cj.at("trunk").get<std::string>();
      d.arrivedAt = fromMicros(cj.at("arrived_at").get<std::int64_t>());
      if (!cj.at("answered_at").is_null()) {
        d.answeredAt = fromMicros(cj.at("answered_at").get<std::int64_t>());
      }
      d.endedAt = fromMicros(cj.at("ended_at").get<std::int64_t>());
      d.endCause = cj.at("end_cause").get<std::string>();
      d.hungUpBy = cj.at("hung_up_by").get<std::string>();
      d.firstQueue = cj.at("first_queue").get<std::string>();
      d.answeringQueue = cj.at("answering_queue").get<std::string>();
      d.answeredBy = cj.at("answered_by").get<std::string>();
      d.agents = cj.at("agents").get<std::vector<std::string>>();
      d.transfers = cj.at("transfers").get<std::int64_t>();
      d.recordingId = cj.at("recording_id").get<std::string>();
      // States saved before the list existed knew the first recording only.
      if (cj.contains("recording_ids")) {
        d.recordingIds = cj.at("recording_ids").get<std::vector<std::string>>();
      } else if (!d.recordingId.empty()) {
        d.recordingIds = {d.recordingId};
      }
      d.tier = cj.at("tier").get<std::string>();
      for (const auto& sj : cj.at("segments")) d.segments.push_back(readSegment(sj));
      d.firstSeq = cj.at("first_seq").get<std::uint64_t>();
      c.queueSegment = readIndex(cj.at("queue_segment"));
      c.agentSegment = readIndex(cj.at("agent_segment"));
      c.holdSegment = readIndex(cj.at("hold_segment"));
      if (version >= 2) {
        c.consultSegment = readIndex(cj.at("consult_segment"));
        c.partySegment = readIndex(cj.at("party_segment"));
        c.consultTargetType = cj.at("consult_target_type").get<std::string>();
      }
      if (version >= 3) {
        d.direction = cj.at("direction").get<std::string>();
        d.originAgent = cj.at("origin_agent").get<std::string>();
        c.calleeAgent = cj.at("callee_agent").get<std::string>();
      } else if (!d.parentCallId.empty()) {
        d.direction = std::string(placedCallDirection(c.consultTargetType));
        d.originAgent = d.ani;  // a consult's ani is the consulting agent
      }
      c.wrapUps = cj.at("wrap_ups").get<std::map<std::string, std::size_t>>();
      c.busyAgents = cj.at("busy_agents").get<std::set<std::string>>();
      c.fallbackReason = cj.at("fallback_reason").get<std::string>();
      c.ended = cj.at("ended").get<bool>();
      // Indexes point into the segments: a state that says otherwise is not ours.
      const std::size_t n = d.segments.size();
      for (const auto& i :
           {c.queueSegment, c.agentSegment, c.holdSegment, c.consultSegment, c.partySegment}) {
        if (i && *i >= n) throw std::runtime_error("segment index out of range");
      }
      for (const auto& [agent, i] : c.wrapUps) {
        if (i >= n) throw std::runtime_error("segment index out of range");
      }
      const std::string id = d.callId;
      f.calls_.emplace(id, std::move(c));
    }
    for (const auto& ij : j.at("intervals")) {
      auto i = readInterval(ij);
      const std::string agent = i.agentNo;
      f.intervals_.emplace(agent, std::move(i));
    }
    f.agentCall_ = j.at("agent_calls").get<std::map<std::string, std::string>>();
    return f;
  }
};

std::string CdrFold::saveState() const {
  // Event text is clean UTF-8 already (events/json.h); replace rather than throw regardless.
  return CdrFoldState::save(*this).dump(-1, ' ', false, json::error_handler_t::replace);
}

base::Result<CdrFold> CdrFold::loadState(std::string_view text) {
  try {
    return CdrFoldState::load(json::parse(text));
  } catch (const std::exception& e) {
    return base::err(base::Errc::Corrupt,
                     std::string("the CDR projection's saved state cannot be read: ") + e.what());
  }
}

}  // namespace bankcc::reports
