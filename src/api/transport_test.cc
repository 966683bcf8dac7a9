// SPDX-License-Identifier: Apache-2.0
// HTTP/1.1 over real sockets on 127.0.0.1: keep-alive, limits, timeouts, errors, headers.
// The client is raw POSIX sockets so that tests send exactly the bytes they mean.
#include "api/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bankcc::api {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
  std::string body;

  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return {};
  }
  int count(const std::string& name) const {
    int n = 0;
    for (const auto& h : headers) n += h.first == name ? 1 : 0;
    return n;
  }
};

/// A blocking TCP client that sends exact bytes and parses responses by Content-Length.
class RawClient {
 public:
  explicit RawClient(const std::string& bound) {
    auto parsed = parseListenAddress(bound);
    EXPECT_TRUE(parsed.ok());
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(parsed->second);
    ::inet_pton(AF_INET, parsed->first.c_str(), &sa.sin_addr);
    setTimeout(5000ms);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    EXPECT_TRUE(connected_);
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// One response; nullopt when the connection ends (or 5 s pass) before a whole one arrived.
  std::optional<HttpReply> readResponse(bool head = false) {
    std::size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    HttpReply reply;
    std::string headText = pending_.substr(0, end);
    pending_.erase(0, end + 4);
    std::size_t lineEnd = headText.find("\r\n");
    std::string statusLine = headText.substr(0, lineEnd);
    if (statusLine.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    reply.status = std::stoi(statusLine.substr(9, 3));
    while (lineEnd != std::string::npos) {
      std::size_t start = lineEnd + 2;
      lineEnd = headText.find("\r\n", start);
      std::string line = headText.substr(
          start, lineEnd == std::string::npos ? std::string::npos : lineEnd - start);
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      reply.headers.emplace_back(name, value);
    }
    std::size_t length = 0;
    if (auto cl = reply.header("content-length"); !cl.empty()) length = std::stoul(cl);
    if (head) length = 0;
    while (pending_.size() < length) {
      if (!fill()) return std::nullopt;
    }
    reply.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return reply;
  }

  /// True when the server ends the connection (EOF or reset) within `timeout`; data that
  /// arrives meanwhile is collected in leftover().
  bool closedWithin(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    setTimeout(100ms);
    char buf[4096];
    while (Clock::now() < deadline) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (n < 0) return true;
      pending_.append(buf, static_cast<std::size_t>(n));
    }
    return false;
  }

  const std::string& leftover() const { return pending_; }

 private:
  bool fill() {
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  void setTimeout(std::chrono::milliseconds t) {
    timeval tv{static_cast<time_t>(t.count() / 1000),
               static_cast<suseconds_t>((t.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

/// Echoes the request as JSON; a few paths misbehave on purpose.
class TestApp : public HttpApplication {
 public:
  ~TestApp() override {
    std::lock_guard lock(mutex_);
    for (auto& t : threads_) t.join();
  }

  void handle(Request request, std::function<void(Response)> done) override {
    ++handled;
    if (request.path == "/throw") throw std::runtime_error("handler failed on purpose");
    if (request.path == "/later") {
      std::lock_guard lock(mutex_);
      threads_.emplace_back([done = std::move(done)] {
        std::this_thread::sleep_for(50ms);
        done(Response{200, "text/plain", "answered later", {}});
      });
      return;
    }
    if (request.path == "/hold") {
      std::lock_guard lock(mutex_);
      held_ = std::move(done);
      return;
    }
    if (request.path == "/twice") {
      done(Response{200, "text/plain", "first", {}});
      throw std::runtime_error("threw after answering");
    }
    Response response;
    if (request.path == "/cache") response.headers.emplace_back("Cache-Control", "max-age=60");
    if (request.path == "/close") response.headers.emplace_back("Connection", "close");
    if (request.path == "/evil") {
      response.headers.emplace_back("X-Evil", "a\r\nInjected: yes");
      response.headers.emplace_back("X-Fine", "ok");
    }
    if (request.path == "/nocontent") {
      response.status = 204;
      response.body = "ignored";
      return done(std::move(response));
    }
    nlohmann::json headers = nlohmann::json::array();
    for (const auto& [name, value] : request.headers) headers.push_back({name, value});
    response.body = nlohmann::json{{"method", request.method}, {"target", request.target},
                                   {"path", request.path},     {"query", request.query},
                                   {"body", request.body},     {"remote", request.remoteAddress},
                                   {"secure", request.secure}, {"headers", headers}}
                        .dump();
    done(std::move(response));
  }

  std::variant<Response, WsAccept> upgrade(const Request&) override {
    return errorResponse(404, "not_found", "no WebSocket here");
  }

  std::function<void(Response)> takeHeld() {
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock(mutex_);
        if (held_) return std::move(held_);
      }
      std::this_thread::sleep_for(10ms);
    }
    return {};
  }

  std::atomic<int> handled{0};

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::function<void(Response)> held_;
};

TransportOptions testOptions() {
  TransportOptions options;
  options.port = 0;
  options.threads = 2;
  return options;
}

std::unique_ptr<Transport> startOrDie(const TransportOptions& options, HttpApplication& app) {
  auto transport = Transport::start(options, app);
  if (!transport.ok()) ADD_FAILURE() << transport.error().describe();
  return std::move(transport).value();
}

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

nlohmann::json bodyJson(const HttpReply& reply) {
  return nlohmann::json::parse(reply.body, nullptr, false);
}

TEST(TransportTest, KeepAliveServesTwoRequestsOnOneConnection) {
  TestApp app;
  auto transport = startOrDie(testOptions(), app);
  EXPECT_NE(transport->boundAddress(), "127.0.0.1:0");
  EXPECT_FALSE(transport->tls());
  RawClient client(transport->boundAddress());
  ASSERT_TRUE(client.send(get("/one?x=1&y=2", "X-Test: A\r\nx-test: b\r\n")));
  auto first = client.readResponse();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  auto json = bodyJson(*first);
  EXPECT_EQ(json["method"], "GET");
  EXPECT_EQ(json["target"], "/one?x=1&y=2");
  EXPECT_EQ(json["path"], "/one");
  EXPECT_EQ(json["query"], "x=1&y=2");
  EXPECT_EQ(json["remote"], "127.0.0.1");
  EXPECT_EQ(json["secure"], false);
  // Names lower-cased, in arrival order, repeated fields kept.
  EXPECT_EQ(json["headers"].dump(), R"([["host","t"],["x-test","A"],["x-test","b"]])");
  EXPECT_EQ(first->header("connection"), "");

  ASSERT_TRUE(client.send(get("/two")));
  auto second = client.readResponse();
  ASSERT_TRUE(second);
  EXPECT_EQ(bodyJson(*second)["path"], "/two");
  EXPECT_EQ(app.handled.load(), 2);
}

TEST(TransportTest, PipelinedRequestsAnswerInOrder) {
  TestApp app;
  auto transport = startOrDie(testOptions(), app);
  RawClient client(transport->boundAddress());
  ASSERT_TRUE(client.send(get("/a") + get("/b") + get("/c", "Connection: close\r\n")));
  for (const char* path : {"/a", "/b", "/c"}) {
    auto reply = client.readResponse();
    ASSERT_TRUE(reply) << path;
    EXPECT_EQ(bodyJson(*reply)["path"], path);
  }
  EXPECT_TRUE(client.closedWithin(5s));
}

TEST(TransportTest, PostBodyIsDelivered) {
  TestApp app;
  auto transport = startOrDie(testOptions(), app);
  RawClient client(transport->boundAddress());
  std::string body = R"({"hello":"world"})";
  ASSERT_TRUE(
      client.send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                  "Content-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body));
  auto reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(bodyJson(*reply)["body"], body);
  EXPECT_EQ(bodyJson(*reply)["method"], "POST");

  // Chunked, sent in pieces.
  ASSERT_TRUE(
      client.send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n"));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(client.send("hello\r\n6\r\n world\r\n0\r\n\r\n"));
  reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(bodyJson(*reply)["body"], "hello world");
}

TEST(TransportTest, ExpectContinueGetsA100BeforeTheBody) {
  TestApp app;
  auto options = testOptions();
  options.maxBodyBytes = 1024;
  auto transport = startOrDie(options, app);
  RawClient client(transport->boundAddress());
  ASSERT_TRUE(
      client.send("POST /p HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                  "Content-Length: 5\r\n\r\n"));
  auto interim = client.readResponse();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("hello"));
  auto reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(bodyJson(*reply)["body"], "hello");

  // Too large: refused without asking for the body.
  ASSERT_TRUE(
      client.send("POST /p HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                  "Content-Length: 5000\r\n\r\n"));
  reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
}

TEST(TransportTest, BodyOverTheLimitIs413AndCloses) {
  TestApp app;
  auto options = testOptions();
  options.maxBodyBytes = 1024;
  auto transport = startOrDie(options, app);
  RawClient client(transport->boundAddress());
  std::string body(4096, 'x');
  ASSERT_TRUE(client.send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n\r\n" + body));
  auto reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(bodyJson(*reply)["error"]["code"], "payload_too_large");
  EXPECT_EQ(reply->header("content-type"), "application/json");
  EXPECT_EQ(reply->header("connection"), "close");
  EXPECT_TRUE(client.closedWithin(5s));
  EXPECT_EQ(app.handled.load(), 0);

  // Chunked bodies count too.
  RawClient chunked(transport->boundAddress());
  std::string chunk(2000, 'y');
  ASSERT_TRUE(
      chunked.send("POST /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" +
                   chunk + "\r\n7d0\r\n" + chunk + "\r\n0\r\n\r\n"));
  reply = chunked.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_TRUE(chunked.closedWithin(5s));
}

TEST(TransportTest, HeaderFloodIs431) {
  TestApp app;
  auto transport = startOrDie(testOptions(), app);  // 16 KiB of header
  {
    RawClient client(transport->boundAddress());
    std::string request = "GET / HTTP/1.1\r\nHost: t\r\n";
    for (int i = 0; i < 2000; ++i) request += "X-H" + std::to_string(i) + ": v\r\n";
    request += "\r\n";
    client.send(request);
    auto reply = client.readResponse();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 431);
    EXPECT_EQ(bodyJson(*reply)["error"]["code"], "bad_request");
    EXPECT_TRUE(client.closedWithin(5s));
  }
  {
    RawClient client(transport->boundAddress());
    client.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n");
    auto reply = client.readResponse();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 431);
    EXPECT_TRUE(client.closedWithin(5s));
  }
  EXPECT_EQ(app.handled.load(), 0);
}

TEST(TransportTest, MalformedRequestIs400AndCloses) {
  TestApp app;
  auto transport = startOrDie(testOptions(), app);
  for (std::string bad : {std::string("GARBAGE\x01\x02 nonsense\r\n\r\n"),
                          std::string("GET /x HTTP/9.9\r\nHost: t\r\n\r\n"),
                          std::string("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
                          std::string("POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n")}) {
    RawClient client(transport->boundAddress());
    client.send(bad);
    auto reply = client.readResponse();
    ASSERT_TRUE(reply) << bad;
    EXPECT_EQ(reply->status, 400) << bad;
    EXPECT_EQ(bodyJson(*reply)["error"]["code"], "bad_request");
    EXPECT_TRUE(client.closedWithin(5s));
  }
  // Still serving.
  RawClient client(transport->boundAddress());
  client.send(get("/ok"));
  auto reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST(TransportTest, SlowlorisIsDroppedAfterTheReadTimeout) {
  TestApp app;
  auto options = testOptions();
  options.readTimeout = 1s;
  auto transport = startOrDie(options, app);
  RawClient client(transport->boundAddress());
  const std::string request = get("/slow", "X-Padding: " + std::string(200, 'p') + "\r\n");
  const auto started = Clock::now();
  bool dropped = false;
  for (char c : request) {
    if (!client.send(std::string_view(&c, 1))) {
      dropped = true;
      break;
    }
    if (client.closedWithin(200ms)) {
      dropped = true;
      break;
    }
    if (Clock::now() - started > 10s) break;
  }
  EXPECT_TRUE(dropped);
  EXPECT_LT(Clock::now() - started, 10s);
  EXPECT_EQ(app.handled.load(), 0);
}

TEST(TransportTest, IdleKeepAliveConnectionIsClosed) {
  TestApp app;
  auto options = testOptions();
  options.idleTimeout = 1s;
  auto transport = startOrDie(options, app);
  RawClient client(transport->boundAddress());
  client.send(get("/x"));
  ASSERT_TRUE(client.readResponse());
  const auto started = Clock::now();
  EXPECT_TRUE(client.closedWithin(10s));
  EXPECT_GE(Clock::now() - started, 500ms);
}

TEST(TransportTest, DoneMayBeCalledLaterFromAnotherThread) {
  TestApp app;
  auto transport = startOrDie(testOptions(), app);
  RawClient client(transport->boundAddress());
  client.send(get("/later"));
  auto reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "answered later");
  EXPECT_EQ(reply->header("content-type"), "text/plain");
  // And the connection keeps working.
  client.send(get("/after"));
  reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(bodyJson(*reply)["path"], "/after");
}

TEST(TransportTest, HandlerExceptionIs500) {
  TestApp app;
  auto transport = startOrDie(testOptions(), app);
  RawClient client(transport->boundAddress());
  client.send(get("/throw"));
  auto reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 500);
  EXPECT_EQ(bodyJson(*reply)["error"]["code"], "internal");
  // A handler that answered and then threw: one response only, then the next request.
  client.send(get("/twice") + get("/next"));
  reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, "first");
  reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(bodyJson(*reply)["path"], "/next");
}

TEST(TransportTest, EveryResponseCarriesTheSecurityHeaders) {
  TestApp app;
  auto transport = startOrDie(testOptions(), app);
  RawClient client(transport->boundAddress());
  for (const char* path : {"/plain", "/throw"}) {
    client.send(get(path));
    auto reply = client.readResponse();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->header("server"), "bankcc");
    EXPECT_EQ(reply->header("cache-control"), "no-store");
    EXPECT_EQ(reply->header("x-content-type-options"), "nosniff");
    EXPECT_EQ(reply->header("x-frame-options"), "DENY");
    EXPECT_EQ(reply->header("referrer-policy"), "no-referrer");
    EXPECT_EQ(reply->header("strict-transport-security"), "");  // plain HTTP
    EXPECT_FALSE(reply->header("date").empty());
  }
  client.send(get("/cache"));
  auto reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->header("cache-control"), "max-age=60");
  EXPECT_EQ(reply->count("cache-control"), 1);

  // A header value with CR/LF from the application is dropped, not sent.
  client.send(get("/evil"));
  reply = client.readResponse();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->header("x-evil"), "");
  EXPECT_EQ(reply->header("injected"), "");
  EXPECT_EQ(reply->header("x-fine"), "ok");
}

TEST(TransportTest, HeadSendsTheLengthButNoBody) {
  TestApp app;
  auto transport = startOrDie(testOptions(), app);
  RawClient client(transport->boundAddress());
  client.send(get("/h"));
  auto getReply = client.readResponse();
  ASSERT_TRUE(getReply);
  client.send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n");
  auto headReply = client.readResponse(/*head=*/true);
  ASSERT_TRUE(headReply);
  EXPECT_EQ(headReply->status, 200);
  // The echo differs only in the method: "HEAD" is one character longer than "GET".
  EXPECT_EQ(std::stoul(headReply->header("content-length")), getReply->body.size() + 1);
  EXPECT_TRUE(headReply->body.empty());
  // Nothing stray follows: the next response parses.
  client.send(get("/after-head"));
  auto next = client.readResponse();
  ASSERT_TRUE(next);
  EXPECT_EQ(bodyJson(*next)["path"], "/after-head");

  client.send(get("/nocontent"));
  next = client.readResponse();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 204);
  EXPECT_EQ(next->header("content-length"), "");
  EXPECT_TRUE(next->body.empty());
}

TEST(TransportTest, ConnectionCloseIsHonoured) {
  TestApp app;
  auto transport = startOrDie(testOptions(), app);
  {
    RawClient client(transport->boundAddress());
    client.send(get("/x", "Connection: close\r\n"));
    auto reply = client.readResponse();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->header("connection"), "close");
    EXPECT_TRUE(client.closedWithin(5s));
  }
  {
    // The application may end the connection too.
    RawClient client(transport->boundAddress());
    client.send(get("/close"));
    auto reply = client.readResponse();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->header("connection"), "close");
    EXPECT_TRUE(client.closedWithin(5s));
  }
  {
    // HTTP/1.0 closes unless asked to keep alive.
    RawClient client(transport->boundAddress());
    client.send("GET /old HTTP/1.0\r\n\r\n");
    auto reply = client.readResponse();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
    EXPECT_TRUE(client.closedWithin(5s));
  }
  {
    RawClient client(transport->boundAddress());
    client.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    auto reply = client.readResponse();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->header("connection"), "keep-alive");
    client.send("GET /again HTTP/1.0\r\n\r\n");
    reply = client.readResponse();
    ASSERT_TRUE(reply);
    EXPECT_EQ(bodyJson(*reply)["path"], "/again");
  }
}

TEST(TransportTest, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  TestApp app;
  auto options = testOptions();
  options.maxConnections = 2;
  auto transport = startOrDie(options, app);
  auto a = std::make_unique<RawClient>(transport->boundAddress());
  RawClient b(transport->boundAddress());
  for (RawClient* c : {a.get(), &b}) {
    c->send(get("/x"));
    ASSERT_TRUE(c->readResponse());
  }
  {
    RawClient third(transport->boundAddress());
    EXPECT_TRUE(third.closedWithin(5s));
  }
  a.reset();  // frees a slot (once the server notices)
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    RawClient again(transport->boundAddress());
    again.send(get("/x"));
    served = again.readResponse().has_value();
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

TEST(TransportTest, DoneAfterStopIsHarmless) {
  auto app = std::make_unique<TestApp>();
  auto transport = startOrDie(testOptions(), *app);
  RawClient client(transport->boundAddress());
  client.send(get("/hold"));
  auto done = app->takeHeld();
  ASSERT_TRUE(done);
  transport->stop();
  transport->stop();  // idempotent
  EXPECT_TRUE(client.closedWithin(5s));
  done(Response{200, "text/plain", "too late", {}});  // must not touch freed memory
  transport.reset();
  done = {};
}

TEST(TransportTest, DoneFromAThreadRacingStop) {
  // Many answers arrive from another thread while the transport stops: none may crash.
  auto app = std::make_unique<TestApp>();
  auto transport = startOrDie(testOptions(), *app);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<RawClient>(transport->boundAddress()));
    clients.back()->send(get("/later"));
  }
  std::this_thread::sleep_for(30ms);
  transport.reset();
  app.reset();  // joins the threads that call done
}

