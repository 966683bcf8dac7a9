// SPDX-License-Identifier: Apache-2.0
#pragma once

// Call detail records and agent state intervals as a pure fold over domain events
// (ARCHITECTURE.md "Data": reports is a pure fold over events). The same CdrFold serves the
// stored history (cdr_projector.h), tests and, later, the simulator: it reads nothing but the
// events given to it, in seq order, and keeps no clock of its own (time comes from the events).
// docs/decisions/0015-cdr-projection.md explains the rules below and why.
//
// One CDR per call (call.arrived starts it; call.originated a call an agent placed;
// call.consult_started a consult's). Segments, in event order:
//   queue     queue.joined .. queue.left (detail: the leave reason); a queue.left without a
//             queue.joined (full, closed: refused at the door) is a zero-length segment
//   agent     call.answered .. call.ended | call.transferred | call.agent_lost (detail:
//             "ended", "transferred", "agent_lost: <cause>"); also a consulted agent's, without
//             a queue: from call.consult_answered on the consult, from an attended transfer to
//             them or from call.conferenced on the parent (.. call.party_left: its reason);
//             and on an internal call to a colleague, the colleague's, from the answer
//   hold      call.held .. call.retrieved (or the end of the agent segment it lies in)
//   transfer  call.transferred, zero length (detail: "<mode> to <target_type> <target>")
//   intercept call.intercepted, zero length, agent_no the agent given the call (detail: "by
//             <supervisor>[ from agent <ringing agent>]"; decision 0022)
//   wrapup    agent.state_changed into wrap_up .. out of it, for the agent whose call it was
//   consult   on the parent call: call.consult_started .. call.consult_ended, the consulting
//             agent's (detail: "<target_type> <target>", then "<target_type> <target>: <reason>")
//   party     an external number on the line with the customer: a conferenced number
//             (call.conferenced .. call.party_left | call.ended) or the number an attended
//             transfer handed the customer to (.. call.ended); on a consult call to a number, the
//             consult's conversation (call.consult_answered .. call.ended). Detail "number <n>",
//             then "number <n>: <reason>"
// A consult is a CDR of its own (parentCallId set): it opens at call.consult_started (ani: the
// consulting agent's number, dnis: the target), a consulted agent's answer is an agent segment
// without a queue, and it is final at its call.ended once the consulted agent left it (ready or
// not ready on the consult, or moved to the parent by an attended transfer or a conference).
// A consulted agent who takes the customer (call.transferred{attended}) or joins them
// (call.conferenced) gets an agent segment on the parent and is busy on it until their wrap-up
// ends, like an answering agent; call.party_left ends a conferenced agent's segment.
// A call an agent placed (call.originated, decision 0020) opens like call.arrived with
// direction "outbound" (target_type number) or "internal" (agent, extension, queue), ani = the
// agent's extension, dnis = the target, no trunk, originAgent = the agent. Its call.answered
// (queue "") is the placing agent's agent segment; on a call to a colleague (target_type agent)
// the colleague gets an agent segment from the same moment and is busy on the call until their
// state leaves it, like the placing agent. An agent who dialled a queue waits in it like a
// caller and has no segment (the queue's agent answers). Nobody answered: outcome
// "unanswered" (rejected, overflow, fallback and abandoned as for any call in a queue).
// When a CDR is final: the call ended AND every agent who answered it has left the call (their
// state moved to ready, not_ready or logged_out, i.e. wrap-up is over), or kWrapUpCap after
// call.ended (measured in event time), whichever comes first; a wrap-up still open then keeps
// ended_at unset. An epoch change (a restart, crash or not) closes everything still open of
// the previous epoch (calls, segments, agent intervals) at the system.stopping time of that
// epoch when there was one, else at the first event of the new epoch, with the cause
// "node_restart".
//
// Agent state intervals: one per agent.state_changed, from it to the agent's next one. Logged
// out time makes no interval (the gap between intervals is it).
//
// Threads: a CdrFold is a plain value; one thread at a time.
// Errors: events for calls the fold does not know (their call.arrived came before the fold's
// first event, or they come after the CDR was final, such as a late recording.stopped) are
// ignored; stored events whose payload does not parse (unknown types from a newer bankcc,
// damaged rows) are skipped and counted in skipped().

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "events/event.h"
#include "store/event_log_row.h"

