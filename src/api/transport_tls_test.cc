// SPDX-License-Identifier: Apache-2.0
// TLS: certificates made by the openssl command in a temporary directory; clients are Asio's
// SSL stream without verification.
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including it

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "api/transport.h"
#include "support/test_env.h"

namespace bankcc::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

/// Writes a self-signed P-256 certificate and its key as DIR/NAME.crt and DIR/NAME.key.
bool makeCertificate(const fs::path& dir, const std::string& name, const std::string& cn) {
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=" +
      cn + " -keyout '" + (dir / (name + ".key")).string() + "' -out '" +
      (dir / (name + ".crt")).string() + "' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

class EchoApp : public HttpApplication {
 public:
  void handle(Request request, std::function<void(Response)> done) override {
    done(Response{200,
                  "text/plain",
                  request.method + " " + request.target + (request.secure ? " secure" : " plain"),
                  {}});
  }
  std::variant<Response, WsAccept> upgrade(const Request&) override {
    return WsAccept{[](std::shared_ptr<WsConnection> connection) {
      struct Echo : WsSession {
        std::shared_ptr<WsConnection> connection;
        void onMessage(std::string text) override { connection->send("echo:" + text); }
        void onClose() override {}
      };
      auto session = std::make_shared<Echo>();
      session->connection = std::move(connection);
      return session;
    }};
  }
};

class TransportTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(std::system("openssl version >/dev/null 2>&1"), 0)
        << "the openssl command is missing";
    ASSERT_TRUE(makeCertificate(dir_.path(), "first", "first.test"));
    ASSERT_TRUE(makeCertificate(dir_.path(), "second", "second.test"));
    // The transport's configured files; tests overwrite them before reloadTls().
    fs::copy_file(dir_.path() / "first.crt", certFile());
    fs::copy_file(dir_.path() / "first.key", keyFile());
  }

  fs::path certFile() const { return dir_.path() / "server.crt"; }
  fs::path keyFile() const { return dir_.path() / "server.key"; }

  TransportOptions tlsOptions() const {
    TransportOptions options;
    options.port = 0;
    options.threads = 2;
    options.tlsCertFile = certFile();
    options.tlsKeyFile = keyFile();
    return options;
  }

  testing::TempDir dir_{"transport-tls"};
  EchoApp app_;
};

/// An HTTPS connection that does not verify the server.
class TlsClient {
 public:
  explicit TlsClient(const std::string& bound) : context_(ssl::context::tls_client) {
    context_.set_verify_mode(ssl::verify_none);
    stream_.emplace(io_, context_);
    auto parsed = parseListenAddress(bound);
    EXPECT_TRUE(parsed.ok());
    stream_->next_layer().connect(
        tcp::endpoint(asio::ip::make_address(parsed->first), parsed->second));
    stream_->handshake(ssl::stream_base::client);
  }

  http::response<http::string_body> get(const std::string& target) {
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "localhost");
    http::write(*stream_, request);
    http::response<http::string_body> response;
    http::read(*stream_, buffer_, response);
    return response;
  }

  /// The common name of the server's certificate.
  std::string peerCommonName() {
    X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
    if (!cert) return {};
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }

 private:
  asio::io_context io_;
  ssl::context context_;
  std::optional<ssl::stream<tcp::socket>> stream_;
  beast::flat_buffer buffer_;
};

std::unique_ptr<Transport> startOrDie(const TransportOptions& options, HttpApplication& app) {
  auto transport = Transport::start(options, app);
  if (!transport.ok()) ADD_FAILURE() << transport.error().describe();
  return std::move(transport).value();
}

TEST_F(TransportTlsTest, HttpsRequestsCarryHsts) {
  auto transport = startOrDie(tlsOptions(), app_);
  EXPECT_TRUE(transport->tls());
  TlsClient client(transport->boundAddress());
  EXPECT_EQ(client.peerCommonName(), "first.test");
  for (const char* target : {"/one", "/two"}) {  // keep-alive over TLS
    auto response = client.get(target);
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_EQ(response.body(), std::string("GET ") + target + " secure");
    EXPECT_EQ(response[http::field::strict_transport_security],
              "max-age=31536000; includeSubDomains");
    EXPECT_EQ(response["X-Content-Type-Options"], "nosniff");
  }
}

