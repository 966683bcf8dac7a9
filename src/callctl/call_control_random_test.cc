// SPDX-License-Identifier: Apache-2.0
// Invariants of the core under a long seeded random run: callers arrive and hang up at random,
// agents log in and out, go ready and not ready, hang up, wrap up; phones answer late, never,
// refuse, unregister, drop; agents hold, pause recordings and transfer (to a queue, to a number
// that answers or one that does not), consult colleagues and numbers, alternate, conference,
// complete transfers and drop parties; agents place calls to numbers and colleagues from the
// desktop and dial numbers and queues on their phones; a supervisor monitors. After every step (and
// on every event) the checks below hold.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <random>
#include <set>

#include "callctl/call_control.h"
#include "callctl/callctl_test_support.h"

namespace bankcc::callctl {
namespace {

using namespace testing;

constexpr int kReQueuePriority = 1000;
constexpr const char* kCustomer = "13900000001";  ///< a number agents call

class RandomRun {
 public:
  explicit RandomRun(std::uint32_t seed) : rng_(seed), b_(options()) {
    QueueSetup retail = queueSetup("retail", "95588", "retail");
    retail.acd.maxSize = 6;
    retail.ringTimeout = 10s;
    retail.wrapUp = 5s;
    QueueSetup cards = queueSetup("cards", "95577", "cards");
    cards.ringTimeout = 8s;
    cards.wrapUp = 3s;
    cards.acd.maxWait = 60s;  // then to the fallback number, which answers
    cards.acd.fallback = "4008001234";
    sim::PhoneBehaviour fallback;
    fallback.answerAfter = 3s;
    b_.sim().setExternalNumber("4008001234", fallback);
    b_.sim().setExternalNumber(kCustomer, fallback);
    EXPECT_TRUE(b_.core().setQueue(retail).ok());
    EXPECT_TRUE(b_.core().setQueue(cards).ok());
    for (int i = 0; i < 8; ++i) {
      const std::string no = std::to_string(1001 + i);
      std::vector<std::string> skills = {"retail"};
      if (i % 2 == 0) skills.push_back("cards");
      if (i == 7) skills = {"cards"};
      agents_.push_back({no, std::to_string(8001 + i)});
      // 1004 has a phone that auto-answers: offers wait for the desktop answer.
      EXPECT_TRUE(b_.core()
                      .setAgent(agentSetup(no, agents_.back().ext, skills, "team_a",
                                           /*autoAnswerPhone=*/i == 3))
                      .ok());
    }
  }

  /// One virtual second: random actions, then time, then the checks. False once a check failed.
  bool step(bool arrivals) {
    if (arrivals && chance(0.35)) {
      const bool vip = chance(0.1);
      std::map<std::string, std::string> headers;
      if (vip) headers["X-Bankcc-Tier"] = "vip";
      callers_.push_back(b_.sim().incomingCall("1380000" + std::to_string(callers_.size()),
                                               chance(0.6) ? "95588" : "95577", headers));
    }
    std::erase_if(callers_, [&](const LegId& caller) {
      const auto leg = b_.sim().leg(caller);
      return !leg || leg->state == sim::LegState::Ended;
    });
    for (const LegId& caller : callers_) {
      if (chance(0.015)) b_.sim().farHangup(caller);
      if (chance(0.0005)) b_.sim().mediaTimeout(caller);
    }
    // The customer an agent called hangs up.
    if (chance(0.03)) b_.sim().farHangup(agentLeg(kCustomer));
    for (auto& a : agents_) actAgent(a);
    actSupervisor();
    b_.run(1s);
    return check("after step");
  }

  /// Stops arrivals, hangs up every caller and lets everything settle.
  bool drain() {
    for (const LegId& caller : callers_) b_.sim().farHangup(caller);
    // Calls agents placed end when a far party hangs up too.
    for (const LegId& leg : b_.sim().legs()) b_.sim().farHangup(leg);
    b_.run(60s);
    if (!check("after drain")) return false;
    if (!b_.core().calls().empty()) return fail("calls left after every caller hung up");
    for (const auto& [id, n] : ended_) {
      if (n != 1) return fail("call " + id + " ended " + std::to_string(n) + " times");
    }
    if (ended_.size() != arrived_.size()) return fail("not every arrived call ended");
    return true;
  }

