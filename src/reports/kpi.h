// SPDX-License-Identifier: Apache-2.0
#pragma once

// Queue and agent statistics (DOMAIN.md "KPIs", "Time and counting"; decision record
// docs/decisions/0016-kpi-definitions.md) as ONE pure fold over domain events: the same code
// for live traffic, stored history and the simulator (ARCHITECTURE.md "Data").
//
// The fold keeps, per queue and per agent, counters in buckets of one reporting interval
// (15 minutes of the center's local wall-clock time by default), plus what is live now (calls
// waiting, agent states). Days and the "today" view are sums of the day's buckets, so a new
// local day starts from zero without any reset.
//
// Attribution rules (the decision record explains why):
//   - Queue outcomes (offered, answered, abandoned, service level, waits) and the handle time
//     of the calls a queue answered go to the interval in which the call FIRST joined that
//     queue, even when the outcome comes later; AHT of an interval is then consistent.
//   - A call counts once per queue it joined (offered), however often it rejoins that queue
//     (re-queue after call.agent_lost, a transfer back); it is answered in a queue at most once
//     (its first answer there), and abandoned only when it was never answered there.
//   - The wait of a call in a queue is the sum of queue.left waited_ms of its stays there up to
//     its outcome. "Within T" means wait <= T. A short abandon waited < the short-abandon
//     threshold (a threshold of 0 disables them).
//   - Agent times are split across intervals by wall clock (a break from 10:10 to 10:20 puts
//     5 min in 10:00-10:15 and 5 min in 10:15-10:30); a handled call counts in the interval in
//     which the agent's part of it ended.
//   - A consult (call.consult_started) is a call of its own that joins no queue: it is neither
//     offered nor answered anywhere; it counts in the consulting agent's `consults`. Holds on
//     the consult call (alternating) are not the agent's hold: their customer is not waiting.
//     A consulted agent's time is their agent states. An agent who takes the customer by an
//     attended transfer or joins them in a conference handles the call (once) when their part
//     ends (call.party_left, call.ended, their own call.transferred); that part counts in the
//     agent's figures, not in the queue's handle time (which is the answering agent's part).
//     Attended transfers count in the queue's transfersOut like blind ones.
//   - A call an agent places (call.originated, decision 0020) joins no queue by itself: its
//     call.answered names no queue and counts in no queue's figures. It counts in the placing
//     agent's `outbound` (to a number) or `internalCalls` (to an agent, an extension or a
//     queue), in the interval of call.originated, and an outbound call the far party answered
//     in `outboundAnswered` there too. Its talk and hold are the agent's on_call time (so they
//     are in occupancy) and the agent handles it once when it ends, like a queue call; the
//     wrap-up after an outbound call is the agent's wrap_up state. A colleague called on an
//     internal call is like a consulted agent: their time is their states, they handle
//     nothing. A queue the agent dialled counts the call as any caller's (offered, answered
//     by the queue's agent).
//
// Formulas (null when the denominator is 0), with short abandons excluded from offered and
// abandoned when KpiOptions::excludeShortAbandons (the default):
//   offered            = calls that joined the queue (- short abandons)
//   service level      ignore_abandons:    answered_within_T / answered
//                      abandons_against:   answered_within_T / (answered + abandoned_after_T)
//                                          (the default; DOMAIN.md's 80/20 formula)
//                      abandons_in_favour: (answered_within_T + abandoned_within_T)
//                                          / (answered + abandoned)
//   ASA                = sum of waits of answered calls / answered
//   average wait       = sum of waits of answered and abandoned calls / (answered + abandoned)
//   abandonment rate   = abandoned / offered
//   AHT                = (talk + hold + wrap-up) / handled
//   occupancy (agent)  = (talk + hold + wrap-up) / (talk + hold + wrap-up + ready idle)
// Talk excludes hold. For a queue, talk + hold of a call run from call.answered to the end of
// the answering agent's part (call.ended, call.transferred or call.agent_lost); wrap-up is the
// agent's wrap_up state after that call. For an agent, talk + hold is the time in on_call.
//
// Threads: none of its own; a KpiFold is a plain value, not thread-safe (callers serialise).
// Errors: the fold never fails; events it cannot place (a queue.left without a queue.joined,
// e.g. the replay began mid-call) are counted only as far as they can be.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/clock.h"
#include "base/time_zone.h"
#include "events/event.h"

