// SPDX-License-Identifier: Apache-2.0
#include "media/audio_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "media/g711.h"

namespace bankcc::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}
void putId(Bytes& b, const char* id) {
  b.insert(b.end(), id, id + 4);
}

void putChunk(Bytes& b, const char* id, const Bytes& body, bool pad = true) {
  putId(b, id);
  put32(b, static_cast<std::uint32_t>(body.size()));
  b.insert(b.end(), body.begin(), body.end());
  if (pad && body.size() % 2) b.push_back(0);
}

Bytes fmtBody(std::uint16_t code, std::uint16_t channels, std::uint32_t rate, std::uint16_t bits) {
  Bytes f;
  put16(f, code);
  put16(f, channels);
  put32(f, rate);
  put32(f, rate * channels * bits / 8);
  put16(f, static_cast<std::uint16_t>(channels * bits / 8));
  put16(f, bits);
  return f;
}

Bytes extensibleFmt(std::uint16_t sub, std::uint16_t channels, std::uint32_t rate,
                    std::uint16_t bits) {
  Bytes f = fmtBody(0xFFFE, channels, rate, bits);
  put16(f, 22);    // cbSize
  put16(f, bits);  // valid bits
  put32(f, channels == 1 ? 4 : 3);
  put16(f, sub);
  const std::uint8_t tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
  f.insert(f.end(), tail, tail + 14);
  return f;
}

// A WAV image from chunks already encoded (the RIFF size is filled in).
Bytes riff(const Bytes& chunks) {
  Bytes b;
  putId(b, "RIFF");
  put32(b, static_cast<std::uint32_t>(4 + chunks.size()));
  putId(b, "WAVE");
  b.insert(b.end(), chunks.begin(), chunks.end());
  return b;
}

Bytes wav(const Bytes& fmt, const Bytes& data) {
  Bytes chunks;
  putChunk(chunks, "fmt ", fmt);
  putChunk(chunks, "data", data);
  return riff(chunks);
}

std::vector<std::int16_t> sine(double hz, int rate, double seconds, double amplitude) {
  std::vector<std::int16_t> s(static_cast<std::size_t>(rate * seconds));
  for (std::size_t i = 0; i < s.size(); ++i) {
    s[i] = static_cast<std::int16_t>(
        std::lround(amplitude * std::sin(2 * std::numbers::pi * hz * i / rate)));
  }
  return s;
}

double rms(const std::vector<std::int16_t>& s, std::size_t from, std::size_t to) {
  double sum = 0;
  for (std::size_t i = from; i < to; ++i) sum += static_cast<double>(s[i]) * s[i];
  return std::sqrt(sum / static_cast<double>(to - from));
}

double zeroCrossingHz(const std::vector<std::int16_t>& s, std::size_t from, std::size_t to,
                      int rate) {
  int n = 0;
  std::size_t first = 0, last = 0;
  for (std::size_t i = from + 1; i < to; ++i) {
    if (s[i - 1] <= 0 && s[i] > 0) {
      if (n++ == 0) first = i;
      last = i;
    }
  }
  return n < 2 ? 0 : (n - 1) * double(rate) / double(last - first);
}

std::string errorOf(const Bytes& b) {
  auto r = decodeWavTo8kMono(b);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.error().code, base::Errc::BadRequest);
  return r.error().message;
}

TEST(AudioFileTest, EightKilohertzPcm16IsExact) {
  const auto s = sine(440, 8000, 0.5, 12000);
  auto r = decodeWavTo8kMono(encodeWavPcm16(s, 1, 8000));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, s);
}

TEST(AudioFileTest, SixteenKilohertzSineKeepsFrequencyAndLevel) {
  const auto s = sine(1000, 16000, 1.0, 10000);
  auto r = decodeWavTo8kMono(encodeWavPcm16(s, 1, 16000));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_NEAR(static_cast<double>(r->size()), 8000, 1);
  EXPECT_NEAR(zeroCrossingHz(*r, 200, 7800, 8000), 1000, 1.0);
  EXPECT_NEAR(rms(*r, 200, 7800), 10000 / std::sqrt(2.0), 10000 * 0.01);
}

