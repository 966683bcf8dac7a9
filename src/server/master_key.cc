// SPDX-License-Identifier: Apache-2.0
#include "server/master_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/std.h>

namespace bankcc::server {
namespace {

constexpr std::string_view kHeader = "bankcc-master-key-v1 ";

std::string errnoText() {
  return std::strerror(errno);
}

}  // namespace

std::filesystem::path defaultMasterKeyPath() {
  if (::geteuid() == 0) return "/etc/bankcc/master.key";
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "bankcc" / "master.key";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/tmp") / ".config" / "bankcc" / "master.key";
}

base::Status createMasterKey(const std::filesystem::path& path) {
  using base::Errc;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return base::err(Errc::Conflict,
                     fmt::format("master key {} already exists; it is never replaced, because "
                                 "data encrypted with it would become unreadable",
                                 path));
  }
  const auto dir = path.parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return base::err(Errc::Io, fmt::format("cannot create {}: {}", dir, ec.message()));
    }
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  if (sodium_init() < 0) return base::err(Errc::Internal, "libsodium failed to initialise");
  MasterKey key{};
  randombytes_buf(key.data(), key.size());
  std::string text(kHeader);
  static constexpr char kHex[] = "0123456789abcdef";
  for (auto b : key) {
    text.push_back(kHex[b >> 4]);
    text.push_back(kHex[b & 0x0f]);
  }
  text.push_back('\n');
  sodium_memzero(key.data(), key.size());

  // Write a temporary file, then link it to the final name: link() fails if the name exists,
  // so a concurrent creator cannot be overwritten, and the key appears whole or not at all.
  const auto tmp = std::filesystem::path(path.string() + fmt::format(".tmp{}", ::getpid()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return base::err(Errc::Io, fmt::format("cannot create {}: {}", tmp, errnoText()));
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  const std::string writeError = errnoText();
  ::close(fd);
  sodium_memzero(text.data(), text.size());
  if (!written) {
    ::unlink(tmp.c_str());
    return base::err(Errc::Io, fmt::format("cannot write {}: {}", tmp, writeError));
  }
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    if (e == EEXIST) {
      return base::err(Errc::Conflict, fmt::format("master key {} already exists", path));
    }
    return base::err(Errc::Io, fmt::format("cannot create {}: {}", path, std::strerror(e)));
  }
  ::unlink(tmp.c_str());
  return {};
}

base::Result<MasterKey> loadMasterKey(const std::filesystem::path& path) {
  using base::Errc;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return base::err(Errc::NotFound, fmt::format("no master key at {}", path));
    }
    return base::err(Errc::Io, fmt::format("cannot read {}: {}", path, errnoText()));
  }
  if (!S_ISREG(st.st_mode)) {
    return base::err(Errc::ValidationFailed, fmt::format("{} is not a regular file", path));
  }
  if ((st.st_mode & 077) != 0) {
    return base::err(
        Errc::ValidationFailed,
        fmt::format("master key {} may be read by others (mode {:o}); run: chmod 600 {}", path,
                    st.st_mode & 0777, path));
  }
  if (st.st_uid != ::geteuid()) {
    return base::err(Errc::ValidationFailed,
                     fmt::format("master key {} belongs to uid {}, not to this user (uid {})", path,
                                 st.st_uid, ::geteuid()));
  }
  std::ifstream in(path);
  if (!in) return base::err(Errc::Io, fmt::format("cannot read {}: {}", path, errnoText()));
  std::string line;
  std::getline(in, line);
  auto corrupt = [&] {
    return base::err(
        Errc::Corrupt,
        fmt::format("master key {} is malformed (expected '{}' and 64 hex digits)", path, kHeader));
  };
  if (line.rfind(kHeader, 0) != 0 || line.size() != kHeader.size() + 64) return corrupt();
  MasterKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    const int hi = nibble(line[kHeader.size() + 2 * i]);
    const int lo = nibble(line[kHeader.size() + 2 * i + 1]);
    if (hi < 0 || lo < 0) return corrupt();
    key[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  sodium_memzero(line.data(), line.size());
  return key;
}

}  // namespace bankcc::server
