// SPDX-License-Identifier: Apache-2.0
// The SIP stack on real sockets (127.0.0.1, port 0) against sipp as the peer. Scenario files live
// in tests/sip/ (BANKCC_SIP_TESTDATA).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "sip/digest.h"
#include "sip/sdp.h"
#include "sip/sip_stack.h"

namespace bankcc::sip {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const fs::path kTestData = BANKCC_SIP_TESTDATA;

std::string reasonName(EndReason r) {
  switch (r) {
    case EndReason::Bye:
      return "bye";
    case EndReason::Cancelled:
      return "cancelled";
    case EndReason::Rejected:
      return "rejected";
    case EndReason::Timeout:
      return "timeout";
    case EndReason::Transport:
      return "transport";
    case EndReason::Shutdown:
      return "shutdown";
  }
  return "?";
}

/// A UDP socket bound to a free port on 127.0.0.1: {fd, port}. The caller closes it.
std::pair<int, int> bindLoopbackUdp() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return {fd, static_cast<int>(ntohs(a.sin_port))};
}

/// A free UDP port on 127.0.0.1 (for sipp's own sockets).
int freeUdpPort() {
  auto [fd, port] = bindLoopbackUdp();
  close(fd);
  return port;
}

/// A SIP port for sipp (`sipPort`, or a free one when 0) and a free even media port whose
/// neighbours (RTCP, video) are clear of the SIP port. Sockets stay bound until both are chosen.
std::pair<int, int> sippPorts(int sipPort) {
  std::vector<int> held;
  int sip = sipPort;
  if (sip == 0) {
    auto [fd, port] = bindLoopbackUdp();
    held.push_back(fd);
    sip = port;
  }
  int media = 0;
  for (int tries = 0; tries < 50 && media == 0; ++tries) {
    auto [fd, port] = bindLoopbackUdp();
    held.push_back(fd);
    if (port % 2 == 0 && port < 65530 && (sip < port || sip > port + 3)) media = port;
  }
  for (int fd : held) close(fd);
  return {sip, media != 0 ? media : 40000 + (sip % 1000) * 2};
}

class TestCredentials final : public Credentials {
 public:
  std::optional<std::string> ha1(const std::string& username,
                                 const std::string& realm) const override {
    if (username != "1001") return std::nullopt;
    return digestHa1("1001", realm, "secret");
  }
};

std::string line(const char* what, CallId id) {
  return std::string(what) + " " + std::to_string(id);
}
std::string ended(CallId id, const char* reason, int status) {
  return "ended " + std::to_string(id) + " " + reason + " " + std::to_string(status);
}

enum class AnswerPolicy { Answer, RingOnly };

/// Records every callback as a line ("incoming 1", "ended 1 bye 0", ...) and answers calls with
/// an SDP built by makeAnswer, or refuses with 488 when negotiation fails.
class RecordingHandler final : public SipHandler {
 public:
  SipStack* stack = nullptr;
  AnswerPolicy policy = AnswerPolicy::Answer;
  std::vector<IncomingCall> incoming;  // guarded by mu_

  void onIncomingCall(IncomingCall call) override {
    checkThread();
    const CallId id = call.call;
    std::optional<MediaDescription> offer = call.offer;
    {
      std::lock_guard lock(mu_);
      incoming.push_back(std::move(call));
    }
    record(line("incoming", id));
    auto n = offer ? negotiate(*offer, LocalCapabilities{})
                   : base::Result<Negotiated>(base::err(base::Errc::ValidationFailed, "no SDP"));
    if (!n.ok()) {
      stack->respond(id, 488, std::nullopt);
      return;
    }
    stack->respond(id, 180, std::nullopt);
    if (policy == AnswerPolicy::Answer) {
      stack->respond(id, 200, makeAnswer(*n, "127.0.0.1", 40000));
    }
  }
  void onProgress(CallId call, int status, std::optional<MediaDescription>) override {
    checkThread();
    record(line("progress", call) + " " + std::to_string(status));
  }
  void onEstablished(CallId call, std::optional<MediaDescription> sdp) override {
    checkThread();
    record(line("established", call) + (sdp ? " sdp" : ""));
  }
  base::Result<MediaDescription> onReoffer(CallId call, const MediaDescription& offer) override {
    checkThread();
    record(line("reoffer", call));
    auto n = negotiate(offer, LocalCapabilities{});
    if (!n.ok()) return n.error();
    return makeAnswer(*n, "127.0.0.1", 40000);
  }
  void onEnded(CallId call, EndReason reason, int status) override {
    checkThread();
    record(ended(call, reasonName(reason).c_str(), status));
  }
  void onRegistrationChanged(const std::string& extension, int contacts) override {
    checkThread();
    record("registration " + extension + " " + std::to_string(contacts));
  }

