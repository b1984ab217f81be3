#include "rollway/supervisor/proc_stat.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "rollway/supervisor/exit_info.h"

namespace rollway::supervisor {
namespace {

std::string statLine(const std::string& comm) {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime priority nice threads itrealvalue starttime ...
  return "4242 (" + comm +
         ") S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 "
         "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
}

TEST(ProcStat, ParsesFields) {
  auto st = parseProcStat(statLine("sleep"));
  ASSERT_TRUE(st) << st.error().str();
  EXPECT_EQ(st->pid, 4242);
  EXPECT_EQ(st->comm, "sleep");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 1);
  EXPECT_EQ(st->pgrp, 4242);
  EXPECT_EQ(st->startTimeTicks, 987654);
}

TEST(ProcStat, CommWithSpacesAndParentheses) {
  auto st = parseProcStat(statLine("a) S 9 9 (b ) c"));
  ASSERT_TRUE(st) << st.error().str();
  EXPECT_EQ(st->comm, "a) S 9 9 (b ) c");
  EXPECT_EQ(st->ppid, 1);
  EXPECT_EQ(st->startTimeTicks, 987654);
}

TEST(ProcStat, RejectsGarbage) {
  EXPECT_FALSE(parseProcStat(""));
  EXPECT_FALSE(parseProcStat("12 (x) S 1 2"));
  EXPECT_FALSE(parseProcStat("x (y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"));
}

TEST(ProcStat, ReadsSelf) {
  auto st = readProcStat(::getpid());
  ASSERT_TRUE(st) << st.error().str();
  EXPECT_EQ(st->pid, ::getpid());
  EXPECT_EQ(st->ppid, ::getppid());
  EXPECT_GT(st->startTimeTicks, 0);
  auto again = readProcStat(::getpid());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->startTimeTicks, st->startTimeTicks);
}

TEST(ProcStat, MissingProcessIsNotFound) {
  auto st = readProcStat(0x3ffffff);  // above pid_max
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
}

TEST(ExitInfo, Strings) {
  EXPECT_EQ(ExitInfo::exited(3).str(), "exited with code 3");
  EXPECT_EQ(ExitInfo::signaled(9).str(), "killed by signal 9 (SIGKILL)");
  EXPECT_EQ(ExitInfo::unknown().str(), "exited (status unknown: adopted)");
  EXPECT_TRUE(ExitInfo::exited(0).success());
  EXPECT_FALSE(ExitInfo::signaled(15).success());
}

}  // namespace
}  // namespace rollway::supervisor
