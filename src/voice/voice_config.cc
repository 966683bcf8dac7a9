// SPDX-License-Identifier: Apache-2.0
#include "voice/voice_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

namespace bankcc::voice {

namespace {

using namespace std::chrono_literals;

/// "host:port" with a port in 0..65535 (0 picks one); IPv6 hosts in brackets.
bool validHostPort(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  auto port = s.substr(colon + 1);
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) return false;
  return std::stoi(port) <= 65535;
}

bool digitsOnly(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

base::Status parseSipSection(base::ConfigSection& sec,
                             const std::optional<std::string>& sipOverride,
                             TelephonySettings& into) {
  sip::SipConfig& c = into.sip;
  into.enabled = sec.getBool("enabled", true);
  c.listen = sec.getString("listen", "127.0.0.1:5060");
  if (sipOverride) c.listen = *sipOverride;
  if (!validHostPort(c.listen)) sec.addError("listen", "must be ADDRESS:PORT, e.g. 0.0.0.0:5060");
  c.udp = sec.getBool("udp", true);
  c.tcp = sec.getBool("tcp", true);
  if (!c.udp && !c.tcp) sec.addError("tcp", "at least one of udp and tcp must be on");
  c.realm = sec.getString("realm", "bankcc");
  if (c.realm.empty() || c.realm.find('"') != std::string::npos) {
    sec.addError("realm", "must be a non-empty name without quotes");
  }
  c.minRegisterExpiry = sec.getDuration("register_min_expiry", 60s, 10s, 1h);
  c.maxRegisterExpiry = sec.getDuration("register_max_expiry", 1h, 10s, 24h);
  if (c.maxRegisterExpiry < c.minRegisterExpiry) {
    sec.addError("register_max_expiry", "must not be below register_min_expiry");
  }
  c.sessionExpires = sec.getDuration("session_expires", 30min, 0s, 24h);
  c.minSessionExpires = sec.getDuration("min_session_expires", 90s, 90s, 1h);
  if (c.sessionExpires.count() != 0 && c.sessionExpires < c.minSessionExpires) {
    sec.addError("session_expires", "must be 0s (off) or at least min_session_expires");
  }
  c.userAgent = sec.getString("user_agent", "bankcc");

  VoiceConfig& v = into.voice;
  v.echoTestNumber = sec.getString("echo_test_number", "9196");
  v.toneTestNumber = sec.getString("tone_test_number", "9197");
  for (const char* key : {"echo_test_number", "tone_test_number"}) {
    const std::string& n =
        std::string(key) == "echo_test_number" ? v.echoTestNumber : v.toneTestNumber;
    if (!digitsOnly(n)) sec.addError(key, "must be digits, or \"\" to turn it off");
  }
  if (!v.echoTestNumber.empty() && v.echoTestNumber == v.toneTestNumber) {
    sec.addError("tone_test_number", "must differ from echo_test_number");
  }
  v.capabilities.codecs = sec.getStringList("codecs", {"PCMA", "PCMU"});
  if (v.capabilities.codecs.empty()) sec.addError("codecs", "name at least one codec");
  for (const auto& codec : v.capabilities.codecs) {
    if (codec != "PCMA" && codec != "PCMU") {
      sec.addError("codecs", fmt::format("unsupported codec \"{}\" (PCMA, PCMU)", codec));
    }
  }

  std::vector<std::string> nested;
  auto trunks = sec.section("trunks");
  for (const auto& name : trunks.keys()) {
    auto t = trunks.section(name);
    sip::TrunkConfig trunk;
    trunk.name = name;
    for (auto& p : t.getStringList("peers", {})) trunk.peers.push_back(sip::Cidr{std::move(p)});
    trunk.outbound = t.getString("outbound", "");
    trunk.transport = t.getEnum("transport", "udp", {"udp", "tcp"});
    if (trunk.peers.empty() && trunk.outbound.empty()) {
      t.addError("peers", "a trunk needs peers (inbound), outbound, or both");
    }
    if (!trunk.outbound.empty() && !validHostPort(trunk.outbound)) {
      t.addError("outbound", "must be HOST:PORT");
    }
    c.trunks.push_back(std::move(trunk));
    if (auto st = t.finish(); !st) nested.push_back(st.error().message);
  }
  if (auto st = trunks.finish(); !st) nested.push_back(st.error().message);
  if (nested.empty()) return {};
  std::string all;
  for (const auto& m : nested) all += (all.empty() ? "" : "\n") + m;
  return base::err(base::Errc::BadRequest, all);
}

void parseMediaSection(base::ConfigSection& sec, TelephonySettings& into) {
  media::MediaConfig& m = into.media;
  m.workers = static_cast<std::size_t>(sec.getInt("workers", 0, 0, 64));
  m.rtpAddress = sec.getString("rtp_address", "127.0.0.1");
  if (m.rtpAddress == "0.0.0.0" || m.rtpAddress == "::" || m.rtpAddress.empty()) {
    sec.addError("rtp_address", "must be the address peers send RTP to (it goes into SDP)");
  }
  m.portMin = static_cast<std::uint16_t>(sec.getInt("rtp_port_min", 20000, 1024, 65534));
  m.portMax = static_cast<std::uint16_t>(sec.getInt("rtp_port_max", 29999, 1025, 65535));
  if (m.portMax < m.portMin + 3) {
    sec.addError("rtp_port_max", "must leave room for at least two RTP/RTCP port pairs");
  }
  m.rtpTimeout = sec.getDuration("rtp_timeout", 30s, 0s, 1h);
  m.jitterDepthFrames = static_cast<std::size_t>(sec.getInt("jitter_depth_frames", 2, 1, 10));
  into.promptsDir = sec.getString("prompts_dir", "");
  m.tonePlan = sec.getEnum("tone_plan", "china", {"china", "itu"}) == "itu"
                   ? media::TonePlan::Itu
                   : media::TonePlan::China;
}

}  // namespace bankcc::voice
