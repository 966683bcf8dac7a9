// SPDX-License-Identifier: Apache-2.0
#include "sip/sofia.h"  // first: fixes sofia's magic types

#include <sofia-sip/nta_tag.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "base/log.h"
#include "sip/sip_stack_impl.h"

// sofia's log objects; exported by libsofia-sip-ua but not declared in its public headers.
extern "C" {
extern su_log_t tport_log[];
extern su_log_t nta_log[];
extern su_log_t nua_log[];
extern su_log_t iptsec_log[];
extern su_log_t sresolv_log[];
extern su_log_t nea_log[];
extern su_log_t stun_log[];
}

namespace bankcc::sip {
namespace {

using base::Errc;
using namespace std::chrono_literals;

constexpr su_duration_t kTickMs = 250;  // registration expiry resolution
constexpr auto kNonceLifetime = 5min;

struct ListenAddress {
  std::string host;  ///< without brackets
  std::uint16_t port = 0;
};

base::Result<ListenAddress> parseListen(const std::string& listen) {
  const auto bad = [&](std::string_view why) {
    return base::err(Errc::BadRequest, fmt::format("sip listen '{}': {}", listen, why));
  };
  ListenAddress out;
  std::string_view rest;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string::npos) return bad("unterminated '['");
    out.host = listen.substr(1, close - 1);
    rest = std::string_view(listen).substr(close + 1);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || listen.find(':') != colon) {
      return bad("expected host:port (IPv6 as [addr]:port)");
    }
    out.host = listen.substr(0, colon);
    rest = std::string_view(listen).substr(colon);
  }
  if (out.host.empty()) return bad("empty host");
  if (rest.size() < 2 || rest.front() != ':') return bad("missing port");
  rest.remove_prefix(1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), port);
  if (ec != std::errc{} || end != rest.data() + rest.size() || port > 65535) {
    return bad("port must be 0..65535");
  }
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

// sofia's own diagnostics (su_log) go to spdlog at debug level: they are chatty (every ICMP
// error, every Via oddity) and the stack reports what matters through events. sofia writes a
// line in pieces; the pieces are joined per thread until the newline.
void sofiaLogger(void*, char const* format, va_list ap) {
  thread_local std::string pending;
  char buf[1024];
  const int n = std::vsnprintf(buf, sizeof buf, format, ap);
  if (n <= 0) return;
  pending.append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
  std::size_t nl;
  while ((nl = pending.find('\n')) != std::string::npos) {
    if (nl > 0) spdlog::debug("sofia: {}", pending.substr(0, nl));
    pending.erase(0, nl + 1);
  }
}

void setUpSofiaOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Parse the extension headers too (P-Asserted-Identity for the ANI).
    sip_update_default_mclass(sip_extend_mclass(nullptr));
    for (su_log_t* log : {su_log_default, tport_log, nta_log, nua_log, iptsec_log, sresolv_log,
                          nea_log, stun_log}) {
      su_log_redirect(log, &sofiaLogger, nullptr);
    }
  });
}

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

base::Result<std::unique_ptr<SipStack>> SipStack::start(const SipConfig& config,
                                                        const base::Clock& clock,
                                                        SipHandler& handler,
                                                        const Credentials& credentials) {
  auto listen = parseListen(config.listen);
  if (!listen.ok()) return std::move(listen).error();
  if (!config.udp && !config.tcp) {
    return base::err(Errc::BadRequest, "sip: enable at least one of udp and tcp");
  }
  auto acl = TrunkAcl::build(config.trunks);
  if (!acl.ok()) return std::move(acl).error();
  if (config.minRegisterExpiry <= base::Duration::zero() ||
      config.maxRegisterExpiry < config.minRegisterExpiry) {
    return base::err(Errc::BadRequest, "sip: need 0 < minRegisterExpiry <= maxRegisterExpiry");
  }
  std::string url = fmt::format("sip:{}:{}", bracketed(listen->host), listen->port);
  if (config.udp != config.tcp) url += config.udp ? ";transport=udp" : ";transport=tcp";
  auto stack = std::make_unique<SipStackImpl>(config, std::move(url), clock, handler, credentials,
                                              std::move(*acl));
  auto started = stack->run();
  if (!started.ok()) return std::move(started).error();
  return std::unique_ptr<SipStack>(std::move(stack));
}

