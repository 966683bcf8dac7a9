// SPDX-License-Identifier: Apache-2.0
#pragma once

// The live telephony engine: implements the telephony port by driving sip/ and media/ (the only
// place both meet, ARCHITECTURE.md). It runs on the SIP thread and owns the table of legs: a
// leg is one SIP dialog plus one media session.
//
// Threads: execute() is thread-safe and posts to the SIP thread. SipHandler callbacks come on
// the SIP thread. Media events arrive on media worker and writer threads and are queued to the
// SIP thread. Telephony events leave through the sink on the SIP thread.
//
// Ordering promise of the port: a leg's LegEnded is emitted only when its dialog is over AND
// its media session has been released (media's SessionReleased), so every event of the leg
// (which all pass through the SIP thread in order) precedes it.
//
// Diagnostic numbers (echo test, tone test) are answered here, without call control, so that
// an operator can check a trunk or a phone with nothing else configured; they never reach the
// core.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/event_loop.h"
#include "media/engine.h"
#include "sip/sdp.h"
#include "sip/sip_stack.h"
#include "telephony/port.h"

namespace bankcc::voice {

struct VoiceConfig {
  std::string echoTestNumber = "9196";  ///< "" disables; the caller hears themselves
  std::string toneTestNumber = "9197";  ///< "" disables; the caller hears a steady 450 Hz tone
  sip::LocalCapabilities capabilities;
  /// Diagnostic calls end after this long, so a forgotten test call does not hold a trunk.
  base::Duration diagnosticLimit = std::chrono::minutes(10);
};

struct VoiceStats {
  std::size_t legs = 0;
  std::uint64_t arrived = 0, originated = 0, ended = 0, diagnostic = 0, refusedMedia = 0;
};

class VoiceEngine final : public telephony::TelephonyPort, public sip::SipHandler {
 public:
  /// `clock` must outlive the engine. Wire it up with setMedia() and attach() before calls flow.
  VoiceEngine(VoiceConfig config, const base::Clock& clock, telephony::EventSink sink);
  ~VoiceEngine() override;

  /// Start-up, before attach(): the media engine this voice engine drives.
  void setMedia(media::MediaEngine& media);
  /// Start-up, after SipStack::start(config, clock, *this, creds): the stack to drive.
  void attach(sip::SipStack& sip);
  /// Shut-down, before the SipStack is destroyed: from now on no telephony event is emitted
  /// and media events are dropped (the stack's shutdown ends every dialog). Thread-safe.
  void detach();

  /// Thread-safe: queues the command to the SIP thread.
  void execute(telephony::Command command) override;
  /// Thread-safe (media worker and writer threads): queues the event to the SIP thread.
  void onMediaEvent(media::MediaEvent event);
  /// Thread-safe snapshot.
  VoiceStats stats() const;

  // sip::SipHandler, SIP thread.
  void onIncomingCall(sip::IncomingCall call) override;
  void onProgress(sip::CallId call, int status, std::optional<sip::MediaDescription> sdp) override;
  void onEstablished(sip::CallId call, std::optional<sip::MediaDescription> sdp) override;
  base::Result<sip::MediaDescription> onReoffer(sip::CallId call,
                                                const sip::MediaDescription& offer) override;
  void onEnded(sip::CallId call, sip::EndReason reason, int status) override;
  void onRegistrationChanged(const std::string& extension, int contacts) override;

 private:
  enum class Direction { Inbound, Outbound };
  enum class Diagnostic { None, Echo, Tone };

  struct Leg {
    telephony::LegId id;
    Direction direction = Direction::Inbound;
    Diagnostic diagnostic = Diagnostic::None;
    std::optional<sip::CallId> call;  ///< nullopt once the dialog is over
    media::SessionId session;
    std::string localAddress;
    std::uint16_t localPort = 0;
    sip::MediaDescription ourSdp;  ///< our answer (inbound) or offer (outbound)
    bool answered = false;
    bool earlyMedia = false;
    bool dialogEnded = false;
    /// Set when we ended the leg (Hangup, ring timeout, media timeout): our reason wins over
    /// what the stack reports (e.g. 487 after our CANCEL).
    std::optional<telephony::EndCause> ourCause;
    telephony::EndCause cause = telephony::EndCause::Normal;
    int sipStatus = 0;
    base::TimerId ringTimer;
  };

  // SIP thread.
  void run(telephony::Command& command);
  void drainMediaEvents();
  void handleMediaEvent(media::MediaEvent& event);
  void emit(telephony::Event event);
  Leg* findLeg(const telephony::LegId& id);
  Leg* findByCall(sip::CallId call);
  Leg* findBySession(media::SessionId session);
  void failed(telephony::RequestId request, std::string reason);
  /// Applies negotiated SDP parameters to the leg's media session.
  void configureMedia(Leg& leg, const sip::MediaDescription& remote, const sip::Negotiated& n);
  /// The dialog is over (or never started): release the media session; LegEnded follows.
  void endDialog(Leg& leg, telephony::EndCause cause, int status);
  void startDiagnostic(Leg& leg);
  /// Runs `task` on the SIP thread after `delay` (a timer thread posts it over).
  base::TimerId after(base::Duration delay, std::function<void()> task);

  void originate(telephony::Originate& cmd);
  void answer(const telephony::LegId& id);
  void hangup(const telephony::Hangup& cmd);

  VoiceConfig config_;
  const base::Clock& clock_;
  telephony::EventSink sink_;
  media::MediaEngine* media_ = nullptr;
  sip::SipStack* sip_ = nullptr;
  std::atomic<bool> detached_{false};

  // Legs, SIP thread only.
  std::map<std::string, std::unique_ptr<Leg>> legs_;
  std::map<sip::CallId, std::string> byCall_;
  std::map<std::uint64_t, std::string> bySession_;
  std::map<std::string, media::SessionId> recordings_;  ///< recording id -> left session

  // Media events on their way to the SIP thread.
  std::mutex inboxMu_;
  std::deque<media::MediaEvent> inbox_;
  bool drainPosted_ = false;

  mutable std::mutex statsMu_;
  VoiceStats stats_;

  // Timers: an event loop on its own thread whose tasks post to the SIP thread.
  base::RealClock timerClock_;
  base::EventLoop timers_{timerClock_};
  std::thread timerThread_;
};

}  // namespace bankcc::voice
