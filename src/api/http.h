// SPDX-License-Identifier: Apache-2.0
#pragma once

// The HTTP request and response as the application sees them: plain values, no Beast. The
// transport (transport.h) turns Beast messages into these and back, so that the router, the
// handlers and their tests compile without Boost.
// Threads: plain values; no synchronisation.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bankcc::api {

struct Request {
  std::string method;  ///< "GET", "POST", ... as sent (upper case)
  std::string target;  ///< path and query, as sent
  std::string path;    ///< target without the query, percent-decoding NOT applied
  std::string query;   ///< after '?', without it; empty when none
  /// Header fields in arrival order, names lower-cased. Repeated fields appear repeatedly.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remoteAddress;  ///< peer IP address without port, e.g. "127.0.0.1", "::1"
  bool secure = false;        ///< arrived over TLS

  /// The first field named `name` (lower case), or "" when absent.
  std::string_view header(std::string_view name) const;
  /// The value of cookie `name` from the Cookie header(s), or "" when absent.
  std::string_view cookie(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  /// Extra header fields (e.g. Set-Cookie, Location, Retry-After). The transport adds
  /// Server, Content-Length, Cache-Control (unless set here), and the security headers.
  std::vector<std::pair<std::string, std::string>> headers;
  /// HEAD: the transport sends the headers of this response with no body.
};

/// `{"error":{"code":code,"message":message}}` with `status`.
Response errorResponse(int status, std::string_view code, std::string_view message);

/// A JSON response (body already serialised).
Response jsonResponse(int status, std::string body);

}  // namespace bankcc::api
