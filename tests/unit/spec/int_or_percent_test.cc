#include "rollway/spec/int_or_percent.h"

#include <gtest/gtest.h>

namespace rollway::spec {
namespace {

TEST(IntOrPercent, Parses) {
  EXPECT_EQ(*IntOrPercent::parse("3"), IntOrPercent::absolute(3));
  EXPECT_EQ(*IntOrPercent::parse("0"), IntOrPercent::absolute(0));
  EXPECT_EQ(*IntOrPercent::parse("25%"), IntOrPercent::percent(25));
  EXPECT_EQ(*IntOrPercent::parse("0%"), IntOrPercent::percent(0));
  EXPECT_EQ(*IntOrPercent::parse("100%"), IntOrPercent::percent(100));
  EXPECT_EQ(IntOrPercent::parse("25%")->str(), "25%");
  EXPECT_EQ(IntOrPercent::parse("7")->str(), "7");
}

TEST(IntOrPercent, Rejects) {
  for (const char* bad : {"", "%", "x%", "-1", "-5%", "101%", "2.5", "2.5%", "25 %", " 3", "3 ", "1e3",
                          "99999999999999999999", "25%%", "+3"}) {
    auto v = IntOrPercent::parse(bad);
    EXPECT_FALSE(v) << "'" << bad << "' was accepted";
    if (!v) {
      EXPECT_EQ(v.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(IntOrPercent, ResolveRoundsAsKubernetes) {
  auto p25 = IntOrPercent::percent(25);
  EXPECT_EQ(p25.resolve(10, /*roundUp=*/true), 3);
  EXPECT_EQ(p25.resolve(10, /*roundUp=*/false), 2);
  EXPECT_EQ(p25.resolve(4, true), 1);
  EXPECT_EQ(p25.resolve(4, false), 1);
  EXPECT_EQ(p25.resolve(1, true), 1);
  EXPECT_EQ(p25.resolve(1, false), 0);
  EXPECT_EQ(p25.resolve(0, true), 0);
  EXPECT_EQ(IntOrPercent::percent(0).resolve(10, true), 0);
  EXPECT_EQ(IntOrPercent::percent(0).resolve(10, false), 0);
  EXPECT_EQ(IntOrPercent::percent(100).resolve(7, true), 7);
  EXPECT_EQ(IntOrPercent::percent(100).resolve(7, false), 7);
  EXPECT_EQ(IntOrPercent::percent(33).resolve(10, true), 4);
  EXPECT_EQ(IntOrPercent::percent(33).resolve(10, false), 3);
  EXPECT_EQ(IntOrPercent::absolute(2).resolve(10, true), 2);
  EXPECT_EQ(IntOrPercent::absolute(2).resolve(10, false), 2);
  EXPECT_EQ(IntOrPercent::absolute(15).resolve(10, false), 15);  // absolute values are not capped
  EXPECT_EQ(IntOrPercent::percent(100).resolve(2'000'000'000, true), 2'000'000'000);  // no overflow
}

}  // namespace
}  // namespace rollway::spec
