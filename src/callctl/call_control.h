// SPDX-License-Identifier: Apache-2.0
#pragma once

// The call-control core (ARCHITECTURE.md): calls, legs, agents and their states, the ACD
// inside it, CTI commands, and the domain events every change produces. It drives the
// telephony port (telephony/port.h) and never sees SIP, SDP or RTP.
//
// Threads: the core runs on one EventLoop thread (the "core thread"). Every method below
// names its thread. Public methods that other threads call (submit(), onTelephonyEvent())
// post to the loop; everything else asserts it runs on the loop thread. The core never blocks
// and never reads the database: organisation data arrives by command (setQueue, setAgent).
//
// Determinism: given the same clock readings, the same organisation and the same sequence of
// inputs (telephony events, commands, timer firings), the core issues the same port commands
// and emits the same events, up to the values of the ids it makes: call, leg and recording ids
// are UUIDv7 from the clock (base/ids.h) with random bits, so tests compare structure, not id
// values. Tables are ordered maps, so no decision depends on hashing or addresses.
//
// The walk of a queue call (this slice; the IVR issue adds flows in front of it):
//   LegArrived whose DNIS belongs to a queue -> Answer, play the queue's music (looping) ->
//   acd enqueue (call.arrived, queue.joined) -> routing picks an agent (routing.decided) ->
//   the agent is reserved (agent.state_changed ready->reserved), the agent's extension is
//   originated near the caller's leg with the queue's ring timeout (call.offered with the
//   screen-pop data) -> Answered on the agent leg -> StopPlay, Bridge, StartRecording
//   (call.answered, queue.left{answered}, agent -> on_call, recording.started) -> either side
//   hangs up -> the other leg is hung up, the recording stops (recording.stopped), the call
//   ends (call.ended{cause, hung_up_by}), the agent enters wrap_up -> after the queue's
//   wrap-up time (or the agent's end_wrapup) the agent becomes ready (or not_ready when the
//   agent asked for it during the call / the queue says so).
// Ends handled: caller abandons in queue (queue.left{abandoned}, call.ended), the agent's
// phone does not answer within the ring timeout or refuses (the caller keeps their place; the
// agent goes not_ready{no_answer} or not_ready{phone_unavailable}), the agent's leg drops
// mid-call: any end of the agent leg other than a normal hang-up (media timeout, unreachable,
// failed, shutdown) while the caller is still there (call.agent_lost; the recording stops; the
// caller hears the recovery prompt and is re-queued at CoreOptions::reQueuePriority,
// preferring the same agent for reQueuePreference; the agent goes straight to ready, no
// wrap-up, so that they can take the caller back), a media timeout on the caller's leg
// (treated as the caller hanging up), a queue that is full or closed, an overflow step that
// sends the call elsewhere or the queue's maximum wait (the call goes to the queue's fallback:
// this slice plays the queue's closedPrompt and hangs up when no fallback is configured, else
// blind transfers by originating to the fallback as an external number and bridging).
//
// Timing of the end: call.ended is emitted once every leg of the call has ended (or 10 s after
// the core hung up the legs still up), so it is the call's last event; recording.stopped may
// come before or after it. The agent enters wrap-up (or is freed) right after call.ended.
//
// Agent states (DOMAIN.md): Login puts the agent in not_ready{"logged_in"}; the desktop then
// sets ready. A not_ready asked while reserved, on_call or wrap_up is remembered and applied
// after the call (after wrap-up); ready asked then clears it, and ready during wrap-up ends
// wrap-up at once. System reasons: no_answer, phone_unavailable (an offer refused or
// unreachable, the phone unregistered while ready), after_wrapup (the queue says so),
// logged_in. Reasons the core sets cannot be asked for by a command.
//
// Desktop answer: a phone that auto-answers (AgentSetup::Extension::autoAnswer) is not rung at
// the offer. The desktop shows the offer (call.offered{desktop_answer=true}) and the phone is
// originated with Originate::autoAnswer when the agent presses answer (AnswerCall), or at once
// when the agent chose AgentSetup::autoAnswer. The queue's ring timeout covers the wait for the
// desktop answer. Phones that do not auto-answer ring at once and are answered on the phone
// (AnswerCall is refused 409 "answer_on_phone").
//
// During the conversation (conversation.cc, decision 0017): hold/retrieve, mute, DTMF to the far
// party, recording pause/resume, blind transfer (to a queue: call.transferred, the agent to
// wrap-up, queue.joined with the caller's original arrival and priority; to an allowed number:
// the caller is connected there, or back in the queue when it does not answer) and a
// supervisor's monitoring (the supervisor's phone is originated with auto-answer and mixed in
// with telephony::Monitor; supervisor.monitor_started on answer and on every mode switch,
// supervisor.monitor_ended when it stops, the supervisor hangs up, the agent leaves or the call
// ends — before call.ended). CommandReply::intervention tells the API which commands to audit.
//
// Consult, alternate, attended transfer, conference (conference.cc, decision 0018): the
// customer is held while a ready colleague or an allowed number is called; the party is mixed
// into the agent's bridge (whisper while consulting, barge in a conference). The consult is a
// call of its own: call.consult_started (naming the parent) ... its own call.ended; the
// customer's call carries call.consult_ended, then call.transferred{attended} or
// call.conferenced, and call.party_left. The agent hanging up their phone with the party on
// the line hands the customer over.
//
// Events caused by a command carry its request id in the envelope (the call.answered of an
// AnswerCall and the call.ended of a HangupCall too, though they come later).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "acd/acd.h"
#include "acd/business_hours.h"
#include "base/clock.h"
#include "base/event_loop.h"
#include "base/time_zone.h"
#include "events/event.h"
#include "telephony/port.h"

