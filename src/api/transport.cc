// SPDX-License-Identifier: Apache-2.0
// The Transport itself: listening socket, io threads, TLS contexts, the connection registry and
// the stop sequence. Connections live in transport_internal.h.
#include "api/transport.h"

#include "api/transport_internal.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <thread>

#include "base/assert.h"
#include "base/log.h"

namespace bankcc::api {

using namespace transport_detail;  // NOLINT: the private half of this file's own module

namespace {

/// Mozilla's "intermediate" TLS 1.2 suites (forward secrecy, AEAD only). TLS 1.3 suites are
/// OpenSSL's defaults, which are all fine.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

base::Result<std::shared_ptr<ssl::context>> loadTlsContext(const std::filesystem::path& cert,
                                                           const std::filesystem::path& key) {
  auto fail = [](std::string message) {
    ERR_clear_error();  // leave this thread's OpenSSL error queue clean
    return base::err(base::Errc::ValidationFailed, std::move(message));
  };
  if (cert.empty() || key.empty()) {
    return fail("TLS needs both a certificate file and a key file");
  }
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return fail("the TLS cipher list was refused by OpenSSL");
  }
  beast::error_code ec;
  context->use_certificate_chain_file(cert.string(), ec);
  if (ec) {
    return fail(
        fmt::format("cannot load the TLS certificate chain {}: {}", cert.string(), ec.message()));
  }
  context->use_private_key_file(key.string(), ssl::context::pem, ec);
  if (ec) {
    return fail(fmt::format("cannot load the TLS key {} (for certificate {}): {}", key.string(),
                            cert.string(), ec.message()));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return fail(fmt::format("the TLS key {} does not match the certificate {}", key.string(),
                            cert.string()));
  }
  return context;
}

}  // namespace

// --- TransportState (declared in transport_internal.h) ---------------------------------------

namespace transport_detail {

void TransportState::closeGate() {
  stopped_.store(true, std::memory_order_seq_cst);
  // Those inside only lock a weak_ptr and post: this is a short wait.
  while (inflight_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
}

bool TransportState::add(std::shared_ptr<Connection> connection, std::size_t limit) {
  std::lock_guard lock(mutex_);
  if (stopping_ || connections_.size() >= limit) return false;
  Connection* key = connection.get();
  connections_.emplace(key, std::move(connection));
  return true;
}

void TransportState::remove(Connection* connection) {
  std::shared_ptr<Connection> last;  // released outside the lock
  std::lock_guard lock(mutex_);
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  last = std::move(it->second);
  connections_.erase(it);
  if (stopping_ && connections_.empty()) drained_.notify_all();
}

void TransportState::shutdownAll() {
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    all.reserve(connections_.size());
    for (auto& [key, connection] : connections_) all.push_back(connection);
  }
  for (auto& connection : all) connection->shutdown();
}

void TransportState::waitDrained(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  drained_.wait_for(lock, timeout, [this] { return connections_.empty(); });
}

std::vector<std::shared_ptr<Connection>> TransportState::takeAll() {
  std::vector<std::shared_ptr<Connection>> all;
  std::lock_guard lock(mutex_);
  all.reserve(connections_.size());
  for (auto& [key, connection] : connections_) all.push_back(std::move(connection));
  connections_.clear();
  return all;
}

}  // namespace transport_detail

// --- Transport ---------------------------------------------------------------------------------

struct Transport::Impl {
  std::shared_ptr<TransportState> state;
  // stop() destroys them, in this order, before it returns: acceptor and timer first, then
  // the io_contexts with every handler (and connection) still queued in them.
  // One io_context per io thread, each run by its thread alone: a connection lives on one of
  // them (round robin at accept), so the threads never contend for one scheduler's lock. That
  // lock's waits and wake-ups cost more than the request itself on a 2-core VM.
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::size_t nextIo = 0;  ///< on the acceptor's thread
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> acceptRetry;
  std::vector<std::thread> threads;
  std::string bound;
  bool tls = false;

  mutable std::mutex tlsMutex;
  std::shared_ptr<ssl::context> tlsContext;  ///< for new connections; guarded by tlsMutex

  std::mutex stopMutex;
  bool stopped = false;  ///< guarded by stopMutex

  /// Accepts the next connection. On the acceptor's thread (or before the threads start).
  void accept() {
    auto& io = *ios[nextIo++ % ios.size()];
    acceptor->async_accept(io.get_executor(), [this](const beast::error_code& ec, Socket socket) {
      onAccept(ec, std::move(socket));
    });
  }

