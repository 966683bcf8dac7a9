// SPDX-License-Identifier: Apache-2.0
// WebSocket fan-out: N clients (default 5,000) subscribe to the `calls` topic of a running
// `bankcc serve`; the bench then changes an agent's state E times (REST, as an admin), and each
// change is one agent.state_changed event that every client receives. The latency of one
// delivery is the client's receive time minus the event's `ts` (set by the core when it emitted
// the event; same machine, same clock). Prints p50/p99/max over all deliveries and how many
// were missing. Driven by bench/ws_fanout.sh.
//
//   bench_ws_fanout --http 127.0.0.1:8080 --token T [--clients 5000] [--events 200]
//                   [--rate 20] [--agent 1001] [--threads 2] [--client beast|raw]
#include <fmt/format.h>

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::system_clock;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string token;
  int clients = 5000;
  int events = 200;
  double rate = 20;  // events per second
  std::string agent = "1001";
  int threads = 2;  // client threads
  /// "beast": each client reads with Beast's WebSocket stream; "raw": after Beast's handshake
  /// and the two requests, frames are read straight from the socket (a lighter client, so
  /// that less of the shared machine's CPU goes to the measuring side).
  std::string client = "beast";
};

/// "2026-11-26T07:15:00.123456Z" or with milliseconds -> microseconds since the epoch.
std::int64_t parseTs(std::string_view s) {
  if (s.size() < 20) return 0;
  std::tm tm{};
  tm.tm_year = std::atoi(std::string(s.substr(0, 4)).c_str()) - 1900;
  tm.tm_mon = std::atoi(std::string(s.substr(5, 2)).c_str()) - 1;
  tm.tm_mday = std::atoi(std::string(s.substr(8, 2)).c_str());
  tm.tm_hour = std::atoi(std::string(s.substr(11, 2)).c_str());
  tm.tm_min = std::atoi(std::string(s.substr(14, 2)).c_str());
  tm.tm_sec = std::atoi(std::string(s.substr(17, 2)).c_str());
  std::int64_t us = static_cast<std::int64_t>(timegm(&tm)) * 1'000'000;
  if (s.size() > 20 && s[19] == '.') {
    std::int64_t frac = 0;
    int digits = 0;
    for (std::size_t i = 20; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      frac = frac * 10 + (s[i] - '0');
    }
    while (digits < 6) {
      frac *= 10;
      ++digits;
    }
    while (digits > 6) {
      frac /= 10;
      --digits;
    }
    us += frac;
  }
  return us;
}

std::int64_t nowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Stats {
  std::vector<std::int64_t> latencies;  // microseconds, one per delivery
  int subscribed = 0;
  int failed = 0;
};