SipStackImpl::SipStackImpl(SipConfig config, std::string url, const base::Clock& clock,
                           SipHandler& handler, const Credentials& credentials, TrunkAcl acl)
    : config_(std::move(config)),
      url_(std::move(url)),
      clock_(clock),
      handler_(handler),
      credentials_(credentials),
      acl_(std::move(acl)),
      nonces_(clock, kNonceLifetime) {
  sessionId_ = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count());
}

base::Status SipStackImpl::run() {
  std::promise<base::Status> started;
  auto result = started.get_future();
  thread_ = std::thread([this, &started] { threadMain(&started); });
  if (result.wait_for(20s) != std::future_status::ready) {
    // The SIP thread holds `started`: we cannot return while it may still touch it.
    BANKCC_RELEASE_ASSERT(false, "SIP stack did not start within 20 s");
  }
  base::Status s = result.get();
  if (!s.ok()) thread_.join();
  return s;
}

void SipStackImpl::threadMain(std::promise<base::Status>* started) noexcept {
  base::setThreadName("sip");
  threadId_ = std::this_thread::get_id();
  su_init();
  su_home_init(home_);
  root_ = su_root_create(this);
  if (root_ == nullptr) {
    started->set_value(base::err(Errc::Internal, "su_root_create failed"));
    su_home_deinit(home_);
    su_deinit();
    return;
  }
  // One thread: nua runs its stack on this thread too, so nua_* calls made here are safe.
  su_root_threading(root_, 0);
  setUpSofiaOnce();

  const bool timers = config_.sessionExpires > base::Duration::zero();
  const auto seconds = [](base::Duration d) {
    return static_cast<unsigned>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
  };
  TagList tags;
  tags.str(nutag_url, url_)
      .str(siptag_user_agent_str, config_.userAgent)
      .add(NUTAG_MEDIA_ENABLE(0))  // we write SDP ourselves (sdp.cc)
      .add(NUTAG_AUTOANSWER(0))
      .add(NUTAG_AUTOALERT(0))
      .add(NUTAG_AUTOACK(1))      // ACK our INVITEs' 2xx (the offer was in the INVITE)
      .add(NUTAG_EARLY_MEDIA(0))  // no 100rel/PRACK
      .add(NUTAG_ONLY183_100REL(0))
      .add(NUTAG_ENABLEINVITE(1))
      .str(siptag_allow_str, "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, REGISTER")
      .str(nutag_appl_method, "REGISTER, UPDATE")
      .str(siptag_supported_str, timers ? "timer" : "")
      .add(NUTAG_SESSION_TIMER(timers ? seconds(config_.sessionExpires) : 0))
      .add(NUTAG_MIN_SE(seconds(config_.minSessionExpires)))
      .add(NUTAG_SESSION_REFRESHER(nua_any_refresher))
      .add(NUTAG_UPDATE_REFRESH(1))  // refresh with UPDATE: no SDP needed
      .add(NUTAG_SHUTDOWN_EVENTS(0));
  nua_ = nua_create(root_, &SipStackImpl::onNuaEvent, this, TAG_NEXT(tags.finish()));
  if (nua_ == nullptr) {
    started->set_value(
        base::err(Errc::Unavailable, fmt::format("sip: cannot bind {}", config_.listen)));
    su_root_destroy(root_);
    root_ = nullptr;
    su_home_deinit(home_);
    su_deinit();
    return;
  }
  started_ = started;
  // The bound port (when 0 was asked for) is in nua's contact: resolve start() from there.
  nua_get_params(nua_, TAG_ANY(), TAG_END());
  tick_ = su_timer_create(su_root_task(root_), kTickMs);
  if (tick_ != nullptr) su_timer_run(tick_, &SipStackImpl::onTimer, nullptr);
  {
    std::lock_guard lock(postMu_);
    accepting_ = true;
  }

  su_root_run(root_);

  {
    std::lock_guard lock(postMu_);
    accepting_ = false;
    posted_.clear();
  }
  if (tick_ != nullptr) su_timer_destroy(tick_);
  tick_ = nullptr;
  nua_destroy(nua_);
  nua_ = nullptr;
  su_root_destroy(root_);
  root_ = nullptr;
  su_home_deinit(home_);
  su_deinit();
}

