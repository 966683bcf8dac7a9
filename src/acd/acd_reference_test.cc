// SPDX-License-Identifier: Apache-2.0
// The invariant test: a long seeded random run of the Acd against a brute-force reference
// written from acd.h's rules alone (scan every agent, every call, every deadline; no indices,
// no caps, no ordered sets). Every decision, outcome and report must be identical.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "acd/acd.h"
#include "acd/acd_test_support.h"

namespace bankcc::acd {
namespace {

using namespace std::chrono_literals;
using base::Errc;

constexpr int kAnyLevel = 6;  // "no Widen step yet"

struct RefQueue {
  QueueConfig cfg;
  std::map<std::size_t, std::uint64_t> lastOffered;  // ordinal -> offer sequence
  Duration aht{};
  bool ahtLearned = false;
};

struct RefAgent {
  std::string no;
  bool known = false;
  std::map<std::string, int> skills;
  std::vector<std::string> languages;
  bool available = false;
  SysTime idleSince{};
  std::string offered;
};

struct RefCall {
  std::string id;
  std::string queue;
  int priority = 0;
  SysTime arrived{};
  std::uint64_t seq = 0;
  std::string preferredAgent;
  SysTime preferredUntil{};
  SysTime joined{};
  int widen = kAnyLevel;
  std::size_t nextStep = 0;
  Duration lastAfter{-1};
  std::string offeredTo;
};

/// The ACD's rules, computed by scanning.
class Reference {
 public:
  /// `cfg` is valid (the Acd accepted it).
  void setQueue(const QueueConfig& cfg) {
    RefQueue& q = queues_[cfg.code];
    const bool replacing = exists(cfg.code);
    q.cfg = cfg;
    if (!q.ahtLearned) q.aht = cfg.averageHandleTime;
    if (replacing) {
      for (auto& c : calls_) {
        if (c.queue != cfg.code) continue;
        c.nextStep = 0;
        while (c.nextStep < cfg.steps.size() && cfg.steps[c.nextStep].after <= c.lastAfter) {
          ++c.nextStep;
        }
      }
    }
    present_[cfg.code] = true;
  }
  std::optional<Errc> removeQueue(const std::string& code) {
    if (!exists(code)) return Errc::NotFound;
    for (const auto& c : calls_) {
      if (c.queue == code) return Errc::Conflict;
    }
    present_[code] = false;
    queues_[code].lastOffered.clear();
    queues_[code].ahtLearned = false;
    return std::nullopt;
  }
  void setAgent(const AgentConfig& cfg) {
    std::size_t ord = ordinal(cfg.agentNo);
    RefAgent& a = agents_[ord];
    if (!a.known) {
      a.known = true;
      a.available = false;
      a.offered.clear();
    }
    a.skills.clear();
    for (const auto& s : cfg.skills) a.skills[s.skill] = s.proficiency;
    a.languages = cfg.languages;
  }
  std::optional<Errc> removeAgent(const std::string& no) {
    RefAgent* a = agent(no);
    if (a == nullptr) return Errc::NotFound;
    if (!a->offered.empty()) return Errc::Conflict;
    a->known = false;
    a->available = false;
    return std::nullopt;
  }
  std::optional<Errc> setAvailable(const std::string& no, SysTime since) {
    RefAgent* a = agent(no);
    if (a == nullptr) return Errc::NotFound;
    if (!a->offered.empty()) return Errc::Conflict;
    a->available = true;
    a->idleSince = since;
    return std::nullopt;
  }
  std::optional<Errc> setUnavailable(const std::string& no) {
    RefAgent* a = agent(no);
    if (a == nullptr) return Errc::NotFound;
    a->available = false;
    return std::nullopt;
  }

