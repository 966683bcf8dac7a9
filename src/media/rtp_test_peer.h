// SPDX-License-Identifier: Apache-2.0
#pragma once

// Test helpers for the media engine's loopback tests (not part of the library): a phone-like
// RTP peer on its own UDP socket on 127.0.0.1, an event recorder for the engine's sink, and a
// Goertzel detector to tell which tone a stream carries.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "media/engine.h"
#include "media/g711.h"
#include "media/prompt_library.h"
#include "media/rfc4733.h"
#include "media/rtp_packet.h"

namespace bankcc::media::testing {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

/// A sine tone at 8 kHz.
inline std::vector<std::int16_t> sine(double hz, std::size_t samples, double amplitude = 8000) {
  std::vector<std::int16_t> out(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    out[i] = static_cast<std::int16_t>(amplitude * std::sin(2 * M_PI * hz * double(i) / 8000));
  }
  return out;
}

/// Relative power of `hz` in `x` (Goertzel), normalised by the signal's energy: close to 1 for
/// a pure tone at `hz`, close to 0 when absent.
inline double toneShare(std::span<const std::int16_t> x, double hz) {
  if (x.empty()) return 0;
  double w = 2 * M_PI * hz / 8000, c = 2 * std::cos(w), s1 = 0, s2 = 0, energy = 0;
  for (std::int16_t v : x) {
    double s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += double(v) * v;
  }
  double power = s1 * s1 + s2 * s2 - c * s1 * s2;
  return energy < 1 ? 0 : 2 * power / (double(x.size()) * energy);
}

/// A UDP peer that records every RTP packet it receives and can stream audio every 20 ms.
class RtpTestPeer {
 public:
  struct Packet {
    RtpHeader header;
    std::vector<std::uint8_t> payload;
  };

  RtpTestPeer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~RtpTestPeer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  std::uint16_t port() const { return port_; }
  void target(std::uint16_t port) { target_ = port; }

  void sendRaw(std::span<const std::uint8_t> bytes) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(target_.load());
    ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  /// Sends all `packets` with one sendmmsg: they reach the engine's socket back to back, as
  /// after a stall of the network or of the phone.
  void sendBurst(const std::vector<std::pair<RtpHeader, std::vector<std::uint8_t>>>& packets) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(target_.load());
    std::vector<std::vector<std::uint8_t>> bufs;
    for (const auto& [h, payload] : packets) {
      bufs.emplace_back(12 + payload.size());
      bufs.back().resize(writeRtp(h, payload, bufs.back()));
    }
    std::vector<iovec> iovs(bufs.size());
    std::vector<mmsghdr> msgs(bufs.size());
    for (std::size_t i = 0; i < bufs.size(); ++i) {
      iovs[i] = {bufs[i].data(), bufs[i].size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &a;
      msgs[i].msg_hdr.msg_namelen = sizeof a;
    }
    ::sendmmsg(fd_, msgs.data(), static_cast<unsigned>(msgs.size()), 0);
  }
  void sendRtp(const RtpHeader& h, std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> buf(12 + payload.size());
    std::size_t n = writeRtp(h, payload, buf);
    sendRaw(std::span(buf).first(n));
  }
  /// Sends one RFC 4733 digit as a phone does (updates, then three end packets), on the
  /// audio stream's SSRC and sequence; returns when sent (~100 ms of pacing).
  void sendDigit(char digit, std::uint8_t pt = 101) {
    auto event = digitToEvent(digit);
    std::uint32_t ts;
    {
      // While audio streams, the event starts at the stream's current time (as a phone does);
      // otherwise each digit gets a time of its own.
      std::lock_guard lock(mu_);
      ts = ts_;
      if (!streaming_) ts_ += 800;
    }
    for (const DtmfPacket& p : encodeDigit(*event, 800, 160)) {
      std::array<std::uint8_t, 4> payload;
      writeTelephoneEvent(p.event, payload);
      RtpHeader h{pt, p.marker, nextSeq(), ts, ssrc};
      sendRtp(h, payload);
      std::this_thread::sleep_for(5ms);
    }
  }

  /// Streams `samples` (looped) every 20 ms, encoded with `law` under `pt`.
  void startStream(std::vector<std::int16_t> samples, G711 law = G711::Alaw, std::uint8_t pt = 8) {
    std::lock_guard lock(mu_);
    stream_ = std::move(samples);
    streamPos_ = 0;
    law_ = law;
    pt_ = pt;
    streaming_ = !stream_.empty();
    nextSend_ = SteadyClock::now();
  }
  void stopStream() {
    std::lock_guard lock(mu_);
    streaming_ = false;
  }

