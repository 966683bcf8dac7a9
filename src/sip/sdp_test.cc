// SPDX-License-Identifier: Apache-2.0
#include "sip/sdp.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace bankcc::sip {
namespace {

using base::Errc;

// RFC 4317 section 2.1 style: PCMU, GSM... we keep the shape, not the exact bytes.
constexpr const char* kAliceOffer =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n"
    "s=\r\n"
    "c=IN IP4 host.atlanta.example.com\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 97\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:97 iLBC/8000\r\n"
    "m=video 51372 RTP/AVP 31 32\r\n"
    "a=rtpmap:31 H261/90000\r\n"
    "a=rtpmap:32 MPV/90000\r\n";

std::string offerWith(const std::string& mline, const std::string& extra = "",
                      const std::string& conn = "c=IN IP4 192.0.2.10\r\n") {
  return "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\n" + conn + "t=0 0\r\n" + mline + "\r\n" +
         extra;
}

TEST(SdpParseTest, ReadsRfc4317OfferAndKeepsVideoAsOtherStream) {
  auto d = parseSdp(kAliceOffer);
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(d->address, "host.atlanta.example.com");
  EXPECT_EQ(d->port, 49170);
  ASSERT_EQ(d->codecs.size(), 3u);
  EXPECT_EQ(d->codecs[0].name, "PCMU");
  EXPECT_EQ(d->codecs[0].payloadType, 0);
  EXPECT_EQ(d->codecs[1].name, "PCMA");
  EXPECT_EQ(d->codecs[2].name, "ILBC");
  EXPECT_EQ(d->codecs[2].payloadType, 97);
  EXPECT_EQ(d->direction, MediaDirection::SendRecv);
  EXPECT_EQ(d->audioIndex, 0u);
  ASSERT_EQ(d->otherStreams.size(), 1u);
  EXPECT_EQ(d->otherStreams[0].media, "video");
  EXPECT_EQ(d->otherStreams[0].format, "31");
}

TEST(SdpParseTest, StaticPayloadTypesWithoutRtpmapAreKnown) {
  auto d = parseSdp(offerWith("m=audio 4000 RTP/AVP 8 0 18"));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  ASSERT_EQ(d->codecs.size(), 3u);
  EXPECT_EQ(d->codecs[0].name, "PCMA");
  EXPECT_EQ(d->codecs[1].name, "PCMU");
  EXPECT_EQ(d->codecs[2].name, "G729");
  EXPECT_EQ(d->codecs[2].clockRate, 8000);
}

TEST(SdpParseTest, DynamicPayloadWithoutRtpmapIsSkipped) {
  auto d = parseSdp(offerWith("m=audio 4000 RTP/AVP 8 96"));
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->codecs.size(), 1u);
  EXPECT_EQ(d->codecs[0].name, "PCMA");
}