  std::variant<JoinOutcome, Errc> enqueue(const CallEntry& e, SysTime now) {
    if (!exists(e.queue)) return Errc::NotFound;
    if (call(e.callId) != nullptr) return Errc::Conflict;
    const QueueConfig& cfg = queues_[e.queue].cfg;
    if (!cfg.open) return JoinOutcome::Closed;
    if (cfg.maxSize > 0 && countIn(e.queue) >= cfg.maxSize) return JoinOutcome::Full;
    bool anyone = false;
    for (const auto& a : agents_) {
      anyone = anyone || (a.known && member(a, cfg) && qualifies(a, cfg, loosest(cfg)));
    }
    RefCall c;
    c.id = e.callId;
    c.priority = e.priority;
    c.arrived = e.arrived;
    c.seq = ++seq_;
    if (!e.preferredAgent.empty() && e.preferredUntil > now) {
      c.preferredAgent = e.preferredAgent;
      c.preferredUntil = e.preferredUntil;
    }
    join(c, e.queue, now);
    calls_.push_back(c);
    return anyone ? JoinOutcome::Queued : JoinOutcome::NoMembers;
  }
  void remove(const std::string& id) {
    auto it = std::find_if(calls_.begin(), calls_.end(), [&](auto& c) { return c.id == id; });
    if (it == calls_.end()) return;
    if (!it->offeredTo.empty()) agent(it->offeredTo)->offered.clear();
    calls_.erase(it);
  }
  std::optional<Errc> offer(const std::string& id, const std::string& no) {
    RefCall* c = call(id);
    if (c == nullptr) return Errc::NotFound;
    RefAgent* a = agent(no);
    if (a == nullptr) return Errc::NotFound;
    if (!c->offeredTo.empty() || !a->offered.empty() || !a->available) return Errc::Conflict;
    c->offeredTo = no;
    a->offered = id;
    a->available = false;
    RefQueue& q = queues_[c->queue];
    if (member(*a, q.cfg)) q.lastOffered[ordinal(no)] = ++offerSeq_;
    return std::nullopt;
  }
  std::optional<Errc> release(const std::string& id) {
    RefCall* c = call(id);
    if (c == nullptr) return Errc::NotFound;
    if (c->offeredTo.empty()) return Errc::Conflict;
    agent(c->offeredTo)->offered.clear();
    c->offeredTo.clear();
    return std::nullopt;
  }

  std::optional<Match> routeCall(const std::string& id, SysTime now) const {
    const RefCall* c = call(id);
    if (c == nullptr || !c->offeredTo.empty()) return std::nullopt;
    const RefQueue& q = queues_.at(c->queue);
    const RefAgent* best = nullptr;
    std::tuple<std::int64_t, std::int64_t, std::size_t> bestKey{};
    for (std::size_t ord = 0; ord < agents_.size(); ++ord) {
      const RefAgent& a = agents_[ord];
      if (!a.known || !a.available || !member(a, q.cfg) || !qualifies(a, q.cfg, c->widen)) {
        continue;
      }
      if (c->preferredAgent.size() && now < c->preferredUntil && a.no != c->preferredAgent) {
        continue;
      }
      const std::int64_t idle = a.idleSince.time_since_epoch().count();
      std::tuple<std::int64_t, std::int64_t, std::size_t> key;
      switch (q.cfg.policy) {
        case RoutingPolicy::LongestIdle:
          key = {idle, 0, ord};
          break;
        case RoutingPolicy::MostSkilled:
          key = {-score(a, q.cfg), idle, ord};
          break;
        case RoutingPolicy::RoundRobin: {
          auto it = q.lastOffered.find(ord);
          key = {it == q.lastOffered.end() ? 0 : static_cast<std::int64_t>(it->second), 0, ord};
          break;
        }
      }
      if (best == nullptr || key < bestKey) {
        best = &a;
        bestKey = key;
      }
    }
    if (best == nullptr) return std::nullopt;
    return Match{c->id, best->no, c->queue};
  }

  std::optional<Match> routeAgent(const std::string& no, SysTime now) const {
    const RefAgent* a = agent(no);
    if (a == nullptr || !a->available) return std::nullopt;
    const RefCall* best = nullptr;
    for (const auto& c : calls_) {
      const QueueConfig& cfg = queues_.at(c.queue).cfg;
      if (!c.offeredTo.empty() || !member(*a, cfg) || !qualifies(*a, cfg, c.widen)) continue;
      if (c.preferredAgent.size() && now < c.preferredUntil && c.preferredAgent != no) continue;
      if (best == nullptr || before(c, *best, now)) best = &c;
    }
    if (best == nullptr) return std::nullopt;
    return Match{best->id, no, best->queue};
  }

