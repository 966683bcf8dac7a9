// SPDX-License-Identifier: Apache-2.0
#pragma once

// CallControl::Impl: the state of the call-control core and the functions that change it.
// Private to the module (call_control.h is the contract). Split by responsibility:
//   call_control.cc  construction, thread hand-off, organisation data, inspection, emitting
//   agents.cc        the agent state machine, wrap-up, phone registration
//   calls.cc         telephony events and the life of a call (arrive, connect, drop, end)
//   routing.cc       the ACD: joining queues, routing, offers, overflow steps, the ACD timer
//   commands.cc      CTI commands: validation, authorization, request-id memory
//
// Threads: everything here runs on the core thread (the loop's); no member is touched from any
// other thread. Entry points (a telephony event, a command, a timer, an organisation change)
// end with finishTurn(), which re-arms the single ACD deadline timer.

#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "callctl/call_control.h"

namespace bankcc::callctl {

/// Grace after the queue's ring timeout before the core gives up on an agent leg itself (the
/// port's Originate::ringTimeout normally ends it first).
inline constexpr Duration kRingGrace = std::chrono::seconds(5);
/// How long a call waits for the LegEnded of legs it hung up before it is closed anyway.
inline constexpr Duration kLegEndGrace = std::chrono::seconds(10);
/// How long the fallback destination of a full or closed queue may ring.
inline constexpr Duration kFallbackRingTimeout = std::chrono::seconds(30);
/// Routing explanations kept for calls that have ended.
inline constexpr std::size_t kEndedExplanations = 1000;
/// Limits of call data (SetCallData).
inline constexpr std::size_t kMaxCallDataKeys = 16;
inline constexpr std::size_t kMaxCallDataKey = 32;
inline constexpr std::size_t kMaxCallDataValue = 256;
/// Limits of CTI command values.
inline constexpr std::size_t kMaxNotes = 2000;  ///< characters (code points)
inline constexpr std::size_t kMaxCode = 64;     ///< reason and wrap-up codes, bytes
inline constexpr Duration kMaxWrapUpExtension = std::chrono::minutes(30);
inline constexpr std::size_t kMaxDigits = 32;  ///< DTMF digits one SendDigits may send

/// Not-ready reasons only the core sets (DOMAIN.md "Agent states").
inline constexpr std::string_view kReasonLoggedIn = "logged_in";
inline constexpr std::string_view kReasonNoAnswer = "no_answer";
inline constexpr std::string_view kReasonPhoneUnavailable = "phone_unavailable";
inline constexpr std::string_view kReasonAfterWrapUp = "after_wrapup";
inline constexpr std::string_view kReasonDesktopLost = "desktop_lost";
inline constexpr std::string_view kReasonSessionLocked = "session_locked";
bool isSystemReason(std::string_view reason);

/// A command's refusal with its machine code and a message for people.
inline CommandReply refuse(CommandReply::Status status, std::string code, std::string message) {
  CommandReply r;
  r.status = status;
  r.code = std::move(code);
  r.message = std::move(message);
  return r;
}

/// 409 for a verb that cannot run while a consult or conference is on the call.
inline CommandReply consultInProgress() {
  return refuse(CommandReply::Status::Conflict, "consult_in_progress",
                "finish the consult or the conference on this call first");
}

/// 409 agent_busy: "agent '<no>' is busy with a call or its wrap-up".
CommandReply agentBusy(std::string_view agentNo);
/// 404 unknown_agent / unknown_call; 409 not_logged_in.
CommandReply noAgent(std::string_view agentNo);
CommandReply noCall(std::string_view callId);
CommandReply notLoggedIn(std::string_view agentNo);

/// The call's data as a JSON object text for call.offered's `collected`; empty when none.
std::string callDataJson(const std::map<std::string, std::string>& data);

/// A dialable number: an optional '+' and 3 to 20 digits.
bool validNumber(std::string_view number);

/// The refusal of `number` unless it is valid and starts with one of `prefixes` ("bad_number",
/// "number_not_allowed": "'<n>' is not on the list of numbers <purpose>").
std::optional<CommandReply> refuseUnlisted(std::string_view number,
                                           const std::vector<std::string>& prefixes,
                                           std::string_view purpose);

/// "normal", "cancelled", "busy", "no_answer", "rejected", "unreachable", "media_timeout",
/// "failed", "shutdown".
std::string_view endCauseName(telephony::EndCause cause);
std::int64_t toMs(Duration d);

/// An agent's persistent line (常连接, decision 0027): a leg to their phone kept up between calls.
/// While in a call it is one of the call's legs (CallRec::legs, legs_) like any other; between
/// calls it belongs to no call. Its LegId stays the same for its whole life.
struct LineRec {
  enum class State { Dialing, Up };
  telephony::LegId leg;
  State state = State::Dialing;
  std::string callId;       ///< the call it is a leg of; empty between calls
  base::TimerId ringTimer;  ///< while Dialing
};

struct AgentRec {
  AgentSetup setup;
  events::AgentState state = events::AgentState::LoggedOut;
  std::string reason;  ///< not_ready only
  SysTime since{};
  std::string extension;  ///< logged in with; empty when logged out
  bool extensionAutoAnswer = false;
  /// Logged in asking for a persistent line: a call's leg the agent answers becomes the line
  /// when there is none.
  bool persistent = false;
  std::optional<LineRec> line;
  /// reserved / on_call: the call; wrap_up: the call that ended.
  std::string callId;
  /// A not_ready the agent asked for while busy with a call, applied after it.
  std::optional<std::string> nextNotReady;
  // Wrap-up (the settings come from the queue of the call that ended).
  base::TimerId wrapUpTimer;
  base::MonoTime wrapUpDeadline{};
  SysTime wrapUpStarted{};
  bool readyAfterWrapUp = true;
  std::string wrapUpQueue;
  Duration talk{};  ///< of the call in wrap-up: feeds the queue's handle time
  // The agent's desktops (WebSockets on the agent topic) and the timer started when the last
  // one went away (CoreOptions::desktopGrace).
  int desktops = 0;
  base::TimerId desktopTimer;
};

/// Logged in and neither busy with a call nor in wrap-up: ready or not_ready.
inline bool isFree(const AgentRec& a) {
  return a.state == events::AgentState::Ready || a.state == events::AgentState::NotReady;
}

/// A call's phase inside the core (CallView::Phase is the public summary).
enum class Phase {
  Queued,     ///< waiting in the ACD (possibly hearing the recovery prompt)
  Offered,    ///< offered to `agentNo`: their phone rings, or the desktop shows the offer
  Connected,  ///< bridged with the agent
  Fallback,   ///< left the queue: the closed prompt plays, then the fallback rings or talks
  Ending,     ///< hung up; waiting for the last legs to end
  /// A call an agent placed (outbound.cc): their own phone rings (desktop make_call), or the
  /// target rings while the agent hears ringback. `customer` is the target's leg once dialled.
  Dialing,
};

struct CallRec {
  enum class Direction { Inbound, Outbound, Internal };
  std::string id;
  telephony::LegId customer;
  std::string ani;
  std::string dnis;
  std::string trunk;
  std::string tier;
  int priority = 0;
  std::string queue;  ///< current queue, or the last one
  Phase phase = Phase::Queued;
  bool inAcd = false;
  SysTime arrived{};
  SysTime joined{};  ///< joined the current queue
  SysTime answered{};
  SysTime endedAt{};
  /// Every leg of the call that has not ended, with "the core sent Hangup" (or Reject).
  std::map<telephony::LegId, bool> legs;
  // Offer and conversation.
  std::string agentNo;
  std::optional<telephony::LegId> agentLeg;
  bool awaitingDesktopAnswer = false;
  std::string answerRequestId;  ///< the AnswerCall that originated the agent leg
  base::TimerId ringTimer;
  std::string recordingId;  ///< while recording
  Duration wrapUp{};        ///< the answering queue's settings, kept for the end
  bool readyAfterWrapUp = true;
  // Fallback.
  std::string fallbackDestination;
  std::string fallbackCause;  ///< call.ended cause when the fallback does not connect
  std::string closedPrompt;
  std::optional<telephony::LegId> fallbackLeg;
  bool fallbackConnected = false;
  // During the conversation.
  bool held = false;
  SysTime heldSince{};
  bool muted = false;  ///< the agent's leg (MuteCall)
  SysTime mutedSince{};
  bool recordingPaused = false;
  SysTime pausedSince{};
  /// A supervisor's monitoring leg (MonitorCall): ringing until `connected`.
  struct MonitorRec {
    std::string supervisor;  ///< username
    std::string extension;
    telephony::LegId leg;
    telephony::MonitorMode mode = telephony::MonitorMode::Listen;
    bool connected = false;
    SysTime started{};
    std::string requestId;  ///< of the MonitorCall that started it
  };
  std::optional<MonitorRec> monitor;
  std::string transferredTo;  ///< blind transfer to a number: the number
  /// A consult party and, once conferenced, the third party of the call (conference.cc,
  /// decision 0018). The party's leg is one of the call's legs.
  struct PartyRec {
    /// Queued: a consult to a queue waits in the ACD (under its consult id) for an agent.
    enum class Stage { Queued, Ringing, Consulting, Conferenced };
    std::string consultId;  ///< the consult call's id
    bool isAgent = false;   ///< also while a consult to a queue waits: its party will be one
    std::string target;     ///< agent number or dialled number; the queue code while Queued
    /// A consult to a queue (decision 0024): the queue it waits or waited in; a colleague who
    /// does not answer sends the consult back to wait there.
    std::string queue;
    base::TimerId waitTimer;  ///< CoreOptions::consultQueueTimeout, while Queued
    telephony::LegId leg;
    Stage stage = Stage::Ringing;
    bool held = false;  ///< the agent alternated back to the customer: the party hears music
    SysTime started{};  ///< call.consult_started
    SysTime answered{};
    SysTime heldSince{};
    SysTime conferenced{};
    base::TimerId ringTimer;
    std::string requestId;  ///< of the Consult
  };
  std::optional<PartyRec> party;
  // A call an agent placed (outbound.cc, decision 0020); agentNo is the agent who placed it,
  // except for a queue dialled from a phone, where that agent is `peerAgent` and the customer.
  Direction direction = Direction::Inbound;
  std::string targetType;  ///< "number", "agent", "extension", "queue"
  std::string target;
  std::string via;  ///< "desktop" or "phone"
  /// The colleague called (their leg is `customer`), or the agent who dialled a queue from
  /// their phone: busy on the call until it ends, then back to their previous state.
  std::string peerAgent;
  std::map<std::string, std::string> data;  ///< set_call_data; shown in call.offered
  /// call.ended's hung_up_by when the customer leg ends: "caller", or "callee" on a call an
  /// agent placed to a number, a colleague or an extension.
  std::string customerSide = "caller";
  // End.
  std::string endCause;
  std::string hungUpBy;
  std::string endRequestId;
  base::TimerId endTimer;
};

struct CallControl::Impl {
  Impl(base::EventLoop& loop, const base::Clock& clock, telephony::TelephonyPort& port,
       EventSink sink, CoreOptions options);
  ~Impl();