  const std::string& failure() const { return failure_; }
  /// Prints the last 150 event lines (for a failed run).
  void dumpTail() {
    auto lines = b_.takeEvents();
    for (std::size_t i = lines.size() > 150 ? lines.size() - 150 : 0; i < lines.size(); ++i)
      fprintf(stderr, "  %s\n", lines[i].c_str());
  }
  std::size_t arrivedCalls() const { return arrived_.size(); }
  std::size_t answeredCalls() const { return answered_; }
  /// How often each event type, not-ready reason ("reason:no_answer"), queue.left reason
  /// ("left:full") and end ("ended:normal/agent") was seen.
  const std::map<std::string, int>& seen() const { return seenTypes_; }

 private:
  struct AgentSim {
    std::string no;
    std::string ext;
    bool registered = false;
  };
  struct Tracked {
    std::string queue;
    std::int64_t priority = 0;
    base::SysTime arrived{};
    bool waiting = false;
    bool offered = false;
    std::string offeredTo;
    bool directed = false;  ///< the last routing.decided named the agent (intercept, transfer)
  };

  CoreOptions options() {
    CoreOptions o;
    o.reQueuePriority = kReQueuePriority;
    o.reQueuePreference = 20s;
    o.transferNumbers = {"400"};
    o.outboundNumbers = {"139"};
    return o;
  }
  /// The agent leg last originated to `extension` (the port's commands, read once each).
  LegId agentLeg(const std::string& extension) {
    scanCommands();
    return lastLeg_[extension];
  }
  void scanCommands() {
    const auto& cmds = b_.sim().commands();
    for (; commandsSeen_ < cmds.size(); ++commandsSeen_) {
      if (const auto* o = std::get_if<telephony::Originate>(&cmds[commandsSeen_])) {
        lastLeg_[o->to.number] = o->leg;
        rung_[o->to.number].push_back(o->leg);
      }
    }
  }
  /// Persistent lines (decision 0027): a line belongs to one agent and is up; it is in a call
  /// only while its agent is busy with one; between calls it hears nothing and is in no bridge;
  /// an agent with a line up is never rung.
  void checkLines(const std::vector<AgentView>& agents) {
    scanCommands();
    std::set<std::string> lines;
    for (const auto& a : agents) {
      if (a.line.empty()) continue;
      ++seenTypes_["line:" + a.line];
      if (!lines.insert(a.lineLeg.value).second) fail("a line of two agents");
      if (a.state == AgentState::LoggedOut) fail("agent " + a.agentNo + " logged out with a line");
      if (a.line == "dialing") continue;
      const auto leg = b_.sim().leg(a.lineLeg);
      if (!leg || leg->state != sim::LegState::Answered) {
        fail("agent " + a.agentNo + "'s line is " + a.line + " but not up");
        continue;
      }
      const bool busy = a.state == AgentState::Reserved || a.state == AgentState::OnCall;
      if (a.line == "in_call" && !busy) {
        fail(fmt::format("agent {}'s line is in a call while {}", a.agentNo,
                         events::agentStateName(a.state)));
      }
      if (a.line == "connected") {
        const sim::Hearing heard = b_.sim().hears(a.lineLeg);
        if (leg->bridgedWith || leg->held || leg->muted ||
            heard.kind != sim::Hearing::Kind::Silence) {
          fail(fmt::format("agent {}'s idle line is not isolated: hears {}", a.agentNo,
                           sim::toString(heard)));
        }
      }
      auto& rung = rung_[a.extension];
      std::erase_if(rung, [&](const LegId& l) {
        const auto v = b_.sim().leg(l);
        return !v || v->state == sim::LegState::Ended;
      });
      for (const LegId& l : rung) {
        if (l != a.lineLeg) fail("agent " + a.agentNo + " with a line up is rung");
      }
    }
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  sim::PhoneBehaviour randomPhone() {
    sim::PhoneBehaviour p;
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.08) {
      p.kind = sim::PhoneBehaviour::Kind::NeverAnswer;
    } else if (r < 0.12) {
      p.kind = sim::PhoneBehaviour::Kind::Busy;
    } else if (r < 0.16) {
      p.kind = sim::PhoneBehaviour::Kind::Reject;
      p.answerAfter = 2s;
    } else {
      p.answerAfter =
          std::chrono::milliseconds(std::uniform_int_distribution<int>(500, 9000)(rng_));
    }
    return p;
  }

