// SPDX-License-Identifier: Apache-2.0
#include "server/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace bankcc::server {
namespace {

/// Sends `request` raw to host:port and returns everything the server answers until it
/// closes the connection (or 5 s of silence).
std::string exchange(const std::string& address, const std::string& request) {
  auto parsed = parseListenAddress(address);
  EXPECT_TRUE(parsed.ok());
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(parsed->second);
  ::inet_pton(AF_INET, parsed->first.c_str(), &sa.sin_addr);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::unique_ptr<HttpServer> startServer(std::size_t maxBody = 1 << 20) {
  HttpServerOptions options;
  options.port = 0;
  options.maxBodyBytes = maxBody;
  std::map<std::string, HttpHandler> routes;
  routes["/hello"] = [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", "hello " + r.target};
  };
  routes["/boom"] = [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("x"); };
  auto server = HttpServer::start(options, routes);
  EXPECT_TRUE(server.ok());
  return std::move(server).value();
}

TEST(HttpServerTest, ServesARouteOnAnEphemeralPort) {
  auto server = startServer();
  EXPECT_NE(server->boundAddress(), "127.0.0.1:0");
  auto reply = exchange(server->boundAddress(),
                        "GET /hello?x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK", 0), 0u) << reply;
  EXPECT_NE(reply.find("hello /hello?x=1"), std::string::npos) << reply;
}

TEST(HttpServerTest, UnknownPathIs404WithErrorBody) {
  auto server = startServer();
  auto reply = exchange(server->boundAddress(),
                        "GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 404", 0), 0u) << reply;
  EXPECT_NE(reply.find(R"("code":"not_found")"), std::string::npos) << reply;
}

TEST(HttpServerTest, MalformedRequestGets400NotACrash) {
  auto server = startServer();
  auto reply = exchange(server->boundAddress(), "GARBAGE\x01\x02 nonsense\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  // The server still works afterwards.
  reply = exchange(server->boundAddress(),
                   "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
}

TEST(HttpServerTest, OversizedBodyGets413) {
  auto server = startServer(16);
  std::string body(100, 'x');
  auto reply = exchange(server->boundAddress(),
                        "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + body);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
}

TEST(HttpServerTest, HandlerExceptionBecomes500) {
  auto server = startServer();
  auto reply = exchange(server->boundAddress(),
                        "GET /boom HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 500", 0), 0u) << reply;
}

TEST(HttpServerTest, PortInUseIsAClearError) {
  auto first = startServer();
  auto parsed = parseListenAddress(first->boundAddress());
  HttpServerOptions options;
  options.port = parsed->second;
  auto second = HttpServer::start(options, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, base::Errc::Unavailable);
  EXPECT_NE(second.error().message.find("cannot listen"), std::string::npos);
}

TEST(ListenAddressTest, ParsesAndRejects) {
  EXPECT_EQ(parseListenAddress("127.0.0.1:0")->second, 0);
  EXPECT_EQ(parseListenAddress("[::1]:8080")->first, "::1");
  EXPECT_FALSE(parseListenAddress("localhost").ok());
  EXPECT_FALSE(parseListenAddress("127.0.0.1:99999").ok());
  EXPECT_FALSE(parseListenAddress("127.0.0.1:8x").ok());
  EXPECT_FALSE(parseListenAddress("example.com:80").ok());
}

}  // namespace
}  // namespace bankcc::server
