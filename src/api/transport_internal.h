// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to the transport (transport*.cc): the state every connection shares, the connection
// registry, and the HTTP connection template (the WebSocket one is in
// transport_ws_connection.h). Each template is instantiated
// for the plain and the TLS stream in its own .cc file (transport_plain.cc, transport_tls.cc,
// transport_ws_plain.cc, transport_ws_tls.cc) because one Beast instantiation costs 15-30 s of
// compile time and over a gigabyte of memory.
//
// Ownership and lifetime:
//   - TransportState is shared (shared_ptr) by the Transport, every connection, and every
//     `done` callback and WsConnection handle given to the application. It does not own the
//     io_context, so a callback the application keeps after stop() holds nothing that dies.
//   - The registry in TransportState owns every live connection (strong reference). A
//     connection removes itself (finish()) when it ends; stop() drops the rest after joining
//     the io threads, before the io_context is destroyed.
//   - What the application holds (`done`, WsConnection) refers to a connection weakly, and
//     enters the gate (TransportState::enter) before touching it: once stop() has closed the
//     gate and waited for those inside, nothing from outside reaches a connection again.
//
// Threads: a connection's members are touched only on its io thread (its stream's executor),
// except by abandon(), which stop() calls after the io threads are joined.

#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including it

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "api/http.h"
#include "api/transport.h"

namespace bankcc::api::transport_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

/// Every connection's executor: its io_context's, which one thread runs, so handlers of one
/// connection never run concurrently without a strand (whose mutex cost more than it bought).
/// Named concretely rather than
/// as any_io_executor, whose type erasure cost a measurable share of each request.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using PlainStream = beast::basic_stream<tcp, Executor, beast::unlimited_rate_policy>;
using TlsStream = beast::ssl_stream<PlainStream>;
using BeastRequest = http::request<http::string_body>;

template <class Stream>
inline constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

/// How long a closing connection may take to say goodbye (TLS close_notify, draining the rest
/// of a refused request, a WebSocket close handshake) before its socket is simply closed.
inline constexpr std::chrono::seconds kLingerTimeout{2};
/// Bytes of a refused request we read and discard so that the client sees our error response
/// instead of a reset; beyond this we close at once.
inline constexpr std::size_t kLingerMaxBytes = 1 << 20;
/// Bytes asked from the socket per read while waiting for a request.
inline constexpr std::size_t kReadChunk = 16 * 1024;

/// A live connection as the registry sees it.
class Connection {
 public:
  virtual ~Connection() = default;
  /// Closes the connection because the transport is stopping (WebSocket: 1001). Thread-safe:
  /// posts to the connection's io thread.
  virtual void shutdown() = 0;
  /// The io threads are gone: release application objects (WebSocket: onClose once). Called
  /// by stop() after joining the io threads, so it runs alone.
  virtual void abandon() = 0;
};

/// What the application's WsConnection handle forwards to. Thread-safe (posts to the io thread).
class WsEndpoint {
 public:
  virtual ~WsEndpoint() = default;
  virtual void postSend(std::shared_ptr<const std::string> frame) = 0;
  virtual void postClose(int code, std::string reason) = 0;
};

/// Shared by the transport and all its connections. See the file comment for lifetimes.
struct TransportState {
  TransportState(const TransportOptions& options, HttpApplication& application)
      : options(options), application(application) {}

  const TransportOptions options;
  HttpApplication& application;

  /// Enters the gate; false once stop() closed it. Every successful enter() needs a leave().
  /// Lock-free: this is on the path of every response.
  bool enter() {
    inflight_.fetch_add(1, std::memory_order_seq_cst);
    if (stopped_.load(std::memory_order_seq_cst)) {
      leave();
      return false;
    }
    return true;
  }
  void leave() { inflight_.fetch_sub(1, std::memory_order_seq_cst); }
  /// Closes the gate and waits for the callers inside to leave. stop() only.
  void closeGate();

  /// Adds a connection unless the transport is stopping or `limit` connections are live.
  bool add(std::shared_ptr<Connection> connection, std::size_t limit);
  /// Removes a connection (no-op when absent). Any thread.
  void remove(Connection* connection);
  /// Marks the registry as stopping and asks every connection to shut down.
  void shutdownAll();
  /// Waits until no connection is left or `timeout` passed.
  void waitDrained(std::chrono::milliseconds timeout);
  /// Takes every connection left out of the registry. stop() only, after the io threads.
  std::vector<std::shared_ptr<Connection>> takeAll();

 private:
  std::atomic<int> inflight_{0};
  std::atomic<bool> stopped_{false};

  std::mutex mutex_;
  std::condition_variable drained_;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  bool stopping_ = false;
};

// --- helpers (transport_http.cc) -------------------------------------------------------------