/// A message a client received: the snapshot counts the client as subscribed; an
/// agent.state_changed event gives one latency (receive time less the event's ts).
void recordMessage(std::string_view text, std::int64_t received, Stats& stats) {
  if (text.find(R"("type":"snapshot")") != std::string_view::npos) {
    ++stats.subscribed;
    return;
  }
  if (text.find(R"("type":"event")") == std::string_view::npos) return;
  if (text.find("agent.state_changed") == std::string_view::npos) return;
  const auto at = text.find(R"("ts":")");
  if (at == std::string_view::npos) return;
  const std::int64_t ts = parseTs(text.substr(at + 6, 32));
  stats.latencies.push_back(received - ts);
}

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& io, const Options& o, Stats& stats)
      : resolver_(io), ws_(io), options_(o), stats_(stats) {}

  void start() {
    resolver_.async_resolve(
        options_.host, options_.port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
          if (ec) return self->fail("resolve", ec);
          beast::get_lowest_layer(self->ws_).async_connect(
              r, [self](beast::error_code ec2, const tcp::endpoint&) {
                if (ec2) return self->fail("connect", ec2);
                self->handshake();
              });
        });
  }

 private:
  void handshake() {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.async_handshake(
        options_.host + ":" + options_.port, "/api/v1/events",
        [self = shared_from_this()](beast::error_code ec) {
          if (ec) return self->fail("handshake", ec);
          self->ws_.text(true);
          self->write(fmt::format(R"({{"type":"auth","token":"{}"}})", self->options_.token));
          self->write(R"({"type":"subscribe","topics":["calls"]})");
          self->read();
        });
  }

  /// Queued writes: beast allows one outstanding async_write.
  void write(std::string text) {
    outbox_.push_back(std::move(text));
    if (outbox_.size() == 1) writeNext();
  }
  void writeNext() {
    ws_.async_write(asio::buffer(outbox_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) return self->fail("write", ec);
                      self->outbox_.erase(self->outbox_.begin());
                      if (!self->outbox_.empty()) self->writeNext();
                    });
  }

  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("read", ec);
      const std::int64_t received = nowUs();
      const std::string text = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      self->onMessage(text, received);
      self->read();
    });
  }

  void onMessage(const std::string& text, std::int64_t received) {
    recordMessage(text, received, stats_);
  }

  void fail(const char* what, beast::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (stats_.failed++ < 5) {
      std::fprintf(stderr, "client: %s: %s (close %d %s)\n", what, ec.message().c_str(),
                   static_cast<int>(ws_.reason().code),
                   std::string(ws_.reason().reason.data(), ws_.reason().reason.size()).c_str());
    }
  }

  tcp::resolver resolver_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::vector<std::string> outbox_;
  const Options& options_;
  Stats& stats_;
};

/// The "raw" client: Beast for the connection, the handshake and the two requests; then the
/// server's frames (unmasked, RFC 6455 section 5.2) are parsed from plain socket reads, and a
/// ping is answered with a masked pong.
class RawClient : public std::enable_shared_from_this<RawClient> {
 public:
  RawClient(asio::io_context& io, const Options& o, Stats& stats)
      : resolver_(io), ws_(io), options_(o), stats_(stats) {}

