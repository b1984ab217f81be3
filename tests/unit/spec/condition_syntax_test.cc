#include "spec/condition_syntax.h"

#include <gtest/gtest.h>

namespace rollway::spec {
namespace {

TEST(ConditionSyntax, Accepts) {
  for (const char* ok : {"< 0.01", "<= 300ms", ">= 0.98", "> 5", "== 0", "!= 1", "<0.01", "< 1%",
                         "< 2s", "< .5", "canary.errorRate <= stable.errorRate + 0.005",
                         "canary.p99 <= stable.p99 * 1.2", "canary.p99 < (stable.p99 + 10ms) * 2",
                         "  >=  -1  ", "canary.error_rate < 0.05"}) {
    EXPECT_EQ(checkConditionSyntax(ok), "") << ok;
  }
}

TEST(ConditionSyntax, Rejects) {
  for (const char* bad : {"", "   ", "0.01", "<", "< ", "< abc", "less than 1%", "< 1 2", "< 1x",
                          "canary.p99", "canary.p99 <", "foo.bar < 1", "canary < 1", "canary. < 1",
                          "<< 1", "< (1", "< 1)", "< 1..2", "< 1.", "canary.p99 <= stable.p99 *",
                          "< ((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))"}) {
    EXPECT_NE(checkConditionSyntax(bad), "") << bad;
  }
}

TEST(ConditionSyntax, DeepNestingDoesNotRecurseForever) {
  std::string deep = "< " + std::string(100000, '(') + "1";
  EXPECT_NE(checkConditionSyntax(deep), "");
}

}  // namespace
}  // namespace rollway::spec

namespace rollway::spec {

// As analysis::Condition: at most 64 operators (a longer chain overflowed the analyzer's
// stack; validation must refuse what the analyzer refuses).
TEST(ConditionSyntax, OperatorChainsAreBounded) {
  std::string chain = "<";
  for (int i = 0; i < 64; ++i) chain += " 1 -";
  EXPECT_EQ(checkConditionSyntax(chain + " 1"), "");
  EXPECT_NE(checkConditionSyntax(chain + " 1 * 2").find("too many operators (at most 64)"), std::string::npos);
  std::string huge = "< 1";
  for (int i = 0; i < 15000; ++i) huge += "-1";
  EXPECT_NE(checkConditionSyntax(huge), "");
}

}  // namespace rollway::spec
