// SPDX-License-Identifier: Apache-2.0
#include "reports/kpi.h"

#include <algorithm>
#include <type_traits>
#include <utility>

namespace bankcc::reports {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

/// Whole milliseconds since the Unix epoch (floor): differences of these add up exactly when a
/// span is cut in pieces.
std::int64_t epochMs(SysTime t) {
  return std::chrono::floor<milliseconds>(t.time_since_epoch()).count();
}

std::int64_t spanMs(SysTime from, SysTime to) {
  return to > from ? epochMs(to) - epochMs(from) : 0;
}

std::optional<double> ratio(double num, double den) {
  if (den <= 0) return std::nullopt;
  return num / den;
}

const std::string& orEnvelope(const std::string& payloadValue, const std::string& envelope) {
  return payloadValue.empty() ? envelope : payloadValue;
}

}  // namespace

std::string_view serviceLevelVariantName(ServiceLevelVariant v) {
  switch (v) {
    case ServiceLevelVariant::IgnoreAbandons:
      return "ignore_abandons";
    case ServiceLevelVariant::AbandonsAgainst:
      return "abandons_against";
    case ServiceLevelVariant::AbandonsInFavour:
      return "abandons_in_favour";
  }
  return "abandons_against";
}

QueueCounters& QueueCounters::operator+=(const QueueCounters& o) {
  joined += o.joined;
  answered += o.answered;
  answeredWithinT += o.answeredWithinT;
  abandoned += o.abandoned;
  shortAbandoned += o.shortAbandoned;
  shortAbandonedWithinT += o.shortAbandonedWithinT;
  abandonedWithinT += o.abandonedWithinT;
  timedOut += o.timedOut;
  overflowed += o.overflowed;
  removed += o.removed;
  refused += o.refused;
  transfersOut += o.transfersOut;
  handled += o.handled;
  answeredWaitMs += o.answeredWaitMs;
  abandonedWaitMs += o.abandonedWaitMs;
  shortAbandonedWaitMs += o.shortAbandonedWaitMs;
  maxWaitMs = std::max(maxWaitMs, o.maxWaitMs);
  talkMs += o.talkMs;
  holdMs += o.holdMs;
  wrapUpMs += o.wrapUpMs;
  return *this;
}

AgentCounters& AgentCounters::operator+=(const AgentCounters& o) {
  handled += o.handled;
  onCallMs += o.onCallMs;
  holdMs += o.holdMs;
  wrapUpMs += o.wrapUpMs;
  readyMs += o.readyMs;
  reservedMs += o.reservedMs;
  notReadyMs += o.notReadyMs;
  for (const auto& [reason, ms] : o.notReadyByReasonMs) notReadyByReasonMs[reason] += ms;
  transfers += o.transfers;
  consults += o.consults;
  outbound += o.outbound;
  outboundAnswered += o.outboundAnswered;
  internalCalls += o.internalCalls;
  return *this;
}

QueueKpis computeQueueKpis(const QueueCounters& c, const QueueKpiSettings& s,
                           bool excludeShortAbandons) {
  QueueKpis k;
  k.counters = c;
  if (excludeShortAbandons) {
    k.offered = c.joined - c.shortAbandoned;
    k.abandoned = c.abandoned - c.shortAbandoned;
    k.abandonedWithinT = c.abandonedWithinT;
  } else {
    k.offered = c.joined;
    k.abandoned = c.abandoned;
    k.abandonedWithinT = c.abandonedWithinT + c.shortAbandonedWithinT;
  }
  k.abandonedAfterT = k.abandoned - k.abandonedWithinT;
  const auto a = static_cast<double>(c.answered);
  const auto aT = static_cast<double>(c.answeredWithinT);
  k.serviceLevelIgnoreAbandons = ratio(aT, a);
  k.serviceLevelAbandonsAgainst = ratio(aT, a + static_cast<double>(k.abandonedAfterT));
  k.serviceLevelAbandonsInFavour =
      ratio(aT + static_cast<double>(k.abandonedWithinT), a + static_cast<double>(k.abandoned));
  switch (s.variant) {
    case ServiceLevelVariant::IgnoreAbandons:
      k.serviceLevel = k.serviceLevelIgnoreAbandons;
      break;
    case ServiceLevelVariant::AbandonsAgainst:
      k.serviceLevel = k.serviceLevelAbandonsAgainst;
      break;
    case ServiceLevelVariant::AbandonsInFavour:
      k.serviceLevel = k.serviceLevelAbandonsInFavour;
      break;
  }
  k.asaMs = ratio(static_cast<double>(c.answeredWaitMs), a);
  const std::int64_t abandonWait =
      c.abandonedWaitMs + (excludeShortAbandons ? 0 : c.shortAbandonedWaitMs);
  k.averageWaitMs = ratio(static_cast<double>(c.answeredWaitMs + abandonWait),
                          a + static_cast<double>(k.abandoned));
  k.abandonmentRate = ratio(static_cast<double>(k.abandoned), static_cast<double>(k.offered));
  k.ahtMs =
      ratio(static_cast<double>(c.talkMs + c.holdMs + c.wrapUpMs), static_cast<double>(c.handled));
  return k;
}

