// SPDX-License-Identifier: Apache-2.0
#pragma once

// Domain events (ARCHITECTURE.md "Data"): typed structs inside the process, JSON only at the
// edges (events/json.h). Every state change of the call-control core is one of these, wrapped
// in an Event envelope that carries its identity (epoch, seq) and the ids it concerns.
//
// Adding an event: a struct with `kType` (the stable "area.verb" name stored in the log), its
// fields, and a `fields()` function that names each field for JSON (snake_case); then add the
// struct to Payload. Field types the JSON layer knows: std::string, std::int64_t, bool,
// AgentState. Never rename a type or a field once released: stored history uses the names.
// Every member has a default initializer (`{}` for strings), so designated initializers may
// leave any of them out without a -Wmissing-field-initializers warning.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/clock.h"

namespace bankcc::events {

/// An agent's state (DOMAIN.md "Agent states"): one model for UI, events and reports.
enum class AgentState {
  LoggedOut,  ///< 签出
  NotReady,   ///< 示忙 (with a reason code)
  Ready,      ///< 示闲
  Reserved,   ///< 振铃: offered, ringing
  OnCall,     ///< 通话
  WrapUp,     ///< 话后整理
};

/// "logged_out", "not_ready", "ready", "reserved", "on_call", "wrap_up".
std::string_view agentStateName(AgentState s);
/// The inverse of agentStateName(); nullopt for anything else.
std::optional<AgentState> parseAgentState(std::string_view name);

/// The server started (first event of every epoch).
struct SystemStarted {
  static constexpr std::string_view kType = "system.started";
  std::string version{};  ///< bankcc version, e.g. "0.1.0"
  std::string node{};     ///< node name from the configuration (host name by default)
  std::int64_t pid = 0;

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("version", self.version);
    f("node", self.node);
    f("pid", self.pid);
  }
  bool operator==(const SystemStarted&) const = default;
};

/// The server is shutting down in order (a kill -9 leaves no such event).
struct SystemStopping {
  static constexpr std::string_view kType = "system.stopping";
  std::string reason{};  ///< "signal SIGTERM", "admin request", ...

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("reason", self.reason);
  }
  bool operator==(const SystemStopping&) const = default;
};

/// An agent moved from one state to another.
struct AgentStateChanged {
  static constexpr std::string_view kType = "agent.state_changed";
  std::string agentNo{};  ///< the agent number (工号)
  AgentState from = AgentState::LoggedOut;
  AgentState to = AgentState::LoggedOut;
  /// Not-ready reason code (e.g. "break", "no_answer", "desktop_lost"); empty when the new
  /// state takes none.
  std::string reason{};

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("from", self.from);
    f("to", self.to);
    f("reason", self.reason);
  }
  bool operator==(const AgentStateChanged&) const = default;
};

/// Organisation data changed through the API (a queue, skill, team, agent, user, code or
/// business-hours calendar was created, changed, disabled, enabled or, for a calendar,
/// deleted), so that caches, the call-control core and open consoles can reload it.
struct ConfigChanged {
  static constexpr std::string_view kType = "config.changed";
  /// "queue", "skill", "team", "agent", "user", "reason_code", "wrapup_code" or "calendar".
  std::string kind{};
  std::string code{};        ///< the object's code, agent number or username
  std::string change{};      ///< "created", "updated", "disabled", "enabled" or "deleted"
  std::int64_t version = 0;  ///< the object's version after the change
  std::string actor{};       ///< username of who made the change

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("kind", self.kind);
    f("code", self.code);
    f("change", self.change);
    f("version", self.version);
    f("actor", self.actor);
  }
  bool operator==(const ConfigChanged&) const = default;
};

// ---- calls, queues and agents (the call-control core, callctl/call_control.h) ----------------
//
// The envelope carries call_id, agent_id (the agent number), queue_id and, when a CTI command
// caused the event, request_id; payloads repeat the agent number and queue where a reader of
// one event type needs them without the envelope. Durations are whole milliseconds.

/// A call reached the core (a trunk call to one of our numbers). First event of every call.
struct CallArrived {
  static constexpr std::string_view kType = "call.arrived";
  std::string ani{};    ///< calling number
  std::string dnis{};   ///< called number
  std::string trunk{};  ///< the trunk it came through; empty for an agent phone

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("ani", self.ani);
    f("dnis", self.dnis);
    f("trunk", self.trunk);
  }
  bool operator==(const CallArrived&) const = default;
};

