// `rollway proxy`: the data plane as its own process.
#include "rollway/proxy/proxy_command.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "proxy.h"
#include "rollway/common/duration.h"
#include "rollway/common/signal_waiter.h"
#include "rollway/proxy/snapshot_json.h"

namespace rollway::proxy {

namespace {

struct CommandOptions {
  std::string listen;
  std::vector<std::string> upstreams;
  std::string routesFile;
  std::string dataDir;
  std::string adminSocket;
  std::string stateFile;
  std::string metrics;
  std::string accessLog;
  std::string logLevel = "info";
  int workers = 1;
  size_t maxConnections = 20'000;
  std::string holdTimeout = "10s";
  std::string headerTimeout = "10s";
  std::string idleTimeout = "60s";
  std::string connectTimeout = "2s";
  std::string responseTimeout = "60s";
  std::string bodyTimeout = "60s";
  std::string drainTimeout = "30s";
};

int report(const Error& e) {
  std::cerr << "error: " << e.message << '\n';
  for (const auto& f : e.fields) std::cerr << "  " << f.str() << '\n';
  return 1;
}

Result<RoutingSnapshot> readRoutes(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, "cannot read routes file {}", file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kInvalidArgument, "routes file {} is not JSON", file);
  auto snapshot = snapshotFromJson(j);
  if (!snapshot) {
    Error e = snapshot.error();
    e.message = file + ": " + e.message;
    for (auto& f : e.fields) f.file = file;
    return fail(e);
  }
  return snapshot;
}

Result<std::chrono::milliseconds> duration(const std::string& flag, const std::string& text) {
  auto d = parseDuration(text);
  if (!d) return fail(ErrorCode::kInvalidArgument, "--{}: {}", flag, d.error().message);
  return *d;
}

int runProxy(CommandOptions opts) {
  auto logger = makeLogger("proxy", opts.logLevel);
  if (!logger) return report(logger.error());

  ProxyOptions options;
  options.config.workers = opts.workers;
  options.config.accessLog = opts.accessLog;
  options.config.maxConnections = opts.maxConnections;
  struct {
    const char* flag;
    std::string* text;
    std::chrono::milliseconds* out;
  } durations[] = {{"header-timeout", &opts.headerTimeout, &options.config.headerTimeout},
                   {"idle-timeout", &opts.idleTimeout, &options.config.idleTimeout},
                   {"connect-timeout", &opts.connectTimeout, &options.config.connectTimeout},
                   {"response-timeout", &opts.responseTimeout, &options.config.responseTimeout},
                   {"body-timeout", &opts.bodyTimeout, &options.config.bodyTimeout},
                   {"drain-timeout", &opts.drainTimeout, &options.config.drainTimeout}};
  for (auto& d : durations) {
    auto v = duration(d.flag, *d.text);
    if (!v) return report(v.error());
    *d.out = *v;
  }
  auto hold = duration("hold-timeout", opts.holdTimeout);
  if (!hold) return report(hold.error());

  if (!opts.dataDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opts.dataDir, ec);
    if (ec) return report(Error{ErrorCode::kIo, "cannot create " + opts.dataDir + ": " + ec.message(), {}});
    auto dir = std::filesystem::absolute(opts.dataDir).string();
    if (opts.adminSocket.empty()) opts.adminSocket = dir + "/proxy.sock";
    if (opts.stateFile.empty()) opts.stateFile = dir + "/proxy-state.json";
  }
  if (!opts.adminSocket.empty()) opts.adminSocket = std::filesystem::absolute(opts.adminSocket).string();
  options.adminSocket = opts.adminSocket;
  options.stateFile = opts.stateFile;
  options.metricsAddress = opts.metrics;

  // The initial routes: --listen/--upstream, or --routes FILE, or the state file.
  std::optional<RoutingSnapshot> initial;
  if (!opts.listen.empty() || !opts.upstreams.empty()) {
    if (opts.listen.empty() || opts.upstreams.empty()) {
      return report(Error{ErrorCode::kInvalidArgument, "--listen and --upstream go together", {}});
    }
    if (!opts.routesFile.empty()) {
      return report(Error{ErrorCode::kInvalidArgument, "use either --listen/--upstream or --routes, not both", {}});
    }
    RoutingSnapshot s;
    s.version = 1;
    ServiceRoute service;
    service.name = "default";
    service.holdTimeoutMs = static_cast<int>(hold->count());
    RevisionRoute revision;
    revision.revision = 1;
    revision.weight = 100;
    for (size_t i = 0; i < opts.upstreams.size(); ++i) {
      revision.endpoints.push_back({"upstream-" + std::to_string(i), opts.upstreams[i], EndpointState::kReady});
    }
    service.revisions.push_back(std::move(revision));
    s.listeners.push_back({opts.listen, {std::move(service)}});
    auto checked = snapshotFromJson(toJson(s));  // the same validation as any snapshot
    if (!checked) return report(checked.error());
    initial = std::move(*checked);
  } else if (!opts.routesFile.empty()) {
    auto routes = readRoutes(opts.routesFile);
    if (!routes) return report(routes.error());
    initial = std::move(*routes);
  }

