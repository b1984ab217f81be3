#include "cli/outcome.h"

#include <gtest/gtest.h>

namespace rollway::cli {
namespace {

TEST(Outcome, LineNamesTheRevisionAndWhetherItIsNew) {
  EXPECT_EQ(outcomeLine({{"name", "web"}, {"action", "configured"}, {"revision", 4}, {"newRevision", true}}),
            "service/web configured (revision 4, new)");
  EXPECT_EQ(outcomeLine({{"name", "web"}, {"action", "configured"}, {"revision", 2}, {"newRevision", false}}),
            "service/web configured (revision 2)");
  EXPECT_EQ(outcomeLine({{"name", "web"}, {"action", "unchanged"}, {"revision", 2}}), "service/web unchanged");
  EXPECT_EQ(outcomeLine({{"name", "web"}, {"action", "created"}, {"newRevision", true}}),
            "service/web created (new revision)");
}

TEST(Outcome, DoneOrUnchanged) {
  EXPECT_EQ(doneOrUnchanged({{"name", "web"}, {"action", "configured"}}, "paused"), "service/web paused");
  EXPECT_EQ(doneOrUnchanged({{"name", "web"}, {"action", "unchanged"}}, "paused"), "service/web unchanged");
  EXPECT_EQ(doneOrUnchanged({{"name", "web"}, {"restartedAtMs", 5}}, "restarted"), "service/web restarted");
}

}  // namespace
}  // namespace rollway::cli