/// An agent placed a call (decision 0020): make_call from the desktop, or a number dialled on the
/// phone the agent is logged in with. First event of such a call, in place of call.arrived.
struct CallOriginated {
  static constexpr std::string_view kType = "call.originated";
  std::string agentNo{};     ///< the agent placing the call
  std::string extension{};   ///< their phone
  std::string targetType{};  ///< "number" (outbound), "agent", "extension" or "queue" (internal)
  std::string target{};      ///< the number, agent number, extension or queue code
  std::string via{};         ///< "desktop" (make_call) or "phone"

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("extension", self.extension);
    f("target_type", self.targetType);
    f("target", self.target);
    f("via", self.via);
  }
  bool operator==(const CallOriginated&) const = default;
};

/// The call waits in a queue (first join, a move between queues, a re-queue after a drop).
struct QueueJoined {
  static constexpr std::string_view kType = "queue.joined";
  std::string queue{};
  std::int64_t priority = 0;  ///< base priority (0 normal; VIP tiers and re-queues higher)
  std::int64_t position = 0;  ///< 1 = next

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("queue", self.queue);
    f("priority", self.priority);
    f("position", self.position);
  }
  bool operator==(const QueueJoined&) const = default;
};

/// A queue opened or closed by its business hours (decision 0021), or because a change of the
/// queue or its calendar moved it. A closed queue turns new callers away to its fallback
/// (queue.left{closed}); callers already waiting stay and are served.
struct QueueOpenChanged {
  static constexpr std::string_view kType = "queue.open_changed";
  std::string queue{};
  bool open = true;
  std::string nextChange{};  ///< RFC 3339 UTC time of the next change; empty: none known

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("queue", self.queue);
    f("open", self.open);
    f("next_change", self.nextChange);
  }
  bool operator==(const QueueOpenChanged&) const = default;
};

/// The call stopped waiting in a queue. `reason`: "answered", "abandoned" (the caller hung
/// up), "full" and "closed" (refused at the door: these come WITHOUT a queue.joined, the call
/// never waited), "timed_out" (the queue's maximum wait), "moved" (an overflow step moved it to
/// another queue: a queue.joined follows), "overflow" (an overflow step sent it elsewhere),
/// "removed" (the core took it out for another reason).
struct QueueLeft {
  static constexpr std::string_view kType = "queue.left";
  std::string queue{};
  std::string reason{};
  std::int64_t waitedMs = 0;  ///< in this queue, since its queue.joined

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("queue", self.queue);
    f("reason", self.reason);
    f("waited_ms", self.waitedMs);
  }
  bool operator==(const QueueLeft&) const = default;
};

/// The ACD chose an agent for a call (the offer follows). The full explanation stays in the
/// core (CallControl::routingExplanation()).
struct RoutingDecided {
  static constexpr std::string_view kType = "routing.decided";
  std::string queue{};
  std::string agentNo{};
  std::string rule{};     ///< e.g. "longest_idle in queue retail_zh"
  std::string trigger{};  ///< "call_joined", "agent_available", "offer_failed", ...

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("queue", self.queue);
    f("agent_no", self.agentNo);
    f("rule", self.rule);
    f("trigger", self.trigger);
  }
  bool operator==(const RoutingDecided&) const = default;
};

/// A call is offered to an agent: the desktop's screen pop (屏幕弹出).
struct CallOffered {
  static constexpr std::string_view kType = "call.offered";
  std::string agentNo{};
  std::string extension{};  ///< the phone that rings (or will ring, for desktop answer)
  std::string queue{};
  std::string ani{};
  std::int64_t waitMs = 0;  ///< since call.arrived
  std::string tier{};       ///< customer tier ("vip", ...), empty for normal callers
  std::int64_t priority = 0;
  std::string customerId{};  ///< identified customer; empty until the IVR identifies callers
  std::string ivrPath{};     ///< menus the caller went through; empty until the IVR issue
  /// The call's data as a JSON object text (keys agents set with set_call_data, later what the
  /// IVR collected; never secrets); empty when there is none.
  std::string collected{};
  /// The phone is not rung yet: it auto-answers, so it is called when the agent answers on
  /// the desktop (AnswerCall).
  bool desktopAnswer = false;
  /// The agent's persistent line takes the call (常连接, decision 0027): nothing rings, the call
  /// is answered in the same instant.
  bool line = false;

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("extension", self.extension);
    f("queue", self.queue);
    f("ani", self.ani);
    f("wait_ms", self.waitMs);
    f("tier", self.tier);
    f("priority", self.priority);
    f("customer_id", self.customerId);
    f("ivr_path", self.ivrPath);
    f("collected", self.collected);
    f("desktop_answer", self.desktopAnswer);
    f("line", self.line);
  }
  bool operator==(const CallOffered&) const = default;
};