  // ---- call_control.cc: plumbing ----
  void assertCoreThread() const;
  SysTime now() const { return clock_.now(); }
  /// Runs `fn` after `d` on the loop unless the core is gone by then.
  base::TimerId after(Duration d, std::function<void()> fn);
  base::TimerId at(base::MonoTime when, std::function<void()> fn);
  void cancel(base::TimerId& id);
  std::string newId() const;
  /// Emits a domain event with the current request id (see RequestScope).
  void emit(std::string_view callId, std::string_view agentNo, std::string_view queue,
            events::Payload payload);
  void execute(telephony::Command command) { port_.execute(std::move(command)); }
  /// End of every entry point: the ACD timer follows acd.nextDeadline().
  void finishTurn();

  // ---- call_control.cc: business hours (decision 0021) ----
  /// The queue's ACD config with `open` as the setup and its business hours say now.
  acd::QueueConfig effectiveConfig(const QueueSetup& q) const;
  /// Arms the timer of the queue's next business-hours change (a daily re-check when none is
  /// known); none for a queue without hours.
  void armHours(const std::string& code);
  /// A business-hours change fell due: the ACD learns the new state (queue.open_changed).
  void onHoursDue(const std::string& code);
  /// RFC 3339 UTC time of the queue's next business-hours change; empty when none is known.
  std::string nextHoursChange(const QueueSetup& q) const;

