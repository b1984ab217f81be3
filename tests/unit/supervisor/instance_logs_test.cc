#include "rollway/supervisor/instance_logs.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "rollway/supervisor/unique_fd.h"
#include "unit/supervisor/test_util.h"

namespace rollway::supervisor {
namespace {

using testing::readFile;
using testing::TempDir;

void append(int fd, const std::string& s) { ASSERT_EQ(::write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size())); }

TEST(InstanceLogs, RotationKeepsNFilesAndAppendWriterContinues) {
  TempDir dir;
  InstanceLogs logs(dir.path(), LogRotationPolicy{100, 2});
  auto live = logs.pathFor("web-1-aaaaa");
  EXPECT_EQ(live, dir.path() + "/web-1-aaaaa.log");
  // The writer holds the file open with O_APPEND, as an instance does.
  UniqueFd w(::open(live.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  ASSERT_TRUE(w.valid());

  append(w.get(), "small\n");
  EXPECT_EQ(logs.rotate("web-1-aaaaa").value(), false);  // under maxBytes

  for (char gen : {'a', 'b', 'c'}) {
    append(w.get(), std::string(150, gen) + "\n");
    auto rotated = logs.rotate("web-1-aaaaa");
    ASSERT_TRUE(rotated) << rotated.error().str();
    EXPECT_TRUE(*rotated);
    EXPECT_EQ(readFile(live), "");
  }
  EXPECT_EQ(readFile(live + ".1"), std::string(150, 'c') + "\n");
  EXPECT_EQ(readFile(live + ".2"), std::string(150, 'b') + "\n");
  EXPECT_FALSE(std::filesystem::exists(live + ".3"));

  // O_APPEND: the next write lands at the start of the truncated file, no hole.
  append(w.get(), "after\n");
  EXPECT_EQ(readFile(live), "after\n");
}

TEST(InstanceLogs, RotateAllAndMissing) {
  TempDir dir;
  InstanceLogs logs(dir.path(), LogRotationPolicy{10, 1});
  std::ofstream(logs.pathFor("a")) << "0123456789abcdef\n";
  std::ofstream(logs.pathFor("b")) << "short\n";
  auto n = logs.rotateAll();
  ASSERT_TRUE(n) << n.error().str();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(readFile(logs.pathFor("a") + ".1"), "0123456789abcdef\n");
  EXPECT_EQ(readFile(logs.pathFor("b")), "short\n");
  EXPECT_EQ(logs.rotate("nobody").value(), false);
  EXPECT_FALSE(logs.rotate("../etc"));
}

TEST(InstanceLogs, Tail) {
  TempDir dir;
  InstanceLogs logs(dir.path());
  std::ofstream(logs.pathFor("t")) << "a\nb\nc\n";
  EXPECT_EQ(logs.tail("t", 2).value(), "b\nc\n");
  EXPECT_EQ(logs.tail("t", 3).value(), "a\nb\nc\n");
  EXPECT_EQ(logs.tail("t", 10).value(), "a\nb\nc\n");
  EXPECT_EQ(logs.tail("t", 0).value(), "");
  std::ofstream(logs.pathFor("u")) << "a\nb\nc";
  EXPECT_EQ(logs.tail("u", 2).value(), "b\nc");
  auto missing = logs.tail("none", 5);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(InstanceLogs, TailAcrossBlocks) {
  TempDir dir;
  InstanceLogs logs(dir.path());
  {
    std::ofstream out(logs.pathFor("big"));
    for (int i = 0; i < 50000; ++i) {
      out << "line " << i << "\n";
    }
  }
  EXPECT_EQ(logs.tail("big", 3).value(), "line 49997\nline 49998\nline 49999\n");
  auto many = logs.tail("big", 20000).value();
  EXPECT_TRUE(many.starts_with("line 30000\n"));
}

TEST(InstanceLogs, FollowFromOffset) {
  TempDir dir;
  InstanceLogs logs(dir.path(), LogRotationPolicy{5, 1});
  auto live = logs.pathFor("f");
  UniqueFd w(::open(live.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  append(w.get(), "one\n");
  auto c = logs.readFrom("f", 0);
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->data, "one\n");
  EXPECT_EQ(c->nextOffset, 4u);
  c = logs.readFrom("f", c->nextOffset);
  EXPECT_EQ(c->data, "");
  append(w.get(), "two\n");
  c = logs.readFrom("f", c->nextOffset);
  EXPECT_EQ(c->data, "two\n");
  EXPECT_EQ(c->nextOffset, 8u);
  ASSERT_TRUE(logs.rotate("f").value());
  append(w.get(), "3\n");
  c = logs.readFrom("f", c->nextOffset);
  EXPECT_TRUE(c->restarted);
  EXPECT_EQ(c->data, "3\n");
  EXPECT_EQ(c->nextOffset, 2u);
}

}  // namespace
}  // namespace rollway::supervisor