/// The agent answered: caller and agent are connected.
struct CallAnswered {
  static constexpr std::string_view kType = "call.answered";
  std::string agentNo{};
  std::string queue{};      ///< the queue the call is answered from
  std::int64_t waitMs = 0;  ///< since call.arrived

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("queue", self.queue);
    f("wait_ms", self.waitMs);
  }
  bool operator==(const CallAnswered&) const = default;
};

/// The agent's leg dropped while connected (media timeout, network failure): the caller hears
/// the recovery prompt and waits again (a queue.joined follows) for the same agent first.
struct CallAgentLost {
  static constexpr std::string_view kType = "call.agent_lost";
  std::string agentNo{};
  std::string cause{};      ///< "media_timeout", "unreachable", "failed", ...
  std::int64_t talkMs = 0;  ///< how long they had talked

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("cause", self.cause);
    f("talk_ms", self.talkMs);
  }
  bool operator==(const CallAgentLost&) const = default;
};

/// The recording of a call started (caller left channel, agent right).
struct RecordingStarted {
  static constexpr std::string_view kType = "recording.started";
  std::string recordingId{};

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("recording_id", self.recordingId);
  }
  bool operator==(const RecordingStarted&) const = default;
};

/// The recording's file is complete (it may come after call.ended).
struct RecordingStopped {
  static constexpr std::string_view kType = "recording.stopped";
  std::string recordingId{};
  std::int64_t durationMs = 0;
  std::string file{};    ///< where the engine stored the (encrypted) file
  bool complete = true;  ///< false when a write failed: the file holds what was written

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("recording_id", self.recordingId);
    f("duration_ms", self.durationMs);
    f("file", self.file);
    f("complete", self.complete);
  }
  bool operator==(const RecordingStopped&) const = default;
};

/// The call is over: every leg has ended. Last event of every call (a recording.stopped may
/// still follow).
struct CallEnded {
  static constexpr std::string_view kType = "call.ended";
  /// The end cause of the leg that ended first ("normal", "cancelled", "media_timeout", ...)
  /// or the core's reason: "unknown_dnis", "queue_full", "queue_closed", "queue_timeout",
  /// "queue_overflow", "fallback_failed", "forced" (a supervisor's or admin's hang-up); a
  /// consult call ends with its call.consult_ended reason ("transferred", "conferenced",
  /// "cancelled", "party_hung_up", "no_answer", "busy", "failed", "call_ended").
  std::string cause{};
  /// "caller", "agent" or "system"; on a call an agent placed (call.originated) "agent" is
  /// that agent and "callee" the far party; on a consult call (call.consult_started) "agent" is the
  /// consulting agent and "party" the consulted party.
  std::string hungUpBy{};
  std::int64_t durationMs = 0;  ///< from call.arrived to the first hang-up

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("cause", self.cause);
    f("hung_up_by", self.hungUpBy);
    f("duration_ms", self.durationMs);
  }
  bool operator==(const CallEnded&) const = default;
};

/// The agent completed wrap-up with a code. The notes themselves are never in an event (they
/// may hold customer data and events are pushed and kept for years): only their length.
struct WrapUpCompleted {
  static constexpr std::string_view kType = "wrapup.completed";
  std::string agentNo{};
  std::string code{};            ///< wrap-up code, may be empty
  std::int64_t notesLength = 0;  ///< characters (Unicode code points) of the notes

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("code", self.code);
    f("notes_length", self.notesLength);
  }
  bool operator==(const WrapUpCompleted&) const = default;
};

/// The agent asked for more wrap-up time.
struct WrapUpExtended {
  static constexpr std::string_view kType = "wrapup.extended";
  std::string agentNo{};
  std::int64_t extraMs = 0;
  std::int64_t remainingMs = 0;  ///< wrap-up time left after the extension

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("extra_ms", self.extraMs);
    f("remaining_ms", self.remainingMs);
  }
  bool operator==(const WrapUpExtended&) const = default;
};

