// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading prompts (WAV: PCM 8/16/24/32-bit integer, 32-bit float, A-law, µ-law; mono or
// stereo; any common rate) into 8 kHz mono linear PCM, resampled once at load; writing WAV.
// Runs at start-up and on worker threads, never on media workers.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace bankcc::media {

/// Parses a WAV image and converts it to 8 kHz mono linear PCM (channels averaged; windowed-sinc
/// or at least linear-interpolating low-pass resampling). BadRequest with a clear message for
/// malformed or unsupported files (truncated chunks, zero channels, absurd sizes, ...).
base::Result<std::vector<std::int16_t>> decodeWavTo8kMono(std::span<const std::uint8_t> bytes);
base::Result<std::vector<std::int16_t>> loadWavTo8kMono(const std::filesystem::path& path);

/// Resamples mono linear PCM from `fromRate` to `toRate`.
std::vector<std::int16_t> resample(std::span<const std::int16_t> in, int fromRate, int toRate);

/// A canonical 44-byte-header PCM16 WAV image.
std::vector<std::uint8_t> encodeWavPcm16(std::span<const std::int16_t> interleaved, int channels,
                                         int sampleRate);

}  // namespace bankcc::media