/// The application's view of a parsed request. Moves the body out of `message`.
Request makeRequest(BeastRequest& message, const std::string& remoteAddress, bool secure);

/// Writes the status line and header fields of `response` (plus Server, Date, Content-Length,
/// Cache-Control and the security headers) into `out`. `keepAlive` is whether the client allows
/// the connection to stay open; returns whether it will (false when the response says
/// "Connection: close"). Header fields from the application that could split the response
/// (CR, LF, NUL, bad names) are dropped with an error log.
bool writeResponseHead(std::string& out, const Response& response, bool keepAlive, bool http10,
                       bool secure);

/// Whether a response with `status` carries no body (1xx, 204, 304).
bool statusHasNoBody(int status);

/// The response for a request the parser refused, or nullopt when the connection should just
/// be closed (the client went away, timed out, TLS failed).
std::optional<Response> responseForReadError(const beast::error_code& ec);

/// The peer's IP address without port; IPv4-mapped IPv6 addresses as plain IPv4.
std::string remoteAddressOf(const Socket& socket);

/// A valid close code for a close frame: `code` when RFC 6455 allows sending it, else 1011.
std::uint16_t sanitizeCloseCode(int code);
/// `reason` cut to the 123 bytes a close frame can carry, at a UTF-8 character boundary.
std::string truncateCloseReason(std::string reason);

/// The handle the application gets for a WebSocket: forwards through the gate to the endpoint.
/// `executor` is the endpoint's; it is used only inside the gate (its io_context dies in stop()).
class WsHandle final : public WsConnection {
 public:
  WsHandle(std::shared_ptr<TransportState> state, std::weak_ptr<WsEndpoint> endpoint,
           Executor executor, std::string remoteAddress)
      : state_(std::move(state)),
        endpoint_(std::move(endpoint)),
        executor_(executor),
        remoteAddress_(std::move(remoteAddress)) {}
  void send(std::string text) override;
  void send(std::shared_ptr<const std::string> frame) override;
  void close(int code, std::string reason) override;
  std::uintptr_t ioThread() const override;
  void post(std::function<void()> task) override;
  const std::string& remoteAddress() const override { return remoteAddress_; }

 private:
  std::shared_ptr<TransportState> state_;
  std::weak_ptr<WsEndpoint> endpoint_;
  Executor executor_;
  std::string remoteAddress_;
};

// --- entry points, one per instantiation ---------------------------------------------------

/// Serves HTTP on an accepted socket (its executor is one of the io_contexts). transport_plain.cc.
void startPlainConnection(const std::shared_ptr<TransportState>& state, Socket socket,
                          std::string remoteAddress);
/// The same after a TLS handshake with `context`. transport_tls.cc.
void startTlsConnection(const std::shared_ptr<TransportState>& state, Socket socket,
                        std::shared_ptr<ssl::context> context, std::string remoteAddress);
/// Takes over a stream whose request was an accepted WebSocket upgrade. Called on the
/// stream's io thread. transport_ws_plain.cc / transport_ws_tls.cc.
void startWebSocket(const std::shared_ptr<TransportState>& state, PlainStream stream,
                    BeastRequest request, WsAccept accept, std::string remoteAddress);
void startWebSocket(const std::shared_ptr<TransportState>& state, TlsStream stream,
                    std::shared_ptr<ssl::context> context, BeastRequest request, WsAccept accept,
                    std::string remoteAddress);

// --- HTTP connection -----------------------------------------------------------------------

