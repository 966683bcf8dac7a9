// SPDX-License-Identifier: Apache-2.0
#pragma once

// The ACD (自动话务分配): queues of waiting calls, the agents able to take them, and the
// decision of which agent takes which call. Pure data structures inside the call-control core
// (ARCHITECTURE.md): no I/O, no clock of its own (every entry takes `now`), no threads.
//
// Threads: core thread only. The object is not thread-safe and never needs to be.
//
// The model, in DOMAIN.md's words:
//   - A queue asks for skills, each with a minimum proficiency (1 novice .. 5 expert), and
//     optionally a language. An agent is a *member* of a queue when they have every skill the
//     queue asks for (at any proficiency) and speak its language; they *qualify* for a call
//     when every skill is at or above the proficiency the call currently asks for. Overflow
//     steps (`Widen`) lower that proficiency as the call waits.
//   - Priority: each call has a base priority (0 normal; VIP tiers higher). With aging, the
//     effective priority is `priority + waited / agingStep`, so a normal caller who waited long
//     enough overtakes a fresh VIP and nobody starves. Without aging (agingStep 0) priority is
//     strict. Within a priority, calls are first come, first served.
//   - When one agent serves several queues, the call with the highest effective priority
//     across all of them wins, then the one that arrived first (cross-queue fairness); ties
//     by enqueue order.
//   - A call offered to an agent keeps its place: if the offer fails (ring-no-answer, the
//     phone refused) release() makes it routable again exactly where it was.
//   - Ties between agents are broken by the policy's key and then by the agent's ordinal, the
//     order in which setAgent() first saw them (the core loads agents sorted by number), so
//     the same inputs always give the same decisions.
//
// Usage by the core: after every change that may create a match (a call joined, an agent
// became available, a step widened or moved a call, a preferred-agent window ended, a call was
// released, the organisation changed) it asks routeCall() or routeAgent(); when it acts on the
// Match it calls offer(); when the call leaves the queue (answered, abandoned, moved by the
// core) it calls remove(). advance(now) reports the overflow steps that fell due;
// nextDeadline() says when to call it again.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace bankcc::acd {

using base::Duration;
using base::SysTime;

/// How a queue picks among the agents who qualify for a call.
enum class RoutingPolicy {
  LongestIdle,  ///< the agent available for the longest time (idleSince earliest)
  MostSkilled,  ///< highest proficiency summed over the queue's skills, then longest idle
  RoundRobin,   ///< the agent this queue offered a call to least recently (never first)
};
/// "longest_idle", "most_skilled", "round_robin".
std::string_view routingPolicyName(RoutingPolicy p);
std::optional<RoutingPolicy> parseRoutingPolicy(std::string_view name);

struct SkillNeed {
  std::string skill;       ///< skill code
  int minProficiency = 1;  ///< 1..5
};

/// What happens to a call that has waited `after` in a queue.
struct OverflowStep {
  enum class Kind {
    Widen,  ///< every skill need accepts `minProficiency` (when lower than its own; after
            ///< several Widen steps the lowest so far applies)
    /// The call leaves for queue `target` (it keeps its arrival time and priority). When the
    /// step falls due and `target` does not exist, is closed or is full, the call leaves the
    /// ACD instead (StepDue Left) for the target's fallback, or this queue's when it has none.
    MoveTo,
    LeaveTo,  ///< the call leaves the ACD for destination `target` (a number, "voicemail", ...)
  };
  Duration after{};
  Kind kind = Kind::Widen;
  int minProficiency = 1;  ///< Widen only
  std::string target;      ///< MoveTo: queue code; LeaveTo: destination
};

struct QueueConfig {
  std::string code;              ///< e.g. "retail_zh"
  std::vector<SkillNeed> needs;  ///< at least one; skill codes unique
  std::string language;          ///< empty: any language
  RoutingPolicy policy = RoutingPolicy::LongestIdle;
  Duration agingStep{std::chrono::seconds(60)};  ///< +1 priority per step waited; 0: no aging
  int maxSize = 0;                               ///< waiting calls; 0: unlimited
  Duration maxWait{};                            ///< 0: none; else the call leaves to `fallback`
  std::string fallback;             ///< destination when full, closed or maxWait passed
  std::vector<OverflowStep> steps;  ///< sorted by `after`, strictly increasing
  bool open = true;                 ///< business hours are the core's: it sets this flag
  Duration averageHandleTime{std::chrono::seconds(180)};  ///< seed for the wait estimate
};