TEST(AudioFileTest, ResamplingFiltersWhatWouldAlias) {
  // 6 kHz cannot exist at 8 kHz; without a low-pass it would fold to 2 kHz.
  for (int rate : {16000, 44100, 48000}) {
    const auto s = sine(6000, rate, 0.5, 10000);
    auto r = decodeWavTo8kMono(encodeWavPcm16(s, 1, rate));
    ASSERT_TRUE(r.ok());
    EXPECT_LT(rms(*r, 200, r->size() - 200), 10000 * 0.001) << rate;
  }
  // 3.2 kHz (in the pass band) survives from 44.1 kHz.
  const auto s = sine(3200, 44100, 0.5, 10000);
  auto r = decodeWavTo8kMono(encodeWavPcm16(s, 1, 44100));
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(rms(*r, 200, r->size() - 200), 10000 / std::sqrt(2.0), 10000 * 0.02);
}

TEST(AudioFileTest, CommonRatesAndStereo) {
  for (int rate : {11025, 22050, 32000, 44100, 48000, 96000}) {
    const auto mono = sine(700, rate, 0.6, 8000);
    std::vector<std::int16_t> stereo;
    for (auto x : mono) {
      stereo.push_back(x);
      stereo.push_back(x);
    }
    auto r = decodeWavTo8kMono(encodeWavPcm16(stereo, 2, rate));
    ASSERT_TRUE(r.ok()) << rate << ": " << r.error().message;
    EXPECT_NEAR(static_cast<double>(r->size()), 0.6 * 8000, 1) << rate;
    EXPECT_NEAR(zeroCrossingHz(*r, 200, r->size() - 200, 8000), 700, 1.0) << rate;
    EXPECT_NEAR(rms(*r, 200, r->size() - 200), 8000 / std::sqrt(2.0), 8000 * 0.01) << rate;
  }
}

TEST(AudioFileTest, StereoIsAveraged) {
  std::vector<std::int16_t> lr;
  for (int i = 0; i < 100; ++i) {
    lr.push_back(1000);
    lr.push_back(3000);
  }
  auto r = decodeWavTo8kMono(encodeWavPcm16(lr, 2, 8000));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 100u);
  for (auto x : *r) EXPECT_EQ(x, 2000);
}

