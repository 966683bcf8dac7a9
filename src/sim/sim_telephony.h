// SPDX-License-Identifier: Apache-2.0
#pragma once

// sim::SimTelephony: the telephony port (telephony/port.h) in virtual time. It is a simulator:
// there is no SIP, no RTP, no audio and no file. It keeps a model of every leg (state, bridge,
// hold, monitor, what the leg hears, recordings) and answers commands with the events a real
// engine would send, at the virtual times a real engine would send them, so that the
// call-control core can be tested deterministically: same script, same events, no sleeps, no
// threads. The "far end" (callers, agent phones, external numbers) is driven by the test
// script through the methods under "Script".
//
// Threads and time: everything runs on the thread of the EventLoop it is given; every public
// method asserts it. Virtual time is the loop's clock (a ManualClock in tests): the sim
// schedules its outcomes as loop timers, and the script moves time with runFor() (or by
// advancing the clock and calling loop.runUntilIdle()). Events are never delivered inside
// execute() or a script call: they are queued and handed to the sink from a task posted on the
// loop, in the order they happened.
//
// Decisions where the port leaves room:
//   - RequestId 0 means "no answer wanted" (types.h): Play and CollectDigits with request 0
//     get no PlaybackDone / DigitsCollected, and failures of such commands are only recorded
//     in refusals().
//   - A command the sim refuses (unknown or ended leg, wrong state, unknown prompt, invalid
//     limits) has no effect at all; CommandFailed when it carries a request id.
//   - A Play or CollectDigits needs media: an answered leg, or one in early media.
//   - The first-digit timer of a collection opened while a non-looping playback runs on the
//     leg starts when that playback ends (prompt, then wait), as IVR engines do.
//   - Digits outside a collection are sent as DigitPressed. Digits that barged in a playback
//     (and the ones that follow it until the next CollectDigits) are also kept as type-ahead
//     for that CollectDigits; a new Play or a Bridge drops them. Those digits were already
//     sent as DigitPressed, so a core must open a secret collection before (or with) its
//     prompt, never after it.
//   - minDigits is checked (0 <= min <= max) but does not change when a collection ends: the
//     Reason says how it ended and the core judges the digits (the port has no "too few").
//   - The media bridge passes a leg's DTMF on to the parties that hear the leg (see
//     LegView::dtmfHeard), except during a secret collection on that leg.
//   - Mute (of an answered leg only, like Hold) takes the leg's voice out of what every other
//     leg hears; the muted leg still hears them. Its RFC 4733 digits are not audio and are
//     still passed on (as the media engine does). The sim models no recorded audio, so a
//     recording shows nothing of a mute.
//   - When a leg ends, its open playback ends (PlaybackDone interrupted), its open collection
//     ends (DigitsCollected LegGone), a recording whose customer it is stops
//     (RecordingStopped), all before its LegEnded. Its bridge and monitors dissolve; the
//     other legs stay up.
//   - Reject ends the leg Rejected with the given status. Hangup gives sipStatus 0 after
//     answer, 487 (CANCEL) for an outbound leg not answered, 480 for an inbound one. A far
//     phone's refusal maps its status to a cause: 486/600 Busy, 408/480 NoAnswer,
//     404/410/484/502/503 Unreachable, others Rejected.
//   - Originate::near is accepted and ignored (the sim has no media workers). StartEarlyMedia
//     sends no event (the core asked for it); only an originated leg's 183 sends EarlyMedia.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/event_loop.h"
#include "base/secret_digits.h"
#include "telephony/port.h"