  void onAccept(const beast::error_code& ec, Socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (ec) {
      spdlog::warn("HTTP accept failed: {}", ec.message());
      if (ec == asio::error::connection_aborted) return accept();
      // Out of descriptors or memory: retrying at once would spin.
      acceptRetry->expires_after(std::chrono::milliseconds(100));
      acceptRetry->async_wait([this](const beast::error_code& waitEc) {
        if (!waitEc && acceptor->is_open()) accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::string remote = remoteAddressOf(socket);
    if (tls) {
      std::shared_ptr<ssl::context> context;
      {
        std::lock_guard lock(tlsMutex);
        context = tlsContext;
      }
      startTlsConnection(state, std::move(socket), std::move(context), std::move(remote));
    } else {
      startPlainConnection(state, std::move(socket), std::move(remote));
    }
    accept();
  }
};

Transport::Transport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Transport::~Transport() {
  stop();
}

base::Result<std::unique_ptr<Transport>> Transport::start(const TransportOptions& options,
                                                          HttpApplication& application) {
  auto impl = std::make_unique<Impl>();
  impl->state = std::make_shared<TransportState>(options, application);

  beast::error_code ec;
  auto address = asio::ip::make_address(options.address, ec);
  if (ec) {
    return base::err(base::Errc::BadRequest,
                     fmt::format("'{}' is not an IP address", options.address));
  }
  if (!options.tlsCertFile.empty() || !options.tlsKeyFile.empty()) {
    auto context = loadTlsContext(options.tlsCertFile, options.tlsKeyFile);
    if (!context.ok()) return std::move(context).error();
    impl->tls = true;
    impl->tlsContext = std::move(context).value();
  }

  const int threads = std::max(1, options.threads);
  for (int i = 0; i < threads; ++i) {
    impl->ios.push_back(std::make_unique<asio::io_context>(1));  // 1: one thread runs it
  }
  impl->acceptor.emplace(impl->ios.front()->get_executor());
  tcp::endpoint endpoint{address, options.port};
  auto& acceptor = *impl->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return base::err(base::Errc::Unavailable,
                     fmt::format("cannot listen for HTTP on {}:{}: {}", options.address,
                                 options.port, ec.message()));
  }
  auto local = acceptor.local_endpoint();
  impl->bound = local.address().is_v6()
                    ? fmt::format("[{}]:{}", local.address().to_string(), local.port())
                    : fmt::format("{}:{}", local.address().to_string(), local.port());
  impl->acceptRetry.emplace(acceptor.get_executor());
  for (auto& io : impl->ios) impl->work.emplace_back(io->get_executor());
  impl->accept();  // no io thread runs yet

  impl->threads.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    impl->threads.emplace_back([io = impl->ios[static_cast<std::size_t>(i)].get(), i] {
      base::setThreadName(fmt::format("http-{}", i + 1));
      for (;;) {
        try {
          io->run();
          return;
        } catch (const std::exception& e) {
          // A handler let an exception escape (e.g. bad_alloc): keep serving the others.
          spdlog::error("uncaught exception on an HTTP io thread: {}", e.what());
        }
      }
    });
  }
  return std::unique_ptr<Transport>(new Transport(std::move(impl)));
}

std::string Transport::boundAddress() const {
  return impl_->bound;  // immutable after start()
}

bool Transport::tls() const {
  return impl_->tls;
}

base::Status Transport::reloadTls() {
  if (!impl_->tls) return {};  // nothing to reload
  const auto& options = impl_->state->options;
  auto context = loadTlsContext(options.tlsCertFile, options.tlsKeyFile);
  if (!context.ok()) return std::move(context).error();
  std::lock_guard lock(impl_->tlsMutex);
  impl_->tlsContext = std::move(context).value();
  return {};
}

void Transport::stop() {
  if (!impl_) return;
  Impl& impl = *impl_;
  std::lock_guard lock(impl.stopMutex);
  if (impl.stopped) return;
  impl.stopped = true;
  for (const auto& thread : impl.threads) {
    // Joining itself would deadlock: stop() is for threads outside the transport.
    BANKCC_RELEASE_ASSERT(thread.get_id() != std::this_thread::get_id(),
                          "Transport::stop() called on an io thread");
  }

  // 1. No new connections; every open one closes (WebSockets send 1001 and get a moment for
  //    the close handshake).
  asio::post(impl.acceptor->get_executor(), [&impl] {
    beast::error_code ignored;
    impl.acceptor->close(ignored);
    impl.acceptRetry->cancel();
  });
  impl.state->shutdownAll();
  impl.state->waitDrained(std::chrono::milliseconds(1000));

  // 2. Nothing from outside (done callbacks, WsConnection::send) reaches a connection any more.
  impl.state->closeGate();

  // 3. No io thread runs any more: no handler, no callback into the application.
  impl.work.clear();
  for (auto& io : impl.ios) io->stop();
  for (auto& thread : impl.threads) {
    if (thread.joinable()) thread.join();
  }

  // 4. Release the application's objects (WebSocket sessions get onClose), then every socket
  //    and queued handler while the io_context still exists.
  for (auto& connection : impl.state->takeAll()) connection->abandon();
  impl.acceptRetry.reset();
  impl.acceptor.reset();
  impl.ios.clear();
}

base::Result<std::pair<std::string, unsigned short>> parseListenAddress(const std::string& text) {
  auto bad = [&] {
    return base::err(
        base::Errc::BadRequest,
        fmt::format("'{}' is not ADDR:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)", text));
  };
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad();
  std::string host = text.substr(0, colon);
  std::string portText = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (portText.empty() || portText.size() > 5) return bad();
  unsigned long port = 0;
  for (char c : portText) {
    if (c < '0' || c > '9') return bad();
    port = port * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port > 65535) return bad();
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) return bad();
  return std::make_pair(host, static_cast<unsigned short>(port));
}

}  // namespace bankcc::api
