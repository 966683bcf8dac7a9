// SPDX-License-Identifier: Apache-2.0
// The call side of the ACD: joining, offering, releasing, overflow steps over time, and the
// information queries.
#include <fmt/core.h>

#include <algorithm>

#include "acd/acd_internal.h"

namespace bankcc::acd {

using base::err;
using base::Errc;
using base::Status;
using detail::kNone;
using detail::kOpen;

namespace detail {

namespace {

/// Effective priority as an exact fraction num / den (den > 0).
std::pair<__int128, __int128> effectiveFraction(const Call& c, const Queue& q, SysTime now) {
  const std::int64_t step = q.config.agingStep.count();
  if (step <= 0) return {c.priority, 1};
  return {static_cast<__int128>(c.priority) * step + (now - c.arrived).count(), step};
}

}  // namespace

bool ranksBefore(const Call& a, const Queue& qa, const Call& b, const Queue& qb, SysTime now) {
  const auto [na, da] = effectiveFraction(a, qa, now);
  const auto [nb, db] = effectiveFraction(b, qb, now);
  // |num| < 2^31 * 2^45 + 2^64 and den <= 2^45 (kMaxAgingStep): the products fit in 127 bits.
  const __int128 lhs = na * db;
  const __int128 rhs = nb * da;
  if (lhs != rhs) return lhs > rhs;
  if (a.arrived != b.arrived) return a.arrived < b.arrived;
  return a.seq < b.seq;
}

double effectivePriority(const Call& c, const Queue& q, SysTime now) {
  const auto [num, den] = effectiveFraction(c, q, now);
  return static_cast<double>(num) / static_cast<double>(den);
}

std::string secondsText(Duration d) {
  return fmt::format("{:g} s", static_cast<double>(d.count()) / 1e6);
}

std::string shortfall(const Agent& a, const Queue& q, int widen,
                      const std::vector<std::string>& skillNames) {
  for (const Need& n : q.needs) {
    const int asked = std::min(n.minProficiency, widen);
    const int has = a.proficiency(n.skill);
    if (has < asked) {
      return fmt::format("needs proficiency {} in '{}', has {}", asked, skillNames[n.skill], has);
    }
  }
  return {};
}

}  // namespace detail

// --- call placement --------------------------------------------------------------------------

detail::CallKey Acd::Impl::callKey(const Queue& q, const Call& c) const {
  CallKey k;
  const std::int64_t step = q.config.agingStep.count();
  k.primary = step > 0 ? static_cast<__int128>(c.arrived.time_since_epoch().count()) -
                             static_cast<__int128>(c.priority) * step
                       : -static_cast<__int128>(c.priority);
  k.arrived = c.arrived.time_since_epoch().count();
  k.seq = c.seq;
  k.call = static_cast<std::uint32_t>(&c - calls.data());
  return k;
}

void Acd::Impl::attach(Call& c) {
  if (c.offered()) return;
  Queue& q = *queues[c.queue];
  if (c.hasPreference()) {
    q.preferred.push_back(c.key.call);
  } else {
    // A new call usually ranks last: try the end first.
    auto& set = q.ready[c.widen - 1];
    [[maybe_unused]] const std::size_t before = set.size();
    c.readySlot = set.emplace_hint(set.end(), c.key);
    BANKCC_ASSERT(set.size() == before + 1, "a call is routable in one place only");
  }
}

void Acd::Impl::detach(Call& c) {
  if (c.offered()) return;
  Queue& q = *queues[c.queue];
  if (c.hasPreference()) {
    auto it = std::find(q.preferred.begin(), q.preferred.end(), c.key.call);
    BANKCC_ASSERT(it != q.preferred.end(), "a routable call with a preference is listed");
    *it = q.preferred.back();
    q.preferred.pop_back();
  } else {
    q.ready[c.widen - 1].erase(c.readySlot);
  }
}

void Acd::Impl::schedule(Call& c) {
  BANKCC_ASSERT(!c.scheduled, "unschedule() before schedule()");
  if (c.offered()) return;  // its steps wait until release()
  const Queue& q = *queues[c.queue];
  std::optional<Deadline> next;
  auto consider = [&](SysTime due, detail::DeadlineKind kind) {
    const Deadline d{due, c.seq, kind, c.key.call};
    if (!next || d < *next) next = d;
  };
  if (c.hasPreference()) consider(c.preferredUntil, detail::DeadlineKind::PreferenceExpiry);
  if (c.nextStep < q.config.steps.size()) {
    consider(c.joinedAt + q.config.steps[c.nextStep].after, detail::DeadlineKind::Step);
  }
  if (q.config.maxWait > Duration::zero()) {
    consider(c.joinedAt + q.config.maxWait, detail::DeadlineKind::MaxWait);
  }
  if (next) {
    c.deadline = deadlines.emplace_hint(deadlines.end(), *next);
    c.scheduled = true;
  }
}

void Acd::Impl::unschedule(Call& c) {
  if (!c.scheduled) return;
  deadlines.erase(c.deadline);
  c.scheduled = false;
}

void Acd::Impl::joinQueue(std::uint32_t ci, std::uint32_t qi, SysTime joinedAt) {
  Call& c = calls[ci];
  Queue& q = *queues[qi];
  c.queue = qi;
  c.slot = static_cast<std::uint32_t>(q.calls.size());
  q.calls.push_back(ci);
  c.joinedAt = joinedAt;
  c.widen = kOpen;
  c.nextStep = 0;
  c.lastStepAfter = Duration{-1};
  c.key = callKey(q, c);
  attach(c);
  schedule(c);
}

void Acd::Impl::leaveQueue(std::uint32_t ci) {
  Call& c = calls[ci];
  Queue& q = *queues[c.queue];
  unschedule(c);
  detach(c);
  BANKCC_ASSERT(q.calls[c.slot] == ci, "a call knows its slot in its queue");
  const std::uint32_t moved = q.calls.back();
  q.calls[c.slot] = moved;
  calls[moved].slot = c.slot;
  q.calls.pop_back();
  if (c.offered()) --q.offered;
}

void Acd::Impl::eraseCall(std::uint32_t ci) {
  leaveQueue(ci);
  Call& c = calls[ci];
  if (c.offered()) {
    agents[c.offeredTo].offeredCall = kNone;
    c.offeredTo = kNone;
  }
  callIndex.erase(c.id);
  c.live = false;
  c.id.clear();
  c.preferredAgent.clear();
  freeCalls.push_back(ci);
  --liveCalls;
}

void Acd::Impl::rebuildCalls(Queue& q) {
  const auto& steps = q.config.steps;
  for (std::uint32_t ci : q.calls) {
    Call& c = calls[ci];
    c.nextStep = 0;
    while (c.nextStep < steps.size() && steps[c.nextStep].after <= c.lastStepAfter) ++c.nextStep;
    c.key = callKey(q, c);
    attach(c);
    schedule(c);
  }
}

// --- Acd: calls ------------------------------------------------------------------------------

base::Result<JoinOutcome> Acd::enqueue(const CallEntry& entry, SysTime now) {
  Impl& im = *impl_;
  if (entry.callId.empty()) return err(Errc::ValidationFailed, "a call needs an id");
  detail::Queue* q = im.findQueue(entry.queue);
  if (q == nullptr) return err(Errc::NotFound, fmt::format("no queue '{}'", entry.queue));
  if (im.callIndex.contains(entry.callId)) {
    return err(Errc::Conflict, fmt::format("call '{}' is already in the ACD", entry.callId));
  }
  if (!q->config.open) return JoinOutcome::Closed;
  if (q->config.maxSize > 0 && q->calls.size() >= static_cast<std::size_t>(q->config.maxSize)) {
    return JoinOutcome::Full;
  }
  const bool noMembers = q->membersAtLeast(q->loosest) == 0;
  std::uint32_t ci;
  if (!im.freeCalls.empty()) {
    ci = im.freeCalls.back();
    im.freeCalls.pop_back();
  } else {
    ci = static_cast<std::uint32_t>(im.calls.size());
    im.calls.emplace_back();
  }
  detail::Call& c = im.calls[ci];
  c = detail::Call{};
  c.id = entry.callId;
  c.live = true;
  c.priority = entry.priority;
  c.arrived = entry.arrived;
  c.seq = im.nextCallSeq++;
  if (!entry.preferredAgent.empty() && entry.preferredUntil > now) {
    c.preferredAgent = entry.preferredAgent;
    c.preferredUntil = entry.preferredUntil;
  }
  im.callIndex.emplace(entry.callId, ci);
  ++im.liveCalls;
  im.joinQueue(ci, im.indexOf(*q), now);
  return noMembers ? JoinOutcome::NoMembers : JoinOutcome::Queued;
}

void Acd::remove(std::string_view callId) {
  const std::uint32_t ci = impl_->findCall(callId);
  if (ci != kNone) impl_->eraseCall(ci);
}

Status Acd::offer(std::string_view callId, std::string_view agentNo, OfferBy by) {
  Impl& im = *impl_;
  const std::uint32_t ci = im.findCall(callId);
  if (ci == kNone) return err(Errc::NotFound, fmt::format("no call '{}' in the ACD", callId));
  detail::Agent* a = im.findAgent(agentNo);
  if (a == nullptr) return err(Errc::NotFound, fmt::format("no agent '{}'", agentNo));
  detail::Call& c = im.calls[ci];
  if (c.offered()) {
    return err(Errc::Conflict, fmt::format("call '{}' is already offered to agent '{}'", callId,
                                           im.agents[c.offeredTo].no));
  }
  if (a->offeredCall != kNone) {
    return err(Errc::Conflict, fmt::format("agent '{}' already has call '{}' offered", agentNo,
                                           im.calls[a->offeredCall].id));
  }
  if (!a->available && by == OfferBy::Router) {
    return err(Errc::Conflict, fmt::format("agent '{}' is not available", agentNo));
  }
  detail::Queue& q = *im.queues[c.queue];
  im.unschedule(c);
  im.detach(c);
  if (a->available) im.eraseAvailable(*a);
  a->available = false;
  const std::uint32_t ord = im.ordinalOf(*a);
  if (detail::Membership* m = a->membership(c.queue)) {
    m->lastOffered = im.nextOfferSeq++;
    auto it = std::find_if(a->offeredFrom.begin(), a->offeredFrom.end(),
                           [&](const auto& entry) { return entry.first == c.queue; });
    if (it != a->offeredFrom.end()) {
      it->second = m->lastOffered;
    } else {
      a->offeredFrom.emplace_back(c.queue, m->lastOffered);
    }
  }
  c.offeredTo = ord;
  a->offeredCall = ci;
  ++q.offered;
  return {};
}

Status Acd::release(std::string_view callId) {
  Impl& im = *impl_;
  const std::uint32_t ci = im.findCall(callId);
  if (ci == kNone) return err(Errc::NotFound, fmt::format("no call '{}' in the ACD", callId));
  detail::Call& c = im.calls[ci];
  if (!c.offered()) return err(Errc::Conflict, fmt::format("call '{}' is not offered", callId));
  im.agents[c.offeredTo].offeredCall = kNone;
  c.offeredTo = kNone;
  --im.queues[c.queue]->offered;
  im.attach(c);
  im.schedule(c);
  return {};
}

// --- Acd: time -------------------------------------------------------------------------------

std::vector<StepDue> Acd::advance(SysTime now) {
  Impl& im = *impl_;
  std::vector<StepDue> out;
  while (!im.deadlines.empty() && im.deadlines.begin()->due <= now) {
    const detail::Deadline d = *im.deadlines.begin();
    im.deadlines.erase(im.deadlines.begin());
    detail::Call& c = im.calls[d.call];
    c.scheduled = false;
    detail::Queue& q = *im.queues[c.queue];
    StepDue due;
    due.callId = c.id;
    due.fromQueue = q.config.code;
    switch (d.kind) {
      case detail::DeadlineKind::PreferenceExpiry:
        im.detach(c);
        c.preferredAgent.clear();
        im.attach(c);
        im.schedule(c);
        due.kind = StepDue::Kind::PreferenceExpired;
        break;
      case detail::DeadlineKind::MaxWait:
        due.kind = StepDue::Kind::TimedOut;
        due.target = q.config.fallback;
        im.eraseCall(d.call);
        break;
      case detail::DeadlineKind::Step: {
        const OverflowStep step = q.config.steps[c.nextStep];
        ++c.nextStep;
        c.lastStepAfter = step.after;
        switch (step.kind) {
          case OverflowStep::Kind::Widen:
            im.detach(c);
            c.widen = std::min(c.widen, step.minProficiency);
            im.attach(c);
            im.schedule(c);
            due.kind = StepDue::Kind::Widened;
            break;
          case OverflowStep::Kind::LeaveTo:
            due.kind = StepDue::Kind::Left;
            due.target = step.target;
            im.eraseCall(d.call);
            break;
          case OverflowStep::Kind::MoveTo: {
            const detail::Queue* t = im.findQueue(step.target);
            const bool fits = t != nullptr && t->config.open &&
                              (t->config.maxSize == 0 ||
                               t->calls.size() < static_cast<std::size_t>(t->config.maxSize));
            if (fits) {
              due.kind = StepDue::Kind::Moved;
              due.target = step.target;
              im.leaveQueue(d.call);
              im.joinQueue(d.call, im.indexOf(*t), d.due);
            } else {
              due.kind = StepDue::Kind::Left;
              due.target = t != nullptr && !t->config.fallback.empty() ? t->config.fallback
                                                                       : q.config.fallback;
              im.eraseCall(d.call);
            }
            break;
          }
        }
        break;
      }
    }
    out.push_back(std::move(due));
  }
  return out;
}

std::optional<SysTime> Acd::nextDeadline() const {
  if (impl_->deadlines.empty()) return std::nullopt;
  return impl_->deadlines.begin()->due;
}

// --- Acd: information ------------------------------------------------------------------------

std::optional<QueuePosition> Acd::position(std::string_view callId, SysTime now) const {
  const Impl& im = *impl_;
  const std::uint32_t ci = im.findCall(callId);
  if (ci == kNone) return std::nullopt;
  const detail::Call& c = im.calls[ci];
  if (c.offered()) return QueuePosition{1, Duration::zero()};
  const detail::Queue& q = *im.queues[c.queue];
  int ahead = 0;
  for (std::uint32_t other : q.calls) {
    if (other == ci) continue;
    const detail::Call& o = im.calls[other];
    if (o.offered() || o.key < c.key) ++ahead;
  }
  QueuePosition p;
  p.position = ahead + 1;
  p.estimatedWait = q.aht * p.position / std::max(1, q.membersAtLeast(1));
  return p;
}

std::optional<QueueSnapshot> Acd::queueSnapshot(std::string_view code, SysTime now) const {
  const Impl& im = *impl_;
  const detail::Queue* q = im.findQueue(code);
  if (q == nullptr) return std::nullopt;
  QueueSnapshot s;
  s.code = q->config.code;
  s.waiting = static_cast<int>(q->calls.size());
  s.offered = q->offered;
  s.membersLoggedIn = q->membersAtLeast(1);
  s.membersAvailable = q->availableCount;
  for (std::uint32_t ci : q->calls) {
    s.oldestWait = std::max(s.oldestWait, now - im.calls[ci].arrived);
  }
  return s;
}

void Acd::recordHandleTime(std::string_view queue, Duration handleTime) {
  detail::Queue* q = impl_->findQueue(queue);
  if (q == nullptr || handleTime < Duration::zero()) return;
  // An exponentially weighted average with weight 1/8: recent calls count, one odd call
  // does not swing the announcement.
  q->aht += (handleTime - q->aht) / 8;
  q->ahtLearned = true;
}

bool Acd::knowsCall(std::string_view callId) const {
  return impl_->findCall(callId) != kNone;
}

std::size_t Acd::waitingCalls() const {
  return impl_->liveCalls;
}

}  // namespace bankcc::acd
