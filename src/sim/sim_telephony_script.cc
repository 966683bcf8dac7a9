// SPDX-License-Identifier: Apache-2.0
// SimTelephony: the script side (what the far end does) and inspection for tests.
#include <utility>

#include "sim/sim_internal.h"
#include "sim/sim_telephony.h"

namespace bankcc::sim {

using telephony::EndCause;
using telephony::LegId;

// ---- Script ----

telephony::LegId SimTelephony::incomingCall(std::string ani, std::string dnis,
                                            std::map<std::string, std::string> headers) {
  assertLoopThread();
  Leg& leg = addLeg(newLegId(), true);
  leg.view.ani = std::move(ani);
  leg.view.dnis = std::move(dnis);
  leg.view.headers = lowerCaseKeys(std::move(headers));
  telephony::LegArrived arrived;
  arrived.leg = leg.view.id;
  arrived.ani = leg.view.ani;
  arrived.dnis = leg.view.dnis;
  arrived.trunk = options_.trunk;
  arrived.headers = leg.view.headers;
  emit(std::move(arrived));
  return leg.view.id;
}

telephony::LegId SimTelephony::callFromPhone(std::string extension, std::string dnis,
                                             std::map<std::string, std::string> headers) {
  assertLoopThread();
  Leg& leg = addLeg(newLegId(), true);
  leg.view.ani = extension;
  leg.view.extension = std::move(extension);
  leg.view.dnis = std::move(dnis);
  leg.view.headers = lowerCaseKeys(std::move(headers));
  telephony::LegArrived arrived;
  arrived.leg = leg.view.id;
  arrived.ani = leg.view.ani;
  arrived.dnis = leg.view.dnis;
  arrived.extension = leg.view.extension;
  arrived.headers = leg.view.headers;
  emit(std::move(arrived));
  return leg.view.id;
}

void SimTelephony::pressDigits(const LegId& leg, std::string digits, base::Duration gap) {
  assertLoopThread();
  base::Duration offset{};
  for (char d : digits) {
    if (!isDtmf(d)) continue;
    at(now() + offset, [this, leg, d] { onDigit(leg, d); });
    offset += gap;
  }
}

void SimTelephony::farHangup(const LegId& id) {
  assertLoopThread();
  Leg* leg = findLive(id);
  if (leg == nullptr) return;
  if (leg->view.state == LegState::Answered) {
    endLeg(*leg, EndCause::Normal, 0);
  } else if (leg->view.inbound) {
    endLeg(*leg, EndCause::Cancelled, 487);
  } else {
    endLeg(*leg, EndCause::Rejected, 603);
  }
}

void SimTelephony::farAnswer(const LegId& id) {
  assertLoopThread();
  Leg* leg = findLive(id);
  if (leg == nullptr || leg->view.inbound || leg->view.state == LegState::Answered) return;
  answerOutbound(*leg);
}

void SimTelephony::mediaTimeout(const LegId& id) {
  assertLoopThread();
  Leg* leg = findLive(id);
  if (leg == nullptr) return;
  emit(telephony::MediaTimeout{id});
  endLeg(*leg, EndCause::MediaTimeout, 0);
}

void SimTelephony::registerPhone(std::string extension, PhoneBehaviour behaviour, int contacts) {
  assertLoopThread();
  phones_[extension] = Phone{behaviour, contacts};
  emit(telephony::RegistrationChanged{std::move(extension), true, contacts});
}

void SimTelephony::unregisterPhone(const std::string& extension) {
  assertLoopThread();
  if (phones_.erase(extension) == 0) return;
  emit(telephony::RegistrationChanged{extension, false, 0});
}

void SimTelephony::setExternalNumber(std::string number, PhoneBehaviour behaviour) {
  assertLoopThread();
  externals_[std::move(number)] = behaviour;
}

// ---- Inspection ----

std::optional<LegView> SimTelephony::leg(const LegId& id) const {
  assertLoopThread();
  const Leg* leg = find(id);
  if (leg == nullptr) return std::nullopt;
  LegView view = leg->view;
  view.playing = leg->play.has_value();
  view.collecting = leg->collect.has_value();
  view.collectingSecret = leg->collect && leg->collect->spec.secret;
  if (auto it = monitors_.find(id); it != monitors_.end()) {
    view.monitoring = it->second.agent;
    view.monitorMode = it->second.mode;
  }
  return view;
}

std::vector<LegId> SimTelephony::legs() const {
  assertLoopThread();
  std::vector<LegId> ids(legs_.size());
  for (const auto& [id, leg] : legs_) ids[leg.order] = id;
  return ids;
}

std::optional<RecordingView> SimTelephony::recording(const telephony::RecordingId& id) const {
  assertLoopThread();
  auto it = recordings_.find(id);
  if (it == recordings_.end()) return std::nullopt;
  RecordingView view = it->second.view;
  if (view.active) {
    view.duration = now() - it->second.startedAt;
    view.pausedForSecret = secretOpen(view.customer) || secretOpen(view.agent);
  }
  return view;
}

bool SimTelephony::isRegistered(const std::string& extension) const {
  assertLoopThread();
  return phones_.contains(extension);
}

}  // namespace bankcc::sim