TEST(AudioFileTest, SampleFormats) {
  // Each encodes the values 0.5 and -0.25 at 8 kHz mono.
  struct Case {
    const char* name;
    Bytes fmt;
    Bytes data;
    std::vector<std::int16_t> want;
  };
  std::vector<Case> cases;
  cases.push_back({"pcm8", fmtBody(1, 1, 8000, 8), {192, 96}, {16384, -8192}});
  cases.push_back({"pcm16", fmtBody(1, 1, 8000, 16), {0x00, 0x40, 0x00, 0xE0}, {16384, -8192}});
  cases.push_back(
      {"pcm24", fmtBody(1, 1, 8000, 24), {0x00, 0x00, 0x40, 0x00, 0x00, 0xE0}, {16384, -8192}});
  cases.push_back({"pcm32",
                   fmtBody(1, 1, 8000, 32),
                   {0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0xE0},
                   {16384, -8192}});
  {
    Bytes d;
    float a = 0.5f, b = -0.25f;
    std::uint32_t ua, ub;
    std::memcpy(&ua, &a, 4);
    std::memcpy(&ub, &b, 4);
    put32(d, ua);
    put32(d, ub);
    cases.push_back({"float32", fmtBody(3, 1, 8000, 32), d, {16384, -8192}});
    cases.push_back({"float32 extensible", extensibleFmt(3, 1, 8000, 32), d, {16384, -8192}});
    Bytes d64;
    double c = 0.5, e = -0.25;
    std::uint64_t uc, ue;
    std::memcpy(&uc, &c, 8);
    std::memcpy(&ue, &e, 8);
    for (int i = 0; i < 8; ++i) d64.push_back(static_cast<std::uint8_t>(uc >> (8 * i)));
    for (int i = 0; i < 8; ++i) d64.push_back(static_cast<std::uint8_t>(ue >> (8 * i)));
    cases.push_back({"float64", fmtBody(3, 1, 8000, 64), d64, {16384, -8192}});
  }
  cases.push_back({"pcm16 extensible",
                   extensibleFmt(1, 1, 8000, 16),
                   {0x00, 0x40, 0x00, 0xE0},
                   {16384, -8192}});
  cases.push_back({"alaw",
                   fmtBody(6, 1, 8000, 8),
                   {linearToAlaw(16384), linearToAlaw(-8192)},
                   {alawToLinear(linearToAlaw(16384)), alawToLinear(linearToAlaw(-8192))}});
  cases.push_back({"ulaw",
                   fmtBody(7, 1, 8000, 8),
                   {linearToUlaw(16384), linearToUlaw(-8192)},
                   {ulawToLinear(linearToUlaw(16384)), ulawToLinear(linearToUlaw(-8192))}});
  cases.push_back({"ulaw extensible",
                   extensibleFmt(7, 1, 8000, 8),
                   {linearToUlaw(100), linearToUlaw(-100)},
                   {ulawToLinear(linearToUlaw(100)), ulawToLinear(linearToUlaw(-100))}});
  for (const auto& c : cases) {
    auto r = decodeWavTo8kMono(wav(c.fmt, c.data));
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.error().message;
    EXPECT_EQ(*r, c.want) << c.name;
  }
}

TEST(AudioFileTest, FloatOutOfRangeAndNanAreTamed) {
  Bytes d;
  for (float v : {2.0f, -2.0f, std::nanf(""), INFINITY}) {
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    put32(d, u);
  }
  auto r = decodeWavTo8kMono(wav(fmtBody(3, 1, 8000, 32), d));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<std::int16_t>{32767, -32768, 0, 0}));
}

TEST(AudioFileTest, WalksUnknownAndOddSizedChunks) {
  Bytes chunks;
  putChunk(chunks, "LIST", Bytes(7, 'x'));  // odd: followed by a pad byte
  putChunk(chunks, "fmt ", fmtBody(1, 1, 8000, 16));
  putChunk(chunks, "fact", Bytes{1, 2, 3, 4});
  putChunk(chunks, "data", Bytes{0x10, 0x00, 0x20, 0x00});
  putChunk(chunks, "id3 ", Bytes(3, 0));
  auto r = decodeWavTo8kMono(riff(chunks));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (std::vector<std::int16_t>{16, 32}));
}

TEST(AudioFileTest, DataBeforeFmt) {
  Bytes chunks;
  putChunk(chunks, "data", Bytes{0x10, 0x00});
  putChunk(chunks, "fmt ", fmtBody(1, 1, 8000, 16));
  auto r = decodeWavTo8kMono(riff(chunks));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (std::vector<std::int16_t>{16}));
}

TEST(AudioFileTest, DataChunkLongerThanTheFileIsClamped) {
  Bytes b = wav(fmtBody(1, 1, 8000, 16), Bytes{1, 0, 2, 0, 3, 0, 4});  // odd: half a sample
  // Claim 1000 bytes of data (as streaming writers do).
  const std::size_t sizeAt = b.size() - 8 - 4;  // 7 bytes + pad byte, then its size field
  b[sizeAt] = 0xE8;
  b[sizeAt + 1] = 0x03;
  auto r = decodeWavTo8kMono(b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (std::vector<std::int16_t>{1, 2, 3, 4}));  // the pad byte joined the data
  // And a RIFF size of 0xFFFFFFFF changes nothing.
  b[4] = b[5] = b[6] = b[7] = 0xFF;
  EXPECT_TRUE(decodeWavTo8kMono(b).ok());
}