  /// Waits until `line` has been recorded. False after `timeout`.
  bool waitFor(const std::string& line, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      return std::find(lines_.begin(), lines_.end(), line) != lines_.end();
    });
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }
  bool wrongThread() const { return wrongThread_; }

 private:
  void checkThread() {
    if (stack == nullptr || !stack->onSipThread()) wrongThread_ = true;
  }
  void record(std::string line) {
    std::lock_guard lock(mu_);
    lines_.push_back(std::move(line));
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::atomic<bool> wrongThread_{false};
};

/// sipp as a child process, logging to a file in the test's temporary directory.
class Sipp {
 public:
  Sipp(const fs::path& workDir, std::vector<std::string> args) : log_(workDir / "sipp.log") {
    args.insert(args.begin(), "/usr/bin/sipp");
    for (const char* extra : {"-m", "1", "-trace_err", "-nostdin", "-timeout", "20s",
                              "-timeout_error", "-i", "127.0.0.1"}) {
      args.emplace_back(extra);
    }
    // The ports are chosen together: two separate freeUdpPort() calls may return the same
    // port (the first is closed before the second is asked for), and sipp then fails to bind
    // its media next to its SIP port.
    auto it = std::find(args.begin(), args.end(), "-p");
    const int sipPort = it != args.end() && it + 1 != args.end() ? std::stoi(*(it + 1)) : 0;
    const auto [sip, media] = sippPorts(sipPort);
    if (sipPort == 0) {
      args.emplace_back("-p");  // sipp's default is 5060, which others may hold
      args.push_back(std::to_string(sip));
    }
    args.emplace_back("-mp");
    args.push_back(std::to_string(media));
    pid_ = fork();
    if (pid_ == 0) {
      if (chdir(workDir.c_str()) != 0) _exit(126);
      int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int devnull = open("/dev/null", O_RDONLY);
      dup2(devnull, 0);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Sipp() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  /// sipp's exit status (0: the call succeeded), or -1 when it did not finish in time.
  int wait(std::chrono::seconds timeout = 25s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
      }
      std::this_thread::sleep_for(20ms);  // polling a child process, not timing logic
    }
    return -1;
  }
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  fs::path log_;
  pid_t pid_ = -1;
};

class SipStackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // BANKCC_SIP_DEBUG=1 (with TPORT_LOG=1 for every message) shows sofia's diagnostics.
    if (std::getenv("BANKCC_SIP_DEBUG") != nullptr) spdlog::set_level(spdlog::level::debug);
    workDir_ = fs::temp_directory_path() /
               ("bankcc-sip-itest-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(workDir_);
    config_.listen = "127.0.0.1:0";
    config_.minRegisterExpiry = 30s;
    config_.maxRegisterExpiry = 600s;
    TrunkConfig trunk;
    trunk.name = "local";
    trunk.peers = {{"127.0.0.1/32"}};
    config_.trunks = {trunk};
  }
  void TearDown() override {
    stack_.reset();
    EXPECT_FALSE(handler_.wrongThread()) << "a SipHandler method ran off the SIP thread";
    if (!HasFailure()) fs::remove_all(workDir_);
  }

  void start() {
    auto s = SipStack::start(config_, clock_, handler_, credentials_);
    ASSERT_TRUE(s.ok()) << s.error().describe();
    stack_ = std::move(*s);
    handler_.stack = stack_.get();
  }
  std::string port() const {
    const std::string a = stack_->boundAddress();
    return a.substr(a.rfind(':') + 1);
  }
  std::string remote() const { return "127.0.0.1:" + port(); }
  std::string scenario(const char* name) const { return (kTestData / name).string(); }

  /// Runs `f` on the SIP thread and returns its result.
  template <typename F>
  auto onSip(F f) {
    std::promise<decltype(f())> p;
    auto fut = p.get_future();
    stack_->post([&] { p.set_value(f()); });
    return fut.get();
  }

  /// Sends OPTIONS over UDP from a plain socket; true when 200 comes back.
  bool optionsAnswered() {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
    socklen_t len = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    const int lport = ntohs(local.sin_port);
    const std::string seq = std::to_string(++optionsSeq_);
    const std::string msg = "OPTIONS sip:" + remote() + " SIP/2.0\r\n" +
                            "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(lport) +
                            ";branch=z9hG4bK-opt-" + seq + "\r\n" +
                            "From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:" + remote() + ">\r\n" +
                            "Call-ID: options-" + seq + "@127.0.0.1\r\n" +
                            "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    sendTo(fd, msg);
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    bool ok = false;
    for (int i = 0; i < 3 && !ok; ++i) {
      const ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
      if (n <= 0) break;
      buf[n] = '\0';
      ok = std::strncmp(buf, "SIP/2.0 200", 11) == 0;
    }
    close(fd);
    return ok;
  }
  void sendTo(int fd, const std::string& msg) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(std::stoi(port())));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }

  base::RealClock clock_;
  TestCredentials credentials_;
  RecordingHandler handler_;
  SipConfig config_;
  std::unique_ptr<SipStack> stack_;
  fs::path workDir_;
  int optionsSeq_ = 0;
};

TEST_F(SipStackTest, BindsPortZeroAndAnswersOptions) {
  start();
  EXPECT_NE(port(), "0");
  EXPECT_NE(port(), "");
  Sipp sipp(workDir_, {remote(), "-sf", scenario("options.xml")});
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
  EXPECT_TRUE(optionsAnswered());
}