TEST(TransportTest, StartErrors) {
  TestApp app;
  auto options = testOptions();
  options.address = "localhost";
  auto bad = Transport::start(options, app);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, base::Errc::BadRequest);

  auto first = startOrDie(testOptions(), app);
  options = testOptions();
  options.port = parseListenAddress(first->boundAddress())->second;
  auto second = Transport::start(options, app);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, base::Errc::Unavailable);
  EXPECT_NE(second.error().message.find("cannot listen"), std::string::npos);

  options = testOptions();
  options.tlsCertFile = "/nonexistent/cert.pem";
  auto noKey = Transport::start(options, app);
  ASSERT_FALSE(noKey.ok());
  EXPECT_EQ(noKey.error().code, base::Errc::ValidationFailed);
}

TEST(TransportTest, ListensOnIpv6Loopback) {
  TestApp app;
  auto options = testOptions();
  options.address = "::1";
  auto transport = Transport::start(options, app);
  if (!transport.ok()) GTEST_SKIP() << "no IPv6 loopback: " << transport.error().describe();
  EXPECT_EQ((*transport)->boundAddress().rfind("[::1]:", 0), 0u);
}

TEST(ListenAddressTest, ParsesAndRejects) {
  EXPECT_EQ(parseListenAddress("127.0.0.1:0")->second, 0);
  EXPECT_EQ(parseListenAddress("0.0.0.0:8080")->first, "0.0.0.0");
  EXPECT_EQ(parseListenAddress("[::1]:8080")->first, "::1");
  EXPECT_EQ(parseListenAddress("[::1]:8080")->second, 8080);
  EXPECT_FALSE(parseListenAddress("localhost").ok());
  EXPECT_FALSE(parseListenAddress(":80").ok());
  EXPECT_FALSE(parseListenAddress("127.0.0.1:").ok());
  EXPECT_FALSE(parseListenAddress("127.0.0.1:99999").ok());
  EXPECT_FALSE(parseListenAddress("127.0.0.1:8x").ok());
  EXPECT_EQ(parseListenAddress("example.com:80").error().code, base::Errc::BadRequest);
}

}  // namespace
}  // namespace bankcc::api
