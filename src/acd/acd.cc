// SPDX-License-Identifier: Apache-2.0
// The organisation side of the ACD: names, validation, queues, agents, membership,
// availability. Calls and time are in acd_calls.cc, decisions in acd_routing.cc.
#include <fmt/core.h>

#include <algorithm>
#include <unordered_set>

#include "acd/acd_internal.h"

namespace bankcc::acd {

using base::err;
using base::Errc;
using base::Status;

std::string_view routingPolicyName(RoutingPolicy p) {
  switch (p) {
    case RoutingPolicy::LongestIdle:
      return "longest_idle";
    case RoutingPolicy::MostSkilled:
      return "most_skilled";
    case RoutingPolicy::RoundRobin:
      return "round_robin";
  }
  return "unknown";
}

std::optional<RoutingPolicy> parseRoutingPolicy(std::string_view name) {
  for (auto p :
       {RoutingPolicy::LongestIdle, RoutingPolicy::MostSkilled, RoutingPolicy::RoundRobin}) {
    if (routingPolicyName(p) == name) return p;
  }
  return std::nullopt;
}

std::string_view joinOutcomeName(JoinOutcome o) {
  switch (o) {
    case JoinOutcome::Queued:
      return "queued";
    case JoinOutcome::Full:
      return "full";
    case JoinOutcome::Closed:
      return "closed";
    case JoinOutcome::NoMembers:
      return "no_members";
  }
  return "unknown";
}

namespace detail {

int Agent::proficiency(std::uint32_t skill) const {
  for (const auto& [s, p] : skills) {
    if (s == skill) return p;
  }
  return 0;
}

const Membership* Agent::membership(std::uint32_t queue) const {
  auto it = std::lower_bound(memberships.begin(), memberships.end(), queue,
                             [](const Membership& m, std::uint32_t q) { return m.queue < q; });
  return it != memberships.end() && it->queue == queue ? &*it : nullptr;
}

Membership* Agent::membership(std::uint32_t queue) {
  return const_cast<Membership*>(std::as_const(*this).membership(queue));
}

int Queue::membersAtLeast(int level) const {
  int n = 0;
  for (int l = std::max(level, 1); l <= kOpen; ++l) n += membersByCap[l - 1];
  return n;
}

namespace {

/// A need on a skill nobody has (a skill code the ACD has never seen).
constexpr std::uint32_t kUnknownSkill = kNone;
/// A language nobody speaks; distinct from kNone ("any language").
constexpr std::uint32_t kUnknownLanguage = kNone - 1;

/// Cap and score of an agent against needs and a language; nullopt when not a member.
std::optional<std::pair<int, int>> evaluateNeeds(const Agent& a, const std::vector<Need>& needs,
                                                 std::uint32_t language) {
  if (language != kNone &&
      std::find(a.languages.begin(), a.languages.end(), language) == a.languages.end()) {
    return std::nullopt;
  }
  int cap = kOpen;
  int score = 0;
  for (const Need& n : needs) {
    const int p = n.skill == kUnknownSkill ? 0 : a.proficiency(n.skill);
    if (p <= 0) return std::nullopt;
    score += p;
    if (p < n.minProficiency) cap = std::min(cap, p);
  }
  return std::make_pair(cap, score);
}

int loosestLevel(const std::vector<OverflowStep>& steps) {
  int level = kOpen;
  for (const auto& s : steps) {
    if (s.kind == OverflowStep::Kind::Widen) level = std::min(level, s.minProficiency);
  }
  return level;
}

bool proficiencyInRange(int p) {
  return p >= 1 && p <= 5;
}

Status validateQueue(const QueueConfig& c) {
  if (c.code.empty()) return err(Errc::ValidationFailed, "queue code must not be empty");
  const std::string& code = c.code;
  if (c.needs.empty()) {
    return err(Errc::ValidationFailed, fmt::format("queue '{}': needs at least one skill", code));
  }
  std::unordered_set<std::string_view> seen;
  for (const auto& n : c.needs) {
    if (n.skill.empty()) {
      return err(Errc::ValidationFailed,
                 fmt::format("queue '{}': a skill need has no skill code", code));
    }
    if (!seen.insert(n.skill).second) {
      return err(Errc::ValidationFailed,
                 fmt::format("queue '{}': skill '{}' is needed twice", code, n.skill));
    }
    if (!proficiencyInRange(n.minProficiency)) {
      return err(Errc::ValidationFailed,
                 fmt::format("queue '{}': minimum proficiency {} for '{}' is outside 1..5", code,
                             n.minProficiency, n.skill));
    }
  }
  if (c.agingStep < Duration::zero() || c.agingStep > kMaxAgingStep) {
    return err(Errc::ValidationFailed,
               fmt::format("queue '{}': agingStep must be between 0 and 366 days", code));
  }
  if (c.maxSize < 0) {
    return err(Errc::ValidationFailed, fmt::format("queue '{}': maxSize must be >= 0", code));
  }
  if (c.maxWait < Duration::zero()) {
    return err(Errc::ValidationFailed, fmt::format("queue '{}': maxWait must be >= 0", code));
  }
  if (c.averageHandleTime < Duration::zero()) {
    return err(Errc::ValidationFailed,
               fmt::format("queue '{}': averageHandleTime must be >= 0", code));
  }
  Duration previous{0};
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    const OverflowStep& s = c.steps[i];
    const std::size_t n = i + 1;
    if (s.after <= Duration::zero()) {
      return err(Errc::ValidationFailed,
                 fmt::format("queue '{}': step {}: 'after' must be greater than 0", code, n));
    }
    if (i > 0 && s.after <= previous) {
      return err(Errc::ValidationFailed,
                 fmt::format("queue '{}': steps must be in increasing order of 'after'", code));
    }
    previous = s.after;
    switch (s.kind) {
      case OverflowStep::Kind::Widen:
        if (!proficiencyInRange(s.minProficiency)) {
          return err(Errc::ValidationFailed,
                     fmt::format("queue '{}': step {}: widen proficiency {} is outside 1..5", code,
                                 n, s.minProficiency));
        }
        break;
      case OverflowStep::Kind::MoveTo:
        if (s.target.empty()) {
          return err(Errc::ValidationFailed,
                     fmt::format("queue '{}': step {}: move needs a target queue", code, n));
        }
        if (s.target == code) {
          return err(
              Errc::ValidationFailed,
              fmt::format("queue '{}': step {}: cannot move a call to its own queue", code, n));
        }
        break;
      case OverflowStep::Kind::LeaveTo:
        if (s.target.empty()) {
          return err(Errc::ValidationFailed,
                     fmt::format("queue '{}': step {}: leave needs a destination", code, n));
        }
        break;
    }
  }
  return {};
}

Status validateAgent(const AgentConfig& c) {
  if (c.agentNo.empty()) return err(Errc::ValidationFailed, "agent number must not be empty");
  std::unordered_set<std::string_view> seen;
  for (const auto& s : c.skills) {
    if (s.skill.empty()) {
      return err(Errc::ValidationFailed,
                 fmt::format("agent '{}': a skill has no skill code", c.agentNo));
    }
    if (!seen.insert(s.skill).second) {
      return err(Errc::ValidationFailed,
                 fmt::format("agent '{}': skill '{}' is listed twice", c.agentNo, s.skill));
    }
    if (!proficiencyInRange(s.proficiency)) {
      return err(Errc::ValidationFailed,
                 fmt::format("agent '{}': proficiency {} for '{}' is outside 1..5", c.agentNo,
                             s.proficiency, s.skill));
    }
  }
  for (const auto& l : c.languages) {
    if (l.empty()) {
      return err(Errc::ValidationFailed,
                 fmt::format("agent '{}': a language code is empty", c.agentNo));
    }
  }
  return {};
}

}  // namespace
}  // namespace detail

