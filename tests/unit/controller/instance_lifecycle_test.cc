// InstanceSet (the phases of an instance) and Terminator (the termination sequence),
// each against the fakes, without the Controller: a real Store, a FakeClock with
// ManualTimers, the fake runtime, health source and proxy. Table-driven where the
// question is "which phase after which verdict".
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "fakes/fake_health.h"
#include "fakes/fake_proxy.h"
#include "fakes/fake_runtime.h"
#include "rollway/common/timer.h"
#include "rollway/controller/instance_set.h"
#include "rollway/controller/terminator.h"
#include "rollway/spec/parser.h"
#include "rollway/spec/serialize.h"
#include "unit/store/temp_dir.h"

namespace rollway::controller::fakes {
namespace {

using namespace std::chrono_literals;
using probe::ProbeEventKind;

spec::Template tmpl(const std::string& version, int grace = 30, const std::string& preStop = "") {
  std::string yaml = "apiVersion: rollway.dev/v1\nkind: Service\nmetadata: {name: web}\nspec:\n  replicas: 1\n"
                     "  listen: 127.0.0.1:18080\n  template:\n    version: " + version +
                     "\n    command: [/bin/app]\n    terminationGracePeriodSeconds: " + std::to_string(grace) + "\n" +
                     (preStop.empty() ? "" : "    lifecycle: {preStop: " + preStop + "}\n");
  auto specs = spec::parseServices(yaml, "t.yaml");
  if (!specs) throw std::runtime_error(specs.error().message);
  return specs->front().tmpl;
}

class Parts {
 public:
  Parts() {
    auto opened = store::Store::open(dir_.file("state.db"), clock);
    if (!opened) throw std::runtime_error(opened.error().message);
    store_ = std::move(*opened);
    events_ = std::make_unique<EventLog>(*store_, nullLogger());
    set = std::make_unique<InstanceSet>(
        InstanceSetDeps{io_, clock, random_, runtime, health, *store_, *events_, nullLogger()},
        InstanceSetOptions{47000, 47009, {}, {}},
        InstanceSetHooks{[](const Instance& i) { return i.revision; }, [](const std::string&) { return 0; },
                         [this](std::chrono::milliseconds d) { wakes.push_back(d); }});
    terminator = std::make_unique<Terminator>(
        TerminatorDeps{io_, clock, timers, runtime, health, proxy, *set, *events_}, 100ms,
        TerminatorHooks{[this] { pushes++; }, [this] { return pushError; },
                        [this](const std::string& service) { finished.push_back(service); }});
    health.setEventCallback([this](const std::string& name, const probe::ProbeEvent& e) { effects.push_back(set->onProbe(name, e)); });
    runtime.setExitCallback([this](const std::string& name, const supervisor::ExitInfo& exit) {
      Instance* inst = set->find(name);
      if (inst == nullptr) return;
      if (inst->phase == InstancePhase::kTerminating) {
        terminator->exited(name, exit);
      } else {
        set->onCrash(*inst, exit);
      }
    });
  }

  // Runs what is posted and the timers due by the clock, as the control thread would.
  void run() {
    for (int i = 0; i < 1000; ++i) {
      if (io_.poll_one() != 0) continue;
      io_.restart();
      if (io_.poll_one() != 0) continue;
      if (timers.fireDue() == 0) break;
    }
    io_.restart();
  }
  void after(std::chrono::milliseconds d) {
    clock.advance(d);
    run();
  }
  Instance& create(const std::string& version = "v1", int grace = 30, const std::string& preStop = "") {
    auto t = tmpl(version, grace, preStop);
    Instance* inst = set->create("web", spec::templateHash(t), 1, t);
    if (inst == nullptr) throw std::runtime_error("no instance");
    return *inst;
  }
  Instance& healthy(const std::string& version = "v1") {
    Instance& inst = create(version);
    health.healthy(inst.name);
    return inst;
  }
  std::vector<std::string> reasons() {
    std::vector<std::string> out;
    auto events = store_->listEvents(store::EventFilter{});
    if (events) {
      for (const auto& e : *events) out.push_back(e.reason);
    }
    return out;
  }
  bool has(const std::string& reason) {
    auto r = reasons();
    return std::find(r.begin(), r.end(), reason) != r.end();
  }
  std::string storedState(const std::string& name) {
    auto records = store_->listInstances();
    for (const auto& r : *records) {
      if (r.name == name) return r.state;
    }
    return "(none)";
  }

