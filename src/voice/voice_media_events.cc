// SPDX-License-Identifier: Apache-2.0
// Media events (from workers and the recording writers, queued to the SIP thread) turned into
// port events about legs.
#include <spdlog/spdlog.h>

#include <type_traits>
#include <utility>

#include "base/assert.h"
#include "voice/voice_engine.h"

namespace bankcc::voice {

namespace {

telephony::DigitsCollected::Reason toPort(media::ev::DigitsCollected::Reason r) {
  using R = media::ev::DigitsCollected::Reason;
  switch (r) {
    case R::MaxDigits:
      return telephony::DigitsCollected::Reason::MaxDigits;
    case R::Terminator:
      return telephony::DigitsCollected::Reason::Terminator;
    case R::Timeout:
      return telephony::DigitsCollected::Reason::Timeout;
    case R::TooFew:
      return telephony::DigitsCollected::Reason::TooFew;
    case R::Stopped:
      return telephony::DigitsCollected::Reason::Stopped;
  }
  return telephony::DigitsCollected::Reason::Stopped;
}

}  // namespace

void VoiceEngine::handleMediaEvent(media::MediaEvent& event) {
  std::visit(
      [this](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, media::ev::RecordingStopped>) {
          recordings_.erase(e.recordingId);
          emit(telephony::RecordingStopped{telephony::RecordingId{e.recordingId}, e.file,
                                           e.duration, e.complete});
          return;
        } else {
          Leg* leg = findBySession(e.session);
          if (leg == nullptr) return;  // a session we already forgot: nothing to report
          if constexpr (std::is_same_v<T, media::ev::PlaybackDone>) {
            if (leg->diagnostic != Diagnostic::None) return;
            emit(telephony::PlaybackDone{leg->id, e.token, e.interrupted});
          } else if constexpr (std::is_same_v<T, media::ev::DigitPressed>) {
            if (leg->diagnostic != Diagnostic::None) return;
            emit(telephony::DigitPressed{leg->id, e.digit, e.duration});
          } else if constexpr (std::is_same_v<T, media::ev::DigitsCollected>) {
            telephony::DigitsCollected out;
            out.leg = leg->id;
            out.request = e.token;
            out.reason = toPort(e.reason);
            out.digits = std::move(e.digits);
            out.secret = std::move(e.secret);
            emit(std::move(out));
          } else if constexpr (std::is_same_v<T, media::ev::MediaTimeout>) {
            if (leg->dialogEnded) return;
            spdlog::info("voice: no RTP on leg {}; hanging up", leg->id.value);
            if (leg->diagnostic == Diagnostic::None) emit(telephony::MediaTimeout{leg->id});
            leg->ourCause = telephony::EndCause::MediaTimeout;
            if (leg->call) {
              sip_->hangup(*leg->call, leg->answered ? 0 : 408);
            } else {
              endDialog(*leg, telephony::EndCause::MediaTimeout, 0);
            }
          } else if constexpr (std::is_same_v<T, media::ev::SessionReleased>) {
            // The media session is gone: now, and only now, the leg has ended (port ordering
            // promise). A session released while the dialog still runs (engine stopping)
            // ends the dialog too.
            if (leg->call) {
              sip::CallId call = *leg->call;
              byCall_.erase(call);
              leg->call.reset();
              sip_->hangup(call);
              if (!leg->dialogEnded) {
                leg->dialogEnded = true;
                leg->cause = telephony::EndCause::Shutdown;
              }
            }
            telephony::LegEnded ended;
            ended.leg = leg->id;
            ended.cause = leg->cause;
            ended.sipStatus = leg->sipStatus;
            ended.packetsReceived = e.stats.packetsReceived;
            ended.packetsLost = e.stats.packetsLost;
            ended.jitterMs = e.stats.jitterMs;
            bool report = leg->diagnostic == Diagnostic::None;
            bySession_.erase(e.session.value);
            legs_.erase(ended.leg.value);  // `leg` dangles from here on
            {
              std::lock_guard lock(statsMu_);
              ++stats_.ended;
              stats_.legs = legs_.size();
            }
            if (report) emit(std::move(ended));
          } else {
            static_assert(sizeof(T) == 0, "every media event is handled");
          }
        }
      },
      event);
}

}  // namespace bankcc::voice
