// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers for the voice integration tests: an event probe on the port's sink, pcap files for sipp
// to play, tone measurement, and sipp/baresip as child processes.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <numbers>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "media/g711.h"
#include "media/rtp_packet.h"
#include "telephony/events.h"
#include "telephony/port.h"

namespace bankcc::voice::itest {

/// Collects the port's events; tests wait for the ones they expect.
class Probe {
 public:
  telephony::EventSink sink() {
    return [this](telephony::Event e) {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(e));
      cv_.notify_all();
    };
  }

  /// Removes and returns the first event of type T matching `pred`, waiting up to `timeout`.
  template <typename T>
  std::optional<T> waitFor(std::function<bool(const T&)> pred = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    std::optional<T> found;
    cv_.wait_for(lock, timeout, [&] {
      for (auto it = events_.begin(); it != events_.end(); ++it) {
        if (auto* t = std::get_if<T>(&*it); t != nullptr && (!pred || pred(*t))) {
          found = std::move(*t);
          events_.erase(it);
          return true;
        }
      }
      return false;
    });
    return found;
  }

  template <typename T>
  std::size_t count() {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (auto& e : events_) n += std::holds_alternative<T>(e) ? 1 : 0;
    return n;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<telephony::Event> events_;
};

inline std::vector<std::int16_t> sine(double hz, double seconds, double amplitude = 8000) {
  std::vector<std::int16_t> out(static_cast<std::size_t>(seconds * 8000));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::int16_t>(
        amplitude * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / 8000));
  }
  return out;
}

/// Relative power of `hz` in `samples` (Goertzel), normalised by the signal's energy: near 1
/// for a pure tone at `hz`, near 0 when absent.
inline double tonePower(std::span<const std::int16_t> samples, double hz) {
  if (samples.empty()) return 0;
  double coeff = 2 * std::cos(2 * std::numbers::pi * hz / 8000);
  double s1 = 0, s2 = 0, energy = 0;
  for (auto x : samples) {
    double s = static_cast<double>(x) + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
    energy += static_cast<double>(x) * x;
  }
  double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  if (energy <= 0) return 0;
  return power / (energy * static_cast<double>(samples.size()) / 2);
}

/// Writes `samples` as A-law RTP (PT 8, 20 ms packets) in a pcap file that sipp can play
/// with play_pcap_audio.
inline void writeRtpPcap(const std::filesystem::path& path, std::span<const std::int16_t> samples) {
  std::ofstream f(path, std::ios::binary);
  auto put = [&f](const void* p, std::size_t n) {
    f.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
  };
  struct {
    std::uint32_t magic = 0xa1b2c3d4;
    std::uint16_t major = 2, minor = 4;
    std::int32_t zone = 0;
    std::uint32_t sigfigs = 0, snaplen = 65535, network = 1;  // Ethernet
  } global;
  put(&global, sizeof global);
  std::uint16_t seq = 1000;
  std::uint32_t ts = 16000;
  for (std::size_t off = 0, k = 0; off + 160 <= samples.size(); off += 160, ++k) {
    std::uint8_t payload[160];
    media::encode(media::G711::Alaw, samples.subspan(off, 160), payload);
    std::uint8_t rtp[172];
    media::RtpHeader h;
    h.payloadType = 8;
    h.sequence = seq++;
    h.timestamp = ts;
    ts += 160;
    h.ssrc = 0x5eed1234;
    media::writeRtp(h, payload, rtp);
    std::uint8_t frame[14 + 20 + 8 + 172] = {};
    frame[12] = 0x08;  // IPv4
    std::uint8_t* ip = frame + 14;
    ip[0] = 0x45;
    std::uint16_t total = htons(20 + 8 + 172);
    std::memcpy(ip + 2, &total, 2);
    ip[8] = 64;
    ip[9] = 17;  // UDP
    std::uint32_t lo = htonl(0x7f000001);
    std::memcpy(ip + 12, &lo, 4);
    std::memcpy(ip + 16, &lo, 4);
    std::uint8_t* udp = ip + 20;
    std::uint16_t sport = htons(40000), dport = htons(40002), ulen = htons(8 + 172);
    std::memcpy(udp, &sport, 2);
    std::memcpy(udp + 2, &dport, 2);
    std::memcpy(udp + 4, &ulen, 2);
    std::memcpy(udp + 8, rtp, 172);
    std::uint64_t usec = k * 20000;
    std::uint32_t rec[4] = {static_cast<std::uint32_t>(usec / 1000000),
                            static_cast<std::uint32_t>(usec % 1000000), sizeof frame, sizeof frame};
    put(rec, sizeof rec);
    put(frame, sizeof frame);
  }
}

/// A free UDP port on 127.0.0.1 (the kernel's choice; a race with other processes is possible
/// but harmless in tests).
inline std::uint16_t freeUdpPort() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

}  // namespace bankcc::voice::itest
