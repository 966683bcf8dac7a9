// SPDX-License-Identifier: Apache-2.0
// The stack's life cycle and its handling of hostile input, on loopback UDP without any peer
// program, so that it also runs in the sanitizer build. Calls with a real peer are in
// sip_itest.cc.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <future>
#include <random>
#include <string>

#include <spdlog/spdlog.h>

#include "sip/sip_stack.h"

namespace bankcc::sip {
namespace {

using namespace std::chrono_literals;

class NullHandler final : public SipHandler {
 public:
  int calls = 0;
  SipStack* stack = nullptr;
  void onIncomingCall(IncomingCall call) override {
    ++calls;
    stack->respond(call.call, 486, std::nullopt);
  }
  void onProgress(CallId, int, std::optional<MediaDescription>) override {}
  void onEstablished(CallId, std::optional<MediaDescription>) override {}
  base::Result<MediaDescription> onReoffer(CallId, const MediaDescription&) override {
    return base::err(base::Errc::ValidationFailed, "no");
  }
  void onEnded(CallId, EndReason, int) override {}
  void onRegistrationChanged(const std::string&, int) override {}
};

/// A UDP socket on 127.0.0.1 talking to the stack.
class Udp {
 public:
  explicit Udp(const std::string& bound) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
    socklen_t len = sizeof local;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
    port_ = ntohs(local.sin_port);
    to_.sin_family = AF_INET;
    to_.sin_port = htons(static_cast<std::uint16_t>(std::stoi(bound.substr(bound.rfind(':') + 1))));
    to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Udp() { close(fd_); }
  void send(const std::string& m) {
    sendto(fd_, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&to_), sizeof to_);
  }
  /// The next datagram's first line, or "" after two seconds.
  std::string firstLine() {
    char buf[8192];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return "";
    std::string s(buf, static_cast<std::size_t>(n));
    return s.substr(0, s.find("\r\n"));
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  sockaddr_in to_{};
};

std::string request(const std::string& method, const std::string& target, int viaPort,
                    const std::string& id, const std::string& extra = "") {
  return method + " " + target +
         " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(viaPort) + ";branch=z9hG4bK-" +
         id + "\r\nFrom: <sip:1001@127.0.0.1>;tag=t" + id + "\r\nTo: <sip:1001@127.0.0.1>\r\n" +
         "Call-ID: " + id + "@test\r\nCSeq: 1 " + method + "\r\nMax-Forwards: 70\r\n" + extra +
         "Content-Length: 0\r\n\r\n";
}

class SipStackUnitTest : public ::testing::Test {
 protected:
  void start() {
    if (std::getenv("BANKCC_SIP_DEBUG") != nullptr) spdlog::set_level(spdlog::level::debug);
    config_.listen = "127.0.0.1:0";
    config_.tcp = false;
    TrunkConfig t;
    t.name = "local";
    t.peers = {{"127.0.0.1"}};
    config_.trunks = {t};
    auto s = SipStack::start(config_, clock_, handler_, credentials_);
    ASSERT_TRUE(s.ok()) << s.error().describe();
    stack_ = std::move(*s);
    handler_.stack = stack_.get();
  }
  base::RealClock clock_;
  NullHandler handler_;
  NoCredentials credentials_;
  SipConfig config_;
  std::unique_ptr<SipStack> stack_;
};

TEST_F(SipStackUnitTest, StartsAndStopsRepeatedly) {
  for (int i = 0; i < 3; ++i) {
    start();
    EXPECT_NE(stack_->boundAddress(), "127.0.0.1:0");
    stack_.reset();
  }
}

TEST_F(SipStackUnitTest, PostRunsOnTheSipThread) {
  start();
  std::promise<bool> onThread;
  stack_->post([&] { onThread.set_value(stack_->onSipThread()); });
  EXPECT_TRUE(onThread.get_future().get());
  EXPECT_FALSE(stack_->onSipThread());
}

TEST_F(SipStackUnitTest, OptionsAndRegisterChallenge) {
  start();
  Udp udp(stack_->boundAddress());
  const std::string target = "sip:" + stack_->boundAddress();
  udp.send(request("OPTIONS", target, udp.port(), "o1"));
  EXPECT_EQ(udp.firstLine(), "SIP/2.0 200 OK");
  udp.send(request("REGISTER", target, udp.port(), "r1",
                   "Contact: <sip:1001@127.0.0.1:" + std::to_string(udp.port()) + ">\r\n"));
  EXPECT_EQ(udp.firstLine(), "SIP/2.0 401 Unauthorized");
  // A forged nonce is refused, not trusted.
  udp.send(request("REGISTER", target, udp.port(), "r2",
                   "Authorization: Digest username=\"1001\", realm=\"bankcc\", "
                   "nonce=\"0000000000000000deadbeefdeadbeefdeadbeefdeadbeef\", uri=\"" +
                       target +
                       "\", response=\"00000000000000000000000000000000\"\r\n"
                       "Contact: <sip:1001@127.0.0.1>\r\n"));
  EXPECT_EQ(udp.firstLine(), "SIP/2.0 403 Forbidden");
  EXPECT_TRUE(stack_->registrations().empty());
}

TEST_F(SipStackUnitTest, RandomGarbageAndMangledRequestsDoNotCrash) {
  start();
  Udp udp(stack_->boundAddress());
  const std::string target = "sip:" + stack_->boundAddress();
  const std::string invite =
      "INVITE sip:8001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" +
      std::to_string(udp.port()) +
      ";branch=z9hG4bK-x\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:8001@127.0.0.1>\r\n"
      "Call-ID: fuzz@test\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1>\r\n"
      "Content-Type: application/sdp\r\nContent-Length: 120\r\n\r\n"
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\n";
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string m = invite;
    for (int e = 0; e < 4; ++e) m[rng() % m.size()] = static_cast<char>(rng() % 256);
    if (i % 3 == 0) {
      m.resize(rng() % 400);
      for (char& c : m) c = static_cast<char>(rng() % 256);
    }
    udp.send(m);
  }
  Udp probe(stack_->boundAddress());
  probe.send(request("OPTIONS", target, probe.port(), "after-fuzz"));
  // The burst may overflow the socket's receive buffer, and UDP drops what does not fit: retry
  // as a SIP client retransmits.
  std::string first;
  for (int attempt = 0; attempt < 3 && first.empty(); ++attempt) {
    probe.send(request("OPTIONS", target, probe.port(), "after-fuzz-" + std::to_string(attempt)));
    first = probe.firstLine();
  }
  EXPECT_EQ(first, "SIP/2.0 200 OK");
}

}  // namespace
}  // namespace bankcc::sip
