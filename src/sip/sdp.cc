// SPDX-License-Identifier: Apache-2.0
#include "sip/sofia.h"  // first: fixes sofia's magic types

#include "sip/sdp.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace bankcc::sip {
namespace {

using base::Errc;

// Larger bodies are not SDP for one audio stream; refusing them bounds parser memory.
constexpr std::size_t kMaxSdpBytes = 16 * 1024;
constexpr int kTelephoneEventPt = 101;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

// Frees the parser and its home on every path out of parseSdp.
class ParserGuard {
 public:
  ParserGuard(const char* text, std::size_t size) {
    su_home_init(home_);
    parser_ = sdp_parse(home_, text, static_cast<issize_t>(size), 0);
  }
  ~ParserGuard() {
    if (parser_ != nullptr) sdp_parser_free(parser_);
    su_home_deinit(home_);
  }
  ParserGuard(const ParserGuard&) = delete;
  ParserGuard& operator=(const ParserGuard&) = delete;
  sdp_parser_t* get() const { return parser_; }

 private:
  su_home_t home_[1] = {SU_HOME_INIT(home_)};
  sdp_parser_t* parser_ = nullptr;
};

MediaDirection fromSofiaMode(unsigned mode) {
  switch (mode) {
    case sdp_inactive:
      return MediaDirection::Inactive;
    case sdp_sendonly:
      return MediaDirection::SendOnly;
    case sdp_recvonly:
      return MediaDirection::RecvOnly;
    default:
      return MediaDirection::SendRecv;
  }
}

std::string_view directionAttribute(MediaDirection d) {
  switch (d) {
    case MediaDirection::SendOnly:
      return "sendonly";
    case MediaDirection::RecvOnly:
      return "recvonly";
    case MediaDirection::Inactive:
      return "inactive";
    case MediaDirection::SendRecv:
      break;
  }
  return "sendrecv";
}

MediaDirection mirror(MediaDirection d) {
  switch (d) {
    case MediaDirection::SendOnly:
      return MediaDirection::RecvOnly;
    case MediaDirection::RecvOnly:
      return MediaDirection::SendOnly;
    case MediaDirection::Inactive:
      return MediaDirection::Inactive;
    case MediaDirection::SendRecv:
      break;
  }
  return MediaDirection::SendRecv;
}

std::optional<int> parsePtime(const sdp_attribute_t* attrs) {
  const sdp_attribute_t* a = sdp_attribute_find(attrs, "ptime");
  if (a == nullptr || a->a_value == nullptr) return std::nullopt;
  std::string_view v = a->a_value;
  int ms = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
  // Packet times outside 10..200 ms are nonsense for telephony; ignore rather than refuse.
  if (ec != std::errc{} || ms < 10 || ms > 200) return std::nullopt;
  return ms;
}

const char* textOr(const char* s, const char* fallback) {
  return s != nullptr ? s : fallback;
}

// The name we render in a=rtpmap: telephone-event in its registered lower case, others as is.
std::string renderName(const std::string& upperName) {
  if (upperName == "TELEPHONE-EVENT") return "telephone-event";
  return upperName;
}

struct StaticPayload {
  const char* name;
  std::uint8_t pt;
};
constexpr StaticPayload kStaticPayloads[] = {
    {"PCMU", 0}, {"GSM", 3}, {"G723", 4}, {"PCMA", 8}, {"G722", 9}, {"G729", 18},
};

bool isTelephoneEvent(const SdpCodec& c) {
  return c.name == "TELEPHONE-EVENT";
}

bool isTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::strchr("-!#$%&'*+.^_`{|}~", c) != nullptr;
}

// sofia-sip 1.12.11 (Debian) loops forever, allocating, on an m= line whose format list holds
// a character outside its token set (fixed upstream in 2022, commit a953f25, not in Debian).
// So every m= line is checked against RFC 4566's grammar before sofia sees it:
//   m=<media> <port>[/<count>] <proto> <fmt> ...   (proto = token *("/" token))
bool mediaLineIsWellFormed(std::string_view line) {
  std::size_t field = 0;
  std::size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    if (pos == line.size()) break;
    std::size_t end = pos;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
    std::string_view word = line.substr(pos, end - pos);
    const bool slashAllowed = field == 1 || field == 2;  // port/count, proto
    for (char c : word) {
      if (!(isTokenChar(c) || (slashAllowed && c == '/'))) return false;
    }
    ++field;
    pos = end;
  }
  return field >= 4;
}

bool mediaLinesAreWellFormed(std::string_view body) {
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    // sofia strips leading whitespace from records, so " m=" is an m= line to it as well.
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.size() >= 2 && line[0] == 'm' && line[1] == '=' &&
        !mediaLineIsWellFormed(line.substr(2))) {
      return false;
    }
    pos = end + 1;
  }
  return true;
}

}  // namespace

