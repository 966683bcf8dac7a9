// SPDX-License-Identifier: Apache-2.0
// WebSocket over real sockets: upgrade, echo, limits, close codes, sends from other threads,
// the close callback, and stop(). The client is Beast's synchronous WebSocket stream.
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including it

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api/transport.h"

namespace bankcc::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

class WsApp;

constexpr int kBurstFrames = 3000;
/// Frame `i` of a burst: "<i>:" then letters up to a size between 0 and 20,000 bytes.
std::string burstFrame(int i) {
  const std::size_t size = static_cast<std::size_t>(i) * 7919 % 20'000;
  std::string frame = std::to_string(i) + ":";
  frame.resize(std::max(size, frame.size()), static_cast<char>('a' + i % 26));
  return frame;
}

class EchoSession : public WsSession {
 public:
  EchoSession(std::shared_ptr<WsConnection> connection, WsApp& app)
      : connection_(std::move(connection)), app_(app) {}
  void onMessage(std::string text) override;
  void onClose() override;

  std::atomic<int> closes{0};

 private:
  std::shared_ptr<WsConnection> connection_;
  WsApp& app_;
};

class WsApp : public HttpApplication {
 public:
  ~WsApp() override { joinThreads(); }

  void handle(Request, std::function<void(Response)> done) override {
    done(errorResponse(404, "not_found", "no such path"));
  }

  std::variant<Response, WsAccept> upgrade(const Request& request) override {
    if (request.path == "/ws-reject") {
      return errorResponse(403, "forbidden", "origin not allowed");
    }
    if (request.path == "/ws-throw") throw std::runtime_error("upgrade failed on purpose");
    if (request.path != "/ws") return errorResponse(404, "not_found", "no such path");
    return WsAccept{[this](std::shared_ptr<WsConnection> connection) {
      EXPECT_EQ(connection->remoteAddress(), "127.0.0.1");
      auto session = std::make_shared<EchoSession>(connection, *this);
      std::lock_guard lock(mutex);
      sessions.push_back(session);
      connections.push_back(connection);
      return session;
    }};
  }

