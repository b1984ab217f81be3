#include "rollway/supervisor/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "rollway/supervisor/proc_stat.h"

namespace rollway::supervisor {
namespace {

// What failed in the child, sent through the CLOEXEC pipe.
enum class Stage : int { kSetsid = 1, kDevNull, kLogFile, kDup, kChdir, kExec };

struct ChildFailure {
  Stage stage;
  int err;
};

const char* errnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "?";
}

Error describeFailure(const ChildFailure& f, const PreparedLaunch& launch) {
  auto reason = fmt::format("{} ({})", std::strerror(f.err), errnoName(f.err));
  ErrorCode code = f.err == ENOENT ? ErrorCode::kNotFound
                   : (f.err == EACCES || f.err == ENOEXEC || f.err == ENOTDIR) ? ErrorCode::kInvalidArgument
                                                                               : ErrorCode::kIo;
  switch (f.stage) {
    case Stage::kSetsid:
      return Error{ErrorCode::kInternal, "setsid failed in the new process: " + reason, {}};
    case Stage::kDevNull:
      return Error{ErrorCode::kIo, "cannot open /dev/null for stdin: " + reason, {}};
    case Stage::kLogFile:
      return Error{ErrorCode::kIo, fmt::format("cannot open log file {}: {}", launch.logPath, reason), {}};
    case Stage::kDup:
      return Error{ErrorCode::kInternal, "dup2 failed in the new process: " + reason, {}};
    case Stage::kChdir:
      return Error{code, fmt::format("cannot change to working directory {}: {}", launch.workingDir, reason), {}};
    case Stage::kExec:
      break;
  }
  return Error{code, fmt::format("cannot execute {}: {}", launch.executable, reason), {}};
}

// Everything below runs in the child between fork and exec: async-signal-safe only.
[[noreturn]] void childFail(int errfd, Stage stage) {
  ChildFailure f{stage, errno};
  ssize_t ignored = ::write(errfd, &f, sizeof f);
  (void)ignored;
  ::_exit(127);
}

[[noreturn]] void runChild(const PreparedLaunch& launch, char* const* argv, char* const* envp, int errfd) {
  // Dispositions the daemon ignores (SIGPIPE...) survive exec: reset them all.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for SIGKILL, SIGSTOP, reserved ones
  }
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  if (::setsid() < 0) {
    childFail(errfd, Stage::kSetsid);
  }
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    childFail(errfd, Stage::kDevNull);
  }
  int log_fd = ::open(launch.logPath.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log_fd < 0) {
    childFail(errfd, Stage::kLogFile);
  }
  // Move both above 2 first, so that dup2 onto 0/1/2 never clobbers one of them (the
  // daemon may run with 0-2 closed).
  null_fd = ::fcntl(null_fd, F_DUPFD_CLOEXEC, 3);
  log_fd = ::fcntl(log_fd, F_DUPFD_CLOEXEC, 3);
  if (null_fd < 0 || log_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) {
    childFail(errfd, Stage::kDup);
  }
  if (!launch.workingDir.empty() && ::chdir(launch.workingDir.c_str()) < 0) {
    childFail(errfd, Stage::kChdir);
  }
  // Nothing but 0, 1, 2 crosses exec.
  if (::close_range(3, UINT_MAX, CLOSE_RANGE_CLOEXEC) < 0) {
    for (int fd = 3; fd < 65536; ++fd) {
      if (fd != errfd) {
        ::close(fd);
      }
    }
  }
  ::execve(launch.executable.c_str(), argv, envp);
  childFail(errfd, Stage::kExec);
}

}  // namespace

Result<UniqueFd> openPidfd(pid_t pid) {
  long fd = ::syscall(SYS_pidfd_open, pid, 0U);
  if (fd < 0) {
    int err = errno;
    if (err == ESRCH) {
      return fail(ErrorCode::kNotFound, "process {} does not exist", pid);
    }
    return fail(ErrorCode::kIo, "pidfd_open({}): {}", pid, std::strerror(err));
  }
  // pidfds are created close-on-exec.
  return UniqueFd(static_cast<int>(fd));
}

Result<SpawnedProcess> spawnProcess(const PreparedLaunch& launch) {
  if (launch.argv.empty() || launch.executable.empty()) {
    return fail(ErrorCode::kInvalidArgument, "nothing to execute: empty argv");
  }
  // All allocation happens here, before fork.
  std::vector<char*> argv;
  argv.reserve(launch.argv.size() + 1);
  for (const auto& a : launch.argv) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(launch.envp.size() + 1);
  for (const auto& e : launch.envp) {
    envp.push_back(const_cast<char*>(e.c_str()));
  }
  envp.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    return fail(ErrorCode::kIo, "pipe2: {}", std::strerror(errno));
  }
  UniqueFd err_read(fds[0]);
  UniqueFd err_write(fds[1]);

  pid_t pid = ::fork();
  if (pid < 0) {
    return fail(ErrorCode::kIo, "fork: {}", std::strerror(errno));
  }
  if (pid == 0) {
    runChild(launch, argv.data(), envp.data(), err_write.get());
  }
  err_write.reset();

  // Our unreaped child: its pid cannot be reused yet, so pidfd_open is race-free.
  auto pidfd = openPidfd(pid);

  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(err_read.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);

  auto reap = [pid] {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  };
  if (n == static_cast<ssize_t>(sizeof failure)) {
    reap();
    return tl::unexpected(describeFailure(failure, launch));
  }
  if (n != 0) {
    ::kill(pid, SIGKILL);
    reap();
    return fail(ErrorCode::kInternal, "lost the exec status of {}: read returned {}", launch.executable, n);
  }
  if (!pidfd) {
    ::kill(pid, SIGKILL);
    reap();
    return tl::unexpected(pidfd.error());
  }
  // The start time survives exec; a zombie still has its stat file.
  auto stat = readProcStat(pid);
  if (!stat) {
    ::kill(pid, SIGKILL);
    reap();
    return fail(ErrorCode::kInternal, "cannot read the start time of {}: {}", pid, stat.error().message);
  }
  return SpawnedProcess{pid, std::move(*pidfd), stat->startTimeTicks};
}

}  // namespace rollway::supervisor
