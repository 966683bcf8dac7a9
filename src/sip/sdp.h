// SPDX-License-Identifier: Apache-2.0
#pragma once

// SDP (RFC 4566) at the edge of sip/: untrusted text in, typed media descriptions out, and
// offer/answer (RFC 3264) for one audio stream. Pure; thread-safe. Parsed with sofia's
// sdp_parse inside sdp.cc only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bankcc::sip {

enum class MediaDirection { SendRecv, SendOnly, RecvOnly, Inactive };

struct SdpCodec {
  std::uint8_t payloadType = 0;
  std::string name;  ///< upper case: "PCMA", "PCMU", "TELEPHONE-EVENT", "G729", ...
  int clockRate = 8000;
};

/// An m-line other than the audio stream we use (video, a second audio stream, ...). Kept so
/// that an answer has as many m-lines as its offer, each one declined with port 0 (RFC 3264
/// section 6).
struct OtherStream {
  std::string media;   ///< "video", "application", ...
  std::string proto;   ///< "RTP/AVP", "RTP/SAVP", ...
  std::string format;  ///< the first format token of the offer ("31"); never empty
};

/// The audio stream of a session description, as we use it.
struct MediaDescription {
  std::string address;           ///< connection address (media-level c= wins over session-level)
  std::uint16_t port = 0;        ///< 0: the stream is rejected/disabled
  std::vector<SdpCodec> codecs;  ///< in the offerer's order of preference
  int ptimeMs = 20;
  bool rtcpMux = false;
  MediaDirection direction = MediaDirection::SendRecv;
  /// The other m-lines of the description, in order; rendered declined (port 0).
  std::vector<OtherStream> otherStreams;
  /// Position of the audio m-line among all m-lines (otherStreams fill the other places).
  std::size_t audioIndex = 0;
};

/// Parses the body of an INVITE/200/ACK. BadRequest with a short reason for malformed SDP, no
/// audio m-line, a missing connection address, or an unusable port.
base::Result<MediaDescription> parseSdp(std::string_view body);

/// Renders our description (session id/version for o=, the address for o= and c=).
std::string renderSdp(const MediaDescription& d, std::uint64_t sessionId,
                      std::uint64_t sessionVersion);

/// What we accept: codecs in our order of preference (default PCMA, PCMU) and whether we
/// offer telephone-event.
struct LocalCapabilities {
  std::vector<std::string> codecs = {"PCMA", "PCMU"};
  bool telephoneEvent = true;
  int ptimeMs = 20;
};

/// The outcome of answering an offer.
struct Negotiated {
  SdpCodec codec;             ///< the audio codec both sides use (payload type of the offer)
  int telephoneEventPt = -1;  ///< the offer's telephone-event payload type, or -1
  int ptimeMs = 20;
  bool rtcpMux = false;
  MediaDirection ourDirection = MediaDirection::SendRecv;  ///< the mirror of the offer's
  std::vector<OtherStream> otherStreams;  ///< the offer's other m-lines, declined in the answer
  std::size_t audioIndex = 0;             ///< the offer's audio m-line position
};

/// Chooses the codec (first in the offer that we support, honouring the offerer's preference)
/// and mirrors the direction. ValidationFailed ("no common codec") means 488.
base::Result<Negotiated> negotiate(const MediaDescription& offer, const LocalCapabilities& caps);

/// Builds our answer for `negotiated` at our RTP address and port.
MediaDescription makeAnswer(const Negotiated& negotiated, const std::string& address,
                            std::uint16_t port);
/// Builds our offer for an outgoing call: every local codec with static payload types, and
/// telephone-event as payload type 101.
MediaDescription makeOffer(const LocalCapabilities& caps, const std::string& address,
                           std::uint16_t port);
/// Reads the answer to our offer: the codec the answerer chose (first in its list that we
/// offered). ValidationFailed when it chose nothing we offered.
base::Result<Negotiated> acceptAnswer(const MediaDescription& ourOffer,
                                      const MediaDescription& answer);

}  // namespace bankcc::sip