namespace bankcc::reports {

using base::Duration;
using base::SysTime;

/// How a service level treats abandoned calls (see the file comment for the formulas).
enum class ServiceLevelVariant { IgnoreAbandons, AbandonsAgainst, AbandonsInFavour };
/// "ignore_abandons", "abandons_against", "abandons_in_favour".
std::string_view serviceLevelVariantName(ServiceLevelVariant v);

/// A queue's KPI settings (store::Queue holds threshold, target, short abandon and variant).
struct QueueKpiSettings {
  Duration serviceLevelThreshold = std::chrono::seconds(20);  ///< T of "80/20"
  int serviceLevelTarget = 80;                                ///< percent; reported only
  Duration shortAbandon = std::chrono::seconds(5);            ///< 0: no short abandons
  ServiceLevelVariant variant = ServiceLevelVariant::AbandonsAgainst;
};

struct KpiOptions {
  base::TimeZone timeZone = base::TimeZone::utc();  ///< the center's zone (days, intervals)
  std::chrono::minutes interval{15};                ///< > 0
  bool excludeShortAbandons = true;
  QueueKpiSettings defaultQueue{};  ///< for queues without settings of their own
};

/// Raw counters of one queue in one interval (or summed over a day). Durations in ms.
/// "abandoned*" below count every abandon, short ones included; see QueueKpis for the
/// figures with the exclusion applied.
struct QueueCounters {
  std::int64_t joined = 0;  ///< distinct calls that joined (offered before the exclusion)
  std::int64_t answered = 0;
  std::int64_t answeredWithinT = 0;
  std::int64_t abandoned = 0;  ///< including short abandons
  std::int64_t shortAbandoned = 0;
  std::int64_t shortAbandonedWithinT = 0;
  std::int64_t abandonedWithinT = 0;  ///< not short
  std::int64_t timedOut = 0;          ///< left at the queue's maximum wait
  std::int64_t overflowed = 0;        ///< left by an overflow step (moved or sent elsewhere)
  std::int64_t removed = 0;           ///< taken out by the core for another reason
  std::int64_t refused = 0;           ///< full or closed at the door (never waited: not offered)
  std::int64_t transfersOut = 0;      ///< transfers by agents who answered from this queue
  std::int64_t handled = 0;           ///< answered calls whose agent part ended
  std::int64_t answeredWaitMs = 0;
  std::int64_t abandonedWaitMs = 0;  ///< not short
  std::int64_t shortAbandonedWaitMs = 0;
  std::int64_t maxWaitMs = 0;  ///< over answered and abandoned calls (short ones included)
  std::int64_t talkMs = 0;
  std::int64_t holdMs = 0;
  std::int64_t wrapUpMs = 0;

  QueueCounters& operator+=(const QueueCounters& o);
  bool operator==(const QueueCounters&) const = default;
};

/// The KPIs of QueueCounters under a queue's settings. Rates are 0..1; nullopt = no
/// denominator (JSON null).
struct QueueKpis {
  QueueCounters counters;
  std::int64_t offered = 0;
  std::int64_t abandoned = 0;
  std::int64_t abandonedWithinT = 0;
  std::int64_t abandonedAfterT = 0;
  std::optional<double> serviceLevelIgnoreAbandons;
  std::optional<double> serviceLevelAbandonsAgainst;
  std::optional<double> serviceLevelAbandonsInFavour;
  std::optional<double> serviceLevel;  ///< the queue's variant
  std::optional<double> asaMs;
  std::optional<double> averageWaitMs;
  std::optional<double> abandonmentRate;
  std::optional<double> ahtMs;
};
/// Pure. Applies the formulas of the file comment.
QueueKpis computeQueueKpis(const QueueCounters& c, const QueueKpiSettings& s,
                           bool excludeShortAbandons);

/// What is happening in a queue now.
struct QueueLive {
  std::int64_t waiting = 0;
  std::optional<std::int64_t> longestWaitMs;  ///< of the calls waiting now; none waiting: null
  std::int64_t connected = 0;                 ///< calls talking with an agent who answered here
};

/// Counters of one agent in one interval (or a day). Durations in ms.
struct AgentCounters {
  std::int64_t handled = 0;
  std::int64_t onCallMs = 0;  ///< talk + hold
  std::int64_t holdMs = 0;
  std::int64_t wrapUpMs = 0;
  std::int64_t readyMs = 0;  ///< ready idle
  std::int64_t reservedMs = 0;
  std::int64_t notReadyMs = 0;
  std::map<std::string, std::int64_t> notReadyByReasonMs;  ///< reason code -> ms
  std::int64_t transfers = 0;         ///< call.transferred by this agent, blind and attended
  std::int64_t consults = 0;          ///< consults this agent started (call.consult_started)
  std::int64_t outbound = 0;          ///< calls this agent placed to a number (call.originated)
  std::int64_t outboundAnswered = 0;  ///< of those, the ones the far party answered
  /// Calls this agent placed to a colleague, an extension or a queue (call.originated).
  std::int64_t internalCalls = 0;

