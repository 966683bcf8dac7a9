// SPDX-License-Identifier: Apache-2.0
#include "support/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

namespace bankcc::testing {

namespace {

using Clock = std::chrono::steady_clock;

char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lowerAscii(c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int millisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

/// Connects a TCP socket to "HOST:PORT" (IPv4), optionally from `source`. -1 on failure.
int connectTo(const std::string& address, const std::string& source,
              std::chrono::milliseconds timeout) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return -1;
  const std::string host = address.substr(0, colon);
  const int port = std::atoi(address.c_str() + colon + 1);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_port = 0;
    if (::inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    ::close(fd);
    return -1;
  }
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/// Reads what is available within the deadline into `out`. 1: got bytes, 0: EOF or reset,
/// -1: timeout.
int readSome(int fd, std::string& out, Clock::time_point deadline) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    const int r = ::poll(&p, 1, millisLeft(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    break;
  }
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    out.append(buf, static_cast<std::size_t>(n));
    return 1;
  }
}

/// Base64 (for Sec-WebSocket-Key).
std::string base64(const unsigned char* data, std::size_t size) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < size; i += 3) {
    const unsigned v = (data[i] << 16) | ((i + 1 < size ? data[i + 1] : 0) << 8) |
                       (i + 2 < size ? data[i + 2] : 0);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < size ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < size ? kAlphabet[v & 63] : '=');
  }
  return out;
}

std::mt19937& rng() {
  thread_local std::mt19937 gen{std::random_device{}()};
  return gen;
}

}  // namespace

// --- HttpResponse ---------------------------------------------------------------------------

std::string HttpResponse::header(std::string_view name) const {
  const std::string wanted = lower(name);
  for (const auto& [n, v] : headers) {
    if (n == wanted) return v;
  }
  return {};
}

std::vector<std::string> HttpResponse::headerValues(std::string_view name) const {
  const std::string wanted = lower(name);
  std::vector<std::string> out;
  for (const auto& [n, v] : headers) {
    if (n == wanted) out.push_back(v);
  }
  return out;
}

std::optional<HttpResponse> parseHttpResponse(std::string_view raw, bool headRequest,
                                              bool connectionClosed, std::size_t* consumed) {
  const auto headEnd = raw.find("\r\n\r\n");
  if (headEnd == std::string_view::npos) return std::nullopt;
  HttpResponse response;
  std::string_view head = raw.substr(0, headEnd);
  auto lineEnd = head.find("\r\n");
  std::string_view statusLine = head.substr(0, lineEnd);
  if (statusLine.rfind("HTTP/1.", 0) != 0 || statusLine.size() < 12) return std::nullopt;
  response.status = std::atoi(std::string(statusLine.substr(9, 3)).c_str());
  std::string_view rest =
      lineEnd == std::string_view::npos ? std::string_view{} : head.substr(lineEnd + 2);
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                  std::string(trim(line.substr(colon + 1))));
  }
  std::size_t at = headEnd + 4;
  const bool noBody = headRequest || (response.status >= 100 && response.status < 200) ||
                      response.status == 204 || response.status == 304;
  if (noBody) {
    if (consumed) *consumed = at;
    return response;
  }
  if (lower(response.header("transfer-encoding")).find("chunked") != std::string::npos) {
    std::string body;
    for (;;) {
      const auto sizeEnd = raw.find("\r\n", at);
      if (sizeEnd == std::string_view::npos) return std::nullopt;
      const std::size_t size =
          std::strtoul(std::string(raw.substr(at, sizeEnd - at)).c_str(), nullptr, 16);
      at = sizeEnd + 2;
      if (size == 0) {
        const auto trailerEnd = raw.find("\r\n", at);
        if (trailerEnd == std::string_view::npos) return std::nullopt;
        at = trailerEnd + 2;
        break;
      }
      if (raw.size() < at + size + 2) return std::nullopt;
      body.append(raw.substr(at, size));
      at += size + 2;
    }
    response.body = std::move(body);
    if (consumed) *consumed = at;
    return response;
  }
  const std::string length = response.header("content-length");
  if (!length.empty()) {
    const std::size_t n = std::strtoull(length.c_str(), nullptr, 10);
    if (raw.size() < at + n) return std::nullopt;
    response.body = std::string(raw.substr(at, n));
    if (consumed) *consumed = at + n;
    return response;
  }
  if (!connectionClosed) return std::nullopt;
  response.body = std::string(raw.substr(at));
  if (consumed) *consumed = raw.size();
  return response;
}

// --- HttpClient -----------------------------------------------------------------------------

HttpClient::HttpClient(std::string address, std::string sourceAddress,
                       std::chrono::milliseconds timeout)
    : address_(std::move(address)), sourceAddress_(std::move(sourceAddress)), timeout_(timeout) {}

HttpClient::~HttpClient() {
  close();
}

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  pending_.clear();
}

int HttpClient::connectSocket() {
  return connectTo(address_, sourceAddress_, timeout_);
}

bool HttpClient::sendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

