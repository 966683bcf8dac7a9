// SPDX-License-Identifier: Apache-2.0
// Non-template pieces of the HTTP and WebSocket connections: turning Beast requests into
// Requests and Responses into bytes, error mapping, the WebSocket handle.
#include "api/transport_internal.h"

#include <charconv>
#include <ctime>

namespace bankcc::api::transport_detail {

namespace {

char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool isValidFieldName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!isTokenChar(c)) return false;
  }
  return true;
}

/// No CR, LF or NUL: anything else in a value cannot end the field.
bool isValidFieldValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void appendNumber(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

void appendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

/// The IMF-fixdate of now, formatted once per second per thread.
std::string_view httpDate() {
  thread_local std::time_t cachedSecond = -1;
  thread_local char cached[40];
  thread_local std::size_t cachedSize = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cachedSecond) {
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    cachedSize = std::strftime(cached, sizeof cached, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cachedSecond = now;
  }
  return {cached, cachedSize};
}

// Header fields the transport writes itself; the application's copies are ignored.
enum : unsigned {
  kSeenCacheControl = 1u << 0,
  kSeenNosniff = 1u << 1,
  kSeenFrameOptions = 1u << 2,
  kSeenReferrerPolicy = 1u << 3,
  kSeenHsts = 1u << 4,
};

}  // namespace

Request makeRequest(BeastRequest& message, const std::string& remoteAddress, bool secure) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  const auto question = request.target.find('?');
  if (question == std::string::npos) {
    request.path = request.target;
  } else {
    request.path = request.target.substr(0, question);
    request.query = request.target.substr(question + 1);
  }
  request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) c = lowerAscii(c);
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.remoteAddress = remoteAddress;
  request.secure = secure;
  return request;
}

bool statusHasNoBody(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

bool writeResponseHead(std::string& out, const Response& response, bool keepAlive, bool http10,
                       bool secure) {
  int status = response.status;
  if (status < 100 || status > 999) {
    spdlog::error("HTTP application answered with status {}; sending 500", status);
    status = 500;
  }
  const bool noBody = statusHasNoBody(status);

  out.clear();
  out.append("HTTP/1.1 ");
  appendNumber(out, static_cast<std::size_t>(status));
  out.push_back(' ');
  const auto known = http::int_to_status(static_cast<unsigned>(status));
  if (known != http::status::unknown) {
    const auto reason = http::obsolete_reason(known);
    out.append(reason.data(), reason.size());
  }
  out.append("\r\n");
  appendField(out, "Server", "bankcc");
  appendField(out, "Date", httpDate());
  if (!noBody) {
    if (!response.contentType.empty()) {
      if (isValidFieldValue(response.contentType)) {
        appendField(out, "Content-Type", response.contentType);
      } else {
        spdlog::error("HTTP application set an invalid Content-Type; dropped");
      }
    }
    out.append("Content-Length: ");
    appendNumber(out, response.body.size());
    out.append("\r\n");
  }

  unsigned seen = 0;
  for (const auto& [name, value] : response.headers) {
    if (!isValidFieldName(name) || !isValidFieldValue(value)) {
      // An application bug, but one that would let a value split the response: drop it.
      spdlog::error("HTTP application set an invalid header field '{}'; dropped",
                    isValidFieldName(name) ? name : std::string("(invalid name)"));
      continue;
    }
    if (beast::iequals(name, "connection")) {
      if (beast::iequals(value, "close")) keepAlive = false;
      continue;
    }
    if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding") ||
        beast::iequals(name, "server") || beast::iequals(name, "date") ||
        (beast::iequals(name, "content-type") && !response.contentType.empty())) {
      continue;
    }
    if (beast::iequals(name, "cache-control")) seen |= kSeenCacheControl;
    if (beast::iequals(name, "x-content-type-options")) seen |= kSeenNosniff;
    if (beast::iequals(name, "x-frame-options")) seen |= kSeenFrameOptions;
    if (beast::iequals(name, "referrer-policy")) seen |= kSeenReferrerPolicy;
    if (beast::iequals(name, "strict-transport-security")) seen |= kSeenHsts;
    appendField(out, name, value);
  }
  if (!(seen & kSeenCacheControl)) appendField(out, "Cache-Control", "no-store");
  if (!(seen & kSeenNosniff)) appendField(out, "X-Content-Type-Options", "nosniff");
  if (!(seen & kSeenFrameOptions)) appendField(out, "X-Frame-Options", "DENY");
  if (!(seen & kSeenReferrerPolicy)) appendField(out, "Referrer-Policy", "no-referrer");
  if (secure && !(seen & kSeenHsts)) {
    appendField(out, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  }
  if (!keepAlive) {
    appendField(out, "Connection", "close");
  } else if (http10) {
    appendField(out, "Connection", "keep-alive");
  }
  out.append("\r\n");
  return keepAlive;
}

std::optional<Response> responseForReadError(const beast::error_code& ec) {
  if (ec == http::error::body_limit) {
    return errorResponse(413, "payload_too_large", "request body too large");
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return errorResponse(431, "bad_request", "request header fields too large");
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return std::nullopt;  // the client went away
  }
  static const auto& httpCategory = http::make_error_code(http::error::bad_method).category();
  if (ec.category() == httpCategory) {
    return errorResponse(400, "bad_request", "malformed HTTP request");
  }
  return std::nullopt;  // timeout, reset, TLS failure, shutdown
}

std::string remoteAddressOf(const Socket& socket) {
  beast::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

std::uint16_t sanitizeCloseCode(int code) {
  // RFC 6455 section 7.4: 1004-1006 and 1015 must not be sent; 1012-1014 are registered since.
  const bool valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                     (code >= 3000 && code <= 4999);
  return static_cast<std::uint16_t>(valid ? code : 1011);
}

std::string truncateCloseReason(std::string reason) {
  constexpr std::size_t kMax = 123;  // 125-byte control frame payload minus the code
  if (reason.size() <= kMax) return reason;
  std::size_t cut = kMax;
  // Do not split a UTF-8 sequence: back up while the next byte is a continuation byte.
  while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
  reason.resize(cut);
  return reason;
}

void WsHandle::send(std::string text) {
  send(std::make_shared<const std::string>(std::move(text)));
}

void WsHandle::send(std::shared_ptr<const std::string> frame) {
  if (!frame || !state_->enter()) return;
  if (auto endpoint = endpoint_.lock()) endpoint->postSend(std::move(frame));
  state_->leave();
}

std::uintptr_t WsHandle::ioThread() const {
  return reinterpret_cast<std::uintptr_t>(&executor_.context());
}

void WsHandle::post(std::function<void()> task) {
  if (!state_->enter()) return;
  asio::post(executor_, std::move(task));
  state_->leave();
}

void WsHandle::close(int code, std::string reason) {
  if (!state_->enter()) return;
  if (auto endpoint = endpoint_.lock()) endpoint->postClose(code, std::move(reason));
  state_->leave();
}

}  // namespace bankcc::api::transport_detail
