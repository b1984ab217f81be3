#include "cli/log_lines.h"

#include <gtest/gtest.h>

namespace rollway::cli {
namespace {

TEST(LastLines, KeepsTheLastN) {
  EXPECT_EQ(lastLines("a\nb\nc\n", 2), "b\nc\n");
  EXPECT_EQ(lastLines("a\nb\nc", 2), "b\nc");  // an unfinished last line counts
  EXPECT_EQ(lastLines("a\nb\nc\n", 3), "a\nb\nc\n");
  EXPECT_EQ(lastLines("a\nb\nc\n", 10), "a\nb\nc\n");
  EXPECT_EQ(lastLines("a\nb\nc\n", 1), "c\n");
  EXPECT_EQ(lastLines("a\nb\nc\n", 0), "");
  EXPECT_EQ(lastLines("a\nb\nc\n", -1), "a\nb\nc\n");
  EXPECT_EQ(lastLines("", 5), "");
  EXPECT_EQ(lastLines("\n\n", 1), "\n");
}

TEST(LinePrefixer, PrefixesWholeLinesAndHoldsTheRest) {
  LinePrefixer p("[web-1] ");
  EXPECT_EQ(p.feed("one\ntw"), "[web-1] one\n");
  EXPECT_EQ(p.feed("o\nthr"), "[web-1] two\n");
  EXPECT_EQ(p.feed(""), "");
  EXPECT_EQ(p.flush(), "[web-1] thr\n");
  EXPECT_EQ(p.flush(), "");
}

TEST(LinePrefixer, PassesBytesThroughWithoutAPrefix) {
  LinePrefixer p("");
  EXPECT_EQ(p.feed("par"), "par");
  EXPECT_EQ(p.feed("tial\n"), "tial\n");
  EXPECT_EQ(p.flush(), "");
}

}  // namespace
}  // namespace rollway::cli