  void send(const AgentSim& a, Command command) {
    // A call id read at the start of the agent's turn may have ended since (events run while
    // commands are answered): NotFound is then the right answer.
    const bool aboutCall =
        !std::holds_alternative<Login>(command) && !std::holds_alternative<SetLine>(command) &&
        !std::holds_alternative<Logout>(command) && !std::holds_alternative<SetState>(command) &&
        !std::holds_alternative<CompleteWrapUp>(command) &&
        !std::holds_alternative<ExtendWrapUp>(command);
    std::string callId;
    const std::size_t kind = command.index();
    std::visit(
        [&](const auto& c) {
          if constexpr (requires { c.callId; }) callId = c.callId;
        },
        command);
    const auto before = findCall(callId);
    const CommandReply r = b_.send(agentActor(a.no), std::move(command));
    if (aboutCall && r.status == CommandReply::Status::NotFound) return;
    // A colleague in a conference is the owning agent's guest: the call's verbs are not theirs.
    // And a call may change hands around the command (the agent hung up their phone or
    // completed a transfer earlier in this turn; the owner left a conference): whoever did not
    // own it before or after may be refused.
    const auto call = findCall(callId);
    const bool owner = (!before || before->agentNo == a.no) && (!call || call->agentNo == a.no);
    if (!owner && r.status == CommandReply::Status::Forbidden) return;
    // Agents act on themselves with valid values: only the state may refuse them.
    if (r.status != CommandReply::Status::Accepted && r.status != CommandReply::Status::Conflict) {
      fail(fmt::format(
          "unexpected refusal of {}'s command #{} on {} ({}): {}: {}", a.no, kind, callId,
          call ? call->partyStage + "/" + call->agentNo + "/" + call->party : std::string("-"),
          r.code, r.message));
    }
  }