  std::vector<Packet> packets() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::size_t count() const {
    std::lock_guard lock(mu_);
    return received_.size();
  }
  void clear() {
    std::lock_guard lock(mu_);
    received_.clear();
  }
  /// Waits (at most `timeout`) until `pred(packets)` holds.
  bool waitFor(const std::function<bool(const std::vector<Packet>&)>& pred,
               std::chrono::milliseconds timeout = 2000ms) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(received_); });
  }
  bool waitCount(std::size_t n, std::chrono::milliseconds timeout = 2000ms) const {
    return waitFor([n](const auto& p) { return p.size() >= n; }, timeout);
  }
  /// The audio received with payload type `pt`, decoded with `law`, in arrival order.
  std::vector<std::int16_t> audio(G711 law = G711::Alaw, int pt = 8, std::size_t skip = 0) const {
    std::vector<std::int16_t> out;
    auto all = packets();
    for (std::size_t i = skip; i < all.size(); ++i) {
      if (all[i].header.payloadType != pt) continue;
      std::size_t at = out.size();
      out.resize(at + all[i].payload.size());
      decode(law, all[i].payload, std::span(out).subspan(at));
    }
    return out;
  }

  const std::uint32_t ssrc = 0x5eed0000u + static_cast<std::uint32_t>(::getpid() & 0xffff);

 private:
  std::uint16_t nextSeq() {
    std::lock_guard lock(mu_);
    return seq_++;
  }

  void run() {
    std::array<std::uint8_t, 2048> buf;
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, 2);
      for (;;) {
        ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
        if (n <= 0) break;
        auto parsed = parseRtp(std::span(buf.data(), static_cast<std::size_t>(n)));
        if (!parsed.packet) continue;
        std::lock_guard lock(mu_);
        received_.push_back(Packet{parsed.packet->header,
                                   {parsed.packet->payload.begin(), parsed.packet->payload.end()}});
        cv_.notify_all();
      }
      std::vector<std::uint8_t> frame;
      RtpHeader h;
      {
        std::lock_guard lock(mu_);
        if (!streaming_ || SteadyClock::now() < nextSend_) continue;
        nextSend_ += 20ms;
        std::array<std::int16_t, 160> pcm;
        for (auto& v : pcm) {
          v = stream_[streamPos_];
          streamPos_ = (streamPos_ + 1) % stream_.size();
        }
        frame.resize(160);
        encode(law_, pcm, frame);
        h = RtpHeader{pt_, false, seq_++, ts_, ssrc};
        ts_ += 160;
      }
      sendRtp(h, frame);
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint16_t> target_{0};
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Packet> received_;
  std::vector<std::int16_t> stream_;
  std::size_t streamPos_ = 0;
  G711 law_ = G711::Alaw;
  std::uint8_t pt_ = 8;
  bool streaming_ = false;
  SteadyClock::time_point nextSend_{};
  std::uint16_t seq_ = 1000;
  std::uint32_t ts_ = 50000;
  std::thread thread_;
};

/// Records the engine's events; tests wait on them with a deadline.
class EventLog {
 public:
  MediaEventSink sink() {
    return [this](MediaEvent e) {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(e));
      cv_.notify_all();
    };
  }
  /// The first event of type T matching `pred`, waiting up to `timeout`; nullptr if none.
  template <class T>
  const T* waitFor(const std::function<bool(const T&)>& pred = {},
                   std::chrono::milliseconds timeout = 2000ms) {
    std::unique_lock lock(mu_);
    const T* found = nullptr;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& e : events_) {
        if (const T* t = std::get_if<T>(&e); t && (!pred || pred(*t))) {
          found = t;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  template <class T>
  std::size_t count(const std::function<bool(const T&)>& pred = {}) {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& e : events_) {
      if (const T* t = std::get_if<T>(&e); t && (!pred || pred(*t))) ++n;
    }
    return n;
  }
  /// A copy of the event kinds in order (variant indexes).
  std::vector<std::size_t> kinds() {
    std::lock_guard lock(mu_);
    std::vector<std::size_t> out;
    for (const auto& e : events_) out.push_back(e.index());
    return out;
  }
  /// Calls f(event) for every event under the lock.
  void forEach(const std::function<void(const MediaEvent&)>& f) {
    std::lock_guard lock(mu_);
    for (const auto& e : events_) f(e);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<MediaEvent> events_;  // a deque keeps references valid while events arrive
};

}  // namespace bankcc::media::testing

