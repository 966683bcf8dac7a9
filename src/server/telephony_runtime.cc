// SPDX-License-Identifier: Apache-2.0
#include "server/telephony_runtime.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <numbers>
#include <utility>

namespace bankcc::server {

/// Hands the engine's events to call control once it is attached. Before that (start-up, or
/// a node without call control) arriving calls are refused with 480, honestly.
class Telephony::EventRouter {
 public:
  void setPort(telephony::TelephonyPort& port) { port_ = &port; }
  void attach(std::function<void(telephony::Event)> core) {
    std::lock_guard lock(mu_);
    core_ = std::move(core);
  }
  /// The SIP thread.
  void onEvent(telephony::Event e) {
    {
      std::lock_guard lock(mu_);
      if (core_) return core_(std::move(e));
    }
    if (auto* a = std::get_if<telephony::LegArrived>(&e)) {
      spdlog::info("telephony: refusing call from {} to {}: call control is not available", a->ani,
                   a->dnis);
      port_->execute(telephony::Reject{a->leg, 480, "call control not available"});
    } else if (auto* r = std::get_if<telephony::RegistrationChanged>(&e)) {
      spdlog::info("telephony: extension {} {} ({} contacts)", r->extension,
                   r->registered ? "registered" : "unregistered", r->contacts);
    }
  }

 private:
  telephony::TelephonyPort* port_ = nullptr;
  std::mutex mu_;
  std::function<void(telephony::Event)> core_;
};

std::vector<std::int16_t> generatedMusicOnHold() {
  // A slow arpeggio (C major, then A minor), each note 0.4 s with a soft attack and decay.
  constexpr int kRate = 8000;
  const double notes[] = {261.63, 329.63, 392.00, 523.25, 392.00, 329.63,
                          220.00, 261.63, 329.63, 440.00, 329.63, 261.63};
  std::vector<std::int16_t> out;
  for (double f : notes) {
    const int n = kRate * 4 / 10;
    for (int i = 0; i < n; ++i) {
      double t = static_cast<double>(i) / kRate;
      double env = std::min(1.0, t / 0.03) * std::exp(-3.0 * t);
      double s =
          std::sin(2 * std::numbers::pi * f * t) + 0.3 * std::sin(4 * std::numbers::pi * f * t);
      out.push_back(static_cast<std::int16_t>(2500.0 * env * s));
    }
  }
  return out;
}

base::Result<std::unique_ptr<Telephony>> Telephony::start(
    voice::TelephonySettings settings, const base::Clock& clock, const MasterKey& masterKey,
    const std::filesystem::path& promptsDir, std::unique_ptr<sip::Credentials> phones) {
  std::unique_ptr<Telephony> t(new Telephony());
  t->prompts_ = std::make_unique<media::PromptLibrary>();
  if (!promptsDir.empty()) {
    auto n = t->prompts_->loadDirectory(promptsDir);
    spdlog::info("telephony: {} prompts loaded from {}", n, promptsDir.string());
  }
  if (!t->prompts_->find("moh")) t->prompts_->add("moh", generatedMusicOnHold());

  // Recording keys are wrapped under a key derived from the master key, never the master key
  // itself (recording_file.cc derives it; the media engine only passes it on).
  std::copy(masterKey.begin(), masterKey.end(), settings.media.recordingKey.begin());

  t->router_ = std::make_unique<EventRouter>();
  t->credentials_ = std::move(phones);
  EventRouter* router = t->router_.get();
  t->voice_ = std::make_unique<voice::VoiceEngine>(
      settings.voice, clock, [router](telephony::Event e) { router->onEvent(std::move(e)); });
  t->router_->setPort(*t->voice_);

  voice::VoiceEngine* voice = t->voice_.get();
  auto media = media::MediaEngine::start(
      settings.media, clock, *t->prompts_,
      [voice](media::MediaEvent e) { voice->onMediaEvent(std::move(e)); });
  sodium_memzero(settings.media.recordingKey.data(), settings.media.recordingKey.size());
  if (!media) return media.error();
  t->media_ = std::move(media).value();
  t->voice_->setMedia(*t->media_);

  auto sip = sip::SipStack::start(settings.sip, clock, *t->voice_, *t->credentials_);
  if (!sip) return sip.error();
  t->sip_ = std::move(sip).value();
  t->voice_->attach(*t->sip_);
  spdlog::info("telephony: SIP on {} ({}{}), RTP {}:{}-{}, {} trunks", t->sip_->boundAddress(),
               settings.sip.udp ? "udp" : "", settings.sip.tcp ? " tcp" : "",
               settings.media.rtpAddress, settings.media.portMin, settings.media.portMax,
               settings.sip.trunks.size());
  return t;
}

struct Telephony::Metrics {
  prometheus::Gauge& legs;
  prometheus::Gauge& phones;
  prometheus::Counter& arrived;
  prometheus::Counter& originated;
  prometheus::Counter& ended;
  prometheus::Counter& diagnostic;
  prometheus::Counter& refused;
  voice::VoiceStats last;  // counters advance by the difference since the last scrape
};

void Telephony::registerMetrics(prometheus::Registry& r) {
  auto counter = [&r](const char* name, const char* help) -> prometheus::Counter& {
    return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
  };
  auto gauge = [&r](const char* name, const char* help) -> prometheus::Gauge& {
    return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
  };
  std::lock_guard lock(metricsMu_);
  metrics_.reset(new Metrics{
      gauge("bankcc_telephony_legs", "Legs (a SIP dialog and its media session) up now"),
      gauge("bankcc_sip_registered_phones", "Agent phones registered with this node now"),
      counter("bankcc_telephony_legs_arrived_total", "Calls that arrived (trunks and phones)"),
      counter("bankcc_telephony_legs_originated_total", "Legs this node called out"),
      counter("bankcc_telephony_legs_ended_total", "Legs ended (media released)"),
      counter("bankcc_telephony_diagnostic_calls_total", "Calls to the echo and tone test numbers"),
      counter("bankcc_telephony_refused_no_media_total",
              "Calls refused with 503 because no RTP port was free"),
      {}});
}

void Telephony::refreshMetrics() {
  std::lock_guard lock(metricsMu_);
  if (!metrics_) return;
  const voice::VoiceStats now = voice_->stats();
  Metrics& m = *metrics_;
  m.legs.Set(static_cast<double>(now.legs));
  m.phones.Set(static_cast<double>(sip_->registrations().size()));
  auto advance = [](prometheus::Counter& c, std::uint64_t now, std::uint64_t before) {
    if (now > before) c.Increment(static_cast<double>(now - before));
  };
  advance(m.arrived, now.arrived, m.last.arrived);
  advance(m.originated, now.originated, m.last.originated);
  advance(m.ended, now.ended, m.last.ended);
  advance(m.diagnostic, now.diagnostic, m.last.diagnostic);
  advance(m.refused, now.refusedMedia, m.last.refusedMedia);
  m.last = now;
}

void Telephony::attachCallControl(std::function<void(telephony::Event)> core) {
  router_->attach(std::move(core));
}

std::vector<api::PhoneRegistration> Telephony::registrations() const {
  std::vector<api::PhoneRegistration> out;
  for (auto& r : sip_->registrations()) {
    out.push_back(api::PhoneRegistration{std::move(r.extension), std::move(r.contacts), r.expires});
  }
  return out;
}

Telephony::~Telephony() {
  if (voice_) voice_->detach();
  sip_.reset();
  media_.reset();
  voice_.reset();
}

}  // namespace bankcc::server