TEST(SdpParseTest, MediaConnectionWinsOverSessionConnection) {
  auto d = parseSdp(offerWith("m=audio 4000 RTP/AVP 0", "c=IN IP4 198.51.100.7\r\n"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->address, "198.51.100.7");
}

TEST(SdpParseTest, Ipv6ConnectionIsAccepted) {
  auto d = parseSdp(offerWith("m=audio 4000 RTP/AVP 0", "", "c=IN IP6 2001:db8::1\r\n"));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(d->address, "2001:db8::1");
}

TEST(SdpParseTest, ReadsPtimeRtcpMuxAndDirection) {
  auto d =
      parseSdp(offerWith("m=audio 4000 RTP/AVP 0", "a=ptime:30\r\na=rtcp-mux\r\na=sendonly\r\n"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ptimeMs, 30);
  EXPECT_TRUE(d->rtcpMux);
  EXPECT_EQ(d->direction, MediaDirection::SendOnly);
}

TEST(SdpParseTest, SessionLevelDirectionAndPtimeApply) {
  std::string sdp =
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "a=recvonly\r\na=ptime:40\r\nm=audio 4000 RTP/AVP 8\r\n";
  auto d = parseSdp(sdp);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->direction, MediaDirection::RecvOnly);
  EXPECT_EQ(d->ptimeMs, 40);
}

TEST(SdpParseTest, BogusPtimeKeepsDefault) {
  auto d = parseSdp(offerWith("m=audio 4000 RTP/AVP 0", "a=ptime:0\r\n"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ptimeMs, 20);
}

TEST(SdpParseTest, OldStyleHoldAddressMeansSendOnly) {
  auto d = parseSdp(offerWith("m=audio 4000 RTP/AVP 0", "", "c=IN IP4 0.0.0.0\r\n"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->direction, MediaDirection::SendOnly);
}

TEST(SdpParseTest, PortZeroParsesAsDisabledStream) {
  auto d = parseSdp(offerWith("m=audio 0 RTP/AVP 0"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 0);
  EXPECT_EQ(d->direction, MediaDirection::Inactive);
}

TEST(SdpParseTest, AudioAfterVideoKeepsItsPosition) {
  auto d = parseSdp(offerWith("m=video 5000 RTP/AVP 31\r\nm=audio 4000 RTP/AVP 8"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->audioIndex, 1u);
  ASSERT_EQ(d->otherStreams.size(), 1u);
  std::string rendered = renderSdp(makeAnswer(*negotiate(*d, {}), "192.0.2.99", 7000), 1, 1);
  EXPECT_LT(rendered.find("m=video 0 RTP/AVP 31"), rendered.find("m=audio 7000"));
}

struct MalformedCase {
  const char* name;
  std::string body;
};

class SdpMalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(SdpMalformedTest, IsBadRequest) {
  auto d = parseSdp(GetParam().body);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::BadRequest) << d.error().describe();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SdpMalformedTest,
    ::testing::Values(
        MalformedCase{"empty", ""}, MalformedCase{"garbage", "hello world, this is not SDP"},
        MalformedCase{"binary", std::string("\x01\x02\xff\xfe v=0\r\n", 10)},
        MalformedCase{"nul", std::string("v=0\r\n\0o=- 1 1 IN IP4 1.2.3.4\r\n", 30)},
        MalformedCase{"noAudio", offerWith("m=video 5000 RTP/AVP 31")},
        MalformedCase{"noMedia",
                      "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
                      "t=0 0\r\n"},
        MalformedCase{"portTooLarge", offerWith("m=audio 70000 RTP/AVP 0")},
        MalformedCase{"portNotNumber", offerWith("m=audio abc RTP/AVP 0")},
        MalformedCase{"missingConnection", offerWith("m=audio 4000 RTP/AVP 0", "", "")},
        MalformedCase{"badVersion",
                      "v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
                      "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"},
        MalformedCase{"noOrigin",
                      "v=0\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
                      "m=audio 4000 RTP/AVP 0\r\n"},
        MalformedCase{"payloadTypeTooLarge", offerWith("m=audio 4000 RTP/AVP 200")},
        // sofia 1.12.11 would loop forever on these two (see sdp.cc).
        MalformedCase{"unknownProtoBadFormat", offerWith("m=audio 4000 FOO /x")},
        MalformedCase{"binaryInProto", offerWith("m=audio 4000 RT\xb0/AVP 0 8")},
        MalformedCase{"savpOnly", offerWith("m=audio 4000 RTP/SAVP 0")},
        MalformedCase{"huge",
                      offerWith("m=audio 4000 RTP/AVP 0", std::string(100'000, 'a') + "\r\n")}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

TEST(SdpRenderTest, RendersEveryLine) {
  MediaDescription d;
  d.address = "192.0.2.5";
  d.port = 10000;
  d.codecs = {{8, "PCMA", 8000}, {101, "TELEPHONE-EVENT", 8000}};
  d.ptimeMs = 20;
  d.rtcpMux = true;
  d.direction = MediaDirection::RecvOnly;
  EXPECT_EQ(renderSdp(d, 42, 7),
            "v=0\r\n"
            "o=bankcc 42 7 IN IP4 192.0.2.5\r\n"
            "s=bankcc\r\n"
            "c=IN IP4 192.0.2.5\r\n"
            "t=0 0\r\n"
            "m=audio 10000 RTP/AVP 8 101\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\n"
            "a=ptime:20\r\n"
            "a=rtcp-mux\r\n"
            "a=recvonly\r\n");
}

TEST(SdpRenderTest, Ipv6AndRoundTrip) {
  MediaDescription d;
  d.address = "2001:db8::5";
  d.port = 20000;
  d.codecs = {{0, "PCMU", 8000}, {96, "TELEPHONE-EVENT", 8000}};
  d.direction = MediaDirection::SendOnly;
  std::string text = renderSdp(d, 1, 2);
  EXPECT_NE(text.find("c=IN IP6 2001:db8::5"), std::string::npos);
  auto back = parseSdp(text);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->address, d.address);
  EXPECT_EQ(back->port, d.port);
  ASSERT_EQ(back->codecs.size(), 2u);
  EXPECT_EQ(back->codecs[1].name, "TELEPHONE-EVENT");
  EXPECT_EQ(back->codecs[1].payloadType, 96);
  EXPECT_EQ(back->direction, MediaDirection::SendOnly);
}

TEST(SdpNegotiateTest, HonoursOfferersPreference) {
  auto offer = parseSdp(offerWith("m=audio 4000 RTP/AVP 0 8 101",
                                  "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"));
  ASSERT_TRUE(offer.ok());
  auto n = negotiate(*offer, LocalCapabilities{});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->codec.name, "PCMU");  // the offerer's first, although we prefer PCMA
  EXPECT_EQ(n->telephoneEventPt, 101);
  EXPECT_EQ(n->ourDirection, MediaDirection::SendRecv);
}

TEST(SdpNegotiateTest, DynamicTelephoneEventPayloadType96) {
  auto offer =
      parseSdp(offerWith("m=audio 4000 RTP/AVP 8 96", "a=rtpmap:96 telephone-event/8000\r\n"));
  ASSERT_TRUE(offer.ok());
  auto n = negotiate(*offer, LocalCapabilities{});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->codec.name, "PCMA");
  EXPECT_EQ(n->telephoneEventPt, 96);
  MediaDescription answer = makeAnswer(*n, "192.0.2.1", 30000);
  std::string text = renderSdp(answer, 1, 1);
  EXPECT_NE(text.find("m=audio 30000 RTP/AVP 8 96\r\n"), std::string::npos);
  EXPECT_NE(text.find("a=fmtp:96 0-15"), std::string::npos);
}

TEST(SdpNegotiateTest, TelephoneEventIgnoredWhenNotWanted) {
  auto offer =
      parseSdp(offerWith("m=audio 4000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000\r\n"));
  ASSERT_TRUE(offer.ok());
  LocalCapabilities caps;
  caps.telephoneEvent = false;
  auto n = negotiate(*offer, caps);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->telephoneEventPt, -1);
  EXPECT_EQ(makeAnswer(*n, "192.0.2.1", 1).codecs.size(), 1u);
}

TEST(SdpNegotiateTest, PcmuOnlyOffer) {
  auto offer = parseSdp(offerWith("m=audio 4000 RTP/AVP 0"));
  ASSERT_TRUE(offer.ok());
  auto n = negotiate(*offer, LocalCapabilities{});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->codec.payloadType, 0);
  EXPECT_EQ(n->telephoneEventPt, -1);
}

TEST(SdpNegotiateTest, G729OnlyOfferHasNoCommonCodec) {
  auto offer = parseSdp(offerWith("m=audio 4000 RTP/AVP 18", "a=rtpmap:18 G729/8000\r\n"));
  ASSERT_TRUE(offer.ok());
  auto n = negotiate(*offer, LocalCapabilities{});
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::ValidationFailed);
}

TEST(SdpNegotiateTest, OnlyTelephoneEventIsNoCodec) {
  auto offer =
      parseSdp(offerWith("m=audio 4000 RTP/AVP 101", "a=rtpmap:101 telephone-event/8000\r\n"));
  ASSERT_TRUE(offer.ok());
  EXPECT_FALSE(negotiate(*offer, LocalCapabilities{}).ok());
}

TEST(SdpNegotiateTest, PortZeroOfferIsRefused) {
  auto offer = parseSdp(offerWith("m=audio 0 RTP/AVP 8"));
  ASSERT_TRUE(offer.ok());
  auto n = negotiate(*offer, LocalCapabilities{});
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::ValidationFailed);
}

struct HoldCase {
  const char* attribute;
  MediaDirection ours;
};

class SdpHoldTest : public ::testing::TestWithParam<HoldCase> {};

TEST_P(SdpHoldTest, MirrorsDirection) {
  auto offer = parseSdp(offerWith("m=audio 4000 RTP/AVP 8", GetParam().attribute));
  ASSERT_TRUE(offer.ok());
  auto n = negotiate(*offer, LocalCapabilities{});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->ourDirection, GetParam().ours);
  EXPECT_EQ(makeAnswer(*n, "192.0.2.1", 5).direction, GetParam().ours);
}

INSTANTIATE_TEST_SUITE_P(Directions, SdpHoldTest,
                         ::testing::Values(HoldCase{"a=sendonly\r\n", MediaDirection::RecvOnly},
                                           HoldCase{"a=recvonly\r\n", MediaDirection::SendOnly},
                                           HoldCase{"a=inactive\r\n", MediaDirection::Inactive},
                                           HoldCase{"a=sendrecv\r\n", MediaDirection::SendRecv},
                                           HoldCase{"", MediaDirection::SendRecv}));

TEST(SdpOfferAnswerTest, MakeOfferUsesStaticTypesAnd101) {
  MediaDescription offer = makeOffer(LocalCapabilities{}, "192.0.2.1", 4000);
  ASSERT_EQ(offer.codecs.size(), 3u);
  EXPECT_EQ(offer.codecs[0].payloadType, 8);
  EXPECT_EQ(offer.codecs[1].payloadType, 0);
  EXPECT_EQ(offer.codecs[2].payloadType, 101);
  auto reparsed = parseSdp(renderSdp(offer, 1, 1));
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(reparsed->codecs.size(), 3u);
}

TEST(SdpOfferAnswerTest, AcceptAnswerReadsChosenCodec) {
  MediaDescription offer = makeOffer(LocalCapabilities{}, "192.0.2.1", 4000);
  auto answer = parseSdp(offerWith("m=audio 6000 RTP/AVP 0 101",
                                   "a=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n"));
  ASSERT_TRUE(answer.ok());
  auto n = acceptAnswer(offer, *answer);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->codec.name, "PCMU");
  EXPECT_EQ(n->telephoneEventPt, 101);
  EXPECT_EQ(n->ourDirection, MediaDirection::SendOnly);
}

