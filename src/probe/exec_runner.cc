#include "probe/exec_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "rollway/supervisor/launch_spec.h"

extern char** environ;

namespace rollway::probe {
namespace {

constexpr size_t kMaxOutput = 4096;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

// One spawned command: its pidfd, its output pipe and its deadline.
class ExecRunner::Child : public std::enable_shared_from_this<Child> {
 public:
  Child(asio::io_context& io, std::chrono::seconds timeout, Callback done)
      : process_(io), output_(io), timer_(io), timeout_(timeout), done_(std::move(done)) {}

  ~Child() {
    // Only when the io_context went away with the child still running.
    if (pid_ > 0 && !reaped_) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  // Returns the child's pid, or 0 when it could not be started (the failure is posted).
  // With `context`: the instance's argv substitution, environment and working directory.
  int start(const std::vector<std::string>& command, const std::optional<ExecContext>& context) {
    std::string error = spawn(command, context);
    if (!error.empty()) {
      asio::post(timer_.get_executor(), [self = shared_from_this(), error] {
        self->deliver(ProbeResult{ProbeOutcome::kFailure, error});
      });
      return 0;
    }
    command_ = command.front();
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (ec || self->reaped_) return;
      self->timedOut_ = true;
      self->killGroup();
    });
    waitExit();
    readOutput();
    return pid_;
  }

  void abandon() {
    done_ = nullptr;
    timer_.cancel();
    if (pid_ > 0 && !reaped_) killGroup();  // the pidfd wait still reaps it
  }

 private:
  std::string spawn(const std::vector<std::string>& command, const std::optional<ExecContext>& context) {
    if (command.empty() || command.front().empty()) return "exec probe has no command";
    // What execve gets: as given (the caller's environment, PATH and directory), or
    // prepared exactly as the instance's own command was.
    std::string executable = command.front();
    std::vector<std::string> args = command;
    std::vector<std::string> envStrings;
    std::string workingDir;
    if (context) {
      supervisor::LaunchSpec launch = context->launch;
      launch.command = command;
      auto prepared = supervisor::prepareLaunch(launch, context->baseEnv, "");
      if (!prepared) return fmt::format("exec probe: {}", prepared.error().message);
      executable = prepared->executable;
      args = std::move(prepared->argv);
      envStrings = std::move(prepared->envp);
      workingDir = prepared->workingDir;
    }
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    envp.reserve(envStrings.size() + 1);
    for (const auto& e : envStrings) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) != 0) return fmt::format("pipe: {}", std::strerror(errno));

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (!workingDir.empty()) posix_spawn_file_actions_addchdir_np(&actions, workingDir.c_str());
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    int rc = context ? ::posix_spawn(&pid, executable.c_str(), &actions, &attr, argv.data(), envp.data())
                     : ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(pipeFds[1]);
    if (rc != 0) {
      ::close(pipeFds[0]);
      return fmt::format("exec {}: {}", command.front(), std::strerror(rc));
    }
    pid_ = pid;

    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
      int err = errno;
      ::close(pipeFds[0]);
      killGroup();
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
      return fmt::format("pidfd_open: {}", std::strerror(err));
    }
    std::error_code ec;
    process_.assign(pidfd, ec);
    if (!ec) output_.assign(pipeFds[0], ec);
    if (ec) {
      // Unreachable in practice (epoll accepts pidfds and pipes).
      if (!process_.is_open()) ::close(pidfd);
      ::close(pipeFds[0]);
      killGroup();
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
      return fmt::format("register child: {}", ec.message());
    }
    return {};
  }

  void killGroup() {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);  // in case it left the group
  }

  void waitExit() {
    process_.async_wait(asio::posix::stream_descriptor::wait_read,
                        [self = shared_from_this()](const std::error_code& ec) {
                          if (ec == asio::error::operation_aborted) return;
                          self->onExit();
                        });
  }

  void onExit() {
    int status = 0;
    pid_t rc = ::waitpid(pid_, &status, WNOHANG);
    if (rc == 0) return waitExit();  // not yet (spurious wakeup)
    if (rc < 0 && errno == EINTR) return waitExit();
    reaped_ = true;
    status_ = rc < 0 ? -1 : status;
    std::error_code ignored;
    process_.close(ignored);
    timer_.cancel();
    if (outputDone_) return complete();
    output_.cancel(ignored);  // the pending read completes and calls complete()
  }

  void readOutput() {
    output_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](const std::error_code& ec, size_t n) {
      self->append(n);
      if (self->reaped_) {
        self->drain();
        return self->complete();
      }
      if (ec) {
        self->outputDone_ = true;  // EOF (or error): wait for the exit alone
        return;
      }
      self->readOutput();
    });
  }

  // After the exit: whatever is still in the pipe, without blocking.
  void drain() {
    std::error_code ec;
    output_.non_blocking(true, ec);
    while (!ec && output_.is_open()) {
      size_t n = output_.read_some(asio::buffer(buffer_), ec);
      append(n);
    }
  }

  void append(size_t n) {
    if (outputText_.size() < kMaxOutput) {
      outputText_.append(buffer_.data(), std::min(n, kMaxOutput - outputText_.size()));
    }
  }

  void complete() {
    if (completed_) return;
    completed_ = true;
    std::error_code ignored;
    output_.close(ignored);
    timer_.cancel();
    std::string out = trimmed(std::move(outputText_));
    ProbeResult result;
    if (timedOut_) {
      result = {ProbeOutcome::kTimeout, fmt::format("command {} timed out after {}s", command_, timeout_.count())};
    } else if (status_ >= 0 && WIFEXITED(status_) && WEXITSTATUS(status_) == 0) {
      result = {ProbeOutcome::kSuccess, out};
      return deliver(std::move(result));
    } else if (status_ >= 0 && WIFEXITED(status_)) {
      result = {ProbeOutcome::kFailure, fmt::format("command {} exited with status {}", command_, WEXITSTATUS(status_))};
    } else if (status_ >= 0 && WIFSIGNALED(status_)) {
      result = {ProbeOutcome::kFailure, fmt::format("command {} killed by signal {}", command_, WTERMSIG(status_))};
    } else {
      result = {ProbeOutcome::kFailure, fmt::format("command {}: lost its exit status", command_)};
    }
    if (!out.empty()) result.message += ": " + out;
    deliver(std::move(result));
  }

  void deliver(ProbeResult result) {
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(result));
  }

  asio::posix::stream_descriptor process_;
  asio::posix::stream_descriptor output_;
  asio::steady_timer timer_;
  std::chrono::seconds timeout_;
  Callback done_;
  std::string command_;
  std::array<char, 1024> buffer_{};
  std::string outputText_;
  pid_t pid_ = 0;
  int status_ = -1;
  bool reaped_ = false;
  bool outputDone_ = false;
  bool timedOut_ = false;
  bool completed_ = false;
};

ExecRunner::ExecRunner(asio::io_context& io, std::vector<std::string> command, std::chrono::seconds timeout,
                       std::optional<ExecContext> context)
    : io_(io), command_(std::move(command)), timeout_(timeout), context_(std::move(context)) {}

ExecRunner::~ExecRunner() { cancel(); }

void ExecRunner::run(Callback done) {
  cancel();
  current_ = std::make_shared<Child>(io_, timeout_, std::move(done));
  int pid = current_->start(command_, context_);
  if (pid > 0) lastPid_ = pid;
}

void ExecRunner::cancel() {
  if (current_) current_->abandon();
  current_.reset();
}

}  // namespace rollway::probe