  std::int64_t talkMs() const { return onCallMs - holdMs; }
  AgentCounters& operator+=(const AgentCounters& o);
  bool operator==(const AgentCounters&) const = default;
};

struct AgentKpis {
  AgentCounters counters;
  std::optional<double> occupancy;
  std::optional<double> ahtMs;
};
/// Pure.
AgentKpis computeAgentKpis(const AgentCounters& c);

struct AgentLive {
  events::AgentState state = events::AgentState::LoggedOut;
  std::string reason;            ///< not_ready reason; empty otherwise
  std::optional<SysTime> since;  ///< when the state began; unknown before the first change seen
};

template <typename Kpis>
struct IntervalKpis {
  SysTime start{};
  SysTime end{};
  Kpis kpis;
};

/// A queue's statistics at `now`: live, today so far (the local day containing `now`) and each
/// interval of today up to the one containing `now` (empty ones included).
struct QueueReport {
  std::string queue;
  SysTime now{};
  SysTime dayStart{};
  std::string timeZone;  ///< IANA name of the zone of dayStart and the intervals
  QueueKpiSettings settings;
  QueueLive live;
  QueueKpis today;
  std::vector<IntervalKpis<QueueKpis>> intervals;
};

struct AgentReport {
  std::string agentNo;
  SysTime now{};
  SysTime dayStart{};
  std::string timeZone;  ///< IANA name of the zone of dayStart and the intervals
  AgentLive live;
  AgentKpis today;
  std::vector<IntervalKpis<AgentKpis>> intervals;
};

/// The fold. Feed every event in seq order with apply(); ask at any time.
class KpiFold {
 public:
  explicit KpiFold(KpiOptions options = {});

  /// Settings of `queue` from now on (events already folded keep the thresholds they had).
  void setQueueSettings(const std::string& queue, QueueKpiSettings settings);
  const QueueKpiSettings& queueSettings(std::string_view queue) const;

  /// Folds one event. Events should come in seq order with non-decreasing ts; a ts earlier
  /// than the previous one is taken as the previous one (a clock step back).
  void apply(const events::Event& event);

  /// The statistics of `queue` / `agentNo` at `now` (normally the time of the last event or
  /// later). Time still running (an agent's current state, a hold in progress) is counted up
  /// to `now`. A queue or agent without events gives zeros.
  QueueReport queueReport(std::string_view queue, SysTime now) const;
  AgentReport agentReport(std::string_view agentNo, SysTime now) const;

  /// The agent's state now (cheap: no counters are summed); logged out when no event named
  /// them.
  AgentLive agentLive(std::string_view agentNo) const;

  /// Whether any event named this queue / agent.
  bool knowsQueue(std::string_view queue) const;
  bool knowsAgent(std::string_view agentNo) const;

  /// Drops interval buckets that start before `t` (keeps memory bounded in a long-running
  /// server; pass the start of today).
  void pruneBefore(SysTime t);

  /// Events folded so far.
  std::uint64_t applied() const { return applied_; }
  /// ts of the last event folded (epoch before any).
  SysTime lastEventTime() const { return lastTs_; }
  const KpiOptions& options() const { return options_; }

