// SPDX-License-Identifier: Apache-2.0
#pragma once

// Trunk access control: which trunk, if any, an INVITE's source address belongs to. Private to
// sip/. Parsing happens once at start (bad CIDRs fail SipStack::start with BadRequest); matching
// is pure and thread-safe.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sip/sip_stack.h"

namespace bankcc::sip {

/// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are read as IPv4 so that
/// a dual-stack socket matches IPv4 blocks.
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  ///< the first 4 for IPv4

  /// nullopt unless `text` is a literal address (no brackets, no port, no zone).
  static std::optional<IpAddress> parse(std::string_view text);
};

/// An address block: "10.0.0.0/8", "2001:db8::/32", or a bare address (/32, /128).
class CidrBlock {
 public:
  /// BadRequest naming the text for a bad address, prefix length or host bits set beyond it.
  static base::Result<CidrBlock> parse(std::string_view text);
  bool contains(const IpAddress& a) const;

 private:
  IpAddress network_;
  int prefix_ = 0;
};

/// The trunks' address blocks in configuration order.
class TrunkAcl {
 public:
  /// BadRequest naming the trunk and the bad CIDR.
  static base::Result<TrunkAcl> build(const std::vector<TrunkConfig>& trunks);
  /// The name of the first trunk whose blocks contain `address` (a literal IP), or nullopt.
  std::optional<std::string> match(std::string_view address) const;

 private:
  struct Entry {
    std::string trunk;
    CidrBlock block;
  };
  std::vector<Entry> entries_;
};

}  // namespace bankcc::sip
