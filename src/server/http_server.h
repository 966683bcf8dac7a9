// SPDX-License-Identifier: Apache-2.0
#pragma once

// A small HTTP/1.1 server on Boost.Beast for the operational endpoints (/healthz, /readyz,
// /metrics). The full API module (router, authentication, WebSocket) replaces the handler
// table with its router; this class keeps the socket, timeout and size-limit handling.
// Beast stays out of this header so that includers compile fast.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/result.h"

namespace bankcc::server {

struct HttpRequest {
  std::string method;  ///< "GET", "POST", ...
  std::string target;  ///< path and query, as sent
  std::string path;    ///< target without the query
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
};

/// Handles one request. Runs on an io thread; must not block for long.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;  ///< 0 picks a free port; see boundPort()
  int threads = 2;
  std::size_t maxBodyBytes = 1 << 20;
  std::chrono::seconds readTimeout{30};  ///< a client that sends nothing for this long is dropped
};

class HttpServer {
 public:
  /// Binds and starts listening on `threads` io threads. Errors: Unavailable (address in use,
  /// cannot bind), BadRequest (not an IP address).
  static base::Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options,
                                                         std::map<std::string, HttpHandler> routes);
  ~HttpServer();  ///< stop()s

  /// The address actually bound, e.g. "127.0.0.1:41234". Thread-safe.
  std::string boundAddress() const;
  /// Stops accepting, closes connections and joins the io threads. Idempotent; any thread but
  /// an io thread.
  void stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Splits "ADDR:PORT" ("127.0.0.1:0", "[::1]:8080", "0.0.0.0:8080"). BadRequest on bad input.
base::Result<std::pair<std::string, unsigned short>> parseListenAddress(const std::string& text);

}  // namespace bankcc::server
