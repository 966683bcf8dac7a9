// SPDX-License-Identifier: Apache-2.0
#include "store/org_support.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <array>
#include <chrono>

namespace bankcc::store::detail {
namespace {

using base::Errc;

struct TableInfo {
  const char* table;
  const char* key;  // the unique column objects are addressed by
  const char* noun;
};

const TableInfo& infoOf(OrgTable table) {
  static constexpr std::array<TableInfo, 8> kTables{{
      {"users", "username", "user"},
      {"teams", "code", "team"},
      {"skills", "code", "skill"},
      {"agents", "agent_no", "agent"},
      {"queues", "code", "queue"},
      {"reason_codes", "code", "reason code"},
      {"wrapup_codes", "code", "wrap-up code"},
      {"calendars", "code", "calendar"},
  }};
  return kTables.at(static_cast<std::size_t>(table));
}

// Decodes one UTF-8 sequence at `s[i]`; the code point, or -1 when malformed.
long decodeUtf8(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  int extra = 0;
  long cp = 0;
  if (c < 0x80) {
    ++i;
    return c;
  } else if ((c & 0xe0) == 0xc0) {
    extra = 1;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    extra = 2;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    extra = 3;
    cp = c & 0x07;
  } else {
    return -1;
  }
  if (i + static_cast<std::size_t>(extra) >= s.size()) return -1;
  for (int k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return -1;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  static constexpr long kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kCursorTag = "k1:";  // versions the cursor format
constexpr std::size_t kMaxCursorKey = 128;

std::string base64url(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kBase64[(v >> shift) & 0x3f];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kBase64[(v >> 18) & 0x3f];
    out += kBase64[(v >> 12) & 0x3f];
    if (i + 1 < in.size()) out += kBase64[(v >> 6) & 0x3f];
  }
  return out;
}

std::optional<std::string> unbase64url(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : in) {
    const std::size_t k = kBase64.find(c);
    if (k == std::string_view::npos) return std::nullopt;
    v = (v << 6) | static_cast<unsigned>(k);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace

std::string_view nounOf(OrgTable table) {
  return infoOf(table).noun;
}

base::Error invalid(std::string_view field, std::string_view message) {
  return base::err(Errc::ValidationFailed, fmt::format("{}: {}", field, message));
}

std::string quoted(std::string_view value) {
  std::string out = "'";
  std::size_t chars = 0;
  std::size_t i = 0;
  while (i < value.size()) {
    if (chars == 40) {
      out += "…";
      break;
    }
    const std::size_t start = i;
    const long cp = decodeUtf8(value, i);
    if (cp < 0) {
      out += '?';
      i = start + 1;
    } else if (cp < 0x20 || cp == 0x7f) {
      out += '?';
    } else {
      out.append(value.substr(start, i - start));
    }
    ++chars;
  }
  return out + "'";
}

std::optional<base::Error> checkCode(std::string_view field, std::string_view value) {
  bool ok = !value.empty() && value.size() <= kMaxCodeLength;
  for (char c : value) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (ok) return std::nullopt;
  return invalid(field, fmt::format("must be 1-{} characters of a-z, 0-9 and _ (got {})",
                                    kMaxCodeLength, quoted(value)));
}

std::optional<base::Error> checkName(std::string_view field, std::string_view value) {
  std::size_t chars = 0;
  bool visible = false;
  std::size_t i = 0;
  while (i < value.size()) {
    const long cp = decodeUtf8(value, i);
    if (cp < 0) return invalid(field, "is not valid UTF-8");
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      return invalid(field, "must not contain control characters");
    }
    visible = visible || (cp != ' ' && cp != 0x3000);  // U+3000: ideographic space
    ++chars;
  }
  if (!visible) return invalid(field, "must not be empty");
  if (chars > kMaxNameChars) {
    return invalid(field,
                   fmt::format("must be at most {} characters (got {})", kMaxNameChars, chars));
  }
  return std::nullopt;
}

bool isLanguageTag(std::string_view tag) {
  // A primary language subtag (2-3 letters) and optional subtags of 2-8 letters or digits.
  std::size_t i = 0;
  while (i < tag.size() && tag[i] >= 'a' && tag[i] <= 'z') ++i;
  if (i < 2 || i > 3) return false;
  while (i < tag.size()) {
    if (tag[i] != '-') return false;
    const std::size_t start = ++i;
    while (i < tag.size() &&
           ((tag[i] >= 'a' && tag[i] <= 'z') || (tag[i] >= '0' && tag[i] <= '9'))) {
      ++i;
    }
    if (i - start < 2 || i - start > 8) return false;
  }
  return true;
}

std::optional<base::Error> checkUsername(std::string_view field, std::string_view value) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool ok = !value.empty() && value.size() <= 64 && alnum(value.front());
  for (char c : value) ok = ok && (alnum(c) || c == '.' || c == '_' || c == '-');
  if (ok) return std::nullopt;
  return invalid(field, fmt::format("must be 1-64 characters of a-z, 0-9, '.', '_' and '-', "
                                    "starting with a letter or digit (got {})",
                                    quoted(value)));
}

long long toMicros(base::SysTime t) {
  return t.time_since_epoch().count();
}

base::SysTime fromMicros(long long micros) {
  return base::SysTime{std::chrono::microseconds{micros}};
}

base::Result<int> checkLimit(int limit) {
  if (limit < 1 || limit > kMaxPageLimit) {
    return invalid("limit", fmt::format("must be between 1 and {} (got {})", kMaxPageLimit, limit));
  }
  return limit;
}

std::string encodeCursor(std::string_view lastKey) {
  return base64url(std::string(kCursorTag) + std::string(lastKey));
}

base::Result<std::string> decodeCursor(std::string_view cursor) {
  if (cursor.empty()) return std::string();
  auto text = unbase64url(cursor);
  if (!text || text->rfind(kCursorTag, 0) != 0 ||
      text->size() - kCursorTag.size() > kMaxCursorKey) {
    return base::err(Errc::BadRequest,
                     "cursor: not a cursor from this list; start again without one");
  }
  return text->substr(kCursorTag.size());
}

std::string activeFilter(const PageRequest& request, std::string_view alias) {
  if (!request.active) return "";
  return fmt::format(" AND {}active = :active", alias);
}

std::string pageSql(std::string_view select, std::string_view keyColumn,
                    const PageRequest& request) {
  const std::size_t dot = keyColumn.find('.');
  const std::string_view alias =
      dot == std::string_view::npos ? std::string_view() : keyColumn.substr(0, dot + 1);
  return fmt::format("{} WHERE {} > :after{} ORDER BY {} LIMIT :limit", select, keyColumn,
                     activeFilter(request, alias), keyColumn);
}

std::optional<long long> idOf(soci::session& session, OrgTable table, std::string_view key) {
  const TableInfo& t = infoOf(table);
  long long id = 0;
  const std::string k(key);
  session << fmt::format("SELECT id FROM {} WHERE {} = :k", t.table, t.key), soci::use(k, "k"),
      soci::into(id);
  if (!session.got_data()) return std::nullopt;
  return id;
}

std::optional<long long> versionOf(soci::session& session, OrgTable table, std::string_view key) {
  const TableInfo& t = infoOf(table);
  long long version = 0;
  const std::string k(key);
  session << fmt::format("SELECT version FROM {} WHERE {} = :k", t.table, t.key), soci::use(k, "k"),
      soci::into(version);
  if (!session.got_data()) return std::nullopt;
  return version;
}

base::Error notFound(OrgTable table, std::string_view key) {
  return base::err(Errc::NotFound, fmt::format("no {} {}", nounOf(table), quoted(key)));
}

base::Error missingOrStale(soci::session& session, OrgTable table, std::string_view key,
                           std::int64_t expected) {
  const auto current = versionOf(session, table, key);
  if (!current) return notFound(table, key);
  return base::err(Errc::VersionMismatch,
                   fmt::format("{} {} was changed meanwhile (now version {}, the change was "
                               "based on version {}); reload it and try again",
                               nounOf(table), quoted(key), *current, expected));
}

base::Status setActiveRow(soci::session& session, const base::Clock& clock, OrgTable table,
                          std::string_view key, bool active, std::int64_t expected) {
  const TableInfo& t = infoOf(table);
  const int flag = active ? 1 : 0;
  const long long now = toMicros(clock.now());
  const long long version = expected;
  const std::string k(key);
  soci::statement st =
      (session.prepare << fmt::format("UPDATE {} SET active = :active, version = version + 1, "
                                      "updated_at = :now WHERE {} = :k AND version = :version",
                                      t.table, t.key),
       soci::use(flag, "active"), soci::use(now, "now"), soci::use(k, "k"),
       soci::use(version, "version"));
  st.execute(true);
  if (st.get_affected_rows() == 0) return missingOrStale(session, table, key, expected);
  return {};
}

base::Status touchRow(soci::session& session, const base::Clock& clock, OrgTable table,
                      std::string_view key, std::int64_t expected) {
  const TableInfo& t = infoOf(table);
  const long long now = toMicros(clock.now());
  const long long version = expected;
  const std::string k(key);
  soci::statement st =
      (session.prepare << fmt::format("UPDATE {} SET version = version + 1, updated_at = :now "
                                      "WHERE {} = :k AND version = :version",
                                      t.table, t.key),
       soci::use(now, "now"), soci::use(k, "k"), soci::use(version, "version"));
  st.execute(true);
  if (st.get_affected_rows() == 0) return missingOrStale(session, table, key, expected);
  return {};
}

base::Status checkKeyFree(soci::session& session, OrgTable table, std::string_view key) {
  if (!idOf(session, table, key)) return {};
  return base::err(Errc::Conflict, fmt::format("{} {} already exists", nounOf(table), quoted(key)));
}

std::int64_t countRows(soci::session& session, OrgTable table) {
  long long count = 0;
  session << fmt::format("SELECT count(*) FROM {}", infoOf(table).table), soci::into(count);
  return count;
}

}  // namespace bankcc::store::detail
