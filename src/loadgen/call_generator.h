// SPDX-License-Identifier: Apache-2.0
#pragma once

// The load generator's calls (bench/telephony_load.sh): it plays both ends of bridged calls
// through a server under test. As the caller it sends INVITEs to the server's trunk; the
// server (or its bench driver) calls back out through its own trunk to us, and we answer as
// the called party. Both ends stream RTP through one RtpPump, and we measure set-up time,
// failures, loss and one-way latency through the server.
//
// The dialled number carries the call's index ("5" + 7 digits), so the called side knows
// which caller it belongs to.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "loadgen/rtp_pump.h"
#include "sip/sip_stack.h"

namespace bankcc::loadgen {

struct GeneratorOptions {
  std::string sipListen = "127.0.0.1:0";
  std::string serverSip;  ///< host:port of the server's SIP listener
  std::string rtpAddress = "127.0.0.1";
  std::size_t calls = 100;       ///< total calls to place
  std::size_t concurrent = 100;  ///< at most this many up at once
  double rate = 50;              ///< new calls per second
  double holdSeconds = 10;       ///< each call lasts this long after set-up
};

struct GeneratorReport {
  std::size_t placed = 0, established = 0, mediaFlowing = 0, completed = 0, failed = 0;
  std::size_t peakConcurrent = 0;
  std::vector<double> setupMs;  ///< INVITE sent -> caller's 200 OK
  std::vector<double> mediaMs;  ///< INVITE sent -> first caller packet heard at the called end
  std::map<int, std::size_t> failuresByStatus;
  double elapsedSeconds = 0;
};

class CallGenerator final : public sip::SipHandler {
 public:
  explicit CallGenerator(GeneratorOptions options);
  ~CallGenerator() override;

  /// Starts the SIP stack and the RTP pump. Unavailable on bind failures.
  base::Status start(const base::Clock& clock);
  std::string sipAddress() const;
  /// Places the calls at the configured rate, waits for them to finish (or `deadline` to pass),
  /// and returns what happened. Calls from the calling thread; blocks.
  GeneratorReport run(double deadlineSeconds);
  PumpStats pumpStats() const { return pump_->stats(); }
  /// Calls currently up (both ends established).
  std::size_t upNow() const;

  // sip::SipHandler (SIP thread)
  void onIncomingCall(sip::IncomingCall call) override;
  void onProgress(sip::CallId call, int status, std::optional<sip::MediaDescription> sdp) override;
  void onEstablished(sip::CallId call, std::optional<sip::MediaDescription> sdp) override;
  base::Result<sip::MediaDescription> onReoffer(sip::CallId call,
                                                const sip::MediaDescription& offer) override;
  void onEnded(sip::CallId call, sip::EndReason reason, int status) override;
  void onRegistrationChanged(const std::string&, int) override {}

 private:
  struct Call {
    std::size_t index = 0;
    sip::CallId caller = 0, callee = 0;
    bool callerUp = false, calleeUp = false, ended = false, failed = false, media = false;
    std::int64_t invitedNs = 0;
  };

  void place(std::size_t index);   // SIP thread
  void finish(std::size_t index);  // SIP thread

  GeneratorOptions options_;
  std::unique_ptr<sip::NoCredentials> credentials_;
  std::unique_ptr<RtpPump> pump_;
  std::unique_ptr<sip::SipStack> sip_;
  sip::LocalCapabilities caps_;

  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::map<sip::CallId, std::size_t> byCall_;
  GeneratorReport report_;
  std::size_t up_ = 0;
  std::size_t live_ = 0;  ///< placed and not yet ended
};

}  // namespace bankcc::loadgen
