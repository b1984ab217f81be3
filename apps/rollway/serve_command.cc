// `rollway serve`: the control-plane daemon, wired from its parts.
#include "serve_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <charconv>
#include <iterator>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "rollway/api/control_api.h"
#include "rollway/api/default_paths.h"
#include "rollway/cli/cli.h"
#include "rollway/cli/spec_files.h"
#include "rollway/cluster/cluster_node.h"
#include "rollway/common/blocking_pool.h"
#include "rollway/common/duration.h"
#include "rollway/common/random.h"
#include "rollway/common/timer.h"
#include "rollway/analysis/provider.h"
#include "rollway/controller/controller.h"
#include "rollway/controller/proxy_link.h"
#include "rollway/probe/prober.h"
#include "rollway/supervisor/supervisor.h"
#include "rollway/net/server.h"
#include "rollway/common/clock.h"
#include "rollway/common/log.h"
#include "rollway/common/signal_waiter.h"
#include "rollway/common/version.h"
#include "rollway/store/store.h"

namespace rollway::daemon {

using cli::loadSpecFiles;
using cli::reportError;

namespace {

namespace fs = std::filesystem;

struct ServeOptions {
  std::string dataDir;
  std::string socket;
  std::string api;
  std::string tokenFile;
  std::vector<std::string> files;
  std::string logLevel = "info";
  std::string portRange = "20000-29999";
  std::string restartBackoff = "10s";
  int proxyWorkers = 0;
  int eventHistory = store::StoreOptions{}.eventHistory;
  std::string caFile;
  // Cluster mode (docs/cluster.md).
  std::string cluster;                    // etcd://H1:2379,H2:2379,...
  std::string node;                       // this node's name (default: the host name)
  std::string advertise;                  // where other nodes reach this one's instances and proxy
  std::vector<std::string> nodeLabels;    // KEY=VALUE
  std::string nodeLostTimeout = "20s";
};

// etcd://H1:2379,H2:2379 (or without the scheme) -> {"H1:2379", "H2:2379"}.
Result<std::vector<std::string>> parseClusterEndpoints(const std::string& text) {
  std::string rest = text;
  if (rest.rfind("etcd://", 0) == 0) rest = rest.substr(7);
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= rest.size()) {
    size_t comma = rest.find(',', start);
    std::string item = rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto colon = item.rfind(':');
    int port = 0;
    if (item.empty() || colon == std::string::npos || colon == 0 ||
        std::from_chars(item.data() + colon + 1, item.data() + item.size(), port).ec != std::errc() || port <= 0 ||
        port > 65535) {
      return fail(ErrorCode::kInvalidArgument,
                  "--cluster {}: expected etcd://HOST:PORT[,HOST:PORT...], such as etcd://10.0.0.1:2379,10.0.0.2:2379",
                  text);
    }
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The id of this daemon's data directory (made once): a restarted daemon takes its node
// registration over; another daemon with the same --node is refused.
Result<std::string> loadOrCreateDaemonId(const std::string& dir) {
  std::string path = dir + "/daemon-id";
  std::ifstream in(path);
  std::string id;
  if (in && std::getline(in, id) && id.size() >= 16) return id;
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  unsigned char bytes[12];
  if (!urandom.read(reinterpret_cast<char*>(bytes), sizeof bytes)) return fail(ErrorCode::kIo, "cannot read /dev/urandom");
  id.clear();
  for (unsigned char b : bytes) id += fmt::format("{:02x}", b);
  std::ofstream out(path, std::ios::trunc);
  out << id << "\n";
  if (!out) return fail(ErrorCode::kIo, "cannot write {}", path);
  return id;
}

Result<std::pair<int, int>> parsePortRange(const std::string& text) {
  auto dash = text.find('-');
  int first = 0, last = 0;
  if (dash != std::string::npos) {
    auto a = std::from_chars(text.data(), text.data() + dash, first);
    auto b = std::from_chars(text.data() + dash + 1, text.data() + text.size(), last);
    if (a.ec == std::errc() && b.ec == std::errc() && a.ptr == text.data() + dash &&
        b.ptr == text.data() + text.size() && first >= 1024 && last <= 65535 && first <= last) {
      return std::make_pair(first, last);
    }
  }
  return fail(ErrorCode::kInvalidArgument, "--port-range {}: expected FIRST-LAST within 1024-65535, such as 20000-29999",
              text);
}

std::string selfExecutable() {
  std::error_code ec;
  auto path = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("rollway") : path.string();
}

Result<void> makeDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot create directory {}: {}", dir, ec.message());
  ::chmod(dir.c_str(), 0700);
  return {};
}

// One daemon per data directory: an flock held for the daemon's lifetime.
Result<int> lockDataDir(const std::string& dir) {
  std::string path = dir + "/rollway.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorCode::kIo, "cannot open {}: {}", path, std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::string pid;
    std::ifstream(path) >> pid;
    ::close(fd);
    return fail(ErrorCode::kConflict, "another rollway serve (pid {}) is already using {}; stop it first",
                pid.empty() ? "?" : pid, dir);
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::write(fd, pid.data(), pid.size()) < 0) {
    ::close(fd);
    return fail(ErrorCode::kIo, "cannot write {}: {}", path, std::strerror(errno));
  }
  return fd;
}

// Reads the bearer token, creating the file with a fresh random token when absent.
Result<std::string> loadOrCreateToken(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    std::string token;
    std::getline(in, token);
    if (token.size() < 16) return fail(ErrorCode::kInvalidArgument, "token in {} is shorter than 16 characters", path);
    return token;
  }
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  unsigned char bytes[24];
  if (!urandom.read(reinterpret_cast<char*>(bytes), sizeof bytes)) {
    return fail(ErrorCode::kIo, "cannot read /dev/urandom to make a token");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorCode::kIo, "cannot create token file {}: {}", path, std::strerror(errno));
  std::string line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) return fail(ErrorCode::kIo, "cannot write token file {}", path);
  return token;
}

