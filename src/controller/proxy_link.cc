#include "rollway/controller/proxy_link.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <asio/post.hpp>

#include "proxy_link_calls.h"

namespace rollway::controller {

namespace {

net::Endpoint unixEndpoint(const std::string& path) {
  net::Endpoint e;
  e.kind = net::Endpoint::Kind::kUnix;
  e.path = path;
  return e;
}

}  // namespace

ProxyLink::ProxyLink(asio::io_context& io, supervisor::ProcessRuntime& supervisor, ProxyLinkOptions options,
                     Logger logger)
    : io_(io),
      supervisor_(supervisor),
      options_(std::move(options)),
      logger_(std::move(logger)),
      socket_(options_.dir + "/proxy.sock"),
      pidFile_(options_.dir + "/proxy.pid"),
      client_(unixEndpoint(socket_)),
      pollTimer_(io),
      deadlineTimer_(io),
      pool_(BlockingPoolOptions{"the proxy link's pool", 1, 64}) {}

ProxyLink::~ProxyLink() = default;

template <class T>
void ProxyLink::call(std::function<Result<T>()> work, std::function<void(Result<T>)> done) {
  std::weak_ptr<const void> alive = alive_;
  auto submitted = pool_.submit<T>(std::move(work), io_, alive, done);
  if (!submitted) {
    asio::post(io_, [alive, done = std::move(done), error = submitted.error()] {
      if (alive.lock()) done(fail(error));
    });
  }
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

void ProxyLink::ensureRunning(StartCallback done) {
  startWaiters_.push_back(std::move(done));
  if (startWaiters_.size() > 1) return;  // a check is under way: its answer is this one's too
  const uint64_t round = ++startRound_;
  startedOne_ = false;
  deadlineTimer_.expires_after(options_.startLimit);
  deadlineTimer_.async_wait([this, alive = std::weak_ptr<int>(alive_), round](const asio::error_code& ec) {
    if (ec || alive.expired() || round != startRound_ || startWaiters_.empty()) return;
    finishStart(fail(ErrorCode::kUnavailable,
                     "the proxy did not answer on unix:{} within {} ms (see its log in the data directory's logs/)",
                     socket_, options_.startLimit.count()));
  });
  checkStart(round);
}

// One readiness check; starts the proxy after the first one fails (when managed and
// none is supervised), then checks again every startPoll until it answers, exits or
// the deadline timer ends the round.
void ProxyLink::checkStart(uint64_t round) {
  call<uint64_t>([client = client_, socket = socket_] { return proxy_calls::readVersion(client, socket); },
                 [this, round](Result<uint64_t> version) {
                   if (round != startRound_ || startWaiters_.empty()) return;  // decided already
                   if (version) {
                     if (!startedOne_) adoptFromPidFile();
                     nextVersion_ = std::max(nextVersion_, *version + 1);
                     healthy_ = true;
                     finishStart(startedOne_);
                     return;
                   }
                   healthy_ = false;
                   if (!options_.manage) {
                     finishStart(fail(ErrorCode::kUnavailable, "no proxy answers on unix:{}: {}", socket_,
                                      version.error().message));
                     return;
                   }
                   if (!supervisor_.watching(kProcessName)) {
                     if (startedOne_) {
                       finishStart(fail(ErrorCode::kUnavailable,
                                        "the proxy exited before it answered on unix:{} (see its log in the data "
                                        "directory's logs/)",
                                        socket_));
                       return;
                     }
                     supervisor::LaunchSpec spec;
                     spec.instance = kProcessName;
                     spec.command = {options_.selfExe, "proxy", "--data-dir", options_.dir};
                     spec.command.insert(spec.command.end(), options_.extraArgs.begin(), options_.extraArgs.end());
                     spec.workingDir = options_.workingDir;
                     auto started = supervisor_.start(spec);
                     if (!started) {
                       finishStart(fail(started.error()));
                       return;
                     }
                     startedOne_ = true;
                     writePidFile(*started);
                     logger_->info("started the proxy (pid {}): {}", started->pid, socket_);
                   }
                   pollTimer_.expires_after(options_.startPoll);
                   pollTimer_.async_wait(
                       [this, alive = std::weak_ptr<int>(alive_), round](const asio::error_code& ec) {
                         if (ec || alive.expired() || round != startRound_ || startWaiters_.empty()) return;
                         checkStart(round);
                       });
                 });
}

void ProxyLink::finishStart(const Result<bool>& result) {
  pollTimer_.cancel();
  deadlineTimer_.cancel();
  auto waiters = std::move(startWaiters_);
  startWaiters_.clear();
  for (auto& waiter : waiters) waiter(result);
}

void ProxyLink::onExit(const supervisor::ExitInfo& exit) {
  healthy_ = false;
  logger_->info("the proxy {}", exit.str());
}

void ProxyLink::push(proxy::RoutingSnapshot snapshot, PushCallback done) {
  // The version is taken now: pushes queued behind one another go out in order, each
  // with its own version (a refused or lost one leaves a gap, which the proxy accepts).
  const uint64_t version = nextVersion_++;
  call<proxy_calls::PushOutcome>(
      [client = client_, socket = socket_, snapshot = std::move(snapshot), version] {
        return Result<proxy_calls::PushOutcome>(proxy_calls::putSnapshot(client, socket, snapshot, version));
      },
      [this, done = std::move(done)](Result<proxy_calls::PushOutcome> outcome) {
        if (!outcome) {  // the pool refused it
          done(fail(outcome.error()));
          return;
        }
        if (outcome->version) {
          nextVersion_ = std::max(nextVersion_, *outcome->version + 1);
          healthy_ = true;
        } else if (outcome->unreachable) {
          healthy_ = false;
        }
        done(std::move(outcome->version));
      });
}

void ProxyLink::metrics(MetricsCallback done) {
  call<nlohmann::json>([client = client_] { return proxy_calls::readMetrics(client); }, std::move(done));
}

void ProxyLink::inFlight(InFlightCallback done) {
  call<std::map<std::string, uint64_t>>([client = client_] { return proxy_calls::readInFlight(client); },
                                        std::move(done));
}

void ProxyLink::stop(std::chrono::milliseconds grace, std::function<void()> done) {
  auto later = [this, done](const char* why) {
    if (why != nullptr) logger_->warn("cannot stop the proxy: {}", why);
    asio::post(io_, [alive = std::weak_ptr<int>(alive_), done] {
      if (!alive.expired()) done();
    });
  };
  if (!supervisor_.watching(kProcessName)) {
    later(nullptr);
    return;
  }
  auto ok = supervisor_.terminate(kProcessName, grace, [alive = std::weak_ptr<int>(alive_), done](
                                                           const std::string&, const supervisor::Termination&) {
    if (!alive.expired()) done();
  });
  if (!ok) later(ok.error().message.c_str());
}

}  // namespace rollway::controller
