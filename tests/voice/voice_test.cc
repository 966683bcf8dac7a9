// SPDX-License-Identifier: Apache-2.0
// The telephony engine end to end with real SIP peers on loopback: our SipStack (sofia), the
// media engine and the voice engine in this process, driven through the telephony port the way
// call control will drive it; sipp (and baresip) as callers, agent phones and the far end of the
// trunk.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/ids.h"
#include "media/engine.h"
#include "media/inband_dtmf.h"
#include "media/prompt_library.h"
#include "media/recording_file.h"
#include "media/rtp_packet.h"
#include "sip/sip_stack.h"
#include "support/process.h"
#include "support/test_env.h"
#include "voice/voice_engine.h"
#include "voice_support.h"

namespace bankcc::voice {
namespace {

using namespace std::chrono_literals;
using itest::Probe;

#ifndef BANKCC_VOICE_SCENARIOS
#error "BANKCC_VOICE_SCENARIOS must name tests/voice"
#endif
const std::filesystem::path kScenarios = BANKCC_VOICE_SCENARIOS;

media::RecordingMasterKey testKey() {
  media::RecordingMasterKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(0xA0 + i);
  return k;
}

/// An even port for sipp's media (-mp), chosen at random in a range the engine does not use.
std::uint16_t sippMediaPort() {
  static std::mt19937 rng(static_cast<unsigned>(::getpid()));
  return static_cast<std::uint16_t>(40000 + 2 * (rng() % 5000));
}

/// Extension 8001 with password "Phone-8001-pass" in realm "bankcc".
class OnePhone final : public sip::Credentials {
 public:
  std::optional<std::string> ha1(const std::string& user, const std::string& realm) const override {
    if (user != "8001" || realm != "bankcc") return std::nullopt;
    return "f2b67806b3bee7e9bfbdc2a5d2d13c02";  // MD5("8001:bankcc:Phone-8001-pass")
  }
};

/// The engine as `bankcc serve` wires it, with a probe in place of call control.
class Rig {
 public:
  /// `farEnd`: where the trunk sends outgoing calls (a sipp UAS), or 0 for none.
  explicit Rig(std::uint16_t farEnd = 0) {
    if (std::getenv("BANKCC_SIP_DEBUG") != nullptr) spdlog::set_level(spdlog::level::debug);
    prompts_.add("moh", itest::sine(300, 1.0));
    prompts_.add("welcome", itest::sine(600, 0.5));
    voice_ = std::make_unique<VoiceEngine>(VoiceConfig{}, clock_, probe.sink());
    media::MediaConfig mc;
    mc.workers = 2;
    mc.portMin = 31000;
    mc.portMax = 33999;
    mc.rtpTimeout = 20s;
    mc.recordingDir = dir_.path() / "recordings";
    mc.recordingKey = testKey();
    VoiceEngine* v = voice_.get();
    auto media = media::MediaEngine::start(
        mc, clock_, prompts_, [v](media::MediaEvent e) { v->onMediaEvent(std::move(e)); });
    if (!media) {
      ADD_FAILURE() << media.error().describe();
      return;
    }
    media_ = std::move(media).value();
    voice_->setMedia(*media_);
    sip::SipConfig sc;
    sc.listen = "127.0.0.1:0";
    sc.sessionExpires = {};
    sip::TrunkConfig trunk;
    trunk.name = "test-trunk";
    trunk.peers.push_back(sip::Cidr{"127.0.0.1/32"});
    if (farEnd != 0) trunk.outbound = "127.0.0.1:" + std::to_string(farEnd);
    sc.trunks.push_back(trunk);
    auto stack = sip::SipStack::start(sc, clock_, *voice_, creds_);
    if (!stack) {
      ADD_FAILURE() << stack.error().describe();
      return;
    }
    sip_ = std::move(stack).value();
    voice_->attach(*sip_);
  }
  ~Rig() {
    if (voice_) voice_->detach();
    sip_.reset();
    media_.reset();
  }

