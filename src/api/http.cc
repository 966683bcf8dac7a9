// SPDX-License-Identifier: Apache-2.0
#include "api/http.h"

#include <nlohmann/json.hpp>

#include <cstddef>

namespace bankcc::api {

namespace {

char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view Request::header(std::string_view name) const {
  // Names are stored lower-cased; comparing without case also forgives a caller's "Origin".
  for (const auto& [fieldName, value] : headers) {
    if (equalsIgnoreCase(fieldName, name)) return value;
  }
  return {};
}

std::string_view Request::cookie(std::string_view name) const {
  if (name.empty()) return {};
  // RFC 6265 section 4.2: "a=1; b=2", possibly spread over several Cookie fields.
  for (const auto& [fieldName, value] : headers) {
    if (fieldName != "cookie") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      auto semicolon = rest.find(';');
      std::string_view pair = trimOws(rest.substr(0, semicolon));
      rest = semicolon == std::string_view::npos ? std::string_view{} : rest.substr(semicolon + 1);
      auto eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (trimOws(pair.substr(0, eq)) != name) continue;
      std::string_view v = trimOws(pair.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return {};
}

Response errorResponse(int status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  Response response;
  response.status = status;
  // `replace`: a message quoting user input with broken UTF-8 must not throw here.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response jsonResponse(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace bankcc::api
