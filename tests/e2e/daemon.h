#pragma once

// `rollway serve` for end-to-end tests, and demo-app service specs to feed it.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.h"

namespace rollway::e2e {

// True while /proc/<pid> exists and is not a zombie (an orphaned instance whose parent
// died is reparented; a zombie is dead for our purposes).
bool processAlive(pid_t pid);

// A 100-port window in 21000-29999 that no other test process holds: claimed with an
// flock on /tmp/rollway-e2e-ports/FIRST.lock, released when this is destroyed or the
// process dies. (A window picked from the PID alone was shared by two parallel tests
// now and then, and one daemon's probe then reached the other's instance.)
class PortWindow {
 public:
  PortWindow();
  ~PortWindow();
  PortWindow(const PortWindow&) = delete;
  PortWindow& operator=(const PortWindow&) = delete;
  int first() const { return first_; }

 private:
  int first_ = 0;
  int fd_ = -1;
};

// A daemon on its own data dir with its own instance port window and a 1 s restart
// back-off. Destroying it runs `rollway down --all` (every instance drained and
// stopped, then the proxy), then SIGKILLs by PID anything it ever saw that still runs.
class Daemon {
 public:
  explicit Daemon(std::string dataDir, std::vector<std::string> extra = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  bool waitReady();
  // SIGTERM: the daemon exits, instances and proxy keep running. Returns its exit code.
  int stop();
  // SIGKILL the daemon only.
  void kill();
  // Starts it again on the same data dir (after stop() or kill()).
  void start();
  // `rollway down --all`; returns its exit code.
  int downAll();

  std::vector<std::string> cli(std::vector<std::string> args) const;
  CommandResult run(std::vector<std::string> args, std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  // Writes the service's YAML to DIR/NAME.yaml and runs `apply -f` on it.
  CommandResult apply(const struct DemoService& service, const std::string& dir) const;
  // `get instances -o json` items (remembers their PIDs for the clean-up).
  nlohmann::json instances(const std::string& service = "");
  // The service's ready instances once there are `n` of them (fewer when `timeout` passed).
  nlohmann::json waitReadyInstances(const std::string& service, size_t n, std::chrono::milliseconds timeout);
  // `rollway events SERVICE` (the last 1000), as printed.
  std::string events(const std::string& service) const;
  // Service status (`/v1/services/NAME/status` through `get`), or null.
  nlohmann::json status(const std::string& service) const;
  std::string socket() const { return dataDir_ + "/rollway.sock"; }
  std::string log() const;
  const std::string& dataDir() const { return dataDir_; }
  Process& process() { return *process_; }

 private:
  void rememberPids();

  std::string dataDir_;
  std::vector<std::string> extra_;
  std::unique_ptr<Process> process_;
  int starts_ = 0;
  PortWindow ports_;
  std::vector<pid_t> seen_;
};

// A demo-app service on 127.0.0.1:port, written as YAML.
struct DemoService {
  std::string name = "web";
  int replicas = 3;
  uint16_t port = 0;
  std::string version = "v1";
  std::vector<std::string> appArgs;  // more demo-app flags
  std::string maxSurge = "1";
  std::string maxUnavailable = "0";
  int progressDeadlineSeconds = 600;
  bool autoRollback = false;
  int terminationGracePeriodSeconds = 30;
  std::string readiness = "{httpGet: {path: /ready}, periodSeconds: 1}";
  std::string extraTemplate;  // more YAML lines under template:, indented by 4
  std::string extraSpec;      // more YAML lines under spec:, indented by 2
  std::string strategy;       // replaces the RollingUpdate strategy line: "  strategy: {...}\n"
};
std::string demoServiceYaml(const DemoService& s);

}  // namespace rollway::e2e