/// The state an agent busy with a call (reserved, on_call, wrap_up) will take after it, as the
/// agent asked: `not_ready` with a reason, or `ready` (the default again).
struct AgentNextStateSet {
  static constexpr std::string_view kType = "agent.next_state_set";
  std::string agentNo{};
  AgentState next = AgentState::Ready;
  std::string reason{};  ///< not_ready reason code

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("next", self.next);
    f("reason", self.reason);
  }
  bool operator==(const AgentNextStateSet&) const = default;
};

// ---- call control during a conversation and supervision --------------------------------------

/// The agent put the customer on hold (the customer hears music on hold).
struct CallHeld {
  static constexpr std::string_view kType = "call.held";
  std::string agentNo{};

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
  }
  bool operator==(const CallHeld&) const = default;
};

/// The customer is back from hold.
struct CallRetrieved {
  static constexpr std::string_view kType = "call.retrieved";
  std::string agentNo{};
  std::int64_t heldMs = 0;  ///< how long this hold lasted

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("held_ms", self.heldMs);
  }
  bool operator==(const CallRetrieved&) const = default;
};

/// The agent muted their microphone: the customer (and a conference party) no longer hears
/// them, and the agent channel of the recording is silent. The agent still hears the customer.
struct CallMuted {
  static constexpr std::string_view kType = "call.muted";
  std::string agentNo{};

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
  }
  bool operator==(const CallMuted&) const = default;
};

/// The agent attached data to the call (set_call_data): what the next agent's screen pop shows
/// (call.offered's `collected`). Only the keys: values may hold customer details and events
/// are kept for years; GET /api/v1/calls shows the values while the call lives.
struct CallDataSet {
  static constexpr std::string_view kType = "call.data_set";
  std::string agentNo{};
  std::string keys{};  ///< the keys set or removed by this change, comma-separated, sorted

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("keys", self.keys);
  }
  bool operator==(const CallDataSet&) const = default;
};

/// A supervisor directed a waiting or ringing call to an agent (intercept, decision 0022): to
/// themselves or to an agent of a team they supervise. `fromAgent` is the agent whose phone was
/// ringing (their offer is withdrawn: they go back to their state, it is no missed call), empty
/// for a call that was waiting. routing.decided and call.offered for `agentNo` follow; should
/// that offer fail, the call waits in its queue in its old place.
struct CallIntercepted {
  static constexpr std::string_view kType = "call.intercepted";
  std::string supervisor{};  ///< username
  std::string fromAgent{};
  std::string agentNo{};  ///< who is offered the call now

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("supervisor", self.supervisor);
    f("from_agent", self.fromAgent);
    f("agent_no", self.agentNo);
  }
  bool operator==(const CallIntercepted&) const = default;
};

/// The agent is heard again (they unmuted, or left the call while muted).
struct CallUnmuted {
  static constexpr std::string_view kType = "call.unmuted";
  std::string agentNo{};
  std::int64_t mutedMs = 0;  ///< how long this mute lasted

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("muted_ms", self.mutedMs);
  }
  bool operator==(const CallUnmuted&) const = default;
};

/// The agent handed the customer on. `mode` "blind" (the agent left at once) or "attended"
/// (after a consult). `targetType` "agent", "queue" or "number". A blind transfer to a queue is
/// followed by queue.joined (the call waits again, in the target queue); a transfer to a number
/// by the customer's conversation with that number. An attended transfer hands the customer to
/// the party already on the line: a target agent works on this call from here on (on_call,
/// then wrap-up; a new recording.started). The transferring agent's part of the call ends here:
/// they go to wrap-up.
struct CallTransferred {
  static constexpr std::string_view kType = "call.transferred";
  std::string agentNo{};     ///< who transferred
  std::string mode{};        ///< "blind" or "attended"
  std::string targetType{};  ///< "agent", "queue" or "number"
  std::string target{};      ///< agent number, queue code or dialled number
  std::int64_t talkMs = 0;   ///< the transferring agent's talk time on this call

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("mode", self.mode);
    f("target_type", self.targetType);
    f("target", self.target);
    f("talk_ms", self.talkMs);
  }
  bool operator==(const CallTransferred&) const = default;
};

/// The recording of a call was paused (by the agent, or while a secret is collected).
struct RecordingPaused {
  static constexpr std::string_view kType = "recording.paused";
  std::string recordingId{};
  std::string by{};  ///< agent number, or "system"

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("recording_id", self.recordingId);
    f("by", self.by);
  }
  bool operator==(const RecordingPaused&) const = default;
};