  // ---- agents.cc ----
  AgentRec* findAgent(std::string_view agentNo);
  /// Moves the agent to `to` (reason for not_ready), tells the ACD, emits agent.state_changed;
  /// routes the agent when it became ready. No-op when nothing changes.
  void setState(AgentRec& a, events::AgentState to, std::string_view reason = {});
  /// The state an agent goes to when a call no longer needs them and no wrap-up applies:
  /// the not_ready they asked for, else ready (not_ready{phone_unavailable} when the phone is
  /// known to be unregistered).
  void releaseAgent(AgentRec& a);
  /// The call the agent was on ended: wrap-up (or its end at once when the queue has none).
  /// `talkStarted`: when this agent's talk began (default the call's answer; a conference
  /// party joined later).
  void enterWrapUp(AgentRec& a, const CallRec& c, SysTime talkEnded,
                   std::optional<SysTime> talkStarted = std::nullopt);
  /// Ends wrap-up: ready, not_ready{asked} or not_ready{after_wrapup}.
  void endWrapUp(AgentRec& a);
  void onWrapUpTimer(const std::string& agentNo);
  void onRegistration(const telephony::RegistrationChanged& e);
  bool phoneKnownUnregistered(const AgentRec& a) const;
  /// Why `a` cannot be given a call now (not_logged_in, agent_busy, phone_unavailable), or
  /// nullopt: logged in, free (ready or not_ready) and with no phone known unregistered.
  std::optional<CommandReply> refuseUnavailable(const AgentRec& a) const;
  bool canTakeCall(const AgentRec& a) const { return isFree(a) && !phoneKnownUnregistered(a); }
  /// A not_ready only the system sets (desktop_lost, session_locked): at once when ready, after
  /// the call when busy with one (agent.next_state_set), not at all when not ready already or
  /// logged out.
  void systemNotReady(AgentRec& a, std::string_view reason);
  void onDesktop(const std::string& agentNo, bool attached);
  void login(AgentRec& a, const std::string& extension, bool autoAnswer, bool persistent);
  void logout(AgentRec& a);