base::Result<MediaDescription> parseSdp(std::string_view body) {
  if (body.empty()) return base::err(Errc::BadRequest, "empty SDP");
  if (body.size() > kMaxSdpBytes) return base::err(Errc::BadRequest, "SDP too large");
  // sofia copies with strncpy: an embedded NUL would silently cut the text.
  if (body.find('\0') != std::string_view::npos) {
    return base::err(Errc::BadRequest, "NUL byte in SDP");
  }
  if (!mediaLinesAreWellFormed(body)) return base::err(Errc::BadRequest, "malformed m= line");
  ParserGuard parser(body.data(), body.size());
  sdp_session_t* session = sdp_session(parser.get());
  if (session == nullptr) {
    const char* why = sdp_parsing_error(parser.get());
    return base::err(Errc::BadRequest, fmt::format("malformed SDP: {}", textOr(why, "?")));
  }

  MediaDescription out;
  const sdp_media_t* audio = nullptr;
  std::size_t index = 0;
  for (const sdp_media_t* m = session->sdp_media; m != nullptr; m = m->m_next, ++index) {
    if (audio == nullptr && m->m_type == sdp_media_audio && m->m_proto == sdp_proto_rtp) {
      audio = m;
      out.audioIndex = index;
      continue;
    }
    OtherStream other;
    other.media = textOr(m->m_type_name, "audio");
    other.proto = textOr(m->m_proto_name, "RTP/AVP");
    if (m->m_rtpmaps != nullptr) {
      other.format = std::to_string(m->m_rtpmaps->rm_pt);
    } else if (m->m_format != nullptr && m->m_format->l_text != nullptr) {
      other.format = m->m_format->l_text;
    } else {
      other.format = "0";
    }
    out.otherStreams.push_back(std::move(other));
  }
  if (audio == nullptr) return base::err(Errc::BadRequest, "no RTP/AVP audio stream in SDP");

  if (audio->m_port > 65535) return base::err(Errc::BadRequest, "audio port out of range");
  out.port = static_cast<std::uint16_t>(audio->m_port);

  const sdp_connection_t* c =
      audio->m_connections != nullptr ? audio->m_connections : session->sdp_connection;
  if (c == nullptr || c->c_address == nullptr || *c->c_address == '\0') {
    if (out.port != 0) return base::err(Errc::BadRequest, "no connection address for audio");
  } else {
    if (c->c_addrtype != sdp_addr_ip4 && c->c_addrtype != sdp_addr_ip6) {
      return base::err(Errc::BadRequest, "connection address is neither IP4 nor IP6");
    }
    out.address = c->c_address;
  }

  for (const sdp_rtpmap_t* rm = audio->m_rtpmaps; rm != nullptr; rm = rm->rm_next) {
    // A dynamic payload type without a=rtpmap says nothing we could use.
    if (rm->rm_encoding == nullptr || *rm->rm_encoding == '\0') continue;
    SdpCodec codec;
    codec.payloadType = static_cast<std::uint8_t>(rm->rm_pt);
    codec.name = upper(rm->rm_encoding);
    codec.clockRate = static_cast<int>(std::min<unsigned long>(rm->rm_rate, 1'000'000));
    out.codecs.push_back(std::move(codec));
  }

  if (auto ms = parsePtime(audio->m_attributes)) {
    out.ptimeMs = *ms;
  } else if (auto sessionMs = parsePtime(session->sdp_attributes)) {
    out.ptimeMs = *sessionMs;
  }
  out.rtcpMux = sdp_attribute_find(audio->m_attributes, "rtcp-mux") != nullptr;
  out.direction = fromSofiaMode(audio->m_mode);
  // RFC 2543 hold: c=0.0.0.0 means "do not send to me" (RFC 3264 section 8.4).
  if (out.address == "0.0.0.0" && out.direction == MediaDirection::SendRecv) {
    out.direction = MediaDirection::SendOnly;
  }
  return out;
}

std::string renderSdp(const MediaDescription& d, std::uint64_t sessionId,
                      std::uint64_t sessionVersion) {
  const bool ipv6 = d.address.find(':') != std::string::npos;
  const char* addrType = ipv6 ? "IP6" : "IP4";
  const std::string& address = d.address.empty() ? std::string("0.0.0.0") : d.address;
  std::string out;
  out.reserve(256);
  fmt::format_to(std::back_inserter(out), "v=0\r\no=bankcc {} {} IN {} {}\r\ns=bankcc\r\n",
                 sessionId, sessionVersion, addrType, address);
  fmt::format_to(std::back_inserter(out), "c=IN {} {}\r\nt=0 0\r\n", addrType, address);

  const std::size_t total = d.otherStreams.size() + 1;
  const std::size_t audioAt = std::min(d.audioIndex, total - 1);
  std::size_t other = 0;
  for (std::size_t i = 0; i < total; ++i) {
    if (i != audioAt) {
      const OtherStream& s = d.otherStreams[other++];
      fmt::format_to(std::back_inserter(out), "m={} 0 {} {}\r\n", s.media, s.proto,
                     s.format.empty() ? "0" : s.format);
      continue;
    }
    out += fmt::format("m=audio {} RTP/AVP", d.port);
    if (d.codecs.empty()) out += " 0";  // an m-line needs at least one format
    for (const SdpCodec& c : d.codecs) out += fmt::format(" {}", c.payloadType);
    out += "\r\n";
    for (const SdpCodec& c : d.codecs) {
      fmt::format_to(std::back_inserter(out), "a=rtpmap:{} {}/{}\r\n", c.payloadType,
                     renderName(c.name), c.clockRate);
      if (isTelephoneEvent(c)) {
        fmt::format_to(std::back_inserter(out), "a=fmtp:{} 0-15\r\n", c.payloadType);
      }
    }
    fmt::format_to(std::back_inserter(out), "a=ptime:{}\r\n", d.ptimeMs);
    if (d.rtcpMux) out += "a=rtcp-mux\r\n";
    fmt::format_to(std::back_inserter(out), "a={}\r\n", directionAttribute(d.direction));
  }
  return out;
}