namespace bankcc::callctl {

using base::Duration;
using base::SysTime;

// --- organisation data ------------------------------------------------------------------------

/// A queue as the core needs it: the ACD's part plus what happens around it.
struct QueueSetup {
  acd::QueueConfig acd;
  /// Numbers (DNIS) that reach this queue directly, until the IVR issue adds flows.
  std::vector<std::string> dnis;
  Duration ringTimeout{std::chrono::seconds(20)};  ///< how long an agent's phone rings
  Duration wrapUp{std::chrono::seconds(15)};       ///< 0: no wrap-up
  bool readyAfterWrapUp = true;                    ///< else not_ready{"after_wrapup"}
  std::string music = "moh";                       ///< prompt looped while the caller waits
  /// Prompt played before the caller leaves for the fallback (full, closed, max wait).
  std::string closedPrompt = "queue_closed";
  /// Business hours (the queue's calendar, decision 0021), local time in the center's zone;
  /// nullopt: always open. Outside them the queue is closed (acd::isOpen, acd::nextChange).
  std::optional<acd::BusinessHours> hours;
};

/// An agent as the core needs it.
struct AgentSetup {
  acd::AgentConfig acd;  ///< agentNo, skills, languages
  std::string team;      ///< team code; supervisors act on their teams
  /// Extensions the agent may log in with; `autoAnswer` marks phones that answer an INVITE
  /// carrying `Call-Info: answer-after=0` (desktop "answer" works for those only).
  struct Extension {
    std::string number;
    bool autoAnswer = false;
  };
  std::vector<Extension> extensions;
  /// The agent's preference: offers on an auto-answer extension connect without the desktop
  /// answer (the phone is originated with auto-answer at once).
  bool autoAnswer = false;
};

// --- commands (CTI) ---------------------------------------------------------------------------

/// Who sent a command: the REST layer fills it from the session.
struct Actor {
  std::string username;
  std::string agentNo;  ///< the actor's own agent number, empty for non-agents
  bool supervisor = false;
  bool admin = false;
  std::vector<std::string> supervisedTeams;
};

struct Login {
  std::string agentNo;
  std::string extension;
  /// Log in with a persistent line (常连接, decision 0027): the core calls the extension now and
  /// keeps that connection up between calls, so that callers are put through without ringing.
  bool persistent = false;
};
/// Calls the logged-in agent's phone to (re)connect their persistent line (up = true), or hangs
/// the line up (up = false; offers then ring the phone again). Between calls only.
struct SetLine {
  std::string agentNo;
  bool up = true;
};
struct Logout {
  std::string agentNo;
};
/// ready, or not_ready with a reason code ("break", "training", ...; configured by the org).
struct SetState {
  std::string agentNo;
  bool ready = false;
  std::string reason;  ///< not_ready only; required
};
/// Desktop answer of an offered call on an auto-answer phone: the phone is called with
/// auto-answer now (see the header comment). 409 "answer_on_phone" for other phones.
struct AnswerCall {
  std::string callId;
};
/// Hangs up a connected call (both parties). By the agent: hung_up_by "agent"; by a
/// supervisor of the agent's team or an admin: hung_up_by "system", cause "forced".
/// A consult call's id: the consulted agent hangs up their side (the consult ends
/// "party_hung_up"); the consulting agent or a supervisor cancels it (CancelConsult).
struct HangupCall {
  std::string callId;
};
/// Ends wrap-up now (with the wrap-up code and notes), or extends it. The notes never reach
/// an event (they may hold customer data): wrapup.completed carries their length only, and
/// this slice keeps them nowhere else yet.
struct CompleteWrapUp {
  std::string agentNo;
  std::string code;   ///< wrap-up code, may be empty
  std::string notes;  ///< free text, at most 2,000 characters
};
struct ExtendWrapUp {
  std::string agentNo;
  Duration extra{std::chrono::seconds(30)};
};

/// Puts the customer on hold (they hear the queue's music; the agent hears silence), and
/// back. 409 "already_held" / "not_held".
struct HoldCall {
  std::string callId;
};
struct RetrieveCall {
  std::string callId;
};
/// Mutes the agent's microphone on the call (the customer and a conference party no longer hear
/// them; the agent channel of the recording is silent) or unmutes it. 409 "already_muted" /
/// "not_muted". Mute belongs to the agent's leg: it ends when the agent leaves the call.
struct MuteCall {
  std::string callId;
  bool muted = true;
};
/// Sends DTMF to the far party (the customer, or the number the call was transferred to):
/// 1 to 32 of 0-9 * # A-D. No event names the digits (they may be account numbers).
struct SendDigits {
  std::string callId;
  std::string digits;
};
/// Pauses the call's recording (the customer is about to say something that must not be
/// kept) and resumes it. recording.paused/resumed; the API writes an audit record.
struct PauseCallRecording {
  std::string callId;
};
struct ResumeCallRecording {
  std::string callId;
};
/// Hands the customer on without a consult: to a queue (they wait there again, keeping their
/// arrival time and priority), to a colleague who is ready (their phone rings now; the customer
/// waits in the call's queue meanwhile and keeps that place should the colleague not answer;
/// decision 0022) or to a number CoreOptions::transferNumbers allows (an external
/// conversation the core only watches). The agent goes to wrap-up at once.
struct BlindTransfer {
  enum class Target { Queue, Number, Agent };
  std::string callId;
  Target targetType = Target::Queue;
  std::string target;  ///< queue code, number or agent number
};
/// A supervisor monitors an agent's connected call from their phone `extension` (called with
/// auto-answer), or switches mode when already monitoring that agent. One monitor per call and
/// one call per supervisor. Supervisors of the agent's team and admins only.
struct MonitorCall {
  std::string agentNo;
  telephony::MonitorMode mode = telephony::MonitorMode::Listen;
  std::string extension;  ///< needed to start; ignored when switching mode
};
struct StopMonitoring {
  std::string agentNo;
};
/// A supervisor takes a waiting or ringing call for an agent (intercept, decision 0022): for
/// themselves (their own agent, logged in) or for an agent of a team they supervise; that agent
/// is ready or not_ready (a not_ready agent returns to it after the call). A ringing agent's
/// phone stops and they go back to their state. Should the new offer fail, the call waits in
/// its queue in its old place. Supervisors and admins; always audited.
struct InterceptCall {
  std::string callId;
  std::string agentNo;  ///< who takes the call
};

/// Consults a colleague (a logged-in agent who is ready), a queue (the ACD picks the colleague;
/// decision 0024) or a number CoreOptions::transferNumbers allows about the connected call
/// `callId` (decision 0018): the customer is put on hold and the party's phone rings (at once, or
/// when the queue has an agent for the consult); the consult is a call of its own
/// (call.consult_started names it). One consult at a time; a supervisor monitoring the call is
/// ended ("consult"). A customer held already stays held.
struct Consult {
  enum class Target { Agent, Number, Queue };
  std::string callId;  ///< the customer's call
  Target targetType = Target::Agent;
  std::string target;  ///< agent number, dialled number or queue code
};
/// Ends the consult (ringing or talking) and takes the customer off hold.
struct CancelConsult {
  std::string callId;
};
/// The party of a connected consult (or of a conference) takes the customer; the agent leaves
/// the call and goes to wrap-up (call.transferred{mode "attended"}).
struct CompleteTransfer {
  std::string callId;
};
/// Joins the party of a connected consult to the customer's call: all three hear each other.
struct Conference {
  std::string callId;
};
/// During a connected consult, switches whom the agent talks to: the customer (the party hears
/// music) or the party (the customer hears music).
struct Alternate {
  std::string callId;
};
/// Drops the conference party; the agent and the customer talk on.
struct DropParty {
  std::string callId;
};

/// The agent places a call from the desktop (make_call, decision 0020): their own phone is
/// called first (auto-answer when the extension auto-answers) and, once they pick up, the
/// target, while they hear ringback. Only the agent themselves, in ready or not_ready; they are
/// reserved at once and return to that state after the call. The reply names the new call.
struct MakeCall {
  enum class Target { Number, Agent, Extension };
  std::string agentNo;
  Target targetType = Target::Number;
  std::string target;  ///< a number CoreOptions::outboundNumbers allows, an agent, an extension
};

/// Attaches data to the call for the agents who handle it next (set_call_data): each key is set
/// to its value, or removed when the value is empty. The data goes with the call through
/// transfers and shows in call.offered's `collected`. Keys: 1 to 32 of a-z 0-9 _; values: up to
/// 256 bytes of printable UTF-8 and never a card number (13 or more digits in a row: 422
/// card_number); at most 16 keys on a call.
struct SetCallData {
  std::string callId;
  std::map<std::string, std::string> data;
};

using Command = std::variant<Login, Logout, SetState, AnswerCall, HangupCall, CompleteWrapUp,
                             ExtendWrapUp, HoldCall, RetrieveCall, SendDigits, PauseCallRecording,
                             ResumeCallRecording, BlindTransfer, MonitorCall, StopMonitoring,
                             Consult, CancelConsult, CompleteTransfer, Conference, Alternate,
                             DropParty, MuteCall, MakeCall, SetCallData, InterceptCall, SetLine>;

/// Why the core cannot take an organisation change (CallControl::vetQueue, ...): a machine code
/// and a sentence naming the agent's call or the calls concerned.
struct OrgVeto {
  std::string code;
  std::string message;
};

struct CommandRequest {
  std::string requestId;  ///< client-chosen; a repeat is answered as before and ignored
  Actor actor;
  Command command;
};

/// The immediate answer to a command; its outcome arrives later as events carrying the
/// request id.
struct CommandReply {
  enum class Status {
    Accepted,   ///< 202
    Forbidden,  ///< 403: not the actor's agent or call, nor their team's
    NotFound,   ///< 404: unknown agent, call or extension
    Conflict,   ///< 409: wrong state
    Invalid,    ///< 400/422: bad values (reason code empty, notes too long, ...)
  };
  Status status = Status::Accepted;
  std::string code;     ///< machine code for 4xx: "wrong_state", "not_your_call", ...
  std::string message;  ///< for people
  bool replay = false;  ///< the request id was seen before; this is the first answer again
  /// The actor acted on an agent or call other than their own (a supervisor's or admin's
  /// intervention), or was refused one: the API writes it to the audit log.
  bool intervention = false;
  std::string callId;  ///< the call the command created (MakeCall); empty otherwise
};

// --- views ------------------------------------------------------------------------------------

struct AgentView {
  std::string agentNo;
  events::AgentState state = events::AgentState::LoggedOut;
  std::string reason;  ///< not_ready reason
  std::string extension;
  SysTime since{};     ///< in this state since
  std::string callId;  ///< reserved / on_call / wrap_up: the call
  /// The persistent line (decision 0027): "" none, "dialing", "connected" (idle between calls)
  /// or "in_call".
  std::string line;
  telephony::LegId lineLeg;  ///< while there is a line
  bool persistent = false;   ///< logged in asking for a line
};

struct CallView {
  std::string callId;
  std::string ani;
  std::string dnis;
  std::string queue;
  /// Connected also covers a call bridged to its queue's fallback (agentNo empty); Ending
  /// covers a call hearing the closed prompt or waiting for the fallback to answer; Dialing is
  /// a call an agent places, until the far party answers.
  enum class Phase { Queued, Offered, Connected, Ending, Dialing } phase = Phase::Queued;
  /// "inbound" (call.arrived), "outbound" (an agent dialled a number) or "internal" (an agent
  /// dialled a colleague, an extension or a queue): decision 0020.
  std::string direction = "inbound";
  std::string peerAgent;  ///< the colleague called, or the agent who dialled a queue
  std::map<std::string, std::string> data;  ///< set_call_data
  std::string agentNo;
  SysTime arrived{};
  SysTime answered{};  ///< by an agent; epoch when not yet
  int priority = 0;    ///< base priority in the ACD
  std::string tier;    ///< customer tier, empty for normal callers
  bool held = false;
  bool muted = false;  ///< the agent's microphone
  bool recordingPaused = false;
  std::string monitoredBy;    ///< the supervisor monitoring the call (connected or ringing)
  std::string transferredTo;  ///< the number of a blind transfer out (agentNo is empty then)
  /// A consult or conference party (decision 0018); partyStage empty when there is none.
  std::string consultCallId;  ///< the consult call (kept once the party is conferenced)
  std::string partyType;      ///< "agent", "number", or "queue" while a consult waits in one
  std::string party;          ///< agent number, dialled number or queue code
  std::string partyStage;     ///< "queued", "ringing", "consulting" or "conferenced"
  std::string partyQueue;     ///< a consult to a queue: the queue (kept once an agent is chosen)
  bool partyHeld = false;     ///< the agent alternated back to the customer
};

/// Sends domain events on (event log, WebSocket hub). The core fills type, ids, request id,
/// ts and payload; the sink assigns (epoch, seq). Called on the core thread, synchronously:
/// it must not block and must not call back into the core.
using EventSink = std::function<void(events::Event)>;

struct CoreOptions {
  Duration reQueuePreference{std::chrono::seconds(60)};
  int reQueuePriority = 1000;                 ///< priority of a call re-queued after a drop
  std::string recoveryPrompt = "agent_lost";  ///< played to a caller whose agent dropped
  /// Request ids remembered per user with their first reply; the oldest is forgotten first.
  std::size_t requestIdMemory = 10'000;
  Duration vipPriorityStep{std::chrono::seconds(0)};  ///< unused in this slice
  /// Customer tier -> base priority. In this slice the tier comes from the `X-Bankcc-Tier`
  /// header of a trunk call (set by the carrier or SBC; ignored from agent phones); the IVR
  /// issue sets it after identifying the customer. Unknown tiers count as normal (0).
  std::map<std::string, int> tierPriority{{"vip", 10}};
  /// Number prefixes a blind transfer may dial out to (e.g. "95", "400"); empty: none. The
  /// carrier-grade issue brings the full dial plan.
  std::vector<std::string> transferNumbers;
  /// How long a supervisor's phone may ring before a monitor request is given up.
  Duration monitorRingTimeout{std::chrono::seconds(20)};
  /// How long an agent may be without a desktop (no WebSocket on the agent topic) before they
  /// are made not_ready{desktop_lost}.
  Duration desktopGrace{std::chrono::seconds(60)};
  /// How long a consulted party's phone may ring.
  Duration consultRingTimeout{std::chrono::seconds(20)};
  /// How long a consult to a queue may wait for an agent (the queue's own maximum wait and
  /// overflow steps apply too); then it ends with reason "timed_out".
  Duration consultQueueTimeout{std::chrono::seconds(120)};
  /// Number prefixes an agent may call (make_call or dialled on the phone); empty: none.
  std::vector<std::string> outboundNumbers;
  /// How long the far party of a call an agent places may ring, and the agent's own phone
  /// before a desktop make_call dials out.
  Duration outboundRingTimeout{std::chrono::seconds(45)};
  Duration agentPhoneRingTimeout{std::chrono::seconds(20)};
  /// How long the phone may ring when the core calls it to connect a persistent line.
  Duration lineRingTimeout{std::chrono::seconds(30)};
  /// The number an agent's phone shows when the core calls it for the persistent line.
  std::string lineCallerId = "bankcc";
  /// The number shown to the far party of an outbound call (the bank's hotline); empty: the
  /// agent's extension.
  std::string outboundCallerId;
  /// The center's time zone: queues' business hours are its wall-clock times.
  base::TimeZone timeZone = base::TimeZone::utc();
  /// Wrap-up after an answered call to a number (internal calls have none); 0: none.
  Duration outboundWrapUp{std::chrono::seconds(15)};
};

class CallControl {
 public:
  /// `loop`, `clock` (the loop's), `port` outlive the core. Constructed on the loop thread.
  /// `port` commands are issued from the core thread; `port` events come back through
  /// onTelephonyEvent().
  CallControl(base::EventLoop& loop, const base::Clock& clock, telephony::TelephonyPort& port,
              EventSink events, CoreOptions options = {});
  ~CallControl();
  CallControl(const CallControl&) = delete;
  CallControl& operator=(const CallControl&) = delete;