  // ---- line.cc: the persistent agent line (常连接, decision 0027) ----
  /// Calls the agent's extension for their line (agent.line_changed{dialing}).
  void dialLine(AgentRec& a);
  /// Hangs the line up (agent.line_changed{disconnected, cause}). A line in a call is hung up
  /// as that call's leg, so that the call sees it go.
  void hangupLine(AgentRec& a, std::string_view cause);
  /// The one way to reach an agent for a call `c`. Their line when it is up and in no call: it
  /// becomes a leg of `c` and is returned (with `announce`, a short tone tells the agent a
  /// caller is put through); the caller then acts as on that leg's Answered. Otherwise nullopt,
  /// and the caller rings the phone: a line still dialing is given up first
  /// (agent.line_changed{disconnected, replaced}), so that the phone never has two calls from
  /// the core; the call's leg, once answered, becomes the line (adoptLine).
  std::optional<telephony::LegId> takeLine(CallRec& c, AgentRec& a, bool announce);
  /// A leg of `c` the agent `a` answered becomes their line when they asked for one and have
  /// none (agent.line_changed{connected}).
  void adoptLine(AgentRec& a, const CallRec& c, const telephony::LegId& leg);
  /// Whether `leg` is an agent's line.
  bool isLine(const telephony::LegId& leg) const { return lineLegs_.contains(leg); }
  /// Takes the line `leg` out of `c` (instead of hanging it up): isolated, idle again.
  void detachLine(CallRec& c, const telephony::LegId& leg);
  /// Telephony events of a line that is in no call; false when `leg` is no such line.
  bool onIdleLineAnswered(const telephony::LegId& leg);
  /// Any line's end: the agent has no line any more. The call it was in (if any) then sees the
  /// leg end as usual.
  void onLineEnded(const telephony::LegEnded& e);