namespace bankcc::media::testing {

/// Starts an engine on 127.0.0.1 with a private port range and recording directory.
class MediaEngineFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("bankcc-media-test-{}-{}", ::getpid(), counter++);
    // A range per process, below the ephemeral ports, so parallel test binaries rarely meet
    // (the pool skips ports it cannot bind anyway).
    config_.portMin = static_cast<std::uint16_t>(10000 + (::getpid() % 500) * 40);
    config_.portMax = static_cast<std::uint16_t>(config_.portMin + 39);
    config_.workers = 2;
    config_.recordingDir = dir_;
    config_.recordingKey.fill(7);
    prompts_.add("beep300", sine(1000, 2400));
    prompts_.add("long", sine(800, 8000 * 5));
    prompts_.add("moh", sine(1000, 8000));
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  void startEngine() {
    auto e = MediaEngine::start(config_, clock_, prompts_, events_.sink());
    ASSERT_TRUE(e.ok()) << e.error().describe();
    engine_ = std::move(e).value();
  }
  SessionId newSession(std::optional<SessionId> near = std::nullopt) {
    auto r = engine_->createSession(near);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return {};
    ports_[r->id.value] = r->localPort;
    return r->id;
  }
  std::uint16_t portOf(SessionId s) { return ports_[s.value]; }
  /// A tone is heard in a mix when it has at least kPresent of the energy, and is absent
  /// below kAbsent.
  static constexpr double kPresent = 0.15;
  static constexpr double kAbsent = 0.05;
  /// What `peer` hears from now on: `n` packets, skipping the first few (mix settling).
  static std::vector<std::int16_t> hear(RtpTestPeer& peer, std::size_t n = 20) {
    peer.clear();
    EXPECT_TRUE(peer.waitCount(n + 4, std::chrono::milliseconds(5000)));
    return peer.audio(G711::Alaw, 8, 4);
  }
  /// A supervisor listens to a bridge: they hear the customer's `customerHz` and the agent's
  /// `agentHz`; customer and agent hear each other and not the supervisor's `supervisorHz`.
  static void expectListening(RtpTestPeer& supervisor, RtpTestPeer& agent, RtpTestPeer& customer,
                              double customerHz, double agentHz, double supervisorHz) {
    const auto s = hear(supervisor), a = hear(agent), c = hear(customer);
    EXPECT_GT(toneShare(s, customerHz), kPresent);
    EXPECT_GT(toneShare(s, agentHz), kPresent);
    EXPECT_GT(toneShare(a, customerHz), 0.5);
    EXPECT_LT(toneShare(a, supervisorHz), kAbsent);
    EXPECT_GT(toneShare(c, agentHz), 0.5);
    EXPECT_LT(toneShare(c, supervisorHz), kAbsent);
  }
  /// Points the session at the peer and the peer at the session.
  void connect(SessionId s, RtpTestPeer& peer, G711 codec = G711::Alaw, std::uint8_t pt = 8,
               int telephoneEventPt = 101, bool rtcpMux = false) {
    RtpParams p;
    p.remoteAddress = "127.0.0.1";
    p.remotePort = peer.port();
    p.codec = codec;
    p.payloadType = pt;
    p.telephoneEventPt = telephoneEventPt;
    p.rtcpMux = rtcpMux;
    engine_->configure(s, p);
    peer.target(portOf(s));
  }
  /// Waits until every command posted so far to `s`'s worker has run: a one-frame playback on
  /// an unconnected session of that worker (so no peer receives anything) completes after them.
  void sync(SessionId s) {
    static std::atomic<std::uint64_t> token{1'000'000};
    std::size_t w = engine_->workerOf(s);
    if (!syncSessions_.count(w)) syncSessions_[w] = engine_->createSession(s)->id;
    std::uint64_t t = token++;
    engine_->play(
        syncSessions_[w],
        PlaySpec{{telephony::PlayItem::ofSilence(std::chrono::milliseconds(20))}, false, false, t});
    ASSERT_TRUE(events_.waitFor<ev::PlaybackDone>([t](const auto& e) { return e.token == t; }));
  }

  std::filesystem::path dir_;
  MediaConfig config_;
  base::RealClock clock_;
  PromptLibrary prompts_;
  EventLog events_;
  std::unique_ptr<MediaEngine> engine_;
  std::map<std::uint64_t, std::uint16_t> ports_;
  std::map<std::size_t, SessionId> syncSessions_;
};

}  // namespace bankcc::media::testing