AgentKpis computeAgentKpis(const AgentCounters& c) {
  AgentKpis k;
  k.counters = c;
  const auto handle = static_cast<double>(c.onCallMs + c.wrapUpMs);
  k.occupancy = ratio(handle, handle + static_cast<double>(c.readyMs));
  k.ahtMs = ratio(handle, static_cast<double>(c.handled));
  return k;
}

KpiFold::QueueStay* KpiFold::CallRecord::stay(std::string_view queue) {
  for (auto& s : stays) {
    if (s.queue == queue) return &s;
  }
  return nullptr;
}

KpiFold::KpiFold(KpiOptions options) : options_(std::move(options)) {
  if (options_.interval <= std::chrono::minutes::zero())
    options_.interval = std::chrono::minutes(15);
}

void KpiFold::setQueueSettings(const std::string& queue, QueueKpiSettings settings) {
  settings_[queue] = settings;
}

const QueueKpiSettings& KpiFold::queueSettings(std::string_view queue) const {
  auto it = settings_.find(queue);
  return it == settings_.end() ? options_.defaultQueue : it->second;
}

bool KpiFold::knowsQueue(std::string_view queue) const {
  return queues_.contains(queue) || settings_.contains(queue);
}

bool KpiFold::knowsAgent(std::string_view agentNo) const {
  return agents_.contains(agentNo);
}

KpiFold::Interval KpiFold::intervalOf(SysTime t) const {
  if (t >= cached_.start && t < cached_.end) return cached_;
  const auto& tz = options_.timeZone;
  Interval iv;
  iv.start = tz.intervalStart(t, options_.interval);
  iv.end = tz.intervalStart(iv.start + options_.interval, options_.interval);
  // A DST change can make the next start come out at or before this one: never loop.
  if (iv.end <= iv.start || iv.end <= t) iv.end = iv.start + options_.interval;
  cached_ = iv;
  return iv;
}

template <typename Add>
void KpiFold::splitSpan(SysTime from, SysTime to, Add&& add) const {
  while (from < to) {
    const Interval iv = intervalOf(from);
    const SysTime end = std::min(iv.end, to);
    add(iv.start, spanMs(from, end));
    from = end;
  }
}

QueueCounters& KpiFold::queueBucket(const std::string& queue, SysTime intervalStart) {
  return queues_[queue].buckets[intervalStart];
}

void KpiFold::addOpenSpans(const AgentRecord& agent, SysTime to,
                           std::map<SysTime, AgentCounters>& buckets) const {
  if (agent.since) {
    const auto state = agent.state;
    const std::string& reason = agent.reason;
    splitSpan(*agent.since, to, [&](SysTime bucket, std::int64_t ms) {
      auto& c = buckets[bucket];
      switch (state) {
        case events::AgentState::Ready:
          c.readyMs += ms;
          break;
        case events::AgentState::NotReady:
          c.notReadyMs += ms;
          c.notReadyByReasonMs[reason] += ms;
          break;
        case events::AgentState::Reserved:
          c.reservedMs += ms;
          break;
        case events::AgentState::OnCall:
          c.onCallMs += ms;
          break;
        case events::AgentState::WrapUp:
          c.wrapUpMs += ms;
          break;
        case events::AgentState::LoggedOut:
          break;
      }
    });
  }
  if (agent.holdSince) {
    splitSpan(*agent.holdSince, to,
              [&](SysTime bucket, std::int64_t ms) { buckets[bucket].holdMs += ms; });
  }
}