  /// The telephony port's event sink. Thread-safe: posts to the loop (the sim delivers on the
  /// loop already; the live engine from the SIP thread).
  void onTelephonyEvent(telephony::Event event);
  /// Runs `request` on the core thread and answers through `done` (called on the core thread).
  /// Thread-safe.
  void submit(CommandRequest request, std::function<void(CommandReply)> done);

  /// The agent's desktop connected (a WebSocket subscribed to the agent topic) or went away.
  /// When the last one has been gone for CoreOptions::desktopGrace, a logged-in agent becomes
  /// not_ready{desktop_lost} (after the call when busy). Thread-safe.
  void desktopAttached(std::string agentNo);
  void desktopDetached(std::string agentNo);
  /// The agent's web session locked (idle): not_ready{session_locked}, after the call when
  /// busy. Thread-safe.
  void sessionLocked(std::string agentNo);

  // --- organisation (core thread). Errors as acd's (ValidationFailed, Conflict, NotFound).
  base::Status setQueue(QueueSetup queue);
  base::Status removeQueue(std::string_view code);
  base::Status setAgent(AgentSetup agent);
  /// Forgets the agent (disabled). A logged-in agent who is free (ready, not_ready) is logged
  /// out first; one busy with a call or its wrap-up: Conflict.
  base::Status removeAgent(std::string_view agentNo);

