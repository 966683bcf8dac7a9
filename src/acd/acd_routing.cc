// SPDX-License-Identifier: Apache-2.0
// The ACD's decisions: the best agent for a call, the best call for an agent, and the
// explanations of both. Pure: nothing here changes the ACD.
#include <fmt/core.h>

#include <algorithm>

#include "acd/acd_internal.h"

namespace bankcc::acd {

using detail::kLevels;
using detail::kNone;
using detail::kOpen;

namespace {

constexpr std::size_t kMaxCandidates = 10;

/// "2.5", "3", "0.33": effective priority for people.
std::string priorityText(double p) {
  std::string s = fmt::format("{:.2f}", p);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

/// Appends `c` to `out` unless the list is full; keeps one place for the chosen candidate
/// until it has been listed. Returns false when nothing more can be listed.
class CandidateList {
 public:
  CandidateList(std::vector<Candidate>& out, bool hasChosen) : out_(out), hasChosen_(hasChosen) {}

  /// Whether a candidate that is (or is not) the chosen one still has a place.
  bool wants(bool isChosen) const {
    if (isChosen) return true;
    const std::size_t reserved = hasChosen_ && !chosenListed_ ? 1 : 0;
    return out_.size() + reserved < kMaxCandidates;
  }
  /// Nothing further can be listed.
  bool done() const {
    return out_.size() >= kMaxCandidates || (!wants(false) && (!hasChosen_ || chosenListed_));
  }
  void add(Candidate c) {
    chosenListed_ = chosenListed_ || c.chosen;
    out_.push_back(std::move(c));
  }

 private:
  std::vector<Candidate>& out_;
  bool hasChosen_;
  bool chosenListed_ = false;
};

}  // namespace

// --- decisions -------------------------------------------------------------------------------

std::optional<Match> Acd::routeCall(std::string_view callId, SysTime now,
                                    Explanation* explain) const {
  const Impl& im = *impl_;
  const std::uint32_t ci = im.findCall(callId);
  if (ci == kNone) {
    if (explain != nullptr) explain->rule = fmt::format("no call '{}' in the ACD", callId);
    return std::nullopt;
  }
  const detail::Call& c = im.calls[ci];
  if (c.offered()) {
    if (explain != nullptr) {
      explain->rule =
          fmt::format("call '{}' is offered to agent {}", callId, im.agents[c.offeredTo].no);
    }
    return std::nullopt;
  }
  const detail::Queue& q = *im.queues[c.queue];
  std::optional<detail::AgentKey> best;
  if (c.preferenceActive(now)) {
    const detail::Agent* a = im.findAgent(c.preferredAgent);
    if (a != nullptr && a->available) {
      const detail::Membership* m = a->membership(c.queue);
      if (m != nullptr && m->cap >= c.widen) best = im.agentKey(q, *a, *m);
    }
  } else {
    // An agent with cap >= the call's widen level qualifies: the smallest head of those sets.
    for (int level = c.widen; level <= kOpen; ++level) {
      const auto& set = q.available[level - 1];
      if (!set.empty() && (!best || *set.begin() < *best)) best = *set.begin();
    }
  }
  if (explain != nullptr) im.explainCall(c, q, now, best ? &*best : nullptr, *explain);
  if (!best) return std::nullopt;
  return Match{c.id, im.agents[best->agent].no, q.config.code};
}

std::optional<Match> Acd::routeAgent(std::string_view agentNo, SysTime now,
                                     Explanation* explain) const {
  const Impl& im = *impl_;
  const detail::Agent* a = im.findAgent(agentNo);
  if (a == nullptr || !a->available) {
    if (explain != nullptr) {
      explain->rule = a == nullptr ? fmt::format("no agent '{}'", agentNo)
                                   : fmt::format("agent {} is not available", agentNo);
    }
    return std::nullopt;
  }
  std::uint32_t best = kNone;
  const detail::Queue* bestQueue = nullptr;
  for (const detail::Membership& m : a->memberships) {
    const detail::Queue& q = *im.queues[m.queue];
    // The queue's first call this agent qualifies for: calls whose widen level is at most
    // the agent's cap, plus the calls that carry a preferred agent.
    const detail::CallKey* head = nullptr;
    for (int level = 1; level <= m.cap; ++level) {
      const auto& set = q.ready[level - 1];
      if (!set.empty() && (head == nullptr || *set.begin() < *head)) head = &*set.begin();
    }
    for (std::uint32_t pi : q.preferred) {
      const detail::Call& c = im.calls[pi];
      if (c.preferenceActive(now) && c.preferredAgent != a->no) continue;
      if (c.widen > m.cap) continue;
      if (head == nullptr || c.key < *head) head = &c.key;
    }
    if (head == nullptr) continue;
    if (best == kNone ||
        detail::ranksBefore(im.calls[head->call], q, im.calls[best], *bestQueue, now)) {
      best = head->call;
      bestQueue = &q;
    }
  }
  if (explain != nullptr) im.explainAgent(*a, now, best, *explain);
  if (best == kNone) return std::nullopt;
  return Match{im.calls[best].id, a->no, bestQueue->config.code};
}

// --- explanations ----------------------------------------------------------------------------

void Acd::Impl::explainCall(const Call& c, const Queue& q, SysTime now, const AgentKey* chosen,
                            Explanation& out) const {
  out.rule = fmt::format("{} in queue {}", routingPolicyName(q.config.policy), q.config.code);
  if (c.preferenceActive(now)) {
    out.rule += fmt::format(", reserved for agent {} for another {}", c.preferredAgent,
                            detail::secondsText(c.preferredUntil - now));
  }
  if (c.widen < kOpen) out.rule += fmt::format(", widened to proficiency {}", c.widen);
  out.candidates.clear();
  const std::uint32_t qi = indexOf(q);
  CandidateList list(out.candidates, chosen != nullptr);
  // Every available member in ranking order: a merge of the per-cap sets.
  std::array<std::set<AgentKey>::const_iterator, kLevels> it;
  for (int i = 0; i < kLevels; ++i) it[i] = q.available[i].begin();
  while (!list.done()) {
    int pick = -1;
    for (int i = 0; i < kLevels; ++i) {
      if (it[i] != q.available[i].end() && (pick < 0 || *it[i] < *it[pick])) pick = i;
    }
    if (pick < 0) break;
    const AgentKey key = *it[pick]++;
    const bool isChosen = chosen != nullptr && key == *chosen;
    if (!list.wants(isChosen)) continue;
    const Agent& a = agents[key.agent];
    const Membership* m = a.membership(qi);
    BANKCC_ASSERT(m != nullptr, "an agent in a queue's available set is a member");
    Candidate cand;
    cand.id = a.no;
    cand.queue = q.config.code;
    cand.chosen = isChosen;
    if (c.preferenceActive(now) && a.no != c.preferredAgent) {
      cand.note = fmt::format("reserved for agent {} for another {}", c.preferredAgent,
                              detail::secondsText(c.preferredUntil - now));
    } else if (m->cap < c.widen) {
      cand.note = detail::shortfall(a, q, c.widen, skillNames);
    } else {
      cand.eligible = true;
      const std::string idle = detail::secondsText(now - a.idleSince);
      switch (q.config.policy) {
        case RoutingPolicy::LongestIdle:
          cand.note = fmt::format("idle {}", idle);
          break;
        case RoutingPolicy::MostSkilled:
          cand.note = fmt::format("proficiency {}, idle {}", m->score, idle);
          break;
        case RoutingPolicy::RoundRobin:
          cand.note =
              m->lastOffered == 0
                  ? fmt::format("never offered a call from this queue, idle {}", idle)
                  : fmt::format("last offered a call from this queue at offer #{}", m->lastOffered);
          break;
      }
    }
    list.add(std::move(cand));
  }
}

void Acd::Impl::explainAgent(const Agent& a, SysTime now, std::uint32_t chosen,
                             Explanation& out) const {
  if (a.memberships.size() == 1) {
    out.rule = fmt::format("highest effective priority, then earliest arrival, in queue {}",
                           queues[a.memberships.front().queue]->config.code);
  } else {
    out.rule = fmt::format("cross-queue: oldest of the highest effective priority over {} queues",
                           a.memberships.size());
  }
  out.candidates.clear();
  struct Seen {
    std::uint32_t call;
    const Membership* m;
  };
  std::vector<Seen> seen;
  for (const Membership& m : a.memberships) {
    for (std::uint32_t ci : queues[m.queue]->calls) seen.push_back({ci, &m});
  }
  std::sort(seen.begin(), seen.end(), [&](const Seen& x, const Seen& y) {
    return detail::ranksBefore(calls[x.call], *queues[x.m->queue], calls[y.call],
                               *queues[y.m->queue], now);
  });
  CandidateList list(out.candidates, chosen != kNone);
  for (const Seen& s : seen) {
    if (list.done()) break;
    const bool isChosen = s.call == chosen;
    if (!list.wants(isChosen)) continue;
    const Call& c = calls[s.call];
    const Queue& q = *queues[s.m->queue];
    Candidate cand;
    cand.id = c.id;
    cand.queue = q.config.code;
    cand.chosen = isChosen;
    if (c.offered()) {
      cand.note = fmt::format("offered to agent {}", agents[c.offeredTo].no);
    } else if (c.preferenceActive(now) && c.preferredAgent != a.no) {
      cand.note = fmt::format("reserved for agent {} for another {}", c.preferredAgent,
                              detail::secondsText(c.preferredUntil - now));
    } else if (c.widen > s.m->cap) {
      cand.note = detail::shortfall(a, q, c.widen, skillNames);
    } else {
      cand.eligible = true;
      cand.note = fmt::format("effective priority {}, waited {}",
                              priorityText(detail::effectivePriority(c, q, now)),
                              detail::secondsText(now - c.arrived));
    }
    list.add(std::move(cand));
  }
}

}  // namespace bankcc::acd