void KpiFold::closeAgentState(AgentRecord& agent, SysTime ts) {
  addOpenSpans(agent, ts, agent.buckets);
  agent.holdSince.reset();
  if (agent.state == events::AgentState::WrapUp && agent.since && agent.wrapTarget) {
    // The wrap-up belongs to the call the agent just handled: it counts to that call's queue
    // and interval, so that the queue's AHT holds the whole handle time of its calls.
    queueBucket(agent.wrapTarget->queue, agent.wrapTarget->bucket).wrapUpMs +=
        spanMs(*agent.since, ts);
  }
}

void KpiFold::endConnection(CallRecord& call, SysTime ts, bool toWrapUp) {
  if (!call.connected) return;
  call.connected = false;
  std::int64_t hold = call.holdMs;
  if (call.heldSince) hold += spanMs(*call.heldSince, ts);
  call.heldSince.reset();
  call.holdMs = 0;
  const std::int64_t connected = spanMs(call.answeredAt, ts);
  hold = std::min(hold, connected);

  // An answer that named no queue has no queue figures to add to (never a queue named "").
  if (!call.queue.empty()) {
    auto& q = queues_[call.queue];
    q.connected = std::max<std::int64_t>(0, q.connected - 1);
    auto& bucket = q.buckets[call.bucket];
    bucket.talkMs += connected - hold;
    bucket.holdMs += hold;
    QueueStay* stay = call.stay(call.queue);
    if (stay == nullptr || !stay->handled) {
      ++bucket.handled;
      if (stay != nullptr) stay->handled = true;
    }
  }

  if (call.agentNo.empty()) return;
  countHandled(call, call.agentNo, ts);
  auto& agent = agents_[call.agentNo];
  if (toWrapUp && !call.queue.empty()) {
    agent.wrapTarget = WrapTarget{call.queue, call.bucket};
  } else {
    agent.wrapTarget.reset();
  }
}

void KpiFold::countHandled(CallRecord& call, const std::string& agentNo, SysTime ts) {
  if (agentNo.empty()) return;
  if (std::find(call.agentsHandled.begin(), call.agentsHandled.end(), agentNo) !=
      call.agentsHandled.end()) {
    return;
  }
  call.agentsHandled.push_back(agentNo);
  ++agents_[agentNo].buckets[intervalOf(ts).start].handled;
}

void KpiFold::endParty(CallRecord& call, const std::string& agentNo, SysTime ts) {
  auto it = std::find(call.parties.begin(), call.parties.end(), agentNo);
  if (it == call.parties.end()) return;
  call.parties.erase(it);
  countHandled(call, agentNo, ts);
}

KpiFold::AgentRecord* KpiFold::agentOf(const std::string& payloadAgent,
                                       const std::string& envelopeAgent) {
  const std::string& agentNo = orEnvelope(payloadAgent, envelopeAgent);
  return agentNo.empty() ? nullptr : &agents_[agentNo];
}

void KpiFold::onQueueJoined(const events::Event& e, const events::QueueJoined& p) {
  const std::string& queue = orEnvelope(p.queue, e.queueId);
  if (queue.empty()) return;  // names no queue: nothing to count it in
  const SysTime ts = lastTs_;
  auto& call = calls_[e.callId];
  QueueStay* stay = call.stay(queue);
  if (stay == nullptr) {
    call.stays.push_back(QueueStay{.queue = queue, .bucket = intervalOf(ts).start});
    stay = &call.stays.back();
    ++queueBucket(queue, stay->bucket).joined;
  }
  stay->waiting = true;
  stay->joinedAt = ts;
  queues_[queue].waiting[e.callId] = ts;
}