  // Signals are taken synchronously on this thread; block them before any thread starts.
  SignalWaiter signals({SIGINT, SIGTERM, SIGHUP});

  auto proxy = Proxy::create(options, *logger);
  if (!proxy) return report(proxy.error());
  if (initial) {
    if (auto ok = (*proxy)->applySnapshot(std::move(*initial), true); !ok) return report(ok.error());
  } else {
    auto loaded = (*proxy)->loadState();
    if (!loaded) return report(loaded.error());
    if (!*loaded && opts.adminSocket.empty()) {
      return report(Error{ErrorCode::kInvalidArgument,
                          "nothing to serve: give --listen and --upstream, --routes FILE, or --data-dir/--admin-socket "
                          "for a control plane to configure",
                          {}});
    }
  }
  (*proxy)->start();
  (*logger)->info("rollway proxy running: {} worker(s){}{}", opts.workers,
                  opts.adminSocket.empty() ? "" : ", admin on unix:" + opts.adminSocket,
                  opts.metrics.empty() ? "" : ", metrics on http://" + opts.metrics + "/metrics");
  for (;;) {
    int sig = signals.wait();
    if (sig == SIGHUP) {
      if (opts.routesFile.empty()) {
        (*logger)->info("SIGHUP: no --routes file to re-read");
        continue;
      }
      auto routes = readRoutes(opts.routesFile);
      if (!routes) {
        (*logger)->error("SIGHUP: keeping the current routes: {}", routes.error().str());
        continue;
      }
      if (auto ok = (*proxy)->applySnapshot(std::move(*routes), true); !ok) {
        (*logger)->error("SIGHUP: keeping the current routes: {}", ok.error().str());
      }
      continue;
    }
    (*logger)->info("{}: draining (up to {})", sig == SIGINT ? "SIGINT" : "SIGTERM", opts.drainTimeout);
    break;
  }
  (*proxy)->stop();
  (*logger)->info("stopped");
  return 0;
}

}  // namespace

void addProxyCommand(CLI::App& app, int& exitCode) {
  auto opts = std::make_shared<CommandOptions>();
  auto* cmd = app.add_subcommand("proxy", "Run the data plane: the reverse proxy in front of the instances");
  cmd->add_option("--listen", opts->listen, "Standalone: serve one service on HOST:PORT");
  cmd->add_option("--upstream", opts->upstreams, "Standalone: an endpoint HOST:PORT (repeat for several)");
  cmd->add_option("--routes", opts->routesFile, "Load a routing snapshot (JSON) from FILE; SIGHUP re-reads it");
  cmd->add_option("--data-dir", opts->dataDir,
                  "Admin socket (DIR/proxy.sock) and last snapshot (DIR/proxy-state.json) live here");
  cmd->add_option("--admin-socket", opts->adminSocket, "Admin unix socket for the control plane");
  cmd->add_option("--state-file", opts->stateFile, "Persist every accepted snapshot here; serve from it at start");
  cmd->add_option("--metrics", opts->metrics, "Serve Prometheus metrics on HOST:PORT/metrics");
  cmd->add_option("--max-connections", opts->maxConnections,
                  "Client connections per worker; beyond, new ones are closed at once")
      ->capture_default_str();
  cmd->add_option("--access-log", opts->accessLog,
                  "Write one JSON line per request to FILE (- = stderr); off by default");
  cmd->add_option("--workers", opts->workers, "Event-loop threads (one per core is typical)")->capture_default_str();
  cmd->add_option("--hold-timeout", opts->holdTimeout, "Standalone: how long a request waits for a ready endpoint")
      ->capture_default_str();
  cmd->add_option("--header-timeout", opts->headerTimeout, "A request head must arrive within this (408)")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", opts->idleTimeout, "Close keep-alive connections idle this long")
      ->capture_default_str();
  cmd->add_option("--connect-timeout", opts->connectTimeout, "Connecting to an endpoint")->capture_default_str();
  cmd->add_option("--response-timeout", opts->responseTimeout, "Waiting for an endpoint's response head (504)")
      ->capture_default_str();
  cmd->add_option("--body-timeout", opts->bodyTimeout, "No body progress from either side for this long ends the request")
      ->capture_default_str();
  cmd->add_option("--drain-timeout", opts->drainTimeout, "On SIGTERM, in-flight requests get this long")
      ->capture_default_str();
  cmd->add_option("--log-level", opts->logLevel, "trace, debug, info, warn, error or off")->capture_default_str();
  cmd->footer(
      "Examples:\n"
      "  rollway proxy --listen 127.0.0.1:8090 --upstream 127.0.0.1:9001 --upstream 127.0.0.1:9002\n"
      "  rollway proxy --routes routes.json --workers 2 --metrics 127.0.0.1:9100");
  cmd->callback([opts, &exitCode] { exitCode = runProxy(*opts); });
}

}  // namespace rollway::proxy
