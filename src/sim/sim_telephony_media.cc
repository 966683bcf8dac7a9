// SPDX-License-Identifier: Apache-2.0
// SimTelephony: what legs hear and press. Playback (Play, StopPlay, barge-in), digit
// collection (CollectDigits, StopCollect, secret windows, type-ahead), the bridge passing DTMF
// on, and hears().
#include <fmt/core.h>

#include <algorithm>
#include <utility>

#include "base/assert.h"
#include "sim/sim_internal.h"
#include "sim/sim_telephony.h"

namespace bankcc::sim {

using telephony::DigitsCollected;
using telephony::LegId;

// ---- Playback ----

void SimTelephony::onCommand(telephony::Play& c) {
  Leg* leg = liveLeg(c.leg, "Play", c.request);
  if (leg == nullptr) return;
  if (!hasMedia(*leg)) {
    refuse(fmt::format("Play {}: no media (not answered, no early media)", c.leg.value), c.request);
    return;
  }
  Playback p;
  p.lengths.reserve(c.items.size());
  for (const telephony::PlayItem& item : c.items) {
    switch (item.kind) {
      case telephony::PlayItem::Kind::Prompt: {
        auto it = options_.prompts.find(item.prompt);
        if (it == options_.prompts.end()) {
          // Refused whole, as a live engine refuses a playlist naming a prompt it has not
          // loaded: whatever plays now goes on.
          refuse(fmt::format("Play {}: unknown prompt '{}'", c.leg.value, item.prompt), c.request);
          return;
        }
        p.lengths.emplace_back(std::max(it->second, base::Duration::zero()));
        break;
      }
      case telephony::PlayItem::Kind::Tone:
        if (item.duration <= base::Duration::zero()) {
          p.lengths.emplace_back(std::nullopt);  // until stopped
        } else {
          p.lengths.emplace_back(item.duration);
        }
        break;
      case telephony::PlayItem::Kind::Silence:
        p.lengths.emplace_back(std::max(item.duration, base::Duration::zero()));
        break;
    }
  }
  // A collection waiting for the replaced prompt to end waits for this one instead.
  const bool collectWaiting = leg->collect && !leg->collect->timer.valid();
  stopPlay(*leg, true);
  p.items = std::move(c.items);
  p.bargeIn = c.bargeIn;
  p.loop = c.loop;
  p.request = c.request;
  // A loop of zero-length items would spin: it plays silence until stopped.
  p.silentForever = p.loop && std::ranges::all_of(p.lengths, [](const auto& len) {
                      return len && *len == base::Duration::zero();
                    });
  leg->play = std::move(p);
  if (collectWaiting) armCollectTimer(*leg);
  startItem(*leg);
}

void SimTelephony::startItem(Leg& leg) {
  Playback& p = *leg.play;
  if (p.silentForever) return;
  for (;;) {
    if (p.index >= p.items.size()) {
      if (!p.loop) {
        stopPlay(leg, false);
        return;
      }
      p.index = 0;
    }
    const std::optional<base::Duration>& length = p.lengths[p.index];
    if (!length) return;  // a tone until stopped
    if (*length > base::Duration::zero()) {
      p.timer = at(now() + *length, [this, id = leg.view.id] {
        Leg* l = findLive(id);
        if (l == nullptr || !l->play) return;
        l->play->timer = {};
        ++l->play->index;
        startItem(*l);
      });
      return;
    }
    ++p.index;  // zero-length items take no time
  }
}

void SimTelephony::stopPlay(Leg& leg, bool interrupted) {
  if (!leg.play) return;
  cancelTimer(leg.play->timer);
  const telephony::RequestId request = leg.play->request;
  leg.play.reset();
  if (request != 0) emit(telephony::PlaybackDone{leg.view.id, request, interrupted});
  // A collection that waited for the prompt to end starts its first-digit timer now.
  if (leg.collect && !leg.collect->timer.valid()) armCollectTimer(leg);
}

void SimTelephony::onCommand(telephony::StopPlay& c) {
  Leg* leg = liveLeg(c.leg, "StopPlay", 0);
  if (leg == nullptr) return;
  // Stopping a playback that already ended is the normal race, not a refusal.
  stopPlay(*leg, true);
}

// ---- Digit collection ----

void SimTelephony::onCommand(telephony::CollectDigits& c) {
  Leg* leg = liveLeg(c.leg, "CollectDigits", c.request);
  if (leg == nullptr) return;
  const std::string what = fmt::format("CollectDigits {}", c.leg.value);
  if (!hasMedia(*leg)) {
    refuse(what + ": no media (not answered, no early media)", c.request);
    return;
  }
  const bool limitsOk =
      c.maxDigits >= 1 && c.minDigits >= 0 && c.minDigits <= c.maxDigits &&
      (!c.secret || static_cast<std::size_t>(c.maxDigits) <= base::SecretDigits::kCapacity) &&
      (c.terminator == '\0' || isDtmf(c.terminator)) &&
      c.firstDigitTimeout >= base::Duration::zero() &&
      c.interDigitTimeout >= base::Duration::zero();
  if (!limitsOk) {
    refuse(what + ": invalid limits", c.request);
    return;
  }
  if (leg->collect) finishCollect(*leg, DigitsCollected::Reason::Stopped);
  leg->collect.emplace();
  leg->collect->spec = c;
  // The collection's own prompt plays first; the first digit stops it and counts, and the
  // first-digit timer starts when it ends (commands.h).
  if (!c.prompt.empty()) {
    telephony::Play play{c.leg, std::move(c.prompt), /*bargeIn=*/true, /*loop=*/false, 0};
    const std::size_t refusedBefore = refusals_.size();
    onCommand(play);
    if (refusals_.size() != refusedBefore) {  // the prompt was refused: so is the collection
      leg->collect.reset();
      refuse(what + ": its prompt was refused", c.request);
      return;
    }
  }
  if (!leg->collect->timer.valid()) armCollectTimer(*leg);
}

void SimTelephony::onCommand(telephony::StopCollect& c) {
  Leg* leg = liveLeg(c.leg, "StopCollect", 0);
  if (leg == nullptr) return;
  // Like StopPlay: the collection may have ended a moment ago.
  if (leg->collect) finishCollect(*leg, DigitsCollected::Reason::Stopped);
}

void SimTelephony::armCollectTimer(Leg& leg) {
  Collection& col = *leg.collect;
  cancelTimer(col.timer);
  // Prompt first, then wait: no first-digit timer while a (non-looping) playback runs.
  if (col.count == 0 && leg.play && !leg.play->loop) return;
  const base::Duration timeout =
      col.count == 0 ? col.spec.firstDigitTimeout : col.spec.interDigitTimeout;
  col.timer = at(now() + timeout, [this, id = leg.view.id] {
    Leg* l = findLive(id);
    if (l == nullptr || !l->collect) return;
    l->collect->timer = {};
    finishCollect(*l, DigitsCollected::Reason::Timeout);
  });
}

void SimTelephony::feed(Leg& leg, char digit) {
  Collection& col = *leg.collect;
  if (col.spec.terminator != '\0' && digit == col.spec.terminator) {
    finishCollect(leg, DigitsCollected::Reason::Terminator);
    return;
  }
  if (col.spec.secret) {
    // Cannot fail: maxDigits <= kCapacity was checked and `digit` is a DTMF character.
    [[maybe_unused]] const bool stored = col.secret.push(digit);
    BANKCC_ASSERT(stored, "secret digit fits");
  } else {
    col.digits.push_back(digit);
  }
  ++col.count;
  if (col.count >= static_cast<std::size_t>(col.spec.maxDigits)) {
    finishCollect(leg, DigitsCollected::Reason::MaxDigits);
    return;
  }
  armCollectTimer(leg);
}

void SimTelephony::finishCollect(Leg& leg, DigitsCollected::Reason reason) {
  Collection col = std::move(*leg.collect);
  leg.collect.reset();
  cancelTimer(col.timer);
  if (col.spec.request == 0) return;  // no answer wanted; secret digits are wiped with `col`
  DigitsCollected done;
  done.leg = leg.view.id;
  done.request = col.spec.request;
  // TooFew needs some input: a timeout with no digit at all stays a Timeout (no input).
  const bool shortOfMin = col.count < static_cast<std::size_t>(col.spec.minDigits) &&
                          (col.count > 0 || reason == DigitsCollected::Reason::Terminator);
  done.reason = (reason == DigitsCollected::Reason::Terminator ||
                 reason == DigitsCollected::Reason::Timeout) &&
                        shortOfMin
                    ? DigitsCollected::Reason::TooFew
                    : reason;
  if (col.spec.secret) {
    done.secret = std::move(col.secret);
  } else {
    done.digits = std::move(col.digits);
  }
  emit(std::move(done));
}

// ---- Digits pressed ----

void SimTelephony::onDigit(const LegId& id, char digit) {
  Leg* leg = findLive(id);
  if (leg == nullptr || !hasMedia(*leg)) return;  // no media: the digit goes nowhere
  if (leg->play && leg->play->bargeIn) stopPlay(*leg, true);
  // Decided before feeding: the digit may close the secret window, but it belongs to it.
  const bool secret = leg->collect && leg->collect->spec.secret;
  if (leg->collect) {
    feed(*leg, digit);
  } else {
    emit(telephony::DigitPressed{id, digit, options_.digitDuration});
  }
  if (secret) return;  // a secret collection relays no DTMF to any other party
  // The bridge passes the digit on to whoever hears this leg.
  std::vector<LegId> candidates;
  if (leg->view.bridgedWith) candidates.push_back(*leg->view.bridgedWith);
  for (const auto& [sup, m] : monitors_) {
    if (m.agent == id || m.customer == id) candidates.push_back(sup);
    if (sup == id) {
      candidates.push_back(m.agent);
      candidates.push_back(m.customer);
    }
  }
  for (const LegId& other : candidates) {
    // A muted leg's digits still go through: mute stops its voice, and RFC 4733 digits are
    // not audio (the media engine relays them too).
    const Hearing h = hearing(other, /*withMuted=*/true);
    if (h.kind == Hearing::Kind::Parties && std::ranges::find(h.parties, id) != h.parties.end()) {
      legs_.at(other).view.dtmfHeard.push_back(digit);
    }
  }
}

// ---- Hearing ----

Hearing SimTelephony::hears(const LegId& id) const {
  assertLoopThread();
  return hearing(id, /*withMuted=*/false);
}

Hearing SimTelephony::hearing(const LegId& id, bool withMuted) const {
  const Leg* leg = find(id);
  Hearing h;
  if (leg == nullptr || !hasMedia(*leg)) return h;
  if (leg->play) {
    const Playback& p = *leg->play;
    if (p.silentForever || p.index >= p.items.size()) return h;
    const telephony::PlayItem& item = p.items[p.index];
    if (item.kind == telephony::PlayItem::Kind::Prompt) {
      h.kind = Hearing::Kind::Prompt;
      h.name = item.prompt;
    } else if (item.kind == telephony::PlayItem::Kind::Tone) {
      h.kind = Hearing::Kind::Tone;
      h.tone = item.tone;
    }
    return h;
  }
  if (leg->view.held) {
    h.kind = Hearing::Kind::Music;
    h.name = leg->holdMusic;
    return h;
  }
  // A held or muted leg is heard by nobody (its partner hears silence); a muted one still
  // hears the others.
  auto audible = [this, withMuted](const LegId& other) {
    const Leg* l = find(other);
    return l != nullptr && l->view.state == LegState::Answered && !l->view.held &&
           (withMuted || !l->view.muted);
  };
  if (auto it = monitors_.find(id); it != monitors_.end()) {
    for (const LegId& other : {it->second.agent, it->second.customer}) {
      if (audible(other)) h.parties.push_back(other);
    }
  } else if (leg->view.bridgedWith) {
    const LegId& partner = *leg->view.bridgedWith;
    if (audible(partner)) h.parties.push_back(partner);
    for (const auto& [sup, m] : monitors_) {
      const bool agentSide =
          m.agent == id && m.customer == partner && m.mode != telephony::MonitorMode::Listen;
      const bool customerSide =
          m.customer == id && m.agent == partner && m.mode == telephony::MonitorMode::Barge;
      if ((agentSide || customerSide) && audible(sup)) h.parties.push_back(sup);
    }
  }
  if (!h.parties.empty()) {
    h.kind = Hearing::Kind::Parties;
    std::ranges::sort(h.parties);
  }
  return h;
}

}  // namespace bankcc::sim