void KpiFold::onQueueLeft(const events::Event& e, const events::QueueLeft& p) {
  const std::string& queue = orEnvelope(p.queue, e.queueId);
  if (queue.empty()) return;
  const SysTime ts = lastTs_;
  if (p.reason == "full" || p.reason == "closed") {
    ++queueBucket(queue, intervalOf(ts).start).refused;
    return;
  }
  queues_[queue].waiting.erase(e.callId);
  auto it = calls_.find(e.callId);
  if (it == calls_.end()) return;
  QueueStay* stay = it->second.stay(queue);
  if (stay == nullptr) return;  // its join came before the events we saw
  stay->waiting = false;
  stay->waitMs += std::max<std::int64_t>(0, p.waitedMs);
  if (stay->outcome != Outcome::None) return;  // counted at its first outcome

  const QueueKpiSettings& s = queueSettings(queue);
  const std::int64_t wait = stay->waitMs;
  const bool withinT = wait <= duration_cast<milliseconds>(s.serviceLevelThreshold).count();
  auto& b = queueBucket(queue, stay->bucket);
  if (p.reason == "answered") {
    stay->outcome = Outcome::Answered;
    ++b.answered;
    b.answeredWaitMs += wait;
    if (withinT) ++b.answeredWithinT;
    b.maxWaitMs = std::max(b.maxWaitMs, wait);
  } else if (p.reason == "abandoned") {
    stay->outcome = Outcome::Abandoned;
    ++b.abandoned;
    b.maxWaitMs = std::max(b.maxWaitMs, wait);
    const auto shortMs = duration_cast<milliseconds>(s.shortAbandon).count();
    if (shortMs > 0 && wait < shortMs) {
      ++b.shortAbandoned;
      b.shortAbandonedWaitMs += wait;
      if (withinT) ++b.shortAbandonedWithinT;
    } else {
      b.abandonedWaitMs += wait;
      if (withinT) ++b.abandonedWithinT;
    }
  } else if (p.reason == "timed_out") {
    stay->outcome = Outcome::TimedOut;
    ++b.timedOut;
  } else if (p.reason == "moved" || p.reason == "overflow") {
    stay->outcome = Outcome::Overflowed;
    ++b.overflowed;
  } else {
    stay->outcome = Outcome::Removed;
    ++b.removed;
  }
}

void KpiFold::onOriginated(const events::Event& e, const events::CallOriginated& p) {
  const std::string& agentNo = orEnvelope(p.agentNo, e.agentId);
  if (agentNo.empty()) return;
  PlacedCall placed{.agentNo = agentNo,
                    .outbound = p.targetType == "number",
                    .bucket = intervalOf(lastTs_).start,
                    .answered = false};
  auto& counters = agents_[agentNo].buckets[placed.bucket];
  ++(placed.outbound ? counters.outbound : counters.internalCalls);
  if (!e.callId.empty()) placedCalls_[e.callId] = std::move(placed);
}

void KpiFold::onAnswered(const events::Event& e, const events::CallAnswered& p) {
  if (auto placed = placedCalls_.find(e.callId);
      placed != placedCalls_.end() && p.queue.empty() && !placed->second.answered) {
    // The far party answered the call the agent placed (a later answer from a queue the call
    // was transferred to is that queue's).
    placed->second.answered = true;
    if (placed->second.outbound) {
      ++agents_[placed->second.agentNo].buckets[placed->second.bucket].outboundAnswered;
    }
  }
  auto& call = calls_[e.callId];
  endConnection(call, lastTs_, true);  // a second answer without an end: close the first
  call.connected = true;
  call.agentNo = orEnvelope(p.agentNo, e.agentId);
  call.queue = orEnvelope(p.queue, e.queueId);
  call.answeredAt = lastTs_;
  call.heldSince.reset();
  call.holdMs = 0;
  const QueueStay* stay = call.stay(call.queue);
  call.bucket = stay != nullptr ? stay->bucket : intervalOf(lastTs_).start;
  if (!call.queue.empty()) ++queues_[call.queue].connected;
}

void KpiFold::onTransferred(const events::Event& e, const events::CallTransferred& p) {
  const SysTime ts = lastTs_;
  const std::string& agentNo = orEnvelope(p.agentNo, e.agentId);
  if (AgentRecord* agent = agentOf(agentNo, {})) {
    ++agent->buckets[intervalOf(ts).start].transfers;
  }
  if (e.callId.empty()) return;
  auto it = calls_.find(e.callId);
  if (it != calls_.end()) {
    CallRecord& call = it->second;
    if (call.connected) {
      // Blind or attended alike: the answering agent handed the customer on.
      if (!call.queue.empty()) ++queueBucket(call.queue, call.bucket).transfersOut;
      endConnection(call, ts, true);
    } else {
      endParty(call, agentNo, ts);  // an agent who had taken the call passes it on
    }
  }
  if (p.mode == "attended" && p.targetType == "agent" && !p.target.empty()) {
    // The consulted agent keeps the customer: their part of this call begins (or goes on,
    // when they were the conference party).
    auto& call = calls_[e.callId];
    if (std::find(call.parties.begin(), call.parties.end(), p.target) == call.parties.end()) {
      call.parties.push_back(p.target);
    }
  }
}

