// SPDX-License-Identifier: Apache-2.0
// Port commands from the core, carried out on the SIP thread by driving sip/ and media/.
#include <spdlog/spdlog.h>

#include <type_traits>
#include <utility>

#include "base/assert.h"
#include "voice/voice_engine.h"

namespace bankcc::voice {

namespace {

int statusFor(telephony::EndCause cause) {
  switch (cause) {
    case telephony::EndCause::Busy:
      return 486;
    case telephony::EndCause::NoAnswer:
      return 480;
    case telephony::EndCause::Rejected:
      return 603;
    case telephony::EndCause::Unreachable:
      return 404;
    case telephony::EndCause::Failed:
    case telephony::EndCause::MediaTimeout:
      return 500;
    case telephony::EndCause::Shutdown:
      return 503;
    case telephony::EndCause::Normal:
    case telephony::EndCause::Cancelled:
      return 0;
  }
  return 0;
}

media::PlaySpec toSpec(telephony::Play& p) {
  media::PlaySpec s;
  s.items = std::move(p.items);
  s.bargeIn = p.bargeIn;
  s.loop = p.loop;
  s.token = p.request;
  return s;
}

}  // namespace

void VoiceEngine::run(telephony::Command& command) {
  BANKCC_ASSERT(sip_->onSipThread(), "commands are carried out on the SIP thread");
  std::visit(
      [this](auto& c) {
        using T = std::decay_t<decltype(c)>;
        // The request id, when the command carries one, for CommandFailed.
        telephony::RequestId request = 0;
        if constexpr (requires { c.request; }) request = c.request;

        if constexpr (std::is_same_v<T, telephony::Originate>) {
          originate(c);
        } else if constexpr (std::is_same_v<T, telephony::Answer>) {
          answer(c.leg);
        } else if constexpr (std::is_same_v<T, telephony::Hangup>) {
          hangup(c);
        } else if constexpr (std::is_same_v<T, telephony::Reject>) {
          Leg* leg = findLeg(c.leg);
          if (leg == nullptr || !leg->call || leg->answered) return;
          int status = c.sipStatus >= 400 && c.sipStatus <= 699 ? c.sipStatus : 480;
          sip_->respond(*leg->call, status, std::nullopt);
        } else if constexpr (std::is_same_v<T, telephony::StartEarlyMedia>) {
          Leg* leg = findLeg(c.leg);
          if (leg == nullptr || !leg->call || leg->answered ||
              leg->direction != Direction::Inbound || leg->earlyMedia) {
            return;
          }
          sip_->respond(*leg->call, 183, leg->ourSdp);
          leg->earlyMedia = true;
          emit(telephony::EarlyMedia{leg->id});
        } else if constexpr (std::is_same_v<T, telephony::Play>) {
          Leg* leg = findLeg(c.leg);
          if (leg == nullptr || leg->dialogEnded) return failed(request, "no such leg");
          media_->play(leg->session, toSpec(c));
        } else if constexpr (std::is_same_v<T, telephony::StopPlay>) {
          if (Leg* leg = findLeg(c.leg)) media_->stopPlay(leg->session);
        } else if constexpr (std::is_same_v<T, telephony::CollectDigits>) {
          Leg* leg = findLeg(c.leg);
          if (leg == nullptr || leg->dialogEnded) return failed(request, "no such leg");
          media::CollectSpec s;
          s.minDigits = c.minDigits;
          s.maxDigits = c.maxDigits;
          s.firstDigitTimeout = c.firstDigitTimeout;
          s.interDigitTimeout = c.interDigitTimeout;
          s.terminator = c.terminator;
          s.secret = c.secret;
          s.token = c.request;
          // The collection opens first, so that a digit barging in on its prompt counts.
          media_->collect(leg->session, s);
          if (!c.prompt.empty()) {
            media::PlaySpec prompt;
            prompt.items = std::move(c.prompt);
            prompt.bargeIn = true;
            media_->play(leg->session, std::move(prompt));
          }
        } else if constexpr (std::is_same_v<T, telephony::StopCollect>) {
          if (Leg* leg = findLeg(c.leg)) media_->stopCollect(leg->session);
        } else if constexpr (std::is_same_v<T, telephony::Bridge>) {
          Leg* a = findLeg(c.a);
          Leg* b = findLeg(c.b);
          if (a == nullptr || b == nullptr) return;
          // Legs on different media workers are fine: the engine moves `b` to `a`'s worker
          // (decision 0027, the persistent agent line).
          media_->bridge(a->session, b->session);
        } else if constexpr (std::is_same_v<T, telephony::Unbridge>) {
          if (Leg* a = findLeg(c.a)) media_->unbridge(a->session);
          if (Leg* b = findLeg(c.b)) media_->unbridge(b->session);
        } else if constexpr (std::is_same_v<T, telephony::Hold>) {
          if (Leg* leg = findLeg(c.leg)) media_->hold(leg->session, c.music);
        } else if constexpr (std::is_same_v<T, telephony::Retrieve>) {
          if (Leg* leg = findLeg(c.leg)) media_->retrieve(leg->session);
        } else if constexpr (std::is_same_v<T, telephony::Mute>) {
          if (Leg* leg = findLeg(c.leg)) media_->mute(leg->session, c.muted);
        } else if constexpr (std::is_same_v<T, telephony::StartRecording>) {
          Leg* customer = findLeg(c.customer);
          Leg* agent = findLeg(c.agent);
          if (customer == nullptr || agent == nullptr) return;
          recordings_[c.recording.value] = customer->session;
          media_->startRecording(
              media::RecordingSpec{c.recording.value, customer->session, agent->session});
        } else if constexpr (std::is_same_v<T, telephony::PauseRecording>) {
          media_->pauseRecording(c.recording.value);
        } else if constexpr (std::is_same_v<T, telephony::ResumeRecording>) {
          media_->resumeRecording(c.recording.value);
        } else if constexpr (std::is_same_v<T, telephony::StopRecording>) {
          media_->stopRecording(c.recording.value);
        } else if constexpr (std::is_same_v<T, telephony::Monitor>) {
          Leg* third = findLeg(c.supervisor);
          Leg* agent = findLeg(c.agent);
          Leg* customer = findLeg(c.customer);
          if (third == nullptr || agent == nullptr || customer == nullptr) return;
          media_->monitor(third->session, agent->session, customer->session, c.mode);
        } else if constexpr (std::is_same_v<T, telephony::StopMonitor>) {
          if (Leg* leg = findLeg(c.supervisor)) media_->stopMonitor(leg->session);
        } else if constexpr (std::is_same_v<T, telephony::Isolate>) {
          if (Leg* leg = findLeg(c.leg)) {
            // All on the session's worker, in this order: the bridge (and with it any monitor
            // mix it carries), a mix the leg is the third party of, then its own state.
            media_->unbridge(leg->session);
            media_->stopMonitor(leg->session);
            media_->retrieve(leg->session);
            media_->mute(leg->session, false);
            media_->stopPlay(leg->session);
            media_->stopCollect(leg->session);
          }
        } else if constexpr (std::is_same_v<T, telephony::SendDtmf>) {
          if (Leg* leg = findLeg(c.leg)) media_->sendDtmf(leg->session, c.digits);
        } else {
          static_assert(sizeof(T) == 0, "every command is handled");
        }
      },
      command);
}

void VoiceEngine::answer(const telephony::LegId& id) {
  Leg* leg = findLeg(id);
  if (leg == nullptr || !leg->call || leg->answered || leg->direction != Direction::Inbound) {
    return;
  }
  sip_->respond(*leg->call, 200, leg->ourSdp);
  // Answered is reported when the ACK arrives (onEstablished).
}

void VoiceEngine::hangup(const telephony::Hangup& cmd) {
  Leg* leg = findLeg(cmd.leg);
  if (leg == nullptr || leg->dialogEnded) return;
  if (leg->call) {
    leg->ourCause = cmd.cause;
    sip_->hangup(*leg->call, leg->answered ? 0 : statusFor(cmd.cause));
    // onEnded follows from the stack and releases the media session.
  } else {
    endDialog(*leg, cmd.cause, 0);
  }
}

void VoiceEngine::originate(telephony::Originate& cmd) {
  if (findLeg(cmd.leg) != nullptr) {
    spdlog::error("voice: originate with a leg id already in use: {}", cmd.leg.value);
    return;
  }
  std::optional<media::SessionId> near;
  if (cmd.near) {
    if (Leg* n = findLeg(*cmd.near)) near = n->session;
  }
  auto leg = std::make_unique<Leg>();
  leg->id = cmd.leg;
  leg->direction = Direction::Outbound;

  auto created = media_->createSession(near);
  if (!created) {
    spdlog::warn("voice: no media session to originate leg {}: {}", cmd.leg.value,
                 created.error().message);
    // No session exists, so nothing to release: the leg ends at once.
    emit(telephony::LegEnded{cmd.leg, telephony::EndCause::Failed, 503});
    return;
  }
  leg->session = created.value().id;
  leg->localAddress = created.value().localAddress;
  leg->localPort = created.value().localPort;
  leg->ourSdp = sip::makeOffer(config_.capabilities, leg->localAddress, leg->localPort);

  sip::OutgoingCall out;
  out.target = cmd.to.kind == telephony::Destination::Kind::Extension
                   ? sip::OutgoingCall::Target::Extension
                   : sip::OutgoingCall::Target::External;
  out.number = cmd.to.number;
  out.callerId = cmd.callerId;
  out.offer = leg->ourSdp;
  out.autoAnswer = cmd.autoAnswer;
  out.headers = cmd.headers;

  Leg& ref = *leg;
  bySession_[ref.session.value] = ref.id.value;
  legs_[ref.id.value] = std::move(leg);
  {
    std::lock_guard lock(statsMu_);
    ++stats_.originated;
    stats_.legs = legs_.size();
  }

  auto call = sip_->invite(out);
  if (!call) {
    spdlog::info("voice: cannot originate leg {} to {}: {}", ref.id.value, cmd.to.number,
                 call.error().message);
    endDialog(ref, telephony::EndCause::Unreachable, 404);
    return;
  }
  ref.call = call.value();
  byCall_[call.value()] = ref.id.value;
  telephony::LegId id = ref.id;
  ref.ringTimer = after(cmd.ringTimeout, [this, id] {
    Leg* l = findLeg(id);
    if (l == nullptr || l->answered || !l->call) return;
    l->ringTimer = {};
    l->ourCause = telephony::EndCause::NoAnswer;
    sip_->hangup(*l->call);
  });
}

}  // namespace bankcc::voice