HttpResponse HttpClient::request(const std::string& method, const std::string& path,
                                 const HeaderList& headers, const std::string& body) {
  std::string message = method + " " + path + " HTTP/1.1\r\nHost: " + address_ + "\r\n";
  bool hasType = false;
  for (const auto& [name, value] : headers) {
    if (lower(name) == "content-type") hasType = true;
    message += name + ": " + value + "\r\n";
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    if (!hasType && !body.empty()) message += "Content-Type: application/json\r\n";
    message += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  message += "\r\n";
  message += body;
  const bool head = method == "HEAD";

  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = fd_ >= 0;
    if (fd_ < 0) {
      fd_ = connectSocket();
      pending_.clear();
      if (fd_ < 0) return {};
    }
    if (!sendAll(fd_, message)) {
      close();
      if (reused) continue;
      return {};
    }
    const auto deadline = Clock::now() + timeout_;
    std::string data = std::move(pending_);
    pending_.clear();
    bool closed = false;
    for (;;) {
      std::size_t consumed = 0;
      if (auto r = parseHttpResponse(data, head, closed, &consumed)) {
        pending_ = data.substr(consumed);
        if (closed || lower(r->header("connection")) == "close") close();
        return *r;
      }
      if (closed) break;
      const int got = readSome(fd_, data, deadline);
      if (got < 0) {
        close();
        return {};
      }
      if (got == 0) closed = true;
    }
    close();
    // The server closed a kept-alive connection before answering: try once on a fresh one.
    if (!(reused && data.empty())) return {};
  }
  return {};
}

RawExchange HttpClient::raw(std::string_view bytes, std::chrono::milliseconds timeout,
                            bool stopAtResponse) {
  RawExchange out;
  const int fd = connectSocket();
  if (fd < 0) return out;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const auto deadline = Clock::now() + timeout;
  std::string_view left = bytes;
  bool readDone = false;
  while (!readDone) {
    pollfd p{fd, static_cast<short>(POLLIN | (left.empty() ? 0 : POLLOUT)), 0};
    const int r = ::poll(&p, 1, millisLeft(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;  // timeout
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[16384];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        out.received.append(buf, static_cast<std::size_t>(n));
        if (stopAtResponse && parseHttpResponse(out.received, false, false)) break;
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        out.closedByPeer = true;
        readDone = true;
      }
    }
    if (!readDone && !left.empty() && (p.revents & POLLOUT)) {
      const ssize_t n = ::send(fd, left.data(), left.size(), MSG_NOSIGNAL);
      if (n > 0) {
        left.remove_prefix(static_cast<std::size_t>(n));
        out.sent += static_cast<std::size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        left = {};  // the server stopped reading; keep reading what it said
      }
    }
  }
  ::close(fd);
  out.response = parseHttpResponse(out.received, false, out.closedByPeer);
  return out;
}

bool HttpClient::openRaw() {
  close();
  fd_ = connectSocket();
  return fd_ >= 0;
}

bool HttpClient::sendMore(std::string_view bytes) {
  return fd_ >= 0 && sendAll(fd_, bytes);
}

bool HttpClient::waitForClose(std::chrono::milliseconds timeout, std::string* received) {
  if (fd_ < 0) return true;
  const auto deadline = Clock::now() + timeout;
  std::string data;
  for (;;) {
    const int got = readSome(fd_, data, deadline);
    if (got < 0) {
      if (received) *received = data;
      return false;
    }
    if (got == 0) break;
  }
  if (received) *received = data;
  close();
  return true;
}

// --- WebSocket ------------------------------------------------------------------------------

