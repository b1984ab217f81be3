#include "rollway/supervisor/launch_spec.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "unit/supervisor/test_util.h"

namespace rollway::supervisor {
namespace {

using testing::TempDir;

bool hasEntry(const std::vector<std::string>& envp, const std::string& entry) {
  return std::find(envp.begin(), envp.end(), entry) != envp.end();
}

TEST(ExpandVariables, KnownUnknownAndEscaped) {
  EnvMap vars{{"PORT", "20001"}, {"GREETING", "hi"}};
  EXPECT_EQ(expandVariables("--port=${PORT}", vars), "--port=20001");
  EXPECT_EQ(expandVariables("${GREETING}${PORT}", vars), "hi20001");
  EXPECT_EQ(expandVariables("${MISSING}/x", vars), "${MISSING}/x");
  EXPECT_EQ(expandVariables("$${PORT}", vars), "${PORT}");
  EXPECT_EQ(expandVariables("$PORT ${PORT", vars), "$PORT ${PORT");
  EXPECT_EQ(expandVariables("", vars), "");
}

TEST(ExpandVariables, SinglePass) {
  EnvMap vars{{"A", "${B}"}, {"B", "b"}};
  EXPECT_EQ(expandVariables("${A}", vars), "${B}");
}

TEST(PrepareLaunch, EnvironmentLayering) {
  LaunchSpec spec{"web-1-abcde", "web", 1, 20005, {"/bin/echo", "${PORT}", "${GREETING}"},
                  {{"GREETING", "hello"}, {"URL", "http://127.0.0.1:${PORT}/"}, {"PORT", "1"},
                   {"MYPATH", "${PATH}:/opt"}},
                  "", "v7"};
  EnvMap base{{"PATH", "/usr/bin:/bin"}, {"HOME", "/home/x"}, {"LANG", "C.UTF-8"}};
  auto p = prepareLaunch(spec, base, "/tmp/x.log");
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(p->argv, (std::vector<std::string>{"/bin/echo", "20005", "hello"}));
  EXPECT_EQ(p->executable, "/bin/echo");
  EXPECT_TRUE(hasEntry(p->envp, "PORT=20005"));  // ours win over the template's
  EXPECT_TRUE(hasEntry(p->envp, "URL=http://127.0.0.1:20005/"));
  EXPECT_TRUE(hasEntry(p->envp, "MYPATH=/usr/bin:/bin:/opt"));
  EXPECT_TRUE(hasEntry(p->envp, "ROLLWAY_INSTANCE=web-1-abcde"));
  EXPECT_TRUE(hasEntry(p->envp, "ROLLWAY_SERVICE=web"));
  EXPECT_TRUE(hasEntry(p->envp, "ROLLWAY_REVISION=1"));
  EXPECT_TRUE(hasEntry(p->envp, "ROLLWAY_VERSION=v7"));
  EXPECT_TRUE(hasEntry(p->envp, "HOME=/home/x"));
  EXPECT_TRUE(std::is_sorted(p->envp.begin(), p->envp.end()));
  EXPECT_EQ(p->logPath, "/tmp/x.log");
}

TEST(PrepareLaunch, ResolvesCommand) {
  TempDir dir;
  dir.script("app", "exit 0");
  EnvMap base{{"PATH", dir.path() + ":/usr/bin:/bin"}};

  LaunchSpec relative{"i", "s", 1, 1, {"./app"}, {}, dir.path(), ""};
  auto p = prepareLaunch(relative, base, "/tmp/l");
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(p->executable, dir.path() + "/./app");
  EXPECT_EQ(p->argv[0], "./app");

  LaunchSpec bare{"i", "s", 1, 1, {"app"}, {}, "/", ""};
  p = prepareLaunch(bare, base, "/tmp/l");
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(p->executable, dir.path() + "/app");

  LaunchSpec sh{"i", "s", 1, 1, {"sh", "-c", "true"}, {}, "", ""};
  p = prepareLaunch(sh, base, "/tmp/l");
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_TRUE(p->executable.ends_with("/sh")) << p->executable;

  LaunchSpec missing{"i", "s", 1, 1, {"no-such-command-xyz"}, {}, "", ""};
  p = prepareLaunch(missing, base, "/tmp/l");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kNotFound);
  EXPECT_NE(p.error().message.find("no-such-command-xyz"), std::string::npos);

  LaunchSpec empty{"i", "s", 1, 1, {}, {}, "", ""};
  EXPECT_FALSE(prepareLaunch(empty, base, "/tmp/l"));
}

TEST(PrepareLaunch, BaseEnvironmentFromProcessIsMinimal) {
  ::setenv("ROLLWAY_TEST_LEAK", "1", 1);
  auto base = baseEnvironmentFromProcess();
  EXPECT_TRUE(base.contains("PATH"));
  for (const auto& [name, value] : base) {
    EXPECT_TRUE(name == "PATH" || name == "HOME" || name == "LANG") << name;
  }
  ::unsetenv("ROLLWAY_TEST_LEAK");
}

}  // namespace
}  // namespace rollway::supervisor