/// The recording of a call runs again.
struct RecordingResumed {
  static constexpr std::string_view kType = "recording.resumed";
  std::string recordingId{};
  std::string by{};
  std::int64_t pausedMs = 0;  ///< how long this pause lasted

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("recording_id", self.recordingId);
    f("by", self.by);
    f("paused_ms", self.pausedMs);
  }
  bool operator==(const RecordingResumed&) const = default;
};

/// A supervisor started monitoring an agent's call, or switched mode: "listen" (hears both),
/// "whisper" (the agent also hears the supervisor), "barge" (everyone hears everyone). A mode
/// switch is another monitor_started with the new mode and `previousMode` set.
struct SupervisorMonitorStarted {
  static constexpr std::string_view kType = "supervisor.monitor_started";
  std::string supervisor{};  ///< username
  std::string agentNo{};
  std::string mode{};
  std::string previousMode{};  ///< empty when monitoring just began
  std::string extension{};     ///< the supervisor's phone

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("supervisor", self.supervisor);
    f("agent_no", self.agentNo);
    f("mode", self.mode);
    f("previous_mode", self.previousMode);
    f("extension", self.extension);
  }
  bool operator==(const SupervisorMonitorStarted&) const = default;
};

/// Monitoring ended: the supervisor stopped, hung up, or the call ended.
struct SupervisorMonitorEnded {
  static constexpr std::string_view kType = "supervisor.monitor_ended";
  std::string supervisor{};
  std::string agentNo{};
  /// "stopped", "supervisor_hung_up", "call_ended", "agent_lost", "transferred", "consult"
  /// (the agent began a consult: the engine mixes three parties), "failed"
  std::string reason{};
  std::int64_t durationMs = 0;

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("supervisor", self.supervisor);
    f("agent_no", self.agentNo);
    f("reason", self.reason);
    f("duration_ms", self.durationMs);
  }
  bool operator==(const SupervisorMonitorEnded&) const = default;
};

// ---- consult, attended transfer and conference (decision 0018) -------------------------------
//
// A consult is a call of its own (DOMAIN.md "Time and counting"): its events carry the
// consult's call id, and call.consult_started, its first event, names the parent call. The
// parent call's events tell the agent's side: call.consult_ended when the consult is over, then
// call.transferred{mode "attended"} or call.conferenced when the party joined the customer.

/// An agent consults a colleague or a number about the customer's call: the customer is on
/// hold (call.held on the parent) and the party's phone rings. First event of the consult call
/// (envelope call_id = the consult's id, agent_id = the consulting agent).
struct CallConsultStarted {
  static constexpr std::string_view kType = "call.consult_started";
  std::string parentCallId{};
  std::string agentNo{};     ///< the consulting agent
  std::string targetType{};  ///< "agent" or "number"
  std::string target{};      ///< agent number or dialled number

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("parent_call_id", self.parentCallId);
    f("agent_no", self.agentNo);
    f("target_type", self.targetType);
    f("target", self.target);
  }
  bool operator==(const CallConsultStarted&) const = default;
};

/// The consulted party answered: the consulting agent and the party talk while the customer
/// waits on hold. On the consult call.
struct CallConsultAnswered {
  static constexpr std::string_view kType = "call.consult_answered";
  std::string parentCallId{};
  std::string agentNo{};  ///< the consulting agent
  std::string target{};   ///< the party: agent number or dialled number
  std::int64_t ringMs = 0;

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("parent_call_id", self.parentCallId);
    f("agent_no", self.agentNo);
    f("target", self.target);
    f("ring_ms", self.ringMs);
  }
  bool operator==(const CallConsultAnswered&) const = default;
};

/// The consult is over, on the parent call. `reason`: "transferred" (the party took the
/// customer: call.transferred follows), "conferenced" (call.conferenced follows), "cancelled"
/// (the agent went back to the customer), "party_hung_up", "no_answer", "busy", "failed"
/// (the party's phone could not be reached), "call_ended" (the customer hung up, or the agent's
/// leg dropped). The consult call's own call.ended follows.
struct CallConsultEnded {
  static constexpr std::string_view kType = "call.consult_ended";
  std::string consultCallId{};
  std::string agentNo{};
  std::string target{};
  std::string reason{};
  std::int64_t durationMs = 0;  ///< from call.consult_started

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("consult_call_id", self.consultCallId);
    f("agent_no", self.agentNo);
    f("target", self.target);
    f("reason", self.reason);
    f("duration_ms", self.durationMs);
  }
  bool operator==(const CallConsultEnded&) const = default;
};

