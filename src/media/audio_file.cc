// SPDX-License-Identifier: Apache-2.0
#include "media/audio_file.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "media/g711.h"
#include "media/resampler.h"

namespace bankcc::media {
namespace {

using base::Errc;

constexpr int kOutRate = 8000;
constexpr int kMinRate = 8000;
constexpr int kMaxRate = 192000;
constexpr std::uint64_t kMaxSeconds =
    3600;  // a prompt (or hold music) longer than this is a mistake
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{2} << 30;
constexpr std::size_t kBlock = 8192;  // output samples converted per step

constexpr std::uint16_t kFormatPcm = 1;
constexpr std::uint16_t kFormatFloat = 3;
constexpr std::uint16_t kFormatAlaw = 6;
constexpr std::uint16_t kFormatUlaw = 7;
constexpr std::uint16_t kFormatExtensible = 0xFFFE;
// The 14 bytes that follow the format code in a WAVE_FORMAT_EXTENSIBLE sub-format GUID
// (KSDATAFORMAT_SUBTYPE_*: xxxx0000-0000-0010-8000-00AA00389B71).
constexpr std::uint8_t kGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                        0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

std::uint16_t le16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t at) {
  return std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8) | (std::uint32_t{b[at + 2]} << 16) |
         (std::uint32_t{b[at + 3]} << 24);
}

base::Error bad(std::string message) {
  return base::err(Errc::BadRequest, std::move(message));
}

// A chunk id for messages: the four characters when printable, hex otherwise (the bytes are
// untrusted and end up in logs).
std::string chunkName(std::span<const std::uint8_t> id) {
  const bool printable =
      std::all_of(id.begin(), id.end(), [](std::uint8_t c) { return c >= 0x20 && c < 0x7F; });
  if (printable) return fmt::format("'{}'", std::string(id.begin(), id.end()));
  return fmt::format("0x{:02x}{:02x}{:02x}{:02x}", id[0], id[1], id[2], id[3]);
}

bool isId(std::span<const std::uint8_t> bytes, std::size_t at, std::string_view id) {
  return std::memcmp(bytes.data() + at, id.data(), 4) == 0;
}

struct Format {
  std::uint16_t code = 0;  // after resolving WAVE_FORMAT_EXTENSIBLE
  std::uint16_t channels = 0;
  std::uint32_t rate = 0;
  std::uint16_t blockAlign = 0;
  std::uint16_t bits = 0;  // container bits per sample
};

base::Result<Format> parseFmt(std::span<const std::uint8_t> c) {
  if (c.size() < 16) {
    return bad(fmt::format("WAV 'fmt ' chunk is {} bytes, at least 16 expected", c.size()));
  }
  Format f;
  f.code = le16(c, 0);
  f.channels = le16(c, 2);
  f.rate = le32(c, 4);
  f.blockAlign = le16(c, 12);
  f.bits = le16(c, 14);
  if (f.code == kFormatExtensible) {
    if (c.size() < 40) {
      return bad(fmt::format("WAV extensible 'fmt ' chunk is {} bytes, 40 expected", c.size()));
    }
    if (std::memcmp(c.data() + 26, kGuidTail, sizeof kGuidTail) != 0) {
      return bad("unsupported WAV extensible sub-format (not a standard KSDATAFORMAT GUID)");
    }
    f.code = le16(c, 24);
  }
  if (f.channels == 0) return bad("WAV has zero channels");
  if (f.channels > 2) {
    return bad(fmt::format("WAV has {} channels; only mono and stereo are supported", f.channels));
  }
  switch (f.code) {
    case kFormatPcm:
      if (f.bits != 8 && f.bits != 16 && f.bits != 24 && f.bits != 32) {
        return bad(fmt::format("unsupported WAV PCM sample size: {} bits (8, 16, 24, 32)", f.bits));
      }
      break;
    case kFormatFloat:
      if (f.bits != 32 && f.bits != 64) {
        return bad(fmt::format("unsupported WAV float sample size: {} bits (32, 64)", f.bits));
      }
      break;
    case kFormatAlaw:
    case kFormatUlaw:
      if (f.bits != 8) {
        return bad(fmt::format("unsupported WAV G.711 sample size: {} bits (8)", f.bits));
      }
      break;
    default:
      return bad(fmt::format(
          "unsupported WAV format 0x{:04x} (supported: PCM, IEEE float, A-law, mu-law)", f.code));
  }
  if (f.rate < kMinRate || f.rate > kMaxRate) {
    return bad(fmt::format("WAV sample rate {} Hz is out of range ({}..{} Hz)", f.rate, kMinRate,
                           kMaxRate));
  }
  const unsigned expectedAlign = f.channels * (f.bits / 8u);
  if (f.blockAlign != expectedAlign) {
    return bad(fmt::format("WAV block align {} does not match {} channel(s) of {} bits",
                           f.blockAlign, f.channels, f.bits));
  }
  return f;
}