  std::vector<StepDue> advance(SysTime now) {
    std::vector<StepDue> out;
    for (;;) {
      RefCall* next = nullptr;
      std::tuple<SysTime, std::uint64_t, int> nextKey{};
      for (auto& c : calls_) {
        auto k = due(c);
        if (k && (next == nullptr || *k < nextKey)) {
          next = &c;
          nextKey = *k;
        }
      }
      if (next == nullptr || std::get<0>(nextKey) > now) break;
      const SysTime at = std::get<0>(nextKey);
      RefCall& c = *next;
      const QueueConfig cfg = queues_[c.queue].cfg;
      StepDue d;
      d.callId = c.id;
      d.fromQueue = c.queue;
      const int kind = std::get<2>(nextKey);
      if (kind == 0) {
        d.kind = StepDue::Kind::PreferenceExpired;
        c.preferredAgent.clear();
      } else if (kind == 2) {
        d.kind = StepDue::Kind::TimedOut;
        d.target = cfg.fallback;
        remove(c.id);
      } else {
        const OverflowStep step = cfg.steps[c.nextStep++];
        c.lastAfter = step.after;
        if (step.kind == OverflowStep::Kind::Widen) {
          d.kind = StepDue::Kind::Widened;
          c.widen = std::min(c.widen, step.minProficiency);
        } else if (step.kind == OverflowStep::Kind::LeaveTo) {
          d.kind = StepDue::Kind::Left;
          d.target = step.target;
          remove(c.id);
        } else {
          const bool there = exists(step.target);
          const QueueConfig* t = there ? &queues_[step.target].cfg : nullptr;
          if (t != nullptr && t->open && (t->maxSize == 0 || countIn(step.target) < t->maxSize)) {
            d.kind = StepDue::Kind::Moved;
            d.target = step.target;
            join(c, step.target, at);
          } else {
            d.kind = StepDue::Kind::Left;
            d.target = t != nullptr && !t->fallback.empty() ? t->fallback : cfg.fallback;
            remove(c.id);
          }
        }
      }
      out.push_back(d);
    }
    return out;
  }
  std::optional<SysTime> nextDeadline() const {
    std::optional<SysTime> best;
    for (const auto& c : calls_) {
      if (auto k = due(c); k && (!best || std::get<0>(*k) < *best)) best = std::get<0>(*k);
    }
    return best;
  }

  std::optional<QueuePosition> position(const std::string& id, SysTime now) const {
    const RefCall* c = call(id);
    if (c == nullptr) return std::nullopt;
    if (!c->offeredTo.empty()) return QueuePosition{1, 0s};
    int ahead = 0;
    for (const auto& o : calls_) {
      if (o.queue == c->queue && o.id != id && (!o.offeredTo.empty() || before(o, *c, now))) {
        ++ahead;
      }
    }
    const RefQueue& q = queues_.at(c->queue);
    return QueuePosition{ahead + 1, q.aht * (ahead + 1) / std::max(1, members(q.cfg, false))};
  }
  std::optional<QueueSnapshot> snapshot(const std::string& code, SysTime now) const {
    if (!exists(code)) return std::nullopt;
    QueueSnapshot s;
    s.code = code;
    for (const auto& c : calls_) {
      if (c.queue != code) continue;
      ++s.waiting;
      s.offered += c.offeredTo.empty() ? 0 : 1;
      s.oldestWait = std::max(s.oldestWait, now - c.arrived);
    }
    s.membersLoggedIn = members(queues_.at(code).cfg, false);
    s.membersAvailable = members(queues_.at(code).cfg, true);
    return s;
  }
  void recordHandleTime(const std::string& code, Duration t) {
    if (!exists(code) || t < 0s) return;
    RefQueue& q = queues_[code];
    q.aht += (t - q.aht) / 8;
    q.ahtLearned = true;
  }
  std::vector<std::string> strandedBy(const QueueConfig& cfg) const {
    std::vector<std::string> out;
    if (!exists(cfg.code)) return out;
    for (const auto& c : calls_) {
      if (c.queue != cfg.code) continue;
      const int level = std::min(c.widen, loosest(cfg));
      bool anyone = false;
      for (const auto& a : agents_) {
        anyone = anyone || (a.known && member(a, cfg) && qualifies(a, cfg, level));
      }
      if (!anyone) out.push_back(c.id);
    }
    return out;  // calls_ is in enqueue order
  }
  std::vector<std::string> strandedWithout(const std::string& no) const {
    std::vector<std::string> out;
    const RefAgent* me = agent(no);
    if (me == nullptr) return out;
    for (const auto& c : calls_) {
      const QueueConfig& cfg = queues_.at(c.queue).cfg;
      const int level = std::min(c.widen, loosest(cfg));
      if (!member(*me, cfg) || !qualifies(*me, cfg, level)) continue;
      bool other = false;
      for (const auto& a : agents_) {
        other = other || (&a != me && a.known && member(a, cfg) && qualifies(a, cfg, level));
      }
      if (!other) out.push_back(c.id);
    }
    return out;
  }

