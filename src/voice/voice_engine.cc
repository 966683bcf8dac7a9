// SPDX-License-Identifier: Apache-2.0
// The leg table and the SIP side of the voice engine: calls arriving and leaving, answers,
// re-offers, ends. Commands from the core are in voice_commands.cc; media events in
// voice_media_events.cc.
#include "voice/voice_engine.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "base/assert.h"
#include "base/ids.h"

namespace bankcc::voice {

namespace {

media::Direction toMedia(sip::MediaDirection d) {
  switch (d) {
    case sip::MediaDirection::SendRecv:
      return media::Direction::SendRecv;
    case sip::MediaDirection::SendOnly:
      return media::Direction::SendOnly;
    case sip::MediaDirection::RecvOnly:
      return media::Direction::RecvOnly;
    case sip::MediaDirection::Inactive:
      return media::Direction::Inactive;
  }
  return media::Direction::SendRecv;
}

telephony::EndCause causeOf(sip::EndReason reason, int status) {
  switch (reason) {
    case sip::EndReason::Bye:
      return telephony::EndCause::Normal;
    case sip::EndReason::Cancelled:
      return telephony::EndCause::Cancelled;
    case sip::EndReason::Timeout:
      return telephony::EndCause::NoAnswer;
    case sip::EndReason::Transport:
      return telephony::EndCause::Unreachable;
    case sip::EndReason::Shutdown:
      return telephony::EndCause::Shutdown;
    case sip::EndReason::Rejected:
      break;
  }
  switch (status) {
    case 486:
    case 600:
      return telephony::EndCause::Busy;
    case 408:
    case 480:
    case 487:
      return telephony::EndCause::NoAnswer;
    case 404:
    case 410:
    case 484:
    case 502:
    case 503:
    case 504:
      return telephony::EndCause::Unreachable;
    case 488:
    case 606:
      return telephony::EndCause::Failed;
    default:
      return telephony::EndCause::Rejected;
  }
}

}  // namespace

VoiceEngine::VoiceEngine(VoiceConfig config, const base::Clock& clock, telephony::EventSink sink)
    : config_(std::move(config)), clock_(clock), sink_(std::move(sink)) {
  timerThread_ = std::thread([this] { timers_.run(); });
}

VoiceEngine::~VoiceEngine() {
  detach();
}

void VoiceEngine::setMedia(media::MediaEngine& media) {
  media_ = &media;
}

void VoiceEngine::attach(sip::SipStack& sip) {
  sip_ = &sip;
}

void VoiceEngine::detach() {
  {
    std::lock_guard lock(inboxMu_);
    if (detached_.exchange(true)) return;
    inbox_.clear();
  }
  timers_.stop();
  if (timerThread_.joinable()) timerThread_.join();
}

VoiceStats VoiceEngine::stats() const {
  std::lock_guard lock(statsMu_);
  return stats_;
}

void VoiceEngine::execute(telephony::Command command) {
  std::lock_guard lock(inboxMu_);  // no post may race with detach()
  if (detached_ || sip_ == nullptr) return;
  sip_->post([this, c = std::move(command)]() mutable { run(c); });
}

void VoiceEngine::onMediaEvent(media::MediaEvent event) {
  std::lock_guard lock(inboxMu_);
  if (detached_ || sip_ == nullptr) return;
  inbox_.push_back(std::move(event));
  if (!drainPosted_) {
    drainPosted_ = true;
    sip_->post([this] { drainMediaEvents(); });
  }
}

void VoiceEngine::drainMediaEvents() {
  std::deque<media::MediaEvent> batch;
  {
    std::lock_guard lock(inboxMu_);
    batch.swap(inbox_);
    drainPosted_ = false;
  }
  for (auto& e : batch) handleMediaEvent(e);
}

base::TimerId VoiceEngine::after(base::Duration delay, std::function<void()> task) {
  return timers_.runAfter(delay, [this, task = std::move(task)]() mutable {
    std::lock_guard lock(inboxMu_);
    if (detached_ || sip_ == nullptr) return;
    sip_->post(std::move(task));
  });
}

void VoiceEngine::emit(telephony::Event event) {
  if (detached_) return;
  sink_(std::move(event));
}

VoiceEngine::Leg* VoiceEngine::findLeg(const telephony::LegId& id) {
  auto it = legs_.find(id.value);
  return it == legs_.end() ? nullptr : it->second.get();
}

VoiceEngine::Leg* VoiceEngine::findByCall(sip::CallId call) {
  auto it = byCall_.find(call);
  return it == byCall_.end() ? nullptr : findLeg(telephony::LegId{it->second});
}

VoiceEngine::Leg* VoiceEngine::findBySession(media::SessionId session) {
  auto it = bySession_.find(session.value);
  return it == bySession_.end() ? nullptr : findLeg(telephony::LegId{it->second});
}

void VoiceEngine::failed(telephony::RequestId request, std::string reason) {
  if (request != 0)
    emit(telephony::CommandFailed{.request = request, .leg = {}, .reason = std::move(reason)});
}

void VoiceEngine::configureMedia(Leg& leg, const sip::MediaDescription& remote,
                                 const sip::Negotiated& n) {
  media::RtpParams p;
  p.remoteAddress = remote.address;
  p.remotePort = remote.port;
  p.codec = n.codec.name == "PCMU" ? media::G711::Ulaw : media::G711::Alaw;
  p.payloadType = n.codec.payloadType;
  p.telephoneEventPt = n.telephoneEventPt;
  p.ptimeMs = n.ptimeMs;
  p.rtcpMux = n.rtcpMux;
  p.direction = toMedia(n.ourDirection);
  media_->configure(leg.session, p);
}

void VoiceEngine::onIncomingCall(sip::IncomingCall call) {
  BANKCC_ASSERT(sip_->onSipThread(), "SipHandler callbacks run on the SIP thread");
  if (!call.offer) {
    // Late offer (INVITE without SDP) is not supported by this engine: carriers and phones we
    // target send the offer in the INVITE. 488 says so without allocating anything.
    sip_->respond(call.call, 488, std::nullopt);
    return;
  }
  auto negotiated = sip::negotiate(*call.offer, config_.capabilities);
  if (!negotiated) {
    spdlog::info("voice: refusing call from {}: {}", call.sourceAddress,
                 negotiated.error().message);
    sip_->respond(call.call, 488, std::nullopt);
    return;
  }
  auto created = media_->createSession(std::nullopt);
  if (!created) {
    spdlog::warn("voice: no media session for a call from {}: {}", call.sourceAddress,
                 created.error().message);
    {
      std::lock_guard lock(statsMu_);
      ++stats_.refusedMedia;
    }
    sip_->respond(call.call, 503, std::nullopt);
    return;
  }
  auto leg = std::make_unique<Leg>();
  leg->id = telephony::LegId{base::newUuidV7(clock_)};
  leg->direction = Direction::Inbound;
  leg->call = call.call;
  leg->session = created.value().id;
  leg->localAddress = created.value().localAddress;
  leg->localPort = created.value().localPort;
  leg->ourSdp = sip::makeAnswer(negotiated.value(), leg->localAddress, leg->localPort);
  configureMedia(*leg, *call.offer, negotiated.value());

  if (!config_.echoTestNumber.empty() && call.dnis == config_.echoTestNumber) {
    leg->diagnostic = Diagnostic::Echo;
  } else if (!config_.toneTestNumber.empty() && call.dnis == config_.toneTestNumber) {
    leg->diagnostic = Diagnostic::Tone;
  }

  Leg& ref = *leg;
  byCall_[call.call] = ref.id.value;
  bySession_[ref.session.value] = ref.id.value;
  legs_[ref.id.value] = std::move(leg);
  {
    std::lock_guard lock(statsMu_);
    ++stats_.arrived;
    stats_.legs = legs_.size();
    if (ref.diagnostic != Diagnostic::None) ++stats_.diagnostic;
  }

  if (ref.diagnostic != Diagnostic::None) {
    startDiagnostic(ref);
    return;
  }
  telephony::LegArrived arrived;
  arrived.leg = ref.id;
  arrived.ani = std::move(call.ani);
  arrived.dnis = std::move(call.dnis);
  arrived.trunk = std::move(call.trunk);
  arrived.extension = std::move(call.extension);
  arrived.headers = std::move(call.headers);
  emit(std::move(arrived));
}

void VoiceEngine::startDiagnostic(Leg& leg) {
  spdlog::info("voice: {} test call answered (leg {})",
               leg.diagnostic == Diagnostic::Echo ? "echo" : "tone", leg.id.value);
  sip_->respond(*leg.call, 200, leg.ourSdp);
  leg.answered = true;
  if (leg.diagnostic == Diagnostic::Echo) {
    media_->echo(leg.session);
  } else {
    media::PlaySpec spec;
    spec.items.push_back(telephony::PlayItem::ofTone(telephony::Tone::Dial));
    spec.loop = true;
    media_->play(leg.session, std::move(spec));
  }
  telephony::LegId id = leg.id;
  after(config_.diagnosticLimit, [this, id] {
    if (Leg* l = findLeg(id); l != nullptr && l->call) sip_->hangup(*l->call);
  });
}

void VoiceEngine::onProgress(sip::CallId call, int status,
                             std::optional<sip::MediaDescription> sdp) {
  Leg* leg = findByCall(call);
  if (leg == nullptr) return;
  if (sdp) {
    auto n = sip::acceptAnswer(leg->ourSdp, *sdp);
    if (n) {
      configureMedia(*leg, *sdp, n.value());
      if (!leg->earlyMedia) {
        leg->earlyMedia = true;
        emit(telephony::EarlyMedia{leg->id});
      }
      return;
    }
    spdlog::info("voice: ignoring unusable early-media SDP on leg {}: {}", leg->id.value,
                 n.error().message);
  }
  if (status == 180 || status == 183) emit(telephony::Ringing{leg->id});
}

void VoiceEngine::onEstablished(sip::CallId call, std::optional<sip::MediaDescription> sdp) {
  Leg* leg = findByCall(call);
  if (leg == nullptr) return;
  if (leg->ringTimer.valid()) {
    timers_.cancel(leg->ringTimer);
    leg->ringTimer = {};
  }
  if (leg->direction == Direction::Outbound) {
    if (sdp) {
      auto n = sip::acceptAnswer(leg->ourSdp, *sdp);
      if (!n) {
        spdlog::warn("voice: answer on leg {} has no usable media ({}); hanging up", leg->id.value,
                     n.error().message);
        sip_->hangup(call, 488);
        return;
      }
      configureMedia(*leg, *sdp, n.value());
    }
    leg->answered = true;
    emit(telephony::Answered{leg->id});
    return;
  }
  // Inbound: the ACK of our 200. Diagnostic legs were answered by us and are never reported.
  if (leg->diagnostic != Diagnostic::None || leg->answered) return;
  leg->answered = true;
  emit(telephony::Answered{leg->id});
}

base::Result<sip::MediaDescription> VoiceEngine::onReoffer(sip::CallId call,
                                                           const sip::MediaDescription& offer) {
  Leg* leg = findByCall(call);
  if (leg == nullptr) return base::err(base::Errc::NotFound, "no such call");
  auto n = sip::negotiate(offer, config_.capabilities);
  if (!n) return n.error();
  configureMedia(*leg, offer, n.value());
  sip::MediaDescription answer = sip::makeAnswer(n.value(), leg->localAddress, leg->localPort);
  leg->ourSdp = answer;
  return answer;
}

void VoiceEngine::onEnded(sip::CallId call, sip::EndReason reason, int status) {
  Leg* leg = findByCall(call);
  byCall_.erase(call);
  if (leg == nullptr) return;
  leg->call.reset();
  endDialog(*leg, leg->ourCause.value_or(causeOf(reason, status)), status);
}

void VoiceEngine::endDialog(Leg& leg, telephony::EndCause cause, int status) {
  if (leg.dialogEnded) return;
  leg.dialogEnded = true;
  leg.cause = cause;
  leg.sipStatus = status;
  if (leg.ringTimer.valid()) timers_.cancel(leg.ringTimer);
  // LegEnded is emitted on SessionReleased (voice_media_events.cc).
  media_->destroy(leg.session);
}

void VoiceEngine::onRegistrationChanged(const std::string& extension, int contacts) {
  emit(telephony::RegistrationChanged{extension, contacts > 0, contacts});
}

}  // namespace bankcc::voice