  void spawn(std::function<void()> work) {
    std::lock_guard lock(mutex);
    threads.emplace_back(std::move(work));
  }
  void joinThreads() {
    std::vector<std::thread> all;
    {
      std::lock_guard lock(mutex);
      all.swap(threads);
    }
    for (auto& t : all) t.join();
  }
  /// Waits until `n` sessions saw onClose.
  bool waitForCloses(int n) {
    for (int i = 0; i < 500; ++i) {
      if (closes.load() >= n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::mutex mutex;
  std::vector<std::shared_ptr<EchoSession>> sessions;
  std::vector<std::shared_ptr<WsConnection>> connections;
  std::vector<std::thread> threads;
  std::atomic<int> closes{0};
  std::atomic<int> messages{0};
};

void EchoSession::onMessage(std::string text) {
  ++app_.messages;
  if (text == "close-me") return connection_->close(4000, "bye");
  if (text == "throw") throw std::runtime_error("message handler failed on purpose");
  if (text == "thread") {
    auto connection = connection_;
    app_.spawn([connection] {
      for (int i = 0; i < 10; ++i) connection->send("t" + std::to_string(i));
    });
    return;
  }
  if (text == "burst") {
    // Frames of many sizes (small ones go straight to the socket, large ones and those that
    // meet a full send buffer take Beast's path), from another thread.
    auto connection = connection_;
    app_.spawn([connection] {
      for (int i = 0; i < kBurstFrames; ++i) {
        connection->send(burstFrame(i));
        // Paced at first, so that frames find the socket idle (the direct path), then as fast
        // as the queue takes them (Beast's path behind a full send buffer).
        if (i < kBurstFrames / 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    return;
  }
  if (text == "flood") {
    for (int i = 0; i < 200; ++i) connection_->send(std::string(100 * 1024, 'f'));
    return;
  }
  connection_->send("echo:" + text);
}

void EchoSession::onClose() {
  ++closes;
  ++app_.closes;
  connection_->send("after close");  // a no-op, not a crash
}

TransportOptions wsOptions() {
  TransportOptions options;
  options.port = 0;
  options.threads = 2;
  options.maxWsMessageBytes = 1024;
  return options;
}

/// A synchronous WebSocket client.
class WsClient {
 public:
  explicit WsClient(const std::string& bound) {
    auto parsed = parseListenAddress(bound);
    EXPECT_TRUE(parsed.ok());
    endpoint_ = tcp::endpoint(asio::ip::make_address(parsed->first), parsed->second);
    ws.next_layer().connect(endpoint_);
  }
  beast::error_code handshake(const std::string& path, websocket::response_type& response) {
    beast::error_code ec;
    ws.handshake(response, "localhost", path, ec);
    return ec;
  }
  void open(const std::string& path = "/ws") {
    websocket::response_type response;
    auto ec = handshake(path, response);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(response[beast::http::field::server], "bankcc");
  }
  std::string read(beast::error_code& ec) {
    beast::flat_buffer buffer;
    ws.read(buffer, ec);
    return beast::buffers_to_string(buffer.data());
  }
  std::string read() {
    beast::error_code ec;
    auto text = read(ec);
    EXPECT_FALSE(ec) << ec.message();
    return text;
  }
  /// Reads until the server closes; returns the close code it sent, or -1 when the connection
  /// ended without a close frame. Replying to the close frame may fail with a reset when the
  /// server tore the connection down with unread data (Beast does after 1009): the code counts.
  int readUntilClosed() {
    for (int i = 0; i < 1000; ++i) {
      beast::error_code ec;
      read(ec);
      if (ec) return ws.reason().code != 0 ? ws.reason().code : -1;
    }
    return -2;
  }

  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};

 private:
  tcp::endpoint endpoint_;
};

std::unique_ptr<Transport> startOrDie(const TransportOptions& options, HttpApplication& app) {
  auto transport = Transport::start(options, app);
  if (!transport.ok()) ADD_FAILURE() << transport.error().describe();
  return std::move(transport).value();
}

TEST(TransportWsTest, TextRoundTrip) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  WsClient client(transport->boundAddress());
  client.open();
  for (const std::string& text :
       std::vector<std::string>{"hello", "grüße 👋", std::string(1000, 'x')}) {
    client.ws.text(true);
    client.ws.write(asio::buffer(text));
    EXPECT_EQ(client.read(), "echo:" + text);
  }
  client.ws.close(websocket::close_code::normal);
  EXPECT_TRUE(app.waitForCloses(1));
  EXPECT_EQ(app.messages.load(), 3);
}

TEST(TransportWsTest, OversizeMessageClosesWith1009) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  WsClient client(transport->boundAddress());
  client.open();
  client.ws.text(true);
  beast::error_code ec;
  client.ws.write(asio::buffer(std::string(4096, 'x')), ec);
  EXPECT_EQ(client.readUntilClosed(), 1009);
  EXPECT_TRUE(app.waitForCloses(1));
  EXPECT_EQ(app.messages.load(), 0);
}

TEST(TransportWsTest, BinaryMessageClosesWith1003) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  WsClient client(transport->boundAddress());
  client.open();
  client.ws.binary(true);
  client.ws.write(asio::buffer(std::string("\x01\x02\x03", 3)));
  EXPECT_EQ(client.readUntilClosed(), 1003);
  EXPECT_TRUE(app.waitForCloses(1));
  EXPECT_EQ(app.messages.load(), 0);
}

TEST(TransportWsTest, InvalidUtf8ClosesWith1007) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  WsClient client(transport->boundAddress());
  client.open();
  client.ws.text(true);
  client.ws.write(asio::buffer(std::string("\xc3\x28", 2)));
  EXPECT_EQ(client.readUntilClosed(), 1007);
  EXPECT_TRUE(app.waitForCloses(1));
}

TEST(TransportWsTest, MalformedFramesEndTheConnection) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  {
    WsClient client(transport->boundAddress());
    client.open();
    // FIN, all reserved bits and a reserved opcode, masked, empty: a protocol error.
    asio::write(client.ws.next_layer(), asio::buffer(std::string("\xff\x80\0\0\0\0", 6)));
    EXPECT_EQ(client.readUntilClosed(), 1002);
    EXPECT_TRUE(app.waitForCloses(1));
  }
  // Still serving.
  WsClient client(transport->boundAddress());
  client.open();
  client.ws.write(asio::buffer(std::string("ok")));
  EXPECT_EQ(client.read(), "echo:ok");
}

/// Sends a WebSocket upgrade request for `path` as plain HTTP and returns the response.
beast::http::response<beast::http::string_body> rawUpgrade(const std::string& bound,
                                                           const std::string& path) {
  auto parsed = parseListenAddress(bound);
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address(parsed->first), parsed->second));
  beast::http::request<beast::http::empty_body> request{beast::http::verb::get, path, 11};
  request.set(beast::http::field::host, "localhost");
  request.set(beast::http::field::connection, "Upgrade");
  request.set(beast::http::field::upgrade, "websocket");
  request.set(beast::http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  request.set(beast::http::field::sec_websocket_version, "13");
  beast::http::write(socket, request);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> response;
  beast::http::read(socket, buffer, response);
  // The connection ends after a refused upgrade.
  beast::error_code ec;
  char byte;
  socket.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
  return response;
}

