#pragma once

// One torture sequence against a real daemon under load: the steps of a Plan, the
// invariants after every step and at the end (see torture_model.h for the ready floor
// and README.md of tests/e2e for the whole list). The first broken invariant ends the
// sequence; failure() then says what broke, and report() adds the seed, the steps so
// far and the daemon log's tail.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon.h"
#include "harness.h"
#include "load_client.h"
#include "torture_model.h"
#include "torture_plan.h"

namespace rollway::e2e::torture {

class Sequence {
 public:
  explicit Sequence(Plan plan);
  ~Sequence();
  Sequence(const Sequence&) = delete;
  Sequence& operator=(const Sequence&) = delete;

  // The whole sequence; false at the first broken invariant.
  bool execute();
  const std::string& failure() const { return failure_; }
  std::string report() const;
  // The steps as run, with what each answered.
  std::string steps() const;
  // Writes the daemon's whole log (every start) to `path`.
  void saveDaemonLog(const std::string& path) const;
  // What the load client counted, for the summary line.
  std::string loadSummary() const;

 private:
  // torture_sequence.cc: the sequence and the steps.
  bool start();
  bool step(const Step& step);
  // `before`: the model before the step, to replay an automatic rollback that raced it.
  bool applyModel(const std::string& why, bool newTemplate, const Model* before = nullptr);
  int verb(const std::vector<std::string>& args, bool mayRefuse);
  bool undo(const Step& step);
  bool undoTo(int64_t target, bool named);
  bool killDaemon(const Step& step);
  bool killInstance(uint64_t pick, bool daemonDown);
  bool finish();
  void note(const std::string& line);

  // torture_checks.cc: the invariants.
  bool fail(const std::string& what);
  nlohmann::json cliJson(const std::vector<std::string>& args);
  bool gap(std::chrono::milliseconds length);
  std::vector<nlohmann::json> instancesNow();   // every instance, terminating too
  std::vector<nlohmann::json> liveInstances();  // not terminating
  bool sample();
  bool checkPaused(const std::vector<nlohmann::json>& all, const std::string& list);
  bool checkLoad();
  bool checkGeneration();
  bool completeIsConsistent(const nlohmann::json& status);
  bool syncTemplate();
  std::string rolledBackTo();
  bool replayRollback(Model before, const std::string& applied, int64_t got);
  nlohmann::json history();
  bool checkHistory();
  bool ours(pid_t pid) const;
  std::vector<pid_t> scanProcesses();
  bool checkNoLeftovers();

  // torture_converge.cc: drive the rollout to its end, then compare with the spec.
  bool converge();
  bool undoToGood();
  bool verifyComplete(const nlohmann::json& service, std::string& why);
  bool verifyDegraded(const nlohmann::json& status, std::string& why);

  Plan plan_;
  Model model_;
  TempDir tmp_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<LoadClient> load_;
  uint16_t port_ = 0;
  std::chrono::steady_clock::time_point begin_;
  std::vector<std::string> log_;  // the steps as run, with their outcomes
  std::string failure_;
  std::set<pid_t> pids_;          // every process of this sequence ever seen
  std::set<pid_t> lastReady_;     // the ready instances of the last sample
  std::map<pid_t, std::string> names_;  // and the names of its PIDs
  std::optional<std::set<std::string>> pausedLive_;  // while paused: the instances not terminating at first
  std::set<std::string> pausedKnown_;                // and all of them
  int64_t lastEventId_ = 0;       // events read by syncTemplate
};

}  // namespace rollway::e2e::torture