/// One HTTP/1.1 connection: reads a request, hands it to the application, writes the response,
/// repeats while keep-alive holds. All members are used on the stream's io thread only.
template <class Stream>
class HttpConnection final : public Connection,
                             public std::enable_shared_from_this<HttpConnection<Stream>> {
 public:
  /// `context` is the TLS context the stream uses (kept alive with it); null for plain.
  HttpConnection(std::shared_ptr<TransportState> state, Stream stream,
                 std::shared_ptr<ssl::context> context, std::string remoteAddress)
      : state_(std::move(state)),
        stream_(std::move(stream)),
        executor_(stream_.get_executor()),
        context_(std::move(context)),
        remoteAddress_(std::move(remoteAddress)) {}

  /// Begins serving. Call once, after the registry took the connection.
  void start() {
    asio::dispatch(executor_, [self = this->shared_from_this()] {
      if constexpr (kIsTls<Stream>) {
        self->lowest().expires_after(self->state_->options.readTimeout);
        self->stream_.async_handshake(ssl::stream_base::server,
                                      [self](const beast::error_code& ec) {
                                        if (ec) return self->closeNow();
                                        self->waitForRequest();
                                      });
      } else {
        self->waitForRequest();
      }
    });
  }

  void shutdown() override {
    asio::post(executor_, [self = this->shared_from_this()] {
      self->stopping_ = true;
      if (self->finished_) return;
      self->closeNow();
    });
  }

  void abandon() override {}

 private:
  PlainStream& lowest() { return beast::get_lowest_layer(stream_); }

  void waitForRequest() {
    parser_.emplace();
    parser_->body_limit(state_->options.maxBodyBytes);
    // Beast applies header_limit to what it holds unparsed at once (one field, in effect);
    // parseBuffered() limits the header's total size.
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(state_->options.maxHeaderBytes, UINT32_MAX)));
    headerBytes_ = 0;
    continueSent_ = false;
    if (buffer_.size() > 0) {
      // A pipelined request: it started when it arrived with the previous one.
      lowest().expires_after(state_->options.readTimeout);
      return parseBuffered();
    }
    // Keep-alive wait; the request (and readTimeout) starts with its first byte.
    lowest().expires_after(state_->options.idleTimeout);
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = this->shared_from_this()](const beast::error_code& ec, std::size_t n) {
          if (ec) return self->closeNow();  // idle timeout, or the client left
          self->buffer_.commit(n);
          self->lowest().expires_after(self->state_->options.readTimeout);
          self->parseBuffered();
        });
  }

  void readMore() {
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = this->shared_from_this()](const beast::error_code& ec, std::size_t n) {
          if (ec) return self->closeNow();  // read timeout, or the client left mid-request
          self->buffer_.commit(n);
          self->parseBuffered();
        });
  }

  /// Feeds what is buffered to the parser; reads more while the request is incomplete.
  void parseBuffered() {
    const std::size_t maxHeader = state_->options.maxHeaderBytes;
    beast::error_code ec;
    while (buffer_.size() > 0 && !parser_->is_done()) {
      const bool inHeader = !parser_->is_header_done();
      // Not eager: a put() that completes the header stops there, so `used` is header only.
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (inHeader) {
        headerBytes_ += used;
        if (headerBytes_ > maxHeader) return onReadError(http::error::header_limit);
      }
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec) return onReadError(ec);
      if (used == 0) break;
    }
    if (parser_->is_done()) return dispatchRequest();
    if (!parser_->is_header_done()) {
      if (headerBytes_ + buffer_.size() > maxHeader) return onReadError(http::error::header_limit);
      return readMore();
    }
    // Only a chunk header can be pending here (bodies are consumed as they come): one that
    // never ends is malformed.
    if (buffer_.size() > kReadChunk) return onReadError(http::error::bad_chunk);
    if (!continueSent_ && wantsContinue()) {
      // curl and others wait for this before sending a body (RFC 9110 section 10.1.1).
      continueSent_ = true;
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(
          stream_, asio::buffer(kContinue.data(), kContinue.size()),
          [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
            if (ec) return self->closeNow();
            self->readMore();
          });
    }
    readMore();
  }

  bool wantsContinue() const {
    const auto& header = parser_->get();
    if (header.version() < 11) return false;
    const auto it = header.find(http::field::expect);
    return it != header.end() && beast::iequals(it->value(), "100-continue");
  }

  void onReadError(const beast::error_code& ec) {
    auto response = responseForReadError(ec);
    if (!response) return closeNow();
    keepAlive_ = false;
    headOnly_ = false;
    http10_ = false;
    writeResponse(std::move(*response));
  }

  void dispatchRequest() {
    lowest().expires_never();
    BeastRequest message = parser_->release();
    keepAlive_ = message.keep_alive() && !stopping_;
    headOnly_ = message.method() == http::verb::head;
    http10_ = message.version() < 11;
    Request request = makeRequest(message, remoteAddress_, kIsTls<Stream>);
    if (websocket::is_upgrade(message)) {
      return dispatchUpgrade(std::move(message), std::move(request));
    }
    const std::uint64_t seq = ++seq_;
    awaiting_ = true;
    auto done = [state = state_, weak = this->weak_from_this(), seq](Response response) {
      if (!state->enter()) return;  // the transport stopped: nobody to answer
      if (auto self = weak.lock()) {
        auto executor = self->executor_;
        asio::dispatch(executor, [self = std::move(self), seq, r = std::move(response)]() mutable {
          self->onResponse(seq, std::move(r));
        });
      }
      state->leave();
    };
    try {
      state_->application.handle(std::move(request), std::move(done));
    } catch (const std::exception& e) {
      logHandlerFailure(message, e.what());
      onResponse(seq, errorResponse(500, "internal", "internal error"));
    } catch (...) {
      logHandlerFailure(message, "unknown exception");
      onResponse(seq, errorResponse(500, "internal", "internal error"));
    }
  }

  void logHandlerFailure(const BeastRequest& message, const char* what) {
    // The path only: a query may carry a token.
    const auto method = message.method_string();
    const auto target = message.target();
    const std::string_view path(target.data(), std::min(target.size(), target.find('?')));
    spdlog::error("HTTP handler for {} {} failed: {}",
                  std::string_view(method.data(), method.size()), path, what);
  }

  void dispatchUpgrade(BeastRequest message, Request request) {
    std::optional<std::variant<Response, WsAccept>> decision;
    try {
      decision.emplace(state_->application.upgrade(request));
    } catch (const std::exception& e) {
      logHandlerFailure(message, e.what());
    } catch (...) {
      logHandlerFailure(message, "unknown exception");
    }
    keepAlive_ = false;  // a refused upgrade ends the connection
    if (!decision) return writeResponse(errorResponse(500, "internal", "internal error"));
    if (auto* response = std::get_if<Response>(&*decision)) {
      return writeResponse(std::move(*response));
    }
    auto& accept = std::get<WsAccept>(*decision);
    if (!accept.open) {
      spdlog::error("WebSocket upgrade for {} accepted without an open function", request.path);
      return writeResponse(errorResponse(500, "internal", "internal error"));
    }
    // The WebSocket stream has its own timeouts; the tcp_stream's must not fire under it.
    lowest().expires_never();
    finished_ = true;
    state_->remove(this);  // the WebSocket connection registers itself
    if constexpr (kIsTls<Stream>) {
      startWebSocket(state_, std::move(stream_), std::move(context_), std::move(message),
                     std::move(accept), std::move(remoteAddress_));
    } else {
      startWebSocket(state_, std::move(stream_), std::move(message), std::move(accept),
                     std::move(remoteAddress_));
    }
  }

  void onResponse(std::uint64_t seq, Response response) {
    // A response for an earlier request (done called after the handler threw), or after the
    // connection ended, is dropped.
    if (!awaiting_ || seq != seq_ || finished_) return;
    awaiting_ = false;
    writeResponse(std::move(response));
  }

  void writeResponse(Response response) {
    keepAlive_ =
        writeResponseHead(head_, response, keepAlive_ && !stopping_, http10_, kIsTls<Stream>);
    if (headOnly_ || statusHasNoBody(response.status)) {
      body_.clear();
    } else {
      body_ = std::move(response.body);
    }
    // A client that does not read its responses must not hold the connection forever.
    lowest().expires_after(std::max(state_->options.readTimeout, std::chrono::seconds(1)));
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(body_)};
    asio::async_write(stream_, buffers,
                      [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
                        if (ec) return self->closeNow();
                        if (!self->keepAlive_) return self->closeGracefully();
                        self->body_.clear();
                        self->waitForRequest();
                      });
  }

  /// Ends the connection after a last response: TLS close_notify, or for plain TCP half-close
  /// and discard what the client still sends, so that it reads our answer instead of a reset.
  void closeGracefully() {
    lowest().expires_after(kLingerTimeout);
    if constexpr (kIsTls<Stream>) {
      stream_.async_shutdown(
          [self = this->shared_from_this()](const beast::error_code&) { self->closeNow(); });
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      drain(0);
    }
  }

  void drain(std::size_t discarded) {
    if (discarded > kLingerMaxBytes) return closeNow();
    buffer_.clear();
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = this->shared_from_this(), discarded](const beast::error_code& ec, std::size_t n) {
          if (ec) return self->closeNow();
          self->drain(discarded + n);
        });
  }

  void closeNow() {
    if (finished_) return;
    lowest().close();
    finished_ = true;
    state_->remove(this);
  }

  std::shared_ptr<TransportState> state_;
  Stream stream_;
  Executor executor_;  ///< copy of stream_'s executor, readable from any thread
  std::shared_ptr<ssl::context> context_;
  std::string remoteAddress_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string head_;             ///< serialised response header; its capacity is reused
  std::string body_;             ///< response body being written
  std::size_t headerBytes_ = 0;  ///< of the request being read, parsed so far
  std::uint64_t seq_ = 0;
  bool continueSent_ = false;  ///< "100 Continue" written for the request being read
  bool awaiting_ = false;      ///< the application has the request and has not answered
  bool keepAlive_ = false;
  bool headOnly_ = false;
  bool http10_ = false;
  bool stopping_ = false;
  bool finished_ = false;  ///< closed, or handed over to a WebSocket connection
};

template <class Stream>
void startHttpConnection(const std::shared_ptr<TransportState>& state, Stream stream,
                         std::shared_ptr<ssl::context> context, std::string remoteAddress) {
  auto connection = std::make_shared<HttpConnection<Stream>>(
      state, std::move(stream), std::move(context), std::move(remoteAddress));
  // Refused (too many connections, or stopping): the socket closes with `connection`.
  if (!state->add(connection, state->options.maxConnections)) return;
  connection->start();
}

}  // namespace bankcc::api::transport_detail