  void actAgent(AgentSim& a) {
    if (!a.registered ? chance(0.2) : chance(0.004)) {
      if (a.registered) {
        b_.sim().unregisterPhone(a.ext);
      } else {
        b_.sim().registerPhone(a.ext, randomPhone());
      }
      a.registered = !a.registered;
      b_.run(0ms);
    }
    const auto view = b_.core().agent(a.no);
    if (view->state != AgentState::LoggedOut) {
      if (chance(0.004)) send(a, SetLine{a.no, chance(0.6)});
      // The agent hangs the phone up between calls.
      if (view->line == "connected" && chance(0.002)) {
        b_.sim().farHangup(view->lineLeg);
        b_.run(0ms);
      }
    }
    switch (view->state) {
      case AgentState::LoggedOut:
        // Half the logins ask for a persistent line (decision 0027).
        if (chance(0.1)) send(a, Login{a.no, a.ext, chance(0.5)});
        break;
      case AgentState::NotReady:
        if (chance(0.25)) send(a, SetState{a.no, true, {}});
        if (chance(0.003)) send(a, Logout{a.no});
        placeCall(a);
        break;
      case AgentState::Ready:
        if (chance(0.01)) send(a, SetState{a.no, false, "break"});
        if (chance(0.002)) send(a, Logout{a.no});
        placeCall(a);
        break;
      case AgentState::Reserved:
        if (chance(0.01)) send(a, SetState{a.no, false, "break"});
        if (chance(0.3)) send(a, AnswerCall{view->callId});
        break;
      case AgentState::OnCall: {
        const LegId leg = view->line == "in_call" ? view->lineLeg : agentLeg(a.ext);
        if (chance(0.04)) b_.sim().farHangup(leg);
        if (chance(0.004)) b_.sim().mediaTimeout(leg);
        if (chance(0.01)) send(a, SetState{a.no, chance(0.5), "after_call"});
        if (chance(0.003)) send(a, HangupCall{view->callId});
        if (chance(0.02)) {
          const auto call = findCall(view->callId);
          if (call && call->held) {
            send(a, RetrieveCall{view->callId});
          } else {
            send(a, HoldCall{view->callId});
          }
        }
        if (chance(0.01)) {
          const auto call = findCall(view->callId);
          if (call && call->recordingPaused) {
            send(a, ResumeCallRecording{view->callId});
          } else {
            send(a, PauseCallRecording{view->callId});
          }
        }
        if (chance(0.01)) {
          const auto call = findCall(view->callId);
          send(a, MuteCall{view->callId, !(call && call->muted)});
        }
        if (chance(0.004)) send(a, SendDigits{view->callId, "1#"});
        if (chance(0.004)) {
          send(a, BlindTransfer{view->callId, BlindTransfer::Target::Queue,
                                chance(0.5) ? "cards" : "retail"});
        }
        if (chance(0.003)) {
          const auto& other =
              agents_[std::uniform_int_distribution<std::size_t>(0, agents_.size() - 1)(rng_)];
          send(a, BlindTransfer{view->callId, BlindTransfer::Target::Agent, other.no});
        }
        if (chance(0.002)) {
          send(a, BlindTransfer{view->callId, BlindTransfer::Target::Number,
                                chance(0.7) ? "4008001234" : "4009999999"});
        }
        actConsult(a, view->callId);
        break;
      }
      case AgentState::WrapUp:
        if (chance(0.2)) send(a, CompleteWrapUp{a.no, "done", "ok"});
        if (chance(0.05)) send(a, ExtendWrapUp{a.no, 5s});
        if (chance(0.02)) send(a, SetState{a.no, chance(0.5), "lunch"});
        break;
    }
  }

  /// Calls a customer or a colleague from the desktop, or dials a number or a queue on the
  /// phone (the phone may be unregistered: the call then fails).
  void placeCall(const AgentSim& a) {
    if (chance(0.004)) {
      send(a, MakeCall{a.no, MakeCall::Target::Number, kCustomer});
    } else if (chance(0.002)) {
      const auto& other =
          agents_[std::uniform_int_distribution<std::size_t>(0, agents_.size() - 1)(rng_)];
      send(a, MakeCall{a.no, MakeCall::Target::Agent, other.no});
    } else if (a.registered && chance(0.003)) {
      callers_.push_back(b_.sim().callFromPhone(a.ext, chance(0.5) ? kCustomer : "95588"));
      b_.run(0ms);
    }
  }

  /// Consults a random colleague or number, then alternates, conferences, transfers, cancels
  /// or drops the party.
  void actConsult(const AgentSim& a, const std::string& callId) {
    const auto call = findCall(callId);
    if (!call || call->agentNo != a.no) return;  // a consult of its own, or a guest's call
    if (call->partyStage.empty()) {
      if (chance(0.008)) {
        const auto& other =
            agents_[std::uniform_int_distribution<std::size_t>(0, agents_.size() - 1)(rng_)];
        send(a, Consult{callId, Consult::Target::Agent, other.no});
      } else if (chance(0.003)) {
        send(a,
             Consult{callId, Consult::Target::Number, chance(0.7) ? "4008001234" : "4009999999"});
      } else if (chance(0.004)) {
        send(a, Consult{callId, Consult::Target::Queue, chance(0.5) ? "retail" : "cards"});
      }
      return;
    }
    if (chance(0.05)) send(a, Alternate{callId});
    if (chance(0.04)) send(a, Conference{callId});
    if (chance(0.03)) send(a, CompleteTransfer{callId});
    if (chance(0.02)) send(a, CancelConsult{callId});
    if (chance(0.03)) send(a, DropParty{callId});
  }

  std::optional<CallView> findCall(const std::string& id) {
    for (auto& c : b_.core().calls()) {
      if (c.callId == id) return c;
    }
    return std::nullopt;
  }

