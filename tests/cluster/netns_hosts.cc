#include "netns_hosts.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <thread>

namespace rollway::cluster_test {

namespace {

constexpr auto kIpTimeout = std::chrono::seconds(10);
constexpr const char* kNetnsDir = "/run/netns";

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

NsCommandResult ipCommand(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  return runInNetns(-1, argv, kIpTimeout);
}

// All processes whose /proc/PID/ns/net is the namespace (dev, ino).
std::vector<pid_t> processesIn(const std::vector<std::pair<uint64_t, uint64_t>>& namespaces) {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  while (dirent* e = ::readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    struct stat st{};
    std::string path = std::string("/proc/") + e->d_name + "/ns/net";
    if (::stat(path.c_str(), &st) != 0) continue;  // gone, or a zombie
    for (const auto& [dev, ino] : namespaces) {
      if (st.st_dev == dev && st.st_ino == ino) {
        out.push_back(static_cast<pid_t>(std::atol(e->d_name)));
        break;
      }
    }
  }
  ::closedir(proc);
  return out;
}

// SIGKILLs every process in the namespaces, a few rounds (one may fork meanwhile), then
// reaps those that are our children (PR_SET_CHILD_SUBREAPER makes orphans ours).
void killAllIn(const std::vector<std::pair<uint64_t, uint64_t>>& namespaces) {
  std::vector<pid_t> killed;
  for (int round = 0; round < 20; ++round) {
    auto pids = processesIn(namespaces);
    if (pids.empty()) break;
    for (pid_t p : pids) {
      ::kill(p, SIGKILL);
      killed.push_back(p);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (pid_t p : killed) {
    int status = 0;
    while (::waitpid(p, &status, WNOHANG) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

int nextFixtureNumber() {
  static std::atomic<int> counter{0};  // names unique within the process (the PID: across them)
  return counter++;
}

}  // namespace

std::string netnsUnavailableReason() {
  if (::geteuid() != 0) {
    return "the cluster tests make network namespaces and need root (euid " + std::to_string(::geteuid()) + ")";
  }
  if (findProgram("ip").empty()) return "no `ip` command (Debian's iproute2; scripts/install-deps.sh installs it)";
  std::string probe = "rw-" + std::to_string(::getpid()) + "-probe";
  auto r = ipCommand({"netns", "add", probe});
  if (!r.ok()) return "`ip netns add " + probe + "` failed: " + r.err;
  ipCommand({"netns", "del", probe});
  return "";
}

bool netnsSkipRequested() {
  const char* v = std::getenv("ROLLWAY_SKIP_NETNS");
  return v && std::string(v) == "1";
}

NetnsHosts::NetnsHosts(int hosts) {
  if (hosts < 1 || hosts > 200) throw std::runtime_error("NetnsHosts: 1 to 200 hosts, not " + std::to_string(hosts));
  int n = nextFixtureNumber();
  int pid = static_cast<int>(::getpid());
  prefix_ = "rw-" + std::to_string(pid) + "-" + std::to_string(n) + "-";
  // Each fixture's /24 exists only in its own namespaces, so two fixtures with the same
  // one could not even see each other; a different X per run keeps logs unambiguous.
  subnetOctet_ = 1 + (pid * 7 + n * 31) % 250;
  // Orphans of our children (a double fork in a host) become ours, so that they are reaped.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  removeLeftovers();
  try {
    build(hosts);
  } catch (...) {
    teardown();
    throw;
  }
}

NetnsHosts::~NetnsHosts() { teardown(); }

void NetnsHosts::ip(const std::vector<std::string>& args) {
  auto r = ipCommand(args);
  if (!r.ok()) {
    throw std::runtime_error("`ip " + join(args) + "` failed (exit " + std::to_string(r.exitCode) + "): " + r.err);
  }
}

void NetnsHosts::addNamespace(const std::string& name) {
  ip({"netns", "add", name});
  Ns ns;
  ns.name = name;
  std::string path = std::string(kNetnsDir) + "/" + name;
  ns.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st{};
  if (ns.fd < 0 || ::fstat(ns.fd, &st) != 0) {
    if (ns.fd >= 0) ::close(ns.fd);
    ipCommand({"netns", "del", name});
    throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  }
  ns.dev = st.st_dev;
  ns.ino = st.st_ino;
  hosts_.push_back(ns);
}

void NetnsHosts::build(int hosts) {
  std::string hub = prefix_ + "hub";
  addNamespace(hub);
  ip({"-n", hub, "link", "set", "lo", "up"});
  ip({"-n", hub, "link", "add", kBridge, "type", "bridge"});
  ip({"-n", hub, "addr", "add", address(kHub) + "/24", "dev", kBridge});
  ip({"-n", hub, "link", "set", kBridge, "up"});
  for (int i = 1; i <= hosts; ++i) {
    std::string host = prefix_ + "h" + std::to_string(i);
    addNamespace(host);
    ip({"-n", host, "link", "set", "lo", "up"});
    // Made in the hub with its peer created directly in the host: the root namespace
    // never holds either end, and the names only need to be unique inside our namespaces.
    ip({"-n", hub, "link", "add", hubInterface(i), "type", "veth", "peer", "name", kHostInterface, "netns", host});
    ip({"-n", hub, "link", "set", hubInterface(i), "master", kBridge});
    ip({"-n", hub, "link", "set", hubInterface(i), "up"});
    ip({"-n", host, "addr", "add", address(i) + "/24", "dev", kHostInterface});
    ip({"-n", host, "link", "set", kHostInterface, "up"});
  }
}

void NetnsHosts::teardown() {
  {
    std::lock_guard lock(mutex_);
    for (auto& p : procs_) {
      if (p.reaped) continue;  // what it left running is found below, by namespace
      ::kill(-p.pid, SIGKILL);  // its group: what it forked too
      ::kill(p.pid, SIGKILL);
      reap(p, true);
      // What it forked is ours now (PR_SET_CHILD_SUBREAPER) and still in its group.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      int status = 0;
      while (::waitpid(-p.pid, &status, WNOHANG) >= 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }
  std::vector<std::pair<uint64_t, uint64_t>> ids;
  for (const auto& ns : hosts_) ids.emplace_back(ns.dev, ns.ino);
  killAllIn(ids);
  // Hosts first, then the hub: deleting a host's namespace destroys its veth pair; the
  // bridge goes with the hub.
  for (auto it = hosts_.rbegin(); it != hosts_.rend(); ++it) {
    if (it->fd >= 0) ::close(it->fd);
    ipCommand({"netns", "del", it->name});
  }
  hosts_.clear();
}

const NetnsHosts::Ns& NetnsHosts::ns(int host) const {
  if (host < 0 || host >= static_cast<int>(hosts_.size())) {
    throw std::out_of_range("NetnsHosts: no host " + std::to_string(host));
  }
  return hosts_[static_cast<size_t>(host)];
}

const std::string& NetnsHosts::namespaceName(int host) const { return ns(host).name; }

std::vector<std::string> NetnsHosts::namespaceNames() const {
  std::vector<std::string> out;
  for (const auto& n : hosts_) out.push_back(n.name);
  return out;
}

std::string NetnsHosts::address(int host) const {
  return "10.213." + std::to_string(subnetOctet_) + "." + std::to_string(host == kHub ? 254 : host);
}

std::string NetnsHosts::subnet() const { return "10.213." + std::to_string(subnetOctet_) + ".0/24"; }

pid_t NetnsHosts::run(int host, const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                      const std::string& logPath) {
  int fd = ns(host).fd;
  std::lock_guard lock(mutex_);
  pid_t pid = spawnInNetns(fd, argv, env, logPath);
  procs_.push_back(Proc{pid, host, false, 0});
  return pid;
}

NsCommandResult NetnsHosts::exec(int host, const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                 const std::map<std::string, std::string>& env) const {
  return runInNetns(ns(host).fd, argv, timeout, env);
}

void NetnsHosts::linkDown(int host) {
  ns(host);
  if (host == kHub) throw std::invalid_argument("linkDown: the hub has no link of its own");
  ip({"-n", namespaceName(kHub), "link", "set", hubInterface(host), "down"});
}

void NetnsHosts::linkUp(int host) {
  ns(host);
  if (host == kHub) throw std::invalid_argument("linkUp: the hub has no link of its own");
  ip({"-n", namespaceName(kHub), "link", "set", hubInterface(host), "up"});
}

void NetnsHosts::signalHost(int host, int sig) {
  ns(host);
  std::lock_guard lock(mutex_);
  for (auto& p : procs_) {
    if (p.host != host || p.reaped || reap(p, false)) continue;
    ::kill(-p.pid, sig);
  }
}

void NetnsHosts::freeze(int host) { signalHost(host, SIGSTOP); }
void NetnsHosts::thaw(int host) { signalHost(host, SIGCONT); }

NetnsHosts::Proc* NetnsHosts::find(pid_t pid) {
  for (auto& p : procs_) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

// True once reaped. Blocking: after a SIGKILL, waits up to 10 s (a process in D state).
bool NetnsHosts::reap(Proc& p, bool block) {
  if (p.reaped) return true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    pid_t r = ::waitpid(p.pid, &p.status, WNOHANG);
    if (r == p.pid || (r < 0 && errno == ECHILD)) {
      p.reaped = true;
      return true;
    }
    if (!block || std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool NetnsHosts::kill(pid_t pid, int sig) {
  std::lock_guard lock(mutex_);
  Proc* p = find(pid);
  if (!p || reap(*p, false)) return false;
  if (::kill(pid, sig) != 0) return false;
  if (sig == SIGKILL) reap(*p, true);
  return true;
}

bool NetnsHosts::running(pid_t pid) {
  std::lock_guard lock(mutex_);
  Proc* p = find(pid);
  return p && !reap(*p, false);
}

int NetnsHosts::wait(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      Proc* p = find(pid);
      if (!p) return -1;
      if (reap(*p, false)) return p->status;
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::vector<pid_t> NetnsHosts::pids(int host) {
  std::lock_guard lock(mutex_);
  std::vector<pid_t> out;
  for (auto& p : procs_) {
    if (p.host == host && !reap(p, false)) out.push_back(p.pid);
  }
  return out;
}

std::vector<pid_t> NetnsHosts::processesInNamespaces() const {
  std::vector<std::pair<uint64_t, uint64_t>> ids;
  for (const auto& ns : hosts_) ids.emplace_back(ns.dev, ns.ino);
  return processesIn(ids);
}

int NetnsHosts::removeLeftovers(const std::string& prefix, std::chrono::seconds olderThan) {
  DIR* dir = ::opendir(kNetnsDir);
  if (!dir) return 0;
  std::vector<std::string> stale;
  std::string own = prefix + std::to_string(::getpid()) + "-";
  time_t now = ::time(nullptr);
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0 || name.rfind(own, 0) == 0) continue;
    size_t i = prefix.size();
    size_t digits = 0;
    while (i + digits < name.size() && std::isdigit(static_cast<unsigned char>(name[i + digits]))) ++digits;
    if (digits == 0 || i + digits >= name.size() || name[i + digits] != '-') continue;
    // The nsfs inode a namespace is mounted as carries the time it was made.
    struct stat st{};
    if (::stat((std::string(kNetnsDir) + "/" + name).c_str(), &st) != 0) continue;
    if (now - st.st_mtime >= olderThan.count()) stale.push_back(name);
  }
  ::closedir(dir);
  int removed = 0;
  for (const auto& name : stale) {
    struct stat st{};
    if (::stat((std::string(kNetnsDir) + "/" + name).c_str(), &st) == 0) killAllIn({{st.st_dev, st.st_ino}});
    if (ipCommand({"netns", "del", name}).ok()) ++removed;
  }
  return removed;
}

}  // namespace rollway::cluster_test