TEST_F(TransportTlsTest, MismatchedKeyIsValidationFailed) {
  auto options = tlsOptions();
  options.tlsKeyFile = dir_.path() / "second.key";
  auto transport = Transport::start(options, app_);
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(transport.error().code, base::Errc::ValidationFailed);
  EXPECT_NE(transport.error().message.find("second.key"), std::string::npos)
      << transport.error().message;
}

TEST_F(TransportTlsTest, MissingOrBrokenFilesAreValidationFailed) {
  auto options = tlsOptions();
  options.tlsCertFile = dir_.path() / "missing.crt";
  auto missing = Transport::start(options, app_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, base::Errc::ValidationFailed);
  EXPECT_NE(missing.error().message.find("missing.crt"), std::string::npos);

  std::ofstream(dir_.path() / "garbage.key") << "not a key\n";
  options = tlsOptions();
  options.tlsKeyFile = dir_.path() / "garbage.key";
  auto garbage = Transport::start(options, app_);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, base::Errc::ValidationFailed);
  EXPECT_NE(garbage.error().message.find("garbage.key"), std::string::npos);
}

TEST_F(TransportTlsTest, ReloadTlsServesTheNewCertificateToNewConnections) {
  auto transport = startOrDie(tlsOptions(), app_);
  TlsClient before(transport->boundAddress());
  EXPECT_EQ(before.peerCommonName(), "first.test");

  fs::copy_file(dir_.path() / "second.crt", certFile(), fs::copy_options::overwrite_existing);
  fs::copy_file(dir_.path() / "second.key", keyFile(), fs::copy_options::overwrite_existing);
  ASSERT_TRUE(transport->reloadTls().ok());
  TlsClient after(transport->boundAddress());
  EXPECT_EQ(after.peerCommonName(), "second.test");
  EXPECT_EQ(after.get("/x").result_int(), 200);
  EXPECT_EQ(before.get("/still").result_int(), 200);  // open connections keep theirs

  // A broken reload keeps the certificate in use.
  std::ofstream(keyFile(), std::ios::trunc) << "broken\n";
  auto failed = transport->reloadTls();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, base::Errc::ValidationFailed);
  TlsClient third(transport->boundAddress());
  EXPECT_EQ(third.peerCommonName(), "second.test");
}

TEST_F(TransportTlsTest, PlainHttpToTheTlsPortFailsCleanly) {
  auto transport = startOrDie(tlsOptions(), app_);
  auto parsed = parseListenAddress(transport->boundAddress());
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(parsed->second);
  ::inet_pton(AF_INET, parsed->first.c_str(), &sa.sin_addr);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  std::string request = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[1024];
  ssize_t n;
  std::string received;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) received.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(received.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_TRUE(n == 0 || errno == ECONNRESET) << "the server should close the connection";
  ::close(fd);

  TlsClient client(transport->boundAddress());
  EXPECT_EQ(client.get("/fine").result_int(), 200);
}

TEST_F(TransportTlsTest, SecureWebSocketEcho) {
  auto transport = startOrDie(tlsOptions(), app_);
  asio::io_context io;
  ssl::context context(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_none);
  websocket::stream<beast::ssl_stream<tcp::socket>> ws(io, context);
  auto parsed = parseListenAddress(transport->boundAddress());
  beast::get_lowest_layer(ws).connect(
      tcp::endpoint(asio::ip::make_address(parsed->first), parsed->second));
  ws.next_layer().handshake(ssl::stream_base::client);
  ws.handshake("localhost", "/ws");
  ws.write(asio::buffer(std::string("over tls")));
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "echo:over tls");
  ws.close(websocket::close_code::normal);
}

}  // namespace
}  // namespace bankcc::api
