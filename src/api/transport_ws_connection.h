// SPDX-License-Identifier: Apache-2.0
#pragma once

// The WebSocket connection of the transport (transport_internal.h has the rest): Beast's
// stream for the handshake, reads and control frames; data frames queued and written one at a
// time, or on plain TCP straight to an idle socket (sendDirect). Included by the two files that
// instantiate it (transport_ws_plain.cc, transport_ws_tls.cc).

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

#include "api/transport_internal.h"

namespace bankcc::api::transport_detail {

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
