#include "rollway/controller/proxy_link.h"

#include <unistd.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "rollway/net/json_reply.h"
#include "rollway/proxy/snapshot_json.h"

namespace rollway::controller {

namespace {

net::Endpoint unixEndpoint(const std::string& path) {
  net::Endpoint e;
  e.kind = net::Endpoint::Kind::kUnix;
  e.path = path;
  return e;
}

}  // namespace

ProxyLink::ProxyLink(supervisor::ProcessRuntime& supervisor, ProxyLinkOptions options, Logger logger)
    : supervisor_(supervisor),
      options_(std::move(options)),
      logger_(std::move(logger)),
      socket_(options_.dir + "/proxy.sock"),
      pidFile_(options_.dir + "/proxy.pid"),
      client_(unixEndpoint(socket_)) {}

Result<uint64_t> ProxyLink::currentVersion() const {
  auto reply = client_.call("GET", "/healthz", "", "application/json", std::chrono::seconds(2));
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(ErrorCode::kUnavailable, "proxy at unix:{} answered {}", socket_, reply->status);
  auto j = nlohmann::json::parse(reply->body, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kUnavailable, "proxy at unix:{} sent a body that is not JSON", socket_);
  return j.value("snapshotVersion", uint64_t{0});
}

void ProxyLink::writePidFile(const supervisor::InstanceProcess& p) {
  std::ofstream out(pidFile_ + ".tmp", std::ios::trunc);
  out << p.pid << " " << p.startTimeTicks << "\n";
  out.close();
  if (std::rename((pidFile_ + ".tmp").c_str(), pidFile_.c_str()) != 0) {
    logger_->warn("cannot write {}", pidFile_);
  }
}

void ProxyLink::adoptFromPidFile() {
  if (supervisor_.watching(kProcessName)) return;
  std::ifstream in(pidFile_);
  int64_t pid = 0;
  int64_t ticks = 0;
  if (!(in >> pid >> ticks) || pid <= 0) return;
  supervisor::LaunchSpec spec;
  spec.instance = kProcessName;
  spec.service = "";
  auto adopted = supervisor_.adopt(spec, static_cast<pid_t>(pid), ticks);
  if (adopted) logger_->info("adopted the running proxy (pid {})", pid);
}

Result<bool> ProxyLink::ensureRunning() {
  if (auto version = currentVersion(); version) {
    adoptFromPidFile();
    nextVersion_ = std::max(nextVersion_, *version + 1);
    healthy_ = true;
    return false;
  }
  healthy_ = false;
  if (!options_.manage) return fail(ErrorCode::kUnavailable, "no proxy answers on unix:{}", socket_);
  if (!supervisor_.watching(kProcessName)) {
    supervisor::LaunchSpec spec;
    spec.instance = kProcessName;
    spec.command = {options_.selfExe, "proxy", "--data-dir", options_.dir};
    spec.command.insert(spec.command.end(), options_.extraArgs.begin(), options_.extraArgs.end());
    spec.workingDir = options_.workingDir;
    auto started = supervisor_.start(spec);
    if (!started) return fail(started.error());
    writePidFile(*started);
    logger_->info("started the proxy (pid {}): {}", started->pid, socket_);
  }
  // It loads its state file and binds its listeners before the admin socket answers.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto version = currentVersion(); version) {
      nextVersion_ = std::max(nextVersion_, *version + 1);
      healthy_ = true;
      return true;
    }
    if (!supervisor_.watching(kProcessName)) break;  // it exited (see its log)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return fail(ErrorCode::kUnavailable, "the proxy did not answer on unix:{} (see its log in the data directory's logs/)",
              socket_);
}

void ProxyLink::onExit(const supervisor::ExitInfo& exit) {
  healthy_ = false;
  logger_->info("the proxy {}", exit.str());
}

Result<uint64_t> ProxyLink::push(proxy::RoutingSnapshot snapshot) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    snapshot.version = nextVersion_;
    auto reply = client_.call("PUT", "/v1/snapshot", proxy::toJson(snapshot).dump(), "application/json",
                              std::chrono::seconds(5));
    if (!reply) {
      healthy_ = false;
      return fail(reply.error().code, "proxy did not take routing snapshot {} (PUT /v1/snapshot on unix:{}): {}",
                  snapshot.version, socket_, reply.error().message);
    }
    if (reply->status == 200) {
      ++nextVersion_;
      healthy_ = true;
      return snapshot.version;
    }
    if (reply->status == 409) {  // the proxy holds a newer snapshot (another control plane, a restore)
      auto version = currentVersion();
      if (!version) return fail(version.error());
      nextVersion_ = *version + 1;
      continue;
    }
    Error rejected = net::errorFromReply(*reply);
    return fail(rejected.code, "proxy rejected routing snapshot {}: {}", snapshot.version, rejected.message);
  }
  return fail(ErrorCode::kConflict, "proxy rejected routing snapshot {}: it kept answering 409 (a newer version)",
              nextVersion_);
}

Result<nlohmann::json> ProxyLink::metrics() const {
  auto reply = client_.call("GET", "/v1/metrics", "", "application/json", std::chrono::seconds(2));
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(net::errorFromReply(*reply));
  auto j = nlohmann::json::parse(reply->body, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kUnavailable, "the proxy's metrics are not JSON");
  return j;
}

Result<std::map<std::string, uint64_t>> ProxyLink::inFlight() const {
  auto reply = client_.call("GET", "/v1/endpoints", "", "application/json", std::chrono::seconds(2));
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(net::errorFromReply(*reply));
  auto j = nlohmann::json::parse(reply->body, nullptr, false);
  std::map<std::string, uint64_t> out;
  if (j.is_discarded() || !j.contains("items")) return out;
  for (const auto& item : j["items"]) out[item.value("address", "")] = item.value("inFlight", uint64_t{0});
  return out;
}

void ProxyLink::stop(std::chrono::milliseconds grace, std::function<void()> done) {
  if (!supervisor_.watching(kProcessName)) {
    done();
    return;
  }
  auto ok = supervisor_.terminate(kProcessName, grace, [done](const std::string&, const supervisor::Termination&) {
    done();
  });
  if (!ok) {
    logger_->warn("cannot stop the proxy: {}", ok.error().message);
    done();
  }
}

}  // namespace rollway::controller
