// SPDX-License-Identifier: Apache-2.0
// The registrar for agent phones: REGISTER with digest authentication (RFC 3261 section 10.3,
// RFC 2617). SIP thread only.
#include "sip/sofia.h"  // first: fixes sofia's magic types

#include <spdlog/spdlog.h>

#include <strings.h>
#include <algorithm>
#include <chrono>

#include "sip/sip_stack_impl.h"

namespace bankcc::sip {
namespace {

using std::chrono::seconds;

constexpr std::int64_t kDefaultExpiry = 3600;  // RFC 3261 section 10.2.1.1

std::int64_t toSeconds(base::Duration d) {
  return std::chrono::duration_cast<seconds>(d).count();
}

/// Owns a temporary su_home for the strings sofia renders.
class TempHome {
 public:
  TempHome() { su_home_init(home_); }
  ~TempHome() { su_home_deinit(home_); }
  TempHome(const TempHome&) = delete;
  TempHome& operator=(const TempHome&) = delete;
  su_home_t* get() { return home_; }

 private:
  su_home_t home_[1] = {SU_HOME_INIT(home_)};
};

/// The Digest credentials for `realm` among the request's Authorization headers, if any.
sip_authorization_t const* authorizationFor(sip_t const* sip, const std::string& realm) {
  for (sip_authorization_t const* au = sip->sip_authorization; au != nullptr; au = au->au_next) {
    if (au->au_scheme == nullptr || strcasecmp(au->au_scheme, "Digest") != 0) continue;
    char const* r = msg_params_find(au->au_params, "realm=");
    if (r == nullptr) continue;
    std::string value = r;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (value == realm) return au;
  }
  return nullptr;
}

}  // namespace

void SipStackImpl::onRegister(nua_handle_t* nh, sip_t const* sip) {
  // nua hands REGISTER to us (NUTAG_APPL_METHOD); the handle is ours to destroy after answering.
  const auto answer = [&](int status, const char* phrase, TagList tags = {}) {
    // NUTAG_WITH_THIS: a non-INVITE request is found only through the message being handled.
    tags.add(NUTAG_WITH_THIS(nua_));
    nua_respond(nh, status, phrase, TAG_NEXT(tags.finish()));
    nua_handle_destroy(nh);
  };
  if (sip == nullptr || sip->sip_to == nullptr || sip->sip_to->a_url->url_user == nullptr) {
    answer(SIP_404_NOT_FOUND);
    return;
  }
  const std::string extension = sip->sip_to->a_url->url_user;
  const Source source = currentSource();

  sip_authorization_t const* au = authorizationFor(sip, config_.realm);
  const auto challenge = [&](bool stale) {
    TagList tags;
    tags.str(siptag_www_authenticate_str,
             digestChallenge(config_.realm, nonces_.issue(config_.realm), stale));
    answer(SIP_401_UNAUTHORIZED, std::move(tags));
  };
  if (au == nullptr) {
    challenge(false);
    return;
  }
  std::vector<std::string_view> params;
  for (msg_param_t const* p = au->au_params; p != nullptr && *p != nullptr; ++p) {
    params.emplace_back(*p);
  }
  auto credentials = parseDigestParams(params);
  if (!credentials.ok()) {
    answer(400, "Bad Authorization");
    return;
  }
  // Unknown user and wrong password look the same to the phone: 403, so that nobody can probe
  // for extensions.
  std::optional<std::string> ha1;
  if (credentials->username == extension) ha1 = credentials_.ha1(extension, config_.realm);
  const char* method = sip->sip_request != nullptr && sip->sip_request->rq_method_name != nullptr
                           ? sip->sip_request->rq_method_name
                           : "REGISTER";
  const DigestVerdict verdict =
      ha1 ? verifyDigest(*credentials, method, *ha1, nonces_, config_.realm)
          : DigestVerdict::Refused;
  if (verdict == DigestVerdict::Stale) {
    challenge(true);
    return;
  }
  if (verdict != DigestVerdict::Ok) {
    spdlog::warn("sip: REGISTER for {} from {} failed authentication", extension, source.hostPort);
    answer(SIP_403_FORBIDDEN);
    return;
  }

  // Validate every contact before changing anything: a REGISTER applies whole or not at all.
  const std::int64_t minExpiry = toSeconds(config_.minRegisterExpiry);
  const std::int64_t maxExpiry = toSeconds(config_.maxRegisterExpiry);
  const std::int64_t headerExpiry = sip->sip_expires != nullptr
                                        ? static_cast<std::int64_t>(sip->sip_expires->ex_delta)
                                        : kDefaultExpiry;
  bool wildcard = false;
  int contacts = 0;
  struct Change {
    std::string uri;
    std::string host;
    std::int64_t expiry;
  };
  std::vector<Change> changes;
  TempHome home;
  for (sip_contact_t const* m = sip->sip_contact; m != nullptr; m = m->m_next) {
    ++contacts;
    if (m->m_url->url_type == url_any) {
      wildcard = true;
      continue;
    }
    std::int64_t expiry = headerExpiry;
    if (m->m_expires != nullptr) {
      char* end = nullptr;
      const unsigned long long v = strtoull(m->m_expires, &end, 10);
      expiry = end != m->m_expires ? static_cast<std::int64_t>(std::min(v, 0xffffffffULL))
                                   : headerExpiry;
    }
    if (expiry > 0 && expiry < minExpiry) {
      TagList tags;
      tags.str(siptag_min_expires_str, std::to_string(minExpiry));
      answer(SIP_423_INTERVAL_TOO_BRIEF, std::move(tags));
      return;
    }
    char* uri = url_as_string(home.get(), m->m_url);
    if (uri == nullptr) {
      answer(400, "Bad Contact");
      return;
    }
    changes.push_back(
        Change{uri, m->m_url->url_host ? m->m_url->url_host : "", std::min(expiry, maxExpiry)});
  }
  if (wildcard && (contacts != 1 || headerExpiry != 0)) {
    answer(400, "Contact * needs Expires: 0 and no other contact");  // RFC 3261 10.3 step 6
    return;
  }

  bool changed = false;
  if (wildcard) {
    changed = registrar_.removeAll(extension);
  }
  const base::MonoTime now = clock_.monotonic();
  const base::SysTime wall = clock_.now();
  for (const Change& c : changes) {
    if (c.expiry == 0) {
      changed = registrar_.remove(extension, c.uri) || changed;
      continue;
    }
    ContactBinding b;
    b.uri = c.uri;
    b.host = c.host;
    b.sourceIp = source.ip;
    b.expiresAt = now + seconds(c.expiry);
    b.expiresWall = wall + seconds(c.expiry);
    changed = registrar_.upsert(extension, std::move(b)) || changed;
  }

  std::string contactList;
  for (const ContactBinding& b : registrar_.bindings(extension)) {
    const auto left =
        std::max<std::int64_t>(0, std::chrono::duration_cast<seconds>(b.expiresAt - now).count());
    if (!contactList.empty()) contactList += ", ";
    contactList += fmt::format("<{}>;expires={}", b.uri, left);
  }
  TagList tags;
  if (!contactList.empty()) tags.str(siptag_contact_str, contactList);
  answer(SIP_200_OK, std::move(tags));
  if (changed) {
    spdlog::info("sip: extension {} now has {} contact(s)", extension,
                 registrar_.bindings(extension).size());
    publishRegistrations({extension});
  }
}

void SipStackImpl::expireRegistrations() {
  auto changed = registrar_.expire(clock_.monotonic());
  if (!changed.empty()) publishRegistrations(changed);
}

void SipStackImpl::publishRegistrations(const std::vector<std::string>& changed) {
  {
    std::lock_guard lock(regMu_);
    regSnapshot_ = registrar_.snapshot();
  }
  for (const std::string& extension : changed) {
    const int count = static_cast<int>(registrar_.bindings(extension).size());
    try {
      handler_.onRegistrationChanged(extension, count);
    } catch (const std::exception& e) {
      spdlog::error("sip: SipHandler::onRegistrationChanged threw: {}", e.what());
    }
  }
}

}  // namespace bankcc::sip