TEST(SdpOfferAnswerTest, AcceptAnswerRefusesUnofferedCodecAndPortZero) {
  MediaDescription offer = makeOffer(LocalCapabilities{}, "192.0.2.1", 4000);
  auto g729 = parseSdp(offerWith("m=audio 6000 RTP/AVP 18"));
  ASSERT_TRUE(g729.ok());
  EXPECT_EQ(acceptAnswer(offer, *g729).error().code, Errc::ValidationFailed);
  auto declined = parseSdp(offerWith("m=audio 0 RTP/AVP 8"));
  ASSERT_TRUE(declined.ok());
  EXPECT_FALSE(acceptAnswer(offer, *declined).ok());
}

// Random and mutated input must never crash the parser; the result may be either.
TEST(SdpFuzzTest, RandomAndMutatedInputNeverCrashes) {
  std::mt19937 rng(4242);
  const std::string seed = std::string(kAliceOffer) + "a=ptime:20\r\na=sendonly\r\n";
  const std::string alphabet = "v=oscmta:/ 0123456789INP46RTAVP\r\n.-*";
  const char* const lines[] = {"i=info\r\n",
                               "k=clear:abc\r\n",
                               "b=AS:64\r\n",
                               "a=rtpmap:\r\n",
                               "a=fmtp:\r\n",
                               "c=IN IP6 ::\r\n",
                               "m=audio 1 RTP/AVP\r\n",
                               "a=\r\n",
                               "z=\r\n",
                               "r=7d 1h 0\r\n",
                               "e=\r\n",
                               "p=\r\n",
                               "u=\r\n",
                               "m=video 0 RTP/AVP 31\r\n",
                               "a=rtpmap:96 x/\r\n",
                               "\r\n",
                               "m=\r\n",
                               "=\r\n",
                               "a=inactive\r\n",
                               "m=audio 0 RTP/AVP 8\r\n",
                               "t=\r\n",
                               "o=\r\n",
                               "c=\r\n"};
  int parsed = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string s = seed;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const std::size_t at = rng() % s.size();
      switch (rng() % 5) {
        case 4:
          s.insert(s.rfind('\n', at) == std::string::npos ? 0 : s.rfind('\n', at) + 1,
                   lines[rng() % std::size(lines)]);
          break;
        case 0:
          s[at] = static_cast<char>(rng() % 256);
          break;
        case 1:
          s.erase(at, 1 + rng() % 16);
          break;
        case 2:
          s.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          s.insert(at, s.substr(rng() % s.size(), rng() % 32));
          break;
      }
    }
    if (i % 10 == 0) {  // now and then pure noise
      s.resize(rng() % 300);
      for (char& c : s) c = static_cast<char>(rng() % 256);
    }
    auto d = parseSdp(s);
    if (d.ok()) {
      ++parsed;
      (void)negotiate(*d, LocalCapabilities{});
      (void)renderSdp(*d, 1, 1);
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace bankcc::sip
