#include "rollway/supervisor/supervisor.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <optional>

#include <gtest/gtest.h>

#include "rollway/supervisor/instance_logs.h"
#include "rollway/supervisor/proc_stat.h"
#include "rollway/supervisor/spawn.h"
#include "unit/supervisor/test_util.h"

namespace rollway::supervisor {
namespace {

using namespace std::chrono_literals;
using testing::processDead;
using testing::ProcessKiller;
using testing::readFile;
using testing::runUntil;
using testing::TempDir;
using testing::waitFor;

class SupervisorTest : public ::testing::Test {
 protected:
  SupervisorTest() { makeSupervisor(); }

  ~SupervisorTest() override {
    // Every process a test started dies here, by PID.
    if (supervisor_) {
      for (const auto& p : supervisor_->list()) {
        killer_.add(p.pid);
      }
    }
    killer_.killAll();
    supervisor_.reset();
  }

  void makeSupervisor(bool killGroupOnExit = true) {
    if (supervisor_) {
      for (const auto& p : supervisor_->list()) {
        killer_.add(p.pid);
      }
    }
    supervisor_.reset();
    SupervisorOptions options{dir_.path(), {{"PATH", "/usr/bin:/bin"}, {"HOME", dir_.path()}}, killGroupOnExit};
    supervisor_ = std::make_unique<Supervisor>(io_, options);
    supervisor_->setExitCallback([this](const std::string& instance, const ExitInfo& exit) {
      exits_[instance] = exit;
    });
  }

  LaunchSpec spec(const std::string& instance, std::vector<std::string> command) {
    LaunchSpec s;
    s.instance = instance;
    s.service = "web";
    s.revision = 3;
    s.port = 23456;
    s.command = std::move(command);
    s.workingDir = dir_.path();
    return s;
  }

  Result<InstanceProcess> start(const LaunchSpec& s) {
    auto r = supervisor_->start(s);
    if (r) {
      killer_.add(r->pid);
    }
    return r;
  }

  bool waitExit(const std::string& instance, std::chrono::milliseconds timeout = 10s) {
    return runUntil(io_, [&] { return exits_.contains(instance); }, timeout);
  }

  std::string log(const std::string& instance) { return readFile(dir_.file(instance + ".log")); }

  bool waitLog(const std::string& instance, const std::string& needle) {
    return waitFor([&] { return log(instance).find(needle) != std::string::npos; });
  }