Result<cluster::ClusterNodeOptions> clusterOptions(const ServeOptions& opts, const controller::ControllerOptions& co,
                                                   const supervisor::EnvMap& baseEnv) {
  cluster::ClusterNodeOptions o;
  auto endpoints = parseClusterEndpoints(opts.cluster);
  if (!endpoints) return fail(endpoints.error());
  o.endpoints = std::move(*endpoints);
  o.node.name = opts.node;
  if (o.node.name.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) o.node.name = host;
  }
  if (o.node.name.empty() || o.node.name.find('/') != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "--node {}: a node name is needed, without '/'", o.node.name);
  }
  if (opts.advertise.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "--advertise is needed with --cluster: the address other nodes reach this one's instances and "
                "proxy at, such as 10.0.0.1");
  }
  o.node.address = opts.advertise;
  for (const std::string& label : opts.nodeLabels) {
    auto eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail(ErrorCode::kInvalidArgument, "--node-label {}: expected KEY=VALUE, such as zone=a", label);
    }
    o.node.labels[label.substr(0, eq)] = label.substr(eq + 1);
  }
  auto lost = parseDuration(opts.nodeLostTimeout);
  if (!lost || *lost < std::chrono::seconds(2)) {
    return fail(ErrorCode::kInvalidArgument, "--node-lost-timeout {}: expected a duration of at least 2s, such as 20s",
                opts.nodeLostTimeout);
  }
  o.lostTimeout = std::chrono::duration_cast<std::chrono::seconds>(*lost);
  auto id = loadOrCreateDaemonId(opts.dataDir);
  if (!id) return fail(id.error());
  o.node.daemonId = *id;
  o.controller = co;
  o.eventHistory = opts.eventHistory;
  o.baseEnv = baseEnv;
  return o;
}

