// SPDX-License-Identifier: Apache-2.0
#pragma once

// The network edge of the API: HTTP/1.1 (optionally over TLS) and WebSocket on Boost.Beast,
// with body and header limits and timeouts for slow clients. It knows nothing about routes,
// users or JSON: every request goes to an HttpApplication, every WebSocket upgrade is offered
// to it, and accepted WebSocket connections talk to a WsSession of the application's.
// Beast stays out of this header so that includers compile fast.
//
// Threads: `threads` io threads run every socket. Each connection is served by one of them
// (one handler at a time per connection). HttpApplication::handle runs on an io thread and
// may finish on any thread by calling its `done` callback exactly once; WsSession callbacks
// for one connection never run concurrently. WsConnection::send/close/post are thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "api/http.h"
#include "base/result.h"

namespace bankcc::api {

/// The transport's end of an accepted WebSocket connection.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  /// Queues a text frame. Thread-safe; a no-op after close. Frames are sent in call order. A
  /// client that reads too slowly (more than `maxQueuedBytes` waiting) is closed with 1008.
  virtual void send(std::string text) = 0;
  /// The same for a frame shared by many connections (one event to every subscriber): the
  /// text is not copied, and must not change once passed here.
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  /// The io thread that serves this connection, as an opaque key: equal keys, same thread.
  /// Thread-safe; constant for the connection's life.
  virtual std::uintptr_t ioThread() const = 0;
  /// Runs `task` on this connection's io thread, after the sends and tasks handed to it before
  /// (from the same thread). From inside `task`, send() to any connection of that io thread
  /// queues the frame at once, without another hop: one task can deliver an event to all of a
  /// thread's connections. Thread-safe; a task that has not run when the transport stops
  /// never runs (it is destroyed).
  virtual void post(std::function<void()> task) = 0;
  /// Sends a close frame with `code` (RFC 6455, e.g. 1000, 1007, 1008, 1009) and stops reading.
  /// Thread-safe; idempotent.
  virtual void close(int code, std::string reason) = 0;
  virtual const std::string& remoteAddress() const = 0;
};

/// The application's end of one WebSocket connection.
class WsSession {
 public:
  virtual ~WsSession() = default;
  /// One complete text message (at most `maxWsMessageBytes`; larger ones close the
  /// connection with 1009 before reaching here; binary messages close it with 1003).
  virtual void onMessage(std::string text) = 0;
  /// The connection is gone (closed by either side, timed out or the server stopping). Called
  /// once; send() is a no-op afterwards.
  virtual void onClose() = 0;
};

/// An accepted upgrade: the transport completes the handshake, then calls `open` with the
/// connection and keeps the returned session until the connection ends.
struct WsAccept {
  std::function<std::shared_ptr<WsSession>(std::shared_ptr<WsConnection>)> open;
};

class HttpApplication {
 public:
  virtual ~HttpApplication() = default;
  /// Serves one request. Must call `done` exactly once, on any thread.
  virtual void handle(Request request, std::function<void(Response)> done) = 0;
  /// A WebSocket upgrade request: accept it, or answer with a Response (e.g. 403 when the
  /// Origin is wrong, 404 for an unknown path). Runs on an io thread; must not block.
  virtual std::variant<Response, WsAccept> upgrade(const Request& request) = 0;
};

struct TransportOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;  ///< 0 picks a free port; see boundAddress()
  int threads = 2;
  std::size_t maxBodyBytes = 1 << 20;         ///< larger: 413 payload_too_large
  std::size_t maxHeaderBytes = 16 * 1024;     ///< larger: 431 and close
  std::chrono::seconds readTimeout{30};       ///< whole request (headers and body) must arrive
  std::chrono::seconds idleTimeout{60};       ///< keep-alive connection with no request
  std::size_t maxConnections = 10000;         ///< beyond: accepted and closed at once
  std::size_t maxWsMessageBytes = 64 * 1024;  ///< larger: close 1009
  std::size_t maxWsQueuedBytes = 4 << 20;     ///< per connection; beyond: close 1008
  std::chrono::seconds wsIdleTimeout{60};     ///< WebSocket pings after half of it; no pong: close
  /// TLS when both are set (PEM files). Then every response carries HSTS.
  std::filesystem::path tlsCertFile;
  std::filesystem::path tlsKeyFile;
};

class Transport {
 public:
  /// Binds, loads the TLS certificate (when configured) and starts the io threads. Errors:
  /// Unavailable (cannot bind), BadRequest (not an IP address), ValidationFailed (unreadable or
  /// mismatched certificate/key, naming the file).
  static base::Result<std::unique_ptr<Transport>> start(const TransportOptions& options,
                                                        HttpApplication& application);
  ~Transport();  ///< stop()s

  /// The address actually bound, e.g. "127.0.0.1:41234". Thread-safe.
  std::string boundAddress() const;
  bool tls() const;
  /// Re-reads the certificate and key (SIGHUP); new connections use them, open ones keep
  /// theirs. Errors as start(); the old certificate stays in use then.
  base::Status reloadTls();
  /// Stops accepting, closes every connection (WebSocket ones with 1001) and joins the io
  /// threads. Idempotent; call from any thread but an io thread.
  void stop();

 private:
  struct Impl;
  explicit Transport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Splits "ADDR:PORT" ("127.0.0.1:0", "[::1]:8080", "0.0.0.0:8080"). BadRequest on bad input.
base::Result<std::pair<std::string, unsigned short>> parseListenAddress(const std::string& text);

}  // namespace bankcc::api
