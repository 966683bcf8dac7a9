// SPDX-License-Identifier: Apache-2.0
#include "sip/digest.h"

#include <gtest/gtest.h>

namespace bankcc::sip {
namespace {

using namespace std::chrono_literals;

TEST(DigestTest, Rfc2617Section35Example) {
  const std::string ha1 = digestHa1("Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(ha1, "939e7578ed9e3c518a452acee763bce9");
  auto c = parseDigestParams(
      {"username=\"Mufasa\"", "realm=\"testrealm@host.com\"",
       "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"", "uri=\"/dir/index.html\"", "qop=auth",
       "nc=00000001", "cnonce=\"0a4f113b\"", "response=\"6629fae49393a05397450978507c4ef1\"",
       "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""});
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->username, "Mufasa");
  EXPECT_EQ(c->opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  EXPECT_EQ(digestResponse(ha1, *c, "GET"), "6629fae49393a05397450978507c4ef1");
}

TEST(DigestTest, Rfc2069WithoutQop) {
  DigestCredentials c;
  c.nonce = "abc";
  c.uri = "sip:bankcc";
  const std::string ha1 = digestHa1("1001", "bankcc", "secret");
  const std::string ha2 = md5Hex("REGISTER:sip:bankcc");
  EXPECT_EQ(digestResponse(ha1, c, "REGISTER"), md5Hex(ha1 + ":abc:" + ha2));
}

TEST(DigestTest, ParseRejectsMissingFieldsAndBadQuotes) {
  EXPECT_FALSE(parseDigestParams({"username=\"a\"", "realm=\"r\""}).ok());
  EXPECT_FALSE(
      parseDigestParams({"username=\"a", "realm=r", "nonce=n", "uri=u", "response=x"}).ok());
  EXPECT_FALSE(
      parseDigestParams({"username=a", "realm=r", "nonce=n", "uri=u", "response=x", "qop=auth"})
          .ok());
  auto escaped = parseDigestParams(
      {"username=\"a\\\"b\"", "realm=r", "nonce=n", "uri=u", "response=x", "flag"});
  ASSERT_TRUE(escaped.ok());
  EXPECT_EQ(escaped->username, "a\"b");
}

class NonceTest : public ::testing::Test {
 protected:
  base::ManualClock clock_;
  NonceIssuer nonces_{clock_, 30s, std::array<std::uint8_t, 32>{1, 2, 3}};
};

TEST_F(NonceTest, FreshNonceIsValidThenStale) {
  const std::string n = nonces_.issue("bankcc");
  EXPECT_EQ(n.size(), 48u);
  EXPECT_EQ(nonces_.check(n, "bankcc"), NonceStatus::Valid);
  clock_.advance(29s);
  EXPECT_EQ(nonces_.check(n, "bankcc"), NonceStatus::Valid);
  clock_.advance(2s);
  EXPECT_EQ(nonces_.check(n, "bankcc"), NonceStatus::Stale);
}

TEST_F(NonceTest, ForgedOrForeignNoncesAreInvalid) {
  std::string n = nonces_.issue("bankcc");
  EXPECT_EQ(nonces_.check(n, "other-realm"), NonceStatus::Invalid);
  std::string tampered = n;
  tampered[20] = tampered[20] == 'a' ? 'b' : 'a';
  EXPECT_EQ(nonces_.check(tampered, "bankcc"), NonceStatus::Invalid);
  // Moving the timestamp forward without the key breaks the HMAC.
  std::string later = n;
  later[15] = later[15] == 'f' ? 'e' : 'f';
  EXPECT_EQ(nonces_.check(later, "bankcc"), NonceStatus::Invalid);
  EXPECT_EQ(nonces_.check("", "bankcc"), NonceStatus::Invalid);
  EXPECT_EQ(nonces_.check(std::string(48, 'z'), "bankcc"), NonceStatus::Invalid);
  NonceIssuer other(clock_, 30s);  // another process's random key
  EXPECT_EQ(other.check(n, "bankcc"), NonceStatus::Invalid);
}

TEST_F(NonceTest, ClockSetBackMakesNonceStale) {
  const std::string n = nonces_.issue("bankcc");
  clock_.setNow(clock_.now() - 10s);
  EXPECT_EQ(nonces_.check(n, "bankcc"), NonceStatus::Stale);
}

TEST_F(NonceTest, VerifyDigestEndToEnd) {
  const std::string ha1 = digestHa1("1001", "bankcc", "secret");
  DigestCredentials c;
  c.username = "1001";
  c.realm = "bankcc";
  c.nonce = nonces_.issue("bankcc");
  c.uri = "sip:127.0.0.1";
  c.qop = "auth";
  c.nc = "00000001";
  c.cnonce = "xyz";
  c.response = digestResponse(ha1, c, "REGISTER");
  EXPECT_EQ(verifyDigest(c, "REGISTER", ha1, nonces_, "bankcc"), DigestVerdict::Ok);
  EXPECT_EQ(verifyDigest(c, "INVITE", ha1, nonces_, "bankcc"), DigestVerdict::Refused);
  EXPECT_EQ(verifyDigest(c, "REGISTER", digestHa1("1001", "bankcc", "wrong"), nonces_, "bankcc"),
            DigestVerdict::Refused);
  EXPECT_EQ(verifyDigest(c, "REGISTER", ha1, nonces_, "elsewhere"), DigestVerdict::Refused);
  DigestCredentials sha = c;
  sha.algorithm = "SHA-256";
  EXPECT_EQ(verifyDigest(sha, "REGISTER", ha1, nonces_, "bankcc"), DigestVerdict::Refused);
  clock_.advance(31s);
  EXPECT_EQ(verifyDigest(c, "REGISTER", ha1, nonces_, "bankcc"), DigestVerdict::Stale);
}

TEST(DigestChallengeTest, Format) {
  EXPECT_EQ(digestChallenge("bankcc", "n1", false),
            "Digest realm=\"bankcc\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"");
  EXPECT_NE(digestChallenge("bankcc", "n1", true).find("stale=true"), std::string::npos);
}

}  // namespace
}  // namespace bankcc::sip