// One channel's sample at `p`, scaled to [-1, 1).
float sampleAt(const Format& f, const std::uint8_t* p) {
  switch (f.code) {
    case kFormatPcm:
      switch (f.bits) {
        case 8:
          return (static_cast<int>(p[0]) - 128) / 128.0f;
        case 16:
          return static_cast<std::int16_t>(p[0] | (p[1] << 8)) / 32768.0f;
        case 24: {
          // Sign-extend the 24-bit value through the top of a 32-bit word.
          const std::uint32_t u = (std::uint32_t{p[0]} << 8) | (std::uint32_t{p[1]} << 16) |
                                  (std::uint32_t{p[2]} << 24);
          return static_cast<float>(static_cast<std::int32_t>(u) / 2147483648.0);
        }
        default: {
          const std::uint32_t u = std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) |
                                  (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
          return static_cast<float>(static_cast<std::int32_t>(u) / 2147483648.0);
        }
      }
    case kFormatFloat: {
      double v;
      if (f.bits == 32) {
        std::uint32_t u;
        std::memcpy(&u, p, 4);
        if constexpr (std::endian::native == std::endian::big) u = __builtin_bswap32(u);
        v = std::bit_cast<float>(u);
      } else {
        std::uint64_t u;
        std::memcpy(&u, p, 8);
        if constexpr (std::endian::native == std::endian::big) u = __builtin_bswap64(u);
        v = std::bit_cast<double>(u);
      }
      // NaN and infinities from a broken file become silence; loud values are clipped later.
      if (!std::isfinite(v)) return 0.0f;
      return static_cast<float>(std::clamp(v, -8.0, 8.0));
    }
    case kFormatAlaw:
      return alawToLinear(p[0]) / 32768.0f;
    default:
      return ulawToLinear(p[0]) / 32768.0f;
  }
}

// The mono input sample (channels averaged) at frame `i`, or 0 outside the data.
float monoAt(const Format& f, std::span<const std::uint8_t> data, std::int64_t frames,
             std::int64_t i) {
  if (i < 0 || i >= frames) return 0.0f;
  const std::uint8_t* p = data.data() + static_cast<std::size_t>(i) * f.blockAlign;
  if (f.channels == 1) return sampleAt(f, p);
  return 0.5f * (sampleAt(f, p) + sampleAt(f, p + f.blockAlign / 2));
}

std::int16_t toPcm16(float v) {
  const double s = std::nearbyint(static_cast<double>(v) * 32768.0);
  return static_cast<std::int16_t>(std::clamp(s, -32768.0, 32767.0));
}

std::vector<std::int16_t> convert(const Format& f, std::span<const std::uint8_t> data) {
  const auto frames = static_cast<std::int64_t>(data.size() / f.blockAlign);
  std::vector<std::int16_t> out;
  if (f.rate == static_cast<std::uint32_t>(kOutRate)) {
    out.resize(static_cast<std::size_t>(frames));
    for (std::int64_t i = 0; i < frames; ++i) {
      out[static_cast<std::size_t>(i)] = toPcm16(monoAt(f, data, frames, i));
    }
    return out;
  }
  // Decode a window of input per block of output, so a long 48 kHz file never exists in
  // memory as floats all at once.
  const Resampler rs(static_cast<int>(f.rate), kOutRate);
  out.resize(rs.outputLength(static_cast<std::size_t>(frames)));
  std::vector<float> window;
  std::vector<float> block;
  for (std::size_t n0 = 0; n0 < out.size(); n0 += kBlock) {
    const std::size_t n1 = std::min(out.size(), n0 + kBlock);
    const auto range = rs.inputRange(n0, n1);
    window.resize(static_cast<std::size_t>(range.last - range.first));
    for (std::int64_t i = range.first; i < range.last; ++i) {
      window[static_cast<std::size_t>(i - range.first)] = monoAt(f, data, frames, i);
    }
    block.resize(n1 - n0);
    rs.run(n0, block, window, range.first);
    for (std::size_t k = 0; k < block.size(); ++k) out[n0 + k] = toPcm16(block[k]);
  }
  return out;
}

}  // namespace

