// SPDX-License-Identifier: Apache-2.0
// INVITE dialogs in both directions: the calls SipHandler sees. SIP thread only.
#include "sip/sofia.h"  // first: fixes sofia's magic types

#include <spdlog/spdlog.h>

#include <cctype>

#include "sip/sip_stack_impl.h"

namespace bankcc::sip {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string userOf(url_t const* url) {
  return url != nullptr && url->url_user != nullptr ? url->url_user : "";
}

/// The body when it is SDP; nullopt when there is none. sofia has already refused INVITEs with
/// other content types (415).
std::optional<std::string_view> sdpBody(sip_t const* sip) {
  if (sip == nullptr || sip->sip_payload == nullptr || sip->sip_payload->pl_len == 0) {
    return std::nullopt;
  }
  if (sip->sip_content_type != nullptr && sip->sip_content_type->c_type != nullptr &&
      lower(sip->sip_content_type->c_type) != "application/sdp") {
    return std::nullopt;
  }
  return std::string_view(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

/// Parses an SDP body we can live without (provisional responses, ACKs): logs and drops it when
/// malformed.
std::optional<MediaDescription> optionalSdp(sip_t const* sip, const char* where) {
  auto body = sdpBody(sip);
  if (!body) return std::nullopt;
  auto d = parseSdp(*body);
  if (!d.ok()) {
    spdlog::warn("sip: ignoring SDP in {}: {}", where, d.error().message);
    return std::nullopt;
  }
  return std::move(*d);
}

const char* phraseFor(int status) {
  const char* p = sip_status_phrase(status);
  return p != nullptr ? p : "";
}

// Handler calls never let an exception unwind into sofia.
template <typename F>
void toHandler(const char* what, F&& f) noexcept {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("sip: SipHandler::{} threw: {}", what, e.what());
  } catch (...) {
    spdlog::error("sip: SipHandler::{} threw", what);
  }
}

}  // namespace

SipCall* SipStackImpl::findCall(CallId id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second.get();
}

std::string SipStackImpl::renderLocal(SipCall& call, const MediaDescription& d) {
  call.lastLocalSdp = renderSdp(d, sessionId_ + call.id, ++call.sdpVersion);
  return call.lastLocalSdp;
}

std::string SipStackImpl::localUri(const std::string& user) const {
  return user.empty() ? fmt::format("sip:{}", boundAddress_)
                      : fmt::format("sip:{}@{}", user, boundAddress_);
}

void SipStackImpl::onIncomingInvite(nua_handle_t* nh, sip_t const* sip) {
  auto owned = std::make_unique<SipCall>();
  SipCall& call = *owned;
  call.id = nextCallId_++;
  call.nh = nh;
  call.incoming = true;
  call.state = CallState::IncomingRinging;
  nua_handle_bind(nh, &call);
  calls_.emplace(call.id, std::move(owned));

  const auto reject = [&](int status, const char* phrase) {
    call.state = CallState::Terminating;
    call.reason = EndReason::Rejected;
    call.status = status;
    nua_respond(nh, status, phrase, NUTAG_WITH_THIS(nua_), TAG_END());
  };

  const Source source = currentSource();
  const std::string fromUser = sip->sip_from != nullptr ? userOf(sip->sip_from->a_url) : "";
  IncomingCall in;
  in.call = call.id;
  in.sourceAddress = source.hostPort;
  if (auto trunk = acl_.match(source.ip)) {
    in.trunk = *trunk;
  } else if (!fromUser.empty() && registrar_.registeredFrom(fromUser, source.ip)) {
    in.extension = fromUser;
  } else {
    spdlog::warn("sip: INVITE from {} (From user '{}') matches no trunk or extension: 403",
                 source.hostPort, fromUser);
    reject(403, "Forbidden");
    return;
  }

  in.dnis = sip->sip_request != nullptr ? userOf(sip->sip_request->rq_url) : "";
  in.ani = fromUser;
  if (auto* pai = sip_p_asserted_identity(sip); pai != nullptr && pai->paid_url->url_user) {
    in.ani = pai->paid_url->url_user;
  }
  su_home_t home[1] = {SU_HOME_INIT(home)};
  for (sip_unknown_t const* u = sip->sip_unknown; u != nullptr; u = u->un_next) {
    if (u->un_name == nullptr) continue;
    std::string name = lower(u->un_name);
    if (name.rfind("x-", 0) == 0) in.headers[name] = u->un_value != nullptr ? u->un_value : "";
  }
  if (sip->sip_call_info != nullptr) {
    char* text =
        sip_header_as_string(home, reinterpret_cast<sip_header_t const*>(sip->sip_call_info));
    if (text != nullptr) in.headers["call-info"] = text;
  }
  su_home_deinit(home);

  if (auto body = sdpBody(sip)) {
    auto offer = parseSdp(*body);
    if (!offer.ok()) {
      // Malformed SDP is a malformed request (RFC 3261 21.4.1); 488 is kept for well-formed
      // offers we cannot accept (the handler's refusal).
      spdlog::warn("sip: INVITE from {}: {}: 400", source.hostPort, offer.error().message);
      reject(400, "Bad Session Description");
      return;
    }
    in.offer = std::move(*offer);
  }
  call.handlerKnows = true;
  toHandler("onIncomingCall", [&] { handler_.onIncomingCall(std::move(in)); });
}

void SipStackImpl::respond(CallId id, int status, std::optional<MediaDescription> sdp) {
  BANKCC_ASSERT(onSipThread(), "nua calls belong to the SIP thread");
  SipCall* call = findCall(id);
  if (call == nullptr || !call->incoming || call->state != CallState::IncomingRinging) {
    spdlog::warn("sip: respond({}, {}) on a call that cannot take it; ignored", id, status);
    return;
  }
  if (status < 101 || status > 699) {
    BANKCC_BUG("respond() with a status outside 101..699");
    return;
  }
  TagList tags;
  if (sdp) {
    tags.str(siptag_content_type_str, "application/sdp")
        .str(siptag_payload_str, renderLocal(*call, *sdp));
  }
  if (status >= 200 && status < 300) {
    call->state = CallState::IncomingAnswered;
  } else if (status >= 300) {
    call->state = CallState::Terminating;
    call->reason = EndReason::Rejected;
    call->status = status;
  }
  nua_respond(call->nh, status, phraseFor(status), TAG_NEXT(tags.finish()));
}

base::Result<CallId> SipStackImpl::invite(const OutgoingCall& out) {
  BANKCC_ASSERT(onSipThread(), "nua calls belong to the SIP thread");
  if (shuttingDown_) return base::err(base::Errc::Unavailable, "sip: shutting down");
  std::string requestUri;
  std::string toUri;
  if (out.target == OutgoingCall::Target::Extension) {
    const auto& bindings = registrar_.bindings(out.number);
    if (bindings.empty()) {
      return base::err(base::Errc::NotFound,
                       fmt::format("extension '{}' is not registered", out.number));
    }
    // Several contacts: the first registered one rings (no parallel forking yet).
    requestUri = bindings.front().uri;
    toUri = localUri(out.number);
  } else {
    const TrunkConfig* trunk = nullptr;
    for (const TrunkConfig& t : config_.trunks) {
      if (!t.outbound.empty()) {
        trunk = &t;
        break;
      }
    }
    if (trunk == nullptr) {
      return base::err(base::Errc::NotFound, "no trunk is configured for outgoing calls");
    }
    requestUri = fmt::format("sip:{}@{}", out.number, trunk->outbound);
    if (trunk->transport == "tcp") requestUri += ";transport=tcp";
    toUri = requestUri;
  }

  auto owned = std::make_unique<SipCall>();
  SipCall& call = *owned;
  call.id = nextCallId_++;
  call.incoming = false;
  call.state = CallState::OutgoingCalling;
  call.handlerKnows = true;
  TagList handleTags;
  handleTags.str(siptag_to_str, "<" + toUri + ">")
      .str(siptag_from_str, "<" + localUri(out.callerId) + ">");
  call.nh = nua_handle(nua_, &call, TAG_NEXT(handleTags.finish()));
  if (call.nh == nullptr) return base::err(base::Errc::Internal, "nua_handle failed");

  std::string extra;
  for (const auto& [name, value] : out.headers) {
    // A CR or LF inside would let a caller-supplied value inject headers.
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      nua_handle_destroy(call.nh);
      return base::err(base::Errc::BadRequest, fmt::format("bad header '{}'", name));
    }
    extra += fmt::format("{}: {}\r\n", name, value);
  }
  TagList tags;
  tags.str(nutag_url, requestUri)
      .str(siptag_content_type_str, "application/sdp")
      .str(siptag_payload_str, renderLocal(call, out.offer));
  if (out.autoAnswer) {
    tags.str(siptag_call_info_str, fmt::format("<{}>;answer-after=0", localUri("")));
  }
  if (!extra.empty()) tags.str(siptag_header_str, extra);
  nua_invite(call.nh, TAG_NEXT(tags.finish()));
  const CallId id = call.id;
  calls_.emplace(id, std::move(owned));
  return id;
}