  TempDir dir_;
  asio::io_context io_;
  ProcessKiller killer_;
  std::unique_ptr<Supervisor> supervisor_;
  std::map<std::string, ExitInfo> exits_;
};

TEST_F(SupervisorTest, SubstitutesPortAndSetsEnvironmentAndWorkingDir) {
  dir_.script("env.sh",
              "echo \"args: $*\"\n"
              "echo \"cwd: $(pwd)\"\n"
              "env | sort\n"
              "echo to-stderr >&2");
  auto s = spec("web-3-aaaaa", {"./env.sh", "--port", "${PORT}", "${GREETING}-x", "${UNKNOWN}"});
  s.env = {{"GREETING", "hello"}, {"URL", "http://127.0.0.1:${PORT}/"}};
  ::setenv("ROLLWAY_TEST_LEAK", "1", 1);
  auto p = start(s);
  ::unsetenv("ROLLWAY_TEST_LEAK");
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_GT(p->pid, 0);
  EXPECT_GE(p->pidfd, 0);
  EXPECT_GT(p->startTimeTicks, 0);
  EXPECT_FALSE(p->adopted);
  EXPECT_EQ(p->logPath, dir_.file("web-3-aaaaa.log"));
  ASSERT_TRUE(waitExit("web-3-aaaaa"));
  EXPECT_EQ(exits_["web-3-aaaaa"], ExitInfo::exited(0));
  EXPECT_FALSE(supervisor_->watching("web-3-aaaaa"));

  auto out = log("web-3-aaaaa");
  EXPECT_NE(out.find("args: --port 23456 hello-x ${UNKNOWN}\n"), std::string::npos) << out;
  EXPECT_NE(out.find("cwd: " + dir_.path() + "\n"), std::string::npos) << out;
  for (const char* line : {"PORT=23456\n", "URL=http://127.0.0.1:23456/\n", "GREETING=hello\n",
                           "ROLLWAY_INSTANCE=web-3-aaaaa\n", "ROLLWAY_SERVICE=web\n", "ROLLWAY_REVISION=3\n",
                           "PATH=/usr/bin:/bin\n", "to-stderr\n"}) {
    EXPECT_NE(out.find(line), std::string::npos) << line << " missing in:\n" << out;
  }
  EXPECT_EQ(out.find("ROLLWAY_TEST_LEAK"), std::string::npos) << out;
}

TEST_F(SupervisorTest, OwnSessionStdinNullAndNoInheritedFds) {
  int leaked = ::open("/dev/null", O_RDONLY);  // not CLOEXEC on purpose
  ASSERT_GE(leaked, 0);
  auto p = start(spec("web-3-fdfdf", {"/bin/sh", "-c", "ls /proc/self/fd | tr '\\n' ' '; echo; "
                                                       "readlink /proc/self/fd/0; exec sleep 30"}));
  ::close(leaked);
  ASSERT_TRUE(p) << p.error().str();
  ASSERT_TRUE(waitLog("web-3-fdfdf", "/dev/null"));
  // ls sees 0, 1, 2 and its own directory fd (3); sh's script-less -c adds none.
  EXPECT_NE(log("web-3-fdfdf").find("0 1 2 3 \n"), std::string::npos) << log("web-3-fdfdf");
  auto st = readProcStat(p->pid);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->pgrp, p->pid);
  EXPECT_EQ(st->session, p->pid);
  EXPECT_EQ(st->startTimeTicks, p->startTimeTicks);
}

TEST_F(SupervisorTest, ExecFailureIsAnError) {
  auto missing = start(spec("web-3-nofil", {"./does-not-exist"}));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("does-not-exist"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos) << missing.error().message;

  dir_.script("noexec.sh", "exit 0", 0644);
  auto noexec = start(spec("web-3-noexe", {"./noexec.sh"}));
  ASSERT_FALSE(noexec);
  EXPECT_EQ(noexec.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(noexec.error().message.find("Permission denied"), std::string::npos) << noexec.error().message;

  auto s = spec("web-3-nodir", {"/bin/true"});
  s.workingDir = dir_.file("no-such-dir");
  auto nodir = start(s);
  ASSERT_FALSE(nodir);
  EXPECT_NE(nodir.error().message.find("working directory"), std::string::npos) << nodir.error().message;

  auto notInPath = start(spec("web-3-nopat", {"no-such-command-xyz"}));
  ASSERT_FALSE(notInPath);
  EXPECT_EQ(notInPath.error().code, ErrorCode::kNotFound);

  EXPECT_TRUE(supervisor_->list().empty());
  // Nothing was watched, so nothing may be reported.
  runUntil(io_, [] { return false; }, 50ms);
  EXPECT_TRUE(exits_.empty());
}

TEST_F(SupervisorTest, DuplicateNameIsAConflict) {
  ASSERT_TRUE(start(spec("web-3-dupli", {"/bin/sleep", "30"})));
  auto again = start(spec("web-3-dupli", {"/bin/sleep", "30"}));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
}

TEST_F(SupervisorTest, ReportsExitCodeAndSignal) {
  ASSERT_TRUE(start(spec("web-3-exit7", {"/bin/sh", "-c", "exit 7"})));
  ASSERT_TRUE(start(spec("web-3-usr1s", {"/bin/sh", "-c", "kill -USR1 $$; sleep 5"})));
  ASSERT_TRUE(waitExit("web-3-exit7"));
  ASSERT_TRUE(waitExit("web-3-usr1s"));
  EXPECT_EQ(exits_["web-3-exit7"], ExitInfo::exited(7));
  EXPECT_EQ(exits_["web-3-usr1s"], ExitInfo::signaled(SIGUSR1));
  EXPECT_EQ(exits_["web-3-usr1s"].str(), "killed by signal 10 (SIGUSR1)");
}

TEST_F(SupervisorTest, IgnoredSignalsAreResetForTheInstance) {
  struct sigaction ign {}, old {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);  // as a daemon would
  auto p = start(spec("web-3-pipes", {"/bin/sh", "-c", "grep SigIgn /proc/self/status"}));
  ::sigaction(SIGPIPE, &old, nullptr);
  ASSERT_TRUE(p) << p.error().str();
  ASSERT_TRUE(waitExit("web-3-pipes"));
  auto out = log("web-3-pipes");
  // sh ignores nothing by itself in -c mode; SIGPIPE (bit 13) must not be inherited.
  auto pos = out.find("SigIgn:");
  ASSERT_NE(pos, std::string::npos) << out;
  auto mask = std::stoull(out.substr(pos + 7), nullptr, 16);
  EXPECT_EQ(mask & (1ULL << (SIGPIPE - 1)), 0u) << out;
}

TEST_F(SupervisorTest, GroupSignalTakesTheInstancesChildrenToo) {
  makeSupervisor(/*killGroupOnExit=*/false);  // so only the group signal can kill the child
  dir_.script("parent.sh", "sleep 300 &\necho $! > child.pid\nwait");
  auto p = start(spec("web-3-group", {"./parent.sh"}));
  ASSERT_TRUE(p) << p.error().str();
  ASSERT_TRUE(waitFor([&] { return readFile(dir_.file("child.pid")).ends_with("\n"); }));
  pid_t child = std::stoi(readFile(dir_.file("child.pid")));
  killer_.add(child);
  ASSERT_FALSE(processDead(child));
  ASSERT_TRUE(supervisor_->signal("web-3-group", SIGKILL));
  ASSERT_TRUE(waitExit("web-3-group"));
  EXPECT_EQ(exits_["web-3-group"], ExitInfo::signaled(SIGKILL));
  EXPECT_TRUE(waitFor([&] { return processDead(child); }, 5s));
}

TEST_F(SupervisorTest, LeftoversOfTheGroupDieWithTheMainProcess) {
  dir_.script("parent.sh", "sleep 300 &\necho $! > child.pid\nwait");
  auto p = start(spec("web-3-lefto", {"./parent.sh"}));
  ASSERT_TRUE(p) << p.error().str();
  ASSERT_TRUE(waitFor([&] { return readFile(dir_.file("child.pid")).ends_with("\n"); }));
  pid_t child = std::stoi(readFile(dir_.file("child.pid")));
  killer_.add(child);
  ASSERT_EQ(::kill(p->pid, SIGKILL), 0);  // the leader only
  ASSERT_TRUE(waitExit("web-3-lefto"));
  EXPECT_TRUE(waitFor([&] { return processDead(child); }, 5s));
}

TEST_F(SupervisorTest, TerminateGracefully) {
  ASSERT_TRUE(start(spec("web-3-grace", {"/bin/sleep", "300"})));
  std::optional<Termination> result;
  auto began = std::chrono::steady_clock::now();
  ASSERT_TRUE(supervisor_->terminate("web-3-grace", 5s, [&](const std::string&, const Termination& t) {
    result = t;
  }));
  EXPECT_EQ(supervisor_->terminate("web-3-grace", 5s).error().code, ErrorCode::kConflict);
  ASSERT_TRUE(waitExit("web-3-grace"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, Termination::Outcome::kExitedAfterSigterm);
  EXPECT_EQ(result->exit, ExitInfo::signaled(SIGTERM));
  EXPECT_LT(std::chrono::steady_clock::now() - began, 4s);
}

TEST_F(SupervisorTest, SigtermIgnoringProcessIsKilledAfterGrace) {
  dir_.script("stubborn.sh", "trap '' TERM\necho ready\nwhile :; do sleep 0.05; done");
  ASSERT_TRUE(start(spec("web-3-stubb", {"./stubborn.sh"})));
  ASSERT_TRUE(waitLog("web-3-stubb", "ready"));
  std::optional<Termination> result;
  auto began = std::chrono::steady_clock::now();
  ASSERT_TRUE(supervisor_->terminate("web-3-stubb", 1s, [&](const std::string&, const Termination& t) {
    result = t;
  }));
  ASSERT_TRUE(waitExit("web-3-stubb", 10s));
  auto took = std::chrono::steady_clock::now() - began;
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, Termination::Outcome::kKilledAfterGrace);
  EXPECT_EQ(result->exit, ExitInfo::signaled(SIGKILL));
  EXPECT_GE(took, 950ms);
  EXPECT_LT(took, 5s);
}

TEST_F(SupervisorTest, SignalUnknownInstanceIsNotFound) {
  EXPECT_EQ(supervisor_->signal("nobody", SIGTERM).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(supervisor_->terminate("nobody", 1s).error().code, ErrorCode::kNotFound);
}

TEST_F(SupervisorTest, AdoptsOwnChildAfterSupervisorRestart) {
  auto p = start(spec("web-3-again", {"/bin/sleep", "300"}));
  ASSERT_TRUE(p) << p.error().str();
  pid_t pid = p->pid;
  int64_t ticks = p->startTimeTicks;
  makeSupervisor();  // the old one forgets the instance; the process lives on
  ASSERT_FALSE(processDead(pid));

  auto wrong = supervisor_->adopt(spec("web-3-again", {}), pid, ticks + 1);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kNotFound);
  EXPECT_NE(wrong.error().message.find("another process"), std::string::npos) << wrong.error().message;

  auto adopted = supervisor_->adopt(spec("web-3-again", {}), pid, ticks);
  ASSERT_TRUE(adopted) << adopted.error().str();
  EXPECT_FALSE(adopted->adopted);  // still our child: its status can be collected
  ASSERT_TRUE(supervisor_->terminate("web-3-again", 5s));
  ASSERT_TRUE(waitExit("web-3-again"));
  EXPECT_EQ(exits_["web-3-again"], ExitInfo::signaled(SIGTERM));
}

// A daemon that died between fork and recording the pid finds its instance by name.
TEST_F(SupervisorTest, FindsAnInstanceByItsNameNotItsChildren) {
  auto p = start(spec("web-3-findme", {"/bin/sh", "-c", "/bin/sleep 300 & wait"}));
  ASSERT_TRUE(p) << p.error().str();
  auto found = findInstanceProcess("web-3-findme");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->pid, p->pid);  // the session leader, not its sleep child
  EXPECT_EQ(found->startTimeTicks, p->startTimeTicks);
  EXPECT_FALSE(findInstanceProcess("web-3-nobody"));
  EXPECT_FALSE(findInstanceProcess("web-3-findm"));  // whole value only
  ASSERT_TRUE(supervisor_->terminate("web-3-findme", 5s));
  ASSERT_TRUE(waitExit("web-3-findme"));
}

TEST_F(SupervisorTest, AdoptsAnOrphanByPidAndStartTime) {
  // A "daemon" process starts an instance in its own session and exits: the instance
  // is re-parented away from us, exactly as after a daemon restart.
  auto daemon = prepareLaunch(spec("daemon", {"/bin/sh", "-c", "setsid /bin/sleep 300 & echo $! > orphan.pid"}),
                              {{"PATH", "/usr/bin:/bin"}}, dir_.file("daemon.log"));
  ASSERT_TRUE(daemon) << daemon.error().str();
  auto d = spawnProcess(*daemon);
  ASSERT_TRUE(d) << d.error().str();
  ASSERT_TRUE(waitFor([&] { return ::waitpid(d->pid, nullptr, WNOHANG) == d->pid; }));
  ASSERT_TRUE(waitFor([&] { return readFile(dir_.file("orphan.pid")).ends_with("\n"); }));
  pid_t pid = std::stoi(readFile(dir_.file("orphan.pid")));
  killer_.add(pid);
  ASSERT_TRUE(waitFor([&] {
    auto st = readProcStat(pid);
    return st && st->comm == "sleep";  // setsid has exec'ed sleep
  }));
  auto st = readProcStat(pid);
  ASSERT_TRUE(st);
  EXPECT_NE(st->ppid, ::getpid());
  EXPECT_EQ(st->pgrp, pid);

  auto wrong = supervisor_->adopt(spec("web-3-orpha", {}), pid, st->startTimeTicks - 1);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kNotFound);
  EXPECT_NE(wrong.error().message.find("dead"), std::string::npos);