  /// A supervisor of team_a monitors random agents on calls from phone 8101, switches mode and
  /// stops; the phone is registered at the start.
  void actSupervisor() {
    if (!supervisorPhone_) {
      b_.sim().registerPhone("8101");
      supervisorPhone_ = true;
      b_.run(0ms);
    }
    if (chance(0.01)) intercept();
    Command command;
    if (monitored_.empty() || !chance(0.5)) {
      if (!chance(0.02)) return;
      const auto& a =
          agents_[std::uniform_int_distribution<std::size_t>(0, agents_.size() - 1)(rng_)];
      monitored_ = a.no;
      const auto mode =
          static_cast<telephony::MonitorMode>(std::uniform_int_distribution<int>(0, 2)(rng_));
      command = MonitorCall{a.no, mode, "8101"};
    } else if (chance(0.05)) {
      command = MonitorCall{monitored_, telephony::MonitorMode::Whisper, "8101"};
    } else if (chance(0.03)) {
      command = StopMonitoring{monitored_};
    } else {
      return;
    }
    const CommandReply r = b_.send(supervisorOf("team_a"), std::move(command));
    // The agent may have no call, another may be monitored, the phone may not have answered yet:
    // only conflicts, never a refusal of the supervisor's right.
    if (r.status != CommandReply::Status::Accepted && r.status != CommandReply::Status::Conflict) {
      fail("unexpected refusal of the supervisor " + r.code + ": " + r.message);
    }
  }

  /// An admin gives a random waiting or ringing call to a random agent (decision 0022): only
  /// conflicts (busy, logged out, already ringing there) may refuse it.
  void intercept() {
    std::vector<std::string> waiting;
    for (const auto& c : b_.core().calls()) {
      if (c.phase == CallView::Phase::Queued || c.phase == CallView::Phase::Offered) {
        waiting.push_back(c.callId);
      }
    }
    if (waiting.empty()) return;
    const auto& callId =
        waiting[std::uniform_int_distribution<std::size_t>(0, waiting.size() - 1)(rng_)];
    const auto& a =
        agents_[std::uniform_int_distribution<std::size_t>(0, agents_.size() - 1)(rng_)];
    const CommandReply r = b_.send(adminActor(), InterceptCall{callId, a.no});
    if (r.status != CommandReply::Status::Accepted && r.status != CommandReply::Status::Conflict) {
      fail("unexpected refusal of an intercept " + r.code + ": " + r.message);
    }
  }

  bool fail(std::string what) {
    if (failure_.empty()) {
      failure_ = fmt::format("at +{} s: {}", (b_.clock().monotonic().time_since_epoch() / 1s),
                             std::move(what));
    }
    return false;
  }

  /// Reads the new events in order and checks the invariants that need history.
  void followEvents() {
    auto& all = b_.events();
    for (; seen_ < all.size(); ++seen_) {
      const events::Event& e = all[seen_];
      const std::string& call = e.callId;
      if (ended_.contains(call) && !e.callId.empty()) {
        // After call.ended only the agent's wrap-up and the recording's end may name the call.
        const bool allowed = std::holds_alternative<events::AgentStateChanged>(e.payload) ||
                             std::holds_alternative<events::RecordingStopped>(e.payload) ||
                             std::holds_alternative<events::WrapUpCompleted>(e.payload) ||
                             std::holds_alternative<events::WrapUpExtended>(e.payload) ||
                             std::holds_alternative<events::AgentNextStateSet>(e.payload) ||
                             std::holds_alternative<events::CallEnded>(e.payload);
        if (!allowed) fail(fmt::format("{} after call.ended", events::typeName(e.payload)));
      }
      ++seenTypes_[std::string(events::typeName(e.payload))];
      if (const auto* s = std::get_if<events::AgentStateChanged>(&e.payload)) {
        if (!s->reason.empty()) ++seenTypes_["reason:" + s->reason];
      }
      if (const auto* l = std::get_if<events::QueueLeft>(&e.payload))
        ++seenTypes_["left:" + l->reason];
      if (const auto* t = std::get_if<events::CallTransferred>(&e.payload)) {
        ++seenTypes_["transfer:" + t->mode];
      }
      if (const auto* c = std::get_if<events::CallEnded>(&e.payload)) {
        ++seenTypes_["ended:" + c->cause + "/" + c->hungUpBy];
      }
      std::visit([&](const auto& p) { onEvent(e, p); }, e.payload);
    }
  }