int runServe(ServeOptions opts) {
  bool explicitDataDir = !opts.dataDir.empty();
  if (!explicitDataDir) opts.dataDir = api::defaultDataDir();
  opts.dataDir = fs::absolute(opts.dataDir).lexically_normal().string();
  if (opts.socket.empty()) opts.socket = explicitDataDir ? opts.dataDir + "/rollway.sock" : api::defaultSocketPath();
  opts.socket = fs::absolute(opts.socket).lexically_normal().string();

  auto logger = makeLogger("serve", opts.logLevel);
  if (!logger) return reportError(logger.error());
  if (auto ok = makeDir(opts.dataDir); !ok) return reportError(ok.error());
  auto lock = lockDataDir(opts.dataDir);
  if (!lock) return reportError(lock.error());

  auto ports = parsePortRange(opts.portRange);
  if (!ports) return reportError(ports.error());
  auto backoff = parseDuration(opts.restartBackoff);
  if (!backoff || backoff->count() <= 0) {
    return reportError(Error{ErrorCode::kInvalidArgument,
                             "--restart-backoff " + opts.restartBackoff + ": expected a duration such as 10s", {}});
  }

  SystemClock clock;
  SeededRandom random;
  const bool clustered = !opts.cluster.empty();
  if (clustered && !opts.files.empty()) {
    return reportError(Error{ErrorCode::kInvalidArgument,
                             "-f/--filename is not taken with --cluster: apply specs with `rollway apply` once the "
                             "cluster has a leader",
                             {}});
  }
  // Single-host mode keeps its state in SQLite; a cluster keeps it in etcd (the leader's).
  std::unique_ptr<store::Store> store;
  if (!clustered) {
    store::StoreOptions storeOptions;
    storeOptions.eventHistory = opts.eventHistory;
    storeOptions.logger = *logger;
    auto opened = store::Store::open(opts.dataDir + "/state.db", clock, storeOptions);
    if (!opened) return reportError(opened.error());
    store = std::move(*opened);
  }

  // The control thread runs the controller, the supervisor's pidfd watches, the probes
  // and every API request (posted to it), so the store has exactly one caller.
  asio::io_context io;
  // The control plane's parts with side effects, then the controller over them.
  std::error_code dirError;
  std::filesystem::create_directories(opts.dataDir + "/logs", dirError);
  std::filesystem::create_directories(opts.dataDir + "/proxy", dirError);
  supervisor::SupervisorOptions supervisorOptions;
  supervisorOptions.logDir = opts.dataDir + "/logs";
  supervisorOptions.baseEnv = supervisor::baseEnvironmentFromProcess();
  supervisor::Supervisor supervisor(io, supervisorOptions, *logger);
  probe::Prober prober(io, clock);
  controller::ProxyLinkOptions proxyOptions;
  proxyOptions.dir = opts.dataDir + "/proxy";
  proxyOptions.selfExe = selfExecutable();
  proxyOptions.workingDir = opts.dataDir;
  if (opts.proxyWorkers > 0) proxyOptions.extraArgs = {"--workers", std::to_string(opts.proxyWorkers)};
  controller::ProxyLink proxyLink(io, supervisor, proxyOptions, *logger);
  analysis::HttpOptions http{opts.caFile};
  auto prometheus = analysis::makePrometheusProvider(analysis::kProviderTimeout, http);
  auto webhook = analysis::makeWebhookProvider(analysis::kProviderTimeout, http);
  // Provider calls and webhooks, off the control thread (joined before the providers go).
  BlockingPool pool({"the analysis and webhook pool", 2, 64});
  controller::ControllerOptions co;
  co.dataDir = opts.dataDir;
  co.portFirst = ports->first;
  co.portLast = ports->second;
  co.backoff.initial = *backoff;
  co.caFile = opts.caFile;
  AsioTimers timers(io);
  auto requestExit = [&io] {
    // Let the reply reach the client, then stop as on SIGTERM.
    auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(200));
    timer->async_wait([timer](const asio::error_code&) { ::kill(::getpid(), SIGTERM); });
  };
  std::unique_ptr<controller::Controller> ctl;
  std::unique_ptr<api::ControlApi> control;
  std::unique_ptr<cluster::ClusterNode> clusterNode;
  if (!clustered) {
    ctl = std::make_unique<controller::Controller>(
        controller::ControllerDeps{io, *store, clock, timers, random, supervisor, prober, proxyLink, *prometheus,
                                   *webhook, pool},
        co, *logger);
    api::ApiRuntime runtime;
    runtime.controller = ctl.get();
    runtime.io = &io;
    runtime.requestExit = requestExit;
    control = std::make_unique<api::ControlApi>(*store, clock, *logger, runtime);
  } else {
    auto options = clusterOptions(opts, co, supervisorOptions.baseEnv);
    if (!options) return reportError(options.error());
    clusterNode = std::make_unique<cluster::ClusterNode>(
        cluster::ClusterNodeDeps{io, clock, timers, random, supervisor, prober, proxyLink, *prometheus, *webhook, pool,
                                 *logger, requestExit},
        std::move(*options));
  }

  net::ServerOptions serverOptions;
  serverOptions.unixPath = opts.socket;
  serverOptions.logger = *logger;
  if (!opts.api.empty()) {
    auto endpoint = net::Endpoint::parse(opts.api);
    if (!endpoint || endpoint->kind != net::Endpoint::Kind::kTcp) {
      return reportError(Error{ErrorCode::kInvalidArgument,
                               "--api " + opts.api + ": expected HOST:PORT such as 127.0.0.1:7070", {}});
    }
    serverOptions.tcp = *endpoint;
    if (opts.tokenFile.empty()) opts.tokenFile = opts.dataDir + "/api-token";
    auto token = loadOrCreateToken(opts.tokenFile);
    if (!token) return reportError(token.error());
    serverOptions.token = *token;
  }

  // Apply start-up files before serving, so a bad file stops the daemon from starting.
  if (!opts.files.empty()) {
    auto specs = loadSpecFiles(opts.files);
    if (!specs) return reportError(specs.error());
    auto outcomes = control->apply(*specs);
    if (!outcomes) return reportError(outcomes.error());
    for (const auto& o : *outcomes) {
      (*logger)->info("service/{} {} (revision {})", o.name, store::applyActionName(o.action), o.revision);
    }
  }

  // Signals are taken synchronously on this thread; block them before any thread starts.
  SignalWaiter signals({SIGINT, SIGTERM, SIGHUP});

  if (auto ok = clustered ? clusterNode->start() : ctl->start(); !ok) return reportError(ok.error());
  auto work = asio::make_work_guard(io);
  std::thread controlThread([&io, &logger] {
    try {
      io.run();
    } catch (const std::exception& e) {
      (*logger)->critical("control loop stopped: {}", e.what());
      ::kill(::getpid(), SIGTERM);
    }
  });
  auto server = net::Server::start(serverOptions, [&control, &clusterNode, &io](http::Request request,
                                                                              net::Responder respond) {
    asio::post(io, [&control, &clusterNode, request = std::move(request), respond = std::move(respond)]() mutable {
      if (clusterNode) {
        clusterNode->handle(std::move(request), std::move(respond));
      } else {
        control->handle(std::move(request), std::move(respond));
      }
    });
  });
  if (!server) {
    io.stop();
    controlThread.join();
    return reportError(server.error());
  }

  (*logger)->info("rollway {} serving; data in {}; API on unix:{}{}", versionString(), opts.dataDir, opts.socket,
                  serverOptions.tcp ? fmt::format(" and {}:{} (token in {})", serverOptions.tcp->host,
                                                  (*server)->tcpPort(), opts.tokenFile)
                                    : std::string());
  for (;;) {
    int sig = signals.wait();
    if (sig == SIGHUP) {
      (*logger)->info("SIGHUP: nothing to reload yet");
      continue;
    }
    (*logger)->info("{}: stopping the daemon; running instances and the proxy are left running "
                    "(the next daemon adopts them; rollway down --all stops everything)",
                    sig == SIGINT ? "SIGINT" : "SIGTERM");
    break;
  }
  (*server)->stop();
  io.stop();
  controlThread.join();
  ::close(*lock);
  (*logger)->info("stopped");
  return 0;
}

}  // namespace

