// SPDX-License-Identifier: Apache-2.0
#include "voice/voice_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bankcc::voice {
namespace {

using ::testing::HasSubstr;

struct Parsed {
  TelephonySettings settings;
  std::string errors;  ///< every section's finish() messages, "" when clean
};

Parsed parse(std::string_view text, std::optional<std::string> sipFlag = std::nullopt) {
  auto file = base::ConfigFile::parse(text, "bankcc.toml");
  EXPECT_TRUE(file.ok()) << file.error().describe();
  Parsed p;
  auto sip = file->section("sip");
  if (auto st = parseSipSection(sip, sipFlag, p.settings); !st) {
    p.errors += st.error().message + "\n";
  }
  auto media = file->section("media");
  parseMediaSection(media, p.settings);
  for (auto* sec : {&sip, &media}) {
    if (auto st = sec->finish(); !st) p.errors += st.error().message + "\n";
  }
  return p;
}

TEST(VoiceConfigTest, DefaultsServeAOneMachineCenter) {
  auto p = parse("");
  EXPECT_EQ(p.errors, "");
  EXPECT_TRUE(p.settings.enabled);
  EXPECT_EQ(p.settings.sip.listen, "127.0.0.1:5060");
  EXPECT_EQ(p.settings.voice.echoTestNumber, "9196");
  EXPECT_EQ(p.settings.voice.toneTestNumber, "9197");
  EXPECT_EQ(p.settings.voice.capabilities.codecs, (std::vector<std::string>{"PCMA", "PCMU"}));
  EXPECT_EQ(p.settings.media.portMin, 20000);
  EXPECT_EQ(p.settings.media.rtpTimeout, std::chrono::seconds(30));
  EXPECT_TRUE(p.settings.sip.trunks.empty());
}

TEST(VoiceConfigTest, ReadsTrunksAndTheSipFlagWins) {
  auto p = parse(R"(
[sip]
listen = "10.0.0.5:5060"
session_expires = "0s"
[sip.trunks.carrier-a]
peers = ["10.1.2.0/24", "10.1.3.7"]
outbound = "10.1.2.1:5060"
[sip.trunks.pbx]
peers = ["192.0.2.1"]
transport = "tcp"
[media]
rtp_address = "10.0.0.5"
rtp_port_min = 30000
rtp_port_max = 30999
tone_plan = "itu"
)",
                 "127.0.0.1:0");
  EXPECT_EQ(p.errors, "");
  EXPECT_EQ(p.settings.sip.listen, "127.0.0.1:0");
  EXPECT_EQ(p.settings.sip.sessionExpires.count(), 0);
  ASSERT_EQ(p.settings.sip.trunks.size(), 2u);
  EXPECT_EQ(p.settings.sip.trunks[0].name, "carrier-a");
  EXPECT_EQ(p.settings.sip.trunks[0].peers.size(), 2u);
  EXPECT_EQ(p.settings.sip.trunks[0].outbound, "10.1.2.1:5060");
  EXPECT_EQ(p.settings.sip.trunks[1].transport, "tcp");
  EXPECT_EQ(p.settings.media.tonePlan, media::TonePlan::Itu);
  EXPECT_EQ(p.settings.media.portMax, 30999);
}

TEST(VoiceConfigTest, BadValuesAreReportedWithTheirKeys) {
  auto p = parse(R"(
[sip]
listen = "nowhere"
echo_test_number = "9x96"
tone_test_number = "9x96"
codecs = ["G729"]
session_expires = "30s"
[sip.trunks.empty]
transport = "sctp"
[media]
rtp_address = "0.0.0.0"
rtp_port_min = 30000
rtp_port_max = 30001
unknown_key = 1
)");
  EXPECT_THAT(p.errors, HasSubstr("sip.listen"));
  EXPECT_THAT(p.errors, HasSubstr("echo_test_number"));
  EXPECT_THAT(p.errors, HasSubstr("must differ"));
  EXPECT_THAT(p.errors, HasSubstr("unsupported codec \"G729\""));
  EXPECT_THAT(p.errors, HasSubstr("session_expires"));
  EXPECT_THAT(p.errors, HasSubstr("transport"));
  EXPECT_THAT(p.errors, HasSubstr("a trunk needs peers"));
  EXPECT_THAT(p.errors, HasSubstr("rtp_address"));
  EXPECT_THAT(p.errors, HasSubstr("rtp_port_max"));
  EXPECT_THAT(p.errors, HasSubstr("unknown_key"));
}

}  // namespace
}  // namespace bankcc::voice
