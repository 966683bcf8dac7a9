// SPDX-License-Identifier: Apache-2.0
// The ACD scenario driver: routing cases as data files (tests/scenarios/acd/*.scn), run
// through the Acd the way the call-control core drives it.
//
// FORMAT. One statement per line; blank lines and text after '#' are ignored. Times are
// scenario times from 0: "1500ms", "90s", "2m", "1h".
//
//   queue <code> needs=<skill>:<min>[,<skill>:<min>...] [lang=<code>]
//         [policy=longest_idle|most_skilled|round_robin] [aging=<time>] (0 = strict)
//         [max=<n>] [max_wait=<time>] [fallback=<dest>] [aht=<time>] [closed]
//         [steps=<step>[,<step>...]]  step: widen@<time>:<proficiency> | move@<time>:<queue>
//                                           | leave@<time>:<destination>
//   agent <no> skills=<skill>:<proficiency>[,...] [langs=<code>[,...]]   (default langs=zh)
//   at <time> <action>      time never goes back; actions:
//       available <agent>   ready from now; the driver asks routeAgent and offers the match
//       unavailable <agent>
//       logout <agent>
//       call <id> queue=<q> [priority=<n>] [arrived=<time>] [prefer=<agent> for=<time>]
//                           joins (arrived defaults to now); the driver asks routeCall
//       answer <call> | abandon <call>     the call leaves the ACD (the agent stays busy)
//       no_answer <call>    the offer failed: release; the driver routes the call again
//       queue ... | agent ... | open <queue> | close <queue>
//                           organisation changes; then every available agent is routed
//       tick                only lets time pass
//   expect <event>          the next thing that happened must be <event>:
//       offer <call> -> <agent>
//       joined <call> full|closed|no_members       (a plain "queued" join is not an event)
//       widened <call> <queue> | moved <call> <from> -> <to> | left <call> <from> -> <dest>
//       timed_out <call> <queue> -> <dest> | preference_expired <call> <queue>
//   expect position <call> <n>     expect waiting <queue> <n>     (queries; no event used)
//
// Before the action of an `at` line, every overflow deadline up to that time is applied at its
// own moment (advance() at nextDeadline()), and each Widened, Moved or PreferenceExpired call
// is routed then; after the action, deadlines it made overdue are applied too. Every event
// must be expected before the next `at` line or the end of the file. Errors name the file and
// line.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "acd/acd.h"
#include "acd/acd_test_support.h"

#ifndef BANKCC_SCENARIO_DIR
#error "BANKCC_SCENARIO_DIR must name tests/scenarios/acd (see src/acd/CMakeLists.txt)"
#endif