TEST(AudioFileTest, BadFilesAreRefusedWithAClearMessage) {
  const Bytes goodFmt = fmtBody(1, 1, 8000, 16);
  const Bytes someData{0, 0, 1, 0};
  auto expectError = [](const Bytes& b, const std::string& fragment) {
    const std::string msg = errorOf(b);
    EXPECT_NE(msg, "ok") << "expected error containing: " << fragment;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg << " (wanted: " << fragment << ")";
  };
  expectError({}, "no RIFF header");
  expectError(Bytes{'R', 'I', 'F', 'F'}, "no RIFF header");
  Bytes notRiff = wav(goodFmt, someData);
  notRiff[0] = 'X';
  expectError(notRiff, "no RIFF header");
  Bytes notWave = wav(goodFmt, someData);
  notWave[8] = 'A';
  expectError(notWave, "not WAVE");
  Bytes rf64 = wav(goodFmt, someData);
  std::memcpy(rf64.data(), "RF64", 4);
  expectError(rf64, "RF64");

  Bytes truncatedFmt = riff({});
  putId(truncatedFmt, "fmt ");
  put32(truncatedFmt, 16);
  truncatedFmt.insert(truncatedFmt.end(), {1, 0, 1, 0});
  expectError(truncatedFmt, "truncated WAV: 'fmt ' chunk");

  Bytes halfHeader = riff({});
  halfHeader.insert(halfHeader.end(), {'f', 'm', 't'});
  expectError(halfHeader, "incomplete chunk header");

  Bytes noData;
  putChunk(noData, "fmt ", goodFmt);
  expectError(riff(noData), "no 'data' chunk");
  Bytes noFmt;
  putChunk(noFmt, "data", someData);
  expectError(riff(noFmt), "no 'fmt ' chunk");

  expectError(wav(goodFmt, {}), "holds no audio");
  expectError(wav(goodFmt, {7}), "holds no audio");  // less than one frame
  expectError(wav(fmtBody(1, 0, 8000, 16), someData), "zero channels");
  expectError(wav(fmtBody(1, 3, 8000, 16), Bytes(12)), "3 channels");
  expectError(wav(fmtBody(0x55, 1, 8000, 16), someData), "unsupported WAV format 0x0055");
  expectError(wav(fmtBody(1, 1, 8000, 12), someData), "12 bits");
  expectError(wav(fmtBody(3, 1, 8000, 16), someData), "float sample size");
  expectError(wav(fmtBody(6, 1, 8000, 16), someData), "G.711 sample size");
  expectError(wav(fmtBody(1, 1, 0, 16), someData), "sample rate 0 Hz");
  expectError(wav(fmtBody(1, 1, 4000, 16), someData), "sample rate 4000 Hz");
  expectError(wav(fmtBody(1, 1, 1000000000, 16), someData), "sample rate 1000000000 Hz");
  Bytes shortFmt = goodFmt;
  shortFmt.resize(14);
  expectError(wav(shortFmt, someData), "at least 16");
  Bytes badAlign = goodFmt;
  badAlign[12] = 3;
  expectError(wav(badAlign, someData), "block align");
  Bytes badGuid = extensibleFmt(1, 1, 8000, 16);
  badGuid.back() = 0;
  expectError(wav(badGuid, someData), "sub-format");
  Bytes shortExt = extensibleFmt(1, 1, 8000, 16);
  shortExt.resize(30);
  expectError(wav(shortExt, someData), "extensible");
  Bytes weirdId;
  putId(weirdId, "\x01\x02\x03\x04");
  put32(weirdId, 1000);
  expectError(riff(weirdId), "0x01020304");
}