namespace bankcc::reports {

/// How long after call.ended a CDR waits for its agents' wrap-ups before it is final anyway.
inline constexpr std::chrono::hours kWrapUpCap{2};

/// The end cause given to calls and intervals that an epoch change closed.
inline constexpr std::string_view kNodeRestart = "node_restart";

/// Cdr::direction of a call an agent placed (or a consult) to `targetType`: "outbound" for a
/// number (through the trunk), "internal" for anything else (agent, extension, queue).
std::string_view placedCallDirection(std::string_view targetType);

/// One part of a call's life (see the file comment for the kinds).
struct CdrSegment {
  /// "queue", "agent", "hold", "transfer", "wrapup", "consult", "party"
  std::string kind{};
  std::string queue{};
  std::string agentNo{};
  base::SysTime startedAt{};
  /// Unset only for a wrap-up that was still open when the cap made the CDR final.
  std::optional<base::SysTime> endedAt{};
  std::string detail{};

  bool operator==(const CdrSegment&) const = default;
};

/// A finished call detail record. Durations are whole milliseconds, from event times.
struct Cdr {
  std::string callId{};
  /// The consult's parent (DOMAIN.md "Time and counting"): call.consult_started's
  /// parent_call_id; empty (NULL in the database) for every call that is not a consult.
  std::string parentCallId{};
  /// "inbound" (call.arrived), "outbound" (placed to a number, or a consult to one) or
  /// "internal" (placed to an agent, an extension or a queue, or a consult to an agent).
  std::string direction = "inbound";
  /// The agent who placed the call (call.originated; a consult's consulting agent); empty for
  /// inbound calls.
  std::string originAgent{};
  std::uint64_t epoch = 0;  ///< of the call's first event (call.arrived, .originated, ...)
  /// The calling number: for a placed call the agent's extension; for a consult the consulting
  /// agent's number.
  std::string ani{};
  std::string dnis{};  ///< a placed call's or a consult's target (number, agent, extension, queue)
  std::string trunk{};
  base::SysTime arrivedAt{};  ///< call.arrived (call.originated, call.consult_started)
  /// The first answer (a placed call: the far party's; a consult: the party's).
  std::optional<base::SysTime> answeredAt{};
  base::SysTime endedAt{};  ///< call.ended (or the epoch change)
  std::string endCause{};   ///< call.ended's cause, or "node_restart"
  /// "caller", "agent", "system"; "callee" on a placed call, "party" on a consult.
  std::string hungUpBy{};
  std::string firstQueue{};
  std::string answeringQueue{};  ///< the queue of the first answer
  std::string answeredBy{};      ///< the first answering agent (a placed call: its agent)
  /// Every answering agent, in order, each once; agents who took the call by an attended
  /// transfer or joined it in a conference, and the colleague on an internal call, included.
  std::vector<std::string> agents{};
  std::int64_t waitMs = 0;  ///< the sum of the queue segments
  /// The agent segments less the holds (party segments are not our agents' time).
  std::int64_t talkMs = 0;
  std::int64_t holdMs = 0;     ///< the sum of the hold segments
  std::int64_t wrapUpMs = 0;   ///< the sum of the ended wrap-up segments
  std::int64_t transfers = 0;  ///< call.transferred, blind and attended
  std::string recordingId{};   ///< the first recording of the call; empty when none
  /// Every recording of the call in the order they started (a transfer, an intercept or a
  /// conference party's part is a recording of its own); recordingId is the first.
  std::vector<std::string> recordingIds{};
  std::string tier{};  ///< from call.offered; empty for normal callers
  /// "answered", "abandoned" (the caller hung up unanswered), "rejected" (queue full or
  /// closed, no fallback), "overflow" (maximum wait or an overflow step, no fallback),
  /// "fallback" (sent to the queue's fallback number), "unknown_dnis", "unanswered" (ended by
  /// the system unanswered: forced, shutdown, node_restart; a consult nobody answered; a call
  /// an agent placed that nobody answered: no_answer, busy, rejected, unreachable, failed,
  /// cancelled). A placed call that waited in a queue (an agent dialled one) is "abandoned"
  /// when it left the queue abandoned. Short abandons are a KPI rule.
  std::string outcome{};
  std::vector<CdrSegment> segments{};
  std::uint64_t firstSeq = 0;  ///< the call's first event
  std::uint64_t lastSeq = 0;   ///< the event that made it final