  bool exists(const std::string& code) const {
    auto it = present_.find(code);
    return it != present_.end() && it->second;
  }
  std::vector<std::string> liveCalls() const {
    std::vector<std::string> ids;
    for (const auto& c : calls_) ids.push_back(c.id);
    return ids;
  }
  std::vector<std::string> offeredCalls() const {
    std::vector<std::string> ids;
    for (const auto& c : calls_) {
      if (!c.offeredTo.empty()) ids.push_back(c.id);
    }
    return ids;
  }

 private:
  std::size_t ordinal(const std::string& no) {
    for (std::size_t i = 0; i < agents_.size(); ++i) {
      if (agents_[i].no == no) return i;
    }
    agents_.emplace_back();
    agents_.back().no = no;
    return agents_.size() - 1;
  }
  RefAgent* agent(const std::string& no) {
    for (auto& a : agents_) {
      if (a.no == no && a.known) return &a;
    }
    return nullptr;
  }
  const RefAgent* agent(const std::string& no) const {
    return const_cast<Reference*>(this)->agent(no);
  }
  RefCall* call(const std::string& id) {
    for (auto& c : calls_) {
      if (c.id == id) return &c;
    }
    return nullptr;
  }
  const RefCall* call(const std::string& id) const {
    return const_cast<Reference*>(this)->call(id);
  }
  int countIn(const std::string& code) const {
    return static_cast<int>(
        std::count_if(calls_.begin(), calls_.end(), [&](auto& c) { return c.queue == code; }));
  }
  static int prof(const RefAgent& a, const std::string& skill) {
    auto it = a.skills.find(skill);
    return it == a.skills.end() ? 0 : it->second;
  }
  static bool member(const RefAgent& a, const QueueConfig& cfg) {
    if (!cfg.language.empty() &&
        std::find(a.languages.begin(), a.languages.end(), cfg.language) == a.languages.end()) {
      return false;
    }
    for (const auto& n : cfg.needs) {
      if (prof(a, n.skill) < 1) return false;
    }
    return true;
  }
  static bool qualifies(const RefAgent& a, const QueueConfig& cfg, int widen) {
    for (const auto& n : cfg.needs) {
      if (prof(a, n.skill) < std::min(n.minProficiency, widen)) return false;
    }
    return true;
  }
  static std::int64_t score(const RefAgent& a, const QueueConfig& cfg) {
    std::int64_t s = 0;
    for (const auto& n : cfg.needs) s += prof(a, n.skill);
    return s;
  }
  static int loosest(const QueueConfig& cfg) {
    int l = kAnyLevel;
    for (const auto& s : cfg.steps) {
      if (s.kind == OverflowStep::Kind::Widen) l = std::min(l, s.minProficiency);
    }
    return l;
  }
  int members(const QueueConfig& cfg, bool availableOnly) const {
    int n = 0;
    for (const auto& a : agents_) {
      if (a.known && member(a, cfg) && (!availableOnly || a.available)) ++n;
    }
    return n;
  }
  /// Higher effective priority (exact), then earlier arrival, then enqueue order.
  bool before(const RefCall& x, const RefCall& y, SysTime now) const {
    const std::int64_t ax = queues_.at(x.queue).cfg.agingStep.count();
    const std::int64_t ay = queues_.at(y.queue).cfg.agingStep.count();
    // x.priority + wx / ax  vs  y.priority + wy / ay, over the common denominator ax * ay.
    const __int128 dx = ax > 0 ? ax : 1;
    const __int128 dy = ay > 0 ? ay : 1;
    const __int128 nx = x.priority * dx + (ax > 0 ? (now - x.arrived).count() : 0);
    const __int128 ny = y.priority * dy + (ay > 0 ? (now - y.arrived).count() : 0);
    if (nx * dy != ny * dx) return nx * dy > ny * dx;
    if (x.arrived != y.arrived) return x.arrived < y.arrived;
    return x.seq < y.seq;
  }
  void join(RefCall& c, const std::string& queue, SysTime at) {
    c.queue = queue;
    c.joined = at;
    c.widen = kAnyLevel;
    c.nextStep = 0;
    c.lastAfter = Duration{-1};
  }
  std::optional<std::tuple<SysTime, std::uint64_t, int>> due(const RefCall& c) const {
    if (!c.offeredTo.empty()) return std::nullopt;
    const QueueConfig& cfg = queues_.at(c.queue).cfg;
    std::optional<std::tuple<SysTime, std::uint64_t, int>> best;
    auto consider = [&](SysTime t, int kind) {
      std::tuple<SysTime, std::uint64_t, int> k{t, c.seq, kind};
      if (!best || k < *best) best = k;
    };
    if (!c.preferredAgent.empty()) consider(c.preferredUntil, 0);
    if (c.nextStep < cfg.steps.size()) consider(c.joined + cfg.steps[c.nextStep].after, 1);
    if (cfg.maxWait > 0s) consider(c.joined + cfg.maxWait, 2);
    return best;
  }