  template <typename T>
  void onEvent(const events::Event&, const T&) {}

  void onEvent(const events::Event& e, const events::CallArrived&) {
    if (!arrived_.insert(e.callId).second) fail("call.arrived twice");
    open_.insert(e.callId);
    tracked_[e.callId].arrived = e.ts;
  }
  void onEvent(const events::Event& e, const events::CallOriginated&) {
    if (!arrived_.insert(e.callId).second) fail("call.originated twice");
    open_.insert(e.callId);
    tracked_[e.callId].arrived = e.ts;
  }
  void onEvent(const events::Event& e, const events::CallConsultStarted& p) {
    ++seenTypes_["consult:" + p.targetType];
    if (!arrived_.insert(e.callId).second) fail("call.consult_started twice");
    open_.insert(e.callId);
    consults_.insert(e.callId);
  }
  void onEvent(const events::Event& e, const events::QueueJoined& p) {
    Tracked& t = tracked_[e.callId];
    t.queue = p.queue;
    t.priority = p.priority;
    t.waiting = true;
    t.offered = false;
  }
  void onEvent(const events::Event& e, const events::CallIntercepted&) {
    // The offer to the agent whose phone rang ends here (their state change follows).
    tracked_[e.callId].offered = false;
    tracked_[e.callId].offeredTo.clear();
  }
  void onEvent(const events::Event& e, const events::RoutingDecided& p) {
    // An intercept or a transfer to a named agent passes the queue's order on purpose.
    tracked_[e.callId].directed =
        p.rule.starts_with("intercepted by ") || p.rule.starts_with("transferred by ");
  }
  void onEvent(const events::Event& e, const events::QueueLeft&) {
    tracked_[e.callId].waiting = false;
  }
  void onEvent(const events::Event& e, const events::CallAnswered&) { ++answered_; }
  void onEvent(const events::Event& e, const events::CallEnded&) {
    if (!arrived_.contains(e.callId)) fail("call.ended without call.arrived");
    ++ended_[e.callId];
    open_.erase(e.callId);
    tracked_.erase(e.callId);
  }
  void onEvent(const events::Event& e, const events::AgentStateChanged& p) {
    auto [it, inserted] = agentState_.emplace(p.agentNo, AgentState::LoggedOut);
    if (it->second != p.from) {
      fail(fmt::format("agent {} went {}->{} but was {}", p.agentNo, events::agentStateName(p.from),
                       events::agentStateName(p.to), events::agentStateName(it->second)));
    }
    it->second = p.to;
    if (p.to == AgentState::Reserved) reservedFor_[p.agentNo] = e.callId;
    if (p.from == AgentState::Reserved && p.to != AgentState::OnCall) {
      // The offer ended without an answer: the call (if still waiting) is routable again.
      // (Unless it was intercepted meanwhile and is offered to someone else now.)
      if (auto t = tracked_.find(reservedFor_[p.agentNo]);
          t != tracked_.end() && t->second.offeredTo == p.agentNo) {
        t->second.offered = false;
        t->second.offeredTo.clear();
      }
    }
  }
  void onEvent(const events::Event& e, const events::CallOffered& p) {
    // No agent is offered two calls: the offer follows the agent's move to reserved for it.
    if (agentState_[p.agentNo] != AgentState::Reserved || reservedFor_[p.agentNo] != e.callId) {
      fail("call.offered to agent " + p.agentNo + " not reserved for it");
    }
    if (consults_.contains(e.callId)) return;  // a colleague is consulted: no queue
    if (auto c = findCall(e.callId); c && c->peerAgent == p.agentNo) return;  // called directly
    auto it = tracked_.find(e.callId);
    if (it == tracked_.end() || !it->second.waiting) {
      fail("call.offered for a call not waiting");
      return;
    }
    Tracked& x = it->second;
    if (x.offered) fail("call offered twice at once");
    // FIFO within a priority: no older call of the same queue and priority waits un-offered.
    if (x.priority != kReQueuePriority && !x.directed) {
      for (const auto& [id, y] : tracked_) {
        if (id == e.callId || !y.waiting || y.offered || y.queue != x.queue) continue;
        if (y.priority == x.priority && y.arrived < x.arrived) {
          fail(fmt::format("FIFO: call {} offered before older call {} in {}", e.callId, id,
                           x.queue));
        }
      }
    }
    x.offered = true;
    x.offeredTo = p.agentNo;
  }