  // ---- calls.cc ----
  void onTelephonyEvent(telephony::Event& e);
  void onLegArrived(const telephony::LegArrived& e);
  void onAnswered(const telephony::Answered& e);
  void onLegEnded(const telephony::LegEnded& e);
  void onPlaybackFinished(telephony::RequestId request);
  void onRecordingStopped(const telephony::RecordingStopped& e);
  CallRec* findCall(std::string_view callId);
  void addLeg(CallRec& c, const telephony::LegId& leg);
  void hangupLeg(CallRec& c, const telephony::LegId& leg, telephony::EndCause cause);
  void playMusic(const CallRec& c);
  telephony::RequestId playWithAnswer(CallRec& c, std::string prompt);
  /// The agent leg answered: bridge, record, agent on_call.
  void connect(CallRec& c);
  /// The agent leg dropped mid-call: recovery prompt, re-queue preferring the same agent.
  void agentLost(CallRec& c, telephony::EndCause cause);
  void stopRecording(CallRec& c);
  /// The call is over: legs are hung up, and once they have ended the call closes.
  void endCall(CallRec& c, std::string cause, std::string hungUpBy);
  /// Emits call.ended, forgets the call, frees its agent. Takes the id by value: callers
  /// usually pass the call's own id, which goes with the call.
  void closeCall(std::string callId);
  /// Leaves the queue for the fallback: closed prompt, then the fallback or a hang-up.
  void leaveForFallback(CallRec& c, std::string_view reason, std::string destination);
  void onClosedPromptDone(CallRec& c);
  void onFallbackLegEnded(CallRec& c, telephony::EndCause cause);
  /// Rings the call's fallback destination (an external number) with ringback to the caller.
  void dialFallback(CallRec& c);

  // ---- conversation.cc: hold, recording pause, transfer, supervisor monitoring ----
  /// Puts the customer on hold (music; call.held) unless held already.
  void hold(CallRec& c);
  /// Takes the customer off hold if held (call.retrieved).
  void retrieve(CallRec& c);
  /// The agent leaves the call (or their leg went): their mute ends (call.unmuted). The Mute
  /// command goes to the leg only when it is still up.
  void clearMute(CallRec& c, bool legUp);
  void resumeRecording(CallRec& c, std::string_view by);
  /// Ends the supervisor's monitoring of the call, hanging up their leg
  /// (supervisor.monitor_ended{reason} once it had connected).
  void endMonitor(CallRec& c, std::string_view reason);
  void onMonitorAnswered(CallRec& c);
  void onMonitorLegEnded(CallRec& c, telephony::EndCause cause);
  /// The agent leaves a connected call that goes on without them (blind transfer): monitor
  /// ended, hold retrieved, recording stopped, agent leg hung up, agent to wrap-up.
  void releaseAgentFromCall(CallRec& c, AgentRec& a);
  /// The agent hands the connected call `c` to a queue, a named colleague or a number and
  /// leaves it (call.transferred{mode}): the caller waits in the queue, is offered to the
  /// colleague while keeping their place, or hears the number ring. Checks are the caller's.
  void blindTransfer(CallRec& c, BlindTransfer::Target target, const std::string& to,
                     std::string_view mode);
  CallRec* findCallOfAgent(std::string_view agentNo);
  /// A number a transfer or consult may dial (CoreOptions::transferNumbers), or the refusal.
  std::optional<CommandReply> refuseNumber(std::string_view number) const;
  /// Hold and retrieve belong to alternate while a consult rings or talks (409).
  std::optional<CommandReply> refuseDuringConsult(const CallRec& c) const;

