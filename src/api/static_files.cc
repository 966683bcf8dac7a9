// SPDX-License-Identifier: Apache-2.0
#include "api/static_files.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bankcc::api {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxFileBytes = 32u << 20;

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'";

struct ContentTypeEntry {
  std::string_view extension;
  std::string_view type;
};

constexpr ContentTypeEntry kContentTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".map", "application/json"},
    {".wasm", "application/wasm"},
};

std::string_view contentTypeFor(const fs::path& file) {
  std::string extension = file.extension().string();
  for (char& c : extension) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  for (const auto& entry : kContentTypes) {
    if (entry.extension == extension) return entry.type;
  }
  return "application/octet-stream";
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Percent-decodes one path segment. nullopt for a broken escape, or when the decoded segment
/// holds a separator or NUL (an encoded slash is a traversal attempt, never a file name here).
std::optional<std::string> decodeSegment(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return std::nullopt;
      const int hi = hexValue(raw[i + 1]);
      const int lo = hexValue(raw[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '/' || c == '\\' || c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

bool isWithin(const fs::path& root, const fs::path& path) {
  auto [rootEnd, pathPos] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return rootEnd == root.end();
}

/// Strong ETag from size and modification time: changes whenever a deploy replaces the file.
std::string etagFor(std::uintmax_t size, fs::file_time_type mtime) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
  return fmt::format("\"{:x}-{:x}\"", size, static_cast<std::uint64_t>(ns));
}

/// RFC 9110 section 13.1.2: weak comparison against a list of entity tags, or "*".
bool noneMatchHolds(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

Response badPath() {
  return errorResponse(400, "bad_request", "invalid path");
}

Response notFound() {
  return errorResponse(404, "not_found", "no such file");
}

}  // namespace

base::Result<StaticFiles> StaticFiles::open(fs::path root) {
  std::error_code ec;
  fs::path canonical = fs::canonical(root, ec);
  if (ec) {
    return base::err(base::Errc::NotFound, fmt::format("static file root {} cannot be opened: {}",
                                                       root.string(), ec.message()));
  }
  if (!fs::is_directory(canonical, ec)) {
    return base::err(base::Errc::ValidationFailed,
                     fmt::format("static file root {} is not a directory", root.string()));
  }
  return StaticFiles(std::move(canonical));
}

std::optional<Response> StaticFiles::serve(const Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
  const std::string_view path = request.path;
  if (path == "/api" || path.substr(0, 5) == "/api/") return std::nullopt;
  if (path.empty() || path.front() != '/') return badPath();
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) {
    return badPath();
  }

  // Segment by segment: empty segments ("//") are skipped, so nothing can become absolute.
  fs::path relative;
  std::string last;
  bool first = true;
  std::size_t pos = 1;
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view raw = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (raw.empty()) continue;
    auto segment = decodeSegment(raw);
    if (!segment || *segment == "." || *segment == "..") return badPath();
    if (segment->front() == '.') return notFound();  // .git, .env: never served
    relative /= *segment;
    last = std::move(*segment);
    first = false;
  }
  const bool immutable = !first && relative.begin()->string() == "assets";
  const bool hasExtension = !first && fs::path(last).has_extension();

  if (!first) {
    std::error_code ec;
    fs::path file = fs::canonical(root_ / relative, ec);
    if (!ec) {
      if (!isWithin(root_, file)) {
        spdlog::warn("static file {} leads outside {}; refused", path, root_.string());
        return notFound();
      }
      if (fs::is_regular_file(file, ec)) {
        return serveFile(file, immutable && file != root_ / "index.html", request);
      }
    }
    if (hasExtension) return notFound();
  }
  // "/" and client-side routes (no extension): the app's entry point.
  std::error_code ec;
  fs::path index = fs::canonical(root_ / "index.html", ec);
  if (ec || !isWithin(root_, index) || !fs::is_regular_file(index, ec)) return notFound();
  return serveFile(index, false, request);
}

Response StaticFiles::serveFile(const fs::path& file, bool immutable,
                                const Request& request) const {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) return notFound();
  const auto mtime = fs::last_write_time(file, ec);
  if (ec) return notFound();
  if (size > kMaxFileBytes) {
    spdlog::warn("static file {} is larger than 32 MiB; not served", file.string());
    return notFound();
  }
  const std::string etag = etagFor(size, mtime);
  const std::string_view contentType = contentTypeFor(file);
  const bool html = contentType.substr(0, 9) == "text/html";

  Response response;
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("Cache-Control",
                                immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (html) response.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);

  if (auto ifNoneMatch = request.header("if-none-match");
      !ifNoneMatch.empty() && noneMatchHolds(ifNoneMatch, etag)) {
    response.status = 304;
    response.contentType.clear();
    return response;
  }

  std::ifstream in(file, std::ios::binary);
  std::string body(static_cast<std::size_t>(size), '\0');
  if (!in.read(body.data(), static_cast<std::streamsize>(body.size()))) {
    spdlog::warn("cannot read static file {}", file.string());
    return errorResponse(500, "internal", "cannot read file");
  }
  response.status = 200;
  response.contentType = std::string(contentType);
  response.body = std::move(body);
  return response;
}

}  // namespace bankcc::api
