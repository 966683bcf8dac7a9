// SPDX-License-Identifier: Apache-2.0
#pragma once

// SIP over UDP and TCP with sofia-sip's NUA (ARCHITECTURE.md). The stack runs on its own
// thread (the SIP thread); only sip/*.cc include sofia headers. It answers OPTIONS, runs the
// registrar for agent phones (digest authentication against Credentials), keeps trunk ACLs
// (INVITEs from anywhere else get 403 before anyone allocates media) and turns dialogs into
// the calls of SipHandler. voice/ implements SipHandler and also runs on the SIP thread.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "sip/sdp.h"

namespace bankcc::sip {

/// Our name for a dialog (an INVITE usage), unique for the stack's lifetime.
using CallId = std::uint64_t;

/// An address block in CIDR form ("10.1.2.0/24", "127.0.0.1/32", "::1/128"); a bare address is
/// /32 or /128.
struct Cidr {
  std::string text;
};

struct TrunkConfig {
  std::string name;               ///< e.g. "carrier-a"
  std::vector<Cidr> peers;        ///< where its INVITEs come from
  std::string outbound;           ///< host:port that outgoing calls go to ("" = inbound only)
  std::string transport = "udp";  ///< udp | tcp for outgoing
};

struct SipConfig {
  std::string listen = "127.0.0.1:5060";  ///< host:port for UDP and TCP; port 0 picks one
  bool udp = true;
  bool tcp = true;
  std::vector<TrunkConfig> trunks;
  std::string realm = "bankcc";  ///< digest realm of the registrar
  base::Duration minRegisterExpiry = std::chrono::seconds(60);
  base::Duration maxRegisterExpiry = std::chrono::seconds(3600);
  base::Duration sessionExpires = std::chrono::seconds(1800);  ///< RFC 4028; 0 disables timers
  base::Duration minSessionExpires = std::chrono::seconds(90);
  std::string userAgent = "bankcc";
};

/// HA1 = MD5(username:realm:password) in lower-case hex, looked up by the registrar. Called on
/// the SIP thread; must not block (the server keeps decrypted HA1s in memory).
class Credentials {
 public:
  virtual ~Credentials() = default;
  virtual std::optional<std::string> ha1(const std::string& username,
                                         const std::string& realm) const = 0;
};

/// Credentials for a stack that registers nobody (a load generator, a trunk-only test peer):
/// every lookup fails, so every REGISTER is refused.
class NoCredentials final : public Credentials {
 public:
  std::optional<std::string> ha1(const std::string&, const std::string&) const override {
    return std::nullopt;
  }
};

struct IncomingCall {
  CallId call = 0;
  std::string ani;            ///< From (or P-Asserted-Identity) user part
  std::string dnis;           ///< Request-URI user part
  std::string sourceAddress;  ///< ip:port the INVITE came from
  std::string trunk;          ///< matching trunk's name, or "" when from a registered extension
  std::string extension;      ///< the registered extension it came from, or ""
  std::map<std::string, std::string> headers;  ///< X-*, Call-Info; lower-case names
  std::optional<MediaDescription> offer;       ///< nullopt for an INVITE without SDP
};

struct OutgoingCall {
  enum class Target { Extension, External };
  Target target = Target::Extension;
  std::string number;    ///< extension (registrar lookup) or number (through a trunk)
  std::string callerId;  ///< From user part
  MediaDescription offer;
  bool autoAnswer = false;  ///< Call-Info: <sip:...>;answer-after=0
  std::map<std::string, std::string> headers;
};

enum class EndReason {
  Bye,        ///< BYE from the peer, or our hangup after answer
  Cancelled,  ///< the caller cancelled before answer
  Rejected,   ///< a final non-2xx response (status says which)
  Timeout,    ///< no answer / transaction timeout / session timer expiry
  Transport,  ///< the request could not be sent
  Shutdown,
};

/// Implemented by voice/. Every method is called on the SIP thread.
class SipHandler {
 public:
  virtual ~SipHandler() = default;
  /// An INVITE passed the ACL. Answer it with SipStack::respond (now or later).
  virtual void onIncomingCall(IncomingCall call) = 0;
  /// A provisional response (180/183) to our INVITE, with the answer SDP when it had one.
  virtual void onProgress(CallId call, int status, std::optional<MediaDescription> sdp) = 0;
  /// Our INVITE was answered with 2xx (`sdp` is the answer), or the ACK for an incoming call
  /// we answered arrived (`sdp` nullopt unless the ACK carried one).
  virtual void onEstablished(CallId call, std::optional<MediaDescription> sdp) = 0;
  /// A re-INVITE (or UPDATE) with a new offer on an established call: return our answer, or an
  /// error to refuse it with 488.
  virtual base::Result<MediaDescription> onReoffer(CallId call, const MediaDescription& offer) = 0;
  /// The response to our reinvite(): 2xx with the answer SDP, or a failure (the call goes on
  /// unless the dialog is gone, which onEnded then reports). Default: ignored.
  virtual void onReanswer(CallId call, int status, std::optional<MediaDescription> sdp) {}
  /// The dialog is over; `call` is no longer valid after this returns.
  virtual void onEnded(CallId call, EndReason reason, int status) = 0;
  /// A registration was added, refreshed with a different contact set, or removed/expired.
  virtual void onRegistrationChanged(const std::string& extension, int contacts) = 0;
};

struct Registration {
  std::string extension;
  std::vector<std::string> contacts;  ///< contact URIs
  base::SysTime expires{};            ///< earliest expiry among contacts
};

class SipStack {
 public:
  /// Binds the transports and starts the SIP thread. BadRequest for a malformed listen
  /// address or CIDR; Unavailable when binding fails. `handler`, `credentials` and `clock`
  /// must outlive the stack.
  static base::Result<std::unique_ptr<SipStack>> start(const SipConfig& config,
                                                       const base::Clock& clock,
                                                       SipHandler& handler,
                                                       const Credentials& credentials);
  /// Shuts down (nua_shutdown, waits for it), ending every dialog, and joins the thread. Every
  /// live call gets onEnded(Shutdown) first. Any thread but the SIP thread (it joins it).
  virtual ~SipStack() = default;

  /// "host:port" actually bound (the port resolved when 0 was asked for). Thread-safe.
  virtual std::string boundAddress() const = 0;
  /// Runs `task` on the SIP thread. Thread-safe.
  virtual void post(std::function<void()> task) = 0;
  /// True on the SIP thread. Thread-safe.
  virtual bool onSipThread() const = 0;
  /// Current registrations (for the API). Thread-safe: a copy the SIP thread refreshes on every
  /// change.
  virtual std::vector<Registration> registrations() const = 0;

  // --- SIP thread only ---
  /// Answers an incoming call: 180, 183 (with `sdp`), 200 (with `sdp`), or a final failure.
  virtual void respond(CallId call, int status, std::optional<MediaDescription> sdp) = 0;
  /// Sends an INVITE. NotFound when the extension is not registered or no trunk is
  /// configured for outgoing calls.
  virtual base::Result<CallId> invite(const OutgoingCall& call) = 0;
  /// Ends a call in whatever state it is: BYE, CANCEL, or a final 480/`status` for an
  /// unanswered incoming call.
  virtual void hangup(CallId call, int status = 0) = 0;
  /// Sends a re-INVITE with a new offer (we hold/retrieve from our side rarely; mostly for
  /// refreshing media after a transfer).
  virtual void reinvite(CallId call, const MediaDescription& offer) = 0;
};

}  // namespace bankcc::sip
