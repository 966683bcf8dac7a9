// SPDX-License-Identifier: Apache-2.0
#include "loadgen/call_generator.h"

#include <time.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace bankcc::loadgen {

namespace {

std::uint32_t callerStream(std::size_t i) {
  return static_cast<std::uint32_t>(2 * i);
}
std::uint32_t calleeStream(std::size_t i) {
  return static_cast<std::uint32_t>(2 * i + 1);
}

}  // namespace

CallGenerator::CallGenerator(GeneratorOptions options)
    : options_(std::move(options)), credentials_(std::make_unique<sip::NoCredentials>()) {}

CallGenerator::~CallGenerator() {
  sip_.reset();  // ends the dialogs while the pump still exists
  pump_.reset();
}

base::Status CallGenerator::start(const base::Clock& clock) {
  auto pump = RtpPump::start(options_.rtpAddress);
  if (!pump) return pump.error();
  pump_ = std::move(pump).value();
  sip::SipConfig config;
  config.listen = options_.sipListen;
  config.tcp = false;
  config.sessionExpires = {};
  config.userAgent = "bankcc-loadgen";
  sip::TrunkConfig trunk;
  trunk.name = "server";
  trunk.peers.push_back(sip::Cidr{options_.serverSip.substr(0, options_.serverSip.rfind(':'))});
  trunk.outbound = options_.serverSip;
  config.trunks.push_back(trunk);
  calls_.resize(options_.calls);
  auto stack = sip::SipStack::start(config, clock, *this, *credentials_);
  if (!stack) return stack.error();
  sip_ = std::move(stack).value();
  return {};
}

std::string CallGenerator::sipAddress() const {
  return sip_->boundAddress();
}

std::size_t CallGenerator::upNow() const {
  std::lock_guard lock(mu_);
  return up_;
}