TEST(AudioFileTest, RandomBytesNeverCrash) {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> len(0, 300);
  const Bytes valid = wav(fmtBody(1, 2, 16000, 16), Bytes(400, 3));
  for (int i = 0; i < 20000; ++i) {
    Bytes b;
    if (i % 2) {
      b.resize(static_cast<std::size_t>(len(rng)));
      for (auto& x : b) x = static_cast<std::uint8_t>(byte(rng));
      if (b.size() >= 12 && i % 4 == 1) {
        std::memcpy(b.data(), "RIFF", 4);
        std::memcpy(b.data() + 8, "WAVE", 4);
      }
    } else {
      // Mutate a valid file: flip bytes in its headers, cut it short.
      b = valid;
      for (int k = 0; k < 3; ++k) {
        b[static_cast<std::size_t>(byte(rng)) % 48] = static_cast<std::uint8_t>(byte(rng));
      }
      b.resize(static_cast<std::size_t>(len(rng)) % (b.size() + 1));
    }
    auto r = decodeWavTo8kMono(b);
    if (!r.ok()) {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

TEST(AudioFileTest, EncodeWavPcm16IsCanonical) {
  const std::vector<std::int16_t> s{1, -2, 300, -32768};
  const Bytes b = encodeWavPcm16(s, 2, 16000);
  ASSERT_EQ(b.size(), 44u + 8u);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "RIFF");
  EXPECT_EQ(b[4] | (b[5] << 8), 36 + 8);
  EXPECT_EQ(std::string(b.begin() + 8, b.begin() + 16), "WAVEfmt ");
  EXPECT_EQ(b[16], 16);  // fmt size
  EXPECT_EQ(b[20], 1);   // PCM
  EXPECT_EQ(b[22], 2);   // channels
  EXPECT_EQ(b[24] | (b[25] << 8), 16000);
  EXPECT_EQ(b[28] | (b[29] << 8) | (b[30] << 16), 64000);  // byte rate
  EXPECT_EQ(b[32], 4);                                     // block align
  EXPECT_EQ(b[34], 16);                                    // bits
  EXPECT_EQ(std::string(b.begin() + 36, b.begin() + 40), "data");
  EXPECT_EQ(b[40], 8);
  EXPECT_EQ(b[44], 1);
  EXPECT_EQ(b[46], 0xFE);
  EXPECT_EQ(b[47], 0xFF);
  EXPECT_EQ(b[50], 0x00);
  EXPECT_EQ(b[51], 0x80);
}

TEST(AudioFileTest, ResampleUpAndDown) {
  const auto s = sine(500, 8000, 0.5, 9000);
  const auto up = resample(s, 8000, 16000);
  EXPECT_NEAR(static_cast<double>(up.size()), 8000, 1);
  EXPECT_NEAR(zeroCrossingHz(up, 400, up.size() - 400, 16000), 500, 1.0);
  const auto back = resample(up, 16000, 8000);
  ASSERT_NEAR(static_cast<double>(back.size()), s.size(), 1);
  // Away from the edges, the round trip is close to the original.
  double err = 0;
  for (std::size_t i = 200; i + 200 < s.size(); ++i)
    err = std::max(err, std::abs(double(back[i] - s[i])));
  EXPECT_LT(err, 9000 * 0.01);
  EXPECT_EQ(resample(s, 8000, 8000), s);
  EXPECT_TRUE(resample({}, 16000, 8000).empty());
}

TEST(AudioFileTest, LoadFromDisk) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("bankcc_audio_file_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "hello.wav";
  const auto bytes = encodeWavPcm16(sine(440, 16000, 0.25, 5000), 1, 16000);
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  auto r = loadWavTo8kMono(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size(), 2000u);
  auto missing = loadWavTo8kMono(dir / "missing.wav");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, base::Errc::Io);
  EXPECT_NE(missing.error().message.find("missing.wav"), std::string::npos);
  const auto junk = dir / "junk.wav";
  {
    std::ofstream out(junk, std::ios::binary);
    out << "this is not audio";
  }
  auto bad = loadWavTo8kMono(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, base::Errc::BadRequest);
  EXPECT_NE(bad.error().message.find("junk.wav"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bankcc::media