TEST(TransportWsTest, RejectedUpgradeGetsTheApplicationsResponse) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  auto rejected = rawUpgrade(transport->boundAddress(), "/ws-reject");
  EXPECT_EQ(rejected.result_int(), 403);
  EXPECT_EQ(rejected.body(), R"({"error":{"code":"forbidden","message":"origin not allowed"}})");
  EXPECT_EQ(rejected["X-Frame-Options"], "DENY");
  EXPECT_EQ(rejected["Connection"], "close");

  auto failed = rawUpgrade(transport->boundAddress(), "/ws-throw");
  EXPECT_EQ(failed.result_int(), 500);
  EXPECT_NE(failed.body().find("internal"), std::string::npos);

  // The Beast client sees a declined upgrade.
  WsClient client(transport->boundAddress());
  websocket::response_type response;
  EXPECT_EQ(client.handshake("/nope", response), websocket::error::upgrade_declined);
  EXPECT_EQ(app.closes.load(), 0);
}

TEST(TransportWsTest, SendFromAnotherThreadArrivesInOrder) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  WsClient client(transport->boundAddress());
  client.open();
  client.ws.write(asio::buffer(std::string("thread")));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(client.read(), "t" + std::to_string(i));
  app.joinThreads();
}

TEST(TransportWsTest, OneTaskPerIoThreadSendsSharedFramesToItsConnectionsInOrder) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);  // 2 io threads
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(std::make_unique<WsClient>(transport->boundAddress()));
    clients.back()->open();
  }
  std::vector<std::shared_ptr<WsConnection>> connections;
  for (int i = 0; i < 500 && connections.size() < 6; ++i) {
    std::this_thread::sleep_for(10ms);
    std::lock_guard lock(app.mutex);
    connections = app.connections;
  }
  ASSERT_EQ(connections.size(), 6u);
  // Connections are spread over the io threads; group them as the event hub does.
  std::map<std::uintptr_t, std::vector<std::shared_ptr<WsConnection>>> byThread;
  for (const auto& c : connections) byThread[c->ioThread()].push_back(c);
  EXPECT_EQ(byThread.size(), 2u);
  std::vector<std::shared_ptr<const std::string>> frames;
  for (int i = 0; i < 3; ++i) {
    frames.push_back(std::make_shared<const std::string>("event " + std::to_string(i)));
  }
  for (const auto& frame : frames) {
    for (const auto& [thread, group] : byThread) {
      group.front()->post([group = group, frame] {
        for (const auto& c : group) c->send(frame);
      });
    }
  }
  for (auto& client : clients) {
    for (int i = 0; i < 3; ++i) EXPECT_EQ(client->read(), "event " + std::to_string(i));
  }
}

TEST(TransportWsTest, FramesOfEverySizeArriveWholeWhileTheClientPings) {
  // The direct path (one sendmsg per frame when the socket is idle) and Beast's (large frames,
  // a full send buffer, the pongs Beast writes by itself) share one stream: every frame must
  // arrive whole and in order, and every ping must be answered.
  WsApp app;
  TransportOptions options = wsOptions();
  options.maxWsQueuedBytes =
      64 << 20;  // the whole burst may wait: this is not the slow-client test
  auto transport = startOrDie(options, app);
  WsClient client(transport->boundAddress());
  client.open();
  std::atomic<int> pongs{0};
  client.ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) ++pongs;
  });
  client.ws.write(asio::buffer(std::string("burst")));
  int pings = 0;
  for (int i = 0; i < kBurstFrames; ++i) {
    if (i % 50 == 0) {
      client.ws.ping({});
      ++pings;
    }
    if (i % 500 == 0) std::this_thread::sleep_for(50ms);  // let the send buffer fill
    const std::string got = client.read();
    ASSERT_EQ(got, burstFrame(i)) << "frame " << i;
  }
  // The pongs of the last pings arrive with the next message.
  client.ws.write(asio::buffer(std::string("last")));
  EXPECT_EQ(client.read(), "echo:last");
  EXPECT_EQ(pongs.load(), pings);
  app.joinThreads();
}