  bool check(const char* when) {
    followEvents();
    const auto calls = b_.core().calls();
    const auto agents = b_.core().agents();
    std::map<std::string, const CallView*> byAgent;
    std::size_t inAcd = 0;
    std::set<std::string> live;
    std::map<std::string, const CallView*> byParty;  ///< consulted or conferenced agents
    /// Called colleagues and queue-dialling agents. A colleague called from the desktop is
    /// named before the caller's own phone answers (Dialing) and is only then made busy, so
    /// meanwhile they may take another call: only calls past Dialing must not share a peer.
    std::multimap<std::string, const CallView*> byPeer;
    for (const auto& c : calls) {
      if (!c.peerAgent.empty()) {
        if (c.phase != CallView::Phase::Dialing) {
          auto [from, to] = byPeer.equal_range(c.peerAgent);
          for (auto it = from; it != to; ++it) {
            if (it->second->phase != CallView::Phase::Dialing) {
              fail("agent " + c.peerAgent + " is the peer of two calls");
            }
          }
        }
        byPeer.emplace(c.peerAgent, &c);
      }
      live.insert(c.callId);
      if (c.partyStage == "queued" || c.partyStage == "ringing" || c.partyStage == "consulting") {
        live.insert(c.consultCallId);
      }
      // A consult to a queue is in the ACD until its colleague answers.
      if (c.partyStage == "queued" || (c.partyStage == "ringing" && !c.partyQueue.empty())) {
        ++inAcd;
      }
      if (!c.partyStage.empty() && c.partyType == "agent") {
        if (byParty.contains(c.party)) fail("agent " + c.party + " is the party of two calls");
        byParty[c.party] = &c;
      }
      if (!arrived_.contains(c.callId)) fail("a live call without call.arrived");
      if (ended_.contains(c.callId)) fail("a live call that has ended");
      if (c.phase == CallView::Phase::Queued || c.phase == CallView::Phase::Offered) ++inAcd;
      if (c.agentNo.empty()) {
        // (A call connected without an agent talks to the fallback number.)
        if (c.phase == CallView::Phase::Offered) fail("an offered call without an agent");
        continue;
      }
      if (byAgent.contains(c.agentNo)) fail("agent " + c.agentNo + " has two calls");
      byAgent[c.agentNo] = &c;
    }
    if (inAcd != b_.core().acd().waitingCalls()) {
      fail(fmt::format("{} calls waiting in the core, {} in the ACD", inAcd,
                       b_.core().acd().waitingCalls()));
    }
    // No call lost: every arrived call has ended or is live.
    for (const auto& id : open_) {
      if (!live.contains(id)) fail("call " + id + " was lost");
    }
    for (const auto& a : agents) {
      if (agentState_.contains(a.agentNo) && agentState_[a.agentNo] != a.state) {
        fail("agent " + a.agentNo + ": state differs from its events");
      }
      const bool busy = a.state == AgentState::Reserved || a.state == AgentState::OnCall;
      if (auto p = byParty.find(a.agentNo); p != byParty.end()) {
        // A consulted colleague works on the consult; a conferenced one on the customer's call.
        const CallView& c = *p->second;
        const std::string& expected = c.partyStage == "conferenced" ? c.callId : c.consultCallId;
        if (!busy || a.callId != expected) {
          fail(fmt::format("agent {} is the {} party of {} but {} on {}", a.agentNo, c.partyStage,
                           c.callId, events::agentStateName(a.state), a.callId));
        }
        if (byAgent.contains(a.agentNo)) fail("agent " + a.agentNo + " is owner and party");
        continue;
      }
      auto [peerFrom, peerTo] = byPeer.equal_range(a.agentNo);
      if (std::any_of(peerFrom, peerTo,
                      [&](const auto& p) { return a.callId == p.second->callId; })) {
        if (byAgent.contains(a.agentNo)) fail("agent " + a.agentNo + " is owner and peer");
        continue;
      }
      auto it = byAgent.find(a.agentNo);
      if (busy && (it == byAgent.end() || it->second->callId != a.callId)) {
        fail(fmt::format("agent {} is {} without its call", a.agentNo,
                         events::agentStateName(a.state)));
      }
      if (!busy && it != byAgent.end()) {
        fail(fmt::format("agent {} is {} but has call {}", a.agentNo,
                         events::agentStateName(a.state), it->second->callId));
      }
    }
    checkLines(agents);
    if (!failure_.empty()) failure_ += fmt::format(" ({})", when);
    return failure_.empty();
  }