using detail::kNone;
using detail::kOpen;

// --- lookups ---------------------------------------------------------------------------------

std::uint32_t Acd::Impl::skillId(std::string_view code) {
  auto it = skillIndex.find(code);
  if (it != skillIndex.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(skillNames.size());
  skillNames.emplace_back(code);
  skillIndex.emplace(std::string(code), id);
  return id;
}

std::uint32_t Acd::Impl::languageId(std::string_view code) {
  auto it = languageIndex.find(code);
  if (it != languageIndex.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(languageIndex.size());
  languageIndex.emplace(std::string(code), id);
  return id;
}

detail::Agent* Acd::Impl::findAgent(std::string_view no) {
  auto it = agentIndex.find(no);
  if (it == agentIndex.end() || !agents[it->second].known) return nullptr;
  return &agents[it->second];
}

const detail::Agent* Acd::Impl::findAgent(std::string_view no) const {
  return const_cast<Impl*>(this)->findAgent(no);
}

detail::Queue* Acd::Impl::findQueue(std::string_view code) {
  auto it = queueIndex.find(code);
  if (it == queueIndex.end() || !queues[it->second]->exists) return nullptr;
  return queues[it->second].get();
}

const detail::Queue* Acd::Impl::findQueue(std::string_view code) const {
  return const_cast<Impl*>(this)->findQueue(code);
}

std::uint32_t Acd::Impl::findCall(std::string_view id) const {
  auto it = callIndex.find(id);
  return it == callIndex.end() ? kNone : it->second;
}

// --- membership ------------------------------------------------------------------------------

std::optional<std::pair<int, int>> Acd::Impl::evaluate(const Agent& a, const Queue& q) const {
  return detail::evaluateNeeds(a, q.needs, q.language);
}

detail::AgentKey Acd::Impl::agentKey(const Queue& q, const Agent& a, const Membership& m) const {
  const std::int64_t idle = a.idleSince.time_since_epoch().count();
  switch (q.config.policy) {
    case RoutingPolicy::LongestIdle:
      return {idle, 0, ordinalOf(a)};
    case RoutingPolicy::MostSkilled:
      return {-static_cast<std::int64_t>(m.score), idle, ordinalOf(a)};
    case RoutingPolicy::RoundRobin:
      return {static_cast<std::int64_t>(m.lastOffered), 0, ordinalOf(a)};
  }
  return {idle, 0, ordinalOf(a)};
}

namespace {

/// Inserts near the end first: an agent who just became available usually ranks last.
detail::AgentSet::iterator insertAgent(detail::AgentSet& set, const detail::AgentKey& key) {
  [[maybe_unused]] const std::size_t before = set.size();
  auto it = set.emplace_hint(set.end(), key);
  BANKCC_ASSERT(set.size() == before + 1, "an agent is in a queue's available set at most once");
  return it;
}

}  // namespace

void Acd::Impl::insertAvailable(Agent& a) {
  for (Membership& m : a.memberships) {
    Queue& q = *queues[m.queue];
    m.slot = insertAgent(q.available[m.cap - 1], agentKey(q, a, m));
    ++q.availableCount;
  }
}

void Acd::Impl::eraseAvailable(Agent& a) {
  for (const Membership& m : a.memberships) {
    Queue& q = *queues[m.queue];
    q.available[m.cap - 1].erase(m.slot);
    --q.availableCount;
  }
}

void Acd::Impl::dropMembership(Agent& a, std::uint32_t qi) {
  Membership* m = a.membership(qi);
  if (m == nullptr) return;
  Queue& q = *queues[qi];
  if (a.available) {
    q.available[m->cap - 1].erase(m->slot);
    --q.availableCount;
  }
  --q.membersByCap[m->cap - 1];
  a.memberships.erase(a.memberships.begin() + (m - a.memberships.data()));
}

void Acd::Impl::addMembership(Agent& a, std::uint32_t qi) {
  Queue& q = *queues[qi];
  auto eval = evaluate(a, q);
  if (!eval) return;
  Membership m;
  m.queue = qi;
  m.cap = eval->first;
  m.score = eval->second;
  for (const auto& [queue, seq] : a.offeredFrom) {
    if (queue == qi) m.lastOffered = seq;
  }
  ++q.membersByCap[m.cap - 1];
  if (a.available) {
    m.slot = insertAgent(q.available[m.cap - 1], agentKey(q, a, m));
    ++q.availableCount;
  }
  auto pos = std::lower_bound(
      a.memberships.begin(), a.memberships.end(), qi,
      [](const detail::Membership& x, std::uint32_t queue) { return x.queue < queue; });
  BANKCC_ASSERT(pos == a.memberships.end() || pos->queue != qi, "membership added twice");
  a.memberships.insert(pos, m);
}

// --- Acd: organisation -----------------------------------------------------------------------

Acd::Acd() : impl_(std::make_unique<Impl>()) {}
Acd::~Acd() = default;

Status Acd::setQueue(QueueConfig config) {
  BANKCC_TRY(detail::validateQueue(config));
  Impl& im = *impl_;
  std::uint32_t qi;
  if (auto it = im.queueIndex.find(config.code); it != im.queueIndex.end()) {
    qi = it->second;
  } else {
    qi = static_cast<std::uint32_t>(im.queues.size());
    im.queues.push_back(std::make_unique<detail::Queue>());
    im.queues.back()->index = qi;
    im.queueIndex.emplace(config.code, qi);
  }
  detail::Queue& q = *im.queues[qi];
  // Take the calls out of the routing structures and the agents out of the queue while the
  // old configuration still gives their keys.
  for (std::uint32_t ci : q.calls) {
    im.unschedule(im.calls[ci]);
    im.detach(im.calls[ci]);
  }
  if (q.exists) {
    for (auto& a : im.agents) {
      if (a.known) im.dropMembership(a, qi);
    }
  }
  q.config = std::move(config);
  q.exists = true;
  q.needs.clear();
  for (const auto& n : q.config.needs) q.needs.push_back({im.skillId(n.skill), n.minProficiency});
  q.language = q.config.language.empty() ? kNone : im.languageId(q.config.language);
  q.loosest = detail::loosestLevel(q.config.steps);
  if (!q.ahtLearned) q.aht = q.config.averageHandleTime;
  for (auto& a : im.agents) {
    if (a.known) im.addMembership(a, qi);
  }
  im.rebuildCalls(q);
  return {};
}

Status Acd::removeQueue(std::string_view code) {
  Impl& im = *impl_;
  detail::Queue* q = im.findQueue(code);
  if (q == nullptr) return err(Errc::NotFound, fmt::format("no queue '{}'", code));
  if (!q->calls.empty()) {
    return err(Errc::Conflict,
               fmt::format("queue '{}' still has {} waiting call(s)", code, q->calls.size()));
  }
  const std::uint32_t qi = im.indexOf(*q);
  for (auto& a : im.agents) {
    if (a.known) im.dropMembership(a, qi);
    std::erase_if(a.offeredFrom, [qi](const auto& entry) { return entry.first == qi; });
  }
  q->exists = false;
  q->ahtLearned = false;
  return {};
}

Status Acd::setAgent(AgentConfig config) {
  BANKCC_TRY(detail::validateAgent(config));
  Impl& im = *impl_;
  std::uint32_t ord;
  if (auto it = im.agentIndex.find(config.agentNo); it != im.agentIndex.end()) {
    ord = it->second;
  } else {
    ord = static_cast<std::uint32_t>(im.agents.size());
    im.agents.emplace_back();
    im.agents.back().no = config.agentNo;
    im.agentIndex.emplace(config.agentNo, ord);
  }
  detail::Agent& a = im.agents[ord];
  while (!a.memberships.empty()) im.dropMembership(a, a.memberships.back().queue);
  if (!a.known) {
    a.known = true;
    a.available = false;
    a.offeredCall = kNone;
  }
  a.skills.clear();
  for (const auto& s : config.skills) a.skills.emplace_back(im.skillId(s.skill), s.proficiency);
  std::sort(a.skills.begin(), a.skills.end());
  a.languages.clear();
  for (const auto& l : config.languages) a.languages.push_back(im.languageId(l));
  for (std::uint32_t qi = 0; qi < im.queues.size(); ++qi) {
    if (im.queues[qi]->exists) im.addMembership(a, qi);
  }
  return {};
}

Status Acd::removeAgent(std::string_view agentNo) {
  Impl& im = *impl_;
  detail::Agent* a = im.findAgent(agentNo);
  if (a == nullptr) return err(Errc::NotFound, fmt::format("no agent '{}'", agentNo));
  if (a->offeredCall != kNone) {
    return err(Errc::Conflict, fmt::format("agent '{}' has call '{}' offered: release it first",
                                           agentNo, im.calls[a->offeredCall].id));
  }
  while (!a->memberships.empty()) im.dropMembership(*a, a->memberships.back().queue);
  a->known = false;
  a->available = false;
  a->skills.clear();
  a->languages.clear();
  return {};
}

std::vector<std::string> Acd::callsStrandedBy(const QueueConfig& config) const {
  const Impl& im = *impl_;
  const detail::Queue* q = im.findQueue(config.code);
  if (q == nullptr || q->calls.empty()) return {};
  std::vector<detail::Need> needs;
  for (const auto& n : config.needs) {
    auto it = im.skillIndex.find(n.skill);
    needs.push_back(
        {it == im.skillIndex.end() ? detail::kUnknownSkill : it->second, n.minProficiency});
  }
  std::uint32_t language = kNone;
  if (!config.language.empty()) {
    auto it = im.languageIndex.find(config.language);
    language = it == im.languageIndex.end() ? detail::kUnknownLanguage : it->second;
  }
  int bestCap = 0;  // the highest cap of any member under `config`; 0: no member
  for (const auto& a : im.agents) {
    if (!a.known) continue;
    if (auto eval = detail::evaluateNeeds(a, needs, language)) {
      bestCap = std::max(bestCap, eval->first);
    }
  }
  const int loosest = detail::loosestLevel(config.steps);
  std::vector<const detail::Call*> stranded;
  for (std::uint32_t ci : q->calls) {
    const detail::Call& c = im.calls[ci];
    if (bestCap < std::min(c.widen, loosest)) stranded.push_back(&c);
  }
  std::sort(stranded.begin(), stranded.end(),
            [](const detail::Call* x, const detail::Call* y) { return x->seq < y->seq; });
  std::vector<std::string> ids;
  for (const auto* c : stranded) ids.push_back(c->id);
  return ids;
}

std::vector<std::string> Acd::callsStrandedWithout(std::string_view agentNo) const {
  const Impl& im = *impl_;
  const detail::Agent* a = im.findAgent(agentNo);
  if (a == nullptr) return {};
  std::vector<const detail::Call*> stranded;
  for (const detail::Membership& m : a->memberships) {
    const detail::Queue& q = *im.queues[m.queue];
    for (std::uint32_t ci : q.calls) {
      const detail::Call& c = im.calls[ci];
      const int level = std::min(c.widen, q.loosest);
      if (m.cap >= level && q.membersAtLeast(level) == 1) stranded.push_back(&c);
    }
  }
  std::sort(stranded.begin(), stranded.end(),
            [](const detail::Call* x, const detail::Call* y) { return x->seq < y->seq; });
  std::vector<std::string> ids;
  for (const auto* c : stranded) ids.push_back(c->id);
  return ids;
}

std::vector<std::string> Acd::callsStrandedBy(const AgentConfig& config) const {
  const Impl& im = *impl_;
  const detail::Agent* a = im.findAgent(config.agentNo);
  if (a == nullptr) return {};
  // The agent as `config` would make them; a skill or language no queue knows matters to none.
  detail::Agent probe;
  for (const auto& s : config.skills) {
    if (auto it = im.skillIndex.find(s.skill); it != im.skillIndex.end()) {
      probe.skills.emplace_back(it->second, s.proficiency);
    }
  }
  std::sort(probe.skills.begin(), probe.skills.end());
  for (const auto& l : config.languages) {
    if (auto it = im.languageIndex.find(l); it != im.languageIndex.end()) {
      probe.languages.push_back(it->second);
    }
  }
  std::vector<const detail::Call*> stranded;
  for (const detail::Membership& m : a->memberships) {
    const detail::Queue& q = *im.queues[m.queue];
    const auto eval = im.evaluate(probe, q);
    const int capAfter = eval ? eval->first : 0;
    for (std::uint32_t ci : q.calls) {
      const detail::Call& c = im.calls[ci];
      const int level = std::min(c.widen, q.loosest);
      if (m.cap >= level && q.membersAtLeast(level) == 1 && capAfter < level) {
        stranded.push_back(&c);
      }
    }
  }
  std::sort(stranded.begin(), stranded.end(),
            [](const detail::Call* x, const detail::Call* y) { return x->seq < y->seq; });
  std::vector<std::string> ids;
  for (const auto* c : stranded) ids.push_back(c->id);
  return ids;
}

// --- availability ----------------------------------------------------------------------------

Status Acd::setAvailable(std::string_view agentNo, SysTime idleSince) {
  Impl& im = *impl_;
  detail::Agent* a = im.findAgent(agentNo);
  if (a == nullptr) return err(Errc::NotFound, fmt::format("no agent '{}'", agentNo));
  if (a->offeredCall != kNone) {
    return err(Errc::Conflict, fmt::format("agent '{}' has call '{}' offered", agentNo,
                                           im.calls[a->offeredCall].id));
  }
  if (a->available) im.eraseAvailable(*a);
  a->available = true;
  a->idleSince = idleSince;
  im.insertAvailable(*a);
  return {};
}

Status Acd::setUnavailable(std::string_view agentNo) {
  Impl& im = *impl_;
  detail::Agent* a = im.findAgent(agentNo);
  if (a == nullptr) return err(Errc::NotFound, fmt::format("no agent '{}'", agentNo));
  if (a->available) im.eraseAvailable(*a);
  a->available = false;
  return {};
}

}  // namespace bankcc::acd