  bool ok() const { return sip_ != nullptr; }
  std::string sipAddress() const { return sip_->boundAddress(); }
  std::uint16_t sipPort() const {
    auto a = sipAddress();
    return static_cast<std::uint16_t>(std::stoi(a.substr(a.rfind(':') + 1)));
  }
  VoiceEngine& port() { return *voice_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::string newId() { return base::newUuidV7(clock_); }

  Probe probe;

 private:
  base::RealClock clock_;
  testing::TempDir dir_{"voice"};
  media::PromptLibrary prompts_;
  OnePhone creds_;
  std::unique_ptr<VoiceEngine> voice_;
  std::unique_ptr<media::MediaEngine> media_;
  std::unique_ptr<sip::SipStack> sip_;
};

/// sipp as a child process.
std::unique_ptr<testing::Process> sipp(const Rig& rig, std::vector<std::string> args,
                                       const std::string& name) {
  std::vector<std::string> argv = {"/usr/bin/sipp", "-nostdin", "-m",        "1",        "-i",
                                   "127.0.0.1",     "-mi",      "127.0.0.1", "-timeout", "30",
                                   "-timeout_error"};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<testing::Process>(argv, rig.dir() / (name + ".stderr"));
}

/// A copy of scenario `name` in the rig's directory with `vars` replaced (sipp substitutes
/// -key values in messages, not in attributes such as play_pcap_audio or pause).
std::string scenario(const Rig& rig, const std::string& name,
                     const std::vector<std::pair<std::string, std::string>>& vars) {
  std::ifstream in(kScenarios / name);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& [key, value] : vars) {
    for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos)) {
      text.replace(pos, key.size(), value);
      pos += value.size();
    }
  }
  static int n = 0;
  auto path = rig.dir() / (std::to_string(++n) + "-" + name);
  std::ofstream(path) << text;
  return path.string();
}

/// Waits for sipp's exit; true when it succeeded (exit 0: every call passed).
bool sippSucceeded(testing::Process& p) {
  auto rc = p.wait(40s);
  if (rc != 0) ADD_FAILURE() << "sipp exit " << (rc ? *rc : -1) << ": " << p.stderrText();
  return rc == 0;
}

TEST(VoiceTest, EchoTestNumberEchoesTheCallersAudioWithoutCallControl) {
  Rig rig;
  ASSERT_TRUE(rig.ok());
  auto pcap = rig.dir() / "tone.pcap";
  itest::writeRtpPcap(pcap, itest::sine(1000, 2.0));
  auto caller =
      sipp(rig,
           {"-sf", scenario(rig, "uac_pcap.xml", {{"[pcap]", pcap.string()}, {"[hold]", "2500"}}),
            "-s", "9196", "-mp", std::to_string(sippMediaPort()), rig.sipAddress()},
           "echo");
  EXPECT_TRUE(sippSucceeded(*caller));
  // Diagnostic calls never reach call control.
  EXPECT_FALSE(rig.probe.waitFor<telephony::LegArrived>({}, 200ms));
  auto stats = rig.port().stats();
  EXPECT_EQ(stats.diagnostic, 1u);
  for (int i = 0; i < 100 && rig.port().stats().legs != 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rig.port().stats().legs, 0u);
}