  std::mt19937 rng_;
  CoreBench b_;
  std::vector<AgentSim> agents_;
  std::vector<LegId> callers_;
  std::size_t seen_ = 0;
  std::size_t commandsSeen_ = 0;
  std::map<std::string, LegId> lastLeg_;
  std::map<std::string, std::vector<LegId>> rung_;  ///< legs originated to a number, not ended
  std::set<std::string> arrived_;
  std::set<std::string> open_;  ///< arrived and not ended
  std::map<std::string, int> ended_;
  std::set<std::string> consults_;
  std::map<std::string, Tracked> tracked_;
  std::map<std::string, AgentState> agentState_;
  std::map<std::string, std::string> reservedFor_;
  std::size_t answered_ = 0;
  std::map<std::string, int> seenTypes_;
  std::string failure_;
  bool supervisorPhone_ = false;
  std::string monitored_;  ///< the agent the supervisor last asked to monitor
};

TEST(CallControlRandomTest, InvariantsHoldThroughoutLongSeededRuns) {
  // Thousands of calls: keep the log to errors.
  const auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::err);
  for (std::uint32_t seed : {1u, 2u, 20260101u}) {
    RandomRun run(seed);
    bool ok = true;
    for (int second = 0; ok && second < 2 * 3600; ++second) ok = run.step(true);
    if (ok) ok = run.drain();
    EXPECT_TRUE(ok) << "seed " << seed << ": " << run.failure();
    if (!ok) run.dumpTail();
    // The run exercised the core: many calls, most of them answered.
    EXPECT_GT(run.arrivedCalls(), 1500u) << "seed " << seed;
    EXPECT_GT(run.answeredCalls(), 500u) << "seed " << seed;
    for (const char* what : {"call.agent_lost",
                             "reason:no_answer",
                             "reason:phone_unavailable",
                             "left:full",
                             "left:abandoned",
                             "ended:normal/agent",
                             "ended:normal/caller",
                             "ended:queue_full/system",
                             "left:timed_out",
                             "wrapup.completed",
                             "wrapup.extended",
                             "agent.next_state_set",
                             "recording.stopped",
                             "call.held",
                             "call.retrieved",
                             "recording.paused",
                             "recording.resumed",
                             "call.transferred",
                             "supervisor.monitor_started",
                             "supervisor.monitor_ended",
                             "call.consult_started",
                             "call.consult_answered",
                             "call.consult_ended",
                             "call.conferenced",
                             "call.party_left",
                             "call.muted",
                             "call.unmuted",
                             "call.originated",
                             "call.intercepted",
                             "ended:normal/callee",
                             "ended:cancelled/agent",
                             "consult:queue",
                             "agent.line_changed",
                             "transfer:semi_attended",
                             "transfer:attended",
                             "transfer:blind",
                             "line:in_call",
                             "line:connected"}) {
      EXPECT_GT(run.seen().count(what) ? run.seen().at(what) : 0, 0)
          << "seed " << seed << " never saw " << what;
    }
  }
  spdlog::set_level(level);
}

}  // namespace
}  // namespace bankcc::callctl