  // ---- conference.cc: consult, alternate, attended transfer, conference (decision 0018) ----
  /// The call whose consult is `consultId`, or nullptr.
  CallRec* findCallOfConsult(std::string_view consultId);
  void onPartyAnswered(CallRec& c);
  /// The party's leg ended by itself (hung up, not reached).
  void onPartyLegEnded(CallRec& c, telephony::EndCause cause);
  /// Ends a ringing or connected consult: call.consult_ended{reason}, the consult's call.ended,
  /// the party leg hung up (unless it is gone), a consulted agent freed (not_ready{freeReason}
  /// when given).
  void endConsult(CallRec& c, std::string_view reason, std::string_view hungUpBy,
                  std::string_view freeReason = {});
  /// The conference party leaves (dropped, hung up, the call ended): call.party_left, a party
  /// agent to wrap-up.
  void partyLeaves(CallRec& c, std::string_view reason, SysTime at);
  /// The agent leaves and the party keeps the customer (call.transferred{attended}).
  /// `agentLegGone`: the agent's leg has ended already (they hung up their phone).
  void transferToParty(CallRec& c, bool agentLegGone);
  /// A transfer while the consult still rings or waits in a queue (semi-attended, decision
  /// 0029): the consult ends and the call goes where a blind transfer to the same target goes.
  CommandReply transferOnRing(CallRec& c);
  /// The party comes off hold (alternate had put them there): call.retrieved on the consult.
  void retrieveParty(CallRec& c, CallRec::PartyRec& p, SysTime t);
  /// The connected call `callId` the actor may act on with a party at one of `stages`, else the
  /// refusal (`missing` when the party is not at such a stage).
  std::variant<CallRec*, CommandReply> callWithParty(
      const Actor& actor, std::string_view callId,
      std::initializer_list<CallRec::PartyRec::Stage> stages, CommandReply missing);
  /// The call is ending or losing its agent: whatever party there is goes.
  void dropPartyForEnd(CallRec& c, SysTime at);
  /// Rings the party of `c`'s consult: the colleague `agent` (reserved, call.offered), or the
  /// dialled number when null. The party's leg is created here.
  void ringParty(CallRec& c, AgentRec* agent);
  /// The consult to a queue waiting in the ACD is matched with agent `m.agentNo`.
  void offerConsult(CallRec& c, const acd::Match& m, acd::Explanation explanation);
  /// (Re)arms the timer that ends `c`'s queued consult with "timed_out" after `d`.
  void armConsultWait(CallRec& c, Duration d);
  /// Asks the ACD for an agent for `c`'s queued consult.
  void routeConsult(CallRec& c, std::string_view trigger);
  /// The party's phone did not answer or refused: a consult to a queue waits again (the
  /// colleague goes not_ready{freeReason}); any other consult ends with `reason`.
  void partyNotReached(CallRec& c, std::string_view reason, std::string_view freeReason);
  /// An ACD step or maximum wait fell due for `c`'s queued consult.
  void onConsultStepDue(CallRec& c, const acd::StepDue& due);

  // ---- outbound.cc: calls an agent places (decision 0020) ----
  CommandReply runCommand(const Actor& actor, const MakeCall& c);
  /// A call from the phone a logged-in agent uses: the agent places it (never a customer call).
  void onPhoneDialled(const telephony::LegArrived& e, AgentRec& a);
  /// `a` becomes busy with the placed call `callId` (reserved, or on_call at once when they are
  /// the caller of a queue) and is to return to their present state after it.
  void busyWithPlacedCall(AgentRec& a, const std::string& callId, events::AgentState as);
  /// The placing agent's leg is up: ringback to them, the target dialled.
  void dialTarget(CallRec& c);
  /// The target answered: bridge, record, the placing agent (and a called colleague) on_call.
  void connectPlaced(CallRec& c);
  /// A leg of a call in the Dialing phase ended: the call is over.
  void onDialingLegEnded(CallRec& c, const telephony::LegId& leg, telephony::EndCause cause);
  /// The call ended: the colleague it called, or the agent who dialled the queue, is free.
  void releasePeer(const CallRec& c);
  /// A number agents may call (CoreOptions::outboundNumbers), or the refusal.
  std::optional<CommandReply> refuseOutboundNumber(std::string_view number) const;
  /// 409 for verbs that would hand a colleague's phone around (transfer, consult).
  std::optional<CommandReply> refuseInternal(const CallRec& c) const;