  auto adopted = supervisor_->adopt(spec("web-3-orpha", {}), pid, st->startTimeTicks);
  ASSERT_TRUE(adopted) << adopted.error().str();
  EXPECT_TRUE(adopted->adopted);
  EXPECT_EQ(adopted->pid, pid);
  std::optional<Termination> result;
  ASSERT_TRUE(supervisor_->terminate("web-3-orpha", 5s, [&](const std::string&, const Termination& t) {
    result = t;
  }));
  ASSERT_TRUE(waitExit("web-3-orpha"));
  EXPECT_EQ(exits_["web-3-orpha"].kind, ExitInfo::Kind::kUnknown);
  EXPECT_EQ(exits_["web-3-orpha"].str(), "exited (status unknown: adopted)");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, Termination::Outcome::kExitedAfterSigterm);
}

TEST_F(SupervisorTest, AdoptingAGoneProcessReportsItDead) {
  auto d = spawnProcess(*prepareLaunch(spec("x", {"/bin/true"}), {}, dir_.file("x.log")));
  ASSERT_TRUE(d);
  pid_t pid = d->pid;
  int64_t ticks = d->startTimeTicks;
  ASSERT_TRUE(waitFor([&] { return ::waitpid(pid, nullptr, WNOHANG) == pid; }));
  auto r = supervisor_->adopt(spec("web-3-gonee", {}), pid, ticks);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("dead"), std::string::npos) << r.error().message;
}

