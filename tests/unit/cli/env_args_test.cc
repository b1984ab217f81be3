#include "cli/env_args.h"

#include <gtest/gtest.h>

namespace rollway::cli {
namespace {

TEST(EnvArgs, SetsAndRemoves) {
  auto env = envChanges({"A=1", "B=x=y", "EMPTY=", "GONE-"});
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_EQ(*env, nlohmann::json({{"A", "1"}, {"B", "x=y"}, {"EMPTY", ""}, {"GONE", nullptr}}));
}

TEST(EnvArgs, LastMentionWins) {
  auto env = envChanges({"A=1", "A-", "B-", "B=2"});
  ASSERT_TRUE(env);
  EXPECT_EQ(*env, nlohmann::json({{"A", nullptr}, {"B", "2"}}));
}

TEST(EnvArgs, RejectsWhatIsNeitherForm) {
  for (const char* bad : {"A", "=1", "-", ""}) {
    auto env = envChanges({bad});
    ASSERT_FALSE(env) << bad;
    EXPECT_NE(env.error().message.find("KEY=VALUE"), std::string::npos);
  }
  EXPECT_FALSE(envChanges({}));
}

}  // namespace
}  // namespace rollway::cli
