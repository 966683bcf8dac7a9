// SPDX-License-Identifier: Apache-2.0
#pragma once

// The telephony engine inside `bankcc serve`: the media engine, the SIP stack and the voice
// engine that joins them, started and stopped in the right order.
//
// Until call control is attached, arriving calls other than the diagnostic numbers are refused
// with 480 and a Reason saying so; the echo and tone test numbers always work, so that
// operators can check trunks and phones. Phones whose password was set
// with `bankcc admin set-phone-password` can register.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "api/telephony_status.h"
#include "base/clock.h"
#include "base/result.h"
#include "media/engine.h"
#include "media/prompt_library.h"
#include "server/master_key.h"
#include "sip/sip_stack.h"
#include "voice/voice_config.h"
#include "voice/voice_engine.h"

namespace bankcc::server {

class Telephony final : public api::TelephonyStatus {
 public:
  /// Starts media, then SIP. `settings.media.recordingDir` and `writerThreads` must be set by
  /// the caller; the recording key is derived from `masterKey`. `phones` answers the
  /// registrar's digest lookups.
  static base::Result<std::unique_ptr<Telephony>> start(voice::TelephonySettings settings,
                                                        const base::Clock& clock,
                                                        const MasterKey& masterKey,
                                                        const std::filesystem::path& promptsDir,
                                                        std::unique_ptr<sip::Credentials> phones);
  /// Stops SIP (ending every dialog), then media.
  ~Telephony() override;

  std::string sipAddress() const { return sip_->boundAddress(); }
  /// Registers the telephony metrics (bankcc_telephony_*, bankcc_sip_*) on `registry`; they
  /// are brought up to date by refreshMetrics(), which the /metrics handler calls. Start-up.
  void registerMetrics(prometheus::Registry& registry);
  /// Thread-safe.
  void refreshMetrics();
  /// api::TelephonyStatus: the registrar's table. Thread-safe.
  std::vector<api::PhoneRegistration> registrations() const override;
  voice::VoiceEngine& voice() { return *voice_; }
  /// From now on the engine's events go to `core` (called on the SIP thread); an empty
  /// function detaches it again (arriving calls are refused with 480 until one is attached).
  /// Thread-safe.
  void attachCallControl(std::function<void(telephony::Event)> core);

 private:
  Telephony() = default;
  class EventRouter;

  std::unique_ptr<media::PromptLibrary> prompts_;
  std::unique_ptr<EventRouter> router_;
  std::unique_ptr<sip::Credentials> credentials_;
  std::unique_ptr<voice::VoiceEngine> voice_;
  std::unique_ptr<media::MediaEngine> media_;
  std::unique_ptr<sip::SipStack> sip_;

  struct Metrics;
  std::mutex metricsMu_;
  std::unique_ptr<Metrics> metrics_;
};

/// Music on hold generated at start when no prompt named "moh" was loaded: a calm, looping
/// sequence of soft tones (8 kHz mono), so hold never means silence.
std::vector<std::int16_t> generatedMusicOnHold();

}  // namespace bankcc::server