  FakeClock clock;
  ManualTimers timers{clock};
  FakeRuntime runtime;
  FakeHealth health;
  std::unique_ptr<InstanceSet> set;
  std::unique_ptr<Terminator> terminator;
  std::vector<std::chrono::milliseconds> wakes;
  std::vector<ProbeEffect> effects;
  std::vector<std::string> finished;
  int pushes = 0;
  std::string pushError;

 private:
  store::TempDir dir_;
  asio::io_context io_;

 public:
  FakeProxy proxy{io_};

 private:
  SeededRandom random_{3};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<EventLog> events_;
};

// ---- InstanceSet: one phase per instance, moved by probe verdicts and exits ----

// What an earlier daemon recorded: `name` of `service` at revision `revision`, pid `pid`
// (start ticks 1000 + pid), in `state`.
store::InstanceRecord recorded(const std::string& name, const std::string& service, int64_t revision, int pid,
                               int port, const std::string& state) {
  store::InstanceRecord r;
  r.name = name;
  r.service = service;
  r.revision = revision;
  r.pid = pid;
  r.startTimeTicks = 1000 + pid;
  r.port = port;
  r.state = state;
  return r;
}

struct ProbeCase {
  const char* name;
  std::vector<ProbeEventKind> verdicts;
  InstancePhase phase;
  bool inRotation;
  bool available;
  const char* stored;  // the state recorded in the store
};

class ProbePhases : public ::testing::TestWithParam<ProbeCase> {};

TEST_P(ProbePhases, EndIn) {
  const ProbeCase& c = GetParam();
  Parts p;
  Instance& inst = p.create();
  for (ProbeEventKind k : c.verdicts) p.health.emit(inst.name, k);
  EXPECT_EQ(toString(inst.phase), std::string(toString(c.phase)));
  EXPECT_EQ(inst.inRotation(), c.inRotation);
  EXPECT_EQ(inst.countsAvailable(), c.available);
  EXPECT_EQ(p.storedState(inst.name), c.stored);
}

INSTANTIATE_TEST_SUITE_P(
    Verdicts, ProbePhases,
    ::testing::Values(
        ProbeCase{"Started", {}, InstancePhase::kStarting, false, false, "Starting"},
        ProbeCase{"Ready", {ProbeEventKind::kReady}, InstancePhase::kReady, true, false, "Ready"},
        ProbeCase{"Available", {ProbeEventKind::kReady, ProbeEventKind::kAvailable}, InstancePhase::kAvailable, true,
                  true, "Available"},
        ProbeCase{"NotReadyAfterAvailable",
                  {ProbeEventKind::kReady, ProbeEventKind::kAvailable, ProbeEventKind::kNotReady},
                  InstancePhase::kNotReady, false, false, "NotReady"},
        // A late "available" for an instance that lost readiness is stale: not available
        // while out of rotation (before: counted available, not in rotation).
        ProbeCase{"StaleAvailableIgnored",
                  {ProbeEventKind::kReady, ProbeEventKind::kNotReady, ProbeEventKind::kAvailable},
                  InstancePhase::kNotReady, false, false, "NotReady"},
        ProbeCase{"ReadyAgainIsNotAvailableYet",
                  {ProbeEventKind::kReady, ProbeEventKind::kAvailable, ProbeEventKind::kNotReady, ProbeEventKind::kReady},
                  InstancePhase::kReady, true, false, "Ready"},
        ProbeCase{"RepeatedReadyKeepsAvailable",
                  {ProbeEventKind::kReady, ProbeEventKind::kAvailable, ProbeEventKind::kReady},
                  InstancePhase::kAvailable, true, true, "Available"},
        ProbeCase{"RestartRequiredLeavesThePhaseToTheTerminator",
                  {ProbeEventKind::kReady, ProbeEventKind::kRestartRequired}, InstancePhase::kReady, true, false,
                  "Ready"}),
    [](const auto& param) { return std::string(param.param.name); });

TEST(InstanceSet, CreateRecordsBeforeStartingThenProbesOnItsPort) {
  Parts p;
  Instance& inst = p.create();
  EXPECT_EQ(p.runtime.count("start"), 1u);
  EXPECT_EQ(p.health.probed.at(inst.name), inst.port);
  EXPECT_EQ(p.storedState(inst.name), "Starting");
  EXPECT_TRUE(p.has("Started"));
}

TEST(InstanceSet, AFailedStartIsACrashWithItsReasonAndAWakeUp) {
  Parts p;
  p.runtime.failStart.insert("v1");
  Instance& inst = p.create();
  EXPECT_EQ(inst.phase, InstancePhase::kBackOff);
  EXPECT_TRUE(inst.message.starts_with("FailedStart: ")) << inst.message;
  EXPECT_EQ(p.wakes.size(), 1u);
  EXPECT_FALSE(p.health.probed.contains(inst.name)) << "nothing to probe";
  EXPECT_EQ(p.storedState(inst.name), "CrashLoopBackOff");
}

TEST(InstanceSet, ACrashBacksOffThenRestartsInPlaceOnlyWhenTheBackOffIsOver) {
  Parts p;
  Instance& inst = p.healthy();
  std::string name = inst.name;
  int port = inst.port;
  p.runtime.exit(name, supervisor::ExitInfo::exited(3));
  EXPECT_EQ(inst.phase, InstancePhase::kBackOff);
  EXPECT_FALSE(inst.inRotation());
  EXPECT_FALSE(p.health.probed.contains(name));
  ASSERT_FALSE(p.wakes.empty());
  p.set->restartDue("web");
  EXPECT_EQ(p.runtime.count("start"), 1u) << "not before the back-off ends";
  p.clock.advance(p.wakes.back());
  p.set->restartDue("web");
  EXPECT_EQ(p.runtime.count("start"), 2u);
  EXPECT_EQ(inst.phase, InstancePhase::kStarting);
  EXPECT_EQ(inst.name, name);
  EXPECT_EQ(inst.port, port) << "the same slot";
  EXPECT_EQ(inst.backoff.restartCount(), 1);
  EXPECT_TRUE(p.has("Restarted"));
}

TEST(InstanceSet, ProbeVerdictsForAnInstanceNotRunningAreIgnored) {
  Parts p;
  Instance& inst = p.healthy();
  p.runtime.exit(inst.name, supervisor::ExitInfo::exited(1));
  p.effects.clear();
  p.health.emit(inst.name, ProbeEventKind::kReady);
  EXPECT_EQ(p.effects, std::vector<ProbeEffect>{ProbeEffect::kIgnored});
  EXPECT_EQ(inst.phase, InstancePhase::kBackOff);
}

TEST(InstanceSet, AdoptedWhileReadyStaysInRotationUntilItsProbeSpeaksOrTheWindowEnds) {
  Parts p;
  auto r = recorded("web-1-adopt", "web", 1, 777, 47005, "Available");
  p.runtime.keepAlive(r.pid, r.startTimeTicks);
  ASSERT_TRUE(p.set->adopt(r, tmpl("v1")));
  Instance* adopted = p.set->find("web-1-adopt");
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(adopted->phase, InstancePhase::kAssumedReady);
  EXPECT_TRUE(adopted->inRotation());
  EXPECT_TRUE(adopted->countsAvailable());
  p.clock.advance(9s);
  p.set->expireAssumptions();
  EXPECT_EQ(adopted->phase, InstancePhase::kAssumedReady);
  p.clock.advance(2s);
  p.set->expireAssumptions();
  EXPECT_EQ(adopted->phase, InstancePhase::kStarting) << "its probe never spoke in 10 s";
}

TEST(InstanceSet, AnAdoptedInstanceWhoseProbeSpeaksLeavesTheAssumption) {
  Parts p;
  auto r = recorded("web-1-adopt", "web", 1, 777, 47005, "Ready");
  p.runtime.keepAlive(r.pid, r.startTimeTicks);
  ASSERT_TRUE(p.set->adopt(r, tmpl("v1")));
  Instance* adopted = p.set->find("web-1-adopt");
  p.health.emit(adopted->name, ProbeEventKind::kNotReady);
  EXPECT_EQ(adopted->phase, InstancePhase::kNotReady);
  EXPECT_FALSE(adopted->inRotation());
}

TEST(InstanceSet, AnAdoptedInstanceWithoutItsRevisionIsNotProbed) {
  Parts p;
  auto r = recorded("web-9-orphan", "gone", 9, 779, 47007, "Ready");
  p.runtime.keepAlive(r.pid, r.startTimeTicks);
  ASSERT_TRUE(p.set->adopt(r, std::nullopt));
  Instance* orphan = p.set->find("web-9-orphan");
  ASSERT_NE(orphan, nullptr);
  EXPECT_TRUE(orphan->hash.empty());
  EXPECT_FALSE(p.health.probed.contains(orphan->name));
}

TEST(InstanceSet, AnAdoptedInstanceWhoseProcessDiedIsForgotten) {
  Parts p;
  auto r = recorded("web-1-dead", "web", 1, 778, 47006, "Ready");
  EXPECT_FALSE(p.set->adopt(r, tmpl("v1")));
  EXPECT_EQ(p.set->find("web-1-dead"), nullptr);
  EXPECT_TRUE(p.has("InstanceLost"));
}

TEST(InstanceSet, AnErasedInstanceGivesItsPortBack) {
  Parts p;
  // The window has 10 ports; another process on this machine may hold some of them.
  std::set<int> ports;
  for (int i = 0; i < 10; ++i) {
    if (Instance* inst = p.set->create("web", "h", 1, tmpl("v1"))) ports.insert(inst->port);
  }
  ASSERT_FALSE(ports.empty());
  EXPECT_EQ(p.set->all().size(), ports.size()) << "every port handed out once";
  EXPECT_EQ(p.set->create("web", "h", 1, tmpl("v1")), nullptr) << "the window is used up";
  EXPECT_TRUE(p.has("FailedCreate"));
  std::string any = p.set->all().begin()->first;
  int freed = p.set->find(any)->port;
  p.set->erase(any);
  Instance* again = p.set->create("web", "h", 1, tmpl("v1"));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->port, freed);
}

// ---- Terminator: out of rotation, drain, preStop, SIGTERM, SIGKILL ----

TEST(Terminator, NothingIsSignalledBeforeTheProxyHasTheInstanceOutOfRotation) {
  Parts p;
  Instance& inst = p.healthy();
  std::string name = inst.name;
  p.terminator->stop(inst, "scaling down");
  p.run();
  EXPECT_EQ(inst.phase, InstancePhase::kTerminating);
  EXPECT_TRUE(inst.draining());
  EXPECT_FALSE(inst.inRotation());
  EXPECT_GE(p.pushes, 1) << "it asked for the snapshot";
  p.after(60s);
  EXPECT_EQ(p.runtime.count("terminate"), 0u) << "however long the proxy takes";
  p.terminator->snapshotLanded();
  p.run();
  EXPECT_EQ(p.runtime.count("terminate"), 1u);
  EXPECT_TRUE(p.has("Drained"));
  p.runtime.exit(name);
  EXPECT_EQ(p.set->find(name), nullptr);
  EXPECT_EQ(p.finished, std::vector<std::string>{"web"});
  EXPECT_TRUE(p.has("Stopped"));
}

TEST(Terminator, APushErrorIsOneDrainBlockedEventNotOnePerPoll) {
  Parts p;
  Instance& inst = p.healthy();
  p.pushError = "proxy refused";
  p.terminator->stop(inst, "scaling down");
  for (int i = 0; i < 5; ++i) p.after(1s);
  auto r = p.reasons();
  EXPECT_EQ(std::count(r.begin(), r.end(), "DrainBlocked"), 1);
  EXPECT_EQ(p.runtime.count("terminate"), 0u);
}

TEST(Terminator, InFlightRequestsHoldTheSigtermUntilTheyFinishOrTheGraceEnds) {
  Parts p;
  Instance& inst = p.create("v1", 10);
  p.health.healthy(inst.name);
  p.proxy.inFlightByAddress[inst.address()] = 3;
  p.terminator->stop(inst, "scaling down");
  p.terminator->snapshotLanded();
  p.after(5s);
  EXPECT_EQ(p.runtime.count("terminate"), 0u);
  p.after(5s);  // the grace period is over
  ASSERT_EQ(p.runtime.count("terminate"), 1u);
  EXPECT_EQ(p.runtime.actions.back(), "terminate " + inst.name + " 2000ms") << "SIGTERM still gets 2 s";
}

TEST(Terminator, AProxyThatDoesNotAnswerTheInFlightQueryIsWaitedForUpToTheGrace) {
  Parts p;
  Instance& inst = p.create("v1", 4);
  p.health.healthy(inst.name);
  p.proxy.refuseInFlight = "connection refused";
  p.terminator->stop(inst, "scaling down");
  p.terminator->snapshotLanded();
  p.after(3s);
  EXPECT_EQ(p.runtime.count("terminate"), 0u);
  EXPECT_TRUE(p.has("InFlightUnknown"));
  p.after(2s);
  EXPECT_EQ(p.runtime.count("terminate"), 1u);
}

TEST(Terminator, PreStopSleepTakesItsPartOfTheGraceThenSigtermGetsTheRest) {
  Parts p;
  Instance& inst = p.create("v1", 30, "{sleep: {seconds: 5}}");
  p.health.healthy(inst.name);
  p.terminator->stop(inst, "scaling down");
  p.terminator->snapshotLanded();
  p.run();
  EXPECT_TRUE(p.has("PreStop"));
  p.after(4s);
  EXPECT_EQ(p.runtime.count("terminate"), 0u);
  p.after(1s);
  ASSERT_EQ(p.runtime.count("terminate"), 1u);
  EXPECT_EQ(p.runtime.actions.back(), "terminate " + inst.name + " 25000ms");
}

TEST(Terminator, AnInstanceThatDoesNotRunIsStoppedAtOnce) {
  Parts p;
  Instance& inst = p.healthy();
  std::string name = inst.name;
  p.runtime.exit(name, supervisor::ExitInfo::exited(1));
  ASSERT_EQ(inst.phase, InstancePhase::kBackOff);
  p.terminator->stop(inst, "scaling down");
  EXPECT_EQ(p.set->find(name), nullptr);
  EXPECT_EQ(p.runtime.count("terminate"), 0u);
  EXPECT_EQ(p.finished.size(), 1u);
}

TEST(Terminator, ALivenessRestartDrainsThenTheExitPutsItInBackOff) {
  Parts p;
  Instance& inst = p.healthy();
  std::string name = inst.name;
  p.terminator->restart(inst, "liveness probe failed");
  EXPECT_EQ(inst.phase, InstancePhase::kRestarting);
  EXPECT_FALSE(inst.inRotation());
  EXPECT_TRUE(inst.draining());
  EXPECT_EQ(p.set->toJson(inst).value("phase", ""), "Restarting") << "what `get instances` shows";
  EXPECT_EQ(p.storedState(name), "Restarting");
  p.effects.clear();
  p.health.emit(name, ProbeEventKind::kReady);
  EXPECT_EQ(p.effects, std::vector<ProbeEffect>{ProbeEffect::kIgnored}) << "no verdict while it restarts";
  p.terminator->snapshotLanded();
  p.run();
  EXPECT_EQ(p.runtime.count("terminate"), 1u);
  p.runtime.exit(name, supervisor::ExitInfo::signaled(15));
  EXPECT_EQ(inst.phase, InstancePhase::kBackOff);
  EXPECT_FALSE(inst.draining());
  EXPECT_TRUE(p.has("Killed"));
  EXPECT_TRUE(p.finished.empty()) << "restarted in place, not gone";
}

TEST(Terminator, ALivenessRestartWaitsForTheProxyOnlyUpToItsGrace) {
  Parts p;
  Instance& inst = p.create("v1", 5);
  p.health.healthy(inst.name);
  p.terminator->restart(inst, "liveness probe failed");
  p.after(4s);
  EXPECT_EQ(p.runtime.count("terminate"), 0u);
  p.after(2s);
  EXPECT_EQ(p.runtime.count("terminate"), 1u) << "involuntary: it does not wait for the proxy forever";
}

TEST(Terminator, AStopDuringARestartEndsTheInstanceWhenItExits) {
  Parts p;
  Instance& inst = p.healthy();
  std::string name = inst.name;
  p.terminator->restart(inst, "liveness probe failed");
  p.terminator->snapshotLanded();
  p.run();
  p.terminator->stop(inst, "scaling down");
  EXPECT_EQ(inst.phase, InstancePhase::kTerminating);
  EXPECT_EQ(p.runtime.count("terminate"), 1u) << "the sequence under way goes on";
  p.runtime.exit(name);
  EXPECT_EQ(p.set->find(name), nullptr);
  EXPECT_EQ(p.finished.size(), 1u);
}

TEST(Terminator, KilledAfterGraceIsReportedAsSuch) {
  Parts p;
  Instance& inst = p.healthy();
  std::string name = inst.name;
  p.terminator->stop(inst, "scaling down");
  p.terminator->snapshotLanded();
  p.run();
  p.runtime.exitKilledAfterGrace(name);
  EXPECT_TRUE(p.has("KilledAfterGrace"));
  EXPECT_EQ(p.set->find(name), nullptr);
}

}  // namespace
}  // namespace rollway::controller::fakes
