#pragma once

// "Hosts" for the cluster tests, made of Linux network namespaces (tests/cluster/README.md):
// a hub namespace with a bridge, N host namespaces each joined to it by a veth pair, a
// private /24 that exists only inside them. Processes run in a host by PID; faults are a
// host's link going down (a partition) and a host's processes stopped (a freeze). The
// destructor kills and reaps every process, then deletes the namespaces (and with them
// the bridge and the veths). Needs root and iproute2. The root namespace is not touched.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ns_process.h"

namespace rollway::cluster_test {

// What keeps the namespaces from being made here ("" when nothing does): not root, no
// `ip`, or `ip netns add` refused. ROLLWAY_SKIP_NETNS=1 lets tests skip instead of failing.
std::string netnsUnavailableReason();
bool netnsSkipRequested();

class NetnsHosts {
 public:
  static constexpr int kHub = 0;  // the host number of the hub namespace in run() / exec()

  // Makes the hub and hosts 1..`hosts` (1 to 200). Throws std::runtime_error, with the
  // namespaces made so far deleted, when a step fails. Removes first the leftovers of
  // crashed runs (removeLeftovers(), 10 minutes).
  explicit NetnsHosts(int hosts);
  ~NetnsHosts();
  NetnsHosts(const NetnsHosts&) = delete;
  NetnsHosts& operator=(const NetnsHosts&) = delete;

  int size() const { return static_cast<int>(hosts_.size()) - 1; }  // hosts, the hub not counted
  // "rw-<pid>-<n>-hub" / "rw-<pid>-<n>-h<host>": for `ip netns exec` when debugging.
  const std::string& namespaceName(int host) const;
  std::vector<std::string> namespaceNames() const;
  // 10.213.X.<host> (the hub: 10.213.X.254, on its bridge).
  std::string address(int host) const;
  // "10.213.X.0/24".
  std::string subnet() const;
  // The interface names: the bridge in the hub, each host's veth end in the hub (the
  // one linkDown() takes down) and in the host.
  static constexpr const char* kBridge = "br0";
  static constexpr const char* kHostInterface = "eth0";
  static std::string hubInterface(int host) { return "vh" + std::to_string(host); }

  // Starts argv in `host` (kHub: the hub), stdout+stderr appended to `logPath` ("": none).
  // The process is a child of the test and is recorded: SIGKILLed and reaped by the
  // destructor. Call it from the test's main thread (see ns_process.h).
  pid_t run(int host, const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
            const std::string& logPath = "");
  // Runs argv to completion in `host`, output captured, killed after `timeout`.
  NsCommandResult exec(int host, const std::vector<std::string>& argv,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10),
                       const std::map<std::string, std::string>& env = {}) const;

  // A partition: the host's veth end in the hub goes down (then up). Its processes keep
  // running; packets to and from it are dropped — no error, as when a cable is pulled.
  void linkDown(int host);
  void linkUp(int host);
  // SIGSTOP / SIGCONT to every live process started in `host` (each one's process group).
  void freeze(int host);
  void thaw(int host);
  // Sends `sig` to a process started here; SIGKILL also reaps it. False if it is not one
  // of ours or has been reaped.
  bool kill(pid_t pid, int sig);
  // True while it has not exited (reaps it once it has).
  bool running(pid_t pid);
  // Waits up to `timeout` for it to exit; its wait status, or -1.
  int wait(pid_t pid, std::chrono::milliseconds timeout);
  // The live processes started in `host`.
  std::vector<pid_t> pids(int host);

  // Every process of this machine whose network namespace is one of ours (found in /proc,
  // children of ours or not).
  std::vector<pid_t> processesInNamespaces() const;

  // Deletes namespaces named "<prefix><digits>-..." older than `olderThan` (their
  // processes SIGKILLed first): what a crashed run (SIGKILL, a timeout) left behind.
  // How many it deleted.
  static int removeLeftovers(const std::string& prefix = "rw-",
                             std::chrono::seconds olderThan = std::chrono::minutes(10));

 private:
  struct Proc {
    pid_t pid = 0;
    int host = 0;
    bool reaped = false;
    int status = 0;
  };
  struct Ns {
    std::string name;
    int fd = -1;       // open /run/netns/<name>, for setns
    uint64_t dev = 0;  // its nsfs identity, to find its processes in /proc
    uint64_t ino = 0;
  };

  void build(int hosts);
  void addNamespace(const std::string& name);
  void ip(const std::vector<std::string>& args);
  void teardown();
  const Ns& ns(int host) const;
  Proc* find(pid_t pid);
  void signalHost(int host, int sig);
  bool reap(Proc& p, bool block);

  std::string prefix_;
  int subnetOctet_ = 0;
  std::vector<Ns> hosts_;  // [0] the hub, [i] host i
  mutable std::mutex mutex_;
  std::vector<Proc> procs_;
};

}  // namespace rollway::cluster_test