base::Result<std::vector<std::int16_t>> decodeWavTo8kMono(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 12 || !isId(bytes, 0, "RIFF")) {
    if (bytes.size() >= 4 && isId(bytes, 0, "RF64")) return bad("RF64 WAV files are not supported");
    return bad("not a WAV file: no RIFF header");
  }
  if (!isId(bytes, 8, "WAVE")) return bad("not a WAV file: RIFF type is not WAVE");

  // Walk the chunks to the end of the bytes we have (the RIFF size is often wrong in files
  // written by streaming tools, so it is not trusted).
  std::optional<Format> format;
  std::optional<std::span<const std::uint8_t>> data;
  std::uint64_t pos = 12;
  const std::uint64_t size = bytes.size();
  while (pos + 8 <= size) {
    const auto id = bytes.subspan(static_cast<std::size_t>(pos), 4);
    const std::uint64_t length = le32(bytes, static_cast<std::size_t>(pos) + 4);
    const std::uint64_t body = pos + 8;
    const std::uint64_t available = size - body;
    if (isId(bytes, static_cast<std::size_t>(pos), "data")) {
      if (!data) {
        // A data chunk longer than the file: what tools do is play what is there.
        data = bytes.subspan(static_cast<std::size_t>(body),
                             static_cast<std::size_t>(std::min(length, available)));
      }
      if (length >= available) {
        pos = size;  // the data runs to the end of the file: nothing follows
        break;
      }
    } else if (length > available) {
      if (format && data) break;  // junk after the audio: ignore it
      return bad(fmt::format("truncated WAV: {} chunk at byte {} declares {} bytes, {} remain",
                             chunkName(id), pos, length, available));
    } else if (isId(bytes, static_cast<std::size_t>(pos), "fmt ") && !format) {
      auto f =
          parseFmt(bytes.subspan(static_cast<std::size_t>(body), static_cast<std::size_t>(length)));
      if (!f) return std::move(f).error();
      format = *f;
    }
    // Chunks are padded to an even length (the pad byte is not counted in the length).
    pos = body + length + (length & 1);
    if (format && data) break;
  }
  if (!format) {
    if (pos < size)
      return bad(fmt::format("truncated WAV: incomplete chunk header at byte {}", pos));
    return bad("WAV has no 'fmt ' chunk");
  }
  if (!data) return bad("WAV has no 'data' chunk");
  const std::size_t frames = data->size() / format->blockAlign;
  if (frames == 0) return bad("WAV 'data' chunk holds no audio");
  if (frames / format->rate > kMaxSeconds) {
    return bad(fmt::format("WAV is {} s long; prompts are limited to {} s", frames / format->rate,
                           kMaxSeconds));
  }
  return convert(*format, *data);
}

base::Result<std::vector<std::int16_t>> loadWavTo8kMono(const std::filesystem::path& path) {
  std::error_code ec;
  const auto fileSize = std::filesystem::file_size(path, ec);
  if (ec) return base::err(Errc::Io, fmt::format("{}: {}", path.string(), ec.message()));
  if (fileSize > kMaxFileBytes) {
    return bad(
        fmt::format("{}: file is {} bytes, too large for a prompt", path.string(), fileSize));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::err(Errc::Io, fmt::format("{}: cannot open", path.string()));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(fileSize));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<std::uintmax_t>(in.gcount()) != fileSize) {
    return base::err(Errc::Io, fmt::format("{}: read failed", path.string()));
  }
  auto decoded = decodeWavTo8kMono(bytes);
  if (!decoded) {
    auto e = std::move(decoded).error();
    e.message = fmt::format("{}: {}", path.string(), e.message);
    return e;
  }
  return decoded;
}

std::vector<std::int16_t> resample(std::span<const std::int16_t> in, int fromRate, int toRate) {
  if (fromRate == toRate || fromRate <= 0 || toRate <= 0 || in.empty()) {
    return {in.begin(), in.end()};
  }
  const Resampler rs(fromRate, toRate);
  std::vector<float> window(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) window[i] = in[i] / 32768.0f;
  std::vector<std::int16_t> out(rs.outputLength(in.size()));
  std::vector<float> block;
  for (std::size_t n0 = 0; n0 < out.size(); n0 += kBlock) {
    const std::size_t n1 = std::min(out.size(), n0 + kBlock);
    // The whole input is one window starting at 0; run() reads zeros beyond its ends.
    block.resize(n1 - n0);
    rs.run(n0, block, window, 0);
    for (std::size_t k = 0; k < block.size(); ++k) out[n0 + k] = toPcm16(block[k]);
  }
  return out;
}

std::vector<std::uint8_t> encodeWavPcm16(std::span<const std::int16_t> interleaved, int channels,
                                         int sampleRate) {
  // Programming errors, not input: the callers pass their own recording's parameters.
  BANKCC_ASSERT(channels >= 1 && sampleRate > 0, "encodeWavPcm16 needs channels and a rate");
  const std::uint32_t ch = static_cast<std::uint32_t>(std::max(channels, 1));
  const std::uint32_t rate = static_cast<std::uint32_t>(std::max(sampleRate, 1));
  const std::uint64_t dataBytes64 = static_cast<std::uint64_t>(interleaved.size()) * 2;
  // A RIFF file cannot describe more than 4 GiB; clamp the header (and the data with it).
  const std::uint32_t dataBytes =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(dataBytes64, 0xFFFFFFFFu - 36) & ~1u);
  std::vector<std::uint8_t> out;
  out.reserve(44 + dataBytes);
  auto put = [&out](std::string_view s) {
    for (char c : s) out.push_back(static_cast<std::uint8_t>(c));
  };
  auto put16 = [&out](std::uint32_t v) {
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
  };
  auto put32 = [&out, &put16](std::uint32_t v) {
    put16(v & 0xFFFF);
    put16(v >> 16);
  };
  put("RIFF");
  put32(36 + dataBytes);
  put("WAVE");
  put("fmt ");
  put32(16);
  put16(kFormatPcm);
  put16(ch);
  put32(rate);
  put32(rate * ch * 2);  // byte rate
  put16(ch * 2);         // block align
  put16(16);
  put("data");
  put32(dataBytes);
  for (std::size_t i = 0; i < dataBytes / 2; ++i) {
    put16(static_cast<std::uint16_t>(interleaved[i]));
  }
  return out;
}

}  // namespace bankcc::media