TEST_F(SipStackTest, TrunkCallAnsweredThenByeFromPeer) {
  start();
  Sipp sipp(workDir_,
            {remote(), "-sf", scenario("uac_call.xml"), "-s", "8001", "-key", "caller", "5551234"});
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
  ASSERT_TRUE(handler_.waitFor(ended(1, "bye", 0))) << ::testing::PrintToString(handler_.lines());
  EXPECT_EQ(handler_.lines(),
            (std::vector<std::string>{"incoming 1", "established 1", "ended 1 bye 0"}));
  ASSERT_EQ(handler_.incoming.size(), 1u);
  const IncomingCall& in = handler_.incoming[0];
  EXPECT_EQ(in.trunk, "local");
  EXPECT_EQ(in.ani, "5551234");
  EXPECT_EQ(in.dnis, "8001");
  EXPECT_EQ(in.sourceAddress.rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(in.headers.at("x-customer-id"), "4711");
  EXPECT_NE(in.headers.at("call-info").find("purpose=info"), std::string::npos);
  ASSERT_TRUE(in.offer.has_value());
  EXPECT_EQ(in.offer->codecs.front().name, "PCMA");
}

TEST_F(SipStackTest, SessionTimerAndNo100relWhenTimersOff) {
  config_.sessionExpires = 0s;
  start();
  Sipp sipp(workDir_, {remote(), "-sf", scenario("uac_call_no_timer.xml"), "-s", "8001", "-key",
                       "caller", "5551234"});
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
  EXPECT_TRUE(handler_.waitFor(ended(1, "bye", 0)));
}

TEST_F(SipStackTest, CallFromOutsideEveryTrunkGets403AndNeverReachesHandler) {
  config_.trunks[0].peers = {{"10.0.0.0/8"}};
  start();
  Sipp sipp(workDir_, {remote(), "-sf", scenario("uac_forbidden.xml"), "-s", "8001", "-key",
                       "caller", "5551234"});
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
  EXPECT_TRUE(optionsAnswered());  // a round trip: anything the call caused has happened
  EXPECT_TRUE(handler_.lines().empty()) << ::testing::PrintToString(handler_.lines());
}

TEST_F(SipStackTest, CancelBeforeAnswer) {
  handler_.policy = AnswerPolicy::RingOnly;
  start();
  Sipp sipp(workDir_, {remote(), "-sf", scenario("uac_cancel.xml"), "-s", "8001", "-key", "caller",
                       "5551234"});
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
  EXPECT_TRUE(handler_.waitFor(ended(1, "cancelled", 487)))
      << ::testing::PrintToString(handler_.lines());
}

TEST_F(SipStackTest, G729OnlyOfferRefusedWith488) {
  start();
  Sipp sipp(workDir_,
            {remote(), "-sf", scenario("uac_g729.xml"), "-s", "8001", "-key", "caller", "5551234"});
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
  EXPECT_TRUE(handler_.waitFor(ended(1, "rejected", 488)))
      << ::testing::PrintToString(handler_.lines());
}

TEST_F(SipStackTest, ReinviteSendonlyAnsweredRecvonly) {
  start();
  Sipp sipp(workDir_, {remote(), "-sf", scenario("uac_reinvite_hold.xml"), "-s", "8001", "-key",
                       "caller", "5551234"});
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
  EXPECT_TRUE(handler_.waitFor(ended(1, "bye", 0)));
  EXPECT_EQ(handler_.lines(), (std::vector<std::string>{"incoming 1", "established 1", "reoffer 1",
                                                        "ended 1 bye 0"}));
}

TEST_F(SipStackTest, RegisterWithDigestThenUnregister) {
  start();
  Sipp sipp(workDir_, {remote(), "-sf", scenario("register_unregister.xml"), "-key", "caller",
                       "1001", "-au", "1001", "-ap", "secret"});
  ASSERT_TRUE(handler_.waitFor("registration 1001 1")) << sipp.log();
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
  ASSERT_TRUE(handler_.waitFor("registration 1001 0"));
  EXPECT_TRUE(stack_->registrations().empty());
}

TEST_F(SipStackTest, RegistrationVisibleFromAnotherThread) {
  start();
  Sipp sipp(workDir_, {remote(), "-sf", scenario("register_then_call.xml"), "-key", "caller",
                       "1001", "-au", "1001", "-ap", "secret", "-s", "8002"});
  ASSERT_TRUE(handler_.waitFor("registration 1001 1")) << sipp.log();
  auto regs = stack_->registrations();  // the test thread, not the SIP thread
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].extension, "1001");
  ASSERT_EQ(regs[0].contacts.size(), 1u);
  EXPECT_EQ(regs[0].contacts[0].rfind("sip:1001@127.0.0.1:", 0), 0u);
  EXPECT_GT(regs[0].expires, clock_.now());
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
}

TEST_F(SipStackTest, RegisteredAgentPhoneMayCallOutWithoutTrunk) {
  config_.trunks[0].peers = {{"10.0.0.0/8"}};
  start();
  Sipp sipp(workDir_, {remote(), "-sf", scenario("register_then_call.xml"), "-key", "caller",
                       "1001", "-au", "1001", "-ap", "secret", "-s", "8002"});
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
  ASSERT_TRUE(handler_.waitFor(ended(1, "bye", 0))) << ::testing::PrintToString(handler_.lines());
  ASSERT_EQ(handler_.incoming.size(), 1u);
  EXPECT_EQ(handler_.incoming[0].extension, "1001");
  EXPECT_EQ(handler_.incoming[0].trunk, "");
}

TEST_F(SipStackTest, WrongPasswordIsRefused) {
  start();
  Sipp sipp(workDir_, {remote(), "-sf", scenario("register_refused.xml"), "-key", "caller", "1001",
                       "-au", "1001", "-ap", "wrong"});
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
  EXPECT_TRUE(optionsAnswered());
  EXPECT_TRUE(stack_->registrations().empty());
  EXPECT_TRUE(handler_.lines().empty());
}

