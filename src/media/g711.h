// SPDX-License-Identifier: Apache-2.0
#pragma once

// G.711 A-law and µ-law (ITU-T G.711), table-driven. Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <span>

namespace bankcc::media {

enum class G711 { Alaw, Ulaw };

std::int16_t alawToLinear(std::uint8_t a) noexcept;
std::int16_t ulawToLinear(std::uint8_t u) noexcept;
std::uint8_t linearToAlaw(std::int16_t s) noexcept;
std::uint8_t linearToUlaw(std::int16_t s) noexcept;

/// Decodes `in` into `out` (same length). Precondition: out.size() >= in.size().
void decode(G711 law, std::span<const std::uint8_t> in, std::span<std::int16_t> out) noexcept;
/// Encodes `in` into `out` (same length). Precondition: out.size() >= in.size().
void encode(G711 law, std::span<const std::int16_t> in, std::span<std::uint8_t> out) noexcept;
/// A-law <-> µ-law without going through linear in the caller (one table lookup per byte).
void transcode(G711 from, G711 to, std::span<const std::uint8_t> in,
               std::span<std::uint8_t> out) noexcept;
/// The code of silence (linear 0) in `law`.
std::uint8_t silenceByte(G711 law) noexcept;

}  // namespace bankcc::media