void SipStackImpl::hangup(CallId id, int status) {
  BANKCC_ASSERT(onSipThread(), "nua calls belong to the SIP thread");
  SipCall* call = findCall(id);
  if (call == nullptr) return;  // already over: hanging up twice is harmless
  switch (call->state) {
    case CallState::IncomingRinging: {
      const int code = status >= 300 && status <= 699 ? status : 480;
      call->state = CallState::Terminating;
      call->reason = EndReason::Rejected;
      call->status = code;
      nua_respond(call->nh, code, phraseFor(code), TAG_END());
      return;
    }
    case CallState::IncomingAnswered:
    case CallState::Established:
      call->state = CallState::Terminating;
      call->reason = EndReason::Bye;
      nua_bye(call->nh, TAG_END());
      return;
    case CallState::OutgoingCalling:
    case CallState::OutgoingEarly:
      call->state = CallState::Terminating;
      call->reason = EndReason::Cancelled;
      call->hungUpAfterAnswerPending = true;  // a 2xx crossing the CANCEL still needs a BYE
      nua_cancel(call->nh, TAG_END());
      return;
    case CallState::Terminating:
      return;
  }
}

void SipStackImpl::reinvite(CallId id, const MediaDescription& offer) {
  BANKCC_ASSERT(onSipThread(), "nua calls belong to the SIP thread");
  SipCall* call = findCall(id);
  if (call == nullptr || call->state != CallState::Established) {
    spdlog::warn("sip: reinvite({}) on a call that is not established; ignored", id);
    return;
  }
  TagList tags;
  tags.str(siptag_content_type_str, "application/sdp")
      .str(siptag_payload_str, renderLocal(*call, offer));
  nua_invite(call->nh, TAG_NEXT(tags.finish()));
}

