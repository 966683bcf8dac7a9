// SPDX-License-Identifier: Apache-2.0
#include "api/router.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"

namespace bankcc::api {
namespace {

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path.front() != '/') return parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    parts.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool isParameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percentDecode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hexValue(in[i + 1]);
    const int lo = hexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

void Router::add(Route route) {
  // Patterns are written in code, so a bad one is a programming error.
  BANKCC_RELEASE_ASSERT(!route.pattern.empty() && route.pattern.front() == '/',
                        "route pattern must start with '/'");
  BANKCC_RELEASE_ASSERT((route.handler != nullptr) != (route.asyncHandler != nullptr),
                        "a route needs exactly one of handler and asyncHandler");
  BANKCC_RELEASE_ASSERT(!route.asyncHandler || !(route.flags & (kDatabase | kPasswordWork)),
                        "an async route runs on the io thread, without a database session");
  for (const auto& r : routes_) {
    BANKCC_RELEASE_ASSERT(!(r.method == route.method && r.pattern == route.pattern),
                          "duplicate route");
  }
  std::vector<std::string> segments;
  for (auto s : splitPath(route.pattern)) {
    BANKCC_RELEASE_ASSERT(!s.empty(), "empty segment in a route pattern");
    segments.emplace_back(s);
  }
  routes_.push_back(std::move(route));
  segments_.push_back(std::move(segments));
}

std::variant<RouteMatch, NoRoute> Router::match(std::string_view method,
                                                std::string_view path) const {
  const auto parts = splitPath(path);
  const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  const RouteMatch* best = nullptr;
  RouteMatch candidate;
  RouteMatch chosen;
  int bestLiterals = -1;
  std::vector<std::string_view> allowed;
  std::string decoded;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& segs = segments_[i];
    if (segs.size() != parts.size()) continue;
    candidate.params.clear();
    int literals = 0;
    bool ok = true;
    for (std::size_t k = 0; k < segs.size() && ok; ++k) {
      if (isParameter(segs[k])) {
        if (parts[k].empty() || !percentDecode(parts[k], decoded) ||
            decoded.find('/') != std::string::npos || decoded.find('\0') != std::string::npos) {
          ok = false;
          break;
        }
        candidate.params.emplace_back(segs[k].substr(1, segs[k].size() - 2), decoded);
      } else if (segs[k] == parts[k]) {
        ++literals;
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    if (routes_[i].method != wanted) {
      allowed.push_back(routes_[i].method);
      continue;
    }
    // Among routes of this method, the one with the most literal segments wins
    // ("/users/me" over "/users/{username}").
    if (literals > bestLiterals) {
      bestLiterals = literals;
      chosen.route = &routes_[i];
      chosen.params = candidate.params;
      best = &chosen;
    }
  }
  if (best != nullptr) return std::move(chosen);
  if (allowed.empty()) return NoRoute{404, {}};
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  if (std::find(allowed.begin(), allowed.end(), "GET") != allowed.end()) {
    allowed.push_back("HEAD");
  }
  return NoRoute{405, fmt::format("{}", fmt::join(allowed, ", "))};
}

}  // namespace bankcc::api
