// SPDX-License-Identifier: Apache-2.0
#pragma once

// The RTP side of the load generator: many G.711 streams sent and received through ONE UDP
// socket with sendmmsg/recvmmsg, so that the generator stays cheap beside the server it
// measures (every stream announces the same local port in its SDP; the server sends each
// leg's audio there). Every payload carries a marker, the sending stream's number and its send
// time, so the receiver can tell which stream a packet belongs to and how long it took.
//
// Each stream sends every 20 ms in its own 1 ms slot (stream id modulo 20), so packets leave
// spread out as independent calls' packets do.
//
// Threads: one pump thread runs a 1 ms clock, sends and receives. start()/stop() are
// thread-safe; stats() is thread-safe.

#include <time.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"

namespace bankcc::loadgen {

/// CLOCK_MONOTONIC in nanoseconds: the generator's send stamps and latency clock (both ends
/// of a measured packet are on this machine).
inline std::int64_t monotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct PumpStats {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;   ///< generator packets received (any stream)
  std::uint64_t lost = 0;       ///< gaps in received sequence numbers, summed per stream
  std::uint64_t foreign = 0;    ///< packets that carry no generator payload (prompts, tones)
  std::uint64_t lateTicks = 0;  ///< 20 ms ticks the pump started late by > 5 ms
  /// One-way latency histogram: bucket i counts packets with latency in [i*10, (i+1)*10) µs;
  /// the last bucket takes everything above.
  std::vector<std::uint64_t> latencyBuckets;
  /// Latency percentile in microseconds (upper edge of the bucket), 0 when nothing received.
  double latencyPercentileUs(double p) const;
};

class RtpPump {
 public:
  static constexpr std::size_t kLatencyBuckets = 10'000;  ///< 10 µs each: up to 100 ms

  /// Binds `address`:0 (or `port`) and starts the pump thread.
  static base::Result<std::unique_ptr<RtpPump>> start(const std::string& address,
                                                      std::uint16_t port = 0);
  ~RtpPump();

  std::uint16_t localPort() const { return port_; }

  /// Starts sending stream `id` (any number < 2^31, chosen by the caller) to `remote`:`port`
  /// with payload type `pt`, 50 packets a second. Thread-safe.
  void startStream(std::uint32_t id, const std::string& remote, std::uint16_t port,
                   std::uint8_t pt);
  /// Stops sending stream `id`. Thread-safe.
  void stopStream(std::uint32_t id);
  /// True once a packet sent by stream `from` has been received. Thread-safe.
  bool heardFrom(std::uint32_t from) const;
  PumpStats stats() const;
  std::size_t activeStreams() const;

 private:
  RtpPump() = default;
  void run();
  void tick(std::int64_t nowNs, std::uint64_t slot);
  void receive();

  struct Stream {
    bool active = false;
    std::uint32_t id = 0;
    std::uint8_t pt = 8;
    std::uint16_t seq = 0;
    std::uint32_t ts = 0;
    std::uint32_t ssrc = 0;
    std::vector<std::uint8_t> addr;  ///< sockaddr bytes
  };
  struct Heard {
    bool any = false;
    std::uint64_t first = 0;    ///< extended first sequence
    std::uint64_t highest = 0;  ///< extended highest sequence
    std::uint64_t count = 0;
  };

  int fd_ = -1;
  int timerFd_ = -1;
  int wakeFd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;

  mutable std::mutex mu_;
  std::vector<Stream> streams_;  // indexed by id
  std::vector<Heard> heard_;     // indexed by the sending stream's id
  std::vector<std::uint32_t> active_;
  PumpStats stats_;
};

}  // namespace bankcc::loadgen