namespace bankcc::sim {

/// How a far phone (a registered agent extension or an external number) answers a leg that is
/// originated to it.
struct PhoneBehaviour {
  enum class Kind {
    Answer,       ///< rings, then answers after `answerAfter` (if before the ring timeout)
    NeverAnswer,  ///< rings until the ring timeout (or until farAnswer()/farHangup())
    Busy,         ///< refuses at once with 486 (EndCause::Busy), without ringing
    Reject,       ///< rings, then refuses with `rejectStatus` after `answerAfter`
  };
  Kind kind = Kind::Answer;
  /// How long the phone rings before it answers or rejects; nullopt means
  /// SimOptions::defaultAnswerAfter.
  std::optional<base::Duration> answerAfter;
  int rejectStatus = 603;
  bool earlyMedia = false;        ///< sends 183 (EarlyMedia) right after 180 (Ringing)
  bool honoursAutoAnswer = true;  ///< Originate::autoAnswer makes it answer after
                                  ///< SimOptions::autoAnswerDelay
};

struct SimOptions {
  /// The prompt library: name -> play time. A Play (or Hold music) naming a prompt not listed
  /// here is refused.
  std::map<std::string, base::Duration> prompts;
  /// Ring time of a phone whose behaviour does not say.
  base::Duration defaultAnswerAfter = std::chrono::seconds(3);
  /// From Originate to Ringing (and to Busy / Unreachable outcomes).
  base::Duration ringingAfter = base::Duration::zero();
  /// From Ringing to Answered for an auto-answered phone.
  base::Duration autoAnswerDelay = base::Duration::zero();
  /// DigitPressed::duration of every simulated key press.
  base::Duration digitDuration = std::chrono::milliseconds(100);
  /// Behaviour of an external number without its own setExternalNumber(); nullopt: such
  /// numbers are unreachable (404).
  std::optional<PhoneBehaviour> anyExternalNumber;
  /// LegArrived::trunk of incomingCall().
  std::string trunk = "sim-trunk";
};

/// Where a leg is in its life.
enum class LegState {
  Arrived,     ///< inbound, waiting for Answer or Reject
  Calling,     ///< outbound, before the far phone rings
  Ringing,     ///< outbound, the far phone rings
  EarlyMedia,  ///< inbound after StartEarlyMedia, or outbound after the far end's 183
  Answered,
  Ended,
};

/// What a leg hears right now.
struct Hearing {
  enum class Kind {
    Silence,  ///< nothing (no media, a silence item, a held partner, not connected)
    Prompt,   ///< `name` of the prompt being played
    Tone,     ///< `tone` being played
    Music,    ///< music on hold `name` (the leg is held)
    Parties,  ///< the voices of `parties` (bridge partner, monitoring supervisor)
  };
  Kind kind = Kind::Silence;
  std::string name;
  telephony::Tone tone = telephony::Tone::Ringback;
  std::vector<telephony::LegId> parties;  ///< sorted

  friend bool operator==(const Hearing&, const Hearing&) = default;
};

/// "silence", "prompt:welcome", "tone:Busy", "music:moh", "parties:<id>,<id>".
std::string toString(const Hearing& h);

/// A snapshot of one leg, for tests. Ended legs stay visible.
struct LegView {
  telephony::LegId id;
  bool inbound = true;
  LegState state = LegState::Arrived;
  std::string ani;            ///< inbound: calling number; outbound: Originate::callerId
  std::string dnis;           ///< inbound: called number
  std::string extension;      ///< inbound from an agent phone: its extension
  telephony::Destination to;  ///< outbound
  std::map<std::string, std::string> headers;  ///< inbound: as sent; outbound: Originate's
  std::optional<telephony::EndCause> endCause;
  int endStatus = 0;
  std::optional<telephony::LegId> bridgedWith;
  bool held = false;
  bool muted = false;  ///< Mute: nobody hears the leg's voice (it still hears them)
  bool playing = false;
  bool collecting = false;
  bool collectingSecret = false;
  /// Set on a supervisor's leg while it monitors: the agent leg and the mode.
  std::optional<telephony::LegId> monitoring;
  std::optional<telephony::MonitorMode> monitorMode;
  std::string dtmfSent;   ///< digits sent to this leg with SendDtmf
  std::string dtmfHeard;  ///< digits of other parties passed on to this leg by the bridge
};

/// A snapshot of one recording, for tests.
struct RecordingView {
  telephony::RecordingId id;
  telephony::LegId customer;
  telephony::LegId agent;
  bool active = false;           ///< started and not stopped
  bool pausedByCommand = false;  ///< PauseRecording without ResumeRecording
  bool pausedForSecret = false;  ///< a secret collection is open on one of its legs
  base::Duration duration{};     ///< so far, or in total once stopped
  std::string file;              ///< "sim://<id>" once stopped

  bool paused() const { return pausedByCommand || pausedForSecret; }
};

/// "Answered(<leg>)", "DigitsCollected(<leg>,req=7,Terminator,digits=123)", ... Secret digits
/// show as their count only. For test assertions and traces.
std::string toString(const telephony::Event& e);

class SimTelephony final : public telephony::TelephonyPort {
 public:
  /// `loop` and `clock` (the loop's clock) must outlive the sim. Events go to `sink`, always
  /// from a task on `loop`. Constructed on the loop thread.
  SimTelephony(base::EventLoop& loop, const base::Clock& clock, telephony::EventSink sink,
               SimOptions options = {});
  /// Cancels the sim's pending timers; events not yet delivered are dropped.
  ~SimTelephony() override;

