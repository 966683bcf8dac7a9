// SPDX-License-Identifier: Apache-2.0
#include "server/http_server.h"

#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including it

#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

namespace bankcc::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string errorBody(std::string_view code, std::string_view message) {
  // Codes and messages here are fixed strings of ours: no escaping needed.
  return fmt::format(R"({{"error":{{"code":"{}","message":"{}"}}}})", code, message);
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::map<std::string, HttpHandler>& routes,
          const HttpServerOptions& options)
      : stream_(std::move(socket)), routes_(routes), options_(options) {}

  void start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::read, shared_from_this()));
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(options_.maxBodyBytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(options_.readTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::onRead, shared_from_this()));
  }

  void onRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return shutdown();
    }
    if (ec == http::error::body_limit) {
      return respond(413, errorBody("payload_too_large", "request body too large"), false);
    }
    if (ec) {
      // Malformed HTTP from a client: answer 400 once and close.
      return respond(400, errorBody("bad_request", "malformed HTTP request"), false);
    }
    auto req = parser_->release();
    HttpRequest in;
    in.method = std::string(req.method_string());
    in.target = std::string(req.target());
    in.path = in.target.substr(0, in.target.find('?'));
    in.body = std::move(req.body());
    HttpResponse out;
    auto it = routes_.find(in.path);
    if (it == routes_.end()) {
      out = {404, "application/json", errorBody("not_found", "no such path")};
    } else if (in.method != "GET" && in.method != "HEAD") {
      out = {405, "application/json", errorBody("bad_request", "method not allowed")};
    } else {
      try {
        out = it->second(in);
      } catch (const std::exception& e) {
        spdlog::error("http handler for {} failed: {}", in.path, e.what());
        out = {500, "application/json", errorBody("internal", "internal error")};
      }
    }
    respond(out.status, std::move(out.body), req.keep_alive(), out.contentType,
            in.method == "HEAD");
  }

  void respond(int status, std::string body, bool keepAlive,
               const std::string& contentType = "application/json", bool headOnly = false) {
    auto res =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    res->set(http::field::server, "bankcc");
    res->set(http::field::content_type, contentType);
    res->set(http::field::cache_control, "no-store");
    res->keep_alive(keepAlive);
    const auto size = body.size();
    if (!headOnly) res->body() = std::move(body);
    res->prepare_payload();
    if (headOnly) res->content_length(size);
    stream_.expires_after(options_.readTimeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keepAlive](beast::error_code ec, std::size_t) {
          if (ec || !keepAlive) return self->shutdown();
          self->read();
        });
  }

  void shutdown() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const std::map<std::string, HttpHandler>& routes_;
  const HttpServerOptions& options_;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  std::map<std::string, HttpHandler> routes;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  std::string bound;

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted)
          spdlog::warn("http accept failed: {}", ec.message());
        if (!acceptor.is_open()) return;
      } else {
        std::make_shared<Session>(std::move(socket), routes, options)->start();
      }
      accept();
    });
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  stop();
}

base::Result<std::unique_ptr<HttpServer>> HttpServer::start(
    const HttpServerOptions& options, std::map<std::string, HttpHandler> routes) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->routes = std::move(routes);
  beast::error_code ec;
  auto addr = asio::ip::make_address(options.address, ec);
  if (ec) {
    return base::err(base::Errc::BadRequest,
                     fmt::format("'{}' is not an IP address", options.address));
  }
  tcp::endpoint endpoint{addr, options.port};
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return base::err(base::Errc::Unavailable,
                     fmt::format("cannot listen for HTTP on {}:{}: {}", options.address,
                                 options.port, ec.message()));
  }
  auto local = impl->acceptor.local_endpoint();
  impl->bound = local.address().is_v6()
                    ? fmt::format("[{}]:{}", local.address().to_string(), local.port())
                    : fmt::format("{}:{}", local.address().to_string(), local.port());
  impl->accept();
  const int n = std::max(1, options.threads);
  for (int i = 0; i < n; ++i) {
    impl->threads.emplace_back([io = &impl->io] { io->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::string HttpServer::boundAddress() const {
  return impl_->bound;
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  // Stopping the io_context abandons open connections; their handlers (and sessions) are
  // destroyed with the context, before the routes they refer to.
  impl_->io.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
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

}  // namespace bankcc::server