/// The consulted party joined the customer's call: customer, agent and party hear each other.
/// On the parent call. A consulted agent now works on the parent call (on_call, then wrap-up).
struct CallConferenced {
  static constexpr std::string_view kType = "call.conferenced";
  std::string agentNo{};  ///< the agent who owns the call
  std::string consultCallId{};
  std::string partyType{};  ///< "agent" or "number"
  std::string party{};

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("consult_call_id", self.consultCallId);
    f("party_type", self.partyType);
    f("party", self.party);
  }
  bool operator==(const CallConferenced&) const = default;
};

/// The conference party left the customer's call: `reason` "dropped" (the agent dropped them)
/// or "hung_up". A party agent goes to wrap-up. On the parent call. (When the owning agent
/// leaves instead, the call is transferred to the party: call.transferred{mode "attended"}.)
struct CallPartyLeft {
  static constexpr std::string_view kType = "call.party_left";
  std::string agentNo{};  ///< the agent who owns the call
  std::string partyType{};
  std::string party{};
  std::string reason{};
  std::int64_t durationMs = 0;  ///< time in the conference

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("party_type", self.partyType);
    f("party", self.party);
    f("reason", self.reason);
    f("duration_ms", self.durationMs);
  }
  bool operator==(const CallPartyLeft&) const = default;
};

/// The agent's persistent line (常连接, decision 0027): the connection from the contact center to
/// the agent's phone that stays up between calls.
struct AgentLineChanged {
  static constexpr std::string_view kType = "agent.line_changed";
  std::string agentNo{};
  std::string extension{};
  /// "dialing" (the phone is called), "connected" (it answered, or a call's leg to it became
  /// the line) or "disconnected".
  std::string state{};
  /// Why it disconnected: "hung_up" (the phone), "no_answer", "busy", "rejected", "unreachable",
  /// "failed", "logged_out", "phone_unavailable", "agent" (asked from the desktop); else empty.
  std::string cause{};

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("extension", self.extension);
    f("state", self.state);
    f("cause", self.cause);
  }
  bool operator==(const AgentLineChanged&) const = default;
};

/// Every domain event. Later issues append alternatives (ivr.*, ...).
using Payload =
    std::variant<SystemStarted, SystemStopping, AgentStateChanged, ConfigChanged, CallArrived,
                 QueueJoined, QueueLeft, RoutingDecided, CallOffered, CallAnswered, CallAgentLost,
                 RecordingStarted, RecordingStopped, CallEnded, WrapUpCompleted, WrapUpExtended,
                 AgentNextStateSet, CallHeld, CallRetrieved, CallTransferred, RecordingPaused,
                 RecordingResumed, SupervisorMonitorStarted, SupervisorMonitorEnded,
                 CallConsultStarted, CallConsultAnswered, CallConsultEnded, CallConferenced,
                 CallPartyLeft, CallMuted, CallUnmuted, CallOriginated, QueueOpenChanged,
                 CallDataSet, CallIntercepted, AgentLineChanged>;

/// The stable type name of the alternative held, e.g. "system.started". Any thread.
std::string_view typeName(const Payload& payload);

/// A domain event with its envelope. `epoch` and `seq` are assigned by the event log when the
/// event is appended (CONVENTIONS.md "Events and the audit log"); emitters leave them 0.
/// The ids are empty when the event does not concern such an object; they are stored in their
/// own columns so that readers can filter without parsing the payload.
struct Event {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  /// When it happened (UTC, microseconds). The event log fills in its clock's time when
  /// the emitter leaves it at the epoch (SysTime{}).
  base::SysTime ts{};
  std::string callId{};
  std::string agentId{};
  std::string queueId{};
  /// The client-chosen request id of the CTI command that caused the event (CONVENTIONS.md
  /// "REST": the outcome of a command arrives as an event carrying its request_id); empty
  /// for events nothing asked for.
  std::string requestId{};
  Payload payload{};

  bool operator==(const Event&) const = default;
};

/// The identity of an appended event. `seq` starts at 1; seq == 0 means the event was not
/// accepted (see EventLog::append()).
struct EventId {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;

  bool accepted() const { return seq != 0; }
  bool operator==(const EventId&) const = default;
};

}  // namespace bankcc::events
