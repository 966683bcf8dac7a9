// SPDX-License-Identifier: Apache-2.0
#pragma once

// A small blocking HTTP/1.1 and WebSocket client for integration tests (POSIX sockets, no TLS).
//   - HttpClient keeps one keep-alive connection to "ADDR:PORT" and sends well-formed requests;
//     its raw mode sends exact bytes (malformed requests, half requests, floods) and returns
//     whatever comes back.
//   - WsClient does the opening handshake with any extra header fields (Origin, Cookie, ...),
//     sends frames masked as a client must (or deliberately malformed ones) and reads frames,
//     including the server's close code.
// Threads: one object per thread; nothing is shared.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bankcc::testing {

/// Header fields in order; names as given (requests) or lower-cased (responses).
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;      ///< 0: no (complete) response: connection failed, closed or timed out
  HeaderList headers;  ///< lower-case names, in arrival order
  std::string body;

  /// The first field named `name` (any case), or "" when absent.
  std::string header(std::string_view name) const;
  /// Every field named `name` (any case), in order (e.g. Set-Cookie).
  std::vector<std::string> headerValues(std::string_view name) const;
};

/// Parses one complete response at the start of `raw`. nullopt when `raw` does not (yet) hold a
/// complete one (headers and the body by Content-Length or chunked coding; a body delimited by
/// the end of the connection needs `connectionClosed`). `consumed` gets its length in bytes.
std::optional<HttpResponse> parseHttpResponse(std::string_view raw, bool headRequest,
                                              bool connectionClosed,
                                              std::size_t* consumed = nullptr);

/// What a raw exchange saw.
struct RawExchange {
  std::size_t sent = 0;                  ///< bytes the server accepted before the end
  std::string received;                  ///< every byte the server sent
  bool closedByPeer = false;             ///< the server closed (EOF or reset)
  std::optional<HttpResponse> response;  ///< the first response in `received`, when complete
};

class HttpClient {
 public:
  /// `address` is "127.0.0.1:PORT". `sourceAddress` binds the client's end to another local
  /// address (e.g. "127.0.0.2", so that per-address limits see a different client).
  explicit HttpClient(std::string address, std::string sourceAddress = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(15));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends one request on the kept-alive connection (reconnecting once when the server closed
  /// it in between) and reads the response. Adds Host and, with a body, Content-Length; a body
  /// without a Content-Type header gets application/json. status 0 on failure.
  HttpResponse request(const std::string& method, const std::string& path,
                       const HeaderList& headers = {}, const std::string& body = {});
  HttpResponse get(const std::string& path, const HeaderList& headers = {}) {
    return request("GET", path, headers);
  }

  /// Raw mode: opens a fresh connection, sends `bytes` exactly (while reading whatever comes
  /// back, so a server answering early cannot dead-lock us), and reads until the server closes,
  /// `timeout` passes, or (when `stopAtResponse`) a complete response arrived.
  RawExchange raw(std::string_view bytes, std::chrono::milliseconds timeout,
                  bool stopAtResponse = true);

  /// Opens a fresh connection and leaves it open; for tests of slow clients. Then sendMore()
  /// and waitForClose().
  bool openRaw();
  bool sendMore(std::string_view bytes);
  /// Waits until the server closes the raw connection; what arrived meanwhile in `received`.
  /// False on timeout.
  bool waitForClose(std::chrono::milliseconds timeout, std::string* received = nullptr);

  /// Drops the kept-alive connection.
  void close();
  const std::string& address() const { return address_; }

 private:
  int connectSocket();
  bool sendAll(int fd, std::string_view bytes);

  std::string address_;
  std::string sourceAddress_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string pending_;  ///< bytes read past the last response
};

/// One WebSocket frame as received.
struct WsFrame {
  int opcode = 0;  ///< 1 text, 2 binary, 8 close, 9 ping, 10 pong
  bool fin = true;
  std::string payload;
  /// For a close frame: its status code (1005 when it carried none).
  int closeCode() const;
};

class WsClient {
 public:
  explicit WsClient(std::string address,
                    std::chrono::milliseconds timeout = std::chrono::seconds(15));
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  /// Connects and sends the opening handshake for `path` with `headers` added (Origin, Cookie,
  /// ...). Returns the server's response: 101 on success (then frames follow), else its error
  /// response (body read), or status 0 when the connection failed.
  HttpResponse handshake(const std::string& path, const HeaderList& headers = {});

  bool sendText(std::string_view text) { return sendFrame(0x1, text); }
  bool sendBinary(std::string_view data) { return sendFrame(0x2, data); }
  /// One frame with `opcode`, FIN as given, masked with a random key unless `masked` is false
  /// (a protocol violation for a client), and `rsv` ORed into the RSV bits (non-zero: malformed).
  bool sendFrame(int opcode, std::string_view payload, bool fin = true, bool masked = true,
                 int rsv = 0);
  /// Sends a close frame with `code`.
  bool sendClose(int code = 1000);
  /// Sends bytes as they are.
  bool sendRaw(std::string_view bytes);

  /// The next frame, or nullopt when the connection closed or `timeout` passed.
  std::optional<WsFrame> receive(std::chrono::milliseconds timeout);
  /// The next text message, skipping (and answering) pings; nullopt on close or timeout (a
  /// close frame is remembered in closeCode()).
  std::optional<std::string> receiveText(std::chrono::milliseconds timeout);
  /// Reads until the server's close frame and returns its code, answering it; nullopt when the
  /// connection ended without a close frame or `timeout` passed. Text frames are skipped.
  std::optional<int> waitForClose(std::chrono::milliseconds timeout);
  /// The code of the close frame received so far, if any.
  std::optional<int> closeCode() const { return closeCode_; }
  /// True once the TCP connection ended (EOF or reset).
  bool ended() const { return ended_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  std::optional<WsFrame> parseFrame();

  std::string address_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;
  std::optional<int> closeCode_;
  bool ended_ = false;
};

}  // namespace bankcc::testing