TEST(VoiceTest, BridgedCallIsRecordedWithTheCallerLeftAndTheCalleeRight) {
  auto farEndPort = itest::freeUdpPort();
  Rig rig(farEndPort);
  ASSERT_TRUE(rig.ok());
  auto callerPcap = rig.dir() / "caller.pcap";
  auto calleePcap = rig.dir() / "callee.pcap";
  itest::writeRtpPcap(callerPcap, itest::sine(400, 4.0));
  itest::writeRtpPcap(calleePcap, itest::sine(1000, 4.0));

  auto callee = sipp(rig,
                     {"-sf", scenario(rig, "uas_pcap.xml", {{"[pcap]", calleePcap.string()}}), "-p",
                      std::to_string(farEndPort), "-mp", std::to_string(sippMediaPort())},
                     "callee");
  std::this_thread::sleep_for(300ms);  // sipp binds its port
  auto caller = sipp(
      rig,
      {"-sf", scenario(rig, "uac_pcap.xml", {{"[pcap]", callerPcap.string()}, {"[hold]", "4500"}}),
       "-s", "95566", "-mp", std::to_string(sippMediaPort()), rig.sipAddress()},
      "caller");

  auto arrived = rig.probe.waitFor<telephony::LegArrived>();
  ASSERT_TRUE(arrived);
  EXPECT_EQ(arrived->dnis, "95566");
  EXPECT_EQ(arrived->ani, "13800138000");
  EXPECT_EQ(arrived->trunk, "test-trunk");
  EXPECT_EQ(arrived->headers["x-bankcc-test"], "uac_pcap");
  rig.port().execute(telephony::Answer{arrived->leg});
  ASSERT_TRUE(rig.probe.waitFor<telephony::Answered>(
      [&](const telephony::Answered& a) { return a.leg == arrived->leg; }));

  telephony::LegId agent{rig.newId()};
  telephony::Originate o;
  o.leg = agent;
  o.to = {telephony::Destination::Kind::External, "2001"};
  o.callerId = arrived->ani;
  o.near = arrived->leg;
  rig.port().execute(o);
  ASSERT_TRUE(rig.probe.waitFor<telephony::Answered>(
      [&](const telephony::Answered& a) { return a.leg == agent; }));
  rig.port().execute(telephony::Bridge{arrived->leg, agent});
  telephony::RecordingId rec{rig.newId()};
  rig.port().execute(telephony::StartRecording{rec, arrived->leg, agent});

  // The caller hangs up; call control hangs up the agent and stops the recording.
  auto ended = rig.probe.waitFor<telephony::LegEnded>(
      [&](const telephony::LegEnded& e) { return e.leg == arrived->leg; }, 15s);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->cause, telephony::EndCause::Normal);
  EXPECT_GT(ended->packetsReceived, 100u);
  rig.port().execute(telephony::StopRecording{rec});
  rig.port().execute(telephony::Hangup{agent});
  auto stopped = rig.probe.waitFor<telephony::RecordingStopped>({}, 10s);
  ASSERT_TRUE(stopped);
  EXPECT_TRUE(stopped->complete);
  EXPECT_GT(stopped->duration, 2s);
  ASSERT_TRUE(rig.probe.waitFor<telephony::LegEnded>(
      [&](const telephony::LegEnded& e) { return e.leg == agent; }));
  EXPECT_TRUE(sippSucceeded(*caller));
  EXPECT_TRUE(sippSucceeded(*callee));

  auto contents = media::readRecording(stopped->file, testKey());
  ASSERT_TRUE(contents) << contents.error().describe();
  EXPECT_TRUE(contents->complete);
  ASSERT_GT(contents->interleaved.size(), 2u * 8000 * 2);
  std::vector<std::int16_t> left, right;
  for (std::size_t i = 0; i + 1 < contents->interleaved.size(); i += 2) {
    left.push_back(contents->interleaved[i]);
    right.push_back(contents->interleaved[i + 1]);
  }
  EXPECT_GT(itest::tonePower(left, 400), 0.5) << "the caller (400 Hz) is on the left";
  EXPECT_LT(itest::tonePower(left, 1000), 0.05);
  EXPECT_GT(itest::tonePower(right, 1000), 0.5) << "the callee (1 kHz) is on the right";
  EXPECT_LT(itest::tonePower(right, 400), 0.05);
}