void addServeCommand(CLI::App& app, int& exitCode) {
  auto opts = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand("serve", "Run the control-plane daemon: API, store, instances, probes, rollouts; starts the proxy");
  cmd->add_option("--data-dir", opts->dataDir,
                  "Keep everything of this daemon under DIR: store, socket, logs, proxy state "
                  "(default: /var/lib/rollway for root, else $XDG_STATE_HOME/rollway; the socket then goes "
                  "to /run/rollway or $XDG_RUNTIME_DIR/rollway)");
  cmd->add_option("--socket", opts->socket, "Control socket path (default: DIR/rollway.sock with --data-dir)");
  cmd->add_option("--api", opts->api, "Also serve the API on TCP HOST:PORT, with a bearer token");
  cmd->add_option("--api-token-file", opts->tokenFile,
                  "Token file for --api (created with a random token if missing; default DIR/api-token)");
  cmd->add_option("-f,--filename", opts->files, "Apply these spec files at start");
  cmd->add_option("--log-level", opts->logLevel, "trace, debug, info, warn, error or off")->capture_default_str();
  cmd->add_option("--port-range", opts->portRange, "Ports handed to instances as ${PORT}")->capture_default_str();
  cmd->add_option("--restart-backoff", opts->restartBackoff,
                  "First restart delay of a crashed instance (doubles up to 5m, as in Kubernetes)")
      ->capture_default_str();
  cmd->add_option("--event-history", opts->eventHistory,
                  "Events kept per service in the store; older ones are deleted as new ones come")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000'000));
  cmd->add_option("--proxy-workers", opts->proxyWorkers,
                  "Worker threads of the proxy this daemon starts (default: one per core)");
  cmd->add_option("--ca-file", opts->caFile,
                  "PEM CA certificates to verify https:// analysis providers and webhooks with (default: the "
                  "system's store)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cluster", opts->cluster,
                  "Join a cluster whose state is in etcd: etcd://HOST:PORT[,HOST:PORT...] (docs/cluster.md)");
  cmd->add_option("--node", opts->node, "With --cluster: this node's name, unique in the cluster (default: host name)");
  cmd->add_option("--advertise", opts->advertise,
                  "With --cluster: the address other nodes reach this node's instances and proxy at");
  cmd->add_option("--node-label", opts->nodeLabels, "With --cluster: a KEY=VALUE label of this node (repeatable)");
  cmd->add_option("--node-lost-timeout", opts->nodeLostTimeout,
                  "With --cluster: how long a node that stopped answering counts as up before its instances are "
                  "replaced elsewhere")
      ->capture_default_str();
  cmd->footer("The daemon starts `rollway proxy --data-dir DIR/proxy` when none is running. Instances and the proxy "
              "run in their own sessions: stopping the daemon (SIGTERM, rollway down) leaves them serving, and the "
              "next daemon adopts them. `rollway down --all` stops everything.");
  cmd->callback([opts, &exitCode] { exitCode = runServe(*opts); });
}

}  // namespace rollway::daemon