TEST_F(SipStackTest, TooBriefExpiryGets423) {
  start();
  Sipp sipp(workDir_, {remote(), "-sf", scenario("register_too_brief.xml"), "-key", "caller",
                       "1001", "-au", "1001", "-ap", "secret"});
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
  EXPECT_TRUE(stack_->registrations().empty());
}

TEST_F(SipStackTest, OutgoingCallToTrunkThenHangup) {
  const int peerPort = freeUdpPort();
  config_.trunks[0].outbound = "127.0.0.1:" + std::to_string(peerPort);
  start();
  Sipp uas(workDir_, {"-sf", scenario("uas_answer.xml"), "-p", std::to_string(peerPort)});
  // sipp must be listening before we call: OPTIONS-free readiness check by retrying is not
  // possible with the UAS scenario, so wait until its port is bound.
  for (int i = 0; i < 200; ++i) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(peerPort));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool taken = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0;
    close(fd);
    if (taken) break;
    std::this_thread::sleep_for(10ms);
  }
  OutgoingCall out;
  out.target = OutgoingCall::Target::External;
  out.number = "13800138000";
  out.callerId = "95555";
  out.offer = makeOffer(LocalCapabilities{}, "127.0.0.1", 40002);
  out.headers["X-Bank-Call"] = "42";
  auto id = onSip([&] { return stack_->invite(out); });
  ASSERT_TRUE(id.ok()) << id.error().describe();
  EXPECT_TRUE(handler_.waitFor(line("progress", *id) + " 180"))
      << ::testing::PrintToString(handler_.lines());
  ASSERT_TRUE(handler_.waitFor(line("established", *id) + " sdp"))
      << ::testing::PrintToString(handler_.lines());
  onSip([&] {
    stack_->hangup(*id);
    return 0;
  });
  EXPECT_TRUE(handler_.waitFor(ended(*id, "bye", 0))) << ::testing::PrintToString(handler_.lines());
  EXPECT_EQ(uas.wait(), 0) << uas.log();
}

TEST_F(SipStackTest, InviteToUnknownExtensionOrWithoutTrunkIsNotFound) {
  start();
  OutgoingCall out;
  out.target = OutgoingCall::Target::Extension;
  out.number = "1999";
  out.offer = makeOffer(LocalCapabilities{}, "127.0.0.1", 40002);
  auto r = onSip([&] { return stack_->invite(out); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::NotFound);
  out.target = OutgoingCall::Target::External;
  r = onSip([&] { return stack_->invite(out); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::NotFound);
}

TEST_F(SipStackTest, ShutdownEndsLiveCalls) {
  start();
  Sipp sipp(workDir_, {remote(), "-sf", scenario("uac_wait_bye.xml"), "-s", "8001", "-key",
                       "caller", "5551234"});
  ASSERT_TRUE(handler_.waitFor("established 1")) << sipp.log();
  stack_.reset();
  EXPECT_TRUE(handler_.waitFor(ended(1, "shutdown", 0)));
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
}

TEST_F(SipStackTest, TortureMessagesDoNotHurt) {
  start();
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int sent = 0;
  for (const auto& entry : fs::directory_iterator(kTestData / "rfc4475")) {
    if (entry.path().extension() != ".dat") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string msg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    sendTo(fd, msg);
    ++sent;
  }
  close(fd);
  EXPECT_GE(sent, 49);
  EXPECT_TRUE(optionsAnswered());
  // Still carries calls: a trunk call after the storm.
  Sipp sipp(workDir_,
            {remote(), "-sf", scenario("uac_call.xml"), "-s", "8001", "-key", "caller", "555"});
  EXPECT_EQ(sipp.wait(), 0) << sipp.log();
}

TEST_F(SipStackTest, BadConfigurationIsRefusedAtStart) {
  config_.trunks[0].peers = {{"10.0.0.0/33"}};
  auto s = SipStack::start(config_, clock_, handler_, credentials_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, base::Errc::BadRequest);
  config_.trunks[0].peers = {{"127.0.0.1"}};
  config_.listen = "no-port";
  s = SipStack::start(config_, clock_, handler_, credentials_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, base::Errc::BadRequest);
}

}  // namespace
}  // namespace bankcc::sip