struct AgentConfig {
  std::string agentNo;  ///< 工号
  struct Skill {
    std::string skill;
    int proficiency = 3;  ///< 1..5
  };
  std::vector<Skill> skills;
  std::vector<std::string> languages;  ///< e.g. {"zh", "en"}
};

/// A call asking to wait in a queue.
struct CallEntry {
  std::string callId;
  std::string queue;
  int priority = 0;   ///< 0 normal; VIP tiers higher (configured per tier by the core)
  SysTime arrived{};  ///< when the call entered the ACD (kept when it moves between queues)
  /// Only this agent may take the call before `preferredUntil` (a call re-queued after its
  /// agent's leg dropped prefers the same agent for 60 s). Empty: anyone.
  std::string preferredAgent;
  SysTime preferredUntil{};
};

enum class JoinOutcome {
  Queued,
  Full,    ///< maxSize reached: the core sends the call to the queue's fallback
  Closed,  ///< the queue is closed: fallback
  /// No agent known to the ACD is a member who could take the call even at the loosest
  /// proficiency the queue's Widen steps allow. The call IS waiting (knowsCall() is true): the
  /// core may remove() it and send it to the fallback, or let it wait for agents to log in.
  NoMembers,
};
std::string_view joinOutcomeName(JoinOutcome o);  ///< "queued", "full", "closed", "no_members"

/// One agent or call the router looked at, for the explanation.
struct Candidate {
  std::string id;     ///< agent number (routeCall) or call id (routeAgent)
  std::string queue;  ///< the queue through which it was considered
  bool chosen = false;
  bool eligible = false;  ///< qualified (proficiency, preference, not offered)
  /// Why not, or the key that ranked it: "idle 42 s", "proficiency 9, idle 3 s",
  /// "needs proficiency 3 in 'loans', has 2", "reserved for agent 1002 until ...",
  /// "effective priority 2.5, waited 90 s".
  std::string note;
};

/// Why a decision came out as it did: the best candidates in the order they were ranked (at
/// most 10) and the rule that decided.
struct Explanation {
  std::string trigger;  ///< "call_joined", "agent_available", ...; set by the caller
  std::string rule;     ///< e.g. "longest_idle in queue retail_zh", "cross-queue: oldest of
                        ///< the highest effective priority"
  std::vector<Candidate> candidates;
};

struct Match {
  std::string callId;
  std::string agentNo;
  std::string queue;  ///< the queue the call is answered from
};

/// What advance() found due.
struct StepDue {
  enum class Kind {
    Widened,   ///< a Widen step: the call now accepts less proficient agents
    Moved,     ///< a MoveTo step: the call waits in `target` now
    Left,      ///< a LeaveTo step, or a MoveTo whose target is missing, closed or full
    TimedOut,  ///< the queue's maxWait passed
    /// The call's preferredAgent window ended: any member may take it now. Routing reads
    /// `now`, so nothing else changes; it is reported so that the core asks routeCall() then.
    PreferenceExpired,
  };
  Kind kind = Kind::Widened;
  std::string callId;
  std::string fromQueue;
  std::string target;  ///< Moved: the new queue; Left/TimedOut: the destination
};

/// Where a waiting call stands. `position` is its 1-based rank in its queue's order among the
/// calls not offered, plus every call of the queue currently offered (they are ahead); an
/// offered call itself is at 1 with no wait. `estimatedWait` = position × the queue's
/// average handle time / max(1, members logged in); the average handle time starts at
/// QueueConfig::averageHandleTime and follows recordHandleTime() (weight 1/8 per sample).
struct QueuePosition {
  int position = 0;          ///< 1 = next
  Duration estimatedWait{};  ///< for announcements and the wallboard
};

struct QueueSnapshot {
  std::string code;
  int waiting = 0;
  int offered = 0;          ///< of those waiting, currently offered to an agent
  int membersLoggedIn = 0;  ///< agents known to the ACD who are members (any availability)
  int membersAvailable = 0;
  Duration oldestWait{};  ///< the longest `now - arrived` among the waiting calls
};

class Acd {
 public:
  Acd();
  ~Acd();
  Acd(const Acd&) = delete;
  Acd& operator=(const Acd&) = delete;

  // --- organisation --------------------------------------------------------------------------