  void start() {
    resolver_.async_resolve(
        options_.host, options_.port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
          if (ec) return self->fail("resolve", ec);
          asio::async_connect(self->ws_.next_layer(), r,
                              [self](beast::error_code ec2, const tcp::endpoint&) {
                                if (ec2) return self->fail("connect", ec2);
                                self->handshake();
                              });
        });
  }

 private:
  void handshake() {
    ws_.async_handshake(options_.host + ":" + options_.port, "/api/v1/events",
                        [self = shared_from_this()](beast::error_code ec) {
                          if (ec) return self->fail("handshake", ec);
                          self->ws_.text(true);
                          self->request(0);
                        });
  }
  void request(int n) {
    if (n == 2) return wait();
    static const std::string auth = R"({"type":"auth","token":")";
    requests_[0] = auth + options_.token + R"("})";
    requests_[1] = R"({"type":"subscribe","topics":["calls"]})";
    ws_.async_write(asio::buffer(requests_[static_cast<std::size_t>(n)]),
                    [self = shared_from_this(), n](beast::error_code ec, std::size_t) {
                      if (ec) return self->fail("write", ec);
                      self->request(n + 1);
                    });
  }
  void wait() {
    ws_.next_layer().async_wait(tcp::socket::wait_read,
                                [self = shared_from_this()](beast::error_code ec) {
                                  if (ec) return self->fail("wait", ec);
                                  self->readAll();
                                });
  }
  void readAll() {
    auto& sock = ws_.next_layer();
    for (;;) {
      char chunk[16384];
      beast::error_code ec;
      sock.non_blocking(true);
      const std::size_t n = sock.read_some(asio::buffer(chunk), ec);
      if (ec == asio::error::would_block) break;
      if (ec) return fail("read", ec);
      const std::int64_t received = nowUs();
      in_.append(chunk, n);
      if (!parse(received)) return;
    }
    wait();
  }
  /// Takes every complete frame out of in_. False when the connection is done.
  bool parse(std::int64_t received) {
    std::size_t at = 0;
    for (;;) {
      if (in_.size() - at < 2) break;
      const auto* b = reinterpret_cast<const unsigned char*>(in_.data() + at);
      const int opcode = b[0] & 0x0f;
      std::uint64_t len = b[1] & 0x7f;
      std::size_t header = 2;
      if (len == 126) {
        if (in_.size() - at < 4) break;
        len = (std::uint64_t{b[2]} << 8) | b[3];
        header = 4;
      } else if (len == 127) {
        if (in_.size() - at < 10) break;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
        header = 10;
      }
      if (in_.size() - at < header + len) break;
      const std::string_view payload(in_.data() + at + header, len);
      const bool fin = (b[0] & 0x80) != 0;
      if (opcode == 0x1 || opcode == 0x0) {
        // Beast may fragment a large message (the snapshot); ours are single frames.
        if (opcode == 0x1) message_.clear();
        if (fin && message_.empty()) {
          onMessage(payload, received);
        } else {
          message_.append(payload);
          if (fin) {
            onMessage(message_, received);
            message_.clear();
          }
        }
      } else if (opcode == 0x9) {
        pong(payload);
      } else if (opcode == 0x8) {
        return false;  // the server closes
      }
      at += header + len;
    }
    in_.erase(0, at);
    return true;
  }
  void pong(std::string_view payload) {
    // Client frames are masked; a zero mask keeps the payload as is.
    std::string frame{static_cast<char>(0x8a), static_cast<char>(0x80 | payload.size())};
    frame.append(4, '\0');
    frame.append(payload);
    beast::error_code ec;
    asio::write(ws_.next_layer(), asio::buffer(frame), ec);
  }
  void onMessage(std::string_view text, std::int64_t received) {
    recordMessage(text, received, stats_);
  }
  void fail(const char* what, beast::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (stats_.failed++ < 5)
      std::fprintf(stderr, "raw client: %s: %s\n", what, ec.message().c_str());
  }

  tcp::resolver resolver_;
  websocket::stream<tcp::socket> ws_;
  std::string requests_[2];
  std::string in_;
  std::string message_;  ///< a fragmented message so far
  const Options& options_;
  Stats& stats_;
};

/// One blocking REST request on its own connection; the HTTP status.
int rest(const Options& o, http::verb verb, const std::string& target, const std::string& body) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.connect(resolver.resolve(o.host, o.port));
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, o.host);
  req.set(http::field::authorization, "Bearer " + o.token);
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  if (res.result_int() >= 300) {
    std::fprintf(stderr, "%s %s: %d %s\n", std::string(http::to_string(verb)).c_str(),
                 target.c_str(), res.result_int(), res.body().c_str());
  }
  return res.result_int();
}

