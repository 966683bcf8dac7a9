// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to the transport (transport*.cc): the state every connection shares, the connection
// registry, and the HTTP and WebSocket connection templates. Each template is instantiated
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

#include <linux/sockios.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
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
#include <cerrno>
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

// --- WebSocket connection ------------------------------------------------------------------

/// One accepted WebSocket: reads text messages into the application's WsSession one at a time,
/// writes queued frames one at a time. All members are used on the io thread only (abandon()
/// aside).
template <class Stream>
class WebSocketConnection final : public Connection,
                                  public WsEndpoint,
                                  public std::enable_shared_from_this<WebSocketConnection<Stream>> {
 public:
  WebSocketConnection(std::shared_ptr<TransportState> state, Stream stream,
                      std::shared_ptr<ssl::context> context, std::string remoteAddress)
      : state_(std::move(state)),
        ws_(std::move(stream)),
        executor_(ws_.get_executor()),
        context_(std::move(context)),
        remoteAddress_(std::move(remoteAddress)),
        closeTimer_(executor_),
        keepAliveTimer_(executor_) {}

  /// Completes the handshake for `request`, then opens the application's session. Call once on
  /// the io thread, after the registry took the connection.
  void start(BeastRequest request, WsAccept accept) {
    const auto& options = state_->options;
    if constexpr (kDirect) {
      // Keep-alive pings are ours (keepAlive()), so that every frame Beast writes by itself is
      // known to sendDirect(): the pong to a client's ping and the reply to a close.
      ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(30),
                                                     websocket::stream_base::none(), false});
      ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
        received_ = true;
        if (kind == websocket::frame_type::ping) peerPings_ = true;
        if (kind == websocket::frame_type::close) peerClosing_ = true;
      });
    } else {
      ws_.set_option(
          websocket::stream_base::timeout{std::chrono::seconds(30), options.wsIdleTimeout, true});
    }
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(http::field::server, "bankcc"); }));
    ws_.read_message_max(options.maxWsMessageBytes);
    ws_.async_accept(request, [self = this->shared_from_this(),
                               accept = std::move(accept)](const beast::error_code& ec) mutable {
      if (ec) return self->end();
      self->accepted_ = true;
      if constexpr (kDirect) self->keepAlive();
      self->open(accept);
    });
  }

  void shutdown() override {
    asio::post(executor_, [self = this->shared_from_this()] {
      self->beginClose(1001, "server stopping", true);
    });
  }

  void abandon() override { notifyClosed(); }

  void postSend(std::shared_ptr<const std::string> frame) override {
    // On the io thread (a fan-out task, or the application answering a message) this queues
    // at once; from elsewhere it is one hop.
    asio::dispatch(executor_,
                   [self = this->shared_from_this(), frame = std::move(frame)]() mutable {
                     self->enqueue(std::move(frame));
                   });
  }

  void postClose(int code, std::string reason) override {
    asio::dispatch(executor_,
                   [self = this->shared_from_this(), code, reason = std::move(reason)]() mutable {
                     self->beginClose(code, std::move(reason), false);
                   });
  }

 private:
  void open(WsAccept& accept) {
    auto handle = std::make_shared<WsHandle>(
        state_, std::weak_ptr<WsEndpoint>(this->shared_from_this()), executor_, remoteAddress_);
    try {
      session_ = accept.open(std::move(handle));
    } catch (const std::exception& e) {
      spdlog::error("WebSocket open failed: {}", e.what());
    } catch (...) {
      spdlog::error("WebSocket open failed: unknown exception");
    }
    if (!session_) beginClose(1011, "internal error", true);
    read();
  }

  void read() {
    ws_.async_read(readBuffer_,
                   [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
                     self->onRead(ec);
                   });
  }

  /// Beast's keep-alive, done here (direct path only): every half idle timeout, a connection
  /// that sent nothing since the last look is pinged; one that stays silent for a whole idle
  /// timeout is torn down.
  void keepAlive() {
    const auto half = std::max(state_->options.wsIdleTimeout / 2, std::chrono::seconds(1));
    keepAliveTimer_.expires_after(half);
    keepAliveTimer_.async_wait([self = this->shared_from_this()](const beast::error_code& ec) {
      if (ec || self->ended_) return;
      if (self->received_) {
        self->received_ = false;
        self->silentTicks_ = 0;
      } else if (++self->silentTicks_ >= 2) {
        spdlog::info("WebSocket client {} silent for {} s; closing", self->remoteAddress_,
                     self->state_->options.wsIdleTimeout.count());
        return self->end();
      } else if (!self->writing_ && !self->pinging_ && !self->closing_) {
        self->pinging_ = true;
        self->ws_.async_ping({}, [self](const beast::error_code& pingError) {
          self->pinging_ = false;
          if (pingError) return self->end();
          if (!self->queue_.empty() && !self->writing_) return self->writeNext();
          self->maybeSendClose();
        });
      }
      self->keepAlive();
    });
  }

  void onRead(const beast::error_code& ec) {
    // Closed by either side, timed out, oversize (Beast has sent 1009), malformed frames.
    if (ec) return end();
    received_ = true;
    if (!ws_.got_text()) {
      readBuffer_.clear();
      beginClose(1003, "binary messages are not supported", true);
      return read();  // to finish the close handshake
    }
    const auto data = readBuffer_.data();
    std::string text(static_cast<const char*>(data.data()), data.size());
    readBuffer_.clear();
    if (!closing_ && session_) {
      try {
        session_->onMessage(std::move(text));
      } catch (const std::exception& e) {
        spdlog::error("WebSocket message handler failed: {}", e.what());
        beginClose(1011, "internal error", true);
      } catch (...) {
        spdlog::error("WebSocket message handler failed: unknown exception");
        beginClose(1011, "internal error", true);
      }
    }
    read();
  }

  void enqueue(std::shared_ptr<const std::string> frame) {
    if (closing_ || ended_) return;
    if constexpr (kDirect) {
      if (!writing_ && queue_.empty() && sendDirect(*frame)) return;
    }
    queuedBytes_ += frame->size();
    if (queuedBytes_ > state_->options.maxWsQueuedBytes) {
      queuedBytes_ -= frame->size();
      spdlog::warn("WebSocket client {} reads too slowly; closing", remoteAddress_);
      return beginClose(1008, "client too slow", true);
    }
    queue_.push_back(std::move(frame));
    if (!writing_ && !pinging_) writeNext();
  }

  /// The fast path of one event to thousands of desktops (plain TCP only): when nothing is
  /// being written, the frame goes straight to the kernel in one sendmsg, without Beast's
  /// write operation. True when the frame is dealt with (sent, or the connection ended); false
  /// when it must take Beast's path.
  ///
  /// Why this cannot interleave with a frame Beast writes: our own writes through Beast (data,
  /// keep-alive pings, the close) are known (writing_, pinging_, closing); Beast writes by
  /// itself only the pong to a client's ping and the reply to a client's close. After a close
  /// nothing goes direct. For a client that pings, a Beast pong left half done means a full
  /// send buffer, so SIOCOUTQ is not 0 and Beast's path is taken; a pong not yet started lands
  /// whole after this frame. A frame of at most kDirectFrameLimit is accepted whole by a
  /// send buffer with room; should the kernel ever take part of it, the connection is closed
  /// rather than continued out of step, and the client resumes by sequence number.
  bool sendDirect(const std::string& payload) {
    constexpr std::size_t kDirectFrameLimit = 8192;
    if (payload.size() > kDirectFrameLimit || pinging_ || peerClosing_) return false;
    const int fd = beast::get_lowest_layer(ws_).native_handle();
    // Only a client that pings (browsers do not) makes Beast write pongs we cannot see end:
    // for it the kernel is asked whether anything is still unsent.
    int unsent = 0;
    if (peerPings_ && (::ioctl(fd, SIOCOUTQ, &unsent) != 0 || unsent != 0)) return false;
    // Server frames are unmasked: FIN + text, then the length (RFC 6455 section 5.2).
    std::array<unsigned char, 4> header{0x81, 0, 0, 0};
    std::size_t headerBytes = 2;
    if (payload.size() < 126) {
      header[1] = static_cast<unsigned char>(payload.size());
    } else {
      header[1] = 126;
      header[2] = static_cast<unsigned char>(payload.size() >> 8);
      header[3] = static_cast<unsigned char>(payload.size() & 0xff);
      headerBytes = 4;
    }
    std::array<iovec, 2> parts{iovec{header.data(), headerBytes},
                               iovec{const_cast<char*>(payload.data()), payload.size()}};
    msghdr message{};
    message.msg_iov = parts.data();
    message.msg_iovlen = parts.size();
    const ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent == static_cast<ssize_t>(headerBytes + payload.size())) return true;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
    if (sent >= 0) {
      spdlog::warn("WebSocket client {}: a frame was only partly accepted; closing",
                   remoteAddress_);
    }
    end();  // the peer is gone, or the stream cannot continue
    return true;
  }

  void writeNext() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(*queue_.front()),
                    [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
                      self->onWrite(ec);
                    });
  }

  void onWrite(const beast::error_code& ec) {
    writing_ = false;
    queuedBytes_ -= queue_.front()->size();
    queue_.pop_front();
    if (ec) return end();
    if (ended_) {
      queue_.clear();
      queuedBytes_ = 0;
      return;
    }
    if (!queue_.empty()) return writeNext();
    maybeSendClose();
  }

  /// Starts closing with `code`: frames queued before are sent first unless `discardQueue`.
  void beginClose(int code, std::string reason, bool discardQueue) {
    if (closing_ || ended_) return;
    if (!accepted_) return end();  // still in the handshake: nothing to close politely
    closing_ = true;
    closeCode_ = sanitizeCloseCode(code);
    closeReason_ = truncateCloseReason(std::move(reason));
    if (discardQueue) {
      // The frame being written stays: its buffer is in use.
      while (queue_.size() > (writing_ ? 1u : 0u)) {
        queuedBytes_ -= queue_.back()->size();
        queue_.pop_back();
      }
    }
    // A peer that never answers (or never reads) is cut off after a while.
    closeTimer_.expires_after(kLingerTimeout + std::chrono::seconds(3));
    closeTimer_.async_wait([self = this->shared_from_this()](const beast::error_code& ec) {
      if (!ec) self->end();
    });
    maybeSendClose();
  }

  void maybeSendClose() {
    if (!closing_ || closeSent_ || writing_ || pinging_ || !queue_.empty() || ended_) return;
    closeSent_ = true;
    ws_.async_close(
        websocket::close_reason(static_cast<websocket::close_code>(closeCode_), closeReason_),
        [self = this->shared_from_this()](const beast::error_code&) {
          // Beast tore the connection down (or failed to); the pending read
          // completes too, end() runs once.
          self->end();
        });
  }

  /// The connection is over: tell the application and leave the registry.
  void end() {
    if (ended_) return;
    ended_ = true;
    closeTimer_.cancel();
    keepAliveTimer_.cancel();
    beast::get_lowest_layer(ws_).close();
    if (!writing_) {
      queue_.clear();
      queuedBytes_ = 0;
    }
    notifyClosed();
    state_->remove(this);
  }

  void notifyClosed() {
    if (closeNotified_) return;
    closeNotified_ = true;
    if (!session_) return;
    auto session = std::move(session_);
    try {
      session->onClose();
    } catch (const std::exception& e) {
      spdlog::error("WebSocket close handler failed: {}", e.what());
    } catch (...) {
      spdlog::error("WebSocket close handler failed: unknown exception");
    }
  }

  std::shared_ptr<TransportState> state_;
  websocket::stream<Stream> ws_;
  Executor executor_;
  std::shared_ptr<ssl::context> context_;
  std::string remoteAddress_;
  asio::steady_timer closeTimer_;
  asio::steady_timer keepAliveTimer_;  ///< direct path: keepAlive()
  std::shared_ptr<WsSession> session_;
  beast::flat_buffer readBuffer_;
  /// Frames to send, often shared with other connections; front() is being written when
  /// writing_.
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::size_t queuedBytes_ = 0;
  bool accepted_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool closeSent_ = false;
  bool ended_ = false;
  bool closeNotified_ = false;
  // Direct path (sendDirect, keepAlive).
  static constexpr bool kDirect = std::is_same_v<Stream, Socket>;
  bool pinging_ = false;      ///< our keep-alive ping is being written by Beast
  bool peerPings_ = false;    ///< the client has sent a ping: Beast writes pongs by itself
  bool peerClosing_ = false;  ///< the client has sent a close: Beast answers it
  bool received_ = false;     ///< anything arrived since keepAlive() last looked
  int silentTicks_ = 0;
  std::uint16_t closeCode_ = 1000;
  std::string closeReason_;
};

template <class Stream>
void startWebSocketConnection(const std::shared_ptr<TransportState>& state, Stream stream,
                              std::shared_ptr<ssl::context> context, BeastRequest request,
                              WsAccept accept, std::string remoteAddress) {
  auto connection = std::make_shared<WebSocketConnection<Stream>>(
      state, std::move(stream), std::move(context), std::move(remoteAddress));
  // The HTTP connection it replaces was counted; no limit here. Refused only when stopping.
  if (!state->add(connection, static_cast<std::size_t>(-1))) return;
  connection->start(std::move(request), std::move(accept));
}

}  // namespace bankcc::api::transport_detail
