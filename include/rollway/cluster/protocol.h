#pragma once

// What the leader and the agents say to each other through etcd (docs/cluster.md), under
// the cluster's prefix:
//
//   assign/NODE/INSTANCE   the leader's wishes for one instance on NODE (fenced writes)
//   report/NODE/INSTANCE   what NODE's agent has done and sees of it
//
// The leader runs the controller unchanged; `RemoteRuntime` and `RemoteHealth` turn its
// calls into assignments and the reports back into its callbacks. The agent of each node
// runs what is assigned to it with its own supervisor and prober, and reports.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rollway/common/result.h"
#include "rollway/probe/probe_state.h"
#include "rollway/spec/service_spec.h"
#include "rollway/supervisor/exit_info.h"
#include "rollway/supervisor/launch_spec.h"

namespace rollway::cluster {

struct Assignment {
  std::string node;
  supervisor::LaunchSpec launch;           // instance, service, revision, port, command, env, ...
  // A new number: start it (again). The agent runs incarnation `start` once; an exit of
  // it is reported, and the leader bumps the number to start it again.
  uint64_t start = 1;
  std::optional<std::string> probeTemplate;  // spec::Template as JSON: probe it (HealthSource::add)
  int minReadySeconds = 0;
  std::optional<int64_t> terminateGraceMs;   // set: SIGTERM now, SIGKILL after the grace
  uint64_t preStopSeq = 0;                   // a new number: run preStopArgv (exec, in its context)
  std::vector<std::string> preStopArgv;
  int64_t preStopTimeoutMs = 0;
};

struct ReportedProbeEvent {
  uint64_t seq = 0;
  probe::ProbeEvent event;
};

struct InstanceReport {
  std::string node;
  std::string host;      // where it is reached: the node's advertised address
  int port = 0;
  uint64_t start = 0;    // the incarnation this report is about
  int64_t pid = 0;
  int64_t startTimeTicks = 0;
  std::string startError;                          // the start failed (FailedStart)
  std::optional<supervisor::ExitInfo> exit;        // it exited (after the start, or after a termination)
  std::optional<bool> killedAfterGrace;            // the termination's outcome, once it exited
  bool started = false;
  bool ready = false;
  bool available = false;
  bool restartRequired = false;
  uint64_t probeSuccesses = 0;
  uint64_t probeFailures = 0;
  std::vector<ReportedProbeEvent> probeEvents;     // the newest ones, oldest first
  uint64_t preStopSeq = 0;                         // the last preStop run that finished
  std::optional<supervisor::ExitInfo> preStopExit;
  std::string preStopError;
};

std::string assignKey(const std::string& node, const std::string& instance);  // "assign/NODE/INSTANCE"
std::string reportKey(const std::string& node, const std::string& instance);  // "report/NODE/INSTANCE"
// "NODE/INSTANCE" (a key without its "assign/" or "report/") split in two; false when not that.
bool splitNodeInstance(const std::string& rest, std::string& node, std::string& instance);

std::string toJson(const Assignment& a);
Result<Assignment> assignmentFromJson(const std::string& text);
std::string toJson(const InstanceReport& r);
Result<InstanceReport> reportFromJson(const std::string& text);

// The probe template of an assignment, parsed and validated as the spec parser does.
Result<spec::Template> templateFromJson(const std::string& service, const std::string& text);

}  // namespace rollway::cluster
