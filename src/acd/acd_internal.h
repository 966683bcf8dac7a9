// SPDX-License-Identifier: Apache-2.0
#pragma once

// The ACD's private state (acd.h is the contract). Private to the module.
//
// Everything is held by dense integer index: agent ordinal (the order setAgent() first saw
// the agent number; never reused, so ties stay stable across log-out and log-in), queue index
// (a code keeps its slot across removeQueue/setQueue) and skill and language index. Strings
// are turned into indices at the edges only.
//
// Proficiency thresholds are small integers, which is what makes routing cheap:
//   - A call's *widen level* w (1..5, or kOpen before any Widen step) is the threshold a
//     Widen step set; the call asks min(need.minProficiency, w) for every need.
//   - An agent's *cap* in a queue (1..5, or kOpen) is the largest w at which the agent still
//     qualifies: kOpen when every need is met outright, otherwise the lowest proficiency
//     among the needs the agent falls short of. The agent qualifies for a call iff w <= cap.
// Each queue keeps its available members in one ordered set per cap, and its routable calls
// in one ordered set per widen level. The best agent for a call is the smallest head among
// the sets with cap >= w; the best call of a queue for an agent is the smallest head among the
// sets with w <= cap (plus the few calls that carry a preferred agent, kept in a short list).
// Each decision looks at no more than six set heads per queue.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "acd/acd.h"

namespace bankcc::acd::detail {

/// The level above every proficiency: "no Widen yet" for a call, "meets every need" for an
/// agent.
inline constexpr int kOpen = 6;
/// Levels 1..kOpen, stored at index level - 1.
inline constexpr int kLevels = kOpen;
/// agingStep beyond this is refused, which keeps exact priority arithmetic within 128 bits.
inline constexpr Duration kMaxAgingStep = std::chrono::hours(24 * 366);

inline constexpr std::uint32_t kNone = UINT32_MAX;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
using IndexMap = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;

/// Orders available members of one queue by the queue's policy:
/// LongestIdle (idleSince, ordinal), MostSkilled (-score, idleSince, ordinal),
/// RoundRobin (last offered from this queue, 0 = never, ordinal).
struct AgentKey {
  std::int64_t a = 0;
  std::int64_t b = 0;
  std::uint32_t agent = 0;  ///< ordinal
  auto operator<=>(const AgentKey&) const = default;
};

/// Orders the calls of one queue: with aging by arrived - priority x agingStep (the same
/// order as effective priority, highest first, at any moment), without aging by -priority;
/// then arrival, then enqueue sequence.
struct CallKey {
  __int128 primary = 0;
  std::int64_t arrived = 0;
  std::uint64_t seq = 0;
  std::uint32_t call = 0;  ///< slot in Impl::calls (not part of the order: seq is unique)
  bool operator<(const CallKey& o) const {
    if (primary != o.primary) return primary < o.primary;
    if (arrived != o.arrived) return arrived < o.arrived;
    return seq < o.seq;
  }
};

using AgentSet = std::set<AgentKey>;
using CallSet = std::set<CallKey>;

enum class DeadlineKind : std::uint8_t { PreferenceExpiry = 0, Step = 1, MaxWait = 2 };

/// A call's next due item. Each call has at most one in Impl::deadlines at a time.
struct Deadline {
  SysTime due{};
  std::uint64_t seq = 0;  ///< the call's enqueue sequence: ties by enqueue order
  DeadlineKind kind = DeadlineKind::Step;
  std::uint32_t call = 0;
  bool operator<(const Deadline& o) const {
    if (due != o.due) return due < o.due;
    if (seq != o.seq) return seq < o.seq;
    return kind < o.kind;
  }
};
using DeadlineSet = std::set<Deadline>;

struct Membership {
  std::uint32_t queue = 0;
  int cap = kOpen;
  int score = 0;                  ///< proficiency summed over the queue's needs
  std::uint64_t lastOffered = 0;  ///< RoundRobin; 0 = never
  /// Where the agent sits in the queue's available set; valid while the agent is available
  /// (kept so that taking the agent out needs no search).
  AgentSet::iterator slot{};
};

struct Agent {
  std::string no;
  bool known = false;  ///< false after removeAgent (the ordinal stays reserved)
  std::vector<std::pair<std::uint32_t, int>> skills;  ///< (skill index, proficiency), sorted
  std::vector<std::uint32_t> languages;
  bool available = false;
  SysTime idleSince{};
  std::uint32_t offeredCall = kNone;
  std::vector<Membership> memberships;  ///< sorted by queue index
  /// (queue, offer sequence) of the last call each queue offered this agent: the RoundRobin
  /// history, kept across membership changes and log-out, forgotten with the queue.
  std::vector<std::pair<std::uint32_t, std::uint64_t>> offeredFrom;

  int proficiency(std::uint32_t skill) const;
  const Membership* membership(std::uint32_t queue) const;
  Membership* membership(std::uint32_t queue);
};

struct Need {
  std::uint32_t skill = 0;
  int minProficiency = 1;
};

struct Queue {
  QueueConfig config;
  std::uint32_t index = 0;  ///< slot in Impl::queues
  bool exists = false;
  std::vector<Need> needs;
  std::uint32_t language = kNone;           ///< kNone: any
  int loosest = kOpen;                      ///< the lowest Widen level among the steps
  std::array<AgentSet, kLevels> available;  ///< by cap
  std::array<int, kLevels> membersByCap{};
  int availableCount = 0;
  std::array<CallSet, kLevels> ready;    ///< routable calls by widen level
  std::vector<std::uint32_t> preferred;  ///< routable calls that carry a preferred agent
  std::vector<std::uint32_t> calls;      ///< every call in the queue, offered or not
  int offered = 0;
  Duration aht{};
  bool ahtLearned = false;

