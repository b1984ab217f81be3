#pragma once

// What the torture test expects of the service: the spec as the test last wrote it, the
// revision history it implies (Kubernetes' numbering: a template applied again is
// re-numbered as the newest revision) and the ready-instance floor in force.
//
// The floor rule (checked on every sample of `get instances -o json`):
//   ready = instances with `ready` true whose phase is not Terminating, any revision
//     (the proxy sends a request to any revision with a ready instance when the one its
//     weights pick has none);
//   specFloor = replicas - maxUnavailable (RollingUpdate bounds of the spec: surge rounds
//     up, unavailable down, both 0 counts as unavailable 1), for every strategy; while
//     paused a scale-up waits, so replicas counts as at most what it was at the pause;
//   the bar in force is lowered at once when a step lowers specFloor (scale down, a
//     larger maxUnavailable) and raised to specFloor only once a sample has reached it;
//   a successful `rollout abort` drops the canary's share at once, by design: the bar
//     goes to 0 and is raised again once a sample reaches specFloor;
//   each SIGKILL of a ready instance lowers the bar by one more until the daemon has
//     seen it die (a sample lists it not ready, or not at all) and it is ready again
//     (restarted in place, same name), or it is gone (replaced) and a sample shows
//     specFloor again (a crash is an involuntary disruption, as for a PDB);
//   violation: ready < bar - kills.
// A bar that never rises again is caught by the convergence check, which needs every
// replica ready.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon.h"
#include "torture_plan.h"

namespace rollway::e2e::torture {

// One template the test made: its version label names it (never reused).
struct Template {
  std::string version;
  bool bad = false;  // never passes its readiness probe
  std::vector<std::string> appArgs;
};

class Model {
 public:
  explicit Model(const Plan& plan);

  // The spec for `apply -f`.
  DemoService service(uint16_t port) const;

  // A new template (the next version); does not change the current one.
  const Template& newTemplate(bool bad, bool appErrors, int readyDelayMs);
  // Makes `version` the template: the same revision, an older one re-numbered or a new one.
  // Returns the revision number it now has.
  int64_t applyTemplate(std::string version);  // by value: callers pass names from revisions()
  void setReplicas(int replicas);
  void setStrategy(const Strategy& strategy);
  void setPaused(bool paused) {
    if (paused && !paused_) pausedReplicas_ = replicas_;
    paused_ = paused;
  }
  // Revisions the daemon pruned (history limit): forgotten here too.
  void forget(int64_t number) { revisions_.erase(number); }

  int replicas() const { return replicas_; }
  const Strategy& strategy() const { return strategy_; }
  bool paused() const { return paused_; }
  const Plan& plan() const { return plan_; }
  int64_t currentRevision() const { return current_; }
  const Template& current() const { return templates_.at(revisions_.at(current_)); }
  const Template* byVersion(const std::string& version) const;
  // number -> version of every revision the model believes exists.
  const std::map<int64_t, std::string>& revisions() const { return revisions_; }

  // The ready-instance floor (see the comment at the top), given the names of one
  // sample's ready instances and of all those not terminating.
  void sample(const std::set<std::string>& ready, const std::set<std::string>& live);
  void killedReady(const std::string& name) { killed_[name] = false; }
  void aborted() { bar_ = 0; }
  int bar() const { return bar_ - static_cast<int>(killed_.size()); }
  int specFloor() const { return readyFloor(paused_ ? std::min(replicas_, pausedReplicas_) : replicas_, strategy_); }
  std::string floorText() const;

 private:
  void lowerFloor();

  Plan plan_;
  int replicas_;
  Strategy strategy_;
  bool paused_ = false;
  int pausedReplicas_ = 0;  // replicas when the pause began
  int nextVersion_ = 1;
  std::map<std::string, Template> templates_;
  std::map<int64_t, std::string> revisions_;
  int64_t current_ = 0;
  int bar_ = 0;
  std::map<std::string, bool> killed_;  // ready instances SIGKILLed, until back -> seen dead
};

}  // namespace rollway::e2e::torture