TEST(VoiceTest, ACallerIsBridgedToARegisteredAgentPhoneThatAutoAnswers) {
  Rig rig;
  ASSERT_TRUE(rig.ok());
  auto agentPcap = rig.dir() / "agent.pcap";
  auto callerPcap = rig.dir() / "caller.pcap";
  itest::writeRtpPcap(agentPcap, itest::sine(1000, 3.0));
  itest::writeRtpPcap(callerPcap, itest::sine(400, 3.0));
  // sipp matches messages to calls by Call-ID, so one process registers the phone and another,
  // on the same port, is the phone answering.
  const auto phonePort = std::to_string(itest::freeUdpPort());
  auto registration =
      sipp(rig,
           {"-sf", (kScenarios / "register_only.xml").string(), "-p", phonePort, "-key", "caller",
            "8001", "-au", "8001", "-ap", "Phone-8001-pass", rig.sipAddress()},
           "register");
  ASSERT_TRUE(sippSucceeded(*registration));
  auto registered = rig.probe.waitFor<telephony::RegistrationChanged>();
  ASSERT_TRUE(registered);
  EXPECT_EQ(registered->extension, "8001");
  EXPECT_TRUE(registered->registered);
  auto phone = sipp(rig,
                    {"-sf", scenario(rig, "uas_pcap.xml", {{"[pcap]", agentPcap.string()}}), "-p",
                     phonePort, "-mp", std::to_string(sippMediaPort())},
                    "phone");
  std::this_thread::sleep_for(300ms);  // sipp binds its port

  auto caller = sipp(
      rig,
      {"-sf", scenario(rig, "uac_pcap.xml", {{"[pcap]", callerPcap.string()}, {"[hold]", "3000"}}),
       "-s", "95566", "-mp", std::to_string(sippMediaPort()), rig.sipAddress()},
      "caller");
  auto arrived = rig.probe.waitFor<telephony::LegArrived>();
  ASSERT_TRUE(arrived);
  rig.port().execute(telephony::Answer{arrived->leg});
  telephony::LegId agent{rig.newId()};
  telephony::Originate o;
  o.leg = agent;
  o.to = {telephony::Destination::Kind::Extension, "8001"};
  o.callerId = arrived->ani;
  o.near = arrived->leg;
  o.autoAnswer = true;
  rig.port().execute(o);
  ASSERT_TRUE(rig.probe.waitFor<telephony::Ringing>([&](const telephony::Ringing& r) {
    return r.leg == agent;
  })) <<
      [&] {
        auto e = rig.probe.waitFor<telephony::LegEnded>({}, 100ms);
        return e ? "leg ended: cause " + std::to_string(static_cast<int>(e->cause)) + " status " +
                       std::to_string(e->sipStatus)
                 : std::string("no leg ended");
      }();
  ASSERT_TRUE(rig.probe.waitFor<telephony::Answered>(
      [&](const telephony::Answered& a) { return a.leg == agent; }));
  rig.port().execute(telephony::Bridge{arrived->leg, agent});
  auto ended = rig.probe.waitFor<telephony::LegEnded>(
      [&](const telephony::LegEnded& e) { return e.leg == arrived->leg; }, 15s);
  ASSERT_TRUE(ended);
  rig.port().execute(telephony::Hangup{agent});
  auto agentEnded = rig.probe.waitFor<telephony::LegEnded>(
      [&](const telephony::LegEnded& e) { return e.leg == agent; });
  ASSERT_TRUE(agentEnded);
  EXPECT_GT(agentEnded->packetsReceived, 50u) << "the phone's audio reached the engine";
  EXPECT_TRUE(sippSucceeded(*caller));
  EXPECT_TRUE(sippSucceeded(*phone));
}

TEST(VoiceTest, UnansweredCallIsRefusedWithTheStatusCallControlChose) {
  Rig rig;
  ASSERT_TRUE(rig.ok());
  auto pcap = rig.dir() / "tone.pcap";
  itest::writeRtpPcap(pcap, itest::sine(1000, 0.5));
  // sipp's built-in uac expects 200; any other final answer makes it fail, as expected here.
  auto caller =
      sipp(rig,
           {"-sf", scenario(rig, "uac_pcap.xml", {{"[pcap]", pcap.string()}, {"[hold]", "100"}}),
            "-s", "95566", "-mp", std::to_string(sippMediaPort()), rig.sipAddress()},
           "refused");
  auto arrived = rig.probe.waitFor<telephony::LegArrived>();
  ASSERT_TRUE(arrived);
  rig.port().execute(telephony::Reject{arrived->leg, 486, "busy here"});
  auto ended = rig.probe.waitFor<telephony::LegEnded>(
      [&](const telephony::LegEnded& e) { return e.leg == arrived->leg; });
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->sipStatus, 486);
  EXPECT_EQ(ended->cause, telephony::EndCause::Busy);
  caller->wait(10s);
}