  SimTelephony(const SimTelephony&) = delete;
  SimTelephony& operator=(const SimTelephony&) = delete;

  /// The port. Loop thread only (in the sim; the live engine is thread-safe). Applies the
  /// command to the model at once (so the inspection methods see it) and schedules its
  /// outcomes; the events follow from a posted task or a timer, never from inside this call.
  void execute(telephony::Command command) override;

  // ---- Script: the far end. Loop thread only. Events follow asynchronously. ----

  /// A call arrives from the trunk (LegArrived, header names lower-cased). Returns its leg.
  telephony::LegId incomingCall(std::string ani, std::string dnis,
                                std::map<std::string, std::string> headers = {});
  /// A call arrives from the agent phone `extension` (registered or not).
  telephony::LegId callFromPhone(std::string extension, std::string dnis,
                                 std::map<std::string, std::string> headers = {});
  /// The far end of `leg` presses `digits` (0-9 * # A-D; others are skipped): the first now,
  /// each next one `gap` later. Digits reaching a leg without media (not answered, no early
  /// media) or an ended leg are lost, as in a real network.
  void pressDigits(const telephony::LegId& leg, std::string digits,
                   base::Duration gap = std::chrono::milliseconds(200));
  /// The far end hangs up: before answer an inbound leg ends Cancelled (487), an outbound one
  /// Rejected (603); after answer Normal. No effect on an ended or unknown leg.
  void farHangup(const telephony::LegId& leg);
  /// The far phone of an outbound leg answers now, whatever its behaviour says.
  void farAnswer(const telephony::LegId& leg);
  /// The leg's RTP stops: MediaTimeout, then the engine hangs the leg up (MediaTimeout cause).
  void mediaTimeout(const telephony::LegId& leg);
  /// The agent phone `extension` registers (or refreshes with a new behaviour or contact
  /// count): RegistrationChanged{registered=true}.
  void registerPhone(std::string extension, PhoneBehaviour behaviour = {}, int contacts = 1);
  /// The phone unregisters (RegistrationChanged{registered=false}); no effect when it is not
  /// registered. Legs already ringing to it go on.
  void unregisterPhone(const std::string& extension);
  /// How the external number `number` behaves (no event: numbers do not register).
  void setExternalNumber(std::string number, PhoneBehaviour behaviour);

  // ---- Time. Loop thread only. ----

  /// Advances `clock` (which must be the clock given to the constructor) by `total`. It stops
  /// at every deadline of the sim's own timers and at least every `maxStep`, running the loop
  /// until idle at each stop, so that the sim's events happen at their exact virtual time and
  /// the other timers on the loop (the core's) within `maxStep` of theirs.
  void runFor(base::ManualClock& clock, base::Duration total,
              base::Duration maxStep = std::chrono::milliseconds(10));
  /// The earliest deadline of the sim's pending timers, if any.
  std::optional<base::MonoTime> nextDeadline() const;

  // ---- Inspection, for tests. Loop thread only. ----

  /// Every command received by execute(), in order.
  const std::vector<telephony::Command>& commands() const { return commands_; }
  /// One line per command the sim refused (with or without a CommandFailed), in order.
  const std::vector<std::string>& refusals() const { return refusals_; }
  std::optional<LegView> leg(const telephony::LegId& id) const;
  /// Every leg ever seen, in creation order.
  std::vector<telephony::LegId> legs() const;
  /// What the leg hears now: its playback if one runs; else its hold music when held; else the
  /// voices connected to it (its bridge partner unless held or muted, a supervisor as the
  /// monitor mode says; a monitoring supervisor hears agent and customer); else silence. A leg
  /// without media (not answered, no early media) or ended hears silence.
  Hearing hears(const telephony::LegId& id) const;
  std::optional<RecordingView> recording(const telephony::RecordingId& id) const;
  bool isRegistered(const std::string& extension) const;