int WsFrame::closeCode() const {
  if (opcode != 0x8 || payload.size() < 2) return 1005;
  return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

WsClient::WsClient(std::string address, std::chrono::milliseconds timeout)
    : address_(std::move(address)), timeout_(timeout) {}

WsClient::~WsClient() {
  if (fd_ >= 0) ::close(fd_);
}

HttpResponse WsClient::handshake(const std::string& path, const HeaderList& headers) {
  fd_ = connectTo(address_, {}, timeout_);
  if (fd_ < 0) return {};
  unsigned char nonce[16];
  for (auto& b : nonce) b = static_cast<unsigned char>(rng()() & 0xFF);
  std::string message = "GET " + path + " HTTP/1.1\r\nHost: " + address_ +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
                        base64(nonce, sizeof nonce) + "\r\n";
  for (const auto& [name, value] : headers) message += name + ": " + value + "\r\n";
  message += "\r\n";
  if (!sendRaw(message)) return {};
  const auto deadline = Clock::now() + timeout_;
  bool closed = false;
  for (;;) {
    // A 101 has no body: what follows its head is already frames.
    const auto headEnd = buffer_.find("\r\n\r\n");
    if (headEnd != std::string::npos && buffer_.rfind("HTTP/1.1 101", 0) == 0) {
      auto r = parseHttpResponse(std::string_view(buffer_).substr(0, headEnd + 4), true, false);
      buffer_.erase(0, headEnd + 4);
      return r.value_or(HttpResponse{});
    }
    std::size_t consumed = 0;
    if (auto r = parseHttpResponse(buffer_, false, closed, &consumed)) {
      buffer_.erase(0, consumed);
      return *r;
    }
    if (closed) return {};
    const int got = readSome(fd_, buffer_, deadline);
    if (got < 0) return {};
    if (got == 0) closed = true;
  }
}

bool WsClient::sendRaw(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool WsClient::sendFrame(int opcode, std::string_view payload, bool fin, bool masked, int rsv) {
  std::string frame;
  frame.push_back(static_cast<char>((fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0x0F)));
  const unsigned char maskBit = masked ? 0x80 : 0;
  const std::uint64_t n = payload.size();
  if (n < 126) {
    frame.push_back(static_cast<char>(maskBit | n));
  } else if (n <= 0xFFFF) {
    frame.push_back(static_cast<char>(maskBit | 126));
    frame.push_back(static_cast<char>((n >> 8) & 0xFF));
    frame.push_back(static_cast<char>(n & 0xFF));
  } else {
    frame.push_back(static_cast<char>(maskBit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      frame.push_back(static_cast<char>((n >> shift) & 0xFF));
    }
  }
  if (masked) {
    unsigned char key[4];
    for (auto& b : key) b = static_cast<unsigned char>(rng()() & 0xFF);
    frame.append(reinterpret_cast<const char*>(key), 4);
    const std::size_t start = frame.size();
    frame.append(payload);
    for (std::size_t i = 0; i < payload.size(); ++i) {
      frame[start + i] = static_cast<char>(frame[start + i] ^ key[i % 4]);
    }
  } else {
    frame.append(payload);
  }
  return sendRaw(frame);
}

bool WsClient::sendClose(int code) {
  std::string payload;
  payload.push_back(static_cast<char>((code >> 8) & 0xFF));
  payload.push_back(static_cast<char>(code & 0xFF));
  return sendFrame(0x8, payload);
}

std::optional<WsFrame> WsClient::parseFrame() {
  if (buffer_.size() < 2) return std::nullopt;
  const auto b0 = static_cast<unsigned char>(buffer_[0]);
  const auto b1 = static_cast<unsigned char>(buffer_[1]);
  std::size_t at = 2;
  std::uint64_t n = b1 & 0x7F;
  if (n == 126) {
    if (buffer_.size() < 4) return std::nullopt;
    n = (static_cast<unsigned char>(buffer_[2]) << 8) | static_cast<unsigned char>(buffer_[3]);
    at = 4;
  } else if (n == 127) {
    if (buffer_.size() < 10) return std::nullopt;
    n = 0;
    for (int i = 0; i < 8; ++i) n = (n << 8) | static_cast<unsigned char>(buffer_[2 + i]);
    at = 10;
  }
  const bool masked = (b1 & 0x80) != 0;
  unsigned char key[4] = {0, 0, 0, 0};
  if (masked) {
    if (buffer_.size() < at + 4) return std::nullopt;
    std::memcpy(key, buffer_.data() + at, 4);
    at += 4;
  }
  if (buffer_.size() < at + n) return std::nullopt;
  WsFrame frame;
  frame.fin = (b0 & 0x80) != 0;
  frame.opcode = b0 & 0x0F;
  frame.payload = buffer_.substr(at, n);
  if (masked) {
    for (std::size_t i = 0; i < frame.payload.size(); ++i) {
      frame.payload[i] = static_cast<char>(frame.payload[i] ^ key[i % 4]);
    }
  }
  buffer_.erase(0, at + n);
  return frame;
}

bool WsClient::fill(Clock::time_point deadline) {
  if (fd_ < 0 || ended_) return false;
  const int got = readSome(fd_, buffer_, deadline);
  if (got == 0) ended_ = true;
  return got > 0;
}

std::optional<WsFrame> WsClient::receive(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto frame = parseFrame()) {
      if (frame->opcode == 0x8 && !closeCode_) closeCode_ = frame->closeCode();
      return frame;
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

std::optional<std::string> WsClient::receiveText(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto frame = receive(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(Clock::duration::zero(), deadline - Clock::now())));
    if (!frame) return std::nullopt;
    if (frame->opcode == 0x9) {
      sendFrame(0xA, frame->payload);
      continue;
    }
    if (frame->opcode == 0x8) return std::nullopt;
    if (frame->opcode == 0x1) return frame->payload;
  }
}

std::optional<int> WsClient::waitForClose(std::chrono::milliseconds timeout) {
  if (closeCode_) return closeCode_;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto frame = receive(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(Clock::duration::zero(), deadline - Clock::now())));
    if (!frame) return std::nullopt;
    if (frame->opcode == 0x9) {
      sendFrame(0xA, frame->payload);
      continue;
    }
    if (frame->opcode == 0x8) {
      const int code = frame->closeCode();
      sendClose(code == 1005 ? 1000 : code);  // complete the closing handshake
      return code;
    }
  }
}

}  // namespace bankcc::testing