  // ---- routing.cc ----
  /// Puts the call in `queue` (queue.joined) or sends it to the fallback when the queue is
  /// full or closed. False when the call did not join.
  bool joinQueue(CallRec& c, const std::string& queue, int priority, SysTime arrived,
                 std::string preferredAgent = {}, SysTime preferredUntil = {});
  /// Asks the ACD for an agent for `acdId` (a waiting call or a consult to a queue): offers
  /// the match, or keeps the explanation of why there is none.
  void routeWaiting(const std::string& acdId, std::string_view trigger);
  void routeCall(CallRec& c, std::string_view trigger);
  void routeAgent(AgentRec& a, std::string_view trigger);
  /// Routes every waiting call, oldest first (after organisation changes).
  void routeAll(std::string_view trigger);
  void offer(const acd::Match& m, acd::Explanation explanation);
  /// Offers the waiting call `c` (in the ACD, Queued) to the free agent `a`, chosen outside the
  /// router (intercept, transfer to a named agent; decision 0022). A not_ready agent returns to
  /// that not_ready after the call.
  void offerDirected(CallRec& c, AgentRec& a, std::string rule, std::string trigger);
  /// Reserves `a` for `c` (already offered in the ACD): routing.decided, the agent's phone
  /// rung (or the desktop answer awaited), call.offered.
  void startOffer(CallRec& c, AgentRec& a, acd::Explanation explanation);
  /// Takes back the offer of an offered call: the ringing leg is hung up with `cause`, the call
  /// waits in its old place again. Returns the agent, still reserved (the caller decides their
  /// state), or nullptr.
  AgentRec* withdrawOffer(CallRec& c, telephony::EndCause cause);
  /// Rings the agent's phone for `c` (startOffer has taken or given up their line).
  void originateAgentLeg(CallRec& c, const AgentRec& a, bool autoAnswer);
  /// The offer failed: the caller keeps their place, the agent goes not_ready{reason}.
  void failOffer(CallRec& c, std::string_view reason);
  void onRingTimer(const std::string& callId);
  void onAcdTimer();
  void onStepDue(const acd::StepDue& due);
  void rememberExplanation(const std::string& callId, acd::Explanation ex);
  void forgetCall(const std::string& callId);

  // ---- commands.cc ----
  CommandReply run(const CommandRequest& request);
  CommandReply runCommand(const Actor& actor, const Login& c);
  CommandReply runCommand(const Actor& actor, const Logout& c);
  CommandReply runCommand(const Actor& actor, const SetState& c);
  CommandReply runCommand(const Actor& actor, const SetLine& c);
  CommandReply runCommand(const Actor& actor, const AnswerCall& c);
  CommandReply runCommand(const Actor& actor, const HangupCall& c);
  CommandReply runCommand(const Actor& actor, const CompleteWrapUp& c);
  CommandReply runCommand(const Actor& actor, const ExtendWrapUp& c);
  CommandReply runCommand(const Actor& actor, const HoldCall& c);
  CommandReply runCommand(const Actor& actor, const MuteCall& c);
  CommandReply runCommand(const Actor& actor, const SetCallData& c);
  CommandReply runCommand(const Actor& actor, const RetrieveCall& c);
  CommandReply runCommand(const Actor& actor, const SendDigits& c);
  CommandReply runCommand(const Actor& actor, const PauseCallRecording& c);
  CommandReply runCommand(const Actor& actor, const ResumeCallRecording& c);
  CommandReply runCommand(const Actor& actor, const BlindTransfer& c);
  CommandReply runCommand(const Actor& actor, const MonitorCall& c);
  CommandReply runCommand(const Actor& actor, const StopMonitoring& c);
  // ---- directed.cc: calls given to a named agent (decision 0022) ----
  CommandReply runCommand(const Actor& actor, const InterceptCall& c);
  /// The refusal of `target` as an agent a connected call may be blind-transferred to, else
  /// nullopt.
  std::optional<CommandReply> refuseTransferAgent(const CallRec& c, std::string_view target);
  /// The refusal of handing `c` to a colleague while it waits in its queue (a blind or
  /// semi-attended transfer to an agent): no queue to keep the caller's place, or it is closed.
  std::optional<CommandReply> refuseNoPlaceToWait(const CallRec& c) const;
  /// The agent left the call (released): the customer waits in the call's queue and the
  /// colleague `target` is offered the call.
  void transferToAgent(CallRec& c, const std::string& from, const std::string& target);
  /// HangupCall of a consult call: the party agent hangs up, or the consulting side cancels.
  CommandReply hangupConsult(const Actor& actor, CallRec& parent);
  CommandReply runCommand(const Actor& actor, const Consult& c);
  CommandReply runCommand(const Actor& actor, const CancelConsult& c);
  CommandReply runCommand(const Actor& actor, const CompleteTransfer& c);
  CommandReply runCommand(const Actor& actor, const Conference& c);
  CommandReply runCommand(const Actor& actor, const Alternate& c);
  CommandReply runCommand(const Actor& actor, const DropParty& c);
  /// A connected call with an agent the actor may act for, or the refusal.
  std::variant<CallRec*, CommandReply> connectedCallFor(const Actor& actor,
                                                        std::string_view callId);
  bool mayActOn(const Actor& actor, const AgentRec& a) const;