 private:
  struct Playback {
    std::vector<telephony::PlayItem> items;
    std::vector<std::optional<base::Duration>> lengths;  // nullopt: until stopped
    std::size_t index = 0;
    bool silentForever = false;  // a loop of zero-length items
    bool bargeIn = false;
    bool loop = false;
    telephony::RequestId request = 0;
    base::TimerId timer;
  };
  struct Collection {
    telephony::CollectDigits spec;
    std::string digits;
    base::SecretDigits secret;
    std::size_t count = 0;
    base::TimerId timer;
  };
  struct Monitoring {
    telephony::LegId agent;
    telephony::LegId customer;
    telephony::MonitorMode mode = telephony::MonitorMode::Listen;
  };
  struct Leg {
    LegView view;
    std::size_t order = 0;
    std::optional<Playback> play;
    std::optional<Collection> collect;
    std::string holdMusic;
    base::MonoTime createdAt{};
    std::optional<base::MonoTime> answeredAt;
    base::TimerId progressTimer;  // outbound: the next step of the far phone
    base::TimerId ringTimer;      // outbound: the ring timeout
  };
  struct Phone {
    PhoneBehaviour behaviour;
    int contacts = 1;
  };
  struct Recording {
    RecordingView view;
    base::MonoTime startedAt{};
  };

  // Commands.
  void onCommand(telephony::Answer& c);
  void onCommand(telephony::Reject& c);
  void onCommand(telephony::StartEarlyMedia& c);
  void onCommand(telephony::Play& c);
  void onCommand(telephony::StopPlay& c);
  void onCommand(telephony::CollectDigits& c);
  void onCommand(telephony::StopCollect& c);
  void onCommand(telephony::Originate& c);
  void onCommand(telephony::Bridge& c);
  void onCommand(telephony::Unbridge& c);
  void onCommand(telephony::Hold& c);
  void onCommand(telephony::Retrieve& c);
  void onCommand(telephony::Mute& c);
  void onCommand(telephony::StartRecording& c);
  void onCommand(telephony::PauseRecording& c);
  void onCommand(telephony::ResumeRecording& c);
  void onCommand(telephony::StopRecording& c);
  void onCommand(telephony::Monitor& c);
  void onCommand(telephony::StopMonitor& c);
  void onCommand(telephony::SendDtmf& c);
  void onCommand(telephony::Isolate& c);
  void onCommand(telephony::Hangup& c);

  /// The live (not ended) leg `id`, or nullptr after recording a refusal (and a CommandFailed
  /// when `request` is not 0).
  Leg* liveLeg(const telephony::LegId& id, const char* command, telephony::RequestId request);
  Leg* findLive(const telephony::LegId& id);
  const Leg* find(const telephony::LegId& id) const;
  void refuse(std::string what, telephony::RequestId request);
  static bool hasMedia(const Leg& leg);

  // Playback.
  void startItem(Leg& leg);
  void stopPlay(Leg& leg, bool interrupted);
  // Digits.
  void onDigit(const telephony::LegId& id, char digit);
  void feed(Leg& leg, char digit);
  void armCollectTimer(Leg& leg);
  void finishCollect(Leg& leg, telephony::DigitsCollected::Reason reason);
  /// hears(), with muted legs counted as heard when `withMuted`: the path a leg's DTMF takes.
  Hearing hearing(const telephony::LegId& id, bool withMuted) const;
  // Legs.
  telephony::LegId newLegId();
  Leg& addLeg(telephony::LegId id, bool inbound);
  void answerOutbound(Leg& leg);
  void endLeg(Leg& leg, telephony::EndCause cause, int sipStatus);
  void stopRecording(Recording& rec);
  std::optional<PhoneBehaviour> behaviourFor(const telephony::Destination& to) const;
  bool secretOpen(const telephony::LegId& id) const;

  // Time and delivery.
  base::MonoTime now() const;
  base::TimerId at(base::MonoTime when, std::function<void()> task);
  void cancelTimer(base::TimerId& id);
  void emit(telephony::Event event);
  void flush();
  void assertLoopThread() const;

  base::EventLoop& loop_;
  const base::Clock& clock_;
  telephony::EventSink sink_;
  SimOptions options_;

  std::map<telephony::LegId, Leg> legs_;
  std::map<telephony::LegId, Monitoring> monitors_;  // by supervisor leg
  std::map<telephony::RecordingId, Recording> recordings_;
  std::map<std::string, Phone> phones_;
  std::map<std::string, PhoneBehaviour> externals_;
  std::vector<telephony::Command> commands_;
  std::vector<std::string> refusals_;
  std::uint64_t nextLeg_ = 1;

  std::deque<telephony::Event> outbox_;
  bool flushPosted_ = false;
  std::map<std::uint64_t, base::MonoTime> pending_;  // the sim's timers: id -> deadline
  std::optional<base::MonoTime> firing_;             // the deadline of the sim timer running now
  // Tasks and timers hold this weakly: the loop may outlive the sim.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace bankcc::sim