void SipStackImpl::onReinvite(SipCall& call, sip_t const* sip) {
  if (call.state != CallState::Established) {
    // nua refuses overlapping INVITEs itself; anything else here is a glare we decline.
    nua_respond(call.nh, SIP_491_REQUEST_PENDING, NUTAG_WITH_THIS(nua_), TAG_END());
    return;
  }
  TagList tags;
  auto body = sdpBody(sip);
  if (!body) {
    // An offerless re-INVITE (e.g. a refresh): offer what we had (RFC 3264 section 8).
    tags.str(siptag_content_type_str, "application/sdp")
        .str(siptag_payload_str, call.lastLocalSdp)
        .add(NUTAG_WITH_THIS(nua_));
    nua_respond(call.nh, SIP_200_OK, TAG_NEXT(tags.finish()));
    return;
  }
  auto offer = parseSdp(*body);
  if (!offer.ok()) {
    spdlog::warn("sip: re-INVITE on call {}: {}", call.id, offer.error().message);
    nua_respond(call.nh, 400, "Bad Session Description", NUTAG_WITH_THIS(nua_), TAG_END());
    return;
  }
  std::optional<base::Result<MediaDescription>> answer;
  toHandler("onReoffer", [&] { answer = handler_.onReoffer(call.id, *offer); });
  if (!answer || !answer->ok()) {
    nua_respond(call.nh, SIP_488_NOT_ACCEPTABLE, NUTAG_WITH_THIS(nua_), TAG_END());
    return;
  }
  tags.str(siptag_content_type_str, "application/sdp")
      .str(siptag_payload_str, renderLocal(call, answer->value()))
      .add(NUTAG_WITH_THIS(nua_));
  nua_respond(call.nh, SIP_200_OK, TAG_NEXT(tags.finish()));
}