TEST(TransportWsTest, APeerThatAnswersPingsStaysAndASilentOneIsCutOff) {
  // The keep-alive of plain connections is the transport's own (the direct write path must
  // know every frame Beast writes): a ping after half the idle timeout without anything from
  // the client, the connection torn down after a whole one.
  WsApp app;
  TransportOptions options = wsOptions();
  options.wsIdleTimeout = std::chrono::seconds(4);
  auto transport = startOrDie(options, app);

  // A client that reads (Beast answers the pings) but never sends a message.
  WsClient alive(transport->boundAddress());
  alive.open();
  std::atomic<bool> aliveEnded{false};
  std::thread reader([&] {
    beast::error_code ec;
    alive.read(ec);  // no message comes; pings are answered inside
    aliveEnded = true;
  });
  // A client that neither reads nor sends: its pings stay unanswered.
  WsClient silent(transport->boundAddress());
  silent.open();

  for (int i = 0; i < 100 && app.closes.load() < 1; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(app.closes.load(), 1) << "the silent client was not cut off";
  std::this_thread::sleep_for(4500ms);  // more than an idle timeout for the live one
  EXPECT_EQ(app.closes.load(), 1);
  EXPECT_FALSE(aliveEnded.load());
  transport->stop();
  reader.join();
  EXPECT_TRUE(aliveEnded.load());
}

TEST(TransportWsTest, ServerCloseSendsCodeAndReason) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  WsClient client(transport->boundAddress());
  client.open();
  client.ws.write(asio::buffer(std::string("before")));
  EXPECT_EQ(client.read(), "echo:before");
  client.ws.write(asio::buffer(std::string("close-me")));
  EXPECT_EQ(client.readUntilClosed(), 4000);
  EXPECT_EQ(std::string(client.ws.reason().reason.data(), client.ws.reason().reason.size()), "bye");
  EXPECT_TRUE(app.waitForCloses(1));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(app.closes.load(), 1);
  // close() again and send() after close are no-ops.
  std::lock_guard lock(app.mutex);
  app.connections[0]->close(1000, "again");
  app.connections[0]->send("ignored");
}

TEST(TransportWsTest, OnCloseOnceWhenTheClientVanishes) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  {
    WsClient client(transport->boundAddress());
    client.open();
    client.ws.write(asio::buffer(std::string("hi")));
    EXPECT_EQ(client.read(), "echo:hi");
    beast::error_code ignored;
    client.ws.next_layer().close(ignored);  // no close frame
  }
  EXPECT_TRUE(app.waitForCloses(1));
  std::this_thread::sleep_for(100ms);
  transport->stop();
  EXPECT_EQ(app.closes.load(), 1);
  std::lock_guard lock(app.mutex);
  EXPECT_EQ(app.sessions[0]->closes.load(), 1);
}

TEST(TransportWsTest, SlowReaderIsClosedWith1008) {
  WsApp app;
  auto options = wsOptions();
  options.maxWsQueuedBytes = 256 * 1024;
  auto transport = startOrDie(options, app);
  WsClient client(transport->boundAddress());
  client.open();
  client.ws.write(asio::buffer(std::string("flood")));
  EXPECT_EQ(client.readUntilClosed(), 1008);
  EXPECT_TRUE(app.waitForCloses(1));
}

TEST(TransportWsTest, HandlerExceptionClosesWith1011) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  WsClient client(transport->boundAddress());
  client.open();
  client.ws.write(asio::buffer(std::string("throw")));
  EXPECT_EQ(client.readUntilClosed(), 1011);
  EXPECT_TRUE(app.waitForCloses(1));
}

TEST(TransportWsTest, StopClosesWith1001AndCallsOnClose) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  WsClient client(transport->boundAddress());
  client.open();
  client.ws.write(asio::buffer(std::string("ping")));
  EXPECT_EQ(client.read(), "echo:ping");
  std::atomic<int> code{0};
  std::thread reader([&] { code = client.readUntilClosed(); });
  transport->stop();
  reader.join();
  EXPECT_EQ(code.load(), 1001);
  EXPECT_EQ(app.closes.load(), 1);
  // The application's handle outlives the transport: send and close do nothing.
  std::shared_ptr<WsConnection> connection;
  {
    std::lock_guard lock(app.mutex);
    connection = app.connections[0];
  }
  transport.reset();
  connection->send("nobody listens");
  connection->send(std::make_shared<const std::string>("nobody either"));
  connection->post([] { ADD_FAILURE() << "a task ran after the transport stopped"; });
  connection->close(1000, "gone");
}

TEST(TransportWsTest, StopWithAnUnresponsiveClientStillCallsOnClose) {
  WsApp app;
  auto transport = startOrDie(wsOptions(), app);
  WsClient client(transport->boundAddress());
  client.open();  // and never reads again
  client.ws.write(asio::buffer(std::string("ping")));
  for (int i = 0; i < 500 && app.messages.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  transport->stop();
  EXPECT_EQ(app.closes.load(), 1);
}

}  // namespace
}  // namespace bankcc::api