  /// Members whose cap is at least `level`.
  int membersAtLeast(int level) const;
};

struct Call {
  std::string id;
  bool live = false;
  std::uint32_t queue = 0;
  std::uint32_t slot = 0;  ///< index in Queue::calls
  int priority = 0;
  SysTime arrived{};
  std::uint64_t seq = 0;
  std::string preferredAgent;  ///< empty: none, or its window has been reported expired
  SysTime preferredUntil{};
  SysTime joinedAt{};  ///< when it joined its current queue
  int widen = kOpen;
  std::size_t nextStep = 0;
  Duration lastStepAfter{-1};  ///< `after` of the last step taken in this queue
  std::uint32_t offeredTo = kNone;
  CallKey key{};
  CallSet::iterator readySlot{};  ///< valid while in a ready set
  bool scheduled = false;
  DeadlineSet::iterator deadline{};  ///< valid while scheduled

  bool offered() const { return offeredTo != kNone; }
  bool hasPreference() const { return !preferredAgent.empty(); }
  /// Only the preferred agent may take the call at `now`.
  bool preferenceActive(SysTime now) const { return hasPreference() && now < preferredUntil; }
};

/// Whether `a` ranks before `b` across queues at `now`: higher effective priority (compared
/// exactly, in integers), then earlier arrival, then enqueue order.
bool ranksBefore(const Call& a, const Queue& qa, const Call& b, const Queue& qb, SysTime now);
/// priority + waited / agingStep, for display only.
double effectivePriority(const Call& c, const Queue& q, SysTime now);

/// A need the agent falls short of for a call asking `widen`, as "needs proficiency 3 in
/// 'loans', has 2"; empty when the agent qualifies.
std::string shortfall(const Agent& a, const Queue& q, int widen,
                      const std::vector<std::string>& skillNames);

std::string secondsText(Duration d);

}  // namespace bankcc::acd::detail

namespace bankcc::acd {

struct Acd::Impl {
  using AgentKey = detail::AgentKey;
  using Agent = detail::Agent;
  using Call = detail::Call;
  using CallKey = detail::CallKey;
  using Deadline = detail::Deadline;
  using Membership = detail::Membership;
  using Queue = detail::Queue;

  detail::IndexMap skillIndex;
  std::vector<std::string> skillNames;
  detail::IndexMap languageIndex;
  detail::IndexMap agentIndex;  ///< every agent number ever seen -> ordinal
  std::vector<Agent> agents;
  detail::IndexMap queueIndex;  ///< every queue code ever set -> slot
  std::vector<std::unique_ptr<Queue>> queues;
  detail::IndexMap callIndex;  ///< live calls only
  std::vector<Call> calls;
  std::vector<std::uint32_t> freeCalls;
  detail::DeadlineSet deadlines;
  std::uint64_t nextCallSeq = 1;
  std::uint64_t nextOfferSeq = 1;
  std::size_t liveCalls = 0;

  // --- lookups (nullptr / kNone when unknown) ---
  std::uint32_t skillId(std::string_view code);     ///< interns
  std::uint32_t languageId(std::string_view code);  ///< interns
  Agent* findAgent(std::string_view no);
  const Agent* findAgent(std::string_view no) const;
  Queue* findQueue(std::string_view code);
  const Queue* findQueue(std::string_view code) const;
  std::uint32_t findCall(std::string_view id) const;
  std::uint32_t ordinalOf(const Agent& a) const {
    return static_cast<std::uint32_t>(&a - agents.data());
  }
  std::uint32_t indexOf(const Queue& q) const { return q.index; }

  // --- membership and availability (acd.cc) ---
  /// The agent's cap in `q` and skill score, or nullopt when not a member.
  std::optional<std::pair<int, int>> evaluate(const Agent& a, const Queue& q) const;
  AgentKey agentKey(const Queue& q, const Agent& a, const Membership& m) const;
  void insertAvailable(Agent& a);
  void eraseAvailable(Agent& a);
  /// Adds or drops the agent's membership of one queue (counts and available set included).
  void addMembership(Agent& a, std::uint32_t queue);
  void dropMembership(Agent& a, std::uint32_t queue);

  // --- calls (acd_calls.cc) ---
  CallKey callKey(const Queue& q, const Call& c) const;
  void attach(Call& c);  ///< into its queue's routing structures (if routable)
  void detach(Call& c);
  void schedule(Call& c);  ///< its next deadline (not while offered)
  void unschedule(Call& c);
  void joinQueue(std::uint32_t ci, std::uint32_t qi, SysTime joinedAt);
  void leaveQueue(std::uint32_t ci);
  void eraseCall(std::uint32_t ci);
  /// After a queue's config changed: nextStep, key, placement and deadline of each call.
  void rebuildCalls(Queue& q);

  // --- explanation (acd_routing.cc) ---
  void explainCall(const Call& c, const Queue& q, SysTime now, const AgentKey* chosen,
                   Explanation& out) const;
  void explainAgent(const Agent& a, SysTime now, std::uint32_t chosen, Explanation& out) const;
};

}  // namespace bankcc::acd