void SipStackImpl::onUpdate(SipCall& call, sip_t const* sip) {
  auto body = sdpBody(sip);
  if (!body) {  // a session refresh (RFC 4028)
    nua_respond(call.nh, SIP_200_OK, NUTAG_WITH_THIS(nua_), TAG_END());
    return;
  }
  auto offer = parseSdp(*body);
  if (!offer.ok() || call.state != CallState::Established) {
    nua_respond(call.nh, SIP_488_NOT_ACCEPTABLE, NUTAG_WITH_THIS(nua_), TAG_END());
    return;
  }
  std::optional<base::Result<MediaDescription>> answer;
  toHandler("onReoffer", [&] { answer = handler_.onReoffer(call.id, *offer); });
  if (!answer || !answer->ok()) {
    nua_respond(call.nh, SIP_488_NOT_ACCEPTABLE, NUTAG_WITH_THIS(nua_), TAG_END());
    return;
  }
  TagList tags;
  tags.str(siptag_content_type_str, "application/sdp")
      .str(siptag_payload_str, renderLocal(call, answer->value()))
      .add(NUTAG_WITH_THIS(nua_));
  nua_respond(call.nh, SIP_200_OK, TAG_NEXT(tags.finish()));
}

void SipStackImpl::onAck(SipCall& call, sip_t const* sip) {
  if (call.state != CallState::IncomingAnswered) return;  // ACK of a re-INVITE
  call.state = CallState::Established;
  auto sdp = optionalSdp(sip, "ACK");
  toHandler("onEstablished", [&] { handler_.onEstablished(call.id, std::move(sdp)); });
}

void SipStackImpl::onInviteResponse(SipCall& call, int status, sip_t const* sip) {
  if (call.incoming || call.state == CallState::Established) {
    onReanswerResponse(call, status, sip);
    return;
  }
  if (status < 200) {
    if (status == 100 || call.state == CallState::Terminating) return;
    call.state = CallState::OutgoingEarly;
    auto sdp = optionalSdp(sip, "provisional response");
    toHandler("onProgress", [&] { handler_.onProgress(call.id, status, std::move(sdp)); });
    return;
  }
  if (status < 300) {
    if (call.state == CallState::Terminating) {
      // We cancelled, but the callee answered first: nua ACKs, we hang up.
      if (call.hungUpAfterAnswerPending) {
        call.hungUpAfterAnswerPending = false;
        call.reason = EndReason::Bye;
        nua_bye(call.nh, TAG_END());
      }
      return;
    }
    call.state = CallState::Established;
    auto sdp = optionalSdp(sip, "2xx response");
    toHandler("onEstablished", [&] { handler_.onEstablished(call.id, std::move(sdp)); });
    return;
  }
  if (call.state != CallState::Terminating || !call.reason) {
    call.reason = status == 408                                        ? EndReason::Timeout
                  : (sip == nullptr && status >= 500) || status >= 700 ? EndReason::Transport
                                                                       : EndReason::Rejected;
  }
  call.state = CallState::Terminating;
  call.status = status;
}

void SipStackImpl::onReanswerResponse(SipCall& call, int status, sip_t const* sip) {
  if (status < 200) return;
  std::optional<MediaDescription> sdp;
  if (status < 300) sdp = optionalSdp(sip, "re-INVITE answer");
  toHandler("onReanswer", [&] { handler_.onReanswer(call.id, status, std::move(sdp)); });
}

void SipStackImpl::onCallState(SipCall& call, tagi_t tags[]) {
  int state = -1;
  tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
  if (state == nua_callstate_terminated) finishCall(call);
}

void SipStackImpl::finishCall(SipCall& call) {
  const CallId id = call.id;
  if (call.handlerKnows) {
    call.handlerKnows = false;
    // A dialog torn down without a BYE, CANCEL or failure we saw: the ACK or a session refresh
    // never came, or the transport failed.
    const EndReason reason = call.reason.value_or(EndReason::Timeout);
    const int status = call.status;
    toHandler("onEnded", [&] { handler_.onEnded(id, reason, status); });
  }
  nua_handle_bind(call.nh, nullptr);
  nua_handle_destroy(call.nh);
  calls_.erase(id);
}

}  // namespace bankcc::sip