TEST_F(SupervisorTest, RotationWhileTheInstanceWrites) {
  auto p = start(spec("web-3-logrt", {"/bin/sh", "-c", "i=0; while :; do echo line $i; i=$((i+1)); sleep 0.01; done"}));
  ASSERT_TRUE(p) << p.error().str();
  ASSERT_TRUE(waitLog("web-3-logrt", "line 20\n"));
  InstanceLogs logs(dir_.path(), LogRotationPolicy{64, 2});
  ASSERT_TRUE(logs.rotate("web-3-logrt").value());
  ASSERT_TRUE(waitFor([&] { return logs.rotate("web-3-logrt").value(); }));
  ASSERT_TRUE(waitFor([&] { return log("web-3-logrt").size() > 20; }));
  auto live = log("web-3-logrt");
  EXPECT_EQ(live.find('\0'), std::string::npos) << "a hole: the writer did not append";
  EXPECT_TRUE(live.starts_with("line ")) << live;
  EXPECT_NE(readFile(p->logPath + ".1").find("line "), std::string::npos);
  EXPECT_NE(readFile(p->logPath + ".2").find("line 0\n"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(p->logPath + ".3"));
  auto tail = logs.tail("web-3-logrt", 1);
  ASSERT_TRUE(tail);
}

TEST_F(SupervisorTest, PreStopExecRunsInTheInstanceEnvironment) {
  ASSERT_TRUE(start(spec("web-3-prest", {"/bin/sleep", "300"})));
  std::optional<Result<ExitInfo>> done;
  ASSERT_TRUE(supervisor_->runPreStopExec("web-3-prest", {"/bin/sh", "-c", "echo prestop $ROLLWAY_INSTANCE $PORT"}, 5s,
                                          [&](const std::string&, const Result<ExitInfo>& r) { done = r; }));
  ASSERT_TRUE(runUntil(io_, [&] { return done.has_value(); }));
  ASSERT_TRUE(*done) << done->error().str();
  EXPECT_EQ(**done, ExitInfo::exited(0));
  EXPECT_NE(log("web-3-prest").find("prestop web-3-prest 23456\n"), std::string::npos);

  done.reset();
  ASSERT_TRUE(supervisor_->runPreStopExec("web-3-prest", {"/bin/sleep", "300"}, 200ms,
                                          [&](const std::string&, const Result<ExitInfo>& r) { done = r; }));
  ASSERT_TRUE(runUntil(io_, [&] { return done.has_value(); }));
  ASSERT_FALSE(*done);
  EXPECT_EQ(done->error().code, ErrorCode::kTimeout);

  auto bad = supervisor_->runPreStopExec("web-3-prest", {"./nope"}, 1s, {});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(supervisor_->watching("web-3-prest"));
}

}  // namespace
}  // namespace rollway::supervisor