  bool operator==(const Cdr&) const = default;
};

/// The time an agent spent in one state.
struct AgentStateInterval {
  std::string agentNo{};
  std::string state{};   ///< events::agentStateName()
  std::string reason{};  ///< not_ready reason code; empty otherwise
  base::SysTime startedAt{};
  base::SysTime endedAt{};
  std::int64_t durationMs = 0;
  std::string callId{};        ///< for reserved, on_call and wrap_up: the call
  std::string endCause{};      ///< empty, or "node_restart" when an epoch change closed it
  std::uint64_t startSeq = 0;  ///< the agent.state_changed that began it (unique per agent)
  std::uint64_t endSeq = 0;    ///< the event that ended it

  bool operator==(const AgentStateInterval&) const = default;
};

/// The fold. Feed every event in seq order; take what became final.
class CdrFold {
 public:
  /// Folds one event. Events at or below lastSeq() are ignored (a replay after a checkpoint).
  void apply(const events::Event& event);
  /// Parses the stored payload and folds it; an unparseable one is skipped (skipped()).
  void apply(const store::StoredEvent& event);

  /// The CDRs that became final since the last call, in the order they did.
  std::vector<Cdr> takeCdrs();
  /// The intervals that ended since the last call, in the order they did.
  std::vector<AgentStateInterval> takeIntervals();

  /// The open state (calls in progress, open intervals, last seq) as JSON, for the
  /// checkpoint. Finished records not yet taken are not part of it: take them first.
  std::string saveState() const;
  /// A fold that continues from saveState()'s text. Errors: Corrupt (not a state we wrote).
  static base::Result<CdrFold> loadState(std::string_view json);

  std::uint64_t lastSeq() const { return lastSeq_; }
  std::size_t openCalls() const { return calls_.size(); }
  std::size_t openIntervals() const { return intervals_.size(); }
  std::uint64_t skipped() const { return skipped_; }

  /// The state of one call in progress (public for the JSON code in cdr_state.cc).
  struct OpenCall {
    Cdr cdr;
    std::optional<std::size_t> queueSegment;  ///< indexes into cdr.segments
    std::optional<std::size_t> agentSegment;
    std::optional<std::size_t> holdSegment;
    std::optional<std::size_t> consultSegment;  ///< the parent's consult in progress
    /// The conference party (an agent or party segment), or the number an attended transfer
    /// handed the customer to; on a consult call to a number, the consult's conversation.
    std::optional<std::size_t> partySegment;
    std::map<std::string, std::size_t> wrapUps;  ///< by agent
    std::set<std::string> busyAgents;            ///< answered and not yet released from the call
    std::string fallbackReason;                  ///< queue.left full/closed/timed_out/overflow
    std::string consultTargetType;               ///< a consult's: "agent" or "number"
    /// An internal call to a colleague (call.originated target_type agent): the colleague,
    /// until their answer gives them a segment (then empty).
    std::string calleeAgent;
    bool ended = false;
  };

 private:
  void closeEpoch(base::SysTime at, std::uint64_t seq);
  void onAgentState(const events::Event& e, const events::AgentStateChanged& s);
  void onConsultStarted(const events::Event& e, const events::CallConsultStarted& p);
  void onOriginated(const events::Event& e, const events::CallOriginated& p);
  void onAnswered(const events::Event& e, OpenCall& c, const events::CallAnswered& p);
  /// `agent` works on the call from now (answered it, took it by an attended transfer, joined
  /// it in a conference): listed in agents, busy until their wrap-up ends.
  void joinAgent(OpenCall& call, const std::string& agent);
  void finish(OpenCall& call, std::uint64_t seq);
  void finalizeDue(base::SysTime now, std::uint64_t seq);

  std::uint64_t epoch_ = 0;
  std::uint64_t lastSeq_ = 0;
  std::uint64_t skipped_ = 0;
  std::optional<base::SysTime> stoppingAt_;  ///< system.stopping of the current epoch
  std::map<std::string, OpenCall> calls_;
  std::map<std::string, AgentStateInterval> intervals_;  ///< open, by agent
  std::map<std::string, std::string> agentCall_;         ///< agent -> call they work on
  std::vector<Cdr> doneCdrs_;
  std::vector<AgentStateInterval> doneIntervals_;

  friend struct CdrFoldState;
};

}  // namespace bankcc::reports