namespace bankcc::acd {
namespace {

using base::Errc;
using base::Status;

/// Thrown inside the runner with a "file:line: message" text; turned into a Status at the top.
struct ScenarioError {
  std::string message;
};

std::vector<std::string> splitWords(std::string_view line) {
  std::vector<std::string> words;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::vector<std::string> splitOn(std::string_view s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = s.find(sep, start);
    parts.emplace_back(s.substr(start, end == std::string_view::npos ? s.npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

class ScenarioRunner {
 public:
  explicit ScenarioRunner(std::string file) : file_(std::move(file)) {}

  Status run(std::string_view text) {
    try {
      int number = 0;
      for (const std::string& raw : splitOn(text, '\n')) {
        line_ = ++number;
        std::string_view content = raw;
        content = content.substr(0, content.find('#'));
        auto words = splitWords(content);
        if (!words.empty()) statement(words);
      }
      line_ = number;
      requireNothingPending();
    } catch (const ScenarioError& e) {
      return base::err(Errc::ValidationFailed, e.message);
    }
    return {};
  }

 private:
  using Words = std::vector<std::string>;

  struct Event {
    std::string text;
    int line;
  };

  [[noreturn]] void fail(const std::string& message) const {
    throw ScenarioError{fmt::format("{}:{}: {}", file_, line_, message)};
  }

  void statement(const Words& w) {
    if (w[0] == "queue") {
      defineQueue(w);
      routeAllAgents();
    } else if (w[0] == "agent") {
      defineAgent(w);
      routeAllAgents();
    } else if (w[0] == "at") {
      if (w.size() < 3) fail("'at' needs a time and an action");
      const SysTime t = test::kT0 + parseTime(w[1]);
      if (t < now_) fail(fmt::format("time {} is before the previous 'at'", w[1]));
      requireNothingPending();
      runDeadlinesUntil(t);
      now_ = t;
      action(Words(w.begin() + 2, w.end()));
      runDeadlinesUntil(now_);  // a release can make a deadline overdue
    } else if (w[0] == "expect") {
      expect(Words(w.begin() + 1, w.end()));
    } else {
      fail(fmt::format("unknown statement '{}' (queue, agent, at, expect)", w[0]));
    }
  }

  void action(const Words& w) {
    const std::string& verb = w[0];
    auto arg = [&]() -> const std::string& {
      if (w.size() != 2) fail(fmt::format("'{}' takes exactly one argument", verb));
      return w[1];
    };
    if (verb == "available") {
      check(acd_.setAvailable(arg(), now_));
      routeAgent(w[1]);
    } else if (verb == "unavailable") {
      check(acd_.setUnavailable(arg()));
    } else if (verb == "logout") {
      check(acd_.removeAgent(arg()));
    } else if (verb == "call") {
      joinCall(w);
    } else if (verb == "answer" || verb == "abandon") {
      if (!acd_.knowsCall(arg())) fail(fmt::format("no call '{}' in the ACD", w[1]));
      acd_.remove(w[1]);
    } else if (verb == "no_answer") {
      check(acd_.release(arg()));
      routeCall(w[1]);
    } else if (verb == "queue" || verb == "agent") {
      statement(w);
    } else if (verb == "open" || verb == "close") {
      auto it = queues_.find(arg());
      if (it == queues_.end()) fail(fmt::format("no queue '{}' defined", w[1]));
      it->second.open = verb == "open";
      check(acd_.setQueue(it->second));
      routeAllAgents();
    } else if (verb == "tick") {
      if (w.size() != 1) fail("'tick' takes no argument");
    } else {
      fail(fmt::format("unknown action '{}'", verb));
    }
  }

  // --- organisation ---

  void defineQueue(const Words& w) {
    if (w.size() < 2) fail("'queue' needs a code");
    QueueConfig q;
    q.code = w[1];
    q.needs.clear();
    for (std::size_t i = 2; i < w.size(); ++i) {
      auto [key, value] = option(w[i]);
      if (key == "closed" && value.empty()) {
        q.open = false;
      } else if (key == "needs") {
        for (const auto& part : splitOn(value, ',')) {
          auto [skill, level] = pair(part, "needs");
          q.needs.push_back({skill, parseInt(level)});
        }
      } else if (key == "lang") {
        q.language = value;
      } else if (key == "policy") {
        auto p = parseRoutingPolicy(value);
        if (!p) fail(fmt::format("unknown policy '{}'", value));
        q.policy = *p;
      } else if (key == "aging") {
        q.agingStep = parseTime(value);
      } else if (key == "max") {
        q.maxSize = parseInt(value);
      } else if (key == "max_wait") {
        q.maxWait = parseTime(value);
      } else if (key == "fallback") {
        q.fallback = value;
      } else if (key == "aht") {
        q.averageHandleTime = parseTime(value);
      } else if (key == "steps") {
        for (const auto& part : splitOn(value, ',')) q.steps.push_back(parseStep(part));
      } else {
        fail(fmt::format("unknown queue option '{}'", key));
      }
    }
    if (q.needs.empty()) fail(fmt::format("queue '{}' needs 'needs=<skill>:<min>'", q.code));
    check(acd_.setQueue(q));
    queues_[q.code] = q;
  }

  void defineAgent(const Words& w) {
    if (w.size() < 2) fail("'agent' needs a number");
    AgentConfig a = test::makeAgent(w[1], {});
    for (std::size_t i = 2; i < w.size(); ++i) {
      auto [key, value] = option(w[i]);
      if (key == "skills") {
        for (const auto& part : splitOn(value, ',')) {
          auto [skill, level] = pair(part, "skills");
          a.skills.push_back({skill, parseInt(level)});
        }
      } else if (key == "langs") {
        a.languages = splitOn(value, ',');
      } else {
        fail(fmt::format("unknown agent option '{}'", key));
      }
    }
    check(acd_.setAgent(a));
    if (std::find(agentOrder_.begin(), agentOrder_.end(), a.agentNo) == agentOrder_.end()) {
      agentOrder_.push_back(a.agentNo);
    }
  }

  OverflowStep parseStep(const std::string& text) {
    // widen@30s:2, move@120s:general, leave@300s:voicemail
    const auto at = text.find('@');
    const auto colon = text.find(':', at == std::string::npos ? 0 : at);
    if (at == std::string::npos || colon == std::string::npos) {
      fail(
          fmt::format("bad step '{}' (widen@<time>:<level>, move@<time>:<queue>, "
                      "leave@<time>:<destination>)",
                      text));
    }
    OverflowStep s;
    const std::string kind = text.substr(0, at);
    s.after = parseTime(text.substr(at + 1, colon - at - 1));
    const std::string arg = text.substr(colon + 1);
    if (kind == "widen") {
      s.kind = OverflowStep::Kind::Widen;
      s.minProficiency = parseInt(arg);
    } else if (kind == "move") {
      s.kind = OverflowStep::Kind::MoveTo;
      s.target = arg;
    } else if (kind == "leave") {
      s.kind = OverflowStep::Kind::LeaveTo;
      s.target = arg;
    } else {
      fail(fmt::format("unknown step kind '{}' (widen, move, leave)", kind));
    }
    return s;
  }

  // --- calls and routing, as the core does it ---

  void joinCall(const Words& w) {
    if (w.size() < 2) fail("'call' needs an id");
    CallEntry e;
    e.callId = w[1];
    e.arrived = now_;
    Duration preferFor{};
    for (std::size_t i = 2; i < w.size(); ++i) {
      auto [key, value] = option(w[i]);
      if (key == "queue") {
        e.queue = value;
      } else if (key == "priority") {
        e.priority = parseInt(value);
      } else if (key == "arrived") {
        e.arrived = test::kT0 + parseTime(value);
      } else if (key == "prefer") {
        e.preferredAgent = value;
      } else if (key == "for") {
        preferFor = parseTime(value);
      } else {
        fail(fmt::format("unknown call option '{}'", key));
      }
    }
    if (e.queue.empty()) fail("'call' needs queue=<code>");
    if (!e.preferredAgent.empty()) e.preferredUntil = now_ + preferFor;
    auto outcome = acd_.enqueue(e, now_);
    if (!outcome.ok()) fail(outcome.error().describe());
    if (*outcome != JoinOutcome::Queued) {
      happened(fmt::format("joined {} {}", e.callId, joinOutcomeName(*outcome)));
    }
    if (acd_.knowsCall(e.callId)) routeCall(e.callId);
  }

  void routeCall(const std::string& id) {
    if (auto m = acd_.routeCall(id, now_)) offer(*m);
  }
  void routeAgent(const std::string& no) {
    if (auto m = acd_.routeAgent(no, now_)) offer(*m);
  }
  void routeAllAgents() {
    for (const auto& no : agentOrder_) routeAgent(no);
  }
  void offer(const Match& m) {
    check(acd_.offer(m.callId, m.agentNo));
    happened(fmt::format("offer {} -> {}", m.callId, m.agentNo));
  }

  void runDeadlinesUntil(SysTime t) {
    for (auto next = acd_.nextDeadline(); next && *next <= t; next = acd_.nextDeadline()) {
      now_ = std::max(now_, *next);
      for (const StepDue& d : acd_.advance(now_)) {
        happened(test::describe(d));
        if (d.kind == StepDue::Kind::Widened || d.kind == StepDue::Kind::Moved ||
            d.kind == StepDue::Kind::PreferenceExpired) {
          routeCall(d.callId);
        }
      }
    }
  }

  // --- expectations ---

  void happened(std::string text) { pending_.push_back({std::move(text), line_}); }

  void requireNothingPending() {
    if (pending_.empty()) return;
    const Event& e = pending_.front();
    throw ScenarioError{
        fmt::format("{}:{}: '{}' happened but no expect line follows", file_, e.line, e.text)};
  }

  void expect(const Words& w) {
    if (w.empty()) fail("'expect' needs an event");
    if (w[0] == "position" || w[0] == "waiting") {
      if (w.size() != 3) fail(fmt::format("'expect {}' takes a name and a number", w[0]));
      const int want = parseInt(w[2]);
      int got = -1;
      if (w[0] == "position") {
        auto p = acd_.position(w[1], now_);
        if (!p) fail(fmt::format("no call '{}' in the ACD", w[1]));
        got = p->position;
      } else {
        auto s = acd_.queueSnapshot(w[1], now_);
        if (!s) fail(fmt::format("no queue '{}'", w[1]));
        got = s->waiting;
      }
      if (got != want) fail(fmt::format("expected {} {} {}, got {}", w[0], w[1], want, got));
      return;
    }
    std::string text = w[0];
    for (std::size_t i = 1; i < w.size(); ++i) text += " " + w[i];
    if (pending_.empty()) fail(fmt::format("expected '{}', but nothing happened", text));
    const Event got = pending_.front();
    pending_.pop_front();
    if (got.text != text) fail(fmt::format("expected '{}', got '{}'", text, got.text));
  }

  // --- lexical ---

  std::pair<std::string, std::string> option(const std::string& word) const {
    const auto eq = word.find('=');
    if (eq == std::string::npos) return {word, ""};
    return {word.substr(0, eq), word.substr(eq + 1)};
  }
  std::pair<std::string, std::string> pair(const std::string& s, std::string_view what) const {
    const auto colon = s.find(':');
    if (colon == std::string::npos || colon == 0) {
      fail(fmt::format("bad {} entry '{}' (use <skill>:<level>)", what, s));
    }
    return {s.substr(0, colon), s.substr(colon + 1)};
  }
  int parseInt(const std::string& s) const {
    try {
      std::size_t used = 0;
      const int v = std::stoi(s, &used);
      if (used == s.size()) return v;
    } catch (const std::exception&) {
    }
    fail(fmt::format("bad number '{}'", s));
  }
  Duration parseTime(const std::string& s) const {
    std::size_t digits = 0;
    while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
    const std::string unit = s.substr(digits);
    if (digits == 0 || digits > 9) fail(fmt::format("bad time '{}' (e.g. 1500ms, 90s, 2m, 1h)", s));
    const std::int64_t n = std::stoll(s.substr(0, digits));
    if (unit == "ms") return std::chrono::milliseconds(n);
    if (unit == "s") return std::chrono::seconds(n);
    if (unit == "m") return std::chrono::minutes(n);
    if (unit == "h") return std::chrono::hours(n);
    if (n == 0 && unit.empty()) return Duration::zero();
    fail(fmt::format("bad time '{}' (e.g. 1500ms, 90s, 2m, 1h)", s));
  }
  void check(const Status& s) const {
    if (!s.ok()) fail(s.error().describe());
  }

  std::string file_;
  int line_ = 0;
  Acd acd_;
  SysTime now_ = test::kT0;
  std::map<std::string, QueueConfig> queues_;
  std::vector<std::string> agentOrder_;
  std::deque<Event> pending_;
};

Status runScenario(std::string_view text, std::string name) {
  return ScenarioRunner(std::move(name)).run(text);
}

// --- the scenario files ----------------------------------------------------------------------

std::vector<std::string> scenarioFiles() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(BANKCC_SCENARIO_DIR)) {
    if (entry.path().extension() == ".scn") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class AcdScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AcdScenarioTest, Runs) {
  const std::string name = GetParam() + ".scn";
  std::ifstream in(std::filesystem::path(BANKCC_SCENARIO_DIR) / name);
  ASSERT_TRUE(in) << "cannot read " << name;
  std::stringstream text;
  text << in.rdbuf();
  auto s = runScenario(text.str(), name);
  EXPECT_TRUE(s.ok()) << s.error().message;
}

INSTANTIATE_TEST_SUITE_P(Files, AcdScenarioTest, ::testing::ValuesIn(scenarioFiles()),
                         [](const auto& info) { return info.param; });

TEST(AcdScenarioFilesTest, TheAgreedScenariosExist) {
  const auto files = scenarioFiles();
  for (const char* name :
       {"vip_overtakes_normal", "priority_aging", "skills_and_proficiency",
        "overflow_widen_after_timeout", "overflow_move_to_queue", "fallback_when_full",
        "fallback_when_closed", "agent_in_several_queues_gets_oldest", "ring_no_answer_keeps_place",
        "max_wait_leaves"}) {
    EXPECT_NE(std::find(files.begin(), files.end(), name), files.end()) << name;
  }
}

// --- the driver's own errors -----------------------------------------------------------------

std::string errorOf(std::string_view text) {
  auto s = runScenario(text, "bad.scn");
  return s.ok() ? "ok" : s.error().message;
}

TEST(AcdScenarioDriverTest, MalformedLinesNameFileAndLine) {
  EXPECT_EQ(errorOf("# comment\n\nfrobnicate a b\n"),
            "bad.scn:3: unknown statement 'frobnicate' (queue, agent, at, expect)");
  EXPECT_EQ(errorOf("queue q needs=retail:1\nat 5x tick\n"),
            "bad.scn:2: bad time '5x' (e.g. 1500ms, 90s, 2m, 1h)");
  EXPECT_EQ(errorOf("queue q needs=retail\n"),
            "bad.scn:1: bad needs entry 'retail' (use <skill>:<level>)");
  EXPECT_EQ(errorOf("queue q needs=retail:1 colour=red\n"),
            "bad.scn:1: unknown queue option 'colour'");
  EXPECT_EQ(errorOf("queue q needs=retail:9\n"),
            "bad.scn:1: validation_failed: queue 'q': minimum proficiency 9 for 'retail' is "
            "outside 1..5");
  EXPECT_EQ(errorOf("at 5s jump\n"), "bad.scn:1: unknown action 'jump'");
  EXPECT_EQ(errorOf("at 5s tick\nat 4s tick\n"), "bad.scn:2: time 4s is before the previous 'at'");
  EXPECT_EQ(errorOf("queue q needs=r:1 steps=widen30s:2\n"),
            "bad.scn:1: bad step 'widen30s:2' (widen@<time>:<level>, move@<time>:<queue>, "
            "leave@<time>:<destination>)");
}

TEST(AcdScenarioDriverTest, UnmetExpectationsNameFileAndLine) {
  const std::string setup =
      "queue q needs=r:1\n"
      "agent a1 skills=r:3\n"
      "at 0s call c1 queue=q\n"
      "at 1s available a1\n";
  EXPECT_EQ(errorOf(setup + "expect offer c1 -> a1\n"), "ok");
  EXPECT_EQ(errorOf(setup + "expect offer c1 -> a2\n"),
            "bad.scn:5: expected 'offer c1 -> a2', got 'offer c1 -> a1'");
  EXPECT_EQ(errorOf(setup), "bad.scn:4: 'offer c1 -> a1' happened but no expect line follows");
  EXPECT_EQ(errorOf(setup + "expect offer c1 -> a1\nexpect offer c2 -> a1\n"),
            "bad.scn:6: expected 'offer c2 -> a1', but nothing happened");
  EXPECT_EQ(errorOf(setup + "expect offer c1 -> a1\nexpect waiting q 2\n"),
            "bad.scn:6: expected waiting q 2, got 1");
}

}  // namespace
}  // namespace bankcc::acd
