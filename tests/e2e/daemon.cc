#include "daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rollway::e2e {

using namespace std::chrono_literals;

bool processAlive(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (text.empty() || close == std::string::npos || close + 2 >= text.size()) return false;
  char state = text[close + 2];
  return state != 'Z' && state != 'X';
}

PortWindow::PortWindow() {
  const std::string dir = "/tmp/rollway-e2e-ports";
  ::mkdir(dir.c_str(), 01777);
  ::chmod(dir.c_str(), 01777);  // whoever runs the tests next may be another user
  static int created = 0;
  int start = static_cast<int>((::getpid() * 7 + created++ * 13) % 90);
  // Every window is tried once; all 90 held at once means something leaks them.
  for (int i = 0; i < 90; ++i) {
    int first = 21000 + ((start + i) % 90) * 100;
    std::string path = dir + "/" + std::to_string(first) + ".lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    ::fchmod(fd, 0666);
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      first_ = first;
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
  throw std::runtime_error("no free instance port window in 21000-29999 (" + dir + ")");
}

PortWindow::~PortWindow() {
  if (fd_ >= 0) ::close(fd_);
}

Daemon::Daemon(std::string dataDir, std::vector<std::string> extra) : dataDir_(std::move(dataDir)), extra_(std::move(extra)) {
  start();
}

Daemon::~Daemon() {
  // A daemon the test stopped hands its instances to the next daemon on the same data
  // dir; a running one takes everything down with it.
  if (!process_ || !process_->running()) return;
  rememberPids();
  downAll();
  process_->signal(SIGKILL);
  process_->wait(5s);
  // Whatever is left (a test that failed half-way): by PID.
  for (pid_t pid : seen_) {
    if (processAlive(pid)) ::kill(pid, SIGKILL);
  }
}

void Daemon::start() {
  int first = ports_.first();
  std::vector<std::string> argv = {binary("rollway"), "serve",           "--data-dir",
                                   dataDir_,           "--log-level",     "debug",
                                   "--restart-backoff", "1s",            "--port-range",
                                   std::to_string(first) + "-" + std::to_string(first + 99),
                                   "--proxy-workers", "1"};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  process_ = std::make_unique<Process>(argv, dataDir_ + ".log." + std::to_string(starts_++));
}

bool Daemon::waitReady() {
  bool ok = waitFor([&] { return run({"version"}, 5s).out.find("server: rollway") != std::string::npos; }, 20s);
  std::ifstream pidFile(dataDir_ + "/proxy/proxy.pid");
  pid_t proxyPid = 0;
  if (pidFile >> proxyPid) seen_.push_back(proxyPid);
  return ok;
}

int Daemon::stop() {
  rememberPids();
  process_->signal(SIGTERM);
  return process_->wait(15s);
}

void Daemon::kill() {
  rememberPids();
  process_->signal(SIGKILL);
  process_->wait(5s);
}

int Daemon::downAll() {
  auto r = run({"down", "--all"}, 120s);
  if (process_) process_->wait(15s);
  return r.exitCode;
}

std::vector<std::string> Daemon::cli(std::vector<std::string> args) const {
  std::vector<std::string> argv = {binary("rollway"), "--server", "unix:" + socket()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

CommandResult Daemon::run(std::vector<std::string> args, std::chrono::milliseconds timeout) const {
  return e2e::run(cli(std::move(args)), timeout);
}

CommandResult Daemon::apply(const DemoService& service, const std::string& dir) const {
  std::string file = dir + "/" + service.name + ".yaml";
  writeFile(file, demoServiceYaml(service));
  return run({"apply", "-f", file});
}

nlohmann::json Daemon::instances(const std::string& service) {
  std::vector<std::string> args = {"get", "instances"};
  if (!service.empty()) args.push_back(service);
  args.insert(args.end(), {"-o", "json"});
  auto r = run(args, 10s);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.contains("items")) return nlohmann::json::array();
  for (const auto& i : j["items"]) {
    pid_t pid = i.value("pid", 0);
    if (pid > 0 && std::find(seen_.begin(), seen_.end(), pid) == seen_.end()) seen_.push_back(pid);
  }
  return j["items"];
}

nlohmann::json Daemon::status(const std::string& service) const {
  auto r = run({"get", "services", service, "-o", "json"}, 10s);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.contains("status")) return nullptr;
  return j["status"];
}

std::string Daemon::log() const {
  std::string out;
  for (int i = 0; i < starts_; ++i) out += readFile(dataDir_ + ".log." + std::to_string(i));
  return out;
}

void Daemon::rememberPids() { instances(); }

nlohmann::json Daemon::waitReadyInstances(const std::string& service, size_t n, std::chrono::milliseconds timeout) {
  nlohmann::json ready = nlohmann::json::array();
  waitFor(
      [&] {
        ready = nlohmann::json::array();
        for (const auto& i : instances(service)) {
          if (i.value("ready", false)) ready.push_back(i);
        }
        return ready.size() == n;
      },
      timeout);
  return ready;
}

std::string Daemon::events(const std::string& service) const {
  return run({"events", service, "--limit", "1000"}).out;
}

std::string demoServiceYaml(const DemoService& s) {
  std::ostringstream y;
  y << "apiVersion: rollway.dev/v1\nkind: Service\nmetadata: {name: " << s.name << "}\nspec:\n"
    << "  replicas: " << s.replicas << "\n"
    << "  listen: 127.0.0.1:" << s.port << "\n"
    << "  progressDeadlineSeconds: " << s.progressDeadlineSeconds << "\n"
    << "  autoRollback: " << (s.autoRollback ? "true" : "false") << "\n"
    << (s.strategy.empty() ? "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: " + s.maxSurge +
                                 ", maxUnavailable: " + s.maxUnavailable + "}}\n"
                           : s.strategy)
    << s.extraSpec << "  template:\n"
    << "    version: " << s.version << "\n"
    << "    command: [\"" << std::filesystem::absolute(binary("demo-app")).string() << "\", \"--port\", \"${PORT}\", \"--version\", \"${ROLLWAY_VERSION}\"";
  for (const auto& a : s.appArgs) y << ", \"" << a << "\"";
  y << "]\n"
    << "    terminationGracePeriodSeconds: " << s.terminationGracePeriodSeconds << "\n";
  if (!s.readiness.empty()) y << "    readinessProbe: " << s.readiness << "\n";
  y << s.extraTemplate;
  return y.str();
}

}  // namespace rollway::e2e