  /// Sets the request id carried by the events emitted while it lives.
  class RequestScope {
   public:
    RequestScope(Impl& impl, std::string requestId)
        : impl_(impl), saved_(std::exchange(impl.requestId_, std::move(requestId))) {}
    ~RequestScope() { impl_.requestId_ = std::move(saved_); }
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;

   private:
    Impl& impl_;
    std::string saved_;
  };

  base::EventLoop& loop_;
  const base::Clock& clock_;
  telephony::TelephonyPort& port_;
  EventSink sink_;
  CoreOptions options_;
  acd::Acd acd_;

  std::map<std::string, QueueSetup, std::less<>> queues_;
  std::map<std::string, bool, std::less<>> queueOpen_;  ///< as the ACD has it now
  std::map<std::string, base::TimerId, std::less<>> hoursTimers_;
  std::map<std::string, std::string, std::less<>> dnisToQueue_;
  std::map<std::string, AgentRec, std::less<>> agents_;
  std::map<std::string, std::string, std::less<>> extensionOwner_;  ///< logged-in extensions
  std::map<std::string, bool, std::less<>> registered_;  ///< extensions the port told about
  std::map<std::string, CallRec, std::less<>> calls_;
  std::map<std::string, std::string, std::less<>> monitoring_;  ///< supervisor -> call id
  std::map<std::string, std::string, std::less<>> consults_;    ///< consult id -> call id
  bool draining_ = false;  ///< drain() was called: new calls are refused
  /// While set, an agent becoming ready is not routed (transferOnRing: the colleague freed
  /// from the consult is offered the customer next, not another caller in between).
  bool holdRouting_ = false;
  std::map<telephony::LegId, std::string> legs_;      ///< leg -> call, for legs not ended
  std::map<telephony::LegId, std::string> lineLegs_;  ///< persistent line -> agent number
  struct RecordingInfo {
    std::string callId;
    std::string agentNo;
    std::string queue;
  };
  std::map<std::string, RecordingInfo> recordings_;  ///< until RecordingStopped
  enum class PlayKind { ClosedPrompt, RecoveryPrompt };
  std::map<telephony::RequestId, std::pair<std::string, PlayKind>> plays_;  ///< -> call
  telephony::RequestId nextRequest_ = 1;
  std::map<std::string, acd::Explanation, std::less<>> explanations_;
  std::deque<std::string> endedExplanations_;  ///< ended calls' explanations, oldest first

  // Request-id memory: (username, request id) -> first reply, evicted oldest first.
  std::map<std::pair<std::string, std::string>, CommandReply> replies_;
  std::deque<std::pair<std::string, std::string>> replyOrder_;
  std::string requestId_;  ///< the request id of the events emitted now

  base::TimerId acdTimer_;
  std::optional<SysTime> acdDeadline_;

  /// Tasks and timers hold this weakly: the loop may outlive the core.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace bankcc::callctl
