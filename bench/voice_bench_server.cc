// SPDX-License-Identifier: Apache-2.0
// The telephony engine under load, without call control (which a later issue brings): SIP,
// media and voice wired as in `bankcc serve`, plus a minimal driver of the telephony port that
// answers every arriving call, calls the dialled number back out through the trunk (placed on
// the caller's media worker), bridges the two legs when answered, records them in two channels
// (encrypted), and hangs up one leg when the other ends. bench/telephony_load.sh runs it
// beside bankcc-loadgen and measures this process's CPU.
//
//   voice_bench_server --sip 127.0.0.1:15060 --peer 127.0.0.1:15070 --recordings DIR
//                      [--no-record] [--workers N] [--rtp-ports 20000-39999]

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>
#include <mutex>

#include "base/clock.h"
#include "base/ids.h"
#include "media/engine.h"
#include "media/prompt_library.h"
#include "sip/sip_stack.h"
#include "voice/voice_engine.h"

namespace {

using namespace bankcc;

/// The smallest useful core: bridge every arriving call to the number it dialled.
class BridgeDriver {
 public:
  BridgeDriver(const base::Clock& clock, bool record) : clock_(clock), record_(record) {}
  void setPort(telephony::TelephonyPort& port) { port_ = &port; }

  /// Called on the SIP thread; execute() only queues, so this never re-enters the engine.
  void onEvent(telephony::Event e) {
    std::lock_guard lock(mu_);
    std::visit([this](auto& ev) { handle(ev); }, e);
  }

  std::uint64_t bridged() const {
    std::lock_guard lock(mu_);
    return bridged_;
  }
  std::uint64_t recordings() const {
    std::lock_guard lock(mu_);
    return recordingsDone_;
  }

 private:
  void handle(telephony::LegArrived& a) {
    port_->execute(telephony::Answer{a.leg});
    telephony::Originate o;
    o.leg = telephony::LegId{base::newUuidV7(clock_)};
    o.to = telephony::Destination{telephony::Destination::Kind::External, a.dnis};
    o.callerId = a.ani;
    o.near = a.leg;
    partner_[a.leg.value] = o.leg.value;
    partner_[o.leg.value] = a.leg.value;
    customerOf_[o.leg.value] = a.leg.value;
    port_->execute(std::move(o));
  }
  void handle(telephony::Answered& a) {
    auto it = customerOf_.find(a.leg.value);
    if (it == customerOf_.end()) return;  // the caller's own leg
    telephony::LegId customer{it->second};
    port_->execute(telephony::Bridge{customer, a.leg});
    ++bridged_;
    if (record_) {
      telephony::RecordingId rec{base::newUuidV7(clock_)};
      port_->execute(telephony::StartRecording{rec, customer, a.leg});
      recordingOf_[customer.value] = rec.value;
    }
  }
  void handle(telephony::LegEnded& e) {
    auto it = partner_.find(e.leg.value);
    if (it != partner_.end()) {
      std::string other = it->second;
      partner_.erase(it);
      if (auto r = recordingOf_.find(e.leg.value); r != recordingOf_.end()) {
        port_->execute(telephony::StopRecording{telephony::RecordingId{r->second}});
        recordingOf_.erase(r);
      }
      if (auto r = recordingOf_.find(other); r != recordingOf_.end()) {
        port_->execute(telephony::StopRecording{telephony::RecordingId{r->second}});
        recordingOf_.erase(r);
      }
      if (partner_.count(other) != 0) {
        partner_.erase(other);
        port_->execute(telephony::Hangup{telephony::LegId{other}});
      }
    }
    customerOf_.erase(e.leg.value);
  }
  void handle(telephony::RecordingStopped&) { ++recordingsDone_; }
  template <typename T>
  void handle(T&) {}

  const base::Clock& clock_;
  bool record_;
  telephony::TelephonyPort* port_ = nullptr;
  mutable std::mutex mu_;
  std::map<std::string, std::string> partner_, customerOf_, recordingOf_;
  std::uint64_t bridged_ = 0, recordingsDone_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"voice_bench_server: the telephony engine with a bridging driver"};
  std::string sipAddr = "127.0.0.1:15060", peer = "127.0.0.1:15070", ports = "20000-39999";
  std::string recordings;
  bool noRecord = false;
  std::size_t workers = 0;
  app.add_option("--sip", sipAddr);
  app.add_option("--peer", peer, "the load generator's SIP address (inbound and outbound trunk)");
  app.add_option("--recordings", recordings)->required();
  app.add_option("--rtp-ports", ports);
  app.add_option("--workers", workers);
  app.add_flag("--no-record", noRecord);
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  base::RealClock clock;
  BridgeDriver driver(clock, !noRecord);
  voice::VoiceEngine voiceEngine({}, clock,
                                 [&driver](telephony::Event e) { driver.onEvent(std::move(e)); });
  driver.setPort(voiceEngine);

  media::PromptLibrary prompts;
  media::MediaConfig mc;
  mc.workers = workers;
  auto dash = ports.find('-');
  mc.portMin = static_cast<std::uint16_t>(std::stoi(ports.substr(0, dash)));
  mc.portMax = static_cast<std::uint16_t>(std::stoi(ports.substr(dash + 1)));
  mc.rtpTimeout = std::chrono::seconds(10);
  mc.recordingDir = recordings;
  for (std::size_t i = 0; i < mc.recordingKey.size(); ++i) {
    mc.recordingKey[i] = static_cast<std::uint8_t>(i * 7 + 1);  // a bench key, not a secret
  }
  auto media = media::MediaEngine::start(mc, clock, prompts, [&voiceEngine](media::MediaEvent e) {
    voiceEngine.onMediaEvent(std::move(e));
  });
  if (!media) {
    std::fprintf(stderr, "media: %s\n", media.error().describe().c_str());
    return 1;
  }
  voiceEngine.setMedia(*media.value());

  sip::SipConfig sc;
  sc.listen = sipAddr;
  sc.tcp = false;
  sc.sessionExpires = {};
  sip::TrunkConfig trunk;
  trunk.name = "loadgen";
  trunk.peers.push_back(sip::Cidr{peer.substr(0, peer.rfind(':'))});
  trunk.outbound = peer;
  sc.trunks.push_back(trunk);
  sip::NoCredentials creds;
  auto stack = sip::SipStack::start(sc, clock, voiceEngine, creds);
  if (!stack) {
    std::fprintf(stderr, "sip: %s\n", stack.error().describe().c_str());
    return 1;
  }
  voiceEngine.attach(*stack.value());
  std::printf("{\"event\":\"listening\",\"sip\":\"%s\",\"pid\":%d}\n",
              stack.value()->boundAddress().c_str(), static_cast<int>(getpid()));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&set, &sig);
  auto st = voiceEngine.stats();
  std::fprintf(stderr, "voice_bench_server: bridged %llu, recordings %llu, legs left %zu\n",
               static_cast<unsigned long long>(driver.bridged()),
               static_cast<unsigned long long>(driver.recordings()), st.legs);
  voiceEngine.detach();
  stack.value().reset();
  media.value().reset();
  return 0;
}
