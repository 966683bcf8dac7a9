// SPDX-License-Identifier: Apache-2.0
#pragma once

// SipStack on sofia-sip's NUA. Private to sip/ (includes sofia through sip/sofia.h, so only
// sip/*.cc may include this). Split by responsibility:
//   sip_stack.cc      thread, su_root, nua setup, posting, event dispatch, shutdown
//   sip_calls.cc      INVITE dialogs in both directions (SipHandler's calls)
//   sip_registrar.cc  REGISTER with digest authentication
//
// Threads: everything below runs on the SIP thread except the constructor, start(), post(),
// boundAddress(), registrations() and the destructor, which say otherwise.

#include "sip/sofia.h"  // first: fixes sofia's magic types

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sip/acl.h"
#include "sip/digest.h"
#include "sip/registrar.h"
#include "sip/sip_stack.h"

namespace bankcc::sip {

/// Builds a sofia tag list that always ends with TAG_END, so that no call can forget it. Pass it
/// as `TAG_NEXT(tags.finish())`, the last argument of a nua_* call. String values are copied and
/// kept alive by the list (nua copies tag lists when a call is made, so the list may die after).
class TagList {
 public:
  TagList& add(tag_type_t tag, tag_value_t value) {
    items_.push_back(tagi_t{tag, value});
    return *this;
  }
  /// For string-valued tags (SIPTAG_*_STR, NUTAG_URL, ...): keeps a copy of `value`.
  TagList& str(tag_type_t tag, std::string value) {
    strings_.push_back(std::make_unique<std::string>(std::move(value)));
    items_.push_back(tagi_t{tag, reinterpret_cast<tag_value_t>(strings_.back()->c_str())});
    return *this;
  }
  const tagi_t* finish() {
    items_.push_back(tagi_t{TAG_END()});
    return items_.data();
  }

 private:
  std::vector<tagi_t> items_;
  std::vector<std::unique_ptr<std::string>> strings_;
};

enum class CallState {
  IncomingRinging,   ///< INVITE in, no final response yet
  IncomingAnswered,  ///< 2xx sent, waiting for the ACK
  OutgoingCalling,   ///< INVITE out, no provisional response yet
  OutgoingEarly,     ///< INVITE out, provisional response received
  Established,
  Terminating,  ///< a final failure, BYE or CANCEL is on its way; only onEnded is left
};

/// One INVITE dialog (bound to its nua handle as the handle's magic).
struct SipCall {
  CallId id = 0;
  nua_handle_t* nh = nullptr;
  bool incoming = true;
  bool handlerKnows = false;  ///< onIncomingCall was called / invite() returned the id
  CallState state = CallState::IncomingRinging;
  std::optional<EndReason> reason;  ///< why it ends, once known
  int status = 0;
  bool hungUpAfterAnswerPending = false;  ///< hangup() while calling out: BYE the late 2xx
  std::string lastLocalSdp;               ///< our last offer/answer, for offerless re-INVITEs
  std::uint64_t sdpVersion = 0;
};

class SipStackImpl final : public SipStack {
 public:
  /// Any thread. Does not start anything.
  SipStackImpl(SipConfig config, std::string url, const base::Clock& clock, SipHandler& handler,
               const Credentials& credentials, TrunkAcl acl);
  /// Not on the SIP thread: ends every dialog, shuts nua down and joins the thread.
  ~SipStackImpl() override;

  /// Starts the SIP thread and waits until transports are bound (or fail). Calling thread.
  base::Status run();

  std::string boundAddress() const override { return boundAddress_; }
  void post(std::function<void()> task) override;
  bool onSipThread() const override { return std::this_thread::get_id() == threadId_; }

  void respond(CallId call, int status, std::optional<MediaDescription> sdp) override;
  base::Result<CallId> invite(const OutgoingCall& call) override;
  void hangup(CallId call, int status) override;
  void reinvite(CallId call, const MediaDescription& offer) override;
  std::vector<Registration> registrations() const override;

  /// sofia's event callback (static trampoline into dispatch()).
  static void onNuaEvent(nua_event_t event, int status, char const* phrase, nua_t* nua,
                         SipStackImpl* self, nua_handle_t* nh, SipCall* call, sip_t const* sip,
                         tagi_t tags[]) noexcept;

 private:
  // sip_stack.cc
  void threadMain(std::promise<base::Status>* started) noexcept;
  void dispatch(nua_event_t event, int status, char const* phrase, nua_handle_t* nh, SipCall* call,
                sip_t const* sip, tagi_t tags[]);
  void drainPosted() noexcept;
  void onBoundParams(int status, tagi_t tags[]);
  void beginShutdown();
  void onShutdownDone();
  void onTick() noexcept;
  static void onWakeup(SipStackImpl* self, su_msg_r msg, su_msg_arg_t* arg) noexcept;
  static void onTimer(SipStackImpl* self, su_timer_t* timer, su_timer_arg_t* arg) noexcept;
  /// "ip" and "ip:port" ("[v6]:port") of the request being handled, from sofia's message.
  struct Source {
    std::string ip;
    std::string hostPort;
  };
  Source currentSource() const;

  // sip_calls.cc
  void onIncomingInvite(nua_handle_t* nh, sip_t const* sip);
  void onReinvite(SipCall& call, sip_t const* sip);
  void onUpdate(SipCall& call, sip_t const* sip);
  void onInviteResponse(SipCall& call, int status, sip_t const* sip);
  void onReanswerResponse(SipCall& call, int status, sip_t const* sip);
  void onAck(SipCall& call, sip_t const* sip);
  void onCallState(SipCall& call, tagi_t tags[]);
  /// Delivers onEnded once (when the handler knew the call), destroys the handle, forgets it.
  void finishCall(SipCall& call);
  SipCall* findCall(CallId id);
  std::string renderLocal(SipCall& call, const MediaDescription& d);
  std::string localUri(const std::string& user) const;

  // sip_registrar.cc
  void onRegister(nua_handle_t* nh, sip_t const* sip);
  void expireRegistrations();
  /// Copies the table for registrations() and tells the handler about `changed` extensions.
  void publishRegistrations(const std::vector<std::string>& changed);

  SipConfig config_;
  std::string url_;  ///< sofia's bind URL, e.g. "sip:127.0.0.1:0;transport=udp"
  const base::Clock& clock_;
  SipHandler& handler_;
  const Credentials& credentials_;
  TrunkAcl acl_;
  NonceIssuer nonces_;
  RegistrationTable registrar_;

  std::thread thread_;
  std::thread::id threadId_;
  std::string boundAddress_;  ///< written before run() returns, read-only after
  std::string boundHost_;
  std::promise<base::Status>* started_ = nullptr;  ///< until transports are known

  su_home_t home_[1] = {SU_HOME_INIT(home_)};
  su_root_t* root_ = nullptr;
  nua_t* nua_ = nullptr;
  su_timer_t* tick_ = nullptr;
  bool shuttingDown_ = false;

  std::map<CallId, std::unique_ptr<SipCall>> calls_;
  CallId nextCallId_ = 1;
  std::uint64_t sessionId_ = 0;  ///< o= session id base

  // post(): tasks for the SIP thread, woken by one su_msg at a time.
  std::mutex postMu_;
  std::deque<std::function<void()>> posted_;
  bool wakeupPending_ = false;
  bool accepting_ = false;  ///< false before the loop runs and once shutdown has begun

  // registrations(): a copy for other threads.
  mutable std::mutex regMu_;
  std::vector<Registration> regSnapshot_;
};

}  // namespace bankcc::sip