void SipStackImpl::onBoundParams(int status, tagi_t tags[]) {
  if (started_ == nullptr) return;  // a later nua_get_params (none today)
  sip_contact_t const* contact = nullptr;
  tl_gets(tags, NTATAG_CONTACT_REF(contact), TAG_END());
  std::string port;
  if (contact != nullptr && contact->m_url->url_port != nullptr) port = contact->m_url->url_port;
  auto listen = parseListen(config_.listen);
  if (port.empty() && listen.ok() && listen->port != 0) port = std::to_string(listen->port);
  if (port.empty() && contact != nullptr) port = "5060";  // sofia omits the default port
  std::promise<base::Status>* started = std::exchange(started_, nullptr);
  if (port.empty() || !listen.ok()) {
    spdlog::error("sip: bound port unknown (get_params status {})", status);
    started->set_value(base::err(Errc::Unavailable, "sip: cannot read the bound port"));
    // run() joins the thread: stop the loop the ordinary way.
    beginShutdown();
    return;
  }
  boundHost_ = listen->host;
  boundAddress_ = fmt::format("{}:{}", bracketed(listen->host), port);
  spdlog::info("sip: listening on {} ({}{})", boundAddress_, config_.udp ? "udp " : "",
               config_.tcp ? "tcp" : "");
  started->set_value(base::Status{});
}

SipStackImpl::~SipStackImpl() {
  if (!thread_.joinable()) return;  // start failed before the loop ran
  // Joining from the SIP thread would wait for itself.
  BANKCC_RELEASE_ASSERT(!onSipThread(), "SipStack destroyed on the SIP thread");
  bool posted = false;
  {
    std::lock_guard lock(postMu_);
    if (accepting_) {
      posted_.push_back([this] { beginShutdown(); });
      if (!wakeupPending_) {
        su_msg_r msg = SU_MSG_R_INIT;
        if (su_msg_create(msg, su_root_task(root_), su_task_null, &SipStackImpl::onWakeup,
                          sizeof(int)) == 0 &&
            su_msg_send(msg) == 0) {
          wakeupPending_ = true;
        }
      }
      posted = wakeupPending_;
    }
  }
  if (!posted) spdlog::error("sip: could not ask the SIP thread to shut down");
  thread_.join();
}

void SipStackImpl::post(std::function<void()> task) {
  std::lock_guard lock(postMu_);
  if (!accepting_) {
    spdlog::warn("sip: task posted while the stack is not running; dropped");
    return;
  }
  posted_.push_back(std::move(task));
  if (wakeupPending_) return;  // one message drains them all
  su_msg_r msg = SU_MSG_R_INIT;
  // su_msg_send is thread-safe (the port locks its queue and wakes the loop's socket).
  if (su_msg_create(msg, su_root_task(root_), su_task_null, &SipStackImpl::onWakeup, sizeof(int)) !=
          0 ||
      su_msg_send(msg) != 0) {
    BANKCC_BUG("su_msg_send to the SIP thread failed");
    return;
  }
  wakeupPending_ = true;
}

void SipStackImpl::onWakeup(SipStackImpl* self, su_msg_r, su_msg_arg_t*) noexcept {
  self->drainPosted();
}

void SipStackImpl::drainPosted() noexcept {
  std::deque<std::function<void()>> tasks;
  {
    std::lock_guard lock(postMu_);
    tasks.swap(posted_);
    wakeupPending_ = false;
  }
  for (auto& task : tasks) {
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("sip: posted task threw: {}", e.what());
    } catch (...) {
      spdlog::error("sip: posted task threw");
    }
  }
}

void SipStackImpl::onTimer(SipStackImpl* self, su_timer_t*, su_timer_arg_t*) noexcept {
  self->onTick();
}

void SipStackImpl::onTick() noexcept {
  try {
    expireRegistrations();
  } catch (const std::exception& e) {
    spdlog::error("sip: registration expiry failed: {}", e.what());
  }
}

void SipStackImpl::beginShutdown() {
  BANKCC_ASSERT(onSipThread(), "nua calls belong to the SIP thread");
  if (shuttingDown_) return;
  shuttingDown_ = true;
  {
    std::lock_guard lock(postMu_);
    accepting_ = false;
  }
  // nua delivers no events once shutdown begins: every call ends for the handler now, and nua
  // sends the BYEs, CANCELs and final responses itself.
  for (auto& [id, call] : calls_) {
    if (call->handlerKnows && call->state != CallState::Terminating) {
      call->handlerKnows = false;
      try {
        handler_.onEnded(id, EndReason::Shutdown, 0);
      } catch (const std::exception& e) {
        spdlog::error("sip: onEnded threw: {}", e.what());
      }
    } else if (call->handlerKnows) {
      call->handlerKnows = false;
      try {
        handler_.onEnded(id, call->reason.value_or(EndReason::Shutdown), call->status);
      } catch (const std::exception& e) {
        spdlog::error("sip: onEnded threw: {}", e.what());
      }
    }
  }
  nua_shutdown(nua_);
}

