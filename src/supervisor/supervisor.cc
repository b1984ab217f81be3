#include "rollway/supervisor/supervisor.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include "rollway/supervisor/instance_logs.h"
#include "rollway/supervisor/proc_stat.h"
#include "rollway/supervisor/spawn.h"

namespace rollway::supervisor {
namespace {

using asio::posix::descriptor_base;

int pidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0U));
}

enum class Reap { kNotYet, kDone };

// For our own child: peek (WNOWAIT) so the caller can kill the rest of the process
// group while the leader is still a zombie (its pid, the group id, cannot be reused),
// then reap.
struct ReapResult {
  Reap state = Reap::kDone;
  ExitInfo exit;
};

ReapResult peekChild(int pidfd) {
  siginfo_t si{};
  if (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
    return {Reap::kDone, ExitInfo::unknown()};  // ECHILD: reaped by someone else
  }
  if (si.si_pid == 0) {
    return {Reap::kNotYet, {}};
  }
  return {Reap::kDone, ExitInfo::fromSiginfo(si.si_code, si.si_status)};
}

void reapChild(int pidfd) {
  siginfo_t si{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &si, WEXITED | WNOHANG) < 0 && errno == EINTR) {
  }
}

bool validInstanceName(const std::string& name) {
  return !name.empty() && name.front() != '.' && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

std::string readCwd(pid_t pid) {
  char buf[4096];
  auto link = "/proc/" + std::to_string(pid) + "/cwd";
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

struct Supervisor::Watched {
  explicit Watched(asio::io_context& io) : pidfd(io) {}
  uint64_t id = 0;
  LaunchSpec spec;
  pid_t pid = 0;
  pid_t pgid = 0;
  int64_t startTimeTicks = 0;
  bool ownChild = false;
  std::string logPath;
  int fd = -1;  // owned by pidfd below
  asio::posix::stream_descriptor pidfd;
  std::optional<asio::steady_timer> killTimer;
  bool terminating = false;
  bool sigkillSent = false;
  TerminateCallback onTerminated;
};

struct Supervisor::Job {
  explicit Job(asio::io_context& io) : pidfd(io), timer(io) {}
  uint64_t id = 0;
  std::string instance;
  pid_t pid = 0;
  std::chrono::milliseconds timeout{0};
  asio::posix::stream_descriptor pidfd;
  asio::steady_timer timer;
  bool timedOut = false;
  PreStopCallback done;
};

Supervisor::Supervisor(asio::io_context& io, SupervisorOptions options, Logger logger)
    : io_(io), options_(std::move(options)), logger_(logger ? std::move(logger) : nullLogger()) {}

Supervisor::~Supervisor() = default;

InstanceProcess Supervisor::describe(const Watched& w) {
  return InstanceProcess{w.spec.instance, w.pid, w.fd, w.startTimeTicks, !w.ownChild, w.logPath, "", ""};
}

std::optional<InstanceProcess> Supervisor::findUnwatched(const std::string& instance) const {
  if (watching(instance)) return std::nullopt;
  auto found = findInstanceProcess(instance);
  if (!found) return std::nullopt;
  InstanceProcess p;
  p.instance = instance;
  p.pid = found->pid;
  p.startTimeTicks = found->startTimeTicks;
  return p;
}

std::optional<InstanceProcess> Supervisor::find(const std::string& instance) const {
  auto it = instances_.find(instance);
  if (it == instances_.end()) {
    return std::nullopt;
  }
  return describe(*it->second);
}

std::vector<InstanceProcess> Supervisor::list() const {
  std::vector<InstanceProcess> out;
  for (const auto& [name, w] : instances_) {
    out.push_back(describe(*w));
  }
  return out;
}

Result<InstanceProcess> Supervisor::start(const LaunchSpec& spec) {
  if (!validInstanceName(spec.instance)) {
    return fail(ErrorCode::kInvalidArgument, "invalid instance name '{}'", spec.instance);
  }
  if (instances_.contains(spec.instance)) {
    return fail(ErrorCode::kConflict, "instance {} is already running", spec.instance);
  }
  auto prepared = prepareLaunch(spec, options_.baseEnv, InstanceLogs(options_.logDir).pathFor(spec.instance));
  if (!prepared) {
    return tl::unexpected(prepared.error());
  }
  auto spawned = spawnProcess(*prepared);
  if (!spawned) {
    Error e = spawned.error();
    e.message = fmt::format("instance {}: {}", spec.instance, e.message);
    logger_->warn("start {} failed: {}", spec.instance, e.message);
    return tl::unexpected(std::move(e));
  }
  logger_->info("started {} pid {} ({})", spec.instance, spawned->pid, prepared->executable);
  return watch(spec, spawned->pid, spawned->pid, spawned->pidfd.release(), spawned->startTimeTicks, true);
}

Result<InstanceProcess> Supervisor::adopt(const LaunchSpec& spec, pid_t pid, int64_t startTimeTicks) {
  if (!validInstanceName(spec.instance)) {
    return fail(ErrorCode::kInvalidArgument, "invalid instance name '{}'", spec.instance);
  }
  if (instances_.contains(spec.instance)) {
    return fail(ErrorCode::kConflict, "instance {} is already watched", spec.instance);
  }
  auto check = [&]() -> Result<ProcStat> {
    auto st = readProcStat(pid);
    if (!st) {
      return fail(ErrorCode::kNotFound, "instance {} is dead: process {} is gone", spec.instance, pid);
    }
    if (st->zombie()) {
      return fail(ErrorCode::kNotFound, "instance {} is dead: process {} has exited", spec.instance, pid);
    }
    if (st->startTimeTicks != startTimeTicks) {
      return fail(ErrorCode::kNotFound,
                  "instance {} is dead: pid {} now belongs to another process (start time {} != recorded {})",
                  spec.instance, pid, st->startTimeTicks, startTimeTicks);
    }
    return st;
  };
  auto before = check();
  if (!before) {
    logger_->info("{}", before.error().message);
    return tl::unexpected(before.error());
  }
  auto pidfd = openPidfd(pid);
  if (!pidfd) {
    return fail(ErrorCode::kNotFound, "instance {} is dead: {}", spec.instance, pidfd.error().message);
  }
  // The pid could have been reused between the check and pidfd_open: check again, now
  // that the pidfd pins whichever process it refers to.
  auto after = check();
  if (!after) {
    logger_->info("{}", after.error().message);
    return tl::unexpected(after.error());
  }
  LaunchSpec kept = spec;
  if (kept.workingDir.empty()) {
    kept.workingDir = readCwd(pid);
  }
  bool own_child = after->ppid == ::getpid();
  logger_->info("adopted {} pid {}{}", spec.instance, pid, own_child ? " (our child)" : "");
  return watch(kept, pid, after->pgrp, pidfd->release(), startTimeTicks, own_child);
}

Result<InstanceProcess> Supervisor::watch(const LaunchSpec& spec, pid_t pid, pid_t pgid, int pidfd,
                                          int64_t startTimeTicks, bool ownChild) {
  auto w = std::make_unique<Watched>(io_);
  w->id = next_id_++;
  w->spec = spec;
  w->pid = pid;
  w->pgid = pgid;
  w->startTimeTicks = startTimeTicks;
  w->ownChild = ownChild;
  w->logPath = InstanceLogs(options_.logDir).pathFor(spec.instance);
  asio::error_code ec;
  w->pidfd.assign(pidfd, ec);
  if (ec) {
    ::close(pidfd);
    return fail(ErrorCode::kInternal, "instance {}: cannot watch pid {}: {}", spec.instance, pid, ec.message());
  }
  w->fd = pidfd;
  Watched& ref = *w;
  instances_[spec.instance] = std::move(w);
  armWatch(ref);
  return describe(ref);
}

void Supervisor::armWatch(Watched& w) {
  w.pidfd.async_wait(descriptor_base::wait_read,
                     [this, alive = std::weak_ptr<int>(alive_), instance = w.spec.instance, id = w.id](
                         const asio::error_code& ec) {
                       if (alive.expired() || ec) {
                         return;
                       }
                       onReadable(instance, id);
                     });
}

void Supervisor::onReadable(const std::string& instance, uint64_t id) {
  auto it = instances_.find(instance);
  if (it == instances_.end() || it->second->id != id) {
    return;
  }
  Watched& w = *it->second;
  const int fd = w.pidfd.native_handle();
  ExitInfo exit = ExitInfo::unknown();
  if (w.ownChild) {
    auto peek = peekChild(fd);
    if (peek.state == Reap::kNotYet) {
      armWatch(w);
      return;
    }
    exit = peek.exit;
  }
  if (options_.killGroupOnExit && w.pgid == w.pid) {
    ::kill(-w.pgid, SIGKILL);  // leftovers of the group; ESRCH when there are none
  }
  if (w.ownChild) {
    reapChild(fd);
  }
  std::unique_ptr<Watched> gone = std::move(it->second);
  instances_.erase(it);
  if (gone->killTimer) {
    gone->killTimer->cancel();
  }
  logger_->info("instance {} pid {} {}", instance, gone->pid, exit.str());
  if (gone->terminating && gone->onTerminated) {
    Termination t{gone->sigkillSent ? Termination::Outcome::kKilledAfterGrace
                                    : Termination::Outcome::kExitedAfterSigterm,
                  exit};
    auto done = std::move(gone->onTerminated);
    done(instance, t);
  }
  if (on_exit_) {
    auto cb = on_exit_;  // the callback may replace itself
    cb(instance, exit);
  }
}

Result<void> Supervisor::signalWatched(Watched& w, int sig) {
  if (w.pgid == w.pid) {
    if (::kill(-w.pgid, sig) == 0) {
      return {};
    }
    if (errno != ESRCH) {
      return fail(ErrorCode::kIo, "instance {}: kill(-{}, {}): {}", w.spec.instance, w.pgid, sig,
                  std::strerror(errno));
    }
  }
  // Not a group leader (adopted oddity), or the group is empty: the leader alone.
  if (pidfdSendSignal(w.pidfd.native_handle(), sig) == 0) {
    return {};
  }
  if (errno == ESRCH) {
    return fail(ErrorCode::kNotFound, "instance {}: process {} has already exited", w.spec.instance, w.pid);
  }
  return fail(ErrorCode::kIo, "instance {}: pidfd_send_signal({}): {}", w.spec.instance, sig,
              std::strerror(errno));
}

Result<void> Supervisor::signal(const std::string& instance, int sig) {
  auto it = instances_.find(instance);
  if (it == instances_.end()) {
    return fail(ErrorCode::kNotFound, "instance {} is not running", instance);
  }
  return signalWatched(*it->second, sig);
}

Result<void> Supervisor::terminate(const std::string& instance, std::chrono::milliseconds grace,
                                   TerminateCallback done) {
  auto it = instances_.find(instance);
  if (it == instances_.end()) {
    return fail(ErrorCode::kNotFound, "instance {} is not running", instance);
  }
  Watched& w = *it->second;
  if (w.terminating) {
    return fail(ErrorCode::kConflict, "instance {} is already terminating", instance);
  }
  w.terminating = true;
  w.onTerminated = std::move(done);
  if (auto sent = signalWatched(w, SIGTERM); !sent) {
    // Already exiting: the pidfd watch reports it.
    logger_->info("terminate {}: {}", instance, sent.error().message);
  } else {
    logger_->info("terminate {}: SIGTERM sent to group {}, SIGKILL in {} ms", instance, w.pgid, grace.count());
  }
  w.killTimer.emplace(io_);
  w.killTimer->expires_after(grace);
  w.killTimer->async_wait(
      [this, alive = std::weak_ptr<int>(alive_), instance, id = w.id](const asio::error_code& ec) {
        if (alive.expired() || ec) {
          return;
        }
        auto found = instances_.find(instance);
        if (found == instances_.end() || found->second->id != id) {
          return;
        }
        Watched& target = *found->second;
        target.sigkillSent = true;
        logger_->warn("terminate {}: grace period over, SIGKILL to group {}", instance, target.pgid);
        if (auto sent = signalWatched(target, SIGKILL); !sent) {
          logger_->info("terminate {}: {}", instance, sent.error().message);
        }
      });
  return {};
}

void Supervisor::forget(const std::string& instance) { instances_.erase(instance); }

Result<void> Supervisor::runPreStopExec(const std::string& instance, const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout, PreStopCallback done) {
  auto it = instances_.find(instance);
  if (it == instances_.end()) {
    return fail(ErrorCode::kNotFound, "instance {} is not running", instance);
  }
  const Watched& w = *it->second;
  LaunchSpec spec = w.spec;
  spec.command = argv;
  auto prepared = prepareLaunch(spec, options_.baseEnv, w.logPath);
  if (!prepared) {
    return tl::unexpected(prepared.error());
  }
  auto spawned = spawnProcess(*prepared);
  if (!spawned) {
    Error e = spawned.error();
    e.message = fmt::format("instance {}: preStop: {}", instance, e.message);
    return tl::unexpected(std::move(e));
  }
  auto job = std::make_unique<Job>(io_);
  job->id = next_id_++;
  job->instance = instance;
  job->pid = spawned->pid;
  job->timeout = timeout;
  job->done = std::move(done);
  asio::error_code ec;
  int fd = spawned->pidfd.release();
  job->pidfd.assign(fd, ec);
  if (ec) {
    ::close(fd);
    ::kill(-job->pid, SIGKILL);
    while (::waitpid(job->pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return fail(ErrorCode::kInternal, "instance {}: cannot watch preStop process: {}", instance, ec.message());
  }
  Job& ref = *job;
  jobs_[ref.id] = std::move(job);
  ref.timer.expires_after(timeout);
  ref.timer.async_wait([this, alive = std::weak_ptr<int>(alive_), id = ref.id](const asio::error_code& tec) {
    if (alive.expired() || tec) {
      return;
    }
    auto found = jobs_.find(id);
    if (found == jobs_.end()) {
      return;
    }
    found->second->timedOut = true;
    ::kill(-found->second->pid, SIGKILL);
  });
  armJob(ref);
  return {};
}

void Supervisor::armJob(Job& job) {
  job.pidfd.async_wait(descriptor_base::wait_read,
                       [this, alive = std::weak_ptr<int>(alive_), id = job.id](const asio::error_code& ec) {
                         if (alive.expired() || ec) {
                           return;
                         }
                         onJobReadable(id);
                       });
}

void Supervisor::onJobReadable(uint64_t id) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    return;
  }
  Job& job = *it->second;
  const int fd = job.pidfd.native_handle();
  auto peek = peekChild(fd);
  if (peek.state == Reap::kNotYet) {
    armJob(job);
    return;
  }
  ::kill(-job.pid, SIGKILL);  // whatever the hook left behind
  reapChild(fd);
  std::unique_ptr<Job> gone = std::move(it->second);
  jobs_.erase(it);
  gone->timer.cancel();
  if (!gone->done) {
    return;
  }
  if (gone->timedOut) {
    gone->done(gone->instance, fail(ErrorCode::kTimeout, "instance {}: preStop did not finish within {} ms; killed",
                                    gone->instance, gone->timeout.count()));
  } else {
    gone->done(gone->instance, peek.exit);
  }
}

}  // namespace rollway::supervisor