/// Our own SipStack as a caller, for tests that must see the audio that comes back.
class Caller final : public sip::SipHandler {
 public:
  explicit Caller(const Rig& rig) {
    rtp_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(rtp_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    ::getsockname(rtp_, reinterpret_cast<sockaddr*>(&sa), &len);
    rtpPort_ = ntohs(sa.sin_port);
    timeval tv{0, 200'000};
    ::setsockopt(rtp_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sip::SipConfig c;
    c.listen = "127.0.0.1:0";
    c.tcp = false;
    c.sessionExpires = {};
    sip::TrunkConfig t;
    t.name = "rig";
    t.peers.push_back(sip::Cidr{"127.0.0.1/32"});
    t.outbound = rig.sipAddress();
    c.trunks.push_back(t);
    auto stack = sip::SipStack::start(c, clock_, *this, creds_);
    if (stack) stack_ = std::move(stack).value();
  }
  ~Caller() override {
    stack_.reset();
    ::close(rtp_);
  }

  void dial(const std::string& number) {
    stack_->post([this, number] {
      sip::OutgoingCall out;
      out.target = sip::OutgoingCall::Target::External;
      out.number = number;
      out.callerId = "13800138000";
      out.offer = sip::makeOffer(sip::LocalCapabilities{}, "127.0.0.1", rtpPort_);
      auto call = stack_->invite(out);
      std::lock_guard lock(mu_);
      if (call) call_ = call.value();
    });
  }
  void hangup() {
    stack_->post([this] {
      std::lock_guard lock(mu_);
      if (call_) stack_->hangup(*call_);
    });
  }
  /// The far end's RTP address once answered.
  std::optional<std::uint16_t> waitAnswered(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return remotePort_ != 0; });
    if (remotePort_ == 0) return std::nullopt;
    return remotePort_;
  }
  bool waitEnded(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return ended_; });
  }
  int rtp() const { return rtp_; }

  void onIncomingCall(sip::IncomingCall c) override { stack_->respond(c.call, 603, {}); }
  void onProgress(sip::CallId, int, std::optional<sip::MediaDescription>) override {}
  void onEstablished(sip::CallId, std::optional<sip::MediaDescription> sdp) override {
    std::lock_guard lock(mu_);
    if (sdp) remotePort_ = sdp->port;
    cv_.notify_all();
  }
  base::Result<sip::MediaDescription> onReoffer(sip::CallId,
                                                const sip::MediaDescription&) override {
    return base::err(base::Errc::BadRequest, "not in this test");
  }
  void onEnded(sip::CallId, sip::EndReason, int) override {
    std::lock_guard lock(mu_);
    ended_ = true;
    cv_.notify_all();
  }
  void onRegistrationChanged(const std::string&, int) override {}

 private:
  base::RealClock clock_;
  sip::NoCredentials creds_;
  std::unique_ptr<sip::SipStack> stack_;
  int rtp_ = -1;
  std::uint16_t rtpPort_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<sip::CallId> call_;
  std::uint16_t remotePort_ = 0;
  bool ended_ = false;
};

TEST(VoiceTest, EchoTestReturnsTheCallersOwnAudioUnderTheEnginesOwnStream) {
  Rig rig;
  ASSERT_TRUE(rig.ok());
  Caller caller(rig);
  caller.dial("9196");
  auto remote = caller.waitAnswered(5s);
  ASSERT_TRUE(remote);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(*remote);
  int echoed = 0;
  for (std::uint16_t i = 0; i < 20; ++i) {
    std::uint8_t payload[160];
    for (int k = 0; k < 160; ++k) payload[k] = static_cast<std::uint8_t>(i * 7 + k);
    std::uint8_t packet[172];
    media::writeRtp(
        media::RtpHeader{8, i == 0, static_cast<std::uint16_t>(100 + i), 160u * i, 0xCA11E4},
        payload, packet);
    ::sendto(caller.rtp(), packet, sizeof packet, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    std::uint8_t in[1500];
    auto n = ::recv(caller.rtp(), in, sizeof in, 0);
    if (n <= 0) continue;
    auto parsed = media::parseRtp({in, static_cast<std::size_t>(n)});
    ASSERT_TRUE(parsed.packet);
    EXPECT_NE(parsed.packet->header.ssrc, 0xCA11E4u) << "the echo is the engine's own stream";
    if (parsed.packet->payload.size() == 160 &&
        std::equal(parsed.packet->payload.begin(), parsed.packet->payload.end(), payload)) {
      ++echoed;
    }
  }
  EXPECT_GE(echoed, 18) << "nearly every packet comes back with the caller's own audio";
  caller.hangup();
  EXPECT_TRUE(caller.waitEnded(5s));
}

TEST(VoiceTest, Rfc4733DigitFromSippIsCollectedOnce) {
  Rig rig;
  ASSERT_TRUE(rig.ok());
  auto caller =
      sipp(rig,
           {"-sf",
            scenario(rig, "uac_pcap.xml",
                     {{"[pcap]", "/usr/share/sip-tester/dtmf_2833_1.pcap"}, {"[hold]", "1500"}}),
            "-s", "95566", "-mp", std::to_string(sippMediaPort()), rig.sipAddress()},
           "rfc4733");
  auto arrived = rig.probe.waitFor<telephony::LegArrived>();
  ASSERT_TRUE(arrived);
  // The collection opens right behind the 200, before sipp's ACK starts its audio.
  telephony::CollectDigits c;
  c.leg = arrived->leg;
  c.maxDigits = 4;
  c.firstDigitTimeout = 5s;
  c.interDigitTimeout = 1s;
  c.request = 11;
  rig.port().execute(telephony::Answer{arrived->leg});
  rig.port().execute(c);
  ASSERT_TRUE(rig.probe.waitFor<telephony::Answered>());
  auto got = rig.probe.waitFor<telephony::DigitsCollected>(
      [](const telephony::DigitsCollected& d) { return d.request == 11; });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->digits, "1");
  EXPECT_EQ(got->reason, telephony::DigitsCollected::Reason::Timeout);
  EXPECT_TRUE(sippSucceeded(*caller));
}