 private:
  struct Interval {
    SysTime start{};
    SysTime end{};
  };
  enum class Outcome { None, Answered, Abandoned, TimedOut, Overflowed, Removed };
  /// A call's time in one queue (all its stays there: it counts once per queue).
  struct QueueStay {
    std::string queue;
    SysTime bucket{};    ///< the interval of its first join: where its outcome counts
    SysTime joinedAt{};  ///< of the current stay
    bool waiting = false;
    bool handled = false;
    std::int64_t waitMs = 0;  ///< sum of waited_ms of its stays so far
    Outcome outcome = Outcome::None;
  };
  struct CallRecord {
    std::vector<QueueStay> stays;
    // The agent connected now, if any (call.answered until the end of the agent's part).
    bool connected = false;
    std::string agentNo;
    std::string queue;
    SysTime bucket{};  ///< where the handle time counts (the answering stay's bucket)
    SysTime answeredAt{};
    std::optional<SysTime> heldSince;
    std::int64_t holdMs = 0;
    std::vector<std::string> agentsHandled;  ///< each agent counts a call once
    /// Agents on the call who did not answer it from a queue: the target of an attended
    /// transfer, a conferenced agent; until their part ends.
    std::vector<std::string> parties;

    QueueStay* stay(std::string_view queue);
  };
  /// A call an agent placed, until it ends.
  struct PlacedCall {
    std::string agentNo;
    bool outbound = false;  ///< to a number
    SysTime bucket{};       ///< the interval of call.originated: where its counters go
    bool answered = false;
  };
  struct WrapTarget {
    std::string queue;
    SysTime bucket{};
  };
  struct AgentRecord {
    events::AgentState state = events::AgentState::LoggedOut;
    std::string reason;
    std::optional<SysTime> since;
    std::optional<SysTime> holdSince;
    std::optional<WrapTarget> wrapTarget;  ///< the call whose wrap-up the agent does
    std::map<SysTime, AgentCounters> buckets;
  };
  struct QueueRecord {
    std::map<SysTime, QueueCounters> buckets;
    std::map<std::string, SysTime> waiting;  ///< call id -> joined at (current stay)
    std::int64_t connected = 0;
  };
  /// The interval containing `t` (cached: most events fall in the current interval).
  Interval intervalOf(SysTime t) const;
  /// Calls `add(intervalStart, ms)` for each piece of [from, to) split at interval
  /// boundaries; the pieces' ms add up exactly to the span's.
  template <typename Add>
  void splitSpan(SysTime from, SysTime to, Add&& add) const;
  /// Adds the time of `agent`'s current state (and hold) from its start to `to` into
  /// `buckets` (the agent's own, or a copy for a report).
  void addOpenSpans(const AgentRecord& agent, SysTime to,
                    std::map<SysTime, AgentCounters>& buckets) const;
  QueueCounters& queueBucket(const std::string& queue, SysTime intervalStart);
  /// The agent an event names (payload first, else envelope); null when it names none.
  AgentRecord* agentOf(const std::string& payloadAgent, const std::string& envelopeAgent);
  void closeAgentState(AgentRecord& agent, SysTime ts);
  void endConnection(CallRecord& call, SysTime ts, bool toWrapUp);
  /// Counts the call as handled by `agentNo` (once per call), in the interval of `ts`.
  void countHandled(CallRecord& call, const std::string& agentNo, SysTime ts);
  /// Ends the part of a party agent (CallRecord::parties); nothing when they are not one.
  void endParty(CallRecord& call, const std::string& agentNo, SysTime ts);

  void onQueueJoined(const events::Event& e, const events::QueueJoined& p);
  void onQueueLeft(const events::Event& e, const events::QueueLeft& p);
  void onOriginated(const events::Event& e, const events::CallOriginated& p);
  void onAnswered(const events::Event& e, const events::CallAnswered& p);
  void onTransferred(const events::Event& e, const events::CallTransferred& p);
  void onAgentState(const events::Event& e, const events::AgentStateChanged& p);
  void onCallEnded(const events::Event& e);
  void onSystemStarted(SysTime ts);

  KpiOptions options_;
  std::map<std::string, QueueKpiSettings, std::less<>> settings_;
  std::map<std::string, QueueRecord, std::less<>> queues_;
  std::map<std::string, AgentRecord, std::less<>> agents_;
  std::unordered_map<std::string, CallRecord> calls_;
  std::unordered_set<std::string> consultCalls_;             ///< consults in progress (call id)
  std::unordered_map<std::string, PlacedCall> placedCalls_;  ///< by call id, until call.ended
  mutable Interval cached_{};
  SysTime lastTs_{};
  std::uint64_t applied_ = 0;
};

}  // namespace bankcc::reports
