#include "probe/exec_runner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <filesystem>
#include <optional>
#include <string>

#include <asio/io_context.hpp>

#include "test_http_server.h"

namespace rollway::probe {
namespace {

using testing::runUntil;

class ExecRunnerTest : public ::testing::Test {
 protected:
  ProbeResult probeOnce(ExecRunner& runner) {
    std::optional<ProbeResult> result;
    runner.run([&](ProbeResult got) { result = std::move(got); });
    EXPECT_TRUE(runUntil(io_, [&] { return result.has_value(); }));
    return result.value_or(ProbeResult{ProbeOutcome::kFailure, "no result"});
  }
  // True once the process is gone and reaped (no zombie left).
  static bool reaped(int pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

  asio::io_context io_;
};

TEST_F(ExecRunnerTest, TrueIsSuccess) {
  ExecRunner runner(io_, {"/bin/true"}, std::chrono::seconds(1));
  EXPECT_EQ(probeOnce(runner).outcome, ProbeOutcome::kSuccess);
  EXPECT_TRUE(reaped(runner.lastPid()));
}

TEST_F(ExecRunnerTest, FalseIsFailure) {
  ExecRunner runner(io_, {"/bin/false"}, std::chrono::seconds(1));
  ProbeResult result = probeOnce(runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "command /bin/false exited with status 1");
  EXPECT_TRUE(reaped(runner.lastPid()));
}

TEST_F(ExecRunnerTest, OutputIsTheMessage) {
  ExecRunner runner(io_, {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, std::chrono::seconds(1));
  ProbeResult result = probeOnce(runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "command /bin/sh exited with status 3: out\nerr");
}

TEST_F(ExecRunnerTest, PathIsSearched) {
  ExecRunner runner(io_, {"echo", "hello"}, std::chrono::seconds(1));
  ProbeResult result = probeOnce(runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.message, "hello");
}

TEST_F(ExecRunnerTest, SleepIsKilledAtTimeoutAndReaped) {
  ExecRunner runner(io_, {"/bin/sleep", "5"}, std::chrono::seconds(1));
  auto begin = std::chrono::steady_clock::now();
  ProbeResult result = probeOnce(runner);
  auto elapsed = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(result.outcome, ProbeOutcome::kTimeout);
  EXPECT_EQ(result.message, "command /bin/sleep timed out after 1s");
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
  EXPECT_TRUE(reaped(runner.lastPid()));
}

TEST_F(ExecRunnerTest, TimeoutKillsTheWholeProcessGroup) {
  // The grandchild holds the output pipe; the attempt must still end at the timeout,
  // and the grandchild (same process group) must die too.
  std::string pidFile = "/tmp/rollway-probe-grandchild-" + std::to_string(::getpid());
  ::unlink(pidFile.c_str());
  ExecRunner runner(io_, {"/bin/sh", "-c", "sleep 30 & echo $! > " + pidFile + "; wait"}, std::chrono::seconds(1));
  auto begin = std::chrono::steady_clock::now();
  ProbeResult result = probeOnce(runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(2500));
  FILE* f = std::fopen(pidFile.c_str(), "r");
  ASSERT_NE(f, nullptr);
  int grandchild = 0;
  ASSERT_EQ(std::fscanf(f, "%d", &grandchild), 1);
  std::fclose(f);
  ::unlink(pidFile.c_str());
  // It was reparented (to init or a subreaper), so it may linger as a zombie briefly;
  // it must not be running sleep any more.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::string stat = "/proc/" + std::to_string(grandchild) + "/stat";
    FILE* s = std::fopen(stat.c_str(), "r");
    if (s == nullptr) {
      gone = true;
      break;
    }
    char state = 0;
    int scanned = std::fscanf(s, "%*d %*s %c", &state);
    std::fclose(s);
    if (scanned == 1 && (state == 'Z' || state == 'X')) gone = true;
    else ::usleep(10'000);
  }
  EXPECT_TRUE(gone);
}

TEST_F(ExecRunnerTest, ShellMetacharactersArriveLiterally) {
  std::string marker = "/tmp/rollway-probe-marker-" + std::to_string(::getpid());
  ::unlink(marker.c_str());
  std::string arg = "$(touch " + marker + ");|& `touch " + marker + "` > " + marker;
  ExecRunner echo(io_, {"/bin/echo", arg}, std::chrono::seconds(1));
  ProbeResult result = probeOnce(echo);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.message, arg);
  ExecRunner test(io_, {"/usr/bin/test", arg, "=", arg}, std::chrono::seconds(1));
  EXPECT_EQ(probeOnce(test).outcome, ProbeOutcome::kSuccess);
  struct stat st {};
  EXPECT_NE(::stat(marker.c_str(), &st), 0) << "a shell ran the argument";
}

TEST_F(ExecRunnerTest, StdinIsDevNull) {
  ExecRunner runner(io_, {"/bin/cat"}, std::chrono::seconds(2));
  ProbeResult result = probeOnce(runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.message, "");
}

TEST_F(ExecRunnerTest, LargeOutputIsCappedAndDoesNotBlockTheChild) {
  ExecRunner runner(io_, {"/usr/bin/seq", "1", "200000"}, std::chrono::seconds(5));
  ProbeResult result = probeOnce(runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_LE(result.message.size(), 4096u);
  EXPECT_EQ(result.message.rfind("1\n2\n3\n", 0), 0u);
}

TEST_F(ExecRunnerTest, MissingCommandIsFailure) {
  ExecRunner runner(io_, {"/nonexistent/check"}, std::chrono::seconds(1));
  ProbeResult result = probeOnce(runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_NE(result.message.find("No such file"), std::string::npos) << result.message;
}

// The probe runs "inside" the instance (as in a container): ${PORT} in argv, the
// template's env and rollway's variables in its environment, the instance's working
// directory; nothing else of the caller's environment.
TEST_F(ExecRunnerTest, RunsInTheInstanceContext) {
  char tmpl[] = "/tmp/rollway-probe-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ASSERT_EQ(::close(::open((dir + "/marker").c_str(), O_CREAT | O_WRONLY, 0644)), 0);
  ::setenv("ROLLWAY_PROBE_TEST_LEAK", "leaked", 1);
  ExecContext context;
  context.launch.instance = "web-1-abcde";
  context.launch.service = "web";
  context.launch.revision = 1;
  context.launch.port = 43210;
  context.launch.env = {{"GREETING", "hello"}, {"WHERE", "port ${PORT}"}};
  context.launch.workingDir = dir;
  context.baseEnv = {{"PATH", "/usr/bin:/bin"}};
  ExecRunner runner(io_,
                    {"sh", "-c",
                     "test \"$GREETING\" = hello && test -f ./marker && test ${PORT} -eq 43210 && "
                     "test \"$PORT\" = 43210 && test \"$WHERE\" = 'port 43210' && "
                     "test \"$ROLLWAY_INSTANCE\" = web-1-abcde && test -z \"$ROLLWAY_PROBE_TEST_LEAK\" && "
                     "test \"$(pwd)\" = \"$1\"",
                     "probe", dir},
                    std::chrono::seconds(2), context);
  ProbeResult result = probeOnce(runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  ::unsetenv("ROLLWAY_PROBE_TEST_LEAK");
  std::filesystem::remove_all(dir);
}

// A command missing from the instance's PATH fails the attempt with a clear message.
TEST_F(ExecRunnerTest, CommandNotInTheInstancePathFails) {
  ExecContext context;
  context.launch.instance = "web-1-abcde";
  context.launch.port = 1;
  context.baseEnv = {{"PATH", "/nonexistent"}};
  ExecRunner runner(io_, {"true"}, std::chrono::seconds(1), context);
  ProbeResult result = probeOnce(runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_NE(result.message.find("not found"), std::string::npos) << result.message;
}

TEST_F(ExecRunnerTest, EmptyCommandIsFailure) {
  ExecRunner runner(io_, {}, std::chrono::seconds(1));
  EXPECT_EQ(probeOnce(runner).outcome, ProbeOutcome::kFailure);
}

TEST_F(ExecRunnerTest, CancelKillsAndReapsWithoutCallback) {
  ExecRunner runner(io_, {"/bin/sleep", "5"}, std::chrono::seconds(10));
  bool called = false;
  runner.run([&](ProbeResult) { called = true; });
  int pid = runner.lastPid();
  ASSERT_GT(pid, 0);
  runUntil(io_, [] { return false; }, std::chrono::milliseconds(100));
  runner.cancel();
  EXPECT_TRUE(runUntil(io_, [&] { return reaped(pid); }, std::chrono::milliseconds(2000)));
  EXPECT_FALSE(called);
}

TEST_F(ExecRunnerTest, DestroyingTheRunnerAndLoopReapsTheChild) {
  int pid = 0;
  {
    asio::io_context io;
    ExecRunner runner(io, {"/bin/sleep", "5"}, std::chrono::seconds(10));
    runner.run([](ProbeResult) {});
    pid = runner.lastPid();
  }
  EXPECT_TRUE(reaped(pid));
}

}  // namespace
}  // namespace rollway::probe