base::Result<Negotiated> negotiate(const MediaDescription& offer, const LocalCapabilities& caps) {
  if (offer.port == 0) {
    return base::err(Errc::ValidationFailed, "the offer's audio stream is disabled (port 0)");
  }
  Negotiated n;
  bool found = false;
  for (const SdpCodec& c : offer.codecs) {
    if (isTelephoneEvent(c)) continue;
    const bool supported =
        std::any_of(caps.codecs.begin(), caps.codecs.end(),
                    [&](const std::string& ours) { return equalsNoCase(ours, c.name); });
    if (supported) {
      n.codec = c;
      found = true;
      break;
    }
  }
  if (!found) return base::err(Errc::ValidationFailed, "no common codec");
  if (caps.telephoneEvent) {
    for (const SdpCodec& c : offer.codecs) {
      if (isTelephoneEvent(c) && c.clockRate == 8000) {
        n.telephoneEventPt = c.payloadType;
        break;
      }
    }
  }
  n.ptimeMs = offer.ptimeMs;
  n.rtcpMux = offer.rtcpMux;
  n.ourDirection = mirror(offer.direction);
  n.otherStreams = offer.otherStreams;
  n.audioIndex = offer.audioIndex;
  return n;
}

MediaDescription makeAnswer(const Negotiated& negotiated, const std::string& address,
                            std::uint16_t port) {
  MediaDescription d;
  d.address = address;
  d.port = port;
  d.codecs.push_back(negotiated.codec);
  if (negotiated.telephoneEventPt >= 0) {
    d.codecs.push_back(
        SdpCodec{static_cast<std::uint8_t>(negotiated.telephoneEventPt), "TELEPHONE-EVENT", 8000});
  }
  d.ptimeMs = negotiated.ptimeMs;
  d.rtcpMux = negotiated.rtcpMux;
  d.direction = negotiated.ourDirection;
  d.otherStreams = negotiated.otherStreams;
  d.audioIndex = negotiated.audioIndex;
  return d;
}

MediaDescription makeOffer(const LocalCapabilities& caps, const std::string& address,
                           std::uint16_t port) {
  MediaDescription d;
  d.address = address;
  d.port = port;
  for (const std::string& name : caps.codecs) {
    const std::string u = upper(name);
    for (const StaticPayload& s : kStaticPayloads) {
      if (u == s.name) d.codecs.push_back(SdpCodec{s.pt, u, 8000});
    }
  }
  if (caps.telephoneEvent) {
    d.codecs.push_back(SdpCodec{kTelephoneEventPt, "TELEPHONE-EVENT", 8000});
  }
  d.ptimeMs = caps.ptimeMs;
  return d;
}

base::Result<Negotiated> acceptAnswer(const MediaDescription& ourOffer,
                                      const MediaDescription& answer) {
  if (answer.port == 0) return base::err(Errc::ValidationFailed, "the answer declined audio");
  Negotiated n;
  bool found = false;
  for (const SdpCodec& c : answer.codecs) {
    if (isTelephoneEvent(c)) continue;
    const bool offered =
        std::any_of(ourOffer.codecs.begin(), ourOffer.codecs.end(),
                    [&](const SdpCodec& o) { return equalsNoCase(o.name, c.name); });
    if (offered) {
      n.codec = c;
      found = true;
      break;
    }
  }
  if (!found) return base::err(Errc::ValidationFailed, "the answer chose no codec we offered");
  const bool weOfferedEvents = std::any_of(ourOffer.codecs.begin(), ourOffer.codecs.end(),
                                           [](const SdpCodec& c) { return isTelephoneEvent(c); });
  if (weOfferedEvents) {
    for (const SdpCodec& c : answer.codecs) {
      if (isTelephoneEvent(c)) {
        n.telephoneEventPt = c.payloadType;
        break;
      }
    }
  }
  n.ptimeMs = answer.ptimeMs;
  n.rtcpMux = ourOffer.rtcpMux && answer.rtcpMux;
  n.ourDirection = mirror(answer.direction);
  return n;
}

}  // namespace bankcc::sip
