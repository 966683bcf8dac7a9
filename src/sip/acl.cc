// SPDX-License-Identifier: Apache-2.0
#include "sip/acl.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace bankcc::sip {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);  // inet_pton wants a NUL-terminated string
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes.data(), kMapped, sizeof kMapped) == 0) {
    std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
    std::memset(a.bytes.data() + 4, 0, 12);
    return a;
  }
  a.v6 = true;
  return a;
}

base::Result<CidrBlock> CidrBlock::parse(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return base::err(base::Errc::BadRequest, fmt::format("bad CIDR '{}': {}", text, why));
  };
  const std::size_t slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return bad("not an IP address");
  const int maxPrefix = address->v6 ? 128 : 32;
  int prefix = maxPrefix;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > maxPrefix) {
      return bad(fmt::format("prefix length must be 0..{}", maxPrefix));
    }
  }
  // Host bits set ("10.1.2.3/8") usually mean a typo in the configuration: refuse it.
  const int bytes = address->v6 ? 16 : 4;
  for (int bit = prefix; bit < bytes * 8; ++bit) {
    if ((address->bytes[bit / 8] >> (7 - bit % 8)) & 1) return bad("host bits set");
  }
  CidrBlock b;
  b.network_ = *address;
  b.prefix_ = prefix;
  return b;
}

bool CidrBlock::contains(const IpAddress& a) const {
  if (a.v6 != network_.v6) return false;
  const int full = prefix_ / 8;
  if (std::memcmp(a.bytes.data(), network_.bytes.data(), full) != 0) return false;
  const int rest = prefix_ % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (network_.bytes[full] & mask);
}

base::Result<TrunkAcl> TrunkAcl::build(const std::vector<TrunkConfig>& trunks) {
  TrunkAcl acl;
  for (const TrunkConfig& t : trunks) {
    for (const Cidr& c : t.peers) {
      auto block = CidrBlock::parse(c.text);
      if (!block.ok()) {
        return base::err(base::Errc::BadRequest,
                         fmt::format("trunk '{}': {}", t.name, block.error().message));
      }
      acl.entries_.push_back(Entry{t.name, *block});
    }
  }
  return acl;
}

std::optional<std::string> TrunkAcl::match(std::string_view address) const {
  auto a = IpAddress::parse(address);
  if (!a) return std::nullopt;
  for (const Entry& e : entries_) {
    if (e.block.contains(*a)) return e.trunk;
  }
  return std::nullopt;
}

}  // namespace bankcc::sip