  /// Adds or replaces a queue. Replacing keeps the waiting calls in their order and
  /// re-evaluates membership. ValidationFailed for bad values (no needs, proficiency out of
  /// 1..5, steps not increasing, MoveTo its own queue).
  /// Replacing keeps each waiting call's widening; steps whose `after` is beyond the last
  /// step the call already took are its next ones.
  base::Status setQueue(QueueConfig config);
  /// Conflict while calls wait in it; NotFound.
  base::Status removeQueue(std::string_view code);
  /// Adds or replaces an agent's skills and languages (availability is kept). An agent the ACD
  /// knows is "logged in" as far as routing is concerned; the core calls this at log-in.
  base::Status setAgent(AgentConfig config);
  /// Forgets an agent (log-out). NotFound. An agent with an offered call cannot be removed
  /// (Conflict): the core releases the offer first.
  base::Status removeAgent(std::string_view agentNo);
  /// Would replacing `config` leave a waiting call with no member who could ever take it? The
  /// core asks before committing a change it must refuse with 409. Returns the call ids.
  std::vector<std::string> callsStrandedBy(const QueueConfig& config) const;
  std::vector<std::string> callsStrandedWithout(std::string_view agentNo) const;
  /// The same for replacing a logged-in agent's skills and languages with `config`'s: the
  /// waiting calls only this agent could take that they no longer could. Empty for an agent
  /// the ACD does not know (logged out).
  std::vector<std::string> callsStrandedBy(const AgentConfig& config) const;

  // --- availability --------------------------------------------------------------------------

  /// The agent is ready for a call from `idleSince` (what LongestIdle ranks). NotFound;
  /// Conflict while a call is offered to the agent.
  base::Status setAvailable(std::string_view agentNo, SysTime idleSince);
  /// The agent is not ready, reserved, on a call, in wrap-up. NotFound.
  base::Status setUnavailable(std::string_view agentNo);

  // --- calls ---------------------------------------------------------------------------------

  /// Puts a call in its queue. NotFound for an unknown queue, Conflict for a call id already
  /// waiting; other refusals are outcomes.
  base::Result<JoinOutcome> enqueue(const CallEntry& entry, SysTime now);
  /// Takes a call out of the ACD (answered, abandoned, sent elsewhere). No-op if unknown.
  void remove(std::string_view callId);
  /// Who chose the agent of an offer: the router (routeCall/routeAgent), or someone outside
  /// the ACD (a supervisor's intercept, a transfer to a named agent), who may pick an agent
  /// who is not available (not ready) or not a member of the call's queue.
  enum class OfferBy { Router, Directed };
  /// Marks the call offered to `agentNo`: neither is routable until release() or remove();
  /// the agent is made unavailable. Conflict if either is already offered, or the agent is not
  /// available and `by` is Router; NotFound.
  base::Status offer(std::string_view callId, std::string_view agentNo,
                     OfferBy by = OfferBy::Router);
  /// The offer failed: the call is routable again in its old place. Its agent stays
  /// unavailable (the core decides the agent's new state). NotFound; Conflict when the call
  /// is not offered.
  base::Status release(std::string_view callId);

  // --- decisions (pure: nothing changes until offer()) ---------------------------------------

  /// The best available agent for `callId`, or none (also for an unknown or offered call).
  /// `explain` (optional) receives why; it costs nothing when null.
  std::optional<Match> routeCall(std::string_view callId, SysTime now,
                                 Explanation* explain = nullptr) const;
  /// The best waiting call for an available agent across every queue they serve, or none
  /// (also for an unknown or unavailable agent).
  std::optional<Match> routeAgent(std::string_view agentNo, SysTime now,
                                  Explanation* explain = nullptr) const;

  // --- time ----------------------------------------------------------------------------------

  /// Applies every overflow step and maximum wait due at `now`, in time order (ties by
  /// enqueue order), and reports them. Widened and Moved calls stay in the ACD (ask routeCall
  /// for them); Left and TimedOut calls have been removed. An offered call's steps wait until
  /// it is released. Steps and maxWait count from when the call joined its current queue (a
  /// moved call starts again in the new queue, from the moment it was moved, unwidened); one
  /// call's deadlines due at the same moment apply in the order preference expiry, step,
  /// maxWait. Each due item is applied at its own due time, so the result does not depend on
  /// how often advance() is called.
  std::vector<StepDue> advance(SysTime now);
  /// When advance() next has something to do; nullopt when nothing waits.
  std::optional<SysTime> nextDeadline() const;

  // --- information ---------------------------------------------------------------------------

  std::optional<QueuePosition> position(std::string_view callId, SysTime now) const;
  std::optional<QueueSnapshot> queueSnapshot(std::string_view code, SysTime now) const;
  /// Feeds the wait estimate: a call of this queue was handled in `handleTime`.
  void recordHandleTime(std::string_view queue, Duration handleTime);
  bool knowsCall(std::string_view callId) const;
  std::size_t waitingCalls() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bankcc::acd