void KpiFold::onAgentState(const events::Event& e, const events::AgentStateChanged& p) {
  const std::string& agentNo = orEnvelope(p.agentNo, e.agentId);
  if (agentNo.empty()) return;
  auto& agent = agents_[agentNo];
  closeAgentState(agent, lastTs_);
  if (agent.state == events::AgentState::WrapUp || p.to != events::AgentState::WrapUp) {
    agent.wrapTarget.reset();
  }
  agent.state = p.to;
  agent.reason = p.to == events::AgentState::NotReady ? p.reason : std::string();
  agent.since = lastTs_;
}

void KpiFold::onCallEnded(const events::Event& e) {
  auto it = calls_.find(e.callId);
  if (it == calls_.end()) return;
  endConnection(it->second, lastTs_, true);
  while (!it->second.parties.empty()) endParty(it->second, it->second.parties.front(), lastTs_);
  for (const auto& stay : it->second.stays) {
    if (stay.waiting) queues_[stay.queue].waiting.erase(e.callId);
  }
  calls_.erase(it);
}

void KpiFold::onSystemStarted(SysTime ts) {
  // A new epoch: the core that held the calls and the logged-in agents is gone (a kill -9
  // leaves no events for their end). Close what was open so that no time runs on.
  calls_.clear();
  consultCalls_.clear();
  placedCalls_.clear();
  for (auto& [code, q] : queues_) {
    q.waiting.clear();
    q.connected = 0;
  }
  for (auto& [agentNo, agent] : agents_) {
    closeAgentState(agent, ts);
    agent.state = events::AgentState::LoggedOut;
    agent.reason.clear();
    agent.since = ts;
    agent.wrapTarget.reset();
  }
}

void KpiFold::apply(const events::Event& event) {
  ++applied_;
  if (event.ts > lastTs_) lastTs_ = event.ts;
  const SysTime ts = lastTs_;
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, events::QueueJoined>) {
          onQueueJoined(event, p);
        } else if constexpr (std::is_same_v<T, events::QueueLeft>) {
          onQueueLeft(event, p);
        } else if constexpr (std::is_same_v<T, events::CallOriginated>) {
          onOriginated(event, p);
        } else if constexpr (std::is_same_v<T, events::CallAnswered>) {
          onAnswered(event, p);
        } else if constexpr (std::is_same_v<T, events::CallHeld>) {
          // On a consult call the agent holds the consulted party to talk to the customer
          // (alternate): that is not the agent's hold time.
          if (consultCalls_.contains(event.callId)) return;
          auto it = calls_.find(event.callId);
          if (it != calls_.end() && it->second.connected && !it->second.heldSince) {
            it->second.heldSince = ts;
          }
          if (AgentRecord* agent = agentOf(p.agentNo, event.agentId)) {
            if (!agent->holdSince) agent->holdSince = ts;
          }
        } else if constexpr (std::is_same_v<T, events::CallRetrieved>) {
          if (consultCalls_.contains(event.callId)) return;
          auto it = calls_.find(event.callId);
          if (it != calls_.end() && it->second.heldSince) {
            it->second.holdMs += spanMs(*it->second.heldSince, ts);
            it->second.heldSince.reset();
          }
          AgentRecord* agent = agentOf(p.agentNo, event.agentId);
          if (agent != nullptr && agent->holdSince) {
            splitSpan(*agent->holdSince, ts, [&](SysTime bucket, std::int64_t ms) {
              agent->buckets[bucket].holdMs += ms;
            });
            agent->holdSince.reset();
          }
        } else if constexpr (std::is_same_v<T, events::CallTransferred>) {
          onTransferred(event, p);
        } else if constexpr (std::is_same_v<T, events::CallConsultStarted>) {
          // A call of its own that joins no queue: counted for the consulting agent only.
          if (!event.callId.empty()) consultCalls_.insert(event.callId);
          if (AgentRecord* agent = agentOf(p.agentNo, event.agentId)) {
            ++agent->buckets[intervalOf(ts).start].consults;
          }
        } else if constexpr (std::is_same_v<T, events::CallConferenced>) {
          if (p.partyType == "agent" && !p.party.empty() && !event.callId.empty()) {
            auto& parties = calls_[event.callId].parties;
            if (std::find(parties.begin(), parties.end(), p.party) == parties.end()) {
              parties.push_back(p.party);
            }
          }
        } else if constexpr (std::is_same_v<T, events::CallPartyLeft>) {
          auto it = calls_.find(event.callId);
          if (p.partyType == "agent" && it != calls_.end()) endParty(it->second, p.party, ts);
        } else if constexpr (std::is_same_v<T, events::CallAgentLost>) {
          auto it = calls_.find(event.callId);
          if (it == calls_.end()) return;
          const std::string& lost = orEnvelope(p.agentNo, event.agentId);
          if (!lost.empty() && lost != it->second.agentNo) {
            endParty(it->second, lost, ts);  // another agent on the line dropped
            return;
          }
          // The agent goes straight back to ready: no wrap-up for this call.
          endConnection(it->second, ts, false);
        } else if constexpr (std::is_same_v<T, events::CallEnded>) {
          consultCalls_.erase(event.callId);
          placedCalls_.erase(event.callId);
          onCallEnded(event);
        } else if constexpr (std::is_same_v<T, events::AgentStateChanged>) {
          onAgentState(event, p);
        } else if constexpr (std::is_same_v<T, events::SystemStarted>) {
          onSystemStarted(ts);
        }
      },
      event.payload);
}