void SipStackImpl::onShutdownDone() {
  for (auto& [id, call] : calls_) {
    nua_handle_bind(call->nh, nullptr);
    nua_handle_destroy(call->nh);
  }
  calls_.clear();
  su_root_break(root_);
}

SipStackImpl::Source SipStackImpl::currentSource() const {
  Source s;
  msg_t* msg = nua_current_request(nua_);
  su_addrinfo_t* ai = msg != nullptr ? msg_addrinfo(msg) : nullptr;
  if (ai == nullptr || ai->ai_addr == nullptr) return s;
  auto* su = reinterpret_cast<su_sockaddr_t*>(ai->ai_addr);
  char buf[64] = {};
  if (su_inet_ntop(su->su_family, SU_ADDR(su), buf, sizeof buf) == nullptr) return s;
  s.ip = buf;
  const unsigned port = ntohs(su->su_port);
  s.hostPort = fmt::format("{}:{}", bracketed(s.ip), port);
  return s;
}

std::vector<Registration> SipStackImpl::registrations() const {
  std::lock_guard lock(regMu_);
  return regSnapshot_;
}

void SipStackImpl::onNuaEvent(nua_event_t event, int status, char const* phrase, nua_t*,
                              SipStackImpl* self, nua_handle_t* nh, SipCall* call, sip_t const* sip,
                              tagi_t tags[]) noexcept {
  try {
    self->dispatch(event, status, phrase, nh, call, sip, tags);
  } catch (const std::exception& e) {
    spdlog::error("sip: {} handling failed: {}", nua_event_name(event), e.what());
  } catch (...) {
    spdlog::error("sip: {} handling failed", nua_event_name(event));
  }
}

void SipStackImpl::dispatch(nua_event_t event, int status, char const* phrase, nua_handle_t* nh,
                            SipCall* call, sip_t const* sip, tagi_t tags[]) {
  // sofia runs its callbacks on the thread running su_root: ours. SipHandler relies on it.
  BANKCC_ASSERT(onSipThread(), "sofia event off the SIP thread");
  spdlog::debug("sip: event {} {} {}", nua_event_name(event), status, phrase ? phrase : "");
  switch (event) {
    case nua_i_invite:
      if (call == nullptr) {
        onIncomingInvite(nh, sip);
      } else {
        onReinvite(*call, sip);
      }
      return;
    case nua_i_cancel:
      if (call != nullptr && !call->reason) {
        call->reason = EndReason::Cancelled;
        call->status = 487;
      }
      return;
    case nua_i_ack:
      if (call != nullptr) onAck(*call, sip);
      return;
    case nua_i_bye:
      if (call != nullptr && !call->reason) call->reason = EndReason::Bye;
      return;
    case nua_i_update:
      if (call != nullptr) {
        onUpdate(*call, sip);
      } else if (nh != nullptr) {
        nua_respond(nh, SIP_481_NO_TRANSACTION, NUTAG_WITH_THIS(nua_), TAG_END());
        nua_handle_destroy(nh);
      }
      return;
    case nua_i_state:
      if (call != nullptr) onCallState(*call, tags);
      return;
    case nua_r_invite:
      if (call != nullptr) onInviteResponse(*call, status, sip);
      return;
    case nua_i_register:
      onRegister(nh, sip);
      return;
    case nua_r_get_params:
      onBoundParams(status, tags);
      return;
    case nua_r_shutdown:
      if (status >= 200) onShutdownDone();
      return;
    default:
      break;
  }
  // Other requests nua let through (OPTIONS, answered 200 by nua itself) leave their handle to
  // us: destroy it, or it lives until shutdown.
  if (call == nullptr && nh != nullptr && nh != nua_default(nua_) &&
      nua_event_is_incoming_request(event)) {
    nua_handle_destroy(nh);
  }
}

}  // namespace bankcc::sip
