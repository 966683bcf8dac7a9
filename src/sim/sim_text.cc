// SPDX-License-Identifier: Apache-2.0
// Text forms of events and hearings for tests and traces, and the sim's small helpers.
#include <fmt/core.h>

#include <cctype>
#include <string>
#include <type_traits>
#include <utility>

#include "sim/sim_internal.h"
#include "sim/sim_telephony.h"

namespace bankcc::sim {

using telephony::EndCause;

bool isDtmf(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D');
}

std::map<std::string, std::string> lowerCaseKeys(std::map<std::string, std::string> headers) {
  std::map<std::string, std::string> out;
  for (auto& [name, value] : headers) {
    std::string lower = name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out[std::move(lower)] = std::move(value);
  }
  return out;
}

EndCause endCauseForStatus(int sipStatus) {
  switch (sipStatus) {
    case 486:
    case 600:
      return EndCause::Busy;
    case 408:
    case 480:
      return EndCause::NoAnswer;
    case 404:
    case 410:
    case 484:
    case 502:
    case 503:
      return EndCause::Unreachable;
    default:
      return EndCause::Rejected;
  }
}

namespace {

const char* name(telephony::Tone t) {
  switch (t) {
    case telephony::Tone::Dial:
      return "Dial";
    case telephony::Tone::Ringback:
      return "Ringback";
    case telephony::Tone::Busy:
      return "Busy";
    case telephony::Tone::Congestion:
      return "Congestion";
    case telephony::Tone::CallWaiting:
      return "CallWaiting";
    case telephony::Tone::Beep:
      return "Beep";
  }
  return "?";
}

const char* name(EndCause c) {
  switch (c) {
    case EndCause::Normal:
      return "Normal";
    case EndCause::Cancelled:
      return "Cancelled";
    case EndCause::Busy:
      return "Busy";
    case EndCause::NoAnswer:
      return "NoAnswer";
    case EndCause::Rejected:
      return "Rejected";
    case EndCause::Unreachable:
      return "Unreachable";
    case EndCause::MediaTimeout:
      return "MediaTimeout";
    case EndCause::Failed:
      return "Failed";
    case EndCause::Shutdown:
      return "Shutdown";
  }
  return "?";
}

const char* name(telephony::DigitsCollected::Reason r) {
  using R = telephony::DigitsCollected::Reason;
  switch (r) {
    case R::MaxDigits:
      return "MaxDigits";
    case R::Terminator:
      return "Terminator";
    case R::Timeout:
      return "Timeout";
    case R::TooFew:
      return "TooFew";
    case R::Stopped:
      return "Stopped";
    case R::LegGone:
      return "LegGone";
  }
  return "?";
}

}  // namespace

std::string toString(const Hearing& h) {
  switch (h.kind) {
    case Hearing::Kind::Silence:
      return "silence";
    case Hearing::Kind::Prompt:
      return "prompt:" + h.name;
    case Hearing::Kind::Tone:
      return std::string("tone:") + name(h.tone);
    case Hearing::Kind::Music:
      return "music:" + h.name;
    case Hearing::Kind::Parties: {
      std::string s = "parties:";
      for (std::size_t i = 0; i < h.parties.size(); ++i) {
        if (i > 0) s += ',';
        s += h.parties[i].value;
      }
      return s;
    }
  }
  return "?";
}

std::string toString(const telephony::Event& e) {
  return std::visit(
      [](const auto& ev) -> std::string {
        using T = std::decay_t<decltype(ev)>;
        using namespace telephony;
        if constexpr (std::is_same_v<T, LegArrived>) {
          return fmt::format("LegArrived({},ani={},dnis={},trunk={},ext={})", ev.leg.value, ev.ani,
                             ev.dnis, ev.trunk, ev.extension);
        } else if constexpr (std::is_same_v<T, Ringing>) {
          return fmt::format("Ringing({})", ev.leg.value);
        } else if constexpr (std::is_same_v<T, EarlyMedia>) {
          return fmt::format("EarlyMedia({})", ev.leg.value);
        } else if constexpr (std::is_same_v<T, Answered>) {
          return fmt::format("Answered({})", ev.leg.value);
        } else if constexpr (std::is_same_v<T, DigitPressed>) {
          return fmt::format("DigitPressed({},{})", ev.leg.value, ev.digit);
        } else if constexpr (std::is_same_v<T, DigitsCollected>) {
          // Secret digits show as their count: the type cannot be formatted, on purpose.
          const std::string digits = ev.secret.empty()
                                         ? "digits=" + ev.digits
                                         : fmt::format("secret={} digits", ev.secret.size());
          return fmt::format("DigitsCollected({},req={},{},{})", ev.leg.value, ev.request,
                             name(ev.reason), digits);
        } else if constexpr (std::is_same_v<T, PlaybackDone>) {
          return fmt::format("PlaybackDone({},req={}{})", ev.leg.value, ev.request,
                             ev.interrupted ? ",interrupted" : "");
        } else if constexpr (std::is_same_v<T, RecordingStopped>) {
          return fmt::format("RecordingStopped({},{},{}ms{})", ev.recording.value, ev.file,
                             ev.duration.count() / 1000, ev.complete ? "" : ",incomplete");
        } else if constexpr (std::is_same_v<T, LegEnded>) {
          return fmt::format("LegEnded({},{},{})", ev.leg.value, name(ev.cause), ev.sipStatus);
        } else if constexpr (std::is_same_v<T, MediaTimeout>) {
          return fmt::format("MediaTimeout({})", ev.leg.value);
        } else if constexpr (std::is_same_v<T, RegistrationChanged>) {
          return fmt::format("RegistrationChanged({},{},{})", ev.extension,
                             ev.registered ? "registered" : "unregistered", ev.contacts);
        } else {
          static_assert(std::is_same_v<T, CommandFailed>, "every event has a text form");
          return fmt::format("CommandFailed(req={},{})", ev.request, ev.reason);
        }
      },
      e);
}

}  // namespace bankcc::sim