  /// Would the core take this organisation change now? Asked before the change is committed,
  /// so that what it must refuse is answered 409 (decision 0023): nullopt when it would, else
  /// the veto. Pure. Core thread.
  ///   vetQueue: waiting calls the new skill needs leave without any logged-in agent who
  ///     could ever take them ("calls_stranded"; calls stranded already do not count).
  ///   vetRemoveQueue: calls still wait in the queue ("calls_waiting").
  ///   vetAgent: the agent is logged in on an extension the change takes away
  ///     ("extension_in_use"), or waiting calls lose their only possible agent
  ///     ("calls_stranded").
  ///   vetRemoveAgent: the agent is busy with a call or its wrap-up ("agent_busy"), or
  ///     waiting calls lose their only possible agent ("calls_stranded").
  std::optional<OrgVeto> vetQueue(const QueueSetup& queue) const;
  std::optional<OrgVeto> vetRemoveQueue(std::string_view code) const;
  std::optional<OrgVeto> vetAgent(const AgentSetup& agent) const;
  std::optional<OrgVeto> vetRemoveAgent(std::string_view agentNo) const;

  /// Shutting down: every live call is hung up (call.ended{shutdown}, hung up by the system;
  /// agents go to wrap-up as after any call) and new calls are refused with 503. The calls
  /// leave calls() as their legs report their end. Core thread.
  void drain();

  // --- inspection (core thread)
  std::optional<AgentView> agent(std::string_view agentNo) const;
  std::vector<AgentView> agents() const;
  std::vector<CallView> calls() const;
  /// The explanation of the last routing decision for `callId` (kept while the call lives and
  /// for a while after it ends).
  std::optional<acd::Explanation> routingExplanation(std::string_view callId) const;
  const acd::Acd& acd() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bankcc::callctl
