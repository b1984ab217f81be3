#include "rollway/supervisor/instance_name.h"

#include <regex>

#include <gtest/gtest.h>

namespace rollway::supervisor {
namespace {

TEST(InstanceName, ServiceRevisionSuffix) {
  SeededRandom random(1);
  auto name = makeInstanceName("web", 3, random);
  EXPECT_TRUE(std::regex_match(name, std::regex("web-3-[a-z0-9]{5}"))) << name;
  EXPECT_NE(makeInstanceName("web", 3, random), name);
}

}  // namespace
}  // namespace rollway::supervisor