GeneratorReport CallGenerator::run(double deadlineSeconds) {
  const std::int64_t start = monotonicNs();
  const auto deadline = start + static_cast<std::int64_t>(deadlineSeconds * 1e9);
  const auto holdNs = static_cast<std::int64_t>(options_.holdSeconds * 1e9);
  std::size_t next = 0;
  std::vector<bool> finishing(options_.calls, false);
  for (;;) {
    std::int64_t now = monotonicNs();
    auto due = static_cast<std::size_t>(static_cast<double>(now - start) / 1e9 * options_.rate) + 1;
    {
      std::lock_guard lock(mu_);
      while (next < options_.calls && next < due && live_ < options_.concurrent) {
        std::size_t i = next++;
        ++live_;
        ++report_.placed;
        calls_[i].index = i;
        calls_[i].invitedNs = monotonicNs();
        sip_->post([this, i] { place(i); });
      }
      for (std::size_t i = 0; i < next; ++i) {
        Call& c = calls_[i];
        if (!c.media && c.callerUp && pump_->heardFrom(callerStream(i))) {
          c.media = true;
          ++report_.mediaFlowing;
          report_.mediaMs.push_back(static_cast<double>(now - c.invitedNs) / 1e6);
        }
        if (!finishing[i] && !c.ended && c.callerUp && c.calleeUp && now - c.invitedNs >= holdNs) {
          finishing[i] = true;
          sip_->post([this, i] { finish(i); });
        }
      }
      report_.peakConcurrent = std::max(report_.peakConcurrent, up_);
      if ((next == options_.calls && live_ == 0) || now > deadline) {
        report_.elapsedSeconds = static_cast<double>(now - start) / 1e9;
        return report_;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void CallGenerator::place(std::size_t index) {
  sip::OutgoingCall out;
  out.target = sip::OutgoingCall::Target::External;
  out.number = fmt::format("5{:07}", index);
  out.callerId = fmt::format("139{:08}", index);
  out.offer = sip::makeOffer(caps_, options_.rtpAddress, pump_->localPort());
  auto call = sip_->invite(out);
  std::lock_guard lock(mu_);
  if (!call) {
    ++report_.failed;
    ++report_.failuresByStatus[0];
    calls_[index].ended = calls_[index].failed = true;
    --live_;
    return;
  }
  calls_[index].caller = call.value();
  byCall_[call.value()] = index;
}

void CallGenerator::finish(std::size_t index) {
  sip::CallId caller;
  {
    std::lock_guard lock(mu_);
    caller = calls_[index].caller;
  }
  sip_->hangup(caller);
}

void CallGenerator::onIncomingCall(sip::IncomingCall call) {
  std::size_t index = 0;
  bool ok = call.dnis.size() == 8 && call.dnis[0] == '5' && call.offer.has_value();
  if (ok) {
    try {
      index = std::stoul(call.dnis.substr(1));
    } catch (...) {
      ok = false;
    }
  }
  auto n = ok ? sip::negotiate(*call.offer, caps_)
              : base::Result<sip::Negotiated>(base::err(base::Errc::BadRequest, "unknown"));
  {
    std::lock_guard lock(mu_);
    if (!ok || index >= calls_.size() || !n) {
      sip_->respond(call.call, 404, std::nullopt);
      return;
    }
    calls_[index].callee = call.call;
    byCall_[call.call] = index;
  }
  sip_->respond(call.call, 200,
                sip::makeAnswer(n.value(), options_.rtpAddress, pump_->localPort()));
  pump_->startStream(calleeStream(index), call.offer->address, call.offer->port,
                     n.value().codec.payloadType);
}

void CallGenerator::onProgress(sip::CallId, int, std::optional<sip::MediaDescription>) {}

void CallGenerator::onEstablished(sip::CallId call, std::optional<sip::MediaDescription> sdp) {
  std::lock_guard lock(mu_);
  auto it = byCall_.find(call);
  if (it == byCall_.end()) return;
  Call& c = calls_[it->second];
  if (call == c.caller) {
    if (c.callerUp) return;
    c.callerUp = true;
    ++report_.established;
    report_.setupMs.push_back(static_cast<double>(monotonicNs() - c.invitedNs) / 1e6);
    if (sdp) {
      auto offer = sip::makeOffer(caps_, options_.rtpAddress, pump_->localPort());
      auto n = sip::acceptAnswer(offer, *sdp);
      if (n)
        pump_->startStream(callerStream(c.index), sdp->address, sdp->port,
                           n.value().codec.payloadType);
    }
  } else if (call == c.callee) {
    if (c.calleeUp) return;
    c.calleeUp = true;
  }
  if (c.callerUp && c.calleeUp) ++up_;
}

base::Result<sip::MediaDescription> CallGenerator::onReoffer(sip::CallId,
                                                             const sip::MediaDescription& offer) {
  auto n = sip::negotiate(offer, caps_);
  if (!n) return n.error();
  return sip::makeAnswer(n.value(), options_.rtpAddress, pump_->localPort());
}

void CallGenerator::onEnded(sip::CallId call, sip::EndReason reason, int status) {
  std::lock_guard lock(mu_);
  auto it = byCall_.find(call);
  if (it == byCall_.end()) return;
  Call& c = calls_[it->second];
  byCall_.erase(it);
  bool wasUp = c.callerUp && c.calleeUp;
  if (call == c.caller) {
    pump_->stopStream(callerStream(c.index));
    c.caller = 0;
    // Before both ends were up and without our hang-up, the caller's end is a failure.
    if (!c.ended && !wasUp && reason != sip::EndReason::Bye) {
      c.failed = true;
      ++report_.failed;
      ++report_.failuresByStatus[status];
    }
    if (!c.ended) {
      c.ended = true;
      --live_;
      if (!c.failed) ++report_.completed;
    }
  } else if (call == c.callee) {
    pump_->stopStream(calleeStream(c.index));
    c.callee = 0;
  }
  if (wasUp && (c.caller == 0 || c.callee == 0) && up_ > 0) {
    --up_;
    c.callerUp = c.calleeUp = false;
  }
}

}  // namespace bankcc::loadgen
