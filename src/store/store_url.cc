// SPDX-License-Identifier: Apache-2.0
#include "store/store_url.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace bankcc::store::detail {
namespace {

using base::Errc;

constexpr std::string_view kSqlitePrefix = "sqlite:";
constexpr std::string_view kPgPrefix = "postgresql:";
constexpr std::string_view kRedacted = "***";
constexpr std::size_t npos = std::string_view::npos;

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool isUri(std::string_view s) {
  return startsWith(s, "postgresql://") || startsWith(s, "postgres://");
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string percentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

// postgresql://user:secret@host/db?password=secret&sslmode=require
std::string redactUri(std::string_view uri) {
  std::string out(uri);
  const std::size_t start = uri.find("://") + 3;
  // libpq's rule: user information ends at the first '@' before any '/'.
  std::size_t p = start;
  while (p < out.size() && out[p] != '@' && out[p] != '/') ++p;
  if (p < out.size() && out[p] == '@') {
    const std::size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < p) {
      out.replace(colon + 1, p - colon - 1, kRedacted);
    }
  }
  std::size_t q = out.find('?');
  while (q != std::string::npos) {
    const std::size_t keyStart = q + 1;
    const std::size_t amp = out.find('&', keyStart);
    const std::size_t end = amp == std::string::npos ? out.size() : amp;
    const std::size_t eq = out.find('=', keyStart);
    if (eq != std::string::npos && eq < end &&
        percentDecode(std::string_view(out).substr(keyStart, eq - keyStart)) == "password") {
      out.replace(eq + 1, end - eq - 1, kRedacted);
    }
    q = out.find('&', keyStart);
  }
  return out;
}

// host=/run/pg password='it''s secret' dbname=bankcc  (libpq keyword = value syntax)
std::string redactKeywords(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  const auto space = [&](std::size_t k) {
    return k < s.size() && std::isspace(static_cast<unsigned char>(s[k]));
  };
  while (i < s.size()) {
    while (space(i)) out += s[i++];
    const std::size_t keyStart = i;
    while (i < s.size() && s[i] != '=' && !space(i)) ++i;
    const std::string_view key = s.substr(keyStart, i - keyStart);
    out += key;
    while (space(i)) out += s[i++];
    if (i >= s.size() || s[i] != '=') continue;  // malformed; libpq will say so
    out += s[i++];
    while (space(i)) out += s[i++];
    const std::size_t valueStart = i;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (i < s.size() && s[i] != '\'') i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
      if (i < s.size()) ++i;  // closing quote
    } else {
      while (i < s.size() && !space(i)) i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
    }
    i = std::min(i, s.size());
    out += key == "password" ? std::string(kRedacted)
                             : std::string(s.substr(valueStart, i - valueStart));
  }
  return out;
}

base::Result<StoreTarget> resolvePostgres(std::string_view url, std::chrono::milliseconds timeout) {
  StoreTarget target;
  target.backend = Backend::Postgres;
  target.description = redactPostgres(url);
  const std::string conninfo(isUri(url) ? url : url.substr(kPgPrefix.size()));
  if (conninfo.empty()) {
    return base::err(Errc::BadRequest,
                     "'postgresql:' names no server; write e.g. "
                     "postgresql:host=/run/postgresql dbname=bankcc");
  }
  char* parseError = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(conninfo.c_str(), &parseError), &PQconninfoFree);
  if (!options) {
    std::string detail = parseError ? parseError : "out of memory";
    PQfreemem(parseError);
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
    // A malformed string may not redact cleanly, and libpq may quote a fragment of it: show
    // neither when a password may be in it.
    std::string lower(url);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.find("password") != std::string::npos || (isUri(url) && url.find('@') != npos)) {
      return base::err(Errc::BadRequest,
                       "is not a valid PostgreSQL connection string (not shown: it may contain a "
                       "password); check its syntax, and quote values with spaces as 'a b'");
    }
    return base::err(Errc::BadRequest, fmt::format("'{}' is not a valid PostgreSQL "
                                                   "connection string: {}",
                                                   url, detail));
  }
  std::string uri = "postgresql://?";
  bool hasTimeout = false;
  bool hasAppName = false;
  bool first = true;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view key = o->keyword;
    hasTimeout = hasTimeout || key == "connect_timeout";
    hasAppName = hasAppName || key == "application_name" || key == "fallback_application_name";
    uri += fmt::format("{}{}={}", first ? "" : "&", key, percentEncode(o->val));
    first = false;
  }
  if (!hasTimeout) {
    // libpq counts whole seconds; round up so a short timeout does not become "wait forever".
    const long long seconds = std::max<long long>(1, (timeout.count() + 999) / 1000);
    uri += fmt::format("{}connect_timeout={}", first ? "" : "&", seconds);
    first = false;
  }
  if (!hasAppName) uri += "&fallback_application_name=bankcc";
  target.pgConninfo = std::move(uri);
  return target;
}

}  // namespace

std::string redactPostgres(std::string_view conninfo) {
  if (isUri(conninfo)) return redactUri(conninfo);
  if (startsWith(conninfo, kPgPrefix)) {
    return std::string(kPgPrefix) + redactKeywords(conninfo.substr(kPgPrefix.size()));
  }
  return redactKeywords(conninfo);
}

base::Result<StoreTarget> resolveStoreUrl(std::string_view url,
                                          const std::filesystem::path& dataDir,
                                          std::chrono::milliseconds timeout) {
  namespace fs = std::filesystem;
  if (isUri(url) || startsWith(url, kPgPrefix)) return resolvePostgres(url, timeout);

  fs::path path;
  if (url.empty()) {
    path = dataDir / "bankcc.db";
  } else if (startsWith(url, kSqlitePrefix)) {
    const std::string_view rest = url.substr(kSqlitePrefix.size());
    if (rest.empty()) {
      return base::err(Errc::BadRequest,
                       "'sqlite:' names no file; write sqlite:PATH "
                       "or leave url empty for <data_dir>/bankcc.db");
    }
    if (rest == ":memory:" || startsWith(rest, "file:")) {
      return base::err(Errc::BadRequest,
                       fmt::format("'{}': only a plain file path is supported "
                                   "(every connection must see the same database)",
                                   url));
    }
    if (rest.find('"') != std::string_view::npos) {
      return base::err(Errc::BadRequest, fmt::format("'{}': the path must not contain '\"'", url));
    }
    path = fs::path(rest);
    if (path.is_relative()) path = dataDir / path;
  } else if (url.find(':') == std::string_view::npos && url.find('=') == std::string_view::npos) {
    return base::err(Errc::BadRequest, fmt::format("'{}' has no scheme; for a SQLite file write "
                                                   "sqlite:{}",
                                                   url, url));
  } else {
    const std::string_view scheme = url.substr(0, url.find_first_of(":="));
    return base::err(Errc::BadRequest, fmt::format("must start with sqlite:, postgresql:// or "
                                                   "postgresql: (it starts with '{}')",
                                                   scheme.substr(0, 20)));
  }
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  StoreTarget target;
  target.backend = Backend::Sqlite;
  target.sqlitePath = (ec ? path : absolute).lexically_normal();
  target.description = "sqlite:" + target.sqlitePath.string();
  return target;
}

}  // namespace bankcc::store::detail