QueueReport KpiFold::queueReport(std::string_view queue, SysTime now) const {
  QueueReport r;
  r.queue = std::string(queue);
  r.now = now;
  r.dayStart = options_.timeZone.startOfDay(now);
  r.timeZone = options_.timeZone.name();
  r.settings = queueSettings(queue);
  const QueueRecord* rec = nullptr;
  if (auto it = queues_.find(queue); it != queues_.end()) rec = &it->second;
  QueueCounters day;
  for (Interval iv = intervalOf(r.dayStart); iv.start <= now; iv = intervalOf(iv.end)) {
    QueueCounters c;
    if (rec != nullptr) {
      if (auto b = rec->buckets.find(iv.start); b != rec->buckets.end()) c = b->second;
    }
    day += c;
    r.intervals.push_back(
        {iv.start, iv.end, computeQueueKpis(c, r.settings, options_.excludeShortAbandons)});
  }
  r.today = computeQueueKpis(day, r.settings, options_.excludeShortAbandons);
  if (rec != nullptr) {
    r.live.waiting = static_cast<std::int64_t>(rec->waiting.size());
    r.live.connected = rec->connected;
    if (!rec->waiting.empty()) {
      SysTime oldest = rec->waiting.begin()->second;
      for (const auto& [callId, joined] : rec->waiting) oldest = std::min(oldest, joined);
      r.live.longestWaitMs = spanMs(oldest, now);
    }
  }
  return r;
}

AgentLive KpiFold::agentLive(std::string_view agentNo) const {
  AgentLive live;
  if (auto it = agents_.find(agentNo); it != agents_.end()) {
    live.state = it->second.state;
    live.reason = it->second.reason;
    live.since = it->second.since;
  }
  return live;
}

AgentReport KpiFold::agentReport(std::string_view agentNo, SysTime now) const {
  AgentReport r;
  r.agentNo = std::string(agentNo);
  r.now = now;
  r.dayStart = options_.timeZone.startOfDay(now);
  r.timeZone = options_.timeZone.name();
  std::map<SysTime, AgentCounters> buckets;
  if (auto it = agents_.find(agentNo); it != agents_.end()) {
    const AgentRecord& agent = it->second;
    buckets.insert(agent.buckets.lower_bound(r.dayStart), agent.buckets.end());
    addOpenSpans(agent, now, buckets);
    r.live.state = agent.state;
    r.live.reason = agent.reason;
    r.live.since = agent.since;
  }
  AgentCounters day;
  for (Interval iv = intervalOf(r.dayStart); iv.start <= now; iv = intervalOf(iv.end)) {
    AgentCounters c;
    if (auto b = buckets.find(iv.start); b != buckets.end()) c = b->second;
    day += c;
    r.intervals.push_back({iv.start, iv.end, computeAgentKpis(c)});
  }
  r.today = computeAgentKpis(day);
  return r;
}

void KpiFold::pruneBefore(SysTime t) {
  for (auto& [code, q] : queues_) q.buckets.erase(q.buckets.begin(), q.buckets.lower_bound(t));
  for (auto& [agentNo, a] : agents_) {
    a.buckets.erase(a.buckets.begin(), a.buckets.lower_bound(t));
  }
}

}  // namespace bankcc::reports