std::int64_t percentile(std::vector<std::int64_t>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--http") {
      const auto colon = value.rfind(':');
      o.host = value.substr(0, colon);
      o.port = value.substr(colon + 1);
    } else if (key == "--token") {
      o.token = value;
    } else if (key == "--clients") {
      o.clients = std::stoi(value);
    } else if (key == "--events") {
      o.events = std::stoi(value);
    } else if (key == "--rate") {
      o.rate = std::stod(value);
    } else if (key == "--threads") {
      o.threads = std::max(1, std::stoi(value));
    } else if (key == "--client") {
      if (value != "beast" && value != "raw") {
        std::fprintf(stderr, "--client is beast or raw\n");
        return 2;
      }
      o.client = value;
    } else if (key == "--agent") {
      o.agent = value;
    } else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      return 2;
    }
  }
  if (o.token.empty()) {
    std::fprintf(stderr, "usage: bench_ws_fanout --http HOST:PORT --token TOKEN [...]\n");
    return 2;
  }

  // One io_context per client thread, each with its own clients and statistics, so that
  // reading 5,000 sockets is not one thread's queue.
  struct Shard {
    asio::io_context io;
    Stats stats;
  };
  std::vector<std::unique_ptr<Shard>> shards;
  for (int t = 0; t < o.threads; ++t) shards.push_back(std::make_unique<Shard>());
  std::vector<std::shared_ptr<Client>> clients;
  std::vector<std::shared_ptr<RawClient>> rawClients;
  for (int i = 0; i < o.clients; ++i) {
    Shard& shard = *shards[static_cast<std::size_t>(i % o.threads)];
    if (o.client == "raw") {
      rawClients.push_back(std::make_shared<RawClient>(shard.io, o, shard.stats));
      rawClients.back()->start();
    } else {
      clients.push_back(std::make_shared<Client>(shard.io, o, shard.stats));
      clients.back()->start();
    }
  }
  std::vector<std::thread> runners;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& shard : shards) {
    guards.push_back(asio::make_work_guard(shard->io));
    runners.emplace_back([&io = shard->io] { io.run(); });
  }
  // Runs `fn(stats)` on every shard's thread and sums the results.
  auto onShards = [&](auto fn) {
    long total = 0;
    for (auto& shard : shards) {
      std::promise<long> p;
      asio::post(shard->io, [&] { p.set_value(fn(shard->stats)); });
      total += p.get_future().get();
    }
    return total;
  };

  // Wait until every client has its snapshot (or 60 s).
  const auto connectStart = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - connectStart < std::chrono::seconds(60)) {
    if (onShards([](Stats& s) { return long{s.subscribed + s.failed}; }) >= o.clients) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const long subscribed = onShards([](Stats& s) { return long{s.subscribed}; });
  std::fprintf(
      stderr, "%ld of %d clients subscribed in %.1f s (%d client threads, %s client)\n", subscribed,
      o.clients,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - connectStart).count(),
      o.threads, o.client.c_str());

  // The events: the admin logs the agent in, then toggles ready / not ready.
  rest(o, http::verb::delete_, "/api/v1/agents/" + o.agent + "/session", "");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int loginStatus =
      rest(o, http::verb::post, "/api/v1/agents/" + o.agent + "/session",
           fmt::format(R"({{"extension":"{}"}})", 8000 + (std::stoi(o.agent) - 1000)));
  if (loginStatus != 202) return 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // The login's own event is not part of the measurement.
  onShards([](Stats& s) {
    s.latencies.clear();
    return 0L;
  });
  const auto gap = std::chrono::duration<double>(1.0 / o.rate);
  auto next = std::chrono::steady_clock::now();
  for (int e = 0; e < o.events; ++e) {
    const std::string body =
        e % 2 == 0 ? R"({"state":"ready"})" : R"({"state":"not_ready","reason":"break"})";
    rest(o, http::verb::put, "/api/v1/agents/" + o.agent + "/state", body);
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(gap);
    std::this_thread::sleep_until(next);
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));  // let the last deliveries arrive
  std::vector<std::int64_t> latencies;
  std::mutex gather;
  onShards([&](Stats& s) {
    std::lock_guard lock(gather);
    latencies.insert(latencies.end(), s.latencies.begin(), s.latencies.end());
    return 0L;
  });
  guards.clear();
  for (auto& shard : shards) shard->io.stop();
  for (auto& r : runners) r.join();

  const long expected = static_cast<long>(o.events) * subscribed;
  const std::int64_t p50 = percentile(latencies, 0.50);
  const std::int64_t p99 = percentile(latencies, 0.99);
  const std::int64_t max =
      latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
  std::printf(
      "clients %ld, events %d at %.0f/s: %zu deliveries of %ld expected; latency p50 %.2f ms, "
      "p99 %.2f ms, max %.2f ms\n",
      subscribed, o.events, o.rate, latencies.size(), expected, static_cast<double>(p50) / 1000.0,
      static_cast<double>(p99) / 1000.0, static_cast<double>(max) / 1000.0);
  return latencies.size() == static_cast<std::size_t>(expected) ? 0 : 1;
}