  std::map<std::string, RefQueue> queues_;
  std::map<std::string, bool> present_;
  std::vector<RefAgent> agents_;
  std::vector<RefCall> calls_;  // enqueue order (a moved call keeps its place)
  std::uint64_t seq_ = 0;
  std::uint64_t offerSeq_ = 0;
};

// --- the random run --------------------------------------------------------------------------

class Fuzz {
 public:
  explicit Fuzz(std::uint32_t seed) : rng_(seed) {}

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(uniform(0, static_cast<int>(v.size()) - 1))];
  }

  std::string queueCode() { return "q" + std::to_string(uniform(0, 5)); }
  std::string agentNo() { return "a" + std::to_string(uniform(10, 39)); }
  std::string skill() { return "s" + std::to_string(uniform(0, 5)); }
  int proficiency() { return chance(0.5) ? uniform(1, 2) : uniform(1, 5); }

  QueueConfig queue() {
    QueueConfig q;
    q.code = queueCode();
    const int needs = uniform(1, 3);
    while (static_cast<int>(q.needs.size()) < needs) {
      std::string s = skill();
      if (std::none_of(q.needs.begin(), q.needs.end(), [&](auto& n) { return n.skill == s; })) {
        q.needs.push_back({s, proficiency()});
      }
    }
    q.language = chance(0.7) ? "" : (chance(0.5) ? "zh" : "en");
    q.policy = static_cast<RoutingPolicy>(uniform(0, 2));
    q.agingStep = std::chrono::seconds(pick(std::vector<int>{0, 30, 60, 90, 7}));
    q.maxSize = chance(0.5) ? 0 : uniform(2, 12);
    q.maxWait = chance(0.6) ? 0s : std::chrono::seconds(uniform(60, 400));
    q.fallback = chance(0.7) ? "fb_" + q.code : "";
    q.open = chance(0.9);
    q.averageHandleTime = std::chrono::seconds(uniform(30, 300));
    int after = 0;
    for (int i = uniform(0, 3); i > 0; --i) {
      after += uniform(5, 120);
      OverflowStep s;
      s.after = std::chrono::seconds(after);
      const int k = uniform(0, 9);
      if (k < 6) {
        s.kind = OverflowStep::Kind::Widen;
        s.minProficiency = uniform(1, 4);
      } else if (k < 9) {
        s.kind = OverflowStep::Kind::MoveTo;
        s.target = chance(0.9) ? queueCode() : "q_missing";
        if (s.target == q.code) s.target = "q_missing";
      } else {
        s.kind = OverflowStep::Kind::LeaveTo;
        s.target = "vm";
      }
      q.steps.push_back(s);
    }
    if (chance(0.02)) q.needs.front().minProficiency = 9;  // invalid now and then
    return q;
  }

