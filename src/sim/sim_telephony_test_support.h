// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the SimTelephony tests share: an Originate with defaults, the prompt library, a recording
// sink that traces events in virtual time with readable leg names, and the fixture.

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "base/ids.h"
#include "sim/sim_telephony.h"

namespace bankcc::sim::test {

using namespace std::chrono_literals;
using telephony::Answer;
using telephony::CollectDigits;
using telephony::Destination;
using telephony::Event;
using telephony::LegId;
using telephony::Originate;
using telephony::Play;
using telephony::PlayItem;
using telephony::RecordingId;
using Lines = std::vector<std::string>;

/// An Originate with the fields a test does not care about left at their defaults.
inline Originate originate(std::string leg, Destination::Kind kind, std::string number) {
  Originate o;
  o.leg = LegId{std::move(leg)};
  o.to = Destination{kind, std::move(number)};
  o.callerId = "95588";
  return o;
}

inline SimOptions testOptions() {
  SimOptions o;
  o.prompts = {{"welcome", 2s}, {"menu", 3s}, {"moh", 30s}, {"pin", 1500ms}};
  return o;
}

/// A sink that keeps every event and a trace line "@<virtual ms> <event>" with the sim's own
/// (UUID-shaped) leg ids replaced by L1, L2, ... in order of creation.
class Recorder {
 public:
  explicit Recorder(const base::ManualClock& clock) : clock_(clock) {}

  void attach(const SimTelephony* sim) { sim_ = sim; }
  telephony::EventSink sink() {
    return [this](Event e) {
      lines_.push_back(
          fmt::format("@{} {}", clock_.monotonic().time_since_epoch() / 1ms, alias(toString(e))));
      events_.push_back(std::move(e));
    };
  }
  std::string alias(std::string s) const {
    if (sim_ == nullptr) return s;
    int n = 0;
    for (const LegId& id : sim_->legs()) {
      if (!base::isUuid(id.value)) continue;
      const std::string name = "L" + std::to_string(++n);
      for (auto pos = s.find(id.value); pos != std::string::npos; pos = s.find(id.value)) {
        s.replace(pos, id.value.size(), name);
      }
    }
    return s;
  }
  /// The trace lines since the last take().
  Lines take() { return std::exchange(lines_, {}); }
  std::vector<Event>& events() { return events_; }

 private:
  const base::ManualClock& clock_;
  const SimTelephony* sim_ = nullptr;
  Lines lines_;
  std::vector<Event> events_;
};

class SimTelephonyTest : public ::testing::Test {
 protected:
  SimTelephonyTest() { rec_.attach(&sim_); }

  void run(base::Duration d) { sim_.runFor(clock_, d); }
  Lines take() { return rec_.take(); }
  template <typename T>
  T& last() {
    for (auto it = rec_.events().rbegin(); it != rec_.events().rend(); ++it) {
      if (auto* e = std::get_if<T>(&*it)) return *e;
    }
    ADD_FAILURE() << "no such event";
    static T none;
    return none;
  }
  std::string hears(const LegId& leg) { return rec_.alias(toString(sim_.hears(leg))); }

  /// An inbound call, answered, with the trace emptied.
  LegId answeredCall() {
    const LegId leg = sim_.incomingCall("13800000000", "95588");
    sim_.execute(Answer{leg});
    run(0ms);
    take();
    return leg;
  }
  /// An agent leg originated to a registered extension and answered (after 1 s).
  LegId answeredAgent(const std::string& id, const std::string& extension) {
    PhoneBehaviour phone;
    phone.answerAfter = 1s;
    sim_.registerPhone(extension, phone);
    sim_.execute(originate(id, Destination::Kind::Extension, extension));
    run(1s);
    take();
    return LegId{id};
  }
  CollectDigits collect(const LegId& leg, int maxDigits, telephony::RequestId request) {
    CollectDigits c;
    c.leg = leg;
    c.maxDigits = maxDigits;
    c.request = request;
    return c;
  }

  base::ManualClock clock_;
  base::EventLoop loop_{clock_};
  Recorder rec_{clock_};
  SimTelephony sim_{loop_, clock_, rec_.sink(), testOptions()};
};

}  // namespace bankcc::sim::test