TEST(VoiceTest, InBandSecretDigitsAreCollectedAndNeverReportedInTheClear) {
  Rig rig;
  ASSERT_TRUE(rig.ok());
  std::vector<std::int16_t> audio(8000 / 2, 0);  // 0.5 s of silence first
  for (char d : std::string("2580#")) media::generateDtmf(d, 120, 120, audio);
  audio.resize(audio.size() + 8000, 0);
  auto pcap = rig.dir() / "pin.pcap";
  itest::writeRtpPcap(pcap, audio);
  auto caller = sipp(
      rig,
      {"-sf", scenario(rig, "uac_pcap_inband.xml", {{"[pcap]", pcap.string()}, {"[hold]", "2500"}}),
       "-s", "95566", "-mp", std::to_string(sippMediaPort()), rig.sipAddress()},
      "inband");
  auto arrived = rig.probe.waitFor<telephony::LegArrived>();
  ASSERT_TRUE(arrived);
  telephony::CollectDigits c;
  c.leg = arrived->leg;
  c.minDigits = 4;
  c.maxDigits = 6;
  c.secret = true;
  c.request = 12;
  rig.port().execute(telephony::Answer{arrived->leg});
  rig.port().execute(c);
  ASSERT_TRUE(rig.probe.waitFor<telephony::Answered>());
  auto got = rig.probe.waitFor<telephony::DigitsCollected>(
      [](const telephony::DigitsCollected& d) { return d.request == 12; });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->reason, telephony::DigitsCollected::Reason::Terminator);
  EXPECT_TRUE(got->digits.empty());
  EXPECT_EQ(got->secret.visit([](std::string_view v) { return std::string(v); }), "2580");
  EXPECT_EQ(rig.probe.count<telephony::DigitPressed>(), 0u);
  EXPECT_TRUE(sippSucceeded(*caller));
}

TEST(VoiceTest, BaresipCompletesACallToTheToneTest) {
  Rig rig;
  ASSERT_TRUE(rig.ok());
  auto conf = rig.dir() / "baresip";
  std::filesystem::create_directories(conf);
  std::ofstream(conf / "config") << "module_path /usr/lib/baresip/modules\n"
                                    "module g711.so\nmodule ausine.so\nmodule aufile.so\n"
                                    "module account.so\nmodule menu.so\n"
                                    "audio_player aufile,"
                                 << (rig.dir() / "heard.wav").string()
                                 << "\naudio_source ausine,1000\naudio_alert aufile,/dev/null\n"
                                    "sip_listen 127.0.0.1:"
                                 << itest::freeUdpPort() << "\n";
  std::ofstream(conf / "accounts") << "<sip:bank@127.0.0.1>;regint=0\n";
  testing::Process baresip({"/usr/bin/baresip", "-f", conf.string(), "-n", "127.0.0.1", "-e",
                            "/dial sip:9197@" + rig.sipAddress(), "-t", "4"},
                           rig.dir() / "baresip.stderr");
  auto rc = baresip.wait(20s);
  EXPECT_TRUE(rc.has_value());
  for (int i = 0; i < 100 && rig.port().stats().legs != 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rig.port().stats().diagnostic, 1u) << baresip.stderrText();
  EXPECT_EQ(rig.port().stats().legs, 0u) << "baresip hung up and the leg is gone";
}

}  // namespace
}  // namespace bankcc::voice