  AgentConfig agent() {
    AgentConfig a;
    a.agentNo = agentNo();
    const int n = uniform(1, 4);
    while (static_cast<int>(a.skills.size()) < n) {
      std::string s = skill();
      if (std::none_of(a.skills.begin(), a.skills.end(), [&](auto& x) { return x.skill == s; })) {
        a.skills.push_back({s, uniform(1, 5)});
      }
    }
    if (chance(0.9)) a.languages.push_back("zh");
    if (chance(0.4)) a.languages.push_back("en");
    return a;
  }

 private:
  std::mt19937 rng_;
};

std::string show(const std::optional<Match>& m) {
  return m ? m->callId + " -> " + m->agentNo + " @" + m->queue : "none";
}

std::optional<Errc> codeOf(const base::Status& s) {
  return s.ok() ? std::nullopt : std::optional<Errc>(s.error().code);
}

void runAgainstReference(std::uint32_t seed, int operations) {
  Acd acd;
  Reference ref;
  Fuzz f(seed);
  SysTime now = test::kT0;
  int nextCall = 0;
  int decisions = 0;
  int matches = 0;
  for (int op = 0; op < operations; ++op) {
    if (::testing::Test::HasFatalFailure()) return;
    SCOPED_TRACE(testing::Message() << "seed " << seed << ", operation " << op);
    // Whole seconds most of the time, so that ties (idle times, effective priorities) occur.
    if (f.chance(0.3)) {
      now += f.chance(0.8) ? Duration(std::chrono::seconds(f.uniform(0, 8)))
                           : Duration(std::chrono::milliseconds(f.uniform(0, 8000)));
    }
    const int r = f.uniform(0, 999);
    auto routeAndMaybeOffer = [&](const std::optional<Match>& got,
                                  const std::optional<Match>& want) {
      ++decisions;
      ASSERT_EQ(show(got), show(want));
      if (got && f.chance(0.7)) {
        ++matches;
        ASSERT_TRUE(acd.offer(got->callId, got->agentNo).ok());
        ASSERT_FALSE(ref.offer(got->callId, got->agentNo).has_value());
      }
    };
    if (r < 20) {
      QueueConfig q = f.queue();
      auto s = acd.setQueue(q);
      if (!s.ok()) {
        ASSERT_EQ(s.error().code, Errc::ValidationFailed);
      } else {
        ref.setQueue(q);
      }
      const QueueConfig change = f.queue();
      ASSERT_EQ(acd.callsStrandedBy(change), ref.strandedBy(change));
    } else if (r < 30) {
      const std::string code = f.queueCode();
      ASSERT_EQ(codeOf(acd.removeQueue(code)), ref.removeQueue(code));
    } else if (r < 60) {
      AgentConfig a = f.agent();
      ASSERT_TRUE(acd.setAgent(a).ok());
      ref.setAgent(a);
    } else if (r < 70) {
      const std::string no = f.agentNo();
      ASSERT_EQ(acd.callsStrandedWithout(no), ref.strandedWithout(no));
      ASSERT_EQ(codeOf(acd.removeAgent(no)), ref.removeAgent(no));
    } else if (r < 230) {
      const std::string no = f.agentNo();
      const SysTime since = now - std::chrono::seconds(f.uniform(0, 5));
      ASSERT_EQ(codeOf(acd.setAvailable(no, since)), ref.setAvailable(no, since));
      routeAndMaybeOffer(acd.routeAgent(no, now), ref.routeAgent(no, now));
    } else if (r < 280) {
      const std::string no = f.agentNo();
      ASSERT_EQ(codeOf(acd.setUnavailable(no)), ref.setUnavailable(no));
    } else if (r < 430) {
      CallEntry e;
      e.callId = f.chance(0.03) && !ref.liveCalls().empty() ? f.pick(ref.liveCalls())
                                                            : "c" + std::to_string(nextCall++);
      e.queue = f.chance(0.97) ? f.queueCode() : "q_missing";
      e.priority = f.chance(0.7) ? 0 : f.uniform(1, 3);
      e.arrived = now - std::chrono::seconds(f.uniform(0, 60));
      if (f.chance(0.1)) {
        e.preferredAgent = f.agentNo();
        e.preferredUntil = now + std::chrono::milliseconds(f.uniform(-10000, 60000));
      }
      auto got = acd.enqueue(e, now);
      auto want = ref.enqueue(e, now);
      if (got.ok()) {
        ASSERT_TRUE(std::holds_alternative<JoinOutcome>(want));
        ASSERT_EQ(*got, std::get<JoinOutcome>(want));
        if (*got == JoinOutcome::Queued || *got == JoinOutcome::NoMembers) {
          routeAndMaybeOffer(acd.routeCall(e.callId, now), ref.routeCall(e.callId, now));
        }
      } else {
        ASSERT_TRUE(std::holds_alternative<Errc>(want));
        ASSERT_EQ(got.error().code, std::get<Errc>(want));
      }
    } else if (r < 500) {
      if (ref.liveCalls().empty()) continue;
      const std::string id = f.pick(ref.liveCalls());
      acd.remove(id);
      ref.remove(id);
    } else if (r < 620) {
      if (ref.liveCalls().empty()) continue;
      const std::string id = f.pick(ref.liveCalls());
      routeAndMaybeOffer(acd.routeCall(id, now), ref.routeCall(id, now));
    } else if (r < 740) {
      const std::string no = f.agentNo();
      routeAndMaybeOffer(acd.routeAgent(no, now), ref.routeAgent(no, now));
    } else if (r < 790) {
      if (ref.offeredCalls().empty()) continue;
      const std::string id = f.pick(ref.offeredCalls());
      ASSERT_EQ(codeOf(acd.release(id)), ref.release(id));
      routeAndMaybeOffer(acd.routeCall(id, now), ref.routeCall(id, now));
    } else if (r < 810) {
      const std::string id = ref.liveCalls().empty() ? "none" : f.pick(ref.liveCalls());
      const std::string no = f.agentNo();
      ASSERT_EQ(codeOf(acd.offer(id, no)), ref.offer(id, no));
    } else if (r < 950) {
      std::vector<std::string> got, want;
      for (const auto& d : acd.advance(now)) got.push_back(test::describe(d));
      for (const auto& d : ref.advance(now)) want.push_back(test::describe(d));
      ASSERT_EQ(got, want);
    } else if (r < 975) {
      if (ref.liveCalls().empty()) continue;
      const std::string id = f.pick(ref.liveCalls());
      auto got = acd.position(id, now);
      auto want = ref.position(id, now);
      ASSERT_EQ(got.has_value(), want.has_value());
      ASSERT_EQ(got->position, want->position);
      ASSERT_EQ(got->estimatedWait, want->estimatedWait);
    } else if (r < 990) {
      const std::string code = f.queueCode();
      auto got = acd.queueSnapshot(code, now);
      auto want = ref.snapshot(code, now);
      ASSERT_EQ(got.has_value(), want.has_value());
      if (got) {
        ASSERT_EQ(got->waiting, want->waiting);
        ASSERT_EQ(got->offered, want->offered);
        ASSERT_EQ(got->membersLoggedIn, want->membersLoggedIn);
        ASSERT_EQ(got->membersAvailable, want->membersAvailable);
        ASSERT_EQ(got->oldestWait, want->oldestWait);
      }
    } else {
      const std::string code = f.queueCode();
      const Duration t = std::chrono::seconds(f.uniform(10, 600));
      acd.recordHandleTime(code, t);
      ref.recordHandleTime(code, t);
    }
    ASSERT_EQ(acd.nextDeadline(), ref.nextDeadline());
    ASSERT_EQ(acd.waitingCalls(), ref.liveCalls().size());
  }
  // The run must have exercised routing, not only refusals.
  EXPECT_GT(decisions, operations / 5);
  EXPECT_GT(matches, operations / 50);
}

TEST(AcdReferenceTest, RandomRunMatchesBruteForceReference) {
  for (std::uint32_t seed : {1u, 2u, 3u, 4u}) {
    runAgainstReference(seed, 50'000);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace bankcc::acd
